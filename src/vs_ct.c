/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking in the daemon: the shared table and its connection
 * pool, the ct() action (batched over the packets of a pass), burst
 * splitting for arrival-order tracking, expiry, and the
 * "ct dump|flush|stats|limit|timeout" commands.  See vs_ct.h for threads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "vs_ct.h"
#include "vs_daemon.h"
#include "vs_dpif.h"
#include "vs_switch.h"

_Static_assert(VS_BURST_MAX <= CT_BURST_MAX, "a pass must fit one ct_execute_burst()");

RTE_LOG_REGISTER(vs_ct_logtype, user.vs.ct, INFO);
#define CT_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, vs_ct_logtype, "ct: " fmt "\n", ##__VA_ARGS__)

/* Retired connections waiting for a grace period at most (then reclaim runs inline). */
#define DQ_SIZE (1u << 18)

static struct {
	struct ct_tbl *tbl;         /**< published with release, NULL until first use */
	struct rte_rcu_qsbr_dq *dq; /**< retired connections */
	uint32_t max_conns;         /**< limit for the table to be created */
	struct ct_tcp_cfg tcp;      /**< TCP options for the table to be created ("ct set") */
	uint64_t n_flushed;         /**< connections deleted by "ct flush" (control only) */
	uint64_t n_grown;           /**< bucket array growths (control only) */
	uint64_t grow_ms;           /**< time spent growing, ms (control only) */
	bool grow_nomem;            /**< the last growth found no memory (logged once) */
	uint64_t n_retire_failed;   /**< never freed: the defer queue was full (leaked) */
	/* Last "ct stats": for the per-second rates. */
	uint64_t last_ms, last_created, last_expired;
} g = { .max_conns = CT_DEFAULT_MAX_CONNS, .tcp = { .loose = true } };

/* ------------------------------------------------------------------ */
/* Connection memory. */

/*
 * Connections come from slabs of POOL_SLAB, kept until shutdown; free ones sit
 * in per-lcore caches and a lock-free MP/MC ring, as in a mempool, so that
 * creating a connection takes no lock: the heap (and its lock) is touched
 * once per POOL_SLAB connections, under 'grow_lock', which only growth takes.
 * The ring holds every object there can be, so a free never fails.  Memory
 * grows with the connection count and is not returned before shutdown.
 */
#define POOL_CACHE 64   /**< per-lcore cache */
#define POOL_BULK  32   /**< moved between a cache and the ring at once */
#define POOL_SLAB  1024 /**< connections per slab */
#define POOL_TBL   8    /**< table allocations made through the hook */

struct pool_cache {
	uint32_t n;
	void *objs[POOL_CACHE];
} __rte_cache_aligned;

static struct {
	bool ready;            /**< connections come from the pool (after table creation) */
	bool destroying;       /**< table teardown: connection frees are ignored */
	size_t size;           /**< ct_conn_size() */
	struct rte_ring *ring; /**< free connections */
	uint32_t n_objs;       /**< objects made (under grow_lock; relaxed reads) */
	uint32_t max_objs;     /**< the ring's size */
	rte_spinlock_t grow_lock;
	void *slabs; /**< list through each slab's first word (grow_lock) */
	/* Contention on growth, for "ct stats" (relaxed: any thread adds, control reads). */
	uint64_t n_lock_waits;   /**< grow_lock found held by another thread */
	uint64_t n_grow_races;   /**< took grow_lock, then found another thread had grown it */
	void *tbl_mem[POOL_TBL]; /**< the table's own allocations (control thread) */
	struct pool_cache cache[RTE_MAX_LCORE]; /**< each written by its lcore only */
} pool = { .grow_lock = RTE_SPINLOCK_INITIALIZER };

