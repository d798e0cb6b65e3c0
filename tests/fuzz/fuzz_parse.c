// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The parsers of what operators type. The first byte picks one (its low 3
 * bits, so '0'..'7' in a corpus file read as the parser's number); the rest,
 * NUL-terminated, is the text:
 *   0 RATE  1 PREFIX  2 u32  3 ADDR:PORT  4 NAME  5 duration  6 percent
 *   7 the formatters, on raw map bytes (what `status`/`top` print)
 * Beyond "no memory error, no UB", each checks what its result promises,
 * mostly that printing it and parsing that gives the same value back.
 *
 * A duration is its number times its unit, never wrapped ("18446744074s"
 * once parsed as 0.29 s: corpus file duration-wraps), and at most 366 days.
 */
#include <ctype.h>

#include "fuzz.h"
#include "config.h"
#include "parse.h"

#define NSEC_PER_SEC 1000000000ULL

static int near(__u64 a, __u64 b, __u64 tol)
{
	return a > b ? a - b <= tol : b - a <= tol;
}

static void rate(const char *s)
{
	char err[FG_ERR_LEN], buf[32];
	struct fg_rate r, back;
	__u32 burst;

	if (fg_parse_rate(s, &r, err, sizeof(err))) {
		FUZZ_CHECK(err[0]);
		return;
	}
	FUZZ_CHECK(r.unit_ns == NSEC_PER_SEC || r.unit_ns == 60 * NSEC_PER_SEC ||
		   r.unit_ns == 3600 * NSEC_PER_SEC);
	FUZZ_CHECK(r.count >= 1 && r.count <= NSEC_PER_SEC);
	/* The datapath divides by it and a zero would let everything through. */
	FUZZ_CHECK(r.interval_ns >= 1 && r.interval_ns <= r.unit_ns);
	burst = fg_default_burst(&r);
	FUZZ_CHECK(burst >= 1 && burst <= FG_BURST_MAX);
	/*
	 * `limit list` shows this. Typed back, it is the same limit to the 6
	 * significant digits shown: a rate with no whole number in any unit is
	 * printed with %.6g (6206389/h shows as 1724/s, 1723.998/s really).
	 */
	fg_format_rate(r.interval_ns, buf, sizeof(buf));
	FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);
	if (!fg_parse_rate(buf, &back, err, sizeof(err)))
		FUZZ_CHECK(near(back.interval_ns, r.interval_ns, r.interval_ns / 100000 + 1));
}

static void prefix(const char *s)
{
	char err[FG_ERR_LEN], buf[64];
	struct fg_lpm_key k, back;

	if (fg_parse_prefix(s, &k, err, sizeof(err))) {
		FUZZ_CHECK(err[0]);
		return;
	}
	FUZZ_CHECK(k.prefixlen <= 128);
	if (fg_is_v4_mapped(k.addr) && !strchr(s, ':'))
		FUZZ_CHECK(k.prefixlen >= FG_V4_MAPPED_PREFIX);
	/* What `limit list` prints is a prefix `limit set` takes, the same key. */
	fg_format_prefix(k.addr, k.prefixlen, buf, sizeof(buf));
	FUZZ_CHECK(!fg_parse_prefix(buf, &back, err, sizeof(err)));
	FUZZ_CHECK(!memcmp(&k, &back, sizeof(k)));
}

static void u32(const char *s)
{
	char err[FG_ERR_LEN], buf[16];
	__u32 any, port, back;

	if (fg_parse_u32(s, "any", 0, UINT32_MAX, &any, err, sizeof(err))) {
		FUZZ_CHECK(err[0]);
		FUZZ_CHECK(fg_parse_u32(s, "port", 1, 65535, &port, err, sizeof(err)));
		return;
	}
	snprintf(buf, sizeof(buf), "%u", any);
	FUZZ_CHECK(!fg_parse_u32(buf, "any", 0, UINT32_MAX, &back, err, sizeof(err)));
	FUZZ_CHECK(back == any);
	/* A narrower range takes exactly the values in it. */
	if (fg_parse_u32(s, "port", 1, 65535, &port, err, sizeof(err)))
		FUZZ_CHECK(any < 1 || any > 65535);
	else
		FUZZ_CHECK(port == any);
}

