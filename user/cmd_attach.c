// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate attach / detach: load, pin, link; and take it all down again. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "cli.h"
#include "log.h"
#include "maps.h"
#include "parse.h"
#include "pins.h"
#include "floodgate.skel.h"

enum xdp_mode { XDP_AUTO, XDP_NATIVE, XDP_GENERIC };

static const char *xdp_mode_name(__u32 flags)
{
	return flags == XDP_FLAGS_DRV_MODE ? "native" : "generic";
}

/* bpf_link_create with the mode in flags; auto tries native, then generic. */
static int xdp_link(int prog_fd, int ifindex, enum xdp_mode mode, __u32 *used)
{
	__u32 tries[2];
	int n = 0, fd = -EINVAL;

	if (mode != XDP_GENERIC)
		tries[n++] = XDP_FLAGS_DRV_MODE;
	if (mode != XDP_NATIVE)
		tries[n++] = XDP_FLAGS_SKB_MODE;
	for (int i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = tries[i]);

		fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
		if (fd >= 0) {
			*used = tries[i];
			return fd;
		}
		fd = -errno;
		pr_debug("xdp %s attach failed: %s\n", xdp_mode_name(tries[i]), strerror(-fd));
	}
	return fd;
}

/* Remove every map pin and the dir itself; used when nothing is attached. */
static void unpin_all(const char *dir)
{
	char path[4096];

	for (int i = 0; i < fg_map_count; i++)
		if (!fg_pin_path(path, sizeof(path), dir, fg_map_names[i]))
			unlink(path);
	rmdir(dir);
}

static const struct fg_cmd *self(const char *name)
{
	return fg_find_cmd(name);
}

int cmd_attach(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		OPT_COMMON,
		{ "xdp-mode", required_argument, NULL, 'm' },
		{ "ipv6-prefix", required_argument, NULL, 'p' },
		{ "no-tc", no_argument, NULL, 'n' },
		{},
	};
	const struct fg_cmd *cmd = self("attach");
	enum xdp_mode mode = XDP_AUTO;
	char err[FG_ERR_LEN], link_name[64], path[4096];
	struct floodgate *skel = NULL;
	struct fg_maps maps = FG_MAPS_INIT;
	char tc_paths[2][4096] = { "", "" };
	int no_tc = 0;
	__u32 v6_prefix = 0, used = 0;
	int opt, ifindex, lock = -1, link_fd = -1, fresh, ret = 1;
	const char *ifname;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hv", opts)) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "auto"))
				mode = XDP_AUTO;
			else if (!strcmp(optarg, "native"))
				mode = XDP_NATIVE;
			else if (!strcmp(optarg, "generic"))
				mode = XDP_GENERIC;
			else
				return fg_fail("invalid --xdp-mode '%s': expected auto, native or generic",
					       optarg);
			break;
		case 'p':
			if (fg_parse_u32(optarg, "--ipv6-prefix", 1, 128, &v6_prefix, err,
					 sizeof(err)))
				return fg_fail("%s", err);
			break;
		case 'n':
			no_tc = 1;
			break;
		default:
			return 2;
		}
	}
	if (fg_want_args(cmd, argc, argv, 1, 1))
		return 2;
	ifname = argv[optind];
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return fg_fail("no such interface '%s'", ifname);

	if (fg_pin_dir_prepare(ctx->pin_dir, 1, err, sizeof(err)))
		return fg_fail("%s", err);
	lock = fg_pin_dir_lock(ctx->pin_dir);
	if (lock < 0)
		return fg_fail("Failed to lock %s: %s", ctx->pin_dir, strerror(-lock));

	snprintf(link_name, sizeof(link_name), FG_LINK_XDP_PREFIX "%s", ifname);
	if (fg_pin_path(path, sizeof(path), ctx->pin_dir, link_name)) {
		fg_fail("pin dir path too long: %s", ctx->pin_dir);
		goto out;
	}
	fresh = !fg_pin_exists(ctx->pin_dir, FG_MAP_CONFIG);

	if (!fresh && access(path, F_OK) == 0) {
		/* Attaching twice is harmless: only apply the settings given. */
		if (v6_prefix) {
			struct fg_config cfg;

			if (fg_maps_open(ctx->pin_dir, &maps, err, sizeof(err)) ||
			    fg_config_get(&maps, &cfg)) {
				fg_fail("%s", err);
				goto out;
			}
			cfg.v6_prefix = v6_prefix;
			cfg.policy_gen++; /* bucket keys change with the prefix */
			fg_config_set(&maps, &cfg);
		}
		printf("floodgate already attached to %s\n", ifname);
		ret = 0;
		goto out;
	}

	skel = floodgate__open();
	if (!skel) {
		fg_fail("Failed to open BPF object: %s", strerror(errno));
		goto out;
	}
	{
		/* Same order as fg_map_names: libbpf reuses a pin or creates it. */
		struct bpf_map *m[] = { skel->maps.config_map,     skel->maps.policy,
					skel->maps.buckets,        skel->maps.stats,
					skel->maps.upstreams,      skel->maps.upstream_ports,
					skel->maps.upstream_stats, skel->maps.pending_syn };

		_Static_assert(sizeof(m) / sizeof(m[0]) == sizeof(struct fg_maps) / sizeof(int),
			       "every pinned map is listed");

		for (int i = 0; i < fg_map_count; i++) {
			char mp[4096];

			fg_pin_path(mp, sizeof(mp), ctx->pin_dir, fg_map_names[i]);
			bpf_map__set_pin_path(m[i], mp);
		}
	}
	if (floodgate__load(skel)) {
		fg_fail("Failed to load BPF programs: %s (run with --verbose for the verifier log)",
			strerror(errno));
		goto fail;
	}
	if (fg_maps_open(ctx->pin_dir, &maps, err, sizeof(err))) {
		fg_fail("%s", err);
		goto fail;
	}
	if (fresh || v6_prefix) {
		struct fg_config cfg;

		if (fresh)
			fg_config_defaults(&cfg);
		else if (fg_config_get(&maps, &cfg))
			goto fail;
		if (v6_prefix) {
			cfg.v6_prefix = v6_prefix;
			cfg.policy_gen++;
		}
		if (fg_config_set(&maps, &cfg)) {
			fg_fail("Failed to write config: %s", strerror(errno));
			goto fail;
		}
	}

	link_fd = xdp_link(bpf_program__fd(skel->progs.xdp_ingress), ifindex, mode, &used);
	if (link_fd < 0) {
		fg_fail("Failed to attach XDP to %s: %s%s", ifname, strerror(-link_fd),
			link_fd == -EBUSY || link_fd == -EEXIST
				? " (another XDP program is attached)" : "");
		goto fail;
	}
	if (bpf_obj_pin(link_fd, path)) {
		fg_fail("Failed to pin link %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!no_tc) {
		const struct {
			struct bpf_program *prog;
			int type;
			const char *prefix;
		} tc[2] = {
			{ skel->progs.tc_ingress, FG_TCX_INGRESS, FG_LINK_TCX_IN_PREFIX },
			{ skel->progs.tc_egress, FG_TCX_EGRESS, FG_LINK_TCX_EG_PREFIX },
		};

		for (int i = 0; i < 2; i++) {
			int fd = bpf_link_create(bpf_program__fd(tc[i].prog), ifindex, tc[i].type,
						 NULL);

			if (fd < 0) {
				fg_fail("Failed to attach TC (tcx) to %s: %s (TCX needs Linux 6.6+; "
					"use --no-tc for XDP only)", ifname, strerror(errno));
				goto fail_links;
			}
			snprintf(link_name, sizeof(link_name), "%s%s", tc[i].prefix, ifname);
			fg_pin_path(tc_paths[i], sizeof(tc_paths[i]), ctx->pin_dir, link_name);
			if (bpf_obj_pin(fd, tc_paths[i])) {
				fg_fail("Failed to pin link %s: %s", tc_paths[i], strerror(errno));
				tc_paths[i][0] = 0;
				close(fd);
				goto fail_links;
			}
			close(fd);
		}
	}
	if (ctx->json)
		printf("{\"attached\":\"%s\",\"xdp_mode\":\"%s\",\"tc\":%s,\"pin_dir\":\"%s\"}\n",
		       ifname, xdp_mode_name(used), no_tc ? "false" : "true", ctx->pin_dir);
	else
		printf("floodgate attached to %s (xdp %s%s), maps in %s\n", ifname,
		       xdp_mode_name(used), no_tc ? "" : ", tc ingress+egress", ctx->pin_dir);
	ret = 0;
	goto out;

fail_links:
	/* Leave nothing half-made: links pinned by this attach go too. */
	for (int i = 0; i < 2; i++)
		if (tc_paths[i][0])
			unlink(tc_paths[i]);
	unlink(path);
fail:
	/* Maps we created go with the failure. */
	if (fresh)
		unpin_all(ctx->pin_dir);
out:
	if (link_fd >= 0)
		close(link_fd);
	fg_maps_close(&maps);
	floodgate__destroy(skel);
	fg_pin_dir_unlock(lock);
	return ret;
}

