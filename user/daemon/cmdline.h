/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* floodgated's command-line options (getopt_long), apart from its main so
 * the manual's test can read them. */
#ifndef FG_CMDLINE_H
#define FG_CMDLINE_H

#include <getopt.h>

extern const struct option fg_daemon_options[]; /* {} ends them */
extern const char fg_daemon_shortopts[];

#endif /* FG_CMDLINE_H */
