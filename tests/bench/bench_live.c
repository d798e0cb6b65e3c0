// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE
/*
 * bench_live: the live-frames generator of the NIC-like benchmark.
 *
 * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES runs
 * tests/bench/progs/live_redirect.bpf.c over one prebuilt 60-byte
 * Ethernet/IPv4/UDP frame, in batches of --batch frames from a page pool;
 * the program gives each frame its source and redirects it out of --ifname,
 * a veth, whose ndo_xdp_xmit queues it to the peer as an xdp_frame (no skb,
 * no copy). The peer's NAPI then runs its XDP program as a NIC driver would.
 *
 * Calls of --chunk frames each follow one another until --count frames or
 * --duration seconds, whichever comes first (a signal stops it too). Each
 * call costs ~30 ms of set-up and tear-down on this kernel whatever its size
 * (measured: 31 calls of 64 frames took a second), so a call carries many
 * frames (default 2^20, ~0.1-0.3 s). Unpaced by default; --pps R paces the
 * frames inside the program (one every 1e9/R ns, the rest of the runs drop
 * their frame unsent, so the CPU spins at full load whatever the rate), and
 * --idle sends nothing at that same load. Pinned to one CPU (--cpu), so the
 * program's frame counter is exact. Sources: --src-base + i, i = 0 ..
 * --sources - 1 in turn, or --random (random addresses of 198.18.0.0/15).
 * --ready FILE is created once the program is loaded, right before the
 * first call.
 *
 * Prints "key value" lines (sent, elapsed_ns, pps, calls, sources); with
 * --per-source FILE (not with --random) also writes, per source, "index
 * first_ns last_ns sent" as bench_gen does: CLOCK_MONOTONIC (the clock of
 * bpf_ktime_get_ns()) no later than its first frame went out and no earlier
 * than its last did, from the clock marks the program takes every 4096
 * frames, bounded by the calls' own start and end. 4096 frames take well
 * under 5 ms, so at 100/s a source's expected count is known to within half
 * a packet.
 *
 * libbpf 1.1's bpf_test_run_opts has flags and batch_size; this kernel
 * wants ctx_in, a struct xdp_md whose data_end is the frame's length.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/ip.h>

#include "bench/bench_util.h"
#include "bench/gen_target.h"
#include "tests/live_redirect.skel.h" /* build/tests/, from progs/live_redirect.bpf.c */

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

#define LIVE_MARK_SHIFT 12 /* live_redirect.bpf.c has the same */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

struct call {
	__u64 frames_after; /* the program's frame counter after the call */
	__u64 t0, t1;
};

/* The frame, its source zero; returns the sum of the IPv4 header's 16-bit
 * words with saddr and check zero (the program adds the source and folds). */
static __u32 build_frame(__u8 *f, const __u8 *dmac, const __u8 *smac, __u32 daddr, __u16 dport)
{
	const __u16 *w = (const __u16 *)gen_build_frame(f, dmac, smac, 0, daddr, 40000, dport);
	__u32 sum = 0;

	for (unsigned int i = 0; i < sizeof(struct iphdr) / 2; i++)
		sum += w[i];
	return sum;
}

/* The call that carried frame c (calls[k].frames_after ascending). */
static size_t call_of(const struct call *calls, size_t n, __u64 c)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (calls[mid].frames_after > c)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* A time no later than frame c went out: its block's mark, or its call's start. */
static __u64 frame_after(const struct call *calls, size_t n, const __u64 *marks, __u32 nmarks,
			 __u64 c)
{
	__u64 t = calls[call_of(calls, n, c)].t0, k = c >> LIVE_MARK_SHIFT;

	return k < nmarks && marks[k] > t ? marks[k] : t;
}

/* A time no earlier than frame c went out: the next block's mark, or its
 * call's end. */
static __u64 frame_before(const struct call *calls, size_t n, const __u64 *marks, __u32 nmarks,
			  __u64 c)
{
	size_t j = call_of(calls, n, c);
	__u64 t = calls[j].t1, k = (c >> LIVE_MARK_SHIFT) + 1;

	/* Only a mark of the same call: the next call's first mark comes after a
	 * ~30 ms gap. */
	if (k < nmarks && (k << LIVE_MARK_SHIFT) < calls[j].frames_after && marks[k] &&
	    marks[k] < t)
		return marks[k];
	return t;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_live --ifname IF --dst-mac MAC --dst-ip A [options]\n"
		GEN_TARGET_USAGE("100000000")
		"  --random          random sources of 198.18.0.0/15 instead of --sources\n"
		"  --chunk N         frames per BPF_PROG_TEST_RUN call (default 1048576)\n"
		"  --batch N         frames per batch inside a call (default 64)\n"
		"  --pps R           pace: R frames per second (default: unpaced)\n"
		"  --bunch N         with --pps: release frames N at a time (default 1), as a\n"
		"                    NIC's interrupt coalescing hands them over\n"
		"  --idle            send nothing, at the same CPU load\n"
		"  --ready FILE      create FILE right before the first call\n");
}

