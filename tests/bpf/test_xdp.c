// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The XDP program run by the kernel with BPF_PROG_TEST_RUN over crafted
 * frames: verdicts per packet kind, bucket behaviour, policy precedence,
 * monitor mode, IPv6 prefix bucketing and exactness under contention.
 * Each test loads a fresh skeleton, so maps and counters start empty.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/in.h>

#include "fixture.h"

#define skel fx_skel
#define maps fx_maps
#define set_policy fx_policy
#define stat fx_stat
#define run fx_xdp

static int run_frame(const void *frame, size_t len)
{
	return fx_run(fx_skel->progs.xdp_ingress, frame, len, 0, NULL, NULL);
}

static int from(const char *src)
{
	return run((struct pkt_spec){ .src = src });
}

static void set_mode(enum fg_mode mode, __u32 v6_prefix)
{
	struct fg_config cfg;

	fg_config_get(&maps, &cfg);
	cfg.mode = mode;
	if (v6_prefix)
		cfg.v6_prefix = v6_prefix;
	cfg.policy_gen++;
	fg_config_set(&maps, &cfg);
}

/* Send n packets from src; return how many passed. */
static int passed(const char *src, int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++)
		ok += from(src) == XDP_PASS;
	return ok;
}

TEST(verdict_per_packet_kind)
{
	static const struct {
		const char *what;
		struct pkt_spec s;
		size_t trunc; /* cut the frame to this length when set */
		int verdict, reason;
	} cases[] = {
		{ "ipv4 udp", { .src = "198.18.0.2" }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv4 tcp", { .src = "198.18.0.2", .proto = IPPROTO_TCP }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv4 icmp", { .src = "198.18.0.2", .proto = IPPROTO_ICMP }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv4 options", { .src = "198.18.0.2", .ip_opts = 40 }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv4 802.1Q", { .src = "198.18.0.2", .vlans = 1 }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv4 802.1ad+Q", { .src = "198.18.0.2", .vlans = 2 }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv4 first fragment", { .src = "198.18.0.2", .more_frags = 1 }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv4 later fragment", { .src = "198.18.0.2", .frag_off = 185, .payload = 20 }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv6 udp", { .src = "2001:db8::2" }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv6 ext headers", { .src = "2001:db8::2", .v6_ext = 1, .proto = IPPROTO_TCP }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv6 802.1Q", { .src = "2001:db8::2", .vlans = 1 }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv6 later fragment", { .src = "2001:db8::2", .frag_off = 100, .payload = 16 }, 0, XDP_PASS, FG_R_NO_POLICY },
		{ "ipv4 truncated header", { .src = "198.18.0.2" }, 14 + 12, XDP_DROP, FG_R_MALFORMED },
		{ "ipv4 options cut off", { .src = "198.18.0.2", .ip_opts = 40 }, 14 + 30, XDP_DROP, FG_R_MALFORMED },
		{ "ipv4 tcp header cut off", { .src = "198.18.0.2", .proto = IPPROTO_TCP }, 14 + 20 + 10, XDP_DROP, FG_R_MALFORMED },
		{ "ipv6 truncated header", { .src = "2001:db8::2" }, 14 + 30, XDP_DROP, FG_R_MALFORMED },
		{ "ipv6 ext header cut off", { .src = "2001:db8::2", .v6_ext = 1 }, 14 + 40 + 12, XDP_DROP, FG_R_MALFORMED },
		{ "vlan tag cut off", { .src = "198.18.0.2", .vlans = 1 }, 14 + 2, XDP_PASS, FG_R_NON_IP },
	};

	SETUP();
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u8 buf[256];
		size_t len = pkt_build(&cases[i].s, buf, sizeof(buf));
		__u64 before = stat(cases[i].reason);

		if (cases[i].trunc)
			len = cases[i].trunc;
		ASSERT_EQ(run_frame(buf, len), cases[i].verdict, cases[i].what);
		ASSERT_EQ(stat(cases[i].reason), before + 1, cases[i].what);
	}
	ASSERT_EQ(stat(FG_C_FRAGMENT), 3, "fragments counted");
}

