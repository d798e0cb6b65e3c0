// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floodgated's pure parts, without root or maps (the daemon on the fake
 * datapath, fake_datapath.h): outcome classification, the reconcile plan, the one map writer's
 * merge, resuming from the map, state carried over a reload, the group
 * guard, the control protocol and the Prometheus textfile.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <dirent.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "test.h"
#include "ctl.h"
#include "daemon.h"
#include "fake_datapath.h"
#include "outcomes.h"
#include "reconcile.h"
#include "textfile.h"
#include "maps.h"

#define MS 1000000ULL
#define S (1000 * MS)

static const __u32 ALL = FG_FAIL_5XX | FG_FAIL_429 | FG_FAIL_REFUSED | FG_FAIL_TIMEOUT |
			 FG_FAIL_PROBE;
#define OK_ALL (FG_OK_2XX | FG_OK_3XX | FG_OK_SYNACK | FG_OK_PROBE)

TEST(daemon_classify_deltas)
{
	static const struct {
		const char *what;
		__u64 prev[FG_U_MAX], cur[FG_U_MAX];
		__u32 classes;
		struct fg_outcomes want;
		__u32 ok_classes;
	} cases[] = {
		{ "plain TCP: SYN-ACKs are successes",
		  { 0 }, { [FG_U_SYN] = 12, [FG_U_SYNACK] = 10 }, ALL, { 10, 0, 0 }, OK_ALL },
		{ "HTTP 5xx: judged by the status, not the SYN-ACK",
		  { 0 }, { [FG_U_SYNACK] = 5, [FG_U_HTTP_5XX] = 5 }, ALL, { 0, 5, 0 }, OK_ALL },
		{ "2xx and 3xx succeed; keep-alive means fewer SYN-ACKs than responses",
		  { 0 }, { [FG_U_SYNACK] = 3, [FG_U_HTTP_2XX] = 7, [FG_U_HTTP_3XX] = 1 }, ALL,
		  { 8, 0, 0 }, OK_ALL },
		{ "connections still waiting for their status count as successes",
		  { 0 }, { [FG_U_SYNACK] = 6, [FG_U_HTTP_2XX] = 2 }, ALL, { 6, 0, 0 }, OK_ALL },
		{ "429 and refused are failures",
		  { 0 }, { [FG_U_HTTP_429] = 2, [FG_U_RST] = 3 }, ALL, { 0, 5, 0 }, OK_ALL },
		{ "classes left out of failure_classes are neutral",
		  { 0 }, { [FG_U_HTTP_429] = 2, [FG_U_RST] = 3, [FG_U_HTTP_5XX] = 1 }, FG_FAIL_5XX,
		  { 0, 1, 5 }, OK_ALL },
		{ "other 4xx are neutral",
		  { 0 }, { [FG_U_SYNACK] = 4, [FG_U_HTTP_4XX] = 4 }, ALL, { 0, 0, 4 }, OK_ALL },
		{ "only growth counts",
		  { [FG_U_SYNACK] = 100, [FG_U_HTTP_5XX] = 50 },
		  { [FG_U_SYNACK] = 103, [FG_U_HTTP_5XX] = 52 }, ALL, { 1, 2, 0 }, OK_ALL },
		{ "a counter that went backwards (reset) counts from zero",
		  { [FG_U_HTTP_5XX] = 50 }, { [FG_U_HTTP_5XX] = 4 }, ALL, { 0, 4, 0 }, OK_ALL },
		{ "rejected, resets, probes and stale passes are not outcomes",
		  { 0 }, { [FG_U_REJECTED] = 9, [FG_U_RESETS] = 9, [FG_U_PROBES] = 9,
			   [FG_U_STALE] = 9, [FG_U_SYN] = 9 }, ALL, { 0, 0, 0 }, OK_ALL },
		{ "success_classes without syn_ack: a SYN-ACK is no outcome (slow HTTP upstreams)",
		  { 0 }, { [FG_U_SYNACK] = 6, [FG_U_HTTP_2XX] = 2 }, ALL, { 2, 0, 0 },
		  FG_OK_2XX | FG_OK_3XX },
		{ "2xx and 3xx left out of success_classes are neutral",
		  { 0 }, { [FG_U_HTTP_2XX] = 2, [FG_U_HTTP_3XX] = 3, [FG_U_SYNACK] = 9 }, ALL,
		  { 4, 0, 5 }, FG_OK_SYNACK },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fg_outcomes o;

		fg_classify_deltas(cases[i].prev, cases[i].cur, cases[i].classes,
				   cases[i].ok_classes, &o);
		ASSERT_EQ(o.ok, cases[i].want.ok, cases[i].what);
		ASSERT_EQ(o.failed, cases[i].want.failed, cases[i].what);
		ASSERT_EQ(o.neutral, cases[i].want.neutral, cases[i].what);
	}
}

TEST(daemon_outcomes_cap)
{
	struct fg_outcomes o = { 9000, 1000, 0 }, few = { 3, 4, 0 }, one = { 100000, 1, 0 };

	fg_outcomes_cap(&o, 4096);
	ASSERT_LE(o.ok + o.failed, 4096, "capped sum");
	ASSERT_EQ(o.ok, 3686, "ok scaled");
	ASSERT_EQ(o.failed, 409, "failed scaled");
	fg_outcomes_cap(&few, 4096);
	ASSERT_EQ(few.ok, 3, "small counts unchanged");
	ASSERT_EQ(few.failed, 4, "small counts unchanged");
	fg_outcomes_cap(&one, 4096);
	ASSERT_EQ(one.failed, 1, "a lone failure survives scaling");
}

