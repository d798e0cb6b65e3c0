/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Upstream circuit breakers: the maps the datapath enforces and observes, and
 * the controller (floodgated) or the CLI writes. Shared by both sides.
 */
#ifndef UPSTREAM_KERN_USER_H
#define UPSTREAM_KERN_USER_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define FG_MAP_UPSTREAMS "upstreams"
#define FG_MAP_UPSTREAM_PORTS "upstream_ports"
#define FG_MAP_UPSTREAM_STATS "upstream_stats"
#define FG_MAP_PENDING_SYN "pending_syn"
#define FG_MAP_FLOWS "flows"
#define FG_MAP_UPSTREAM_RT "upstream_rt"

#define FG_UPSTREAMS_MAX 1024
#define FG_PENDING_SYN_MAX 65536
#define FG_FLOWS_MAX 65536 /* open connections whose replies can count */
#define FG_UPSTREAM_NAME_LEN 32
#define FG_STALE_DEFAULT_NS 3000000000ULL /* fail open 3 s after the last heartbeat */
#define FG_PROBE_MARK_DEFAULT 0x464c4447 /* "FLDG": SO_MARK of the controller's probes */
/*
 * reject = reset: RSTs per second an upstream may send at most (a token
 * bucket of this rate holding one second's worth); refused SYNs beyond it
 * are dropped. Bounded by default: a spoofed SYN flood must not turn the box
 * into a RST reflector. 1000/s answers a thousand clients' connect attempts
 * a second at once, and beyond that costs ~60 KB/s of RSTs per upstream.
 */
#define FG_RESET_RATE_DEFAULT 1000
#define FG_RESET_RATE_MAX 1000000

