// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The upstreams map as a table (upstreams.h): list, find, ids, counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "map_iter.h"
#include "upstreams.h"

int fg_upstreams_read(const struct fg_maps *m, struct fg_upstream_entry **out)
{
	struct fg_upstream_entry *list;
	int keys, n = 0;

	list = calloc(FG_UPSTREAMS_MAX, sizeof(*list));
	if (!list)
		return -ENOMEM;
	keys = fg_map_keys(m->upstreams, &list[0].key, sizeof(*list), FG_UPSTREAMS_MAX);
	for (int i = 0; i < keys; i++) {
		list[n].key = list[i].key;
		if (bpf_map_lookup_elem(m->upstreams, &list[n].key, &list[n].val) == 0)
			n++; /* else deleted under us */
	}
	*out = list;
	return n;
}

int fg_upstreams_find(const struct fg_upstream_entry *list, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strncmp(list[i].val.name, name, FG_UPSTREAM_NAME_LEN))
			return i;
	return -1;
}

int fg_upstreams_free_id(const struct fg_upstream_entry *list, int n)
{
	static unsigned char used[FG_UPSTREAMS_MAX];

	memset(used, 0, sizeof(used));
	for (int i = 0; i < n; i++)
		if (list[i].val.id < FG_UPSTREAMS_MAX)
			used[list[i].val.id] = 1;
	for (int id = 0; id < FG_UPSTREAMS_MAX; id++)
		if (!used[id])
			return id;
	return -ENOSPC;
}

int fg_upstream_rt_reset(const struct fg_maps *m, __u32 id)
{
	struct fg_upstream_rt zero = {};

	return bpf_map_update_elem(m->upstream_rt, &id, &zero, BPF_ANY) ? -errno : 0;
}

__u32 fg_upstream_permits_left(const struct fg_maps *m, const struct fg_upstream *v)
{
	struct fg_upstream_rt rt;
	__u32 used = 0;

	if (v->state != FG_BREAKER_HALF_OPEN || v->permits <= 0)
		return 0;
	if (bpf_map_lookup_elem(m->upstream_rt, &v->id, &rt) == 0 &&
	    rt.permits_used >> 32 == v->half_open_gen)
		used = (__u32)rt.permits_used;
	return used >= (__u32)v->permits ? 0 : (__u32)v->permits - used;
}

int fg_upstream_stats_reset(const struct fg_maps *m, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus(), err = 0;
	struct fg_upstream_stats *zero;

	if (ncpu < 1)
		return -EINVAL;
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return -ENOMEM;
	if (bpf_map_update_elem(m->upstream_stats, &id, zero, BPF_ANY))
		err = -errno;
	free(zero);
	return err;
}
