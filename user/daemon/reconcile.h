/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * A config reconciled into the datapath: planned whole before the first
 * write (ids, upstream entries kept, added and deleted, policy changes),
 * applied by the datapath (datapath.h), undone when a write fails; then the
 * new runtime becomes the daemon's. On error nothing changed.
 */
#ifndef FG_RECONCILE_H
#define FG_RECONCILE_H

#include "daemon.h"
#include "policy_set.h"

/* For each configured upstream, the map entry it keeps (index in map, or
 * -1: a new entry) and the id it gets, never one another upstream gets; new
 * ones take ids no map entry has while there are any. del[j] set for map
 * entries to delete. -ENOSPC when the ids run out. Pure. */
struct fg_plan {
	int map_idx;
	__u32 id;
};
int fg_reconcile_plan(const struct fg_upstream_cfg *cfg, int n_cfg,
		      const struct fg_upstream_entry *map, int n_map, struct fg_plan *plan,
		      int *del);
/* The map key of a configured upstream. */
void fg_upstream_key_of(const struct fg_upstream_cfg *c, struct fg_upstream_key *k);

/*
 * A reconcile computed before its first write: the new runtime (d->ups is
 * left alone until commit), every upstream entry kept, added or deleted with
 * its id, and every policy change. The apply counts its steps here, so a
 * failed write undoes exactly what was written, in reverse.
 */
struct fg_reconcile {
	const struct fg_cfg *cfg;
	int repin;                      /* into replaced pins: one summary line */
	int manage_ups, manage_pols;
	struct fg_ups_rt *ups;          /* cfg->n_ups of them */
	int *carried;                   /* state taken from d->ups */
	struct fg_upstream_entry *list; /* the upstreams map as read */
	int n_map;
	struct fg_plan *plan;
	int *del;
	struct fg_pset_plan pset;       /* the policy map's change (policy_set.h);
					 * its ops' want index cfg->pols */
	int ups_deleted, ups_written; /* progress */
	char *err;
	size_t errlen;
};

/*
 * Make the datapath hold cfg, and d->ups its runtime: plan everything, write,
 * and on a failed write undo what was written; then nothing changed, in
 * memory or in the maps, and err says why in one line. The caller holds the
 * pin dir's lock. repin: into replaced pins (logged as one line).
 */
int fg_reconcile(struct fg_daemon *d, const struct fg_cfg *cfg, int repin, int manage_ups,
		 int manage_pols, __u64 now, char *err, size_t errlen);

#endif /* FG_RECONCILE_H */
