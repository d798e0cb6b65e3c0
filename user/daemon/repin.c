// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Replaced pins followed (fg_dp_maps, datapath.h): a detach + attach pins
 * new maps under the pin dir; the tick notices by the config map's id,
 * reopens the pins (layouts checked) and reconciles the running config, with
 * every breaker state from memory, into them.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "datapath.h"
#include "log.h"
#include "parse.h"
#include "pins.h"

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

/*
 * The id of the map pinned as config, or 0 (errno set). Map ids identify a
 * map for as long as it lives, and we hold our config map open: a detach +
 * attach always pins one with another id. That is an open, an info call and
 * a close a tick, beside the tick's own lookups. (The pin's inode would be
 * one stat(), but bpffs numbers inodes from a counter that wraps: reliable
 * in practice, not by rule.)
 */
static __u32 pinned_config_id(const char *dir)
{
	char path[4096];
	__u32 id;
	int fd;

	if (fg_pin_path(path, sizeof(path), dir, FG_MAP_CONFIG)) {
		errno = ENAMETOOLONG;
		return 0;
	}
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	id = map_id(fd);
	close(fd);
	return id;
}

/* Reopen the pins (layouts checked) and reconcile the running config, with
 * every breaker state from memory, into them; 0 or -errno with err set. */
static int take_pins(struct fg_daemon *d, __u64 now, char *err, size_t errlen)
{
	struct fg_maps old = d->maps, m;
	int ret = fg_maps_open(d->cfg.daemon.pin_dir, &m, err, errlen);

	if (ret)
		return ret;
	d->maps = m;
	ret = fg_reconcile(d, &d->cfg, 1, d->manage_upstreams, d->manage_policies, now, err, errlen);
	if (ret) {
		d->maps = old;
		fg_maps_close(&m);
		return ret;
	}
	fg_maps_close(&old);
	return 0;
}

/* Follow a detach + attach: called by the tick, under the pin dir's lock. */
void fg_dp_maps_follow_pins(struct fg_daemon *d, __u64 now)
{
	const char *dir = d->cfg.daemon.pin_dir;
	char err[FG_ERR_LEN + 300];
	__u32 id;

	if (!d->config_id)
		d->config_id = map_id(d->maps.config);
	id = pinned_config_id(dir);
	if (!id) {
		if (!d->pins_gone_logged)
			pr_warn("pins in %s gone (%s; floodgate detached?): looking again every "
				"tick\n", dir, strerror(errno));
		d->pins_gone_logged = 1;
		return;
	}
	if (id == d->config_id) {
		d->pins_gone_logged = 0;
		return;
	}
	if (take_pins(d, now, err, sizeof(err))) {
		if (d->repin_failed_id != id)
			pr_warn("pins in %s replaced but not taken (trying every tick): %s\n", dir,
				err);
		d->repin_failed_id = id;
		return;
	}
	d->config_id = id;
	d->pins_gone_logged = 0;
	d->repin_failed_id = 0;
	pr_info("pins in %s replaced: reopened and reconciled %d upstreams, %d policies\n", dir,
		d->n_ups, d->cfg.n_pols);
}
