/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Turn a TCP SYN into the RST that refuses it, in place, so the client's
 * connect() fails at once instead of retrying SYNs for seconds. Hook-neutral:
 * the caller trims the frame (bpf_xdp_adjust_tail / bpf_skb_change_tail)
 * between fg_rst_plan() and fg_rst_write(), and sends it back.
 * Only plain headers are answered (IPv4 without options, IPv6 without
 * extension headers), and only where a RST is safe to send (fg_rst_safe);
 * anything else is dropped instead. The caller also spends a reset_rate
 * token (fg_reset_take) between the plan and the rewrite.
 */
#ifndef FG_RST_H
#define FG_RST_H

#include "parsing.h"

#define FG_MAX_L3_OFF (14 + 4 * FG_MAX_VLAN)

struct fg_rst {
	__u32 l3off;   /* Ethernet + tags */
	__u32 len;     /* the RST frame's length */
	__u32 ack;     /* host order: the SYN's seq + 1 + its payload */
	__u8 is_v6;
};

/*
 * May a RST go to p's source? Only to one host that could have sent the SYN:
 * a forged source is the norm in a SYN flood, and an answer to a multicast,
 * broadcast, loopback or unspecified address would reach many hosts, or
 * this one, or none. The kernel drops these sources as martians itself
 * (ip_route_input_slow, ipv6_rcv), so a real client is not refused a RST;
 * 240/4 is reserved and routed nowhere.
 *   IPv4: not 0/8 (this network), 127/8 (loopback), 224/4 (multicast) or
 *         240/4 (reserved, and 255.255.255.255 limited broadcast).
 *   IPv6: not ::, ::1, ff00::/8 (multicast) or ::ffff:0:0/96 (v4-mapped:
 *         never a source on the wire, RFC 6890).
 */
static __always_inline int fg_rst_src_ok(const struct fg_pkt *p)
{
	const __u32 *w = (const __u32 *)p->src;
	__u8 a = p->src[12];

	if (!p->is_v6)
		return a != 0 && a != 127 && a < 224;
	if (p->src[0] == 0xff)
		return 0;
	if (w[0] == 0 && w[1] == 0) {
		if (w[2] == bpf_htonl(0x0000ffff))
			return 0;
		if (w[2] == 0 && (w[3] == 0 || w[3] == bpf_htonl(1)))
			return 0;
	}
	return 1;
}

/*
 * The frame: both MACs unicast (I/G bit clear). The RST swaps them, so a
 * group source MAC would be its destination, and a group destination MAC
 * (a SYN to broadcast or multicast) its source; the kernel would not have
 * answered such a frame either (tcp_v4_rcv drops non-PACKET_HOST). Never a
 * RST for a packet that has RST set (SYN|RST): RSTs are not answered.
 */
static __always_inline int fg_rst_safe(const struct fg_pkt *p, void *data, void *end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return 0;
	if ((eth->h_source[0] | eth->h_dest[0]) & 1)
		return 0;
	if (p->tcp_flags & FG_TCP_RST)
		return 0;
	return fg_rst_src_ok(p);
}

/* Decide whether p (a SYN in the frame at data) can be answered, and how.
 * 0 when it can. */
static __always_inline int fg_rst_plan(const struct fg_pkt *p, void *data, void *end,
				       struct fg_rst *r)
{
	__u32 l3len = p->is_v6 ? 40 : 20, pend;

	/* Plain headers only: IPv4 without options, IPv6 without extensions. */
	if (p->l4proto != IPPROTO_TCP || p->l4off != p->l3off + l3len)
		return -1;
	if (!fg_rst_safe(p, data, end))
		return -1;
	r->l3off = p->l3off;
	r->is_v6 = p->is_v6;
	pend = p->l4off + p->tcp_hlen;
	/* SYN occupies one sequence number, its payload (if any) the rest. */
	r->ack = p->tcp_seq + 1 + (p->l3end > pend ? p->l3end - pend : 0);
	r->len = p->l4off + sizeof(struct tcphdr);
	return 0;
}

static __always_inline __u16 fg_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

