#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Fleet mode: $N floodgated nodes share breaker votes through one Redis.
#
#   node ns i (i = 1..N)                  hub ns (forwarding)           upstream ns
#   $IFn 198.18.1i.2 ── veth ── 198.18.1i.1 | 198.18.20.1 ── veth ── 198.18.20.10 web
#   floodgated i (own pin dir,            | lo 198.18.30.1: redis-server  http_upstream.py :80
#   socket, textfile), attached to $IFn   |   (started by this test)
#
# Each node probes web over HTTP every 100 ms; 12 failures in a row open
# its breaker on its own (1.2 s); the fleet pools the nodes' runs, so with
# 3 nodes 4 probes each do: sync 100 ms, stale 1 s, quorum: the default (a
# majority of the fresh nodes, at least 2).
#
# Checks:
#  1. membership (Redis with requirepass: AUTH with a password, and with
#     user and password): every node's textfile says the fleet is up with N
#     nodes, no AUTH failed, and Redis holds the N announcements.
#  2. web answers 503 to every node: all open within two syncs and a tick
#     (+ margin) of the first (the maps' changed_ns, one CLOCK_MONOTONIC for
#     all), and within the probes that add up to 12 failures, two syncs and
#     two ticks of the switch; at least one by reason fleet; healthy again:
#     half-open probes close them all.
#  3. only node 1's path to web broken: node 1 opens on its own; the others
#     stay closed while it does and for two syncs and a tick after.
#  4. Redis stopped (SIGSTOP): every node's heartbeat stays fresh (ticks on
#     time), every textfile says the fleet is down within stale + 1 s;
#     SIGCONT: all up again with N nodes.
# The steps and what each needs: CHECKS at the bottom.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/proc.sh"

N=${FG_FLEET_NODES:-3}
TAG=fgfl$$
NS_H=${TAG}h NS_U=${TAG}u
IF_HU=${TAG}hu IF_U=${TAG}u0
U4=198.18.20.10 HU4=198.18.20.1
R4=198.18.30.1 RPORT=6390
RPW=fleet-$$-$RANDOM # requirepass: node 1 sends AUTH PASSWORD, the others AUTH default PASSWORD
TICK_MS=100 SYNC_MS=100 STALE_MS=1000 PROBE_MS=100 OPEN_MS=1000 NFAIL=12
MARGIN_MS=300
LATE_MS=800 # over the pipeline's own delays, from the switch (check 2; loaded machines)
HB=$FG_TOOLS/breaker_heartbeat
TMP="" REDIS_PID="" SRV_PID=""
DPIDS=()

note() { echo "  $*" >&2; }
ns_of() { echo "${TAG}n$1"; }
if_of() { echo "${TAG}n$1"; }
pin_of() { echo "/sys/fs/bpf/fgfl-$$-$1"; }
tf_of() { echo "$TMP/$1/textfile/floodgate.prom"; }

cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	stop_pids "${DPIDS[@]}" "$SRV_PID" "$REDIS_PID"
	for ((i = 1; i <= N; i++)); do
		if [ -d "$(pin_of "$i")" ]; then
			nsenter --net=/run/netns/"$(ns_of "$i")" "$FG" detach "$(if_of "$i")" \
				--pin-dir "$(pin_of "$i")" >/dev/null 2>&1
			rm -rf -- "$(pin_of "$i")"
		fi
		ip netns del "$(ns_of "$i")" 2>/dev/null
	done
	ip netns del "$NS_H" 2>/dev/null
	ip netns del "$NS_U" 2>/dev/null
	if [ -n "$TMP" ]; then
		if [ "$T_FAILED" != 0 ]; then
			for ((i = 1; i <= N; i++)); do
				echo "  --- node $i log, without probe lines (last 15) ---" >&2
				grep -v ': probe \(pass\|fail\) in' "$TMP/$i/log" 2>/dev/null | tail -n 15 |
					sed 's/^/  | /' >&2
			done
		fi
		rm -rf -- "$TMP"
	fi
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# metric I NAME[{LABELS}]: a sample's value in node I's textfile ('' if none).
metric() { awk -v k="$2" '$1 == k { print $2 }' "$(tf_of "$1")" 2>/dev/null; }
has_metric() { [ -n "$(metric "$1" "$2")" ]; }
# all_metric NAME WANT: every node's NAME is WANT; MSEEN: what each said.
all_metric() {
	local i v ok=0
	MSEEN=""
	for ((i = 1; i <= N; i++)); do
		v=$(metric "$i" "$1")
		MSEEN+=" $i:${v:-none}"
		[ "$v" = "$2" ] || ok=1
	done
	return $ok
}
# state I: web's breaker state on node I.
state() {
	"$FG" upstream list --json --pin-dir "$(pin_of "$1")" 2>/dev/null |
		jq -r '.upstreams[] | select(.name == "web") | .state'
}
# states_are WANT...: node i's state is the i-th WANT (- for any); SSEEN.
states_are() {
	local i s ok=0
	SSEEN=""
	for ((i = 1; i <= N; i++)); do
		s=$(state "$i")
		SSEEN+=" $i:$s"
		[ "${!i}" = - ] || [ "$s" = "${!i}" ] || ok=1
	done
	return $ok
}
all_states() { local w=() i; for ((i = 0; i < N; i++)); do w+=("$1"); done; states_are "${w[@]}"; }
# open_spread_ms: from the first node's open to the last one's, by the
# changed_ns of web's entry in each node's upstreams map.
open_spread_ms() {
	local i c
	for ((i = 1; i <= N; i++)); do
		bpftool -j map dump pinned "$(pin_of "$i")/upstreams" 2>/dev/null |
			jq -r '.[] | (.formatted.value // .value) | select(.name == "web") | .changed_ns'
	done | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1; n++ } END { if (n) printf "%d", (hi - lo) / 1e6 }'
}
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

