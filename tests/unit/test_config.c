// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgated's INI configuration: a good file, and a catalogue of bad ones. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>

#include "test.h"
#include "config.h"
#include "upstream_kern_user.h"

static char path[64];

static int load(const char *text, struct fg_cfg *c, char *err, size_t errlen)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/fgcfg-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	close(fd);
	int ret = fg_cfg_load(path, c, err, errlen);

	unlink(path);
	return ret;
}

TEST(config_good)
{
	const char *text =
		"; a comment\n"
		"[daemon]\n"
		"pin_dir = /sys/fs/bpf/fgx\n"
		"interfaces = eth0, eth1\n"
		"tick = 50ms\n"
		"stale_limit = 2s\n"
		"probe_mark = 0x10\n"
		"\n"
		"[upstream web1]\n"
		"address = 198.18.2.10:80\n"
		"probe = http\n"
		"probe_path = /healthz\n"
		"\n"
		"[defaults]\n"  /* after the upstream that inherits it: order does not matter */
		"reject = drop\n"
		"reset_rate = 50\n"
		"consecutive_failures = 4\n"
		"open_timeout = 2s\n"
		"\n"
		"[upstream web2]\n"
		"address = [2001:db8::10]:8080\n"
		"reject = reset\n"
		"reset_rate = 1000000\n"
		"failure_classes = 5xx, timeout\n"
		"success_classes = 2xx, probe\n"
		"expect_status = 200\n"
		"group = api\n"
		"group_max_open = 25%\n"
		"\n"
		"[policy 0.0.0.0/0]\n"
		"rate = 200/s\n"
		"burst = 50\n"
		"[policy 198.18.9.0/24]\n"
		"action = deny\n"
		"[policy 2001:db8::/32]\n"
		"rate = 10/s\n"
		"new_sources = off\n"
		"[policy 198.19.0.0/16]\n"
		"rate = 10/s\n"
		"new_sources = 50/s\n";
	char err[256] = "";
	struct fg_cfg c;

	if (!ASSERT_OK(load(text, &c, err, sizeof(err)), err))
		return;
	ASSERT_STREQ(c.daemon.pin_dir, "/sys/fs/bpf/fgx", "pin_dir");
	ASSERT_EQ(c.daemon.n_ifaces, 2, "interfaces");
	ASSERT_STREQ(c.daemon.ifaces[1], "eth1", "second interface");
	ASSERT_EQ(c.daemon.tick_ns, 50000000, "tick");
	ASSERT_EQ(c.daemon.probe_mark, 16, "probe_mark");
	ASSERT_EQ(c.n_ups, 2, "two upstreams");
	ASSERT_STREQ(c.ups[0].name, "web1", "name");
	ASSERT_EQ(c.ups[0].port, 80, "port");
	ASSERT_EQ(c.ups[0].reject, FG_REJECT_DROP, "inherits [defaults]");
	ASSERT_EQ(c.ups[0].brk.consecutive_failures, 4, "inherits breaker settings");
	ASSERT_EQ(c.ups[0].brk.open_timeout_ns, 2000000000ULL, "open_timeout");
	ASSERT_EQ(c.ups[0].probe, FG_PROBE_HTTP, "probe");
	ASSERT_EQ(c.ups[1].reject, FG_REJECT_RESET, "own key beats [defaults]");
	ASSERT_EQ(c.ups[0].reset_rate, 50, "reset_rate inherits [defaults]");
	ASSERT_EQ(c.ups[1].reset_rate, FG_RESET_RATE_MAX, "reset_rate: own key, the maximum");
	ASSERT_EQ(c.ups[1].failure_classes, FG_FAIL_5XX | FG_FAIL_TIMEOUT, "classes");
	ASSERT_EQ(c.ups[1].success_classes, FG_OK_2XX | FG_OK_PROBE, "success classes");
	ASSERT_EQ(c.ups[0].success_classes, FG_OK_2XX | FG_OK_3XX | FG_OK_SYNACK | FG_OK_PROBE,
		  "success classes: all by default");
	ASSERT_EQ(c.ups[1].expect_lo, 200, "expect lo");
	ASSERT_EQ(c.ups[1].expect_hi, 200, "expect hi");
	ASSERT_EQ(c.ups[1].group_max_open_pct, 25, "group_max_open");
	ASSERT_EQ(c.n_pols, 4, "four policies");
	ASSERT_EQ(c.pols[0].pol.new_interval_ns, 1000000, "new_sources default 1k/s");
	ASSERT_EQ(c.pols[0].pol.new_burst, 1000, "its burst: one second");
	ASSERT_EQ(c.pols[2].pol.new_interval_ns, 0, "new_sources off");
	ASSERT_EQ(c.pols[3].pol.new_interval_ns, 20000000, "new_sources 50/s");
	ASSERT_EQ(c.pols[3].pol.new_burst, 50, "burst 50");
	ASSERT_EQ(c.pols[0].pol.burst, 50, "burst");
	ASSERT_EQ(c.pols[0].pol.interval_ns, 5000000, "rate");
	ASSERT_EQ(c.pols[1].pol.action, FG_ACT_DENY, "deny");
	fg_cfg_free(&c);
}

