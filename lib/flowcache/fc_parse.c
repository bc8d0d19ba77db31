/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Header parser: frames to 'struct pm_key', first stage of every pipeline
 * pass (see fc.h for the contract).
 *
 * One pass front to back, as OVS miniflow_extract() does: each layer is
 * validated before any of its fields is stored (the IPv6 fixed header and its
 * extension chain count as two layers), so a malformed layer leaves its
 * fields zero while the layers before it stay matchable; the anomaly is
 * counted, and only frames without a whole Ethernet header or VLAN tag are
 * dropped.  Packet fields are copied in network order, without swapping;
 * adjacent key fields that are adjacent on the wire are copied at once
 * (layout asserted below).
 *
 * Bounds: 'avail' is what can be read (the first segment of an mbuf), 'len'
 * is the frame length that the IP lengths are checked against (pkt_len).
 * They differ only for multi-segment mbufs, whose headers past the first
 * segment count as truncated: a segmented jumbo frame keeps its valid L3
 * fields, and its L4 fields when they lie in the first segment.
 *
 * Thread safety: no state; a 'struct fc_parse_ctx' belongs to one thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_debug.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "fc.h"

#define FC_ETH_HLEN     14
#define FC_VLAN_HLEN    4
#define FC_ARP_LEN      28
#define FC_IPV4_HLEN    20
#define FC_IPV6_HLEN    40
#define FC_TCP_HLEN     20
#define FC_UDP_HLEN     8
#define FC_SCTP_HLEN    12
#define FC_ICMP_HLEN    8 /* type, code, checksum, rest of header (OVS ICMP_HEADER_LEN) */
#define FC_IPV6_EXT_MIN 8

/* Ethertypes and protocol numbers; the 16-bit ones in network order, as read from the wire. */
#define FC_BE_ETH_IPV4      RTE_BE16(0x0800)
#define FC_BE_ETH_ARP       RTE_BE16(0x0806)
#define FC_BE_ETH_VLAN      RTE_BE16(0x8100)
#define FC_BE_ETH_QINQ      RTE_BE16(0x88a8)
#define FC_BE_ETH_IPV6      RTE_BE16(0x86dd)
#define FC_IPPROTO_HOPOPTS  0
#define FC_IPPROTO_ICMP     1
#define FC_IPPROTO_TCP      6
#define FC_IPPROTO_UDP      17
#define FC_IPPROTO_ROUTING  43
#define FC_IPPROTO_FRAGMENT 44
#define FC_IPPROTO_ICMPV6   58
#define FC_IPPROTO_DSTOPTS  60
#define FC_IPPROTO_SCTP     132

/* IPv4 flags/offset word: MF and offset mark a fragment, the offset alone a later one. */
#define FC_BE_IPV4_FRAG   RTE_BE16(0x3fff)
#define FC_BE_IPV4_OFFSET RTE_BE16(0x1fff)
/* IPv6 fragment header offset field (13 bits above 2 reserved bits and M). */
#define FC_BE_IPV6_OFFSET RTE_BE16(0xfff8)

/*
 * Longest IPv6 extension header chain walked.  Real chains have two or three
 * headers; the bound keeps the cost per frame fixed.  Longer chains, and
 * chains whose L3 length would not fit mbuf l3_len (9 bits), are anomalies.
 */
#define FC_IPV6_EXT_MAX 8
#define FC_L3_LEN_MAX   ((1u << RTE_MBUF_L3_LEN_BITS) - 1)

/* Frames ahead of the current one whose first data line is prefetched. */
#define FC_PREFETCH_AHEAD 4

/* The l2_len, l3_len and l4_len bits of mbuf tx_offload. */
#define FC_TXO_LENS_MASK                                                                           \
	((((UINT64_C(1) << RTE_MBUF_L2_LEN_BITS) - 1) << RTE_MBUF_L2_LEN_OFS) |                    \
	 (((UINT64_C(1) << RTE_MBUF_L3_LEN_BITS) - 1) << RTE_MBUF_L3_LEN_OFS) |                    \
	 (((UINT64_C(1) << RTE_MBUF_L4_LEN_BITS) - 1) << RTE_MBUF_L4_LEN_OFS))

_Static_assert(offsetof(struct pm_key, dl_src) == offsetof(struct pm_key, dl_dst) + 6,
               "dl_dst, dl_src are copied together");
