// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Fleet shares between the sync and the maps (fleet_share_io.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "fleet_share.h"
#include "fleet_share_io.h"
#include "log.h"
#include "pins.h"

static int can_share(const struct fg_daemon *d)
{
	return d->dp->read_hot && d->dp->write_share && d->dp->del_hot;
}

static struct fg_shares *shares(struct fg_daemon *d)
{
	if (!d->shares)
		d->shares = calloc(1, sizeof(*d->shares));
	return d->shares;
}

/* A map write failed: said once until one works again. */
static void write_err(struct fg_daemon *d, const char *what, int err)
{
	if (!err) {
		d->shares_err_logged = 0;
		return;
	}
	if (!d->shares_err_logged++)
		pr_warn("fleet: Failed to %s: %s\n", what, strerror(-err));
}

static void unshare(struct fg_daemon *d, struct fg_share_src *e)
{
	if (e->written)
		write_err(d, "delete a share", d->dp->write_share(d, &e->key, NULL));
	e->written = 0;
	e->has_share = 0;
}

void fg_shares_collect(struct fg_daemon *d, __u64 now)
{
	struct fg_shares *s;
	struct fg_hot_read *rd;
	int n, lk;

	if (!can_share(d) || !(s = shares(d)))
		return;
	rd = malloc(FG_HOT_MAX * sizeof(*rd));
	if (!rd)
		return;
	lk = fg_daemon_lock(d);
	n = d->dp->read_hot(d, rd, FG_HOT_MAX);
	if (n >= 0 && fg_shares_observe(s, rd, n, now, d->cfg.fleet.share_floor_pct) == 0) {
		for (int i = 0; i < s->n_gone; i++)
			write_err(d, "delete a share", d->dp->write_share(d, &s->gone[i], NULL));
		for (int i = 0; i < s->n; i++) {
			if (!s->v[i].cooled)
				continue;
			unshare(d, &s->v[i]);
			write_err(d, "delete a cooled hot source", d->dp->del_hot(d, &s->v[i].key));
		}
	} else if (n < 0) {
		write_err(d, "read the hot sources", n);
	}
	fg_pin_dir_unlock(lk);
	free(rd);
}

int fg_shares_publish(const struct fg_daemon *d, char *buf, size_t len)
{
	if (!d->shares) {
		if (!len)
			return -E2BIG;
		buf[0] = 0;
		return 0;
	}
	return fg_shares_encode(d->shares, buf, len, FG_SHARE_PUBLISH_MAX);
}

void fg_shares_reply_begin(struct fg_daemon *d)
{
	if (d->shares)
		fg_shares_begin(d->shares);
}

void fg_shares_reply_add(struct fg_daemon *d, const char *text, size_t len)
{
	if (d->shares)
		fg_shares_add(d->shares, text, len);
}

/*
 * Whether a decided share must be written: not in the map yet, another
 * burst, an interval off by more than 1/32 of the written one (rates are
 * noisy: a share that moves by less is the same share), or half its life
 * gone. 10,000 shared sources would otherwise cost 10,000 map writes a sync.
 */
static int share_due(const struct fg_share_src *e, __u64 now, __u64 stale_ns)
{
	const struct fg_share *w = &e->last, *n = &e->share;
	__u64 diff = w->interval_ns > n->interval_ns ? w->interval_ns - n->interval_ns
						     : n->interval_ns - w->interval_ns;

	return !e->written || w->burst != n->burst || diff > w->interval_ns / 32 ||
	       w->expires_ns < now + stale_ns / 2;
}

void fg_shares_apply(struct fg_daemon *d, __u64 now)
{
	struct fg_shares *s = d->shares;
	__u32 was;
	int lk;

	if (!s || !can_share(d))
		return;
	was = s->active;
	fg_shares_decide(s, d->cfg.fleet.share_floor_pct, d->cfg.fleet.stale_ns, now);
	lk = fg_daemon_lock(d);
	for (int i = 0; i < s->n; i++) {
		struct fg_share_src *e = &s->v[i];
		int err;

		if (!e->has_share) {
			unshare(d, e);
			continue;
		}
		if (!share_due(e, now, d->cfg.fleet.stale_ns))
			continue;
		err = d->dp->write_share(d, &e->key, &e->share);
		write_err(d, "write a share", err);
		e->written = !err;
		if (!err)
			e->last = e->share;
	}
	fg_pin_dir_unlock(lk);
	if (was != s->active)
		d->metrics_dirty = 1;
}

void fg_shares_drop(struct fg_daemon *d)
{
	struct fg_shares *s = d->shares;
	int lk;

	if (!s || !can_share(d))
		return;
	lk = fg_daemon_lock(d);
	for (int i = 0; i < s->n; i++)
		unshare(d, &s->v[i]);
	fg_pin_dir_unlock(lk);
	if (s->active)
		d->metrics_dirty = 1;
	s->active = 0;
}

__u32 fg_shares_active(const struct fg_daemon *d)
{
	return d->shares ? d->shares->active : 0;
}

void fg_shares_release(struct fg_daemon *d)
{
	if (d->shares)
		fg_shares_free(d->shares);
	free(d->shares);
	d->shares = NULL;
}