write_config() {
	local i=$1
	mkdir -p "$TMP/$i/textfile"
	if [ "$i" = 1 ]; then echo "$RPW"; else echo "default $RPW"; fi >"$TMP/$i/redis.pw"
	chmod 600 "$TMP/$i/redis.pw"
	cat >"$TMP/$i/floodgated.conf" <<-EOF
		; test_fleet.sh: node $i
		[daemon]
		pin_dir = $(pin_of "$i")
		interfaces = $(if_of "$i")
		tick = ${TICK_MS}ms
		stale_limit = 1s
		textfile_dir = $TMP/$i/textfile
		textfile_interval = 1s
		control_socket = $TMP/$i/sock

		[upstream web]
		address = $U4:80
		probe = http
		probe_path = /healthz
		interval = ${PROBE_MS}ms
		timeout = 80ms
		jitter = 0
		consecutive_failures = $NFAIL
		failure_rate = 0
		open_timeout = ${OPEN_MS}ms
		open_jitter = 0
		backoff_factor = 1
		successes_to_close = 2
		group_max_open = 100%

		[fleet]
		redis = $R4:$RPORT
		password_file = $TMP/$i/redis.pw
		site = t$$
		node = node$i
		sync = ${SYNC_MS}ms
		stale = ${STALE_MS}ms
	EOF
}

# net_node I: node I's namespace and its veth to the hub.
net_node() {
	local i=$1 ns hub
	ns=$(ns_of "$i")
	hub=${TAG}h$i
	ip netns add "$ns" && ip -n "$ns" link set lo up &&
		ip -n "$ns" link add "$(if_of "$i")" type veth peer name "$hub" netns "$NS_H" &&
		ip -n "$ns" addr add "198.18.1$i.2/24" dev "$(if_of "$i")" &&
		ip -n "$NS_H" addr add "198.18.1$i.1/24" dev "$hub" &&
		ip -n "$ns" link set "$(if_of "$i")" up && ip -n "$NS_H" link set "$hub" up &&
		ip -n "$ns" route add default via "198.18.1$i.1"
}

rcli() { ip netns exec "$NS_H" redis-cli -h $R4 -p $RPORT -a "$RPW" --no-auth-warning "$@"; }
redis_ping() { RSEEN=$(rcli ping 2>&1); [ "$RSEEN" = PONG ]; }

setup_topology() {
	local x i
	for x in "$FG" "$FGD" "$HB" "$SRV"; do
		[ -e "$x" ] || { t_fail setup "missing $x (run make)"; t_exit; }
	done
	for x in redis-server redis-cli jq nsenter bpftool promtool; do
		command -v "$x" >/dev/null || { t_fail setup "missing $x (make deps)"; t_exit; }
	done
	[ "$N" -ge 2 ] && [ "$N" -le 9 ] || { t_fail setup "FG_FLEET_NODES=$N: 2..9"; t_exit; }
	TMP=$(mktemp -d /tmp/fgfl.XXXXXX) || { t_fail setup "mktemp"; t_exit; }
	{ ip netns add "$NS_H" && ip netns add "$NS_U" && ip -n "$NS_H" link set lo up &&
		ip -n "$NS_U" link set lo up &&
		ip netns exec "$NS_H" sysctl -qw net.ipv4.ip_forward=1 &&
		ip -n "$NS_H" addr add "$R4/32" dev lo &&
		ip -n "$NS_U" link add "$IF_U" type veth peer name "$IF_HU" netns "$NS_H" &&
		ip -n "$NS_U" addr add "$U4/24" dev "$IF_U" && ip -n "$NS_H" addr add "$HU4/24" dev "$IF_HU" &&
		ip -n "$NS_U" link set "$IF_U" up && ip -n "$NS_H" link set "$IF_HU" up &&
		ip -n "$NS_U" route add default via "$HU4"; } || { t_fail setup "hub and upstream"; t_exit; }
	for ((i = 1; i <= N; i++)); do
		net_node "$i" || { t_fail setup "node $i's namespace"; t_exit; }
	done
	echo 200 >"$TMP/status"
	rm -f "$TMP/status.ready"
	ip netns exec "$NS_U" "$PY" "$SRV" --port 80 --bind "$U4" --control "$TMP/status" \
		--log "$TMP/requests" --ready "$TMP/status.ready" >>"$TMP/status.out" 2>&1 &
	SRV_PID=$!
	ip netns exec "$NS_H" redis-server --save '' --appendonly no --port "$RPORT" --bind "$R4" \
		--requirepass "$RPW" --logfile "$TMP/redis.log" &
	REDIS_PID=$!
	t_poll 5000 test -e "$TMP/status.ready" || { t_fail setup "http_upstream: $(cat "$TMP/status.out")"; t_exit; }
	t_poll 5000 redis_ping || { t_fail setup "redis-server: $RSEEN $(tail -3 "$TMP/redis.log")"; t_exit; }
	t_ok setup
}

