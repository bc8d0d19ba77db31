/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PMD's datapath flows (EMC + megaflow classifier + cached action
 * lists), see vs_dpif.c.  Everything here runs on the owning PMD except
 * vs_dpif_request(), which the control thread calls.
 */
#ifndef VS_DPIF_H
#define VS_DPIF_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "fc.h"
#include "fc_cache.h"
#include "vs_common.h"
#include "vs_flow.h"
#include "vs_reply.h"

struct ct_conn;
struct vs_pmd;
struct vs_switch;
struct vs_ruleset;
struct vs_rule;

/** Upcalls a PMD may make back to back before the rate limit applies. */
#define VS_UPCALL_BURST 1024

/** Megaflows per PMD at most (the limit is settable up to this). */
#define VS_MF_MAX (1u << 20)

/** Nonzero mask words a megaflow lists for its sparse compare. */
#define VS_DP_NZ_MAX 12

/** A megaflow's cached decision (the 'data' of a struct fc_mf). */
struct vs_dp_flow {
	struct fc_mf *mf;
	uint32_t idx; /**< position in vs_dpif.flows */
	uint64_t n_packets;
	uint64_t n_bytes;
	uint64_t created_ms;
	uint64_t used_ms;
	uint16_t n_rules;
	uint16_t n_actions;
	int reason;               /**< enum vs_drop when the list outputs nothing */
	uint16_t simple_output;   /**< the list is just "output:P": P, else 0 */
	bool ct_first;            /**< the list starts with ct(): conntrack batched per pass */
	uint16_t ct_output;       /**< the list is "ct(no table=),output:P": P, else 0 */
	bool meta_only;           /**< decided before parsing: see vs_dpif_unparsed() */
	uint32_t n_words;         /**< key words the mask touches */
	uint8_t n_nz;             /**< nonzero mask words, or > VS_DP_NZ_MAX: use n_words */
	uint8_t nz[VS_DP_NZ_MAX]; /**< their indices, for vs_dp_flow_match() */
	struct pm_key key;        /**< masked key, for the last-hit check */
	struct pm_key mask;
	const struct vs_rule *rules[16]; /**< rules this flow stands for */
	struct vs_action actions[];
};

/** Whether 'key' matches megaflow 'f' (its masked key), comparing only the mask's words. */
static inline bool
vs_dp_flow_match(const struct vs_dp_flow *f, const struct pm_key *key)
{
	if (f->n_nz > VS_DP_NZ_MAX)
		return pm_key_match_masked(key, &f->key, &f->mask, f->n_words);
	return pm_key_match_sparse(key, &f->key, &f->mask, f->nz, f->n_nz);
}

/** Mask words that struct vs_dp_matcher keeps in locals. */
#define VS_DP_MATCH_WORDS 4

/**
 * vs_dp_flow_match() of one megaflow against many keys (a pass's last-hit
 * check), with the megaflow's words read once: its indices, masked values and
 * masks are locals of the caller's loop, and a key costs four loads, xors, ands
 * and ors (two of each for a megaflow of two words).  Through the flow, the
 * compiler reloaded all three arrays and ran the loop for every key: on ct
 * udp_10k (two passes, each a megaflow of two words) this takes 46
 * instructions a packet fewer.  A megaflow with more nonzero words goes
 * through vs_dp_flow_match().
 */
struct vs_dp_matcher {
	const struct vs_dp_flow *flow;
	bool wide; /**< more than VS_DP_MATCH_WORDS words: through vs_dp_flow_match() */
	bool two;  /**< two words or fewer: idx[2, 4) are not read */
	uint8_t idx[VS_DP_MATCH_WORDS];
	uint64_t val[VS_DP_MATCH_WORDS];
	uint64_t mask[VS_DP_MATCH_WORDS]; /**< 0 past the flow's words: they always match */
};

