// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
/*
 * bench_http: the legitimate client of the attack bench (tests/bench/attack.sh).
 *
 * Short HTTP transactions, one at a time, as netperf's TCP_CRR does: connect,
 * "GET / HTTP/1.0", read the response to the server's close, close. Runs
 * until --count transactions or --duration seconds, whichever comes first
 * (a signal stops it too); a transaction that has not finished within
 * --timeout-ms is abandoned and counted as failed (so a lost SYN, whose
 * first retransmit comes after 1 s, costs that second), as is one refused,
 * reset, or answered with anything but a 200 status line. The one in flight
 * at the deadline counts neither way.
 *
 * Prints "key value" lines: ok, failed, timeouts, elapsed_ns, tps (ok per
 * second of elapsed), lat_p50_us, lat_p99_us, lat_max_us (of the ok ones).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench/bench_util.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

enum outcome { T_OK, T_FAILED, T_TIMEOUT, T_CUT };

/* Waits for ev on fd until the absolute deadline (CLOCK_MONOTONIC ns); 1 when
 * ready, 0 on the deadline, -1 when stopped or on error. */
static int wait_fd(int fd, short ev, __u64 deadline)
{
	for (;;) {
		__u64 now = now_ns();
		struct pollfd p = { .fd = fd, .events = ev };
		int r;

		if (stop)
			return -1;
		if (now >= deadline)
			return 0;
		r = poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* One transaction; until (the per-transaction deadline) and end (the run's). */
static enum outcome transact(const struct sockaddr_in *dst, __u64 until, __u64 end)
{
	static const char req[] = "GET / HTTP/1.0\r\nHost: bench\r\n\r\n";
	__u64 limit = until < end ? until : end;
	enum outcome cut = until < end ? T_TIMEOUT : T_CUT;
	char buf[4096], head[16];
	size_t got = 0;
	int fd, r, err = 0;
	socklen_t len = sizeof(err);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	enum outcome o = T_FAILED;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return T_FAILED;
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) && errno != EINPROGRESS)
		goto out;
	r = wait_fd(fd, POLLOUT, limit);
	if (r <= 0) {
		o = r ? T_CUT : cut;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		goto out;
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		goto out;
	for (;;) {
		ssize_t n;

		r = wait_fd(fd, POLLIN, limit);
		if (r <= 0) {
			o = r ? T_CUT : cut;
			goto out;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			goto out;
		if (!n)
			break; /* the server's close: the response is whole */
		if (got < sizeof(head))
			memcpy(head + got, buf, (size_t)n < sizeof(head) - got ? (size_t)n : sizeof(head) - got);
		got += (size_t)n;
	}
	if (got >= 12 && !memcmp(head, "HTTP/1.", 7) && !memcmp(head + 8, " 200", 4))
		o = T_OK;
out:
	/* An abandoned one leaves no lingering socket behind (RST). */
	if (o != T_OK)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
	return o;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_http --dst A [options]\n"
		"  --port P          server port (default 80)\n"
		"  --count N         stop after N transactions (default 10000000)\n"
		"  --duration S      stop after S seconds (default 5)\n"
		"  --timeout-ms T    give a transaction up after T ms (default 2000)\n"
		"  --cpu C           pin to CPU C (default -1: do not pin)\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dst", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 't' },
		{ "timeout-ms", required_argument, NULL, 'T' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(80) };
	unsigned long long count = 10000000, ok = 0, failed = 0, timeouts = 0;
	unsigned long port = 80, timeout_ms = 2000;
	double duration = 5;
	const char *dst_s = NULL;
	int cpu = -1, opt;
	__u32 *lat = NULL;
	size_t cap = 0;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'd': dst_s = optarg; break;
		case 'p': port = strtoul(optarg, NULL, 10); break;
		case 'c': count = strtoull(optarg, NULL, 10); break;
		case 't': duration = atof(optarg); break;
		case 'T': timeout_ms = strtoul(optarg, NULL, 10); break;
		case 'C': cpu = atoi(optarg); break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (!dst_s || inet_pton(AF_INET, dst_s, &dst.sin_addr) != 1 || !port || port > 65535 ||
	    !count || count > 100000000 || duration <= 0 || duration > 600 || !timeout_ms ||
	    timeout_ms > 60000) {
		usage();
		return 2;
	}
	/* Only the benchmark's own range: 198.18.0.0/15. */
	if ((ntohl(dst.sin_addr.s_addr) >> 17) != (0xc6120000u >> 17)) {
		fprintf(stderr, "bench_http: the server must lie in 198.18.0.0/15\n");
		return 2;
	}
	dst.sin_port = htons((__u16)port);
	bench_pin_cpu("bench_http", cpu);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	__u64 start = now_ns(), end = start + (__u64)(duration * 1e9), t = start;

	while (!stop && ok + failed < count && t < end) {
		enum outcome o = transact(&dst, t + timeout_ms * 1000000ULL, end);
		__u64 t1 = now_ns();

		if (o == T_OK) {
			if (ok == cap) {
				__u32 *l = realloc(lat, (cap = cap ? 2 * cap : 65536) * sizeof(*l));

				if (!l) {
					fprintf(stderr, "bench_http: out of memory\n");
					return 1;
				}
				lat = l;
			}
			lat[ok++] = (__u32)((t1 - t) / 1000);
		} else if (o != T_CUT) {
			failed++;
			timeouts += o == T_TIMEOUT;
		}
		t = t1;
	}
	__u64 elapsed = (t < end ? t : end) - start;

	printf("ok %llu\n", ok);
	printf("failed %llu\n", failed);
	printf("timeouts %llu\n", timeouts);
	printf("elapsed_ns %llu\n", (unsigned long long)elapsed);
	printf("tps %.1f\n", elapsed ? ok * 1e9 / elapsed : 0);
	if (ok) {
		qsort(lat, ok, sizeof(*lat), cmp_u32);
		printf("lat_p50_us %u\n", lat[ok / 2]);
		printf("lat_p99_us %u\n", lat[ok * 99 / 100]);
		printf("lat_max_us %u\n", lat[ok - 1]);
	}
	free(lat);
	return 0;
}
