#!/usr/bin/env bash
# Measures Notre Asso on this machine and updates docs/benchmarks.md between
# its markers (see cmd/notreasso-bench). On a fresh machine it first installs
# what it compares against: rclone (Debian package) and versitygw
# (scripts/tools.sh), and builds bin/notreasso.
#
# Usage: scripts/bench.sh            # full: 1 GiB, 10 000 files, 100 000 documents (< 30 min)
#        scripts/bench.sh --quick    # 256 MiB, 2 000 files, 10 000 documents (< 5 min)
#        scripts/bench.sh --only api-fs,api-s3   # some sections (api-fs, api-s3, dav, small, docs, sync, intake)
# BENCH_DIR sets the work directory (default .bench in the repository, on the
# data disk rather than a RAM-backed /tmp); it is removed at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v rclone >/dev/null 2>&1; then
	echo "bench: installing rclone (Debian package) to compare WebDAV against"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends rclone
fi
# Apache mod_dav (small-files comparison) and the Nextcloud desktop app's
# command-line client (sync section), when missing.
want=()
[ -x /usr/sbin/apache2 ] || want+=(apache2)
command -v nextcloudcmd >/dev/null 2>&1 || want+=(nextcloud-desktop-cmd)
if [ "${#want[@]}" -gt 0 ]; then
	echo "bench: installing ${want[*]} (Debian packages) to compare against"
	SUDO=""
	if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${want[@]}"
fi
scripts/tools.sh
make --no-print-directory build

# « Télécharger une copie complète » of a 2 GiB repository (256 MiB with
# --quick): the server's peak RSS while it streams (docs/benchmarks.md).
fullcopy=2147483648
case " $* " in *" --quick "*) fullcopy=268435456 ;; esac
NOTREASSO_FULLCOPY_BYTES=$fullcopy go test ./e2e -run '^TestFullCopyDownload$' -count=1 -v -timeout 60m |
	grep -E 'full copy:|^(--- |ok|FAIL)'

go build -o bin/notreasso-bench ./cmd/notreasso-bench
exec bin/notreasso-bench --bin bin/notreasso --versitygw .tools/bin/versitygw \
	--dir "${BENCH_DIR:-$root/.bench}" --out docs/benchmarks.md "$@"
