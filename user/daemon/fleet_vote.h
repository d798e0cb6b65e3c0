/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Fleet breaker votes, decided locally: pure, no I/O, the clock passed in
 * (the Redis side is fleet.h). Each sync a node publishes one line per
 * upstream,
 *     NAME STATE OPEN RUN OK FAILED
 * (its breaker state; 1 when it is open on its own outcomes; its failures
 * in a row; the outcomes in its breaker's window), and reads every fresh
 * node's. Upstreams match across nodes by name.
 *
 * Each node sees 1/N of an upstream's outcomes, so the fleet pools them, as
 * one breaker would, with a quorum q (a majority of the fresh nodes, at
 * least 2) standing in for "several nodes see it": an upstream opens on
 * every node (reason fleet) when
 *   - at least q nodes are in a failure run (or open on their own) and
 *     their runs add up to consecutive_failures, each counting at most its
 *     share, consecutive_failures / q, an open one all of it; or
 *   - at least q nodes have a window at failure_rate (or are open on their
 *     own), with min_outcomes between them.
 * The shares are what keep a node that alone lost its path (its run long,
 * or its breaker open) plus one stray failure elsewhere from opening the
 * others.
 *
 * Only a node's own evidence counts: a breaker the fleet opened, or an
 * operator forced, or half-open, publishes none, else the fleet would hold
 * itself open after the upstream recovered. Except for two syncs after the
 * fleet opened it: then it publishes OPEN 1, so that a node whose sync
 * came just after the quorum's still follows it (fg_votes_encode).
 */
#ifndef FG_FLEET_VOTE_H
#define FG_FLEET_VOTE_H

#include <stddef.h>
#include "daemon.h"

/* This node's vote on one upstream now (the rule above). */
struct fg_vote {
	int own_open;      /* open on its own outcomes */
	__u32 run;         /* failures in a row (closed) */
	__u32 ok, failed;  /* its window (closed) */
};
void fg_vote_of(const struct fg_brk *b, const struct fg_brk_params *p, __u64 now,
		struct fg_vote *v);
/* Would pooled votes t open a breaker of params p, with quorum votes needed? */
int fg_tally_opens(const struct fg_fleet_tally *t, const struct fg_brk_params *p, __u32 quorum);

/* d's votes now, one line per upstream, NUL-terminated in buf: the length,
 * or -E2BIG when buf cannot hold them. */
int fg_votes_encode(const struct fg_daemon *d, __u64 now, char *buf, size_t len);

/* A sync's result: begin with the number of fresh nodes (this one
 * included) and this node's own votes, add each other fresh node's
 * published text (len bytes, no NUL needed), then end. */
void fg_fleet_begin(struct fg_daemon *d, __u32 nodes, __u64 now);
void fg_fleet_add(struct fg_daemon *d, const char *text, size_t len);
void fg_fleet_end(struct fg_daemon *d, __u64 now);

/* The votes needed with nodes fresh: cfg_quorum, or (0) a majority, at
 * least 2. */
__u32 fg_fleet_quorum(__u32 cfg_quorum, __u32 nodes);

/* Should the fleet open upstream u now? Never once the last sync is stale,
 * nor on a sync older than u's last transition. */
int fg_fleet_wants_open(const struct fg_daemon *d, const struct fg_ups_rt *u, __u64 now);

/* The last sync is stale (or none came): votes expire, every breaker judges
 * alone. 1 when the fleet just went down (said once, metrics dirty). */
int fg_fleet_expire(struct fg_daemon *d, __u64 now);

#endif /* FG_FLEET_VOTE_H */
