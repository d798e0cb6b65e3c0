// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A policy set of 100,000 prefixes swapped for another (10% changed, 10%
 * removed, 10% added) through the plan `floodgate limit load` and
 * floodgated use (policy_set.h), while a thread runs the XDP program on
 * packets of kept policies in a bounded loop: a kept deny never passes a
 * packet, a kept limit never passes more than burst + rate x time, and a
 * kept /128 deny inside a /64 whose limit changes holds all along (the
 * split flag is written with the change, not derived after it). Then the
 * load times of 1k / 10k / 100k prefixes and the trie's cost per update at
 * each size, printed, never asserted.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>

#include "fixture.h"
#include "parse.h"
#include "policy_set.h"

#define BIG 100000
#define CHURN 10000 /* 10% each: changed, removed, added */
#define KEPT 4
#define LIM_RATE 1000 /* packets/s of the kept limit */
#define LIM_BURST 20

/* Generated policy i: IPv4 /32s in 198.19.0.0/16, then IPv6 /64s in
 * 2001:db8:1::/48; odd ones deny, even ones limit (changed: the other). */
static void gen(int i, int changed, struct fg_policy_want *w)
{
	char pfx[64], err[FG_ERR_LEN];

	if (i < 65536)
		snprintf(pfx, sizeof(pfx), "198.19.%d.%d", i >> 8, i & 255);
	else
		snprintf(pfx, sizeof(pfx), "2001:db8:1:%x::/64", i - 65536);
	memset(w, 0, sizeof(*w));
	fg_parse_prefix(pfx, &w->key, err, sizeof(err));
	w->pol.prefixlen = w->key.prefixlen;
	w->pol.action = (i & 1) ^ changed ? FG_ACT_DENY : FG_ACT_LIMIT;
	w->pol.interval_ns = w->pol.action == FG_ACT_LIMIT ? 10000000 >> changed : 0; /* 100/s */
	w->pol.burst = w->pol.action == FG_ACT_LIMIT ? 100 : 0;
	w->line = i + 1;
}

static void want(struct fg_policy_want *w, const char *pfx, enum fg_action act, __u32 rate,
		 __u32 burst)
{
	char err[FG_ERR_LEN];

	memset(w, 0, sizeof(*w));
	ASSERT_OK(fg_parse_prefix(pfx, &w->key, err, sizeof(err)), pfx);
	w->pol.prefixlen = w->key.prefixlen;
	w->pol.action = act;
	w->pol.interval_ns = rate ? 1000000000ULL / rate : 0;
	w->pol.burst = burst;
	w->pol.per = FG_PER_SOURCE;
}

/* The kept four, the /64's limit as given: first file 1000/s, second 2000/s. */
static int kept(struct fg_policy_want *w, __u32 v6_rate)
{
	want(&w[0], "198.18.7.0/24", FG_ACT_DENY, 0, 0);
	want(&w[1], "198.18.8.0/24", FG_ACT_LIMIT, LIM_RATE, LIM_BURST);
	want(&w[2], "2001:db8:0:1::/64", FG_ACT_LIMIT, v6_rate, LIM_BURST);
	want(&w[3], "2001:db8:0:1::5", FG_ACT_DENY, 0, 0);
	return KEPT;
}

/* Plan and commit a set as limit load does; ns taken into *ns. */
static int load(struct fg_policy_want *w, int n, __u64 *ns, struct fg_pset_plan *p)
{
	char err[FG_ERR_LEN + 64];
	__u64 t0 = fg_now_ns();
	int ret;

	ret = fg_pset_plan(fx_maps.policy, w, n, FG_V6_PREFIX_DEFAULT, FG_POLICY_MAX, p, err,
			   sizeof(err));
	if (!ret)
		ret = fg_pset_commit(&fx_maps, p, err, sizeof(err));
	if (ns)
		*ns = fg_now_ns() - t0;
	if (ret)
		fprintf(stderr, "  load: %s\n", err);
	return ret;
}

/* The traffic: four prebuilt frames in turn until told to stop (or 30 s,
 * or 20M rounds: bounded however the swap goes). */
enum { SRC_DENY4, SRC_LIM4, SRC_V6, SRC_DENY6, N_SRC };

