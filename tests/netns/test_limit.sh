#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Per-source limits with real traffic between two network namespaces.
#
# floodgate is attached (native XDP) to the gateway's veth. From the client
# namespace, at the same time for $SECS seconds:
#   3 IPv4 sources   1500 pps each   under the default limit 200/s burst 10
#   1 allowed source 1000 pps        (limit allow 198.18.0.64/28)
#   1 denied source  1000 pps        (limit deny 198.18.0.128/28)
#   2 IPv6 sources   1000 pps each   one /64 limited 200/s burst 10: a shared bucket
# udpcount in the gateway counts what arrives per source. Checks: each limited
# source gets 200/s x its measured sending time + burst (+-10%); the allowed
# source loses nothing; the denied one gets nothing; floodgate's own counters
# agree packet for packet; ARP, NDP and ping are unaffected; detach leaves no
# pin, link or program behind.
#
# FG_LIMIT_HOOK=tc runs the same checks with the limits at TCX ingress
# (floodgate attach --hook tc; tests/netns/test_limit_tc.sh).
# The steps and what each needs: CHECKS at the bottom.
set -u
LIMIT_HOOK=${FG_LIMIT_HOOK:-xdp}
ATTACH_CHECK=attach_native # what status says after the attach
[ "$LIMIT_HOOK" = tc ] && ATTACH_CHECK=attach_tc
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/netns.sh"

RATE=200
BURST=10
SECS=4
PORT=9000
TOL=10 # percent
L_PPS=1500
O_PPS=1000
L_SRCS=(198.18.0.11 198.18.0.12 198.18.0.13)
ALLOW_PFX=198.18.0.64/28
ALLOW_SRC=198.18.0.70
DENY_PFX=198.18.0.128/28
DENY_SRC=198.18.0.130
V6_PFX=2001:db8:0:1::/64
V6_SRCS=(2001:db8:0:1::a 2001:db8:0:1::b)

note() { echo "  $*" >&2; }
# kv FILE KEY: the value of KEY=VALUE in a udpflood output line.
kv() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
# received ADDR: packets udpcount saw from ADDR.
received() { awk -v a="$1" '$1 == a { print $2; f = 1 } END { if (!f) print 0 }' "$NS_TMP/count"; }
# sent ADDR: packets udpflood sent from ADDR in the flood.
sent() { kv "$NS_TMP/flood.$1" sent; }
# fgstat JSON NAME: a reason's packet count from `floodgate stats --json`.
fgstat() { jq -r --arg r "$2" '.reasons[] | select(.reason == $r) | .packets' <<<"$1"; }
# delta NAME: growth of a counter between the snapshots S_BEFORE and S_AFTER.
delta() { echo $(($(fgstat "$S_AFTER" "$1") - $(fgstat "$S_BEFORE" "$1"))); }
no_xdp_on_iface() { ! ip -n "$NS_GW" link show "$IF_GW" | grep -q xdp; }
# within VALUE EXPECTED PCT: |VALUE - EXPECTED| <= PCT% of EXPECTED.
within() { awk -v v="$1" -v e="$2" -v p="$3" 'BEGIN { d = v - e; if (d < 0) d = -d; exit !(d <= e * p / 100) }'; }
# v6_sums: V6SENT, V6GOT: what the v6 sources (one /64) sent and got through.
v6_sums() {
	local a
	V6SENT=0 V6GOT=0
	for a in "${V6_SRCS[@]}"; do
		V6SENT=$((V6SENT + $(sent "$a")))
		V6GOT=$((V6GOT + $(received "$a")))
	done
}
prog_gone() { ! bpftool prog show id "$PROG_ID" >/dev/null 2>&1; }

setup_ns() {
	if ! ns_setup; then
		t_fail setup "could not build the namespace topology"
		t_exit
	fi
	for a in "${L_SRCS[@]}" "$ALLOW_SRC" "$DENY_SRC"; do
		ns_client_addr "$a/24" || { t_fail setup "ip addr add $a"; t_exit; }
	done
	for a in "${V6_SRCS[@]}"; do
		ns_client_addr "$a/64" || { t_fail setup "ip addr add $a"; t_exit; }
	done
}

