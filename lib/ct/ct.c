/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection table and the ct() action over a burst.  Layout and the
 * concurrency protocol are described in ct_priv.h.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_prefetch.h>
#include <rte_spinlock.h>

#include "ct.h"
#include "ct_priv.h"
#include "ct_tcp_win.h"

/* Signature of a hash: its upper 16 bits, never 0 (0 marks a free slot). */
static inline uint16_t
hash_sig(uint32_t h)
{
	uint16_t s = (uint16_t)(h >> 16);

	return s ? s : 1;
}

/*
 * The slots of bucket 'b' whose signature is 'sig': bit 2e (and 2e + 1) for slot e.
 * With SSE2 one compare of the eight signatures (as rte_hash's compare_signatures()
 * reads its buckets' lock-free: a signature is a hint, checked by the key under the
 * slot's acquire load); a loop of relaxed loads otherwise.  About as many instructions
 * as the loop, but no branch on which slot matched, which the predictor cannot learn
 * (with 'fresh' below: ctvx udp_10k 195 -> 189 cycles a packet).
 */
_Static_assert(CT_BUCKET_ENTRIES == 8 && offsetof(struct ct_bucket, sigs) == 0 &&
                               _Alignof(struct ct_bucket) >= 16,
               "sig_hits() reads a bucket's signatures as one aligned 16-byte vector");

static inline unsigned int
sig_hits(const struct ct_bucket *b, uint16_t sig)
{
#if defined(__SSE2__)
	const __m128i v = _mm_load_si128((const __m128i *)(const void *)b->sigs);

	return (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi16(v, _mm_set1_epi16((short)sig)));
#else
	unsigned int e, hits = 0;

	for (e = 0; e < CT_BUCKET_ENTRIES; e++)
		if (__atomic_load_n(&b->sigs[e], __ATOMIC_RELAXED) == sig)
			hits |= 3u << (2 * e);
	return hits;
#endif
}

static inline bool
key_eq(const struct ct_key *a, const struct ct_key *b)
{
	const pm_word_t *pa = (const pm_word_t *)a, *pb = (const pm_word_t *)b;

	return ((pa[0] ^ pb[0]) | (pa[1] ^ pb[1]) | (pa[2] ^ pb[2]) | (pa[3] ^ pb[3]) |
	        (pa[4] ^ pb[4])) == 0;
}

/* A zeroed array of 'n_buckets' buckets, or NULL. */
static struct ct_arr *
arr_alloc(const struct ct_tbl *tbl, uint32_t n_buckets)
{
	struct ct_arr *a = tbl->alloc(tbl->alloc_arg,
	                              sizeof(*a) + (size_t)n_buckets * sizeof(struct ct_bucket),
	                              alignof(struct ct_bucket));
	uint32_t i;

	if (a == NULL)
		return NULL;
	memset(a, 0, sizeof(*a) + (size_t)n_buckets * sizeof(struct ct_bucket));
	a->mask = n_buckets - 1;
	for (i = 0; i < n_buckets; i++)
		rte_spinlock_init(&a->b[i].lock);
	return a;
}

static inline struct ct_arr *
arr_cur(const struct ct_tbl *tbl)
{
	/* Acquire: pairs with the release in ct_grow(); the array is initialised. */
	return __atomic_load_n(&tbl->cur, __ATOMIC_ACQUIRE);
}

/* The array keys are moving to from 'a', or NULL when 'a' is not growing. */
static inline struct ct_arr *
arr_next(const struct ct_tbl *tbl, const struct ct_arr *a)
{
	struct ct_arr *n = __atomic_load_n(&tbl->next, __ATOMIC_ACQUIRE);

	return n != a ? n : NULL;
}