struct traffic {
	__u8 frame[N_SRC][256];
	size_t len[N_SRC];
	volatile int stop;
	volatile long rounds;
	long passed[N_SRC], errors;
	__u64 lim_first, lim_last; /* CLOCK_MONOTONIC of the kept limit's first and last */
};

static void *run_traffic(void *arg)
{
	struct traffic *t = arg;
	__u64 deadline = fg_now_ns() + 30000000000ULL;

	for (long r = 0; !t->stop && r < 20000000 && fg_now_ns() < deadline; r++) {
		for (int s = 0; s < N_SRC; s++) {
			__u64 at = fg_now_ns();
			int v = fx_run(fx_skel->progs.xdp_ingress, t->frame[s], t->len[s], 0, NULL,
				       NULL);

			if (v < 0)
				t->errors++;
			t->passed[s] += v == XDP_PASS;
			if (s == SRC_LIM4) {
				t->lim_first = t->lim_first ? t->lim_first : at;
				t->lim_last = fg_now_ns();
			}
		}
		t->rounds = r + 1;
	}
	return NULL;
}

static void frames(struct traffic *t)
{
	static const char *const src[N_SRC] = { "198.18.7.9", "198.18.8.1", "2001:db8:0:1::6",
						"2001:db8:0:1::5" };

	for (int s = 0; s < N_SRC; s++) {
		struct pkt_spec sp = { .src = src[s], .dst = s < 2 ? "198.18.0.1" : "2001:db8::1" };

		t->len[s] = pkt_build(&sp, t->frame[s], sizeof(t->frame[s]));
	}
}

