/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MAC learning table for the 'normal' action: an OVS-like learning L2 switch,
 * VLAN-aware (a MAC is learned per VLAN), with aging.
 *
 * Shared by all PMD threads, which learn and look up concurrently, while the
 * control thread flushes, expires and dumps.  The table is a fixed array of
 * set-associative buckets built on caller memory (vs_mac_memsize(),
 * vs_mac_init()), so it needs no EAL and allocates nothing after init; a full
 * bucket evicts its oldest entry.  Time is whole seconds from any monotonic
 * clock the caller chooses ('now_s'); the table reads no clock.
 *
 * Thread safety (who may call what, concurrently with what):
 *  - vs_mac_lookup(), vs_mac_learn(): any thread, concurrently with every
 *    function here except vs_mac_init().  Lookups take no lock and write
 *    nothing.  A learn takes only its bucket's lock, with a try-lock: it never
 *    waits, and gives up (VS_MAC_LEARN_BUSY) if another thread holds the
 *    bucket; the next frame from that source learns again.  A learn of an
 *    entry that already has the same port and was refreshed this second
 *    writes nothing, so the bucket's cache lines stay shared.
 *  - vs_mac_flush(), vs_mac_flush_port(), vs_mac_set_aging(), vs_mac_count(),
 *    vs_mac_iter_next(): any thread, concurrently with lookups and learns;
 *    meant for the control thread.  Flushes wait for each bucket's lock (held
 *    for a few stores by a learner).  Counts and dumps are snapshots per
 *    bucket, not of the whole table.
 *  - vs_mac_expire(): one caller at a time (it keeps a cursor), concurrently
 *    with everything else.
 *  - vs_mac_init(): before the table is shared.  The caller frees the memory
 *    only after no thread can use the table any more (e.g. after an RCU grace
 *    period).
 * A lookup never returns a port that was not learned for that MAC and VLAN:
 * readers validate each bucket with its sequence counter (see vs_mac.c).
 */
#ifndef VS_MAC_H
#define VS_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Largest table, in entries. */
#define VS_MAC_ENTRIES_MAX (1u << 26)
/** Alignment vs_mac_init() requires of its memory (a cache line). */
#define VS_MAC_ALIGN 64

struct vs_mac;

/** What vs_mac_learn() did. */
enum vs_mac_learn_result {
	VS_MAC_LEARN_FRESH,     /**< known on this port, refreshed this second: nothing written */
	VS_MAC_LEARN_REFRESHED, /**< known on this port: age reset */
	VS_MAC_LEARN_MOVED,     /**< known on another port (or aged out): now on this one */
	VS_MAC_LEARN_NEW,       /**< added, possibly evicting the oldest entry of its bucket */
	VS_MAC_LEARN_BUSY,      /**< another thread was writing the bucket: not learned */
	VS_MAC_LEARN_IGNORED,   /**< multicast source or port 0: not learned */
};

/** One entry, as vs_mac_iter_next() reports it. */
struct vs_mac_entry {
	uint8_t mac[6]; /**< Ethernet address */
	uint16_t vlan;  /**< VLAN id (12 bits), 0 for untagged */
	uint16_t port;  /**< OpenFlow port */
	uint32_t age_s; /**< seconds since it was last learned */
};

/** Position of a walk over the table; start with vs_mac_iter_init(). */
struct vs_mac_iter {
	uint32_t bucket; /**< next bucket to read */
	uint32_t way;    /**< next way in that bucket */
};

/**
 * Memory needed for a table of at least 'n_entries' entries (rounded up to
 * whole buckets, a power of two of them).
 *
 * @return the size in bytes, or 0 if n_entries is 0 or above VS_MAC_ENTRIES_MAX.
 */
size_t vs_mac_memsize(uint32_t n_entries);

/**
 * Builds an empty table on 'mem' (vs_mac_memsize(n_entries) bytes, aligned to
 * VS_MAC_ALIGN), which the caller owns and frees.
 *
 * @param aging_s  seconds after its last learn that an entry stops matching
 *                 (OVS mac-aging-time, default 300); at least 1.
 * @return the table (at 'mem'), or NULL with rte_errno = EINVAL.
 */
struct vs_mac *vs_mac_init(void *mem, uint32_t n_entries, uint32_t aging_s);

/**
 * Records that 'mac' on VLAN 'vlan' was seen on 'ofport' at 'now_s'.  Never
 * waits: see "Thread safety" above.  Multicast sources and port 0 are ignored.
 */
enum vs_mac_learn_result vs_mac_learn(struct vs_mac *m, const uint8_t mac[6], uint16_t vlan,
                                      uint16_t ofport, uint32_t now_s);

/**
 * Port where 'mac' on 'vlan' was last learned, if it was learned less than
 * the aging time before 'now_s'.  Lock-free.
 *
 * @return the port, or 0 when unknown or aged out (also, rarely, when the
 *         bucket is being rewritten through every retry: the caller floods).
 */
uint16_t vs_mac_lookup(const struct vs_mac *m, const uint8_t mac[6], uint16_t vlan, uint32_t now_s);

/** Removes every entry.  @return the number removed (aged ones included). */
uint32_t vs_mac_flush(struct vs_mac *m);

/** Removes the entries on 'ofport' (a port being deleted).  @return the number removed. */
uint32_t vs_mac_flush_port(struct vs_mac *m, uint16_t ofport);

/**
 * Removes aged entries from at most 'max_buckets' buckets, continuing where
 * the previous call stopped (bounded housekeeping).  Aged entries are already
 * invisible to lookups; this frees their slots and keeps counts exact.
 *
 * @return the number removed.
 */
uint32_t vs_mac_expire(struct vs_mac *m, uint32_t now_s, uint32_t max_buckets);

/**
 * Sets the aging time; lookups use it from their next call.
 * @return 0, or -EINVAL if aging_s is 0.
 */
int vs_mac_set_aging(struct vs_mac *m, uint32_t aging_s);

/** Current aging time in seconds. */
uint32_t vs_mac_get_aging(const struct vs_mac *m);

/** Number of entries that have not aged out at 'now_s'. */
uint32_t vs_mac_count(const struct vs_mac *m, uint32_t now_s);

/** Number of slots (entries the table can hold). */
uint32_t vs_mac_capacity(const struct vs_mac *m);

/** Starts a walk at the first entry. */
void vs_mac_iter_init(struct vs_mac_iter *it);

/**
 * Reports the next entry that has not aged out at 'now_s' ("fdb show").
 * Entries learned, moved or removed during the walk may be reported or
 * missed; each reported entry is consistent (mac, vlan and port together).
 *
 * @return true with '*e' filled, false at the end of the table.
 */
bool vs_mac_iter_next(const struct vs_mac *m, struct vs_mac_iter *it, uint32_t now_s,
                      struct vs_mac_entry *e);

#endif /* VS_MAC_H */
