# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Shared helpers for shell tests. Source it; then report each check with
# t_ok NAME / t_fail NAME WHY / t_skip NAME WHY, which print the same
# `#N name:OK|FAIL|SKIP` lines as the C tests, counted by tests/run.sh.

# Sourced once: a second source (through lib_gw.sh or lib_netns.sh) must not
# reset the counts.
[ -n "${FG_LIB_SOURCED:-}" ] && return 0
FG_LIB_SOURCED=1
FG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FG=${FG:-$FG_ROOT/build/floodgate}
FG_TOOLS=$FG_ROOT/build/tests
T_N=0
T_FAILED=0

# T_ONLY (set by tests/run.sh -t SUITE/TEST): report only checks whose name
# contains it. A script still runs its whole sequence, since later checks
# stand on earlier ones; the others are neither printed nor counted.
t_sel()  { [ -z "${T_ONLY:-}" ] || [[ "$1" == *"$T_ONLY"* ]]; }
t_ok()   { t_sel "$1" || return 0; T_N=$((T_N + 1)); echo "#$T_N $1:OK"; }
t_fail() {
	t_sel "$1" || return 0
	T_N=$((T_N + 1)) T_FAILED=1
	echo "  $1: $2" >&2
	echo "#$T_N $1:FAIL"
}
t_skip() { t_sel "$1" || return 0; T_N=$((T_N + 1)); echo "#$T_N $1:SKIP ($2)"; }
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

# Process helpers. A test signals only the processes it started, by PID,
# and only while they are its children (never a reused PID).
# ours PID: a child of this shell. alive PID: one that has not exited.
ours() { [ -n "$1" ] && [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }
alive() { ours "$1" && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }
# stop_pid PID [SIG]: CONT (it may be stopped), SIG (TERM), up to 2 s, then
# KILL; reaps it.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	if ours "$pid"; then
		kill -CONT "$pid" 2>/dev/null
		kill -"${2:-TERM}" "$pid" 2>/dev/null
		for ((i = 0; i < 40; i++)); do
			alive "$pid" || break
			sleep 0.05
		done
		ours "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}
