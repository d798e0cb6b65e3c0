// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate stats: the datapath's counters, summed over CPUs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "names.h"
#include "watch.h"

struct stats_opts {
	struct fg_watch_opts w;
};

static const struct fg_opt stats_opts[] = {
	FG_WATCH_OPTS(struct stats_opts, w),
	FG_OPT_END,
};

static void stats_json(const __u64 *c, __u64 pass, __u64 drop)
{
	struct fg_json j;

	fg_json_begin(&j, stdout);
	fg_json_u64(&j, "pass", pass);
	fg_json_u64(&j, "drop", drop);
	fg_json_arr(&j, "reasons");
	for (int i = 0; i < FG_R_MAX; i++) {
		fg_json_obj(&j, NULL);
		fg_json_str(&j, "reason", fg_stat_names[i]);
		fg_json_str(&j, "verdict", fg_verdict_name(i));
		fg_json_u64(&j, "packets", c[i]);
		fg_json_close_obj(&j);
	}
	fg_json_close_arr(&j);
	fg_json_obj(&j, "events");
	for (int i = FG_R_MAX; i < FG_STAT_MAX; i++)
		fg_json_u64(&j, fg_stat_names[i], c[i]);
	fg_json_close_obj(&j);
	fg_json_end(&j);
}

static void stats_text(const __u64 *c, __u64 pass, __u64 drop)
{
	printf("%-8s %-18s %s\n", "VERDICT", "REASON", "PACKETS");
	for (int i = 0; i < FG_R_MAX; i++)
		printf("%-8s %-18s %llu\n", fg_verdict_name(i), fg_stat_names[i],
		       (unsigned long long)c[i]);
	printf("total: %llu passed, %llu dropped\n", (unsigned long long)pass,
	       (unsigned long long)drop);
	for (int i = FG_R_MAX; i < FG_STAT_MAX; i++)
		printf("%s: %llu\n", fg_stat_names[i], (unsigned long long)c[i]);
}

/* Every counter, summed over CPUs: 0, or 1 after a one-line error. */
static int read_stats(struct fg_ctx *ctx, __u64 c[FG_STAT_MAX])
{
	struct fg_maps m;
	int err;

	if (fg_cli_open(ctx, &m, NULL))
		return 1;
	err = fg_stats_sum(&m, c) ? errno : 0;
	fg_cli_close(&m, -1);
	if (err)
		return fg_fail("Failed to read stats: %s", strerror(err));
	return 0;
}

/* --watch: the counters of the last frame, to rate this one's against. */
struct stats_watch {
	struct fg_ctx *ctx;
	__u64 prev[FG_STAT_MAX];
};

/* "  1234" per second since the last frame; "-" on the first or after the
 * counters went back (the maps were replaced). */
static void per_s(const struct fg_frame *f, __u64 now, __u64 prev, char *buf, size_t len)
{
	fg_format_per_s(f->dt_s > 0 ? (now - prev) / f->dt_s : 0, f->dt_s > 0 && now >= prev, buf,
			len);
}

static int stats_frame(void *state, struct fg_frame *f)
{
	struct stats_watch *w = state;
	__u64 c[FG_STAT_MAX], pass, drop, ppass, pdrop;
	char r1[16], r2[16];

	if (read_stats(w->ctx, c))
		return 1;
	fg_stats_totals(c, &pass, &drop);
	fg_stats_totals(w->prev, &ppass, &pdrop);
	per_s(f, pass, ppass, r1, sizeof(r1));
	per_s(f, drop, pdrop, r2, sizeof(r2));
	fprintf(f->out, "pass %s/s, drop %s/s (%llu passed, %llu dropped)\n", r1, r2,
		(unsigned long long)pass, (unsigned long long)drop);
	fprintf(f->out, "%-8s %-18s %20s %8s\n", "VERDICT", "REASON", "PACKETS", "PKT/S");
	for (int i = 0; i < FG_R_MAX; i++) {
		per_s(f, c[i], w->prev[i], r1, sizeof(r1));
		fprintf(f->out, "%-8s %-18s %20llu %8s\n", fg_verdict_name(i), fg_stat_names[i],
			(unsigned long long)c[i], r1);
	}
	fprintf(f->out, "%-27s %20s %8s\n", "EVENT", "COUNT", "PER/S");
	for (int i = FG_R_MAX; i < FG_STAT_MAX; i++) {
		per_s(f, c[i], w->prev[i], r1, sizeof(r1));
		fprintf(f->out, "%-27s %20llu %8s\n", fg_stat_names[i], (unsigned long long)c[i], r1);
	}
	memcpy(w->prev, c, sizeof(c));
	return 0;
}

static int run_stats(struct fg_ctx *ctx, const struct fg_args *a)
{
	const struct stats_opts *o = a->opts;
	__u64 c[FG_STAT_MAX], pass, drop, interval_ns;

	if (fg_watch_check(ctx, &o->w, &interval_ns))
		return 1;
	if (o->w.watch)
		return fg_watch_run(&o->w, interval_ns, "stats", stats_frame,
				    &(struct stats_watch){ .ctx = ctx });
	if (read_stats(ctx, c))
		return 1;
	fg_stats_totals(c, &pass, &drop);
	if (ctx->json)
		stats_json(c, pass, drop);
	else
		stats_text(c, pass, drop);
	return 0;
}

const struct fg_cmd fg_cmd_stats = {
	.name = "stats",
	.summary = "datapath counters",
	.about = "  Packet counters by verdict and reason, summed over CPUs. With --watch,\n"
		 "  refreshed every interval with the packets per second of each.\n",
	.opts = stats_opts,
	.opts_size = sizeof(struct stats_opts),
	.run = run_stats,
};
