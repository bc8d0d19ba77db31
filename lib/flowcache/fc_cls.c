/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Megaflow classifier: tuple-space search over one subtable per mask (see
 * fc_cache.h for the contract).
 *
 * A subtable lists the words its mask covers and hashes (CRC32-C) and
 * compares only those; its megaflows store just those words, masked, right
 * after a 24-byte header, so a megaflow over the usual five words (in_port/
 * dl_type, L2, IPv4 5-tuple) is one 64-byte line.  The table is open
 * addressing over 64-byte buckets of 6 (signature, pointer) slots with
 * per-bucket spill counts (fc_priv.h), grown by rehash at 3/4 load: a
 * lookup reads one bucket line and, on a signature match, one megaflow
 * line, at any size from 1 to millions.  Lookups run in three passes over
 * the burst per subtable (hash + prefetch bucket, signatures + prefetch
 * megaflow, verify), as DPDK's bulk cuckoo lookup does, and are specialised
 * by word count when the subtable is created (as OVS dpcls does).
 *
 * Thread safety: none; one PMD thread owns a classifier (fc_cache.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_prefetch.h>

#include "fc_priv.h"

/* Grow a subtable's bucket array before its load exceeds NUM/DEN. */
#define FC_ST_LOAD_NUM 3
#define FC_ST_LOAD_DEN 4

#define FC_CLS_MAX_ENTRIES (1u << 26)

static int
fc_fail__(int err)
{
	rte_errno = err;
	errno = err;
	return err;
}

static void *
fc_zalloc__(const struct fc_cls *cls, size_t size)
{
	return cls->alloc.zalloc(size, cls->alloc.arg);
}

static void
fc_free__(const struct fc_cls *cls, void *ptr)
{
	if (ptr != NULL)
		cls->alloc.free(ptr, cls->alloc.arg);
}

/* ---- Lookup ---- */

/*
 * Goes on past a full home bucket (rare: its n_spill is nonzero) until a
 * bucket that nothing probed past.
 */
static struct fc_mf *
fc_st_find_spilled__(const struct fc_subtable *st, uint32_t hash, const struct pm_key *key)
{
	uint32_t idx = hash & st->bucket_mask;
	uint16_t sig = fc_sig__(hash);
	const struct fc_bucket *b = &st->buckets[idx];

	while (b->n_spill != 0) {
		uint32_t m;

		idx = (idx + 1) & st->bucket_mask;
		b = &st->buckets[idx];
		m = fc_bucket_match__(b, sig);
		while (m != 0) {
			struct fc_mf *mf = b->mfs[fc_match_pop__(&m)];

			if (fc_mf_match__(mf, st, key, st->n_words))
				return mf;
		}
	}
	return NULL;
}

/*
 * One subtable over the burst, in passes.  'n' is st->n_words, a constant
 * where this is inlined into a specialisation.
 */
static inline __attribute__((always_inline)) uint64_t
fc_st_lookup_inline__(struct fc_subtable *st, uint64_t keys_map, const struct pm_key *const keys[],
                      struct fc_mf *mfs[], unsigned int n)
{
	const struct fc_bucket *buckets = st->buckets;
	const uint32_t bucket_mask = st->bucket_mask;
	uint32_t hashes[FC_BURST_MAX];
	uint32_t cands[FC_BURST_MAX];
	uint64_t found = 0;
	uint64_t map;

	/* Pass 1: hash the masked words, prefetch the home buckets. */
	for (map = keys_map; map != 0; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);
		uint32_t h = fc_st_hash__(st, keys[i], n);

		hashes[i] = h;
		rte_prefetch0(&buckets[h & bucket_mask]);
	}

	/* Pass 2: match signatures, prefetch the first candidate. */
	for (map = keys_map; map != 0; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);
		const struct fc_bucket *b = &buckets[hashes[i] & bucket_mask];
		uint32_t m = fc_bucket_match__(b, fc_sig__(hashes[i]));

		cands[i] = m;
		if (m != 0)
			rte_prefetch0(b->mfs[__builtin_ctz(m) >> 1]);
	}

	/* Pass 3: verify candidates; follow spills when the home bucket misses. */
	for (map = keys_map; map != 0; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);
		const struct fc_bucket *b = &buckets[hashes[i] & bucket_mask];
		uint32_t m = cands[i];
		struct fc_mf *mf = NULL;

		while (m != 0) {
			struct fc_mf *c = b->mfs[fc_match_pop__(&m)];

			if (fc_mf_match__(c, st, keys[i], n)) {
				mf = c;
				break;
			}
		}
		if (unlikely(mf == NULL && b->n_spill != 0))
			mf = fc_st_find_spilled__(st, hashes[i], keys[i]);
		if (mf != NULL) {
			mfs[i] = mf;
			found |= UINT64_C(1) << i;
		}
	}
	return found;
}

