/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the flow caches (lib/flowcache fc_cls.c, fc_emc.c), no EAL.
 *
 * The classifier and the EMC are checked against a reference: a linear
 * scan over the (key, mask) rules inserted and not removed.  Rules are
 * random over random masks (all matching in_port exactly, as datapath
 * megaflows do) and inserted only when they overlap no live rule, so every
 * packet matches at most one rule and the expected megaflow is exact; one
 * test drops that and accepts any matching rule.  Packets are drawn to hit a
 * rule, to miss one by one bit, or at random, and looked up in bursts of 1,
 * 32 and 64 with random keys_map, through removals and re-inserts, with the
 * EMC off and on (insertion probability 1 and 1 in N).  Memory goes through
 * a counting allocator, which also checks that megaflows are freed exactly
 * when their last EMC reference goes.
 *
 * FC_SEED=<n> replays a seed.  FC_BENCH=1 also runs a micro-benchmark
 * (cycles per lookup, rte_rdtsc) after the tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>

#include "fc.h"
#include "fc_cache.h"

#define N_MASKS    12
#define N_IN_PORTS 16

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

/* xorshift64* (Vigna): reproducible from FC_SEED. */
static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t
rnd_below(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) % n);
}

/* ---- Counting allocator ---- */

struct cnt_alloc {
	long n_live;       /* allocations not yet freed */
	long n_allocs;     /* allocations ever */
	long fail_after;   /* fail when this many more succeeded; < 0: never */
	const void *watch; /* pointer whose free is recorded */
	bool watch_freed;  /* 'watch' was freed */
};

static void *
cnt_zalloc(size_t size, void *arg)
{
	struct cnt_alloc *a = arg;
	void *p;

	if (a->fail_after == 0)
		return NULL;
	if (a->fail_after > 0)
		a->fail_after--;
	p = aligned_alloc(64, RTE_ALIGN_CEIL(size, 64));
	if (p == NULL)
		return NULL;
	memset(p, 0, size);
	a->n_live++;
	a->n_allocs++;
	return p;
}

static void
cnt_free(void *p, void *arg)
{
	struct cnt_alloc *a = arg;

	assert_non_null(p);
	if (p == a->watch)
		a->watch_freed = true;
	a->n_live--;
	free(p);
}

static struct fc_alloc
cnt_alloc_hook(struct cnt_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->fail_after = -1;
	return (struct fc_alloc){ .zalloc = cnt_zalloc, .free = cnt_free, .arg = a };
}

static struct fc_emc *
emc_new(uint32_t n_entries)
{
	size_t size = fc_emc_memsize(n_entries);
	void *mem;
	struct fc_emc *emc;

	assert_true(size > 0);
	mem = aligned_alloc(64, RTE_ALIGN_CEIL(size, 64));
	assert_non_null(mem);
	emc = fc_emc_init(mem, n_entries);
	assert_ptr_equal(emc, mem);
	return emc;
}

static void
emc_free(struct fc_emc *emc)
{
	fc_emc_flush(emc);
	free(emc);
}

/* ---- Keys and masks ---- */

static pm_word_t *
kw(struct pm_key *k)
{
	return (pm_word_t *)k;
}

static void
key_random(struct pm_key *k)
{
	unsigned int w;

	for (w = 0; w < PM_KEY_WORDS; w++)
		kw(k)[w] = rnd();
	k->in_port = (uint16_t)rnd_below(N_IN_PORTS);
}

static void
key_and(struct pm_key *dst, const struct pm_key *a, const struct pm_key *mask)
{
	pm_key_apply_mask(dst, a, mask);
}

/* dst = (base & ~mask) | (rule & mask) */
static void
key_merge(struct pm_key *dst, const struct pm_key *base, const struct pm_key *rule,
          const struct pm_key *mask)
{
	unsigned int w;

	for (w = 0; w < PM_KEY_WORDS; w++)
		kw(dst)[w] = (((const pm_word_t *)base)[w] & ~((const pm_word_t *)mask)[w]) |
		             (((const pm_word_t *)rule)[w] & ((const pm_word_t *)mask)[w]);
}

/* Sets the top 'n_bits' of the 'size'-byte network-order field at 'ofs'. */
static void
mask_prefix(struct pm_key *mask, size_t ofs, size_t size, unsigned int n_bits)
{
	uint8_t *p = (uint8_t *)mask + ofs;
	size_t i;

	for (i = 0; i < size; i++) {
		if (n_bits >= 8) {
			p[i] = 0xff;
			n_bits -= 8;
		} else {
			p[i] = (uint8_t)(0xff00u >> n_bits);
			n_bits = 0;
		}
	}
}

#define FIELD(f)                                                                                   \
	{                                                                                          \
		offsetof(struct pm_key, f), sizeof(((struct pm_key *)NULL)->f)                     \
	}
static const struct {
	size_t ofs;
	size_t size;
} mask_fields[] = {
	FIELD(recirc_id), FIELD(dl_type),  FIELD(metadata), FIELD(regs[0]),  FIELD(regs[5]),
	FIELD(dl_dst),    FIELD(dl_src),   FIELD(vlan_tci), FIELD(nw_proto), FIELD(nw_tos),
	FIELD(nw_src),    FIELD(nw_dst),   FIELD(tp_src),   FIELD(tp_dst),   FIELD(tcp_flags),
	FIELD(nw_frag),   FIELD(tun_id),   FIELD(tun_dst),  FIELD(ct_state), FIELD(ct_zone),
	FIELD(ct_mark),   FIELD(ct_label), FIELD(arp_sha),  FIELD(ipv6_src), FIELD(ipv6_dst),
};

/* A random megaflow mask: in_port exact, 1 to 5 fields with random prefixes, sometimes sparse. */
static void
mask_random(struct pm_key *mask)
{
	unsigned int n = 1 + rnd_below(5);
	unsigned int i;

	memset(mask, 0, sizeof(*mask));
	mask->in_port = 0xffff;
	for (i = 0; i < n; i++) {
		unsigned int f = rnd_below(RTE_DIM(mask_fields));
		size_t size = mask_fields[f].size;
		unsigned int bits = 1 + rnd_below((unsigned int)size * 8);

		mask_prefix(mask, mask_fields[f].ofs, size, bits);
		if (rnd_below(4) == 0) /* sparse: random bits of the field */
			for (size_t b = 0; b < size; b++)
				((uint8_t *)mask)[mask_fields[f].ofs + b] &= (uint8_t)rnd();
	}
}

/* The masks of the differential tests: random ones, the exact (all ones) and a 12-word one. */
static void
masks_make(struct pm_key masks[N_MASKS])
{
	unsigned int m, w;

	for (m = 0; m < N_MASKS - 2; m++)
		mask_random(&masks[m]);
	memset(&masks[N_MASKS - 2], 0xff, sizeof(masks[0]));
	memset(&masks[N_MASKS - 1], 0, sizeof(masks[0]));
	for (w = 0; w < 12; w++)
		kw(&masks[N_MASKS - 1])[w * 2 % PM_KEY_WORDS] = rnd() | 1;
	masks[N_MASKS - 1].in_port = 0xffff;
}

/* ---- Reference ---- */

