#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Fleet mode when its Redis goes away: $N floodgated nodes in the topology
# of tests/lib/fleet.sh, and four faults of Redis, one after the other:
#   stop    SIGSTOP (a hung server: connections accepted, never answered)
#   link    its veth down (a partition: no route, nothing answers)
#   kill    kill -9, then a new redis-server on the same address (empty)
#   delay   200 ms each way, through tests/tools/tcp_delay.c (this kernel
#           has no sch_netem); the nodes reach Redis through it from a
#           reload on (check_delay), with the delay off first
# For each fault, while it lasts and until the fleet is back:
#   - a client (198.18.40.1, in the hub) sends 50 packets/s to every node,
#     under its limit there (200/s): each node's receiver gets every packet
#     sent (a tick or the datapath that waited on Redis would drop or lag);
#   - every node's heartbeat (written each tick) stays younger than two
#     ticks and a margin: ticks never wait on Redis;
#   - stop, link, kill: every node drops the fleet's data and judges alone
#     (floodgate_fleet_up 0, no node seen, so no votes) within stale + 1 s
#     (fleet_all_local in tests/lib/fleet.sh: the marked place where the
#     per-source shares' "all gone" check goes once they exist);
#     delay: a round trip of 400 ms is under the request deadline (stale /
#     2), so the fleet stays up throughout, each node seeing all, its
#     syncs slowed to the round trip;
#   - kill only, while Redis is gone: web answers 503 to every node, and
#     each opens on its own outcomes (reason consecutive_failures, none by
#     reason fleet), and closes again through its half-open probes;
#   - once Redis is back: every node sees all N nodes again within a
#     reconnect (half a sync after a refused connect, a sync for one whose
#     SYN was lost while the link was down: fleet.c), two syncs (its first,
#     the others' next) and a margin; the figures printed show how long it
#     took, against the issue's two syncs. After the link comes back the
#     hub's ARP for Redis adds up to its retransmit time (about 0.7 s here).
# Low rates, bounded loops; sync 100 ms, stale 1.5 s (so a delayed round
# trip stays clear of the deadline on a loaded machine).
# The steps and what each needs: CHECKS at the bottom.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/proc.sh"

FLEET_TAG=fgff STALE_MS=1500
. "$HERE/../lib/fleet.sh"
CLIENT4=198.18.40.1 PORT=9000 PPS=50 RATE=200 MAX_FLOW_S=40
DELAY_MS=200 RELAY4=$HR4 RELAY_PORT=$((RPORT + 1))
RECONNECT_MS=$SYNC_MS # fleet.c: a connect's deadline (a retry comes after half a sync)
MARGIN_MS=1000 # loaded machines: a tick, a textfile write, scheduling
HB_BOUND_MS=$((2 * TICK_MS + 100))
REJOIN_MS=$((RECONNECT_MS + 2 * SYNC_MS + MARGIN_MS))
RELAY_PID=""
FLOOD_PIDS=() COUNT_PIDS=()

fleet_conf_extra() {
	cat <<-EOF

		; the client's own limit, well over what it sends
		[policy $CLIENT4/32]
		action = limit
		rate = $RATE/s
		burst = $RATE
	EOF
}

setup_client() {
	ip -n "$NS_H" addr add "$CLIENT4/32" dev lo
	t_is $? client_setup "could not add $CLIENT4 in the hub"
}

