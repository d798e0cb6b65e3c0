/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The one writer of upstream entries, and of the upstream_ports bits that
 * follow them (set before an insert, cleared after the last delete of a
 * port). Every state, permits and forced value
 * the datapath sees is written by fg_entry_write, from floodgated (its
 * breakers, its reconcile) and from the CLI (add, and open/close/auto when no
 * daemon runs), under the pin dir's lock. The entry is derived from a
 * breaker (breaker.h) by one rule, fg_entry_merge, so both programs write
 * the same entry for the same breaker.
 *
 * What "auto" means, from either side: the breaker is handed back to the
 * state machine closed, its backoff reset (fg_brk_force), to decide afresh
 * from the outcomes that follow; an open breaker is not kept open.
 */
#ifndef FG_UPSTREAM_ENTRY_H
#define FG_UPSTREAM_ENTRY_H

#include <linux/types.h>
#include "breaker.h"
#include "maps.h"

/* What an entry says besides its breaker. */
struct fg_entry_src {
	const struct fg_brk *brk;
	__u32 id;                /* upstream_stats index */
	enum fg_reject reject;
	__u32 reset_rate;
	__u32 half_open_permits; /* K, granted on entering half-open */
	const char *name;
};

/* Resume a breaker from the state an entry holds (after a restart, even
 * kill -9, or the entry the CLI wrote). */
void fg_brk_seed(struct fg_brk *b, const struct fg_upstream *v, const struct fg_brk_params *p,
		 __u64 now);
/*
 * The entry to write for src given the current one (cur NULL: absent). State
 * and forced come from the breaker; permits are set to half_open_permits and
 * half_open_gen bumped on entering half-open, both kept while half-open (the
 * datapath counts what it spends in upstream_rt, never in the entry), 0
 * permits otherwise. Returns 1 when out differs from cur. Pure.
 */
int fg_entry_merge(const struct fg_upstream *cur, const struct fg_entry_src *src, __u64 now,
		   struct fg_upstream *out);
/* The entry a force (open, close, auto) makes of entry cur: fg_brk_force on
 * the breaker cur describes, then fg_entry_merge. Pure. */
void fg_entry_force(const struct fg_upstream *cur, enum fg_force f, __u64 now,
		    struct fg_upstream *out);
/*
 * THE writer. seen: the entry as the caller read it under the same lock, or
 * NULL; when merging it changes nothing, no syscall (the usual case, every
 * tick, for every upstream). Else the entry is looked up, merged and written
 * only when it changed, so permits the datapath is spending are never
 * rewritten. flags: BPF_ANY, or BPF_NOEXIST to create only. out (may be
 * NULL): the entry as it now is. Returns 1 when it inserted an entry, 0
 * when it updated or had nothing to do, -errno. An insert goes through
 * fg_entry_put, so the port bit is set first.
 */
int fg_entry_write(const struct fg_maps *m, const struct fg_upstream_key *key,
		   const struct fg_upstream *seen, const struct fg_entry_src *src, __u64 now,
		   __u64 flags, struct fg_upstream *out);
/*
 * val at key as it is (an undo putting back what was read, a test's
 * fixture): key's bit in upstream_ports is set first, so the datapath never
 * sees the entry without it. 0 or -errno (then the bit is released again).
 */
int fg_entry_put(const struct fg_maps *m, const struct fg_upstream_key *key,
		 const struct fg_upstream *val, __u64 flags);
/* Delete key's entry, then clear its port bit when no other entry uses the
 * port and protocol. 0 once the entry is gone (a bit left set costs only a
 * lookup), or -errno (-ENOENT: no such entry). */
int fg_entry_delete(const struct fg_maps *m, const struct fg_upstream_key *key);
/* An operator's force of entry cur at key, through fg_entry_write. */
int fg_entry_force_write(const struct fg_maps *m, const struct fg_upstream_key *key,
			 const struct fg_upstream *cur, enum fg_force f, __u64 now,
			 struct fg_upstream *out);

#endif /* FG_UPSTREAM_ENTRY_H */
