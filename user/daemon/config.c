// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <ini.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "parse.h"
#include "upstream_kern_user.h"

#define NS_PER_MS 1000000ULL

/* Every line read, kept so values can be interpreted after [defaults]. */
struct entry {
	char section[96], key[64], value[256];
	int line, section_line;
};

struct reader {
	FILE *f;
	int line, section_line;
	struct entry *e;
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
	struct entry *e;

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

int fg_parse_duration(const char *s, __u64 *ns)
{
	unsigned long long v;
	char *end;
	__u64 unit;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		unit = NS_PER_MS;
	else if (!strcmp(end, "s"))
		unit = 1000 * NS_PER_MS;
	else if (!strcmp(end, "m"))
		unit = 60000 * NS_PER_MS;
	else if (!strcmp(end, "h"))
		unit = 3600000 * NS_PER_MS;
	else
		return -EINVAL;
	/* Compare before multiplying: 18446744074s must not wrap to 0.29 s. */
	if (v > FG_DURATION_MAX_NS / unit)
		return -ERANGE;
	*ns = v * unit;
	return 0;
}

int fg_parse_percent(const char *s, __u32 *pct)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if ((*end && strcmp(end, "%")) || v > 100)
		return -EINVAL;
	*pct = v;
	return 0;
}

static void upstream_defaults(struct fg_upstream_cfg *u)
{
	memset(u, 0, sizeof(*u));
	u->proto = IPPROTO_TCP;
	u->reject = FG_REJECT_RESET;
	u->reset_rate = FG_RESET_RATE_DEFAULT;
	snprintf(u->group, sizeof(u->group), "default");
	u->group_max_open_pct = 50;
	u->probe = FG_PROBE_TCP;
	snprintf(u->probe_path, sizeof(u->probe_path), "/");
	u->interval_ns = 1000 * NS_PER_MS;
	u->timeout_ns = 500 * NS_PER_MS;
	u->jitter_pct = 10;
	u->rise = 2;
	u->fall = 3;
	u->expect_lo = 200;
	u->expect_hi = 399;
	u->failure_classes = FG_FAIL_5XX | FG_FAIL_429 | FG_FAIL_REFUSED | FG_FAIL_TIMEOUT |
			     FG_FAIL_PROBE;
	u->success_classes = FG_OK_2XX | FG_OK_3XX | FG_OK_SYNACK | FG_OK_PROBE;
	u->connect_timeout_ns = 2000 * NS_PER_MS;
	fg_brk_params_default(&u->brk);
}

static void daemon_defaults(struct fg_daemon_cfg *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->pin_dir, sizeof(d->pin_dir), "%s", FG_DEFAULT_PIN_DIR);
	d->tick_ns = 100 * NS_PER_MS;
	snprintf(d->textfile_dir, sizeof(d->textfile_dir), "/var/lib/prometheus/node-exporter");
	d->textfile_interval_ns = 5000 * NS_PER_MS;
	snprintf(d->control_socket, sizeof(d->control_socket), "%s", FG_DEFAULT_SOCKET);
	d->stale_ns = FG_STALE_DEFAULT_NS;
	d->probe_mark = FG_PROBE_MARK_DEFAULT;
}

struct ctx {
	const char *path;
	char *err;
	size_t errlen;
};

static int bad(struct ctx *c, const struct entry *e, const char *fmt, const char *detail)
{
	int n = snprintf(c->err, c->errlen, "%s:%d: [%s] %s: ", c->path, e->line, e->section,
			 e->key);

	if (n >= 0 && (size_t)n < c->errlen)
		snprintf(c->err + n, c->errlen - n, fmt, detail ? detail : e->value);
	return -EINVAL;
}

static int pos_duration(struct ctx *c, const struct entry *e, __u64 *out)
{
	int ret = fg_parse_duration(e->value, out);

	if (ret == -ERANGE)
		return bad(c, e, "invalid duration '%s': at most 366 days", NULL);
	if (ret || *out == 0)
		return bad(c, e, "invalid duration '%s': expected a positive N with ms, s, m or h (e.g. 500ms, 5s)", NULL);
	return 0;
}