static void ups_cfg(struct fg_upstream_cfg *u, const char *name, const char *v4, __u16 port)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->addr[10] = u->addr[11] = 0xff;
	inet_pton(AF_INET, v4, u->addr + 12);
	u->port = port;
	u->proto = IPPROTO_TCP;
	u->reject = FG_REJECT_RESET;
	snprintf(u->group, sizeof(u->group), "default");
	u->group_max_open_pct = 50;
	u->probe = FG_PROBE_HTTP;
	u->interval_ns = S;
	u->timeout_ns = 500 * MS;
	u->rise = 2;
	u->fall = 3;
	u->expect_lo = 200;
	u->expect_hi = 399;
	u->failure_classes = ALL;
	u->success_classes = OK_ALL;
	u->connect_timeout_ns = 2 * S;
	fg_brk_params_default(&u->brk);
	u->brk.jitter_pct = 0;
}

TEST(daemon_reconcile_plan)
{
	struct fg_upstream_cfg cfg[3];
	struct fg_upstream_entry map[3] = {};
	struct fg_plan plan[3];
	int del[3];

	ups_cfg(&cfg[0], "a", "198.18.0.1", 80);
	ups_cfg(&cfg[1], "b", "198.18.0.2", 80);
	ups_cfg(&cfg[2], "c", "198.18.0.3", 80);
	/* The map: a (id 2), x (id 0, gone from the config), b on another port (id 1). */
	fg_upstream_key_of(&cfg[0], &map[0].key);
	map[0].val.id = 2;
	ups_cfg(&cfg[1], "x", "198.18.0.9", 80);
	fg_upstream_key_of(&cfg[1], &map[1].key);
	map[1].val.id = 0;
	ups_cfg(&cfg[1], "b", "198.18.0.2", 8080);
	fg_upstream_key_of(&cfg[1], &map[2].key);
	map[2].val.id = 1;
	ups_cfg(&cfg[1], "b", "198.18.0.2", 80);

	ASSERT_OK(fg_reconcile_plan(cfg, 3, map, 3, plan, del), "plan");
	ASSERT_EQ(plan[0].map_idx, 0, "a keeps its entry");
	ASSERT_EQ(plan[0].id, 2, "a keeps its id");
	ASSERT_EQ(plan[1].map_idx, -1, "b moved: a new entry");
	ASSERT_EQ(plan[2].map_idx, -1, "c is new");
	/* Not x's 0 nor old b's 1: a failed apply puts those back, counters and all. */
	ASSERT_EQ(plan[1].id, 3, "new ones take the lowest ids no entry has");
	ASSERT_EQ(plan[2].id, 4, "new ones take the lowest ids no entry has");
	ASSERT_EQ(del[0], 0, "a stays");
	ASSERT_EQ(del[1], 1, "x goes");
	ASSERT_EQ(del[2], 1, "b's old address goes");
}

/* A full map: new upstreams take the ids of the entries going away, each
 * once; one more than the map holds is -ENOSPC. */
TEST(daemon_reconcile_plan_full_map)
{
	int n = FG_UPSTREAMS_MAX;
	struct fg_upstream_cfg *cfg = calloc(n + 1, sizeof(*cfg));
	struct fg_upstream_entry *map = calloc(n, sizeof(*map));
	struct fg_plan *plan = calloc(n + 1, sizeof(*plan));
	unsigned char *seen = calloc(n, 1);
	int *del = calloc(n, sizeof(*del)), dup = 0, range = 0;
	char v4[32];

	if (!ASSERT_TRUE(cfg && map && plan && seen && del, "memory"))
		goto out;
	for (int i = 0; i <= n; i++) {
		snprintf(v4, sizeof(v4), "198.18.%d.%d", 4 + (i >> 8), i & 0xff);
		ups_cfg(&cfg[i], "new", v4, 80); /* 198.18.4.0 and up: none in the map */
		if (i == n)
			break;
		snprintf(v4, sizeof(v4), "198.18.%d.%d", i >> 8, i & 0xff);
		ups_cfg(&cfg[n], "old", v4, 80);
		fg_upstream_key_of(&cfg[n], &map[i].key);
		map[i].val.id = n - 1 - i;
	}
	ASSERT_OK(fg_reconcile_plan(cfg, n, map, n, plan, del), "plan");
	for (int i = 0; i < n; i++) {
		range += plan[i].id >= (__u32)n;
		if (plan[i].id < (__u32)n)
			dup += seen[plan[i].id]++;
	}
	ASSERT_EQ(range, 0, "every id within the map");
	ASSERT_EQ(dup, 0, "no id given twice");
	ASSERT_EQ(plan[0].id, 0, "the lowest of the deleted ids first");
	ASSERT_EQ(fg_reconcile_plan(cfg, n + 1, map, n, plan, del), -ENOSPC, "one too many");
out:
	free(cfg);
	free(map);
	free(plan);
	free(seen);
	free(del);
}

