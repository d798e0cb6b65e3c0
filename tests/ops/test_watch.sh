#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# floodgate top --watch and stats --watch, in a real terminal: a tmux
# server of the test's own (its own socket, killed at the end, no other)
# runs them in panes while a limited source floods the gateway of the
# two-namespace topology (tests/lib/netns.sh). capture-pane is polled until
# the rates read non-zero; then q, Ctrl-C or SIGTERM ends the view, and the
# pane's own `stty -a` says whether the terminal is back in canonical mode
# with echo. Also: the frames fit the window (cut, never wrapped or
# scrolled), the view sleeps between refreshes (no busy loop), piped output
# carries no escape byte, and bad --interval values are refused.
# The steps and what each needs: CHECKS at the bottom.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/netns.sh"

SRC=198.18.0.11
RATE=200
TSOCK=fgwatch-$$ # tmux -L: the server of this run alone
FLOOD_SECS=40    # at most (the polls of a step, back to back); stopped by its step

tm() { tmux -L "$TSOCK" -f /dev/null "$@"; }

TSOCK_PATH="" # the socket's file, which kill-server leaves behind
cleanup() {
	local rc=$?
	tm kill-server 2>/dev/null
	[ -n "$TSOCK_PATH" ] && rm -f -- "$TSOCK_PATH"
	ns_cleanup
	return $rc
}

setup_ns() {
	if ! ns_setup || ! ns_client_addr "$SRC/24"; then
		t_fail setup "could not build the namespace topology"
		t_exit
	fi
	trap cleanup EXIT
	t_ok setup
}

setup_attach() {
	local out
	if ! out=$(fg_gw attach "$IF_GW" --xdp-mode native 2>&1); then
		t_fail attach "floodgate attach $IF_GW: $out"
		t_exit
	fi
	t_ok attach
	out=$(fgate limit set 0.0.0.0/0 "$RATE/s" --burst 10 2>&1)
	t_is $? policies_set "floodgate limit set: $out"
}

# pane_run SESSION FILE floodgate-args...: in the pane, a script that runs
# the view (its PID, kept by exec, into FILE.pid), then prints its exit code
# and the terminal's modes as the view left them: RC=N, MODES=icanon,echo,
pane_run() {
	local s=$1 f=$2
	shift 2
	cat >"$f.sh" <<-EOF
		bash -c 'echo \$\$ >"\$0"; exec "\$@"' "$f.pid" "$FG" $* --pin-dir "$FG_PIN_DIR"
		echo "RC=\$?"
		echo "MODES=\$(stty -a | tr ' ;' '\\n\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ,)"
	EOF
	tm send-keys -t "$s" "bash $f.sh" Enter
}

setup_tmux() {
	cat >"$NS_TMP/rc" <<-'EOF'
		PS1='$ '
	EOF
	if tm new-session -d -s top -x 100 -y 30 "bash --noprofile --rcfile $NS_TMP/rc" &&
		TSOCK_PATH=$(tm display-message -p '#{socket_path}') &&
		tm new-session -d -s stats -x 50 -y 20 "bash --noprofile --rcfile $NS_TMP/rc" &&
		tm new-session -d -s term -x 100 -y 30 "bash --noprofile --rcfile $NS_TMP/rc"; then
		t_ok tmux_server
	else
		t_fail tmux_server "tmux -L $TSOCK new-session failed"
		t_exit
	fi
}

# A bounded flood from the limited source: 1000 pps, FLOOD_SECS at most.
flood_start() {
	ns_bg "$NS_CLI" "$FG_TOOLS/udpflood" -s "$SRC" -d "$GW4" -p 9000 -r 1000 \
		-n $((1000 * FLOOD_SECS)) -t "$FLOOD_SECS" >/dev/null
	FLOOD_PID=$NS_LAST_PID
}
flood_stop() { stop_pid "$FLOOD_PID"; }

# What the pane shows, wrapped lines joined (so a line wider than the
# window shows as one).
pane() { tm capture-pane -p -J -t "$1"; }
# pane_has SESSION ERE: the pane shows a line matching ERE (last seen: SEEN).
pane_has() { SEEN=$(pane "$1"); grep -qE -- "$2" <<<"$SEEN"; }
# A rate other than 0 or -: 12, 1.2k, 3.45M.
NZ='[1-9][0-9.]*[kM]?'

