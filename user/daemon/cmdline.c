// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgated's command-line options (cmdline.h); parsed in floodgated.c. */
#include <stddef.h>

#include "cmdline.h"

const struct option fg_daemon_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "check-config", no_argument, NULL, 't' },
	{ "config-test", no_argument, NULL, 't' }, /* keepalived's name */
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

const char fg_daemon_shortopts[] = "c:ftvVh";