TEST(daemon_merge_entry)
{
	struct fg_ups_rt u = {};
	struct fg_entry_src src;
	struct fg_upstream cur, out;

	ups_cfg(&u.cfg, "web", "198.18.0.1", 80);
	u.id = 7;
	fg_brk_init(&u.brk, 0);
	ASSERT_EQ(fg_entry_merge(NULL, fg_ups_src(&u, &src), 100, &out), 1, "absent: written");
	ASSERT_EQ(out.state, FG_BREAKER_CLOSED, "closed");
	ASSERT_EQ(out.id, 7, "id");
	ASSERT_STREQ(out.name, "web", "name");
	ASSERT_EQ(out.changed_ns, 100, "changed_ns");
	cur = out;
	ASSERT_EQ(fg_entry_merge(&cur, fg_ups_src(&u, &src), 200, &out), 0, "nothing changed: no write");

	u.brk.state = FG_BREAKER_HALF_OPEN;
	ASSERT_EQ(fg_entry_merge(&cur, fg_ups_src(&u, &src), 300, &out), 1, "entering half-open");
	ASSERT_EQ(out.permits, u.cfg.brk.half_open_permits, "permits granted");
	ASSERT_EQ(out.half_open_gen, 1, "a new half-open period");
	ASSERT_EQ(out.changed_ns, 300, "changed_ns on a state change");
	cur = out;
	ASSERT_EQ(fg_entry_merge(&cur, fg_ups_src(&u, &src), 400, &out), 0, "half-open still: no write");
	u.brk.half_open_ok = 1;
	u.cfg.brk.half_open_permits = 9; /* a reload mid-period */
	ASSERT_EQ(fg_entry_merge(&cur, fg_ups_src(&u, &src), 450, &out), 1, "a success: written");
	ASSERT_EQ(out.permits, cur.permits, "the period's permits stand");
	ASSERT_EQ(out.half_open_gen, 1, "the same period: nothing spent is given back");
	ASSERT_EQ(out.reset_rate, u.cfg.reset_rate, "reset_rate from the config");
	u.brk.half_open_ok = 0;
	u.cfg.brk.half_open_permits = cur.permits;

	u.brk.state = FG_BREAKER_OPEN;
	u.brk.force = FG_FORCE_OPEN;
	ASSERT_EQ(fg_entry_merge(&cur, fg_ups_src(&u, &src), 500, &out), 1, "forced open");
	ASSERT_EQ(out.permits, 0, "no permits when open");
	ASSERT_EQ(out.forced, 1, "forced flag");
	ASSERT_EQ(out.open_until_ns, 0, "forced open: no due time");

	cur = out;
	u.brk.force = FG_FORCE_AUTO;
	u.brk.reopens = 3;
	u.brk.open_until_ns = 9000;
	ASSERT_EQ(fg_entry_merge(&cur, fg_ups_src(&u, &src), 600, &out), 1, "auto open: written");
	ASSERT_EQ(out.reopens, 3, "the backoff count is kept in the map");
	ASSERT_EQ(out.open_until_ns, 9000, "the due time is kept in the map");

	cur = out;
	u.brk.state = FG_BREAKER_HALF_OPEN;
	ASSERT_EQ(fg_entry_merge(&cur, fg_ups_src(&u, &src), 700, &out), 1, "half-open again");
	ASSERT_EQ(out.half_open_gen, 2, "a second period: permits counted from 0");
	ASSERT_EQ(out.permits, u.cfg.brk.half_open_permits, "granted anew");
}

TEST(daemon_seed_from_map)
{
	struct fg_brk_params p;
	struct fg_upstream v = {};
	struct fg_brk b;

	fg_brk_params_default(&p);
	v.state = FG_BREAKER_OPEN;
	v.changed_ns = 10 * S;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.state, FG_BREAKER_OPEN, "open resumes open");
	ASSERT_EQ(b.force, FG_FORCE_AUTO, "auto");
	ASSERT_EQ(b.open_until_ns, 10 * S + p.open_timeout_ns, "no due time: half-open counted from the open");

	/* A daemon's entry: the backoff and the jittered due time go on. */
	v.reopens = 2;
	v.open_until_ns = 10 * S + 4 * p.open_timeout_ns + 123;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.reopens, 2, "backoff count resumes");
	ASSERT_EQ(b.open_until_ns, 10 * S + 4 * p.open_timeout_ns + 123, "due time resumes");
	v.open_until_ns = 10 * S + 2 * p.open_timeout_max_ns;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.open_until_ns, 10 * S + fg_brk_open_timeout(&p, 2),
		  "a due time past the longest timeout: counted from the open with the backoff");
	v.open_until_ns = 9 * S;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.open_until_ns, 10 * S + fg_brk_open_timeout(&p, 2), "a due time before the open: ignored");
	v.reopens = 0;
	v.open_until_ns = 0;

	v.state = FG_BREAKER_CLOSED;
	v.consecutive = 4;
	v.half_open_ok = 7;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.consecutive, 4, "closed: failures in a row resume");
	ASSERT_EQ(b.half_open_ok, 0, "closed: no half-open successes");
	v.state = FG_BREAKER_HALF_OPEN;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.half_open_ok, 7, "half-open: successes so far resume");
	ASSERT_EQ(b.consecutive, 0, "half-open: no closed count");
	v.state = FG_BREAKER_OPEN;
	v.consecutive = v.half_open_ok = 0;

	v.forced = 1;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.force, FG_FORCE_OPEN, "forced open resumes forced");

	v.state = FG_BREAKER_HALF_OPEN;
	v.forced = 0;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.state, FG_BREAKER_HALF_OPEN, "half-open resumes half-open");

	v.state = FG_BREAKER_CLOSED;
	v.forced = 1;
	fg_brk_seed(&b, &v, &p, 12 * S);
	ASSERT_EQ(b.force, FG_FORCE_CLOSED, "forced closed resumes forced");
}

static void make_cfg(struct fg_cfg *c, int n, const char *const *names, const char *const *addrs)
{
	memset(c, 0, sizeof(*c));
	c->ups = calloc(n, sizeof(*c->ups));
	c->n_ups = n;
	for (int i = 0; i < n; i++)
		ups_cfg(&c->ups[i], names[i], addrs[i], 80);
	snprintf(c->daemon.textfile_dir, sizeof(c->daemon.textfile_dir), "/tmp");
}