TEST(non_ip_untouched)
{
	__u8 buf[128];
	size_t len;

	SETUP();
	set_policy("0.0.0.0/0", FG_ACT_DENY, NULL, 0, 0);
	set_policy("::/0", FG_ACT_DENY, NULL, 0, 0);
	len = pkt_arp(buf, sizeof(buf));
	ASSERT_EQ(run_frame(buf, len), XDP_PASS, "ARP passes under deny-all");
	buf[12] = 0x88, buf[13] = 0xcc; /* LLDP */
	ASSERT_EQ(run_frame(buf, len), XDP_PASS, "LLDP passes");
	buf[12] = 0x88, buf[13] = 0xb5; /* local experimental, header only */
	ASSERT_EQ(run_frame(buf, 14), XDP_PASS, "bare Ethernet header passes");
	ASSERT_EQ(stat(FG_R_NON_IP), 3, "non_ip counted");
}

TEST(malformed_pass_by_config)
{
	struct pkt_spec s = { .src = "198.18.0.2" };
	struct fg_config cfg;
	__u8 buf[128];

	SETUP();
	pkt_build(&s, buf, sizeof(buf));
	buf[14] = 0x43; /* version 4, ihl 3 */
	ASSERT_EQ(run_frame(buf, 60), XDP_DROP, "ihl < 5 dropped");
	fg_config_get(&maps, &cfg);
	cfg.malformed = FG_MALFORMED_PASS;
	fg_config_set(&maps, &cfg);
	ASSERT_EQ(run_frame(buf, 60), XDP_PASS, "passed when configured");
	ASSERT_EQ(stat(FG_R_MALFORMED), 1, "malformed drop counted");
	ASSERT_EQ(stat(FG_R_MALFORMED_PASS), 1, "malformed pass counted");
}

TEST(policy_reaches_every_kind)
{
	/* Tags, options, extension headers and fragments must not slip past a deny. */
	static const struct pkt_spec kinds[] = {
		{ .src = "198.18.5.5", .vlans = 2 },
		{ .src = "198.18.5.5", .ip_opts = 8 },
		{ .src = "198.18.5.5", .frag_off = 10, .payload = 8 },
		{ .src = "198.18.5.5", .more_frags = 1 },
		{ .src = "2001:db8:5::5", .v6_ext = 1 },
		{ .src = "2001:db8:5::5", .frag_off = 10, .payload = 8 },
		{ .src = "2001:db8:5::5", .vlans = 1, .proto = IPPROTO_TCP },
	};

	SETUP();
	set_policy("198.18.5.0/24", FG_ACT_DENY, NULL, 0, 0);
	set_policy("2001:db8:5::/48", FG_ACT_DENY, NULL, 0, 0);
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		ASSERT_EQ(run(kinds[i]), XDP_DROP, "denied source, any packet kind");
	ASSERT_EQ(stat(FG_R_DENY), 7, "deny counted");
}

TEST(burst_then_drop)
{
	SETUP();
	set_policy("198.18.0.0/15", FG_ACT_LIMIT, "1/s", 5, FG_PER_SOURCE);
	ASSERT_EQ(passed("198.18.1.1", 5), 5, "burst of 5 passes");
	ASSERT_EQ(from("198.18.1.1"), XDP_DROP, "burst+1 dropped");
	ASSERT_EQ(from("198.18.1.2"), XDP_PASS, "another source still passes");
	ASSERT_EQ(stat(FG_R_LIMIT_PASS), 6, "limit_pass");
	ASSERT_EQ(stat(FG_R_LIMIT_DROP), 1, "limit_drop");
	ASSERT_EQ(stat(FG_C_NEW_SOURCE), 2, "two sources tracked");
}

TEST(refill_at_rate)
{
	SETUP();
	set_policy("198.18.0.0/15", FG_ACT_LIMIT, "1/s", 1, FG_PER_SOURCE);
	ASSERT_EQ(from("198.18.1.1"), XDP_PASS, "first");
	ASSERT_EQ(from("198.18.1.1"), XDP_DROP, "no burst left");
	/* Half an interval passes: still nothing (half a second of margin for a
	 * slow machine); 0.6 s more: one token. */
	ASSERT_OK(fx_bucket_age("198.18.1.1", 128, 500 * 1000000ULL), "0.5 s pass");
	ASSERT_EQ(from("198.18.1.1"), XDP_DROP, "not refilled before one interval");
	ASSERT_OK(fx_bucket_age("198.18.1.1", 128, 600 * 1000000ULL), "0.6 s more");
	ASSERT_EQ(from("198.18.1.1"), XDP_PASS, "refilled after one interval");
	ASSERT_EQ(from("198.18.1.1"), XDP_DROP, "and only one token");
}

