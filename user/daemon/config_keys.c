// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* What each key of floodgated's config means: its defaults, its parser and
 * its bounds, one error line naming file, line, section and key. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_entries.h"
#include "names.h"
#include "parse.h"
#include "upstream_kern_user.h"

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

void cfg_upstream_defaults(struct fg_upstream_cfg *u)
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

void cfg_daemon_defaults(struct fg_daemon_cfg *d)
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

int cfg_bad(struct cfg_ctx *c, const struct cfg_entry *e, const char *fmt, const char *detail)
{
	int n = snprintf(c->err, c->errlen, "%s:%d: [%s] %s: ", c->path, e->line, e->section,
			 e->key);

	if (n >= 0 && (size_t)n < c->errlen)
		snprintf(c->err + n, c->errlen - n, fmt, detail ? detail : e->value);
	return -EINVAL;
}

int cfg_pos_duration(struct cfg_ctx *c, const struct cfg_entry *e, __u64 *out)
{
	int ret = fg_parse_duration(e->value, out);

	if (ret == -ERANGE)
		return cfg_bad(c, e, "invalid duration '%s': at most 366 days", NULL);
	if (ret || *out == 0)
		return cfg_bad(c, e, "invalid duration '%s': expected a positive N with ms, s, m or h (e.g. 500ms, 5s)", NULL);
	return 0;
}

int cfg_u32_in(struct cfg_ctx *c, const struct cfg_entry *e, __u32 min, __u32 max, __u32 *out)
{
	char msg[FG_ERR_LEN];

	if (fg_parse_u32(e->value, e->key, min, max, out, msg, sizeof(msg)))
		return cfg_bad(c, e, "%s", msg);
	return 0;
}

static int pct_in(struct cfg_ctx *c, const struct cfg_entry *e, __u32 min, __u32 *out)
{
	if (fg_parse_percent(e->value, out) || *out < min) {
		char msg[64];

		snprintf(msg, sizeof(msg), "invalid percentage '%.20s': expected %u..100%%", e->value,
			 min);
		return cfg_bad(c, e, "%s", msg);
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
static int classes(struct cfg_ctx *c, const struct cfg_entry *e, const struct class_name *names, __u32 *out)
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
			return cfg_bad(c, e, "%s", msg);
		}
		*out |= n->bit;
	}
	if (!*out)
		return cfg_bad(c, e, "empty list: name at least one of %s", all);
	return 0;
}

/* One of names into *out (an enum's value: its index), else the error
 * "expected A, B or C". */
static int one_of(struct cfg_ctx *c, const struct cfg_entry *e, const char *const *names, int n,
		  int *out)
{
	char all[FG_ERR_LEN], msg[FG_ERR_LEN + 32];

	*out = fg_name_value(names, n, e->value);
	if (*out >= 0)
		return 0;
	fg_names_join(names, n, ", ", " or ", all, sizeof(all));
	snprintf(msg, sizeof(msg), "invalid '%%s': expected %s", all);
	return cfg_bad(c, e, msg, NULL);
}

static int key_address(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_upstream_cfg *u,
		       int dflt)
{
	char msg[FG_ERR_LEN];

	if (dflt)
		return cfg_bad(c, e, "not allowed in [defaults]: each upstream has its own", "");
	if (fg_parse_endpoint(e->value, u->addr, &u->port, msg, sizeof(msg)))
		return cfg_bad(c, e, "%s", msg);
	return 0;
}

static int key_proto(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_upstream_cfg *u,
		     int dflt)
{
	static const char *const names[] = { "tcp", "udp" };
	int i, ret = one_of(c, e, names, 2, &i);

	if (!ret)
		u->proto = i ? IPPROTO_UDP : IPPROTO_TCP;
	return ret;
}

static int key_reject(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_upstream_cfg *u,
		      int dflt)
{
	int i, ret = one_of(c, e, fg_reject_names, FG_REJECT_MAX, &i);

	if (!ret)
		u->reject = i;
	return ret;
}

