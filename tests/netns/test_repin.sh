#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Pins replaced under a running floodgated (issue 10): `floodgate detach` of
# every interface and `floodgate attach` again (the way to change --hook)
# pins new, empty maps; the daemon notices within a tick, reopens them and
# reconciles its upstreams, their breaker states and its policies into them.
#
#   client ns                 gateway ns (ip_forward=1)               upstream ns
#   $IF_C 198.18.1.2 ── veth ── $IF_GC 198.18.1.1 | $IF_GU 198.18.2.1 ── veth ── $IF_U 198.18.2.10
#   (XDP_PASS: RSTs reach it)  floodgated (attaches both)                http_upstream.py :80
#
# floodgated: tick 100 ms, reject = reset; upstreams web (forced open through
# the control socket) and api (closed, a port nobody serves), one [policy].
# Checks:
#  1. before: web open in `upstream list --json`, a client connect to web is
#     refused (RST) and web's server sees no request.
#  2. detach both interfaces: the pins are gone; the daemon says so once and
#     keeps running.
#  3. attach again, --hook tc on the client side: within $DEADLINE_MS
#     `upstream list --json` shows web open (forced) and api closed,
#     `limit list` the policy, and a client connect to web is refused again;
#     the log says "pins in DIR replaced: reopened and reconciled 2 upstreams,
#     1 policies" once, and still once $HOLD_MS later.
#  4. SIGHUP with 1,100 more upstreams (more than the maps hold; refused by
#     --check-config too): the daemon says "reload failed" once, and the
#     upstreams in the maps (names, states, ids) are as before.
# The steps and what each needs: CHECKS at the bottom.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/gateway.sh"

TAG=fgrp$$
gw_names "$TAG"
PIN=/sys/fs/bpf/fgrp-$$
PORT=80
POLICY=198.18.1.0/24
DEADLINE_MS=2000 # twenty ticks
HOLD_MS=500      # five ticks: a second "replaced" line would show

TMP="" DLOG="" SOCK="" DPID="" SRV_PID=""

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	gw_cleanup "$DPID" "$SRV_PID"
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cns() { nsenter --net=/run/netns/"$NS_C" "$@"; }
gns() { nsenter --net=/run/netns/"$NS_G" "$@"; }
fgw() { gns "$FG" "$@" --pin-dir "$PIN"; }
fgate() { "$FG" "$@" --pin-dir "$PIN"; }
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
requests() { wc -l <"$TMP/requests" 2>/dev/null | tr -d ' '; }

# What the CLI sees in the pins; LAST keeps it for the failure message.
snap() {
	L=$(fgate upstream list --json 2>/dev/null)
	P=$(fgate limit list --json 2>/dev/null)
	LAST="web=$(ufield web state)/forced=$(ufield web forced) api=$(ufield api state) policies=$(jq -r '[.policies[]?.prefix] | join(",")' <<<"$P" 2>/dev/null)"
}
ufield() { jq -r --arg n "$1" --arg f "$2" '.upstreams[]? | select(.name == $n) | .[$f]' <<<"$L" 2>/dev/null; }
has_policy() { jq -e --arg p "$POLICY" '[.policies[]? | select(.prefix == $p)] | length == 1' <<<"$P" >/dev/null 2>&1; }
reconciled() {
	snap
	[ "$(ufield web state)" = open ] && [ "$(ufield web forced)" = true ] &&
		[ "$(ufield api state)" = closed ] && has_policy
}
# A client connect to web, refused by floodgate's RST (not web's: it listens).
refused() {
	R=$(cns "$CT" -t 1000 "$U4" "$PORT" 2>&1)
	[ "$(kv "$R" result)" = refused ]
}
said() { grep -c -- "$1" "$DLOG"; }
said_once() { N=$(said "$1") && [ "$N" = 1 ]; }
said_more() { N=$(said "$1") && [ "$N" != 1 ]; }
pins_gone() { [ ! -e "$PIN/config" ]; }

setup() {
	local x
	for x in "$FG" "$FGD" "$CT" "$SRV" "$PY" "$XDP_PASS_OBJ"; do
		[ -e "$x" ] || { echo "missing $x (run make)" >&2; return 1; }
	done
	for x in jq nsenter; do
		command -v "$x" >/dev/null || { echo "missing $x (make deps)" >&2; return 1; }
	done
	TMP=$(mktemp -d /tmp/fgrp.XXXXXX) || return 1
	DLOG=$TMP/floodgated.log SOCK=$TMP/floodgated.sock
	: >"$DLOG"
	mkdir -p "$TMP/textfile"
	# Whatever the environment says, no CLI call may reach a system daemon.
	export FLOODGATE_SOCKET=$SOCK
	gw_setup xdp-pass "$XDP_PASS_OBJ" || return 1
	echo 200 >"$TMP/status"
	gw_http SRV_PID "$U4" "$TMP/status" "$TMP/requests" || return 1
	gw_daemon_conf 100ms 1s - "$SOCK" >"$TMP/floodgated.conf"
	cat >>"$TMP/floodgated.conf" <<-EOF
		[defaults]
		reject = reset
		probe = none
		open_timeout = 60s
		open_jitter = 0

		[upstream web]
		address = $U4:$PORT

		[upstream api]
		address = $U4:81

		[policy $POLICY]
		rate = 10k/s
	EOF
	# nsenter execs floodgated: $! is the daemon itself.
	nsenter --net=/run/netns/"$NS_G" "$FGD" -c "$TMP/floodgated.conf" >>"$DLOG" 2>&1 &
	DPID=$!
	t_poll 5000 gw_daemon_running || { echo "floodgated did not start: $(tail -n 5 "$DLOG")" >&2; return 1; }
}

