# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Checks for shell tests: report each with t_ok NAME / t_fail NAME WHY /
# t_skip NAME WHY (or t_check, t_is), which print the same
# `#N name:OK|FAIL|SKIP` lines as the C tests, counted by tests/run.sh; wait
# for anything asynchronous with t_poll.

[ -n "${FG_LIB_CHECK:-}" ] && return 0 # sourced once: the counts stay
FG_LIB_CHECK=1
FG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FG=${FG:-$FG_ROOT/build/floodgate}
FG_TOOLS=$FG_ROOT/build/tests
T_N=0
T_FAILED=0

# T_ONLY (set by tests/run.sh -t SUITE/TEST): report only checks whose name
# contains it. A script still runs its whole sequence, since later checks
# stand on earlier ones; the others are neither printed nor counted.
# t_sel NAME: NAME is reported: it contains T_ONLY.
t_sel() { [ -z "${T_ONLY:-}" ] || [[ "$1" == *"$T_ONLY"* ]]; }
t_ok() { t_report "$1" OK; }
t_fail() { t_report "$1" FAIL "$2"; }
t_skip() { t_report "$1" "SKIP ($2)"; }
# t_report NAME RESULT [WHY]: one line, if NAME is reported. A failure not
# reported still says why on stderr, which tests/run.sh shows when the
# selected check did not run.
t_report() {
	if ! t_sel "$1"; then
		[ "$2" = FAIL ] && echo "  ($1, not selected: $3)" >&2
		return 0
	fi
	T_N=$((T_N + 1))
	if [ "$2" = FAIL ]; then
		T_FAILED=1
		echo "  $1: $3" >&2
	fi
	echo "#$T_N $1:$2"
}
# t_check NAME WHY-IF-FAILED COMMAND...: runs the command, reports the result.
t_check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then t_ok "$name"; else t_fail "$name" "$why"; fi
}
# t_is STATUS NAME WHY: report a condition evaluated just before (for
# conditions joined with && or ||, which t_check cannot take).
t_is() { if [ "$1" = 0 ]; then t_ok "$2"; else t_fail "$2" "$3"; fi; }
t_exit() { exit $T_FAILED; }

# t_poll MAX_MS COMMAND...: run COMMAND every ~20 ms until it succeeds or
# MAX_MS have passed (it runs once more at the deadline); returns its last
# status and sets POLL_MS to the time taken. For anything asynchronous (a
# map write, a log line, a rewritten file, a scrape): COMMAND keeps what it
# saw in a variable of its own, so the failure message can print it.
t_poll() {
	local max_us=$(($1 * 1000)) start=${EPOCHREALTIME/./} now
	shift
	while :; do
		now=${EPOCHREALTIME/./}
		if "$@"; then
			POLL_MS=$(((now - start) / 1000))
			return 0
		fi
		if [ $((now - start)) -ge "$max_us" ]; then
			POLL_MS=$(((now - start) / 1000))
			return 1
		fi
		sleep 0.02
	done
}