#define FC_ST_LOOKUP_N(N)                                                                          \
	static uint64_t fc_st_lookup_##N##__(struct fc_subtable *st, uint64_t keys_map,            \
	                                     const struct pm_key *const keys[],                    \
	                                     struct fc_mf *mfs[])                                  \
	{                                                                                          \
		return fc_st_lookup_inline__(st, keys_map, keys, mfs, N);                          \
	}
FC_ST_LOOKUP_N(1)
FC_ST_LOOKUP_N(2)
FC_ST_LOOKUP_N(3)
FC_ST_LOOKUP_N(4)
FC_ST_LOOKUP_N(5)
FC_ST_LOOKUP_N(6)
FC_ST_LOOKUP_N(7)
FC_ST_LOOKUP_N(8)
#undef FC_ST_LOOKUP_N

/* Any word count, including 0 (a catch-all mask). */
static uint64_t
fc_st_lookup_generic__(struct fc_subtable *st, uint64_t keys_map, const struct pm_key *const keys[],
                       struct fc_mf *mfs[])
{
	return fc_st_lookup_inline__(st, keys_map, keys, mfs, st->n_words);
}

static fc_st_lookup_fn *
fc_st_lookup_choose__(unsigned int n_words)
{
	static fc_st_lookup_fn *const by_n[] = {
		NULL,
		fc_st_lookup_1__,
		fc_st_lookup_2__,
		fc_st_lookup_3__,
		fc_st_lookup_4__,
		fc_st_lookup_5__,
		fc_st_lookup_6__,
		fc_st_lookup_7__,
		fc_st_lookup_8__,
	};

	if (n_words > 0 && n_words < RTE_DIM(by_n))
		return by_n[n_words];
	return fc_st_lookup_generic__;
}

uint64_t
fc_cls_lookup(struct fc_cls *cls, uint64_t keys_map, const struct pm_key *const keys[],
              struct fc_mf *mfs[], uint32_t *n_subtables_probed)
{
	struct fc_subtable *const *sts = cls->sts;
	const uint32_t n_sts = cls->n_sts;
	uint64_t remaining = keys_map;
	uint32_t n_probed = 0;
	uint32_t s;

	for (s = 0; s < n_sts && remaining != 0; s++) {
		struct fc_subtable *st = sts[s];
		uint64_t hits;

		n_probed += (uint32_t)__builtin_popcountll(remaining);
		hits = st->lookup(st, remaining, keys, mfs);
		st->n_hits += (uint64_t)__builtin_popcountll(hits);
		remaining &= ~hits;
	}
	if (n_subtables_probed != NULL)
		*n_subtables_probed += n_probed;
	return keys_map & ~remaining;
}

/* ---- Subtables ---- */

/* Allocates an array of 'n_buckets' cache-line aligned buckets (zalloc may align to 16 only). */
static struct fc_bucket *
fc_buckets_alloc__(const struct fc_cls *cls, uint32_t n_buckets, void **mem)
{
	size_t size = (size_t)n_buckets * sizeof(struct fc_bucket) + RTE_CACHE_LINE_SIZE;

	*mem = fc_zalloc__(cls, size);
	if (*mem == NULL)
		return NULL;
	return (struct fc_bucket *)RTE_PTR_ALIGN_CEIL(*mem, RTE_CACHE_LINE_SIZE);
}

static uint32_t
fc_st_grow_at__(uint32_t n_buckets)
{
	return (uint32_t)((uint64_t)n_buckets * FC_BUCKET_SLOTS * FC_ST_LOAD_NUM / FC_ST_LOAD_DEN);
}

/* Links 'mf' (hash known, no duplicate) into 'buckets'; there is always a free slot. */
static void
fc_buckets_link__(struct fc_bucket *buckets, uint32_t bucket_mask, struct fc_mf *mf)
{
	uint32_t idx = mf->hash & bucket_mask;

	for (;;) {
		struct fc_bucket *b = &buckets[idx];
		unsigned int s;

		for (s = 0; s < FC_BUCKET_SLOTS; s++) {
			if (b->mfs[s] == NULL) {
				b->sigs[s] = fc_sig__(mf->hash);
				b->mfs[s] = mf;
				return;
			}
		}
		if (b->n_spill != FC_SPILL_MAX)
			b->n_spill++;
		idx = (idx + 1) & bucket_mask;
	}
}

