/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * One spelling of every enum value that is typed or printed: the CLI's
 * options and output, its JSON, floodgated's textfile and control socket.
 * Each table is indexed by its enum (designated initializers in names.c,
 * where a _Static_assert fails the build if a value has no name).
 */
#ifndef FG_NAMES_H
#define FG_NAMES_H

#include <stddef.h>
#include <linux/types.h>
#include "floodgate_kern_user.h"
#include "upstream_kern_user.h"
#include "attach.h"  /* enum fg_xdp_mode, enum fg_hook */
#include "breaker.h" /* enum fg_force, enum fg_brk_reason */

#define FG_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

extern const char *const fg_breaker_names[FG_BREAKER_MAX]; /* closed, open, half-open */
extern const char *const fg_reject_names[FG_REJECT_MAX];   /* drop, reset */
extern const char *const fg_force_names[FG_FORCE_MAX];     /* auto, open, close: the verbs */
extern const char *const fg_brk_reason_names[FG_WHY_MAX];
extern const char *const fg_mode_names[FG_MODE_MAX];       /* enforce, monitor */
extern const char *const fg_action_names[FG_ACT_MAX];      /* limit, allow, deny */
extern const char *const fg_per_names[FG_PER_MAX];         /* source, prefix */
extern const char *const fg_xdp_mode_names[FG_XDP_MAX];    /* auto, native, generic */
extern const char *const fg_hook_names[FG_HOOK_MAX];       /* xdp, tc */
extern const char *const fg_stat_names[FG_STAT_MAX];       /* reasons and events */
extern const char *const fg_ustat_names[FG_U_MAX];         /* upstream counters */
/* By IPPROTO_* number; NULL between tcp and udp. The length is IPPROTO_UDP
 * + 1, spelled out: <netinet/in.h> and <linux/in.h> do not mix. */
#define FG_PROTO_NAMES_LEN 18
extern const char *const fg_proto_names[FG_PROTO_NAMES_LEN];

/* table[v], or "unknown" when v is out of range or has no name. */
const char *fg_name(const char *const *table, size_t n, unsigned int v);
#define FG_NAME(table, v) fg_name((table), FG_ARRAY_SIZE(table), (v))
/* The value whose name is s, or -1. */
int fg_name_value(const char *const *table, size_t n, const char *s);
/* The names in order, "a, b or c" (sep ", ", last " or "), into buf. */
void fg_names_join(const char *const *table, size_t n, const char *sep, const char *last,
		   char *buf, size_t len);

const char *fg_breaker_name(enum fg_breaker s);
const char *fg_proto_name(__u8 proto);
/* What a reason counts: "pass" below FG_R_FIRST_DROP, else "drop". */
const char *fg_verdict_name(enum fg_stat r);

#endif /* FG_NAMES_H */
