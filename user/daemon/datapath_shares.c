// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The fleet shares' part of fg_dp_maps (datapath.h): the hot map read in
 * batches, the shares map written (floodgated is its one writer). */
#include <errno.h>
#include <bpf/bpf.h>

#include "datapath.h"
#include "fleet_share.h"
#include "map_iter.h"

#define HOT_CHUNK 1024

int fg_dp_maps_read_hot(struct fg_daemon *d, struct fg_hot_read *out, int max)
{
	struct fg_map_batch b = { .fd = d->maps.hot };
	struct fg_bucket_key keys[HOT_CHUNK];
	struct fg_hot vals[HOT_CHUNK];
	int total = 0;

	if (d->maps.hot < 0)
		return -EBADF;
	/* Bounded: at most max entries (the map's size), in a few calls. */
	for (int guard = 0; guard < 64 && total < max && !b.done; guard++) {
		int want = max - total < HOT_CHUNK ? max - total : HOT_CHUNK;
		int n = fg_map_batch_next(&b, keys, vals, want);

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			out[total + i].key = keys[i];
			out[total + i].v = vals[i];
		}
		total += n;
	}
	return total;
}

int fg_dp_maps_write_share(struct fg_daemon *d, const struct fg_bucket_key *k,
			   const struct fg_share *s)
{
	int err;

	if (d->maps.shares < 0)
		return -EBADF;
	err = s ? bpf_map_update_elem(d->maps.shares, k, s, BPF_ANY)
		: bpf_map_delete_elem(d->maps.shares, k);
	if (err && !(errno == ENOENT && !s))
		return -errno;
	return 0;
}

int fg_dp_maps_del_hot(struct fg_daemon *d, const struct fg_bucket_key *k)
{
	if (d->maps.hot < 0)
		return -EBADF;
	if (bpf_map_delete_elem(d->maps.hot, k) && errno != ENOENT)
		return -errno;
	return 0;
}
