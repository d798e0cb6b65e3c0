// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate upstream ...: the breakers' map, written directly. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cli.h"
#include "json.h"
#include "maps.h"
#include "parse.h"
#include "pins.h"
#include "upstreams.h"
#include "upstream_entry.h"

static int open_maps(struct fg_ctx *ctx, struct fg_maps *m, int lock)
{
	char err[FG_ERR_LEN];
	int fd;

	if (fg_pin_dir_prepare(ctx->pin_dir, 0, err, sizeof(err)) ||
	    fg_maps_open(ctx->pin_dir, m, err, sizeof(err))) {
		fg_fail("%s", err);
		return -1;
	}
	if (!lock)
		return 0;
	fd = fg_pin_dir_lock(ctx->pin_dir);
	if (fd < 0) {
		fg_maps_close(m);
		fg_fail("Failed to lock %s: %s", ctx->pin_dir, strerror(-fd));
		return -1;
	}
	return fd;
}

static int upstream_add(struct fg_ctx *ctx, const char *name, const char *ep, __u8 proto,
			enum fg_reject reject, __u32 reset_rate)
{
	struct fg_upstream_entry *list = NULL;
	struct fg_upstream_key key = {};
	struct fg_entry_src src;
	struct fg_brk brk;
	struct fg_maps m;
	char err[FG_ERR_LEN], buf[64];
	__u64 now = fg_now_ns();
	__u16 port;
	int lock, n, id, r, ret = 1;

	if (fg_parse_name(name, err, sizeof(err)) ||
	    fg_parse_endpoint(ep, key.addr, &port, err, sizeof(err)))
		return fg_fail("%s", err);
	key.port = htons(port);
	key.proto = proto;

