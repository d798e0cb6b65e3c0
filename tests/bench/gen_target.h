/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * What both frame generators (bench_gen, bench_live) aim at and how long
 * they run: the interface, the peer's MAC and address, the sources, the UDP
 * port, the count and duration bounds, the CPU, the per-source file. One
 * set of options, one check that everything lies in the benchmark's own
 * range (198.18.0.0/15), one lookup of the interface.
 */
#ifndef FG_GEN_TARGET_H
#define FG_GEN_TARGET_H

#include <arpa/inet.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/types.h>
#include <linux/udp.h>

#define GEN_MAX_SOURCES (1u << 17) /* 198.18.0.0/15 has 131072 addresses */
#define GEN_FRAME_LEN 60           /* Ethernet + IPv4 + UDP + payload: the minimum frame */
#define GEN_NET_15 0xc6120000u

struct gen_target {
	const char *ifname, *dmac_s, *dst_s, *base_s, *per_path;
	unsigned long long count; /* the caller's default, then the option's */
	double duration;
	unsigned int nsrc, dport;
	int cpu;
	/* Filled by gen_target_check() and gen_target_iface(). */
	__u8 dmac[6], smac[6];
	struct in_addr dst, base;
	int ifindex;
};

/* The defaults every generator shares; count differs per tool. */
#define GEN_TARGET_INIT(cnt)                                                              \
	{ .base_s = "198.19.0.0", .count = (cnt), .duration = 5, .nsrc = 1, .dport = 9000 }

/* Long options of the target; their letters are gen_target_opt()'s. */
#define GEN_TARGET_OPTIONS                                                                \
	{ "ifname", required_argument, NULL, 'i' },                                       \
	{ "dst-mac", required_argument, NULL, 'm' },                                      \
	{ "dst-ip", required_argument, NULL, 'd' },                                       \
	{ "src-base", required_argument, NULL, 's' },                                     \
	{ "sources", required_argument, NULL, 'n' },                                      \
	{ "dport", required_argument, NULL, 'p' },                                        \
	{ "count", required_argument, NULL, 'c' },                                        \
	{ "duration", required_argument, NULL, 't' },                                     \
	{ "cpu", required_argument, NULL, 'C' },                                          \
	{ "per-source", required_argument, NULL, 'o' },                                   \
	{ "help", no_argument, NULL, 'h' }

/* The usage lines of the target; count_default a string literal. */
#define GEN_TARGET_USAGE(count_default)                                                   \
	"  --src-base A      first source address (default 198.19.0.0)\n"                    \
	"  --sources N       distinct sources, in turn (default 1)\n"                         \
	"  --dport P         UDP destination port (default 9000)\n"                          \
	"  --count N         stop after N frames (default " count_default ")\n"              \
	"  --duration S      stop after S seconds (default 5)\n"                             \
	"  --cpu C           pin to CPU C (default 0; -1: do not pin)\n"                     \
	"  --per-source FILE write index first_ns last_ns sent per source\n"

/* 1 when opt is one of the target's options (taken), else 0. */
static inline int gen_target_opt(struct gen_target *t, int opt, const char *arg)
{
	switch (opt) {
	case 'i': t->ifname = arg; break;
	case 'm': t->dmac_s = arg; break;
	case 'd': t->dst_s = arg; break;
	case 's': t->base_s = arg; break;
	case 'n': t->nsrc = strtoul(arg, NULL, 10); break;
	case 'p': t->dport = strtoul(arg, NULL, 10); break;
	case 'c': t->count = strtoull(arg, NULL, 10); break;
	case 't': t->duration = atof(arg); break;
	case 'C': t->cpu = atoi(arg); break;
	case 'o': t->per_path = arg; break;
	default: return 0;
	}
	return 1;
}

/* The benchmark's 60-byte Ethernet/IPv4/UDP frame into f, its IPv4 header
 * checksum left 0 for the caller (who may still set the source); the header. */
static inline struct iphdr *gen_build_frame(__u8 *f, const __u8 *dmac, const __u8 *smac,
					    __u32 saddr, __u32 daddr, __u16 sport, __u16 dport)
{
	struct ethhdr *eth = (void *)f;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	memset(f, 0, GEN_FRAME_LEN);
	memcpy(eth->h_dest, dmac, 6);
	memcpy(eth->h_source, smac, 6);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(GEN_FRAME_LEN - sizeof(*eth));
	ip->id = htons(1);
	ip->saddr = saddr;
	ip->daddr = daddr;
	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons(GEN_FRAME_LEN - sizeof(*eth) - sizeof(*ip));
	udp->check = 0; /* IPv4 allows no UDP checksum: nothing to verify */
	memcpy(udp + 1, "floodgate-bench", 15);
	return ip;
}

static inline int gen_parse_mac(const char *s, __u8 *mac)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

static inline int gen_in_net15(__u32 host_order)
{
	return (host_order >> 17) == (GEN_NET_15 >> 17);
}

/*
 * 0 when the target is whole and in range; else 2 (a usage error), with a
 * line naming a range problem (the other problems are the usage's).
 */
static inline int gen_target_check(const char *tool, struct gen_target *t)
{
	__u32 base;

	if (!t->ifname || !t->dmac_s || !t->dst_s || gen_parse_mac(t->dmac_s, t->dmac) ||
	    inet_pton(AF_INET, t->dst_s, &t->dst) != 1 ||
	    inet_pton(AF_INET, t->base_s, &t->base) != 1 || t->nsrc < 1 ||
	    t->nsrc > GEN_MAX_SOURCES || !t->dport || t->dport > 65535 || t->duration <= 0 ||
	    t->duration > 600 || !t->count)
		return 2;
	base = ntohl(t->base.s_addr);
	if (!gen_in_net15(ntohl(t->dst.s_addr)) || !gen_in_net15(base) ||
	    !gen_in_net15(base + t->nsrc - 1)) {
		fprintf(stderr, "%s: addresses must lie in 198.18.0.0/15\n", tool);
		return 2;
	}
	return 0;
}

/* The interface's index and MAC into t; 0, or 1 with a line saying why. */
static inline int gen_target_iface(const char *tool, struct gen_target *t)
{
	struct ifreq ifr = {};
	int fd, bad;

	t->ifindex = if_nametoindex(t->ifname);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
	bad = !t->ifindex || fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (fd >= 0)
		close(fd);
	if (bad) {
		fprintf(stderr, "%s: no such interface '%s'\n", tool, t->ifname);
		return 1;
	}
	memcpy(t->smac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

#endif /* FG_GEN_TARGET_H */