TEST(daemon_probe_failures_open_and_reload_keeps_state)
{
	static const char *const names[] = { "a", "b" }, *const addrs[] = { "198.18.0.1", "198.18.0.2" };
	static const char *const names2[] = { "a", "b" }, *const addrs2[] = { "198.18.0.1", "198.18.0.3" };
	struct fg_daemon d;
	struct fg_cfg c;
	char err[160];
	__u64 now = 100 * S;

	fg_daemon_init(&d, &fake_dp);
	make_cfg(&c, 2, names, addrs);
	c.ups[0].group_max_open_pct = 100;
	c.ups[1].group_max_open_pct = 100;
	ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), "apply");
	ASSERT_EQ(d.n_ups, 2, "two upstreams");

	/* Probe failures are fed at the tick; five in a row open (default). */
	for (int i = 0; i < 4; i++)
		fg_daemon_probe_result(&d, 0, 0, 3 * MS, "connection refused");
	fg_daemon_tick(&d, now += 100 * MS);
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_CLOSED, "4 failures: closed");
	ASSERT_EQ(d.ups[0].probe_up, 0, "probe down after fall (3) failures");
	fg_daemon_probe_result(&d, 0, 0, 3 * MS, "connection refused");
	fg_daemon_tick(&d, now += 100 * MS);
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_OPEN, "5 failures: open");
	ASSERT_EQ(d.ups[0].m.opens, 1, "opens counted");
	ASSERT_EQ(d.ups[0].m.transitions[FG_BREAKER_CLOSED][FG_BREAKER_OPEN][FG_WHY_CONSECUTIVE], 1,
		  "transition counted with its reason");
	ASSERT_EQ(d.ups[0].m.probe_fail, 5, "probe failures counted");

	/* After the open timeout: half-open; probe passes close it. */
	fg_daemon_tick(&d, now += 5 * S);
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_HALF_OPEN, "half-open after open_timeout");
	for (int i = 0; i < 3; i++)
		fg_daemon_probe_result(&d, 0, 1, 2 * MS, "HTTP 200");
	fg_daemon_tick(&d, now += 100 * MS);
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_CLOSED, "closed after 3 successes");
	ASSERT_EQ(d.ups[0].probe_up, 1, "probe up after rise (2) passes");

	/* Open it again, then reload: a keeps its state, b (new address) starts closed. */
	d.ups[0].brk.state = FG_BREAKER_OPEN;
	d.ups[0].brk.open_until_ns = now + 60 * S;
	d.ups[1].brk.state = FG_BREAKER_OPEN;
	make_cfg(&c, 2, names2, addrs2);
	c.ups[0].brk.consecutive_failures = 9;
	ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), "reload");
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_OPEN, "unchanged address keeps its state");
	ASSERT_EQ(d.ups[0].m.opens, 1, "and its counters");
	ASSERT_EQ(d.ups[0].cfg.brk.consecutive_failures, 9, "and takes the new settings");
	ASSERT_EQ(d.ups[1].brk.state, FG_BREAKER_CLOSED, "a new address starts closed");
	fg_daemon_free(&d);
}

/* No two upstreams of d share an id, and every id is within the maps. */
static int ids_apart(const struct fg_daemon *d)
{
	unsigned char seen[FG_UPSTREAMS_MAX] = {};

	for (int i = 0; i < d->n_ups; i++)
		if (d->ups[i].id >= FG_UPSTREAMS_MAX || seen[d->ups[i].id]++)
			return 0;
	return 1;
}

/* n upstreams u0.. at 198.18.B.x, B from base (distinct addresses per base). */
static void many_cfg(struct fg_cfg *c, int n, int base)
{
	char name[32], v4[32];

	memset(c, 0, sizeof(*c));
	c->ups = calloc(n + 1, sizeof(*c->ups));
	c->n_ups = c->ups ? n : 0;
	for (int i = 0; i < c->n_ups; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		snprintf(v4, sizeof(v4), "198.18.%d.%d", base + (i >> 8), i & 0xff);
		ups_cfg(&c->ups[i], name, v4, 80);
	}
}

/*
 * Reload as a plan (issue 10): ids come from the whole plan, so an upstream
 * carried over and a new one never share one (each breaker would judge the
 * other's traffic); a config larger than the maps changes nothing.
 */
