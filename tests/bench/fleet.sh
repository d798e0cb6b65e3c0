#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Fleet mode's cost: what each node asks of Redis, and what floodgated's CPU
# pays for the fleet. Part of `make bench` (tests/bench/run.sh section 9);
# never part of `make test`.
#
# The topology of tests/lib/fleet.sh: FGBF_NODES (3) floodgated nodes, each
# attached to its own veth, a redis-server of this run in its own namespace.
# Every node has FGBF_UPSTREAMS (1000) upstreams, probe = none (so no probe
# traffic: the daemon's own work is its tick, its textfile and the fleet),
# tick 100 ms, sync 100 ms, stale 3 s (the defaults), textfile every 5 s.
#
# In FGBF_ROUNDS (3) rounds, the fleet on and off in turn (the order
# alternates per round, so drift and neighbours hit both alike): every node
# reloads (SIGHUP) a config with or without [fleet]; after FGBF_WARMUP_S (2)
# s, over a window of FGBF_WINDOW_S (10) s:
#   - each node's CPU, utime + stime from /proc/PID/stat, as % of one core
#     (the mean of the nodes);
#   - fleet on: Redis's own counters, read from it (INFO commandstats and
#     INFO stats deltas): EVALs (one per sync: one round trip) and the
#     commands the sync script runs inside Redis, per second per node; bytes
#     in and out per sync; Redis's CPU (INFO cpu).
# The figures: medians over the rounds.
#
# Hot sources: FGBF_SOURCES (10,000) sources of 198.19.0.0/16, each sending
# FGBF_SOURCE_PPS (3) packets/s to every node (bench_gen, one per node, from
# the hub, AF_PACKET: the router spreads a source over every box) against a
# policy of 1/s burst 2: every source is over its limit on every box, so
# with the fleet on each box marks it hot, publishes its rate each sync and
# holds it to a share. The same traffic runs with the fleet off (nothing is
# marked then), so the CPU difference is the fleet's, shares included.
#
# Output: "key value" lines on stdout (read by tests/bench/run.sh); progress
# on stderr. Only 198.18.0.0/15 inside the namespaces made here; names carry
# $$; pins under /sys/fs/bpf/fgbf-$$-I; the EXIT trap (tests/lib/fleet.sh)
# stops what was started here by PID, detaches, removes the pins, the
# namespaces and the temp dir, on failure too. Every loop is bounded.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/proc.sh"

export FG_FLEET_NODES=${FGBF_NODES:-3}
FLEET_TAG=fgbf STALE_MS=3000 FLEET_DAEMON_ARGS="" # no -v: as in production
. "$HERE/../lib/fleet.sh"
NUPS=${FGBF_UPSTREAMS:-1000}
ROUNDS=${FGBF_ROUNDS:-3}
WINDOW_S=${FGBF_WINDOW_S:-10}
WARMUP_S=${FGBF_WARMUP_S:-2}
SOURCES=${FGBF_SOURCES:-10000}
SOURCE_PPS=${FGBF_SOURCE_PPS:-3}
SRC_BASE=198.19.0.0
HZ=$(getconf CLK_TCK)
FLEET_ON=1

log() { echo "fleet bench: $*" >&2; }
die() { log "$*"; T_FAILED=1; exit 1; }

# write_config I: the bench's node I (replaces tests/lib/fleet.sh's).
write_config() {
	local i=$1
	mkdir -p "$TMP/$i/textfile"
	echo "$RPW" >"$TMP/$i/redis.pw"
	chmod 600 "$TMP/$i/redis.pw"
	{
		cat <<-EOF
			[daemon]
			pin_dir = $(pin_of "$i")
			interfaces = $(if_of "$i")
			tick = 100ms
			textfile_dir = $TMP/$i/textfile
			textfile_interval = 5s
			control_socket = $TMP/$i/sock

			[defaults]
			probe = none
		EOF
		[ "$SOURCES" -gt 0 ] && cat <<-EOF

			[policy 198.19.0.0/16]
			rate = 1/s
			burst = 2
			new_sources = off
		EOF
		awk -v n="$NUPS" 'BEGIN { for (k = 0; k < n; k++) { a = k + 1
			printf "\n[upstream s%04d]\naddress = 198.18.%d.%d:8080\n", k + 1, 4 + int(a / 256), a % 256 } }'
		[ "$FLEET_ON" = 1 ] && cat <<-EOF

			[fleet]
			redis = $R4:$RPORT
			password_file = $TMP/$i/redis.pw
			site = b$$
			node = node$i
		EOF
	} >"$TMP/$i/floodgated.conf"
}

cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat; } # utime + stime
# rinfo SECTION KEY: a field of INFO SECTION (cmdstat_X's calls for KEY=cmdstat_X).
rinfo() {
	rcli info "$1" | tr -d '\r' | awk -F'[:,=]' -v k="$2" '$1 == k { print ($2 == "calls" ? $3 : $2) }'
}
script_calls() { # the commands the sync script runs in Redis, all of them
	rcli info commandstats | tr -d '\r' | awk -F'[:,=]' '$1 ~ /^cmdstat_(set|sadd|smembers|get|srem)$/ { s += $3 } END { print s + 0 }'
}
redis_cpu_ms() { rcli info cpu | tr -d '\r' | awk -F: '$1 == "used_cpu_sys" || $1 == "used_cpu_user" { s += $2 } END { printf "%d", s * 1000 }'; }

# sources_start: each node's share of the hot sources' traffic, bounded
# by count and time (the whole bench), its generator stopped by the trap.
sources_start() {
	local i mac dur=$((ROUNDS * 2 * (WINDOW_S + WARMUP_S + 20) + 60))
	for ((i = 1; i <= N; i++)); do
		mac=$(ip netns exec "$(ns_of "$i")" cat /sys/class/net/"$(if_of "$i")"/address) || return 1
		ip netns exec "$NS_H" "$FG_TOOLS/bench_gen" --ifname "${TAG}h$i" --dst-mac "$mac" \
			--dst-ip "198.18.1$i.2" --src-base "$SRC_BASE" --sources "$SOURCES" \
			--pps $((SOURCES * SOURCE_PPS)) --duration "$dur" \
			--count $((SOURCES * SOURCE_PPS * dur)) --cpu -1 >"$TMP/gen$i.out" 2>&1 &
		FLEET_PIDS+=("$!")
	done
}
shares_of() { metric "$1" floodgate_fleet_shares; }

reloaded() { [ "$(grep -c 'config reloaded from' "$TMP/$1/log")" -gt "$2" ]; }
# set_mode on|off: every node reloads with the fleet on or off.
set_mode() {
	local i before=()
	FLEET_ON=$([ "$1" = on ] && echo 1 || echo 0)
	for ((i = 1; i <= N; i++)); do
		write_config "$i"
		before[i]=$(grep -c 'config reloaded from' "$TMP/$i/log")
		kill -HUP "${DPIDS[$((i - 1))]}"
	done
	for ((i = 1; i <= N; i++)); do
		t_poll 20000 reloaded "$i" "${before[i]}" || die "node $i did not reload: $(tail -2 "$TMP/$i/log")"
	done
	if [ "$1" = on ]; then
		t_poll 20000 fleet_all_up || die "fleet not up on every node:$MSEEN"
	fi
}

