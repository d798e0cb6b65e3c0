/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * floodgated's configuration: INI (parsed by libinih), validated whole before
 * anything is applied. An error names the file, the line and the key.
 *
 *   [daemon]            pin dir, interfaces, tick, textfile, socket, staleness,
 *                       policy_file (policies in `floodgate limit load` format)
 *   [defaults]          any upstream key, inherited by every [upstream NAME]
 *   [upstream NAME]     address and breaker / probe settings
 *   [policy PREFIX]     rate limits (action, rate, burst, per, new_sources)
 *   [fleet]             Redis shared by the boxes of a site (fleet mode)
 */
#ifndef FG_CONFIG_H
#define FG_CONFIG_H

#include <stddef.h>
#include <net/if.h>
#include "breaker.h"
#include "floodgate_kern_user.h"
#include "parse.h"

#define FG_CFG_MAX_IFACES 8

enum fg_probe_kind { FG_PROBE_NONE = 0, FG_PROBE_TCP, FG_PROBE_HTTP };

/* Outcome classes that count as failures (failure_classes =). */
enum {
	FG_FAIL_5XX = 1 << 0,
	FG_FAIL_429 = 1 << 1,
	FG_FAIL_REFUSED = 1 << 2,
	FG_FAIL_TIMEOUT = 1 << 3,
	FG_FAIL_PROBE = 1 << 4,
};

/* Outcome classes that count as successes (success_classes =). */
enum {
	FG_OK_2XX = 1 << 0,
	FG_OK_3XX = 1 << 1,
	FG_OK_SYNACK = 1 << 2, /* a connection accepted and not yet answered */
	FG_OK_PROBE = 1 << 3,
};

struct fg_upstream_cfg {
	char name[32];
	int line;                 /* of its section header */
	__u8 addr[16];
	__u16 port;               /* host order */
	__u8 proto;
	enum fg_reject reject;
	__u32 reset_rate;         /* reject = reset: RSTs per second at most */
	char group[32];
	__u32 group_max_open_pct;
	enum fg_probe_kind probe;
	char probe_path[128];
	__u64 interval_ns, timeout_ns;
	__u32 jitter_pct;
	__u32 rise, fall;
	__u32 expect_lo, expect_hi;
	__u32 failure_classes;
	__u32 success_classes;
	__u64 connect_timeout_ns; /* pending SYN older than this: a timeout */
	struct fg_brk_params brk;
};

struct fg_policy_cfg {
	char prefix[64];
	int line;    /* of its section header, or its line in the policy_file */
	int new_set; /* new_sources given (else the default) */
	struct fg_lpm_key key;
	struct fg_policy pol;
};

struct fg_daemon_cfg {
	char pin_dir[256];
	char ifaces[FG_CFG_MAX_IFACES][IF_NAMESIZE];
	int n_ifaces;
	__u64 tick_ns;
	char textfile_dir[256];
	__u64 textfile_interval_ns;
	char control_socket[256];
	__u64 stale_ns;
	__u32 probe_mark;
	int detach_on_exit;
	char policy_file[256];    /* "": none; else read with the config (config_policy_file.c) */
	int policy_file_line;     /* of its key, for errors */
};

/*
 * [fleet]: where the site's Redis is and how often to sync with it. Redis
 * is named by an IP address (or a unix socket), never a host name: a DNS
 * lookup would block the loop that ticks the breakers.
 */
struct fg_fleet_cfg {
	int enabled;              /* the file has a [fleet] section */
	int line;                 /* of its header */
	int unix_socket;          /* redis = unix:/path */
	char host[48];            /* IPv4 or IPv6 address, as hiredis takes it */
	__u16 port;
	char path[108];           /* sun_path's size */
	char password_file[256];  /* "" (no AUTH), else "PASSWORD" or "USER PASSWORD" */
	char site[32], node[32];
	__u64 sync_ns, stale_ns;
	__u32 quorum;             /* 0: a majority of the fresh nodes, at least 2 */
	__u32 share_floor_pct;    /* a shared source's part of its limit, at least */
};
#define FG_SHARE_FLOOR_DEFAULT 5

struct fg_cfg {
	struct fg_daemon_cfg daemon;
	struct fg_fleet_cfg fleet;
	struct fg_upstream_cfg *ups;
	int n_ups;
	struct fg_policy_cfg *pols;
	int n_pols;
};

int fg_cfg_load(const char *path, struct fg_cfg *out, char *err, size_t errlen);
/* The same from len bytes at buf (which need no NUL); name stands for the file
 * in errors. For tests and the fuzzers. */
int fg_cfg_load_buf(const char *name, const char *buf, size_t len, struct fg_cfg *out,
		    char *err, size_t errlen);
void fg_cfg_free(struct fg_cfg *c);

/* The keys each section takes, for the manual's test: [daemon] and [policy]
 * as NULL-terminated lists (the parser refuses any other key), [upstream]'s
 * by index, NULL past the last ([defaults] takes them all but address). */
extern const char *const fg_cfg_daemon_keys[];
extern const char *const fg_cfg_policy_keys[];
extern const char *const fg_cfg_fleet_keys[];
const char *fg_cfg_upstream_key_name(size_t i);

/* Value parsers, exported for tests: "50%" or "50". (Durations, which
 * the CLI parses too: fg_parse_duration in parse.h.) */
int fg_parse_percent(const char *s, __u32 *pct);

#endif /* FG_CONFIG_H */
