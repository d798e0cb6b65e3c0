/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Per-source rate limiting: policy lookup and bucket bookkeeping. Returns the
 * reason (enum fg_stat) a packet gets; the caller turns it into a verdict.
 *
 * A known source costs one hash lookup: its bucket caches the policy's rate
 * and burst with the policy generation they came from, so the LPM trie is
 * walked only for new sources, after a policy change, for sources whose
 * policy is allow / deny / per-prefix (which keep no per-source entry), and
 * for IPv6 bucket prefixes that hold a longer policy (FG_POL_SPLIT).
 */
#ifndef FG_LIMITER_H
#define FG_LIMITER_H

#include "map_defs.h"
#include "parsing.h"
#include "gcra.h"

/* Zero the bits of a 16-byte address past plen. */
static __always_inline void fg_mask(__u8 *addr, __u32 plen)
{
	__u32 *w = (__u32 *)addr;
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		int bits = (int)plen - 32 * i;

		if (bits <= 0)
			w[i] = 0;
		else if (bits < 32)
			w[i] &= bpf_htonl(~0U << (32 - bits));
	}
}

/* A bucket's TAT judged at t ns per packet and burst: the reason. */
static __always_inline __u32 fg_gcra_reason(__u64 *tat, __u64 t, __u32 burst, __u64 now)
{
	switch (fg_gcra_admit(tat, t, burst, now)) {
	case FG_GCRA_PASS:
		return FG_R_LIMIT_PASS;
	case FG_GCRA_OVER:
		return FG_R_LIMIT_DROP;
	default:
		return FG_R_CONTENTION;
	}
}

static __always_inline __u32 fg_bucket_reason(struct fg_bucket *b, __u64 now)
{
	return fg_gcra_reason(&b->tat, b->interval_ns, b->burst, now);
}

/*
 * The precise clock, remembered per CPU (clock_seen): every later packet on
 * this CPU knows that now is at least that.
 */
static __always_inline __u64 fg_now(__u64 *seen)
{
	__u64 now = bpf_ktime_get_ns();

	if (seen)
		*seen = now;
	return now;
}

/*
 * A known source over its limit is proven so with the coarse clock first:
 * bpf_ktime_get_ns() costs ~25 ns in a VM (kvm-clock), the coarse clock
 * ~10. CLOCK_MONOTONIC_COARSE never runs ahead of the precise clock and lags
 * it by at most one tick (4 ms at HZ=250), so with this slack a packet judged
 * over here is over by the precise clock as well; anything closer to the
 * edge takes the exact path.
 */
#define FG_COARSE_SLACK_NS 8000000ULL

/*
 * Fleet shares (floodgate_kern_user.h): a source past half its burst is
 * marked hot, once. Its bucket's flag takes it off fg_known's path, so the
 * only cost for a source that stays cold is comparing against half the
 * tolerance instead of all of it (a shift) on the branch fg_known takes
 * anyway.
 */
static __always_inline void fg_mark_hot(struct fg_bucket *b, const struct fg_bucket_key *key,
					__u32 gen, __u64 now)
{
	struct fg_hot h = {
		.packets = 1,
		.first_ns = now,
		.interval_ns = b->interval_ns,
		.burst = b->burst,
	};

	/* Already there (marked by another CPU, or before a policy change
	 * cleared the flag): it keeps counting. */
	bpf_map_update_elem(&hot, key, &h, BPF_NOEXIST);
	b->policy_gen = gen | FG_GEN_HOT;
}

/* A known source whose bucket is past half its tolerance of the last precise
 * reading: maybe over (proven with the coarse clock), maybe to be marked hot. */
static __always_inline __u32 fg_known_busy(struct fg_bucket *b, const struct fg_bucket_key *key,
					   const struct fg_config *cfg, __u64 *seen, __u64 tat,
					   __u64 tol)
{
	__u32 gen = cfg->policy_gen;
	__u64 now;
	__u32 reason;

	if (!seen || tat > *seen + tol) {
		__u64 coarse = bpf_ktime_get_coarse_ns(), late = coarse + FG_COARSE_SLACK_NS;

		if (tat > late && tat - late > tol) {
			if (cfg->shares_on)
				fg_mark_hot(b, key, gen, coarse);
			return FG_R_LIMIT_DROP;
		}
	}
	now = fg_now(seen);
	reason = fg_bucket_reason(b, now);
	if (cfg->shares_on && tat > now && tat - now > (tol >> 1))
		fg_mark_hot(b, key, gen, now);
	return reason;
}

