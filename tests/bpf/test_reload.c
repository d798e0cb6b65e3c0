// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Reload as a plan and replaced pins (issue 10), against real maps: the daemon (on
 * the real datapath, fg_dp_maps) applies configs to this build's maps pinned in a scratch dir
 * on the bpffs.
 *   - A reload whose map write fails midway (the policy map frozen, so the
 *     kernel refuses every write from user space with EPERM, after the
 *     upstream writes went through) leaves the running config in memory and
 *     every map entry as it was, says so in one line, and no tick after it
 *     logs anything.
 *   - As many upstreams as the maps hold apply and tick (each id once, no
 *     out-of-bounds on the tick's per-id tables under ASan/UBSan); one more
 *     is refused with nothing changed.
 *   - Replaced pins are followed at the next tick (gone: said once; another
 *     version's: said once, not taken; this build's: taken, with the
 *     daemon's upstreams, breaker states and policies).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "daemon.h"
#include "datapath.h"
#include "layout.h"
#include "parse.h"
#include "pins.h"

#define NS_PER_S 1000000000ULL

static char dir[64];

/* This build's maps pinned under dir, with a config as attach writes it. */
static int pin_maps(void)
{
	struct fg_maps m = FG_MAPS_INIT;
	struct fg_config cfg;
	char err[512];
	int ret;

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/fgreload-%d", (int)getpid());
	if (fx_pin_maps(dir) || fg_maps_open_as(dir, &m, 1, err, sizeof(err)))
		return -1;
	fg_config_defaults(&cfg);
	ret = fg_config_set(&m, &cfg);
	fg_maps_close(&m);
	return ret;
}

/* A config text for the scratch dir: extra is appended after [daemon]. */
static int load_cfg(struct fg_cfg *c, const char *extra)
{
	char err[FG_ERR_LEN + 300];
	size_t len = strlen(extra) + 512;
	char *text = malloc(len);
	int ret;

	if (!text)
		return -ENOMEM;
	snprintf(text, len, "[daemon]\npin_dir = %s\ntick = 100ms\n\n%s", dir, extra);
	ret = fg_cfg_load_buf("reload.conf", text, strlen(text), c, err, sizeof(err));
	if (ret)
		fprintf(stderr, "  %s\n", err);
	free(text);
	return ret;
}

/* Every entry of the upstreams and policy maps, for a before/after compare. */
struct snapshot {
	struct fg_upstream_entry ups[8];
	int n_ups;
	struct fg_lpm_key pkeys[8];
	struct fg_policy pols[8];
	int n_pols;
};

static void take(const struct fg_maps *m, struct snapshot *s)
{
	struct fg_lpm_key k, *prev = NULL;
	struct fg_upstream_entry *list;
	int n = fg_upstreams_read(m, &list);

	memset(s, 0, sizeof(*s));
	for (int i = 0; i < n && i < 8; i++)
		s->ups[s->n_ups++] = list[i];
	if (n >= 0)
		free(list);
	while (s->n_pols < 8 && bpf_map_get_next_key(m->policy, prev, &k) == 0) {
		s->pkeys[s->n_pols] = k;
		bpf_map_lookup_elem(m->policy, &k, &s->pols[s->n_pols]);
		prev = &s->pkeys[s->n_pols++];
	}
}

static void same_as(const struct snapshot *a, const struct snapshot *b)
{
	ASSERT_EQ(b->n_ups, a->n_ups, "as many upstream entries as before");
	for (int i = 0; i < a->n_ups; i++) {
		int found = 0;

		for (int j = 0; j < b->n_ups && !found; j++)
			found = !memcmp(&a->ups[i], &b->ups[j], sizeof(a->ups[i]));
		ASSERT_TRUE(found, a->ups[i].val.name);
	}
	ASSERT_EQ(b->n_pols, a->n_pols, "as many policies as before");
	for (int i = 0; i < a->n_pols; i++) {
		int found = 0;

		for (int j = 0; j < b->n_pols && !found; j++)
			found = !memcmp(&a->pkeys[i], &b->pkeys[j], sizeof(a->pkeys[i])) &&
				!memcmp(&a->pols[i], &b->pols[j], sizeof(a->pols[i]));
		ASSERT_TRUE(found, "a policy entry as it was");
	}
}

/* stderr (the daemon's log) into a file while a step runs; its line count. */
static int log_fd = -1, saved_fd = -1;

static void log_capture(void)
{
	char p[] = "/tmp/fgreload-log-XXXXXX";

	fflush(stderr);
	log_fd = mkstemp(p);
	unlink(p);
	saved_fd = dup(2);
	dup2(log_fd, 2);
}

static int log_lines(char *first, size_t len)
{
	char buf[4096];
	ssize_t n;
	int lines = 0;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	n = pread(log_fd, buf, sizeof(buf) - 1, 0);
	close(log_fd);
	buf[n > 0 ? n : 0] = '\0';
	for (char *c = buf; *c; c++)
		lines += *c == '\n';
	snprintf(first, len, "%s", buf);
	return lines;
}

static const char *cfg_a = "[upstream a]\naddress = 198.18.0.1:80\n\n"
			   "[upstream b]\naddress = 198.18.0.2:80\n\n"
			   "[policy 198.18.0.0/16]\nrate = 10/s\n";
/* a's settings changed, b gone, c new; a policy changed, one new. */
static const char *cfg_b = "[upstream a]\naddress = 198.18.0.1:80\nconsecutive_failures = 9\n\n"
			   "[upstream c]\naddress = 198.18.0.3:80\n\n"
			   "[policy 198.18.0.0/16]\nrate = 20/s\n\n"
			   "[policy 2001:db8::/32]\nrate = 5/s\n";

TEST(reload_failing_write_changes_nothing)
{
	struct snapshot before, after;
	struct fg_daemon d;
	struct fg_cfg c;
	char err[FG_ERR_LEN + 600], logged[4096];
	__u64 now = fg_now_ns();
	int ret, lines;

	if (!ASSERT_OK(pin_maps(), "pin this build's maps")) {
		fx_unpin_maps(dir);
		return;
	}
	fg_daemon_init(&d, &fg_dp_maps);
	if (!ASSERT_OK(fg_maps_open(dir, &d.maps, err, sizeof(err)), err))
		goto out;
	if (!ASSERT_OK(load_cfg(&c, cfg_a), "config a") ||
	    !ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), err))
		goto out;
	ASSERT_OK(fg_daemon_force(&d, "a", FG_FORCE_OPEN, now, err, sizeof(err)), err);
	fg_daemon_tick(&d, now += NS_PER_S / 10);
	take(&d.maps, &before);
	ASSERT_EQ(before.n_ups, 2, "a and b in the map");
	ASSERT_EQ(before.n_pols, 1, "one policy in the map");

	/* From now on the kernel refuses user-space writes to the policy map. */
	if (!ASSERT_OK(bpf_map_freeze(d.maps.policy), "freeze the policy map"))
		goto out;
	ASSERT_OK(load_cfg(&c, cfg_b), "config b");
	log_capture();
	ret = fg_daemon_apply_config(&d, &c, now, err, sizeof(err));
	for (int i = 0; i < 5; i++)
		fg_daemon_tick(&d, now += NS_PER_S / 10);
	lines = log_lines(logged, sizeof(logged));
	ASSERT_EQ(ret, -EPERM, "the policy write failed");
	ASSERT_STRHAS(err, "not applied: writing policy 198.18.0.0/16: Operation not permitted",
		      "says which write failed");
	ASSERT_STRHAS(err, "maps restored as they were", "and that it was undone");
	ASSERT_TRUE(!strchr(err, '\n'), "one line");
	ASSERT_EQ(lines, 0, "nothing logged by the apply or the ticks after (the caller logs err)");
	if (lines)
		fprintf(stderr, "  logged: %s", logged);

	/* The running config stays, in memory and in the maps. */
	ASSERT_EQ(d.n_ups, 2, "two upstreams still");
	ASSERT_STREQ(d.ups[1].cfg.name, "b", "b still runs");
	ASSERT_EQ(d.ups[0].cfg.brk.consecutive_failures, 5, "a's old settings");
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_OPEN, "a still open");
	ASSERT_EQ(d.ups[0].brk.force, FG_FORCE_OPEN, "a still forced");
	ASSERT_EQ(d.cfg.n_pols, 1, "one policy still");
	ASSERT_EQ(d.idx_by_id[d.ups[1].id], 1, "b's id still b's");
	take(&d.maps, &after);
	same_as(&before, &after);
