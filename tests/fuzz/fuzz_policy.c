// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Policy files (policy_file.h), as `floodgate limit load` and floodgated's
 * policy_file read them: the input is a whole file, NULs, CRs and overlong
 * lines included. Beyond "no memory error, no UB": every policy read is
 * printed by limit save's formatter and read back the same, and an error
 * is one line naming the file and a line.
 */
#include "fuzz.h"
#include "parse.h"
#include "policy_file.h"

static void round_trip(const struct fg_policy_want *w)
{
	struct fg_policy_want back;
	char buf[256], err[FG_ERR_LEN];

	if (fg_policy_line_format(&w->key, &w->pol, buf, sizeof(buf)))
		return; /* no RATE spelling: save refuses it with an error */
	FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);
	FUZZ_CHECK(fg_policy_line_parse(buf, strlen(buf), &back, err, sizeof(err)) == 1);
	FUZZ_CHECK(!memcmp(&back.key, &w->key, sizeof(back.key)));
	FUZZ_CHECK(!memcmp(&back.pol, &w->pol, sizeof(back.pol)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fg_policy_want *w = NULL;
	char err[FG_ERR_LEN + 64];
	FILE *f;
	int n = 0;

	static char empty[1];

	/* fmemopen refuses 0 bytes: an empty file is a 1-byte one read past. */
	f = fmemopen(size ? (void *)data : empty, size ? size : 1, "r");
	if (!f)
		return 0;
	if (!size)
		fgetc(f);
	if (fg_policy_file_read(f, "f", 64, &w, &n, err, sizeof(err)) == 0) {
		FUZZ_CHECK(n <= 64);
		for (int i = 0; i < n; i++)
			round_trip(&w[i]);
	} else {
		FUZZ_CHECK(!strncmp(err, "f:", 2) && !strchr(err, '\n'));
	}
	fclose(f);
	free(w);
	return 0;
}