# near_limit SESSION AWK: the number AWK prints from the pane (last seen:
# SEEN, RATE_SEEN) is the limit, RATE/s, +-25%: a refresh's rate is its
# counter's growth over the time between two readings.
near_limit() {
	SEEN=$(pane "$1")
	RATE_SEEN=$(awk "$2" <<<"$SEEN" | tail -1)
	[[ $RATE_SEEN =~ ^[0-9]+$ ]] && [ "$RATE_SEEN" -ge $((RATE * 3 / 4)) ] &&
		[ "$RATE_SEEN" -le $((RATE * 5 / 4)) ]
}

# The view's CPU time (utime + stime, ticks) from its /proc stat.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
# view_pid FILE: the PID the pane wrote, if it is a floodgate on our pin dir.
view_pid() {
	local p
	p=$(cat "$1.pid" 2>/dev/null) && [ -n "$p" ] &&
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$FG_PIN_DIR" && echo "$p"
}

# The pane's RC= and MODES= lines after the view ended: exit code WANT,
# icanon and echo both on.
#   ended SESSION CHECK_EXIT CHECK_TERM WANT
ended() {
	local s=$1 rc
	t_poll 10000 pane_has "$s" '^MODES='
	rc=$(sed -n 's/^RC=//p' <<<"$SEEN" | tail -1)
	t_check "$2" "exit code '$rc', want $4; pane: $(tail -5 <<<"$SEEN" | tr '\n' '|')" [ "$rc" = "$4" ]
	t_check "$3" "modes after it: '$(sed -n 's/^MODES=//p' <<<"$SEEN")', want icanon,echo," \
		grep -qx 'MODES=icanon,echo,' <<<"$SEEN"
}

check_bad_input() {
	local v name out rc
	for v in zero:0 negative:-1 junk:junk absurd:2h too_fast:50ms; do
		name=${v%%:*}
		out=$("$FG" stats --watch --interval "${v#*:}" --pin-dir "$FG_PIN_DIR" 2>&1)
		rc=$?
		[ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] && [[ $out == *"--interval '${v#*:}'"* ]]
		t_is $? "interval_${name}_refused" "--interval ${v#*:}: exit $rc, '$out'"
	done
	out=$("$FG" top --count 2 --pin-dir "$FG_PIN_DIR" 2>&1)
	rc=$?
	[ $rc = 1 ] && [[ $out == *"--count needs --watch"* ]]
	t_is $? count_needs_watch "top --count 2: exit $rc, '$out'"
	out=$("$FG" stats --watch --json --pin-dir "$FG_PIN_DIR" 2>&1)
	rc=$?
	[ $rc = 1 ] && [[ $out == *--watch* ]]
	t_is $? watch_json_refused "stats --watch --json: exit $rc, '$out'"
}

# narrow COLS: the stats pane shows its title on top and no line wider.
narrow() {
	SEEN=$(pane stats)
	grep -q '^floodgate stats - ' <<<"$(head -1 <<<"$SEEN")" && [ -z "$(awk -v c="$1" 'length > c' <<<"$SEEN")" ]
}

# Not a terminal: plain frames, one after the other, and --count ends it.
check_plain() {
	local out rc frames
	out=$("$FG" stats --watch --count 2 --interval 200ms --pin-dir "$FG_PIN_DIR" | od -An -c)
	rc=${PIPESTATUS[0]}
	t_check plain_exit_0 "stats --watch --count 2 | ...: exit $rc" [ "$rc" = 0 ]
	t_check plain_no_escapes "escape bytes in piped output: $(grep -c '033' <<<"$out") lines" \
		[ -z "$(grep '033' <<<"$out")" ]
	frames=$("$FG" top --watch --count 3 --interval 100ms --pin-dir "$FG_PIN_DIR" |
		grep -c '^floodgate top - ')
	t_check plain_frames_counted "top --watch --count 3 printed $frames frames" [ "$frames" = 3 ]
}

