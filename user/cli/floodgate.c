// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate: attach the datapath and drive its maps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "floodgate_kern_user.h"
#include "parse.h"

#define CTX(f) offsetof(struct fg_ctx, f)

/* Every command takes these (their values go into struct fg_ctx). */
const struct fg_opt fg_common_opts[] = {
	{ .name = "pin-dir", .type = FG_OPT_STR, .off = CTX(pin_dir), .arg = "DIR",
	  .help = "where maps and links are pinned (default " FG_DEFAULT_PIN_DIR ",\n"
	  "or $FLOODGATE_PIN_DIR)" },
	{ .name = "json", .type = FG_OPT_FLAG, .off = CTX(json), .help = "machine-readable output" },
	{ .name = "socket", .type = FG_OPT_STR, .off = CTX(socket), .arg = "PATH",
	  .help = "floodgated's control socket (default " FG_DEFAULT_SOCKET ",\n"
	  "or $FLOODGATE_SOCKET); used by upstream open/close/auto" },
	{ .name = "verbose", .short_name = 'v', .type = FG_OPT_FLAG, .off = CTX(verbose),
	  .help = "show libbpf's messages" },
	{ .name = "help", .short_name = 'h', .type = FG_OPT_HELP, .off = CTX(help),
	  .help = "this help" },
	FG_OPT_END,
};

const struct fg_cmd *const fg_cmds[] = {
	&fg_cmd_attach, &fg_cmd_detach, &fg_cmd_status,   &fg_cmd_mode,
	&fg_cmd_limit,  &fg_cmd_top,    &fg_cmd_stats,    &fg_cmd_upstream,
	NULL,
};

int fg_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("floodgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: floodgate COMMAND [ARGS] [--pin-dir DIR] [--json]\n\n"
		"floodgate guards services at the kernel's edge: XDP per-source rate limits\n"
		"and upstream circuit breakers, driven through pinned BPF maps.\n\nCommands:\n");
	for (const struct fg_cmd *const *c = fg_cmds; *c; c++)
		fprintf(out, "  %-8s %s\n", (*c)->name, (*c)->summary);
	fprintf(out, "\nRun 'floodgate COMMAND --help' for a command's arguments.\n"
		     "Example:\n"
		     "  floodgate attach eth0\n"
		     "  floodgate limit set 0.0.0.0/0 200/s --burst 50\n"
		     "  floodgate limit allow 198.18.10.0/24\n"
		     "  floodgate top\n");
}

static const char *env_or(const char *name, const char *def)
{
	const char *env = getenv(name);

	return env && *env ? env : def;
}

int main(int argc, char **argv)
{
	struct fg_ctx ctx = {
		.pin_dir = env_or("FLOODGATE_PIN_DIR", FG_DEFAULT_PIN_DIR),
		.socket = env_or("FLOODGATE_SOCKET", FG_DEFAULT_SOCKET),
	};

	fg_log_hook_libbpf();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "__complete"))
		return fg_complete(stdout);
	for (const struct fg_cmd *const *c = fg_cmds; *c; c++)
		/* The command sees argv[0] = its own name, like a program of its own. */
		if (!strcmp((*c)->name, argv[1]))
			return fg_cmd_run(*c, &ctx, argc - 1, argv + 1);
	return fg_fail("unknown command '%s' (run 'floodgate --help')", argv[1]);
}
