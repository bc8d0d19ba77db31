/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: ethdevs (PCI NICs and vdevs) attached to the switch, and the port
 * map the PMDs read.
 *
 * Writers and readers:
 *  - The control thread alone adds and removes ports.  It builds a new
 *    immutable 'struct vs_portmap', publishes it with a release store, asks
 *    the PMDs to reload (they rebuild their poll lists and drop tx buffers
 *    of vanished ports, then acknowledge), waits for an RCU grace period,
 *    and only then stops and closes the device and frees the port.
 *  - PMDs load the map with an acquire load once per iteration and use the
 *    'struct vs_port' fields marked immutable without locks.
 *  - Counters: 'pmd_stats[i]' is written by PMD i only; the control thread
 *    sums them with relaxed loads.
 */
#ifndef VS_PORT_H
#define VS_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>
#include <rte_spinlock.h>

#include "vs_common.h"
#include "vs_flow.h"
#include "vs_reply.h"
#include "vs_tunnel.h"

struct vhu_port;

/* Drop reasons counted per port and PMD.  X(enum suffix, name). */
#define VS_PORT_DROPS(X)                                                                           \
	X(RX_OVERSIZE, "rx_oversize")   /* frame longer than the port's MTU */                     \
	X(TX_MTU, "tx_mtu_exceeded")    /* output frame longer than the port's MTU */              \
	X(TX_FULL, "tx_queue_full")     /* the device did not take the frame */                    \
	X(TX_NO_MBUF, "tx_copy_failed") /* no mbuf for a copy to this port */

enum vs_port_drop {
#define VS_PD_ENUM__(e, s) VS_PD_##e,
	VS_PORT_DROPS(VS_PD_ENUM__)
#undef VS_PD_ENUM__
			VS_PD_N
};

/** Counters of one port written by one PMD. */
struct vs_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t drops[VS_PD_N];
} __rte_cache_aligned;

/** Parsed "port add" arguments. */
struct vs_port_args {
	char name[VS_NAME_MAX];
	char type[24];       /**< "dpdk", "vhost-user" or "vhost-user-client" */
	char devargs[512];   /**< dpdk: the device arguments; vhost: the socket path */
	uint32_t sock_mode;  /**< vhost-user (server): socket mode, 0 = default */
	char sock_group[32]; /**< vhost-user (server): socket group, "" = none */
	uint16_t n_rxq;      /**< 0 = default 1 */
	uint16_t n_txq;      /**< 0 = one per PMD */
	uint16_t mtu;        /**< 0 = device default (1500) */
	uint16_t n_rxd, n_txd;
	uint32_t n_mbufs; /**< own mempool with this many mbufs, 0 = shared pool */
	uint16_t ofport;  /**< requested, 0 = lowest free */
	uint16_t tag;     /**< access VLAN, 0 = trunk */
	bool has_trunks;
	uint64_t trunks[64];   /**< VLANs carried by a trunk, bitmap */
	char text[1024];       /**< the arguments as given, for config save */
	struct vs_tnl_cfg tnl; /**< vxlan: the tunnel options */
};

struct vs_port {
	/* Immutable while the port is in a published map. */
	struct vs_port_args args;
	char name[VS_NAME_MAX];
	uint16_t ofport;
	uint16_t port_id; /**< ethdev port */
	uint16_t slot;    /**< index in vs_portmap.slots and PMD tx buffers */
	uint16_t n_rxq;
	uint16_t n_txq;
	bool txq_shared;    /**< fewer tx queues than PMDs: lock per burst */
	bool probed;        /**< we probed the device (remove it on delete) */
	uint32_t max_frame; /**< MTU + Ethernet header + one VLAN tag */
	uint16_t tag;       /**< access VLAN, 0 = trunk */
	bool trunks_all;    /**< trunk carries every VLAN */
	uint64_t trunks[64];
	uint8_t rxq_pmd[VS_QUEUE_MAX]; /**< PMD index polling each rx queue */
	struct rte_mempool *mp;        /**< rx pool (own or shared) */
	struct vhu_port *vhu;          /**< vhost-user port, or NULL for an ethdev */
	const struct vs_tnl_cfg *tnl;  /**< vxlan port (&args.tnl), or NULL */
	bool own_mp;
	/* Locks of shared tx queues, one per queue, taken per burst. */
	rte_spinlock_t txq_lock[VS_QUEUE_MAX];
	/* Per-PMD counters. */
	struct vs_port_stats pmd_stats[VS_PMD_MAX];
	/* Per-PMD tunnel (vxlan port) and underlay (addressed port) counters. */
	struct vs_tnl_stats tnl_stats[VS_PMD_MAX];
};

/** One published set of ports. */
struct vs_portmap {
	uint32_t n_ports;
	struct vs_port *slots[VS_PORT_MAX];   /**< by slot, NULL = free */
	uint8_t by_ofport[VS_OFPORT_MAX + 1]; /**< slot + 1, 0 = none */
};

static inline struct vs_port *
vs_portmap_get(const struct vs_portmap *map, uint32_t ofport)
{
	uint8_t s;

	if (ofport > VS_OFPORT_MAX)
		return NULL;
	s = map->by_ofport[ofport];
	return s != 0 ? map->slots[s - 1] : NULL;
}

/** True when VLAN 'vid' may use port 'p' in normal switching. */
static inline bool
vs_port_carries(const struct vs_port *p, uint16_t vid)
{
	if (p->tag != 0)
		return vid == p->tag;
	return p->trunks_all || (p->trunks[vid >> 6] >> (vid & 63) & 1);
}

/**
 * Parses "NAME TYPE DEVARGS [k=v ...]" into 'a'.
 * @return 0, or -EINVAL with 'r' holding an error naming the bad token.
 */
int vs_port_parse_args(int argc, char **argv, struct vs_port_args *a, struct vs_reply *r);

/** Validates a port name: 1-31 of [A-Za-z0-9_.-], not all digits. */
bool vs_port_name_valid(const char *name);

#endif /* VS_PORT_H */
