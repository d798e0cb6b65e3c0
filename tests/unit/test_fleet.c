// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Fleet breaker votes (fleet_vote.h) on daemons over the fake datapath, a
 * clock passed in and no Redis: one node's published votes handed to
 * another, as a sync would.
 */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "breaker_machine.h"
#include "daemon.h"
#include "fake_datapath.h"
#include "fleet_share_io.h"
#include "fleet_vote.h"
#include "textfile.h"

#define MS 1000000ULL
#define S (1000 * MS)

/* Two upstreams; 10 failures in a row open one locally, so the few a test
 * feeds leave that to the fleet. extra: more [fleet] lines. */
static int node(struct fg_daemon *d, const char *name, const char *extra, __u64 now)
{
	char text[1024], err[256] = "";
	struct fg_cfg c;
	int n;

	n = snprintf(text, sizeof(text),
		     "[daemon]\ntextfile_dir = /tmp\n"
		     "[defaults]\nprobe = none\nconsecutive_failures = 10\nfailure_rate = 0\n"
		     "open_timeout = 2s\nopen_jitter = 0\ngroup_max_open = 100%%\n"
		     "half_open_permits = 2\nsuccesses_to_close = 2\n"
		     "[upstream web]\naddress = 198.18.2.10:80\n"
		     "[upstream api]\naddress = 198.18.2.11:80\n"
		     "%s%s%s",
		     name ? "[fleet]\nredis = 198.18.5.1:6379\nsite = t\nnode = " : "",
		     name ? name : "", name ? "\n" : "");
	snprintf(text + n, sizeof(text) - n, "%s", extra ? extra : "");
	fg_daemon_init(d, &fake_dp);
	if (fg_cfg_load_buf("fleet.conf", text, strlen(text), &c, err, sizeof(err)) ||
	    fg_daemon_apply_config(d, &c, now, err, sizeof(err))) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	return 0;
}

/* Nodes a, b and c of one fleet, and their end. */
static int three(struct fg_daemon *a, struct fg_daemon *b, struct fg_daemon *c, __u64 now)
{
	return node(a, "a", NULL, now) || node(b, "b", NULL, now) || node(c, "c", NULL, now);
}

static void free_three(struct fg_daemon *a, struct fg_daemon *b, struct fg_daemon *c)
{
	fg_daemon_free(a);
	fg_daemon_free(b);
	fg_daemon_free(c);
}

static void fail(struct fg_daemon *d, int i, int n)
{
	for (int k = 0; k < n; k++)
		fg_daemon_probe_result(d, i, 0, MS, "HTTP 503");
}

/* One sync of d: its own votes, then those of the others (NULL-ended). */
static void sync_from(struct fg_daemon *d, __u64 now, struct fg_daemon **others)
{
	char buf[4096];
	__u32 nodes = 1;

	for (struct fg_daemon **o = others; *o; o++)
		nodes++;
	fg_fleet_begin(d, nodes, now);
	for (; *others; others++)
		if (ASSERT_TRUE(fg_votes_encode(*others, now, buf, sizeof(buf)) > 0, "encode"))
			fg_fleet_add(d, buf, strlen(buf));
	fg_fleet_end(d, now);
}

TEST(fleet_quorum)
{
	ASSERT_EQ(fg_fleet_quorum(0, 1), 2, "alone: never a quorum of one");
	ASSERT_EQ(fg_fleet_quorum(0, 2), 2, "2 nodes: both");
	ASSERT_EQ(fg_fleet_quorum(0, 3), 2, "3 nodes: 2");
	ASSERT_EQ(fg_fleet_quorum(0, 4), 3, "4 nodes: 3");
	ASSERT_EQ(fg_fleet_quorum(0, 5), 3, "5 nodes: 3");
	ASSERT_EQ(fg_fleet_quorum(4, 3), 4, "configured: as configured");
}

static int voting(const struct fg_brk *b, const struct fg_brk_params *p, __u64 now)
{
	struct fg_vote v;

	fg_vote_of(b, p, now, &v);
	return v.own_open || v.run;
}

