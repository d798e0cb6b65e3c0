// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The fleet client (fleet.h): a non-blocking hiredis context driven from
 * the daemon's poll loop, one request in flight at a time. */
#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fleet.h"
#include "fleet_share_io.h"
#include "fleet_vote.h"
#include "log.h"

#define NS_PER_MS 1000000ULL
#define BACKOFF_MAX_NS (1000 * NS_PER_MS)

/* The sync (fleet.h). KEYS[1]: the site's member set; ARGV: key prefix,
 * this node, its votes, their TTL in ms. */
static const char sync_script[] =
	"local prefix, me = ARGV[1], ARGV[2]\n"
	"redis.call('SET', prefix .. me, ARGV[3], 'PX', ARGV[4])\n"
	"redis.call('SADD', KEYS[1], me)\n"
	"local out = {}\n"
	"for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
	"  local v = redis.call('GET', prefix .. n)\n"
	"  if v then out[#out + 1] = n; out[#out + 1] = v\n"
	"  else redis.call('SREM', KEYS[1], n) end\n"
	"end\n"
	"return out\n";

enum fleet_state { FLEET_DOWN = 0, FLEET_CONNECTING, FLEET_READY, FLEET_BUSY };

struct fg_fleet {
	struct fg_fleet_cfg cfg;   /* what the link was made for */
	redisContext *c;
	enum fleet_state st;
	enum fg_fleet_op op;       /* in flight (CONNECTING, BUSY) */
	__u64 deadline_ns;         /* of the request in flight */
	__u64 retry_ns;            /* DOWN: connect again then */
	__u64 next_sync_ns;        /* READY: sync then */
	__u64 connect_t0_ns;       /* CONNECTING: when the connect started */
	__u64 connect_rtt_ns;      /* how long the last good connect took (0: none yet) */
	int write_done;            /* BUSY: the request is all written */
	int failing;               /* an error was logged; said again when it works */
	char *votes;
	size_t cap;
};

static const char *const op_names[FG_FLEET_OP_MAX] = { "connect", "auth", "sync" };

struct fg_fleet *fg_fleet_new(void)
{
	return calloc(1, sizeof(struct fg_fleet));
}

static void drop(struct fg_fleet *f)
{
	if (f->c)
		redisFree(f->c);
	f->c = NULL;
	f->st = FLEET_DOWN;
}

void fg_fleet_free(struct fg_fleet *f)
{
	if (!f)
		return;
	drop(f);
	free(f->votes);
	free(f);
}

static __u64 timeout_ns(const struct fg_fleet *f)
{
	return f->cfg.stale_ns / 2;
}

/*
 * A connect's deadline. A SYN lost while Redis was unreachable is sent
 * again by the kernel only after a second or more: a fresh connect every
 * sync finds a Redis that came back sooner. Once a connect has worked, its
 * time says how far Redis is: eight times that, at least a sync, at most
 * half of stale (until then, half of stale).
 */
static __u64 connect_timeout_ns(const struct fg_fleet *f)
{
	__u64 t = 8 * f->connect_rtt_ns, lo = f->cfg.sync_ns, hi = timeout_ns(f);

	if (!f->connect_rtt_ns)
		return hi;
	t = t < lo ? lo : t;
	return t > hi ? hi : t;
}

/*
 * The wait before a connect after a failure: half a sync, so the fleet is
 * whole again within about a sync of Redis answering (the node's first
 * sync, then the others' next). An attempt costs Redis one SYN: 20 a
 * second per node at sync = 100 ms. At most 1 s.
 */
static __u64 backoff_max_ns(const struct fg_fleet *f)
{
	__u64 half = f->cfg.sync_ns / 2;

	return half < BACKOFF_MAX_NS ? half : BACKOFF_MAX_NS;
}

/* op failed (why): counted, said once per outage, the link closed, and a
 * reconnect after the backoff (backoff_max_ns). */
static void fail(struct fg_fleet *f, struct fg_daemon *d, enum fg_fleet_op op, const char *why,
		 __u64 now)
{
	d->fleet.errors[op]++;
	d->metrics_dirty = 1;
	if (!f->failing++)
		pr_warn("fleet: %s to Redis failed: %s; retrying every %llu ms\n",
			op_names[op], why, (unsigned long long)(backoff_max_ns(f) / NS_PER_MS));
	drop(f);
	f->retry_ns = now + backoff_max_ns(f);
}

static void connect_start(struct fg_fleet *f, struct fg_daemon *d, __u64 now)
{
	f->c = f->cfg.unix_socket ? redisConnectUnixNonBlock(f->cfg.path)
				  : redisConnectNonBlock(f->cfg.host, f->cfg.port);
	if (!f->c || f->c->err) {
		char why[160];

		snprintf(why, sizeof(why), "%s", f->c ? f->c->errstr : "out of memory");
		fail(f, d, FG_FLEET_OP_CONNECT, why, now);
		return;
	}
	f->st = FLEET_CONNECTING;
	f->op = FG_FLEET_OP_CONNECT;
	f->connect_t0_ns = now;
	f->deadline_ns = now + connect_timeout_ns(f);
}