struct rule {
	struct pm_key key; /* masked */
	struct pm_key mask;
	struct fc_mf *mf;  /* NULL when not inserted */
	unsigned int data; /* what mf->data points to */
};

struct ref {
	struct rule *rules;
	unsigned int n_rules;
	unsigned int cap;
};

static bool
rules_overlap(const struct rule *a, const struct rule *b)
{
	unsigned int w;

	for (w = 0; w < PM_KEY_WORDS; w++) {
		uint64_t both = ((const pm_word_t *)&a->mask)[w] & ((const pm_word_t *)&b->mask)[w];

		if ((((const pm_word_t *)&a->key)[w] ^ ((const pm_word_t *)&b->key)[w]) & both)
			return false;
	}
	return true;
}

/* The live rule matching 'k', or NULL.  With 'exact', asserts there is at most one. */
static const struct rule *
ref_lookup(const struct ref *ref, const struct pm_key *k, bool exact)
{
	const struct rule *found = NULL;
	unsigned int r;

	for (r = 0; r < ref->n_rules; r++) {
		const struct rule *ru = &ref->rules[r];

		if (ru->mf != NULL && pm_key_match_masked(k, &ru->key, &ru->mask, PM_KEY_WORDS)) {
			if (!exact)
				return ru;
			assert_null(found);
			found = ru;
		}
	}
	return found;
}

/* Inserts rule 'r' (already in ref->rules) into 'cls'. */
static void
rule_insert(struct fc_cls *cls, struct rule *r)
{
	struct pm_key k;

	/* Insert through an unmasked key: the classifier must mask it. */
	key_random(&k);
	key_merge(&k, &k, &r->key, &r->mask);
	r->mf = fc_cls_insert(cls, &k, &r->mask, &r->data);
	assert_non_null(r->mf);
	assert_ptr_equal(r->mf->data, &r->data);
	assert_false(r->mf->dead);
}

/* Adds up to 'n' random rules over 'masks', skipping any that overlaps a live one. */
static void
ref_add_rules(struct ref *ref, struct fc_cls *cls, const struct pm_key *masks, unsigned int n_masks,
              unsigned int n, bool no_overlap)
{
	unsigned int i, r;

	for (i = 0; i < n; i++) {
		struct rule cand;
		struct pm_key k;
		bool ok = true;

		cand.mask = masks[rnd_below(n_masks)];
		key_random(&k);
		key_and(&cand.key, &k, &cand.mask);
		for (r = 0; r < ref->n_rules && ok; r++)
			if (ref->rules[r].mf != NULL &&
			    (no_overlap ? rules_overlap(&cand, &ref->rules[r]) :
			                  memcmp(&cand, &ref->rules[r], 2 * sizeof(k)) == 0))
				ok = false;
		if (!ok)
			continue;
		if (ref->n_rules == ref->cap) {
			ref->cap = ref->cap ? ref->cap * 2 : 1024;
			ref->rules = realloc(ref->rules, ref->cap * sizeof(*ref->rules));
			assert_non_null(ref->rules);
			for (r = 0; r < ref->n_rules; r++) /* data pointers moved */
				if (ref->rules[r].mf != NULL)
					ref->rules[r].mf->data = &ref->rules[r].data;
		}
		cand.data = ref->n_rules;
		ref->rules[ref->n_rules] = cand;
		rule_insert(cls, &ref->rules[ref->n_rules]);
		ref->n_rules++;
	}
}

static unsigned int
ref_count(const struct ref *ref)
{
	unsigned int r, n = 0;

	for (r = 0; r < ref->n_rules; r++)
		n += ref->rules[r].mf != NULL;
	return n;
}

/* A packet key: hits a rule, misses one by a bit, or is random. */
static void
packet_random(const struct ref *ref, struct pm_key *k)
{
	unsigned int kind = rnd_below(10);

	key_random(k);
	if (kind < 8 && ref->n_rules != 0) {
		const struct rule *r = &ref->rules[rnd_below(ref->n_rules)];

		key_merge(k, k, &r->key, &r->mask);
		if (kind >= 6) {
			/* Flip one masked bit. */
			for (;;) {
				unsigned int w = rnd_below(PM_KEY_WORDS);
				unsigned int b = rnd_below(64);

				if (((const pm_word_t *)&r->mask)[w] >> b & 1) {
					kw(k)[w] ^= UINT64_C(1) << b;
					break;
				}
			}
		}
	}
}

/* ---- Differential checks ---- */

#define SENTINEL ((struct fc_mf *)(uintptr_t)0x5a5a5a5a)

struct burst {
	struct pm_key keys[64];
	const struct pm_key *kp[64];
	uint32_t hashes[64];
	uint64_t map;
	unsigned int n;
};

static void
burst_random(struct burst *b, const struct ref *ref, unsigned int n)
{
	uint64_t full = n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
	unsigned int i;

	b->n = n;
	b->map = rnd_below(4) == 0 ? full : rnd() & full;
	for (i = 0; i < 64; i++) {
		/* Keys outside the map are NULL: reading one would crash. */
		b->kp[i] = NULL;
		if (b->map >> i & 1) {
			packet_random(ref, &b->keys[i]);
			b->kp[i] = &b->keys[i];
		}
	}
	fc_key_hash_burst(b->map, b->kp, b->hashes);
}

/* Classifier lookup of burst 'b' checked against the reference; returns the hit map. */
static uint64_t
check_cls_burst(struct fc_cls *cls, const struct ref *ref, const struct burst *b,
                struct fc_mf *mfs[64])
{
	uint32_t n_probed = 0;
	uint64_t hits;
	unsigned int i;

	for (i = 0; i < 64; i++)
		mfs[i] = SENTINEL;
	hits = fc_cls_lookup(cls, b->map, b->kp, mfs, &n_probed);
	assert_int_equal(hits & ~b->map, 0);
	assert_true(n_probed <= fc_cls_n_subtables(cls) * (uint32_t)__builtin_popcountll(b->map));
	for (i = 0; i < 64; i++) {
		const struct rule *r;

		if (!(hits >> i & 1)) {
			assert_ptr_equal(mfs[i], SENTINEL);
			if (b->map >> i & 1)
				assert_null(ref_lookup(ref, &b->keys[i], true));
			continue;
		}
		r = ref_lookup(ref, &b->keys[i], true);
		assert_non_null(r);
		assert_ptr_equal(mfs[i], r->mf);
		assert_false(mfs[i]->dead);
	}
	return hits;
}

/*
 * EMC, then classifier, on burst 'b': an EMC hit must be the classifier's
 * hit; misses are inserted with the EMC's probability.
 */
