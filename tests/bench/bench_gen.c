// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
/*
 * bench_gen: a small AF_PACKET traffic generator for the veth benchmark.
 *
 * Prebuilt 60-byte Ethernet/IPv4/UDP frames, one per source (source i is
 * --src-base + i), sent round-robin with sendmmsg() on a packet socket that
 * bypasses the qdisc, pinned to one CPU. It stops by itself after --count
 * frames or --duration seconds, whichever comes first. trafgen and
 * xdp-trafficgen do not work on this machine (DESIGN.md section 8).
 *
 * Prints "key value" lines (sent, elapsed_ns, pps, send_errors); with
 * --per-source FILE also writes, per source, "index first_ns last_ns sent":
 * the CLOCK_MONOTONIC time just before the sendmmsg() that carried its first
 * frame and just after the one that carried its last, the clock of
 * bpf_ktime_get_ns(), so the receiver can compute what a limit should admit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "bench/bench_util.h"
#include "bpf/pkt.h"

#define FRAME_LEN 60
#define MAX_BATCH 256
#define MAX_SOURCES (1u << 17) /* 198.18.0.0/15 has 131072 addresses */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int parse_mac(const char *s, __u8 *mac)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

static void build_frame(__u8 *f, const __u8 *dmac, const __u8 *smac, __u32 saddr,
			__u32 daddr, __u16 sport, __u16 dport)
{
	struct ethhdr *eth = (void *)f;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);

	memset(f, 0, FRAME_LEN);
	memcpy(eth->h_dest, dmac, 6);
	memcpy(eth->h_source, smac, 6);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(FRAME_LEN - sizeof(*eth));
	ip->id = htons(1);
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = pkt_csum(ip, sizeof(*ip), 0);
	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons(FRAME_LEN - sizeof(*eth) - sizeof(*ip));
	udp->check = 0; /* IPv4 allows no UDP checksum: nothing to verify */
	memcpy(udp + 1, "floodgate-bench", 15);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_gen --ifname IF --dst-mac MAC --dst-ip A [options]\n"
		"  --src-base A      first source address (default 198.19.0.0)\n"
		"  --sources N       distinct sources, round-robin (default 1)\n"
		"  --dport P         UDP destination port (default 9000)\n"
		"  --count N         stop after N frames (default 10000000)\n"
		"  --duration S      stop after S seconds (default 5)\n"
		"  --pps N           pace to N frames/s (default: as fast as possible)\n"
		"  --batch N         frames per sendmmsg (default 64)\n"
		"  --cpu C           pin to CPU C (default 0; -1: do not pin)\n"
		"  --per-source FILE write index first_ns last_ns sent per source\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "dst-mac", required_argument, NULL, 'm' },
		{ "dst-ip", required_argument, NULL, 'd' },
		{ "src-base", required_argument, NULL, 's' },
		{ "sources", required_argument, NULL, 'n' },
		{ "dport", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 't' },
		{ "pps", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "per-source", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *ifname = NULL, *dmac_s = NULL, *dst_s = NULL, *base_s = "198.19.0.0";
	const char *per_path = NULL;
	unsigned long long count = 10000000, sent = 0, errors = 0, pps = 0;
	double duration = 5;
	unsigned int nsrc = 1, batch = 64, dport = 9000;
	int cpu = 0, opt, fd, ifindex, one = 1;
	__u8 dmac[6], smac[6], *frames;
	struct in_addr dst, base;
	struct sockaddr_ll sll = {};
	struct ifreq ifr = {};
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec *iov;
	__u64 *first, *last, *cnt;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'm': dmac_s = optarg; break;
		case 'd': dst_s = optarg; break;
		case 's': base_s = optarg; break;
		case 'n': nsrc = strtoul(optarg, NULL, 10); break;
		case 'p': dport = strtoul(optarg, NULL, 10); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 't': duration = atof(optarg); break;
		case 'r': pps = strtoull(optarg, NULL, 10); break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 'C': cpu = atoi(optarg); break;
		case 'o': per_path = optarg; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (!ifname || !dmac_s || !dst_s || parse_mac(dmac_s, dmac) ||
	    inet_pton(AF_INET, dst_s, &dst) != 1 || inet_pton(AF_INET, base_s, &base) != 1 ||
	    nsrc < 1 || nsrc > MAX_SOURCES || batch < 1 || batch > MAX_BATCH || !dport ||
	    dport > 65535 || duration <= 0 || duration > 600 || !count) {
		usage();
		return 2;
	}
	/* Only the benchmark's own ranges: 198.18.0.0/15. */
	if ((ntohl(dst.s_addr) >> 17) != (0xc6120000u >> 17) ||
	    (ntohl(base.s_addr) >> 17) != (0xc6120000u >> 17) ||
	    ((ntohl(base.s_addr) + nsrc - 1) >> 17) != (0xc6120000u >> 17)) {
		fprintf(stderr, "bench_gen: addresses must lie in 198.18.0.0/15\n");
		return 2;
	}
	bench_pin_cpu("bench_gen", cpu);

	/* Protocol 0: a send-only socket that sees no traffic. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "bench_gen: Failed to open packet socket: %s\n", strerror(errno));
		return 1;
	}
	ifindex = if_nametoindex(ifname);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ifindex || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, "bench_gen: no such interface '%s'\n", ifname);
		return 1;
	}
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dmac, 6);

	frames = calloc(nsrc, FRAME_LEN);
	iov = calloc(nsrc, sizeof(*iov));
	first = calloc(nsrc, sizeof(*first));
	last = calloc(nsrc, sizeof(*last));
	cnt = calloc(nsrc, sizeof(*cnt));
	if (!frames || !iov || !first || !last || !cnt) {
		fprintf(stderr, "bench_gen: out of memory\n");
		return 1;
	}
	for (unsigned int i = 0; i < nsrc; i++) {
		build_frame(frames + (size_t)i * FRAME_LEN, dmac, smac,
			    htonl(ntohl(base.s_addr) + i), dst.s_addr, 40000 + (i % 20000),
			    dport);
		iov[i].iov_base = frames + (size_t)i * FRAME_LEN;
		iov[i].iov_len = FRAME_LEN;
	}
	memset(msgs, 0, sizeof(msgs));
	for (unsigned int k = 0; k < batch; k++) {
		msgs[k].msg_hdr.msg_name = &sll;
		msgs[k].msg_hdr.msg_namelen = sizeof(sll);
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	__u64 start = now_ns(), deadline = start + (__u64)(duration * 1e9), t0, t1 = start;
	unsigned int pos = 0;

	while (!stop && sent < count && t1 < deadline) {
		unsigned int n = count - sent < batch ? (unsigned int)(count - sent) : batch;
		int r;

		if (pps) { /* pace: the next batch is due when sent/pps has elapsed */
			__u64 due = start + (__u64)((double)sent * 1e9 / pps);

			while ((t1 = now_ns()) < due && t1 < deadline)
				;
			if (t1 >= deadline)
				break;
		}
		for (unsigned int k = 0, p = pos; k < n; k++) {
			msgs[k].msg_hdr.msg_iov = &iov[p];
			if (++p == nsrc)
				p = 0;
		}
		t0 = now_ns();
		r = sendmmsg(fd, msgs, n, 0);
		t1 = now_ns();
		if (r <= 0) {
			if (r < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "bench_gen: sendmmsg: %s\n", strerror(errno));
				return 1;
			}
			errors++;
			continue;
		}
		for (int k = 0; k < r; k++) {
			if (!first[pos])
				first[pos] = t0;
			last[pos] = t1;
			cnt[pos]++;
			if (++pos == nsrc)
				pos = 0;
		}
		sent += r;
	}
	__u64 elapsed = t1 - start;

	printf("sent %llu\n", sent);
	printf("elapsed_ns %llu\n", (unsigned long long)elapsed);
	printf("pps %.0f\n", elapsed ? sent * 1e9 / elapsed : 0);
	printf("send_errors %llu\n", errors);
	printf("sources %u\n", nsrc);
	if (per_path) {
		FILE *f = fopen(per_path, "w");

		if (!f) {
			fprintf(stderr, "bench_gen: cannot write %s: %s\n", per_path,
				strerror(errno));
			return 1;
		}
		for (unsigned int i = 0; i < nsrc; i++)
			fprintf(f, "%u %llu %llu %llu\n", i, (unsigned long long)first[i],
				(unsigned long long)last[i], (unsigned long long)cnt[i]);
		fclose(f);
	}
	close(fd);
	return 0;
}
