// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Headers built to slip past the parser, under BPF_PROG_TEST_RUN: IPv6
 * extension-header chains longer than the parser follows, TCP data offsets
 * that cannot be, a third VLAN tag, and IP length 0 (BIG TCP at TC only).
 * Each row is a frame, the hook, the verdict and the counter that must move
 * by one. What the parser cannot read is malformed, never a packet without
 * ports that walks past a breaker.
 */
#include <arpa/inet.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>

#include "fixture.h"

#define UP4 "198.18.2.10"
#define UP6 "2001:db8:2::10"
#define CLIENT4 "198.18.1.5"
#define CLIENT6 "2001:db8:1::5"

#define TCX_NEXT (-1)

enum hook { XDP, TC_LIMIT, TC_EGRESS };
enum edit { NONE, LEN_ZERO /* IPv4 tot_len / IPv6 payload_len = 0 */ };

/* IP length 0, IPv4 header checksum kept valid. */
static void len_zero(__u8 *f, const struct pkt_spec *s)
{
	size_t l3 = pkt_l3_off(s);

	if (strchr(s->src, ':')) {
		memset(f + l3 + 4, 0, 2);
	} else {
		struct iphdr ip;

		memcpy(&ip, f + l3, sizeof(ip));
		ip.tot_len = 0;
		ip.check = 0;
		memcpy(f + l3, &ip, sizeof(ip));
		ip.check = pkt_csum(f + l3, ip.ihl * 4, 0);
		memcpy(f + l3, &ip, sizeof(ip));
	}
}

