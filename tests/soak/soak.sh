#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# make soak: floodgated under churn for SOAK_SECONDS (600), never part of
# make test. In the gateway topology of tests/lib/gateway.sh (client -> gateway
# -> upstream namespaces, 198.18.0.0/15 only):
#   - web flaps: its HTTP upstream answers 200 and 503 in turns (2 s each),
#     and the client GETs web and web2 every 100 ms, so web's breaker trips,
#     half-opens and closes over and over;
#   - SIGHUP every 3 s, alternating two configs (B adds an upstream and a
#     policy and changes a rate; A takes them away again);
#   - every 5 s, in turns: upstream open web2 / upstream auto web2 through
#     the control socket, and limit set 198.18.4.0/24 at 100/s or 200/s;
#   - half-way, both interfaces are detached and attached again (the client
#     side with --hook tc): the daemon must reopen the new pins and reconcile.
# Every SOAK_SAMPLE (10) s it records the daemon's RSS and open fds and the
# maps' entry counts into build/soak/soak.csv; at the end it prints the
# curves' start and end and fails when they are not flat or a breaker or
# policy was lost. Everything it starts stops by itself or at cleanup.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh" # t_poll
. "$HERE/../lib/proc.sh"  # alive, stop_pid
. "$HERE/../lib/gateway.sh"

SECS=${SOAK_SECONDS:-600}
SAMPLE=${SOAK_SAMPLE:-10}
TAG=fgsk$$
gw_names "$TAG"
PIN=/sys/fs/bpf/fgsk-$$
U4B=198.18.2.11 U4C=198.18.2.12 PORT=80
OUT=$FG_ROOT/build/soak
CSV=$OUT/soak.csv
TMP="" DLOG="" DPID="" SRV1="" SRV2="" LOAD=""

