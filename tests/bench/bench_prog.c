// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
/*
 * bench_prog: ns per packet of floodgate's XDP program under
 * BPF_PROG_TEST_RUN, side by side with an XDP_PASS program (the floor)
 * measured the same way in the same run, plus the bucket map's memory.
 *
 *   1a  one hot source on the drop path (rate 1/s burst 1, already spent),
 *       and one on the pass path (a limit it never reaches: 1/ns, burst 1e9),
 *       repeat=R per call: IPv4 and IPv6 (a /64 bucket).
 *   1b  1,000,000 distinct sources, one call per packet (repeat=1), the
 *       source rewritten in user space before every call, for the floor too.
 *       Sources are 1M distinct /64s of 2001:db8::/32 (2001:db8:HHHH:LLLL::1),
 *       so the default IPv6 bucketing (/64) gives one bucket per source.
 *       IPv4 cannot: 198.18.0.0/15 holds only 131,072 addresses. Every pass
 *       walks the sources in a fresh random order, so bucket memory is not
 *       touched sequentially; one warm pass inserts them first. The policy
 *       is 1000/s per source, so measured packets take the pass path (GCRA
 *       compare-and-swap), the costlier of the two.
 *   1c  bucket map memory (kernel's memlock figure in fdinfo) per entry,
 *       entries actually tracked after the warm pass, key and value sizes.
 *   1e  the minimal GCRA reference (xdp_gcra_ref in nic_ref.bpf.o: LPM + LRU +
 *       one clock read + CAS, IPv4 only, 4-byte keys) beside floodgate: on
 *       1a's pass path (interleaved with hot_pass_v4, one source under the
 *       same generous limit), and over the 131,072 IPv4 sources of
 *       198.18.0.0/15 at 1000/s each, one call per packet, both tables full
 *       (floodgate's holds 1b's 1M IPv6 buckets, the reference's is filled
 *       to the same count from user space), so both pay table-sized misses.
 *   1d  unknown sources against known ones (DESIGN §3 "Unknown sources"):
 *       one call per packet over N fresh /64s each pass, kernel ns summed:
 *       known (buckets warmed first, pass path), admitted by a budget that
 *       always has a token (inserts a bucket), past an exhausted budget
 *       (overflow bucket, over: the flood's common case), and inserted with
 *       the budget off (the path before budgets), each in its own /36.
 *
 * 1a times are wall-clock ns per repetition of one call with a large repeat
 * (the kernel's opts.duration is an integer, too coarse for a 5 ns floor; it
 * is printed beside); 1b times are the kernel's opts.duration summed over the
 * calls (the wall-clock per call, mostly syscall overhead, is printed beside).
 * Each figure is the median over interleaved runs of floor and floodgate.
 * Output: one "key value" line per figure, read by tests/bench/run.sh.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include "maps.h"
#include "bench/bench_util.h"
#include "bpf/pkt.h"
#include "parse.h"
#include "floodgate.skel.h"
#include "tests/xdp_pass.skel.h" /* build/tests/, from tests/bpf/progs/ */

#define XDP_DROP_RC 1
#define XDP_PASS_RC 2

struct opts {
	int ref_fd; /* xdp_gcra_ref, or -1 */
	int vs_fd;  /* --vs: another floodgate object's xdp_ingress, or -1 */
	int runs;
	int repeat;
	__u32 sources;
	int passes;
	int cpu;
	int policy_fd;
};

/* The frames: Ethernet + IPv4 (64 bytes) or IPv6 (84: the same 22 payload
 * bytes) + UDP 40000 -> 9, built by the BPF tests' packet builder. */
static int build_udp(__u8 *buf, size_t cap, const char *src)
{
	return (int)pkt_build(&(struct pkt_spec){ .src = src, .payload = 22 }, buf, cap);
}

