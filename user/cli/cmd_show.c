// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate status / stats / top: read-only views of the maps. */
#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "cli.h"
#include "json.h"
#include "maps.h"
#include "parse.h"
#include "pins.h"

static int open_ro(struct fg_ctx *ctx, struct fg_maps *m)
{
	char err[FG_ERR_LEN];

	if (fg_pin_dir_prepare(ctx->pin_dir, 0, err, sizeof(err)) ||
	    fg_maps_open(ctx->pin_dir, m, err, sizeof(err)))
		return fg_fail("%s", err);
	return 0;
}

static void totals(const __u64 *c, __u64 *pass, __u64 *drop)
{
	*pass = *drop = 0;
	for (int i = 0; i < FG_R_MAX; i++)
		*(i < FG_R_FIRST_DROP ? pass : drop) += c[i];
}

struct iface {
	char name[IF_NAMESIZE + 1];
	__u32 link_id, prog_id, ifindex;
	const char *mode;
};

/* Interfaces come from the link pins; names are the ones used at attach. */
static int list_ifaces(const char *dir, struct iface *out, int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		char path[4096];
		int fd;

		int tc = !strncmp(de->d_name, FG_LINK_TCX_LIMIT_PREFIX,
				  strlen(FG_LINK_TCX_LIMIT_PREFIX));

		if (!tc && strncmp(de->d_name, FG_LINK_XDP_PREFIX, strlen(FG_LINK_XDP_PREFIX)))
			continue;
		snprintf(out[n].name, sizeof(out[n].name), "%s",
			 de->d_name + strlen(tc ? FG_LINK_TCX_LIMIT_PREFIX : FG_LINK_XDP_PREFIX));
		out[n].mode = tc ? "tc ingress" : "xdp";
		fg_pin_path(path, sizeof(path), dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
			LIBBPF_OPTS(bpf_xdp_query_opts, q);

			out[n].link_id = info.id;
			out[n].prog_id = info.prog_id;
			out[n].ifindex = info.xdp.ifindex;
			/* ifindex is per namespace: trust the mode only when the
			 * program there is ours. */
			if (!bpf_xdp_query(info.xdp.ifindex, 0, &q) && q.prog_id == info.prog_id)
				out[n].mode = q.attach_mode == XDP_ATTACHED_DRV ? "xdp native"
					      : q.attach_mode == XDP_ATTACHED_SKB ? "xdp generic"
					      : "xdp";
		}
		if (fd >= 0)
			close(fd);
		n++;
	}
	closedir(d);
	return n;
}

int cmd_status(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { OPT_COMMON, {} };
	const struct fg_cmd *cmd = fg_find_cmd("status");
	__u64 c[FG_STAT_MAX], pass, drop, entries = 0, cap = 0, mem = 0;
	struct fg_lpm_key k, *prev = NULL;
	struct iface ifs[64];
	struct fg_config cfg;
	struct fg_maps m;
	struct fg_json j;
	int opt, nif, npol = 0;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hv", opts)) != -1)
		return 2;
	if (fg_want_args(cmd, argc, argv, 0, 0))
		return 2;
	if (open_ro(ctx, &m))
		return 1;
	if (fg_config_get(&m, &cfg) || fg_stats_sum(&m, c) ||
	    fg_buckets_usage(&m, &entries, &cap, &mem)) {
		fg_maps_close(&m);
		return fg_fail("Failed to read maps under %s: %s", ctx->pin_dir, strerror(errno));
	}
	while (bpf_map_get_next_key(m.policy, prev, &k) == 0) {
		prev = &k;
		npol++;
	}
	totals(c, &pass, &drop);
	nif = list_ifaces(ctx->pin_dir, ifs, 64);

	if (ctx->json) {
		fg_json_begin(&j, stdout);
		fg_json_str(&j, "pin_dir", ctx->pin_dir);
		fg_json_str(&j, "mode", FG_NAME(fg_mode_names, cfg.mode));
		fg_json_u64(&j, "ipv6_prefix", cfg.v6_prefix);
		fg_json_arr(&j, "interfaces");
		for (int i = 0; i < nif; i++) {
			fg_json_obj(&j, NULL);
			fg_json_str(&j, "name", ifs[i].name);
			fg_json_str(&j, "hook", ifs[i].mode);
			fg_json_u64(&j, "ifindex", ifs[i].ifindex);
			fg_json_u64(&j, "link_id", ifs[i].link_id);
			fg_json_u64(&j, "prog_id", ifs[i].prog_id);
			fg_json_close_obj(&j);
		}
		fg_json_close_arr(&j);
		fg_json_u64(&j, "policies", npol);
		fg_json_obj(&j, "buckets");
		fg_json_u64(&j, "tracked", entries);
		fg_json_u64(&j, "capacity", cap);
		fg_json_u64(&j, "memory_bytes", mem);
		fg_json_close_obj(&j);
		fg_json_obj(&j, "packets");
		fg_json_u64(&j, "pass", pass);
		fg_json_u64(&j, "drop", drop);
		fg_json_close_obj(&j);
		fg_json_end(&j);
	} else {
		printf("mode:       %s\n", FG_NAME(fg_mode_names, cfg.mode));
		printf("pin dir:    %s\n", ctx->pin_dir);
		printf("interfaces:");
		for (int i = 0; i < nif; i++)
			printf(" %s (%s, link %u, prog %u)%s", ifs[i].name, ifs[i].mode,
			       ifs[i].link_id, ifs[i].prog_id, i + 1 < nif ? "," : "");
		printf("%s\n", nif ? "" : " none");
		printf("policies:   %d\n", npol);
		printf("sources:    %llu tracked of %llu (%.1f MiB, %llu B per source; IPv6 per /%u)\n",
		       (unsigned long long)entries, (unsigned long long)cap, mem / 1048576.0,
		       (unsigned long long)(cap ? mem / cap : 0), cfg.v6_prefix);
		printf("packets:    %llu passed, %llu dropped\n", (unsigned long long)pass,
		       (unsigned long long)drop);
	}
	fg_maps_close(&m);
	return 0;
}

