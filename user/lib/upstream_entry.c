// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The one writer of upstream entries (upstream_entry.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "map_iter.h"
#include "upstream_entry.h"

/*
 * The port bit of key in upstream_ports, set (on) or cleared. One word's
 * read and write under the pin dir's lock, so no other writer sits between
 * them; a bit already as wanted costs no write.
 */
static int port_bit_write(const struct fg_maps *m, const struct fg_upstream_key *key, int on)
{
	__u16 hport = ntohs(key->port);
	__u32 word = fg_port_word(key->proto, hport);
	__u64 bits, want;

	if (bpf_map_lookup_elem(m->upstream_ports, &word, &bits))
		return -errno;
	want = on ? bits | fg_port_bit(hport) : bits & ~fg_port_bit(hport);
	if (want == bits)
		return 0;
	return bpf_map_update_elem(m->upstream_ports, &word, &want, BPF_ANY) ? -errno : 0;
}

/* Does an entry other than key's use key's port and protocol? One batch
 * read of the upstreams map; when it cannot be read, yes: a stale bit only
 * costs a lookup, a missing one would skip a breaker. */
static int port_shared(const struct fg_maps *m, const struct fg_upstream_key *key)
{
	struct fg_map_batch b = { .fd = m->upstreams };
	struct fg_upstream_key *keys = calloc(FG_UPSTREAMS_MAX, sizeof(*keys));
	struct fg_upstream *vals = calloc(FG_UPSTREAMS_MAX, sizeof(*vals));
	int n, shared = 1;

	if (!keys || !vals)
		goto out;
	shared = 0;
	while (!shared && (n = fg_map_batch_next(&b, keys, vals, FG_UPSTREAMS_MAX)) != 0) {
		if (n < 0) {
			shared = 1;
			break;
		}
		for (int i = 0; i < n && !shared; i++)
			shared = keys[i].port == key->port && keys[i].proto == key->proto &&
				 memcmp(&keys[i], key, sizeof(*key)) != 0;
	}
out:
	free(keys);
	free(vals);
	return shared;
}

/* After key's entry left the map: its port bit goes once no entry uses it. */
static int port_release(const struct fg_maps *m, const struct fg_upstream_key *key)
{
	return port_shared(m, key) ? 0 : port_bit_write(m, key, 0);
}

void fg_brk_seed(struct fg_brk *b, const struct fg_upstream *v, const struct fg_brk_params *p,
		 __u64 now)
{
	fg_brk_init(b, v->changed_ns && v->changed_ns <= now ? v->changed_ns : now);
	b->state = v->state <= FG_BREAKER_HALF_OPEN ? v->state : FG_BREAKER_CLOSED;
	if (v->forced) {
		/* The CLI forces open or closed only. */
		b->force = b->state == FG_BREAKER_OPEN ? FG_FORCE_OPEN : FG_FORCE_CLOSED;
		b->state = b->state == FG_BREAKER_OPEN ? FG_BREAKER_OPEN : FG_BREAKER_CLOSED;
	}
	/* The backoff and the counts toward the next transition go on where
	 * they were; an open breaker goes half-open when it was due (a map
	 * written by the CLI has no due time: the open timeout counts from the
	 * open). Only the failure-rate window starts over. */
	b->reopens = v->reopens;
	if (!v->forced) {
		b->consecutive = b->state == FG_BREAKER_CLOSED ? v->consecutive : 0;
		b->half_open_ok = b->state == FG_BREAKER_HALF_OPEN ? v->half_open_ok : 0;
	}
	if (b->state == FG_BREAKER_OPEN) {
		/* Never later than this config's longest open timeout allows. */
		__u64 longest = p->open_timeout_max_ns / 100 * (100 + p->jitter_pct);
		__u64 due = v->open_until_ns;

		if (!due || v->forced || due < b->since_ns || due - b->since_ns > longest)
			due = b->since_ns + fg_brk_open_timeout(p, b->reopens);
		b->open_until_ns = due;
	}
}

