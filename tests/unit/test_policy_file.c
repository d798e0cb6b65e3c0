// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Policy files (policy_file.h): the line parser on good and hostile lines,
 * the whole-file reader (file:line errors, repeats, capacity), the save
 * format read back unchanged, the pure split-flag derivation
 * (policy_set.h), and floodgated's policy_file merged with [policy].
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"
#include "config.h"
#include "parse.h"
#include "policy_file.h"

static int parse(const char *s, size_t len, struct fg_policy_want *w, char *err)
{
	return fg_policy_line_parse(s, len, w, err, FG_ERR_LEN);
}

TEST(policy_line_good)
{
	static const struct {
		const char *line;
		enum fg_action act;
		__u64 interval_ns;
		__u32 burst;
		int per;
		__u64 new_interval_ns;
	} cases[] = {
		{ "198.18.0.0/15 200/s", FG_ACT_LIMIT, 5000000, 200, FG_PER_SOURCE, 1000000 },
		{ "198.18.0.0/15\t10k/s burst 5 per source new-sources off", FG_ACT_LIMIT, 100000, 5,
		  FG_PER_SOURCE, 0 },
		{ "  198.18.7.0/24 deny   # abusers", FG_ACT_DENY, 0, 0, 0, 0 },
		{ "2001:db8::/32 allow\r", FG_ACT_ALLOW, 0, 0, 0, 0 },
		{ "2001:db8::/48 30/m per prefix burst 7", FG_ACT_LIMIT, 2000000000, 7, FG_PER_PREFIX,
		  0 },
		{ "2001:db8::1 1/h new-sources 10/s", FG_ACT_LIMIT, 3600000000000ULL, 1,
		  FG_PER_SOURCE, 100000000 },
	};
	char err[FG_ERR_LEN];
	struct fg_policy_want w;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].line, strlen(cases[i].line), &w, err);

		if (!ASSERT_EQ(r, 1, cases[i].line)) {
			fprintf(stderr, "  error: %s\n", err);
			continue;
		}
		ASSERT_EQ(w.pol.action, cases[i].act, cases[i].line);
		ASSERT_EQ(w.pol.interval_ns, cases[i].interval_ns, cases[i].line);
		ASSERT_EQ(w.pol.burst, cases[i].burst, cases[i].line);
		ASSERT_EQ(w.pol.per, cases[i].per, cases[i].line);
		ASSERT_EQ(w.pol.new_interval_ns, cases[i].new_interval_ns, cases[i].line);
		ASSERT_EQ(w.pol.prefixlen, w.key.prefixlen, cases[i].line);
	}
	ASSERT_EQ(parse("", 0, &w, err), 0, "empty line");
	ASSERT_EQ(parse(" \t ", 3, &w, err), 0, "blank line");
	ASSERT_EQ(parse("# 198.18.0.0/15 deny", 20, &w, err), 0, "comment");
	ASSERT_EQ(parse("\r", 1, &w, err), 0, "CRLF blank line");
}

TEST(policy_line_hostile)
{
	static const struct {
		const char *line;
		const char *msg;
	} cases[] = {
		{ "198.18.0.0/33 deny", "length must be 0..32" },
		{ "198.18.0.1/24 deny", "host bits set" },
		{ "198.18.0.300 deny", "not an IPv4 or IPv6 address" },
		{ "::ffff:198.18.0.0/120 deny", "IPv4-mapped" },
		{ "2001:db8::/129 deny", "length must be 0..128" },
		{ "198.18.0.0/15", "expected allow, deny or a RATE" },
		{ "198.18.0.0/15 drop", "invalid action 'drop'" },
		{ "198.18.0.0/15 deny burst 5", "deny takes no options" },
		{ "198.18.0.0/15 200/s fast", "unexpected 'fast' after the rate" },
		{ "198.18.0.0/15 200/s burst", "'burst' needs a value" },
		{ "198.18.0.0/15 200/s burst 5 burst 6", "'burst' given twice" },
		{ "198.18.0.0/15 200/s burst 0", "invalid burst '0'" },
		{ "198.18.0.0/15 200/s burst 5x", "invalid burst '5x'" },
		{ "198.18.0.0/15 200/s per host", "invalid per 'host'" },
		{ "198.18.0.0/15 200/s per prefix new-sources 1/s", "new-sources applies to per source" },
		{ "198.18.0.0/15 200/x", "invalid rate '200/x'" },
		{ "198.18.0.0/15 0/s", "must be greater than zero" },
		{ "198.18.0.0/15 1/h burst 9999999", "146 years" },
		{ "198.18.0.0/15 200/s new-sources lots", "invalid new-source budget 'lots'" },
		{ "198.18.0.0/15 1/s per source burst 1 new-sources off x y", "too many words" },
		{ "198.18.0.0/15 deny\x1b[2J", "control character 0x1b" },
		{ "198.18.0.0/15 de\rny", "control character 0x0d at column 17" },
	};
	char err[FG_ERR_LEN], big[FG_POLICY_LINE_MAX + 2];
	static const char nul[] = "198.18.0.0/15 deny\0 198.18.0.0/16 allow";
	struct fg_policy_want w;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = 0;
		ASSERT_EQ(parse(cases[i].line, strlen(cases[i].line), &w, err), -EINVAL,
			  cases[i].line);
		ASSERT_STRHAS(err, cases[i].msg, cases[i].line);
	}
	ASSERT_EQ(parse(nul, sizeof(nul) - 1, &w, err), -EINVAL, "NUL byte");
	ASSERT_STRHAS(err, "NUL byte at column 19", "NUL byte");
	memset(big, ' ', sizeof(big));
	memcpy(big, "198.18.0.0/15 deny", 18);
	ASSERT_EQ(parse(big, FG_POLICY_LINE_MAX, &w, err), 1, "a line of the maximum length");
	ASSERT_EQ(parse(big, FG_POLICY_LINE_MAX + 1, &w, err), -EINVAL, "a line too long");
	ASSERT_STRHAS(err, "line too long", "a line too long");
}

