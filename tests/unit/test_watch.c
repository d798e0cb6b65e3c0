// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* --watch's options and rate format (user/cli/watch.c), without a terminal. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "test.h"
#include "watch.h"

/* The CLI's fg_fail (floodgate.c), kept: the last error, not printed. */
static char last_err[256];

int fg_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
	return 1;
}

static int check(const char *interval, __u32 count, int watch, int json, __u64 *ns)
{
	struct fg_watch_opts o = { .watch = watch, .interval = interval, .count = count };
	struct fg_ctx ctx = { .json = json };

	last_err[0] = 0;
	return fg_watch_check(&ctx, &o, ns);
}

TEST(watch_interval_good)
{
	static const struct { const char *s; __u64 ns; } good[] = {
		{ NULL, 1000000000ULL },   { "1", 1000000000ULL },   { "2s", 2000000000ULL },
		{ "500ms", 500000000ULL }, { "100ms", 100000000ULL }, { "1m", 60000000000ULL },
		{ "1h", 3600000000000ULL }, { "3600", 3600000000000ULL },
	};
	__u64 ns;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ns = 0;
		ASSERT_OK(check(good[i].s, 0, 1, 0, &ns), good[i].s ? good[i].s : "(default)");
		ASSERT_EQ(ns, good[i].ns, good[i].s ? good[i].s : "(default)");
	}
	ASSERT_OK(check("1s", 5, 1, 0, &ns), "with --count");
}

TEST(watch_interval_bad)
{
	static const char *const bad[] = { "0", "0s", "-1", "junk", "50ms", "99ms", "2h", "3601",
					   "61m", "1.5", "", "1 s", "s", "99999999999999999999s" };
	__u64 ns;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(check(bad[i], 0, 1, 0, &ns), 1, bad[i]);
		ASSERT_STRHAS(last_err, "invalid --interval", bad[i]);
	}
}

TEST(watch_options_together)
{
	__u64 ns;

	ASSERT_OK(check(NULL, 0, 0, 0, &ns), "no --watch: nothing to check");
	ASSERT_OK(check(NULL, 0, 0, 1, &ns), "--json alone");
	ASSERT_EQ(check("2s", 0, 0, 0, &ns), 1, "--interval without --watch");
	ASSERT_STRHAS(last_err, "--interval needs --watch", "its error");
	ASSERT_EQ(check(NULL, 3, 0, 0, &ns), 1, "--count without --watch");
	ASSERT_STRHAS(last_err, "--count needs --watch", "its error");
	ASSERT_EQ(check(NULL, 0, 1, 1, &ns), 1, "--watch with --json");
}

TEST(watch_rate_format)
{
	static const struct { double v; int known; const char *want; } cases[] = {
		{ 0, 1, "0" },          { 0.4, 1, "0" },        { 200.2, 1, "200" },
		{ 9999.4, 1, "9999" },  { 9999.6, 1, "10.0k" }, { 12345, 1, "12.3k" },
		{ 999940, 1, "999.9k" }, { 2.5e6, 1, "2.50M" }, { 123, 0, "-" },
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fg_format_per_s(cases[i].v, cases[i].known, buf, sizeof(buf));
		ASSERT_STREQ(buf, cases[i].want, cases[i].want);
	}
}
