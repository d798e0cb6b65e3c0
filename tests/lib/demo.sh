# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# shellcheck shell=bash
# Helpers for tests/demo.sh: the supervisor that cleans up after it, and the
# circuit-breaker part. It extends the topology of tests/lib/netns.sh.
#
#   client ns ($NS_CLI)        gateway ns ($NS_GW, ip_forward=1)         upstream ns ($NS_UP)
#   $IF_CLI 198.18.0.10 ── veth ── $IF_GW 198.18.0.1 | $IF_GU 198.18.2.1 ── veth ── $IF_UP 198.18.2.10
#                                  floodgated + floodgate XDP/TC             http_upstream.py :80
#
# demo.sh runs twice: as the supervisor (demo_supervise), which starts the
# demo itself as a child process and only waits for it, and as that child.
# The supervisor holds the EXIT/INT/TERM traps and cleans up however the
# child ends: the processes it started (each recorded with its PID and start
# time, so only those very processes are signalled), the pins, the three
# namespaces and the temp dirs. The child traps nothing. (Why: bash 5.2 can
# abort, or lose the signal, when a trap runs while it expands a $(...) -
# which the demo does all the time; a shell sitting in `wait` is safe.)
# Only 198.18.0.0/15 is used, only inside these namespaces.

[ -n "${FG_LIB_DEMO:-}" ] && return 0
FG_LIB_DEMO=1
. "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

NS_UP=${NS_TAG}u
IF_GU=${NS_TAG}g  # gateway, upstream-facing
IF_UP=${NS_TAG}u0 # the upstream's end
GU4=198.18.2.1
UP4=198.18.2.10
UP_PORT=80
DAEMON_PID="" SRV_PID="" DLOG="" DLOG_SEEN=0 DLOG_MARK=0

# --- the supervisor ------------------------------------------------------------
DEMO_TMP=${FGDEMO_TMP:-}
STORY_PID=""