# flows_start: a receiver in every node, then a sender from the client to
# each (bounded: MAX_FLOW_S, and stopped by flows_stop).
flows_start() {
	local i
	FLOOD_PIDS=() COUNT_PIDS=()
	for ((i = 1; i <= N; i++)); do
		rm -f "$TMP/$i/ready"
		ip netns exec "$(ns_of "$i")" "$FG_TOOLS/udpcount" -b "198.18.1$i.2" -p $PORT \
			-t $((MAX_FLOW_S + 10)) -i 500 -R "$TMP/$i/ready" >"$TMP/$i/count" 2>&1 &
		COUNT_PIDS+=("$!") FLEET_PIDS+=("$!")
	done
	for ((i = 1; i <= N; i++)); do
		t_poll 5000 test -e "$TMP/$i/ready" || return 1
	done
	for ((i = 1; i <= N; i++)); do
		ip netns exec "$NS_H" "$FG_TOOLS/udpflood" -s $CLIENT4 -d "198.18.1$i.2" -p $PORT \
			-r $PPS -n $((PPS * MAX_FLOW_S)) -t $MAX_FLOW_S >"$TMP/$i/flood" 2>&1 &
		FLOOD_PIDS+=("$!") FLEET_PIDS+=("$!")
	done
}
counted_all() { local p; for p in "${COUNT_PIDS[@]}"; do gone "$p" || return 1; done; }
# flows_stop NAME: stop the senders, let the receivers go idle, and check
# that each node got every packet sent to it (LSEEN: node:got/sent).
flows_stop() {
	local i sent got bad=0
	stop_pids "${FLOOD_PIDS[@]}"
	t_poll 5000 counted_all
	stop_pids "${COUNT_PIDS[@]}"
	LSEEN=""
	for ((i = 1; i <= N; i++)); do
		sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' "$TMP/$i/flood")
		got=$(sed -n 's/^# total=\([0-9]*\) .*/\1/p' "$TMP/$i/count")
		LSEEN+=" $i:${got:-?}/${sent:-?}"
		[ -n "$sent" ] && [ "$sent" -gt 0 ] && [ "$got" = "$sent" ] || bad=1
	done
	t_is $bad "$1_no_loss" "received/sent by node:$LSEEN (want all, none lost)"
}

# local_and_ticking: heartbeats sampled (HB_MAX), then every node local.
local_and_ticking() { hb_sample; fleet_all_local; }
# up_and_ticking: the same, then the fleet up everywhere with all N nodes.
up_and_ticking() { hb_sample; fleet_all_up; }

# engine_loss NAME BREAK MEND [WHILE]: the fault BREAK (a function), its
# checks, WHILE (more checks while every node is alone), MEND (a function
# that brings Redis back), the reconvergence and the flows' counts.
engine_loss() {
	local name=$1 t0 took bound=$((STALE_MS + 1000)) rejoin=$REJOIN_MS
	t_poll 5000 fleet_all_up || { t_fail "${name}_fleet_local" "not all up first:$MSEEN"; return; }
	flows_start || { t_fail "${name}_fleet_local" "a receiver did not start"; return; }
	HB_MAX=0
	"$2" || { t_fail "${name}_fleet_local" "could not make the fault"; flows_stop "$name"; return; }
	t0=$(now_ms)
	t_poll $((bound + 1000)) local_and_ticking
	took=$(($(now_ms) - t0))
	[ "$took" -le "$bound" ] && fleet_all_local
	t_is $? "${name}_fleet_local" "fleet up/nodes by node:$MSEEN after $took ms (want down, 0 nodes within $bound ms)"
	# Past the request deadline and a reconnect attempt or two.
	tick_while $((STALE_MS / 2 + 2 * SYNC_MS))
	[ "$HB_MAX" -lt $HB_BOUND_MS ]
	t_is $? "${name}_ticks_on_time" "oldest heartbeat seen $HB_MAX ms (want < $HB_BOUND_MS ms)"
	note "$name: every node local after $took ms (stale $STALE_MS ms); oldest heartbeat $HB_MAX ms"
	[ -z "${4:-}" ] || "$4"
	"$3" || { t_fail "${name}_reconverges" "could not bring Redis back: ${RSEEN:-}"; flows_stop "$name"; return; }
	t0=$(now_ms)
	t_poll $((rejoin + 3000)) up_and_ticking
	took=$(($(now_ms) - t0))
	[ "$took" -le "$rejoin" ] && fleet_all_up
	t_is $? "${name}_reconverges" "fleet up/nodes by node:$MSEEN after $took ms (want all up with $N within $rejoin ms)"
	note "$name: every node saw $N nodes again $took ms after Redis was back (bound $rejoin ms)"
	flows_stop "$name"
	note "$name: received/sent by node:$LSEEN"
}

