/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rule tables: copy-on-write snapshots published with RCU.  See vs_ofproto.h
 * for who may call what.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vs_ofproto.h"

/** Most rules over all tables (each costs about 2.5 KB). */
#define VS_OFPROTO_MAX_RULES 1000000

struct vs_ofproto {
	const struct vs_ruleset *published; /**< read by PMDs with acquire */
	vs_sync_fn *sync;
	void *sync_arg;
	uint64_t (*clock_ms)(void);
	uint64_t next_seq;
	uint64_t version;
};

static void
rule_free(struct vs_rule *r)
{
	if (r == NULL)
		return;
	vs_flow_spec_free(&r->spec);
	free(r);
}

/* Number of leading words of the key that 'mask' touches. */
static uint32_t
mask_words(const struct pm_key *mask)
{
	const pm_word_t *m = (const pm_word_t *)mask;
	uint32_t n = PM_KEY_WORDS;

	while (n > 0 && m[n - 1] == 0)
		n--;
	return n;
}

static struct vs_rule *
rule_new(struct vs_ofproto *ofp, const struct vs_flow_spec *spec)
{
	struct vs_rule *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if (vs_flow_spec_copy(&r->spec, spec) != 0) {
		free(r);
		return NULL;
	}
	pm_key_apply_mask(&r->spec.key, &r->spec.key, &r->spec.mask);
	r->created_ms = ofp->clock_ms();
	r->seq = ofp->next_seq++;
	r->n_key_words = mask_words(&r->spec.mask);
	return r;
}

struct vs_ofproto *
vs_ofproto_create(vs_sync_fn *sync, void *sync_arg, uint64_t (*clock_ms)(void))
{
	struct vs_ofproto *ofp = calloc(1, sizeof(*ofp));
	struct vs_ruleset *rs = calloc(1, sizeof(*rs));

	if (ofp == NULL || rs == NULL) {
		free(ofp);
		free(rs);
		return NULL;
	}
	ofp->sync = sync;
	ofp->sync_arg = sync_arg;
	ofp->clock_ms = clock_ms;
	ofp->published = rs;
	return ofp;
}

void
vs_ofproto_destroy(struct vs_ofproto *ofp)
{
	const struct vs_ruleset *rs;
	unsigned int t;
	uint32_t i;

	if (ofp == NULL)
		return;
	rs = ofp->published;
	for (t = 0; t < VS_N_TABLES; t++) {
		const struct vs_table *tb = rs->tables[t];

		if (tb == NULL)
			continue;
		for (i = 0; i < tb->n_rules; i++)
			rule_free(tb->rules[i]);
		free((void *)tb);
	}
	free((void *)rs);
	free(ofp);
}

const struct vs_ruleset *const *
vs_ofproto_slot(const struct vs_ofproto *ofp)
{
	return &ofp->published;
}

const struct vs_ruleset *
vs_ofproto_current(const struct vs_ofproto *ofp)
{
	return ofp->published;
}

/* True when 'a' sorts before 'b' in a table. */
static bool
rule_before(const struct vs_rule *a, const struct vs_rule *b)
{
	if (a->spec.priority != b->spec.priority)
		return a->spec.priority > b->spec.priority;
	return a->seq < b->seq;
}

static int
rule_cmp(const void *pa, const void *pb)
{
	const struct vs_rule *a = *(const struct vs_rule *const *)pa;
	const struct vs_rule *b = *(const struct vs_rule *const *)pb;

	return rule_before(a, b) ? -1 : rule_before(b, a) ? 1 : 0;
}

static struct vs_table *
table_alloc(uint32_t n)
{
	struct vs_table *t = malloc(sizeof(*t) + (size_t)n * sizeof(t->rules[0]));

	if (t != NULL)
		t->n_rules = n;
	return t;
}

/*
 * Publishes 'next' (whose tables may share pointers with the current one),
 * waits for the grace period, then frees the old tables that 'next' does not
 * reuse and the rules in 'dead'.
 */
static void
publish__(struct vs_ofproto *ofp, struct vs_ruleset *next, struct vs_rule **dead, uint32_t n_dead)
{
	const struct vs_ruleset *old = ofp->published;
	unsigned int t;
	uint32_t i;

	next->version = ++ofp->version;
	next->n_rules = 0;
	for (t = 0; t < VS_N_TABLES; t++)
		if (next->tables[t] != NULL)
			next->n_rules += next->tables[t]->n_rules;
	/* Release: the tables and rules 'next' points to are fully written
	 * before a PMD can see them; pairs with the acquire load in
	 * vs_ofproto_snapshot(). */
	__atomic_store_n(&ofp->published, next, __ATOMIC_RELEASE);
	if (ofp->sync != NULL)
		ofp->sync(ofp->sync_arg);
	for (t = 0; t < VS_N_TABLES; t++)
		if (old->tables[t] != next->tables[t])
			free((void *)old->tables[t]);
	free((void *)old);
	for (i = 0; i < n_dead; i++)
		rule_free(dead[i]);
}

