// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Policy files read and written (policy_file.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "policy_file.h"

#define MAX_WORDS 9 /* PREFIX ACTION and three options of two words, and one too many */

/* Split a checked line into words; a word starting with '#' ends it. */
static int words(char *s, char **w)
{
	int n = 0;

	for (char *tok = strtok(s, " \t"); tok && *tok != '#'; tok = strtok(NULL, " \t")) {
		if (n == MAX_WORDS)
			break;
		w[n++] = tok;
	}
	return n;
}

/* Bytes a line may not hold, named; the CR of a CRLF ending dropped. */
static int check_bytes(const char *line, size_t *len, char *err, size_t errlen)
{
	if (*len && line[*len - 1] == '\r')
		(*len)--;
	if (*len > FG_POLICY_LINE_MAX) {
		snprintf(err, errlen, "line too long (more than %d characters)", FG_POLICY_LINE_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < *len; i++) {
		unsigned char c = line[i];

		if (c == '\t' || (c >= 0x20 && c != 0x7f))
			continue;
		if (c == 0)
			snprintf(err, errlen, "NUL byte at column %zu", i + 1);
		else
			snprintf(err, errlen, "control character 0x%02x at column %zu", c, i + 1);
		return -EINVAL;
	}
	return 0;
}

struct line_opts {
	const char *burst, *per, *fresh;
};

/* The options after a RATE, each once. */
static int options(char **w, int n, struct line_opts *o, char *err, size_t errlen)
{
	for (int i = 2; i < n; i += 2) {
		const char **slot = !strcmp(w[i], "burst")	 ? &o->burst
				    : !strcmp(w[i], "per")	 ? &o->per
				    : !strcmp(w[i], "new-sources") ? &o->fresh
								   : NULL;

		if (!slot) {
			snprintf(err, errlen, "unexpected '%.40s' after the rate (expected burst N, "
				 "per source|prefix or new-sources RATE|off)", w[i]);
			return -EINVAL;
		}
		if (*slot) {
			snprintf(err, errlen, "'%s' given twice", w[i]);
			return -EINVAL;
		}
		if (i + 1 == n) {
			snprintf(err, errlen, "'%s' needs a value", w[i]);
			return -EINVAL;
		}
		*slot = w[i + 1];
	}
	return 0;
}

/* A limit from its RATE word and options, as `limit set` makes one. */
static int limit(const char *rate_s, const struct line_opts *o, struct fg_policy *pol, char *err,
		 size_t errlen)
{
	struct fg_rate rate;

	pol->action = FG_ACT_LIMIT;
	if (fg_parse_rate(rate_s, &rate, err, errlen))
		return -EINVAL;
	pol->interval_ns = rate.interval_ns;
	pol->burst = fg_default_burst(&rate);
	if (o->burst && fg_parse_u32(o->burst, "burst", 1, FG_BURST_MAX, &pol->burst, err, errlen))
		return -EINVAL;
	if (fg_check_bucket("burst", rate_s, pol->interval_ns, pol->burst, err, errlen))
		return -EINVAL;
	if (o->per && strcmp(o->per, "source") && strcmp(o->per, "prefix")) {
		snprintf(err, errlen, "invalid per '%.40s': expected source or prefix", o->per);
		return -EINVAL;
	}
	pol->per = o->per && !strcmp(o->per, "prefix") ? FG_PER_PREFIX : FG_PER_SOURCE;
	if (pol->per == FG_PER_PREFIX) {
		if (!o->fresh)
			return 0;
		snprintf(err, errlen, "new-sources applies to per source (a per-prefix bucket is "
			 "one per policy)");
		return -EINVAL;
	}
	return fg_parse_new_sources(o->fresh ? o->fresh : FG_NEW_SOURCES_DEFAULT,
				    &pol->new_interval_ns, &pol->new_burst, err, errlen);
}

int fg_policy_line_parse(const char *line, size_t len, struct fg_policy_want *out, char *err,
			 size_t errlen)
{
	char buf[FG_POLICY_LINE_MAX + 1], *w[MAX_WORDS];
	struct line_opts o = {};
	int n;

	if (check_bytes(line, &len, err, errlen))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = 0;
	n = words(buf, w);
	if (!n)
		return 0;
	memset(&out->pol, 0, sizeof(out->pol));
	if (fg_parse_prefix(w[0], &out->key, err, errlen))
		return -EINVAL;
	out->pol.prefixlen = out->key.prefixlen;
	if (n == 1) {
		snprintf(err, errlen, "%.60s: expected allow, deny or a RATE after the prefix", w[0]);
		return -EINVAL;
	}
	if (!strcmp(w[1], "allow") || !strcmp(w[1], "deny")) {
		out->pol.action = w[1][0] == 'a' ? FG_ACT_ALLOW : FG_ACT_DENY;
		if (n == 2)
			return 1;
		snprintf(err, errlen, "unexpected '%.40s': %s takes no options", w[2], w[1]);
		return -EINVAL;
	}
	if (w[1][0] < '0' || w[1][0] > '9') {
		snprintf(err, errlen, "invalid action '%.40s': expected allow, deny or a RATE "
			 "(200/s, 10k/s, 30/m)", w[1]);
		return -EINVAL;
	}
	if (n == MAX_WORDS) {
		snprintf(err, errlen, "unexpected '%.40s': too many words", w[MAX_WORDS - 1]);
		return -EINVAL;
	}
	if (options(w, n, &o, err, errlen) || limit(w[1], &o, &out->pol, err, errlen))
		return -EINVAL;
	return 1;
}

/* The next line of f into buf (no newline): its length, -1 at the end of f,
 * or FG_POLICY_LINE_MAX + 2 when longer (the rest of it left unread). */
static long next_line(FILE *f, char *buf)
{
	long len = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		/* One more for a CR of a CRLF ending, one more to know it is long. */
		if (len == FG_POLICY_LINE_MAX + 2)
			return len;
		buf[len++] = (char)c;
	}
	return c == EOF && len == 0 ? -1 : len;
}

