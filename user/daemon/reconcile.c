// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A config into the datapath (reconcile.h): the plan (the new runtime, ids
 * and entries of every upstream, the policy changes), its apply through
 * d->dp, the undo of a failed one, and the commit of the new runtime.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "log.h"
#include "parse.h"
#include "pins.h"
#include "reconcile.h"

void fg_upstream_key_of(const struct fg_upstream_cfg *c, struct fg_upstream_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, c->addr, sizeof(k->addr));
	k->port = htons(c->port);
	k->proto = c->proto;
}

int fg_reconcile_plan(const struct fg_upstream_cfg *cfg, int n_cfg,
		      const struct fg_upstream_entry *map, int n_map, struct fg_plan *plan,
		      int *del)
{
	unsigned char used[FG_UPSTREAMS_MAX] = {}, in_map[FG_UPSTREAMS_MAX] = {};
	struct fg_upstream_key k;

	for (int j = 0; j < n_map; j++)
		del[j] = 1;
	for (int i = 0; i < n_cfg; i++) {
		fg_upstream_key_of(&cfg[i], &k);
		plan[i].map_idx = -1;
		plan[i].id = FG_UPSTREAMS_MAX; /* none yet */
		for (int j = 0; j < n_map; j++) {
			if (!memcmp(&map[j].key, &k, sizeof(k)) && map[j].val.id < FG_UPSTREAMS_MAX &&
			    !used[map[j].val.id]) {
				plan[i].map_idx = j;
				plan[i].id = map[j].val.id;
				used[plan[i].id] = 1;
				del[j] = 0;
				break;
			}
		}
	}
	/*
	 * New upstreams take the lowest ids no entry has, then, when the map is
	 * that full, the ids of entries to delete: a write that fails puts the
	 * deleted back, and their counters must still be theirs.
	 */
	for (int j = 0; j < n_map; j++)
		if (map[j].val.id < FG_UPSTREAMS_MAX)
			in_map[map[j].val.id] = 1;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0, id = 0; i < n_cfg; i++) {
			if (plan[i].map_idx >= 0 || plan[i].id != FG_UPSTREAMS_MAX)
				continue;
			while (id < FG_UPSTREAMS_MAX && (used[id] || (!pass && in_map[id])))
				id++;
			if (id == FG_UPSTREAMS_MAX)
				break;
			plan[i].id = id;
			used[id] = 1;
		}
	}
	for (int i = 0; i < n_cfg; i++)
		if (plan[i].id == FG_UPSTREAMS_MAX)
			return -ENOSPC;
	return 0;
}

static void apply_free(struct fg_reconcile *a)
{
	free(a->ups);
	free(a->carried);
	free(a->list);
	free(a->plan);
	free(a->del);
	fg_pset_free(&a->pset);
}

/* The new runtime: upstreams whose address did not change keep their state. */
static int plan_runtime(const struct fg_daemon *d, struct fg_reconcile *a, __u64 now)
{
	const struct fg_cfg *cfg = a->cfg;

	a->ups = calloc(cfg->n_ups + 1, sizeof(*a->ups));
	a->carried = calloc(cfg->n_ups + 1, sizeof(*a->carried));
	if (!a->ups || !a->carried)
		return -ENOMEM;
	for (int i = 0; i < cfg->n_ups; i++) {
		struct fg_ups_rt *u = &a->ups[i];

		fg_upstream_key_of(&cfg->ups[i], &u->key);
		for (int j = 0; j < d->n_ups; j++) {
			if (!memcmp(&d->ups[j].key, &u->key, sizeof(u->key))) {
				/* Same address: keep its state, take the new settings. */
				*u = d->ups[j];
				a->carried[i] = 1;
				break;
			}
		}
		u->cfg = cfg->ups[i];
		if (!a->carried[i]) {
			fg_brk_init(&u->brk, now);
			u->probe_up = 1;
		}
	}
	return 0;
}

/* The upstream entries as they are. */
static int read_upstreams(struct fg_daemon *d, struct fg_reconcile *a)
{
	a->n_map = d->dp->list_upstreams(d, &a->list);
	if (a->n_map < 0)
		snprintf(a->err, a->errlen, "reading the upstreams map: %s", strerror(-a->n_map));
	return a->n_map < 0 ? a->n_map : 0;
}

/* Ids and entries of every upstream; no two ids alike, every one in range. */
static int plan_upstreams(struct fg_daemon *d, struct fg_reconcile *a, __u64 now)
{
	unsigned char taken[FG_UPSTREAMS_MAX] = {};
	int n = a->cfg->n_ups, ret = read_upstreams(d, a);

	if (ret)
		return ret;
	a->plan = calloc(n + 1, sizeof(*a->plan));
	a->del = calloc(a->n_map + 1, sizeof(*a->del));
	if (!a->plan || !a->del)
		return -ENOMEM;
	ret = fg_reconcile_plan(a->cfg->ups, n, a->list, a->n_map, a->plan, a->del);
	for (int i = 0; !ret && i < n; i++) {
		if (a->plan[i].id >= FG_UPSTREAMS_MAX || taken[a->plan[i].id]++)
			ret = -EINVAL; /* cannot happen: the plan's own invariant */
	}
	if (ret) {
		snprintf(a->err, a->errlen, "placing %d upstreams in a map of %d: %s", n,
			 FG_UPSTREAMS_MAX, strerror(-ret));
		return ret;
	}
	for (int i = 0; i < n; i++) {
		struct fg_ups_rt *u = &a->ups[i];

		u->id = a->plan[i].id;
		if (a->plan[i].map_idx >= 0 && !a->carried[i]) {
			fg_brk_seed(&u->brk, &a->list[a->plan[i].map_idx].val, &u->cfg.brk, now);
		} else if (a->plan[i].map_idx < 0) {
			u->have_last = 0; /* a new entry: counted from its first tick */
			u->synack_carry = 0;
		}
	}
	return 0;
}

