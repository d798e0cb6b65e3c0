// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * bench_attach: attach a reference program to an interface for the veth
 * benchmark, pinned under a pin dir of its own; removing that dir detaches.
 *
 *   bench_attach --ifname IF --hook xdp|tc --pin-dir DIR --drop
 *       a floor: a two-instruction program that drops everything (XDP_DROP,
 *       or TC_ACT_SHOT on a TCX ingress link). What any program at that hook
 *       costs before doing any work.
 *   bench_attach --ifname IF --hook xdp|tc --pin-dir DIR --obj FILE --prog NAME
 *                [--limit PREFIX RATE BURST]
 *       a datapath variant: a BPF object with floodgate's maps (config_map,
 *       policy, buckets, stats), loaded with the default config and a limit
 *       policy, every map pinned under DIR by its name (config_map as
 *       "config", so 'floodgate stats --pin-dir DIR' reads them), program
 *       NAME attached.
 *   bench_attach --ifname IF --hook xdp --pin-dir DIR --ref --obj FILE --prog NAME
 *                [--limit PREFIX RATE BURST]
 *       a reference program of tests/bench/progs/nic_ref.bpf.c (no floodgate
 *       maps): its maps pinned under DIR by their names, and the limit, an
 *       IPv4 prefix, written into its ref_policy map (interval and
 *       (burst - 1) x interval).
 *
 * Run it in the interface's namespace with nsenter --net (so bpffs stays
 * visible). The link is pinned as DIR/link.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "maps.h"
#include "parse.h"

#define TCX_INGRESS 46 /* BPF_TCX_INGRESS; libbpf 1.1's headers predate it */

