// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Circuit breakers under BPF_PROG_TEST_RUN: verdicts per state x reject mode
 * x packet kind on both enforcing hooks, the RST that reset mode builds
 * (parsed back field by field), half-open permits, the staleness guard, the
 * probe mark, and the passive observer: SYN-ACK, RST and HTTP status only on
 * flows seen open, as fixture tables (observe_flow_checks).
 */
#include <arpa/inet.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>

#include "fixture.h"

#define UP4 "198.18.2.10"
#define UP6 "2001:db8:2::10"
#define CLIENT4 "198.18.1.5"
#define CLIENT6 "2001:db8:1::5"

static struct pkt_spec syn_to(const char *dst, __u16 sport)
{
	int v6 = strchr(dst, ':') != NULL;

	return (struct pkt_spec){ .src = v6 ? CLIENT6 : CLIENT4, .dst = dst, .dport = 80,
				  .sport = sport, .proto = IPPROTO_TCP, .seq = 1000 };
}

TEST(breaker_verdicts)
{
	/* What XDP does with a SYN, an ACK of an open flow, and UDP. */
	static const struct {
		enum fg_breaker state;
		enum fg_reject reject;
		int syn, ack, udp;
	} cases[] = {
		{ FG_BREAKER_CLOSED, FG_REJECT_DROP, XDP_PASS, XDP_PASS, XDP_PASS },
		{ FG_BREAKER_CLOSED, FG_REJECT_RESET, XDP_PASS, XDP_PASS, XDP_PASS },
		{ FG_BREAKER_OPEN, FG_REJECT_DROP, XDP_DROP, XDP_DROP, XDP_DROP },
		{ FG_BREAKER_OPEN, FG_REJECT_RESET, XDP_TX, XDP_DROP, XDP_DROP },
		{ FG_BREAKER_HALF_OPEN, FG_REJECT_DROP, XDP_DROP, XDP_PASS, XDP_PASS },
		{ FG_BREAKER_HALF_OPEN, FG_REJECT_RESET, XDP_TX, XDP_PASS, XDP_PASS },
	};
	static const int tc[] = { [XDP_PASS] = TC_ACT_OK, [XDP_DROP] = TC_ACT_SHOT,
				  [XDP_TX] = TC_ACT_REDIRECT };

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_spec syn = syn_to(UP4, 40000), ack = syn;
		struct pkt_spec udp = { .src = CLIENT4, .dst = UP4, .dport = 53 };
		char what[64];

		SETUP();
		/* permits 0: a half-open breaker with nothing left to admit */
		fx_upstream(UP4 ":80", IPPROTO_TCP, cases[i].state, cases[i].reject, 1, 0);
		fx_upstream(UP4 ":53", IPPROTO_UDP, cases[i].state, cases[i].reject, 1, 0);
		ack.tcp_flags = 0x10;
		snprintf(what, sizeof(what), "state %d reject %d", cases[i].state, cases[i].reject);
		ASSERT_EQ(fx_xdp(syn), cases[i].syn, what);
		ASSERT_EQ(fx_xdp(ack), cases[i].ack, what);
		ASSERT_EQ(fx_xdp(udp), cases[i].udp, what);
		ASSERT_EQ(fx_tc_egress(syn, 0), tc[cases[i].syn], what);
		ASSERT_EQ(fx_tc_egress(ack, 0), tc[cases[i].ack], what);
		ASSERT_EQ(fx_tc_egress(udp, 0), tc[cases[i].udp], what);
	}
}

TEST(breaker_spares_other_destinations)
{
	SETUP();
	fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	struct pkt_spec s = syn_to(UP4, 40000);

	s.dport = 81;
	ASSERT_EQ(fx_xdp(s), XDP_PASS, "same address, other port");
	s = syn_to("198.18.2.11", 40000);
	ASSERT_EQ(fx_xdp(s), XDP_PASS, "other address, same port");
	s = syn_to(UP4, 40000);
	s.proto = IPPROTO_UDP;
	ASSERT_EQ(fx_xdp(s), XDP_PASS, "same address and port, UDP");
	s = (struct pkt_spec){ .src = CLIENT4, .dst = UP4, .frag_off = 10, .payload = 16 };
	ASSERT_EQ(fx_xdp(s), XDP_PASS, "later fragment: no ports to match");
}

