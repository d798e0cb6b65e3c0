// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate upstream ...: the breakers' map, or floodgated when it runs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cli.h"
#include "json.h"
#include "maps.h"
#include "names.h"
#include "parse.h"
#include "upstreams.h"
#include "upstream_entry.h"

struct upstream_opts {
	int proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	int reject; /* enum fg_reject */
	__u32 reset_rate;
};

#define OPT(f) offsetof(struct upstream_opts, f)

static const struct upstream_opts upstream_defaults = {
	.proto = IPPROTO_TCP, .reject = FG_REJECT_DROP, .reset_rate = FG_RESET_RATE_DEFAULT,
};

static const struct fg_opt upstream_opts[] = {
	{ .name = "proto", .type = FG_OPT_ENUM, .off = OPT(proto),
	  .help = "the upstream's protocol (default tcp)",
	  .names = fg_proto_names, .n_names = FG_PROTO_NAMES_LEN, .only = "add" },
	{ .name = "reject", .type = FG_OPT_ENUM, .off = OPT(reject),
	  .help = "what an open breaker does to traffic: drop it silently\n"
	  "(default), or reset: a TCP SYN gets a RST at once, so\n"
	  "connect() fails fast; never to a broadcast, multicast,\n"
	  "loopback or unspecified source, nor answering a RST",
	  .names = fg_reject_names, .n_names = FG_REJECT_MAX, .only = "add" },
	{ .name = "reset-rate", .type = FG_OPT_U32, .off = OPT(reset_rate), .arg = "N",
	  .help = "at most N RSTs/s (default 1000), the rest dropped",
	  .min = 1, .max = FG_RESET_RATE_MAX, .only = "add" },
	FG_OPT_END,
};

/* The members an upstream's JSON has in list and in add's reply. */
static void upstream_json(struct fg_json *j, const struct fg_upstream_entry *e)
{
	const struct fg_upstream *v = &e->val;
	char ep[64];

	fg_format_endpoint(e->key.addr, ntohs(e->key.port), ep, sizeof(ep));
	fg_json_str(j, "name", v->name);
	fg_json_str(j, "address", ep);
	fg_json_str(j, "proto", fg_proto_name(e->key.proto));
	fg_json_str(j, "state", fg_breaker_name(v->state));
	fg_json_bool(j, "forced", v->forced);
	fg_json_str(j, "reject", FG_NAME(fg_reject_names, v->reject));
	fg_json_u64(j, "id", v->id);
	fg_json_u64(j, "reset_rate", v->reset_rate ? v->reset_rate : FG_RESET_RATE_DEFAULT);
}

/* Neither the name nor the endpoint taken yet; else a one-line error. */
static int check_new(const struct fg_upstream_entry *list, int n, const char *name,
		     const struct fg_upstream_key *key)
{
	char buf[64];

	if (fg_upstreams_find(list, n, name) >= 0)
		return fg_fail("upstream '%s' already exists (remove it first with 'floodgate upstream del %s')",
			       name, name);
	for (int i = 0; i < n; i++) {
		if (memcmp(&list[i].key, key, sizeof(*key)))
			continue;
		fg_format_endpoint(key->addr, ntohs(key->port), buf, sizeof(buf));
		return fg_fail("%s/%s is already upstream '%s'", buf, fg_proto_name(key->proto),
			       list[i].val.name);
	}
	return 0;
}

/* A fresh closed breaker as entry id at key; 0, or 1 after a one-line error. */
static int add_entry(const struct fg_maps *m, struct fg_upstream_entry *e,
		     const struct upstream_opts *o, const char *name)
{
	__u64 now = fg_now_ns();
	struct fg_entry_src src;
	struct fg_brk brk;
	int r;

	fg_brk_init(&brk, now);
	src = (struct fg_entry_src){ .brk = &brk, .id = e->val.id, .reject = o->reject,
				     .reset_rate = o->reset_rate, .name = name };
	if ((r = fg_upstream_stats_reset(m, e->val.id)) || (r = fg_upstream_rt_reset(m, e->val.id)) ||
	    (r = fg_entry_write(m, &e->key, NULL, &src, now, BPF_NOEXIST, &e->val)) < 0)
		return fg_fail("Failed to add upstream '%s': %s", name, strerror(-r));
	return 0;
}

