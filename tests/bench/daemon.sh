#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# floodgated under measurement: how fast a breaker opens after the failing
# response that crosses its threshold, and what the daemon costs with 1,000
# probed upstreams. Part of `make bench` (tests/bench/run.sh section 6);
# never part of `make test`.
#
#   client ns                 gateway ns (ip_forward=1)               upstream ns
#   $IF_C 198.18.1.2 ── veth ── $IF_GC 198.18.1.1 | $IF_GU 198.18.2.1 ── veth ── $IF_U 198.18.2.10
#                  floodgated (attaches both interfaces       http_upstream.py :80 (reaction)
#                  itself, control socket, textfile)          198.18.4.0/22 local route,
#                                                             one listener on *:8080 (scale)
#
# a. Reaction. floodgated as in tests/netns/test_daemon.sh (tick 100 ms,
#    consecutive_failures 5, passive outcomes only, reject reset) runs the
#    breaker of "web" (198.18.2.10:80, tests/tools/http_upstream.py). Each
#    trip, after a random pause of 0..1 tick (so trips fall at every phase of
#    the tick): web answers 503 (its control file), the client sends 5 GETs one
#    after the other through the gateway, and takes CLOCK_MONOTONIC right when
#    the 5th 503's status line arrives; the breaker's changed_ns in the
#    upstreams map (the daemon's CLOCK_MONOTONIC of the tick that opened it)
#    minus that time is the reaction. So neither polling nor process start-up
#    counts. (changed_ns is the tick's start: the map write follows it by the
#    tick's own work, microseconds with one upstream; the time until
#    `floodgate upstream list` shows open, polled every ~5 ms, is reported
#    too.) Then web answers 200 again and the breaker is closed through the
#    daemon (`floodgate upstream close web`, then `auto web`, with
#    FLOODGATE_SOCKET set to this daemon's socket), and the next trip starts.
#    A trip counts only when the client saw exactly 5 503s and the breaker
#    opened after the trip began.
# b. Scale. That daemon stops (SIGTERM; the datapath stays) and another
#    starts on the same pins with 1,000 upstreams, 198.18.4.1 .. 198.18.7.232
#    port 8080, TCP probes every 1 s (+-10% jitter, timeout 500 ms), tick
#    100 ms, textfile every 5 s (the sample config's values). The upstream
#    namespace owns 198.18.4.0/22 through a local route and one Python
#    listener on *:8080 accepts and closes every connection (and counts them:
#    the probes per second). After a warm-up, over a window of
#    FGBD_WINDOW_S s: the daemon's CPU, utime + stime from /proc/PID/stat (all
#    its threads), as % of one core; its peak RSS (VmHWM, /proc/PID/status:
#    the whole run, start-up included); voluntary context switches (wake-ups)
#    per second. No -v: as in production, no per-probe log line. Note: veth
#    has no NIC queue, so much of the kernel's work for a probe (the SYN's
#    delivery in the upstream namespace, its SYN-ACK and the gateway's own
#    receive, XDP and TC included) runs in softirq on the back of the
#    daemon's own connect() or close() and, with no IRQ time accounting in
#    this kernel, counts as the daemon's stime. The figure is an upper bound
#    of what a daemon on a real NIC pays.
#
# Output: "key value" lines on stdout (read by tests/bench/run.sh); progress
# on stderr. Knobs: FGBD_TRIPS (20), FGBD_UPSTREAMS (1000), FGBD_WINDOW_S (30),
# FGBD_WARMUP_S (5), FGBD_PERF=1 (a perf profile of the scale daemon over its
# window, top symbols to stderr; needs perf).
#
# Only 198.18.0.0/15 inside the three namespaces made here; names carry $$;
# the pin dir is /sys/fs/bpf/fgbd-$$; the daemon's socket, config, log and
# textfile are in a temp dir, and FLOODGATE_SOCKET points there (never at a
# system daemon). Every loop is bounded in count and time; the EXIT trap
# kills what was started here (by PID), detaches, removes the pins, deletes
# the namespaces and the temp dir, on failure too.
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/lib/proc.sh" # alive, stop_pid
. "$ROOT/tests/lib/gateway.sh"
FG=$ROOT/build/floodgate
FGD=$ROOT/build/floodgated
SRV=$ROOT/tests/tools/http_upstream.py
METER=$ROOT/tests/tools/breaker_meter.py # reaction: the trips, timed
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
TRIPS=${FGBD_TRIPS:-20}
NUPS=${FGBD_UPSTREAMS:-1000}
WINDOW_S=${FGBD_WINDOW_S:-30}
WARMUP_S=${FGBD_WARMUP_S:-5}
INLINE_RX=${FGBD_INLINE_RX:-0}
TICK_MS=100
NFAIL=5