_Static_assert(offsetof(struct pm_key, nw_dst) == offsetof(struct pm_key, nw_src) + 4,
               "nw_src, nw_dst are copied together");
_Static_assert(offsetof(struct pm_key, tp_dst) == offsetof(struct pm_key, tp_src) + 2,
               "tp_src, tp_dst are copied together");
_Static_assert(offsetof(struct pm_key, ipv6_dst) == offsetof(struct pm_key, ipv6_src) + 16,
               "ipv6_src, ipv6_dst are copied together");

/*
 * Header offsets and the anomaly found, filled by parse__().  The offsets are
 * kept as mbuf tx_offload bits: one register instead of three in a loop that
 * is short of them.
 */
struct fc_parse_res {
	uint64_t lens;   /* l2_len, l3_len, l4_len as in mbuf tx_offload */
	uint32_t reason; /* enum fc_parse_reason, FC_PR_N when none */
};

#define FC_L2_LEN__(v) ((uint64_t)(v) << RTE_MBUF_L2_LEN_OFS)
#define FC_L3_LEN__(v) ((uint64_t)(v) << RTE_MBUF_L3_LEN_OFS)
#define FC_L4_LEN__(v) ((uint64_t)(v) << RTE_MBUF_L4_LEN_OFS)

static const char *const fc_parse_reason_names[FC_PR_N] = {
#define FC_PR_NAME__(e, s, d) [FC_PR_##e] = s,
	FC_PARSE_REASONS(FC_PR_NAME__)
#undef FC_PR_NAME__
};

static const bool fc_parse_reason_drops[FC_PR_N] = {
#define FC_PR_DROP__(e, s, d) [FC_PR_##e] = d,
	FC_PARSE_REASONS(FC_PR_DROP__)
#undef FC_PR_DROP__
};

const char *
fc_parse_reason_name(enum fc_parse_reason r)
{
	return (unsigned int)r < FC_PR_N ? fc_parse_reason_names[r] : "unknown";
}

bool
fc_parse_reason_is_drop(enum fc_parse_reason r)
{
	return (unsigned int)r < FC_PR_N && fc_parse_reason_drops[r];
}

/*
 * L4 header at 'l4': 'avail' bytes readable, 'len' bytes of IP payload.
 * 'icmp' is the ICMP protocol number of this IP version.
 */
static __rte_always_inline void
parse_l4__(struct pm_key *key, const uint8_t *l4, uint32_t avail, uint32_t len, uint8_t icmp,
           struct fc_parse_res *res)
{
	uint8_t proto = key->nw_proto;
	uint32_t hlen;

	if (likely(proto == FC_IPPROTO_UDP)) {
		if (unlikely(avail < FC_UDP_HLEN))
			goto trunc;
		memcpy(&key->tp_src, l4, 4); /* tp_src, tp_dst */
		res->lens |= FC_L4_LEN__(FC_UDP_HLEN);
	} else if (likely(proto == FC_IPPROTO_TCP)) {
		if (unlikely(avail < FC_TCP_HLEN))
			goto trunc;
		/* The options need not be readable (first segment), only inside the payload. */
		hlen = (uint32_t)(l4[12] >> 4) * 4;
		if (unlikely(hlen < FC_TCP_HLEN || hlen > len)) {
			res->reason = FC_PR_TCP_BAD_OFF;
			return;
		}
		memcpy(&key->tp_src, l4, 4);
		key->tcp_flags = pm_rd16(l4 + 12) & RTE_BE16(0x0fff);
		res->lens |= FC_L4_LEN__(hlen);
	} else if (proto == icmp) {
		if (unlikely(avail < FC_ICMP_HLEN))
			goto trunc;
		/* As OVS: type and code in the port fields, in network order. */
		key->tp_src = rte_cpu_to_be_16(l4[0]);
		key->tp_dst = rte_cpu_to_be_16(l4[1]);
		res->lens |= FC_L4_LEN__(FC_ICMP_HLEN);
	} else if (proto == FC_IPPROTO_SCTP) {
		if (unlikely(avail < FC_SCTP_HLEN))
			goto trunc;
		memcpy(&key->tp_src, l4, 4);
		res->lens |= FC_L4_LEN__(FC_SCTP_HLEN);
	}
	return;
trunc:
	res->reason = FC_PR_L4_TRUNC;
}