TEST(config_reset_rate_default)
{
	char err[256] = "";
	struct fg_cfg c;

	if (!ASSERT_OK(load("[upstream web]\naddress = 198.18.2.10:80\n", &c, err, sizeof(err)),
		       err))
		return;
	ASSERT_EQ(c.ups[0].reject, FG_REJECT_RESET, "reset by default");
	ASSERT_EQ(c.ups[0].reset_rate, FG_RESET_RATE_DEFAULT, "bounded by default");
	ASSERT_EQ(FG_RESET_RATE_DEFAULT, 1000, "the default the README quotes");
	fg_cfg_free(&c);
}

TEST(config_bad)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[daemon]\ntick = 0ms\n", ":2: [daemon] tick: invalid duration '0ms'" },
		{ "[daemon]\ntick = -5s\n", ":2: [daemon] tick: invalid duration '-5s'" },
		{ "[daemon]\ntick = 5\n", ":2: [daemon] tick: invalid duration '5'" },
		{ "[daemon]\ntick = 2s\nstale_limit = 3s\n", "[daemon]: stale_limit must be at least two ticks (tick 2000 ms, stale_limit 3000 ms)" },
		{ "[daemon]\nstale_limit = 18446744074s\n", ":2: [daemon] stale_limit: invalid duration '18446744074s': at most 366 days" },
		{ "[daemon]\nfrobnicate = 1\n", ":2: [daemon] frobnicate: unknown key" },
		{ "[daemon]\npin_dir = relative/path\n", "pin_dir: invalid path 'relative/path'" },
		{ "[daemon]\nprobe_mark = 0\n", "probe_mark: invalid mark '0'" },
		{ "[daemon]\ndetach_on_exit = maybe\n", "detach_on_exit: invalid 'maybe'" },
		{ "[bogus]\nx = 1\n", ":2: [bogus] x: unknown section" },
		{ "[daemon\ntick = 1s\n", ":1: syntax error" },
		{ "[upstream web]\nprobe = http\n", ":1: [upstream web]: missing key 'address'" },
		{ "[upstream web]\naddress = 198.18.2.10\n", ":2: [upstream web] address: invalid address '198.18.2.10'" },
		{ "[upstream web]\naddress = 198.18.2.10:0\n", "port must be 1..65535" },
		{ "[upstream we b]\naddress = 198.18.2.10:80\n", "invalid name 'we b'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nreject = bounce\n", ":3: [upstream web] reject: invalid 'bounce'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nreset_rate = 0\n", ":3: [upstream web] reset_rate: invalid reset_rate '0': expected an integer 1..1000000" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nreset_rate = 1000001\n", ":3: [upstream web] reset_rate: invalid reset_rate '1000001'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nreset_rate = -5\n", ":3: [upstream web] reset_rate: invalid reset_rate '-5'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nreset_rate = 100/s\n", ":3: [upstream web] reset_rate: invalid reset_rate '100/s'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nreset_rate = 99999999999999999999\n", ":3: [upstream web] reset_rate: invalid reset_rate" },
		{ "[defaults]\nreset_rate = off\n", ":2: [defaults] reset_rate: invalid reset_rate 'off'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nfall = 0\n", ":3: [upstream web] fall: invalid fall '0'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nfailure_rate = 150%\n", "failure_rate: invalid percentage '150%'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nhalf_open_permits = 0\n", "half_open_permits: invalid half_open_permits '0'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nexpect_status = 399-200\n", "expect_status: invalid '399-200'" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nfailure_classes = 5xx, 418\n", "unknown class '418': expected 5xx, 429, refused, timeout, probe" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nsuccess_classes = 2xx, 5xx\n", ":3: [upstream web] success_classes: unknown class '5xx': expected 2xx, 3xx, syn_ack, probe" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nsuccess_classes = ,\n", "success_classes: empty list: name at least one of 2xx, 3xx, syn_ack, probe" },
		{ "[upstream web]\naddress = 198.18.2.10:80\ninterval = 1s\ntimeout = 2s\n", "timeout must be shorter than interval" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nopen_timeout = 10s\nopen_timeout_max = 5s\n", "open_timeout_max is below open_timeout" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nconsecutive_failures = 0\nfailure_rate = 0\n", "could never open" },
		{ "[upstream a]\naddress = 198.18.2.10:80\n[upstream b]\naddress = 198.18.2.10:80\n", ":3: [upstream b]: same address as upstream 'a'" },
		{ "[defaults]\naddress = 198.18.2.10:80\n", "not allowed in [defaults]" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nproto = sctp\n", ":3: [upstream web] proto: invalid 'sctp': expected tcp or udp" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nreject = refuse\n", ":3: [upstream web] reject: invalid 'refuse': expected drop or reset" },
		{ "[defaults]\nprobe = icmp\n", ":2: [defaults] probe: invalid 'icmp': expected none, tcp or http" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nopen_timeout = 0ms\n", "open_timeout: invalid duration '0ms': expected a positive N" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nopen_jitter = 101\n", "open_jitter: invalid percentage '101': expected 0..100%" },
		{ "[upstream web]\naddress = 198.18.2.10:80\nbackoff_factor = 0\n", "backoff_factor: invalid backoff_factor '0': expected an integer 1..100" },
		{ "[policy 198.18.1.5/24]\nrate = 1/s\n", "host bits set" },
		{ "[policy 198.18.0.0/16]\nrate = fast\n", ":2: [policy 198.18.0.0/16] rate: invalid rate 'fast'" },
		{ "[policy 198.18.0.0/16]\nburst = 5\n", ":1: [policy 198.18.0.0/16]: action limit needs 'rate'" },
		{ "[policy 198.18.0.0/16]\naction = maybe\n", "invalid 'maybe': expected limit, allow or deny" },
		/* Nothing said twice: a key, a section, a network in two spellings. */
		{ "[daemon]\ntick = 1s\ntick = 2s\n", ":3: [daemon] tick: key repeated (first on line 2)" },
		{ "[daemon]\ntick = 1s\n[daemon]\nstale_limit = 5s\n", ":3: [daemon]: section repeated (first on line 1)" },
		{ "[upstream a]\naddress = 198.18.2.10:80\n[upstream b]\naddress = 198.18.2.11:80\n[upstream a]\nreject = drop\n", ":5: [upstream a]: section repeated (first on line 1)" },
		{ "[upstream a]\naddress = 198.18.2.10:80\n[upstream  a]\nreject = drop\n", ":3: [upstream  a]: the same upstream as [upstream a] on line 1" },
		{ "[policy 2001:db8::/32]\naction = deny\n[policy 2001:0db8:0::/32]\naction = allow\n", ":3: [policy 2001:0db8:0::/32]: the same policy as [policy 2001:db8::/32] on line 1" },
		{ "[policy 198.18.0.0/16]\nrate = 1/h\nburst = 5124097\n", ":1: [policy 198.18.0.0/16]: invalid burst 5124097 at 1/h: it would take 585 years to refill" },
		{ "[policy 198.18.0.0/16]\nrate = 1/s\nnew_sources = lots\n", ":3: [policy 198.18.0.0/16] new_sources: invalid new-source budget 'lots': expected a RATE (1k/s) or off" },
		{ "[policy 198.18.0.0/16]\nrate = 1/s\nper = prefix\nnew_sources = 1/s\n", "new_sources applies to per = source" },
		{ "[policy ::ffff:198.18.0.0/112]\nrate = 1/s\n", "IPv4-mapped; write it as IPv4 (198.18.0.0/16)" },
		/* [fleet] */
		{ "[fleet]\nsite = a\n", ":1: [fleet]: missing key 'redis'" },
		{ "[fleet]\nredis = redis.example:6379\n", ":2: [fleet] redis: invalid address 'redis.example:6379'" },
		{ "[fleet]\nredis = 198.18.5.1\n", "a host name is not taken" },
		{ "[fleet]\nredis = 198.18.5.1:0\n", "port must be 1..65535" },
		{ "[fleet]\nredis = unix:run/redis.sock\n", ":2: [fleet] redis: invalid socket 'unix:run/redis.sock'" },
		{ "[fleet]\nredis = 198.18.5.1:6379\npassword_file = secret\n", ":3: [fleet] password_file: invalid path 'secret'" },
		{ "[fleet]\nredis = 198.18.5.1:6379\nsite = eu west\n", ":3: [fleet] site: invalid name 'eu west'" },
		{ "[fleet]\nredis = 198.18.5.1:6379\nnode = a/b\n", ":3: [fleet] node: invalid name 'a/b'" },
		{ "[fleet]\nredis = 198.18.5.1:6379\nsync = 0ms\n", ":3: [fleet] sync: invalid duration '0ms'" },
		{ "[fleet]\nredis = 198.18.5.1:6379\nsync = 5ms\n", ":1: [fleet]: sync must be at least 10ms" },
		{ "[fleet]\nredis = 198.18.5.1:6379\nsync = 1s\nstale = 1500ms\n", ":1: [fleet]: stale must be at least two syncs (sync 1000 ms, stale 1500 ms)" },
		{ "[fleet]\nredis = 198.18.5.1:6379\nquorum = 1\n", ":3: [fleet] quorum: invalid quorum '1': expected an integer 2..1000" },
		{ "[fleet]\nredis = 198.18.5.1:6379\nquorum = most\n", ":3: [fleet] quorum: invalid quorum 'most'" },
		{ "[fleet]\nredis = 198.18.5.1:6379\ntimeout = 1s\n", ":3: [fleet] timeout: unknown key" },
		{ "[fleet]\nredis = 198.18.5.1:6379\n[fleet]\nsite = b\n", ":3: [fleet]: section repeated (first on line 1)" },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		struct fg_cfg c;

		if (!ASSERT_ERR(load(cases[i].text, &c, err, sizeof(err)), cases[i].msg))
			continue;
		ASSERT_STRHAS(err, cases[i].msg, cases[i].text);
		ASSERT_STRHAS(err, "/tmp/fgcfg-", "names the file");
	}
}

