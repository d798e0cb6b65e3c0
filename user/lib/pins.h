/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The pin dir: where floodgate's maps and links live on a bpf filesystem so
 * the CLI can exit and a restart reuses them. Also the lock that keeps the
 * CLI and the daemon from writing at the same time.
 */
#ifndef FG_PINS_H
#define FG_PINS_H

#include <stddef.h>

#define FG_LINK_XDP_PREFIX "link_xdp_"
#define FG_LINK_TCX_IN_PREFIX "link_tcx_in_"
#define FG_LINK_TCX_EG_PREFIX "link_tcx_eg_"
#define FG_LINK_TCX_LIMIT_PREFIX "link_tcx_limit_" /* limits at TCX ingress (--hook tc) */

/* libbpf 1.1 predates TCX; the kernel (6.6+) knows these attach types. */
#define FG_TCX_INGRESS 46
#define FG_TCX_EGRESS 47

/* Mount bpffs at /sys/fs/bpf when the dir lives there and it is missing;
 * create the dir when create is set; check that it is on bpffs. */
int fg_pin_dir_prepare(const char *dir, int create, char *err, size_t errlen);
/* Take the exclusive lock on dir; returns the fd holding it or -errno. */
int fg_pin_dir_lock(const char *dir);
void fg_pin_dir_unlock(int fd);
int fg_pin_path(char *buf, size_t len, const char *dir, const char *name);
int fg_pin_exists(const char *dir, const char *name);
/* mkdir -p dir (mode 0755); 0 or -errno. */
int fg_mkdir_p(const char *dir);
/* Number of link pins left under dir (any hook). */
int fg_pin_count_links(const char *dir);

#endif /* FG_PINS_H */
