#!/usr/bin/env bash
# Runs each fuzz target briefly, so `make test` exercises them on every run
# (the seed corpus alone runs with the unit tests).
#
# Each target runs for a number of executions, not a duration: with a
# duration, Go 1.26's fuzz coordinator can report its own deadline as a
# failure ("context deadline exceeded", no crasher written; golang/go#75804,
# fixed in Go 1.27). The counts give each target a few seconds here; their
# rates differ by two orders of magnitude. FUZZTIME (e.g. 60s or 1000000x)
# overrides them all for a longer run by hand.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
targets=(
	"./internal/repo FuzzSplitPath 20000x"
	"./internal/acl FuzzEffective 300000x"
	"./internal/repo FuzzShareRelPath 10000x"
	"./internal/repo FuzzDropName 1000x"
	"./internal/dav FuzzParseIf 10000x"
	"./internal/web FuzzSafeNext 10000x"
)
for t in "${targets[@]}"; do
	read -r pkg name count <<<"$t"
	budget="${FUZZTIME:-$count}"
	echo "fuzz: $pkg $name for $budget"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$budget" "$pkg"
done
