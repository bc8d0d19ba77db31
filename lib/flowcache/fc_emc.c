/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exact-match (signature) cache and the flow hash (see fc_cache.h).
 *
 * The EMC is a signature cache: an entry is (32-bit flow hash, megaflow
 * pointer), 16 bytes, four to a cache-line set chosen by the hash's low
 * bits.  It stores no key: a hit is verified against the megaflow's masked
 * key under the megaflow's mask, so one entry serves every microflow of a
 * megaflow that lands on it, an entry costs a quarter of a line instead of
 * OVS's 200+ bytes, and the EMC can never be less correct than the
 * classifier.  Entries hold a reference on their megaflow (as OVS
 * emc_change_entry() does), so a removed megaflow stays readable, and is
 * seen dead, until its last entry goes.  A lookup touches one set line and
 * one megaflow line, both prefetched a burst ahead.
 *
 * Thread safety: none; one PMD thread owns an EMC (fc_cache.h).
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

uint32_t
fc_key_hash(const struct pm_key *k)
{
	return fc_key_hash__(k);
}

void
fc_key_hash_burst(uint64_t keys_map, const struct pm_key *const keys[], uint32_t hashes[])
{
	uint64_t map;

	for (map = keys_map; map != 0; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);

		hashes[i] = fc_key_hash__(keys[i]);
	}
}

size_t
fc_emc_memsize(uint32_t n_entries)
{
	if (n_entries < FC_EMC_WAYS || n_entries > FC_EMC_MAX_ENTRIES ||
	    (n_entries & (n_entries - 1)) != 0)
		return 0;
	return sizeof(struct fc_emc) + (size_t)n_entries * sizeof(struct fc_emc_entry);
}

void
fc_emc_set_insert_prob(struct fc_emc *emc, uint32_t n)
{
	emc->insert_n = n;
	emc->insert_thresh = n != 0 ? UINT32_MAX / n : 0;
}

struct fc_emc *
fc_emc_init(void *mem, uint32_t n_entries)
{
	struct fc_emc *emc = mem;
	size_t size = fc_emc_memsize(n_entries);

	if (mem == NULL || size == 0 || ((uintptr_t)mem & (RTE_CACHE_LINE_SIZE - 1)) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, size);
	emc->n_entries = n_entries;
	emc->set_mask = n_entries / FC_EMC_WAYS - 1;
	/* Any nonzero seed; the address decorrelates the EMCs of different PMDs. */
	emc->prng = (uint32_t)((uintptr_t)mem >> 6) * 2654435761u | 1;
	fc_emc_set_insert_prob(emc, FC_EMC_INSERT_PROB_DEFAULT);
	return emc;
}

/* xorshift32 (Marsaglia 2003): never 0 from a nonzero state. */
static inline uint32_t
fc_emc_random__(struct fc_emc *emc)
{
	uint32_t x = emc->prng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	emc->prng = x;
	return x;
}

bool
fc_emc_should_insert(struct fc_emc *emc)
{
	/* UINT32_MAX / N: N = 1 passes every nonzero draw; N = 0 never. */
	return emc->insert_n != 0 && fc_emc_random__(emc) <= emc->insert_thresh;
}

static inline const struct fc_emc_entry *
fc_emc_set__(const struct fc_emc *emc, uint32_t hash)
{
	return &emc->entries[(size_t)(hash & emc->set_mask) * FC_EMC_WAYS];
}

uint64_t
fc_emc_lookup(const struct fc_emc *emc, uint64_t keys_map, const struct pm_key *const keys[],
              const uint32_t hashes[], struct fc_mf *mfs[])
{
	struct fc_mf *cands[FC_BURST_MAX];
	uint64_t found = 0;
	uint64_t map;

	/* Pass 1: prefetch every set of the burst. */
	for (map = keys_map; map != 0; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);

		rte_prefetch0(fc_emc_set__(emc, hashes[i]));
	}

	/*
	 * Pass 2: find the entry with the same hash (at most one per set: insert
	 * replaces an equal hash) and prefetch its megaflow.
	 */
	for (map = keys_map; map != 0; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);
		const struct fc_emc_entry *set = fc_emc_set__(emc, hashes[i]);
		struct fc_mf *mf = NULL;
		unsigned int w;

		for (w = 0; w < FC_EMC_WAYS; w++)
			if (set[w].hash == hashes[i] && set[w].mf != NULL)
				mf = set[w].mf;
		cands[i] = mf;
		if (mf != NULL)
			rte_prefetch0(mf);
	}

	/*
	 * Pass 3: verify under the megaflow's mask.  'dead' first: a dead
	 * megaflow's subtable pointer is gone (it holds the classifier).
	 */
	for (map = keys_map; map != 0; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);
		struct fc_mf *mf = cands[i];

		if (mf != NULL && !mf->dead &&
		    fc_mf_match__(mf, mf->st, keys[i], mf->st->n_words)) {
			mfs[i] = mf;
			found |= UINT64_C(1) << i;
		}
	}
	return found;
}

void
fc_emc_insert(struct fc_emc *emc, uint32_t hash, struct fc_mf *mf)
{
	struct fc_emc_entry *set = &emc->entries[(size_t)(hash & emc->set_mask) * FC_EMC_WAYS];
	struct fc_emc_entry *e = NULL;
	struct fc_mf *old;
	unsigned int w;

	RTE_ASSERT(!mf->dead);
	/* Same hash first (keeps one entry per hash), then free or dead, then random. */
	for (w = 0; w < FC_EMC_WAYS && e == NULL; w++)
		if (set[w].mf != NULL && set[w].hash == hash)
			e = &set[w];
	for (w = 0; w < FC_EMC_WAYS && e == NULL; w++)
		if (set[w].mf == NULL || set[w].mf->dead)
			e = &set[w];
	if (e == NULL)
		e = &set[fc_emc_random__(emc) & (FC_EMC_WAYS - 1)];

	old = e->mf;
	e->hash = hash;
	if (old == mf)
		return;
	mf->n_emc_refs++;
	e->mf = mf;
	if (old != NULL)
		fc_mf_unref__(old);
}

uint32_t
fc_emc_sweep(struct fc_emc *emc, uint32_t n_entries)
{
	uint32_t n_dropped = 0;
	uint32_t pos = emc->sweep_pos;

	if (n_entries > emc->n_entries)
		n_entries = emc->n_entries;
	while (n_entries-- > 0) {
		struct fc_emc_entry *e = &emc->entries[pos];

		if (e->mf != NULL && e->mf->dead) {
			struct fc_mf *old = e->mf;

			e->mf = NULL;
			e->hash = 0;
			fc_mf_unref__(old);
			n_dropped++;
		}
		pos = (pos + 1) & (emc->n_entries - 1);
	}
	emc->sweep_pos = pos;
	return n_dropped;
}

void
fc_emc_flush(struct fc_emc *emc)
{
	uint32_t i;

	if (emc == NULL)
		return;
	for (i = 0; i < emc->n_entries; i++) {
		struct fc_mf *old = emc->entries[i].mf;

		emc->entries[i].mf = NULL;
		emc->entries[i].hash = 0;
		if (old != NULL)
			fc_mf_unref__(old);
	}
}

uint32_t
fc_emc_count(const struct fc_emc *emc)
{
	uint32_t i, n = 0;

	for (i = 0; i < emc->n_entries; i++)
		n += emc->entries[i].mf != NULL;
	return n;
}