TAG=fgbd$$
# Short interface names, so that the threaded-NAPI kthreads' names
# ("napi/IFNAME-ID", cut at 15 characters) still tell IF_GU's from IF_U's.
gw_names "$TAG" $$
PIN=/sys/fs/bpf/fgbd-$$
PORT=80
SCALE_NET=198.18.4.0/22 # upstream i (0-based) is 198.18.4.0 + i + 1
SCALE_PORT=8080
TMP="" SOCK="" DLOG=""
DPID="" SRV_PID="" LST_PID="" PERF_PID=""

log() { echo "daemon: $*" >&2; }
die() {
	log "$*"
	exit 1
}

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM HUP
	for p in "$PERF_PID" "$DPID" "$LST_PID" "$SRV_PID"; do
		[ -n "$p" ] && stop_pid "$p" "$([ "$p" = "$PERF_PID" ] && echo INT || echo TERM)"
	done
	gw_detach
	gw_teardown
	if [ -n "$TMP" ]; then
		if [ "$rc" != 0 ] && [ -f "$DLOG" ]; then
			log "--- floodgated log (last 30 lines) ---"
			tail -n 30 "$DLOG" | sed 's/^/  | /' >&2
		fi
		rm -rf -- "$TMP"
	fi
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

[ "$(id -u)" = 0 ] || die "needs root (BPF programs, network namespaces)"
for x in "$FG" "$FGD" "$SRV" "$METER" "$PY"; do
	[ -e "$x" ] || die "missing $x (run make)"
done
for x in ip nsenter bpftool jq ethtool timeout awk; do
	command -v "$x" >/dev/null || die "missing command: $x"
done
[[ "$TRIPS" =~ ^[0-9]+$ ]] && [ "$TRIPS" -ge 1 ] && [ "$TRIPS" -le 200 ] || die "FGBD_TRIPS must be 1..200"
[[ "$NUPS" =~ ^[0-9]+$ ]] && [ "$NUPS" -ge 1 ] && [ "$NUPS" -le 1000 ] || die "FGBD_UPSTREAMS must be 1..1000"
[[ "$WINDOW_S" =~ ^[0-9]+$ ]] && [ "$WINDOW_S" -ge 5 ] && [ "$WINDOW_S" -le 300 ] || die "FGBD_WINDOW_S must be 5..300"
[[ "$WARMUP_S" =~ ^[0-9]+$ ]] && [ "$WARMUP_S" -ge 2 ] && [ "$WARMUP_S" -le 60 ] || die "FGBD_WARMUP_S must be 2..60"

cns() { nsenter --net=/run/netns/"$NS_C" "$@"; }
fgate() { "$FG" "$@" --pin-dir "$PIN"; }

