// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The breaker's port pre-filter (upstream_ports) under BPF_PROG_TEST_RUN:
 * the datapath looks an upstream up only when some upstream has the
 * packet's port and protocol, so the one writer (upstream_entry.c) must set
 * a bit before the first entry with it and clear it only after the last.
 * Each step below checks what XDP does with packets to the upstreams left,
 * and the bit itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/in.h>

#include "fixture.h"
#include "upstream_entry.h"

#define UP_A "198.18.2.10"
#define UP_B "198.18.2.11"

static struct pkt_spec to(const char *dst, __u16 dport, __u8 proto)
{
	return (struct pkt_spec){ .src = "198.18.1.5", .dst = dst, .sport = 40000, .dport = dport,
				  .proto = proto, .seq = 1000 };
}

/* The port's bit for proto as the datapath reads it: 1, 0, or -1. */
static int port_bit(__u16 port, __u8 proto)
{
	__u32 word = fg_port_word(proto, port);
	__u64 bits;

	if (bpf_map_lookup_elem(fx_maps.upstream_ports, &word, &bits))
		return -1;
	return !!(bits & fg_port_bit(port));
}

static int del(const char *ep, __u8 proto)
{
	struct fg_upstream_key key;
	struct fg_upstream val;

	if (fx_upstream_get(ep, proto, &key, &val))
		return -ENOENT;
	return fg_entry_delete(&fx_maps, &key);
}

TEST(port_filter_follows_entries)
{
	SETUP();
	ASSERT_EQ(port_bit(80, IPPROTO_TCP), 0, "no upstream yet: bit clear");
	ASSERT_EQ(fx_xdp(to(UP_A, 80, IPPROTO_TCP)), XDP_PASS, "no upstream: passes");

	fx_upstream(UP_A ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	fx_upstream(UP_B ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_RESET, 1, 0);
	ASSERT_EQ(port_bit(80, IPPROTO_TCP), 1, "added: bit set");
	ASSERT_EQ(fx_xdp(to(UP_A, 80, IPPROTO_TCP)), XDP_DROP, "open, drop");
	ASSERT_EQ(fx_xdp(to(UP_B, 80, IPPROTO_TCP)), XDP_TX, "open, reset: a RST back");

	/* A sibling on the same port goes: the other keeps its breaker. */
	ASSERT_OK(del(UP_B ":80", IPPROTO_TCP), "delete the sibling");
	ASSERT_EQ(port_bit(80, IPPROTO_TCP), 1, "one upstream left on tcp/80: bit stays");
	ASSERT_EQ(fx_xdp(to(UP_A, 80, IPPROTO_TCP)), XDP_DROP, "still meets its breaker");
	ASSERT_EQ(fx_xdp(to(UP_B, 80, IPPROTO_TCP)), XDP_PASS, "the deleted one passes");

	/* UDP on the same port number is another bit. */
	fx_upstream(UP_A ":80", IPPROTO_UDP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	ASSERT_EQ(port_bit(80, IPPROTO_UDP), 1, "udp/80 added: its bit set");
	ASSERT_EQ(fx_xdp(to(UP_A, 80, IPPROTO_UDP)), XDP_DROP, "udp upstream open");
	ASSERT_OK(del(UP_A ":80", IPPROTO_UDP), "delete udp/80");
	ASSERT_EQ(port_bit(80, IPPROTO_UDP), 0, "last udp/80 gone: its bit clear");
	ASSERT_EQ(port_bit(80, IPPROTO_TCP), 1, "tcp/80 untouched");
	ASSERT_EQ(fx_xdp(to(UP_A, 80, IPPROTO_TCP)), XDP_DROP, "tcp upstream still refused");

	/* The last one goes, then comes back. */
	ASSERT_OK(del(UP_A ":80", IPPROTO_TCP), "delete the last on tcp/80");
	ASSERT_EQ(port_bit(80, IPPROTO_TCP), 0, "last tcp/80 gone: bit clear");
	ASSERT_EQ(fx_xdp(to(UP_A, 80, IPPROTO_TCP)), XDP_PASS, "no upstream: passes");
	fx_upstream(UP_A ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	ASSERT_EQ(port_bit(80, IPPROTO_TCP), 1, "re-added: bit set");
	ASSERT_EQ(fx_xdp(to(UP_A, 80, IPPROTO_TCP)), XDP_DROP, "re-added: refused again");
	ASSERT_EQ(del(UP_B ":80", IPPROTO_TCP), -ENOENT, "deleting a missing entry says so");
}

TEST(port_filter_gates_the_lookup)
{
	struct fg_upstream_key key;
	struct fg_upstream val;

	SETUP();
	fx_upstream(UP_A ":80", IPPROTO_TCP, FG_BREAKER_OPEN, FG_REJECT_DROP, 1, 0);
	ASSERT_EQ(fx_upstream_get(UP_A ":80", IPPROTO_TCP, &key, &val), 0, "read it back");
	ASSERT_EQ(port_bit(81, IPPROTO_TCP), 0, "tcp/81: no bit");
	ASSERT_EQ(fx_xdp(to(UP_A, 81, IPPROTO_TCP)), XDP_PASS, "another port passes");

	/* An entry written past the writer, bit unset: the datapath does not
	 * look, which is why every insert goes through fg_entry_put. */
	key.port = htons(81);
	ASSERT_OK(bpf_map_update_elem(fx_maps.upstreams, &key, &val, BPF_NOEXIST), "raw insert");
	ASSERT_EQ(fx_xdp(to(UP_A, 81, IPPROTO_TCP)), XDP_PASS, "no bit: breaker skipped");
	ASSERT_OK(bpf_map_delete_elem(fx_maps.upstreams, &key), "raw delete");
	ASSERT_OK(fg_entry_put(&fx_maps, &key, &val, BPF_NOEXIST), "through the writer");
	ASSERT_EQ(port_bit(81, IPPROTO_TCP), 1, "tcp/81: bit set");
	ASSERT_EQ(fx_xdp(to(UP_A, 81, IPPROTO_TCP)), XDP_DROP, "now refused");

	/* A write that fails leaves no bit of its own behind. */
	key.port = htons(82);
	ASSERT_EQ(fg_entry_put(&fx_maps, &key, &val, BPF_EXIST), -ENOENT, "update of nothing");
	ASSERT_EQ(port_bit(82, IPPROTO_TCP), 0, "tcp/82: bit released");
}