/* Unlinks 'mf' from its subtable's buckets, undoing the spill counts of its probe. */
static void
fc_st_unlink__(struct fc_subtable *st, const struct fc_mf *mf)
{
	uint32_t idx = mf->hash & st->bucket_mask;
	uint32_t home = idx;

	for (;;) {
		struct fc_bucket *b = &st->buckets[idx];
		unsigned int s;

		for (s = 0; s < FC_BUCKET_SLOTS; s++) {
			if (b->mfs[s] == mf) {
				b->mfs[s] = NULL;
				b->sigs[s] = 0;
				goto unspill;
			}
		}
		RTE_ASSERT(b->n_spill != 0);
		idx = (idx + 1) & st->bucket_mask;
	}
unspill:
	for (; home != idx; home = (home + 1) & st->bucket_mask) {
		struct fc_bucket *b = &st->buckets[home];

		if (b->n_spill != FC_SPILL_MAX)
			b->n_spill--;
	}
}

/* Doubles the bucket array and relinks every megaflow.  Returns 0 or -ENOMEM (unchanged). */
static int
fc_st_grow__(struct fc_subtable *st)
{
	uint32_t n_old = st->bucket_mask + 1;
	uint32_t n_new = n_old * 2;
	struct fc_bucket *nb;
	void *mem;
	uint32_t b;

	nb = fc_buckets_alloc__(st->cls, n_new, &mem);
	if (nb == NULL)
		return -ENOMEM;
	for (b = 0; b < n_old; b++) {
		unsigned int s;

		for (s = 0; s < FC_BUCKET_SLOTS; s++)
			if (st->buckets[b].mfs[s] != NULL)
				fc_buckets_link__(nb, n_new - 1, st->buckets[b].mfs[s]);
	}
	fc_free__(st->cls, st->buckets_mem);
	st->buckets = nb;
	st->buckets_mem = mem;
	st->bucket_mask = n_new - 1;
	st->grow_at = fc_st_grow_at__(n_new);
	return 0;
}

static struct fc_subtable *
fc_st_find__(const struct fc_cls *cls, const struct pm_key *mask)
{
	uint32_t s;

	for (s = 0; s < cls->n_sts; s++)
		if (memcmp(&cls->sts[s]->mask, mask, sizeof(*mask)) == 0)
			return cls->sts[s];
	return NULL;
}

/* Creates an empty subtable for 'mask' at the end of the rank order. */
static struct fc_subtable *
fc_st_create__(struct fc_cls *cls, const struct pm_key *mask)
{
	const pm_word_t *mw = (const pm_word_t *)mask;
	struct fc_subtable *st;
	unsigned int w;

	if (cls->n_sts == cls->sts_cap) {
		uint32_t cap = cls->sts_cap != 0 ? cls->sts_cap * 2 : 8;
		struct fc_subtable **sts = fc_zalloc__(cls, cap * sizeof(*sts));

		if (sts == NULL)
			return NULL;
		if (cls->n_sts != 0)
			memcpy(sts, cls->sts, cls->n_sts * sizeof(*sts));
		fc_free__(cls, cls->sts);
		cls->sts = sts;
		cls->sts_cap = cap;
	}

	st = fc_zalloc__(cls, sizeof(*st));
	if (st == NULL)
		return NULL;
	st->buckets = fc_buckets_alloc__(cls, 1, &st->buckets_mem);
	if (st->buckets == NULL) {
		fc_free__(cls, st);
		return NULL;
	}
	st->bucket_mask = 0;
	st->grow_at = fc_st_grow_at__(1);
	for (w = 0; w < PM_KEY_WORDS; w++) {
		if (mw[w] != 0) {
			st->words[st->n_words] = (uint8_t)w;
			st->mask_words[st->n_words] = mw[w];
			st->n_words++;
		}
	}
	st->lookup = fc_st_lookup_choose__(st->n_words);
	st->cls = cls;
	st->mask = *mask;
	cls->sts[cls->n_sts++] = st;
	return st;
}

static void
fc_st_free__(struct fc_cls *cls, struct fc_subtable *st)
{
	fc_free__(cls, st->buckets_mem);
	fc_free__(cls, st);
}