TEST(daemon_reload_plan_ids)
{
	static const char *const n1[] = { "a", "b" }, *const a1[] = { "198.18.0.1", "198.18.0.2" };
	static const char *const n2[] = { "c", "a" }, *const a2[] = { "198.18.0.3", "198.18.0.1" };
	struct fg_daemon d;
	struct fg_cfg c;
	char err[256];
	__u64 now = 100 * S;

	fg_daemon_init(&d, &fake_dp);
	make_cfg(&c, 2, n1, a1);
	ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), err);
	ASSERT_TRUE(ids_apart(&d), "a and b apart");
	d.ups[0].brk.state = FG_BREAKER_OPEN;
	d.ups[0].brk.open_until_ns = now + 60 * S;
	make_cfg(&c, 2, n2, a2);
	ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), err);
	ASSERT_STREQ(d.ups[1].cfg.name, "a", "a now second");
	ASSERT_EQ(d.ups[1].id, 0, "a keeps its id");
	ASSERT_TRUE(ids_apart(&d), "new c does not take a's id (it took index 0's before)");
	ASSERT_EQ(d.ups[1].brk.state, FG_BREAKER_OPEN, "a keeps its state");
	ASSERT_EQ(d.idx_by_id[d.ups[1].id], 1, "id -> index follows");

	/* As many as the maps hold, all new: the ids of those going are reused. */
	many_cfg(&c, FG_UPSTREAMS_MAX, 4);
	ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), err);
	ASSERT_EQ(d.n_ups, FG_UPSTREAMS_MAX, "all in");
	ASSERT_TRUE(ids_apart(&d), "FG_UPSTREAMS_MAX upstreams, ids apart");
	many_cfg(&c, FG_UPSTREAMS_MAX, 8);
	ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), err);
	ASSERT_TRUE(ids_apart(&d), "all replaced by as many new ones, ids apart");
	fg_daemon_tick(&d, now += 100 * MS);

	/* One more than the maps hold (a config the loader would refuse). */
	d.ups[5].brk.state = FG_BREAKER_OPEN;
	d.ups[5].brk.open_until_ns = now + 60 * S;
	many_cfg(&c, FG_UPSTREAMS_MAX + 1, 12);
	ASSERT_EQ(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), -E2BIG, "refused");
	ASSERT_STRHAS(err, "not applied: 1025 upstreams", "says why");
	ASSERT_TRUE(!strchr(err, '\n'), "in one line");
	ASSERT_EQ(c.n_ups, 0, "the refused config is freed");
	ASSERT_EQ(d.n_ups, FG_UPSTREAMS_MAX, "the running config stays");
	ASSERT_EQ(d.cfg.n_ups, FG_UPSTREAMS_MAX, "the running config stays");
	ASSERT_EQ(d.ups[5].cfg.addr[14], 8, "the running upstreams stay");
	ASSERT_EQ(d.ups[5].brk.state, FG_BREAKER_OPEN, "and their states");
	ASSERT_TRUE(ids_apart(&d), "ids still apart");
	fg_daemon_tick(&d, now += 100 * MS);
	fg_daemon_free(&d);
}

/*
 * An HTTP upstream answering 503 after 300 ms (three ticks), one request at a
 * time: each connection's SYN-ACK is settled as a success before its status
 * arrives, so with syn_ack a success the failures never run 5 in a row; with
 * syn_ack left out of success_classes each request counts once, by its
 * status, and the 5th opens.
 */
static int slow_503s(__u32 success_classes, int requests)
{
	static const char *const names[] = { "a" }, *const addrs[] = { "198.18.0.1" };
	__u64 c[FG_U_MAX] = {}, now = S;
	struct fg_daemon d;
	struct fg_cfg cfg;
	char err[160];
	int state;

	fg_daemon_init(&d, &fake_dp);
	make_cfg(&cfg, 1, names, addrs);
	cfg.ups[0].probe = FG_PROBE_NONE;
	cfg.ups[0].brk.failure_rate_pct = 0;
	cfg.ups[0].success_classes = success_classes;
	if (fg_daemon_apply_config(&d, &cfg, now, err, sizeof(err)))
		return -1;
	fake_dp_counters(&d, 0, c);
	fg_daemon_tick(&d, now += 100 * MS);
	for (int r = 0; r < requests; r++) {
		c[FG_U_SYN]++;
		c[FG_U_SYNACK]++;
		for (int t = 0; t < 3; t++) {
			fake_dp_counters(&d, 0, c);
			fg_daemon_tick(&d, now += 100 * MS);
		}
		c[FG_U_HTTP_5XX]++;
		fake_dp_counters(&d, 0, c);
		fg_daemon_tick(&d, now += 100 * MS);
	}
	state = d.ups[0].brk.state;
	fg_daemon_free(&d);
	return state;
}

TEST(daemon_slow_errors_and_success_classes)
{
	ASSERT_EQ(slow_503s(OK_ALL, 8), FG_BREAKER_CLOSED,
		  "slow 503s with syn_ack a success: every failure follows a success, never 5 in a row");
	ASSERT_EQ(slow_503s(FG_OK_2XX | FG_OK_3XX | FG_OK_PROBE, 4), FG_BREAKER_CLOSED,
		  "without syn_ack: 4 slow 503s, closed");
	ASSERT_EQ(slow_503s(FG_OK_2XX | FG_OK_3XX | FG_OK_PROBE, 5), FG_BREAKER_OPEN,
		  "without syn_ack: the 5th slow 503 opens");
}

TEST(daemon_group_guard)
{
	static const char *const names[] = { "a", "b", "c" },
			  *const addrs[] = { "198.18.0.1", "198.18.0.2", "198.18.0.3" };
	struct fg_daemon d;
	struct fg_cfg c;
	char err[160];
	__u64 now = S;

	fg_daemon_init(&d, &fake_dp);
	make_cfg(&c, 3, names, addrs);
	ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), "apply");
	/* Every member fails: 50% of 3 lets one open; the others stay closed. */
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 10; k++)
			fg_daemon_probe_result(&d, i, 0, MS, "timeout");
	fg_daemon_tick(&d, now += 100 * MS);
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_OPEN, "first member opens");
	ASSERT_EQ(d.ups[1].brk.state, FG_BREAKER_CLOSED, "second held closed by the guard");
	ASSERT_EQ(d.ups[2].brk.state, FG_BREAKER_CLOSED, "third held closed by the guard");
	fg_daemon_free(&d);

	/* A lone upstream can always open (one member may, as in Envoy). */
	fg_daemon_init(&d, &fake_dp);
	make_cfg(&c, 1, names, addrs);
	ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), "apply");
	for (int k = 0; k < 5; k++)
		fg_daemon_probe_result(&d, 0, 0, MS, "timeout");
	fg_daemon_tick(&d, now += 100 * MS);
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_OPEN, "lone member opens");
	fg_daemon_free(&d);
}