static int rounds_past(struct traffic *t, long n)
{
	for (__u64 end = fg_now_ns() + 10000000000ULL; fg_now_ns() < end;) {
		if (t->rounds >= n)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* File 1: the kept four and BIG - KEPT generated; file 2: the first CHURN
 * changed, the next CHURN gone, CHURN new ones past the end. */
static int file1(struct fg_policy_want *w)
{
	int n = kept(w, LIM_RATE);

	for (int i = 0; i < BIG - KEPT; i++)
		gen(i, 0, &w[n++]);
	return n;
}

static int file2(struct fg_policy_want *w)
{
	int n = kept(w, 2 * LIM_RATE);

	for (int i = 0; i < BIG - KEPT + CHURN; i++)
		if (i < CHURN || i >= 2 * CHURN)
			gen(i, i < CHURN, &w[n++]);
	return n;
}

/* w's own key in the map (a trie lookup answers the longest match). */
static int in_map(const struct fg_policy_want *w, struct fg_policy *pol)
{
	return bpf_map_lookup_elem(fx_maps.policy, &w->key, pol) == 0 &&
	       pol->prefixlen == w->key.prefixlen;
}

/* After the swap the map holds file 2, split flag included. */
static void check_after(const struct fg_policy_want *w2, int n2)
{
	struct fg_lpm_key k, *prev = NULL;
	struct fg_policy_want g;
	struct fg_policy pol;
	int n = 0;

	while (bpf_map_get_next_key(fx_maps.policy, prev, &k) == 0 && n <= n2 + 1)
		n++, prev = &k;
	ASSERT_EQ(n, n2, "policies in the map after the swap");
	gen(0, 1, &g);
	ASSERT_TRUE(in_map(&g, &pol) && fg_policy_same(&pol, &g.pol), "a changed one changed");
	gen(CHURN, 0, &g);
	ASSERT_TRUE(!in_map(&g, &pol), "a removed one gone");
	gen(BIG - KEPT + CHURN - 1, 0, &g);
	ASSERT_TRUE(in_map(&g, &pol), "an added one there");
	ASSERT_TRUE(in_map(&w2[2], &pol) && pol.interval_ns == w2[2].pol.interval_ns &&
		    (pol.flags & FG_POL_SPLIT), "the /64 changed, its split flag set");
}

TEST(policy_swap_100k_kept_policed)
{
	struct fg_policy_want *w1 = calloc(BIG + CHURN, sizeof(*w1));
	struct fg_policy_want *w2 = calloc(BIG + CHURN, sizeof(*w2));
	struct fg_pset_plan p = {};
	struct traffic t = {};
	pthread_t th;
	__u64 ns;
	int n1, n2;

	SETUP();
	if (!ASSERT_TRUE(w1 && w2, "memory"))
		goto out;
	n1 = file1(w1);
	n2 = file2(w2);
	if (!ASSERT_OK(load(w1, n1, &ns, &p), "load file 1"))
		goto out;
	printf("  file 1: %d added in %.3f s\n", p.added, ns / 1e9);
	fg_pset_free(&p);
	frames(&t);
	if (!ASSERT_OK(pthread_create(&th, NULL, run_traffic, &t), "traffic thread"))
		goto out;
	/* Buckets of every source are cached before the swap starts. */
	ASSERT_TRUE(rounds_past(&t, 1000), "traffic before the swap");
	ASSERT_OK(load(w2, n2, &ns, &p), "load file 2");
	long at_swap_end = t.rounds;

	ASSERT_TRUE(rounds_past(&t, at_swap_end + 1000), "traffic after the swap");
	t.stop = 1;
	pthread_join(th, NULL);
	printf("  file 2: %d added, %d changed, %d removed, %d kept in %.3f s; %ld rounds of "
	       "traffic\n", p.added, p.changed, p.removed, p.kept, ns / 1e9, t.rounds);
	ASSERT_EQ(p.added, CHURN, "added");
	ASSERT_EQ(p.changed, CHURN + 1, "changed (and the /64)");
	ASSERT_EQ(p.removed, CHURN, "removed");
	ASSERT_EQ(t.errors, 0, "test runs failed");
	ASSERT_EQ(t.passed[SRC_DENY4], 0, "passes of the kept IPv4 deny");
	ASSERT_EQ(t.passed[SRC_DENY6], 0, "passes of the kept /128 deny in the changed /64");
	ASSERT_GE(t.passed[SRC_LIM4], LIM_BURST, "the kept limit passed its burst");
	ASSERT_LE(t.passed[SRC_LIM4],
		  LIM_BURST + 1 + (t.lim_last - t.lim_first) * LIM_RATE / 1000000000ULL,
		  "the kept limit's passes within burst + rate x time");
	ASSERT_GE(t.passed[SRC_V6], 1, "the /64 neighbour passed");
	check_after(w2, n2);
out:
	fg_pset_free(&p);
	free(w1);
	free(w2);
}

/* ns per single update of new keys (add) and of existing ones (in place),
 * 1000 of each, with the map at its present size. */
static void update_cost(int have, struct fg_policy_want *w)
{
	struct fg_policy_want g;
	__u64 t0, t_add, t_put;

	t0 = fg_now_ns();
	for (int i = 0; i < 1000; i++) {
		gen(200000 + i, 0, &g);
		bpf_map_update_elem(fx_maps.policy, &g.key, &g.pol, BPF_NOEXIST);
	}
	t_add = fg_now_ns() - t0;
	t0 = fg_now_ns();
	for (int i = 0; i < 1000; i++)
		bpf_map_update_elem(fx_maps.policy, &w[i % have].key, &w[i % have].pol, BPF_EXIST);
	t_put = fg_now_ns() - t0;
	printf("  trie of %6d: %5llu ns per add, %5llu ns per in-place update\n", have,
	       (unsigned long long)t_add / 1000, (unsigned long long)t_put / 1000);
}

TEST(policy_load_times)
{
	static const int sizes[] = { 1000, 10000, 100000 };
	struct fg_policy_want *w = calloc(BIG, sizeof(*w));
	struct fg_pset_plan p = {};
	__u64 ns;

	if (!ASSERT_TRUE(w != NULL, "memory"))
		return;
	for (int i = 0; i < BIG; i++)
		gen(i, 0, &w[i]);
	for (int s = 0; s < 3; s++) {
		SETUP();
		if (ASSERT_OK(load(w, sizes[s], &ns, &p), "load")) {
			ASSERT_EQ(p.added, sizes[s], "added");
			printf("  load of %6d prefixes into an empty map: %7.1f ms (%4llu ns each)\n",
			       sizes[s], ns / 1e6, (unsigned long long)(ns / sizes[s]));
			update_cost(sizes[s], w);
		}
		fg_pset_free(&p);
		fx_unload();
	}
	free(w);
}

/* The order of a plan's writes (policy_set.h): split flags set first,
 * changes and adds (while the map has room for old and new), deletes, the
 * remaining adds, split flags cleared last; writes of a phase in the set's
 * order, and the plan applied leaves the map as wanted. */
TEST(policy_plan_order)
{
	static const struct {
		enum fg_pset_kind kind;
		const char *pfx;
	} exp[] = {
		{ FG_PSET_SPLIT, "2001:db8:0:3::/64" }, /* kept, a /128 comes inside */
		{ FG_PSET_PUT, "198.18.1.0/24" },       /* changed */
		{ FG_PSET_PUT, "198.18.5.0/24" },       /* added: two fit beside the old */
		{ FG_PSET_PUT, "2001:db8:0:2::/64" },
		{ FG_PSET_DEL, "198.18.2.0/24" },
		{ FG_PSET_DEL, "2001:db8:0:1::5" },
		{ FG_PSET_PUT, "2001:db8:0:2::9" },     /* added once room was made */
		{ FG_PSET_PUT, "2001:db8:0:3::7" },
		{ FG_PSET_SPLIT, "2001:db8:0:1::/64" }, /* kept, its /128 gone */
	};
	struct fg_policy_want m[6], w[8];
	struct fg_pset_plan p = {};
	char err[FG_ERR_LEN], buf[64];
	struct fg_policy pol;
	unsigned int k;

	SETUP();
	want(&m[0], "198.18.0.0/24", FG_ACT_DENY, 0, 0);
	want(&m[1], "198.18.1.0/24", FG_ACT_LIMIT, 10, 5);
	want(&m[2], "198.18.2.0/24", FG_ACT_ALLOW, 0, 0);
	want(&m[3], "2001:db8:0:1::/64", FG_ACT_LIMIT, 10, 5);
	want(&m[4], "2001:db8:0:1::5", FG_ACT_DENY, 0, 0);
	want(&m[5], "2001:db8:0:3::/64", FG_ACT_LIMIT, 10, 5);
	ASSERT_OK(load(m, 6, NULL, &p), "the map as it was");
	fg_pset_free(&p);
	ASSERT_TRUE(in_map(&m[3], &pol) && (pol.flags & FG_POL_SPLIT), "the /64 split");
	w[0] = m[0];
	want(&w[1], "198.18.1.0/24", FG_ACT_LIMIT, 20, 5);
	w[2] = m[3];
	w[3] = m[5];
	want(&w[4], "198.18.5.0/24", FG_ACT_DENY, 0, 0);
	want(&w[5], "2001:db8:0:2::/64", FG_ACT_LIMIT, 10, 5);
	want(&w[6], "2001:db8:0:2::9", FG_ACT_DENY, 0, 0);
	want(&w[7], "2001:db8:0:3::7", FG_ACT_DENY, 0, 0);
	if (!ASSERT_OK(fg_pset_plan(fx_maps.policy, w, 8, 64, 8, &p, err, sizeof(err)), err))
		return;
	ASSERT_EQ(p.n_ops, sizeof(exp) / sizeof(exp[0]), "ops");
	for (k = 0; k < (unsigned int)p.n_ops && k < sizeof(exp) / sizeof(exp[0]); k++) {
		fg_format_prefix(p.ops[k].key.addr, p.ops[k].key.prefixlen, buf, sizeof(buf));
		ASSERT_EQ(p.ops[k].kind, exp[k].kind, exp[k].pfx);
		ASSERT_STREQ(buf, exp[k].pfx, "op in order");
	}
	ASSERT_OK(fg_pset_commit(&fx_maps, &p, err, sizeof(err)), err);
	ASSERT_TRUE(in_map(&w[3], &pol) && (pol.flags & FG_POL_SPLIT), "the /64 with a /128: split");
	ASSERT_TRUE(in_map(&w[5], &pol) && (pol.flags & FG_POL_SPLIT), "the new /64: split");
	ASSERT_TRUE(in_map(&w[2], &pol) && !(pol.flags & FG_POL_SPLIT), "the /64 left: not split");
	ASSERT_TRUE(!in_map(&m[2], &pol) && !in_map(&m[4], &pol), "removed ones gone");
	fg_pset_free(&p);
	ASSERT_OK(fg_pset_plan(fx_maps.policy, w, 8, 64, 8, &p, err, sizeof(err)), err);
	ASSERT_EQ(p.n_ops + p.kept, 0 + 8, "then the same set is no change");
	fg_pset_free(&p);
}
