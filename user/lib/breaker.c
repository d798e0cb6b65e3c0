// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* A breaker's state, its backoff and the operator's force (breaker.h). */
#include <string.h>

#include "breaker.h"

void fg_brk_params_default(struct fg_brk_params *p)
{
	p->consecutive_failures = 5;
	p->failure_rate_pct = 50;
	p->window_ns = 10ULL * 1000000000ULL;
	p->min_outcomes = 20;
	p->open_timeout_ns = 5ULL * 1000000000ULL;
	p->backoff_factor = 2;
	p->open_timeout_max_ns = 300ULL * 1000000000ULL;
	p->jitter_pct = 10;
	p->half_open_permits = 3;
	p->successes_to_close = 3;
}

void fg_brk_init(struct fg_brk *b, __u64 now)
{
	memset(b, 0, sizeof(*b));
	b->state = FG_BREAKER_CLOSED;
	b->since_ns = now;
}

__u64 fg_brk_open_timeout(const struct fg_brk_params *p, __u32 reopens)
{
	__u64 t = p->open_timeout_ns;

	for (__u32 i = 0; i < reopens && t < p->open_timeout_max_ns; i++)
		t *= p->backoff_factor;
	return t < p->open_timeout_max_ns ? t : p->open_timeout_max_ns;
}

void fg_brk_move(struct fg_brk *b, enum fg_breaker to, enum fg_brk_reason why, __u64 now,
		 struct fg_transition *t)
{
	t->from = b->state;
	t->to = to;
	t->why = why;
	b->state = to;
	b->since_ns = now;
	b->why = why;
	b->consecutive = 0;
	b->half_open_ok = 0;
	memset(b->slots, 0, sizeof(b->slots)); /* the window starts over */
}

int fg_brk_force(struct fg_brk *b, enum fg_force f, __u64 now, struct fg_transition *t)
{
	enum fg_breaker to;

	b->force = f;
	to = f == FG_FORCE_OPEN ? FG_BREAKER_OPEN : FG_BREAKER_CLOSED;
	if (f == FG_FORCE_AUTO)
		b->reopens = 0;
	if (b->state == to && f != FG_FORCE_AUTO)
		return 0;
	if (f == FG_FORCE_AUTO && b->state == FG_BREAKER_CLOSED)
		return 0;
	fg_brk_move(b, to, f == FG_FORCE_AUTO ? FG_WHY_AUTO : FG_WHY_FORCED, now, t);
	return 1;
}
