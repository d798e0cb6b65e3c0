// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The breaker state machine driven with a fake clock, table by table. */
#include "test.h"
#include "breaker_machine.h"

#define MS 1000000ULL
#define S (1000 * MS)

enum op { REC_OK, REC_FAIL, REC_NEUTRAL, TICK, FORCE_OPEN, FORCE_CLOSED, FORCE_AUTO, END };

struct step {
	enum op op;
	__u64 at_ms;             /* fake clock */
	enum fg_breaker state;   /* expected after the step */
	enum fg_brk_reason why;  /* expected transition reason, FG_WHY_NONE: none */
};

static __u32 rand_mid(void *ctx)
{
	return *(__u32 *)ctx;
}

static int allow;
static int may_open(void *ctx)
{
	return allow;
}

static void run(const char *name, const struct fg_brk_params *p, const struct step *steps,
		__u32 rnd)
{
	struct fg_brk b;
	char what[96];

	fg_brk_init(&b, 0);
	for (int i = 0; steps[i].op != END; i++) {
		struct fg_transition t = { .why = FG_WHY_NONE };
		__u64 now = steps[i].at_ms * MS;
		int changed = 0;

		switch (steps[i].op) {
		case REC_OK:
		case REC_FAIL:
		case REC_NEUTRAL:
			changed = fg_brk_record(&b, p,
						steps[i].op == REC_OK ? FG_OUT_SUCCESS
						: steps[i].op == REC_FAIL ? FG_OUT_FAILURE
									  : FG_OUT_NEUTRAL,
						now, rand_mid, &rnd, may_open, NULL, &t);
			break;
		case TICK:
			changed = fg_brk_tick(&b, p, now, &t);
			break;
		case FORCE_OPEN:
		case FORCE_CLOSED:
		case FORCE_AUTO:
			changed = fg_brk_force(&b,
					       steps[i].op == FORCE_OPEN ? FG_FORCE_OPEN
					       : steps[i].op == FORCE_CLOSED ? FG_FORCE_CLOSED
									     : FG_FORCE_AUTO,
					       now, &t);
			break;
		case END:
			break;
		}
		snprintf(what, sizeof(what), "%s step %d", name, i);
		ASSERT_EQ(b.state, steps[i].state, what);
		ASSERT_EQ(changed ? t.why : FG_WHY_NONE, steps[i].why, what);
		if (changed)
			ASSERT_EQ(t.to, steps[i].state, what);
	}
}

static struct fg_brk_params base(void)
{
	struct fg_brk_params p;

	fg_brk_params_default(&p);
	p.consecutive_failures = 3;
	p.failure_rate_pct = 0;
	p.open_timeout_ns = 1 * S;
	p.backoff_factor = 2;
	p.open_timeout_max_ns = 4 * S;
	p.jitter_pct = 0;
	p.successes_to_close = 2;
	return p;
}

#define C FG_BREAKER_CLOSED
#define O FG_BREAKER_OPEN
#define H FG_BREAKER_HALF_OPEN
#define NONE FG_WHY_NONE

TEST(breaker_consecutive_failures)
{
	struct fg_brk_params p = base();
	const struct step s[] = {
		{ REC_FAIL, 0, C, NONE },  { REC_FAIL, 10, C, NONE },
		{ REC_OK, 20, C, NONE },   /* a success resets the count */
		{ REC_FAIL, 30, C, NONE }, { REC_FAIL, 40, C, NONE },
		{ REC_NEUTRAL, 45, C, NONE }, /* 404s neither reset nor count */
		{ REC_FAIL, 50, O, FG_WHY_CONSECUTIVE },
		{ REC_OK, 60, O, NONE },      /* late successes change nothing */
		{ TICK, 1049, O, NONE },      /* timeout 1 s from 50 ms */
		{ TICK, 1050, H, FG_WHY_TIMEOUT },
		{ REC_OK, 1100, H, NONE },
		{ REC_OK, 1200, C, FG_WHY_RECOVERED }, /* S = 2 */
		{ END, 0, C, NONE },
	};

	allow = 1;
	run("consecutive", &p, s, 0);
}

