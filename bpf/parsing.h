/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Packet parsing shared by every floodgate program: Ethernet with up to two
 * 802.1Q/802.1ad tags, IPv4 (options, fragments) and IPv6 (up to
 * FG_MAX_V6_EXT extension headers), then the TCP/UDP ports when the packet
 * carries them. Works on plain data/data_end pointers so XDP and TC entry
 * points share it.
 *
 * What the parser cannot see through is malformed, never "no ports": a
 * packet whose ports go unread would skip the breaker check. So a third VLAN
 * tag, an extension-header chain longer than FG_MAX_V6_EXT, and a TCP header
 * shorter than 20 bytes or longer than its datagram are all FG_PARSE_MALFORMED
 * (dropped by default, see fg_config.malformed).
 */
#ifndef FG_PARSING_H
#define FG_PARSING_H

#include "compat.h"

enum fg_parse {
	FG_PARSE_OK = 0,
	FG_PARSE_NOT_IP,    /* not IPv4/IPv6: leave it alone */
	FG_PARSE_MALFORMED, /* truncated or inconsistent IP/L4 header */
};

/*
 * What parsing learned. Offsets, not pointers: the parser runs as a global
 * BPF function (verified once, see floodgate.bpf.c), so its results reach
 * the caller as plain scalars and the caller's verifier state stays small.
 */
struct fg_pkt {
	__u8 src[16];    /* v4-mapped for IPv4 */
	__u8 dst[16];
	__u16 sport;     /* network order; 0 when absent */
	__u16 dport;
	__u16 l3off;     /* IP header, from the frame start */
	__u16 l4off;     /* L4 header; 0 when absent */
	__u32 l3end;     /* end of the IP datagram per its length fields */
	__u8 l4proto;    /* IPPROTO_*; of the last header parsed */
	__u8 is_v6;
	__u8 frag;       /* a fragment of any kind */
	__u8 later_frag; /* not the first fragment: no L4 header */
	__u8 tcp_flags;  /* FIN..CWR bits (byte 13 of the TCP header) */
	__u8 tcp_hlen;   /* TCP header length in bytes */
	__u32 tcp_seq;   /* host order */
	/* Input, set by the caller before fg_parse(): the skb's length when it
	 * is a GSO skb (TC only), else 0. Such an IP header may carry length 0
	 * (BIG TCP, over 64 KiB), meaning "to the end of the skb". XDP leaves
	 * it 0: a frame off the wire always has real lengths. */
	__u32 gso_len;
};

#define FG_TCP_FIN 0x01
#define FG_TCP_SYN 0x02
#define FG_TCP_RST 0x04
#define FG_TCP_ACK 0x10

#define FG_MAX_VLAN 2
#define FG_MAX_V6_EXT 6

static __always_inline void fg_v4_mapped(__u8 *out, __be32 addr)
{
	__u32 *w = (__u32 *)out;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0x0000ffff);
	w[3] = addr;
}

static __always_inline void fg_copy16(__u8 *out, const void *in)
{
	const __u32 *s = in;
	__u32 *d = (__u32 *)out;

	d[0] = s[0];
	d[1] = s[1];
	d[2] = s[2];
	d[3] = s[3];
}

/* IPv6 extension headers (RFC 7045) the parser walks to reach L4. */
static __always_inline int fg_v6_is_ext(__u8 nexthdr)
{
	return nexthdr == IPPROTO_HOPOPTS || nexthdr == IPPROTO_ROUTING ||
	       nexthdr == IPPROTO_DSTOPTS || nexthdr == IPPROTO_FRAGMENT ||
	       nexthdr == IPPROTO_AH || nexthdr == FG_IPPROTO_MH ||
	       nexthdr == FG_IPPROTO_HIP || nexthdr == FG_IPPROTO_SHIM6;
}

/*
 * Ports from a TCP/UDP header at l4; a header that does not fit is malformed.
 * So is a TCP data offset below 5 words, or one reaching past the datagram:
 * the kernel drops both (tcp_v4_rcv, "bad_packet"), and a header we misread
 * could hide a SYN from the breaker or the observer.
 */
static __always_inline int fg_parse_l4(struct fg_pkt *p, void *data, void *l4, void *end)
{
	p->l4off = l4 - data;
	if (p->l4proto == IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > end)
			return FG_PARSE_MALFORMED;
		if (th->doff < 5 || p->l4off + th->doff * 4 > p->l3end)
			return FG_PARSE_MALFORMED;
		p->sport = th->source;
		p->dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		p->tcp_hlen = th->doff * 4;
		p->tcp_seq = bpf_ntohl(th->seq);
	} else if (p->l4proto == IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > end)
			return FG_PARSE_MALFORMED;
		p->sport = uh->source;
		p->dport = uh->dest;
	}
	return FG_PARSE_OK;
}

static __always_inline int fg_parse_ipv4(struct fg_pkt *p, void *data, void *l3, void *end)
{
	struct iphdr *iph = l3;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > end)
		return FG_PARSE_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return FG_PARSE_MALFORMED;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	/* BIG TCP: a GSO TCP skb over 64 KiB has tot_len 0 and its real length
	 * in the skb (the kernel's iph_totlen()). Only there: at XDP, or on any
	 * other skb, tot_len 0 stays malformed. */
	if (tot == 0 && p->gso_len > (__u32)(l3 - data) && iph->protocol == IPPROTO_TCP)
		tot = p->gso_len - (l3 - data);
	if (l3 + hlen > end || tot < hlen)
		return FG_PARSE_MALFORMED;

	p->l3end = (l3 - data) + tot;
	fg_v4_mapped(p->src, iph->saddr);
	fg_v4_mapped(p->dst, iph->daddr);
	p->l4proto = iph->protocol;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
		p->frag = 1;
		/* Later fragments carry no L4 header: their bytes are payload. */
		if (iph->frag_off & bpf_htons(IP_OFFSET)) {
			p->later_frag = 1;
			return FG_PARSE_OK;
		}
	}
	return fg_parse_l4(p, data, l3 + hlen, end);
}

