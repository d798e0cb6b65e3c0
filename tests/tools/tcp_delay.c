// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * tcp_delay: a TCP relay that adds a fixed delay each way, and stops by
 * itself. The kernel here has no sch_netem, so a test that needs a slow
 * path to a server points its clients at this relay instead.
 *
 *   tcp_delay -l ADDR:PORT -c ADDR:PORT -d MS -t SECONDS [-R FILE]
 *
 * Accepts on -l, and for each client connects to -c; every chunk read on
 * either side is held until MS after it was read, then written to the
 * other side. The delay is off at start: SIGUSR1 turns it on, SIGUSR2 off
 * (a chunk already held keeps its time). When one side closes or fails,
 * both are closed, so a client sees its server go away. At most MAX_PAIRS
 * connections and MAX_HELD bytes held per direction (it stops reading a
 * side whose chunks wait). Stops after SECONDS or on SIGTERM/SIGINT.
 * Creates FILE once it listens; each change of delay and each connection
 * is one line on stderr.
 */
#define _GNU_SOURCE /* accept4 */
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

#define MAX_PAIRS 16
#define MAX_CHUNKS 64     /* held per direction */
#define CHUNK 16384
#define MAX_HELD (MAX_CHUNKS * CHUNK)

struct chunk {
	unsigned long long due_ms;
	size_t len, off;
	char *buf;
};

/* One direction: read from fd `from`, held, written to `to`. */
struct dir {
	struct chunk q[MAX_CHUNKS];
	int head, n;
};

struct pair {
	int fd[2];        /* 0: the client, 1: the server */
	int connected;    /* the server side's connect() finished */
	struct dir d[2];  /* d[0]: client to server, d[1]: server to client */
};

static volatile sig_atomic_t stop, delay_on, delay_changed;
static struct pair pairs[MAX_PAIRS];

static void on_stop(int sig) { stop = 1; }
static void on_usr(int sig)
{
	delay_on = sig == SIGUSR1;
	delay_changed = 1;
}

static unsigned long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || colon - s >= (long)sizeof(host))
		return -1;
	memcpy(host, s, colon - s);
	host[colon - s] = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(atoi(colon + 1));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 && a->sin_port ? 0 : -1;
}

static void pair_close(struct pair *p)
{
	for (int s = 0; s < 2; s++) {
		close(p->fd[s]);
		for (int i = 0; i < p->d[s].n; i++)
			free(p->d[s].q[(p->d[s].head + i) % MAX_CHUNKS].buf);
	}
	memset(p, 0, sizeof(*p));
	p->fd[0] = p->fd[1] = -1;
}

static void pair_open(int lfd, const struct sockaddr_in *to)
{
	int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK), s;
	struct pair *p = NULL;

	if (c < 0)
		return;
	for (int i = 0; i < MAX_PAIRS && !p; i++)
		if (pairs[i].fd[0] < 0)
			p = &pairs[i];
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (!p || s < 0 || (connect(s, (const struct sockaddr *)to, sizeof(*to)) && errno != EINPROGRESS)) {
		fprintf(stderr, "tcp_delay: refused a client: %s\n", p ? strerror(errno) : "too many");
		close(c);
		if (s >= 0)
			close(s);
		return;
	}
	p->fd[0] = c, p->fd[1] = s;
	fprintf(stderr, "tcp_delay: client %ld connected\n", (long)(p - pairs));
}

/* Read what side s has into its direction's queue; -1 when it closed. */
static int pull(struct pair *p, int s, unsigned delay_ms)
{
	struct dir *d = &p->d[s];
	struct chunk *ch;
	ssize_t n;

	if (d->n == MAX_CHUNKS)
		return 0;
	ch = &d->q[(d->head + d->n) % MAX_CHUNKS];
	ch->buf = malloc(CHUNK);
	if (!ch->buf)
		return -1;
	n = read(p->fd[s], ch->buf, CHUNK);
	if (n <= 0) {
		free(ch->buf);
		ch->buf = NULL;
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	}
	ch->len = n, ch->off = 0;
	ch->due_ms = now_ms() + delay_ms;
	d->n++;
	return 0;
}

/* Write side s's chunks that are due to the other side; -1 on an error. */
static int push(struct pair *p, int s, unsigned long long now)
{
	struct dir *d = &p->d[s];

	while (d->n) {
		struct chunk *ch = &d->q[d->head];
		ssize_t n;

		if (ch->due_ms > now)
			return 0;
		n = write(p->fd[!s], ch->buf + ch->off, ch->len - ch->off);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		ch->off += n;
		if (ch->off < ch->len)
			return 0;
		free(ch->buf);
		ch->buf = NULL;
		d->head = (d->head + 1) % MAX_CHUNKS;
		d->n--;
	}
	return 0;
}

