// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The program of the live-frames generator (tests/bench/bench_live.c): run
 * by BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES over one prebuilt
 * Ethernet/IPv4/UDP frame, it gives each frame its source and redirects it
 * out of the sending veth, whose ndo_xdp_xmit hands it to the peer as an
 * xdp_frame: the receiving side's XDP then runs with no skb and no page
 * copy, as on a NIC.
 *
 * Sources: base + i for i = 0, 1, .. nsrc - 1 in turn, or (rand_src) a
 * random address of 198.18.0.0/15 outside 198.18.0.0/24 (the bench's own
 * hosts). The IPv4 checksum is the header's sum without the source (csum_rest,
 * from user space) plus the source: the page a frame lands in keeps whatever
 * the last frame in it carried, so nothing is updated incrementally.
 *
 * frames counts the frames given a source; the generator runs on one CPU, so
 * plain increments are exact, and frame k (from 0) carries source k mod nsrc.
 * Every LIVE_MARK_EVERY-th frame the program notes the clock in marks
 * (sized by user space), so frame k went out between marks[k / EVERY] and
 * marks[k / EVERY + 1]: the per-source send times of the accuracy check, to
 * a fraction of a millisecond, for one clock read per 4096 frames.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "compat.h"

const volatile __u32 ifindex;	/* the sending veth */
const volatile __u32 nsrc = 1;	/* sources in turn (not random) */
const volatile __u32 base;	/* first source, host order */
const volatile __u32 rand_src;	/* random sources of 198.18.0.0/15 */
const volatile __u32 csum_rest;	/* sum of the header's 16-bit words, saddr and check zero */

#define LIVE_MARK_SHIFT 12 /* bench_live.c has the same */
#define LIVE_MARK_EVERY (1u << LIVE_MARK_SHIFT)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1); /* set before load */
} marks SEC(".maps");

__u64 frames;
__u32 next;

SEC("xdp")
int live_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 s, ns, sum;

	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	if (rand_src) {
		s = 0xc6120000u | (bpf_get_prandom_u32() & 0x1ffffu);
		if (!(s & 0x1ff00u))
			s |= 0x100u;
	} else {
		s = base + next;
		if (++next >= nsrc)
			next = 0;
	}
	if (!(frames & (LIVE_MARK_EVERY - 1))) {
		__u32 k = (__u32)(frames >> LIVE_MARK_SHIFT);
		__u64 *m = bpf_map_lookup_elem(&marks, &k);

		if (m)
			*m = bpf_ktime_get_ns();
	}
	frames++;
	ns = bpf_htonl(s);
	ip->saddr = ns;
	sum = csum_rest + (ns & 0xffff) + (ns >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = (__u16)~sum;
	return bpf_redirect(ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
