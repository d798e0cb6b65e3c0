/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The upstreams map as a table: find by name, allocate ids, counters.
 * Shared by the CLI and the daemon. Entries are written by upstream_entry.h.
 */
#ifndef FG_UPSTREAMS_H
#define FG_UPSTREAMS_H

#include "maps.h"

struct fg_upstream_entry {
	struct fg_upstream_key key;
	struct fg_upstream val;
};

/* All upstreams; *out is malloc'ed, the count returned (or -errno). */
int fg_upstreams_read(const struct fg_maps *m, struct fg_upstream_entry **out);
/* Index of the entry called name in list, or -1. */
int fg_upstreams_find(const struct fg_upstream_entry *list, int n, const char *name);
/* Lowest id no entry in list uses, or -ENOSPC. */
int fg_upstreams_free_id(const struct fg_upstream_entry *list, int n);
/* Zero an id's per-CPU counters (a reused id must not inherit them). */
int fg_upstream_stats_reset(const struct fg_maps *m, __u32 id);
/* Zero an id's upstream_rt entry (RST bucket, permits spent). Only while no
 * upstream has the id: the datapath owns the entry from then on. */
int fg_upstream_rt_reset(const struct fg_maps *m, __u32 id);
/* Half-open permits v has left this period (0 when not half-open). */
__u32 fg_upstream_permits_left(const struct fg_maps *m, const struct fg_upstream *v);

#endif /* FG_UPSTREAMS_H */
