// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate limit ...: the policy trie. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cli.h"
#include "cmd_limit.h"
#include "json.h"
#include "maps.h"
#include "names.h"
#include "parse.h"

struct limit_opts {
	__u32 burst; /* 0: not given, one second of RATE */
	int per;     /* enum fg_bucket_per */
	struct fg_opt_rate fresh;
	int dry_run;
};

#define OPT(f) offsetof(struct limit_opts, f)

static const struct fg_opt limit_opts[] = {
	{ .name = "burst", .type = FG_OPT_U32, .off = OPT(burst), .arg = "N",
	  .help = "packets a source may send at once (default: one second of\nRATE, at least 1)",
	  .min = 1, .max = FG_BURST_MAX, .only = "set" },
	{ .name = "per", .type = FG_OPT_ENUM, .off = OPT(per),
	  .help = "source: a bucket per source address (IPv6: per /64 by\n"
	  "default); prefix: one bucket shared by the whole prefix",
	  .names = fg_per_names, .n_names = FG_PER_MAX, .only = "set" },
	{ .name = "new-sources", .type = FG_OPT_RATE, .off = OPT(fresh), .arg = "RATE|off",
	  .help = "sources without a bucket get one at most at RATE (default\n"
	  FG_NEW_SOURCES_DEFAULT "); the rest share one bucket at RATE; off: no budget",
	  .only = "set" },
	{ .name = "dry-run", .type = FG_OPT_FLAG, .off = OPT(dry_run),
	  .help = "print what the file would change, and change nothing", .only = "load" },
	FG_OPT_END,
};

static void format_policy(const struct fg_policy *pol, char *rate, char *fresh, size_t len)
{
	fg_format_rate(pol->interval_ns ? pol->interval_ns : 1, rate, len);
	if (pol->new_interval_ns)
		fg_format_rate(pol->new_interval_ns, fresh, len);
	else
		snprintf(fresh, len, "off");
}

/* A policy's members, in list's entries and set's reply alike. */
static void policy_json(struct fg_json *j, const char *pfx, const struct fg_policy *pol)
{
	char rate[32], fresh[32];

	format_policy(pol, rate, fresh, sizeof(rate));
	fg_json_str(j, "prefix", pfx);
	fg_json_str(j, "action", FG_NAME(fg_action_names, pol->action));
	if (pol->action != FG_ACT_LIMIT)
		return;
	fg_json_str(j, "rate", rate);
	fg_json_double(j, "rate_per_second", 1e9 / (double)pol->interval_ns);
	fg_json_u64(j, "burst", pol->burst);
	fg_json_str(j, "per", FG_NAME(fg_per_names, pol->per));
	fg_json_str(j, "new_sources", fresh);
}

static void policy_row(const char *pfx, const struct fg_policy *pol)
{
	char rate[32], fresh[32];

	format_policy(pol, rate, fresh, sizeof(rate));
	if (pol->action == FG_ACT_LIMIT)
		printf("%-44s %-6s %-12s %-10u %-6s %s\n", pfx, "limit", rate, pol->burst,
		       FG_NAME(fg_per_names, pol->per), pol->per == FG_PER_PREFIX ? "-" : fresh);
	else
		printf("%-44s %-6s %-12s %-10s %-6s %s\n", pfx,
		       FG_NAME(fg_action_names, pol->action), "-", "-", "-", "-");
}

/* pol as written over key's policy: a changed policy keeps its split flag
 * until fg_policy_bump_gen derives it again, so a longer policy inside it
 * (a /128 deny in a /64) holds through the change. */
static const struct fg_policy *keep_split(int fd, const struct fg_lpm_key *key,
					  const struct fg_policy *pol, struct fg_policy *put)
{
	struct fg_policy old;

	*put = *pol;
	/* A trie lookup answers the longest match: only key's own counts. */
	if (bpf_map_lookup_elem(fd, key, &old) == 0 && old.prefixlen == key->prefixlen)
		put->flags |= old.flags & FG_POL_SPLIT;
	return put;
}

/* Write (pol) or delete (pol NULL) key's policy, then say what was done. */
static int policy_write(struct fg_ctx *ctx, const struct fg_lpm_key *key,
			const struct fg_policy *pol, const char *prefix)
{
	struct fg_policy put;
	struct fg_maps m;
	struct fg_json j;
	char pfx[64];
	int lock, ret = 1;

	if (fg_cli_open(ctx, &m, &lock))
		return 1;
	if (pol && bpf_map_update_elem(m.policy, key, keep_split(m.policy, key, pol, &put),
				       BPF_ANY)) {
		fg_fail("Failed to write policy %s: %s", prefix, strerror(errno));
		goto out;
	}
	if (!pol && bpf_map_delete_elem(m.policy, key)) {
		if (errno == ENOENT)
			fg_fail("no policy for %s (see 'floodgate limit list')", prefix);
		else
			fg_fail("Failed to delete policy %s: %s", prefix, strerror(errno));
		goto out;
	}
	if (fg_policy_bump_gen(&m)) {
		fg_fail("Failed to update config: %s", strerror(errno));
		goto out;
	}
	if (ctx->json) { /* silent otherwise, as before */
		fg_format_prefix(key->addr, key->prefixlen, pfx, sizeof(pfx));
		fg_json_begin(&j, stdout);
		if (pol) {
			policy_json(&j, pfx, pol);
		} else {
			fg_json_str(&j, "prefix", pfx);
			fg_json_bool(&j, "deleted", 1);
		}
		fg_json_end(&j);
	}
	ret = 0;
out:
	fg_cli_close(&m, lock);
	return ret;
}

