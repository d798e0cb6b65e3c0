/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Constants that vmlinux.h lacks (it carries types, not #defines). */
#ifndef FG_COMPAT_H
#define FG_COMPAT_H

#ifndef ETH_P_IP
#define ETH_P_IP 0x0800
#endif
#ifndef ETH_P_IPV6
#define ETH_P_IPV6 0x86DD
#endif
#ifndef ETH_P_8021Q
#define ETH_P_8021Q 0x8100
#endif
#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#ifndef IP_MF
#define IP_MF 0x2000
#endif
#ifndef IP_OFFSET
#define IP_OFFSET 0x1FFF
#endif
#ifndef TC_ACT_OK
#define TC_ACT_OK 0
#endif
#ifndef TC_ACT_SHOT
#define TC_ACT_SHOT 2
#endif
#ifndef ETH_ALEN
#define ETH_ALEN 6
#endif
#ifndef BPF_NOEXIST
#define BPF_NOEXIST 1
#endif

/* IPv6 extension header numbers are #defines in uapi, not enum values. */
#ifndef IPPROTO_HOPOPTS
#define IPPROTO_HOPOPTS 0
#endif
#ifndef IPPROTO_ROUTING
#define IPPROTO_ROUTING 43
#endif
#ifndef IPPROTO_FRAGMENT
#define IPPROTO_FRAGMENT 44
#endif
#ifndef IPPROTO_DSTOPTS
#define IPPROTO_DSTOPTS 60
#endif
/* Extension headers newer than the parser's first list (RFC 7045 §2). */
#define FG_IPPROTO_MH 135    /* Mobility */
#define FG_IPPROTO_HIP 139   /* Host Identity Protocol */
#define FG_IPPROTO_SHIM6 140

#ifndef READ_ONCE
#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#endif

#endif /* FG_COMPAT_H */