	lock = open_maps(ctx, &m, 1);
	if (lock < 0)
		return 1;
	n = fg_upstreams_read(&m, &list);
	if (n < 0) {
		fg_fail("Failed to read upstreams: %s", strerror(-n));
		goto out;
	}
	if (fg_upstreams_find(list, n, name) >= 0) {
		fg_fail("upstream '%s' already exists (remove it first with 'floodgate upstream del %s')",
			name, name);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (!memcmp(&list[i].key, &key, sizeof(key))) {
			fg_format_endpoint(key.addr, port, buf, sizeof(buf));
			fg_fail("%s/%s is already upstream '%s'", buf, fg_proto_name(proto),
				list[i].val.name);
			goto out;
		}
	}
	id = fg_upstreams_free_id(list, n);
	if (id < 0) {
		fg_fail("too many upstreams (at most %d)", FG_UPSTREAMS_MAX);
		goto out;
	}
	fg_brk_init(&brk, now);
	src = (struct fg_entry_src){ .brk = &brk, .id = id, .reject = reject,
				     .reset_rate = reset_rate, .name = name };
	if ((r = fg_upstream_stats_reset(&m, id)) || (r = fg_upstream_rt_reset(&m, id)) ||
	    (r = fg_entry_write(&m, &key, NULL, &src, now, BPF_NOEXIST, NULL)) < 0) {
		fg_fail("Failed to add upstream '%s': %s", name, strerror(-r));
		goto out;
	}
	if (fg_upstream_ports_sync(&m)) {
		bpf_map_delete_elem(m.upstreams, &key); /* nothing half-made */
		fg_fail("Failed to update upstream ports: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(list);
	fg_maps_close(&m);
	fg_pin_dir_unlock(lock);
	return ret;
}

/* What a change did, for --json: the upstream, its state and who wrote it. */
static void print_change_json(const char *name, const char *state, int forced, const char *via)
{
	struct fg_json j;

	fg_json_begin(&j, stdout);
	fg_json_str(&j, "name", name);
	if (state) {
		fg_json_str(&j, "state", state);
		fg_json_bool(&j, "forced", forced);
	} else {
		fg_json_bool(&j, "deleted", 1);
	}
	fg_json_str(&j, "via", via);
	fg_json_end(&j);
}

/* floodgated's reply to a force: "NAME STATE auto|forced". */
static void print_reply_json(const char *name, const char *reply)
{
	char n[FG_NAME_MAX], state[16], how[16];

	if (sscanf(reply, "%31s %15s %15s", n, state, how) == 3)
		print_change_json(name, state, !strcmp(how, "forced"), "floodgated");
	else
		print_change_json(name, "unknown", 0, "floodgated");
}

/* del / open / close / auto on the upstream called name. */
static int upstream_change(struct fg_ctx *ctx, const char *sub, const char *name)
{
	struct fg_upstream_entry *list = NULL, *e;
	struct fg_maps m;
	char err[FG_ERR_LEN];
	int lock, n, i, r, ret = 1;

	if (fg_parse_name(name, err, sizeof(err)))
		return fg_fail("%s", err);
	if (strcmp(sub, "del")) {
		/* A running daemon owns the breakers: ask it, so its state machine
		 * and the map agree. Without one, write the map directly. */
		char line[64], reply[512];

		snprintf(line, sizeof(line), "%s %s", sub, name);
		r = fg_ctl_request(ctx->socket, line, reply, sizeof(reply));
		if (r == 0) {
			if (ctx->json)
				print_reply_json(name, reply);
			else
				printf("upstream %s (via floodgated)\n", reply);
			return 0;
		}
		if (r == 1)
			return fg_fail("floodgated: %s", reply);
		if (r != -ENOENT && r != -ECONNREFUSED)
			return fg_fail("Failed to reach floodgated at %s: %s", ctx->socket,
				       strerror(-r));
	}
	lock = open_maps(ctx, &m, 1);
	if (lock < 0)
		return 1;
	n = fg_upstreams_read(&m, &list);
	i = n < 0 ? -1 : fg_upstreams_find(list, n, name);
	if (i < 0) {
		fg_fail("no upstream named '%s' (see 'floodgate upstream list')", name);
		goto out;
	}
	e = &list[i];
	if (!strcmp(sub, "del")) {
		if (bpf_map_delete_elem(m.upstreams, &e->key)) {
			fg_fail("Failed to delete upstream '%s': %s", name, strerror(errno));
			goto out;
		}
		fg_upstream_ports_sync(&m);
		if (ctx->json)
			print_change_json(name, NULL, 0, "map");
		ret = 0;
		goto out;
	}
	/* Through the one writer, by the daemon's own rule. */
	r = fg_entry_force_write(&m, &e->key, &e->val,
				 !strcmp(sub, "auto") ? FG_FORCE_AUTO :
				 !strcmp(sub, "open") ? FG_FORCE_OPEN : FG_FORCE_CLOSED,
				 fg_now_ns(), &e->val);
	if (r < 0) {
		fg_fail("Failed to update upstream '%s': %s", name, strerror(-r));
		goto out;
	}
	if (ctx->json)
		print_change_json(name, fg_breaker_name(e->val.state), e->val.forced, "map");
	else
		printf("upstream %s: %s%s\n", name, fg_breaker_name(e->val.state),
		       e->val.forced ? " (forced)" : " (auto)");
	ret = 0;
out:
	free(list);
	fg_maps_close(&m);
	fg_pin_dir_unlock(lock);
	return ret;
}

static int upstream_list(struct fg_ctx *ctx)
{
	struct fg_upstream_entry *list = NULL;
	struct fg_config cfg;
	struct fg_maps m;
	struct fg_json j;
	__u64 now = fg_now_ns();
	int n, stale;

	if (open_maps(ctx, &m, 0) < 0)
		return 1;
	n = fg_upstreams_read(&m, &list);
	if (n < 0 || fg_config_get(&m, &cfg)) {
		free(list);
		fg_maps_close(&m);
		return fg_fail("Failed to read upstreams: %s", strerror(errno));
	}
	stale = now - cfg.heartbeat_ns > cfg.stale_ns;
	if (ctx->json) {
		fg_json_begin(&j, stdout);
		fg_json_bool(&j, "controller_stale", stale);
		fg_json_arr(&j, "upstreams");
	} else {
		printf("%-16s %-24s %-5s %-10s %-6s %-6s %7s %7s %6s %6s %6s %6s %6s %8s\n",
		       "NAME", "ADDRESS", "PROTO", "STATE", "BY", "REJECT", "SYN", "SYNACK", "RST",
		       "2xx", "4xx", "429", "5xx", "REJECTED");
	}
	for (int i = 0; i < n; i++) {
		struct fg_upstream *v = &list[i].val;
		char ep[64];
		__u64 c[FG_U_MAX] = {};

		fg_upstream_stats_sum(&m, v->id, c);
		fg_format_endpoint(list[i].key.addr, ntohs(list[i].key.port), ep, sizeof(ep));
		if (ctx->json) {
			fg_json_obj(&j, NULL);
			fg_json_str(&j, "name", v->name);
			fg_json_str(&j, "address", ep);
			fg_json_str(&j, "proto", fg_proto_name(list[i].key.proto));
			fg_json_str(&j, "state", fg_breaker_name(v->state));
			fg_json_bool(&j, "forced", v->forced);
			/* What the datapath does now, after the staleness guard. */
			fg_json_bool(&j, "effective_closed",
				     v->state == FG_BREAKER_CLOSED || (!v->forced && stale));
			fg_json_str(&j, "reject", FG_NAME(fg_reject_names, v->reject));
			fg_json_u64(&j, "id", v->id);
			fg_json_u64(&j, "reset_rate",
				    v->reset_rate ? v->reset_rate : FG_RESET_RATE_DEFAULT);
			/* What is left of this half-open period's permits. */
			fg_json_u64(&j, "permits", fg_upstream_permits_left(&m, v));
			fg_json_obj(&j, "counters");
			for (int k = 0; k < FG_U_MAX; k++)
				fg_json_u64(&j, fg_ustat_names[k], c[k]);
			fg_json_close_obj(&j);
			fg_json_close_obj(&j);
		} else {
			printf("%-16s %-24s %-5s %-10s %-6s %-6s %7llu %7llu %6llu %6llu %6llu %6llu %6llu %8llu\n",
			       v->name, ep, fg_proto_name(list[i].key.proto), fg_breaker_name(v->state),
			       v->forced ? "forced" : "auto",
			       FG_NAME(fg_reject_names, v->reject),
			       (unsigned long long)c[FG_U_SYN], (unsigned long long)c[FG_U_SYNACK],
			       (unsigned long long)c[FG_U_RST], (unsigned long long)c[FG_U_HTTP_2XX],
			       (unsigned long long)c[FG_U_HTTP_4XX], (unsigned long long)c[FG_U_HTTP_429],
			       (unsigned long long)c[FG_U_HTTP_5XX], (unsigned long long)c[FG_U_REJECTED]);
		}
	}
	if (ctx->json) {
		fg_json_close_arr(&j);
		fg_json_end(&j);
	} else if (!n) {
		printf("(no upstreams: add one with 'floodgate upstream add NAME ADDR:PORT')\n");
	} else if (stale) {
		printf("controller heartbeat stale: breakers not forced pass traffic (fail open)\n");
	}
	free(list);
	fg_maps_close(&m);
	return 0;
}

int cmd_upstream(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		OPT_COMMON,
		{ "proto", required_argument, NULL, 'p' },
		{ "reject", required_argument, NULL, 'r' },
		{ "reset-rate", required_argument, NULL, 'R' },
		{},
	};
	const struct fg_cmd *cmd = fg_find_cmd("upstream");
	enum fg_reject reject = FG_REJECT_DROP;
	const char *sub, *proto_arg = NULL, *reject_arg = NULL, *rate_arg = NULL;
	__u32 reset_rate = FG_RESET_RATE_DEFAULT;
	__u8 proto = IPPROTO_TCP;
	int opt;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hv", opts)) != -1) {
		if (opt == 'p')
			proto_arg = optarg;
		else if (opt == 'r')
			reject_arg = optarg;
		else if (opt == 'R')
			rate_arg = optarg;
		else
			return 2;
	}
	if (optind >= argc)
		return fg_fail("upstream: missing subcommand: add, del, list, open, close or auto");
	sub = argv[optind++];
	if ((proto_arg || reject_arg || rate_arg) && strcmp(sub, "add"))
		return fg_fail("upstream %s: --proto, --reject and --reset-rate apply to 'upstream add' only",
			       sub);

