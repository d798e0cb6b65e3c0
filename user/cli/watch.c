// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* --watch: the refresh loop, the terminal's mode and the signals (watch.h). */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"
#include "watch.h"

#define CLEAR_EOL "\033[K"
#define CLEAR_EOS "\033[J"
#define HOME "\033[H"
#define CURSOR_OFF "\033[?25l"
#define CURSOR_ON "\033[?25h"

int fg_watch_check(const struct fg_ctx *ctx, const struct fg_watch_opts *o, __u64 *interval_ns)
{
	const char *s = o->interval ? o->interval : FG_WATCH_DEFAULT;
	char buf[32];
	int r;

	if (!o->watch && (o->interval || o->count))
		return fg_fail("%s needs --watch", o->interval ? "--interval" : "--count");
	if (o->watch && ctx->json)
		return fg_fail("--watch shows text: leave out --json, or drop --watch for one JSON snapshot");
	/* A bare number is seconds, as in top -d and watch -n. */
	if (strspn(s, "0123456789") == strlen(s) && strlen(s) < sizeof(buf) - 1) {
		snprintf(buf, sizeof(buf), "%ss", s);
		s = buf;
	}
	r = fg_parse_duration(s, interval_ns);
	if (!r && (*interval_ns < FG_WATCH_MIN_NS || *interval_ns > FG_WATCH_MAX_NS))
		r = -ERANGE;
	if (r)
		return fg_fail("invalid --interval '%s': expected a duration from 100ms to 1h "
			       "(N seconds, or N with ms, s, m or h)", o->interval);
	return 0;
}

void fg_format_per_s(double v, int known, char *buf, size_t len)
{
	if (!known)
		snprintf(buf, len, "-");
	else if (v < 9999.5)
		snprintf(buf, len, "%.0f", v);
	else if (v < 999950)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.2fM", v / 1e6);
}

/*
 * The terminal as found, and the signals seen: file scope because the
 * handlers need them. One watch loop runs per process.
 */
static struct termios saved_tio;
static volatile sig_atomic_t raw_on, quit_sig, resized;

/* Keys one at a time, unechoed; ISIG stays so Ctrl-C and Ctrl-Z still
 * signal, OPOST so '\n' still returns the carriage. Async-signal-safe. */
static void raw_enter(void)
{
	struct termios t = saved_tio;

	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSADRAIN, &t)) {
		raw_on = 1;
		(void)!write(STDOUT_FILENO, CURSOR_OFF, strlen(CURSOR_OFF));
	}
}

/* Async-signal-safe: tcsetattr and write only. */
static void raw_leave(void)
{
	if (!raw_on)
		return;
	tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
	(void)!write(STDOUT_FILENO, CURSOR_ON, strlen(CURSOR_ON));
	raw_on = 0;
}

static void on_quit(int sig)
{
	quit_sig = sig;
}

static void on_winch(int sig)
{
	resized = 1;
}

/* Ctrl-Z: give the shell its terminal back, stop, and take raw mode again
 * on SIGCONT (the handler resumes after raise() returns). */
static void on_tstp(int sig)
{
	int was = raw_on, saved = errno;
	sigset_t m;

	raw_leave();
	signal(SIGTSTP, SIG_DFL);
	sigemptyset(&m);
	sigaddset(&m, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	raise(SIGTSTP);
	signal(SIGTSTP, on_tstp);
	if (was)
		raw_enter();
	resized = 1; /* redraw: the shell wrote over the frame */
	errno = saved;
}

/* Handlers for the loop's signals, blocked outside ppoll so none is missed
 * between a check and the wait; old gets the mask to restore. */
static void signals_take(sigset_t *old)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	struct sigaction sa = { 0 };
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sa.sa_handler = sigs[i] == SIGWINCH ? on_winch : on_quit;
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&block, sigs[i]);
	}
	sa.sa_handler = on_tstp;
	sigaction(SIGTSTP, &sa, NULL);
	sigprocmask(SIG_BLOCK, &block, old);
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct screen {
	int tty;                 /* stdout is a terminal: draw in place */
	int keys;                /* stdin is too: read keys */
	unsigned int rows, cols; /* TIOCGWINSZ; 0 when unknown */
};

static void screen_size(struct screen *s)
{
	struct winsize ws;

	s->rows = s->cols = 0;
	if (s->tty && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws)) {
		s->rows = ws.ws_row;
		s->cols = ws.ws_col;
	}
}

/* A frame on a terminal: each line cut to the width, at most rows lines,
 * the last without '\n' so the window never scrolls. */
static void show_tty(const struct screen *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	unsigned int row = 0;

	fputs(HOME, stdout);
	while (p < end && (!s->rows || row < s->rows)) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (row)
			fputs("\n", stdout);
		fwrite(p, 1, s->cols && n > s->cols ? s->cols : n, stdout);
		fputs(CLEAR_EOL, stdout);
		row++;
		p += n + 1;
	}
	fputs(CLEAR_EOS, stdout);
	fflush(stdout);
}

