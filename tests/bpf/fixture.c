// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "fixture.h"
#include "pins.h"
#include "layout.h"
#include "parse.h"
#include "upstreams.h"
#include "upstream_entry.h"

struct floodgate *fx_skel;
struct fg_maps fx_maps = FG_MAPS_INIT;

void fx_unload(void)
{
	floodgate__destroy(fx_skel);
	fx_skel = NULL;
}

/* Empty one map: delete every key of a hash or trie, zero every slot of an
 * array (per-CPU ones for each possible CPU). */
static int fx_clear_map(const struct bpf_map *m)
{
	int fd = bpf_map__fd(m), ncpu = libbpf_num_possible_cpus();
	enum bpf_map_type t = bpf_map__type(m);
	size_t vsz = bpf_map__value_size(m);
	char key[64], next[64];
	void *zero;
	int ret = 0;

	if (t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY) {
		if (t == BPF_MAP_TYPE_PERCPU_ARRAY)
			vsz = ((vsz + 7) & ~7UL) * (ncpu > 0 ? ncpu : 1);
		zero = calloc(1, vsz);
		if (!zero)
			return -ENOMEM;
		for (__u32 i = 0; i < bpf_map__max_entries(m) && !ret; i++)
			ret = bpf_map_update_elem(fd, &i, zero, BPF_ANY);
		free(zero);
		return ret;
	}
	if (bpf_map__key_size(m) > sizeof(key))
		return -E2BIG;
	/* Always from the first key: the one just deleted cannot lead on. */
	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, bpf_map__key_size(m));
		if (bpf_map_delete_elem(fd, key))
			return -errno;
	}
	return 0;
}

/*
 * Verifying the programs is what a load costs (~0.4 s): a loaded skeleton
 * is kept and its maps emptied instead, which is the state a fresh load
 * gives, since the programs keep all their state in maps.
 */
static int fx_clear(void)
{
	struct bpf_map *m;
	int ret;

	bpf_object__for_each_map(m, fx_skel->obj) {
		if (bpf_map__type(m) == BPF_MAP_TYPE_ARRAY && bpf_map__is_internal(m))
			continue; /* .rodata and friends */
		ret = fx_clear_map(m);
		if (ret)
			return ret;
	}
	return 0;
}

int fx_pin_maps(const char *dir)
{
	struct floodgate *skel;
	char p[256];
	int ret;

	if (fg_mkdir_p(dir))
		return -1;
	skel = floodgate__open();
	if (!skel)
		return -1;
	for (int i = 0; i < fg_map_count; i++) {
		fg_pin_path(p, sizeof(p), dir, fg_map_names[i]);
		bpf_map__set_pin_path(fg_skel_map(skel, i), p);
	}
	ret = floodgate__load(skel);
	floodgate__destroy(skel); /* the pins hold the maps */
	return ret ? -1 : 0;
}

int fx_pin_foreign(const char *dir, const char *name, enum bpf_map_type t, __u32 key,
		   __u32 value, __u32 max)
{
	char p[256];
	int fd, ret;

	fg_pin_path(p, sizeof(p), dir, name);
	unlink(p);
	fd = bpf_map_create(t, "foreign", key, value, max, NULL);
	if (fd < 0)
		return -errno;
	ret = bpf_obj_pin(fd, p) ? -errno : 0;
	close(fd);
	return ret;
}

void fx_unpin_maps(const char *dir)
{
	char p[256];

	for (int i = 0; i < fg_map_count; i++) {
		fg_pin_path(p, sizeof(p), dir, fg_map_names[i]);
		unlink(p);
	}
	rmdir(dir);
}

int fx_load(void)
{
	/* A small bucket map loads faster; capacity is not under test here. */
	return fx_load_sized(65536);
}

int fx_load_sized(__u32 buckets)
{
	struct fg_config cfg;

	/* A map's size is fixed at load: another size needs a new load. */
	if (fx_skel && bpf_map__max_entries(fx_skel->maps.buckets) == buckets && fx_clear() == 0)
		goto loaded;
	fx_unload();
	fx_skel = floodgate__open();
	if (!fx_skel)
		return -1;
	bpf_map__set_max_entries(fx_skel->maps.buckets, buckets);
	if (floodgate__load(fx_skel)) {
		fx_unload();
		return -1;
	}
	fx_maps.config = bpf_map__fd(fx_skel->maps.config_map);
	fx_maps.policy = bpf_map__fd(fx_skel->maps.policy);
	fx_maps.buckets = bpf_map__fd(fx_skel->maps.buckets);
	fx_maps.stats = bpf_map__fd(fx_skel->maps.stats);
	fx_maps.upstreams = bpf_map__fd(fx_skel->maps.upstreams);
	fx_maps.upstream_ports = bpf_map__fd(fx_skel->maps.upstream_ports);
	fx_maps.upstream_stats = bpf_map__fd(fx_skel->maps.upstream_stats);
	fx_maps.pending_syn = bpf_map__fd(fx_skel->maps.pending_syn);
	fx_maps.flows = bpf_map__fd(fx_skel->maps.flows);
	fx_maps.upstream_rt = bpf_map__fd(fx_skel->maps.upstream_rt);
	fx_maps.hot = bpf_map__fd(fx_skel->maps.hot);
	fx_maps.shares = bpf_map__fd(fx_skel->maps.shares);
loaded:
	fg_config_defaults(&cfg);
	cfg.heartbeat_ns = fg_now_ns(); /* a live controller unless a test says not */
	cfg.stale_ns = 3600ULL * 1000000000ULL;
	return fg_config_set(&fx_maps, &cfg);
}

