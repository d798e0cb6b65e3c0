// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The CLI's side of floodgated's control socket (protocol in ctl.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define REPLY_TIMEOUT_MS 3000

int fg_ctl_request(const char *path, const char *line, char *reply, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[512];
	size_t got = 0;
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		return err;
	}
	if (dprintf(fd, "%s\n", line) < 0)
		goto io_err;
	/* One reply line; a daemon that hangs must not hang the CLI. */
	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, REPLY_TIMEOUT_MS) != 1) {
			close(fd);
			return -ETIMEDOUT;
		}
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			goto io_err;
		got += n;
	}
	close(fd);
	buf[got] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!strncmp(buf, "ok", 2)) {
		snprintf(reply, len, "%s", buf[2] == ' ' ? buf + 3 : buf + 2);
		return 0;
	}
	snprintf(reply, len, "%s", !strncmp(buf, "error ", 6) ? buf + 6 : buf);
	return 1;
io_err:
	err = errno ? -errno : -EIO;
	close(fd);
	return err;
}
