/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vxlan encapsulation: outer header templates (control thread) and the
 * encapsulation stage (PMD threads).  See vxlan.h for the contract.
 *
 * The template holds the whole 50-byte outer header and the one's complement
 * sum of its IPv4 header with the per-packet fields (total length, id, and
 * TOS/TTL when inherited) at zero.  Per packet the stage adds those fields
 * and folds: RFC 1624 eqn. 3 with the old field values 0, as VPP
 * encap.c ip_csum_update() patches its rewrite.
 */
#include <errno.h>
#include <netinet/in.h>
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

#include "pktmeta.h"
#include "pm_hash.h"
#include "vxlan.h"

#define OUTER_L2_LEN  14
#define OUTER_L3_LEN  20
#define OUTER_L4_LEN  16 /* UDP + VXLAN */
#define IP_OFF        OUTER_L2_LEN
#define UDP_OFF       (OUTER_L2_LEN + OUTER_L3_LEN)
#define IP_ECN_MASK   0x03u
#define IP_ECN_CE     0x03u
#define IP_ECN_ECT_0  0x02u
#define IP_DSCP_MASK  0xfcu
#define VXLAN_FLAG_I  0x08000000u /* RFC 7348 section 5: the I flag */
#define ETH_TYPE_VLAN 0x8100u
#define ETH_TYPE_QINQ 0x88a8u

/* The per-packet reads of a template stay within one cache line. */
_Static_assert(sizeof(struct vxlan_tmpl) == RTE_CACHE_LINE_SIZE, "vxlan_tmpl is one line");

static const char *const encap_drop_names[] = {
#define VXLAN_ED_NAME__(e, s) s,
	VXLAN_ENCAP_DROPS(VXLAN_ED_NAME__)
#undef VXLAN_ED_NAME__
};

const char *
vxlan_encap_drop_name(enum vxlan_encap_drop d)
{
	return (unsigned int)d < VXLAN_ENCAP_DROP_N ? encap_drop_names[d] : "unknown";
}

void
vxlan_tmpl_params_init(struct vxlan_tmpl_params *p)
{
	memset(p, 0, sizeof(*p));
	p->dst_port = VXLAN_DEFAULT_DST_PORT;
	p->src_port_min = VXLAN_DEFAULT_SRC_PORT_MIN;
	p->src_port_max = VXLAN_DEFAULT_SRC_PORT_MAX;
	p->ttl = VXLAN_DEFAULT_TTL;
	p->df = true;
}

/* Unfolded one's complement sum of 'len' (even) bytes at 'p'. */
static uint32_t
sum16__(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	return sum;
}

int
vxlan_tmpl_build(const struct vxlan_tmpl_params *p, struct vxlan_tmpl *t)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	struct rte_vxlan_hdr *vx;
	uint32_t n_ports;

	if (p == NULL || t == NULL || p->vni > VXLAN_VNI_MAX || p->src_port_min > p->src_port_max ||
	    p->src_ip == 0 || p->dst_ip == 0 || p->dst_port == 0)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	eth = (struct rte_ether_hdr *)t->hdr;
	ip = (struct rte_ipv4_hdr *)(t->hdr + IP_OFF);
	udp = (struct rte_udp_hdr *)(t->hdr + UDP_OFF);
	vx = (struct rte_vxlan_hdr *)(udp + 1);

	memcpy(&eth->dst_addr, p->dst_mac, RTE_ETHER_ADDR_LEN);
	memcpy(&eth->src_addr, p->src_mac, RTE_ETHER_ADDR_LEN);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	/* With tos=inherit the DSCP comes from the inner packet; ECN always does. */
	ip->type_of_service = p->tos_inherit ? 0 : p->tos;
	ip->fragment_offset = p->df ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
	ip->time_to_live = p->ttl_inherit ? 0 : p->ttl;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = p->src_ip;
	ip->dst_addr = p->dst_ip;

	udp->dst_port = rte_cpu_to_be_16(p->dst_port);
	vx->vx_flags = rte_cpu_to_be_32(VXLAN_FLAG_I);
	vx->vx_vni = rte_cpu_to_be_32(p->vni << 8);

	t->flags = (uint8_t)((p->ttl_inherit ? VXLAN_TMPL_TTL_INHERIT : 0) |
	                     (p->tos_inherit ? VXLAN_TMPL_TOS_INHERIT : 0) |
	                     (p->csum ? VXLAN_TMPL_CSUM : 0) | (p->df ? VXLAN_TMPL_DF : 0));
	t->ip_sum = sum16__(t->hdr + IP_OFF, OUTER_L3_LEN);
	t->ttl = p->ttl;
	t->src_port_min = p->src_port_min;
	n_ports = (uint32_t)p->src_port_max - p->src_port_min + 1;
	t->src_port_n = n_ports;
	return 0;
}