int cmd_stats(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { OPT_COMMON, {} };
	const struct fg_cmd *cmd = fg_find_cmd("stats");
	__u64 c[FG_STAT_MAX], pass, drop;
	struct fg_maps m;
	struct fg_json j;
	int opt;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hv", opts)) != -1)
		return 2;
	if (fg_want_args(cmd, argc, argv, 0, 0))
		return 2;
	if (open_ro(ctx, &m))
		return 1;
	if (fg_stats_sum(&m, c)) {
		fg_maps_close(&m);
		return fg_fail("Failed to read stats: %s", strerror(errno));
	}
	fg_maps_close(&m);
	totals(c, &pass, &drop);

	if (ctx->json) {
		fg_json_begin(&j, stdout);
		fg_json_u64(&j, "pass", pass);
		fg_json_u64(&j, "drop", drop);
		fg_json_arr(&j, "reasons");
		for (int i = 0; i < FG_R_MAX; i++) {
			fg_json_obj(&j, NULL);
			fg_json_str(&j, "reason", fg_stat_names[i]);
			fg_json_str(&j, "verdict", fg_verdict_name(i));
			fg_json_u64(&j, "packets", c[i]);
			fg_json_close_obj(&j);
		}
		fg_json_close_arr(&j);
		fg_json_obj(&j, "events");
		for (int i = FG_R_MAX; i < FG_STAT_MAX; i++)
			fg_json_u64(&j, fg_stat_names[i], c[i]);
		fg_json_close_obj(&j);
		fg_json_end(&j);
		return 0;
	}
	printf("%-8s %-18s %s\n", "VERDICT", "REASON", "PACKETS");
	for (int i = 0; i < FG_R_MAX; i++)
		printf("%-8s %-18s %llu\n", fg_verdict_name(i), fg_stat_names[i],
		       (unsigned long long)c[i]);
	printf("total: %llu passed, %llu dropped\n", (unsigned long long)pass,
	       (unsigned long long)drop);
	for (int i = FG_R_MAX; i < FG_STAT_MAX; i++)
		printf("%s: %llu\n", fg_stat_names[i], (unsigned long long)c[i]);
	return 0;
}

struct pressure {
	struct fg_bucket_key key;
	__u64 used;  /* tokens of the burst in use now */
	__u32 burst;
	__u64 interval_ns;
};

static int by_pressure(const void *a, const void *b)
{
	const struct pressure *x = a, *y = b;
	/* Compare used/burst without division: x.used*y.burst vs y.used*x.burst. */
	double l = (double)x->used * y->burst, r = (double)y->used * x->burst;

	return l < r ? 1 : l > r ? -1 : 0;
}