static char *exec(struct fg_daemon *d, const char *line, int *rc)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	*rc = fg_ctl_exec(d, line, f, NULL, NULL);
	fclose(f);
	return buf;
}

TEST(daemon_control_protocol)
{
	static const char *const names[] = { "web1", "web2" },
			  *const addrs[] = { "198.18.0.1", "198.18.0.2" };
	struct fg_daemon d;
	struct fg_cfg c;
	char err[160];
	int rc;

	fg_daemon_init(&d, &fake_dp);
	make_cfg(&c, 2, names, addrs);
	ASSERT_OK(fg_daemon_apply_config(&d, &c, S, err, sizeof(err)), "apply");

	ASSERT_STREQ(exec(&d, "list", &rc), "ok 2\nweb1 closed auto default\nweb2 closed auto default\n",
		     "list");
	ASSERT_STREQ(exec(&d, "open web1", &rc), "ok web1 open forced\n", "open");
	ASSERT_EQ(d.ups[0].brk.force, FG_FORCE_OPEN, "forced in the state machine");
	for (int k = 0; k < 10; k++)
		fg_daemon_probe_result(&d, 0, 1, MS, "HTTP 200");
	fg_daemon_tick(&d, 100 * S);
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_OPEN, "a forced breaker holds");
	ASSERT_STREQ(exec(&d, "auto web1", &rc), "ok web1 closed auto\n", "auto");
	ASSERT_STREQ(exec(&d, "close web2", &rc), "ok web2 closed forced\n", "close");
	ASSERT_STRHAS(exec(&d, "open nosuch", &rc), "error no upstream named 'nosuch'", "unknown name");
	ASSERT_EQ(rc != 0, 1, "error return");
	ASSERT_STRHAS(exec(&d, "open bad/name", &rc), "error ", "bad name");
	ASSERT_STRHAS(exec(&d, "frobnicate", &rc), "error unknown command", "unknown command");
	ASSERT_STRHAS(exec(&d, "open", &rc), "error usage: open NAME", "missing name");
	ASSERT_STRHAS(exec(&d, "list extra", &rc), "error list takes no argument", "extra argument");
	ASSERT_STRHAS(exec(&d, "reload", &rc), "error", "reload without a callback");
	fg_daemon_free(&d);
}

TEST(daemon_textfile_render)
{
	static const char *const names[] = { "web1", "db" },
			  *const addrs[] = { "198.18.7.1", "198.18.7.2" };
	static const char *const families[] = {
		"floodgate_build_info",
		"floodgate_breaker_state",
		"floodgate_breaker_transitions_total",
		"floodgate_breaker_opens_total",
		"floodgate_probe_results_total",
		"floodgate_probe_duration_seconds",
		"floodgate_upstream_rejected_packets_total",
		"floodgate_upstream_responses_total",
		"floodgate_upstream_connect_failures_total",
		"floodgate_datapath_packets_total",
		"floodgate_new_sources_admitted_total",
		"floodgate_new_sources_overflow_packets_total",
		"floodgate_tracked_sources",
		"floodgate_bucket_capacity",
		"floodgate_controller_heartbeat_age_seconds",
	};
	struct fg_dp_snapshot s = { .have_stats = 1, .have_buckets = 1, .have_heartbeat = 1,
				    .tracked = 42, .capacity = 1000000,
				    .heartbeat_age_ns = 50 * MS };
	struct fg_daemon d;
	struct fg_cfg c;
	char err[160], *buf = NULL, *line, *save, want[160];
	size_t len = 0;
	FILE *f;

	fg_daemon_init(&d, &fake_dp);
	make_cfg(&c, 2, names, addrs);
	snprintf(c.ups[1].group, sizeof(c.ups[1].group), "db");
	ASSERT_OK(fg_daemon_apply_config(&d, &c, S, err, sizeof(err)), "apply");
	s.stats[FG_R_LIMIT_DROP] = 17;
	s.stats[FG_C_ADMITTED] = 7;
	s.stats[FG_R_OVERFLOW_PASS] = 8;
	s.stats[FG_R_OVERFLOW_DROP] = 9;
	d.ups[0].m.c[FG_U_HTTP_5XX] = 5;
	d.ups[0].m.c[FG_U_REJECTED] = 3;
	for (int k = 0; k < 5; k++)
		fg_daemon_probe_result(&d, 0, 0, 1500 * MS / 1000, "HTTP 503");
	fg_daemon_tick(&d, 2 * S);
	d.ups[1].m.transitions[FG_BREAKER_OPEN][FG_BREAKER_HALF_OPEN][FG_WHY_TIMEOUT] = 1;

	f = open_memstream(&buf, &len);
	ASSERT_OK(fg_textfile_render(f, &d, &s), "render");
	fclose(f);

	for (unsigned int i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(want, sizeof(want), "# HELP %s ", families[i]);
		ASSERT_STRHAS(buf, want, "HELP line");
		snprintf(want, sizeof(want), "# TYPE %s ", families[i]);
		ASSERT_STRHAS(buf, want, "TYPE line");
	}
	ASSERT_STRHAS(buf, "floodgate_breaker_state{upstream=\"web1\",group=\"default\"} 1\n", "open state");
	ASSERT_STRHAS(buf, "floodgate_breaker_state{upstream=\"db\",group=\"db\"} 0\n", "closed state");
	ASSERT_STRHAS(buf, "floodgate_breaker_transitions_total{upstream=\"web1\",from=\"closed\",to=\"open\",reason=\"consecutive_failures\"} 1\n",
		      "transition");
	/* One spelling of a state everywhere: the CLI's, the log's and the JSON's. */
	ASSERT_STRHAS(buf, "floodgate_breaker_transitions_total{upstream=\"db\",from=\"open\",to=\"half-open\",reason=\"open_timeout\"} 1\n",
		      "half-open spelled as everywhere else");
	ASSERT_STRHAS(buf, "floodgate_breaker_opens_total{upstream=\"web1\"} 1\n", "opens");
	ASSERT_STRHAS(buf, "floodgate_probe_results_total{upstream=\"web1\",result=\"fail\"} 5\n", "probe fails");
	ASSERT_STRHAS(buf, "floodgate_probe_duration_seconds{upstream=\"web1\"} 0.001500\n", "probe duration");
	ASSERT_STRHAS(buf, "floodgate_upstream_responses_total{upstream=\"web1\",class=\"5xx\"} 5\n", "5xx");
	ASSERT_STRHAS(buf, "floodgate_upstream_rejected_packets_total{upstream=\"web1\"} 3\n", "rejected");
	ASSERT_STRHAS(buf, "floodgate_datapath_packets_total{verdict=\"drop\",reason=\"limit_drop\"} 17\n", "datapath");
	ASSERT_STRHAS(buf, "floodgate_datapath_packets_total{verdict=\"drop\",reason=\"overflow_drop\"} 9\n", "overflow reason");
	ASSERT_STRHAS(buf, "floodgate_new_sources_admitted_total 7\n", "admitted");
	ASSERT_STRHAS(buf, "floodgate_new_sources_overflow_packets_total{verdict=\"pass\"} 8\n", "overflow passed");
	ASSERT_STRHAS(buf, "floodgate_new_sources_overflow_packets_total{verdict=\"drop\"} 9\n", "overflow dropped");
	ASSERT_STRHAS(buf, "floodgate_tracked_sources 42\n", "tracked");
	ASSERT_STRHAS(buf, "floodgate_controller_heartbeat_age_seconds 0.050000\n", "heartbeat age");
	ASSERT_STRHAS(buf, "floodgate_build_info{version=\"" FG_VERSION "\"} 1\n", "build info");
	ASSERT_TRUE(!strstr(buf, "198.18."), "no address anywhere");

	/* Every TYPE counter ends in _total; every sample belongs to a declared family. */
	char declared[64][96];
	int nd = 0;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[96], type[16];

		if (sscanf(line, "# TYPE %95s %15s", name, type) == 2) {
			if (!strcmp(type, "counter"))
				ASSERT_TRUE(strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"),
					    name);
			if (nd < 64)
				snprintf(declared[nd++], sizeof(declared[0]), "%s", name);
			continue;
		}
		if (line[0] == '#')
			continue;
		size_t n = strcspn(line, "{ ");
		int found = 0;

		for (int k = 0; k < nd; k++)
			found |= strlen(declared[k]) == n && !strncmp(declared[k], line, n);
		ASSERT_TRUE(found, line);
		ASSERT_TRUE(!strstr(line, "addr") && !strstr(line, "ip="), "no address label");
	}
	free(buf);
	fg_daemon_free(&d);
}

