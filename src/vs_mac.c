/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAC learning table, see vs_mac.h for the API and who may call what.
 *
 * Layout: a power of two of 128-byte buckets, each with VS_MAC_WAYS entries
 * of two 64-bit words, key and value, and a sequence counter:
 *   key   = mac (48 bits) << 16 | vlan (12 bits) << 4 | 1   (0 = empty slot)
 *   value = port (16 bits) << 32 | time of the last learn (32 bits, seconds)
 * Keys sit with the counter in the first cache line, values in the second,
 * so a miss reads one line and a hit two adjacent ones.
 *
 * Synchronisation is a seqlock per bucket (Boehm, "Can seqlocks get along
 * with programming language memory models?", MSPC 2012):
 *  - A writer takes the bucket by moving 'seq' from even to odd with a CAS
 *    (a try-lock: learners give up when it fails, the control thread
 *    retries), stores keys and values with relaxed atomic stores, and
 *    releases with a store of the next even value.
 *  - A reader loads 'seq', the words it needs, then 'seq' again, and trusts
 *    the words only if both loads saw the same even value.  It retries a few
 *    times, then reports a miss (the caller floods), so it never waits on a
 *    writer that was preempted.
 * Writers are serialised per bucket, so a key and its value are always
 * written together: no torn pair can be stored, and none can be read.  All
 * shared words are accessed with __atomic builtins (relaxed unless said), so
 * concurrent access is never a data race.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_pause.h>

#include "vs_mac.h"

/* Entries per bucket: 7 keys and the counter fill one cache line. */
#define VS_MAC_WAYS 7
/* Optimistic reads a lookup tries before it reports a miss. */
#define VS_MAC_READ_TRIES 4
/* A learn of the same port this recently (seconds) writes nothing. */
#define VS_MAC_REFRESH_S 1

#define VS_MAC_KEY_VALID UINT64_C(1)
#define VS_MAC_VLAN_MASK 0x0fffu

struct vs_mac_bucket {
	/* First cache line: what every lookup reads. */
	uint32_t seq;               /**< even: stable; odd: a writer holds the bucket */
	uint32_t pad;               /**< unused */
	uint64_t keys[VS_MAC_WAYS]; /**< see the file comment; 0 = empty */
	/* Second cache line: read on a hit. */
	uint64_t vals[VS_MAC_WAYS]; /**< port << 32 | time */
	uint64_t pad2;              /**< unused */
} __rte_aligned(VS_MAC_ALIGN);

_Static_assert(sizeof(struct vs_mac_bucket) == 2 * VS_MAC_ALIGN, "bucket is two cache lines");
_Static_assert(offsetof(struct vs_mac_bucket, vals) == VS_MAC_ALIGN, "values on the second line");

struct vs_mac {
	/* Set by vs_mac_init(), then read-only: read by every thread. */
	uint32_t n_buckets; /**< power of two */
	uint32_t mask;      /**< n_buckets - 1 */
	/* Written by the control thread (relaxed), read by every lookup. */
	uint32_t aging_s; /**< seconds an entry stays visible after its last learn */
	/* Used by the vs_mac_expire() caller only. */
	uint32_t expire_cursor; /**< next bucket to expire */
	/* Buckets, on their own cache lines. */
	struct vs_mac_bucket buckets[] __rte_aligned(VS_MAC_ALIGN);
};

size_t
vs_mac_memsize(uint32_t n_entries)
{
	uint32_t n_buckets;

	if (n_entries == 0 || n_entries > VS_MAC_ENTRIES_MAX)
		return 0;
	n_buckets = rte_align32pow2((n_entries + VS_MAC_WAYS - 1) / VS_MAC_WAYS);
	return sizeof(struct vs_mac) + (size_t)n_buckets * sizeof(struct vs_mac_bucket);
}

struct vs_mac *
vs_mac_init(void *mem, uint32_t n_entries, uint32_t aging_s)
{
	size_t size = vs_mac_memsize(n_entries);
	struct vs_mac *m = mem;

	if (mem == NULL || size == 0 || aging_s == 0 || ((uintptr_t)mem % VS_MAC_ALIGN) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	memset(mem, 0, size);
	m->n_buckets = rte_align32pow2((n_entries + VS_MAC_WAYS - 1) / VS_MAC_WAYS);
	m->mask = m->n_buckets - 1;
	m->aging_s = aging_s;
	return m;
}

static inline uint64_t
make_key__(const uint8_t mac[6], uint16_t vlan)
{
	uint64_t mac48 = (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
	                 (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];

	return mac48 << 16 | (uint64_t)(vlan & VS_MAC_VLAN_MASK) << 4 | VS_MAC_KEY_VALID;
}

/* Bucket index of 'key': the MurmurHash3 64-bit finaliser mixes every key bit into the low bits. */
static inline uint32_t
bucket_idx__(const struct vs_mac *m, uint64_t key)
{
	key ^= key >> 33;
	key *= UINT64_C(0xff51afd7ed558ccd);
	key ^= key >> 33;
	key *= UINT64_C(0xc4ceb9fe1a85ec53);
	key ^= key >> 33;
	return (uint32_t)key & m->mask;
}

static inline uint16_t
val_port__(uint64_t val)
{
	return (uint16_t)(val >> 32);
}

/* Seconds since 'val' was learned; 0 if another thread learned it with a later 'now'. */
static inline uint32_t
val_age__(uint64_t val, uint32_t now_s)
{
	int32_t age = (int32_t)(now_s - (uint32_t)val);

	return age > 0 ? (uint32_t)age : 0;
}

/*
 * Optimistic read of the value stored under 'key' in 'b'.
 * @return 1 with '*val' set, 0 when 'key' is absent, -1 when a writer held or
 *         changed the bucket during the read.
 */
static inline int
bucket_read__(const struct vs_mac_bucket *b, uint64_t key, uint64_t *val)
{
	uint32_t s1, s2;
	int found = 0;
	int w;

	/* Acquire: pairs with the release store of an even 'seq' in bucket_unlock__(), so the
	 * words read below are at least those that writer stored. */
	s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);
	if (unlikely(s1 & 1))
		return -1;
	for (w = 0; w < VS_MAC_WAYS; w++) {
		if (__atomic_load_n(&b->keys[w], __ATOMIC_RELAXED) == key) {
			*val = __atomic_load_n(&b->vals[w], __ATOMIC_RELAXED);
			found = 1;
			break;
		}
	}
	/* Acquire fence: orders the loads above before the second 'seq' load; pairs with the
	 * release fence in bucket_trylock__(), so if any word came from a writer that took the
	 * bucket after s1, this load sees its odd 'seq' (or a later value). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	s2 = __atomic_load_n(&b->seq, __ATOMIC_RELAXED);
	return s1 == s2 ? found : -1;
}

/* Takes 'b' for writing if no other writer holds it.  @return true when taken. */
static inline bool
bucket_trylock__(struct vs_mac_bucket *b)
{
	uint32_t s = __atomic_load_n(&b->seq, __ATOMIC_RELAXED);

	if (s & 1)
		return false;
	/* Acquire on success: pairs with the release store in bucket_unlock__() of the previous
	 * writer, so this writer sees the keys and values it stored. */
	if (!__atomic_compare_exchange_n(&b->seq, &s, s + 1, false, __ATOMIC_ACQUIRE,
	                                 __ATOMIC_RELAXED))
		return false;
	/* Release fence: orders the odd 'seq' before the data stores that follow; pairs with the
	 * acquire fence in bucket_read__() (a reader that sees one of our stores sees odd seq). */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	return true;
}

/* Takes 'b' for writing, waiting for another writer (control thread only). */
static inline void
bucket_lock__(struct vs_mac_bucket *b)
{
	while (!bucket_trylock__(b))
		rte_pause();
}

static inline void
bucket_unlock__(struct vs_mac_bucket *b)
{
	uint32_t s = __atomic_load_n(&b->seq, __ATOMIC_RELAXED);

	/* Release: orders our data stores before the even 'seq'; pairs with the acquire load in
	 * bucket_read__() and the acquire CAS in bucket_trylock__(). */
	__atomic_store_n(&b->seq, s + 1, __ATOMIC_RELEASE);
}

static inline uint64_t
load_key__(const struct vs_mac_bucket *b, int w)
{
	return __atomic_load_n(&b->keys[w], __ATOMIC_RELAXED);
}

static inline uint64_t
load_val__(const struct vs_mac_bucket *b, int w)
{
	return __atomic_load_n(&b->vals[w], __ATOMIC_RELAXED);
}

/* Under the bucket lock: the data words are relaxed, ordered by the lock's fences. */
static inline void
store_entry__(struct vs_mac_bucket *b, int w, uint64_t key, uint64_t val)
{
	__atomic_store_n(&b->keys[w], key, __ATOMIC_RELAXED);
	__atomic_store_n(&b->vals[w], val, __ATOMIC_RELAXED);
}

/* Slot for a new key in a locked bucket: an empty one, else the oldest. */
static int
victim__(const struct vs_mac_bucket *b, uint32_t now_s)
{
	uint32_t oldest_age = 0;
	int w, victim = 0;

	for (w = 0; w < VS_MAC_WAYS; w++) {
		uint32_t age;

		if (load_key__(b, w) == 0)
			return w;
		age = val_age__(load_val__(b, w), now_s);
		if (age >= oldest_age) {
			oldest_age = age;
			victim = w;
		}
	}
	return victim;
}

enum vs_mac_learn_result
vs_mac_learn(struct vs_mac *m, const uint8_t mac[6], uint16_t vlan, uint16_t ofport, uint32_t now_s)
{
	uint64_t key, val = 0, new_val = (uint64_t)ofport << 32 | now_s;
	enum vs_mac_learn_result ret;
	struct vs_mac_bucket *b;
	int w;

	if (unlikely((mac[0] & 1) != 0 || ofport == 0))
		return VS_MAC_LEARN_IGNORED;
	key = make_key__(mac, vlan);
	b = &m->buckets[bucket_idx__(m, key)];
	/* Fast path: already known here and refreshed this second.  No store, no lock. */
	if (likely(bucket_read__(b, key, &val) == 1) && val_port__(val) == ofport &&
	    val_age__(val, now_s) < VS_MAC_REFRESH_S)
		return VS_MAC_LEARN_FRESH;
	if (!bucket_trylock__(b))
		return VS_MAC_LEARN_BUSY;
	for (w = 0; w < VS_MAC_WAYS; w++)
		if (load_key__(b, w) == key)
			break;
	if (w < VS_MAC_WAYS) {
		val = load_val__(b, w);
		ret = val_port__(val) == ofport && val_age__(val, now_s) <
		                                                      __atomic_load_n(&m->aging_s,
		                                                                      __ATOMIC_RELAXED) ?
		                      VS_MAC_LEARN_REFRESHED :
		                      VS_MAC_LEARN_MOVED;
		__atomic_store_n(&b->vals[w], new_val, __ATOMIC_RELAXED);
	} else {
		w = victim__(b, now_s);
		store_entry__(b, w, key, new_val);
		ret = VS_MAC_LEARN_NEW;
	}
	bucket_unlock__(b);
	return ret;
}

uint16_t
vs_mac_lookup(const struct vs_mac *m, const uint8_t mac[6], uint16_t vlan, uint32_t now_s)
{
	uint64_t key = make_key__(mac, vlan), val = 0;
	const struct vs_mac_bucket *b = &m->buckets[bucket_idx__(m, key)];
	int tries, r;

	for (tries = 0; tries < VS_MAC_READ_TRIES; tries++) {
		r = bucket_read__(b, key, &val);
		if (likely(r >= 0)) {
			if (r == 0 ||
			    val_age__(val, now_s) >= __atomic_load_n(&m->aging_s, __ATOMIC_RELAXED))
				return 0;
			return val_port__(val);
		}
		rte_pause();
	}
	return 0;
}

/* Clears, in every bucket, the entries for which 'match' holds.  @return the number cleared. */
static uint32_t
clear_if__(struct vs_mac *m, bool (*match)(uint64_t key, uint64_t val, uint32_t arg), uint32_t arg)
{
	uint32_t i, n = 0;
	int w;

	for (i = 0; i < m->n_buckets; i++) {
		struct vs_mac_bucket *b = &m->buckets[i];

		bucket_lock__(b);
		for (w = 0; w < VS_MAC_WAYS; w++) {
			uint64_t key = load_key__(b, w);

			if (key != 0 && match(key, load_val__(b, w), arg)) {
				store_entry__(b, w, 0, 0);
				n++;
			}
		}
		bucket_unlock__(b);
	}
	return n;
}

static bool
match_any__(uint64_t key, uint64_t val, uint32_t arg)
{
	RTE_SET_USED(key);
	RTE_SET_USED(val);
	RTE_SET_USED(arg);
	return true;
}

static bool
match_port__(uint64_t key, uint64_t val, uint32_t port)
{
	RTE_SET_USED(key);
	return val_port__(val) == port;
}

uint32_t
vs_mac_flush(struct vs_mac *m)
{
	return clear_if__(m, match_any__, 0);
}

uint32_t
vs_mac_flush_port(struct vs_mac *m, uint16_t ofport)
{
	return clear_if__(m, match_port__, ofport);
}

uint32_t
vs_mac_expire(struct vs_mac *m, uint32_t now_s, uint32_t max_buckets)
{
	uint32_t aging = __atomic_load_n(&m->aging_s, __ATOMIC_RELAXED);
	uint32_t i, n = 0;
	int w;

	if (max_buckets > m->n_buckets)
		max_buckets = m->n_buckets;
	for (i = 0; i < max_buckets; i++) {
		struct vs_mac_bucket *b = &m->buckets[m->expire_cursor];
		bool any = false;

		m->expire_cursor = (m->expire_cursor + 1) & m->mask;
		/* Unlocked look first, so that buckets with nothing to do are not written. */
		for (w = 0; w < VS_MAC_WAYS && !any; w++)
			any = load_key__(b, w) != 0 && val_age__(load_val__(b, w), now_s) >= aging;
		if (!any)
			continue;
		bucket_lock__(b);
		for (w = 0; w < VS_MAC_WAYS; w++) {
			if (load_key__(b, w) != 0 && val_age__(load_val__(b, w), now_s) >= aging) {
				store_entry__(b, w, 0, 0);
				n++;
			}
		}
		bucket_unlock__(b);
	}
	return n;
}

int
vs_mac_set_aging(struct vs_mac *m, uint32_t aging_s)
{
	if (m == NULL || aging_s == 0)
		return -EINVAL;
	/* Relaxed: a lookup may use the old value for a while; nothing else depends on it. */
	__atomic_store_n(&m->aging_s, aging_s, __ATOMIC_RELAXED);
	return 0;
}

uint32_t
vs_mac_get_aging(const struct vs_mac *m)
{
	return __atomic_load_n(&m->aging_s, __ATOMIC_RELAXED);
}

uint32_t
vs_mac_capacity(const struct vs_mac *m)
{
	return m->n_buckets * VS_MAC_WAYS;
}

/*
 * Consistent copy of bucket 'b' (retrying while writers change it).
 * @return false if it kept changing: the caller skips the bucket this time.
 */
static bool
bucket_snapshot__(const struct vs_mac_bucket *b, uint64_t keys[VS_MAC_WAYS],
                  uint64_t vals[VS_MAC_WAYS])
{
	int tries, w;

	for (tries = 0; tries < 1000; tries++) {
		/* Acquire / acquire fence: same pairing as in bucket_read__(). */
		uint32_t s1 = __atomic_load_n(&b->seq, __ATOMIC_ACQUIRE);

		if ((s1 & 1) == 0) {
			for (w = 0; w < VS_MAC_WAYS; w++) {
				keys[w] = load_key__(b, w);
				vals[w] = load_val__(b, w);
			}
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&b->seq, __ATOMIC_RELAXED) == s1)
				return true;
		}
		rte_pause();
	}
	return false;
}

uint32_t
vs_mac_count(const struct vs_mac *m, uint32_t now_s)
{
	uint32_t aging = __atomic_load_n(&m->aging_s, __ATOMIC_RELAXED);
	uint64_t keys[VS_MAC_WAYS], vals[VS_MAC_WAYS];
	uint32_t i, n = 0;
	int w;

	for (i = 0; i < m->n_buckets; i++) {
		if (!bucket_snapshot__(&m->buckets[i], keys, vals))
			continue;
		for (w = 0; w < VS_MAC_WAYS; w++)
			n += keys[w] != 0 && val_age__(vals[w], now_s) < aging;
	}
	return n;
}

void
vs_mac_iter_init(struct vs_mac_iter *it)
{
	it->bucket = 0;
	it->way = 0;
}

bool
vs_mac_iter_next(const struct vs_mac *m, struct vs_mac_iter *it, uint32_t now_s,
                 struct vs_mac_entry *e)
{
	uint32_t aging = __atomic_load_n(&m->aging_s, __ATOMIC_RELAXED);
	uint64_t keys[VS_MAC_WAYS], vals[VS_MAC_WAYS];
	int i;

	for (; it->bucket < m->n_buckets; it->bucket++, it->way = 0) {
		if (!bucket_snapshot__(&m->buckets[it->bucket], keys, vals))
			continue;
		for (; it->way < VS_MAC_WAYS; it->way++) {
			uint64_t key = keys[it->way];
			uint32_t age = val_age__(vals[it->way], now_s);

			if (key == 0 || age >= aging)
				continue;
			for (i = 0; i < 6; i++)
				e->mac[i] = (uint8_t)(key >> (56 - 8 * i));
			e->vlan = (uint16_t)((key >> 4) & VS_MAC_VLAN_MASK);
			e->port = val_port__(vals[it->way]);
			e->age_s = age;
			it->way++;
			return true;
		}
	}
	return false;
}