stop_break() { kill -STOP "$REDIS_PID"; }
stop_mend() { kill -CONT "$REDIS_PID"; }
check_stop() { engine_loss stop stop_break stop_mend; }

link_break() { ip -n "$NS_R" link set "$IF_R" down; }
link_mend() { ip -n "$NS_R" link set "$IF_R" up && ip -n "$NS_R" route replace default via "$HR4"; }
check_link() { engine_loss link link_break link_mend; }

kill_break() {
	ours "$REDIS_PID" && kill -KILL "$REDIS_PID" && wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=""
}
kill_mend() { redis_start; }
# by_fleet I: how often web opened on node I by reason fleet.
by_fleet() { metric "$1" 'floodgate_breaker_transitions_total{upstream="web",from="closed",to="open",reason="fleet"}'; }
# kill_alone: with Redis gone, a failing web opens every node on its own.
kill_alone() {
	local i before=() own=0 fleet=0 t0
	t_poll 3000 all_states closed || { t_fail kill_breakers_alone "not all closed first:$SSEEN"; return; }
	for ((i = 1; i <= N; i++)); do before[i]=$(by_fleet "$i"); done
	echo 503 >"$TMP/status"
	t0=$(now_ms)
	t_poll $((NFAIL * PROBE_MS + 3000)) all_states open
	t_is $? kill_breakers_alone "states:$SSEEN after $POLL_MS ms of 503 (want all open)"
	note "kill: with Redis gone, a failing web opened every node on its own in $(($(now_ms) - t0)) ms ($NFAIL probes of $PROBE_MS ms)"
	for ((i = 1; i <= N; i++)); do
		t_poll 2000 has_metric "$i" 'floodgate_breaker_transitions_total{upstream="web",from="closed",to="open",reason="consecutive_failures"}' &&
			own=$((own + 1))
		[ "$(by_fleet "$i")" = "${before[i]}" ] || fleet=$((fleet + 1))
	done
	[ "$own" = "$N" ] && [ "$fleet" = 0 ]
	t_is $? kill_breakers_own_reason "nodes opened by consecutive_failures: $own of $N, by fleet: $fleet (want $N and 0)"
	echo 200 >"$TMP/status"
	t_poll $((OPEN_MS + 3000)) all_states closed
	t_is $? kill_breakers_close_alone "states:$SSEEN $POLL_MS ms after web was healthy again (want all closed)"
}
check_kill() { engine_loss kill kill_break kill_mend kill_alone; }