/* Entries of a directory, . and .. aside. */
static int count_entries(const char *dir)
{
	struct dirent *de;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return -1;
	while ((de = readdir(dp)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dp);
	return n;
}

/* Remove a directory and the names in it (no subdirectories). */
static void rm_tree_1(const char *dir)
{
	struct dirent *de;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(dp), de->d_name, 0);
	closedir(dp);
	rmdir(dir);
}

TEST(daemon_textfile_atomic_write)
{
	struct fg_dp_snapshot s = {};
	struct fg_daemon d;
	char dir[] = "/tmp/fgtf-XXXXXX", path[64], err[256], line[256];
	FILE *f;

	ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp");
	fg_daemon_init(&d, &fake_dp);
	snprintf(path, sizeof(path), "%s/sub", dir);
	ASSERT_OK(fg_textfile_write(path, &d, &s, err, sizeof(err)), "write (creates the dir)");
	snprintf(path, sizeof(path), "%s/sub/" FG_TEXTFILE_NAME, dir);
	f = fopen(path, "r");
	ASSERT_TRUE(f != NULL, "floodgate.prom exists");
	if (f) {
		ASSERT_TRUE(fgets(line, sizeof(line), f) != NULL, "has content");
		ASSERT_STRHAS(line, "# HELP floodgate_build_info", "first family");
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/sub", dir);
	ASSERT_EQ(count_entries(path), 1, "no temp file left beside floodgate.prom");
	rm_tree_1(path);
	rmdir(dir);
	fg_daemon_free(&d);
}

/* Whoever owns the textfile directory must not make root write elsewhere:
 * links planted as floodgate.prom or as the old predictable temp name are
 * replaced or left alone, never followed; a killed daemon's temp files are
 * swept, links and other files are not. */
TEST(daemon_textfile_hostile_dir)
{
	struct fg_dp_snapshot s = {};
	char dir[] = "/tmp/fgtf-XXXXXX", victim[] = "/tmp/fgvictim-XXXXXX";
	char p[128], err[256];
	struct fg_daemon d;
	struct stat st;
	int fd;

	ASSERT_TRUE(mkdtemp(dir) != NULL, "mkdtemp");
	fd = mkstemp(victim);
	ASSERT_TRUE(fd >= 0 && write(fd, "keep\n", 5) == 5, "victim file");
	close(fd);
	fg_daemon_init(&d, &fake_dp);
	snprintf(p, sizeof(p), "%s/" FG_TEXTFILE_NAME, dir);
	ASSERT_OK(symlink(victim, p), "link as floodgate.prom");
	snprintf(p, sizeof(p), "%s/" FG_TEXTFILE_NAME ".tmp.%d", dir, (int)getpid());
	ASSERT_OK(symlink(victim, p), "link as the old temp name");
	ASSERT_OK(fg_textfile_write(dir, &d, &s, err, sizeof(err)), err);
	ASSERT_OK(stat(victim, &st), "victim still there");
	ASSERT_EQ(st.st_size, 5, "victim untouched");
	snprintf(p, sizeof(p), "%s/" FG_TEXTFILE_NAME, dir);
	ASSERT_OK(lstat(p, &st), "floodgate.prom");
	ASSERT_TRUE(S_ISREG(st.st_mode), "floodgate.prom is our own file, not the link");
	ASSERT_EQ(st.st_mode & 0777, 0644, "readable by node_exporter");

	/* A killed daemon's leftovers: two temp files (old and new names). */
	snprintf(p, sizeof(p), "%s/." FG_TEXTFILE_NAME ".Ab12Cd", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	snprintf(p, sizeof(p), "%s/" FG_TEXTFILE_NAME ".tmp.1", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	snprintf(p, sizeof(p), "%s/other.prom", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ASSERT_EQ(fg_textfile_sweep(dir), 2, "two temp files swept");
	ASSERT_EQ(count_entries(dir), 3, "left: floodgate.prom, the planted link, other.prom");
	ASSERT_OK(stat(victim, &st), "a link's target is never removed");
	unlink(victim);
	rm_tree_1(dir);
	fg_daemon_free(&d);
}

/* Designated initializers name each counter; a hole would print "(null)". */
TEST(stat_names_complete)
{
	for (int i = 0; i < FG_STAT_MAX; i++)
		ASSERT_TRUE(fg_stat_names[i] != NULL, "every enum fg_stat has a name");
	ASSERT_STREQ(fg_stat_names[FG_R_OVERFLOW_DROP], "overflow_drop", "overflow_drop");
	ASSERT_STREQ(fg_stat_names[FG_C_ADMITTED], "new_admitted", "new_admitted");
}

/* Without a daemon the CLI writes what the daemon's force would: one rule
 * (fg_entry_force), so auto hands a breaker back closed in both. */
TEST(force_entry_is_the_daemons_rule)
{
	static const char *const names[] = { "web" }, *const addrs[] = { "198.18.7.1" };
	struct fg_upstream cur = { .state = FG_BREAKER_OPEN, .reject = FG_REJECT_RESET,
				   .id = 7, .reopens = 3, .consecutive = 2,
				   .open_until_ns = 9 * S, .changed_ns = 1 * S,
				   .reset_rate = 500, .name = "web" };
	struct fg_upstream out;
	struct fg_daemon d;
	struct fg_cfg c;
	char err[160];

	fg_entry_force(&cur, FG_FORCE_AUTO, 2 * S, &out);
	ASSERT_EQ(out.state, FG_BREAKER_CLOSED, "auto: handed back closed");
	ASSERT_EQ(out.forced, 0, "auto: not forced");
	ASSERT_EQ(out.reopens, 0, "auto: backoff restarts");
	ASSERT_EQ(out.consecutive, 0, "auto: counts start over");
	ASSERT_EQ(out.open_until_ns, 0, "auto: no due time");
	ASSERT_EQ(out.changed_ns, 2 * S, "auto: changed now");
	ASSERT_EQ(out.id, 7, "id kept");
	ASSERT_EQ(out.reject, FG_REJECT_RESET, "reject kept");
	ASSERT_EQ(out.reset_rate, 500, "reset_rate kept");
	ASSERT_STREQ(out.name, "web", "name kept");

	cur = out;
	fg_entry_force(&cur, FG_FORCE_OPEN, 3 * S, &out);
	ASSERT_EQ(out.state, FG_BREAKER_OPEN, "open: open");
	ASSERT_EQ(out.forced, 1, "open: forced");
	ASSERT_EQ(out.open_until_ns, 0, "open: no due time while forced");
	cur = out;
	cur.state = FG_BREAKER_HALF_OPEN, cur.forced = 0, cur.permits = 3;
	fg_entry_force(&cur, FG_FORCE_CLOSED, 4 * S, &out);
	ASSERT_EQ(out.state, FG_BREAKER_CLOSED, "close: closed");
	ASSERT_EQ(out.forced, 1, "close: forced");
	ASSERT_EQ(out.permits, 0, "close: no permits");
	cur = (struct fg_upstream){ .state = FG_BREAKER_CLOSED, .changed_ns = 1 * S };
	fg_entry_force(&cur, FG_FORCE_AUTO, 5 * S, &out);
	ASSERT_EQ(out.state, FG_BREAKER_CLOSED, "auto on closed: closed");
	ASSERT_EQ(out.changed_ns, 1 * S, "auto on closed: nothing changed");

	/* And the daemon's own force lands on the same state. */
	fg_daemon_init(&d, &fake_dp);
	make_cfg(&c, 1, names, addrs);
	ASSERT_OK(fg_daemon_apply_config(&d, &c, S, err, sizeof(err)), "apply");
	ASSERT_OK(fg_daemon_force(&d, "web", FG_FORCE_OPEN, 2 * S, err, sizeof(err)), "open");
	ASSERT_OK(fg_daemon_force(&d, "web", FG_FORCE_AUTO, 3 * S, err, sizeof(err)), "auto");
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_CLOSED, "the daemon's auto: closed too");
	ASSERT_EQ(d.ups[0].brk.force, FG_FORCE_AUTO, "the daemon's auto: not forced");
	fg_daemon_free(&d);
}
