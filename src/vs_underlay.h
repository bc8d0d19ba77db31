/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice's own underlay: addresses on ports ("ip addr"), routes ("route"),
 * a neighbour table ("neigh", learned by ARP), the VXLAN tunnel table
 * decapsulation uses, and the receive side of addressed ports (ARP and ICMP
 * echo for our addresses answered, VXLAN to them decapsulated).
 *
 * Writers and readers: the control thread is the only writer.  Every change
 * builds a new immutable 'struct vs_ul' snapshot (version + 1), publishes it
 * with a release store, waits for an RCU grace period and frees the old one
 * (with its tunnel table).  PMDs load it with an acquire load once per burst
 * and drop it at their next quiescent state.  ARP learning on the PMDs goes
 * to the control thread through a multi-producer ring (vs_underlay_tick()
 * drains it), so the neighbour table keeps one writer.  Per-PMD state
 * (encap/decap contexts, the template cache) is private to its PMD.
 */
#ifndef VS_UNDERLAY_H
#define VS_UNDERLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_ether.h>

#include "vs_common.h"
#include "vs_tunnel.h"
#include "vxlan.h"

struct rte_mbuf;
struct vs_pmd;
struct vs_port;
struct vs_reply;
struct vs_switch;

#define VS_UL_ADDRS_MAX     64
#define VS_UL_ROUTES_MAX    256
#define VS_UL_NEIGHS_MAX    1024
#define VS_UL_DST_PORTS_MAX 8
/** Learned neighbours expire after this long without an ARP from them. */
#define VS_UL_NEIGH_AGE_MS 300000

struct vs_ul_addr {
	uint32_t ip; /**< network order */
	uint8_t plen;
	uint16_t ofport;
	struct rte_ether_addr mac; /**< the port's MAC */
};

struct vs_ul_route {
	uint32_t prefix; /**< network order, host bits zero */
	uint32_t gw;     /**< network order, 0 = directly connected */
	uint8_t plen;
	bool connected; /**< installed by "ip addr add" */
	uint16_t ofport;
	struct rte_ether_addr mac; /**< the port's MAC (outer source) */
};

struct vs_ul_neigh {
	uint32_t ip; /**< network order */
	struct rte_ether_addr mac;
	uint16_t ofport;
	bool permanent;   /**< "neigh add": never aged, wins over ARP */
	uint64_t seen_ms; /**< learned: last ARP (control thread only) */
};

/** One immutable underlay snapshot (see the file comment). */
struct vs_ul {
	uint64_t version;
	uint16_t n_addrs, n_routes, n_neighs, n_dst_ports;
	struct vs_ul_addr addrs[VS_UL_ADDRS_MAX];
	struct vs_ul_route routes[VS_UL_ROUTES_MAX];
	struct vs_ul_neigh neighs[VS_UL_NEIGHS_MAX];
	uint16_t dst_ports_be[VS_UL_DST_PORTS_MAX];  /**< VXLAN UDP ports of up tunnels */
	uint8_t addressed[VS_PORT_MAX];              /**< by port slot: has an address */
	struct rte_ether_addr port_mac[VS_PORT_MAX]; /**< by slot, addressed ports: their MAC */
	struct vxlan_tunnels *tunnels;               /**< up tunnels, or NULL */
};

/** Frames per PMD that may wait for a next hop's ARP reply, and for how long. */
#define VS_UL_PENDING_MAX 64
#define VS_UL_PENDING_MS  3000

/** Template cache slots per PMD (a power of 2, at most 64: a burst's slots fit a mask). */
#define VS_UL_TMPL_CACHE 64

/** Resolution state of a cached (tunnel, remote, VNI). */
enum vs_ul_res {
	VS_UL_RES_OK,
	VS_UL_RES_DOWN,
	VS_UL_RES_NO_ROUTE,
	VS_UL_RES_UNRESOLVED,
};

/** One cached outer header (PMD-private; rebuilt when the snapshot version changes). */
struct vs_ul_tmpl_entry {
	struct vxlan_tmpl tmpl; /**< valid with VS_UL_RES_OK */
	uint64_t version;       /**< snapshot version it was resolved in, 0 = empty */
	uint64_t arp_ms;        /**< UNRESOLVED: last ARP request sent */
	uint32_t remote;        /**< key: remote VTEP, network order */
	uint32_t vni;           /**< key: VNI, host order */
	uint16_t tnl_ofport;    /**< key: tunnel port */
	uint16_t out_ofport;    /**< underlay port of the route */
	uint32_t nexthop;       /**< network order */
	uint32_t src_ip;        /**< our address on out_ofport (ARP sender) */
	struct rte_ether_addr src_mac;
	uint8_t state; /**< enum vs_ul_res */
};