struct live {
	struct gen_target t;
	const char *ready_path;
	double pps;
	unsigned int chunk, batch, rnd, idle, bunch;
};

/* Its own options beside the target's: 1 when opt was one, else 0. */
static int live_opt(struct live *l, int opt, const char *arg)
{
	switch (opt) {
	case 'R': l->rnd = 1; break;
	case 'k': l->chunk = strtoul(arg, NULL, 10); break;
	case 'b': l->batch = strtoul(arg, NULL, 10); break;
	case 'P': l->pps = atof(arg); break;
	case 'I': l->idle = 1; break;
	case 'B': l->bunch = strtoul(arg, NULL, 10); break;
	case 'r': l->ready_path = arg; break;
	default: return 0;
	}
	return 1;
}

/* 0, or the exit status of a usage error (2) or --help (0), with done set. */
static int parse_args(int argc, char **argv, struct live *l, int *done)
{
	static const struct option lo[] = {
		GEN_TARGET_OPTIONS,
		{ "random", no_argument, NULL, 'R' },
		{ "chunk", required_argument, NULL, 'k' },
		{ "batch", required_argument, NULL, 'b' },
		{ "pps", required_argument, NULL, 'P' },
		{ "idle", no_argument, NULL, 'I' },
		{ "bunch", required_argument, NULL, 'B' },
		{ "ready", required_argument, NULL, 'r' },
		{},
	};
	int opt;

	*done = 1;
	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (!gen_target_opt(&l->t, opt, optarg) && !live_opt(l, opt, optarg)) {
			usage();
			return opt == 'h' ? 0 : 2;
		}
	}
	if (gen_target_check("bench_live", &l->t) || l->chunk < 1 || l->chunk > (1u << 24) ||
	    l->batch < 1 || l->batch > 256 || l->t.count > (1ULL << 34) ||
	    (l->rnd && l->t.per_path) || l->pps < 0 || l->pps > 1e9 || l->bunch < 1 ||
	    l->bunch > l->batch) {
		usage();
		return 2;
	}
	*done = 0;
	return 0;
}

/* The redirecting program, told its frame's target and pace, loaded. */
static struct live_redirect *load_prog(const struct live *l, __u32 csum)
{
	struct live_redirect *skel = live_redirect__open();

	if (!skel) {
		fprintf(stderr, "bench_live: Failed to open the program: %s\n", strerror(errno));
		return NULL;
	}
	skel->rodata->ifindex = l->t.ifindex;
	skel->rodata->nsrc = l->t.nsrc;
	skel->rodata->base = ntohl(l->t.base.s_addr);
	skel->rodata->rand_src = l->rnd;
	skel->rodata->csum_rest = csum;
	skel->rodata->gap_ns = l->pps > 0 ? (__u64)(1e9 / l->pps + 0.5) : 0;
	skel->rodata->idle = l->idle;
	skel->rodata->bunch = l->bunch;
	/* A mark per 4096 frames, at most 2^22 of them (32 MiB). */
	bpf_map__set_max_entries(skel->maps.marks, (__u32)(l->t.count >> LIVE_MARK_SHIFT) + 2);
	if (live_redirect__load(skel)) {
		fprintf(stderr, "bench_live: Failed to load the program: %s\n", strerror(errno));
		live_redirect__destroy(skel);
		return NULL;
	}
	return skel;
}

