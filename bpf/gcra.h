/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * GCRA token bucket. State is one u64 theoretical arrival time (TAT) per
 * bucket. A packet at time now conforms when max(TAT, now) - now <= (B-1)*T,
 * and then moves TAT to max(TAT, now) + T.
 *
 * Why GCRA with compare-and-swap: it is exact across CPUs with no lock and
 * 8 bytes of state, and works inside an LRU hash (bpf_spin_lock is refused in
 * LRU values, and per-CPU buckets would admit rate x ncpus).
 */
#ifndef FG_GCRA_H
#define FG_GCRA_H

#include "compat.h"
#include "floodgate_kern_user.h"

#define FG_GCRA_RETRIES 8

enum fg_gcra {
	FG_GCRA_PASS = 0,
	FG_GCRA_OVER,
	FG_GCRA_CONTENDED, /* lost the race FG_GCRA_RETRIES times */
};

static __always_inline int fg_gcra_admit(__u64 *tat_p, __u64 interval, __u32 burst,
					 __u64 now)
{
	__u64 tolerance = (__u64)(burst - 1) * interval;
	int i;

#pragma unroll
	for (i = 0; i < FG_GCRA_RETRIES; i++) {
		__u64 tat = READ_ONCE(*tat_p);
		__u64 base = tat > now ? tat : now;

		if (base - now > tolerance)
			return FG_GCRA_OVER; /* over: TAT unchanged, no write */
		if (__sync_val_compare_and_swap(tat_p, tat, base + interval) == tat)
			return FG_GCRA_PASS;
	}
	return FG_GCRA_CONTENDED;
}

/*
 * The parameters a bucket runs on, made safe whatever the policy map holds:
 * burst >= 1, interval >= 1 and (burst - 1) x interval <= FG_TOLERANCE_MAX_NS,
 * so neither the tolerance nor a TAT can overflow. The tools refuse such
 * policies already; this guards a map written by hand. Called where a bucket
 * takes its parameters from a policy, never per packet of a known source; the
 * division runs only for intervals of a second or more (slow rates).
 */
static __always_inline void fg_gcra_params(__u64 *interval, __u32 *burst)
{
	if (*interval == 0)
		*interval = 1;
	if (*interval > FG_TOLERANCE_MAX_NS)
		*interval = FG_TOLERANCE_MAX_NS;
	if (*burst == 0)
		*burst = 1;
	/* Below 2^30 ns, any u32 burst stays under 2^62. */
	if (*interval >= (1ULL << 30) && *burst - 1 > FG_TOLERANCE_MAX_NS / *interval)
		*burst = (__u32)(FG_TOLERANCE_MAX_NS / *interval) + 1;
}

/*
 * TAT after a policy change from interval old_t to (new_t, new_b): the
 * packets of its burst a source has used, rounded up, carry over at the new
 * interval, at most the new burst. A looser policy applies at once (after
 * 1/h burst 3, 100k/s burst 100 leaves 97 packets, not a wait of hours), and
 * so does a tighter one. Only run when the parameters changed.
 */
static __always_inline __u64 fg_gcra_rescale(__u64 tat, __u64 now, __u64 old_t, __u64 new_t,
					     __u32 new_b)
{
	__u64 used;

	if (tat <= now)
		return tat;
	used = old_t ? (tat - now + old_t - 1) / old_t : new_b;
	if (used > new_b)
		used = new_b;
	return now + used * new_t;
}

/* TAT of a brand new bucket after admitting its first packet. */
static __always_inline __u64 fg_gcra_first(__u64 interval, __u64 now)
{
	return now + interval;
}

#endif /* FG_GCRA_H */
