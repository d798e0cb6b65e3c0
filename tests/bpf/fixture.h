/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Shared set-up for BPF_PROG_TEST_RUN tests: a freshly loaded floodgate
 * skeleton per test (empty maps and counters), and helpers to write policy,
 * upstreams and config, and to run crafted frames through each program.
 */
#ifndef FG_TEST_FIXTURE_H
#define FG_TEST_FIXTURE_H

#include "test.h"
#include "pkt.h"
#include "maps.h"
#include "floodgate.skel.h"

extern struct floodgate *fx_skel;
extern struct fg_maps fx_maps;

int fx_load(void);
/* Scratch pins on the bpffs, for tests of what user space makes of them:
 * this build's maps pinned under dir (created; the pins hold the maps,
 * config left empty as a fresh attach has it), a pin replaced by a map of
 * another layout, and every pin and dir removed. */
int fx_pin_maps(const char *dir);
int fx_pin_foreign(const char *dir, const char *name, enum bpf_map_type t, __u32 key,
		   __u32 value, __u32 max);
void fx_unpin_maps(const char *dir);
int fx_load_sized(__u32 buckets); /* with a bucket map of that many entries */
void fx_unload(void);

#define SETUP()                                                      \
	do {                                                         \
		if (!ASSERT_OK(fx_load(), "load floodgate skeleton")) \
			return;                                      \
	} while (0)

/* Run a frame; returns the program's verdict or -errno. With out, the
 * (possibly rewritten) frame is copied there and *out_len set. */
int fx_run(struct bpf_program *prog, const void *frame, size_t len, __u32 mark, void *out,
	   __u32 *out_len);
/* The same with the skb's GSO fields set (TC programs only), as for a
 * GRO-merged or TSO skb. */
int fx_run_gso(struct bpf_program *prog, const void *frame, size_t len, __u16 gso_size,
	       __u16 gso_segs);
int fx_xdp(struct pkt_spec s);
int fx_tc_egress(struct pkt_spec s, __u32 mark);
int fx_tc_ingress(struct pkt_spec s);

void fx_policy(const char *prefix, enum fg_action act, const char *rate, __u32 burst,
	       enum fg_bucket_per per);
/* A policy as given (prefixlen filled in): what a hand-written map may hold. */
void fx_policy_raw(const char *prefix, struct fg_policy pol);
/* A per-source limit with a new-source budget ("off" or a RATE, burst 1 s of it). */
void fx_new_sources(const char *prefix, const char *rate, __u32 burst, const char *budget);
/* 1 if the bucket {src (a host address, masked by the caller), plen} exists. */
int fx_has_bucket(const char *src, __u32 plen);
/* The clock's seam: ns pass for one bucket (its TAT moves back by ns), so a
 * test of refills never sleeps. */
int fx_bucket_age(const char *src, __u32 plen, __u64 ns);
/* Fleet shares' maps, by a bucket's {src, plen}: its bucket, its hot
 * entry (read, deleted as floodgated does when it cooled), its share
 * (written as floodgated does; NULL: deleted). 0 or -errno. */
int fx_bucket_get(const char *src, __u32 plen, struct fg_bucket *b);
int fx_hot_get(const char *src, __u32 plen, struct fg_hot *h);
int fx_hot_del(const char *src, __u32 plen);
int fx_share_set(const char *src, __u32 plen, const struct fg_share *sh);
__u64 fx_stat(int idx);
__u64 fx_ustat(__u32 id, int idx);
void fx_config(void (*edit)(struct fg_config *cfg, void *arg), void *arg);

/* Add an upstream (id = next free) with the given state; returns its id. */
int fx_upstream(const char *ep, __u8 proto, enum fg_breaker state, enum fg_reject reject,
		int forced, __s32 permits);
void fx_heartbeat(__u64 age_ns); /* controller heartbeat age_ns ago */
/* Every counter, global and of one upstream, for fixture-table rows. */
struct fx_snap {
	__u32 id;
	__u64 s[FG_STAT_MAX];
	__u64 u[FG_U_MAX];
};
void fx_snap(struct fx_snap *snap, __u32 id);
/* Since snap, the global counter stat and the upstream's ustat1 and ustat2
 * moved by one each (-1: none), and no other counter moved. */
void fx_expect_moved(const struct fx_snap *snap, int stat, int ustat1, int ustat2,
		     const char *what);

/* The upstreams map entry at ep (key and value), as a controller reads it. */
int fx_upstream_get(const char *ep, __u8 proto, struct fg_upstream_key *key,
		    struct fg_upstream *val);

#endif /* FG_TEST_FIXTURE_H */
