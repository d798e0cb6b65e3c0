// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The datapath in memory (fake_datapath.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fake_datapath.h"
#include "fleet_share.h"

struct fake {
	struct fg_upstream_entry ent[FG_UPSTREAMS_MAX]; /* the upstreams map */
	int n;
	__u64 c[FG_UPSTREAMS_MAX][FG_U_MAX];           /* upstream_stats, by id */
	unsigned char have_c[FG_UPSTREAMS_MAX];        /* handed by the test */
	struct fg_hot_read hot[FAKE_HOT_MAX];          /* the hot map, as a test set it */
	int n_hot;
	struct fg_bucket_key share_key[FAKE_HOT_MAX];  /* the shares map */
	struct fg_share share[FAKE_HOT_MAX];
	int n_share;
};

static struct fake *fake(struct fg_daemon *d)
{
	if (!d->dp_state)
		d->dp_state = calloc(1, sizeof(struct fake));
	if (!d->dp_state)
		abort(); /* a test without memory cannot say anything */
	return d->dp_state;
}

static struct fg_upstream_entry *find(struct fake *f, const struct fg_upstream_key *k)
{
	for (int j = 0; j < f->n; j++)
		if (!memcmp(&f->ent[j].key, k, sizeof(*k)))
			return &f->ent[j];
	return NULL;
}

/* What fg_entry_write does to a map: 1 inserted, 0 updated or unchanged. */
static int put(struct fake *f, const struct fg_ups_rt *u, __u64 now)
{
	struct fg_upstream_entry *e = find(f, &u->key);
	struct fg_entry_src src;
	struct fg_upstream out;

	if (!fg_entry_merge(e ? &e->val : NULL, fg_ups_src(u, &src), now, &out))
		return 0;
	if (e) {
		e->val = out;
		return 0;
	}
	if (f->n == FG_UPSTREAMS_MAX)
		return -E2BIG;
	f->ent[f->n++] = (struct fg_upstream_entry){ .key = u->key, .val = out };
	return 1;
}

static void del(struct fake *f, const struct fg_upstream_key *k)
{
	struct fg_upstream_entry *e = find(f, k);

	if (e)
		*e = f->ent[--f->n];
}

void fake_dp_counters(struct fg_daemon *d, int i, const __u64 c[FG_U_MAX])
{
	struct fake *f = fake(d);
	__u32 id;

	if (i < 0 || i >= d->n_ups || (id = d->ups[i].id) >= FG_UPSTREAMS_MAX)
		return;
	memcpy(f->c[id], c, sizeof(f->c[id]));
	f->have_c[id] = 1;
}

static int lock(struct fg_daemon *d, const char *dir)
{
	return -1;
}

static void nothing(struct fg_daemon *d, __u64 now)
{
}

static int read_upstreams(struct fg_daemon *d, const struct fg_upstream **entry,
			  const __u64 **c)
{
	struct fake *f = fake(d);

	for (int i = 0; i < d->n_ups; i++) {
		const struct fg_upstream_entry *e = find(f, &d->ups[i].key);
		__u32 id = d->ups[i].id;

		entry[i] = e ? &e->val : NULL;
		c[i] = id < FG_UPSTREAMS_MAX && f->have_c[id] ? f->c[id] : NULL;
	}
	return 0;
}

static int read_counters(struct fg_daemon *d, __u32 id, __u64 c[FG_U_MAX])
{
	struct fake *f = fake(d);

	if (id >= FG_UPSTREAMS_MAX || !f->have_c[id])
		return -ENOENT;
	memcpy(c, f->c[id], sizeof(f->c[id]));
	return 0;
}

static int write_entry(struct fg_daemon *d, struct fg_ups_rt *u, __u64 now,
		       const struct fg_upstream *seen)
{
	return put(fake(d), u, now);
}

static int list_upstreams(struct fg_daemon *d, struct fg_upstream_entry **list)
{
	struct fake *f = fake(d);

	*list = calloc(f->n + 1, sizeof(**list));
	if (!*list)
		return -ENOMEM;
	memcpy(*list, f->ent, f->n * sizeof(**list));
	return f->n;
}

static int plan_policies(struct fg_daemon *d, struct fg_reconcile *r)
{
	return 0; /* no policy map: no change to plan */
}