static int u32_in(struct ctx *c, const struct entry *e, __u32 min, __u32 max, __u32 *out)
{
	char msg[FG_ERR_LEN];

	if (fg_parse_u32(e->value, e->key, min, max, out, msg, sizeof(msg)))
		return bad(c, e, "%s", msg);
	return 0;
}

static int pct_in(struct ctx *c, const struct entry *e, __u32 min, __u32 *out)
{
	if (fg_parse_percent(e->value, out) || *out < min) {
		char msg[64];

		snprintf(msg, sizeof(msg), "invalid percentage '%.20s': expected %u..100%%", e->value,
			 min);
		return bad(c, e, "%s", msg);
	}
	return 0;
}

struct class_name {
	const char *name;
	__u32 bit;
};

static const struct class_name failure_names[] = {
	{ "5xx", FG_FAIL_5XX },		{ "429", FG_FAIL_429 },	    { "refused", FG_FAIL_REFUSED },
	{ "timeout", FG_FAIL_TIMEOUT }, { "probe", FG_FAIL_PROBE }, {},
};
static const struct class_name success_names[] = {
	{ "2xx", FG_OK_2XX },	      { "3xx", FG_OK_3XX }, { "syn_ack", FG_OK_SYNACK },
	{ "probe", FG_OK_PROBE }, {},
};

/* A comma list of class names into bits; at least one. */
static int classes(struct ctx *c, const struct entry *e, const struct class_name *names, __u32 *out)
{
	char buf[256], all[128] = "", *tok, *save;
	const struct class_name *n;

	for (n = names; n->name; n++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", n == names ? "" : ", ",
			 n->name);
	*out = 0;
	snprintf(buf, sizeof(buf), "%s", e->value);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		for (n = names; n->name && strcmp(n->name, tok); n++)
			;
		if (!n->name) {
			char msg[FG_ERR_LEN];

			snprintf(msg, sizeof(msg), "unknown class '%.32s': expected %s", tok, all);
			return bad(c, e, "%s", msg);
		}
		*out |= n->bit;
	}
	if (!*out)
		return bad(c, e, "empty list: name at least one of %s", all);
	return 0;
}

