// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate status: what is attached where, and how it is doing. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "cli.h"
#include "json.h"
#include "names.h"
#include "pins.h"

#define IFACES_MAX 64

struct iface {
	char name[IF_NAMESIZE + 1];
	__u32 link_id, prog_id, ifindex;
	const char *mode;
};

struct status {
	struct fg_config cfg;
	__u64 pass, drop, entries, cap, mem;
	int npol, nif;
	struct iface ifs[IFACES_MAX];
};

/* The link pinned as name: its ids, and the XDP mode when the program there is ours. */
static void link_info(const char *dir, const char *name, struct iface *out)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	char path[4096];
	int fd;

	fg_pin_path(path, sizeof(path), dir, name);
	fd = bpf_obj_get(path);
	if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len)) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		out->link_id = info.id;
		out->prog_id = info.prog_id;
		out->ifindex = info.xdp.ifindex;
		/* ifindex is per namespace: trust the mode only when the
		 * program there is ours. */
		if (!bpf_xdp_query(info.xdp.ifindex, 0, &q) && q.prog_id == info.prog_id)
			out->mode = q.attach_mode == XDP_ATTACHED_DRV ? "xdp native"
				    : q.attach_mode == XDP_ATTACHED_SKB ? "xdp generic"
				    : "xdp";
	}
	if (fd >= 0)
		close(fd);
}

/* Interfaces come from the link pins; names are the ones used at attach. */
static int list_ifaces(const char *dir, struct iface *out, int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		int tc = !strncmp(de->d_name, FG_LINK_TCX_LIMIT_PREFIX,
				  strlen(FG_LINK_TCX_LIMIT_PREFIX));

		if (!tc && strncmp(de->d_name, FG_LINK_XDP_PREFIX, strlen(FG_LINK_XDP_PREFIX)))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		snprintf(out[n].name, sizeof(out[n].name), "%s",
			 de->d_name + strlen(tc ? FG_LINK_TCX_LIMIT_PREFIX : FG_LINK_XDP_PREFIX));
		out[n].mode = tc ? "tc ingress" : "xdp";
		link_info(dir, de->d_name, &out[n]);
		n++;
	}
	closedir(d);
	return n;
}

static int read_status(struct fg_ctx *ctx, struct status *s)
{
	struct fg_lpm_key k, *prev = NULL;
	__u64 c[FG_STAT_MAX];
	struct fg_maps m;

	if (fg_cli_open(ctx, &m, NULL))
		return 1;
	if (fg_config_get(&m, &s->cfg) || fg_stats_sum(&m, c) ||
	    fg_buckets_usage(&m, &s->entries, &s->cap, &s->mem)) {
		fg_cli_close(&m, -1);
		return fg_fail("Failed to read maps under %s: %s", ctx->pin_dir, strerror(errno));
	}
	while (bpf_map_get_next_key(m.policy, prev, &k) == 0) {
		prev = &k;
		s->npol++;
	}
	fg_cli_close(&m, -1);
	fg_stats_totals(c, &s->pass, &s->drop);
	s->nif = list_ifaces(ctx->pin_dir, s->ifs, IFACES_MAX);
	return 0;
}

static void status_json(struct fg_ctx *ctx, const struct status *s)
{
	struct fg_json j;

	fg_json_begin(&j, stdout);
	fg_json_str(&j, "pin_dir", ctx->pin_dir);
	fg_json_str(&j, "mode", FG_NAME(fg_mode_names, s->cfg.mode));
	fg_json_u64(&j, "ipv6_prefix", s->cfg.v6_prefix);
	fg_json_arr(&j, "interfaces");
	for (int i = 0; i < s->nif; i++) {
		fg_json_obj(&j, NULL);
		fg_json_str(&j, "name", s->ifs[i].name);
		fg_json_str(&j, "hook", s->ifs[i].mode);
		fg_json_u64(&j, "ifindex", s->ifs[i].ifindex);
		fg_json_u64(&j, "link_id", s->ifs[i].link_id);
		fg_json_u64(&j, "prog_id", s->ifs[i].prog_id);
		fg_json_close_obj(&j);
	}
	fg_json_close_arr(&j);
	fg_json_u64(&j, "policies", s->npol);
	fg_json_obj(&j, "buckets");
	fg_json_u64(&j, "tracked", s->entries);
	fg_json_u64(&j, "capacity", s->cap);
	fg_json_u64(&j, "memory_bytes", s->mem);
	fg_json_close_obj(&j);
	fg_json_obj(&j, "packets");
	fg_json_u64(&j, "pass", s->pass);
	fg_json_u64(&j, "drop", s->drop);
	fg_json_close_obj(&j);
	fg_json_end(&j);
}

static void status_text(struct fg_ctx *ctx, const struct status *s)
{
	printf("mode:       %s\n", FG_NAME(fg_mode_names, s->cfg.mode));
	printf("pin dir:    %s\n", ctx->pin_dir);
	printf("interfaces:");
	for (int i = 0; i < s->nif; i++)
		printf(" %s (%s, link %u, prog %u)%s", s->ifs[i].name, s->ifs[i].mode,
		       s->ifs[i].link_id, s->ifs[i].prog_id, i + 1 < s->nif ? "," : "");
	printf("%s\n", s->nif ? "" : " none");
	printf("policies:   %d\n", s->npol);
	printf("sources:    %llu tracked of %llu (%.1f MiB, %llu B per source; IPv6 per /%u)\n",
	       (unsigned long long)s->entries, (unsigned long long)s->cap, s->mem / 1048576.0,
	       (unsigned long long)(s->cap ? s->mem / s->cap : 0), s->cfg.v6_prefix);
	printf("packets:    %llu passed, %llu dropped\n", (unsigned long long)s->pass,
	       (unsigned long long)s->drop);
}

static int run_status(struct fg_ctx *ctx, const struct fg_args *a)
{
	struct status s = {};

	if (read_status(ctx, &s))
		return 1;
	if (ctx->json)
		status_json(ctx, &s);
	else
		status_text(ctx, &s);
	return 0;
}

const struct fg_cmd fg_cmd_status = {
	.name = "status",
	.summary = "show what is attached and how it is doing",
	.about = "  Interfaces, mode, policy count, tracked sources, verdict totals.\n",
	.run = run_status,
};