TEST(breaker_backoff_grows_and_caps)
{
	struct fg_brk_params p = base();
	const struct step s[] = {
		{ REC_FAIL, 0, C, NONE }, { REC_FAIL, 0, C, NONE },
		{ REC_FAIL, 0, O, FG_WHY_CONSECUTIVE },           /* timeout 1 s */
		{ TICK, 1000, H, FG_WHY_TIMEOUT },
		{ REC_FAIL, 1000, O, FG_WHY_PROBE_FAILED },       /* 2 s */
		{ TICK, 2999, O, NONE }, { TICK, 3000, H, FG_WHY_TIMEOUT },
		{ REC_FAIL, 3000, O, FG_WHY_PROBE_FAILED },       /* 4 s */
		{ TICK, 6999, O, NONE }, { TICK, 7000, H, FG_WHY_TIMEOUT },
		{ REC_FAIL, 7000, O, FG_WHY_PROBE_FAILED },       /* 8 s, capped at 4 s */
		{ TICK, 10999, O, NONE }, { TICK, 11000, H, FG_WHY_TIMEOUT },
		{ REC_OK, 11000, H, NONE }, { REC_OK, 11000, C, FG_WHY_RECOVERED },
		/* recovery resets the backoff: the next open lasts 1 s again */
		{ REC_FAIL, 12000, C, NONE }, { REC_FAIL, 12000, C, NONE },
		{ REC_FAIL, 12000, O, FG_WHY_CONSECUTIVE },
		{ TICK, 13000, H, FG_WHY_TIMEOUT },
		{ END, 0, C, NONE },
	};

	allow = 1;
	run("backoff", &p, s, 0);
	ASSERT_EQ(fg_brk_open_timeout(&p, 0), 1 * S, "base");
	ASSERT_EQ(fg_brk_open_timeout(&p, 1), 2 * S, "x2");
	ASSERT_EQ(fg_brk_open_timeout(&p, 2), 4 * S, "x4");
	ASSERT_EQ(fg_brk_open_timeout(&p, 30), 4 * S, "capped");
}

TEST(breaker_jitter_bounds)
{
	struct fg_brk_params p = base();
	__u32 lo = 0, hi = 0xffffffff;
	struct fg_brk b;
	struct fg_transition t;

	p.jitter_pct = 10; /* 1 s +- 100 ms */
	for (int k = 0; k < 2; k++) {
		__u32 r = k ? hi : lo;

		fg_brk_init(&b, 0);
		for (int i = 0; i < 3; i++)
			fg_brk_record(&b, &p, FG_OUT_FAILURE, 0, rand_mid, &r, NULL, NULL, &t);
		ASSERT_EQ(b.state, FG_BREAKER_OPEN, "opened");
		ASSERT_GE(b.open_until_ns, 900 * MS, "jitter lower bound");
		ASSERT_LE(b.open_until_ns, 1100 * MS, "jitter upper bound");
	}
	/* and it does vary */
	__u32 r1 = 7, r2 = 150000001;
	__u64 u1, u2;

	fg_brk_init(&b, 0);
	for (int i = 0; i < 3; i++)
		fg_brk_record(&b, &p, FG_OUT_FAILURE, 0, rand_mid, &r1, NULL, NULL, &t);
	u1 = b.open_until_ns;
	fg_brk_init(&b, 0);
	for (int i = 0; i < 3; i++)
		fg_brk_record(&b, &p, FG_OUT_FAILURE, 0, rand_mid, &r2, NULL, NULL, &t);
	u2 = b.open_until_ns;
	ASSERT_TRUE(u1 != u2, "jitter varies with the random source");
}

TEST(breaker_failure_rate_window)
{
	struct fg_brk_params p = base();

	p.consecutive_failures = 0;  /* rate only */
	p.failure_rate_pct = 50;
	p.min_outcomes = 4;
	p.window_ns = 1 * S;         /* 10 slots of 100 ms */
	const struct step s[] = {
		/* 2 failures of 3: rate 66% but below the minimum count */
		{ REC_FAIL, 0, C, NONE }, { REC_OK, 10, C, NONE }, { REC_FAIL, 20, C, NONE },
		/* the window slides past them: 2 s later they are gone */
		{ REC_OK, 2000, C, NONE }, { REC_FAIL, 2010, C, NONE }, { REC_OK, 2020, C, NONE },
		/* 4 outcomes, 2 failed = 50% >= 50% */
		{ REC_FAIL, 2030, O, FG_WHY_FAILURE_RATE },
		{ END, 0, C, NONE },
	};

	allow = 1;
	run("rate", &p, s, 0);
}

TEST(breaker_window_expiry)
{
	struct fg_brk_params p = base();
	struct fg_brk b;
	struct fg_transition t;
	__u32 ok, failed;

	p.window_ns = 1 * S;
	fg_brk_init(&b, 0);
	fg_brk_record(&b, &p, FG_OUT_FAILURE, 100 * MS, NULL, NULL, NULL, NULL, &t);
	fg_brk_record(&b, &p, FG_OUT_SUCCESS, 500 * MS, NULL, NULL, NULL, NULL, &t);
	fg_brk_window(&b, &p, 900 * MS, &ok, &failed);
	ASSERT_EQ(ok + failed, 2, "both in the window");
	fg_brk_window(&b, &p, 1250 * MS, &ok, &failed);
	ASSERT_EQ(failed, 0, "the failure at 100 ms expired");
	ASSERT_EQ(ok, 1, "the success at 500 ms remains");
	fg_brk_window(&b, &p, 5000 * MS, &ok, &failed);
	ASSERT_EQ(ok + failed, 0, "all expired");
}

