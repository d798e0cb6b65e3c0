// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The control socket protocol, as a client's bytes reach it: the input is
 * what one connection sends, read in chunks of sizes drawn from its first
 * byte (as recv() would cut it), split into lines by fg_ctl_split, each line
 * run by fg_ctl_exec against a daemon on the fake datapath (no maps) running a small
 * config, with a reload that fails as a bad config file would.
 *
 * Checked beyond memory errors and UB:
 *   - the lines handed over are those a plain model of the protocol finds
 *     (LF ends a line, a CR before it is cut, a NUL stalls the connection
 *     until the buffer fills, a full buffer with no line drops the client);
 *   - every reply is one line starting "ok" or "error" (list: "ok N" and N
 *     lines), and "ok" exactly when fg_ctl_exec returns 0.
 */
#include <errno.h>

#include "fuzz.h"
#include "config.h"
#include "ctl.h"
#include "fake_datapath.h"
#include "parse.h"

static const char good_cfg[] =
	"[daemon]\n"
	"pin_dir = /sys/fs/bpf/floodgate-fuzz\n"
	"[upstream web1]\n"
	"address = 198.18.2.10:80\n"
	"group = web\n"
	"[upstream web2]\n"
	"address = [2001:db8::11]:80\n"
	"group = web\n"
	"probe = http\n"
	"[policy 198.18.0.0/15]\n"
	"rate = 200/s\n";

static const char bad_cfg[] = "[upstream web1]\naddress = 198.18.2.10:0\n";

#define LINE_CAP (FG_CTL_LINE_MAX - 1) /* bytes the buffer holds, its NUL aside */

struct model {
	size_t *start, *len; /* of each line, in the stream */
	int n;
	int dropped;
	size_t pending; /* bytes kept when the stream ends */
};

struct run {
	const uint8_t *stream;
	struct model *m;
	int k; /* lines seen so far */
	struct fg_daemon *d;
	FILE *out;
	char **buf;
	size_t *buflen;
};

/* The protocol as a byte-at-a-time reader sees it. */
static void model(const uint8_t *s, size_t n, struct model *m)
{
	size_t start = 0;
	int stalled = 0;

	memset(m, 0, sizeof(*m));
	m->start = calloc(n + 1, sizeof(*m->start));
	m->len = calloc(n + 1, sizeof(*m->len));
	FUZZ_CHECK(m->start && m->len);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' && !stalled) {
			size_t len = i - start;

			if (len && s[i - 1] == '\r')
				len--;
			m->start[m->n] = start;
			m->len[m->n++] = len;
			start = i + 1;
		} else if (!s[i]) {
			stalled = 1; /* the buffer is a C string: nothing after it is seen */
		}
		if (i + 1 - start == LINE_CAP) {
			m->dropped = 1;
			return;
		}
	}
	m->pending = n - start;
}

static int reload_fails(void *ctx, char *err, size_t errlen)
{
	struct fg_cfg c;
	int ret = fg_cfg_load_buf("floodgated.conf", bad_cfg, sizeof(bad_cfg) - 1, &c, err, errlen);

	FUZZ_CHECK(ret);
	return ret;
}

static int count_lines(const char *r, size_t n)
{
	int lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += r[i] == '\n';
	return lines;
}

static void check_reply(const struct run *r, const char *line, const char *reply, size_t n,
			int ret)
{
	int ok = !strncmp(reply, "ok", 2) && (reply[2] == ' ' || reply[2] == '\n');
	char cmd[8];

	FUZZ_CHECK(n > 0 && reply[n - 1] == '\n' && strnlen(reply, n) == n);
	FUZZ_CHECK(ok || !strncmp(reply, "error ", 6));
	FUZZ_CHECK(ok == (ret == 0));
	if (ok && sscanf(line, "%7s", cmd) == 1 && !strcmp(cmd, "list"))
		FUZZ_CHECK(count_lines(reply, n) == 1 + r->d->n_ups);
	else
		FUZZ_CHECK(count_lines(reply, n) == 1);
}

static void on_line(void *arg, const char *line)
{
	struct run *r = arg;
	size_t before, len = strlen(line);
	int ret;

	FUZZ_CHECK(r->k < r->m->n);
	FUZZ_CHECK(len == r->m->len[r->k] &&
		   !memcmp(line, r->stream + r->m->start[r->k], len));
	r->k++;
	fflush(r->out);
	before = *r->buflen;
	ret = fg_ctl_exec(r->d, line, r->out, reload_fails, NULL);
	fflush(r->out);
	check_reply(r, line, *r->buf + before, *r->buflen - before, ret);
}

static void daemon_up(struct fg_daemon *d)
{
	char err[FG_ERR_LEN];
	struct fg_cfg c;

	fg_daemon_init(d, &fake_dp);
	d->rng = 1; /* the same jitter every run */
	FUZZ_CHECK(!fg_cfg_load_buf("fuzz.conf", good_cfg, sizeof(good_cfg) - 1, &c, err,
				    sizeof(err)));
	FUZZ_CHECK(!fg_daemon_apply_config(d, &c, 1, err, sizeof(err)));
	FUZZ_CHECK(d->n_ups == 2);
}

/* Feed the stream as recv() would, a chunk at a time, until it ends or the
 * client is dropped; returns whether it was. */
static int feed(struct fg_ctl_client *cl, const uint8_t *s, size_t n, uint8_t seed,
		struct run *r)
{
	unsigned int x = seed | 1;
	size_t pos = 0;

	while (pos < n) {
		size_t want, room = LINE_CAP - cl->len;

		x = x * 1103515245 + 12345;
		want = 1 + (x >> 16) % (seed & 0x80 ? 700 : 40);
		if (want > room)
			want = room;
		if (want > n - pos)
			want = n - pos;
		memcpy(cl->buf + cl->len, s + pos, want);
		pos += want;
		cl->len += want;
		cl->buf[cl->len] = 0;
		if (fg_ctl_split(cl, on_line, r) == -E2BIG)
			return 1;
	}
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* The daemon logs every forced breaker; the sanitizers and libFuzzer
	 * write to fd 2 (or their own FILE) and are not muted by this. */
	FILE *null = fopen("/dev/null", "w");

	if (null)
		stderr = null;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct model m;
	struct fg_ctl_client cl = { .fd = -1 };
	struct fg_daemon d;
	char *buf = NULL;
	size_t buflen = 0;
	struct run r = { .m = &m, .d = &d, .buf = &buf, .buflen = &buflen };
	int dropped;

	if (size < 1)
		return 0;
	r.stream = data + 1;
	model(r.stream, size - 1, &m);
	daemon_up(&d);
	r.out = open_memstream(&buf, &buflen);
	FUZZ_CHECK(r.out);
	dropped = feed(&cl, r.stream, size - 1, data[0], &r);
	FUZZ_CHECK(dropped == m.dropped && r.k == m.n);
	if (!dropped)
		FUZZ_CHECK(cl.len == m.pending);
	fclose(r.out);
	free(buf);
	free(m.start);
	free(m.len);
	fg_daemon_free(&d);
	return 0;
}