cleanup() {
	trap - EXIT INT TERM
	gw_cleanup "$LOAD" "$DPID" "$SRV1" "$SRV2"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

gns() { nsenter --net=/run/netns/"$NS_G" "$@"; }
fgate() { "$FG" "$@" --pin-dir "$PIN"; }
say() { echo "soak: $*"; }
now_s() { echo $((SECONDS - T0)); }

# write_config A|B
write_config() {
	local rate=10k

	[ "$1" = B ] && rate=20k
	{
		gw_daemon_conf 100ms 1s 1s "$TMP/floodgated.sock"
		cat <<-EOF
			[defaults]
			reject = reset
			consecutive_failures = 3
			failure_rate = 0
			open_timeout = 1s
			open_jitter = 0
			successes_to_close = 1
			[upstream web]
			address = $U4:$PORT
			[upstream web2]
			address = $U4B:$PORT
			probe = http
			interval = 500ms
			timeout = 200ms
			[policy 198.18.1.0/24]
			rate = $rate/s
		EOF
		[ "$1" = B ] && cat <<-EOF
			[upstream web3]
			address = $U4C:$PORT
			[policy 198.18.3.0/24]
			action = deny
		EOF
	} >"$TMP/conf.new"
	mv -f "$TMP/conf.new" "$TMP/floodgated.conf"
}

start_server() { gw_http "$1" "$2" "$TMP/status.$3" /dev/null; } # VAR ADDR NAME


# The client's load: GETs to web and web2 every 100 ms until SECS run out.
client_load() {
	nsenter --net=/run/netns/"$NS_C" timeout $((SECS + 5)) sh -c "
		while :; do
			curl -s -o /dev/null --connect-timeout 1 --max-time 1 http://$U4:$PORT/
			curl -s -o /dev/null --connect-timeout 1 --max-time 1 http://$U4B:$PORT/
			sleep 0.1
		done" >/dev/null 2>&1 &
	LOAD=$!
}

count() { bpftool -j map dump pinned "$PIN/$1" 2>/dev/null | jq length 2>/dev/null || echo -1; }
sample() {
	local rss fds
	rss=$(awk '/^VmRSS/ { print $2 }' /proc/"$DPID"/status 2>/dev/null)
	fds=$(ls /proc/"$DPID"/fd 2>/dev/null | wc -l)
	echo "$(now_s),${rss:--1},$fds,$(count upstreams),$(count policy),$(count pending_syn),$(count flows),$(grep -c ' -> ' "$DLOG")" >>"$CSV"
}

setup() {
	TMP=$(mktemp -d /tmp/fgsk.XXXXXX) || return 1
	mkdir -p "$TMP/textfile" "$OUT"
	export FLOODGATE_SOCKET=$TMP/floodgated.sock
	gw_setup || return 1
	ip -n "$NS_U" addr add "$U4B/24" dev "$IF_U" && ip -n "$NS_U" addr add "$U4C/24" dev "$IF_U" ||
		return 1
	echo 200 >"$TMP/status.web" && echo 200 >"$TMP/status.web2"
	start_server SRV1 "$U4" web && start_server SRV2 "$U4B" web2 || return 1
	write_config A
	DLOG=$TMP/floodgated.log
	: >"$DLOG"
	# nsenter execs the daemon, and no function stands between: $! is it.
	nsenter --net=/run/netns/"$NS_G" "$FGD" -c "$TMP/floodgated.conf" >>"$DLOG" 2>&1 &
	DPID=$!
	t_poll 5000 gw_daemon_running
}

if ! setup; then
	say "setup failed: $(tail -n 5 "$DLOG" 2>/dev/null)"
	exit 1
fi
echo "t_s,rss_kb,fds,upstreams,policies,pending_syn,flows,transitions" >"$CSV"
client_load
T0=$SECONDS
reloads=0 forces=0 limits=0 reattach_tried=0 reattached=0 cfg=A flap=200
next_sample=0 next_flap=2 next_hup=3 next_cli=5 half=$((SECS / 2))
say "running ${SECS}s (samples every ${SAMPLE}s into $CSV)"
while [ "$(now_s)" -lt "$SECS" ]; do
	t=$(now_s)
	alive "$DPID" || { say "floodgated died at ${t}s"; break; }
	if [ "$t" -ge "$next_sample" ]; then sample; next_sample=$((t + SAMPLE)); fi
	if [ "$t" -ge "$next_flap" ]; then
		flap=$([ "$flap" = 200 ] && echo 503 || echo 200)
		echo "$flap" >"$TMP/status.web"
		next_flap=$((t + 2))
	fi
	if [ "$t" -ge "$next_hup" ]; then
		cfg=$([ "$cfg" = A ] && echo B || echo A)
		write_config "$cfg"
		kill -HUP "$DPID" && reloads=$((reloads + 1))
		next_hup=$((t + 3))
	fi
	if [ "$t" -ge "$next_cli" ]; then
		if [ $((forces % 2)) = 0 ]; then fgate upstream open web2 >/dev/null 2>&1
		else fgate upstream auto web2 >/dev/null 2>&1; fi
		forces=$((forces + 1))
		fgate limit set 198.18.4.0/24 $((forces % 2 ? 100 : 200))/s >/dev/null 2>&1 &&
			limits=$((limits + 1))
		next_cli=$((t + 5))
	fi
	if [ "$reattach_tried" = 0 ] && [ "$t" -ge "$half" ]; then
		reattach_tried=1
		gns "$FG" detach "$IF_GC" --pin-dir "$PIN" >/dev/null 2>&1
		gns "$FG" detach "$IF_GU" --pin-dir "$PIN" >/dev/null 2>&1
		gns "$FG" attach "$IF_GC" --hook tc --pin-dir "$PIN" >/dev/null 2>&1 &&
			gns "$FG" attach "$IF_GU" --pin-dir "$PIN" >/dev/null 2>&1 && reattached=1
		say "detached and attached again at ${t}s ($([ $reattached = 1 ] && echo ok || echo FAILED))"
	fi
	sleep 0.2
done

# The end: config A, web healthy, web2 handed back; then what must hold.
echo 200 >"$TMP/status.web"
write_config A
kill -HUP "$DPID"
fgate upstream auto web2 >/dev/null 2>&1
fgate limit del 198.18.4.0/24 >/dev/null 2>&1
settled() {
	L=$(fgate upstream list --json 2>/dev/null)
	P=$(fgate limit list --json 2>/dev/null)
	[ "$(jq -r '[.upstreams[].name] | sort | join(",")' <<<"$L")" = "web,web2" ] &&
		[ "$(jq -r '[.policies[].prefix] | join(",")' <<<"$P")" = "198.18.1.0/24" ]
}
t_poll 5000 settled
ok_state=$?
sample
stop_pid "$LOAD"
LOAD=""

first=$(sed -n 3p "$CSV") last=$(tail -n 1 "$CSV") # row 2 is t=0: skip the warm-up
field() { cut -d, -f"$2" <<<"$1"; }
rss0=$(field "$first" 2) rss1=$(field "$last" 2) fd0=$(field "$first" 3) fd1=$(field "$last" 3)
say "$(now_s)s: $reloads reloads, $forces forces, $limits limit sets, re-attach: $reattached, $(field "$last" 8) transitions logged"
say "RSS $rss0 -> $rss1 KiB; fds $fd0 -> $fd1; upstreams $(field "$first" 4) -> $(field "$last" 4); policies $(field "$first" 5) -> $(field "$last" 5); pending_syn $(field "$first" 6) -> $(field "$last" 6); flows $(field "$first" 7) -> $(field "$last" 7)"
say "upstreams at the end: $(jq -c '[.upstreams[] | {name, state, forced}]' <<<"$L"); policies: $(jq -c '[.policies[].prefix]' <<<"$P")"
fail=0
alive "$DPID" || { say "FAIL: floodgated is not running"; fail=1; }
[ "$ok_state" = 0 ] || { say "FAIL: config A's upstreams and policies not all there at the end"; fail=1; }
[ "$reattached" = 1 ] || { say "FAIL: the detach and attach half-way did not succeed"; fail=1; }
[ "$((rss1 - rss0))" -le 2048 ] || { say "FAIL: RSS grew by $((rss1 - rss0)) KiB (want <= 2048)"; fail=1; }
[ "$fd1" -le "$fd0" ] || { say "FAIL: open fds grew $fd0 -> $fd1"; fail=1; }
[ "$fail" = 0 ] && say "PASS: flat and nothing lost"
T_FAILED=$fail # gw_cleanup shows the daemon's log after a failure
exit $fail
