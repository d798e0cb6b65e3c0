/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* The floodgate CLI: shared context, option helpers and the commands. */
#ifndef FG_CLI_H
#define FG_CLI_H

#include <getopt.h>

struct fg_ctx {
	const char *pin_dir; /* --pin-dir, FLOODGATE_PIN_DIR, or the default */
	int json;            /* --json */
	const char *socket;  /* --socket, FLOODGATE_SOCKET: floodgated's control socket */
};

struct fg_cmd {
	const char *name;
	int (*run)(struct fg_ctx *ctx, int argc, char **argv);
	const char *usage; /* synopsis and option list, printed by --help */
	const char *summary;
};

/* Every command accepts these; OPT_COMMON goes first in its option table. */
enum { OPT_PIN_DIR = 1000, OPT_JSON, OPT_HELP, OPT_VERBOSE, OPT_SOCKET };
#define OPT_COMMON                                                 \
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },       \
	{ "json", no_argument, NULL, OPT_JSON },                   \
	{ "socket", required_argument, NULL, OPT_SOCKET },         \
	{ "help", no_argument, NULL, 'h' },                        \
	{ "verbose", no_argument, NULL, 'v' }

/*
 * getopt_long over a command's arguments. Handles the common options itself;
 * returns the next command-specific option, -1 at the end, or '?' after
 * printing a one-line error. --help prints usage and exits 0.
 */
int fg_getopt(struct fg_ctx *ctx, const struct fg_cmd *cmd, int argc, char **argv,
	      const char *shortopts, const struct option *longopts);
/*
 * Send one command line to floodgated. Returns 0 with its "ok ..." reply,
 * 1 with its "error ..." reply (both without the prefix word), or -errno
 * when no daemon answers (the caller then writes the maps itself).
 */
int fg_ctl_request(const char *path, const char *line, char *reply, size_t len);

/* Print "floodgate: <msg>" to stderr; returns 1 (the exit code). */
int fg_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Exactly n positional arguments left after options, else a usage error. */
int fg_want_args(const struct fg_cmd *cmd, int argc, char **argv, int min, int max);

int cmd_attach(struct fg_ctx *ctx, int argc, char **argv);
int cmd_detach(struct fg_ctx *ctx, int argc, char **argv);
int cmd_status(struct fg_ctx *ctx, int argc, char **argv);
int cmd_mode(struct fg_ctx *ctx, int argc, char **argv);
int cmd_limit(struct fg_ctx *ctx, int argc, char **argv);
int cmd_top(struct fg_ctx *ctx, int argc, char **argv);
int cmd_stats(struct fg_ctx *ctx, int argc, char **argv);
int cmd_upstream(struct fg_ctx *ctx, int argc, char **argv);

extern const struct fg_cmd fg_cmds[];
const struct fg_cmd *fg_find_cmd(const char *name);

#endif /* FG_CLI_H */