TEST(parse_edge_cases)
{
/* A TCP segment (a SYN unless tcp_flags say otherwise) to dst port 80. */
#define SYN4(to, ...) { .src = CLIENT4, .dst = to, .proto = IPPROTO_TCP, .dport = 80, __VA_ARGS__ }
#define SYN6(to, ...) { .src = CLIENT6, .dst = to, .proto = IPPROTO_TCP, .dport = 80, __VA_ARGS__ }
	static const struct {
		const char *what;
		struct pkt_spec s;
		enum edit edit;
		enum hook hook;
		int gso;     /* run with gso_size/gso_segs set (a GRO or TSO skb) */
		int verdict;
		int stat;    /* global counter that moves by one, -1: none */
		int ustat;   /* counter of the upstream hit that moves by one, -1: none */
	} cases[] = {
		/* IPv6 extension headers: six are followed, a seventh is malformed. */
		{ "v6 6 ext headers: the breaker sees the SYN", SYN6(UP6, .v6_ext = 1, .v6_dstopts = 4),
		  NONE, XDP, 0, XDP_DROP, FG_R_BREAKER_DROP, FG_U_REJECTED },
		{ "v6 7 ext headers: malformed", SYN6(UP6, .v6_ext = 1, .v6_dstopts = 5),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "v6 12 ext headers: malformed", SYN6(UP6, .v6_dstopts = 12),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "v6 7 ext headers, not to an upstream", SYN6("2001:db8:3::1", .v6_dstopts = 7),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "v6 7 ext headers, UDP", { .src = CLIENT6, .v6_dstopts = 7 },
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "v6 7 ext headers at tc_limit", SYN6(UP6, .v6_dstopts = 7),
		  NONE, TC_LIMIT, 0, TC_ACT_SHOT, FG_R_MALFORMED, -1 },
		{ "v6 6 ext headers at tc_egress: the breaker sees the SYN", SYN6(UP6, .v6_dstopts = 6),
		  NONE, TC_EGRESS, 0, TC_ACT_SHOT, -1, FG_U_REJECTED },
		/* TCP data offset: under 5 words, or past the datagram. */
		{ "tcp doff 4", SYN4("198.18.3.1", .doff = 4),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "tcp doff 0", SYN4("198.18.3.1", .doff = -1),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "tcp doff 4 to an open upstream", SYN4(UP4, .doff = 4),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "v6 tcp doff 4", SYN6("2001:db8:3::1", .doff = 4),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "tcp doff 15 past the datagram", SYN4("198.18.3.1", .doff = 15, .payload = 8),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "tcp doff 6 with its 4 option bytes", SYN4("198.18.3.1", .doff = 6, .payload = 4),
		  NONE, XDP, 0, XDP_PASS, FG_R_NO_POLICY, -1 },
		{ "tcp doff 15 filled", SYN4("198.18.3.1", .doff = 15, .payload = 40),
		  NONE, XDP, 0, XDP_PASS, FG_R_NO_POLICY, -1 },
		{ "tcp doff 4 at tc_limit", SYN4("198.18.3.1", .doff = 4),
		  NONE, TC_LIMIT, 0, TC_ACT_SHOT, FG_R_MALFORMED, -1 },
		/* VLAN tags: two are parsed, a third hides what follows. */
		{ "2 tags: the breaker sees the SYN", SYN4(UP4, .vlans = 2),
		  NONE, XDP, 0, XDP_DROP, FG_R_BREAKER_DROP, FG_U_REJECTED },
		{ "3 tags: malformed", SYN4(UP4, .vlans = 3),
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "3 tags, UDP", { .src = CLIENT4, .vlans = 3 },
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "3 tags, IPv6", { .src = CLIENT6, .vlans = 3 },
		  NONE, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "3 tags at tc_limit", { .src = CLIENT4, .vlans = 3 },
		  NONE, TC_LIMIT, 0, TC_ACT_SHOT, FG_R_MALFORMED, -1 },
		/* IP length 0: only a GSO TCP skb at TC may say "to the end". */
		{ "v4 tot_len 0 at XDP", SYN4("198.18.3.1"),
		  LEN_ZERO, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "v4 tot_len 0 at TC, not GSO", SYN4("198.18.3.1"),
		  LEN_ZERO, TC_LIMIT, 0, TC_ACT_SHOT, FG_R_MALFORMED, -1 },
		{ "v4 tot_len 0 at TC, GSO TCP", SYN4("198.18.3.1", .tcp_flags = 0x10, .payload = 64),
		  LEN_ZERO, TC_LIMIT, 1, TCX_NEXT, FG_R_NO_POLICY, -1 },
		{ "v4 tot_len 0 at TC, GSO UDP", { .src = CLIENT4, .payload = 64 },
		  LEN_ZERO, TC_LIMIT, 1, TC_ACT_SHOT, FG_R_MALFORMED, -1 },
		{ "v4 tot_len 0 at TC, GSO, to an open upstream", SYN4(UP4, .tcp_flags = 0x10, .payload = 64),
		  LEN_ZERO, TC_EGRESS, 1, TC_ACT_SHOT, -1, FG_U_REJECTED },
		{ "v6 payload_len 0 at XDP", SYN6("2001:db8:3::1"),
		  LEN_ZERO, XDP, 0, XDP_DROP, FG_R_MALFORMED, -1 },
		{ "v6 payload_len 0 at TC, GSO TCP", SYN6("2001:db8:3::1", .tcp_flags = 0x10, .payload = 64),
		  LEN_ZERO, TC_LIMIT, 1, TCX_NEXT, FG_R_NO_POLICY, -1 },
		{ "v6 payload_len 0 at TC, GSO UDP", { .src = CLIENT6, .payload = 64 },
		  LEN_ZERO, TC_LIMIT, 1, TC_ACT_SHOT, FG_R_MALFORMED, -1 },
	};
#undef SYN4
#undef SYN6
	int ids[2];

	SETUP();
	ids[0] = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	ids[1] = fx_upstream("[" UP6 "]:80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bpf_program *prog = cases[i].hook == XDP ? fx_skel->progs.xdp_ingress :
					   cases[i].hook == TC_LIMIT ? fx_skel->progs.tc_limit :
					   fx_skel->progs.tc_egress;
		int id = ids[!!strchr(cases[i].s.src, ':')];
		struct fx_snap snap;
		__u8 buf[512];
		size_t len = pkt_build(&cases[i].s, buf, sizeof(buf));
		int verdict;

		if (cases[i].edit == LEN_ZERO)
			len_zero(buf, &cases[i].s);
		fx_snap(&snap, id);
		verdict = cases[i].gso ? fx_run_gso(prog, buf, len, 1448, 2) :
					 fx_run(prog, buf, len, 0, NULL, NULL);
		ASSERT_EQ(verdict, cases[i].verdict, cases[i].what);
		/* The named counters moved by one, and nothing else did. */
		fx_expect_moved(&snap, cases[i].stat, cases[i].ustat, -1, cases[i].what);
	}
}

TEST(ext_chain_too_long_passes_only_by_config)
{
	struct pkt_spec s = { .src = CLIENT6, .dst = UP6, .proto = IPPROTO_TCP, .dport = 80,
			      .v6_dstopts = 7 };
	struct fg_config cfg;

	SETUP();
	fx_upstream("[" UP6 "]:80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	ASSERT_EQ(fx_xdp(s), XDP_DROP, "malformed: dropped by default");
	fg_config_get(&fx_maps, &cfg);
	cfg.malformed = FG_MALFORMED_PASS;
	fg_config_set(&fx_maps, &cfg);
	/* The operator's choice, and counted as such: no ports, no breaker. */
	ASSERT_EQ(fx_xdp(s), XDP_PASS, "malformed pass configured");
	ASSERT_EQ(fx_stat(FG_R_MALFORMED), 1, "drop counted");
	ASSERT_EQ(fx_stat(FG_R_MALFORMED_PASS), 1, "pass counted");
}
