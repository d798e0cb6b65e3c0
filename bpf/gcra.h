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

/* TAT of a brand new bucket after admitting its first packet. */
static __always_inline __u64 fg_gcra_first(__u64 interval, __u64 now)
{
	return now + interval;
}

#endif /* FG_GCRA_H */
