#!/usr/bin/env bash
# Installs the developer/test tools Notre Asso needs into <repo root>/.tools/bin
# (gitignored, kept between runs). Each tool is built only if missing, so this is
# cheap to call from CI before every test run.
#
# Usage: scripts/tools.sh            # install everything missing
#        FORCE=1 scripts/tools.sh    # rebuild even if present
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

# versity/versitygw: a real S3 gateway (posix backend) used by the storage/s3
# tests. Pinned so every machine tests against the same server behaviour.
VERSITYGW_VERSION="v1.8.0"

install_versitygw() {
	local stamp="$bin/.versitygw-$VERSITYGW_VERSION"
	if [[ -z "${FORCE:-}" && -x "$bin/versitygw" && -e "$stamp" ]]; then
		echo "tools: versitygw $VERSITYGW_VERSION already in $bin"
		return
	fi
	echo "tools: building versitygw $VERSITYGW_VERSION (takes a few minutes)..."
	local start=$SECONDS
	# -trimpath keeps the build reproducible; GOFLAGS from the caller still apply.
	GOBIN="$bin" go install -trimpath "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
	rm -f "$bin"/.versitygw-*
	touch "$stamp"
	echo "tools: versitygw built in $((SECONDS - start))s -> $bin/versitygw"
}

install_versitygw
