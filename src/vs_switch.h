/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The switch: everything the daemon owns, and the PMD threads.
 *
 * Ownership: the control thread (EAL main lcore) creates and changes all of
 * it; PMD threads read the published snapshots (rules, ports) and write only
 * their own 'struct vs_pmd' and their own counter slots.
 *
 * Reload handshake (ports and rx queue assignment):
 *   control: publish new port map (release) → reload_seq++ (release RMW) →
 *            wait until every pmd->reload_ack >= that value (acquire).
 *   vhost:   reload_seq++ (release RMW), no wait (vs_switch_request_reload()).
 *            Both increments are RMWs, so neither is lost and an ack of a later
 *            value also acknowledges the earlier one.
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
#include "ct.h"
#include "pktmeta.h"
#include "vs_dpif.h"
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
	X(IN_PORT_OUTPUT, "output_to_in_port")  /* output:P where P is the input port */           \
	X(CT_FRAG, "ct_fragment")               /* IP fragment reached ct(): no reassembly */      \
	X(CT_LIMIT, "ct_limit")                 /* ct(commit): connection limit (global/zone) */   \
	X(CT_NO_ROOM, "ct_no_room")             /* ct(commit): no memory or table slot */          \
	X(RECIRC_DEPTH, "recirc_depth")         /* ct(table=) chain too deep, or forked twice */

enum vs_drop {
#define VS_DROP_ENUM__(e, s) VS_DROP_##e,
	VS_DROPS(VS_DROP_ENUM__)
#undef VS_DROP_ENUM__
			VS_DROP_N
};

/*
 * Pipeline stages timed per burst when "pmd stats detail on".  X(enum suffix, name).
 * vxlan joins when that stage exists.
 */
#define VS_STAGES(X)                                                                               \
	X(RX, "rx")                                                                                \
	X(UNDERLAY, "underlay") /* addressed port: ARP, ICMP echo, decap, parse */                 \
	X(PARSE, "parse")                                                                          \
	X(CLASSIFY, "classify") /* last-hit check, EMC, megaflow classifier */                     \
	X(UPCALL, "upcall")     /* slow path through the rule tables */                            \
	X(ACTIONS, "actions")   /* cached actions, batching per output */                          \
	X(CT, "ct")             /* conntrack in ct() actions (out of actions/upcall time) */       \
	X(TX, "tx")

enum vs_stage {
#define VS_STAGE_ENUM__(e, s) VS_STAGE_##e,
	VS_STAGES(VS_STAGE_ENUM__)
#undef VS_STAGE_ENUM__
			VS_STAGE_N
};

/** Name of a stage. */
const char *vs_stage_name(enum vs_stage s);

/** Name of a drop reason. */
const char *vs_drop_name(enum vs_drop d);

/** Internal action of cached action lists: sets key.in_port (resubmit(PORT,T)). */
#define VS_ACT_SET_IN_PORT (VS_ACT_N + 1)
/** Longest action list a megaflow caches. */
#define VS_XLATE_REC_MAX 64
/** Most rules one packet's translation may hit and still be cached. */
#define VS_XLATE_RULES_MAX 16

/** What a slow-path translation found: the megaflow to install. */
struct vs_xlate_rec {
	struct pm_key wc; /**< header bits the tables consulted (the mask) */
	uint16_t n_actions;
	uint16_t n_rules;
	bool overflow;       /**< too long or too deep to cache */
	enum vs_drop reason; /**< drop reason when the list outputs nothing */
	struct vs_action actions[VS_XLATE_REC_MAX];      /**< flattened: no resubmit/goto */
	const struct vs_rule *rules[VS_XLATE_RULES_MAX]; /**< rules hit, for their counters */
};

/** Recirculations (ct(table=)) one packet may go through. */
#define VS_RECIRC_MAX 8

/**
 * Packets waiting for their next pass (ct(table=T)), with their keys.  kp[i] is the key of
 * pkts[i]: keys[i] (a copy), or, for a first-pass ct(table=T) list, the packet's own key in
 * pmd->keys, updated in place (nothing reads the first-pass key after its ct()).
 */