setup_daemon() {
	if ! setup; then
		t_fail setup "could not build the topology or start floodgated"
		t_exit
	fi
	t_ok setup
}

# 1. Before.
check_before() {
	out=$(fgate upstream open web 2>&1)
	t_check forced_open "upstream open web: $out" [ $? = 0 ]
	t_poll "$DEADLINE_MS" reconciled
	t_is $? open_before "after $POLL_MS ms: $LAST (want web open, forced; api closed; $POLICY)"
	REQ0=$(requests)
	refused
	t_is $? refused_before "client connect to web: $R (want refused)"
}

# 2. Detach: the pins go.
check_detach() {
	out=$( { fgw detach "$IF_GC" && fgw detach "$IF_GU"; } 2>&1)
	t_check detached "detach: $out" pins_gone
	t_poll "$DEADLINE_MS" said_once "pins in $PIN gone"
	t_is $? gone_said_once "'pins in $PIN gone' logged $N times (want 1)"
	t_check daemon_alive_detached "floodgated exited: $(tail -n 3 "$DLOG")" gw_daemon_running
}

# 3. Attach again (another hook): reconciled into the new maps.
check_reattach() {
	# The first attach pins the new maps; the daemon may take them before the
	# second returns (each attach loads the programs: about half a second).
	A0=${EPOCHREALTIME/./}
	out=$( { fgw attach "$IF_GC" --hook tc && fgw attach "$IF_GU"; } 2>&1)
	A1=${EPOCHREALTIME/./}
	t_check attached "attach: $out" [ -e "$PIN/config" ]
	t_poll "$DEADLINE_MS" reconciled
	t_is $? reconciled_in_time "$POLL_MS ms after the attach: $LAST (want web open, forced; api closed; $POLICY)"
	note_ms=$(((A1 - A0) / 1000 + POLL_MS))
	t_poll "$DEADLINE_MS" refused
	t_is $? refused_again "client connect to web: $R (want refused)"
	t_check no_request_reached_web "web saw $(($(requests) - REQ0)) requests (want 0)" [ "$(requests)" = "$REQ0" ]
	MSG="pins in $PIN replaced: reopened and reconciled 2 upstreams, 1 policies"
	t_poll "$DEADLINE_MS" said_once "$MSG"
	t_is $? replaced_said "'$MSG' logged $N times (want 1); log: $(grep 'pins in' "$DLOG" | tail -n 3)"
	t_poll "$HOLD_MS" said_more "$MSG"
	t_is $((!$?)) replaced_said_once "'$MSG' logged $N times within $HOLD_MS ms (want 1)"
	t_check gone_still_once "'pins in $PIN gone' logged $(said "pins in $PIN gone") times (want 1)" \
		said_once "pins in $PIN gone"
	t_check daemon_alive "floodgated exited: $(tail -n 3 "$DLOG")" gw_daemon_running
	echo "  attach took $(((A1 - A0) / 1000)) ms; reconciled state seen by the CLI within $note_ms ms of its start" >&2
}

# 4. A reload the maps cannot hold: refused whole, said once.
check_reload_refused() {
	# The running config again with 1,100 upstreams (more than the maps hold).
	for ((i = 0; i < 1100; i++)); do
		printf '[upstream x%d]\naddress = 198.19.%d.%d:80\n' $i $((i >> 8)) $((i & 255))
	done >>"$TMP/floodgated.conf"
	out=$("$FGD" -c "$TMP/floodgated.conf" --check-config 2>&1)
	t_check check_config_refuses "--check-config: $out" grep -q '1102 \[upstream\] sections, the maps hold at most 1024' <<<"$out"
	L0=$(fgate upstream list --json 2>/dev/null | jq -c '[.upstreams[] | {name, state, forced, id}]')
	kill -HUP "$DPID"
	t_poll "$DEADLINE_MS" said_once "reload failed, keeping the running config"
	t_is $? reload_refused_said "'reload failed' logged $N times (want 1); $(grep reload "$DLOG" | tail -n 2)"
	t_poll "$HOLD_MS" said_more "reload failed, keeping the running config"
	t_is $((!$?)) reload_refused_said_once "'reload failed' logged $N times within $HOLD_MS ms (want 1)"
	L1=$(fgate upstream list --json 2>/dev/null | jq -c '[.upstreams[] | {name, state, forced, id}]')
	[ -n "$L0" ] && [ "$L0" = "$L1" ]
	t_is $? reload_refused_maps_unchanged "upstreams before: $L0; after: $L1"
	echo "  said: $(grep -m1 -o "reload failed.*" "$DLOG")" >&2
	t_check reload_refused_alive "floodgated exited: $(tail -n 3 "$DLOG")" gw_daemon_running
}

# step                   | needs                    | checks it reports
CHECKS=(
	"setup_daemon           |                          | setup"
	"check_before           | setup_daemon             | forced_open open_before refused_before"
	"check_detach           | setup_daemon             | detached gone_said_once daemon_alive_detached"
	"check_reattach         | check_before check_detach | attached reconciled_in_time refused_again no_request_reached_web replaced_said replaced_said_once gone_still_once daemon_alive"
	"check_reload_refused   | setup_daemon             | check_config_refuses reload_refused_said reload_refused_said_once reload_refused_maps_unchanged reload_refused_alive"
)
t_run
