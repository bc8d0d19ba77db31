/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queueing a packet that ct(table=T) recirculates, inline: vs_xlate.c (the action) and
 * vs_dpif.c (the cached first pass, which queues without calling into the translation:
 * as a call with its nine arguments that cost about 20 instructions a packet) share it.
 * PMD-local: the queues are the calling PMD's.
 */
#ifndef VS_RECIRC_H
#define VS_RECIRC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_memcpy.h>

#include "vs_ct.h"
#include "vs_switch.h"

/*
 * Queues the next pass's key of a packet that ct(table=T) recirculates, in the queue being
 * filled (the pass being run reads the other one), with the connection found as the next
 * ct()'s hint; the caller checked there is room and adds the mbuf to the returned slot.
 * 'key' becomes that key where it is when 'in_place' (the first pass's own key, which
 * nothing reads again); otherwise it is copied into the queue's storage.
 */
static __rte_always_inline uint16_t
vs_recirc_push(struct vs_pmd *pmd, struct pm_key *key, bool in_place, const struct vs_act_ct *ct,
               const struct ct_result *res, uint16_t zone)
{
	struct vs_recirc *q = &pmd->recirc[pmd->rq];
	uint16_t slot = q->n++;
	struct pm_key *rkey = key;

	q->conns[slot] = res->conn;
	if (!in_place) {
		rkey = &q->keys[slot];
		/* rte_memcpy(): with the size known it is a few vector moves, where the struct
		 * copy (184 bytes) compiles to a libc memcpy() call. */
		rte_memcpy(rkey, key, sizeof(*rkey));
	}
	vs_ct_set_key(rkey, res, zone);
	vs_key_set_recirc(rkey, (uint32_t)ct->table + 1);
	q->kp[slot] = rkey;
	return slot;
}

/*
 * The usual first pass of a tracked packet: a list that is ct(table=T) alone, a verdict
 * that keeps the packet, and room to recirculate.  What vs_xlate.c's ct_apply() and
 * finish() do then (queue the key with its ct fields and the mbuf for the next pass),
 * without setting up a translation.  In the first pass the key is not copied: it is the
 * packet's own in pmd->keys, which nothing reads again after this ct() (the list has no
 * other action), so it becomes the next pass's key where it is.  A later pass copies it,
 * into the queue's own storage: its key lives in the storage of the queue being run,
 * which the pass after it fills.
 * @return false when the general path must run.
 */
static __rte_always_inline bool
vs_recirc_ct_only(struct vs_pmd *pmd, struct rte_mbuf *m, struct pm_key *key,
                  const struct vs_act_ct *ct, const struct ct_result *res, uint16_t zone)
{
	struct vs_recirc *q = &pmd->recirc[pmd->rq];

	if (ct->table == VS_CT_NO_TABLE || pmd->recirc_pass >= VS_RECIRC_MAX ||
	    q->n == VS_BURST_MAX || !vs_ct_verdict_keeps(res))
		return false;
	q->pkts[vs_recirc_push(pmd, key, pmd->recirc_pass == 0, ct, res, zone)] = m;
	return true;
}

#endif /* VS_RECIRC_H */