int cmd_detach(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { OPT_COMMON, {} };
	const struct fg_cmd *cmd = self("detach");
	char err[FG_ERR_LEN], link_name[64], path[4096];
	const char *ifname;
	int opt, lock, ret = 1;

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

	snprintf(link_name, sizeof(link_name), FG_LINK_XDP_PREFIX "%s", ifname);
	if (fg_pin_path(path, sizeof(path), ctx->pin_dir, link_name) || access(path, F_OK)) {
		fg_fail("floodgate is not attached to %s", ifname);
		goto out;
	}
	/* The pins hold the only references: unlinking them detaches. */
	{
		const char *prefixes[] = { FG_LINK_TCX_IN_PREFIX, FG_LINK_TCX_EG_PREFIX,
					   FG_LINK_XDP_PREFIX };

		for (int i = 0; i < 3; i++) {
			snprintf(link_name, sizeof(link_name), "%s%s", prefixes[i], ifname);
			fg_pin_path(path, sizeof(path), ctx->pin_dir, link_name);
			if (unlink(path) && errno != ENOENT) {
				fg_fail("Failed to remove %s: %s", path, strerror(errno));
				goto out;
			}
		}
	}
	if (fg_pin_count_links(ctx->pin_dir) == 0) {
		unpin_all(ctx->pin_dir);
		if (!ctx->json)
			printf("floodgate detached from %s; no interface left, pins removed\n",
			       ifname);
	} else if (!ctx->json) {
		printf("floodgate detached from %s\n", ifname);
	}
	if (ctx->json)
		printf("{\"detached\":\"%s\"}\n", ifname);
	ret = 0;
out:
	fg_pin_dir_unlock(lock);
	return ret;
}
