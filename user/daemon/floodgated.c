// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#define _GNU_SOURCE /* strsignal */
/*
 * floodgated: the controller. Reads its config, attaches the datapath if
 * it is not (or reuses the pinned maps and links), then loops:
 *   every tick        heartbeat, passive outcomes, breaker transitions
 *   as probes are due TCP connect / HTTP GET probes (probe.c)
 *   every [fleet] sync  votes to and from the site's Redis (fleet.c)
 *   every textfile_interval  floodgate.prom (textfile.c); also in the loop
 *                     right after a transition, a force or a reload
 *   on demand         control socket (ctl.c), SIGHUP reload, SIGTERM exit
 * It never forks: run it under systemd (Type=simple) or any supervisor.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "attach.h"
#include "ctl.h"
#include "cmdline.h"
#include "daemon.h"
#include "datapath.h"
#include "fleet.h"
#include "log.h"
#include "parse.h"
#include "pins.h"
#include "probe.h"
#include "textfile.h"

#define DEFAULT_CONFIG "/etc/floodgate/floodgated.conf"
#define NS_PER_MS 1000000ULL

struct app {
	const char *cfg_path;
	struct fg_daemon d;
	struct fg_prober *prober;
	struct fg_fleet *fleet;    /* idle without [fleet] */
	struct fg_ctl ctl;
	int reopen_ctl;
	int textfile_failing;  /* writes failed in a row: warned once */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: floodgated [-c FILE] [--foreground] [--check-config] [-v] [--help]\n\n"
		"floodgate's controller: runs a circuit breaker per upstream from active probes\n"
		"and the errors the datapath observes, and writes the states into the pinned\n"
		"BPF maps. Attaches to [daemon] interfaces unless floodgate is attached already.\n\n"
		"  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
		"  -f, --foreground    run in the foreground (the only mode: floodgated never\n"
		"                      forks; use systemd Type=simple or another supervisor)\n"
		"  -t, --check-config  validate the configuration, print 'config OK' or the\n"
		"                      error, and exit (0 or 1)\n"
		"  -v, --verbose       debug messages (every probe, libbpf's output)\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this help\n\n"
		"Signals: SIGHUP reloads the configuration (on error the running one stays);\n"
		"SIGTERM and SIGINT exit, leaving the datapath attached (detach_on_exit = yes\n"
		"detaches). Control socket: see [daemon] control_socket (default\n"
		"/run/floodgate/floodgated.sock): echo list | socat - UNIX-CONNECT:PATH\n");
}

/* Attach [daemon] interfaces not attached yet; needs maps or interfaces. */
static int setup_datapath(const struct fg_daemon_cfg *dc)
{
	char err[FG_ERR_LEN];
	int lock, ret = 0;

	ret = fg_pin_dir_prepare(dc->pin_dir, dc->n_ifaces > 0, err, sizeof(err));
	if (ret) {
		pr_warn("%s%s\n", err, dc->n_ifaces ? "" : " (and no [daemon] interfaces to attach)");
		return ret;
	}
	lock = fg_pin_dir_lock(dc->pin_dir);
	if (lock < 0) {
		pr_warn("Failed to lock %s: %s\n", dc->pin_dir, strerror(-lock));
		return lock;
	}
	for (int i = 0; i < dc->n_ifaces; i++) {
		struct fg_attach_opts o = { .mode = FG_XDP_AUTO };
		struct fg_attach_result res;

		ret = fg_attach_iface(dc->pin_dir, dc->ifaces[i], &o, &res, err, sizeof(err));
		if (ret) {
			pr_warn("%s\n", err);
			break;
		}
		if (res.already)
			pr_info("reusing floodgate attached to %s (maps in %s)\n", dc->ifaces[i],
				dc->pin_dir);
		else
			pr_info("attached to %s (xdp %s, tc ingress+egress), maps in %s\n",
				dc->ifaces[i], res.xdp_mode, dc->pin_dir);
	}
	if (!ret && !fg_pin_exists(dc->pin_dir, FG_MAP_CONFIG)) {
		pr_warn("floodgate is not attached (no maps in %s) and [daemon] interfaces "
			"names none to attach\n", dc->pin_dir);
		ret = -ENOENT;
	}
	fg_pin_dir_unlock(lock);
	return ret;
}

static void detach_all(const struct fg_daemon_cfg *dc)
{
	char err[FG_ERR_LEN];
	int lock = fg_pin_dir_lock(dc->pin_dir), last;

	for (int i = 0; i < dc->n_ifaces; i++) {
		if (fg_detach_iface(dc->pin_dir, dc->ifaces[i], &last, err, sizeof(err)))
			pr_warn("%s\n", err);
		else
			pr_info("detached from %s%s\n", dc->ifaces[i],
				last ? "; no interface left, pins removed" : "");
	}
	fg_pin_dir_unlock(lock);
}

