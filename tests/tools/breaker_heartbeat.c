// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * breaker_heartbeat: stand in for floodgated's heartbeat in tests.
 *
 *   breaker_heartbeat PIN_DIR now|zero|show
 *
 * now   writes config.heartbeat_ns = CLOCK_MONOTONIC now, as the daemon does
 *       every tick: breakers the daemon set (not forced) are enforced for the
 *       next stale_ns.
 * zero  writes heartbeat_ns = 0: a controller that never ran, so breakers
 *       that are not forced fail open.
 * show  changes nothing.
 * Each prints the config afterwards as one line:
 *   heartbeat_ns=N stale_ns=N probe_mark=0xN now_ns=N
 */
#include <stdio.h>
#include <string.h>

#include "maps.h"

int main(int argc, char **argv)
{
	struct fg_maps m = FG_MAPS_INIT;
	struct fg_config cfg;
	char err[256];

	if (argc != 3 || (strcmp(argv[2], "now") && strcmp(argv[2], "zero") &&
			  strcmp(argv[2], "show"))) {
		fprintf(stderr, "usage: breaker_heartbeat PIN_DIR now|zero|show\n");
		return 2;
	}
	if (fg_maps_open(argv[1], &m, err, sizeof(err))) {
		fprintf(stderr, "breaker_heartbeat: %s\n", err);
		return 1;
	}
	if (fg_config_get(&m, &cfg)) {
		perror("breaker_heartbeat: reading config");
		return 1;
	}
	if (strcmp(argv[2], "show")) {
		cfg.heartbeat_ns = !strcmp(argv[2], "now") ? fg_now_ns() : 0;
		if (fg_config_set(&m, &cfg)) {
			perror("breaker_heartbeat: writing config");
			return 1;
		}
	}
	printf("heartbeat_ns=%llu stale_ns=%llu probe_mark=0x%x now_ns=%llu\n",
	       (unsigned long long)cfg.heartbeat_ns, (unsigned long long)cfg.stale_ns,
	       cfg.probe_mark, (unsigned long long)fg_now_ns());
	fg_maps_close(&m);
	return 0;
}
