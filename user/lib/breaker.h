/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The circuit-breaker state machine, pure: no I/O, the clock and the random
 * source are passed in, so every transition can be driven from a test.
 *
 *   closed --N consecutive failures, or failure rate >= X% over the window
 *            with at least M outcomes in it--> open
 *   open --open timeout (base x factor^reopens, capped, +-jitter)--> half-open
 *   half-open --S successes--> closed;  --any failure--> open (reopens + 1)
 *   forced open / forced closed hold until auto.
 * A group guard may veto closed -> open (see fg_brk_record's may_open).
 */
#ifndef FG_USER_BREAKER_H
#define FG_USER_BREAKER_H

#include <linux/types.h>
#include "upstream_kern_user.h"

#define FG_BRK_SLOTS 10 /* the window is kept as this many time slots */

enum fg_outcome { FG_OUT_SUCCESS = 0, FG_OUT_FAILURE, FG_OUT_NEUTRAL };

enum fg_force { FG_FORCE_AUTO = 0, FG_FORCE_OPEN, FG_FORCE_CLOSED, FG_FORCE_MAX };

enum fg_brk_reason {
	FG_WHY_NONE = 0,
	FG_WHY_CONSECUTIVE,   /* N consecutive failures */
	FG_WHY_FAILURE_RATE,  /* rate over the window */
	FG_WHY_TIMEOUT,       /* open timeout elapsed: probe with half-open */
	FG_WHY_PROBE_FAILED,  /* a failure while half-open */
	FG_WHY_RECOVERED,     /* S successes while half-open */
	FG_WHY_FORCED,        /* an operator forced the state */
	FG_WHY_AUTO,          /* handed back: closed, to decide afresh */
	FG_WHY_MAX,
};

struct fg_brk_params {
	__u32 consecutive_failures; /* N; 0 disables */
	__u32 failure_rate_pct;     /* X; 0 disables */
	__u64 window_ns;
	__u32 min_outcomes;         /* M */
	__u64 open_timeout_ns;
	__u32 backoff_factor;       /* >= 1 */
	__u64 open_timeout_max_ns;
	__u32 jitter_pct;           /* open timeout varies by +-jitter_pct % */
	__u32 half_open_permits;    /* K */
	__u32 successes_to_close;   /* S */
};

void fg_brk_params_default(struct fg_brk_params *p);

struct fg_brk {
	enum fg_breaker state;
	enum fg_force force;
	__u32 consecutive;       /* failures in a row (closed) */
	__u32 reopens;           /* consecutive re-opens, drives the backoff */
	__u32 half_open_ok;      /* successes while half-open */
	__u64 since_ns;          /* entered the current state */
	__u64 open_until_ns;     /* open: when to try half-open */
	struct {
		__u64 start_ns;
		__u32 ok, failed;
	} slots[FG_BRK_SLOTS];
};

struct fg_transition {
	enum fg_breaker from, to;
	enum fg_brk_reason why;
};

/* Random source for jitter: returns a uniform 32-bit value. */
typedef __u32 (*fg_rand_fn)(void *ctx);

void fg_brk_init(struct fg_brk *b, __u64 now);

/*
 * Feed one outcome. may_open, when not NULL, is asked before closed -> open
 * (the group guard); a veto keeps the breaker closed. Returns 1 and fills t
 * when the state changed.
 */
int fg_brk_record(struct fg_brk *b, const struct fg_brk_params *p, enum fg_outcome o,
		  __u64 now, fg_rand_fn rnd, void *rctx, int (*may_open)(void *ctx),
		  void *octx, struct fg_transition *t);
/* Let time pass: open -> half-open once the open timeout is over. */
int fg_brk_tick(struct fg_brk *b, const struct fg_brk_params *p, __u64 now,
		struct fg_transition *t);
/* Force open / closed, or hand back (auto). */
int fg_brk_force(struct fg_brk *b, enum fg_force f, __u64 now, struct fg_transition *t);

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
/* The open timeout for the n-th consecutive re-open, before jitter. */
__u64 fg_brk_open_timeout(const struct fg_brk_params *p, __u32 reopens);

#endif /* FG_USER_BREAKER_H */