static int set_limit(int policy_fd, const char *prefix, const char *rate, __u32 burst)
{
	struct fg_lpm_key key;
	struct fg_policy pol = {};
	struct fg_rate r;
	char err[FG_ERR_LEN];

	if (fg_parse_prefix(prefix, &key, err, sizeof(err)) ||
	    fg_parse_rate(rate, &r, err, sizeof(err))) {
		fprintf(stderr, "bench_prog: %s\n", err);
		return -EINVAL;
	}
	pol.action = FG_ACT_LIMIT;
	pol.per = FG_PER_SOURCE;
	pol.interval_ns = r.interval_ns;
	pol.burst = burst ? burst : fg_default_burst(&r);
	pol.prefixlen = key.prefixlen;
	if (bpf_map_update_elem(policy_fd, &key, &pol, BPF_ANY)) {
		fprintf(stderr, "bench_prog: Failed to write policy %s: %s\n", prefix,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/* A limit no test run reaches: 1 packet/ns, a second of burst. */
static int set_generous(int policy_fd, const char *prefix)
{
	struct fg_policy pol = { .action = FG_ACT_LIMIT, .per = FG_PER_SOURCE, .interval_ns = 1,
				 .burst = 1000000000 };
	struct fg_lpm_key key;
	char err[FG_ERR_LEN];

	if (fg_parse_prefix(prefix, &key, err, sizeof(err)))
		return fprintf(stderr, "bench_prog: %s\n", err), -EINVAL;
	pol.prefixlen = key.prefixlen;
	if (bpf_map_update_elem(policy_fd, &key, &pol, BPF_ANY))
		return fprintf(stderr, "bench_prog: Failed to write policy %s: %s\n", prefix,
			       strerror(errno)), -errno;
	return 0;
}

/*
 * One test run; returns the kernel's per-repetition ns, or -1. *wall gets the
 * wall-clock ns per repetition around the whole call: with a large repeat the
 * call's own overhead vanishes and it keeps the fraction the kernel's integer
 * figure drops.
 */
static long run_once(int prog_fd, void *pkt, __u32 len, int repeat, __u32 *retval,
		     double *wall)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .repeat = repeat);
	__u64 t0 = now_ns();

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -1;
	if (wall)
		*wall = (double)(now_ns() - t0) / repeat;
	*retval = o.retval;
	return o.duration;
}

static __u64 stat_sum(int stats_fd, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1], s = 0;

	if (ncpu < 1 || bpf_map_lookup_elem(stats_fd, &idx, vals))
		return 0;
	for (int c = 0; c < ncpu; c++)
		s += vals[c];
	return s;
}

/* A program measured beside floodgate in the hot cases, by its tag. */
struct other {
	const char *tag;
	int fd;
};

/* 1a: hot source, repeat per call: the drop path (over its limit after the
 * first packet), or with want XDP_PASS_RC the pass path (a limit it never
 * reaches: every packet takes the GCRA compare-and-swap). The others (the
 * reference limiter, a --vs object) run interleaved too, on the same packet,
 * from their own first packet. */
static int bench_hot(const struct opts *o, int fg_fd, int pass_fd, const struct other *ot,
		     int n_ot, int stats_fd, const char *name, void *pkt, int len, __u32 want)
{
	double fg[MAX_RUNS], fl[MAX_RUNS], fgk[MAX_RUNS], flk[MAX_RUNS];
	double ow[2][MAX_RUNS], ok[2][MAX_RUNS];
	__u32 rv = 0, counted = want == XDP_DROP_RC ? FG_R_LIMIT_DROP : FG_R_LIMIT_PASS;
	__u64 drops0;

	/* First packet creates the bucket (passes); everything after is over. */
	for (int i = -1; i < n_ot; i++)
		if (run_once(i < 0 ? fg_fd : ot[i].fd, pkt, len, 1, &rv, NULL) < 0 ||
		    rv != XDP_PASS_RC) {
			fprintf(stderr, "bench_prog: %s: %s first packet: rc %u, expected XDP_PASS\n",
				name, i < 0 ? "floodgate" : ot[i].tag, rv);
			return -1;
		}
	drops0 = stat_sum(stats_fd, counted);
	for (int r = 0; r < o->runs; r++) {
		long a = run_once(pass_fd, pkt, len, o->repeat, &rv, &fl[r]);

		if (a < 0 || rv != XDP_PASS_RC)
			return fprintf(stderr, "bench_prog: XDP_PASS run failed\n"), -1;
		long b = run_once(fg_fd, pkt, len, o->repeat, &rv, &fg[r]);

		if (b < 0 || rv != want)
			return fprintf(stderr, "bench_prog: %s: rc %u, expected %u\n", name, rv,
				       want), -1;
		flk[r] = a;
		fgk[r] = b;
		for (int i = 0; i < n_ot; i++) {
			long c = run_once(ot[i].fd, pkt, len, o->repeat, &rv, &ow[i][r]);

			if (c < 0 || rv != want)
				return fprintf(stderr, "bench_prog: %s: %s rc %u, expected %u\n",
					       name, ot[i].tag, rv, want), -1;
			ok[i][r] = c;
		}
	}
	__u64 drops = stat_sum(stats_fd, counted) - drops0;
	double mf = median(fg, o->runs), mp = median(fl, o->runs);
	double mfk = median(fgk, o->runs);

	printf("%s_floodgate_ns %.2f\n", name, mf);
	printf("%s_xdp_pass_ns %.2f\n", name, mp);
	printf("%s_ratio %.2f\n", name, mf / mp);
	printf("%s_floodgate_kernel_ns %.0f\n", name, mfk);
	printf("%s_xdp_pass_kernel_ns %.0f\n", name, median(flk, o->runs));
	printf("%s_limit_%s %llu\n", name, want == XDP_DROP_RC ? "drops" : "passes",
	       (unsigned long long)drops);
	printf("%s_expected_%s %llu\n", name, want == XDP_DROP_RC ? "drops" : "passes",
	       (unsigned long long)o->runs * o->repeat);
	for (int i = 0; i < n_ot; i++) {
		double mw = median(ow[i], o->runs), mk = median(ok[i], o->runs);
		const char *t = ot[i].tag;

		printf("%s_%s_ns %.2f\n", name, t, mw);
		printf("%s_%s_kernel_ns %.0f\n", name, t, mk);
		printf("%s_vs_%s %.2f\n", name, t, mf / mw);
		printf("%s_vs_%s_kernel %.2f\n", name, t, mfk / mk);
	}
	return 0;
}

