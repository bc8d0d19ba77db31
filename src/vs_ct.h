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

#include <netinet/in.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>

#include "ct.h"
#include "vs_common.h"
#include "vs_flow.h"
#include "vs_reply.h"

struct vs_pmd;
struct vs_ruleset;
struct vs_dp_flow;

/** QSBR thread id of the control thread while it reads connections. */
#define VS_CT_CTL_THREAD VS_PMD_MAX

/**
 * Connection table slots ct_sweep() visits per PMD 0 housekeeping step (once per ms): a
 * thousandth of the table, between these bounds, so that a small table is not swept
 * several times a second (each connection the sweeper meets costs a cache miss and its
 * lock) and the largest is swept in about 2 s.
 */
#define VS_CT_SWEEP_MIN 128u
#define VS_CT_SWEEP_MAX 2048u

/**
 * Control thread: creates the table if it does not exist yet (sized for the
 * current global limit, at least CT_DEFAULT_MAX_CONNS).
 * @return 0, or -ENOMEM with 'r' set.
 */
int vs_ct_ensure_table(struct vs_reply *r);

/** True once the table exists (PMDs then split bursts at connection conflicts). */
bool vs_ct_active(void);

/**
 * The connection table starts at this many buckets (8 slots each, 2 per connection) and
 * doubles while it fills, up to the size made for the limit: 16,384 buckets (2 MB) hold
 * 16,384 connections before the first growth.
 */
#define VS_CT_START_BUCKETS 16384

/**
 * Grows the connection table when it is over a quarter full (ct_grow()).  Control thread,
 * offline from RCU; called every main-loop round (at most 10 ms apart while ct is active).
 */
void vs_ct_maintain(void);

/**
 * Runs the ct() action 'a' on one packet (in the zone 'a' names, from a
 * register if so), in the calling PMD's context.  'res' gets the state,
 * mark, label and connection; '*zone' the zone used.
 */
void vs_ct_execute(struct vs_pmd *pmd, struct rte_mbuf *m, const struct pm_key *key,
                   const struct vs_act_ct *a, struct ct_result *res, uint16_t *zone);

/** The options of ct() action 'a' for a packet with flow key 'key' (read only for a zone
 * from a register), as vs_ct_execute_burst() passes them to lib/ct. */
void vs_ct_opts(const struct vs_act_ct *a, const struct pm_key *key, struct ct_exec_opts *o);

/** vs_ct_deps.prev of a packet with no earlier packet of its connection in the group. */
#define VS_CT_NO_DEP UINT8_MAX

/**
 * Packets for vs_ct_execute_burst(), in arrival order: n entries of arrays the
 * caller owns.  Pointers, not arrays: a pass that is all one megaflow hands over
 * its own packet and key arrays, and its hints, without copying them.
 */
struct vs_ct_batch {
	uint16_t n;    /**< at most VS_BURST_MAX */
	bool ordered;  /**< 'after' and 'safe' apply (struct ct_order); else no constraint */
	uint64_t safe; /**< ct_states after which a waiting packet may be tracked */
	uint64_t safe_if_conn; /**< ... when the earlier packet found its connection */
	struct rte_mbuf *const *pkts;
	const struct pm_key *const *keys;
	const struct vs_act_ct *act;          /**< every packet's action, or NULL: 'acts' */
	const struct vs_act_ct *const *acts;  /**< each packet's, when 'act' is NULL */
	const struct ct_result *const *after; /**< result to wait for, or NULL (ordered) */
	bool hinted;                          /**< 'conns' is set */
	struct ct_conn *const *conns;         /**< lookup hints (struct ct_order), or NULL */
	/** ct_order.find_waits, with 'safe' and 'safe_if_conn' (one action in one zone;
	 *  not with 'ordered' or 'hinted') */
	bool find_waits;
};

/** The ct() action of packet i of 'b'. */
static inline const struct vs_act_ct *
vs_ct_batch_act(const struct vs_ct_batch *b, uint16_t i)
{
	return b->act != NULL ? b->act : b->acts[i];
}

