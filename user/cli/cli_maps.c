// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The commands' way to the pinned maps: open, lock, close. */
#include <string.h>

#include "cli.h"
#include "parse.h"
#include "pins.h"

int fg_cli_open(struct fg_ctx *ctx, struct fg_maps *m, int *lock)
{
	char err[FG_ERR_LEN];

	if (fg_pin_dir_prepare(ctx->pin_dir, 0, err, sizeof(err)) ||
	    fg_maps_open(ctx->pin_dir, m, err, sizeof(err))) {
		fg_fail("%s", err);
		return -1;
	}
	if (!lock)
		return 0;
	*lock = fg_pin_dir_lock(ctx->pin_dir);
	if (*lock < 0) {
		fg_maps_close(m);
		fg_fail("Failed to lock %s: %s", ctx->pin_dir, strerror(-*lock));
		return -1;
	}
	return 0;
}

void fg_cli_close(struct fg_maps *m, int lock)
{
	fg_maps_close(m);
	fg_pin_dir_unlock(lock);
}
