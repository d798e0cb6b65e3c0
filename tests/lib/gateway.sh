# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# The gateway topology of the breaker tests, the soak and the benches.
# Source it, call gw_names, then gw_setup.
#
#   client ns              gateway ns (forwarding)              upstream ns
#   IF_C C4 ── veth ── IF_GC GC4 | IF_GU GU4 ── veth ── IF_U U4
#
# Only 198.18.0.0/15 and 2001:db8::/32; every name carries the caller's TAG.

[ -n "${FG_LIB_GATEWAY:-}" ] && return 0
FG_LIB_GATEWAY=1
. "$(dirname "${BASH_SOURCE[0]}")/check.sh" # FG, FG_ROOT, t_poll
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"  # stop_pids

# gw_names TAG [IFTAG]: the namespaces' and interfaces' names (interfaces
# named from IFTAG when given: short names for kernel thread names) and the
# addresses.
gw_names() {
	NS_C=${1}c NS_G=${1}g NS_U=${1}u
	if [ -n "${2:-}" ]; then
		IF_C=c$2 IF_GC=gc$2 IF_GU=gu$2 IF_U=u$2
	else
		IF_C=${1}c0 IF_GC=${1}gc IF_GU=${1}gu IF_U=${1}u0
	fi
	C4=198.18.1.2 GC4=198.18.1.1 GU4=198.18.2.1 U4=198.18.2.10
	C6=2001:db8:1::2 GC6=2001:db8:1::1 GU6=2001:db8:2::1 U6=2001:db8:2::10
}

# gw_setup [v6] [xdp-pass OBJ]: builds the topology; 1 on the first failure
# (gw_teardown removes what was made). v6: IPv6 addresses and routes too.
# xdp-pass OBJ: an XDP_PASS program on the client's end, which on veth is
# what lets it receive the XDP_TX frames (RSTs) floodgate sends back.
gw_setup() {
	local v6=0 xdp="" x
	while [ $# -gt 0 ]; do
		case $1 in
		v6) v6=1 ;;
		xdp-pass) xdp=$2 && shift ;;
		*) echo "gw_setup: unknown argument '$1'" >&2 && return 1 ;;
		esac
		shift
	done
	for x in "$NS_C" "$NS_G" "$NS_U"; do
		ip netns add "$x" || return 1
		if [ "$v6" = 1 ]; then
			ip netns exec "$x" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
				net.ipv6.conf.default.accept_dad=0 || return 1
		fi
		ip -n "$x" link set lo up || return 1
	done
	ip netns exec "$NS_G" sysctl -qw net.ipv4.ip_forward=1 || return 1
	[ "$v6" = 0 ] || ip netns exec "$NS_G" sysctl -qw net.ipv6.conf.all.forwarding=1 || return 1
	ip -n "$NS_C" link add "$IF_C" type veth peer name "$IF_GC" netns "$NS_G" || return 1
	ip -n "$NS_U" link add "$IF_U" type veth peer name "$IF_GU" netns "$NS_G" || return 1
	ip -n "$NS_C" addr add "$C4/24" dev "$IF_C" &&
		ip -n "$NS_G" addr add "$GC4/24" dev "$IF_GC" &&
		ip -n "$NS_G" addr add "$GU4/24" dev "$IF_GU" &&
		ip -n "$NS_U" addr add "$U4/24" dev "$IF_U" || return 1
	if [ "$v6" = 1 ]; then
		ip -n "$NS_C" addr add "$C6/64" dev "$IF_C" nodad &&
			ip -n "$NS_G" addr add "$GC6/64" dev "$IF_GC" nodad &&
			ip -n "$NS_G" addr add "$GU6/64" dev "$IF_GU" nodad &&
			ip -n "$NS_U" addr add "$U6/64" dev "$IF_U" nodad || return 1
	fi
	if [ -n "$xdp" ]; then
		ip -n "$NS_C" link set dev "$IF_C" xdpdrv obj "$xdp" sec xdp || return 1
	fi
	ip -n "$NS_C" link set "$IF_C" up && ip -n "$NS_G" link set "$IF_GC" up &&
		ip -n "$NS_G" link set "$IF_GU" up && ip -n "$NS_U" link set "$IF_U" up || return 1
	ip -n "$NS_C" route add default via "$GC4" && ip -n "$NS_U" route add default via "$GU4" ||
		return 1
	if [ "$v6" = 1 ]; then
		ip -n "$NS_C" -6 route add default via "$GC6" &&
			ip -n "$NS_U" -6 route add default via "$GU6" || return 1
	fi
	return 0
}

