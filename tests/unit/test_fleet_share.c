// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Fleet shares (fleet_share.h), pure, with the clock passed in: the
 * arithmetic (floors, expiry, one node alone, N equal nodes), rates from
 * the hot counters, what is published, and hostile lines from Redis.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "fleet_share.h"

#define MS 1000000ULL
#define S (1000 * MS)
#define STALE (3 * S)
#define T200 (S / 200) /* 200/s */

static struct fg_bucket_key key4(__u8 last)
{
	struct fg_bucket_key k = { .plen = 128 };

	k.addr[10] = k.addr[11] = 0xff;
	k.addr[12] = 198, k.addr[13] = 18, k.addr[14] = 0, k.addr[15] = last;
	return k;
}

TEST(share_one_node_alone_none)
{
	struct fg_share sh;

	/* Three times its limit here, nobody else reports it: its own bucket
	 * holds it; no share. */
	ASSERT_EQ(fg_share_of(T200, 20, 600, 0, 0, 5, STALE, S, &sh), 0, "alone");
	/* Others report it, but the fleet total is within the limit. */
	ASSERT_EQ(fg_share_of(T200, 20, 100, 99, 2, 5, STALE, S, &sh), 0, "within the limit");
	ASSERT_EQ(fg_share_of(T200, 20, 0, 900, 2, 5, STALE, S, &sh), 0, "nothing here");
}

TEST(share_equal_nodes_limit_over_n)
{
	struct fg_share sh;

	for (int n = 2; n <= 8; n++) {
		char what[64];

		snprintf(what, sizeof(what), "%d equal nodes", n);
		ASSERT_EQ(fg_share_of(T200, 20, 200, 200.0 * (n - 1), n - 1, 5, STALE, S, &sh), 1,
			  what);
		/* limit / n each: the interval n times as long, the burst 1/n. */
		ASSERT_LE(llabs((long long)sh.interval_ns - (long long)(T200 * n)), 1, what);
		ASSERT_EQ(sh.burst, (20 + n - 1) / n, what); /* rounded up */
		ASSERT_EQ(sh.expires_ns, S + STALE, what);
	}
}

TEST(share_proportional_and_floor)
{
	struct fg_share sh;

	/* 150 of 300 here: half the limit. */
	ASSERT_EQ(fg_share_of(T200, 20, 150, 150, 1, 5, STALE, S, &sh), 1, "half");
	ASSERT_EQ(sh.interval_ns, 2 * T200, "half the rate");
	ASSERT_EQ(sh.burst, 10, "half the burst");
	/* 1 of 1000 here: the floor (5%), never less. */
	ASSERT_EQ(fg_share_of(T200, 20, 1, 999, 3, 5, STALE, S, &sh), 1, "small");
	ASSERT_EQ(sh.interval_ns, 20 * T200, "5% of the limit");
	ASSERT_EQ(sh.burst, 1, "a burst of at least 1");
	/* A floor of 50%. */
	ASSERT_EQ(fg_share_of(T200, 20, 1, 999, 3, 50, STALE, S, &sh), 1, "floor 50%");
	ASSERT_EQ(sh.interval_ns, 2 * T200, "half the limit");
}

TEST(share_hostile_values)
{
	struct fg_share sh;

	/* A node claiming everything: this node is left with the floor. */
	ASSERT_EQ(fg_share_of(T200, 20, 200, FG_SHARE_RATE_MAX, 1, 5, STALE, S, &sh), 1, "huge");
	ASSERT_EQ(sh.interval_ns, 20 * T200, "the floor");
	ASSERT_EQ(fg_share_of(T200, 20, 200, NAN, 1, 5, STALE, S, &sh), 0, "NaN");
	ASSERT_EQ(fg_share_of(T200, 20, 200, -5, 1, 5, STALE, S, &sh), 0, "negative");
	ASSERT_EQ(fg_share_of(0, 20, 200, 200, 1, 5, STALE, S, &sh), 0, "no interval");
}

/* Two reads of the hot map: rates from the deltas. */
static void observe2(struct fg_shares *s, double rate, __u8 n_src)
{
	struct fg_hot_read in[8];

	memset(in, 0, sizeof(in));
	for (int i = 0; i < n_src; i++) {
		in[i].key = key4(i + 1);
		in[i].v = (struct fg_hot){ .packets = 10, .first_ns = 0, .interval_ns = T200,
					   .burst = 20 };
	}
	ASSERT_OK(fg_shares_observe(s, in, n_src, S, 5), "first read");
	for (int i = 0; i < n_src; i++)
		in[i].v.packets = 10 + (__u64)(rate / 10); /* over 100 ms */
	ASSERT_OK(fg_shares_observe(s, in, n_src, S + 100 * MS, 5), "second read");
}

TEST(shares_rates_and_publish)
{
	struct fg_shares s = { 0 };
	char buf[512];
	int n;

	observe2(&s, 600, 2);
	ASSERT_EQ(s.n, 2, "two hot sources");
	ASSERT_LE(fabs(s.v[0].rate - 600), 0.01, "600/s from the delta");
	n = fg_shares_encode(&s, buf, sizeof(buf), 10);
	ASSERT_TRUE(n > 0, "encoded");
	ASSERT_STRHAS(buf, "+::ffff:198.18.0.1/128 600.000\n", "first line");
	ASSERT_STRHAS(buf, "+::ffff:198.18.0.2/128 600.000\n", "second line");
	ASSERT_EQ(fg_shares_encode(&s, buf, sizeof(buf), 1), strchr(buf, '\n') - buf + 1,
		  "at most max lines");
	ASSERT_EQ(fg_shares_encode(&s, buf, 10, 10), -E2BIG, "too small a buffer");
	fg_shares_free(&s);
}