/* As the real apply: deletes, then every entry, a new one's counters
 * starting from nothing. Nothing fails, so nothing is undone. */
static int apply(struct fg_daemon *d, struct fg_reconcile *r, __u64 now)
{
	struct fake *f = fake(d);
	int ret;

	for (; r->manage_ups && r->ups_deleted < r->n_map; r->ups_deleted++)
		if (r->del[r->ups_deleted])
			del(f, &r->list[r->ups_deleted].key);
	for (; r->ups_written < r->cfg->n_ups; r->ups_written++) {
		const struct fg_ups_rt *u = &r->ups[r->ups_written];

		if (r->plan[r->ups_written].map_idx < 0 && u->id < FG_UPSTREAMS_MAX)
			f->have_c[u->id] = 0;
		if ((ret = put(f, u, now)) < 0)
			return ret;
	}
	return 0;
}

static int undo(struct fg_daemon *d, struct fg_reconcile *r)
{
	return 0;
}

static void snapshot(const struct fg_daemon *d, struct fg_dp_snapshot *s)
{
}

static void release(struct fg_daemon *d)
{
	free(d->dp_state);
}

static int hot_find(const struct fake *f, const struct fg_bucket_key *k)
{
	for (int j = 0; j < f->n_hot; j++)
		if (!memcmp(&f->hot[j].key, k, sizeof(*k)))
			return j;
	return -1;
}

static int share_find(const struct fake *f, const struct fg_bucket_key *k)
{
	for (int j = 0; j < f->n_share; j++)
		if (!memcmp(&f->share_key[j], k, sizeof(*k)))
			return j;
	return -1;
}

void fake_dp_hot(struct fg_daemon *d, const struct fg_bucket_key *k, const struct fg_hot *v)
{
	struct fake *f = fake(d);
	int j = hot_find(f, k);

	if (j < 0 && f->n_hot < FAKE_HOT_MAX)
		j = f->n_hot++;
	if (j >= 0)
		f->hot[j] = (struct fg_hot_read){ .key = *k, .v = *v };
}

int fake_dp_share(struct fg_daemon *d, const struct fg_bucket_key *k, struct fg_share *out)
{
	struct fake *f = fake(d);
	int j = share_find(f, k);

	if (j < 0)
		return -ENOENT;
	*out = f->share[j];
	return 0;
}

int fake_dp_has_hot(struct fg_daemon *d, const struct fg_bucket_key *k)
{
	return hot_find(fake(d), k) >= 0;
}

static int read_hot(struct fg_daemon *d, struct fg_hot_read *out, int max)
{
	struct fake *f = fake(d);
	int n = f->n_hot < max ? f->n_hot : max;

	memcpy(out, f->hot, n * sizeof(*out));
	return n;
}

static int write_share(struct fg_daemon *d, const struct fg_bucket_key *k,
		       const struct fg_share *s)
{
	struct fake *f = fake(d);
	int j = share_find(f, k);

	if (!s) {
		if (j >= 0) {
			f->share_key[j] = f->share_key[--f->n_share];
			f->share[j] = f->share[f->n_share];
		}
		return 0;
	}
	if (j < 0) {
		if (f->n_share == FAKE_HOT_MAX)
			return -E2BIG;
		j = f->n_share++;
	}
	f->share_key[j] = *k;
	f->share[j] = *s;
	return 0;
}

static int del_hot(struct fg_daemon *d, const struct fg_bucket_key *k)
{
	struct fake *f = fake(d);
	int j = hot_find(f, k);

	if (j >= 0)
		f->hot[j] = f->hot[--f->n_hot];
	return 0;
}

const struct fg_dp_ops fake_dp = {
	.lock = lock,
	.follow_pins = nothing,
	.heartbeat = nothing,
	.sweep_pending = nothing,
	.read_upstreams = read_upstreams,
	.read_counters = read_counters,
	.write_entry = write_entry,
	.list_upstreams = list_upstreams,
	.plan_policies = plan_policies,
	.apply = apply,
	.undo = undo,
	.snapshot = snapshot,
	.read_hot = read_hot,
	.write_share = write_share,
	.del_hot = del_hot,
	.release = release,
};
