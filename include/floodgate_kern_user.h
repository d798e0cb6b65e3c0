/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * ABI shared by the BPF programs and the user-space tools: map names, key
 * and value layouts, enums and counter indexes. Both sides include this one
 * file, and the static asserts below break the build if a layout drifts.
 * Only fixed-width __u types: vmlinux.h (BPF side) and <linux/types.h>
 * (user side) both provide them.
 */
#ifndef FLOODGATE_KERN_USER_H
#define FLOODGATE_KERN_USER_H

#ifndef __bpf__
#include <linux/types.h> /* the BPF side gets these from vmlinux.h */
#endif

/* Pinned map names, as they appear under the pin dir. */
#define FG_MAP_CONFIG "config"
#define FG_MAP_POLICY "policy"
#define FG_MAP_BUCKETS "buckets"
#define FG_MAP_STATS "stats"

#define FG_DEFAULT_PIN_DIR "/sys/fs/bpf/floodgate"
#define FG_DEFAULT_SOCKET "/run/floodgate/floodgated.sock" /* floodgated's control socket */
#define FG_BUCKETS_MAX 1000000 /* tracked sources by default */
/* The LRU starts evicting a little before it is full (per-CPU free lists):
 * this slack keeps FG_BUCKETS_MAX sources tracked (measured: 999,938 of
 * 1,000,000 without it). */
#define FG_BUCKETS_LRU_SLACK 4096
#define FG_POLICY_MAX 262144 /* policy files of CIDR lists: 100,000s of prefixes */
#define FG_V6_PREFIX_DEFAULT 64
/*
 * The longest a bucket may take to refill, (burst - 1) x interval, in ns:
 * 2^62 ns is 146 years. Writers refuse more (fg_check_bucket); with it, a TAT
 * (now + at most burst x interval) never overflows a u64.
 */
#define FG_TOLERANCE_MAX_NS (1ULL << 62)

/* Every address is 16 bytes; IPv4 is stored v4-mapped (::ffff:a.b.c.d). */
#define FG_ADDR_LEN 16
#define FG_V4_MAPPED_PREFIX 96 /* a v4 /p is stored as /(96 + p) */

enum fg_mode {
	FG_MODE_ENFORCE = 0,
	/* Policy only: limits and denies count would-drops and pass; breakers
	 * still refuse. */
	FG_MODE_MONITOR = 1,
	FG_MODE_MAX, /* not a mode: the count, for name tables */
};

enum fg_malformed {
	FG_MALFORMED_DROP = 0,
	FG_MALFORMED_PASS = 1,
};

/*
 * The layout of every pinned map, as a number: bump it whenever a key or
 * value of any map changes, so pins of another version are refused (user
 * space also checks each map's sizes, but a field's meaning can change
 * with its size unchanged). 1: this file before fg_config carried it.
 * 3: upstream_ports by protocol and word (one 8 KiB bitmap in 2); the fleet
 *    shares' maps (hot, shares) and FG_GEN_HOT in policy_gen.
 */
#define FG_LAYOUT_VERSION 3

/* config[0]: global settings written by the CLI / daemon. */
struct fg_config {
	enum fg_mode mode;
	__u32 v6_prefix;     /* IPv6 sources are bucketed by this prefix */
	__u32 policy_gen;    /* bumped on every policy change; stales cached policy;
			      * never FG_GEN_RECHECK */
	enum fg_malformed malformed; /* what to do with malformed IP */
	__u64 heartbeat_ns;  /* controller heartbeat (CLOCK_MONOTONIC) */
	__u64 stale_ns;      /* heartbeat older than this: ignore daemon breaker state */
	__u32 probe_mark;    /* skb->mark of the controller's own probes */
	__u32 layout;        /* FG_LAYOUT_VERSION of whoever made the pins */
	/* Fleet shares: 1 while floodgated's fleet is up, so a box alone
	 * never marks sources hot (they would cost it a lookup per packet
	 * for nothing); written with the heartbeat. */
	__u32 shares_on;
	__u32 pad;
};

/*
 * A bucket's policy_gen when it must be checked against the trie on every
 * packet: an IPv6 bucket prefix (/64) holding a longer policy (a /128 deny)
 * caches nothing, so the longer policy holds for exactly its addresses.
 */
