#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Forged replies from the upstream side never steer a breaker; real ones do.
#
#   client ns                 gateway ns (ip_forward=1)               upstream ns
#   $IF_C 198.18.1.2 ── veth ── $IF_GC 198.18.1.1 | $IF_GU 198.18.2.1 ── veth ── $IF_U 198.18.2.10
#                             floodgated (attaches both)                http_upstream.py :80
#                                                                       forge_tcp (raw socket)
#
# floodgated: tick 100 ms, 5 consecutive failures open, a TCP probe every
# 200 ms (its replies must count neither way in the datapath; its passes are
# not breaker successes, so only the clients' answers decide), textfile
# every 200 ms.
# Checks:
#  1. forge_tcp in the upstream namespace sends, from web's address and port,
#     $NFORGE 'HTTP/1.1 503' segments to client ports nobody uses (today's
#     attack: five of them opened the breaker), $NSA SYN-ACKs answering no
#     SYN and $NRST RST-ACKs; then $NGUESS 503s with random sequence numbers
#     at the port of a real client connection that sent no request. All are
#     seen (replies ignored counter, polled) and none counted: no 5xx, no
#     SYN-ACK, no refusal, no probe reply, and the breaker stays closed for
#     $HOLD_MS (polled throughout: no transition in the map or the log).
#  2. the textfile shows the ignored replies and the flow table's metrics.
#  3. web really answers 503: client GETs open the breaker.
# The steps and what each needs: CHECKS at the bottom.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/proc.sh"
. "$HERE/../lib/gateway.sh"

TAG=fgfo$$
gw_names "$TAG"
PIN=/sys/fs/bpf/fgfo-$$
PORT=80
NFAIL=5
NFORGE=50 NSA=20 NRST=20 NGUESS=10
HOLD_MS=1500 # 15 ticks: any failure the daemon took from the forgeries would show

FORGE=$FG_TOOLS/forge_tcp
TMP="" DLOG="" DPID="" SRV_PID="" HOLDER_PID=""

