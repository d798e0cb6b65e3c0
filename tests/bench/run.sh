#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# make bench: floodgate's benchmarks (never part of make test). Prints a table
# and writes it to tests/bench/results.txt (BENCH_OUT overrides).
#
#  1. BPF_PROG_TEST_RUN ns/packet of the XDP program beside an XDP_PASS floor
#     in the same run (build/tests/bench_prog): one hot source on the drop
#     path, 1,000,000 distinct sources, and the bucket map's memory.
#  2. End to end over veth between two namespaces made here: offered, passed
#     and dropped pps and receive CPU per packet for no filter, an XDP_DROP
#     floor (build/tests/bench_attach), floodgate XDP, nftables (per-source
#     meter, `limit rate over`) and iptables hashlimit, all with the same
#     limit, at 1 and 1,000 sources, interleaved so drift and neighbours hit
#     every method alike; medians over BENCH_REPS rounds, ratios taken within
#     a round. Traffic: build/tests/bench_gen (AF_PACKET sendmmsg, prebuilt
#     frames, as fast as it goes unless BENCH_PPS, pinned to CPU 0) -> veth
#     with threaded NAPI, its kthread pinned to CPU 1. Receive CPU = the NAPI
#     kthread's run time (/proc/PID/schedstat, ns; all receive work runs
#     there) / packets the veth received. (/proc/stat is tick-sampled and
#     misattributes short busy bursts, so it is not used.)
#  3. Per-source accuracy: build/tests/bench_sink counts delivered datagrams
#     per source at the receiver; the generator records when each source's
#     first and last frame went out; the limit should deliver
#     burst + rate x (last - first) per source.
#  4. Circuit breakers under BPF_PROG_TEST_RUN (build/tests/bench_breaker):
#     xdp_ingress over a packet to a destination that is no upstream with 16
#     upstreams configured vs none (the breaker check's added cost), with no
#     policy and with a limit the source stays within; tc_egress / tc_ingress
#     over a SYN to a closed upstream, an ACK to a non-upstream and an HTTP
#     response from an upstream, each beside tc_ok (returns TC_ACT_OK); and
#     (build/tests/bench_observe) the flow-checked observer per frame against
#     the observer before it, built as a reference program, and tc_ok.
#  5. Fail fast end to end (tests/bench/failfast.sh, three namespaces of its
#     own: client -> forwarding gateway -> upstream): median time for
#     connect() to fail with the breaker forced open (reject reset, reject
#     drop) and to a dead upstream with no breaker, from the client (XDP)
#     and from the gateway (TC egress).
#  6. floodgated (tests/bench/daemon.sh, three namespaces of its own, the
#     same topology): a. reaction: the daemon (tick 100 ms, 5 consecutive
#     failures) runs the breaker of a real HTTP upstream switched to 503; the
#     time from the client receiving the 5th 503 to the breaker's changed_ns
#     in the map (both CLOCK_MONOTONIC), over BENCH_DAEMON_TRIPS trips (each
#     closed again through the daemon's control socket); b. scale: the daemon
#     with 1,000 upstreams TCP-probed every 1 s: its CPU (utime + stime,
#     /proc/PID/stat) over a BENCH_DAEMON_WINDOW s window and its peak RSS.
#  7. NIC-like receive path (section 2's namespaces and veth; section 2 stays
#     the "container veth" case, where veth copies every frame into a page
#     before XDP runs): build/tests/bench_live, a live-frames generator
#     (BPF_PROG_TEST_RUN, BPF_F_TEST_XDP_LIVE_FRAMES, batch 64, a program
#     that sets the source and redirects out of the generator's veth, pinned
#     to CPU 0), so the receiving veth gets xdp_frames: XDP with no skb and no
#     copy, as from a NIC. In interleaved rounds: XDP_DROP, a read-the-source
#     -and-drop floor, floodgate XDP, floodgate --hook tc, a minimal GCRA
#     reference (tests/bench/progs/nic_ref.bpf.c), nftables netdev ingress
#     and iptables hashlimit, same limit; at 1, 1,000 and 100,000 sources and
#     a random-source flood (floodgate's new-source admission on). Receive
#     CPU per frame of the NAPI kthread as in section 2, medians and spreads,
#     ratios within a round; per-source accuracy from bench_sink's counts.
#  8. Legitimate traffic under attack (tests/bench/attack.sh, two namespaces
#     of its own like section 7's): short HTTP transactions (build/tests/
#     bench_http) to tests/tools/http_upstream.py behind the receiving veth
#     while bench_live floods it from random sources at increasing paced
#     rates; floodgate, nftables and no filter interleaved; transactions per
#     second against the attack rate, the rate at which they halve, and a
#     gnuplot PNG next to the results file (attack.png).
#  9. Fleet mode's cost (tests/bench/fleet.sh, the namespaces of
#     tests/lib/fleet.sh): three floodgated nodes with 1,000 upstreams each
#     and one redis-server; Redis operations per second per node, read from
#     Redis itself (INFO commandstats deltas: one EVAL per sync and the
#     commands its script runs), bytes in and out per sync (INFO stats), and
#     the daemons' CPU (utime + stime, /proc/PID/stat) with the fleet on
#     versus off, reloaded in interleaved rounds, with 10,000 hot sources
#     over every node (FGBF_SOURCES) that the fleet shares.
#
# Only 198.18.0.0/15 inside the two namespaces; names carry $$; the pin dir
# is /sys/fs/bpf/fgbench-$$. Every loop is bounded in count and time, and the
# EXIT trap kills what was started (by PID), removes the pins and deletes both
# namespaces (which takes their nft/iptables rules along), on failure too.
#
# Knobs (environment): BENCH_DURATION seconds of traffic per run (2),
# BENCH_REPS rounds (7), BENCH_PPS offered rate (0: unpaced), BENCH_RATE and
# BENCH_BURST the per-source limit (100/s, 100), BENCH_SOURCES ("1 1000"),
# BENCH_METHODS ("none xdp-drop floodgate nftables iptables"; tc-drop, a TCX
# drop floor, is also known), BENCH_VARIANT_OBJ / _PROG / _HOOK (a datapath
# variant's BPF object, its program, xdp or tc: measured as method "variant"),
# BENCH_FG_ATTACH_ARGS (e.g. --no-tc), BENCH_PROG_ARGS (extra bench_prog
# options), BENCH_BREAKER_ARGS (extra bench_breaker options),
# BENCH_FAILFAST_N connects per case and side (20), BENCH_FAILFAST_CAP_MS
# connect() cap for drop and dead (3000), BENCH_DAEMON_TRIPS breaker trips
# (20), BENCH_DAEMON_WINDOW seconds of the 1,000-upstream window (30),
# BENCH_SKIP_PROG=1, BENCH_SKIP_VETH=1, BENCH_SKIP_BREAKER=1,
# BENCH_SKIP_FAILFAST=1, BENCH_SKIP_DAEMON=1, BENCH_OUT. Section 7:
# BENCH_SKIP_NIC=1 (or BENCH_NIC_SKIP=1), BENCH_NIC_SOURCES ("1 1000 100000
# flood"), BENCH_NIC_METHODS ("xdp-drop src-drop floodgate floodgate-tc
# gcra-ref nftables iptables"; tc-drop and none are known too),
# BENCH_NIC_DURATION and BENCH_NIC_REPS (BENCH_DURATION, BENCH_REPS),
# BENCH_NIC_NEW_SOURCES floodgate's budget in the flood (1k/s),
# BENCH_NIC_CHUNK frames per BPF_PROG_TEST_RUN call (1048576).
# Section 8: BENCH_SKIP_ATTACK=1, the ATK_* knobs of tests/bench/attack.sh
# (ATK_DURATION, ATK_REPS, ATK_RATES, ATK_METHODS, ...), BENCH_ATTACK_PNG
# (the plot; default attack.png beside BENCH_OUT). Section 9:
# BENCH_SKIP_FLEET=1, the FGBF_* knobs of tests/bench/fleet.sh (FGBF_ROUNDS,
# FGBF_WINDOW_S, FGBF_UPSTREAMS, FGBF_NODES).
# Only section 7, short: BENCH_SKIP_PROG=1 BENCH_SKIP_VETH=1
# BENCH_SKIP_BREAKER=1 BENCH_SKIP_FAILFAST=1 BENCH_SKIP_DAEMON=1
# BENCH_DURATION=1 BENCH_REPS=3 tests/bench/run.sh
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=$ROOT/build/tests
FG=$ROOT/build/floodgate
OUT=${BENCH_OUT:-$ROOT/tests/bench/results.txt}
DUR=${BENCH_DURATION:-2}
REPS=${BENCH_REPS:-7}
PPS=${BENCH_PPS:-0}         # 0: as fast as the generator goes
if [ "$PPS" -gt 0 ]; then PACE=(--pps "$PPS"); MAXCOUNT=$((PPS * DUR + PPS)); else PACE=(); MAXCOUNT=$((5000000 * DUR)); fi
RATE=${BENCH_RATE:-100}
BURST=${BENCH_BURST:-100}
SOURCES=${BENCH_SOURCES:-"1 1000"}
METHODS=${BENCH_METHODS:-"none xdp-drop floodgate floodgate-tc nftables iptables"}
VARIANT_OBJ=${BENCH_VARIANT_OBJ:-}   # a datapath variant to measure beside floodgate
VARIANT_PROG=${BENCH_VARIANT_PROG:-xdp_ingress}
VARIANT_HOOK=${BENCH_VARIANT_HOOK:-xdp}
[ -n "$VARIANT_OBJ" ] && METHODS="$METHODS variant"
PROG_ARGS=${BENCH_PROG_ARGS:-}
BREAKER_ARGS=${BENCH_BREAKER_ARGS:-}
SKIP_BREAKER=${BENCH_SKIP_BREAKER:-0}
SKIP_FAILFAST=${BENCH_SKIP_FAILFAST:-0}
FF_N=${BENCH_FAILFAST_N:-20}
FF_CAP_MS=${BENCH_FAILFAST_CAP_MS:-3000}
SKIP_DAEMON=${BENCH_SKIP_DAEMON:-0}
SKIP_ATTACK=${BENCH_SKIP_ATTACK:-0}
SKIP_FLEET=${BENCH_SKIP_FLEET:-0}
SKIP_NIC=${BENCH_SKIP_NIC:-${BENCH_NIC_SKIP:-0}}
NIC_SOURCES=${BENCH_NIC_SOURCES:-"1 1000 100000 flood"}
NIC_METHODS=${BENCH_NIC_METHODS:-"xdp-drop src-drop floodgate floodgate-tc gcra-ref nftables iptables"}
NIC_DUR=${BENCH_NIC_DURATION:-$DUR}
NIC_REPS=${BENCH_NIC_REPS:-$REPS}
NIC_NEW=${BENCH_NIC_NEW_SOURCES:-1k/s}
NIC_CHUNK=${BENCH_NIC_CHUNK:-1048576}
NIC_COUNT=$((20000000 * NIC_DUR)) # above the ~16 Mpps one CPU generates
DM_TRIPS=${BENCH_DAEMON_TRIPS:-20}
DM_WINDOW=${BENCH_DAEMON_WINDOW:-30}
GEN_CPU=0
RX_CPU=1

