// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The enum-name tables (names.h): complete, spelled as the output has them. */
#include <netinet/in.h>

#include "test.h"
#include "names.h"

#define ALL_NAMED(table) all_named(#table, table, FG_ARRAY_SIZE(table))

static void all_named(const char *what, const char *const *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		FG_CHECK(t[i] && *t[i], "%s[%zu] has no name", what, i);
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			FG_CHECK(strcmp(t[i], t[k]), "%s: '%s' twice", what, t[i]);
}

TEST(names_complete)
{
	ALL_NAMED(fg_breaker_names);
	ALL_NAMED(fg_reject_names);
	ALL_NAMED(fg_force_names);
	ALL_NAMED(fg_brk_reason_names);
	ALL_NAMED(fg_mode_names);
	ALL_NAMED(fg_action_names);
	ALL_NAMED(fg_per_names);
	ALL_NAMED(fg_xdp_mode_names);
	ALL_NAMED(fg_hook_names);
	ALL_NAMED(fg_stat_names);
	ALL_NAMED(fg_ustat_names);
}

/* What the textfile, the JSON and the control socket print today. */
TEST(names_spelling)
{
	ASSERT_STREQ(fg_breaker_name(FG_BREAKER_CLOSED), "closed", "closed");
	ASSERT_STREQ(fg_breaker_name(FG_BREAKER_OPEN), "open", "open");
	ASSERT_STREQ(fg_breaker_name(FG_BREAKER_HALF_OPEN), "half-open", "half-open, with a dash");
	ASSERT_STREQ(fg_reject_names[FG_REJECT_RESET], "reset", "reject reset");
	ASSERT_STREQ(fg_force_names[FG_FORCE_CLOSED], "close", "force: the verb");
	ASSERT_STREQ(fg_brk_reason_names[FG_WHY_PROBE_FAILED], "half_open_failure", "reason");
	ASSERT_STREQ(fg_brk_reason_names[FG_WHY_AUTO], "auto", "reason auto");
	ASSERT_STREQ(fg_mode_names[FG_MODE_MONITOR], "monitor", "mode");
	ASSERT_STREQ(fg_action_names[FG_ACT_DENY], "deny", "action");
	ASSERT_STREQ(fg_per_names[FG_PER_PREFIX], "prefix", "per");
	ASSERT_STREQ(fg_xdp_mode_names[FG_XDP_GENERIC], "generic", "xdp mode");
	ASSERT_STREQ(fg_hook_names[FG_HOOK_TC], "tc", "hook");
	ASSERT_STREQ(fg_ustat_names[FG_U_RST_REFUSED], "resets_refused", "last upstream counter");
	ASSERT_STREQ(fg_stat_names[FG_R_DENY], "deny", "first drop reason");
	ASSERT_STREQ(fg_proto_name(IPPROTO_TCP), "tcp", "tcp");
	ASSERT_STREQ(fg_proto_name(IPPROTO_UDP), "udp", "udp");
	ASSERT_STREQ(fg_verdict_name(FG_R_MONITOR_OVERFLOW), "pass", "last pass reason");
	ASSERT_STREQ(fg_verdict_name(FG_R_DENY), "drop", "first drop reason");
}

TEST(names_lookup)
{
	char buf[64];

	ASSERT_STREQ(FG_NAME(fg_breaker_names, FG_BREAKER_MAX), "unknown", "past the end");
	ASSERT_STREQ(fg_proto_name(IPPROTO_ICMP), "unknown", "a hole");
	ASSERT_STREQ(fg_proto_name(255), "unknown", "past the sparse end");
	ASSERT_EQ(fg_name_value(fg_proto_names, FG_ARRAY_SIZE(fg_proto_names), "udp"),
		  IPPROTO_UDP, "udp by name");
	ASSERT_EQ(fg_name_value(fg_breaker_names, FG_BREAKER_MAX, "half-open"),
		  FG_BREAKER_HALF_OPEN, "half-open by name");
	ASSERT_EQ(fg_name_value(fg_breaker_names, FG_BREAKER_MAX, "half_open"), -1, "no alias");
	ASSERT_EQ(fg_name_value(fg_mode_names, FG_MODE_MAX, NULL), -1, "NULL");
	fg_names_join(fg_xdp_mode_names, FG_XDP_MAX, ", ", " or ", buf, sizeof(buf));
	ASSERT_STREQ(buf, "auto, native or generic", "three joined");
	fg_names_join(fg_proto_names, FG_ARRAY_SIZE(fg_proto_names), "|", "|", buf, sizeof(buf));
	ASSERT_STREQ(buf, "tcp|udp", "sparse joined");
	fg_names_join(fg_mode_names, FG_MODE_MAX, ", ", " or ", buf, 8);
	ASSERT_STREQ(buf, "enforce", "truncated, terminated");
}
