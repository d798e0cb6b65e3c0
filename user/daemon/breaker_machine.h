/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The circuit-breaker state machine (floodgated's; the state itself and the
 * operator's force are in breaker.h): pure, no I/O, the clock and the random
 * source passed in, so every transition can be driven from a test.
 *
 *   closed --N consecutive failures, or failure rate >= X% over the window
 *            with at least M outcomes in it--> open
 *   open --open timeout (base x factor^reopens, capped, +-jitter)--> half-open
 *   half-open --S successes--> closed;  --any failure--> open (reopens + 1)
 *   forced open / forced closed hold until auto.
 * A group guard may veto closed -> open (see fg_brk_record's may_open).
 */
#ifndef FG_BREAKER_MACHINE_H
#define FG_BREAKER_MACHINE_H

#include "breaker.h"

enum fg_outcome { FG_OUT_SUCCESS = 0, FG_OUT_FAILURE, FG_OUT_NEUTRAL };

/* Random source for jitter: returns a uniform 32-bit value. */
typedef __u32 (*fg_rand_fn)(void *ctx);

/*
 * Feed one outcome. may_open, when not NULL, is asked before closed -> open
 * (the group guard); a veto keeps the breaker closed. Returns 1 and fills t
 * when the state changed.
 */
int fg_brk_record(struct fg_brk *b, const struct fg_brk_params *p, enum fg_outcome o,
		  __u64 now, fg_rand_fn rnd, void *rctx, int (*may_open)(void *ctx),
		  void *octx, struct fg_transition *t);
/*
 * Open a closed breaker for a reason from outside its own outcomes (why:
 * FG_WHY_FLEET): as a trip on its own, with the open timeout's jitter and
 * the group guard's veto; never a forced one, never out of half-open (local
 * probes decide there). Returns 1 and fills t when it opened.
 */
int fg_brk_open_for(struct fg_brk *b, const struct fg_brk_params *p, enum fg_brk_reason why,
		    __u64 now, fg_rand_fn rnd, void *rctx, int (*may_open)(void *ctx), void *octx,
		    struct fg_transition *t);
/* Let time pass: open -> half-open once the open timeout is over. */
int fg_brk_tick(struct fg_brk *b, const struct fg_brk_params *p, __u64 now,
		struct fg_transition *t);

/*
 * Group guard: may one more member of a group of members, open already open,
 * open without exceeding max_open_pct of the group? Keeps the last healthy
 * members closed when a fault (often the client's own) hits them all.
 */
int fg_group_may_open(__u32 open, __u32 members, __u32 max_open_pct);

/* Outcomes in the window now: for failure-rate decisions and metrics. */
void fg_brk_window(const struct fg_brk *b, const struct fg_brk_params *p, __u64 now,
		   __u32 *ok, __u32 *failed);
/*
 * base +- pct % of it, uniform over the whole span: two draws make a 64-bit
 * value, since spans of long timeouts (300 s +- 10% is 6e10 ns) exceed what
 * one 32-bit draw covers. pct 0 or no rnd: base. pct is at most 100.
 */
__u64 fg_jitter(__u64 base, __u32 pct, fg_rand_fn rnd, void *rctx);

#endif /* FG_BREAKER_MACHINE_H */
