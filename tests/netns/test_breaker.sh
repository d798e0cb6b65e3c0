#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# Circuit breakers with real TCP connections through a forwarding gateway.
#
#   client ns                 gateway ns (ip_forward=1)               upstream ns
#   $IF_C 198.18.1.2 ── veth ── $IF_GC 198.18.1.1 | $IF_GU 198.18.2.1 ── veth ── $IF_U 198.18.2.10
#         2001:db8:1::2          2001:db8:1::1     | 2001:db8:2::1             2001:db8:2::10
#                                XDP (--no-tc)      | XDP + TC ingress/egress   http_upstream.py :80
#                                                                              (nothing on :81)
# floodgate is attached in the gateway on both veths with one pin dir (shared
# maps). Upstreams: web 198.18.2.10:80, web6 [2001:db8:2::10]:80, closed
# 198.18.2.10:81 (refused by the upstream's own stack).
#
# The client's veth runs an XDP_PASS program. It stands in for the wire of a
# NIC: on veth, a frame sent back with XDP_TX is delivered only when the peer
# veth runs XDP itself (without, the kernel counts it in xdp_tx_errors, or with
# GRO on leaves it in the peer's ring until other traffic flushes it), so the
# client would never see floodgate's RST.
#
# Checks:
#  1. forced open, reject reset: connect() from the client (forwarded, XDP) and
#     from the gateway (local, TC egress) fails with ECONNREFUSED in < 50 ms,
#     IPv4 and IPv6; nothing reaches the upstream; floodgate's own RST is not
#     counted as the upstream refusing. With XDP detached from the client side,
#     TC egress refuses a forwarded SYN as fast (its RST is routed back).
#  5. staleness: a breaker the daemon opened (not forced) passes traffic while
#     the heartbeat is stale, refuses with a fresh heartbeat; a forced open one
#     refuses with a stale heartbeat.
#  6. a probe connection carrying the probe mark reaches the forced-open
#     upstream from the gateway; an unmarked one is refused.
#  1b/2. forced open, reject drop: connect() times out (1.5 s bound) instead of
#     being refused, and not one packet reaches the upstream (nft counter there).
#  3. close: an HTTP GET gets 200 again.
#  4. a known mix of 200/404/429/503 answers and refused connects: the
#     upstream counters equal exactly what the clients saw.
#  7. detach both interfaces: no pins, links or XDP left.
# The steps and what each needs: CHECKS at the bottom.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$HERE/../lib/proc.sh"
. "$HERE/../lib/gateway.sh"

TAG=fgbk$$
gw_names "$TAG"
PIN=/sys/fs/bpf/fgbrk-$$
PORT=80
CLOSED_PORT=81
PROBE_MARK=0x464c4447 # FG_PROBE_MARK_DEFAULT
FAST_MS=50            # a refused connect must fail faster than this
DROP_WAIT_MS=1500     # connect timeout while a drop breaker swallows SYNs

HB=$FG_TOOLS/breaker_heartbeat
TMP=""
SRV_PID=""

note() { echo "  $*" >&2; }