static int touch(const char *path)
{
	FILE *f = path ? fopen(path, "w") : NULL;

	if (path && (!f || fclose(f))) {
		fprintf(stderr, "bench_live: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct calls {
	struct call *v;
	size_t n, cap;
	__u64 start, t1, sent;
};

static int calls_room(struct calls *c)
{
	struct call *v;

	if (c->n < c->cap)
		return 0;
	v = realloc(c->v, (c->cap ? 2 * c->cap : 4096) * sizeof(*v));
	if (!v) {
		fprintf(stderr, "bench_live: out of memory\n");
		return -1;
	}
	c->v = v;
	c->cap = c->cap ? 2 * c->cap : 4096;
	return 0;
}

/* Calls of chunk frames until count, duration or a signal; each recorded. */
static int run_calls(const struct live *l, struct live_redirect *skel, __u8 *frame,
		     struct calls *c)
{
	int prog_fd = bpf_program__fd(skel->progs.live_redirect);
	struct xdp_md ctx = { .data_end = GEN_FRAME_LEN };
	__u64 deadline;

	c->start = c->t1 = now_ns();
	deadline = c->start + (__u64)(l->t.duration * 1e9);
	while (!stop && c->sent < l->t.count && c->t1 < deadline) {
		__u64 left = l->t.count - c->sent, t0;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = GEN_FRAME_LEN,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = (int)(left < l->chunk ? left : l->chunk),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = l->batch);
		int r;

		if (calls_room(c))
			return -1;
		t0 = now_ns();
		r = bpf_prog_test_run_opts(prog_fd, &o);
		c->t1 = now_ns();
		if (r && errno != EINTR) { /* EINTR: a signal; frames before it went out */
			fprintf(stderr, "bench_live: BPF_PROG_TEST_RUN (live frames): %s\n",
				strerror(errno));
			return -1;
		}
		c->sent = skel->bss->frames;
		if (!c->n || c->sent > c->v[c->n - 1].frames_after)
			c->v[c->n++] = (struct call){ c->sent, t0, c->t1 };
		if (r)
			break;
	}
	return 0;
}

/* Per source: its frame count and the times that bound its first and last. */
static int write_per_source(const struct live *l, struct live_redirect *skel,
			    const struct calls *c)
{
	__u32 nmarks = bpf_map__max_entries(skel->maps.marks), nsrc = l->t.nsrc;
	int mfd = bpf_map__fd(skel->maps.marks);
	FILE *f = fopen(l->t.per_path, "w");
	__u64 *marks = calloc(nmarks, sizeof(*marks));

	if (!f || !marks) {
		fprintf(stderr, "bench_live: cannot write %s: %s\n", l->t.per_path,
			strerror(f ? ENOMEM : errno));
		if (f)
			fclose(f);
		free(marks);
		return -1;
	}
	for (__u32 k = 0; k < nmarks && ((__u64)k << LIVE_MARK_SHIFT) < c->sent; k++)
		bpf_map_lookup_elem(mfd, &k, &marks[k]);
	for (__u32 i = 0; i < nsrc; i++) {
		__u64 n = c->sent > i ? (c->sent - 1 - i) / nsrc + 1 : 0, a = 0, b = 0;

		if (n) { /* frames i and i + (n - 1) x nsrc */
			a = frame_after(c->v, c->n, marks, nmarks, i);
			b = frame_before(c->v, c->n, marks, nmarks, i + (n - 1) * nsrc);
		}
		fprintf(f, "%u %llu %llu %llu\n", i, (unsigned long long)a, (unsigned long long)b,
			(unsigned long long)n);
	}
	fclose(f);
	free(marks);
	return 0;
}

int main(int argc, char **argv)
{
	struct live l = { .t = GEN_TARGET_INIT(100000000), .chunk = 1u << 20, .batch = 64,
			  .bunch = 1 };
	struct live_redirect *skel = NULL;
	struct calls c = {};
	__u8 frame[GEN_FRAME_LEN];
	int ret, done;
	__u64 elapsed;

	ret = parse_args(argc, argv, &l, &done);
	if (done)
		return ret;
	bench_pin_cpu("bench_live", l.t.cpu);
	if (gen_target_iface("bench_live", &l.t))
		return 1;
	skel = load_prog(&l, build_frame(frame, l.t.dmac, l.t.smac, l.t.dst.s_addr, l.t.dport));
	if (!skel)
		return 1;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ret = 1;
	if (touch(l.ready_path) || run_calls(&l, skel, frame, &c))
		goto out;
	elapsed = c.t1 - c.start;
	printf("sent %llu\n", (unsigned long long)c.sent);
	printf("elapsed_ns %llu\n", (unsigned long long)elapsed);
	printf("pps %.0f\n", elapsed ? c.sent * 1e9 / elapsed : 0);
	printf("calls %zu\n", c.n);
	printf("sources %u\n", l.rnd ? GEN_MAX_SOURCES : l.t.nsrc);
	if (!l.t.per_path || write_per_source(&l, skel, &c) == 0)
		ret = 0;
out:
	free(c.v);
	live_redirect__destroy(skel);
	return ret;
}