struct vs_recirc {
	uint16_t n;
	struct rte_mbuf *pkts[VS_BURST_MAX];
	struct pm_key *kp[VS_BURST_MAX];
	/* ct() lookup hints across recirculation (struct ct_order): the connection the
	 * ct(table=) of pkts[i] found, or NULL.  Read while this queue's pass runs, in the
	 * same PMD iteration (no quiescent state in between). */
	struct ct_conn *conns[VS_BURST_MAX];
	struct pm_key keys[VS_BURST_MAX];
};

/** One rx queue a PMD polls. */
struct vs_rxq {
	struct vs_port *port;
	struct vhu_port *vhu; /**< vhost-user port, or NULL for an ethdev */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t ofport;
};

/** Per-output tx buffer. */
struct vs_txbuf {
	uint16_t n;
	uint16_t qid;       /**< tx queue this PMD uses on the port (set at reload) */
	bool listed;        /**< the slot is in pmd->dirty (at most once) */
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
	uint64_t n_emc_hits;     /**< packets decided by the EMC */
	uint64_t n_mf_hits;      /**< packets decided by the megaflow classifier */
	uint64_t n_last_hits;    /**< packets decided by the last-hit megaflow */
	uint64_t n_unparsed;     /**< of those, forwarded without a header parse */
	uint64_t n_mf_probes;    /**< subtables probed for those hits */
	uint64_t n_upcalls;      /**< packets sent up to the rule tables */
	uint64_t n_upcall_drops; /**< misses dropped by the upcall rate limit */
	uint64_t n_ct_groups;    /**< groups bursts ran as, for arrival order (vs_ct_batch_len()) */
	uint64_t n_mf_installed;
	uint64_t n_mf_install_failed;
	uint64_t n_mf_evicted;             /**< removed to stay under the megaflow limit */
	uint64_t n_mf_expired;             /**< removed after the idle time */
	uint64_t stage_cycles[VS_STAGE_N]; /**< TSC cycles per stage (with detail on) */
};

struct vs_switch;

struct vs_pmd {
	/* Set once by the control thread before launch. */
	struct vs_switch *sw;
	unsigned int lcore_id;
	uint16_t idx; /**< 0..n_pmds-1: counter slot and tx queue */

	/* Handshakes with the control thread, see the file comment. */
	uint64_t reload_ack; /**< PMD writes (release), control reads (acquire) */
	uint64_t rules_ack;  /**< rules version whose megaflows are gone (release) */
	uint64_t switch_rx;  /**< n_rx when the PMD took that rules version */
	bool detail;         /**< time each stage per burst (pmd stats detail on) */

	/* PMD-private. */
	uint16_t n_rxq;
	struct vs_rxq rxqs[VS_PORT_MAX];
	const struct vs_portmap *map; /**< poll list and tx buffers follow this map */
	uint16_t n_dirty;             /**< tx buffers with packets */
	uint16_t dirty[VS_PORT_MAX];  /**< their slots */
	struct vs_txbuf tx[VS_PORT_MAX];
	struct fc_parse_ctx parse;
	struct pm_key keys[VS_BURST_MAX];
	/** &keys[i], set once: the first pass's key pointers (vs_recirc.kp for later passes). */
	struct pm_key *kp[VS_BURST_MAX];
	uint64_t rules_version;     /**< rules version the megaflows were built from */
	struct vs_dpif dp;          /**< EMC and megaflows */
	struct vs_xlate_rec rec;    /**< scratch for upcalls */
	struct ct_ctx ct;           /**< conntrack context (table pointer, counters) */
	struct vs_recirc recirc[2]; /**< next pass being filled / pass being run */
	uint8_t rq;                 /**< index of the recirc queue being filled */
	uint8_t recirc_pass;        /**< pass being run: 0 first, then 1.. */
	uint64_t now_ms;            /**< clock for rule and MAC counters, per burst */
	uint32_t now_s;
	uint32_t n_empty; /**< consecutive empty iterations */
	uint32_t cur_sleep_us;

	/* Counters. */
	struct vs_pmd_stats stats;
	/* Written by the control thread only: the counters at "pmd stats clear". */
	struct vs_pmd_stats stats_base;
	uint64_t parse_base[FC_PR_N];
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
	/** Control and vhost-events threads increment (release RMW), PMDs read (acquire). */
	uint64_t reload_seq;
	bool stop;                 /**< control writes (release), PMDs read (acquire) */
	uint32_t pmd_sleep_max_us; /**< PMDs read relaxed */
	/* Flow cache settings, fixed at start-up unless noted. */
	uint32_t emc_entries;     /**< 0 = no EMC */
	uint32_t emc_insert_prob; /**< 1 in N misses inserted (PMDs apply on change) */
	uint32_t mf_limit;        /**< megaflows per PMD */
	uint64_t mf_idle_ms;      /**< megaflow idle expiry (PMDs read relaxed) */
	uint64_t upcall_rate;     /**< upcalls per second per PMD (PMDs read relaxed) */
	uint64_t tx_drain_tsc;    /**< tx buffer age that forces a flush */
	uint64_t tsc_hz;
};