int cmd_top(struct fg_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { OPT_COMMON, {} };
	const struct fg_cmd *cmd = fg_find_cmd("top");
	enum { BATCH = 4096 };
	struct fg_bucket_key keys[BATCH];
	struct fg_bucket vals[BATCH];
	struct pressure *p = NULL;
	__u64 out_batch, in_batch, now;
	size_t n = 0, cap = 0;
	char err[FG_ERR_LEN];
	struct fg_maps m;
	struct fg_json j;
	__u32 show = 10;
	void *in = NULL;
	int opt, ret = 1;

	while ((opt = fg_getopt(ctx, cmd, argc, argv, "hvn:", opts)) != -1) {
		if (opt != 'n')
			return 2;
		if (fg_parse_u32(optarg, "-n", 1, 1000000, &show, err, sizeof(err)))
			return fg_fail("%s", err);
	}
	if (fg_want_args(cmd, argc, argv, 0, 0))
		return 2;
	if (open_ro(ctx, &m))
		return 1;

	now = fg_now_ns();
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, bo);
		__u32 count = BATCH;
		int e = bpf_map_lookup_batch(m.buckets, in, &out_batch, keys, vals, &count, &bo);
		int saved = errno;

		for (__u32 i = 0; i < count; i++) {
			__u64 backlog = vals[i].tat > now ? vals[i].tat - now : 0;

			if (!backlog || !vals[i].interval_ns)
				continue;
			if (n == cap) {
				void *np = realloc(p, (cap = cap ? cap * 2 : 1024) * sizeof(*p));

				if (!np) {
					fg_fail("out of memory");
					goto out;
				}
				p = np;
			}
			p[n].key = keys[i];
			p[n].used = (backlog + vals[i].interval_ns - 1) / vals[i].interval_ns;
			p[n].burst = vals[i].burst;
			p[n].interval_ns = vals[i].interval_ns;
			n++;
		}
		if (e) {
			if (saved == ENOENT)
				break;
			fg_fail("Failed to read buckets: %s", strerror(saved));
			goto out;
		}
		in_batch = out_batch;
		in = &in_batch;
	}
	qsort(p, n, sizeof(*p), by_pressure);
	if (n > show)
		n = show;

	if (ctx->json) {
		fg_json_begin(&j, stdout);
		fg_json_arr(&j, "sources");
	} else {
		printf("%-46s %-10s %-8s %-8s %s\n", "SOURCE", "RATE", "BURST", "USED", "PRESSURE");
	}
	for (size_t i = 0; i < n; i++) {
		char src[64], rate[32];
		__u32 plen = p[i].key.plen & ~(FG_KEY_SHARED | FG_KEY_V6_MAPPED);
		double pct = p[i].burst ? 100.0 * p[i].used / p[i].burst : 0;

		if (p[i].key.plen & FG_KEY_V6_MAPPED) { /* IPv6, though its bits read as IPv4 */
			char a[INET6_ADDRSTRLEN];

			inet_ntop(AF_INET6, p[i].key.addr, a, sizeof(a));
			snprintf(src, sizeof(src), "%s/%u", a, plen);
		} else {
			fg_format_prefix(p[i].key.addr, plen, src, sizeof(src));
		}
		if (p[i].key.plen & FG_KEY_SHARED)
			strncat(src, " (shared)", sizeof(src) - strlen(src) - 1);
		fg_format_rate(p[i].interval_ns, rate, sizeof(rate));
		if (ctx->json) {
			fg_json_obj(&j, NULL);
			fg_json_str(&j, "source", src);
			fg_json_bool(&j, "shared", !!(p[i].key.plen & FG_KEY_SHARED));
			fg_json_str(&j, "rate", rate);
			fg_json_u64(&j, "burst", p[i].burst);
			fg_json_u64(&j, "used", p[i].used);
			fg_json_double(&j, "pressure", pct / 100.0);
			fg_json_close_obj(&j);
		} else {
			printf("%-46s %-10s %-8u %-8llu %.0f%%\n", src, rate, p[i].burst,
			       (unsigned long long)p[i].used, pct);
		}
	}
	if (ctx->json) {
		fg_json_close_arr(&j);
		fg_json_end(&j);
	} else if (!n) {
		printf("(no source is using its burst right now)\n");
	}
	ret = 0;
out:
	free(p);
	fg_maps_close(&m);
	return ret;
}
