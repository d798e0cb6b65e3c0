#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Fleet shares: one source spread by a multipath route over $N floodgated
# nodes gets its limit once across them, not N times.
#
#   client ns                router ns (forwarding)           node ns i (i = 1..N)
#   c0 198.18.40.2 ── veth ── 198.18.40.1 | 198.18.4i.1 ── veth ── 198.18.4i.2 ni
#   udpflood -P 64           | route 198.18.60.10/32:          lo 198.18.60.10 (anycast)
#                            |   nexthop via every node          floodgated i (own pin dir,
#                            | lo 198.18.70.1: redis-server      socket, textfile) on ni
#                            |   (started by this test)
#
# Every node limits 198.18.40.0/24 to $RATE/s burst $BURST per source. The
# client sends $PPS/s (3x the limit) from one address over 64 source ports,
# for $FLOOD_S s at most (a bounded count). The fleet's admitted rate is the
# sum of the nodes' limit_pass counters over a window of $WIN_S s.
#
# Checks:
#  1. fleet off (no [fleet]), L4 hashing (fib_multipath_hash_policy=1): every
#     node sees the source and the fleet admits about N x the limit.
#  2. L3 hashing (policy 0): one node sees it all and admits the limit.
#  3. [fleet] on (SIGHUP): every node sees N nodes.
#  4. fleet on, L4: every node holds a share within a second of the first
#     sync that saw the source hot, and the fleet admits within 1.1x of the
#     limit (and at least 0.7x: the shares do not starve it).
#  5. fleet on, L3: no share anywhere, and the same admitted rate as with the
#     fleet off (within 10% of the limit).
#  6. Redis stopped (SIGSTOP): every node's shares are gone within stale +
#     1 s (each back on its own limits); SIGCONT: N nodes again.
#  7. a --per prefix budget (198.18.39.0/24, $RATE/s for the whole prefix),
#     from $P4, L4: about N x the budget with the fleet off; with it on the
#     budget is split by demand, every node holds a share of it, and the
#     fleet admits within 1.1x of it.
# The steps and what each needs: CHECKS at the bottom.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/proc.sh"

N=3
TAG=fgsh$$
NS_C=${TAG}c NS_R=${TAG}r
IF_C=${TAG}c0 IF_RC=${TAG}rc
C4=198.18.40.2 P4=198.18.39.2 RC4=198.18.40.1 ANY4=198.18.60.10 R4=198.18.70.1 RPORT=6391
RPW=shares-$$-$RANDOM
RATE=200 BURST=4 PPS=600 FLOOD_S=8 WIN_S=2 PORTS=256
TICK_MS=100 SYNC_MS=100 STALE_MS=1000
RATE_L4_OFF="" RATE_L3_OFF="" RATE_P_OFF=""
. "$HERE/../lib/fleet_nodes.sh" # nodes, metrics, Redis, cleanup
FLEET_NETNS=("$NS_C" "$NS_R")

