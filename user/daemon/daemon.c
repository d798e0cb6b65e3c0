// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgated's state, its reconcile into the maps, and its tick. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon.h"
#include "log.h"
#include "map_iter.h"
#include "parse.h"
#include "pins.h"

#define NS_PER_S 1000000000ULL

/* ---- pure helpers ------------------------------------------------------ */

static __u64 delta(const __u64 *prev, const __u64 *cur, int i)
{
	return cur[i] >= prev[i] ? cur[i] - prev[i] : cur[i];
}

static __u32 clamp32(__u64 v)
{
	return v > 0xffffffffULL ? 0xffffffffU : (__u32)v;
}

/* HTTP responses of any status between prev and cur. */
static __u64 http_answers(const __u64 *prev, const __u64 *cur)
{
	return delta(prev, cur, FG_U_HTTP_2XX) + delta(prev, cur, FG_U_HTTP_3XX) +
	       delta(prev, cur, FG_U_HTTP_4XX) + delta(prev, cur, FG_U_HTTP_429) +
	       delta(prev, cur, FG_U_HTTP_5XX);
}

void fg_classify_deltas(const __u64 prev[FG_U_MAX], const __u64 cur[FG_U_MAX],
			__u32 failure_classes, __u32 success_classes, struct fg_outcomes *o)
{
	__u64 ok = 0, failed = 0, neutral, http, synack;
	const struct {
		int counter;
		__u32 class;
	} fails[] = {
		{ FG_U_HTTP_5XX, FG_FAIL_5XX },
		{ FG_U_HTTP_429, FG_FAIL_429 },
		{ FG_U_RST, FG_FAIL_REFUSED },
	}, oks[] = {
		{ FG_U_HTTP_2XX, FG_OK_2XX },
		{ FG_U_HTTP_3XX, FG_OK_3XX },
	};

	http = http_answers(prev, cur);
	synack = delta(prev, cur, FG_U_SYNACK);
	if (success_classes & FG_OK_SYNACK)
		ok += synack > http ? synack - http : 0;
	neutral = delta(prev, cur, FG_U_HTTP_4XX);
	for (unsigned int i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
		__u64 n = delta(prev, cur, oks[i].counter);

		if (success_classes & oks[i].class)
			ok += n;
		else
			neutral += n;
	}
	for (unsigned int i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		__u64 n = delta(prev, cur, fails[i].counter);

		if (failure_classes & fails[i].class)
			failed += n;
		else
			neutral += n;
	}
	o->ok = clamp32(ok);
	o->failed = clamp32(failed);
	o->neutral = clamp32(neutral);
}

void fg_outcomes_cap(struct fg_outcomes *o, __u32 max)
{
	__u64 sum = (__u64)o->ok + o->failed;
	__u32 ok, failed;

	if (sum <= max || !max)
		return;
	ok = (__u64)o->ok * max / sum;
	failed = (__u64)o->failed * max / sum;
	if (o->ok && !ok)
		ok = 1;
	if (o->failed && !failed)
		failed = 1;
	o->ok = ok;
	o->failed = failed;
}

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

/* ---- state -------------------------------------------------------------- */

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

void fg_daemon_init(struct fg_daemon *d, int testing)
{
	struct fg_maps none = FG_MAPS_INIT;

	memset(d, 0, sizeof(*d));
	d->maps = none;
	d->testing = testing;
	d->rng = fg_now_ns() ^ ((__u64)getpid() << 32);
	for (int i = 0; i < FG_UPSTREAMS_MAX; i++)
		d->idx_by_id[i] = -1;
}

void fg_daemon_free(struct fg_daemon *d)
{
	free(d->ups);
	d->ups = NULL;
	d->n_ups = 0;
	fg_cfg_free(&d->cfg);
	fg_maps_close(&d->maps);
}

int fg_daemon_find(const struct fg_daemon *d, const char *name)
{
	for (int i = 0; i < d->n_ups; i++)
		if (!strcmp(d->ups[i].cfg.name, name))
			return i;
	return -1;
}

static int lock_dir(struct fg_daemon *d, const char *dir)
{
	int fd;

	if (d->testing)
		return -1;
	fd = fg_pin_dir_lock(dir);
	if (fd < 0) {
		static int warned;

		if (!warned++)
			pr_warn("Failed to lock %s: %s (was floodgate detached?)\n", dir,
				strerror(-fd));
	}
	return fd;
}

