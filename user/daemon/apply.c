// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A reconcile's writes into the pinned maps (fg_dp_maps, datapath.h): the
 * policy map planned against the [policy] sections, upstream entries
 * deleted and written, policies put and the config written, and the undo
 * that puts back, newest first, what a failed apply wrote.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "datapath.h"
#include "map_iter.h"
#include "parse.h"

static int key_cmp(const void *x, const void *y)
{
	return memcmp(*(const struct fg_lpm_key *const *)x, *(const struct fg_lpm_key *const *)y,
		      sizeof(struct fg_lpm_key));
}

/* The policy map against [policy] sections: deletes first, then puts. */
int fg_dp_maps_plan_policies(struct fg_daemon *d, struct fg_reconcile *a)
{
	const struct fg_cfg *cfg = a->cfg;
	const struct fg_lpm_key **sorted = NULL, *kp;
	struct fg_lpm_key *keys = NULL;
	int n, ret = -ENOMEM, after;

	if (!a->manage_pols)
		return 0;
	keys = calloc(FG_POLICY_MAX, sizeof(*keys));
	sorted = calloc(cfg->n_pols + 1, sizeof(*sorted));
	if (!keys || !sorted)
		goto out;
	n = fg_map_keys(d->maps.policy, keys, sizeof(*keys), FG_POLICY_MAX);
	a->n_pol_map = n;
	a->pops = calloc(n + cfg->n_pols + 1, sizeof(*a->pops));
	if (!a->pops)
		goto out;
	/* Sorted, so a large policy set is matched in n log n, not n². */
	for (int i = 0; i < cfg->n_pols; i++)
		sorted[i] = &cfg->pols[i].key;
	qsort(sorted, cfg->n_pols, sizeof(*sorted), key_cmp);
	for (int j = 0; j < n; j++) {
		struct fg_pol_op *op = &a->pops[a->n_pops];

		kp = &keys[j];
		if (bsearch(&kp, sorted, cfg->n_pols, sizeof(*sorted), key_cmp))
			continue;
		op->key = keys[j];
		if (bpf_map_lookup_elem(d->maps.policy, &op->key, &op->old) == 0) {
			op->had = 1;
			a->n_pops++;
		}
	}
	after = n - a->n_pops;
	for (int i = 0; i < cfg->n_pols; i++) {
		struct fg_pol_op *op = &a->pops[a->n_pops];

		op->key = cfg->pols[i].key;
		op->want = &cfg->pols[i];
		op->had = bpf_map_lookup_elem(d->maps.policy, &op->key, &op->old) == 0;
		if (op->had && fg_policy_same(&op->old, &op->want->pol))
			continue;
		after += !op->had;
		a->n_pops++;
	}
	ret = 0;
	if (after > FG_POLICY_MAX) {
		snprintf(a->err, a->errlen, "the policy map would hold %d policies, at most %d",
			 after, FG_POLICY_MAX);
		ret = -E2BIG;
	}
out:
	if (ret == -ENOMEM)
		snprintf(a->err, a->errlen, "out of memory");
	free(keys);
	free(sorted);
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
	char buf[64];
	int err;

	for (; a->pols_done < a->n_pops; a->pols_done++) {
		const struct fg_pol_op *op = &a->pops[a->pols_done];

		if (op->want &&
		    bpf_map_update_elem(d->maps.policy, &op->key, &op->want->pol, BPF_ANY))
			return failed(a, -errno, "writing policy", op->want->prefix);
		if (!op->want && bpf_map_delete_elem(d->maps.policy, &op->key) && errno != ENOENT) {
			err = -errno;
			fg_format_prefix(op->key.addr, op->key.prefixlen, buf, sizeof(buf));
			return failed(a, err, "deleting policy", buf);
		}
	}
	if (fg_config_get(&d->maps, &cfg))
		fg_config_defaults(&cfg);
	if (a->n_pops) {
		if ((err = fg_policy_derive(&d->maps, cfg.v6_prefix)))
			return failed(a, err, "deriving", "policy flags");
		fg_policy_gen_next(&cfg);
	}
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
	int lost = 0;

	for (int k = a->pols_done - 1; k >= 0; k--) {
		const struct fg_pol_op *op = &a->pops[k];

		if (op->had)
			lost += !!bpf_map_update_elem(d->maps.policy, &op->key, &op->old, BPF_ANY);
		else
			lost += bpf_map_delete_elem(d->maps.policy, &op->key) && errno != ENOENT;
	}
	/* Policies cached while the new ones were in: the datapath looks again. */
	if (a->pols_done && fg_policy_bump_gen(&d->maps))
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