/* SIGHUP and the control socket's reload: all or nothing. */
static int reload(void *ctx, char *err, size_t errlen)
{
	struct app *a = ctx;
	struct fg_daemon_cfg *old = &a->d.cfg.daemon;
	struct fg_cfg cfg;
	int ret;

	ret = fg_cfg_load(a->cfg_path, &cfg, err, errlen);
	if (ret) {
		pr_warn("reload failed, keeping the running config: %s\n", err);
		return ret;
	}
	if (strcmp(cfg.daemon.pin_dir, old->pin_dir)) {
		pr_warn("reload: pin_dir changes need a restart; keeping %s\n", old->pin_dir);
		snprintf(cfg.daemon.pin_dir, sizeof(cfg.daemon.pin_dir), "%s", old->pin_dir);
	}
	for (int i = 0; i < cfg.daemon.n_ifaces; i++)
		if (!fg_is_attached(cfg.daemon.pin_dir, cfg.daemon.ifaces[i]))
			ret = 1;
	if (ret && setup_datapath(&cfg.daemon))
		pr_warn("reload: could not attach every interface; going on\n");
	a->reopen_ctl = strcmp(cfg.daemon.control_socket, old->control_socket) != 0;
	ret = fg_daemon_apply_config(&a->d, &cfg, fg_now_ns(), err, errlen);
	fg_prober_sync(a->prober, &a->d, fg_now_ns());
	if (ret) {
		/* Said once: the maps and the running config are as they were,
		 * so no tick has anything to complain about. */
		pr_warn("reload failed, keeping the running config: %s\n", err);
		return ret;
	}
	pr_info("config reloaded from %s: %d upstreams, %d policies\n", a->cfg_path, a->d.n_ups,
		a->d.cfg.n_pols);
	return 0;
}

static void write_textfile(struct app *a)
{
	struct fg_dp_snapshot s;
	char err[FG_ERR_LEN + 600];

	fg_textfile_snapshot(&a->d, &s);
	if (fg_textfile_write(a->d.cfg.daemon.textfile_dir, &a->d, &s, err, sizeof(err))) {
		if (!a->textfile_failing++)
			pr_warn("%s (warning once until it works again)\n", err);
	} else if (a->textfile_failing) {
		pr_info("textfile written again\n");
		a->textfile_failing = 0;
	}
}

/* SIGHUP reloads; any other signal of the mask ends the loop (1). */
static int handle_signals(struct app *a, int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		char err[FG_ERR_LEN + 600];

		if (si.ssi_signo != SIGHUP) {
			pr_info("%s: exiting\n", strsignal(si.ssi_signo));
			return 1;
		}
		pr_info("SIGHUP: reloading %s\n", a->cfg_path);
		reload(a, err, sizeof(err));
	}
	return 0;
}

/* A reload moved the control socket. */
static void reopen_ctl(struct app *a)
{
	char err[FG_ERR_LEN + 300];

	a->reopen_ctl = 0;
	fg_ctl_close(&a->ctl);
	if (fg_ctl_open(&a->ctl, a->d.cfg.daemon.control_socket, err, sizeof(err)))
		pr_warn("%s\n", err);
	else
		pr_info("control socket now %s\n", a->d.cfg.daemon.control_socket);
}