/* A request of argc arguments is queued; poll says when it can be written. */
static void send_argv(struct fg_fleet *f, enum fg_fleet_op op, int argc, const char **argv,
		      const size_t *len, __u64 now)
{
	redisAppendCommandArgv(f->c, argc, argv, len);
	f->st = FLEET_BUSY;
	f->op = op;
	f->write_done = 0;
	f->deadline_ns = now + timeout_ns(f);
}

/* password_file's first line: "PASSWORD" or "USER PASSWORD" (Redis ACL). */
static int send_auth(struct fg_fleet *f, struct fg_daemon *d, __u64 now)
{
	char line[512], *sp;
	const char *argv[3] = { "AUTH" };
	size_t len[3] = { 4 };
	FILE *pf = fopen(f->cfg.password_file, "re");
	int argc = 1;

	if (!pf || !fgets(line, sizeof(line), pf)) {
		snprintf(line, sizeof(line), "%s: %s", f->cfg.password_file,
			 pf ? "empty" : strerror(errno));
		if (pf)
			fclose(pf);
		fail(f, d, FG_FLEET_OP_AUTH, line, now);
		return -1;
	}
	fclose(pf);
	line[strcspn(line, "\r\n")] = 0;
	sp = strchr(line, ' ');
	if (sp) {
		*sp = 0;
		argv[argc] = line;
		len[argc++] = strlen(line);
	}
	argv[argc] = sp ? sp + 1 : line;
	len[argc] = strlen(argv[argc]);
	send_argv(f, FG_FLEET_OP_AUTH, argc + 1, argv, len, now);
	return 0;
}

/* The socket became writable: connected, or refused (SO_ERROR says). */
static void connected(struct fg_fleet *f, struct fg_daemon *d, __u64 now)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(f->c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) || err) {
		fail(f, d, FG_FLEET_OP_CONNECT, strerror(err ? err : errno), now);
		return;
	}
	f->connect_rtt_ns = now > f->connect_t0_ns ? now - f->connect_t0_ns : 1;
	if (f->cfg.password_file[0]) {
		send_auth(f, d, now);
		return;
	}
	f->st = FLEET_READY;
	f->next_sync_ns = now;
}

/* This node's votes, then its hot sources' lines (fleet_share.h), into
 * buf: the length, or -E2BIG. One announcement carries both, so a sync is
 * still one key and one round trip; a node of an older version skips the
 * '+' lines as votes that do not parse. */
static int encode(const struct fg_daemon *d, __u64 now, char *buf, size_t cap)
{
	int n = fg_votes_encode(d, now, buf, cap), m;

	if (n < 0)
		return n;
	m = fg_shares_publish(d, buf + n, cap - n);
	return m < 0 ? m : n + m;
}

/* This node's votes and hot sources into the sync script's request. */
static int send_sync(struct fg_fleet *f, struct fg_daemon *d, __u64 now)
{
	char members[96], prefix[96], ttl[24];
	const char *argv[8];
	size_t len[8];
	int n;

	fg_shares_collect(d, now);
	while (!f->votes || (n = encode(d, now, f->votes, f->cap)) < 0) {
		size_t cap = f->cap ? f->cap * 2 : 4096;
		char *nv = realloc(f->votes, cap);

		if (!nv) {
			fail(f, d, FG_FLEET_OP_SYNC, "out of memory", now);
			return -1;
		}
		f->votes = nv;
		f->cap = cap;
	}
	/* The site in braces: a Redis Cluster hash tag, so every key of a site
	 * is in one slot and the script may touch them all. */
	snprintf(members, sizeof(members), "floodgate:{%s}:nodes", f->cfg.site);
	snprintf(prefix, sizeof(prefix), "floodgate:{%s}:node:", f->cfg.site);
	snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)(f->cfg.stale_ns / NS_PER_MS));
	argv[0] = "EVAL", argv[1] = sync_script, argv[2] = "1", argv[3] = members;
	argv[4] = prefix, argv[5] = f->cfg.node, argv[6] = f->votes, argv[7] = ttl;
	for (int i = 0; i < 8; i++)
		len[i] = i == 6 ? (size_t)n : strlen(argv[i]);
	send_argv(f, FG_FLEET_OP_SYNC, 8, argv, len, now);
	f->next_sync_ns = now + f->cfg.sync_ns;
	return 0;
}