/* One upstream key (also valid in [defaults]). */
static int upstream_key(struct ctx *c, const struct entry *e, struct fg_upstream_cfg *u, int dflt)
{
	const char *k = e->key, *v = e->value;
	char msg[FG_ERR_LEN];

	if (!strcmp(k, "address")) {
		if (dflt)
			return bad(c, e, "not allowed in [defaults]: each upstream has its own", "");
		if (fg_parse_endpoint(v, u->addr, &u->port, msg, sizeof(msg)))
			return bad(c, e, "%s", msg);
	} else if (!strcmp(k, "proto")) {
		if (!strcmp(v, "tcp"))
			u->proto = IPPROTO_TCP;
		else if (!strcmp(v, "udp"))
			u->proto = IPPROTO_UDP;
		else
			return bad(c, e, "invalid '%s': expected tcp or udp", NULL);
	} else if (!strcmp(k, "reject")) {
		if (!strcmp(v, "drop"))
			u->reject = FG_REJECT_DROP;
		else if (!strcmp(v, "reset"))
			u->reject = FG_REJECT_RESET;
		else
			return bad(c, e, "invalid '%s': expected drop or reset", NULL);
	} else if (!strcmp(k, "reset_rate")) {
		/* Bounded both ways: 0 would silently turn reset into drop (say
		 * reject = drop), and past the max the bucket is no bound. */
		return u32_in(c, e, 1, FG_RESET_RATE_MAX, &u->reset_rate);
	} else if (!strcmp(k, "group")) {
		if (fg_parse_name(v, msg, sizeof(msg)))
			return bad(c, e, "%s", msg);
		snprintf(u->group, sizeof(u->group), "%s", v);
	} else if (!strcmp(k, "group_max_open")) {
		return pct_in(c, e, 0, &u->group_max_open_pct);
	} else if (!strcmp(k, "probe")) {
		if (!strcmp(v, "none"))
			u->probe = FG_PROBE_NONE;
		else if (!strcmp(v, "tcp"))
			u->probe = FG_PROBE_TCP;
		else if (!strcmp(v, "http"))
			u->probe = FG_PROBE_HTTP;
		else
			return bad(c, e, "invalid '%s': expected none, tcp or http", NULL);
	} else if (!strcmp(k, "probe_path")) {
		if (v[0] != '/' || strlen(v) >= sizeof(u->probe_path) || strpbrk(v, " \t\r\n"))
			return bad(c, e, "invalid path '%s': expected /path without spaces", NULL);
		snprintf(u->probe_path, sizeof(u->probe_path), "%s", v);
	} else if (!strcmp(k, "interval")) {
		return pos_duration(c, e, &u->interval_ns);
	} else if (!strcmp(k, "timeout")) {
		return pos_duration(c, e, &u->timeout_ns);
	} else if (!strcmp(k, "jitter")) {
		return pct_in(c, e, 0, &u->jitter_pct);
	} else if (!strcmp(k, "rise")) {
		return u32_in(c, e, 1, 100, &u->rise);
	} else if (!strcmp(k, "fall")) {
		return u32_in(c, e, 1, 100, &u->fall);
	} else if (!strcmp(k, "expect_status")) {
		unsigned lo, hi;
		int n = 0;

		if (sscanf(v, "%3u-%3u%n", &lo, &hi, &n) == 2 && !v[n]) {
		} else if (sscanf(v, "%3u%n", &lo, &n) == 1 && !v[n]) {
			hi = lo;
		} else {
			return bad(c, e, "invalid '%s': expected a status or range, e.g. 200-399", NULL);
		}
		if (lo < 100 || hi > 599 || lo > hi)
			return bad(c, e, "invalid '%s': statuses are 100..599, low-high", NULL);
		u->expect_lo = lo;
		u->expect_hi = hi;
	} else if (!strcmp(k, "failure_classes")) {
		return classes(c, e, failure_names, &u->failure_classes);
	} else if (!strcmp(k, "success_classes")) {
		return classes(c, e, success_names, &u->success_classes);
	} else if (!strcmp(k, "connect_timeout")) {
		return pos_duration(c, e, &u->connect_timeout_ns);
	} else if (!strcmp(k, "consecutive_failures")) {
		return u32_in(c, e, 0, 1000000, &u->brk.consecutive_failures);
	} else if (!strcmp(k, "failure_rate")) {
		return pct_in(c, e, 0, &u->brk.failure_rate_pct);
	} else if (!strcmp(k, "window")) {
		return pos_duration(c, e, &u->brk.window_ns);
	} else if (!strcmp(k, "min_outcomes")) {
		return u32_in(c, e, 1, 1000000, &u->brk.min_outcomes);
	} else if (!strcmp(k, "open_timeout")) {
		return pos_duration(c, e, &u->brk.open_timeout_ns);
	} else if (!strcmp(k, "backoff_factor")) {
		return u32_in(c, e, 1, 100, &u->brk.backoff_factor);
	} else if (!strcmp(k, "open_timeout_max")) {
		return pos_duration(c, e, &u->brk.open_timeout_max_ns);
	} else if (!strcmp(k, "open_jitter")) {
		return pct_in(c, e, 0, &u->brk.jitter_pct);
	} else if (!strcmp(k, "half_open_permits")) {
		return u32_in(c, e, 1, 1000000, &u->brk.half_open_permits);
	} else if (!strcmp(k, "successes_to_close")) {
		return u32_in(c, e, 1, 1000000, &u->brk.successes_to_close);
	} else {
		return bad(c, e, "unknown key%s", "");
	}
	return 0;
}

