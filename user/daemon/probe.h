/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Active probes: TCP connect and HTTP GET, all non-blocking on the daemon's
 * one loop, so a slow upstream never delays another. TCP probes are plain
 * non-blocking sockets; HTTP probes run on libcurl's multi interface, whose
 * curl_multi_poll() is the loop's only wait (it also waits on the caller's
 * fds: signals, control socket).
 *
 * Every probe socket carries SO_MARK = [daemon] probe_mark, which the TC
 * programs let through a breaker in any state, without spending a half-open
 * permit: an open breaker can still learn that its upstream recovered.
 *
 * Each upstream is probed every interval, +-jitter%, first at a random point
 * of its first interval; a probe not done within timeout fails. Each result
 * is handed to the daemon (fg_daemon_probe_result), which feeds it to the
 * breaker as one outcome: a pass is a success, a fail a failure when
 * "probe" is in failure_classes. The datapath observes the probes' own
 * connections too (SYN-ACK, RST, HTTP status), so one probe usually counts
 * twice: once as its result, once passively. Thresholds (consecutive
 * failures, successes_to_close) are reached in about half as many probes.
 */
#ifndef FG_PROBE_H
#define FG_PROBE_H

#include <poll.h>
#include "daemon.h"

struct fg_prober;

struct fg_prober *fg_prober_new(char *err, size_t errlen);
void fg_prober_free(struct fg_prober *p);
/* After the daemon's upstreams changed: cancel probes in flight, schedule
 * every upstream afresh. */
int fg_prober_sync(struct fg_prober *p, struct fg_daemon *d, __u64 now);
/*
 * Wait at most timeout_ms for the caller's fds (revents filled in as poll
 * does), the probes' sockets and libcurl; then finish probes that are done
 * or late, and start the ones that are due.
 */
int fg_prober_wait(struct fg_prober *p, struct fg_daemon *d, struct pollfd *fds, int n,
		   int timeout_ms);

#endif /* FG_PROBE_H */
