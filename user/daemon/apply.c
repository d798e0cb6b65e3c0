// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A reconcile's writes into the pinned maps (fg_dp_maps, datapath.h): the
 * policy map planned against the config's policies (policy_set.h), upstream
 * entries deleted and written, policies put and the config written, and the
 * undo that puts back, newest first, what a failed apply wrote.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "datapath.h"
#include "maps.h"
#include "parse.h"
#include "policy_set.h"

/* The policy map against the config's policies ([policy] sections and the
 * policy_file), planned whole by the library the CLI's limit load uses. */
int fg_dp_maps_plan_policies(struct fg_daemon *d, struct fg_reconcile *a)
{
	const struct fg_cfg *cfg = a->cfg;
	struct fg_policy_want *want;
	struct fg_config now;
	__u64 cap;
	int ret;

	if (!a->manage_pols)
		return 0;
	want = calloc(cfg->n_pols + 1, sizeof(*want));
	if (!want) {
		snprintf(a->err, a->errlen, "out of memory");
		return -ENOMEM;
	}
	/* In cfg->pols order: the plan's want indexes name them in the log. */
	for (int i = 0; i < cfg->n_pols; i++) {
		want[i].key = cfg->pols[i].key;
		want[i].pol = cfg->pols[i].pol;
		want[i].line = cfg->pols[i].line;
	}
	if (fg_config_get(&d->maps, &now))
		fg_config_defaults(&now);
	cap = fg_map_capacity(d->maps.policy);
	ret = fg_pset_plan(d->maps.policy, want, cfg->n_pols, now.v6_prefix,
			   cap ? cap : FG_POLICY_MAX, &a->pset, a->err, a->errlen);
	free(want);
	return ret;
}

/* A write of the apply failed with err (-errno): say which, in one line. */
static int failed(struct fg_reconcile *a, int err, const char *what, const char *name)
{
	err = err < 0 ? err : -EIO;
	snprintf(a->err, a->errlen, "%s %s: %s", what, name, strerror(-err));
	return err;
}

static int apply_upstreams(struct fg_daemon *d, struct fg_reconcile *a, __u64 now)
{
	char name[FG_UPSTREAM_NAME_LEN + 1];
	int err;

	/* Each counter counts the steps done (a failed map write changes
	 * nothing: the kernel applies an update or delete whole or not). */
	for (; a->manage_ups && a->ups_deleted < a->n_map; a->ups_deleted++) {
		const struct fg_upstream_entry *e = &a->list[a->ups_deleted];

		if (!a->del[a->ups_deleted])
			continue;
		snprintf(name, sizeof(name), "%.*s", FG_UPSTREAM_NAME_LEN, e->val.name);
		err = fg_entry_delete(&d->maps, &e->key);
		if (err && err != -ENOENT)
			return failed(a, err, "deleting upstream", name);
	}
	for (; a->ups_written < a->cfg->n_ups; a->ups_written++) {
		int idx = a->plan[a->ups_written].map_idx;
		struct fg_ups_rt *u = &a->ups[a->ups_written];
		struct fg_entry_src src;

		/* New ids are picked among those no entry has: these counters are
		 * no one's, and stay no one's if the apply is undone. */
		if (idx < 0 && ((err = fg_upstream_stats_reset(&d->maps, u->id)) ||
				(err = fg_upstream_rt_reset(&d->maps, u->id))))
			return failed(a, err, "resetting the counters of upstream", u->cfg.name);
		err = fg_entry_write(&d->maps, &u->key, idx >= 0 ? &a->list[idx].val : NULL,
				     fg_ups_src(u, &src), now, BPF_ANY, NULL);
		if (err < 0)
			return failed(a, err, "writing upstream", u->cfg.name);
	}
	return 0;
}

static int apply_policies(struct fg_daemon *d, struct fg_reconcile *a, __u64 now)
{
	struct fg_config cfg;
	int err;

	if ((err = fg_pset_apply(d->maps.policy, &a->pset, a->err, a->errlen)))
		return err;
	if (fg_config_get(&d->maps, &cfg))
		fg_config_defaults(&cfg);
	/* The plan wrote the split flags already: one generation bump. */
	if (a->pset.n_ops)
		fg_policy_gen_next(&cfg);
	cfg.stale_ns = a->cfg->daemon.stale_ns;
	cfg.probe_mark = a->cfg->daemon.probe_mark;
	cfg.heartbeat_ns = now;
	if ((err = fg_config_set(&d->maps, &cfg)))
		return failed(a, err, "writing", "config");
	return 0;
}

int fg_dp_maps_apply(struct fg_daemon *d, struct fg_reconcile *a, __u64 now)
{
	int ret = apply_upstreams(d, a, now);

	return ret ? ret : apply_policies(d, a, now);
}

/* Put back what fg_dp_maps_apply wrote, newest first; the number of entries
 * that could not be. The datapath never writes these maps, so what was read
 * is what was. */
int fg_dp_maps_undo(struct fg_daemon *d, struct fg_reconcile *a)
{
	int wrote = a->pset.done, lost = fg_pset_undo(d->maps.policy, &a->pset);

	/* Policies cached while the new ones were in: the datapath looks again. */
	if (wrote && fg_policy_bump_gen(&d->maps))
		lost++;
	/* Through the one writer, which keeps the port bits in step. */
	for (int i = a->ups_written - 1; i >= 0; i--) {
		int idx = a->plan[i].map_idx, err;

		if (idx >= 0) {
			lost += !!fg_entry_put(&d->maps, &a->list[idx].key, &a->list[idx].val,
					       BPF_ANY);
		} else {
			err = fg_entry_delete(&d->maps, &a->ups[i].key);
			lost += err && err != -ENOENT;
		}
	}
	for (int j = 0; j < a->ups_deleted && j < a->n_map; j++)
		if (a->del[j])
			lost += !!fg_entry_put(&d->maps, &a->list[j].key, &a->list[j].val, BPF_ANY);
	return lost;
}