static void
check_emc_burst(struct fc_emc *emc, struct fc_cls *cls, const struct ref *ref,
                const struct burst *b)
{
	struct fc_mf *emc_mfs[64];
	struct fc_mf *cls_mfs[64];
	uint64_t emc_hits, cls_hits, m;
	unsigned int i;

	for (i = 0; i < 64; i++)
		emc_mfs[i] = SENTINEL;
	emc_hits = fc_emc_lookup(emc, b->map, b->kp, b->hashes, emc_mfs);
	assert_int_equal(emc_hits & ~b->map, 0);
	cls_hits = check_cls_burst(cls, ref, b, cls_mfs);
	assert_int_equal(emc_hits & ~cls_hits, 0);
	for (i = 0; i < 64; i++) {
		if (emc_hits >> i & 1)
			assert_ptr_equal(emc_mfs[i], cls_mfs[i]);
		else
			assert_ptr_equal(emc_mfs[i], SENTINEL);
	}
	for (m = cls_hits & ~emc_hits; m != 0; m &= m - 1) {
		i = (unsigned int)__builtin_ctzll(m);
		if (fc_emc_should_insert(emc))
			fc_emc_insert(emc, b->hashes[i], cls_mfs[i]);
	}
}

static void
ref_remove_random(struct ref *ref, struct fc_cls *cls, unsigned int one_in)
{
	unsigned int r;

	for (r = 0; r < ref->n_rules; r++) {
		if (ref->rules[r].mf != NULL && rnd_below(one_in) == 0) {
			fc_cls_remove(cls, ref->rules[r].mf);
			ref->rules[r].mf = NULL;
		}
	}
}

static void
ref_reinsert_random(struct ref *ref, struct fc_cls *cls, unsigned int one_in)
{
	unsigned int r, o;

	for (r = 0; r < ref->n_rules; r++) {
		bool ok = true;

		if (ref->rules[r].mf != NULL || rnd_below(one_in) != 0)
			continue;
		for (o = 0; o < ref->n_rules && ok; o++)
			if (ref->rules[o].mf != NULL &&
			    rules_overlap(&ref->rules[r], &ref->rules[o]))
				ok = false;
		if (ok)
			rule_insert(cls, &ref->rules[r]);
	}
}

/* Lookups in bursts of 1, 32 and 64, through the EMC when one is given. */
static void
check_bursts(struct fc_cls *cls, struct fc_emc *emc, const struct ref *ref, unsigned int n_bursts)
{
	static const unsigned int sizes[] = { 1, 32, 64 };
	struct fc_mf *mfs[64];
	struct burst b;
	unsigned int i;

	for (i = 0; i < n_bursts; i++) {
		burst_random(&b, ref, sizes[i % RTE_DIM(sizes)]);
		if (emc != NULL)
			check_emc_burst(emc, cls, ref, &b);
		else
			check_cls_burst(cls, ref, &b, mfs);
	}
}

/*
 * The differential scenario: insert, look up, remove a third, look up,
 * re-insert and add, look up, with the EMC at 1-in-'emc_prob' (none if 0).
 */
static void
differential(uint32_t emc_entries, uint32_t emc_prob)
{
	struct pm_key masks[N_MASKS];
	struct fc_emc *emc = NULL;
	struct ref ref = { 0 };
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 100000);
	unsigned int round;

	assert_non_null(cls);
	masks_make(masks);
	if (emc_entries != 0) {
		emc = emc_new(emc_entries);
		fc_emc_set_insert_prob(emc, emc_prob);
	}
	ref_add_rules(&ref, cls, masks, N_MASKS, 2500, true);
	assert_int_equal(fc_cls_count(cls), ref_count(&ref));
	assert_true(fc_cls_n_subtables(cls) <= N_MASKS);
	for (round = 0; round < 3; round++) {
		check_bursts(cls, emc, &ref, 60);
		ref_remove_random(&ref, cls, 3);
		assert_int_equal(fc_cls_count(cls), ref_count(&ref));
		check_bursts(cls, emc, &ref, 60);
		ref_reinsert_random(&ref, cls, 2);
		ref_add_rules(&ref, cls, masks, N_MASKS, 300, true);
		assert_int_equal(fc_cls_count(cls), ref_count(&ref));
		check_bursts(cls, emc, &ref, 60);
		fc_cls_rank(cls);
	}
	fc_cls_destroy(cls);
	if (emc != NULL) {
		/* Dead megaflows still referenced by the EMC keep their memory until now. */
		emc_free(emc);
	}
	assert_int_equal(a.n_live, 0);
	free(ref.rules);
}

static void
test_fc_cache_cls_differential(void **state)
{
	(void)state;
	differential(0, 0);
}

static void
test_fc_cache_emc_always_matches_cls(void **state)
{
	(void)state;
	differential(1024, 1);
}

static void
test_fc_cache_emc_one_in_n_matches_cls(void **state)
{
	(void)state;
	differential(256, 4);
}

/* Overlapping megaflows: any matching live megaflow is a right answer. */
static void
test_fc_cache_overlapping_any_match(void **state)
{
	struct pm_key masks[4];
	struct ref ref = { 0 };
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 10000);
	struct fc_mf *mfs[64];
	struct burst b;
	unsigned int i, m;

	(void)state;
	/* Coarse masks over few bits: many packets match several rules. */
	for (m = 0; m < RTE_DIM(masks); m++) {
		memset(&masks[m], 0, sizeof(masks[m]));
		masks[m].in_port = 0xffff;
		mask_prefix(&masks[m], offsetof(struct pm_key, nw_src), 4, 2 + m);
	}
	masks[3].tp_dst = RTE_BE16(0x0003);
	ref_add_rules(&ref, cls, masks, RTE_DIM(masks), 400, false);
	for (i = 0; i < 200; i++) {
		uint64_t hits;
		unsigned int k;

		burst_random(&b, &ref, 32);
		for (k = 0; k < 64; k++)
			mfs[k] = SENTINEL;
		hits = fc_cls_lookup(cls, b.map, b.kp, mfs, NULL);
		assert_int_equal(hits & ~b.map, 0);
		for (k = 0; k < 64; k++) {
			const struct rule *r;

			if (!(b.map >> k & 1))
				continue;
			r = ref_lookup(&ref, &b.keys[k], false);
			assert_int_equal(r != NULL, hits >> k & 1);
			if (r != NULL) {
				const struct rule *got = &ref.rules[*(unsigned int *)mfs[k]->data];

				assert_ptr_equal(got->mf, mfs[k]);
				assert_true(pm_key_match_masked(&b.keys[k], &got->key, &got->mask,
				                                PM_KEY_WORDS));
			} else {
				assert_ptr_equal(mfs[k], SENTINEL);
			}
		}
	}
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
	free(ref.rules);
}

/* ---- Targeted tests ---- */

static void
mask_5tuple(struct pm_key *mask)
{
	memset(mask, 0, sizeof(*mask));
	mask->in_port = 0xffff;
	mask->dl_type = 0xffff;
	mask->nw_proto = 0xff;
	mask->nw_src = UINT32_MAX;
	mask->nw_dst = UINT32_MAX;
	mask->tp_src = 0xffff;
	mask->tp_dst = 0xffff;
}

static void
key_5tuple(struct pm_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->in_port = 1;
	k->dl_type = RTE_BE16(0x0800);
	k->nw_proto = 17;
	k->nw_src = rte_cpu_to_be_32(0x0a000000 + i);
	k->nw_dst = rte_cpu_to_be_32(0xc0a80001);
	k->tp_src = rte_cpu_to_be_16((uint16_t)(i * 7));
	k->tp_dst = RTE_BE16(4789);
}

