/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builder for tests, the demo and the benchmarks (no DPDK, no EAL).
 *
 * A 'struct pb_flow' describes one frame layer by layer: Ethernet with up to
 * PB_VLAN_MAX tags, then ARP, IPv4 (with options), IPv6 (with extension
 * headers) or a raw ethertype, then UDP, TCP (with options), SCTP, ICMP or
 * ICMPv6 (echo, or errors quoting an inner packet), optionally VXLAN in UDP
 * carrying an inner frame.  pb_build() writes it into a caller buffer with
 * correct lengths and checksums, unless the flow asks for bad checksums.
 * Malformed frames are made by building a valid one and then patching bytes
 * or cutting the length.
 *
 * pb_verify_checksums() is an independent checksum checker written from the
 * RFCs (791, 768, 793, 792, 8200, 4443, 9260), so tests can check frames that other
 * code rewrote.
 *
 * Numeric fields of 'struct pb_flow' are in host order; the builder writes
 * them in network order.  All functions are pure functions of their
 * arguments and may be called from any thread.
 */
#ifndef PKT_BUILD_H
#define PKT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Most VLAN tags a flow may carry. */
#define PB_VLAN_MAX 2
/** Most IPv6 extension headers a flow may carry. */
#define PB_IPV6_EXT_MAX 16
/** Largest frame pb_build() writes (jumbo). */
#define PB_FRAME_MAX 9216
/** Deepest nesting of 'inner' flows (VXLAN, ICMP errors). */
#define PB_DEPTH_MAX 3

/** Ethertypes (host order). */
#define PB_ETH_IPV4 0x0800
#define PB_ETH_ARP  0x0806
#define PB_ETH_VLAN 0x8100
#define PB_ETH_QINQ 0x88a8
#define PB_ETH_IPV6 0x86dd

/** IP protocol numbers and IPv6 extension header types. */
#define PB_IPPROTO_HOPOPTS  0
#define PB_IPPROTO_ICMP     1
#define PB_IPPROTO_TCP      6
#define PB_IPPROTO_UDP      17
#define PB_IPPROTO_ROUTING  43
#define PB_IPPROTO_FRAGMENT 44
#define PB_IPPROTO_ICMPV6   58
#define PB_IPPROTO_NONE     59
#define PB_IPPROTO_DSTOPTS  60
#define PB_IPPROTO_SCTP     132

/** IPv4 flags, OR-ed with the fragment offset (8-byte units) into pb_flow.ip_frag. */
#define PB_IP_DF          0x4000
#define PB_IP_MF          0x2000
#define PB_IP_OFFSET_MASK 0x1fff

/** TCP flags (pb_flow.tcp_flags, 12 bits). */
#define PB_TCP_FIN 0x001
#define PB_TCP_SYN 0x002
#define PB_TCP_RST 0x004
#define PB_TCP_PSH 0x008
#define PB_TCP_ACK 0x010
#define PB_TCP_URG 0x020
#define PB_TCP_ECE 0x040
#define PB_TCP_CWR 0x080
#define PB_TCP_NS  0x100

/** Default VXLAN UDP port (RFC 7348). */
#define PB_VXLAN_PORT 4789

/** What follows the Ethernet header (and VLAN tags). */
enum pb_l3 {
	PB_L3_IPV4, /**< IPv4, then 'proto' */
	PB_L3_IPV6, /**< IPv6, extension headers 'ext', then 'proto' */
	PB_L3_ARP,  /**< ARP request/reply for Ethernet/IPv4 */
	PB_L3_RAW,  /**< 'ethertype', then 'payload' as is */
};

/**
 * Checksum bits.  In pb_flow.csum they ask pb_build() for a bad or absent
 * checksum; pb_verify_checksums() returns the PB_CSUM_*_BAD bits it found.
 */
enum pb_csum {
	PB_CSUM_IP_BAD = 1 << 0,   /**< IPv4 header checksum wrong */
	PB_CSUM_L4_BAD = 1 << 1,   /**< TCP, UDP, SCTP, ICMP or ICMPv6 checksum wrong */
	PB_CSUM_UDP_NONE = 1 << 2, /**< build only: IPv4 UDP checksum 0 ("none", valid) */
};

/** One IPv6 extension header, in wire order. */
struct pb_ipv6_ext {
	uint8_t type;      /**< PB_IPPROTO_HOPOPTS, _ROUTING, _FRAGMENT or _DSTOPTS */
	uint8_t len8;      /**< Hdr Ext Len: the header is (len8 + 1) * 8 bytes; not FRAGMENT */
	bool frag_more;    /**< FRAGMENT: M flag */
	uint16_t frag_off; /**< FRAGMENT: offset in 8-byte units (13 bits) */
	uint32_t frag_id;  /**< FRAGMENT: identification */
};

/**
 * One frame.  Start from pb_flow_init() and change what the test needs.
 * Numeric fields are host order; addresses and MACs are byte arrays in wire
 * order, except the IPv4 addresses, which are host-order integers
 * (0x0a000001 is 10.0.0.1).
 */