/* The poll entries of pair p (fds[2k], fds[2k+1]); the next due time. */
static void pair_events(const struct pair *p, struct pollfd *f, unsigned long long *next)
{
	for (int s = 0; s < 2; s++) {
		const struct dir *d = &p->d[s], *back = &p->d[!s];

		f[s].fd = p->fd[s];
		f[s].events = 0;
		if (s == 1 && !p->connected) {
			f[s].events = POLLOUT;
			continue;
		}
		if (d->n < MAX_CHUNKS)
			f[s].events |= POLLIN;
		/* back: the chunks going to this side; a due one waits for room. */
		if (back->n && back->q[back->head].due_ms <= now_ms())
			f[s].events |= POLLOUT;
		else if (back->n && back->q[back->head].due_ms < *next)
			*next = back->q[back->head].due_ms;
	}
}

static void pair_run(struct pair *p, const struct pollfd *f, unsigned delay_ms)
{
	unsigned long long now = now_ms();
	int bad = 0;

	if (!p->connected && f[1].revents) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(p->fd[1], SOL_SOCKET, SO_ERROR, &err, &len);
		if (err)
			bad = 1;
		p->connected = !err;
	}
	for (int s = 0; s < 2 && !bad; s++) {
		if ((s == 0 || p->connected) && (f[s].revents & (POLLIN | POLLHUP | POLLERR)))
			/* HUP or ERR: the read says which (0 or an error closes) */
			bad = pull(p, s, delay_ms) < 0;
		if (!bad && (s == 0 || p->connected))
			bad = push(p, s, now) < 0;
	}
	if (bad) {
		fprintf(stderr, "tcp_delay: client %ld closed\n", (long)(p - pairs));
		pair_close(p);
	}
}

static int relay(int lfd, const struct sockaddr_in *to, unsigned delay_ms, unsigned secs)
{
	unsigned long long end = now_ms() + secs * 1000ULL;
	struct pollfd f[1 + 2 * MAX_PAIRS];

	while (!stop && now_ms() < end) {
		unsigned long long next = now_ms() + 100, now;
		int timeout;

		if (delay_changed) {
			delay_changed = 0;
			fprintf(stderr, "tcp_delay: delay %u ms\n", delay_on ? delay_ms : 0);
		}
		f[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < MAX_PAIRS; i++) {
			if (pairs[i].fd[0] >= 0)
				pair_events(&pairs[i], &f[1 + 2 * i], &next);
			else
				f[1 + 2 * i].fd = f[2 + 2 * i].fd = -1;
		}
		now = now_ms();
		timeout = next > now ? (int)(next - now) : 0;
		if (poll(f, 1 + 2 * MAX_PAIRS, timeout) < 0 && errno != EINTR)
			return perror("tcp_delay: poll"), 1;
		if (f[0].revents & POLLIN)
			pair_open(lfd, to);
		for (int i = 0; i < MAX_PAIRS; i++)
			if (pairs[i].fd[0] >= 0 && f[1 + 2 * i].fd >= 0)
				pair_run(&pairs[i], &f[1 + 2 * i], delay_on ? delay_ms : 0);
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: tcp_delay -l ADDR:PORT -c ADDR:PORT -d MS -t SECONDS [-R FILE]\n"
		     "  SIGUSR1: delay on, SIGUSR2: delay off (off at start)\n");
}

int main(int argc, char **argv)
{
	struct sockaddr_in la, ca;
	const char *ready = NULL, *l = NULL, *c = NULL;
	unsigned delay_ms = 0, secs = 0;
	int opt, lfd, one = 1;

	while ((opt = getopt(argc, argv, "l:c:d:t:R:h")) != -1) {
		switch (opt) {
		case 'l': l = optarg; break;
		case 'c': c = optarg; break;
		case 'd': delay_ms = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		case 'R': ready = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!l || !c || !secs || secs > 3600 || delay_ms > 10000) {
		usage(stderr);
		return 2;
	}
	if (parse_addr(l, &la) || parse_addr(c, &ca)) {
		fprintf(stderr, "tcp_delay: bad address '%s' or '%s' (want IPv4:PORT)\n", l, c);
		return 2;
	}
	for (int i = 0; i < MAX_PAIRS; i++)
		pairs[i].fd[0] = pairs[i].fd[1] = -1;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGUSR1, on_usr);
	signal(SIGUSR2, on_usr);
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&la, sizeof(la)) || listen(lfd, 16)) {
		fprintf(stderr, "tcp_delay: listen on %s: %s\n", l, strerror(errno));
		return 1;
	}
	if (ready) {
		int fd = open(ready, O_CREAT | O_WRONLY, 0644);

		if (fd >= 0)
			close(fd);
	}
	return relay(lfd, &ca, delay_ms, secs);
}
