// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate top: the sources under most pressure, from the bucket map. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "json.h"
#include "map_iter.h"
#include "parse.h"
#include "watch.h"

struct top_opts {
	__u32 show;
	struct fg_watch_opts w;
};

static const struct top_opts top_defaults = { .show = 10 };

static const struct fg_opt top_opts[] = {
	{ .short_name = 'n', .type = FG_OPT_U32, .off = offsetof(struct top_opts, show), .arg = "N",
	  .help = "how many to show (default 10)", .min = 1, .max = 1000000 },
	FG_WATCH_OPTS(struct top_opts, w),
	FG_OPT_END,
};

struct pressure {
	struct fg_bucket_key key;
	__u64 tat;   /* as read: --watch rates its growth */
	__u64 used;  /* tokens of the burst in use now */
	__u32 burst;
	__u64 interval_ns;
};

struct pressures {
	struct pressure *p;
	size_t n, cap;
};

static int by_pressure(const void *a, const void *b)
{
	const struct pressure *x = a, *y = b;
	/* Compare used/burst without division: x.used*y.burst vs y.used*x.burst. */
	double l = (double)x->used * y->burst, r = (double)y->used * x->burst;

	return l < r ? 1 : l > r ? -1 : 0;
}

/* Keep the buckets of one batch that have a backlog; -ENOMEM. */
static int keep_busy(struct pressures *ps, const struct fg_bucket_key *keys,
		     const struct fg_bucket *vals, __u32 count, __u64 now)
{
	for (__u32 i = 0; i < count; i++) {
		__u64 backlog = vals[i].tat > now ? vals[i].tat - now : 0;
		struct pressure *p;

		if (!backlog || !vals[i].interval_ns)
			continue;
		if (ps->n == ps->cap) {
			void *np = realloc(ps->p, (ps->cap = ps->cap ? ps->cap * 2 : 1024) *
						  sizeof(*ps->p));

			if (!np)
				return -ENOMEM;
			ps->p = np;
		}
		p = &ps->p[ps->n++];
		p->key = keys[i];
		p->tat = vals[i].tat;
		p->used = (backlog + vals[i].interval_ns - 1) / vals[i].interval_ns;
		p->burst = vals[i].burst;
		p->interval_ns = vals[i].interval_ns;
	}
	return 0;
}

/* Every bucket under pressure now, in batches; 0 or -errno. */
static int read_pressures(const struct fg_maps *m, struct pressures *ps, __u64 now)
{
	enum { BATCH = 4096 };
	static struct fg_bucket_key keys[BATCH];
	static struct fg_bucket vals[BATCH];

	for (struct fg_map_batch b = { .fd = m->buckets }; !b.done;) {
		int count = fg_map_batch_next(&b, keys, vals, BATCH);

		if (count < 0)
			return count;
		if (keep_busy(ps, keys, vals, count, now))
			return -ENOMEM;
	}
	return 0;
}

/* "198.18.0.7/32", "2001:db8::/64 (shared)". */
static void source_name(const struct fg_bucket_key *k, char *src, size_t len)
{
	__u32 plen = k->plen & ~(FG_KEY_SHARED | FG_KEY_V6_MAPPED);

	if (k->plen & FG_KEY_V6_MAPPED) { /* IPv6, though its bits read as IPv4 */
		char a[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, k->addr, a, sizeof(a));
		snprintf(src, len, "%s/%u", a, plen);
	} else {
		fg_format_prefix(k->addr, plen, src, len);
	}
	if (k->plen & FG_KEY_SHARED)
		strncat(src, " (shared)", len - strlen(src) - 1);
}