/* Check a frame is the RST answering syn: every field and both checksums.
 * Headers are read into locals: at l3off 14 they are not 4-byte aligned. */
static void check_rst(const __u8 *f, __u32 len, const __u8 *syn, __u32 l3off, int v6,
		      const char *what)
{
	struct tcphdr th;
	__u32 sum = 0;

	ASSERT_EQ(len, l3off + (v6 ? 40 : 20) + 20, what);
	ASSERT_TRUE(!memcmp(f, syn + 6, 6) && !memcmp(f + 6, syn, 6), "MACs swapped");
	if (v6) {
		struct ipv6hdr ip, o;

		memcpy(&ip, f + l3off, sizeof(ip));
		memcpy(&o, syn + l3off, sizeof(o));
		ASSERT_TRUE(!memcmp(&ip.saddr, &o.daddr, 16), "v6 src = SYN's dst");
		ASSERT_TRUE(!memcmp(&ip.daddr, &o.saddr, 16), "v6 dst = SYN's src");
		ASSERT_EQ(ntohs(ip.payload_len), 20, "payload_len");
		ASSERT_EQ(ip.nexthdr, IPPROTO_TCP, "nexthdr");
		sum = pkt_csum(&ip.saddr, 32, 0) ^ 0xffff; /* pseudo header, unfolded */
		sum += htons(IPPROTO_TCP) + htons(20);
		memcpy(&th, f + l3off + sizeof(ip), sizeof(th));
	} else {
		struct iphdr ip, o;

		memcpy(&ip, f + l3off, sizeof(ip));
		memcpy(&o, syn + l3off, sizeof(o));
		ASSERT_EQ(ip.saddr, o.daddr, "src = SYN's dst");
		ASSERT_EQ(ip.daddr, o.saddr, "dst = SYN's src");
		ASSERT_EQ(ntohs(ip.tot_len), 40, "tot_len");
		ASSERT_EQ(ip.ihl, 5, "ihl");
		ASSERT_EQ(pkt_csum(&ip, 20, 0), 0, "IPv4 header checksum valid");
		sum = pkt_csum(&ip.saddr, 8, 0) ^ 0xffff;
		sum += htons(IPPROTO_TCP) + htons(20);
		memcpy(&th, f + l3off + sizeof(ip), sizeof(th));
	}
	ASSERT_EQ(((const __u8 *)&th)[13], 0x14, "flags RST|ACK");
	ASSERT_EQ(th.doff, 5, "doff");
	ASSERT_EQ(ntohl(th.seq), 0, "seq");
	ASSERT_EQ(ntohl(th.ack_seq), 1001, "ack = SYN seq + 1");
	ASSERT_EQ(ntohs(th.source), 80, "sport = SYN's dport");
	ASSERT_EQ(ntohs(th.dest), 40000, "dport = SYN's sport");
	ASSERT_EQ(pkt_csum(&th, 20, sum), 0, "TCP checksum valid");
}

TEST(reset_builds_valid_rst)
{
	static const struct {
		const char *dst;
		int vlans;
	} cases[] = { { UP4, 0 }, { UP4, 1 }, { UP4, 2 }, { UP6, 0 }, { UP6, 1 } };

	SETUP();
	fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	fx_upstream("[" UP6 "]:80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt_spec s = syn_to(cases[i].dst, 40000);
		__u8 in[256], out[512];
		__u32 out_len = 0;
		size_t len;

		s.vlans = cases[i].vlans;
		s.data = "0123456789"; /* SYN payload is dropped from the RST */
		len = pkt_build(&s, in, sizeof(in));
		/* ack counts the SYN's payload too */
		s.seq = 1000 - 10;
		len = pkt_build(&s, in, sizeof(in));
		ASSERT_EQ(fx_run(fx_skel->progs.xdp_ingress, in, len, 0, out, &out_len), XDP_TX,
			  "xdp");
		check_rst(out, out_len, in, pkt_l3_off(&s), !!strchr(cases[i].dst, ':'), "xdp rst");
		ASSERT_EQ(fx_run(fx_skel->progs.tc_egress, in, len, 0, out, &out_len),
			  TC_ACT_REDIRECT, "tc");
		check_rst(out, out_len, in, pkt_l3_off(&s), !!strchr(cases[i].dst, ':'), "tc rst");
	}
	ASSERT_EQ(fx_stat(FG_R_BREAKER_RESET), 5, "resets counted");
}

