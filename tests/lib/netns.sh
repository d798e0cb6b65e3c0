# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# The two-namespace topology of tests/netns/test_limit.sh and tests/demo.sh.
# Source it, then call ns_setup.
#
#   client netns ($NS_CLI)                      gateway netns ($NS_GW)
#   $IF_CLI  198.18.0.x/24  ──── veth ────  $IF_GW  198.18.0.1/24 ($GW4)
#            2001:db8:0:1::x/64                      2001:db8:0:1::1/64 ($GW6)
#                                           floodgate XDP on $IF_GW (ingress)
#
# Only 198.18.0.0/15 and 2001:db8::/32 addresses are used, only inside the two
# namespaces. Names carry the shell's PID, so a crashed earlier run never
# collides, and so does the pin dir (never the default /sys/fs/bpf/floodgate).
# ns_cleanup (installed as the EXIT trap by ns_setup) kills the processes
# started with ns_bg by PID, removes the pins (which detaches the program),
# and deletes both namespaces; it runs on success, failure, and Ctrl-C.

[ -n "${FG_LIB_NETNS:-}" ] && return 0
FG_LIB_NETNS=1
. "$(dirname "${BASH_SOURCE[0]}")/check.sh" # FG, FG_TOOLS, t_poll
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"  # stop_pids

NS_TAG=${NS_TAG:-fgt$$}
NS_CLI=${NS_TAG}c
NS_GW=${NS_TAG}s
IF_CLI=${NS_TAG}a
IF_GW=${NS_TAG}b
GW4=198.18.0.1
GW6=2001:db8:0:1::1
FG_PIN_DIR=${NS_PIN_DIR:-/sys/fs/bpf/fgtest-$$}
export FLOODGATE_PIN_DIR=$FG_PIN_DIR
NS_TMP=""
NS_PIDS=()
NS_LAST_PID=""

# Run a command in a namespace; "ns_run NS cmd..." (stdout/stderr as given).
ns_run() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# Start a command in a namespace in the background and remember its PID
# (ip netns exec execs the command, so the PID is the command's own) in
# NS_LAST_PID. Redirections belong to the caller: ns_bg NS cmd... >file
ns_bg() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" &
	NS_LAST_PID=$!
	NS_PIDS+=("$NS_LAST_PID")
}

# floodgate in the gateway namespace: attach/detach resolve interface names
# there. nsenter (unlike ip netns exec) keeps the root namespace's /sys, so
# the bpffs at /sys/fs/bpf stays visible.
fg_gw() {
	nsenter --net=/run/netns/"$NS_GW" "$FG" "$@" --pin-dir "$FG_PIN_DIR"
}

# floodgate commands that only use the pins run from anywhere (fg is the
# shell's job-control builtin, hence the name).
fgate() {
	"$FG" "$@" --pin-dir "$FG_PIN_DIR"
}

# Wait (bounded) until FILE exists: ns_wait_file FILE SECONDS
ns_wait_file() { t_poll $(($2 * 1000)) test -e "$1"; }

# Add a client address: ns_client_addr 198.18.0.11/24 | 2001:db8:0:1::a/64
ns_client_addr() {
	case "$1" in
	*:*) ip -n "$NS_CLI" addr add "$1" dev "$IF_CLI" nodad ;;
	*) ip -n "$NS_CLI" addr add "$1" dev "$IF_CLI" ;;
	esac
}

# Pin the neighbour entries both ways (after they resolved): the client's
# for the gateway, the gateway's for each client address given. Then no
# ARP/NDP re-probe (e.g. the gateway's NUD probe 5 s after it last replied,
# answered by an NA from a limited source) mixes into a measurement.
#   ns_pin_neighbours CLIENT_ADDR...
ns_pin_neighbours() {
	local a gmac cmac
	gmac=$(ip netns exec "$NS_GW" cat /sys/class/net/"$IF_GW"/address) &&
		cmac=$(ip netns exec "$NS_CLI" cat /sys/class/net/"$IF_CLI"/address) || return 1
	for a in "$GW4" "$GW6"; do
		ip -n "$NS_CLI" neigh replace "$a" lladdr "$gmac" dev "$IF_CLI" nud permanent || return 1
	done
	for a in "$@"; do
		ip -n "$NS_GW" neigh replace "$a" lladdr "$cmac" dev "$IF_GW" nud permanent || return 1
	done
}

# Stop what ns_bg started, by PID: TERM, up to 2 s grace, then KILL.
ns_kill_all() {
	stop_pids "${NS_PIDS[@]}"
	NS_PIDS=()
}

ns_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	ns_kill_all
	if [ -d "$FG_PIN_DIR" ]; then
		fg_gw detach "$IF_GW" >/dev/null 2>&1
		# Whatever is left (a failed detach): removing a link's pin detaches it.
		rm -rf -- "$FG_PIN_DIR"
	fi
	ip netns del "$NS_CLI" 2>/dev/null
	ip netns del "$NS_GW" 2>/dev/null
	[ -n "$NS_TMP" ] && rm -rf -- "$NS_TMP"
	return $rc
}

# Build the topology and install the cleanup trap. Fails (returns 1, with a
# message on stderr) if anything is missing or a command fails.
ns_setup() {
	case "$FG_PIN_DIR" in
	/sys/fs/bpf/floodgate | /sys/fs/bpf/floodgate/) echo "refusing the default pin dir" >&2; return 1 ;;
	esac
	trap ns_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	NS_TMP=$(mktemp -d /tmp/fgnetns.XXXXXX) || return 1
	local x
	for x in "$FG" "$FG_TOOLS/udpflood" "$FG_TOOLS/udpcount"; do
		[ -x "$x" ] || { echo "missing $x (run make)" >&2; return 1; }
	done
	ip netns add "$NS_CLI" && ip netns add "$NS_GW" || return 1
	for x in "$NS_CLI" "$NS_GW"; do
		ip netns exec "$x" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
		ip -n "$x" link set lo up || return 1
	done
	ip -n "$NS_CLI" link add "$IF_CLI" type veth peer name "$IF_GW" netns "$NS_GW" || return 1
	ip -n "$NS_GW" addr add "$GW4/24" dev "$IF_GW" &&
		ip -n "$NS_GW" addr add "$GW6/64" dev "$IF_GW" nodad &&
		ip -n "$NS_CLI" link set "$IF_CLI" up &&
		ip -n "$NS_GW" link set "$IF_GW" up || return 1
}
