#!/usr/bin/env bash
# Runs each fuzz target briefly, so `make test` exercises them on every run
# (the seed corpus alone runs with the unit tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
FUZZTIME="${FUZZTIME:-8s}"
targets=(
	"./internal/repo FuzzSplitPath"
	"./internal/acl FuzzEffective"
	"./internal/repo FuzzShareRelPath"
	"./internal/repo FuzzDropName"
	"./internal/dav FuzzParseIf"
	"./internal/web FuzzSafeNext"
)
for t in "${targets[@]}"; do
	read -r pkg name <<<"$t"
	echo "fuzz: $pkg $name for $FUZZTIME"
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg"
done