#define FG_GEN_RECHECK 0

/*
 * policy: LPM trie key. prefixlen counts bits of the 16-byte address.
 * IPv4 /p is ::ffff:a.b.c.d/(96+p), and IPv6 prefixes of 96 bits or more
 * inside ::ffff:0:0/96 are refused (fg_parse_prefix), so a match of 96+ bits
 * there is IPv4 and families never mix (limiter.h, fg_policy_of).
 */
struct fg_lpm_key {
	__u32 prefixlen;
	__u8 addr[FG_ADDR_LEN];
};

enum fg_action {
	FG_ACT_LIMIT = 0,
	FG_ACT_ALLOW = 1, /* skip limits */
	FG_ACT_DENY = 2,  /* drop */
	FG_ACT_MAX,       /* not an action: the count, for name tables */
};

enum fg_bucket_per {
	FG_PER_SOURCE = 0, /* one bucket per source (IPv6: per v6_prefix) */
	FG_PER_PREFIX = 1, /* one bucket shared by the whole prefix */
	FG_PER_MAX,        /* not a mode: the count, for name tables */
};

/* fg_policy.flags, derived by user space from the whole set (fg_policy_derive). */
#define FG_POL_SPLIT 0x1 /* an IPv6 bucket prefix (/64) this policy is the nearest
			  * cover of holds a longer policy: recheck per packet */

struct fg_policy {
	enum fg_action action;
	enum fg_bucket_per per;
	__u64 interval_ns;     /* GCRA emission interval T = 1e9 / rate */
	__u32 burst;           /* B >= 1; (B - 1) x T <= FG_TOLERANCE_MAX_NS */
	__u32 prefixlen;       /* the matched prefix, for per-prefix bucket keys */
	__u64 new_interval_ns; /* new-source budget (--new-sources): T; 0 = off */
	__u32 new_burst;       /* its burst */
	__u32 flags;           /* FG_POL_* */
	/* Datapath state, written by the programs in place; zero from user space. */
	__u64 admit_tat;       /* the new-source budget's TAT */
	__u64 overflow_tat;    /* the TAT of the one bucket unadmitted sources share */
};

/* buckets: LRU hash key. addr is masked to plen bits. */
#define FG_KEY_SHARED 0x100 /* in plen: one bucket shared by a whole prefix */
#define FG_KEY_V6_MAPPED 0x200 /* in plen: an IPv6 source in ::ffff:0:0/96, kept
				* apart from the IPv4 source of the same bits */
struct fg_bucket_key {
	__u8 addr[FG_ADDR_LEN];
	__u32 plen;
};

/*
 * buckets: value. GCRA needs only the theoretical arrival time; the policy's
 * parameters ride along so a known source never walks the LPM trie, and
 * policy_gen tells when they went stale.
 */
struct fg_bucket {
	__u64 tat;         /* theoretical arrival time, ns (CLOCK_MONOTONIC) */
	__u64 interval_ns; /* cached from the policy */
	__u32 burst;       /* cached from the policy */
	__u32 policy_gen;  /* config.policy_gen when cached */
};

/*
 * stats: per-CPU counters, one slot per reason. Each packet bumps exactly one
 * reason, and every reason has one verdict: reasons below FG_R_FIRST_DROP
 * passed, the rest dropped, so verdict totals are sums and the hot path does
 * a single increment. FG_C_* are extra events counted beside the reason.
 */
