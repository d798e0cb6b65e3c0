// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floodgate's datapath entry points. Each is thin: parsing, the limiter,
 * the breaker and the observer live in the headers beside this file.
 *
 *   xdp_ingress  client-facing: per-source limits, then breakers of
 *                forwarded traffic (RST back with XDP_TX)
 *   tc_limit     the same limits as a TCX ingress program, for virtual
 *                interfaces where XDP costs a copy per frame (veth)
 *   tc_egress    upstream-facing: breakers of local and forwarded
 *                connections (RST turned back to the local stack), SYN counts
 *   tc_ingress   upstream-facing: SYN-ACK / RST / HTTP status observation,
 *                on flows tc_egress saw open (observe.h)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "limiter.h"
#include "breaker_check.h"
#include "observe.h"
#include "rst.h"

#ifndef BPF_F_INGRESS
#define BPF_F_INGRESS 1
#endif

/*
 * Parsing runs as global functions: the verifier checks each once, and the
 * callers continue from one state instead of one per header layout (VLAN
 * tags x IPv6 extension headers x ...), which would otherwise multiply
 * through the limiter, breaker and RST paths past the verifier's limit.
 */
__noinline int fg_parse_xdp(struct xdp_md *ctx, struct fg_pkt *p)
{
	if (!p)
		return FG_PARSE_NOT_IP;
	return fg_parse(p, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
}

__noinline int fg_parse_skb(struct __sk_buff *skb, struct fg_pkt *p)
{
	if (!p)
		return FG_PARSE_NOT_IP;
	/* skb->len counts from the Ethernet header here, as data does. */
	p->gso_len = skb->gso_size ? skb->len : 0;
	return fg_parse(p, (void *)(long)skb->data, (void *)(long)skb->data_end);
}

static __always_inline struct fg_config *fg_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&config_map, &zero);
}

/*
 * A refused SYN in reset mode: may it be answered (a safe target, a token of
 * the upstream's reset_rate)? 0 when it may; else counted, and the caller
 * drops the SYN instead.
 */
static __always_inline int fg_reset_allowed(const struct fg_pkt *p, void *data, void *end,
					    __u32 id, __u32 reset_rate, struct fg_rst *r)
{
	if (fg_rst_plan(p, data, end, r)) {
		fg_ucount(id, FG_U_RST_REFUSED);
		return -1;
	}
	if (!fg_reset_take(id, reset_rate)) {
		fg_ucount(id, FG_U_RST_LIMITED);
		return -1;
	}
	return 0;
}

/* XDP: answer a refused SYN with a RST, sent back out the same port. */
static __always_inline int xdp_reset(struct xdp_md *ctx, const struct fg_pkt *p,
				     const struct fg_upstream *u)
{
	struct fg_rst r;
	long len;

	if (fg_reset_allowed(p, (void *)(long)ctx->data, (void *)(long)ctx->data_end, u->id,
			     u->reset_rate, &r))
		return -1;
	len = (void *)(long)ctx->data_end - (void *)(long)ctx->data;
	/* Keep clang from folding this into 32-bit pointer math. */
	asm volatile("" : "+r"(len));
	if (bpf_xdp_adjust_tail(ctx, (int)r.len - (int)len))
		return -1;
	return fg_rst_write((void *)(long)ctx->data, (void *)(long)ctx->data_end, &r);
}

/* Steps 1-3 of the verdict order: parse, policy, bucket. A reason. */
static __always_inline __u32 fg_ingress_reason(const struct fg_config *cfg, int parsed,
					       const struct fg_pkt *p)
{
	if (parsed == FG_PARSE_NOT_IP)
		return FG_R_NON_IP;
	if (parsed == FG_PARSE_MALFORMED)
		return cfg->malformed == FG_MALFORMED_PASS ? FG_R_MALFORMED_PASS : FG_R_MALFORMED;
	if (p->frag)
		fg_count(FG_C_FRAGMENT);
	return fg_limit(p, cfg);
}

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	struct fg_upstream *u;
	struct fg_pkt p = {};
	struct fg_config *cfg;
	__u32 reason;
	int r;

	cfg = fg_cfg();
	if (!cfg)
		return XDP_PASS;

	r = fg_parse_v4_plain(&p, (void *)(long)ctx->data, (void *)(long)ctx->data_end);
	if (r == FG_PARSE_SLOW)
		r = fg_parse_xdp(ctx, &p);
	/*
	 * Monitor mode is about policy only: what limits and denies would drop
	 * is counted (monitor_*) and passed on to step 4 like any packet they
	 * let through. Breakers are enforced in both modes, for every packet
	 * alike: an open breaker protects a failing upstream, which no
	 * policy trial should undo (an operator can force it closed).
	 */
	reason = fg_apply_mode(cfg, fg_ingress_reason(cfg, r, &p));
	/* Step 4: the destination's breaker, for what the policy let through. */
	if (r == FG_PARSE_OK && reason < FG_R_FIRST_DROP && (u = fg_upstream_of(&p, 1))) {
		r = fg_breaker(&p, cfg, u, 0);
		if (r == FG_BRK_RESET && xdp_reset(ctx, &p, u) == 0) {
			fg_ucount(u->id, FG_U_RESETS);
			fg_count(FG_R_BREAKER_RESET);
			return XDP_TX;
		}
		if (r != FG_BRK_PASS) {
			fg_count(FG_R_BREAKER_DROP);
			return XDP_DROP;
		}
	}
	fg_count(reason);
	return reason < FG_R_FIRST_DROP ? XDP_PASS : XDP_DROP;
}

