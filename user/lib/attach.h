/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Attach and detach the datapath: load the skeleton, pin its maps (or reuse
 * the pinned ones), create and pin the XDP and TCX links. Shared by
 * `floodgate attach|detach` and floodgated, which attaches the interfaces of
 * its config when the pin dir has none of floodgate's maps yet.
 *
 * The caller prepares the pin dir (fg_pin_dir_prepare) and holds its lock
 * (fg_pin_dir_lock) around these calls; they never take it themselves, so
 * a daemon holding the lock can call them.
 */
#ifndef FG_ATTACH_H
#define FG_ATTACH_H

#include <stddef.h>
#include <linux/types.h>

enum fg_xdp_mode { FG_XDP_AUTO = 0, FG_XDP_NATIVE, FG_XDP_GENERIC, FG_XDP_MAX };
/* Where the per-source limits run: fg_attach_opts.tc_hook. */
enum fg_hook { FG_HOOK_XDP = 0, FG_HOOK_TC, FG_HOOK_MAX };

struct fg_attach_opts {
	enum fg_xdp_mode mode;
	int no_tc;         /* no TC programs (observer, egress breakers) */
	int tc_hook;       /* limits at TCX ingress instead of XDP (virtual ifaces) */
	__u32 v6_prefix;   /* 0: leave as is (fresh maps: the default) */
};

struct fg_attach_result {
	int already;          /* was attached: only the options were applied */
	const char *xdp_mode; /* "native", "generic", or "tc" (--hook tc) */
};

/*
 * Attach to ifname. Leaves nothing half-made on failure: links pinned by
 * this call are removed, and maps it created are unpinned. Returns 0 or
 * -errno with a one-line message in err.
 */
int fg_attach_iface(const char *pin_dir, const char *ifname, const struct fg_attach_opts *o,
		    struct fg_attach_result *res, char *err, size_t errlen);

/*
 * Detach from ifname; with no interface left, remove every pin and the dir.
 * *last tells which. Returns 0, -ENOENT when not attached to ifname, or
 * another -errno, with a message in err.
 */
int fg_detach_iface(const char *pin_dir, const char *ifname, int *last, char *err,
		    size_t errlen);

/* Is floodgate's XDP link for ifname pinned under pin_dir? */
int fg_is_attached(const char *pin_dir, const char *ifname);

#endif /* FG_ATTACH_H */