enum fg_stat {
	FG_R_NON_IP = 0,        /* ARP, LLDP...: never touched */
	FG_R_NO_POLICY,         /* no prefix matched */
	FG_R_ALLOW,             /* allow prefix: limits skipped */
	FG_R_LIMIT_PASS,        /* within its bucket */
	FG_R_BUCKET_FULL,       /* could not track the source: fail open */
	FG_R_MALFORMED_PASS,    /* malformed, passed by config */
	FG_R_MONITOR_DENY,      /* monitor mode: would have dropped */
	FG_R_MONITOR_LIMIT,
	FG_R_MONITOR_MALFORMED,
	FG_R_OVERFLOW_PASS,     /* unknown source past the new-source budget, passed
				 * by the shared overflow bucket (no bucket of its own) */
	FG_R_MONITOR_OVERFLOW,  /* monitor mode: the overflow bucket would have dropped */
	FG_R_FIRST_DROP,
	FG_R_DENY = FG_R_FIRST_DROP,
	FG_R_LIMIT_DROP,        /* over its bucket */
	FG_R_MALFORMED,         /* truncated or inconsistent IP headers */
	FG_R_CONTENTION,        /* CAS retries exhausted: treated as over */
	FG_R_BREAKER_DROP,      /* destination upstream's breaker refused it */
	FG_R_BREAKER_RESET,     /* refused, and the SYN answered with a RST */
	FG_R_OVERFLOW_DROP,     /* unknown source past the budget and the overflow bucket */
	FG_R_MAX,
	FG_C_NEW_SOURCE = FG_R_MAX, /* bucket inserted (map pressure) */
	FG_C_FRAGMENT,              /* IP fragment seen */
	FG_C_FLOW_NEW,              /* flow entry inserted (a handshake seen) */
	FG_C_FLOW_UNTRACKED,        /* client data to an upstream on no flow entry
				     * (evicted by pressure, or older than the attach) */
	FG_C_ADMITTED,              /* unknown source given a bucket by the budget */
	FG_STAT_MAX,
};

/*
 * Fleet shares (DESIGN 4b, floodgated's [fleet]): a source that arrives on
 * several boxes gets its limit once across them, not once per box.
 *
 * A known source whose bucket shows it used more than half its burst is
 * marked hot, once: the datapath inserts its bucket key into hot and sets
 * FG_GEN_HOT in its bucket's policy_gen, so a source that stays cold pays
 * nothing (its policy_gen still equals config's). Each sync floodgated
 * reads hot, publishes the local rates, and writes shares: for a hot source
 * the fleet sends more than its limit, this box's part of it. The datapath
 * judges a hot source by its share while the share is unexpired, and never
 * more loosely than by its own bucket.
 */
#define FG_MAP_HOT "hot"
#define FG_MAP_SHARES "shares"
#define FG_HOT_MAX 16384    /* hot sources tracked; the coldest are evicted */
#define FG_SHARES_MAX 16384
/* In fg_bucket.policy_gen: the source is hot (fg_policy_gen_next keeps
 * generations below it). */
#define FG_GEN_HOT 0x80000000U
/* However a share map was written, the datapath never judges a source by
 * less than its limit >> FG_SHARE_FLOOR_SHIFT (1/64): the daemon's own
 * floor (share_floor) is higher. */
#define FG_SHARE_FLOOR_SHIFT 6

/* hot: value, written by the datapath only (floodgated deletes cooled
 * entries). packets counts every packet of the source since first_ns,
 * passed or dropped: the rate it offers here. */
struct fg_hot {
	__u64 packets;
	__u64 first_ns;    /* marked hot (CLOCK_MONOTONIC) */
	__u64 interval_ns; /* the bucket's own limit, for the daemon's arithmetic */
	__u32 burst;
	__u32 pad;
};

/* shares: value (key: the bucket key), written by floodgated only. A share
 * past expires_ns (CLOCK_MONOTONIC) is ignored, so a dead daemon or a lost
 * Redis cannot keep a source throttled longer than stale. */
struct fg_share {
	__u64 interval_ns; /* this box's part of the limit: T / share */
	__u32 burst;
	__u32 pad;
	__u64 expires_ns;
};

/* Enums in values print by name in bpftool map dump; they are 4 bytes. */
_Static_assert(sizeof(enum fg_action) == 4, "enum size");
_Static_assert(sizeof(struct fg_config) == 48, "fg_config layout");
_Static_assert(sizeof(struct fg_lpm_key) == 20, "fg_lpm_key layout");
_Static_assert(sizeof(struct fg_policy) == 56, "fg_policy layout");
_Static_assert(sizeof(struct fg_bucket_key) == 20, "fg_bucket_key layout");
_Static_assert(sizeof(struct fg_bucket) <= 24, "bucket value must stay <= 24 bytes");
_Static_assert(sizeof(struct fg_hot) == 32, "fg_hot layout");
_Static_assert(sizeof(struct fg_share) == 24, "fg_share layout");

#endif /* FLOODGATE_KERN_USER_H */
