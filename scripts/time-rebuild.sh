#!/bin/bash
# time-rebuild.sh BIN [VAR=value…]: time how long `BIN serve` takes to build
# the search index of the bench's kept documents from scratch.
#
# Needs the data a `notreasso-bench --only docs --keep --dir DIR` run left in
# DIR/docs (default .bench/docs; BENCH_DATA overrides; DOCS is how many
# documents it stored, default 100000). Deletes its index and
# text cache, starts the server with the given environment, and prints the
# time from process start to /readyz 200, the documents per second, the
# server's CPU time and its peak RSS (VmHWM).
set -euo pipefail
bin=$1
shift
data=${BENCH_DATA:-.bench/docs}
addr=127.0.0.1:${PORT:-47999}
docs=${DOCS:-100000} # documents the bench stored (its --docs)
rm -rf "$data/index" "$data/text"
sync
t0=$(date +%s.%N)
env NOTREASSO_ADMIN_PASSWORD=bench-admin-password NOTREASSO_LOG_LEVEL=warn "$@" \
	"$bin" serve --data "$data" --addr "$addr" >"$data/../time-rebuild.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://$addr/readyz"; do
	kill -0 $pid || { echo "server exited; see $data/../time-rebuild.log" >&2; exit 1; }
	sleep 0.2
done
t1=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
ticks=$(getconf CLK_TCK)
cpu=$(awk -v t="$ticks" '{print ($14+$15)/t}' /proc/$pid/stat)
kill $pid
wait $pid 2>/dev/null || true
awk -v t0="$t0" -v t1="$t1" -v n="$docs" -v cpu="$cpu" -v hwm="$hwm" 'BEGIN {
	t = t1 - t0
	printf "%d documents in %.1f s: %.0f documents/s, CPU %.0f s (%.0f%%), VmHWM %.0f MiB\n", n, t, n / t, cpu, 100 * cpu / t, hwm / 1024
}'