/* IPv4 at 'ip', 'avail' bytes readable and 'len' in the frame. */
static __rte_always_inline void
parse_ipv4__(struct pm_key *key, const uint8_t *ip, uint32_t avail, uint32_t len,
             struct fc_parse_res *res)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (unlikely(avail < FC_IPV4_HLEN)) {
		res->reason = FC_PR_IP_TRUNC;
		return;
	}
	ihl = FC_IPV4_HLEN;
	if (unlikely(ip[0] != 0x45)) {
		ihl = (uint32_t)(ip[0] & 0x0f) * 4;
		if (unlikely(ip[0] >> 4 != 4)) {
			res->reason = FC_PR_IP_BAD_VER;
			return;
		}
		if (unlikely(ihl < FC_IPV4_HLEN || ihl > len)) {
			res->reason = FC_PR_IP_BAD_IHL;
			return;
		}
		if (unlikely(ihl > avail)) { /* options past the first segment */
			res->reason = FC_PR_IP_TRUNC;
			return;
		}
	}
	tot = rte_be_to_cpu_16(pm_rd16(ip + 2));
	if (unlikely(tot - ihl > len - ihl)) { /* ihl <= tot <= len in one unsigned compare */
		res->reason = FC_PR_IP_BAD_LEN;
		return;
	}
	key->nw_tos = ip[1];
	key->nw_ttl = ip[8];
	key->nw_proto = ip[9];
	memcpy(&key->nw_src, ip + 12, 8); /* nw_src, nw_dst */
	res->lens |= FC_L3_LEN__(ihl);
	frag = pm_rd16(ip + 6) & FC_BE_IPV4_FRAG;
	if (unlikely(frag != 0)) {
		key->nw_frag = PM_FRAG_ANY;
		if (frag & FC_BE_IPV4_OFFSET) {
			key->nw_frag |= PM_FRAG_LATER;
			return; /* no L4 header in later fragments */
		}
	}
	/* Ethernet padding after 'tot' is not payload. */
	parse_l4__(key, ip + ihl, RTE_MIN(avail, tot) - ihl, tot - ihl, FC_IPPROTO_ICMP, res);
}

/*
 * Walks the IPv6 extension headers after the fixed header at 'ip', whose next
 * header field is 'nh', inside 'end' bytes, 'end_avail' of them readable.  Stops at the first other
 * header, or after a fragment header with a non-zero offset.
 *
 * @return the L3 length, with 'key' nw_proto and nw_frag set, or 0 with
 *         res->reason set when the chain is cut short or too long.
 */
static __rte_always_inline uint32_t
parse_ipv6_ext__(struct pm_key *key, const uint8_t *ip, uint32_t end, uint32_t end_avail,
                 uint8_t nh, struct fc_parse_res *res)
{
	uint32_t off = FC_IPV6_HLEN;
	uint8_t frag = 0;
	unsigned int i;

	for (i = 0; i <= FC_IPV6_EXT_MAX; i++) {
		const uint8_t *h = ip + off;

		if (likely(nh != FC_IPPROTO_HOPOPTS && nh != FC_IPPROTO_ROUTING &&
		           nh != FC_IPPROTO_DSTOPTS && nh != FC_IPPROTO_FRAGMENT)) {
			key->nw_proto = nh;
			key->nw_frag = frag;
			return off;
		}
		if (unlikely(i == FC_IPV6_EXT_MAX || off + FC_IPV6_EXT_MIN > end_avail))
			break;
		if (nh == FC_IPPROTO_FRAGMENT) {
			/* As OVS: any fragment header, even offset 0 and no M, is a fragment. */
			frag = PM_FRAG_ANY;
			off += FC_IPV6_EXT_MIN;
			/* A chain longer than mbuf l3_len can hold is refused, here too. */
			if (unlikely(off > FC_L3_LEN_MAX))
				break;
			if (pm_rd16(h + 2) & FC_BE_IPV6_OFFSET) {
				key->nw_proto = h[0];
				key->nw_frag = PM_FRAG_ANY | PM_FRAG_LATER;
				return off;
			}
		} else {
			off += ((uint32_t)h[1] + 1) * 8;
		}
		nh = h[0];
		if (unlikely(off > end || off > FC_L3_LEN_MAX))
			break;
	}
	res->reason = FC_PR_IPV6_EXT;
	return 0;
}

