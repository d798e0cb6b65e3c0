// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Policy semantics of the XDP program under BPF_PROG_TEST_RUN (DESIGN §3
 * "Addresses", "Token bucket", "Unknown sources"): the families never mix, a
 * policy longer than the bucket prefix holds for exactly its addresses, a
 * policy change applies at once both ways, rate x burst never overflows,
 * monitor mode follows one rule, and unknown sources get buckets only within
 * their policy's new-source budget. Each case is a table of steps: the frame,
 * the verdict and the counter it must bump.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf.h>

#include "fixture.h"
#include "parse.h"

struct step {
	struct pkt_spec s;
	int verdict; /* XDP_PASS / XDP_DROP */
	int reason;  /* enum fg_stat bumped by exactly one */
	int times;   /* repeat the step (0: once) */
};

#define SRC(a) { .src = a }
#define N_STEPS(t) (sizeof(t) / sizeof((t)[0]))

static void run_steps(const char *what, const struct step *st, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		for (int k = 0; k < (st[i].times ? st[i].times : 1); k++) {
			__u64 before = fx_stat(st[i].reason);
			char label[128];

			snprintf(label, sizeof(label), "%s: step %u (%s) #%d", what, i, st[i].s.src,
				 k + 1);
			ASSERT_EQ(fx_xdp(st[i].s), st[i].verdict, label);
			ASSERT_EQ(fx_stat(st[i].reason), before + 1, label);
		}
	}
}

static void set_v6_prefix(struct fg_config *cfg, void *arg)
{
	cfg->v6_prefix = *(__u32 *)arg;
	fg_policy_gen_next(cfg);
}

static void v6_prefix(__u32 len)
{
	fx_config(set_v6_prefix, &len);
	ASSERT_OK(fg_policy_derive(&fx_maps, len), "derive flags");
}

static void set_monitor(struct fg_config *cfg, void *arg)
{
	cfg->mode = *(int *)arg ? FG_MODE_MONITOR : FG_MODE_ENFORCE;
}

static void monitor(int on)
{
	fx_config(set_monitor, &on);
}

