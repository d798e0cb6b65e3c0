// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Circuit breakers under BPF_PROG_TEST_RUN: verdicts per state x reject mode
 * x packet kind on both enforcing hooks, the RST that reset mode builds
 * (parsed back field by field), half-open permits, the staleness guard, the
 * probe mark, and the passive observer (SYN-ACK, RST, HTTP status classes).
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

static struct pkt_spec reply(const char *from, const char *payload, __u8 flags)
{
	int v6 = strchr(from, ':') != NULL;

	return (struct pkt_spec){ .src = from, .dst = v6 ? CLIENT6 : CLIENT4, .sport = 80,
				  .dport = 40000, .proto = IPPROTO_TCP, .data = payload,
				  .tcp_flags = flags };
}

TEST(observe_http_status)
{
	static const struct {
		const char *payload;
		int cls; /* -1: not counted */
	} cases[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", FG_U_HTTP_2XX },
		{ "HTTP/1.1 301 Moved Permanently\r\n", FG_U_HTTP_3XX },
		{ "HTTP/1.1 404 Not Found\r\n", FG_U_HTTP_4XX },
		{ "HTTP/1.1 429 Too Many Requests\r\n", FG_U_HTTP_429 },
		{ "HTTP/1.1 503 Service Unavailable\r\n", FG_U_HTTP_5XX },
		{ "HTTP/1.0 200 OK\r\n", FG_U_HTTP_2XX },
		{ "HTTP/1.0 500 Internal Server Error\r\n", FG_U_HTTP_5XX },
		{ "Content-Type: text/html\r\n\r\nHTTP/1.1 500", -1 }, /* status in an earlier segment */
		{ "<html>HTTP/1.1 503</html>", -1 },
		{ "HTTP/2.0 503 nope", -1 },
		{ "HTTP/1.1 5x3 bad", -1 },
		{ "HTTP/1.1 20", -1 }, /* too short for a status line */
		{ "SSH-2.0-OpenSSH_9.2", -1 },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *from = i % 2 ? "[" UP6 "]:80" : UP4 ":80";
		int id;

		SETUP();
		id = fx_upstream(from, IPPROTO_TCP, FG_BREAKER_CLOSED, FG_REJECT_DROP, 0, 0);
		ASSERT_EQ(fx_tc_ingress(reply(i % 2 ? UP6 : UP4, cases[i].payload, 0x18)),
			  TC_ACT_OK, cases[i].payload);
		for (int c = FG_U_HTTP_2XX; c <= FG_U_HTTP_5XX; c++)
			ASSERT_EQ(fx_ustat(id, c), c == cases[i].cls, cases[i].payload);
	}
}

TEST(observe_syn_ack_and_refused)
{
	struct fg_flow_key k;
	int id;

	SETUP();
	id = fx_upstream(UP4 ":80", IPPROTO_TCP, FG_BREAKER_CLOSED, FG_REJECT_DROP, 0, 0);
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 40000), 0), TC_ACT_OK, "SYN out");
	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 40000), 0), TC_ACT_OK, "SYN retransmitted");
	ASSERT_EQ(fx_ustat(id, FG_U_SYN), 2, "SYNs counted");
	ASSERT_OK(bpf_map_get_next_key(fx_maps.pending_syn, NULL, &k), "pending SYN recorded");
	ASSERT_EQ(fx_tc_ingress(reply(UP4, NULL, 0x12)), TC_ACT_OK, "SYN-ACK in");
	ASSERT_EQ(fx_ustat(id, FG_U_SYNACK), 1, "SYN-ACK counted");
	ASSERT_ERR(bpf_map_get_next_key(fx_maps.pending_syn, NULL, &k), "SYN-ACK clears pending");

	ASSERT_EQ(fx_tc_egress(syn_to(UP4, 40000), 0), TC_ACT_OK, "SYN out again");
	ASSERT_EQ(fx_tc_ingress(reply(UP4, NULL, 0x14)), TC_ACT_OK, "RST|ACK in");
	ASSERT_EQ(fx_ustat(id, FG_U_RST), 1, "RST answering a SYN: refused");
	ASSERT_EQ(fx_tc_ingress(reply(UP4, NULL, 0x14)), TC_ACT_OK, "another RST");
	ASSERT_EQ(fx_ustat(id, FG_U_RST), 1, "a RST of an open flow is not a refusal");
	ASSERT_EQ(fx_tc_ingress(reply("198.18.2.99", NULL, 0x12)), TC_ACT_OK, "not an upstream");
	ASSERT_EQ(fx_ustat(id, FG_U_SYNACK), 1, "other sources not counted");
}