setup_attach() {
	if [ "$LIMIT_HOOK" = tc ]; then ATTACH_ARGS=(--hook tc); else ATTACH_ARGS=(--xdp-mode native); fi
	if ! out=$(fg_gw attach "$IF_GW" "${ATTACH_ARGS[@]}" --json 2>&1); then
		t_fail attach "floodgate attach $IF_GW ${ATTACH_ARGS[*]}: $out"
		t_exit
	fi
	t_check attach_json "floodgate attach --json: '$out' (want attached $IF_GW, hook ${LIMIT_HOOK:-xdp}, pin_dir)" \
		jq -e --arg i "$IF_GW" --arg h "${LIMIT_HOOK:-xdp}" --arg p "$FG_PIN_DIR" \
		'.attached == $i and .already == false and .hook == $h and .pin_dir == $p' <<<"$out"
	out=$(fg_gw attach "$IF_GW" "${ATTACH_ARGS[@]}" --json 2>&1)
	t_check attach_again_json "a second attach --json: '$out' (want already true)" \
		jq -e '.already == true' <<<"$out"
	out=$(fgate mode --json 2>&1)
	t_check mode_json "floodgate mode --json: '$out' (want enforce)" jq -e '.mode == "enforce"' <<<"$out"
	# status in the gateway namespace: it asks the kernel about the ifindex there.
	STATUS=$(fg_gw status --json)
	PROG_ID=$(jq -r --arg i "$IF_GW" '.interfaces[] | select(.name == $i) | .prog_id' <<<"$STATUS")
	LINK_ID=$(jq -r --arg i "$IF_GW" '.interfaces[] | select(.name == $i) | .link_id' <<<"$STATUS")
	HOOK=$(jq -r --arg i "$IF_GW" '.interfaces[] | select(.name == $i) | .hook' <<<"$STATUS")
	IFINDEX=$(ip netns exec "$NS_GW" cat /sys/class/net/"$IF_GW"/ifindex)
	if [ "$LIMIT_HOOK" = tc ]; then
		if [ "$HOOK" = "tc ingress" ] && [ -n "$PROG_ID" ] && [ "$PROG_ID" != 0 ] &&
			bpftool prog show id "$PROG_ID" | grep -q "name tc_limit" &&
			! ip -n "$NS_GW" link show "$IF_GW" | grep -q xdp; then
			t_ok attach_tc
		else
			t_fail attach_tc "status says hook '$HOOK' prog '$PROG_ID'"
		fi
	elif [ "$HOOK" = "xdp native" ] && [ -n "$PROG_ID" ] && [ "$PROG_ID" != 0 ] &&
		ip -n "$NS_GW" link show "$IF_GW" | grep -q "prog/xdp id $PROG_ID "; then
		t_ok attach_native
	else
		t_fail attach_native "status says hook '$HOOK' prog '$PROG_ID'; ip link: $(ip -n "$NS_GW" link show "$IF_GW" | tr '\n' ' ')"
	fi
}

setup_policies() {
	if fgate limit set 0.0.0.0/0 "$RATE/s" --burst "$BURST" >/dev/null &&
		fgate limit allow "$ALLOW_PFX" >/dev/null && fgate limit deny "$DENY_PFX" >/dev/null &&
		fgate limit set "$V6_PFX" "$RATE/s" --burst "$BURST" >/dev/null; then
		t_ok policies_set
	else
		t_fail policies_set "floodgate limit set/allow/deny failed"
		t_exit
	fi
}

