// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* A policy set planned against the policy map and applied as one change
 * (policy_set.h: the order of the writes and why). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "maps.h"
#include "parse.h"
#include "policy_set.h"

/* A key with where it came from: sorted by key, searched with bsearch. */
struct keyed {
	struct fg_lpm_key key;
	int idx;
};

static int keyed_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct fg_lpm_key));
}

static int mark(const struct keyed *sorted, int n, __u32 v6_prefix, __u8 *split)
{
	for (int i = 0; i < n; i++) {
		const struct fg_lpm_key *k = &sorted[i].key;
		struct keyed probe = {};
		const struct keyed *hit;

		if (k->prefixlen <= v6_prefix || fg_is_v4_mapped(k->addr))
			continue;
		/* The trie's answer to a lookup of the /v6_prefix around k: the
		 * longest prefix of at most v6_prefix bits that holds it. */
		for (int len = v6_prefix; len >= 0; len--) {
			probe.key.prefixlen = len;
			memcpy(probe.key.addr, k->addr, FG_ADDR_LEN);
			fg_mask_prefix(probe.key.addr, len);
			hit = bsearch(&probe, sorted, n, sizeof(*sorted), keyed_cmp);
			if (hit) {
				split[hit->idx] = 1;
				break;
			}
		}
	}
	return 0;
}

int fg_pset_splits(const struct fg_lpm_key *keys, size_t stride, int n, __u32 v6_prefix,
		   __u8 *split)
{
	struct keyed *s = calloc(n + 1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		s[i].key = *(const struct fg_lpm_key *)((const char *)keys + i * stride);
		s[i].idx = i;
		split[i] = 0;
	}
	qsort(s, n, sizeof(*s), keyed_cmp);
	mark(s, n, v6_prefix, split);
	free(s);
	return 0;
}

/* The map as it is: keys and policies, sorted by key. */
struct entry {
	struct fg_lpm_key key;
	struct fg_policy pol;
};

static int read_map(int fd, struct entry **out, int *n_out)
{
	struct fg_lpm_key cur, *prev = NULL;
	struct entry *e = NULL, *grown;
	int n = 0, size = 0;

	while (bpf_map_get_next_key(fd, prev, &cur) == 0) {
		if (n == size) {
			size = size ? 2 * size : 1024;
			grown = realloc(e, size * sizeof(*e));
			if (!grown) {
				free(e);
				return -ENOMEM;
			}
			e = grown;
		}
		e[n].key = cur;
		/* The caller holds the pin dir's lock and the datapath never
		 * deletes policies: a failed lookup is only skipped. */
		if (bpf_map_lookup_elem(fd, &cur, &e[n].pol) == 0)
			n++;
		prev = &cur;
	}
	if (n)
		qsort(e, n, sizeof(*e), keyed_cmp);
	*out = e;
	*n_out = n;
	return 0;
}

/* The phases of policy_set.h's order, 1 to 5 there. */
enum { PH_SPLIT_ON, PH_PUT, PH_DEL, PH_PUT_LATE, PH_SPLIT_OFF, PH_MAX };

struct draft {
	struct fg_pset_op *ops; /* in the order they were planned */
	__u8 *phase;
	int n;
};

static struct fg_pset_op *add_op(struct draft *d, int phase, enum fg_pset_kind kind,
				 const struct fg_lpm_key *key)
{
	struct fg_pset_op *op = &d->ops[d->n];

	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->key = *key;
	op->want = -1;
	d->phase[d->n++] = phase;
	return op;
}

/* A policy in both the map (old) and the set (w, final split flag). */
static void plan_both(struct draft *d, struct fg_pset_plan *p, const struct entry *old,
		      const struct fg_policy_want *w, int wi, int split)
{
	int had_split = !!(old->pol.flags & FG_POL_SPLIT);
	struct fg_pset_op *op;

	if (!fg_policy_same(&old->pol, &w->pol)) {
		p->changed++;
		op = add_op(d, PH_PUT, FG_PSET_PUT, &old->key);
		op->pol = w->pol;
		op->pol.flags = (split || had_split) ? FG_POL_SPLIT : 0;
		op->pol.admit_tat = op->pol.overflow_tat = 0;
	} else {
		p->kept++;
		if (split == had_split)
			return;
		op = add_op(d, split ? PH_SPLIT_ON : PH_SPLIT_OFF, FG_PSET_SPLIT, &old->key);
		op->split = split;
	}
	op->want = wi;
	op->old = old->pol;
	op->had = 1;
	if (op->kind == FG_PSET_PUT && had_split && !split) {
		op = add_op(d, PH_SPLIT_OFF, FG_PSET_SPLIT, &old->key);
		op->split = 0, op->want = wi, op->old = old->pol, op->had = 1;
	}
}