static void print_top(struct fg_ctx *ctx, const struct pressure *p, size_t n)
{
	struct fg_json j;

	if (ctx->json) {
		fg_json_begin(&j, stdout);
		fg_json_arr(&j, "sources");
	} else {
		printf("%-46s %-10s %-8s %-8s %s\n", "SOURCE", "RATE", "BURST", "USED", "PRESSURE");
	}
	for (size_t i = 0; i < n; i++) {
		char src[64], rate[32];
		double pct = p[i].burst ? 100.0 * p[i].used / p[i].burst : 0;

		source_name(&p[i].key, src, sizeof(src));
		fg_format_rate(p[i].interval_ns, rate, sizeof(rate));
		if (!ctx->json) {
			printf("%-46s %-10s %-8u %-8llu %.0f%%\n", src, rate, p[i].burst,
			       (unsigned long long)p[i].used, pct);
			continue;
		}
		fg_json_obj(&j, NULL);
		fg_json_str(&j, "source", src);
		fg_json_bool(&j, "shared", !!(p[i].key.plen & FG_KEY_SHARED));
		fg_json_str(&j, "rate", rate);
		fg_json_u64(&j, "burst", p[i].burst);
		fg_json_u64(&j, "used", p[i].used);
		fg_json_double(&j, "pressure", pct / 100.0);
		fg_json_close_obj(&j);
	}
	if (ctx->json) {
		fg_json_close_arr(&j);
		fg_json_end(&j);
	} else if (!n) {
		printf("(no source is using its burst right now)\n");
	}
}

/*
 * The sources under pressure now, most first, and when stats is not NULL
 * the datapath's counters from the same open; 0, or 1 after a one-line error.
 */
static int sample(struct fg_ctx *ctx, struct pressures *ps, __u64 *now, __u64 *stats)
{
	struct fg_maps m;
	int r, err = 0;

	ps->n = 0;
	if (fg_cli_open(ctx, &m, NULL))
		return 1;
	*now = fg_now_ns();
	r = read_pressures(&m, ps, *now);
	if (!r && stats && fg_stats_sum(&m, stats))
		err = errno;
	fg_cli_close(&m, -1);
	if (r)
		return r == -ENOMEM ? fg_fail("out of memory")
				    : fg_fail("Failed to read buckets: %s", strerror(-r));
	if (err)
		return fg_fail("Failed to read stats: %s", strerror(err));
	qsort(ps->p, ps->n, sizeof(*ps->p), by_pressure);
	return 0;
}

/* --watch: this frame's sample, and what the last one showed to rate it
 * against. */
struct top_watch {
	struct fg_ctx *ctx;
	__u32 show;
	struct pressures ps;
	struct pressure *prev; /* the last frame's sources, by key */
	size_t n_prev;
	__u64 prev_now;
	__u64 stats[FG_STAT_MAX], prev_stats[FG_STAT_MAX];
};

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct pressure *)a)->key, &((const struct pressure *)b)->key,
		      sizeof(struct fg_bucket_key));
}

/*
 * Packets per second p passed since the last frame. A pass moves the
 * arrival time on by one interval from max(TAT, now), so its growth from
 * max(last TAT, last now) counts the passes exactly while the source stays
 * at its limit (what keeps it in this list), and bounds them from above
 * otherwise. 0 when p was not shown last time.
 */
static int pass_rate(const struct top_watch *w, const struct pressure *p, double dt, double *out)
{
	const struct pressure *q;
	__u64 from;

	q = w->n_prev ? bsearch(p, w->prev, w->n_prev, sizeof(*p), by_key) : NULL;
	if (!q || dt <= 0)
		return 0;
	from = q->tat > w->prev_now ? q->tat : w->prev_now;
	*out = p->tat > from ? (double)(p->tat - from) / p->interval_ns / dt : 0;
	return 1;
}

/* The datapath's pass and drop rates, and how many sources are under pressure. */
static void top_header(const struct top_watch *w, const struct fg_frame *f)
{
	__u64 pass, drop, ppass, pdrop;
	char r1[16], r2[16];
	int known = f->dt_s > 0;

	fg_stats_totals(w->stats, &pass, &drop);
	fg_stats_totals(w->prev_stats, &ppass, &pdrop);
	fg_format_per_s(known ? (pass - ppass) / f->dt_s : 0, known && pass >= ppass, r1,
			sizeof(r1));
	fg_format_per_s(known ? (drop - pdrop) / f->dt_s : 0, known && drop >= pdrop, r2,
			sizeof(r2));
	fprintf(f->out, "pass %s/s, drop %s/s; %zu source%s under pressure\n", r1, r2,
		w->ps.n, w->ps.n == 1 ? "" : "s");
}