static __u64 rng_state = 0x9e3779b97f4a7c15ULL;
static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void shuffle(__u32 *v, __u32 n)
{
	for (__u32 i = n - 1; i > 0; i--) {
		__u32 j = rng() % (i + 1), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

/* Source i -> 2001:db8:HHHH:LLLL::1, i = HHHH << 16 | LLLL; in an IPv4
 * frame, 198.18.0.0 + i (i < 131,072: 198.18.0.0/15). */
static inline void set_src(__u8 *pkt, __u32 i)
{
	struct iphdr *ip = (void *)(pkt + sizeof(struct ethhdr));
	struct ipv6hdr *ip6 = (void *)ip;

	if (ip->version == 4) {
		ip->saddr = htonl(0xc6120000 + i);
		return;
	}
	ip6->saddr.s6_addr16[2] = htons(i >> 16);
	ip6->saddr.s6_addr16[3] = htons(i & 0xffff);
}

/* One call per source in order perm; sums kernel ns, counts bad verdicts. */
static int pass_many(int prog_fd, __u8 *pkt, int len, const __u32 *perm, __u32 n,
		     __u32 want_rc, double *kern_ns, double *wall_ns, __u64 *bad)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = 1);
	__u64 sum = 0, t0 = now_ns();

	*bad = 0;
	for (__u32 k = 0; k < n; k++) {
		set_src(pkt, perm[k]);
		if (bpf_prog_test_run_opts(prog_fd, &o))
			return -errno;
		sum += o.duration;
		*bad += o.retval != want_rc;
	}
	*wall_ns = (double)(now_ns() - t0) / n;
	*kern_ns = (double)sum / n;
	return 0;
}

/* 1b and 1c. */
static int bench_many(const struct opts *o, const struct fg_maps *fm, int fg_fd,
		      int pass_fd, struct bpf_map *buckets)
{
	int stats_fd = fm->stats;
	struct fg_maps m = *fm;
	double fk[MAX_RUNS], fw[MAX_RUNS], pk[MAX_RUNS], pw[MAX_RUNS], vk[MAX_RUNS], wk, ww;
	__u64 entries = 0, cap = 0, mem = 0, bad, bad_fg = 0, bad_pass = 0, new0, new1;
	__u32 n = o->sources, *perm;
	__u8 pkt[128];
	int len, err;

	len = build_udp(pkt, sizeof(pkt), "2001:db8::1");
	perm = malloc(sizeof(*perm) * n);
	if (!perm)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++)
		perm[i] = i;

	/* Warm pass: inserts every source's bucket. */
	shuffle(perm, n);
	new0 = stat_sum(stats_fd, FG_C_NEW_SOURCE);
	err = pass_many(fg_fd, pkt, len, perm, n, XDP_PASS_RC, &wk, &ww, &bad);
	if (!err && o->vs_fd >= 0)
		err = pass_many(o->vs_fd, pkt, len, perm, n, XDP_PASS_RC, &vk[0], &ww, &bad);
	if (err)
		goto out;
	new1 = stat_sum(stats_fd, FG_C_NEW_SOURCE);
	printf("many_warm_new_sources %llu\n", (unsigned long long)(new1 - new0));
	printf("many_warm_floodgate_ns %.1f\n", wk);
	err = fg_buckets_usage(&m, &entries, &cap, &mem);
	if (err)
		goto out;
	mem = fg_map_memory(m.buckets);
	printf("map_tracked_entries %llu\n", (unsigned long long)entries);
	printf("map_max_entries %llu\n", (unsigned long long)cap);
	printf("map_memlock_bytes %llu\n", (unsigned long long)mem);
	printf("map_bytes_per_entry %.1f\n", cap ? (double)mem / cap : 0);
	printf("map_key_size %u\n", bpf_map__key_size(buckets));
	printf("map_value_size %u\n", bpf_map__value_size(buckets));

	new0 = stat_sum(stats_fd, FG_C_NEW_SOURCE);
	for (int r = 0; r < o->passes; r++) {
		shuffle(perm, n);
		err = pass_many(pass_fd, pkt, len, perm, n, XDP_PASS_RC, &pk[r], &pw[r], &bad);
		if (err)
			goto out;
		bad_pass += bad;
		err = pass_many(fg_fd, pkt, len, perm, n, XDP_PASS_RC, &fk[r], &fw[r], &bad);
		if (err)
			goto out;
		bad_fg += bad;
		if (o->vs_fd < 0)
			continue;
		err = pass_many(o->vs_fd, pkt, len, perm, n, XDP_PASS_RC, &vk[r], &ww, &bad);
		if (err)
			goto out;
		bad_fg += bad;
	}
	new1 = stat_sum(stats_fd, FG_C_NEW_SOURCE);
	double mfk = median(fk, o->passes), mpk = median(pk, o->passes);
	double mfw = median(fw, o->passes), mpw = median(pw, o->passes);

	printf("many_sources %u\n", n);
	printf("many_floodgate_ns %.1f\n", mfk);
	printf("many_xdp_pass_ns %.1f\n", mpk);
	printf("many_ratio %.2f\n", mfk / mpk);
	printf("many_floodgate_wall_ns %.1f\n", mfw);
	printf("many_xdp_pass_wall_ns %.1f\n", mpw);
	printf("many_wall_ratio %.2f\n", mfw / mpw);
	printf("many_measured_new_sources %llu\n", (unsigned long long)(new1 - new0));
	printf("many_not_passed %llu\n", (unsigned long long)(bad_fg + bad_pass));
	if (o->vs_fd >= 0) {
		printf("many_alt_ns %.1f\n", median(vk, o->passes));
		printf("many_vs_alt %.2f\n", mfk / median(vk, o->passes));
	}