all_nodes_seen() { all_metric floodgate_fleet_nodes "$N"; }
# passed I: node I's limit_pass counter.
passed() {
	"$FG" stats --json --pin-dir "$(pin_of "$1")" 2>/dev/null |
		jq -r '.reasons[] | select(.reason == "limit_pass") | .packets'
}
pass_sum() { local i s=0; for ((i = 1; i <= N; i++)); do s=$((s + $(passed "$i"))); done; echo $s; }
# shares I: entries in node I's shares map.
shares() { bpftool -j map dump pinned "$(pin_of "$1")/shares" 2>/dev/null | jq length; }
# shares_are WANT: every node holds WANT shares (or "any": at least one); SSEEN.
shares_are() {
	local i v ok=0
	SSEEN=""
	for ((i = 1; i <= N; i++)); do
		v=$(shares "$i")
		SSEEN+=" $i:${v:-?}"
		if [ "$1" = any ]; then [ "${v:-0}" -ge 1 ] || ok=1; else [ "$v" = "$1" ] || ok=1; fi
	done
	return $ok
}
# within VALUE EXPECTED PCT: |VALUE - EXPECTED| <= PCT% of EXPECTED.
within() { awk -v v="$1" -v e="$2" -v p="$3" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(d <= e * p / 100) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

write_config() {
	local i=$1 fleet=$2
	mkdir -p "$TMP/$i/textfile"
	echo "$RPW" >"$TMP/$i/redis.pw"
	chmod 600 "$TMP/$i/redis.pw"
	cat >"$TMP/$i/floodgated.conf" <<-EOF
		; test_fleet_shares.sh: node $i
		[daemon]
		pin_dir = $(pin_of "$i")
		interfaces = $(if_of "$i")
		tick = ${TICK_MS}ms
		textfile_dir = $TMP/$i/textfile
		textfile_interval = 1s
		control_socket = $TMP/$i/sock

		[policy 198.18.40.0/24]
		rate = $RATE/s
		burst = $BURST

		[policy 198.18.39.0/24]
		rate = $RATE/s
		burst = $BURST
		per = prefix
	EOF
	[ "$fleet" = on ] && cat >>"$TMP/$i/floodgated.conf" <<-EOF

		[fleet]
		redis = $R4:$RPORT
		password_file = $TMP/$i/redis.pw
		site = s$$
		node = node$i
		sync = ${SYNC_MS}ms
		stale = ${STALE_MS}ms
	EOF
	return 0
}

# net_node I: node I's namespace behind the router, owning the anycast address.
net_node() {
	ns_leaf "$(ns_of "$1")" "$(if_of "$1")" "$NS_R" "${TAG}r$1" "198.18.4$1.2" "198.18.4$1.1" &&
		ip -n "$(ns_of "$1")" addr add "$ANY4/32" dev lo
}

setup_topology() {
	local x i hops=()
	for x in "$FG" "$FGD" "$FG_TOOLS/udpflood"; do
		[ -e "$x" ] || { t_fail setup "missing $x (run make)"; t_exit; }
	done
	for x in redis-server redis-cli jq nsenter bpftool; do
		command -v "$x" >/dev/null || { t_fail setup "missing $x (make deps)"; t_exit; }
	done
	TMP=$(mktemp -d /tmp/fgsh.XXXXXX) || { t_fail setup "mktemp"; t_exit; }
	{ ip netns add "$NS_C" && ip netns add "$NS_R" && ip -n "$NS_C" link set lo up &&
		ip -n "$NS_R" link set lo up &&
		ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 &&
		ip -n "$NS_R" addr add "$R4/32" dev lo &&
		ip -n "$NS_C" link add "$IF_C" type veth peer name "$IF_RC" netns "$NS_R" &&
		ip -n "$NS_C" addr add "$C4/24" dev "$IF_C" && ip -n "$NS_R" addr add "$RC4/24" dev "$IF_RC" &&
		ip -n "$NS_C" link set "$IF_C" up && ip -n "$NS_R" link set "$IF_RC" up &&
		ip -n "$NS_C" addr add "$P4/24" dev "$IF_C" &&
		ip -n "$NS_R" route add 198.18.39.0/24 via "$C4" &&
		ip -n "$NS_C" route add default via "$RC4"; } || { t_fail setup "client and router"; t_exit; }
	for ((i = 1; i <= N; i++)); do
		net_node "$i" || { t_fail setup "node $i's namespace"; t_exit; }
		hops+=(nexthop via "198.18.4$i.2")
	done
	ip -n "$NS_R" route add "$ANY4/32" "${hops[@]}" || { t_fail setup "multipath route"; t_exit; }
	redis_start || { t_fail setup "redis-server: $RSEEN"; t_exit; }
	t_ok setup
}

setup_daemons() { fleet_start_daemons shares_ off; }

# flood_start HASH [SRC]: the router hashes by L4 (1) or L3 (0); the flood
# from SRC (C4) starts.
flood_start() {
	ip netns exec "$NS_R" sysctl -qw net.ipv4.fib_multipath_hash_policy="$1" || return 1
	ip netns exec "$NS_C" "$FG_TOOLS/udpflood" -s "${2:-$C4}" -d $ANY4 -r $PPS \
		-n $((PPS * FLOOD_S)) -t $FLOOD_S -P $PORTS >"$TMP/flood.out" 2>&1 &
	FLOOD_PID=$!
	FLOOD_T0=$(now_ms)
}
flood_end() { stop_pids -INT "$FLOOD_PID"; FLOOD_PID=""; }
# measure: the fleet's admitted rate (packets/s) over the next WIN_S s, in
# RATE_SEEN, and each node's part in PARTS.
measure() {
	local a=() b=() i t0 t1 sum=0
	# Each end of the window at the middle of its reads (they take a while).
	t0=$(now_ms)
	for ((i = 1; i <= N; i++)); do a[i]=$(passed "$i"); done
	t0=$(((t0 + $(now_ms)) / 2))
	sleep $WIN_S # a measurement window, not a wait for an effect
	t1=$(now_ms)
	for ((i = 1; i <= N; i++)); do b[i]=$(passed "$i"); done
	t1=$(((t1 + $(now_ms)) / 2))
	PARTS=""
	for ((i = 1; i <= N; i++)); do
		sum=$((sum + b[i] - a[i]))
		PARTS+=" $i:$((b[i] - a[i]))"
	done
	RATE_SEEN=$(awk -v s="$sum" -v ms=$((t1 - t0)) 'BEGIN { printf "%.1f", s * 1000 / ms }')
}
# nodes_seeing: how many nodes passed any packet of the source in PARTS.
nodes_seeing() { tr ' ' '\n' <<<"$PARTS" | awk -F: '$2 > 0 { n++ } END { print n + 0 }'; }

check_l4_fleet_off() {
	local seen
	flood_start 1 || { t_fail shares_l4_off_spreads "sysctl"; return; }
	sleep 0.5 # the flood's first burst out of the window (a window, as measure's)
	measure
	flood_end
	RATE_L4_OFF=$RATE_SEEN
	seen=$(nodes_seeing)
	[ "$seen" = "$N" ]
	t_is $? shares_l4_off_spreads "nodes that passed the source:$PARTS (want all $N)"
	awk -v r="$RATE_SEEN" -v l=$RATE -v n=$N 'BEGIN { exit !(r >= 0.8 * n * l) }'
	t_is $? shares_l4_off_n_limits "fleet off: admitted $RATE_SEEN/s ($(ratio "$RATE_SEEN" $RATE)x the limit, want >= $(ratio $((8 * N)) 10)x)"
	note "fleet off, L4 hashing: the fleet admits $RATE_SEEN/s = $(ratio "$RATE_SEEN" $RATE)x the limit $RATE/s (by node:$PARTS in $WIN_S s)"
}

check_l3_fleet_off() {
	flood_start 0 || { t_fail shares_l3_off_one_node "sysctl"; return; }
	sleep 0.5 # the flood's first burst out of the window (a window, as measure's)
	measure
	flood_end
	RATE_L3_OFF=$RATE_SEEN
	[ "$(nodes_seeing)" = 1 ] && within "$RATE_SEEN" $RATE 10
	t_is $? shares_l3_off_one_node "fleet off, L3: admitted $RATE_SEEN/s by node:$PARTS (want one node, $RATE/s +-10%)"
	note "fleet off, L3 hashing: the fleet admits $RATE_SEEN/s = $(ratio "$RATE_SEEN" $RATE)x (by node:$PARTS)"
}

fleet_on() {
	local i
	for ((i = 1; i <= N; i++)); do
		write_config "$i" on
		kill -HUP "${DPIDS[i - 1]}"
	done
	t_poll 5000 all_nodes_seen
	t_is $? shares_fleet_up "floodgate_fleet_nodes by node:$MSEEN after $POLL_MS ms (want $N)"
}

check_l4_fleet_on() {
	local took
	t_poll 3000 shares_are 0 || { t_fail shares_l4_on_all_share "shares before the flood:$SSEEN"; return; }
	flood_start 1 || { t_fail shares_l4_on_all_share "sysctl"; return; }
	t_poll 3000 shares_are 1
	took=$(($(now_ms) - FLOOD_T0))
	# Hot needs a node to see the source past half its burst (a few packets
	# at 3x its share), then one sync (100 ms) and the reply's writes.
	[ "$took" -le 1500 ] && shares_are 1
	t_is $? shares_l4_on_all_share "shares by node:$SSEEN $took ms after the flood began (want 1 each within 1500 ms)"
	# What an operator sees: named fields (BTF) in both maps.
	BSEEN=$(bpftool -j map dump pinned "$(pin_of 1)/shares" 2>&1 | jq -c '.[0].formatted.value' 2>&1)
	jq -e '.interval_ns > 0 and .burst >= 1 and .expires_ns > 0' <<<"$BSEEN" >/dev/null &&
		bpftool -j map dump pinned "$(pin_of 1)/hot" | jq -e '.[0].formatted.value.packets > 0' >/dev/null
	t_is $? shares_maps_btf "node 1's share as bpftool shows it: $BSEEN"
	measure
	flood_end
	awk -v r="$RATE_SEEN" -v l=$RATE 'BEGIN { exit !(r <= 1.1 * l && r >= 0.7 * l) }'
	t_is $? shares_l4_on_limit_once "fleet on: admitted $RATE_SEEN/s ($(ratio "$RATE_SEEN" $RATE)x the limit) by node:$PARTS (want 0.7x..1.1x)"
	note "fleet on, L4 hashing: every node held a share $took ms after the flood began; the fleet admits $RATE_SEEN/s = $(ratio "$RATE_SEEN" $RATE)x the limit (by node:$PARTS; off: ${RATE_L4_OFF:-?}/s)"
	[ "$(metric 1 floodgate_fleet_shares)" != "" ]
	t_is $? shares_metric "node 1's floodgate_fleet_shares: $(metric 1 floodgate_fleet_shares)"
}

check_l3_fleet_on() {
	local max=0 i v
	# The L4 run's shares lapse: the source cooled, or stale without renewal.
	t_poll $((STALE_MS + 2000)) shares_are 0 ||
		{ t_fail shares_l3_on_same "shares before the flood:$SSEEN"; return; }
	flood_start 0 || { t_fail shares_l3_on_same "sysctl"; return; }
	sleep 0.5 # the flood's first burst out of the window (a window, as measure's)
	measure
	for ((i = 1; i <= N; i++)); do v=$(shares "$i"); [ "${v:-0}" -gt $max ] && max=$v; done
	flood_end
	[ "$max" = 0 ] && [ "$(nodes_seeing)" = 1 ] &&
		awk -v a="$RATE_SEEN" -v b="${RATE_L3_OFF:-0}" -v l=$RATE 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.1 * l) }'
	t_is $? shares_l3_on_same "fleet on, L3: admitted $RATE_SEEN/s by node:$PARTS, shares at most $max (want one node, no share, off's ${RATE_L3_OFF:-?}/s +-10% of the limit)"
	note "fleet on, L3 hashing: the fleet admits $RATE_SEEN/s (off: ${RATE_L3_OFF:-?}/s), no share"
}

