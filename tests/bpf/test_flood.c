// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A spoofed-source flood interleaved with known traffic, in real time under
 * BPF_PROG_TEST_RUN (DESIGN §3 "Unknown sources"), bounded to ~9 s:
 *
 *   - 1,000 established IPv4 sources at twice their limit (10/s burst 10,
 *     one packet each per 50 ms round), for 8.5 s;
 *   - a 20/m source sending every 2 s;
 *   - on the other CPU, as fast as it goes, millions of distinct /64s of
 *     2001:db8::/32 under a policy with a 500/s new-source budget, against a
 *     bucket map of 16,384 entries.
 *
 * Established sources pass within 2% of burst + rate x time, the slow source
 * exactly every other packet, the flood at most twice the budget, and no
 * known source loses its bucket (none is inserted twice).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"

enum {
	KNOWN = 1000,
	ROUNDS = 170, /* of 50 ms: 8.5 s */
	ROUND_NS = 50000000,
	SLOW_EVERY = 40, /* rounds: 2 s */
	MAP_ENTRIES = 16384,
	RATE = 10,
	BURST = 10, /* the established sources' limit */
	BUDGET = 500, /* the flood policy's new sources per second (and burst) */
};

struct flood {
	int prog_fd, stop, cpu;
	__u64 sent, passed, start_ns, end_ns;
};

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static int run1(int fd, const __u8 *buf, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = len, .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	return o.retval;
}

/* Distinct /64s: i times an odd constant is a bijection of 32 bits. */
static void *flooder(void *arg)
{
	struct flood *f = arg;
	struct pkt_spec s = { .src = "2001:db8::1" };
	__u8 buf[128];
	size_t len = pkt_build(&s, buf, sizeof(buf));
	__u8 *src = buf + 14 + 8; /* Ethernet, then the IPv6 source */

	pin_cpu(f->cpu);
	f->start_ns = fg_now_ns();
	for (__u32 i = 1; !__atomic_load_n(&f->stop, __ATOMIC_RELAXED); i++) {
		__u32 net = i * 2654435761u;

		memcpy(src + 4, &net, 4);
		f->passed += run1(f->prog_fd, buf, len) == XDP_PASS;
		f->sent++;
	}
	f->end_ns = fg_now_ns();
	return NULL;
}

static __u64 mono_ns(void)
{
	return fg_now_ns();
}

static void sleep_until(__u64 t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ULL, .tv_nsec = t % 1000000000ULL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

struct known {
	__u8 frame[128];
	size_t len;
	__u64 first_ns, last_ns;
	int passed;
};

static struct known known[KNOWN];

static void known_frames(void)
{
	for (int i = 0; i < KNOWN; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.%d.%d", i / 250, i % 250 + 1);
		known[i].len = pkt_build(&(struct pkt_spec){ .src = a }, known[i].frame,
					 sizeof(known[i].frame));
	}
}

static void send_known(int fd, int i)
{
	__u64 t = mono_ns();

	if (!known[i].first_ns)
		known[i].first_ns = t;
	known[i].last_ns = t;
	known[i].passed += run1(fd, known[i].frame, known[i].len) == XDP_PASS;
}

TEST(interleaved_flood)
{
	struct pkt_spec slow_spec = { .src = "198.19.255.1" };
	__u8 slow[128];
	size_t slow_len = pkt_build(&slow_spec, slow, sizeof(slow));
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), fd, slow_v[ROUNDS / SLOW_EVERY + 1], n_slow = 0;
	struct flood f = { .cpu = ncpu >= 2 ? 1 : -1 };
	__u64 t0, t_end, total = 0, expect_total = 0;
	double worst = 0;
	pthread_t th;

	if (!ASSERT_OK(fx_load_sized(MAP_ENTRIES), "load with a small bucket map"))
		return;
	fx_new_sources("198.18.0.0/15", "10/s", BURST, "1k/s");
	fx_new_sources("198.19.255.1/32", "20/m", 1, "1k/s");
	fx_new_sources("2001:db8::/32", "100/s", 10, "500/s");
	fd = f.prog_fd = bpf_program__fd(fx_skel->progs.xdp_ingress);
	known_frames();
	pin_cpu(ncpu >= 2 ? 0 : -1);
	for (int i = 0; i < KNOWN; i++) /* established: admitted by 1k/s's burst */
		send_known(fd, i);
	ASSERT_EQ(fx_stat(FG_C_ADMITTED), KNOWN, "established sources admitted");

	pthread_create(&th, NULL, flooder, &f);
	t0 = mono_ns();
	for (int r = 0; r < ROUNDS; r++) {
		sleep_until(t0 + (__u64)r * ROUND_NS);
		if (r % SLOW_EVERY == 0)
			slow_v[n_slow++] = run1(fd, slow, slow_len);
		for (int i = 0; i < KNOWN; i++)
			send_known(fd, i);
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	t_end = mono_ns();

	for (int i = 0; i < KNOWN; i++) {
		double want = BURST + RATE * (known[i].last_ns - known[i].first_ns) / 1e9;
		double off = (known[i].passed - want) / want;

		total += known[i].passed;
		expect_total += (__u64)(want + 0.5);
		if (off < 0 ? -off > worst : off > worst)
			worst = off < 0 ? -off : off;
	}
	__u64 admitted = fx_stat(FG_C_ADMITTED) - KNOWN - 1;
	double secs = (t_end - t0) / 1e9;
	/* Budget and overflow bucket: a burst each, then the rate each; +1 each
	 * for the token that may fall due at the edge of the window. */
	double bound = 2.0 * (BUDGET + BUDGET * (f.end_ns - f.start_ns) / 1e9 + 1);

	fprintf(stderr,
		"  %.2f s: known %llu passed of %llu expected (worst source %.2f%% off); "
		"flood %llu sent (%.0f/s), %llu passed (bound %.0f): %llu admitted, %llu "
		"overflow-passed, %llu overflow-dropped; slow source:",
		secs, (unsigned long long)total, (unsigned long long)expect_total, worst * 100,
		(unsigned long long)f.sent, f.sent / secs, (unsigned long long)f.passed, bound,
		(unsigned long long)admitted, (unsigned long long)fx_stat(FG_R_OVERFLOW_PASS),
		(unsigned long long)fx_stat(FG_R_OVERFLOW_DROP));
	for (int k = 0; k < n_slow; k++)
		fprintf(stderr, " %s", slow_v[k] == XDP_PASS ? "pass" : "drop");
	fputc('\n', stderr);

	ASSERT_LE(worst, 0.02, "every established source within 2% of its limit");
	ASSERT_GE(f.sent, 10ULL * MAP_ENTRIES, "the flood outnumbers the bucket map");
	ASSERT_LE(f.passed, (__u64)bound, "flood passes within twice the budget");
	ASSERT_EQ(f.passed, admitted + fx_stat(FG_R_OVERFLOW_PASS), "flood passes accounted");
	for (int k = 0; k < n_slow; k++)
		ASSERT_EQ(slow_v[k], k % 2 ? XDP_DROP : XDP_PASS, "20/m every 2 s: every other");
	ASSERT_EQ(fx_stat(FG_C_NEW_SOURCE), KNOWN + 1 + admitted,
		  "no known source inserted twice (none evicted)");
	ASSERT_EQ(fx_has_bucket("198.19.255.1", 128), 1, "the slow source kept its bucket");
	for (int i = 0; i < KNOWN; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.%d.%d", i / 250, i % 250 + 1);
		if (!ASSERT_EQ(fx_has_bucket(a, 128), 1, a))
			break;
	}
}
