// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Batch and key walks over a map (map_iter.h). */
#include <errno.h>
#include <bpf/bpf.h>

#include "map_iter.h"

int fg_map_batch_next(struct fg_map_batch *b, void *keys, void *vals, __u32 max)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u64 out = 0;
	__u32 count = max;
	int err;

	if (b->done)
		return 0;
	err = bpf_map_lookup_batch(b->fd, b->started ? &b->pos : NULL, &out, keys, vals, &count,
				   &opts);
	if (err && errno != ENOENT)
		return -errno;
	b->done = !!err;
	b->started = 1;
	b->pos = out;
	return (int)count;
}

int fg_map_keys(int fd, void *keys, size_t stride, int max)
{
	char *prev = NULL, *k = keys;
	int n = 0;

	while (n < max && bpf_map_get_next_key(fd, prev, k) == 0) {
		prev = k;
		k += stride;
		n++;
	}
	return n;
}
