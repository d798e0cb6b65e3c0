#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# make demo: floodgate limiting a flooding client while a polite one is served.
#
# Two network namespaces joined by a veth pair: a client side with two source
# addresses, and a server side where floodgate's XDP program guards the veth
# and a UDP receiver counts what arrives per source. Everything lives in
# namespaces and a private pin dir created for this run and removed on exit,
# Ctrl-C included; an installed floodgate (/sys/fs/bpf/floodgate) is never
# touched. Takes about 10 seconds.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NS_TAG=fgd$$
NS_PIN_DIR=/sys/fs/bpf/fgdemo-$$
. "$ROOT/tests/netns/lib_netns.sh"

RATE=100
BURST=20
SECS=5
PORT=9000
POLITE=198.18.0.10
POLITE_PPS=50
FLOODER=198.18.0.20
FLOOD_PPS=2000

if [ -t 1 ]; then B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'; else B="" D="" G="" R="" N=""; fi
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
received() { awk -v a="$1" '$1 == a { print $2; f = 1 } END { if (!f) print 0 }' "$NS_TMP/count"; }

[ "$(id -u)" = 0 ] || die "run as root (BPF programs and network namespaces)"

cat <<EOF
${B}floodgate demo${N}: per-source rate limiting in XDP

  client namespace $NS_CLI            server namespace $NS_GW
    polite   $POLITE ──┐
                           ├── veth ──► $IF_GW $GW4 ──► UDP receiver :$PORT
    flooder  $FLOODER ──┘             [floodgate XDP]

  Limit: $RATE packets/s per source, burst $BURST. The polite client sends
  $POLITE_PPS/s, the flooder $FLOOD_PPS/s, both for $SECS seconds.
  (pins in $FG_PIN_DIR, removed at the end)
EOF

step "1. Build the namespaces and the veth pair"
ns_setup || die "could not build the topology"
trap 'printf "\n%sinterrupted: cleaning up%s\n" "$B" "$N"; exit 130' INT
ns_client_addr "$POLITE/24" && ns_client_addr "$FLOODER/24" || die "could not add addresses"
echo "  ok: $NS_CLI ($IF_CLI: $POLITE, $FLOODER) <-> $NS_GW ($IF_GW: $GW4)"

step "2. Attach floodgate to $IF_GW (inside $NS_GW)"
show_gw attach "$IF_GW" || die "attach failed"

step "3. Set the limit: every IPv4 source, $RATE/s with a burst of $BURST"
show limit set 0.0.0.0/0 "$RATE/s" --burst "$BURST" || die "limit set failed"
show limit list

step "4. Send for $SECS seconds: polite $POLITE_PPS/s and flooder $FLOOD_PPS/s at the same time"
ns_bg "$NS_GW" "$FG_TOOLS/udpcount" -b "$GW4" -p "$PORT" -t $((SECS + 10)) -i 1000 \
	-R "$NS_TMP/ready" >"$NS_TMP/count"
COUNT_PID=$NS_LAST_PID
ns_wait_file "$NS_TMP/ready" 5 || die "the UDP receiver did not start"
ns_bg "$NS_CLI" "$FG_TOOLS/udpflood" -s "$POLITE" -d "$GW4" -p "$PORT" -r "$POLITE_PPS" \
	-n $((POLITE_PPS * SECS)) -t $((SECS + 1)) >"$NS_TMP/polite"
P1=$NS_LAST_PID
ns_bg "$NS_CLI" "$FG_TOOLS/udpflood" -s "$FLOODER" -d "$GW4" -p "$PORT" -r "$FLOOD_PPS" \
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

step "7. Clean up"
show_gw detach "$IF_GW"
ns_kill_all
ip netns del "$NS_CLI" && ip netns del "$NS_GW" &&
	echo "  namespaces $NS_CLI and $NS_GW removed"
echo
echo "Done. Try it on a real interface: floodgate attach eth0; floodgate limit set 0.0.0.0/0 200/s"
