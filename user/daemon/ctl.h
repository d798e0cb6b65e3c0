/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * floodgated's control socket: a unix stream socket (default
 * /run/floodgate/floodgated.sock, mode 0600) speaking one line per command.
 * Every reply is one line starting "ok" or "error", except that "ok N"
 * answering list is followed by N lines. A client may send several
 * commands on one connection.
 *
 *   list                   ok N, then "NAME STATE auto|forced GROUP" per upstream
 *   open NAME | close NAME force the breaker (held until auto), as the CLI does
 *   auto NAME              hand the breaker back to the state machine
 *   reload                 reload the config file, as SIGHUP does
 *   version | help
 *
 * Try it:  echo list | socat - UNIX-CONNECT:/run/floodgate/floodgated.sock
 */
#ifndef FG_CTL_H
#define FG_CTL_H

#include <poll.h>
#include <stdio.h>
#include "daemon.h"

#define FG_CTL_MAX_CLIENTS 16
#define FG_CTL_LINE_MAX 512

/* Reload the config; 0 or -errno with a one-line reason in err. */
typedef int (*fg_ctl_reload_fn)(void *ctx, char *err, size_t errlen);

struct fg_ctl_client {
	int fd;
	size_t len;
	char buf[FG_CTL_LINE_MAX];
};

struct fg_ctl {
	int fd;
	char path[256];
	struct fg_ctl_client cl[FG_CTL_MAX_CLIENTS];
	fg_ctl_reload_fn reload;
	void *reload_ctx;
};

/* Listen on path (its directory is created). Refuses when another daemon
 * answers on it; a stale socket file is replaced. */
int fg_ctl_open(struct fg_ctl *c, const char *path, char *err, size_t errlen);
void fg_ctl_close(struct fg_ctl *c);
/* The fds to poll (listener and clients); returns how many were filled. */
int fg_ctl_pollfds(const struct fg_ctl *c, struct pollfd *p, int max);
/* Serve what poll reported on those fds. */
void fg_ctl_serve(struct fg_ctl *c, const struct pollfd *p, int n, struct fg_daemon *d);
/* Run one command line against d, the reply written to out. Needs no socket
 * (and no map, with d on a fake datapath). Returns 0 if the reply is "ok". */
int fg_ctl_exec(struct fg_daemon *d, const char *line, FILE *out, fg_ctl_reload_fn reload,
		void *ctx);

/*
 * Hand each complete line in cl->buf (cl->len bytes, NUL-terminated) to fn,
 * its LF and a CR before that cut, and keep the rest for the next read.
 * Returns -E2BIG when the buffer is full with no line in it: too long a line.
 * No I/O (fuzzed on its own).
 */
typedef void (*fg_ctl_line_fn)(void *arg, const char *line);
int fg_ctl_split(struct fg_ctl_client *cl, fg_ctl_line_fn fn, void *arg);

#endif /* FG_CTL_H */
