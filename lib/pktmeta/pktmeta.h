/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-packet flow key and metadata, shared by every stage.
 *
 * A 'struct pm_key' is filled once per pipeline pass by the header parser
 * (lib/flowcache fc_parse_burst()) and carried in an array parallel to the
 * burst.  It holds both what was parsed from the frame and the metadata the
 * pipeline attaches (in_port, registers, recirculation id, tunnel and
 * conntrack fields), so that one masked compare decides a rule or a cache
 * entry.  Packet fields are kept in network byte order, as on the wire, so
 * that the parser copies them without swapping and a mask applies directly;
 * metadata is in host order.
 *
 * This header depends only on libc and is the one lib-to-lib edge the build
 * allows (see STYLE.md section 3).  It has no state: thread safety is the
 * caller's.
 */
#ifndef PKTMETA_H
#define PKTMETA_H

#include <stdint.h>
#include <string.h>

/** 802.1Q: vlan_tci carries this bit when the frame had a tag (as OVS's CFI bit). */
#define PM_VLAN_PRESENT   0x1000u
#define PM_VLAN_VID_MASK  0x0fffu
#define PM_VLAN_PCP_SHIFT 13

/** nw_frag bits (OVS FLOW_NW_FRAG_*). */
#define PM_FRAG_ANY   0x01u
#define PM_FRAG_LATER 0x02u

/** ct_state bits (OVS CS_*), shared with lib/ct. */
#define PM_CS_NEW         0x01u
#define PM_CS_ESTABLISHED 0x02u
#define PM_CS_RELATED     0x04u
#define PM_CS_REPLY_DIR   0x08u
#define PM_CS_INVALID     0x10u
#define PM_CS_TRACKED     0x20u

/** Number of general purpose registers reg0..reg7. */
#define PM_N_REGS 8

/*
 * The flow key.  Grouped so that the fields every lookup touches (metadata,
 * L2, the IPv4 5-tuple) sit in the first two cache lines; IPv6 addresses and
 * conntrack labels follow.  Size is a multiple of 8 so that masked compares
 * run word-wise.  Every byte is defined (padding is zeroed by the parser).
 */
struct pm_key {
	/* Metadata (host order). */
	uint32_t recirc_id;       /**< 0 on the first pass; set by ct(table=). */
	uint16_t in_port;         /**< OpenFlow port number the frame arrived on. */
	uint16_t dl_type;         /**< Ethertype after VLAN tags, network order. */
	uint64_t metadata;        /**< OpenFlow metadata register. */
	uint32_t regs[PM_N_REGS]; /**< reg0..reg7. */

	/* L2 (network order). */
	uint8_t dl_dst[6];
	uint8_t dl_src[6];
	uint16_t vlan_tci; /**< Outer 802.1Q TCI | PM_VLAN_PRESENT, 0 if untagged. */
	uint8_t nw_proto;  /**< IP protocol, or low byte of the ARP opcode. */
	uint8_t nw_tos;    /**< IPv4 TOS / IPv6 traffic class (DSCP and ECN). */

	/* L3/L4, IPv4 and ARP (network order). */
	uint32_t nw_src;    /**< IPv4 source, or ARP sender protocol address. */
	uint32_t nw_dst;    /**< IPv4 destination, or ARP target protocol address. */
	uint16_t tp_src;    /**< TCP/UDP source port; ICMP type in the low byte. */
	uint16_t tp_dst;    /**< TCP/UDP destination port; ICMP code in the low byte. */
	uint16_t tcp_flags; /**< TCP flags (12 bits). */
	uint8_t nw_ttl;     /**< IPv4 TTL / IPv6 hop limit. */
	uint8_t nw_frag;    /**< PM_FRAG_* bits. */

	/* Tunnel metadata (network order), set by VXLAN decapsulation. */
	uint64_t tun_id;
	uint32_t tun_src;
	uint32_t tun_dst;