# The delay: the nodes reload onto the relay (delay off), then it is turned
# on for three stale periods, then off again.
# via_relay: Redis's clients are N, all from the relay's address (RSEEN).
via_relay() {
	RSEEN=$(rcli client list 2>&1 | grep -o 'addr=[0-9.]*' | sort | uniq -c | tr '\n' ' ')
	[ "$(rcli client list | grep -c "addr=$RELAY4:")" = "$N" ] &&
		! rcli client list | grep -q 'addr=198\.18\.1[0-9]\.'
}
relay_all_up() { fleet_all_up && via_relay; }
delay_setup() {
	local i
	ip netns exec "$NS_H" "$FG_TOOLS/tcp_delay" -l "$RELAY4:$RELAY_PORT" -c "$R4:$RPORT" \
		-d $DELAY_MS -t 600 -R "$TMP/relay.ready" 2>"$TMP/relay.log" &
	RELAY_PID=$! FLEET_PIDS+=("$!")
	t_poll 5000 test -e "$TMP/relay.ready" || { t_fail delay_via_relay "tcp_delay: $(cat "$TMP/relay.log")"; return; }
	FLEET_REDIS=$RELAY4:$RELAY_PORT
	for ((i = 1; i <= N; i++)); do
		write_config "$i"
		kill -HUP "${DPIDS[$((i - 1))]}"
	done
	t_poll 5000 relay_all_up
	t_is $? delay_via_relay "fleet up/nodes by node:$MSEEN, Redis's clients: $RSEEN (want $N, all from $RELAY4)"
}
# sync_age_sample: the oldest last-sync age seen so far (AGE_MAX, ms).
sync_age_sample() {
	local i a
	for ((i = 1; i <= N; i++)); do
		a=$(metric "$i" floodgate_fleet_last_sync_age_seconds)
		a=$(awk -v a="${a:-99}" 'BEGIN { printf "%d", a * 1000 }')
		[ "$a" -gt "$AGE_MAX" ] && AGE_MAX=$a
	done
}
check_delay() {
	local t0 took k bad=0 end rejoin=$REJOIN_MS
	t_poll 5000 fleet_all_up || { t_fail delay_fleet_stays_up "not all up first:$MSEEN"; return; }
	flows_start || { t_fail delay_fleet_stays_up "a receiver did not start"; return; }
	HB_MAX=0 AGE_MAX=0
	kill -USR1 "$RELAY_PID"
	t0=$(now_ms)
	end=$((t0 + 3 * STALE_MS))
	for ((k = 0; k < 1000 && $(now_ms) < end; k++)); do
		hb_sample
		fleet_all_up || { bad=1; break; }
		sync_age_sample
		sleep 0.05
	done
	t_is $bad delay_fleet_stays_up "fleet up/nodes by node:$MSEEN after $(($(now_ms) - t0)) ms of delay (want all up with $N)"
	# The relay did delay: a sync takes a round trip (2 x DELAY_MS), so some
	# textfile written late in a sync says so (without it: <= a sync).
	[ "$AGE_MAX" -ge $DELAY_MS ]
	t_is $? delay_syncs_slowed "oldest last-sync age seen $AGE_MAX ms (want >= $DELAY_MS ms: the relay's delay)"
	[ "$HB_MAX" -lt $HB_BOUND_MS ]
	t_is $? delay_ticks_on_time "oldest heartbeat seen $HB_MAX ms (want < $HB_BOUND_MS ms)"
	note "delay ${DELAY_MS} ms each way for $((3 * STALE_MS)) ms: fleet up throughout; oldest last-sync age seen $AGE_MAX ms, oldest heartbeat $HB_MAX ms"
	kill -USR2 "$RELAY_PID"
	t0=$(now_ms)
	t_poll $((rejoin + 3000)) up_and_ticking
	took=$(($(now_ms) - t0))
	[ "$took" -le "$rejoin" ] && fleet_all_up
	t_is $? delay_reconverges "fleet up/nodes by node:$MSEEN after $took ms (want all up with $N within $rejoin ms)"
	note "delay off: every node saw $N nodes $took ms later (bound $rejoin ms)"
	flows_stop delay
	note "delay: received/sent by node:$LSEEN"
}

# step              | needs                        | checks it reports
CHECKS=(
	"setup_topology    |                              | setup"
	"setup_daemons     | setup_topology               | config_checks daemons_start"
	"setup_client      | setup_topology               | client_setup"
	"check_stop        | setup_daemons setup_client   | stop_fleet_local stop_ticks_on_time stop_reconverges stop_no_loss"
	"check_link        | setup_daemons setup_client   | link_fleet_local link_ticks_on_time link_reconverges link_no_loss"
	"check_kill        | setup_daemons setup_client   | kill_fleet_local kill_ticks_on_time kill_breakers_alone kill_breakers_own_reason kill_breakers_close_alone kill_reconverges kill_no_loss"
	"delay_setup       | setup_daemons                | delay_via_relay"
	"check_delay       | delay_setup setup_client     | delay_fleet_stays_up delay_syncs_slowed delay_ticks_on_time delay_reconverges delay_no_loss"
)
t_run
