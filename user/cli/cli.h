/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* The floodgate CLI: the command table, the shared context and helpers. */
#ifndef FG_CLI_H
#define FG_CLI_H

#include <stddef.h>
#include "maps.h"
#include "options.h"

/* The common options' target (fg_common_opts), and what every command sees. */
struct fg_ctx {
	const char *pin_dir; /* --pin-dir, FLOODGATE_PIN_DIR, or the default */
	int json;            /* --json */
	const char *socket;  /* --socket, FLOODGATE_SOCKET: floodgated's control socket */
	int help;            /* -h, --help */
	int verbose;         /* -v, --verbose */
};

/* What a command (or subcommand) runs with, its options parsed. */
struct fg_args {
	void *opts;  /* the command's options struct (fg_cmd.opts_size bytes) */
	int argc;    /* operands after the command and subcommand names */
	char **argv;
	int arg;     /* fg_sub.arg */
};

typedef int (*fg_run_fn)(struct fg_ctx *ctx, const struct fg_args *a);

struct fg_sub {
	const char *name;
	const char *operands; /* in usage: "PREFIX RATE" */
	int min_args, max_args;
	fg_run_fn run;
	int arg;              /* handed to run: an action, a force */
};

struct fg_cmd {
	const char *name;
	const char *summary;  /* one line, in floodgate --help */
	const char *about;    /* the command's --help after the usage lines */
	const struct fg_opt *opts; /* FG_OPT_END-terminated; NULL: none */
	size_t opts_size;     /* sizeof the options struct opts fill */
	const void *defaults; /* its initial value; NULL: zeros */
	/* Without subcommands: */
	const char *operands;
	int min_args, max_args;
	fg_run_fn run;
	/* Or with: {} ends them. */
	const struct fg_sub *subs;
};

extern const struct fg_opt fg_common_opts[];
extern const struct fg_cmd fg_cmd_attach, fg_cmd_detach, fg_cmd_status, fg_cmd_mode,
	fg_cmd_limit, fg_cmd_top, fg_cmd_stats, fg_cmd_upstream;
/* Every command, NULL-terminated (floodgate.c). */
extern const struct fg_cmd *const fg_cmds[];

/* Parse argv (argv[0]: the command's name) and run cmd: its exit code. */
int fg_cmd_run(const struct fg_cmd *cmd, struct fg_ctx *ctx, int argc, char **argv);
/* cmd's --help, from its tables. */
void fg_cmd_help(FILE *out, const struct fg_cmd *cmd);

/* floodgate __complete: the tables as lines (complete.c); its exit code. */
int fg_complete(FILE *out);

/* Print "floodgate: <msg>" to stderr; returns 1 (the exit code). */
int fg_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Open the pinned maps and, when lock is not NULL, take the pin dir's lock
 * into *lock. Returns 0, or -1 after a one-line error (nothing held).
 * fg_cli_close undoes it (lock -1: none held).
 */
int fg_cli_open(struct fg_ctx *ctx, struct fg_maps *m, int *lock);
void fg_cli_close(struct fg_maps *m, int lock);

/*
 * Send one command line to floodgated. Returns 0 with its "ok ..." reply,
 * 1 with its "error ..." reply (both without the prefix word), or -errno
 * when no daemon answers (the caller then writes the maps itself).
 */
int fg_ctl_request(const char *path, const char *line, char *reply, size_t len);

#endif /* FG_CLI_H */