/* Adds a slab to the ring.  @return 0, or -ENOMEM at the bound or without memory. */
static int
pool_grow(void)
{
	static void *objs[POOL_SLAB]; /* under grow_lock */
	uint8_t *slab;
	unsigned int i;
	int ret = 0;

	if (!rte_spinlock_trylock(&pool.grow_lock)) {
		__atomic_fetch_add(&pool.n_lock_waits, 1, __ATOMIC_RELAXED);
		rte_spinlock_lock(&pool.grow_lock);
	}
	if (rte_ring_count(pool.ring) >= POOL_BULK) {
		__atomic_fetch_add(&pool.n_grow_races, 1, __ATOMIC_RELAXED);
		goto out_unlock; /* another thread grew it */
	}
	if (pool.n_objs + POOL_SLAB > pool.max_objs) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	slab = rte_malloc_socket("vs_ct_slab", RTE_CACHE_LINE_SIZE + POOL_SLAB * pool.size,
	                         RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
	if (slab == NULL) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	*(void **)slab = pool.slabs;
	pool.slabs = slab;
	for (i = 0; i < POOL_SLAB; i++)
		objs[i] = slab + RTE_CACHE_LINE_SIZE + i * pool.size;
	rte_ring_mp_enqueue_bulk(pool.ring, objs, POOL_SLAB, NULL); /* room: max_objs */
	__atomic_store_n(&pool.n_objs, pool.n_objs + POOL_SLAB, __ATOMIC_RELAXED);
out_unlock:
	rte_spinlock_unlock(&pool.grow_lock);
	return ret;
}

static void *
pool_get(void)
{
	unsigned int lc = rte_lcore_id();
	struct pool_cache *c;
	void *obj;

	if (lc >= RTE_MAX_LCORE) {
		while (rte_ring_mc_dequeue(pool.ring, &obj) != 0)
			if (pool_grow() != 0)
				return NULL;
		return obj;
	}
	c = &pool.cache[lc];
	while (c->n == 0) {
		c->n = rte_ring_mc_dequeue_burst(pool.ring, c->objs, POOL_BULK, NULL);
		if (c->n == 0 && pool_grow() != 0)
			return NULL;
	}
	obj = c->objs[--c->n];
	if (c->n != 0) {
		/* The next connection this PMD creates: its lines were last written long ago
		 * (freed connections wait a grace period), and the one taken now is written
		 * whole at once (lib/ct zeroes it); fetching them now takes that miss off the
		 * next creation's path (setup profile: 5-10% of a PMD waiting on it). */
		const uint8_t *next = c->objs[c->n - 1];
		size_t off;

		for (off = 0; off < pool.size; off += RTE_CACHE_LINE_SIZE)
			rte_prefetch0_write(next + off);
	}
	return obj;
}

static void
pool_put(void *obj)
{
	unsigned int lc = rte_lcore_id();
	struct pool_cache *c;

	if (lc >= RTE_MAX_LCORE) {
		rte_ring_mp_enqueue(pool.ring, obj); /* room: max_objs */
		return;
	}
	c = &pool.cache[lc];
	if (c->n == POOL_CACHE) {
		rte_ring_mp_enqueue_bulk(pool.ring, &c->objs[POOL_CACHE - POOL_BULK], POOL_BULK,
		                         NULL);
		c->n -= POOL_BULK;
	}
	c->objs[c->n++] = obj;
}

/* Allocator hook: the table's arrays from the heap, connections from the pool. */
static void *
ct_alloc(void *arg, size_t size, size_t align)
{
	unsigned int i;
	void *p;

	(void)arg;
	if (pool.ready && size == pool.size)
		return pool_get();
	p = rte_zmalloc_socket("vs_ct", size, (unsigned int)align, SOCKET_ID_ANY);
	for (i = 0; p != NULL && i < POOL_TBL; i++) {
		if (pool.tbl_mem[i] == NULL) {
			pool.tbl_mem[i] = p;
			return p;
		}
	}
	rte_free(p); /* cannot happen: the table makes four allocations */
	return NULL;
}

static void
ct_free(void *arg, void *ptr)
{
	unsigned int i;

	(void)arg;
	for (i = 0; ptr != NULL && i < POOL_TBL; i++) {
		if (pool.tbl_mem[i] == ptr) {
			pool.tbl_mem[i] = NULL;
			rte_free(ptr);
			return;
		}
	}
	if (ptr != NULL && !pool.destroying)
		pool_put(ptr);
}

/* Sizes the ring for every connection there can be.  Control thread, before the table. */
static int
pool_init(uint32_t capacity)
{
	uint64_t n = (uint64_t)capacity + DQ_SIZE + (VS_PMD_MAX + 2) * POOL_CACHE + POOL_SLAB;

	pool.size = ct_conn_size();
	n = (n + POOL_SLAB - 1) / POOL_SLAB * POOL_SLAB;
	if (n > UINT32_MAX / 2)
		return -EINVAL;
	pool.max_objs = (uint32_t)n;
	pool.ring = rte_ring_create("vs_ct_conns", pool.max_objs, SOCKET_ID_ANY, RING_F_EXACT_SZ);
	return pool.ring != NULL ? 0 : -ENOMEM;
}

/* Frees every slab and the ring.  PMDs stopped, table destroyed. */
static void
pool_fini(void)
{
	while (pool.slabs != NULL) {
		void *next = *(void **)pool.slabs;

		rte_free(pool.slabs);
		pool.slabs = next;
	}
	rte_ring_free(pool.ring);
	memset(pool.cache, 0, sizeof(pool.cache));
	pool.ring = NULL;
	pool.n_objs = 0;
	pool.ready = false;
	pool.destroying = false;
}

/* ------------------------------------------------------------------ */
/* Table creation. */

static void
dq_free(void *p, void *e, unsigned int n)
{
	struct ct_conn **conns = e;
	unsigned int i;

	for (i = 0; i < n; i++)
		ct_conn_free(p, conns[i]);
}

/* Retire hook: any thread.  The connection is freed once every reader has passed a
 * quiescent state (PMDs each iteration; the control thread goes offline after a dump). */
static void
ct_retire(void *arg, struct ct_tbl *tbl, struct ct_conn *conn)
{
	(void)arg;
	(void)tbl;
	if (rte_rcu_qsbr_dq_enqueue(g.dq, &conn) != 0)
		__atomic_fetch_add(&g.n_retire_failed, 1, __ATOMIC_RELAXED);
}

int
vs_ct_ensure_table(struct vs_reply *r)
{
	struct ct_tbl_params p = {
		.alloc = ct_alloc,
		.free = ct_free,
		.retire = ct_retire,
	};
	struct rte_rcu_qsbr_dq_parameters dqp = {
		.name = "vs_ct_dq",
		.size = DQ_SIZE,
		.esize = sizeof(struct ct_conn *),
		.trigger_reclaim_limit = 256,
		.max_reclaim_size = 1024,
		.free_fn = dq_free,
		.v = vs_d.sw.qsbr,
	};
	struct ct_tbl *tbl;

	if (g.tbl != NULL)
		return 0;
	p.max_conns = g.max_conns;
	p.tcp = g.tcp;
	/* Buckets for at least the default: raising the limit later needs no rebuild. */
	p.n_buckets = 0;
	if (p.max_conns < CT_DEFAULT_MAX_CONNS) {
		uint64_t want = (uint64_t)CT_DEFAULT_MAX_CONNS * 2 * 2 / 8;

		p.n_buckets = 8;
		while (p.n_buckets < want)
			p.n_buckets <<= 1;
	}
	/* The array starts small and grows (vs_ct_maintain()) up to that size. */
	p.start_buckets = VS_CT_START_BUCKETS;
	tbl = ct_tbl_create(&p);
	if (tbl == NULL)
		return vs_reply_error(r, -ENOMEM, "cannot create the connection table: %s",
		                      rte_strerror(rte_errno));
	if (pool_init(ct_capacity(tbl)) != 0) {
		ct_tbl_destroy(tbl);
		pool_fini();
		return vs_reply_error(r, -ENOMEM, "cannot create the connection pool");
	}
	pool.ready = true;
	dqp.p = tbl;
	/* The control thread reads connections (dump, flush) as a reader of its own. */
	rte_rcu_qsbr_thread_register(vs_d.sw.qsbr, VS_CT_CTL_THREAD);
	g.dq = rte_rcu_qsbr_dq_create(&dqp);
	if (g.dq == NULL) {
		ct_tbl_destroy(tbl);
		pool_fini();
		return vs_reply_error(r, -ENOMEM, "cannot create the connection defer queue: %s",
		                      rte_strerror(rte_errno));
	}
	/* Release: the table is complete before a PMD that loads the pointer uses it
	 * (acquire in table_of()). */
	__atomic_store_n(&g.tbl, tbl, __ATOMIC_RELEASE);
	return 0;
}

bool
vs_ct_active(void)
{
	return __atomic_load_n(&g.tbl, __ATOMIC_RELAXED) != NULL;
}

/* ct_grow()'s sync hook: a grace period of every PMD and of the control thread's reads. */
static void
grow_sync(void *arg)
{
	(void)arg;
	rte_rcu_qsbr_synchronize(vs_d.sw.qsbr, RTE_QSBR_THRID_INVALID);
}

void
vs_ct_maintain(void)
{
	uint64_t t0;
	int rc;

	if (g.tbl == NULL || !ct_grow_wanted(g.tbl))
		return;
	/* The control thread is offline here (it goes online only to read connections). */
	t0 = vs_clock_ms();
	rc = ct_grow(g.tbl, grow_sync, NULL);
	g.grow_ms += vs_clock_ms() - t0;
	if (rc == 1) {
		g.n_grown++;
		CT_LOG(INFO, "connection table grown to %u buckets (%u connections)",
		       ct_n_buckets(g.tbl), ct_count(g.tbl));
		g.grow_nomem = false;
	} else if (rc == -ENOMEM && !g.grow_nomem) {
		/* Once, not every 10 ms: it tries again every round until it can. */
		g.grow_nomem = true;
		CT_LOG(WARNING,
		       "no memory to grow the connection table (%u buckets, %u connections)",
		       ct_n_buckets(g.tbl), ct_count(g.tbl));
	}
	/* -EAGAIN: a few keys found no slot in the new array yet; the next call goes on. */
}

void
vs_ct_fini(void)
{
	if (g.tbl == NULL)
		return;
	if (g.dq != NULL)
		rte_rcu_qsbr_dq_delete(g.dq); /* frees what waits (PMDs stopped) */
	pool.destroying = true;               /* the slabs go whole */
	ct_tbl_destroy(g.tbl);
	pool_fini();
	g.dq = NULL;
	g.tbl = NULL;
}

/* The table as a PMD sees it; cached in its context once it exists. */
static inline struct ct_tbl *
table_of(struct vs_pmd *pmd)
{
	if (likely(pmd->ct.tbl != NULL))
		return pmd->ct.tbl;
	/* Acquire: pairs with the release in vs_ct_ensure_table(). */
	pmd->ct.tbl = __atomic_load_n(&g.tbl, __ATOMIC_ACQUIRE);
	return pmd->ct.tbl;
}

/* ------------------------------------------------------------------ */
/* The ct() action on one packet. */

/*
 * Fills 'cp' for 'm': the L4 header and its length up to the end of the IP payload
 * (the parse's l2_len and l3_len; l3_len 0: no IP header).  The lengths from one load
 * of tx_offload and the IPv4 case first: as bitfield reads with a byte-swapped
 * ethertype it was 37 instructions a packet.
 */
static __rte_always_inline void
ct_pkt_of(const struct rte_mbuf *m, const struct pm_key *key, struct ct_pkt *cp)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint64_t txo = m->tx_offload;
	const uint32_t l3 =
			(uint32_t)(txo >> RTE_MBUF_L2_LEN_OFS) & ((1u << RTE_MBUF_L2_LEN_BITS) - 1);
	const uint32_t l3_len =
			(uint32_t)(txo >> RTE_MBUF_L3_LEN_OFS) & ((1u << RTE_MBUF_L3_LEN_BITS) - 1);
	uint32_t l4 = l3 + l3_len, end = rte_pktmbuf_data_len(m), ip_end = end;

	cp->key = key;
	cp->pkt_len = m->pkt_len;
	if (likely(l3_len != 0 && key->dl_type == RTE_BE16(RTE_ETHER_TYPE_IPV4)) && l3 + 4 <= end)
		ip_end = l3 + rte_be_to_cpu_16(pm_rd16(p + l3 + 2));
	else if (l3_len != 0 && key->dl_type == RTE_BE16(RTE_ETHER_TYPE_IPV6) && l3 + 6 <= end)
		ip_end = l3 + 40 + rte_be_to_cpu_16(pm_rd16(p + l3 + 4));
	if (ip_end < end)
		end = ip_end;
	if (likely(l3_len != 0 && end > l4)) {
		cp->l4 = p + l4;
		cp->l4_len = end - l4;
	} else {
		cp->l4 = p + (l4 < end ? l4 : end);
		cp->l4_len = 0;
	}
}

