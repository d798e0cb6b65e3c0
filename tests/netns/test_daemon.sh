#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# floodgated end to end: the daemon runs the breakers of real HTTP upstreams
# behind a forwarding gateway, from what the datapath sees and its probes.
#
#   client ns                 gateway ns (ip_forward=1)               upstream ns
#   $IF_C 198.18.1.2 ── veth ── $IF_GC 198.18.1.1 | $IF_GU 198.18.2.1 ── veth ── $IF_U 198.18.2.10 web
#                                                  |                               198.18.2.11 web2
#                  floodgated (attaches both interfaces itself, control       http_upstream.py :80
#                  socket, textfile) and node_exporter (198.18.1.1:$NE_PORT,  on each address
#                  textfile collector only)
#
# floodgated runs in the gateway namespace (nsenter: keeps the bpffs) with a
# config in a temp dir: tick 100 ms, stale_limit 1 s, open timeout 3 s with no
# jitter, 5 consecutive failures open, reject = reset. The client's veth runs
# an XDP_PASS program so floodgate's XDP_TX RSTs reach it (see
# test_breaker.sh). Times come from CLOCK_MONOTONIC on both sides: the
# datapath's heartbeat and the map's changed_ns, and the client's own clock
# (tests/tools/breaker_meter.py, run in the client namespace).
#
# Checks:
#  1. web answers 503: the breaker is open in `floodgate upstream list --json`
#     (polled every ~10 ms) within one tick + $MARGIN_MS of the 5th 503 a
#     client saw; clients are then refused at once (RST) and nothing reaches
#     web; half-open after the open timeout; with web healthy again, client
#     requests (half-open permits) close it. A second trip with web's server
#     stopped (connections refused) is timed the same way.
#  2. kill -9 of the daemon and a restart: the map says open at every poll
#     (and keeps the same changed_ns), clients stay refused, the new daemon
#     resumes the breaker and its open timeout from the map, then half-opens
#     and closes it.
#  4. SIGHUP with an edited config (web2 added, web's probe and threshold
#     changed, a [policy] added): web stays open, its map counters and the
#     daemon's own counters carry on; web2 starts closed; the policy is in.
#     Then web2's server stops answering ("down": accepts, closes): its HTTP
#     probes fail and the breaker opens.
#  6. control socket (socat): list, open web2 (forced), an error, auto web2;
#     the CLI's upstream auto/open with --socket go through the daemon too.
#  3. SIGSTOP: the daemon-opened web passes traffic again once the heartbeat
#     is stale_limit old (not before, and within a tick of it); the
#     forced-open web2 keeps refusing; SIGCONT makes the controller fresh.
#     SIGTERM: exit 0, socket removed, datapath still attached, and web fails
#     open stale_limit after the last heartbeat.
#  7. a daemon in a time namespace (its CLOCK_MONOTONIC a day ahead) still
#     writes a heartbeat the datapath sees as fresh.
#  5. textfile: `promtool check metrics` passes on floodgate.prom, and a real
#     node_exporter in the gateway namespace serves the floodgate metrics, and
#     a Prometheus server scraping it answers every query of the Grafana
#     dashboard (user/daemon/floodgate.dashboard.json) with samples.
#     Along the way (in 4 and 6), the textfile follows a transition, a force
#     and a reload within a tick, although textfile_interval is 60 s.
# The steps and what each needs: CHECKS at the bottom.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/proc.sh"
. "$HERE/../lib/gateway.sh"

TAG=fgdm$$
gw_names "$TAG"
PIN=/sys/fs/bpf/fgdm-$$
U4B=198.18.2.11 # web2, the upstream namespace's second address
PORT=80
NE_PORT=9100 # node_exporter, inside the gateway namespace only
PROM_PORT=9090 # a Prometheus server scraping it, for the dashboard's queries
DASH=${DASH:-$FG_ROOT/user/daemon/floodgate.dashboard.json}

TICK_MS=100
MARGIN_MS=50 # the open must show in the map within TICK_MS + MARGIN_MS
STALE_MS=1000
# open_timeout (open_jitter = 0). Long enough that a kill -9 and restart
# after the trip and a server restart (seconds under load) still leave the
# watch across it most of a second before half-open is due.
OPEN_MS=4000
NFAIL=5      # consecutive_failures
FAST_MS=50   # a refused connect fails faster than this
# textfile_interval: long, so that every textfile check below shows the
# rewrite that follows a transition, force or reload, not the periodic one
# (the first write is 1 s after the start; the next would be after the test).
TF_MS=60000

HB=$FG_TOOLS/breaker_heartbeat
# trip, until_ok, watch: timed clients, no fork per request (see its header).
METER=$FG_ROOT/tests/tools/breaker_meter.py
NE=/usr/bin/prometheus-node-exporter
TMP="" SOCK="" CONF="" DLOG=""
DPID="" SRV1_PID="" SRV2_PID="" NE_PID="" WATCH_PID="" PROM_PID=""

note() { echo "  $*" >&2; }
not() { ! "$@"; }
ms() { awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; } # ns -> ms


cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	gw_cleanup "$DPID" "$WATCH_PID" "$PROM_PID" "$NE_PID" "$SRV1_PID" "$SRV2_PID"
	return $rc
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
# nsenter keeps the root namespace's /sys (and so the bpffs) and is lighter
# than ip netns exec for the many short client commands.
cns() { nsenter --net=/run/netns/"$NS_C" "$@"; }
gns() { nsenter --net=/run/netns/"$NS_G" "$@"; }
fgw() { gns "$FG" "$@" --pin-dir "$PIN"; }
fgate() { "$FG" "$@" --pin-dir "$PIN"; }
ctl() { socat -t 2 - UNIX-CONNECT:"$SOCK" <<<"$1" 2>&1; }
meter() { cns "$PY" "$METER" "$@"; }

kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
# cget HOST: HTTP/1.0 GET from the client; prints the status (000: none).
cget() {
	cns curl -s -o /dev/null -w '%{http_code}' --http1.0 -H 'Connection: close' \
		--connect-timeout 2 --max-time 3 "http://$1:$PORT/"
}
cct() { cns "$CT" "$@" 2>&1; }
fast_refused() {
	[ "$(kv "$1" result)" = refused ] && [ "$(kv "$1" errno)" = ECONNREFUSED ] &&
		awk -v m="$(kv "$1" ms)" -v l="$FAST_MS" 'BEGIN { exit !(m < l) }'
}
ulist() { fgate upstream list --json 2>/dev/null; }
ufield() { jq -r --arg n "$2" --arg f "$3" '.upstreams[] | select(.name == $n) | .[$f]' <<<"$1"; }
ucount() { jq -r --arg n "$2" --arg c "$3" '.upstreams[] | select(.name == $n) | .counters[$c]' <<<"$1"; }
ustate() { ufield "$(ulist)" "$1" state; }
requests() { cat "$TMP/requests.$1" 2>/dev/null | wc -l | tr -d ' '; }
# CLOCK_MONOTONIC now, and the daemon's last heartbeat, from the config map.
mono_ns() { kv "$("$HB" "$PIN" show)" now_ns; }
hb_ns() { kv "$("$HB" "$PIN" show)" heartbeat_ns; }
# changed_ns NAME: when NAME's breaker last changed state, as the map says.
changed_ns() {
	bpftool -j map dump pinned "$PIN/upstreams" 2>/dev/null |
		jq -r --arg n "$1" '.[] | (.formatted.value // .value) | select(.name == $n) | .changed_ns'
}
# metric NAME LABELS: a sample's value from the textfile ('' if none).
metric() { grep -F "$1{$2}" "$TMP/textfile/floodgate.prom" 2>/dev/null | awk '{ print $NF }'; }
# metric_is NAME LABELS WANT: for t_poll; MSEEN: the value last seen.
metric_is() { MSEEN=$(metric "$1" "$2"); [ "$MSEEN" = "$3" ]; }
# ne_has REGEX: node_exporter's /metrics (NE_M) has a line matching REGEX.
ne_has() {
	NE_M=$(in_ns "$NS_G" curl -s --max-time 2 "http://$GC4:$NE_PORT/metrics")
	grep -q "$1" <<<"$NE_M"
}
# stopped PID: the kernel has stopped it (SIGSTOP delivered).
stopped() { [ "$(awk '{ print $3 }' /proc/"$1"/stat 2>/dev/null)" = T ]; }

# wait_state NAME WANT MAX_MS: poll until NAME is WANT (SEEN: states seen).
wait_state() {
	local name=$1 want=$2 i s end=$((${EPOCHREALTIME/./} + $3 * 1000))
	SEEN=""
	for ((i = 0; i < 1000; i++)); do
		s=$(ustate "$name")
		[[ " $SEEN " == *" $s "* ]] || SEEN="$SEEN $s"
		[ "$s" = "$want" ] && return 0
		[ "${EPOCHREALTIME/./}" -gt "$end" ] && return 1
		sleep 0.01
	done
	return 1
}
log_lines() { wc -l <"$DLOG" | tr -d ' '; }
log_since() { tail -n +"$(($1 + 1))" "$DLOG"; }

# diag WHAT: the datapath's view, for a failure's context (stderr).
diag() {
	note "diag ($1): $("$HB" "$PIN" show)"
	bpftool -j map dump pinned "$PIN/upstreams" 2>&1 | jq -c '.[] | .formatted.value // .value' 2>&1 | sed 's/^/    /' >&2
}

# write_config 1|2
write_config() {
	{
		echo "; test_daemon.sh: config $1"
		gw_daemon_conf "${TICK_MS}ms" "${STALE_MS}ms" "${TF_MS}ms" "$SOCK"
	} >"$CONF.new"
	cat >>"$CONF.new" <<-EOF
		[defaults]
		reject = reset
		probe = none
		consecutive_failures = $NFAIL
		failure_rate = 0
		open_timeout = ${OPEN_MS}ms
		open_jitter = 0
		backoff_factor = 2
		half_open_permits = 3
		successes_to_close = 2
		connect_timeout = 1s

		[upstream web]
		address = $U4:$PORT
		group = web
	EOF
	if [ "$1" = 2 ]; then
		cat >>"$CONF.new" <<-EOF
			; changed: web is probed now, and opens after 3 failures
			probe = http
			probe_path = /healthz
			interval = 200ms
			timeout = 150ms
			consecutive_failures = 3

			[upstream web2]
			address = $U4B:$PORT
			group = web2
			probe = http
			probe_path = /healthz
			interval = 100ms
			jitter = 0
			timeout = 80ms

			[policy 198.18.1.0/24]
			action = limit
			rate = 10k/s
			burst = 1000
		EOF
	fi
	mv -f "$CONF.new" "$CONF"
}

# start_server VAR ADDR NAME: NAME's HTTP upstream on ADDR:80 (tests/lib/gateway.sh).
start_server() { gw_http "$1" "$2" "$TMP/status.$3" "$TMP/requests.$3"; }

# spawn_daemon: floodgated in the gateway namespace. nsenter execs it (no
# fork without --pid), and no function or subshell stands between: $! is
# the daemon.
spawn_daemon() {
	nsenter --net=/run/netns/"$NS_G" "$FGD" -c "$CONF" -v >>"$DLOG" 2>&1 &
	DPID=$!
}
# daemon_running FROM_LINE: the daemon logged "running" after FROM_LINE.
daemon_running() { gw_daemon_running "$1"; }
start_daemon() {
	local from i
	from=$(log_lines)
	spawn_daemon
	for ((i = 0; i < 300; i++)); do
		daemon_running "$from" && return 0
		alive "$DPID" || break
		sleep 0.01
	done
	echo "floodgated did not start: $(log_since "$from")" >&2
	return 1
}

