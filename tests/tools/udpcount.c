// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * udpcount: count received UDP packets per source address, and stop by
 * itself.
 *
 *   udpcount -b ADDR [-b ADDR...] [-p PORT] -t SECONDS [-i IDLE_MS] [-R FILE]
 *
 * Binds one socket per ADDR (v4 or v6) on PORT (default 9000), with a large
 * receive buffer (SO_RCVBUFFORCE) so the socket itself does not drop. Stops
 * after SECONDS, or IDLE_MS after the last packet once at least one came, or
 * on SIGINT/SIGTERM. Creates FILE once the sockets are bound (so a script
 * knows when to start sending). Prints one "ADDR COUNT" line per source, in
 * order of first packet, then
 *
 *   # total=N sock_drops=D elapsed=S
 *
 * sock_drops is what the kernel dropped at these sockets because their
 * buffers were full (SO_RXQ_OVFL): those packets passed the datapath but are
 * missing from the counts above.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKS 8
#define MAX_SRCS 4096
#define RCVBUF (16 << 20)

struct src {
	struct in6_addr addr; /* v4 as v4-mapped */
	unsigned long long count;
};

static volatile sig_atomic_t stop;
static struct src srcs[MAX_SRCS];
static int nsrcs;
static unsigned long long overflow; /* sources beyond MAX_SRCS */

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

static void count(const struct in6_addr *a)
{
	for (int i = 0; i < nsrcs; i++) {
		if (!memcmp(&srcs[i].addr, a, sizeof(*a))) {
			srcs[i].count++;
			return;
		}
	}
	if (nsrcs == MAX_SRCS) {
		overflow++;
		return;
	}
	srcs[nsrcs].addr = *a;
	srcs[nsrcs++].count = 1;
}

static int open_sock(const char *addr, unsigned short port)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	int fd, one = 1, buf = RCVBUF, fam;
	socklen_t len;

	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		fam = a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		fam = a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	} else {
		fprintf(stderr, "udpcount: invalid address '%s'\n", addr);
		return -1;
	}
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("udpcount: socket");
		return -1;
	}
	/* FORCE ignores net.core.rmem_max (root): no global sysctl to change. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf)))
		perror("udpcount: SO_RCVBUF");
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)))
		perror("udpcount: SO_RXQ_OVFL");
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		fprintf(stderr, "udpcount: bind %s port %u: %s\n", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Read everything queued on fd; returns packets read. */
static unsigned long long drain(int fd, unsigned int *drops)
{
	unsigned long long n = 0;

	for (;;) {
		struct sockaddr_storage from;
		char data[2048], cbuf[CMSG_SPACE(sizeof(unsigned int)) * 2];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr msg = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		struct in6_addr a = {};
		struct cmsghdr *c;

		if (recvmsg(fd, &msg, 0) < 0)
			return n;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
				memcpy(drops, CMSG_DATA(c), sizeof(*drops));
		if (from.ss_family == AF_INET) {
			a.s6_addr[10] = a.s6_addr[11] = 0xff;
			memcpy(&a.s6_addr[12], &((struct sockaddr_in *)&from)->sin_addr, 4);
		} else {
			a = ((struct sockaddr_in6 *)&from)->sin6_addr;
		}
		count(&a);
		n++;
	}
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: udpcount -b ADDR [-b ADDR...] [-p PORT] -t SECONDS [-i IDLE_MS] "
		     "[-R FILE]\n"
		     "  Count UDP packets per source on ADDR:PORT (default 9000) for SECONDS at\n"
		     "  most, or until IDLE_MS (default 1000) pass without a packet.\n");
}

int main(int argc, char **argv)
{
	const char *addrs[MAX_SOCKS], *ready = NULL;
	struct pollfd pfd[MAX_SOCKS];
	unsigned int drops[MAX_SOCKS] = {};
	unsigned long long total = 0, sum_drops = 0;
	double secs = 0, idle = 1.0, start, last = 0, t;
	long port = 9000;
	int naddrs = 0, opt;
	char *end;

	while ((opt = getopt(argc, argv, "b:p:t:i:R:h")) != -1) {
		switch (opt) {
		case 'b':
			if (naddrs == MAX_SOCKS) {
				fprintf(stderr, "udpcount: at most %d addresses\n", MAX_SOCKS);
				return 2;
			}
			addrs[naddrs++] = optarg;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end || port < 1 || port > 65535) {
				fprintf(stderr, "udpcount: invalid port '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*end || secs <= 0 || secs > 3600) {
				fprintf(stderr, "udpcount: invalid seconds '%s'\n", optarg);
				return 2;
			}
			break;
		case 'i':
			idle = strtol(optarg, &end, 10) / 1000.0;
			if (*end || idle <= 0 || idle > 3600) {
				fprintf(stderr, "udpcount: invalid idle time '%s'\n", optarg);
				return 2;
			}
			break;
		case 'R':
			ready = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!naddrs || !secs || optind != argc) {
		usage(stderr);
		return 2;
	}
	for (int i = 0; i < naddrs; i++) {
		pfd[i].fd = open_sock(addrs[i], (unsigned short)port);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0)
			return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		if (fd < 0) {
			fprintf(stderr, "udpcount: %s: %s\n", ready, strerror(errno));
			return 1;
		}
		close(fd);
	}

	start = now_s();
	while (!stop) {
		int r;

		t = now_s();
		if (t - start >= secs || (total && t - last >= idle))
			break;
		r = poll(pfd, naddrs, 50);
		if (r < 0 && errno != EINTR) {
			perror("udpcount: poll");
			break;
		}
		for (int i = 0; r > 0 && i < naddrs; i++) {
			unsigned long long n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			n = drain(pfd[i].fd, &drops[i]);
			if (n) {
				total += n;
				last = now_s();
			}
		}
	}
	/* Whatever is still queued arrived within the window: count it too. */
	for (int i = 0; i < naddrs; i++) {
		total += drain(pfd[i].fd, &drops[i]);
		sum_drops += drops[i];
		close(pfd[i].fd);
	}

	for (int i = 0; i < nsrcs; i++) {
		char s[INET6_ADDRSTRLEN];

		if (IN6_IS_ADDR_V4MAPPED(&srcs[i].addr))
			inet_ntop(AF_INET, &srcs[i].addr.s6_addr[12], s, sizeof(s));
		else
			inet_ntop(AF_INET6, &srcs[i].addr, s, sizeof(s));
		printf("%s %llu\n", s, srcs[i].count);
	}
	if (overflow)
		printf("# other_sources_packets=%llu\n", overflow);
	printf("# total=%llu sock_drops=%llu elapsed=%.3f\n", total, sum_drops, now_s() - start);
	return 0;
}
