#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Legitimate traffic under attack (make bench, tests/bench/run.sh section 8;
# never part of make test): short HTTP transactions from a client while a
# random-source flood of increasing rate hits the same interface, with
# floodgate, with nftables and with no filter; the attack rate at which the
# client's transactions per second halve (the XDP paper's DDoS figure).
#
#   generator ns ($NSG)                                 receiver ns ($NSR)
#   bench_live (CPU 0) -- live frames -->  $IFG ── veth ── $IFR  threaded NAPI (CPU 1)
#   bench_http 198.18.0.2 (CPU 1) -- TCP -->                    the filter under test
#                                                        http_upstream.py :80 (CPU 1)
#
# The two namespaces and the veth of sections 2 and 7 (tests/bench/lib_live.sh).
# The flood: build/tests/bench_live, random sources of 198.18.0.0/15 outside
# 198.18.0.0/24 (a fresh draw per frame), UDP to port 9000 where nothing
# listens, paced inside its program to RATE Mpps, or unpaced (max); at rate 0
# it runs too and sends nothing (--idle), so CPU 0 spins in every point. The
# flood's frames arrive as xdp_frames (no skb, no copy, as from a NIC) and
# share the receiving veth's ring with the client's packets. The client:
# build/tests/bench_http, one transaction at a time (connect, GET, the
# response to the server's close, close), a transaction given up after
# ATK_TIMEOUT_MS, to tests/tools/http_upstream.py (HTTP/1.0, one response
# per connection). The machine has 2 CPUs: the generator owns CPU 0, and the
# receiving NAPI kthread, the client and the server share CPU 1, so what the
# receive path spends on the flood is taken from the client and the server.
# The NAPI kthread runs SCHED_FIFO (ATK_NAPI_SCHED=fifo, priority 1), as a
# NIC's softirq preempts tasks at once: at normal priority it waits behind
# whatever runs on CPU 1 and the 256-frame ring overflows long before the
# CPU is busy (nice: nice -20; other: as section 7 leaves it).
#
# Methods, interleaved point by point: none; floodgate ('floodgate attach',
# 'limit set 198.18.0.0/15 RATE/s --burst B --new-sources N', the client's
# 198.18.0.0/24 'limit allow'); nftables (netdev ingress per-source meter,
# same limit, 198.18.0.0/24 accepted first: tests/bench/lib_live.sh).
#
# Output on stdout: the section of the results file (a table, the halving
# rate per method, the raw points); the plot (gnuplot, PNG) goes to
# ATK_PNG. Knobs: ATK_DURATION seconds of client traffic per point (3),
# ATK_REPS rounds (3), ATK_RATES offered rates, Mpps, 0 = no attack, max =
# unpaced ("0 0.25 0.5 1 2 4 max"), ATK_METHODS ("none floodgate nftables"),
# ATK_LIMIT and ATK_BURST (100, 100), ATK_NEW_SOURCES (1k/s), ATK_TIMEOUT_MS
# (2000), ATK_NAPI_SCHED (fifo), ATK_PNG (tests/bench/attack.png), ATK_BUNCH
# (32): paced flood frames go out that many at a time, as a NIC's interrupt
# coalescing hands them to NAPI (1: a wake-up per frame, which every method
# pays alike and which hides their differences).
#
# Only 198.18.0.0/15 inside the two namespaces made here; names carry $$;
# the pin dir is /sys/fs/bpf/fgatk-$$. Every process is bounded in time
# (timeout) and count; the EXIT trap stops what was started (by PID),
# detaches, removes the pins and deletes both namespaces (their nft rules go
# with them), on failure too.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/check.sh" # t_poll
. "$ROOT/tests/lib/proc.sh"  # stop_pid
TOOLS=$ROOT/build/tests
FG=$ROOT/build/floodgate
SRV=$ROOT/tests/tools/http_upstream.py
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
DUR=${ATK_DURATION:-3}
REPS=${ATK_REPS:-3}
RATES=${ATK_RATES:-"0 0.25 0.5 1 2 4 max"}
METHODS=${ATK_METHODS:-"none floodgate nftables"}
RATE=${ATK_LIMIT:-100}
BURST=${ATK_BURST:-100}
NEW=${ATK_NEW_SOURCES:-1k/s}
TIMEOUT_MS=${ATK_TIMEOUT_MS:-2000}
NAPI_SCHED=${ATK_NAPI_SCHED:-fifo}
PNG=${ATK_PNG:-$ROOT/tests/bench/attack.png}
BUNCH=${ATK_BUNCH:-32}
CHUNK=16777216 # frames per BPF_PROG_TEST_RUN call: its ~30 ms set-up seldom
GEN_CPU=0
RX_CPU=1