# demo_starttime PID: the process's start time (clock ticks since boot, from
# /proc/PID/stat); PID and start time together name one process for good.
demo_starttime() {
	local s
	s=$(cat /proc/"$1"/stat 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	[ "$1" != Z ] && echo "${20}"
}
# demo_track PID (in the demo): record a started process for the supervisor.
demo_track() {
	echo "$1 $(demo_starttime "$1")" >>"$DEMO_TMP/pids"
}
# demo_bg NS CMD...: ns_bg, recorded.
demo_bg() {
	ns_bg "$@"
	demo_track "$NS_LAST_PID"
}

# Stop the recorded processes still running (same PID and start time):
# TERM, up to 2 s, then KILL.
demo_kill_recorded() {
	local pid st i live left
	[ -f "$DEMO_TMP/pids" ] || return 0
	live=()
	while read -r pid st; do
		[ -n "$st" ] && [ "$(demo_starttime "$pid")" = "$st" ] || continue
		kill -CONT "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null
		live+=("$pid:$st")
	done <"$DEMO_TMP/pids"
	for ((i = 0; i < 40 && ${#live[@]}; i++)); do
		sleep 0.05
		left=()
		for pid in "${live[@]}"; do
			[ "$(demo_starttime "${pid%:*}")" = "${pid#*:}" ] && left+=("$pid")
		done
		live=("${left[@]}")
	done
	for pid in "${live[@]}"; do
		kill -KILL "${pid%:*}" 2>/dev/null
	done
}

demo_sup_cleanup() {
	local rc=$?
	trap '' INT TERM
	trap - EXIT
	stop_pid "$STORY_PID"
	demo_kill_recorded
	NS_TMP=$(cat "$DEMO_TMP/nstmp" 2>/dev/null)
	case "$NS_TMP" in /tmp/fgnetns.?*) ;; *) NS_TMP="" ;; esac
	if [ -d "$FG_PIN_DIR" ] && [ -e /run/netns/"$NS_GW" ]; then
		fg_gw detach "$IF_GU" >/dev/null 2>&1
	fi
	ns_cleanup # detaches $IF_GW, removes the pins, $NS_CLI, $NS_GW, $NS_TMP
	ip netns del "$NS_UP" 2>/dev/null
	rm -rf -- "$DEMO_TMP"
	exit "$rc"
}
demo_sup_signal() {
	trap '' INT TERM
	printf '\n%sinterrupted: cleaning up%s\n' "$B" "$N"
	exit "$1"
}

# demo_supervise SCRIPT: run SCRIPT (the demo) as a child, wait, clean up.
demo_supervise() {
	local rc
	DEMO_TMP=$(mktemp -d /tmp/fgdemo.XXXXXX) || exit 1
	trap demo_sup_cleanup EXIT
	trap 'demo_sup_signal 130' INT
	trap 'demo_sup_signal 143' TERM
	# Every floodgate command talks to this demo's own daemon, never a system one.
	export FLOODGATE_SOCKET=$DEMO_TMP/floodgated.sock
	FGDEMO_TMP=$DEMO_TMP FGDEMO_TAG=$NS_TAG FGDEMO_PIN=$FG_PIN_DIR bash "$1" &
	STORY_PID=$!
	wait "$STORY_PID"
	rc=$?
	STORY_PID=""
	exit $rc
}

# --- the demo's helpers ----------------------------------------------------------

# demo_forget PID: drop a reaped PID from NS_PIDS.
demo_forget() {
	local p keep=()
	for p in "${NS_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	NS_PIDS=("${keep[@]}")
}

# demo_exited PID: our child PID has ended by itself (or is not ours).
demo_exited() { ! alive "$1"; }

# demo_stop PID: stop_pid, and forget it.
demo_stop() {
	[ -n "$1" ] || return 0
	stop_pid "$1"
	demo_forget "$1"
}

cns() { nsenter --net=/run/netns/"$NS_CLI" "$@"; }

# The upstream namespace behind the gateway, and the routes through it.
demo_upstream_setup() {
	local x
	for x in "$FGD" "$CT" "$XDP_PASS_OBJ" "$SRV" "$PY"; do
		[ -e "$x" ] || { echo "missing $x (run make)" >&2; return 1; }
	done
	for x in curl nsenter; do
		command -v "$x" >/dev/null || { echo "missing $x (make deps)" >&2; return 1; }
	done
	ip netns add "$NS_UP" || return 1
	ip netns exec "$NS_UP" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 || return 1
	ip -n "$NS_UP" link set lo up &&
		ip netns exec "$NS_GW" sysctl -qw net.ipv4.ip_forward=1 &&
		ip -n "$NS_UP" link add "$IF_UP" type veth peer name "$IF_GU" netns "$NS_GW" &&
		ip -n "$NS_GW" addr add "$GU4/24" dev "$IF_GU" &&
		ip -n "$NS_UP" addr add "$UP4/24" dev "$IF_UP" &&
		ip -n "$NS_GW" link set "$IF_GU" up &&
		ip -n "$NS_UP" link set "$IF_UP" up &&
		ip -n "$NS_UP" route add default via "$GU4" &&
		ip -n "$NS_CLI" route add 198.18.2.0/24 via "$GW4" || return 1
	# veth delivers floodgate's XDP_TX RSTs only to a peer that runs XDP too.
	ip -n "$NS_CLI" link set dev "$IF_CLI" xdpdrv obj "$XDP_PASS_OBJ" sec xdp || return 1
	ip netns exec "$NS_CLI" ping -c 1 -W 2 -q "$GU4" >/dev/null ||
		{ echo "no route client -> gateway -> upstream side" >&2; return 1; }
}

# demo_server_start: http_upstream.py on $UP4:80 in the upstream namespace,
# answering with the status in $NS_TMP/status (200, 503, ...).
demo_server_start() {
	rm -f "$NS_TMP/srv.ready"
	demo_bg "$NS_UP" "$PY" "$SRV" --port "$UP_PORT" --bind "$UP4" --control "$NS_TMP/status" \
		--log "$NS_TMP/requests" --ready "$NS_TMP/srv.ready" >>"$NS_TMP/srv.out" 2>&1
	SRV_PID=$NS_LAST_PID
	ns_wait_file "$NS_TMP/srv.ready" 5 ||
		{ echo "the HTTP server did not start: $(cat "$NS_TMP/srv.out")" >&2; return 1; }
}
demo_server_stop() {
	demo_stop "$SRV_PID"
	SRV_PID=""
}

# demo_daemon_start CONF: floodgated in the gateway namespace (nsenter keeps
# the bpffs at /sys/fs/bpf and execs the daemon: $! is floodgated itself).
demo_daemon_start() {
	local i
	DLOG=$NS_TMP/floodgated.log
	: >"$DLOG"
	nsenter --net=/run/netns/"$NS_GW" "$FGD" -c "$1" >>"$DLOG" 2>&1 &
	DAEMON_PID=$!
	NS_PIDS+=("$DAEMON_PID")
	demo_track "$DAEMON_PID"
	for ((i = 0; i < 250; i++)); do
		grep -q 'running:' "$DLOG" && return 0
		alive "$DAEMON_PID" || break
		sleep 0.02
	done
	echo "floodgated did not start:" >&2
	sed 's/^/  | /' "$DLOG" >&2
	return 1
}

# hms: the wall clock, HH:MM:SS.mmm (the daemon's log uses the same).
hms() {
	local t=${EPOCHREALTIME/,/.}
	printf '%(%H:%M:%S)T.%s' "${t%.*}" "${t#*.}" | cut -c1-12
}
# say WHO TEXT [TIME]: a timeline line, at TIME (from hms) or now.
say() { printf '  %s%s%s  %-10s %s\n' "$D" "${3:-$(hms)}" "$N" "$1" "$2"; }

# demo_follow: print the daemon's new log lines about breakers (transitions,
# probe health) as timeline lines. Only whole lines; remembers where it was.
demo_follow() {
	local n t rest c
	n=$(wc -l <"$DLOG")
	[ "$n" -gt "$DLOG_SEEN" ] || return 0
	sed -n "$((DLOG_SEEN + 1)),${n}p" "$DLOG" |
		grep -E 'upstream [^ ]+: (.* -> |probe (up|down))' |
		while read -r _ t _ rest; do
			case "$rest" in
			*"-> open"*) c=$R ;;
			*"-> half-open"*) c=$Y ;;
			*"-> closed"*) c=$G ;;
			*) c="" ;;
			esac
			printf '  %s%s%s  %-10s %s%s%s\n' "$D" "${t:0:12}" "$N" floodgated "$c" "$rest" "$N"
		done
	DLOG_SEEN=$n
}
# demo_mark: from now on, demo_seen looks at lines logged after this point.
demo_mark() {
	demo_follow
	DLOG_MARK=$DLOG_SEEN
}
# demo_seen REGEX: a breaker line matching REGEX was followed since the mark.
demo_seen() {
	[ "$DLOG_SEEN" -gt "$DLOG_MARK" ] &&
		sed -n "$((DLOG_MARK + 1)),${DLOG_SEEN}p" "$DLOG" | grep -qE "$1"
}
# demo_wait REGEX MAX_MS: follow the log until such a line, at most MAX_MS.
demo_wait() {
	local i
	for ((i = 0; i < $2 / 20; i++)); do
		demo_follow
		demo_seen "$1" && return 0
		sleep 0.02
	done
	demo_follow
	demo_seen "$1"
}

# demo_get: one HTTP GET from the client; prints "STATUS MS" (STATUS
# "refused" when the connection was refused, "error" for anything else).
demo_get() {
	local out rc
	out=$(cns curl -s -o /dev/null -w '%{http_code} %{time_total}' --connect-timeout 1 \
		--max-time 2 "http://$UP4/")
	rc=$?
	case $rc in
	0) awk '{ printf "%s %.1f", $1, $2 * 1000 }' <<<"$out" ;;
	7) awk '{ printf "refused %.2f", $2 * 1000 }' <<<"$out" ;;
	*) echo "error(curl $rc) 0" ;;
	esac
}
# client_requests: requests for / that reached the server (probes ask /healthz).
client_requests() { awk '$3 == "/"' "$NS_TMP/requests" 2>/dev/null | wc -l | tr -d ' '; }
probe_requests() { awk '$3 == "/healthz"' "$NS_TMP/requests" 2>/dev/null | wc -l | tr -d ' '; }
# ustate NAME: the breaker state in the map.
ustate() {
	fgate upstream list --json 2>/dev/null |
		jq -r --arg n "$1" '.upstreams[] | select(.name == $n) | .state'
}
# kv_s STRING KEY: the value of KEY=... in a line of key=value pairs.
kv_s() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
