// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floodgate __complete: the command tables as lines, for the bash
 * completion (floodgate.bash) and the manual's test. Hidden from --help.
 *   cmd NAME [OPERAND...]
 *   sub CMD NAME [OPERAND...]
 *   opt CMD|* SUB|* NAME ARG [VALUE...]
 * NAME is --long or -s (an option with both has a line for each); ARG is
 * '-' for a flag, else the value's placeholder, and VALUE... an enum's names.
 * CMD '*': every command's (the common options); SUB '*': every subcommand's.
 */
#include <stdio.h>

#include "cli.h"

static void opt_line(FILE *out, const char *cmd, const struct fg_opt *o, const char *name)
{
	int flag = o->type == FG_OPT_FLAG || o->type == FG_OPT_HELP;

	fprintf(out, "opt %s %s %s %s", cmd, o->only ? o->only : "*", name,
		flag ? "-" : o->arg ? o->arg : "VALUE");
	for (size_t i = 0; o->type == FG_OPT_ENUM && i < o->n_names; i++)
		if (o->names[i])
			fprintf(out, " %s", o->names[i]);
	fputc('\n', out);
}

static void opt_lines(FILE *out, const char *cmd, const struct fg_opt *opts)
{
	for (const struct fg_opt *o = opts; o && !fg_opt_is_end(o); o++) {
		char name[64];

		if (o->name) {
			snprintf(name, sizeof(name), "--%s", o->name);
			opt_line(out, cmd, o, name);
		}
		if (o->short_name) {
			snprintf(name, sizeof(name), "-%c", o->short_name);
			opt_line(out, cmd, o, name);
		}
	}
}

/* " IFACE" or "": a usage's operands, after a space. */
static const char *sp(const char *operands)
{
	return operands && *operands ? " " : "";
}

int fg_complete(FILE *out)
{
	for (const struct fg_cmd *const *c = fg_cmds; *c; c++) {
		const struct fg_cmd *cmd = *c;

		fprintf(out, "cmd %s%s%s\n", cmd->name, sp(cmd->operands),
			cmd->operands ? cmd->operands : "");
		for (const struct fg_sub *s = cmd->subs; s && s->name; s++)
			fprintf(out, "sub %s %s%s%s\n", cmd->name, s->name, sp(s->operands),
				s->operands ? s->operands : "");
		opt_lines(out, cmd->name, cmd->opts);
	}
	opt_lines(out, "*", fg_common_opts);
	return ferror(out) ? 1 : 0;
}
