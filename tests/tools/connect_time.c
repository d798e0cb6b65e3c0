// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * connect_time: how long one TCP connect() takes to succeed or fail, and how.
 *
 *   connect_time [-t TIMEOUT_MS] [-m MARK] [-g] ADDR PORT
 *
 * Opens one TCP socket (with SO_MARK = MARK when -m is given: floodgate lets
 * packets carrying its probe mark through an open breaker), starts a
 * non-blocking connect() to ADDR (IPv4 or IPv6) PORT and waits at most
 * TIMEOUT_MS (default 1500) for the outcome. With -g, a connected socket
 * then sends "GET / HTTP/1.0" and reads the status line, within what is left
 * of the same timeout. Prints one line:
 *
 *   result=ok|refused|timeout|unreachable|error errno=NAME ms=MS [status=NNN]
 *
 * ms is the time from connect() to its outcome (not counting the GET). The
 * exit status is 0 whenever a result was measured, 2 on bad usage or when
 * the socket cannot be made.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNRESET: return "ECONNRESET";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	default: return "OTHER";
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: connect_time [-t TIMEOUT_MS] [-m MARK] [-g] ADDR PORT\n");
	exit(2);
}

/* Send a GET and return the status code of the reply's first line, or -1. */
static int http_get(int fd, double deadline)
{
	static const char req[] = "GET / HTTP/1.0\r\nHost: upstream\r\nUser-Agent: connect_time\r\n\r\n";
	char buf[256];
	size_t got = 0;
	int code;

	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1))
		return -1;
	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left + 1) <= 0)
			return -1;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += n;
	}
	buf[got] = 0;
	if (sscanf(buf, "HTTP/1.%*c %d", &code) != 1)
		return -1;
	return code;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned long timeout_ms = 1500, mark = 0, port;
	int opt, fd, get = 0, has_mark = 0, err = 0, status = -1;
	socklen_t slen, elen = sizeof(err);
	const char *result;
	double t0, t1, deadline;
	char *end;

	while ((opt = getopt(argc, argv, "t:m:g")) != -1) {
		switch (opt) {
		case 't':
			timeout_ms = strtoul(optarg, &end, 0);
			if (*end || !timeout_ms || timeout_ms > 60000)
				usage();
			break;
		case 'm':
			mark = strtoul(optarg, &end, 0);
			if (*end || mark > 0xffffffffUL)
				usage();
			has_mark = 1;
			break;
		case 'g':
			get = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	port = strtoul(argv[optind + 1], &end, 10);
	if (*end || !port || port > 65535)
		usage();
	if (inet_pton(AF_INET, argv[optind], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		slen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, argv[optind], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		slen = sizeof(*sin6);
	} else {
		usage();
	}

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 2;
	}
	if (has_mark) {
		unsigned int m = mark;

		if (setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof(m))) {
			perror("setsockopt(SO_MARK)");
			return 2;
		}
	}

	t0 = now_ms();
	deadline = t0 + timeout_ms;
	if (connect(fd, (struct sockaddr *)&ss, slen) == 0) {
		err = 0;
	} else if (errno != EINPROGRESS) {
		err = errno;
	} else {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int n;

		do
			n = poll(&pfd, 1, (int)(deadline - now_ms()) + 1);
		while (n < 0 && errno == EINTR && now_ms() < deadline);
		if (n <= 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen))
			err = errno;
	}
	t1 = now_ms();

	if (!err)
		result = "ok";
	else if (err == ECONNREFUSED)
		result = "refused";
	else if (err == ETIMEDOUT)
		result = "timeout";
	else if (err == EHOSTUNREACH || err == ENETUNREACH)
		result = "unreachable";
	else
		result = "error";
	if (!err && get)
		status = http_get(fd, deadline);
	printf("result=%s errno=%s ms=%.3f", result, errno_name(err), t1 - t0);
	if (get)
		printf(" status=%d", status);
	printf("\n");
	close(fd);
	return 0;
}
