/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The circuit-breaker check shared by XDP ingress and TC egress: is this
 * packet's destination an upstream whose breaker refuses it? Also the
 * half-open permit accounting and the staleness guard.
 */
#ifndef FG_BREAKER_CHECK_H
#define FG_BREAKER_CHECK_H

#include "map_defs.h"
#include "parsing.h"
#include "gcra.h"

#define FG_PERMIT_RETRIES 8

enum fg_brk {
	FG_BRK_PASS = 0,
	FG_BRK_DROP,  /* refuse silently */
	FG_BRK_RESET, /* refuse a SYN with a RST */
};

static __always_inline int fg_is_syn(const struct fg_pkt *p)
{
	return p->l4proto == IPPROTO_TCP &&
	       (p->tcp_flags & (FG_TCP_SYN | FG_TCP_ACK)) == FG_TCP_SYN;
}

/* pending_syn key of p's connection, seen from the client: a reply (from
 * the upstream) has its addresses and ports swapped back. */
static __always_inline void fg_flow_key(struct fg_flow_key *k, const struct fg_pkt *p,
					int reply)
{
	fg_copy16(k->saddr, reply ? p->dst : p->src);
	fg_copy16(k->daddr, reply ? p->src : p->dst);
	k->sport = reply ? p->dport : p->sport;
	k->dport = reply ? p->sport : p->dport;
	k->proto = p->l4proto;
	k->pad[0] = k->pad[1] = k->pad[2] = 0;
}

/* The upstream a packet is going to (dst = 1) or coming from (dst = 0). */
static __always_inline struct fg_upstream *fg_upstream_of(const struct fg_pkt *p, int dst)
{
	struct fg_upstream_key key;
	__u16 port = dst ? p->dport : p->sport, hport = bpf_ntohs(port);
	__u32 word = fg_port_word(p->l4proto, hport);
	__u64 *bits;

	if (p->later_frag || (p->l4proto != IPPROTO_TCP && p->l4proto != IPPROTO_UDP))
		return NULL;
	/* No upstream on this port and protocol: no hash lookup (upstream_ports). */
	bits = bpf_map_lookup_elem(&upstream_ports, &word);
	if (!bits || !(*bits & fg_port_bit(hport)))
		return NULL;
	fg_copy16(key.addr, dst ? p->dst : p->src);
	key.port = port;
	key.proto = p->l4proto;
	key.pad = 0;
	return bpf_map_lookup_elem(&upstreams, &key);
}

static __always_inline struct fg_upstream_rt *fg_upstream_rt_of(__u32 id)
{
	return bpf_map_lookup_elem(&upstream_rt, &id);
}

/*
 * Spend one of the u->permits of this half-open period, or fail. The count
 * lives in upstream_rt, not in the entry: the controller rewrites entries
 * (a success counted, a restart), and a count it read before a packet spent
 * a permit would give that permit back when written. The period's number
 * rides in the same word, so a new period starts from 0 with one CAS. Lost
 * races past FG_PERMIT_RETRIES refuse: half-open errs on admitting less.
 */
static __always_inline int fg_permit_take(const struct fg_upstream *u)
{
	struct fg_upstream_rt *rt = fg_upstream_rt_of(u->id);
	__u64 gen = READ_ONCE(u->half_open_gen);
	__s32 granted = READ_ONCE(u->permits);
	int i;

	if (!rt || granted <= 0)
		return 0;
#pragma unroll
	for (i = 0; i < FG_PERMIT_RETRIES; i++) {
		__u64 old = READ_ONCE(rt->permits_used);
		__u32 used = (old >> 32) == gen ? (__u32)old : 0;

		if (used >= (__u32)granted)
			return 0;
		if (__sync_val_compare_and_swap(&rt->permits_used, old, gen << 32 | (used + 1)) == old)
			return 1;
	}
	return 0;
}

/*
 * reject = reset: take a token from the upstream's RST bucket, reset_rate
 * per second holding one second's worth. Only for a RST that will be sent
 * (after fg_rst_plan), so unsafe targets spend nothing.
 */
static __always_inline int fg_reset_take(__u32 id, __u32 reset_rate)
{
	struct fg_upstream_rt *rt = fg_upstream_rt_of(id);
	__u32 rate = reset_rate ? reset_rate : FG_RESET_RATE_DEFAULT;

	if (!rt)
		return 0;
	if (rate > FG_RESET_RATE_MAX)
		rate = FG_RESET_RATE_MAX;
	return fg_gcra_admit(&rt->reset_tat, 1000000000ULL / rate, rate, bpf_ktime_get_ns()) ==
	       FG_GCRA_PASS;
}

/* A half-open breaker admits a new connection while a permit remains. */
static __always_inline int fg_half_open_admit(struct fg_upstream *u, const struct fg_pkt *p,
					      __u64 now)
{
	struct fg_flow_key fk;
	struct fg_pending *pend, np = {};

	if (!fg_is_syn(p))
		return 1; /* packets of admitted flows; UDP has no connections */
	fg_flow_key(&fk, p, 0);
	pend = bpf_map_lookup_elem(&pending_syn, &fk);
	/* The same ISN: a retransmit, or checked already on another hook. A new
	 * ISN on the same ports is a new attempt and needs its own permit. */
	if (pend && (pend->flags & FG_PENDING_ADMITTED) && pend->isn == p->tcp_seq)
		return 1;
	if (!fg_permit_take(u))
		return 0;
	np.first_ns = now;
	np.upstream_id = u->id;
	np.flags = FG_PENDING_ADMITTED;
	np.isn = p->tcp_seq; /* what the SYN-ACK or refusing RST must ack */
	bpf_map_update_elem(&pending_syn, &fk, &np, BPF_ANY);
	return 1;
}

/*
 * Verdict for a packet towards an upstream. marked: the controller's own
 * probe (TC only), which passes in every state and spends no permit.
 */
static __always_inline int fg_breaker(const struct fg_pkt *p, const struct fg_config *cfg,
				      struct fg_upstream *u, int marked)
{
	enum fg_breaker state = u->state;
	__u64 now;

	if (state == FG_BREAKER_CLOSED)
		return FG_BRK_PASS; /* the common case: no clock read (~25 ns in a VM) */
	now = bpf_ktime_get_ns();
	if (marked) {
		fg_ucount(u->id, FG_U_PROBES);
		return FG_BRK_PASS;
	}
	/* A dead controller must never black-hole an upstream: fail open. */
	if (!u->forced && now - cfg->heartbeat_ns > cfg->stale_ns) {
		fg_ucount(u->id, FG_U_STALE);
		return FG_BRK_PASS;
	}
	if (state == FG_BREAKER_HALF_OPEN && fg_half_open_admit(u, p, now))
		return FG_BRK_PASS;
	fg_ucount(u->id, FG_U_REJECTED);
	if (u->reject == FG_REJECT_RESET && fg_is_syn(p))
		return FG_BRK_RESET;
	return FG_BRK_DROP;
}

#endif /* FG_BREAKER_CHECK_H */
