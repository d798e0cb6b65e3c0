// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* What operators type, parsed and printed back (parse.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define NSEC_PER_SEC 1000000000ULL

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
	snprintf(err, errlen, fmt, arg);
	return -EINVAL;
}

int fg_parse_rate(const char *s, struct fg_rate *out, char *err, size_t errlen)
{
	const char *usage = "invalid rate '%s': expected N/s, N/m or N/h, N a positive "
			    "integer with optional k or M (e.g. 200/s, 10k/s, 30/m)";
	unsigned long long n, mult = 1;
	const char *p = s;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return fail(err, errlen, usage, s ? s : "");
	errno = 0;
	n = strtoull(p, &end, 10);
	if (errno || end == p)
		return fail(err, errlen, usage, s);
	if (*end == 'k' || *end == 'M') {
		mult = *end == 'k' ? 1000 : 1000000;
		end++;
	}
	if (end[0] != '/' || !end[1] || end[2])
		return fail(err, errlen, usage, s);
	switch (end[1]) {
	case 's': out->unit_ns = NSEC_PER_SEC; break;
	case 'm': out->unit_ns = 60 * NSEC_PER_SEC; break;
	case 'h': out->unit_ns = 3600 * NSEC_PER_SEC; break;
	default: return fail(err, errlen, usage, s);
	}
	if (n == 0)
		return fail(err, errlen, "invalid rate '%s': must be greater than zero", s);
	if (n > NSEC_PER_SEC || n * mult > NSEC_PER_SEC)
		return fail(err, errlen, "invalid rate '%s': at most 1G per second", s);
	out->count = n * mult;
	/* Round to nearest so e.g. 3/s does not drift high by truncation. */
	out->interval_ns = (out->unit_ns + out->count / 2) / out->count;
	if (out->interval_ns == 0 || out->unit_ns / out->count == 0)
		return fail(err, errlen, "invalid rate '%s': at most 1G per second", s);
	return 0;
}

int fg_check_bucket(const char *what, const char *rate, __u64 interval_ns, __u32 burst,
		    char *err, size_t errlen)
{
	double years;

	if (burst >= 1 && (__u64)(burst - 1) <= FG_TOLERANCE_MAX_NS / interval_ns)
		return 0;
	years = (double)(burst - 1) * (double)interval_ns / 1e9 / (365.25 * 86400);
	snprintf(err, errlen,
		 "invalid %s %u at %s: it would take %.0f years to refill, more than a bucket "
		 "holds (%.0f years)", what, burst, rate, years,
		 (double)FG_TOLERANCE_MAX_NS / 1e9 / (365.25 * 86400));
	return -EINVAL;
}

__u32 fg_default_burst(const struct fg_rate *r)
{
	__u64 per_sec = r->count * NSEC_PER_SEC / r->unit_ns;

	if (per_sec < 1)
		return 1;
	return per_sec > FG_BURST_MAX ? FG_BURST_MAX : (__u32)per_sec;
}

int fg_parse_new_sources(const char *s, __u64 *interval_ns, __u32 *burst, char *err,
			 size_t errlen)
{
	struct fg_rate r;

	if (s && !strcmp(s, "off")) {
		*interval_ns = 0;
		*burst = 0;
		return 0;
	}
	if (fg_parse_rate(s, &r, err, errlen)) {
		snprintf(err, errlen, "invalid new-source budget '%s': expected a RATE (1k/s) or off",
			 s ? s : "");
		return -EINVAL;
	}
	*interval_ns = r.interval_ns;
	*burst = fg_default_burst(&r);
	return 0;
}

void fg_mask_prefix(__u8 *addr, __u32 prefixlen)
{
	for (unsigned int i = 0; i < FG_ADDR_LEN; i++) {
		int bits = (int)prefixlen - 8 * (int)i;

		if (bits <= 0)
			addr[i] = 0;
		else if (bits < 8)
			addr[i] &= (__u8)(0xff << (8 - bits));
	}
}

int fg_parse_prefix(const char *s, struct fg_lpm_key *out, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned long len, max;
	char *slash, *end;
	__u8 masked[16];
	int v4;

	if (!s || !*s)
		return fail(err, errlen, "invalid prefix '%s': empty", "");
	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "invalid prefix '%.60s': too long", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';

	memset(out, 0, sizeof(*out));
	v4 = strchr(buf, ':') == NULL;
	if (v4) {
		struct in_addr a;

		if (inet_pton(AF_INET, buf, &a) != 1)
			return fail(err, errlen,
				    "invalid prefix '%s': not an IPv4 or IPv6 address", s);
		out->addr[10] = out->addr[11] = 0xff;
		memcpy(&out->addr[12], &a, 4);
		max = 32;
	} else {
		if (inet_pton(AF_INET6, buf, out->addr) != 1)
			return fail(err, errlen,
				    "invalid prefix '%s': not an IPv4 or IPv6 address", s);
		max = 128;
	}

	len = max;
	if (slash) {
		if (*slash < '0' || *slash > '9')
			return fail(err, errlen, "invalid prefix '%s': length is not a number", s);
		errno = 0;
		len = strtoul(slash, &end, 10);
		if (errno || *end || len > max) {
			snprintf(err, errlen, "invalid prefix '%s': length must be 0..%lu", s, max);
			return -EINVAL;
		}
	}
	out->prefixlen = v4 ? FG_V4_MAPPED_PREFIX + len : len;
	/* ::ffff:0:0/96 and longer inside it is where IPv4 lives: one spelling. */
	if (!v4 && len >= FG_V4_MAPPED_PREFIX && fg_is_v4_mapped(out->addr)) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &out->addr[12], a, sizeof(a));
		snprintf(err, errlen, "invalid prefix '%s': IPv4-mapped; write it as IPv4 (%s/%lu)",
			 s, a, len - FG_V4_MAPPED_PREFIX);
		return -EINVAL;
	}

	memcpy(masked, out->addr, 16);
	fg_mask_prefix(masked, out->prefixlen);
	if (memcmp(masked, out->addr, 16)) {
		char want[64];

		fg_format_prefix(masked, out->prefixlen, want, sizeof(want));
		snprintf(err, errlen, "invalid prefix '%s': host bits set (did you mean %s?)", s,
			 want);
		return -EINVAL;
	}
	return 0;
}