/* Frees the subtables left empty (deferred while a walk runs), keeping the rank order. */
static void
fc_cls_gc_subtables__(struct fc_cls *cls)
{
	uint32_t s, d = 0;

	for (s = 0; s < cls->n_sts; s++) {
		if (cls->sts[s]->n_entries == 0)
			fc_st_free__(cls, cls->sts[s]);
		else
			cls->sts[d++] = cls->sts[s];
	}
	cls->n_sts = d;
}

/* ---- Megaflows ---- */

void
fc_mf_unref__(struct fc_mf *mf)
{
	struct fc_cls *cls;

	RTE_ASSERT(mf->n_emc_refs != 0);
	if (--mf->n_emc_refs != 0 || !mf->dead)
		return;
	/* Dead: mf->cls replaced mf->st, and the classifier counted it as a zombie. */
	cls = mf->cls;
	fc_free__(cls, mf);
	if (--cls->n_zombies == 0 && cls->destroyed) {
		struct fc_alloc alloc = cls->alloc;

		alloc.free(cls, alloc.arg);
	}
}

struct fc_cls *
fc_cls_create(const struct fc_alloc *alloc, uint32_t max_entries)
{
	struct fc_cls *cls;

	if (alloc == NULL || alloc->zalloc == NULL || alloc->free == NULL || max_entries == 0 ||
	    max_entries > FC_CLS_MAX_ENTRIES) {
		fc_fail__(EINVAL);
		return NULL;
	}
	cls = alloc->zalloc(sizeof(*cls), alloc->arg);
	if (cls == NULL) {
		fc_fail__(ENOMEM);
		return NULL;
	}
	cls->alloc = *alloc;
	cls->max_entries = max_entries;
	return cls;
}

void
fc_cls_destroy(struct fc_cls *cls)
{
	if (cls == NULL)
		return;
	fc_cls_flush(cls);
	fc_cls_gc_subtables__(cls);
	fc_free__(cls, cls->sts);
	cls->sts = NULL;
	cls->sts_cap = 0;
	if (cls->n_zombies == 0) {
		struct fc_alloc alloc = cls->alloc;

		alloc.free(cls, alloc.arg);
	} else {
		cls->destroyed = true;
	}
}

/* Finds the live megaflow of 'st' with masked words equal to 'mf_words' and hash 'hash'. */
static struct fc_mf *
fc_st_find_exact__(const struct fc_subtable *st, uint32_t hash, const uint64_t *mf_words)
{
	uint32_t idx = hash & st->bucket_mask;
	uint16_t sig = fc_sig__(hash);

	for (;;) {
		const struct fc_bucket *b = &st->buckets[idx];
		uint32_t m = fc_bucket_match__(b, sig);

		while (m != 0) {
			struct fc_mf *mf = b->mfs[fc_match_pop__(&m)];

			if (mf->hash == hash &&
			    memcmp(mf->words, mf_words, st->n_words * sizeof(uint64_t)) == 0)
				return mf;
		}
		if (b->n_spill == 0)
			return NULL;
		idx = (idx + 1) & st->bucket_mask;
	}
}

struct fc_mf *
fc_cls_insert(struct fc_cls *cls, const struct pm_key *key, const struct pm_key *mask, void *data)
{
	const pm_word_t *kw = (const pm_word_t *)key;
	uint64_t words[PM_KEY_WORDS];
	struct fc_subtable *st;
	bool st_created = false;
	struct fc_mf *mf;
	uint32_t hash;
	unsigned int j;

	if (cls == NULL || key == NULL || mask == NULL) {
		fc_fail__(EINVAL);
		return NULL;
	}
	if (cls->walk_depth != 0) {
		fc_fail__(EBUSY);
		return NULL;
	}

	st = fc_st_find__(cls, mask);
	if (st != NULL) {
		for (j = 0; j < st->n_words; j++)
			words[j] = kw[st->words[j]] & st->mask_words[j];
		hash = fc_st_hash__(st, key, st->n_words);
		mf = fc_st_find_exact__(st, hash, words);
		if (mf != NULL)
			return mf;
	}
	if (cls->n_entries >= cls->max_entries) {
		fc_fail__(ENOSPC);
		return NULL;
	}
	if (st == NULL) {
		st = fc_st_create__(cls, mask);
		if (st == NULL)
			goto err_nomem;
		st_created = true;
		for (j = 0; j < st->n_words; j++)
			words[j] = kw[st->words[j]] & st->mask_words[j];
		hash = fc_st_hash__(st, key, st->n_words);
	}
	if (st->n_entries + 1 > st->grow_at && fc_st_grow__(st) != 0)
		goto err_free_st;

	mf = fc_zalloc__(cls, sizeof(*mf) + st->n_words * sizeof(uint64_t));
	if (mf == NULL)
		goto err_free_st;
	mf->st = st;
	mf->data = data;
	mf->hash = hash;
	memcpy(mf->words, words, st->n_words * sizeof(uint64_t));
	fc_buckets_link__(st->buckets, st->bucket_mask, mf);
	st->n_entries++;
	cls->n_entries++;
	return mf;

err_free_st:
	if (st_created) {
		/* The new subtable is the last one and still empty. */
		cls->n_sts--;
		fc_st_free__(cls, st);
	}
err_nomem:
	fc_fail__(ENOMEM);
	return NULL;
}

