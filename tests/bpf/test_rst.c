// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * RST safety under BPF_PROG_TEST_RUN: reject = reset answers a refused SYN
 * only towards one unicast host (source address and both MACs), never a
 * packet with RST set, and at most reset_rate times a second per upstream;
 * every SYN it does not answer is dropped and counted. Then half-open
 * permits: one spent is never given back within the period, whatever the
 * controller writes meanwhile.
 *
 * The loopback, multicast and broadcast addresses below are packet source
 * fields in frames handed to BPF_PROG_TEST_RUN only: nothing is sent.
 */
#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#include "fixture.h"
#include "daemon.h"
#include "upstreams.h"

#define UP4 "198.18.2.10"
#define UP6 "2001:db8:2::10"
#define CLIENT4 "198.18.1.5"
#define CLIENT6 "2001:db8:1::5"

enum mac { MAC_OK, SRC_BCAST, SRC_MCAST4, SRC_MCAST6, DST_BCAST, DST_MCAST };

static void set_mac(__u8 *f, enum mac m)
{
	static const __u8 bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const __u8 mcast4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	static const __u8 mcast6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };

	switch (m) {
	case SRC_BCAST: memcpy(f + 6, bcast, 6); break;
	case SRC_MCAST4: memcpy(f + 6, mcast4, 6); break;
	case SRC_MCAST6: memcpy(f + 6, mcast6, 6); break;
	case DST_BCAST: memcpy(f, bcast, 6); break;
	case DST_MCAST: memcpy(f, mcast4, 6); break;
	default: break;
	}
}

