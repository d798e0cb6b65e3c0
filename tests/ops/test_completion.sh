#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# The bash completion (user/cli/floodgate.bash), driven as bash drives it:
# COMP_WORDS and COMP_CWORD set for a command line, _floodgate called, and
# COMPREPLY compared with what the tables (floodgate __complete) and the
# maps hold. Upstream names and prefixes come from a real pin dir: floodgate
# attached to a veth in a namespace of the test's own.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"
. "$FG_ROOT/user/cli/floodgate.bash"

NS=fgcomp-$$
PIN=/sys/fs/bpf/fgcomp-$$
cleanup() {
	nsenter --net=/run/netns/"$NS" "$FG" detach d0 --pin-dir "$PIN" >/dev/null 2>&1
	rm -rf "$PIN"
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT

# comp LINE: COMPREPLY for the cursor at LINE's end, sorted, one line.
comp() {
	local line=$1
	read -ra COMP_WORDS <<<"$line"
	COMP_WORDS=("$FG" "${COMP_WORDS[@]:1}")
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_floodgate
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
# is NAME LINE WANT: the completions of LINE are exactly WANT (sorted).
is() {
	local got
	got=$(comp "$2")
	t_check "$1" "'$2<TAB>': got '$got', want '$3'" [ "$got" = "$3" ]
}
# has NAME LINE WORD...: the completions of LINE include each WORD.
has() {
	local name=$1 line=$2 got w miss=""
	shift 2
	got=" $(comp "$line") "
	for w; do [[ $got == *" $w "* ]] || miss+="$w "; done
	t_check "$name" "'$line<TAB>': got '$got', missing: $miss" [ -z "$miss" ]
}

cmds=$("$FG" __complete | awk '$1 == "cmd" { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//')
is commands "floodgate " "$cmds"
is command_prefix "floodgate up" "upstream"
is limit_subcommands "floodgate limit " "allow del deny list load save set"
is upstream_subcommands "floodgate upstream --json " "add auto close del list open"
has set_options "floodgate limit set 198.18.0.0/15 10/s --" --burst --per --new-sources --json --pin-dir --help
got=" $(comp "floodgate limit del 198.18.0.0/15 --") "
t_check only_options_of_the_subcommand "'limit del --<TAB>' offers set's: $got" \
	[ "${got/ --burst /}" = "$got" ]
is enum_values "floodgate limit set 198.18.0.0/15 10/s --per " "prefix source"
has load_options "floodgate limit load --" --dry-run --json --pin-dir
got=" $(comp "floodgate limit set 198.18.0.0/15 10/s --") "
t_check dry_run_only_on_load "'limit set --<TAB>' offers load's --dry-run: $got" \
	[ "${got/ --dry-run /}" = "$got" ]
COMP_DIR=$(mktemp -d)
touch "$COMP_DIR/policies.txt" "$COMP_DIR/other.txt"
is load_completes_files "floodgate limit load $COMP_DIR/pol" "$COMP_DIR/policies.txt"
rm -rf -- "$COMP_DIR"
is enum_values_before_operands "floodgate attach --xdp-mode " "auto generic native"
is enum_after_other_value "floodgate upstream add --reset-rate 5 --reject " "drop reset"
is value_not_completed "floodgate top -n " ""
has top_watch_options "floodgate top --" --watch --interval --count
has stats_watch_options "floodgate stats --" --watch --interval --count
is interval_not_completed "floodgate stats --watch --interval " ""
is literal_operands "floodgate mode " "enforce monitor"
has interfaces "floodgate attach " lo
is new_upstream_name "floodgate upstream add " ""

# Names and prefixes from the maps of a real attach.
if ip netns add "$NS" && ip -n "$NS" link add d0 type veth peer name d1 && ip -n "$NS" link set d0 up &&
   nsenter --net=/run/netns/"$NS" "$FG" attach d0 --pin-dir "$PIN" >/dev/null &&
   "$FG" limit set 198.18.5.0/24 10/s --pin-dir "$PIN" >/dev/null &&
   "$FG" limit deny 2001:db8::/32 --pin-dir "$PIN" >/dev/null &&
   "$FG" upstream add web1 198.18.2.10:80 --pin-dir "$PIN" >/dev/null &&
   "$FG" upstream add db 198.18.2.11:5432 --pin-dir "$PIN" >/dev/null; then
	t_ok pin_dir_setup
else
	t_fail pin_dir_setup "attach to a veth or the map writes failed"
fi
is upstream_names "floodgate upstream --pin-dir $PIN open " "db web1"
is upstream_names_after_options "floodgate upstream --pin-dir=$PIN --json del w" "web1"
is prefixes "floodgate limit --pin-dir $PIN del " "198.18.5.0/24 2001:db8::/32"
is no_second_name "floodgate upstream open --pin-dir $PIN web1 " ""
t_exit