TEST(fleet_vote_of)
{
	struct fg_brk_params p;
	struct fg_transition t;
	struct fg_vote v;
	struct fg_brk b;
	__u64 now = 10 * S;

	fg_brk_params_default(&p);
	p.consecutive_failures = 10;
	p.failure_rate_pct = 0;
	fg_brk_init(&b, now);
	ASSERT_EQ(voting(&b, &p, now), 0, "fresh: no vote");
	fg_brk_record(&b, &p, FG_OUT_SUCCESS, now, NULL, NULL, NULL, NULL, &t);
	fg_brk_record(&b, &p, FG_OUT_FAILURE, now, NULL, NULL, NULL, NULL, &t);
	fg_brk_record(&b, &p, FG_OUT_FAILURE, now, NULL, NULL, NULL, NULL, &t);
	fg_vote_of(&b, &p, now, &v);
	ASSERT_EQ(v.own_open, 0, "closed");
	ASSERT_EQ(v.run, 2, "the last outcomes failed: its run");
	ASSERT_EQ(v.ok, 1, "its window: ok");
	ASSERT_EQ(v.failed, 2, "its window: failed");
	fg_brk_record(&b, &p, FG_OUT_SUCCESS, now, NULL, NULL, NULL, NULL, &t);
	ASSERT_EQ(voting(&b, &p, now), 0, "the last outcome succeeded: none");
	fg_brk_open_for(&b, &p, FG_WHY_FLEET, now, NULL, NULL, NULL, NULL, &t);
	ASSERT_EQ(b.state, FG_BREAKER_OPEN, "opened for the fleet");
	ASSERT_EQ(voting(&b, &p, now), 0, "opened by the fleet: no evidence");
	fg_brk_init(&b, now);
	for (int k = 0; k < 10; k++)
		fg_brk_record(&b, &p, FG_OUT_FAILURE, now, NULL, NULL, NULL, NULL, &t);
	ASSERT_EQ(b.why, FG_WHY_CONSECUTIVE, "opened on its own");
	fg_vote_of(&b, &p, now, &v);
	ASSERT_EQ(v.own_open, 1, "open on its own outcomes: a vote");
	fg_brk_tick(&b, &p, now + 60 * S, &t);
	ASSERT_EQ(voting(&b, &p, now + 60 * S), 0, "half-open: none");
	fg_brk_force(&b, FG_FORCE_OPEN, now, &t);
	ASSERT_EQ(voting(&b, &p, now), 0, "forced: an operator's, not evidence");
}

TEST(fleet_tally)
{
	struct fg_brk_params p;

	fg_brk_params_default(&p);
	p.consecutive_failures = 6;
	p.failure_rate_pct = 50;
	p.min_outcomes = 10;
	/* { voters, run, rate_voters, ok, failed } */
	ASSERT_EQ(fg_tally_opens(&(struct fg_fleet_tally){ 2, 6, 0, 0, 0 }, &p, 2), 1, "pooled run");
	ASSERT_EQ(fg_tally_opens(&(struct fg_fleet_tally){ 2, 5, 0, 0, 0 }, &p, 2), 0, "run short");
	ASSERT_EQ(fg_tally_opens(&(struct fg_fleet_tally){ 1, 9, 0, 0, 0 }, &p, 2), 0,
		  "one node alone: no quorum");
	ASSERT_EQ(fg_tally_opens(&(struct fg_fleet_tally){ 0, 0, 2, 5, 5 }, &p, 2), 1, "pooled rate");
	ASSERT_EQ(fg_tally_opens(&(struct fg_fleet_tally){ 0, 0, 2, 5, 4 }, &p, 2), 0,
		  "below min_outcomes");
	ASSERT_EQ(fg_tally_opens(&(struct fg_fleet_tally){ 0, 0, 2, 50, 50 }, &p, 3), 0,
		  "rate: no quorum");
}