/*
 * A bucket whose TAT is within half its tolerance of the last precise
 * reading on this CPU is neither over nor hot (now is later), so the pass
 * path skips both proofs and reads one clock. The bound picks the path,
 * never the verdict: what is not proven over is judged by fg_gcra_admit()
 * on the precise clock.
 */
static __always_inline __u32 fg_known(struct fg_bucket *b, const struct fg_bucket_key *key,
				      const struct fg_config *cfg)
{
	__u32 zero = 0;
	__u64 *seen = bpf_map_lookup_elem(&clock_seen, &zero);
	__u64 tol = (__u64)(b->burst - 1) * b->interval_ns, tat = READ_ONCE(b->tat);

	if (!seen || tat > *seen + (tol >> 1))
		return fg_known_busy(b, key, cfg, seen, tat, tol);
	return fg_bucket_reason(b, fg_now(seen));
}

/*
 * A share's parameters, made safe whatever the map holds: never looser than
 * the bucket's own (a share only lowers a limit), never below 1/64 of it.
 */
static __always_inline void fg_share_params(const struct fg_bucket *b, __u64 *t, __u32 *burst)
{
	__u64 own = b->interval_ns;

	if (*t < own)
		*t = own;
	/* (a limit slower than one packet in 2^56 ns, two years, has no floor
	 * to shift into: fg_gcra_params still bounds it) */
	if (own < (1ULL << 56) && *t > own << FG_SHARE_FLOOR_SHIFT)
		*t = own << FG_SHARE_FLOOR_SHIFT;
	if (*burst > b->burst)
		*burst = b->burst;
	fg_gcra_params(t, burst);
}

/*
 * A hot bucket (h: its hot entry): counted for floodgated, and judged by
 * its share while one is unexpired (an expired share is ignored: the
 * bucket is back on its own limit).
 */
static __always_inline __u32 fg_shared(struct fg_bucket *b, const struct fg_bucket_key *key,
				       struct fg_hot *h, __u64 now)
{
	struct fg_share *s;
	__u64 t;
	__u32 burst;

	__sync_fetch_and_add(&h->packets, 1);
	if (h->interval_ns != b->interval_ns || h->burst != b->burst) {
		h->interval_ns = b->interval_ns;
		h->burst = b->burst;
	}
	s = bpf_map_lookup_elem(&shares, key);
	if (!s || s->expires_ns <= now)
		return fg_bucket_reason(b, now);
	t = s->interval_ns;
	burst = s->burst;
	fg_share_params(b, &t, &burst);
	return fg_gcra_reason(&b->tat, t, burst, now);
}

/*
 * A source marked hot. Its hot entry gone means floodgated found it cooled
 * (or the LRU evicted it), shares off that the fleet is down: it is cold
 * again, and fg_known marks it anew if it is not.
 */
static __always_inline __u32 fg_hot(struct fg_bucket *b, const struct fg_bucket_key *key,
				    const struct fg_config *cfg)
{
	struct fg_hot *h = cfg->shares_on ? bpf_map_lookup_elem(&hot, key) : NULL;

	if (!h) {
		b->policy_gen = cfg->policy_gen;
		return fg_known(b, key, cfg);
	}
	return fg_shared(b, key, h, bpf_ktime_get_ns());
}

/*
 * A per-prefix bucket (one per --per prefix policy, FG_KEY_SHARED): its
 * packets walk the trie anyway, so it is judged here on the slow path, by
 * the same rules as a source: marked hot past half its burst, then held to
 * its share of the fleet's budget (issue 12's prefix budgets, split by
 * demand: each box's share follows the rate the prefix offers there).
 */
static __always_inline __u32 fg_prefix_reason(struct fg_bucket *b,
					      const struct fg_bucket_key *key,
					      const struct fg_config *cfg, __u32 gen, __u64 now)
{
	__u64 tol = (__u64)(b->burst - 1) * b->interval_ns, tat = READ_ONCE(b->tat);
	struct fg_hot *h = NULL;
	__u32 reason;

	if (cfg->shares_on && (b->policy_gen & FG_GEN_HOT))
		h = bpf_map_lookup_elem(&hot, key);
	if (h)
		return fg_shared(b, key, h, now);
	if (b->policy_gen & FG_GEN_HOT)
		b->policy_gen = gen;
	reason = fg_bucket_reason(b, now);
	if (cfg->shares_on && tat > now && tat - now > (tol >> 1))
		fg_mark_hot(b, key, gen, now);
	return reason;
}

static __always_inline int fg_is_v4_mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff);
}

