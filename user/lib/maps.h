/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Access to floodgate's pinned maps from user space. */
#ifndef FG_MAPS_USER_H
#define FG_MAPS_USER_H

#include <stddef.h>
#include <linux/types.h>
#include "pinned_maps.h"
#include "names.h" /* fg_stat_names, fg_ustat_names */

/* File descriptors of the pinned maps, one field per FG_PINNED_MAPS entry,
 * in its order (-1: not open). */
struct fg_maps {
#define FG_MAP_FD_FIELD(field, pin, cname) int field;
	FG_PINNED_MAPS(FG_MAP_FD_FIELD)
#undef FG_MAP_FD_FIELD
};

#define FG_MAP_COUNT_ONE(field, pin, cname) +1
enum { FG_MAP_COUNT = 0 FG_PINNED_MAPS(FG_MAP_COUNT_ONE) };

#define FG_MAP_FD_NONE(field, pin, cname) .field = -1,
#define FG_MAPS_INIT { FG_PINNED_MAPS(FG_MAP_FD_NONE) }

/* Pin names and the BPF object's C names, in FG_PINNED_MAPS order: attach
 * pins by them, detach unpins, the layout check finds the declared map. */
extern const char *const fg_map_names[FG_MAP_COUNT];
extern const char *const fg_map_cnames[FG_MAP_COUNT];
extern const int fg_map_count;

/* Open every pinned map and check it is this build's (layout.h): a pin of
 * another version or program is refused with a one-line error, nothing
 * opened. fresh: the maps were just created by this build (attach), so the
 * config map has no layout version yet. */
int fg_maps_open(const char *pin_dir, struct fg_maps *m, char *err, size_t errlen);
int fg_maps_open_as(const char *pin_dir, struct fg_maps *m, int fresh, char *err,
		    size_t errlen);
void fg_maps_close(struct fg_maps *m);

int fg_config_get(const struct fg_maps *m, struct fg_config *cfg);
int fg_config_set(const struct fg_maps *m, const struct fg_config *cfg);
void fg_config_defaults(struct fg_config *cfg);
/* After any change to the policy set: derive the flags (fg_policy_derive)
 * and tell the datapath that cached policies are stale. */
int fg_policy_bump_gen(const struct fg_maps *m);
/* The next policy generation (never FG_GEN_RECHECK). */
void fg_policy_gen_next(struct fg_config *cfg);
/* Set FG_POL_SPLIT on every policy that is the nearest cover (at most
 * v6_prefix bits) of an IPv6 policy longer than v6_prefix; clear it elsewhere.
 * Run whenever the policy set or v6_prefix changes. */
int fg_policy_derive(const struct fg_maps *m, __u32 v6_prefix);
/* Same configuration (ignores derived flags and the datapath's state). */
int fg_policy_same(const struct fg_policy *a, const struct fg_policy *b);

/* Sum of each per-CPU counter. */
int fg_stats_sum(const struct fg_maps *m, __u64 out[FG_STAT_MAX]);
/* The verdict totals of summed counters: reasons below FG_R_FIRST_DROP pass. */
void fg_stats_totals(const __u64 c[FG_STAT_MAX], __u64 *pass, __u64 *drop);

/* Upstream counters summed over CPUs. */
int fg_upstream_stats_sum(const struct fg_maps *m, __u32 id, __u64 out[FG_U_MAX]);
/* One upstream's per-CPU counters (ncpu values, as a lookup returns them) summed. */
void fg_upstream_stats_fold(const struct fg_upstream_stats *percpu, int ncpu,
			    __u64 out[FG_U_MAX]);

/* Entries in the bucket map, and its capacity and memory in bytes. */
int fg_buckets_usage(const struct fg_maps *m, __u64 *entries, __u64 *capacity,
		     __u64 *memory);

/* A map's max_entries, 0 if unknown. */
__u64 fg_map_capacity(int fd);

/* A map's kernel memory in bytes (fdinfo "memlock"), 0 if unknown. */
__u64 fg_map_memory(int fd);

/* The kernel's CLOCK_MONOTONIC in ns, the clock of bpf_ktime_get_ns(),
 * also from inside a time namespace (its offset taken out). */
__u64 fg_now_ns(void);

#endif /* FG_MAPS_USER_H */
