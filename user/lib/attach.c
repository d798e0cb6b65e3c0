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

/*
 * The config an attach leaves: this build's defaults on fresh maps, and
 * --ipv6-prefix when given (a new policy generation: bucket keys change with
 * the prefix). Which policies split a bucket prefix depends on the prefix,
 * so the flags are derived again.
 */
static int write_config(const struct fg_maps *maps, int fresh, __u32 v6_prefix, char *err,
			size_t errlen)
{
	struct fg_config cfg;
	int ret;

	if (fresh) {
		fg_config_defaults(&cfg);
	} else if ((ret = fg_config_get(maps, &cfg))) {
		snprintf(err, errlen, "Failed to read config: %s", strerror(-ret));
		return ret;
	}
	if (v6_prefix) {
		cfg.v6_prefix = v6_prefix;
		fg_policy_gen_next(&cfg);
	}
	ret = fg_policy_derive(maps, cfg.v6_prefix) ?: fg_config_set(maps, &cfg);
	if (ret)
		snprintf(err, errlen, "Failed to write config: %s", strerror(-ret));
	return ret;
}

/* Attaching twice is harmless: only apply the options given. */
static int apply_options(const char *pin_dir, const struct fg_attach_opts *o, char *err,
			 size_t errlen)
{
	struct fg_maps maps = FG_MAPS_INIT;
	int ret;

	if (!o->v6_prefix)
		return 0;
	ret = fg_maps_open(pin_dir, &maps, err, errlen);
	if (!ret)
		ret = write_config(&maps, 0, o->v6_prefix, err, errlen);
	fg_maps_close(&maps);
	return ret;
}

/* One attach in progress, and what it made so far: attach_undo takes down
 * exactly that, so a failure at any step leaves nothing half-made. */
struct attach {
	const char *pin_dir, *ifname;
	const struct fg_attach_opts *o;
	int ifindex;
	int fresh;               /* no maps pinned before: this attach creates them */
	struct floodgate *skel;
	struct fg_maps maps;
	char links[3][4096];     /* link pins made, in order: limiter, TC in, TC out */
	int n_links;
	char *err;
	size_t errlen;
};

/* libbpf reuses each pin, or creates and pins the map. */
static int attach_load(struct attach *a)
{
	char path[4096];
	int ret;

	if (!a->fresh) {
		/* Pins another version made: say so plainly, before libbpf
		 * refuses to reuse them with a bare EINVAL. */
		ret = fg_maps_open(a->pin_dir, &a->maps, a->err, a->errlen);
		fg_maps_close(&a->maps);
		if (ret)
			return ret;
	}
	a->skel = floodgate__open();
	if (!a->skel) {
		ret = -errno;
		snprintf(a->err, a->errlen, "Failed to open BPF object: %s", strerror(-ret));
		return ret;
	}
	for (int i = 0; i < fg_map_count; i++) {
		fg_pin_path(path, sizeof(path), a->pin_dir, fg_map_names[i]);
		bpf_map__set_pin_path(fg_skel_map(a->skel, i), path);
	}
	if (floodgate__load(a->skel)) {
		ret = -errno;
		snprintf(a->err, a->errlen,
			 "Failed to load BPF programs: %s (run with --verbose for the verifier log)",
			 strerror(-ret));
		return ret;
	}
	ret = fg_maps_open_as(a->pin_dir, &a->maps, a->fresh, a->err, a->errlen);
	if (!ret && (a->fresh || a->o->v6_prefix))
		ret = write_config(&a->maps, a->fresh, a->o->v6_prefix, a->err, a->errlen);
	return ret;
}

/* Pin link fd as PREFIXifname; the pin holds the link (fd is closed here). */
static int attach_pin(struct attach *a, int fd, const char *prefix)
{
	char name[64], *path = a->links[a->n_links];
	int ret = 0;

	snprintf(name, sizeof(name), "%s%s", prefix, a->ifname);
	if (fg_pin_path(path, sizeof(a->links[0]), a->pin_dir, name)) {
		ret = -ENAMETOOLONG;
		snprintf(a->err, a->errlen, "pin dir path too long: %s", a->pin_dir);
	} else if (bpf_obj_pin(fd, path)) {
		ret = -errno;
		snprintf(a->err, a->errlen, "Failed to pin link %s: %s", path, strerror(-ret));
	} else {
		a->n_links++;
	}
	close(fd);
	return ret;
}

