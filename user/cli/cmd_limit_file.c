// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate limit load FILE | save: a whole policy set as a file
 * (policy_file.h), applied as one change (policy_set.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "cli.h"
#include "cmd_limit.h"
#include "json.h"
#include "parse.h"
#include "policy_file.h"

static FILE *open_file(const char *path)
{
	return strcmp(path, "-") ? fopen(path, "r") : stdin;
}

static void print_plan(const struct fg_pset_plan *p)
{
	char line[256], pfx[64];

	for (int k = 0; k < p->n_ops; k++) {
		const struct fg_pset_op *op = &p->ops[k];

		if (op->kind == FG_PSET_SPLIT)
			continue; /* a derived flag, not the operator's change */
		if (op->kind == FG_PSET_DEL) {
			fg_format_prefix(op->key.addr, op->key.prefixlen, pfx, sizeof(pfx));
			printf("remove %s\n", pfx);
		} else if (!fg_policy_line_format(&op->key, &op->pol, line, sizeof(line))) {
			printf("%s %s\n", op->had ? "change" : "add", line);
		}
	}
}

static void summary(struct fg_ctx *ctx, const char *path, const struct fg_pset_plan *p,
		    double secs, int dry)
{
	struct fg_json j;

	if (!ctx->json) {
		printf("%s%s: %d added, %d changed, %d removed, %d kept (%d policies) in %.3f s%s\n",
		       dry ? "dry run: " : "loaded ", path, p->added, p->changed, p->removed,
		       p->kept, p->n_after, secs, dry ? ", nothing written" : "");
		return;
	}
	fg_json_begin(&j, stdout);
	fg_json_str(&j, "file", path);
	fg_json_bool(&j, "dry_run", dry);
	fg_json_u64(&j, "added", p->added);
	fg_json_u64(&j, "changed", p->changed);
	fg_json_u64(&j, "removed", p->removed);
	fg_json_u64(&j, "kept", p->kept);
	fg_json_u64(&j, "policies", p->n_after);
	fg_json_double(&j, "seconds", secs);
	fg_json_end(&j);
}

/* Validate want whole, then plan and apply it under the pin dir's lock. */
static int load(struct fg_ctx *ctx, const char *path, const struct fg_policy_want *want, int n,
		int dry, __u64 t0)
{
	struct fg_pset_plan p = {};
	char err[FG_ERR_LEN + 64];
	struct fg_config cfg;
	struct fg_maps m;
	int lock, ret = 1;
	__u64 cap;

	if (fg_cli_open(ctx, &m, &lock))
		return 1;
	cap = fg_map_capacity(m.policy);
	if (fg_config_get(&m, &cfg))
		fg_config_defaults(&cfg);
	if (fg_pset_plan(m.policy, want, n, cfg.v6_prefix, cap ? cap : FG_POLICY_MAX, &p, err,
			 sizeof(err))) {
		fg_fail("%s: %s", path, err);
		goto out;
	}
	if (dry && !ctx->json)
		print_plan(&p);
	if (!dry && fg_pset_commit(&m, &p, err, sizeof(err))) {
		fg_fail("Failed %s", err);
		goto out;
	}
	summary(ctx, path, &p, (fg_now_ns() - t0) / 1e9, dry);
	ret = 0;
out:
	fg_pset_free(&p);
	fg_cli_close(&m, lock);
	return ret;
}

int fg_limit_run_load(struct fg_ctx *ctx, const struct fg_args *a, int dry)
{
	const char *path = a->argv[0], *name = strcmp(path, "-") ? path : "(stdin)";
	struct fg_policy_want *want = NULL;
	char err[FG_ERR_LEN + 256];
	__u64 t0 = fg_now_ns();
	int n = 0, ret;
	FILE *f;

	f = open_file(path);
	if (!f)
		return fg_fail("%s: %s", path, strerror(errno));
	ret = fg_policy_file_read(f, name, FG_POLICY_MAX, &want, &n, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (ret)
		return fg_fail("%s", err);
	ret = load(ctx, name, want, n, dry, t0);
	free(want);
	return ret;
}

/* IPv4 first, then IPv6, each by address, then length: as an operator reads. */
struct saved {
	struct fg_lpm_key key;
	struct fg_policy pol;
};

static int saved_cmp(const void *x, const void *y)
{
	const struct saved *a = x, *b = y;
	int va = fg_is_v4_mapped(a->key.addr) && a->key.prefixlen >= FG_V4_MAPPED_PREFIX;
	int vb = fg_is_v4_mapped(b->key.addr) && b->key.prefixlen >= FG_V4_MAPPED_PREFIX;
	int c = memcmp(a->key.addr, b->key.addr, FG_ADDR_LEN);

	if (va != vb)
		return vb - va;
	return c ? c : (int)a->key.prefixlen - (int)b->key.prefixlen;
}

static int read_all(int fd, struct saved **out)
{
	struct fg_lpm_key cur, *prev = NULL;
	struct saved *s = NULL, *grown;
	int n = 0, size = 0;

	while (bpf_map_get_next_key(fd, prev, &cur) == 0) {
		if (n == size) {
			size = size ? 2 * size : 1024;
			if (!(grown = realloc(s, size * sizeof(*s)))) {
				free(s);
				return -ENOMEM;
			}
			s = grown;
		}
		s[n].key = cur;
		n += bpf_map_lookup_elem(fd, &cur, &s[n].pol) == 0;
		prev = &cur;
	}
	if (n)
		qsort(s, n, sizeof(*s), saved_cmp);
	*out = s;
	return n;
}

/* The file format, or with --json its lines as {"policies": [...]}. */
static void print_saved(struct fg_ctx *ctx, const struct saved *s, int n)
{
	char line[256];
	struct fg_json j;

	if (ctx->json) {
		fg_json_begin(&j, stdout);
		fg_json_arr(&j, "policies");
	} else {
		printf("# floodgate limit save: %d policies\n", n);
	}
	for (int i = 0; i < n; i++) {
		fg_policy_line_format(&s[i].key, &s[i].pol, line, sizeof(line));
		if (ctx->json)
			fg_json_str(&j, NULL, line);
		else
			puts(line);
	}
	if (ctx->json) {
		fg_json_close_arr(&j);
		fg_json_end(&j);
	}
}

int fg_limit_run_save(struct fg_ctx *ctx, const struct fg_args *a)
{
	struct saved *s = NULL;
	char line[256], pfx[64];
	struct fg_maps m;
	int n, ret = 0;

	if (fg_cli_open(ctx, &m, NULL))
		return 1;
	n = read_all(m.policy, &s);
	fg_cli_close(&m, -1);
	if (n < 0)
		return fg_fail("Failed to read policies: %s", strerror(-n));
	/* Every line first: a policy with no spelling fails the save whole. */
	for (int i = 0; i < n && !ret; i++) {
		if (!fg_policy_line_format(&s[i].key, &s[i].pol, line, sizeof(line)))
			continue;
		fg_format_prefix(s[i].key.addr, s[i].key.prefixlen, pfx, sizeof(pfx));
		ret = fg_fail("policy %s: its rate has no RATE spelling (written by another "
			      "tool?)", pfx);
	}
	if (!ret)
		print_saved(ctx, s, n);
	free(s);
	return ret;
}