/**
 * Runs ct() actions vs_ct_batch_act(b, i) on b->pkts[i] (b->keys[i]) in arrival order, as
 * one ct_execute_burst_ordered() per run of packets with the same action and
 * zone, so that their lookups overlap.  Packets of different connections may
 * come in any order (vs_ct_batch_len()); with b->ordered, packet i waits for
 * the result b->after[i] as struct ct_order says, and the call stops before
 * the first packet that may not go on yet.  With b->hinted, b->conns[i] is
 * tried before a lookup (struct ct_order).
 * @return the number of packets run, res[0, ret) and zones[0, ret) set.
 */
uint16_t vs_ct_execute_burst(struct vs_pmd *pmd, const struct vs_ct_batch *b,
                             struct ct_result res[], uint16_t zones[]);

/** Whether a packet goes on after a ct() that gave 'r' (else it is dropped, vs_xlate.c). */
static inline bool
vs_ct_verdict_keeps(const struct ct_result *r)
{
	if (likely(r->reason == CT_R_OK))
		return true;
	switch (r->reason) {
	case CT_R_FRAG:
	case CT_R_LIMIT_GLOBAL:
	case CT_R_LIMIT_ZONE:
	case CT_R_NO_MEM:
	case CT_R_TABLE_FULL:
		return false;
	default:
		return true;
	}
}

/**
 * Gives 'm' the connection key's hash of its ct() result 'r' as its flow hash (the mbuf's
 * RSS hash), when that ct() computed one: vxlan_encap_burst() takes the UDP source port
 * from it instead of hashing the inner headers again (DATAPATH.md: one flow hash, reused).
 * Every ct() result of a frame is stamped (vs_ct_execute(), run_ct_first()), so the
 * frames of a flow all carry the same hash: one source port a flow and direction.  A
 * recirculated ct() that its first one decided has no hash and keeps the first one's.
 */
static __rte_always_inline void
vs_ct_stamp_hash(struct rte_mbuf *m, const struct ct_result *r)
{
	if (r->hash != 0) {
		m->hash.rss = r->hash;
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	}
}

/* vs_ct_set_key() stores ct_mark .. pad0 as three little-endian words. */
#define VS_CT_KEY_AT__(f) (offsetof(struct pm_key, f) - offsetof(struct pm_key, ct_mark))
_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "vs_ct_set_key() assumes little endian");
_Static_assert(offsetof(struct pm_key, ct_mark) % 8 == 0 && VS_CT_KEY_AT__(ct_zone) == 4 &&
                               VS_CT_KEY_AT__(ct_state) == 6 && VS_CT_KEY_AT__(ct_nw_proto) == 7 &&
                               VS_CT_KEY_AT__(ct_nw_src) == 8 && VS_CT_KEY_AT__(ct_nw_dst) == 12 &&
                               VS_CT_KEY_AT__(ct_tp_src) == 16 && VS_CT_KEY_AT__(ct_tp_dst) == 18 &&
                               VS_CT_KEY_AT__(pad0) == 20 && VS_CT_KEY_AT__(ct_label) == 24,
               "pm_key's ct fields as vs_ct_set_key() stores them");

/* The key word of ct_mark, ct_zone, ct_state and ct_nw_proto (VS_CT_KEY_AT__). */
static inline uint64_t
vs_ct_key_word0__(const struct ct_result *res, uint16_t zone, uint8_t proto)
{
	return (uint64_t)res->mark | (uint64_t)zone << 32 | (uint64_t)res->ct_state << 48 |
	       (uint64_t)proto << 56;
}

/** Sets the ct fields of 'key' from a ct() result (for the recirculated pass).  Inline:
 * once per recirculated packet (LTO left it a call of 31 instructions). */