/* Read text as a file named "f": 0 or the error, *n policies. */
static int read_text(const char *text, size_t len, __u32 cap, int *n, char *err)
{
	struct fg_policy_want *w = NULL;
	FILE *f = fmemopen((void *)text, len, "r");
	int ret;

	if (!f)
		return -errno;
	ret = fg_policy_file_read(f, "f", cap, &w, n, err, FG_ERR_LEN);
	fclose(f);
	free(w);
	return ret;
}

TEST(policy_file_read)
{
	static const char good[] = "# policies\r\n198.18.0.0/15 200/s\r\n\r\n198.18.7.0/24 deny\n"
				   "2001:db8::/32 allow"; /* no newline at the end */
	static const char twice[] = "198.18.0.0/15 200/s\n198.18.9.0/24 deny\n"
				    "198.18.0.0/15 deny\n198.18.9.0/24 allow\n";
	static const char bad3[] = "198.18.0.0/15 200/s\n\n198.18.0.0/15 200/s burst\n"
				   "junk\n";
	static const char nul3[] = "198.18.0.0/15 deny\n# x\n198.18.1.0/24 d\0eny\n";
	char err[FG_ERR_LEN], *long_line;
	int n = -1;

	ASSERT_OK(read_text(good, sizeof(good) - 1, 10, &n, err), "a good file");
	ASSERT_EQ(n, 3, "policies in the good file");
	ASSERT_EQ(read_text(twice, sizeof(twice) - 1, 10, &n, err), -EINVAL, "a prefix twice");
	ASSERT_STRHAS(err, "f:3: 198.18.0.0/15: the same prefix as line 1", "the first repeat");
	ASSERT_EQ(read_text(bad3, sizeof(bad3) - 1, 10, &n, err), -EINVAL, "bad line 3");
	ASSERT_STRHAS(err, "f:3: 'burst' needs a value", "stops at the first error");
	ASSERT_EQ(read_text(nul3, sizeof(nul3) - 1, 10, &n, err), -EINVAL, "NUL on line 3");
	ASSERT_STRHAS(err, "f:3: NUL byte", "NUL on line 3");
	ASSERT_EQ(read_text(good, sizeof(good) - 1, 2, &n, err), -E2BIG, "over capacity");
	ASSERT_STRHAS(err, "f:5: more than 2 policies", "over capacity");
	long_line = malloc(100000);
	if (!long_line)
		return;
	memset(long_line, 'x', 100000);
	ASSERT_EQ(read_text(long_line, 100000, 10, &n, err), -EINVAL, "a 100,000-byte line");
	ASSERT_STRHAS(err, "f:1: line too long", "a 100,000-byte line");
	free(long_line);
}

/* What limit save writes reads back as the same policy. */
TEST(policy_line_format_round_trip)
{
	static const char *const lines[] = {
		"198.18.0.0/15 200/s burst 10 per source new-sources 1000/s",
		"198.18.0.1 deny",
		"0.0.0.0/0 allow",
		"::/0 7/s burst 3 per source new-sources off",
		"2001:db8::/32 999999/s burst 10000000 per prefix",
		"2001:db8::5 1/h burst 1 per source new-sources 30/m",
		"198.18.4.0/22 333333333/s burst 5 per prefix",
		"198.18.8.0/22 13/m burst 2 per source new-sources 7/h",
		"198.18.0.0/15 1/h burst 3 per source new-sources 309k/s", /* the budget's burst kept */
	};
	struct fg_policy_want w, back;
	char err[FG_ERR_LEN], buf[256];

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		if (!ASSERT_EQ(parse(lines[i], strlen(lines[i]), &w, err), 1, lines[i]))
			continue;
		ASSERT_OK(fg_policy_line_format(&w.key, &w.pol, buf, sizeof(buf)), lines[i]);
		ASSERT_EQ(parse(buf, strlen(buf), &back, err), 1, buf);
		ASSERT_TRUE(!memcmp(&w.key, &back.key, sizeof(w.key)), buf);
		ASSERT_TRUE(!memcmp(&w.pol, &back.pol, sizeof(w.pol)), buf);
	}
}