TEST(config_fleet)
{
	char err[256] = "";
	struct fg_cfg c;

	/* Without [fleet] the daemon runs alone. */
	if (ASSERT_OK(load("[daemon]\ntick = 100ms\n", &c, err, sizeof(err)), err)) {
		ASSERT_EQ(c.fleet.enabled, 0, "no [fleet]: fleet off");
		fg_cfg_free(&c);
	}
	if (ASSERT_OK(load("[fleet]\nredis = 198.18.5.1:6379\n", &c, err, sizeof(err)), err)) {
		ASSERT_EQ(c.fleet.enabled, 1, "enabled");
		ASSERT_STREQ(c.fleet.host, "198.18.5.1", "host");
		ASSERT_EQ(c.fleet.port, 6379, "port");
		ASSERT_STREQ(c.fleet.site, "default", "site default");
		ASSERT_TRUE(c.fleet.node[0] != 0, "node defaults to the host name");
		ASSERT_EQ(c.fleet.sync_ns, 100000000ULL, "sync default 100ms");
		ASSERT_EQ(c.fleet.stale_ns, 3000000000ULL, "stale default 3s");
		ASSERT_EQ(c.fleet.quorum, 0, "quorum default: majority");
		ASSERT_STREQ(c.fleet.password_file, "", "no AUTH by default");
		fg_cfg_free(&c);
	}
	if (ASSERT_OK(load("[fleet]\nredis = [2001:db8::5]:6380\nsite = eu-1\nnode = edge-7\n"
			   "sync = 50ms\nstale = 1s\nquorum = 3\npassword_file = /etc/fg/redis.pw\n",
			   &c, err, sizeof(err)), err)) {
		ASSERT_STREQ(c.fleet.host, "2001:db8::5", "IPv6 host");
		ASSERT_EQ(c.fleet.port, 6380, "port");
		ASSERT_STREQ(c.fleet.site, "eu-1", "site");
		ASSERT_STREQ(c.fleet.node, "edge-7", "node");
		ASSERT_EQ(c.fleet.sync_ns, 50000000ULL, "sync");
		ASSERT_EQ(c.fleet.stale_ns, 1000000000ULL, "stale");
		ASSERT_EQ(c.fleet.quorum, 3, "quorum");
		ASSERT_STREQ(c.fleet.password_file, "/etc/fg/redis.pw", "password_file");
		fg_cfg_free(&c);
	}
	if (ASSERT_OK(load("[fleet]\nredis = unix:/run/redis/redis.sock\nquorum = auto\n", &c,
			   err, sizeof(err)), err)) {
		ASSERT_EQ(c.fleet.unix_socket, 1, "unix socket");
		ASSERT_STREQ(c.fleet.path, "/run/redis/redis.sock", "path");
		ASSERT_EQ(c.fleet.quorum, 0, "quorum auto");
		fg_cfg_free(&c);
	}
}