static void show(const struct screen *s, const char *buf, size_t len)
{
	if (s->tty) {
		show_tty(s, buf, len);
		return;
	}
	fwrite(buf, 1, len, stdout);
	fputs("\n", stdout); /* a blank line between frames */
	fflush(stdout);
}

enum wake { WAKE_TIME, WAKE_QUIT, WAKE_REDRAW };

/* Wait until deadline (CLOCK_MONOTONIC ns), a key or a signal. */
static enum wake wait_until(const struct screen *s, __u64 deadline, const sigset_t *mask)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

	for (;;) {
		__u64 now = mono_ns();
		struct timespec ts;
		char c;
		int r;

		if (quit_sig)
			return WAKE_QUIT;
		if (resized)
			return WAKE_REDRAW;
		if (now >= deadline)
			return WAKE_TIME;
		ts.tv_sec = (deadline - now) / 1000000000ULL;
		ts.tv_nsec = (deadline - now) % 1000000000ULL;
		r = ppoll(&pfd, s->keys ? 1 : 0, &ts, mask);
		if (r < 0 && errno != EINTR)
			return WAKE_QUIT;
		if (r <= 0 || !(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (read(STDIN_FILENO, &c, 1) != 1 || c == 'q' || c == 'Q')
			return WAKE_QUIT; /* q, or the terminal went away */
		if (c == ' ' || c == '\f') /* space, Ctrl-L: now */
			return WAKE_TIME;
	}
}

/* Sample, draw into a buffer, show it; 0 or the command's error. */
static int frame(const struct screen *s, fg_frame_fn draw, void *state, double dt,
		 const char *title, __u64 interval_ns, char **buf, size_t *len)
{
	char when[16], every[32];
	time_t t = time(NULL);
	FILE *f;
	int r;

	free(*buf);
	*buf = NULL;
	f = open_memstream(buf, len);
	if (!f)
		return fg_fail("out of memory");
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	if (interval_ns % 1000000000ULL)
		snprintf(every, sizeof(every), "%llums", (unsigned long long)(interval_ns / 1000000));
	else
		snprintf(every, sizeof(every), "%llus", (unsigned long long)(interval_ns / 1000000000));
	fprintf(f, "floodgate %s - %s, every %s%s\n", title, when, every,
		s->keys ? " (q quits)" : "");
	r = draw(state, &(struct fg_frame){ .out = f, .dt_s = dt, .cols = s->cols });
	if (fclose(f))
		return fg_fail("out of memory");
	if (!r)
		show(s, *buf, *len);
	return r;
}

/* The loop itself, signals taken and the terminal raw if it is one. */
static int watch_loop(struct screen *s, const struct fg_watch_opts *o, __u64 interval_ns,
		      const char *title, fg_frame_fn draw, void *state, const sigset_t *mask)
{
	__u64 last = 0, next = mono_ns();
	char *buf = NULL;
	size_t len = 0;
	int r = 0;

	for (__u32 n = 0; !o->count || n < o->count;) {
		enum wake w = n ? wait_until(s, next, mask) : WAKE_TIME;
		__u64 now;

		if (w == WAKE_QUIT)
			break;
		if (w == WAKE_REDRAW) { /* a new size, or back from Ctrl-Z: the same frame */
			resized = 0;
			screen_size(s);
			if (s->tty && buf) {
				fputs(HOME CLEAR_EOS, stdout);
				show(s, buf, len);
			}
			continue;
		}
		now = mono_ns();
		r = frame(s, draw, state, last ? (now - last) / 1e9 : 0, title, interval_ns, &buf,
			  &len);
		if (r)
			break;
		last = now;
		next = now + interval_ns;
		n++;
	}
	free(buf);
	return r;
}

int fg_watch_run(const struct fg_watch_opts *o, __u64 interval_ns, const char *title,
		 fg_frame_fn draw, void *state)
{
	struct screen s = { .tty = isatty(STDOUT_FILENO) };
	sigset_t mask;
	int r;

	s.keys = s.tty && isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &saved_tio);
	screen_size(&s);
	signals_take(&mask);
	if (s.keys)
		raw_enter();
	if (s.tty)
		fputs(HOME CLEAR_EOS, stdout);
	r = watch_loop(&s, o, interval_ns, title, draw, state, &mask);
	if (s.tty)
		fputs("\n", stdout);
	fflush(stdout);
	raw_leave();
	if (quit_sig == SIGTERM || quit_sig == SIGHUP) {
		/* Die of it, as the sender expects, now that the terminal is back. */
		signal(quit_sig, SIG_DFL);
		sigprocmask(SIG_SETMASK, &mask, NULL);
		raise(quit_sig);
	}
	return r;
}
