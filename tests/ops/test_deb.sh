#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# make deb (user/deb/): the package is built, holds every piece an operator
# needs (binaries, unit, sample config as a conffile, gzip'd manuals,
# completion, alert rules and dashboard, copyright), depends on exactly the
# packages its binaries' shared libraries come from, and apt would install
# it here. Then it is installed with dpkg into a scratch root of the test's
# own (--root: this machine's packages and files are never touched), its
# programs and manual checked, nothing started or enabled, and purged: the
# root must hold exactly what it held before.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"

ROOT=$(mktemp -d /tmp/fgdeb.XXXXXX)
TMP=$(mktemp -d)
trap 'rm -rf -- "$ROOT" "$TMP"' EXIT
# make from the test: not as part of the caller's make (its jobserver).
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$FG_ROOT" --no-print-directory -s "$@"; }
dpkg_r() { dpkg --root="$ROOT" --log="$TMP/dpkg.log" "$@"; }

out=$(mk deb-build 2>&1)
DEB=$(mk deb-name)
[[ -n $DEB && $DEB != /* ]] && DEB=$FG_ROOT/$DEB
if [ -f "$DEB" ]; then t_ok deb_built; else
	t_fail deb_built "make deb-build: '$out'; no '$DEB'"
	t_exit
fi

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$TMP/contents"
missing=""
for f in /usr/sbin/floodgate /usr/sbin/floodgated /lib/systemd/system/floodgated.service \
	/etc/floodgate/floodgated.conf.sample /usr/share/man/man8/floodgate.8.gz \
	/usr/share/man/man8/floodgated.8.gz /usr/share/man/man5/floodgated.conf.5.gz \
	/usr/share/bash-completion/completions/floodgate /usr/share/floodgate/floodgate.rules.yml \
	/usr/share/floodgate/floodgate.dashboard.json /usr/share/doc/floodgate/copyright; do
	grep -qxF "$f" "$TMP/contents" || missing+="$f "
done
t_check deb_contents "missing from the package: $missing" [ -z "$missing" ]
odd=$(grep -E '^/usr/local/|\.wants/|^/etc/systemd/' "$TMP/contents")
t_check deb_no_local_or_enabled_paths "paths a package must not ship: $odd" [ -z "$odd" ]

mkdir -p "$TMP/x"
dpkg-deb -e "$DEB" "$TMP/ctl" && dpkg-deb -x "$DEB" "$TMP/x"
scripts=$(ls "$TMP/ctl" | grep -vxE 'control|md5sums|conffiles')
t_check deb_no_maintainer_scripts "control members that would run at install: $scripts" [ -z "$scripts" ]
t_check deb_conffiles "conffiles: '$(cat "$TMP/ctl/conffiles" 2>/dev/null)'" \
	[ "$(cat "$TMP/ctl/conffiles" 2>/dev/null)" = /etc/floodgate/floodgated.conf.sample ]
bad=""
for m in "$TMP"/x/usr/share/man/man*/*; do gzip -t "$m" 2>/dev/null || bad+="${m#"$TMP"/x} "; done
t_check deb_manuals_gzipped "not gzip: $bad" [ -z "$bad" ]
unit=$TMP/x/lib/systemd/system/floodgated.service
grep -qx 'ConditionPathExists=/etc/floodgate/floodgated.conf' "$unit" &&
	grep -qx 'ExecStart=/usr/sbin/floodgated -c /etc/floodgate/floodgated.conf --foreground' "$unit"
t_is $? deb_unit_waits_for_config "unit: $(grep -E '^(Condition|Exec)' "$unit" | tr '\n' '|')"
(cd "$TMP/x" && md5sum --quiet -c "$TMP/ctl/md5sums" >/dev/null 2>&1)
t_is $? deb_md5sums "md5sums do not match the files"

# Depends against the packages the binaries' libraries come from (NEEDED,
# resolved by ldd, owned per dpkg -S).
depends=$(dpkg-deb -f "$DEB" Depends)
missing=""
for bin in "$TMP"/x/usr/sbin/*; do
	for so in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
		path=$(ldd "$bin" | awk -v s="$so" '$1 == s { print $3; exit }')
		pkg=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(realpath "$path")" 2>/dev/null)
		pkg=${pkg%%:*}
		[[ -n $pkg && ", $depends" == *", $pkg "* ]] || missing+="$so($pkg) "
	done
done
t_check deb_depends_from_libraries "Depends '$depends' lacks: $missing" [ -z "$missing" ]
out=$(apt-get install -s --no-install-recommends "$DEB" 2>&1)
grep -q '^Inst floodgate ' <<<"$out" && ! grep -q '^Remv ' <<<"$out"
t_is $? deb_apt_would_install "apt-get install -s: $(tail -3 <<<"$out" | tr '\n' '|')"

# A scratch root: an empty dpkg database of its own.
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates"
touch "$ROOT/var/lib/dpkg/status"
listing() { (cd "$ROOT" && find . -path ./var/lib/dpkg -prune -o -print | sort); }
listing >"$TMP/before"
# --force-depends: the libraries are this machine's, not the scratch root's.
out=$(dpkg_r --force-depends -i "$DEB" 2>&1)
t_is $? deb_installs "dpkg --root -i: $(tail -3 <<<"$out" | tr '\n' '|')"
missing=""
for f in $(dpkg_r -L floodgate); do [ -e "$ROOT$f" ] || missing+="$f "; done
t_check deb_files_installed "listed by dpkg -L, absent: $missing" [ -z "$missing" ]
out=$(man -M "$ROOT/usr/share/man" -P cat floodgated.conf 2>&1)
t_check deb_man_floodgated_conf "man -M ... floodgated.conf: $(head -3 <<<"$out" | tr '\n' '|')" \
	grep -q 'floodgated.conf - configuration' <<<"$out"
"$ROOT/usr/sbin/floodgate" --help >/dev/null 2>&1 && "$ROOT/usr/sbin/floodgated" --version >/dev/null 2>&1
t_is $? deb_binaries_run "the installed floodgate --help or floodgated --version failed"
running=$(ps -eo pid=,args= | grep -F -- "$ROOT/" | grep -v grep)
enabled=$(find "$ROOT/etc" -path '*systemd*' 2>/dev/null)
t_check deb_nothing_started "running: '$running'; enabled: '$enabled'" [ -z "$running$enabled" ]

out=$(dpkg_r --purge floodgate 2>&1)
t_is $? deb_purges "dpkg --root --purge: $(tail -3 <<<"$out" | tr '\n' '|')"
listing >"$TMP/after"
left=$(diff "$TMP/before" "$TMP/after" | grep '^[<>]' | tr '\n' ' ')
t_check deb_purge_leaves_nothing "files before and after differ: $left" [ -z "$left" ]
left=$(ls "$ROOT/var/lib/dpkg/info" | grep '^floodgate\.')
! dpkg_r -s floodgate >/dev/null 2>&1 && [ -z "$left" ]
t_is $? deb_purge_forgets "dpkg still knows floodgate, or its info files remain: $left"
t_exit
