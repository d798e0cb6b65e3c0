// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The CLI's option tables (user/cli/options.c): parsing and help. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "test.h"
#include "names.h"
#include "options.h"

struct t_opts {
	int flag, mode, help;
	const char *str, *name;
	__u32 num;
	struct fg_opt_rate rate;
};

struct t_common {
	int verbose;
	const char *dir;
};

#define O(f) offsetof(struct t_opts, f)

static const struct fg_opt t_table[] = {
	{ .name = "flag", .short_name = 'f', .type = FG_OPT_FLAG, .off = O(flag), .help = "a flag" },
	{ .name = "str", .type = FG_OPT_STR, .off = O(str), .arg = "S", .help = "a string" },
	{ .name = "num", .short_name = 'n', .type = FG_OPT_U32, .off = O(num), .arg = "N",
	  .help = "a number\nover two lines", .min = 1, .max = 10, .only = "set" },
	{ .name = "name", .type = FG_OPT_STR, .off = O(name), .arg = "NAME", .help = "a name" },
	{ .name = "mode", .type = FG_OPT_ENUM, .off = O(mode), .help = "an enum",
	  .names = fg_mode_names, .n_names = FG_MODE_MAX },
	{ .name = "rate", .type = FG_OPT_RATE, .off = O(rate), .arg = "RATE|off", .help = "a rate" },
	{ .short_name = 'x', .type = FG_OPT_U32, .off = O(num), .arg = "X", .help = "short only",
	  .min = 0, .max = 5 },
	{ .name = "help", .short_name = 'h', .type = FG_OPT_HELP, .off = O(help), .help = "help" },
	FG_OPT_END,
};

static const struct fg_opt t_common_table[] = {
	{ .name = "verbose", .short_name = 'v', .type = FG_OPT_FLAG,
	  .off = offsetof(struct t_common, verbose), .help = "louder" },
	{ .name = "dir", .type = FG_OPT_STR, .off = offsetof(struct t_common, dir), .arg = "DIR",
	  .help = "a directory" },
	FG_OPT_END,
};

struct run {
	struct t_opts o;
	struct t_common c;
	struct fg_parsed p;
	char err[160];
	int ret;
};

/* Parse the NULL-terminated words (argv[0] "cmd" added) against both tables. */
#define PARSE(r, ...) parse(r, (const char *[]){ "cmd", __VA_ARGS__, NULL })

static void parse(struct run *r, const char **words)
{
	static char *argv[32];
	int argc = 0;
	struct fg_optset sets[] = { { t_table, &r->o }, { t_common_table, &r->c } };

	memset(r, 0, sizeof(*r));
	while (words[argc] && argc < 31) {
		argv[argc] = (char *)words[argc];
		argc++;
	}
	r->ret = fg_opts_parse(sets, 2, argc, argv, &r->p, r->err, sizeof(r->err));
}

TEST(options_good)
{
	struct run r;

	PARSE(&r, "a", "--flag", "--str", "x y", "-n", "5", "b", "--mode=monitor", "--rate", "off",
	      "-v", "--dir=/d");
	if (!ASSERT_OK(r.ret, r.err))
		return;
	ASSERT_EQ(r.p.argc, 2, "operands");
	ASSERT_STREQ(r.p.argv[0], "a", "first operand");
	ASSERT_STREQ(r.p.argv[1], "b", "second operand, in order");
	ASSERT_EQ(r.o.flag, 1, "--flag");
	ASSERT_STREQ(r.o.str, "x y", "--str");
	ASSERT_EQ(r.o.num, 5, "-n 5");
	ASSERT_EQ(r.o.mode, FG_MODE_MONITOR, "--mode=monitor");
	ASSERT_TRUE(r.o.rate.set && !r.o.rate.interval_ns, "--rate off");
	ASSERT_EQ(r.c.verbose, 1, "-v from the second table");
	ASSERT_STREQ(r.c.dir, "/d", "--dir=");
	ASSERT_EQ(r.p.seen[0], (1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 4) | (1ULL << 5),
		  "seen, first table");
	ASSERT_EQ(r.p.seen[1], 3, "seen, second table");

	PARSE(&r, "-n7", "--rate", "2k/s");
	ASSERT_OK(r.ret, r.err);
	ASSERT_EQ(r.o.num, 7, "-n7");
	ASSERT_EQ(r.o.rate.interval_ns, 500000, "--rate 2k/s");
	ASSERT_EQ(r.o.rate.burst, 2000, "one second of it");

	PARSE(&r, "-fvn", "3");
	ASSERT_OK(r.ret, r.err);
	ASSERT_TRUE(r.o.flag && r.c.verbose && r.o.num == 3, "-fvn 3: a cluster");

	PARSE(&r, "--nu", "4", "--fl");
	ASSERT_OK(r.ret, r.err);
	ASSERT_TRUE(r.o.num == 4 && r.o.flag, "unambiguous prefixes");

	PARSE(&r, "-", "-x", "0");
	ASSERT_OK(r.ret, r.err);
	ASSERT_TRUE(r.p.argc == 1 && !strcmp(r.p.argv[0], "-"), "'-' is an operand");
}

