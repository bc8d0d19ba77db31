/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vxlan decapsulation stage (PMD threads) and its classifier helper.
 * See vxlan.h for the contract; the checks follow Linux
 * drivers/net/vxlan/vxlan_core.c vxlan_rcv() and VPP vxlan/decode.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "vxlan.h"
#include "vxlan_priv.h"

#define OUTER_L2_LEN   14
#define UDP_VXLAN_LEN  16 /* UDP + VXLAN headers */
#define MIN_OUTER_LEN  (OUTER_L2_LEN + 20 + UDP_VXLAN_LEN)
#define VXLAN_FLAG_I   0x08000000u /* RFC 7348 section 5 */
#define VXLAN_VNI_RSVD 0x000000ffu /* low byte of the VNI word is reserved */

/* The outer header checksum state the NIC reported, if any. */
#define RX_IP_CKSUM_MASK RTE_MBUF_F_RX_IP_CKSUM_MASK
#define RX_L4_CKSUM_MASK RTE_MBUF_F_RX_L4_CKSUM_MASK

static const char *const decap_drop_names[] = {
#define VXLAN_DD_NAME__(e, s) s,
	VXLAN_DECAP_DROPS(VXLAN_DD_NAME__)
#undef VXLAN_DD_NAME__
};

const char *
vxlan_decap_drop_name(enum vxlan_decap_drop d)
{
	return (unsigned int)d < VXLAN_DECAP_DROP_N ? decap_drop_names[d] : "unknown";
}

bool
vxlan_is_candidate(const struct rte_mbuf *m, uint16_t dst_port_be)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)d;
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint32_t ihl;

	if (m->data_len < MIN_OUTER_LEN || eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return false;
	ip = (const struct rte_ipv4_hdr *)(d + OUTER_L2_LEN);
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
	if (ip->next_proto_id != IPPROTO_UDP || ihl < sizeof(*ip) ||
	    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)) != 0 ||
	    m->data_len < OUTER_L2_LEN + ihl + sizeof(*udp))
		return false;
	udp = (const struct rte_udp_hdr *)(d + OUTER_L2_LEN + ihl);
	return udp->dst_port == dst_port_be;
}

/* Result of checking one frame's outer headers. */
struct outer__ {
	uint32_t hdr_len;   /* bytes to strip */
	uint32_t inner_len; /* inner frame length (UDP payload - VXLAN header) */
	uint32_t vni;       /* host order */
	uint32_t src, dst;  /* outer addresses, network order */
};

/*
 * Checks the outer headers of 'm' (see vxlan_decap_burst()).
 * @return VXLAN_DECAP_DROP_N when they are good, with 'o' filled; else the drop reason.
 */
