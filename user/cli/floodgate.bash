# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# bash completion for floodgate(8). Commands, subcommands and options come
# from `floodgate __complete` (the tables the parser itself uses, so they
# cannot disagree with the installed binary); interface names from
# /sys/class/net, upstream names and prefixes from the pinned maps
# (`floodgate upstream list --json`, `floodgate limit list --json`).

# _floodgate_field KEY JSON...: every "KEY":"VALUE" string's VALUE.
_floodgate_field() {
	local key=$1
	shift
	"$@" 2>/dev/null | grep -o "\"$key\": *\"[^\"]*\"" | sed 's/.*: *"//; s/"$//'
}

# _floodgate_opt TABLES CMD OPT: OPT's line, as CMD (or any command) takes it.
_floodgate_opt() {
	awk -v c="${2:-*}" -v o="$3" \
		'$1 == "opt" && ($2 == c || $2 == "*") && $4 == o { print; exit }' <<<"$1"
}

_floodgate() {
	local cur=${COMP_WORDS[COMP_CWORD]} prog=${COMP_WORDS[0]}
	local tables cmd="" sub="" w arg i k=0 words="" pass=()
	local -a f

	tables=$("$prog" __complete 2>/dev/null) || return 0
	# Walk the words before the cursor: options (and their values) aside,
	# the first operand is the command, the second its subcommand if it has
	# any, the rest its operands (k of them so far).
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -?* && $w != *=* ]]; then
			read -ra f <<<"$(_floodgate_opt "$tables" "$cmd" "$w")"
			arg=${f[4]:-}
			if [[ -n $arg && $arg != - ]] && ((i + 1 < COMP_CWORD)); then
				[[ $w == --pin-dir || $w == --socket ]] && pass+=("$w" "${COMP_WORDS[i + 1]}")
				((i++))
			fi
		elif [[ $w == -* ]]; then
			[[ $w == --pin-dir=* || $w == --socket=* ]] && pass+=("$w")
		elif [[ -z $cmd ]]; then
			cmd=$w
		elif [[ -z $sub ]] && grep -q "^sub $cmd " <<<"$tables"; then
			sub=$w
		else
			((k++))
		fi
	done

	# The value of the option before the cursor: an enum's names, a path.
	w=${COMP_WORDS[COMP_CWORD - 1]}
	if ((COMP_CWORD > 1)) && [[ $w == -?* && $w != *=* && $cur != -* ]]; then
		read -ra f <<<"$(_floodgate_opt "$tables" "$cmd" "$w")"
		if ((${#f[@]} > 5)); then
			mapfile -t COMPREPLY < <(compgen -W "${f[*]:5}" -- "$cur")
			return 0
		fi
		case ${f[4]:--} in
		-) ;;
		DIR) mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return 0 ;;
		PATH | FILE) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
		*) COMPREPLY=(); return 0 ;;
		esac
	fi

	if [[ $cur == -* ]]; then
		words=$(awk -v c="$cmd" -v s="$sub" '$1 == "opt" && ($2 == "*" ||
			($2 == c && ($3 == "*" || s == "" || $3 == s))) { print $4 }' <<<"$tables")
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return 0
	fi
	if [[ -z $cmd ]]; then
		words=$(awk '$1 == "cmd" { print $2 }' <<<"$tables")
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return 0
	fi
	if [[ -z $sub ]] && grep -q "^sub $cmd " <<<"$tables"; then
		words=$(awk -v c="$cmd" '$1 == "sub" && $2 == c { print $3 }' <<<"$tables")
		mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
		return 0
	fi

	# The operand's placeholder in the usage line: IFACE, PREFIX, NAME, a|b.
	if [[ -n $sub ]]; then
		read -ra f <<<"$(awk -v c="$cmd" -v s="$sub" '$1 == "sub" && $2 == c && $3 == s' <<<"$tables")"
		w=${f[3 + k]:-}
	else
		read -ra f <<<"$(awk -v c="$cmd" '$1 == "cmd" && $2 == c' <<<"$tables")"
		w=${f[2 + k]:-}
	fi
	case $w in
	IFACE) words=$(ls /sys/class/net 2>/dev/null) ;;
	FILE) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
	PREFIX) words=$(_floodgate_field prefix "$prog" limit list --json "${pass[@]}") ;;
	NAME) [[ $cmd.$sub == upstream.add ]] ||
		words=$(_floodgate_field name "$prog" upstream list --json "${pass[@]}") ;;
	*[a-z]\|[a-z]*) w=${w#[}; w=${w%]}; words=${w//|/ } ;;
	*) words="" ;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
	return 0
}
complete -F _floodgate floodgate