void
vs_ct_opts(const struct vs_act_ct *a, const struct pm_key *key, struct ct_exec_opts *o)
{
	o->zone = a->zone_from_reg ? (uint16_t)(key->regs[a->zone_reg & (PM_N_REGS - 1)] >>
	                                        a->zone_ofs) :
	                             a->zone;
	o->commit = a->commit;
	o->set_mark = a->set_mark;
	o->mark_val = a->mark;
	o->mark_mask = a->mark_mask;
	o->set_label = a->set_label;
	if (a->set_label) {
		memcpy(o->label_val, a->label, sizeof(o->label_val));
		memcpy(o->label_mask, a->label_mask, sizeof(o->label_mask));
	}
}

/* What a packet gets when there is no table (cannot happen: the table exists before a
 * ct() flow is installed). */
static void
no_table(struct ct_result *res)
{
	memset(res, 0, sizeof(*res));
	res->reason = CT_R_NO_MEM;
	res->ct_state = PM_CS_TRACKED | PM_CS_INVALID;
}

void
vs_ct_execute(struct vs_pmd *pmd, struct rte_mbuf *m, const struct pm_key *key,
              const struct vs_act_ct *a, struct ct_result *res, uint16_t *zone)
{
	struct vs_ct_batch b;

	b.n = 1;
	b.ordered = false;
	b.hinted = false;
	b.pkts = &m;
	b.keys = &key;
	b.act = a;
	b.acts = NULL;
	b.after = NULL;
	b.conns = NULL;
	b.find_waits = false;
	vs_ct_execute_burst(pmd, &b, res, zone);
	vs_ct_stamp_hash(m, res);
}

uint16_t
vs_ct_execute_burst(struct vs_pmd *pmd, const struct vs_ct_batch *b, struct ct_result res[],
                    uint16_t zones[])
{
	uint64_t t0 = __atomic_load_n(&pmd->detail, __ATOMIC_RELAXED) ? rte_rdtsc() : 0;
	struct ct_pkt cps[VS_BURST_MAX];
	struct ct_exec_opts o;
	struct ct_order ord;
	uint16_t i, first, start, n = b->n, done;

	RTE_ASSERT(n <= VS_BURST_MAX);
	if (unlikely(table_of(pmd) == NULL)) {
		for (i = 0; i < n; i++)
			no_table(&res[i]);
		return n;
	}
	/* The leading packets that their previous ct() decided (ct_execute_cached()): a
	 * recirculated ct(commit) on a connection the first pass found.  Only a prefix, so
	 * that they still come before the packets that are tracked. */
	i = 0;
	if (b->hinted && !b->ordered) {
		/* Locals: through 'b' every test was reloaded (stores to res[] may alias it). */
		struct ct_conn *const *conns = b->conns;
		const struct pm_key *const *keys = b->keys;
		const uint64_t now = pmd->now_ms;
		const struct vs_act_ct *prev = NULL;

		for (; i < n && conns[i] != NULL; i++) {
			const struct vs_act_ct *a = vs_ct_batch_act(b, i);

			if (a != prev || a->zone_from_reg)
				vs_ct_opts(a, keys[i], &o);
			prev = a;
			zones[i] = o.zone;
			if (!ct_execute_cached(&pmd->ct, &o, keys[i], conns[i], now, &res[i]))
				break;
		}
	}
	first = i;
	for (i = first; i < n; i++)
		ct_pkt_of(b->pkts[i], b->keys[i], &cps[i]);
	ord.safe = b->safe;
	ord.safe_if_conn = b->safe_if_conn;
	ord.after = NULL;
	ord.conns = NULL;
	ord.find_waits = b->find_waits;
	RTE_ASSERT(!b->find_waits ||
	           (!b->ordered && !b->hinted && b->act != NULL && !b->act->zone_from_reg));
	/* One ct_execute_burst_ordered() per run of packets with the same action and zone. */
	i = first;
	for (start = first; start < n; start = i) {
		const struct vs_act_ct *a = vs_ct_batch_act(b, start);

		vs_ct_opts(a, b->keys[start], &o);
		zones[start] = o.zone;
		i = start + 1;
		if (b->act != NULL && !a->zone_from_reg) {
			/* One action in one zone (the usual batch): a run to the end. */
			for (; i < n; i++)
				zones[i] = o.zone;
		}
		for (; i < n; i++) {
			if (vs_ct_batch_act(b, i) != a)
				break;
			if (a->zone_from_reg) {
				struct ct_exec_opts oi;

				vs_ct_opts(a, b->keys[i], &oi);
				if (oi.zone != o.zone)
					break;
			}
			zones[i] = o.zone;
		}
		if (b->ordered)
			ord.after = &b->after[start];
		if (b->hinted)
			ord.conns = &b->conns[start];
		done = ct_execute_burst_ordered(&pmd->ct, &o, &cps[start], (uint16_t)(i - start),
		                                pmd->now_ms, &res[start],
		                                b->ordered || b->hinted || b->find_waits ? &ord :
		                                                                           NULL);
		if (unlikely(done < i - start)) {
			i = (uint16_t)(start + done);
			break;
		}
	}
	if (t0 != 0) /* not pmd->detail again: it may have flipped meanwhile */
		pmd->stats.stage_cycles[VS_STAGE_CT] += rte_rdtsc() - t0;
	return i;
}

/* ------------------------------------------------------------------ */
/* Burst splitting. */

/*
 * A hash equal for both directions of a connection.  ICMP errors relate to the
 * connection of the header they carry: they conflict with everything.
 * @return false for packets ct() never tracks (not IP): they conflict with nothing.
 */
static inline bool
conflict_hash(const struct pm_key *k, uint32_t *h, bool *barrier)
{
	uint16_t dl_type = rte_be_to_cpu_16(k->dl_type);
	uint32_t a, ports = 0;
	uint8_t type = (uint8_t)rte_be_to_cpu_16(k->tp_src);

	*barrier = false;
	if (dl_type == RTE_ETHER_TYPE_IPV4) {
		a = k->nw_src ^ k->nw_dst;
		if (k->nw_proto == IPPROTO_ICMP)
			*barrier = type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	} else if (dl_type == RTE_ETHER_TYPE_IPV6) {
		uint32_t w[8];
		unsigned int i;

		memcpy(w, k->ipv6_src, 16);
		memcpy(w + 4, k->ipv6_dst, 16);
		for (a = 0, i = 0; i < 8; i++)
			a ^= w[i];
		if (k->nw_proto == IPPROTO_ICMPV6)
			*barrier = type >= 1 && type <= 4;
	} else {
		return false;
	}
	if (k->nw_proto != IPPROTO_ICMP && k->nw_proto != IPPROTO_ICMPV6)
		ports = (uint32_t)(k->tp_src ^ k->tp_dst);
	*h = (a * 0x9e3779b1u) ^ (ports << 8) ^ k->nw_proto;
	return true;
}

/*
 * Several packets of one connection in one group.
 *
 * The groups exist for one case: packet k's ct() in a later pass (a commit,
 * pass 2) must come before packet k+1's first ct() when both are of one
 * connection.  A later packet j of connection C joins the group of an earlier
 * packet k of C (the one just before it) when:
 *
 *  (1) both first passes are decided by the first-pass last-hit megaflow (the
 *      hint), whose list runs one ct(zone=Z, table=T) first and no other
 *      ct(), resubmit or goto_table: their only first-pass ct() is the batched
 *      one, which run_ct_first() runs in arrival order (an upcall or a
 *      non-batched ct() of C never runs in the group, since such a packet
 *      fails (1) and ends the group);
 *  (2) k's first ct() ends in a ct_state for which no rule a recirculated
 *      pass can reach runs ct() or ct_clear (safe_states__() below; megaflows
 *      are flushed when the rules change, before the PMD uses the new
 *      snapshot, so the cached later passes follow the same rules).
 *
 * (1) is known before the group runs, (2) only once k's ct() has run: the
 * group is formed on (1), and the batched ct() checks (2) just before it
 * tracks j (ct_execute_burst_ordered()).  When (2) fails, j and the batched
 * packets after it are not run, and vs_dpif_process() starts the next group
 * with them.  When it holds, k's last ct() is its first one, which came
 * before j's first ct(), as with one packet per group; by induction over the
 * packets of C, each checked against the one before it, that holds for all
 * of them.  Packets of other connections do not touch C (the grouping is by
 * connection, both directions; ICMP errors are barriers; a hash collision
 * only adds a check).  Nothing is assumed about C's state: a SYN, FIN, RST or
 * out-of-window segment of C in the group is tracked in its place like any
 * other, and whether C expires or is flushed meanwhile changes nothing.
 */