static __always_inline __u32 fg_csum_add(__u32 sum, const void *p, int words)
{
	const __u16 *w = p;

#pragma unroll
	for (int i = 0; i < words; i++)
		sum += w[i];
	return sum;
}

static __always_inline __u32 fg_csum_u32(__u32 sum, __u32 v)
{
	return sum + (v & 0xffff) + (v >> 16);
}

static __always_inline void fg_swap16(__u8 *a, __u8 *b, int n)
{
#pragma unroll
	for (int i = 0; i < n; i++) {
		__u8 t = a[i];

		a[i] = b[i];
		b[i] = t;
	}
}

/*
 * Rewrite the trimmed frame at data into the RST. l3off is a constant at each
 * call site (see fg_rst_write), so every access is a fixed offset from data
 * and one bound check covers them all.
 */
static __always_inline int fg_rst_write_at(void *data, void *end, const struct fg_rst *r,
					   const __u32 l3off)
{
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u32 sum;
	__u16 sport;

	if (data + l3off + sizeof(struct ipv6hdr) + sizeof(struct tcphdr) > end &&
	    data + l3off + sizeof(struct iphdr) + sizeof(struct tcphdr) > end)
		return -1;
	if ((void *)(eth + 1) > end)
		return -1;
	fg_swap16(eth->h_dest, eth->h_source, ETH_ALEN);

	if (r->is_v6) {
		struct ipv6hdr *ip6 = data + l3off;

		th = (void *)(ip6 + 1);
		if ((void *)(th + 1) > end)
			return -1;
#pragma unroll
		for (int i = 0; i < 4; i++) {
			__u32 t = ip6->saddr.in6_u.u6_addr32[i];

			ip6->saddr.in6_u.u6_addr32[i] = ip6->daddr.in6_u.u6_addr32[i];
			ip6->daddr.in6_u.u6_addr32[i] = t;
		}
		ip6->payload_len = bpf_htons(sizeof(*th));
		ip6->hop_limit = 64;
		ip6->flow_lbl[0] = ip6->flow_lbl[1] = ip6->flow_lbl[2] = 0;
		ip6->priority = 0;
		sum = 0;
#pragma unroll
		for (int i = 0; i < 4; i++) {
			sum = fg_csum_u32(sum, ip6->saddr.in6_u.u6_addr32[i]);
			sum = fg_csum_u32(sum, ip6->daddr.in6_u.u6_addr32[i]);
		}
	} else {
		struct iphdr *ip = data + l3off;
		__be32 a;

		th = (void *)(ip + 1);
		if ((void *)(th + 1) > end)
			return -1;
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*th));
		ip->id = 0;
		ip->frag_off = bpf_htons(0x4000); /* DF */
		ip->ttl = 64;
		ip->tos = 0;
		ip->check = 0;
		ip->check = fg_csum_fold(fg_csum_add(0, ip, sizeof(*ip) / 2));
		sum = fg_csum_u32(fg_csum_u32(0, ip->saddr), ip->daddr);
	}

	sport = th->source;
	th->source = th->dest;
	th->dest = sport;
	th->ack_seq = bpf_htonl(r->ack);
	th->seq = 0;
	((__u8 *)th)[12] = 5 << 4;                    /* doff 5, no options */
	((__u8 *)th)[13] = FG_TCP_RST | FG_TCP_ACK;
	th->window = 0;
	th->urg_ptr = 0;
	th->check = 0;
	/* Pseudo header: addresses (summed above), protocol, TCP length. */
	sum += bpf_htons(IPPROTO_TCP) + bpf_htons(sizeof(*th));
	th->check = fg_csum_fold(fg_csum_add(sum, th, sizeof(*th) / 2));
	return 0;
}

/* Rewrite the trimmed frame at data into the RST. 0 on success. */
static __always_inline int fg_rst_write(void *data, void *end, const struct fg_rst *r)
{
	switch (r->l3off) {
	case 14:
		return fg_rst_write_at(data, end, r, 14);
	case 18:
		return fg_rst_write_at(data, end, r, 18);
	case 22:
		return fg_rst_write_at(data, end, r, 22);
	default:
		return -1;
	}
}

#endif /* FG_RST_H */
