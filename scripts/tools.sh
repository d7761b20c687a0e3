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

# axe-core: the accessibility rules the browser tests inject into every page
# (npm package, from Debian's npm). Pinned like versitygw.
AXE_VERSION="4.10.3"

install_axe() {
	local dir="$root/.tools/axe"
	if [[ -z "${FORCE:-}" && -e "$dir/node_modules/axe-core/axe.min.js" && -e "$dir/.axe-$AXE_VERSION" ]]; then
		echo "tools: axe-core $AXE_VERSION already in $dir"
		return
	fi
	echo "tools: installing axe-core $AXE_VERSION with npm..."
	mkdir -p "$dir"
	npm install --silent --no-audit --no-fund --prefix "$dir" "axe-core@$AXE_VERSION"
	rm -f "$dir"/.axe-*
	touch "$dir/.axe-$AXE_VERSION"
}

# Linters for `make lint`, pinned like the S3 server.
STATICCHECK_VERSION="v0.8.2" # staticcheck 2026.2.2
GOVULNCHECK_VERSION="v1.10.0"
# The Go vulnerability database, as published in the golang.org/x/vulndb
# module (its data/osv files), indexed locally with the project's own
# indexer: the Go module proxy is all this needs, so govulncheck works on
# machines that reach no other host. Move the pin forward to learn of new
# vulnerabilities.
VULNDB_VERSION="v0.0.0-20261105234957-e22db6528018"

install_go_tool() { # name module version
	local name=$1 module=$2 version=$3 stamp="$bin/.$1-$3"
	if [[ -z "${FORCE:-}" && -x "$bin/$name" && -e "$stamp" ]]; then
		return
	fi
	echo "tools: building $name $version..."
	GOBIN="$bin" go install -trimpath "$module@$version"
	rm -f "$bin/.$name-"*
	touch "$stamp"
}

install_vulndb() {
	local db="$root/.tools/vulndb" stamp="$root/.tools/.vulndb-$VULNDB_VERSION"
	if [[ -z "${FORCE:-}" && -e "$db/index/db.json" && -e "$stamp" ]]; then
		return
	fi
	echo "tools: indexing the Go vulnerability database $VULNDB_VERSION..."
	local src
	src=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	rm -rf "$db.new"
	go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$db.new"
	rm -rf "$db" && mv "$db.new" "$db"
	rm -f "$root/.tools/.vulndb-"*
	touch "$stamp"
}

install_versitygw
install_go_tool staticcheck honnef.co/go/tools/cmd/staticcheck "$STATICCHECK_VERSION"
install_go_tool govulncheck golang.org/x/vuln/cmd/govulncheck "$GOVULNCHECK_VERSION"
install_vulndb
install_axe