TEST(config_missing_file)
{
	char err[256] = "";
	struct fg_cfg c;

	ASSERT_ERR(fg_cfg_load("/nonexistent/floodgated.conf", &c, err, sizeof(err)), "missing");
	ASSERT_STRHAS(err, "/nonexistent/floodgated.conf: No such file", "message");
}

TEST(duration_and_percent)
{
	__u64 ns;
	__u32 pct;

	ASSERT_OK(fg_parse_duration("250ms", &ns), "250ms");
	ASSERT_EQ(ns, 250000000ULL, "250ms");
	ASSERT_OK(fg_parse_duration("2m", &ns), "2m");
	ASSERT_EQ(ns, 120000000000ULL, "2m");
	ASSERT_ERR(fg_parse_duration("2 s", &ns), "space");
	ASSERT_ERR(fg_parse_duration("s", &ns), "no number");
	/* Up to 366 days, whatever the unit; beyond, refused, never wrapped. */
	ASSERT_OK(fg_parse_duration("8784h", &ns), "8784h");
	ASSERT_EQ(ns, FG_DURATION_MAX_NS, "8784h is 366 days");
	ASSERT_OK(fg_parse_duration("31622400000ms", &ns), "366 days in ms");
	ASSERT_EQ(fg_parse_duration("8785h", &ns), -ERANGE, "8785h");
	ASSERT_EQ(fg_parse_duration("31622401s", &ns), -ERANGE, "366 days + 1 s");
	ASSERT_EQ(fg_parse_duration("31622400001ms", &ns), -ERANGE, "366 days + 1 ms");
	ASSERT_EQ(fg_parse_duration("18446744074s", &ns), -ERANGE, "2^64 ns + a bit, in s");
	ASSERT_EQ(fg_parse_duration("5124095576h", &ns), -ERANGE, "wraps in h");
	ASSERT_ERR(fg_parse_duration("99999999999999999999ms", &ns), "past 2^64");
	ASSERT_OK(fg_parse_percent("50%", &pct), "50%");
	ASSERT_EQ(pct, 50, "50%");
	ASSERT_OK(fg_parse_percent("7", &pct), "bare number");
	ASSERT_ERR(fg_parse_percent("101%", &pct), "101%");
	ASSERT_ERR(fg_parse_percent("5%%", &pct), "5%%");
}