static int run(struct app *a, int sfd)
{
	struct pollfd fds[1 + 1 + FG_CTL_MAX_CLIENTS + 1];
	__u64 now = fg_now_ns(), next_tick = now, next_tf = now + NS_PER_MS * 1000;

	for (;;) {
		__u64 next;
		int n, nf;

		now = fg_now_ns();
		if (now >= next_tick) {
			fg_daemon_tick(&a->d, now);
			next_tick += a->d.cfg.daemon.tick_ns;
			if (next_tick <= now) /* fell behind (e.g. suspended): no burst */
				next_tick = now + a->d.cfg.daemon.tick_ns;
		}
		if (now >= next_tf || a->d.metrics_dirty) {
			a->d.metrics_dirty = 0;
			write_textfile(a);
			next_tf = now + a->d.cfg.daemon.textfile_interval_ns;
		}
		/* Fleet work is due (a sync, a retry, a deadline) or not: it never
		 * waits for Redis, so the tick above stays on time. */
		fg_fleet_run(a->fleet, &a->d, 0, fg_now_ns());
		next = next_tick < next_tf ? next_tick : next_tf;
		now = fg_now_ns();

		fds[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		n = 1 + fg_ctl_pollfds(&a->ctl, fds + 1, FG_CTL_MAX_CLIENTS + 1);
		nf = fg_fleet_pollfd(a->fleet, &fds[n], &next);
		fg_prober_wait(a->prober, &a->d, fds, n + nf,
			       next > now ? (int)((next - now + NS_PER_MS - 1) / NS_PER_MS) : 0);
		if (nf && fds[n].revents)
			fg_fleet_run(a->fleet, &a->d, fds[n].revents, fg_now_ns());
		if ((fds[0].revents & POLLIN) && handle_signals(a, sfd))
			return 0;
		fg_ctl_serve(&a->ctl, fds + 1, n - 1, &a->d);
		if (a->reopen_ctl)
			reopen_ctl(a);
	}
}

/* The command line into a; -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct app *a, int *check)
{
	int opt;

	while ((opt = getopt_long(argc, argv, fg_daemon_shortopts, fg_daemon_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			a->cfg_path = optarg;
			break;
		case 'f':
			break; /* always: floodgated never forks */
		case 't':
			*check = 1;
			break;
		case 'v':
			fg_log_set_level(FG_LOG_DEBUG);
			break;
		case 'V':
			printf("floodgated %s\n", FG_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Run 'floodgated --help' for usage.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "floodgated: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* SIGHUP, SIGTERM and SIGINT as a signalfd (blocked otherwise), or -1. */
static int signals_fd(void)
{
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0)
		pr_warn("Failed to create signalfd: %s\n", strerror(errno));
	return sfd;
}

/* Everything before the loop, in the order that keeps a second daemon from
 * fighting the first; cfg is taken (freed here on error too). */
static int start(struct app *a, struct fg_cfg *cfg)
{
	char err[FG_ERR_LEN + 600];
	int swept;

	pr_info("floodgated %s starting with %s\n", FG_VERSION, a->cfg_path);
	/* Before anything is attached or written. */
	if (fg_ctl_open(&a->ctl, cfg->daemon.control_socket, err, sizeof(err)))
		goto fail;
	/* The control socket proves no other daemon runs: its temp files are
	 * a killed one's. */
	swept = fg_textfile_sweep(cfg->daemon.textfile_dir);
	if (swept > 0)
		pr_info("removed %d temp file(s) a previous daemon left in %s\n", swept,
			cfg->daemon.textfile_dir);
	if (setup_datapath(&cfg->daemon)) {
		fg_cfg_free(cfg);
		return -1;
	}
	if (fg_maps_open(cfg->daemon.pin_dir, &a->d.maps, err, sizeof(err)))
		goto fail;
	a->ctl.reload = reload;
	a->ctl.reload_ctx = a;
	if (fg_daemon_apply_config(&a->d, cfg, fg_now_ns(), err, sizeof(err))) {
		pr_warn("%s\n", err); /* cfg is freed */
		return -1;
	}
	a->prober = fg_prober_new(err, sizeof(err));
	if (!a->prober) {
		pr_warn("%s\n", err);
		return -1;
	}
	fg_prober_sync(a->prober, &a->d, fg_now_ns());
	a->fleet = fg_fleet_new();
	if (!a->fleet) {
		pr_warn("out of memory\n");
		return -1;
	}
	pr_info("running: %d upstreams, %d policies, tick %llu ms, control socket %s, "
		"textfile %s/" FG_TEXTFILE_NAME "\n",
		a->d.n_ups, a->d.cfg.n_pols, (unsigned long long)(a->d.cfg.daemon.tick_ns / NS_PER_MS),
		a->d.cfg.daemon.control_socket, a->d.cfg.daemon.textfile_dir);
	return 0;
fail:
	pr_warn("%s\n", err);
	fg_cfg_free(cfg);
	return -1;
}

int main(int argc, char **argv)
{
	struct app a = { .cfg_path = DEFAULT_CONFIG, .ctl.fd = -1 };
	char err[FG_ERR_LEN + 600];
	struct fg_cfg cfg;
	int check = 0, sfd, ret;

	ret = parse_args(argc, argv, &a, &check);
	if (ret >= 0)
		return ret;
	/* Under systemd, stderr goes to the journal, which stamps lines itself
	 * and reads <N> level prefixes. */
	fg_log_set_style(getenv("JOURNAL_STREAM") ? FG_LOG_STYLE_JOURNAL : FG_LOG_STYLE_STAMP);
	fg_log_hook_libbpf();

	if (fg_cfg_load(a.cfg_path, &cfg, err, sizeof(err))) {
		if (check) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		pr_warn("%s\n", err);
		pr_warn("not starting: fix the configuration (check it with --check-config)\n");
		return 1;
	}
	if (check) {
		fg_cfg_free(&cfg);
		printf("config OK\n");
		return 0;
	}
	sfd = signals_fd();
	if (sfd < 0) {
		fg_cfg_free(&cfg);
		return 1;
	}
	fg_daemon_init(&a.d, &fg_dp_maps);
	ret = 1;
	if (!start(&a, &cfg)) {
		ret = run(&a, sfd);
		/* The heartbeat stops here: after stale_limit the datapath ignores
		 * the breakers this daemon set (fails open); forced ones hold. */
		if (a.d.cfg.daemon.detach_on_exit)
			detach_all(&a.d.cfg.daemon);
	}
	fg_prober_free(a.prober);
	fg_fleet_free(a.fleet);
	fg_ctl_close(&a.ctl);
	fg_daemon_free(&a.d);
	close(sfd);
	return ret;
}