check_redis_stop() {
	local t0 took bound=$((STALE_MS + 1000))
	flood_start 1 || { t_fail shares_redis_stop_expire "sysctl"; return; }
	t_poll 3000 shares_are 1 || { flood_end; t_fail shares_redis_stop_expire "no shares first:$SSEEN"; return; }
	kill -STOP "$REDIS_PID"
	t0=$(now_ms)
	t_poll $((bound + 1000)) shares_are 0
	took=$(($(now_ms) - t0))
	flood_end
	[ "$took" -le "$bound" ] && shares_are 0
	t_is $? shares_redis_stop_expire "shares by node:$SSEEN $took ms after SIGSTOP (want none within $bound ms)"
	note "Redis stopped: every node's shares gone $took ms after SIGSTOP (stale $STALE_MS ms)"
	kill -CONT "$REDIS_PID"
	t_poll 5000 all_nodes_seen
	t_is $? shares_redis_back "floodgate_fleet_nodes by node:$MSEEN $POLL_MS ms after SIGCONT"
}

check_prefix_off() {
	flood_start 1 $P4 || { t_fail shares_prefix_off "sysctl"; return; }
	sleep 0.5 # the flood's first burst out of the window
	measure
	flood_end
	RATE_P_OFF=$RATE_SEEN
	awk -v r="$RATE_SEEN" -v l=$RATE -v n=$N 'BEGIN { exit !(r >= 0.8 * n * l) }'
	t_is $? shares_prefix_off "fleet off: the prefix admitted $RATE_SEEN/s by node:$PARTS (want >= $(ratio $((8 * N)) 10)x $RATE/s)"
	note "per-prefix budget, fleet off, L4 hashing: the fleet admits $RATE_SEEN/s = $(ratio "$RATE_SEEN" $RATE)x the budget (by node:$PARTS)"
}