out:
	fg_daemon_free(&d);
	fx_unpin_maps(dir);
}

TEST(reload_as_many_upstreams_as_maps_hold)
{
	struct fg_upstream_entry *list;
	unsigned char seen[FG_UPSTREAMS_MAX] = {};
	size_t len = (size_t)(FG_UPSTREAMS_MAX + 1) * 64, off = 0;
	char *text = malloc(len), err[FG_ERR_LEN + 600];
	struct fg_daemon d;
	struct fg_cfg c;
	__u64 now = fg_now_ns();
	int n, dup = 0;

	if (!ASSERT_TRUE(text, "memory") || !ASSERT_OK(pin_maps(), "pin this build's maps")) {
		free(text);
		fx_unpin_maps(dir);
		return;
	}
	fg_daemon_init(&d, &fg_dp_maps);
	if (!ASSERT_OK(fg_maps_open(dir, &d.maps, err, sizeof(err)), err))
		goto out;
	for (int i = 0; i < FG_UPSTREAMS_MAX; i++)
		off += snprintf(text + off, len - off,
				"[upstream u%d]\naddress = 198.18.%d.%d:80\n", i, i >> 8, i & 0xff);
	if (!ASSERT_OK(load_cfg(&c, text), "config") ||
	    !ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), err))
		goto out;
	for (int i = 0; i < 3; i++)
		fg_daemon_tick(&d, now += NS_PER_S / 10);
	n = fg_upstreams_read(&d.maps, &list);
	ASSERT_EQ(n, FG_UPSTREAMS_MAX, "every upstream in the map");
	for (int i = 0; i < n; i++)
		dup += list[i].val.id >= FG_UPSTREAMS_MAX || seen[list[i].val.id]++;
	ASSERT_EQ(dup, 0, "each id once, within the map");
	if (n >= 0)
		free(list);

	/* One more, built by hand (the loader refuses it): nothing changes. */
	memset(&c, 0, sizeof(c));
	c.ups = calloc(FG_UPSTREAMS_MAX + 1, sizeof(*c.ups));
	c.n_ups = FG_UPSTREAMS_MAX + 1;
	if (!ASSERT_TRUE(c.ups, "memory"))
		goto out;
	for (int i = 0; i < c.n_ups; i++)
		c.ups[i] = d.ups[i % FG_UPSTREAMS_MAX].cfg;
	ASSERT_EQ(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), -E2BIG, "refused");
	ASSERT_EQ(d.n_ups, FG_UPSTREAMS_MAX, "the running config stays");
	fg_daemon_tick(&d, now += NS_PER_S / 10);
