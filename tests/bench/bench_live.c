// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
/*
 * bench_live: the live-frames generator of the NIC-like benchmark.
 *
 * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs
 * tests/bench/progs/live_redirect.bpf.c over one prebuilt 60-byte
 * Ethernet/IPv4/UDP frame, in batches of --batch frames from a page pool;
 * the program gives each frame its source and redirects it out of --ifname,
 * a veth, whose ndo_xdp_xmit queues it to the peer as an xdp_frame (no skb,
 * no copy). The peer's NAPI then runs its XDP program as a NIC driver would.
 *
 * Calls of --chunk frames each follow one another until --count frames or
 * --duration seconds, whichever comes first (a signal stops it too). Each
 * call costs ~30 ms of set-up and tear-down on this kernel whatever its size
 * (measured: 31 calls of 64 frames took a second), so a call carries many
 * frames (default 2^20, ~0.1-0.3 s); there is no pacing. Pinned to one CPU
 * (--cpu), so the program's frame counter is exact. Sources: --src-base + i,
 * i = 0 .. --sources - 1 in turn, or --random (random addresses of
 * 198.18.0.0/15).
 *
 * Prints "key value" lines (sent, elapsed_ns, pps, calls, sources); with
 * --per-source FILE (not with --random) also writes, per source, "index
 * first_ns last_ns sent" as bench_gen does: CLOCK_MONOTONIC (the clock of
 * bpf_ktime_get_ns()) no later than its first frame went out and no earlier
 * than its last did, from the clock marks the program takes every 4096
 * frames, bounded by the calls' own start and end. 4096 frames take well
 * under 5 ms, so at 100/s a source's expected count is known to within half
 * a packet.
 *
 * libbpf 1.1's bpf_test_run_opts has flags and batch_size; this kernel
 * wants ctx_in, a struct xdp_md whose data_end is the frame's length.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "bench/bench_util.h"
#include "tests/live_redirect.skel.h" /* build/tests/, from progs/live_redirect.bpf.c */

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

#define FRAME_LEN 60
#define LIVE_MARK_SHIFT 12 /* live_redirect.bpf.c has the same */
#define MAX_SOURCES (1u << 17) /* 198.18.0.0/15 has 131072 addresses */
#define NET_15 0xc6120000u

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct call {
	__u64 frames_after; /* the program's frame counter after the call */
	__u64 t0, t1;
};

static int parse_mac(const char *s, __u8 *mac)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (__u8)b[i];
	return 0;
}

/* The frame, its source zero; returns the sum of the IPv4 header's 16-bit
 * words with saddr and check zero (the program adds the source and folds). */
static __u32 build_frame(__u8 *f, const __u8 *dmac, const __u8 *smac, __u32 daddr, __u16 dport)
{
	struct ethhdr *eth = (void *)f;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;

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
	ip->daddr = daddr;
	udp->source = htons(40000);
	udp->dest = htons(dport);
	udp->len = htons(FRAME_LEN - sizeof(*eth) - sizeof(*ip));
	udp->check = 0; /* IPv4 allows no UDP checksum */
	memcpy(udp + 1, "floodgate-bench", 15);
	for (unsigned int i = 0; i < sizeof(*ip) / 2; i++)
		sum += w[i];
	return sum;
}

/* The call that carried frame c (calls[k].frames_after ascending). */
static size_t call_of(const struct call *calls, size_t n, __u64 c)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (calls[mid].frames_after > c)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A time no later than frame c went out: its block's mark, or its call's start. */
static __u64 frame_after(const struct call *calls, size_t n, const __u64 *marks, __u32 nmarks,
			 __u64 c)
{
	__u64 t = calls[call_of(calls, n, c)].t0, k = c >> LIVE_MARK_SHIFT;

	return k < nmarks && marks[k] > t ? marks[k] : t;
}

/* A time no earlier than frame c went out: the next block's mark, or its
 * call's end. */
