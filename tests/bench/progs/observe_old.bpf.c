// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The observer as it was before flow checks (floodgate 0.1.0, commit
 * 9789a48), kept as a reference for `make bench` only: tc_egress recorded
 * SYNs and nothing else; tc_ingress counted every SYN-ACK, a RST when it
 * deleted a pending SYN, and any segment from an upstream whose payload
 * began with a status line, after a socket lookup that told the
 * controller's probes apart. bench_observe runs it beside today's programs
 * on the same maps (reused fds), so the two differ only in the observer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "breaker_check.h"

#define FG_HTTP_STATUS_LEN 12

__noinline int old_parse_skb(struct __sk_buff *skb, struct fg_pkt *p)
{
	if (!p)
		return FG_PARSE_NOT_IP;
	return fg_parse(p, (void *)(long)skb->data, (void *)(long)skb->data_end);
}

static __always_inline struct fg_config *old_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&config_map, &zero);
}

static __always_inline int old_http_class(const __u8 *b)
{
	int code;

	if (b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/' ||
	    b[5] != '1' || b[6] != '.' || (b[7] != '0' && b[7] != '1') || b[8] != ' ')
		return -1;
	if (b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' || b[11] < '0' ||
	    b[11] > '9')
		return -1;
	code = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	switch (b[9]) {
	case '2': return FG_U_HTTP_2XX;
	case '3': return FG_U_HTTP_3XX;
	case '4': return code == 429 ? FG_U_HTTP_429 : FG_U_HTTP_4XX;
	case '5': return FG_U_HTTP_5XX;
	default: return -1;
	}
}

static __always_inline int old_reply_may_count(const struct fg_pkt *p)
{
	if (p->l4proto != IPPROTO_TCP || !p->l4off)
		return 0;
	if (p->tcp_flags & (FG_TCP_SYN | FG_TCP_RST))
		return 1;
	return p->l3end >= p->l4off + p->tcp_hlen + FG_HTTP_STATUS_LEN;
}

static __always_inline __u32 old_observe_reply(const struct fg_pkt *p, struct fg_upstream *u)
{
	struct fg_flow_key fk;

	if (p->l4proto != IPPROTO_TCP || !p->l4off)
		return 0;
	if ((p->tcp_flags & (FG_TCP_SYN | FG_TCP_ACK)) == (FG_TCP_SYN | FG_TCP_ACK)) {
		fg_ucount(u->id, FG_U_SYNACK);
		fg_flow_key(&fk, p, 1);
		bpf_map_delete_elem(&pending_syn, &fk);
		return 0;
	}
	if (p->tcp_flags & FG_TCP_RST) {
		fg_flow_key(&fk, p, 1);
		if (bpf_map_delete_elem(&pending_syn, &fk) == 0)
			fg_ucount(u->id, FG_U_RST);
		return 0;
	}
	if (p->l3end < p->l4off + p->tcp_hlen + FG_HTTP_STATUS_LEN)
		return 0;
	return p->l4off + p->tcp_hlen;
}

SEC("tc")
int old_tc_egress(struct __sk_buff *skb)
{
	struct fg_upstream *u;
	struct fg_pkt p = {};
	struct fg_config *cfg;
	struct fg_flow_key fk;
	int r, marked;

	cfg = old_cfg();
	if (!cfg || old_parse_skb(skb, &p) != FG_PARSE_OK)
		return TC_ACT_OK;
	u = fg_upstream_of(&p, 1);
	if (!u)
		return TC_ACT_OK;
	marked = cfg->probe_mark && skb->mark == cfg->probe_mark;
	r = fg_breaker(&p, cfg, u, marked);
	if (r != FG_BRK_PASS)
		return TC_ACT_SHOT; /* not benchmarked: closed breakers only */
	if (fg_is_syn(&p) && !marked) {
		struct fg_pending np = { .first_ns = bpf_ktime_get_ns(), .upstream_id = u->id };

		fg_ucount(u->id, FG_U_SYN);
		fg_flow_key(&fk, &p, 0);
		bpf_map_update_elem(&pending_syn, &fk, &np, BPF_NOEXIST);
	}
	return TC_ACT_OK;
}

static __always_inline int old_reply_to_probe(struct __sk_buff *skb, const struct fg_pkt *p)
{
	struct bpf_sock_tuple t = {};
	struct fg_config *cfg = old_cfg();
	struct bpf_sock *sk;
	int probe;

	if (!cfg || !cfg->probe_mark || p->l4proto != IPPROTO_TCP)
		return 0;
	if (p->is_v6) {
		__builtin_memcpy(t.ipv6.saddr, p->src, 16);
		__builtin_memcpy(t.ipv6.daddr, p->dst, 16);
		t.ipv6.sport = p->sport;
		t.ipv6.dport = p->dport;
		sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv6), BPF_F_CURRENT_NETNS, 0);
	} else {
		__builtin_memcpy(&t.ipv4.saddr, p->src + 12, 4);
		__builtin_memcpy(&t.ipv4.daddr, p->dst + 12, 4);
		t.ipv4.sport = p->sport;
		t.ipv4.dport = p->dport;
		sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	}
	if (!sk)
		return 0;
	probe = sk->mark == cfg->probe_mark;
	bpf_sk_release(sk);
	return probe;
}

SEC("tc")
int old_tc_ingress(struct __sk_buff *skb)
{
	__u8 status[FG_HTTP_STATUS_LEN];
	struct fg_upstream *u;
	struct fg_pkt p = {};
	__u32 off, id;
	int cls;

	if (old_parse_skb(skb, &p) != FG_PARSE_OK)
		return TC_ACT_OK;
	u = fg_upstream_of(&p, 0);
	if (!u)
		return TC_ACT_OK;
	id = u->id;
	if (old_reply_may_count(&p) && old_reply_to_probe(skb, &p))
		return TC_ACT_OK;
	off = old_observe_reply(&p, u);
	if (!off || bpf_skb_load_bytes(skb, off, status, sizeof(status)))
		return TC_ACT_OK;
	cls = old_http_class(status);
	if (cls >= 0)
		fg_ucount(id, cls);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
