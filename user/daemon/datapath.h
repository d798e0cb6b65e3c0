/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What the daemon does to the datapath, as a table of operations: every map
 * read and write of a tick, a reconcile, a force and the textfile goes
 * through d->dp. fg_dp_maps is the real one, over the pinned maps in d->maps
 * (datapath.c, apply.c, repin.c); the unit tests and the fuzzer run the
 * daemon on a fake that keeps the datapath's state in memory
 * (tests/unit/fake_datapath.c), so the state machine, the outcome
 * classification and the reconcile run without root or maps.
 */
#ifndef FG_DATAPATH_H
#define FG_DATAPATH_H

#include "reconcile.h"

struct fg_dp_snapshot;
struct fg_hot_read;

struct fg_dp_ops {
	/* The pin dir's lock, held over a tick's, a reload's or a force's
	 * writes: an fd for fg_pin_dir_unlock, or -1 when none was taken. */
	int (*lock)(struct fg_daemon *d, const char *dir);
	/* A tick, before its upstreams: pins replaced by a detach + attach
	 * followed (reopened, the running config reconciled into them), the
	 * heartbeat written, and pending SYNs older than their upstream's
	 * connect timeout deleted and counted in its pend_timeouts. */
	void (*follow_pins)(struct fg_daemon *d, __u64 now);
	void (*heartbeat)(struct fg_daemon *d, __u64 now);
	void (*sweep_pending)(struct fg_daemon *d, __u64 now);
	/* What a tick reads of upstream index i: entry[i], or NULL when gone
	 * from the map, and its counters c[i], or NULL when unread; valid
	 * until the next call. 0, or -ENOMEM: nothing read. */
	int (*read_upstreams)(struct fg_daemon *d, const struct fg_upstream **entry,
			      const __u64 **c);
	/* The counters of id now (a new entry's baseline): 0 or -errno. */
	int (*read_counters)(struct fg_daemon *d, __u32 id, __u64 c[FG_U_MAX]);
	/* u's entry through the one writer (fg_entry_write, which also keeps
	 * the port bits); seen: the entry as read under the same lock, or
	 * NULL. 1: inserted, 0, or -errno (logged). */
	int (*write_entry)(struct fg_daemon *d, struct fg_ups_rt *u, __u64 now,
			   const struct fg_upstream *seen);
	/* A reconcile: the upstream entries as they are (*list malloc'ed; how
	 * many, or -errno); the policy changes r needs (r->pset; 0 or -errno
	 * with r->err set); r's writes, counted in r as they go (0 or -errno
	 * with r->err set); and, after a failed apply, what it wrote put back
	 * (the number of entries that could not be). */
	int (*list_upstreams)(struct fg_daemon *d, struct fg_upstream_entry **list);
	int (*plan_policies)(struct fg_daemon *d, struct fg_reconcile *r);
	int (*apply)(struct fg_daemon *d, struct fg_reconcile *r, __u64 now);
	int (*undo)(struct fg_daemon *d, struct fg_reconcile *r);
	/* The textfile's datapath figures into s (zeroed by the caller). */
	void (*snapshot)(const struct fg_daemon *d, struct fg_dp_snapshot *s);
	/* Fleet shares (fleet_share.h), NULL on a datapath without them: up
	 * to max entries of the hot map into out (how many, or -errno); a
	 * share written into the shares map (s NULL: deleted); a cooled
	 * source's hot entry deleted. 0 or -errno. */
	int (*read_hot)(struct fg_daemon *d, struct fg_hot_read *out, int max);
	int (*write_share)(struct fg_daemon *d, const struct fg_bucket_key *k,
			   const struct fg_share *s);
	int (*del_hot)(struct fg_daemon *d, const struct fg_bucket_key *k);
	/* Free what this datapath keeps for d in d->dp_state (fg_daemon_free). */
	void (*release)(struct fg_daemon *d);
};

/* The pinned maps in d->maps. */
extern const struct fg_dp_ops fg_dp_maps;

/* Parts of fg_dp_maps kept in the files of their job. */
int fg_dp_maps_plan_policies(struct fg_daemon *d, struct fg_reconcile *r); /* apply.c */
int fg_dp_maps_apply(struct fg_daemon *d, struct fg_reconcile *r, __u64 now);
int fg_dp_maps_undo(struct fg_daemon *d, struct fg_reconcile *r);
void fg_dp_maps_follow_pins(struct fg_daemon *d, __u64 now); /* repin.c */
int fg_dp_maps_read_hot(struct fg_daemon *d, struct fg_hot_read *out, int max); /* datapath_shares.c */
int fg_dp_maps_write_share(struct fg_daemon *d, const struct fg_bucket_key *k,
			   const struct fg_share *s);
int fg_dp_maps_del_hot(struct fg_daemon *d, const struct fg_bucket_key *k);

#endif /* FG_DATAPATH_H */