/* ct_states of an established connection, both directions (bit s: state s). */
#define EST_STATES                                                                                 \
	(UINT64_C(1) << (PM_CS_TRACKED | PM_CS_ESTABLISHED) |                                      \
	 UINT64_C(1) << (PM_CS_TRACKED | PM_CS_ESTABLISHED | PM_CS_REPLY_DIR))

/* Per-PMD cache of safe_states__() by rules version; each on its own line. */
struct safe_cache_entry {
	uint64_t version; /**< rules version it was computed for */
	bool valid;
	uint64_t safe; /**< safe_states__() of that version */
	uint64_t safe_if_conn;
} __rte_cache_aligned;

static struct safe_cache_entry safe_cache[VS_PMD_MAX];

/*
 * (2) above: the ct_states s (bit s) that no rule with a ct() or ct_clear
 * action may match in a table that a recirculated pass can reach (a
 * ct(table=T) target, or a resubmit/goto_table target of a rule in such a
 * table).  ct_state cannot be set by an action, so a packet in such a state
 * runs no ct() after its first pass.
 *
 * Also, in *if_conn, the states that such rules may match only with ct()
 * actions that commit and set no mark or label (and no ct_clear): on a
 * connection that exists such a ct() changes nothing a later packet's first
 * ct() can see (tracking the same segment again leaves the state as it is, the
 * commit finds the connection), so a packet whose first ct() found its
 * connection lets the next one go as well.  This is the common firewall shape
 * "+new -> ct(commit),output", for a unidirectional UDP flow every packet.
 */
static uint64_t
safe_states__(const struct vs_ruleset *rs, uint64_t *if_conn)
{
	bool reach[VS_N_TABLES] = { false }, grew = true;
	uint64_t safe = UINT64_MAX, safe_c = UINT64_MAX;
	uint32_t t, i, a, s;

	for (t = 0; t < VS_N_TABLES; t++)
		for (i = 0; rs->tables[t] != NULL && i < rs->tables[t]->n_rules; i++) {
			const struct vs_flow_spec *sp = &rs->tables[t]->rules[i]->spec;

			for (a = 0; a < sp->n_actions; a++)
				if (sp->actions[a].type == VS_ACT_CT &&
				    sp->actions[a].ct->table < VS_N_TABLES)
					reach[sp->actions[a].ct->table] = true;
		}
	while (grew) {
		grew = false;
		for (t = 0; t < VS_N_TABLES; t++) {
			for (i = 0; reach[t] && rs->tables[t] != NULL && i < rs->tables[t]->n_rules;
			     i++) {
				const struct vs_flow_spec *sp = &rs->tables[t]->rules[i]->spec;

				for (a = 0; a < sp->n_actions; a++) {
					const struct vs_action *ac = &sp->actions[a];
					uint32_t to = ac->arg == VS_RESUBMIT_CUR_TABLE ? t :
					                                                 ac->arg;

					if (ac->type != VS_ACT_RESUBMIT &&
					    ac->type != VS_ACT_GOTO_TABLE)
						continue;
					if (to < VS_N_TABLES && !reach[to])
						reach[to] = grew = true;
				}
			}
		}
	}
	for (t = 0; t < VS_N_TABLES; t++)
		for (i = 0; reach[t] && rs->tables[t] != NULL && i < rs->tables[t]->n_rules; i++) {
			const struct vs_rule *r = rs->tables[t]->rules[i];
			bool any = false, benign = true;

			for (a = 0; a < r->spec.n_actions; a++) {
				const struct vs_action *ac = &r->spec.actions[a];

				if (ac->type == VS_ACT_CT_CLEAR) {
					any = true;
					benign = false;
				} else if (ac->type == VS_ACT_CT) {
					any = true;
					if (!ac->ct->commit || ac->ct->set_mark ||
					    ac->ct->set_label)
						benign = false;
				}
			}
			if (!any)
				continue;
			for (s = 0; s < 64; s++) {
				if ((s & r->spec.mask.ct_state) != r->spec.key.ct_state)
					continue;
				safe &= ~(UINT64_C(1) << s);
				if (!benign)
					safe_c &= ~(UINT64_C(1) << s);
			}
		}
	*if_conn = safe_c | safe;
	return safe;
}

static uint64_t
safe_states(const struct vs_pmd *pmd, const struct vs_ruleset *rs, uint64_t *if_conn)
{
	struct safe_cache_entry *e = &safe_cache[pmd->idx];

	if (unlikely(!e->valid || e->version != rs->version)) {
		e->safe = safe_states__(rs, &e->safe_if_conn);
		e->version = rs->version;
		e->valid = true;
	}
	*if_conn = e->safe_if_conn;
	return e->safe;
}

void
vs_ct_group_rest(struct vs_pmd *pmd, const struct vs_ruleset *rs, struct vs_ct_deps *deps)
{
	deps->safe = safe_states(pmd, rs, &deps->safe_if_conn);
	deps->any = false;
	deps->cut_by_ct = true;
}

/* Index of 'h' in hashes[0, n), or -1.  Newest first: a reply right behind its request
 * (request/response traffic) is found at once, where a scan from the oldest cost 26
 * instructions a packet on ct udp_rr_10k. */
static inline int
newest_of(const uint32_t *hashes, uint16_t n, uint32_t h)
{
	uint16_t k = n;

	while (k > 0 && hashes[k - 1] != h)
		k--;
	return (int)k - 1;
}

uint16_t
vs_ct_batch_len(struct vs_pmd *pmd, const struct vs_ruleset *rs,
                const struct vs_ct_group_hint *hint, const struct pm_key *keys, uint16_t n,
                uint64_t *covered, struct vs_ct_deps *deps)
{
	uint64_t seen[4] = { 0 }; /* 256-bit filter over the hashes: scan only on a hit */
	uint32_t hashes[VS_BURST_MAX];
	uint8_t lasts[VS_BURST_MAX];   /* latest packet of each hash */
	int8_t first_ok[VS_BURST_MAX]; /* (1) for the first packet of each hash: 0 unknown, 1, -1 */
	struct vs_dp_matcher hm;       /* hint->flow, set up at the first repeat */
	bool hm_set = false;
	uint16_t i, j, n_h = 0;

	/* Only when an established connection's packets are safe: the usual case, and
	 * otherwise a group that runs on would be cut at its first repeat anyway. */
	deps->safe_if_conn = 0;
	deps->safe = hint != NULL ? safe_states(pmd, rs, &deps->safe_if_conn) : 0;
	if ((deps->safe & EST_STATES) != EST_STATES)
		hint = NULL;
	deps->any = false;
	deps->cut_by_ct = false;
	for (i = 0; i < n; i++) {
		uint64_t bit;
		bool barrier;
		uint32_t h, m;

		deps->prev[i] = VS_CT_NO_DEP;
		if (!conflict_hash(&keys[i], &h, &barrier))
			continue;
		if (barrier)
			return i == 0 ? 1 : i;
		m = h * 0x85ebca6bu; /* top bits depend on every bit of h */
		bit = UINT64_C(1) << (m >> 26 & 63);
		if (seen[m >> 24 & 3] & bit) {
			int k = newest_of(hashes, n_h, h);

			if (k >= 0) {
				j = (uint16_t)k;
				/* (1) for both; (2) is checked when the group runs. */
				if (hint == NULL)
					return i;
				/* Through a matcher: a flow match each packet of a pair, 19
				 * instructions a packet less on ct udp_rr_10k. */
				if (!hm_set) {
					vs_dp_matcher_init(&hm, hint->flow);
					hm_set = true;
				}
				if (!vs_dp_matcher_match(&hm, &keys[i]))
					return i;
				if (first_ok[j] == 0) {
					bool ok = vs_dp_matcher_match(&hm, &keys[lasts[j]]);

					first_ok[j] = ok ? 1 : -1;
				}
				if (first_ok[j] < 0)
					return i;
				*covered |= UINT64_C(1) << i | UINT64_C(1) << lasts[j];
				deps->prev[i] = lasts[j];
				deps->any = true;
				lasts[j] = (uint8_t)i;
				continue;
			}
		}
		seen[m >> 24 & 3] |= bit;
		lasts[n_h] = (uint8_t)i;
		first_ok[n_h] = 0;
		hashes[n_h++] = h;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Expiry. */

void
vs_ct_housekeeping(struct vs_pmd *pmd)
{
	static uint64_t last_ms; /* PMD 0's only */
	struct ct_tbl *tbl;
	uint32_t budget;

	/* ct_sweep() has one cursor per table: PMD 0 is the only sweeper, once per ms. */
	if (pmd->idx != 0 || pmd->now_ms == last_ms || (tbl = table_of(pmd)) == NULL)
		return;
	last_ms = pmd->now_ms;
	budget = ct_n_buckets(tbl) * 8 / 1024;
	budget = RTE_MAX(VS_CT_SWEEP_MIN, RTE_MIN(VS_CT_SWEEP_MAX, budget));
	pmd->ct.stats.n_expired += ct_sweep(tbl, pmd->now_ms, budget);
}

/* ------------------------------------------------------------------ */
/* Commands. */

/* Counters of every PMD, summed (relaxed: single writers). */
static void
sum_stats(struct ct_thread_stats *t)
{
	const struct vs_switch *sw = &vs_d.sw;
	uint16_t i;
	size_t k;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < sw->n_pmds; i++) {
		const uint64_t *s = (const uint64_t *)&sw->pmds[i]->ct.stats;
		uint64_t *d = (uint64_t *)t;

		for (k = 0; k < sizeof(*t) / sizeof(uint64_t); k++)
			d[k] += __atomic_load_n(&s[k], __ATOMIC_RELAXED);
	}
}

_Static_assert(sizeof(struct ct_thread_stats) % sizeof(uint64_t) == 0,
               "ct_thread_stats must be uint64_t counters only");

/* Parses a decimal number in [lo, hi]. */
static bool
parse_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	/* Decimal, or hex with 0x (never octal: zone=010 is 10). */
	*v = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	return errno == 0 && *end == '\0' && *v >= lo && *v <= hi;
}

