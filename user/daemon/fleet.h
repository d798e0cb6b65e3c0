/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The fleet client: floodgated's link to the site's Redis ([fleet]), on
 * hiredis. Its socket is non-blocking and waited on in the daemon's own
 * poll(), like the control socket and the probes: no call here waits for
 * Redis, so neither the tick nor the datapath ever does.
 *
 * hiredis (0.14) has no command timeouts: every request here has its own
 * deadline, half of stale (one more attempt still fits before the votes
 * expire); a request past it, a refused connection or an error reply
 * closes the link, and it reconnects every half sync (a connect gets a
 * sync, or eight times the last good one's time, then a fresh one).
 *
 * One sync is one round trip, a Lua script that Redis runs atomically:
 *   SET  floodgate:{SITE}:node:{NODE} VOTES PX stale   the announcement: its
 *        votes (fleet_vote.h), then its hot sources' rates (fleet_share.h)
 *   SADD floodgate:{SITE}:nodes NODE                   so others find it
 *   then every member's announcement, members whose key expired removed.
 * A node is fresh while its key lives (stale after its last sync), so the
 * reply is the live nodes and their announcements. The next sync
 * starts sync after this one was sent, or when its reply comes if that is
 * later: a slow Redis slows the syncs, it never queues them.
 */
#ifndef FG_FLEET_H
#define FG_FLEET_H

#include <poll.h>
#include "daemon.h"

struct fg_fleet;

struct fg_fleet *fg_fleet_new(void);
void fg_fleet_free(struct fg_fleet *f);

/* Its socket into *p when it waits on it (1, else 0); *next_ns lowered to
 * when fg_fleet_run must run at the latest (a deadline, a retry, a sync). */
int fg_fleet_pollfd(const struct fg_fleet *f, struct pollfd *p, __u64 *next_ns);

/* Whatever is due: connect, AUTH, a sync sent or its reply read, a deadline
 * enforced. revents: of the pollfd it asked for (0: none). Follows
 * d->cfg.fleet: a reload that changes it reconnects, one without [fleet]
 * disconnects. */
void fg_fleet_run(struct fg_fleet *f, struct fg_daemon *d, short revents, __u64 now);

#endif /* FG_FLEET_H */
