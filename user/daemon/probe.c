// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Active health probes (probe.h): TCP connect and HTTP GET on libcurl multi. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <curl/curl.h>

#include "breaker_machine.h"
#include "log.h"
#include "parse.h"
#include "probe.h"

#define NS_PER_MS 1000000ULL

/* Kept small: every wait walks all slots (1,000 upstreams: 80 KB, not 384). */
struct slot {
	enum fg_probe_kind kind;
	__u64 next_ns;      /* next start */
	__u64 early_ns;     /* may start this much before next_ns (early_ns()) */
	int busy;
	__u64 start_ns, deadline_ns;
	int fd;             /* TCP probe in flight */
	CURL *easy;         /* HTTP probe in flight */
	int idx;            /* the upstream's index in the daemon */
	char *url;          /* HTTP probes only */
};

struct fg_prober {
	CURLM *multi;
	struct slot *s;
	int n;
	__u32 mark;
	int mark_warned;
	struct curl_waitfd *wfd; /* scratch for curl_multi_poll */
	struct pollfd *pfd;      /* scratch for the probes' own poll */
	int *wslot;              /* scratch: the slot of each probe fd in wfd */
	int cap;
};

struct fg_prober *fg_prober_new(char *err, size_t errlen)
{
	struct fg_prober *p;

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, errlen, "Failed to initialise libcurl");
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p)
		p->multi = curl_multi_init();
	if (!p || !p->multi) {
		free(p);
		snprintf(err, errlen, "Failed to initialise libcurl's multi interface");
		return NULL;
	}
	return p;
}

static void cancel(struct fg_prober *p, struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->easy) {
		curl_multi_remove_handle(p->multi, s->easy);
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
	}
	s->busy = 0;
}

void fg_prober_free(struct fg_prober *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n; i++) {
		cancel(p, &p->s[i]);
		free(p->s[i].url);
	}
	curl_multi_cleanup(p->multi);
	curl_global_cleanup();
	free(p->s);
	free(p->wfd);
	free(p->pfd);
	free(p->wslot);
	free(p);
}

static void set_mark(struct fg_prober *p, int fd)
{
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &p->mark, sizeof(p->mark)) && !p->mark_warned++)
		pr_warn("Failed to set SO_MARK on probe sockets: %s (probes cannot pass an "
			"open breaker)\n", strerror(errno));
}

/*
 * A probe due within 1% of its interval starts with the wakeup at hand, so
 * with many upstreams one wakeup starts a batch of probes rather than each
 * its own (1,000 upstreams probed every second: ~100 wakeups a second, not
 * 1,000, each with its syscalls and context switch). The next one is
 * planned from the time this one was due, so the interval stays exact on
 * average; a late start (a probe still busy, a slow loop) plans from now.
 */
static __u64 early_ns(const struct fg_upstream_cfg *c)
{
	return c->interval_ns / 100;
}

