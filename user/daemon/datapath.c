// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The real datapath (fg_dp_maps, datapath.h): the daemon's reads and writes
 * over the pinned maps in d->maps, under the pin dir's lock. A tick reads
 * by batch lookups into buffers each daemon owns (d->dp_state), falling
 * back to a lookup per upstream where a kernel has no batch lookups. The
 * reconcile's writes are in apply.c, following replaced pins in repin.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "log.h"
#include "map_iter.h"
#include "pins.h"
#include "textfile.h"

#define NS_PER_S 1000000000ULL

enum { SWEEP_CHUNK = 4096, STATS_CHUNK = 128 };

/*
 * What a tick reads: every upstream's entry and counters, by batch lookups
 * (a few bpf() calls a tick instead of three per upstream: with 1,000
 * upstreams and a 100 ms tick those were 30,000 calls a second, most of the
 * daemon's CPU), and the pending SYNs it sweeps. About 500 KB: allocated at
 * the first tick, freed with the daemon.
 */
struct scratch {
	struct fg_upstream_key keys[FG_UPSTREAMS_MAX];
	struct fg_upstream vals[FG_UPSTREAMS_MAX];
	short entry_of[FG_UPSTREAMS_MAX];      /* upstream index -> vals index, or -1 */
	__u64 sums[FG_UPSTREAMS_MAX][FG_U_MAX]; /* by id */
	unsigned char have_sum[FG_UPSTREAMS_MAX];
	__u32 ids[STATS_CHUNK];
	struct fg_upstream_stats *percpu;      /* STATS_CHUNK x ncpu */
	int ncpu;
	struct fg_flow_key pending_keys[SWEEP_CHUNK];
	struct fg_pending pending_vals[SWEEP_CHUNK];
};

static struct scratch *scratch(struct fg_daemon *d)
{
	if (!d->dp_state)
		d->dp_state = calloc(1, sizeof(struct scratch));
	return d->dp_state;
}

static void release(struct fg_daemon *d)
{
	struct scratch *s = d->dp_state;

	if (s)
		free(s->percpu);
	free(s);
}

static int lock(struct fg_daemon *d, const char *dir)
{
	int fd = fg_pin_dir_lock(dir);

	if (fd < 0 && !d->lock_failed_logged++)
		pr_warn("Failed to lock %s: %s (was floodgate detached?)\n", dir, strerror(-fd));
	return fd;
}

static void heartbeat(struct fg_daemon *d, __u64 now)
{
	struct fg_config cfg;

	if (fg_config_get(&d->maps, &cfg) == 0) {
		cfg.heartbeat_ns = now;
		cfg.shares_on = d->cfg.fleet.enabled && d->fleet.up; /* fleet_share.h */
		fg_config_set(&d->maps, &cfg);
	}
}

/* One pending SYN: a connect timeout when older than its upstream's limit. */
static void sweep_one(struct fg_daemon *d, const struct fg_flow_key *key,
		      const struct fg_pending *v, __u64 max_timeout, __u64 now)
{
	int i = v->upstream_id < FG_UPSTREAMS_MAX ? d->idx_by_id[v->upstream_id] : -1;
	__u64 limit = i >= 0 ? d->ups[i].cfg.connect_timeout_ns : max_timeout;

	if (v->first_ns >= now || now - v->first_ns <= limit)
		return;
	/* A probe's unanswered SYN is the probe's own failure, not ours. */
	if (bpf_map_delete_elem(d->maps.pending_syn, key) == 0 && i >= 0 &&
	    !(v->flags & FG_PENDING_PROBE)) {
		d->ups[i].pend_timeouts++;
		d->ups[i].m.timeouts++;
	}
}

/*
 * Connection attempts unanswered for longer than connect_timeout: failures.
 * Read in batches (a SYN flood can fill the map: 64k entries cost a few
 * syscalls, not 200k); the key-by-key walk is the fallback.
 */
