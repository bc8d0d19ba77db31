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
 *  - Growth (ct_grow(), one thread at a time, never a packet thread): the
 *    bucket array starts small and doubles while the table fills, up to the
 *    size made for the limit, so that a table holding 10,000 connections
 *    spans a couple of MB, not the 64 MB sized for a million (at 10,000
 *    connections that cut lib/ct's own cost per established packet by about
 *    half on this machine: the big array's random buckets miss the TLB).
 *    While keys move, 'next' points at the new array and the old one stays
 *    'cur'.  A key is stored in the new array before its old slot is cleared
 *    (release), so a lookup that misses in 'cur' and then searches 'next'
 *    cannot miss a key that is in either.  The mover marks each old bucket
 *    'moved' under its lock; an insertion that finds a moved bucket among
 *    those it locked starts again in the new array, where it also locks the
 *    old home buckets first (old before new, always), so that it is ordered
 *    with insertions still going to unmoved old buckets.  When every key has
 *    moved, 'cur' becomes the new array; after a grace period (the caller's
 *    sync hook) 'next' is cleared, and after another the old array is freed.
 *  - A connection's mutable fields are guarded by conn->lock.  'dead' is set
 *    under that lock by the one thread that unlinks the connection, so
 *    exactly one thread retires it; packets that find a dead connection
 *    look up again.
 */
#ifndef CT_PRIV_H
#define CT_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_spinlock.h>

#include "ct.h"

#define CT_BUCKET_ENTRIES 8
/*
 * Buckets an entry may be displaced over.  At the default limit the table is
 * half full (2,000,000 keys in 4,194,304 slots); with a window of 4 buckets
 * (32 slots) a few keys in a million found no slot (test_ct_holds_a_million,
 * and the ct-*-1m benchmarks saw 3-5 table_full); 8 leaves none.  A lookup
 * walks past the home bucket only when that bucket counts displaced entries.
 */
#define CT_PROBE_MAX 8
#define CT_N_ZONES   65536

/* Which tracker owns conn->p. */
enum ct_kind {
	CT_KIND_TCP,
	CT_KIND_UDP,
	CT_KIND_ICMP,
	CT_KIND_OTHER,
};

/*
 * Field order follows what a packet of an existing connection touches (lookup,
 * tracking, counters, mark and label): line 0 holds the original key, the
 * words every update takes (lock, expiry, mark) and the one-byte state of
 * UDP, ICMP and other protocols; line 1 the TCP state; line 2 the counters
 * and label.  A TCP packet reads the three lines, any other two.  There is
 * no reply key: lookups compare a reply packet's reversed key with key_orig
 * (ct_key_reverse() is an involution), and insertion and dumps reverse
 * key_orig themselves; without it a connection is 192 bytes, not 256.
 */
struct ct_conn {
	/* Line 0.  key_orig: immutable after insert, read by lock-free lookups. */
	struct ct_key key_orig;        /**< key of CT_DIR_ORIG */
	rte_spinlock_t lock;           /**< guards the mutable fields below */
	uint8_t kind;                  /**< enum ct_kind; immutable after insert */
	uint8_t dead;                  /**< unlinked; set once under lock */
	struct ct_simple_state simple; /**< UDP, ICMP, other: their state, guarded by 'lock' */
	uint32_t mark;                 /**< ct_mark */
	uint64_t expiry;               /**< ms; the sweeper expires it when <= now */

	/* Line 1.  TCP only.  Mutable, guarded by 'lock'. */
	struct ct_tcp_state tcp;

	/* Line 2.  Mutable, guarded by 'lock', except hash (immutable). */
	uint64_t n_packets[2]; /**< per direction */
	uint64_t n_bytes[2];
	uint8_t label[16]; /**< ct_label */
	uint32_t hash[2];  /**< ct_key_hash() of each key; immutable after insert */
} __rte_cache_aligned;

_Static_assert(sizeof(struct ct_conn) == 3 * RTE_CACHE_LINE_SIZE, "a connection is three lines");
_Static_assert(offsetof(struct ct_conn, expiry) + 8 <= RTE_CACHE_LINE_SIZE &&
                               offsetof(struct ct_conn, tcp) == RTE_CACHE_LINE_SIZE,
               "line 0 holds what every packet reads, line 1 the TCP state");

struct ct_bucket {
	uint16_t sigs[CT_BUCKET_ENTRIES];   /**< 0: free; read lock-free */
	rte_spinlock_t lock;                /**< writers of this bucket's slots */
	uint32_t n_displaced;               /**< entries homed here, stored further on (atomic) */
	uint8_t moved;                      /**< growth emptied it: no insertion (under lock) */
	uint8_t pad[7];                     /**< slots start at byte 32 */
	uintptr_t slots[CT_BUCKET_ENTRIES]; /**< conn | dir; release-stored */
} __rte_aligned(128);

/* A bucket array: the table's current one, or during growth the one keys move to. */
struct ct_arr {
	uint32_t mask; /**< n_buckets - 1 */
	struct ct_bucket b[];
};

struct ct_tbl {
	/* Read by every lookup (acquire; see "Growth" above). */
	struct ct_arr *cur;  /**< the array keys are in, or (growing) moving from */
	struct ct_arr *next; /**< growing: the array keys move to; else NULL or cur */

	/* Configuration (immutable after create, except max_conns: relaxed, control). */
	uint32_t max_conns;
	uint32_t capacity; /**< max_conns the largest array is sized for */
	uint32_t max_mask; /**< mask of the largest array: growth stops there */
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

/* The address family of a packet with flow key 'pk': 4, 6, or 0 (not IP). */
static inline uint8_t
ct_af_of(const struct pm_key *pk)
{
	uint16_t dl_type = rte_be_to_cpu_16(pk->dl_type);

	return dl_type == 0x0800 ? 4 : dl_type == 0x86dd ? 6 : 0;
}

/* Word 4 of a connection key: ports (network order), zone, protocol, address family. */
static inline uint64_t
ct_key_tail(uint16_t sport, uint16_t dport, uint16_t zone, uint8_t proto, uint8_t af)
{
	return (uint64_t)sport | (uint64_t)dport << 16 | (uint64_t)zone << 32 |
	       (uint64_t)proto << 48 | (uint64_t)af << 56;
}

/* Word 4 (ct_key_tail()) with sport and dport exchanged: the reverse key's, but for ICMP. */
static inline uint64_t
ct_key_tail_swap_ports(uint64_t t)
{
	return (t & ~UINT64_C(0xffffffff)) | (t & 0xffff) << 16 | (t >> 16 & 0xffff);
}

/*
 * The five words of the connection key of a TCP, UDP or SCTP packet in zone 'zone'
 * (address family 'af', 4 or 6) with flow key 'pk' and ports 'sport', 'dport' (network
 * order), as struct ct_key lays them out.  Whole words: keys are compared and hashed as
 * words, and a word put together from narrower stores would stall those loads until
 * the stores retire (no store-to-load forwarding).
 */
static inline void
ct_key_words_of(const struct pm_key *pk, uint16_t sport, uint16_t dport, uint16_t zone, uint8_t af,
                pm_word_t w[5])
{
	if (af == 4) {
		w[0] = pk->nw_src;
		w[2] = pk->nw_dst;
		w[1] = w[3] = 0;
	} else {
		memcpy(&w[0], pk->ipv6_src, 16);
		memcpy(&w[2], pk->ipv6_dst, 16);
	}
	w[4] = ct_key_tail(sport, dport, zone, pk->nw_proto, af);
}

/*
 * Fast path of ct_key_extract() for TCP, UDP, SCTP and UDP-Lite, not fragments
 * (ct_key_is_ports() says which), here to be inlined where it runs per packet: the key is
 * stored as five whole words, so that ct_key_hash() reads back what it just
 * stored without store-forwarding stalls (byte-wise stores followed by
 * word loads cost about 15 cycles per word).  Word 4 holds sport, dport,
 * zone, proto and af in the struct's memory order on a little-endian CPU.
 */
_Static_assert(RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN, "ct_key word layout assumes little endian");

static inline enum ct_reason
ct_key_extract_ports(const struct ct_pkt *pkt, uint16_t zone, uint8_t af, struct ct_key *key)
{
	const struct pm_key *pk = pkt->key;
	uint16_t sport = pk->tp_src, dport = pk->tp_dst;

	/* lib/flowcache parses no UDP-Lite ports: read them here. */
	if (pk->nw_proto == 136 && pkt->l4_len >= 4) {
		memcpy(&sport, pkt->l4, 2);
		memcpy(&dport, pkt->l4 + 2, 2);
	}
	ct_key_words_of(pk, sport, dport, zone, af, (pm_word_t *)key);
	/* Checked after the key is written: callers read the key even on failure. */
	if (pkt->l4_len < (pk->nw_proto == 6 ? 20u : 8u))
		return pk->nw_proto == 6 ? CT_R_TCP_TRUNC : CT_R_L4_TRUNC;
	if (pk->nw_proto == 17 || pk->nw_proto == 136) {
		/* As nf_conntrack's udp_error()/udplite_error(): a UDP length (UDP-Lite:
		 * checksum coverage, 0 meaning all) below the header or beyond the IP
		 * payload is a malformed packet, and so is UDP-Lite without a checksum. */
		uint32_t ulen = (uint32_t)pkt->l4[4] << 8 | pkt->l4[5];

		if ((ulen < 8 || ulen > pkt->l4_len) && !(pk->nw_proto == 136 && ulen == 0))
			return CT_R_L4_TRUNC;
		if (pk->nw_proto == 136 && (pkt->l4[6] | pkt->l4[7]) == 0)
			return CT_R_L4_TRUNC;
	}
	return CT_R_OK;
}

/* True when ct_key_extract() takes the ports fast path: IP, not a fragment, TCP, UDP, SCTP
 * or UDP-Lite ('af' is ct_af_of(pk)). */
static inline bool
ct_key_is_ports(const struct pm_key *pk, uint8_t af)
{
	uint8_t p = pk->nw_proto;

	return af != 0 && !(pk->nw_frag & PM_FRAG_ANY) &&
	       (p == 6 || p == 17 || p == 132 || p == 136);
}

/*
 * ct_tcp_parse_seg() inline for the usual header without options (data offset 5);
 * others go through it.  Per tracked TCP segment: as a call with its memset() it was
 * about 30 instructions.
 */
static inline int
ct_tcp_parse_seg_inline(const uint8_t *h, uint32_t len, struct ct_tcp_seg *seg)
{
	if (unlikely(len < 20 || h[12] >> 4 != 5))
		return ct_tcp_parse_seg(h, len, seg);
	seg->seq = rte_be_to_cpu_32(pm_rd32(h + 4));
	seg->ack = rte_be_to_cpu_32(pm_rd32(h + 8));
	seg->payload_len = len - 20;
	seg->sack_right = 0;
	seg->win = rte_be_to_cpu_16(pm_rd16(h + 14));
	seg->flags = h[13];
	seg->wscale = CT_TCP_WSCALE_NONE;
	seg->sack_perm = 0;
	seg->n_sack = 0;
	seg->has_opts = 0;
	return 0;
}

#endif /* CT_PRIV_H */
