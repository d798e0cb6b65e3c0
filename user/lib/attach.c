// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Load, pin, link; and take it all down again. Used by the CLI and the daemon. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "attach.h"
#include "log.h"
#include "maps.h"
#include "pins.h"
#include "floodgate.skel.h"
#include "layout.h"
#include "names.h"

static const char *xdp_mode_name(__u32 flags)
{
	return fg_xdp_mode_names[flags == XDP_FLAGS_DRV_MODE ? FG_XDP_NATIVE : FG_XDP_GENERIC];
}

/* bpf_link_create with the mode in flags; auto tries native, then generic. */
static int xdp_link(int prog_fd, int ifindex, enum fg_xdp_mode mode, __u32 *used)
{
	__u32 tries[2];
	int n = 0, fd = -EINVAL;

	if (mode != FG_XDP_GENERIC)
		tries[n++] = XDP_FLAGS_DRV_MODE;
	if (mode != FG_XDP_NATIVE)
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

/* The link that makes an interface "attached": the limiter's, XDP or TC. */
static const char *const primary_prefixes[] = { FG_LINK_XDP_PREFIX, FG_LINK_TCX_LIMIT_PREFIX };

int fg_is_attached(const char *pin_dir, const char *ifname)
{
	char link_name[64];

	for (int i = 0; i < 2; i++) {
		snprintf(link_name, sizeof(link_name), "%s%s", primary_prefixes[i], ifname);
		if (fg_pin_exists(pin_dir, link_name))
			return 1;
	}
	return 0;
}

/* Attaching twice is harmless: only apply the options given. */
static int apply_options(const char *pin_dir, const struct fg_attach_opts *o, char *err,
			 size_t errlen)
{
	struct fg_maps maps = FG_MAPS_INIT;
	struct fg_config cfg;
	int ret;

	if (!o->v6_prefix)
		return 0;
	ret = fg_maps_open(pin_dir, &maps, err, errlen);
	if (ret)
		return ret;
	ret = fg_config_get(&maps, &cfg);
	if (!ret) {
		cfg.v6_prefix = o->v6_prefix;
		fg_policy_gen_next(&cfg); /* bucket keys change with the prefix */
		ret = fg_policy_derive(&maps, cfg.v6_prefix) ?: fg_config_set(&maps, &cfg);
	}
	if (ret)
		snprintf(err, errlen, "Failed to write config: %s", strerror(-ret));
	fg_maps_close(&maps);
	return ret;
}

int fg_attach_iface(const char *pin_dir, const char *ifname, const struct fg_attach_opts *o,
		    struct fg_attach_result *res, char *err, size_t errlen)
{
	char link_name[64], path[4096];
	struct floodgate *skel = NULL;
	struct fg_maps maps = FG_MAPS_INIT;
	char tc_paths[2][4096] = { "", "" };
	__u32 used = 0;
	int ifindex, link_fd = -1, fresh, ret;

	memset(res, 0, sizeof(*res));
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		snprintf(err, errlen, "no such interface '%s'", ifname);
		return -ENODEV;
	}
	snprintf(link_name, sizeof(link_name), "%s%s",
		 o->tc_hook ? FG_LINK_TCX_LIMIT_PREFIX : FG_LINK_XDP_PREFIX, ifname);
	if (fg_pin_path(path, sizeof(path), pin_dir, link_name)) {
		snprintf(err, errlen, "pin dir path too long: %s", pin_dir);
		return -ENAMETOOLONG;
	}
	fresh = !fg_pin_exists(pin_dir, FG_MAP_CONFIG);

	if (!fresh && fg_is_attached(pin_dir, ifname)) {
		res->already = 1;
		return apply_options(pin_dir, o, err, errlen);
	}

	if (!fresh) {
		/* Pins another version made: say so plainly, before libbpf
		 * refuses to reuse them with a bare EINVAL. */
		ret = fg_maps_open(pin_dir, &maps, err, errlen);
		if (ret)
			goto out;
		fg_maps_close(&maps);
	}
	skel = floodgate__open();
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "Failed to open BPF object: %s", strerror(-ret));
		goto out;
	}
	/* libbpf reuses each pin, or creates and pins the map. */
	for (int i = 0; i < fg_map_count; i++) {
		char mp[4096];

		fg_pin_path(mp, sizeof(mp), pin_dir, fg_map_names[i]);
		bpf_map__set_pin_path(fg_skel_map(skel, i), mp);
	}
	if (floodgate__load(skel)) {
		ret = -errno;
		snprintf(err, errlen,
			 "Failed to load BPF programs: %s (run with --verbose for the verifier log)",
			 strerror(-ret));
		goto fail;
	}
	ret = fg_maps_open_as(pin_dir, &maps, fresh, err, errlen);
	if (ret)
		goto fail;
	if (fresh || o->v6_prefix) {
		struct fg_config cfg;

		if (fresh)
			fg_config_defaults(&cfg);
		else if ((ret = fg_config_get(&maps, &cfg))) {
			snprintf(err, errlen, "Failed to read config: %s", strerror(-ret));
			goto fail;
		}
		if (o->v6_prefix) {
			cfg.v6_prefix = o->v6_prefix;
			fg_policy_gen_next(&cfg);
		}
		/* Which policies split a bucket prefix depends on the prefix. */
		ret = fg_policy_derive(&maps, cfg.v6_prefix) ?: fg_config_set(&maps, &cfg);
		if (ret) {
			snprintf(err, errlen, "Failed to write config: %s", strerror(-ret));
			goto fail;
		}
	}

	if (o->tc_hook) {
		/* First in the TCX ingress chain, so the observer runs after it. */
		link_fd = bpf_link_create(bpf_program__fd(skel->progs.tc_limit), ifindex,
					  FG_TCX_INGRESS, NULL);
		if (link_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "Failed to attach TC (tcx) to %s: %s (TCX needs Linux 6.6+)",
				 ifname, strerror(-ret));
			goto fail;
		}
	} else {
		link_fd = xdp_link(bpf_program__fd(skel->progs.xdp_ingress), ifindex, o->mode,
				   &used);
		if (link_fd < 0) {
			ret = link_fd;
			snprintf(err, errlen, "Failed to attach XDP to %s: %s%s", ifname,
				 strerror(-ret),
				 ret == -EBUSY || ret == -EEXIST ? " (another XDP program is attached)"
								 : "");
			goto fail;
		}
	}
	if (bpf_obj_pin(link_fd, path)) {
		ret = -errno;
		snprintf(err, errlen, "Failed to pin link %s: %s", path, strerror(-ret));
		goto fail;
	}
	if (!o->no_tc) {
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
				ret = -errno;
				snprintf(err, errlen,
					 "Failed to attach TC (tcx) to %s: %s (TCX needs Linux 6.6+; "
					 "use --no-tc for XDP only)", ifname, strerror(-ret));
				goto fail_links;
			}
			snprintf(link_name, sizeof(link_name), "%s%s", tc[i].prefix, ifname);
			fg_pin_path(tc_paths[i], sizeof(tc_paths[i]), pin_dir, link_name);
			if (bpf_obj_pin(fd, tc_paths[i])) {
				ret = -errno;
				snprintf(err, errlen, "Failed to pin link %s: %s", tc_paths[i],
					 strerror(-ret));
				tc_paths[i][0] = 0;
				close(fd);
				goto fail_links;
			}
			close(fd);
		}
	}
	res->xdp_mode = o->tc_hook ? fg_hook_names[FG_HOOK_TC] : xdp_mode_name(used);
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
		unpin_all(pin_dir);
