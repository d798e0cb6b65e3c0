// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE /* accept4 */
/* floodgated's control socket (ctl.h): lines in, one answer per line out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"
#include "names.h"
#include "pins.h"
#include "log.h"
#include "names.h"
#include "parse.h"

int fg_ctl_exec(struct fg_daemon *d, const char *line, FILE *out, fg_ctl_reload_fn reload,
		void *ctx)
{
	char cmd[16] = "", name[64] = "", extra[8] = "", err[FG_ERR_LEN];
	int n = sscanf(line, "%15s %63s %7s", cmd, name, extra);

	if (n <= 0) {
		fprintf(out, "error empty command (try help)\n");
		return -EINVAL;
	}
	if (!strcmp(cmd, "help") || !strcmp(cmd, "version") || !strcmp(cmd, "list") ||
	    !strcmp(cmd, "reload")) {
		if (n > 1) {
			fprintf(out, "error %s takes no argument\n", cmd);
			return -EINVAL;
		}
		if (!strcmp(cmd, "help")) {
			fprintf(out, "ok commands: list, open NAME, close NAME, auto NAME, reload, "
				     "version, help\n");
		} else if (!strcmp(cmd, "version")) {
			fprintf(out, "ok floodgated %s\n", FG_VERSION);
		} else if (!strcmp(cmd, "list")) {
			fprintf(out, "ok %d\n", d->n_ups);
			for (int i = 0; i < d->n_ups; i++)
				fprintf(out, "%s %s %s %s\n", d->ups[i].cfg.name,
					fg_breaker_name(d->ups[i].brk.state),
					d->ups[i].brk.force == FG_FORCE_AUTO ? "auto" : "forced",
					d->ups[i].cfg.group);
		} else {
			if (!reload) {
				fprintf(out, "error reload is not available\n");
				return -ENOTSUP;
			}
			if (reload(ctx, err, sizeof(err))) {
				fprintf(out, "error %s\n", err);
				return -EINVAL;
			}
			fprintf(out, "ok config reloaded\n");
		}
		return 0;
	}
	int f = fg_name_value(fg_force_names, FG_FORCE_MAX, cmd); /* open, close, auto */

	if (f >= 0) {
		int i;

		if (n != 2) {
			fprintf(out, "error usage: %s NAME\n", cmd);
			return -EINVAL;
		}
		if (fg_parse_name(name, err, sizeof(err)) ||
		    fg_daemon_force(d, name, f, fg_now_ns(), err, sizeof(err))) {
			fprintf(out, "error %s\n", err);
			return -EINVAL;
		}
		i = fg_daemon_find(d, name);
		fprintf(out, "ok %s %s %s\n", name, fg_breaker_name(d->ups[i].brk.state),
			f == FG_FORCE_AUTO ? "auto" : "forced");
		return 0;
	}
	fprintf(out, "error unknown command '%s' (try help)\n", cmd);
	return -EINVAL;
}

static int mkdir_parent(const char *path)
{
	char buf[256];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = 0;
	return fg_mkdir_p(buf);
}

