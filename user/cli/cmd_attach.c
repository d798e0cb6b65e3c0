// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate attach / detach: options and output; the work is in attach.c. */
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "cli.h"
#include "json.h"
#include "names.h"
#include "parse.h"
#include "pins.h"

struct attach_opts {
	int xdp_mode; /* enum fg_xdp_mode */
	int hook;     /* enum fg_hook */
	int no_tc;
	__u32 v6_prefix;
};

#define OPT(f) offsetof(struct attach_opts, f)

static const struct fg_opt attach_opts[] = {
	{ .name = "xdp-mode", .type = FG_OPT_ENUM, .off = OPT(xdp_mode), .arg = "MODE",
	  .help = "native (driver), generic (skb), or auto: native, else\ngeneric (default auto)",
	  .names = fg_xdp_mode_names, .n_names = FG_XDP_MAX },
	{ .name = "hook", .type = FG_OPT_ENUM, .off = OPT(hook),
	  .help = "tc: run the per-source limits at TCX ingress instead of XDP:\n"
	  "cheaper on veth and other virtual interfaces, where XDP\n"
	  "copies every frame (default xdp; breakers of forwarded\n"
	  "traffic are then enforced by TC egress upstream-side)",
	  .names = fg_hook_names, .n_names = FG_HOOK_MAX },
	{ .name = "no-tc", .type = FG_OPT_FLAG, .off = OPT(no_tc),
	  .help = "no TC observer / egress programs (breakers of locally\n"
	  "originated connections and passive observation need them)" },
	{ .name = "ipv6-prefix", .type = FG_OPT_U32, .off = OPT(v6_prefix), .arg = "LEN",
	  .help = "bucket IPv6 sources by this prefix, 1..128 (default 64;\n"
	  "applies to the whole pin dir)", .min = 1, .max = 128 },
	FG_OPT_END,
};

static void print_attached(struct fg_ctx *ctx, const char *ifname,
			   const struct fg_attach_opts *ao, const struct fg_attach_result *res)
{
	struct fg_json j;

	if (!ctx->json) {
		if (res->already)
			printf("floodgate already attached to %s\n", ifname);
		else
			printf("floodgate attached to %s (limits: %s%s%s), maps in %s\n", ifname,
			       ao->tc_hook ? "tc ingress" : "xdp ", ao->tc_hook ? "" : res->xdp_mode,
			       ao->no_tc ? "" : "; tc ingress+egress", ctx->pin_dir);
		return;
	}
	fg_json_begin(&j, stdout);
	fg_json_str(&j, "attached", ifname);
	fg_json_bool(&j, "already", res->already);
	if (!res->already) {
		fg_json_str(&j, "hook", fg_hook_names[ao->tc_hook ? FG_HOOK_TC : FG_HOOK_XDP]);
		fg_json_str(&j, "xdp_mode", res->xdp_mode);
		fg_json_bool(&j, "tc", !ao->no_tc);
	}
	fg_json_str(&j, "pin_dir", ctx->pin_dir);
	fg_json_end(&j);
}

static int run_attach(struct fg_ctx *ctx, const struct fg_args *a)
{
	const struct attach_opts *o = a->opts;
	struct fg_attach_opts ao = { .mode = o->xdp_mode, .no_tc = o->no_tc,
				     .tc_hook = o->hook == FG_HOOK_TC, .v6_prefix = o->v6_prefix };
	const char *ifname = a->argv[0];
	struct fg_attach_result res;
	char err[FG_ERR_LEN];
	int lock, ret;

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
	print_attached(ctx, ifname, &ao, &res);
	return 0;
}

const struct fg_cmd fg_cmd_attach = {
	.name = "attach",
	.summary = "load and attach to an interface",
	.about = "  Load floodgate and attach it to IFACE. Maps and the link are pinned, so the\n"
		 "  command exits and traffic stays guarded; attaching again is harmless.\n",
	.opts = attach_opts,
	.opts_size = sizeof(struct attach_opts),
	.operands = "IFACE",
	.min_args = 1,
	.max_args = 1,
	.run = run_attach,
};

static int run_detach(struct fg_ctx *ctx, const struct fg_args *a)
{
	const char *ifname = a->argv[0];
	char err[FG_ERR_LEN];
	int lock, last, ret;
	struct fg_json j;

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

const struct fg_cmd fg_cmd_detach = {
	.name = "detach",
	.summary = "detach from an interface",
	.about = "  Remove floodgate from IFACE; with no interface left, remove every pin.\n",
	.operands = "IFACE",
	.min_args = 1,
	.max_args = 1,
	.run = run_detach,
};