static int run_add(struct fg_ctx *ctx, const struct fg_args *a)
{
	const struct upstream_opts *o = a->opts;
	const char *name = a->argv[0];
	struct fg_upstream_entry *list = NULL, e = {};
	char err[FG_ERR_LEN];
	struct fg_maps m;
	struct fg_json j;
	int lock, n, id, ret = 1;
	__u16 port;

	if (fg_parse_name(name, err, sizeof(err)) ||
	    fg_parse_endpoint(a->argv[1], e.key.addr, &port, err, sizeof(err)))
		return fg_fail("%s", err);
	e.key.port = htons(port);
	e.key.proto = o->proto;
	if (fg_cli_open(ctx, &m, &lock))
		return 1;
	n = fg_upstreams_read(&m, &list);
	if (n < 0) {
		fg_fail("Failed to read upstreams: %s", strerror(-n));
		goto out;
	}
	if (check_new(list, n, name, &e.key))
		goto out;
	id = fg_upstreams_free_id(list, n);
	if (id < 0) {
		fg_fail("too many upstreams (at most %d)", FG_UPSTREAMS_MAX);
		goto out;
	}
	e.val.id = id;
	if (add_entry(&m, &e, o, name))
		goto out;
	if (ctx->json) { /* silent otherwise, as before */
		fg_json_begin(&j, stdout);
		upstream_json(&j, &e);
		fg_json_str(&j, "via", "map");
		fg_json_end(&j);
	}
	ret = 0;
out:
	free(list);
	fg_cli_close(&m, lock);
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

/* The upstream called name, under the lock: 0 with *e set, or 1 after an error
 * (nothing held). fg_cli_close and free(*list) when done. */
static int find_locked(struct fg_ctx *ctx, const char *name, struct fg_maps *m, int *lock,
		       struct fg_upstream_entry **list, struct fg_upstream_entry **e)
{
	char err[FG_ERR_LEN];
	int n, i;

	if (fg_parse_name(name, err, sizeof(err)))
		return fg_fail("%s", err);
	if (fg_cli_open(ctx, m, lock))
		return 1;
	*list = NULL;
	n = fg_upstreams_read(m, list);
	i = n < 0 ? -1 : fg_upstreams_find(*list, n, name);
	if (i >= 0) {
		*e = &(*list)[i];
		return 0;
	}
	free(*list);
	fg_cli_close(m, *lock);
	return fg_fail("no upstream named '%s' (see 'floodgate upstream list')", name);
}

static int run_del(struct fg_ctx *ctx, const struct fg_args *a)
{
	struct fg_upstream_entry *list, *e;
	struct fg_maps m;
	int lock, ret = 1, err;

	if (find_locked(ctx, a->argv[0], &m, &lock, &list, &e))
		return 1;
	if ((err = fg_entry_delete(&m, &e->key))) {
		fg_fail("Failed to delete upstream '%s': %s", a->argv[0], strerror(-err));
	} else {
		if (ctx->json)
			print_change_json(a->argv[0], NULL, 0, "map");
		ret = 0;
	}
	free(list);
	fg_cli_close(&m, lock);
	return ret;
}

/*
 * A running daemon owns the breakers: ask it, so its state machine and the
 * map agree. Returns 0 or 1 (its answer, printed), or -1: no daemon.
 */
static int force_via_daemon(struct fg_ctx *ctx, const char *name, enum fg_force f)
{
	char line[64], reply[512], n[FG_NAME_MAX], state[16], how[16];
	int r;

	snprintf(line, sizeof(line), "%s %s", fg_force_names[f], name);
	r = fg_ctl_request(ctx->socket, line, reply, sizeof(reply));
	if (r == 1)
		return fg_fail("floodgated: %s", reply);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return -1;
	if (r)
		return fg_fail("Failed to reach floodgated at %s: %s", ctx->socket, strerror(-r));
	if (!ctx->json)
		printf("upstream %s (via floodgated)\n", reply);
	else if (sscanf(reply, "%31s %15s %15s", n, state, how) == 3) /* "NAME STATE auto|forced" */
		print_change_json(name, state, !strcmp(how, "forced"), "floodgated");
	else
		print_change_json(name, "unknown", 0, "floodgated");
	return 0;
}

/* open / close / auto (a->arg: the force). */
static int run_force(struct fg_ctx *ctx, const struct fg_args *a)
{
	const char *name = a->argv[0];
	struct fg_upstream_entry *list, *e;
	struct fg_maps m;
	char err[FG_ERR_LEN];
	int lock, r, ret = 1;

	if (fg_parse_name(name, err, sizeof(err)))
		return fg_fail("%s", err);
	r = force_via_daemon(ctx, name, a->arg);
	if (r >= 0)
		return r;
	if (find_locked(ctx, name, &m, &lock, &list, &e))
		return 1;
	/* Through the one writer, by the daemon's own rule. */
	r = fg_entry_force_write(&m, &e->key, &e->val, a->arg, fg_now_ns(), &e->val);
	if (r < 0) {
		fg_fail("Failed to update upstream '%s': %s", name, strerror(-r));
	} else {
		if (ctx->json)
			print_change_json(name, fg_breaker_name(e->val.state), e->val.forced, "map");
		else
			printf("upstream %s: %s%s\n", name, fg_breaker_name(e->val.state),
			       e->val.forced ? " (forced)" : " (auto)");
		ret = 0;
	}
	free(list);
	fg_cli_close(&m, lock);
	return ret;
}

static void list_row(const struct fg_upstream_entry *e, const __u64 *c)
{
	const struct fg_upstream *v = &e->val;
	char ep[64];

	fg_format_endpoint(e->key.addr, ntohs(e->key.port), ep, sizeof(ep));
	printf("%-16s %-24s %-5s %-10s %-6s %-6s %7llu %7llu %6llu %6llu %6llu %6llu %6llu %8llu\n",
	       v->name, ep, fg_proto_name(e->key.proto), fg_breaker_name(v->state),
	       v->forced ? "forced" : "auto", FG_NAME(fg_reject_names, v->reject),
	       (unsigned long long)c[FG_U_SYN], (unsigned long long)c[FG_U_SYNACK],
	       (unsigned long long)c[FG_U_RST], (unsigned long long)c[FG_U_HTTP_2XX],
	       (unsigned long long)c[FG_U_HTTP_4XX], (unsigned long long)c[FG_U_HTTP_429],
	       (unsigned long long)c[FG_U_HTTP_5XX], (unsigned long long)c[FG_U_REJECTED]);
}

static void list_json(struct fg_json *j, const struct fg_maps *m,
		      const struct fg_upstream_entry *e, const __u64 *c, int stale)
{
	const struct fg_upstream *v = &e->val;

	fg_json_obj(j, NULL);
	upstream_json(j, e);
	/* What the datapath does now, after the staleness guard. */
	fg_json_bool(j, "effective_closed", v->state == FG_BREAKER_CLOSED || (!v->forced && stale));
	/* What is left of this half-open period's permits. */
	fg_json_u64(j, "permits", fg_upstream_permits_left(m, v));
	fg_json_obj(j, "counters");
	for (int k = 0; k < FG_U_MAX; k++)
		fg_json_u64(j, fg_ustat_names[k], c[k]);
	fg_json_close_obj(j);
	fg_json_close_obj(j);
}

static void list_head(struct fg_ctx *ctx, struct fg_json *j, int stale)
{
	if (ctx->json) {
		fg_json_begin(j, stdout);
		fg_json_bool(j, "controller_stale", stale);
		fg_json_arr(j, "upstreams");
	} else {
		printf("%-16s %-24s %-5s %-10s %-6s %-6s %7s %7s %6s %6s %6s %6s %6s %8s\n",
		       "NAME", "ADDRESS", "PROTO", "STATE", "BY", "REJECT", "SYN", "SYNACK", "RST",
		       "2xx", "4xx", "429", "5xx", "REJECTED");
	}
}

static int run_list(struct fg_ctx *ctx, const struct fg_args *a)
{
	struct fg_upstream_entry *list = NULL;
	struct fg_config cfg;
	struct fg_maps m;
	struct fg_json j;
	int n, stale;

	if (fg_cli_open(ctx, &m, NULL))
		return 1;
	n = fg_upstreams_read(&m, &list);
	if (n < 0 || fg_config_get(&m, &cfg)) {
		free(list);
		fg_cli_close(&m, -1);
		return fg_fail("Failed to read upstreams: %s", strerror(errno));
	}
	stale = fg_now_ns() - cfg.heartbeat_ns > cfg.stale_ns;
	list_head(ctx, &j, stale);
	for (int i = 0; i < n; i++) {
		__u64 c[FG_U_MAX] = {};

		fg_upstream_stats_sum(&m, list[i].val.id, c);
		if (ctx->json)
			list_json(&j, &m, &list[i], c, stale);
		else
			list_row(&list[i], c);
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
	fg_cli_close(&m, -1);
	return 0;
}

static const struct fg_sub upstream_subs[] = {
	{ "add", "NAME ADDR:PORT", 2, 2, run_add, 0 },
	{ "del", "NAME", 1, 1, run_del, 0 },
	{ "list", "", 0, 0, run_list, 0 },
	{ "open", "NAME", 1, 1, run_force, FG_FORCE_OPEN },
	{ "close", "NAME", 1, 1, run_force, FG_FORCE_CLOSED },
	{ "auto", "NAME", 1, 1, run_force, FG_FORCE_AUTO },
	{},
};

const struct fg_cmd fg_cmd_upstream = {
	.name = "upstream",
	.summary = "circuit breakers for upstreams",
	.about = "  A circuit breaker per upstream; traffic to an open breaker is refused.\n"
		 "  open / close force the breaker and hold, with or without the daemon;\n"
		 "  auto hands it back to floodgated. A breaker the daemon set fails open\n"
		 "  when the daemon's heartbeat goes stale.\n"
		 "  NAME: 1..31 of letters, digits, '_', '.', '-'. ADDR:PORT: 198.18.2.10:80,\n"
		 "  [2001:db8::10]:443\n",
	.opts = upstream_opts,
	.opts_size = sizeof(struct upstream_opts),
	.defaults = &upstream_defaults,
	.subs = upstream_subs,
};