struct reading {
	struct fg_policy_want *v;
	int n, size;
};

static int push(struct reading *r, const struct fg_policy_want *w)
{
	struct fg_policy_want *grown;

	if (r->n == r->size) {
		r->size = r->size ? 2 * r->size : 1024;
		grown = realloc(r->v, r->size * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		r->v = grown;
	}
	r->v[r->n++] = *w;
	return 0;
}

static int read_lines(FILE *f, const char *name, __u32 cap, struct reading *r, char *err,
		      size_t errlen)
{
	char buf[FG_POLICY_LINE_MAX + 2], msg[FG_ERR_LEN];
	struct fg_policy_want w;
	long len;
	int ret;

	for (int line = 1; (len = next_line(f, buf)) >= 0; line++) {
		ret = fg_policy_line_parse(buf, len, &w, msg, sizeof(msg));
		if (ret < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, line, msg);
			return ret;
		}
		if (!ret)
			continue;
		if ((__u32)r->n == cap) {
			snprintf(err, errlen, "%s:%d: more than %u policies, the policy map holds "
				 "at most %u", name, line, cap, cap);
			return -E2BIG;
		}
		w.line = line;
		if (push(r, &w)) {
			snprintf(err, errlen, "%s: out of memory", name);
			return -ENOMEM;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -EIO;
	}
	return 0;
}

static int by_key_then_line(const void *x, const void *y)
{
	const struct fg_policy_want *a = x, *b = y;
	int c = memcmp(&a->key, &b->key, sizeof(a->key));

	return c ? c : a->line - b->line;
}

static int same_key(const struct fg_policy_want *a, const struct fg_policy_want *b)
{
	return !memcmp(&a->key, &b->key, sizeof(a->key));
}

/* A prefix twice: the first repeat in file order, named with its first line. */
static int check_repeats(const char *name, const struct reading *r, char *err, size_t errlen)
{
	struct fg_policy_want *s = malloc((r->n + 1) * sizeof(*s));
	const struct fg_policy_want *rep = NULL, *first = NULL;
	char buf[64];

	if (!s) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (r->n) {
		memcpy(s, r->v, r->n * sizeof(*s));
		qsort(s, r->n, sizeof(*s), by_key_then_line);
	}
	/* Sorted by key, then line: a group's first is its earliest line. */
	for (int i = 1, g = 0; i < r->n; i++) {
		if (!same_key(&s[g], &s[i])) {
			g = i;
			continue;
		}
		if (i == g + 1 && (!rep || s[i].line < rep->line))
			rep = &s[i], first = &s[g];
	}
	if (rep) {
		fg_format_prefix(rep->key.addr, rep->key.prefixlen, buf, sizeof(buf));
		snprintf(err, errlen, "%s:%d: %s: the same prefix as line %d", name, rep->line,
			 buf, first->line);
	}
	free(s);
	return rep ? -EINVAL : 0;
}

int fg_policy_file_read(FILE *f, const char *name, __u32 cap, struct fg_policy_want **out,
			int *n, char *err, size_t errlen)
{
	struct reading r = {};
	int ret = read_lines(f, name, cap, &r, err, errlen);

	if (!ret)
		ret = check_repeats(name, &r, err, errlen);
	if (ret) {
		free(r.v);
		return ret;
	}
	*out = r.v;
	*n = r.n;
	return 0;
}

/* Does buf read back as interval_ns (and, when burst is not 0, as a
 * new-source budget of that burst: one second of the rate as typed)? */
static int reads_back(const char *buf, __u64 interval_ns, __u32 burst)
{
	char msg[FG_ERR_LEN];
	struct fg_rate r;

	return !fg_parse_rate(buf, &r, msg, sizeof(msg)) && r.interval_ns == interval_ns &&
	       (!burst || fg_default_burst(&r) == burst);
}

/* A RATE word that reads back exactly: the natural spelling, the budget's
 * burst per second, or a whole number per s, m or h. */
static int rate_word(__u64 interval_ns, __u32 burst, char *buf, size_t len)
{
	static const __u64 units[] = { 1000000000ULL, 60000000000ULL, 3600000000000ULL };
	static const char names[] = "smh";

	fg_format_rate(interval_ns, buf, len);
	if (reads_back(buf, interval_ns, burst))
		return 0;
	snprintf(buf, len, "%u/s", burst);
	if (burst && reads_back(buf, interval_ns, burst))
		return 0;
	for (int i = 0; i < 3; i++) {
		snprintf(buf, len, "%llu/%c",
			 (unsigned long long)((units[i] + interval_ns / 2) / interval_ns), names[i]);
		if (reads_back(buf, interval_ns, burst))
			return 0;
	}
	return -ERANGE;
}

int fg_policy_line_format(const struct fg_lpm_key *key, const struct fg_policy *pol, char *buf,
			  size_t len)
{
	char pfx[64], rate[48], fresh[48] = "off";

	fg_format_prefix(key->addr, key->prefixlen, pfx, sizeof(pfx));
	if (pol->action != FG_ACT_LIMIT) {
		snprintf(buf, len, "%s %s", pfx, pol->action == FG_ACT_ALLOW ? "allow" : "deny");
		return 0;
	}
	if (!pol->interval_ns || rate_word(pol->interval_ns, 0, rate, sizeof(rate)) ||
	    (pol->new_interval_ns &&
	     rate_word(pol->new_interval_ns, pol->new_burst, fresh, sizeof(fresh))))
		return -ERANGE;
	if (pol->per == FG_PER_PREFIX)
		snprintf(buf, len, "%s %s burst %u per prefix", pfx, rate, pol->burst);
	else
		snprintf(buf, len, "%s %s burst %u per source new-sources %s", pfx, rate,
			 pol->burst, fresh);
	return 0;
}