setup() {
	local x
	for x in "$FG" "$FGD" "$CT" "$HB" "$SRV" "$METER" "$PY" "$XDP_PASS_OBJ"; do
		[ -e "$x" ] || { echo "missing $x (run make)" >&2; return 1; }
	done
	for x in curl jq socat promtool "$NE" nsenter bpftool awk; do
		command -v "$x" >/dev/null || { echo "missing $x (make deps)" >&2; return 1; }
	done
	TMP=$(mktemp -d /tmp/fgdm.XXXXXX) || return 1
	SOCK=$TMP/floodgated.sock
	CONF=$TMP/floodgated.conf
	DLOG=$TMP/floodgated.log
	: >"$DLOG"
	mkdir -p "$TMP/textfile"
	export FG FG_PIN=$PIN
	# Whatever the environment says, no CLI call may reach a system daemon.
	export FLOODGATE_SOCKET=$SOCK
	gw_setup xdp-pass "$XDP_PASS_OBJ" && ip -n "$NS_U" addr add "$U4B/24" dev "$IF_U" || return 1
	echo 200 >"$TMP/status.web"
	echo 200 >"$TMP/status.web2"
	start_server SRV1_PID "$U4" web && start_server SRV2_PID "$U4B" web2 || return 1
	in_ns "$NS_C" ping -c 1 -W 2 -q "$U4" >/dev/null && in_ns "$NS_C" ping -c 1 -W 2 -q "$U4B" >/dev/null ||
		{ echo "no route client -> upstream" >&2; return 1; }
	# node_exporter: textfile collector only, on a gateway-namespace address.
	ip netns exec "$NS_G" "$NE" --collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$TMP/textfile" --web.disable-exporter-metrics \
		--web.listen-address="$GC4:$NE_PORT" >"$TMP/node_exporter.out" 2>&1 &
	NE_PID=$!
	write_config 1
}

# trip MODE NAME ADDR: NFAIL failing requests from the client, then poll
# until open. Sets TRIP_GOT, TRIP_MS (poll figure), TRIP_MAP_MS (from the
# map's changed_ns: the exact time of the write), TRIP_OPEN_NS.
trip() {
	local out
	out=$(meter trip "$1" "$NFAIL" "$3" "$PORT" "$2" open 2000)
	TRIP_GOT=$(kv "$out" got) TRIP_MS=$(kv "$out" ms)
	TRIP_OPEN_NS=$(changed_ns "$2")
	TRIP_MAP_MS=$(ms $((TRIP_OPEN_NS - $(kv "$out" last_ns))))
	TRIP_POLL=$(kv "$out" max_gap_ms)
	note "trip ($1, $2): client saw $TRIP_GOT; open in the list $TRIP_MS ms after the last (polls up to ${TRIP_POLL} ms apart); the map entry was written $TRIP_MAP_MS ms after it"
}
trip_ok() { # WANT-GOT
	[ "$TRIP_GOT" = "$1" ] && [ "$TRIP_MS" != never ] &&
		awk -v m="$TRIP_MS" -v l=$((TICK_MS + MARGIN_MS)) 'BEGIN { exit !(m < l) }'
}
# ensure_open NAME ADDR: client GETs (web answers 503) until open, up to 2 s.
open_or_get() {
	OSEEN=$(ustate "$1")
	[ "$OSEEN" = open ] && return 0
	cget "$2" >/dev/null
	return 1
}
ensure_open() {
	t_poll 2000 open_or_get "$1" "$2" && return 0
	note "ensure_open $1: still $OSEEN after $POLL_MS ms of GETs"
	return 1
}

