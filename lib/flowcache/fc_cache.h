/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/flowcache: the per-PMD flow caches, used next to fc.h (the parser).
 *
 * Two lookup stages sit after fc_parse_burst() in every pipeline pass:
 *
 *  - the exact-match (signature) cache, 'struct fc_emc': one cache line per
 *    set of FC_EMC_WAYS entries, each entry a (32-bit key hash, megaflow)
 *    pair.  A hit needs an equal hash, the packet key matching the
 *    megaflow's masked key under its mask, and a live megaflow, so the EMC
 *    is exactly as correct as the classifier: it only saves the tuple-space
 *    search.
 *  - the megaflow classifier, 'struct fc_cls': tuple-space search, one
 *    subtable per distinct mask, probed in rank order (most hits first).
 *    A subtable hashes and compares only the words its mask covers.
 *
 * Typical pass (bursts of at most FC_BURST_MAX keys, as a uint64_t map):
 *
 *     fc_key_hash_burst(map, keys, hashes);
 *     hit = fc_emc_lookup(emc, map, keys, hashes, mfs);
 *     miss = map & ~hit;
 *     if (miss) {
 *             hit2 = fc_cls_lookup(cls, miss, keys, mfs, &n_probed);
 *             for each bit i of hit2:
 *                     if (fc_emc_should_insert(emc))
 *                             fc_emc_insert(emc, hashes[i], mfs[i]);
 *             upcall for miss & ~hit2, then fc_cls_insert() the new megaflows;
 *     }
 *     actions from mfs[i]->data.
 *
 * Lifetime of a 'struct fc_mf': created by fc_cls_insert(), unlinked by
 * fc_cls_remove() (or fc_cls_flush()/fc_cls_destroy()), which marks it dead.
 * Each EMC entry that points to it holds a reference; the memory is freed,
 * through the classifier's allocator, when it is dead and the last
 * reference is dropped (by an EMC insert replacing the entry, fc_emc_sweep()
 * or fc_emc_flush()).  So a caller may keep using an fc_mf pointer it got
 * from a lookup until it next removes megaflows or touches the EMC; 'data'
 * is the caller's and is never dereferenced here: the caller frees what it
 * points to when it removes the megaflow (the EMC never returns a dead one).
 *
 * Thread safety: none needed, none provided.  A classifier and an EMC belong
 * to one PMD thread, which creates, looks up, inserts, removes, ranks and
 * walks them; nothing here is shared between threads, so there are no atomics
 * or locks.  The control thread never calls these functions: it posts
 * revalidate/delete/flush requests that the daemon applies on the owning PMD
 * (STYLE.md section 3).  Megaflows of several classifiers (one per in_port,
 * say) may share one EMC as long as all belong to the same thread and no
 * two of them overlap (each matches its in_port exactly, say): an EMC hit
 * is any cached megaflow that matches the key.
 *
 * Memory: lookups never allocate.  fc_cls_insert() allocates the megaflow,
 * and sometimes a new subtable or a bigger bucket array (growth by rehash,
 * on the owning thread), through the 'struct fc_alloc' hook; the EMC lives
 * in caller memory sized by fc_emc_memsize(), so unit tests need no EAL.
 */
#ifndef FC_CACHE_H
#define FC_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fc.h"
#include "pktmeta.h"

/** Entries per EMC set: 4 x 16 bytes, one cache line. */
#define FC_EMC_WAYS 4

/** Largest EMC (entries). */
#define FC_EMC_MAX_ENTRIES (1u << 26)

/** Default EMC insertion probability: 1 in this many calls to fc_emc_should_insert(). */
#define FC_EMC_INSERT_PROB_DEFAULT 100

struct fc_cls;
struct fc_emc;
struct fc_subtable;

/**
 * Allocator hook for the classifier.  The daemon passes rte_zmalloc_socket()/rte_free()
 * wrappers on the PMD's socket, unit tests calloc()/free().  zalloc returns zeroed memory or
 * NULL; cache-line aligned memory makes a megaflow of up to 5 key words fit one line (bucket
 * arrays are aligned by the classifier itself).
 */
struct fc_alloc {
	void *(*zalloc)(size_t size, void *arg); /**< zeroed memory, or NULL */
	void (*free)(void *ptr, void *arg);      /**< frees what zalloc returned */
	void *arg;                               /**< passed to both */
};

