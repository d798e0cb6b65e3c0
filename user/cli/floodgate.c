// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate: attach the datapath and drive its maps. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "floodgate_kern_user.h"
#include "parse.h"

#define COMMON_OPTS                                                                     \
	"  --pin-dir DIR   where maps and links are pinned (default " FG_DEFAULT_PIN_DIR \
	",\n"                                                                           \
	"                  or $FLOODGATE_PIN_DIR)\n"                                     \
	"  --json          machine-readable output\n"                                    \
	"  --socket PATH   floodgated's control socket (default " FG_DEFAULT_SOCKET ",\n" \
	"                  or $FLOODGATE_SOCKET); used by upstream open/close/auto\n"  \
	"  -v, --verbose   show libbpf's messages\n"

const struct fg_cmd fg_cmds[] = {
	{ "attach", cmd_attach,
	  "attach IFACE [--xdp-mode auto|native|generic] [--hook xdp|tc] [--no-tc]\n"
	  "             [--ipv6-prefix LEN]\n"
	  "  Load floodgate and attach it to IFACE. Maps and the link are pinned, so the\n"
	  "  command exits and traffic stays guarded; attaching again is harmless.\n"
	  "  --xdp-mode MODE    native (driver), generic (skb), or auto: native, else\n"
	  "                     generic (default auto)\n"
	  "  --hook tc          run the per-source limits at TCX ingress instead of XDP:\n"
	  "                     cheaper on veth and other virtual interfaces, where XDP\n"
	  "                     copies every frame (default xdp; breakers of forwarded\n"
	  "                     traffic are then enforced by TC egress upstream-side)\n"
	  "  --no-tc            no TC observer / egress programs (breakers of locally\n"
	  "                     originated connections and passive observation need them)\n"
	  "  --ipv6-prefix LEN  bucket IPv6 sources by this prefix, 1..128 (default 64;\n"
	  "                     applies to the whole pin dir)\n" COMMON_OPTS,
	  "load and attach to an interface" },
	{ "detach", cmd_detach,
	  "detach IFACE\n"
	  "  Remove floodgate from IFACE; with no interface left, remove every pin.\n" COMMON_OPTS,
	  "detach from an interface" },
	{ "status", cmd_status,
	  "status [--json]\n"
	  "  Interfaces, mode, policy count, tracked sources, verdict totals.\n" COMMON_OPTS,
	  "show what is attached and how it is doing" },
	{ "mode", cmd_mode,
	  "mode [enforce|monitor]\n"
	  "  enforce drops; monitor passes what limits and denies would drop and counts\n"
	  "  it (monitor_*); breakers are enforced in both modes.\n"
	  "  Without an argument, print the current mode.\n" COMMON_OPTS,
	  "switch between enforcing and monitoring" },
	{ "limit", cmd_limit,
	  "limit set PREFIX RATE [--burst N] [--per source|prefix] [--new-sources RATE|off]\n"
	  "      limit allow PREFIX | limit deny PREFIX | limit del PREFIX\n"
	  "      limit list [--json]\n"
	  "  PREFIX  IPv4 or IPv6 address with optional /len: 198.18.0.0/15, 2001:db8::/32;\n"
	  "          0.0.0.0/0 and ::/0 set the default. Longest prefix wins.\n"
	  "  RATE    N/s, N/m or N/h, N with optional k or M: 200/s, 10k/s, 30/m\n"
	  "  --burst N          packets a source may send at once (default: one second of\n"
	  "                     RATE, at least 1)\n"
	  "  --per source       a bucket per source address (IPv6: per /64 by default)\n"
	  "  --per prefix       one bucket shared by the whole prefix\n"
	  "  --new-sources RATE sources without a bucket get one at most at RATE (default\n"
	  "                     " FG_NEW_SOURCES_DEFAULT "); the rest share one bucket at RATE; off: no budget\n"
	  "  A policy longer than the IPv6 bucket prefix holds for exactly its addresses.\n"
	  COMMON_OPTS,
	  "set, list and remove per-prefix policies" },
	{ "top", cmd_top,
	  "top [-n N] [--json]\n"
	  "  Sources under most pressure: how much of their burst they have used.\n"
	  "  -n N   how many to show (default 10)\n" COMMON_OPTS,
	  "sources closest to their limit" },
	{ "stats", cmd_stats,
	  "stats [--json]\n"
	  "  Packet counters by verdict and reason, summed over CPUs.\n" COMMON_OPTS,
	  "datapath counters" },
	{ "upstream", cmd_upstream,
	  "upstream add NAME ADDR:PORT [--proto tcp|udp] [--reject drop|reset]\n"
	  "                   [--reset-rate N]\n"
	  "      upstream del NAME | upstream list [--json]\n"
	  "      upstream open NAME | close NAME | auto NAME\n"
	  "  A circuit breaker per upstream. Traffic to an open breaker is refused:\n"
	  "  --reject drop   silently (default)\n"
	  "  --reject reset  a TCP SYN gets a RST at once, so connect() fails fast;\n"
	  "                  at most --reset-rate RSTs/s (default 1000), the rest\n"
	  "                  dropped; never to a broadcast, multicast, loopback or\n"
	  "                  unspecified source, nor answering a RST\n"
	  "  open / close force the breaker and hold, with or without the daemon;\n"
	  "  auto hands it back to floodgated. A breaker the daemon set fails open\n"
	  "  when the daemon's heartbeat goes stale.\n"
	  "  NAME: 1..31 of letters, digits, '_', '.', '-'. ADDR:PORT: 198.18.2.10:80,\n"
	  "  [2001:db8::10]:443\n" COMMON_OPTS,
	  "circuit breakers for upstreams" },
	{ NULL, NULL, NULL, NULL },
};