TEST(reset_needs_plain_headers)
{
	SETUP();
	fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	struct pkt_spec s = syn_to(UP4, 40000);

	s.ip_opts = 8;
	ASSERT_EQ(fx_xdp(s), XDP_DROP, "IPv4 options: dropped, not answered");
}

TEST(half_open_permits)
{
	enum { K = 3 };
	int id;

	SETUP();
	id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_HALF_OPEN, FG_REJECT_DROP, 1, K);
	for (int i = 0; i < K; i++)
		ASSERT_EQ(fx_xdp(syn_to(UP4, 41000 + i)), XDP_PASS, "a permit");
	ASSERT_EQ(fx_xdp(syn_to(UP4, 41000 + K)), XDP_DROP, "permits exhausted");
	ASSERT_EQ(fx_xdp(syn_to(UP4, 41000)), XDP_PASS, "retransmit of an admitted SYN");
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 41001), 0), TC_ACT_OK,
		  "TC egress passes a SYN XDP admitted, spending nothing");
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 41009), 0), TC_ACT_SHOT, "new SYN on TC: none left");
	ASSERT_EQ(fx_ustat(id, FG_U_REJECTED), 2, "rejections counted");
}

TEST(staleness_guard)
{
	int auto_id, forced_id;

	SETUP();
	auto_id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 0, 0);
	forced_id = fx_upstream(UP4 ":81", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	struct pkt_spec to81 = syn_to(UP4, 40000);

	to81.dport = 81;
	fx_heartbeat(100 * 1000000ULL); /* 100 ms ago, limit 1 s */
	ASSERT_EQ(fx_xdp(syn_to(UP4, 40000)), XDP_DROP, "live controller: open holds");
	fx_heartbeat(5000 * 1000000ULL); /* 5 s ago */
	ASSERT_EQ(fx_xdp(syn_to(UP4, 40000)), XDP_PASS, "stale controller: fail open");
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 40000), 0), TC_ACT_OK, "fail open on TC too");
	ASSERT_EQ(fx_xdp(to81), XDP_DROP, "forced open holds without a controller");
	ASSERT_EQ(fx_ustat(auto_id, FG_U_STALE), 2, "stale passes counted");
	ASSERT_EQ(fx_ustat(forced_id, FG_U_STALE), 0, "forced never stale");
}

TEST(probe_mark_passes)
{
	int id;

	SETUP();
	id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_HALF_OPEN, FG_REJECT_RESET, 1, 1);
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 40000), FG_PROBE_MARK_DEFAULT), TC_ACT_OK,
		  "marked probe passes half-open");
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 40001), 0), TC_ACT_OK, "the permit is still there");
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 40002), 0), TC_ACT_REDIRECT, "and then gone");
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 40003), 0x1234), TC_ACT_REDIRECT, "other marks do not pass");
	ASSERT_EQ(fx_ustat(id, FG_U_PROBES), 1, "probe counted");
	ASSERT_EQ(fx_ustat(id, FG_U_SYN), 1, "only the admitted client SYN is a passive outcome");
}

/*
 * The observer as fixture tables: each scenario is a run of segments through
 * tc_egress (client -> upstream) and tc_ingress (upstream -> client) on a
 * fresh skeleton, and each segment names the one upstream counter it must
 * bump (or none: every counter from SYN to IGNORED is checked) and the one
 * flow event (FG_C_FLOW_NEW, FG_C_FLOW_UNTRACKED) it must cause.
 * Client ISN 1000, server ISN 5000 unless a scenario says otherwise.
 */
/* Steps leave cport out: 0 means the usual client port. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

enum { END = 0, EG, EGM /* egress, the probe mark */, IN };
#define NONE (-1)
#define F_SYN 0x02
#define F_SA 0x12
#define F_ACK 0x10
#define F_PA 0x18
#define F_RST 0x04
#define F_RA 0x14
#define F_FIN 0x01