static void endpoint(const char *s)
{
	char err[FG_ERR_LEN], buf[64];
	__u8 addr[16], back[16];
	__u16 port, bport;

	if (fg_parse_endpoint(s, addr, &port, err, sizeof(err))) {
		FUZZ_CHECK(err[0]);
		return;
	}
	FUZZ_CHECK(port >= 1);
	/* `upstream list` prints it; `upstream add` takes that back. */
	fg_format_endpoint(addr, port, buf, sizeof(buf));
	FUZZ_CHECK(!fg_parse_endpoint(buf, back, &bport, err, sizeof(err)));
	FUZZ_CHECK(!memcmp(addr, back, 16) && bport == port);
}

/* Safe as a Prometheus label value and in a one-line control reply. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n >= FG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isascii((unsigned char)s[i]) && isalnum((unsigned char)s[i])) &&
		    !strchr("_.-", s[i]))
			return 0;
	return 1;
}

static void name(const char *s)
{
	char err[FG_ERR_LEN];
	int ret = fg_parse_name(s, err, sizeof(err));

	FUZZ_CHECK((ret == 0) == name_ok(s));
	if (ret)
		FUZZ_CHECK(err[0]);
}

/* The value is the number times its unit, never wrapped. */
static void duration_exact(const char *s, __u64 ns)
{
	unsigned long long v, want;
	__u64 unit = 0;
	char *end;

	v = strtoull(s, &end, 10);
	if (!strcmp(end, "ms"))
		unit = 1000000ULL;
	else if (!strcmp(end, "s"))
		unit = NSEC_PER_SEC;
	else if (!strcmp(end, "m"))
		unit = 60 * NSEC_PER_SEC;
	else if (!strcmp(end, "h"))
		unit = 3600 * NSEC_PER_SEC;
	FUZZ_CHECK(unit);
	FUZZ_CHECK(!__builtin_mul_overflow(v, unit, &want) && want == ns);
	FUZZ_CHECK(ns <= FG_DURATION_MAX_NS);
}

static void duration(const char *s)
{
	__u64 ns;

	if (fg_parse_duration(s, &ns))
		return;
	FUZZ_CHECK(isdigit((unsigned char)s[0]));
	duration_exact(s, ns);
}

static void percent(const char *s)
{
	__u32 pct;

	if (fg_parse_percent(s, &pct))
		return;
	FUZZ_CHECK(pct <= 100);
	FUZZ_CHECK(strtoul(s, NULL, 10) == pct);
}

/* Map contents are whatever was written: the printers must cope with any. */
static void formatters(const uint8_t *d, size_t n)
{
	uint8_t raw[28] = {};
	__u32 plen;
	__u64 interval;
	__u16 port;
	char buf[64], rbuf[32];

	memcpy(raw, d, n < sizeof(raw) ? n : sizeof(raw));
	memcpy(&plen, raw + 16, 4);
	memcpy(&interval, raw + 20, 8);
	memcpy(&port, raw + 20, 2);
	fg_format_prefix(raw, plen, buf, sizeof(buf));
	FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1); /* never cut short */
	fg_format_endpoint(raw, port, buf, sizeof(buf));
	FUZZ_CHECK(strlen(buf) < sizeof(buf) - 1);
	/* Every caller passes a policy's interval, never 0. */
	fg_format_rate(interval ? interval : 1, rbuf, sizeof(rbuf));
	FUZZ_CHECK(strlen(rbuf) < sizeof(rbuf) - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	if ((data[0] & 7) == 7) {
		formatters(data + 1, size - 1);
		return 0;
	}
	s = fuzz_str(data + 1, size - 1);
	switch (data[0] & 7) {
	case 0:
		rate(s);
		break;
	case 1:
		prefix(s);
		break;
	case 2:
		u32(s);
		break;
	case 3:
		endpoint(s);
		break;
	case 4:
		name(s);
		break;
	case 5:
		duration(s);
		break;
	case 6:
		percent(s);
		break;
	}
	free(s);
	return 0;
}
