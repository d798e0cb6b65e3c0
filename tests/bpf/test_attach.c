// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fg_attach_iface leaves nothing half-made: a failure at any step takes down
 * exactly what that attach made (its link pins, and the maps when it created
 * them) and nothing else. Run on the loopback of a network namespace of the
 * test's own, so no interface of the machine is touched.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include "attach.h"
#include "fixture.h"
#include "maps.h"
#include "pins.h"

static char dir[64];

static int pinned(const char *name)
{
	return fg_pin_exists(dir, name);
}

static int maps_pinned(void)
{
	int n = 0;

	for (int i = 0; i < fg_map_count; i++)
		n += pinned(fg_map_names[i]);
	return n;
}

/* Programs on lo: XDP, and the TCX ingress and egress chains. */
static int progs_on_lo(void)
{
	int lo = if_nametoindex("lo"), n = 0;
	int tcx[2] = { FG_TCX_INGRESS, FG_TCX_EGRESS };
	__u32 xdp_id = 0;

	if (!bpf_xdp_query_id(lo, 0, &xdp_id) && xdp_id)
		n++;
	for (int i = 0; i < 2; i++) {
		__u32 flags = 0, cnt = 0;

		if (!bpf_prog_query(lo, tcx[i], 0, &flags, NULL, &cnt))
			n += cnt;
	}
	return n;
}

/* A link goes when its last reference does, which for a pin is when the
 * bpffs inode is freed: after an RCU grace period, not at unlink. So poll,
 * up to 5 s, for lo to be bare; the count last seen. */
static int progs_on_lo_settled(void)
{
	int n = progs_on_lo();

	for (int i = 0; i < 500 && n; i++) {
		usleep(10000);
		n = progs_on_lo();
	}
	return n;
}

/* An XDP_PASS program, linked to lo: another XDP program holding it. */
static int busy_xdp(void)
{
	const struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int prog = bpf_prog_load(BPF_PROG_TYPE_XDP, "other", "GPL", pass, 2, NULL), link;

	if (prog < 0)
		return -1;
	link = bpf_link_create(prog, if_nametoindex("lo"), BPF_XDP, NULL);
	close(prog);
	return link;
}

static void attach_fails_clean(void)
{
	struct fg_attach_opts o = { .mode = FG_XDP_AUTO };
	struct fg_attach_result res;
	char err[512] = "", path[256];
	int fd, last;

	/* 1. Fresh maps, XDP busy: the maps it created go again. */
	fd = busy_xdp();
	if (!ASSERT_TRUE(fd >= 0, "another XDP program on lo"))
		return;
	ASSERT_EQ(fg_attach_iface(dir, "lo", &o, &res, err, sizeof(err)), -EBUSY, "busy");
	ASSERT_STRHAS(err, "another XDP program is attached", err);
	ASSERT_EQ(maps_pinned(), 0, "no map pin left");
	close(fd);
	ASSERT_EQ(progs_on_lo_settled(), 0, "lo bare again");

	/* 2. Fresh maps, the TC observer's pin taken (by something not ours):
	 * the XDP link pinned before it goes, the maps go, that pin stays. */
	ASSERT_OK(fg_mkdir_p(dir), "pin dir");
	ASSERT_OK(fx_pin_foreign(dir, FG_LINK_TCX_IN_PREFIX "lo", BPF_MAP_TYPE_ARRAY, 4, 4, 1),
		  "a foreign pin where the observer's link goes");
	err[0] = 0;
	ASSERT_EQ(fg_attach_iface(dir, "lo", &o, &res, err, sizeof(err)), -EEXIST, "pin taken");
	ASSERT_STRHAS(err, "Failed to pin link", err);
	ASSERT_EQ(pinned(FG_LINK_XDP_PREFIX "lo"), 0, "its XDP link pin went");
	ASSERT_EQ(maps_pinned(), 0, "its maps went");
	ASSERT_EQ(progs_on_lo_settled(), 0, "no program left on lo");
	ASSERT_EQ(pinned(FG_LINK_TCX_IN_PREFIX "lo"), 1, "the pin it did not make stays");
	fg_pin_path(path, sizeof(path), dir, FG_LINK_TCX_IN_PREFIX "lo");
	unlink(path);

	/* 3. Maps there already (attached with --hook tc and no TC first,
	 * then detached but for a link of another attach): a failure later
	 * keeps them. Attach, and a second attach that fails, on lo. */
	o.tc_hook = 1, o.no_tc = 1;
	ASSERT_OK(fg_attach_iface(dir, "lo", &o, &res, err, sizeof(err)), err);
	ASSERT_STREQ(res.xdp_mode ? res.xdp_mode : "", "tc", "limits at TCX");
	ASSERT_EQ(maps_pinned(), fg_map_count, "every map pinned");
	ASSERT_OK(fg_detach_iface(dir, "lo", &last, err, sizeof(err)), err);
	ASSERT_EQ(last, 1, "the last interface");
	ASSERT_EQ(maps_pinned(), 0, "detach unpins all");
	ASSERT_EQ(progs_on_lo_settled(), 0, "and lo is bare");
}

TEST(attach_failure_leaves_nothing_half_made)
{
	int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (!ASSERT_TRUE(home >= 0, "own netns") || !ASSERT_OK(unshare(CLONE_NEWNET), "new netns")) {
		if (home >= 0)
			close(home);
		return;
	}
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/fgattach-%d", (int)getpid());
	attach_fails_clean();
	/* Whatever a failed check left. */
	for (int i = 0; i < 4; i++) {
		const char *pfx[] = { FG_LINK_XDP_PREFIX, FG_LINK_TCX_IN_PREFIX,
				      FG_LINK_TCX_EG_PREFIX, FG_LINK_TCX_LIMIT_PREFIX };
		char name[64], path[256];

		snprintf(name, sizeof(name), "%slo", pfx[i]);
		fg_pin_path(path, sizeof(path), dir, name);
		unlink(path);
	}
	fx_unpin_maps(dir);
	ASSERT_OK(setns(home, CLONE_NEWNET), "back home");
	close(home);
}