/* The sync's reply: [node, votes, node, votes, ...] of the live nodes. */
static void synced(struct fg_fleet *f, struct fg_daemon *d, const redisReply *r, __u64 now)
{
	__u32 nodes = 1; /* this one, whatever the reply says */

	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		fail(f, d, FG_FLEET_OP_SYNC, "unexpected reply", now);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		/* First count the other nodes (the quorum depends on it), then
		 * add their votes. */
		if (pass) {
			fg_fleet_begin(d, nodes, now);
			fg_shares_reply_begin(d);
		}
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			const redisReply *n = r->element[i], *v = r->element[i + 1];

			if (n->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
			    !strcmp(n->str, f->cfg.node))
				continue;
			if (pass) {
				fg_fleet_add(d, v->str, v->len);
				fg_shares_reply_add(d, v->str, v->len);
			} else
				nodes++;
		}
	}
	fg_fleet_end(d, now);
	fg_shares_apply(d, now);
	if (f->failing)
		pr_info("fleet: Redis answers again (after %d failed attempt(s))\n", f->failing);
	f->failing = 0;
}

/* A reply to the request in flight. */
static void answered(struct fg_fleet *f, struct fg_daemon *d, redisReply *r, __u64 now)
{
	if (r->type == REDIS_REPLY_ERROR) {
		char why[200];

		snprintf(why, sizeof(why), "%.*s", (int)r->len, r->str);
		fail(f, d, f->op, why, now);
		return;
	}
	f->st = FLEET_READY;
	if (f->op == FG_FLEET_OP_AUTH)
		f->next_sync_ns = now;
	else
		synced(f, d, r, now);
}

/* Write what is queued, read what came; at most one reply is awaited. */
static void io(struct fg_fleet *f, struct fg_daemon *d, short revents, __u64 now)
{
	void *reply = NULL;

	if (!f->write_done && redisBufferWrite(f->c, &f->write_done) != REDIS_OK) {
		fail(f, d, f->op, f->c->errstr, now);
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (redisBufferRead(f->c) != REDIS_OK || redisGetReplyFromReader(f->c, &reply) != REDIS_OK) {
		fail(f, d, f->op, f->c->errstr[0] ? f->c->errstr : "connection closed", now);
		return;
	}
	if (reply) {
		answered(f, d, reply, now);
		freeReplyObject(reply);
	}
}

int fg_fleet_pollfd(const struct fg_fleet *f, struct pollfd *p, __u64 *next_ns)
{
	__u64 due = f->st == FLEET_DOWN ? f->retry_ns
		    : f->st == FLEET_READY ? f->next_sync_ns : f->deadline_ns;

	if (!f->cfg.enabled)
		return 0;
	if (due < *next_ns)
		*next_ns = due;
	if (!f->c)
		return 0;
	*p = (struct pollfd){ .fd = f->c->fd, .events = POLLIN };
	if (f->st == FLEET_CONNECTING || (f->st == FLEET_BUSY && !f->write_done))
		p->events |= POLLOUT;
	return 1;
}

/* The request in flight got no answer in time: the link is reset. */
static void past_deadline(struct fg_fleet *f, struct fg_daemon *d, __u64 now)
{
	enum fg_fleet_op op = f->op;
	__u64 t = op == FG_FLEET_OP_CONNECT ? connect_timeout_ns(f) : timeout_ns(f);
	char why[64];

	snprintf(why, sizeof(why), "no answer within %llu ms", (unsigned long long)(t / NS_PER_MS));
	fail(f, d, op, why, now);
	/* A connect that timed out has waited already: a fresh one now. */
	if (op == FG_FLEET_OP_CONNECT)
		f->retry_ns = now;
}

void fg_fleet_run(struct fg_fleet *f, struct fg_daemon *d, short revents, __u64 now)
{
	if (memcmp(&f->cfg, &d->cfg.fleet, sizeof(f->cfg))) {
		/* A reload changed [fleet]: start over with the new one. */
		drop(f);
		f->cfg = d->cfg.fleet;
		f->retry_ns = now;
		f->connect_rtt_ns = 0;
		f->failing = 0;
		if (f->cfg.enabled)
			pr_info("fleet: site %s, node %s, Redis at %s%s%s%.0d, sync %llu ms, "
				"stale %llu ms\n", f->cfg.site, f->cfg.node,
				f->cfg.unix_socket ? "unix:" : "",
				f->cfg.unix_socket ? f->cfg.path : f->cfg.host,
				f->cfg.unix_socket ? "" : " port ", f->cfg.port,
				(unsigned long long)(f->cfg.sync_ns / NS_PER_MS),
				(unsigned long long)(f->cfg.stale_ns / NS_PER_MS));
	}
	if (!f->cfg.enabled)
		return;
	switch (f->st) {
	case FLEET_DOWN:
		if (now >= f->retry_ns)
			connect_start(f, d, now);
		break;
	case FLEET_CONNECTING:
		if (revents)
			connected(f, d, now);
		break;
	case FLEET_READY:
		if (revents & (POLLIN | POLLHUP | POLLERR)) /* nothing asked: closed */
			fail(f, d, FG_FLEET_OP_SYNC, "connection closed by Redis", now);
		else if (now >= f->next_sync_ns)
			send_sync(f, d, now);
		break;
	case FLEET_BUSY:
		io(f, d, revents, now);
		break;
	}
	if ((f->st == FLEET_CONNECTING || f->st == FLEET_BUSY) && now >= f->deadline_ns)
		past_deadline(f, d, now);
}