static struct vs_ruleset *
ruleset_clone(const struct vs_ruleset *rs)
{
	struct vs_ruleset *n = malloc(sizeof(*n));

	if (n != NULL)
		memcpy(n, rs, sizeof(*n));
	return n;
}

static bool
same_match(const struct vs_flow_spec *a, const struct vs_flow_spec *b)
{
	return a->priority == b->priority && memcmp(&a->mask, &b->mask, sizeof(a->mask)) == 0 &&
	       memcmp(&a->key, &b->key, sizeof(a->key)) == 0;
}

int
vs_ofproto_add(struct vs_ofproto *ofp, const struct vs_flow_spec *spec)
{
	const struct vs_ruleset *cur = ofp->published;
	const struct vs_table *old = cur->tables[spec->table_id];
	uint32_t n_old = old != NULL ? old->n_rules : 0;
	struct vs_rule *rule, *dead = NULL;
	struct vs_ruleset *next;
	struct vs_table *t;
	uint32_t i, j;

	if (cur->n_rules >= VS_OFPROTO_MAX_RULES)
		return -ENOSPC;
	rule = rule_new(ofp, spec);
	if (rule == NULL)
		return -ENOMEM;
	for (i = 0; i < n_old; i++)
		if (same_match(&old->rules[i]->spec, &rule->spec))
			dead = old->rules[i];
	t = table_alloc(n_old + (dead == NULL));
	next = ruleset_clone(cur);
	if (t == NULL || next == NULL) {
		free(t);
		free(next);
		rule_free(rule);
		return -ENOMEM;
	}
	if (dead != NULL)
		rule->seq = dead->seq; /* a modification keeps the rule's place */
	for (i = 0, j = 0; i < n_old; i++) {
		if (old->rules[i] == dead)
			continue;
		t->rules[j++] = old->rules[i];
	}
	/* Insert in order. */
	for (i = j; i > 0 && rule_before(rule, t->rules[i - 1]); i--)
		t->rules[i] = t->rules[i - 1];
	t->rules[i] = rule;
	next->tables[spec->table_id] = t;
	publish__(ofp, next, &dead, dead != NULL);
	return 0;
}

/* True when rule 'r' is selected by del-flows pattern 's'. */
static bool
del_selects(const struct vs_flow_spec *s, const struct vs_rule *r, bool strict)
{
	const struct vs_flow_spec *rs = &r->spec;
	struct pm_key masked;

	if (((rs->cookie ^ s->cookie) & s->cookie_mask) != 0)
		return false;
	if (strict)
		return same_match(rs, s);
	/* Non-strict: the rule's mask covers the pattern's, and on the pattern's
	 * fields the rule's values agree. */
	if (!vs_mask_subset(&s->mask, &rs->mask))
		return false;
	pm_key_apply_mask(&masked, &rs->key, &s->mask);
	return memcmp(&masked, &s->key, sizeof(masked)) == 0;
}

int
vs_ofproto_del(struct vs_ofproto *ofp, const struct vs_flow_spec *spec, bool strict)
{
	const struct vs_ruleset *cur = ofp->published;
	struct vs_rule **dead = NULL;
	struct vs_table *new_tables[VS_N_TABLES] = { NULL };
	struct vs_ruleset *next;
	uint32_t n_dead = 0, i, j;
	unsigned int t;
	bool alloc_failed = false;

	dead = malloc(sizeof(*dead) * (cur->n_rules + 1));
	next = ruleset_clone(cur);
	if (dead == NULL || next == NULL) {
		free(dead);
		free(next);
		return -ENOMEM;
	}
	for (t = 0; t < VS_N_TABLES; t++) {
		const struct vs_table *old = cur->tables[t];
		uint32_t n_sel = 0;

		if (old == NULL || (spec->has_table && t != spec->table_id))
			continue;
		for (i = 0; i < old->n_rules; i++)
			n_sel += del_selects(spec, old->rules[i], strict);
		if (n_sel == 0)
			continue;
		if (n_sel == old->n_rules) {
			next->tables[t] = NULL;
		} else {
			new_tables[t] = table_alloc(old->n_rules - n_sel);
			if (new_tables[t] == NULL) {
				alloc_failed = true;
				break;
			}
			next->tables[t] = new_tables[t];
		}
		for (i = 0, j = 0; i < old->n_rules; i++) {
			if (del_selects(spec, old->rules[i], strict))
				dead[n_dead++] = old->rules[i];
			else
				new_tables[t]->rules[j++] = old->rules[i];
		}
	}
	if (alloc_failed || n_dead == 0) {
		for (t = 0; t < VS_N_TABLES; t++)
			free(new_tables[t]);
		free(next);
		free(dead);
		return alloc_failed ? -ENOMEM : 0;
	}
	publish__(ofp, next, dead, n_dead);
	free(dead);
	return (int)n_dead;
}

