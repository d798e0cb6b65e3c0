// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The transitions outcomes and time drive (breaker_machine.h). */
#include <string.h>

#include "breaker_machine.h"

/* Slot for time now; a slot reused for a newer period is reset first. */
static void window_add(struct fg_brk *b, const struct fg_brk_params *p, __u64 now, int failed)
{
	__u64 width = p->window_ns / FG_BRK_SLOTS ? p->window_ns / FG_BRK_SLOTS : 1;
	__u64 period = now / width;
	unsigned int i = period % FG_BRK_SLOTS;

	if (b->slots[i].start_ns != period * width) {
		b->slots[i].start_ns = period * width;
		b->slots[i].ok = b->slots[i].failed = 0;
	}
	if (failed)
		b->slots[i].failed++;
	else
		b->slots[i].ok++;
}

void fg_brk_window(const struct fg_brk *b, const struct fg_brk_params *p, __u64 now,
		   __u32 *ok, __u32 *failed)
{
	__u64 width = p->window_ns / FG_BRK_SLOTS ? p->window_ns / FG_BRK_SLOTS : 1;
	/* Whole slots that overlap (now - window, now]. */
	__u64 oldest = now / width >= FG_BRK_SLOTS - 1 ? (now / width - (FG_BRK_SLOTS - 1)) * width : 0;

	*ok = *failed = 0;
	for (int i = 0; i < FG_BRK_SLOTS; i++) {
		if (b->slots[i].start_ns < oldest || b->slots[i].start_ns > now)
			continue;
		*ok += b->slots[i].ok;
		*failed += b->slots[i].failed;
	}
}

__u64 fg_jitter(__u64 base, __u32 pct, fg_rand_fn rnd, void *rctx)
{
	__u64 span, r;

	if (!pct || !rnd)
		return base;
	if (pct > 100)
		pct = 100;
	/* base * pct / 100 without the product's overflow */
	span = base / 100 * pct + base % 100 * pct / 100;
	r = (__u64)rnd(rctx) << 32 | rnd(rctx);
	/* The modulo's bias is below span / 2^64: nothing at these sizes. */
	return base - span + r % (2 * span + 1);
}

static void trip(struct fg_brk *b, const struct fg_brk_params *p, enum fg_brk_reason why,
		 __u64 now, fg_rand_fn rnd, void *rctx, struct fg_transition *t)
{
	/* Jitter spreads the half-open probes of upstreams that failed together. */
	__u64 timeout = fg_jitter(fg_brk_open_timeout(p, b->reopens), p->jitter_pct, rnd, rctx);

	fg_brk_move(b, FG_BREAKER_OPEN, why, now, t);
	b->open_until_ns = now + timeout;
}

int fg_brk_record(struct fg_brk *b, const struct fg_brk_params *p, enum fg_outcome o,
		  __u64 now, fg_rand_fn rnd, void *rctx, int (*may_open)(void *ctx),
		  void *octx, struct fg_transition *t)
{
	__u32 ok, failed;

	if (o == FG_OUT_NEUTRAL || b->force != FG_FORCE_AUTO)
		return 0;

	switch (b->state) {
	case FG_BREAKER_CLOSED:
		window_add(b, p, now, o == FG_OUT_FAILURE);
		if (o == FG_OUT_SUCCESS) {
			b->consecutive = 0;
			return 0;
		}
		b->consecutive++;
		enum fg_brk_reason why = FG_WHY_NONE;

		if (p->consecutive_failures && b->consecutive >= p->consecutive_failures) {
			why = FG_WHY_CONSECUTIVE;
		} else if (p->failure_rate_pct) {
			fg_brk_window(b, p, now, &ok, &failed);
			if (ok + failed >= p->min_outcomes &&
			    (__u64)failed * 100 >= (__u64)p->failure_rate_pct * (ok + failed))
				why = FG_WHY_FAILURE_RATE;
		}
		if (why == FG_WHY_NONE || (may_open && !may_open(octx)))
			return 0;
		b->reopens = 0;
		trip(b, p, why, now, rnd, rctx, t);
		return 1;
	case FG_BREAKER_HALF_OPEN:
		if (o == FG_OUT_FAILURE) {
			b->reopens++;
			trip(b, p, FG_WHY_PROBE_FAILED, now, rnd, rctx, t);
			return 1;
		}
		if (++b->half_open_ok >= p->successes_to_close) {
			b->reopens = 0;
			fg_brk_move(b, FG_BREAKER_CLOSED, FG_WHY_RECOVERED, now, t);
			return 1;
		}
		return 0;
	case FG_BREAKER_OPEN:
	default:
		return 0; /* outcomes while open (e.g. late replies) change nothing */
	}
}

int fg_brk_open_for(struct fg_brk *b, const struct fg_brk_params *p, enum fg_brk_reason why,
		    __u64 now, fg_rand_fn rnd, void *rctx, int (*may_open)(void *ctx), void *octx,
		    struct fg_transition *t)
{
	if (b->force != FG_FORCE_AUTO || b->state != FG_BREAKER_CLOSED ||
	    (may_open && !may_open(octx)))
		return 0;
	b->reopens = 0;
	trip(b, p, why, now, rnd, rctx, t);
	return 1;
}

int fg_brk_tick(struct fg_brk *b, const struct fg_brk_params *p, __u64 now,
		struct fg_transition *t)
{
	if (b->force != FG_FORCE_AUTO || b->state != FG_BREAKER_OPEN || now < b->open_until_ns)
		return 0;
	fg_brk_move(b, FG_BREAKER_HALF_OPEN, FG_WHY_TIMEOUT, now, t);
	return 1;
}

int fg_group_may_open(__u32 open, __u32 members, __u32 max_open_pct)
{
	return (__u64)(open + 1) * 100 <= (__u64)max_open_pct * members;
}
