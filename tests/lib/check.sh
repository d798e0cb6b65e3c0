# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Checks for shell tests: report each with t_ok NAME / t_fail NAME WHY /
# t_skip NAME WHY (or t_check, t_is), which print the same
# `#N name:OK|FAIL|SKIP` lines as the C tests, counted by tests/run.sh; wait
# for anything asynchronous with t_poll; run a script's checks with t_run.

[ -n "${FG_LIB_CHECK:-}" ] && return 0 # sourced once: the counts stay
FG_LIB_CHECK=1
FG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FG=${FG:-$FG_ROOT/build/floodgate}
FG_TOOLS=$FG_ROOT/build/tests
# floodgated, and what the netns scripts and the demo share to run it.
FGD=$FG_ROOT/build/floodgated
CT=$FG_TOOLS/connect_time
XDP_PASS_OBJ=$FG_ROOT/build/tests/xdp_pass.bpf.o
SRV=$FG_ROOT/tests/tools/http_upstream.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
T_N=0
T_FAILED=0
T_RUN="" T_STEP="" # t_run is in charge; the step it runs now

# T_ONLY (set by tests/run.sh -t SUITE/TEST): only the checks it selects
# are reported, and t_run runs only the steps they need (see t_run).
# t_sel NAME: NAME is reported (without t_run: each name containing T_ONLY).
t_sel() {
	[ -z "${T_ONLY:-}" ] && return 0
	if [ -n "$T_RUN" ]; then [[ "$T_PICKED " == *" $1 "* ]]; else [[ "$1" == *"$T_ONLY"* ]]; fi
}
t_ok() { t_report "$1" OK; }
t_fail() { t_report "$1" FAIL "$2"; }
t_skip() { t_report "$1" "SKIP ($2)"; }
# t_report NAME RESULT [WHY]: one line, if NAME is reported. A failure not
# reported (a step that a selected check stands on) still says why on
# stderr, which tests/run.sh shows when the selected check did not run.
t_report() {
	t_declared "$1"
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

# t_run: runs the steps listed in the array CHECKS, in its order, then
# t_exit. A step is a function: a setup (namespaces, attach, a daemon) or a
# check, or a few checks that look at the same thing. Each entry reads
#   "FUNCTION | NEEDS... | NAMES..."
# NEEDS: the steps listed before it that it stands on (each with its own
# needs); NAMES: every check it reports, the failures that end the run
# included. A step that cannot go on ends the run (t_fail, t_exit); the
# EXIT trap cleans up. With T_ONLY set, T_ONLY picks
#   a step's function name   every check of that step,
#   a check's exact name     that check,
#   anything else            every check whose name contains it,
# and only the steps that report them run, each after what it needs. A step
# that reports a name its entry does not list fails the run, so that every
# name reaches its step.
declare -A T_NEEDS=() T_NAMES=()
T_STEPS=() T_PICKED=""
t_run() {
	local e f needs names s n
	local -A run=()
	T_RUN=1
	for e in "${CHECKS[@]}"; do
		IFS='|' read -r f needs names <<<"$e"
		read -r f <<<"$f"
		declare -F "$f" >/dev/null || { echo "t_run: no function '$f'" >&2; exit 1; }
		for s in $needs; do
			[ -n "${T_NAMES[$s]+set}" ] || { echo "t_run: $f needs '$s', no step before it" >&2; exit 1; }
		done
		T_STEPS+=("$f")
		T_NEEDS[$f]=$(echo $needs) T_NAMES[$f]=$(echo $names)
	done
	if [ -z "${T_ONLY:-}" ]; then
		for f in "${T_STEPS[@]}"; do run[$f]=1; done
	elif [ -n "${T_NAMES[$T_ONLY]+set}" ]; then
		T_PICKED=" ${T_NAMES[$T_ONLY]}"
		t_need "$T_ONLY"
	else
		t_pick exact
		[ -n "$T_PICKED" ] || t_pick part
	fi
	if [ -n "${T_ONLY:-}" ]; then
		n=""
		for f in "${T_STEPS[@]}"; do [ -n "${run[$f]:-}" ] && n+=" $f"; done
		echo "  t_run: '$T_ONLY' picks${T_PICKED:- nothing}; steps:${n:- none}" >&2
	fi
	for f in "${T_STEPS[@]}"; do
		[ -n "${run[$f]:-}" ] || continue
		T_STEP=$f
		"$f"
	done
	T_STEP=""
	t_exit
}
# t_pick exact|part: the checks named T_ONLY, or whose name contains it,
# go to T_PICKED, and their steps run.
t_pick() {
	local f n
	for f in "${T_STEPS[@]}"; do
		for n in ${T_NAMES[$f]}; do
			if [ "$1" = exact ]; then [ "$n" = "$T_ONLY" ]; else [[ "$n" == *"$T_ONLY"* ]]; fi &&
				T_PICKED+=" $n" && t_need "$f"
		done
	done
}
# t_need STEP: STEP runs, and before it what it needs (run[] of t_run).
t_need() {
	local s
	[ -n "${run[$1]:-}" ] && return 0
	run[$1]=1
	for s in ${T_NEEDS[$1]}; do t_need "$s"; done
}
# t_declared NAME: the step running now lists NAME (outside t_run: any).
t_declared() {
	[ -z "$T_STEP" ] && return 0
	[[ " ${T_NAMES[$T_STEP]} " == *" $1 "* ]] && return 0
	echo "  t_run: step $T_STEP reports '$1', which its CHECKS entry does not list" >&2
	T_FAILED=1
}
