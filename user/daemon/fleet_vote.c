// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Fleet breaker votes (fleet_vote.h): what a node publishes, what the
 * fleet's votes decide. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "breaker_machine.h"
#include "fleet_vote.h"
#include "log.h"

#define NS_PER_MS 1000000ULL

void fg_vote_of(const struct fg_brk *b, const struct fg_brk_params *p, __u64 now,
		struct fg_vote *v)
{
	memset(v, 0, sizeof(*v));
	if (b->force != FG_FORCE_AUTO)
		return;
	if (b->state == FG_BREAKER_OPEN)
		v->own_open = b->why == FG_WHY_CONSECUTIVE || b->why == FG_WHY_FAILURE_RATE ||
			      b->why == FG_WHY_PROBE_FAILED;
	if (b->state != FG_BREAKER_CLOSED)
		return; /* half-open: its probes decide, alone */
	v->run = b->consecutive;
	fg_brk_window(b, p, now, &v->ok, &v->failed);
}

/* One node's vote v into t, judged by this node's params p and quorum q. */
static void tally_add(struct fg_fleet_tally *t, const struct fg_vote *v,
		      const struct fg_brk_params *p, __u32 q)
{
	__u32 cf = p->consecutive_failures, share = (cf + q - 1) / q, n = v->ok + v->failed;

	if (v->own_open || v->run) {
		t->voters++;
		t->run += v->own_open || v->run > share ? share : v->run;
	}
	if (p->failure_rate_pct &&
	    (v->own_open || (n && (__u64)v->failed * 100 >= (__u64)p->failure_rate_pct * n))) {
		t->rate_voters++;
		t->ok += v->ok;
		t->failed += v->failed;
	}
}

int fg_tally_opens(const struct fg_fleet_tally *t, const struct fg_brk_params *p, __u32 quorum)
{
	if (p->consecutive_failures && t->voters >= quorum && t->run >= p->consecutive_failures)
		return 1;
	return p->failure_rate_pct && t->rate_voters >= quorum &&
	       t->ok + t->failed >= p->min_outcomes;
}

/* A breaker the fleet opened within two syncs shows that decision as if it
 * were open on its own. Else the nodes that opened withdraw their evidence
 * at once, and a node whose sync came just after theirs, its own run a
 * little short then, never sees the quorum and opens only once its own
 * failures reach consecutive_failures. Two syncs are far less than an
 * open_timeout, so no node that closed again is held open by it. */
static int fleet_opened_now(const struct fg_daemon *d, const struct fg_brk *b, __u64 now)
{
	return b->force == FG_FORCE_AUTO && b->state == FG_BREAKER_OPEN && b->why == FG_WHY_FLEET &&
	       now - b->since_ns < 2 * d->cfg.fleet.sync_ns;
}

int fg_votes_encode(const struct fg_daemon *d, __u64 now, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return -E2BIG;
	buf[0] = 0;
	for (int i = 0; i < d->n_ups; i++) {
		const struct fg_ups_rt *u = &d->ups[i];
		struct fg_vote v;
		int w;

		fg_vote_of(&u->brk, &u->cfg.brk, now, &v);
		if (fleet_opened_now(d, &u->brk, now))
			v.own_open = 1;
		w = snprintf(buf + n, len - n, "%s %d %d %u %u %u\n", u->cfg.name, u->brk.state,
			     v.own_open, v.run, v.ok, v.failed);
		if (w < 0 || (size_t)w >= len - n)
			return -E2BIG;
		n += w;
	}
	return n;
}

void fg_fleet_begin(struct fg_daemon *d, __u32 nodes, __u64 now)
{
	if (!d->fleet.up)
		pr_info("fleet: up, %u node(s) fresh\n", nodes);
	else if (nodes != d->fleet.nodes)
		pr_info("fleet: %u node(s) fresh (were %u)\n", nodes, d->fleet.nodes);
	if (!d->fleet.up || nodes != d->fleet.nodes)
		d->metrics_dirty = 1;
	d->fleet.nodes = nodes;
	d->fleet.quorum = fg_fleet_quorum(d->cfg.fleet.quorum, nodes);
	for (int i = 0; i < d->n_ups; i++) {
		struct fg_ups_rt *u = &d->ups[i];
		struct fg_vote v;

		fg_vote_of(&u->brk, &u->cfg.brk, now, &v);
		memset(&u->fleet, 0, sizeof(u->fleet));
		tally_add(&u->fleet, &v, &u->cfg.brk, d->fleet.quorum);
	}
}

/* The upstream named name; nodes with the same config list upstreams in the
 * same order, so the line's own index is tried first. */
static struct fg_ups_rt *find(struct fg_daemon *d, const char *name, int hint)
{
	int i;

	if (hint < d->n_ups && !strcmp(d->ups[hint].cfg.name, name))
		return &d->ups[hint];
	i = fg_daemon_find(d, name);
	return i < 0 ? NULL : &d->ups[i];
}

void fg_fleet_add(struct fg_daemon *d, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	for (int k = 0; p < end; k++) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = (nl ? nl : end) - p;
		char line[128], name[32];
		unsigned state, own_open;
		struct fg_vote v;
		struct fg_ups_rt *u;

		/* '+' lines are hot sources (fleet_share.h), no votes. */
		if (n < sizeof(line) && *p != '+') {
			memcpy(line, p, n);
			line[n] = 0;
			/* A line that does not parse (another version's?) votes nothing. */
			if (sscanf(line, "%31s %u %u %u %u %u", name, &state, &own_open, &v.run,
				   &v.ok, &v.failed) == 6 && own_open <= 1 && (u = find(d, name, k))) {
				v.own_open = own_open;
				tally_add(&u->fleet, &v, &u->cfg.brk, d->fleet.quorum);
			}
		}
		p += n + 1;
	}
}

void fg_fleet_end(struct fg_daemon *d, __u64 now)
{
	d->fleet.up = 1;
	d->fleet.synced_ns = now;
}

__u32 fg_fleet_quorum(__u32 cfg_quorum, __u32 nodes)
{
	__u32 majority = nodes / 2 + 1;

	if (cfg_quorum)
		return cfg_quorum;
	return majority > 2 ? majority : 2;
}

static int fresh(const struct fg_daemon *d, __u64 now)
{
	return d->fleet.up && now - d->fleet.synced_ns < d->cfg.fleet.stale_ns;
}

/* Votes gathered before the breaker last changed predate what it saw then:
 * a breaker its half-open probes just closed waits for the next sync. */
int fg_fleet_wants_open(const struct fg_daemon *d, const struct fg_ups_rt *u, __u64 now)
{
	return d->cfg.fleet.enabled && fresh(d, now) && d->fleet.synced_ns > u->brk.since_ns &&
	       fg_tally_opens(&u->fleet, &u->cfg.brk, d->fleet.quorum);
}

int fg_fleet_expire(struct fg_daemon *d, __u64 now)
{
	if (!d->fleet.up || fresh(d, now))
		return 0;
	pr_warn("fleet: no sync for %llu ms (stale %llu ms): votes expired, every breaker "
		"judges alone\n", (unsigned long long)((now - d->fleet.synced_ns) / NS_PER_MS),
		(unsigned long long)(d->cfg.fleet.stale_ns / NS_PER_MS));
	d->fleet.up = 0;
	d->fleet.nodes = 0;
	for (int i = 0; i < d->n_ups; i++)
		memset(&d->ups[i].fleet, 0, sizeof(d->ups[i].fleet));
	d->metrics_dirty = 1;
	return 1;
}
