/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * A datapath in memory for the daemon (datapath.h), for the unit tests and
 * the fuzzer: no map, no root. It keeps the upstream entries the daemon
 * writes (through the same merge as the one writer), the counters and hot
 * sources a test hands it and the shares the daemon writes; no lock, pins,
 * heartbeat, pending SYNs or policies.
 */
#ifndef FG_FAKE_DATAPATH_H
#define FG_FAKE_DATAPATH_H

#include "datapath.h"

extern const struct fg_dp_ops fake_dp;

/* The datapath counters the next ticks read for upstream index i of d (a
 * daemon on fake_dp), until the next call. */
void fake_dp_counters(struct fg_daemon *d, int i, const __u64 c[FG_U_MAX]);

/* Fleet shares: a hot map entry as the datapath would have it (set or
 * replaced), whether one is there, and the share the daemon wrote for k
 * (0, or -ENOENT). */
#define FAKE_HOT_MAX 16
void fake_dp_hot(struct fg_daemon *d, const struct fg_bucket_key *k, const struct fg_hot *v);
int fake_dp_has_hot(struct fg_daemon *d, const struct fg_bucket_key *k);
int fake_dp_share(struct fg_daemon *d, const struct fg_bucket_key *k, struct fg_share *out);

#endif /* FG_FAKE_DATAPATH_H */
