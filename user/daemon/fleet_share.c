// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Fleet shares (fleet_share.h): what a node publishes of its hot sources,
 * and the share each gets from what the fleet published. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_share.h"

#define NS_PER_S 1e9
/* A source marked hot less than this ago gets its rate over this much: a
 * first read right after the mark says little. */
#define FIRST_SPAN_NS 10000000ULL
/* A rate takes at least RATE_MIN_COUNT packets or RATE_WINDOW_NS: a source
 * of a few packets a second shows none in most 100 ms syncs, and a rate of
 * 0 would cool it and drop its share every other sync. */
#define RATE_MIN_COUNT 8
#define RATE_WINDOW_NS 1000000000ULL

void fg_shares_free(struct fg_shares *s)
{
	free(s->v);
	free(s->old);
	free(s->gone);
	memset(s, 0, sizeof(*s));
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct fg_bucket_key));
}

static struct fg_share_src *find(struct fg_share_src *v, int n, const struct fg_bucket_key *k)
{
	if (!n)
		return NULL; /* v may be NULL */
	return bsearch(k, v, n, sizeof(*v), key_cmp); /* the key is the first member */
}

static int grow(void **p, int *cap, int want, size_t size)
{
	void *np;

	if (want <= *cap)
		return 0;
	np = realloc(*p, (size_t)want * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = want;
	return 0;
}

/* One entry as read now, its rate from its last read (o) or from its mark. */
static void observe_one(struct fg_share_src *e, const struct fg_hot_read *in,
			const struct fg_share_src *o, __u64 now, __u32 floor_pct)
{
	__u64 span, count;
	double limit;

	memset(e, 0, sizeof(*e));
	e->key = in->key;
	e->packets = in->v.packets;
	e->read_ns = now;
	e->interval_ns = in->v.interval_ns ? in->v.interval_ns : 1;
	e->burst = in->v.burst ? in->v.burst : 1;
	if (o) { /* what the map holds for it, whatever its counter says */
		e->written = o->written;
		e->last = o->last;
	}
	if (o && in->v.packets >= o->packets && now > o->read_ns) {
		/* The counter only grows while the entry lives: a smaller one
		 * is a new entry (re-marked), counted from its mark. */
		span = now - o->read_ns;
		count = in->v.packets - o->packets;
		e->share = o->share;
		e->has_share = o->has_share;
		if (count < RATE_MIN_COUNT && span < RATE_WINDOW_NS) {
			/* Too few yet: the last rate stands, counted on from its read. */
			e->packets = o->packets;
			e->read_ns = o->read_ns;
			e->rate = o->rate;
			e->cooled = o->cooled;
			return;
		}
	} else {
		span = now > in->v.first_ns ? now - in->v.first_ns : 0;
		if (span < FIRST_SPAN_NS)
			span = FIRST_SPAN_NS;
		count = in->v.packets;
	}
	e->rate = count * NS_PER_S / span;
	limit = NS_PER_S / e->interval_ns;
	e->cooled = o && e->rate < limit * floor_pct / 200.0;
}

int fg_shares_observe(struct fg_shares *s, const struct fg_hot_read *in, int n, __u64 now,
		      __u32 floor_pct)
{
	struct fg_share_src *t;
	int tc;

	/* What was read last becomes old; this read fills v. */
	t = s->old, s->old = s->v, s->v = t;
	tc = s->cap_old, s->cap_old = s->cap, s->cap = tc;
	s->n_old = s->n;
	s->n = 0;
	s->n_gone = 0;
	if (grow((void **)&s->v, &s->cap, n, sizeof(*s->v)) ||
	    grow((void **)&s->gone, &s->cap_gone, s->n_old, sizeof(*s->gone)))
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		observe_one(&s->v[s->n++], &in[i],
			    find(s->old, s->n_old, &in[i].key), now, floor_pct);
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), key_cmp);
	for (int i = 0; i < s->n_old; i++)
		if (s->old[i].written && !find(s->v, s->n, &s->old[i].key))
			s->gone[s->n_gone++] = s->old[i].key;
	return 0;
}

int fg_share_key_fmt(const struct fg_bucket_key *k, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int w;

	if (!inet_ntop(AF_INET6, k->addr, a, sizeof(a)))
		return -EINVAL;
	w = snprintf(buf, len, "%s/%u", a, k->plen);
	return w < 0 || (size_t)w >= len ? -E2BIG : w;
}

