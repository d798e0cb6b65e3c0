/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * floodgated's state: a user-space shadow of every configured upstream (its
 * config, its breaker state machine, its probe health, the counters it last
 * read) reconciled into the pinned maps.
 *
 * Its jobs, a file each: this state's lifecycle and forces (daemon.c),
 * outcomes from counter deltas (outcomes.h), the reconcile of a config
 * (reconcile.h), the tick (tick.c). Every map read and write goes through
 * d->dp (datapath.h), each under the pin dir's lock so the CLI never
 * interleaves a write:
 *   - fg_entry_write (upstream_entry.h, shared with the CLI) writes an
 *     upstream's entry: every breaker change reaches the datapath through it;
 *   - reconcile adds and deletes upstream entries and policies;
 *   - the tick writes the heartbeat and deletes swept pending_syn entries.
 */
#ifndef FG_DAEMON_H
#define FG_DAEMON_H

#include <stdio.h>
#include <linux/types.h>

#include "breaker.h"
#include "config.h"
#include "maps.h"
#include "upstreams.h"
#include "upstream_entry.h"

#ifndef FG_VERSION
#define FG_VERSION "0.1.0"
#endif

/* What the daemon counts itself, for the textfile. */
struct fg_ups_metrics {
	__u64 transitions[3][3][FG_WHY_MAX]; /* [from][to][reason] */
	__u64 opens;
	__u64 probe_pass, probe_fail;
	__u64 probe_last_ns;    /* duration of the last probe */
	int probed;             /* at least one probe result */
	__u64 timeouts;         /* pending SYNs swept as connect timeouts */
	__u64 c[FG_U_MAX];      /* datapath counters, as last read */
};

/* One configured upstream at run time. */
struct fg_ups_rt {
	struct fg_upstream_cfg cfg;
	struct fg_upstream_key key; /* port in network order, as in the map */
	__u32 id;                   /* upstream_stats index */
	struct fg_brk brk;
	__u64 last[FG_U_MAX];       /* counters at the last tick */
	int have_last;
	/* Outcomes gathered since the last tick, fed to the breaker by it. */
	__u32 pend_timeouts, pend_probe_ok, pend_probe_failed;
	/* SYN-ACKs of the last tick that no HTTP status has answered yet. */
	__u32 synack_carry;
	/* Probe health with rise/fall hysteresis (metric and log only). */
	int probe_up;
	__s32 probe_streak;        /* > 0: passes in a row, < 0: failures in a row */
	int missing_logged;        /* entry gone from the map: warned once */
	int guard_logged;          /* held closed by the group guard: said once */
	/* The fleet's votes on it at the last sync (fleet_vote.h). */
	struct fg_fleet_tally {
		__u32 voters;      /* fresh nodes, this one included, in a failure run */
		__u32 run;         /* their runs, pooled (each at most its share) */
		__u32 rate_voters; /* nodes whose window is at failure_rate */
		__u32 ok, failed;  /* their windows, pooled */
	} fleet;
	struct fg_ups_metrics m;
};

/* What the fleet client did, by operation (metrics). */
enum fg_fleet_op { FG_FLEET_OP_CONNECT = 0, FG_FLEET_OP_AUTH, FG_FLEET_OP_SYNC, FG_FLEET_OP_MAX };

/*
 * The fleet as the last sync saw it ([fleet]; fleet.h talks to Redis,
 * fleet_vote.h decides). up: that sync is younger than stale, so its votes
 * count; else each breaker judges alone.
 */
struct fg_fleet_view {
	int up;
	__u64 synced_ns;           /* the last sync that succeeded; 0: none yet */
	__u32 nodes;               /* fresh nodes it saw, this one included */
	__u32 quorum;              /* votes needed among them */
	__u64 errors[FG_FLEET_OP_MAX];
};

struct fg_dp_ops;
struct fg_shares;

struct fg_daemon {
	struct fg_cfg cfg;
	struct fg_maps maps;       /* the real datapath's (fg_dp_maps) */
	const struct fg_dp_ops *dp;
	void *dp_state;            /* what d->dp keeps for this daemon */
	struct fg_ups_rt *ups;
	int n_ups;
	int manage_upstreams;      /* config has [upstream] sections (or had) */
	int manage_policies;       /* config has [policy] sections (or had) */
	__u64 rng;
	__s16 idx_by_id[FG_UPSTREAMS_MAX]; /* id -> index in ups, or -1 */
	/* A transition, force or reload happened since the textfile was last
	 * written: the main loop rewrites it now, not at the next interval,
	 * so an alert on floodgate_breaker_state follows the breaker. */
	int metrics_dirty;
	/* Replaced pins (detach + attach) are followed: the id of the config
	 * map held (0: not read yet), the pinned one that could not be taken
	 * (said once), and pins gone (said once). */
	__u32 config_id;
	__u32 repin_failed_id;
	int pins_gone_logged;
	int lock_failed_logged;    /* the pin dir could not be locked: said once */
	struct fg_fleet_view fleet;
	struct fg_shares *shares;  /* fleet shares (fleet_share_io.h); NULL until a sync */
	int shares_err_logged;     /* a shares map write failed: said once */
};

/* What u's entry says besides its breaker, for fg_entry_merge and
 * fg_entry_write (upstream_entry.h); returns s. */
const struct fg_entry_src *fg_ups_src(const struct fg_ups_rt *u, struct fg_entry_src *s);

/* d on the datapath dp: &fg_dp_maps (datapath.h), maps opened into d->maps. */
void fg_daemon_init(struct fg_daemon *d, const struct fg_dp_ops *dp);
void fg_daemon_free(struct fg_daemon *d);
/*
 * Take cfg (ownership passes: it is freed here on error too) as the running
 * config: carry the runtime state of upstreams whose address did not change,
 * and reconcile the datapath. The whole reconcile (ids, entries
 * to add and delete, policies) is planned before the first write; when a
 * write still fails, what was written is undone. On error nothing changed,
 * in memory or (as far as the undo could) in the maps, and err is one line.
 */
int fg_daemon_apply_config(struct fg_daemon *d, struct fg_cfg *cfg, __u64 now, char *err,
			   size_t errlen);
/* One tick: replaced pins followed (reopened, the running config and every
 * breaker state reconciled into them), heartbeat, pending SYN sweep, counter
 * deltas, probe results, breaker transitions, map writes. */
int fg_daemon_tick(struct fg_daemon *d, __u64 now);
/* A probe finished for upstream index i. */
void fg_daemon_probe_result(struct fg_daemon *d, int i, int pass, __u64 duration_ns,
			    const char *detail);
/* Force a breaker (or hand it back) by name, as the CLI's upstream open|close|auto. */
int fg_daemon_force(struct fg_daemon *d, const char *name, enum fg_force f, __u64 now,
		    char *err, size_t errlen);
int fg_daemon_find(const struct fg_daemon *d, const char *name);
/* Random 32-bit value (jitter). */
__u32 fg_daemon_rand(void *d);

/* For the daemon's own files: the pin dir's lock (d->dp->lock on the
 * running config's dir); a transition logged and counted (via: who, as
 * ", by the CLI", or ""). */
int fg_daemon_lock(struct fg_daemon *d);
void fg_daemon_note(struct fg_daemon *d, struct fg_ups_rt *u, const struct fg_transition *t,
		    __u64 now, const char *via);

#endif /* FG_DAEMON_H */
