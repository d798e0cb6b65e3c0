// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floodgate's datapath entry points. Each is thin: parsing, the limiter and
 * the maps live in the headers beside this file.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "limiter.h"

/* XDP ingress on the client-facing interface: per-source limits. */
SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct fg_pkt p = {};
	struct fg_config *cfg;
	__u32 zero = 0, reason;
	int r;

	cfg = bpf_map_lookup_elem(&config_map, &zero);
	if (!cfg)
		return XDP_PASS;

	r = fg_parse(&p, data, end);
	if (r == FG_PARSE_NOT_IP) {
		reason = FG_R_NON_IP;
	} else if (r == FG_PARSE_MALFORMED) {
		reason = cfg->malformed == FG_MALFORMED_PASS ? FG_R_MALFORMED_PASS
							     : FG_R_MALFORMED;
	} else {
		if (p.frag)
			fg_count(FG_C_FRAGMENT);
		reason = fg_limit(&p, cfg);
	}
	reason = fg_apply_mode(cfg, reason);
	fg_count(reason);
	return reason < FG_R_FIRST_DROP ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