TAG=fga$$
NSG=${TAG}g
NSR=${TAG}r
IFG=${TAG}g
IFR=${TAG}r
DST=198.18.0.1 # the server
CLIENT=198.18.0.2
HOSTS=198.18.0.0/24 # the bench's own hosts; the flood's sources lie outside
PIN=/sys/fs/bpf/fgatk-$$
. "$ROOT/tests/bench/lib_live.sh" # setup_veth, napi_pids, napi_runtime, counters, nft_meter_up
TMP=$(mktemp -d /tmp/fgatk.XXXXXX)
SRV_PID="" GEN_PID=""
ATTACHED=0
START=$SECONDS

log() { echo "attack: $*" >&2; }
die() {
	log "$*"
	exit 1
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	stop_pid "$GEN_PID"
	stop_pid "$SRV_PID"
	[ "$ATTACHED" = 1 ] && nsenter --net=/run/netns/"$NSR" "$FG" detach "$IFR" --pin-dir "$PIN" >/dev/null 2>&1
	# Pins left behind (a failed detach): unlinking them detaches the program.
	case "$PIN" in /sys/fs/bpf/fgatk-*) rm -rf "$PIN" ;; esac
	ip netns del "$NSG" 2>/dev/null
	ip netns del "$NSR" 2>/dev/null
	rm -rf -- "$TMP"
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

[ "$(id -u)" = 0 ] || die "needs root (BPF programs, network namespaces)"
for x in "$TOOLS/bench_live" "$TOOLS/bench_http" "$FG" "$SRV" "$PY"; do
	[ -x "$x" ] || [ -r "$x" ] || die "missing $x (run make bench)"
done
for c in ip nft ethtool nsenter taskset timeout awk gnuplot; do
	command -v "$c" >/dev/null || die "missing command: $c (make deps installs it)"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (generator and receiver apart)"
median() { sort -g | awk '{a[NR] = $1} END {if (!NR) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
kv() { awk -v k="$1" '$1 == k {print $2; exit}' "$2"; }

filter_up() { # method
	case $1 in
	none) ;;
	floodgate)
		nsenter --net=/run/netns/"$NSR" "$FG" attach "$IFR" --pin-dir "$PIN" >/dev/null || return 1
		ATTACHED=1
		"$FG" limit set 198.18.0.0/15 "$RATE/s" --burst "$BURST" --new-sources "$NEW" \
			--pin-dir "$PIN" >/dev/null || return 1
		"$FG" limit allow "$HOSTS" --pin-dir "$PIN" >/dev/null || return 1
		;;
	nftables) nft_meter_up 262144 "$HOSTS" || return 1 ;;
	*) log "unknown method $1" && return 1 ;;
	esac
}

filter_drops() {
	case $1 in
	floodgate) "$FG" stats --json --pin-dir "$PIN" | sed -n 's/.*"drop":\([0-9]*\).*/\1/p' ;;
	nftables) ip netns exec "$NSR" nft list chain netdev fgbench ingress |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p' ;;
	*) echo 0 ;;
	esac
}

filter_down() {
	case $1 in
	floodgate)
		nsenter --net=/run/netns/"$NSR" "$FG" detach "$IFR" --pin-dir "$PIN" >/dev/null || return 1
		ATTACHED=0
		rm -rf "$PIN"
		;;
	nftables) ip netns exec "$NSR" nft delete table netdev fgbench ;;
	esac
}

offered() { echo $(($(rx_packets) + $(rx_dropped))); } # frames that reached the veth