static struct fc_mf *
lookup_one(struct fc_cls *cls, const struct pm_key *k, uint32_t *n_probed)
{
	const struct pm_key *kp[1] = { k };
	struct fc_mf *mf = NULL;

	if (fc_cls_lookup(cls, 1, kp, &mf, n_probed) == 0)
		return NULL;
	return mf;
}

static struct fc_mf *
emc_lookup_one(const struct fc_emc *emc, const struct pm_key *k)
{
	const struct pm_key *kp[1] = { k };
	uint32_t h = fc_key_hash(k);
	struct fc_mf *mf = NULL;

	if (fc_emc_lookup(emc, 1, kp, &h, &mf) == 0)
		return NULL;
	return mf;
}

static void
test_fc_cache_insert_duplicate_returns_existing(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 10);
	struct pm_key mask, k, k2, gk, gm, masked;
	int d1, d2;
	struct fc_mf *mf, *mf2;

	(void)state;
	mask_5tuple(&mask);
	key_5tuple(&k, 1);
	mf = fc_cls_insert(cls, &k, &mask, &d1);
	assert_non_null(mf);
	/* Same masked key (differs only where the mask is 0): the same megaflow, data kept. */
	k2 = k;
	k2.ct_mark = 99;
	k2.dl_dst[3] = 1;
	mf2 = fc_cls_insert(cls, &k2, &mask, &d2);
	assert_ptr_equal(mf2, mf);
	assert_ptr_equal(mf2->data, &d1);
	assert_int_equal(fc_cls_count(cls), 1);
	assert_int_equal(fc_cls_n_subtables(cls), 1);
	/* fc_mf_get gives back the masked key and the mask. */
	assert_int_equal(fc_mf_get(mf, &gk, &gm), 0);
	key_and(&masked, &k2, &mask);
	assert_memory_equal(&gk, &masked, sizeof(gk));
	assert_memory_equal(&gm, &mask, sizeof(gm));
	assert_ptr_equal(lookup_one(cls, &k2, NULL), mf);
	/* Bad arguments. */
	assert_null(fc_cls_insert(cls, NULL, &mask, &d1));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(fc_cls_create(&hook, 0));
	assert_int_equal(rte_errno, EINVAL);
	fc_cls_remove(cls, mf);
	assert_int_equal(fc_cls_count(cls), 0);
	assert_int_equal(fc_cls_n_subtables(cls), 0);
	fc_cls_destroy(cls);
	fc_cls_destroy(NULL);
	assert_int_equal(a.n_live, 0);
}

static void
test_fc_cache_catch_all_and_exact_masks(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 10);
	struct pm_key zero, ones, k, k2;
	struct fc_mf *exact, *any;
	uint32_t n_probed = 0;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	memset(&ones, 0xff, sizeof(ones));
	key_random(&k);
	exact = fc_cls_insert(cls, &k, &ones, NULL);
	assert_non_null(exact);
	assert_ptr_equal(lookup_one(cls, &k, NULL), exact);
	k2 = k;
	k2.ipv6_dst[15] ^= 1; /* last word */
	assert_null(lookup_one(cls, &k2, NULL));
	any = fc_cls_insert(cls, &k2, &zero, NULL);
	assert_non_null(any);
	assert_int_equal(fc_cls_n_subtables(cls), 2);
	assert_ptr_equal(lookup_one(cls, &k2, &n_probed), any);
	assert_int_equal(n_probed, 2);
	key_random(&k2);
	assert_ptr_equal(lookup_one(cls, &k2, NULL), any);
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
}

static void
test_fc_cache_limit_enospc(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 100);
	struct fc_mf *mfs[100];
	struct pm_key mask, other_mask, k;
	uint32_t i;

	(void)state;
	mask_5tuple(&mask);
	for (i = 0; i < 100; i++) {
		key_5tuple(&k, i);
		mfs[i] = fc_cls_insert(cls, &k, &mask, NULL);
		assert_non_null(mfs[i]);
	}
	key_5tuple(&k, 100);
	rte_errno = 0;
	assert_null(fc_cls_insert(cls, &k, &mask, NULL));
	assert_int_equal(rte_errno, ENOSPC);
	assert_int_equal(errno, ENOSPC);
	/* Not in a new subtable either, and none is left behind. */
	other_mask = mask;
	other_mask.tp_src = 0;
	assert_null(fc_cls_insert(cls, &k, &other_mask, NULL));
	assert_int_equal(rte_errno, ENOSPC);
	assert_int_equal(fc_cls_n_subtables(cls), 1);
	/* At the limit, a duplicate is still found. */
	key_5tuple(&k, 5);
	assert_ptr_equal(fc_cls_insert(cls, &k, &mask, NULL), mfs[5]);
	/* Room again after a removal. */
	fc_cls_remove(cls, mfs[7]);
	key_5tuple(&k, 100);
	assert_non_null(fc_cls_insert(cls, &k, &mask, NULL));
	assert_int_equal(fc_cls_count(cls), 100);
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
}

static void
test_fc_cache_enomem_leaves_table_intact(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 1000);
	struct pm_key mask, mask2, k;
	uint32_t i;
	int f;

	(void)state;
	mask_5tuple(&mask);
	mask2 = mask;
	mask2.tp_dst = 0;
	/* Fail every allocation step of an insert in turn: subtable, buckets, growth, megaflow. */
	for (i = 0; i < 300; i++) {
		key_5tuple(&k, i);
		for (f = 0;; f++) {
			struct fc_mf *mf;

			a.fail_after = f;
			mf = fc_cls_insert(cls, &k, i % 2 ? &mask : &mask2, NULL);
			a.fail_after = -1;
			if (mf != NULL)
				break;
			assert_int_equal(rte_errno, ENOMEM);
			assert_int_equal(fc_cls_count(cls), i);
			assert_int_equal(fc_cls_n_subtables(cls), i == 0 ? 0 : i == 1 ? 1 : 2);
		}
	}
	for (i = 0; i < 300; i++) {
		key_5tuple(&k, i);
		assert_non_null(lookup_one(cls, &k, NULL));
	}
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
}

