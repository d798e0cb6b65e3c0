// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* The layout check of pinned maps against this build's object (layout.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "layout.h"
#include "floodgate.skel.h"

struct bpf_map *fg_skel_map(struct floodgate *skel, int i)
{
	return i >= 0 && i < fg_map_count ? bpf_object__find_map_by_name(skel->obj, fg_map_cnames[i])
					  : NULL;
}

/* This build's declared layouts, read once from the embedded object (an
 * ELF parse, no load). */
struct want {
	__u32 type, key, value, max;
};

static int wanted(int i, struct want *w)
{
	static struct want cache[FG_MAP_COUNT];
	static int have;
	struct floodgate *skel;

	if (i < 0 || i >= FG_MAP_COUNT)
		return -EINVAL;
	if (!have) {
		skel = floodgate__open();
		if (!skel)
			return -errno;
		for (int k = 0; k < FG_MAP_COUNT; k++) {
			struct bpf_map *m = fg_skel_map(skel, k);

			if (!m) {
				floodgate__destroy(skel);
				return -ENOENT;
			}
			cache[k] = (struct want){ bpf_map__type(m), bpf_map__key_size(m),
						  bpf_map__value_size(m), bpf_map__max_entries(m) };
		}
		floodgate__destroy(skel);
		have = 1;
	}
	*w = cache[i];
	return 0;
}

int fg_layout_check_map(const char *pin_dir, int i, int fd, char *err, size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *what = NULL;
	__u32 got = 0, exp = 0;
	struct want w;
	int ret;

	ret = wanted(i, &w);
	if (ret) {
		snprintf(err, errlen, "Failed to read this build's map layouts: %s",
			 strerror(-ret));
		return ret;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ret = -errno;
		snprintf(err, errlen, "%s/%s: not a BPF map (%s): " FG_LAYOUT_ADVICE, pin_dir,
			 fg_map_names[i], strerror(-ret));
		return -EPROTO;
	}
	if (info.type != w.type)
		what = "map type", got = info.type, exp = w.type;
	else if (info.key_size != w.key)
		what = "key size", got = info.key_size, exp = w.key;
	else if (info.value_size != w.value)
		what = "value size", got = info.value_size, exp = w.value;
	else if (info.max_entries != w.max)
		what = "max entries", got = info.max_entries, exp = w.max;
	if (!what)
		return 0;
	snprintf(
		err, errlen,
		"%s: pinned map '%s' is not this version's (%s %u, expected %u): " FG_LAYOUT_ADVICE,
		pin_dir, fg_map_names[i], what, got, exp);
	return -EPROTO;
}

int fg_layout_check_version(const char *pin_dir, const struct fg_maps *m, char *err, size_t errlen)
{
	struct fg_config cfg;
	int ret = fg_config_get(m, &cfg);

	if (ret) {
		snprintf(err, errlen, "%s: Failed to read the config map: %s", pin_dir,
			 strerror(-ret));
		return ret;
	}
	if (cfg.layout == FG_LAYOUT_VERSION)
		return 0;
	snprintf(err, errlen,
		 "%s: pinned maps of layout version %u, this floodgate uses %u: " FG_LAYOUT_ADVICE,
		 pin_dir, cfg.layout, FG_LAYOUT_VERSION);
	return -EPROTO;
}
