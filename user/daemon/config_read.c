// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Reading floodgated's config (libinih) into entries: lines too long,
 * syntax errors, repeated keys and sections, and more sections than the
 * maps hold are refused here, before any value is interpreted.
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_entries.h"

struct reader {
	FILE *f;
	int line, section_line;
	struct cfg_entry *e;
	int n, cap;
	int overflow;
};

/*
 * A line longer than libinih's buffer (num) would come back in pieces, the
 * rest parsed as lines of their own: the tail of a long comment could set a
 * key. Drop the rest of it instead; only a comment may be that long.
 */
#define FG_INI_SPACE " \t\n\v\f\r" /* isspace() in the C locale, as libinih's lskip */

static void skip_rest(struct reader *r, const char *s, int num)
{
	size_t n = strlen(s);
	int c;

	if (n < (size_t)num - 1 || s[n - 1] == '\n')
		return;
	c = fgetc(r->f);
	if (c == EOF || c == '\n')
		return; /* it just fit */
	while (c != EOF && c != '\n')
		c = fgetc(r->f);
	s += strspn(s, FG_INI_SPACE);
	if (*s != ';' && *s != '#' && !r->overflow)
		r->overflow = r->line;
}

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	char *s = fgets(str, num, r->f);

	if (s) {
		r->line++;
		/* libinih does not pass headers' lines on: remember them here.
		 * It skips what isspace() skips before the '[', so do the same. */
		if (s[strspn(s, FG_INI_SPACE)] == '[')
			r->section_line = r->line;
		skip_rest(r, s, num);
	}
	return s;
}

static int collect(void *user, const char *section, const char *key, const char *value)
{
	struct reader *r = user;
	struct cfg_entry *e;

	if (r->n == r->cap) {
		void *np = realloc(r->e, (r->cap = r->cap ? r->cap * 2 : 64) * sizeof(*r->e));

		if (!np)
			return 0;
		r->e = np;
	}
	e = &r->e[r->n++];
	if (strlen(section) >= sizeof(e->section) || strlen(key) >= sizeof(e->key) ||
	    strlen(value) >= sizeof(e->value))
		r->overflow = r->line;
	snprintf(e->section, sizeof(e->section), "%s", section);
	snprintf(e->key, sizeof(e->key), "%s", key);
	snprintf(e->value, sizeof(e->value), "%s", value);
	e->line = r->line;
	e->section_line = r->section_line;
	return 1;
}

/* Order entries by section, then by where that section starts, then key. */
static int entry_cmp(const void *a, const void *b)
{
	const struct cfg_entry *x = *(const struct cfg_entry *const *)a, *y = *(const struct cfg_entry *const *)b;
	int d = strcmp(x->section, y->section);

	if (d)
		return d;
	if (x->section_line != y->section_line)
		return x->section_line < y->section_line ? -1 : 1;
	d = strcmp(x->key, y->key);
	return d ? d : (x->line > y->line) - (x->line < y->line);
}

/*
 * A key set twice, or a section that comes twice, is refused: silently
 * taking the last (or merging) hides a typo in a file of thousands of
 * lines. Sorted, so a large file costs n log n.
 */
static int check_repeats(struct cfg_ctx *c, const struct reader *r)
{
	const struct cfg_entry **v = calloc(r->n + 1, sizeof(*v));
	int ret = 0;

	if (!v)
		return -ENOMEM;
	for (int i = 0; i < r->n; i++)
		v[i] = &r->e[i];
	qsort(v, r->n, sizeof(*v), entry_cmp);
	for (int i = 1; i < r->n && !ret; i++) {
		const struct cfg_entry *a = v[i - 1], *e = v[i];

		if (strcmp(a->section, e->section))
			continue;
		if (a->section_line != e->section_line) {
			snprintf(c->err, c->errlen, "%s:%d: [%s]: section repeated (first on line %d)",
				 c->path, e->section_line, e->section, a->section_line);
			ret = -EINVAL;
		} else if (!strcmp(a->key, e->key)) {
			snprintf(c->err, c->errlen, "%s:%d: [%s] %s: key repeated (first on line %d)",
				 c->path, e->line, e->section, e->key, a->line);
			ret = -EINVAL;
		}
	}
	free(v);
	return ret;
}

/*
 * The maps hold FG_UPSTREAMS_MAX upstreams and FG_POLICY_MAX policies: a
 * config with more could never apply, so it is refused here, where
 * --check-config sees it, and before the per-section checks (some compare
 * every pair: a file of 100,000 policies is refused at once, not in minutes).
 * A section is its header line: entries of one section share it.
 */
static int check_capacity(struct cfg_ctx *c, const struct reader *r)
{
	int n_ups = 0, n_pols = 0, last = -1;
	const char *arg;

	for (int i = 0; i < r->n; i++) {
		const struct cfg_entry *e = &r->e[i];

		if (e->section_line == last)
			continue;
		last = e->section_line;
		n_ups += cfg_section_is(e->section, "upstream", &arg);
		n_pols += cfg_section_is(e->section, "policy", &arg);
	}
	if (n_ups > FG_UPSTREAMS_MAX) {
		snprintf(c->err, c->errlen, "%s: %d [upstream] sections, the maps hold at most %d",
			 c->path, n_ups, FG_UPSTREAMS_MAX);
		return -E2BIG;
	}
	if (n_pols > FG_POLICY_MAX) {
		snprintf(c->err, c->errlen, "%s: %d [policy] sections, the maps hold at most %d",
			 c->path, n_pols, FG_POLICY_MAX);
		return -E2BIG;
	}
	return 0;
}

/* Parse and check everything f holds; name stands for it in errors. */
static int load_stream(FILE *f, const char *name, struct fg_cfg *out, char *err, size_t errlen)
{
	struct reader r = { .f = f };
	struct cfg_ctx c = { .path = name, .err = err, .errlen = errlen };
	int ret;

	ret = ini_parse_stream(read_line, &r, collect, &r);
	/* A line cut short may look like a syntax error: say what it is. */
	if (r.overflow && (ret == 0 || (ret > 0 && r.overflow <= ret))) {
		snprintf(err, errlen, "%s:%d: line too long", name, r.overflow);
		ret = -EINVAL;
	} else if (ret > 0) {
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", name,
			 ret);
		ret = -EINVAL;
	} else if (ret < 0) {
		snprintf(err, errlen, "%s: out of memory", name);
		ret = -ENOMEM;
	} else {
		ret = check_repeats(&c, &r) ?: check_capacity(&c, &r) ?:
		      cfg_interpret(&c, r.e, r.n, out) ?: cfg_policy_file(&c, out);
	}
	free(r.e);
	if (ret)
		fg_cfg_free(out);
	return ret;
}

/* Load from f, which the caller just opened (NULL: errno says why not). */
static int load_opened(FILE *f, const char *name, struct fg_cfg *out, char *err,
		       size_t errlen)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", name, strerror(-ret));
		return ret;
	}
	ret = load_stream(f, name, out, err, errlen);
	fclose(f);
	return ret;
}

int fg_cfg_load(const char *path, struct fg_cfg *out, char *err, size_t errlen)
{
	return load_opened(fopen(path, "r"), path, out, err, errlen);
}

int fg_cfg_load_buf(const char *name, const char *buf, size_t len, struct fg_cfg *out,
		    char *err, size_t errlen)
{
	/* A read-only memory stream: the very path a file takes, fgets and all. */
	return load_opened(fmemopen((void *)buf, len, "r"), name, out, err, errlen);
}