/* The limiter: XDP, or first in the TCX ingress chain (--hook tc), so the
 * observer runs after it. */
static int attach_limiter(struct attach *a, const char **mode)
{
	__u32 used = 0;
	int fd, ret;

	if (a->o->tc_hook) {
		fd = bpf_link_create(bpf_program__fd(a->skel->progs.tc_limit), a->ifindex,
				     FG_TCX_INGRESS, NULL);
		if (fd < 0) {
			ret = -errno;
			snprintf(a->err, a->errlen,
				 "Failed to attach TC (tcx) to %s: %s (TCX needs Linux 6.6+)",
				 a->ifname, strerror(-ret));
			return ret;
		}
		*mode = fg_hook_names[FG_HOOK_TC];
		return attach_pin(a, fd, FG_LINK_TCX_LIMIT_PREFIX);
	}
	fd = xdp_link(bpf_program__fd(a->skel->progs.xdp_ingress), a->ifindex, a->o->mode, &used);
	if (fd < 0) {
		snprintf(a->err, a->errlen, "Failed to attach XDP to %s: %s%s", a->ifname,
			 strerror(-fd),
			 fd == -EBUSY || fd == -EEXIST ? " (another XDP program is attached)" : "");
		return fd;
	}
	*mode = xdp_mode_name(used);
	return attach_pin(a, fd, FG_LINK_XDP_PREFIX);
}

/* The TC observer (ingress) and the egress breakers. */
static int attach_tc(struct attach *a)
{
	const struct {
		struct bpf_program *prog;
		int type;
		const char *prefix;
	} tc[2] = {
		{ a->skel->progs.tc_ingress, FG_TCX_INGRESS, FG_LINK_TCX_IN_PREFIX },
		{ a->skel->progs.tc_egress, FG_TCX_EGRESS, FG_LINK_TCX_EG_PREFIX },
	};
	int ret;

	for (int i = 0; i < 2; i++) {
		int fd = bpf_link_create(bpf_program__fd(tc[i].prog), a->ifindex, tc[i].type, NULL);

		if (fd < 0) {
			ret = -errno;
			snprintf(a->err, a->errlen,
				 "Failed to attach TC (tcx) to %s: %s (TCX needs Linux 6.6+; "
				 "use --no-tc for XDP only)", a->ifname, strerror(-ret));
			return ret;
		}
		if ((ret = attach_pin(a, fd, tc[i].prefix)))
			return ret;
	}
	return 0;
}

/* The one unwind: the links this attach pinned, newest first, and the maps
 * when this attach created them. */
static void attach_undo(struct attach *a)
{
	while (a->n_links > 0)
		unlink(a->links[--a->n_links]);
	if (a->fresh)
		unpin_all(a->pin_dir);
}

int fg_attach_iface(const char *pin_dir, const char *ifname, const struct fg_attach_opts *o,
		    struct fg_attach_result *res, char *err, size_t errlen)
{
	struct attach a = { .pin_dir = pin_dir, .ifname = ifname, .o = o,
			    .maps = FG_MAPS_INIT, .err = err, .errlen = errlen };
	int ret;

	memset(res, 0, sizeof(*res));
	a.ifindex = if_nametoindex(ifname);
	if (!a.ifindex) {
		snprintf(err, errlen, "no such interface '%s'", ifname);
		return -ENODEV;
	}
	a.fresh = !fg_pin_exists(pin_dir, FG_MAP_CONFIG);
	if (!a.fresh && fg_is_attached(pin_dir, ifname)) {
		res->already = 1;
		return apply_options(pin_dir, o, err, errlen);
	}
	ret = attach_load(&a);
	if (!ret)
		ret = attach_limiter(&a, &res->xdp_mode);
	if (!ret && !o->no_tc)
		ret = attach_tc(&a);
	if (ret) {
		attach_undo(&a);
		res->xdp_mode = NULL;
	}
	fg_maps_close(&a.maps);
	floodgate__destroy(a.skel);
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