int fx_run(struct bpf_program *prog, const void *frame, size_t len, __u32 mark, void *out,
	   __u32 *out_len)
{
	struct __sk_buff skb = { .mark = mark };
	__u8 scratch[512];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = 1,
		    .data_out = out ? out : scratch, .data_size_out = sizeof(scratch));

	if (bpf_program__type(prog) == BPF_PROG_TYPE_SCHED_CLS) {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
	}
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		return -errno;
	if (out_len)
		*out_len = o.data_size_out;
	return o.retval;
}

int fx_run_gso(struct bpf_program *prog, const void *frame, size_t len, __u16 gso_size,
	       __u16 gso_segs)
{
	struct __sk_buff skb = { .gso_size = gso_size, .gso_segs = gso_segs };
	__u8 scratch[512];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = len, .repeat = 1,
		    .data_out = scratch, .data_size_out = sizeof(scratch), .ctx_in = &skb,
		    .ctx_size_in = sizeof(skb));

	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &o))
		return -errno;
	return o.retval;
}

static int run_spec(struct bpf_program *prog, struct pkt_spec s, __u32 mark)
{
	__u8 buf[512];

	return fx_run(prog, buf, pkt_build(&s, buf, sizeof(buf)), mark, NULL, NULL);
}

int fx_xdp(struct pkt_spec s)
{
	return run_spec(fx_skel->progs.xdp_ingress, s, 0);
}

int fx_tc_egress(struct pkt_spec s, __u32 mark)
{
	return run_spec(fx_skel->progs.tc_egress, s, mark);
}

int fx_tc_ingress(struct pkt_spec s)
{
	return run_spec(fx_skel->progs.tc_ingress, s, 0);
}

void fx_policy(const char *prefix, enum fg_action act, const char *rate, __u32 burst,
	       enum fg_bucket_per per)
{
	struct fg_policy pol = { .action = act, .per = per, .burst = burst };
	char err[FG_ERR_LEN];
	struct fg_lpm_key key;
	struct fg_rate r;

	if (!ASSERT_OK(fg_parse_prefix(prefix, &key, err, sizeof(err)), prefix))
		return;
	pol.prefixlen = key.prefixlen;
	if (rate) {
		ASSERT_OK(fg_parse_rate(rate, &r, err, sizeof(err)), rate);
		pol.interval_ns = r.interval_ns;
	}
	ASSERT_OK(bpf_map_update_elem(fx_maps.policy, &key, &pol, BPF_ANY), "policy update");
	ASSERT_OK(fg_policy_bump_gen(&fx_maps), "bump gen");
}

void fx_policy_raw(const char *prefix, struct fg_policy pol)
{
	char err[FG_ERR_LEN];
	struct fg_lpm_key key;

	if (!ASSERT_OK(fg_parse_prefix(prefix, &key, err, sizeof(err)), prefix))
		return;
	pol.prefixlen = key.prefixlen;
	ASSERT_OK(bpf_map_update_elem(fx_maps.policy, &key, &pol, BPF_ANY), "policy update");
	ASSERT_OK(fg_policy_bump_gen(&fx_maps), "bump gen");
}

void fx_new_sources(const char *prefix, const char *rate, __u32 burst, const char *budget)
{
	struct fg_policy pol = { .action = FG_ACT_LIMIT, .burst = burst };
	char err[FG_ERR_LEN];
	struct fg_rate r;

	ASSERT_OK(fg_parse_rate(rate, &r, err, sizeof(err)), rate);
	pol.interval_ns = r.interval_ns;
	ASSERT_OK(fg_parse_new_sources(budget, &pol.new_interval_ns, &pol.new_burst, err,
				       sizeof(err)), budget);
	fx_policy_raw(prefix, pol);
}

static int bucket_key(const char *src, __u32 plen, struct fg_bucket_key *key)
{
	struct fg_lpm_key k;
	char err[FG_ERR_LEN];

	memset(key, 0, sizeof(*key));
	if (fg_parse_prefix(src, &k, err, sizeof(err)))
		return -1;
	memcpy(key->addr, k.addr, sizeof(key->addr));
	key->plen = plen;
	return 0;
}

int fx_has_bucket(const char *src, __u32 plen)
{
	struct fg_bucket_key key;
	struct fg_bucket b;

	if (bucket_key(src, plen, &key))
		return -1;
	return bpf_map_lookup_elem(fx_maps.buckets, &key, &b) == 0;
}

int fx_bucket_age(const char *src, __u32 plen, __u64 ns)
{
	struct fg_bucket_key key;
	struct fg_bucket b;

	if (bucket_key(src, plen, &key) || bpf_map_lookup_elem(fx_maps.buckets, &key, &b))
		return -ENOENT;
	b.tat -= ns < b.tat ? ns : b.tat;
	return bpf_map_update_elem(fx_maps.buckets, &key, &b, BPF_EXIST) ? -errno : 0;
}

