// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* RATE and PREFIX parsing: what operators type, good and bad. */
#include "test.h"
#include "parse.h"

static const __u8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

TEST(rate_good)
{
	static const struct {
		const char *in;
		__u64 count, interval_ns;
	} cases[] = {
		{ "200/s", 200, 5000000 },
		{ "1/s", 1, 1000000000 },
		{ "10k/s", 10000, 100000 },
		{ "2M/s", 2000000, 500 },
		{ "30/m", 30, 2000000000 },
		{ "1/h", 1, 3600000000000ULL },
		{ "3/s", 3, 333333333 },
		{ "1000000000/s", 1000000000, 1 },
	};
	char err[FG_ERR_LEN];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fg_rate r;

		if (!ASSERT_OK(fg_parse_rate(cases[i].in, &r, err, sizeof(err)), cases[i].in))
			continue;
		ASSERT_EQ(r.count, cases[i].count, cases[i].in);
		ASSERT_EQ(r.interval_ns, cases[i].interval_ns, cases[i].in);
	}
}

TEST(rate_bad)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "", "expected N/s" },
		{ "200", "expected N/s" },
		{ "200/", "expected N/s" },
		{ "200/d", "expected N/s" },
		{ "200/ss", "expected N/s" },
		{ "/s", "expected N/s" },
		{ "-5/s", "expected N/s" },
		{ "0/s", "greater than zero" },
		{ "1.5/s", "expected N/s" },
		{ "10K/s", "expected N/s" },
		{ "2G/s", "expected N/s" },
		{ "2000M/s", "at most 1G" },
		{ "99999999999999999999/s", "expected N/s" },
		{ " 5/s", "expected N/s" },
	};
	char err[FG_ERR_LEN];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fg_rate r;

		err[0] = 0;
		ASSERT_ERR(fg_parse_rate(cases[i].in, &r, err, sizeof(err)), cases[i].in);
		ASSERT_STRHAS(err, cases[i].msg, cases[i].in);
		ASSERT_STRHAS(err, "invalid rate", cases[i].in);
	}
}

TEST(default_burst)
{
	struct fg_rate r;
	char err[FG_ERR_LEN];

	fg_parse_rate("200/s", &r, err, sizeof(err));
	ASSERT_EQ(fg_default_burst(&r), 200, "200/s");
	fg_parse_rate("30/m", &r, err, sizeof(err));
	ASSERT_EQ(fg_default_burst(&r), 1, "30/m");
	fg_parse_rate("1000000000/s", &r, err, sizeof(err));
	ASSERT_EQ(fg_default_burst(&r), FG_BURST_MAX, "capped");
}

TEST(prefix_v4)
{
	struct fg_lpm_key k;
	char err[FG_ERR_LEN];

	ASSERT_OK(fg_parse_prefix("198.18.0.0/15", &k, err, sizeof(err)), "v4 /15");
	ASSERT_EQ(k.prefixlen, 96 + 15, "v4 stored as /(96+p)");
	ASSERT_TRUE(!memcmp(k.addr, v4_mapped, 12), "v4-mapped");
	ASSERT_EQ(k.addr[12], 198, "octet 1");
	ASSERT_EQ(k.addr[13], 18, "octet 2");

	ASSERT_OK(fg_parse_prefix("198.18.3.4", &k, err, sizeof(err)), "v4 host");
	ASSERT_EQ(k.prefixlen, 128, "host is /32");
	ASSERT_OK(fg_parse_prefix("0.0.0.0/0", &k, err, sizeof(err)), "v4 default");
	ASSERT_EQ(k.prefixlen, 96, "v4 default is ::ffff:0:0/96");
}

