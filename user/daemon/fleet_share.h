/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Fleet shares, decided locally: pure, no I/O, the clock passed in (the
 * maps side is fleet_share_io.c, Redis is fleet.h). A source that arrives
 * on several boxes gets its limit once across them, not once per box.
 *
 * Each sync a node reads its hot sources (the datapath marks a source hot
 * once it used more than half its burst, floodgate_kern_user.h), measures
 * the rate each offers here from its packet counter, and publishes one
 * line per hot source with its votes,
 *     +ADDR/PLEN RATE
 * (the bucket key: ADDR its 16 bytes as IPv6 text, PLEN with its flags;
 * RATE packets/s offered here). From every other fresh node's lines it
 * sums the rates of the sources hot here too. When the fleet total is
 * over the source's limit L (this node's policy), this node's share is
 *     max(floor, L x local / total)
 * with its burst scaled alike, and it expires stale after the sync that
 * set it: each sync renews it, so without Redis it lapses and the bucket
 * is back on its own limit. A source reported by this node alone gets no
 * share (its own bucket already holds it to L): a source that stays on one
 * box costs nothing. Rates from Redis are not trusted: negative, NaN or
 * infinite ones are ignored, huge ones capped, unknown sources skipped, and
 * whatever they say a share never drops below the floor nor above L.
 *
 * Why offered rather than passed packets: with shares in force the boxes
 * pass L between them, which is not over L, and shares judged on passed
 * packets would lift and return every other sync.
 */
#ifndef FG_FLEET_SHARE_H
#define FG_FLEET_SHARE_H

#include <stddef.h>
#include <linux/types.h>
#include "floodgate_kern_user.h"

/* A rate no source can offer (packets/s): anything above is capped. */
#define FG_SHARE_RATE_MAX 1e10
/* Lines one sync publishes at most: every source the hot map can hold, so
 * none waits for a turn that would never come (taken by key, a source past
 * a cap would never be published). */
#define FG_SHARE_PUBLISH_MAX FG_HOT_MAX

/* One entry of the hot map as read. */
struct fg_hot_read {
	struct fg_bucket_key key;
	struct fg_hot v;
};

/* One hot source of this node. */
struct fg_share_src {
	struct fg_bucket_key key;
	__u64 packets, read_ns;  /* its counter, and when it was read for its rate */
	__u64 interval_ns;       /* its own limit (the bucket's) */
	__u32 burst;
	double rate;             /* packets/s offered here (fleet_share.c: over at
				  * least 8 packets or 1 s) */
	double others;           /* the other fresh nodes' rates for it */
	__u32 n_others;          /* how many reported it */
	__u32 seen_in;           /* the add (node) that last counted it */
	int cooled;              /* below half the floor share: hot no more */
	int has_share;           /* the share decided at the last sync */
	struct fg_share share;
	int written;             /* the share is in the map */
	struct fg_share last;    /* what was written there */
};

struct fg_shares {
	struct fg_share_src *v;  /* sorted by key */
	int n, cap;
	struct fg_share_src *old; /* the previous read, for counter deltas */
	int n_old, cap_old;
	struct fg_bucket_key *gone; /* written shares whose source left hot */
	int n_gone, cap_gone;
	__u32 adds;              /* fg_shares_add calls since begin */
	__u32 active;            /* shares in force (the metric) */
};

void fg_shares_free(struct fg_shares *s);

/* The hot map as read now (n entries of in): rates from the counters'
 * deltas since the last read (a new or re-marked source: since first_ns).
 * Shares written for sources no longer in it go to s->gone. 0 or -ENOMEM. */
int fg_shares_observe(struct fg_shares *s, const struct fg_hot_read *in, int n, __u64 now,
		      __u32 floor_pct);

/* The lines of this node's hot sources (not cooled, rate > 0), at most max,
 * NUL-terminated into buf: their length, or -E2BIG. */
int fg_shares_encode(const struct fg_shares *s, char *buf, size_t len, int max);

/* A sync's reply: begin, add each other fresh node's published text (len
 * bytes; only its '+' lines are read), then decide every share. */
void fg_shares_begin(struct fg_shares *s);
void fg_shares_add(struct fg_shares *s, const char *text, size_t len);
void fg_shares_decide(struct fg_shares *s, __u32 floor_pct, __u64 stale_ns, __u64 now);

/* The arithmetic: a source of limit (interval_ns, burst) offering local
 * packets/s here while n_others other nodes report others in total. 1 with
 * the share in *out (expires_ns = now + stale_ns), 0 when it needs none. */
int fg_share_of(__u64 interval_ns, __u32 burst, double local, double others, __u32 n_others,
		__u32 floor_pct, __u64 stale_ns, __u64 now, struct fg_share *out);

/* A bucket key as published, and back (0, or -EINVAL). */
int fg_share_key_fmt(const struct fg_bucket_key *k, char *buf, size_t len);
int fg_share_key_parse(const char *s, struct fg_bucket_key *k);

#endif /* FG_FLEET_SHARE_H */