# start_watch NAME UNTIL_NS: the meter's watch in the background, polling
# already when this returns (UNTIL_NS bounds it; end_watch stops it).
start_watch() {
	local i
	rm -f "$TMP/watch.ready" "$TMP/watch.stop"
	"$PY" "$METER" watch "$1" "$2" "$TMP/watch.ready" "$TMP/watch.stop" >"$TMP/watch" &
	WATCH_PID=$!
	for ((i = 0; i < 200; i++)); do
		[ -e "$TMP/watch.ready" ] && return 0
		alive "$WATCH_PID" || return 1
		sleep 0.01
	done
	return 1
}
# end_watch T_NS: stop the watch 300 ms from now; W: its line; COVER_MS:
# how long after T_NS (CLOCK_MONOTONIC) it watched.
end_watch() {
	sleep 0.3
	touch "$TMP/watch.stop"
	wait "$WATCH_PID"
	WATCH_PID=""
	W=$(cat "$TMP/watch")
	COVER_MS=$(ms $(($(kv "$W" end_ns) - ${1:-$(kv "$W" end_ns)})))
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T_START=$SECONDS
FIVE=$(printf '503,%.0s' $(seq $NFAIL))
FIVE=${FIVE%,}
FIVE_REFUSED=$(printf 'refused,%.0s' $(seq $NFAIL))
FIVE_REFUSED=${FIVE_REFUSED%,}
# Figures for the last note, from the steps that ran.
F_TRIP1="" F_TRIP2="" F_TRIP3="" F_HALF1="" F_HALF2="" F_RESTART="" F_STALE="" F_EXIT=""

reloaded() { log_since "$from" | grep -q 'config reloaded'; }
fresh() { STALE_SEEN=$(jq -r .controller_stale <<<"$(ulist)"); [ "$STALE_SEEN" = false ]; }

# half_open_then_closed OPEN_NS MAX_MS HALF CLOSED: web (answering 200
# again) half-opens within MAX_MS, open_timeout .. a tick + MARGIN_MS after
# OPEN_NS (HO_MS: when), reported as check HALF; then two client GETs close
# it, reported as check CLOSED.
half_open_then_closed() {
	wait_state web half-open "$2"
	HO_MS=$(ms $(($(changed_ns web) - $1)))
	note "half-open $HO_MS ms after the breaker opened (open_timeout $OPEN_MS ms; states:$SEEN)"
	{ [ "$(ustate web)" = half-open ] && [ "$HO_MS" -ge "$OPEN_MS" ] && [ "$HO_MS" -le $((OPEN_MS + TICK_MS + MARGIN_MS)) ]; }
	t_is $? "$3" "states:$SEEN; half-open $HO_MS ms after open (want $OPEN_MS .. $((OPEN_MS + TICK_MS + MARGIN_MS)))"
	got="$(cget "$U4") $(cget "$U4")"
	wait_state web closed 1000
	note "half-open: client GETs $got; then states:$SEEN"
	{ [ "$got" = "200 200" ] && [ "$(ustate web)" = closed ]; }
	t_is $? "$4" "GETs in half-open: $got (want 200 200); states:$SEEN (want closed)"
}

# passes_after HB_NS: client connects to web (the meter's until_ok, 3 s at
# most) until one passes; AGE: ms after HB_NS (never: none did), out: the
# meter's line. fails_open_on_time: AGE is stale_limit .. a tick past it.
passes_after() {
	local ok_ns
	out=$(meter until_ok "$U4" "$PORT" 3000)
	ok_ns=$(kv "$out" ok_ns)
	AGE=$([ "$ok_ns" != 0 ] && ms $((ok_ns - $1)) || echo never)
}
fails_open_on_time() { [ "$AGE" != never ] && [ "$AGE" -ge "$STALE_MS" ] && [ "$AGE" -le $((STALE_MS + TICK_MS)) ]; }

setup_topology() {
	if ! setup; then
		t_fail setup "could not build the topology"
		t_exit
	fi
}

# Start: the daemon attaches both interfaces itself.
setup_daemon() {
	if start_daemon; then
		t_ok daemon_starts
	else
		t_fail daemon_starts "see the log"
		t_exit
	fi
	x=0
	for l in "link_xdp_$IF_GC" "link_xdp_$IF_GU" "link_tcx_in_$IF_GU" "link_tcx_eg_$IF_GU"; do
		[ -e "$PIN/$l" ] && x=$((x + 1))
	done
	L=$(ulist)
	t_check daemon_attached_and_configured "links pinned: $x/4; upstreams: $(jq -c '[.upstreams[] | {name, state}]' <<<"$L"), stale $(jq -r .controller_stale <<<"$L")" \
		[ "$x" = 4 -a "$(ufield "$L" web state)" = closed -a "$(jq -r .controller_stale <<<"$L")" = false ]
}

check_closed_passes() {
	c=$(cget "$U4")
	t_check closed_passes "GET web: $c (want 200)" [ "$c" = 200 ]
}

# 1. web answers 503: open within one tick of the threshold.
check_open_on_503() {
	echo 503 >"$TMP/status.web"
	U0=$(ulist) REQ0=$(requests web)
	trip http web "$U4"
	OPEN1_NS=$TRIP_OPEN_NS
	F_TRIP1="$TRIP_MS ms (map write $TRIP_MAP_MS ms)"
	trip_ok "$FIVE"
	t_is $? open_on_503_within_tick "client saw $TRIP_GOT (want $FIVE); open in the list after $TRIP_MS ms (want < $((TICK_MS + MARGIN_MS))), map write after $TRIP_MAP_MS ms"
	REQ1=$(requests web)
	r=$(cct "$U4" "$PORT")
	L=$(ulist)
	note "open: client connect: $r"
	t_check open_refuses_fast "client connect to web: $r (want refused < $FAST_MS ms)" fast_refused "$r"
	d=$(($(ucount "$L" web resets_sent) - $(ucount "$U0" web resets_sent)))
	t_check open_nothing_reaches_upstream "requests at web: $((REQ1 - REQ0)) while closed (want $NFAIL), +$(($(requests web) - REQ1)) while open (want 0); floodgate resets +$d (want 1)" \
		[ $((REQ1 - REQ0)) = "$NFAIL" -a "$(requests web)" = "$REQ1" -a "$d" = 1 ]
	t_check open_not_forced "forced=$(ufield "$L" web forced) (want false: the daemon opened it)" [ "$(ufield "$L" web forced)" = false ]
}

# Healthy again: half-open after the open timeout, closed after client successes.
check_half_open() {
	echo 200 >"$TMP/status.web"
	half_open_then_closed "$OPEN1_NS" $((OPEN_MS + 1000)) half_open_after_open_timeout closes_when_healthy
	F_HALF1=$HO_MS
}

# 1b. web's server is down: connections refused.
check_open_on_refused() {
	stop_pid "$SRV1_PID"
	SRV1_PID=""
	U0=$(ulist)
	trip connect web "$U4"
	OPEN2_NS=$TRIP_OPEN_NS
	F_TRIP2="$TRIP_MS ms (map write $TRIP_MAP_MS ms)"
	L=$(ulist)
	rst=$(($(ucount "$L" web rst) - $(ucount "$U0" web rst)))
	rs=$(($(ucount "$L" web resets_sent) - $(ucount "$U0" web resets_sent)))
	trip_ok "$FIVE_REFUSED" && [ "$rst" = "$NFAIL" -a "$rs" = 0 ]
	t_is $? open_on_refused_within_tick "client saw $TRIP_GOT; refused by web's stack $rst (want $NFAIL), by floodgate $rs (want 0); open in the list after $TRIP_MS ms (want < $((TICK_MS + MARGIN_MS))), map write after $TRIP_MAP_MS ms"
	# The server comes back (healthy); the breaker stays open until its timeout.
	start_server SRV1_PID "$U4" web || t_fail server_restart "http_upstream did not come back"
}

# 2. kill -9 and restart: the open breaker stays open.
check_restart() {
	# Watch the map (~10 ms polls) from before the kill until 300 ms after the
	# restart (at most until 200 ms before the open timeout ends).
	start_watch web $((OPEN2_NS + (OPEN_MS - 200) * 1000000))
	from=$(log_lines)
	T_KILL=$(mono_ns)
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	# What a daemon killed mid-write leaves: the next one sweeps it (checked in 5).
	: >"$TMP/textfile/.floodgate.prom.K9left"
	spawn_daemon
	RESTART_MS="" T_UP=""
	if t_poll 3000 daemon_running "$from"; then
		T_UP=$(mono_ns)
		RESTART_MS=$(ms $((T_UP - T_KILL)))
	fi
	F_RESTART=$RESTART_MS
	REQ0=$(requests web)
	r=$(cct "$U4" "$PORT")
	c2=$(changed_ns web)
	x=$("$HB" "$PIN" show)
	hb_age=$(ms $(($(kv "$x" now_ns) - $(kv "$x" heartbeat_ns))))
	note "kill -9 + restart: running again after ${RESTART_MS:-never} ms; then client connect: $r; heartbeat age $hb_age ms"
	{ [ -n "$RESTART_MS" ] && [ "$RESTART_MS" -lt "$STALE_MS" ]; }
	t_is $? restart_runs "daemon running again ${RESTART_MS:-never} ms after kill -9 (want < $STALE_MS ms)"
	{ fast_refused "$r" && [ "$(requests web)" = "$REQ0" ]; }
	t_is $? restart_still_refuses "client connect: $r (want refused < $FAST_MS ms), requests at web +$(($(requests web) - REQ0)) (want 0)"
	end_watch "${T_UP:-}"
	w=$W cover=$COVER_MS
	note "web in the map across kill -9 and restart: $w, watched until $cover ms after the restart; changed_ns $([ "$c2" = "$OPEN2_NS" ] && echo unchanged || echo "changed ($OPEN2_NS -> $c2)")"
	{ [ "$(kv "$w" states)" = open ] && [ "$cover" -ge 100 ] && [ "$c2" = "$OPEN2_NS" ]; }
	t_is $? restart_keeps_open "map across kill -9 and restart: $w (want only open), watched until $cover ms after the restart (want >= 100); changed_ns $OPEN2_NS -> $c2 (want the same)"
	t_check restart_resumes_from_map "log: $(log_since "$from" | grep -m1 'upstream web' || echo none)" \
		grep -q 'upstream web: resuming open from the map' <(log_since "$from")
	# The new daemon took the open timeout over from the map: wait until a
	# second past when it is due, counted from the open, not from now.
	half_open_then_closed "$OPEN2_NS" $((OPEN_MS + 1000 - $(ms $(($(mono_ns) - OPEN2_NS))))) \
		restart_half_open_on_time restart_closes_when_healthy
	F_HALF2=$HO_MS
}

# 4. SIGHUP with an edited config keeps web's state.
check_reload() {
	echo 503 >"$TMP/status.web"
	trip http web "$U4"
	OPEN3_NS=$TRIP_OPEN_NS
	F_TRIP3="$TRIP_MS ms (map write $TRIP_MAP_MS ms)"
	trip_ok "$FIVE"
	t_is $? open_on_503_again "client saw $TRIP_GOT; open in the list after $TRIP_MS ms (want < $((TICK_MS + MARGIN_MS)))"
	# The textfile follows the transition within a tick (not the 10 s interval).
	t_poll $((TICK_MS + MARGIN_MS)) metric_is floodgate_breaker_state 'upstream="web",group="web"' 1
	t_is $? textfile_follows_transition "floodgate_breaker_state{web} in the textfile: '${MSEEN}' after $POLL_MS ms (want 1 within $((TICK_MS + MARGIN_MS)) ms of the open being listed; textfile_interval $TF_MS ms)"
	TR='upstream="web",from="closed",to="open",reason="consecutive_failures"'
	TR_BEFORE=$(metric floodgate_breaker_transitions_total "$TR")
	U0=$(ulist)
	write_config 2
	start_watch web $((OPEN3_NS + (OPEN_MS - 200) * 1000000))
	from=$(log_lines)
	kill -HUP "$DPID"
	T_RELOADED=""
	t_poll 2000 reloaded && T_RELOADED=$(mono_ns)
	c3=$(changed_ns web)
	RELOAD=$(log_since "$from" | grep -E 'reload|SIGHUP' | tr '\n' ';')
	end_watch "$T_RELOADED"
	w=$W cover=$COVER_MS
	# At once (web must still be open): a client connect, counters around it.
	L=$(ulist)
	r=$(cct "$U4" "$PORT")
	L2=$(ulist)
	note "SIGHUP: web in the map: $w, watched until $cover ms after the reload; upstreams now $(jq -c '[.upstreams[] | {name, state, forced}]' <<<"$L")"
	t_check reload_done "log: $RELOAD" grep -q 'config reloaded' <<<"$RELOAD"
	{ [ "$(kv "$w" states)" = open ] && [ "$cover" -ge 100 ] && [ "$c3" = "$OPEN3_NS" ]; }
	t_is $? reload_keeps_open "web in the map across the reload: $w (want only open), watched until $cover ms after it (want >= 100); changed_ns $OPEN3_NS -> $c3 (want the same)"
	t_check reload_carries_web "log about web after SIGHUP: $(log_since "$from" | grep 'upstream web[: ]' | tr '\n' ';') (want no add, remove or resume)" \
		not grep -q -E 'upstream web (added|removed)|upstream web: resuming' <(log_since "$from")
	t_check reload_adds_web2 "web2: $(ufield "$L" web2 state) (want closed)" [ "$(ufield "$L" web2 state)" = closed ]
	pol=$(fgate limit list --json 2>&1)
	t_check reload_adds_policy "policy map: $(jq -c . <<<"$pol" 2>/dev/null || echo "$pol")" grep -q '198.18.1.0/24' <<<"$pol"
	back=""
	for k in syn syn_ack http_5xx rejected resets_sent; do
		[ "$(ucount "$L" web "$k")" -ge "$(ucount "$U0" web "$k")" ] || back="$back $k"
	done
	rj=$(($(ucount "$L2" web rejected) - $(ucount "$L" web rejected)))
	{ [ -z "$back" ] && fast_refused "$r" && [ "$rj" = 1 ]; } || {
		diag reload_map_counters_continue
		note "counters before/after the connect: $(jq -c '.upstreams[] | select(.name == "web") | .counters' <<<"$L") $(jq -c '.upstreams[] | select(.name == "web") | .counters' <<<"$L2")"
		false
	}
	t_is $? reload_map_counters_continue "web counters that went back:${back:- none}; a connect after the reload: $r, rejected +$rj (want refused, +1); web was $(ufield "$L2" web state)"
	t_poll 1000 metric_is floodgate_breaker_state 'upstream="web2",group="web2"' 0
	t_is $? textfile_follows_reload "floodgate_breaker_state{web2} in the textfile: '${MSEEN}' after $POLL_MS ms (want 0 within 1 s of the reload; textfile_interval $TF_MS ms)"
	TR_AFTER=$(metric floodgate_breaker_transitions_total "$TR")
	{ [ -n "$TR_BEFORE" ] && [ "$TR_BEFORE" = "$TR_AFTER" ] && [ "$TR_BEFORE" -ge 1 ]; }
	t_is $? reload_daemon_counters_continue "floodgate_breaker_transitions_total{$TR}: ${TR_BEFORE:-none} before, ${TR_AFTER:-none} after (want the same, >= 1)"
}

check_down() {
	# web2 "down": its server accepts and closes without answering. Only the
	# probes can tell (the datapath sees connections accepted, no status).
	U0=$(ulist)
	echo down >"$TMP/status.web2"
	wait_state web2 open 3000
	L=$(ulist)
	dsyn=$(($(ucount "$L" web2 syn) - $(ucount "$U0" web2 syn)))
	dack=$(($(ucount "$L" web2 syn_ack) - $(ucount "$U0" web2 syn_ack)))
	note "web2 down: states:$SEEN; probes: $(grep -F 'floodgate_probe_results_total{upstream="web2"' "$TMP/textfile/floodgate.prom" | tr '\n' ' ')"
	note "web2 down: the datapath counted syn +$dsyn, syn_ack +$dack (no client sent any: the probes' own connections)"
	t_check down_opens_on_probes "web2 (HTTP probes every 100 ms, $NFAIL failures open) states within 3 s:$SEEN (want open); the datapath counted the probes' own connections as passive outcomes: syn +$dsyn syn_ack +$dack (each SYN-ACK a success that resets the failure count)" \
		[ "$(ufield "$L" web2 state)" = open ]
	echo 200 >"$TMP/status.web2"
	wait_state web2 closed 5000
	t_check down_recovers "web2 after its server answers again, states within 5 s:$SEEN (want closed)" \
		[ "$(ustate web2)" = closed ]
}

# 6. The control socket.
check_ctl() {
	out=$(ctl list)
	t_check ctl_list "socat list: $(tr '\n' ';' <<<"$out")" grep -q '^web2 closed auto' <<<"$out"
	out=$(ctl "open web2")
	L=$(ulist)
	t_check ctl_open "socat 'open web2': $out; map: $(ufield "$L" web2 state) forced=$(ufield "$L" web2 forced)" \
		[ "$out" = "ok web2 open forced" -a "$(ufield "$L" web2 state)" = open -a "$(ufield "$L" web2 forced)" = true ]
	t_poll $((TICK_MS + MARGIN_MS)) metric_is floodgate_breaker_forced 'upstream="web2"' 1
	t_is $? textfile_follows_force "floodgate_breaker_forced{web2} in the textfile: '${MSEEN}' after $POLL_MS ms (want 1 within $((TICK_MS + MARGIN_MS)) ms of the reply; textfile_interval $TF_MS ms)"
	out=$(ctl "open nosuch")
	t_check ctl_error "socat 'open nosuch': $out (want an error line)" grep -q '^error ' <<<"$out"
	r=$(cct "$U4B" "$PORT")
	t_check ctl_open_refuses "client connect to web2: $r (want refused < $FAST_MS ms)" fast_refused "$r"
	# The CLI takes the same way with --socket: auto, then open again.
	o1=$(fgate upstream auto web2 --socket "$SOCK" 2>&1)
	s1=$(ustate web2)
	o2=$(fgate upstream open web2 --socket "$SOCK" --json 2>&1)
	L=$(ulist)
	{ [[ "$o1" == *"via floodgated"* ]] && [ "$s1" = closed ] &&
		jq -e '.name == "web2" and .state == "open" and .forced == true and .via == "floodgated"' <<<"$o2" >/dev/null &&
		[ "$(ufield "$L" web2 state)" = open ] && [ "$(ufield "$L" web2 forced)" = true ]; }
	t_is $? cli_via_socket "floodgate upstream auto web2 --socket: '$o1' -> $s1; open web2 --json: '$o2' -> $(ufield "$L" web2 state) forced=$(ufield "$L" web2 forced) (want via floodgated, closed, open forced)"
}

# 3. A stopped daemon: fail open after stale_limit; forced holds.
check_stale() {
	echo 503 >"$TMP/status.web"
	ensure_open web "$U4"
	t_check stale_setup_web_open "web: $(ustate web) (want open, by the daemon)" [ "$(ustate web)" = open ]
	kill -STOP "$DPID"
	# Once the kernel says stopped, no heartbeat can follow the one read here.
	t_poll 2000 stopped "$DPID" || note "floodgated not stopped after $POLL_MS ms: $(cat /proc/"$DPID"/stat 2>&1)"
	passes_after "$(hb_ns)"
	F_STALE=$AGE
	note "SIGSTOP: web passed again $AGE ms after the last heartbeat (stale_limit $STALE_MS ms); $out"
	fails_open_on_time
	t_is $? stale_fails_open "web passes $AGE ms after the last heartbeat (want $STALE_MS .. $((STALE_MS + TICK_MS)))"
	{ [ "$(kv "$out" slow_refusals)" = 0 ] && [ "$(kv "$out" other)" = none ]; }
	t_is $? stale_refused_until_then "attempts before: $out (want all refused fast)"
	r=$(cct "$U4B" "$PORT")
	L=$(ulist)
	t_check stale_forced_holds "web2 (forced open) while stale: $r (want refused < $FAST_MS ms)" fast_refused "$r"
	t_check stale_listed "controller_stale=$(jq -r .controller_stale <<<"$L"), web effective_closed=$(ufield "$L" web effective_closed), web2=$(ufield "$L" web2 effective_closed)" \
		[ "$(jq -r .controller_stale <<<"$L")" = true -a "$(ufield "$L" web effective_closed)" = true -a "$(ufield "$L" web2 effective_closed)" = false ]
	kill -CONT "$DPID"
	t_poll 1000 fresh
	t_is $? sigcont_fresh "controller_stale '$STALE_SEEN' $POLL_MS ms after SIGCONT (want false within 1 s)"
	out=$(ctl "auto web2")
	c=$(cget "$U4B")
	t_check ctl_auto "socat 'auto web2': $out; web2 $(ustate web2); GET web2: $c (want ok ... auto, closed, 200)" \
		[ "${out%% *}" = ok -a "$(ustate web2)" = closed -a "$c" = 200 ]
}

# 5. The textfile, and promtool on it.
check_textfile() {
	PROM=$TMP/textfile/floodgate.prom
	out=$(promtool check metrics <"$PROM" 2>&1)
	prc=$?
	{ [ "$prc" = 0 ] && [ -z "$out" ]; }
	t_is $? textfile_promtool "promtool check metrics (exit $prc): ${out:-clean}"
	t_check textfile_written "textfile dir: $(ls -A "$TMP/textfile" | tr '\n' ' ')" [ -s "$PROM" ]
	# The temp file of the daemon killed with -9 was swept by the next one; the
	# running daemon's own (.floodgate.prom.XXXXXX) exist only during a write.
	left=$(ls -A "$TMP/textfile" | grep -v -x -e floodgate.prom -e '\.floodgate\.prom\.[A-Za-z0-9]\{6\}' | tr '\n' ' ')
	{ [ ! -e "$TMP/textfile/.floodgate.prom.K9left" ] && [ -z "$left" ]; }
	t_is $? textfile_no_stale_temp "textfile dir: $(ls -A "$TMP/textfile" | tr '\n' ' ') (want no .floodgate.prom.K9left: the killed daemon's temp is swept); log: $(grep -m1 'temp file' "$DLOG")"
}

# node_exporter reads the textfile at each scrape; it may still be starting.
check_node_exporter() {
	t_poll 5000 ne_has '^floodgate_breaker_state{group="web",upstream="web"} [012]$'
	t_is $? node_exporter_serves "node_exporter /metrics after $POLL_MS ms: '$(grep '^floodgate_breaker_state{.*upstream="web"' <<<"$NE_M" || echo "no floodgate_breaker_state for web; $(wc -l <<<"$NE_M") lines")'"
	note "node_exporter: $(grep -c '^floodgate_' <<<"$NE_M") floodgate samples"
	# web2 was handed back (auto, closed) above: the scrape shows it once the
	# textfile that followed has been written.
	t_poll 2000 ne_has '^floodgate_breaker_state{group="web2",upstream="web2"} 0$'
	t_is $? node_exporter_web2 "web2 in node_exporter's metrics after $POLL_MS ms: '$(grep '^floodgate_breaker_state{.*upstream="web2"' <<<"$NE_M")' (want 0)"
	t_poll 2000 ne_has '^node_textfile_scrape_error 0$'
	t_is $? node_exporter_textfile_ok "$(grep '^node_textfile_scrape_error' <<<"$NE_M") after $POLL_MS ms (want 0)"
}

# The dashboard's queries as Prometheus takes them: Grafana's variables
# filled in ($instance: every instance; $__rate_interval: 5 s, five scrapes)
# and its label_values(M, L) as the PromQL that lists those values.
dash_queries() {
	jq -r '[.. | objects | (.expr?, .definition?) | strings] | unique | .[]' "$DASH" |
		sed -e 's/\$instance/.+/g' -e 's/\$__rate_interval/5s/g' \
			-e 's/^label_values(\([^,]*\), *\([^)]*\))$/group by (\2) (\1)/'
}
# dash_answered: every query returns samples; DASH_EMPTY lists those that do not.
dash_answered() {
	local q r
	DASH_EMPTY=""
	while IFS= read -r q; do
		r=$(in_ns "$NS_G" curl -s --max-time 2 --data-urlencode "query=$q" \
			"http://$GC4:$PROM_PORT/api/v1/query" | jq -r 'if .status == "success" then (.data.result | length) else "error: \(.error)" end' 2>&1)
		[[ "$r" =~ ^[1-9][0-9]*$ ]] || DASH_EMPTY+="[$q -> ${r:-no answer}] "
	done < <(dash_queries)
	[ -z "$DASH_EMPTY" ]
}

# The dashboard against a real Prometheus scraping node_exporter each
# second: every panel's query is answered with data from this daemon.
check_dashboard_live() {
	cat >"$TMP/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		  evaluation_interval: 1s
		scrape_configs:
		  - job_name: floodgate
		    static_configs:
		      - targets: ['$GC4:$NE_PORT']
	EOF
	in_ns "$NS_G" prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prometheus" \
		--web.listen-address="$GC4:$PROM_PORT" >"$TMP/prometheus.out" 2>&1 &
	PROM_PID=$!
	t_poll 20000 dash_answered
	t_is $? dashboard_queries_answered "after $POLL_MS ms, $(dash_queries | wc -l) queries; without samples: $DASH_EMPTY (prometheus: $(tail -n 2 "$TMP/prometheus.out" | tr '\n' ' '))"
	stop_pid "$PROM_PID"
	PROM_PID=""
}

# 3b. SIGTERM exits cleanly; the datapath stays; stale fails open.
check_sigterm() {
	ensure_open web "$U4"
	st=$(ustate web)
	T_TERM=$(mono_ns)
	kill -TERM "$DPID"
	t_poll 2000 gone "$DPID"
	wait "$DPID"
	rc=$?
	DPID=""
	TERM_MS=$(ms $(($(mono_ns) - T_TERM)))
	xdp=$(ip -n "$NS_G" link show | grep -c 'prog/xdp')
	{ [ "$rc" = 0 ] && [ ! -e "$SOCK" ] && [ "$xdp" = 2 ]; }
	t_is $? sigterm_clean_exit "exit status $rc after $TERM_MS ms (want 0); socket left: $([ -e "$SOCK" ] && echo yes || echo no) (want no); XDP on $xdp interfaces (want 2: stays attached)"
	passes_after "$(hb_ns)"
	F_EXIT=$AGE
	note "after SIGTERM: web ($st) passes again $AGE ms after the last heartbeat; $out"
	{ [ "$st" = open ] && fails_open_on_time; }
	t_is $? exit_fails_open "web $st at exit; passes $AGE ms after the last heartbeat (want $STALE_MS .. $((STALE_MS + TICK_MS)))"
}

# 7. A daemon in a time namespace: the datapath still sees it fresh. Its
# CLOCK_MONOTONIC runs a day ahead; the heartbeat it writes must be the
# kernel's clock (that of bpf_ktime_get_ns), or its breakers never count.
check_timens() {
	stop_pid "$DPID" # one daemon at a time (none runs here after check_sigterm)
	DPID=""
	from=$(log_lines)
	nsenter --net=/run/netns/"$NS_G" unshare --time --monotonic 86400 "$FGD" -c "$CONF" -v >>"$DLOG" 2>&1 &
	DPID=$!
	t_poll 3000 daemon_running "$from"
	timens=$(cat /proc/"$DPID"/timens_offsets 2>/dev/null | awk '$1 == "monotonic" { print $2 }')
	t_poll 1000 fresh
	x=$("$HB" "$PIN" show)
	hb_age=$(ms $(($(kv "$x" now_ns) - $(kv "$x" heartbeat_ns))))
	{ [ "$timens" = 86400 ] && [ "$STALE_SEEN" = false ] && [ "$hb_age" -ge 0 ] && [ "$hb_age" -lt "$STALE_MS" ]; }
	t_is $? timens_daemon_fresh "daemon's monotonic offset ${timens:-?} s (want 86400); controller_stale '$STALE_SEEN' (want false); heartbeat age $hb_age ms by the kernel's clock (want 0 .. $STALE_MS)"
	stop_pid "$DPID"
	DPID=""

	note "figures: trip on 503: $F_TRIP1; trip on refused: $F_TRIP2; trip on 503 after restart: $F_TRIP3;" \
		"half-open after $F_HALF1 / $F_HALF2 ms (open_timeout $OPEN_MS, the second across the restart);" \
		"restart ${F_RESTART:-never} ms; fail-open ${F_STALE} ms (SIGSTOP) / ${F_EXIT} ms (SIGTERM) after the last heartbeat (stale_limit $STALE_MS)"
	note "runtime $((SECONDS - T_START)) s"
}

# step                  | needs                      | checks it reports
CHECKS=(
	"setup_topology        |                            | setup"
	"setup_daemon          | setup_topology             | daemon_starts daemon_attached_and_configured"
	"check_closed_passes   | setup_daemon               | closed_passes"
	"check_open_on_503     | setup_daemon               | open_on_503_within_tick open_refuses_fast open_nothing_reaches_upstream open_not_forced"
	"check_half_open       | check_open_on_503          | half_open_after_open_timeout closes_when_healthy"
	"check_open_on_refused | setup_daemon               | open_on_refused_within_tick server_restart"
	"check_restart         | check_open_on_refused      | restart_runs restart_still_refuses restart_keeps_open restart_resumes_from_map restart_half_open_on_time restart_closes_when_healthy"
	"check_reload          | setup_daemon               | open_on_503_again textfile_follows_transition reload_done reload_keeps_open reload_carries_web reload_adds_web2 reload_adds_policy reload_map_counters_continue textfile_follows_reload reload_daemon_counters_continue"
	"check_down            | check_reload               | down_opens_on_probes down_recovers"
	"check_ctl             | check_reload               | ctl_list ctl_open textfile_follows_force ctl_error ctl_open_refuses cli_via_socket"
	"check_stale           | check_ctl                  | stale_setup_web_open stale_fails_open stale_refused_until_then stale_forced_holds stale_listed sigcont_fresh ctl_auto"
	"check_textfile        | check_restart check_stale  | textfile_promtool textfile_written textfile_no_stale_temp"
	"check_node_exporter   | check_stale                | node_exporter_serves node_exporter_web2 node_exporter_textfile_ok"
	"check_dashboard_live  | check_node_exporter        | dashboard_queries_answered"
	"check_sigterm         | check_stale                | sigterm_clean_exit exit_fails_open"
	"check_timens          | setup_topology             | timens_daemon_fresh"
)
t_run
