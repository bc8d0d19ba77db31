/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OpenFlow-style rule tables.
 *
 * Writers and readers:
 *  - One writer, the control thread, adds, modifies and deletes rules.  Each
 *    change builds a new immutable 'struct vs_ruleset' (per table, the rules
 *    sorted by descending priority), publishes it with a release store, waits
 *    for a grace period through the 'sync' hook (rte_rcu_qsbr_synchronize()
 *    in the daemon), and only then frees the old snapshot and removed rules.
 *  - Readers (PMD threads) load the snapshot once per burst with
 *    vs_ofproto_snapshot() (acquire, pairs with the release in publish__())
 *    and use it without locks until their next quiescent state.
 *  - Rule counters are per PMD slot (single writer each); the control
 *    thread sums them with relaxed loads.
 *
 * Nothing here needs EAL: memory comes from malloc, and the grace period
 * from the caller's hook, so unit tests run it directly.
 */
#ifndef VS_OFPROTO_H
#define VS_OFPROTO_H

#include <stdbool.h>
#include <stdint.h>

#include "pktmeta.h"
#include "vs_common.h"
#include "vs_flow.h"

/** Per-PMD counters of one rule.  Written only by PMD 'i' in slot i. */
struct vs_rule_stats {
	uint64_t n_packets;
	uint64_t n_bytes;
	uint64_t used_ms; /**< vs_ofproto clock of the last hit */
};

struct vs_rule {
	/* Immutable after insertion. */
	struct vs_flow_spec spec;
	uint64_t created_ms;  /**< for "duration=" and hard_timeout */
	uint64_t seq;         /**< insertion order: ties of equal priority go to the older */
	uint32_t n_key_words; /**< words of the key that the mask touches (compare bound) */
	/* Written by the PMDs, one slot each. */
	struct vs_rule_stats stats[VS_PMD_MAX];
};

/** Rules of one table, immutable once published. */
struct vs_table {
	uint32_t n_rules;
	struct vs_rule *rules[]; /**< priority descending, then seq ascending */
};

/** One published version of all tables. */
struct vs_ruleset {
	uint64_t version;
	uint32_t n_rules;                           /**< over all tables */
	const struct vs_table *tables[VS_N_TABLES]; /**< NULL when empty */
};

/** Called after publishing a new snapshot; returns once no reader can hold the old one. */
typedef void vs_sync_fn(void *arg);

struct vs_ofproto;

/** @return NULL on ENOMEM.  'clock_ms' gives the time for durations and timeouts. */
struct vs_ofproto *vs_ofproto_create(vs_sync_fn *sync, void *sync_arg, uint64_t (*clock_ms)(void));
/** Frees everything.  No reader may be active.  Accepts NULL. */
void vs_ofproto_destroy(struct vs_ofproto *ofp);

/**
 * Adds a rule as add-flow does: a rule with the same table, priority and
 * match is replaced (its counters restart).  'spec' is copied.
 * @return 0, or -ENOMEM / -ENOSPC (over the rule limit).
 */
int vs_ofproto_add(struct vs_ofproto *ofp, const struct vs_flow_spec *spec);

/**
 * Deletes as del-flows does.  Non-strict: every rule (in spec's table, or all
 * tables when !spec->has_table) whose match is at least as specific as
 * spec's and agrees with it on spec's fields, and whose cookie matches under
 * cookie_mask.  Strict: the rule with exactly this match and priority.
 * @return the number of rules deleted (>= 0), or -ENOMEM.
 */
int vs_ofproto_del(struct vs_ofproto *ofp, const struct vs_flow_spec *spec, bool strict);

/** Replaces all rules with 'specs' in one publication (config reload); rules equal to an
 * existing one keep their counters.  @return 0 or -ENOMEM (nothing changed). */
int vs_ofproto_replace_all(struct vs_ofproto *ofp, const struct vs_flow_spec *specs, uint32_t n);

/** Removes rules whose idle or hard timeout expired.  @return the number removed. */
int vs_ofproto_expire(struct vs_ofproto *ofp);

/** The current snapshot (acquire; pairs with the release store in publication). */
static inline const struct vs_ruleset *
vs_ofproto_snapshot(const struct vs_ruleset *const *slot)
{
	return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

/** Address of the published snapshot pointer, for vs_ofproto_snapshot(). */
const struct vs_ruleset *const *vs_ofproto_slot(const struct vs_ofproto *ofp);

/** The control thread's current view (same as the published one). */
const struct vs_ruleset *vs_ofproto_current(const struct vs_ofproto *ofp);

/** Sum of a rule's per-PMD counters (relaxed loads). */
void vs_rule_totals(const struct vs_rule *rule, uint64_t *n_packets, uint64_t *n_bytes,
                    uint64_t *used_ms);

/** Zeroes every rule's counters (control thread). */
void vs_ofproto_clear_stats(struct vs_ofproto *ofp);

/**
 * Highest-priority rule of table 'table_id' that matches 'key', or NULL.
 * Lock-free: 'rs' must come from vs_ofproto_snapshot() in this quiescent period.
 */
static inline const struct vs_rule *
vs_ruleset_lookup(const struct vs_ruleset *rs, uint8_t table_id, const struct pm_key *key)
{
	const struct vs_table *t = rs->tables[table_id];
	uint32_t i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < t->n_rules; i++) {
		const struct vs_rule *r = t->rules[i];

		if (pm_key_match_masked(key, &r->spec.key, &r->spec.mask, r->n_key_words))
			return r;
	}
	return NULL;
}

#endif /* VS_OFPROTO_H */