out:
	free(text);
	fg_daemon_free(&d);
	fx_unpin_maps(dir);
}

/* Lines of log that contain what. */
static int count(const char *log, const char *what)
{
	int n = 0;

	for (const char *p = strstr(log, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* Replace pin NAME with a map of another layout (an older build's). */
static int foreign_pin(const char *name, __u32 value_size)
{
	return fx_pin_foreign(dir, name, BPF_MAP_TYPE_HASH, sizeof(struct fg_upstream_key),
			      value_size, FG_UPSTREAMS_MAX);
}

/*
 * Replaced pins (detach + attach) are followed at the next tick: gone pins
 * are said once however many ticks pass, foreign ones once and left alone
 * (the daemon drives the maps it has), new ones of this build are taken and
 * hold the daemon's upstreams, breaker states and policies.
 */
TEST(repin_followed_at_next_tick)
{
	struct fg_upstream_entry *list;
	struct fg_daemon d;
	struct fg_cfg c;
	struct fg_lpm_key k;
	char err[FG_ERR_LEN + 600], logged[4096];
	__u64 now = fg_now_ns();
	__u32 old_id;
	int n, open_forced = 0;

	if (!ASSERT_OK(pin_maps(), "pin this build's maps")) {
		fx_unpin_maps(dir);
		return;
	}
	fg_daemon_init(&d, &fg_dp_maps);
	if (!ASSERT_OK(fg_maps_open(dir, &d.maps, err, sizeof(err)), err) ||
	    !ASSERT_OK(load_cfg(&c, cfg_a), "config a") ||
	    !ASSERT_OK(fg_daemon_apply_config(&d, &c, now, err, sizeof(err)), err))
		goto out;
	ASSERT_OK(fg_daemon_force(&d, "a", FG_FORCE_OPEN, now, err, sizeof(err)), err);
	fg_daemon_tick(&d, now += NS_PER_S / 10);
	old_id = d.config_id;
	ASSERT_TRUE(old_id != 0, "the config map's id is known after a tick");

	/* Detached: every pin gone, the dir too. */
	fx_unpin_maps(dir);
	log_capture();
	for (int i = 0; i < 5; i++)
		fg_daemon_tick(&d, now += NS_PER_S / 10);
	log_lines(logged, sizeof(logged));
	ASSERT_EQ(count(logged, "gone"), 1, "pins gone: said once in five ticks");

	/* Attached by another version: refused, named once, nothing taken. */
	if (!ASSERT_OK(pin_maps(), "pin new maps") ||
	    !ASSERT_OK(foreign_pin(FG_MAP_UPSTREAMS, 80), "an 80-byte upstreams map"))
		goto out;
	log_capture();
	for (int i = 0; i < 5; i++)
		fg_daemon_tick(&d, now += NS_PER_S / 10);
	log_lines(logged, sizeof(logged));
	ASSERT_EQ(count(logged, "replaced but not taken"), 1, "foreign pins: said once");
	ASSERT_EQ(count(logged, "(value size 80, expected"), 1, "and why");
	ASSERT_EQ(d.config_id, old_id, "the old maps still driven");

	/* Attached by this build: taken at the next tick. */
	fx_unpin_maps(dir);
	if (!ASSERT_OK(pin_maps(), "pin new maps"))
		goto out;
	log_capture();
	for (int i = 0; i < 3; i++)
		fg_daemon_tick(&d, now += NS_PER_S / 10);
	log_lines(logged, sizeof(logged));
	snprintf(err, sizeof(err),
		 "pins in %s replaced: reopened and reconciled 2 upstreams, 1 policies", dir);
	ASSERT_EQ(count(logged, err), 1, "replaced: said once");
	ASSERT_EQ(count(logged, "\n"), 1, "and nothing else");
	ASSERT_TRUE(d.config_id != old_id, "the new maps are driven");
	n = fg_upstreams_read(&d.maps, &list);
	ASSERT_EQ(n, 2, "both upstreams in the new map");
	for (int i = 0; i < n; i++)
		open_forced += !strcmp(list[i].val.name, "a") &&
			       list[i].val.state == FG_BREAKER_OPEN && list[i].val.forced;
	ASSERT_EQ(open_forced, 1, "a still forced open in the new map");
	if (n >= 0)
		free(list);
	ASSERT_OK(bpf_map_get_next_key(d.maps.policy, NULL, &k), "the policy in the new map");
	ASSERT_EQ(d.ups[0].brk.state, FG_BREAKER_OPEN, "and in memory");
out:
	fg_daemon_free(&d);
	fx_unpin_maps(dir);
}
