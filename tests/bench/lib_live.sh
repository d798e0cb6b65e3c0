# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# The two namespaces of the veth benches (tests/bench/run.sh sections 2 and 7,
# tests/bench/attack.sh): a generator side and a receiving side joined by one
# veth whose receiving end runs threaded NAPI, and what is read off it.
# Source it after setting NSG, NSR (namespaces), IFG, IFR (the veth ends:
# their names show in the NAPI kthread's name) and DST (the receiver's
# address); the generator side is 198.18.0.2. setup_veth sets MAC_R. The
# caller's EXIT trap deletes the namespaces (and with them the veth and any
# nft rules).

setup_veth() {
	ip netns add "$NSG" && ip netns add "$NSR" || return 1
	ip link add "$IFG" netns "$NSG" type veth peer name "$IFR" netns "$NSR" || return 1
	ip -n "$NSG" link set lo up && ip -n "$NSR" link set lo up || return 1
	ip -n "$NSG" addr add 198.18.0.2/15 dev "$IFG" || return 1
	ip -n "$NSR" addr add "$DST"/15 dev "$IFR" || return 1
	# Sources 198.19.x.y are on link: no reverse-path drops.
	ip netns exec "$NSR" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 "net.ipv4.conf.$IFR.rp_filter=0" || return 1
	# veth queues a frame for the peer's NAPI only when it is GRO-eligible:
	# no TSO on the sending end; GRO on the receiving end gives it a NAPI
	# instance even without XDP, so every method takes the same path.
	ip netns exec "$NSG" ethtool -K "$IFG" tso off >/dev/null 2>&1 || return 1
	ip netns exec "$NSR" ethtool -K "$IFR" gro on >/dev/null 2>&1 || return 1
	ip -n "$NSG" link set "$IFG" up && ip -n "$NSR" link set "$IFR" up || return 1
	ip netns exec "$NSR" sh -c "echo 1 > /sys/class/net/$IFR/threaded" || return 1
	MAC_R=$(ip netns exec "$NSR" cat /sys/class/net/"$IFR"/address) || return 1
	return 0
}

# PIDs of the receiving veth's NAPI kthreads (comm "napi/IFR-ID", cut at 15).
napi_pids() {
	local p c want="napi/$IFR-"
	want=${want:0:15}
	for p in /proc/[0-9]*; do
		{ read -r c <"$p/comm"; } 2>/dev/null || continue
		[ "${c:0:${#want}}" = "$want" ] && echo "${p#/proc/}"
	done
}

# napi_pin CPU [fifo|nice]: pins the receiving veth's NAPI kthreads to CPU,
# SCHED_FIFO priority 1 or nice -20 when asked; their PIDs in NAPI_PIDS.
napi_pin() {
	local p
	NAPI_PIDS=$(napi_pids)
	[ -n "$NAPI_PIDS" ] || { echo "no NAPI kthread for $IFR" >&2; return 1; }
	for p in $NAPI_PIDS; do
		taskset -pc "$1" "$p" >/dev/null || return 1
		case ${2:-} in
		fifo) chrt -f -p 1 "$p" || return 1 ;;
		nice) renice -n -20 -p "$p" >/dev/null || return 1 ;;
		esac
	done
}

napi_runtime() { # sum of run time, ns, of the given PIDs
	local p s=0 t
	for p in "$@"; do
		read -r t _ <"/proc/$p/schedstat" || return 1
		s=$((s + t))
	done
	echo "$s"
}

rx_packets() { ip netns exec "$NSR" cat /sys/class/net/"$IFR"/statistics/rx_packets; }
# Frames the receiving veth's ring had no room for.
rx_dropped() { ip netns exec "$NSR" cat /sys/class/net/"$IFR"/statistics/rx_dropped; }
tx_dropped() { ip netns exec "$NSG" cat /sys/class/net/"$IFG"/statistics/tx_dropped; }
udp_rcvbuf_errors() { ip netns exec "$NSR" awk '/^Udp:/ {n++; if (n == 2) print $6}' /proc/net/snmp; }

# nft_meter_up SIZE [ACCEPT]: nftables' per-source limit of the benches on
# the receiving veth: netdev ingress (nft's earliest hook), a dynamic set of
# SIZE elements keyed by ip saddr with one 'limit rate over' per element
# ($RATE/s burst $BURST) for 198.18.0.0/15, counted drops; sources in the
# prefix ACCEPT are let through first. Table netdev fgbench.
nft_meter_up() {
	ip netns exec "$NSR" nft -f - <<-EOF
	table netdev fgbench {
		set meter4 {
			type ipv4_addr
			size $1
			flags dynamic,timeout
			timeout 60s
		}
		chain ingress {
			type filter hook ingress device "$IFR" priority 0; policy accept;
			${2:+ip saddr $2 accept}
			ip saddr 198.18.0.0/15 update @meter4 { ip saddr limit rate over $RATE/second burst $BURST packets } counter drop
		}
	}
	EOF
}