static int daemon_key(struct ctx *c, const struct entry *e, struct fg_daemon_cfg *d)
{
	const char *k = e->key, *v = e->value;

	if (!strcmp(k, "pin_dir") || !strcmp(k, "textfile_dir") || !strcmp(k, "control_socket")) {
		char *dst = !strcmp(k, "pin_dir") ? d->pin_dir
			    : !strcmp(k, "textfile_dir") ? d->textfile_dir : d->control_socket;

		if (v[0] != '/' || strlen(v) >= 200)
			return bad(c, e, "invalid path '%s': expected an absolute path", NULL);
		snprintf(dst, 256, "%s", v);
	} else if (!strcmp(k, "interfaces")) {
		char buf[256], *tok, *save;

		snprintf(buf, sizeof(buf), "%s", v);
		d->n_ifaces = 0;
		for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (d->n_ifaces == FG_CFG_MAX_IFACES)
				return bad(c, e, "too many interfaces (at most 8)%s", "");
			if (strlen(tok) >= IF_NAMESIZE)
				return bad(c, e, "invalid interface name '%s'", tok);
			snprintf(d->ifaces[d->n_ifaces++], IF_NAMESIZE, "%s", tok);
		}
	} else if (!strcmp(k, "tick")) {
		return pos_duration(c, e, &d->tick_ns);
	} else if (!strcmp(k, "textfile_interval")) {
		return pos_duration(c, e, &d->textfile_interval_ns);
	} else if (!strcmp(k, "stale_limit")) {
		return pos_duration(c, e, &d->stale_ns);
	} else if (!strcmp(k, "probe_mark")) {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(v, &end, 0);
		if (errno || *end || !*v || m == 0 || m > 0xffffffffUL)
			return bad(c, e, "invalid mark '%s': expected a non-zero 32-bit number (e.g. 0x464c4447)", NULL);
		d->probe_mark = m;
	} else if (!strcmp(k, "detach_on_exit")) {
		if (!strcmp(v, "yes") || !strcmp(v, "true"))
			d->detach_on_exit = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false"))
			d->detach_on_exit = 0;
		else
			return bad(c, e, "invalid '%s': expected yes or no", NULL);
	} else {
		return bad(c, e, "unknown key%s", "");
	}
	return 0;
}

static int policy_key(struct ctx *c, const struct entry *e, struct fg_policy_cfg *p,
		      int *have_rate)
{
	const char *k = e->key, *v = e->value;
	char msg[FG_ERR_LEN];
	struct fg_rate r;

	if (!strcmp(k, "action")) {
		if (!strcmp(v, "limit"))
			p->pol.action = FG_ACT_LIMIT;
		else if (!strcmp(v, "allow"))
			p->pol.action = FG_ACT_ALLOW;
		else if (!strcmp(v, "deny"))
			p->pol.action = FG_ACT_DENY;
		else
			return bad(c, e, "invalid '%s': expected limit, allow or deny", NULL);
	} else if (!strcmp(k, "rate")) {
		if (fg_parse_rate(v, &r, msg, sizeof(msg)))
			return bad(c, e, "%s", msg);
		p->pol.interval_ns = r.interval_ns;
		if (!p->pol.burst)
			p->pol.burst = fg_default_burst(&r);
		*have_rate = 1;
	} else if (!strcmp(k, "burst")) {
		return u32_in(c, e, 1, FG_BURST_MAX, &p->pol.burst);
	} else if (!strcmp(k, "new_sources")) {
		if (fg_parse_new_sources(v, &p->pol.new_interval_ns, &p->pol.new_burst, msg,
					 sizeof(msg)))
			return bad(c, e, "%s", msg);
		p->new_set = 1;
	} else if (!strcmp(k, "per")) {
		if (!strcmp(v, "source"))
			p->pol.per = FG_PER_SOURCE;
		else if (!strcmp(v, "prefix"))
			p->pol.per = FG_PER_PREFIX;
		else
			return bad(c, e, "invalid '%s': expected source or prefix", NULL);
	} else {
		return bad(c, e, "unknown key%s", "");
	}
	return 0;
}

/* A [policy] section as a whole: rate given, bucket representable, budget. */
static int policy_check(struct ctx *c, struct fg_policy_cfg *p)
{
	char msg[FG_ERR_LEN], rate[32];
	int n;

	if (p->pol.action != FG_ACT_LIMIT)
		return 0;
	n = snprintf(c->err, c->errlen, "%s:%d: [policy %s]: ", c->path, p->line, p->prefix);
	if (n < 0 || (size_t)n >= c->errlen)
		n = 0;
	if (!p->pol.interval_ns) {
		snprintf(c->err + n, c->errlen - n, "action limit needs 'rate'");
		return -EINVAL;
	}
	fg_format_rate(p->pol.interval_ns, rate, sizeof(rate));
	if (fg_check_bucket("burst", rate, p->pol.interval_ns, p->pol.burst, msg, sizeof(msg))) {
		snprintf(c->err + n, c->errlen - n, "%s", msg);
		return -EINVAL;
	}
	if (p->pol.per == FG_PER_PREFIX && p->new_set && p->pol.new_interval_ns) {
		snprintf(c->err + n, c->errlen - n,
			 "new_sources applies to per = source (a per-prefix bucket is one per policy)");
		return -EINVAL;
	}
	if (p->pol.per == FG_PER_PREFIX) {
		p->pol.new_interval_ns = 0;
		p->pol.new_burst = 0;
	} else if (!p->new_set) {
		fg_parse_new_sources(FG_NEW_SOURCES_DEFAULT, &p->pol.new_interval_ns,
				     &p->pol.new_burst, msg, sizeof(msg));
	}
	c->err[0] = 0;
	return 0;
}

