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

int fg_vote_failing(const struct fg_brk *b, const struct fg_brk_params *p, __u64 now)
{
	__u32 ok, failed, pct = p->failure_rate_pct ? p->failure_rate_pct : 50;

	if (b->force != FG_FORCE_AUTO)
		return 0;
	if (b->state == FG_BREAKER_OPEN)
		return b->why == FG_WHY_CONSECUTIVE || b->why == FG_WHY_FAILURE_RATE ||
		       b->why == FG_WHY_PROBE_FAILED;
	if (b->state != FG_BREAKER_CLOSED || !b->consecutive)
		return 0;
	fg_brk_window(b, p, now, &ok, &failed);
	return failed && (__u64)failed * 100 >= (__u64)pct * (ok + failed);
}

int fg_votes_encode(const struct fg_daemon *d, __u64 now, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return -E2BIG;
	buf[0] = 0;
	for (int i = 0; i < d->n_ups; i++) {
		const struct fg_ups_rt *u = &d->ups[i];
		__u32 ok, failed;
		int w;

		fg_brk_window(&u->brk, &u->cfg.brk, now, &ok, &failed);
		w = snprintf(buf + n, len - n, "%s %d %d %u %u\n", u->cfg.name, u->brk.state,
			     fg_vote_failing(&u->brk, &u->cfg.brk, now), ok, failed);
		if (w < 0 || (size_t)w >= len - n)
			return -E2BIG;
		n += w;
	}
	return n;
}

void fg_fleet_begin(struct fg_daemon *d, __u64 now)
{
	for (int i = 0; i < d->n_ups; i++)
		d->ups[i].fleet_failing = fg_vote_failing(&d->ups[i].brk, &d->ups[i].cfg.brk, now);
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
		unsigned state, failing, ok, failed;
		struct fg_ups_rt *u;

		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			/* A line that does not parse (another version's?) votes nothing. */
			if (sscanf(line, "%31s %u %u %u %u", name, &state, &failing, &ok, &failed) == 5 &&
			    failing == 1 && (u = find(d, name, k)))
				u->fleet_failing++;
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
	       u->fleet_failing >= fg_fleet_quorum(d->cfg.fleet.quorum, d->fleet.nodes);
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
		d->ups[i].fleet_failing = 0;
	d->metrics_dirty = 1;
	return 1;
}