static bool
spec_equal(const struct vs_flow_spec *a, const struct vs_flow_spec *b)
{
	char fa[4096], fb[4096];

	if (a->table_id != b->table_id || !same_match(a, b) || a->cookie != b->cookie ||
	    a->idle_timeout != b->idle_timeout || a->hard_timeout != b->hard_timeout ||
	    a->n_actions != b->n_actions)
		return false;
	/* Actions may own memory (ct arguments): compare their printed form. */
	vs_flow_format_actions(a->actions, a->n_actions, NULL, fa, sizeof(fa));
	vs_flow_format_actions(b->actions, b->n_actions, NULL, fb, sizeof(fb));
	return strcmp(fa, fb) == 0;
}

static uint32_t
spec_hash(const struct vs_flow_spec *s)
{
	const pm_word_t *k = (const pm_word_t *)&s->key;
	uint64_t h = (uint64_t)s->table_id << 16 | s->priority;
	unsigned int i;

	for (i = 0; i < PM_KEY_WORDS; i++)
		h = (h ^ k[i]) * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

/*
 * Finds, for each spec, an old rule equal to it (so that counters survive a
 * config reload), through a chained hash over the old rules.
 */
static int
match_old_rules(const struct vs_ruleset *cur, const struct vs_flow_spec *specs, uint32_t n,
                struct vs_rule **rules)
{
	uint32_t n_old = cur->n_rules, n_buckets = 1, i, j, k = 0;
	struct vs_rule **old;
	uint32_t *head, *next;
	unsigned int t;

	while (n_buckets < 2 * n_old + 1)
		n_buckets <<= 1;
	old = malloc(sizeof(*old) * (n_old + 1));
	head = malloc(sizeof(*head) * n_buckets);
	next = malloc(sizeof(*next) * (n_old + 1));
	if (old == NULL || head == NULL || next == NULL) {
		free(old);
		free(head);
		free(next);
		return -ENOMEM;
	}
	memset(head, 0xff, sizeof(*head) * n_buckets);
	for (t = 0; t < VS_N_TABLES; t++)
		for (j = 0; cur->tables[t] != NULL && j < cur->tables[t]->n_rules; j++) {
			uint32_t b = spec_hash(&cur->tables[t]->rules[j]->spec) & (n_buckets - 1);

			old[k] = cur->tables[t]->rules[j];
			next[k] = head[b];
			head[b] = k++;
		}
	for (i = 0; i < n; i++) {
		uint32_t *link = &head[spec_hash(&specs[i]) & (n_buckets - 1)];

		for (; *link != UINT32_MAX; link = &next[*link]) {
			if (spec_equal(&old[*link]->spec, &specs[i])) {
				rules[i] = old[*link];
				*link = next[*link]; /* each old rule is reused once */
				break;
			}
		}
	}
	free(old);
	free(head);
	free(next);
	return 0;
}

static int
ptr_cmp(const void *a, const void *b)
{
	uintptr_t pa = (uintptr_t) * (void *const *)a, pb = (uintptr_t) * (void *const *)b;

	return pa < pb ? -1 : pa > pb;
}

int
vs_ofproto_replace_all(struct vs_ofproto *ofp, const struct vs_flow_spec *specs, uint32_t n)
{
	const struct vs_ruleset *cur = ofp->published;
	uint32_t counts[VS_N_TABLES] = { 0 }, fill[VS_N_TABLES] = { 0 };
	struct vs_rule **rules = NULL, **dead = NULL;
	struct vs_ruleset *next = calloc(1, sizeof(*next));
	uint32_t i, j, n_dead = 0;
	bool *is_new = NULL;
	unsigned int t;

	if (n > VS_OFPROTO_MAX_RULES) {
		free(next);
		return -ENOSPC;
	}
	rules = calloc(n + 1, sizeof(*rules));
	is_new = calloc(n + 1, sizeof(*is_new));
	dead = calloc(cur->n_rules + 1, sizeof(*dead));
	if (next == NULL || rules == NULL || dead == NULL || is_new == NULL ||
	    match_old_rules(cur, specs, n, rules) != 0)
		goto err_free;
	for (i = 0; i < n; i++) {
		if (rules[i] == NULL) {
			rules[i] = rule_new(ofp, &specs[i]);
			if (rules[i] == NULL)
				goto err_rules;
			is_new[i] = true;
		}
		counts[specs[i].table_id]++;
	}
	for (t = 0; t < VS_N_TABLES; t++) {
		if (counts[t] == 0)
			continue;
		next->tables[t] = table_alloc(counts[t]);
		if (next->tables[t] == NULL)
			goto err_tables;
	}
	for (i = 0; i < n; i++) {
		t = rules[i]->spec.table_id;
		((struct vs_table *)next->tables[t])->rules[fill[t]++] = rules[i];
	}
	for (t = 0; t < VS_N_TABLES; t++)
		if (next->tables[t] != NULL)
			qsort(((struct vs_table *)next->tables[t])->rules, counts[t],
			      sizeof(struct vs_rule *), rule_cmp);
	/* Old rules not carried over die.  'rules' sorted by address lets each
	 * old rule be looked up in O(log n). */
	{
		struct vs_rule **sorted = malloc(sizeof(*sorted) * (n + 1));

		if (sorted == NULL)
			goto err_tables;
		memcpy(sorted, rules, sizeof(*sorted) * n);
		qsort(sorted, n, sizeof(*sorted), ptr_cmp);
		for (t = 0; t < VS_N_TABLES; t++)
			for (j = 0; cur->tables[t] != NULL && j < cur->tables[t]->n_rules; j++) {
				struct vs_rule *o = cur->tables[t]->rules[j];

				if (bsearch(&o, sorted, n, sizeof(*sorted), ptr_cmp) == NULL)
					dead[n_dead++] = o;
			}
		free(sorted);
	}
	publish__(ofp, next, dead, n_dead);
	free(rules);
	free(is_new);
	free(dead);
	return 0;

err_tables:
	for (t = 0; t < VS_N_TABLES; t++)
		free((void *)next->tables[t]);
err_rules:
	for (i = 0; i < n; i++)
		if (is_new[i])
			rule_free(rules[i]);
err_free:
	free(next);
	free(rules);
	free(is_new);
	free(dead);
	return -ENOMEM;
}

void
vs_rule_totals(const struct vs_rule *rule, uint64_t *n_packets, uint64_t *n_bytes,
               uint64_t *used_ms)
{
	uint64_t p = 0, b = 0, u = 0;
	unsigned int i;

	for (i = 0; i < VS_PMD_MAX; i++) {
		uint64_t used = __atomic_load_n(&rule->stats[i].used_ms, __ATOMIC_RELAXED);

		p += __atomic_load_n(&rule->stats[i].n_packets, __ATOMIC_RELAXED);
		b += __atomic_load_n(&rule->stats[i].n_bytes, __ATOMIC_RELAXED);
		if (used > u)
			u = used;
	}
	if (n_packets != NULL)
		*n_packets = p;
	if (n_bytes != NULL)
		*n_bytes = b;
	if (used_ms != NULL)
		*used_ms = u;
}

void
vs_ofproto_clear_stats(struct vs_ofproto *ofp)
{
	const struct vs_ruleset *rs = ofp->published;
	unsigned int t;
	uint32_t i;

	for (t = 0; t < VS_N_TABLES; t++) {
		const struct vs_table *tb = rs->tables[t];

		for (i = 0; tb != NULL && i < tb->n_rules; i++)
			memset(tb->rules[i]->stats, 0, sizeof(tb->rules[i]->stats));
	}
}

int
vs_ofproto_expire(struct vs_ofproto *ofp)
{
	const struct vs_ruleset *rs = ofp->published;
	uint64_t now = ofp->clock_ms();
	struct vs_flow_spec del;
	int n_expired = 0;
	unsigned int t;
	uint32_t i;

	for (t = 0; t < VS_N_TABLES; t++) {
		const struct vs_table *tb = rs->tables[t];

		for (i = 0; tb != NULL && i < tb->n_rules; i++) {
			const struct vs_rule *r = tb->rules[i];
			uint64_t used;
			bool expired;

			if (r->spec.idle_timeout == 0 && r->spec.hard_timeout == 0)
				continue;
			vs_rule_totals(r, NULL, NULL, &used);
			if (used < r->created_ms)
				used = r->created_ms;
			expired = (r->spec.hard_timeout != 0 &&
			           now >= r->created_ms + r->spec.hard_timeout * 1000ull) ||
			          (r->spec.idle_timeout != 0 &&
			           now >= used + r->spec.idle_timeout * 1000ull);
			if (!expired)
				continue;
			memset(&del, 0, sizeof(del));
			del.table_id = (uint8_t)t;
			del.has_table = true;
			del.priority = r->spec.priority;
			del.key = r->spec.key;
			del.mask = r->spec.mask;
			if (vs_ofproto_del(ofp, &del, true) > 0)
				n_expired++;
			/* The snapshot changed: go on from the new one. */
			rs = ofp->published;
			tb = rs->tables[t];
			i = (uint32_t)-1;
		}
	}
	return n_expired;
}