out:
	if (err)
		fprintf(stderr, "bench_prog: 1M sources: %s\n", strerror(-err));
	free(perm);
	return err;
}

/* The reference's policy for an IPv4 prefix: rate and burst (0: the rate's
 * default), or with rate NULL set_generous()'s limit. */
static int set_ref_limit(int ref_policy_fd, const char *prefix, const char *rate, __u32 burst)
{
	struct { __u32 prefixlen, addr; } key;
	struct { __u64 interval_ns, tolerance_ns; } pol = { 1, 999999999 };
	struct fg_lpm_key k;
	struct fg_rate r;
	char err[FG_ERR_LEN];

	if (fg_parse_prefix(prefix, &k, err, sizeof(err)) ||
	    (rate && fg_parse_rate(rate, &r, err, sizeof(err))))
		return fprintf(stderr, "bench_prog: %s\n", err), -EINVAL;
	key.prefixlen = k.prefixlen - FG_V4_MAPPED_PREFIX;
	memcpy(&key.addr, k.addr + 12, 4);
	if (rate) {
		pol.interval_ns = r.interval_ns;
		pol.tolerance_ns = (__u64)((burst ? burst : fg_default_burst(&r)) - 1) * r.interval_ns;
	}
	if (bpf_map_update_elem(ref_policy_fd, &key, &pol, BPF_ANY))
		return fprintf(stderr, "bench_prog: Failed to write the reference policy: %s\n",
			       strerror(errno)), -errno;
	return 0;
}

/* Fill the reference's table with n keys no measured packet carries
 * (10.0.0.0/8), so that it holds as many entries as floodgate's. */
static int ref_fill(int ref_buckets_fd, __u32 n)
{
	enum { CHUNK = 65536 };
	static __u32 keys[CHUNK];
	static __u64 vals[CHUNK];
	LIBBPF_OPTS(bpf_map_batch_opts, bo);

	for (__u32 done = 0; done < n;) {
		__u32 cnt = n - done < CHUNK ? n - done : CHUNK;

		for (__u32 j = 0; j < cnt; j++)
			keys[j] = htonl(0x0a000000 + done + j);
		if (bpf_map_update_batch(ref_buckets_fd, keys, vals, &cnt, &bo))
			return -errno;
		done += cnt;
	}
	return 0;
}

/*
 * 1e, many sources: the 131,072 IPv4 sources of 198.18.0.0/15 at 1000/s,
 * one call per packet, XDP_PASS, floodgate and the reference interleaved
 * pass by pass (the order alternating), each pass in a fresh random order.
 */