/**
 * A megaflow: a masked key and the caller's data.  Created by fc_cls_insert(); see "Lifetime"
 * above.  Callers read 'data' (and may replace it, on the owning thread) and 'dead'; every
 * other field belongs to the library.
 */
struct fc_mf {
	union {
		const struct fc_subtable *st; /**< live: its subtable, which holds the mask */
		struct fc_cls *cls;           /**< dead: the classifier whose allocator frees it */
	};
	void *data;               /**< the caller's (its action set and stats) */
	uint32_t hash;            /**< subtable hash of the masked key */
	uint32_t n_emc_refs : 31; /**< EMC entries pointing here */
	uint32_t dead : 1;        /**< unlinked from its classifier */
	/** The masked key, only the words that the mask covers, in key order. */
	uint64_t words[];
};

/**
 * Hashes a flow key for the EMC (and the caller, e.g. the VXLAN source port): CRC32-C over
 * the words that vary between flows in practice (word 0: recirc_id, in_port, dl_type; the L2
 * words; the IPv4/L4 words; an XOR fold of metadata, registers, tunnel, conntrack and ARP
 * words; the IPv6 addresses only when dl_type is IPv6), then MurmurHash3's fmix32 finaliser,
 * since CRC is linear and the EMC indexes by the low bits.  About 16 TSC cycles per IPv4 key
 * in a burst.  Correctness never depends on it: every hit is verified against the full masked
 * key.
 */
uint32_t fc_key_hash(const struct pm_key *k);

/**
 * Burst form of fc_key_hash(): hashes[i] = fc_key_hash(keys[i]) for each bit i of keys_map;
 * other hashes[] and keys[] entries are not touched.
 */
void fc_key_hash_burst(uint64_t keys_map, const struct pm_key *const keys[], uint32_t hashes[]);

/* ---- Megaflow classifier ---- */

/**
 * Creates an empty classifier.
 *
 * @param alloc  copied; used for the classifier, its subtables and its megaflows.
 * @param max_entries  live megaflows allowed (1 to 2^26).
 * @return the classifier, or NULL with rte_errno EINVAL or ENOMEM.
 */
struct fc_cls *fc_cls_create(const struct fc_alloc *alloc, uint32_t max_entries);

/**
 * Removes every megaflow and frees the classifier.  Megaflows that EMC entries still refer to
 * stay allocated (dead) until those references go, and the classifier's own memory with them;
 * so an EMC need not be flushed first, but must not outlive the allocator.  Accepts NULL.
 */
void fc_cls_destroy(struct fc_cls *cls);

/**
 * Inserts the megaflow (key & mask, mask) with 'data'.  If a live megaflow with the same mask
 * and masked key exists, returns it unchanged: the caller tells by mf->data != data.  May
 * allocate (megaflow, subtable, bigger bucket array).  Not allowed inside fc_cls_walk().
 *
 * @return the megaflow, or NULL with rte_errno (and errno) set: ENOSPC at max_entries, ENOMEM,
 *         EINVAL (NULL argument), EBUSY (called from a walk callback).
 */
struct fc_mf *fc_cls_insert(struct fc_cls *cls, const struct pm_key *key, const struct pm_key *mask,
                            void *data);

/**
 * Unlinks a live megaflow of 'cls' and marks it dead: lookups stop returning it at once, EMC
 * lookups included.  Its memory is freed now if no EMC entry refers to it, else when the last
 * one goes.  A megaflow that is already dead is left alone.  Allowed inside fc_cls_walk().
 */
void fc_cls_remove(struct fc_cls *cls, struct fc_mf *mf);

/** Removes every megaflow (as fc_cls_remove()). */
void fc_cls_flush(struct fc_cls *cls);

/**
 * Looks up keys[i] for each bit i in 'keys_map' (FC_BURST_MAX bits) and
 * stores the matching megaflow in mfs[i].  Runs over the whole burst in passes per subtable
 * (hash the keys still missing and prefetch their buckets, match signatures and prefetch the
 * candidates, compare), subtables in rank order, stopping when all have hit.  Never allocates.
 *
 * @param keys  only keys[i] with bit i in keys_map are read.
 * @param mfs  only mfs[i] with bit i in the result are written.
 * @param n_subtables_probed  if not NULL, incremented by the number of (key, subtable) probes,
 *        i.e. for each subtable visited, the number of keys still missing when it was probed.
 * @return the bits of keys_map that hit (never a bit outside keys_map).
 */
