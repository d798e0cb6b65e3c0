# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Processes a test started. A test signals only those, by PID, and only
# while they are its children (never a reused PID).

[ -n "${FG_LIB_PROC:-}" ] && return 0
FG_LIB_PROC=1

# ours PID: a child of this shell. alive PID: one that has not exited.
ours() { [ -n "$1" ] && [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ]; }
alive() { ours "$1" && [[ "$(ps -o stat= -p "$1" 2>/dev/null)" != Z* ]]; }
# gone PID: not alive (exited, or a zombie waiting to be reaped): for t_poll.
gone() { ! alive "$1"; }
# stop_pid PID [SIG]: CONT (it may be stopped), SIG (TERM), up to 2 s, then
# KILL; reaps it.
stop_pid() { stop_pids -"${2:-TERM}" "$1"; }
# stop_pids [-SIG] PID...: the same for several at once, one 2 s grace for
# all of them. Empty PIDs are skipped.
stop_pids() {
	local sig=TERM p i left
	[[ "${1:-}" == -* ]] && sig=${1#-} && shift
	for p in "$@"; do
		ours "$p" || continue
		kill -CONT "$p" 2>/dev/null
		kill -"$sig" "$p" 2>/dev/null
	done
	for ((i = 0; i < 40; i++)); do
		left=0
		for p in "$@"; do alive "$p" && left=1 && break; done
		[ $left = 0 ] && break
		sleep 0.05
	done
	for p in "$@"; do
		[ -n "$p" ] || continue
		ours "$p" && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	return 0
}