/* Policy changes one line each, or one line for a large set. */
static void log_policies(const struct fg_reconcile *a)
{
	const struct fg_pset_plan *p = &a->pset;
	char buf[64];

	if (p->added + p->changed + p->removed > 20) {
		pr_info("policies: %d added, %d changed, %d removed, %d kept\n", p->added,
			p->changed, p->removed, p->kept);
		return;
	}
	for (int k = 0; k < p->n_ops; k++) {
		const struct fg_pset_op *op = &p->ops[k];

		fg_format_prefix(op->key.addr, op->key.prefixlen, buf, sizeof(buf));
		if (op->kind == FG_PSET_PUT)
			pr_info("policy %s set\n", a->cfg->pols[op->want].prefix);
		else if (op->kind == FG_PSET_DEL)
			pr_info("policy %s removed (not in config)\n", buf);
	}
}

/* What a reload changed, said once it stands. */
static void log_applied(const struct fg_daemon *d, const struct fg_reconcile *a)
{
	if (a->repin)
		return;
	for (int j = 0; a->manage_ups && j < a->n_map; j++)
		if (a->del[j])
			pr_info("upstream %.*s removed (not in config)\n", FG_UPSTREAM_NAME_LEN,
				a->list[j].val.name);
	for (int i = 0; i < a->cfg->n_ups; i++) {
		const struct fg_ups_rt *u = &a->ups[i];

		if (a->plan[i].map_idx < 0)
			pr_info("upstream %s added\n", u->cfg.name);
		else if (!a->carried[i])
			pr_info("upstream %s: resuming %s%s from the map\n", u->cfg.name,
				fg_breaker_name(u->brk.state),
				u->brk.force != FG_FORCE_AUTO ? " (forced)" : "");
	}
	log_policies(a);
}

/* Counters from now on: a new entry's, or a resumed one's, baseline. */
static void read_counters(struct fg_daemon *d, struct fg_ups_rt *u)
{
	__u64 c[FG_U_MAX];

	if (d->dp->read_counters(d, u->id, c))
		return;
	memcpy(u->last, c, sizeof(c));
	memcpy(u->m.c, c, sizeof(c));
	u->have_last = 1;
}

/* The new runtime becomes the daemon's. */
static void commit(struct fg_daemon *d, struct fg_reconcile *a)
{
	free(d->ups);
	d->ups = a->ups;
	a->ups = NULL;
	d->n_ups = a->cfg->n_ups;
	d->metrics_dirty = 1; /* upstreams came or went */
	for (int i = 0; i < FG_UPSTREAMS_MAX; i++)
		d->idx_by_id[i] = -1;
	for (int i = 0; i < d->n_ups; i++) {
		d->idx_by_id[d->ups[i].id] = i;
		if (!a->carried[i] || a->plan[i].map_idx < 0)
			read_counters(d, &d->ups[i]); /* count only what happens from now on */
	}
}

int fg_reconcile(struct fg_daemon *d, const struct fg_cfg *cfg, int repin, int manage_ups,
		 int manage_pols, __u64 now, char *err, size_t errlen)
{
	struct fg_reconcile a = { .cfg = cfg, .repin = repin, .manage_ups = manage_ups,
				  .manage_pols = manage_pols, .err = err, .errlen = errlen };
	int ret, lost;

	snprintf(err, errlen, "out of memory");
	ret = plan_runtime(d, &a, now);
	if (!ret)
		ret = plan_upstreams(d, &a, now);
	if (!ret)
		ret = d->dp->plan_policies(d, &a);
	if (ret)
		goto out; /* nothing written */
	ret = d->dp->apply(d, &a, now);
	if (ret) {
		size_t len = strlen(err);

		lost = d->dp->undo(d, &a);
		if (lost)
			snprintf(err + len, errlen - len, "; %d map entries could not be restored",
				 lost);
		else
			snprintf(err + len, errlen - len, "; maps restored as they were");
		goto out;
	}
	log_applied(d, &a);
	commit(d, &a);
out:
	apply_free(&a);
	return ret;
}

int fg_daemon_apply_config(struct fg_daemon *d, struct fg_cfg *cfg, __u64 now, char *err,
			   size_t errlen)
{
	char why[FG_ERR_LEN + 200];
	int lk, ret;

	/* The loader refuses these; whoever else builds a config may not. */
	if (cfg->n_ups > FG_UPSTREAMS_MAX || cfg->n_pols > FG_POLICY_MAX) {
		snprintf(err, errlen, "not applied: %d upstreams and %d policies, the maps hold "
			 "at most %d and %d", cfg->n_ups, cfg->n_pols, FG_UPSTREAMS_MAX,
			 FG_POLICY_MAX);
		fg_cfg_free(cfg);
		return -E2BIG;
	}
	lk = d->dp->lock(d, cfg->daemon.pin_dir); /* the first config: d has none yet */
	/* A policy_file owns the policy set even when empty. */
	ret = fg_reconcile(d, cfg, 0, cfg->n_ups > 0 || d->manage_upstreams,
			cfg->n_pols > 0 || cfg->daemon.policy_file[0] || d->manage_policies, now,
			why, sizeof(why));
	fg_pin_dir_unlock(lk);
	if (ret) {
		snprintf(err, errlen, "not applied: %s", why);
		fg_cfg_free(cfg);
		return ret;
	}
	fg_cfg_free(&d->cfg);
	d->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	d->manage_upstreams = d->cfg.n_ups > 0;
	d->manage_policies = d->cfg.n_pols > 0 || d->cfg.daemon.policy_file[0];
	return 0;
}

