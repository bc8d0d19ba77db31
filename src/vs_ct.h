/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's glue to lib/ct: the one connection table every PMD shares,
 * the ct() action on a packet or a batch, recirculation keys, the burst splitting
 * that keeps tracking in arrival order, expiry, and the "ct ..." commands.
 *
 * Threads: the table is created by the control thread (the first ct() flow
 * or ct command) and published with a release store; PMDs load it with
 * acquire.  PMDs track packets concurrently (lib/ct is lock-free for
 * lookups); PMD 0 alone runs ct_sweep() in its housekeeping; deleted
 * connections are freed after an RCU grace period of the switch's QSBR
 * (a defer queue).  The control thread reads connections (dump, flush) as a
 * QSBR reader of its own (thread id VS_PMD_MAX), online only meanwhile.
 */
#ifndef VS_CT_H
#define VS_CT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "ct.h"
#include "vs_flow.h"
#include "vs_reply.h"

struct vs_pmd;
struct vs_ruleset;
struct vs_dp_flow;

/** QSBR thread id of the control thread while it reads connections. */
#define VS_CT_CTL_THREAD VS_PMD_MAX

/** Connection table slots ct_sweep() visits per PMD 0 housekeeping step (once per ms). */
#define VS_CT_SWEEP_BUDGET 2048

/**
 * Control thread: creates the table if it does not exist yet (sized for the
 * current global limit, at least CT_DEFAULT_MAX_CONNS).
 * @return 0, or -ENOMEM with 'r' set.
 */
int vs_ct_ensure_table(struct vs_reply *r);

/** True once the table exists (PMDs then split bursts at connection conflicts). */
bool vs_ct_active(void);

/**
 * Runs the ct() action 'a' on one packet (in the zone 'a' names, from a
 * register if so), in the calling PMD's context.  'res' gets the state,
 * mark, label and connection; '*zone' the zone used.
 */
void vs_ct_execute(struct vs_pmd *pmd, struct rte_mbuf *m, const struct pm_key *key,
                   const struct vs_act_ct *a, struct ct_result *res, uint16_t *zone);

/**
 * Runs ct() actions acts[i] on pkts[i] (keys[i]) for i in [0, n), n <=
 * VS_BURST_MAX, as one ct_execute_burst() per run of packets with the same
 * action and zone, so that their lookups overlap.  The packets must be of
 * different connections (vs_ct_batch_len()): their order does not matter.
 */
void vs_ct_execute_burst(struct vs_pmd *pmd, struct rte_mbuf *const pkts[],
                         const struct pm_key *const keys[], const struct vs_act_ct *const acts[],
                         uint16_t n, struct ct_result res[], uint16_t zones[]);

/** Sets the ct fields of 'key' from a ct() result (for the recirculated pass). */
void vs_ct_set_key(struct pm_key *key, const struct ct_result *res, uint16_t zone);

/** What vs_ct_batch_len() may assume about the first pass of a burst. */
struct vs_ct_group_hint {
	const struct vs_dp_flow *flow; /**< the first-pass last-hit megaflow */
	uint16_t zone; /**< its list: ct(zone=Z, table=T), then no ct(), resubmit, goto_table */
};

/**
 * Length of the longest prefix of keys[0, n) that may run pass by pass
 * together: no packet's later ct() can change what an earlier ct() of another
 * packet saw.  Packets of different connections (both directions and ICMP
 * errors considered; hash collisions only shorten it) always may; several
 * packets of one connection only when, with 'hint' (NULL: never), each of
 * them is a plain packet of an established connection decided by the hint
 * megaflow and the rules run no ct() after it (see the comment above the
 * definition for the argument).  At least 1 when n > 0.  Sets in '*covered'
 * (bit i: keys[i]) some of the packets the hint's megaflow was found to match.
 */
uint16_t vs_ct_batch_len(struct vs_pmd *pmd, const struct vs_ruleset *rs,
                         const struct vs_ct_group_hint *hint, struct rte_mbuf *const pkts[],
                         const struct pm_key *keys, uint16_t n, uint64_t *covered);

/** PMD housekeeping: PMD 0 sweeps expired connections on a fixed budget. */
void vs_ct_housekeeping(struct vs_pmd *pmd);

/** The "ct" command (argv[0] is the word after "ct"). */
int vs_ct_cmd(int argc, char **argv, struct vs_reply *r);

/**
 * Validates a config file's "ct" line (argv[0] is the word after "ct"): "ct
 * set", "ct limit set" or "ct timeout set", changing nothing.  vs_ct_cmd()
 * applies it.
 */
int vs_ct_config_check(int argc, char **argv, struct vs_reply *r);

/** Writes the ct settings that differ from the defaults as config lines. */
void vs_ct_save(FILE *f);

/** Frees the table at shutdown (PMDs stopped). */
void vs_ct_fini(void);

#endif /* VS_CT_H */
