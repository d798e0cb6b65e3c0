#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# make demo-fleet: fleet mode, three floodgated nodes sharing breaker votes
# through one Redis, in the namespaces of tests/lib/fleet.sh (a hub joining
# the nodes, an HTTP upstream "web" and a redis-server started here).
#
#   1. the fleet forms: every node sees three;
#   2. web answers 503 to everyone: every node opens, by reason fleet, long
#      before any would alone; web healthy: half-open probes close them;
#   3. Redis stopped (SIGSTOP): ticks go on, after stale every node drops
#      the fleet's votes and judges alone;
#   4. Redis back (SIGCONT): the fleet reconverges.
# At each step it prints what an operator would look at: `floodgate upstream
# list`, `floodgate status`, the fleet's metrics, the daemons' log lines.
#
# Everything lives in namespaces, temp dirs and pin dirs of this run, removed
# on exit, Ctrl-C included (tests/lib/fleet.sh's EXIT trap); an installed
# floodgate (/sys/fs/bpf/floodgate, /run/floodgate) is never touched. About
# 10 seconds.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/lib/check.sh"
. "$ROOT/tests/lib/proc.sh"
FLEET_TAG=fgdf STALE_MS=1000
. "$ROOT/tests/lib/fleet.sh"

if [ -t 1 ]; then
	B=$'\e[1m' D=$'\e[2m' G=$'\e[32m' R=$'\e[31m' Z=$'\e[0m'
else
	B="" D="" G="" R="" Z=""
fi
step() { printf '\n%s== %s%s\n' "$B" "$*" "$Z"; }
die() { printf '%sdemo failed: %s%s\n' "$R" "$*" "$Z" >&2; T_FAILED=1; exit 1; }
# show I CMD...: a floodgate command on node I, as an operator would type it there.
show() {
	local i=$1
	shift
	printf '%snode%s$ floodgate %s%s\n' "$D" "$i" "$*" "$Z"
	nsenter --net=/run/netns/"$(ns_of "$i")" "$FG" "$@" --pin-dir "$(pin_of "$i")" | sed 's/^/  /'
}
# fleet_metrics: each node's fleet gauges, one line per node.
fleet_metrics() {
	local i
	printf '%s  node   fleet_up  nodes  last_sync_age_s  sync_errors (connect auth sync)%s\n' "$D" "$Z"
	for ((i = 1; i <= N; i++)); do
		printf '  node%s  %8s  %5s  %15s  %s %s %s\n' "$i" "$(metric "$i" floodgate_fleet_up)" \
			"$(metric "$i" floodgate_fleet_nodes)" "$(metric "$i" floodgate_fleet_last_sync_age_seconds)" \
			"$(metric "$i" 'floodgate_fleet_sync_errors_total{op="connect"}')" \
			"$(metric "$i" 'floodgate_fleet_sync_errors_total{op="auth"}')" \
			"$(metric "$i" 'floodgate_fleet_sync_errors_total{op="sync"}')"
	done
}
# states: web's state on every node, one line.
states() { all_states x; printf '  web by node:%s\n' "$SSEEN"; }
# fleet_log SED: the nodes' fleet and breaker log lines that SED prints, by time.
fleet_log() {
	local i
	for ((i = 1; i <= N; i++)); do
		grep 'fleet:\|web: .* -> ' "$TMP/$i/log" | sed -n "$1" | sed "s/^\([^ ]* [^ ]*\)/\1 node$i/"
	done | sort -k1,2 | sed 's/^/  | /'
}

[ "$(id -u)" = 0 ] || die "run as root (BPF programs and network namespaces)"
cat <<EOF
${B}floodgate demo: fleet mode${Z} ($N nodes, one Redis)

  node1 198.18.11.2 ─┐                    ┌─ web 198.18.20.10:80 (HTTP, answers /healthz)
  node2 198.18.12.2 ─┼── hub (forwards) ──┤
  node3 198.18.13.2 ─┘                    └─ redis-server $R4:$RPORT

  Each node runs floodgated with the same [upstream web] (HTTP probe every
  ${PROBE_MS} ms, $NFAIL failures in a row open it) and this [fleet] section:
    redis = $R4:$RPORT   sync = ${SYNC_MS}ms   stale = ${STALE_MS}ms   quorum = auto
EOF

step "1. Build the namespaces, start Redis and the three floodgated nodes"
setup_topology >/dev/null && setup_daemons >/dev/null
[ "$T_FAILED" = 0 ] || die "setup failed"
t_poll 5000 fleet_all_up || die "the fleet did not form:$MSEEN"
echo "  ${G}every node sees $N nodes${Z} (after $POLL_MS ms); what Redis holds:"
rcli keys "floodgate:{t$$}:*" | sort | sed 's/^/    /'
fleet_metrics
show 1 upstream list

step "2. web answers 503 to every node"
echo 503 >"$TMP/status"
t0=$(now_ms)
t_poll 5000 all_states open || die "not all open:$SSEEN"
echo "  ${G}all $N open $(($(now_ms) - t0)) ms after the switch${Z} (alone a node needs $NFAIL probes = $((NFAIL * PROBE_MS)) ms)"
states
show 2 upstream list
echo "  The daemons' log:"
fleet_log '/closed -> open/p'
echo "  web healthy again: each node's half-open probes close it"
echo 200 >"$TMP/status"
t_poll $((OPEN_MS + 5000)) all_states closed || die "not all closed:$SSEEN"
states

step "3. Redis stops answering (SIGSTOP): no node waits on it"
HB_MAX=0
kill -STOP "$REDIS_PID"
t0=$(now_ms)
down_ticking() { hb_sample; fleet_all_local; }
t_poll $((STALE_MS + 3000)) down_ticking || die "the fleet did not go down:$MSEEN"
echo "  ${G}every node alone after $(($(now_ms) - t0)) ms${Z} (stale ${STALE_MS} ms); ticks on time"
echo "  all along (oldest heartbeat seen $HB_MAX ms, tick ${TICK_MS} ms)"
fleet_metrics
echo "  The daemons' log:"
fleet_log '/votes expired\|failed/p' | tail -n 6
show 3 status | sed -n '1,12p'

step "4. Redis is back (SIGCONT)"
kill -CONT "$REDIS_PID"
t0=$(now_ms)
t_poll 5000 fleet_all_up || die "the fleet did not reconverge:$MSEEN"
echo "  ${G}every node sees $N nodes again $(($(now_ms) - t0)) ms later${Z}"
fleet_metrics
fleet_log '/answers again/p' | tail -n 3
echo
echo "${B}done${Z}: cleaning up the namespaces, pins and processes of this run"