uint64_t fc_cls_lookup(struct fc_cls *cls, uint64_t keys_map, const struct pm_key *const keys[],
                       struct fc_mf *mfs[], uint32_t *n_subtables_probed);

/**
 * Re-sorts the subtables by the hits they had since the last call (most first), then clears
 * those counts.  The PMD calls it from housekeeping about once a second.
 */
void fc_cls_rank(struct fc_cls *cls);

/** Live megaflows. */
uint32_t fc_cls_count(const struct fc_cls *cls);

/** Subtables (distinct masks with live megaflows). */
uint32_t fc_cls_n_subtables(const struct fc_cls *cls);

/** Walk callback: return 0 to go on, anything else to stop the walk with that value. */
typedef int fc_cls_walk_fn(struct fc_mf *mf, void *arg);

/**
 * Calls fn(mf, arg) once for each live megaflow, subtables in rank order.  The callback may
 * fc_cls_remove() the megaflow it is given, or any other (removed ones are then not visited),
 * but must not insert (fc_cls_insert() fails with EBUSY) or flush.
 *
 * @return 0 after visiting all, or the callback's nonzero value.
 */
int fc_cls_walk(struct fc_cls *cls, fc_cls_walk_fn *fn, void *arg);

/**
 * Copies a live megaflow's masked key and mask, for dumps.
 *
 * @return 0, or -EINVAL if 'mf' is dead.
 */
int fc_mf_get(const struct fc_mf *mf, struct pm_key *key, struct pm_key *mask);

/* ---- Exact-match (signature) cache ---- */

/**
 * @return the bytes fc_emc_init() needs for 'n_entries' entries, or 0 if n_entries is not a
 *         power of two between FC_EMC_WAYS and FC_EMC_MAX_ENTRIES.
 */
size_t fc_emc_memsize(uint32_t n_entries);

/**
 * Builds an empty EMC in caller memory of fc_emc_memsize(n_entries) bytes, cache-line aligned
 * (rte_zmalloc_socket() or aligned_alloc(64, ...)).  Insertion probability starts at 1 in
 * FC_EMC_INSERT_PROB_DEFAULT.  Before freeing the memory, call fc_emc_flush().
 *
 * @return 'mem' as an EMC, or NULL with rte_errno EINVAL.
 */
struct fc_emc *fc_emc_init(void *mem, uint32_t n_entries);

/**
 * Looks up keys[i] for each bit i of keys_map, with hashes[i] from fc_key_hash(): prefetches
 * every set of the burst first, then the candidate megaflows, then verifies (equal hash, key
 * matching the megaflow under its mask, megaflow not dead).  Never allocates.
 *
 * @param mfs  only mfs[i] with bit i in the result are written.
 * @return the bits of keys_map that hit.
 */
uint64_t fc_emc_lookup(const struct fc_emc *emc, uint64_t keys_map,
                       const struct pm_key *const keys[], const uint32_t hashes[],
                       struct fc_mf *mfs[]);

/**
 * Caches 'mf' (live, from fc_cls_lookup() or fc_cls_insert()) for keys with 'hash'.  Takes a
 * reference on mf and drops the one of the entry it replaces (an entry with the same hash, else
 * a free or dead one in the set, else a pseudo-random one), freeing a dead megaflow whose last
 * reference that was.
 */
void fc_emc_insert(struct fc_emc *emc, uint32_t hash, struct fc_mf *mf);

/**
 * Probabilistic insertion (OVS emc-insert-inv-prob): true once in N calls on average, from a
 * per-EMC xorshift generator.  Inserting every miss thrashes the EMC when flows outnumber it.
 */
bool fc_emc_should_insert(struct fc_emc *emc);

/** Sets N for fc_emc_should_insert(): 0 never inserts, 1 always. */
void fc_emc_set_insert_prob(struct fc_emc *emc, uint32_t n);

/**
 * Housekeeping: visits the next 'n_entries' entries (round robin) and drops those whose
 * megaflow is dead, so that removed megaflows are freed without waiting for replacement.
 *
 * @return the entries dropped.
 */
uint32_t fc_emc_sweep(struct fc_emc *emc, uint32_t n_entries);

/** Drops every entry and its reference. */
void fc_emc_flush(struct fc_emc *emc);

/** Entries in use (for stats; walks the whole EMC). */
uint32_t fc_emc_count(const struct fc_emc *emc);

#endif /* FC_CACHE_H */
