/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vxlan: VXLAN (RFC 7348) over IPv4 encapsulation and decapsulation
 * stages, the tunnel table decapsulation looks tunnels up in, and the outer
 * header templates encapsulation prepends.
 *
 * Position: src/ owns tunnel ports, the underlay (addresses, routes,
 * neighbours) and the PMD loop.  It builds a 'struct vxlan_tunnels' snapshot
 * and one 'struct vxlan_tmpl' per (tunnel, next hop) on the control thread,
 * and calls vxlan_decap_burst() / vxlan_encap_burst() from its PMD threads.
 * This library knows no ports, lcores, config or clock: everything comes as
 * arguments.  It never allocates, frees or blocks on the packet path.
 *
 * Thread safety:
 * - vxlan_tunnels_build()/vxlan_tunnels_free() and vxlan_tmpl_build() are
 *   control path; only the control thread calls them.  A built snapshot is
 *   immutable.  The control thread publishes it with a release store
 *   (__atomic_store_n(&p, t, __ATOMIC_RELEASE)), and frees the previous one
 *   only after an rte_rcu_qsbr grace period in which every PMD reported
 *   quiescent.  Readers (PMDs) load the pointer once per burst with an
 *   acquire load (pairs with that release store, so the table contents
 *   built before the publication are visible) and pass it to
 *   vxlan_decap_burst(); they hold no lock and must not keep the pointer
 *   across rte_rcu_qsbr_quiescent().
 * - A template is read-only once built.  Templates are replaced the same
 *   way as the table (build a new one, publish, free after a grace period),
 *   never rewritten in place while a PMD may read them.
 * - A 'struct vxlan_encap_ctx' / 'struct vxlan_decap_ctx' belongs to one PMD
 *   thread.  Its counters are plain uint64_t with that single writer; other
 *   threads read them with relaxed loads.
 */
#ifndef VXLAN_H
#define VXLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "pktmeta.h"

/** Largest burst the vxlan_ stages accept (fits a uint64_t mask). */
#define VXLAN_BURST_MAX 64

/** IANA VXLAN UDP port (RFC 7348 section 5). */
#define VXLAN_DEFAULT_DST_PORT 4789

/** Default UDP source port range (RFC 7348 section 5: dynamic/private ports). */
#define VXLAN_DEFAULT_SRC_PORT_MIN 49152
#define VXLAN_DEFAULT_SRC_PORT_MAX 65535

/** Default outer TTL (OVS's default). */
#define VXLAN_DEFAULT_TTL 64

/** Outer Ethernet + IPv4 (no options) + UDP + VXLAN header bytes: 14 + 20 + 8 + 8. */
#define VXLAN_ENCAP_LEN 50

/** Largest VNI (24 bits). */
#define VXLAN_VNI_MAX 0xffffffu

/**
 * Memory hook for control-path allocations: src/ passes wrappers of
 * rte_zmalloc_socket()/rte_free(), unit tests aligned_alloc()+memset/free.
 */
struct vxlan_alloc {
	/** Returns 'size' zeroed bytes aligned to 'align' (a power of 2), or NULL. */
	void *(*zalloc)(void *arg, size_t size, size_t align);
	/** Frees what zalloc returned; never called with NULL. */
	void (*free)(void *arg, void *p);
	/** Passed to both. */
	void *arg;
};

/* ------------------------------------------------------------------------
 * Tunnel table (decapsulation)
 */

/**
 * One VXLAN tunnel port as decapsulation sees it.  Addresses are network
 * order, the VNI host order.
 */
struct vxlan_tunnel_params {
	uint32_t local_ip;  /**< local VTEP address (the outer destination on receive) */
	uint32_t remote_ip; /**< remote VTEP (outer source on receive); 0 when remote_flow */
	uint32_t vni;       /**< VNI (24 bits); 0 when key_flow */
	bool remote_flow;   /**< remote_ip=flow: any remote address */
	bool key_flow;      /**< key=flow: any VNI */
	uint16_t ofport;    /**< OpenFlow port number decapsulated packets arrive on */
};