# ARP, NDP and ping from a limited source, at a low rate.
check_low_rate() {
	ip -n "$NS_CLI" neigh flush all
	ip -n "$NS_GW" neigh flush all
	S_BEFORE=$(fgate stats --json)
	p4=$(ns_run "$NS_CLI" ping -n -q -c 10 -i 0.1 -w 5 -I "${L_SRCS[0]}" "$GW4" 2>&1)
	p6=$(ns_run "$NS_CLI" ping -6 -n -q -c 10 -i 0.1 -w 5 -I "${V6_SRCS[0]}" "$GW6" 2>&1)
	S_AFTER=$(fgate stats --json)
	if grep -q ' 10 received' <<<"$p4"; then t_ok ping4_limited_source; else
		t_fail ping4_limited_source "ping ${L_SRCS[0]} -> $GW4: $(tail -2 <<<"$p4" | tr '\n' ' ')"; fi
	if grep -q ' 10 received' <<<"$p6"; then t_ok ping6_limited_source; else
		t_fail ping6_limited_source "ping ${V6_SRCS[0]} -> $GW6: $(tail -2 <<<"$p6" | tr '\n' ' ')"; fi
	n_cli4=$(ip -n "$NS_CLI" neigh show "$GW4" dev "$IF_CLI")
	n_gw4=$(ip -n "$NS_GW" neigh show "${L_SRCS[0]}" dev "$IF_GW")
	n_cli6=$(ip -n "$NS_CLI" neigh show "$GW6" dev "$IF_CLI")
	n_gw6=$(ip -n "$NS_GW" neigh show "${V6_SRCS[0]}" dev "$IF_GW")
	if [[ "$n_cli4" == *lladdr* && "$n_gw4" == *lladdr* ]] && [ "$(delta non_ip)" -gt 0 ]; then
		t_ok arp_resolves
	else
		t_fail arp_resolves "client: '$n_cli4', gateway: '$n_gw4', non_ip passed: $(delta non_ip)"
	fi
	if [[ "$n_cli6" == *lladdr* && "$n_gw6" == *lladdr* ]]; then t_ok ndp_resolves; else
		t_fail ndp_resolves "client: '$n_cli6', gateway: '$n_gw6'"; fi
	d=$(($(jq .drop <<<"$S_AFTER") - $(jq .drop <<<"$S_BEFORE")))
	lp=$(delta limit_pass)
	if [ "$d" = 0 ] && [ "$lp" -ge 20 ]; then t_ok low_rate_not_dropped; else
		t_fail low_rate_not_dropped "drops during pings: $d (want 0); limit_pass: $lp (want >= 20)"; fi
}

# top_shows_limited: $TOP lists each limited v4 source and one /64 entry
# for the v6 sources, and neither the allowed nor the denied source.
top_shows_limited() {
	local a n6
	for a in "${L_SRCS[@]}"; do
		jq -e --arg a "$a" '.sources[] | select(.source == $a or .source == ($a + "/32"))' \
			<<<"$TOP" >/dev/null || return 1
	done
	n6=$(jq '[.sources[] | select(.source | startswith("2001:db8:0:1:"))] | length' <<<"$TOP")
	[ "$n6" = 1 ] && jq -e '.sources[] | select(.source == "2001:db8:0:1::/64")' <<<"$TOP" >/dev/null ||
		return 1
	for a in "$ALLOW_SRC" "$DENY_SRC"; do
		jq -e --arg a "$a" '.sources[] | select(.source | startswith($a))' <<<"$TOP" >/dev/null &&
			return 1
	done
	return 0
}
top_now() { TOP=$(fgate top -n 50 --json); top_shows_limited; }
flood() { # flood SRC DST PPS
	ns_bg "$NS_CLI" "$FG_TOOLS/udpflood" -s "$1" -d "$2" -p "$PORT" -r "$3" \
		-n $(($3 * SECS)) -t $((SECS + 1)) >"$NS_TMP/flood.$1"
	FLOOD_PIDS+=("$NS_LAST_PID")
}