int fg_prober_sync(struct fg_prober *p, struct fg_daemon *d, __u64 now)
{
	struct slot *s;

	for (int i = 0; i < p->n; i++)
		cancel(p, &p->s[i]);
	s = calloc(d->n_ups + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (int i = 0; i < p->n; i++)
		free(p->s[i].url);
	free(p->s);
	p->s = s;
	p->n = d->n_ups;
	p->mark = d->cfg.daemon.probe_mark;
	for (int i = 0; i < p->n; i++) {
		struct fg_upstream_cfg *c = &d->ups[i].cfg;
		char ep[64], url[320];

		s[i].fd = -1;
		s[i].idx = i;
		s[i].kind = c->probe;
		if (c->probe != FG_PROBE_NONE && c->proto != IPPROTO_TCP) {
			pr_warn("upstream %s: %s probes need a TCP upstream; not probing it\n",
				c->name, c->probe == FG_PROBE_TCP ? "tcp" : "http");
			s[i].kind = FG_PROBE_NONE;
		}
		s[i].early_ns = early_ns(c);
		/* Spread the first probes over the first interval. */
		s[i].next_ns = now + fg_daemon_rand(d) % (c->interval_ns ? c->interval_ns : 1);
		if (s[i].kind != FG_PROBE_HTTP)
			continue;
		fg_format_endpoint(c->addr, c->port, ep, sizeof(ep));
		snprintf(url, sizeof(url), "http://%s%s", ep, c->probe_path);
		s[i].url = strdup(url);
		if (!s[i].url) {
			pr_warn("upstream %s: out of memory; not probing it\n", c->name);
			s[i].kind = FG_PROBE_NONE;
		}
	}
	return 0;
}

static void schedule_next(struct fg_daemon *d, struct slot *s)
{
	const struct fg_upstream_cfg *c = &d->ups[s->idx].cfg;
	__u64 base = s->next_ns > s->start_ns ? s->next_ns : s->start_ns;

	s->next_ns = base + fg_jitter(c->interval_ns, c->jitter_pct, fg_daemon_rand, d);
}

static void finish(struct fg_prober *p, struct fg_daemon *d, struct slot *s, int pass,
		   const char *detail, __u64 now)
{
	cancel(p, s);
	fg_daemon_probe_result(d, s->idx, pass, now - s->start_ns, detail);
}

static int sockopt_cb(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	if (purpose == CURLSOCKTYPE_IPCXN)
		set_mark(clientp, fd);
	return CURL_SOCKOPT_OK;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	return size * nmemb;
}

static void start_http(struct fg_prober *p, struct fg_daemon *d, struct slot *s, __u64 now)
{
	const struct fg_upstream_cfg *c = &d->ups[s->idx].cfg;
	long ms = c->timeout_ns / NS_PER_MS ? c->timeout_ns / NS_PER_MS : 1;
	CURL *e = curl_easy_init();

	if (!e) {
		finish(p, d, s, 0, "curl_easy_init failed", now);
		return;
	}
	curl_easy_setopt(e, CURLOPT_URL, s->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms);
	curl_easy_setopt(e, CURLOPT_PROXY, "");  /* never through $http_proxy */
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "floodgated/" FG_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, p);
	if (curl_multi_add_handle(p->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		finish(p, d, s, 0, "curl_multi_add_handle failed", now);
		return;
	}
	s->easy = e;
}

static void start_tcp(struct fg_prober *p, struct fg_daemon *d, struct slot *s, __u64 now)
{
	const struct fg_upstream_cfg *c = &d->ups[s->idx].cfg;
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd;

	if (fg_is_v4_mapped(c->addr)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, c->addr + 12, 4);
		sin->sin_port = htons(c->port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, c->addr, 16);
		sin6->sin6_port = htons(c->port);
		len = sizeof(*sin6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		finish(p, d, s, 0, strerror(errno), now);
		return;
	}
	set_mark(p, fd);
	s->fd = fd;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		finish(p, d, s, 1, NULL, now);
	else if (errno != EINPROGRESS)
		finish(p, d, s, 0, strerror(errno), now);
}

static void start_due(struct fg_prober *p, struct fg_daemon *d, __u64 now)
{
	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->s[i];

		if (s->kind == FG_PROBE_NONE || s->busy || now + s->early_ns < s->next_ns)
			continue;
		s->busy = 1;
		s->start_ns = now;
		s->deadline_ns = now + d->ups[i].cfg.timeout_ns;
		schedule_next(d, s);
		if (s->kind == FG_PROBE_HTTP)
			start_http(p, d, s, now);
		else
			start_tcp(p, d, s, now);
	}
}