/* What "ct flush" and "ct dump" select. */
struct ct_filter {
	bool has_zone;
	uint16_t zone;
	bool has_src, has_dst, has_proto, has_sport, has_dport, has_type, has_code;
	uint8_t af; /**< 4 or 6 when an address was given */
	uint8_t src[16], dst[16];
	uint8_t proto, type, code;
	uint16_t sport, dport; /**< host order */
};

static int
parse_addr(const char *v, int af, uint8_t *out, struct ct_filter *f)
{
	if (inet_pton(af == 4 ? AF_INET : AF_INET6, v, out) != 1)
		return -1;
	if (f->af != 0 && f->af != af)
		return -1;
	f->af = (uint8_t)af;
	return 0;
}

/* One "name=value" of a TUPLE (comma separated).  @return 0 or -EINVAL with 'r' set. */
static int
parse_tuple_item(const char *name, const char *v, struct ct_filter *f, struct vs_reply *r)
{
	uint64_t n;

	if (!strcmp(name, "ct_nw_src") || !strcmp(name, "ct_ipv6_src")) {
		if (parse_addr(v, name[3] == 'n' ? 4 : 6, f->src, f) != 0)
			goto bad;
		f->has_src = true;
	} else if (!strcmp(name, "ct_nw_dst") || !strcmp(name, "ct_ipv6_dst")) {
		if (parse_addr(v, name[3] == 'n' ? 4 : 6, f->dst, f) != 0)
			goto bad;
		f->has_dst = true;
	} else if (!strcmp(name, "ct_nw_proto")) {
		if (!parse_num(v, 0, 255, &n))
			goto bad;
		f->proto = (uint8_t)n;
		f->has_proto = true;
	} else if (!strcmp(name, "ct_tp_src") || !strcmp(name, "icmp_id")) {
		if (!parse_num(v, 0, 65535, &n))
			goto bad;
		f->sport = (uint16_t)n;
		f->has_sport = true;
	} else if (!strcmp(name, "ct_tp_dst")) {
		if (!parse_num(v, 0, 65535, &n))
			goto bad;
		f->dport = (uint16_t)n;
		f->has_dport = true;
	} else if (!strcmp(name, "icmp_type") || !strcmp(name, "icmp_code")) {
		if (!parse_num(v, 0, 255, &n))
			goto bad;
		if (name[5] == 't') {
			f->type = (uint8_t)n;
			f->has_type = true;
		} else {
			f->code = (uint8_t)n;
			f->has_code = true;
		}
	} else {
		return vs_reply_error(
				r, -EINVAL,
				"unknown tuple field '%s' (ct_nw_src, ct_nw_dst, ct_ipv6_src, "
				"ct_ipv6_dst, ct_nw_proto, ct_tp_src, ct_tp_dst, icmp_id, "
				"icmp_type, icmp_code)",
				name);
	}
	return 0;
bad:
	return vs_reply_error(r, -EINVAL, "bad value '%s' for %s", v, name);
}

/* Parses [zone=N] [TUPLE] (TUPLE only when 'tuple_ok'). */
static int
parse_filter(int argc, char **argv, bool tuple_ok, struct ct_filter *f, struct vs_reply *r)
{
	int i;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < argc; i++) {
		char buf[512], *save = NULL, *item;
		uint64_t n;

		if (!strcmp(argv[i], "--json"))
			continue;
		if (!strncmp(argv[i], "zone=", 5) && strchr(argv[i], ',') == NULL) {
			if (!parse_num(argv[i] + 5, 0, UINT16_MAX, &n))
				return vs_reply_error(r, -EINVAL, "bad zone '%s' (0-65535)",
				                      argv[i] + 5);
			f->has_zone = true;
			f->zone = (uint16_t)n;
			continue;
		}
		if (!tuple_ok)
			return vs_reply_error(r, -EINVAL, "unexpected argument '%s'", argv[i]);
		if (snprintf(buf, sizeof(buf), "%s", argv[i]) >= (int)sizeof(buf))
			return vs_reply_error(r, -EINVAL, "tuple too long");
		if (strtok_r(buf, ",", &save) == NULL)
			return vs_reply_error(r, -EINVAL, "empty tuple '%s'", argv[i]);
		snprintf(buf, sizeof(buf), "%s", argv[i]);
		save = NULL;
		for (item = strtok_r(buf, ",", &save); item != NULL;
		     item = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(item, '=');

			if (eq == NULL)
				return vs_reply_error(r, -EINVAL,
				                      "bad tuple item '%s' (NAME=VALUE)", item);
			*eq = '\0';
			if (parse_tuple_item(item, eq + 1, f, r) != 0)
				return r->status;
		}
	}
	return 0;
}

static bool
filter_match(const struct ct_filter *f, const struct ct_key *k)
{
	uint16_t dport = rte_be_to_cpu_16(k->dport);
	bool icmp = k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;

	if (f->has_zone && k->zone != f->zone)
		return false;
	if ((f->has_src || f->has_dst) && k->af != f->af)
		return false;
	if (f->has_src && memcmp(k->src, f->src, f->af == 4 ? 4 : 16) != 0)
		return false;
	if (f->has_dst && memcmp(k->dst, f->dst, f->af == 4 ? 4 : 16) != 0)
		return false;
	if (f->has_proto && k->proto != f->proto)
		return false;
	if (f->has_sport && rte_be_to_cpu_16(k->sport) != f->sport)
		return false;
	if (f->has_dport && (icmp || dport != f->dport))
		return false;
	if (f->has_type && (!icmp || (dport >> 8) != f->type))
		return false;
	if (f->has_code && (!icmp || (dport & 0xff) != f->code))
		return false;
	return true;
}

/* Makes the control thread an RCU reader while it touches connections. */
static void
reader_online(void)
{
	rte_rcu_qsbr_thread_online(vs_d.sw.qsbr, VS_CT_CTL_THREAD);
}

static void
reader_offline(void)
{
	rte_rcu_qsbr_thread_offline(vs_d.sw.qsbr, VS_CT_CTL_THREAD);
}

/* Protocol as dpctl/dump-conntrack prints it (OVS ct_dpif_format_ipproto(): the same name
 * for IPv4 and IPv6, the number when it has none); 'buf' holds the number. */
static const char *
proto_name(const struct ct_key *k, char *buf, size_t size)
{
	switch (k->proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_DCCP:
		return "dccp";
	case IPPROTO_IGMP:
		return "igmp";
	default:
		snprintf(buf, size, "%u", k->proto);
		return buf;
	}
}

/* ICMP type of the reply direction: the key stores the request's type. */
static uint8_t
icmp_reply_type(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMPV6)
		return type == 128 ? 129 : type;
	switch (type) {
	case 8:
		return 0;
	case 13:
	case 15:
	case 17:
		return (uint8_t)(type + 1);
	default:
		return type;
	}
}