# The traffic: everything at once; the checks after it read what it left
# (the tools' counts, the stats before and after, top during the flood).
setup_flood() {
	# Only UDP leaves the sources now (no ARP or NDP: the neighbours are
	# pinned), so floodgate's counters can be compared with the tools' counts
	# exactly.
	ns_pin_neighbours "${L_SRCS[@]}" "$ALLOW_SRC" "$DENY_SRC" "${V6_SRCS[@]}" ||
		t_fail setup "could not pin the neighbour entries"
	sleep 0.2 # 10 tokens at 200/s refill in 50 ms: every bucket starts full
	S_BEFORE=$(fgate stats --json)
	ns_bg "$NS_GW" "$FG_TOOLS/udpcount" -b "$GW4" -b "$GW6" -p "$PORT" -t $((SECS + 10)) -i 1000 \
		-R "$NS_TMP/ready" >"$NS_TMP/count"
	COUNT_PID=$NS_LAST_PID
	if ! ns_wait_file "$NS_TMP/ready" 5; then
		t_fail receiver "udpcount did not start"
		t_exit
	fi
	FLOOD_PIDS=()
	for a in "${L_SRCS[@]}"; do flood "$a" "$GW4" "$L_PPS"; done
	flood "$ALLOW_SRC" "$GW4" "$O_PPS"
	flood "$DENY_SRC" "$GW4" "$O_PPS"
	for a in "${V6_SRCS[@]}"; do flood "$a" "$GW6" "$O_PPS"; done
	# top while the flood runs: polled until it lists every limited source
	# (their buckets come with their first packets), at most half the flood.
	t_poll $((SECS * 1000 / 2)) top_now
	TOP_OK=$? TOP_MS=$POLL_MS
	for p in "${FLOOD_PIDS[@]}"; do wait "$p"; done
	wait "$COUNT_PID"
	S_AFTER=$(fgate stats --json)

	for a in "${L_SRCS[@]}" "$ALLOW_SRC" "$DENY_SRC" "${V6_SRCS[@]}"; do
		note "$(printf '%-16s %s  received=%s' "$a" "$(cat "$NS_TMP/flood.$a")" "$(received "$a")")"
	done
	note "receiver: $(grep '^#' "$NS_TMP/count")"
	note "veth client tx: $(ip -n "$NS_CLI" -s link show "$IF_CLI" | sed -n '/TX:/{n;p}' | xargs)"
	note "veth gateway rx: $(ip -n "$NS_GW" -s link show "$IF_GW" | sed -n '/RX:/{n;p}' | xargs)"

	SOCK_DROPS=$(sed -n 's/.*sock_drops=\([0-9]*\).*/\1/p' "$NS_TMP/count")
	t_check receiver_no_socket_drops "udpcount's sockets dropped $SOCK_DROPS packets: counts are short" \
		[ "${SOCK_DROPS:-x}" = 0 ]
}

# Three limited sources, concurrently.
check_limited_sources() {
	first="" last=""
	for a in "${L_SRCS[@]}"; do
		s=$(kv "$NS_TMP/flood.$a" start)
		first=$(awk -v a="$s" -v b="${first:-$s}" 'BEGIN { print (a < b ? a : b) }')
		last=$(awk -v a="$s" -v b="${last:-$s}" 'BEGIN { print (a > b ? a : b) }')
	done
	if awk -v f="$first" -v l="$last" 'BEGIN { exit !(l - f < 0.5) }'; then t_ok limited_sources_concurrent; else
		t_fail limited_sources_concurrent "senders started $first .. $last"; fi
	for a in "${L_SRCS[@]}"; do
		f=$NS_TMP/flood.$a
		sent=$(kv "$f" sent) el=$(kv "$f" elapsed) pps=$(kv "$f" pps)
		if awk -v p="$pps" -v r="$RATE" -v e="$el" -v s="$SECS" \
			'BEGIN { exit !(p >= 5 * r && e >= s - 1) }'; then
			t_ok "offered_5x_$a"
		else
			t_fail "offered_5x_$a" "sent $sent in ${el}s = $pps pps, want >= $((5 * RATE)) pps for ~${SECS}s"
		fi
		exp=$(awk -v r="$RATE" -v e="$el" -v b="$BURST" 'BEGIN { printf "%.0f", r * e + b }')
		got=$(received "$a")
		note "$a: received $got, expected $exp (${RATE}/s x ${el}s + $BURST) +-$TOL%"
		if within "$got" "$exp" "$TOL"; then t_ok "limit_$a"; else
			t_fail "limit_$a" "received $got, expected $exp +-$TOL% (${RATE}/s x ${el}s + burst $BURST)"; fi
	done
}

