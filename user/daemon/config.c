// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floodgated's config, interpreted: entries into sections ([defaults] first,
 * wherever it is), then the checks that need the whole file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_entries.h"
#include "parse.h"

int cfg_section_is(const char *section, const char *kind, const char **arg)
{
	size_t n = strlen(kind);

	if (strncmp(section, kind, n) || section[n] != ' ')
		return 0;
	*arg = section + n + 1;
	while (**arg == ' ')
		(*arg)++;
	return 1;
}

/* A [policy] section as a whole: rate given, bucket representable, budget. */
static int policy_check(struct cfg_ctx *c, struct fg_policy_cfg *p)
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

static int section_again(struct cfg_ctx *c, const struct cfg_entry *e, const char *kind,
			 const char *first, int first_line)
{
	snprintf(c->err, c->errlen, "%s:%d: [%s]: the same %s as [%s %s] on line %d",
		 c->path, e->section_line, e->section, kind, kind, first, first_line);
	return -EINVAL;
}

/* The [upstream NAME] entry e belongs to, made from the defaults at its
 * section's first entry. */
static int upstream_entry(struct cfg_ctx *c, const struct cfg_entry *e, const char *name,
			  const struct fg_upstream_cfg *dflt, struct fg_cfg *out)
{
	struct fg_upstream_cfg *u = NULL;
	char msg[FG_ERR_LEN];

	for (int j = 0; j < out->n_ups; j++)
		if (!strcmp(out->ups[j].name, name))
			u = &out->ups[j];
	if (u && u->line != e->section_line)
		return section_again(c, e, "upstream", u->name, u->line);
	if (!u) {
		if (fg_parse_name(name, msg, sizeof(msg)))
			return cfg_bad(c, e, "%s", msg);
		u = &out->ups[out->n_ups++];
		*u = *dflt;
		snprintf(u->name, sizeof(u->name), "%s", name);
		u->line = e->section_line;
	}
	return cfg_upstream_key(c, e, u, 0);
}

/* The [policy PREFIX] entry e belongs to: one per network, not spelling
 * (2001:db8::/32 is 2001:0db8:0::/32). */
static int policy_entry(struct cfg_ctx *c, const struct cfg_entry *e, const char *prefix,
			struct fg_cfg *out)
{
	struct fg_policy_cfg *p = NULL;
	struct fg_lpm_key key;
	char msg[FG_ERR_LEN];

	if (fg_parse_prefix(prefix, &key, msg, sizeof(msg)))
		return cfg_bad(c, e, "%s", msg);
	for (int j = 0; j < out->n_pols; j++)
		if (!memcmp(&out->pols[j].key, &key, sizeof(key)))
			p = &out->pols[j];
	if (p && p->line != e->section_line)
		return section_again(c, e, "policy", p->prefix, p->line);
	if (!p) {
		p = &out->pols[out->n_pols++];
		p->key = key;
		snprintf(p->prefix, sizeof(p->prefix), "%s", prefix);
		p->line = e->section_line;
		p->pol.prefixlen = p->key.prefixlen;
	}
	return cfg_policy_key(c, e, p);
}

/* "PATH:LINE: [upstream NAME]: WHAT", WHAT ending in 'OTHER' when other is set. */
static int upstream_fail(struct cfg_ctx *c, const struct fg_upstream_cfg *u, const char *what,
			 const char *other)
{
	int n = snprintf(c->err, c->errlen, "%s:%d: [upstream %s]: %s", c->path, u->line, u->name,
			 what);

	if (other && n >= 0 && (size_t)n < c->errlen)
		snprintf(c->err + n, c->errlen - n, "'%s'", other);
	return -EINVAL;
}

/* An upstream as a whole, and against those before it. */
static int upstream_check(struct cfg_ctx *c, const struct fg_cfg *out, int i)
{
	const struct fg_upstream_cfg *u = &out->ups[i];

	if (!u->port)
		return upstream_fail(c, u, "missing key 'address'", NULL);
	if (u->timeout_ns >= u->interval_ns)
		return upstream_fail(c, u, "timeout must be shorter than interval", NULL);
	if (u->brk.open_timeout_max_ns < u->brk.open_timeout_ns)
		return upstream_fail(c, u, "open_timeout_max is below open_timeout", NULL);
	if (!u->brk.consecutive_failures && !u->brk.failure_rate_pct)
		return upstream_fail(c, u, "consecutive_failures and failure_rate are both 0: "
				     "the breaker could never open", NULL);
	for (int j = 0; j < i; j++)
		if (!memcmp(out->ups[j].addr, u->addr, 16) && out->ups[j].port == u->port &&
		    out->ups[j].proto == u->proto)
			return upstream_fail(c, u, "same address as upstream ", out->ups[j].name);
	return 0;
}

/* Checks that need the whole file. */
static int whole_check(struct cfg_ctx *c, struct fg_cfg *out)
{
	int err;

	if (out->daemon.stale_ns < 2 * out->daemon.tick_ns) {
		/* The datapath would see its own controller as dead between two
		 * heartbeats and ignore every breaker it computed. */
		snprintf(c->err, c->errlen, "%s: [daemon]: stale_limit must be at least two ticks "
			 "(tick %llu ms, stale_limit %llu ms)", c->path,
			 (unsigned long long)(out->daemon.tick_ns / NS_PER_MS),
			 (unsigned long long)(out->daemon.stale_ns / NS_PER_MS));
		return -EINVAL;
	}
	for (int i = 0; i < out->n_ups; i++)
		if ((err = upstream_check(c, out, i)))
			return err;
	for (int i = 0; i < out->n_pols; i++)
		if ((err = policy_check(c, &out->pols[i])))
			return err;
	return cfg_fleet_check(c, &out->fleet);
}

int cfg_interpret(struct cfg_ctx *c, const struct cfg_entry *entries, int n, struct fg_cfg *out)
{
	struct fg_upstream_cfg dflt;
	const char *arg;
	int err = 0;

	cfg_upstream_defaults(&dflt);
	cfg_daemon_defaults(&out->daemon);
	cfg_fleet_defaults(&out->fleet);
	/* [defaults] first, wherever it is in the file. */
	for (int i = 0; i < n; i++)
		if (!strcmp(entries[i].section, "defaults") &&
		    (err = cfg_upstream_key(c, &entries[i], &dflt, 1)))
			return err;
	out->ups = calloc(n + 1, sizeof(*out->ups));
	out->pols = calloc(n + 1, sizeof(*out->pols));
	if (!out->ups || !out->pols)
		return -ENOMEM;
	for (int i = 0; i < n && !err; i++) {
		const struct cfg_entry *e = &entries[i];

		if (!strcmp(e->section, "defaults"))
			continue;
		if (!strcmp(e->section, "daemon"))
			err = cfg_daemon_key(c, e, &out->daemon);
		else if (cfg_section_is(e->section, "upstream", &arg))
			err = upstream_entry(c, e, arg, &dflt, out);
		else if (cfg_section_is(e->section, "policy", &arg))
			err = policy_entry(c, e, arg, out);
		else if (!strcmp(e->section, "fleet"))
			err = cfg_fleet_key(c, e, &out->fleet);
		else
			err = cfg_bad(c, e, "unknown section: expected [daemon], [defaults], "
				      "[upstream NAME], [policy PREFIX] or [fleet]%s", "");
	}
	return err ?: whole_check(c, out);
}

void fg_cfg_free(struct fg_cfg *c)
{
	free(c->ups);
	free(c->pols);
	c->ups = NULL;
	c->pols = NULL;
	c->n_ups = c->n_pols = 0;
}
