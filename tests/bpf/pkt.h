/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Builds test frames: Ethernet (+VLAN tags), IPv4/IPv6 (+options, extension
 * headers, fragments), UDP/TCP/ICMP, with correct lengths. */
#ifndef FG_TEST_PKT_H
#define FG_TEST_PKT_H

#include <stddef.h>
#include <linux/types.h>

struct pkt_spec {
	const char *src, *dst; /* IPv4 or IPv6 literal; family follows src */
	int vlans;             /* 0, 1 (802.1Q), 2 (802.1ad + 802.1Q), 3 (one Q more) */
	int proto;             /* IPPROTO_UDP (default when 0), TCP, ICMP */
	int ip_opts;           /* IPv4 option bytes, multiple of 4 */
	int frag_off;          /* fragment offset in 8-byte units; >0 = later fragment */
	int more_frags;        /* MF set (with frag_off 0: a first fragment) */
	int v6_ext;            /* IPv6: hop-by-hop + destination options headers */
	int payload;           /* L4 payload bytes (zeros), when data is NULL */
	const char *data;      /* L4 payload, when set */
	__u16 sport, dport;
	__u8 tcp_flags;        /* 0: SYN */
	__u32 seq;             /* TCP sequence number */
	__u32 ack;             /* TCP acknowledgment number */
	int v6_dstopts;        /* IPv6: this many more 8-byte destination options headers */
	int doff;              /* TCP data offset in words; 0: 5 (a 20-byte header), -1: 0 */
};

/* One's complement sum helper, exported for checking checksums. */
__u16 pkt_csum(const void *data, size_t len, __u32 seed);

/* Returns the frame length written to buf (at most cap). */
size_t pkt_build(const struct pkt_spec *s, __u8 *buf, size_t cap);
/* An ARP request frame. */
size_t pkt_arp(__u8 *buf, size_t cap);
/* Offset of the IP header in a frame built with s. */
size_t pkt_l3_off(const struct pkt_spec *s);

#endif /* FG_TEST_PKT_H */