TEST(precedence)
{
	SETUP();
	set_policy("198.18.0.0/16", FG_ACT_LIMIT, "1/s", 2, FG_PER_SOURCE);
	set_policy("198.18.1.0/24", FG_ACT_DENY, NULL, 0, 0);
	set_policy("198.18.2.0/24", FG_ACT_ALLOW, NULL, 0, 0);
	set_policy("198.18.3.0/24", FG_ACT_LIMIT, "1/s", 7, FG_PER_SOURCE);
	ASSERT_EQ(from("198.18.1.9"), XDP_DROP, "deny beats the covering limit");
	ASSERT_EQ(passed("198.18.2.9", 50), 50, "allow skips the limit");
	ASSERT_EQ(passed("198.18.3.9", 10), 7, "longest prefix wins (burst 7)");
	ASSERT_EQ(passed("198.18.4.9", 10), 2, "the /16 applies outside (burst 2)");
	ASSERT_EQ(from("198.19.0.1"), XDP_PASS, "no matching prefix passes");
	set_policy("0.0.0.0/0", FG_ACT_DENY, NULL, 0, 0);
	ASSERT_EQ(from("198.19.0.1"), XDP_DROP, "default policy 0.0.0.0/0 applies");
	ASSERT_EQ(from("2001:db8::1"), XDP_PASS, "IPv4 default does not cover IPv6");
}

TEST(policy_change_invalidates_cache)
{
	SETUP();
	set_policy("198.18.0.0/15", FG_ACT_LIMIT, "1/s", 2, FG_PER_SOURCE);
	ASSERT_EQ(passed("198.18.1.1", 5), 2, "limited to burst 2");
	set_policy("198.18.1.0/24", FG_ACT_ALLOW, NULL, 0, 0);
	ASSERT_EQ(passed("198.18.1.1", 5), 5, "allow takes effect for a known source");
	set_policy("198.18.1.0/24", FG_ACT_LIMIT, "1/s", 4, FG_PER_SOURCE);
	ASSERT_EQ(passed("198.18.1.1", 8), 4, "new burst applies");
	set_policy("198.18.1.0/24", FG_ACT_DENY, NULL, 0, 0);
	ASSERT_EQ(from("198.18.1.1"), XDP_DROP, "deny takes effect for a known source");
}

TEST(monitor_mode)
{
	SETUP();
	set_policy("198.18.0.0/15", FG_ACT_LIMIT, "1/s", 3, FG_PER_SOURCE);
	set_policy("198.18.9.0/24", FG_ACT_DENY, NULL, 0, 0);
	set_mode(FG_MODE_MONITOR, 0);
	ASSERT_EQ(passed("198.18.1.1", 10), 10, "monitor passes over-limit packets");
	ASSERT_EQ(stat(FG_R_LIMIT_PASS), 3, "within burst counted as pass");
	ASSERT_EQ(stat(FG_R_MONITOR_LIMIT), 7, "would-drops counted");
	ASSERT_EQ(from("198.18.9.1"), XDP_PASS, "monitor passes denied source");
	ASSERT_EQ(stat(FG_R_MONITOR_DENY), 1, "would-deny counted");
	ASSERT_EQ(stat(FG_R_LIMIT_DROP) + stat(FG_R_DENY), 0, "nothing dropped");
	set_mode(FG_MODE_ENFORCE, 0);
	ASSERT_EQ(from("198.18.1.1"), XDP_DROP, "enforce drops again");
}

TEST(ipv6_prefix_buckets)
{
	SETUP();
	set_policy("2001:db8::/32", FG_ACT_LIMIT, "1/s", 4, FG_PER_SOURCE);
	ASSERT_EQ(passed("2001:db8:1:1::1", 2), 2, "first host");
	ASSERT_EQ(passed("2001:db8:1:1:ffff::2", 5), 2, "same /64 shares the bucket");
	ASSERT_EQ(passed("2001:db8:1:2::1", 5), 4, "another /64 has its own");
	set_mode(FG_MODE_ENFORCE, 128);
	ASSERT_EQ(passed("2001:db8:1:1::3", 5), 4, "with /128 each host has its own");
}

TEST(per_prefix_bucket)
{
	SETUP();
	set_policy("198.18.0.0/24", FG_ACT_LIMIT, "1/s", 6, FG_PER_PREFIX);
	ASSERT_EQ(passed("198.18.0.1", 4), 4, "first source");
	ASSERT_EQ(passed("198.18.0.2", 4), 2, "second shares the prefix's bucket");
	ASSERT_EQ(from("198.18.0.3"), XDP_DROP, "prefix exhausted");
}

