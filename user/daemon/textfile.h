/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Prometheus textfile for node_exporter's textfile collector: floodgate.prom
 * written atomically (temp file, fsync, rename) into the textfile directory.
 * Prometheus naming: base units (seconds), _total on counters, HELP and TYPE
 * for every family. Labels are low cardinality: upstream name and group,
 * from/to/reason, class, result, verdict/reason; never an address.
 */
#ifndef FG_TEXTFILE_H
#define FG_TEXTFILE_H

#include <stdio.h>
#include "daemon.h"

#define FG_TEXTFILE_NAME "floodgate.prom"

/* What the datapath says, read from the maps just before rendering. */
struct fg_dp_snapshot {
	int have_stats;
	__u64 stats[FG_STAT_MAX];
	int have_buckets;
	__u64 tracked, capacity;
	__u64 flow_capacity; /* 0: unknown */
	int have_heartbeat;
	__u64 heartbeat_age_ns;
	__u64 now_ns;        /* when it was taken (the fleet's sync age) */
};

/* Fill s from d's datapath (d->dp->snapshot). */
void fg_textfile_snapshot(const struct fg_daemon *d, struct fg_dp_snapshot *s);
/* Render every metric family to f. Pure: returns 0 or -EIO. */
int fg_textfile_render(FILE *f, const struct fg_daemon *d, const struct fg_dp_snapshot *s);
/* Write dir/floodgate.prom atomically (a temp file nobody can predict,
 * then rename); dir is created if missing. */
int fg_textfile_write(const char *dir, const struct fg_daemon *d,
		      const struct fg_dp_snapshot *s, char *err, size_t errlen);

/* Remove the temp files a killed daemon left in dir (regular files of the
 * temp pattern only). Returns how many, or -errno. Call before the first
 * write, while no other writer can be running (the control socket says). */
int fg_textfile_sweep(const char *dir);

#endif /* FG_TEXTFILE_H */