static int bench_many_ref(const struct opts *o, const struct fg_maps *fm, int fg_fd,
			  int pass_fd, int ref_policy_fd, int ref_buckets_fd)
{
	enum { N = 131072, PROGS = 3 };
	double k[PROGS][MAX_RUNS], w, med[PROGS];
	int fds[PROGS] = { pass_fd, fg_fd, o->ref_fd };
	__u64 entries = 0, cap = 0, mem, bad, bads = 0;
	struct fg_maps m = *fm;
	struct fg_config cfg;
	__u32 *perm, zero = 0;
	__u8 pkt[128];
	int len = build_udp(pkt, sizeof(pkt), "198.18.0.1"), err;

	/* The hot cases' /16s at 1000/s now; a new generation re-reads them. */
	if (set_limit(m.policy, "198.18.0.0/16", "1000/s", 0) ||
	    set_limit(m.policy, "198.19.0.0/16", "1000/s", 0) ||
	    set_ref_limit(ref_policy_fd, "198.18.0.0/16", "1000/s", 0) ||
	    set_ref_limit(ref_policy_fd, "198.19.0.0/16", "1000/s", 0) ||
	    bpf_map_lookup_elem(m.config, &zero, &cfg))
		return -EINVAL;
	cfg.policy_gen++;
	if (bpf_map_update_elem(m.config, &zero, &cfg, BPF_ANY))
		return -errno;
	perm = malloc(sizeof(*perm) * N);
	if (!perm)
		return -ENOMEM;
	for (__u32 i = 0; i < N; i++)
		perm[i] = i;
	err = fg_buckets_usage(&m, &entries, &cap, &mem);
	if (!err && entries + N < cap)
		entries = FG_BUCKETS_MAX - N; /* 1b skipped: fill both alike */
	if (!err && entries > N)
		err = ref_fill(ref_buckets_fd, entries - N);
	for (int p = 1; !err && p < PROGS; p++) { /* warm: inserts the sources */
		shuffle(perm, N);
		err = pass_many(fds[p], pkt, len, perm, N, XDP_PASS_RC, &k[p][0], &w, &bad);
	}
	for (int r = 0; !err && r < o->passes; r++) {
		shuffle(perm, N);
		for (int i = 0; !err && i < PROGS; i++) {
			int p = r % 2 ? PROGS - 1 - i : i;

			err = pass_many(fds[p], pkt, len, perm, N, XDP_PASS_RC, &k[p][r], &w, &bad);
			bads += bad;
		}
	}
	free(perm);
	if (err) {
		fprintf(stderr, "bench_prog: IPv4 sources against the reference: %s\n",
			strerror(-err));
		return err;
	}
	for (int p = 0; p < PROGS; p++)
		med[p] = median(k[p], o->passes);
	fg_buckets_usage(&m, &entries, &cap, &mem);
	printf("many_v4_sources %u\n", N);
	printf("many_v4_floodgate_table_entries %llu\n", (unsigned long long)entries);
	printf("many_v4_xdp_pass_ns %.1f\n", med[0]);
	printf("many_v4_floodgate_ns %.1f\n", med[1]);
	printf("many_v4_ref_ns %.1f\n", med[2]);
	printf("many_v4_vs_ref %.2f\n", med[1] / med[2]);
	printf("many_v4_not_passed %llu\n", (unsigned long long)bads);
	return 0;
}

/* 1d: source i of pass r in the /36 whose third group starts with base. */
static int unknown_pass(int prog_fd, __u8 *pkt, int len, __u16 base, __u32 n, __u32 r,
			__u32 want_rc, double *kern_ns, __u64 *bad)
{
	struct ipv6hdr *ip6 = (void *)(pkt + sizeof(struct ethhdr));
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = 1);
	__u64 sum = 0;

	*bad = 0;
	for (__u32 k = 0; k < n; k++) {
		__u32 i = r * n + k;

		ip6->saddr.s6_addr16[2] = htons(base | ((i >> 16) & 0xfff));
		ip6->saddr.s6_addr16[3] = htons(i & 0xffff);
		if (bpf_prog_test_run_opts(prog_fd, &o))
			return -errno;
		sum += o.duration;
		*bad += o.retval != want_rc;
	}
	*kern_ns = (double)sum / n;
	return 0;
}

/* Remove 1d's buckets so that 1b starts from an empty map, as without 1d. */
static void unknown_clean(int buckets_fd, __u16 base, __u32 n, __u32 passes)
{
	struct fg_bucket_key key = { .plen = 64 };

	for (__u32 i = 0; i < n * (passes + 1); i++) {
		key.addr[0] = 0x20, key.addr[1] = 0x01, key.addr[2] = 0x0d, key.addr[3] = 0xb8;
		key.addr[4] = (base | ((i >> 16) & 0xfff)) >> 8;
		key.addr[5] = (base | ((i >> 16) & 0xfff)) & 0xff;
		key.addr[6] = (i >> 8) & 0xff;
		key.addr[7] = i & 0xff;
		bpf_map_delete_elem(buckets_fd, &key);
	}
}