# One point: method, rate (Mpps, 0 or max), round. Appends a line to $RAW.
run_point() {
	local m=$1 r=$2 rep=$3 base="$TMP/$1-$2-$3" pace=() o0 p0 p1 r0 r1 q0 q1 t0 t1 pids fd
	case $r in
	0) pace=(--idle) ;;
	max) ;;
	*) pace=(--pps "$(awk -v r="$r" 'BEGIN {printf "%.0f", r * 1e6}')" --bunch "$BUNCH") ;;
	esac
	filter_up "$m" || { log "$m: setup failed"; return 1; }
	o0=$(offered)
	timeout $((DUR + 30)) ip netns exec "$NSG" "$TOOLS/bench_live" --ifname "$IFG" \
		--dst-mac "$MAC_R" --dst-ip "$DST" --random --dport 9000 --duration $((DUR + 10)) \
		--count $((20000000 * (DUR + 10))) --chunk "$CHUNK" --cpu "$GEN_CPU" "${pace[@]}" \
		--ready "$base.ready" >"$base.gen" &
	GEN_PID=$!
	t_poll 5000 test -e "$base.ready" || { log "bench_live did not start"; return 1; }
	# The flood is on once frames reach the veth.
	[ "$r" = 0 ] || t_poll 5000 eval '[ $(($(offered) - o0)) -ge 1000 ]' ||
		{ log "no flood at the veth"; return 1; }

	napi_pin "$RX_CPU" "$NAPI_SCHED" || return 1
	pids=$NAPI_PIDS
	p0=$(napi_runtime $pids) r0=$(rx_packets) q0=$(rx_dropped) t0=${EPOCHREALTIME/./}
	timeout $((DUR + 20)) ip netns exec "$NSG" "$TOOLS/bench_http" --dst "$DST" --port 80 \
		--duration "$DUR" --timeout-ms "$TIMEOUT_MS" --cpu "$RX_CPU" >"$base.http" ||
		{ log "bench_http failed"; return 1; }
	p1=$(napi_runtime $pids) r1=$(rx_packets) q1=$(rx_dropped) t1=${EPOCHREALTIME/./}
	alive "$GEN_PID" || { log "bench_live ended before the client"; return 1; }
	stop_pid "$GEN_PID"
	GEN_PID=""
	fd=$(filter_drops "$m")
	filter_down "$m" || { log "$m: teardown failed"; return 1; }
	alive "$SRV_PID" || { log "the HTTP server died"; return 1; }
	# method rate round offered_pps(gen) veth_rx ring_refused napi_ns window_us
	#   ok failed timeouts tps p50_us p99_us filter_drops
	hv() { local v; v=$(kv "$1" "$base.http"); echo "${v:-nan}"; } # nan: no transaction completed
	echo "$m $r $rep $(kv pps "$base.gen") $((r1 - r0)) $((q1 - q0)) $((p1 - p0)) $((t1 - t0))" \
		"$(hv ok) $(hv failed) $(hv timeouts) $(hv tps) $(hv lat_p50_us) $(hv lat_p99_us) ${fd:-0}" >>"$RAW"
}

# ---------------------------------------------------------------- setup
setup_veth || die "veth setup failed"
MAC_G=$(ip netns exec "$NSG" cat /sys/class/net/"$IFG"/address) || die "no MAC"
# Static neighbours: the flood's answers (ICMP to random sources) may fill the
# receiver's neighbour table, and the client's entry must not depend on it.
ip -n "$NSR" neigh replace "$CLIENT" lladdr "$MAC_G" dev "$IFR" nud permanent &&
	ip -n "$NSG" neigh replace "$DST" lladdr "$MAC_R" dev "$IFG" nud permanent || die "neighbours"
ip netns exec "$NSG" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" || die "port range"
npoints=0
for r in $RATES; do for m in $METHODS; do npoints=$((npoints + 1)); done; done
BOUND=$((REPS * npoints * (DUR + 40) + 60)) # what no run can outlast
timeout "$BOUND" ip netns exec "$NSR" taskset -c "$RX_CPU" "$PY" "$SRV" --port 80 --bind "$DST" \
	--control "$TMP/status" --log /dev/null --ready "$TMP/srv.ready" --timeout 1 2>"$TMP/srv.err" &