/* "(src=A,dst=B,sport=P,dport=Q)" of one direction. */
static void
print_tuple(struct vs_reply *r, const struct ct_key *k, bool reply)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->af == 4 ? AF_INET : AF_INET6;
	uint16_t dport = rte_be_to_cpu_16(k->dport);

	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	vs_reply_printf(r, "src=%s,dst=%s", s, d);
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		uint8_t type = (uint8_t)(dport >> 8);

		vs_reply_printf(r, ",id=%u,type=%u,code=%u", rte_be_to_cpu_16(k->sport),
		                reply ? icmp_reply_type(k->proto, type) : type, dport & 0xff);
	} else if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP || k->proto == IPPROTO_SCTP ||
	           k->proto == IPPROTO_UDPLITE) {
		vs_reply_printf(r, ",sport=%u,dport=%u", rte_be_to_cpu_16(k->sport), dport);
	}
}

static bool
label_nonzero(const uint8_t *l)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		if (l[i])
			return true;
	return false;
}

static void
print_conn(struct vs_reply *r, const struct ct_conn_info *ci, uint64_t now_ms, bool first)
{
	const struct ct_key *k = &ci->key[0];
	uint64_t left = ci->expiry > now_ms ? (ci->expiry - now_ms + 999) / 1000 : 0;
	const char *state = k->proto == IPPROTO_TCP ? ct_tcp_state_name(ci->proto_state) : NULL;
	unsigned int i;
	char pbuf[8];

	if (r->json) {
		vs_reply_printf(r, "%s\n  {\"proto\": \"%s\", \"orig\": \"", first ? "" : ",",
		                proto_name(k, pbuf, sizeof(pbuf)));
		print_tuple(r, &ci->key[0], false);
		vs_reply_printf(r, "\", \"reply\": \"");
		print_tuple(r, &ci->key[1], true);
		vs_reply_printf(r, "\", \"zone\": %u, \"mark\": %u, \"labels\": \"0x", k->zone,
		                ci->mark);
		for (i = 0; i < 16; i++)
			vs_reply_printf(r, "%02x", ci->label[i]);
		vs_reply_printf(r, "\", \"state\": \"%s\"", state ? state : "");
		vs_reply_printf(r,
		                ", \"timeout\": %" PRIu64 ", \"packets\": [%" PRIu64 ", %" PRIu64
		                "], \"bytes\": [%" PRIu64 ", %" PRIu64 "]}",
		                left, ci->n_packets[0], ci->n_packets[1], ci->n_bytes[0],
		                ci->n_bytes[1]);
		return;
	}
	vs_reply_printf(r, "%s,orig=(", proto_name(k, pbuf, sizeof(pbuf)));
	print_tuple(r, &ci->key[0], false);
	vs_reply_printf(r, "),reply=(");
	print_tuple(r, &ci->key[1], true);
	vs_reply_printf(r, ")");
	if (k->zone != 0)
		vs_reply_printf(r, ",zone=%u", k->zone);
	if (ci->mark != 0)
		vs_reply_printf(r, ",mark=%u", ci->mark);
	if (label_nonzero(ci->label)) {
		/* Leading zero bytes are not printed, as OVS prints a 128-bit number. */
		for (i = 0; i < 15 && ci->label[i] == 0; i++)
			;
		vs_reply_printf(r, ",labels=0x%x", ci->label[i]);
		for (i++; i < 16; i++)
			vs_reply_printf(r, "%02x", ci->label[i]);
	}
	if (state != NULL)
		vs_reply_printf(r, ",protoinfo=(state=%s)", state);
	vs_reply_printf(r, ",timeout=%" PRIu64 ",packets=%" PRIu64 ",bytes=%" PRIu64 "\n", left,
	                ci->n_packets[0] + ci->n_packets[1], ci->n_bytes[0] + ci->n_bytes[1]);
}

static int
cmd_dump(int argc, char **argv, struct vs_reply *r)
{
	struct ct_tbl *tbl = g.tbl;
	uint64_t now = vs_clock_ms(), pos = 0;
	struct ct_filter f;
	struct ct_conn *c;
	bool first = true;

	if (parse_filter(argc, argv, false, &f, r) != 0)
		return r->status;
	if (r->json)
		vs_reply_printf(r, "[");
	if (tbl != NULL) {
		reader_online();
		while ((c = ct_iter_next(tbl, &pos)) != NULL) {
			struct ct_conn_info ci;

			if (!filter_match(&f, ct_conn_key(c)))
				continue;
			ct_conn_get_info(c, &ci);
			if (ci.expiry <= now)
				continue; /* timed out, not swept yet: gone for packets too */
			print_conn(r, &ci, now, first);
			first = false;
		}
		reader_offline();
	}
	if (r->json)
		vs_reply_printf(r, "%s]\n", first ? "" : "\n");
	return 0;
}

static int
cmd_flush(int argc, char **argv, struct vs_reply *r)
{
	struct ct_tbl *tbl = g.tbl;
	uint64_t pos = 0, n = 0;
	struct ct_filter f;
	struct ct_conn *c;

	if (parse_filter(argc, argv, true, &f, r) != 0)
		return r->status;
	if (tbl != NULL) {
		reader_online();
		while ((c = ct_iter_next(tbl, &pos)) != NULL)
			if (filter_match(&f, ct_conn_key(c)) && ct_conn_kill(tbl, c))
				n++;
		reader_offline();
		if (n != 0) {
			/* Hand the memory back now rather than with later deletions: wait
			 * for a grace period (we are offline), then reclaim what waits. */
			rte_rcu_qsbr_synchronize(vs_d.sw.qsbr, RTE_QSBR_THRID_INVALID);
			rte_rcu_qsbr_dq_reclaim(g.dq, UINT32_MAX, NULL, NULL, NULL);
		}
	}
	g.n_flushed += n;
	vs_reply_printf(r, r->json ? "{\"flushed\": %" PRIu64 "}\n" : "flushed %" PRIu64 "\n", n);
	return 0;
}

static int
cmd_stats(int argc, struct vs_reply *r)
{
	struct ct_thread_stats t;
	uint64_t now = vs_clock_ms(), dt;
	double created_ps, expired_ps;
	uint32_t count = g.tbl != NULL ? ct_count(g.tbl) : 0;
	uint32_t n_objs = __atomic_load_n(&pool.n_objs, __ATOMIC_RELAXED);
	unsigned int i;

	if (argc != 0)
		return vs_reply_error(r, -EINVAL, "usage: ct stats");
	sum_stats(&t);
	dt = now - g.last_ms;
	created_ps = dt ? (double)(t.n_created - g.last_created) * 1000.0 / (double)dt : 0.0;
	expired_ps = dt ? (double)(t.n_expired - g.last_expired) * 1000.0 / (double)dt : 0.0;
	g.last_ms = now;
	g.last_created = t.n_created;
	g.last_expired = t.n_expired;
	if (r->json) {
		vs_reply_printf(r,
		                "{\"count\": %u, \"max\": %u, \"created\": %" PRIu64
		                ", \"expired\": %" PRIu64 ", \"reopened\": %" PRIu64
		                ", \"flushed\": %" PRIu64 ", \"created_per_s\": %.1f"
		                ", \"expired_per_s\": %.1f, \"retire_failed\": %" PRIu64
		                ", \"conn_objects\": %u, \"conn_memory\": %" PRIu64
		                ", \"pool_lock_waits\": %" PRIu64 ", \"pool_grow_races\": %" PRIu64
		                ", \"buckets\": %u, \"buckets_max\": %u, \"grown\": %" PRIu64
		                ", \"grow_ms\": %" PRIu64 ", \"reasons\": {",
		                count, g.tbl ? ct_max_conns(g.tbl) : g.max_conns, t.n_created,
		                t.n_expired, t.n_reopened, g.n_flushed, created_ps, expired_ps,
		                __atomic_load_n(&g.n_retire_failed, __ATOMIC_RELAXED), n_objs,
		                (uint64_t)n_objs * pool.size,
		                __atomic_load_n(&pool.n_lock_waits, __ATOMIC_RELAXED),
		                __atomic_load_n(&pool.n_grow_races, __ATOMIC_RELAXED),
		                g.tbl ? ct_n_buckets(g.tbl) : 0,
		                g.tbl ? ct_n_buckets_max(g.tbl) : 0, g.n_grown, g.grow_ms);
		for (i = 0; i < CT_R_N; i++)
			vs_reply_printf(r, "%s\"%s\": %" PRIu64, i ? ", " : "", ct_reason_name(i),
			                t.n_reason[i]);
		vs_reply_printf(r, "}}\n");
		return 0;
	}
	vs_reply_printf(r,
	                "connections: %u (max %u)\ncreated: %" PRIu64 " (%.1f/s)\nexpired: %" PRIu64
	                " (%.1f/s)\nreopened: %" PRIu64 "\nflushed: %" PRIu64
	                "\nretire failed (leaked): %" PRIu64
	                "\nconnection memory: %u objects of %zu bytes"
	                "\npool contention: %" PRIu64 " lock waits, %" PRIu64 " lost growth races"
	                "\ntable: %u buckets (grows to %u), grown %" PRIu64 " times in %" PRIu64
	                " ms"
	                "\npackets by reason:",
	                count, g.tbl ? ct_max_conns(g.tbl) : g.max_conns, t.n_created, created_ps,
	                t.n_expired, expired_ps, t.n_reopened, g.n_flushed,
	                __atomic_load_n(&g.n_retire_failed, __ATOMIC_RELAXED), n_objs, pool.size,
	                __atomic_load_n(&pool.n_lock_waits, __ATOMIC_RELAXED),
	                __atomic_load_n(&pool.n_grow_races, __ATOMIC_RELAXED),
	                g.tbl ? ct_n_buckets(g.tbl) : 0, g.tbl ? ct_n_buckets_max(g.tbl) : 0,
	                g.n_grown, g.grow_ms);
	for (i = 0; i < CT_R_N; i++)
		vs_reply_printf(r, " %s=%" PRIu64, ct_reason_name(i), t.n_reason[i]);
	vs_reply_printf(r, "\n(rates since the previous 'ct stats')\n");
	return 0;
}

