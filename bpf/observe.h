/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Passive health observation: what the replies of an upstream say about it.
 * SYN-ACK = connect success, RST answering a SYN = refused, and the status
 * line of an HTTP/1.x response at the start of a TCP payload.
 */
#ifndef FG_OBSERVE_H
#define FG_OBSERVE_H

#include "breaker.h"

#define FG_HTTP_STATUS_LEN 12 /* "HTTP/1.1 503" */

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

/* Could fg_observe_reply count this packet? (SYN-ACK, RST, a status line) */
static __always_inline int fg_reply_may_count(const struct fg_pkt *p)
{
	if (p->l4proto != IPPROTO_TCP || !p->l4off)
		return 0;
	if (p->tcp_flags & (FG_TCP_SYN | FG_TCP_RST))
		return 1;
	return p->l3end >= p->l4off + p->tcp_hlen + FG_HTTP_STATUS_LEN;
}

/*
 * Count a reply from upstream u. Returns the offset of the TCP payload in
 * the frame when it should be checked for an HTTP status line, else 0.
 */
static __always_inline __u32 fg_observe_reply(const struct fg_pkt *p, struct fg_upstream *u)
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
		/* Only a RST that answers our SYN means refused. */
		if (bpf_map_delete_elem(&pending_syn, &fk) == 0)
			fg_ucount(u->id, FG_U_RST);
		return 0;
	}
	/* A status line needs the payload to hold at least its 12 bytes. */
	if (p->l3end < p->l4off + p->tcp_hlen + FG_HTTP_STATUS_LEN)
		return 0;
	return p->l4off + p->tcp_hlen;
}

#endif /* FG_OBSERVE_H */