TAG=fgb$$
NSG=${TAG}g            # generator namespace
NSR=${TAG}r            # receiver namespace (the filters live here)
IFG=${TAG}g            # veth ends (names also show in the NAPI kthread's name)
IFR=${TAG}r
DST=198.18.0.1         # receiver
SRC_BASE=198.19.0.0    # source i = 198.19.0.0 + i
PORT=9000
PIN=/sys/fs/bpf/fgbench-$$
. "$ROOT/tests/lib/check.sh" # t_poll
. "$ROOT/tests/bench/lib_live.sh" # setup_veth, the NAPI and veth counters, nft_meter_up
TMP=$(mktemp -d /tmp/fgbench.XXXXXX)
SINK_PID=""            # the one background process, while it runs
ATTACHED=0
START=$SECONDS

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

cleanup() {
	if [ -n "$SINK_PID" ]; then
		kill "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
	fi
	if [ "$ATTACHED" = 1 ]; then
		nsenter --net=/run/netns/"$NSR" "$FG" detach "$IFR" --pin-dir "$PIN" >/dev/null 2>&1
	fi
	# Pins left behind (a failed detach): unlinking them detaches the program.
	case "$PIN" in /sys/fs/bpf/fgbench-*) rm -rf "$PIN" "$PIN-ref" ;; esac
	ip netns del "$NSG" 2>/dev/null
	ip netns del "$NSR" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

[ "$(id -u)" = 0 ] || die "needs root (BPF programs, network namespaces)"
NEED_TOOLS="bench_prog bench_gen bench_sink bench_attach"
[ "$SKIP_BREAKER" = 1 ] || NEED_TOOLS="$NEED_TOOLS bench_breaker bench_observe"
[ "$SKIP_FAILFAST" = 1 ] || NEED_TOOLS="$NEED_TOOLS connect_time"
[ "$SKIP_NIC" = 1 ] || NEED_TOOLS="$NEED_TOOLS bench_live"
[ "$SKIP_ATTACK" = 1 ] || NEED_TOOLS="$NEED_TOOLS bench_live bench_http"
[ "$SKIP_NIC" = 1 ] || [ -e "$TOOLS/nic_ref.bpf.o" ] || die "missing $TOOLS/nic_ref.bpf.o: run 'make bench'"
for t in $NEED_TOOLS; do
	[ -x "$TOOLS/$t" ] || die "missing $TOOLS/$t: run 'make bench'"
done
[ -x "$FG" ] || die "missing $FG: run 'make bench'"
[ "$SKIP_DAEMON" = 1 ] || [ -x "$ROOT/build/floodgated" ] || die "missing $ROOT/build/floodgated: run 'make bench'"
[ "$SKIP_FLEET" = 1 ] || command -v redis-server >/dev/null || die "missing redis-server: run 'make deps'"
for c in ip nft iptables ethtool nsenter taskset timeout awk; do
	command -v "$c" >/dev/null || die "missing command: $c"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (generator and receiver apart)"

median() { sort -g | awk '{a[NR] = $1} END {if (!NR) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
kv() { awk -v k="$1" '$1 == k {print $2; exit}' "$2"; }

# ---------------------------------------------------------------- header
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
HDR="$TMP/header.txt"
{
	echo "floodgate benchmark results"
	echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel:  $(uname -r) ($(uname -m)), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
	echo "cpu:     ${CPU_MODEL:-unknown} x $(nproc)"
	echo "command: make bench   (tests/bench/run.sh; BENCH_DURATION=$DUR BENCH_REPS=$REPS BENCH_PPS=$PPS BENCH_RATE=$RATE BENCH_BURST=$BURST)"
	echo "commit:  $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- bpf include 2>/dev/null || echo ' + uncommitted changes in bpf/ or include/')"
} >"$HDR"
cat "$HDR"
echo

# ---------------------------------------------------------------- 1. prog test run
PROG="$TMP/prog.txt"
if [ "${BENCH_SKIP_PROG:-0}" != 1 ]; then
	log "1. BPF_PROG_TEST_RUN (about 30 s)"
	# shellcheck disable=SC2086
	timeout 300 "$TOOLS/bench_prog" --cpu "$RX_CPU" $PROG_ARGS >"$PROG" ||
		die "bench_prog failed"
fi

# ---------------------------------------------------------------- 4. breakers, prog test run
BRK="$TMP/breaker.txt"
BRK_ERR=""
if [ "$SKIP_BREAKER" != 1 ]; then
	log "4. breakers, BPF_PROG_TEST_RUN (about 30 s)"
	# shellcheck disable=SC2086
	timeout 300 "$TOOLS/bench_breaker" --cpu "$RX_CPU" $BREAKER_ARGS >"$BRK" ||
		{ BRK_ERR="bench_breaker failed (exit $?)"; log "$BRK_ERR"; }
fi

# ---------------------------------------------------------------- 4c. observer, prog test run
OBS="$TMP/observe.txt"
OBS_ERR=""
if [ "$SKIP_BREAKER" != 1 ]; then
	log "4c. observer, BPF_PROG_TEST_RUN (about 10 s)"
	timeout 120 "$TOOLS/bench_observe" -c "$RX_CPU" >"$OBS" ||
		{ OBS_ERR="bench_observe failed (exit $?)"; log "$OBS_ERR"; }
fi

# ---------------------------------------------------------------- 2. veth setup
# setup_veth, napi_pids, napi_runtime, the veth counters, nft_meter_up:
# tests/bench/lib_live.sh (sourced above).


# ipt_limit_up NAME [HASHLIMIT-OPTION...]: iptables hashlimit per source in
# its earliest table (raw PREROUTING).
ipt_limit_up() {
	local name=$1
	shift
	ip netns exec "$NSR" iptables -t raw -A PREROUTING -s 198.18.0.0/15 -m hashlimit \
		--hashlimit-above "$RATE/sec" --hashlimit-burst "$BURST" \
		--hashlimit-mode srcip --hashlimit-name "$name" "$@" -j DROP
}

filter_up() { # method n
	case $1 in
	none) ;;
	xdp-drop | tc-drop)
		nsenter --net=/run/netns/"$NSR" "$TOOLS/bench_attach" --ifname "$IFR" \
			--hook "${1%-drop}" --pin-dir "$PIN-ref" --drop || return 1
		;;
	variant)
		nsenter --net=/run/netns/"$NSR" "$TOOLS/bench_attach" --ifname "$IFR" \
			--hook "$VARIANT_HOOK" --pin-dir "$PIN-ref" --obj "$VARIANT_OBJ" \
			--prog "$VARIANT_PROG" --limit 198.18.0.0/15 "$RATE/s" "$BURST" || return 1
		;;
	floodgate | floodgate-tc)
		# floodgate-tc: the limits at TCX ingress (attach --hook tc), no XDP copy.
		nsenter --net=/run/netns/"$NSR" "$FG" attach "$IFR" --pin-dir "$PIN" \
			$([ "$1" = floodgate-tc ] && echo --hook tc) ${BENCH_FG_ATTACH_ARGS:-} >/dev/null || return 1
		ATTACHED=1
		"$FG" limit set 198.18.0.0/15 "$RATE/s" --burst "$BURST" --pin-dir "$PIN" >/dev/null
		;;
	nftables)
		# The earliest nft hook (netdev ingress), a dynamic set keyed by
		# ip saddr with one limit per element: nft's strongest setup.
		nft_meter_up 65535 || return 1
		;;
	iptables)
		ipt_limit_up "fgb$$" || return 1
		;;
	esac
}

filter_drops() { # what the filter itself says it dropped
	case $1 in
	none | xdp-drop | tc-drop) echo 0 ;;
	floodgate | floodgate-tc) "$FG" stats --json --pin-dir "$PIN" | sed -n 's/.*"drop":\([0-9]*\).*/\1/p' ;;
	variant) "$FG" stats --json --pin-dir "$PIN-ref" | sed -n 's/.*"drop":\([0-9]*\).*/\1/p' ;;
	nftables) ip netns exec "$NSR" nft list chain netdev fgbench ingress |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' ;;
	iptables) ip netns exec "$NSR" iptables -t raw -nvxL PREROUTING | awk '$3 == "DROP" {print $1}' ;;
	esac
}

filter_down() {
	case $1 in
	xdp-drop | tc-drop | variant) rm -rf "$PIN-ref" ;; # unpinning the link detaches
	floodgate | floodgate-tc)
		nsenter --net=/run/netns/"$NSR" "$FG" detach "$IFR" --pin-dir "$PIN" >/dev/null || return 1
		ATTACHED=0
		;;
	nftables) ip netns exec "$NSR" nft delete table netdev fgbench ;;
	iptables) ip netns exec "$NSR" iptables -t raw -F PREROUTING ;;
	esac
}