#define TCX_NEXT (-1) /* pass on to the next TCX program (the observer) */

/*
 * Per-source limits at TCX ingress. On veth, XDP costs a page copy of every
 * frame before any program runs; here the skb already exists and nothing is
 * copied. Breakers of forwarded traffic are then enforced by tc_egress on the
 * upstream side.
 */
SEC("tc")
int tc_limit(struct __sk_buff *skb)
{
	struct fg_pkt p = {};
	struct fg_config *cfg;
	__u32 reason;

	int r;

	cfg = fg_cfg();
	if (!cfg)
		return TCX_NEXT;
	/* skb->data_end bounds the linear part, as for the full parser. */
	r = fg_parse_v4_plain(&p, (void *)(long)skb->data, (void *)(long)skb->data_end);
	if (r == FG_PARSE_SLOW)
		r = fg_parse_skb(skb, &p);
	reason = fg_apply_mode(cfg, fg_ingress_reason(cfg, r, &p));
	fg_count(reason);
	return reason < FG_R_FIRST_DROP ? TCX_NEXT : TC_ACT_SHOT;
}

/* TC: turn a refused SYN into a RST and hand it to our own stack. */
static __always_inline int tc_reset(struct __sk_buff *skb, const struct fg_pkt *p, __u32 id,
				    __u32 reset_rate)
{
	struct fg_rst r;

	if (fg_reset_allowed(p, (void *)(long)skb->data, (void *)(long)skb->data_end, id,
			     reset_rate, &r))
		return -1;
	if (bpf_skb_change_tail(skb, r.len, 0) || bpf_skb_pull_data(skb, r.len))
		return -1;
	return fg_rst_write((void *)(long)skb->data, (void *)(long)skb->data_end, &r);
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	struct fg_upstream *u;
	struct fg_pkt p = {};
	struct fg_config *cfg;
	int r, marked;

	cfg = fg_cfg();
	if (!cfg || fg_parse_skb(skb, &p) != FG_PARSE_OK)
		return TC_ACT_OK;
	u = fg_upstream_of(&p, 1);
	if (!u)
		return TC_ACT_OK;

	marked = cfg->probe_mark && skb->mark == cfg->probe_mark;
	r = fg_breaker(&p, cfg, u, marked);
	if (r == FG_BRK_RESET) {
		__u32 id = u->id; /* the map value pointer does not survive the rewrite */

		if (tc_reset(skb, &p, id, u->reset_rate) == 0) {
			fg_ucount(id, FG_U_RESETS);
			return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
		}
		return TC_ACT_SHOT;
	}
	if (r == FG_BRK_DROP)
		return TC_ACT_SHOT;

	/* The controller's own probes judge themselves: their SYNs are
	 * recorded only so that their replies are known and never count. */
	if (fg_is_syn(&p)) {
		if (!marked)
			fg_ucount(u->id, FG_U_SYN);
		fg_record_syn(&p, u->id, marked ? FG_PENDING_PROBE : 0);
	} else if (!marked) {
		fg_observe_request(skb, &p);
	}
	return TC_ACT_OK;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	struct fg_upstream *u;
	struct fg_pkt p = {};
	__u8 flags;
	__u32 id;

	if (fg_parse_skb(skb, &p) != FG_PARSE_OK || p.l4proto != IPPROTO_TCP || !p.l4off)
		return TC_ACT_OK;
	u = fg_upstream_of(&p, 0);
	if (!u)
		return TC_ACT_OK;
	id = u->id;
	flags = p.tcp_flags;
	if ((flags & (FG_TCP_SYN | FG_TCP_ACK)) == (FG_TCP_SYN | FG_TCP_ACK))
		fg_observe_synack(skb, &p, id);
	else if (flags & FG_TCP_RST)
		fg_observe_rst(skb, &p, id);
	else if (!(flags & FG_TCP_SYN) && fg_tcp_payload(&p))
		fg_observe_answer(skb, &p, id);
	/* The server is done with this connection: no answer can follow. */
	if (flags & (FG_TCP_FIN | FG_TCP_RST))
		fg_observe_close(&p);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
