/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Every map floodgate pins, listed once:
 *   X(field, pin name under the pin dir, C name in bpf/map_defs.h)
 * User space derives struct fg_maps, the pin names, and the skeleton's map
 * for each pin from this list, so they cannot drift apart; a map added to
 * the BPF side is pinned, opened and layout-checked once it is added here.
 */
#ifndef FG_PINNED_MAPS_H
#define FG_PINNED_MAPS_H

#include "floodgate_kern_user.h"
#include "upstream_kern_user.h"

/* config's C name differs: vmlinux.h has a typedef 'config'. */
#define FG_PINNED_MAPS(X)                                    \
	X(config, FG_MAP_CONFIG, config_map)                 \
	X(policy, FG_MAP_POLICY, policy)                     \
	X(buckets, FG_MAP_BUCKETS, buckets)                  \
	X(stats, FG_MAP_STATS, stats)                        \
	X(upstreams, FG_MAP_UPSTREAMS, upstreams)            \
	X(upstream_ports, FG_MAP_UPSTREAM_PORTS, upstream_ports) \
	X(upstream_stats, FG_MAP_UPSTREAM_STATS, upstream_stats) \
	X(pending_syn, FG_MAP_PENDING_SYN, pending_syn)      \
	X(flows, FG_MAP_FLOWS, flows)                        \
	X(upstream_rt, FG_MAP_UPSTREAM_RT, upstream_rt)      \
	FG_PINNED_SHARE_MAPS(X)

/* Fleet shares (floodgate_kern_user.h), a block of their own. */
#define FG_PINNED_SHARE_MAPS(X)                              \
	X(hot, FG_MAP_HOT, hot)                              \
	X(shares, FG_MAP_SHARES, shares)

#endif /* FG_PINNED_MAPS_H */