#define REQ "GET / HTTP/1.1\r\nHost: u\r\n\r\n"
#define REQ_LEN ((__u32)sizeof(REQ) - 1)
#define R200 "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n"
#define R200_LEN ((__u32)sizeof(R200) - 1)
#define R503 "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
#define R503_LEN ((__u32)sizeof(R503) - 1)

struct obs_step {
	int hook;
	__u8 flags;
	__u32 seq, ack;
	const char *data;
	int want;  /* the FG_U_* counter bumped by one, or NONE */
	int event; /* the FG_C_FLOW_* event counted once, or NONE */
	__u16 cport; /* the client's port; 0: 40000 */
};

struct obs_case {
	const char *name;
	struct obs_step steps[12];
};

#define SYN_OUT { EG, F_SYN, 1000, 0, NULL, FG_U_SYN, NONE }
#define SYNACK_IN { IN, F_SA, 5000, 1001, NULL, FG_U_SYNACK, FG_C_FLOW_NEW }
#define REQ_OUT { EG, F_PA, 1001, 5001, REQ, NONE, NONE }
#define REQ2_OUT(ack) { EG, F_PA, 1001 + REQ_LEN, (ack), REQ, NONE, NONE }

static const struct obs_case obs_cases[] = {
	{ "SYN-ACK answering a recorded SYN", { SYN_OUT, SYNACK_IN } },
	{ "SYN-ACK answering no SYN", { { IN, F_SA, 5000, 1001, NULL, FG_U_IGNORED, NONE } } },
	{ "SYN-ACK with a wrong ack, then the right one",
	  { SYN_OUT,
	    { IN, F_SA, 5000, 1002, NULL, FG_U_IGNORED, NONE },
	    { IN, F_SA, 5000, 1000, NULL, FG_U_IGNORED, NONE },
	    SYNACK_IN } },
	{ "SYN-ACK to other client port",
	  { SYN_OUT, { IN, F_SA, 5000, 1001, NULL, FG_U_IGNORED, NONE, 40001 } } },
	{ "SYN-ACK retransmitted by the server",
	  { SYN_OUT, SYNACK_IN, { IN, F_SA, 5000, 1001, NULL, NONE, NONE } } },
	{ "SYN with a new ISN on the same ports",
	  { SYN_OUT,
	    { EG, F_SYN, 2000, 0, NULL, FG_U_SYN, NONE },
	    { IN, F_SA, 5000, 1001, NULL, FG_U_IGNORED, NONE },
	    { IN, F_SA, 5000, 2001, NULL, FG_U_SYNACK, FG_C_FLOW_NEW } } },
	{ "RST-ACK answering a recorded SYN: refused",
	  { SYN_OUT, { IN, F_RA, 0, 1001, NULL, FG_U_RST, NONE },
	    { IN, F_RA, 0, 1001, NULL, NONE, NONE } } },
	{ "RST without ACK to a SYN",
	  { SYN_OUT, { IN, F_RST, 0, 0, NULL, FG_U_IGNORED, NONE }, SYNACK_IN } },
	{ "RST-ACK with a wrong ack",
	  { SYN_OUT, { IN, F_RA, 0, 999, NULL, FG_U_IGNORED, NONE }, SYNACK_IN } },
	{ "RST answering no SYN", { { IN, F_RA, 0, 1001, NULL, NONE, NONE } } },
	/* A closed connection leaves the table: client data after it is untracked. */
	{ "a server FIN, with the answer, ends the flow",
	  { SYN_OUT, SYNACK_IN, REQ_OUT,
	    { IN, F_PA | F_FIN, 5001, 1001 + REQ_LEN, R503, FG_U_HTTP_5XX, NONE },
	    { EG, F_PA, 1001 + REQ_LEN, 5002 + R503_LEN, REQ, NONE, FG_C_FLOW_UNTRACKED } } },
	{ "a server RST ends the flow",
	  { SYN_OUT, SYNACK_IN, { IN, F_RA, 5001, 1001, NULL, NONE, NONE },
	    { EG, F_PA, 1001, 5001, REQ, NONE, FG_C_FLOW_UNTRACKED } } },
	{ "RST of an open flow",
	  { SYN_OUT, SYNACK_IN, { IN, F_RA, 5001, 1001, NULL, NONE, NONE } } },
	{ "status after handshake and request counts once",
	  { SYN_OUT, SYNACK_IN, REQ_OUT,
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R503, FG_U_HTTP_5XX, NONE },
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R503, FG_U_IGNORED, NONE } } },
	{ "retransmitted request does not count the answer again",
	  { SYN_OUT, SYNACK_IN, REQ_OUT,
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R503, FG_U_HTTP_5XX, NONE },
	    { EG, F_PA, 1001, 5001 + R503_LEN, REQ, NONE, NONE },
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R503, FG_U_IGNORED, NONE },
	    { IN, F_PA, 5001 + R503_LEN, 1001 + REQ_LEN, R503, FG_U_IGNORED, NONE } } },
	{ "mid-body segment reading HTTP/1.1 503",
	  { SYN_OUT, SYNACK_IN, REQ_OUT,
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R200, FG_U_HTTP_2XX, NONE },
	    { IN, F_PA, 5001 + R200_LEN, 1001 + REQ_LEN, "HTTP/1.1 503 xxxxxxx", FG_U_IGNORED,
	      NONE } } },
	{ "forged status on no flow",
	  { { IN, F_PA, 5001, 1001, R503, FG_U_IGNORED, NONE },
	    { IN, F_ACK, 77, 1001, R503, FG_U_IGNORED, NONE } } },
	{ "status before any request",
	  { SYN_OUT, SYNACK_IN, { IN, F_PA, 5001, 1001, R503, FG_U_IGNORED, NONE } } },
	{ "status at another seq than the request acked",
	  { SYN_OUT, SYNACK_IN, REQ_OUT,
	    { IN, F_PA, 5002, 1001 + REQ_LEN, R503, FG_U_IGNORED, NONE },
	    { IN, F_PA, 5000, 1001 + REQ_LEN, R503, FG_U_IGNORED, NONE },
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R503, FG_U_HTTP_5XX, NONE } } },
	{ "status on a flow of other client port",
	  { SYN_OUT, SYNACK_IN, REQ_OUT,
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R503, FG_U_IGNORED, NONE, 40001 } } },
	{ "keep-alive: one status per request",
	  { SYN_OUT, SYNACK_IN, REQ_OUT,
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R200, FG_U_HTTP_2XX, NONE },
	    { IN, F_PA, 5001 + R200_LEN, 1001 + REQ_LEN, "01234567890123456789", NONE, NONE },
	    REQ2_OUT(5001 + R200_LEN + 20),
	    { IN, F_PA, 5001 + R200_LEN + 20, 1001 + 2 * REQ_LEN, R503, FG_U_HTTP_5XX, NONE },
	    { IN, F_PA, 5001 + R200_LEN + 20, 1001 + 2 * REQ_LEN, R503, FG_U_IGNORED, NONE } } },
	{ "request split in two segments: one exchange",
	  { SYN_OUT, SYNACK_IN,
	    { EG, F_PA, 1001, 5001, "GET / HTTP/1.1\r\n", NONE, NONE },
	    { EG, F_PA, 1017, 5001, "Host: u\r\n\r\n", NONE, NONE },
	    { IN, F_PA, 5001, 1028, R503, FG_U_HTTP_5XX, NONE },
	    { IN, F_PA, 5001, 1028, R503, FG_U_IGNORED, NONE } } },
	{ "sequence numbers wrapping",
	  { { EG, F_SYN, 0xfffffff0u, 0, NULL, FG_U_SYN, NONE },
	    { IN, F_SA, 0xfffffff8u, 0xfffffff1u, NULL, FG_U_SYNACK, FG_C_FLOW_NEW },
	    { EG, F_PA, 0xfffffff1u, 0xfffffff9u, REQ, NONE, NONE },
	    { IN, F_PA, 0xfffffff9u, 0xfffffff1u + REQ_LEN, R200, FG_U_HTTP_2XX, NONE },
	    /* a retransmit of the request, across the wrap: nothing new */
	    { EG, F_PA, 0xfffffff1u, 0xfffffff9u + R200_LEN, REQ, NONE, NONE },
	    { IN, F_PA, 0xfffffff9u + R200_LEN, 0xfffffff1u + REQ_LEN, R503, FG_U_IGNORED,
	      NONE },
	    { EG, F_PA, 0xfffffff1u + REQ_LEN, 0xfffffff9u + R200_LEN, REQ, NONE, NONE },
	    { IN, F_PA, 0xfffffff9u + R200_LEN, 0xfffffff1u + 2 * REQ_LEN, R503, FG_U_HTTP_5XX,
	      NONE } } },
	{ "client data on no flow: untracked",
	  { { EG, F_PA, 1001, 5001, REQ, NONE, FG_C_FLOW_UNTRACKED },
	    { EG, F_ACK, 1001, 5001, NULL, NONE, NONE } } },
	{ "the controller's probes never count",
	  { { EGM, F_SYN, 1000, 0, NULL, NONE, NONE },
	    { IN, F_SA, 5000, 1001, NULL, NONE, FG_C_FLOW_NEW },
	    { EGM, F_PA, 1001, 5001, REQ, NONE, NONE },
	    { IN, F_PA, 5001, 1001 + REQ_LEN, R503, NONE, NONE } } },
	{ "a probe refused counts nothing",
	  { { EGM, F_SYN, 1000, 0, NULL, NONE, NONE },
	    { IN, F_RA, 0, 1001, NULL, NONE, NONE } } },
};

