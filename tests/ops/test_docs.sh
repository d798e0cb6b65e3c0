#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# The manual pages against the code: every command, subcommand, option and
# config key the code accepts is documented, and nothing documented is
# unknown to it. The code's side is read from its tables: `floodgate
# __complete` (the CLI's command and option tables) and daemon_tables
# (floodgated's getopt table and config key lists). The pages' side, from
# the scdoc sources:
#   floodgate.8        a command is a line starting *floodgate CMD [SUB]*;
#                      an option, any bold *--name* or *-n*
#   floodgated.8       an option, any bold *--name* or *-n*
#   floodgated.conf.5  a key is a line *key* = ... under # [SECTION ...]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"

CLI_MAN=${CLI_MAN:-$FG_ROOT/user/cli/floodgate.8.scd}
DAEMON_MAN=${DAEMON_MAN:-$FG_ROOT/user/daemon/floodgated.8.scd}
CONF_MAN=${CONF_MAN:-$FG_ROOT/user/daemon/floodgated.conf.5.scd}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# same NAME CODE DOC: CODE's lines all in DOC (NAME_documented) and DOC's
# all in CODE (NAME_known); each file one item per line.
same() {
	local missing unknown
	missing=$(comm -23 <(sort -u "$2") <(sort -u "$3") | tr '\n' ' ')
	unknown=$(comm -13 <(sort -u "$2") <(sort -u "$3") | tr '\n' ' ')
	t_check "$1_documented" "in the code, not in the manual: $missing" [ -z "$missing" ]
	t_check "$1_known" "in the manual, unknown to the code: $unknown" [ -z "$unknown" ]
}

# Bold option tokens of an scdoc page, unescaped.
bold_options() {
	sed 's/\\//g' "$1" | grep -oE '\*--?[A-Za-z0-9][A-Za-z0-9-]*\*' | tr -d '*'
}

for m in floodgate.8 floodgated.8 floodgated.conf.5; do
	t_check "built_$m" "build/$m missing or not a manual page" \
		grep -q '^\.TH ' "$FG_ROOT/build/$m"
done

"$FG" __complete >"$TMP/tables" || t_fail cli_tables "floodgate __complete failed"
# Commands without subcommands, and "CMD SUB" for those with.
awk '$1 == "sub" { print $2 " " $3; has[$2] = 1 } $1 == "cmd" { c[$2] = 1 }
     END { for (n in c) if (!has[n]) print n }' "$TMP/tables" >"$TMP/cli_cmds"
sed 's/\\//g' "$CLI_MAN" | sed -n 's/^\*floodgate \([a-z][a-z ]*\)\*.*/\1/p' >"$TMP/man_cmds"
same cli_commands "$TMP/cli_cmds" "$TMP/man_cmds"
awk '$1 == "opt" { print $4 }' "$TMP/tables" >"$TMP/cli_opts"
bold_options "$CLI_MAN" >"$TMP/man_opts"
same cli_options "$TMP/cli_opts" "$TMP/man_opts"
# An enum option's names, as the parser takes them: "*--per* source|prefix".
bad=""
while read -r _ _ _ name _ values; do
	[ -n "$values" ] || continue
	grep -qF "*$name* ${values// /|}" "$CLI_MAN" || bad+="$name ${values// /|}; "
done < <(awk '$1 == "opt" && NF > 5' "$TMP/tables")
t_check cli_option_values_documented "not shown as *NAME* A|B: $bad" [ -z "$bad" ]

"$FG_TOOLS/daemon_tables" >"$TMP/daemon" || t_fail daemon_tables "daemon_tables failed"
awk '$1 == "opt" { print $2 }' "$TMP/daemon" >"$TMP/daemon_opts"
bold_options "$DAEMON_MAN" >"$TMP/man_daemon_opts"
same daemon_options "$TMP/daemon_opts" "$TMP/man_daemon_opts"

# "SECTION KEY" of every key line, by the # [SECTION ...] heading above it.
awk '$1 == "key" { print $2 " " $3 }' "$TMP/daemon" >"$TMP/keys"
sed 's/\\//g' "$CONF_MAN" | awk '
	/^# \[/ { s = $2; sub(/^\[/, "", s); sub(/\]$/, "", s); next }
	/^# / { s = "" }
	/^\*[a-z_]+\* =/ { k = $1; gsub(/\*/, "", k); print (s == "" ? "(no section)" : s) " " k }' \
	>"$TMP/man_keys"
same config_keys "$TMP/keys" "$TMP/man_keys"
t_exit