static void sweep_pending(struct fg_daemon *d, __u64 now)
{
	struct fg_map_batch b = { .fd = d->maps.pending_syn };
	struct scratch *s = scratch(d);
	struct fg_flow_key key, next;
	__u64 max_timeout = 0;
	int have, guard;

	for (int i = 0; i < d->n_ups; i++)
		if (d->ups[i].cfg.connect_timeout_ns > max_timeout)
			max_timeout = d->ups[i].cfg.connect_timeout_ns;
	if (!max_timeout)
		max_timeout = 2 * NS_PER_S;

	for (guard = 0; s; guard++) {
		int count = fg_map_batch_next(&b, s->pending_keys, s->pending_vals, SWEEP_CHUNK);

		if (count < 0)
			break; /* not supported: walk key by key below */
		for (int k = 0; k < count; k++)
			sweep_one(d, &s->pending_keys[k], &s->pending_vals[k], max_timeout, now);
		if (b.done || guard > FG_PENDING_SYN_MAX / SWEEP_CHUNK + 1)
			return; /* done: the whole map was read */
	}

	have = bpf_map_get_next_key(d->maps.pending_syn, NULL, &key) == 0;
	for (guard = 0; have && guard < FG_PENDING_SYN_MAX; guard++) {
		/* Step first: deleting the current key must not restart the walk. */
		int more = bpf_map_get_next_key(d->maps.pending_syn, &key, &next) == 0;
		struct fg_pending v;

		if (bpf_map_lookup_elem(d->maps.pending_syn, &key, &v) == 0)
			sweep_one(d, &key, &v, max_timeout, now);
		key = next;
		have = more;
	}
}

/* Entries of the upstreams map into s->entry_of; 0, or -1: read one by one. */
static int read_entries(struct fg_daemon *d, struct scratch *s)
{
	struct fg_map_batch b = { .fd = d->maps.upstreams };
	__u32 total = 0;

	for (int i = 0; i < d->n_ups; i++)
		s->entry_of[i] = -1;
	for (int guard = 0; guard < 64 && total < FG_UPSTREAMS_MAX && !b.done; guard++) {
		int count = fg_map_batch_next(&b, s->keys + total, s->vals + total,
					      FG_UPSTREAMS_MAX - total);

		if (count < 0)
			return -1;
		total += count;
	}
	for (__u32 j = 0; j < total; j++) {
		__u32 id = s->vals[j].id;
		int i = id < FG_UPSTREAMS_MAX ? d->idx_by_id[id] : -1;

		if (i >= 0 && !memcmp(&s->keys[j], &d->ups[i].key, sizeof(s->keys[j])))
			s->entry_of[i] = j;
	}
	return 0;
}

/* Counters of ids 0..max id in use into s->sums; 0, or -1: read one by one. */
static int read_sums(struct fg_daemon *d, struct scratch *s)
{
	struct fg_map_batch b = { .fd = d->maps.upstream_stats };
	__u32 end = 0, start = 0;

	if (!s->percpu) {
		s->ncpu = libbpf_num_possible_cpus();
		if (s->ncpu < 1)
			return -1;
		s->percpu = calloc((size_t)STATS_CHUNK * s->ncpu, sizeof(*s->percpu));
		if (!s->percpu)
			return -1;
	}
	for (int i = 0; i < d->n_ups; i++)
		if (d->ups[i].id < FG_UPSTREAMS_MAX && d->ups[i].id + 1 > end)
			end = d->ups[i].id + 1;
	memset(s->have_sum, 0, end);
	/* An array's batch position is the last index read: the walk stops
	 * after the highest id in use, not at the array's end. */
	while (start < end) {
		int count = fg_map_batch_next(&b, s->ids, s->percpu,
					      end - start < STATS_CHUNK ? end - start : STATS_CHUNK);

		if (count < 0)
			return -1;
		if (!count)
			break;
		for (int k = 0; k < count; k++) {
			__u32 id = s->ids[k];

			if (id >= FG_UPSTREAMS_MAX)
				continue;
			fg_upstream_stats_fold(s->percpu + (size_t)k * s->ncpu, s->ncpu, s->sums[id]);
			s->have_sum[id] = 1;
		}
		start = s->ids[count - 1] + 1;
	}
	return 0;
}