# Stop the HTTP server we started (by PID, only while it is our child).
stop_server() {
	stop_pid "$SRV_PID"
	SRV_PID=""
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_server
	gw_detach
	gw_teardown
	[ -n "$TMP" ] && rm -rf -- "$TMP"
	return $rc
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
# floodgate attach/detach in the gateway namespace (nsenter keeps /sys/fs/bpf).
fgw() { nsenter --net=/run/netns/"$NS_G" "$FG" "$@" --pin-dir "$PIN"; }
# floodgate commands that only need the pins.
fgate() { "$FG" "$@" --pin-dir "$PIN"; }

# kv LINE KEY: the value of KEY=VALUE in a tool's output line.
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
# ct NS ARGS...: one connect_time measurement from namespace NS.
ct() {
	local ns=$1
	shift
	in_ns "$ns" "$CT" "$@" 2>&1
}
# get NS URL-HOST: HTTP/1.0 GET with curl; prints the status code (000: none).
get() {
	in_ns "$1" curl -s -o /dev/null -w '%{http_code}' --http1.0 -H 'Connection: close' \
		--connect-timeout 2 --max-time 3 "http://$2:$PORT/"
}
# ucount JSON NAME COUNTER: one upstream counter from `upstream list --json`.
ucount() { jq -r --arg n "$2" --arg c "$3" '.upstreams[] | select(.name == $n) | .counters[$c]' <<<"$1"; }
ufield() { jq -r --arg n "$2" --arg f "$3" '.upstreams[] | select(.name == $n) | .[$f]' <<<"$1"; }
# udelta NAME COUNTER: growth between the snapshots U_BEFORE and U_AFTER.
udelta() { echo $(($(ucount "$U_AFTER" "$1" "$2") - $(ucount "$U_BEFORE" "$1" "$2"))); }
# SYN packets (to port 80) that reached the upstream namespace: nft counter there.
upstream_syns() {
	in_ns "$NS_U" nft -j list counter inet "$TAG" syn80 | jq '.nftables[] | select(.counter) | .counter.packets'
}
requests() { wc -l <"$TMP/requests" | tr -d ' '; }
# fast_refused LINE: connect_time said refused (ECONNREFUSED) in under FAST_MS.
fast_refused() {
	[ "$(kv "$1" result)" = refused ] && [ "$(kv "$1" errno)" = ECONNREFUSED ] &&
		awk -v m="$(kv "$1" ms)" -v l="$FAST_MS" 'BEGIN { exit !(m < l) }'
}
# timed_out LINE: connect_time gave up after the full DROP_WAIT_MS, not refused.
timed_out() {
	[ "$(kv "$1" result)" = timeout ] &&
		awk -v m="$(kv "$1" ms)" -v l="$DROP_WAIT_MS" 'BEGIN { exit !(m >= l - 1) }'
}
# veth's own XDP_TX counters on the gateway's client-facing end.
xdp_tx() { in_ns "$NS_G" ethtool -S "$IF_GC" | awk '$1 == "rx_queue_0_xdp_tx:" { print $2 }'; }
xdp_tx_errors() { in_ns "$NS_G" ethtool -S "$IF_GC" | awk '$1 == "rx_queue_0_xdp_tx_errors:" { print $2 }'; }
link_id() { bpftool -j link show pinned "$PIN/$1" 2>/dev/null | jq -r .id; }

setup() {
	local x
	for x in "$FG" "$CT" "$HB" "$SRV" "$PY" "$XDP_PASS_OBJ"; do
		[ -e "$x" ] || { echo "missing $x (run make)" >&2; return 1; }
	done
	for x in curl jq nft bpftool nsenter ethtool; do
		command -v "$x" >/dev/null || { echo "missing $x (make deps)" >&2; return 1; }
	done
	TMP=$(mktemp -d /tmp/fgbrk.XXXXXX) || return 1
	# The client end receives XDP_TX frames only with XDP of its own (see top).
	gw_setup v6 xdp-pass "$XDP_PASS_OBJ" || return 1
	# Count every SYN to port 80 that enters the upstream namespace.
	in_ns "$NS_U" nft -f - <<-EOF || return 1
		table inet $TAG {
			counter syn80 { }
			chain pre {
				type filter hook prerouting priority -300; policy accept;
				tcp dport $PORT tcp flags & (syn | ack) == syn counter name syn80
			}
		}
	EOF
	echo 200 >"$TMP/status"
	gw_http SRV_PID :: "$TMP/status" "$TMP/requests" || return 1
	# Resolve neighbours before anything is measured.
	in_ns "$NS_C" ping -c 1 -W 2 -q "$U4" >/dev/null && in_ns "$NS_C" ping -6 -c 1 -W 2 -q "$U6" >/dev/null ||
		{ echo "no route client -> upstream" >&2; return 1; }
}

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
T_START=$SECONDS
GONE_LINK="" # the client side's XDP link that check_reset_tc_only detached

check_counter() { # NAME UPSTREAM COUNTER EXPECTED
	local d
	d=$(udelta "$2" "$3")
	t_check "$1" "$2 $3 grew $d, the clients saw $4" [ "$d" = "$4" ]
}
# links_left: LEFT, those of LINKS still there (they go after their last
# reference, asynchronously).
links_left() {
	local l
	LEFT=""
	for l in $LINKS; do bpftool link show id "$l" >/dev/null 2>&1 && LEFT="$LEFT $l"; done
	[ -z "$LEFT" ]
}

setup_topology() {
	if ! setup; then
		t_fail setup "could not build the three-namespace topology"
		t_exit
	fi
}

# XDP on the client side, XDP + TC on the upstream side.
setup_attach() {
	if out=$(fgw attach "$IF_GC" --no-tc 2>&1) && out2=$(fgw attach "$IF_GU" 2>&1); then
		t_ok attach
	else
		t_fail attach "$out ${out2:-}"
		t_exit
	fi
	LINKS=""
	for l in "link_xdp_$IF_GC" "link_xdp_$IF_GU" "link_tcx_in_$IF_GU" "link_tcx_eg_$IF_GU"; do
		LINKS="$LINKS $(link_id "$l")"
	done
	note "link ids:$LINKS"
}

setup_upstreams() {
	if fgate upstream add web "$U4:$PORT" --reject reset >/dev/null &&
		fgate upstream add web6 "[$U6]:$PORT" --reject reset >/dev/null &&
		fgate upstream add closed "$U4:$CLOSED_PORT" >/dev/null; then
		t_ok upstreams_added
	else
		t_fail upstreams_added "floodgate upstream add failed"
		t_exit
	fi
}

# Breakers closed: traffic flows both ways.
check_closed_passes() {
	c=$(get "$NS_C" "$U4") c6=$(get "$NS_C" "[$U6]") g=$(ct "$NS_G" -g "$U4" "$PORT")
	if [ "$c" = 200 ] && [ "$c6" = 200 ] && [ "$(kv "$g" status)" = 200 ]; then
		t_ok closed_passes
	else
		t_fail closed_passes "GET from client: v4 $c v6 $c6; from gateway: $g"
	fi
}

# 1. Forced open, reject reset: refused at once.
check_reset() {
	out=$(fgate upstream open web --json 2>&1)
	t_check force_open_json "upstream open web --json: '$out' (want name web, state open, forced, via map)" \
		jq -e '.name == "web" and .state == "open" and .forced == true and .via == "map"' <<<"$out"
	fgate upstream open web6 >/dev/null || t_fail force_open "floodgate upstream open web6 failed"
	U_BEFORE=$(fgate upstream list --json)
	SYN_BEFORE=$(upstream_syns) REQ_BEFORE=$(requests)
	TX_BEFORE=$(xdp_tx) TXERR_BEFORE=$(xdp_tx_errors)
	r_c4=$(ct "$NS_C" "$U4" "$PORT")
	r_g4=$(ct "$NS_G" "$U4" "$PORT")
	r_c6=$(ct "$NS_C" "$U6" "$PORT")
	r_g6=$(ct "$NS_G" "$U6" "$PORT")
	U_AFTER=$(fgate upstream list --json)
	note "reset, client v4:  $r_c4"
	note "reset, gateway v4: $r_g4"
	note "reset, client v6:  $r_c6"
	note "reset, gateway v6: $r_g6"
	t_check reset_forwarded_v4_refused_fast "client -> $U4:$PORT: $r_c4 (want refused, < $FAST_MS ms)" fast_refused "$r_c4"
	t_check reset_local_v4_refused_fast "gateway -> $U4:$PORT: $r_g4 (want refused, < $FAST_MS ms)" fast_refused "$r_g4"
	t_check reset_forwarded_v6_refused_fast "client -> [$U6]:$PORT: $r_c6 (want refused, < $FAST_MS ms)" fast_refused "$r_c6"
	t_check reset_local_v6_refused_fast "gateway -> [$U6]:$PORT: $r_g6 (want refused, < $FAST_MS ms)" fast_refused "$r_g6"
	d_syn=$(($(upstream_syns) - SYN_BEFORE)) d_req=$(($(requests) - REQ_BEFORE))
	t_check reset_nothing_reaches_upstream "SYNs at the upstream: $d_syn, requests: $d_req (want 0)" \
		[ "$d_syn" = 0 -a "$d_req" = 0 ]
	rs=$(udelta web resets_sent) rj=$(udelta web rejected) rs6=$(udelta web6 resets_sent) rj6=$(udelta web6 rejected)
	t_check reset_counters "web: resets_sent +$rs rejected +$rj; web6: +$rs6 +$rj6 (want 2 each)" \
		[ "$rs$rj$rs6$rj6" = 2222 ]
	# floodgate's own RST, turned back to the gateway's stack, is no refusal by the
	# upstream; and no SYN left for it.
	o=$(($(udelta web syn) + $(udelta web rst) + $(udelta web6 syn) + $(udelta web6 rst)))
	t_check reset_not_observed_as_upstream "syn + rst of web and web6 grew $o (want 0)" [ "$o" = 0 ]
	tx=$(($(xdp_tx) - TX_BEFORE)) txerr=$(($(xdp_tx_errors) - TXERR_BEFORE))
	t_check reset_xdp_tx_sent "$IF_GC xdp_tx +$tx (want 2: the client's v4 and v6 SYN), xdp_tx_errors +$txerr (want 0)" \
		[ "$tx" = 2 -a "$txerr" = 0 ]
}

# Forwarded, without XDP on the client side: TC egress on the upstream side
# refuses the SYN too, and the gateway routes its RST back to the client.
check_reset_tc_only() {
	GONE_LINK=$(link_id "link_xdp_$IF_GC")
	if out=$(fgw detach "$IF_GC" 2>&1); then
		r_tc=$(ct "$NS_C" "$U4" "$PORT")
		note "reset, client v4, TC egress only: $r_tc"
		t_check reset_forwarded_tc_only_refused_fast "client -> $U4:$PORT with XDP detached from $IF_GC: $r_tc (want refused, < $FAST_MS ms)" \
			fast_refused "$r_tc"
		out=$(fgw attach "$IF_GC" --no-tc 2>&1) || t_fail reattach "$out"
	else
		t_fail reset_forwarded_tc_only_refused_fast "detach $IF_GC: $out"
	fi
}

# 5. The staleness guard.
check_stale() {
	# Without a daemon the CLI's auto is the daemon's: the breaker handed back
	# closed (fg_entry_force), not left in the forced state.
	fgate upstream open web >/dev/null && out=$(fgate upstream auto web --json 2>&1)
	t_check cli_auto_as_the_daemon "upstream open then auto web --json: '$out' (want closed, not forced, via map)" \
		jq -e '.state == "closed" and .forced == false and .via == "map"' <<<"$out"
	# A breaker the daemon opened (open, not forced; breaker_heartbeat stands in
	# for it). No daemon runs, the heartbeat is 0: stale, so it must pass traffic.
	"$HB" "$PIN" set web open || t_fail stale_setup "breaker_heartbeat set web open failed"
	hb=$("$HB" "$PIN" zero)
	L=$(fgate upstream list --json)
	note "config: $hb"
	if [ "$(ufield "$L" web state)" = open ] && [ "$(ufield "$L" web forced)" = false ] &&
		[ "$(jq -r .controller_stale <<<"$L")" = true ] && [ "$(ufield "$L" web effective_closed)" = true ]; then
		t_ok stale_state_listed
	else
		t_fail stale_state_listed "list: $(jq -c '{controller_stale, web: (.upstreams[] | select(.name == "web") | {state, forced, effective_closed})}' <<<"$L")"
	fi
	U_BEFORE=$L
	c=$(get "$NS_C" "$U4")
	g=$(ct "$NS_G" -g "$U4" "$PORT")
	U_AFTER=$(fgate upstream list --json)
	t_check stale_auto_open_passes_forwarded "GET from client: $c (want 200: stale heartbeat fails open)" [ "$c" = 200 ]
	t_check stale_auto_open_passes_local "gateway: $g (want status=200)" [ "$(kv "$g" status)" = 200 ]
	sp=$(udelta web stale_pass) rj=$(udelta web rejected)
	t_check stale_pass_counted "stale_pass +$sp (want > 0), rejected +$rj (want 0)" [ "$sp" -gt 0 -a "$rj" = 0 ]
}

# A fresh heartbeat: the daemon's open breaker is enforced again.
check_fresh_heartbeat() {
	"$HB" "$PIN" now >/dev/null && r_c=$(ct "$NS_C" "$U4" "$PORT")
	"$HB" "$PIN" now >/dev/null && r_g=$(ct "$NS_G" "$U4" "$PORT")
	note "fresh heartbeat, auto open: client $r_c; gateway $r_g"
	t_check fresh_heartbeat_enforces_forwarded "client: $r_c (want refused, < $FAST_MS ms)" fast_refused "$r_c"
	t_check fresh_heartbeat_enforces_local "gateway: $r_g (want refused, < $FAST_MS ms)" fast_refused "$r_g"
}

# Forced open holds whatever the heartbeat says.
check_stale_forced() {
	"$HB" "$PIN" zero >/dev/null
	fgate upstream open web >/dev/null
	r_c=$(ct "$NS_C" "$U4" "$PORT")
	r_g=$(ct "$NS_G" "$U4" "$PORT")
	t_check stale_forced_open_refuses_forwarded "client: $r_c (want refused, < $FAST_MS ms)" fast_refused "$r_c"
	t_check stale_forced_open_refuses_local "gateway: $r_g (want refused, < $FAST_MS ms)" fast_refused "$r_g"
}

# 6. The controller's probes pass an open breaker.
check_probe() {
	mark=$(kv "$("$HB" "$PIN" show)" probe_mark)
	t_check probe_mark_configured "config probe_mark $mark, want $PROBE_MARK" [ "$((mark))" = "$((PROBE_MARK))" ]
	U_BEFORE=$(fgate upstream list --json)
	REQ_BEFORE=$(requests)
	p=$(ct "$NS_G" -m "$PROBE_MARK" -g "$U4" "$PORT")
	p6=$(ct "$NS_G" -m "$PROBE_MARK" -g "$U6" "$PORT")
	u=$(ct "$NS_G" "$U4" "$PORT")
	U_AFTER=$(fgate upstream list --json)
	note "probe (marked): v4 $p; v6 $p6; unmarked: $u"
	t_check probe_reaches_open_upstream "marked connect to $U4:$PORT: $p (want ok, status=200)" \
		[ "$(kv "$p" result)" = ok -a "$(kv "$p" status)" = 200 ]
	t_check probe_reaches_open_upstream_v6 "marked connect to [$U6]:$PORT: $p6 (want ok, status=200)" \
		[ "$(kv "$p6" result)" = ok -a "$(kv "$p6" status)" = 200 ]
	t_check unmarked_refused "unmarked connect: $u (want refused, < $FAST_MS ms)" fast_refused "$u"
	pr=$(udelta web probes) d_req=$(($(requests) - REQ_BEFORE))
	t_check probe_counted "probes +$pr (want > 0), upstream requests +$d_req (want 2)" \
		[ "$pr" -gt 0 -a "$d_req" = 2 ]
}

# 1b, 2. Forced open, reject drop: SYNs vanish, connect waits.
check_drop() {
	fgate upstream del web >/dev/null && fgate upstream add web "$U4:$PORT" --reject drop >/dev/null &&
		fgate upstream open web >/dev/null || t_fail drop_setup "could not re-add web with --reject drop"
	U_BEFORE=$(fgate upstream list --json)
	SYN_BEFORE=$(upstream_syns) REQ_BEFORE=$(requests)
	ct "$NS_C" -t "$DROP_WAIT_MS" "$U4" "$PORT" >"$TMP/drop_c" &
	CT_PID=$!
	r_g=$(ct "$NS_G" -t "$DROP_WAIT_MS" "$U4" "$PORT")
	wait "$CT_PID"
	r_c=$(cat "$TMP/drop_c")
	U_AFTER=$(fgate upstream list --json)
	note "drop, client:  $r_c"
	note "drop, gateway: $r_g"
	t_check drop_forwarded_times_out "client: $r_c (want timeout after $DROP_WAIT_MS ms, not refused)" timed_out "$r_c"
	t_check drop_local_times_out "gateway: $r_g (want timeout after $DROP_WAIT_MS ms, not refused)" timed_out "$r_g"
	d_syn=$(($(upstream_syns) - SYN_BEFORE)) d_req=$(($(requests) - REQ_BEFORE))
	rj=$(udelta web rejected) rs=$(udelta web resets_sent)
	note "drop: rejected +$rj (SYNs incl. retransmits), resets_sent +$rs, SYNs at upstream +$d_syn"
	t_check drop_nothing_reaches_upstream "SYNs at the upstream: $d_syn, requests: $d_req (want 0)" \
		[ "$d_syn" = 0 -a "$d_req" = 0 ]
	t_check drop_counters "rejected +$rj (want >= 2: one connect each side), resets_sent +$rs (want 0)" \
		[ "$rj" -ge 2 -a "$rs" = 0 ]
}

# 3. Close: traffic flows again.
check_close() {
	fgate upstream close web >/dev/null && fgate upstream close web6 >/dev/null
	c=$(get "$NS_C" "$U4") c6=$(get "$NS_C" "[$U6]") g=$(ct "$NS_G" -g "$U4" "$PORT")
	t_check close_restores_traffic "after close: client GET v4 $c, v6 $c6; gateway $g (want 200)" \
		[ "$c" = 200 -a "$c6" = 200 -a "$(kv "$g" status)" = 200 ]
}

# 4. Counters match what the clients saw. One connection per request
# (HTTP/1.0, Connection: close). Distinct counts per status so a swapped
# class shows.
check_mix() {
	declare -A seen=([200]=0 [404]=0 [429]=0 [503]=0 [000]=0)
	N_CONN=0 N_CONNECTED=0 N_REFUSED=0 N_CLOSED=0
	U_BEFORE=$(fgate upstream list --json)
	REQ_BEFORE=$(requests) SYN_BEFORE=$(upstream_syns)
	for plan in 200:3 404:2 429:2 503:4; do
		echo "${plan%:*}" >"$TMP/status"
		for ((i = 0; i < ${plan#*:}; i++)); do
			s=$(get "$NS_C" "$U4")
			seen[$s]=$((${seen[$s]:-0} + 1))
			N_CONN=$((N_CONN + 1))
			[ "$s" != 000 ] && N_CONNECTED=$((N_CONNECTED + 1))
		done
	done
	# Two from the gateway itself (answered 503): the same counters, via TC only.
	for ((i = 0; i < 2; i++)); do
		g=$(ct "$NS_G" -g "$U4" "$PORT")
		s=$(kv "$g" status)
		seen[$s]=$((${seen[$s]:-0} + 1))
		N_CONN=$((N_CONN + 1))
		[ "$(kv "$g" result)" = ok ] && N_CONNECTED=$((N_CONNECTED + 1))
	done
	echo 200 >"$TMP/status"
	for ((i = 0; i < 5; i++)); do
		r=$(ct "$NS_C" "$U4" "$CLOSED_PORT")
		N_CLOSED=$((N_CLOSED + 1))
		[ "$(kv "$r" result)" = refused ] && N_REFUSED=$((N_REFUSED + 1))
	done
	U_AFTER=$(fgate upstream list --json)
	d_req=$(($(requests) - REQ_BEFORE)) d_syn=$(($(upstream_syns) - SYN_BEFORE))
	note "clients saw: ${N_CONN} connects to web, ${N_CONNECTED} connected; 200 x${seen[200]}," \
		"404 x${seen[404]}, 429 x${seen[429]}, 503 x${seen[503]}, none x${seen[000]};" \
		"$N_CLOSED connects to :$CLOSED_PORT, $N_REFUSED refused; server logged $d_req requests"
	note "gateway counted (web): $(jq -c '.upstreams[] | select(.name == "web") | .counters' <<<"$U_AFTER")"
	note "gateway counted (closed): $(jq -c '.upstreams[] | select(.name == "closed") | .counters' <<<"$U_AFTER")"
	t_check mix_clients_got_answers "client statuses 200 x${seen[200]} 404 x${seen[404]} 429 x${seen[429]} 503 x${seen[503]} (want 3 2 2 6), refused $N_REFUSED/5, server logged $d_req (want 13)" \
		[ "${seen[200]} ${seen[404]} ${seen[429]} ${seen[503]} ${seen[000]} $N_REFUSED $d_req" = "3 2 2 6 0 5 13" ]
	# The upstream's SYN counter that shows "nothing reached it" above does count.
	t_check upstream_syn_counter_counts "SYNs to :$PORT counted at the upstream: $d_syn, connections: $N_CONN" \
		[ "$d_syn" = "$N_CONN" ]
	check_counter counter_syn web syn "$N_CONN"
	check_counter counter_syn_ack web syn_ack "$N_CONNECTED"
	check_counter counter_rst_web web rst 0
	check_counter counter_http_2xx web http_2xx "${seen[200]}"
	check_counter counter_http_4xx web http_4xx "${seen[404]}"
	check_counter counter_http_429 web http_429 "${seen[429]}"
	check_counter counter_http_5xx web http_5xx "${seen[503]}"
	others=$(($(udelta web http_3xx) + $(udelta web rejected) + $(udelta web resets_sent) + $(udelta web stale_pass) + $(udelta web probes)))
	t_check counter_web_nothing_else "web http_3xx/rejected/resets_sent/stale_pass/probes grew $others (want 0)" [ "$others" = 0 ]
	check_counter counter_closed_syn closed syn "$N_CLOSED"
	check_counter counter_closed_rst closed rst "$N_REFUSED"
	check_counter counter_closed_syn_ack closed syn_ack 0
	w6=0
	for k in syn syn_ack rst http_2xx http_4xx http_429 http_5xx; do w6=$((w6 + $(udelta web6 "$k"))); done
	t_check counter_other_upstream_untouched "web6 counters grew $w6 (want 0)" [ "$w6" = 0 ]
}

# 7. Detach both: nothing left.
check_detach() {
	LINKS="$GONE_LINK"
	for l in "link_xdp_$IF_GC" "link_xdp_$IF_GU" "link_tcx_in_$IF_GU" "link_tcx_eg_$IF_GU"; do
		LINKS="$LINKS $(link_id "$l")"
	done
	if out=$(fgw detach "$IF_GC" 2>&1) && out=$(fgw detach "$IF_GU" 2>&1); then t_ok detach; else
		t_fail detach "$out"; fi
	t_check detach_no_pins "pin dir $PIN: $(ls "$PIN" 2>&1 | tr '\n' ' ')" [ ! -e "$PIN" ]
	t_poll 3000 links_left
	t_check detach_no_links "links still there after $POLL_MS ms:$LEFT (of$LINKS)" [ -z "$LEFT" -a -n "$LINKS" ]
	xdp=$(ip -n "$NS_G" link show | grep -c 'prog/xdp')
	t_check detach_no_xdp "gateway interfaces with XDP: $xdp" [ "$xdp" = 0 ]
	c=$(get "$NS_C" "$U4")
	t_check detach_traffic_flows "GET after detach: $c" [ "$c" = 200 ]
	note "runtime $((SECONDS - T_START)) s"
}

# step                  | needs            | checks it reports
CHECKS=(
	"setup_topology        |                  | setup"
	"setup_attach          | setup_topology   | attach"
	"setup_upstreams       | setup_attach     | upstreams_added"
	"check_closed_passes   | setup_upstreams  | closed_passes"
	"check_reset           | setup_upstreams  | force_open_json force_open reset_forwarded_v4_refused_fast reset_local_v4_refused_fast reset_forwarded_v6_refused_fast reset_local_v6_refused_fast reset_nothing_reaches_upstream reset_counters reset_not_observed_as_upstream reset_xdp_tx_sent"
	"check_reset_tc_only   | check_reset      | reset_forwarded_tc_only_refused_fast reattach"
	"check_stale           | setup_upstreams  | cli_auto_as_the_daemon stale_setup stale_state_listed stale_auto_open_passes_forwarded stale_auto_open_passes_local stale_pass_counted"
	"check_fresh_heartbeat | check_stale      | fresh_heartbeat_enforces_forwarded fresh_heartbeat_enforces_local"
	"check_stale_forced    | setup_upstreams  | stale_forced_open_refuses_forwarded stale_forced_open_refuses_local"
	"check_probe           | check_stale_forced | probe_mark_configured probe_reaches_open_upstream probe_reaches_open_upstream_v6 unmarked_refused probe_counted"
	"check_drop            | setup_upstreams  | drop_setup drop_forwarded_times_out drop_local_times_out drop_nothing_reaches_upstream drop_counters"
	"check_close           | setup_upstreams  | close_restores_traffic"
	"check_mix             | setup_upstreams  | mix_clients_got_answers upstream_syn_counter_counts counter_syn counter_syn_ack counter_rst_web counter_http_2xx counter_http_4xx counter_http_429 counter_http_5xx counter_web_nothing_else counter_closed_syn counter_closed_rst counter_closed_syn_ack counter_other_upstream_untouched"
	"check_detach          | setup_attach     | detach detach_no_pins detach_no_links detach_no_xdp detach_traffic_flows"
)
t_run