/* IPv6 at 'ip', 'avail' bytes readable and 'len' in the frame. */
static __rte_always_inline void
parse_ipv6__(struct pm_key *key, const uint8_t *ip, uint32_t avail, uint32_t len,
             struct fc_parse_res *res)
{
	uint32_t vtc, end, end_avail, l3;

	if (unlikely(avail < FC_IPV6_HLEN)) {
		res->reason = FC_PR_IP_TRUNC;
		return;
	}
	if (unlikely(ip[0] >> 4 != 6)) {
		res->reason = FC_PR_IP_BAD_VER;
		return;
	}
	end = FC_IPV6_HLEN + rte_be_to_cpu_16(pm_rd16(ip + 4));
	if (unlikely(end > len)) {
		res->reason = FC_PR_IP_BAD_LEN;
		return;
	}
	vtc = pm_rd32(ip);
	key->nw_tos = (uint8_t)(rte_be_to_cpu_32(vtc) >> 20);
	key->ipv6_label = vtc & RTE_BE32(0x000fffff);
	key->nw_ttl = ip[7];
	memcpy(key->ipv6_src, ip + 8, 32); /* ipv6_src, ipv6_dst */
	end_avail = RTE_MIN(avail, end);
	l3 = parse_ipv6_ext__(key, ip, end, end_avail, ip[6], res);
	if (unlikely(l3 == 0))
		return;
	res->lens |= FC_L3_LEN__(l3);
	if (unlikely(key->nw_frag & PM_FRAG_LATER))
		return;
	parse_l4__(key, ip + l3, end_avail > l3 ? end_avail - l3 : 0, end - l3, FC_IPPROTO_ICMPV6,
	           res);
}

/* ARP for Ethernet/IPv4 at 'arp', 'avail' bytes readable. */
static __rte_always_inline void
parse_arp__(struct pm_key *key, const uint8_t *arp, uint32_t avail, struct fc_parse_res *res)
{
	/* htype 1, ptype 0x0800, hlen 6, plen 4, in wire order. */
	static const uint8_t eth_ipv4[6] = { 0, 1, 0x08, 0x00, 6, 4 };

	if (unlikely(avail < FC_ARP_LEN || memcmp(arp, eth_ipv4, sizeof(eth_ipv4)) != 0)) {
		res->reason = FC_PR_ARP_TRUNC;
		return;
	}
	key->nw_proto = arp[7]; /* low byte of the opcode */
	memcpy(key->arp_sha, arp + 8, 6);
	memcpy(&key->nw_src, arp + 14, 4);
	memcpy(key->arp_tha, arp + 18, 6);
	memcpy(&key->nw_dst, arp + 24, 4);
	res->lens |= FC_L3_LEN__(FC_ARP_LEN);
}

/*
 * Zeroes 'key' with 32-byte stores when the build's -march has AVX (7 stores),
 * else 16-byte ones (13): not 64-byte ones with AVX-512, which lower the clock
 * of some Intel cores (gcc keeps to 256 bits there for the same reason).  A
 * memset() of its size, or a loop that the compiler turns into one, becomes
 * 'rep stosq' under the -march=corei7 tuning that libdpdk.pc imposes, and that
 * instruction's start-up cost alone is twice the budget of a whole parse.
 */
#if defined(__AVX__)
#define KEY_ZERO_VEC__ 32
#else
#define KEY_ZERO_VEC__ 16
#endif
_Static_assert(sizeof(struct pm_key) >= KEY_ZERO_VEC__, "key_zero__() overlaps its last store");

static __rte_always_inline void
key_zero__(struct pm_key *key)
{
	const uint8_t __attribute__((vector_size(KEY_ZERO_VEC__))) zero = { 0 };
	uint8_t *p = (uint8_t *)key;
	size_t i;

#pragma GCC unroll 16
	for (i = 0; i + sizeof(zero) <= sizeof(*key); i += sizeof(zero))
		memcpy(p + i, &zero, sizeof(zero));
	if (sizeof(*key) % sizeof(zero) != 0)
		memcpy(p + sizeof(*key) - sizeof(zero), &zero, sizeof(zero));
}

