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

#include "bench/bench_util.h"
#include "bench/gen_target.h"
#include "bpf/pkt.h"

#define MAX_BATCH 256

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_gen --ifname IF --dst-mac MAC --dst-ip A [options]\n"
		GEN_TARGET_USAGE("10000000")
		"  --pps N           pace to N frames/s (default: as fast as possible)\n"
		"  --batch N         frames per sendmmsg (default 64)\n");
}

struct gen {
	struct gen_target t;
	unsigned long long pps;
	unsigned int batch;
};

/* 0, or the exit status of a usage error (2) or --help (0 with done set). */
static int parse_args(int argc, char **argv, struct gen *g, int *done)
{
	static const struct option lo[] = {
		GEN_TARGET_OPTIONS,
		{ "pps", required_argument, NULL, 'r' },
		{ "batch", required_argument, NULL, 'b' },
		{},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (gen_target_opt(&g->t, opt, optarg))
			continue;
		if (opt == 'r')
			g->pps = strtoull(optarg, NULL, 10);
		else if (opt == 'b')
			g->batch = strtoul(optarg, NULL, 10);
		else {
			usage();
			*done = 1;
			return opt == 'h' ? 0 : 2;
		}
	}
	if (gen_target_check("bench_gen", &g->t) || g->batch < 1 || g->batch > MAX_BATCH) {
		usage();
		*done = 1;
		return 2;
	}
	return 0;
}

/* A send-only packet socket (protocol 0: it sees no traffic) aimed at t. */
static int open_socket(const struct gen_target *t, struct sockaddr_ll *sll)
{
	int one = 1, fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0) {
		fprintf(stderr, "bench_gen: Failed to open packet socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	sll->sll_family = AF_PACKET;
	sll->sll_ifindex = t->ifindex;
	sll->sll_protocol = htons(ETH_P_IP);
	sll->sll_halen = 6;
	memcpy(sll->sll_addr, t->dmac, 6);
	return fd;
}

/* Per source: its frame, and when its first and last frames went out. */
struct sources {
	__u8 *frames;
	struct iovec *iov;
	__u64 *first, *last, *cnt;
};

static int build_sources(const struct gen_target *t, struct sources *s)
{
	unsigned int n = t->nsrc;

	s->frames = calloc(n, GEN_FRAME_LEN);
	s->iov = calloc(n, sizeof(*s->iov));
	s->first = calloc(n, sizeof(*s->first));
	s->last = calloc(n, sizeof(*s->last));
	s->cnt = calloc(n, sizeof(*s->cnt));
	if (!s->frames || !s->iov || !s->first || !s->last || !s->cnt) {
		fprintf(stderr, "bench_gen: out of memory\n");
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct iphdr *ip = gen_build_frame(s->frames + (size_t)i * GEN_FRAME_LEN, t->dmac,
						   t->smac, htonl(ntohl(t->base.s_addr) + i),
						   t->dst.s_addr, 40000 + (i % 20000), t->dport);

		ip->check = pkt_csum(ip, sizeof(*ip), 0);
		s->iov[i].iov_base = s->frames + (size_t)i * GEN_FRAME_LEN;
		s->iov[i].iov_len = GEN_FRAME_LEN;
	}
	return 0;
}

/* Wait until the next batch is due (sent/pps after start); 0 past the deadline. */
static int pace(const struct gen *g, __u64 start, __u64 sent, __u64 deadline, __u64 *t1)
{
	__u64 due = start + (__u64)((double)sent * 1e9 / g->pps);

	while ((*t1 = now_ns()) < due && *t1 < deadline)
		;
	return *t1 < deadline;
}

struct run {
	__u64 sent, errors, start, t1;
};

/* Round-robin over the sources until count, duration or a signal. */
static int send_loop(const struct gen *g, int fd, struct mmsghdr *msgs, struct sources *s,
		     struct run *r)
{
	__u64 deadline, t0;
	unsigned int pos = 0, nsrc = g->t.nsrc;

	r->start = r->t1 = now_ns();
	deadline = r->start + (__u64)(g->t.duration * 1e9);
	while (!stop && r->sent < g->t.count && r->t1 < deadline) {
		unsigned int n = g->t.count - r->sent < g->batch ? (unsigned int)(g->t.count - r->sent)
								  : g->batch;
		int k, got;

		if (g->pps && !pace(g, r->start, r->sent, deadline, &r->t1))
			break;
		for (unsigned int i = 0, p = pos; i < n; i++) {
			msgs[i].msg_hdr.msg_iov = &s->iov[p];
			if (++p == nsrc)
				p = 0;
		}
		t0 = now_ns();
		got = sendmmsg(fd, msgs, n, 0);
		r->t1 = now_ns();
		if (got <= 0) {
			if (got < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "bench_gen: sendmmsg: %s\n", strerror(errno));
				return 1;
			}
			r->errors++;
			continue;
		}
		for (k = 0; k < got; k++) {
			if (!s->first[pos])
				s->first[pos] = t0;
			s->last[pos] = r->t1;
			s->cnt[pos]++;
			if (++pos == nsrc)
				pos = 0;
		}
		r->sent += got;
	}
	return 0;
}

static int report(const struct gen_target *t, const struct sources *s, const struct run *r)
{
	__u64 elapsed = r->t1 - r->start;
	FILE *f;

	printf("sent %llu\n", (unsigned long long)r->sent);
	printf("elapsed_ns %llu\n", (unsigned long long)elapsed);
	printf("pps %.0f\n", elapsed ? r->sent * 1e9 / elapsed : 0);
	printf("send_errors %llu\n", (unsigned long long)r->errors);
	printf("sources %u\n", t->nsrc);
	if (!t->per_path)
		return 0;
	f = fopen(t->per_path, "w");
	if (!f) {
		fprintf(stderr, "bench_gen: cannot write %s: %s\n", t->per_path, strerror(errno));
		return 1;
	}
	for (unsigned int i = 0; i < t->nsrc; i++)
		fprintf(f, "%u %llu %llu %llu\n", i, (unsigned long long)s->first[i],
			(unsigned long long)s->last[i], (unsigned long long)s->cnt[i]);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct gen g = { .t = GEN_TARGET_INIT(10000000), .batch = 64 };
	static struct mmsghdr msgs[MAX_BATCH];
	struct sockaddr_ll sll = {};
	struct sources s = {};
	struct run r = {};
	int fd, done = 0, ret;

	ret = parse_args(argc, argv, &g, &done);
	if (done)
		return ret;
	bench_pin_cpu("bench_gen", g.t.cpu);
	if (gen_target_iface("bench_gen", &g.t) || build_sources(&g.t, &s))
		return 1;
	fd = open_socket(&g.t, &sll);
	if (fd < 0)
		return 1;
	for (unsigned int k = 0; k < g.batch; k++) {
		msgs[k].msg_hdr.msg_name = &sll;
		msgs[k].msg_hdr.msg_namelen = sizeof(sll);
		msgs[k].msg_hdr.msg_iovlen = 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = send_loop(&g, fd, msgs, &s, &r);
	if (!ret)
		ret = report(&g.t, &s, &r);
	close(fd);
	return ret;
}
