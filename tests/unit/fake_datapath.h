/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * A datapath in memory for the daemon (datapath.h), for the unit tests and
 * the fuzzer: no map, no root. It keeps the upstream entries the daemon
 * writes (through the same merge as the one writer) and the counters a test
 * hands it; no lock, pins, heartbeat, pending SYNs or policies.
 */
#ifndef FG_FAKE_DATAPATH_H
#define FG_FAKE_DATAPATH_H

#include "datapath.h"

extern const struct fg_dp_ops fake_dp;

/* The datapath counters the next ticks read for upstream index i of d (a
 * daemon on fake_dp), until the next call. */
void fake_dp_counters(struct fg_daemon *d, int i, const __u64 c[FG_U_MAX]);

#endif /* FG_FAKE_DATAPATH_H */
