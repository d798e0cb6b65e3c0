/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Leveled logging to stderr; libbpf's own output is routed one level lower. */
#ifndef FG_LOG_H
#define FG_LOG_H

enum fg_log_level { FG_LOG_WARN = 0, FG_LOG_INFO, FG_LOG_DEBUG };

/* How a line starts: nothing (the CLI), a time and level (the daemon in a
 * terminal), or a <N> syslog level that journald reads (under systemd). */
enum fg_log_style { FG_LOG_STYLE_PLAIN = 0, FG_LOG_STYLE_STAMP, FG_LOG_STYLE_JOURNAL };

void fg_log_set_level(enum fg_log_level lvl);
void fg_log_set_style(enum fg_log_style style);
void fg_log(enum fg_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Route libbpf messages through fg_log (warnings become debug noise). */
void fg_log_hook_libbpf(void);

#define pr_warn(...) fg_log(FG_LOG_WARN, __VA_ARGS__)
#define pr_info(...) fg_log(FG_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) fg_log(FG_LOG_DEBUG, __VA_ARGS__)

#endif /* FG_LOG_H */
