// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate attach / detach: options and output; the work is in attach.c. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "cli.h"
#include "json.h"
#include "parse.h"
#include "pins.h"

int cmd_attach(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		OPT_COMMON,
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "ipv6-prefix", required_argument, NULL, 'p' },
		{ "no-tc", no_argument, NULL, 'n' },
		{ "hook", required_argument, NULL, 'k' },
		{},
	};
	const struct fg_cmd *cmd = fg_find_cmd("attach");
	struct fg_attach_opts ao = { .mode = FG_XDP_AUTO };
	struct fg_attach_result res;
	char err[FG_ERR_LEN];
	const char *ifname;
	int opt, lock, ret;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hv", opts)) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "auto"))
				ao.mode = FG_XDP_AUTO;
			else if (!strcmp(optarg, "native"))
				ao.mode = FG_XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				ao.mode = FG_XDP_GENERIC;
			else
				return fg_fail("invalid --xdp-mode '%s': expected auto, native or generic",
					       optarg);
			break;
		case 'p':
			if (fg_parse_u32(optarg, "--ipv6-prefix", 1, 128, &ao.v6_prefix, err,
					 sizeof(err)))
				return fg_fail("%s", err);
			break;
		case 'n':
			ao.no_tc = 1;
			break;
		case 'k':
			if (strcmp(optarg, "xdp") && strcmp(optarg, "tc"))
				return fg_fail("invalid --hook '%s': expected xdp or tc", optarg);
			ao.tc_hook = !strcmp(optarg, "tc");
			break;
		default:
			return 2;
		}
	}
	if (fg_want_args(cmd, argc, argv, 1, 1))
		return 2;
	ifname = argv[optind];
	if (!if_nametoindex(ifname)) /* before the pin dir is made: nothing half-made */
		return fg_fail("no such interface '%s'", ifname);

	if (fg_pin_dir_prepare(ctx->pin_dir, 1, err, sizeof(err)))
		return fg_fail("%s", err);
	lock = fg_pin_dir_lock(ctx->pin_dir);
	if (lock < 0)
		return fg_fail("Failed to lock %s: %s", ctx->pin_dir, strerror(-lock));
	ret = fg_attach_iface(ctx->pin_dir, ifname, &ao, &res, err, sizeof(err));
	fg_pin_dir_unlock(lock);
	if (ret)
		return fg_fail("%s", err);

	if (ctx->json) {
		struct fg_json j;

		fg_json_begin(&j, stdout);
		fg_json_str(&j, "attached", ifname);
		fg_json_bool(&j, "already", res.already);
		if (!res.already) {
			fg_json_str(&j, "hook", ao.tc_hook ? "tc" : "xdp");
			fg_json_str(&j, "xdp_mode", res.xdp_mode);
			fg_json_bool(&j, "tc", !ao.no_tc);
		}
		fg_json_str(&j, "pin_dir", ctx->pin_dir);
		fg_json_end(&j);
	} else if (res.already)
		printf("floodgate already attached to %s\n", ifname);
	else
		printf("floodgate attached to %s (limits: %s%s%s), maps in %s\n", ifname,
		       ao.tc_hook ? "tc ingress" : "xdp ", ao.tc_hook ? "" : res.xdp_mode,
		       ao.no_tc ? "" : "; tc ingress+egress", ctx->pin_dir);
	return 0;
}

int cmd_detach(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { OPT_COMMON, {} };
	const struct fg_cmd *cmd = fg_find_cmd("detach");
	char err[FG_ERR_LEN];
	const char *ifname;
	int opt, lock, last, ret;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hv", opts)) != -1)
		return 2;
	if (fg_want_args(cmd, argc, argv, 1, 1))
		return 2;
	ifname = argv[optind];
	if (fg_pin_dir_prepare(ctx->pin_dir, 0, err, sizeof(err)))
		return fg_fail("floodgate is not attached to %s (no pin dir %s)", ifname,
			       ctx->pin_dir);
	lock = fg_pin_dir_lock(ctx->pin_dir);
	if (lock < 0)
		return fg_fail("Failed to lock %s: %s", ctx->pin_dir, strerror(-lock));
	ret = fg_detach_iface(ctx->pin_dir, ifname, &last, err, sizeof(err));
	fg_pin_dir_unlock(lock);
	if (ret)
		return fg_fail("%s", err);

	if (ctx->json) {
		struct fg_json j;

		fg_json_begin(&j, stdout);
		fg_json_str(&j, "detached", ifname);
		fg_json_bool(&j, "pins_removed", last);
		fg_json_end(&j);
	} else if (last)
		printf("floodgate detached from %s; no interface left, pins removed\n", ifname);
	else
		printf("floodgate detached from %s\n", ifname);
	return 0;
}