# top --watch in a 100x30 pane: its pass and drop rates and the source's
# PASS/S turn non-zero, it sleeps between frames, q ends it with 0.
check_top_tty() {
	local f=$NS_TMP/top pid c0 c1 t0 t1
	flood_start
	pane_run top "$f" top --watch --interval 500ms
	t_poll 15000 pane_has top "^pass $NZ/s, drop $NZ/s; 1 source under pressure" &&
		t_poll 5000 pane_has top "^$SRC +$RATE/s .* $NZ\$"
	t_is $? top_rates_nonzero "after ${POLL_MS} ms the pane shows: $(tr '\n' '|' <<<"$SEEN")"
	# The source is offered 5x its limit: it passes RATE/s, which PASS/S
	# (from its bucket) and the datapath's pass rate (from the counters) say.
	t_poll 10000 near_limit top "\$1 == \"$SRC\" { print \$NF }"
	t_is $? top_pass_rate_is_the_limit "PASS/S of $SRC: last '$RATE_SEEN', want $RATE/s +-25%"
	t_poll 10000 near_limit top '/^pass / { sub(/\/s,.*/, "", $2); print $2 }'
	t_is $? top_datapath_rate_is_the_limit "pass rate: last '$RATE_SEEN', want $RATE/s +-25%"
	pid=$(view_pid "$f")
	c0=$(cpu_ticks "$pid") t0=${EPOCHREALTIME/./}
	sleep 2 # a span to measure CPU over, not a wait for an effect
	c1=$(cpu_ticks "$pid") t1=${EPOCHREALTIME/./}
	# A busy loop would burn the whole span; a refresh every 500 ms, ~nothing.
	[ -n "$pid" ] && [ -n "$c1" ] && [ $(((c1 - c0) * 10 * 4)) -lt $(((t1 - t0) / 1000)) ]
	t_is $? top_no_busy_loop "pid '$pid': $((c1 - c0)) ticks (10 ms) of CPU in $(((t1 - t0) / 1000)) ms"
	tm send-keys -t top q
	ended top top_q_exits_0 top_q_terminal_restored 0
	flood_stop
}

# stats --watch in a 50x20 pane, narrower and shorter than its frame: the
# rates turn non-zero, every line is cut to 50 columns, the title stays on
# the first row (nothing scrolled), Ctrl-C ends it with 0.
check_stats_tty() {
	local f=$NS_TMP/stats long
	flood_start
	pane_run stats "$f" stats --watch --interval 500ms
	t_poll 15000 pane_has stats "^pass $NZ/s, drop $NZ/s"
	t_is $? stats_rates_nonzero "after ${POLL_MS} ms the pane shows: $(tr '\n' '|' <<<"$SEEN")"
	long=$(awk 'length > 50' <<<"$SEEN")
	t_check stats_fits_width "lines wider than the 50-column pane: '$long'" [ -z "$long" ]
	t_check stats_fits_height "first row '$(head -1 <<<"$SEEN")', want the title (no scroll)" \
		grep -q '^floodgate stats - ' <<<"$(head -1 <<<"$SEEN")"
	# Narrower still: SIGWINCH, and the view cuts its lines to the new width.
	tm resize-window -t stats -x 40 -y 20
	t_poll 5000 narrow 40
	t_is $? stats_follows_resize "after resizing to 40 columns, lines wider: '$(awk 'length > 40' <<<"$SEEN")'"
	tm send-keys -t stats C-c
	ended stats stats_ctrl_c_exits_0 stats_ctrl_c_terminal_restored 0
	flood_stop
}

# SIGTERM from outside: the view restores the terminal, then dies of it
# (exit 143 to its shell).
check_sigterm() {
	local f=$NS_TMP/term pid
	pane_run term "$f" stats --watch
	t_poll 10000 pane_has term '^floodgate stats - '
	pid=$(view_pid "$f")
	if [ -n "$pid" ]; then
		kill -TERM "$pid"
	fi
	ended term sigterm_kills_it sigterm_terminal_restored 143
}

CHECKS=(
	"setup_ns        |                        | setup"
	"setup_attach    | setup_ns               | attach policies_set"
	"setup_tmux      | setup_ns               | tmux_server"
	"check_bad_input | setup_ns               | interval_zero_refused interval_negative_refused interval_junk_refused interval_absurd_refused interval_too_fast_refused count_needs_watch watch_json_refused"
	"check_plain     | setup_attach           | plain_exit_0 plain_no_escapes plain_frames_counted"
	"check_top_tty   | setup_attach setup_tmux | top_rates_nonzero top_pass_rate_is_the_limit top_datapath_rate_is_the_limit top_no_busy_loop top_q_exits_0 top_q_terminal_restored"
	"check_stats_tty | setup_attach setup_tmux | stats_rates_nonzero stats_fits_width stats_fits_height stats_follows_resize stats_ctrl_c_exits_0 stats_ctrl_c_terminal_restored"
	"check_sigterm   | setup_attach setup_tmux | sigterm_kills_it sigterm_terminal_restored"
)
t_run
