// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * [fleet]: the keys of fleet mode (config.h's struct fg_fleet_cfg), each
 * checked as it is read, then the section as a whole. Without the section
 * the daemon runs alone, exactly as before.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config_entries.h"
#include "parse.h"

void cfg_fleet_defaults(struct fg_fleet_cfg *f)
{
	char host[256] = "";

	memset(f, 0, sizeof(*f));
	snprintf(f->site, sizeof(f->site), "default");
	/* A host name too long or with odd characters is refused by the
	 * whole-section check, which names the key to set instead. */
	if (gethostname(host, sizeof(host) - 1) == 0)
		snprintf(f->node, sizeof(f->node), "%.*s", (int)sizeof(f->node) - 1, host);
	if (strlen(host) >= sizeof(f->node))
		f->node[0] = 0;
	f->sync_ns = 100 * NS_PER_MS;
	f->stale_ns = 3000 * NS_PER_MS;
	f->share_floor_pct = FG_SHARE_FLOOR_DEFAULT;
}

/* redis = IP:PORT, [IPv6]:PORT or unix:/path */
static int key_redis(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_fleet_cfg *f)
{
	char msg[FG_ERR_LEN];
	__u8 addr[16];

	if (!strncmp(e->value, "unix:", 5)) {
		const char *p = e->value + 5;

		if (p[0] != '/' || strlen(p) >= sizeof(f->path))
			return cfg_bad(c, e, "invalid socket '%s': expected unix:/absolute/path "
				       "(at most 107 bytes)", NULL);
		f->unix_socket = 1;
		snprintf(f->path, sizeof(f->path), "%s", p);
		return 0;
	}
	if (fg_parse_endpoint(e->value, addr, &f->port, msg, sizeof(msg)))
		return cfg_bad(c, e, "%s (a host name is not taken: looking it up would block "
			       "the tick; or unix:/path)", msg);
	f->unix_socket = 0;
	if (fg_is_v4_mapped(addr))
		inet_ntop(AF_INET, addr + 12, f->host, sizeof(f->host));
	else
		inet_ntop(AF_INET6, addr, f->host, sizeof(f->host));
	return 0;
}

/* site and node end up in Redis keys and log lines: names as upstreams'. */
static int key_name(struct cfg_ctx *c, const struct cfg_entry *e, char *dst, size_t len)
{
	char msg[FG_ERR_LEN];

	if (fg_parse_name(e->value, msg, sizeof(msg)))
		return cfg_bad(c, e, "%s", msg);
	snprintf(dst, len, "%.*s", (int)len - 1, e->value); /* checked to fit */
	return 0;
}

/* Every [fleet] key: the manual and the docs test read this list. */
const char *const fg_cfg_fleet_keys[] = {
	"redis", "password_file", "site", "node", "sync", "stale", "quorum", "share_floor", NULL,
};

int cfg_fleet_key(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_fleet_cfg *f)
{
	const char *k = e->key, *v = e->value;

	f->enabled = 1;
	if (!cfg_key_listed(fg_cfg_fleet_keys, k))
		return cfg_bad(c, e, "unknown key%s", "");
	f->line = e->section_line;
	if (!strcmp(k, "redis"))
		return key_redis(c, e, f);
	if (!strcmp(k, "password_file")) {
		if (v[0] != '/' || strlen(v) >= sizeof(f->password_file))
			return cfg_bad(c, e, "invalid path '%s': expected an absolute path", NULL);
		snprintf(f->password_file, sizeof(f->password_file), "%s", v);
		return 0;
	}
	if (!strcmp(k, "site"))
		return key_name(c, e, f->site, sizeof(f->site));
	if (!strcmp(k, "node"))
		return key_name(c, e, f->node, sizeof(f->node));
	if (!strcmp(k, "sync"))
		return cfg_pos_duration(c, e, &f->sync_ns);
	if (!strcmp(k, "stale"))
		return cfg_pos_duration(c, e, &f->stale_ns);
	if (!strcmp(k, "quorum")) {
		if (!strcmp(v, "auto")) {
			f->quorum = 0;
			return 0;
		}
		/* 1 would let a node that alone lost its path open every node's
		 * breaker: a quorum is at least two. */
		return cfg_u32_in(c, e, 2, 1000, &f->quorum);
	}
	if (!strcmp(k, "share_floor")) {
		/* Below 2% (1/64, the datapath's own floor) the datapath would
		 * not follow it. */
		if (fg_parse_percent(v, &f->share_floor_pct) || f->share_floor_pct < 2)
			return cfg_bad(c, e, "invalid percentage '%s': expected 2..100%%", NULL);
		return 0;
	}
	return cfg_bad(c, e, "unknown key%s", "");
}

static int fleet_fail(struct cfg_ctx *c, const struct fg_fleet_cfg *f, const char *what)
{
	snprintf(c->err, c->errlen, "%s:%d: [fleet]: %s", c->path, f->line, what);
	return -EINVAL;
}

int cfg_fleet_check(struct cfg_ctx *c, struct fg_fleet_cfg *f)
{
	char msg[160];

	if (!f->enabled)
		return 0;
	if (!f->port && !f->unix_socket)
		return fleet_fail(c, f, "missing key 'redis' (IP:PORT or unix:/path)");
	if (fg_parse_name(f->node, msg, sizeof(msg)))
		return fleet_fail(c, f, "the host name is no valid node name: set 'node'");
	if (f->sync_ns < 10 * NS_PER_MS)
		return fleet_fail(c, f, "sync must be at least 10ms");
	if (f->stale_ns < 2 * f->sync_ns) {
		/* One late sync would expire a node's announcement and votes. */
		snprintf(msg, sizeof(msg), "stale must be at least two syncs (sync %llu ms, "
			 "stale %llu ms)", (unsigned long long)(f->sync_ns / NS_PER_MS),
			 (unsigned long long)(f->stale_ns / NS_PER_MS));
		return fleet_fail(c, f, msg);
	}
	return 0;
}
