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

struct top_opts {
	__u32 show;
};

static const struct top_opts top_defaults = { .show = 10 };

static const struct fg_opt top_opts[] = {
	{ .short_name = 'n', .type = FG_OPT_U32, .off = offsetof(struct top_opts, show), .arg = "N",
	  .help = "how many to show (default 10)", .min = 1, .max = 1000000 },
	FG_OPT_END,
};

struct pressure {
	struct fg_bucket_key key;
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
		p->used = (backlog + vals[i].interval_ns - 1) / vals[i].interval_ns;
		p->burst = vals[i].burst;
		p->interval_ns = vals[i].interval_ns;
	}
	return 0;
}

/* Every bucket under pressure now, in batches; 0 or -errno. */
static int read_pressures(const struct fg_maps *m, struct pressures *ps)
{
	enum { BATCH = 4096 };
	static struct fg_bucket_key keys[BATCH];
	static struct fg_bucket vals[BATCH];
	__u64 now = fg_now_ns();

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

static int run_top(struct fg_ctx *ctx, const struct fg_args *a)
{
	const struct top_opts *o = a->opts;
	struct pressures ps = {};
	struct fg_maps m;
	int r;

	if (fg_cli_open(ctx, &m, NULL))
		return 1;
	r = read_pressures(&m, &ps);
	fg_cli_close(&m, -1);
	if (r) {
		free(ps.p);
		return r == -ENOMEM ? fg_fail("out of memory")
				    : fg_fail("Failed to read buckets: %s", strerror(-r));
	}
	qsort(ps.p, ps.n, sizeof(*ps.p), by_pressure);
	print_top(ctx, ps.p, ps.n > o->show ? o->show : ps.n);
	free(ps.p);
	return 0;
}

const struct fg_cmd fg_cmd_top = {
	.name = "top",
	.summary = "sources closest to their limit",
	.about = "  Sources under most pressure: how much of their burst they have used.\n",
	.opts = top_opts,
	.opts_size = sizeof(struct top_opts),
	.defaults = &top_defaults,
	.run = run_top,
};