struct racer {
	int cpu, prog_fd, err;
	__u32 repeat;
	pthread_barrier_t *go;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	struct pkt_spec s = { .src = "198.18.7.7" };
	__u8 buf[128];
	size_t len = pkt_build(&s, buf, sizeof(buf));
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	r->err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(r->go);
	if (r->err)
		return NULL;
	/* test_run runs the program repeat times on this CPU. */
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = len, .repeat = r->repeat);
	if (bpf_prog_test_run_opts(r->prog_fd, &o))
		r->err = -errno;
	return NULL;
}

/*
 * Two threads pinned to the two CPUs run the program against one source at
 * the same moment; together they may be admitted no more than the burst plus
 * what the elapsed time allows.
 */
static void contend(const char *rate, __u64 per_sec, __u32 burst)
{
	enum { PACKETS = 1000000 };
	pthread_barrier_t go;
	struct racer r[2];
	pthread_t th[2];
	struct timespec t0, t1;
	double elapsed;
	__u64 admitted;

	SETUP();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fg_test_skip("needs two CPUs");
		return;
	}
	set_policy("198.18.0.0/15", FG_ACT_LIMIT, rate, burst, FG_PER_SOURCE);
	pthread_barrier_init(&go, NULL, 3);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){ .cpu = i, .repeat = PACKETS / 2, .go = &go,
				       .prog_fd = bpf_program__fd(skel->progs.xdp_ingress) };
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_barrier_wait(&go);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_barrier_destroy(&go);
	elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ASSERT_OK(r[0].err, "cpu 0 run");
	ASSERT_OK(r[1].err, "cpu 1 run");

	admitted = stat(FG_R_LIMIT_PASS);
	fprintf(stderr, "  %s burst %u: %d packets on 2 CPUs in %.3f s: %llu admitted, "
		"%llu over, %llu contended\n", rate, burst, PACKETS, elapsed,
		(unsigned long long)admitted, (unsigned long long)stat(FG_R_LIMIT_DROP),
		(unsigned long long)stat(FG_R_CONTENTION));
	ASSERT_EQ(admitted + stat(FG_R_LIMIT_DROP) + stat(FG_R_CONTENTION), PACKETS,
		  "every packet counted");
	ASSERT_GE(admitted, burst, "the burst is admitted");
	/* +1 for the token that may fall due at the edge of the window. */
	ASSERT_LE(admitted, burst + (__u64)(per_sec * elapsed) + 1,
		  "no more than burst + rate x time");
}

TEST(exact_under_contention)
{
	contend("1/s", 1, 100);
}

/* A rate high enough that admissions, and so CAS races, happen all the time. */
TEST(exact_under_contention_high_rate)
{
	contend("2M/s", 2000000, 100);
}


/* The TCX ingress variant of the limiter decides exactly as XDP does. */
TEST(tc_limit_same_verdicts)
{
	enum { TCX_NEXT = -1, SHOT = 2 };
	struct pkt_spec s = { .src = "198.18.1.1" };
	__u8 buf[256];
	size_t len = pkt_build(&s, buf, sizeof(buf));
	struct bpf_program *tc;

	SETUP();
	tc = fx_skel->progs.tc_limit;
	set_policy("198.18.0.0/15", FG_ACT_LIMIT, "1/s", 3, FG_PER_SOURCE);
	set_policy("198.18.9.0/24", FG_ACT_DENY, NULL, 0, 0);
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(fx_run(tc, buf, len, 0, NULL, NULL), TCX_NEXT, "within burst: next program");
	ASSERT_EQ(fx_run(tc, buf, len, 0, NULL, NULL), SHOT, "burst+1 dropped");
	ASSERT_EQ(run_frame(buf, len), XDP_DROP, "XDP shares the same bucket");
	s.src = "198.18.9.1";
	len = pkt_build(&s, buf, sizeof(buf));
	ASSERT_EQ(fx_run(tc, buf, len, 0, NULL, NULL), SHOT, "deny");
	len = pkt_arp(buf, sizeof(buf));
	ASSERT_EQ(fx_run(tc, buf, len, 0, NULL, NULL), TCX_NEXT, "ARP untouched");
	ASSERT_EQ(stat(FG_R_LIMIT_DROP), 2, "limit drops counted");
}
