/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * A circuit breaker's state, shared by the CLI and floodgated: what it holds,
 * its open timeout's backoff, and the operator's force (open, close, auto),
 * so the CLI without a daemon forces by the daemon's own rule. The
 * transitions outcomes and time drive are floodgated's
 * (user/daemon/breaker_machine.h). Pure: no I/O, the clock passed in.
 */
#ifndef FG_USER_BREAKER_H
#define FG_USER_BREAKER_H

#include <linux/types.h>
#include "upstream_kern_user.h"

#define FG_BRK_SLOTS 10 /* the window is kept as this many time slots */

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
	FG_WHY_FLEET,         /* a quorum of the fleet's nodes saw it failing */
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
	enum fg_brk_reason why;  /* ... for this reason (FG_WHY_NONE: restored) */
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

void fg_brk_init(struct fg_brk *b, __u64 now);
/* Enter state to (for why) at now, counts and window started over; t says
 * the transition. */
void fg_brk_move(struct fg_brk *b, enum fg_breaker to, enum fg_brk_reason why, __u64 now,
		 struct fg_transition *t);

/* Force open / closed, or hand back (auto): closed, the backoff reset, to
 * decide afresh. 1 when the state changed (t says how). */
int fg_brk_force(struct fg_brk *b, enum fg_force f, __u64 now, struct fg_transition *t);

/* The open timeout for the n-th consecutive re-open, before jitter. */
__u64 fg_brk_open_timeout(const struct fg_brk_params *p, __u32 reopens);

#endif /* FG_USER_BREAKER_H */