static void top_rows(const struct top_watch *w, const struct fg_frame *f, size_t n)
{
	int width = 6; /* "SOURCE": the column as wide as its widest name */
	char src[64], rate[32], ps[16], pct[16];

	for (size_t i = 0; i < n; i++) {
		source_name(&w->ps.p[i].key, src, sizeof(src));
		width = (int)strlen(src) > width ? (int)strlen(src) : width;
	}
	fprintf(f->out, "%-*s %-8s %-8s %-8s %-8s %8s\n", width, "SOURCE", "RATE", "BURST",
		"USED", "PRESSURE", "PASS/S");
	for (size_t i = 0; i < n; i++) {
		const struct pressure *p = &w->ps.p[i];
		double v = 0;
		int known = pass_rate(w, p, f->dt_s, &v);

		source_name(&p->key, src, sizeof(src));
		fg_format_rate(p->interval_ns, rate, sizeof(rate));
		fg_format_per_s(v, known, ps, sizeof(ps));
		snprintf(pct, sizeof(pct), "%.0f%%", p->burst ? 100.0 * p->used / p->burst : 0);
		fprintf(f->out, "%-*s %-8s %-8u %-8llu %-8s %8s\n", width, src, rate, p->burst,
			(unsigned long long)p->used, pct, ps);
	}
	if (!n)
		fprintf(f->out, "(no source is using its burst right now)\n");
}

static int top_frame(void *state, struct fg_frame *f)
{
	struct top_watch *w = state;
	size_t n;
	__u64 now;
	void *np;

	if (sample(w->ctx, &w->ps, &now, w->stats))
		return 1;
	n = w->ps.n > w->show ? w->show : w->ps.n;
	top_header(w, f);
	top_rows(w, f, n);
	/* Keep what was shown, by key, for the next frame's rates. */
	np = realloc(w->prev, (n ? n : 1) * sizeof(*w->prev));
	if (!np)
		return fg_fail("out of memory");
	w->prev = np;
	if (n)
		memcpy(w->prev, w->ps.p, n * sizeof(*w->prev));
	qsort(w->prev, n, sizeof(*w->prev), by_key);
	w->n_prev = n;
	w->prev_now = now;
	memcpy(w->prev_stats, w->stats, sizeof(w->stats));
	return 0;
}

static int top_watch(struct fg_ctx *ctx, const struct top_opts *o, __u64 interval_ns)
{
	struct top_watch w = { .ctx = ctx, .show = o->show };
	int r = fg_watch_run(&o->w, interval_ns, "top", top_frame, &w);

	free(w.ps.p);
	free(w.prev);
	return r;
}

static int run_top(struct fg_ctx *ctx, const struct fg_args *a)
{
	const struct top_opts *o = a->opts;
	struct pressures ps = {};
	__u64 now, interval_ns;
	int r;

	if (fg_watch_check(ctx, &o->w, &interval_ns))
		return 1;
	if (o->w.watch)
		return top_watch(ctx, o, interval_ns);
	r = sample(ctx, &ps, &now, NULL);
	if (!r)
		print_top(ctx, ps.p, ps.n > o->show ? o->show : ps.n);
	free(ps.p);
	return r;
}

const struct fg_cmd fg_cmd_top = {
	.name = "top",
	.summary = "sources closest to their limit",
	.about = "  Sources under most pressure: how much of their burst they have used. With\n"
		 "  --watch, refreshed every interval, with the packets per second each passed\n"
		 "  and the datapath's pass and drop rates.\n",
	.opts = top_opts,
	.opts_size = sizeof(struct top_opts),
	.defaults = &top_defaults,
	.run = run_top,
};
