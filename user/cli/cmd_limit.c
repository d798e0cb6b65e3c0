// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate limit ... and floodgate mode: the policy trie and the mode. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cli.h"
#include "json.h"
#include "maps.h"
#include "parse.h"
#include "pins.h"

/* Open the maps under the pin-dir lock; returns the lock fd or -1. */
static int open_locked(struct fg_ctx *ctx, struct fg_maps *m)
{
	char err[FG_ERR_LEN];
	int lock;

	if (fg_pin_dir_prepare(ctx->pin_dir, 0, err, sizeof(err)) ||
	    fg_maps_open(ctx->pin_dir, m, err, sizeof(err))) {
		fg_fail("%s", err);
		return -1;
	}
	lock = fg_pin_dir_lock(ctx->pin_dir);
	if (lock < 0) {
		fg_maps_close(m);
		fg_fail("Failed to lock %s: %s", ctx->pin_dir, strerror(-lock));
		return -1;
	}
	return lock;
}

static int policy_write(struct fg_ctx *ctx, const struct fg_lpm_key *key,
			const struct fg_policy *pol, const char *prefix)
{
	struct fg_maps m;
	int lock = open_locked(ctx, &m), ret = 1;

	if (lock < 0)
		return 1;
	if (pol && bpf_map_update_elem(m.policy, key, pol, BPF_ANY)) {
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
	ret = 0;
out:
	fg_maps_close(&m);
	fg_pin_dir_unlock(lock);
	return ret;
}

static int limit_list(struct fg_ctx *ctx)
{
	struct fg_lpm_key key, next, *prev = NULL;
	struct fg_policy pol;
	struct fg_json j;
	char err[FG_ERR_LEN], pfx[64], rate[32], fresh[32];
	struct fg_maps m;
	int n = 0;

	if (fg_pin_dir_prepare(ctx->pin_dir, 0, err, sizeof(err)) ||
	    fg_maps_open(ctx->pin_dir, &m, err, sizeof(err)))
		return fg_fail("%s", err);
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
		fg_format_rate(pol.interval_ns ? pol.interval_ns : 1, rate, sizeof(rate));
		if (pol.new_interval_ns)
			fg_format_rate(pol.new_interval_ns, fresh, sizeof(fresh));
		else
			snprintf(fresh, sizeof(fresh), "off");
		if (ctx->json) {
			fg_json_obj(&j, NULL);
			fg_json_str(&j, "prefix", pfx);
			fg_json_str(&j, "action", FG_NAME(fg_action_names, pol.action));
			if (pol.action == FG_ACT_LIMIT) {
				fg_json_str(&j, "rate", rate);
				fg_json_double(&j, "rate_per_second", 1e9 / (double)pol.interval_ns);
				fg_json_u64(&j, "burst", pol.burst);
				fg_json_str(&j, "per", FG_NAME(fg_per_names, pol.per));
				fg_json_str(&j, "new_sources", fresh);
			}
			fg_json_close_obj(&j);
		} else if (pol.action == FG_ACT_LIMIT) {
			printf("%-44s %-6s %-12s %-10u %-6s %s\n", pfx, "limit", rate, pol.burst,
			       FG_NAME(fg_per_names, pol.per),
			       pol.per == FG_PER_PREFIX ? "-" : fresh);
		} else {
			printf("%-44s %-6s %-12s %-10s %-6s %s\n", pfx, FG_NAME(fg_action_names, pol.action), "-",
			       "-", "-", "-");
		}
	}
	if (ctx->json) {
		fg_json_close_arr(&j);
		fg_json_end(&j);
	} else if (!n) {
		printf("(no policies: every source passes; add one with 'floodgate limit set')\n");
	}
	fg_maps_close(&m);
	return 0;
}

/* limit set's RATE and options into pol; 1 (after a one-line error) if bad. */
static int limit_parse(struct fg_policy *pol, const char *rate_arg, const char *burst_arg,
		       const char *per_arg, const char *new_arg)
{
	char err[FG_ERR_LEN];
	struct fg_rate rate;

	pol->action = FG_ACT_LIMIT;
	if (fg_parse_rate(rate_arg, &rate, err, sizeof(err)))
		return fg_fail("%s", err);
	pol->interval_ns = rate.interval_ns;
	pol->burst = fg_default_burst(&rate);
	if (burst_arg && fg_parse_u32(burst_arg, "--burst", 1, FG_BURST_MAX, &pol->burst, err,
				      sizeof(err)))
		return fg_fail("%s", err);
	if (fg_check_bucket("--burst", rate_arg, pol->interval_ns, pol->burst, err, sizeof(err)))
		return fg_fail("%s", err);
	if (per_arg && !strcmp(per_arg, "prefix"))
		pol->per = FG_PER_PREFIX;
	else if (per_arg && strcmp(per_arg, "source"))
		return fg_fail("invalid --per '%s': expected source or prefix", per_arg);
	if (new_arg && pol->per == FG_PER_PREFIX)
		return fg_fail("--new-sources applies to --per source (a per-prefix bucket is one "
			       "per policy)");
	if (pol->per == FG_PER_SOURCE &&
	    fg_parse_new_sources(new_arg ? new_arg : FG_NEW_SOURCES_DEFAULT, &pol->new_interval_ns,
				 &pol->new_burst, err, sizeof(err)))
		return fg_fail("%s", err);
	return 0;
}