SRV_PID=$!
t_poll 5000 test -e "$TMP/srv.ready" || die "http_upstream.py did not start: $(cat "$TMP/srv.err")"

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
RAW="$TMP/raw.txt"
: >"$RAW"
log "$REPS rounds x rates {$RATES} Mpps x {$METHODS}, ${DUR}s each (about $((REPS * npoints * (DUR + 3) / 60 + 1)) min)"
for ((rep = 1; rep <= REPS; rep++)); do
	for r in $RATES; do
		for m in $METHODS; do
			run_point "$m" "$r" "$rep" || die "point $m/$r/$rep failed"
			log "  round $rep: $(tail -n1 "$RAW")"
		done
	done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
# Per method and rate: medians over rounds.
SUM="$TMP/summary.txt" # method rate offered_Mpps tps tps_min tps_max failed refused_% napi_% p50_ms p99_ms
: >"$SUM"
for m in $METHODS; do
	for r in $RATES; do
		sel() { awk -v m="$m" -v r="$r" "\$1 == m && \$2 == r {print $1}" "$RAW" | median; }
		range=$(awk -v m="$m" -v r="$r" '$1 == m && $2 == r {print $12}' "$RAW" | sort -g |
			awk 'NR == 1 {lo = $1} {hi = $1} END {print lo, hi}')
		echo "$m $r $(sel '($5 + $6) / $8') $(sel '$12') $range $(sel '$10') $(sel '($5 + $6) ? $6 / ($5 + $6) * 100 : 0')" \
			"$(sel '$7 / ($8 * 1e3) * 100') $(sel '$13 / 1e3') $(sel '$14 / 1e3')" >>"$SUM"
	done
done
# The offered rate at which tps falls to half of its no-attack figure: linear
# between the two points around it; ">X" when it never does up to X.
halving() { # method
	awk -v m="$1" '$1 == m {n++; x[n] = $3; y[n] = $4}
		END {if (!n) {print "nan"; exit}
			if (y[1] <= 0) {print "nan"; exit} # no transactions even without attack
			h = y[1] / 2
			for (i = 2; i <= n; i++) if (y[i] <= h) {
				xp = x[i - 1]; yp = y[i - 1]
				printf "%.2f", (yp == y[i]) ? x[i] : xp + (yp - h) * (x[i] - xp) / (yp - y[i]); exit}
			printf ">%.2f", x[n]}' "$SUM"
}
label() {
	case $1 in
	none) echo "no filter" ;;
	floodgate) echo "floodgate XDP" ;;
	nftables) echo "nftables netdev ingress" ;;
	*) echo "$1" ;;
	esac
}

echo "8. Legitimate traffic under attack: a client's short HTTP transactions (connect, GET,"
echo "   response, close; one at a time) to a real HTTP server behind the protected veth, while"
echo "   live frames flood it from random sources of 198.18.0.0/15 at increasing rates; limit"
echo "   $RATE/s burst $BURST per source, ${DUR}s of client traffic per point, medians of $REPS interleaved rounds"
echo
printf '   %-24s %8s %9s %9s %15s %7s %6s %8s %6s %8s %8s\n' "method" "rate" "offered" "tps" "(min-max)" \
	"vs no" "failed" "refused" "NAPI" "p50" "p99"
printf '   %-24s %8s %9s %9s %15s %7s %6s %8s %6s %8s %8s\n' "" "asked" "Mpps" "" "" "attack" "" "at ring" \
	"CPU" "ms" "ms"
for m in $METHODS; do
	awk -v l="$(label "$m")" -v m="$m" '$1 == m {if (!b) b = $4
		printf "   %-24s %8s %9.3f %9.0f %15s %6.0f%% %6.0f %7.1f%% %5.0f%% %8.2f %8.2f\n", l, $2, $3, $4,
			"(" $5 "-" $6 ")", b ? $4 / b * 100 : 0, $7, $8, $9, $10, $11}' "$SUM"
done
echo
echo "   The attack rate at which transactions per second halve against no attack:"
for m in $METHODS; do
	printf '     %-24s %s Mpps\n' "$(label "$m")" "$(halving "$m")"