static void
test_fc_cache_growth_200k_one_subtable(void **state)
{
	const uint32_t n = 200000;
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, n);
	struct fc_mf **all = calloc(n, sizeof(*all));
	struct pm_key mask, keys[64];
	const struct pm_key *kp[64];
	struct fc_mf *mfs[64];
	uint32_t i, j, pass;

	(void)state;
	assert_non_null(all);
	mask_5tuple(&mask);
	for (i = 0; i < n; i++) {
		key_5tuple(&keys[0], i);
		all[i] = fc_cls_insert(cls, &keys[0], &mask, NULL);
		assert_non_null(all[i]);
	}
	assert_int_equal(fc_cls_count(cls), n);
	assert_int_equal(fc_cls_n_subtables(cls), 1);
	/* All found in bursts of 64; then every other one removed, the rest still found. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i += 64) {
			uint64_t map = 0, hits;

			for (j = 0; j < 64 && i + j < n; j++) {
				key_5tuple(&keys[j], i + j);
				kp[j] = &keys[j];
				map |= UINT64_C(1) << j;
			}
			hits = fc_cls_lookup(cls, map, kp, mfs, NULL);
			for (j = 0; j < 64 && i + j < n; j++) {
				bool live = pass == 0 || (i + j) % 2 == 1;

				assert_int_equal(hits >> j & 1, live);
				if (live)
					assert_ptr_equal(mfs[j], all[i + j]);
			}
		}
		if (pass == 0)
			for (i = 0; i < n; i += 2)
				fc_cls_remove(cls, all[i]);
	}
	assert_int_equal(fc_cls_count(cls), n / 2);
	fc_cls_flush(cls);
	assert_int_equal(fc_cls_count(cls), 0);
	assert_int_equal(fc_cls_n_subtables(cls), 0);
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
	free(all);
}

static void
test_fc_cache_rank_orders_by_hits(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 10);
	struct pm_key masks[3], keys[3];
	struct fc_mf *mfs[3];
	uint32_t n_probed;
	unsigned int s, i;
	static const unsigned int n_hits[3] = { 1, 5, 10 };

	(void)state;
	/* Subtable s matches in_port = s only; created in order 0, 1, 2. */
	for (s = 0; s < 3; s++) {
		mask_5tuple(&masks[s]);
		masks[s].tp_src = (uint16_t)(0xff00u >> s);
		key_5tuple(&keys[s], s);
		keys[s].in_port = (uint16_t)s;
		mfs[s] = fc_cls_insert(cls, &keys[s], &masks[s], NULL);
		assert_non_null(mfs[s]);
	}
	for (s = 0; s < 3; s++) {
		n_probed = 0;
		assert_ptr_equal(lookup_one(cls, &keys[s], &n_probed), mfs[s]);
		assert_int_equal(n_probed, s + 1);
	}
	for (s = 0; s < 3; s++)
		for (i = 1; i < n_hits[s]; i++) /* + 1 above */
			lookup_one(cls, &keys[s], NULL);
	fc_cls_rank(cls);
	for (s = 0; s < 3; s++) {
		n_probed = 0;
		assert_ptr_equal(lookup_one(cls, &keys[s], &n_probed), mfs[s]);
		assert_int_equal(n_probed, 3 - s);
	}
	/* Counts restart at each rank: now subtable 0 is the busiest. */
	for (i = 0; i < 20; i++)
		lookup_one(cls, &keys[0], NULL);
	fc_cls_rank(cls);
	n_probed = 0;
	lookup_one(cls, &keys[0], &n_probed);
	assert_int_equal(n_probed, 1);
	n_probed = 0;
	lookup_one(cls, &keys[2], &n_probed); /* 1 hit vs 2's 1: stable, 2 before 1 */
	assert_int_equal(n_probed, 2);
	/* A miss probes every subtable. */
	n_probed = 0;
	keys[0].in_port = 9;
	assert_null(lookup_one(cls, &keys[0], &n_probed));
	assert_int_equal(n_probed, 3);
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
}

static void
test_fc_cache_burst_contract(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 100);
	struct fc_emc *emc = emc_new(64);
	struct pm_key mask, keys[64];
	const struct pm_key *kp[64];
	struct fc_mf *mfs[64];
	uint32_t hashes[64];
	uint32_t n_probed = 0;
	unsigned int i;

	(void)state;
	mask_5tuple(&mask);
	for (i = 0; i < 64; i++) {
		key_5tuple(&keys[i], i);
		kp[i] = NULL;
		mfs[i] = SENTINEL;
		hashes[i] = 0;
		if (i % 3 == 0)
			assert_non_null(fc_cls_insert(cls, &keys[i], &mask, NULL));
	}
	/* keys_map 0: nothing read (keys are NULL), nothing written, no probes. */
	assert_int_equal(fc_cls_lookup(cls, 0, kp, mfs, &n_probed), 0);
	assert_int_equal(n_probed, 0);
	assert_int_equal(fc_emc_lookup(emc, 0, kp, hashes, mfs), 0);
	fc_key_hash_burst(0, kp, hashes);
	for (i = 0; i < 64; i++) {
		assert_ptr_equal(mfs[i], SENTINEL);
		assert_int_equal(hashes[i], 0);
	}
	/* An empty classifier misses everything without probing. */
	{
		struct fc_cls *empty = fc_cls_create(&hook, 1);

		for (i = 0; i < 64; i++)
			kp[i] = &keys[i];
		assert_int_equal(fc_cls_lookup(empty, UINT64_MAX, kp, mfs, &n_probed), 0);
		assert_int_equal(n_probed, 0);
		fc_cls_destroy(empty);
	}
	/* Full burst: hits exactly the inserted third; misses untouched. */
	assert_int_equal(fc_cls_lookup(cls, UINT64_MAX, kp, mfs, &n_probed), 0x9249249249249249ull);
	assert_int_equal(n_probed, 64);
	for (i = 0; i < 64; i++)
		if (i % 3 != 0)
			assert_ptr_equal(mfs[i], SENTINEL);
	/* Burst of one, highest bit. */
	mfs[63] = SENTINEL;
	assert_int_equal(fc_cls_lookup(cls, UINT64_C(1) << 63, kp, mfs, NULL), UINT64_C(1) << 63);
	assert_ptr_not_equal(mfs[63], SENTINEL);
	/* fc_key_hash_burst agrees with fc_key_hash and writes only mapped slots. */
	fc_key_hash_burst(0x5555555555555555ull, kp, hashes);
	for (i = 0; i < 64; i++)
		assert_int_equal(hashes[i], i % 2 ? 0 : fc_key_hash(&keys[i]));
	emc_free(emc);
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
}

/* Inserts 'mf' into the EMC under hash 'h' and checks the reference count. */
static void
emc_ref(struct fc_emc *emc, uint32_t h, struct fc_mf *mf, uint32_t expect_refs)
{
	fc_emc_insert(emc, h, mf);
	assert_int_equal(mf->n_emc_refs, expect_refs);
}

