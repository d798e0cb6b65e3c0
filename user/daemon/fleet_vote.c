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
	if (b->state == FG_BREAKER_OPEN) {
		v->vote = b->why == FG_WHY_CONSECUTIVE || b->why == FG_WHY_FAILURE_RATE ||
			  b->why == FG_WHY_PROBE_FAILED;
		v->run = v->vote ? p->consecutive_failures : 0;
		return;
	}
	if (b->state != FG_BREAKER_CLOSED)
		return; /* half-open: its probes decide, alone */
	v->vote = b->consecutive > 0;
	v->run = b->consecutive;
	fg_brk_window(b, p, now, &v->ok, &v->failed);
}

static void tally_add(struct fg_fleet_tally *t, const struct fg_vote *v)
{
	t->voters += !!v->vote;
	t->run += v->vote ? v->run : 0;
	t->ok += v->ok;
	t->failed += v->failed;
}

int fg_tally_opens(const struct fg_fleet_tally *t, const struct fg_brk_params *p, __u32 quorum)
{
	__u32 n = t->ok + t->failed;

	if (t->voters < quorum)
		return 0;
	if (p->consecutive_failures && t->run >= p->consecutive_failures)
		return 1;
	return p->failure_rate_pct && n >= p->min_outcomes &&
	       (__u64)t->failed * 100 >= (__u64)p->failure_rate_pct * n;
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
		w = snprintf(buf + n, len - n, "%s %d %d %u %u %u\n", u->cfg.name, u->brk.state,
			     v.vote, v.run, v.ok, v.failed);
		if (w < 0 || (size_t)w >= len - n)
			return -E2BIG;
		n += w;
	}
	return n;
}

void fg_fleet_begin(struct fg_daemon *d, __u64 now)
{
	for (int i = 0; i < d->n_ups; i++) {
		struct fg_ups_rt *u = &d->ups[i];
		struct fg_vote v;

		fg_vote_of(&u->brk, &u->cfg.brk, now, &v);
		memset(&u->fleet, 0, sizeof(u->fleet));
		tally_add(&u->fleet, &v);
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
		unsigned state, vote;
		struct fg_vote v;
		struct fg_ups_rt *u;

		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			/* A line that does not parse (another version's?) votes nothing. */
			if (sscanf(line, "%31s %u %u %u %u %u", name, &state, &vote, &v.run, &v.ok,
				   &v.failed) == 6 && vote <= 1 && (u = find(d, name, k))) {
				v.vote = vote;
				tally_add(&u->fleet, &v);
			}
		}
		p += n + 1;
	}
}

void fg_fleet_end(struct fg_daemon *d, __u32 nodes, __u64 now)
{
	if (!d->fleet.up)
		pr_info("fleet: up, %u node(s) fresh\n", nodes);
	else if (nodes != d->fleet.nodes)
		pr_info("fleet: %u node(s) fresh (were %u)\n", nodes, d->fleet.nodes);
	if (!d->fleet.up || nodes != d->fleet.nodes)
		d->metrics_dirty = 1;
	d->fleet.up = 1;
	d->fleet.synced_ns = now;
	d->fleet.nodes = nodes;
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
	       fg_tally_opens(&u->fleet, &u->cfg.brk,
			      fg_fleet_quorum(d->cfg.fleet.quorum, d->fleet.nodes));
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
