/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ct: userspace connection tracking (issue #4), library core.
 *
 * Three layers, each usable alone:
 *  - protocol trackers: pure functions over a per-connection state struct
 *    (TCP with sequence/window tracking after van Rooij, "Real Stateful TCP
 *    Packet Filtering in IP Filter", as pf and Linux nf_conntrack_proto_tcp.c
 *    do it; UDP and other IP protocols with OVS's first/single/multiple;
 *    ICMP/ICMPv6 echo by id; ICMP errors related through their embedded
 *    header).  They read no clock and touch nothing but their arguments.
 *  - the connection table: (zone, 5-tuple) keys of both directions point to
 *    one 'struct ct_conn'; lock-free lookups, per-bucket writer locks.
 *  - ct_execute_burst(): tracks a burst packet by packet in arrival order
 *    (a connection committed by packet k is seen by packet k + 1).
 *
 * Position: src/ calls ct_execute_burst() from the ct() action with keys from
 * lib/flowcache's parser; this library knows no ports, lcores, clocks or
 * config files.  Every function takes 'now' (milliseconds, any epoch) as an
 * argument.
 *
 * Thread safety (see also ct_priv.h):
 *  - ct_execute_burst() and ct_lookup_bulk() may run concurrently on any
 *    number of threads over one table, and with ct_sweep() (which one thread
 *    at a time runs per table).  Lookups take no lock; a
 *    connection's mutable fields are updated under its own spinlock;
 *    insertion and deletion lock only the buckets they touch (no global
 *    lock).  Connections returned by lookups stay readable until the caller's
 *    next RCU quiescent state: deleted connections go to the 'retire' hook,
 *    which must free them (ct_conn_free()) after a grace period.
 *  - ct_tbl_create()/ct_tbl_destroy() and the limit setters are control path;
 *    ct_tbl_destroy() requires that no other thread uses the table.
 *
 * Default timeouts (seconds), those of OVS userspace conntrack
 * (lib/conntrack-tp.c ct_dpif_netdev_tp_def[]), see ct_timeouts_default():
 *   TCP SYN_SENT 30, SYN_RECV 30, ESTABLISHED 86400 (24 h),
 *   FIN_WAIT / CLOSE_WAIT / LAST_ACK 900 (OVS "fin_wait", its closing
 *   states), TIME_WAIT 45, CLOSE 30, SYN_SENT2 30 (OVS: syn_sent);
 *   UDP first 60, single 60, multiple 30;
 *   ICMP first 60, reply 30;
 *   other protocols as UDP (OVS maps other first/multiple/bidir to the UDP
 *   first/single/multiple timeouts).
 *
 * Verdicts, states and counters are checked against the Linux kernel's
 * nf_conntrack by tests/ct_kernel; the differences that remain are listed
 * with their reasons in docs/ct-differential.md.
 *
 * Not yet (XXX(#4)): fragment reassembly (fragments get CT_R_FRAG, +inv, for
 * the caller to drop and count); NAT; nf_conntrack's shorter timeouts after
 * repeated retransmissions, with unacknowledged data or for picked-up
 * connections; clang -Wthread-safety annotations (DPDK 22.11's rte_spinlock
 * has none).
 */
#ifndef CT_H
#define CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pktmeta.h"

/** Largest burst ct_execute_burst() and ct_lookup_bulk() accept. */
#define CT_BURST_MAX 64

/** Default global connection limit. */
#define CT_DEFAULT_MAX_CONNS 1000000u

/** Directions of a connection. */
enum ct_dir {
	CT_DIR_ORIG = 0,  /**< the direction of the packet that created it */
	CT_DIR_REPLY = 1, /**< the other one */
};

/*
 * Reasons for a verdict.  X(enum suffix, name).  CT_R_OK and
 * CT_R_TCP_IGNORED go with valid verdicts, all others with CT_V_INV or with
 * a connection that was not created.
 */
#define CT_REASONS(X)                                                                              \
	X(OK, "ok")                            /* tracked normally */                              \
	X(TCP_IGNORED, "tcp_ignored")          /* accepted, connection not refreshed */            \
	X(TCP_TRUNC, "tcp_truncated")          /* TCP header or options cut short */               \
	X(TCP_BAD_FLAGS, "tcp_bad_flags")      /* flag combination no TCP sends */                 \
	X(TCP_BAD_TRANS, "tcp_bad_transition") /* state table says invalid */                      \
	X(TCP_NO_PICKUP, "tcp_no_pickup")      /* mid-stream segment, pickup disabled */           \
	X(TCP_SEQ_ABOVE, "tcp_seq_above")      /* SEQ over the receiver's window */                \
	X(TCP_SEQ_BELOW, "tcp_seq_below")      /* SEQ end below the receiver's window */           \
	X(TCP_ACK_ABOVE, "tcp_ack_above")      /* ACK/SACK for data never sent */                  \
	X(TCP_ACK_BELOW, "tcp_ack_below")      /* ACK too far behind */                            \
	X(TCP_RST_SEQ, "tcp_rst_seq")          /* RST below what the peer acknowledged */          \
	X(ICMP_TRUNC, "icmp_truncated")        /* ICMP header or embedded header cut short */      \
	X(ICMP_BAD_TYPE, "icmp_bad_type")      /* reply without request, unknown type */           \
	X(ICMP_NO_CONN, "icmp_error_no_conn")  /* quotes no tracked packet of its destination */   \
	X(L4_TRUNC, "l4_truncated")            /* UDP header cut short or malformed */             \
	X(NOT_IP, "not_ip")                    /* neither IPv4 nor IPv6 */                         \
	X(FRAG, "fragment")                    /* IP fragment: no reassembly yet, dropped */       \
	X(LIMIT_GLOBAL, "limit_global")        /* global connection limit reached */               \
	X(LIMIT_ZONE, "limit_zone")            /* zone connection limit reached */                 \
	X(NO_MEM, "no_memory")                 /* connection allocation failed */                  \
	X(TABLE_FULL, "table_full")            /* no free slot within the probe distance */

enum ct_reason {
#define CT_R_ENUM__(e, s) CT_R_##e,
	CT_REASONS(CT_R_ENUM__)
#undef CT_R_ENUM__
			CT_R_N
};

/** Name of a reason, for counters ("unknown" when out of range). */
const char *ct_reason_name(enum ct_reason r);

/** What a tracker says about one packet. */
enum ct_v {
	CT_V_NEW,    /**< original direction, no reply seen yet (+new) */
	CT_V_EST,    /**< reply seen, or reply direction (+est) */
	CT_V_INV,    /**< invalid: state untouched (+inv) */
	CT_V_REOPEN, /**< TCP SYN reusing a closed tuple: delete, track as new */
	CT_V_DELETE, /**< valid, then delete the connection (TCP RST before any reply) */
};

struct ct_verdict {
	enum ct_v v;
	enum ct_reason reason;
};

/* ---------------------------------------------------------------------- */
/* Timeouts.                                                              */

enum ct_tmo {
	CT_TMO_TCP_SYN_SENT,
	CT_TMO_TCP_SYN_RECV,
	CT_TMO_TCP_ESTABLISHED,
	CT_TMO_TCP_FIN_WAIT,
	CT_TMO_TCP_CLOSE_WAIT,
	CT_TMO_TCP_LAST_ACK,
	CT_TMO_TCP_TIME_WAIT,
	CT_TMO_TCP_CLOSE,
	CT_TMO_TCP_SYN_SENT2,
	CT_TMO_UDP_FIRST,
	CT_TMO_UDP_SINGLE,
	CT_TMO_UDP_MULTIPLE,
	CT_TMO_ICMP_FIRST,
	CT_TMO_ICMP_REPLY,
	CT_TMO_OTHER_FIRST,
	CT_TMO_OTHER_SINGLE,
	CT_TMO_OTHER_MULTIPLE,
	CT_TMO_N
};

/** Timeouts in seconds, indexed by enum ct_tmo. */
struct ct_timeouts {
	uint32_t sec[CT_TMO_N];
};

/** Fills 't' with the defaults listed at the top of this file. */
void ct_timeouts_default(struct ct_timeouts *t);

/** Name of a timeout ("tcp_established", "udp_first", ...; OVS's spelling). */
const char *ct_tmo_name(enum ct_tmo t);
/** enum ct_tmo of 'name', or -1. */
int ct_tmo_by_name(const char *name);

/** Timeout policies a table holds at most: the global one and up to 63 zones' own. */
#define CT_TMO_POLICIES_MAX 64

/* ---------------------------------------------------------------------- */
/* TCP tracker.                                                           */

/** TCP states, as nf_conntrack's (same order). */
enum ct_tcp_state_id {
	CT_TCP_NONE,
	CT_TCP_SYN_SENT,
	CT_TCP_SYN_RECV,
	CT_TCP_ESTABLISHED,
	CT_TCP_FIN_WAIT,
	CT_TCP_CLOSE_WAIT,
	CT_TCP_LAST_ACK,
	CT_TCP_TIME_WAIT,
	CT_TCP_CLOSE,
	CT_TCP_SYN_SENT2,
	CT_TCP_N_STATES,
};

/** Name of a TCP state ("NONE", "SYN_SENT", ... as conntrack -L prints). */
const char *ct_tcp_state_name(enum ct_tcp_state_id s);

/** TCP header flags (low byte of the flags field). */
#define CT_TCP_FIN 0x01u
#define CT_TCP_SYN 0x02u
#define CT_TCP_RST 0x04u
#define CT_TCP_PSH 0x08u
#define CT_TCP_ACK 0x10u
#define CT_TCP_URG 0x20u
#define CT_TCP_ECE 0x40u
#define CT_TCP_CWR 0x80u

/** ct_tcp_seg.wscale when the segment carries no window scale option. */
#define CT_TCP_WSCALE_NONE 0xffu
/** Largest window scale (RFC 7323 2.3). */
#define CT_TCP_WSCALE_MAX 14u

/** One TCP segment as the tracker sees it (host byte order). */
struct ct_tcp_seg {
	uint32_t seq;         /**< sequence number */
	uint32_t ack;         /**< acknowledgment number (meaningful with ACK) */
	uint32_t payload_len; /**< bytes of data after the TCP header */
	uint32_t sack_right;  /**< highest right edge of the SACK blocks (n_sack > 0) */
	uint16_t win;         /**< window field, unscaled */
	uint8_t flags;        /**< CT_TCP_* */
	uint8_t wscale;       /**< window scale option, or CT_TCP_WSCALE_NONE */
	uint8_t sack_perm;    /**< SACK-permitted option present */
	uint8_t n_sack;       /**< number of SACK blocks */
	uint8_t has_opts;     /**< the header has options (data offset above 5) */
};

/** Per-direction flags in struct ct_tcp_peer. */
#define CT_TCP_PF_WSCALE     0x01u /**< sent a window scale option in its SYN */
#define CT_TCP_PF_SACK       0x02u /**< sent SACK-permitted */
#define CT_TCP_PF_LIBERAL    0x04u /**< no window checks (mid-stream pickup) */
#define CT_TCP_PF_MAXACK     0x08u /**< td_maxack is set */
#define CT_TCP_PF_UNACKED    0x10u /**< sent data not yet acknowledged */
#define CT_TCP_PF_CLOSE_INIT 0x20u /**< sent the FIN that began the close */

/** Connection flags in struct ct_tcp_state (nf_conntrack keeps these in ct->status and
 *  proto.tcp.last_flags). */
#define CT_TCP_SF_SIMOPEN   0x01u /**< went through SYN_SENT2 (simultaneous open) */
#define CT_TCP_SF_ASSURED   0x02u /**< reached ESTABLISHED with both directions seen */
#define CT_TCP_SF_CHALLENGE 0x04u /**< SYN ignored in LAST_ACK: a challenge ACK may follow */

/** What the tracker knows of one direction (the sender of that direction). */
struct ct_tcp_peer {
	uint32_t td_end;    /**< highest SEQ + len sent */
	uint32_t td_maxend; /**< highest SEQ + len the receiver's window allows */
	uint32_t td_maxwin; /**< largest (scaled) window advertised, >= 1 once seen */
	uint32_t td_maxack; /**< highest ACK sent (CT_TCP_PF_MAXACK) */
	uint8_t scale;      /**< window scale of this sender's windows */
	uint8_t flags;      /**< CT_TCP_PF_* */
};

/** Per-connection TCP state.  All zero means "no packet seen". */
struct ct_tcp_state {
	struct ct_tcp_peer peer[2]; /**< [enum ct_dir] */
	uint8_t state;              /**< enum ct_tcp_state_id */
	uint8_t seen_reply;         /**< a valid reply-direction packet was seen */
	uint8_t last_dir;           /**< direction of the last valid segment */
	uint8_t retrans;            /**< consecutive retransmissions of the same ACK segment */
	uint32_t last_seq;          /**< SEQ, ACK, end, window of that segment */
	uint32_t last_ack;
	uint32_t last_end;
	uint16_t last_win;
	uint8_t last_class;  /**< flag class + 1 of the last valid or ignored segment, 0: none */
	uint8_t last_wscale; /**< options of the last ignored SYN (for the resync below) */
	uint8_t last_pflags; /**< CT_TCP_PF_WSCALE / CT_TCP_PF_SACK of that SYN */
	uint8_t sflags;      /**< CT_TCP_SF_* */
};

/** TCP tracker options. */
struct ct_tcp_cfg {
	bool loose;      /**< pick up connections mid-stream (nf_conntrack_tcp_loose) */
	bool be_liberal; /**< accept out-of-window segments (nf_conntrack_tcp_be_liberal) */
};

/**
 * Parses the TCP header at 'tcp_hdr' into 'seg'.
 *
 * @param len  bytes from the TCP header to the end of the IP payload.
 * @return 0, or -EINVAL when the header is cut short or its data offset is
 *         below 5 or beyond 'len' ('seg' then undefined).  A malformed option
 *         list only ends the options, as in nf_conntrack.
 */
int ct_tcp_parse_seg(const uint8_t *tcp_hdr, uint32_t len, struct ct_tcp_seg *seg);

/**
 * Tracks one segment.  A zeroed 'st' with dir == CT_DIR_ORIG is a new
 * connection: a SYN starts it in SYN_SENT, a bare ACK picks it up in
 * ESTABLISHED when cfg->loose (window checks then liberal for the
 * connection, as nf_conntrack does, since the window scale is unknown).
 *
 * Invalid segments (CT_V_INV) leave 'st' unchanged.  CT_V_REOPEN: a SYN in
 * TIME_WAIT or CLOSE after a FIN, or after an RST from the SYN's own side;
 * the caller drops the connection and tracks the segment on a zeroed state
 * (any other SYN there is ignored, as nf_conntrack does).  CT_V_DELETE: an
 * RST before any reply; the caller counts it, then drops the connection.
 * A valid verdict with reason CT_R_TCP_IGNORED (segments the table ignores,
 * data below the window or ACKs too far behind it, data a little over the
 * window, a SYN retransmitted before any reply) must not refresh the
 * connection's timeout or counters: nf_conntrack accepts those without
 * nf_ct_refresh_acct().  As nf_conntrack, a SYN the table ignores (original
 * direction, connection past SYN_SENT) is remembered, and a SYN/ACK that
 * acknowledges it resynchronises the connection to SYN_RECV (the peers
 * restarted the connection while we kept the old one).  Pure: reads no
 * clock, touches only 'st'.  Differences from Linux: docs/ct-differential.md.
 *
 * @param dir  enum ct_dir of the segment relative to the connection.
 */
struct ct_verdict ct_tcp_update(struct ct_tcp_state *st, int dir, const struct ct_tcp_seg *seg,
                                const struct ct_tcp_cfg *cfg);

/** Timeout of 'st' in seconds under 't'. */
uint32_t ct_tcp_timeout(const struct ct_tcp_state *st, const struct ct_timeouts *t);

/* ---------------------------------------------------------------------- */
/* UDP / other protocols and ICMP trackers.                               */

/** UDP and other-protocol states (OVS conntrack-other.c). */
enum ct_udp_state_id {
	CT_UDP_NONE,     /**< no packet yet */
	CT_UDP_FIRST,    /**< one packet from the originator */
	CT_UDP_SINGLE,   /**< more packets, originator only */
	CT_UDP_MULTIPLE, /**< packets in both directions */
};

/** ICMP echo (and other query) states. */
enum ct_icmp_state_id {
	CT_ICMP_NONE,
	CT_ICMP_FIRST, /**< request(s) seen */
	CT_ICMP_REPLY, /**< reply seen */
};

/** Per-connection state of the small trackers. */
struct ct_simple_state {
	uint8_t state; /**< enum ct_udp_state_id or enum ct_icmp_state_id */
};

/** Tracks one UDP or other-protocol packet; a zeroed 'st' is a new connection. */
struct ct_verdict ct_udp_update(struct ct_simple_state *st, int dir);

/**
 * Tracks one ICMP/ICMPv6 query packet (echo, timestamp, information, address
 * mask); a zeroed 'st' is a new connection, which only a request may start.
 *
 * @param is_reply  the packet is a reply type (echo reply...).
 */
struct ct_verdict ct_icmp_update(struct ct_simple_state *st, int dir, bool is_reply);

/** Timeouts of the small trackers in seconds under 't'. */
uint32_t ct_udp_timeout(const struct ct_simple_state *st, const struct ct_timeouts *t);
uint32_t ct_other_timeout(const struct ct_simple_state *st, const struct ct_timeouts *t);
uint32_t ct_icmp_timeout(const struct ct_simple_state *st, const struct ct_timeouts *t);

/* ---------------------------------------------------------------------- */
/* Keys.                                                                  */

/**
 * Connection key of one direction.  IPv4 addresses sit in the first 4 bytes
 * of src/dst, the rest zero.  Ports in network order; for ICMP/ICMPv6
 * queries sport is the identifier and dport (type << 8 | code) of the
 * request, so that request and reply keys are each other's reverse (the
 * reply's dport is mapped back to the request type); other protocols: 0.
 * Padding-free, compared as words.
 */
struct ct_key {
	_Alignas(uint64_t) uint8_t src[16]; /**< aligned: keys are hashed and compared as words */
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint16_t zone;
	uint8_t proto; /**< IP protocol */
	uint8_t af;    /**< 4 or 6 */
};

_Static_assert(sizeof(struct ct_key) == 40, "ct_key must be 5 words without padding");
_Static_assert(_Alignof(struct ct_key) == 8, "ct_key is read as words");

/** Stores the reverse direction of 'k' in 'r' (may not alias). */
void ct_key_reverse(const struct ct_key *k, struct ct_key *r);

/** Hash of a key (CRC32 over its words). */
uint32_t ct_key_hash(const struct ct_key *k);

/** One packet for ct_execute_burst(). */
struct ct_pkt {
	const struct pm_key *key; /**< parsed flow key (lib/flowcache) */
	const uint8_t *l4;        /**< start of the L4 header */
	uint32_t l4_len;          /**< bytes from l4 to the end of the IP payload */
	uint32_t pkt_len;         /**< for byte counters */
};

/**
 * Builds the connection key of 'pkt' in zone 'zone'.  ICMP errors yield the
 * key of the embedded packet and set '*icmp_err'.
 *
 * @return CT_R_OK, or the reason the packet cannot be tracked.
 */
enum ct_reason ct_key_extract(const struct ct_pkt *pkt, uint16_t zone, struct ct_key *key,
                              bool *icmp_err);

/* ---------------------------------------------------------------------- */
/* Connection table.                                                      */

struct ct_tbl;
struct ct_conn;

/** Allocator hook: src/ passes rte_zmalloc_socket()-based ones, tests aligned_alloc(). */
typedef void *ct_alloc_fn(void *arg, size_t size, size_t align);
typedef void ct_free_fn(void *arg, void *ptr);
/** Called with a connection just unlinked; must ct_conn_free() it after an RCU grace period. */
typedef void ct_retire_fn(void *arg, struct ct_tbl *tbl, struct ct_conn *conn);

struct ct_tbl_params {
	uint32_t max_conns;            /**< global limit (0: CT_DEFAULT_MAX_CONNS) */
	uint32_t n_buckets;            /**< largest array, power of two (0: sized for max_conns) */
	uint32_t start_buckets;        /**< first array, power of two; it grows (ct_grow()) up
	                                    to n_buckets (0: n_buckets, no growth) */
	ct_alloc_fn *alloc;            /**< zeroing allocator (required) */
	ct_free_fn *free;              /**< its free (required) */
	void *alloc_arg;               /**< passed to alloc/free */
	ct_retire_fn *retire;          /**< NULL: free at once (single-threaded users, tests) */
	void *retire_arg;              /**< passed to retire */
	struct ct_tcp_cfg tcp;         /**< TCP tracker options */
	const struct ct_timeouts *tmo; /**< NULL: ct_timeouts_default() */
};

/**
 * Creates a table.  Control path.
 * @return the table, or NULL with rte_errno set (EINVAL, ENOMEM).
 */
struct ct_tbl *ct_tbl_create(const struct ct_tbl_params *p);

/** Frees the table and every connection in it (no retire hook).  Accepts NULL. */
void ct_tbl_destroy(struct ct_tbl *tbl);

/** Size of a connection: what the allocator hook is asked for per connection. */
size_t ct_conn_size(void);

/** Frees a retired connection (from the retire hook, after a grace period). */
void ct_conn_free(struct ct_tbl *tbl, struct ct_conn *conn);

/** Sets the limit of 'zone' (0: no zone limit, the default).  Control path. */
void ct_zone_limit_set(struct ct_tbl *tbl, uint16_t zone, uint32_t limit);

/** Zone limit of 'zone' (0: none). */
uint32_t ct_zone_limit(const struct ct_tbl *tbl, uint16_t zone);

/** Global limit now, and the limit the buckets were sized for at creation. */
uint32_t ct_max_conns(const struct ct_tbl *tbl);
uint32_t ct_capacity(const struct ct_tbl *tbl);

/** Buckets of the current array (8 slots each; a connection takes two). */
uint32_t ct_n_buckets(const struct ct_tbl *tbl);
/** Buckets of the largest array, where growth stops. */
uint32_t ct_n_buckets_max(const struct ct_tbl *tbl);

/**
 * Whether ct_grow() has work: the current array is over a quarter full and
 * smaller than the largest, or an earlier ct_grow() left keys to move.  Any thread.
 */
bool ct_grow_wanted(const struct ct_tbl *tbl);

/** Waits until every reader that may hold a pointer into the table has passed a
 * quiescent state (the grace period of the retire hook). */
typedef void ct_sync_fn(void *arg);

/**
 * Grows the bucket array: allocates one at least twice the size (up to the
 * largest), moves every key while packet threads keep looking up, inserting
 * and deleting, switches to it, and frees the old one after two calls of
 * 'sync'.  One thread at a time, never a packet thread, and not an RCU reader
 * while it runs.  Without a retire hook (single-threaded users) 'sync' may do
 * nothing.
 * @return 1 grown, 0 nothing to do, -ENOMEM (nothing changed), or -EAGAIN: some
 * keys found no free slot in the new array yet (the table stays correct with
 * both arrays; call again later).
 */
int ct_grow(struct ct_tbl *tbl, ct_sync_fn *sync, void *sync_arg);

/**
 * Sets the global limit.  Control path; packets see it soon (relaxed).  Lowering it
 * below the count removes nothing: new connections are refused until enough expire.
 * @return 0, or -EINVAL when 'max' is 0 or above ct_capacity().
 */
int ct_max_conns_set(struct ct_tbl *tbl, uint32_t max);

/** Sets the TCP tracker options.  Control path; packets see them soon (relaxed). */
void ct_tcp_cfg_set(struct ct_tbl *tbl, const struct ct_tcp_cfg *cfg);
/** TCP tracker options in force. */
void ct_tcp_cfg_get(const struct ct_tbl *tbl, struct ct_tcp_cfg *cfg);

/**
 * Sets the timeouts of 'zone', or the global ones when 'zone' < 0.  A zone
 * without its own uses the global ones.  Control path, one caller at a time;
 * connections take the new values at their next packet.
 * @return 0, -EINVAL (zone out of range) or -ENOSPC (CT_TMO_POLICIES_MAX zones have their own).
 */
int ct_timeouts_set(struct ct_tbl *tbl, int zone, const struct ct_timeouts *t);

/** Timeouts in force for 'zone' (the global ones when 'zone' < 0 or it has none of its own). */
void ct_timeouts_get(const struct ct_tbl *tbl, int zone, struct ct_timeouts *t);
/** True when 'zone' has its own timeouts. */
bool ct_zone_has_timeouts(const struct ct_tbl *tbl, uint16_t zone);

/** Original-direction key of a connection (immutable: no lock needed). */
const struct ct_key *ct_conn_key(const struct ct_conn *conn);

/**
 * Iteration over the connections: returns the next one at or after slot '*pos'
 * (start with 0) and advances '*pos', or NULL at the end.  Lock-free; the
 * caller must be an RCU reader of the retire hook's grace period while it uses
 * the connection.  A connection inserted or removed meanwhile may be missed
 * or seen.
 */
struct ct_conn *ct_iter_next(const struct ct_tbl *tbl, uint64_t *pos);

/**
 * Deletes 'conn' (ct flush): marks it dead under its lock, unlinks it and
 * hands it to the retire hook.  Any thread; concurrent with packets and the
 * sweeper.  @return false when another thread deleted it first.
 */
bool ct_conn_kill(struct ct_tbl *tbl, struct ct_conn *conn);

/** Number of connections in the table, and in 'zone' (relaxed reads). */
uint32_t ct_count(const struct ct_tbl *tbl);
uint32_t ct_zone_count(const struct ct_tbl *tbl, uint16_t zone);

/**
 * Looks up keys[i] for each bit i in 'keys_map' (hash, prefetch, then compare,
 * signature first).  Stores the connection in conns[i] and its direction in
 * dirs[i].  Lock-free.
 *
 * @return the bits that hit.
 */
uint64_t ct_lookup_bulk(const struct ct_tbl *tbl, uint64_t keys_map,
                        const struct ct_key *const keys[], struct ct_conn *conns[], uint8_t dirs[]);

/** Reads a connection's current TCP state, mark and expiry (under its lock). */
struct ct_conn_info {
	struct ct_key key[2]; /**< original and reply keys */
	uint64_t expiry;      /**< ms */
	uint32_t mark;
	uint8_t label[16];
	uint8_t proto_state; /**< enum ct_tcp_state_id / ct_udp_state_id / ct_icmp_state_id */
	uint64_t n_packets[2];
	uint64_t n_bytes[2];
};
void ct_conn_get_info(struct ct_conn *conn, struct ct_conn_info *info);

/**
 * Expires connections: visits at most 'budget' table slots from where the
 * previous call stopped, unlinking those whose expiry is <= now.  One
 * sweeper at a time per table (the cursor is not shared).
 *
 * @return the number of connections expired.
 */
uint32_t ct_sweep(struct ct_tbl *tbl, uint64_t now, uint32_t budget);

/* ---------------------------------------------------------------------- */
/* The ct() action over a burst.                                          */

/** Options of one ct() action. */
struct ct_exec_opts {
	uint16_t zone;
	bool commit;   /**< create connections for +new packets */
	bool set_mark; /**< with commit: mark = (mark & ~mark_mask) | mark_val */
	uint32_t mark_val;
	uint32_t mark_mask;
	bool set_label; /**< with commit: same for the label, byte-wise */
	uint8_t label_val[16];
	uint8_t label_mask[16];
};

/** Whether a ct() with 'o' writes the connection (a commit with exec): it takes the
 * connection's lock even when the packet was tracked already. */
static inline bool
ct_opts_exec(const struct ct_exec_opts *o)
{
	return o->commit && (o->set_mark || o->set_label);
}

/**
 * Whether a ct() with 'o' leaves a packet tracked already as it is
 * (ct_execute_cached()): the previous ct() ran in zone 'zone' and gave 'ct_state',
 * +trk without +inv, in the same zone.  The connection must also still be the
 * packet's and live.
 */
static inline bool
ct_tracked_in(const struct ct_exec_opts *o, uint16_t zone, uint8_t ct_state)
{
	return zone == o->zone && (ct_state & (PM_CS_TRACKED | PM_CS_INVALID)) == PM_CS_TRACKED;
}

/** Per-thread counters (single writer, relaxed readers). */
struct ct_thread_stats {
	uint64_t n_reason[CT_R_N]; /**< per packet: reason of its verdict */
	uint64_t n_created;        /**< connections committed */
	uint64_t n_reopened;       /**< TCP connections replaced by a SYN reusing the tuple */
	uint64_t n_expired; /**< timed-out connections found by a packet before the sweeper */
	uint64_t n_deleted; /**< connections a packet ended (TCP RST before any reply) */
};

/** Connections a thread's packets unlinked so far (expired, reopened, ended): unchanged
 * over a batch, every connection its results name was live at the end of it. */
static inline uint64_t
ct_thread_unlinks(const struct ct_thread_stats *st)
{
	return st->n_expired + st->n_reopened + st->n_deleted;
}

/** Per-thread context of the ct() stage: one per PMD, like its other stage contexts. */
struct ct_ctx {
	struct ct_tbl *tbl;           /**< the table this thread tracks in */
	struct ct_thread_stats stats; /**< this thread's counters */
};

/** Result for one packet. */
struct ct_result {
	uint8_t ct_state;     /**< PM_CS_* */
	uint8_t reason;       /**< enum ct_reason */
	uint32_t mark;        /**< connection's mark after the action, 0 without one */
	uint8_t label[16];    /**< connection's label */
	struct ct_conn *conn; /**< NULL when untracked or not committed; for a connection this
	                       *   packet deleted (TCP RST before any reply), readable until
	                       *   the retire hook's grace period, NULL without a hook */
	uint32_t hash;        /**< ct_key_hash() of the packet's own key (zone, addresses,
	                       *   ports, protocol) when this call computed it, else 0: a flow
	                       *   hash that costs the caller nothing (VXLAN entropy) */
};

/**
 * Tracks pkts[0, n) in arrival order in zone opts->zone: every packet sees
 * the connections created, updated or deleted by the packets before it.  A
 * connection whose expiry is <= now counts as gone even before ct_sweep()
 * reclaims it (the packet unlinks it).
 * Keys are hashed and buckets prefetched for the whole burst first.
 * Never blocks except on a connection's or bucket's spinlock.
 *
 * @param ctx  the calling thread's context (its counters are written).
 * @param n    at most CT_BURST_MAX.
 */
void ct_execute_burst(struct ct_ctx *ctx, const struct ct_exec_opts *opts,
                      const struct ct_pkt *pkts, uint16_t n, uint64_t now, struct ct_result *res);

/**
 * Extras for ct_execute_burst_ordered(), each optional (NULL).
 *
 * Ordering: packet i may be tracked only once the packet whose result
 * after[i] points at (an earlier packet, of this call or of one made before)
 * ended in a ct_state listed in 'safe'.  The caller uses it to run several
 * packets of one connection in one call when it cannot know beforehand
 * whether an earlier one will need a later ct() (a commit in a recirculated
 * pass, src/vs_ct.c) before the next one may be tracked.
 *
 * Hints: conns[i] is a connection an earlier ct() of packet i found (its
 * ct_result.conn), still readable (the retire hook's grace period has not
 * passed since), or NULL.  When its key is packet i's (zone included) and it
 * is still live, it is the connection a lookup would find, so the lookup is
 * skipped; otherwise the packet is looked up as usual.
 */
struct ct_order {
	const struct ct_result *const *after; /**< NULL, or [n]: a result to wait for, or NULL */
	uint64_t safe;                        /**< bit s set: ct_state s lets the next go */
	uint64_t safe_if_conn; /**< bit s set: ct_state s lets the next go when that result
	                        *   has a connection (ct_result.conn: it existed) */
	/**
	 * NULL, or [n]: a hint, or NULL.  A hint is the connection the packet's previous
	 * ct() found, and pkts[i].key carries that ct()'s result (ct_state, ct_zone,
	 * ct_mark, ct_label): when it is the packet's connection in the same zone and
	 * direction, the packet was tracked already and is not tracked or counted again
	 * (as the kernel datapath with an skb's cached conntrack entry); its result is
	 * the key's, and a commit with exec applies the mark and label.
	 */
	struct ct_conn *const *conns;
	/**
	 * Without 'after' and 'conns': the waits found here instead.  The call stops
	 * before a packet (the return says how many ran, the others are untouched) when
	 * an earlier packet of the call has its connection, in either direction (a hash
	 * says so: a collision may stop it early, never late), and that packet's result
	 * does not let it go ('safe', 'safe_if_conn').  For a caller that runs the later
	 * ct() calls of the packets after this call, without knowing beforehand which
	 * share a connection (src/vs_ct.c: a group made by the call).
	 */
	bool find_waits;
};

/**
 * The hinted case of ct_execute_burst_ordered() for one packet, without the
 * burst's machinery.  The caller promises that 'c' is the connection that the
 * previous ct() of the packet with flow key 'key' found (its tuple unchanged
 * since); the key's ct fields are that ct()'s result.  When that ct() ran in
 * zone opts->zone, tracked the packet (+trk, not +inv) and 'c' is still live,
 * sets 'res' as a tracking call would (the key's result; a commit with exec
 * applies the mark and label), counts it and returns true.  Otherwise returns
 * false and leaves the packet to ct_execute_burst_ordered(), which tracks it.
 * Decided from the flow key alone: TCP, UDP and SCTP packets, not fragments.
 * The caller keeps arrival order: it may use this for packet i only when every
 * packet before it in the burst was tracked already.
 */
bool ct_execute_cached(struct ct_ctx *ctx, const struct ct_exec_opts *opts,
                       const struct pm_key *key, struct ct_conn *c, uint64_t now,
                       struct ct_result *res);

/**
 * ct_execute_burst() with the extras of 'ord': it stops before the first
 * packet i whose after[i] is not NULL and whose ct_state is neither in 'safe'
 * nor, with a connection, in 'safe_if_conn'.
 * Packets from there on are not tracked, counted or looked at again
 * (res[ret, n) is not written); the caller runs them in a later call.
 *
 * @param ord  NULL: no extras (as ct_execute_burst()).
 * @return the number of packets tracked, res[0, ret); at least 1 when n > 0
 *         and after[0] is NULL or safe.
 */
uint16_t ct_execute_burst_ordered(struct ct_ctx *ctx, const struct ct_exec_opts *opts,
                                  const struct ct_pkt *pkts, uint16_t n, uint64_t now,
                                  struct ct_result *res, const struct ct_order *ord);

/**
 * True when ct() on 'pkt' in 'zone' can only give +trk+est (+rpl) or +trk+inv and
 * leaves the connection established: its connection exists, is established in
 * both directions (TCP ESTABLISHED with a reply seen; UDP and other protocols
 * with packets both ways), does not expire before now + margin_ms, and 'pkt'
 * is not an ICMP packet nor a TCP segment with SYN, FIN or RST.  It holds as
 * long as no other thread deletes the connection (ct flush) meanwhile.  (src/
 * no longer asks in advance: it batches several packets of one connection
 * and lets ct_execute_burst_ordered() check each one's predecessor.)
 * Lock-free lookup, then the connection's lock.
 */
bool ct_pkt_stays_established(struct ct_tbl *tbl, const struct ct_pkt *pkt, uint16_t zone,
                              uint64_t now, uint64_t margin_ms);

#endif /* CT_H */