TEST(policy_splits_sorted)
{
	static const char *const pfx[] = { "2001:db8::/32", "2001:db8:0:1::/64",
					   "2001:db8:0:1::5", "2001:db8:0:2::7",
					   "198.18.0.0/15", "198.18.0.1" };
	struct fg_lpm_key keys[6];
	char err[FG_ERR_LEN];
	__u8 split[6];

	for (int i = 0; i < 6; i++)
		ASSERT_OK(fg_parse_prefix(pfx[i], &keys[i], err, sizeof(err)), pfx[i]);
	ASSERT_OK(fg_pset_splits(keys, sizeof(keys[0]), 6, 64, split), "splits");
	/* ::5 is inside the /64 (its nearest cover), ::7 only inside the /32;
	 * IPv4 keys never split. */
	ASSERT_EQ(split[0], 1, "the /32 covers 2001:db8:0:2::7");
	ASSERT_EQ(split[1], 1, "the /64 covers 2001:db8:0:1::5");
	ASSERT_EQ(split[2] + split[3] + split[4] + split[5], 0, "no other split");
	ASSERT_OK(fg_pset_splits(keys, sizeof(keys[0]), 6, 128, split), "splits at /128");
	ASSERT_EQ(split[0] + split[1] + split[2] + split[3], 0, "nothing is longer than /128");
}

/* floodgated's policy_file: merged, and a prefix in both places refused. */
static int load_cfg(const char *conf, const char *pols, struct fg_cfg *c, char *err,
		    char *pol_path)
{
	char cpath[64] = "/tmp/fgcfg-XXXXXX", text[1024];
	int fd, ret = -1;

	strcpy(pol_path, "/tmp/fgpol-XXXXXX");
	if (!pols) { /* conf names its own */
		snprintf(text, sizeof(text), "%s", conf);
		ret = 0;
	} else if ((fd = mkstemp(pol_path)) >= 0) {
		if (write(fd, pols, strlen(pols)) == (ssize_t)strlen(pols))
			ret = 0;
		close(fd);
		snprintf(text, sizeof(text), "[daemon]\npolicy_file = %s\n%s", pol_path, conf);
	}
	if (ret || (fd = mkstemp(cpath)) < 0)
		return -1;
	ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	if (!ret)
		ret = fg_cfg_load(cpath, c, err, FG_ERR_LEN);
	unlink(cpath);
	if (pols)
		unlink(pol_path);
	return ret;
}

TEST(config_policy_file)
{
	char err[FG_ERR_LEN] = "", pp[64];
	struct fg_cfg c = {};

	if (ASSERT_OK(load_cfg("[policy 198.18.0.0/15]\nrate = 100/s\n",
			       "198.18.7.0/24 deny\n2001:db8::/32 10/s burst 4\n", &c, err, pp),
		      err)) {
		ASSERT_EQ(c.n_pols, 3, "the section and the file's two");
		ASSERT_STREQ(c.pols[2].prefix, "2001:db8::/32", "the file's second");
		ASSERT_EQ(c.pols[2].line, 2, "its line in the file");
		ASSERT_EQ(c.pols[2].pol.burst, 4, "its burst");
		ASSERT_EQ(c.pols[2].pol.new_interval_ns, 1000000, "the default budget");
		fg_cfg_free(&c);
	}
	ASSERT_ERR(load_cfg("\n\n[policy 198.18.7.0/24]\naction = allow\n",
			    "198.18.0.0/16 deny\n198.18.7.0/24 deny\n", &c, err, pp), "in both");
	ASSERT_STRHAS(err, ":2: 198.18.7.0/24: also in [policy 198.18.7.0/24] at /tmp/fgcfg-",
		      "names both places");
	ASSERT_STRHAS(err, pp, "names the policy file");
	ASSERT_ERR(load_cfg("", "198.18.0.0/16 deny\n198.18.0.0/16 200/s oops\n", &c, err, pp),
		   "a bad line");
	ASSERT_STRHAS(err, ":2: unexpected 'oops'", "a bad line");
	ASSERT_ERR(load_cfg("[daemon]\n\npolicy_file = /nonexistent/policies\n", NULL, &c, err,
			    pp), "a file that cannot be opened");
	ASSERT_STRHAS(err, ":3: [daemon] policy_file: /nonexistent/policies: No such file",
		      "a file that cannot be opened");
}
