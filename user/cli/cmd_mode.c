// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* floodgate mode: enforce or monitor, in the config map. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "names.h"

static int run_mode(struct fg_ctx *ctx, const struct fg_args *a)
{
	int want = -1, lock, ret = 1;
	struct fg_config cfg;
	struct fg_maps m;
	struct fg_json j;
	char names[64];

	if (a->argc && (want = fg_name_value(fg_mode_names, FG_MODE_MAX, a->argv[0])) < 0) {
		fg_names_join(fg_mode_names, FG_MODE_MAX, ", ", " or ", names, sizeof(names));
		return fg_fail("invalid mode '%s': expected %s", a->argv[0], names);
	}
	if (fg_cli_open(ctx, &m, &lock))
		return 1;
	if (fg_config_get(&m, &cfg)) {
		fg_fail("Failed to read config: %s", strerror(errno));
		goto out;
	}
	if (want >= 0) {
		cfg.mode = want;
		if (fg_config_set(&m, &cfg)) {
			fg_fail("Failed to write config: %s", strerror(errno));
			goto out;
		}
	}
	if (ctx->json) {
		fg_json_begin(&j, stdout);
		fg_json_str(&j, "mode", FG_NAME(fg_mode_names, cfg.mode));
		fg_json_end(&j);
	} else {
		printf("%s\n", FG_NAME(fg_mode_names, cfg.mode));
	}
	ret = 0;
out:
	fg_cli_close(&m, lock);
	return ret;
}

const struct fg_cmd fg_cmd_mode = {
	.name = "mode",
	.summary = "switch between enforcing and monitoring",
	.about = "  enforce drops; monitor passes what limits and denies would drop and counts\n"
		 "  it (monitor_*); breakers are enforced in both modes.\n"
		 "  Without an argument, print the current mode.\n",
	.operands = "[enforce|monitor]",
	.min_args = 0,
	.max_args = 1,
	.run = run_mode,
};
