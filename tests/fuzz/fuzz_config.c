// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floodgated's config loader (libinih and the checks behind it) on any file:
 * it loads or refuses with a message naming the file, and what it loads
 * keeps the promises the daemon relies on.
 */
#include "fuzz.h"
#include "config.h"
#include "parse.h"

#define NAME "fuzz.conf"

static void check_upstream(const struct fg_upstream_cfg *u)
{
	char err[FG_ERR_LEN];

	FUZZ_CHECK(!fg_parse_name(u->name, err, sizeof(err)));
	FUZZ_CHECK(!fg_parse_name(u->group, err, sizeof(err)));
	FUZZ_CHECK(u->port >= 1);
	FUZZ_CHECK(u->timeout_ns < u->interval_ns);
	FUZZ_CHECK(u->brk.open_timeout_ns <= u->brk.open_timeout_max_ns);
	FUZZ_CHECK(u->brk.consecutive_failures || u->brk.failure_rate_pct);
	FUZZ_CHECK(u->expect_lo >= 100 && u->expect_lo <= u->expect_hi && u->expect_hi <= 599);
	FUZZ_CHECK(u->probe_path[0] == '/');
}

static void check_policy(const struct fg_policy_cfg *p)
{
	FUZZ_CHECK(p->key.prefixlen <= 128 && p->pol.prefixlen == p->key.prefixlen);
	/* A limit with no interval would let every packet through. */
	if (p->pol.action == FG_ACT_LIMIT)
		FUZZ_CHECK(p->pol.interval_ns && p->pol.burst >= 1);
}

/*
 * An error names a line the file has. (Not with a NUL byte in it: fgets
 * cannot tell where a line with one ends, and nobody writes those.)
 */
static void check_error_line(const uint8_t *data, size_t size, const char *err)
{
	size_t lines = 0;
	int line;

	if (memchr(data, 0, size) || sscanf(err + strlen(NAME), ":%d:", &line) != 1)
		return;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (size && data[size - 1] != '\n')
		lines++;
	FUZZ_CHECK(line >= 1 && (size_t)line <= lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[FG_ERR_LEN] = "";
	struct fg_cfg c;

	if (fg_cfg_load_buf(NAME, (const char *)data, size, &c, err, sizeof(err))) {
		FUZZ_CHECK(!strncmp(err, NAME, strlen(NAME)));
		check_error_line(data, size, err);
		FUZZ_CHECK(!c.ups && !c.pols); /* nothing left to free */
		return 0;
	}
	FUZZ_CHECK(c.daemon.tick_ns && c.daemon.stale_ns && c.daemon.probe_mark);
	FUZZ_CHECK(c.daemon.n_ifaces <= FG_CFG_MAX_IFACES);
	for (int i = 0; i < c.n_ups; i++)
		check_upstream(&c.ups[i]);
	for (int i = 0; i < c.n_pols; i++)
		check_policy(&c.pols[i]);
	fg_cfg_free(&c);
	return 0;
}