/* "ct limit": 'apply' false only validates "set" (a config file being read). */
static int
cmd_limit(int argc, char **argv, bool apply, struct vs_reply *r)
{
	struct {
		uint16_t zone;
		uint32_t limit;
	} zl[64];
	unsigned int n_zl = 0, i;
	bool has_default = false;
	uint64_t dflt = 0, v;
	int ret;

	if (argc >= 1 && !strcmp(argv[0], "show") && argc == 1 && apply) {
		struct ct_tbl *tbl = g.tbl;
		bool first = true;
		uint32_t z;

		if (r->json)
			vs_reply_printf(r,
			                "{\"default\": %u, \"count\": %u, \"capacity\": %u, "
			                "\"zones\": [",
			                tbl ? ct_max_conns(tbl) : g.max_conns,
			                tbl ? ct_count(tbl) : 0, tbl ? ct_capacity(tbl) : 0);
		else
			vs_reply_printf(r, "default limit=%u, count=%u, capacity=%u\n",
			                tbl ? ct_max_conns(tbl) : g.max_conns,
			                tbl ? ct_count(tbl) : 0, tbl ? ct_capacity(tbl) : 0);
		for (z = 0; tbl != NULL && z <= UINT16_MAX; z++) {
			uint32_t l = ct_zone_limit(tbl, (uint16_t)z);

			if (l == 0)
				continue;
			vs_reply_printf(r,
			                r->json ? "%s{\"zone\": %u, \"limit\": %u, \"count\": %u}" :
			                          "%szone=%u,limit=%u,count=%u\n",
			                r->json && !first ? ", " : "", z, l,
			                ct_zone_count(tbl, (uint16_t)z));
			first = false;
		}
		if (r->json)
			vs_reply_printf(r, "]}\n");
		return 0;
	}
	if (argc < 2 || strcmp(argv[0], "set") != 0)
		return vs_reply_error(r, -EINVAL,
		                      "usage: ct limit set [default=N] [zone=Z,limit=N]... | ct "
		                      "limit show");
	/* Validate everything first: a bad word changes nothing. */
	for (i = 1; i < (unsigned int)argc; i++) {
		uint64_t z, l;
		char *comma;

		if (!strncmp(argv[i], "default=", 8)) {
			if (!parse_num(argv[i] + 8, 1, UINT32_MAX, &dflt))
				return vs_reply_error(r, -EINVAL, "bad default limit '%s' (1-%u)",
				                      argv[i] + 8, UINT32_MAX);
			has_default = true;
			continue;
		}
		comma = strchr(argv[i], ',');
		if (strncmp(argv[i], "zone=", 5) != 0 || comma == NULL ||
		    strncmp(comma + 1, "limit=", 6) != 0)
			return vs_reply_error(r, -EINVAL,
			                      "bad limit '%s' (default=N or zone=Z,limit=N)",
			                      argv[i]);
		*comma = '\0';
		if (!parse_num(argv[i] + 5, 0, UINT16_MAX, &z)) {
			ret = vs_reply_error(r, -EINVAL, "bad zone '%s' (0-65535)", argv[i] + 5);
			*comma = ',';
			return ret;
		}
		*comma = ',';
		if (!parse_num(comma + 7, 0, UINT32_MAX, &l))
			return vs_reply_error(r, -EINVAL, "bad zone limit '%s' (0 = none)",
			                      comma + 7);
		if (n_zl == VS_ARRAY_SIZE(zl))
			return vs_reply_error(r, -E2BIG, "too many zones in one command (max 64)");
		zl[n_zl].zone = (uint16_t)z;
		zl[n_zl++].limit = (uint32_t)l;
	}
	if (has_default && g.tbl != NULL && dflt > ct_capacity(g.tbl))
		return vs_reply_error(r, -EINVAL,
		                      "default=%" PRIu64 " exceeds the table's capacity %u "
		                      "(fixed when the table was created)",
		                      dflt, ct_capacity(g.tbl));
	if (!apply)
		return 0;
	if (n_zl > 0 && vs_ct_ensure_table(r) != 0)
		return r->status;
	if (has_default) {
		v = dflt;
		if (g.tbl != NULL)
			ct_max_conns_set(g.tbl, (uint32_t)v);
		g.max_conns = (uint32_t)v;
	}
	for (i = 0; i < n_zl; i++)
		ct_zone_limit_set(g.tbl, zl[i].zone, zl[i].limit);
	return 0;
}

/* "ct timeout": 'apply' false only validates "set" (a config file being read). */
/* The values of 't', after "global:" or "zone Z:" (text) or inside an object (JSON). */
static void
print_timeouts(struct vs_reply *r, const struct ct_timeouts *t)
{
	int i;

	for (i = 0; i < CT_TMO_N; i++)
		vs_reply_printf(r, r->json ? "%s\"%s\": %u" : "%s %s=%u", r->json && i ? ", " : "",
		                ct_tmo_name(i), t->sec[i]);
}

/*
 * The zones with their own timeouts, after the global ones of 'ct timeout show': a line
 * each ("zone Z: ..."), or in JSON a "zones" member keyed by zone (the global values stay
 * the object's own members, as before there were zones).
 */
static void
print_zone_timeouts(struct vs_reply *r)
{
	struct ct_timeouts t;
	bool first = true;
	uint32_t z;

	for (z = 0; z <= UINT16_MAX; z++) {
		if (!ct_zone_has_timeouts(g.tbl, (uint16_t)z))
			continue;
		ct_timeouts_get(g.tbl, (int)z, &t);
		if (r->json)
			vs_reply_printf(r, "%s\"%u\": {", first ? ", \"zones\": {" : ", ", z);
		else
			vs_reply_printf(r, "\nzone %u:", z);
		print_timeouts(r, &t);
		if (r->json)
			vs_reply_printf(r, "}");
		first = false;
	}
	if (r->json && !first)
		vs_reply_printf(r, "}");
}