/** An immutable tunnel table snapshot (body in vxlan_priv.h). */
struct vxlan_tunnels;

/** Most tunnels one snapshot holds. */
#define VXLAN_TUNNELS_MAX 65536

/**
 * Builds a table of the 'n' tunnels in 'params' (copied), for one
 * publication with RCU (see the file comment).  Control thread only.
 * Tunnels must be distinct in (local_ip, vni or key_flow, remote_ip or
 * remote_flow); tunnels whose local_ip is not (yet) an underlay address are
 * the caller's to leave out.
 *
 * @param params  'n' tunnels (may be NULL when n is 0).
 * @param alloc   memory hook, copied into the table for vxlan_tunnels_free().
 * @return the table, or NULL with rte_errno set: EINVAL (bad argument: zero
 *         local_ip, zero remote_ip without remote_flow, VNI above 24 bits,
 *         n above VXLAN_TUNNELS_MAX), EEXIST (duplicate tunnel), ENOMEM.
 */
struct vxlan_tunnels *vxlan_tunnels_build(const struct vxlan_tunnel_params *params, uint32_t n,
                                          const struct vxlan_alloc *alloc);

/**
 * Frees a table built by vxlan_tunnels_build() through its allocator.
 * Control thread only, after the grace period that follows its
 * unpublication.  NULL is a no-op.
 */
void vxlan_tunnels_free(struct vxlan_tunnels *t);

/** Number of tunnels in 't'. */
uint32_t vxlan_tunnels_count(const struct vxlan_tunnels *t);

/**
 * Finds the tunnel a packet from 'remote_ip' to 'local_ip' with 'vni'
 * belongs to.  Most specific wins, in OVS's order (ofproto/tunnel.c
 * tnl_find()): exact remote and exact VNI, exact remote and key=flow,
 * remote=flow and exact VNI, then both flow.  Lock-free; any thread holding
 * the snapshot (see the file comment).
 *
 * @param local_ip, remote_ip  network order.  @param vni  host order.
 * @return the tunnel (inside 't'), or NULL.
 */
const struct vxlan_tunnel_params *vxlan_tunnels_lookup(const struct vxlan_tunnels *t,
                                                       uint32_t local_ip, uint32_t vni,
                                                       uint32_t remote_ip);

/* ------------------------------------------------------------------------
 * Encapsulation
 */

/**
 * What an outer header is built from: one tunnel and one resolved next hop.
 * Fill with vxlan_tmpl_params_init() (the defaults of a tunnel port), then
 * set the addresses and what the port's options change.
 */
struct vxlan_tmpl_params {
	uint8_t dst_mac[6];    /**< next hop's MAC */
	uint8_t src_mac[6];    /**< underlay port's MAC */
	uint32_t src_ip;       /**< local VTEP address, network order */
	uint32_t dst_ip;       /**< remote VTEP address, network order */
	uint32_t vni;          /**< VNI, host order (24 bits) */
	uint16_t dst_port;     /**< UDP destination port, host order (4789) */
	uint16_t src_port_min; /**< UDP source port range, host order (49152) */
	uint16_t src_port_max; /**< (65535); min <= max */
	uint8_t ttl;           /**< outer TTL (64); also for non-IP inner with ttl_inherit */
	bool ttl_inherit;      /**< ttl=inherit: copy the inner IPv4 TTL / IPv6 hop limit */
	uint8_t tos;           /**< outer TOS (0); its ECN bits are OR-ed with the inner's */
	bool tos_inherit;      /**< tos=inherit: DSCP from the inner IPv4/IPv6 packet */
	bool df;               /**< set the outer DF bit (on) */
	bool csum;             /**< compute the outer UDP checksum (off: 0, RFC 7348) */
};

/** Fills 'p' with the defaults of a tunnel port and zero addresses/VNI. */
void vxlan_tmpl_params_init(struct vxlan_tmpl_params *p);

/** Template flags. */
#define VXLAN_TMPL_TTL_INHERIT 0x01u
#define VXLAN_TMPL_TOS_INHERIT 0x02u
#define VXLAN_TMPL_CSUM        0x04u
#define VXLAN_TMPL_DF          0x08u