static int key_probe(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_upstream_cfg *u,
		     int dflt)
{
	static const char *const names[] = {
		[FG_PROBE_NONE] = "none", [FG_PROBE_TCP] = "tcp", [FG_PROBE_HTTP] = "http",
	};
	int i, ret = one_of(c, e, names, 3, &i);

	if (!ret)
		u->probe = i;
	return ret;
}

static int key_group(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_upstream_cfg *u,
		     int dflt)
{
	char msg[FG_ERR_LEN];

	if (fg_parse_name(e->value, msg, sizeof(msg)))
		return cfg_bad(c, e, "%s", msg);
	snprintf(u->group, sizeof(u->group), "%.*s", (int)sizeof(u->group) - 1, e->value);
	return 0;
}

static int key_probe_path(struct cfg_ctx *c, const struct cfg_entry *e,
			  struct fg_upstream_cfg *u, int dflt)
{
	const char *v = e->value;

	if (v[0] != '/' || strlen(v) >= sizeof(u->probe_path) || strpbrk(v, " \t\r\n"))
		return cfg_bad(c, e, "invalid path '%s': expected /path without spaces", NULL);
	snprintf(u->probe_path, sizeof(u->probe_path), "%s", v);
	return 0;
}

static int key_expect_status(struct cfg_ctx *c, const struct cfg_entry *e,
			     struct fg_upstream_cfg *u, int dflt)
{
	const char *v = e->value;
	unsigned lo, hi;
	int n = 0;

	if (sscanf(v, "%3u-%3u%n", &lo, &hi, &n) == 2 && !v[n]) {
	} else if (sscanf(v, "%3u%n", &lo, &n) == 1 && !v[n]) {
		hi = lo;
	} else {
		return cfg_bad(c, e, "invalid '%s': expected a status or range, e.g. 200-399", NULL);
	}
	if (lo < 100 || hi > 599 || lo > hi)
		return cfg_bad(c, e, "invalid '%s': statuses are 100..599, low-high", NULL);
	u->expect_lo = lo;
	u->expect_hi = hi;
	return 0;
}

static int key_failure_classes(struct cfg_ctx *c, const struct cfg_entry *e,
			       struct fg_upstream_cfg *u, int dflt)
{
	return classes(c, e, failure_names, &u->failure_classes);
}

static int key_success_classes(struct cfg_ctx *c, const struct cfg_entry *e,
			       struct fg_upstream_cfg *u, int dflt)
{
	return classes(c, e, success_names, &u->success_classes);
}

/*
 * Every key of [upstream NAME] and [defaults]: a number in bounds, a
 * percentage, a positive duration, or a function of its own. The field
 * checks break the build when a key's kind and its field's size disagree.
 */
enum key_kind { KEY_U32, KEY_PCT, KEY_DURATION, KEY_FN };

struct upstream_key {
	const char *name;
	enum key_kind kind;
	size_t off;    /* of the field in struct fg_upstream_cfg */
	__u32 lo, hi;  /* KEY_U32: bounds; KEY_PCT: lowest */
	int (*fn)(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_upstream_cfg *u,
		  int dflt);
};

#define FIELD(f, size)                                                               \
	(offsetof(struct fg_upstream_cfg, f) +                                       \
	 0 * sizeof(char[sizeof(((struct fg_upstream_cfg *)0)->f) == (size) ? 1 : -1]))
#define U32(n, f, lo, hi) { n, KEY_U32, FIELD(f, 4), lo, hi, NULL }
#define PCT(n, f, lo) { n, KEY_PCT, FIELD(f, 4), lo, 100, NULL }
#define DURATION(n, f) { n, KEY_DURATION, FIELD(f, 8), 0, 0, NULL }
#define FN(n, fn) { n, KEY_FN, 0, 0, 0, fn }

