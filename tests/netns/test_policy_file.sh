#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Policy files end to end: `floodgate limit load FILE | save` and
# floodgated's policy_file, with real traffic between two namespaces
# (tests/lib/netns.sh; floodgate in native XDP on the gateway's veth).
#
#   load_times     files of 1k, 10k and 100k prefixes into an empty map,
#                  each time printed (never asserted), then emptied again
#   round trip     save | load is a no-op, save prints it again the same
#   bad files      a bad line, a prefix twice, --dry-run: nothing changes
#   swap           100,000 prefixes, then a second file (10% changed, 10%
#                  removed, 10% added) loaded while four sources flood
#                  the gateway: a kept deny (IPv4) and a kept /128 deny
#                  inside a /64 whose limit changes pass nothing, a kept
#                  limit passes at most burst + rate x time
#   daemon         floodgated with policy_file: applied at start, a change
#                  applied on SIGHUP, a bad file refused (file:line) with
#                  the map unchanged; --check-config on both
# Tools: udpflood, udpcount (netns.mk), jq, awk. The steps: CHECKS below.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/netns.sh"

RATE=200
BURST=10
PPS=1000
PORT=9000
DENY_SRC=198.18.0.130   # in 198.18.0.128/28 deny, kept
LIM_SRC=198.18.0.11     # in 198.18.0.0/24 200/s burst 10, kept
DENY6_SRC=2001:db8:0:1::5 # a /128 deny, kept, inside the /64 below
V6_SRC=2001:db8:0:1::6  # in 2001:db8:0:1::/64: 200/s, then 400/s
SRCS=("$DENY_SRC" "$LIM_SRC" "$DENY6_SRC" "$V6_SRC")

note() { echo "  $*" >&2; }
kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
received() { awk -v a="$1" '$1 == a { print $2; f = 1 } END { if (!f) print 0 }' "$NS_TMP/count"; }
fgstat() { fgate stats --json | jq -r --arg r "$1" '.reasons[] | select(.reason == $r) | .packets'; }
n_policies() { fgate limit list --json | jq '.policies | length'; }
# summary JSON KEY: a member of limit load --json's one object.
sj() { jq -r ".$2" <<<"$1"; }

# gen N CHANGED SKIP_FROM SKIP_TO: N generated policies, the first CHANGED
# of them changed, those in [SKIP_FROM, SKIP_TO) left out. IPv4 /32s in
# 198.19.0.0/16, then IPv6 /64s in 2001:db8:1::/48.
gen() {
	awk -v n="$1" -v ch="$2" -v s0="$3" -v s1="$4" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (i >= s0 && i < s1) continue
			if (i < 65536) p = sprintf("198.19.%d.%d", int(i / 256), i % 256)
			else p = sprintf("2001:db8:1:%x::/64", i - 65536)
			odd = (i % 2) != (i < ch)
			print p, (odd ? "deny" : "100/s burst 100")
		}
	}'
}
# kept V6RATE: the four policies the traffic hits, in every file.
kept() {
	printf '%s\n' "# kept by every file" "198.18.0.128/28 deny" "198.18.0.0/24 $RATE/s burst $BURST" \
		"2001:db8:0:1::/64 $1/s burst $BURST" "$DENY6_SRC deny"
}

setup_ns() {
	if ! ns_setup; then
		t_fail setup "could not build the namespace topology"
		t_exit
	fi
	for a in "$DENY_SRC" "$LIM_SRC"; do ns_client_addr "$a/24" || { t_fail setup "addr $a"; t_exit; }; done
	for a in "$DENY6_SRC" "$V6_SRC"; do ns_client_addr "$a/64" || { t_fail setup "addr $a"; t_exit; }; done
	ns_pin_neighbours "${SRCS[@]}" || { t_fail setup "could not pin the neighbour entries"; t_exit; }
	if ! out=$(fg_gw attach "$IF_GW" --xdp-mode native --no-tc 2>&1); then
		t_fail setup "floodgate attach $IF_GW: $out"
		t_exit
	fi
	F1=$NS_TMP/file1 F2=$NS_TMP/file2
	{ kept "$RATE"; gen 99996 0 0 0; } >"$F1"
	{ kept $((2 * RATE)); gen 109996 10000 10000 20000; } >"$F2"
	t_ok setup
}