setup() {
	local x
	TMP=$(mktemp -d /tmp/fgbd.XXXXXX) || return 1
	SOCK=$TMP/floodgated.sock
	DLOG=$TMP/floodgated.log
	: >"$DLOG"
	mkdir -p "$TMP/textfile"
	# Whatever the environment says, no CLI call may reach a system daemon.
	export FLOODGATE_SOCKET=$SOCK
	gw_setup || return 1
	# The upstream's end receives in a NAPI kthread, as a NIC's receive runs
	# in softirq: not in the context of the daemon whose connect() sent the
	# SYN. (veth queues a frame for the peer's NAPI only when it is
	# GRO-eligible: no TSO on the sending end; GRO on the receiving end gives
	# it a NAPI instance. IF_GU follows once floodgate's XDP gives it NAPI.)
	if [ "$INLINE_RX" != 1 ]; then
		ip netns exec "$NS_G" ethtool -K "$IF_GU" tso off >/dev/null 2>&1 &&
			ip netns exec "$NS_U" ethtool -K "$IF_U" tso off gro on >/dev/null 2>&1 &&
			ip netns exec "$NS_U" sh -c "echo 1 > /sys/class/net/$IF_U/threaded" || return 1
	fi
	# The scale upstreams: the upstream namespace owns the whole /22 (AnyIP),
	# the gateway routes it there (one neighbour, not 1,000).
	ip -n "$NS_U" route add local "$SCALE_NET" dev lo && ip -n "$NS_G" route add "$SCALE_NET" via "$U4" ||
		return 1
	echo 200 >"$TMP/status.web"
	rm -f "$TMP/ready.web"
	# ip netns exec execs python, and no subshell stands between: $! is the server.
	ip netns exec "$NS_U" "$PY" "$SRV" --port "$PORT" --bind "$U4" --control "$TMP/status.web" \
		--log "$TMP/requests.web" --ready "$TMP/ready.web" >"$TMP/server.out" 2>&1 &
	SRV_PID=$!
	for ((x = 0; x < 100; x++)); do
		[ -e "$TMP/ready.web" ] && break
		sleep 0.05
	done
	[ -e "$TMP/ready.web" ] || { log "http_upstream did not start: $(cat "$TMP/server.out")"; return 1; }
	ip netns exec "$NS_C" ping -c 1 -W 2 -q "$U4" >/dev/null || { log "no route client -> upstream"; return 1; }
	return 0
}

# write_config reaction|scale FILE
write_config() {
	{
		echo "; tests/bench/daemon.sh: $1"
		gw_daemon_conf "${TICK_MS}ms" 3s 5s "$SOCK"
	} >"$2"
	if [ "$1" = reaction ]; then
		cat >>"$2" <<-EOF

			[defaults]
			reject = reset
			probe = none
			consecutive_failures = $NFAIL
			failure_rate = 0
			open_timeout = 30s
			open_jitter = 0

			[upstream web]
			address = $U4:$PORT
			group = web
		EOF
		return
	fi
	cat >>"$2" <<-EOF

		[defaults]
		reject = reset
		probe = ${FGBD_SCALE_PROBE:-tcp}
		interval = 1s
		timeout = 500ms
		jitter = 10%
	EOF
	awk -v n="$NUPS" -v port="$SCALE_PORT" 'BEGIN {
		for (i = 0; i < n; i++) {
			a = i + 1
			printf "\n[upstream s%04d]\naddress = 198.18.%d.%d:%d\n", i + 1, 4 + int(a / 256), a % 256, port
		}
	}' >>"$2"
}

# start_daemon CONF: floodgated in the gateway namespace (nsenter execs it:
# $! is the daemon); waits until it logs "running:".
start_daemon() {
	local from i
	from=$(wc -l <"$DLOG")
	nsenter --net=/run/netns/"$NS_G" "$FGD" -c "$1" >>"$DLOG" 2>&1 &
	DPID=$!
	for ((i = 0; i < 1000; i++)); do
		tail -n +"$((from + 1))" "$DLOG" | grep -q 'running:' && return 0
		alive "$DPID" || break
		sleep 0.01
	done
	log "floodgated did not start: $(tail -n +"$((from + 1))" "$DLOG" | tr '\n' ';')"
	return 1
}

# stats FILE FIELD: median min max p90 n of numeric FIELD=value in lines with ok=1.
stats() {
	awk -v f="$2" '/ ok=1 / { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$1" |
		sort -g | awk '{ a[NR] = $1 } END {
			if (!NR) { print "nan nan nan nan 0"; exit }
			med = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
			p = int(0.9 * NR + 0.999); if (p < 1) p = 1; if (p > NR) p = NR
			printf "%.1f %.1f %.1f %.1f %d\n", med, a[1], a[NR], a[p], NR }'
}

T0=$SECONDS
setup || die "could not build the three-namespace topology"

# --- a. reaction -------------------------------------------------------------
write_config reaction "$TMP/reaction.conf"
start_daemon "$TMP/reaction.conf" || die "floodgated (reaction) did not start"
log "a. reaction: $TRIPS trips of $NFAIL x 503 through the gateway, tick $TICK_MS ms"
FG=$FG FG_PIN=$PIN FG_STATUS=$TMP/status.web timeout $((TRIPS * 10 + 30)) \
	nsenter --net=/run/netns/"$NS_C" "$PY" "$METER" reaction "$TRIPS" "$NFAIL" "$U4" "$PORT" web \
	"$TICK_MS" "$TMP/trips.txt" || log "meter failed (exit $?)"
