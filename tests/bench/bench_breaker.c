// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
/*
 * bench_breaker: what the circuit breakers cost the datapath, under
 * BPF_PROG_TEST_RUN, every figure beside its reference in the same run.
 *
 *   xdp  floodgate's xdp_ingress over a TCP ACK to a destination that is NOT
 *        an upstream, with UPSTREAMS upstreams configured (ports 80 and 443 of
 *        198.18.2.10 and up, closed) against the same packet with no
 *        upstream configured: the breaker check's added cost.
 *          port9000  198.18.0.1:9000, a port no upstream uses: the port
 *                    bitmap says no, no hash lookup
 *          port80    198.18.0.1:80, port 80 of an address that is no
 *                    upstream: the bitmap says maybe, the hash lookup misses
 *          upstream  198.18.2.10:80, an upstream with a closed breaker (for
 *                    information: its own traffic, a hash hit)
 *        Each with two limiter set-ups that keep the limiter's share small:
 *          nopol     a source no policy covers (bucket miss, trie miss, pass)
 *          limit     a hot source with a limit it stays within (100M/s: the
 *                    cached bucket, a GCRA compare-and-swap, pass)
 *        One program instance: the upstreams (and the port bitmap that
 *        floodgate keeps beside them) are added and removed between the two
 *        runs of a pair, so both runs use the same JITed image and maps.
 *   tc   tc_egress and tc_ingress over three frames, each beside tc_ok (a
 *        classifier that only returns OK) in the same run:
 *          syn       SYN 198.18.1.2:40000 -> 198.18.2.10:80, a closed upstream
 *                    (egress: breaker check, SYN count, pending_syn insert
 *                    that finds the flow there after the first repetition:
 *                    a retransmit)
 *          ack       ACK 198.18.1.2:40000 -> 198.18.3.3:80, no upstream
 *          http      198.18.2.10:80 -> 198.18.1.2:40000, ACK+PSH with
 *                    "HTTP/1.1 200 OK" on no connection the datapath saw open
 *                    (ingress: flow lookup misses, status line read, counted
 *                    as ignored; bench_observe measures the tracked flows)
 *        and tc_egress over SYNs of FLOWS distinct connections, one call per
 *        SYN (repeat=1), so each inserts its own pending_syn entry (the LRU
 *        evicts when full), then over the same SYNs again (their entries
 *        found: retransmits), beside tc_ok called the same way.
 *
 * The repeat cases are wall-clock ns per repetition of one call with a large
 * repeat (the kernel's opts.duration is an integer ns, too coarse here). The
 * per-SYN case is the kernel's per-call duration summed over the calls (it
 * includes the kernel's two clock reads around one run, so the floor is
 * higher). Every figure is the median over RUNS interleaved rounds; the order
 * of a pair alternates between rounds; ratios and differences are taken
 * within a round (a pair's two runs are adjacent), then their median. Many
 * short rounds rather than a few long ones: a pair's runs sit closer in
 * time, so what the machine's neighbours do hits both alike. Output: "key value" lines, read by tests/bench/run.sh.
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
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>

#include "maps.h"
#include "bench/bench_util.h"
#include "parse.h"
#include "upstreams.h"
#include "upstream_entry.h"
#include "bpf/pkt.h"
#include "floodgate.skel.h"
#include "tests/xdp_pass.skel.h" /* build/tests/, from tests/bpf/progs/ */
#include "tests/tc_ok.skel.h"

#define XDP_PASS_RC 2
#define TC_ACT_OK_RC 0
#define MAX_UPSTREAMS 256

struct opts {
	int runs;
	int repeat;
	int upstreams;
	__u32 flows;
	int cpu;
	int skip_xdp, skip_tc;
};

static struct fg_maps fm = FG_MAPS_INIT;
static struct fg_upstream_key ukeys[MAX_UPSTREAMS];
static int nukeys, ups_on;

/* One call with repeat; wall-clock ns per repetition, or -1. */
static double run_rep(int fd, const void *pkt, __u32 len, int repeat, __u32 want)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len,
		    .repeat = repeat);
	__u64 t0 = now_ns();

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "bench_breaker: test run: %s\n", strerror(errno));
		return -1;
	}
	if (o.retval != want) {
		fprintf(stderr, "bench_breaker: verdict %u, expected %u\n", o.retval, want);
		return -1;
	}
	return (double)(now_ns() - t0) / repeat;
}