TEST(prefix_v6)
{
	struct fg_lpm_key k;
	char err[FG_ERR_LEN];

	ASSERT_OK(fg_parse_prefix("2001:db8::/32", &k, err, sizeof(err)), "v6 /32");
	ASSERT_EQ(k.prefixlen, 32, "v6 len");
	ASSERT_EQ(k.addr[0], 0x20, "byte 0");
	ASSERT_EQ(k.addr[3], 0xb8, "byte 3");
	ASSERT_OK(fg_parse_prefix("::/0", &k, err, sizeof(err)), "v6 default");
	ASSERT_EQ(k.prefixlen, 0, "v6 default len");
	ASSERT_OK(fg_parse_prefix("2001:db8::1", &k, err, sizeof(err)), "v6 host");
	ASSERT_EQ(k.prefixlen, 128, "v6 host len");
	ASSERT_OK(fg_parse_prefix("2001:db8:0:2::/63", &k, err, sizeof(err)), "v6 /63 boundary");
}

TEST(prefix_bad)
{
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "", "empty" },
		{ "198.18.0.0/33", "length must be 0..32" },
		{ "2001:db8::/129", "length must be 0..128" },
		{ "198.18.0.0/", "not a number" },
		{ "198.18.0.0/-1", "not a number" },
		{ "198.18.0.0/1x", "length must be" },
		{ "198.18.0", "not an IPv4 or IPv6 address" },
		{ "198.18.0.256", "not an IPv4 or IPv6 address" },
		{ "example.com", "not an IPv4 or IPv6 address" },
		{ "2001:db8:::1", "not an IPv4 or IPv6 address" },
		{ "198.18.1.5/24", "host bits set (did you mean 198.18.1.0/24?)" },
		{ "2001:db8::1/32", "host bits set (did you mean 2001:db8::/32?)" },
		{ "::ffff:0:0/96", "IPv4-mapped; write it as IPv4 (0.0.0.0/0)" },
		{ "::ffff:198.18.0.0/112", "IPv4-mapped; write it as IPv4 (198.18.0.0/16)" },
		{ "::ffff:198.18.0.1", "IPv4-mapped; write it as IPv4 (198.18.0.1/32)" },
	};
	char err[FG_ERR_LEN];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fg_lpm_key k;

		err[0] = 0;
		ASSERT_ERR(fg_parse_prefix(cases[i].in, &k, err, sizeof(err)), cases[i].in);
		ASSERT_STRHAS(err, cases[i].msg, cases[i].in);
	}
}

TEST(format_roundtrip)
{
	static const char *in[] = { "198.18.0.0/15", "198.18.3.4", "0.0.0.0/0", "2001:db8::/32",
				    "::/0", "2001:db8::1" };
	char err[FG_ERR_LEN], out[64];

	for (unsigned i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		struct fg_lpm_key k;

		fg_parse_prefix(in[i], &k, err, sizeof(err));
		fg_format_prefix(k.addr, k.prefixlen, out, sizeof(out));
		ASSERT_STREQ(out, in[i], in[i]);
	}
	fg_format_rate(5000000, out, sizeof(out));
	ASSERT_STREQ(out, "200/s", "rate 200/s");
	fg_format_rate(2000000000, out, sizeof(out));
	ASSERT_STREQ(out, "30/m", "rate 30/m");
	fg_format_rate(3600000000000ULL, out, sizeof(out));
	ASSERT_STREQ(out, "1/h", "rate 1/h");
}

TEST(u32_bounds)
{
	char err[FG_ERR_LEN];
	__u32 v;

	ASSERT_OK(fg_parse_u32("10", "--burst", 1, 100, &v, err, sizeof(err)), "10");
	ASSERT_EQ(v, 10, "value");
	ASSERT_ERR(fg_parse_u32("0", "--burst", 1, 100, &v, err, sizeof(err)), "below min");
	ASSERT_STRHAS(err, "invalid --burst '0'", "message names the option");
	ASSERT_ERR(fg_parse_u32("101", "--burst", 1, 100, &v, err, sizeof(err)), "above max");
	ASSERT_ERR(fg_parse_u32("5x", "--burst", 1, 100, &v, err, sizeof(err)), "junk");
	ASSERT_ERR(fg_parse_u32("-1", "--burst", 1, 100, &v, err, sizeof(err)), "negative");
}

