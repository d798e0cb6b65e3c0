// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Running a command from its table (cli.h): options parsed against the
 * command's and the common table, the subcommand picked from its table,
 * operands counted; and the command's --help, printed from the same tables.
 */
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "names.h"
#include "parse.h"

#define OPTS_MAX 256 /* the largest options struct a command may have */
#define SUBS_MAX 16

static const struct fg_opt no_opts[] = { FG_OPT_END };

static const struct fg_opt *cmd_opts(const struct fg_cmd *cmd)
{
	return cmd->opts ? cmd->opts : no_opts;
}

/* "set, allow, deny, del or list" */
static void sub_names(const struct fg_cmd *cmd, char *buf, size_t len)
{
	const char *names[SUBS_MAX];
	size_t n = 0;

	for (const struct fg_sub *s = cmd->subs; s->name && n < SUBS_MAX; s++)
		names[n++] = s->name;
	fg_names_join(names, n, ", ", " or ", buf, len);
}

/* "limit set PREFIX RATE [--burst N] ...": one usage line. */
static void synopsis(const struct fg_cmd *cmd, const struct fg_sub *sub, char *buf, size_t len)
{
	const char *operands = sub ? sub->operands : cmd->operands;

	snprintf(buf, len, "%s%s%s%s%s", cmd->name, sub ? " " : "", sub ? sub->name : "",
		 operands && *operands ? " " : "", operands ? operands : "");
	fg_opts_synopsis(cmd_opts(cmd), NULL, buf, len);
	if (sub)
		fg_opts_synopsis(cmd_opts(cmd), sub->name, buf, len);
}

void fg_cmd_help(FILE *out, const struct fg_cmd *cmd)
{
	const struct fg_sub *s = cmd->subs;
	int w = fg_opts_width(fg_common_opts), wc = fg_opts_width(cmd_opts(cmd));
	char line[512];

	do {
		synopsis(cmd, s && s->name ? s : NULL, line, sizeof(line));
		fprintf(out, "%s floodgate %s\n", s == cmd->subs ? "Usage:" : "      ", line);
	} while (s && (++s)->name);
	fputs(cmd->about ? cmd->about : "", out);
	w = wc > w ? wc : w;
	if (cmd->opts) {
		fprintf(out, "Options:\n");
		fg_opts_help(out, cmd->opts, w);
	}
	fprintf(out, "Common options:\n");
	fg_opts_help(out, fg_common_opts, w);
}

/* An option given that belongs to another subcommand: a one-line error. */
static int check_only(const struct fg_cmd *cmd, const struct fg_sub *sub, __u64 seen)
{
	const struct fg_opt *opts = cmd_opts(cmd);
	const char *only = NULL;
	char list[256] = "", disp[64];
	int n = 0, k = 0;

	for (int i = 0; i < 64 && !fg_opt_is_end(&opts[i]) && !only; i++)
		if (seen & (1ULL << i) && opts[i].only && strcmp(opts[i].only, sub->name))
			only = opts[i].only;
	if (!only)
		return 0;
	for (int i = 0; !fg_opt_is_end(&opts[i]); i++)
		n += opts[i].only && !strcmp(opts[i].only, only);
	for (int i = 0; !fg_opt_is_end(&opts[i]); i++) /* "--burst, --per and --new-sources" */
		if (opts[i].only && !strcmp(opts[i].only, only))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 !k++ ? "" : k < n ? ", " : " and ",
				 fg_opt_display(&opts[i], disp, sizeof(disp)));
	return fg_fail("%s %s: %s %s to '%s %s' only", cmd->name, sub->name, list,
		       n > 1 ? "apply" : "applies", cmd->name, only);
}

/* Take the subcommand off p's operands. */
static int pick_sub(const struct fg_cmd *cmd, struct fg_parsed *p, const struct fg_sub **out)
{
	const struct fg_sub *s;
	char names[128];

	sub_names(cmd, names, sizeof(names));
	if (!p->argc)
		return fg_fail("%s: missing subcommand: %s", cmd->name, names);
	for (s = cmd->subs; s->name && strcmp(s->name, p->argv[0]); s++)
		;
	if (!s->name)
		return fg_fail("%s: unknown subcommand '%s': expected %s", cmd->name, p->argv[0],
			       names);
	p->argc--;
	p->argv++;
	*out = s;
	return check_only(cmd, s, p->seen[0]);
}

static int check_operands(const struct fg_cmd *cmd, const struct fg_sub *sub, int argc,
			  char **argv)
{
	int min = sub ? sub->min_args : cmd->min_args, max = sub ? sub->max_args : cmd->max_args;
	char line[512];

	if (argc < min) {
		synopsis(cmd, sub, line, sizeof(line));
		fg_fail("%s: missing argument (usage: floodgate %s)", cmd->name, line);
		return 2;
	}
	if (argc > max) {
		fg_fail("%s: unexpected argument '%s'", cmd->name, argv[max]);
		return 2;
	}
	return 0;
}

int fg_cmd_run(const struct fg_cmd *cmd, struct fg_ctx *ctx, int argc, char **argv)
{
	alignas(max_align_t) unsigned char opts[OPTS_MAX] = { 0 };
	const struct fg_optset sets[] = { { cmd_opts(cmd), opts }, { fg_common_opts, ctx } };
	const struct fg_sub *sub = NULL;
	char err[FG_ERR_LEN];
	struct fg_parsed p;
	struct fg_args a;
	int r;

	if (cmd->opts_size > sizeof(opts))
		return fg_fail("%s: options struct too large", cmd->name);
	if (cmd->defaults)
		memcpy(opts, cmd->defaults, cmd->opts_size);
	r = fg_opts_parse(sets, 2, argc, argv, &p, err, sizeof(err));
	if (r == FG_OPT_EUSAGE) {
		fg_fail("%s: %s (run 'floodgate %s --help')", cmd->name, err, cmd->name);
		return 2;
	}
	if (r)
		return fg_fail("%s", err);
	if (ctx->help) {
		fg_cmd_help(stdout, cmd);
		return 0;
	}
	if (ctx->verbose)
		fg_log_set_level(FG_LOG_DEBUG);
	if (cmd->subs && (r = pick_sub(cmd, &p, &sub)))
		return r;
	if ((r = check_operands(cmd, sub, p.argc, p.argv)))
		return r;
	a = (struct fg_args){ .opts = opts, .argc = p.argc, .argv = p.argv, .arg = sub ? sub->arg : 0 };
	return (sub ? sub->run : cmd->run)(ctx, &a);
}