/*
 * One walk of the inner frame's headers (first segment, after at most one
 * VLAN tag) for what encapsulation takes from them: the TOS (IPv6: traffic
 * class) and TTL (hop limit) of an IP packet, and, with 'hash' non-NULL, the
 * flow hash for the UDP source port (RFC 7348 section 5: entropy from the
 * inner headers): the MACs, the IP addresses and, for an unfragmented IPv4
 * TCP, UDP or SCTP packet, its ports, in CRC32-C steps (pm_hash.h, the values
 * rte_hash_crc() gives over the same bytes); 0 for a frame shorter than an
 * Ethernet header and a VLAN tag.  The headers are read here, not taken from
 * a parse: a frame forwarded without parsing has no header lengths.  One walk
 * for both costs about 20 instructions a packet less than two.
 * @return false when the inner frame is not IP (or too short to tell).
 */
static __rte_always_inline bool
inner_read__(const struct rte_mbuf *m, uint8_t *tos, uint8_t *ttl, uint32_t *hash)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, l2 = RTE_ETHER_HDR_LEN, h = 0;
	bool is_ip = false;
	uint16_t type;

	/* Shorter than this cannot hold an IP header either. */
	if (unlikely(len < RTE_ETHER_HDR_LEN + 4)) {
		if (hash != NULL)
			*hash = 0;
		return false;
	}
	if (hash != NULL)
		h = pm_crc32(pm_rd32(d + 8), pm_crc64(pm_rd64(d), 0x5a5a5a5a));
	/* Network order, compared with constants swapped at compile time. */
	type = pm_rd16(d + 12);
	if (type == RTE_BE16(ETH_TYPE_VLAN) || type == RTE_BE16(ETH_TYPE_QINQ)) {
		type = pm_rd16(d + 16);
		l2 += 4;
	}
	if (type == RTE_BE16(RTE_ETHER_TYPE_IPV4) && len >= l2 + OUTER_L3_LEN) {
		const uint8_t *ip = d + l2;

		if (hash != NULL) {
			uint32_t ihl = (ip[0] & 0xfu) * 4u;
			uint8_t proto = ip[9];

			h = pm_crc64(pm_rd64(ip + 12), h);
			if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
			     proto == IPPROTO_SCTP) &&
			    ihl >= OUTER_L3_LEN && len >= l2 + ihl + 4 &&
			    (pm_rd16(ip + 6) & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK)) == 0)
				h = pm_crc32(pm_rd32(ip + ihl), h ^ proto);
		}
		if ((ip[0] >> 4) == 4) {
			*tos = ip[1];
			*ttl = ip[8];
			is_ip = true;
		}
	} else if (type == RTE_BE16(RTE_ETHER_TYPE_IPV6) && len >= l2 + 40) {
		const uint8_t *ip = d + l2;

		if (hash != NULL) {
			const uint8_t *a = ip + 8; /* source and destination addresses */

			h = pm_crc64(pm_rd64(a + 24),
			             pm_crc64(pm_rd64(a + 16),
			                      pm_crc64(pm_rd64(a + 8), pm_crc64(pm_rd64(a), h))));
		}
		if ((ip[0] >> 4) == 6) {
			*tos = (uint8_t)(ip[0] << 4 | ip[1] >> 4);
			*ttl = ip[7];
			is_ip = true;
		}
	}
	if (hash != NULL)
		*hash = h;
	return is_ip;
}

