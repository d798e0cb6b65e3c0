// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE /* mkostemp */
/* The Prometheus textfile (textfile.h): written whole, renamed into place. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datapath.h"
#include "fleet_share_io.h"
#include "textfile.h"
#include "pins.h"
#include "names.h" /* one spelling of a state, reason or verdict everywhere */


static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the exposition format wants. */
static void value(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void ups_label(FILE *f, const char *name, const struct fg_ups_rt *u)
{
	fprintf(f, "%s{upstream=", name);
	value(f, u->cfg.name);
}

static void ups_u64(FILE *f, const char *name, const struct fg_ups_rt *u, __u64 v)
{
	ups_label(f, name, u);
	fprintf(f, "} %llu\n", (unsigned long long)v);
}

static void breaker_metrics(FILE *f, const struct fg_daemon *d)
{
	family(f, "floodgate_breaker_state", "gauge",
	       "Breaker state of an upstream: 0 closed, 1 open, 2 half-open.");
	for (int i = 0; i < d->n_ups; i++) {
		ups_label(f, "floodgate_breaker_state", &d->ups[i]);
		fputs(",group=", f);
		value(f, d->ups[i].cfg.group);
		fprintf(f, "} %d\n", d->ups[i].brk.state);
	}
	family(f, "floodgate_breaker_forced", "gauge",
	       "1 while an operator holds the breaker open or closed (upstream open|close).");
	for (int i = 0; i < d->n_ups; i++)
		ups_u64(f, "floodgate_breaker_forced", &d->ups[i],
			d->ups[i].brk.force != FG_FORCE_AUTO);
	family(f, "floodgate_breaker_transitions_total", "counter",
	       "Breaker state changes since the daemon started, by from, to and reason.");
	for (int i = 0; i < d->n_ups; i++)
		for (int a = 0; a < 3; a++)
			for (int b = 0; b < 3; b++)
				for (int w = 0; w < FG_WHY_MAX; w++) {
					__u64 n = d->ups[i].m.transitions[a][b][w];

					if (!n)
						continue;
					ups_label(f, "floodgate_breaker_transitions_total",
						  &d->ups[i]);
					fprintf(f, ",from=\"%s\",to=\"%s\",reason=\"%s\"} %llu\n",
						fg_breaker_name(a), fg_breaker_name(b),
						fg_brk_reason_names[w], (unsigned long long)n);
				}
	family(f, "floodgate_breaker_opens_total", "counter",
	       "Times the breaker opened since the daemon started.");
	for (int i = 0; i < d->n_ups; i++)
		ups_u64(f, "floodgate_breaker_opens_total", &d->ups[i], d->ups[i].m.opens);
}

static void probe_metrics(FILE *f, const struct fg_daemon *d)
{
	family(f, "floodgate_probe_results_total", "counter",
	       "Active probe results since the daemon started, by result.");
	for (int i = 0; i < d->n_ups; i++) {
		const struct fg_ups_rt *u = &d->ups[i];

		if (u->cfg.probe == FG_PROBE_NONE)
			continue;
		ups_label(f, "floodgate_probe_results_total", u);
		fprintf(f, ",result=\"pass\"} %llu\n", (unsigned long long)u->m.probe_pass);
		ups_label(f, "floodgate_probe_results_total", u);
		fprintf(f, ",result=\"fail\"} %llu\n", (unsigned long long)u->m.probe_fail);
	}
	family(f, "floodgate_probe_duration_seconds", "gauge",
	       "Duration of the last active probe.");
	for (int i = 0; i < d->n_ups; i++) {
		const struct fg_ups_rt *u = &d->ups[i];

		if (u->cfg.probe == FG_PROBE_NONE || !u->m.probed)
			continue;
		ups_label(f, "floodgate_probe_duration_seconds", u);
		fprintf(f, "} %.6f\n", u->m.probe_last_ns / 1e9);
	}
	family(f, "floodgate_probe_up", "gauge",
	       "1 if the active probe passes (after rise passes in a row), 0 after fall failures.");
	for (int i = 0; i < d->n_ups; i++)
		if (d->ups[i].cfg.probe != FG_PROBE_NONE)
			ups_u64(f, "floodgate_probe_up", &d->ups[i], d->ups[i].probe_up);
}

/* What the breakers did to packets: refused, answered, withheld, let by. */
static void upstream_packet_metrics(FILE *f, const struct fg_daemon *d)
{
	family(f, "floodgate_upstream_rejected_packets_total", "counter",
	       "Packets to the upstream refused by its breaker.");
	for (int i = 0; i < d->n_ups; i++)
		ups_u64(f, "floodgate_upstream_rejected_packets_total", &d->ups[i],
			d->ups[i].m.c[FG_U_REJECTED]);
	family(f, "floodgate_upstream_resets_sent_total", "counter",
	       "Refused SYNs answered with a TCP RST (reject = reset).");
	for (int i = 0; i < d->n_ups; i++)
		ups_u64(f, "floodgate_upstream_resets_sent_total", &d->ups[i],
			d->ups[i].m.c[FG_U_RESETS]);
	family(f, "floodgate_upstream_resets_withheld_total", "counter",
	       "Refused SYNs dropped instead of answered with a RST (reject = reset): "
	       "rate_limit past reset_rate, unsafe when no RST may go to the sender "
	       "(not a unicast source or MAC, RST set, IP options).");
	for (int i = 0; i < d->n_ups; i++) {
		ups_label(f, "floodgate_upstream_resets_withheld_total", &d->ups[i]);
		fprintf(f, ",reason=\"rate_limit\"} %llu\n",
			(unsigned long long)d->ups[i].m.c[FG_U_RST_LIMITED]);
		ups_label(f, "floodgate_upstream_resets_withheld_total", &d->ups[i]);
		fprintf(f, ",reason=\"unsafe\"} %llu\n",
			(unsigned long long)d->ups[i].m.c[FG_U_RST_REFUSED]);
	}
	family(f, "floodgate_upstream_stale_passed_packets_total", "counter",
	       "Packets passed despite the breaker because the daemon's heartbeat was stale.");
	for (int i = 0; i < d->n_ups; i++)
		ups_u64(f, "floodgate_upstream_stale_passed_packets_total", &d->ups[i],
			d->ups[i].m.c[FG_U_STALE]);
}

/* What the datapath saw of the upstream's connections and answers. */
static void upstream_connect_metrics(FILE *f, const struct fg_daemon *d)
{
	static const struct {
		int counter;
		const char *class;
	} classes[] = {
		{ FG_U_HTTP_2XX, "2xx" }, { FG_U_HTTP_3XX, "3xx" }, { FG_U_HTTP_4XX, "4xx" },
		{ FG_U_HTTP_429, "429" }, { FG_U_HTTP_5XX, "5xx" },
	};

	family(f, "floodgate_upstream_connect_attempts_total", "counter",
	       "Connection attempts (SYNs) seen leaving towards the upstream.");
	for (int i = 0; i < d->n_ups; i++)
		ups_u64(f, "floodgate_upstream_connect_attempts_total", &d->ups[i],
			d->ups[i].m.c[FG_U_SYN]);
	family(f, "floodgate_upstream_connects_total", "counter",
	       "Connections the upstream accepted (SYN-ACKs seen).");
	for (int i = 0; i < d->n_ups; i++)
		ups_u64(f, "floodgate_upstream_connects_total", &d->ups[i],
			d->ups[i].m.c[FG_U_SYNACK]);
	family(f, "floodgate_upstream_connect_failures_total", "counter",
	       "Failed connection attempts: refused (RST answering a SYN), timeout (no answer "
	       "within connect_timeout; counted since the daemon started).");
	for (int i = 0; i < d->n_ups; i++) {
		ups_label(f, "floodgate_upstream_connect_failures_total", &d->ups[i]);
		fprintf(f, ",reason=\"refused\"} %llu\n",
			(unsigned long long)d->ups[i].m.c[FG_U_RST]);
		ups_label(f, "floodgate_upstream_connect_failures_total", &d->ups[i]);
		fprintf(f, ",reason=\"timeout\"} %llu\n",
			(unsigned long long)d->ups[i].m.timeouts);
	}
	family(f, "floodgate_upstream_replies_ignored_total", "counter",
	       "SYN-ACKs, refusing RSTs and HTTP status lines from the upstream not counted as "
	       "outcomes: no recorded SYN or handshake, a wrong ack, not the start of an answer "
	       "(forged, retransmitted, or in a body).");
	for (int i = 0; i < d->n_ups; i++)
		ups_u64(f, "floodgate_upstream_replies_ignored_total", &d->ups[i],
			d->ups[i].m.c[FG_U_IGNORED]);
	family(f, "floodgate_upstream_responses_total", "counter",
	       "HTTP/1.x responses from the upstream, by status class.");
	for (int i = 0; i < d->n_ups; i++)
		for (unsigned int k = 0; k < sizeof(classes) / sizeof(classes[0]); k++) {
			ups_label(f, "floodgate_upstream_responses_total", &d->ups[i]);
			fprintf(f, ",class=\"%s\"} %llu\n", classes[k].class,
				(unsigned long long)d->ups[i].m.c[classes[k].counter]);
		}
}

/* The datapath's event counters that export as one plain sample each. */
static const struct {
	const char *name, *help;
	int stat;
} dp_counters[] = {
	{ "floodgate_datapath_fragments_total", "IP fragments seen by XDP ingress.",
	  FG_C_FRAGMENT },
	{ "floodgate_bucket_inserts_total",
	  "Sources that got a new bucket (map pressure: compare with the capacity).",
	  FG_C_NEW_SOURCE },
	{ "floodgate_flow_inserts_total",
	  "Upstream connections whose handshake was seen and tracked (flow table "
	  "pressure: compare with floodgate_flow_capacity).",
	  FG_C_FLOW_NEW },
	{ "floodgate_flow_untracked_segments_total",
	  "Client data segments to an upstream on a connection the flow table does not "
	  "hold (evicted under pressure, or opened before the attach): its answers do "
	  "not count.",
	  FG_C_FLOW_UNTRACKED },
	{ "floodgate_new_sources_admitted_total",
	  "Unknown sources given a bucket by their policy's new-source budget.", FG_C_ADMITTED },
};

static void datapath_metrics(FILE *f, const struct fg_dp_snapshot *s)
{
	if (s->have_stats) {
		family(f, "floodgate_datapath_packets_total", "counter",
		       "Packets seen by XDP ingress, by verdict and reason.");
		for (int r = 0; r < FG_R_MAX; r++)
			fprintf(f, "floodgate_datapath_packets_total{verdict=\"%s\",reason=\"%s\"} %llu\n",
				fg_verdict_name(r), fg_stat_names[r],
				(unsigned long long)s->stats[r]);
		for (unsigned int i = 0; i < sizeof(dp_counters) / sizeof(dp_counters[0]); i++) {
			family(f, dp_counters[i].name, "counter", dp_counters[i].help);
			fprintf(f, "%s %llu\n", dp_counters[i].name,
				(unsigned long long)s->stats[dp_counters[i].stat]);
		}
		family(f, "floodgate_new_sources_overflow_packets_total", "counter",
		       "Packets of unknown sources past the budget, judged by the shared overflow "
		       "bucket, by verdict.");
		fprintf(f, "floodgate_new_sources_overflow_packets_total{verdict=\"pass\"} %llu\n",
			(unsigned long long)(s->stats[FG_R_OVERFLOW_PASS] +
					     s->stats[FG_R_MONITOR_OVERFLOW]));
		fprintf(f, "floodgate_new_sources_overflow_packets_total{verdict=\"drop\"} %llu\n",
			(unsigned long long)s->stats[FG_R_OVERFLOW_DROP]);
	}
	if (s->flow_capacity) {
		family(f, "floodgate_flow_capacity", "gauge",
		       "Upstream connections the flow table holds before the least recently used "
		       "are evicted.");
		fprintf(f, "floodgate_flow_capacity %llu\n", (unsigned long long)s->flow_capacity);
	}
	if (s->have_buckets) {
		family(f, "floodgate_tracked_sources", "gauge",
		       "Sources (or shared prefixes) with a bucket now.");
		fprintf(f, "floodgate_tracked_sources %llu\n", (unsigned long long)s->tracked);
		family(f, "floodgate_bucket_capacity", "gauge",
		       "Buckets the map holds before the least recently used are evicted.");
		fprintf(f, "floodgate_bucket_capacity %llu\n", (unsigned long long)s->capacity);
	}
	if (s->have_heartbeat) {
		family(f, "floodgate_controller_heartbeat_age_seconds", "gauge",
		       "Age of the daemon's heartbeat in the config map when this file was written.");
		fprintf(f, "floodgate_controller_heartbeat_age_seconds %.6f\n",
			s->heartbeat_age_ns / 1e9);
	}
}

/* [fleet] only: whether the votes count, how old they are, what failed. */
static void fleet_metrics(FILE *f, const struct fg_daemon *d, __u64 now)
{
	static const char *const ops[FG_FLEET_OP_MAX] = { "connect", "auth", "sync" };

	if (!d->cfg.fleet.enabled)
		return;
	family(f, "floodgate_fleet_up", "gauge",
	       "1 while the last sync with the fleet's Redis is younger than stale (its votes "
	       "count), else 0 (every breaker judges alone).");
	fprintf(f, "floodgate_fleet_up %d\n", d->fleet.up);
	if (d->fleet.synced_ns) {
		family(f, "floodgate_fleet_last_sync_age_seconds", "gauge",
		       "Time since the last sync with the fleet's Redis that succeeded.");
		fprintf(f, "floodgate_fleet_last_sync_age_seconds %.6f\n",
			now > d->fleet.synced_ns ? (now - d->fleet.synced_ns) / 1e9 : 0.0);
	}
	family(f, "floodgate_fleet_sync_errors_total", "counter",
	       "Requests to the fleet's Redis that failed (error, no answer within half of "
	       "stale, connection lost), by operation.");
	for (int i = 0; i < FG_FLEET_OP_MAX; i++)
		fprintf(f, "floodgate_fleet_sync_errors_total{op=\"%s\"} %llu\n", ops[i],
			(unsigned long long)d->fleet.errors[i]);
	family(f, "floodgate_fleet_nodes", "gauge",
	       "Fresh fleet nodes the last sync saw, this one included (0 while down).");
	fprintf(f, "floodgate_fleet_nodes %u\n", d->fleet.nodes);
	family(f, "floodgate_fleet_shares", "gauge",
	       "Sources this box holds to a share of their limit because the fleet sends "
	       "them more than it (fleet shares).");
	fprintf(f, "floodgate_fleet_shares %u\n", fg_shares_active(d));
}

int fg_textfile_render(FILE *f, const struct fg_daemon *d, const struct fg_dp_snapshot *s)
{
	family(f, "floodgate_build_info", "gauge", "floodgated's version; always 1.");
	fprintf(f, "floodgate_build_info{version=");
	value(f, FG_VERSION);
	fprintf(f, "} 1\n");
	breaker_metrics(f, d);
	probe_metrics(f, d);
	upstream_packet_metrics(f, d);
	upstream_connect_metrics(f, d);
	datapath_metrics(f, s);
	fleet_metrics(f, d, s->now_ns);
	return ferror(f) ? -EIO : 0;
}

void fg_textfile_snapshot(const struct fg_daemon *d, struct fg_dp_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	d->dp->snapshot(d, s);
	s->now_ns = fg_now_ns();
}


/*
 * The temp file: a hidden name node_exporter skips (not *.prom), made by
 * mkostemp with O_EXCL, so whoever owns the directory can neither predict
 * it nor plant a symlink there that root would write through; the rename
 * then replaces whatever floodgate.prom is (a symlink included) without
 * following it.
 */
#define FG_TEXTFILE_TMP "." FG_TEXTFILE_NAME "."

int fg_textfile_write(const char *dir, const struct fg_daemon *d,
		      const struct fg_dp_snapshot *s, char *err, size_t errlen)
{
	char tmp[600], path[600];
	FILE *f = NULL;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/" FG_TEXTFILE_NAME, dir);
	snprintf(tmp, sizeof(tmp), "%s/" FG_TEXTFILE_TMP "XXXXXX", dir);
	ret = fg_mkdir_p(dir);
	if (ret) {
		snprintf(err, errlen, "Failed to create %s: %s", dir, strerror(-ret));
		return ret;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0644) || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		snprintf(err, errlen, "Failed to create a temp file in %s: %s", dir, strerror(-ret));
		return ret;
	}
	ret = fg_textfile_render(f, d, s);
	if (!ret && fflush(f))
		ret = -errno;
	if (!ret && fsync(fd))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		snprintf(err, errlen, "Failed to write %s: %s", path, strerror(-ret));
	}
	return ret;
}

/* A temp file's name, this version's or the one before (floodgate.prom.tmp.PID). */
static int is_temp_name(const char *n)
{
	return !strncmp(n, FG_TEXTFILE_TMP, strlen(FG_TEXTFILE_TMP)) ||
	       !strncmp(n, FG_TEXTFILE_NAME ".tmp.", strlen(FG_TEXTFILE_NAME ".tmp."));
}

int fg_textfile_sweep(const char *dir)
{
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dp))) {
		/* Regular files only, never through a link: unlinkat removes
		 * the name itself, whatever it points to. */
		if (!is_temp_name(de->d_name) ||
		    fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
			continue;
		if (!unlinkat(dirfd(dp), de->d_name, 0))
			n++;
	}
	closedir(dp);
	return n;
}
