// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * [daemon] policy_file: a policy file (policy_file.h, the format of
 * `floodgate limit load`) read with the config, at start and on every
 * reload, and merged with the [policy] sections. A prefix in both is an
 * error naming both places; the two together must fit the policy map.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config_entries.h"
#include "parse.h"
#include "policy_file.h"

/* path opened for reading if it is a regular file: a FIFO or a device
 * would hang a reload (the open itself does not wait: O_NONBLOCK). NULL
 * with errno set otherwise. */
static FILE *open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st = { .st_mode = S_IFREG }; /* fstat failing: its errno */
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int err = S_ISREG(st.st_mode) ? errno : EINVAL;

		close(fd);
		errno = err;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

struct by_key {
	struct fg_lpm_key key;
	int idx;
};

static int by_key_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct fg_lpm_key));
}

/* A file policy that a [policy] section has too: the first, in file order. */
static int check_both(struct cfg_ctx *c, const struct fg_cfg *out,
		      const struct fg_policy_want *w, int n)
{
	const char *path = out->daemon.policy_file;
	struct by_key *s = calloc(out->n_pols + 1, sizeof(*s)), probe = {};
	const struct by_key *hit = NULL;
	char pfx[64];
	int i;

	if (!s)
		return -ENOMEM;
	for (i = 0; i < out->n_pols; i++)
		s[i] = (struct by_key){ out->pols[i].key, i };
	qsort(s, out->n_pols, sizeof(*s), by_key_cmp);
	for (i = 0; i < n && !hit; i++) {
		probe.key = w[i].key;
		hit = bsearch(&probe, s, out->n_pols, sizeof(*s), by_key_cmp);
	}
	if (hit) {
		const struct fg_policy_cfg *p = &out->pols[hit->idx];

		fg_format_prefix(w[i - 1].key.addr, w[i - 1].key.prefixlen, pfx, sizeof(pfx));
		snprintf(c->err, c->errlen, "%s:%d: %s: also in [policy %s] at %s:%d", path,
			 w[i - 1].line, pfx, p->prefix, c->path, p->line);
	}
	free(s);
	return hit ? -EINVAL : 0;
}

/* The file's n policies appended to out->pols. */
static int append(struct fg_cfg *out, const struct fg_policy_want *w, int n)
{
	struct fg_policy_cfg *grown = realloc(out->pols, (out->n_pols + n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	out->pols = grown;
	for (int i = 0; i < n; i++) {
		struct fg_policy_cfg *p = &out->pols[out->n_pols++];

		memset(p, 0, sizeof(*p));
		fg_format_prefix(w[i].key.addr, w[i].key.prefixlen, p->prefix, sizeof(p->prefix));
		p->line = w[i].line;
		p->new_set = 1; /* complete as read: the file's reader applied the defaults */
		p->key = w[i].key;
		p->pol = w[i].pol;
	}
	return 0;
}

int cfg_policy_file(struct cfg_ctx *c, struct fg_cfg *out)
{
	const char *path = out->daemon.policy_file;
	struct fg_policy_want *w = NULL;
	int n = 0, ret;
	FILE *f;

	if (!path[0])
		return 0;
	f = open_regular(path);
	if (!f) {
		snprintf(c->err, c->errlen, "%s:%d: [daemon] policy_file: %s: %s", c->path,
			 out->daemon.policy_file_line, path,
			 errno == EINVAL ? "not a regular file" : strerror(errno));
		return -EINVAL;
	}
	ret = fg_policy_file_read(f, path, FG_POLICY_MAX, &w, &n, c->err, c->errlen);
	fclose(f);
	if (!ret)
		ret = check_both(c, out, w, n);
	if (!ret && out->n_pols + n > FG_POLICY_MAX) {
		snprintf(c->err, c->errlen, "%s: %d policies with the %d of [policy] sections in %s, "
			 "the policy map holds at most %d", path, n, out->n_pols, c->path,
			 FG_POLICY_MAX);
		ret = -E2BIG;
	}
	if (!ret)
		ret = append(out, w, n);
	if (ret == -ENOMEM)
		snprintf(c->err, c->errlen, "%s: out of memory", path);
	free(w);
	return ret;
}