/*
 * A source's own bucket key: IPv4 by its address, IPv6 by v6_prefix. An
 * IPv6 source in ::ffff:0:0/96 is bucketed apart from the IPv4 source with
 * the same bits (only a v6_prefix past 96 could make them meet).
 */
static __always_inline void fg_source_key(struct fg_bucket_key *key, const struct fg_pkt *p,
					  const struct fg_config *cfg)
{
	fg_copy16(key->addr, p->src);
	key->plen = 128;
	if (!p->is_v6)
		return;
	key->plen = cfg->v6_prefix;
	fg_mask(key->addr, key->plen);
	if (key->plen > FG_V4_MAPPED_PREFIX && fg_is_v4_mapped(p->src))
		key->plen |= FG_KEY_V6_MAPPED;
}

/*
 * The policy of a source: the longest prefix of its own family. IPv4 lives
 * in ::ffff:0:0/96 (a v4 /p is /(96+p)) and user space keeps IPv6 prefixes of
 * 96 bits or more out of it, so for an IPv4 source a match shorter than 96
 * bits is an IPv6 policy (::/0, ::/8) and does not apply, and for an IPv6
 * source inside that space a match of 96 bits or more is an IPv4 policy: the
 * IPv6 policy above it is asked for instead.
 */
static __always_inline struct fg_policy *fg_policy_of(const struct fg_pkt *p)
{
	struct fg_policy *pol;
	struct fg_lpm_key k;

	k.prefixlen = 128;
	fg_copy16(k.addr, p->src);
	pol = bpf_map_lookup_elem(&policy, &k);
	if (!pol)
		return NULL;
	if (!p->is_v6)
		return pol->prefixlen >= FG_V4_MAPPED_PREFIX ? pol : NULL;
	if (pol->prefixlen < FG_V4_MAPPED_PREFIX || !fg_is_v4_mapped(p->src))
		return pol;
	k.prefixlen = FG_V4_MAPPED_PREFIX - 1;
	return bpf_map_lookup_elem(&policy, &k);
}

/*
 * A cached bucket takes a changed policy's parameters at once; the burst a
 * source used carries over (fg_gcra_rescale). Two CPUs refreshing one bucket
 * at the same moment can at worst charge it up to the new burst.
 */
static __always_inline void fg_bucket_refresh(struct fg_bucket *b, __u64 t, __u32 burst,
					      __u32 gen, __u64 now)
{
	int i;

	if (b->interval_ns != t || b->burst != burst) {
		for (i = 0; i < FG_GCRA_RETRIES; i++) {
			__u64 tat = READ_ONCE(b->tat);
			__u64 want = fg_gcra_rescale(tat, now, b->interval_ns, t, burst);

			if (__sync_val_compare_and_swap(&b->tat, tat, want) == tat)
				break;
		}
		b->interval_ns = t;
		b->burst = burst;
	}
	/* A hot per-prefix bucket keeps its flag (fg_prefix_reason). */
	if ((b->policy_gen & ~FG_GEN_HOT) != gen)
		b->policy_gen = gen;
}

/*
 * An unknown source gets a bucket only while its policy's new-source budget
 * has a token. Past it, the packet is judged by the one overflow bucket that
 * all unadmitted sources of the policy share, at the budget's rate, and
 * nothing is inserted: a flood of forged sources passes at most about twice
 * the budget in total and evicts no known source. Both TATs live in the
 * policy's trie entry, which an unknown source looked up anyway.
 */
static __always_inline __u32 fg_admit(struct fg_policy *pol, __u64 now)
{
	__u64 t = pol->new_interval_ns;
	__u32 burst = pol->new_burst;

	fg_gcra_params(&t, &burst);
	if (fg_gcra_admit(&pol->admit_tat, t, burst, now) == FG_GCRA_PASS)
		return FG_R_LIMIT_PASS;
	if (fg_gcra_admit(&pol->overflow_tat, t, burst, now) == FG_GCRA_PASS)
		return FG_R_OVERFLOW_PASS;
	return FG_R_OVERFLOW_DROP;
}

