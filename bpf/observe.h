/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Passive health observation: what the replies of an upstream say about it,
 * counted only on connections the datapath saw open, so that nothing an
 * attacker can inject from the upstream side opens a breaker or hides a
 * failure:
 *
 *   SYN (tc_egress)      recorded in pending_syn with its ISN
 *   SYN-ACK (tc_ingress) a connect success only when it acks a recorded SYN
 *                        (ack == ISN + 1); it opens a flows entry
 *   RST (tc_ingress)     a refusal only when it acks a recorded SYN, as RFC
 *                        793 accepts a RST in SYN-SENT (ACK set, ack == ISN + 1)
 *   client data (egress) on a flow, new bytes (beyond any seen) whose ack
 *                        differs from the last request's start a new exchange:
 *                        the answer must begin at that ack
 *   server data (ingress) the status line counts only on the segment whose
 *                        seq is that ack, once per exchange; retransmits of
 *                        it, later segments (bodies) and segments of flows
 *                        not in the table never count
 *
 * The client's ack is where the answer starts because HTTP/1.x answers a
 * request only after the client sent it, and the client sends it after it
 * received the previous answer (keep-alive): a blind injector must guess a
 * 32-bit sequence number and the 4-tuple. Pipelined requests sent before
 * any answer arrived count as one exchange; a 1xx interim answer is not
 * counted, nor is the final status of a 103 Early Hints exchange.
 */
#ifndef FG_OBSERVE_H
#define FG_OBSERVE_H

#include "breaker_check.h"

#define FG_HTTP_STATUS_LEN 12 /* "HTTP/1.1 503" */

#ifndef WRITE_ONCE
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))
#endif

/* Class of an HTTP/1.x status line's first 12 bytes, or -1 if it is not one. */
static __always_inline int fg_http_class(const __u8 *b)
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
	default: return -1; /* 1xx: informational, the real status follows */
	}
}

