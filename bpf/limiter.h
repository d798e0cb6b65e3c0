/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Per-source rate limiting: policy lookup and bucket bookkeeping. Returns the
 * reason (enum fg_stat) a packet gets; the caller turns it into a verdict.
 *
 * A known source costs one hash lookup: its bucket caches the policy's rate
 * and burst with the policy generation they came from, so the LPM trie is
 * walked only for new sources, after a policy change, and for sources whose
 * policy is allow / deny / per-prefix (which keep no per-source entry).
 */
#ifndef FG_LIMITER_H
#define FG_LIMITER_H

#include "maps.h"
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

static __always_inline __u32 fg_bucket_reason(struct fg_bucket *b, __u64 now)
{
	switch (fg_gcra_admit(&b->tat, b->interval_ns, b->burst, now)) {
	case FG_GCRA_PASS:
		return FG_R_LIMIT_PASS;
	case FG_GCRA_OVER:
		return FG_R_LIMIT_DROP;
	default:
		return FG_R_CONTENTION;
	}
}

/*
 * A known source over its limit is proven so with the coarse clock first:
 * bpf_ktime_get_ns() costs ~25 ns in a VM (kvm-clock), the coarse clock a
 * few. CLOCK_MONOTONIC_COARSE never runs ahead of the precise clock and lags
 * it by at most one tick (4 ms at HZ=250), so with this slack a packet judged
 * over here is over by the precise clock as well; anything closer to the
 * edge takes the exact path.
 */
#define FG_COARSE_SLACK_NS 8000000ULL

static __always_inline int fg_surely_over(const struct fg_bucket *b)
{
	__u64 late = bpf_ktime_get_coarse_ns() + FG_COARSE_SLACK_NS;
	__u64 tat = READ_ONCE(b->tat);

	return tat > late && tat - late > (__u64)(b->burst - 1) * b->interval_ns;
}

static __always_inline __u32 fg_limit(const struct fg_pkt *p, const struct fg_config *cfg)
{
	struct fg_bucket_key key = {};
	struct fg_lpm_key lkey;
	struct fg_policy *pol;
	struct fg_bucket *b;
	__u32 gen = cfg->policy_gen;
	__u64 now;

	fg_copy16(key.addr, p->src);
	key.plen = 128;
	if (p->is_v6) {
		key.plen = cfg->v6_prefix;
		fg_mask(key.addr, key.plen);
	}
	b = bpf_map_lookup_elem(&buckets, &key);
	if (b && b->policy_gen == gen) {
		if (fg_surely_over(b))
			return FG_R_LIMIT_DROP;
		return fg_bucket_reason(b, bpf_ktime_get_ns());
	}
	now = bpf_ktime_get_ns();

	lkey.prefixlen = 128;
	fg_copy16(lkey.addr, p->src);
	pol = bpf_map_lookup_elem(&policy, &lkey);
	if (!pol || pol->action != FG_ACT_LIMIT || pol->per == FG_PER_PREFIX) {
		if (b) /* stale per-source entry from an older policy */
			bpf_map_delete_elem(&buckets, &key);
		if (!pol)
			return FG_R_NO_POLICY;
		if (pol->action == FG_ACT_ALLOW)
			return FG_R_ALLOW;
		if (pol->action == FG_ACT_DENY)
			return FG_R_DENY;
		fg_copy16(key.addr, p->src);
		fg_mask(key.addr, pol->prefixlen);
		key.plen = pol->prefixlen | FG_KEY_SHARED;
		b = bpf_map_lookup_elem(&buckets, &key);
	}

	if (b) {
		if (b->policy_gen != gen) {
			b->interval_ns = pol->interval_ns;
			b->burst = pol->burst;
			b->policy_gen = gen;
		}
		return fg_bucket_reason(b, now);
	}

	struct fg_bucket nb = {
		.tat = fg_gcra_first(pol->interval_ns, now),
		.interval_ns = pol->interval_ns,
		.burst = pol->burst,
		.policy_gen = gen,
	};
	if (bpf_map_update_elem(&buckets, &key, &nb, BPF_NOEXIST) == 0) {
		fg_count(FG_C_NEW_SOURCE);
		return FG_R_LIMIT_PASS;
	}
	/* Another CPU inserted it first: charge that bucket instead. */
	b = bpf_map_lookup_elem(&buckets, &key);
	if (b)
		return fg_bucket_reason(b, now);
	return FG_R_BUCKET_FULL;
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
	return FG_R_MONITOR_LIMIT;
}

#endif /* FG_LIMITER_H */
