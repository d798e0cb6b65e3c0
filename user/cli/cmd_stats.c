// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate stats: the datapath's counters, summed over CPUs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "names.h"

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

static int run_stats(struct fg_ctx *ctx, const struct fg_args *a)
{
	__u64 c[FG_STAT_MAX], pass, drop;
	struct fg_maps m;
	int err;

	if (fg_cli_open(ctx, &m, NULL))
		return 1;
	err = fg_stats_sum(&m, c) ? errno : 0;
	fg_cli_close(&m, -1);
	if (err)
		return fg_fail("Failed to read stats: %s", strerror(err));
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
	.about = "  Packet counters by verdict and reason, summed over CPUs.\n",
	.run = run_stats,
};