static void
test_fc_cache_emc_refcount_lifecycle(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 100);
	struct fc_emc *emc = emc_new(64); /* 16 sets */
	struct pm_key mask, ka, kb;
	struct fc_mf *ma, *mb;
	uint32_t ha;

	(void)state;
	mask_5tuple(&mask);
	key_5tuple(&ka, 1);
	key_5tuple(&kb, 2);
	ma = fc_cls_insert(cls, &ka, &mask, NULL);
	mb = fc_cls_insert(cls, &kb, &mask, NULL);
	ha = fc_key_hash(&ka);

	/* Three entries for A: its own hash and two others (other microflows, say). */
	emc_ref(emc, ha, ma, 1);
	emc_ref(emc, ha, ma, 1); /* same entry again: no new reference */
	emc_ref(emc, ha + 1, ma, 2);
	emc_ref(emc, ha + 2, ma, 3);
	assert_int_equal(fc_emc_count(emc), 3);
	assert_ptr_equal(emc_lookup_one(emc, &ka), ma);
	/* The EMC verifies the key: B's key with A's hash does not hit A. */
	{
		const struct pm_key *kp[1] = { &kb };
		struct fc_mf *got = SENTINEL;

		assert_int_equal(fc_emc_lookup(emc, 1, kp, &ha, &got), 0);
		assert_ptr_equal(got, SENTINEL);
	}

	/* Removed while referenced: dead, not freed, never returned. */
	a.watch = ma;
	fc_cls_remove(cls, ma);
	assert_true(ma->dead);
	assert_false(a.watch_freed);
	assert_null(emc_lookup_one(emc, &ka));
	assert_null(lookup_one(cls, &ka, NULL));
	assert_int_equal(fc_cls_count(cls), 1);
	fc_cls_remove(cls, ma); /* already dead: ignored */
	assert_false(a.watch_freed);

	/* Each way of dropping a reference: replaced by an equal hash... */
	emc_ref(emc, ha, mb, 1);
	assert_int_equal(ma->n_emc_refs, 2);
	/* ... a sweep ... */
	assert_int_equal(fc_emc_sweep(emc, 64), 2); /* drops A's two dead entries left */
	assert_true(a.watch_freed);
	/* ... so the last one went in the sweep: check with a second megaflow and a flush. */
	a.watch_freed = false;
	ma = fc_cls_insert(cls, &ka, &mask, NULL);
	a.watch = ma;
	emc_ref(emc, ha + 1, ma, 1);
	emc_ref(emc, ha + 2, ma, 2);
	fc_cls_remove(cls, ma);
	assert_false(a.watch_freed);
	emc_ref(emc, ha + 1, mb, 2);
	assert_false(a.watch_freed);
	fc_emc_flush(emc);
	assert_true(a.watch_freed);
	assert_int_equal(mb->n_emc_refs, 0);
	assert_int_equal(fc_emc_count(emc), 0);

	/* Destroying the classifier with a referenced megaflow keeps its memory until the flush. */
	emc_ref(emc, fc_key_hash(&kb), mb, 1);
	a.watch = mb;
	a.watch_freed = false;
	fc_cls_destroy(cls);
	assert_false(a.watch_freed);
	assert_int_equal(a.n_live, 2); /* mb and the classifier itself */
	assert_null(emc_lookup_one(emc, &kb));
	emc_free(emc);
	assert_true(a.watch_freed);
	assert_int_equal(a.n_live, 0);
}

static void
test_fc_cache_emc_sweep_frees_dead(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 1000);
	struct fc_emc *emc = emc_new(1024);
	struct fc_mf *mfs[500];
	struct pm_key mask, k;
	uint32_t i, n_dropped = 0;
	long live_before;

	(void)state;
	mask_5tuple(&mask);
	for (i = 0; i < 500; i++) {
		key_5tuple(&k, i);
		mfs[i] = fc_cls_insert(cls, &k, &mask, NULL);
		fc_emc_insert(emc, fc_key_hash(&k), mfs[i]);
	}
	live_before = a.n_live;
	/* Inserts into full sets replaced entries: megaflows left without an
	 * EMC reference are freed by the removal itself. */
	for (i = 0; i < 500; i += 2) {
		if (mfs[i]->n_emc_refs == 0)
			live_before--;
		fc_cls_remove(cls, mfs[i]);
	}
	assert_int_equal(a.n_live, live_before); /* the referenced ones stay */
	/* A budgeted sweep, round robin over the whole EMC. */
	for (i = 0; i < 1024 / 100 + 1; i++)
		n_dropped += fc_emc_sweep(emc, 100);
	assert_int_equal(a.n_live, live_before - (long)n_dropped);
	/* A full round dropped every dead entry: what is left are the live
	 * (odd) megaflows, each at most once (a replaced one has none). */
	{
		uint32_t refs = 0;

		for (i = 1; i < 500; i += 2) {
			assert_true(mfs[i]->n_emc_refs <= 1);
			refs += mfs[i]->n_emc_refs;
			key_5tuple(&k, i);
			assert_true((emc_lookup_one(emc, &k) != NULL) == (mfs[i]->n_emc_refs == 1));
		}
		assert_int_equal(fc_emc_count(emc), refs);
		assert_true(refs > 200); /* most survived the replacements */
	}
	emc_free(emc);
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
}

static void
test_fc_cache_emc_init_and_insert_prob(void **state)
{
	uint8_t buf[4096 + 64];
	void *aligned = RTE_PTR_ALIGN_CEIL((void *)buf, 64);
	struct fc_emc *emc;
	unsigned int i, n;

	(void)state;
	assert_int_equal(fc_emc_memsize(0), 0);
	assert_int_equal(fc_emc_memsize(2), 0);
	assert_int_equal(fc_emc_memsize(100), 0);
	assert_int_equal(fc_emc_memsize(FC_EMC_MAX_ENTRIES * 2u), 0);
	assert_true(fc_emc_memsize(8192) >= 8192 * 16);
	assert_true(fc_emc_memsize(128) <= 4096);
	assert_null(fc_emc_init((uint8_t *)aligned + 8, 128));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(fc_emc_init(aligned, 96));
	emc = fc_emc_init(aligned, 128);
	assert_non_null(emc);
	assert_int_equal(fc_emc_count(emc), 0);

	/* Default 1 in 100. */
	for (i = 0, n = 0; i < 100000; i++)
		n += fc_emc_should_insert(emc);
	assert_in_range(n, 800, 1200);
	fc_emc_set_insert_prob(emc, 0);
	for (i = 0, n = 0; i < 10000; i++)
		n += fc_emc_should_insert(emc);
	assert_int_equal(n, 0);
	fc_emc_set_insert_prob(emc, 1);
	for (i = 0, n = 0; i < 10000; i++)
		n += fc_emc_should_insert(emc);
	assert_int_equal(n, 10000);
	fc_emc_set_insert_prob(emc, 4);
	for (i = 0, n = 0; i < 100000; i++)
		n += fc_emc_should_insert(emc);
	assert_in_range(n, 24000, 26000);
	fc_emc_flush(emc);
}

/* The EMC holds as many flows as it has entries when they spread evenly (4-way sets). */
static void
test_fc_cache_emc_capacity(void **state)
{
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 10000);
	struct fc_emc *emc = emc_new(8192);
	struct pm_key mask, k;
	uint32_t i, n_hit = 0;
	const uint32_t n = 4096;

	(void)state;
	mask_5tuple(&mask);
	for (i = 0; i < n; i++) {
		key_5tuple(&k, i);
		fc_emc_insert(emc, fc_key_hash(&k), fc_cls_insert(cls, &k, &mask, NULL));
	}
	for (i = 0; i < n; i++) {
		key_5tuple(&k, i);
		n_hit += emc_lookup_one(emc, &k) != NULL;
	}
	/* Half full, 4-way: about 5% of sets get more than 4 flows (Poisson, mean 2), so a
	 * few percent of the flows are displaced. */
	assert_true(n_hit > n * 95 / 100);
	emc_free(emc);
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
}

struct walk_state {
	struct fc_cls *cls;
	unsigned int n_visits;
	unsigned int *visits; /* per rule index (data) */
	unsigned int remove_mod;
	int stop_at;
};

static int
walk_cb(struct fc_mf *mf, void *arg)
{
	struct walk_state *ws = arg;
	unsigned int idx = *(unsigned int *)mf->data;

	ws->visits[idx]++;
	ws->n_visits++;
	if (ws->remove_mod != 0 && idx % ws->remove_mod == 0)
		fc_cls_remove(ws->cls, mf);
	if (ws->stop_at != 0 && (int)ws->n_visits == ws->stop_at)
		return 42;
	return 0;
}

