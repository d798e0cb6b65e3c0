// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Fleet shares in the XDP program under BPF_PROG_TEST_RUN
 * (floodgate_kern_user.h): a known source is marked hot only past half its
 * burst and only while shares are on; a share lowers the rate it is
 * admitted at; an expired share is ignored; a share never raises a limit
 * nor takes it below 1/64. Slow limits (1/s), so the milliseconds a run
 * takes count for nothing; refills through fx_bucket_age, never a sleep.
 */
#include <linux/bpf.h>

#include "fixture.h"
#include "maps.h"

#define SEC_NS 1000000000ULL
#define SRC "198.18.0.1"
#define PLEN 128
#define BURST 10

static void set_shares(struct fg_config *cfg, void *arg)
{
	cfg->shares_on = *(int *)arg;
}

static void shares_on(int on)
{
	fx_config(set_shares, &on);
}

/* n packets of SRC: how many passed. */
static int passed(int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += fx_xdp((struct pkt_spec){ .src = SRC }) == XDP_PASS;
	return ok;
}

static int is_hot(void)
{
	struct fg_hot h;
	struct fg_bucket b;

	return fx_hot_get(SRC, PLEN, &h) == 0 && fx_bucket_get(SRC, PLEN, &b) == 0 &&
	       (b.policy_gen & FG_GEN_HOT);
}

/* 1/s burst 10 for 198.18.0.0/16, shares on. */
static void setup(void)
{
	fx_policy("198.18.0.0/16", FG_ACT_LIMIT, "1/s", BURST, FG_PER_SOURCE);
	shares_on(1);
}

/* A full bucket again (its TAT long past). */
static void refill(void)
{
	ASSERT_OK(fx_bucket_age(SRC, PLEN, 100 * SEC_NS), "age the bucket");
}

static struct fg_share share(__u64 interval, __u32 burst, __s64 expires_in)
{
	return (struct fg_share){
		.interval_ns = interval,
		.burst = burst,
		.expires_ns = fg_now_ns() + expires_in,
	};
}

/* Packet k finds k-1 of the burst used: past half of (B-1) T at k = 6. */
TEST(shares_hot_only_past_half_burst)
{
	struct fg_hot h;

	SETUP();
	setup();
	ASSERT_EQ(passed(5), 5, "five packets pass");
	ASSERT_TRUE(!is_hot(), "not hot within half its burst");
	ASSERT_EQ(passed(1), 1, "the sixth passes");
	ASSERT_TRUE(is_hot(), "hot past half its burst");
	ASSERT_EQ(passed(3), 3, "three more pass");
	ASSERT_OK(fx_hot_get(SRC, PLEN, &h), "hot entry");
	ASSERT_EQ(h.packets, 4, "the hot entry counts the packets since the mark");
	ASSERT_EQ(h.interval_ns, SEC_NS, "with the bucket's interval");
	ASSERT_EQ(h.burst, BURST, "and burst");
	ASSERT_EQ(passed(3), 1, "the limit holds (10 in all)");
	ASSERT_OK(fx_hot_get(SRC, PLEN, &h), "hot entry");
	ASSERT_EQ(h.packets, 7, "dropped packets count too (the rate offered)");
}

/* A box alone (shares off) marks nothing: a source over its limit there
 * costs no more than before. */
TEST(shares_off_marks_nothing)
{
	struct fg_hot h;

	SETUP();
	setup();
	shares_on(0);
	ASSERT_EQ(passed(12), BURST, "the limit holds");
	ASSERT_TRUE(fx_hot_get(SRC, PLEN, &h) != 0, "no hot entry");
	ASSERT_TRUE(!is_hot(), "not marked");
}

/* Marked, then the fleet goes down: the flag is dropped at the next packet. */
TEST(shares_off_unmarks)
{
	struct fg_bucket b;
	struct fg_share sh = share(5 * SEC_NS, 1, 3600 * SEC_NS);

	SETUP();
	setup();
	ASSERT_EQ(passed(6), 6, "six pass");
	ASSERT_TRUE(is_hot(), "hot");
	ASSERT_OK(fx_share_set(SRC, PLEN, &sh), "write a share");
	shares_on(0);
	refill();
	ASSERT_EQ(passed(12), BURST, "its own limit, the share ignored");
	ASSERT_OK(fx_bucket_get(SRC, PLEN, &b), "bucket");
	ASSERT_EQ(b.policy_gen & FG_GEN_HOT, 0, "flag cleared");
}

TEST(shares_lower_the_rate)
{
	struct fg_share sh = share(3 * SEC_NS, 2, 3600 * SEC_NS);

	SETUP();
	setup();
	ASSERT_EQ(passed(6), 6, "six pass");
	ASSERT_TRUE(is_hot(), "hot");
	ASSERT_OK(fx_share_set(SRC, PLEN, &sh), "write a share: 1/3 s burst 2");
	/* 6 s of TAT ahead: over the share's tolerance (3 s), within the own (9 s). */
	ASSERT_EQ(passed(1), 0, "held by the share");
	refill();
	ASSERT_EQ(passed(BURST + 2), 2, "a full bucket passes the share's burst");
	ASSERT_OK(fx_bucket_age(SRC, PLEN, 3 * SEC_NS), "3 s pass");
	ASSERT_EQ(passed(3), 1, "one packet per share interval");
	ASSERT_OK(fx_share_set(SRC, PLEN, NULL), "delete the share");
	refill();
	ASSERT_EQ(passed(BURST + 2), BURST, "its own limit again");
}