int fx_bucket_get(const char *src, __u32 plen, struct fg_bucket *b)
{
	struct fg_bucket_key key;

	if (bucket_key(src, plen, &key) || bpf_map_lookup_elem(fx_maps.buckets, &key, b))
		return -ENOENT;
	return 0;
}

int fx_hot_get(const char *src, __u32 plen, struct fg_hot *h)
{
	struct fg_bucket_key key;

	if (bucket_key(src, plen, &key) || bpf_map_lookup_elem(fx_maps.hot, &key, h))
		return -ENOENT;
	return 0;
}

int fx_hot_del(const char *src, __u32 plen)
{
	struct fg_bucket_key key;

	if (bucket_key(src, plen, &key) || bpf_map_delete_elem(fx_maps.hot, &key))
		return -ENOENT;
	return 0;
}

int fx_share_set(const char *src, __u32 plen, const struct fg_share *sh)
{
	struct fg_bucket_key key;

	if (bucket_key(src, plen, &key))
		return -EINVAL;
	if (!sh)
		return bpf_map_delete_elem(fx_maps.shares, &key) ? -errno : 0;
	return bpf_map_update_elem(fx_maps.shares, &key, sh, BPF_ANY) ? -errno : 0;
}

__u64 fx_stat(int idx)
{
	__u64 c[FG_STAT_MAX];

	if (fg_stats_sum(&fx_maps, c))
		return ~0ULL;
	return c[idx];
}

__u64 fx_ustat(__u32 id, int idx)
{
	__u64 c[FG_U_MAX];

	if (fg_upstream_stats_sum(&fx_maps, id, c))
		return ~0ULL;
	return c[idx];
}

void fx_config(void (*edit)(struct fg_config *cfg, void *arg), void *arg)
{
	struct fg_config cfg;

	ASSERT_OK(fg_config_get(&fx_maps, &cfg), "read config");
	edit(&cfg, arg);
	ASSERT_OK(fg_config_set(&fx_maps, &cfg), "write config");
}

static void set_heartbeat(struct fg_config *cfg, void *arg)
{
	cfg->heartbeat_ns = fg_now_ns() - *(__u64 *)arg;
	cfg->stale_ns = 1000000000ULL; /* 1 s */
}

void fx_heartbeat(__u64 age_ns)
{
	fx_config(set_heartbeat, &age_ns);
}

void fx_snap(struct fx_snap *snap, __u32 id)
{
	snap->id = id;
	ASSERT_OK(fg_stats_sum(&fx_maps, snap->s), "read counters");
	ASSERT_OK(fg_upstream_stats_sum(&fx_maps, id, snap->u), "read upstream counters");
}

void fx_expect_moved(const struct fx_snap *snap, int stat, int ustat1, int ustat2,
		     const char *what)
{
	struct fx_snap now;
	char msg[256];

	fx_snap(&now, snap->id);
	for (int c = 0; c < FG_STAT_MAX; c++) {
		snprintf(msg, sizeof(msg), "%s: %s", what, fg_stat_names[c]);
		ASSERT_EQ(now.s[c], snap->s[c] + (c == stat), msg);
	}
	for (int c = 0; c < FG_U_MAX; c++) {
		snprintf(msg, sizeof(msg), "%s: upstream %s", what, fg_ustat_names[c]);
		ASSERT_EQ(now.u[c], snap->u[c] + (c == ustat1) + (c == ustat2), msg);
	}
}

int fx_upstream_get(const char *ep, __u8 proto, struct fg_upstream_key *key,
		    struct fg_upstream *val)
{
	char err[FG_ERR_LEN];
	__u16 port;

	memset(key, 0, sizeof(*key));
	if (!ASSERT_OK(fg_parse_endpoint(ep, key->addr, &port, err, sizeof(err)), ep))
		return -1;
	key->port = htons(port);
	key->proto = proto;
	return bpf_map_lookup_elem(fx_maps.upstreams, key, val) ? -errno : 0;
}

int fx_upstream(const char *ep, __u8 proto, enum fg_breaker state, enum fg_reject reject,
		int forced, __s32 permits)
{
	struct fg_upstream_entry *list = NULL;
	struct fg_upstream_key key = {};
	struct fg_upstream val = {};
	char err[FG_ERR_LEN];
	__u16 port;
	int n;

	if (!ASSERT_OK(fg_parse_endpoint(ep, key.addr, &port, err, sizeof(err)), ep))
		return -1;
	key.port = htons(port);
	key.proto = proto;
	n = fg_upstreams_read(&fx_maps, &list);
	val.id = fg_upstreams_free_id(list, n);
	free(list);
	val.state = state;
	val.reject = reject;
	val.forced = forced;
	val.permits = permits;
	snprintf(val.name, sizeof(val.name), "u%u", val.id);
	ASSERT_OK(fg_entry_put(&fx_maps, &key, &val, BPF_ANY), "add upstream");
	return val.id;
}
