/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* limit load and save (cmd_limit_file.c), run from limit's table (cmd_limit.c). */
#ifndef FG_CMD_LIMIT_H
#define FG_CMD_LIMIT_H

#include "cli.h"

/* a->argv[0]: the file, "-" for stdin; dry: print the plan, write nothing. */
int fg_limit_run_load(struct fg_ctx *ctx, const struct fg_args *a, int dry);
int fg_limit_run_save(struct fg_ctx *ctx, const struct fg_args *a);

#endif /* FG_CMD_LIMIT_H */