note() { echo "  $*" >&2; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	gw_cleanup "$DPID" "$HOLDER_PID" "$SRV_PID"
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cns() { nsenter --net=/run/netns/"$NS_C" "$@"; }
uns() { nsenter --net=/run/netns/"$NS_U" "$@"; }
fgate() { "$FG" "$@" --pin-dir "$PIN"; }
cget() {
	cns curl -s -o /dev/null -w '%{http_code}' --http1.0 -H 'Connection: close' \
		--connect-timeout 2 --max-time 3 "http://$U4:$PORT/"
}
# The web upstream's counters and state, from one `upstream list --json`.
snap() { L=$(fgate upstream list --json 2>/dev/null); }
cnt() { jq -r --arg c "$1" '.upstreams[] | select(.name == "web") | .counters[$c]' <<<"$L"; }
state() { jq -r '.upstreams[] | select(.name == "web") | .state' <<<"$L"; }
seen() { echo "state=$(state) ignored=$(cnt ignored) syn_ack=$(cnt syn_ack) rst=$(cnt rst) http_2xx=$(cnt http_2xx) http_5xx=$(cnt http_5xx)"; }
# metric SAMPLE: a sample's value from the textfile ('' if none).
metric() { awk -v s="$1" '$1 == s { print $2 }' "$TMP/textfile/floodgate.prom" 2>/dev/null; }
not() { ! "$@"; }

# For t_poll: LAST keeps what was last seen.
ignored_at_least() { snap && LAST=$(seen) && [ "$(cnt ignored)" -ge "$1" ]; }
# Fails (ends the hold) at the first poll that is not closed with nothing counted.
not_closed_or_counted() {
	snap && LAST=$(seen)
	[ "$(state)" != closed ] || [ "$(cnt http_5xx)" != 0 ] || [ "$(cnt syn_ack)" != "$1" ] ||
		[ "$(cnt rst)" != 0 ] || [ "$(cnt http_2xx)" != 0 ]
}
is_open() { snap && LAST=$(seen) && [ "$(state)" = open ]; }
metric_at_least() { MSEEN=$(metric "$1") && [ -n "$MSEEN" ] && [ "${MSEEN%.*}" -ge "$2" ]; }
holder_port() { HPORT=$(head -n 1 "$TMP/holder" 2>/dev/null) && [ -n "$HPORT" ]; }

setup() {
	local x
	for x in "$FG" "$FGD" "$FORGE" "$SRV" "$PY"; do
		[ -e "$x" ] || { echo "missing $x (run make)" >&2; return 1; }
	done
	for x in curl jq nsenter; do
		command -v "$x" >/dev/null || { echo "missing $x (make deps)" >&2; return 1; }
	done
	TMP=$(mktemp -d /tmp/fgfo.XXXXXX) || return 1
	DLOG=$TMP/floodgated.log
	: >"$DLOG"
	mkdir -p "$TMP/textfile"
	export FLOODGATE_SOCKET=$TMP/floodgated.sock
	gw_setup || return 1
	echo 200 >"$TMP/status"
	gw_http SRV_PID "$U4" "$TMP/status" "$TMP/requests" || return 1
	gw_daemon_conf 100ms 1s 200ms "$TMP/floodgated.sock" >"$TMP/floodgated.conf"
	cat >>"$TMP/floodgated.conf" <<-EOF
		[defaults]
		reject = drop
		consecutive_failures = $NFAIL
		failure_rate = 0
		open_timeout = 30s
		open_jitter = 0
		connect_timeout = 1s

		[upstream web]
		address = $U4:$PORT
		probe = tcp
		interval = 200ms
		jitter = 0
		timeout = 150ms
		; A probe's pass is no breaker success here: a TCP connect to a
		; server answering 503 passes, and one between two client 503s
		; would reset the count that check 3 needs to reach.
		success_classes = 2xx, 3xx, syn_ack
	EOF
	nsenter --net=/run/netns/"$NS_G" "$FGD" -c "$TMP/floodgated.conf" -v >>"$DLOG" 2>&1 &
	DPID=$!
	t_poll 5000 gw_daemon_running || { echo "floodgated did not start: $(tail -n 5 "$DLOG")" >&2; return 1; }
	snap
	[ "$(state)" = closed ] || { echo "web not closed at start: $(seen)" >&2; return 1; }
}

WANT=$((NFORGE + NSA + NGUESS)) # forged replies that are seen: all but the RSTs

setup_daemon() {
	if ! setup; then
		t_fail setup "could not build the topology or start floodgated"
		t_exit
	fi
	t_ok setup
}

# 1. Forgeries.
check_probes_run() {
	# Probes must have run (their SYN-ACKs and connects are what must not count).
	t_poll 3000 grep -q 'probe pass' "$DLOG"
	t_check probes_run "no probe passed in 3 s" grep -q 'probe pass' "$DLOG"
	snap
	IGN0=$(cnt ignored) SA0=$(cnt syn_ack)
	t_check nothing_counted_before "before forging: $(seen) (want syn_ack 0: probes only)" [ "$SA0" = 0 ]
}

# The forgeries, and every forged status line and SYN-ACK seen (the RSTs
# answer no SYN: not even suspicious).
setup_forgeries() {
	ok=1
	uns "$FORGE" -n $NFORGE -g 200 -p 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n' \
		"$U4" $PORT "$C4" 41000 >"$TMP/forge.1" 2>&1 || ok=0
	uns "$FORGE" -n $NSA -g 200 -f SA "$U4" $PORT "$C4" 42000 >"$TMP/forge.2" 2>&1 || ok=0
	uns "$FORGE" -n $NRST -g 200 -f RA "$U4" $PORT "$C4" 43000 >"$TMP/forge.3" 2>&1 || ok=0
	# A real connection that sends no request: forged 503s at its port, seq
	# guessed. It closes as soon as they are sent (file done, at most 3 s): the
	# upstream serves one connection at a time, and the probes queue behind it.
	# nsenter execs python: $! is the holder itself.
	nsenter --net=/run/netns/"$NS_C" "$PY" -c '
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
print(s.getsockname()[1], flush=True)
end = time.monotonic() + 3
while not os.path.exists(sys.argv[3]) and time.monotonic() < end:
    time.sleep(0.01)
' "$U4" $PORT "$TMP/forge.done" >"$TMP/holder" 2>&1 &
	HOLDER_PID=$!
	if t_poll 3000 holder_port; then
		uns "$FORGE" -n $NGUESS -k -g 200 -p 'HTTP/1.1 503 Service Unavailable\r\n\r\n' \
			"$U4" $PORT "$C4" "$HPORT" >"$TMP/forge.4" 2>&1 || ok=0
		touch "$TMP/forge.done"
	else
		ok=0
	fi
	t_check forgeries_sent "forge_tcp: $(cat "$TMP"/forge.* 2>&1 | tr '\n' ' '); holder: $(cat "$TMP/holder")" [ $ok = 1 ]

	t_poll 3000 ignored_at_least $((IGN0 + WANT))
	t_is $? forged_seen_not_counted "after $POLL_MS ms: $LAST (want ignored >= $((IGN0 + WANT)))"
}

# The holder's SYN-ACK is the one success; nothing else may count, and the
# breaker must not move, for the whole hold.
check_hold() {
	snap
	SA1=$(cnt syn_ack)
	t_poll "$HOLD_MS" not_closed_or_counted "$SA1"
	held=$?
	t_is $((!held)) breaker_stays_closed "after $POLL_MS of $HOLD_MS ms: $LAST (want closed, 5xx 0, syn_ack $SA1 (the holder's), rst 0, 2xx 0)"
	t_check syn_ack_only_real "syn_ack $SA1 (want 1: the holder's connection)" [ "$SA1" = 1 ]
	t_check no_transition_logged "$(grep -- '->' "$DLOG" | tail -n 3)" not grep -q 'closed -> open' "$DLOG"
	t_poll 3000 not alive "$HOLDER_PID"
	stop_pid "$HOLDER_PID"
	HOLDER_PID=""
}

# 2. The textfile.
check_textfile() {
	t_poll 2000 metric_at_least 'floodgate_upstream_replies_ignored_total{upstream="web"}' $((IGN0 + WANT))
	t_is $? textfile_ignored "floodgate_upstream_replies_ignored_total: '$MSEEN' (want >= $((IGN0 + WANT)))"
	t_poll 2000 metric_at_least floodgate_flow_inserts_total 2
	t_is $? textfile_flow_inserts "floodgate_flow_inserts_total: '$MSEEN' (want >= 2: the holder and probes)"
	MSEEN=$(metric floodgate_flow_capacity)
	t_check textfile_flow_capacity "floodgate_flow_capacity: '$MSEEN'" [ "$MSEEN" = 65536 ]
	t_check textfile_flow_untracked "$(grep flow_untracked "$TMP/textfile/floodgate.prom")" \
		grep -q '^floodgate_flow_untracked_segments_total [0-9]' "$TMP/textfile/floodgate.prom"
}

# 3. Real 503s still open it.
check_real_503() {
	echo 503 >"$TMP/status"
	got=""
	for ((i = 0; i < 2 * NFAIL; i++)); do
		got="$got $(cget)"
		[ $i -ge $((NFAIL - 1)) ] && t_poll 300 is_open && break
	done
	t_poll 1000 is_open
	t_is $? real_503_opens "client saw:$got; then $LAST (want open after $NFAIL 503s)"
	t_check real_503_counted "$LAST (want http_5xx >= $NFAIL)" [ "$(cnt http_5xx)" -ge "$NFAIL" ]
	t_check opened_by_failures "log: $(grep -- '->' "$DLOG" | tail -n 2)" grep -q 'closed -> open (consecutive_failures)' "$DLOG"
}

# step                | needs            | checks it reports
CHECKS=(
	"setup_daemon        |                  | setup"
	"check_probes_run    | setup_daemon     | probes_run nothing_counted_before"
	"setup_forgeries     | check_probes_run | forgeries_sent forged_seen_not_counted"
	"check_hold          | setup_forgeries  | breaker_stays_closed syn_ack_only_real no_transition_logged"
	"check_textfile      | setup_forgeries  | textfile_ignored textfile_flow_inserts textfile_flow_capacity textfile_flow_untracked"
	"check_real_503      | setup_daemon     | real_503_opens real_503_counted opened_by_failures"
)
t_run
