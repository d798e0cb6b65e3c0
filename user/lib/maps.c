// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Opening the pinned maps, and the config, policy and counter maps (maps.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "layout.h"
#include "map_iter.h"
#include "maps.h"
#include "policy_set.h"
#include "parse.h"
#include "pins.h"

#define FG_MAP_PIN_NAME(field, pin, cname) pin,
#define FG_MAP_C_NAME(field, pin, cname) #cname,
const char *const fg_map_names[FG_MAP_COUNT] = { FG_PINNED_MAPS(FG_MAP_PIN_NAME) };
const char *const fg_map_cnames[FG_MAP_COUNT] = { FG_PINNED_MAPS(FG_MAP_C_NAME) };
const int fg_map_count = FG_MAP_COUNT;
/* map_fd() indexes struct fg_maps as an array of its fds. */
_Static_assert(sizeof(struct fg_maps) == FG_MAP_COUNT * sizeof(int),
	       "struct fg_maps is not one int per pinned map");

/* Both come from FG_PINNED_MAPS: field i is pin i. */
static int *map_fd(struct fg_maps *m, int i)
{
	return &((int *)m)[i];
}

static int open_pin(const char *dir, const char *name, char *err, size_t errlen)
{
	char path[4096];
	int fd;

	if (fg_pin_path(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT)
			snprintf(err, errlen,
				 "floodgate is not attached (no %s): run 'floodgate attach IFACE'",
				 path);
		else
			snprintf(err, errlen, "Failed to open pinned map %s: %s", path,
				 strerror(e));
		return -e;
	}
	return fd;
}

int fg_maps_open_as(const char *pin_dir, struct fg_maps *m, int fresh, char *err,
		    size_t errlen)
{
	int i, ret = 0;

	for (i = 0; i < fg_map_count; i++)
		*map_fd(m, i) = -1;
	for (i = 0; i < fg_map_count && !ret; i++) {
		int fd = open_pin(pin_dir, fg_map_names[i], err, errlen);

		if (fd == -ENOENT && i > 0)
			/* config is there: a version with other maps made these. */
			snprintf(err, errlen, "%s: pinned map '%s' missing: %s", pin_dir,
				 fg_map_names[i], FG_LAYOUT_ADVICE);
		if (fd < 0) {
			ret = fd;
			break;
		}
		*map_fd(m, i) = fd;
		ret = fg_layout_check_map(pin_dir, i, fd, err, errlen);
	}
	/* Maps just made by this build carry no version yet: attach writes it. */
	if (!ret && !fresh)
		ret = fg_layout_check_version(pin_dir, m, err, errlen);
	if (ret)
		fg_maps_close(m);
	return ret;
}

int fg_maps_open(const char *pin_dir, struct fg_maps *m, char *err, size_t errlen)
{
	return fg_maps_open_as(pin_dir, m, 0, err, errlen);
}

void fg_maps_close(struct fg_maps *m)
{
	for (int i = 0; i < fg_map_count; i++) {
		if (*map_fd(m, i) >= 0)
			close(*map_fd(m, i));
		*map_fd(m, i) = -1;
	}
}

int fg_config_get(const struct fg_maps *m, struct fg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(m->config, &zero, cfg) ? -errno : 0;
}

int fg_config_set(const struct fg_maps *m, const struct fg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_update_elem(m->config, &zero, cfg, BPF_ANY) ? -errno : 0;
}

void fg_config_defaults(struct fg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = FG_MODE_ENFORCE;
	cfg->v6_prefix = FG_V6_PREFIX_DEFAULT;
	cfg->policy_gen = 1;
	cfg->malformed = FG_MALFORMED_DROP;
	cfg->stale_ns = FG_STALE_DEFAULT_NS;
	cfg->probe_mark = FG_PROBE_MARK_DEFAULT;
	cfg->layout = FG_LAYOUT_VERSION;
}

int fg_policy_same(const struct fg_policy *a, const struct fg_policy *b)
{
	return a->action == b->action && a->per == b->per && a->interval_ns == b->interval_ns &&
	       a->burst == b->burst && a->prefixlen == b->prefixlen &&
	       a->new_interval_ns == b->new_interval_ns && a->new_burst == b->new_burst;
}