/* upstreams: key. addr v4-mapped like everywhere; port in network order. */
struct fg_upstream_key {
	__u8 addr[16];
	__u16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

enum fg_breaker {
	FG_BREAKER_CLOSED = 0,
	FG_BREAKER_OPEN = 1,
	FG_BREAKER_HALF_OPEN = 2,
	FG_BREAKER_MAX, /* not a state: the count, for name tables */
};

enum fg_reject {
	FG_REJECT_DROP = 0,  /* drop silently */
	FG_REJECT_RESET = 1, /* answer a TCP SYN with a RST; drop the rest */
	FG_REJECT_MAX,       /* not a mode: the count, for name tables */
};

/*
 * Written by the controller (or the CLI) only: the datapath never writes an
 * entry, so a controller's read-modify-write can never undo what the
 * datapath did. What the datapath changes lives in upstream_rt.
 */
struct fg_upstream {
	enum fg_breaker state;
	enum fg_reject reject;
	__s32 permits;  /* half-open: new connections admitted this period (see upstream_rt) */
	__u32 id;       /* index into upstream_stats, < FG_UPSTREAMS_MAX */
	__u32 forced;   /* set by an operator: exempt from the staleness guard */
	/* The controller's own, kept here so a restart resumes them; the
	 * datapath never reads them. */
	__u32 reopens;  /* consecutive re-opens: the open timeout's backoff */
	__u64 changed_ns; /* CLOCK_MONOTONIC of the last state change */
	char name[FG_UPSTREAM_NAME_LEN];
	__u64 open_until_ns; /* open: when half-open is due (0: not known) */
	__u32 consecutive;   /* closed: failures in a row so far */
	__u32 half_open_ok;  /* half-open: successes so far */
	__u32 reset_rate;    /* reject = reset: RSTs/s at most; 0: FG_RESET_RATE_DEFAULT */
	__u32 half_open_gen; /* bumped on entering half-open: a new period of permits */
};

/*
 * upstream_rt: per upstream id, the state only the datapath writes (user
 * space zeroes an id's entry when it creates the upstream, before any packet
 * can reach it). One writer per state: nothing here is in an entry the
 * controller rewrites.
 */
struct fg_upstream_rt {
	__u64 reset_tat;    /* GCRA arrival time of the reset_rate bucket, ns */
	/* (half_open_gen << 32) | permits spent in that period: one CAS word,
	 * so a new period starts at 0 and a spent permit is never given back
	 * within one. */
	__u64 permits_used;
};

/*
 * upstream_ports: a bit per (protocol, port) some upstream listens on, 64 to
 * a word: TCP ports in words 0-1023, UDP ports in 1024-2047. One inlined
 * array lookup (no call) spares every packet to another port or protocol
 * the upstreams hash lookup; on a reverse proxy that is nearly every client
 * packet, addressed to the proxy itself.
 *
 * Written only by the one writer of upstream entries (upstream_entry.c),
 * word by word: a bit is set before the first entry with that port is
 * inserted, and cleared only after the last one is deleted, so no moment
 * exists where an upstream is in the map and its packets skip the breaker.
 * A stale set bit only costs a lookup.
 */
#define FG_PORT_WORDS 2048

static inline __u32 fg_port_word(__u8 proto, __u16 hport)
{
	return (proto == 17 /* IPPROTO_UDP */ ? 1024 : 0) | (hport >> 6);
}

static inline __u64 fg_port_bit(__u16 hport)
{
	return 1ULL << (hport & 63);
}

/* upstream_stats: per-CPU counters per upstream id. */
enum fg_ustat {
	FG_U_SYN = 0,   /* connection attempts seen leaving (TC egress) */
	FG_U_SYNACK,    /* connect success */
	FG_U_RST,       /* RST answering a SYN: refused */
	FG_U_HTTP_2XX,
	FG_U_HTTP_3XX,
	FG_U_HTTP_4XX,  /* other than 429 */
	FG_U_HTTP_429,
	FG_U_HTTP_5XX,
	FG_U_REJECTED,  /* packets refused by the breaker */
	FG_U_RESETS,    /* of those, SYNs answered with a RST */
	FG_U_PROBES,    /* marked probe packets let through a non-closed breaker */
	FG_U_STALE,     /* packets passed because the controller's heartbeat is stale */
	FG_U_IGNORED,   /* SYN-ACKs and status lines the flow checks refused to count */
	FG_U_RST_LIMITED, /* reset mode: SYNs dropped, not answered: over reset_rate */
	FG_U_RST_REFUSED, /* reset mode: SYNs dropped, not answered: no safe RST to send
			   * (source not unicast, group MAC, RST set, IP options) */
	FG_U_MAX,
};

struct fg_upstream_stats {
	__u64 c[FG_U_MAX];
};

/* pending_syn: a connection attempt not yet answered. */
struct fg_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

#define FG_PENDING_ADMITTED 1 /* spent a half-open permit: retransmits pass */
#define FG_PENDING_PROBE 2    /* the controller's own probe: no passive outcome */

struct fg_pending {
	__u64 first_ns; /* first SYN seen (of this ISN) */
	__u32 upstream_id;
	__u32 flags;    /* FG_PENDING_* */
	__u32 isn;      /* the SYN's sequence number: a SYN-ACK or RST must ack isn + 1 */
	__u32 pad;
};

/*
 * flows: a connection to an upstream whose handshake the datapath saw (a
 * recorded SYN, then the SYN-ACK acking it), keyed like pending_syn from
 * the client's side. Only on these may a status line count, and only the
 * first server byte of the answer to new client data: the byte the client
 * acked when it sent that data. Each field has one writer: tc_ingress
 * inserts the entry and writes srv_gen; tc_egress writes the cli_ fields
 * and req_ack. Sequence numbers are host order.
 */
#define FG_FLOW_PROBE 1 /* the controller's own probe: its replies never count */

struct fg_flow {
	__u32 req_ack;  /* egress: the client's ack at its last new data = where the answer starts */
	__u32 cli_next; /* egress: the client's next sequence number after its data seen */
	__u32 cli_gen;  /* egress: bumped by each segment of new client data */
	__u32 srv_gen;  /* ingress: cli_gen when the last answer was counted */
	__u32 upstream_id;
	__u32 flags;    /* FG_FLOW_* */
};

_Static_assert(sizeof(struct fg_upstream_key) == 20, "fg_upstream_key layout");
_Static_assert(sizeof(struct fg_upstream) == 88, "fg_upstream layout");
_Static_assert(sizeof(struct fg_upstream_rt) == 16, "fg_upstream_rt layout");
_Static_assert(sizeof(struct fg_flow_key) == 40, "fg_flow_key layout");
_Static_assert(sizeof(struct fg_pending) == 24, "fg_pending layout");
_Static_assert(sizeof(struct fg_flow) == 24, "fg_flow layout");

#endif /* UPSTREAM_KERN_USER_H */