static __u64 stat_sum(__u32 idx)
{
	__u64 c[FG_STAT_MAX];

	if (fg_stats_sum(&fm, c))
		return ~0ULL;
	return c[idx];
}

/* Turn the configured upstreams on (all UPSTREAMS keys, closed) or off. */
static int set_upstreams(int on)
{
	if (on == ups_on)
		return 0;
	for (int i = 0; i < nukeys; i++) {
		struct fg_upstream val = { .state = FG_BREAKER_CLOSED, .id = i };
		int err;

		snprintf(val.name, sizeof(val.name), "b%d", i);
		err = on ? fg_entry_put(&fm, &ukeys[i], &val, BPF_ANY)
			 : fg_entry_delete(&fm, &ukeys[i]);
		if (err) {
			fprintf(stderr, "bench_breaker: upstream %s: %s\n", on ? "add" : "del",
				strerror(-err));
			return -1;
		}
	}
	ups_on = on;
	return 0;
}

static int make_upstream_keys(int n)
{
	char ep[64], err[FG_ERR_LEN];
	__u16 port;

	/* 198.18.2.10:80, 198.18.2.10:443, 198.18.2.11:80, ... */
	for (int i = 0; i < n; i++) {
		snprintf(ep, sizeof(ep), "198.18.2.%d:%d", 10 + i / 2, i % 2 ? 443 : 80);
		memset(&ukeys[i], 0, sizeof(ukeys[i]));
		if (fg_parse_endpoint(ep, ukeys[i].addr, &port, err, sizeof(err))) {
			fprintf(stderr, "bench_breaker: %s\n", err);
			return -1;
		}
		ukeys[i].port = htons(port);
		ukeys[i].proto = IPPROTO_TCP;
	}
	nukeys = n;
	return 0;
}