static void run_obs_case(const struct obs_case *c, int v6)
{
	const char *up = v6 ? UP6 : UP4, *cl = v6 ? CLIENT6 : CLIENT4;
	char what[160];
	int id;

	SETUP();
	id = fx_upstream(v6 ? "[" UP6 "]:80" : UP4 ":80", IPPROTO_TCP, FG_BREAKER_CLOSED,
			 FG_REJECT_DROP, 0, 0);
	for (int n = 0; n < 12 && c->steps[n].hook != END; n++) {
		const struct obs_step *st = &c->steps[n];
		__u16 cport = st->cport ? st->cport : 40000;
		struct pkt_spec s = { .proto = IPPROTO_TCP, .tcp_flags = st->flags, .seq = st->seq,
				      .ack = st->ack, .data = st->data };
		__u64 before[FG_U_MAX], after[FG_U_MAX], ev[2];
		static const int events[2] = { FG_C_FLOW_NEW, FG_C_FLOW_UNTRACKED };
		int r;

		if (st->hook == IN) {
			s.src = up, s.dst = cl, s.sport = 80, s.dport = cport;
		} else {
			s.src = cl, s.dst = up, s.sport = cport, s.dport = 80;
		}
		snprintf(what, sizeof(what), "%s (%s), step %d", c->name, v6 ? "v6" : "v4", n + 1);
		ASSERT_OK(fg_upstream_stats_sum(&fx_maps, id, before), what);
		for (int e = 0; e < 2; e++)
			ev[e] = fx_stat(events[e]);
		r = st->hook == IN ? fx_tc_ingress(s)
				   : fx_tc_egress(s, st->hook == EGM ? FG_PROBE_MARK_DEFAULT : 0);
		ASSERT_EQ(r, TC_ACT_OK, what);
		ASSERT_OK(fg_upstream_stats_sum(&fx_maps, id, after), what);
		for (int k = FG_U_SYN; k <= FG_U_IGNORED; k++) {
			if (k >= FG_U_REJECTED && k <= FG_U_STALE)
				continue; /* the breaker's, not the observer's */
			if (!ASSERT_EQ(after[k] - before[k], k == st->want, what))
				fprintf(stderr, "    counter %s\n", fg_ustat_names[k]);
		}
		for (int e = 0; e < 2; e++)
			if (!ASSERT_EQ(fx_stat(events[e]) - ev[e], events[e] == st->event, what))
				fprintf(stderr, "    event %s\n", fg_stat_names[events[e]]);
	}
}