struct pb_flow {
	/* L2 */
	uint8_t dst_mac[6];
	uint8_t src_mac[6];
	uint8_t n_vlans;                 /**< tags, outermost first, at most PB_VLAN_MAX */
	uint16_t vlan_tpid[PB_VLAN_MAX]; /**< 0x8100 or 0x88a8 (any value is written) */
	uint16_t vlan_tci[PB_VLAN_MAX];  /**< PCP << 13 | DEI << 12 | VID */
	enum pb_l3 l3;
	uint16_t ethertype; /**< PB_L3_RAW only */

	/* L3 */
	uint32_t src_ip4; /**< IPv4 source; ARP sender protocol address */
	uint32_t dst_ip4; /**< IPv4 destination; ARP target protocol address */
	uint8_t src_ip6[16];
	uint8_t dst_ip6[16];
	uint8_t tos;            /**< IPv4 TOS / IPv6 traffic class */
	uint8_t ttl;            /**< IPv4 TTL / IPv6 hop limit */
	uint16_t ip_id;         /**< IPv4 identification */
	uint16_t ip_frag;       /**< IPv4 PB_IP_DF | PB_IP_MF | offset (8-byte units) */
	uint32_t flow_label;    /**< IPv6 flow label (20 bits) */
	const uint8_t *ip_opts; /**< IPv4 options, copied as is */
	uint8_t ip_opts_len;    /**< multiple of 4, at most 40 */
	uint8_t n_ext;          /**< IPv6 extension headers in 'ext' */
	struct pb_ipv6_ext ext[PB_IPV6_EXT_MAX];

	/* L4: TCP, UDP, SCTP, ICMP, ICMPv6 get a header; any other 'proto' only the payload. */
	uint8_t proto;      /**< PB_IPPROTO_* */
	uint16_t sport;     /**< TCP/UDP/SCTP source port */
	uint16_t dport;     /**< TCP/UDP/SCTP destination port */
	uint16_t tcp_flags; /**< PB_TCP_* (12 bits) */
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint16_t tcp_win;
	uint16_t tcp_urg;
	const uint8_t *tcp_opts; /**< TCP options, copied as is */
	uint8_t tcp_opts_len;    /**< multiple of 4, at most 40 */
	uint8_t icmp_type;
	uint8_t icmp_code;
	uint16_t icmp_id;  /**< rest of header, first half (echo id) */
	uint16_t icmp_seq; /**< rest of header, second half (echo seq, MTU...) */

	/* ARP (sender = src_mac/src_ip4, target = arp_tha/dst_ip4) */
	uint16_t arp_op; /**< 1 request, 2 reply */
	uint8_t arp_tha[6];

	/* Encapsulation and payload */
	bool vxlan;   /**< UDP payload is a VXLAN header + 'inner' frame */
	uint32_t vni; /**< VXLAN network identifier (24 bits) */
	/**
	 * VXLAN: the inner frame (required).  ICMP/ICMPv6: when set, the message
	 * quotes the inner packet's IP header and first 8 L4 bytes (an error).
	 */
	const struct pb_flow *inner;
	const uint8_t *payload; /**< L4 payload (or raw L3 body), may be NULL */
	size_t payload_len;
	bool pad_trailer;  /**< pad as Ethernet trailer, not L4 payload */
	unsigned int csum; /**< enum pb_csum bits: checksums to get wrong */
};

/**
 * Fills 'f' with a valid UDP/IPv4 flow: 02:00:00:00:00:01 -> 02:00:00:00:00:02,
 * 10.0.0.1:1024 -> 10.0.0.2:80, fd00::1 -> fd00::2 if switched to IPv6,
 * TTL 64, TCP ACK with window 65535 if switched to TCP, ICMP echo request
 * (type 8) if switched to ICMP, ARP request, VNI 0 and no payload.
 */
void pb_flow_init(struct pb_flow *f);

/**
 * Writes the frame described by 'f' at 'buf'.  When 'frame_len' exceeds the
 * natural length (headers + payload) the frame is padded to it with zeros:
 * in the L4 payload (IP lengths cover it) or, with 'pad_trailer', after the
 * L3 packet; with VXLAN the inner frame is padded instead.  A smaller
 * 'frame_len' (0 included) gives the natural length.
 *
 * @return the frame length, or 0 when 'cap' is too small or 'f' is invalid
 *         (too many tags or extension headers, options not a multiple of 4,
 *         VXLAN without an inner frame, nesting deeper than PB_DEPTH_MAX).
 */
size_t pb_build(const struct pb_flow *f, uint8_t *buf, size_t cap, size_t frame_len);

/**
 * Checks the checksums of the frame at 'frame': the IPv4 header checksum, and
 * the TCP, UDP, SCTP (CRC32c), ICMP or ICMPv6 checksum of unfragmented packets (any number of
 * VLAN tags and IPv6 hop-by-hop/routing/destination extension headers are
 * skipped; IP lengths bound the L4 data, trailers are ignored).  A UDP/IPv4
 * checksum of 0 means "none" and is valid.  Frames that are not IP, and L4
 * protocols without a checksum rule here, have nothing to check.  Inner
 * frames of VXLAN are not checked: pass them separately.
 *
 * @return 0 when everything checked is valid; a mask of PB_CSUM_IP_BAD and
 *         PB_CSUM_L4_BAD; or -EINVAL when a header to check is cut short or
 *         inconsistent (IHL < 5, lengths beyond 'len').
 */
int pb_verify_checksums(const uint8_t *frame, size_t len);

#endif /* PKT_BUILD_H */