/**
 * A precomputed outer header, one cache line.  Public only so that src/ can
 * embed templates in its next-hop entries; its members are written by
 * vxlan_tmpl_build() and read by vxlan_encap_burst() only.
 */
struct __rte_cache_aligned vxlan_tmpl {
	/**
	 * Outer Ethernet/IPv4/UDP/VXLAN header, prepended as is.  IPv4 total
	 * length, identification (df off), checksum, UDP source port, length and
	 * checksum are 0 here and set per packet; so are TOS and TTL when
	 * inherited (the ECN bits always).
	 */
	uint8_t hdr[VXLAN_ENCAP_LEN];
	uint8_t flags;         /**< VXLAN_TMPL_* */
	uint8_t ttl;           /**< TTL for non-IP inner frames with ttl_inherit */
	uint32_t ip_sum;       /**< one's complement sum of hdr's IPv4 header, unfolded */
	uint16_t src_port_min; /**< host order */
	uint16_t pad0;         /**< zero */
	uint32_t src_port_n;   /**< max - min + 1 (1..65536) */
};

/**
 * Precomputes the outer header for 'p' into 't'.  Control thread; 't' must
 * not be visible to any PMD while it is written (see the file comment).
 *
 * @return 0, or -EINVAL (NULL, VNI above 24 bits, src_port_min > max, zero
 *         addresses or dst_port).
 */
int vxlan_tmpl_build(const struct vxlan_tmpl_params *p, struct vxlan_tmpl *t);

/* clang-format off */
/*
 * Encapsulation drop reasons.  X(enum suffix, name)
 */
#define VXLAN_ENCAP_DROPS(X)                                                                       \
	X(NO_TMPL, "no_template")     /* tmpls[i] NULL: next hop not resolved */                   \
	X(TOO_BIG, "too_big")         /* outer IP length above ctx->mtu: never fragment */         \
	X(NO_HEADROOM, "no_headroom") /* fewer than VXLAN_ENCAP_LEN bytes of headroom */           \
	X(SHARED, "shared")           /* indirect or refcnt > 1: headroom not ours to write */

enum vxlan_encap_drop {
#define VXLAN_ED_ENUM__(e, s) VXLAN_ENCAP_DROP_##e,
	VXLAN_ENCAP_DROPS(VXLAN_ED_ENUM__)
#undef VXLAN_ED_ENUM__
	VXLAN_ENCAP_DROP_N
};
/* clang-format on */

/** Name of an encapsulation drop reason ("unknown" when out of range). */
const char *vxlan_encap_drop_name(enum vxlan_encap_drop d);

/** Per-PMD encapsulation context. */
struct vxlan_encap_ctx {
	/* Set by the owner before use, read-only for the stage. */
	uint16_t mtu; /**< underlay IP MTU, the outer IPv4 total length limit (e.g. 1500) */
	/* Written by the stage (single writer: the owning PMD). */
	uint16_t ip_id;                      /**< next outer IPv4 id when df is off */
	uint64_t n_encap;                    /**< packets encapsulated */
	uint64_t n_bytes;                    /**< their bytes before encapsulation */
	uint64_t n_drop[VXLAN_ENCAP_DROP_N]; /**< drops per reason */
};