done
echo
echo "   CPUs: $(nproc). The generator (bench_live) spins on CPU $GEN_CPU in every point (at rate 0 it"
echo "   sends nothing); the receiving veth's threaded-NAPI kthread, the client (bench_http) and the"
echo "   server (tests/tools/http_upstream.py, one Python thread) share CPU $RX_CPU, so the flood's"
echo "   receive work is taken from them: the figure is what the receiving host's one CPU left to"
echo "   its applications. The NAPI kthread runs $(case $NAPI_SCHED in fifo) echo "SCHED_FIFO (priority 1), as a NIC's softirq preempts tasks" ;;
	nice) echo "at nice -20" ;; *) echo "at normal priority" ;; esac)."
echo "   Load average (1, 5, 15 min) at the start: $LOAD0; at the end: $LOAD1."
echo "   rate asked: the generator's pacing (Mpps; max: unpaced; a call of $CHUNK frames, so"
echo "   its ~30 ms set-up is rare). offered: frames that reached the receiving veth (taken or"
echo "   refused) per second over the client's window, the client's own ones included (at most"
echo "   ~6 a transaction); below the rate asked when the generator does not get all of CPU $GEN_CPU."
echo "   tps: transactions completed per second (bench_http: a transaction given up after"
echo "   $TIMEOUT_MS ms counts as failed). refused at ring: frames (flood and client alike) that"
echo "   reached the veth while its ring (256) was full, of all that reached it, over the client's"
echo "   window. NAPI CPU: the kthread's run time over that window. p50 / p99: latency of the"
echo "   completed transactions."
echo "   Flood: random sources outside 198.18.0.0/24, a fresh draw per frame (131,072 addresses:"
echo "   at any rate below ~13 Mpps each source stays under $RATE/s), UDP to a port where nothing"
echo "   listens (the kernel answers some with ICMP, rate-limited). floodgate: 'floodgate attach',"
echo "   'limit set 198.18.0.0/15 $RATE/s --burst $BURST --new-sources $NEW' (new-source admission:"
echo "   unknown sources past the budget share one overflow bucket) and 'limit allow $HOSTS' (the"
echo "   client's). nftables: netdev ingress, 'ip saddr $HOSTS accept', then the per-source meter"
echo "   of section 7 (a dynamic set of 262144, 'limit rate over', drop): every flood source is"
echo "   below its limit, so nftables passes the flood. none: no filter."
echo "   Plot: ${PNG#"$ROOT"/}."
echo
echo "   Raw points: method rate round offered_pps veth_rx ring_refused napi_ns window_us ok"
echo "   failed timeouts tps p50_us p99_us filter_drops"
sed 's/^/     /' "$RAW"
echo "   (attack bench: $((SECONDS - START)) s)"

# ---------------------------------------------------------------- plot
{
	echo "set terminal pngcairo size 900,560 font 'sans,11'"
	echo "set output '$PNG'"
	echo "set title 'HTTP transactions per second under a random-source flood ($(nproc) CPUs, veth, live frames)'"
	echo "set xlabel 'attack rate offered (Mpps)'"
	echo "set ylabel 'transactions per second'"
	echo "set key top right box opaque"
	echo "set grid"
	echo "set yrange [0:*]"
	echo "set xrange [0:*]"
	printf 'plot '
	i=0
	for m in $METHODS; do
		awk -v m="$m" '$1 == m {print $3, $4, $5, $6}' "$SUM" >"$TMP/plot-$m.dat"
		[ $i -gt 0 ] && printf ', '
		printf "'%s' using 1:2:3:4 with yerrorlines lw 2 pt 7 title '%s (halves at %s Mpps)'" \
			"$TMP/plot-$m.dat" "$(label "$m")" "$(halving "$m")"
		i=$((i + 1))
	done
	echo
} >"$TMP/plot.gp"
gnuplot "$TMP/plot.gp" 2>"$TMP/gnuplot.err" || die "gnuplot failed: $(cat "$TMP/gnuplot.err")"
log "plot written to ${PNG#"$ROOT"/}"