load_times() {
	local n f out bad=""
	for n in 1000 10000 100000; do
		f=$NS_TMP/gen$n
		gen "$n" 0 0 0 >"$f"
		out=$(fgate limit load "$f" --json 2>&1)
		note "load of $n prefixes into an empty map: $(sj "$out" seconds) s"
		[ "$(sj "$out" added)" = "$n" ] && [ "$(n_policies)" = "$n" ] || bad+="load $n: $out; "
		out=$(fgate limit load - --json </dev/null 2>&1)
		note "removing them (an empty file): $(sj "$out" seconds) s"
		[ "$(sj "$out" removed)" = "$n" ] && [ "$(n_policies)" = 0 ] || bad+="empty after $n: $out; "
	done
	t_check load_times "$bad" [ -z "$bad" ]
}

both_families() {
	grep -qx "198.18.0.0/24 $RATE/s burst $BURST per source new-sources 1000/s" "$1" &&
		grep -qx "2001:db8:0:1::/64 $RATE/s burst $BURST per source new-sources 1000/s" "$1" &&
		grep -qx "$DENY6_SRC deny" "$1"
}

round_trip() {
	out=$(fgate limit load "$F1" 2>&1)
	note "$out"
	t_check load_100k "limit load of 100,000: '$out'" \
		grep -q "100000 added, 0 changed, 0 removed, 0 kept" <<<"$out"
	fgate limit save >"$NS_TMP/save1"
	out=$(fgate limit save | fgate limit load - --json 2>&1)
	note "save | load -: $out"
	t_check save_load_noop "save | load: '$out' (want 0 added, changed, removed; 100000 kept)" \
		jq -e '.added == 0 and .changed == 0 and .removed == 0 and .kept == 100000' <<<"$out"
	fgate limit save >"$NS_TMP/save2"
	t_check save_stable "a second save differs: $(diff "$NS_TMP/save1" "$NS_TMP/save2" | head -3)" \
		cmp -s "$NS_TMP/save1" "$NS_TMP/save2"
	t_check save_both_families "save lacks the v4 or the v6 kept policies" both_families "$NS_TMP/save1"
}

# bad FILE WANT: limit load FILE fails with one line containing WANT, and
# the map is what save1 says.
bad_load() {
	local out rc
	out=$(fgate limit load "$1" 2>&1)
	rc=$?
	fgate limit save >"$NS_TMP/save.after"
	[ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] && [[ "$out" == *"$2"* ]] &&
		cmp -s "$NS_TMP/save1" "$NS_TMP/save.after"
	t_is $? "$3" "limit load $1: exit $rc, '$out' (want 1, one line with '$2', nothing changed)"
}

bad_files() {
	{ head -50000 "$F2"; echo "198.18.9.0/24 200/s burst 10 oops"; tail -n +50001 "$F2"; } >"$NS_TMP/bad1"
	bad_load "$NS_TMP/bad1" "$NS_TMP/bad1:50001: unexpected 'oops' after the rate" bad_line_refused
	{ cat "$F2"; echo "198.18.0.0/24 deny"; } >"$NS_TMP/bad2"
	bad_load "$NS_TMP/bad2" "198.18.0.0/24: the same prefix as line 3" repeat_refused
	out=$(fgate limit load --dry-run "$F2" 2>&1)
	fgate limit save >"$NS_TMP/save.after"
	{ [ "$(grep -c '^add ' <<<"$out")" = 10000 ] && [ "$(grep -c '^remove ' <<<"$out")" = 10000 ] &&
		[ "$(grep -c '^change ' <<<"$out")" = 10001 ] && cmp -s "$NS_TMP/save1" "$NS_TMP/save.after"; }
	t_is $? dry_run_changes_nothing "limit load --dry-run: $(tail -1 <<<"$out") (want 10000 add, 10001 change, 10000 remove lines; the map unchanged)"
}

flood() { # flood SRC DST
	ns_bg "$NS_CLI" "$FG_TOOLS/udpflood" -s "$1" -d "$2" -p "$PORT" -r "$PPS" -n 600000 \
		-t 60 >"$NS_TMP/flood.$1"
	FLOOD_PIDS+=("$NS_LAST_PID")
}
# grown NAME FROM N: counter NAME is at least FROM + N (SEEN: what it was).
grown() { SEEN=$(fgstat "$1"); [ "$SEEN" -ge $(($2 + $3)) ]; }