TEST(options_double_dash)
{
	struct run r;

	PARSE(&r, "a", "--", "--flag", "-n", "--");
	if (!ASSERT_OK(r.ret, r.err))
		return;
	ASSERT_EQ(r.p.argc, 4, "everything after -- is an operand");
	ASSERT_STREQ(r.p.argv[1], "--flag", "--flag as an operand");
	ASSERT_STREQ(r.p.argv[3], "--", "a second -- too");
	ASSERT_EQ(r.o.flag, 0, "--flag not taken");
}

TEST(options_help_stops)
{
	struct run r;

	PARSE(&r, "--help", "--bogus");
	ASSERT_OK(r.ret, r.err);
	ASSERT_TRUE(r.p.help && r.o.help, "--help seen, the rest not parsed");
	PARSE(&r, "-vh", "--num", "99");
	ASSERT_OK(r.ret, r.err);
	ASSERT_TRUE(r.p.help, "-h in a cluster");
	PARSE(&r, "--bogus", "--help");
	ASSERT_EQ(r.ret, FG_OPT_EUSAGE, "an error before --help still counts");
}

TEST(options_bad)
{
	static const struct {
		const char *words[4];
		int ret;
		const char *msg;
	} cases[] = {
		{ { "--bogus" }, FG_OPT_EUSAGE, "unknown option '--bogus'" },
		{ { "--bogus=1" }, FG_OPT_EUSAGE, "unknown option '--bogus'" },
		{ { "-q" }, FG_OPT_EUSAGE, "unknown option '-q'" },
		{ { "-fq" }, FG_OPT_EUSAGE, "unknown option '-q'" },
		{ { "--n", "1" }, FG_OPT_EUSAGE, "ambiguous option '--n'" },
		{ { "a", "--str" }, FG_OPT_EUSAGE, "option '--str' needs a value (S)" },
		{ { "-n" }, FG_OPT_EUSAGE, "option '-n' needs a value (N)" },
		{ { "--mode" }, FG_OPT_EUSAGE, "needs a value (enforce|monitor)" },
		{ { "--flag=yes" }, FG_OPT_EUSAGE, "option '--flag' takes no value" },
		{ { "--num", "11" }, FG_OPT_EVALUE, "invalid --num '11': expected an integer 1..10" },
		{ { "--num", "0" }, FG_OPT_EVALUE, "expected an integer 1..10" },
		{ { "-n", "-1" }, FG_OPT_EVALUE, "invalid -n '-1'" },
		{ { "-n5x" }, FG_OPT_EVALUE, "invalid -n '5x'" },
		{ { "--num=" }, FG_OPT_EVALUE, "invalid --num ''" },
		{ { "--num", "99999999999" }, FG_OPT_EVALUE, "expected an integer 1..10" },
		{ { "-x", "6" }, FG_OPT_EVALUE, "invalid -x '6': expected an integer 0..5" },
		{ { "--mode", "Monitor" }, FG_OPT_EVALUE,
		  "invalid --mode 'Monitor': expected enforce or monitor" },
		{ { "--rate", "fast" }, FG_OPT_EVALUE, "invalid new-source budget 'fast'" },
	};

	for (size_t i = 0; i < FG_ARRAY_SIZE(cases); i++) {
		const char *words[6] = { "cmd" };
		struct run r;

		memcpy(words + 1, cases[i].words, sizeof(cases[i].words));
		parse(&r, words);
		ASSERT_EQ(r.ret, cases[i].ret, cases[i].msg);
		ASSERT_STRHAS(r.err, cases[i].msg, cases[i].words[0]);
	}
}

static char *help_text(const struct fg_opt *opts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fg_opts_help(f, opts, fg_opts_width(opts));
	fclose(f);
	return buf;
}

TEST(options_help_lists_every_option)
{
	char *h = help_text(t_table), first[128];

	for (const struct fg_opt *o = t_table; !fg_opt_is_end(o); o++) {
		char disp[64];

		ASSERT_STRHAS(h, fg_opt_display(o, disp, sizeof(disp)), "the option");
		snprintf(first, sizeof(first), "%.*s", (int)strcspn(o->help, "\n"), o->help);
		ASSERT_STRHAS(h, first, "its help");
	}
	ASSERT_EQ(fg_opts_width(t_table), strlen("--mode enforce|monitor"), "the widest");
	snprintf(first, sizeof(first), "  %-22s  a flag\n", "-f, --flag");
	ASSERT_STRHAS(h, first, "short and long, help in the column");
	snprintf(first, sizeof(first), "  %-22s  a number\n  %-22s  over two lines\n",
		 "-n, --num N", "");
	ASSERT_STRHAS(h, first, "a continuation line in the column");
	ASSERT_STRHAS(h, "  --mode enforce|monitor", "an enum's names as its value");
	ASSERT_STRHAS(h, "  -x X ", "a short-only option");
	free(h);
}

TEST(options_synopsis)
{
	char buf[256] = "cmd";

	fg_opts_synopsis(t_table, NULL, buf, sizeof(buf));
	ASSERT_STRHAS(buf, "cmd [--flag] [--str S] [--name NAME] [--mode enforce|monitor]",
		      "flags bare, values with their placeholder");
	ASSERT_TRUE(!strstr(buf, "--num"), "--num belongs to 'set' only");
	snprintf(buf, sizeof(buf), "cmd set");
	fg_opts_synopsis(t_table, "set", buf, sizeof(buf));
	ASSERT_STREQ(buf, "cmd set [--num N]", "only 'set's options");
}
