/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Maps shared by the floodgate programs; layouts in floodgate_kern_user.h. */
#ifndef FG_MAP_DEFS_H
#define FG_MAP_DEFS_H

#include "floodgate_kern_user.h"
#include "upstream_kern_user.h"

/* Global settings, written by the CLI and the daemon. Pinned as "config"
 * (the C name differs only because vmlinux.h has a typedef "config"). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fg_config);
} config_map SEC(".maps");

/* Prefix -> allow / deny / limit; longest prefix wins. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FG_POLICY_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fg_lpm_key);
	__type(value, struct fg_policy);
} policy SEC(".maps");

/* Source (or prefix) -> GCRA state; the coldest are evicted when full. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FG_BUCKETS_MAX + FG_BUCKETS_LRU_SLACK);
	__type(key, struct fg_bucket_key);
	__type(value, struct fg_bucket);
} buckets SEC(".maps");

/* Per-CPU counters by reason (enum fg_stat). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* {addr, port, proto} -> breaker state of that upstream. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FG_UPSTREAMS_MAX);
	__type(key, struct fg_upstream_key);
	__type(value, struct fg_upstream);
} upstreams SEC(".maps");

/* A bit per (protocol, port) some upstream uses, 64 to a word (see
 * fg_port_word): most packets skip the upstreams hash lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FG_PORT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} upstream_ports SEC(".maps");

/* Per-CPU counters per upstream id (enum fg_ustat). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FG_UPSTREAMS_MAX);
	__type(key, __u32);
	__type(value, struct fg_upstream_stats);
} upstream_stats SEC(".maps");

/* Per upstream id, what the datapath itself keeps: the reset_rate bucket
 * and the half-open permits spent (see struct fg_upstream_rt). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FG_UPSTREAMS_MAX);
	__type(key, __u32);
	__type(value, struct fg_upstream_rt);
} upstream_rt SEC(".maps");

/*
 * Connection attempts awaiting an answer; old entries are connect timeouts.
 * Whoever deletes an entry owns its outcome: tc_ingress (a SYN-ACK or RST
 * acking the SYN) or floodgated's sweep (a timeout), never both.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FG_PENDING_SYN_MAX);
	__type(key, struct fg_flow_key);
	__type(value, struct fg_pending);
} pending_syn SEC(".maps");

/*
 * Connections whose handshake the datapath saw, so replies on them may
 * count (observe.h). Apart from pending_syn because the daemon's sweep
 * deletes from that one: a swept entry must never take a live flow with
 * it. An LRU: a flood of connections evicts the coldest flows, whose
 * replies then stop counting (FG_C_FLOW_UNTRACKED says how often).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FG_FLOWS_MAX);
	__type(key, struct fg_flow_key);
	__type(value, struct fg_flow);
} flows SEC(".maps");

/*
 * The last precise clock reading of this CPU's limiter: a lower bound of
 * now, which tells a packet that cannot be over its limit without reading a
 * clock (limiter.h). A cache, never pinned: a fresh load starts from 0.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} clock_seen SEC(".maps");

/* Fleet shares (floodgate_kern_user.h). Sources marked hot: the datapath
 * writes them, floodgated reads and deletes the cooled ones. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FG_HOT_MAX);
	__type(key, struct fg_bucket_key);
	__type(value, struct fg_hot);
} hot SEC(".maps");

/* Hot source -> this box's share of its limit, written by floodgated only.
 * Not preallocated: an update replaces the element under RCU, so a packet
 * never reads a share half rewritten (a preallocated element can be reused
 * under a reader). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FG_SHARES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fg_bucket_key);
	__type(value, struct fg_share);
} shares SEC(".maps");

static __always_inline void fg_count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&stats, &idx);

	if (c)
		*c += 1;
}

static __always_inline void fg_ucount(__u32 id, __u32 idx)
{
	struct fg_upstream_stats *s = bpf_map_lookup_elem(&upstream_stats, &id);

	if (s && idx < FG_U_MAX)
		s->c[idx] += 1;
}

#endif /* FG_MAP_DEFS_H */