static int
walk_insert_cb(struct fc_mf *mf, void *arg)
{
	struct walk_state *ws = arg;
	struct pm_key k;

	memset(&k, 0, sizeof(k));
	assert_null(fc_cls_insert(ws->cls, &k, &k, NULL));
	assert_int_equal(rte_errno, EBUSY);
	(void)mf;
	return 1;
}

static void
test_fc_cache_walk_removal_safe(void **state)
{
	struct pm_key masks[N_MASKS];
	struct ref ref = { 0 };
	struct cnt_alloc a;
	struct fc_alloc hook = cnt_alloc_hook(&a);
	struct fc_cls *cls = fc_cls_create(&hook, 10000);
	struct walk_state ws = { .cls = cls };
	unsigned int r, n_live;

	(void)state;
	masks_make(masks);
	ref_add_rules(&ref, cls, masks, N_MASKS, 1500, true);
	ws.visits = calloc(ref.n_rules, sizeof(*ws.visits));

	/* Every megaflow once. */
	assert_int_equal(fc_cls_walk(cls, walk_cb, &ws), 0);
	assert_int_equal(ws.n_visits, fc_cls_count(cls));
	for (r = 0; r < ref.n_rules; r++)
		assert_int_equal(ws.visits[r], ref.rules[r].mf != NULL);

	/* Removing the current one (a third of them) while walking. */
	memset(ws.visits, 0, ref.n_rules * sizeof(*ws.visits));
	ws.n_visits = 0;
	ws.remove_mod = 3;
	n_live = fc_cls_count(cls);
	assert_int_equal(fc_cls_walk(cls, walk_cb, &ws), 0);
	assert_int_equal(ws.n_visits, n_live);
	for (r = 0; r < ref.n_rules; r++) {
		assert_int_equal(ws.visits[r], ref.rules[r].mf != NULL);
		if (r % 3 == 0)
			ref.rules[r].mf = NULL;
	}
	assert_int_equal(fc_cls_count(cls), ref_count(&ref));
	check_bursts(cls, NULL, &ref, 30);

	/* Stopping early; inserting from a callback fails. */
	ws.remove_mod = 0;
	ws.stop_at = 5;
	ws.n_visits = 0;
	assert_int_equal(fc_cls_walk(cls, walk_cb, &ws), 42);
	assert_int_equal(ws.n_visits, 5);
	assert_int_equal(fc_cls_walk(cls, walk_insert_cb, &ws), 1);

	/* Removing everything while walking empties the subtables after the walk. */
	ws.stop_at = 0;
	ws.remove_mod = 1;
	ws.n_visits = 0;
	assert_int_equal(fc_cls_walk(cls, walk_cb, &ws), 0);
	assert_int_equal(fc_cls_count(cls), 0);
	assert_int_equal(fc_cls_n_subtables(cls), 0);
	for (r = 0; r < ref.n_rules; r++)
		ref.rules[r].mf = NULL;
	check_bursts(cls, NULL, &ref, 10);
	fc_cls_destroy(cls);
	assert_int_equal(a.n_live, 0);
	free(ws.visits);
	free(ref.rules);
}

static void
test_fc_cache_key_hash_spreads(void **state)
{
	static uint8_t seen[4096];
	struct pm_key k, k2;
	unsigned int i, n_sets = 0;

	(void)state;
	/* 4096 flows differing only in the source port fill most of 4096 sets. */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 4096; i++) {
		key_5tuple(&k, 0);
		k.tp_src = rte_cpu_to_be_16((uint16_t)i);
		n_sets += !seen[fc_key_hash(&k) & 4095]++;
	}
	assert_true(n_sets > 4096 * 6 / 10); /* 1 - 1/e = 63% expected */
	/* Fields outside the CRC words still change it: registers, tunnel, conntrack, IPv6. */
	key_5tuple(&k, 0);
	k2 = k;
	k.regs[0] = 1;
	k2.regs[2] = 1;
	assert_int_not_equal(fc_key_hash(&k), fc_key_hash(&k2));
	k2 = k;
	k2.tun_id = 5;
	assert_int_not_equal(fc_key_hash(&k), fc_key_hash(&k2));
	k2 = k;
	k2.ct_state = PM_CS_TRACKED;
	assert_int_not_equal(fc_key_hash(&k), fc_key_hash(&k2));
	k.dl_type = RTE_BE16(0x86dd);
	k2 = k;
	k2.ipv6_dst[15] = 1;
	assert_int_not_equal(fc_key_hash(&k), fc_key_hash(&k2));
}

/* ---- Micro-benchmark (FC_BENCH=1) ---- */