setup_daemons() {
	local i ok=0
	for ((i = 1; i <= N; i++)); do
		write_config "$i"
		"$FGD" --check-config -c "$TMP/$i/floodgated.conf" >/dev/null || ok=1
		nsenter --net=/run/netns/"$(ns_of "$i")" "$FGD" -c "$TMP/$i/floodgated.conf" -v \
			>>"$TMP/$i/log" 2>&1 &
		DPIDS+=("$!")
	done
	t_is $ok config_checks "--check-config refused a node's config"
	for ((i = 1; i <= N; i++)); do
		t_poll 5000 grep -q 'running:' "$TMP/$i/log" ||
			{ t_fail daemons_start "node $i: $(tail -3 "$TMP/$i/log")"; t_exit; }
	done
	t_ok daemons_start
}

check_membership() {
	local m
	t_poll 5000 all_metric floodgate_fleet_nodes "$N"
	t_is $? fleet_membership "floodgate_fleet_nodes by node:$MSEEN (want $N each, ${POLL_MS} ms)"
	note "membership: every node saw $N nodes after $POLL_MS ms"
	all_metric floodgate_fleet_up 1 && all_metric 'floodgate_fleet_sync_errors_total{op="auth"}' 0
	t_is $? fleet_up "floodgate_fleet_up, then auth errors, by node:$MSEEN"
	m=$(rcli smembers "floodgate:{t$$}:nodes" | sort | tr '\n' ' ')
	[ "$(wc -w <<<"$m")" = "$N" ] && [ "$(rcli pttl "floodgate:{t$$}:node:node1")" -le "$STALE_MS" ]
	t_is $? fleet_redis_keys "members in Redis: $m (want $N), node1's announcement has a TTL of at most stale"
	m=$(promtool check metrics <"$(tf_of 1)" 2>&1)
	t_is $? fleet_textfile_promtool "promtool check metrics: $m"
}

check_all_fail() {
	local t0 i fleet=0
	local bound=$(((NFAIL + N - 1) / N * PROBE_MS + 2 * SYNC_MS + 2 * TICK_MS + LATE_MS))
	local spread_max=$((2 * SYNC_MS + TICK_MS + 100)) spread
	t_poll 3000 all_states closed || { t_fail fleet_opens_all "not all closed first:$SSEEN"; return; }
	t0=$(now_ms)
	echo 503 >"$TMP/status"
	t_poll 3000 all_states open
	local took=$(($(now_ms) - t0))
	[ "$took" -le "$bound" ] && all_states open
	t_is $? fleet_opens_all "states:$SSEEN after $took ms (want all open within $bound ms)"
	spread=$(open_spread_ms)
	[ -n "$spread" ] && [ "$spread" -le "$spread_max" ]
	t_is $? fleet_opens_within_two_syncs "last open ${spread:-?} ms after the first (want <= $spread_max ms)"
	for ((i = 1; i <= N; i++)); do
		t_poll 1000 has_metric "$i" 'floodgate_breaker_transitions_total{upstream="web",from="closed",to="open",reason="fleet"}' &&
			fleet=$((fleet + 1))
	done
	[ "$fleet" -ge 1 ]
	t_is $? fleet_reason "nodes whose web opened by reason fleet: $fleet of $N (want >= 1)"
	note "503 on every node: all $N open $took ms after the switch (bound $bound ms), the last ${spread:-?} ms after the first (bound $spread_max ms); $fleet by reason fleet"
	echo 200 >"$TMP/status"
	t_poll $((OPEN_MS + 3000)) all_states closed
	t_is $? fleet_half_open_closes "states:$SSEEN $POLL_MS ms after web was healthy again"
}