static inline void
vs_dp_matcher_init(struct vs_dp_matcher *m, const struct vs_dp_flow *f)
{
	const pm_word_t *k = (const pm_word_t *)&f->key;
	const pm_word_t *mk = (const pm_word_t *)&f->mask;
	unsigned int i;

	m->flow = f;
	m->wide = f->n_nz > VS_DP_MATCH_WORDS;
	m->two = f->n_nz <= 2;
	for (i = 0; i < VS_DP_MATCH_WORDS; i++) {
		bool used = !m->wide && i < f->n_nz;

		m->idx[i] = used ? f->nz[i] : 0;
		m->val[i] = used ? k[f->nz[i]] : 0;
		m->mask[i] = used ? mk[f->nz[i]] : 0;
	}
}

/** Whether 'key' matches the megaflow of vs_dp_matcher_init(): vs_dp_flow_match(). */
static inline bool
vs_dp_matcher_match(const struct vs_dp_matcher *m, const struct pm_key *key)
{
	const pm_word_t *k = (const pm_word_t *)key;
	uint64_t d;

	if (unlikely(m->wide))
		return vs_dp_flow_match(m->flow, key);
	_Static_assert(VS_DP_MATCH_WORDS == 4, "written out for four words");
	d = ((k[m->idx[0]] ^ m->val[0]) & m->mask[0]) | ((k[m->idx[1]] ^ m->val[1]) & m->mask[1]);
	if (!m->two)
		d |= ((k[m->idx[2]] ^ m->val[2]) & m->mask[2]) |
		     ((k[m->idx[3]] ^ m->val[3]) & m->mask[3]);
	return d == 0;
}

enum vs_dpif_req_type {
	VS_DPIF_REQ_FLUSH,
	VS_DPIF_REQ_DUMP,
};

/** A control request to one PMD; lives on the control thread's stack. */
struct vs_dpif_req {
	enum vs_dpif_req_type type;
	struct vs_reply *reply;
	bool first; /**< JSON: no comma before the first element */
};

/** One PMD's datapath flows. */
struct vs_dpif {
	struct fc_alloc alloc;
	struct fc_cls *cls;
	struct fc_emc *emc;        /**< NULL when the EMC is off */
	struct vs_dp_flow **flows; /**< every megaflow, compact */
	uint32_t n_flows;
	uint32_t cursor;              /**< expiry/eviction walk position in 'flows' */
	uint32_t n_evict;             /**< evictions owed at the end of the burst */
	struct vs_dp_flow *last;      /**< megaflow of the last classifier hit */
	struct vs_dp_flow *last_rc;   /**< the same for recirculated passes (ct(table=)) */
	struct vs_dp_flow *last_prev; /**< first-pass 'last' before it last changed */
	uint64_t last_rank_ms;
	uint64_t last_hk_ms; /**< housekeeping runs once per millisecond */
	uint32_t upcall_tokens;
	uint64_t upcall_tsc;
	/** The lookup hints of the recirculated pass being run (its queue's conns), or NULL. */
	struct ct_conn *const *pass_conns;
	struct vs_dpif_req *req; /**< control writes (release), PMD clears (release) */
	/** Groups are cut by their ct() call, not by vs_ct_batch_len() (vs_dpif_process()). */
	bool ct_cut;
	bool first_uniform; /**< the last first pass was all one megaflow starting with ct() */
};

int vs_dpif_init(struct vs_pmd *pmd);
/** Classifies and executes a parsed burst (pmd->keys); consumes the packets. */
void vs_dpif_process(struct vs_pmd *pmd, const struct vs_ruleset *rs, struct rte_mbuf **pkts,
                     uint16_t n);
/** Removes every megaflow and EMC entry. */
bool vs_dpif_unparsed(struct vs_pmd *pmd, uint16_t in_port, struct rte_mbuf **pkts, uint16_t n,
                      uint64_t bytes);
void vs_dpif_flush(struct vs_pmd *pmd);
/** Evicts 'n' megaflows (approximately least recently used). */
void vs_dpif_evict(struct vs_pmd *pmd, unsigned int n);
/** Expiry and subtable ranking, on a fixed budget per call. */
void vs_dpif_housekeeping(struct vs_pmd *pmd);
/** Serves a pending control request, if any. */
void vs_dpif_serve(struct vs_pmd *pmd);
/** Control thread: runs a request on every PMD in turn.  @return 0 or -ETIMEDOUT. */
int vs_dpif_request(struct vs_switch *sw, enum vs_dpif_req_type type, struct vs_reply *r);

#endif /* VS_DPIF_H */