TEST(fleet_quorum_opens_every_node)
{
	struct fg_daemon a, b, c;
	__u64 now = 100 * S;

	if (three(&a, &b, &c, now))
		return;
	/* web fails on a and b (2 of 3 fresh: the quorum; 5 + 5 failures in a
	 * row: the 10 that open), api only on a (9 in a row, no quorum). */
	fail(&a, 0, 5);
	fail(&b, 0, 5);
	fail(&a, 1, 9);
	fg_daemon_tick(&a, now += 100 * MS);
	fg_daemon_tick(&b, now);
	fg_daemon_tick(&c, now);
	ASSERT_EQ(a.ups[0].brk.state, FG_BREAKER_CLOSED, "5 failures: closed by a's own rule");
	sync_from(&a, now, (struct fg_daemon *[]){ &b, &c, NULL });
	sync_from(&b, now, (struct fg_daemon *[]){ &a, &c, NULL });
	sync_from(&c, now, (struct fg_daemon *[]){ &a, &b, NULL });
	ASSERT_EQ(c.fleet.nodes, 3, "3 nodes fresh");
	ASSERT_EQ(c.ups[0].fleet.voters, 2, "2 see web failing");
	ASSERT_EQ(c.ups[0].fleet.run, 10, "10 failures in a row between them (shares of 5)");
	fg_daemon_tick(&a, now += 100 * MS);
	fg_daemon_tick(&b, now);
	fg_daemon_tick(&c, now);
	ASSERT_EQ(a.ups[0].brk.state, FG_BREAKER_OPEN, "web open on a");
	ASSERT_EQ(b.ups[0].brk.state, FG_BREAKER_OPEN, "web open on b");
	ASSERT_EQ(c.ups[0].brk.state, FG_BREAKER_OPEN, "web open on c, which saw no failure");
	ASSERT_EQ(c.ups[0].brk.why, FG_WHY_FLEET, "reason fleet");
	ASSERT_EQ(c.ups[0].m.transitions[FG_BREAKER_CLOSED][FG_BREAKER_OPEN][FG_WHY_FLEET], 1,
		  "counted with reason fleet");
	ASSERT_EQ(a.ups[1].brk.state, FG_BREAKER_CLOSED, "api: a alone sees it failing");
	ASSERT_EQ(b.ups[1].brk.state, FG_BREAKER_CLOSED, "api stays closed on b");

	/* Half-open after the open timeout; local successes close it, and the
	 * fleet's own opens are no votes: it does not open again. */
	fg_daemon_tick(&c, now += 2 * S);
	ASSERT_EQ(c.ups[0].brk.state, FG_BREAKER_HALF_OPEN, "half-open on time");
	fg_daemon_probe_result(&c, 0, 1, MS, "HTTP 200");
	fg_daemon_probe_result(&c, 0, 1, MS, "HTTP 200");
	fg_daemon_tick(&c, now += 100 * MS);
	ASSERT_EQ(c.ups[0].brk.state, FG_BREAKER_CLOSED, "local probes close it");
	fg_daemon_tick(&a, now);
	fg_daemon_tick(&b, now);
	sync_from(&c, now, (struct fg_daemon *[]){ &a, &b, NULL });
	fg_daemon_tick(&c, now += 100 * MS);
	ASSERT_EQ(c.ups[0].brk.state, FG_BREAKER_CLOSED, "fleet-opened peers are no quorum");
	free_three(&a, &b, &c);
}

/* c syncs only after a and b opened for the fleet: their open stands for
 * the quorum they saw for two syncs, so c follows; then it is no vote. */
