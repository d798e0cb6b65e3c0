/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * --watch for top and stats: refresh a view every interval like top(1).
 * The command draws a frame into a stream; the loop shows it (on a
 * terminal: from the top left, each line cut to the window, no more lines
 * than the window has; elsewhere: as printed, frame after frame), then
 * waits for the interval, a key or a signal. q or Ctrl-C quits with 0;
 * the terminal's mode is restored on every way out.
 */
#ifndef FG_CLI_WATCH_H
#define FG_CLI_WATCH_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "cli.h"

struct fg_watch_opts {
	int watch;            /* --watch */
	const char *interval; /* --interval DURATION; NULL: not given */
	__u32 count;          /* --count N; 0: not given (until q) */
};

/* The three options, for a command whose options struct is T with a
 * struct fg_watch_opts named m. */
#define FG_WATCH_OPTS(T, m)                                                          \
	{ .name = "watch", .type = FG_OPT_FLAG, .off = offsetof(T, m.watch),         \
	  .help = "refresh every interval with per-second rates; q or Ctrl-C quits" },       \
	{ .name = "interval", .type = FG_OPT_STR, .off = offsetof(T, m.interval),    \
	  .arg = "DURATION", .help = "between refreshes (default 1s; 100ms to 1h)" },        \
	{ .name = "count", .type = FG_OPT_U32, .off = offsetof(T, m.count),          \
	  .arg = "N", .help = "stop after N refreshes", .min = 1, .max = 100000000 }

#define FG_WATCH_MIN_NS (100 * 1000000ULL)       /* a map walk per refresh: no faster */
#define FG_WATCH_MAX_NS (3600 * 1000000000ULL)
#define FG_WATCH_DEFAULT "1s"

/*
 * Check the options against each other and parse the interval: 0, or 1
 * after a one-line error (--interval out of range or not a duration,
 * --interval or --count without --watch, --watch with --json).
 */
int fg_watch_check(const struct fg_ctx *ctx, const struct fg_watch_opts *o, __u64 *interval_ns);

struct fg_frame {
	FILE *out;         /* draw here */
	double dt_s;       /* seconds since the last frame's sample; 0: the first */
	unsigned int cols; /* the window's width (0: not a terminal) */
};

/* Draws one frame; 0, or 1 after a one-line error (the loop ends with 1). */
typedef int (*fg_frame_fn)(void *state, struct fg_frame *f);

/* Show frames until q, Ctrl-C, SIGTERM/SIGHUP, --count or an error; the
 * exit code (a SIGTERM or SIGHUP is raised again once the terminal is back). */
int fg_watch_run(const struct fg_watch_opts *o, __u64 interval_ns, const char *title,
		 fg_frame_fn draw, void *state);

/* "12.3k", "512", "-": a per-second rate in 6 columns' worth. */
void fg_format_per_s(double v, int known, char *buf, size_t len);

#endif /* FG_CLI_WATCH_H */