static void plan_add(struct draft *d, struct fg_pset_plan *p, const struct fg_policy_want *w,
		     int wi, int split, int *room)
{
	struct fg_pset_op *op;

	p->added++;
	/* Old and new at once only while the map holds both. */
	op = add_op(d, *room > 0 ? PH_PUT : PH_PUT_LATE, FG_PSET_PUT, &w->key);
	(*room)--;
	op->pol = w->pol;
	op->pol.flags = split ? FG_POL_SPLIT : 0;
	op->pol.admit_tat = op->pol.overflow_tat = 0;
	op->want = wi;
}

/* Merge the sorted set and map into d. */
static void plan_merge(struct draft *d, struct fg_pset_plan *p, const struct fg_policy_want *want,
		       const struct keyed *ws, int n, const __u8 *split,
		       const struct entry *map, int n_map, int room)
{
	int i = 0, j = 0;

	while (i < n || j < n_map) {
		int c = i == n ? 1 : j == n_map ? -1 : keyed_cmp(&ws[i].key, &map[j].key);
		int wi = i < n ? ws[i].idx : -1;

		if (c == 0) {
			plan_both(d, p, &map[j], &want[wi], wi, split[wi]);
			i++, j++;
		} else if (c < 0) {
			plan_add(d, p, &want[wi], wi, split[wi], &room);
			i++;
		} else {
			struct fg_pset_op *op = add_op(d, PH_DEL, FG_PSET_DEL, &map[j].key);

			op->old = map[j].pol;
			op->had = 1;
			p->removed++;
			j++;
		}
	}
}

static int by_want(const void *x, const void *y)
{
	const struct fg_pset_op *a = x, *b = y;

	return (a->want > b->want) - (a->want < b->want);
}

/* d's ops into p->ops by phase; the writes of a phase in the set's own
 * order (a file's, a config's: a failed write is the first one there). */
static int order(struct draft *d, struct fg_pset_plan *p)
{
	int at = 0, from;

	p->ops = calloc(d->n + 1, sizeof(*p->ops));
	if (!p->ops)
		return -ENOMEM;
	for (int ph = 0; ph < PH_MAX; ph++) {
		from = at;
		for (int k = 0; k < d->n; k++)
			if (d->phase[k] == ph)
				p->ops[at++] = d->ops[k];
		if ((ph == PH_PUT || ph == PH_PUT_LATE) && at > from)
			qsort(p->ops + from, at - from, sizeof(*p->ops), by_want);
	}
	p->n_ops = at;
	return 0;
}

/* want sorted into ws; -EINVAL (err says which) if a prefix is there twice. */
static int sort_set(const struct fg_policy_want *want, int n, struct keyed *ws, char *err,
		    size_t errlen)
{
	char buf[64];

	for (int i = 0; i < n; i++) {
		ws[i].key = want[i].key;
		ws[i].idx = i;
	}
	qsort(ws, n, sizeof(*ws), keyed_cmp);
	for (int i = 1; i < n; i++) {
		if (keyed_cmp(&ws[i - 1].key, &ws[i].key))
			continue;
		fg_format_prefix(ws[i].key.addr, ws[i].key.prefixlen, buf, sizeof(buf));
		snprintf(err, errlen, "%s: the same prefix twice (lines %d and %d)", buf,
			 want[ws[i - 1].idx].line, want[ws[i].idx].line);
		return -EINVAL;
	}
	return 0;
}