/**
 * Prepends tmpls[i]'s outer header to pkts[i], for i in [0, n): IPv4 total
 * length and checksum (patched incrementally from the template's), TOS
 * (ECN from the inner IP packet; DSCP too with tos_inherit), TTL with
 * ttl_inherit, identification when DF is off (ctx->ip_id++), UDP source
 * port src_port_min + hashes[i] % (max - min + 1), UDP length and, with
 * csum, checksum.  The inner frame is not modified.  Frames whose outer IP
 * packet would exceed ctx->mtu are dropped, whatever DF says (RFC 7348
 * section 4.3: VTEPs must not fragment).  Mbuf metadata: outer_l2_len 14,
 * outer_l3_len 20, l2_len += 16 (UDP + VXLAN, DPDK's tunnel convention;
 * 30 when it was 0), l3_len/l4_len kept; packet_type becomes
 * Ether/IPv4/UDP/VXLAN; when inner TX offload flags are set,
 * RTE_MBUF_F_TX_TUNNEL_VXLAN | RTE_MBUF_F_TX_OUTER_IPV4 are added.  With
 * csum the outer UDP checksum is computed in software over the inner frame
 * as it is: resolve inner checksum offloads first.
 *
 * On return pkts[0, ret) hold the encapsulated frames in arrival order;
 * pkts[ret, n) hold the rejects, unmodified, which the caller frees.  Drop
 * reasons are counted in ctx->n_drop, the frames encapsulated in ctx->n_encap
 * and their bytes (before) in ctx->n_bytes.  Never allocates, frees or blocks.
 *
 * @param tmpls   per packet template (NULL drops with no_template); the
 *                array is not reordered.
 * @param hashes  per packet flow hash for the source port, or NULL: then a
 *                frame's mbuf hash.rss when it has RTE_MBUF_F_RX_RSS_HASH
 *                (a NIC's RSS hash, or a flow hash its owner stored there),
 *                else the stage hashes the inner frame's headers as it
 *                reads its TOS and TTL (RFC 7348 section 5: the MACs, the
 *                IP addresses and the ports of unfragmented IPv4 TCP, UDP
 *                and SCTP), in the same walk.
 * @param n       at most VXLAN_BURST_MAX.
 * @return the number of frames encapsulated.
 */
uint16_t vxlan_encap_burst(struct vxlan_encap_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
                           const struct vxlan_tmpl *const tmpls[], const uint32_t hashes[]);

/**
 * vxlan_encap_burst() with one template for every frame: the output of a
 * tunnel with a fixed remote and VNI, where it costs fewer instructions a
 * frame (the template's fields stay in registers).  Same results, counters
 * and reject order; a NULL 'tmpl' drops all n with no_template.
 */
uint16_t vxlan_encap_burst_tmpl(struct vxlan_encap_ctx *ctx, struct rte_mbuf **pkts, uint16_t n,
                                const struct vxlan_tmpl *tmpl, const uint32_t hashes[]);

/* ------------------------------------------------------------------------
 * Decapsulation
 */

/* clang-format off */
/*
 * Decapsulation drop reasons.  X(enum suffix, name)
 */
#define VXLAN_DECAP_DROPS(X)                                                                       \
	X(TRUNCATED_OUTER, "truncated_outer") /* outer headers beyond the frame (or segment) */    \
	X(NOT_VXLAN, "not_vxlan")             /* not Ethernet/IPv4/UDP */                          \
	X(BAD_OUTER_IP, "bad_outer_ip")       /* IPv4 version, IHL or total length bad */          \
	X(OUTER_FRAGMENT, "outer_fragment")   /* MF set or fragment offset nonzero */              \
	X(BAD_OUTER_CSUM, "bad_outer_csum")   /* IPv4 (checked) or UDP (NIC) checksum bad */       \
	X(BAD_UDP_LEN, "bad_udp_len")         /* UDP len != IP payload; trailer across segments */ \
	X(BAD_FLAGS, "bad_flags")             /* VXLAN I flag clear */                             \
	X(RESERVED_BITS, "reserved_bits")     /* VXLAN reserved bits nonzero (as Linux) */         \
	X(UNKNOWN_VNI, "unknown_vni")         /* no tunnel for (local, VNI, remote) */             \
	X(TRUNCATED_INNER, "truncated_inner") /* inner frame shorter than Ethernet */

enum vxlan_decap_drop {
#define VXLAN_DD_ENUM__(e, s) VXLAN_DECAP_DROP_##e,
	VXLAN_DECAP_DROPS(VXLAN_DD_ENUM__)
#undef VXLAN_DD_ENUM__
	VXLAN_DECAP_DROP_N
};
/* clang-format on */