TEST(observe_flow_checks)
{
	for (unsigned i = 0; i < sizeof(obs_cases) / sizeof(obs_cases[0]); i++)
		for (int v6 = 0; v6 < 2; v6++)
			run_obs_case(&obs_cases[i], v6);
}

TEST(observe_http_status)
{
	static const struct {
		const char *payload;
		int cls; /* NONE: not a status line, nothing counted */
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", FG_U_HTTP_2XX },
		{ "HTTP/1.1 301 Moved Permanently\r\n", FG_U_HTTP_3XX },
		{ "HTTP/1.1 404 Not Found\r\n", FG_U_HTTP_4XX },
		{ "HTTP/1.1 429 Too Many Requests\r\n", FG_U_HTTP_429 },
		{ "HTTP/1.1 503 Service Unavailable\r\n", FG_U_HTTP_5XX },
		{ "HTTP/1.0 200 OK\r\n", FG_U_HTTP_2XX },
		{ "HTTP/1.0 500 Internal Server Error\r\n", FG_U_HTTP_5XX },
		{ "HTTP/1.1 100 Continue\r\n\r\n", NONE }, /* interim: the real status follows */
		{ "Content-Type: text/html\r\n\r\nHTTP/1.1 500", NONE },
		{ "<html>HTTP/1.1 503</html>", NONE },
		{ "HTTP/2.0 503 nope", NONE },
		{ "HTTP/1.1 5x3 bad", NONE },
		{ "HTTP/1.1 20", NONE }, /* too short for a status line */
		{ "SSH-2.0-OpenSSH_9.2", NONE },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct obs_case c = { cases[i].payload,
				      { SYN_OUT, SYNACK_IN, REQ_OUT,
					{ IN, F_PA, 5001, 1001 + REQ_LEN, cases[i].payload,
					  cases[i].cls, NONE } } };

		run_obs_case(&c, i % 2);
	}
}