/** Starts the switch clock (after EAL init, before any vs_clock_ms()). */
void vs_clock_init(void);
/** Milliseconds since vs_clock_init(), from the TSC. */
uint64_t vs_clock_ms(void);

/** The PMD main loop (rte_eal_remote_launch entry); 'arg' is a struct vs_pmd. */
int vs_pmd_main(void *arg);

/**
 * Runs the pipeline on one burst received on 'rxq' (rx counters, MTU check,
 * parse, classify, actions into the PMD's tx buffers).  Consumes the packets.
 * PMD thread only; exported for the pipeline fuzz target.
 */
void vs_pmd_process_burst(struct vs_pmd *pmd, const struct vs_ruleset *rs, const struct vs_rxq *rxq,
                          struct rte_mbuf **pkts, uint16_t n);

/** Waits until every PMD has dropped megaflows of older rules versions (the ofproto sync hook). */
void vs_switch_sync_rules(void *sw);

/** Control side of the reload handshake.  @return 0 or -ETIMEDOUT. */
int vs_switch_reload_pmds(struct vs_switch *sw);

/**
 * Asks every PMD to reload at its next iteration and returns at once (the vhost-user
 * callbacks' hook, vhu_reload_fn: a queue enabled or disabled, a guest up or down).  Any
 * thread; 'sw' is a struct vs_switch.
 */
void vs_switch_request_reload(void *sw);

/**
 * The slow path: looks the packet up in the rule tables from table 0, runs
 * the actions of the rules it hits, queues outputs in the PMD's tx buffers,
 * and, when 'rec' is not NULL, records the megaflow that caches this
 * decision.  Consumes 'm'.
 */
void vs_xlate_upcall(struct vs_pmd *pmd, const struct vs_ruleset *rs, const struct vs_portmap *map,
                     struct rte_mbuf *m, struct pm_key *key, struct vs_xlate_rec *rec);

/** The fast path: runs a cached action list on one packet.  Consumes 'm'. */
void vs_xlate_execute(struct vs_pmd *pmd, const struct vs_portmap *map, struct rte_mbuf *m,
                      struct pm_key *key, const struct vs_action *acts, uint16_t n_acts,
                      enum vs_drop reason);

/**
 * vs_xlate_execute() for a cached list whose first action is ct(), with the
 * conntrack result of that action already computed (batched by the caller).
 * The general way: a list that is ct(table=T) alone is queued by
 * vs_recirc_ct_only() (vs_recirc.h), which the caller tries first.
 */
void vs_xlate_execute_ct(struct vs_pmd *pmd, const struct vs_portmap *map, struct rte_mbuf *m,
                         struct pm_key *key, const struct vs_action *acts, uint16_t n_acts,
                         enum vs_drop reason, const struct ct_result *res, uint16_t zone);

/** "flow trace": translates 'key' without a packet, printing each step into 'trace'. */
void vs_xlate_trace(const struct vs_ruleset *rs, const struct vs_portmap *map, struct vs_mac *mac,
                    struct pm_key *key, struct vs_xlate_rec *rec, struct vs_reply *trace);

/** Queues 'm' for 'port' in the PMD's tx buffer; flushes the buffer when full. */
void vs_pmd_tx(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf *m);

/** Queues 'n' packets for 'port' (vs_pmd_tx() for a run of packets).  A full burst for an
 * empty buffer is sent at once, from pkts[]: the caller's array is not kept either way. */
void vs_pmd_tx_burst(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf **pkts, uint16_t n);

/** vs_pmd_tx_burst() for frames the caller knows fit the port's max_frame, 'bytes' long in
 * all (encapsulation checked them against the underlay MTU): a full burst for an empty buffer
 * is sent without another pass over the frames. */
void vs_pmd_tx_burst_fitting(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf **pkts,
                             uint16_t n, uint64_t bytes);

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