/** Name of a decapsulation drop reason ("unknown" when out of range). */
const char *vxlan_decap_drop_name(enum vxlan_decap_drop d);

/** Per-PMD decapsulation context. */
struct vxlan_decap_ctx {
	/* Set by the owner before use, read-only for the stage. */
	bool check_ip_csum; /**< verify the outer IPv4 header checksum (unless the NIC did) */
	/* Written by the stage (single writer: the owning PMD). */
	uint64_t n_decap;                    /**< packets decapsulated */
	uint64_t n_drop[VXLAN_DECAP_DROP_N]; /**< drops per reason */
};

/** Tunnel metadata of one decapsulated packet (what pm_key needs). */
struct vxlan_md {
	uint64_t tun_id;  /**< VNI as pm_key.tun_id: 64-bit, network order */
	uint32_t tun_src; /**< outer IPv4 source (remote VTEP), network order */
	uint32_t tun_dst; /**< outer IPv4 destination (local VTEP), network order */
	uint16_t ofport;  /**< tunnel port the packet arrives on (pm_key.in_port) */
	uint16_t pad0;    /**< zero */
	uint32_t pad1;    /**< zero */
};

/**
 * Copies 'md' into a key after the parser filled it (fc_parse_burst() zeroes
 * the key and sets in_port from its context): in_port and the tunnel fields.
 */
static inline void
vxlan_md_to_key(const struct vxlan_md *md, struct pm_key *key)
{
	key->in_port = md->ofport;
	key->tun_id = md->tun_id;
	key->tun_src = md->tun_src;
	key->tun_dst = md->tun_dst;
}

/**
 * Cheap classifier test: true when 'm' is an untagged Ethernet/IPv4/UDP
 * frame, not a later fragment, to UDP port 'dst_port_be' (network order),
 * with the headers in the first segment.  Does not look at the destination
 * address: the caller compares it with its VTEP addresses.
 */
bool vxlan_is_candidate(const struct rte_mbuf *m, uint16_t dst_port_be);

/**
 * Strips outer Ethernet/IPv4/UDP/VXLAN from frames that belong to a tunnel
 * of 'tunnels'.  Input: frames the caller classified as IPv4/UDP to one of
 * its VTEP addresses on a VXLAN port (vxlan_is_candidate() and an address
 * check); the UDP port is not checked again.  Checks, each counted as its
 * drop reason: the outer headers lie in the first segment, Ethernet/IPv4/UDP,
 * IPv4 version/IHL (options allowed)/total length, not a fragment, the outer
 * IPv4 checksum with ctx->check_ip_csum (skipped when the NIC flagged it good;
 * a NIC-flagged bad UDP checksum is dropped; the UDP checksum is otherwise not
 * verified in software), the UDP length, the VXLAN I flag and reserved bits
 * (RFC 7348 section 5 says a receiver ignores reserved bits; we drop nonzero
 * ones like Linux vxlan_rcv() does, since they would mean an extension we do
 * not implement, e.g. GBP or GPE), a tunnel for (outer destination, VNI,
 * outer source) and an inner frame of at least 14 bytes.  Survivors lose the
 * outer headers and any Ethernet trailer after the UDP payload; l2_len,
 * l3_len, l4_len, outer lengths, packet_type, RX checksum flags and the RSS
 * hash flag are cleared (they described the outer packet).
 *
 * On return pkts[0, ret) hold the inner frames in arrival order, with
 * mds[0, ret) their tunnel metadata; pkts[ret, n) hold the rejects,
 * unmodified, which the caller frees.  Never allocates, frees or blocks.
 *
 * @param tunnels  snapshot loaded with an acquire load (file comment); NULL
 *                 drops everything as unknown_vni.
 * @param mds      n entries; [0, ret) written.
 * @param n        at most VXLAN_BURST_MAX.
 * @return the number of frames decapsulated.
 */
uint16_t vxlan_decap_burst(struct vxlan_decap_ctx *ctx, const struct vxlan_tunnels *tunnels,
                           struct rte_mbuf **pkts, uint16_t n, struct vxlan_md *mds);

#endif /* VXLAN_H */