TEST(reset_only_to_safe_targets)
{
	static const struct {
		const char *what, *src;
		enum mac mac;
		__u8 flags;     /* 0: SYN */
		int ip_opts;
		int answered;   /* 1: a RST; 0: dropped, resets_refused */
		int not_syn;    /* not a SYN at all: a plain breaker drop */
	} cases[] = {
		{ "unicast v4 client", CLIENT4, MAC_OK, 0, 0, 1, 0 },
		{ "unicast v6 client", CLIENT6, MAC_OK, 0, 0, 1, 0 },
		{ "src 224.0.0.1 (multicast)", "224.0.0.1", MAC_OK, 0, 0, 0, 0 },
		{ "src 239.255.255.250 (multicast)", "239.255.255.250", MAC_OK, 0, 0, 0, 0 },
		{ "src 255.255.255.255 (broadcast)", "255.255.255.255", MAC_OK, 0, 0, 0, 0 },
		{ "src 240.0.0.1 (reserved)", "240.0.0.1", MAC_OK, 0, 0, 0, 0 },
		{ "src 127.0.0.1 (loopback)", "127.0.0.1", MAC_OK, 0, 0, 0, 0 },
		{ "src 127.1.2.3 (loopback)", "127.1.2.3", MAC_OK, 0, 0, 0, 0 },
		{ "src 0.0.0.0 (unspecified)", "0.0.0.0", MAC_OK, 0, 0, 0, 0 },
		{ "src 0.1.2.3 (this network)", "0.1.2.3", MAC_OK, 0, 0, 0, 0 },
		{ "src ::1 (loopback)", "::1", MAC_OK, 0, 0, 0, 0 },
		{ "src :: (unspecified)", "::", MAC_OK, 0, 0, 0, 0 },
		{ "src ff02::1 (multicast)", "ff02::1", MAC_OK, 0, 0, 0, 0 },
		{ "src ff05::1:3 (multicast)", "ff05::1:3", MAC_OK, 0, 0, 0, 0 },
		{ "src ::ffff:127.0.0.1 (v4-mapped)", "::ffff:127.0.0.1", MAC_OK, 0, 0, 0, 0 },
		{ "src ::ffff:224.0.0.1 (v4-mapped)", "::ffff:224.0.0.1", MAC_OK, 0, 0, 0, 0 },
		{ "src ::ffff:198.18.1.5 (v4-mapped)", "::ffff:198.18.1.5", MAC_OK, 0, 0, 0, 0 },
		{ "src ::2 (unicast, not ::1)", "::2", MAC_OK, 0, 0, 1, 0 },
		{ "src MAC broadcast", CLIENT4, SRC_BCAST, 0, 0, 0, 0 },
		{ "src MAC multicast (IPv4)", CLIENT4, SRC_MCAST4, 0, 0, 0, 0 },
		{ "src MAC multicast (IPv6)", CLIENT6, SRC_MCAST6, 0, 0, 0, 0 },
		{ "dst MAC broadcast", CLIENT4, DST_BCAST, 0, 0, 0, 0 },
		{ "dst MAC multicast", CLIENT6, DST_MCAST, 0, 0, 0, 0 },
		{ "SYN|RST", CLIENT4, MAC_OK, 0x06, 0, 0, 0 },
		{ "SYN|RST v6", CLIENT6, MAC_OK, 0x06, 0, 0, 0 },
		{ "SYN|RST|PSH", CLIENT4, MAC_OK, 0x0e, 0, 0, 0 },
		{ "SYN|ACK|RST: not a SYN", CLIENT4, MAC_OK, 0x16, 0, 0, 1 },
		{ "RST", CLIENT4, MAC_OK, 0x04, 0, 0, 1 },
		{ "IPv4 options: not rewritten", CLIENT4, MAC_OK, 0, 8, 0, 0 },
	};
	int ids[2];

	SETUP();
	ids[0] = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	ids[1] = fx_upstream("[" UP6 "]:80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v6 = !!strchr(cases[i].src, ':');
		struct pkt_spec s = { .src = cases[i].src, .dst = v6 ? UP6 : UP4,
				      .proto = IPPROTO_TCP, .sport = 40000 + i, .dport = 80,
				      .tcp_flags = cases[i].flags, .ip_opts = cases[i].ip_opts,
				      .seq = 1000 };
		int ustat = cases[i].not_syn ? -1 : cases[i].answered ? FG_U_RESETS :
			    FG_U_RST_REFUSED;
		struct fx_snap snap;
		char what[128];
		__u8 buf[256];
		size_t len = pkt_build(&s, buf, sizeof(buf));

		set_mac(buf, cases[i].mac);
		fx_snap(&snap, ids[v6]);
		snprintf(what, sizeof(what), "xdp: %s", cases[i].what);
		ASSERT_EQ(fx_run(fx_skel->progs.xdp_ingress, buf, len, 0, NULL, NULL),
			  cases[i].answered ? XDP_TX : XDP_DROP, what);
		fx_expect_moved(&snap, cases[i].answered ? FG_R_BREAKER_RESET : FG_R_BREAKER_DROP,
				FG_U_REJECTED, ustat, what);

		fx_snap(&snap, ids[v6]);
		snprintf(what, sizeof(what), "tc egress: %s", cases[i].what);
		ASSERT_EQ(fx_run(fx_skel->progs.tc_egress, buf, len, 0, NULL, NULL),
			  cases[i].answered ? TC_ACT_REDIRECT : TC_ACT_SHOT, what);
		fx_expect_moved(&snap, -1, FG_U_REJECTED, ustat, what);
	}
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * N + K distinct SYNs to an open reset upstream, as fast as test runs go:
 * N answered, K dropped and counted. Tokens that fell due while sending
 * (rate x elapsed, usually none) move the split, never the total.
 */
static void reset_burst(struct bpf_program *prog, int tx, int drop, __u32 id, __u32 rate, int n,
			int k, const char *what)
{
	struct pkt_spec s = { .src = CLIENT4, .dst = UP4, .proto = IPPROTO_TCP, .dport = 80 };
	__u64 before[2] = { fx_ustat(id, FG_U_RESETS), fx_ustat(id, FG_U_RST_LIMITED) }, t0;
	__u64 sent, limited, slack;
	int answered = 0, dropped = 0;
	__u8 buf[256];

	t0 = now_ns();
	for (int i = 0; i < n + k; i++) {
		size_t len;
		int v;

		s.sport = 20000 + i;
		len = pkt_build(&s, buf, sizeof(buf));
		v = fx_run(prog, buf, len, 0, NULL, NULL);
		answered += v == tx;
		dropped += v == drop;
	}
	slack = (now_ns() - t0) * rate / 1000000000ULL + 1;
	sent = fx_ustat(id, FG_U_RESETS) - before[0];
	limited = fx_ustat(id, FG_U_RST_LIMITED) - before[1];
	fprintf(stderr, "  %s: rate %u/s, %d SYNs: %llu RSTs, %llu dropped\n", what, rate, n + k,
		(unsigned long long)sent, (unsigned long long)limited);
	ASSERT_EQ(answered + dropped, n + k, what);
	ASSERT_EQ(sent, answered, "every answer counted as sent");
	ASSERT_EQ(limited, dropped, "every drop counted as rate limited");
	ASSERT_GE(sent, n, "the bucket's second's worth is answered");
	ASSERT_LE(sent, n + slack, "no more than the bucket and what fell due");
}

static void set_reset_rate(const char *ep, __u32 rate)
{
	struct fg_upstream_key key;
	struct fg_upstream val;

	ASSERT_OK(fx_upstream_get(ep, IPPROTO_TCP, &key, &val), ep);
	val.reset_rate = rate;
	ASSERT_OK(bpf_map_update_elem(fx_maps.upstreams, &key, &val, BPF_EXIST), "reset_rate");
}

TEST(reset_rate_bounded)
{
	enum { N = 20, K = 15 };
	struct fg_upstream_rt rt = {};
	int id;

	SETUP();
	id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	set_reset_rate(UP4 ":80", N);
	reset_burst(fx_skel->progs.xdp_ingress, XDP_TX, XDP_DROP, id, N, N, K, "xdp");
	ASSERT_EQ(fx_stat(FG_R_BREAKER_DROP), fx_ustat(id, FG_U_RST_LIMITED),
		  "rate-limited SYNs are breaker drops");
	/* One bucket per upstream, whichever hook answers. */
	reset_burst(fx_skel->progs.tc_egress, TC_ACT_REDIRECT, TC_ACT_SHOT, id, N, 0,
		    5, "tc egress after xdp");
	/* A second later the bucket is full again: wind its clock back instead
	 * of waiting (the datapath owns the entry; only this test writes it). */
	__u32 key = id;

	ASSERT_OK(bpf_map_update_elem(fx_maps.upstream_rt, &key, &rt, BPF_ANY), "rewind");
	reset_burst(fx_skel->progs.tc_egress, TC_ACT_REDIRECT, TC_ACT_SHOT, id, N, N,
		    K, "tc egress, refilled");
	ASSERT_EQ(fx_ustat(id, FG_U_RST_REFUSED), 0, "nothing unsafe here");
}

TEST(reset_rate_default_bounded)
{
	int id;

	SETUP();
	/* An entry written without reset_rate (0) gets the default, not "no bound". */
	id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	reset_burst(fx_skel->progs.xdp_ingress, XDP_TX, XDP_DROP, id,
		    FG_RESET_RATE_DEFAULT, FG_RESET_RATE_DEFAULT, 50, "xdp, default rate");
}

TEST(reset_unsafe_spends_no_token)
{
	struct pkt_spec s = { .src = "224.0.0.1", .dst = UP4, .proto = IPPROTO_TCP, .dport = 80 };
	int id;

	SETUP();
	id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	set_reset_rate(UP4 ":80", 2);
	for (int i = 0; i < 10; i++)
		ASSERT_EQ(fx_xdp(s), XDP_DROP, "multicast source: dropped");
	ASSERT_EQ(fx_ustat(id, FG_U_RST_REFUSED), 10, "refused, counted");
	ASSERT_EQ(fx_ustat(id, FG_U_RST_LIMITED), 0, "no token spent on them");
	s.src = CLIENT4;
	ASSERT_EQ(fx_xdp(s), XDP_TX, "a real client still gets its RST");
	s.sport = 40001;
	ASSERT_EQ(fx_xdp(s), XDP_TX, "and the second of the burst");
	s.sport = 40002;
	ASSERT_EQ(fx_xdp(s), XDP_DROP, "then the rate holds");
}

/*
 * A half-open permit spent is never given back within the period: not by a
 * controller writing the entry it read before the SYN came (a success
 * counted, a restart), nor by the CLI's read-modify-write. The next period
 * grants afresh.
 */
TEST(half_open_permit_never_refunded)
{
	enum { K = 2 };
	struct fg_upstream_key key;
	struct fg_upstream seen, out;
	struct fg_ups_rt u = {};
	struct fg_entry_src src;
	int id, sport = 41000;

	SETUP();
	id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_CLOSED, FG_REJECT_DROP, 0, 0);
	ASSERT_OK(fx_upstream_get(UP4 ":80", IPPROTO_TCP, &key, &seen), "read entry");
	/* The controller's view of it, going half-open as floodgated does. */
	snprintf(u.cfg.name, sizeof(u.cfg.name), "%s", seen.name);
	u.cfg.brk.half_open_permits = K;
	u.cfg.reject = FG_REJECT_DROP;
	u.id = id;
	u.brk.state = FG_BREAKER_HALF_OPEN;
	ASSERT_EQ(fg_entry_merge(&seen, fg_ups_src(&u, &src), fg_now_ns(), &out), 1, "enter half-open");
	ASSERT_OK(bpf_map_update_elem(fx_maps.upstreams, &key, &out, BPF_EXIST), "write");
	ASSERT_EQ(fg_upstream_permits_left(&fx_maps, &out), K, "K permits left");

	/* The controller reads the entry, then K SYNs spend the permits. */
	ASSERT_OK(fx_upstream_get(UP4 ":80", IPPROTO_TCP, &key, &seen), "controller reads");
	for (int i = 0; i < K; i++) {
		struct pkt_spec s = { .src = CLIENT4, .dst = UP4, .proto = IPPROTO_TCP,
				      .dport = 80, .sport = sport++ };

		ASSERT_EQ(fx_xdp(s), XDP_PASS, "a permit");
	}
	ASSERT_EQ(fg_upstream_permits_left(&fx_maps, &seen), 0, "none left");
	/* ...and writes what it read, with a success counted. */
	u.brk.half_open_ok = 1;
	ASSERT_EQ(fg_entry_merge(&seen, fg_ups_src(&u, &src), fg_now_ns(), &out), 1, "a success: written");
	ASSERT_OK(bpf_map_update_elem(fx_maps.upstreams, &key, &out, BPF_EXIST), "write back");
	/* The CLI's 'upstream auto' on the same stale read. */
	seen.forced = 0;
	ASSERT_OK(bpf_map_update_elem(fx_maps.upstreams, &key, &seen, BPF_EXIST), "cli write");

	for (int i = 0; i < 3; i++) {
		struct pkt_spec s = { .src = CLIENT4, .dst = UP4, .proto = IPPROTO_TCP,
				      .dport = 80, .sport = sport++ };
		struct fx_snap snap;

		fx_snap(&snap, id);
		ASSERT_EQ(fx_xdp(s), XDP_DROP, "no permit came back");
		fx_expect_moved(&snap, FG_R_BREAKER_DROP, FG_U_REJECTED, -1, "refused SYN");
		ASSERT_EQ(fx_tc_egress(s, 0), TC_ACT_SHOT, "nor at TC egress");
	}
	ASSERT_OK(fx_upstream_get(UP4 ":80", IPPROTO_TCP, &key, &seen), "read");
	ASSERT_EQ(fg_upstream_permits_left(&fx_maps, &seen), 0, "none left, as list shows");

	/* Open, then half-open again: a new period, K new permits. */
	u.brk.state = FG_BREAKER_OPEN;
	fg_entry_merge(&seen, fg_ups_src(&u, &src), fg_now_ns(), &out);
	seen = out;
	u.brk.state = FG_BREAKER_HALF_OPEN;
	ASSERT_EQ(fg_entry_merge(&seen, fg_ups_src(&u, &src), fg_now_ns(), &out), 1, "half-open again");
	ASSERT_OK(bpf_map_update_elem(fx_maps.upstreams, &key, &out, BPF_EXIST), "write");
	for (int i = 0; i < K + 1; i++) {
		struct pkt_spec s = { .src = CLIENT4, .dst = UP4, .proto = IPPROTO_TCP,
				      .dport = 80, .sport = sport++ };

		ASSERT_EQ(fx_xdp(s), i < K ? XDP_PASS : XDP_DROP, "K permits in the new period");
	}
}