static __u64 frame_before(const struct call *calls, size_t n, const __u64 *marks, __u32 nmarks,
			  __u64 c)
{
	size_t j = call_of(calls, n, c);
	__u64 t = calls[j].t1, k = (c >> LIVE_MARK_SHIFT) + 1;

	/* Only a mark of the same call: the next call's first mark comes after a
	 * ~30 ms gap. */
	if (k < nmarks && (k << LIVE_MARK_SHIFT) < calls[j].frames_after && marks[k] &&
	    marks[k] < t)
		return marks[k];
	return t;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_live --ifname IF --dst-mac MAC --dst-ip A [options]\n"
		"  --src-base A      first source address (default 198.19.0.0)\n"
		"  --sources N       distinct sources, in turn (default 1)\n"
		"  --random          random sources of 198.18.0.0/15 instead\n"
		"  --dport P         UDP destination port (default 9000)\n"
		"  --count N         stop after N frames (default 100000000)\n"
		"  --duration S      stop after S seconds (default 5)\n"
		"  --chunk N         frames per BPF_PROG_TEST_RUN call (default 1048576)\n"
		"  --batch N         frames per batch inside a call (default 64)\n"
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
		{ "random", no_argument, NULL, 'R' },
		{ "dport", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 't' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "batch", required_argument, NULL, 'b' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "per-source", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *ifname = NULL, *dmac_s = NULL, *dst_s = NULL, *base_s = "198.19.0.0";
	const char *per_path = NULL;
	unsigned long long count = 100000000;
	double duration = 5;
	unsigned int nsrc = 1, chunk = 1u << 20, batch = 64, dport = 9000, rnd = 0;
	int cpu = 0, opt, fd, ifindex, prog_fd, ret = 1;
	__u8 dmac[6], smac[6], frame[FRAME_LEN];
	struct in_addr dst, base;
	struct ifreq ifr = {};
	struct live_redirect *skel = NULL;
	struct call *calls = NULL;
	size_t ncalls = 0, cap = 0;
	__u32 csum;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'm': dmac_s = optarg; break;
		case 'd': dst_s = optarg; break;
		case 's': base_s = optarg; break;
		case 'n': nsrc = strtoul(optarg, NULL, 10); break;
		case 'R': rnd = 1; break;
		case 'p': dport = strtoul(optarg, NULL, 10); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 't': duration = atof(optarg); break;
		case 'k': chunk = strtoul(optarg, NULL, 10); break;
		case 'b': batch = strtoul(optarg, NULL, 10); break;
		case 'C': cpu = atoi(optarg); break;
		case 'o': per_path = optarg; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (!ifname || !dmac_s || !dst_s || parse_mac(dmac_s, dmac) ||
	    inet_pton(AF_INET, dst_s, &dst) != 1 || inet_pton(AF_INET, base_s, &base) != 1 ||
	    nsrc < 1 || nsrc > MAX_SOURCES || chunk < 1 || chunk > (1u << 24) || batch < 1 ||
	    batch > 256 || !dport || dport > 65535 || duration <= 0 || duration > 600 || !count ||
	    count > (1ULL << 34) || (rnd && per_path)) {
		usage();
		return 2;
	}
	/* Only the benchmark's own range: 198.18.0.0/15. */
	if ((ntohl(dst.s_addr) >> 17) != (NET_15 >> 17) ||
	    (ntohl(base.s_addr) >> 17) != (NET_15 >> 17) ||
	    ((ntohl(base.s_addr) + nsrc - 1) >> 17) != (NET_15 >> 17)) {
		fprintf(stderr, "bench_live: addresses must lie in 198.18.0.0/15\n");
		return 2;
	}
	bench_pin_cpu("bench_live", cpu);

	ifindex = if_nametoindex(ifname);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!ifindex || fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		fprintf(stderr, "bench_live: no such interface '%s'\n", ifname);
		return 1;
	}
	close(fd);
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	csum = build_frame(frame, dmac, smac, dst.s_addr, dport);

	skel = live_redirect__open();
	if (!skel) {
		fprintf(stderr, "bench_live: Failed to open the program: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->ifindex = ifindex;
	skel->rodata->nsrc = nsrc;
	skel->rodata->base = ntohl(base.s_addr);
	skel->rodata->rand_src = rnd;
	skel->rodata->csum_rest = csum;
	/* A mark per 4096 frames, at most 2^22 of them (32 MiB). */
	bpf_map__set_max_entries(skel->maps.marks, (__u32)(count >> LIVE_MARK_SHIFT) + 2);
	if (live_redirect__load(skel)) {
		fprintf(stderr, "bench_live: Failed to load the program: %s\n", strerror(errno));
		goto out;
	}
	prog_fd = bpf_program__fd(skel->progs.live_redirect);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	struct xdp_md ctx = { .data_end = FRAME_LEN };
	__u64 start = now_ns(), deadline = start + (__u64)(duration * 1e9), t1 = start, sent = 0;

	while (!stop && sent < count && t1 < deadline) {
		__u64 left = count - sent, t0;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = FRAME_LEN,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = (int)(left < chunk ? left : chunk),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = batch);

		if (ncalls == cap) {
			struct call *c = realloc(calls, (cap = cap ? 2 * cap : 4096) * sizeof(*c));

			if (!c) {
				fprintf(stderr, "bench_live: out of memory\n");
				goto out;
			}
			calls = c;
		}
		t0 = now_ns();
		int r = bpf_prog_test_run_opts(prog_fd, &o);

		t1 = now_ns();
		if (r && errno != EINTR) { /* EINTR: a signal; frames before it went out */
			fprintf(stderr, "bench_live: BPF_PROG_TEST_RUN (live frames): %s\n",
				strerror(errno));
			goto out;
		}
		sent = skel->bss->frames;
		if (!ncalls || sent > calls[ncalls - 1].frames_after)
			calls[ncalls++] = (struct call){ sent, t0, t1 };
		if (r)
			break;
	}
	__u64 elapsed = t1 - start;

	printf("sent %llu\n", (unsigned long long)sent);
	printf("elapsed_ns %llu\n", (unsigned long long)elapsed);
	printf("pps %.0f\n", elapsed ? sent * 1e9 / elapsed : 0);
	printf("calls %zu\n", ncalls);
	printf("sources %u\n", rnd ? MAX_SOURCES : nsrc);
	if (per_path) {
		FILE *f = fopen(per_path, "w");

		if (!f) {
			fprintf(stderr, "bench_live: cannot write %s: %s\n", per_path,
				strerror(errno));
			goto out;
		}
		__u32 nmarks = bpf_map__max_entries(skel->maps.marks);
		__u64 *marks = calloc(nmarks, sizeof(*marks));
		int mfd = bpf_map__fd(skel->maps.marks);

		if (!marks) {
			fprintf(stderr, "bench_live: out of memory\n");
			fclose(f);
			goto out;
		}
		for (__u32 k = 0; k < nmarks && ((__u64)k << LIVE_MARK_SHIFT) < sent; k++)
			bpf_map_lookup_elem(mfd, &k, &marks[k]);
		for (unsigned int i = 0; i < nsrc; i++) {
			__u64 n = sent > i ? (sent - 1 - i) / nsrc + 1 : 0, a = 0, b = 0;

			if (n) { /* frames i and i + (n - 1) x nsrc */
				a = frame_after(calls, ncalls, marks, nmarks, i);
				b = frame_before(calls, ncalls, marks, nmarks,
						 i + (n - 1) * nsrc);
			}
			fprintf(f, "%u %llu %llu %llu\n", i, (unsigned long long)a,
				(unsigned long long)b, (unsigned long long)n);
		}
		fclose(f);
		free(marks);
	}
	ret = 0;
out:
	free(calls);
	live_redirect__destroy(skel);
	return ret;
}
