// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "pkt.h"

static __u16 csum(const void *data, size_t len)
{
	return pkt_csum(data, len, 0);
}

/* Frames put IP headers at any offset (14, 18, 22): read them bytewise. */
__u16 pkt_csum(const void *data, size_t len, __u32 seed)
{
	const __u8 *p = data;
	__u32 sum = seed;
	__u16 w;

	for (; len > 1; len -= 2, p += 2) {
		memcpy(&w, p, 2);
		sum += w;
	}
	if (len)
		sum += *p;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

size_t pkt_l3_off(const struct pkt_spec *s)
{
	return ETH_HLEN + 4 * s->vlans;
}

/* Headers are filled in aligned locals and copied in: at offset 14 the IP
 * header is not 4-byte aligned. */
static void put16(__u8 *p, __u16 v)
{
	memcpy(p, &v, sizeof(v));
}

/* Writes the IPv4 header (and NOP options) at l3; returns the L4 offset. */
static size_t put_ip4(const struct pkt_spec *s, int proto, size_t l4len, int payload,
		      __u8 *buf, size_t l3)
{
	struct iphdr ip = {};
	size_t hlen = sizeof(ip) + s->ip_opts;
	int later = s->frag_off > 0;

	ip.version = 4;
	ip.ihl = hlen / 4;
	ip.ttl = 64;
	ip.protocol = proto;
	ip.frag_off = htons((s->more_frags ? 0x2000 : 0) | (s->frag_off & 0x1fff));
	inet_pton(AF_INET, s->src, &ip.saddr);
	inet_pton(AF_INET, s->dst ? s->dst : "198.18.0.1", &ip.daddr);
	/* A later fragment's bytes are payload, not an L4 header. */
	ip.tot_len = htons(hlen + (later ? 0 : l4len) + payload);
	memcpy(buf + l3, &ip, sizeof(ip));
	memset(buf + l3 + sizeof(ip), 1 /* NOP options */, s->ip_opts);
	ip.check = csum(buf + l3, hlen);
	memcpy(buf + l3, &ip, sizeof(ip));
	return l3 + hlen;
}

/* Writes the IPv6 header and extension headers at l3; returns the L4 offset. */
static size_t put_ip6(const struct pkt_spec *s, int proto, size_t l4len, int payload,
		      __u8 *buf, size_t l3)
{
	struct ipv6hdr ip6 = {};
	__u8 *nh = &ip6.nexthdr;
	size_t l4 = l3 + sizeof(ip6);

	ip6.version = 6;
	ip6.hop_limit = 64;
	inet_pton(AF_INET6, s->src, &ip6.saddr);
	inet_pton(AF_INET6, s->dst ? s->dst : "2001:db8::1", &ip6.daddr);
	if (s->v6_ext) {
		*nh = 0; /* hop-by-hop, 8 bytes of PadN */
		buf[l4 + 1] = 0;
		buf[l4 + 2] = 1;
		buf[l4 + 3] = 4;
		nh = &buf[l4];
		l4 += 8;
		*nh = 60; /* destination options, 16 bytes */
		buf[l4 + 1] = 1;
		buf[l4 + 2] = 1;
		buf[l4 + 3] = 12;
		nh = &buf[l4];
		l4 += 16;
	}
	for (int i = 0; i < s->v6_dstopts; i++) {
		*nh = 60; /* destination options, 8 bytes: PadN */
		buf[l4 + 1] = 0;
		buf[l4 + 2] = 1;
		buf[l4 + 3] = 4;
		nh = &buf[l4];
		l4 += 8;
	}
	if (s->frag_off || s->more_frags) {
		*nh = 44;
		buf[l4 + 1] = 0;
		put16(buf + l4 + 2, htons((s->frag_off << 3) | (s->more_frags ? 1 : 0)));
		nh = &buf[l4];
		l4 += 8;
	}
	*nh = proto;
	ip6.payload_len = htons(l4 - l3 - sizeof(ip6) + (s->frag_off ? 0 : l4len) + payload);
	memcpy(buf + l3, &ip6, sizeof(ip6));
	return l4;
}

static void put_tcp(const struct pkt_spec *s, __u8 *p)
{
	struct tcphdr th = {};

	th.source = htons(s->sport ? s->sport : 40000);
	th.dest = htons(s->dport ? s->dport : 80);
	th.doff = s->doff < 0 ? 0 : s->doff ? s->doff : 5;
	th.seq = htonl(s->seq);
	th.ack_seq = htonl(s->ack);
	th.window = htons(64240);
	memcpy(p, &th, sizeof(th));
	p[13] = s->tcp_flags ? s->tcp_flags : 0x02;
}

static void put_udp(const struct pkt_spec *s, int payload, __u8 *p)
{
	struct udphdr uh = {};

	uh.source = htons(s->sport ? s->sport : 40000);
	uh.dest = htons(s->dport ? s->dport : 9);
	uh.len = htons(8 + payload);
	memcpy(p, &uh, sizeof(uh));
}

size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap)
{
	int v6 = strchr(s->src, ':') != NULL;
	int proto = s->proto ? s->proto : IPPROTO_UDP;
	size_t l4len = proto == IPPROTO_TCP ? sizeof(struct tcphdr) : 8;
	int payload = s->data ? (int)strlen(s->data) : s->payload;
	size_t off = 0, l3, l4;
	__u16 ethertype = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);

	memset(buf, 0, cap);
	memcpy(buf, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	off = 12;
	if (s->vlans >= 2) {
		put16(buf + off, htons(ETH_P_8021AD));
		put16(buf + off + 2, htons(100));
		off += 4;
	}
	for (int i = s->vlans >= 2 ? 1 : 0; i < s->vlans; i++) {
		put16(buf + off, htons(ETH_P_8021Q));
		put16(buf + off + 2, htons(200 + i));
		off += 4;
	}
	put16(buf + off, ethertype);
	off += 2;
	l3 = off;

	if (!v6) {
		l4 = put_ip4(s, proto, l4len, payload, buf, l3);
		if (s->frag_off > 0)
			return l4 + payload;
	} else {
		l4 = put_ip6(s, proto, l4len, payload, buf, l3);
		if (s->frag_off)
			return l4 + payload;
	}

	if (proto == IPPROTO_TCP)
		put_tcp(s, buf + l4);
	else
		put_udp(s, payload, buf + l4);
	if (s->data)
		memcpy(buf + l4 + l4len, s->data, payload);
	return l4 + l4len + payload;
}

size_t pkt_arp(__u8 *buf, size_t cap)
{
	memset(buf, 0, cap);
	memcpy(buf, "\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x06", 14);
	/* htype 1, ptype IPv4, hlen 6, plen 4, op request */
	memcpy(buf + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	return 14 + 28;
}
