/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch: everything the daemon owns, and the PMD threads.
 *
 * Ownership: the control thread (EAL main lcore) creates and changes all of
 * it; PMD threads read the published snapshots (rules, ports) and write only
 * their own 'struct vs_pmd' and their own counter slots.
 *
 * Reload handshake (ports and rx queue assignment):
 *   control: publish new port map (release) → reload_seq++ (release) →
 *            wait until every pmd->reload_ack == reload_seq (acquire).
 *   PMD:     sees reload_seq change (acquire) → reloads its poll list from
 *            the port map → stores reload_ack = seq (release).
 * The control thread waits, but a PMD never does: it acknowledges at its
 * next iteration.
 */
#ifndef VS_SWITCH_H
#define VS_SWITCH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "fc.h"
#include "pktmeta.h"
#include "vs_common.h"
#include "vs_mac.h"
#include "vs_ofproto.h"
#include "vs_port.h"

/* Pipeline drop reasons.  X(enum suffix, name). */
#define VS_DROPS(X)                                                                                \
	X(TABLE_MISS, "table_miss")             /* no rule matched */                              \
	X(NO_OUTPUT, "no_output")               /* actions ended without output (drop action) */   \
	X(RESUBMIT_DEPTH, "resubmit_depth")     /* resubmit/goto_table chain too deep */           \
	X(TTL_EXPIRED, "ttl_expired")           /* dec_ttl on TTL <= 1 */                          \
	X(VLAN_FILTER, "vlan_filtered")         /* normal: VLAN not allowed on the input port */   \
	X(NORMAL_SAME_PORT, "normal_same_port") /* normal: destination is the input port */        \
	X(NO_MBUF, "copy_failed")               /* no mbuf for a copy or a VLAN push */            \
	X(PORT_GONE, "output_port_gone")        /* output to a port that does not exist */         \
	X(IN_PORT_OUTPUT, "output_to_in_port")  /* output:P where P is the input port */

enum vs_drop {
#define VS_DROP_ENUM__(e, s) VS_DROP_##e,
	VS_DROPS(VS_DROP_ENUM__)
#undef VS_DROP_ENUM__
			VS_DROP_N
};

/** Name of a drop reason. */
const char *vs_drop_name(enum vs_drop d);

/** One rx queue a PMD polls. */
struct vs_rxq {
	struct vs_port *port;
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t ofport;
};

/** Per-output tx buffer. */
struct vs_txbuf {
	uint16_t n;
	uint64_t first_tsc; /**< when the oldest buffered packet arrived */
	struct rte_mbuf *pkts[VS_BURST_MAX];
};

/** PMD counters (single writer: the PMD; readers sum with relaxed loads). */
struct vs_pmd_stats {
	uint64_t n_rx; /**< packets received */
	uint64_t n_iter;
	uint64_t busy_cycles; /**< TSC cycles of iterations that moved packets */
	uint64_t idle_cycles;
	uint64_t n_drop[VS_DROP_N];
	uint64_t n_sleeps;
	uint64_t sleep_us;
};

struct vs_switch;

struct vs_pmd {
	/* Set once by the control thread before launch. */
	struct vs_switch *sw;
	unsigned int lcore_id;
	uint16_t idx; /**< 0..n_pmds-1: counter slot and tx queue */

	/* Handshake with the control thread, see the file comment. */
	uint64_t reload_ack; /**< PMD writes (release), control reads (acquire) */

	/* PMD-private. */
	uint16_t n_rxq;
	struct vs_rxq rxqs[VS_PORT_MAX];
	const struct vs_portmap *map; /**< poll list and tx buffers follow this map */
	uint16_t n_dirty;             /**< tx buffers with packets */
	uint16_t dirty[VS_PORT_MAX];  /**< their slots */
	struct vs_txbuf tx[VS_PORT_MAX];
	struct fc_parse_ctx parse;
	struct pm_key keys[VS_BURST_MAX];
	uint64_t now_ms; /**< clock for rule and MAC counters, per burst */
	uint32_t now_s;
	uint32_t n_empty; /**< consecutive empty iterations */
	uint32_t cur_sleep_us;

	/* Counters. */
	struct vs_pmd_stats stats;
	uint64_t stats_base_busy, stats_base_idle, stats_base_rx; /**< at "pmd stats clear" */
} __rte_cache_aligned;

struct vs_switch {
	struct vs_ofproto *ofp;
	const struct vs_ruleset *const *rules_slot; /**< for vs_ofproto_snapshot() */
	const struct vs_portmap *portmap;           /**< published, acquire/release */
	struct vs_mac *mac;
	struct rte_rcu_qsbr *qsbr;
	struct rte_mempool *shared_mp;
	uint16_t n_pmds;
	struct vs_pmd *pmds[VS_PMD_MAX];
	uint64_t reload_seq;       /**< control writes (release), PMDs read (acquire) */
	bool stop;                 /**< control writes (release), PMDs read (acquire) */
	uint32_t pmd_sleep_max_us; /**< PMDs read relaxed */
	uint64_t tx_drain_tsc;     /**< tx buffer age that forces a flush */
	uint64_t tsc_hz;
};

/** Starts the switch clock (after EAL init, before any vs_clock_ms()). */
void vs_clock_init(void);
/** Milliseconds since vs_clock_init(), from the TSC. */
uint64_t vs_clock_ms(void);

/** The PMD main loop (rte_eal_remote_launch entry); 'arg' is a struct vs_pmd. */
int vs_pmd_main(void *arg);

/** Control side of the reload handshake.  @return 0 or -ETIMEDOUT. */
int vs_switch_reload_pmds(struct vs_switch *sw);

/**
 * Executes the flow tables on one parsed packet: looks the rules up from
 * table 0, runs their actions, and queues outputs in the PMD's tx buffers.
 * Consumes 'm' (it is sent, copied or freed).
 */
void vs_xlate_packet(struct vs_pmd *pmd, const struct vs_ruleset *rs, const struct vs_portmap *map,
                     struct rte_mbuf *m, struct pm_key *key);

/** Queues 'm' for 'port' in the PMD's tx buffer; flushes the buffer when full. */
void vs_pmd_tx(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf *m);

/** Sends every non-empty tx buffer. */
void vs_pmd_flush_all(struct vs_pmd *pmd);

/* Port management (vs_port.c), control thread only. */

/** Port by name or ofport number in 'map', or NULL. */
struct vs_port *vs_port_lookup(const struct vs_portmap *map, const char *name_or_number);
/** Brings the device up and publishes the port.  @return 0 or -errno with 'r' set. */
int vs_port_add(struct vs_switch *sw, const struct vs_port_args *a, struct vs_reply *r);
/** Unpublishes the port, waits until no PMD uses it, closes the device. */
int vs_port_del(struct vs_switch *sw, struct vs_port *p, struct vs_reply *r);
/** Sum of the port's per-PMD counters. */
void vs_port_totals(const struct vs_port *p, struct vs_port_stats *t);
const char *vs_port_drop_name(enum vs_port_drop d);
/** Frees pools of deleted ports once none of their mbufs is in use. */
void vs_port_reap_pools(void);

#endif /* VS_SWITCH_H */