	/* Conntrack metadata (host order except addresses and ports). */
	uint32_t ct_mark;
	uint16_t ct_zone;
	uint8_t ct_state; /**< PM_CS_* bits. */
	uint8_t ct_nw_proto;
	uint32_t ct_nw_src;
	uint32_t ct_nw_dst;
	uint16_t ct_tp_src;
	uint16_t ct_tp_dst;
	uint32_t pad0;
	uint8_t ct_label[16];

	/* ARP hardware addresses and IPv6 (network order). */
	uint8_t arp_sha[6];
	uint8_t arp_tha[6];
	uint32_t ipv6_label; /**< Flow label (20 bits). */
	uint8_t ipv6_src[16];
	uint8_t ipv6_dst[16];

	/* Conntrack, IPv6 connections: the original direction's addresses (ct_nw_src and
	 * ct_nw_dst are IPv4's).  Last: the EMC hashes the words from ipv6_src on for IPv6
	 * keys only, and an IPv4 key leaves them zero. */
	uint8_t ct_ipv6_src[16];
	uint8_t ct_ipv6_dst[16];
};

#define PM_KEY_WORDS (sizeof(struct pm_key) / sizeof(uint64_t))

/*
 * Word-wise access to a key.  may_alias: the key is written field by field
 * and read here as 64-bit words; without it the compiler may reorder those
 * reads before the field stores (strict aliasing).
 */
typedef uint64_t __attribute__((__may_alias__)) pm_word_t;

_Static_assert(sizeof(struct pm_key) % sizeof(uint64_t) == 0, "pm_key must be whole words");

/* Unaligned loads in wire order (no byte swap): a frame's headers may start at any byte. */
static inline uint16_t
pm_rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
pm_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
pm_rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/**
 * Compares 'a' and 'b' under 'mask' word by word (the key in a rule or cache
 * entry is stored pre-masked, so 'b' is usually already masked).
 *
 * @return nonzero when (a & mask) == (b & mask) over the first 'n_words' words.
 */
static inline int
pm_key_match_masked(const struct pm_key *a, const struct pm_key *b, const struct pm_key *mask,
                    unsigned int n_words)
{
	const pm_word_t *pa = (const pm_word_t *)a;
	const pm_word_t *pb = (const pm_word_t *)b;
	const pm_word_t *pm = (const pm_word_t *)mask;
	uint64_t diff = 0;
	unsigned int i;

	for (i = 0; i < n_words; i++)
		diff |= (pa[i] ^ pb[i]) & pm[i];
	return diff == 0;
}

/**
 * pm_key_match_masked() over the words idx[0, n) only: for masks with few
 * nonzero words spread over the key (a megaflow on dl_type, nw_proto and the
 * ct fields at the end), which the dense form would walk word by word.
 */
static inline int
pm_key_match_sparse(const struct pm_key *a, const struct pm_key *b, const struct pm_key *mask,
                    const uint8_t *idx, unsigned int n)
{
	const pm_word_t *pa = (const pm_word_t *)a;
	const pm_word_t *pb = (const pm_word_t *)b;
	const pm_word_t *pm = (const pm_word_t *)mask;
	uint64_t diff = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		diff |= (pa[idx[i]] ^ pb[idx[i]]) & pm[idx[i]];
	return diff == 0;
}

/** Stores 'src' & 'mask' into 'dst' (may alias 'src'). */
static inline void
pm_key_apply_mask(struct pm_key *dst, const struct pm_key *src, const struct pm_key *mask)
{
	pm_word_t *pd = (pm_word_t *)dst;
	const pm_word_t *ps = (const pm_word_t *)src;
	const pm_word_t *pm = (const pm_word_t *)mask;
	unsigned int i;

	for (i = 0; i < PM_KEY_WORDS; i++)
		pd[i] = ps[i] & pm[i];
}

#endif /* PKTMETA_H */