static int run_list(struct fg_ctx *ctx, const struct fg_args *a)
{
	struct fg_lpm_key key, next, *prev = NULL;
	struct fg_policy pol;
	struct fg_json j;
	struct fg_maps m;
	char pfx[64];
	int n = 0;

	if (fg_cli_open(ctx, &m, NULL))
		return 1;
	if (ctx->json) {
		fg_json_begin(&j, stdout);
		fg_json_arr(&j, "policies");
	} else {
		printf("%-44s %-6s %-12s %-10s %-6s %s\n", "PREFIX", "ACTION", "RATE", "BURST", "PER",
		       "NEW-SOURCES");
	}
	while (bpf_map_get_next_key(m.policy, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m.policy, &key, &pol))
			continue; /* deleted under us */
		n++;
		fg_format_prefix(key.addr, key.prefixlen, pfx, sizeof(pfx));
		if (ctx->json) {
			fg_json_obj(&j, NULL);
			policy_json(&j, pfx, &pol);
			fg_json_close_obj(&j);
		} else {
			policy_row(pfx, &pol);
		}
	}
	if (ctx->json) {
		fg_json_close_arr(&j);
		fg_json_end(&j);
	} else if (!n) {
		printf("(no policies: every source passes; add one with 'floodgate limit set')\n");
	}
	fg_cli_close(&m, -1);
	return 0;
}

/* limit set's RATE and options into pol; 1 (after a one-line error) if bad. */
static int limit_policy(struct fg_policy *pol, const char *rate_arg, const struct limit_opts *o)
{
	char err[FG_ERR_LEN];
	struct fg_rate rate;

	pol->action = FG_ACT_LIMIT;
	if (fg_parse_rate(rate_arg, &rate, err, sizeof(err)))
		return fg_fail("%s", err);
	pol->interval_ns = rate.interval_ns;
	pol->burst = o->burst ? o->burst : fg_default_burst(&rate);
	if (fg_check_bucket("--burst", rate_arg, pol->interval_ns, pol->burst, err, sizeof(err)))
		return fg_fail("%s", err);
	pol->per = o->per;
	if (o->fresh.set && pol->per == FG_PER_PREFIX)
		return fg_fail("--new-sources applies to --per source (a per-prefix bucket is one "
			       "per policy)");
	if (pol->per != FG_PER_SOURCE)
		return 0;
	pol->new_interval_ns = o->fresh.interval_ns;
	pol->new_burst = o->fresh.burst;
	if (!o->fresh.set && fg_parse_new_sources(FG_NEW_SOURCES_DEFAULT, &pol->new_interval_ns,
						  &pol->new_burst, err, sizeof(err)))
		return fg_fail("%s", err);
	return 0;
}

/* set, allow, deny (a->arg: the action) and del (a->arg: -1). */
static int run_policy(struct fg_ctx *ctx, const struct fg_args *a)
{
	struct fg_policy pol = {};
	struct fg_lpm_key key;
	char err[FG_ERR_LEN];

	if (fg_parse_prefix(a->argv[0], &key, err, sizeof(err)))
		return fg_fail("%s", err);
	if (a->arg < 0)
		return policy_write(ctx, &key, NULL, a->argv[0]);
	pol.prefixlen = key.prefixlen;
	pol.action = a->arg;
	if (a->arg == FG_ACT_LIMIT && limit_policy(&pol, a->argv[1], a->opts))
		return 1;
	return policy_write(ctx, &key, &pol, a->argv[0]);
}

static int run_load(struct fg_ctx *ctx, const struct fg_args *a)
{
	const struct limit_opts *o = a->opts;

	return fg_limit_run_load(ctx, a, o->dry_run);
}

static const struct fg_sub limit_subs[] = {
	{ "set", "PREFIX RATE", 2, 2, run_policy, FG_ACT_LIMIT },
	{ "allow", "PREFIX", 1, 1, run_policy, FG_ACT_ALLOW },
	{ "deny", "PREFIX", 1, 1, run_policy, FG_ACT_DENY },
	{ "del", "PREFIX", 1, 1, run_policy, -1 },
	{ "list", "", 0, 0, run_list, 0 },
	{ "load", "FILE", 1, 1, run_load, 0 },
	{ "save", "", 0, 0, fg_limit_run_save, 0 },
	{},
};

const struct fg_cmd fg_cmd_limit = {
	.name = "limit",
	.summary = "set, list and remove per-prefix policies, load and save them as a file",
	.about = "  PREFIX  IPv4 or IPv6 address with optional /len: 198.18.0.0/15, 2001:db8::/32;\n"
		 "          0.0.0.0/0 and ::/0 set the default. Longest prefix wins.\n"
		 "  RATE    N/s, N/m or N/h, N with optional k or M: 200/s, 10k/s, 30/m\n"
		 "  A policy longer than the IPv6 bucket prefix holds for exactly its addresses.\n"
		 "  FILE    one policy a line: PREFIX allow|deny|RATE [burst N] [per source|prefix]\n"
		 "          [new-sources RATE|off]; '#' comments; - reads stdin. load checks the\n"
		 "          whole file, then makes the map hold exactly it, in one change.\n",
	.opts = limit_opts,
	.opts_size = sizeof(struct limit_opts),
	.subs = limit_subs,
};