TEST(fleet_late_sync_follows)
{
	struct fg_daemon a, b, c;
	char buf[4096];
	unsigned st, own;
	__u64 now = 100 * S, opened;

	if (three(&a, &b, &c, now))
		return;
	fail(&a, 0, 5);
	fail(&b, 0, 5);
	fg_daemon_tick(&a, now += 100 * MS);
	fg_daemon_tick(&b, now);
	fg_daemon_tick(&c, now);
	sync_from(&a, now, (struct fg_daemon *[]){ &b, &c, NULL });
	sync_from(&b, now, (struct fg_daemon *[]){ &a, &c, NULL });
	fg_daemon_tick(&a, now += 100 * MS);
	fg_daemon_tick(&b, now);
	opened = now;
	ASSERT_EQ(a.ups[0].brk.why, FG_WHY_FLEET, "a opened for the fleet");
	ASSERT_EQ(b.ups[0].brk.why, FG_WHY_FLEET, "b opened for the fleet");
	sync_from(&c, now += 100 * MS, (struct fg_daemon *[]){ &a, &b, NULL });
	ASSERT_EQ(c.ups[0].fleet.voters, 2, "a and b's opens stand for their quorum");
	fg_daemon_tick(&c, now);
	ASSERT_EQ(c.ups[0].brk.state, FG_BREAKER_OPEN, "c follows the fleet");
	ASSERT_EQ(c.ups[0].brk.why, FG_WHY_FLEET, "by reason fleet");
	/* Two syncs on, a's open is no vote any more. */
	ASSERT_TRUE(fg_votes_encode(&a, opened + 2 * 100 * MS, buf, sizeof(buf)) > 0, "encode");
	ASSERT_EQ(sscanf(buf, "web %u %u", &st, &own), 2, buf);
	ASSERT_EQ(st, FG_BREAKER_OPEN, "a still open");
	ASSERT_EQ(own, 0, "two syncs after the fleet opened it: no vote");
	free_three(&a, &b, &c);
}

/* A node that alone lost its path (its run long, then its breaker open) and
 * one stray failure on another: its share caps what it counts, no open. */
TEST(fleet_lone_path_and_a_stray_failure)
{
	struct fg_daemon a, b, c;
	__u64 now = 100 * S;

	if (three(&a, &b, &c, now))
		return;
	fail(&a, 0, 9);
	fail(&b, 0, 1);
	fg_daemon_tick(&a, now += 100 * MS);
	fg_daemon_tick(&b, now);
	sync_from(&c, now, (struct fg_daemon *[]){ &a, &b, NULL });
	ASSERT_EQ(c.ups[0].fleet.voters, 2, "two in a failure run");
	ASSERT_EQ(c.ups[0].fleet.run, 6, "a counts its share, 5, b its 1");
	fg_daemon_tick(&c, now += 100 * MS);
	ASSERT_EQ(c.ups[0].brk.state, FG_BREAKER_CLOSED, "c stays closed");
	fail(&a, 0, 1);
	fg_daemon_tick(&a, now);
	ASSERT_EQ(a.ups[0].brk.state, FG_BREAKER_OPEN, "a opens on its own");
	sync_from(&c, now, (struct fg_daemon *[]){ &a, &b, NULL });
	fg_daemon_tick(&c, now += 100 * MS);
	ASSERT_EQ(c.ups[0].brk.state, FG_BREAKER_CLOSED, "open a and b's one failure: closed");
	fail(&b, 0, 4);
	fg_daemon_tick(&b, now);
	sync_from(&c, now, (struct fg_daemon *[]){ &a, &b, NULL });
	fg_daemon_tick(&c, now += 100 * MS);
	ASSERT_EQ(c.ups[0].brk.state, FG_BREAKER_OPEN, "b's run reaches its share: the fleet opens");
	free_three(&a, &b, &c);
}

TEST(fleet_forced_and_guard_win)
{
	struct fg_daemon a, b;
	char err[160];
	__u64 now = 100 * S;

	if (node(&a, "a", NULL, now) ||
	    node(&b, "b", "[upstream solo]\naddress = 198.18.2.12:80\ngroup = solo\n"
		 "group_max_open = 0%\n", now))
		return;
	ASSERT_OK(fg_daemon_force(&b, "web", FG_FORCE_CLOSED, now, err, sizeof(err)), err);
	fail(&a, 0, 5);
	fail(&b, 0, 5);
	fail(&b, 2, 5);
	fg_daemon_tick(&a, now += 100 * MS);
	fg_daemon_tick(&b, now);
	sync_from(&b, now, (struct fg_daemon *[]){ &a, NULL });
	b.ups[2].fleet = (struct fg_fleet_tally){ 2, 10, 0, 0, 0 }; /* as if a had solo too */
	fg_daemon_tick(&b, now += 100 * MS);
	ASSERT_EQ(b.ups[0].brk.state, FG_BREAKER_CLOSED, "forced closed holds");
	ASSERT_EQ(b.ups[2].brk.state, FG_BREAKER_CLOSED, "group_max_open 0% holds");
	fg_daemon_free(&a);
	fg_daemon_free(&b);
}

