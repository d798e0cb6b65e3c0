// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
/*
 * bench_observe: what the flow-checked observer costs per packet against
 * the observer before it (tests/bench/progs/observe_old.bpf.c, the code of
 * commit 9789a48) and against tc_ok (returns TC_ACT_OK), all three in the
 * same run on the same maps (the old program reuses floodgate's map fds).
 * BPF_PROG_TEST_RUN with a large repeat, wall-clock ns per repetition.
 *
 * One upstream, 198.18.2.10:80, closed; one connection from
 * 198.18.1.2:40000 opened through today's programs first (SYN, SYN-ACK, a
 * request), so the flow exists. Frames:
 *   egress  syn      the connection's SYN again (a retransmit: pending found)
 *           request  client data on the flow (after the first repetition a
 *                    retransmit: flow lookup, sequence compare)
 *           ack      a pure ACK on the flow (no payload: no flow lookup)
 *   ingress synack   the SYN-ACK again (old: counted each time; new: no
 *                    pending SYN, a flow lookup says retransmit)
 *           status   "HTTP/1.1 200 OK" at the answer's start (old: socket
 *                    lookup, load, count; new: flow lookup, load, CAS once
 *                    then ignored)
 *           body     an in-order body segment on the flow
 *           forged   "HTTP/1.1 503" from the upstream on no flow
 * Every figure is the median over RUNS rounds; in each round the three
 * programs run adjacent, in an order that rotates; new - old is taken
 * within a round, then its median. Output: "key value" lines.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/in.h>

#include "maps.h"
#include "bench/bench_util.h"
#include "parse.h"
#include "upstreams.h"
#include "upstream_entry.h"
#include "bpf/pkt.h"
#include "floodgate.skel.h"
#include "tests/tc_ok.skel.h"
#include "tests/observe_old.skel.h" /* build/tests/, from progs/observe_old.bpf.c */

#define UP "198.18.2.10"
#define CL "198.18.1.2"
#define REQ "GET / HTTP/1.1\r\nHost: u\r\n\r\n"
#define R200 "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"

static struct fg_maps fm = FG_MAPS_INIT;

static double run_rep(int fd, const void *pkt, __u32 len, int repeat)
{
	struct __sk_buff skb = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = repeat,
		    .ctx_in = &skb, .ctx_size_in = sizeof(skb));
	__u64 t0 = now_ns();

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "bench_observe: test run: %s\n", strerror(errno));
		return -1;
	}
	if (o.retval != 0) {
		fprintf(stderr, "bench_observe: verdict %u, expected TC_ACT_OK\n", o.retval);
		return -1;
	}
	return (double)(now_ns() - t0) / repeat;
}

static int run_once(int fd, struct pkt_spec s)
{
	__u8 buf[512];

	return run_rep(fd, buf, pkt_build(&s, buf, sizeof(buf)), 1) < 0 ? -1 : 0;
}

struct ocase {
	const char *name;
	int ingress;
	struct pkt_spec s;
	__u8 pkt[512];
	__u32 len;
	double v[3][MAX_RUNS], diff[MAX_RUNS];
};

static struct pkt_spec eg(__u8 flags, __u32 seq, __u32 ack, const char *data)
{
	return (struct pkt_spec){ .src = CL, .dst = UP, .sport = 40000, .dport = 80,
				  .proto = IPPROTO_TCP, .tcp_flags = flags, .seq = seq,
				  .ack = ack, .data = data };
}

static struct pkt_spec in(__u8 flags, __u32 seq, __u32 ack, const char *data, __u16 cport)
{
	return (struct pkt_spec){ .src = UP, .dst = CL, .sport = 80, .dport = cport,
				  .proto = IPPROTO_TCP, .tcp_flags = flags, .seq = seq,
				  .ack = ack, .data = data };
}