/* ::/0 and ::/8 are IPv6 policies: an IPv4 source never falls under them. */
TEST(families_never_mix)
{
	static const struct step steps[] = {
		{ SRC("198.18.0.1"), XDP_PASS, FG_R_NO_POLICY, 5 },
		{ SRC("2001:db8::1"), XDP_DROP, FG_R_DENY, 0 },
		{ SRC("::ffff:198.18.0.1"), XDP_PASS, FG_R_LIMIT_PASS, 0 },
		{ SRC("::ffff:198.18.0.1"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
	};

	SETUP();
	fx_policy("::/0", FG_ACT_DENY, NULL, 0, 0);
	fx_policy("::/8", FG_ACT_LIMIT, "1/h", 1, FG_PER_SOURCE);
	run_steps("v6 policies", steps, N_STEPS(steps));

	/* An IPv6 packet with a v4-mapped source is IPv6: v4 policies skip it. */
	static const struct step mapped[] = {
		{ SRC("198.18.0.1"), XDP_DROP, FG_R_DENY, 0 },
		{ SRC("::ffff:198.18.0.2"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
		{ SRC("2001:db8::1"), XDP_DROP, FG_R_DENY, 0 },
	};
	fx_policy("198.18.0.0/15", FG_ACT_DENY, NULL, 0, 0);
	run_steps("v4 policy", mapped, N_STEPS(mapped));
}

/* With /128 IPv6 buckets the two spellings of one address keep two buckets. */
TEST(families_keep_apart_buckets)
{
	static const struct step steps[] = {
		{ SRC("198.18.0.1"), XDP_PASS, FG_R_LIMIT_PASS, 0 },
		{ SRC("::ffff:198.18.0.1"), XDP_PASS, FG_R_LIMIT_PASS, 0 },
		{ SRC("198.18.0.1"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
		{ SRC("::ffff:198.18.0.1"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
	};

	SETUP();
	v6_prefix(128);
	fx_policy("0.0.0.0/0", FG_ACT_LIMIT, "1/h", 1, FG_PER_SOURCE);
	fx_policy("::/0", FG_ACT_LIMIT, "1/h", 1, FG_PER_SOURCE);
	run_steps("v6_prefix 128", steps, N_STEPS(steps));
	ASSERT_EQ(fx_stat(FG_C_NEW_SOURCE), 2, "two buckets");
}

/* A /128 deny, a /128 allow and a /80 limit inside a limited /64. */
TEST(longer_policy_inside_bucket_prefix)
{
	static const struct step steps[] = {
		{ SRC("2001:db8:1:1::1"), XDP_PASS, FG_R_LIMIT_PASS, 0 },  /* the /64 is seen */
		{ SRC("2001:db8:1:1::5"), XDP_DROP, FG_R_DENY, 0 },
		{ SRC("2001:db8:1:1::6"), XDP_PASS, FG_R_ALLOW, 5 },
		{ SRC("2001:db8:1:1::2"), XDP_PASS, FG_R_LIMIT_PASS, 0 },  /* burst 2 of the /64 */
		{ SRC("2001:db8:1:1::1"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
		{ SRC("2001:db8:1:1::5"), XDP_DROP, FG_R_DENY, 0 },        /* deletes nothing: */
		{ SRC("2001:db8:1:1::3"), XDP_DROP, FG_R_LIMIT_DROP, 0 },  /* the /64 stays spent */
		{ SRC("2001:db8:1:1::6"), XDP_PASS, FG_R_ALLOW, 0 },
		{ SRC("2001:db8:1:1:8000::9"), XDP_PASS, FG_R_LIMIT_PASS, 0 }, /* its /80 */
		{ SRC("2001:db8:1:1:8000::a"), XDP_DROP, FG_R_LIMIT_DROP, 0 }, /* shares the /80 */
		{ SRC("2001:db8:1:2::5"), XDP_PASS, FG_R_LIMIT_PASS, 2 },   /* other /64s */
		{ SRC("2001:db8:1:2::5"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
	};

	SETUP();
	fx_policy("2001:db8::/32", FG_ACT_LIMIT, "1/h", 2, FG_PER_SOURCE);
	fx_policy("2001:db8:1:1::5/128", FG_ACT_DENY, NULL, 0, 0);
	fx_policy("2001:db8:1:1::6/128", FG_ACT_ALLOW, NULL, 0, 0);
	fx_policy("2001:db8:1:1:8000::/80", FG_ACT_LIMIT, "1/h", 1, FG_PER_SOURCE);
	run_steps("inside a /64", steps, N_STEPS(steps));
	ASSERT_EQ(fx_has_bucket("2001:db8:1:1::", 64), 1, "the /64 bucket");
	ASSERT_EQ(fx_has_bucket("2001:db8:1:1:8000::", 80), 1, "the /80 bucket");

	/* The /128 deny seen first, then the neighbours: same answers. */
	static const struct step first[] = {
		{ SRC("2001:db8:1:1::5"), XDP_DROP, FG_R_DENY, 0 },
		{ SRC("2001:db8:1:1::1"), XDP_PASS, FG_R_LIMIT_PASS, 2 },
		{ SRC("2001:db8:1:1::5"), XDP_DROP, FG_R_DENY, 0 },
		{ SRC("2001:db8:1:1::1"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
	};
	SETUP();
	fx_policy("2001:db8::/32", FG_ACT_LIMIT, "1/h", 2, FG_PER_SOURCE);
	fx_policy("2001:db8:1:1::5/128", FG_ACT_DENY, NULL, 0, 0);
	run_steps("deny first", first, N_STEPS(first));

	/* Removing the /128 makes the /64 uniform again: one cached lookup. */
	struct fg_lpm_key k;
	char err[FG_ERR_LEN];

	fg_parse_prefix("2001:db8:1:1::5/128", &k, err, sizeof(err));
	ASSERT_OK(bpf_map_delete_elem(fx_maps.policy, &k), "del /128");
	ASSERT_OK(fg_policy_bump_gen(&fx_maps), "bump");
	struct fg_policy pol;

	fg_parse_prefix("2001:db8::/32", &k, err, sizeof(err));
	ASSERT_OK(bpf_map_lookup_elem(fx_maps.policy, &k, &pol), "read /32");
	ASSERT_EQ(pol.flags & FG_POL_SPLIT, 0, "split flag cleared");
	ASSERT_EQ(fx_xdp((struct pkt_spec)SRC("2001:db8:1:1::5")), XDP_DROP, "now the /64's limit");
}

/* After 1/h burst 3, 100k/s burst 100 passes the next packets; back again, blocks. */
TEST(policy_change_applies_both_ways)
{
	static const struct {
		const char *src, *prefix;
	} fam[] = {
		{ "198.18.1.1", "198.18.0.0/15" },
		{ "2001:db8:1::1", "2001:db8::/32" },
	};

	for (unsigned int f = 0; f < 2; f++) {
		const struct step tight[] = {
			{ SRC(fam[f].src), XDP_PASS, FG_R_LIMIT_PASS, 3 },
			{ SRC(fam[f].src), XDP_DROP, FG_R_LIMIT_DROP, 7 },
		};
		const struct step loose[] = {
			{ SRC(fam[f].src), XDP_PASS, FG_R_LIMIT_PASS, 10 },
		};
		const struct step back[] = {
			{ SRC(fam[f].src), XDP_DROP, FG_R_LIMIT_DROP, 3 },
		};

		SETUP();
		fx_policy(fam[f].prefix, FG_ACT_LIMIT, "1/h", 3, FG_PER_SOURCE);
		run_steps("1/h burst 3", tight, N_STEPS(tight));
		fx_policy(fam[f].prefix, FG_ACT_LIMIT, "100k/s", 100, FG_PER_SOURCE);
		run_steps("relaxed to 100k/s burst 100", loose, N_STEPS(loose));
		/* 10 packets at 100/s leave ~100 ms of debt: 10 of its burst used,
		 * more than all of 1/h burst 3, so that blocks at once. */
		fx_policy(fam[f].prefix, FG_ACT_LIMIT, "100/s", 100, FG_PER_SOURCE);
		run_steps("100/s burst 100", loose, N_STEPS(loose));
		fx_policy(fam[f].prefix, FG_ACT_LIMIT, "1/h", 3, FG_PER_SOURCE);
		run_steps("tightened to 1/h burst 3", back, N_STEPS(back));
	}

	/* A shared per-prefix bucket follows the same rule. */
	static const struct step shared[] = {
		{ SRC("198.18.0.1"), XDP_PASS, FG_R_LIMIT_PASS, 2 },
		{ SRC("198.18.0.2"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
	};
	static const struct step shared_loose[] = {
		{ SRC("198.18.0.3"), XDP_PASS, FG_R_LIMIT_PASS, 8 },
	};
	SETUP();
	fx_policy("198.18.0.0/24", FG_ACT_LIMIT, "1/h", 2, FG_PER_PREFIX);
	run_steps("per prefix 1/h burst 2", shared, N_STEPS(shared));
	fx_policy("198.18.0.0/24", FG_ACT_LIMIT, "100k/s", 10, FG_PER_PREFIX);
	run_steps("per prefix relaxed", shared_loose, N_STEPS(shared_loose));
}

/*
 * rate x burst at and past what a u64 of ns holds, written straight into the
 * map as a hand-made policy could be (the tools refuse the last ones): the
 * datapath saturates instead of wrapping.
 */
TEST(rate_times_burst_never_wraps)
{
	static const __u64 hour = 3600ULL * 1000000000ULL;
	static const struct {
		const char *what;
		__u64 interval_ns;
		__u32 burst;
		int sent, passed;
	} cases[] = {
		{ "1/h burst 5124097 (wrapped to ~0 before)", hour, 5124097, 100, 100 },
		{ "1/h at the largest burst the tools accept", hour,
		  (__u32)(FG_TOLERANCE_MAX_NS / hour) + 1, 100, 100 },
		{ "interval past 2^62 ns, burst 2^32-1: 2^62 ns of tolerance", ~0ULL, 0xffffffffu,
		  10, 2 },
		{ "burst 0 is burst 1", hour, 0, 10, 1 },
		{ "interval 0 is 1 ns", 0, 1, 10, 10 },
	};

	for (unsigned int i = 0; i < N_STEPS(cases); i++) {
		struct fg_policy pol = { .action = FG_ACT_LIMIT, .burst = cases[i].burst,
					 .interval_ns = cases[i].interval_ns };
		int ok = 0;

		SETUP();
		fx_policy_raw("198.18.0.0/15", pol);
		for (int k = 0; k < cases[i].sent; k++)
			ok += fx_xdp((struct pkt_spec)SRC("198.18.3.3")) == XDP_PASS;
		ASSERT_EQ(ok, cases[i].passed, cases[i].what);
	}
}

/*
 * Monitor mode: limits and denies are counted as would-drops and passed;
 * breakers are enforced in both modes, for every packet alike.
 */
TEST(monitor_mode_one_rule)
{
	struct pkt_spec in = { .src = "198.18.1.1", .dst = "198.18.2.10", .dport = 80,
			       .proto = IPPROTO_TCP };
	struct pkt_spec denied = in, elsewhere = in, denied_elsewhere;

	denied.src = "198.18.9.1";
	elsewhere.dst = "198.18.2.11";
	denied_elsewhere = denied;
	denied_elsewhere.dst = "198.18.2.11";
	const struct step steps[] = {
		{ in, XDP_DROP, FG_R_BREAKER_DROP, 0 },        /* in limit, open breaker */
		{ in, XDP_DROP, FG_R_BREAKER_DROP, 0 },        /* over limit, same rule */
		{ denied, XDP_DROP, FG_R_BREAKER_DROP, 0 },    /* denied, same rule */
		{ elsewhere, XDP_PASS, FG_R_MONITOR_LIMIT, 0 },
		{ denied_elsewhere, XDP_PASS, FG_R_MONITOR_DENY, 0 },
	};
	const struct step enforce[] = {
		{ elsewhere, XDP_DROP, FG_R_LIMIT_DROP, 0 },
		{ in, XDP_DROP, FG_R_LIMIT_DROP, 0 },
		{ denied_elsewhere, XDP_DROP, FG_R_DENY, 0 },
	};

	SETUP();
	fx_policy("198.18.0.0/15", FG_ACT_LIMIT, "1/h", 1, FG_PER_SOURCE);
	fx_policy("198.18.9.0/24", FG_ACT_DENY, NULL, 0, 0);
	fx_upstream("198.18.2.10:80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	monitor(1);
	run_steps("monitor", steps, N_STEPS(steps));
	monitor(0);
	run_steps("enforce", enforce, N_STEPS(enforce));
}

/* Distinct /64s of 2001:db8::/32, one per call. */
static const char *fresh_source(int i)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "2001:db8:%x:%x::1", 0x100 + i / 0x1000, i % 0x1000);
	return buf;
}

/*
 * Unknown sources within the budget 180/m (3/s, burst 3): the test runs in
 * far less than the 333 ms a token takes, so exactly 3 are admitted, 3 more
 * pass the shared overflow bucket, and the rest are dropped, uninserted.
 * The sources' own limit refills as slowly (10/s: 100 ms a token), so that a
 * loaded machine that stalls the test between packets cannot refill it
 * before the drop the steps expect.
 */
TEST(new_sources_within_budget)
{
	int admitted = 0, overflow = 0, dropped = 0;

	SETUP();
	fx_new_sources("2001:db8::/32", "10/s", 10, "180/m");
	for (int i = 0; i < 20; i++) {
		__u64 a = fx_stat(FG_C_ADMITTED), o = fx_stat(FG_R_OVERFLOW_PASS);
		__u64 d = fx_stat(FG_R_OVERFLOW_DROP);
		int v = fx_xdp((struct pkt_spec)SRC(fresh_source(i)));

		admitted += fx_stat(FG_C_ADMITTED) - a;
		overflow += fx_stat(FG_R_OVERFLOW_PASS) - o;
		dropped += fx_stat(FG_R_OVERFLOW_DROP) - d;
		ASSERT_EQ(v, i < 6 ? XDP_PASS : XDP_DROP, fresh_source(i));
	}
	ASSERT_EQ(admitted, 3, "the budget's burst admitted");
	ASSERT_EQ(overflow, 3, "the overflow bucket's burst passed");
	ASSERT_EQ(dropped, 14, "the rest dropped");
	ASSERT_EQ(fx_stat(FG_C_NEW_SOURCE), 3, "only admitted sources inserted");
	ASSERT_EQ(fx_has_bucket("2001:db8:100:3::", 64), 0, "an unadmitted source has none");

	/* Admitted sources are known now: their own limit, no budget. */
	static const struct step known[] = {
		{ SRC("2001:db8:100:0::1"), XDP_PASS, FG_R_LIMIT_PASS, 9 },
		{ SRC("2001:db8:100:0::1"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
		{ SRC("2001:db8:100:2::1"), XDP_PASS, FG_R_LIMIT_PASS, 0 },
		{ SRC("2001:db8:200::1"), XDP_DROP, FG_R_OVERFLOW_DROP, 0 },
	};
	run_steps("known after admission", known, N_STEPS(known));

	/* Monitor mode: the overflow's would-drops pass, still nothing inserted. */
	static const struct step mon[] = {
		{ SRC("2001:db8:300::1"), XDP_PASS, FG_R_MONITOR_OVERFLOW, 0 },
	};
	monitor(1);
	run_steps("monitor", mon, N_STEPS(mon));
	ASSERT_EQ(fx_stat(FG_C_NEW_SOURCE), 3, "monitor inserts nothing past the budget");
}

TEST(new_sources_off_and_per_prefix)
{
	SETUP();
	fx_new_sources("2001:db8::/32", "100/s", 10, "off");
	fx_new_sources("198.18.0.0/15", "100/s", 10, "1/m");
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(fx_xdp((struct pkt_spec)SRC(fresh_source(i))), XDP_PASS, "budget off");
	ASSERT_EQ(fx_stat(FG_C_NEW_SOURCE), 50, "every source inserted");
	ASSERT_EQ(fx_stat(FG_C_ADMITTED), 0, "none through a budget");

	/* The v4 policy's budget is its own: 1 admitted, 1 overflow, then drops. */
	static const struct step v4[] = {
		{ SRC("198.18.0.1"), XDP_PASS, FG_R_LIMIT_PASS, 0 },
		{ SRC("198.18.0.2"), XDP_PASS, FG_R_OVERFLOW_PASS, 0 },
		{ SRC("198.18.0.3"), XDP_DROP, FG_R_OVERFLOW_DROP, 0 },
		{ SRC("198.18.0.1"), XDP_PASS, FG_R_LIMIT_PASS, 0 },
	};
	run_steps("v4 budget", v4, N_STEPS(v4));

	/* A per-prefix bucket needs no budget. */
	struct fg_policy pol = { .action = FG_ACT_LIMIT, .per = FG_PER_PREFIX, .burst = 5,
				 .interval_ns = 1000000000ULL, .new_interval_ns = 3600ULL * 1000000000ULL,
				 .new_burst = 1 };
	fx_policy_raw("198.19.0.0/16", pol);
	static const struct step shared[] = {
		{ SRC("198.19.0.1"), XDP_PASS, FG_R_LIMIT_PASS, 3 },
		{ SRC("198.19.0.2"), XDP_PASS, FG_R_LIMIT_PASS, 2 },
		{ SRC("198.19.0.3"), XDP_DROP, FG_R_LIMIT_DROP, 0 },
	};
	run_steps("per prefix", shared, N_STEPS(shared));
}