static __always_inline int fg_parse_ipv6(struct fg_pkt *p, void *data, void *l3, void *end)
{
	struct ipv6hdr *ip6h = l3;
	void *pos = l3 + sizeof(*ip6h);
	__u32 plen, l3off = l3 - data;
	int i, gso_plen = 0;
	__u8 nexthdr;

	if ((void *)(ip6h + 1) > end)
		return FG_PARSE_MALFORMED;
	if (ip6h->version != 6)
		return FG_PARSE_MALFORMED;
	plen = bpf_ntohs(ip6h->payload_len);
	/* BIG TCP over IPv6: as for IPv4, payload_len 0 on a GSO skb, which
	 * must then turn out to be TCP (checked below). */
	if (plen == 0 && p->gso_len > l3off + sizeof(*ip6h)) {
		plen = p->gso_len - l3off - sizeof(*ip6h);
		gso_plen = 1;
	}
	p->l3end = l3off + sizeof(*ip6h) + plen;
	fg_copy16(p->src, &ip6h->saddr);
	fg_copy16(p->dst, &ip6h->daddr);
	p->is_v6 = 1;
	nexthdr = ip6h->nexthdr;

#pragma unroll
	for (i = 0; i < FG_MAX_V6_EXT; i++) {
		struct ipv6_opt_hdr *oh = pos;

		if (!fg_v6_is_ext(nexthdr))
			break;
		if ((void *)(oh + 1) > end)
			return FG_PARSE_MALFORMED;
		if (nexthdr == IPPROTO_FRAGMENT) {
			struct frag_hdr *fh = pos;

			if ((void *)(fh + 1) > end)
				return FG_PARSE_MALFORMED;
			p->frag = 1;
			nexthdr = fh->nexthdr;
			pos += sizeof(*fh);
			if (fh->frag_off & bpf_htons(0xFFF8)) {
				p->later_frag = 1;
				p->l4proto = nexthdr;
				return FG_PARSE_OK;
			}
			continue;
		}
		nexthdr = oh->nexthdr;
		if (nexthdr == IPPROTO_AH)
			pos += (oh->hdrlen + 2) * 4;
		else
			pos += (oh->hdrlen + 1) * 8;
	}
	/* Still inside the chain: too long to follow. Malformed, not "no L4":
	 * the kernel would walk on and deliver the TCP segment at its end. */
	if (fg_v6_is_ext(nexthdr) || (gso_plen && nexthdr != IPPROTO_TCP))
		return FG_PARSE_MALFORMED;
	p->l4proto = nexthdr;
	return fg_parse_l4(p, data, pos, end);
}

/*
 * The frame most traffic is, parsed inline (no call, no return thunk):
 * untagged Ethernet, IPv4 with no options and no fragment bits, UDP or TCP.
 * For such a frame it does exactly what fg_parse() does. Anything else
 * (tags, options, fragments, IPv6, other protocols, a truncated or
 * inconsistent IPv4 header) is FG_PARSE_SLOW with p untouched, and the
 * caller hands the frame to the full parser.
 */
#define FG_PARSE_SLOW (-1)

static __always_inline int fg_parse_v4_plain(struct fg_pkt *p, void *data, void *end)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 tot;

	if ((void *)(iph + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return FG_PARSE_SLOW;
	/* Version 4, IHL 5: the first byte is 0x45. */
	if (*(__u8 *)iph != 0x45 || (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) ||
	    (iph->protocol != IPPROTO_UDP && iph->protocol != IPPROTO_TCP))
		return FG_PARSE_SLOW;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < sizeof(*iph))
		return FG_PARSE_SLOW;
	p->l3off = sizeof(*eth);
	p->l3end = sizeof(*eth) + tot;
	fg_v4_mapped(p->src, iph->saddr);
	fg_v4_mapped(p->dst, iph->daddr);
	p->l4proto = iph->protocol;
	return fg_parse_l4(p, data, iph + 1, end);
}

/* Parse from the Ethernet header at data. */
static __always_inline int fg_parse(struct fg_pkt *p, void *data, void *end)
{
	struct ethhdr *eth = data;
	void *pos = data + sizeof(*eth);
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > end)
		return FG_PARSE_NOT_IP;
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < FG_MAX_VLAN; i++) {
		struct vlan_hdr *vh = pos;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > end)
			return FG_PARSE_NOT_IP;
		proto = vh->h_vlan_encapsulated_proto;
		pos += sizeof(*vh);
	}
	/* A third tag: IP may hide behind it, and the stack of a box with
	 * stacked VLAN devices would parse it. Unparsed is not "not IP". */
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return FG_PARSE_MALFORMED;

	p->l3off = pos - data;
	if (proto == bpf_htons(ETH_P_IP))
		return fg_parse_ipv4(p, data, pos, end);
	if (proto == bpf_htons(ETH_P_IPV6))
		return fg_parse_ipv6(p, data, pos, end);
	return FG_PARSE_NOT_IP;
}

#endif /* FG_PARSING_H */