static void *
bench_zalloc(size_t size, void *arg)
{
	void *p = aligned_alloc(64, RTE_ALIGN_CEIL(size, 64));

	(void)arg;
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

static void
bench_free(void *p, void *arg)
{
	(void)arg;
	free(p);
}

#define BENCH_POOL   65536
#define BENCH_BURST  32
#define BENCH_PKTS   (1u << 21)
#define BENCH_WINDOW 64 /* bursts per timing window */
#define BENCH_N_WIN  (BENCH_PKTS / BENCH_BURST / BENCH_WINDOW)

/* Flow i of subtable s of n_st: subtable s matches in_port s, nw_dst prefix /(32 - s). */
static void
bench_key(struct pm_key *k, uint32_t i, uint32_t s)
{
	key_5tuple(k, i);
	k->in_port = (uint16_t)s;
	k->tp_src = rte_cpu_to_be_16((uint16_t)(i & 0xffff));
	k->nw_src = rte_cpu_to_be_32(0x0a000000 + (i >> 16));
}

static void
bench_mask(struct pm_key *m, uint32_t s)
{
	mask_5tuple(m);
	m->nw_dst = rte_cpu_to_be_32(UINT32_MAX << s);
}

struct bench_result {
	double cls;    /* classifier only */
	double emc_8k; /* hash + EMC (8k entries, 1-in-100) + classifier on misses */
	double emc_1m; /* same with a 1M-entry EMC */
	double hit_8k; /* EMC hit rate */
	double hit_1m;
	double probes; /* subtables probed per packet, classifier only */
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Cycles per packet over BENCH_PKTS packets drawn from 'pool', in bursts of
 * 32, after one warm-up pass: the median of windows of BENCH_WINDOW bursts,
 * so that the time the thread spends preempted on a shared machine (in the
 * windows it falls in) does not count.
 */
static double
bench_run(struct fc_cls *cls, struct fc_emc *emc, const struct pm_key *pool, double *hit_rate,
          double *probes)
{
	struct pm_key burst[BENCH_BURST];
	const struct pm_key *kp[BENCH_BURST];
	struct fc_mf *mfs[BENCH_BURST];
	uint32_t hashes[BENCH_BURST];
	static uint64_t windows[BENCH_N_WIN];
	uint64_t cycles = 0, n_emc_hits = 0, n_probed_total = 0;
	uint32_t p, i, warm;

	for (i = 0; i < BENCH_BURST; i++)
		kp[i] = &burst[i];
	for (warm = 0; warm < 2; warm++) {
		cycles = 0;
		n_emc_hits = 0;
		n_probed_total = 0;
		for (p = 0; p < BENCH_PKTS; p += BENCH_BURST) {
			uint64_t full = (UINT64_C(1) << BENCH_BURST) - 1;
			uint32_t n_probed = 0;
			uint64_t t0, hit, m;

			/* The parser would have just written the keys: copy them in (untimed). */
			memcpy(burst, &pool[p % BENCH_POOL], sizeof(burst));
			t0 = rte_rdtsc();
			if (emc != NULL) {
				fc_key_hash_burst(full, kp, hashes);
				hit = fc_emc_lookup(emc, full, kp, hashes, mfs);
				m = fc_cls_lookup(cls, full & ~hit, kp, mfs, &n_probed);
				n_emc_hits += (uint64_t)__builtin_popcountll(hit);
				for (; m != 0; m &= m - 1) {
					i = (uint32_t)__builtin_ctzll(m);
					if (fc_emc_should_insert(emc))
						fc_emc_insert(emc, hashes[i], mfs[i]);
				}
			} else {
				fc_cls_lookup(cls, full, kp, mfs, &n_probed);
			}
			cycles += rte_rdtsc() - t0;
			n_probed_total += n_probed;
			if ((p / BENCH_BURST + 1) % BENCH_WINDOW == 0) {
				windows[p / BENCH_BURST / BENCH_WINDOW] = cycles;
				cycles = 0;
			}
		}
	}
	qsort(windows, BENCH_N_WIN, sizeof(windows[0]), cmp_u64);
	if (hit_rate != NULL)
		*hit_rate = (double)n_emc_hits / BENCH_PKTS;
	if (probes != NULL)
		*probes = (double)n_probed_total / BENCH_PKTS;
	return (double)windows[BENCH_N_WIN / 2] / (BENCH_WINDOW * BENCH_BURST);
}

static void
bench_case(uint32_t n_flows, uint32_t n_st, struct pm_key *pool, struct bench_result *res)
{
	struct fc_alloc hook = { .zalloc = bench_zalloc, .free = bench_free };
	struct fc_cls *cls = fc_cls_create(&hook, n_flows);
	struct fc_emc *emc8k = emc_new(8192);
	struct fc_emc *emc1m = emc_new(1u << 20);
	struct pm_key mask, k;
	uint32_t i;

	for (i = 0; i < n_flows; i++) {
		uint32_t s = i % n_st;

		bench_key(&k, i / n_st, s);
		bench_mask(&mask, s);
		if (fc_cls_insert(cls, &k, &mask, NULL) == NULL)
			fail_msg("bench insert %u failed: %d", i, rte_errno);
	}
	for (i = 0; i < BENCH_POOL; i++) {
		uint32_t f = (uint32_t)(rnd() % n_flows);

		bench_key(&pool[i], f / n_st, f % n_st);
	}
	res->cls = bench_run(cls, NULL, pool, NULL, &res->probes);
	res->emc_8k = bench_run(cls, emc8k, pool, &res->hit_8k, NULL);
	res->emc_1m = bench_run(cls, emc1m, pool, &res->hit_1m, NULL);
	emc_free(emc8k);
	emc_free(emc1m);
	fc_cls_destroy(cls);
}

static void
bench(void)
{
	static const uint32_t n_flows[] = { 1, 1000, 10000, 100000, 1000000 };
	static const uint32_t n_sts[] = { 1, 20 };
	struct pm_key *pool = calloc(BENCH_POOL, sizeof(*pool));
	const struct pm_key *kp[BENCH_BURST];
	uint32_t hashes[BENCH_BURST];
	unsigned int f, s, i, w;
	uint64_t t0, cyc;

	assert_non_null(pool);
	for (i = 0; i < BENCH_BURST; i++) {
		bench_key(&pool[i], i, 0);
		kp[i] = &pool[i];
	}
	/* Fastest of 100 windows of 1000 bursts. */
	cyc = UINT64_MAX;
	for (w = 0; w < 100; w++) {
		t0 = rte_rdtsc();
		for (i = 0; i < 1000; i++)
			fc_key_hash_burst(UINT32_MAX, kp, hashes);
		cyc = RTE_MIN(cyc, rte_rdtsc() - t0);
	}
	printf("bench: fc_key_hash_burst %.1f cycles/key (IPv4)\n",
	       (double)cyc / (1000.0 * BENCH_BURST));
	printf("bench: cycles (TSC) per packet, bursts of %u, %u packets, uniform over flows,\n"
	       "       median of windows of 2048 packets;\n"
	       "       emc = fc_key_hash_burst + fc_emc_lookup + fc_cls_lookup(misses) + "
	       "1-in-100 insert\n",
	       BENCH_BURST, BENCH_PKTS);
	printf("%-8s %-9s %9s %9s %13s %15s\n", "subtbls", "megaflows", "cls-only", "probes/pkt",
	       "emc8k (hit%)", "emc1M (hit%)");
	for (s = 0; s < RTE_DIM(n_sts); s++) {
		for (f = 0; f < RTE_DIM(n_flows); f++) {
			struct bench_result r;

			if (n_flows[f] < n_sts[s])
				continue;
			bench_case(n_flows[f], n_sts[s], pool, &r);
			printf("%-8u %-9u %9.1f %9.2f %8.1f (%3.0f) %9.1f (%3.0f)\n", n_sts[s],
			       n_flows[f], r.cls, r.probes, r.emc_8k, r.hit_8k * 100, r.emc_1m,
			       r.hit_1m * 100);
			fflush(stdout);
		}
	}
	free(pool);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fc_cache_insert_duplicate_returns_existing),
		cmocka_unit_test(test_fc_cache_catch_all_and_exact_masks),
		cmocka_unit_test(test_fc_cache_limit_enospc),
		cmocka_unit_test(test_fc_cache_enomem_leaves_table_intact),
		cmocka_unit_test(test_fc_cache_burst_contract),
		cmocka_unit_test(test_fc_cache_rank_orders_by_hits),
		cmocka_unit_test(test_fc_cache_key_hash_spreads),
		cmocka_unit_test(test_fc_cache_cls_differential),
		cmocka_unit_test(test_fc_cache_overlapping_any_match),
		cmocka_unit_test(test_fc_cache_emc_always_matches_cls),
		cmocka_unit_test(test_fc_cache_emc_one_in_n_matches_cls),
		cmocka_unit_test(test_fc_cache_emc_refcount_lifecycle),
		cmocka_unit_test(test_fc_cache_emc_sweep_frees_dead),
		cmocka_unit_test(test_fc_cache_emc_init_and_insert_prob),
		cmocka_unit_test(test_fc_cache_emc_capacity),
		cmocka_unit_test(test_fc_cache_walk_removal_safe),
		cmocka_unit_test(test_fc_cache_growth_200k_one_subtable),
	};
	const char *seed = getenv("FC_SEED");
	const char *b = getenv("FC_BENCH");
	int ret;

	if (seed != NULL)
		rng_state = strtoull(seed, NULL, 0) | 1;
	printf("test_fc_cache: FC_SEED=%#llx\n", (unsigned long long)rng_state);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	if (b != NULL && strcmp(b, "1") == 0)
		bench();
	return ret;
}