static inline enum vxlan_decap_drop
check_outer__(const struct vxlan_decap_ctx *ctx, const struct rte_mbuf *m, struct outer__ *o)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)d;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + OUTER_L2_LEN);
	const struct rte_udp_hdr *udp;
	const struct rte_vxlan_hdr *vx;
	uint32_t ihl, ip_len, udp_len, flags, vni_word;

	if (unlikely(m->data_len < MIN_OUTER_LEN))
		return VXLAN_DECAP_DROP_TRUNCATED_OUTER;
	if (unlikely(eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	             ip->next_proto_id != IPPROTO_UDP))
		return VXLAN_DECAP_DROP_NOT_VXLAN;
	ihl = (uint32_t)(ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * 4;
	if (unlikely((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip)))
		return VXLAN_DECAP_DROP_BAD_OUTER_IP;
	if (unlikely(m->data_len < OUTER_L2_LEN + ihl + UDP_VXLAN_LEN))
		return VXLAN_DECAP_DROP_TRUNCATED_OUTER;
	ip_len = rte_be_to_cpu_16(ip->total_length);
	if (unlikely(ip_len > m->pkt_len - OUTER_L2_LEN))
		return VXLAN_DECAP_DROP_TRUNCATED_OUTER;
	if (unlikely(ip_len < ihl + UDP_VXLAN_LEN))
		return VXLAN_DECAP_DROP_BAD_OUTER_IP;
	if (unlikely((ip->fragment_offset &
	              rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0))
		return VXLAN_DECAP_DROP_OUTER_FRAGMENT;
	if (ctx->check_ip_csum) {
		uint64_t st = m->ol_flags & RX_IP_CKSUM_MASK;

		if (st == RTE_MBUF_F_RX_IP_CKSUM_BAD ||
		    (st != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
		     !vxlan_ipv4_hdr_sum_ok((const uint8_t *)ip, ihl)))
			return VXLAN_DECAP_DROP_BAD_OUTER_CSUM;
	}
	udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);
	if (unlikely((m->ol_flags & RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_BAD &&
	             udp->dgram_cksum != 0))
		return VXLAN_DECAP_DROP_BAD_OUTER_CSUM;
	udp_len = rte_be_to_cpu_16(udp->dgram_len);
	if (unlikely(udp_len != ip_len - ihl))
		return VXLAN_DECAP_DROP_BAD_UDP_LEN;
	vx = (const struct rte_vxlan_hdr *)(udp + 1);
	flags = rte_be_to_cpu_32(vx->vx_flags);
	vni_word = rte_be_to_cpu_32(vx->vx_vni);
	if (unlikely(!(flags & VXLAN_FLAG_I)))
		return VXLAN_DECAP_DROP_BAD_FLAGS;
	/* RFC 7348 says ignore these; Linux drops, and so do we (vxlan.h). */
	if (unlikely((flags & ~VXLAN_FLAG_I) != 0 || (vni_word & VXLAN_VNI_RSVD) != 0))
		return VXLAN_DECAP_DROP_RESERVED_BITS;
	o->hdr_len = OUTER_L2_LEN + ihl + UDP_VXLAN_LEN;
	o->inner_len = udp_len - UDP_VXLAN_LEN;
	o->vni = vni_word >> 8;
	o->src = ip->src_addr;
	o->dst = ip->dst_addr;
	return VXLAN_DECAP_DROP_N;
}

/*
 * Strips the outer headers and any trailer after the UDP payload.
 * @return false (frame untouched) when the trailer cannot be trimmed from the last segment.
 */
static inline bool
strip__(struct rte_mbuf *m, const struct outer__ *o)
{
	uint32_t trailer = m->pkt_len - o->hdr_len - o->inner_len;

	if (unlikely(trailer != 0) && rte_pktmbuf_trim(m, (uint16_t)trailer) != 0)
		return false;
	rte_pktmbuf_adj(m, (uint16_t)o->hdr_len);
	m->l2_len = 0;
	m->l3_len = 0;
	m->l4_len = 0;
	m->outer_l2_len = 0;
	m->outer_l3_len = 0;
	m->packet_type = 0;
	/* A NIC's RSS hash was of the outer headers: not the inner frame's flow hash. */
	m->ol_flags &= ~(RX_IP_CKSUM_MASK | RX_L4_CKSUM_MASK | RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK |
	                 RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD | RTE_MBUF_F_RX_RSS_HASH);
	return true;
}

uint16_t
vxlan_decap_burst(struct vxlan_decap_ctx *ctx, const struct vxlan_tunnels *tunnels,
                  struct rte_mbuf **pkts, uint16_t n, struct vxlan_md *mds)
{
	struct rte_mbuf *rejects[VXLAN_BURST_MAX];
	/* One-entry last-hit cache (VPP decap.c last_tunnel_cache4), valid for this burst
	 * only: the snapshot may be freed after our next quiescent state. */
	const struct vxlan_tunnel_params *last_tnl = NULL;
	uint32_t last_dst = 0, last_src = 0, last_vni = 0;
	uint16_t i, n_ok = 0, n_rej = 0;

	RTE_ASSERT(n <= VXLAN_BURST_MAX);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct vxlan_tunnel_params *tnl;
		enum vxlan_decap_drop why;
		struct vxlan_md *md;
		struct outer__ o;

		why = check_outer__(ctx, m, &o);
		if (unlikely(why != VXLAN_DECAP_DROP_N))
			goto reject;
		if (last_tnl != NULL && o.dst == last_dst && o.src == last_src &&
		    o.vni == last_vni) {
			tnl = last_tnl;
		} else {
			tnl = tunnels == NULL ? NULL :
			                        vxlan_tunnel_lookup__(tunnels, o.dst, o.vni, o.src);
			if (unlikely(tnl == NULL)) {
				why = VXLAN_DECAP_DROP_UNKNOWN_VNI;
				goto reject;
			}
			last_tnl = tnl;
			last_dst = o.dst;
			last_src = o.src;
			last_vni = o.vni;
		}
		if (unlikely(o.inner_len < RTE_ETHER_HDR_LEN)) {
			why = VXLAN_DECAP_DROP_TRUNCATED_INNER;
			goto reject;
		}
		if (unlikely(!strip__(m, &o))) {
			why = VXLAN_DECAP_DROP_BAD_UDP_LEN;
			goto reject;
		}
		md = &mds[n_ok];
		md->tun_id = rte_cpu_to_be_64((uint64_t)o.vni);
		md->tun_src = o.src;
		md->tun_dst = o.dst;
		md->ofport = tnl->ofport;
		md->pad0 = 0;
		md->pad1 = 0;
		pkts[n_ok++] = m;
		continue;
	reject:
		ctx->n_drop[why]++;
		rejects[n_rej++] = m;
	}
	if (n_rej > 0)
		memcpy(&pkts[n_ok], rejects, n_rej * sizeof(rejects[0]));
	ctx->n_decap += n_ok;
	return n_ok;
}