static int set_budget(int policy_fd, const char *prefix, const char *budget)
{
	struct fg_lpm_key key;
	struct fg_policy pol;
	char err[FG_ERR_LEN];

	if (set_limit(policy_fd, prefix, "1000/s", 0) ||
	    fg_parse_prefix(prefix, &key, err, sizeof(err)) ||
	    bpf_map_lookup_elem(policy_fd, &key, &pol) ||
	    fg_parse_new_sources(budget, &pol.new_interval_ns, &pol.new_burst, err, sizeof(err)) ||
	    bpf_map_update_elem(policy_fd, &key, &pol, BPF_ANY)) {
		fprintf(stderr, "bench_prog: Failed to set budget %s on %s\n", budget, prefix);
		return -EINVAL;
	}
	return 0;
}

static int bench_unknown(const struct opts *o, int fg_fd, int stats_fd, int buckets_fd)
{
	static const struct {
		const char *name, *prefix, *budget;
		__u16 base;
		int fresh; /* new sources every pass */
		__u32 rc;
	} c[] = {
		{ "known", "2001:db8:8000::/36", "off", 0x8000, 0, XDP_PASS_RC },
		{ "admitted", "2001:db8:9000::/36", "1000000000/s", 0x9000, 1, XDP_PASS_RC },
		{ "overflow", "2001:db8:a000::/36", "1/h", 0xa000, 1, XDP_DROP_RC },
		{ "insert_no_budget", "2001:db8:b000::/36", "off", 0xb000, 1, XDP_PASS_RC },
	};
	enum { N_CASES = sizeof(c) / sizeof(c[0]) };
	double k[N_CASES][MAX_RUNS], med[N_CASES];
	__u32 n = o->sources < 50000 ? o->sources : 50000; /* all passes fit the map */
	__u64 bad, bads = 0, ov0 = stat_sum(stats_fd, FG_R_OVERFLOW_DROP);
	__u8 pkt[128];
	int len = build_udp(pkt, sizeof(pkt), "2001:db8:8000::1"), err;

	for (int i = 0; i < N_CASES; i++)
		if (set_budget(o->policy_fd, c[i].prefix, c[i].budget))
			return -EINVAL;
	/* Spend the overflow case's budget and overflow bucket (1 each), and
	 * warm the known sources. */
	unknown_pass(fg_fd, pkt, len, 0xa000, 2, 1000, XDP_PASS_RC, &med[0], &bad);
	err = unknown_pass(fg_fd, pkt, len, 0x8000, n, 0, XDP_PASS_RC, &med[0], &bad);
	for (int r = 0; !err && r < o->passes; r++)
		for (int i = 0; !err && i < N_CASES; i++) {
			err = unknown_pass(fg_fd, pkt, len, c[i].base, n, c[i].fresh ? r + 1 : 0,
					   c[i].rc, &k[i][r], &bad);
			bads += bad;
		}
	if (err) {
		fprintf(stderr, "bench_prog: unknown sources: %s\n", strerror(-err));
		return err;
	}
	printf("unknown_sources_per_pass %u\n", n);
	for (int i = 0; i < N_CASES; i++) {
		med[i] = median(k[i], o->passes);
		printf("unknown_%s_ns %.1f\n", c[i].name, med[i]);
	}
	for (int i = 1; i < N_CASES; i++)
		printf("unknown_%s_vs_known %.2f\n", c[i].name, med[i] / med[0]);
	printf("unknown_overflow_drops %llu\n",
	       (unsigned long long)(stat_sum(stats_fd, FG_R_OVERFLOW_DROP) - ov0));
	printf("unknown_wrong_verdicts %llu\n", (unsigned long long)bads);
	for (int i = 0; i < N_CASES; i++)
		unknown_clean(buckets_fd, c[i].base, n, o->passes);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_prog [--runs N] [--repeat R] [--sources M] [--passes P] [--cpu C]\n"
		"                  [--obj FILE] [--vs FILE] [--ref FILE] [--skip-many] [--skip-hot]\n"
		"                  [--skip-unknown]\n"
		"  --runs       interleaved runs for the hot-source cases (default 9)\n"
		"  --repeat     repetitions per run for the hot-source cases (default 1000000)\n"
		"  --sources    distinct sources for the many-source case (default 1000000)\n"
		"  --passes     measured passes over them (default 5)\n"
		"  --cpu        CPU to run on (default 1; -1: do not pin)\n"
		"  --obj        measure this BPF object (program xdp_ingress, maps config_map,\n"
		"               policy, buckets, stats) instead of the built-in skeleton:\n"
		"               how a datapath variant is compared\n"
		"  --vs         another floodgate object (as --obj), measured interleaved\n"
		"               with the first in the hot cases and 1b (*_alt_*): before\n"
		"               and after\n"
		"  --ref        the minimal reference limiter's object (program xdp_gcra_ref,\n"
		"               maps ref_policy, ref_buckets; default nic_ref.bpf.o beside\n"
		"               this program; \"none\": no reference figures)\n"
		"  --skip-many  only the hot-source cases\n"
		"  --skip-hot   only the many-source case and the map's memory\n"
		"  --skip-unknown  no unknown-source case (1d; run before 1b, on a map\n"
		"               that is not full)\n");
}