TEST(fleet_stale_votes_expire)
{
	struct fg_daemon a, b, solo;
	__u64 now = 100 * S;

	if (node(&a, "a", "stale = 1s\n", now) || node(&b, "b", "stale = 1s\n", now) ||
	    node(&solo, NULL, NULL, now))
		return;
	fail(&a, 0, 5);
	fail(&b, 0, 5);
	fg_daemon_tick(&a, now += 100 * MS);
	fg_daemon_tick(&b, now);
	sync_from(&b, now, (struct fg_daemon *[]){ &a, NULL });
	ASSERT_TRUE(fg_fleet_wants_open(&b, &b.ups[0], now), "fresh quorum: open");
	ASSERT_TRUE(!fg_fleet_wants_open(&b, &b.ups[0], now + S), "a sync stale old: no longer");
	ASSERT_EQ(fg_fleet_expire(&b, now + S - 1), 0, "not before stale");
	ASSERT_EQ(b.fleet.up, 1, "up until then");
	fg_daemon_tick(&b, now + S);
	ASSERT_EQ(b.fleet.up, 0, "the tick marks the fleet down at stale");
	ASSERT_EQ(b.fleet.nodes, 0, "no nodes counted");
	ASSERT_EQ(b.ups[0].brk.state, FG_BREAKER_CLOSED, "and opens nothing for it");
	ASSERT_EQ(fg_fleet_expire(&b, now + 2 * S), 0, "said once");

	/* Without [fleet] the votes mean nothing, whatever they say. */
	solo.ups[0].fleet = (struct fg_fleet_tally){ 5, 50, 0, 0, 0 };
	solo.fleet.up = 1;
	solo.fleet.synced_ns = now;
	ASSERT_TRUE(!fg_fleet_wants_open(&solo, &solo.ups[0], now), "no fleet: never");
	fg_daemon_free(&a);
	fg_daemon_free(&b);
	fg_daemon_free(&solo);
}

TEST(fleet_votes_text)
{
	struct fg_daemon a;
	char buf[4096], small[8];
	__u64 now = 100 * S;

	if (node(&a, "a", NULL, now))
		return;
	fail(&a, 1, 3);
	fg_daemon_tick(&a, now += 100 * MS);
	ASSERT_TRUE(fg_votes_encode(&a, now, buf, sizeof(buf)) > 0, "encode");
	ASSERT_STREQ(buf, "web 0 0 0 0 0\napi 0 0 3 0 3\n", "one line per upstream");
	ASSERT_EQ(fg_votes_encode(&a, now, small, sizeof(small)), -E2BIG, "too small");
	/* Lines another node wrote that do not parse, or name unknown
	 * upstreams, vote nothing; order does not matter. */
	fg_fleet_begin(&a, 2, now);
	static const char other[] = "api 0 0 4 0 4\nbogus\nweb 1 1 0 0 0 extra\n"
				    "nope 0 0 1 0 1\nweb 0 2 1 0 1";
	fg_fleet_add(&a, other, strlen(other));
	ASSERT_EQ(a.ups[1].fleet.voters, 2, "api: a and the other");
	ASSERT_EQ(a.ups[1].fleet.run, 7, "api: 3 + 4 in a row (shares of 5)");
	ASSERT_EQ(a.ups[0].fleet.voters, 1, "web: one vote (open), one with OPEN 2 ignored");
	ASSERT_EQ(a.ups[0].fleet.run, 5, "an open node: its whole share");
	fg_daemon_free(&a);
}

/* The daemon's textfile as text (free it), or NULL after a failed check. */
static char *render(struct fg_daemon *d, const struct fg_dp_snapshot *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!ASSERT_TRUE(f != NULL, "memstream"))
		return NULL;
	ASSERT_OK(fg_textfile_render(f, d, s), "render");
	fclose(f);
	return text;
}