	if (!strcmp(sub, "list")) {
		if (fg_want_args(cmd, argc, argv, 0, 0))
			return 2;
		return upstream_list(ctx);
	}
	if (!strcmp(sub, "add")) {
		if (fg_want_args(cmd, argc, argv, 2, 2))
			return 2;
		if (proto_arg && !strcmp(proto_arg, "udp"))
			proto = IPPROTO_UDP;
		else if (proto_arg && strcmp(proto_arg, "tcp"))
			return fg_fail("invalid --proto '%s': expected tcp or udp", proto_arg);
		if (reject_arg && !strcmp(reject_arg, "reset"))
			reject = FG_REJECT_RESET;
		else if (reject_arg && strcmp(reject_arg, "drop"))
			return fg_fail("invalid --reject '%s': expected drop or reset", reject_arg);
		if (rate_arg) {
			char err[FG_ERR_LEN];

			if (fg_parse_u32(rate_arg, "--reset-rate", 1, FG_RESET_RATE_MAX, &reset_rate,
					 err, sizeof(err)))
				return fg_fail("%s", err);
		}
		return upstream_add(ctx, argv[optind], argv[optind + 1], proto, reject, reset_rate);
	}
	if (!strcmp(sub, "del") || !strcmp(sub, "open") || !strcmp(sub, "close") ||
	    !strcmp(sub, "auto")) {
		if (fg_want_args(cmd, argc, argv, 1, 1))
			return 2;
		return upstream_change(ctx, sub, argv[optind]);
	}
	return fg_fail("upstream: unknown subcommand '%s': expected add, del, list, open, close or auto",
		       sub);
}