int fg_ctl_open(struct fg_ctl *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = -1, ret;

	c->fd = -1;
	for (int i = 0; i < FG_CTL_MAX_CLIENTS; i++)
		c->cl[i].fd = -1;
	if (strlen(path) >= sizeof(sa.sun_path) || strlen(path) >= sizeof(c->path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = mkdir_parent(path);
	if (ret) {
		snprintf(err, errlen, "Failed to create the directory of %s: %s", path,
			 strerror(-ret));
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	/* Someone answering there is another daemon: do not steal its socket. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "another floodgated is listening on %s", path);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	{
		mode_t old = umask(0077); /* root only, from the first instant */

		ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(old);
	}
	if (ret || listen(fd, 8))
		goto fail;
	c->fd = fd;
	return 0;
fail:
	ret = -errno;
	if (fd >= 0)
		close(fd);
	snprintf(err, errlen, "Failed to listen on %s: %s", path, strerror(-ret));
	return ret;
}

static void drop_client(struct fg_ctl_client *cl)
{
	close(cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

void fg_ctl_close(struct fg_ctl *c)
{
	for (int i = 0; i < FG_CTL_MAX_CLIENTS; i++)
		if (c->cl[i].fd >= 0)
			drop_client(&c->cl[i]);
	if (c->fd >= 0) {
		close(c->fd);
		unlink(c->path);
	}
	c->fd = -1;
}

int fg_ctl_pollfds(const struct fg_ctl *c, struct pollfd *p, int max)
{
	int n = 0;

	if (c->fd < 0)
		return 0;
	if (n < max)
		p[n++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
	for (int i = 0; i < FG_CTL_MAX_CLIENTS && n < max; i++)
		if (c->cl[i].fd >= 0)
			p[n++] = (struct pollfd){ .fd = c->cl[i].fd, .events = POLLIN };
	return n;
}

static void reply(struct fg_ctl_client *cl, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = send(cl->fd, buf, len, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* gone, or not reading within the send timeout */
		buf += w;
		len -= w;
	}
}

static void accept_client(struct fg_ctl *c)
{
	struct timeval tv = { .tv_sec = 1 };
	int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC), slot = -1;

	if (fd < 0)
		return;
	for (int i = 0; i < FG_CTL_MAX_CLIENTS && slot < 0; i++)
		if (c->cl[i].fd < 0)
			slot = i;
	if (slot < 0) {
		const char *busy = "error too many control connections\n";

		send(fd, busy, strlen(busy), MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	/* A client that stops reading cannot hold the daemon's loop for long. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->cl[slot].fd = fd;
	c->cl[slot].len = 0;
}

int fg_ctl_split(struct fg_ctl_client *cl, fg_ctl_line_fn fn, void *arg)
{
	char *nl;

	while ((nl = strchr(cl->buf, '\n'))) {
		*nl = 0;
		if (nl > cl->buf && nl[-1] == '\r')
			nl[-1] = 0;
		fn(arg, cl->buf);
		cl->len -= nl + 1 - cl->buf;
		memmove(cl->buf, nl + 1, cl->len + 1);
	}
	return cl->len == sizeof(cl->buf) - 1 ? -E2BIG : 0;
}

struct served {
	struct fg_ctl *c;
	struct fg_ctl_client *cl;
	struct fg_daemon *d;
};

static void serve_line(void *arg, const char *line)
{
	struct served *s = arg;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	if (!f)
		return;
	fg_ctl_exec(s->d, line, f, s->c->reload, s->c->reload_ctx);
	fclose(f);
	pr_debug("control: '%s' -> %.*s", line, (int)outlen, out);
	reply(s->cl, out, outlen);
	free(out);
}

static void serve_client(struct fg_ctl *c, struct fg_ctl_client *cl, struct fg_daemon *d)
{
	ssize_t r = recv(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - 1 - cl->len, MSG_DONTWAIT);
	struct served s = { .c = c, .cl = cl, .d = d };

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		drop_client(cl);
		return;
	}
	cl->len += r;
	cl->buf[cl->len] = 0;
	if (fg_ctl_split(cl, serve_line, &s) == -E2BIG) {
		const char *e = "error line too long\n";

		reply(cl, e, strlen(e));
		drop_client(cl);
	}
}

void fg_ctl_serve(struct fg_ctl *c, const struct pollfd *p, int n, struct fg_daemon *d)
{
	for (int k = 0; k < n; k++) {
		if (!p[k].revents)
			continue;
		if (p[k].fd == c->fd) {
			accept_client(c);
			continue;
		}
		for (int i = 0; i < FG_CTL_MAX_CLIENTS; i++)
			if (c->cl[i].fd == p[k].fd) {
				serve_client(c, &c->cl[i], d);
				break;
			}
	}
}