static __rte_always_inline void
vs_ct_set_key(struct pm_key *key, const struct ct_result *res, uint16_t zone)
{
	const struct ct_key *ck = res->conn != NULL ? ct_conn_key(res->conn) : NULL;

	/*
	 * The usual case, an IPv4 connection with ports: the three words from ct_mark to
	 * pad0 put together in registers and stored whole, and the label as two words.
	 * As many instructions as field by field, but the megaflow compare of the
	 * recirculated pass loads the ct_state word right after: from one store of the
	 * same width it is forwarded, from four narrower ones it waits until they retire
	 * (as ct_key_words_of() in lib/ct/ct_priv.h says of its key).
	 */
	if (likely(ck != NULL && ck->af == 4 && ck->proto != IPPROTO_ICMP)) {
		uint64_t w[3];
		uint32_t src, dst;

		memcpy(&src, ck->src, 4);
		memcpy(&dst, ck->dst, 4);
		w[0] = vs_ct_key_word0__(res, zone, ck->proto);
		w[1] = (uint64_t)src | (uint64_t)dst << 32;
		w[2] = (uint64_t)ck->sport | (uint64_t)ck->dport << 16; /* pad0 stays 0 */
		memcpy(&key->ct_mark, w, sizeof(w));
		memcpy(key->ct_label, res->label, sizeof(key->ct_label));
		return;
	}
	key->ct_state = res->ct_state;
	key->ct_zone = zone;
	key->ct_mark = res->mark;
	memcpy(key->ct_label, res->label, sizeof(key->ct_label));
	key->ct_nw_src = 0;
	key->ct_nw_dst = 0;
	key->ct_nw_proto = 0;
	key->ct_tp_src = 0;
	key->ct_tp_dst = 0;
	if (ck != NULL) {
		/* The original direction's tuple, as OVS's ct_nw_src...  The connection has the
		 * packet's address family: an IPv4 key's ct_ipv6_* stay zero (the parser's). */
		const struct ct_key *k = ck;

		if (k->af == 4) {
			memcpy(&key->ct_nw_src, k->src, 4);
			memcpy(&key->ct_nw_dst, k->dst, 4);
		} else {
			memcpy(key->ct_ipv6_src, k->src, 16);
			memcpy(key->ct_ipv6_dst, k->dst, 16);
		}
		key->ct_nw_proto = k->proto;
		if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
			/* ICMP: type and code, in tp_src/tp_dst's layout. */
			key->ct_tp_src = rte_cpu_to_be_16(rte_be_to_cpu_16(k->dport) >> 8);
			key->ct_tp_dst = rte_cpu_to_be_16(rte_be_to_cpu_16(k->dport) & 0xff);
		} else {
			key->ct_tp_src = k->sport;
			key->ct_tp_dst = k->dport;
		}
		return;
	}
	/* +new, not committed: the tuple the connection would have, the packet's own (as
	 * OVS, which writes the lookup key then); ICMP's type and code already sit in
	 * tp_src/tp_dst.  Otherwise none (an earlier ct() may have set one). */
	if (key->dl_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		if ((res->ct_state & (PM_CS_TRACKED | PM_CS_INVALID)) != PM_CS_TRACKED) {
			memset(key->ct_ipv6_src, 0, sizeof(key->ct_ipv6_src));
			memset(key->ct_ipv6_dst, 0, sizeof(key->ct_ipv6_dst));
			return;
		}
		memcpy(key->ct_ipv6_src, key->ipv6_src, sizeof(key->ct_ipv6_src));
		memcpy(key->ct_ipv6_dst, key->ipv6_dst, sizeof(key->ct_ipv6_dst));
	} else if ((res->ct_state & (PM_CS_TRACKED | PM_CS_INVALID)) == PM_CS_TRACKED &&
	           key->dl_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		key->ct_nw_src = key->nw_src;
		key->ct_nw_dst = key->nw_dst;
	} else {
		return;
	}
	key->ct_nw_proto = key->nw_proto;
	key->ct_tp_src = key->tp_src;
	key->ct_tp_dst = key->tp_dst;
}

/**
 * key->recirc_id = 'id', as a store of the key's whole first word (recirc_id, in_port,
 * dl_type): a megaflow compare reads that word right after, and a word load that spans
 * a narrower store still in flight waits for it to reach the cache instead of taking
 * its data from the store (store-to-load forwarding fails).
 */
_Static_assert(offsetof(struct pm_key, recirc_id) == 0 && RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN,
               "vs_key_set_recirc(): recirc_id is the low half of word 0");

static inline void
vs_key_set_recirc(struct pm_key *key, uint32_t id)
{
	pm_word_t *w = (pm_word_t *)key;

	*w = (*w & ~(pm_word_t)UINT32_MAX) | id;
}

/** The pm_key word vs_ct_set_key_first() sets (ct_mark, ct_zone, ct_state, ct_nw_proto). */
#define VS_CT_KEY_WORD0 (offsetof(struct pm_key, ct_mark) / sizeof(uint64_t))