/* IPv6 prefixes around the v4-mapped space stay IPv6 when shorter than 96. */
TEST(prefix_v4_mapped_space)
{
	struct fg_lpm_key k;
	char err[FG_ERR_LEN];

	ASSERT_OK(fg_parse_prefix("::/8", &k, err, sizeof(err)), "::/8 covers it, is IPv6");
	ASSERT_OK(fg_parse_prefix("::fffe:0:0/95", &k, err, sizeof(err)), "/95 is IPv6");
	ASSERT_EQ(k.prefixlen, 95, "len");
	ASSERT_OK(fg_parse_prefix("::/96", &k, err, sizeof(err)), "v4-compatible space is IPv6");
}

/* (burst - 1) x interval at and past FG_TOLERANCE_MAX_NS (146 years). */
TEST(bucket_bounds)
{
	static const __u64 hour = 3600ULL * 1000000000ULL;
	static const struct {
		__u64 interval_ns;
		__u32 burst;
		int ok;
	} cases[] = {
		{ hour, 1281024, 1 },            /* 1/h: the largest burst, 146 years */
		{ hour, 1281025, 0 },
		{ hour, 5124097, 0 },            /* wrapped a u64 to ~0 */
		{ hour, 10000000, 0 },           /* FG_BURST_MAX */
		{ 60000000000ULL, 10000000, 1 }, /* 1/m: 19 years */
		{ 60000000000ULL, 76861434, 1 },
		{ 60000000000ULL, 76861435, 0 },
		{ 1000000000ULL, 10000000, 1 },  /* 1/s at FG_BURST_MAX: 116 days */
		{ 1, 0xffffffffu, 1 },
		{ hour, 0, 0 },                  /* no burst at all */
	};
	char err[FG_ERR_LEN];

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];
		int r;

		snprintf(what, sizeof(what), "interval %llu burst %u",
			 (unsigned long long)cases[i].interval_ns, cases[i].burst);
		err[0] = 0;
		r = fg_check_bucket("--burst", "1/h", cases[i].interval_ns, cases[i].burst, err,
				    sizeof(err));
		ASSERT_EQ(r == 0, cases[i].ok, what);
		if (!cases[i].ok)
			ASSERT_STRHAS(err, "invalid --burst", what);
	}
	fg_check_bucket("--burst", "1/h", hour, 5124097, err, sizeof(err));
	ASSERT_STREQ(err, "invalid --burst 5124097 at 1/h: it would take 585 years to refill, "
		     "more than a bucket holds (146 years)", "the message names the value");
}

TEST(new_sources_values)
{
	char err[FG_ERR_LEN];
	__u64 t;
	__u32 b;

	ASSERT_OK(fg_parse_new_sources("off", &t, &b, err, sizeof(err)), "off");
	ASSERT_EQ(t, 0, "off: no interval");
	ASSERT_OK(fg_parse_new_sources(FG_NEW_SOURCES_DEFAULT, &t, &b, err, sizeof(err)),
		  "default");
	ASSERT_EQ(t, 1000000, "1k/s");
	ASSERT_EQ(b, 1000, "burst one second");
	ASSERT_OK(fg_parse_new_sources("1/h", &t, &b, err, sizeof(err)), "1/h");
	ASSERT_EQ(b, 1, "burst at least 1");
	ASSERT_ERR(fg_parse_new_sources("Off", &t, &b, err, sizeof(err)), "Off");
	ASSERT_STRHAS(err, "invalid new-source budget 'Off'", "names the value");
	ASSERT_ERR(fg_parse_new_sources("0/s", &t, &b, err, sizeof(err)), "0/s");
}

/* A prefix longer than any address is refused before it is copied anywhere. */
TEST(prefix_too_long)
{
	char s[64], err[FG_ERR_LEN];
	struct fg_lpm_key k;

	memset(s, '1', sizeof(s) - 4);
	memcpy(s + sizeof(s) - 4, "/32", 4);
	ASSERT_ERR(fg_parse_prefix(s, &k, err, sizeof(err)), "63 characters");
	ASSERT_STRHAS(err, "too long", "message");
	memcpy(s, "2001:db8:0:1:2:3:4:5/128", 25);
	ASSERT_OK(fg_parse_prefix(s, &k, err, sizeof(err)), "the longest plain IPv6 form");
}