# Node 1's path to web broken; the others must not follow it.
check_one_path() {
	local ns1 i others=() watch_end bad=0
	ns1=$(ns_of 1)
	t_poll 3000 all_states closed || { t_fail one_path_opens_own "not all closed first:$SSEEN"; return; }
	ip -n "$ns1" route add prohibit "$U4/32" || { t_fail one_path_opens_own "route"; return; }
	for ((i = 2; i <= N; i++)); do others+=(closed); done
	t_poll $((NFAIL * PROBE_MS + 3000)) states_are open "${others[@]}"
	t_is $? one_path_opens_own "states:$SSEEN after $POLL_MS ms (want node 1 open, the others closed)"
	# For two syncs and a tick more, nobody follows node 1.
	watch_end=$(($(now_ms) + 2 * SYNC_MS + TICK_MS + MARGIN_MS))
	for ((i = 0; i < 200 && $(now_ms) < watch_end; i++)); do
		states_are - "${others[@]}" || { bad=1; break; }
		sleep 0.02
	done
	t_is $bad one_path_others_stay "states:$SSEEN (want the others closed)"
	ip -n "$ns1" route del prohibit "$U4/32"
	t_poll $((OPEN_MS + 3000)) all_states closed
	t_is $? one_path_recovers "states:$SSEEN after $POLL_MS ms"
}

# hb_age I: node I's heartbeat age (ms) by CLOCK_MONOTONIC now.
hb_age() {
	local out
	out=$("$HB" "$(pin_of "$1")" show)
	awk -v o="$out" 'BEGIN { n = split(o, a, /[ \n]/); for (k = 1; k <= n; k++) {
		split(a[k], kv, "="); v[kv[1]] = kv[2] } printf "%d", (v["now_ns"] - v["heartbeat_ns"]) / 1e6 }'
}
# down_and_ticking: sample the heartbeats (HB_MAX: the oldest seen), then
# whether every node says the fleet is down.
down_and_ticking() {
	local i a
	for ((i = 1; i <= N; i++)); do
		a=$(hb_age "$i")
		[ "$a" -gt "$HB_MAX" ] && HB_MAX=$a
	done
	all_metric floodgate_fleet_up 0
}

check_redis_stop() {
	local t0 took bound=$((STALE_MS + 1000)) i
	t_poll 3000 all_metric floodgate_fleet_up 1 || { t_fail redis_stop_fleet_down "not up first:$MSEEN"; return; }
	HB_MAX=0
	kill -STOP "$REDIS_PID"
	t0=$(now_ms)
	t_poll $((bound + 1000)) down_and_ticking
	took=$(($(now_ms) - t0))
	[ "$took" -le "$bound" ] && all_metric floodgate_fleet_up 0
	t_is $? redis_stop_fleet_down "floodgate_fleet_up by node:$MSEEN after $took ms (want 0 within $bound ms)"
	# Keep sampling a little past the first request deadline of every node.
	for ((i = 0; i < 25; i++)); do down_and_ticking; sleep 0.02; done
	[ "$HB_MAX" -lt $((2 * TICK_MS + 100)) ]
	t_is $? redis_stop_ticks_on_time "oldest heartbeat seen $HB_MAX ms (want < $((2 * TICK_MS + 100)) ms)"
	note "SIGSTOP: fleet down on every node after $took ms (stale $STALE_MS ms); oldest heartbeat seen meanwhile $HB_MAX ms"
	kill -CONT "$REDIS_PID"
	t0=$(now_ms)
	t_poll 5000 all_metric floodgate_fleet_nodes "$N"
	t_is $? redis_resumed_reconverges "floodgate_fleet_nodes by node:$MSEEN after $POLL_MS ms"
	note "SIGCONT: every node saw $N nodes again after $(($(now_ms) - t0)) ms"
	[ "$(metric 1 'floodgate_fleet_sync_errors_total{op="sync"}')" -ge 1 ] 2>/dev/null
	t_is $? redis_stop_errors_counted "node 1's sync errors: $(metric 1 'floodgate_fleet_sync_errors_total{op="sync"}')"
}

# step              | needs                        | checks it reports
CHECKS=(
	"setup_topology    |                              | setup"
	"setup_daemons     | setup_topology               | config_checks daemons_start"
	"check_membership  | setup_daemons                | fleet_membership fleet_up fleet_redis_keys fleet_textfile_promtool"
	"check_all_fail    | check_membership             | fleet_opens_all fleet_opens_within_two_syncs fleet_reason fleet_half_open_closes"
	"check_one_path    | check_membership             | one_path_opens_own one_path_others_stay one_path_recovers"
	"check_redis_stop  | check_membership             | redis_stop_fleet_down redis_stop_ticks_on_time redis_resumed_reconverges redis_stop_errors_counted"
)
t_run