/* libinih reads 199 bytes of a line at a time: the rest of a longer line must
 * never come back as a line of its own (a live key), nor shift line numbers. */
TEST(config_long_lines)
{
	char text[1024], pad[400], err[256] = "";
	struct fg_cfg c;

	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	/* A long comment whose tail reads like a key: ignored, whole. */
	snprintf(text, sizeof(text),
		 "[upstream a]\naddress = 198.18.2.10:80\n; %s group = other\n", pad);
	if (ASSERT_OK(load(text, &c, err, sizeof(err)), err)) {
		ASSERT_STREQ(c.ups[0].group, "default", "group (the comment's tail set nothing)");
		fg_cfg_free(&c);
	}
	/* A long key line: refused, naming its own line. */
	snprintf(text, sizeof(text), "[upstream a]\naddress = 198.18.2.10:80\nprobe_path = /%s\n",
		 pad);
	if (ASSERT_ERR(load(text, &c, err, sizeof(err)), "long key line"))
		ASSERT_STRHAS(err, ":3: line too long", "message");
	/* After a long comment, an error names the right line. */
	snprintf(text, sizeof(text), "; %s\n[daemon]\nfrobnicate = 1\n", pad);
	if (ASSERT_ERR(load(text, &c, err, sizeof(err)), "unknown key after a long comment"))
		ASSERT_STRHAS(err, ":3: [daemon] frobnicate: unknown key", "line number");
}