int fg_entry_merge(const struct fg_upstream *cur, const struct fg_entry_src *src, __u64 now,
		   struct fg_upstream *out)
{
	if (cur)
		*out = *cur;
	else
		memset(out, 0, sizeof(*out));
	out->state = src->brk->state;
	out->forced = src->brk->force != FG_FORCE_AUTO;
	out->reject = src->reject;
	out->reset_rate = src->reset_rate;
	out->id = src->id;
	out->reopens = src->brk->reopens;
	out->consecutive = src->brk->consecutive;
	out->half_open_ok = src->brk->half_open_ok;
	out->open_until_ns = src->brk->state == FG_BREAKER_OPEN && src->brk->force == FG_FORCE_AUTO ?
		src->brk->open_until_ns : 0;
	memset(out->name, 0, sizeof(out->name));
	snprintf(out->name, sizeof(out->name), "%s", src->name);
	/* Permits are granted once per half-open period, with a new period
	 * number: the datapath counts what it spends in upstream_rt under that
	 * number, so no write here (a tick's, a restart's) gives one back. */
	if (src->brk->state != FG_BREAKER_HALF_OPEN) {
		out->permits = 0;
	} else if (!cur || cur->state != FG_BREAKER_HALF_OPEN) {
		out->permits = src->half_open_permits;
		out->half_open_gen = (cur ? cur->half_open_gen : 0) + 1;
	}
	/* else: the same period, permits and period number as they are */
	if (!cur || cur->state != out->state || cur->forced != out->forced)
		out->changed_ns = now;
	return !cur || memcmp(cur, out, sizeof(*out)) != 0;
}

/* The breaker entry cur describes, and the rest of what it says, as a writer's
 * source: what a force starts from when no daemon holds the breaker. */
struct entry_brk {
	struct fg_brk brk;
	char name[FG_UPSTREAM_NAME_LEN + 1];
	struct fg_entry_src src;
};

static void forced_src(const struct fg_upstream *cur, enum fg_force f, __u64 now,
		       struct entry_brk *e)
{
	struct fg_brk_params p;
	struct fg_transition t;

	fg_brk_params_default(&p);
	fg_brk_seed(&e->brk, cur, &p, now);
	fg_brk_force(&e->brk, f, now, &t);
	snprintf(e->name, sizeof(e->name), "%.*s", (int)sizeof(cur->name), cur->name);
	e->src = (struct fg_entry_src){
		.brk = &e->brk, .id = cur->id, .reject = cur->reject,
		.reset_rate = cur->reset_rate, .half_open_permits = p.half_open_permits,
		.name = e->name,
	};
}

void fg_entry_force(const struct fg_upstream *cur, enum fg_force f, __u64 now,
		    struct fg_upstream *out)
{
	struct entry_brk e;

	forced_src(cur, f, now, &e);
	fg_entry_merge(cur, &e.src, now, out);
}

int fg_entry_write(const struct fg_maps *m, const struct fg_upstream_key *key,
		   const struct fg_upstream *seen, const struct fg_entry_src *src, __u64 now,
		   __u64 flags, struct fg_upstream *out)
{
	struct fg_upstream cur, tmp;
	int have;

	if (!out)
		out = &tmp;
	if (seen && !fg_entry_merge(seen, src, now, out))
		return 0;
	have = bpf_map_lookup_elem(m->upstreams, key, &cur) == 0;
	if (have && flags == BPF_NOEXIST)
		return -EEXIST;
	if (!fg_entry_merge(have ? &cur : NULL, src, now, out))
		return 0;
	if (!have)
		return fg_entry_put(m, key, out, flags) ?: 1;
	if (bpf_map_update_elem(m->upstreams, key, out, flags))
		return -errno;
	return 0;
}

int fg_entry_put(const struct fg_maps *m, const struct fg_upstream_key *key,
		 const struct fg_upstream *val, __u64 flags)
{
	int err = port_bit_write(m, key, 1);

	if (err)
		return err;
	if (bpf_map_update_elem(m->upstreams, key, val, flags)) {
		err = -errno;
		port_release(m, key);
		return err;
	}
	return 0;
}

int fg_entry_delete(const struct fg_maps *m, const struct fg_upstream_key *key)
{
	if (bpf_map_delete_elem(m->upstreams, key))
		return -errno;
	port_release(m, key); /* if it fails, a stale bit: a lookup, not a hole */
	return 0;
}

int fg_entry_force_write(const struct fg_maps *m, const struct fg_upstream_key *key,
			 const struct fg_upstream *cur, enum fg_force f, __u64 now,
			 struct fg_upstream *out)
{
	struct entry_brk e;
	int ret;

	forced_src(cur, f, now, &e);
	ret = fg_entry_write(m, key, NULL, &e.src, now, BPF_EXIST, out);
	return ret < 0 ? ret : 0;
}
