/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ct internals: the connection and the hash table.
 *
 * Why not rte_hash: it needs EAL (rte_zmalloc, tailq registration), so the
 * table could only be tested under tests/eal, and it maps one key to one
 * value, while a connection needs two keys (both directions) inserted and
 * removed together with one limit check.  The table below is small, works on
 * caller memory (allocator hook) and is tested without EAL.
 *
 * Table layout: a power-of-two array of two-cache-line buckets.  A bucket
 * holds CT_BUCKET_ENTRIES slots, each a 16-bit signature (upper hash bits,
 * 0 = free) and a tagged pointer (connection | direction).  Lookups compare
 * the signatures of the home bucket first and dereference only matching
 * slots; an entry that found its home bucket full goes to one of the next
 * CT_PROBE_MAX - 1 buckets and the home bucket counts it in n_displaced, so
 * a lookup walks on only when that count is nonzero.
 *
 * Concurrency:
 *  - Readers (lookups, the sweeper's scan) take no lock.  A writer fills a
 *    slot by storing the tagged pointer with release and then the signature;
 *    a reader that matches a signature loads the pointer with acquire
 *    (pairs with that release), so the connection's immutable fields are
 *    visible, and compares the whole key, so a slot reused under its feet
 *    is caught.  Freeing waits for the retire hook's grace period.
 *  - Writers lock every bucket whose slots they change (spinlock in the
 *    bucket).  An insertion holds both home buckets (lower index first) for
 *    its duplicate check and uses trylock on displacement buckets, so lock
 *    order cannot cycle.
 *  - A connection's mutable fields are guarded by conn->lock.  'dead' is set
 *    under that lock by the one thread that unlinks the connection, so
 *    exactly one thread retires it; packets that find a dead connection
 *    look up again.
 */
#ifndef CT_PRIV_H
#define CT_PRIV_H

#include <stdint.h>

#include <rte_common.h>
#include <rte_spinlock.h>

#include "ct.h"

#define CT_BUCKET_ENTRIES 8
#define CT_PROBE_MAX      4
#define CT_N_ZONES        65536

/* Which tracker owns conn->p. */
enum ct_kind {
	CT_KIND_TCP,
	CT_KIND_UDP,
	CT_KIND_ICMP,
	CT_KIND_OTHER,
};

struct ct_conn {
	/* Immutable after insert: read by lock-free lookups. */
	struct ct_key key[2]; /**< [enum ct_dir] */
	uint32_t hash[2];     /**< ct_key_hash() of each key */
	uint8_t kind;         /**< enum ct_kind */

	/* Mutable, guarded by 'lock'. */
	rte_spinlock_t lock;
	uint8_t dead;          /**< unlinked; set once under lock */
	uint64_t expiry;       /**< ms; the sweeper expires it when <= now */
	uint32_t mark;         /**< ct_mark */
	uint8_t label[16];     /**< ct_label */
	uint64_t n_packets[2]; /**< per direction */
	uint64_t n_bytes[2];
	union {
		struct ct_tcp_state tcp;
		struct ct_simple_state simple;
	} p;
} __rte_cache_aligned;

struct ct_bucket {
	uint16_t sigs[CT_BUCKET_ENTRIES];   /**< 0: free; read lock-free */
	rte_spinlock_t lock;                /**< writers of this bucket's slots */
	uint32_t n_displaced;               /**< entries homed here, stored further on (atomic) */
	uint64_t pad;                       /**< slots start at byte 32 */
	uintptr_t slots[CT_BUCKET_ENTRIES]; /**< conn | dir; release-stored */
} __rte_aligned(128);

struct ct_tbl {
	/* Read by every lookup. */
	struct ct_bucket *buckets;
	uint32_t mask; /**< n_buckets - 1 */

	/* Configuration (immutable after create, except max_conns: relaxed, control). */
	uint32_t max_conns;
	uint32_t capacity; /**< max_conns the buckets were sized for */
	struct ct_tcp_cfg tcp;
	/* Timeout policies: pol[0] is the global one, pol[k] a zone's own; zone_pol[zone]
	 * indexes pol.  Values are stored relaxed by control (ct_timeouts_set()) and read
	 * plainly by packets: a packet racing with a change uses the old or the new value. */
	struct ct_timeouts pol[CT_TMO_POLICIES_MAX];
	uint8_t *zone_pol; /**< [CT_N_ZONES] */
	uint8_t n_pol;     /**< policies in use, pol[0] included */
	ct_alloc_fn *alloc;
	ct_free_fn *free;
	void *alloc_arg;
	ct_retire_fn *retire;
	void *retire_arg;

	/* Written on create/delete by any thread (atomics, relaxed). */
	uint32_t n_conns;
	uint32_t *zone_count; /**< [CT_N_ZONES] */
	uint32_t *zone_limit; /**< [CT_N_ZONES]; 0 = none; relaxed stores by control */

	/* Sweeper only. */
	uint64_t sweep_pos; /**< next slot: bucket * CT_BUCKET_ENTRIES + entry */
};

#endif /* CT_PRIV_H */
