#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# make demo: floodgate limiting a flooding client while a polite one is served,
# then floodgated running the circuit breaker of a real HTTP upstream.
#
# Part 1: two network namespaces joined by a veth pair: a client side with two
# source addresses, and a gateway side where floodgate's XDP program guards the
# veth and a UDP receiver counts what arrives per source.
# Part 2: a third namespace behind the gateway (which forwards) runs an HTTP
# server that turns healthy -> 503 -> down -> healthy; floodgated, the
# controller, opens its breaker, the client is refused in microseconds, and
# the breaker half-opens, probes and closes again, while the rate limit of
# part 1 keeps holding the flooder.
#
# Everything lives in namespaces, temp dirs and a private pin dir created for
# this run and removed on exit, Ctrl-C included; an installed floodgate
# (/sys/fs/bpf/floodgate, /run/floodgate) is never touched. About 20 seconds.
#
# The script runs as a supervisor that starts itself again as the demo proper
# and cleans up after it, however it ends (see tests/lib/demo.sh).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NS_TAG=${FGDEMO_TAG:-fgd$$}
NS_PIN_DIR=${FGDEMO_PIN:-/sys/fs/bpf/fgdemo-$$}
. "$ROOT/tests/lib/check.sh" # t_poll
. "$ROOT/tests/lib/netns.sh"
. "$ROOT/tests/lib/demo.sh"