TEST(fleet_textfile)
{
	struct fg_dp_snapshot s = { 0 };
	struct fg_daemon a;
	char *text;
	__u64 now = 100 * S;

	if (node(&a, "a", NULL, now))
		return;
	fg_fleet_begin(&a, 3, now);
	fg_fleet_end(&a, now);
	a.fleet.errors[FG_FLEET_OP_SYNC] = 2;
	s.now_ns = now + 250 * MS;
	text = render(&a, &s);
	if (!text)
		return;
	ASSERT_STRHAS(text, "\nfloodgate_fleet_up 1\n", "up");
	ASSERT_STRHAS(text, "\nfloodgate_fleet_last_sync_age_seconds 0.250000\n", "age");
	ASSERT_STRHAS(text, "\nfloodgate_fleet_sync_errors_total{op=\"sync\"} 2\n", "errors");
	ASSERT_STRHAS(text, "\nfloodgate_fleet_sync_errors_total{op=\"connect\"} 0\n", "every op");
	ASSERT_STRHAS(text, "\nfloodgate_fleet_nodes 3\n", "nodes");
	ASSERT_STRHAS(text, "\nfloodgate_fleet_shares 0\n", "shares (the fake datapath has none)");
	free(text);
	fg_daemon_free(&a);

	/* Without [fleet], no fleet family at all. */
	if (node(&a, NULL, NULL, now))
		return;
	text = render(&a, &s);
	if (!text)
		return;
	ASSERT_TRUE(!strstr(text, "floodgate_fleet_"), "no fleet metrics without [fleet]");
	free(text);
	fg_daemon_free(&a);
}

/* One sync of two nodes that both see k hot (h's counter grown by the
 * caller): each reads its hot map, publishes, gets the other's lines and
 * applies its shares. */
static void share_sync(struct fg_daemon *a, struct fg_daemon *b, const struct fg_bucket_key *k,
		       const struct fg_hot *h, __u64 now)
{
	char ta[4096], tb[4096];
	int na, nb;

	fake_dp_hot(a, k, h);
	fake_dp_hot(b, k, h);
	fg_shares_collect(a, now);
	fg_shares_collect(b, now);
	na = fg_shares_publish(a, ta, sizeof(ta));
	nb = fg_shares_publish(b, tb, sizeof(tb));
	fg_fleet_begin(a, 2, now);
	fg_shares_reply_begin(a);
	fg_shares_reply_add(a, tb, nb);
	fg_fleet_end(a, now);
	fg_shares_apply(a, now);
	fg_fleet_begin(b, 2, now);
	fg_shares_reply_begin(b);
	fg_shares_reply_add(b, ta, na);
	fg_fleet_end(b, now);
	fg_shares_apply(b, now);
}

/* The same share decided sync after sync is not written again until half
 * its life (stale) is gone: 10,000 shares are not 10,000 writes a sync. */
TEST(fleet_share_rewritten_when_due)
{
	struct fg_daemon a, b;
	struct fg_bucket_key k = { .plen = 128 };
	struct fg_hot h = { .packets = 0, .first_ns = 0, .interval_ns = S / 200, .burst = 20 };
	struct fg_share sh;
	__u64 t0 = 10 * S;

	k.addr[10] = k.addr[11] = 0xff;
	k.addr[12] = 198, k.addr[13] = 18, k.addr[15] = 9;
	if (!ASSERT_OK(node(&a, "a", NULL, t0) || node(&b, "b", NULL, t0), "two nodes"))
		return;
	for (int i = 0; i < 2; i++) {
		h.packets += 60;
		share_sync(&a, &b, &k, &h, t0 - (1 - i) * 100 * MS);
	}
	ASSERT_OK(fake_dp_share(&a, &k, &sh), "a's share written");
	ASSERT_EQ(sh.expires_ns, t0 + 3 * S, "expires stale after the sync that wrote it");
	h.packets += 60;
	share_sync(&a, &b, &k, &h, t0 + 100 * MS);
	ASSERT_OK(fake_dp_share(&a, &k, &sh), "a's share still there");
	ASSERT_EQ(sh.expires_ns, t0 + 3 * S, "the same share: not written again");
	h.packets += 900; /* 600/s over the 1.5 s since */
	share_sync(&a, &b, &k, &h, t0 + 1600 * MS);
	ASSERT_OK(fake_dp_share(&a, &k, &sh), "a's share renewed");
	ASSERT_EQ(sh.expires_ns, t0 + 1600 * MS + 3 * S, "half its life gone: written again");
	ASSERT_EQ(sh.interval_ns, 2 * (S / 200), "still half the limit");
	fg_daemon_free(&a);
	fg_daemon_free(&b);
}

