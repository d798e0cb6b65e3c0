#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Fail fast, end to end: how long connect() to an upstream takes to fail when
# its breaker is open (reject reset / reject drop) and when the upstream is
# dead with no breaker, from a client (forwarded through the gateway: XDP)
# and from the gateway itself (local connection: TC egress). Part of
# `make bench` (tests/bench/run.sh section 5); never part of `make test`.
#
#   client ns                 gateway ns (ip_forward=1)               upstream ns
#   $IF_C 198.18.1.2 ── veth ── $IF_GC 198.18.1.1 | $IF_GU 198.18.2.1 ── veth ── $IF_U 198.18.2.10
#                               XDP (--no-tc)     | XDP + TC ingress/egress   listener on :80
#
# As in tests/netns/test_breaker.sh, the client's veth end runs an XDP_PASS
# program: it stands in for the wire of a NIC (on veth, a frame sent back
# with XDP_TX reaches the peer only when the peer runs XDP itself).
#
# Cases, N connects each from the client and from the gateway, to
# 198.18.2.10:80 (upstream "web"):
#   reset  breaker forced open, --reject reset: floodgate answers the SYN
#          with a RST (XDP_TX at the gateway's client-facing port; TC egress
#          turns it back to the gateway's own stack)
#   drop   breaker forced open, --reject drop: SYNs vanish; connect() waits
#   dead   no breaker (upstream deleted from floodgate), the upstream host
#          silently drops SYNs to :80 (nft in its namespace): a hung host
# and, for reference: "ok" (breaker closed, a listener accepts) and "down"
# (no breaker, nothing listening: the upstream's own stack answers RST).
# The times are wall time of connect(), measured by build/tests/connect_time
# (CLOCK_MONOTONIC from the non-blocking connect() to poll() reporting the
# outcome), capped at FF_CAP_MS (3000): drop and dead would otherwise wait for
# the kernel to give up, which takes (2^(tcp_syn_retries + 1) - 1) s with a
# 1 s initial RTO: 127 s at the default 6 retries; that figure is computed
# from the namespaces' sysctl, not measured. reset, ok and down run one
# connect at a time, client and gateway alternating (order swapped each
# round); drop and dead run their 2 x N connects at once (each is bound to
# wait for the cap anyway), so the bench stays short.
#
# Output: "key value" lines on stdout (read by tests/bench/run.sh); progress
# on stderr. Knobs: FF_N connects per case and side (20), FF_CAP_MS (3000).
#
# Only 198.18.0.0/15 inside the three namespaces made here; names carry $$;
# the pin dir is /sys/fs/bpf/fgbb-$$. Every loop is bounded in count and
# time; the EXIT trap kills what was started here (by PID), detaches, removes
# the pins and deletes the namespaces, on failure too.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/proc.sh" # ours, stop_pid
. "$ROOT/tests/lib/gateway.sh"
FG=$ROOT/build/floodgate
CT=$ROOT/build/tests/connect_time
XDP_PASS_OBJ=$ROOT/build/tests/xdp_pass.bpf.o
N=${FF_N:-20}
CAP_MS=${FF_CAP_MS:-3000}
RESET_WAIT_MS=1000 # a reset or a refused connect that takes this long is a failure anyway

TAG=fgff$$
gw_names "$TAG"
PIN=/sys/fs/bpf/fgbb-$$
PORT=80
TMP=""
PIDS=()  # background processes started here
LISTENER_PID=""

log() { echo "failfast: $*" >&2; }
die() {
	log "$*"
	exit 1
}

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM HUP
	for p in ${PIDS[@]+"${PIDS[@]}"}; do stop_pid "$p"; done
	gw_detach
	gw_teardown
	[ -n "$TMP" ] && rm -rf -- "$TMP"
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

[ "$(id -u)" = 0 ] || die "needs root (BPF programs, network namespaces)"
for x in "$FG" "$CT" "$XDP_PASS_OBJ"; do
	[ -e "$x" ] || die "missing $x (run make)"
done
for x in ip nft nsenter jq python3 timeout awk; do
	command -v "$x" >/dev/null || die "missing command: $x"
