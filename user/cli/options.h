/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Declarative options. A command describes its options in a table: name,
 * type, where the value goes (offsetof into the command's options struct)
 * and help. fg_opts_parse parses argv against one or more such tables
 * before the command runs; fg_opts_help and fg_opts_synopsis print the same
 * tables as the command's --help, so the two cannot disagree.
 *
 * Options and operands may come in any order; "--" ends the options.
 * Long options take "--name VALUE" or "--name=VALUE" and may be shortened
 * to any unambiguous prefix; short ones "-n VALUE", "-nVALUE", and flags
 * group ("-vh").
 */
#ifndef FG_CLI_OPTIONS_H
#define FG_CLI_OPTIONS_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

enum fg_opt_type {
	FG_OPT_FLAG, /* int, set to 1 */
	FG_OPT_HELP, /* int, set to 1, and parsing stops there */
	FG_OPT_STR,  /* const char *: the value as typed */
	FG_OPT_U32,  /* __u32 within min..max */
	FG_OPT_ENUM, /* int: the value's index in names (NULL slots never match) */
	FG_OPT_RATE, /* struct fg_opt_rate: RATE or off (fg_parse_new_sources) */
};

struct fg_opt_rate {
	int set; /* given */
	__u64 interval_ns; /* 0: off */
	__u32 burst;       /* one second of RATE */
};

struct fg_opt {
	const char *name;  /* long name without "--", or NULL (short only); a
			    * table ends with an entry of neither name */
	char short_name;   /* 0: none */
	enum fg_opt_type type;
	size_t off;        /* offsetof the value in the table's target */
	const char *arg;   /* the value in help: "N", "DIR"; NULL: enums their names */
	const char *help;  /* '\n' starts a continuation line */
	__u32 min, max;    /* FG_OPT_U32 */
	const char *const *names; /* FG_OPT_ENUM, by value */
	size_t n_names;
	const char *only;  /* the one subcommand it applies to; NULL: every one */
};

#define FG_OPT_END { NULL, 0, FG_OPT_FLAG, 0, NULL, NULL, 0, 0, NULL, 0, NULL }

static inline int fg_opt_is_end(const struct fg_opt *o)
{
	return !o->name && !o->short_name;
}

/* A table and the struct its values go into. */
struct fg_optset {
	const struct fg_opt *opts;
	void *target;
};

#define FG_OPTSETS_MAX 4

struct fg_parsed {
	int argc;    /* the operands, in order, argv[0] (the command) left out */
	char **argv; /* into the caller's argv, whose order is changed */
	int help;    /* an FG_OPT_HELP option was given */
	/* seen[s] bit i: sets[s].opts[i] was given (tables of at most 64) */
	__u64 seen[FG_OPTSETS_MAX];
};

/* What fg_opts_parse returns besides 0: the command's exit code. */
#define FG_OPT_EVALUE 1 /* a value out of range or not one of the names */
#define FG_OPT_EUSAGE 2 /* an unknown option, a missing value, a value on a flag */

/*
 * Parse argv[1..argc-1] against nsets tables. Returns 0, or one of the
 * codes above with a one-line reason in err naming the option.
 */
int fg_opts_parse(const struct fg_optset *sets, int nsets, int argc, char **argv,
		  struct fg_parsed *out, char *err, size_t errlen);

/* "--name" or, for a short-only option, "-n". */
const char *fg_opt_display(const struct fg_opt *o, char *buf, size_t len);
/* " [--burst N] [--no-tc]": the options whose only is only (NULL: those
 * with no only), appended to buf. */
void fg_opts_synopsis(const struct fg_opt *opts, const char *only, char *buf, size_t len);
/* The width of the widest left column ("-v, --verbose", "--burst N"). */
int fg_opts_width(const struct fg_opt *opts);
/* One line per option (more for '\n' in its help), the help in a column
 * after width (fg_opts_width, or the widest of several tables). */
void fg_opts_help(FILE *out, const struct fg_opt *opts, int width);

#endif /* FG_CLI_OPTIONS_H */