# IPv6: two sources in one /64 share one bucket.
check_ipv6_bucket() {
	first="" last=""
	for a in "${V6_SRCS[@]}"; do
		s=$(kv "$NS_TMP/flood.$a" start) e=$(kv "$NS_TMP/flood.$a" end)
		first=$(awk -v a="$s" -v b="${first:-$s}" 'BEGIN { print (a < b ? a : b) }')
		last=$(awk -v a="$e" -v b="${last:-$e}" 'BEGIN { print (a > b ? a : b) }')
	done
	v6_sums
	exp=$(awk -v r="$RATE" -v f="$first" -v l="$last" -v b="$BURST" 'BEGIN { printf "%.0f", r * (l - f) + b }')
	note "$V6_PFX: received $V6GOT of $V6SENT from ${#V6_SRCS[@]} sources, expected $exp (one shared bucket)"
	if [ "$V6SENT" -ge $((5 * RATE * (SECS - 1))) ] && within "$V6GOT" "$exp" "$TOL"; then
		t_ok ipv6_one_bucket_per_64
	else
		t_fail ipv6_one_bucket_per_64 "received $V6GOT of $V6SENT, expected $exp +-$TOL% for one shared bucket"
	fi
}

# floodgate top while the flood ran: the three v4 sources and one /64 entry.
check_top() {
	tops=$(jq -r '.sources[].source' <<<"$TOP" 2>/dev/null | tr '\n' ' ')
	note "top during the flood: $tops"
	if [ $TOP_OK = 0 ]; then t_ok top_shows_limited_sources; else
		t_fail top_shows_limited_sources "top after $TOP_MS ms: $tops"; fi
}

# The allowed prefix passes everything.
check_allow() {
	sent=$(sent "$ALLOW_SRC")
	got=$(received "$ALLOW_SRC")
	if [ "$sent" -ge $((5 * RATE * (SECS - 1))) ] && [ "$got" = "$sent" ]; then t_ok allow_passes_all; else
		t_fail allow_passes_all "$ALLOW_SRC in $ALLOW_PFX: sent $sent, received $got"; fi
}

# The denied prefix passes nothing.
check_deny() {
	sent=$(sent "$DENY_SRC")
	got=$(received "$DENY_SRC")
	if [ "$sent" -gt 0 ] && [ "$got" = 0 ]; then t_ok deny_passes_none; else
		t_fail deny_passes_none "$DENY_SRC in $DENY_PFX: sent $sent, received $got"; fi
}

# floodgate's own counters agree with what was sent and received.
check_counters() {
	note "counter deltas: limit_pass=$(delta limit_pass) limit_drop=$(delta limit_drop)" \
		"contention=$(delta contention) allow=$(delta allow) deny=$(delta deny)" \
		"no_policy=$(delta no_policy) non_ip=$(delta non_ip)"
	sent=$(sent "$DENY_SRC")
	t_check counter_deny_equals_sent "deny counter grew $(delta deny), denied source sent $sent" \
		[ "$(delta deny)" = "$sent" ]
	sent=$(sent "$ALLOW_SRC")
	t_check counter_allow_equals_sent "allow counter grew $(delta allow), allowed source sent $sent" \
		[ "$(delta allow)" = "$sent" ]
	v6_sums
	lsent=$V6SENT lgot=$V6GOT
	for a in "${L_SRCS[@]}"; do
		lsent=$((lsent + $(sent "$a")))
		lgot=$((lgot + $(received "$a")))
	done
	lp=$(delta limit_pass) ld=$(delta limit_drop) lc=$(delta contention)
	t_check counter_limit_drop "limit_drop grew $ld, want > 0" [ "$ld" -gt 0 ]
	t_check counter_limit_pass_equals_received \
		"limit_pass grew $lp, the receiver got $lgot from the limited sources" [ "$lp" = "$lgot" ]
	t_check counter_limited_total_equals_sent \
		"limit_pass $lp + limit_drop $ld + contention $lc != $lsent sent by the limited sources" \
		[ $((lp + ld + lc)) = "$lsent" ]
}

