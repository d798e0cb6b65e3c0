// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Foreign pins (issue: the control plane trusts the pins it opens): maps of
 * another version or program under our names are refused on open with one
 * line naming the pin dir, the map and what differs. The pins are made by
 * loading this build's object with its maps pinned in a scratch dir on the
 * bpffs, then replacing one pin with a map of another layout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "layout.h"
#include "pins.h"

static char dir[64];

/* fg_maps_open must fail (-EPROTO; -ENOENT for a missing map), naming the
 * dir and saying want. */
static void refused(const char *why, const char *want)
{
	struct fg_maps m = FG_MAPS_INIT;
	char err[512] = "";
	int ret = fg_maps_open(dir, &m, err, sizeof(err));

	if (ASSERT_TRUE(ret == -EPROTO || ret == -ENOENT, why)) {
		ASSERT_STRHAS(err, dir, "names the pin dir");
		ASSERT_STRHAS(err, want, why);
		ASSERT_STRHAS(err, "floodgate detach", "says what to do");
		ASSERT_TRUE(!strchr(err, '\n'), "one line");
	} else {
		fprintf(stderr, "    got: %s\n", err);
	}
	ASSERT_EQ(m.config, -1, "nothing left open");
}

TEST(foreign_pins_refused)
{
	struct fg_maps m = FG_MAPS_INIT;
	struct fg_config cfg;
	char err[512] = "";

	snprintf(dir, sizeof(dir), "/sys/fs/bpf/fgpins-%d", (int)getpid());
	if (!ASSERT_OK(fx_pin_maps(dir), "pin this build's maps")) {
		fx_unpin_maps(dir);
		return;
	}

	/* Just made, no version yet: only attach may open them so. */
	refused("no layout version", "layout version 0, this floodgate uses");
	ASSERT_OK(fg_maps_open_as(dir, &m, 1, err, sizeof(err)), err);
	fg_config_defaults(&cfg);
	ASSERT_OK(fg_config_set(&m, &cfg), "write the config");
	fg_maps_close(&m);
	ASSERT_OK(fg_maps_open(dir, &m, err, sizeof(err)), err);
	fg_maps_close(&m);

	/* An older build's config: the same size, version 1. */
	cfg.layout = 1;
	ASSERT_OK(fg_maps_open_as(dir, &m, 1, err, sizeof(err)), err);
	ASSERT_OK(fg_config_set(&m, &cfg), "write an old version");
	fg_maps_close(&m);
	refused("old layout version", "layout version 1, this floodgate uses 3");
	cfg.layout = FG_LAYOUT_VERSION;
	ASSERT_OK(fg_maps_open_as(dir, &m, 1, err, sizeof(err)), err);
	ASSERT_OK(fg_config_set(&m, &cfg), "back to this version");
	fg_maps_close(&m);

	/* fg_upstream was 80 bytes two versions ago. */
	ASSERT_OK(fx_pin_foreign(dir, FG_MAP_UPSTREAMS, BPF_MAP_TYPE_HASH, sizeof(struct fg_upstream_key), 80,
			FG_UPSTREAMS_MAX),
		  "pin an 80-byte upstreams map");
	refused("value size",
		"pinned map 'upstreams' is not this version's (value size 80, expected 88)");
	ASSERT_OK(fx_pin_foreign(dir, FG_MAP_UPSTREAMS, BPF_MAP_TYPE_HASH, sizeof(struct fg_upstream_key),
			sizeof(struct fg_upstream), 16),
		  "a smaller upstreams map");
	refused("max entries", "(max entries 16, expected 1024)");
	ASSERT_OK(fx_pin_foreign(dir, FG_MAP_UPSTREAMS, BPF_MAP_TYPE_LRU_HASH, sizeof(struct fg_upstream_key),
			sizeof(struct fg_upstream), FG_UPSTREAMS_MAX),
		  "another map type");
	refused("map type", "(map type 9, expected 1)");
	ASSERT_OK(fx_pin_foreign(dir, FG_MAP_UPSTREAMS, BPF_MAP_TYPE_HASH, sizeof(struct fg_upstream_key),
			sizeof(struct fg_upstream), FG_UPSTREAMS_MAX),
		  "upstreams as it should be");
	/* The bucket key before it carried plen (16-byte addresses only). */
	ASSERT_OK(fx_pin_foreign(dir, FG_MAP_BUCKETS, BPF_MAP_TYPE_LRU_HASH, 16, sizeof(struct fg_bucket),
			FG_BUCKETS_MAX + FG_BUCKETS_LRU_SLACK),
		  "a 16-byte bucket key");
	refused("key size",
		"pinned map 'buckets' is not this version's (key size 16, expected 20)");
	ASSERT_OK(fx_pin_foreign(dir, FG_MAP_BUCKETS, BPF_MAP_TYPE_LRU_HASH, sizeof(struct fg_bucket_key),
			sizeof(struct fg_bucket), FG_BUCKETS_MAX + FG_BUCKETS_LRU_SLACK),
		  "buckets as it should be");
	ASSERT_OK(fg_maps_open(dir, &m, err, sizeof(err)), err);
	fg_maps_close(&m);

	/* A version without the flows map. */
	fg_pin_path(err, sizeof(err), dir, FG_MAP_FLOWS);
	unlink(err);
	refused("a map missing", "pinned map 'flows' missing");
	fx_unpin_maps(dir);
}
