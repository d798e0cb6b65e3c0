// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * udpflood: send UDP packets from one bound source address to one
 * destination at a steady rate, and stop by itself.
 *
 *   udpflood -s SRC -d DST [-p PORT] -r PPS -n COUNT -t SECONDS [-l LEN] [-P PORTS]
 *
 * Packet i is due at start + i/PPS (absolute deadlines with
 * clock_nanosleep, so a late wake-up catches up instead of drifting). It
 * stops after COUNT packets or SECONDS, whichever comes first, and prints
 * one line of key=value pairs:
 *
 *   sent=N errors=E elapsed=S pps=R start=T0 end=T1
 *
 * sent counts only packets the kernel accepted. IP_RECVERR makes a local
 * drop (e.g. a full veth ring, ENOBUFS) visible: such a packet is retried
 * and counted in errors, never in sent. start/end are CLOCK_MONOTONIC
 * seconds of the first and last successful send (the same clock in every
 * network namespace), elapsed = end - start.
 *
 * With -P PORTS it sends from that many sockets (source ports the kernel
 * picks), each packet from one picked at random: one source address whose
 * packets an L4 multipath hash spreads over every path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NSEC 1000000000ULL

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void sleep_until(unsigned long long t)
{
	struct timespec ts = { .tv_sec = t / NSEC, .tv_nsec = t % NSEC };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

/* Parse ADDR (v4 or v6) with PORT into ss; returns the family or -1. */
static int parse_addr(const char *s, unsigned short port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: udpflood -s SRC -d DST [-p PORT] -r PPS -n COUNT -t SECONDS "
		     "[-l LEN] [-P PORTS]\n"
		     "  Send COUNT UDP packets of LEN payload bytes (default 64) from SRC to\n"
		     "  DST:PORT (default 9000) at PPS packets/s; stop after SECONDS at most;\n"
		     "  from PORTS source ports at random (default 1).\n");
}

/* A socket bound to sa (port 0: the kernel picks one) and connected to da. */
static int open_sock(int fam, const struct sockaddr_storage *sa, socklen_t slen,
		     const struct sockaddr_storage *da, socklen_t dlen, const char *src,
		     const char *dst)
{
	int fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0) {
		perror("udpflood: socket");
		return -1;
	}
	/* Report local drops (ENOBUFS) instead of silently eating them. */
	if (setsockopt(fd, fam == AF_INET ? IPPROTO_IP : IPPROTO_IPV6,
		       fam == AF_INET ? IP_RECVERR : IPV6_RECVERR, &one, sizeof(one))) {
		perror("udpflood: setsockopt RECVERR");
		return -1;
	}
	if (bind(fd, (const struct sockaddr *)sa, slen)) {
		fprintf(stderr, "udpflood: bind %s: %s\n", src, strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)da, dlen)) {
		fprintf(stderr, "udpflood: connect %s: %s\n", dst, strerror(errno));
		return -1;
	}
	return fd;
}

static int parse_num(const char *s, const char *what, double min, double max, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || *end || *v < min || *v > max) {
		fprintf(stderr, "udpflood: invalid %s '%s' (expected %g..%g)\n", what, s, min, max);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *src = NULL, *dst = NULL;
	double pps = 0, count = 0, secs = 0, port = 9000, len = 64, ports = 1;
	struct sockaddr_storage sa, da;
	socklen_t slen, dlen;
	unsigned long long start, deadline, period, first = 0, last = 0, sent = 0, errors = 0;
	char buf[1500];
	int opt, fd, fam, fds[1024], nfd;
	unsigned int rng = 1;

	while ((opt = getopt(argc, argv, "s:d:p:r:n:t:l:P:h")) != -1) {
		switch (opt) {
		case 's':
			src = optarg;
			break;
		case 'd':
			dst = optarg;
			break;
		case 'p':
			if (parse_num(optarg, "port", 1, 65535, &port))
				return 2;
			break;
		case 'r':
			if (parse_num(optarg, "rate", 1, 10e6, &pps))
				return 2;
			break;
		case 'n':
			if (parse_num(optarg, "count", 1, 1e9, &count))
				return 2;
			break;
		case 't':
			if (parse_num(optarg, "seconds", 0.001, 3600, &secs))
				return 2;
			break;
		case 'l':
			if (parse_num(optarg, "length", 0, sizeof(buf), &len))
				return 2;
			break;
		case 'P':
			if (parse_num(optarg, "ports", 1, 1024, &ports))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!src || !dst || !pps || !count || !secs || optind != argc) {
		usage(stderr);
		return 2;
	}
	fam = parse_addr(src, 0, &sa, &slen);
	if (fam < 0 || parse_addr(dst, (unsigned short)port, &da, &dlen) != fam) {
		fprintf(stderr, "udpflood: SRC and DST must be addresses of one family\n");
		return 2;
	}
	for (nfd = 0; nfd < (int)ports; nfd++)
		if ((fds[nfd] = open_sock(fam, &sa, slen, &da, dlen, src, dst)) < 0)
			return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	memset(buf, 0xa5, sizeof(buf));

	period = (unsigned long long)(NSEC / pps);
	if (!period)
		period = 1;
	start = now_ns();
	deadline = start + (unsigned long long)(secs * NSEC);
	while (!stop && sent < (unsigned long long)count) {
		unsigned long long due = start + sent * period, t = now_ns();

		if (t >= deadline)
			break;
		if (due > t) {
			sleep_until(due < deadline ? due : deadline);
			continue;
		}
		/* Sequence number first, for anyone looking at the payload. */
		memcpy(buf, &sent, sizeof(sent));
		rng = rng * 1103515245u + 12345u;
		fd = fds[(rng >> 16) % nfd];
		if (send(fd, buf, (size_t)len, 0) < 0) {
			/*
			 * ICMP errors (e.g. port unreachable) queued by RECVERR
			 * come back on a later send; the packet itself was not
			 * sent, so it is retried. A local drop: back off briefly.
			 */
			if (errno == ENOBUFS || errno == EAGAIN) {
				errors++;
				sleep_until(now_ns() + 20000);
				continue;
			}
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) {
				errors++;
				continue;
			}
			fprintf(stderr, "udpflood: send: %s\n", strerror(errno));
			break;
		}
		last = now_ns();
		if (!sent)
			first = last;
		sent++;
	}
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	printf("sent=%llu errors=%llu elapsed=%.6f pps=%.1f start=%.6f end=%.6f\n", sent, errors,
	       sent ? (last - first) / 1e9 : 0.0,
	       sent > 1 && last > first ? (sent - 1) * 1e9 / (last - first) : 0.0, first / 1e9,
	       last / 1e9);
	return sent ? 0 : 1;
}
