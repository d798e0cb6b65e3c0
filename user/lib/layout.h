/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Are these pinned maps ours? Pins outlive the programs that made them, so
 * the maps under a pin dir may be another floodgate version's (a struct
 * grew) or another program's under our names. Every map is checked against
 * the layout this build's BPF object declares (type, key and value size,
 * max entries), and config[0] carries FG_LAYOUT_VERSION. A mismatch is one
 * line naming the pin dir, the map, what differs and what to do; nothing
 * is read or written through a map that failed it.
 */
#ifndef FG_LAYOUT_H
#define FG_LAYOUT_H

#include <stddef.h>
#include "maps.h"

struct floodgate;
struct bpf_map;

/* What to do about pins that are not this build's. */
#define FG_LAYOUT_ADVICE                                                                \
	"run 'floodgate detach IFACE' for every interface they guard (detach reads no " \
	"map, so any version's pins go), then attach again"

/* The BPF object's map behind pinned name i (fg_map_names order). */
struct bpf_map *fg_skel_map(struct floodgate *skel, int i);

/* 0, or -EPROTO with the one-line reason: map i (fd) is not as this build
 * declares it. */
int fg_layout_check_map(const char *pin_dir, int i, int fd, char *err, size_t errlen);
/* 0, or -EPROTO: config[0]'s layout version is not this build's. */
int fg_layout_check_version(const char *pin_dir, const struct fg_maps *m, char *err, size_t errlen);

#endif /* FG_LAYOUT_H */