/* A source of 3 packets/s read every 100 ms: most reads see none, yet it
 * stays hot at about 3/s (its rate is taken over 8 packets or a second). */
TEST(shares_low_rate_stays_hot)
{
	struct fg_shares s = { 0 };
	struct fg_hot_read in = { .key = key4(1) };
	__u64 t = S;
	int cooled = 0;

	in.v = (struct fg_hot){ .packets = 2, .first_ns = 0, .interval_ns = S, .burst = 2 };
	ASSERT_OK(fg_shares_observe(&s, &in, 1, t, 5), "first read");
	for (int k = 1; k <= 30; k++) { /* 3 s: a packet every 333 ms */
		t += 100 * MS;
		in.v.packets = 2 + (k * 100) / 333;
		ASSERT_OK(fg_shares_observe(&s, &in, 1, t, 5), "a read");
		cooled += s.v[0].cooled;
	}
	ASSERT_EQ(cooled, 0, "never cooled");
	ASSERT_LE(fabs(s.v[0].rate - 3), 0.75, "about 3/s");
	fg_shares_free(&s);
}

TEST(shares_decide_from_replies)
{
	struct fg_shares s = { 0 };
	const char *b = "web 0 0 0 0 0\n+::ffff:198.18.0.1/128 600\n"
			"+::ffff:198.18.0.1/128 600\n" /* said twice: counted once */
			"+::ffff:198.18.0.9/128 900\n"; /* not hot here: skipped */
	const char *c = "+::ffff:198.18.0.1/128 600.0\n+::ffff:198.18.0.2/128 nan\n"
			"+::ffff:198.18.0.2/128 -3\n+::ffff:198.18.0.2/999 5\n+garbage\n+\n";

	observe2(&s, 600, 2);
	fg_shares_begin(&s);
	fg_shares_add(&s, b, strlen(b));
	fg_shares_add(&s, c, strlen(c));
	fg_shares_decide(&s, 5, STALE, 2 * S);
	ASSERT_EQ(s.v[0].n_others, 2, "source 1: two other nodes");
	ASSERT_LE(fabs(s.v[0].others - 1200), 0.01, "their rates");
	ASSERT_TRUE(s.v[0].has_share, "source 1 shared");
	ASSERT_LE(llabs((long long)s.v[0].share.interval_ns - 3 * (long long)T200), 1, "a third");
	ASSERT_EQ(s.v[0].share.expires_ns, 2 * S + STALE, "expires stale after this sync");
	ASSERT_EQ(s.v[1].n_others, 0, "source 2: hostile lines count for nothing");
	ASSERT_TRUE(!s.v[1].has_share, "source 2: on this node alone, no share");
	ASSERT_EQ(s.active, 1, "one share in force");
	/* The next sync with nobody else reporting: the share goes. */
	fg_shares_begin(&s);
	fg_shares_decide(&s, 5, STALE, 3 * S);
	ASSERT_EQ(s.active, 0, "alone again: no share");
	fg_shares_free(&s);
}

TEST(shares_cooled_and_gone)
{
	struct fg_shares s = { 0 };
	struct fg_hot_read in[2];

	observe2(&s, 600, 2);
	s.v[0].written = s.v[1].written = 1;
	/* Source 1 sent nothing for a second (a rate's window); source 2 left
	 * the hot map. */
	in[0].key = s.v[0].key;
	in[0].v = (struct fg_hot){ .packets = s.v[0].packets, .interval_ns = T200, .burst = 20 };
	ASSERT_OK(fg_shares_observe(&s, in, 1, S + 1100 * MS, 5), "third read");
	ASSERT_TRUE(s.v[0].cooled, "source 1 cooled");
	ASSERT_EQ(s.n_gone, 1, "source 2's share to delete");
	struct fg_bucket_key k2 = key4(2);
	ASSERT_TRUE(!memcmp(&s.gone[0], &k2, sizeof(k2)), "source 2's key");
	fg_shares_free(&s);
}

TEST(shares_key_text)
{
	struct fg_bucket_key k = key4(7), back;
	char buf[64];

	k.plen |= FG_KEY_V6_MAPPED;
	ASSERT_TRUE(fg_share_key_fmt(&k, buf, sizeof(buf)) > 0, "format");
	ASSERT_OK(fg_share_key_parse(buf, &back), buf);
	ASSERT_TRUE(!memcmp(&k, &back, sizeof(k)), "round trip");
	ASSERT_EQ(fg_share_key_parse("198.18.0.1/128", &back), -EINVAL, "IPv4 text is no key");
	ASSERT_EQ(fg_share_key_parse("::1/129", &back), -EINVAL, "plen past 128");
	ASSERT_EQ(fg_share_key_parse("::1/", &back), -EINVAL, "no plen");
	ASSERT_EQ(fg_share_key_parse("::1/64x", &back), -EINVAL, "trailing bytes");
}