done
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 200 ] || die "FF_N must be 1..200"
[[ "$CAP_MS" =~ ^[0-9]+$ ]] && [ "$CAP_MS" -ge 100 ] && [ "$CAP_MS" -le 10000 ] ||
	die "FF_CAP_MS must be 100..10000"

fgw() { nsenter --net=/run/netns/"$NS_G" "$FG" "$@" --pin-dir "$PIN"; }
fgate() { "$FG" "$@" --pin-dir "$PIN"; }
nsof() { case $1 in client) echo "$NS_C" ;; gateway) echo "$NS_G" ;; esac; }

setup() {
	local x
	TMP=$(mktemp -d /tmp/fgff.XXXXXX) || return 1
	gw_setup xdp-pass "$XDP_PASS_OBJ" || return 1
	# The upstream: accepts and closes connections on :80 for at most 600 s.
	# (ip netns exec execs python3, so $! is the listener itself.)
	ip netns exec "$NS_U" python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(256)
s.settimeout(0.2)
open(sys.argv[3], "w").close()
end = time.monotonic() + 600
while time.monotonic() < end:
    try:
        c, _ = s.accept()
        c.close()
    except socket.timeout:
        pass
' "$U4" "$PORT" "$TMP/ready" >"$TMP/listener.out" 2>&1 &
	LISTENER_PID=$!
	PIDS+=("$LISTENER_PID")
	for ((x = 0; x < 100; x++)); do
		[ -e "$TMP/ready" ] && break
		sleep 0.05
	done
	[ -e "$TMP/ready" ] || { log "listener did not start: $(cat "$TMP/listener.out")"; return 1; }
	# Resolve neighbours before anything is measured, then pin them so no
	# ARP re-probe mixes into a measurement.
	ip netns exec "$NS_C" ping -c 1 -W 2 -q "$U4" >/dev/null &&
		ip netns exec "$NS_G" ping -c 1 -W 2 -q "$U4" >/dev/null ||
		{ log "no route client -> upstream"; return 1; }
	fgw attach "$IF_GC" --no-tc >/dev/null && fgw attach "$IF_GU" >/dev/null || return 1
	return 0
}

# Forget background processes that ended (waited for already).
prune() {
	local p keep=()
	for p in "${PIDS[@]}"; do ours "$p" && keep+=("$p"); done
	PIDS=("${keep[@]}")
}

# one SIDE WAIT_MS OUTFILE: one connect from client or gateway, appended.
one() {
	local out
	out=$(timeout $(($2 / 1000 + 5)) ip netns exec "$(nsof "$1")" "$CT" -t "$2" "$U4" "$PORT" 2>&1)
	echo "${out:-result=error errno=none ms=nan}" >>"$3"
}

# serial CASE WAIT_MS: N rounds, client and gateway alternating.
serial() {
	local c=$1 w=$2 i
	: >"$TMP/$c.client"
	: >"$TMP/$c.gateway"
	for ((i = 0; i < N; i++)); do
		if ((i % 2)); then
			one gateway "$w" "$TMP/$c.gateway"
			one client "$w" "$TMP/$c.client"
		else
			one client "$w" "$TMP/$c.client"
			one gateway "$w" "$TMP/$c.gateway"
		fi
	done
}

# parallel CASE WAIT_MS: all 2 x N connects at once, each bound by its cap.
parallel() {
	local c=$1 w=$2 i s p pids=()
	for s in client gateway; do
		for ((i = 0; i < N; i++)); do
			timeout $((w / 1000 + 5)) ip netns exec "$(nsof "$s")" "$CT" -t "$w" "$U4" "$PORT" \
				>"$TMP/$c.$s.$i" 2>&1 &
			pids+=($!)
			PIDS+=($!)
		done
	done
	for p in "${pids[@]}"; do wait "$p"; done
	for s in client gateway; do
		: >"$TMP/$c.$s"
		for ((i = 0; i < N; i++)); do
			if [ -s "$TMP/$c.$s.$i" ]; then cat "$TMP/$c.$s.$i"; else echo "result=error errno=none ms=nan"; fi
		done >>"$TMP/$c.$s"
	done
	prune
}