static struct bpf_map *find_map(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m)
		fprintf(stderr, "bench_prog: the object has no map '%s'\n", name);
	return m;
}

/* A BPF object opened and loaded, or NULL (said). */
static struct bpf_object *open_load(const char *path)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (obj && !bpf_object__load(obj))
		return obj;
	fprintf(stderr, "bench_prog: Failed to load %s: %s\n", path, strerror(errno));
	bpf_object__close(obj);
	return NULL;
}

/* A floodgate object's program and maps, its config and the policies the
 * cases expect. */
static int fg_setup(struct bpf_object *obj, int *prog_fd, struct fg_maps *m,
		    struct bpf_map **buckets, struct fg_config *cfg)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "xdp_ingress");
	struct bpf_map *config = find_map(obj, "config_map"), *policy = find_map(obj, "policy");
	struct bpf_map *stats = find_map(obj, "stats");
	__u32 zero = 0;

	*buckets = find_map(obj, "buckets");
	if (!prog || !config || !policy || !*buckets || !stats) {
		fprintf(stderr, "bench_prog: program xdp_ingress or a map is missing\n");
		return -1;
	}
	*prog_fd = bpf_program__fd(prog);
	m->config = bpf_map__fd(config);
	m->policy = bpf_map__fd(policy);
	m->buckets = bpf_map__fd(*buckets);
	m->stats = bpf_map__fd(stats);
	fg_config_defaults(cfg);
	if (bpf_map_update_elem(m->config, &zero, cfg, BPF_ANY)) {
		fprintf(stderr, "bench_prog: Failed to write config: %s\n", strerror(errno));
		return -1;
	}
	/* Hot sources at 1/s burst 1: over after their first packet. The 1M
	 * sources at 1000/s, per source (a /64 each). */
	return set_limit(m->policy, "198.18.0.0/16", "1/s", 1) ||
	       set_generous(m->policy, "198.19.0.0/16") ||
	       set_limit(m->policy, "2001:db8:ffff::/48", "1/s", 1) ||
	       set_limit(m->policy, "2001:db8::/32", "1000/s", 0) ? -1 : 0;
}

/* The reference limiter: path, else nic_ref.bpf.o beside this program;
 * "none" loads nothing. */
