/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Parsers for what operators type: RATE (N/s, N/m, N/h with an optional k/M
 * suffix on N), PREFIX (IPv4 or IPv6 address with optional /len) and plain
 * bounded integers. Each returns 0, or -EINVAL with a one-line reason in err.
 */
#ifndef FG_PARSE_H
#define FG_PARSE_H

#include <stddef.h>
#include <linux/types.h>
#include "floodgate_kern_user.h"

#define FG_ERR_LEN 160
#define FG_BURST_MAX 10000000U
#define FG_NAME_MAX 32 /* FG_UPSTREAM_NAME_LEN, with the NUL */

struct fg_rate {
	__u64 count;   /* N, after the k/M suffix */
	__u64 unit_ns; /* 1e9, 60e9 or 3600e9 */
	__u64 interval_ns;
};

int fg_parse_rate(const char *s, struct fg_rate *out, char *err, size_t errlen);
int fg_parse_prefix(const char *s, struct fg_lpm_key *out, char *err, size_t errlen);
/* Zero the bits of a 16-byte address past prefixlen. */
void fg_mask_prefix(__u8 *addr, __u32 prefixlen);

/*
 * The new-source budget of a per-source limit when none is given: 1,000 new
 * sources a second (burst: one second's worth). A busy edge box meets far
 * fewer genuinely new clients a second, and with the default 1,000,000
 * buckets it keeps every known source's bucket at least 1,000 s (17 min)
 * through any flood of forged sources, which pass at most ~2,000 packets/s.
 */
#define FG_NEW_SOURCES_DEFAULT "1k/s"
/* --new-sources / new_sources: RATE (burst one second of it) or "off" (0, 0). */
int fg_parse_new_sources(const char *s, __u64 *interval_ns, __u32 *burst, char *err,
			 size_t errlen);
#define FG_NS_PER_MS 1000000ULL
#define FG_DURATION_MAX_NS (366ULL * 24 * 3600 * 1000000000) /* a leap year */
/* "100ms", "5s", "2m", "1h": 0, -EINVAL, or -ERANGE past FG_DURATION_MAX_NS. */
int fg_parse_duration(const char *s, __u64 *ns);
int fg_parse_u32(const char *s, const char *what, __u32 min, __u32 max, __u32 *out,
		 char *err, size_t errlen);

/* ADDR:PORT, [IPv6]:PORT; addr out is 16 bytes (IPv4 v4-mapped), port host order. */
int fg_parse_endpoint(const char *s, __u8 *addr, __u16 *port, char *err, size_t errlen);
/* Upstream names: 1..31 of [A-Za-z0-9_.-], safe as a Prometheus label value. */
int fg_parse_name(const char *s, char *err, size_t errlen);
/* "198.18.2.10:80", "[2001:db8::10]:80". */
void fg_format_endpoint(const __u8 *addr, __u16 port, char *buf, size_t len);

int fg_is_v4_mapped(const __u8 *addr);

/* A bucket (burst at interval_ns) must refill within FG_TOLERANCE_MAX_NS:
 * 0, or -EINVAL naming what ("--burst", "burst") and the rate as typed. */
int fg_check_bucket(const char *what, const char *rate, __u64 interval_ns, __u32 burst,
		    char *err, size_t errlen);

/* Default burst for a rate: one second's worth, at least 1. */
__u32 fg_default_burst(const struct fg_rate *r);

/* "198.18.0.0/16", "2001:db8::/32"; v4-mapped keys print as IPv4. */
void fg_format_prefix(const __u8 *addr, __u32 prefixlen, char *buf, size_t len);
/* "200/s", "10/m": the rate an interval stands for, in its most natural unit. */
void fg_format_rate(__u64 interval_ns, char *buf, size_t len);

#endif /* FG_PARSE_H */