out:
	if (link_fd >= 0)
		close(link_fd);
	fg_maps_close(&maps);
	floodgate__destroy(skel);
	return ret;
}

int fg_detach_iface(const char *pin_dir, const char *ifname, int *last, char *err,
		    size_t errlen)
{
	const char *prefixes[] = { FG_LINK_TCX_IN_PREFIX, FG_LINK_TCX_EG_PREFIX,
				   FG_LINK_TCX_LIMIT_PREFIX, FG_LINK_XDP_PREFIX };
	char link_name[64], path[4096];

	*last = 0;
	if (!fg_is_attached(pin_dir, ifname)) {
		snprintf(err, errlen, "floodgate is not attached to %s", ifname);
		return -ENOENT;
	}
	/* The pins hold the only references: unlinking them detaches. */
	for (int i = 0; i < 4; i++) {
		snprintf(link_name, sizeof(link_name), "%s%s", prefixes[i], ifname);
		fg_pin_path(path, sizeof(path), pin_dir, link_name);
		if (unlink(path) && errno != ENOENT) {
			int ret = -errno;

			snprintf(err, errlen, "Failed to remove %s: %s", path, strerror(-ret));
			return ret;
		}
	}
	if (fg_pin_count_links(pin_dir) == 0) {
		unpin_all(pin_dir);
		*last = 1;
	}
	return 0;
}