static int lock(struct fg_daemon *d)
{
	return lock_dir(d, d->cfg.daemon.pin_dir);
}

static void note(struct fg_daemon *d, struct fg_ups_rt *u, const struct fg_transition *t,
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

/* Every breaker change reaches the datapath through the one writer;
 * seen: the entry as the tick read it, under the same lock. */
static int write_upstream(struct fg_daemon *d, struct fg_ups_rt *u, __u64 now,
			  const struct fg_upstream *seen)
{
	struct fg_entry_src src;
	int ret;

	if (d->testing)
		return 0;
	ret = fg_entry_write(&d->maps, &u->key, seen, fg_ups_src(u, &src), now, BPF_ANY, NULL);
	if (ret < 0)
		pr_warn("Failed to update upstream %s: %s\n", u->cfg.name, strerror(-ret));
	return ret; /* 1: inserted, the port bitmap needs a sync */
}

/* ---- reconcile: planned whole, then applied; a failed write is undone ---- */

static void read_counters(struct fg_daemon *d, struct fg_ups_rt *u)
{
	__u64 c[FG_U_MAX];

	if (d->testing || fg_upstream_stats_sum(&d->maps, u->id, c))
		return;
	memcpy(u->last, c, sizeof(c));
	memcpy(u->m.c, c, sizeof(c));
	u->have_last = 1;
}

/* One change to the policy map, and what puts it back. */
struct pol_op {
	struct fg_lpm_key key;
	const struct fg_policy_cfg *want; /* NULL: delete */
	struct fg_policy old;
	int had;                          /* the key was in the map */
};

/*
 * A reconcile computed before its first write: the new runtime (d->ups is
 * left alone until commit), every upstream entry kept, added or deleted with
 * its id, and every policy change. The apply counts its steps here, so a
 * failed write undoes exactly what was written, in reverse.
 */
struct apply {
	const struct fg_cfg *cfg;
	int repin;                      /* into replaced pins: one summary line */
	int manage_ups, manage_pols;
	struct fg_ups_rt *ups;          /* cfg->n_ups of them */
	int *carried;                   /* state taken from d->ups */
	struct fg_upstream_entry *list; /* the upstreams map as read */
	int n_map;
	struct fg_plan *plan;
	int *del;
	struct pol_op *pops;
	int n_pops, n_pol_map;
	int ups_deleted, ups_written, pols_done; /* progress */
	char *err;
	size_t errlen;
};

static void apply_free(struct apply *a)
{
	free(a->ups);
	free(a->carried);
	free(a->list);
	free(a->plan);
	free(a->del);
	free(a->pops);
}

/* The new runtime: upstreams whose address did not change keep their state. */
static int plan_runtime(const struct fg_daemon *d, struct apply *a, __u64 now)
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

/* The upstreams map as it is; in testing mode, the daemon's own shadow of it. */
static int read_upstreams(const struct fg_daemon *d, struct apply *a)
{
	if (!d->testing) {
		a->n_map = fg_upstreams_read(&d->maps, &a->list);
		if (a->n_map < 0)
			snprintf(a->err, a->errlen, "reading the upstreams map: %s",
				 strerror(-a->n_map));
		return a->n_map < 0 ? a->n_map : 0;
	}
	a->list = calloc(d->n_ups + 1, sizeof(*a->list));
	if (!a->list)
		return -ENOMEM;
	for (int i = 0; i < d->n_ups; i++) {
		a->list[i].key = d->ups[i].key;
		a->list[i].val.id = d->ups[i].id;
	}
	a->n_map = d->n_ups;
	return 0;
}

/* Ids and entries of every upstream; no two ids alike, every one in range. */
static int plan_upstreams(const struct fg_daemon *d, struct apply *a, __u64 now)
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

static int key_cmp(const void *x, const void *y)
{
	return memcmp(*(const struct fg_lpm_key *const *)x, *(const struct fg_lpm_key *const *)y,
		      sizeof(struct fg_lpm_key));
}

/* The policy map against [policy] sections: deletes first, then puts. */
static int plan_policies(const struct fg_daemon *d, struct apply *a)
{
	const struct fg_cfg *cfg = a->cfg;
	const struct fg_lpm_key **sorted = NULL, *kp;
	struct fg_lpm_key *keys = NULL;
	int n, ret = -ENOMEM, after;

	if (d->testing || !a->manage_pols)
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
		struct pol_op *op = &a->pops[a->n_pops];

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
		struct pol_op *op = &a->pops[a->n_pops];

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
static int failed(struct apply *a, int err, const char *what, const char *name)
{
	err = err < 0 ? err : -EIO;
	snprintf(a->err, a->errlen, "%s %s: %s", what, name, strerror(-err));
	return err;
}

static int apply_upstreams(struct fg_daemon *d, struct apply *a, __u64 now)
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
		if (bpf_map_delete_elem(d->maps.upstreams, &e->key) && errno != ENOENT)
			return failed(a, -errno, "deleting upstream", name);
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
	if ((err = fg_upstream_ports_sync(&d->maps)))
		return failed(a, err, "writing", "upstream_ports");
	return 0;
}

static int apply_policies(struct fg_daemon *d, struct apply *a, __u64 now)
{
	struct fg_config cfg;
	char buf[64];
	int err;

	for (; a->pols_done < a->n_pops; a->pols_done++) {
		const struct pol_op *op = &a->pops[a->pols_done];

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

/* Put back what apply_* wrote, newest first; the number of entries that could
 * not be. The datapath never writes these maps, so what was read is what was. */
static int undo(struct fg_daemon *d, struct apply *a)
{
	int lost = 0;

	for (int k = a->pols_done - 1; k >= 0; k--) {
		const struct pol_op *op = &a->pops[k];

		if (op->had)
			lost += !!bpf_map_update_elem(d->maps.policy, &op->key, &op->old, BPF_ANY);
		else
			lost += bpf_map_delete_elem(d->maps.policy, &op->key) && errno != ENOENT;
	}
	/* Policies cached while the new ones were in: the datapath looks again. */
	if (a->pols_done && fg_policy_bump_gen(&d->maps))
		lost++;
	for (int i = a->ups_written - 1; i >= 0; i--) {
		int idx = a->plan[i].map_idx;

		if (idx >= 0)
			lost += !!bpf_map_update_elem(d->maps.upstreams, &a->list[idx].key,
						      &a->list[idx].val, BPF_ANY);
		else
			lost += bpf_map_delete_elem(d->maps.upstreams, &a->ups[i].key) &&
				errno != ENOENT;
	}
	for (int j = 0; j < a->ups_deleted && j < a->n_map; j++)
		if (a->del[j])
			lost += !!bpf_map_update_elem(d->maps.upstreams, &a->list[j].key,
						      &a->list[j].val, BPF_ANY);
	if (fg_upstream_ports_sync(&d->maps))
		lost++;
	return lost;
}

/* What a reload changed, said once it stands. */
static void log_applied(const struct fg_daemon *d, const struct apply *a)
{
	char buf[64];

	if (d->testing || a->repin)
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
	for (int k = 0; k < a->n_pops; k++) {
		const struct pol_op *op = &a->pops[k];

		fg_format_prefix(op->key.addr, op->key.prefixlen, buf, sizeof(buf));
		if (op->want)
			pr_info("policy %s set\n", op->want->prefix);
		else
			pr_info("policy %s removed (not in config)\n", buf);
	}
}

/* The new runtime becomes the daemon's. */
static void commit(struct fg_daemon *d, struct apply *a)
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

/*
 * Make the maps hold cfg, and d->ups its runtime: plan everything, write,
 * and on a failed write undo what was written; then nothing changed, in
 * memory or in the maps, and err says why in one line. The caller holds the
 * pin dir's lock.
 */
static int reconcile(struct fg_daemon *d, const struct fg_cfg *cfg, int repin, int manage_ups,
		     int manage_pols, __u64 now, char *err, size_t errlen)
{
	struct apply a = { .cfg = cfg, .repin = repin, .manage_ups = manage_ups,
			   .manage_pols = manage_pols, .err = err, .errlen = errlen };
	int ret, lost;

	snprintf(err, errlen, "out of memory");
	ret = plan_runtime(d, &a, now);
	if (!ret)
		ret = plan_upstreams(d, &a, now);
	if (!ret)
		ret = plan_policies(d, &a);
	if (ret)
		goto out; /* nothing written */
	if (!d->testing) {
		ret = apply_upstreams(d, &a, now);
		if (!ret)
			ret = apply_policies(d, &a, now);
	}
	if (ret) {
		size_t len = strlen(err);

		lost = undo(d, &a);
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
	lk = lock_dir(d, cfg->daemon.pin_dir); /* the first config: d has none yet */
	ret = reconcile(d, cfg, 0, cfg->n_ups > 0 || d->manage_upstreams,
			cfg->n_pols > 0 || d->manage_policies, now, why, sizeof(why));
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
	d->manage_policies = d->cfg.n_pols > 0;
	return 0;
}

/* ---- replaced pins ------------------------------------------------------- */

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
	ret = reconcile(d, &d->cfg, 1, d->manage_upstreams, d->manage_policies, now, err, errlen);
	if (ret) {
		d->maps = old;
		fg_maps_close(&m);
		return ret;
	}
	fg_maps_close(&old);
	return 0;
}

/* Follow a detach + attach: called by the tick, under the pin dir's lock. */
static void follow_pins(struct fg_daemon *d, __u64 now)
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

/* ---- tick --------------------------------------------------------------- */

struct guard_ctx {
	struct fg_daemon *d;
	struct fg_ups_rt *u;
};

/*
 * Group guard. Members not closed count as open. As with Envoy's ejection
 * limit, one member may always open (a lone upstream must be able to), unless
 * group_max_open is 0%.
 */
static int may_open(void *ctx)
{
	struct guard_ctx *g = ctx;
	__u32 open = 0, members = 0;

	for (int i = 0; i < g->d->n_ups; i++) {
		struct fg_ups_rt *o = &g->d->ups[i];

		if (strcmp(o->cfg.group, g->u->cfg.group))
			continue;
		members++;
		if (o != g->u && o->brk.state != FG_BREAKER_CLOSED)
			open++;
	}
	if (!g->u->cfg.group_max_open_pct)
		return 0;
	if (open == 0 || fg_group_may_open(open, members, g->u->cfg.group_max_open_pct)) {
		g->u->guard_logged = 0;
		return 1;
	}
	if (g->u->guard_logged++)
		return 0;
	pr_warn("upstream %s: stays closed: %u of %u in group %s are open already (max %u%%)\n",
		g->u->cfg.name, open, members, g->u->cfg.group, g->u->cfg.group_max_open_pct);
	return 0;
}

/* One pending SYN: a connect timeout when older than its upstream's limit. */
static void sweep_one(struct fg_daemon *d, const struct fg_flow_key *key,
		      const struct fg_pending *v, __u64 max_timeout, __u64 now)
{
	int i = v->upstream_id < FG_UPSTREAMS_MAX ? d->idx_by_id[v->upstream_id] : -1;
	__u64 limit = i >= 0 ? d->ups[i].cfg.connect_timeout_ns : max_timeout;

	if (v->first_ns >= now || now - v->first_ns <= limit)
		return;
	/* A probe's unanswered SYN is the probe's own failure, not ours. */
	if (bpf_map_delete_elem(d->maps.pending_syn, key) == 0 && i >= 0 &&
	    !(v->flags & FG_PENDING_PROBE)) {
		d->ups[i].pend_timeouts++;
		d->ups[i].m.timeouts++;
	}
}

/*
 * Connection attempts unanswered for longer than connect_timeout: failures.
 * Read in batches (a SYN flood can fill the map: 64k entries cost a few
 * syscalls, not 200k); the key-by-key walk is the fallback.
 */
static void sweep_pending(struct fg_daemon *d, __u64 now)
{
	enum { CHUNK = 4096 };
	static struct fg_flow_key keys[CHUNK];
	static struct fg_pending vals[CHUNK];
	struct fg_map_batch b = { .fd = d->maps.pending_syn };
	struct fg_flow_key key, next;
	__u64 max_timeout = 0;
	int have, guard;

	for (int i = 0; i < d->n_ups; i++)
		if (d->ups[i].cfg.connect_timeout_ns > max_timeout)
			max_timeout = d->ups[i].cfg.connect_timeout_ns;
	if (!max_timeout)
		max_timeout = 2 * NS_PER_S;

	for (guard = 0;; guard++) {
		int count = fg_map_batch_next(&b, keys, vals, CHUNK);

		if (count < 0)
			break; /* not supported: walk key by key below */
		for (int k = 0; k < count; k++)
			sweep_one(d, &keys[k], &vals[k], max_timeout, now);
		if (b.done || guard > FG_PENDING_SYN_MAX / CHUNK + 1)
			return; /* done: the whole map was read */
	}

	have = bpf_map_get_next_key(d->maps.pending_syn, NULL, &key) == 0;
	for (guard = 0; have && guard < FG_PENDING_SYN_MAX; guard++) {
		/* Step first: deleting the current key must not restart the walk. */
		int more = bpf_map_get_next_key(d->maps.pending_syn, &key, &next) == 0;
		struct fg_pending v;

		if (bpf_map_lookup_elem(d->maps.pending_syn, &key, &v) == 0)
			sweep_one(d, &key, &v, max_timeout, now);
		key = next;
		have = more;
	}
}

/* Mirror a force the CLI wrote into the map; a CLI "auto" hands it back. */
static void sync_forced(struct fg_daemon *d, struct fg_ups_rt *u, const struct fg_upstream *cur,
			__u64 now)
{
	enum fg_force want = FG_FORCE_AUTO;
	struct fg_transition t;

	if (cur->forced)
		want = cur->state == FG_BREAKER_OPEN ? FG_FORCE_OPEN : FG_FORCE_CLOSED;
	if (want == u->brk.force)
		return;
	if (fg_brk_force(&u->brk, want, now, &t))
		note(d, u, &t, now, ", by the CLI");
	else
		pr_info("upstream %s: %s by the CLI\n", u->cfg.name,
			want == FG_FORCE_AUTO ? "handed back (auto)" : "forced");
}

static void feed(struct fg_daemon *d, struct fg_ups_rt *u, enum fg_outcome o, __u32 n,
		 __u64 now)
{
	struct guard_ctx g = { d, u };
	struct fg_transition t;

	for (__u32 k = 0; k < n; k++)
		if (fg_brk_record(&u->brk, &u->cfg.brk, o, now, fg_daemon_rand, d, may_open, &g,
				  &t))
			note(d, u, &t, now, "");
}

/*
 * fg_classify_deltas counts the SYN-ACKs beyond this tick's HTTP responses
 * as successes at once. But a response often arrives in the tick after its
 * SYN-ACK (whenever a tick boundary falls between the two): that connection
 * would count as a success and then as a failure, and the success resets
 * the consecutive-failure count, so an upstream answering every request
 * with 503 may not trip at the Nth. So a SYN-ACK with no status waits one
 * tick: this tick's responses first answer the SYN-ACKs carried from the
 * last one, and carried ones still unanswered count as successes now (a TCP
 * upstream, or one that accepted and said nothing). Called before u->last
 * moves to c.
 */
static void settle_synacks(struct fg_ups_rt *u, const __u64 *c, struct fg_outcomes *o)
{
	__u64 synack = delta(u->last, c, FG_U_SYNACK), http = http_answers(u->last, c);
	__u64 answered, counted;

	counted = synack > http ? synack - http : 0; /* what classify made successes */
	o->ok -= counted < o->ok ? (__u32)counted : o->ok;
	answered = u->synack_carry < http ? u->synack_carry : http;
	o->ok = clamp32((__u64)o->ok + u->synack_carry - answered);
	http -= answered;
	u->synack_carry = clamp32(synack > http ? synack - http : 0);
}

/* Outcomes of upstream u for this tick, in a fixed order: successes, then
 * failures (passive, connect timeouts, probes). */
static void decide(struct fg_daemon *d, struct fg_ups_rt *u, const __u64 *c, __u64 now)
{
	struct fg_outcomes o = {};
	struct fg_transition t;
	__u32 fc = u->cfg.failure_classes, sc = u->cfg.success_classes;

	if (c && u->have_last) {
		fg_classify_deltas(u->last, c, fc, sc, &o);
		if (sc & FG_OK_SYNACK)
			settle_synacks(u, c, &o);
	}
	if (c) {
		memcpy(u->last, c, sizeof(u->last));
		memcpy(u->m.c, c, sizeof(u->m.c));
		u->have_last = 1;
	}
	if (sc & FG_OK_PROBE)
		o.ok += u->pend_probe_ok;
	if (fc & FG_FAIL_TIMEOUT)
		o.failed += u->pend_timeouts;
	if (fc & FG_FAIL_PROBE)
		o.failed += u->pend_probe_failed;
	u->pend_probe_ok = u->pend_probe_failed = u->pend_timeouts = 0;
	fg_outcomes_cap(&o, FG_TICK_OUTCOMES_MAX);

	feed(d, u, FG_OUT_SUCCESS, o.ok, now);
	feed(d, u, FG_OUT_FAILURE, o.failed, now);
	if (fg_brk_tick(&u->brk, &u->cfg.brk, now, &t))
		note(d, u, &t, now, "");
}

/*
 * What a tick reads: every upstream's entry and counters, by batch lookups
 * (a few bpf() calls a tick instead of three per upstream: with 1,000
 * upstreams and a 100 ms tick those were 30,000 calls a second, most of the
 * daemon's CPU). Where a batch lookup fails (a kernel without them), the
 * tick reads upstream by upstream as before.
 */
enum { STATS_CHUNK = 128 };
static struct {
	struct fg_upstream_key keys[FG_UPSTREAMS_MAX];
	struct fg_upstream vals[FG_UPSTREAMS_MAX];
	short entry_of[FG_UPSTREAMS_MAX];      /* upstream index -> vals index, or -1 */
	__u64 sums[FG_UPSTREAMS_MAX][FG_U_MAX]; /* by id */
	unsigned char have_sum[FG_UPSTREAMS_MAX];
	__u32 ids[STATS_CHUNK];
	struct fg_upstream_stats *percpu;      /* STATS_CHUNK x ncpu */
	int ncpu;
} tb;

/* Entries of the upstreams map into tb.entry_of; 0, or -1: read one by one. */
static int read_entries(struct fg_daemon *d)
{
	struct fg_map_batch b = { .fd = d->maps.upstreams };
	__u32 total = 0;

	for (int i = 0; i < d->n_ups; i++)
		tb.entry_of[i] = -1;
	for (int guard = 0; guard < 64 && total < FG_UPSTREAMS_MAX && !b.done; guard++) {
		int count = fg_map_batch_next(&b, tb.keys + total, tb.vals + total,
					      FG_UPSTREAMS_MAX - total);

		if (count < 0)
			return -1;
		total += count;
	}
	for (__u32 j = 0; j < total; j++) {
		__u32 id = tb.vals[j].id;
		int i = id < FG_UPSTREAMS_MAX ? d->idx_by_id[id] : -1;

		if (i >= 0 && !memcmp(&tb.keys[j], &d->ups[i].key, sizeof(tb.keys[j])))
			tb.entry_of[i] = j;
	}
	return 0;
}

/* Counters of ids 0..max id in use into tb.sums; 0, or -1: read one by one. */
static int read_sums(struct fg_daemon *d)
{
	struct fg_map_batch b = { .fd = d->maps.upstream_stats };
	__u32 end = 0, start = 0;

	if (!tb.percpu) {
		tb.ncpu = libbpf_num_possible_cpus();
		if (tb.ncpu < 1)
			return -1;
		tb.percpu = calloc((size_t)STATS_CHUNK * tb.ncpu, sizeof(*tb.percpu));
		if (!tb.percpu)
			return -1;
	}
	for (int i = 0; i < d->n_ups; i++)
		if (d->ups[i].id < FG_UPSTREAMS_MAX && d->ups[i].id + 1 > end)
			end = d->ups[i].id + 1;
	memset(tb.have_sum, 0, end);
	/* An array's batch position is the last index read: the walk stops
	 * after the highest id in use, not at the array's end. */
	while (start < end) {
		int count = fg_map_batch_next(&b, tb.ids, tb.percpu,
					      end - start < STATS_CHUNK ? end - start : STATS_CHUNK);

		if (count < 0)
			return -1;
		if (!count)
			break;
		for (int k = 0; k < count; k++) {
			__u32 id = tb.ids[k];

			if (id >= FG_UPSTREAMS_MAX)
				continue;
			fg_upstream_stats_fold(tb.percpu + (size_t)k * tb.ncpu, tb.ncpu, tb.sums[id]);
			tb.have_sum[id] = 1;
		}
		start = tb.ids[count - 1] + 1;
	}
	return 0;
}

int fg_daemon_tick(struct fg_daemon *d, __u64 now)
{
	struct fg_config cfg;
	int lk, ports = 0, batch_entries, batch_sums;

	if (d->testing) {
		for (int i = 0; i < d->n_ups; i++)
			decide(d, &d->ups[i], d->ups[i].have_test_c ? d->ups[i].test_c : NULL, now);
		return 0;
	}
	lk = lock(d);
	follow_pins(d, now);
	if (fg_config_get(&d->maps, &cfg) == 0) {
		cfg.heartbeat_ns = now;
		fg_config_set(&d->maps, &cfg);
	}
	if (d->n_ups)
		sweep_pending(d, now);
	batch_entries = d->n_ups ? read_entries(d) == 0 : 0;
	batch_sums = d->n_ups ? read_sums(d) == 0 : 0;
	for (int i = 0; i < d->n_ups; i++) {
		struct fg_ups_rt *u = &d->ups[i];
		struct fg_upstream cur;
		const struct fg_upstream *seen = NULL;
		__u64 c[FG_U_MAX];
		int have, have_c;

		if (batch_entries) {
			have = tb.entry_of[i] >= 0;
			if (have)
				cur = tb.vals[tb.entry_of[i]];
		} else {
			have = bpf_map_lookup_elem(d->maps.upstreams, &u->key, &cur) == 0;
		}
		if (have) {
			u->missing_logged = 0;
			sync_forced(d, u, &cur, now);
			seen = &cur;
		} else if (!u->missing_logged++) {
			pr_warn("upstream %s: gone from the map (floodgate upstream del?); "
				"restoring it from the config\n", u->cfg.name);
		}
		if (batch_sums && u->id < FG_UPSTREAMS_MAX) {
			have_c = tb.have_sum[u->id];
			if (have_c)
				memcpy(c, tb.sums[u->id], sizeof(c));
		} else {
			have_c = fg_upstream_stats_sum(&d->maps, u->id, c) == 0;
		}
		decide(d, u, have_c ? c : NULL, now);
		if (write_upstream(d, u, now, seen) > 0)
			ports = 1;
	}
	if (ports)
		fg_upstream_ports_sync(&d->maps);
	fg_pin_dir_unlock(lk);
	return 0;
}

void fg_daemon_test_counters(struct fg_daemon *d, int i, const __u64 c[FG_U_MAX])
{
	if (i < 0 || i >= d->n_ups)
		return;
	memcpy(d->ups[i].test_c, c, sizeof(d->ups[i].test_c));
	d->ups[i].have_test_c = 1;
}

void fg_daemon_probe_result(struct fg_daemon *d, int i, int pass, __u64 duration_ns,
			    const char *detail)
{
	struct fg_ups_rt *u;

	if (i < 0 || i >= d->n_ups)
		return;
	u = &d->ups[i];
	u->m.probed = 1;
	u->m.probe_last_ns = duration_ns;
	if (pass) {
		u->m.probe_pass++;
		u->pend_probe_ok++;
		u->probe_streak = u->probe_streak > 0 ? u->probe_streak + 1 : 1;
		if (!u->probe_up && (__u32)u->probe_streak >= u->cfg.rise) {
			u->probe_up = 1;
			pr_info("upstream %s: probe up (%d passes in a row)\n", u->cfg.name,
				u->probe_streak);
		}
	} else {
		u->m.probe_fail++;
		u->pend_probe_failed++;
		u->probe_streak = u->probe_streak < 0 ? u->probe_streak - 1 : -1;
		if (u->probe_up && (__u32)-u->probe_streak >= u->cfg.fall) {
			u->probe_up = 0;
			pr_info("upstream %s: probe down (%d failures in a row, last: %s)\n",
				u->cfg.name, -u->probe_streak, detail ? detail : "failed");
		}
	}
	pr_debug("upstream %s: probe %s in %.1f ms%s%s\n", u->cfg.name, pass ? "pass" : "fail",
		 duration_ns / 1e6, detail ? ": " : "", detail ? detail : "");
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
	lk = lock(d);
	if (fg_brk_force(&u->brk, f, now, &t))
		note(d, u, &t, now, ", by the control socket");
	ret = write_upstream(d, u, now, NULL);
	if (ret > 0) {
		fg_upstream_ports_sync(&d->maps);
		ret = 0;
	}
	fg_pin_dir_unlock(lk);
	if (ret)
		snprintf(err, errlen, "Failed to update upstream %s: %s", name, strerror(-ret));
	return ret;
}