static void http_done(struct fg_prober *p, struct fg_daemon *d, __u64 now)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(p->multi, &left))) {
		struct slot *s = NULL;
		char detail[128];
		long code = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		if (!s)
			continue;
		if (msg->data.result != CURLE_OK) {
			snprintf(detail, sizeof(detail), "%s", curl_easy_strerror(msg->data.result));
			finish(p, d, s, 0, detail, now);
			continue;
		}
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		snprintf(detail, sizeof(detail), "HTTP %ld", code);
		finish(p, d, s,
		       code >= d->ups[s->idx].cfg.expect_lo && code <= d->ups[s->idx].cfg.expect_hi,
		       detail, now);
	}
}

/* Make room for n caller fds plus every TCP probe. */
static int scratch(struct fg_prober *p, int n)
{
	int want = n + p->n + 1;

	if (want <= p->cap)
		return 0;
	free(p->wfd);
	free(p->pfd);
	free(p->wslot);
	p->wfd = calloc(want, sizeof(*p->wfd));
	p->pfd = calloc(want, sizeof(*p->pfd));
	p->wslot = calloc(want, sizeof(*p->wslot));
	if (!p->wfd || !p->pfd || !p->wslot) {
		p->cap = 0;
		return -ENOMEM;
	}
	p->cap = want;
	return 0;
}

int fg_prober_wait(struct fg_prober *p, struct fg_daemon *d, struct pollfd *fds, int n,
		   int timeout_ms)
{
	__u64 now = fg_now_ns(), until = now + (__u64)timeout_ms * NS_PER_MS;
	int m = 0, running, numfds;

	if (scratch(p, n))
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		p->wfd[m++] = (struct curl_waitfd){ .fd = fds[i].fd, .events = fds[i].events };
	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->s[i];

		if (s->kind != FG_PROBE_NONE && !s->busy && s->next_ns < until)
			until = s->next_ns;
		if (s->busy && s->fd >= 0) {
			p->wslot[m] = i;
			p->wfd[m++] = (struct curl_waitfd){ .fd = s->fd,
							    .events = CURL_WAIT_POLLIN |
								      CURL_WAIT_POLLOUT };
			if (s->deadline_ns < until)
				until = s->deadline_ns;
		}
	}
	timeout_ms = until > now ? (until - now + NS_PER_MS - 1) / NS_PER_MS : 0;
	curl_multi_poll(p->multi, p->wfd, m, timeout_ms, &numfds);

	/* curl reports only IN/OUT/PRI: ask the kernel for the real revents. */
	for (int i = 0; i < m; i++)
		p->pfd[i] = (struct pollfd){ .fd = p->wfd[i].fd, .events = p->wfd[i].events };
	if (m && poll(p->pfd, m, 0) < 0)
		for (int i = 0; i < m; i++)
			p->pfd[i].revents = 0;
	for (int i = 0; i < n; i++)
		fds[i].revents = p->pfd[i].revents;

	curl_multi_perform(p->multi, &running);
	now = fg_now_ns();
	http_done(p, d, now);
	for (int k = n; k < m; k++) {
		struct slot *s = &p->s[p->wslot[k]];
		int err = 0;
		socklen_t len = sizeof(err);

		if (!s->busy || s->fd != p->pfd[k].fd || !p->pfd[k].revents)
			continue;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (!err && !(p->pfd[k].revents & (POLLERR | POLLHUP)))
			finish(p, d, s, 1, NULL, now);
		else
			finish(p, d, s, 0, strerror(err ? err : ECONNRESET), now);
	}
	/* TCP probes past their deadline; libcurl times out its own. */
	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->s[i];

		if (s->busy && s->fd >= 0 && now >= s->deadline_ns)
			finish(p, d, s, 0, "timeout", now);
		else if (s->busy && s->easy && now >= s->deadline_ns + 1000 * NS_PER_MS)
			finish(p, d, s, 0, "timeout (libcurl did not end it)", now);
	}
	start_due(p, d, now);
	/* A fresh HTTP probe connects at once rather than at the next wait. */
	curl_multi_perform(p->multi, &running);
	return 0;
}