[ -s "$TMP/trips.txt" ] && sed 's/^/  /' "$TMP/trips.txt" >&2
read -r med mn mx p90 n <<<"$(stats "$TMP/trips.txt" react_ms)"
read -r smed smn smx _ _ <<<"$(stats "$TMP/trips.txt" seen_ms)"
echo "dr_tick_ms $TICK_MS"
echo "dr_nfail $NFAIL"
echo "dr_trips $TRIPS"
echo "dr_ok $n"
echo "dr_react_median_ms $med"
echo "dr_react_min_ms $mn"
echo "dr_react_max_ms $mx"
echo "dr_react_p90_ms $p90"
echo "dr_seen_median_ms $smed"
echo "dr_seen_min_ms $smn"
echo "dr_seen_max_ms $smx"
echo "dr_opens_logged $(grep -c 'upstream web: closed -> open (consecutive_failures' "$DLOG")"
stop_pid "$DPID"
DPID=""

# --- b. scale ----------------------------------------------------------------
# napi_pids IFNAME: PIDs of IFNAME's threaded-NAPI kthreads.
napi_pids() {
	local p c want="napi/$1-"
	want=${want:0:15}
	for p in /proc/[0-9]*; do
		{ read -r c <"$p/comm"; } 2>/dev/null || continue
		[ "${c:0:${#want}}" = "$want" ] && echo "${p#/proc/}"
	done
}
# napi_ns PID...: their run time, ns (/proc/PID/schedstat).
napi_ns() {
	local p s=0 t
	for p in "$@"; do
		{ read -r t _ <"/proc/$p/schedstat"; } 2>/dev/null || continue
		s=$((s + t))
	done
	echo "$s"
}
NAPI_GU="" NAPI_U=""
if [ "$INLINE_RX" != 1 ]; then
	# floodgate's XDP (still attached) gave IF_GU a NAPI instance: threaded too.
	ip netns exec "$NS_G" sh -c "echo 1 > /sys/class/net/$IF_GU/threaded" ||
		die "could not make $IF_GU's NAPI threaded"
	NAPI_GU=$(napi_pids "$IF_GU") NAPI_U=$(napi_pids "$IF_U")
	[ -n "$NAPI_GU" ] && [ -n "$NAPI_U" ] || die "no NAPI kthreads for $IF_GU / $IF_U"
fi
write_config scale "$TMP/scale.conf"
# The listener: accepts and closes on *:$SCALE_PORT, counts the connections
# into a file (ten times a second), at most 600 s. ($! is python: ip netns exec execs.)
ip netns exec "$NS_U" "$PY" -c '
import os, selectors, socket, sys, time
port, ready, count = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", port))
s.listen(4096)
s.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(s, selectors.EVENT_READ)
open(ready, "w").close()
n, end, nxt = 0, time.monotonic() + 600, 0
while time.monotonic() < end:
    for _ in sel.select(0.2):
        for _ in range(512):
            try:
                c, _ = s.accept()
            except BlockingIOError:
                break
            c.close()
            n += 1
    if time.monotonic() >= nxt:
        with open(count + ".new", "w") as f:
            f.write("%d %d\n" % (time.monotonic_ns(), n))
        os.replace(count + ".new", count)
        nxt = time.monotonic() + 0.1
' "$SCALE_PORT" "$TMP/lst.ready" "$TMP/lst.count" >"$TMP/lst.out" 2>&1 &
LST_PID=$!
for ((i = 0; i < 100; i++)); do
	[ -e "$TMP/lst.ready" ] && break
	sleep 0.05
done
[ -e "$TMP/lst.ready" ] || die "listener did not start: $(cat "$TMP/lst.out")"

