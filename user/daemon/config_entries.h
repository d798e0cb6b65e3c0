/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The config between reading and meaning: every key = value line as read
 * (config_read.c), then interpreted section by section (config.c) through
 * what each key means (config_keys.c). Internal to floodgated's config.
 */
#ifndef FG_CONFIG_ENTRIES_H
#define FG_CONFIG_ENTRIES_H

#include <stddef.h>
#include "config.h"

#define NS_PER_MS 1000000ULL

/* One line read; kept so values can be interpreted after [defaults]. */
struct cfg_entry {
	char section[96], key[64], value[256];
	int line, section_line;
};

/* Where errors go, and the file they name. */
struct cfg_ctx {
	const char *path;
	char *err;
	size_t errlen;
};

/* "PATH:LINE: [SECTION] KEY: " then fmt with detail (NULL: the value); -EINVAL. */
int cfg_bad(struct cfg_ctx *c, const struct cfg_entry *e, const char *fmt, const char *detail);

/* Is section "KIND ARG"? *arg: ARG, leading spaces skipped. */
int cfg_section_is(const char *section, const char *kind, const char **arg);

/* Is k in the NULL-ended list keys? */
int cfg_key_listed(const char *const *keys, const char *k);

/* config.c: the entries, read and checked for repeats, into out. */
int cfg_interpret(struct cfg_ctx *c, const struct cfg_entry *e, int n, struct fg_cfg *out);

/* config_keys.c: the defaults, and one key of each kind of section. */
void cfg_upstream_defaults(struct fg_upstream_cfg *u);
void cfg_daemon_defaults(struct fg_daemon_cfg *d);
int cfg_upstream_key(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_upstream_cfg *u,
		     int dflt);
int cfg_daemon_key(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_daemon_cfg *d);
int cfg_policy_key(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_policy_cfg *p);
/* Value checks the key files share: a positive duration; a u32 in [min, max]. */
int cfg_pos_duration(struct cfg_ctx *c, const struct cfg_entry *e, __u64 *out);
int cfg_u32_in(struct cfg_ctx *c, const struct cfg_entry *e, __u32 min, __u32 max, __u32 *out);

/* config_policy_file.c: [daemon] policy_file's policies read and merged
 * into out->pols (after the sections); 0 when none is named. */
int cfg_policy_file(struct cfg_ctx *c, struct fg_cfg *out);

/* config_fleet.c: [fleet]'s defaults, keys, and the section as a whole. */
void cfg_fleet_defaults(struct fg_fleet_cfg *f);
int cfg_fleet_key(struct cfg_ctx *c, const struct cfg_entry *e, struct fg_fleet_cfg *f);
int cfg_fleet_check(struct cfg_ctx *c, struct fg_fleet_cfg *f);

#endif /* FG_CONFIG_ENTRIES_H */