/**
 * Whether key word 'w' is one vs_ct_set_key() sets that vs_ct_set_key_first() leaves
 * alone: the original tuple's addresses and ports, the label, the IPv6 addresses.
 */
_Static_assert(VS_CT_KEY_AT__(ct_label) + 16 == 5 * sizeof(uint64_t) &&
                               offsetof(struct pm_key, ct_ipv6_src) % sizeof(uint64_t) == 0 &&
                               offsetof(struct pm_key, ct_ipv6_dst) + 16 ==
                                               offsetof(struct pm_key, ct_ipv6_src) +
                                                               4 * sizeof(uint64_t),
               "the ct words vs_ct_key_word_rest() names");

static inline bool
vs_ct_key_word_rest(unsigned int w)
{
	const unsigned int v6 = offsetof(struct pm_key, ct_ipv6_src) / sizeof(uint64_t);

	return (w > VS_CT_KEY_WORD0 && w <= VS_CT_KEY_WORD0 + 4) || (w >= v6 && w < v6 + 4);
}

/**
 * The first word of vs_ct_set_key(), alone: for a pass whose megaflow compare reads no
 * other ct word (vs_ct_key_word_rest()) and which reads the key for nothing else.  About
 * 15 instructions a packet less than the whole.
 */
static __rte_always_inline void
vs_ct_set_key_first(struct pm_key *key, const struct ct_result *res, uint16_t zone)
{
	uint64_t w;

	if (unlikely(res->conn == NULL)) {
		/* No connection: ct_nw_proto is the packet's, or 0 (vs_ct_set_key()). */
		vs_ct_set_key(key, res, zone);
		return;
	}
	w = vs_ct_key_word0__(res, zone, ct_conn_key(res->conn)->proto);
	memcpy(&key->ct_mark, &w, sizeof(w));
}

/** What vs_ct_batch_len() may assume about the first pass of a burst. */
struct vs_ct_group_hint {
	const struct vs_dp_flow *flow; /**< the first-pass last-hit megaflow */
	uint16_t zone; /**< its list: ct(zone=Z, table=T), then no ct(), resubmit, goto_table */
};

/** How the packets of a group depend on each other (vs_ct_batch_len()). */
struct vs_ct_deps {
	bool any;      /**< some prev[] is set */
	uint64_t safe; /**< ct_states (bit s: state s) after which the rules run no later ct() */
	uint64_t safe_if_conn;      /**< ct_states after which a later ct() can only be a commit
	                             *   without exec: a no-op on a connection that exists */
	uint8_t prev[VS_BURST_MAX]; /**< the group's previous packet of the same connection,
	                             *   or VS_CT_NO_DEP */
	/** vs_ct_group_rest(): the group was not cut beforehand; it runs only when its
	 *  first pass is all the hint's megaflow, and its one ct() call cuts it where a
	 *  packet must wait (vs_ct_batch.find_waits).  'any' is false. */
	bool cut_by_ct;
};

/**
 * Length of the longest prefix of keys[0, n) that may run pass by pass
 * together, as far as can be told before conntrack runs: packets of
 * different connections (both directions and ICMP errors considered; hash
 * collisions only shorten it) always may; several packets of one connection
 * only when 'hint' (NULL: never) decides the first pass of each of them and
 * the rules run no later ct() for an established connection.  Such a packet
 * gets in deps->prev the one before it, and its first-pass ct() must wait
 * until that one's state is known to be in deps->safe (see the comment above
 * the definition for the argument).  At least 1 when n > 0.  Sets in
 * '*covered' (bit i: keys[i]) some of the packets the hint's megaflow was
 * found to match.
 */
uint16_t vs_ct_batch_len(struct vs_pmd *pmd, const struct vs_ruleset *rs,
                         const struct vs_ct_group_hint *hint, const struct pm_key *keys, uint16_t n,
                         uint64_t *covered, struct vs_ct_deps *deps);

/**
 * The rest of a burst as one group that its first pass's ct() call cuts (see struct
 * vs_ct_deps.cut_by_ct), instead of vs_ct_batch_len(): for a first pass that is all
 * the 'hint' megaflow, where each packet makes one batched ct() call.  Fills 'deps'.
 */
void vs_ct_group_rest(struct vs_pmd *pmd, const struct vs_ruleset *rs, struct vs_ct_deps *deps);

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