log "b. scale: $NUPS upstreams, TCP probes every 1 s; warm-up $WARMUP_S s, window $WINDOW_S s"
T_START=$(date +%s%N)
start_daemon "$TMP/scale.conf" || die "floodgated (scale) did not start"
START_MS=$((($(date +%s%N) - T_START) / 1000000))
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/"$DPID"/stat; } # utime + stime (fields 14, 15)
utime() { awk '{ sub(/.*\) /, ""); print $12 }' /proc/"$DPID"/stat; }
status_kb() { awk -v k="$1:" '$1 == k { print $2 }' /proc/"$DPID"/status; }
accepts() { awk '{ print $2 }' "$TMP/lst.count" 2>/dev/null; }
sleep "$WARMUP_S"
alive "$DPID" || die "floodgated (scale) exited during the warm-up"
# shellcheck disable=SC2086
c0=$(cpu_ticks) u0=$(utime) a0=$(accepts) v0=$(status_kb voluntary_ctxt_switches)
g0=$(napi_ns $NAPI_GU) n0=$(napi_ns $NAPI_U)
w0=$(date +%s%N)
if [ "${FGBD_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
	perf record -q -g -p "$DPID" -o "$TMP/perf.data" >"$TMP/perf.out" 2>&1 &
	PERF_PID=$!
fi
sleep "$WINDOW_S"
# shellcheck disable=SC2086
c1=$(cpu_ticks) u1=$(utime) a1=$(accepts) v1=$(status_kb voluntary_ctxt_switches)
g1=$(napi_ns $NAPI_GU) n1=$(napi_ns $NAPI_U)
w1=$(date +%s%N)
alive "$DPID" || die "floodgated (scale) exited during the window"
HWM=$(status_kb VmHWM) RSS=$(status_kb VmRSS) THREADS=$(status_kb Threads)
if [ -n "$PERF_PID" ]; then
	stop_pid "$PERF_PID" INT
	PERF_PID=""
	perf report -i "$TMP/perf.data" ${FGBD_PERF_ARGS:---no-children} --sort dso,symbol --stdio 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -${FGBD_PERF_LINES:-25} | sed "s/^/  perf: /" >&2
fi
L=$(fgate upstream list --json 2>/dev/null)
closed=$(jq '[.upstreams[] | select(.state == "closed")] | length' <<<"$L" 2>/dev/null)
total=$(jq '.upstreams | length' <<<"$L" 2>/dev/null)
PROM=$TMP/textfile/floodgate.prom
pfail=$(awk '/^floodgate_probe_results_total\{.*result="fail"/ { s += $NF } END { print s + 0 }' "$PROM" 2>/dev/null)
ppass=$(awk '/^floodgate_probe_results_total\{.*result="pass"/ { s += $NF } END { print s + 0 }' "$PROM" 2>/dev/null)
stop_pid "$DPID"
DPID=""

el_ns=$((w1 - w0))
echo "ds_upstreams $NUPS"
echo "ds_inline_rx $INLINE_RX"
echo "ds_window_s $(awk -v e="$el_ns" 'BEGIN { printf "%.1f", e / 1e9 }')"
echo "ds_warmup_s $WARMUP_S"
echo "ds_start_ms $START_MS"
echo "ds_cpu_pct $(awk -v c=$((c1 - c0)) -v hz="$HZ" -v e="$el_ns" 'BEGIN { printf "%.2f", c / hz / (e / 1e9) * 100 }')"
echo "ds_cpu_user_pct $(awk -v c=$((u1 - u0)) -v hz="$HZ" -v e="$el_ns" 'BEGIN { printf "%.2f", c / hz / (e / 1e9) * 100 }')"
echo "ds_cpu_ms $(((c1 - c0) * 1000 / HZ))"
echo "ds_napi_gw_pct $(awk -v t=$((g1 - g0)) -v e="$el_ns" 'BEGIN { printf "%.2f", t / e * 100 }')"
echo "ds_napi_up_pct $(awk -v t=$((n1 - n0)) -v e="$el_ns" 'BEGIN { printf "%.2f", t / e * 100 }')"
echo "ds_hwm_kib $HWM"
echo "ds_rss_kib $RSS"
echo "ds_threads $THREADS"
echo "ds_wakeups_per_s $(awk -v v=$((v1 - v0)) -v e="$el_ns" 'BEGIN { printf "%.0f", v / (e / 1e9) }')"
echo "ds_probes_per_s $(awk -v a=$((${a1:-0} - ${a0:-0})) -v e="$el_ns" 'BEGIN { printf "%.0f", a / (e / 1e9) }')"
echo "ds_probe_pass_total $ppass"
echo "ds_probe_fail_total $pfail"
echo "ds_closed ${closed:-0}"
echo "ds_listed ${total:-0}"
echo "ds_elapsed_s $((SECONDS - T0))"
