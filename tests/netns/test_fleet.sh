#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Fleet mode: $N floodgated nodes share breaker votes through one Redis,
# in the topology of tests/lib/fleet.sh (a hub namespace joining the nodes,
# the HTTP upstream web and Redis, each in its own namespace).
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
#     all, each read when its node is first seen open), and within the probes that add up to 12 failures, two syncs and
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

FLEET_TAG=fgfl
. "$HERE/../lib/fleet.sh"
MARGIN_MS=300
LATE_MS=800 # over the pipeline's own delays, from the switch (check 2; loaded machines)

# changed_ns I: web's changed_ns in node I's upstreams map (one
# CLOCK_MONOTONIC for all nodes).
changed_ns() {
	bpftool -j map dump pinned "$(pin_of "$1")/upstreams" 2>/dev/null |
		jq -r '.[] | (.formatted.value // .value) | select(.name == "web") | .changed_ns'
}
# all_opened: every node seen open; OPENED[i]: node i's changed_ns when it
# was first seen open. Read then, not once all are open: the first to open
# half-opens an open_timeout later and may re-open (a new changed_ns)
# before a slow poll has seen the last one open.
declare -A OPENED=()
all_opened() {
	local i s ok=0
	SSEEN=""
	for ((i = 1; i <= N; i++)); do
		if [ -z "${OPENED[$i]:-}" ]; then
			s=$(state "$i")
			[ "$s" = open ] && OPENED[$i]=$(changed_ns "$i")
		else
			s=open
		fi
		SSEEN+=" $i:$s"
		[ -n "${OPENED[$i]:-}" ] || ok=1
	done
	return $ok
}
# open_spread_ms: from the first node's open to the last one's (OPENED).
open_spread_ms() {
	printf '%s\n' "${OPENED[@]}" | sort -n |
		awk 'NR == 1 { lo = $1 } { hi = $1; n++ } END { if (n) printf "%d", (hi - lo) / 1e6 }'
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
	OPENED=()
	t_poll 3000 all_opened
	local rc=$? took=$(($(now_ms) - t0))
	[ $rc = 0 ] && [ "$took" -le "$bound" ]
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

# down_and_ticking: sample the heartbeats (HB_MAX: the oldest seen), then
# whether every node says the fleet is down.
down_and_ticking() {
	hb_sample
	all_metric floodgate_fleet_up 0
}

check_redis_stop() {
	local t0 took bound=$((STALE_MS + 1000))
	t_poll 3000 all_metric floodgate_fleet_up 1 || { t_fail redis_stop_fleet_down "not up first:$MSEEN"; return; }
	HB_MAX=0
	kill -STOP "$REDIS_PID"
	t0=$(now_ms)
	t_poll $((bound + 1000)) down_and_ticking
	took=$(($(now_ms) - t0))
	[ "$took" -le "$bound" ] && all_metric floodgate_fleet_up 0
	t_is $? redis_stop_fleet_down "floodgate_fleet_up by node:$MSEEN after $took ms (want 0 within $bound ms)"
	# Keep sampling past the request deadline and a reconnect attempt or two.
	tick_while $((STALE_MS / 2 + 2 * SYNC_MS))
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