struct ct_tbl *
ct_tbl_create(const struct ct_tbl_params *p)
{
	struct ct_tbl *tbl;
	uint32_t n_buckets, start;

	if (p == NULL || p->alloc == NULL || p->free == NULL ||
	    (p->n_buckets & (p->n_buckets - 1)) != 0 ||
	    (p->start_buckets & (p->start_buckets - 1)) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	tbl = p->alloc(p->alloc_arg, sizeof(*tbl), RTE_CACHE_LINE_SIZE);
	if (tbl == NULL)
		goto err_nomem;
	memset(tbl, 0, sizeof(*tbl));
	tbl->max_conns = p->max_conns ? p->max_conns : CT_DEFAULT_MAX_CONNS;
	n_buckets = p->n_buckets;
	if (n_buckets == 0) {
		/* Two keys per connection, buckets at most half full. */
		uint64_t want = (uint64_t)tbl->max_conns * 2 * 2 / CT_BUCKET_ENTRIES;

		n_buckets = 8;
		while (n_buckets < want && n_buckets < (1u << 30))
			n_buckets <<= 1;
	}
	tbl->max_mask = n_buckets - 1;
	/* Buckets at most half full (two keys per connection). */
	tbl->capacity = RTE_MAX(tbl->max_conns, n_buckets * (CT_BUCKET_ENTRIES / 4));
	start = p->start_buckets != 0 ? RTE_MIN(p->start_buckets, n_buckets) : n_buckets;
	tbl->tcp = p->tcp;
	if (p->tmo)
		tbl->pol[0] = *p->tmo;
	else
		ct_timeouts_default(&tbl->pol[0]);
	tbl->n_pol = 1;
	tbl->alloc = p->alloc;
	tbl->free = p->free;
	tbl->alloc_arg = p->alloc_arg;
	tbl->retire = p->retire;
	tbl->retire_arg = p->retire_arg;

	tbl->cur = arr_alloc(tbl, start);
	if (tbl->cur == NULL)
		goto err_free_tbl;
	tbl->zone_count = p->alloc(p->alloc_arg, CT_N_ZONES * sizeof(uint32_t) * 2,
	                           RTE_CACHE_LINE_SIZE);
	if (tbl->zone_count == NULL)
		goto err_free_buckets;
	memset(tbl->zone_count, 0, CT_N_ZONES * sizeof(uint32_t) * 2);
	tbl->zone_limit = tbl->zone_count + CT_N_ZONES;
	tbl->zone_pol = p->alloc(p->alloc_arg, CT_N_ZONES, RTE_CACHE_LINE_SIZE);
	if (tbl->zone_pol == NULL)
		goto err_free_counts;
	memset(tbl->zone_pol, 0, CT_N_ZONES);
	return tbl;

err_free_counts:
	p->free(p->alloc_arg, tbl->zone_count);
err_free_buckets:
	p->free(p->alloc_arg, tbl->cur);
err_free_tbl:
	p->free(p->alloc_arg, tbl);
err_nomem:
	rte_errno = ENOMEM;
	return NULL;
}

size_t
ct_conn_size(void)
{
	return sizeof(struct ct_conn);
}

void
ct_conn_free(struct ct_tbl *tbl, struct ct_conn *conn)
{
	if (conn != NULL)
		tbl->free(tbl->alloc_arg, conn);
}

/* Frees the connections whose original key is in 'a', then 'a'. */
static void
arr_destroy(struct ct_tbl *tbl, struct ct_arr *a)
{
	uint32_t b, e;

	for (b = 0; b <= a->mask; b++) {
		for (e = 0; e < CT_BUCKET_ENTRIES; e++) {
			uintptr_t s = a->b[b].slots[e];

			if (s != 0 && (s & 1) == CT_DIR_ORIG)
				ct_conn_free(tbl, (struct ct_conn *)s);
		}
	}
	tbl->free(tbl->alloc_arg, a);
}

void
ct_tbl_destroy(struct ct_tbl *tbl)
{
	if (tbl == NULL)
		return;
	if (arr_next(tbl, tbl->cur) != NULL)
		arr_destroy(tbl, tbl->next);
	arr_destroy(tbl, tbl->cur);
	tbl->free(tbl->alloc_arg, tbl->zone_pol);
	tbl->free(tbl->alloc_arg, tbl->zone_count);
	tbl->free(tbl->alloc_arg, tbl);
}

void
ct_zone_limit_set(struct ct_tbl *tbl, uint16_t zone, uint32_t limit)
{
	/* Relaxed: a packet racing with the change may see either limit. */
	__atomic_store_n(&tbl->zone_limit[zone], limit, __ATOMIC_RELAXED);
}

uint32_t
ct_count(const struct ct_tbl *tbl)
{
	return __atomic_load_n(&tbl->n_conns, __ATOMIC_RELAXED);
}

uint32_t
ct_zone_count(const struct ct_tbl *tbl, uint16_t zone)
{
	return __atomic_load_n(&tbl->zone_count[zone], __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------- */
/* Lookup.                                                                */

/*
 * Searches one bucket for 'key' (whose reverse is 'rkey'); lock-free.  A slot of
 * the reply direction matches when 'rkey' equals the connection's original key
 * (see struct ct_conn), so a lookup reads only the connection's first line.
 */
static struct ct_conn *
bucket_find(const struct ct_bucket *b, uint16_t sig, const struct ct_key *key,
            const struct ct_key *rkey, uint8_t *dir)
{
	unsigned int hits = sig_hits(b, sig);

	while (hits != 0) {
		const unsigned int e = (unsigned int)__builtin_ctz(hits) / 2;
		uintptr_t s;
		struct ct_conn *c;

		hits &= ~(3u << (2 * e));

		/* Acquire: pairs with the release store in bucket_put(), so the key is
		 * visible. */
		s = __atomic_load_n(&b->slots[e], __ATOMIC_ACQUIRE);
		if (s == 0)
			continue;
		c = (struct ct_conn *)(s & ~(uintptr_t)1);
		if (key_eq(&c->key_orig, (s & 1) ? rkey : key)) {
			*dir = (uint8_t)(s & 1);
			return c;
		}
	}
	return NULL;
}

static struct ct_conn *
arr_lookup(const struct ct_arr *a, const struct ct_key *key, const struct ct_key *rkey,
           uint32_t hash, uint8_t *dir)
{
	uint16_t sig = hash_sig(hash);
	uint32_t idx = hash & a->mask, i;
	const struct ct_bucket *home = &a->b[idx];
	struct ct_conn *c = bucket_find(home, sig, key, rkey, dir);

	if (c != NULL || __atomic_load_n(&home->n_displaced, __ATOMIC_RELAXED) == 0)
		return c;
	for (i = 1; i < CT_PROBE_MAX; i++) {
		c = bucket_find(&a->b[(idx + i) & a->mask], sig, key, rkey, dir);
		if (c != NULL)
			return c;
	}
	return NULL;
}

/* Looks 'key' up in 'a' (the current array as loaded by the caller) and, when the table
 * is growing, in the array keys move to (see "Growth" in ct_priv.h). */
static struct ct_conn *
lookup_from(const struct ct_tbl *tbl, const struct ct_arr *a, const struct ct_key *key,
            const struct ct_key *rkey, uint32_t hash, uint8_t *dir)
{
	struct ct_conn *c = arr_lookup(a, key, rkey, hash, dir);
	const struct ct_arr *n;

	if (c != NULL)
		return c;
	/* Acquire: an emptied slot read above (relaxed) was emptied after the key was stored
	 * in the new array (release in move_bucket()); that store is visible below. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	n = arr_next(tbl, a);
	return n != NULL ? arr_lookup(n, key, rkey, hash, dir) : NULL;
}

static struct ct_conn *
lookup_hashed(const struct ct_tbl *tbl, const struct ct_key *key, const struct ct_key *rkey,
              uint32_t hash, uint8_t *dir)
{
	return lookup_from(tbl, arr_cur(tbl), key, rkey, hash, dir);
}

/*
 * Both lines of a bucket: pass 2 reads its signatures (line 0) and the pointer of
 * the slot that matches, in line 1 for slots 4 to 7.  Prefetching line 1 too took
 * ct tcp_10k from 260 to 255 cycles a packet (11 interleaved runs a build).
 */
static inline void
prefetch_bucket(const struct ct_bucket *b)
{
	rte_prefetch0(b);
	rte_prefetch0(&b->slots[CT_BUCKET_ENTRIES - 1]);
}

/* The lines of a connection a packet of protocol 'kind' reads (struct ct_conn). */
static inline void
prefetch_conn(const struct ct_conn *c, uint8_t kind)
{
	rte_prefetch0(&c->key_orig);
	if (kind == CT_KIND_TCP)
		rte_prefetch0(&c->tcp);
	rte_prefetch0(&c->n_packets);
}

/*
 * Prefetches the connection of the first slot of the home bucket whose signature matches,
 * and returns it as a candidate (tagged pointer, 0 when none) for cand_match().
 */
static inline uintptr_t
prefetch_candidate(const struct ct_arr *a, uint32_t hash, uint8_t kind)
{
	const struct ct_bucket *b = &a->b[hash & a->mask];
	unsigned int hits = sig_hits(b, hash_sig(hash)), e;
	uintptr_t s;

	if (hits == 0)
		return 0;
	e = (unsigned int)__builtin_ctz(hits) / 2;
	/* Acquire: pairs with bucket_put(); see bucket_find(). */
	s = __atomic_load_n(&b->slots[e], __ATOMIC_ACQUIRE);
	if (s != 0)
		prefetch_conn((const struct ct_conn *)(s & ~(uintptr_t)1), kind);
	return s;
}

uint64_t
ct_lookup_bulk(const struct ct_tbl *tbl, uint64_t keys_map, const struct ct_key *const keys[],
               struct ct_conn *conns[], uint8_t dirs[])
{
	const struct ct_arr *a = arr_cur(tbl);
	uint32_t hashes[CT_BURST_MAX];
	uint64_t map, hits = 0;

	for (map = keys_map; map; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);

		hashes[i] = ct_key_hash(keys[i]);
		prefetch_bucket(&a->b[hashes[i] & a->mask]);
	}
	for (map = keys_map; map; map &= map - 1) {
		unsigned int i = (unsigned int)__builtin_ctzll(map);
		struct ct_key rkey;

		ct_key_reverse(keys[i], &rkey);
		conns[i] = lookup_from(tbl, a, keys[i], &rkey, hashes[i], &dirs[i]);
		if (conns[i] != NULL)
			hits |= UINT64_C(1) << i;
	}
	return hits;
}

/* ---------------------------------------------------------------------- */
/* Insert and delete.                                                     */

/* Stores 'slot' under 'sig' in a free entry of 'b' (whose lock is held). */
static bool
bucket_put(struct ct_bucket *b, uint16_t sig, uintptr_t slot)
{
	unsigned int e;

	for (e = 0; e < CT_BUCKET_ENTRIES; e++) {
		if (b->slots[e] != 0)
			continue;
		/* Release: the connection's immutable fields before the pointer; pairs with
		 * the acquire in bucket_find(). */
		__atomic_store_n(&b->slots[e], slot, __ATOMIC_RELEASE);
		__atomic_store_n(&b->sigs[e], sig, __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

enum put_result {
	PUT_OK,
	PUT_FULL,  /* no free slot in the probe window */
	PUT_MOVED, /* a window bucket was emptied by ct_grow(): start again in the new array */
};

/*
 * Places one key of 'c' in 'a'.  The home bucket's lock is held by the caller, as is
 * 'other' (the other key's home, may be equal); neither is moved.  Displacement buckets
 * are trylocked, and skipped when busy.
 */
static enum put_result
place_key(struct ct_arr *a, struct ct_conn *c, int dir, uint32_t other)
{
	uint32_t idx = c->hash[dir] & a->mask, i;
	uint16_t sig = hash_sig(c->hash[dir]);
	uintptr_t slot = (uintptr_t)c | (uintptr_t)dir;

	if (bucket_put(&a->b[idx], sig, slot))
		return PUT_OK;
	for (i = 1; i < CT_PROBE_MAX; i++) {
		uint32_t j = (idx + i) & a->mask;
		struct ct_bucket *b = &a->b[j];
		bool held = j == other, ok = false, moved;

		if (j == idx)
			break; /* tiny table wrapped */
		if (!held && !rte_spinlock_trylock(&b->lock))
			continue;
		moved = b->moved;
		if (!moved) {
			/* Count first, so that a reader that sees the slot walks on to it. */
			__atomic_fetch_add(&a->b[idx].n_displaced, 1, __ATOMIC_RELEASE);
			ok = bucket_put(b, sig, slot);
			if (!ok)
				__atomic_fetch_sub(&a->b[idx].n_displaced, 1, __ATOMIC_RELAXED);
		}
		if (!held)
			rte_spinlock_unlock(&b->lock);
		if (moved)
			return PUT_MOVED;
		if (ok)
			return PUT_OK;
	}
	return PUT_FULL;
}

/* Removes the slot of 'c' in direction 'dir' from 'a'; whether it was there.  No lock
 * held on entry. */
static bool
arr_remove(struct ct_arr *a, struct ct_conn *c, int dir)
{
	uint32_t idx = c->hash[dir] & a->mask, i;
	uintptr_t slot = (uintptr_t)c | (uintptr_t)dir;

	for (i = 0; i < CT_PROBE_MAX; i++) {
		struct ct_bucket *b = &a->b[(idx + i) & a->mask];
		unsigned int e;
		bool found = false;

		rte_spinlock_lock(&b->lock);
		for (e = 0; e < CT_BUCKET_ENTRIES; e++) {
			if (b->slots[e] == slot) {
				__atomic_store_n(&b->sigs[e], 0, __ATOMIC_RELAXED);
				__atomic_store_n(&b->slots[e], 0, __ATOMIC_RELEASE);
				found = true;
				break;
			}
		}
		rte_spinlock_unlock(&b->lock);
		if (found) {
			if (i > 0)
				__atomic_fetch_sub(&a->b[idx].n_displaced, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

/* Removes the slot of 'c' in direction 'dir', if linked.  No lock held on entry. */
static void
remove_key(struct ct_tbl *tbl, struct ct_conn *c, int dir)
{
	struct ct_arr *a = arr_cur(tbl), *n;

	if (arr_remove(a, c, dir))
		return;
	/* Moved to the new array (stored there before the old slot, found empty under its
	 * bucket lock, was cleared), or never placed (a failed insertion). */
	n = arr_next(tbl, a);
	if (n != NULL)
		(void)arr_remove(n, c, dir);
}

/* Locks buckets i and j of 'a', lower index first, once when equal. */
static void
lock_pair(struct ct_arr *a, uint32_t i, uint32_t j)
{
	rte_spinlock_lock(&a->b[RTE_MIN(i, j)].lock);
	if (i != j)
		rte_spinlock_lock(&a->b[RTE_MAX(i, j)].lock);
}

static void
unlock_pair(struct ct_arr *a, uint32_t i, uint32_t j)
{
	if (i != j)
		rte_spinlock_unlock(&a->b[RTE_MAX(i, j)].lock);
	rte_spinlock_unlock(&a->b[RTE_MIN(i, j)].lock);
}

static void
count_release(struct ct_tbl *tbl, uint16_t zone)
{
	__atomic_fetch_sub(&tbl->n_conns, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&tbl->zone_count[zone], 1, __ATOMIC_RELAXED);
}

/* Adds one to '*n' unless it is at 'limit' already (0 = no limit).  A compare-and-swap
 * rather than an add undone over the limit: the count never shows more than the limit,
 * not even for a moment ("ct stats" reads it), and a refusal costs a load, no write. */
static bool
count_take__(uint32_t *n, uint32_t limit)
{
	uint32_t v = __atomic_load_n(n, __ATOMIC_RELAXED);

	do {
		if (limit != 0 && v >= limit)
			return false;
	} while (!__atomic_compare_exchange_n(n, &v, v + 1, true, __ATOMIC_RELAXED,
	                                      __ATOMIC_RELAXED));
	return true;
}

/* Reserves one connection under the global and zone limits. */
static enum ct_reason
count_reserve(struct ct_tbl *tbl, uint16_t zone)
{
	uint32_t zl = __atomic_load_n(&tbl->zone_limit[zone], __ATOMIC_RELAXED);
	uint32_t max = __atomic_load_n(&tbl->max_conns, __ATOMIC_RELAXED);

	if (!count_take__(&tbl->n_conns, max))
		return CT_R_LIMIT_GLOBAL;
	if (!count_take__(&tbl->zone_count[zone], zl)) {
		__atomic_fetch_sub(&tbl->n_conns, 1, __ATOMIC_RELAXED);
		return CT_R_LIMIT_ZONE;
	}
	return CT_R_OK;
}

/*
 * Links both keys of 'c' (hashes set; 'rkey' is its reply key, ct_key_reverse() of
 * key_orig).  Returns CT_R_OK, CT_R_TABLE_FULL, or CT_R_N when either key is already
 * present (another thread won the race).
 * '*published': a key of 'c' was visible to lookups for a while, so a 'c' left
 * unlinked must be retired rather than freed.
 */
static enum ct_reason
conn_insert(struct ct_tbl *tbl, struct ct_conn *c, const struct ct_key *rkey, bool *published)
{
	*published = false;
	for (;;) {
		struct ct_arr *a = arr_cur(tbl), *n = arr_next(tbl, a), *dst;
		uint32_t o0 = c->hash[0] & a->mask, o1 = c->hash[1] & a->mask, d0, d1;
		enum put_result p0, p1 = PUT_FULL;
		enum ct_reason r = CT_R_OK;
		bool again = false;
		uint8_t dir;

		/* The old array's home buckets first, always (ct_priv.h, "Growth"). */
		lock_pair(a, o0, o1);
		if (n == NULL && (a->b[o0].moved || a->b[o1].moved)) {
			/* Growth began: ct_grow() set 'next' before it marked a bucket. */
			n = arr_next(tbl, a);
			if (n == NULL) {
				unlock_pair(a, o0, o1);
				continue;
			}
		}
		dst = n != NULL ? n : a;
		d0 = c->hash[0] & dst->mask;
		d1 = c->hash[1] & dst->mask;
		if (n != NULL)
			lock_pair(n, d0, d1);
		if (lookup_from(tbl, a, &c->key_orig, rkey, c->hash[0], &dir) != NULL ||
		    lookup_from(tbl, a, rkey, &c->key_orig, c->hash[1], &dir) != NULL) {
			r = CT_R_N;
		} else {
			p0 = place_key(dst, c, 0, d1);
			if (p0 == PUT_OK) {
				*published = true;
				p1 = place_key(dst, c, 1, d0);
			}
			again = p0 == PUT_MOVED || p1 == PUT_MOVED;
			if (p0 != PUT_OK || p1 != PUT_OK)
				r = CT_R_TABLE_FULL;
		}
		if (n != NULL)
			unlock_pair(n, d0, d1);
		unlock_pair(a, o0, o1);
		if (r != CT_R_TABLE_FULL)
			return r;
		remove_key(tbl, c, 0); /* no-op when key 0 was not placed */
		if (!again)
			return r;
		/* A displacement bucket had moved: again, into the new array. */
	}
}

/*
 * Moves the keys stored in bucket 'i' of 'a' to 'n' (ct_grow()) and marks the bucket
 * moved.  Returns how many found no slot in 'n': they stay, and lookups still find them.
 */
static uint32_t
move_bucket(struct ct_arr *a, struct ct_arr *n, uint32_t i)
{
	struct ct_bucket *b = &a->b[i];
	uint32_t left = 0;
	unsigned int e;

	rte_spinlock_lock(&b->lock);
	b->moved = 1;
	for (e = 0; e < CT_BUCKET_ENTRIES; e++) {
		uintptr_t s = b->slots[e];
		struct ct_conn *c = (struct ct_conn *)(s & ~(uintptr_t)1);
		int dir = (int)(s & 1);
		uint32_t h, home;
		bool ok;

		if (s == 0)
			continue;
		/* The connection is linked (its slot is here, under the lock): not freed. */
		h = c->hash[dir];
		home = h & n->mask;
		rte_spinlock_lock(&n->b[home].lock); /* old before new */
		ok = place_key(n, c, dir, home) == PUT_OK;
		rte_spinlock_unlock(&n->b[home].lock);
		if (!ok) {
			left++;
			continue;
		}
		/* Release: the key is in 'n' before a lookup sees this slot empty and goes on
		 * to 'n' (lookup_from()). */
		__atomic_store_n(&b->sigs[e], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&b->slots[e], 0, __ATOMIC_RELEASE);
		if ((h & a->mask) != i)
			__atomic_fetch_sub(&a->b[h & a->mask].n_displaced, 1, __ATOMIC_RELAXED);
	}
	rte_spinlock_unlock(&b->lock);
	return left;
}

bool
ct_grow_wanted(const struct ct_tbl *tbl)
{
	const struct ct_arr *a = arr_cur(tbl);
	uint64_t keys = 2 * (uint64_t)ct_count(tbl);

	if (arr_next(tbl, a) != NULL)
		return true; /* keys left by the last ct_grow() */
	/* Over a quarter full: most keys still sit in their home bucket. */
	return a->mask < tbl->max_mask && keys * 4 > ((uint64_t)a->mask + 1) * CT_BUCKET_ENTRIES;
}

int
ct_grow(struct ct_tbl *tbl, ct_sync_fn *sync, void *sync_arg)
{
	struct ct_arr *a = tbl->cur, *n = arr_next(tbl, a);
	uint32_t i, left = 0;

	if (n == NULL) {
		uint64_t keys = 2 * (uint64_t)ct_count(tbl);
		uint64_t nb = ((uint64_t)a->mask + 1) * 2;

		if (!ct_grow_wanted(tbl))
			return 0;
		/* Twice the size, or more when that would still be over a quarter full (the
		 * table filled faster than it grew). */
		while (nb <= tbl->max_mask && keys * 4 > nb * CT_BUCKET_ENTRIES)
			nb *= 2;
		n = arr_alloc(tbl, (uint32_t)RTE_MIN(nb, (uint64_t)tbl->max_mask + 1));
		if (n == NULL)
			return -ENOMEM;
		/* Release: the array is initialised before a thread that loads 'next' uses it. */
		__atomic_store_n(&tbl->next, n, __ATOMIC_RELEASE);
	}
	for (i = 0; i <= a->mask; i++)
		left += move_bucket(a, n, i);
	if (left != 0)
		return -EAGAIN;
	__atomic_store_n(&tbl->cur, n, __ATOMIC_RELEASE);
	/* Readers that loaded the old array as 'cur' look on in 'next' (== n): after a
	 * grace period there are none, and nothing reaches the old array. */
	sync(sync_arg);
	__atomic_store_n(&tbl->next, NULL, __ATOMIC_RELEASE);
	tbl->free(tbl->alloc_arg, a);
	return 1;
}

uint32_t
ct_n_buckets(const struct ct_tbl *tbl)
{
	return arr_cur(tbl)->mask + 1;
}

uint32_t
ct_n_buckets_max(const struct ct_tbl *tbl)
{
	return tbl->max_mask + 1;
}

/* Frees an unlinked connection after readers are done with it (the retire hook), or now. */
static void
conn_retire(struct ct_tbl *tbl, struct ct_conn *c)
{
	if (tbl->retire != NULL)
		tbl->retire(tbl->retire_arg, tbl, c);
	else
		ct_conn_free(tbl, c);
}

/* Unlinks 'c', which the caller marked dead under its lock, and retires it. */
static void
conn_unlink(struct ct_tbl *tbl, struct ct_conn *c)
{
	remove_key(tbl, c, 0);
	remove_key(tbl, c, 1);
	count_release(tbl, c->key_orig.zone);
	conn_retire(tbl, c);
}

void
ct_conn_get_info(struct ct_conn *conn, struct ct_conn_info *info)
{
	info->key[CT_DIR_ORIG] = conn->key_orig;
	ct_key_reverse(&conn->key_orig, &info->key[CT_DIR_REPLY]);
	rte_spinlock_lock(&conn->lock);
	info->expiry = conn->expiry;
	info->mark = conn->mark;
	memcpy(info->label, conn->label, sizeof(info->label));
	info->proto_state = conn->kind == CT_KIND_TCP ? conn->tcp.state : conn->simple.state;
	memcpy(info->n_packets, conn->n_packets, sizeof(info->n_packets));
	memcpy(info->n_bytes, conn->n_bytes, sizeof(info->n_bytes));
	rte_spinlock_unlock(&conn->lock);
}

/* Slot 'pos' of the table: of the current array, then (growing) of the next one; NULL
 * past the end. */
static const uintptr_t *
slot_at(const struct ct_tbl *tbl, uint64_t pos)
{
	const struct ct_arr *a = arr_cur(tbl);
	uint64_t n_slots = ((uint64_t)a->mask + 1) * CT_BUCKET_ENTRIES;

	if (pos >= n_slots) {
		pos -= n_slots;
		a = arr_next(tbl, a);
		if (a == NULL || pos >= ((uint64_t)a->mask + 1) * CT_BUCKET_ENTRIES)
			return NULL;
	}
	return &a->b[pos / CT_BUCKET_ENTRIES].slots[pos % CT_BUCKET_ENTRIES];
}

uint32_t
ct_sweep(struct ct_tbl *tbl, uint64_t now, uint32_t budget)
{
	uint32_t n_expired = 0;

	while (budget-- > 0) {
		const uintptr_t *sp = slot_at(tbl, tbl->sweep_pos);
		uintptr_t s;

		if (sp == NULL) {
			tbl->sweep_pos = 0;
			continue;
		}
		/* Acquire: pairs with bucket_put(); the connection is readable. */
		s = __atomic_load_n(sp, __ATOMIC_ACQUIRE);
		tbl->sweep_pos++;
		if (s != 0 && (s & 1) == CT_DIR_ORIG) {
			struct ct_conn *c = (struct ct_conn *)s;
			bool expire;

			rte_spinlock_lock(&c->lock);
			expire = !c->dead && c->expiry <= now;
			if (expire)
				c->dead = 1;
			rte_spinlock_unlock(&c->lock);
			if (expire) {
				conn_unlink(tbl, c);
				n_expired++;
			}
		}
	}
	return n_expired;
}

/* ---------------------------------------------------------------------- */
/* Control: limits, timeouts, iteration, flush.                           */

uint32_t
ct_max_conns(const struct ct_tbl *tbl)
{
	return __atomic_load_n(&tbl->max_conns, __ATOMIC_RELAXED);
}

uint32_t
ct_capacity(const struct ct_tbl *tbl)
{
	return tbl->capacity;
}

int
ct_max_conns_set(struct ct_tbl *tbl, uint32_t max)
{
	if (max == 0 || max > tbl->capacity)
		return -EINVAL;
	/* Relaxed: count_reserve() may see the old or the new limit for a while. */
	__atomic_store_n(&tbl->max_conns, max, __ATOMIC_RELAXED);
	return 0;
}

void
ct_tcp_cfg_set(struct ct_tbl *tbl, const struct ct_tcp_cfg *cfg)
{
	/* Relaxed, one flag at a time: a packet in flight sees the old or the new value. */
	__atomic_store_n(&tbl->tcp.loose, cfg->loose, __ATOMIC_RELAXED);
	__atomic_store_n(&tbl->tcp.be_liberal, cfg->be_liberal, __ATOMIC_RELAXED);
}

void
ct_tcp_cfg_get(const struct ct_tbl *tbl, struct ct_tcp_cfg *cfg)
{
	cfg->loose = __atomic_load_n(&tbl->tcp.loose, __ATOMIC_RELAXED);
	cfg->be_liberal = __atomic_load_n(&tbl->tcp.be_liberal, __ATOMIC_RELAXED);
}

uint32_t
ct_zone_limit(const struct ct_tbl *tbl, uint16_t zone)
{
	return __atomic_load_n(&tbl->zone_limit[zone], __ATOMIC_RELAXED);
}

/* One name a line (clang-format would pack two). */
/* clang-format off */
static const char *const tmo_names[CT_TMO_N] = {
	[CT_TMO_TCP_SYN_SENT] = "tcp_syn_sent",
	[CT_TMO_TCP_SYN_RECV] = "tcp_syn_recv",
	[CT_TMO_TCP_ESTABLISHED] = "tcp_established",
	[CT_TMO_TCP_FIN_WAIT] = "tcp_fin_wait",
	[CT_TMO_TCP_CLOSE_WAIT] = "tcp_close_wait",
	[CT_TMO_TCP_LAST_ACK] = "tcp_last_ack",
	[CT_TMO_TCP_TIME_WAIT] = "tcp_time_wait",
	[CT_TMO_TCP_CLOSE] = "tcp_close",
	[CT_TMO_TCP_SYN_SENT2] = "tcp_syn_sent2",
	[CT_TMO_UDP_FIRST] = "udp_first",
	[CT_TMO_UDP_SINGLE] = "udp_single",
	[CT_TMO_UDP_MULTIPLE] = "udp_multiple",
	[CT_TMO_ICMP_FIRST] = "icmp_first",
	[CT_TMO_ICMP_REPLY] = "icmp_reply",
	[CT_TMO_OTHER_FIRST] = "other_first",
	[CT_TMO_OTHER_SINGLE] = "other_single",
	[CT_TMO_OTHER_MULTIPLE] = "other_multiple",
};
/* clang-format on */

const char *
ct_tmo_name(enum ct_tmo t)
{
	return (unsigned int)t < CT_TMO_N ? tmo_names[t] : "unknown";
}

int
ct_tmo_by_name(const char *name)
{
	int i;

	for (i = 0; i < CT_TMO_N; i++)
		if (strcmp(name, tmo_names[i]) == 0)
			return i;
	return -1;
}

void
ct_timeouts_get(const struct ct_tbl *tbl, int zone, struct ct_timeouts *t)
{
	unsigned int k = zone < 0 ? 0 : __atomic_load_n(&tbl->zone_pol[zone], __ATOMIC_RELAXED);
	unsigned int i;

	for (i = 0; i < CT_TMO_N; i++)
		t->sec[i] = __atomic_load_n(&tbl->pol[k].sec[i], __ATOMIC_RELAXED);
}

bool
ct_zone_has_timeouts(const struct ct_tbl *tbl, uint16_t zone)
{
	return __atomic_load_n(&tbl->zone_pol[zone], __ATOMIC_RELAXED) != 0;
}

int
ct_timeouts_set(struct ct_tbl *tbl, int zone, const struct ct_timeouts *t)
{
	unsigned int k = 0, i;

	if (zone >= CT_N_ZONES)
		return -EINVAL;
	if (zone >= 0) {
		k = tbl->zone_pol[zone];
		if (k == 0) {
			if (tbl->n_pol == CT_TMO_POLICIES_MAX)
				return -ENOSPC;
			k = tbl->n_pol++;
		}
	}
	/* Relaxed stores: packets read each value whole (aligned words), old or new. */
	for (i = 0; i < CT_TMO_N; i++)
		__atomic_store_n(&tbl->pol[k].sec[i], t->sec[i], __ATOMIC_RELAXED);
	if (zone >= 0)
		/* Release: the policy's values before the index that points at them; packets
		 * load the index relaxed, so a packet may still use the old policy once. */
		__atomic_store_n(&tbl->zone_pol[zone], (uint8_t)k, __ATOMIC_RELEASE);
	return 0;
}

const struct ct_key *
ct_conn_key(const struct ct_conn *conn)
{
	return &conn->key_orig;
}

struct ct_conn *
ct_iter_next(const struct ct_tbl *tbl, uint64_t *pos)
{
	const uintptr_t *sp;

	while ((sp = slot_at(tbl, *pos)) != NULL) {
		/* Acquire: pairs with bucket_put(); the connection's key is readable. */
		uintptr_t s = __atomic_load_n(sp, __ATOMIC_ACQUIRE);

		(*pos)++;
		if (s != 0 && (s & 1) == CT_DIR_ORIG)
			return (struct ct_conn *)s;
	}
	return NULL;
}

bool
ct_conn_kill(struct ct_tbl *tbl, struct ct_conn *conn)
{
	bool kill;

	rte_spinlock_lock(&conn->lock);
	kill = !conn->dead;
	if (kill)
		conn->dead = 1;
	rte_spinlock_unlock(&conn->lock);
	if (kill)
		conn_unlink(tbl, conn);
	return kill;
}

/* ---------------------------------------------------------------------- */
/* The ct() action.                                                       */

/* What a packet carries besides its key. */
struct pkt_info {
	struct ct_key key;
	struct ct_key rkey; /* ct_key_reverse(key), when 'rkeyed' */
	uintptr_t cand;     /* prefetch_candidate() of pass 2 */
	uint32_t hash;      /* ct_key_hash(&key), when 'hashed' */
	uint32_t rhash;     /* ct_key_hash(&rkey), when 'rhashed' */
	bool hashed;
	bool rhashed;
	bool rkeyed;
	enum ct_reason reason; /* CT_R_OK when trackable */
	bool icmp_err;
	bool icmp_reply; /* ICMP query reply type */
	uint8_t kind;
	bool fast;    /* hint_fast() matched: nothing above is set yet (pkt_prepare_late()) */
	uint8_t fdir; /* the direction it matched, when 'fast' */
	struct ct_tcp_seg seg;
};

/* Fills 'pi'; its hash only with 'hash' (a packet with a hint needs it only if the hint
 * fails: pkt_hash()).  The reverse key waits until a lookup, a reply-direction
 * candidate or a creation needs it (pkt_rkey()): an original-direction packet of a
 * connection found by its candidate never does. */
static __rte_always_inline void
pkt_prepare(const struct ct_pkt *pkt, uint16_t zone, struct pkt_info *pi, bool hash)
{
	const uint8_t af = ct_af_of(pkt->key);

	/* The ports fast path inline (as a call, with its dispatch, it was about 20 more
	 * instructions a packet). */
	if (likely(ct_key_is_ports(pkt->key, af))) {
		pi->reason = ct_key_extract_ports(pkt, zone, af, &pi->key);
		pi->icmp_err = false;
	} else {
		pi->reason = ct_key_extract(pkt, zone, &pi->key, &pi->icmp_err);
	}
	pi->hashed = hash;
	pi->rhashed = false;
	pi->rkeyed = false;
	if (hash)
		pi->hash = ct_key_hash(&pi->key);
	pi->icmp_reply = false;
	switch (pi->key.proto) {
	case 6:
		pi->kind = CT_KIND_TCP;
		if (pi->reason == CT_R_OK && !pi->icmp_err &&
		    ct_tcp_parse_seg_inline(pkt->l4, pkt->l4_len, &pi->seg) != 0)
			pi->reason = CT_R_TCP_TRUNC;
		break;
	case 17:
	case 136:
		pi->kind = CT_KIND_UDP;
		break;
	case 1:
	case 58:
		pi->kind = CT_KIND_ICMP;
		if (pi->reason == CT_R_OK && !pi->icmp_err) {
			uint8_t type = (uint8_t)(rte_be_to_cpu_16(pi->key.dport) >> 8);

			pi->icmp_reply = pi->key.proto == 58 ? type == 129 :
			                                       (type == 0 || type == 14 ||
			                                        type == 16 || type == 18);
		}
		break;
	default:
		pi->kind = CT_KIND_OTHER;
		break;
	}
}

static inline const struct ct_key *
pkt_rkey(struct pkt_info *pi)
{
	if (!pi->rkeyed) {
		ct_key_reverse(&pi->key, &pi->rkey);
		pi->rkeyed = true;
	}
	return &pi->rkey;
}

/*
 * key_eq(orig, reverse of 'k') for a key whose reverse swaps the addresses and
 * the ports (not ICMP), without building the reverse: compared in place it
 * costs about a third of ct_key_reverse() and key_eq() (25 instructions less
 * for a reply-direction packet).
 */
static inline bool
key_eq_swapped(const struct ct_key *orig, const struct ct_key *k)
{
	const pm_word_t *po = (const pm_word_t *)orig, *pk = (const pm_word_t *)k;

	return ((po[0] ^ pk[2]) | (po[1] ^ pk[3]) | (po[2] ^ pk[0]) | (po[3] ^ pk[1]) |
	        (po[4] ^ ct_key_tail_swap_ports(pk[4]))) == 0;
}

/* The connection of candidate 's' when its key is the packet's (in the direction the
 * slot says), else NULL. */
static inline struct ct_conn *
cand_match(uintptr_t s, struct pkt_info *pi, uint8_t *dir)
{
	struct ct_conn *c = (struct ct_conn *)(s & ~(uintptr_t)1);
	bool eq;

	if (s == 0)
		return NULL;
	if (!(s & 1))
		eq = key_eq(&c->key_orig, &pi->key);
	else if (pi->kind != CT_KIND_ICMP)
		eq = key_eq_swapped(&c->key_orig, &pi->key);
	else
		eq = key_eq(&c->key_orig, pkt_rkey(pi));
	if (!eq)
		return NULL;
	*dir = (uint8_t)(s & 1);
	return c;
}

/* The hash and the reverse key, for a lookup. */
static inline void
pkt_hash(struct pkt_info *pi)
{
	if (!pi->hashed) {
		pi->hash = ct_key_hash(&pi->key);
		pi->hashed = true;
	}
	(void)pkt_rkey(pi);
}

/* The result of a packet that cannot be tracked (pi->reason says why). */
static inline void
untrackable(const struct pkt_info *pi, struct ct_result *r)
{
	r->reason = (uint8_t)pi->reason;
	r->ct_state = pi->reason == CT_R_NOT_IP ? 0 : PM_CS_TRACKED | PM_CS_INVALID;
}

/*
 * pkt_prepare() for a packet that hint_fast() let skip it and whose hint then failed.
 * @return false when the packet cannot be tracked ('r' says why, as pass 3 does).
 */
static bool
pkt_prepare_late(const struct ct_pkt *pkt, uint16_t zone, struct pkt_info *pi, struct ct_result *r)
{
	pkt_prepare(pkt, zone, pi, true);
	pi->fast = false;
	pi->cand = 0;
	if (pi->reason == CT_R_OK)
		return true;
	untrackable(pi, r);
	return false;
}

/*
 * Hint 'c' (struct ct_order) when its key is the packet's in either direction, else NULL.
 * A live connection is the one a lookup finds (one per key); exec_existing() checks 'dead'.
 */
static inline struct ct_conn *
hint_match(struct ct_conn *c, struct pkt_info *pi, uint8_t *dir)
{
	if (key_eq(&c->key_orig, &pi->key)) {
		*dir = CT_DIR_ORIG;
		return c;
	}
	if (key_eq(&c->key_orig, pkt_rkey(pi))) {
		*dir = CT_DIR_REPLY;
		return c;
	}
	return NULL;
}

/* Whether the flow key alone says a packet's connection key (hint_fast()): TCP, UDP and
 * SCTP over IPv4 or IPv6, not fragments ('af' is ct_af_of(pk)). */
static inline bool
hint_keyed(const struct pm_key *pk, uint8_t af)
{
	uint8_t proto = pk->nw_proto;

	return af != 0 && !(pk->nw_frag & PM_FRAG_ANY) &&
	       (proto == 6 || proto == 17 || proto == 132);
}

/*
 * hint_match() from the flow key alone, for the packets whose connection key is the
 * flow key's addresses and ports (TCP, UDP, SCTP; IPv4 and IPv6; not fragments):
 * without extracting the key, as a recirculated ct() on a hinted packet needs it only
 * to confirm the hint.  false when the key says no or cannot say (other protocols):
 * the caller then extracts the key (pkt_prepare()) and uses hint_match().
 */
static inline bool
hint_fast(const struct ct_conn *c, const struct pm_key *pk, uint16_t zone, uint8_t *dir)
{
	const pm_word_t *o = (const pm_word_t *)&c->key_orig;
	uint8_t af = ct_af_of(pk), proto = pk->nw_proto;
	uint64_t s0, s1 = 0, d0, d1 = 0;

	if (!hint_keyed(pk, af))
		return false;
	if (af == 4) {
		s0 = pk->nw_src;
		d0 = pk->nw_dst;
	} else {
		memcpy(&s0, pk->ipv6_src, 8);
		memcpy(&s1, pk->ipv6_src + 8, 8);
		memcpy(&d0, pk->ipv6_dst, 8);
		memcpy(&d1, pk->ipv6_dst + 8, 8);
	}
	if (((o[0] ^ s0) | (o[1] ^ s1) | (o[2] ^ d0) | (o[3] ^ d1) |
	     (o[4] ^ ct_key_tail(pk->tp_src, pk->tp_dst, zone, proto, af))) == 0) {
		*dir = CT_DIR_ORIG;
		return true;
	}
	/* The reply direction: addresses and ports swapped (ct_key_reverse()). */
	if (((o[0] ^ d0) | (o[1] ^ d1) | (o[2] ^ s0) | (o[3] ^ s1) |
	     (o[4] ^ ct_key_tail(pk->tp_dst, pk->tp_src, zone, proto, af))) == 0) {
		*dir = CT_DIR_REPLY;
		return true;
	}
	return false;
}

/* ct_order.find_waits: a value of the packet's connection key equal in both directions
 * (ICMP queries without their identifier and type, as a reply's type differs; an ICMP
 * error's key is the connection it quotes). */
static inline uint32_t
conn_sym_hash(const struct pkt_info *pi)
{
	const pm_word_t *w = (const pm_word_t *)&pi->key;
	const uint64_t t = w[4]; /* ports, then zone, protocol, family (ct_key_tail()) */
	const uint64_t ports = pi->kind == CT_KIND_ICMP ? 0 : (t ^ t >> 16) & 0xffff;
	const uint64_t x = w[0] ^ w[1] ^ w[2] ^ w[3] ^ (t & ~UINT64_C(0xffffffff)) ^ ports;

	return (uint32_t)((x * UINT64_C(0x9e3779b97f4a7c15)) >> 32);
}

/* A TCP SYN or RST, which a later commit on its connection may not let go (it may
 * end or reopen the connection). */
static inline bool
syn_or_rst(const struct pkt_info *pi)
{
	return pi->kind == CT_KIND_TCP && pi->reason == CT_R_OK && !pi->icmp_err &&
	       (pi->seg.flags & (CT_TCP_RST | CT_TCP_SYN)) != 0;
}

/* ct_order.find_waits: whether packet i has the connection of one of the earlier
 * packets 'held' (bit k: pi[k]), which hold it back (a hash collision only stops early).
 * Off the fast path: only when such packets exist. */
static __rte_noinline bool
held_back(const struct pkt_info pi[], uint16_t i, uint64_t held, uint32_t sym[], uint64_t *known)
{
	uint64_t todo = held & ~*known;
	uint32_t h;

	if (pi[i].reason != CT_R_OK)
		return false; /* not tracked: nothing to wait for */
	/* sym[k] is conn_sym_hash(&pi[k]) where *known has bit k: each computed once. */
	for (*known |= todo; todo != 0; todo &= todo - 1) {
		const unsigned int k = (unsigned int)__builtin_ctzll(todo);

		sym[k] = conn_sym_hash(&pi[k]);
	}
	h = conn_sym_hash(&pi[i]);
	for (; held != 0; held &= held - 1)
		if (sym[__builtin_ctzll(held)] == h)
			return true;
	return false;
}

/* Whether an earlier packet's result 'e' lets a later packet of its connection, 'pi',
 * be tracked before the earlier one's later ct() calls (struct ct_order). */
static inline bool
lets_go(const struct ct_order *ord, const struct ct_result *e, const struct pkt_info *pi)
{
	const unsigned int s = e->ct_state & 63;

	return (ord->safe >> s & 1) ||
	       (e->conn != NULL && (ord->safe_if_conn >> s & 1) && !syn_or_rst(pi));
}

/* What every packet of a ct_execute_burst() call shares. */
struct exec_ctx {
	struct ct_tbl *tbl;
	struct ct_thread_stats *st;
	const struct ct_exec_opts *o;
	uint64_t now;
};

/* Runs the tracker of 'kind' on a connection's state; 'tbl' gives options. */
static __rte_always_inline struct ct_verdict
track(const struct ct_tbl *tbl, struct ct_conn *c, int dir, const struct pkt_info *pi)
{
	switch (c->kind) {
	case CT_KIND_TCP:
		return ct_tcp_track(&c->tcp, dir, &pi->seg, &tbl->tcp);
	case CT_KIND_ICMP:
		return ct_icmp_update(&c->simple, dir, pi->icmp_reply);
	default:
		return ct_udp_update(&c->simple, dir);
	}
}

static __rte_always_inline uint32_t
conn_timeout(const struct ct_tbl *tbl, const struct ct_conn *c)
{
	/* Relaxed: pairs with the relaxed store in ct_timeouts_set(); either policy is fine. */
	const struct ct_timeouts *t = &tbl->pol[__atomic_load_n(&tbl->zone_pol[c->key_orig.zone],
	                                                        __ATOMIC_RELAXED)];

	switch (c->kind) {
	case CT_KIND_TCP:
		return ct_tcp_timeout(&c->tcp, t);
	case CT_KIND_ICMP:
		return ct_icmp_timeout(&c->simple, t);
	case CT_KIND_UDP:
		return ct_udp_timeout(&c->simple, t);
	default:
		return ct_other_timeout(&c->simple, t);
	}
}

/* Applies the action's mark/label to 'c' (lock held) and copies them to 'res'. */
static __rte_always_inline void
conn_meta(struct ct_conn *c, const struct ct_exec_opts *o, struct ct_result *res)
{
	unsigned int i;

	if (o->commit && o->set_mark)
		c->mark = (c->mark & ~o->mark_mask) | (o->mark_val & o->mark_mask);
	if (o->commit && o->set_label)
		for (i = 0; i < sizeof(c->label); i++)
			c->label[i] = (uint8_t)((c->label[i] & ~o->label_mask[i]) |
			                        (o->label_val[i] & o->label_mask[i]));
	res->mark = c->mark;
	memcpy(res->label, c->label, sizeof(res->label));
}

/* The ct_state of a valid verdict 'v' in direction 'dir': +new for CT_V_NEW, else +est,
 * from the values rather than two tests (the asserts pin them). */
_Static_assert(PM_CS_ESTABLISHED == PM_CS_NEW + 1, "state_bits(): +est from +new");
_Static_assert(CT_DIR_ORIG == 0 && CT_DIR_REPLY == 1 && PM_CS_REPLY_DIR == 1u << 3,
               "state_bits(): +rpl from the direction");

static inline uint8_t
state_bits(enum ct_v v, int dir)
{
	return (uint8_t)(PM_CS_TRACKED | (PM_CS_NEW + (v != CT_V_NEW)) | (unsigned int)dir << 3);
}

/*
 * Tracks a packet on existing connection 'c'.  Returns false when 'c' turned
 * out dead, timed out, or the packet reopened it (the caller then looks up
 * again / creates).
 */
static __rte_always_inline bool
exec_existing(const struct exec_ctx *x, struct ct_conn *c, int dir, const struct pkt_info *pi,
              const struct ct_pkt *pkt, struct ct_result *res)
{
	struct ct_tbl *tbl = x->tbl;
	const struct ct_exec_opts *o = x->o;
	uint64_t now = x->now;

	struct ct_verdict v;

	rte_spinlock_lock(&c->lock);
	if (c->dead) {
		rte_spinlock_unlock(&c->lock);
		return false;
	}
	if (c->expiry <= now) {
		/* Timed out but not swept yet: gone for this packet as for the sweeper. */
		c->dead = 1;
		rte_spinlock_unlock(&c->lock);
		conn_unlink(tbl, c);
		x->st->n_expired++;
		return false;
	}
	if (pi->icmp_err) {
		/* Related: the connection is neither advanced nor counted (as nf_conntrack). */
		conn_meta(c, o, res);
		rte_spinlock_unlock(&c->lock);
		res->ct_state = (uint8_t)(PM_CS_TRACKED | PM_CS_RELATED |
		                          (dir == CT_DIR_ORIG ? PM_CS_REPLY_DIR : 0));
		res->conn = c;
		return true;
	}
	v = track(tbl, c, dir, pi);
	if (v.v == CT_V_REOPEN) {
		c->dead = 1;
		rte_spinlock_unlock(&c->lock);
		conn_unlink(tbl, c);
		x->st->n_reopened++;
		return false;
	}
	res->reason = v.reason;
	if (v.v == CT_V_INV) {
		rte_spinlock_unlock(&c->lock);
		res->ct_state = PM_CS_TRACKED | PM_CS_INVALID;
		return true;
	}
	/* Ignored segments pass without refreshing the timeout or counting (ct.h). */
	if (v.reason != CT_R_TCP_IGNORED) {
		c->expiry = now + (uint64_t)conn_timeout(tbl, c) * 1000;
		c->n_packets[dir]++;
		c->n_bytes[dir] += pkt->pkt_len;
	}
	conn_meta(c, o, res);
	if (v.v == CT_V_DELETE) {
		/* TCP RST before any reply: valid, then the connection is gone. */
		c->dead = 1;
		rte_spinlock_unlock(&c->lock);
		conn_unlink(tbl, c);
		x->st->n_deleted++;
		res->ct_state = state_bits(dir == CT_DIR_ORIG ? CT_V_NEW : CT_V_EST, dir);
		/* Readable until the retire hook's grace period; freed already without one. */
		res->conn = tbl->retire != NULL ? c : NULL;
		return true;
	}
	rte_spinlock_unlock(&c->lock);
	res->ct_state = state_bits(v.v, dir);
	res->conn = c;
	return true;
}

/*
 * Tracks a packet with no connection.  Returns false when a concurrent
 * insert won (the caller looks up again).
 */
static bool
exec_new(const struct exec_ctx *x, const struct pkt_info *pi, const struct ct_pkt *pkt,
         struct ct_result *res)
{
	struct ct_tbl *tbl = x->tbl;
	const struct ct_exec_opts *o = x->o;
	uint64_t now = x->now;

	struct ct_conn tmp, *c;
	struct ct_verdict v;
	enum ct_reason r;
	bool published;

	res->ct_state = PM_CS_TRACKED | PM_CS_INVALID;
	if (pi->icmp_err) {
		res->reason = CT_R_ICMP_NO_CONN;
		return true;
	}
	memset(&tmp.tcp, 0, sizeof(tmp.tcp));
	memset(&tmp.simple, 0, sizeof(tmp.simple));
	tmp.kind = pi->kind;
	v = track(tbl, &tmp, CT_DIR_ORIG, pi);
	res->reason = v.reason;
	if (v.v == CT_V_INV)
		return true;
	res->ct_state = state_bits(v.v, CT_DIR_ORIG);
	if (!o->commit)
		return true;

	r = count_reserve(tbl, o->zone);
	if (r != CT_R_OK) {
		res->reason = r;
		res->ct_state = PM_CS_TRACKED | PM_CS_INVALID;
		return true;
	}
	c = tbl->alloc(tbl->alloc_arg, sizeof(*c), alignof(struct ct_conn));
	if (c == NULL) {
		count_release(tbl, o->zone);
		res->reason = CT_R_NO_MEM;
		res->ct_state = PM_CS_TRACKED | PM_CS_INVALID;
		return true;
	}
	RTE_ASSERT(pi->rkeyed); /* a creation follows a lookup (pkt_hash()) */
	memset(c, 0, sizeof(*c));
	c->key_orig = pi->key;
	c->hash[0] = pi->hash;
	c->hash[1] = pi->rhashed ? pi->rhash : ct_key_hash(&pi->rkey);
	c->kind = pi->kind;
	rte_spinlock_init(&c->lock);
	if (c->kind == CT_KIND_TCP)
		c->tcp = tmp.tcp;
	else
		c->simple = tmp.simple;
	c->expiry = now + (uint64_t)conn_timeout(tbl, c) * 1000;
	c->n_packets[0] = 1;
	c->n_bytes[0] = pkt->pkt_len;
	conn_meta(c, o, res);

	r = conn_insert(tbl, c, &pi->rkey, &published);
	if (r != CT_R_OK) {
		count_release(tbl, o->zone);
		if (r == CT_R_N) {
			if (published)
				conn_retire(tbl, c);
			else
				ct_conn_free(tbl, c); /* never visible */
			return false;
		}
		conn_retire(tbl, c); /* its first key may have been visible for a moment */
		res->reason = r;
		res->ct_state = PM_CS_TRACKED | PM_CS_INVALID;
		return true;
	}
	x->st->n_created++;
	res->conn = c;
	return true;
}

/*
 * A hinted packet whose hint 'c' (direction 'dir') is what its previous ct() in this
 * zone found: that ct() tracked it already (its flow key 'k' carries the result), so, as the
 * kernel datapath does with an skb's cached conntrack entry, it is neither tracked nor
 * counted again; a commit with exec still applies the mark and label.  Returns false
 * (the caller tracks the packet) when the key does not say so or 'c' is gone.
 */
static __rte_always_inline bool
exec_cached(const struct exec_ctx *x, struct ct_conn *c, int dir, const struct pm_key *k,
            struct ct_result *res)
{
	const struct ct_exec_opts *o = x->o;

	if (!ct_tracked_in(o, k->ct_zone, k->ct_state) ||
	    ((k->ct_state & PM_CS_REPLY_DIR) != 0) != (dir == CT_DIR_REPLY))
		return false;
	if (ct_opts_exec(o)) {
		rte_spinlock_lock(&c->lock);
		if (c->dead || c->expiry <= x->now) {
			rte_spinlock_unlock(&c->lock);
			return false;
		}
		conn_meta(c, o, res);
		rte_spinlock_unlock(&c->lock);
	} else {
		/* Unlocked: a connection deleted or timed out meanwhile is tracked as such. */
		if (__atomic_load_n(&c->dead, __ATOMIC_RELAXED) ||
		    __atomic_load_n(&c->expiry, __ATOMIC_RELAXED) <= x->now)
			return false;
		res->mark = k->ct_mark;
		memcpy(res->label, k->ct_label, sizeof(res->label));
	}
	res->ct_state = k->ct_state;
	res->reason = CT_R_OK;
	res->conn = c;
	res->hash = 0; /* not hashed: skipped with the lookup */
	return true;
}

bool
ct_execute_cached(struct ct_ctx *ctx, const struct ct_exec_opts *opts, const struct pm_key *key,
                  struct ct_conn *c, uint64_t now, struct ct_result *res)
{
	struct exec_ctx x = { .tbl = ctx->tbl, .st = &ctx->stats, .o = opts, .now = now };
	const uint8_t dir = (key->ct_state & PM_CS_REPLY_DIR) != 0 ? CT_DIR_REPLY : CT_DIR_ORIG;

	/* 'c' is what the key's previous ct() found for this very tuple (the caller's
	 * promise, as the kernel trusts an skb's cached entry): hint_fast()'s compare of the
	 * tuple would only confirm it (about 25 instructions a packet).  Its protocols only:
	 * the others take the full path, hint_match() included. */
	if (!hint_keyed(key, ct_af_of(key)))
		return false;
	/* No memset: exec_cached() sets every field of 'res' when it returns true. */
	if (!exec_cached(&x, c, dir, key, res))
		return false;
	ctx->stats.n_reason[CT_R_OK]++;
	return true;
}

bool
ct_pkt_stays_established(struct ct_tbl *tbl, const struct ct_pkt *pkt, uint16_t zone, uint64_t now,
                         uint64_t margin_ms)
{
	struct pkt_info pi;
	struct ct_conn *c;
	uint8_t dir;
	bool ok;

	pkt_prepare(pkt, zone, &pi, true);
	if (pi.reason != CT_R_OK || pi.icmp_err || pi.kind == CT_KIND_ICMP)
		return false;
	/* Only SYN (reopen), FIN and RST move an established connection on. */
	if (pi.kind == CT_KIND_TCP && (pi.seg.flags & (CT_TCP_SYN | CT_TCP_FIN | CT_TCP_RST)) != 0)
		return false;
	c = lookup_hashed(tbl, &pi.key, pkt_rkey(&pi), pi.hash, &dir);
	if (c == NULL)
		return false;
	rte_spinlock_lock(&c->lock);
	ok = !c->dead && c->expiry > now + margin_ms &&
	     (c->kind == CT_KIND_TCP ? c->tcp.state == CT_TCP_ESTABLISHED && c->tcp.seen_reply :
	                               c->simple.state == CT_UDP_MULTIPLE);
	rte_spinlock_unlock(&c->lock);
	return ok;
}

/*
 * Pass 3 of ct_execute_burst_ordered(): in arrival order, lookup then tracking.  Each
 * packet must see what the packets before it created or deleted, so the pass-2
 * candidate stands for a lookup only while this call has linked or unlinked nothing
 * ('fresh': it has created nothing and every connection it tracked was live, which is
 * what the counters of creations, expiries and reopenings would say, kept in a
 * register); then a candidate whose key matches is what a lookup would find, as of
 * pass 2 (a connection deleted since by another thread is 'dead', and exec_existing()
 * makes the packet look up again).  Otherwise, and when the candidate does not match
 * (a signature collision, a displaced entry, none), the bucket is searched again.
 * 'plain' (a constant in each of the two copies): no hints and no results to wait for,
 * so that the plain copy, the usual first pass, compiles without their tests.
 */
static __rte_always_inline uint16_t
track_in_order(const struct exec_ctx *x, const struct ct_pkt *pkts, uint16_t n,
               struct pkt_info pi[], struct ct_result *res, const struct ct_order *ord,
               const bool plain)
{
	struct ct_conn *const *hints = !plain && ord != NULL ? ord->conns : NULL;
	const struct ct_result *const *after = !plain && ord != NULL ? ord->after : NULL;
	const bool find = ord != NULL && ord->find_waits;
	const struct ct_exec_opts *opts = x->o;
	struct ct_thread_stats *stats = x->st;
	struct ct_tbl *tbl = x->tbl;
	/* find: the earlier packets whose results let no later packet of their connection
	 * go, and those that let all but a TCP SYN or RST go (lets_go()) */
	uint64_t hold_all = 0, hold_syn_rst = 0;
	uint32_t sym[CT_BURST_MAX]; /* held_back()'s, for the bits of sym_known */
	uint64_t sym_known = 0;
	uint64_t n_ok;
	bool fresh;
	uint16_t i;

	fresh = true;
	n_ok = 0; /* the common reason counted in a register, added once */
	for (i = 0; i < n; i++) {
		struct ct_result *r = &res[i];
		int tries;

		/* An earlier packet may still need a later ct() on what this one
		 * would see: stop here, the caller tracks the rest afterwards.  A later
		 * commit on its connection changes nothing only while the connection
		 * lives: a TCP RST (which may end it) or SYN (which may reopen it)
		 * waits for that commit too. */
		if (after != NULL && after[i] != NULL && !lets_go(ord, after[i], &pi[i])) {
			stats->n_reason[CT_R_OK] += n_ok;
			return i;
		}
		if (find) {
			/* The same, found here (ct_order.find_waits). */
			const uint64_t held = hold_all | (syn_or_rst(&pi[i]) ? hold_syn_rst : 0);

			if (unlikely(held != 0) && held_back(pi, i, held, sym, &sym_known)) {
				stats->n_reason[CT_R_OK] += n_ok;
				return i;
			}
		}
		memset(r, 0, sizeof(*r));
		if (pi[i].reason != CT_R_OK) {
			untrackable(&pi[i], r);
			stats->n_reason[r->reason]++;
			continue;
		}
		for (tries = 0; tries < 4; tries++) {
			uint8_t dir = 0;
			struct ct_conn *c = NULL;

			if (tries == 0 && hints != NULL && hints[i] != NULL) {
				if (pi[i].fast) {
					c = hints[i];
					dir = pi[i].fdir;
				} else {
					c = hint_match(hints[i], &pi[i], &dir);
				}
				if (c != NULL && exec_cached(x, c, dir, pkts[i].key, r))
					break;
				/* Tracked after all: the key, hash and reverse key it skipped. */
				if (pi[i].fast &&
				    !pkt_prepare_late(&pkts[i], opts->zone, &pi[i], r))
					break;
			} else if (tries == 0 && fresh)
				c = cand_match(pi[i].cand, &pi[i], &dir);

			if (c == NULL) {
				pkt_hash(&pi[i]);
				c = lookup_hashed(tbl, &pi[i].key, &pi[i].rkey, pi[i].hash, &dir);
			}

			if (c != NULL) {
				if (exec_existing(x, c, dir, &pi[i], &pkts[i], r))
					break;
				fresh = false; /* it may have unlinked 'c' */
				continue;      /* dead, expired or reopened: look up again */
			}
			fresh = fresh && !opts->commit; /* a commit may link one */
			if (exec_new(x, &pi[i], &pkts[i], r))
				break;
		}
		if (pi[i].hashed)
			r->hash = pi[i].hash;
		if (find && !(ord->safe >> (r->ct_state & 63) & 1)) {
			/* It may hold later packets of its connection back (lets_go()). */
			if (r->conn != NULL && (ord->safe_if_conn >> (r->ct_state & 63) & 1))
				hold_syn_rst |= UINT64_C(1) << i;
			else
				hold_all |= UINT64_C(1) << i;
		}
		if (likely(r->reason == CT_R_OK))
			n_ok++;
		else
			stats->n_reason[r->reason < CT_R_N ? r->reason : CT_R_OK]++;
	}
	stats->n_reason[CT_R_OK] += n_ok;
	return n;
}

void
ct_execute_burst(struct ct_ctx *ctx, const struct ct_exec_opts *opts, const struct ct_pkt *pkts,
                 uint16_t n, uint64_t now, struct ct_result *res)
{
	(void)ct_execute_burst_ordered(ctx, opts, pkts, n, now, res, NULL);
}

uint16_t
ct_execute_burst_ordered(struct ct_ctx *ctx, const struct ct_exec_opts *opts,
                         const struct ct_pkt *pkts, uint16_t n, uint64_t now, struct ct_result *res,
                         const struct ct_order *ord)
{
	struct exec_ctx x = { .tbl = ctx->tbl, .st = &ctx->stats, .o = opts, .now = now };
	struct ct_tbl *tbl = ctx->tbl;
	const struct ct_arr *a = arr_cur(tbl);
	struct ct_conn *const *hints = ord != NULL ? ord->conns : NULL;
	const struct ct_result *const *after = ord != NULL ? ord->after : NULL;
	struct pkt_info pi[CT_BURST_MAX];
	uint16_t i;

	RTE_ASSERT(n <= CT_BURST_MAX);
	RTE_ASSERT(ord == NULL || !ord->find_waits || (hints == NULL && after == NULL));
	/* Pass 1: keys, hashes, prefetch the home buckets (a hinted packet's connection
	 * instead: its hash and bucket are needed only if the hint fails). */
	for (i = 0; i < n; i++) {
		bool hinted = hints != NULL && hints[i] != NULL;

		pi[i].fast = hinted && hint_fast(hints[i], pkts[i].key, opts->zone, &pi[i].fdir);
		if (pi[i].fast) {
			/* exec_cached() reads the line hint_fast() just read (and the label's
			 * line only for a commit with exec). */
			pi[i].reason = CT_R_OK;
			pi[i].hashed = false;
			continue;
		}
		pkt_prepare(&pkts[i], opts->zone, &pi[i], !hinted);
		if (hinted)
			prefetch_conn(hints[i], pi[i].kind);
		else
			prefetch_bucket(&a->b[pi[i].hash & a->mask]);
	}
	/* Pass 2: signatures only; prefetch the candidate connections, so that their cache
	 * misses overlap instead of one per packet in pass 3 (and, for a likely new
	 * connection, its reply key's bucket). */
	for (i = 0; i < n; i++) {
		pi[i].cand = pi[i].reason == CT_R_OK && (hints == NULL || hints[i] == NULL) ?
		                             prefetch_candidate(a, pi[i].hash, pi[i].kind) :
		                             0;
		/* No candidate under commit: most likely a new connection, whose insertion locks
		 * the reply key's home bucket too; hash it and fetch that bucket now. */
		if (opts->commit && pi[i].cand == 0 && pi[i].hashed && pi[i].reason == CT_R_OK &&
		    !pi[i].icmp_err) {
			pi[i].rhash = ct_key_hash(pkt_rkey(&pi[i]));
			pi[i].rhashed = true;
			rte_prefetch0_write(&a->b[pi[i].rhash & a->mask]);
		}
	}
	/* Pass 3 (track_in_order()): the plain copy for a first pass (no hints, no
	 * results to wait for), the usual case. */
	if (hints == NULL && after == NULL)
		return track_in_order(&x, pkts, n, pi, res, ord, true);
	return track_in_order(&x, pkts, n, pi, res, ord, false);
}