# sink_up BASE SRC_BASE SOURCES SECONDS: bench_sink on the receiver, counting
# per source what is delivered (into BASE.sink), until it says it is ready
# (up to 5 s); its PID in SINK_PID.
sink_up() {
	rm -f "$1.ready"
	timeout $(($4 + 20)) ip netns exec "$NSR" "$TOOLS/bench_sink" --port "$PORT" \
		--src-base "$2" --sources "$3" --max-time $(($4 + 15)) --cpu "$GEN_CPU" \
		--out "$1.sink" --ready "$1.ready" >"$1.sinkres" &
	SINK_PID=$!
	t_poll 5000 test -e "$1.ready" || { log "sink did not start"; return 1; }
}

# rx_settled: after the generator stopped, until the receiver has drained
# its ring (rx_packets still over 50 ms) and the sink's socket (nothing
# queued), up to 2 s.
rx_settled() {
	local a b q
	b=$(rx_packets)
	for ((i = 0; i < 40; i++)); do
		sleep 0.05
		a=$b b=$(rx_packets)
		q=$(ip netns exec "$NSR" ss -Hun "sport = :$PORT" | awk '{s += $2} END {print s + 0}')
		[ "$a" = "$b" ] && [ "$q" = 0 ] && return 0
	done
	log "warning: the receiver was still busy 2 s after the generator stopped"
}

# sink_down NAPI_PIDS: the run's end: the NAPI kthreads measured must be the
# ones that ran, and the sink stops, reporting what it received.
sink_down() {
	[ "$(napi_pids | sort | xargs)" = "$(echo "$1" | sort | xargs)" ] ||
		log "warning: NAPI kthreads changed during the run ($(echo $1))"
	kill -TERM "$SINK_PID" 2>/dev/null
	wait "$SINK_PID"
	SINK_PID=""
}

# One run: method, sources, round. Appends a line to $E2E.
run_case() {
	local m=$1 n=$2 rep=$3 base="$TMP/$1-$2-$3" pids p0 p1 r0 r1 d0 d1 b0 b1
	filter_up "$m" "$n" || { log "$m: setup failed"; return 1; }
	sink_up "$base" "$SRC_BASE" "$n" "$DUR" || return 1

	napi_pin "$RX_CPU" || return 1
	pids=$NAPI_PIDS
	p0=$(napi_runtime $pids) r0=$(rx_packets) d0=$(tx_dropped) b0=$(udp_rcvbuf_errors)
	timeout $((DUR + 20)) ip netns exec "$NSG" "$TOOLS/bench_gen" --ifname "$IFG" \
		--dst-mac "$MAC_R" --dst-ip "$DST" --src-base "$SRC_BASE" --sources "$n" \
		--dport "$PORT" "${PACE[@]}" --duration "$DUR" \
		--count "$MAXCOUNT" --cpu "$GEN_CPU" \
		--per-source "$base.gen" >"$base.genres" || { log "bench_gen failed"; return 1; }
	rx_settled
	p1=$(napi_runtime $pids) r1=$(rx_packets) d1=$(tx_dropped) b1=$(udp_rcvbuf_errors)
	sink_down "$pids"
	local fdrops
	fdrops=$(filter_drops "$m")
	filter_down "$m" || { log "$m: teardown failed"; return 1; }

	local sent el rec
	sent=$(kv sent "$base.genres") el=$(kv elapsed_ns "$base.genres") rec=$(kv received "$base.sinkres")
	# Accuracy: delivered vs burst + rate x (last - first), per source.
	local acc="nan nan"
	case $m in none | *-drop) ;; *)
		acc=$(awk -v rate="$RATE" -v burst="$BURST" '
			FNR == NR { first[$1] = $2; last[$1] = $3; next }
			($1 in first) && first[$1] > 0 {
				want = burst + rate * (last[$1] - first[$1]) / 1e9
				e = ($2 - want) / want * 100
				if (e < 0) ae = -e; else ae = e
				if (!k || ae > max) { max = ae; worst = e }
				sum += e; k++
			}
			END { if (k) printf "%.3f %.3f", worst, sum / k; else printf "nan nan" }' \
			"$base.gen" "$base.sink") ;;
	esac
	echo "$m $n $rep $sent $el $((r1 - r0)) ${rec:-0} $((p1 - p0)) $((d1 - d0)) $((b1 - b0)) ${fdrops:-0} $acc" >>"$E2E"
}

E2E="$TMP/e2e.txt"
: >"$E2E"
if [ "${BENCH_SKIP_VETH:-0}" != 1 ]; then
	setup_veth || die "veth setup failed"
	log "2. veth: $REPS rounds x {$SOURCES} sources x {$METHODS}, ${DUR}s each$([ "$PPS" -gt 0 ] && echo " at $PPS pps")"
	for ((rep = 1; rep <= REPS; rep++)); do
		for n in $SOURCES; do
			for m in $METHODS; do
				run_case "$m" "$n" "$rep" || die "run $m/$n/$rep failed"
				log "  round $rep: $(tail -n1 "$E2E")"
			done
		done
	done
fi

# ---------------------------------------------------------------- 7. NIC-like path
# Live frames (bench_live: BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES,
# a program that sets the source and redirects out of the generator's veth)
# reach the receiving veth as xdp_frames: its XDP runs with no skb and no
# page copy, as a NIC driver's does; TC and netfilter methods get the skb
# veth builds from the frame. Same namespaces, veth and receive-CPU metric as
# section 2. Sources: NIC_BASE + i, or (flood) random addresses of
# 198.18.0.0/15 outside 198.18.0.0/24.
NIC_BASE=198.18.1.0    # 100,000 sources end at 198.19.135.159: all in the /15
NIC_FLOOD_SOURCES=131072

# floodgate's new-source budget: known sources get buckets at once (a budget
# of at least their number per second, burst as many); the flood runs on
# BENCH_NIC_NEW_SOURCES (floodgate's default 1k/s).
nic_new_sources() { # sources
	if [ "$1" = flood ]; then echo "$NIC_NEW"; else echo "$(($1 > 1000 ? $1 : 1000))/s"; fi
}

nic_filter_up() { # method sources
	case $1 in
	src-drop | gcra-ref)
		local prog=xdp_src_drop lim=()
		[ "$1" = gcra-ref ] && prog=xdp_gcra_ref lim=(--limit 198.18.0.0/15 "$RATE/s" "$BURST")
		nsenter --net=/run/netns/"$NSR" "$TOOLS/bench_attach" --ifname "$IFR" --hook xdp \
			--pin-dir "$PIN-ref" --ref --obj "$TOOLS/nic_ref.bpf.o" --prog "$prog" "${lim[@]}" || return 1
		;;
	floodgate | floodgate-tc)
		nsenter --net=/run/netns/"$NSR" "$FG" attach "$IFR" --pin-dir "$PIN" \
			$([ "$1" = floodgate-tc ] && echo --hook tc) ${BENCH_FG_ATTACH_ARGS:-} >/dev/null || return 1
		ATTACHED=1
		"$FG" limit set 198.18.0.0/15 "$RATE/s" --burst "$BURST" \
			--new-sources "$(nic_new_sources "$2")" --pin-dir "$PIN" >/dev/null || return 1
		;;
	nftables)
		# As in section 2, with a set that holds all of 198.18.0.0/15, so that
		# 100,000 sources and the flood never meet a full set (section 2's
		# 65535 would: what nft then does with a new source is not measured).
		nft_meter_up 262144 || return 1
		;;
	iptables)
		# A table that holds all of 198.18.0.0/15.
		ipt_limit_up "fgn$$" --hashlimit-htable-size 131072 --hashlimit-htable-max 262144 || return 1
		;;
	*) filter_up "$1" "$2" ;;
	esac
}

nic_filter_down() {
	case $1 in
	src-drop | gcra-ref) rm -rf "$PIN-ref" ;;
	*) filter_down "$1" ;;
	esac
}


# One run: method, sources (a number or flood), round. Appends a line to $NIC.
nic_run_case() {
	local m=$1 n=$2 rep=$3 base="$TMP/nic-$1-$2-$3" pids p0 p1 r0 r1 q0 q1 b0 b1
	local sbase=$NIC_BASE sn=$2 src=(--src-base "$NIC_BASE" --sources "$2" --per-source "$base.gen")
	if [ "$n" = flood ]; then
		sbase=198.18.0.0 sn=$NIC_FLOOD_SOURCES src=(--random)
	fi
	nic_filter_up "$m" "$n" || { log "$m: setup failed"; return 1; }
	sink_up "$base" "$sbase" "$sn" "$NIC_DUR" || return 1

	napi_pin "$RX_CPU" || return 1
	pids=$NAPI_PIDS
	p0=$(napi_runtime $pids) r0=$(rx_packets) q0=$(rx_dropped) b0=$(udp_rcvbuf_errors)
	timeout $((NIC_DUR + 20)) ip netns exec "$NSG" "$TOOLS/bench_live" --ifname "$IFG" \
		--dst-mac "$MAC_R" --dst-ip "$DST" "${src[@]}" --dport "$PORT" \
		--duration "$NIC_DUR" --count "$NIC_COUNT" --chunk "$NIC_CHUNK" --cpu "$GEN_CPU" \
		>"$base.genres" || { log "bench_live failed"; return 1; }
	rx_settled
	p1=$(napi_runtime $pids) r1=$(rx_packets) q1=$(rx_dropped) b1=$(udp_rcvbuf_errors)
	sink_down "$pids"
	local fdrops
	fdrops=$(filter_drops "$m" 2>/dev/null)
	nic_filter_down "$m" || { log "$m: teardown failed"; return 1; }

	local sent el rec acc="nan nan 0"
	sent=$(kv sent "$base.genres") el=$(kv elapsed_ns "$base.genres") rec=$(kv received "$base.sinkres")
	# Accuracy: delivered vs burst + rate x (last - first), per source, over
	# the sources that reached the limiter at least twice that often (below
	# it, a limit passes all): what the generator sent of each, times the
	# share of frames the receiving ring took (sources go round-robin, so the
	# ring refuses each one's frames alike).
	local took
	took=$(awk -v r=$((r1 - r0)) -v q=$((q1 - q0)) 'BEGIN {print (r + q) ? r / (r + q) : 0}')
	case $m:$n in *-drop:* | none:* | *:flood) ;; *)
		acc=$(awk -v rate="$RATE" -v burst="$BURST" -v took="$took" '
			FNR == NR { first[$1] = $2; last[$1] = $3; sent[$1] = $4; next }
			($1 in first) && first[$1] > 0 {
				want = burst + rate * (last[$1] - first[$1]) / 1e9
				if (sent[$1] * took < 2 * want) next
				e = ($2 - want) / want * 100
				if (e < 0) ae = -e; else ae = e
				if (!k || ae > max) { max = ae; worst = e }
				sum += e; k++
			}
			END { if (k) printf "%.3f %.3f %d", worst, sum / k, k; else printf "nan nan 0" }' \
			"$base.gen" "$base.sink") ;;
	esac
	echo "$m $n $rep $sent $el $((r1 - r0)) $((q1 - q0)) ${rec:-0} $((p1 - p0)) $((b1 - b0)) ${fdrops:-0} $acc" >>"$NIC"
}

