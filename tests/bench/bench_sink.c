// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
/*
 * bench_sink: the receiver of the veth benchmark. A UDP socket on --port
 * counts the datagrams delivered per source (source i is --src-base + i),
 * with recvmmsg() in batches. It stops by itself after --max-time seconds,
 * or at SIGTERM/SIGINT, then prints "key value" lines (received, other) and
 * with --out FILE writes "index count" per source. --ready FILE is created
 * once the socket is bound, so a script can wait for it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "bench/bench_util.h"

#define BATCH 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_sink [--port P] [--src-base A] [--sources N] [--max-time S]\n"
		"                  [--cpu C] [--out FILE] [--ready FILE]\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "src-base", required_argument, NULL, 's' },
		{ "sources", required_argument, NULL, 'n' },
		{ "max-time", required_argument, NULL, 't' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "out", required_argument, NULL, 'o' },
		{ "ready", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *base_s = "198.19.0.0", *out = NULL, *ready = NULL;
	unsigned int port = 9000, nsrc = 1;
	double max_time = 60;
	int cpu = 0, opt, fd, rcvbuf = 64 << 20;
	unsigned long long received = 0, other = 0, *cnt;
	struct sockaddr_in addr = { .sin_family = AF_INET }, from[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	static char bufs[BATCH][64];
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct in_addr base;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 's': base_s = optarg; break;
		case 'n': nsrc = strtoul(optarg, NULL, 10); break;
		case 't': max_time = atof(optarg); break;
		case 'C': cpu = atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'r': ready = optarg; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (!port || port > 65535 || !nsrc || nsrc > (1u << 17) || max_time <= 0 ||
	    max_time > 600 || inet_pton(AF_INET, base_s, &base) != 1) {
		usage();
		return 2;
	}
	bench_pin_cpu("bench_sink", cpu);
	cnt = calloc(nsrc, sizeof(*cnt));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!cnt || fd < 0) {
		fprintf(stderr, "bench_sink: Failed to open socket: %s\n", strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	addr.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "bench_sink: Failed to bind port %u: %s\n", port, strerror(errno));
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: recvmmsg returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	for (int k = 0; k < BATCH; k++) {
		iov[k].iov_base = bufs[k];
		iov[k].iov_len = sizeof(bufs[k]);
		memset(&msgs[k], 0, sizeof(msgs[k]));
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
		msgs[k].msg_hdr.msg_name = &from[k];
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}

	double end = now_s() + max_time;
	__u32 b = ntohl(base.s_addr);

	while (!stop && now_s() < end) {
		for (int k = 0; k < BATCH; k++)
			msgs[k].msg_hdr.msg_namelen = sizeof(from[k]);
		int r = recvmmsg(fd, msgs, BATCH, 0, NULL);

		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			fprintf(stderr, "bench_sink: recvmmsg: %s\n", strerror(errno));
			return 1;
		}
		for (int k = 0; k < r; k++) {
			__u32 i = ntohl(from[k].sin_addr.s_addr) - b;

			if (i < nsrc)
				cnt[i]++;
			else
				other++;
		}
		received += r;
	}
	/* Drain what is already queued, without waiting for more. */
	for (;;) {
		for (int k = 0; k < BATCH; k++)
			msgs[k].msg_hdr.msg_namelen = sizeof(from[k]);
		int r = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);

		if (r <= 0)
			break;
		for (int k = 0; k < r; k++) {
			__u32 i = ntohl(from[k].sin_addr.s_addr) - b;

			if (i < nsrc)
				cnt[i]++;
			else
				other++;
		}
		received += r;
	}
	printf("received %llu\n", received);
	printf("other %llu\n", other);
	if (out) {
		FILE *f = fopen(out, "w");

		if (!f) {
			fprintf(stderr, "bench_sink: cannot write %s: %s\n", out, strerror(errno));
			return 1;
		}
		for (unsigned int i = 0; i < nsrc; i++)
			fprintf(f, "%u %llu\n", i, cnt[i]);
		fclose(f);
	}
	return 0;
}