/* True when prepending into 'm's headroom could change a frame someone else holds. */
static inline bool
mbuf_shared__(const struct rte_mbuf *m)
{
	if (RTE_MBUF_CLONED(m) || rte_mbuf_refcnt_read(m) != 1)
		return true;
	return RTE_MBUF_HAS_EXTBUF(m) && rte_mbuf_ext_refcnt_read(m->shinfo) != 1;
}

/* Folds an unfolded one's complement sum to 16 bits. */
static inline uint16_t
fold__(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/*
 * The outer UDP checksum over 'udp_len' bytes from UDP_OFF, any number of
 * segments.  Not rte_ipv4_udptcp_cksum_mbuf(): in DPDK 22.11 its
 * rte_raw_cksum_mbuf() byte-swaps a segment's unreduced 32-bit sum when the
 * segment starts at an odd offset, which gives a wrong checksum (fixed in
 * later DPDK by reducing first).  Here each segment's sum is reduced to 16
 * bits, then swapped when it starts at an odd offset (RFC 1071 section 2(B)).
 */
static inline uint16_t
udp_csum__(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t udp_len)
{
	uint32_t off = UDP_OFF, done = 0, sum = rte_ipv4_phdr_cksum(ip, 0);
	uint16_t csum;

	for (; m != NULL && done < udp_len; m = m->next) {
		uint32_t n = RTE_MIN((uint32_t)m->data_len - off, udp_len - done);
		uint16_t part = __rte_raw_cksum_reduce(__rte_raw_cksum(
				rte_pktmbuf_mtod_offset(m, const void *, off), n, 0));

		sum += (done & 1) ? rte_bswap16(part) : part;
		done += n;
		off = 0;
	}
	RTE_ASSERT(done == udp_len);
	csum = (uint16_t)~__rte_raw_cksum_reduce(sum);
	/* RFC 768: a computed 0 is sent as all ones (0 means "no checksum"). */
	return csum == 0 ? 0xffff : csum;
}

/* The source port range of a template, as vxlan_encap_burst() keeps it per run. */
struct port_range__ {
	uint32_t n;    /* ports in the range */
	uint32_t mask; /* n - 1, when n is a power of 2 */
	bool pow2;
};

/* The l2_len, outer_l3_len and outer_l2_len bits of mbuf tx_offload. */
#define TXO_MASK__(ofs, bits) (((UINT64_C(1) << (bits)) - 1) << (ofs))
#define TXO_L2                TXO_MASK__(RTE_MBUF_L2_LEN_OFS, RTE_MBUF_L2_LEN_BITS)
#define TXO_OUTER                                                                                  \
	(TXO_MASK__(RTE_MBUF_OUTL3_LEN_OFS, RTE_MBUF_OUTL3_LEN_BITS) |                             \
	 TXO_MASK__(RTE_MBUF_OUTL2_LEN_OFS, RTE_MBUF_OUTL2_LEN_BITS))

/*
 * Encapsulates one packet that passed the checks: prepends and patches the
 * template.  The source port from 'hash' when non-NULL, else from the inner
 * headers' hash (inner_read__()).  'flags' is t->flags, passed apart so that
 * a call with a constant (the defaults) compiles without the tests of the
 * options it has off.
 */
static __rte_always_inline void
encap_one__(struct vxlan_encap_ctx *ctx, struct rte_mbuf *m, const struct vxlan_tmpl *t,
            const struct port_range__ *pr, const uint32_t *hash, uint8_t flags)
{
	uint32_t inner_len = m->pkt_len;
	uint32_t tot_len = inner_len + OUTER_L3_LEN + OUTER_L4_LEN;
	uint8_t itos = 0, ittl = 0, tos_add, ttl;
	uint32_t fh = 0;
	bool is_ip = inner_read__(m, &itos, &ittl, hash != NULL ? NULL : &fh);
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint32_t sum, port_off;
	uint64_t txo, l2;
	uint8_t *h;

	if (hash != NULL)
		fh = *hash;
	/* hash % n, without a division for power-of-2 ranges (the default). */
	port_off = pr->pow2 ? fh & pr->mask : fh % pr->n;

	/*
	 * OVS ofproto/tunnel.c tnl_port_send(): DSCP from the config or, with
	 * tos=inherit, the inner packet; ECN always from the inner packet, CE
	 * sent as ECT(0).  The bits are OR-ed onto the template's TOS, so the
	 * checksum grows by exactly the bits that were not set there.
	 */
	tos_add = 0;
	if (is_ip) {
		uint8_t ecn = itos & IP_ECN_MASK;

		tos_add = ecn == IP_ECN_CE ? IP_ECN_ECT_0 : ecn;
		if (flags & VXLAN_TMPL_TOS_INHERIT)
			tos_add |= itos & IP_DSCP_MASK;
	}
	ttl = 0;
	if (flags & VXLAN_TMPL_TTL_INHERIT)
		ttl = is_ip ? ittl : t->ttl;

	h = (uint8_t *)rte_pktmbuf_prepend(m, VXLAN_ENCAP_LEN);
	RTE_ASSERT(h != NULL);
	memcpy(h, t->hdr, VXLAN_ENCAP_LEN);
	ip = (struct rte_ipv4_hdr *)(h + IP_OFF);
	udp = (struct rte_udp_hdr *)(h + UDP_OFF);

	tos_add &= (uint8_t)~ip->type_of_service;
	ip->type_of_service |= tos_add;
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot_len);
	/* Template fields are 0 where these land: adding the new values is RFC 1624 eqn. 3. */
	sum = t->ip_sum + tot_len + tos_add + ((uint32_t)ttl << 8);
	if (flags & VXLAN_TMPL_TTL_INHERIT)
		ip->time_to_live = ttl;
	if (!(flags & VXLAN_TMPL_DF)) {
		/* Routers may fragment: give each packet its own id (RFC 6864 section 4.1). */
		uint16_t id = ctx->ip_id++;

		ip->packet_id = rte_cpu_to_be_16(id);
		sum += id;
	}
	ip->hdr_checksum = rte_cpu_to_be_16((uint16_t)~fold__(sum));

	udp->src_port = rte_cpu_to_be_16((uint16_t)(t->src_port_min + port_off));
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(inner_len + OUTER_L4_LEN));
	if (flags & VXLAN_TMPL_CSUM)
		udp->dgram_cksum = udp_csum__(m, ip, inner_len + OUTER_L4_LEN);

	/* outer_l2_len, outer_l3_len and l2_len in one store (as three bitfields: 10
	 * instructions a packet); l2_len wraps in its 7 bits as the bitfield would. */
	txo = m->tx_offload;
	l2 = (txo & TXO_L2) >> RTE_MBUF_L2_LEN_OFS;
	l2 = ((l2 != 0 ? l2 : RTE_ETHER_HDR_LEN) + OUTER_L4_LEN) << RTE_MBUF_L2_LEN_OFS;
	m->tx_offload = (txo & ~(TXO_L2 | TXO_OUTER)) | (l2 & TXO_L2) |
	                (uint64_t)OUTER_L3_LEN << RTE_MBUF_OUTL3_LEN_OFS |
	                (uint64_t)OUTER_L2_LEN << RTE_MBUF_OUTL2_LEN_OFS;
	m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_UDP |
	                 RTE_PTYPE_TUNNEL_VXLAN;
	if (m->ol_flags & RTE_MBUF_F_TX_OFFLOAD_MASK)
		m->ol_flags |= RTE_MBUF_F_TX_TUNNEL_VXLAN | RTE_MBUF_F_TX_OUTER_IPV4;
}