# report CASE: key value lines for both sides.
report() {
	local c=$1 s
	for s in client gateway; do
		awk -v k="ff_${c}_$s" '
			{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			  n++; r[f["result"]]++; if (f["ms"] != "nan") ms[++m] = f["ms"] + 0 }
			END {
				# insertion sort: n is small
				for (i = 2; i <= m; i++) { v = ms[i]; for (j = i - 1; j >= 1 && ms[j] > v; j--) ms[j + 1] = ms[j]; ms[j + 1] = v }
				med = !m ? "nan" : (m % 2 ? ms[(m + 1) / 2] : (ms[m / 2] + ms[m / 2 + 1]) / 2)
				printf "%s_ms %s\n%s_min_ms %s\n%s_max_ms %s\n", k, med, k, m ? ms[1] : "nan", k, m ? ms[m] : "nan"
				printf "%s_n %d\n%s_refused %d\n%s_timeout %d\n%s_ok %d\n%s_other %d\n", k, n,
					k, r["refused"], k, r["timeout"], k, r["ok"], k, n - r["refused"] - r["timeout"] - r["ok"]
			}' "$TMP/$c.$s"
	done
}

# ucount COUNTER: web's counter from floodgate (0 when web is not there).
ucount() {
	fgate upstream list --json 2>/dev/null |
		jq -r --arg c "$1" '[.upstreams[] | select(.name == "web") | .counters[$c]] | add // 0'
}

T0=$SECONDS
setup || die "could not build the three-namespace topology"
echo "ff_n $N"
echo "ff_cap_ms $CAP_MS"
for s in client gateway; do
	r=$(ip netns exec "$(nsof "$s")" cat /proc/sys/net/ipv4/tcp_syn_retries)
	echo "ff_syn_retries_$s $r"
	# tcp_model_timeout(): (2^(r+1) - 1) x 1 s while the backoff stays under 120 s.
	echo "ff_kernel_giveup_${s}_s $(awk -v r="$r" 'BEGIN { t = 0; b = 1; for (i = 0; i <= r; i++) { t += b; b = b * 2 > 120 ? 120 : b * 2 }; print t }')"
done

# --- reference: breaker closed, healthy upstream ----------------------------
fgate upstream add web "$U4:$PORT" --reject reset >/dev/null || die "upstream add failed"
log "ok: $N x 2 connects to a healthy upstream, breaker closed"
serial ok "$RESET_WAIT_MS"
report ok

# --- a. forced open, reject reset -------------------------------------------
fgate upstream open web >/dev/null || die "upstream open failed"
r0=$(ucount resets_sent)
log "reset: $N x 2 connects, breaker forced open, reject reset"
serial reset "$RESET_WAIT_MS"
report reset
echo "ff_reset_resets_sent $(($(ucount resets_sent) - r0))"

# --- b. forced open, reject drop ----------------------------------------------
fgate upstream del web >/dev/null && fgate upstream add web "$U4:$PORT" --reject drop >/dev/null &&
	fgate upstream open web >/dev/null || die "could not re-add web with --reject drop"
r0=$(ucount rejected)
log "drop: $N x 2 connects at once, breaker forced open, reject drop, cap $CAP_MS ms"
parallel drop "$CAP_MS"
report drop
echo "ff_drop_rejected $(($(ucount rejected) - r0))"

# --- reference: no breaker, server down (host up) ----------------------------
fgate upstream del web >/dev/null || die "upstream del failed"
stop_pid "$LISTENER_PID"
LISTENER_PID=""
prune
log "down: $N x 2 connects, no breaker, nothing listening on the upstream"
serial down "$RESET_WAIT_MS"
report down

# --- c. dead upstream: no breaker, SYNs blackholed at the upstream -----------
ip netns exec "$NS_U" nft -f - <<-EOF || die "nft drop rule failed"
	table inet $TAG {
		chain pre {
			type filter hook prerouting priority -300; policy accept;
			tcp dport $PORT drop
		}
	}
EOF
log "dead: $N x 2 connects at once, no breaker, SYNs dropped by the upstream host, cap $CAP_MS ms"
parallel dead "$CAP_MS"
report dead

echo "ff_elapsed_s $((SECONDS - T0))"