# One writer at a time: a CLI write waits for the pin-dir lock. Another
# writer (here flock(1), as floodgated's tick or another CLI would) holds
# the lock: a policy write must wait, not interleave, then go through.
check_lock() {
	LOCKED=$NS_TMP/locked
	flock -x "$FG_PIN_DIR" sh -c "touch '$LOCKED'; sleep 2" &
	HOLD_PID=$!
	NS_PIDS+=("$HOLD_PID")
	t_poll 2000 test -e "$LOCKED"
	timeout 0.5 "$FG" limit set 198.18.9.0/24 1/s --pin-dir "$FG_PIN_DIR" >/dev/null 2>&1
	rc=$?
	during=$(fgate limit list --json | jq -r '[.policies[] | .prefix] | index("198.18.9.0/24") != null')
	wait "$HOLD_PID"
	out=$(timeout 5 "$FG" limit set 198.18.9.0/24 1/s --pin-dir "$FG_PIN_DIR" 2>&1)
	rc2=$?
	after=$(fgate limit list --json | jq -r '[.policies[] | .prefix] | index("198.18.9.0/24") != null')
	{ [ $rc = 124 ] && [ "$during" = false ] && [ $rc2 = 0 ] && [ "$after" = true ]; }
	t_is $? cli_waits_for_the_lock "while another writer held the lock: limit set exit $rc (want 124: still waiting after 0.5 s), policy in the map: $during (want false); after: exit $rc2 ($out), in the map: $after (want 0, true)"
	fgate limit del 198.18.9.0/24 >/dev/null
}

# Detach leaves nothing behind, and the denied source gets through again.
check_detach() {
	out=$(fg_gw detach "$IF_GW" --json 2>&1)
	t_check detach "floodgate detach --json: '$out' (want detached $IF_GW, pins_removed)" \
		jq -e --arg i "$IF_GW" '.detached == $i and .pins_removed == true' <<<"$out"
	t_check detach_no_pins "pin dir $FG_PIN_DIR still there: $(ls "$FG_PIN_DIR" 2>&1 | tr '\n' ' ')" \
		[ ! -e "$FG_PIN_DIR" ]
	links=$(bpftool -j link show | jq --arg l "$LINK_ID" --argjson i "$IFINDEX" \
		'[.[] | select((.id | tostring) == $l or (.type == "xdp" and .ifindex == $i and .prog_id == '"$PROG_ID"'))] | length')
	t_check detach_no_link "bpftool link show still lists link $LINK_ID (ifindex $IFINDEX)" [ "$links" = 0 ]
	t_check detach_no_xdp_on_iface "ip link: $(ip -n "$NS_GW" link show "$IF_GW" | tr '\n' ' ')" \
		no_xdp_on_iface
	# The program is freed after an RCU grace period.
	t_poll 5000 prog_gone
	t_is $? detach_prog_gone "program id $PROG_ID still in bpftool prog show after $POLL_MS ms"

	# With floodgate gone, the denied source gets through again.
	ns_bg "$NS_GW" "$FG_TOOLS/udpcount" -b "$GW4" -p "$PORT" -t 5 -i 500 -R "$NS_TMP/ready2" \
		>"$NS_TMP/count"
	COUNT_PID=$NS_LAST_PID
	if ns_wait_file "$NS_TMP/ready2" 5; then
		ns_run "$NS_CLI" "$FG_TOOLS/udpflood" -s "$DENY_SRC" -d "$GW4" -p "$PORT" -r 1000 -n 200 \
			-t 2 >"$NS_TMP/flood.after"
		wait "$COUNT_PID"
	fi
	sent=$(kv "$NS_TMP/flood.after" sent)
	got=$(received "$DENY_SRC")
	if [ "${sent:-x}" = 200 ] && [ "$got" = 200 ]; then t_ok detach_restores_traffic; else
		t_fail detach_restores_traffic "after detach $DENY_SRC sent ${sent:-?}, received $got"; fi
}