const struct fg_cmd *fg_find_cmd(const char *name)
{
	for (const struct fg_cmd *c = fg_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

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

static void usage_cmd(FILE *out, const struct fg_cmd *cmd)
{
	fprintf(out, "Usage: floodgate %s", cmd->usage);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: floodgate COMMAND [ARGS] [--pin-dir DIR] [--json]\n\n"
		"floodgate guards services at the kernel's edge: XDP per-source rate limits\n"
		"and upstream circuit breakers, driven through pinned BPF maps.\n\nCommands:\n");
	for (const struct fg_cmd *c = fg_cmds; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'floodgate COMMAND --help' for a command's arguments.\n"
		     "Example:\n"
		     "  floodgate attach eth0\n"
		     "  floodgate limit set 0.0.0.0/0 200/s --burst 50\n"
		     "  floodgate limit allow 198.18.10.0/24\n"
		     "  floodgate top\n");
}

int fg_getopt(struct fg_ctx *ctx, const struct fg_cmd *cmd, int argc, char **argv,
	      const char *shortopts, const struct option *longopts)
{
	int opt;

	for (;;) {
		opt = getopt_long(argc, argv, shortopts, longopts, NULL);
		switch (opt) {
		case OPT_PIN_DIR:
			ctx->pin_dir = optarg;
			continue;
		case OPT_JSON:
			ctx->json = 1;
			continue;
		case OPT_SOCKET:
			ctx->socket = optarg;
			continue;
		case 'v':
			fg_log_set_level(FG_LOG_DEBUG);
			continue;
		case 'h':
			usage_cmd(stdout, cmd);
			exit(0);
		case '?':
			fprintf(stderr, "Run 'floodgate %s --help' for usage.\n", cmd->name);
			return '?';
		default:
			return opt;
		}
	}
}

int fg_want_args(const struct fg_cmd *cmd, int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min) {
		fg_fail("%s: missing argument (usage: floodgate %.*s)", cmd->name,
			(int)strcspn(cmd->usage, "\n"), cmd->usage);
		return -1;
	}
	if (n > max) {
		fg_fail("%s: unexpected argument '%s'", cmd->name, argv[optind + max]);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fg_ctx ctx = { .pin_dir = FG_DEFAULT_PIN_DIR, .socket = FG_DEFAULT_SOCKET };
	const struct fg_cmd *cmd;
	const char *env = getenv("FLOODGATE_PIN_DIR");

	if (env && *env)
		ctx.pin_dir = env;
	env = getenv("FLOODGATE_SOCKET");
	if (env && *env)
		ctx.socket = env;
	fg_log_hook_libbpf();

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	cmd = fg_find_cmd(argv[1]);
	if (!cmd)
		return fg_fail("unknown command '%s' (run 'floodgate --help')", argv[1]);
	/* The command sees argv[0] = its own name, like a program of its own. */
	return cmd->run(&ctx, argc - 1, argv + 1);
}