int fg_policy_derive(const struct fg_maps *m, __u32 v6_prefix)
{
	struct fg_lpm_key *keys;
	struct fg_policy pol;
	int n, err = 0;
	__u8 *split;

	keys = calloc(FG_POLICY_MAX, sizeof(*keys));
	split = calloc(FG_POLICY_MAX, 1);
	if (!keys || !split) {
		err = -ENOMEM;
		goto out;
	}
	n = fg_map_keys(m->policy, keys, sizeof(*keys), FG_POLICY_MAX);
	/* Sorted (policy_set.c): a set of 100,000 is derived in n log n. */
	if ((err = fg_pset_splits(keys, sizeof(*keys), n, v6_prefix, split)))
		goto out;
	for (int i = 0; i < n; i++) {
		__u32 want;

		if (bpf_map_lookup_elem(m->policy, &keys[i], &pol))
			continue; /* deleted under us */
		want = split[i] ? pol.flags | FG_POL_SPLIT : pol.flags & ~FG_POL_SPLIT;
		if (want == pol.flags)
			continue;
		pol.flags = want;
		if (bpf_map_update_elem(m->policy, &keys[i], &pol, BPF_EXIST)) {
			err = -errno;
			break;
		}
	}
out:
	free(keys);
	free(split);
	return err;
}

void fg_policy_gen_next(struct fg_config *cfg)
{
	/* FG_GEN_HOT is a bucket's flag, never part of a generation. */
	cfg->policy_gen = (cfg->policy_gen + 1) & ~FG_GEN_HOT;
	if (cfg->policy_gen == FG_GEN_RECHECK)
		cfg->policy_gen++;
}

int fg_policy_bump_gen(const struct fg_maps *m)
{
	struct fg_config cfg;
	int err = fg_config_get(m, &cfg);

	if (!err)
		err = fg_policy_derive(m, cfg.v6_prefix);
	if (err)
		return err;
	fg_policy_gen_next(&cfg);
	return fg_config_set(m, &cfg);
}

void fg_stats_totals(const __u64 c[FG_STAT_MAX], __u64 *pass, __u64 *drop)
{
	*pass = *drop = 0;
	for (int i = 0; i < FG_R_MAX; i++)
		*(i < FG_R_FIRST_DROP ? pass : drop) += c[i];
}

int fg_stats_sum(const struct fg_maps *m, __u64 out[FG_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpu < 1)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 i = 0; i < FG_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(m->stats, &i, vals)) {
			int e = -errno;

			free(vals);
			return e;
		}
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

void fg_upstream_stats_fold(const struct fg_upstream_stats *percpu, int ncpu,
			    __u64 out[FG_U_MAX])
{
	for (int i = 0; i < FG_U_MAX; i++) {
		out[i] = 0;
		for (int c = 0; c < ncpu; c++)
			out[i] += percpu[c].c[i];
	}
}

int fg_upstream_stats_sum(const struct fg_maps *m, __u32 id, __u64 out[FG_U_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct fg_upstream_stats *vals;

	if (ncpu < 1)
		return -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(m->upstream_stats, &id, vals)) {
		int e = -errno;

		free(vals);
		return e;
	}
	fg_upstream_stats_fold(vals, ncpu, out);
	free(vals);
	return 0;
}

__u64 fg_map_capacity(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.max_entries;
}

/* The kernel reports a map's memory use as "memlock" in its fdinfo. */
__u64 fg_map_memory(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

int fg_buckets_usage(const struct fg_maps *m, __u64 *entries, __u64 *capacity,
		     __u64 *memory)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct fg_bucket_key keys[4096];
	struct fg_bucket vals[4096];
	struct fg_map_batch b = { .fd = m->buckets };
	__u64 n = 0;

	if (bpf_obj_get_info_by_fd(m->buckets, &info, &len))
		return -errno;
	*capacity = info.max_entries;
	*memory = fg_map_memory(m->buckets);

	/* Batched walk: a million entries take a fraction of a second. */
	while (!b.done) {
		int got = fg_map_batch_next(&b, keys, vals, 4096);

		if (got < 0)
			return got;
		n += got;
	}
	*entries = n;
	return 0;
}

/*
 * This process's CLOCK_MONOTONIC offset from the kernel's, in ns: non-zero
 * inside a time namespace (/proc/self/timens_offsets), where the datapath's
 * bpf_ktime_get_ns() still runs on the kernel's clock. Read once: a
 * process cannot change its time namespace's offsets once it runs in it.
 */
static __s64 timens_offset_ns(void)
{
	static int done;
	static __s64 off;
	long long sec, nsec;
	char name[32];
	FILE *f;

	if (done)
		return off;
	done = 1;
	f = fopen("/proc/self/timens_offsets", "r");
	if (!f)
		return off; /* no time namespaces in this kernel */
	while (fscanf(f, "%31s %lld %lld", name, &sec, &nsec) == 3)
		if (!strcmp(name, "monotonic"))
			off = sec * 1000000000LL + nsec;
	fclose(f);
	return off;
}

__u64 fg_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec - timens_offset_ns();
}