static const struct upstream_key upstream_keys[] = {
	FN("address", key_address),
	FN("proto", key_proto),
	FN("reject", key_reject),
	/* Bounded both ways: 0 would silently turn reset into drop (say
	 * reject = drop), and past the max the bucket is no bound. */
	U32("reset_rate", reset_rate, 1, FG_RESET_RATE_MAX),
	FN("group", key_group),
	PCT("group_max_open", group_max_open_pct, 0),
	FN("probe", key_probe),
	FN("probe_path", key_probe_path),
	DURATION("interval", interval_ns),
	DURATION("timeout", timeout_ns),
	PCT("jitter", jitter_pct, 0),
	U32("rise", rise, 1, 100),
	U32("fall", fall, 1, 100),
	FN("expect_status", key_expect_status),
	FN("failure_classes", key_failure_classes),
	FN("success_classes", key_success_classes),
	DURATION("connect_timeout", connect_timeout_ns),
	U32("consecutive_failures", brk.consecutive_failures, 0, 1000000),
	PCT("failure_rate", brk.failure_rate_pct, 0),
	DURATION("window", brk.window_ns),
	U32("min_outcomes", brk.min_outcomes, 1, 1000000),
	DURATION("open_timeout", brk.open_timeout_ns),
	U32("backoff_factor", brk.backoff_factor, 1, 100),
	DURATION("open_timeout_max", brk.open_timeout_max_ns),
	PCT("open_jitter", brk.jitter_pct, 0),
	U32("half_open_permits", brk.half_open_permits, 1, 1000000),
	U32("successes_to_close", brk.successes_to_close, 1, 1000000),
};

const char *fg_cfg_upstream_key_name(size_t i)
{
	return i < sizeof(upstream_keys) / sizeof(upstream_keys[0]) ? upstream_keys[i].name : NULL;
}

int cfg_upstream_key(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_upstream_cfg *u,
		     int dflt)
{
	for (size_t i = 0; i < sizeof(upstream_keys) / sizeof(upstream_keys[0]); i++) {
		const struct upstream_key *k = &upstream_keys[i];
		void *field = (char *)u + k->off;

		if (strcmp(e->key, k->name))
			continue;
		switch (k->kind) {
		case KEY_U32:
			return cfg_u32_in(c, e, k->lo, k->hi, field);
		case KEY_PCT:
			return pct_in(c, e, k->lo, field);
		case KEY_DURATION:
			return cfg_pos_duration(c, e, field);
		case KEY_FN:
			return k->fn(c, e, u, dflt);
		}
	}
	return cfg_bad(c, e, "unknown key%s", "");
}

/* The keys of [daemon] and [policy]: a key not listed is refused before the
 * chains below, and a listed key they do not handle falls to their end (the
 * unit tests load each listed key), so a list and its chain cannot drift. */
const char *const fg_cfg_daemon_keys[] = {
	"pin_dir", "interfaces", "tick", "stale_limit", "probe_mark", "textfile_dir",
	"textfile_interval", "control_socket", "detach_on_exit", "policy_file", NULL,
};
const char *const fg_cfg_policy_keys[] = {
	"action", "rate", "burst", "new_sources", "per", NULL,
};

int cfg_key_listed(const char *const *keys, const char *k)
{
	while (*keys && strcmp(*keys, k))
		keys++;
	return !!*keys;
}

