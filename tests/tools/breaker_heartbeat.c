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
 *
 *   breaker_heartbeat PIN_DIR set NAME open|closed
 *
 * set   writes NAME's breaker state, not forced, as the daemon's state machine
 *       would (the CLI only forces, or hands back closed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "maps.h"
#include "upstreams.h"

static int set_state(struct fg_maps *m, const char *name, const char *state)
{
	struct fg_upstream_entry *list = NULL;
	int n = fg_upstreams_read(m, &list), i, ret = 1;

	i = n < 0 ? -1 : fg_upstreams_find(list, n, name);
	if (i < 0) {
		fprintf(stderr, "breaker_heartbeat: no upstream '%s'\n", name);
	} else {
		list[i].val.state = !strcmp(state, "open") ? FG_BREAKER_OPEN : FG_BREAKER_CLOSED;
		list[i].val.forced = 0;
		list[i].val.permits = 0;
		list[i].val.changed_ns = fg_now_ns();
		ret = bpf_map_update_elem(m->upstreams, &list[i].key, &list[i].val, BPF_EXIST) ? 1 : 0;
		if (ret)
			perror("breaker_heartbeat: writing the upstream");
	}
	free(list);
	return ret;
}

int main(int argc, char **argv)
{
	struct fg_maps m = FG_MAPS_INIT;
	struct fg_config cfg;
	char err[256];
	int ret;

	if (argc == 5 && !strcmp(argv[2], "set") &&
	    (!strcmp(argv[4], "open") || !strcmp(argv[4], "closed"))) {
		if (fg_maps_open(argv[1], &m, err, sizeof(err))) {
			fprintf(stderr, "breaker_heartbeat: %s\n", err);
			return 1;
		}
		ret = set_state(&m, argv[3], argv[4]);
		fg_maps_close(&m);
		return ret;
	}
	if (argc != 3 || (strcmp(argv[2], "now") && strcmp(argv[2], "zero") &&
			  strcmp(argv[2], "show"))) {
		fprintf(stderr, "usage: breaker_heartbeat PIN_DIR now|zero|show\n"
				"       breaker_heartbeat PIN_DIR set NAME open|closed\n");
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
