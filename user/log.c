// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum fg_log_level log_level = FG_LOG_INFO;

void fg_log_set_level(enum fg_log_level lvl)
{
	log_level = lvl;
}

static void vlog(enum fg_log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > log_level)
		return;
	vfprintf(stderr, fmt, ap);
}

void fg_log(enum fg_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf warns about things we handle (e.g. probing features):
	 * show them only with --verbose. */
	vlog(level == LIBBPF_WARN ? FG_LOG_DEBUG : FG_LOG_DEBUG + 1, fmt, ap);
	return 0;
}

void fg_log_hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
