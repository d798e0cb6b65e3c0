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

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_sink [--port P] [--src-base A] [--sources N] [--max-time S]\n"
		"                  [--cpu C] [--out FILE] [--ready FILE]\n");
}

struct sink {
	int fd;
	__u32 base, nsrc;
	unsigned long long received, other, *cnt;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	char bufs[BATCH][64];
};

struct sink_opts {
	const char *out, *ready;
	unsigned int port;
	double max_time;
	int cpu;
};

/* 0, or the exit status of a usage error (2) or --help (0), with done set. */
static int parse_args(int argc, char **argv, struct sink_opts *o, struct sink *s, int *done)
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
	const char *base_s = "198.19.0.0";
	struct in_addr base;
	int opt;

	*done = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'p': o->port = strtoul(optarg, NULL, 10); break;
		case 's': base_s = optarg; break;
		case 'n': s->nsrc = strtoul(optarg, NULL, 10); break;
		case 't': o->max_time = atof(optarg); break;
		case 'C': o->cpu = atoi(optarg); break;
		case 'o': o->out = optarg; break;
		case 'r': o->ready = optarg; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (!o->port || o->port > 65535 || !s->nsrc || s->nsrc > (1u << 17) ||
	    o->max_time <= 0 || o->max_time > 600 || inet_pton(AF_INET, base_s, &base) != 1) {
		usage();
		return 2;
	}
	s->base = ntohl(base.s_addr);
	*done = 0;
	return 0;
}

/* The socket bound to port, with a large buffer and a 100 ms receive timeout. */
static int sink_open(struct sink *s, unsigned int port)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	int rcvbuf = 64 << 20;

	s->cnt = calloc(s->nsrc, sizeof(*s->cnt));
	s->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!s->cnt || s->fd < 0) {
		fprintf(stderr, "bench_sink: Failed to open socket: %s\n", strerror(errno));
		return -1;
	}
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(s->fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "bench_sink: Failed to bind port %u: %s\n", port, strerror(errno));
		return -1;
	}
	for (int k = 0; k < BATCH; k++) {
		s->iov[k].iov_base = s->bufs[k];
		s->iov[k].iov_len = sizeof(s->bufs[k]);
		s->msgs[k].msg_hdr.msg_iov = &s->iov[k];
		s->msgs[k].msg_hdr.msg_iovlen = 1;
		s->msgs[k].msg_hdr.msg_name = &s->from[k];
	}
	return 0;
}

/* One recvmmsg, its datagrams counted per source: what it returned. */
static int sink_batch(struct sink *s, int flags)
{
	int r;

	for (int k = 0; k < BATCH; k++)
		s->msgs[k].msg_hdr.msg_namelen = sizeof(s->from[k]);
	r = recvmmsg(s->fd, s->msgs, BATCH, flags, NULL);
	for (int k = 0; k < r; k++) {
		__u32 i = ntohl(s->from[k].sin_addr.s_addr) - s->base;

		if (i < s->nsrc)
			s->cnt[i]++;
		else
			s->other++;
	}
	if (r > 0)
		s->received += r;
	return r;
}

/* Until max_time or a signal; then what is already queued, without waiting. */
static int sink_run(struct sink *s, double max_time)
{
	__u64 end = now_ns() + (__u64)(max_time * 1e9);

	while (!stop && now_ns() < end) {
		if (sink_batch(s, 0) >= 0 || errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR)
			continue;
		fprintf(stderr, "bench_sink: recvmmsg: %s\n", strerror(errno));
		return 1;
	}
	while (sink_batch(s, MSG_DONTWAIT) > 0)
		;
	return 0;
}

static int sink_report(const struct sink *s, const char *out)
{
	FILE *f;

	printf("received %llu\n", s->received);
	printf("other %llu\n", s->other);
	if (!out)
		return 0;
	f = fopen(out, "w");
	if (!f) {
		fprintf(stderr, "bench_sink: cannot write %s: %s\n", out, strerror(errno));
		return 1;
	}
	for (unsigned int i = 0; i < s->nsrc; i++)
		fprintf(f, "%u %llu\n", i, s->cnt[i]);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct sink_opts o = { .port = 9000, .max_time = 60 };
	struct sigaction sa = { .sa_handler = on_signal };
	static struct sink s = { .nsrc = 1 };
	int ret, done;

	ret = parse_args(argc, argv, &o, &s, &done);
	if (done)
		return ret;
	bench_pin_cpu("bench_sink", o.cpu);
	if (sink_open(&s, o.port))
		return 1;
	sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: recvmmsg returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	if (o.ready) {
		FILE *f = fopen(o.ready, "w");

		if (f)
			fclose(f);
	}
	ret = sink_run(&s, o.max_time);
	return ret ? ret : sink_report(&s, o.out);
}