# window MODE ROUND: one measured window; a line into $TMP/rounds.
window() {
	local i c0=() c1=() e0 e1 s0 s1 bi0 bi1 bo0 bo1 r0 r1 t0 t1 cpu
	sleep "$WARMUP_S"
	for ((i = 1; i <= N; i++)); do c0[i]=$(cpu_ticks "${DPIDS[$((i - 1))]}"); done
	e0=$(rinfo commandstats cmdstat_eval) s0=$(script_calls)
	bi0=$(rinfo stats total_net_input_bytes) bo0=$(rinfo stats total_net_output_bytes)
	r0=$(redis_cpu_ms) t0=$(now_ms)
	sleep "$WINDOW_S"
	for ((i = 1; i <= N; i++)); do c1[i]=$(cpu_ticks "${DPIDS[$((i - 1))]}"); done
	e1=$(rinfo commandstats cmdstat_eval) s1=$(script_calls)
	bi1=$(rinfo stats total_net_input_bytes) bo1=$(rinfo stats total_net_output_bytes)
	r1=$(redis_cpu_ms) t1=$(now_ms)
	for ((i = 1; i <= N; i++)); do
		alive "${DPIDS[$((i - 1))]}" || die "node $i exited during the window"
		cpu+=" $((c1[i] - c0[i]))"
	done
	# mode round elapsed_ms cpu_pct_mean evals script_calls bytes_in bytes_out redis_cpu_ms shares
	awk -v m="$1" -v r="$2" -v el=$((t1 - t0)) -v hz="$HZ" -v n="$N" -v c="$cpu" -v sh="$(shares_of 1)" \
		-v e=$((${e1:-0} - ${e0:-0})) -v s=$((s1 - s0)) -v bi=$((bi1 - bi0)) -v bo=$((bo1 - bo0)) \
		-v rc=$((r1 - r0)) 'BEGIN { k = split(c, a, " "); for (j = 1; j <= k; j++) t += a[j]
			printf "%s %d %d %.3f %d %d %d %d %d %d\n", m, r, el, t / k / hz / (el / 1000) * 100, e, s, bi, bo, rc, sh + 0 }' \
		>>"$TMP/rounds"
	log "round $2, fleet $1: $(tail -1 "$TMP/rounds")"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); else print "nan" }'; }
# col MODE EXPR: EXPR over the rounds of MODE, median.
col() { awk -v m="$1" "\$1 == m { print $2 }" "$TMP/rounds" | median; }

log "$N nodes, $NUPS upstreams each, $ROUNDS rounds of ${WINDOW_S}s per mode (about $((ROUNDS * 2 * (WINDOW_S + WARMUP_S + 2) + 15)) s)"
setup_topology >&2
setup_daemons >&2
[ "$T_FAILED" = 0 ] || die "setup failed"
t_poll 20000 fleet_all_up || die "fleet not up on every node:$MSEEN"
[ "$SOURCES" -gt 0 ] && { sources_start || die "the hot sources' generators did not start"; }
: >"$TMP/rounds"
for ((r = 1; r <= ROUNDS; r++)); do
	if [ $((r % 2)) = 1 ]; then order="on off"; else order="off on"; fi
	for m in $order; do
		set_mode "$m"
		window "$m" "$r"
	done
done
el='$3 / 1000'
echo "fleet_nodes $N"
echo "fleet_upstreams $NUPS"
echo "fleet_hot_sources $SOURCES"
echo "fleet_source_pps $SOURCE_PPS"
echo "fleet_shares_node1 $(col on '$10')"
echo "fleet_rounds $ROUNDS"
echo "fleet_window_s $WINDOW_S"
echo "fleet_syncs_per_s_per_node $(col on "\$5 / ($el) / $N")"
echo "fleet_cmds_per_s_per_node $(col on "(\$5 + \$6) / ($el) / $N")"
echo "fleet_bytes_in_per_sync $(col on '$5 ? $7 / $5 : 0')"
echo "fleet_bytes_out_per_sync $(col on '$5 ? $8 / $5 : 0')"
echo "fleet_redis_cpu_pct $(col on "\$9 / \$3 * 100")"
echo "fleet_cpu_on_pct $(col on '$4')"
echo "fleet_cpu_off_pct $(col off '$4')"
# The difference within a round (on minus off), median.
echo "fleet_cpu_delta_pct $(awk '{ v[$2 " " $1] = $4; r[$2] = 1 } END { for (k in r) if ((k " on") in v && (k " off") in v) print v[k " on"] - v[k " off"] }' "$TMP/rounds" | median)"
echo "fleet_rounds_raw $(tr '\n' ';' <"$TMP/rounds")"
echo
