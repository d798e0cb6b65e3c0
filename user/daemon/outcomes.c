// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Counter deltas into outcomes (outcomes.h). */
#include "outcomes.h"
#include "config.h"

static __u64 delta(const __u64 *prev, const __u64 *cur, int i)
{
	return cur[i] >= prev[i] ? cur[i] - prev[i] : cur[i];
}

static __u32 clamp32(__u64 v)
{
	return v > 0xffffffffULL ? 0xffffffffU : (__u32)v;
}

/* HTTP responses of any status between prev and cur. */
static __u64 http_answers(const __u64 *prev, const __u64 *cur)
{
	return delta(prev, cur, FG_U_HTTP_2XX) + delta(prev, cur, FG_U_HTTP_3XX) +
	       delta(prev, cur, FG_U_HTTP_4XX) + delta(prev, cur, FG_U_HTTP_429) +
	       delta(prev, cur, FG_U_HTTP_5XX);
}

void fg_classify_deltas(const __u64 prev[FG_U_MAX], const __u64 cur[FG_U_MAX],
			__u32 failure_classes, __u32 success_classes, struct fg_outcomes *o)
{
	__u64 ok = 0, failed = 0, neutral, http, synack;
	const struct {
		int counter;
		__u32 class;
	} fails[] = {
		{ FG_U_HTTP_5XX, FG_FAIL_5XX },
		{ FG_U_HTTP_429, FG_FAIL_429 },
		{ FG_U_RST, FG_FAIL_REFUSED },
	}, oks[] = {
		{ FG_U_HTTP_2XX, FG_OK_2XX },
		{ FG_U_HTTP_3XX, FG_OK_3XX },
	};

	http = http_answers(prev, cur);
	synack = delta(prev, cur, FG_U_SYNACK);
	if (success_classes & FG_OK_SYNACK)
		ok += synack > http ? synack - http : 0;
	neutral = delta(prev, cur, FG_U_HTTP_4XX);
	for (unsigned int i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
		__u64 n = delta(prev, cur, oks[i].counter);

		if (success_classes & oks[i].class)
			ok += n;
		else
			neutral += n;
	}
	for (unsigned int i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		__u64 n = delta(prev, cur, fails[i].counter);

		if (failure_classes & fails[i].class)
			failed += n;
		else
			neutral += n;
	}
	o->ok = clamp32(ok);
	o->failed = clamp32(failed);
	o->neutral = clamp32(neutral);
}

void fg_outcomes_cap(struct fg_outcomes *o, __u32 max)
{
	__u64 sum = (__u64)o->ok + o->failed;
	__u32 ok, failed;

	if (sum <= max || !max)
		return;
	ok = (__u64)o->ok * max / sum;
	failed = (__u64)o->failed * max / sum;
	if (o->ok && !ok)
		ok = 1;
	if (o->failed && !failed)
		failed = 1;
	o->ok = ok;
	o->failed = failed;
}

/*
 * fg_classify_deltas counts the SYN-ACKs beyond this tick's HTTP responses
 * as successes at once. But a response often arrives in the tick after its
 * SYN-ACK (whenever a tick boundary falls between the two): that connection
 * would count as a success and then as a failure, and the success resets
 * the consecutive-failure count, so an upstream answering every request
 * with 503 may not trip at the Nth. So a SYN-ACK with no status waits one
 * tick: this tick's responses first answer the SYN-ACKs carried from the
 * last one, and carried ones still unanswered count as successes now (a TCP
 * upstream, or one that accepted and said nothing). Called before u->last
 * moves to c.
 */
void fg_settle_synacks(const __u64 last[FG_U_MAX], const __u64 c[FG_U_MAX], __u32 *carry,
		       struct fg_outcomes *o)
{
	__u64 synack = delta(last, c, FG_U_SYNACK), http = http_answers(last, c);
	__u64 answered, counted;

	counted = synack > http ? synack - http : 0; /* what classify made successes */
	o->ok -= counted < o->ok ? (__u32)counted : o->ok;
	answered = *carry < http ? *carry : http;
	o->ok = clamp32((__u64)o->ok + *carry - answered);
	http -= answered;
	*carry = clamp32(synack > http ? synack - http : 0);
}
