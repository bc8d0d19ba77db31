/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/vxlan internals: the tunnel table layout and its inline lookup, shared
 * by vxlan_tunnel.c (build, public lookup) and vxlan_decap.c (the burst).
 * Same thread-safety rules as vxlan.h: a table is immutable once built.
 */
#ifndef VXLAN_PRIV_H
#define VXLAN_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ip.h>

#include "pktmeta.h"
#include "vxlan.h"

/* Tag bits above the 24-bit VNI: which fields of an entry are wildcards. */
#define VXLAN_TAG_KEY_FLOW    (1u << 24)
#define VXLAN_TAG_REMOTE_FLOW (1u << 25)

/* Lookup classes, most specific first (OVS tnl_find() order); bit i of
 * 'struct vxlan_tunnels'.classes says class i has entries. */
#define VXLAN_N_CLASSES 4

/*
 * One slot of the open-addressing table.  An empty slot has local_ip 0
 * (build rejects tunnels with a zero local address).
 */
struct vxlan_tunnel_entry {
	uint32_t local_ip;  /* network order; 0: empty slot */
	uint32_t remote_ip; /* network order; 0 with VXLAN_TAG_REMOTE_FLOW */
	uint32_t tag;       /* VNI (0 with KEY_FLOW) | VXLAN_TAG_* */
	uint32_t pad0;
	struct vxlan_tunnel_params params; /* what lookups return */
};

/* The table: built once by the control thread, then read-only. */
struct vxlan_tunnels {
	struct vxlan_alloc alloc; /* to free the table with */
	uint32_t n;               /* tunnels */
	uint32_t mask;            /* slots - 1 (slots is a power of 2, >= 2n) */
	uint32_t classes;         /* bit i: lookup class i has tunnels */
	uint32_t pad0;
	struct vxlan_tunnel_entry slots[]; /* mask + 1 slots */
};

/* Hash of an entry key (multiplicative, good enough for a table at most half full). */
static inline uint32_t
vxlan_tunnel_hash__(uint32_t local_ip, uint32_t remote_ip, uint32_t tag)
{
	uint64_t h = ((uint64_t)local_ip << 32 | remote_ip) * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)tag * 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* Exact lookup of one (local, remote, tag) key; NULL if absent. */
static inline const struct vxlan_tunnel_entry *
vxlan_tunnel_find__(const struct vxlan_tunnels *t, uint32_t local_ip, uint32_t remote_ip,
                    uint32_t tag)
{
	uint32_t i = vxlan_tunnel_hash__(local_ip, remote_ip, tag) & t->mask;

	for (;;) {
		const struct vxlan_tunnel_entry *e = &t->slots[i];

		if (e->local_ip == local_ip && e->remote_ip == remote_ip && e->tag == tag)
			return e;
		if (e->local_ip == 0)
			return NULL;
		i = (i + 1) & t->mask;
	}
}

/* The most specific tunnel for a packet (see vxlan_tunnels_lookup()). */
static inline const struct vxlan_tunnel_params *
vxlan_tunnel_lookup__(const struct vxlan_tunnels *t, uint32_t local_ip, uint32_t vni,
                      uint32_t remote_ip)
{
	static const uint32_t tags[VXLAN_N_CLASSES] = {
		0,
		VXLAN_TAG_KEY_FLOW,
		VXLAN_TAG_REMOTE_FLOW,
		VXLAN_TAG_REMOTE_FLOW | VXLAN_TAG_KEY_FLOW,
	};
	uint32_t c;

	if (local_ip == 0) /* would match an empty slot */
		return NULL;
	for (c = 0; c < VXLAN_N_CLASSES; c++) {
		const struct vxlan_tunnel_entry *e;
		uint32_t tag = tags[c];

		if (!(t->classes & (1u << c)))
			continue;
		e = vxlan_tunnel_find__(t, local_ip, tag & VXLAN_TAG_REMOTE_FLOW ? 0 : remote_ip,
		                        tag | (tag & VXLAN_TAG_KEY_FLOW ? 0 : vni));
		if (e != NULL)
			return &e->params;
	}
	return NULL;
}

/*
 * Whether the IPv4 header at 'ip', 'ihl' bytes, sums to all ones (RFC 1071:
 * its checksum is right), as rte_raw_cksum(ip, ihl) == 0xffff says.  The
 * usual 20 bytes as five 32-bit words: a one's complement sum comes out the
 * same in any word size and byte order once folded, and rte_raw_cksum()'s
 * general loop cost about 60 instructions a packet on the decap path.  The
 * sum is below 5 * 2^32: two 16-bit folds leave at most 0xffff + 5, and when
 * they leave more than 16 bits the true sum is 1 to 5, all ones neither way,
 * so no fold to 32 bits first.
 */
static inline bool
vxlan_ipv4_hdr_sum_ok(const uint8_t *ip, uint32_t ihl)
{
	uint64_t s;

	if (unlikely(ihl != 20))
		return rte_raw_cksum(ip, ihl) == 0xffff;
	s = (uint64_t)pm_rd32(ip) + pm_rd32(ip + 4) + pm_rd32(ip + 8) + pm_rd32(ip + 12) +
	    pm_rd32(ip + 16);
	s = (s >> 16) + (s & 0xffff);
	s = (s >> 16) + (s & 0xffff);
	return s == 0xffff;
}

#endif /* VXLAN_PRIV_H */