RATE=100
BURST=20
SECS=5
PORT=9000
POLITE=198.18.0.10
POLITE_PPS=50
FLOODER=198.18.0.20
FLOOD_PPS=2000

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' R=$'\e[31m' Y=$'\e[33m' N=$'\e[0m'
else
	B="" D="" G="" R="" Y="" N=""
fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
# show CMD...: print a floodgate command the way a user would type it, run it.
show() {
	printf '%s$ floodgate %s%s\n' "$D" "$*" "$N"
	fgate "$@" | sed 's/^/  /'
	return "${PIPESTATUS[0]}"
}
# show_gw CMD...: the same, run inside the server namespace (attach, detach,
# and status, which asks the kernel about the interface there).
show_gw() {
	printf '%s$ floodgate %s%s\n' "$D" "$*" "$N"
	fg_gw "$@" | sed 's/^/  /'
	return "${PIPESTATUS[0]}"
}
die() { printf '%sdemo failed: %s%s\n' "$R" "$*" "$N" >&2; exit 1; }
kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
# received ADDR [FILE]: packets udpcount counted from ADDR.
received() { awk -v a="$1" '$1 == a { print $2; f = 1 } END { if (!f) print 0 }' "${2:-$NS_TMP/count}"; }

[ "$(id -u)" = 0 ] || die "run as root (BPF programs and network namespaces)"
[ -n "${FGDEMO_TMP:-}" ] || demo_supervise "$ROOT/tests/demo.sh" # does not return

cat <<EOF
${B}floodgate demo${N}, part 1: per-source rate limiting in XDP

  client namespace $NS_CLI            server namespace $NS_GW
    polite   $POLITE ──┐
                           ├── veth ──► $IF_GW $GW4 ──► UDP receiver :$PORT
    flooder  $FLOODER ──┘             [floodgate XDP]

  Limit: $RATE packets/s per source, burst $BURST. The polite client sends
  $POLITE_PPS/s, the flooder $FLOOD_PPS/s, both for $SECS seconds.
  Part 2 puts an HTTP upstream behind the gateway and lets floodgated, the
  controller, run its circuit breaker while the upstream fails and recovers.
  (pins in $FG_PIN_DIR, removed at the end)
EOF

step "1. Build the namespaces and the veth pair"
ns_setup || die "could not build the topology"
# The supervisor cleans up (it knows the temp dir from here on); this process
# keeps no traps.
echo "$NS_TMP" >"$DEMO_TMP/nstmp"
trap - EXIT INT TERM
ns_client_addr "$POLITE/24" && ns_client_addr "$FLOODER/24" || die "could not add addresses"
echo "  ok: $NS_CLI ($IF_CLI: $POLITE, $FLOODER) <-> $NS_GW ($IF_GW: $GW4)"

step "2. Attach floodgate to $IF_GW (inside $NS_GW)"
show_gw attach "$IF_GW" || die "attach failed"

step "3. Set the limit: every IPv4 source, $RATE/s with a burst of $BURST"
show limit set 0.0.0.0/0 "$RATE/s" --burst "$BURST" || die "limit set failed"
show limit list

step "4. Send for $SECS seconds: polite $POLITE_PPS/s and flooder $FLOOD_PPS/s at the same time"
demo_bg "$NS_GW" "$FG_TOOLS/udpcount" -b "$GW4" -p "$PORT" -t $((SECS + 10)) -i 1000 \
	-R "$NS_TMP/ready" >"$NS_TMP/count"
COUNT_PID=$NS_LAST_PID
ns_wait_file "$NS_TMP/ready" 5 || die "the UDP receiver did not start"
demo_bg "$NS_CLI" "$FG_TOOLS/udpflood" -s "$POLITE" -d "$GW4" -p "$PORT" -r "$POLITE_PPS" \
	-n $((POLITE_PPS * SECS)) -t $((SECS + 1)) >"$NS_TMP/polite"
P1=$NS_LAST_PID
demo_bg "$NS_CLI" "$FG_TOOLS/udpflood" -s "$FLOODER" -d "$GW4" -p "$PORT" -r "$FLOOD_PPS" \
	-n $((FLOOD_PPS * SECS)) -t $((SECS + 1)) >"$NS_TMP/flooder"
P2=$NS_LAST_PID
sleep 2.5
echo "  While the traffic runs, the sources closest to their limit:"
show top
wait "$P1" "$P2"
echo "  ...senders done; waiting for the last packets"
wait "$COUNT_PID"

step "5. What each client sent and what the server received"
printf '  %-9s %-13s %8s %8s %9s %10s  %s\n' CLIENT SOURCE OFFERED SENT RECEIVED DROPPED VERDICT
row() { # row NAME ADDR FILE PPS
	local sent el got exp verdict
	sent=$(kv "$3" sent) el=$(kv "$3" elapsed)
	got=$(received "$2")
	exp=$(awk -v r="$RATE" -v e="$el" -v b="$BURST" 'BEGIN { printf "%.0f", r * e + b }')
	if [ "$got" = "$sent" ]; then
		verdict="${G}all passed${N} (under the limit)"
	else
		verdict="${R}limited${N} to $RATE/s (expected $RATE/s x $(printf '%.2f' "$el") s + burst $BURST = $exp)"
	fi
	printf '  %-9s %-13s %6s/s %8s %9s %10s  %s\n' "$1" "$2" "$4" "$sent" "$got" \
		$((sent - got)) "$verdict"
}
row polite "$POLITE" "$NS_TMP/polite" "$POLITE_PPS"
row flooder "$FLOODER" "$NS_TMP/flooder" "$FLOOD_PPS"
drops=$(sed -n 's/.*sock_drops=\([0-9]*\).*/\1/p' "$NS_TMP/count")
[ "${drops:-0}" = 0 ] || echo "  (note: the receiver's socket dropped $drops packets itself)"

step "6. floodgate's own counters"
show stats
if STATS=$(fgate stats --json 2>/dev/null); then
	fgstat() { jq -r --arg r "$1" '.reasons[] | select(.reason == $r) | .packets' <<<"$STATS"; }
	pg=$(received "$POLITE") fr=$(received "$FLOODER")
	fs=$(kv "$NS_TMP/flooder" sent)
	echo "  limit_pass $(fgstat limit_pass) = $pg (polite) + $fr (flooder) received;" \
		"limit_drop $(fgstat limit_drop) = $((fs - fr)) dropped from the flooder"
	echo "  (non_ip: ARP and other non-IP frames, never touched; no_policy: packets no" \
		"prefix matched, here IPv6 link-local housekeeping)"
fi
echo
show_gw status

# --- Part 2: the circuit breaker, run by floodgated -------------------------------
OPEN_MS=2000   # open_timeout (x2 per re-open in a row)
PROBE_MS=250   # HTTP probe interval
NFAIL=5        # failures in a row that open the breaker
NCLOSE=2       # successes in half-open that close it
FLOOD2_PPS=1000
FLOOD2_MAX_S=30 # the background flooder's bound; stopped when the story ends

cat <<EOF

${B}Part 2: a circuit breaker for an HTTP upstream, run by floodgated${N}

  client $NS_CLI      gateway $NS_GW (forwards)              upstream $NS_UP
  $POLITE ──veth──► $GW4 [XDP] │ $GU4 [XDP+TC] ──veth──► $UP4:$UP_PORT (HTTP)
                      floodgated: breaker "api" for $UP4:$UP_PORT

  The server goes healthy -> 503 -> down -> healthy. floodgated opens the breaker
  after $NFAIL failures in a row; while it is open the gateway answers the client's
  SYN with a RST itself. After $OPEN_MS ms (doubled per re-open) it half-opens, and
  $NCLOSE passing probes close it. The flooder of part 1 keeps flooding all along.
EOF

step "7. Add the upstream namespace behind the gateway, with an HTTP server"
demo_upstream_setup || die "could not build the upstream namespace"
echo 200 >"$NS_TMP/status"
demo_server_start || die "could not start the HTTP server"
echo "  ok: $NS_GW forwards $NS_CLI <-> $NS_UP; http://$UP4/ answers 200"
echo "  (the client's veth runs a pass-all XDP program: veth hands floodgate's XDP_TX"
echo "   RSTs only to a peer that runs XDP too; a real NIC needs nothing of the kind)"
echo "  The upstream's replies come in through floodgate too; our own servers are not limited:"
show limit allow 198.18.2.0/24 || die "limit allow failed"

step "8. Start floodgated, the controller, with this config"
CONF=$NS_TMP/floodgated.conf
mkdir -p "$NS_TMP/textfile"
cat >"$CONF" <<EOF
[daemon]
; part 1's pins: the maps and the limit are reused; the interface not
; attached yet (the upstream side) is attached
pin_dir = $FG_PIN_DIR
interfaces = $IF_GW, $IF_GU
; breakers are evaluated every tick
tick = 100ms
textfile_dir = $NS_TMP/textfile
textfile_interval = 500ms
control_socket = $FLOODGATE_SOCKET

[upstream api]
address = $UP4:$UP_PORT
; a SYN to an open breaker gets a RST: the client's connect() fails at once
reject = reset
; GET /healthz every ${PROBE_MS} ms (probes pass an open breaker: they see recovery)
probe = http
probe_path = /healthz
interval = ${PROBE_MS}ms
timeout = 200ms
jitter = 0
; open after $NFAIL failures in a row: 5xx, refused, timeouts, failed probes
consecutive_failures = $NFAIL
failure_rate = 0
; then half-open after ${OPEN_MS} ms, doubled per re-open in a row
open_timeout = ${OPEN_MS}ms
open_jitter = 0
; half-open: closes after $NCLOSE successes, re-opens on any failure
half_open_permits = 3
successes_to_close = $NCLOSE
EOF
sed 's/^/  | /' "$CONF"
demo_daemon_start "$CONF" || die "floodgated did not start"
DLOG_SEEN=$(wc -l <"$DLOG")
sed 's/^[0-9-]* \([0-9:.]*\) */\1 /; s/^/  floodgated: /' "$DLOG"
echo "  The flooder starts again in the background ($FLOOD2_PPS/s), and keeps going until step 14."
demo_bg "$NS_GW" "$FG_TOOLS/udpcount" -b "$GW4" -p "$PORT" -t $((FLOOD2_MAX_S + 10)) -i 500 \
	-R "$NS_TMP/ready2" >"$NS_TMP/count2"
COUNT2_PID=$NS_LAST_PID
ns_wait_file "$NS_TMP/ready2" 5 || die "the UDP receiver did not start"
demo_bg "$NS_CLI" "$FG_TOOLS/udpflood" -s "$FLOODER" -d "$GW4" -p "$PORT" -r "$FLOOD2_PPS" \
	-n $((FLOOD2_PPS * FLOOD2_MAX_S)) -t "$FLOOD2_MAX_S" >"$NS_TMP/flooder2"
FLOOD2_PID=$NS_LAST_PID

step "9. Healthy: the client's requests are answered, the breaker is closed"
for i in 1 2 3; do
	ts=$(hms)
	read -r code ms <<<"$(demo_get)"
	say client "GET http://$UP4/ -> $code in $ms ms" "$ts"
	sleep 0.1
done
demo_follow
say floodgate "upstream list: breaker api is $(ustate api)"

step "10. The upstream starts failing (503): floodgated opens the breaker"
echo 503 >"$NS_TMP/status"
say server "now answers 503 Service Unavailable"
demo_mark
for ((i = 0; i < 20; i++)); do
	demo_follow
	demo_seen ' -> open' && break
	ts=$(hms)
	read -r code ms <<<"$(demo_get)"
	say client "GET http://$UP4/ -> $code in $ms ms" "$ts"
	sleep 0.1
done
demo_wait ' -> open' 1500 || die "the breaker did not open"
say floodgate "upstream list: breaker api is $(ustate api)"

step "11. Open: the client fails fast, nothing reaches the sick upstream"
REQ0=$(client_requests)
for i in 1 2 3 4 5; do
	demo_follow
	ts=$(hms)
	out=$(cns "$CT" -t 1000 "$UP4" "$UP_PORT" 2>&1)
	say client "connect $UP4:$UP_PORT -> $(kv_s "$out" result) ($(kv_s "$out" errno)) in $(kv_s "$out" ms) ms" "$ts"
done
ts=$(hms)
	read -r code ms <<<"$(demo_get)"
say client "GET http://$UP4/ -> $code (curl gave up after $ms ms)" "$ts"
demo_follow
echo "  Requests for / that reached the server since the breaker opened: $(($(client_requests) - REQ0))."
echo "  (Only floodgated's own probes, which carry its SO_MARK, pass an open breaker.)"
show upstream list

step "12. The upstream goes down (server stopped): half-open after $OPEN_MS ms, a probe fails: open again"
demo_server_stop
say server "stopped: connections to $UP4:$UP_PORT are refused"
# (no new mark: on a slow machine the re-open may have come already)
demo_wait 'half-open -> open' $((OPEN_MS + 3000)) || die "the breaker did not half-open and re-open"
echo "  (in half-open any failure re-opens the breaker, for twice as long)"

step "13. Healthy again: half-open after $((OPEN_MS * 2)) ms, $NCLOSE passing probes close the breaker"
echo "  (the probes see the server healthy at once; the breaker still waits out its timeout)"
echo 200 >"$NS_TMP/status"
demo_server_start || die "could not restart the HTTP server"
say server "back: answers 200"
out=$(cns "$CT" -t 1000 "$UP4" "$UP_PORT" 2>&1)
say client "connect $UP4:$UP_PORT -> $(kv_s "$out" result) in $(kv_s "$out" ms) ms (still open: it waits out its timeout)"
demo_mark
demo_wait ' -> closed' $((OPEN_MS * 2 + 3000)) || die "the breaker did not close"
for i in 1 2; do
	ts=$(hms)
	read -r code ms <<<"$(demo_get)"
	say client "GET http://$UP4/ -> $code in $ms ms" "$ts"
done
say floodgate "upstream list: breaker api is $(ustate api)"

step "14. Meanwhile the rate limit kept holding the flooder"
demo_stop "$FLOOD2_PID"
# The receiver ends by itself 500 ms after the last packet (passed packets
# come every 1/RATE s while the flood runs): wait for that, not a guess.
t_poll 3000 demo_exited "$COUNT2_PID" || echo "  (the receiver was still counting after 3 s)"
demo_stop "$COUNT2_PID"
fs=$(kv "$NS_TMP/flooder2" sent) fe=$(kv "$NS_TMP/flooder2" elapsed)
fr=$(received "$FLOODER" "$NS_TMP/count2")
exp=$(awk -v r="$RATE" -v e="$fe" -v b="$BURST" 'BEGIN { printf "%.0f", r * e + b }')
printf '  flooder %s: sent %s in %.1f s, received %s (%s/s x %.1f s + burst %s = %s), dropped %s\n' \
	"$FLOODER" "$fs" "$fe" "$fr" "$RATE" "$fe" "$BURST" "$exp" $((fs - fr))

step "15. Metrics: floodgate.prom for node_exporter's textfile collector (the interesting lines)"
PROM=$NS_TMP/textfile/floodgate.prom
# The textfile follows the breaker within a tick of its closing.
recovered_in_textfile() {
	grep -q '^floodgate_breaker_state{upstream="api".*} 0$' "$PROM" 2>/dev/null &&
		grep -q 'reason="recovered"' "$PROM"
}
t_poll 4000 recovered_in_textfile || echo "  (the textfile does not show the close yet, after 4 s)"
grep -E '^floodgate_(breaker_state|breaker_transitions_total|breaker_opens_total|probe_results_total|upstream_responses_total|upstream_resets_sent_total|upstream_rejected_packets_total|datapath_packets_total)[{ ]' "$PROM" |
	grep -v -E '^floodgate_(upstream|datapath|probe)_.* 0$' | sed 's/^/  /'
echo "  (breaker_state: 0 closed, 1 open, 2 half-open; breaker_reset: SYNs answered with a RST;"
echo "   limit_drop: the flooder's packets over its limit; allow: the upstream's replies)"

step "16. Clean up"
demo_stop "$DAEMON_PID"
DAEMON_PID=""
echo "  floodgated stopped (SIGTERM; the datapath stays attached until detached)"
demo_server_stop
show_gw detach "$IF_GU"
show_gw detach "$IF_GW"
ns_kill_all
ip netns del "$NS_CLI" && ip netns del "$NS_GW" && ip netns del "$NS_UP" &&
	echo "  namespaces $NS_CLI, $NS_GW and $NS_UP removed"
echo
echo "Done. On a real box: floodgate attach eth0; floodgate limit set 0.0.0.0/0 200/s;"
echo "then list your upstreams in /etc/floodgate/floodgated.conf and run floodgated."
