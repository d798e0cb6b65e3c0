// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floodgated's state (daemon.h): made, freed, searched, and changed by
 * hand (a force from the control socket); the transitions it logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "fleet_share_io.h"
#include "datapath.h"
#include "log.h"
#include "pins.h"

#define NS_PER_S 1000000000ULL

__u32 fg_daemon_rand(void *ctx)
{
	struct fg_daemon *d = ctx;
	__u64 x = d->rng ? d->rng : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	d->rng = x;
	return (__u32)(x >> 32);
}

void fg_daemon_init(struct fg_daemon *d, const struct fg_dp_ops *dp)
{
	struct fg_maps none = FG_MAPS_INIT;

	memset(d, 0, sizeof(*d));
	d->maps = none;
	d->dp = dp;
	d->rng = fg_now_ns() ^ ((__u64)getpid() << 32);
	for (int i = 0; i < FG_UPSTREAMS_MAX; i++)
		d->idx_by_id[i] = -1;
}

void fg_daemon_free(struct fg_daemon *d)
{
	free(d->ups);
	d->ups = NULL;
	d->n_ups = 0;
	fg_shares_release(d);
	fg_cfg_free(&d->cfg);
	d->dp->release(d);
	d->dp_state = NULL;
	fg_maps_close(&d->maps);
}

int fg_daemon_find(const struct fg_daemon *d, const char *name)
{
	for (int i = 0; i < d->n_ups; i++)
		if (!strcmp(d->ups[i].cfg.name, name))
			return i;
	return -1;
}

int fg_daemon_lock(struct fg_daemon *d)
{
	return d->dp->lock(d, d->cfg.daemon.pin_dir);
}

void fg_daemon_note(struct fg_daemon *d, struct fg_ups_rt *u, const struct fg_transition *t,
		    __u64 now, const char *via)
{
	d->metrics_dirty = 1;
	if (t->from <= 2 && t->to <= 2 && t->why < FG_WHY_MAX)
		u->m.transitions[t->from][t->to][t->why]++;
	if (t->to == FG_BREAKER_OPEN) {
		u->m.opens++;
		if (u->brk.force == FG_FORCE_AUTO) {
			pr_warn("upstream %s: %s -> open (%s%s), half-open in %.1fs\n", u->cfg.name,
				fg_breaker_name(t->from), fg_brk_reason_names[t->why], via,
				(double)(u->brk.open_until_ns - now) / NS_PER_S);
			return;
		}
	}
	fg_log(t->to == FG_BREAKER_OPEN ? FG_LOG_WARN : FG_LOG_INFO,
	       "upstream %s: %s -> %s (%s%s)\n", u->cfg.name, fg_breaker_name(t->from),
	       fg_breaker_name(t->to), fg_brk_reason_names[t->why], via);
}

const struct fg_entry_src *fg_ups_src(const struct fg_ups_rt *u, struct fg_entry_src *s)
{
	*s = (struct fg_entry_src){
		.brk = &u->brk, .id = u->id, .reject = u->cfg.reject,
		.reset_rate = u->cfg.reset_rate, .half_open_permits = u->cfg.brk.half_open_permits,
		.name = u->cfg.name,
	};
	return s;
}

int fg_daemon_force(struct fg_daemon *d, const char *name, enum fg_force f, __u64 now,
		    char *err, size_t errlen)
{
	struct fg_transition t;
	struct fg_ups_rt *u;
	int i = fg_daemon_find(d, name), lk, ret;

	if (i < 0) {
		snprintf(err, errlen, "no upstream named '%s' in the daemon's config", name);
		return -ENOENT;
	}
	u = &d->ups[i];
	d->metrics_dirty = 1; /* forced is exported even when the state stays */
	lk = fg_daemon_lock(d);
	if (fg_brk_force(&u->brk, f, now, &t))
		fg_daemon_note(d, u, &t, now, ", by the control socket");
	ret = d->dp->write_entry(d, u, now, NULL);
	if (ret > 0)
		ret = 0;
	fg_pin_dir_unlock(lk);
	if (ret)
		snprintf(err, errlen, "Failed to update upstream %s: %s", name, strerror(-ret));
	return ret;
}
