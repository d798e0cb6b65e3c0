// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The daemon's tick (fg_daemon_tick): replaced pins followed, heartbeat,
 * pending-SYN sweep, every upstream's entry and counters read, its outcomes
 * (counter deltas, connect timeouts, probe results) fed to its breaker
 * under the group guard, the fleet's votes (fleet_vote.h), and its entry
 * written when it changed.
 */
#include <string.h>

#include "breaker_machine.h"
#include "datapath.h"
#include "fleet_share_io.h"
#include "fleet_vote.h"
#include "log.h"
#include "outcomes.h"
#include "pins.h"

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
		fg_daemon_note(d, u, &t, now, ", by the CLI");
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
			fg_daemon_note(d, u, &t, now, "");
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
			fg_settle_synacks(u->last, c, &u->synack_carry, &o);
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
		fg_daemon_note(d, u, &t, now, "");
}

/* A quorum of the fleet saw it failing (fleet_vote.h): open it here too,
 * under the same group guard; forced and half-open breakers stay. */
static void fleet_decide(struct fg_daemon *d, struct fg_ups_rt *u, __u64 now)
{
	struct guard_ctx g = { d, u };
	struct fg_transition t;

	if (fg_fleet_wants_open(d, u, now) &&
	    fg_brk_open_for(&u->brk, &u->cfg.brk, FG_WHY_FLEET, now, fg_daemon_rand, d, may_open,
			    &g, &t))
		fg_daemon_note(d, u, &t, now, "");
}

/* One upstream's part of a tick: entry is what the map holds (NULL: gone),
 * c its counters (NULL: unread). */
static void tick_upstream(struct fg_daemon *d, struct fg_ups_rt *u, const struct fg_upstream *entry,
			  const __u64 *c, __u64 now)
{
	if (entry) {
		u->missing_logged = 0;
		sync_forced(d, u, entry, now);
	} else if (!u->missing_logged++) {
		pr_warn("upstream %s: gone from the map (floodgate upstream del?); "
			"restoring it from the config\n", u->cfg.name);
	}
	decide(d, u, c, now);
	fleet_decide(d, u, now);
	d->dp->write_entry(d, u, now, entry);
}

int fg_daemon_tick(struct fg_daemon *d, __u64 now)
{
	const struct fg_upstream *entry[FG_UPSTREAMS_MAX];
	const __u64 *c[FG_UPSTREAMS_MAX];
	int lk = fg_daemon_lock(d), ret = 0, expired;

	d->dp->follow_pins(d, now);
	d->dp->heartbeat(d, now);
	/* Here, so a stuck fleet link cannot keep old votes, nor shares. */
	expired = fg_fleet_expire(d, now);
	if (d->n_ups) {
		d->dp->sweep_pending(d, now);
		ret = d->dp->read_upstreams(d, entry, c);
	}
	for (int i = 0; !ret && i < d->n_ups; i++)
		tick_upstream(d, &d->ups[i], entry[i], c[i], now);
	fg_pin_dir_unlock(lk);
	if (expired)
		fg_shares_drop(d); /* takes the lock itself */
	return ret;
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