TEST(breaker_half_open_any_failure_reopens)
{
	struct fg_brk_params p = base();

	p.successes_to_close = 3;
	const struct step s[] = {
		{ FORCE_OPEN, 0, O, FG_WHY_FORCED }, { FORCE_AUTO, 0, C, FG_WHY_AUTO },
		{ REC_FAIL, 0, C, NONE }, { REC_FAIL, 0, C, NONE }, { REC_FAIL, 0, O, FG_WHY_CONSECUTIVE },
		{ TICK, 1000, H, FG_WHY_TIMEOUT },
		{ REC_OK, 1000, H, NONE }, { REC_OK, 1000, H, NONE },
		{ REC_FAIL, 1000, O, FG_WHY_PROBE_FAILED }, /* 2 of 3 then a failure */
		{ END, 0, C, NONE },
	};

	allow = 1;
	run("half-open", &p, s, 0);
}

TEST(breaker_forced_states)
{
	struct fg_brk_params p = base();
	const struct step s[] = {
		{ FORCE_OPEN, 0, O, FG_WHY_FORCED },
		{ TICK, 100000, O, NONE },         /* forced open never times out */
		{ REC_OK, 100000, O, NONE },
		{ FORCE_CLOSED, 100001, C, FG_WHY_FORCED },
		{ REC_FAIL, 100002, C, NONE }, { REC_FAIL, 100003, C, NONE },
		{ REC_FAIL, 100004, C, NONE },     /* forced closed never opens */
		{ FORCE_AUTO, 100005, C, NONE },   /* back to auto, already closed */
		{ REC_FAIL, 100006, C, NONE }, { REC_FAIL, 100007, C, NONE },
		{ REC_FAIL, 100008, O, FG_WHY_CONSECUTIVE },
		{ FORCE_AUTO, 100009, C, FG_WHY_AUTO }, /* auto from open: start closed */
		{ END, 0, C, NONE },
	};

	allow = 1;
	run("forced", &p, s, 0);
}

TEST(breaker_group_guard_veto)
{
	struct fg_brk_params p = base();
	const struct step vetoed[] = {
		{ REC_FAIL, 0, C, NONE }, { REC_FAIL, 0, C, NONE },
		{ REC_FAIL, 0, C, NONE }, { REC_FAIL, 0, C, NONE }, /* guard says no */
		{ END, 0, C, NONE },
	};

	allow = 0;
	run("vetoed", &p, vetoed, 0);
}

TEST(breaker_group_max_open)
{
	ASSERT_TRUE(fg_group_may_open(0, 4, 50), "1 of 4 at 50%");
	ASSERT_TRUE(fg_group_may_open(1, 4, 50), "2 of 4 at 50%");
	ASSERT_TRUE(!fg_group_may_open(2, 4, 50), "3 of 4 exceeds 50%");
	ASSERT_TRUE(!fg_group_may_open(0, 1, 50), "a lone member at 50% stays closed");
	ASSERT_TRUE(fg_group_may_open(0, 1, 100), "100% lets all open");
	ASSERT_TRUE(fg_group_may_open(2, 3, 100), "the last of 3 at 100%");
	ASSERT_TRUE(!fg_group_may_open(0, 3, 0), "0% never opens");
}

static __u32 xorshift(void *ctx)
{
	__u64 *x = ctx;

	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (__u32)(*x >> 32);
}

/* Uniform over the whole span, long timeouts included: 300 s +- 10% once
 * gave only 270-274 s, as one 32-bit draw covers 4.3 s of nanoseconds. */
TEST(jitter_uniform_long_spans)
{
	const __u64 base = 300 * S, span = 30 * S;
	__u64 x = 0x9e3779b97f4a7c15ULL, lo = ~0ULL, hi = 0, sum = 0;
	const int n = 20000;
	int below = 0;

	for (int i = 0; i < n; i++) {
		__u64 v = fg_jitter(base, 10, xorshift, &x);

		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		sum += v / 1000;
		below += v < base;
	}
	ASSERT_GE(lo, base - span, "never below base - 10%");
	ASSERT_LE(hi, base + span, "never above base + 10%");
	ASSERT_LE(lo, base - span + S, "reaches the bottom second of the span");
	ASSERT_GE(hi, base + span - S, "reaches the top second of the span");
	ASSERT_LE(sum / n * 1000 > base ? sum / n * 1000 - base : base - sum / n * 1000, S,
		  "mean within 1 s of the base");
	ASSERT_GE(below, n * 45 / 100, "about half below the base");
	ASSERT_LE(below, n * 55 / 100, "about half above the base");
	ASSERT_EQ(fg_jitter(base, 0, xorshift, &x), base, "no jitter");
	ASSERT_EQ(fg_jitter(~0ULL / 2, 100, NULL, NULL), ~0ULL / 2, "no random source");
}