void
fc_cls_remove(struct fc_cls *cls, struct fc_mf *mf)
{
	struct fc_subtable *st;

	if (cls == NULL || mf == NULL || mf->dead || mf->st->cls != cls)
		return;
	st = (struct fc_subtable *)(uintptr_t)mf->st;
	fc_st_unlink__(st, mf);
	st->n_entries--;
	cls->n_entries--;

	mf->dead = 1;
	mf->cls = cls;
	if (mf->n_emc_refs == 0)
		fc_free__(cls, mf);
	else
		cls->n_zombies++;

	if (st->n_entries == 0 && cls->walk_depth == 0)
		fc_cls_gc_subtables__(cls);
}

void
fc_cls_flush(struct fc_cls *cls)
{
	uint32_t s, b;

	if (cls == NULL)
		return;
	/* Defer subtable frees to the end, as a walk does. */
	cls->walk_depth++;
	for (s = 0; s < cls->n_sts; s++) {
		struct fc_subtable *st = cls->sts[s];

		for (b = 0; b <= st->bucket_mask && st->n_entries != 0; b++) {
			unsigned int k;

			for (k = 0; k < FC_BUCKET_SLOTS; k++)
				if (st->buckets[b].mfs[k] != NULL)
					fc_cls_remove(cls, st->buckets[b].mfs[k]);
		}
	}
	if (--cls->walk_depth == 0)
		fc_cls_gc_subtables__(cls);
}

void
fc_cls_rank(struct fc_cls *cls)
{
	uint32_t s;

	/* Insertion sort, stable: few subtables, and the order rarely changes much. */
	for (s = 1; s < cls->n_sts; s++) {
		struct fc_subtable *st = cls->sts[s];
		uint32_t d = s;

		while (d > 0 && cls->sts[d - 1]->n_hits < st->n_hits) {
			cls->sts[d] = cls->sts[d - 1];
			d--;
		}
		cls->sts[d] = st;
	}
	for (s = 0; s < cls->n_sts; s++)
		cls->sts[s]->n_hits = 0;
}

uint32_t
fc_cls_count(const struct fc_cls *cls)
{
	return cls->n_entries;
}

uint32_t
fc_cls_n_subtables(const struct fc_cls *cls)
{
	uint32_t s, n = 0;

	for (s = 0; s < cls->n_sts; s++)
		n += cls->sts[s]->n_entries != 0;
	return n;
}

int
fc_cls_walk(struct fc_cls *cls, fc_cls_walk_fn *fn, void *arg)
{
	uint32_t s, b;
	int ret = 0;

	/*
	 * Removal clears a slot and never moves another megaflow, and subtable
	 * frees wait for the walk to end, so every megaflow still linked is
	 * visited exactly once.
	 */
	cls->walk_depth++;
	for (s = 0; s < cls->n_sts && ret == 0; s++) {
		struct fc_subtable *st = cls->sts[s];

		for (b = 0; b <= st->bucket_mask && ret == 0; b++) {
			unsigned int k;

			for (k = 0; k < FC_BUCKET_SLOTS && ret == 0; k++)
				if (st->buckets[b].mfs[k] != NULL)
					ret = fn(st->buckets[b].mfs[k], arg);
		}
	}
	if (--cls->walk_depth == 0)
		fc_cls_gc_subtables__(cls);
	return ret;
}

int
fc_mf_get(const struct fc_mf *mf, struct pm_key *key, struct pm_key *mask)
{
	pm_word_t *kw = (pm_word_t *)key;
	unsigned int j;

	if (mf->dead)
		return -EINVAL;
	*mask = mf->st->mask;
	memset(key, 0, sizeof(*key));
	for (j = 0; j < mf->st->n_words; j++)
		kw[mf->st->words[j]] = mf->words[j];
	return 0;
}