/** Per-PMD tunnel state (private to its PMD; counters read relaxed). */
struct vs_ul_pmd {
	struct vxlan_encap_ctx enc;
	struct vxlan_decap_ctx dec;
	struct vxlan_md mds[VS_BURST_MAX];
	struct vs_ul_tmpl_entry cache[VS_UL_TMPL_CACHE];
	/* Frames waiting for ARP (bounded), retried when the snapshot changes. */
	uint16_t n_pending;
	uint16_t pending_ofport[VS_UL_PENDING_MAX]; /**< tunnel port of each */
	uint32_t pending_ms[VS_UL_PENDING_MAX];     /**< when first queued */
	struct rte_mbuf *pending[VS_UL_PENDING_MAX];
	uint64_t pending_version;  /**< snapshot version of the last retry */
	uint64_t pending_reload;   /**< port map reload the queue belongs to */
	uint64_t pending_retry_ms; /**< last retry */
} __rte_cache_aligned;

/** The snapshot PMDs use now, or NULL (acquire; see the file comment). */
const struct vs_ul *vs_underlay_get(void);

/** Per-PMD state of PMD 'idx' (allocated by vs_underlay_init()). */
struct vs_ul_pmd *vs_underlay_pmd(uint16_t idx);

/**
 * Allocates the per-PMD state, the learning ring and the mbuf dynamic field
 * once, and publishes an empty snapshot.  Control thread; idempotent.
 * @return 0 or -errno with 'r' set.
 */
int vs_underlay_init(struct vs_switch *sw, struct vs_reply *r);

/** Runs "ip ...", "route ...", "neigh ..." (argv[0] is the command word). */
int vs_underlay_cmd(int argc, char **argv, struct vs_reply *r);

/** Rebuilds the tunnel table after a tunnel port was added (port map already published). */
void vs_underlay_ports_changed(void);

/** Before a port leaves: drops its addresses, routes, neighbours and tunnel, republishes. */
void vs_underlay_port_removing(const struct vs_port *p);

/**
 * Config file lines ("ip addr add", "route add", "neigh add"): replaces the
 * configured addresses, routes and permanent neighbours with what the lines
 * say (learned neighbours stay), published at once; on error nothing
 * changes and '*bad' is the failing line's index.  Control thread.
 */
int vs_underlay_apply_config(char *const *lines, unsigned int n, unsigned int *bad,
                             struct vs_reply *r);

/** Writes the configured underlay as config lines (config save). */
void vs_underlay_save(FILE *f);

/** Control thread, often: applies learned neighbours and ages old ones. */
void vs_underlay_tick(uint64_t now_ms);

/** True when tunnel 'c' is up (its local_ip is an address of ours). */
bool vs_underlay_tunnel_up(const struct vs_tnl_cfg *c);

/**
 * Receive side of an addressed underlay port (PMD thread): answers ARP and
 * ICMP echo for our addresses, decapsulates VXLAN to them, and parses the
 * rest.  On return pkts[0, ret) hold parsed frames with keys[0, ret) (the
 * port's own frames first, in_port 'ofport', then inner frames with their
 * tunnel port and tun_* set); everything else was sent, freed or counted.
 */
uint16_t vs_underlay_rx(struct vs_pmd *pmd, const struct vs_ul *ul, struct vs_port *port,
                        struct rte_mbuf **pkts, uint16_t n);

/* Used by vs_tunnel.c (PMD thread). */

/** Offset of the tunnel-metadata dynamic field in the mbuf. */
extern int vs_ul_dynfield_offset;

/**
 * Resolves (tunnel, remote, VNI) in 'ul' into 'e' (route, neighbour,
 * template).  PMD thread, on a cache miss.
 */
void vs_underlay_resolve(const struct vs_ul *ul, const struct vs_tnl_cfg *c,
                         struct vs_ul_tmpl_entry *e);

/** Sends an ARP request for e->nexthop out of 'port' (PMD thread). */
void vs_underlay_arp_request(struct vs_pmd *pmd, struct vs_port *port,
                             const struct vs_ul_tmpl_entry *e);

/** Posts a learned neighbour to the control thread (PMD thread; dropped when the ring is full). */
void vs_underlay_learn(uint32_t ip, const uint8_t *mac, uint16_t ofport);

#endif /* VS_UNDERLAY_H */