static int load_ref(const char *path, struct bpf_object **obj, int *prog_fd, int *policy_fd,
		    int *buckets_fd)
{
	char self[4096], buf[4096 + 32], *slash;
	ssize_t n;
	struct bpf_program *prog;
	struct bpf_map *pol, *bk;

	if (path && !strcmp(path, "none"))
		return 0;
	if (!path) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return fprintf(stderr, "bench_prog: /proc/self/exe: %s\n", strerror(errno)), -1;
		self[n] = 0;
		slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		snprintf(buf, sizeof(buf), "%s/nic_ref.bpf.o", self);
		path = buf;
	}
	*obj = open_load(path);
	if (!*obj)
		return -1;
	prog = bpf_object__find_program_by_name(*obj, "xdp_gcra_ref");
	pol = find_map(*obj, "ref_policy");
	bk = find_map(*obj, "ref_buckets");
	if (!prog || !pol || !bk)
		return fprintf(stderr, "bench_prog: %s: no xdp_gcra_ref or its maps\n", path), -1;
	*prog_fd = bpf_program__fd(prog);
	*policy_fd = bpf_map__fd(pol);
	*buckets_fd = bpf_map__fd(bk);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "sources", required_argument, NULL, 's' },
		{ "passes", required_argument, NULL, 'p' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "obj", required_argument, NULL, 'o' },
		{ "ref", required_argument, NULL, 'f' },
		{ "vs", required_argument, NULL, 'v' },
		{ "skip-many", no_argument, NULL, 'S' },
		{ "skip-hot", no_argument, NULL, 'H' },
		{ "skip-unknown", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct opts o = { .ref_fd = -1, .vs_fd = -1, .runs = 9, .repeat = 1000000, .sources = 1000000, .passes = 5,
			  .cpu = 1 };
	struct floodgate *fg = NULL;
	struct xdp_pass *xp = NULL;
	struct bpf_object *obj = NULL, *alt = NULL;
	struct bpf_map *buckets;
	const char *obj_path = NULL, *ref_path = NULL, *vs_path = NULL;
	struct bpf_object *ref = NULL, *vs = NULL;
	int ref_policy_fd = -1, ref_buckets_fd = -1;
	struct fg_config cfg;
	struct fg_maps m;
	__u8 pkt[128];
	int opt, len, fg_fd, skip_many = 0, skip_hot = 0, skip_unknown = 0, ret = 1;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'r': o.runs = atoi(optarg); break;
		case 'R': o.repeat = atoi(optarg); break;
		case 's': o.sources = strtoul(optarg, NULL, 10); break;
		case 'p': o.passes = atoi(optarg); break;
		case 'c': o.cpu = atoi(optarg); break;
		case 'o': obj_path = optarg; break;
		case 'f': ref_path = optarg; break;
		case 'v': vs_path = optarg; break;
		case 'S': skip_many = 1; break;
		case 'H': skip_hot = 1; break;
		case 'U': skip_unknown = 1; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (o.runs < 1 || o.runs > MAX_RUNS || o.passes < 1 || o.passes > MAX_RUNS ||
	    o.repeat < 1 || o.sources < 2 || o.sources > (1u << 20)) {
		usage();
		return 2;
	}
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "bench_prog: cannot pin to CPU %d: %s\n", o.cpu,
				strerror(errno));
	}

	xp = xdp_pass__open_and_load();
	if (obj_path) {
		alt = open_load(obj_path);
		if (!alt)
			goto out;
		obj = alt;
	} else {
		fg = floodgate__open_and_load();
		obj = fg ? fg->obj : NULL;
	}
	if (!obj || !xp) {
		fprintf(stderr, "bench_prog: Failed to load BPF programs: %s\n", strerror(errno));
		goto out;
	}
	if (fg_setup(obj, &fg_fd, &m, &buckets, &cfg))
		goto out;
	if (vs_path) {
		struct fg_maps vm;
		struct bpf_map *vb;

		vs = open_load(vs_path);
		if (!vs || fg_setup(vs, &o.vs_fd, &vm, &vb, &cfg))
			goto out;
	}
	if (load_ref(ref_path, &ref, &o.ref_fd, &ref_policy_fd, &ref_buckets_fd) ||
	    (ref && (set_ref_limit(ref_policy_fd, "198.18.0.0/16", "1/s", 1) ||
		     set_ref_limit(ref_policy_fd, "198.19.0.0/16", NULL, 0))))
		goto out;
	printf("cfg_object %s\n", obj_path ? obj_path : "built-in");
	printf("cfg_ref %s\n", ref ? bpf_object__name(ref) : "none");
	printf("cfg_vs %s\n", vs_path ? vs_path : "none");
	printf("cfg_v6_prefix %u\n", cfg.v6_prefix);
	printf("cfg_runs %d\n", o.runs);
	printf("cfg_repeat %d\n", o.repeat);
	printf("cfg_passes %d\n", o.passes);

	int pass_fd = bpf_program__fd(xp->progs.xdp_pass);
	/* The reference is IPv4-only: the IPv6 case has only the --vs object. */
	struct other ot[2];
	int n4 = 0, n6 = 0;

	if (o.vs_fd >= 0)
		ot[n4++] = (struct other){ "alt", o.vs_fd }, n6 = 1;
	if (o.ref_fd >= 0)
		ot[n4++] = (struct other){ "ref", o.ref_fd };

	len = build_udp(pkt, sizeof(pkt), "198.18.7.7");
	if (!skip_hot && bench_hot(&o, fg_fd, pass_fd, ot, n4, m.stats, "hot_v4", pkt, len,
				   XDP_DROP_RC))
		goto out;
	len = build_udp(pkt, sizeof(pkt), "2001:db8:ffff:1::7");
	if (!skip_hot && bench_hot(&o, fg_fd, pass_fd, ot, n6, m.stats, "hot_v6", pkt, len,
				   XDP_DROP_RC))
		goto out;
	len = build_udp(pkt, sizeof(pkt), "198.19.7.7");
	if (!skip_hot && bench_hot(&o, fg_fd, pass_fd, ot, n4, m.stats, "hot_pass_v4", pkt, len,
				   XDP_PASS_RC))
		goto out;
	o.policy_fd = m.policy;
	if (!skip_unknown && bench_unknown(&o, fg_fd, m.stats, m.buckets))
		goto out;
	if (!skip_many && bench_many(&o, &m, fg_fd, pass_fd, buckets))
		goto out;
	if (!skip_many && ref && bench_many_ref(&o, &m, fg_fd, pass_fd, ref_policy_fd,
						ref_buckets_fd))
		goto out;
	ret = 0;
out:
	floodgate__destroy(fg);
	bpf_object__close(alt);
	bpf_object__close(ref);
	bpf_object__close(vs);
	xdp_pass__destroy(xp);
	return ret;
}