int fg_share_key_parse(const char *s, struct fg_bucket_key *k)
{
	char a[INET6_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	unsigned long plen;

	if (!slash || slash == s || (size_t)(slash - s) >= sizeof(a))
		return -EINVAL;
	memcpy(a, s, slash - s);
	a[slash - s] = 0;
	memset(k, 0, sizeof(*k));
	if (inet_pton(AF_INET6, a, k->addr) != 1)
		return -EINVAL;
	plen = strtoul(slash + 1, &end, 10);
	if (end == slash + 1 || *end || (plen & 0xff) > 128 ||
	    plen & ~(0xffUL | FG_KEY_SHARED | FG_KEY_V6_MAPPED))
		return -EINVAL;
	k->plen = plen;
	return 0;
}

int fg_shares_encode(const struct fg_shares *s, char *buf, size_t len, int max)
{
	size_t n = 0;

	if (!len)
		return -E2BIG;
	buf[0] = 0;
	for (int i = 0; i < s->n && max > 0; i++) {
		const struct fg_share_src *e = &s->v[i];
		char key[64];
		int w;

		if (e->cooled || e->rate <= 0 || fg_share_key_fmt(&e->key, key, sizeof(key)) < 0)
			continue;
		w = snprintf(buf + n, len - n, "+%s %.3f\n", key, e->rate);
		if (w < 0 || (size_t)w >= len - n)
			return -E2BIG;
		n += w;
		max--;
	}
	return n;
}

void fg_shares_begin(struct fg_shares *s)
{
	s->adds = 0;
	for (int i = 0; i < s->n; i++) {
		s->v[i].others = 0;
		s->v[i].n_others = 0;
		s->v[i].seen_in = 0;
	}
}

/* One '+' line of another node; anything odd in it counts for nothing. */
static void add_line(struct fg_shares *s, const char *line)
{
	char key[80], *end;
	struct fg_bucket_key k;
	struct fg_share_src *e;
	double rate;

	if (sscanf(line, "+%79s", key) != 1 || fg_share_key_parse(key, &k))
		return;
	line = strchr(line, ' ');
	if (!line)
		return;
	rate = strtod(line + 1, &end);
	if (end == line + 1 || !isfinite(rate) || rate < 0)
		return;
	if (rate > FG_SHARE_RATE_MAX)
		rate = FG_SHARE_RATE_MAX;
	e = find(s->v, s->n, &k);
	if (!e || e->seen_in == s->adds) /* not hot here, or said twice */
		return;
	e->seen_in = s->adds;
	e->others += rate;
	e->n_others++;
}

void fg_shares_add(struct fg_shares *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	s->adds++;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;
		char line[160];

		if (n && *p == '+' && n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			add_line(s, line);
		}
		p += n + 1;
	}
}

static double ceil_pos(double x)
{
	double t = (double)(__u64)x;

	return t < x ? t + 1 : t;
}

int fg_share_of(__u64 interval_ns, __u32 burst, double local, double others, __u32 n_others,
		__u32 floor_pct, __u64 stale_ns, __u64 now, struct fg_share *out)
{
	double limit, frac, floor = floor_pct / 100.0, t;

	if (!interval_ns || !n_others || !(local > 0) || !(others >= 0))
		return 0;
	limit = NS_PER_S / interval_ns;
	if (local + others <= limit)
		return 0;
	frac = local / (local + others);
	if (frac < floor)
		frac = floor;
	if (frac < 1.0 / (1 << FG_SHARE_FLOOR_SHIFT)) /* the datapath's own floor */
		frac = 1.0 / (1 << FG_SHARE_FLOOR_SHIFT);
	if (frac >= 1)
		return 0;
	memset(out, 0, sizeof(*out));
	/* frac >= 1/64, so t <= 64 x interval_ns <= 2^68: a double holds it; the
	 * datapath bounds it again (fg_share_params, fg_gcra_params). */
	t = interval_ns / frac;
	out->interval_ns = t < (double)FG_TOLERANCE_MAX_NS ? (__u64)t : FG_TOLERANCE_MAX_NS;
	if (out->interval_ns < t) /* rounded up: a share never passes more */
		out->interval_ns++;
	/* Rounded up: a burst of 1 (no tolerance) would pass a source offering
	 * 3x its share at 3/4 of it (each pass waits a full interval, then for
	 * the next arrival); the fleet's bursts add up to at most limit + N. */
	out->burst = (__u32)ceil_pos(burst * frac - 1e-9); /* 20 x 5% is 1, not 2 */
	if (!out->burst)
		out->burst = 1;
	out->expires_ns = now + stale_ns;
	return 1;
}

void fg_shares_decide(struct fg_shares *s, __u32 floor_pct, __u64 stale_ns, __u64 now)
{
	s->active = 0;
	for (int i = 0; i < s->n; i++) {
		struct fg_share_src *e = &s->v[i];

		e->has_share = !e->cooled &&
			       fg_share_of(e->interval_ns, e->burst, e->rate, e->others,
					   e->n_others, floor_pct, stale_ns, now, &e->share);
		s->active += e->has_share;
	}
}