static int add_upstream(void)
{
	struct fg_upstream_key k = { .port = htons(80), .proto = IPPROTO_TCP };
	struct fg_upstream v = { .state = FG_BREAKER_CLOSED, .id = 0 };
	struct fg_config cfg;
	char err[FG_ERR_LEN];
	__u16 port;

	if (fg_parse_endpoint(UP ":80", k.addr, &port, err, sizeof(err)))
		return -1;
	snprintf(v.name, sizeof(v.name), "web");
	fg_config_defaults(&cfg); /* probe_mark set: the old observer's socket lookup runs */
	cfg.heartbeat_ns = fg_now_ns();
	cfg.stale_ns = 3600ULL * 1000000000ULL;
	if (fg_config_set(&fm, &cfg) || fg_entry_put(&fm, &k, &v, BPF_ANY))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 15, repeat = 200000, cpu = -1, opt;
	struct floodgate *fg;
	struct observe_old *old;
	struct tc_ok *ok;
	static struct ocase c[] = {
		{ .name = "egress_syn" }, { .name = "egress_request" }, { .name = "egress_ack" },
		{ .name = "ingress_synack", .ingress = 1 }, { .name = "ingress_status", .ingress = 1 },
		{ .name = "ingress_body", .ingress = 1 }, { .name = "ingress_forged", .ingress = 1 },
	};
	const int nc = sizeof(c) / sizeof(c[0]);
	const char *prog_names[3] = { "new", "old", "tc_ok" };

	while ((opt = getopt(argc, argv, "r:n:c:")) != -1) {
		switch (opt) {
		case 'r': runs = atoi(optarg); break;
		case 'n': repeat = atoi(optarg); break;
		case 'c': cpu = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: bench_observe [-r RUNS] [-n REPEAT] [-c CPU]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS || repeat < 1)
		return 2;
	bench_pin_cpu("bench_observe", cpu);

	fg = floodgate__open();
	if (!fg || (bpf_map__set_max_entries(fg->maps.buckets, 65536), floodgate__load(fg))) {
		fprintf(stderr, "bench_observe: load floodgate\n");
		return 1;
	}
	old = observe_old__open();
	if (!old)
		return 1;
	{
		struct bpf_map *m;

		/* The same maps: the programs differ only in their code. */
		bpf_object__for_each_map(m, old->obj) {
			struct bpf_map *f = bpf_object__find_map_by_name(fg->obj, bpf_map__name(m));

			if (f && bpf_map__reuse_fd(m, bpf_map__fd(f))) {
				fprintf(stderr, "bench_observe: reuse %s\n", bpf_map__name(m));
				return 1;
			}
		}
	}
	if (observe_old__load(old)) {
		fprintf(stderr, "bench_observe: load observe_old\n");
		return 1;
	}
	ok = tc_ok__open_and_load();
	if (!ok)
		return 1;
	fm.config = bpf_map__fd(fg->maps.config_map);
	fm.upstreams = bpf_map__fd(fg->maps.upstreams);
	fm.upstream_ports = bpf_map__fd(fg->maps.upstream_ports);
	fm.upstream_stats = bpf_map__fd(fg->maps.upstream_stats);
	if (add_upstream()) {
		fprintf(stderr, "bench_observe: set-up failed\n");
		return 1;
	}
	/* Open the connection through today's programs. */
	int feg = bpf_program__fd(fg->progs.tc_egress), fin = bpf_program__fd(fg->progs.tc_ingress);

	if (run_once(feg, eg(0x02, 1000, 0, NULL)) || run_once(fin, in(0x12, 5000, 1001, NULL, 40000)) ||
	    run_once(feg, eg(0x18, 1001, 5001, REQ)))
		return 1;

	const __u32 req_end = 1001 + sizeof(REQ) - 1, body = 5001 + sizeof(R200) - 1;

	c[0].s = eg(0x02, 1000, 0, NULL);
	c[1].s = eg(0x18, 1001, 5001, REQ);
	c[2].s = eg(0x10, req_end, 5001, NULL);
	c[3].s = in(0x12, 5000, 1001, NULL, 40000);
	c[4].s = in(0x18, 5001, req_end, R200, 40000);
	c[5].s = in(0x18, body, req_end, "01234567890123456789", 40000);
	c[6].s = in(0x18, 777, 1, "HTTP/1.1 503 Service Unavailable\r\n\r\n", 41000);
	for (int i = 0; i < nc; i++)
		c[i].len = pkt_build(&c[i].s, c[i].pkt, sizeof(c[i].pkt));

	for (int r = 0; r < runs; r++) {
		for (int i = 0; i < nc; i++) {
			int fds[3] = {
				c[i].ingress ? fin : feg,
				bpf_program__fd(c[i].ingress ? old->progs.old_tc_ingress
							     : old->progs.old_tc_egress),
				bpf_program__fd(ok->progs.tc_ok),
			};

			for (int k = 0; k < 3; k++) {
				int p = (k + r) % 3;
				double ns = run_rep(fds[p], c[i].pkt, c[i].len, repeat);

				if (ns < 0)
					return 1;
				c[i].v[p][r] = ns;
			}
			c[i].diff[r] = c[i].v[0][r] - c[i].v[1][r];
		}
	}
	printf("obs_runs %d\nobs_repeat %d\n", runs, repeat);
	for (int i = 0; i < nc; i++) {
		for (int p = 0; p < 3; p++)
			printf("obs_%s_%s %.1f\n", c[i].name, prog_names[p], median(c[i].v[p], runs));
		printf("obs_%s_delta %.1f\n", c[i].name, median(c[i].diff, runs));
	}
	observe_old__destroy(old);
	tc_ok__destroy(ok);
	floodgate__destroy(fg);
	return 0;
}
