# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# shellcheck shell=bash
# The fleet topology of tests/netns/test_fleet*.sh and tests/demo_fleet.sh:
# $N floodgated nodes, one redis-server, one HTTP upstream.
#
#   node ns i (i = 1..N)                hub ns (forwarding)            upstream ns
#   $IFn 198.18.1i.2 ── veth ── 198.18.1i.1 | 198.18.20.1 ── veth ── 198.18.20.10 web
#   floodgated i (own pin dir,          |                              http_upstream.py :80
#   socket, textfile), attached to $IFn | 198.18.30.1 ── veth ── 198.18.30.10 redis ns
#                                       |                        redis-server (this run's)
#
# Redis has a namespace and a veth of its own, so a test can take its link
# down. Source it after check.sh and proc.sh, set what differs (below), then
# run the steps setup_topology and setup_daemons. Names carry the shell's
# PID and FLEET_TAG, pins are under /sys/fs/bpf/FLEET_TAG-PID-i (never the
# default pin dir); fleet_cleanup (the EXIT trap) stops the processes this
# shell started (the daemons, Redis, the upstream, and FLEET_PIDS), detaches,
# removes the pins, namespaces and temp dir, on success, failure and Ctrl-C.
#
# What a script may set before setup_daemons:
#   FLEET_REDIS       the nodes' redis = ADDR:PORT (default Redis itself)
#   fleet_conf_extra  a function: more config for node $1, on stdout
#   FLEET_PIDS        more processes of its own for the cleanup to stop
#   FLEET_DAEMON_ARGS floodgated's options beyond -c (default -v)

[ -n "${FG_LIB_FLEET:-}" ] && return 0
FG_LIB_FLEET=1

N=${FG_FLEET_NODES:-3}
TAG=${FLEET_TAG:-fgfl}$$
NS_H=${TAG}h NS_U=${TAG}u NS_R=${TAG}r
IF_HU=${TAG}hu IF_U=${TAG}u0 IF_HR=${TAG}hr IF_R=${TAG}r0
U4=198.18.20.10 HU4=198.18.20.1
R4=198.18.30.10 HR4=198.18.30.1 RPORT=6390
RPW=fleet-$$-$RANDOM # requirepass: node 1 sends AUTH PASSWORD, the others AUTH default PASSWORD
TICK_MS=${TICK_MS:-100} SYNC_MS=${SYNC_MS:-100} STALE_MS=${STALE_MS:-1000}
PROBE_MS=${PROBE_MS:-100} OPEN_MS=${OPEN_MS:-1000} NFAIL=${NFAIL:-12}
HB=$FG_TOOLS/breaker_heartbeat
FLEET_REDIS=${FLEET_REDIS:-$R4:$RPORT}
. "$(dirname "${BASH_SOURCE[0]}")/fleet_nodes.sh" # nodes, metrics, Redis, cleanup
FLEET_NETNS=("$NS_H" "$NS_U" "$NS_R")

# fleet_all_up: every node's fleet is up and sees all N nodes (MSEEN).
fleet_all_up() { all_metric floodgate_fleet_up 1 && all_metric floodgate_fleet_nodes "$N"; }
# fleet_all_local: every node has dropped the fleet's data and judges alone:
# the fleet down, no node seen (hence no votes: fleet_vote.h clears them
# with it). MSEEN says what was last seen.
fleet_all_local() {
	all_metric floodgate_fleet_up 0 && all_metric floodgate_fleet_nodes 0 &&
		all_metric floodgate_fleet_shares 0
}
# state I [UPSTREAM]: an upstream's breaker state on node I (default web).
state() {
	"$FG" upstream list --json --pin-dir "$(pin_of "$1")" 2>/dev/null |
		jq -r --arg n "${2:-web}" '.upstreams[] | select(.name == $n) | .state'
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

# hb_age I: node I's heartbeat age (ms) by CLOCK_MONOTONIC now.
hb_age() {
	local out
	out=$("$HB" "$(pin_of "$1")" show)
	awk -v o="$out" 'BEGIN { n = split(o, a, /[ \n]/); for (k = 1; k <= n; k++) {
		split(a[k], kv, "="); v[kv[1]] = kv[2] } printf "%d", (v["now_ns"] - v["heartbeat_ns"]) / 1e6 }'
}
# hb_sample: every node's heartbeat age, the oldest so far into HB_MAX (set
# it to 0 first): a tick that stalled shows as an old heartbeat.
hb_sample() {
	local i a
	for ((i = 1; i <= N; i++)); do
		a=$(hb_age "$i")
		[ "${a:-0}" -gt "$HB_MAX" ] && HB_MAX=$a
	done
	return 0
}
# tick_while MS: keep sampling the heartbeats for MS more (a window that
# the samples cover, not a wait for an effect; bounded in count too).
tick_while() {
	local end=$(($(now_ms) + $1)) k
	for ((k = 0; k < 500 && $(now_ms) < end; k++)); do hb_sample; sleep 0.02; done
}

write_config() {
	local i=$1
	mkdir -p "$TMP/$i/textfile"
	if [ "$i" = 1 ]; then echo "$RPW"; else echo "default $RPW"; fi >"$TMP/$i/redis.pw"
	chmod 600 "$TMP/$i/redis.pw"
	{
		cat <<-EOF
			; $(basename "$0"): node $i
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
			redis = $FLEET_REDIS
			password_file = $TMP/$i/redis.pw
			site = t$$
			node = node$i
			sync = ${SYNC_MS}ms
			stale = ${STALE_MS}ms
		EOF
		! declare -F fleet_conf_extra >/dev/null || fleet_conf_extra "$i"
	} >"$TMP/$i/floodgated.conf"
}

# net_node I: node I's namespace and its veth to the hub.
net_node() { ns_leaf "$(ns_of "$1")" "$(if_of "$1")" "$NS_H" "${TAG}h$1" "198.18.1$1.2" "198.18.1$1.1"; }
# net_leaf NS IF_NS IF_HUB ADDR HUB_ADDR: a namespace behind the hub.
net_leaf() { ns_leaf "$1" "$2" "$NS_H" "$3" "$4" "$5"; }


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
	{ ip netns add "$NS_H" && ip -n "$NS_H" link set lo up &&
		ip netns exec "$NS_H" sysctl -qw net.ipv4.ip_forward=1 &&
		net_leaf "$NS_U" "$IF_U" "$IF_HU" "$U4" "$HU4" &&
		net_leaf "$NS_R" "$IF_R" "$IF_HR" "$R4" "$HR4"; } ||
		{ t_fail setup "hub, upstream and Redis namespaces"; t_exit; }
	for ((i = 1; i <= N; i++)); do
		net_node "$i" || { t_fail setup "node $i's namespace"; t_exit; }
	done
	echo 200 >"$TMP/status"
	rm -f "$TMP/status.ready"
	ip netns exec "$NS_U" "$PY" "$SRV" --port 80 --bind "$U4" --control "$TMP/status" \
		--log "$TMP/requests" --ready "$TMP/status.ready" >>"$TMP/status.out" 2>&1 &
	SRV_PID=$!
	t_poll 5000 test -e "$TMP/status.ready" || { t_fail setup "http_upstream: $(cat "$TMP/status.out")"; t_exit; }
	redis_start || { t_fail setup "redis-server: $RSEEN"; t_exit; }
	t_ok setup
}

setup_daemons() { fleet_start_daemons ""; }