int fg_pset_plan(int map_fd, const struct fg_policy_want *want, int n, __u32 v6_prefix,
		 __u32 cap, struct fg_pset_plan *p, char *err, size_t errlen)
{
	struct draft d = {};
	struct entry *map = NULL;
	struct keyed *ws;
	__u8 *split;
	int ret, n_map = 0;

	memset(p, 0, sizeof(*p));
	if ((__u32)n > cap) {
		snprintf(err, errlen, "%d policies, the policy map holds at most %u", n, cap);
		return -E2BIG;
	}
	ws = calloc(n + 1, sizeof(*ws));
	split = calloc(n + 1, 1);
	ret = ws && split ? sort_set(want, n, ws, err, errlen) : -ENOMEM;
	if (!ret)
		ret = read_map(map_fd, &map, &n_map);
	if (!ret) {
		mark(ws, n, v6_prefix, split);
		d.ops = calloc(2 * n_map + n + 1, sizeof(*d.ops));
		d.phase = calloc(2 * n_map + n + 1, 1);
		ret = d.ops && d.phase ? 0 : -ENOMEM;
	}
	if (!ret) {
		p->n_map = n_map;
		p->n_after = n;
		plan_merge(&d, p, want, ws, n, split, map, n_map,
			   (int)cap - n_map < 0 ? 0 : (int)cap - n_map);
		ret = order(&d, p);
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(ws);
	free(split);
	free(map);
	free(d.ops);
	free(d.phase);
	return ret;
}

static int apply_op(int fd, const struct fg_pset_op *op)
{
	struct fg_policy cur;

	switch (op->kind) {
	case FG_PSET_PUT:
		return bpf_map_update_elem(fd, &op->key, &op->pol, BPF_ANY) ? -errno : 0;
	case FG_PSET_DEL:
		return bpf_map_delete_elem(fd, &op->key) && errno != ENOENT ? -errno : 0;
	case FG_PSET_SPLIT:
		/* The value as it is now: the datapath's budget state stays. */
		if (bpf_map_lookup_elem(fd, &op->key, &cur))
			return -errno;
		cur.flags = op->split ? cur.flags | FG_POL_SPLIT : cur.flags & ~FG_POL_SPLIT;
		return bpf_map_update_elem(fd, &op->key, &cur, BPF_EXIST) ? -errno : 0;
	}
	return -EINVAL;
}

int fg_pset_apply(int map_fd, struct fg_pset_plan *p, char *err, size_t errlen)
{
	static const char *const verb[] = { "writing", "deleting", "flagging" };
	char buf[64];
	int ret;

	for (; p->done < p->n_ops; p->done++) {
		const struct fg_pset_op *op = &p->ops[p->done];

		if (!(ret = apply_op(map_fd, op)))
			continue;
		fg_format_prefix(op->key.addr, op->key.prefixlen, buf, sizeof(buf));
		snprintf(err, errlen, "%s policy %s: %s", verb[op->kind], buf, strerror(-ret));
		return ret;
	}
	return 0;
}

int fg_pset_undo(int map_fd, struct fg_pset_plan *p)
{
	int lost = 0;

	for (int k = p->done - 1; k >= 0; k--) {
		const struct fg_pset_op *op = &p->ops[k];

		if (op->had)
			lost += !!bpf_map_update_elem(map_fd, &op->key, &op->old, BPF_ANY);
		else
			lost += bpf_map_delete_elem(map_fd, &op->key) && errno != ENOENT;
	}
	p->done = 0;
	return lost;
}

int fg_pset_commit(const struct fg_maps *m, struct fg_pset_plan *p, char *err, size_t errlen)
{
	struct fg_config cfg;
	int ret, lost, n;

	ret = fg_pset_apply(m->policy, p, err, errlen);
	if (!ret && !p->n_ops)
		return 0; /* nothing changed: cached policies stay good */
	if (ret) {
		lost = fg_pset_undo(m->policy, p);
		fg_policy_bump_gen(m); /* what was cached from the new set goes */
		n = strlen(err);
		if (lost)
			snprintf(err + n, errlen - n, "; %d policies could not be restored", lost);
		else
			snprintf(err + n, errlen - n, "; policies restored as they were");
		return ret;
	}
	if (!(ret = fg_config_get(m, &cfg))) {
		fg_policy_gen_next(&cfg);
		ret = fg_config_set(m, &cfg);
	}
	if (ret)
		snprintf(err, errlen, "updating the config: %s", strerror(-ret));
	return ret;
}

void fg_pset_free(struct fg_pset_plan *p)
{
	free(p->ops);
	memset(p, 0, sizeof(*p));
}