/* TCP sequence numbers wrap: a is after b when the distance is below 2^31. */
static __always_inline int fg_seq_after(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

/* The TCP payload's length; 0 for none. */
static __always_inline __u32 fg_tcp_payload(const struct fg_pkt *p)
{
	__u32 hdr_end = p->l4off + p->tcp_hlen;

	return p->l3end > hdr_end ? p->l3end - hdr_end : 0;
}

/* The acknowledgment number (host order). parsing.h keeps only the seq:
 * the ack is read here, for the few segments that need it. */
static __always_inline int fg_tcp_ack(struct __sk_buff *skb, const struct fg_pkt *p,
				      __u32 *ack)
{
	__be32 v;

	if (bpf_skb_load_bytes(skb, p->l4off + 8, &v, sizeof(v)))
		return -1;
	*ack = bpf_ntohl(v);
	return 0;
}

/*
 * tc_egress: a SYN towards upstream id. The first SYN of an ISN records the
 * time (retransmits keep it) and the ISN; a SYN with another ISN on the
 * same ports is a new attempt and restarts both.
 */
static __always_inline void fg_record_syn(const struct fg_pkt *p, __u32 id, __u32 flags)
{
	struct fg_pending np = { .first_ns = bpf_ktime_get_ns(), .upstream_id = id,
				 .flags = flags, .isn = p->tcp_seq };
	struct fg_pending *pend;
	struct fg_flow_key fk;

	fg_flow_key(&fk, p, 0);
	if (bpf_map_update_elem(&pending_syn, &fk, &np, BPF_NOEXIST) == 0)
		return;
	pend = bpf_map_lookup_elem(&pending_syn, &fk);
	if (pend && pend->isn != p->tcp_seq) {
		pend->first_ns = np.first_ns;
		pend->isn = np.isn;
	}
}

/* tc_egress: client data on a flow; it may start a new exchange. */
static __always_inline void fg_observe_request(struct __sk_buff *skb, const struct fg_pkt *p)
{
	__u32 len = fg_tcp_payload(p), end, ack;
	struct fg_flow_key fk;
	struct fg_flow *f;

	if (!len || (p->tcp_flags & (FG_TCP_SYN | FG_TCP_RST)) || !(p->tcp_flags & FG_TCP_ACK))
		return;
	fg_flow_key(&fk, p, 0);
	f = bpf_map_lookup_elem(&flows, &fk);
	if (!f) {
		fg_count(FG_C_FLOW_UNTRACKED);
		return;
	}
	end = p->tcp_seq + len;
	/* A retransmit brings nothing new: it must not start an exchange. */
	if (!fg_seq_after(end, f->cli_next))
		return;
	f->cli_next = end;
	if (fg_tcp_ack(skb, p, &ack) || ack == f->req_ack)
		return; /* more of the same request: nothing answered in between */
	f->req_ack = ack;
	/* req_ack before the generation that publishes it (tc_ingress reads
	 * them the other way round, on another CPU). */
	asm volatile("" ::: "memory");
	WRITE_ONCE(f->cli_gen, f->cli_gen + 1);
}

/*
 * tc_ingress: a SYN-ACK from upstream id. Only one acking a recorded SYN is
 * a success, and opens the flow its status lines may count on.
 */
static __always_inline void fg_observe_synack(struct __sk_buff *skb, const struct fg_pkt *p,
					      __u32 id)
{
	struct fg_flow nf = { .upstream_id = id };
	struct fg_pending *pend;
	struct fg_flow_key fk;
	struct fg_flow *f;
	__u32 ack, flags;

	fg_flow_key(&fk, p, 1);
	pend = bpf_map_lookup_elem(&pending_syn, &fk);
	if (!pend || fg_tcp_ack(skb, p, &ack) || ack != pend->isn + 1) {
		/* The server retransmits its SYN-ACK when our ACK was lost:
		 * same ISN, no exchange yet. Not counted, not suspicious. */
		f = pend ? NULL : bpf_map_lookup_elem(&flows, &fk);
		if (!f || f->req_ack != p->tcp_seq || READ_ONCE(f->cli_gen))
			fg_ucount(id, FG_U_IGNORED);
		return;
	}
	flags = pend->flags;
	/* req_ack = the server's ISN: no byte starts there (the SYN has it),
	 * so the first request, acking ISN + 1, starts the first exchange. */
	nf.req_ack = p->tcp_seq;
	nf.cli_next = ack;
	nf.flags = (flags & FG_PENDING_PROBE) ? FG_FLOW_PROBE : 0;
	if (bpf_map_update_elem(&flows, &fk, &nf, BPF_ANY) == 0)
		fg_count(FG_C_FLOW_NEW);
	/* The delete decides: the daemon may have swept it as a timeout. */
	if (bpf_map_delete_elem(&pending_syn, &fk) == 0 && !(flags & FG_PENDING_PROBE))
		fg_ucount(id, FG_U_SYNACK);
}

/* tc_ingress: a RST from upstream id; a refusal only when it acks our SYN. */
static __always_inline void fg_observe_rst(struct __sk_buff *skb, const struct fg_pkt *p,
					   __u32 id)
{
	struct fg_pending *pend;
	struct fg_flow_key fk;
	__u32 ack, flags;

	fg_flow_key(&fk, p, 1);
	pend = bpf_map_lookup_elem(&pending_syn, &fk);
	if (!pend)
		return; /* a RST of an open flow, or of none: not a refusal */
	if (!(p->tcp_flags & FG_TCP_ACK) || fg_tcp_ack(skb, p, &ack) || ack != pend->isn + 1) {
		fg_ucount(id, FG_U_IGNORED);
		return;
	}
	flags = pend->flags;
	if (bpf_map_delete_elem(&pending_syn, &fk) == 0 && !(flags & FG_PENDING_PROBE))
		fg_ucount(id, FG_U_RST);
}

/* tc_ingress: server data from upstream id; the status line of an answer. */
static __always_inline void fg_observe_answer(struct __sk_buff *skb, const struct fg_pkt *p,
					      __u32 id)
{
	__u8 status[FG_HTTP_STATUS_LEN];
	__u32 off = p->l4off + p->tcp_hlen, gen = 0, done = 0;
	struct fg_flow_key fk;
	struct fg_flow *f;
	int cls, start = 0;

	fg_flow_key(&fk, p, 1);
	f = bpf_map_lookup_elem(&flows, &fk);
	if (f) {
		if (f->flags & FG_FLOW_PROBE)
			return; /* the controller's probes judge themselves */
		gen = READ_ONCE(f->cli_gen);
		done = READ_ONCE(f->srv_gen);
		asm volatile("" ::: "memory");
		start = gen != done && p->tcp_seq == READ_ONCE(f->req_ack);
	}
	/* The payload may sit outside the linear area: copy it out. */
	if (fg_tcp_payload(p) < FG_HTTP_STATUS_LEN ||
	    bpf_skb_load_bytes(skb, off, status, sizeof(status)))
		return;
	cls = fg_http_class(status);
	if (cls < 0)
		return;
	/* Once per exchange, also when a retransmit races on another CPU. */
	if (start && __sync_val_compare_and_swap(&f->srv_gen, done, gen) == done)
		fg_ucount(id, cls);
	else
		fg_ucount(id, FG_U_IGNORED);
}

/*
 * tc_ingress: the server closed (FIN) or reset the connection: its flows
 * entry goes, so the table holds open connections and not the LRU's worth
 * of finished ones. After the answer in the same segment was judged.
 */
static __always_inline void fg_observe_close(const struct fg_pkt *p)
{
	struct fg_flow_key fk;

	fg_flow_key(&fk, p, 1);
	bpf_map_delete_elem(&flows, &fk);
}

#endif /* FG_OBSERVE_H */