# The swap under traffic: floods start, the second file is loaded once
# packets of the kept policies are seen, the floods stop once as many are
# seen after it; then the receiver's counts are read.
swap() {
	local d0 d1
	ns_bg "$NS_GW" "$FG_TOOLS/udpcount" -b "$GW4" -b "$GW6" -p "$PORT" -t 90 -i 5000 \
		-R "$NS_TMP/ready" >"$NS_TMP/count"
	COUNT_PID=$NS_LAST_PID
	ns_wait_file "$NS_TMP/ready" 5 || { t_fail swap_loaded "udpcount did not start"; t_exit; }
	FLOOD_PIDS=()
	flood "$DENY_SRC" "$GW4"
	flood "$LIM_SRC" "$GW4"
	flood "$DENY6_SRC" "$GW6"
	flood "$V6_SRC" "$GW6"
	d0=$(fgstat deny)
	t_poll 10000 grown deny "$d0" 500 || note "floods slow to start: deny $SEEN"
	SWAP=$(fgate limit load "$F2" --json 2>&1)
	note "swap while flooding: $SWAP"
	d1=$(fgstat deny)
	t_poll 10000 grown deny "$d1" 1000 || note "little traffic after the swap: deny $SEEN"
	stop_pids "${FLOOD_PIDS[@]}"
	stop_pid "$COUNT_PID"
	for a in "${SRCS[@]}"; do note "$a: $(cat "$NS_TMP/flood.$a") received=$(received "$a")"; done
	t_check swap_loaded "limit load of the second file: '$SWAP' (want 10000 added, 10001 changed, 10000 removed)" \
		jq -e '.added == 10000 and .changed == 10001 and .removed == 10000 and .policies == 100000' <<<"$SWAP"
	t_check swap_covered_by_traffic "deny counter grew $((SEEN - d1)) after the swap (want >= 1000)" \
		[ $((SEEN - d1)) -ge 1000 ]
	t_check swap_deny_passes_none "kept deny $DENY_SRC: sent $(kv "$NS_TMP/flood.$DENY_SRC" sent), received $(received "$DENY_SRC") (want 0)" \
		[ "$(received "$DENY_SRC")" = 0 ]
	t_check swap_deny128_passes_none "kept /128 deny $DENY6_SRC in the changed /64: received $(received "$DENY6_SRC") (want 0)" \
		[ "$(received "$DENY6_SRC")" = 0 ]
	el=$(kv "$NS_TMP/flood.$LIM_SRC" elapsed)
	# The sender's clock, not XDP's: 20 ms more for the scheduling between.
	max=$(awk -v r="$RATE" -v e="$el" -v b="$BURST" 'BEGIN { printf "%d", b + r * (e + 0.02) + 1 }')
	got=$(received "$LIM_SRC")
	t_check swap_limit_holds "kept limit $LIM_SRC: received $got in ${el}s, want $BURST..$max (burst + ${RATE}/s x (time + 20 ms))" \
		[ "$got" -ge "$BURST" -a "$got" -le "$max" ]
	t_check swap_v6_neighbour_passes "$V6_SRC in the changed /64 received $(received "$V6_SRC") (want > 0)" \
		[ "$(received "$V6_SRC")" -gt 0 ]
}

# floodgated with a policy_file, in the gateway namespace (nsenter keeps
# the bpffs), its own socket and textfile dir.
daemon_conf() { # CONF POLICY_FILE [EXTRA]
	printf '[daemon]\npin_dir = %s\ncontrol_socket = %s/fgd.sock\ntextfile_dir = %s\npolicy_file = %s\n%s' \
		"$FG_PIN_DIR" "$NS_TMP" "$NS_TMP" "$2" "${3:-}" >"$1"
}
saved_is() { fgate limit save | grep -v '^#' >"$NS_TMP/dsave"; cmp -s "$NS_TMP/dsave" "$1"; }
logged() { LOGGED=$(grep -c "$1" "$NS_TMP/fgd.log"); [ "$LOGGED" -ge 1 ]; }