NIC="$TMP/nic.txt"
: >"$NIC"
if [ "$SKIP_NIC" != 1 ]; then
	[ -n "${MAC_R:-}" ] || setup_veth || die "veth setup failed"
	log "7. NIC-like path (live frames): $NIC_REPS rounds x {$NIC_SOURCES} sources x {$NIC_METHODS}, ${NIC_DUR}s each"
	for ((rep = 1; rep <= NIC_REPS; rep++)); do
		for n in $NIC_SOURCES; do
			for m in $NIC_METHODS; do
				nic_run_case "$m" "$n" "$rep" || die "NIC-like run $m/$n/$rep failed"
				log "  round $rep: $(tail -n1 "$NIC")"
			done
		done
	done
fi

# ---------------------------------------------------------------- 5. fail fast
FF="$TMP/failfast.txt"
FF_ERR=""
if [ "$SKIP_FAILFAST" != 1 ]; then
	log "5. fail fast end to end: $FF_N connects per case and side, cap $FF_CAP_MS ms (about 30 s)"
	FF_N=$FF_N FF_CAP_MS=$FF_CAP_MS timeout 600 "$ROOT/tests/bench/failfast.sh" >"$FF" ||
		{ FF_ERR="failfast.sh failed (exit $?)"; log "$FF_ERR"; }
fi

# ---------------------------------------------------------------- 6. floodgated
DM="$TMP/daemon.txt"
DM_ERR=""
if [ "$SKIP_DAEMON" != 1 ]; then
	log "6. floodgated: $DM_TRIPS breaker trips, then 1,000 probed upstreams for ${DM_WINDOW}s (about 1 minute)"
	FGBD_TRIPS=$DM_TRIPS FGBD_WINDOW_S=$DM_WINDOW timeout 600 "$ROOT/tests/bench/daemon.sh" >"$DM" ||
		{ DM_ERR="daemon.sh failed (exit $?)"; log "$DM_ERR"; }
fi

# ---------------------------------------------------------------- 8. under attack
ATK="$TMP/attack.txt"
ATK_ERR=""
if [ "$SKIP_ATTACK" != 1 ]; then
	log "8. legitimate traffic under attack (tests/bench/attack.sh; about 8 minutes)"
	ATK_PNG=${BENCH_ATTACK_PNG:-$(dirname "$OUT")/attack.png} timeout 3600 \
		"$ROOT/tests/bench/attack.sh" >"$ATK" || { ATK_ERR="attack.sh failed (exit $?)"; log "$ATK_ERR"; }
fi

# ---------------------------------------------------------------- 9. fleet
FL="$TMP/fleet.txt"
FL_ERR=""
if [ "$SKIP_FLEET" != 1 ]; then
	log "9. fleet mode: 3 nodes x 1,000 upstreams, Redis ops and CPU, fleet on vs off (about 1.5 minutes)"
	timeout 900 "$ROOT/tests/bench/fleet.sh" >"$FL" || { FL_ERR="fleet.sh failed (exit $?)"; log "$FL_ERR"; }
fi

# ---------------------------------------------------------------- report
REPORT="$TMP/report.txt"
pv() { kv "$1" "$PROG"; }
pass_fail() { awk -v a="$1" -v b="$2" 'BEGIN {print (a + 0 <= b + 0) ? "PASS" : "FAIL"}'; }
BARS="$TMP/bars.txt"
: >"$BARS"
bar() { printf '  %-56s %-36s %s\n' "$1" "$2" "$3" >>"$BARS"; }

