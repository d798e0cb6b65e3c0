# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# shellcheck shell=bash
# What every fleet topology has, whatever connects its nodes
# (tests/lib/fleet.sh: a hub; tests/netns/test_fleet_shares.sh: a router with
# a multipath route): $N floodgated nodes, each in its namespace with its
# own pin dir, socket, textfile and log under $TMP/I, and one redis-server
# in $NS_R on $R4:$RPORT with the password $RPW. Source it after check.sh
# and proc.sh with N, TAG (names carry it and the shell's PID), NS_R, R4,
# RPORT and RPW set.
#
# fleet_cleanup (the EXIT trap) stops this shell's daemons (DPIDS), Redis,
# SRV_PID, FLOOD_PID and FLEET_PIDS, detaches the nodes, removes their pins,
# their namespaces and FLEET_NETNS (the topology's others), and the temp
# dir, after printing the nodes' logs if a check failed: on success,
# failure and Ctrl-C alike.

[ -n "${FG_LIB_FLEET_NODES:-}" ] && return 0
FG_LIB_FLEET_NODES=1

TMP="" REDIS_PID="" SRV_PID="" FLOOD_PID=""
DPIDS=() FLEET_PIDS=() FLEET_NETNS=()

note() { echo "  $*" >&2; }
ns_of() { echo "${TAG}n$1"; }
if_of() { echo "${TAG}n$1"; }
pin_of() { echo "/sys/fs/bpf/${TAG%"$$"}-$$-$1"; }
tf_of() { echo "$TMP/$1/textfile/floodgate.prom"; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

fleet_cleanup() {
	local rc=$? i
	trap - EXIT INT TERM
	stop_pids "${FLEET_PIDS[@]}" "${DPIDS[@]}" "$FLOOD_PID" "$SRV_PID" "$REDIS_PID"
	for ((i = 1; i <= N; i++)); do
		if [ -d "$(pin_of "$i")" ]; then
			nsenter --net=/run/netns/"$(ns_of "$i")" "$FG" detach "$(if_of "$i")" \
				--pin-dir "$(pin_of "$i")" >/dev/null 2>&1
			rm -rf -- "$(pin_of "$i")"
		fi
		ip netns del "$(ns_of "$i")" 2>/dev/null
	done
	for i in "${FLEET_NETNS[@]}"; do ip netns del "$i" 2>/dev/null; done
	if [ -n "$TMP" ]; then
		[ "${T_FAILED:-0}" != 0 ] && fleet_logs
		rm -rf -- "$TMP"
	fi
	return $rc
}
trap fleet_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fleet_logs() {
	local i
	for ((i = 1; i <= N; i++)); do
		echo "  --- node $i log, without probe lines (last 15) ---" >&2
		grep -v ': probe \(pass\|fail\) in' "$TMP/$i/log" 2>/dev/null | tail -n 15 |
			sed 's/^/  | /' >&2
	done
}

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

# ns_leaf NS IF PEER_NS PEER_IF ADDR PEER_ADDR: namespace NS (lo up) joined
# to PEER_NS by a veth IF -- PEER_IF, ADDR/24 and PEER_ADDR/24 on its ends,
# its default route through PEER_ADDR.
ns_leaf() {
	ip netns add "$1" && ip -n "$1" link set lo up &&
		ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
		ip -n "$1" addr add "$5/24" dev "$2" && ip -n "$3" addr add "$6/24" dev "$4" &&
		ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up &&
		ip -n "$1" route add default via "$6"
}

rcli() { ip netns exec "$NS_R" redis-cli -h "$R4" -p "$RPORT" -a "$RPW" --no-auth-warning "$@"; }
redis_ping() { RSEEN=$(rcli ping 2>&1); [ "$RSEEN" = PONG ]; }
# redis_start: this run's redis-server on $R4:$RPORT (again, after a kill),
# answering within 5 s; 1 (RSEEN says why) if not.
redis_start() {
	ip netns exec "$NS_R" redis-server --save '' --appendonly no --port "$RPORT" --bind "$R4" \
		--requirepass "$RPW" --logfile "$TMP/redis.log" &
	REDIS_PID=$!
	t_poll 5000 redis_ping || { RSEEN="$RSEEN $(tail -3 "$TMP/redis.log")"; return 1; }
}

# fleet_start_daemons CHECK_PREFIX [WRITE_CONFIG_ARGS...]: every node's
# config (write_config I ARGS..., the script's), checked, and its floodgated
# started (FLEET_DAEMON_ARGS: its options beyond -c, default -v) and
# running; reports PREFIXconfig_checks and PREFIXdaemons_start.
fleet_start_daemons() {
	local p=$1 i ok=0
	shift
	for ((i = 1; i <= N; i++)); do
		write_config "$i" "$@"
		"$FGD" --check-config -c "$TMP/$i/floodgated.conf" >/dev/null || ok=1
		# nsenter execs floodgated: $! is the daemon itself.
		# shellcheck disable=SC2086
		nsenter --net=/run/netns/"$(ns_of "$i")" "$FGD" -c "$TMP/$i/floodgated.conf" ${FLEET_DAEMON_ARGS--v} \
			>>"$TMP/$i/log" 2>&1 &
		DPIDS+=("$!")
	done
	t_is $ok "${p}config_checks" "--check-config refused a node's config"
	for ((i = 1; i <= N; i++)); do
		t_poll 5000 grep -q 'running:' "$TMP/$i/log" ||
			{ t_fail "${p}daemons_start" "node $i: $(tail -3 "$TMP/$i/log")"; t_exit; }
	done
	t_ok "${p}daemons_start"
}