# want FILE OUT: what the map holds after the CLI loads FILE, as saved.
want() { fgate limit load "$1" >/dev/null && fgate limit save | grep -v '^#' >"$2"; }

daemon() {
	local conf=$NS_TMP/fgd.conf pf=$NS_TMP/policies out rc bad_line
	{ kept "$RATE"; gen 1000 0 0 0; } >"$pf"
	{ kept $((2 * RATE)); gen 1100 100 100 200; } >"$pf.new"
	{ cat "$pf.new"; echo "198.18.9.0/33 deny"; } >"$pf.bad"
	bad_line=$(wc -l <"$pf.bad")
	# What the map must hold: the same files through the CLI, saved; then
	# the map emptied for the daemon.
	want "$pf" "$NS_TMP/want1" && want "$pf.new" "$NS_TMP/want2" &&
		fgate limit load - </dev/null >/dev/null || t_fail daemon_applies_file "the CLI could not load $pf"
	daemon_conf "$conf" "$pf"
	out=$("$FGD" -c "$conf" --check-config 2>&1)
	t_check daemon_check_config "floodgated --check-config: '$out'" [ "$out" = "config OK" ]
	out=$("$FGD" -c <(daemon_conf /dev/stdout "$pf.bad") --check-config 2>&1)
	rc=$?
	{ [ $rc != 0 ] && [[ "$out" == *"$pf.bad:$bad_line: invalid prefix '198.18.9.0/33'"* ]]; }
	t_is $? daemon_check_config_bad_line "--check-config with a bad policy file: exit $rc, '$out'"
	out=$("$FGD" -c <(daemon_conf /dev/stdout "$pf" "[policy 198.18.0.0/24]
action = deny
") --check-config 2>&1)
	rc=$?
	{ [ $rc != 0 ] && [[ "$out" == *"$pf:3: 198.18.0.0/24: also in [policy 198.18.0.0/24] at "* ]]; }
	t_is $? daemon_check_config_both_places "--check-config, a prefix in the file and a section: exit $rc, '$out'"

	: >"$NS_TMP/fgd.log"
	nsenter --net=/run/netns/"$NS_GW" "$FGD" -c "$conf" -v >>"$NS_TMP/fgd.log" 2>&1 &
	DPID=$!
	NS_PIDS+=("$DPID")
	t_poll 10000 saved_is "$NS_TMP/want1"
	t_is $? daemon_applies_file "after $POLL_MS ms the map holds $(wc -l <"$NS_TMP/dsave") policies, not the file's $(wc -l <"$NS_TMP/want1"): $(tail -3 "$NS_TMP/fgd.log" | tr '\n' ' ')"
	cp "$pf.new" "$pf"
	kill -HUP "$DPID"
	t_poll 10000 saved_is "$NS_TMP/want2"
	t_is $? daemon_sighup_applies_change "after $POLL_MS ms: $(diff "$NS_TMP/want2" "$NS_TMP/dsave" | head -3 | tr '\n' ' ')"
	cp "$pf.bad" "$pf"
	kill -HUP "$DPID"
	t_poll 10000 logged "$pf:$bad_line: invalid prefix"
	{ [ $? = 0 ] && saved_is "$NS_TMP/want2"; }
	t_is $? daemon_bad_reload_keeps_policies "log: $(tail -2 "$NS_TMP/fgd.log" | tr '\n' ' '); map unchanged: $(saved_is "$NS_TMP/want2" && echo yes || echo no)"
	stop_pid "$DPID"
}

# step          | needs           | checks it reports
CHECKS=(
	"setup_ns      |                 | setup"
	"load_times    | setup_ns        | load_times"
	"round_trip    | setup_ns        | load_100k save_load_noop save_stable save_both_families"
	"bad_files     | round_trip      | bad_line_refused repeat_refused dry_run_changes_nothing"
	"swap          | round_trip      | swap_loaded swap_covered_by_traffic swap_deny_passes_none swap_deny128_passes_none swap_limit_holds swap_v6_neighbour_passes"
	"daemon        | setup_ns        | daemon_check_config daemon_applies_file daemon_sighup_applies_change daemon_check_config_bad_line daemon_check_config_both_places daemon_bad_reload_keeps_policies"
)
t_run
