#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# The alert rules and the dashboard (user/daemon/floodgate.rules.yml,
# floodgate.dashboard.json): promtool checks the rules and runs their unit
# tests (floodgate.rules.test.yml here); every metric a rule or a dashboard
# query names is one floodgated exports, read from a textfile its writer
# made (textfile_sample: the daemon on the in-memory datapath), and is used
# as its type says: a counter only under rate() or increase(), a gauge never.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"

RULES=${RULES:-$FG_ROOT/user/daemon/floodgate.rules.yml}
DASH=${DASH:-$FG_ROOT/user/daemon/floodgate.dashboard.json}
RULES_TEST=${RULES_TEST:-$HERE/floodgate.rules.test.yml}
# What node_exporter's textfile collector adds, which the rules may use.
NODE_METRICS="node_textfile_mtime_seconds node_textfile_scrape_error"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

out=$(promtool check rules "$RULES" 2>&1)
t_is $? rules_check "promtool check rules: $out"
# promtool resolves rule_files from the test file's directory: a copy
# beside the rules under test (RULES may be another file).
sed "s|^  - .*floodgate.rules.yml$|  - $RULES|" "$RULES_TEST" >"$TMP/rules.test.yml"
out=$(promtool test rules "$TMP/rules.test.yml" 2>&1)
t_is $? rules_unit_tests "promtool test rules: $out"

mkdir -p "$TMP/textfile"
"$FG_TOOLS/textfile_sample" "$TMP/textfile" >/dev/null 2>&1
out=$(promtool check metrics <"$TMP/textfile/floodgate.prom" 2>&1)
t_is $? textfile_sample "textfile_sample, promtool check metrics: $out"
awk '$1 == "#" && $2 == "TYPE" { print $3, $4 }' "$TMP/textfile/floodgate.prom" >"$TMP/types"

jq -r '[.. | objects | (.expr?, .definition?) | strings] | .[]' "$DASH" >"$TMP/dash_exprs" 2>"$TMP/jq_err"
t_is $? dashboard_json "not JSON, or no queries: $(cat "$TMP/jq_err")"
grep -v '^[[:space:]]*#' "$RULES" >"$TMP/rule_exprs"

# check WHAT FILE: the metrics FILE names are exported, and typed right.
check() {
	local what=$1 file=$2 unknown="" misused="" m type n rated
	for m in $(grep -oE '\b(floodgate|node)_[a-z0-9_]+' "$file" | sort -u); do
		type=$(awk -v m="$m" '$1 == m { print $2 }' "$TMP/types")
		if [ -z "$type" ]; then
			[[ " $NODE_METRICS " == *" $m "* ]] || unknown+="$m "
			continue
		fi
		n=$(grep -oE "\b$m\b" "$file" | wc -l)
		rated=$(grep -oE "\b(rate|irate|increase)\($m\b" "$file" | wc -l)
		if [ "$type" = counter ] && [ "$rated" -ne "$n" ]; then misused+="$m (counter, not rated) "; fi
		if [ "$type" != counter ] && [ "$rated" -ne 0 ]; then misused+="$m ($type, rated) "; fi
	done
	t_check "${what}_metrics_exported" "not in the daemon's textfile: $unknown" [ -z "$unknown" ]
	t_check "${what}_metrics_typed" "$misused" [ -z "$misused" ]
}
check dashboard "$TMP/dash_exprs"
check rules "$TMP/rule_exprs"
n=$(grep -c . "$TMP/dash_exprs")
t_check dashboard_has_queries "$n queries" [ "$n" -ge 10 ]
t_exit