static int load_drop(int tc)
{
	struct bpf_insn insns[] = {
		/* r0 = XDP_DROP (1) or TC_ACT_SHOT (2); exit */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = tc ? 2 : 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(tc ? BPF_PROG_TYPE_SCHED_CLS : BPF_PROG_TYPE_XDP, "bench_drop",
			     "GPL", insns, 2, NULL);
}

static int set_limit(int policy_fd, const char *prefix, const char *rate, const char *burst)
{
	struct fg_lpm_key key;
	struct fg_policy pol = {};
	struct fg_rate r;
	char err[FG_ERR_LEN];

	if (fg_parse_prefix(prefix, &key, err, sizeof(err)) ||
	    fg_parse_rate(rate, &r, err, sizeof(err)) ||
	    fg_parse_u32(burst, "burst", 1, FG_BURST_MAX, &pol.burst, err, sizeof(err))) {
		fprintf(stderr, "bench_attach: %s\n", err);
		return -EINVAL;
	}
	pol.action = FG_ACT_LIMIT;
	pol.per = FG_PER_SOURCE;
	pol.interval_ns = r.interval_ns;
	pol.prefixlen = key.prefixlen;
	return bpf_map_update_elem(policy_fd, &key, &pol, BPF_ANY) ? -errno : 0;
}

/* The reference limiter's policy (nic_ref.bpf.c): IPv4 only. */
struct ref_lpm_key {
	__u32 prefixlen;
	__u32 addr;
};

struct ref_policy {
	__u64 interval_ns;
	__u64 tolerance_ns;
};

static int set_ref_limit(int policy_fd, const char *prefix, const char *rate, const char *burst)
{
	struct fg_lpm_key key;
	struct ref_lpm_key rk;
	struct ref_policy pol;
	struct fg_rate r;
	char err[FG_ERR_LEN];
	__u32 b;

	if (fg_parse_prefix(prefix, &key, err, sizeof(err)) ||
	    fg_parse_rate(rate, &r, err, sizeof(err)) ||
	    fg_parse_u32(burst, "burst", 1, FG_BURST_MAX, &b, err, sizeof(err))) {
		fprintf(stderr, "bench_attach: %s\n", err);
		return -EINVAL;
	}
	if (key.prefixlen < FG_V4_MAPPED_PREFIX) {
		fprintf(stderr, "bench_attach: the reference limiter takes IPv4 prefixes only\n");
		return -EINVAL;
	}
	rk.prefixlen = key.prefixlen - FG_V4_MAPPED_PREFIX;
	memcpy(&rk.addr, key.addr + 12, 4);
	pol.interval_ns = r.interval_ns;
	pol.tolerance_ns = (__u64)(b - 1) * r.interval_ns;
	return bpf_map_update_elem(policy_fd, &rk, &pol, BPF_ANY) ? -errno : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_attach --ifname IF --hook xdp|tc --pin-dir DIR\n"
		"                    (--drop | [--ref] --obj FILE --prog NAME [--limit PREFIX RATE BURST])\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ifname", required_argument, NULL, 'i' },
		{ "hook", required_argument, NULL, 'k' },
		{ "pin-dir", required_argument, NULL, 'd' },
		{ "drop", no_argument, NULL, 'D' },
		{ "obj", required_argument, NULL, 'o' },
		{ "prog", required_argument, NULL, 'p' },
		{ "limit", no_argument, NULL, 'l' },
		{ "ref", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *ifname = NULL, *hook = NULL, *dir = NULL, *obj_path = NULL, *prog_name = NULL;
	const char *const names[] = { "config_map", "policy", "buckets", "stats" };
	int opt, drop = 0, limit = 0, ref = 0, tc, ifindex, prog_fd, link_fd, ret = 1;
	struct bpf_object *obj = NULL;
	struct bpf_map *map;
	char path[4096];

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'i': ifname = optarg; break;
		case 'k': hook = optarg; break;
		case 'd': dir = optarg; break;
		case 'D': drop = 1; break;
		case 'o': obj_path = optarg; break;
		case 'p': prog_name = optarg; break;
		case 'l': limit = 1; break;
		case 'r': ref = 1; break;
		default: usage(); return opt == 'h' ? 0 : 2;
		}
	}
	/* --limit takes three values: the positional arguments left. */
	if (!ifname || !hook || !dir || (strcmp(hook, "xdp") && strcmp(hook, "tc")) ||
	    drop == !!obj_path || (obj_path && !prog_name) || (limit && argc - optind != 3) ||
	    (!limit && optind != argc) || (ref && !obj_path)) {
		usage();
		return 2;
	}
	tc = !strcmp(hook, "tc");
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "bench_attach: no such interface '%s'\n", ifname);
		return 1;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "bench_attach: Failed to create %s: %s\n", dir, strerror(errno));
		return 1;
	}

	if (drop) {
		prog_fd = load_drop(tc);
		if (prog_fd < 0) {
			fprintf(stderr, "bench_attach: Failed to load drop program: %s\n",
				strerror(errno));
			return 1;
		}
	} else if (ref) {
		struct bpf_program *prog;
		struct bpf_map *pm;

		obj = bpf_object__open_file(obj_path, NULL);
		if (!obj || bpf_object__load(obj)) {
			fprintf(stderr, "bench_attach: Failed to load %s: %s\n", obj_path,
				strerror(errno));
			goto out;
		}
		prog = bpf_object__find_program_by_name(obj, prog_name);
		pm = bpf_object__find_map_by_name(obj, "ref_policy");
		if (!prog || !pm) {
			fprintf(stderr, "bench_attach: %s has no program %s or no map ref_policy\n",
				obj_path, prog_name);
			goto out;
		}
		bpf_object__for_each_map(map, obj) {
			const char *name = bpf_map__name(map);

			if (name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (bpf_map__pin(map, path))
				goto out;
		}
		if (limit && set_ref_limit(bpf_map__fd(pm), argv[optind], argv[optind + 1],
					   argv[optind + 2])) {
			fprintf(stderr, "bench_attach: Failed to write the reference policy\n");
			goto out;
		}
		prog_fd = bpf_program__fd(prog);
	} else {
		struct bpf_program *prog;
		struct fg_config cfg;
		__u32 zero = 0;
		int fds[4];

		obj = bpf_object__open_file(obj_path, NULL);
		if (!obj || bpf_object__load(obj)) {
			fprintf(stderr, "bench_attach: Failed to load %s: %s\n", obj_path,
				strerror(errno));
			goto out;
		}
		prog = bpf_object__find_program_by_name(obj, prog_name);
		for (int i = 0; i < 4; i++) {
			struct bpf_map *m = bpf_object__find_map_by_name(obj, names[i]);

			if (!m) {
				fprintf(stderr, "bench_attach: %s has no map %s\n", obj_path,
					names[i]);
				goto out;
			}
			fds[i] = bpf_map__fd(m);
		}
		/* Every map, under floodgate's pin names, for 'floodgate stats'. */
		bpf_object__for_each_map(map, obj) {
			const char *name = bpf_map__name(map);

			if (!strcmp(name, "config_map"))
				name = FG_MAP_CONFIG;
			if (name[0] == '.') /* .rodata, .bss: not floodgate's */
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (bpf_map__pin(map, path))
				goto out;
		}
		if (!prog) {
			fprintf(stderr, "bench_attach: %s has no program %s\n", obj_path, prog_name);
			goto out;
		}
		fg_config_defaults(&cfg);
		if (bpf_map_update_elem(fds[0], &zero, &cfg, BPF_ANY) ||
		    (limit && set_limit(fds[1], argv[optind], argv[optind + 1], argv[optind + 2]))) {
			fprintf(stderr, "bench_attach: Failed to write config or policy\n");
			goto out;
		}
		prog_fd = bpf_program__fd(prog);
	}

	if (tc) {
		link_fd = bpf_link_create(prog_fd, ifindex, TCX_INGRESS, NULL);
	} else {
		LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = XDP_FLAGS_DRV_MODE);

		link_fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &lopts);
	}
	if (link_fd < 0) {
		fprintf(stderr, "bench_attach: Failed to attach to %s (%s): %s\n", ifname, hook,
			strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/link", dir);
	if (bpf_obj_pin(link_fd, path)) {
		fprintf(stderr, "bench_attach: Failed to pin %s: %s\n", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	bpf_object__close(obj);
	return ret;
}
