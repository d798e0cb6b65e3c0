/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What a tick makes of the growth of an upstream's datapath counters: which
 * of it counts as success, failure or neither, how much of it one tick may
 * feed a breaker, and SYN-ACKs held a tick for their HTTP status. Pure.
 */
#ifndef FG_OUTCOMES_H
#define FG_OUTCOMES_H

#include <linux/types.h>
#include "upstream_kern_user.h"

/* At most this many outcomes per upstream are fed to the breaker per tick;
 * more are scaled down in proportion (the rate is what matters then). */
#define FG_TICK_OUTCOMES_MAX 4096

/* The outcomes of one tick for one upstream. */
struct fg_outcomes {
	__u32 ok, failed, neutral;
};

/*
 * Classify the growth of an upstream's datapath counters since the last tick.
 *   success: HTTP 2xx and 3xx, and SYN-ACKs beyond the HTTP responses seen
 *            (a connection that answered with a status is judged by it, so
 *            an upstream answering every request with 503 is not also "50%
 *            successful" through its SYN-ACKs), each only when its class is
 *            in success_classes (2xx and 3xx left out are neutral)
 *   failure: 5xx, 429, refused (RST answering a SYN), each only when its
 *            class is in failure_classes (else neutral)
 *   neutral: other 4xx
 * A counter that went backwards (reset) counts from zero.
 */
void fg_classify_deltas(const __u64 prev[FG_U_MAX], const __u64 cur[FG_U_MAX],
			__u32 failure_classes, __u32 success_classes, struct fg_outcomes *o);
/* Scale ok/failed down so they sum to at most max, keeping any non-zero class >= 1. */
void fg_outcomes_cap(struct fg_outcomes *o, __u32 max);
/* With SYN-ACKs a success: hold this tick's unanswered SYN-ACKs in *carry
 * for the next tick's statuses (o as fg_classify_deltas made it of last..c). */
void fg_settle_synacks(const __u64 last[FG_U_MAX], const __u64 c[FG_U_MAX], __u32 *carry,
		       struct fg_outcomes *o);

#endif /* FG_OUTCOMES_H */