static int section_is(const char *section, const char *kind, const char **arg)
{
	size_t n = strlen(kind);

	if (strncmp(section, kind, n) || section[n] != ' ')
		return 0;
	*arg = section + n + 1;
	while (**arg == ' ')
		(*arg)++;
	return 1;
}

/* Order entries by section, then by where that section starts, then key. */
static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a, *y = *(const struct entry *const *)b;
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
static int check_repeats(struct ctx *c, const struct reader *r)
{
	const struct entry **v = calloc(r->n + 1, sizeof(*v));
	int ret = 0;

	if (!v)
		return -ENOMEM;
	for (int i = 0; i < r->n; i++)
		v[i] = &r->e[i];
	qsort(v, r->n, sizeof(*v), entry_cmp);
	for (int i = 1; i < r->n && !ret; i++) {
		const struct entry *a = v[i - 1], *e = v[i];

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

static int section_again(struct ctx *c, const struct entry *e, const char *kind,
			 const char *first, int first_line)
{
	snprintf(c->err, c->errlen, "%s:%d: [%s]: the same %s as [%s %s] on line %d",
		 c->path, e->section_line, e->section, kind, kind, first, first_line);
	return -EINVAL;
}

/*
 * The maps hold FG_UPSTREAMS_MAX upstreams and FG_POLICY_MAX policies: a
 * config with more could never apply, so it is refused here, where
 * --check-config sees it, and before the per-section checks (some compare
 * every pair: a file of 100,000 policies is refused at once, not in minutes).
 * A section is its header line: entries of one section share it.
 */
static int check_capacity(struct ctx *c, const struct reader *r)
{
	int n_ups = 0, n_pols = 0, last = -1;
	const char *arg;

	for (int i = 0; i < r->n; i++) {
		const struct entry *e = &r->e[i];

		if (e->section_line == last)
			continue;
		last = e->section_line;
		n_ups += section_is(e->section, "upstream", &arg);
		n_pols += section_is(e->section, "policy", &arg);
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

static int interpret(struct ctx *c, struct reader *r, struct fg_cfg *out)
{
	struct fg_upstream_cfg dflt;
	const char *arg;
	char msg[FG_ERR_LEN];
	int err;

	if ((err = check_repeats(c, r)) || (err = check_capacity(c, r)))
		return err;
	upstream_defaults(&dflt);
	daemon_defaults(&out->daemon);
	/* [defaults] first, wherever it is in the file. */
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->e[i].section, "defaults") &&
		    (err = upstream_key(c, &r->e[i], &dflt, 1)))
			return err;

	out->ups = calloc(r->n + 1, sizeof(*out->ups));
	out->pols = calloc(r->n + 1, sizeof(*out->pols));
	if (!out->ups || !out->pols)
		return -ENOMEM;

	for (int i = 0; i < r->n; i++) {
		struct entry *e = &r->e[i];

		if (!strcmp(e->section, "defaults"))
			continue;
		if (!strcmp(e->section, "daemon")) {
			if ((err = daemon_key(c, e, &out->daemon)))
				return err;
		} else if (section_is(e->section, "upstream", &arg)) {
			struct fg_upstream_cfg *u = NULL;

			for (int j = 0; j < out->n_ups; j++)
				if (!strcmp(out->ups[j].name, arg))
					u = &out->ups[j];
			if (u && u->line != e->section_line)
				return section_again(c, e, "upstream", u->name, u->line);
			if (!u) {
				if (fg_parse_name(arg, msg, sizeof(msg)))
					return bad(c, e, "%s", msg);
				u = &out->ups[out->n_ups++];
				*u = dflt;
				snprintf(u->name, sizeof(u->name), "%s", arg);
				u->line = e->section_line;
			}
			if ((err = upstream_key(c, e, u, 0)))
				return err;
		} else if (section_is(e->section, "policy", &arg)) {
			struct fg_policy_cfg *p = NULL;
			int have_rate = 0;

			struct fg_lpm_key key;

			if (fg_parse_prefix(arg, &key, msg, sizeof(msg)))
				return bad(c, e, "%s", msg);
			/* By network, not spelling: 2001:db8::/32 is 2001:0db8:0::/32. */
			for (int j = 0; j < out->n_pols; j++)
				if (!memcmp(&out->pols[j].key, &key, sizeof(key)))
					p = &out->pols[j];
			if (p && p->line != e->section_line)
				return section_again(c, e, "policy", p->prefix, p->line);
			if (!p) {
				p = &out->pols[out->n_pols++];
				p->key = key;
				snprintf(p->prefix, sizeof(p->prefix), "%s", arg);
				p->line = e->section_line;
				p->pol.prefixlen = p->key.prefixlen;
			}
			have_rate = p->pol.interval_ns != 0;
			if ((err = policy_key(c, e, p, &have_rate)))
				return err;
		} else {
			return bad(c, e, "unknown section: expected [daemon], [defaults], "
				   "[upstream NAME] or [policy PREFIX]%s", "");
		}
	}

	/* Whole-file checks. */
	if (out->daemon.stale_ns < 2 * out->daemon.tick_ns) {
		/* The datapath would see its own controller as dead between two
		 * heartbeats and ignore every breaker it computed. */
		snprintf(c->err, c->errlen, "%s: [daemon]: stale_limit must be at least two ticks "
			 "(tick %llu ms, stale_limit %llu ms)", c->path,
			 (unsigned long long)(out->daemon.tick_ns / NS_PER_MS),
			 (unsigned long long)(out->daemon.stale_ns / NS_PER_MS));
		return -EINVAL;
	}
	for (int i = 0; i < out->n_ups; i++) {
		struct fg_upstream_cfg *u = &out->ups[i];

		if (!u->port) {
			snprintf(c->err, c->errlen, "%s:%d: [upstream %s]: missing key 'address'",
				 c->path, u->line, u->name);
			return -EINVAL;
		}
		if (u->timeout_ns >= u->interval_ns) {
			snprintf(c->err, c->errlen, "%s:%d: [upstream %s]: timeout must be shorter than interval",
				 c->path, u->line, u->name);
			return -EINVAL;
		}
		if (u->brk.open_timeout_max_ns < u->brk.open_timeout_ns) {
			snprintf(c->err, c->errlen, "%s:%d: [upstream %s]: open_timeout_max is below open_timeout",
				 c->path, u->line, u->name);
			return -EINVAL;
		}
		if (!u->brk.consecutive_failures && !u->brk.failure_rate_pct) {
			snprintf(c->err, c->errlen, "%s:%d: [upstream %s]: consecutive_failures and failure_rate are both 0: the breaker could never open",
				 c->path, u->line, u->name);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++) {
			if (!memcmp(out->ups[j].addr, u->addr, 16) && out->ups[j].port == u->port &&
			    out->ups[j].proto == u->proto) {
				snprintf(c->err, c->errlen, "%s:%d: [upstream %s]: same address as upstream '%s'",
					 c->path, u->line, u->name, out->ups[j].name);
				return -EINVAL;
			}
		}
	}
	for (int i = 0; i < out->n_pols; i++) {
		struct fg_policy_cfg *p = &out->pols[i];

		if ((err = policy_check(c, p)))
			return err;
	}
	return 0;
}

/* Parse and check everything f holds; name stands for it in errors. */
static int load_stream(FILE *f, const char *name, struct fg_cfg *out, char *err, size_t errlen)
{
	struct reader r = { .f = f };
	struct ctx c = { .path = name, .err = err, .errlen = errlen };
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
		ret = interpret(&c, &r, out);
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

void fg_cfg_free(struct fg_cfg *c)
{
	free(c->ups);
	free(c->pols);
	c->ups = NULL;
	c->pols = NULL;
	c->n_ups = c->n_pols = 0;
}
