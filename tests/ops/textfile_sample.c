// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * textfile_sample DIR: floodgated's textfile writer, run on the in-memory
 * datapath, writes DIR/floodgate.prom with every family it has: a config
 * with an HTTP-probed upstream (read by the daemon's own config loader), a
 * probe result, a tick, and a datapath snapshot that has everything. For
 * tests/ops/test_alerts.sh: the metrics the dashboard and rules may name.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "fake_datapath.h"
#include "textfile.h"

#define S 1000000000ULL

static const char conf[] = "[upstream web1]\n"
			   "address = 198.18.7.1:80\n"
			   "probe = http\n"
			   "group = web\n";

int main(int argc, char **argv)
{
	struct fg_dp_snapshot s = { .have_stats = 1, .have_buckets = 1, .have_heartbeat = 1,
				    .tracked = 42, .capacity = 1000, .flow_capacity = 1000,
				    .heartbeat_age_ns = S / 10 };
	struct fg_daemon d;
	struct fg_cfg c;
	char err[256];
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: textfile_sample DIR\n");
		return 2;
	}
	fg_daemon_init(&d, &fake_dp);
	if (fg_cfg_load_buf("sample.conf", conf, strlen(conf), &c, err, sizeof(err)) ||
	    fg_daemon_apply_config(&d, &c, S, err, sizeof(err))) {
		fprintf(stderr, "textfile_sample: %s\n", err);
		return 1;
	}
	fg_daemon_probe_result(&d, 0, 1, S / 1000, "HTTP 200");
	fg_daemon_tick(&d, 2 * S);
	ret = fg_textfile_write(argv[1], &d, &s, err, sizeof(err));
	if (ret)
		fprintf(stderr, "textfile_sample: %s\n", err);
	fg_daemon_free(&d);
	return ret ? 1 : 0;
}
