/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/flowcache internals shared by fc_cls.c and fc_emc.c: the classifier,
 * subtable, bucket and EMC layouts, and the inline helpers of their fast
 * paths.  Not for users of the library (fc.h and fc_cache.h are public).
 *
 * Thread safety: as fc_cache.h; everything here is owned by one PMD thread.
 */
#ifndef FC_PRIV_H
#define FC_PRIV_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include "pm_hash.h"
#ifdef RTE_ARCH_X86
#include <emmintrin.h>
#endif
#if defined(RTE_ARCH_X86_64) && defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

#include "fc_cache.h"
#include "pktmeta.h"

/** Word index of a pm_key field. */
#define FC_W(field) (offsetof(struct pm_key, field) / sizeof(uint64_t))

/* ---- Subtable hash table ---- */

/** Slots per bucket: 6 signatures + 6 pointers + spill count fill one cache line. */
#define FC_BUCKET_SLOTS 6

/*
 * A bucket of a subtable's open-addressing table.  A megaflow lives in its
 * home bucket (hash & bucket_mask) or, when that is full, in the first
 * bucket after it with a free slot (linear probing by whole buckets).
 * 'n_spill' counts the megaflows that probed past this bucket because it
 * was full (F14's outbound overflow count): a lookup goes on to the next
 * bucket only while it is nonzero, so a miss usually costs one cache line,
 * and removal needs no tombstones.  Signatures are the hash's top 16 bits
 * with bit 0 forced on, so 0 marks a free slot.
 */
struct fc_bucket {
	uint16_t sigs[FC_BUCKET_SLOTS];     /* signature per slot, 0 when free */
	uint16_t n_spill;                   /* megaflows that probed past; saturates */
	uint16_t pad;                       /* keeps sigs + n_spill one 16-byte load */
	struct fc_mf *mfs[FC_BUCKET_SLOTS]; /* NULL when free */
};

_Static_assert(sizeof(struct fc_bucket) == 64, "a bucket is one cache line");

#define FC_SPILL_MAX UINT16_MAX

/** Lookup over one subtable, specialised by word count at subtable creation. */
typedef uint64_t fc_st_lookup_fn(struct fc_subtable *st, uint64_t keys_map,
                                 const struct pm_key *const keys[], struct fc_mf *mfs[]);

/*
 * One subtable: the megaflows of one mask.  All fields are owned by the PMD
 * thread.  The first cache line holds what a lookup reads per burst.
 */
struct fc_subtable {
	/* Lookup: read per burst (n_hits written). */
	struct fc_bucket *buckets;   /* bucket_mask + 1 buckets, cache-line aligned */
	uint32_t bucket_mask;        /* n_buckets - 1 (a power of two) */
	uint32_t n_words;            /* nonzero mask words */
	fc_st_lookup_fn *lookup;     /* specialised for n_words */
	uint64_t n_hits;             /* hits since the last fc_cls_rank() */
	uint8_t words[PM_KEY_WORDS]; /* indexes of the nonzero mask words, ascending */
	/* Lookup and EMC verify: the mask values of words[]. */
	uint64_t mask_words[PM_KEY_WORDS];
	/* Insert/remove/walk only. */
	struct fc_cls *cls; /* owner */
	void *buckets_mem;  /* what zalloc returned for 'buckets' */
	uint32_t n_entries; /* megaflows linked here */
	uint32_t grow_at;   /* grow the bucket array before exceeding this */
	struct pm_key mask; /* the full mask */
};

/* The classifier. */
struct fc_cls {
	struct fc_subtable **sts; /* n_sts subtables in rank order */
	uint32_t n_sts;           /* subtables */
	uint32_t sts_cap;         /* room in sts[] */
	uint32_t n_entries;       /* live megaflows */
	uint32_t max_entries;     /* limit on n_entries */
	uint32_t n_zombies;       /* dead megaflows still referenced by an EMC */
	uint32_t walk_depth;      /* nesting of fc_cls_walk(): defers subtable frees */
	bool destroyed;           /* fc_cls_destroy() ran; free when n_zombies is 0 */
	struct fc_alloc alloc;    /* the caller's allocator */
};

/** Drops one EMC reference; frees the megaflow if it was the last one of a dead megaflow. */
void fc_mf_unref__(struct fc_mf *mf);

/** Megaflow signature from a subtable hash: never 0 (a free slot). */
static inline uint16_t
fc_sig__(uint32_t hash)
{
	return (uint16_t)((hash >> 16) | 1);
}

/*
 * Slots of 'b' whose signature is 'sig', as a mask with 2 bits per slot
 * (bits 2s and 2s+1 for slot s, as _mm_movemask_epi8 gives them).
 */
static inline uint32_t
fc_bucket_match__(const struct fc_bucket *b, uint16_t sig)
{
#ifdef RTE_ARCH_X86
	__m128i v = _mm_load_si128((const __m128i *)(const void *)b);
	__m128i eq = _mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig));

	return (uint32_t)_mm_movemask_epi8(eq) & ((1u << (2 * FC_BUCKET_SLOTS)) - 1);
#else
	uint32_t m = 0;
	unsigned int s;

	for (s = 0; s < FC_BUCKET_SLOTS; s++)
		m |= (uint32_t)(b->sigs[s] == sig) << (2 * s);
	return m;
#endif
}

