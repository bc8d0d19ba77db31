/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VXLAN tunnel ports in the daemon: "port add NAME vxlan ..." options, the
 * per-port tunnel counters, and the encapsulating transmit path.
 *
 * A tunnel port has no device.  Single outputs to it are buffered per PMD
 * like any port's, runs of 4 or more go straight to vs_tunnel_tx(), which
 * resolves each packet's
 * (tunnel, remote, VNI) to an outer header template through a small
 * PMD-private cache (route and neighbour lookups in the underlay snapshot,
 * see vs_underlay.h, only on a miss), encapsulates the burst with
 * lib/vxlan's vxlan_encap_burst() (a fixed tunnel with its next hop
 * resolved: vxlan_encap_burst_tmpl()) and queues the result on the underlay
 * port the route chose.  Encapsulated frames never go through the flow
 * tables.  Frames whose next hop is unresolved wait in a bounded per-PMD
 * queue while ARP asks (vs_tunnel_pending()).
 *
 * Flow-based tunnels (remote_ip=flow, key=flow) take tun_dst/tun_id from the
 * flow key at the time of the output; the action executor stamps them into
 * an mbuf dynamic field with vs_tunnel_stamp() (the key does not travel with
 * the mbuf into the tx buffer).
 *
 * Thread safety: option parsing is pure.  vs_tunnel_tx() and
 * vs_tunnel_stamp() run on PMD threads and touch only that PMD's state, the
 * published underlay snapshot (acquire) and the port's per-PMD counters.
 */
#ifndef VS_TUNNEL_H
#define VS_TUNNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "pktmeta.h"
#include "vxlan.h"

struct rte_mbuf;
struct vs_pmd;
struct vs_port;
struct vs_reply;

/** Options of one VXLAN port ("port add NAME vxlan ..."), OVS meanings. */
struct vs_tnl_cfg {
	uint32_t local_ip;     /**< network order */
	uint32_t remote_ip;    /**< network order; 0 with remote_flow */
	bool remote_flow;      /**< remote_ip=flow: tun_dst from the flow */
	bool key_flow;         /**< key=flow: tun_id from the flow */
	uint32_t vni;          /**< key=N (24 bits), host order; default 0 */
	uint16_t dst_port;     /**< host order, default 4789 */
	uint8_t tos;           /**< default 0 (ECN always inherited) */
	bool tos_inherit;      /**< tos=inherit */
	uint8_t ttl;           /**< default 64 */
	bool ttl_inherit;      /**< ttl=inherit */
	bool df;               /**< default on */
	bool csum;             /**< default off */
	uint16_t src_port_min; /**< default 49152 */
	uint16_t src_port_max; /**< default 65535 */
};

/* clang-format off */
/*
 * Tunnel and underlay counters kept per port and PMD, besides the lib's
 * encap/decap drop reasons.  X(enum suffix, name).
 */
#define VS_TNL_COUNTERS(X)                                                                         \
	X(ENCAP, "encap_packets")         /* tunnel port: frames encapsulated and queued */        \
	X(DOWN, "tunnel_down")            /* tunnel port: local_ip is not a local address */       \
	X(NO_ROUTE, "no_route")           /* tunnel port: no route to the remote VTEP */           \
	X(QUEUED, "neigh_queued")         /* tunnel port: held while its next hop resolves */      \
	X(UNRESOLVED, "neigh_unresolved") /* tunnel port: dropped: next hop unknown (queue full, \
	                                     3 s without an answer, or ports changed) */           \
	X(NO_TUN_DST, "no_tun_dst")       /* tunnel port: remote_ip=flow and tun_dst not set */    \
	X(DECAP, "decap_packets")         /* underlay port: frames decapsulated */                 \
	X(ARP_REPLIED, "arp_replied")     /* underlay port: ARP requests for our addresses */      \
	X(ARP_LEARNED, "arp_learned")     /* underlay port: ARP senders posted for learning */     \
	X(ARP_SENT, "arp_requests_sent")  /* underlay port: next hop resolutions sent */           \
	X(ICMP_REPLIED, "icmp_echo_replied") /* underlay port: echo requests to our addresses */   \
	X(LOCAL_BAD, "local_malformed")   /* underlay port: bad ARP/ICMP to our addresses */

enum vs_tnl_counter {
#define VS_TC_ENUM__(e, s) VS_TC_##e,
	VS_TNL_COUNTERS(VS_TC_ENUM__)
#undef VS_TC_ENUM__
	VS_TC_N
};
/* clang-format on */

/** Tunnel/underlay counters of one port written by one PMD (own lines: no false sharing). */
struct vs_tnl_stats {
	uint64_t n[VS_TC_N];
	uint64_t encap_drop[VXLAN_ENCAP_DROP_N]; /**< tunnel port */
	uint64_t decap_drop[VXLAN_DECAP_DROP_N]; /**< underlay port */
} __rte_cache_aligned;

/** Name of a counter. */
const char *vs_tnl_counter_name(enum vs_tnl_counter c);

/**
 * Parses the options after "port add NAME vxlan" into 'c' ("ofport=N" goes
 * to '*ofport').  Defaults as OVS; local_ip and remote_ip are required.
 * @return 0, or -EINVAL with 'r' naming the bad option.
 */
int vs_tunnel_parse_args(int argc, char **argv, struct vs_tnl_cfg *c, uint16_t *ofport,
                         struct vs_reply *r);

/** True when a packet for this tunnel needs its tun_id/tun_dst stamped (a flow-based tunnel). */
static inline bool
vs_tunnel_needs_md(const struct vs_tnl_cfg *c)
{
	return c->remote_flow || c->key_flow;
}

/**
 * Records the key's tun_id/tun_dst in 'm' for an output to a flow-based
 * tunnel (PMD thread, on the output path).  'm' may be NULL (tracing).
 */
void vs_tunnel_stamp(struct rte_mbuf *m, const struct pm_key *key);

/**
 * Encapsulates a tx buffer of tunnel port 'port' and queues the frames on
 * the underlay ports the routes choose.  Consumes every packet (drops are
 * counted on the tunnel port by reason) and may reorder 'pkts' itself (a
 * fixed tunnel's burst is encapsulated in place).  PMD thread.
 * @return the bytes of the n frames as given (the tunnel port's tx_bytes).
 */
uint64_t vs_tunnel_tx(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf **pkts, uint16_t n);

/**
 * Sends again the frames that waited for a next hop, once the underlay
 * changed (an ARP reply was learned) or a second passed; drops those that
 * waited VS_UL_PENDING_MS or whose ports changed.  PMD thread, every
 * iteration (cheap when nothing waits); 'drop_all' at PMD exit.
 */
void vs_tunnel_pending(struct vs_pmd *pmd, bool drop_all);

#endif /* VS_TUNNEL_H */