check_prefix_on() {
	local took
	t_poll $((STALE_MS + 2000)) shares_are 0 || { t_fail shares_prefix_split "shares before:$SSEEN"; return; }
	flood_start 1 $P4 || { t_fail shares_prefix_split "sysctl"; return; }
	t_poll 3000 shares_are 1
	took=$(($(now_ms) - FLOOD_T0))
	measure
	flood_end
	[ "$took" -le 1500 ] &&
		awk -v r="$RATE_SEEN" -v l=$RATE 'BEGIN { exit !(r <= 1.1 * l && r >= 0.7 * l) }'
	t_is $? shares_prefix_split "fleet on: shares by node:$SSEEN after $took ms (want 1 each within 1500 ms); admitted $RATE_SEEN/s by node:$PARTS (want 0.7x..1.1x $RATE/s)"
	note "per-prefix budget, fleet on, L4 hashing: every node held a share $took ms after the flood began; the fleet admits $RATE_SEEN/s = $(ratio "$RATE_SEEN" $RATE)x the budget (by node:$PARTS; off: ${RATE_P_OFF:-?}/s)"
}

# step                | needs                | checks it reports
CHECKS=(
	"setup_topology     |                      | setup"
	"setup_daemons      | setup_topology       | shares_config_checks shares_daemons_start"
	"check_l4_fleet_off | setup_daemons        | shares_l4_off_spreads shares_l4_off_n_limits"
	"check_l3_fleet_off | setup_daemons        | shares_l3_off_one_node"
	"check_prefix_off   | setup_daemons        | shares_prefix_off"
	"fleet_on           | setup_daemons        | shares_fleet_up"
	"check_l4_fleet_on  | fleet_on             | shares_l4_on_all_share shares_maps_btf shares_l4_on_limit_once shares_metric"
	"check_l3_fleet_on  | fleet_on check_l3_fleet_off | shares_l3_on_same"
	"check_redis_stop   | fleet_on             | shares_redis_stop_expire shares_redis_back"
	"check_prefix_on    | fleet_on             | shares_prefix_split"
)
t_run