/* Fleet shares through the daemon (fleet_share_io.h) on the fake datapath:
 * two nodes see one source hot at 600/s each under a 200/s limit; a sync
 * hands each the other's announcement; each writes a share of half the
 * limit, expiring stale after the sync; the fleet going stale deletes them;
 * a source that sent nothing since is cooled: its hot entry deleted. */
TEST(fleet_shares_through_the_daemon)
{
	struct fg_daemon a, b;
	struct fg_bucket_key k = { .plen = 128 };
	struct fg_hot h = { .packets = 0, .first_ns = 0, .interval_ns = S / 200, .burst = 20 };
	struct fg_share sh;
	char ta[4096], tb[4096];
	__u64 now = 10 * S;
	int na, nb;

	k.addr[10] = k.addr[11] = 0xff;
	k.addr[12] = 198, k.addr[13] = 18, k.addr[15] = 7;
	if (!ASSERT_OK(node(&a, "a", NULL, now) || node(&b, "b", NULL, now), "two nodes"))
		return;
	for (int round = 0; round < 2; round++, now += 100 * MS) {
		h.packets += 60; /* 600/s over 100 ms */
		fake_dp_hot(&a, &k, &h);
		fake_dp_hot(&b, &k, &h);
		fg_shares_collect(&a, now);
		fg_shares_collect(&b, now);
	}
	na = fg_shares_publish(&a, ta, sizeof(ta));
	nb = fg_shares_publish(&b, tb, sizeof(tb));
	ASSERT_STRHAS(ta, "+::ffff:198.18.0.7/128 600.000\n", "a publishes the source");
	fg_fleet_begin(&a, 2, now);
	fg_shares_reply_begin(&a);
	fg_fleet_add(&a, tb, nb);
	fg_shares_reply_add(&a, tb, nb);
	fg_fleet_end(&a, now);
	fg_shares_apply(&a, now);
	fg_fleet_begin(&b, 2, now);
	fg_shares_reply_begin(&b);
	fg_shares_reply_add(&b, ta, na);
	fg_fleet_end(&b, now);
	fg_shares_apply(&b, now);
	ASSERT_OK(fake_dp_share(&a, &k, &sh), "a's share written");
	ASSERT_EQ(sh.interval_ns, 2 * (S / 200), "half the limit");
	ASSERT_EQ(sh.burst, 10, "half the burst");
	ASSERT_EQ(sh.expires_ns, now + 3 * S, "expires stale (3 s) after the sync");
	ASSERT_OK(fake_dp_share(&b, &k, &sh), "b's share written");
	ASSERT_EQ(fg_shares_active(&a), 1, "one share in force");
	/* No sync for stale: the tick expires the fleet and deletes the share. */
	fg_daemon_tick(&a, now + 3 * S + 1);
	ASSERT_TRUE(fake_dp_share(&a, &k, &sh) != 0, "a's share deleted with the fleet down");
	ASSERT_EQ(fg_shares_active(&a), 0, "none in force");
	/* b's source sends nothing more: cooled at the first read a second
	 * (a rate's window) later. */
	fg_shares_collect(&b, now + 100 * MS);
	ASSERT_TRUE(fake_dp_has_hot(&b, &k), "b's source hot still: too early for a rate");
	fg_shares_collect(&b, now + 1100 * MS);
	ASSERT_TRUE(!fake_dp_has_hot(&b, &k), "b's hot entry deleted (cooled)");
	ASSERT_TRUE(fake_dp_share(&b, &k, &sh) != 0, "and its share");
	fg_daemon_free(&a);
	fg_daemon_free(&b);
}
