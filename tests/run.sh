#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Runs every test suite and ends with one line: "N passed, N failed[, N skipped]".
#   tests/run.sh                  all suites
#   tests/run.sh -t SUITE         the suite named SUITE, or else every suite
#                                 whose name contains SUITE
#   tests/run.sh -t SUITE/TEST    in those suites, only tests whose name
#                                 contains TEST (-t may be given again)
# In a netns script (test_limit, test_daemon, ...) TEST is one of its checks
# (the #N lines' names) or one of its steps (CHECKS at the script's bottom),
# and only the steps that TEST needs run:
#   -t test_limit/deny_passes_none  that check alone, after the steps it
#                                   stands on (namespaces, attach, policies,
#                                   the flood); -t limit/deny_passes_none:
#                                   in test_limit_tc too
#   -t test_limit/check_counters    every check of that step
#   -t test_limit/counter           every check whose name contains it
# A check's exact name picks that check alone, even when others contain it.
# Suites: C binaries in build/tests/ (test_*), the same built with ASan and
# UBSan in build/asan/tests/ (asan/test_*), the fuzz targets' short run
# (tests/fuzz/test_fuzz.sh) and the netns scripts (tests/netns/test_*.sh).
# Each prints "#N name:OK|FAIL|SKIP" lines; a suite's output is shown only
# when it fails. A skip is counted apart: it is neither a pass nor a failure.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
FILTERS=()

usage() {
	sed -n '3,23s/^# \{0,1\}//p' "$0"
}
while getopts "t:h" opt; do
	case $opt in
	t) FILTERS+=("$OPTARG") ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { echo "tests/run.sh: unexpected argument '$1'" >&2; usage >&2; exit 2; }

if [ "$(id -u)" != 0 ]; then
	echo "tests need root (BPF programs, network namespaces)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

pass=0 fail=0 skip=0 ran=0
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

# The suites: their names, and the file each runs.
SUITES=()
declare -A SUITE_FILE=()
for t in "$ROOT"/build/tests/test_* "$ROOT"/build/asan/tests/test_* \
	"$ROOT"/tests/fuzz/test_*.sh "$ROOT"/tests/ops/test_*.sh "$ROOT"/tests/netns/test_*.sh; do
	case $t in
	*.sh) [ -f "$t" ] || continue; n=$(basename "$t" .sh) ;;
	*/asan/*) [ -x "$t" ] || continue; n=asan/$(basename "$t") ;;
	*) [ -x "$t" ] || continue; n=$(basename "$t") ;;
	esac
	SUITES+=("$n") SUITE_FILE[$n]=$t
done

# selected SUITE: prints the TEST part of the first filter naming SUITE
# ('' for the whole suite); fails when no filter names it. A filter that
# starts with a suite's exact name (asan/test_bpf/xdp too) names that suite
# alone; else its part before the first '/' names the suites containing it.
selected() {
	local f s
	[ ${#FILTERS[@]} -eq 0 ] && return 0
	for f in "${FILTERS[@]}"; do
		for s in "${SUITES[@]}"; do
			if [ "$f" = "$s" ] || [[ "$f" == "$s"/* ]]; then
				[ "$1" = "$s" ] || continue 2
				[ "$f" = "$s" ] || echo "${f#"$s"/}"
				return 0
			fi
		done
		if [[ "$f" == */* ]]; then
			[[ "$1" == *"${f%%/*}"* ]] && { echo "${f#*/}"; return 0; }
		elif [[ "$1" == *"$f"* ]]; then
			return 0
		fi
	done
	return 1
}

# run_suite NAME TEST COMMAND...: TEST is what was asked for inside the
# suite ('' for all); COMMAND already selects it.
run_suite() {
	local name=$1 only=$2 start=$SECONDS rc
	shift 2
	"$@" >"$LOG" 2>&1
	rc=$?
	local ok=$(grep -c ':OK$' "$LOG") bad=$(grep -c ':FAIL$' "$LOG") sk=$(grep -c ':SKIP' "$LOG")
	# A suite that died without saying which test failed still failed.
	if [ $rc -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; echo "#? $name (exit $rc):FAIL" >>"$LOG"; fi
	# Asked for a test by name and none ran: an early exit, or a wrong name.
	if [ -n "$only" ] && [ $((ok + bad + sk)) -eq 0 ]; then
		bad=1
		echo "#? $name: no test named like '$only' ran:FAIL" >>"$LOG"
	fi
	pass=$((pass + ok)) fail=$((fail + bad)) skip=$((skip + sk)) ran=$((ran + 1))
	printf '%-28s %3d ok %3d failed %3d skipped  (%ds)\n' "$name" "$ok" "$bad" "$sk" $((SECONDS - start))
	if [ "$bad" -gt 0 ]; then sed 's/^/    /' "$LOG"; fi
}

# Sanitized binaries stop at the first report, with a stack trace.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for n in "${SUITES[@]}"; do
	t=${SUITE_FILE[$n]}
	only=$(selected "$n") || continue
	case $t in
	# Scripts take no -t: they read T_ONLY (t_run in tests/lib/check.sh).
	*.sh) run_suite "$n" "$only" env T_ONLY="$only" bash "$t" ;;
	*) run_suite "$n" "$only" "$t" ${only:+-t "$only"} ;;
	esac
done

[ "$ran" -gt 0 ] || echo "no suite matched: ${FILTERS[*]}" >&2
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
