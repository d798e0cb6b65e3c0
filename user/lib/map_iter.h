/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Walks over a map from user space. A batch walk reads many entries per
 * bpf() call (a full 64k-entry map costs a few calls, not 130k); a key walk
 * (get_next_key) serves the maps without batch lookups, as the LPM trie.
 */
#ifndef FG_MAP_ITER_H
#define FG_MAP_ITER_H

#include <stddef.h>
#include <linux/types.h>

/* One batch walk: where the next lookup starts, and whether it ended.
 * A walk starts as { .fd = FD }. */
struct fg_map_batch {
	int fd;
	int started;
	int done;  /* the kernel said ENOENT: the whole map was read */
	__u64 pos; /* the kernel's token (a hash bucket, an array's last index) */
};

/*
 * The next up to max entries after the last call's, into keys and vals
 * (room for max of each): how many, 0 once done, or -errno when the walk
 * cannot go on (a kernel without batch lookups: EINVAL). ENOENT is the end,
 * not an error: the entries that came with it are returned and done is set.
 */
int fg_map_batch_next(struct fg_map_batch *b, void *keys, void *vals, __u32 max);

/* Up to max keys of the map, first to last by get_next_key, into keys, one
 * every stride bytes (the key's size, or an entry's to fill the keys of an
 * array of entries): how many. */
int fg_map_keys(int fd, void *keys, size_t stride, int max);

#endif /* FG_MAP_ITER_H */
