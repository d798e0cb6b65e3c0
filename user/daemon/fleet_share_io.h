/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Fleet shares between the sync and the maps: the hot map read before a
 * sync publishes, the shares map written after its reply (fleet_share.h
 * decides; d->dp does the map I/O, floodgated being the shares map's one
 * writer). A datapath without the operations (the unit tests' fake) shares
 * nothing.
 */
#ifndef FG_FLEET_SHARE_IO_H
#define FG_FLEET_SHARE_IO_H

#include <stddef.h>
#include "daemon.h"

/* Before a sync: read the hot map, measure, delete what cooled. */
void fg_shares_collect(struct fg_daemon *d, __u64 now);
/* The lines to publish (fg_shares_encode) into buf: their length, or -E2BIG. */
int fg_shares_publish(const struct fg_daemon *d, char *buf, size_t len);
/* A sync's reply: begin, each other node's text, then apply (decide, and
 * write or delete every share). */
void fg_shares_reply_begin(struct fg_daemon *d);
void fg_shares_reply_add(struct fg_daemon *d, const char *text, size_t len);
void fg_shares_apply(struct fg_daemon *d, __u64 now);
/* The fleet went down or away: every share deleted (the datapath ignores
 * them once expired anyway; this makes it so at once). */
void fg_shares_drop(struct fg_daemon *d);
/* Shares in force (the metric). */
__u32 fg_shares_active(const struct fg_daemon *d);
void fg_shares_release(struct fg_daemon *d);

#endif /* FG_FLEET_SHARE_IO_H */