int cmd_limit(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		OPT_COMMON,
		{ "burst", required_argument, NULL, 'b' },
		{ "per", required_argument, NULL, 'p' },
		{ "new-sources", required_argument, NULL, 'n' },
		{},
	};
	const struct fg_cmd *cmd = fg_find_cmd("limit");
	const char *sub, *burst_arg = NULL, *per_arg = NULL, *new_arg = NULL;
	struct fg_policy pol = {};
	struct fg_lpm_key key;
	char err[FG_ERR_LEN];
	int opt;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hv", opts)) != -1) {
		if (opt == 'b')
			burst_arg = optarg;
		else if (opt == 'p')
			per_arg = optarg;
		else if (opt == 'n')
			new_arg = optarg;
		else
			return 2;
	}
	if (optind >= argc)
		return fg_fail("limit: missing subcommand: set, allow, deny, del or list");
	sub = argv[optind++];

	if (!strcmp(sub, "list")) {
		if (fg_want_args(cmd, argc, argv, 0, 0))
			return 2;
		return limit_list(ctx);
	}
	if (strcmp(sub, "set") && strcmp(sub, "allow") && strcmp(sub, "deny") &&
	    strcmp(sub, "del"))
		return fg_fail("limit: unknown subcommand '%s': expected set, allow, deny, del or list",
			       sub);
	if ((burst_arg || per_arg || new_arg) && strcmp(sub, "set"))
		return fg_fail("limit %s: --burst, --per and --new-sources apply to 'limit set' only",
			       sub);
	if (fg_want_args(cmd, argc, argv, strcmp(sub, "set") ? 1 : 2, strcmp(sub, "set") ? 1 : 2))
		return 2;
	if (fg_parse_prefix(argv[optind], &key, err, sizeof(err)))
		return fg_fail("%s", err);

	if (!strcmp(sub, "del"))
		return policy_write(ctx, &key, NULL, argv[optind]);

	pol.prefixlen = key.prefixlen;
	if (!strcmp(sub, "allow")) {
		pol.action = FG_ACT_ALLOW;
	} else if (!strcmp(sub, "deny")) {
		pol.action = FG_ACT_DENY;
	} else if (limit_parse(&pol, argv[optind + 1], burst_arg, per_arg, new_arg)) {
		return 1;
	}
	return policy_write(ctx, &key, &pol, argv[optind]);
}

int cmd_mode(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { OPT_COMMON, {} };
	const struct fg_cmd *cmd = fg_find_cmd("mode");
	struct fg_config cfg;
	struct fg_maps m;
	int opt, lock, ret = 1;
	const char *want = NULL;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hv", opts)) != -1)
		return 2;
	if (fg_want_args(cmd, argc, argv, 0, 1))
		return 2;
	if (optind < argc) {
		want = argv[optind];
		if (strcmp(want, "enforce") && strcmp(want, "monitor"))
			return fg_fail("invalid mode '%s': expected enforce or monitor", want);
	}
	lock = open_locked(ctx, &m);
	if (lock < 0)
		return 1;
	if (fg_config_get(&m, &cfg)) {
		fg_fail("Failed to read config: %s", strerror(errno));
		goto out;
	}
	if (want) {
		cfg.mode = strcmp(want, "monitor") ? FG_MODE_ENFORCE : FG_MODE_MONITOR;
		if (fg_config_set(&m, &cfg)) {
			fg_fail("Failed to write config: %s", strerror(errno));
			goto out;
		}
	}
	if (ctx->json) {
		struct fg_json j;

		fg_json_begin(&j, stdout);
		fg_json_str(&j, "mode", FG_NAME(fg_mode_names, cfg.mode));
		fg_json_end(&j);
	} else
		printf("%s\n", FG_NAME(fg_mode_names, cfg.mode));
	ret = 0;
out:
	fg_maps_close(&m);
	fg_pin_dir_unlock(lock);
	return ret;
}