# Foreign pins: another version's maps under our names are refused. A
# config map of 32-byte values (not this version's 48) where the pins go;
# the cleanup removes the pin dir whatever happens.
check_foreign_pins() {
	mkdir -p "$FG_PIN_DIR"
	bpftool map create "$FG_PIN_DIR/config" type array key 4 value 32 entries 1 name config
	out=$(fgate status 2>&1)
	rc=$?
	{ [ $rc != 0 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
		[[ "$out" == *"pinned map 'config' is not this version's (value size 32, expected 48)"* ]]; }
	t_is $? foreign_pins_status_refused "floodgate status on foreign pins: exit $rc, '$out' (want non-zero, one line naming the map and the sizes)"
	out=$(fgate limit set 198.18.0.0/24 10/s 2>&1)
	rc=$?
	left=$(ls "$FG_PIN_DIR" | tr '\n' ' ')
	{ [ $rc != 0 ] && [ "$left" = "config " ]; }
	t_is $? foreign_pins_nothing_written "floodgate limit set on foreign pins: exit $rc, '$out'; pin dir now: $left (want non-zero, only the foreign config)"
	out=$(fg_gw attach "$IF_GW" ${FG_LIMIT_HOOK:+--hook "$FG_LIMIT_HOOK"} 2>&1)
	rc=$?
	xdp=$(ip -n "$NS_GW" link show "$IF_GW" | grep -c 'prog/xdp')
	{ [ $rc != 0 ] && [[ "$out" == *"not this version's"* ]] && [ "$xdp" = 0 ] && [ "$(ls "$FG_PIN_DIR" | tr '\n' ' ')" = "config " ]; }
	t_is $? foreign_pins_attach_refused "floodgate attach on foreign pins: exit $rc, '$out'; XDP on $IF_GW: $xdp; pin dir: $(ls "$FG_PIN_DIR" | tr '\n' ' ') (want refused, nothing attached or pinned)"
	rm -f -- "$FG_PIN_DIR/config"
}

# step                  | needs                    | checks it reports
CHECKS=(
	"setup_ns              |                          | setup"
	"setup_attach          | setup_ns                 | attach attach_json attach_again_json mode_json $ATTACH_CHECK"
	"setup_policies        | setup_attach             | policies_set"
	"check_low_rate        | setup_policies           | ping4_limited_source ping6_limited_source arp_resolves ndp_resolves low_rate_not_dropped"
	"setup_flood           | setup_policies           | setup receiver receiver_no_socket_drops"
	"check_limited_sources | setup_flood              | limited_sources_concurrent ${L_SRCS[*]/#/offered_5x_} ${L_SRCS[*]/#/limit_}"
	"check_ipv6_bucket     | setup_flood              | ipv6_one_bucket_per_64"
	"check_top             | setup_flood              | top_shows_limited_sources"
	"check_allow           | setup_flood              | allow_passes_all"
	"check_deny            | setup_flood              | deny_passes_none"
	"check_counters        | setup_flood              | counter_deny_equals_sent counter_allow_equals_sent counter_limit_drop counter_limit_pass_equals_received counter_limited_total_equals_sent"
	"check_lock            | setup_attach             | cli_waits_for_the_lock"
	"check_detach          | setup_policies           | detach detach_no_pins detach_no_link detach_no_xdp_on_iface detach_prog_gone detach_restores_traffic"
	"check_foreign_pins    | check_detach             | foreign_pins_status_refused foreign_pins_nothing_written foreign_pins_attach_refused"
)
t_run