/* Text of n [upstream] (or [policy]) sections, each a distinct address. */
static char *sections(int n, int policy)
{
	size_t cap = (size_t)n * 64 + 1, len = 0;
	char *s = malloc(cap);

	for (int i = 0; s && i < n; i++) {
		int a = i >> 8, b = i & 0xff;

		if (policy)
			len += snprintf(s + len, cap - len,
					"[policy 2001:db8:%x:%x::/64]\nrate = 1/s\n", a, b);
		else
			len += snprintf(s + len, cap - len,
					"[upstream u%d]\naddress = 198.18.%d.%d:80\n", i, a, b);
	}
	return s;
}

/* More upstreams or policies than the maps hold can never apply: the loader
 * (and so --check-config) refuses them, naming the count and the limit. */
TEST(config_map_capacity)
{
	char err[256] = "", want[96];
	struct fg_cfg c;
	char *text;

	text = sections(FG_UPSTREAMS_MAX, 0);
	if (ASSERT_OK(text ? load(text, &c, err, sizeof(err)) : -1, err)) {
		ASSERT_EQ(c.n_ups, FG_UPSTREAMS_MAX, "as many as the maps hold: accepted");
		fg_cfg_free(&c);
	}
	free(text);
	text = sections(FG_UPSTREAMS_MAX + 1, 0);
	if (ASSERT_ERR(text ? load(text, &c, err, sizeof(err)) : 0, "one upstream too many")) {
		snprintf(want, sizeof(want), ": %d [upstream] sections, the maps hold at most %d",
			 FG_UPSTREAMS_MAX + 1, FG_UPSTREAMS_MAX);
		ASSERT_STRHAS(err, want, "message");
		ASSERT_STRHAS(err, "/tmp/fgcfg-", "names the file");
		ASSERT_TRUE(!strchr(err, '\n'), "one line");
	}
	free(text);
	text = sections(FG_POLICY_MAX + 1, 1);
	if (ASSERT_ERR(text ? load(text, &c, err, sizeof(err)) : 0, "one policy too many")) {
		snprintf(want, sizeof(want), ": %d [policy] sections, the maps hold at most %d",
			 FG_POLICY_MAX + 1, FG_POLICY_MAX);
		ASSERT_STRHAS(err, want, "message");
	}
	free(text);
}

/* err from loading "[SECTION]\nKEY = x": a bad value, a missing key, or "unknown key". */
static void load_one(const char *section, const char *key, char *err, size_t errlen)
{
	struct fg_cfg c;
	char text[256];

	snprintf(text, sizeof(text), "[%s]\n%s = x\n", section, key);
	err[0] = 0;
	if (!fg_cfg_load_buf("keys.conf", text, strlen(text), &c, err, errlen))
		fg_cfg_free(&c);
}

/* The exported key lists are what the parser takes: each listed key is
 * known to it, and a key not listed is refused. */
TEST(config_key_lists)
{
	static const struct {
		const char *section;
		const char *const *keys;
	} lists[] = {
		{ "daemon", fg_cfg_daemon_keys },
		{ "policy 198.18.0.0/15", fg_cfg_policy_keys },
		{ "fleet", fg_cfg_fleet_keys },
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		ASSERT_TRUE(lists[i].keys[0] != NULL, lists[i].section);
		for (const char *const *k = lists[i].keys; *k; k++) {
			load_one(lists[i].section, *k, err, sizeof(err));
			ASSERT_TRUE(!strstr(err, "unknown key"), err);
		}
		load_one(lists[i].section, "not_a_key", err, sizeof(err));
		ASSERT_STRHAS(err, "unknown key", lists[i].section);
	}
	for (i = 0; fg_cfg_upstream_key_name(i); i++) {
		load_one("upstream a", fg_cfg_upstream_key_name(i), err, sizeof(err));
		ASSERT_TRUE(!strstr(err, "unknown key"), err);
	}
	ASSERT_GE(i, 20, "upstream keys");
	load_one("upstream a", "not_a_key", err, sizeof(err));
	ASSERT_STRHAS(err, "unknown key", "upstream");
}
