// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The name of every enum value (names.h), checked complete at compile time. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "names.h"

/*
 * FG_NAMES(table, count, LIST) defines table from LIST(X), a list of
 * X(VALUE, "name"), and fails the build unless every value below count has
 * a name: the table has count slots (none past the last value), LIST has
 * count entries, and no slot is named twice (-Woverride-init, in -Wextra).
 */
#define FG_DESIGNATE(v, s) [v] = s,
#define FG_PLUS_ONE(v, s) +1
#define FG_NAMES(table, count, LIST)                                                   \
	const char *const table[] = { LIST(FG_DESIGNATE) };                             \
	_Static_assert(FG_ARRAY_SIZE(table) == (count), #table ": a name past the enum"); \
	_Static_assert(0 LIST(FG_PLUS_ONE) == (count), #table ": a value has no name")

#define BREAKERS(X)                                                                     \
	X(FG_BREAKER_CLOSED, "closed") X(FG_BREAKER_OPEN, "open")                       \
	X(FG_BREAKER_HALF_OPEN, "half-open")
FG_NAMES(fg_breaker_names, FG_BREAKER_MAX, BREAKERS);

#define REJECTS(X) X(FG_REJECT_DROP, "drop") X(FG_REJECT_RESET, "reset")
FG_NAMES(fg_reject_names, FG_REJECT_MAX, REJECTS);

#define FORCES(X) X(FG_FORCE_AUTO, "auto") X(FG_FORCE_OPEN, "open") X(FG_FORCE_CLOSED, "close")
FG_NAMES(fg_force_names, FG_FORCE_MAX, FORCES);

#define REASONS(X)                                                                      \
	X(FG_WHY_NONE, "none") X(FG_WHY_CONSECUTIVE, "consecutive_failures")            \
	X(FG_WHY_FAILURE_RATE, "failure_rate") X(FG_WHY_TIMEOUT, "open_timeout")        \
	X(FG_WHY_PROBE_FAILED, "half_open_failure") X(FG_WHY_RECOVERED, "recovered")    \
	X(FG_WHY_FORCED, "forced") X(FG_WHY_AUTO, "auto") X(FG_WHY_FLEET, "fleet")
FG_NAMES(fg_brk_reason_names, FG_WHY_MAX, REASONS);

#define MODES(X) X(FG_MODE_ENFORCE, "enforce") X(FG_MODE_MONITOR, "monitor")
FG_NAMES(fg_mode_names, FG_MODE_MAX, MODES);

#define ACTIONS(X) X(FG_ACT_LIMIT, "limit") X(FG_ACT_ALLOW, "allow") X(FG_ACT_DENY, "deny")
FG_NAMES(fg_action_names, FG_ACT_MAX, ACTIONS);

#define PERS(X) X(FG_PER_SOURCE, "source") X(FG_PER_PREFIX, "prefix")
FG_NAMES(fg_per_names, FG_PER_MAX, PERS);

#define XDP_MODES(X) X(FG_XDP_AUTO, "auto") X(FG_XDP_NATIVE, "native") X(FG_XDP_GENERIC, "generic")
FG_NAMES(fg_xdp_mode_names, FG_XDP_MAX, XDP_MODES);

#define HOOKS(X) X(FG_HOOK_XDP, "xdp") X(FG_HOOK_TC, "tc")
FG_NAMES(fg_hook_names, FG_HOOK_MAX, HOOKS);

#define STATS(X)                                                                        \
	X(FG_R_NON_IP, "non_ip") X(FG_R_NO_POLICY, "no_policy") X(FG_R_ALLOW, "allow")  \
	X(FG_R_LIMIT_PASS, "limit_pass") X(FG_R_BUCKET_FULL, "bucket_full")             \
	X(FG_R_MALFORMED_PASS, "malformed_pass") X(FG_R_MONITOR_DENY, "monitor_deny")   \
	X(FG_R_MONITOR_LIMIT, "monitor_limit")                                          \
	X(FG_R_MONITOR_MALFORMED, "monitor_malformed")                                  \
	X(FG_R_OVERFLOW_PASS, "overflow_pass")                                          \
	X(FG_R_MONITOR_OVERFLOW, "monitor_overflow") X(FG_R_DENY, "deny")               \
	X(FG_R_LIMIT_DROP, "limit_drop") X(FG_R_MALFORMED, "malformed")                 \
	X(FG_R_CONTENTION, "contention") X(FG_R_BREAKER_DROP, "breaker_drop")           \
	X(FG_R_BREAKER_RESET, "breaker_reset") X(FG_R_OVERFLOW_DROP, "overflow_drop")   \
	X(FG_C_NEW_SOURCE, "new_source") X(FG_C_FRAGMENT, "fragment")                   \
	X(FG_C_FLOW_NEW, "flow_new") X(FG_C_FLOW_UNTRACKED, "flow_untracked")           \
	X(FG_C_ADMITTED, "new_admitted")
FG_NAMES(fg_stat_names, FG_STAT_MAX, STATS);

#define USTATS(X)                                                                       \
	X(FG_U_SYN, "syn") X(FG_U_SYNACK, "syn_ack") X(FG_U_RST, "rst")                 \
	X(FG_U_HTTP_2XX, "http_2xx") X(FG_U_HTTP_3XX, "http_3xx")                       \
	X(FG_U_HTTP_4XX, "http_4xx") X(FG_U_HTTP_429, "http_429")                       \
	X(FG_U_HTTP_5XX, "http_5xx") X(FG_U_REJECTED, "rejected")                       \
	X(FG_U_RESETS, "resets_sent") X(FG_U_PROBES, "probes") X(FG_U_STALE, "stale_pass") \
	X(FG_U_IGNORED, "ignored") X(FG_U_RST_LIMITED, "resets_rate_limited")           \
	X(FG_U_RST_REFUSED, "resets_refused")
FG_NAMES(fg_ustat_names, FG_U_MAX, USTATS);

/* Sparse by nature: only the two protocols an upstream can have. */
const char *const fg_proto_names[FG_PROTO_NAMES_LEN] = {
	[IPPROTO_TCP] = "tcp",
	[IPPROTO_UDP] = "udp",
};
_Static_assert(FG_PROTO_NAMES_LEN == IPPROTO_UDP + 1, "fg_proto_names: udp is the last");

const char *fg_name(const char *const *table, size_t n, unsigned int v)
{
	return v < n && table[v] ? table[v] : "unknown";
}

int fg_name_value(const char *const *table, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (table[i] && !strcmp(table[i], s))
			return (int)i;
	return -1;
}

void fg_names_join(const char *const *table, size_t n, const char *sep, const char *last,
		   char *buf, size_t len)
{
	size_t left = 0, used = 0;

	for (size_t i = 0; i < n; i++)
		left += !!table[i];
	buf[0] = 0;
	for (size_t i = 0; i < n && used < len; i++) {
		if (!table[i])
			continue;
		left--;
		used += snprintf(buf + used, len - used, "%s%s", table[i],
				 !left ? "" : left == 1 ? last : sep);
	}
}

const char *fg_breaker_name(enum fg_breaker s)
{
	return FG_NAME(fg_breaker_names, s);
}

const char *fg_proto_name(__u8 proto)
{
	return FG_NAME(fg_proto_names, proto);
}

const char *fg_verdict_name(enum fg_stat r)
{
	return r < FG_R_FIRST_DROP ? "pass" : "drop";
}
