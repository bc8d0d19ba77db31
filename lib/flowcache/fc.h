/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/flowcache: header parsing into flow keys, and (issue #3) the
 * exact-match cache and the masked megaflow classifier.
 *
 * Position: src/ calls fc_parse_burst() first in every pipeline pass, then
 * the lookup stages; this library knows no ports, lcores or config.
 *
 * Thread safety: fc_parse_burst() touches only its arguments; a
 * 'struct fc_parse_ctx' belongs to one thread (its counters are plain,
 * single writer; other threads may read them with relaxed loads).
 */
#ifndef FC_H
#define FC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "pktmeta.h"

/** Largest burst any fc_ stage accepts (fits a uint64_t mask). */
#define FC_BURST_MAX 64

/*
 * Parse anomalies and drops.  X(enum suffix, name, dropped?)
 * Frames with an anomaly that is not a drop are parsed as far as valid and
 * continue to the flow tables with the fields that were valid (as OVS does);
 * the anomaly is still counted.  A layer is stored whole or not at all: an
 * IPv4 header with a bad IHL or length leaves every nw_* field zero (dl_type
 * stays set), a bad L4 header leaves tp_* and tcp_flags zero (nw_* stay set),
 * an IPv6 extension chain that cannot be walked leaves nw_proto and nw_frag
 * zero (addresses, label, tos and hop limit stay set).  An ethertype without
 * a parser here is no anomaly.
 */
#define FC_PARSE_REASONS(X)                                                                     \
	X(RUNT, "runt", 1)                   /* shorter than an Ethernet header */             \
	X(VLAN_TRUNC, "vlan_truncated", 1)   /* 802.1Q tag cut short */                        \
	X(IP_TRUNC, "ip_truncated", 0)       /* IPv4/IPv6 header cut short */                  \
	X(IP_BAD_IHL, "ip_bad_ihl", 0)       /* IHL < 5 or beyond the frame */                 \
	X(IP_BAD_LEN, "ip_bad_len", 0)       /* total length beyond the frame or < IHL */      \
	X(IP_BAD_VER, "ip_bad_version", 0)   /* version field disagrees with ethertype */      \
	X(L4_TRUNC, "l4_truncated", 0)       /* TCP/UDP/ICMP header cut short */               \
	X(TCP_BAD_OFF, "tcp_bad_offset", 0)  /* TCP data offset < 5 or beyond the segment */   \
	X(ARP_TRUNC, "arp_truncated", 0)     /* ARP body cut short or not Ethernet/IPv4 */     \
	X(IPV6_EXT, "ipv6_ext_truncated", 0) /* ext. chain cut short, > 8 headers or > 511 B */

enum fc_parse_reason {
#define FC_PR_ENUM__(e, s, d) FC_PR_##e,
	FC_PARSE_REASONS(FC_PR_ENUM__)
#undef FC_PR_ENUM__
	FC_PR_N
};

/** Name of a parse reason, for counters ("unknown" when out of range). */
const char *fc_parse_reason_name(enum fc_parse_reason r);

/** True when frames with reason 'r' are dropped (the third X-macro column). */
bool fc_parse_reason_is_drop(enum fc_parse_reason r);

/** Per-thread parse context. */
struct fc_parse_ctx {
	uint16_t in_port;          /**< written into key.in_port */
	uint64_t n_reason[FC_PR_N]; /**< counts per reason (drops and anomalies) */
};

/**
 * Parses each frame of pkts[0, n) into keys[i]: Ethernet, one 802.1Q or
 * 802.1ad tag (vlan_tci = TCI | PM_VLAN_PRESENT, both in network order; a
 * second tag is left in the payload: dl_type is then 0x8100), ARP, IPv4
 * (with fragments: ports only in first fragments), IPv6 (walking hop-by-hop,
 * routing, fragment and destination options headers), TCP, UDP, SCTP, ICMP,
 * ICMPv6 (type and code as tp_src/tp_dst = htons(type)/htons(code)).  The
 * key is zeroed first; in_port comes from ctx.  mbuf l2_len (Ethernet +
 * VLAN), l3_len (IPv6: with extension headers) and l4_len are set where
 * known (0 otherwise); the other tx_offload fields are kept.
 *
 * Multi-segment mbufs: only the first segment (data_len) is read, while IP
 * lengths are checked against pkt_len; a header that continues past the
 * first segment counts as truncated (FC_PR_IP_TRUNC, FC_PR_L4_TRUNC...).
 *
 * On return pkts[0, ret) hold the frames that go on, compacted in arrival
 * order with their keys; pkts[ret, n) hold frames dropped by a FC_PR_* reason
 * with the drop flag, which the caller frees.  Never allocates or frees.
 *
 * @param n  at most FC_BURST_MAX.
 * @return the number of frames that go on.
 */
uint16_t fc_parse_burst(struct fc_parse_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
		struct pm_key *keys);

/**
 * Parses one frame of 'len' bytes at 'data' into 'key' (key zeroed first;
 * in_port set by the caller afterwards).  Offsets are returned through
 * l2_len/l3_len/l4_len (may be NULL).
 *
 * @return -1 when the frame must be dropped with the reason stored in
 *         '*reason' (the key is then all zero); otherwise 0, and '*reason'
 *         holds an anomaly or FC_PR_N.
 */
int fc_parse_frame(const uint8_t *data, uint32_t len, struct pm_key *key, uint16_t *l2_len,
		uint16_t *l3_len, uint16_t *l4_len, enum fc_parse_reason *reason);

#endif /* FC_H */
