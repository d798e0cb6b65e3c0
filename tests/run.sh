#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Runs every test suite and ends with one line: "N passed, N failed[, N skipped]".
#   tests/run.sh            all suites
#   tests/run.sh -t NAME    only suites/tests whose name contains NAME
# A suite's output is shown only when it fails. Suites are C binaries in
# build/tests/ (test_*) and scripts in tests/netns/ (test_*.sh); both print
# "#N name:OK|FAIL|SKIP" lines.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILTER=""
[ "${1:-}" = "-t" ] && FILTER=${2:-}

if [ "$(id -u)" != 0 ]; then
	echo "tests need root (BPF programs, network namespaces)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

pass=0 fail=0 skip=0
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

run_suite() {
	local name=$1
	shift
	local start=$SECONDS rc
	"$@" >"$LOG" 2>&1
	rc=$?
	local ok=$(grep -c ':OK$' "$LOG") bad=$(grep -c ':FAIL$' "$LOG") sk=$(grep -c ':SKIP' "$LOG")
	# A suite that died without saying which test failed still failed.
	if [ $rc -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; echo "#? $name (exit $rc):FAIL" >>"$LOG"; fi
	pass=$((pass + ok)) fail=$((fail + bad)) skip=$((skip + sk))
	printf '%-28s %3d ok %3d failed %3d skipped  (%ds)\n' "$name" "$ok" "$bad" "$sk" $((SECONDS - start))
	if [ "$bad" -gt 0 ]; then sed 's/^/    /' "$LOG"; fi
}

for t in "$ROOT"/build/tests/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	[ -n "$FILTER" ] && [[ "$n" != *"$FILTER"* ]] && continue
	run_suite "$n" "$t"
done
for t in "$ROOT"/tests/netns/test_*.sh; do
	[ -f "$t" ] || continue
	n=$(basename "$t" .sh)
	[ -n "$FILTER" ] && [[ "$n" != *"$FILTER"* ]] && continue
	run_suite "$n" bash "$t"
done

if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