TEST(observe_pending_and_flows)
{
	struct fg_flow_key k;
	struct fg_pending pend;
	struct fg_flow f;
	int id;

	SETUP();
	id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_CLOSED, FG_REJECT_DROP, 0, 0);
	struct pkt_spec syn = syn_to(UP4, 40000);

	ASSERT_EQ(fx_tc_egress(syn, 0), TC_ACT_OK, "SYN out");
	ASSERT_OK(bpf_map_get_next_key(fx_maps.pending_syn, NULL, &k), "pending SYN recorded");
	ASSERT_OK(bpf_map_lookup_elem(fx_maps.pending_syn, &k, &pend), "pending SYN read");
	ASSERT_EQ(pend.isn, 1000, "its ISN");
	ASSERT_EQ(pend.upstream_id, id, "its upstream");
	ASSERT_EQ(pend.flags, 0, "not a probe");
	struct pkt_spec sa = { .src = UP4, .dst = CLIENT4, .sport = 80, .dport = 40000,
			       .proto = IPPROTO_TCP, .tcp_flags = F_SA, .seq = 5000, .ack = 1001 };

	ASSERT_EQ(fx_tc_ingress(sa), TC_ACT_OK, "SYN-ACK in");
	ASSERT_ERR(bpf_map_get_next_key(fx_maps.pending_syn, NULL, &k), "SYN-ACK clears pending");
	ASSERT_OK(bpf_map_get_next_key(fx_maps.flows, NULL, &k), "a flow");
	ASSERT_OK(bpf_map_lookup_elem(fx_maps.flows, &k, &f), "flow read");
	ASSERT_EQ(f.cli_next, 1001, "client's next seq");
	ASSERT_EQ(f.req_ack, 5000, "no request yet");
	ASSERT_EQ(f.cli_gen, 0, "no exchange");
	ASSERT_EQ(ntohs(k.sport), 40000, "keyed from the client: its port");
	ASSERT_EQ(ntohs(k.dport), 80, "keyed from the client: the upstream's");

	/* Half-open: a new ISN on admitted ports is a new attempt. */
	SETUP();
	fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_HALF_OPEN, FG_REJECT_DROP, 1, 1);
	ASSERT_EQ(fx_xdp(syn), XDP_PASS, "admitted");
	ASSERT_EQ(fx_xdp(syn), XDP_PASS, "its retransmit");
	syn.seq = 7000;
	ASSERT_EQ(fx_xdp(syn), XDP_DROP, "a new ISN needs a permit");
	ASSERT_OK(bpf_map_get_next_key(fx_maps.pending_syn, NULL, &k), "pending SYN");
	ASSERT_OK(bpf_map_lookup_elem(fx_maps.pending_syn, &k, &pend), "pending SYN read");
	ASSERT_EQ(pend.isn, 1000, "the admitted ISN, recorded by XDP");
	ASSERT_EQ(pend.flags, FG_PENDING_ADMITTED, "admitted");
}
