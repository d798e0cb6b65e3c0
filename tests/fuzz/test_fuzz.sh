#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# The libFuzzer targets (tests/fuzz/fuzz.mk), briefly, for `make test`: each
# replays every file of its committed corpus once (the regression cases),
# then fuzzes from that corpus for FUZZ_TEST_SECONDS (default 3). New inputs
# go to a scratch directory, removed at the end; a crash's input is kept as
# build/fuzz/TARGET-crash-SHA1. `make fuzz` runs them at length.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/check.sh"

SECS=${FUZZ_TEST_SECONDS:-3}
BIN=$FG_ROOT/build/fuzz
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# fuzz_one TARGET: 0 when the corpus replays and the short run finds nothing.
fuzz_one() {
	local t=$1 corpus=$HERE/corpus/$1 log=$TMP/$1.log
	local crash

	mkdir -p "$TMP/$t"
	if ! "$BIN/$t" -timeout=5 -artifact_prefix="$BIN/$t-" "$corpus"/* >"$log" 2>&1 ||
	   ! "$BIN/$t" -max_total_time="$SECS" -timeout=5 -artifact_prefix="$BIN/$t-" \
		"$TMP/$t" "$corpus" >>"$log" 2>&1; then
		# A fuzzed input is written out; a corpus file is the last one run.
		crash=$(sed -n 's/.*Test unit written to //p; s/^Running: //p' "$log" | tail -n 1)
		grep -E 'ERROR|fuzz check failed|SUMMARY|^    #[0-9] ' "$log" | head -n 6 |
			sed 's/^/    /' >&2
		echo "  $t: crash input: ${crash:-(unknown, see above)}" >&2
		return 1
	fi
}

for t in fuzz_parse fuzz_config fuzz_ctl fuzz_policy; do
	if [ ! -x "$BIN/$t" ]; then
		t_fail "$t" "$BIN/$t is not built (make all)"
	elif fuzz_one "$t"; then
		t_ok "$t"
	else
		t_fail "$t" "libFuzzer found a crash (reproduce: $BIN/$t FILE)"
	fi
done
t_exit
