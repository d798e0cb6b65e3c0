/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * floodgated's state: a user-space shadow of every configured upstream (its
 * config, its breaker state machine, its probe health, the counters it last
 * read) reconciled into the pinned maps.
 *
 * Map writes go through few doors, each under the pin dir's lock so the CLI
 * never interleaves a write:
 *   - fg_entry_write (upstream_entry.h, shared with the CLI) writes an
 *     upstream's entry: every breaker change reaches the datapath through it;
 *   - reconcile adds and deletes upstream entries and policies;
 *   - the tick writes the heartbeat and deletes swept pending_syn entries.
 *
 * With testing set, no map is touched: the state machine, the outcome
 * classification and the reconcile of the shadow run without root, for
 * tests/unit (katran's "testing" mode).
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

/* At most this many outcomes per upstream are fed to the breaker per tick;
 * more are scaled down in proportion (the rate is what matters then). */
#define FG_TICK_OUTCOMES_MAX 4096

/* The outcomes of one tick for one upstream. */
struct fg_outcomes {
	__u32 ok, failed, neutral;
};

/*
 * Classify the growth of an upstream's datapath counters since the last tick.
 *   success: HTTP 2xx and 3xx, and SYN-ACKs beyond the HTTP responses seen
 *            (a connection that answered with a status is judged by it, so
 *            an upstream answering every request with 503 is not also "50%
 *            successful" through its SYN-ACKs), each only when its class is
 *            in success_classes (2xx and 3xx left out are neutral)
 *   failure: 5xx, 429, refused (RST answering a SYN), each only when its
 *            class is in failure_classes (else neutral)
 *   neutral: other 4xx
 * A counter that went backwards (reset) counts from zero. Pure.
 */
void fg_classify_deltas(const __u64 prev[FG_U_MAX], const __u64 cur[FG_U_MAX],
			__u32 failure_classes, __u32 success_classes, struct fg_outcomes *o);
/* Scale ok/failed down so they sum to at most max, keeping any non-zero class >= 1. */
void fg_outcomes_cap(struct fg_outcomes *o, __u32 max);

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
	struct fg_ups_metrics m;
	__u64 test_c[FG_U_MAX];    /* testing: the datapath counters a tick reads */
	int have_test_c;
};

struct fg_daemon {
	struct fg_cfg cfg;
	struct fg_maps maps;
	int testing;               /* touch no map */
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
};

/* Pure helpers behind reconcile and the one map writer, exported for tests. */

/* For each configured upstream, the map entry it keeps (index in map, or
 * -1: a new entry) and the id it gets, never one another upstream gets; new
 * ones take ids no map entry has while there are any. del[j] set for map
 * entries to delete. -ENOSPC when the ids run out. */
struct fg_plan {
	int map_idx;
	__u32 id;
};
int fg_reconcile_plan(const struct fg_upstream_cfg *cfg, int n_cfg,
		      const struct fg_upstream_entry *map, int n_map, struct fg_plan *plan,
		      int *del);
/* The map key of a configured upstream. */
void fg_upstream_key_of(const struct fg_upstream_cfg *c, struct fg_upstream_key *k);
/* What u's entry says besides its breaker, for fg_entry_merge and
 * fg_entry_write (upstream_entry.h); returns s. */
const struct fg_entry_src *fg_ups_src(const struct fg_ups_rt *u, struct fg_entry_src *s);

void fg_daemon_init(struct fg_daemon *d, int testing);
void fg_daemon_free(struct fg_daemon *d);
/*
 * Take cfg (ownership passes: it is freed here on error too) as the running
 * config: carry the runtime state of upstreams whose address did not change,
 * and, unless testing, reconcile the maps. The whole reconcile (ids, entries
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
/* testing: the datapath counters the next ticks read for upstream index i. */
void fg_daemon_test_counters(struct fg_daemon *d, int i, const __u64 c[FG_U_MAX]);
/* A probe finished for upstream index i. */
void fg_daemon_probe_result(struct fg_daemon *d, int i, int pass, __u64 duration_ns,
			    const char *detail);
/* Force a breaker (or hand it back) by name, as the CLI's upstream open|close|auto. */
int fg_daemon_force(struct fg_daemon *d, const char *name, enum fg_force f, __u64 now,
		    char *err, size_t errlen);
int fg_daemon_find(const struct fg_daemon *d, const char *name);
/* Random 32-bit value (jitter). */
__u32 fg_daemon_rand(void *d);

#endif /* FG_DAEMON_H */