static int set_policy(const char *prefix, const char *rate)
{
	struct fg_lpm_key key;
	struct fg_policy pol = {};
	struct fg_rate r;
	char err[FG_ERR_LEN];

	if (fg_parse_prefix(prefix, &key, err, sizeof(err)) ||
	    fg_parse_rate(rate, &r, err, sizeof(err))) {
		fprintf(stderr, "bench_breaker: %s\n", err);
		return -1;
	}
	pol.action = FG_ACT_LIMIT;
	pol.per = FG_PER_SOURCE;
	pol.interval_ns = r.interval_ns;
	pol.burst = fg_default_burst(&r);
	pol.prefixlen = key.prefixlen;
	if (bpf_map_update_elem(fm.policy, &key, &pol, BPF_ANY) || fg_policy_bump_gen(&fm)) {
		fprintf(stderr, "bench_breaker: policy %s: %s\n", prefix, strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ xdp */
struct xcase {
	const char *pol, *dst;
	const char *src, *daddr;
	__u16 dport;
	__u8 pkt[128];
	__u32 len;
	double base[MAX_RUNS], ups[MAX_RUNS], pct[MAX_RUNS], diff[MAX_RUNS];
};

static int bench_xdp(const struct opts *o, int fg_fd, int pass_fd)
{
	struct xcase c[] = {
		{ .pol = "nopol", .dst = "port9000", .src = "198.18.7.7", .daddr = "198.18.0.1", .dport = 9000 },
		{ .pol = "nopol", .dst = "port80", .src = "198.18.7.7", .daddr = "198.18.0.1", .dport = 80 },
		{ .pol = "nopol", .dst = "upstream", .src = "198.18.7.7", .daddr = "198.18.2.10", .dport = 80 },
		{ .pol = "limit", .dst = "port9000", .src = "198.19.7.7", .daddr = "198.18.0.1", .dport = 9000 },
		{ .pol = "limit", .dst = "port80", .src = "198.19.7.7", .daddr = "198.18.0.1", .dport = 80 },
		{ .pol = "limit", .dst = "upstream", .src = "198.19.7.7", .daddr = "198.18.2.10", .dport = 80 },
	};
	const int nc = sizeof(c) / sizeof(c[0]);
	double floor_ns[MAX_RUNS];
	__u64 drops0, np0, lp0, brk0;

	/* Only the limit sources (198.19.0.0/16) have a policy; 198.18.7.7 none. */
	if (set_policy("198.19.0.0/16", "100M/s"))
		return -1;
	for (int i = 0; i < nc; i++) {
		struct pkt_spec s = { .src = c[i].src, .dst = c[i].daddr, .proto = IPPROTO_TCP,
				      .sport = 40000, .dport = c[i].dport, .tcp_flags = 0x10 };

		c[i].len = pkt_build(&s, c[i].pkt, sizeof(c[i].pkt));
		/* Warm: creates the limit source's bucket. */
		if (run_rep(fg_fd, c[i].pkt, c[i].len, 1000, XDP_PASS_RC) < 0)
			return -1;
	}
	drops0 = stat_sum(FG_R_LIMIT_DROP) + stat_sum(FG_R_CONTENTION);
	np0 = stat_sum(FG_R_NO_POLICY);
	lp0 = stat_sum(FG_R_LIMIT_PASS);
	brk0 = stat_sum(FG_R_BREAKER_DROP) + stat_sum(FG_R_BREAKER_RESET);
	for (int r = 0; r < o->runs; r++) {
		floor_ns[r] = run_rep(pass_fd, c[0].pkt, c[0].len, o->repeat, XDP_PASS_RC);
		if (floor_ns[r] < 0)
			return -1;
		for (int i = 0; i < nc; i++) {
			int first = (r + i) & 1; /* which set-up goes first: alternates */

			for (int k = 0; k < 2; k++) {
				int on = k ? !first : first;
				double t;

				if (set_upstreams(on))
					return -1;
				t = run_rep(fg_fd, c[i].pkt, c[i].len, o->repeat, XDP_PASS_RC);
				if (t < 0)
					return -1;
				if (on)
					c[i].ups[r] = t;
				else
					c[i].base[r] = t;
			}
			c[i].pct[r] = (c[i].ups[r] / c[i].base[r] - 1) * 100;
			c[i].diff[r] = c[i].ups[r] - c[i].base[r];
		}
	}
	set_upstreams(1);
	__u64 drops = stat_sum(FG_R_LIMIT_DROP) + stat_sum(FG_R_CONTENTION) - drops0;
	__u64 brk = stat_sum(FG_R_BREAKER_DROP) + stat_sum(FG_R_BREAKER_RESET) - brk0;
	__u64 per_case = (__u64)o->runs * 2 * o->repeat;

	printf("xdp_pass_ns %.2f\n", median(floor_ns, o->runs));
	for (int i = 0; i < nc; i++) {
		printf("xdp_%s_%s_base_ns %.2f\n", c[i].pol, c[i].dst, median(c[i].base, o->runs));
		printf("xdp_%s_%s_ups_ns %.2f\n", c[i].pol, c[i].dst, median(c[i].ups, o->runs));
		printf("xdp_%s_%s_added_pct %.1f\n", c[i].pol, c[i].dst, median(c[i].pct, o->runs));
		printf("xdp_%s_%s_added_ns %.2f\n", c[i].pol, c[i].dst, median(c[i].diff, o->runs));
	}
	/* Every measured packet passed, by the reason the set-up intends. */
	printf("xdp_limit_drops %llu\n", (unsigned long long)drops);
	printf("xdp_breaker_refusals %llu\n", (unsigned long long)brk);
	printf("xdp_nopol_passes %llu\n", (unsigned long long)(stat_sum(FG_R_NO_POLICY) - np0));
	printf("xdp_limit_passes %llu\n", (unsigned long long)(stat_sum(FG_R_LIMIT_PASS) - lp0));
	printf("xdp_expected_passes_each %llu\n", (unsigned long long)(per_case * 3));
	return 0;
}

/* ------------------------------------------------------------------- tc */
struct tcase {
	const char *name;
	int ingress; /* which program */
	__u8 pkt[160];
	__u32 len;
	double fg[MAX_RUNS], ok[MAX_RUNS], ratio[MAX_RUNS];
};

static int pass_flows(int fd, __u8 *pkt, __u32 len, __u32 flows, double *kern_ns)
{
	struct iphdr *ip = (void *)(pkt + ETH_HLEN);
	struct tcphdr *th = (void *)(ip + 1);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = 1);
	__u64 sum = 0;
	__u32 base = ntohl(ip->saddr);

	for (__u32 k = 0; k < flows; k++) {
		/* Flow k: source 198.18.1.(2 + k / 60000), port 1024 + k % 60000. */
		th->source = htons(1024 + k % 60000);
		ip->saddr = htonl(base + k / 60000);
		if (bpf_prog_test_run_opts(fd, &o) || o.retval != TC_ACT_OK_RC) {
			fprintf(stderr, "bench_breaker: per-SYN run: %s, verdict %u\n",
				strerror(errno), o.retval);
			ip->saddr = htonl(base);
			return -1;
		}
		sum += o.duration;
	}
	ip->saddr = htonl(base);
	*kern_ns = (double)sum / flows;
	return 0;
}

static __u64 ustat(__u32 id, int idx)
{
	__u64 c[FG_U_MAX];

	if (fg_upstream_stats_sum(&fm, id, c))
		return ~0ULL;
	return c[idx];
}

/* How many of pass_flows' connections have a pending_syn entry. */
static __u64 count_pending(const __u8 *pkt, __u32 flows)
{
	const struct iphdr *ip = (const void *)(pkt + ETH_HLEN);
	const struct tcphdr *th = (const void *)(ip + 1);
	struct fg_pending v;
	struct fg_flow_key k = {};
	__u64 n = 0;

	k.saddr[10] = k.saddr[11] = 0xff;
	k.daddr[10] = k.daddr[11] = 0xff;
	memcpy(&k.daddr[12], &ip->daddr, 4);
	k.dport = th->dest;
	k.proto = IPPROTO_TCP;
	for (__u32 i = 0; i < flows; i++) {
		__u32 a = htonl(ntohl(ip->saddr) + i / 60000);

		memcpy(&k.saddr[12], &a, 4);
		k.sport = htons(1024 + i % 60000);
		n += bpf_map_lookup_elem(fm.pending_syn, &k, &v) == 0;
	}
	return n;
}

static int bench_tc(const struct opts *o, int eg_fd, int in_fd, int ok_fd)
{
	static const char http[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct pkt_spec syn = { .src = "198.18.1.2", .dst = "198.18.2.10", .proto = IPPROTO_TCP,
				.sport = 40000, .dport = 80, .tcp_flags = 0x02 };
	struct pkt_spec ack = { .src = "198.18.1.2", .dst = "198.18.3.3", .proto = IPPROTO_TCP,
				.sport = 40000, .dport = 80, .tcp_flags = 0x10 };
	struct pkt_spec rsp = { .src = "198.18.2.10", .dst = "198.18.1.2", .proto = IPPROTO_TCP,
				.sport = 80, .dport = 40000, .tcp_flags = 0x18, .data = http };
	struct tcase c[] = {
		{ .name = "egress_syn" }, { .name = "egress_ack" }, { .name = "egress_http" },
		{ .name = "ingress_syn", .ingress = 1 }, { .name = "ingress_ack", .ingress = 1 },
		{ .name = "ingress_http", .ingress = 1 },
	};
	const int nc = sizeof(c) / sizeof(c[0]);
	double nf_fg[MAX_RUNS], nf_ok[MAX_RUNS], nf_ratio[MAX_RUNS];
	__u64 syn0, http0, pend0, pend1;
	__u32 passes = o->runs < 5 ? o->runs : 5;

	if (set_upstreams(1))
		return -1;
	for (int i = 0; i < nc; i++) {
		const struct pkt_spec *s = i % 3 == 0 ? &syn : i % 3 == 1 ? &ack : &rsp;

		c[i].len = pkt_build(s, c[i].pkt, sizeof(c[i].pkt));
	}
	syn0 = ustat(0, FG_U_SYN);
	http0 = ustat(0, FG_U_HTTP_2XX) + ustat(0, FG_U_IGNORED);
	for (int r = 0; r < o->runs; r++) {
		for (int i = 0; i < nc; i++) {
			int fd = c[i].ingress ? in_fd : eg_fd;
			int first = (r + i) & 1;

			for (int k = 0; k < 2; k++) {
				int mine = k ? !first : first;
				double t = run_rep(mine ? fd : ok_fd, c[i].pkt, c[i].len, o->repeat,
						   TC_ACT_OK_RC);

				if (t < 0)
					return -1;
				if (mine)
					c[i].fg[r] = t;
				else
					c[i].ok[r] = t;
			}
			c[i].ratio[r] = c[i].fg[r] / c[i].ok[r];
		}
	}
	__u64 syns = ustat(0, FG_U_SYN) - syn0, https = ustat(0, FG_U_HTTP_2XX) +
							 ustat(0, FG_U_IGNORED) - http0;

	for (int i = 0; i < nc; i++) {
		printf("tc_%s_ns %.2f\n", c[i].name, median(c[i].fg, o->runs));
		printf("tc_%s_tc_ok_ns %.2f\n", c[i].name, median(c[i].ok, o->runs));
		printf("tc_%s_ratio %.2f\n", c[i].name, median(c[i].ratio, o->runs));
		printf("tc_%s_added_ns %.2f\n", c[i].name,
		       median(c[i].fg, o->runs) - median(c[i].ok, o->runs));
	}
	printf("tc_syn_counted %llu\n", (unsigned long long)syns);
	printf("tc_http_seen_counted %llu\n", (unsigned long long)https);
	printf("tc_expected_each %llu\n", (unsigned long long)o->runs * o->repeat);

	/*
	 * One call per SYN (repeat=1): SYNs of F fresh connections, each
	 * inserting its pending_syn entry; then the same F SYNs again, which
	 * find their entries (retransmits): the difference is the insert. A
	 * single call runs with caches the syscall has cooled, so these figures
	 * sit well above the repeat rows. tc_ok is called the same way.
	 */
	if (o->flows) {
		double ag[MAX_RUNS], ag_ratio[MAX_RUNS];
		__u64 found = 0;

		pend0 = ustat(0, FG_U_SYN);
		for (__u32 r = 0; r < passes; r++) {
			/* Fresh flows each pass: sources 198.18.1.(2 + 8r) and up. */
			struct iphdr *ip = (void *)(c[0].pkt + ETH_HLEN);
			__u8 *pk = c[0].pkt;
			__u32 ln = c[0].len, f = o->flows;

			ip->saddr = htonl(0xc6120000u | (1u << 8) | (2 + 8 * r)); /* 198.18.1.x */
			if (r & 1) {
				if (pass_flows(ok_fd, pk, ln, f, &nf_ok[r]) ||
				    pass_flows(eg_fd, pk, ln, f, &nf_fg[r]) ||
				    pass_flows(eg_fd, pk, ln, f, &ag[r]))
					return -1;
			} else {
				if (pass_flows(eg_fd, pk, ln, f, &nf_fg[r]) ||
				    pass_flows(eg_fd, pk, ln, f, &ag[r]) ||
				    pass_flows(ok_fd, pk, ln, f, &nf_ok[r]))
					return -1;
			}
			found += count_pending(pk, f);
			nf_ratio[r] = nf_fg[r] / nf_ok[r];
			ag_ratio[r] = ag[r] / nf_ok[r];
		}
		pend1 = ustat(0, FG_U_SYN);
		printf("tc_newflow_flows %u\n", o->flows);
		printf("tc_newflow_passes %u\n", passes);
		printf("tc_newflow_egress_syn_ns %.1f\n", median(nf_fg, passes));
		printf("tc_newflow_again_ns %.1f\n", median(ag, passes));
		printf("tc_newflow_tc_ok_ns %.1f\n", median(nf_ok, passes));
		printf("tc_newflow_ratio %.2f\n", median(nf_ratio, passes));
		printf("tc_newflow_again_ratio %.2f\n", median(ag_ratio, passes));
		printf("tc_newflow_syn_counted %llu\n", (unsigned long long)(pend1 - pend0));
		printf("tc_newflow_expected %llu\n", (unsigned long long)passes * 2 * o->flows);
		printf("tc_newflow_pending_found %llu\n", (unsigned long long)found);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_breaker [--runs N] [--repeat R] [--upstreams U] [--flows F]\n"
		"                     [--cpu C] [--skip-xdp] [--skip-tc]\n"
		"  --runs       interleaved rounds (default 31)\n"
		"  --repeat     repetitions per call (default 250000)\n"
		"  --upstreams  upstreams configured, ports 80/443 of 198.18.2.10+ (default 16)\n"
		"  --flows      SYNs of distinct connections per pass, one call each\n"
		"               (default 50000; 0 skips the case)\n"
		"  --cpu        CPU to run on (default 1; -1: do not pin)\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'R' },
		{ "upstreams", required_argument, NULL, 'u' },
		{ "flows", required_argument, NULL, 'f' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "skip-xdp", no_argument, NULL, 'X' },
		{ "skip-tc", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct opts o = { .runs = 31, .repeat = 250000, .upstreams = 16, .flows = 50000,
			  .cpu = 1 };
	struct floodgate *fg = NULL;
	struct xdp_pass *xp = NULL;
	struct tc_ok *tk = NULL;
	struct fg_config cfg;
	int opt, ret = 1;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'r': o.runs = atoi(optarg); break;
		case 'R': o.repeat = atoi(optarg); break;
		case 'u': o.upstreams = atoi(optarg); break;
		case 'f': o.flows = strtoul(optarg, NULL, 10); break;
		case 'c': o.cpu = atoi(optarg); break;
		case 'X': o.skip_xdp = 1; break;
		case 'T': o.skip_tc = 1; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	if (o.runs < 1 || o.runs > MAX_RUNS || o.repeat < 1 || o.upstreams < 1 ||
	    o.upstreams > MAX_UPSTREAMS || o.flows > 10000000) {
		usage();
		return 2;
	}
	bench_pin_cpu("bench_breaker", o.cpu);

	xp = xdp_pass__open_and_load();
	tk = tc_ok__open_and_load();
	fg = floodgate__open();
	if (fg) /* capacity is not under test: a small bucket map loads faster */
		bpf_map__set_max_entries(fg->maps.buckets, 65536);
	if (!xp || !tk || !fg || floodgate__load(fg)) {
		fprintf(stderr, "bench_breaker: Failed to load BPF programs: %s\n", strerror(errno));
		goto out;
	}
	fm.config = bpf_map__fd(fg->maps.config_map);
	fm.policy = bpf_map__fd(fg->maps.policy);
	fm.buckets = bpf_map__fd(fg->maps.buckets);
	fm.stats = bpf_map__fd(fg->maps.stats);
	fm.upstreams = bpf_map__fd(fg->maps.upstreams);
	fm.upstream_ports = bpf_map__fd(fg->maps.upstream_ports);
	fm.upstream_stats = bpf_map__fd(fg->maps.upstream_stats);
	fm.pending_syn = bpf_map__fd(fg->maps.pending_syn);
	fm.upstream_rt = bpf_map__fd(fg->maps.upstream_rt);

	fg_config_defaults(&cfg);
	cfg.heartbeat_ns = fg_now_ns(); /* a live controller (closed breakers anyway) */
	cfg.stale_ns = 3600ULL * 1000000000ULL;
	if (fg_config_set(&fm, &cfg) || make_upstream_keys(o.upstreams)) {
		fprintf(stderr, "bench_breaker: set-up failed\n");
		goto out;
	}
	printf("cfg_runs %d\n", o.runs);
	printf("cfg_repeat %d\n", o.repeat);
	printf("cfg_upstreams %d\n", o.upstreams);
	printf("cfg_pending_syn_max %u\n", bpf_map__max_entries(fg->maps.pending_syn));
	if (!o.skip_xdp && bench_xdp(&o, bpf_program__fd(fg->progs.xdp_ingress),
				     bpf_program__fd(xp->progs.xdp_pass)))
		goto out;
	if (!o.skip_tc && bench_tc(&o, bpf_program__fd(fg->progs.tc_egress),
				   bpf_program__fd(fg->progs.tc_ingress),
				   bpf_program__fd(tk->progs.tc_ok)))
		goto out;
	ret = 0;
out:
	floodgate__destroy(fg);
	tc_ok__destroy(tk);
	xdp_pass__destroy(xp);
	return ret;
}