TEST(shares_expired_ignored)
{
	struct fg_share sh = share(3 * SEC_NS, 1, -(__s64)SEC_NS);

	SETUP();
	setup();
	ASSERT_EQ(passed(6), 6, "six pass");
	ASSERT_OK(fx_share_set(SRC, PLEN, &sh), "write a share expired a second ago");
	refill();
	ASSERT_EQ(passed(BURST + 2), BURST, "its own limit");
}

TEST(shares_never_raise_a_limit)
{
	struct fg_share sh = share(1000, 1000000, 3600 * SEC_NS);

	SETUP();
	setup();
	ASSERT_EQ(passed(6), 6, "six pass");
	ASSERT_OK(fx_share_set(SRC, PLEN, &sh), "write a share 10^6 times the limit");
	refill();
	ASSERT_EQ(passed(BURST + 5), BURST, "no more than its own limit");
}

/* However the map was written, at least 1/64 of the limit. */
TEST(shares_datapath_floor)
{
	struct fg_share sh = share(1000 * SEC_NS, 0, 3600 * SEC_NS);

	SETUP();
	setup();
	ASSERT_EQ(passed(6), 6, "six pass");
	ASSERT_OK(fx_share_set(SRC, PLEN, &sh), "write a share of 1/1000, burst 0");
	refill();
	ASSERT_EQ(passed(3), 1, "burst 1");
	ASSERT_OK(fx_bucket_age(SRC, PLEN, 65 * SEC_NS), "65 s pass");
	ASSERT_EQ(passed(3), 1, "one more after 64 intervals, not 1000");
}

/* floodgated deleted the hot entry (cooled): cold again, marked anew only
 * if it is still past half its burst. */
TEST(shares_cooled_entry_remarked)
{
	struct fg_hot h;

	SETUP();
	setup();
	ASSERT_EQ(passed(6), 6, "six pass");
	ASSERT_OK(fx_hot_del(SRC, PLEN), "delete the hot entry");
	ASSERT_EQ(passed(1), 1, "passes");
	ASSERT_OK(fx_hot_get(SRC, PLEN, &h), "marked again (still past half)");
	ASSERT_EQ(h.packets, 1, "counting from the new mark");
	ASSERT_OK(fx_hot_del(SRC, PLEN), "delete it again");
	refill();
	ASSERT_EQ(passed(1), 1, "passes");
	ASSERT_TRUE(!is_hot(), "cold: not marked");
}

/* A --per prefix budget is shared alike: its one bucket (key: the prefix,
 * FG_KEY_SHARED) is marked hot past half its burst, whatever sources of the
 * prefix spent it, and then held to its share. */
TEST(shares_prefix_budget)
{
	static const char *const srcs[] = { "198.19.0.1", "198.19.0.2", "198.19.0.3" };
	const char *pfx = "198.19.0.0";
	const __u32 plen = (96 + 24) | FG_KEY_SHARED;
	struct fg_share sh = share(3 * SEC_NS, 2, 3600 * SEC_NS);
	struct fg_hot h;
	int ok = 0;

	SETUP();
	fx_policy("198.19.0.0/24", FG_ACT_LIMIT, "1/s", BURST, FG_PER_PREFIX);
	shares_on(1);
	for (int i = 0; i < 5; i++)
		ok += fx_xdp((struct pkt_spec){ .src = srcs[i % 3] }) == XDP_PASS;
	ASSERT_EQ(ok, 5, "five pass");
	ASSERT_TRUE(fx_hot_get(pfx, plen, &h) != 0, "not hot within half its burst");
	ASSERT_EQ(fx_xdp((struct pkt_spec){ .src = srcs[2] }), XDP_PASS, "the sixth passes");
	ASSERT_OK(fx_hot_get(pfx, plen, &h), "the prefix's bucket is hot");
	ASSERT_EQ(fx_xdp((struct pkt_spec){ .src = srcs[0] }), XDP_PASS, "within its own limit");
	ASSERT_OK(fx_share_set(pfx, plen, &sh), "write a share: 1/3 s burst 2");
	ASSERT_EQ(fx_xdp((struct pkt_spec){ .src = srcs[1] }), XDP_DROP, "held by the share");
	ASSERT_OK(fx_hot_get(pfx, plen, &h), "hot entry");
	ASSERT_EQ(h.packets, 3, "counted from the mark, dropped ones too");
	ASSERT_OK(fx_bucket_age(pfx, plen, 100 * SEC_NS), "refill");
	ok = 0;
	for (int i = 0; i < BURST; i++)
		ok += fx_xdp((struct pkt_spec){ .src = srcs[i % 3] }) == XDP_PASS;
	ASSERT_EQ(ok, 2, "the share's burst, all sources of the prefix together");
}
