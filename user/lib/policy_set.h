/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * A whole policy set made the policy map's, as one change: the difference
 * against the map is planned first (sorted, n log n), then written in an
 * order that never leaves a kept policy missing or unpoliced:
 *
 *   1. FG_POL_SPLIT set on kept policies that need it now (a longer IPv6
 *      policy is coming under them: rechecking more is always safe);
 *   2. changed and added policies written in place (an LPM trie update of
 *      an existing key is atomic), in the set's order, each with its final
 *      flags (a changed one keeps the split flag it had until step 5);
 *   3. removed policies deleted (some before the last adds only when the
 *      map could not hold old and new at once);
 *   4. the rest of the adds;
 *   5. FG_POL_SPLIT cleared where no longer needed (only once the longer
 *      policies under it are gone).
 *
 * The caller bumps the policy generation once afterwards (cached policies
 * are stale): the flags are already right, no fg_policy_derive needed. The
 * CLI's limit load and the daemon's reconcile both go through here.
 */
#ifndef FG_POLICY_SET_H
#define FG_POLICY_SET_H

#include <stddef.h>
#include <linux/types.h>
#include "floodgate_kern_user.h"

/* One wanted policy. line: where it was read (0: unknown), for errors. */
struct fg_policy_want {
	struct fg_lpm_key key;
	struct fg_policy pol; /* flags ignored: the plan derives them */
	int line;
};

enum fg_pset_kind {
	FG_PSET_PUT,   /* write pol (added, or changed in place) */
	FG_PSET_DEL,   /* delete key */
	FG_PSET_SPLIT, /* set (split 1) or clear the split flag, datapath state kept */
};

struct fg_pset_op {
	enum fg_pset_kind kind;
	int split;             /* FG_PSET_SPLIT: the flag's new value */
	int want;              /* index into the wanted set, -1 if none */
	struct fg_lpm_key key;
	struct fg_policy pol;  /* FG_PSET_PUT: what is written */
	struct fg_policy old;  /* what the map held (had), for the undo */
	int had;
};

struct fg_pset_plan {
	struct fg_pset_op *ops;
	int n_ops;
	int added, changed, removed, kept; /* policies, not ops */
	int n_map, n_after;                /* entries before and after */
	int done;                          /* ops applied, for the undo */
};

/*
 * The plan that makes map_fd hold exactly want[0..n) (not changed: the plan
 * sorts its own index). v6_prefix: the IPv6 bucket prefix the split flags
 * are derived for; cap: the map's max_entries. 0, or -errno with a one-line
 * reason in err (-E2BIG: the set does not fit; -EINVAL: a prefix twice).
 * Reads the map, writes nothing.
 */
int fg_pset_plan(int map_fd, const struct fg_policy_want *want, int n, __u32 v6_prefix,
		 __u32 cap, struct fg_pset_plan *p, char *err, size_t errlen);
/* Write the plan in order, counting p->done: 0, or -errno with err naming
 * the policy that failed (what was written stays: see fg_pset_undo). */
int fg_pset_apply(int map_fd, struct fg_pset_plan *p, char *err, size_t errlen);
/* Put back what fg_pset_apply wrote, newest first: entries that could not be. */
int fg_pset_undo(int map_fd, struct fg_pset_plan *p);
void fg_pset_free(struct fg_pset_plan *p);

struct fg_maps;
/* What the CLI's limit load does with a plan: apply it and bump the policy
 * generation once (nothing when the plan is empty); a failed write undone,
 * the generation bumped, and err saying so. 0 or -errno. */
int fg_pset_commit(const struct fg_maps *m, struct fg_pset_plan *p, char *err, size_t errlen);

/* Which of keys[0..n) are the nearest cover (at most v6_prefix bits) of an
 * IPv6 key longer than v6_prefix: split[i] set for those (others zeroed).
 * Pure, n log n; what fg_policy_derive and the plan both use. */
int fg_pset_splits(const struct fg_lpm_key *keys, size_t stride, int n, __u32 v6_prefix,
		   __u8 *split);

#endif /* FG_POLICY_SET_H */