{
	cat "$HDR"
	echo
	if [ -s "$PROG" ]; then
		echo "1. BPF_PROG_TEST_RUN, ns per packet, floodgate xdp_ingress beside an XDP_PASS"
		echo "   program (the floor) in the same run, medians of interleaved runs"
		echo
		printf '   %-44s %10s %10s %7s\n' "case" "floodgate" "XDP_PASS" "ratio"
		printf '   %-44s %10.2f %10.2f %6.2fx\n' "1a hot IPv4 source, drop path, repeat=$(pv cfg_repeat)" \
			"$(pv hot_v4_floodgate_ns)" "$(pv hot_v4_xdp_pass_ns)" "$(pv hot_v4_ratio)"
		printf '   %-44s %10.2f %10.2f %6.2fx\n' "1a hot IPv6 source (/64), drop path" \
			"$(pv hot_v6_floodgate_ns)" "$(pv hot_v6_xdp_pass_ns)" "$(pv hot_v6_ratio)"
		printf '   %-44s %10.1f %10.1f %6.2fx\n' "1b $(pv many_sources) sources, pass path, repeat=1" \
			"$(pv many_floodgate_ns)" "$(pv many_xdp_pass_ns)" "$(pv many_ratio)"
		printf '   %-44s %10.1f %10.1f %6.2fx\n' "   same, wall clock per call (syscall incl.)" \
			"$(pv many_floodgate_wall_ns)" "$(pv many_xdp_pass_wall_ns)" "$(pv many_wall_ratio)"
		echo
		echo "   1a: wall-clock ns per repetition of one call with repeat=$(pv cfg_repeat) (kernel's integer"
		echo "       figure: floodgate $(pv hot_v4_floodgate_kernel_ns) ns, XDP_PASS $(pv hot_v4_xdp_pass_kernel_ns) ns); source at 1/s burst 1, every"
		echo "       packet after its first dropped (limit_drop $(pv hot_v4_limit_drops) of $(pv hot_v4_expected_drops) expected)."
		echo "   1b: kernel's per-call duration summed over one call per packet, each pass over all"
		echo "       sources in a fresh random order, median of $(pv cfg_passes) passes after one warm pass."
		echo "       Sources are distinct /64s 2001:db8:HHHH:LLLL::1 (IPv6 is bucketed per /64 by default,"
		echo "       v6_prefix $(pv cfg_v6_prefix); 198.18.0.0/15 holds only 131,072 IPv4 addresses), limit"
		echo "       1000/s each, so every packet takes the pass path (GCRA compare-and-swap). The floor"
		echo "       gets the same per-call source rewrite. Inserted in the warm pass: $(pv many_warm_new_sources);"
		echo "       re-inserted (evicted) during measured passes: $(pv many_measured_new_sources)."
		echo "   1c: bucket map: max_entries $(pv map_max_entries), tracked after the warm pass $(pv map_tracked_entries),"
		echo "       key $(pv map_key_size) B, value $(pv map_value_size) B; kernel memory (fdinfo memlock) $(pv map_memlock_bytes) B ="
		echo "       $(pv map_bytes_per_entry) B per tracked source (hash element header, key, value, bucket array)."
		if [ -n "$(pv unknown_known_ns)" ]; then
			echo
			echo "   1d: unknown sources against known ones, kernel ns per call (repeat=1), median of"
			echo "       $(pv cfg_passes) passes over $(pv unknown_sources_per_pass) distinct /64s each, run before 1b on a map not full:"
			printf '       %-40s %8.1f\n' "known source, pass path" "$(pv unknown_known_ns)"
			printf '       %-40s %8.1f %6.2fx\n' "unknown, admitted (bucket inserted)" \
				"$(pv unknown_admitted_ns)" "$(pv unknown_admitted_vs_known)"
			printf '       %-40s %8.1f %6.2fx\n' "unknown, past the budget (overflow drop)" \
				"$(pv unknown_overflow_ns)" "$(pv unknown_overflow_vs_known)"
			printf '       %-40s %8.1f %6.2fx\n' "unknown, budget off (insert, as before)" \
				"$(pv unknown_insert_no_budget_ns)" "$(pv unknown_insert_no_budget_vs_known)"
			echo "       Admitted packets are at most the budget's rate (default 1k/s); under a flood"
			echo "       every other unknown packet takes the overflow path."
		fi
		if [ -n "$(pv hot_pass_v4_vs_ref_kernel)" ]; then
			echo
			echo "   1e: against a minimal GCRA limiter (tests/bench/progs/nic_ref.bpf.c: LPM lookup,"
			echo "       LRU_HASH TAT, one clock read, compare-and-swap), kernel ns per packet, interleaved:"
			printf '       %-40s %8s %8s %7s
' "" floodgate ref ratio
			printf '       %-40s %8.0f %8.0f %6.2fx
' "hot IPv4 source, pass path (1a's repeat)" \
				"$(pv hot_pass_v4_floodgate_kernel_ns)" "$(pv hot_pass_v4_ref_kernel_ns)" \
				"$(pv hot_pass_v4_vs_ref_kernel)"
			[ -n "$(pv many_v4_vs_ref)" ] &&
				printf '       %-40s %8.1f %8.1f %6.2fx\n' "$(pv many_v4_sources) IPv4 sources, one call per packet" \
					"$(pv many_v4_floodgate_ns)" "$(pv many_v4_ref_ns)" "$(pv many_v4_vs_ref)"
			echo "       The hot source's limit is never reached (1/ns, a second of burst): every packet"
			echo "       takes the compare-and-swap. The reference is IPv4 only: 198.18.0.0/15's 131,072"
			echo "       addresses at 1000/s, both tables holding about 1M entries."
		fi
		echo
		bar "1a hot source drop path <= 4x XDP_PASS (IPv4)" "$(pv hot_v4_ratio)x" "$(pass_fail "$(pv hot_v4_ratio)" 4)"
		[ -n "$(pv hot_pass_v4_vs_ref_kernel)" ] &&
			bar "1e hot source pass path <= 1.0x the minimal reference" "$(pv hot_pass_v4_vs_ref_kernel)x" \
				"$(pass_fail "$(pv hot_pass_v4_vs_ref_kernel)" 1.0)"
		bar "1a hot source drop path <= 4x XDP_PASS (IPv6)" "$(pv hot_v6_ratio)x" "$(pass_fail "$(pv hot_v6_ratio)" 4)"
		bar "1b 1M sources <= 6x XDP_PASS" "$(pv many_ratio)x" "$(pass_fail "$(pv many_ratio)" 6)"
		[ -n "$(pv unknown_overflow_vs_known)" ] &&
			bar "1d unknown source past the budget <= 1.5x a known one" \
				"$(pv unknown_overflow_vs_known)x" "$(pass_fail "$(pv unknown_overflow_vs_known)" 1.5)"
		# Tracked means still in the map after 1M distinct sources went in.
		local_ok=$(awk -v k="$(pv map_tracked_entries)" -v v="$(pv map_value_size)" \
			'BEGIN {print (k >= 1000000 && v <= 24) ? "PASS" : "FAIL"}')
		bar "1c 1,000,000 sources tracked, value <= 24 B" \
			"cap $(pv map_max_entries), kept $(pv map_tracked_entries), $(pv map_value_size) B" "$local_ok"
	fi

	if [ -s "$E2E" ]; then
		echo "2. veth end to end, limit $RATE/s burst $BURST per source, 60-byte UDP offered"
		echo "   $([ "$PPS" -gt 0 ] && echo "at $PPS pps" || echo "as fast as one CPU sends") for ${DUR}s per run; medians of $REPS interleaved rounds"
		echo
		printf '   %-12s %7s %9s %9s %9s %10s %10s %9s\n' "method" "sources" "offered" "passed" \
			"dropped" "rx ns/pkt" "vs flood." "accuracy"
		printf '   %-12s %7s %9s %9s %9s %10s %10s %9s\n' "" "" "pps" "pps" "pps" "" "(rounds)" "worst"
		: >"$TMP/e2e_summary.txt"
		for n in $SOURCES; do
			for m in $METHODS; do
				sel() { awk -v m="$m" -v n="$n" "\$1 == m && \$2 == n && \$6 > 0 {print $1}" "$E2E" | median; }
				off=$(sel '$4 * 1e9 / $5')
				pas=$(sel '$7 * 1e9 / $5')
				drp=$(sel '($6 - $7) * 1e9 / $5')
				cpu=$(sel '$8 / $6')
				# Ratio to floodgate within each round (neighbours in time), then the median.
				rel=$(awk -v m="$m" -v n="$n" '$2 == n && $6 > 0 {c[$1 " " $3] = $8 / $6}
					END {for (k in c) {split(k, a, " "); f = "floodgate " a[2]
						if (a[1] == m && (f in c)) print c[k] / c[f]}}' "$E2E" | median)
				acc=$(awk -v m="$m" -v n="$n" '$1 == m && $2 == n && $12 != "nan" {
						e = $12 < 0 ? -$12 : $12; if (!k++ || e > w) {w = e; s = $12}}
					END {if (k) printf "%+.2f%%", s; else print "-"}' "$E2E")
				case $m in none | *-drop) acc="-" ;; esac
				printf '   %-12s %7s %9.0f %9.0f %9.0f %10.1f %10s %9s\n' "$m" "$n" "$off" "$pas" \
					"$drp" "$cpu" "$(awk -v r="$rel" 'BEGIN {if (r == "nan") print "-"; else printf "%.2fx", r}')" "$acc"
				echo "$m $n $cpu $rel $acc" >>"$TMP/e2e_summary.txt"
			done
		done
		echo
		echo "   offered: frames sent per second by bench_gen; passed: datagrams delivered to the"
		echo "   receiving socket (bench_sink); dropped: received by the veth, not delivered."
		echo "   rx ns/pkt: run time of the receiving veth's threaded-NAPI kthread, where all receive"
		echo "   work runs (XDP, TC, GRO, netfilter, IP, UDP delivery), per packet the veth received."
		echo "   vs flood.: that figure over floodgate's in the same round, median over rounds."
		echo "   accuracy: the worst source's delivered count against burst + rate x (last - first"
		echo "   send time of that source), over all rounds."
		echo "   none: no filter. xdp-drop: a 2-instruction XDP_DROP program, the floor of any XDP"
		echo "   program on veth (veth copies every frame into a page before XDP runs). floodgate:"
		echo "   'floodgate attach${BENCH_FG_ATTACH_ARGS:+ $BENCH_FG_ATTACH_ARGS}' (XDP native; its TC programs too unless --no-tc) and"
		echo "   'floodgate limit set 198.18.0.0/15 $RATE/s --burst $BURST'. floodgate-tc: the same with"
		echo "   'attach --hook tc' (the limits at TCX ingress: no XDP page copy). nftables: netdev ingress"
		echo "   hook (nft's earliest), a dynamic set keyed by ip saddr with a per-element"
		echo "   'limit rate over', drop. iptables: $(iptables --version | sed 's/^iptables //'), raw PREROUTING (its earliest"
		echo "   table), hashlimit --hashlimit-above, --hashlimit-mode srcip, DROP."
		[ -n "$VARIANT_OBJ" ] && echo "   variant: $VARIANT_OBJ, program $VARIANT_PROG at $VARIANT_HOOK ingress."
		lost=$(awk '{s += $9} END {print s + 0}' "$E2E")
		rcvbuf=$(awk '{s += $10} END {print s + 0}' "$E2E")
		echo "   Frames the veth refused (ring full; the generator retries them) over all runs: $lost;"
		echo "   receive socket buffer overflows: $rcvbuf."
		echo
		for n in $SOURCES; do
			for fm in floodgate floodgate-tc; do
			for peer in nftables iptables; do
				# floodgate's receive CPU over the peer's, round by round.
				rr=$(awk -v n="$n" -v m="$peer" -v fm="$fm" '$2 == n && $6 > 0 {c[$1 " " $3] = $8 / $6}
					END {for (k in c) {split(k, a, " "); f = fm " " a[2]
						if (a[1] == m && (f in c)) print c[f] / c[k]}}' "$E2E" | sort -g)
				[ -n "$rr" ] || continue
				r=$(echo "$rr" | median)
				range=$(echo "$rr" | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}')
				bar "2 receive CPU/pkt $fm < $peer, $n source(s)" \
					"$fm/$peer = $(printf %.2f "$r") ($range)" \
					"$(awk -v r="$r" 'BEGIN {print (r < 1) ? "PASS" : "FAIL"}')"
			done
			acc=$(awk -v n="$n" -v fm="$fm" '$1 == fm && $2 == n {print $5}' "$TMP/e2e_summary.txt")
			[ -n "$acc" ] && [ "$acc" != "-" ] && bar "3 $fm per-source accuracy within +-2%, $n source(s)" \
				"worst source $acc" \
				"$(awk -v a="${acc%\%}" 'BEGIN {e = a < 0 ? -a : a; print (e <= 2) ? "PASS" : "FAIL"}')"
			done
		done
	fi
	if [ -s "$BRK" ] || [ -n "$BRK_ERR" ]; then
		bv() { kv "$1" "$BRK"; }
		echo "4. Circuit breakers, BPF_PROG_TEST_RUN: ns per packet (wall clock per repetition of one"
		echo "   call, repeat=$(bv cfg_repeat)), medians of $(bv cfg_runs) interleaved rounds; ratios and differences"
		echo "   taken within a round"
		echo
		if [ -n "$(bv xdp_pass_ns)" ]; then
			echo "   4a xdp_ingress, TCP ACK to a destination that is no upstream: $(bv cfg_upstreams) upstreams configured"
			echo "      (ports 80 and 443 of 198.18.2.10 and up, breakers closed) vs none configured"
			echo
			printf '   %-20s %-36s %8s %8s %8s %7s\n' "limiter" "destination" "none" "$(bv cfg_upstreams) ups" "+ns" "+%"
			for pol in nopol limit; do
				case $pol in nopol) pl="no policy" ;; limit) pl="limit, within rate" ;; esac
				for d in port9000 port80 upstream; do
					case $d in
					port9000) dl="198.18.0.1:9000 (no upstream port)" ;;
					port80) dl="198.18.0.1:80 (hash lookup, miss)" ;;
					upstream) dl="198.18.2.10:80 (the upstream; info)" ;;
					esac
					printf '   %-20s %-36s %8.2f %8.2f %+8.2f %+6.1f%%\n' "$pl" "$dl" \
						"$(bv "xdp_${pol}_${d}_base_ns")" "$(bv "xdp_${pol}_${d}_ups_ns")" \
						"$(bv "xdp_${pol}_${d}_added_ns")" "$(bv "xdp_${pol}_${d}_added_pct")"
				done
			done
			echo
			echo "   none / $(bv cfg_upstreams) ups: ns per packet with no upstream configured / with them (medians);"
			echo "   added: medians over rounds of (with - without) and (with / without - 1), each taken"
			echo "   within a round from its adjacent pair, so they need not match the columns' difference."
			echo "   XDP_PASS floor in the same rounds: $(bv xdp_pass_ns) ns. One program instance; the upstreams"
			echo "   (and floodgate's port bitmap) are added and removed between the two runs of a pair,"
			echo "   whose order alternates."
			echo "   no policy: source 198.18.7.7, no prefix covers it (bucket miss, trie miss, pass);"
			echo "   limit: source 198.19.7.7 under 198.19.0.0/16 100M/s (cached bucket, GCRA"
			echo "   compare-and-swap, pass). Every packet passed: limit drops $(bv xdp_limit_drops), breaker"
			echo "   refusals $(bv xdp_breaker_refusals); no-policy passes $(bv xdp_nopol_passes), limit passes"
			echo "   $(bv xdp_limit_passes) (expected $(bv xdp_expected_passes_each) each)."
			echo
			for pol in nopol limit; do
				case $pol in nopol) pl="no policy" ;; limit) pl="limit in rate" ;; esac
				for d in port9000 port80; do
					v=$(bv "xdp_${pol}_${d}_added_pct")
					case $d in port9000) dd=":9000 (bitmap)" ;; *) dd=":80 (hash miss)" ;; esac
					bar "4a breaker cost <= +25%, $pl, $dd" \
						"$(printf '%+.1f%% (%+.1f ns on %.1f ns)' "$v" "$(bv "xdp_${pol}_${d}_added_ns")" "$(bv "xdp_${pol}_${d}_base_ns")")" \
						"$(pass_fail "$v" 25)"
				done
			done
		fi
		if [ -n "$(bv tc_egress_syn_ns)" ]; then
			echo "   4b TC programs beside tc_ok (a classifier that only returns TC_ACT_OK), same rounds"
			echo
			printf '   %-11s %-46s %9s %9s %7s\n' "program" "frame" "floodgate" "tc_ok" "ratio"
			for c in egress_syn egress_ack egress_http ingress_syn ingress_ack ingress_http; do
				case $c in
				*_syn) fl="SYN to a closed upstream (a known flow)" ;;
				*_ack) fl="ACK to a non-upstream (198.18.3.3:80)" ;;
				*_http) fl="HTTP/1.1 200 from the upstream, on no flow" ;;
				esac
				printf '   %-11s %-46s %9.2f %9.2f %6.2fx\n' "tc_${c%%_*}" "$fl" \
					"$(bv "tc_${c}_ns")" "$(bv "tc_${c}_tc_ok_ns")" "$(bv "tc_${c}_ratio")"
			done
			if [ -n "$(bv tc_newflow_egress_syn_ns)" ]; then
				printf '   %-11s %-46s %9.1f %9.1f %6.2fx\n' "tc_egress" "SYN, a new connection each call, repeat=1" \
					"$(bv tc_newflow_egress_syn_ns)" "$(bv tc_newflow_tc_ok_ns)" "$(bv tc_newflow_ratio)"
				printf '   %-11s %-46s %9.1f %9.1f %6.2fx\n' "tc_egress" "  the same SYNs again (entries found)" \
					"$(bv tc_newflow_again_ns)" "$(bv tc_newflow_tc_ok_ns)" "$(bv tc_newflow_again_ratio)"
			fi
			echo
			echo "   Upstream 198.18.2.10:80, client 198.18.1.2:40000. The SYN rows repeat one frame: after"
			echo "   the first repetition tc_egress finds its pending_syn entry (a retransmit). The last two"
			echo "   rows: SYNs of $(bv tc_newflow_flows) distinct connections per pass, one call each, so every SYN inserts"
			echo "   its pending_syn entry (LRU of $(bv cfg_pending_syn_max), evicting once full), then the same SYNs again"
			echo "   ($(bv tc_newflow_pending_found) of $(($(bv tc_newflow_flows) * $(bv tc_newflow_passes))) entries there afterwards): their difference is the insert. The kernel's"
			echo "   per-call duration, median of $(bv tc_newflow_passes) passes; one run per call starts with caches the syscall"
			echo "   cooled and includes the kernel's clock reads, hence the higher floor."
			echo "   Counted by the programs: SYNs $(bv tc_syn_counted), status lines seen (2xx or, on no flow, ignored)"
			echo "   $(bv tc_http_seen_counted) (expected $(bv tc_expected_each) each);"
			echo "   one-call SYNs $(bv tc_newflow_syn_counted) (expected $(bv tc_newflow_expected))."
			echo
		fi
		[ -n "$BRK_ERR" ] && bar "4 bench_breaker ran" "$BRK_ERR" "FAIL"
	fi
	if [ -s "$OBS" ] || [ -n "$OBS_ERR" ]; then
		ov() { kv "$1" "$OBS"; }
		if [ -n "$(ov obs_runs)" ]; then
			echo "   4c The flow-checked observer against the observer before it (commit 9789a48, built as"
			echo "      tests/bench/progs/observe_old.bpf.c on the same maps) and tc_ok, same rounds:"
			echo "      ns per packet, repeat=$(ov obs_repeat), medians of $(ov obs_runs) rounds, new - old within a round"
			echo
			printf '   %-11s %-44s %8s %8s %8s %8s\n' "program" "frame" "new" "old" "new-old" "tc_ok"
			for c in egress_syn egress_request egress_ack ingress_synack ingress_status ingress_body ingress_forged; do
				case $c in
				egress_syn) fl="SYN retransmit to a closed upstream" ;;
				egress_request) fl="client data on a tracked flow" ;;
				egress_ack) fl="pure ACK on a tracked flow" ;;
				ingress_synack) fl="SYN-ACK again (no pending SYN)" ;;
				ingress_status) fl="HTTP/1.1 200 at the answer's start" ;;
				ingress_body) fl="body segment on a tracked flow" ;;
				ingress_forged) fl="forged HTTP/1.1 503 on no flow" ;;
				esac
				printf '   %-11s %-44s %8.1f %8.1f %+8.1f %8.1f\n' "tc_${c%%_*}" "$fl" \
					"$(ov "obs_${c}_new")" "$(ov "obs_${c}_old")" "$(ov "obs_${c}_delta")" "$(ov "obs_${c}_tc_ok")"
			done
			echo
			echo "   Ingress: the old observer looked up a socket (bpf_sk_lookup_tcp) for every SYN, RST and"
			echo "   payload to tell the controller's probes apart; the new one marks probe SYNs at egress and"
			echo "   does one flows lookup instead. Egress: client data now costs a flows lookup (and, for new"
			echo "   data, the ack read); SYNs a lookup more when their pending entry exists (a retransmit)."
			echo
		fi
		[ -n "$OBS_ERR" ] && bar "4c bench_observe ran" "$OBS_ERR" "FAIL"
	fi

	if [ -s "$FF" ] || [ -n "$FF_ERR" ]; then
		fv() { kv "$1" "$FF"; }
		if [ -n "$(fv ff_reset_client_ms)" ]; then
			echo "5. Fail fast end to end: connect() to upstream 198.18.2.10:80 through a forwarding gateway"
			echo "   (three namespaces, veth), median of $(fv ff_n) connects per cell, wall time of connect()"
			echo
			cell() { # CASE SIDE OUTCOME-KEY OUTCOME-LABEL
				printf '%9.3f ms %2d/%-2d %s' "$(fv "ff_$1_$2_ms")" "$(fv "ff_$1_$2_$3")" "$(fv "ff_$1_$2_n")" "$4"
			}
			printf '   %-22s  %-27s  %-27s  %s\n' "from" "breaker open, reset" \
				"open, drop (capped)" "dead upstream (capped)"
			for sd in client gateway; do
				case $sd in client) sl="client (fwd, XDP)" ;; gateway) sl="gateway (local, TC)" ;; esac
				printf '   %-22s  %-27s  %-27s  %s\n' "$sl" "$(cell reset "$sd" refused refused)" \
					"$(cell drop "$sd" timeout timeout)" "$(cell dead "$sd" timeout timeout)"
			done
			echo
			echo "   reset: 'floodgate upstream open' with --reject reset; the client's SYN is answered by"
			echo "   XDP_TX on the gateway's client-facing port, the gateway's own by TC egress turning the RST"
			echo "   back to its stack (floodgate counted resets_sent $(fv ff_reset_resets_sent)). drop: --reject drop (rejected"
			echo "   $(fv ff_drop_rejected) SYNs incl. retransmits). dead: upstream deleted from floodgate, the upstream host"
			echo "   drops SYNs to :80 itself (nft). drop and dead are capped at $(fv ff_cap_ms) ms by connect_time -t: left"
			echo "   alone, the kernel gives up after $(fv ff_kernel_giveup_client_s) s (net.ipv4.tcp_syn_retries=$(fv ff_syn_retries_client); computed, not measured)."
			echo "   Time: wall time of connect() (build/tests/connect_time, CLOCK_MONOTONIC from the non-blocking"
			echo "   connect() to poll() reporting the outcome), not the kernel's; min-max: reset client"
			echo "   $(fv ff_reset_client_min_ms)-$(fv ff_reset_client_max_ms) ms, gateway $(fv ff_reset_gateway_min_ms)-$(fv ff_reset_gateway_max_ms) ms. reset runs one connect at a time, client and"
			echo "   gateway alternating; drop and dead run their connects at once (each waits for the cap)."
			echo "   For reference, no breaker: healthy upstream, connect() succeeds in $(fv ff_ok_client_ms) ms"
			echo "   (client) / $(fv ff_ok_gateway_ms) ms (gateway), $(fv ff_ok_client_ok)+$(fv ff_ok_gateway_ok) of $(($(fv ff_ok_client_n) + $(fv ff_ok_gateway_n))) ok; nothing listening (the upstream's own"
			echo "   RST): refused in $(fv ff_down_client_ms) / $(fv ff_down_gateway_ms) ms, $(fv ff_down_client_refused)+$(fv ff_down_gateway_refused) refused."
			echo
			for sd in client gateway; do
				case $sd in client) sl="client (XDP)" ;; gateway) sl="gateway (TC)" ;; esac
				m=$(fv "ff_reset_${sd}_ms") ok=$(fv "ff_reset_${sd}_refused") n=$(fv "ff_reset_${sd}_n")
				bar "5 open breaker, reset: connect() < 1 ms, $sl" "median $m ms, $ok/$n refused" \
					"$(awk -v m="$m" -v ok="$ok" -v n="$n" 'BEGIN {print (m + 0 < 1 && m != "nan" && ok == n) ? "PASS" : "FAIL"}')"
			done
		fi
		[ -n "$FF_ERR" ] && bar "5 failfast.sh ran" "$FF_ERR" "FAIL"
	fi

	if [ -s "$DM" ] || [ -n "$DM_ERR" ]; then
		dv() { kv "$1" "$DM"; }
		if [ -n "$(dv dr_react_median_ms)$(dv ds_cpu_pct)" ]; then
			echo "6. floodgated: breaker reaction and 1,000 probed upstreams (client -> forwarding"
			echo "   gateway -> upstream, three namespaces, veth; the daemon in the gateway's)"
			echo
		fi
		if [ -n "$(dv dr_react_median_ms)" ]; then
			echo "   6a time from the threshold-crossing response to the breaker open in the map,"
			echo "      tick $(dv dr_tick_ms) ms, open after $(dv dr_nfail) consecutive 503s, $(dv dr_ok) of $(dv dr_trips) trips"
			echo
			printf '   %-44s %8s %8s %8s %8s\n' "" "median" "min" "p90" "max"
			printf '   %-44s %8s %8s %8s %8s\n' "5th 503 at the client -> changed_ns (ms)" "$(dv dr_react_median_ms)" \
				"$(dv dr_react_min_ms)" "$(dv dr_react_p90_ms)" "$(dv dr_react_max_ms)"
			printf '   %-44s %8s %8s %8s %8s\n' "  -> open in 'upstream list', ~5 ms polls" "$(dv dr_seen_median_ms)" \
				"$(dv dr_seen_min_ms)" "" "$(dv dr_seen_max_ms)"
			echo
			echo "   Passive outcomes only (no probes): tests/tools/http_upstream.py switched to 503, the"
			echo "   client sends 5 GETs one after the other and takes CLOCK_MONOTONIC when the 5th status"
			echo "   line arrives; the end is the changed_ns floodgated wrote into the upstreams map (its"
			echo "   CLOCK_MONOTONIC at the start of the tick that opened the breaker), so neither polling"
			echo "   nor a process start counts. Each trip begins after a random 0..1 tick pause (trips"
			echo "   fall at every phase of the tick: expect 0..1 tick, median ~half), and ends with the"
			echo "   breaker closed again through the daemon's control socket (floodgate upstream close,"
			echo "   then auto). The daemon logged $(dv dr_opens_logged) opens."
			echo
			med=$(dv dr_react_median_ms) ok=$(dv dr_ok) n=$(dv dr_trips) tick=$(dv dr_tick_ms)
			bar "6a breaker open < 1 tick ($tick ms) after 5th 503, median" \
				"median $med ms ($(dv dr_react_min_ms)-$(dv dr_react_max_ms)), $ok/$n trips" \
				"$(awk -v m="$med" -v t="$tick" -v ok="$ok" -v n="$n" 'BEGIN {print (m != "nan" && m + 0 < t && ok == n) ? "PASS" : "FAIL"}')"
		fi
		if [ -n "$(dv ds_cpu_pct)" ]; then
			echo "   6b floodgated with $(dv ds_upstreams) upstreams, TCP probes every 1 s (+-10% jitter), tick 100 ms,"
			echo "      textfile every 5 s; ${DM_WINDOW}s window after a $(dv ds_warmup_s) s warm-up"
			echo
			echo "   CPU $(dv ds_cpu_pct)% of one core (user $(dv ds_cpu_user_pct)%), peak RSS $(awk -v k="$(dv ds_hwm_kib)" 'BEGIN {printf "%.1f", k / 1024}') MiB (VmHWM), $(dv ds_threads) thread(s),"
			echo "   $(dv ds_probes_per_s) probes/s accepted by the upstreams, $(dv ds_wakeups_per_s) wake-ups/s; started in $(dv ds_start_ms) ms;"
			echo "   probe results $(dv ds_probe_pass_total) pass / $(dv ds_probe_fail_total) fail; $(dv ds_closed) of $(dv ds_listed) breakers closed at the end."
			echo
			echo "   CPU: utime + stime of the daemon (/proc/PID/stat, all threads) over the window. The"
			echo "   upstreams: 198.18.4.1 .. on one local /22 route in the upstream namespace, one listener."
			if [ "$(dv ds_inline_rx)" = 1 ]; then
				echo "   veth receive inline (FGBD_INLINE_RX=1): the upstream's and the gateway's receive work"
				echo "   runs on the back of the daemon's own syscalls and counts as its stime."
			else
				echo "   Both veth ends of the upstream link receive in threaded NAPI, as a NIC's receive"
				echo "   runs in softirq: it does not count as the daemon's. Their kthreads' run time over"
				echo "   the window, for the whole picture: the gateway's receive of probe replies (XDP, TC"
				echo "   ingress, TCP) $(dv ds_napi_gw_pct)% of one core; the upstream side's (not on a real gateway)"
				echo "   $(dv ds_napi_up_pct)%. With veth's default inline receive all of it lands in the daemon's"
				echo "   stime instead (tests/bench/daemon.sh with FGBD_INLINE_RX=1)."
			fi
			echo
			cpu=$(dv ds_cpu_pct) ups=$(dv ds_upstreams) pps=$(dv ds_probes_per_s)
			# Valid only while the daemon really probed every upstream every second.
			valid=$(awk -v p="$pps" -v u="$ups" -v f="$(dv ds_probe_fail_total)" -v c="$(dv ds_closed)" \
				'BEGIN {print (p >= 0.95 * u && p <= 1.05 * u && f == 0 && c == u) ? 1 : 0}')
			bar "6b $ups upstreams probed every 1 s: CPU < 5% of a core" \
				"$cpu% ($pps probes/s$([ "$valid" = 1 ] || echo ", NOT all probing"))" \
				"$(awk -v c="$cpu" -v v="$valid" 'BEGIN {print (c + 0 < 5 && v == 1) ? "PASS" : "FAIL"}')"
			bar "6b $ups upstreams: peak RSS < 64 MiB" \
				"$(awk -v k="$(dv ds_hwm_kib)" 'BEGIN {printf "%.1f MiB", k / 1024}')" \
				"$(awk -v k="$(dv ds_hwm_kib)" 'BEGIN {print (k + 0 > 0 && k + 0 < 65536) ? "PASS" : "FAIL"}')"
		fi
		[ -n "$DM_ERR" ] && bar "6 daemon.sh ran" "$DM_ERR" "FAIL"
	fi
	if [ -s "$NIC" ]; then
		echo "7. NIC-like receive path: live frames into a veth (xdp_frames: no skb, no page copy"
		echo "   before XDP, as a NIC driver hands them), limit $RATE/s burst $BURST per source, 60-byte"
		echo "   UDP, ${NIC_DUR}s per run; medians of $NIC_REPS interleaved rounds, ratios taken within a round"
		echo
		printf '   %-13s %7s %8s %8s %7s %9s %8s %13s %8s %8s %9s\n' "method" "sources" "offered" "rx" \
			"refused" "passed" "rx ns/" "(min-max)" "vs" "vs" "accuracy"
		printf '   %-13s %7s %8s %8s %7s %9s %8s %13s %8s %8s %9s\n' "" "" "Mpps" "Mpps" "" "pps" "pkt" \
			"" "XDP_DROP" "flood." "worst"
		: >"$TMP/nic_summary.txt"
		# Within-round ratio of method a over method b at sources n (b at sources nb), median.
		nic_ratio() { # a n b nb
			awk -v a="$1" -v n="$2" -v b="$3" -v nb="$4" '$6 > 0 && ($2 == n || $2 == nb) {
					c[$1 " " $2 " " $3] = $9 / $6; r[$3] = 1 }
				END {for (k in r) {x = a " " n " " k; y = b " " nb " " k
					if ((x in c) && (y in c)) print c[x] / c[y]}}' "$NIC" | sort -g
		}
		for n in $NIC_SOURCES; do
			for m in $NIC_METHODS; do
				nsel() { awk -v m="$m" -v n="$n" "\$1 == m && \$2 == n && \$6 > 0 {print $1}" "$NIC" | median; }
				off=$(nsel '$4 / $5 * 1e3')
				rxm=$(nsel '$6 / $5 * 1e3')
				ref=$(nsel '$7 / ($6 + $7) * 100')
				pas=$(nsel '$8 * 1e9 / $5')
				cpu=$(nsel '$9 / $6')
				spread=$(awk -v m="$m" -v n="$n" '$1 == m && $2 == n && $6 > 0 {print $9 / $6}' "$NIC" |
					sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {if (NR) printf "%.0f-%.0f", lo, hi}')
				vd=$(nic_ratio "$m" "$n" xdp-drop "$n" | median)
				vf=$(nic_ratio "$m" "$n" floodgate "$n" | median)
				acc=$(awk -v m="$m" -v n="$n" '$1 == m && $2 == n && $12 != "nan" {
						e = $12 < 0 ? -$12 : $12; if (!k++ || e > w) {w = e; s = $12}}
					END {if (k) printf "%+.2f%%", s; else print "-"}' "$NIC")
				fmt_x() { awk -v r="$1" 'BEGIN {if (r == "nan" || r == "") print "-"; else printf "%.2fx", r}'; }
				printf '   %-13s %7s %8.2f %8.2f %6.1f%% %9.0f %8.1f %13s %8s %8s %9s\n' "$m" "$n" "$off" \
					"$rxm" "$ref" "$pas" "$cpu" "($spread)" "$(fmt_x "$vd")" "$(fmt_x "$vf")" "$acc"
				echo "$m $n $cpu $acc" >>"$TMP/nic_summary.txt"
			done
		done
		echo
		echo "   offered: frames the generator's program redirected per second (bench_live: one"
		echo "   BPF_PROG_TEST_RUN call per $NIC_CHUNK frames, flag BPF_F_TEST_XDP_LIVE_FRAMES, batches of 64,"
		echo "   pinned to CPU $GEN_CPU; each call also costs ~30 ms of set-up, in the average). rx: frames"
		echo "   the receiving veth's NAPI took; refused: frames its ring (256) had no room for, of those"
		echo "   offered. passed: datagrams delivered to bench_sink's socket. rx ns/pkt: run time of the"
		echo "   receiving veth's threaded-NAPI kthread (pinned to CPU $RX_CPU) per frame it took, as in"
		echo "   section 2: XDP, and for the TC and netfilter methods the skb veth builds from the"
		echo "   frame, GRO, TC, netfilter, and for passed packets IP and UDP delivery. vs XDP_DROP /"
		echo "   vs flood.: that figure over xdp-drop's / floodgate's in the same round, median."
		echo "   accuracy: worst source's delivered count against burst + rate x (last - first send"
		echo "   time, from the generator's clock marks), over all rounds and the sources whose frames"
		echo "   reached the limiter (sent x rx / (rx + refused)) at least twice as often as the limit"
		echo "   admits; '-' when none did (at 100,000 sources each source gets less than its limit"
		echo "   and all of it passes; on a busy receiver, too few frames get through the ring)."
		echo "   Sources: 198.18.1.0 + i in turn; flood: random addresses of 198.18.0.0/15"
		echo "   ($NIC_FLOOD_SOURCES of them, a fresh draw per frame)."
		echo "   xdp-drop: a 2-instruction XDP_DROP program, the floor. src-drop: reads the ethertype"
		echo "   and the IPv4 source, drops (tests/bench/progs/nic_ref.bpf.c): the floor of any limiter."
		echo "   floodgate: 'floodgate attach${BENCH_FG_ATTACH_ARGS:+ $BENCH_FG_ATTACH_ARGS}', 'floodgate limit set 198.18.0.0/15 $RATE/s --burst $BURST"
		echo "   --new-sources B' with B = max(1k/s, sources/s) for known sources (every source gets its"
		echo "   bucket at once) and $NIC_NEW for the flood (new-source admission: unknown sources past the"
		echo "   budget share one overflow bucket). floodgate-tc: the same with 'attach --hook tc'."
		echo "   gcra-ref: a minimal GCRA limiter (nic_ref.bpf.c: LPM policy lookup, LRU_HASH TAT,"
		echo "   precise clock, compare-and-swap; nothing else), same limit. nftables: netdev ingress,"
		echo "   a dynamic set of 262144 elements keyed by ip saddr, 'limit rate over', drop. iptables:"
		echo "   raw PREROUTING hashlimit --hashlimit-above, srcip, htable-size 131072, max 262144."
		echo "   Every figure includes delivering what a method passes (IP, UDP, the socket): at 1,000"
		echo "   sources that is up to sources x (burst + rate x duration) packets per run, and the"
		echo "   fewer frames a busy receiver takes, the larger their share; the flood bar's known-source"
		echo "   cost carries it too."
		lost=$(awk '{s += $7} END {print s + 0}' "$NIC")
		rcvbuf=$(awk '{s += $10} END {print s + 0}' "$NIC")
		echo "   Frames refused at the ring over all runs: $lost; receive socket buffer overflows: $rcvbuf."
		echo
		for n in $NIC_SOURCES; do
			[ "$n" = flood ] && continue
			for peer in nftables iptables xdp-drop; do
				rr=$(nic_ratio floodgate "$n" "$peer" "$n")
				[ -n "$rr" ] || continue
				r=$(echo "$rr" | median)
				range=$(echo "$rr" | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}')
				lim=0.2
				[ "$peer" = xdp-drop ] && lim=2.5
				case $n in 1 | 1000) ;; *) lim="" ;; esac # bars at 1 and 1,000 sources only
				bar "7 rx CPU/pkt floodgate XDP $([ -n "$lim" ] && echo "<= ${lim}x" || echo "/") $peer, $n source(s)" \
					"$(printf %.2f "$r")x ($range)" \
					"$([ -n "$lim" ] && pass_fail "$r" "$lim" || echo "info")"
			done
		done
		for known in 1000 1; do
			rr=$(nic_ratio floodgate flood floodgate "$known")
			[ -n "$rr" ] || continue
			r=$(echo "$rr" | median)
			range=$(echo "$rr" | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}')
			bar "7 random-source flood (admission) <= 1.5x known, $known src" \
				"$(printf %.2f "$r")x ($range)" "$(pass_fail "$r" 1.5)"
		done
		for fm in floodgate floodgate-tc gcra-ref; do
			for n in $NIC_SOURCES; do
				acc=$(awk -v n="$n" -v fm="$fm" '$1 == fm && $2 == n {print $4}' "$TMP/nic_summary.txt")
				[ -n "$acc" ] && [ "$acc" != "-" ] || continue
				bar "7 $fm per-source accuracy within +-2%, $n source(s)" "worst source $acc" \
					"$(awk -v a="${acc%\%}" 'BEGIN {e = a < 0 ? -a : a; print (e <= 2) ? "PASS" : "FAIL"}')"
			done
		done
	fi
	if [ -s "$ATK" ] && [ -z "$ATK_ERR" ]; then
		cat "$ATK"
		echo
	fi
	[ -n "$ATK_ERR" ] && bar "8 attack.sh ran" "$ATK_ERR" "FAIL"
	if [ -s "$FL" ] && [ -n "$(kv fleet_cpu_on_pct "$FL")" ]; then
		flv() { kv "$1" "$FL"; }
		f2() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
		echo "9. Fleet mode: $(flv fleet_nodes) floodgated nodes with $(flv fleet_upstreams) upstreams each (probe none, tick 100 ms,"
		echo "   sync 100 ms, stale 3 s), one redis-server; the fleet on and off by reload, interleaved,"
		echo "   medians of $(flv fleet_rounds) rounds of $(flv fleet_window_s) s. Redis's figures from Redis (INFO commandstats / stats / cpu)."
		echo
		echo "   Redis round trips (EVAL, one per sync)   $(f2 "$(flv fleet_syncs_per_s_per_node)")/s per node"
		echo "   Redis commands (EVAL + the script's)     $(f2 "$(flv fleet_cmds_per_s_per_node)")/s per node"
		echo "   bytes per sync                           $(f2 "$(flv fleet_bytes_in_per_sync)") in (the votes), $(f2 "$(flv fleet_bytes_out_per_sync)") out (every node's)"
		echo "   Redis's CPU                              $(f2 "$(flv fleet_redis_cpu_pct)")% of a core for $(flv fleet_nodes) nodes"
		echo "   floodgated CPU per node, fleet on / off  $(f2 "$(flv fleet_cpu_on_pct)")% / $(f2 "$(flv fleet_cpu_off_pct)")% of a core (within-round difference $(f2 "$(flv fleet_cpu_delta_pct)")%)"
		echo "   hot sources                              $(flv fleet_hot_sources) at $(flv fleet_source_pps)/s each to every node (limit 1/s burst 2); node 1 held $(flv fleet_shares_node1) shares"
		echo "   raw: mode round elapsed_ms cpu_pct evals script_cmds bytes_in bytes_out redis_cpu_ms shares_node1"
		sed -n 's/^fleet_rounds_raw //p' "$FL" | tr ';' '\n' | sed '/^$/d; s/^/     /'
		echo
		bar "9 fleet: one Redis round trip per sync (<= 11/s/node)" \
			"$(f2 "$(flv fleet_syncs_per_s_per_node)")/s per node" "$(pass_fail "$(flv fleet_syncs_per_s_per_node)" 11)"
		bar "9 fleet, $(flv fleet_upstreams) upstreams, $(flv fleet_hot_sources) hot sources: added CPU < 5% of a core" \
			"$(f2 "$(flv fleet_cpu_delta_pct)")% ($(f2 "$(flv fleet_cpu_on_pct)") on, $(f2 "$(flv fleet_cpu_off_pct)") off)" \
			"$(pass_fail "$(flv fleet_cpu_delta_pct)" 5)"
	fi
	[ -n "$FL_ERR" ] && bar "9 fleet.sh ran" "$FL_ERR" "FAIL"
	echo "Bars"
	cat "$BARS"
	echo
	if [ -s "$E2E" ]; then
		echo "Raw veth runs: method sources round sent elapsed_ns veth_rx delivered napi_ns"
		echo "ring_refused rcvbuf_errors filter_drops accuracy_worst_% accuracy_mean_%"
		sed 's/^/  /' "$E2E"
		echo
	fi
	if [ -s "$NIC" ]; then
		echo "Raw NIC-like runs: method sources round sent elapsed_ns veth_rx ring_refused delivered"
		echo "napi_ns rcvbuf_errors filter_drops accuracy_worst_% accuracy_mean_% sources_judged"
		sed 's/^/  /' "$NIC"
		echo
	fi
	echo "(whole bench: $((SECONDS - START)) s)"
} >"$REPORT"

sed -n "$(($(wc -l <"$HDR") + 1)),\$p" "$REPORT"
cp "$REPORT" "$OUT"
log "results written to ${OUT#"$ROOT"/}"