/** Clears the lowest slot of a fc_bucket_match__() mask; returns that slot. */
static inline unsigned int
fc_match_pop__(uint32_t *m)
{
	unsigned int s = (unsigned int)__builtin_ctz(*m) >> 1;

	*m &= ~(3u << (2 * s));
	return s;
}

/* ---- Hashing ---- */

#define FC_KEY_HASH_SEED 0x5eed1u
#define FC_ST_HASH_SEED  0x9e3779b9u
#define FC_HASH_BE_IPV6  RTE_BE16(0x86dd)

/** Rotates left by 'r', 0 < r < 64. */
static inline uint64_t
fc_rotl__(uint64_t x, unsigned int r)
{
	return (x << r) | (x >> (64 - r));
}

/** Subtable hash of the first 'n' mask words of 'st' (n == st->n_words, constant if inlined). */
static inline uint32_t
fc_st_hash__(const struct fc_subtable *st, const struct pm_key *key, unsigned int n)
{
	const pm_word_t *kw = (const pm_word_t *)key;
	uint32_t h = FC_ST_HASH_SEED;
	unsigned int j;

	for (j = 0; j < n; j++)
		h = pm_crc64(kw[st->words[j]] & st->mask_words[j], h);
	return h;
}

/** True when 'key' matches live-or-dead 'mf' of subtable 'st' (st's first 'n' words). */
static inline bool
fc_mf_match__(const struct fc_mf *mf, const struct fc_subtable *st, const struct pm_key *key,
              unsigned int n)
{
	const pm_word_t *kw = (const pm_word_t *)key;
	uint64_t diff = 0;
	unsigned int j;

	for (j = 0; j < n; j++)
		diff |= (kw[st->words[j]] & st->mask_words[j]) ^ mf->words[j];
	return diff == 0;
}

/*
 * The flow hash (see fc_key_hash() in fc_cache.h).  One CRC32-C chain over
 * the five words that carry in_port/dl_type, L2 and the IPv4 5-tuple, plus
 * one over an XOR fold of the words that are usually zero or constant
 * (metadata, registers, tunnel, conntrack, ARP); each folded word is rotated
 * by its own amount so that equal values in different words (reg0 = 1 vs
 * reg2 = 1) do not cancel.  IPv6 addresses go through the CRC only for IPv6.
 * The loops are unrolled so that the rotations are immediates: rolled, the
 * fold alone doubled the instruction count.
 */
static inline uint32_t
fc_key_hash__(const struct pm_key *k)
{
	const pm_word_t *w = (const pm_word_t *)k;
	uint64_t fold = 0;
	uint32_t h;
	unsigned int j;

	/* Rotations 5..25 and 30..54: distinct, never 0. */
#pragma GCC unroll 8
	for (j = FC_W(metadata); j < FC_W(dl_dst); j++)
		fold ^= fc_rotl__(w[j], j * 5);
#pragma GCC unroll 16
	for (j = FC_W(tun_id); j < FC_W(ipv6_src); j++)
		fold ^= fc_rotl__(w[j], j * 3);

	h = pm_crc64(w[0], FC_KEY_HASH_SEED);
#pragma GCC unroll 8
	for (j = FC_W(dl_dst); j < FC_W(tun_id); j++)
		h = pm_crc64(w[j], h);
	h = pm_crc64(fold, h);
	if (k->dl_type == FC_HASH_BE_IPV6) {
#pragma GCC unroll 8
		for (j = FC_W(ipv6_src); j < PM_KEY_WORDS; j++)
			h = pm_crc64(w[j], h);
	}
	/* CRC is linear: keys that differ in a few bits of one field land in a
	 * subspace of the low bits the EMC indexes with.  A multiplicative
	 * finaliser (MurmurHash3's fmix32) spreads them. */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Layout the hash relies on (word 0 holds recirc_id, in_port, dl_type; L2..L4 are 6..9). */
_Static_assert(FC_W(dl_type) == 0 && FC_W(dl_dst) == 6 && FC_W(tp_src) == 9 && FC_W(tun_id) == 10 &&
                               FC_W(ipv6_src) == 19,
               "pm_key layout changed: revisit fc_key_hash__()");

/* ---- EMC ---- */

/* An EMC entry: 16 bytes, FC_EMC_WAYS to a cache line. */
struct fc_emc_entry {
	uint32_t hash;    /* fc_key_hash() of the key that inserted it */
	uint32_t pad;     /* keeps mf 8-aligned, entries 16 bytes */
	struct fc_mf *mf; /* referenced megaflow, NULL when free */
};

_Static_assert(sizeof(struct fc_emc_entry) * FC_EMC_WAYS == 64, "an EMC set is one cache line");

/* The EMC, in caller memory; owned by one PMD thread. */
struct fc_emc {
	uint32_t set_mask;                         /* n_sets - 1 */
	uint32_t n_entries;                        /* n_sets * FC_EMC_WAYS */
	uint32_t insert_n;                         /* 1-in-N insertion; 0 never */
	uint32_t insert_thresh;                    /* UINT32_MAX / insert_n */
	uint32_t prng;                             /* xorshift32 state, never 0 */
	uint32_t sweep_pos;                        /* next entry fc_emc_sweep() visits */
	alignas(64) struct fc_emc_entry entries[]; /* set s: [s * WAYS, (s + 1) * WAYS) */
};

#endif /* FC_PRIV_H */