int fg_parse_u32(const char *s, const char *what, __u32 min, __u32 max, __u32 *out,
		 char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!s || *s < '0' || *s > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = (__u32)v;
	return 0;
bad:
	snprintf(err, errlen, "invalid %s '%s': expected an integer %u..%u", what, s ? s : "",
		 min, max);
	return -EINVAL;
}

int fg_is_v4_mapped(const __u8 *a)
{
	static const __u8 pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, pfx, 12) == 0;
}

void fg_format_prefix(const __u8 *addr, __u32 prefixlen, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (fg_is_v4_mapped(addr) && prefixlen >= FG_V4_MAPPED_PREFIX) {
		inet_ntop(AF_INET, addr + 12, a, sizeof(a));
		prefixlen -= FG_V4_MAPPED_PREFIX;
		if (prefixlen == 32)
			snprintf(buf, len, "%s", a);
		else
			snprintf(buf, len, "%s/%u", a, prefixlen);
		return;
	}
	inet_ntop(AF_INET6, addr, a, sizeof(a));
	if (prefixlen == 128)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, prefixlen);
}

void fg_format_rate(__u64 interval_ns, char *buf, size_t len)
{
	static const struct { __u64 ns; char u; } units[] = {
		{ NSEC_PER_SEC, 's' }, { 60 * NSEC_PER_SEC, 'm' }, { 3600 * NSEC_PER_SEC, 'h' },
	};
	double per;

	for (unsigned int i = 0; i < 3; i++) {
		per = (double)units[i].ns / (double)interval_ns;
		/* Pick the first unit in which the rate is a whole number. */
		if (per >= 1 && per - (double)(__u64)(per + 0.5) < 1e-6 &&
		    (double)(__u64)(per + 0.5) - per < 1e-6) {
			snprintf(buf, len, "%llu/%c", (unsigned long long)(per + 0.5), units[i].u);
			return;
		}
	}
	snprintf(buf, len, "%.6g/s", (double)NSEC_PER_SEC / (double)interval_ns);
}

int fg_parse_endpoint(const char *s, __u8 *addr, __u16 *port, char *err, size_t errlen)
{
	const char *usage = "invalid address '%s': expected ADDR:PORT (198.18.2.10:80 or "
			    "[2001:db8::10]:80)";
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t hlen;
	__u32 p;

	if (!s || !*s)
		return fail(err, errlen, usage, "");
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return fail(err, errlen, usage, s);
		hlen = close - s - 1;
		if (hlen >= sizeof(host))
			return fail(err, errlen, usage, s);
		memcpy(host, s + 1, hlen);
		host[hlen] = 0;
		colon = close + 1;
		if (inet_pton(AF_INET6, host, addr) != 1)
			return fail(err, errlen, "invalid address '%s': not an IPv6 address", s);
	} else {
		struct in_addr a;

		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return fail(err, errlen, usage, s);
		hlen = colon - s;
		if (hlen >= sizeof(host))
			return fail(err, errlen, usage, s);
		memcpy(host, s, hlen);
		host[hlen] = 0;
		if (inet_pton(AF_INET, host, &a) != 1)
			return fail(err, errlen, "invalid address '%s': not an IPv4 address", s);
		memset(addr, 0, 16);
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &a, 4);
	}
	if (fg_parse_u32(colon + 1, "port", 1, 65535, &p, err, errlen)) {
		snprintf(err, errlen, "invalid address '%s': port must be 1..65535", s);
		return -EINVAL;
	}
	*port = (__u16)p;
	return 0;
}

int fg_parse_name(const char *s, char *err, size_t errlen)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n >= FG_NAME_MAX)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    s[i]))
			goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "invalid name '%.40s': use 1..%d letters, digits, '_', '.' or '-'", s ? s : "",
		 FG_NAME_MAX - 1);
	return -EINVAL;
}

void fg_format_endpoint(const __u8 *addr, __u16 port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (fg_is_v4_mapped(addr)) {
		inet_ntop(AF_INET, addr + 12, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, port);
	} else {
		inet_ntop(AF_INET6, addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, port);
	}
}

/* Durations are what both programs take: the daemon's config and the
 * CLI's --interval. */
int fg_parse_duration(const char *s, __u64 *ns)
{
	unsigned long long v;
	char *end;
	__u64 unit;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		unit = FG_NS_PER_MS;
	else if (!strcmp(end, "s"))
		unit = 1000 * FG_NS_PER_MS;
	else if (!strcmp(end, "m"))
		unit = 60000 * FG_NS_PER_MS;
	else if (!strcmp(end, "h"))
		unit = 3600000 * FG_NS_PER_MS;
	else
		return -EINVAL;
	/* Compare before multiplying: 18446744074s must not wrap to 0.29 s. */
	if (v > FG_DURATION_MAX_NS / unit)
		return -ERANGE;
	*ns = v * unit;
	return 0;
}
