// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Reference programs for the NIC-like benchmark (tests/bench/run.sh section
 * 7), attached by bench_attach --ref:
 *
 *   xdp_src_drop  reads the ethertype and the IPv4 source, then drops: the
 *                 floor of any per-source limiter (it must at least look at
 *                 the source).
 *   xdp_gcra_ref  a minimal GCRA limiter: longest-prefix policy lookup (LPM
 *                 trie on the IPv4 source) for every packet, the source's
 *                 TAT in an LRU_HASH (inserted on its first packet), one
 *                 precise clock read and a compare-and-swap on the TAT.
 *                 Nothing else: no counters, no IPv6, no caching of the
 *                 policy, no coarse clock. It passes what it admits
 *                 (XDP_PASS), drops the rest, passes non-IPv4 and sources
 *                 no policy covers.
 *
 * The maps carry floodgate's sizes (bucket table FG_BUCKETS_MAX plus the
 * LRU slack), so a comparison with floodgate is one of code, not capacity.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "compat.h"
#include "floodgate_kern_user.h"

struct ref_lpm_key {
	__u32 prefixlen;
	__u32 addr; /* network order */
};

struct ref_policy {
	__u64 interval_ns; /* T = 1e9 / rate */
	__u64 tolerance_ns; /* (burst - 1) x T */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ref_lpm_key);
	__type(value, struct ref_policy);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ref_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FG_BUCKETS_MAX + FG_BUCKETS_LRU_SLACK);
} ref_buckets SEC(".maps");

#define REF_RETRIES 4

SEC("xdp")
int xdp_src_drop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	return ip->saddr ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_gcra_ref(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct ref_lpm_key k = { .prefixlen = 32 };
	struct ref_policy *pol;
	__u64 now, *tat;
	__u32 src;
	int i;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	src = ip->saddr;
	k.addr = src;
	pol = bpf_map_lookup_elem(&ref_policy, &k);
	if (!pol)
		return XDP_PASS;
	now = bpf_ktime_get_ns();
	tat = bpf_map_lookup_elem(&ref_buckets, &src);
	if (!tat) {
		__u64 first = now + pol->interval_ns;

		/* Lost a race with another CPU: its bucket has the packet's token. */
		bpf_map_update_elem(&ref_buckets, &src, &first, BPF_NOEXIST);
		return XDP_PASS;
	}
#pragma unroll
	for (i = 0; i < REF_RETRIES; i++) {
		__u64 old = *(volatile __u64 *)tat;
		__u64 base = old > now ? old : now;

		if (base - now > pol->tolerance_ns)
			return XDP_DROP;
		if (__sync_val_compare_and_swap(tat, old, base + pol->interval_ns) == old)
			return XDP_PASS;
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