# gw_detach: floodgate ($FG) off both gateway interfaces, and the pin dir
# ($PIN, only a test's own under /sys/fs/bpf/fg*) removed with whatever a
# failed detach left (removing a link's pin detaches it).
gw_detach() {
	case $PIN in /sys/fs/bpf/fg*) ;; *) return 1 ;; esac
	[ -d "$PIN" ] || return 0
	nsenter --net=/run/netns/"$NS_G" "$FG" detach "$IF_GC" --pin-dir "$PIN" >/dev/null 2>&1
	nsenter --net=/run/netns/"$NS_G" "$FG" detach "$IF_GU" --pin-dir "$PIN" >/dev/null 2>&1
	rm -rf -- "$PIN"
}

# gw_http VAR ADDR STATUS LOG: tests/tools/http_upstream.py on ADDR port 80
# (:: for every address) in the upstream namespace, answering what the file
# STATUS says (200, 503, down, ...), logging each request to LOG; returns
# once it serves (at most 5 s). VAR gets its PID: ip netns exec execs
# python and no subshell stands between, so it is a child of this shell.
gw_http() {
	local var=$1 addr=$2 status=$3 log=$4
	rm -f "$status.ready"
	ip netns exec "$NS_U" python3 "$FG_ROOT/tests/tools/http_upstream.py" --port 80 \
		--bind "$addr" --control "$status" --log "$log" --ready "$status.ready" \
		>>"$status.out" 2>&1 &
	printf -v "$var" %s $!
	t_poll 5000 test -e "$status.ready" && return 0
	echo "http_upstream on $addr did not start: $(cat "$status.out")" >&2
	return 1
}

# gw_daemon_conf TICK STALE TEXTFILE_INTERVAL SOCKET: the [daemon] section
# of a floodgated on the gateway (pins in $PIN, both gateway interfaces, the
# textfile in $TMP/textfile), then a blank line; TEXTFILE_INTERVAL - for the
# default.
gw_daemon_conf() {
	printf '[daemon]\npin_dir = %s\ninterfaces = %s, %s\ntick = %s\nstale_limit = %s\n' \
		"$PIN" "$IF_GC" "$IF_GU" "$1" "$2"
	printf 'textfile_dir = %s\n' "$TMP/textfile"
	[ "$3" = - ] || printf 'textfile_interval = %s\n' "$3"
	printf 'control_socket = %s\n\n' "$4"
}

# gw_daemon_running [FROM_LINE]: floodgated ($DPID) runs and said
# "running:" in $DLOG after line FROM_LINE (default: anywhere).
gw_daemon_running() {
	tail -n +"$((${1:-0} + 1))" "$DLOG" 2>/dev/null | grep -q 'running:' &&
		[ "$(cat /proc/"$DPID"/comm 2>/dev/null)" = floodgated ]
}

# gw_cleanup PID...: what the gateway scripts' EXIT trap does: the PIDs
# stopped (children of this shell only), floodgate detached, the namespaces
# deleted; when a check failed, the tail of $DLOG without probe lines; $TMP
# removed (FG_KEEP_TMP=1 keeps it to look at after a failure).
gw_cleanup() {
	stop_pids "$@"
	gw_detach
	gw_teardown
	[ -n "${TMP:-}" ] || return 0
	if [ "${T_FAILED:-0}" != 0 ] && [ -f "${DLOG:-}" ]; then
		echo "  --- floodgated log, without probe lines (last 50) ---" >&2
		grep -v ': probe \(pass\|fail\) in' "$DLOG" | tail -n 50 | sed 's/^/  | /' >&2
	fi
	if [ -n "${FG_KEEP_TMP:-}" ]; then echo "  kept $TMP" >&2; else rm -rf -- "$TMP"; fi
}

# gw_teardown: deletes the three namespaces (and with them the veths).
gw_teardown() {
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_G" 2>/dev/null
	ip netns del "$NS_U" 2>/dev/null
	return 0
}