/* Charge key's bucket under pol, making it if the source is admitted. */
static __always_inline __u32 fg_charge(struct fg_policy *pol, struct fg_bucket_key *key,
				       struct fg_bucket *b, const struct fg_config *cfg, __u32 gen,
				       __u64 now)
{
	__u64 t = pol->interval_ns;
	__u32 burst = pol->burst, reason;
	int admitted = 0;

	fg_gcra_params(&t, &burst);
	if (b) {
		fg_bucket_refresh(b, t, burst, gen, now);
		if (pol->per == FG_PER_PREFIX)
			return fg_prefix_reason(b, key, cfg, gen, now);
		return fg_bucket_reason(b, now);
	}
	/* A per-prefix bucket is one per policy: no budget to guard it. */
	if (pol->per == FG_PER_SOURCE && pol->new_interval_ns) {
		reason = fg_admit(pol, now);
		if (reason != FG_R_LIMIT_PASS)
			return reason;
		admitted = 1;
	}

	struct fg_bucket nb = {
		.tat = fg_gcra_first(t, now),
		.interval_ns = t,
		.burst = burst,
		.policy_gen = gen,
	};
	if (bpf_map_update_elem(&buckets, key, &nb, BPF_NOEXIST) == 0) {
		fg_count(FG_C_NEW_SOURCE);
		if (admitted)
			fg_count(FG_C_ADMITTED);
		return FG_R_LIMIT_PASS;
	}
	/* Another CPU inserted it first: charge that bucket instead. */
	b = bpf_map_lookup_elem(&buckets, key);
	if (b)
		return fg_bucket_reason(b, now);
	return FG_R_BUCKET_FULL;
}

/* A bucket left from an older policy under the source's own key. */
static __always_inline void fg_drop_stale(struct fg_bucket_key *key, struct fg_bucket *b)
{
	if (b)
		bpf_map_delete_elem(&buckets, key);
}

/*
 * The trie walk: new sources, known ones after a policy change, sources of
 * allow / deny / per-prefix policies and buckets rechecked per packet. A
 * policy longer than the source's own key (a /128 inside a /64) gets a
 * bucket keyed by that policy's prefix; the /64 around it belongs to the
 * neighbours and is never deleted on its account.
 */
static __always_inline __u32 fg_limit_slow(const struct fg_pkt *p, const struct fg_config *cfg,
					   struct fg_bucket_key *key, struct fg_bucket *b)
{
	__u32 own = key->plen & ~FG_KEY_V6_MAPPED, gen = cfg->policy_gen;
	__u64 now = bpf_ktime_get_ns();
	struct fg_policy *pol = fg_policy_of(p);

	if (!pol) {
		fg_drop_stale(key, b);
		return FG_R_NO_POLICY;
	}
	if (pol->prefixlen <= own && (pol->action != FG_ACT_LIMIT || pol->per == FG_PER_PREFIX))
		fg_drop_stale(key, b);
	if (pol->action == FG_ACT_ALLOW)
		return FG_R_ALLOW;
	if (pol->action == FG_ACT_DENY)
		return FG_R_DENY;

	if (pol->per == FG_PER_PREFIX || pol->prefixlen > own) {
		fg_copy16(key->addr, p->src);
		fg_mask(key->addr, pol->prefixlen);
		key->plen = pol->prefixlen;
		if (pol->per == FG_PER_PREFIX)
			key->plen |= FG_KEY_SHARED;
		b = bpf_map_lookup_elem(&buckets, key);
	} else if (pol->flags & FG_POL_SPLIT) {
		gen = FG_GEN_RECHECK;
	}
	return fg_charge(pol, key, b, cfg, gen, now);
}

/*
 * A known source costs one hash lookup: its bucket caches the policy's rate
 * and burst with the policy generation they came from.
 */
static __always_inline __u32 fg_limit(const struct fg_pkt *p, const struct fg_config *cfg)
{
	struct fg_bucket_key key = {};
	struct fg_bucket *b;

	fg_source_key(&key, p, cfg);
	b = bpf_map_lookup_elem(&buckets, &key);
	if (b && b->policy_gen == cfg->policy_gen)
		return fg_known(b, &key, cfg);
	/* Marked hot (fleet shares); a policy change since clears the flag
	 * (fg_bucket_refresh) and fg_known marks it again. */
	if (b && b->policy_gen == (cfg->policy_gen | FG_GEN_HOT))
		return fg_hot(b, &key, cfg);
	return fg_limit_slow(p, cfg, &key, b);
}

/* Monitor mode turns every drop reason into its would-drop twin. */
static __always_inline __u32 fg_apply_mode(const struct fg_config *cfg, __u32 reason)
{
	if (reason < FG_R_FIRST_DROP || cfg->mode != FG_MODE_MONITOR)
		return reason;
	if (reason == FG_R_DENY)
		return FG_R_MONITOR_DENY;
	if (reason == FG_R_MALFORMED)
		return FG_R_MONITOR_MALFORMED;
	if (reason == FG_R_OVERFLOW_DROP)
		return FG_R_MONITOR_OVERFLOW;
	return FG_R_MONITOR_LIMIT;
}

#endif /* FG_LIMITER_H */
