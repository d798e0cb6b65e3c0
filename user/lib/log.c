// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Leveled logging (log.h), and libbpf's messages routed through it. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum fg_log_level log_level = FG_LOG_INFO;
static enum fg_log_style log_style = FG_LOG_STYLE_PLAIN;

void fg_log_set_style(enum fg_log_style style)
{
	log_style = style;
}

static void prefix(enum fg_log_level lvl)
{
	static const char *const names[] = { "WARN", "INFO", "DEBUG" };
	static const int syslog_levels[] = { 4, 6, 7 }; /* warning, info, debug */
	int i = lvl < FG_LOG_DEBUG ? (int)lvl : FG_LOG_DEBUG;
	struct timespec ts;
	struct tm tm;
	char buf[32];

	if (log_style == FG_LOG_STYLE_JOURNAL) {
		fprintf(stderr, "<%d>", syslog_levels[i]);
	} else if (log_style == FG_LOG_STYLE_STAMP) {
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %-5s ", buf, ts.tv_nsec / 1000000, names[i]);
	}
}

void fg_log_set_level(enum fg_log_level lvl)
{
	log_level = lvl;
}

static void vlog(enum fg_log_level lvl, const char *fmt, va_list ap)
{
	if (lvl > log_level)
		return;
	prefix(lvl);
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