/* The checks a frame passes before encapsulation: VXLAN_ENCAP_DROP_N when it does. */
static __rte_always_inline enum vxlan_encap_drop
check__(const struct rte_mbuf *m, uint32_t max_inner)
{
	if (unlikely(m->pkt_len > max_inner))
		return VXLAN_ENCAP_DROP_TOO_BIG;
	if (unlikely(mbuf_shared__(m)))
		return VXLAN_ENCAP_DROP_SHARED;
	if (unlikely(rte_pktmbuf_headroom(m) < VXLAN_ENCAP_LEN))
		return VXLAN_ENCAP_DROP_NO_HEADROOM;
	return VXLAN_ENCAP_DROP_N;
}

/*
 * The stage: with 'one' non-NULL every frame takes that template (tmpls is not
 * read), else tmpls[i].  Inline in both entry points, so that the one-template
 * form (a fixed tunnel, the usual output) works from a local copy of its
 * template: through the pointer the compiler reloaded every template field it
 * read for each frame, as a store to a frame might have changed it.
 */
static __rte_always_inline uint16_t
encap_burst__(struct vxlan_encap_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
              const struct vxlan_tmpl *const tmpls[], const struct vxlan_tmpl *one,
              const uint32_t hashes[])
{
	struct rte_mbuf *rejects[VXLAN_BURST_MAX];
	/* Hoisted: the MTU as an inner length limit, and a one-entry template cache. */
	const uint32_t max_inner = ctx->mtu > OUTER_L3_LEN + OUTER_L4_LEN ?
	                                           ctx->mtu - (OUTER_L3_LEN + OUTER_L4_LEN) :
	                                           0;
	const struct vxlan_tmpl *last = NULL;
	struct port_range__ pr = { .n = 1, .mask = 0, .pow2 = true };
	struct vxlan_tmpl local;
	uint64_t bytes = 0;
	uint16_t i, n_ok = 0, n_rej = 0;

	RTE_ASSERT(n <= VXLAN_BURST_MAX);
	if (one != NULL) {
		local = *one;
		last = &local;
		pr.n = local.src_port_n;
		pr.pow2 = rte_is_power_of_2(pr.n);
		pr.mask = pr.n - 1;
	}
	for (i = 0; i < n; i++) {
		const struct vxlan_tmpl *t = one != NULL ? &local : tmpls[i];
		struct rte_mbuf *m = pkts[i];
		const uint32_t *h;
		enum vxlan_encap_drop why;

		if (one == NULL && unlikely(t == NULL)) {
			why = VXLAN_ENCAP_DROP_NO_TMPL;
			goto reject;
		}
		why = check__(m, max_inner);
		if (unlikely(why != VXLAN_ENCAP_DROP_N))
			goto reject;
		bytes += m->pkt_len;
		if (one == NULL && t != last) {
			last = t;
			pr.n = t->src_port_n;
			pr.pow2 = rte_is_power_of_2(pr.n);
			pr.mask = pr.n - 1;
		}
		if (hashes != NULL)
			h = &hashes[i];
		else if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
			h = &m->hash.rss;
		else
			h = NULL;
		/* The defaults (ttl 64, tos 0, df on, csum off) as a constant: about 10
		 * instructions a packet less than the general form; inline twice, so that
		 * a frame with a hash skips the hashing of its inner headers. */
		if (likely(t->flags == VXLAN_TMPL_DF)) {
			if (h != NULL)
				encap_one__(ctx, m, t, &pr, h, VXLAN_TMPL_DF);
			else
				encap_one__(ctx, m, t, &pr, NULL, VXLAN_TMPL_DF);
		} else {
			encap_one__(ctx, m, t, &pr, h, t->flags);
		}
		pkts[n_ok++] = m;
		continue;
	reject:
		ctx->n_drop[why]++;
		rejects[n_rej++] = m;
	}
	if (n_rej > 0)
		memcpy(&pkts[n_ok], rejects, n_rej * sizeof(rejects[0]));
	ctx->n_encap += n_ok;
	ctx->n_bytes += bytes;
	return n_ok;
}

uint16_t
vxlan_encap_burst(struct vxlan_encap_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
                  const struct vxlan_tmpl *const tmpls[], const uint32_t hashes[])
{
	return encap_burst__(ctx, pkts, n, tmpls, NULL, hashes);
}

uint16_t
vxlan_encap_burst_tmpl(struct vxlan_encap_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
                       const struct vxlan_tmpl *tmpl, const uint32_t hashes[])
{
	if (unlikely(tmpl == NULL)) {
		ctx->n_drop[VXLAN_ENCAP_DROP_NO_TMPL] += n;
		return 0;
	}
	return encap_burst__(ctx, pkts, n, NULL, tmpl, hashes);
}
