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