/*
 * Parses the frame at 'p' ('avail' readable bytes of a 'len'-byte frame)
 * into 'key'.  @return -1 to drop (res->reason says why; 'key' is then all
 * zero), else 0.
 */
static __rte_always_inline int
parse__(const uint8_t *p, uint32_t avail, uint32_t len, struct pm_key *key,
        struct fc_parse_res *res)
{
	uint32_t l2 = FC_ETH_HLEN;
	uint16_t type;

	key_zero__(key);
	res->lens = 0;
	res->reason = FC_PR_N;
	if (unlikely(avail < FC_ETH_HLEN)) {
		res->reason = FC_PR_RUNT;
		return -1;
	}
	type = pm_rd16(p + 12);
	if (unlikely(type == FC_BE_ETH_VLAN || type == FC_BE_ETH_QINQ)) {
		if (unlikely(avail < FC_ETH_HLEN + FC_VLAN_HLEN)) {
			res->reason = FC_PR_VLAN_TRUNC;
			return -1;
		}
		key->vlan_tci = pm_rd16(p + 14) | RTE_BE16(PM_VLAN_PRESENT);
		type = pm_rd16(p + 16); /* a second tag stays: dl_type is then its TPID */
		l2 += FC_VLAN_HLEN;
	}
	memcpy(key->dl_dst, p, 12); /* dl_dst, dl_src */
	key->dl_type = type;
	res->lens = FC_L2_LEN__(l2);
	if (likely(type == FC_BE_ETH_IPV4))
		parse_ipv4__(key, p + l2, avail - l2, len - l2, res);
	else if (type == FC_BE_ETH_IPV6)
		parse_ipv6__(key, p + l2, avail - l2, len - l2, res);
	else if (type == FC_BE_ETH_ARP)
		parse_arp__(key, p + l2, avail - l2, res);
	return 0;
}

int
fc_parse_frame(const uint8_t *data, uint32_t len, struct pm_key *key, uint16_t *l2_len,
               uint16_t *l3_len, uint16_t *l4_len, enum fc_parse_reason *reason)
{
	struct fc_parse_res res;
	int ret;

	ret = parse__(data, len, len, key, &res);
	if (l2_len != NULL)
		*l2_len = (uint16_t)((res.lens >> RTE_MBUF_L2_LEN_OFS) &
		                     ((1u << RTE_MBUF_L2_LEN_BITS) - 1));
	if (l3_len != NULL)
		*l3_len = (uint16_t)((res.lens >> RTE_MBUF_L3_LEN_OFS) &
		                     ((1u << RTE_MBUF_L3_LEN_BITS) - 1));
	if (l4_len != NULL)
		*l4_len = (uint16_t)((res.lens >> RTE_MBUF_L4_LEN_OFS) &
		                     ((1u << RTE_MBUF_L4_LEN_BITS) - 1));
	*reason = (enum fc_parse_reason)res.reason;
	return ret;
}

uint16_t
fc_parse_burst(struct fc_parse_ctx *ctx, struct rte_mbuf **pkts, uint16_t n, struct pm_key *keys)
{
	struct rte_mbuf *drops[FC_BURST_MAX];
	const uint16_t in_port = ctx->in_port;
	uint16_t n_ok = 0, n_drop = 0, i;
	struct pm_key *key = keys;

	RTE_ASSERT(n <= FC_BURST_MAX);
	for (i = 0; i < n && i < FC_PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], const void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct fc_parse_res res;
		int ret;

		if (i + FC_PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + FC_PREFETCH_AHEAD], const void *));
		/* Only the first segment is read; lengths are checked against the whole frame. */
		ret = parse__(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m),
		              rte_pktmbuf_pkt_len(m), key, &res);
		if (unlikely(res.reason != FC_PR_N))
			ctx->n_reason[res.reason]++;
		if (unlikely(ret < 0)) {
			RTE_ASSERT(fc_parse_reason_drops[res.reason]);
			drops[n_drop++] = m;
			continue;
		}
		key->in_port = in_port;
		m->tx_offload = (m->tx_offload & ~FC_TXO_LENS_MASK) | res.lens;
		pkts[n_ok++] = m;
		key++;
	}
	for (i = 0; i < n_drop; i++)
		pkts[n_ok + i] = drops[i];
	return n_ok;
}