static int
cmd_timeout(int argc, char **argv, bool apply, struct vs_reply *r)
{
	struct ct_timeouts t;
	int zone = -1, i, first_arg = 1;
	uint64_t v;

	if (argc < 1 || (strcmp(argv[0], "set") != 0 && strcmp(argv[0], "show") != 0))
		return vs_reply_error(
				r, -EINVAL,
				"usage: ct timeout set [zone=Z] NAME=SEC... | ct timeout show "
				"[zone=Z]");
	if (argc >= 2 && !strncmp(argv[1], "zone=", 5)) {
		if (!parse_num(argv[1] + 5, 0, UINT16_MAX, &v))
			return vs_reply_error(r, -EINVAL, "bad zone '%s' (0-65535)", argv[1] + 5);
		zone = (int)v;
		first_arg = 2;
	}
	if (!apply && strcmp(argv[0], "set") != 0)
		return vs_reply_error(r, -EINVAL, "only 'ct timeout set' belongs in a config file");
	if (!apply)
		ct_timeouts_default(&t); /* values are only checked */
	else if (vs_ct_ensure_table(r) != 0)
		return r->status;
	else
		ct_timeouts_get(g.tbl, zone, &t);
	if (!strcmp(argv[0], "show")) {
		if (argc > first_arg)
			return vs_reply_error(r, -EINVAL, "usage: ct timeout show [zone=Z]");
		if (r->json)
			vs_reply_printf(r, "{");
		else if (zone >= 0)
			vs_reply_printf(r, "zone %d%s:", zone,
			                ct_zone_has_timeouts(g.tbl, (uint16_t)zone) ? "" :
			                                                              " (global)");
		else
			vs_reply_printf(r, "global:");
		print_timeouts(r, &t);
		if (zone < 0)
			print_zone_timeouts(r);
		vs_reply_printf(r, r->json ? "}\n" : "\n");
		return 0;
	}
	if (argc <= first_arg)
		return vs_reply_error(r, -EINVAL, "usage: ct timeout set [zone=Z] NAME=SEC...");
	for (i = first_arg; i < argc; i++) {
		char name[64], *eq = strchr(argv[i], '=');
		int k;

		if (eq == NULL || (size_t)(eq - argv[i]) >= sizeof(name))
			return vs_reply_error(r, -EINVAL, "bad timeout '%s' (NAME=SEC)", argv[i]);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[i]), argv[i]);
		k = ct_tmo_by_name(name);
		if (k < 0)
			return vs_reply_error(r, -EINVAL,
			                      "unknown timeout '%s' (see 'ct timeout show')", name);
		if (!parse_num(eq + 1, 1, 30u * 24 * 3600, &v))
			return vs_reply_error(r, -EINVAL, "bad seconds '%s' for %s (1-2592000)",
			                      eq + 1, name);
		t.sec[k] = (uint32_t)v;
	}
	if (!apply)
		return 0;
	if (ct_timeouts_set(g.tbl, zone, &t) != 0)
		return vs_reply_error(r, -ENOSPC, "too many zones with their own timeouts (max %u)",
		                      CT_TMO_POLICIES_MAX - 1);
	return 0;
}

/* Parses "on", "off", "1", "0", "true", "false". */
static bool
parse_bool(const char *s, bool *v)
{
	if (!strcmp(s, "on") || !strcmp(s, "1") || !strcmp(s, "true"))
		*v = true;
	else if (!strcmp(s, "off") || !strcmp(s, "0") || !strcmp(s, "false"))
		*v = false;
	else
		return false;
	return true;
}

/*
 * "ct set tcp_loose=on|off tcp_be_liberal=on|off": the TCP tracker options,
 * named after the nf_conntrack sysctls they mirror.  Everything is validated
 * before anything changes.
 */
static int
cmd_set(int argc, char **argv, bool apply, struct vs_reply *r)
{
	struct ct_tcp_cfg c = g.tcp;
	int i;

	if (argc < 1)
		return vs_reply_error(r, -EINVAL,
		                      "usage: ct set [tcp_loose=on|off] [tcp_be_liberal=on|off]");
	for (i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		bool *dst = NULL;

		if (eq != NULL && (size_t)(eq - argv[i]) == 9 && !strncmp(argv[i], "tcp_loose", 9))
			dst = &c.loose;
		else if (eq != NULL && (size_t)(eq - argv[i]) == 14 &&
		         !strncmp(argv[i], "tcp_be_liberal", 14))
			dst = &c.be_liberal;
		if (dst == NULL)
			return vs_reply_error(r, -EINVAL,
			                      "unknown ct setting '%s' (tcp_loose=on|off, "
			                      "tcp_be_liberal=on|off)",
			                      argv[i]);
		if (!parse_bool(eq + 1, dst))
			return vs_reply_error(r, -EINVAL, "bad value '%s' for %.*s (on or off)",
			                      eq + 1, (int)(eq - argv[i]), argv[i]);
	}
	if (!apply)
		return 0;
	g.tcp = c;
	if (g.tbl != NULL)
		ct_tcp_cfg_set(g.tbl, &c);
	return 0;
}

/* "ct show": the settings of "ct set" and the global limit. */
static int
cmd_show(int argc, struct vs_reply *r)
{
	if (argc != 0)
		return vs_reply_error(r, -EINVAL, "usage: ct show");
	vs_reply_printf(r,
	                r->json ? "{\"tcp_loose\": %s, \"tcp_be_liberal\": %s, \"limit\": %u}\n" :
	                          "tcp_loose=%s tcp_be_liberal=%s limit=%u\n",
	                r->json ? (g.tcp.loose ? "true" : "false") : (g.tcp.loose ? "on" : "off"),
	                r->json ? (g.tcp.be_liberal ? "true" : "false") :
	                          (g.tcp.be_liberal ? "on" : "off"),
	                g.tbl != NULL ? ct_max_conns(g.tbl) : g.max_conns);
	return 0;
}

int
vs_ct_config_check(int argc, char **argv, struct vs_reply *r)
{
	const char *c = argc > 0 ? argv[0] : "";

	if (!strcmp(c, "limit") && argc >= 2 && !strcmp(argv[1], "set"))
		return cmd_limit(argc - 1, argv + 1, false, r);
	if (!strcmp(c, "timeout") && argc >= 2 && !strcmp(argv[1], "set"))
		return cmd_timeout(argc - 1, argv + 1, false, r);
	if (!strcmp(c, "set"))
		return cmd_set(argc - 1, argv + 1, false, r);
	return vs_reply_error(r, -EINVAL,
	                      "only 'ct set', 'ct limit set' and 'ct timeout set' belong in a "
	                      "config file");
}

/* Writes "ct timeout set [zone=Z]" with the values of 't' that differ from 'base'. */
static void
save_timeouts(FILE *f, int zone, const struct ct_timeouts *t, const struct ct_timeouts *base)
{
	bool any = false;
	int i;

	for (i = 0; i < CT_TMO_N; i++) {
		if (t->sec[i] == base->sec[i])
			continue;
		if (!any) {
			fprintf(f, "ct timeout set");
			if (zone >= 0)
				fprintf(f, " zone=%d", zone);
			any = true;
		}
		fprintf(f, " %s=%u", ct_tmo_name(i), t->sec[i]);
	}
	if (any)
		fprintf(f, "\n");
}

void
vs_ct_save(FILE *f)
{
	struct ct_timeouts dflt, glob, zt;
	uint32_t max = g.tbl != NULL ? ct_max_conns(g.tbl) : g.max_conns, z;

	if (g.tcp.loose != true || g.tcp.be_liberal != false)
		fprintf(f, "ct set tcp_loose=%s tcp_be_liberal=%s\n", g.tcp.loose ? "on" : "off",
		        g.tcp.be_liberal ? "on" : "off");
	if (max != CT_DEFAULT_MAX_CONNS)
		fprintf(f, "ct limit set default=%u\n", max);
	if (g.tbl == NULL)
		return;
	for (z = 0; z <= UINT16_MAX; z++)
		if (ct_zone_limit(g.tbl, (uint16_t)z) != 0)
			fprintf(f, "ct limit set zone=%u,limit=%u\n", z,
			        ct_zone_limit(g.tbl, (uint16_t)z));
	ct_timeouts_default(&dflt);
	ct_timeouts_get(g.tbl, -1, &glob);
	save_timeouts(f, -1, &glob, &dflt);
	/* A zone's own timeouts are written whole: they replace the global ones. */
	for (z = 0; z <= UINT16_MAX; z++) {
		if (!ct_zone_has_timeouts(g.tbl, (uint16_t)z))
			continue;
		ct_timeouts_get(g.tbl, (int)z, &zt);
		memset(&dflt, 0, sizeof(dflt));
		save_timeouts(f, (int)z, &zt, &dflt);
	}
}

int
vs_ct_cmd(int argc, char **argv, struct vs_reply *r)
{
	const char *c = argc > 0 ? argv[0] : "";

	if (!strcmp(c, "dump"))
		return cmd_dump(argc - 1, argv + 1, r);
	if (!strcmp(c, "flush"))
		return cmd_flush(argc - 1, argv + 1, r);
	if (!strcmp(c, "stats"))
		return cmd_stats(argc - 1, r);
	if (!strcmp(c, "limit"))
		return cmd_limit(argc - 1, argv + 1, true, r);
	if (!strcmp(c, "timeout"))
		return cmd_timeout(argc - 1, argv + 1, true, r);
	if (!strcmp(c, "set"))
		return cmd_set(argc - 1, argv + 1, true, r);
	if (!strcmp(c, "show"))
		return cmd_show(argc - 1, r);
	return vs_reply_error(r, -EINVAL,
	                      "usage: ct dump [zone=N] | ct flush [zone=N] [TUPLE] | ct stats | "
	                      "ct limit set|show | ct timeout set|show | ct set | ct show");
}