int cfg_daemon_key(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_daemon_cfg *d)
{
	const char *k = e->key, *v = e->value;

	if (!cfg_key_listed(fg_cfg_daemon_keys, k))
		return cfg_bad(c, e, "unknown key%s", "");

	if (!strcmp(k, "pin_dir") || !strcmp(k, "textfile_dir") || !strcmp(k, "control_socket") ||
	    !strcmp(k, "policy_file")) {
		char *dst = !strcmp(k, "pin_dir")	     ? d->pin_dir
			    : !strcmp(k, "textfile_dir") ? d->textfile_dir
			    : !strcmp(k, "policy_file")  ? d->policy_file
							  : d->control_socket;

		d->policy_file_line = !strcmp(k, "policy_file") ? e->line : d->policy_file_line;
		if (v[0] != '/' || strlen(v) >= 200)
			return cfg_bad(c, e, "invalid path '%s': expected an absolute path", NULL);
		snprintf(dst, 256, "%s", v);
	} else if (!strcmp(k, "interfaces")) {
		char buf[256], *tok, *save;

		snprintf(buf, sizeof(buf), "%s", v);
		d->n_ifaces = 0;
		for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (d->n_ifaces == FG_CFG_MAX_IFACES)
				return cfg_bad(c, e, "too many interfaces (at most 8)%s", "");
			if (strlen(tok) >= IF_NAMESIZE)
				return cfg_bad(c, e, "invalid interface name '%s'", tok);
			snprintf(d->ifaces[d->n_ifaces++], IF_NAMESIZE, "%s", tok);
		}
	} else if (!strcmp(k, "tick")) {
		return cfg_pos_duration(c, e, &d->tick_ns);
	} else if (!strcmp(k, "textfile_interval")) {
		return cfg_pos_duration(c, e, &d->textfile_interval_ns);
	} else if (!strcmp(k, "stale_limit")) {
		return cfg_pos_duration(c, e, &d->stale_ns);
	} else if (!strcmp(k, "probe_mark")) {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(v, &end, 0);
		if (errno || *end || !*v || m == 0 || m > 0xffffffffUL)
			return cfg_bad(c, e, "invalid mark '%s': expected a non-zero 32-bit number (e.g. 0x464c4447)", NULL);
		d->probe_mark = m;
	} else if (!strcmp(k, "detach_on_exit")) {
		if (!strcmp(v, "yes") || !strcmp(v, "true"))
			d->detach_on_exit = 1;
		else if (!strcmp(v, "no") || !strcmp(v, "false"))
			d->detach_on_exit = 0;
		else
			return cfg_bad(c, e, "invalid '%s': expected yes or no", NULL);
	} else {
		return cfg_bad(c, e, "unknown key%s", "");
	}
	return 0;
}

int cfg_policy_key(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_policy_cfg *p)
{
	const char *k = e->key, *v = e->value;
	char msg[FG_ERR_LEN];
	struct fg_rate r;

	if (!cfg_key_listed(fg_cfg_policy_keys, k))
		return cfg_bad(c, e, "unknown key%s", "");
	if (!strcmp(k, "action")) {
		if (!strcmp(v, "limit"))
			p->pol.action = FG_ACT_LIMIT;
		else if (!strcmp(v, "allow"))
			p->pol.action = FG_ACT_ALLOW;
		else if (!strcmp(v, "deny"))
			p->pol.action = FG_ACT_DENY;
		else
			return cfg_bad(c, e, "invalid '%s': expected limit, allow or deny", NULL);
	} else if (!strcmp(k, "rate")) {
		if (fg_parse_rate(v, &r, msg, sizeof(msg)))
			return cfg_bad(c, e, "%s", msg);
		p->pol.interval_ns = r.interval_ns;
		if (!p->pol.burst)
			p->pol.burst = fg_default_burst(&r);
	} else if (!strcmp(k, "burst")) {
		return cfg_u32_in(c, e, 1, FG_BURST_MAX, &p->pol.burst);
	} else if (!strcmp(k, "new_sources")) {
		if (fg_parse_new_sources(v, &p->pol.new_interval_ns, &p->pol.new_burst, msg,
					 sizeof(msg)))
			return cfg_bad(c, e, "%s", msg);
		p->new_set = 1;
	} else if (!strcmp(k, "per")) {
		if (!strcmp(v, "source"))
			p->pol.per = FG_PER_SOURCE;
		else if (!strcmp(v, "prefix"))
			p->pol.per = FG_PER_PREFIX;
		else
			return cfg_bad(c, e, "invalid '%s': expected source or prefix", NULL);
	} else {
		return cfg_bad(c, e, "unknown key%s", "");
	}
	return 0;
}