/* Every upstream's entry and counters for the tick; where a batch failed,
 * each upstream read alone into the same buffers. */
static int read_upstreams(struct fg_daemon *d, const struct fg_upstream **entry,
			  const __u64 **c)
{
	struct scratch *s = scratch(d);
	int batch_entries, batch_sums;

	if (!s)
		return -ENOMEM;
	batch_entries = read_entries(d, s) == 0;
	batch_sums = read_sums(d, s) == 0;
	for (int i = 0; i < d->n_ups; i++) {
		const struct fg_ups_rt *u = &d->ups[i];

		if (batch_entries)
			entry[i] = s->entry_of[i] >= 0 ? &s->vals[s->entry_of[i]] : NULL;
		else
			entry[i] = bpf_map_lookup_elem(d->maps.upstreams, &u->key, &s->vals[i]) ?
					   NULL : &s->vals[i];
		c[i] = NULL;
		if (u->id >= FG_UPSTREAMS_MAX)
			continue; /* no counters (the plan gives none such) */
		if (batch_sums)
			c[i] = s->have_sum[u->id] ? s->sums[u->id] : NULL;
		else if (fg_upstream_stats_sum(&d->maps, u->id, s->sums[u->id]) == 0)
			c[i] = s->sums[u->id];
	}
	return 0;
}

static int read_counters(struct fg_daemon *d, __u32 id, __u64 c[FG_U_MAX])
{
	return fg_upstream_stats_sum(&d->maps, id, c);
}

/* Every breaker change reaches the datapath through the one writer. */
static int write_entry(struct fg_daemon *d, struct fg_ups_rt *u, __u64 now,
		       const struct fg_upstream *seen)
{
	struct fg_entry_src src;
	int ret = fg_entry_write(&d->maps, &u->key, seen, fg_ups_src(u, &src), now, BPF_ANY, NULL);

	if (ret < 0)
		pr_warn("Failed to update upstream %s: %s\n", u->cfg.name, strerror(-ret));
	return ret;
}

static int list_upstreams(struct fg_daemon *d, struct fg_upstream_entry **list)
{
	return fg_upstreams_read(&d->maps, list);
}

static void snapshot(const struct fg_daemon *d, struct fg_dp_snapshot *s)
{
	struct fg_config cfg;
	__u64 mem, now;

	s->have_stats = fg_stats_sum(&d->maps, s->stats) == 0;
	s->have_buckets = fg_buckets_usage(&d->maps, &s->tracked, &s->capacity, &mem) == 0;
	s->flow_capacity = fg_map_capacity(d->maps.flows);
	now = fg_now_ns();
	if (fg_config_get(&d->maps, &cfg) == 0 && cfg.heartbeat_ns) {
		s->have_heartbeat = 1;
		s->heartbeat_age_ns = now > cfg.heartbeat_ns ? now - cfg.heartbeat_ns : 0;
	}
}

const struct fg_dp_ops fg_dp_maps = {
	.lock = lock,
	.follow_pins = fg_dp_maps_follow_pins,
	.heartbeat = heartbeat,
	.sweep_pending = sweep_pending,
	.read_upstreams = read_upstreams,
	.read_counters = read_counters,
	.write_entry = write_entry,
	.list_upstreams = list_upstreams,
	.plan_policies = fg_dp_maps_plan_policies,
	.apply = fg_dp_maps_apply,
	.undo = fg_dp_maps_undo,
	.snapshot = snapshot,
	.read_hot = fg_dp_maps_read_hot,
	.write_share = fg_dp_maps_write_share,
	.del_hot = fg_dp_maps_del_hot,
	.release = release,
};
