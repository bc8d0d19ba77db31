/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PMD threads: each polls its rx queues, runs the pipeline on every burst
 * (parse → rule lookup and actions → per-output tx batching) and flushes tx
 * buffers on a short drain timer.  No locks, syscalls, allocation or logging
 * per packet; a shared tx queue takes its spinlock once per burst.
 */
#include <errno.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_prefetch.h>

#include "vhu.h"
#include "vs_ct.h"
#include "vs_switch.h"
#include "vs_underlay.h"

RTE_LOG_REGISTER(vs_pmd_logtype, user.vs.pmd, INFO);
#define PMD_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, vs_pmd_logtype, "pmd: " fmt "\n", ##__VA_ARGS__)

static const char *const drop_names[VS_DROP_N] = {
#define VS_DROP_NAME__(e, s) s,
	VS_DROPS(VS_DROP_NAME__)
#undef VS_DROP_NAME__
};

static const char *const stage_names[VS_STAGE_N] = {
#define VS_STAGE_NAME__(e, s) s,
	VS_STAGES(VS_STAGE_NAME__)
#undef VS_STAGE_NAME__
};

const char *
vs_stage_name(enum vs_stage s)
{
	return s < VS_STAGE_N ? stage_names[s] : "?";
}

const char *
vs_drop_name(enum vs_drop d)
{
	return d < VS_DROP_N ? drop_names[d] : "?";
}

static void port_send__(struct vs_pmd *pmd, struct vs_port *port, uint16_t qid,
                        struct rte_mbuf **pkts, uint16_t n, uint64_t bytes);

/* Sends pkts[0, n) ('bytes' in all) on the PMD's queue 'qid' of 'port', timing it as
 * the tx stage when detail is on. */
static void
port_send(struct vs_pmd *pmd, struct vs_port *port, uint16_t qid, struct rte_mbuf **pkts,
          uint16_t n, uint64_t bytes)
{
	uint64_t t0;

	if (likely(!pmd->detail)) {
		port_send__(pmd, port, qid, pkts, n, bytes);
		return;
	}
	t0 = rte_rdtsc();
	port_send__(pmd, port, qid, pkts, n, bytes);
	pmd->stats.stage_cycles[VS_STAGE_TX] += rte_rdtsc() - t0;
}

/* Sends a tx buffer (and empties it). */
static void
txbuf_send(struct vs_pmd *pmd, struct vs_port *port, struct vs_txbuf *b)
{
	uint16_t n = b->n, i;
	uint64_t bytes = 0;

	for (i = 0; i < n; i++)
		bytes += b->pkts[i]->pkt_len;
	b->n = 0; /* before: a tunnel port's encapsulation may send on this PMD again */
	port_send(pmd, port, b->qid, b->pkts, n, bytes);
}

static void
port_send__(struct vs_pmd *pmd, struct vs_port *port, uint16_t qid, struct rte_mbuf **pkts,
            uint16_t n, uint64_t bytes)
{
	struct vs_port_stats *st = &port->pmd_stats[pmd->idx];
	uint16_t sent, i;

	if (unlikely(port->tnl != NULL)) {
		/* Counted as sent here (inner bytes); encapsulation drops have reasons. */
		st->tx_packets += n;
		st->tx_bytes += bytes;
		vs_tunnel_tx(pmd, port, pkts, n);
		return;
	}
	if (port->vhu != NULL) {
		/* vhost copies into the guest: every packet is ours to free.  The queue a PMD
		 * uses follows the rings the guest enabled, so two PMDs may share one, the more
		 * so while they reload one after the other: always lock (once per burst,
		 * uncontended unless shared).  It guards the driver's single-writer counters;
		 * librte_vhost's vring lock guards the ring itself. */
		rte_spinlock_lock(&port->txq_lock[qid]);
		sent = vhu_tx_burst(port->vhu, qid, pkts, n);
		rte_spinlock_unlock(&port->txq_lock[qid]);
		rte_pktmbuf_free_bulk(pkts, sent); /* one mempool put per burst */
	} else if (port->txq_shared) {
		rte_spinlock_lock(&port->txq_lock[qid]);
		sent = rte_eth_tx_burst(port->port_id, qid, pkts, n);
		rte_spinlock_unlock(&port->txq_lock[qid]);
	} else {
		sent = rte_eth_tx_burst(port->port_id, qid, pkts, n);
	}
	if (unlikely(sent < n)) {
		for (i = sent; i < n; i++) {
			bytes -= pkts[i]->pkt_len;
			rte_pktmbuf_free(pkts[i]);
		}
		st->drops[VS_PD_TX_FULL] += n - sent;
	}
	st->tx_packets += sent;
	st->tx_bytes += bytes;
}

void
vs_pmd_tx_burst(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf **pkts, uint16_t n)
{
	struct vs_txbuf *b = &pmd->tx[port->slot];
	uint32_t max_frame = port->max_frame;
	uint16_t i;

	/* A run for a tunnel port is a burst already: encapsulate it now
	 * rather than buffer it twice (tunnel, then underlay port). */
	if (unlikely(port->tnl != NULL) && b->n == 0 && n >= 4) {
		struct vs_port_stats *st = &port->pmd_stats[pmd->idx];

		st->tx_packets += n;
		st->tx_bytes += vs_tunnel_tx(pmd, port, pkts, n); /* it reads each length anyway */
		return;
	}
	/* A full burst for an empty buffer (a pass's output run, usually): sent from the
	 * caller's array, not copied into the buffer first, when no frame is too long. */
	if (b->n == 0 && n == VS_BURST_MAX) {
		uint64_t bytes = 0;
		bool fits = true;

		for (i = 0; i < n; i++) {
			bytes += pkts[i]->pkt_len;
			fits &= pkts[i]->pkt_len <= max_frame;
		}
		if (likely(fits)) {
			port_send(pmd, port, b->qid, pkts, n, bytes);
			return;
		}
	}

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (unlikely(m->pkt_len > max_frame)) {
			port->pmd_stats[pmd->idx].drops[VS_PD_TX_MTU]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (b->n == 0) {
			b->first_tsc = rte_rdtsc();
			/* A buffer sent full earlier in this iteration is still
			 * listed: listing it again would grow 'dirty' past its
			 * VS_PORT_MAX slots under steady traffic. */
			if (!b->listed) {
				b->listed = true;
				pmd->dirty[pmd->n_dirty++] = port->slot;
			}
		}
		b->pkts[b->n++] = m;
		if (b->n == VS_BURST_MAX)
			txbuf_send(pmd, port, b);
	}
}

void
vs_pmd_tx_burst_fitting(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf **pkts,
                        uint16_t n, uint64_t bytes)
{
	struct vs_txbuf *b = &pmd->tx[port->slot];

	if (b->n == 0 && n == VS_BURST_MAX) {
		port_send(pmd, port, b->qid, pkts, n, bytes);
		return;
	}
	vs_pmd_tx_burst(pmd, port, pkts, n);
}

void
vs_pmd_tx(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf *m)
{
	vs_pmd_tx_burst(pmd, port, &m, 1);
}

/* Sends tx buffers that are full or older than the drain time; 'force' sends all. */
static void
flush__(struct vs_pmd *pmd, bool force)
{
	const struct vs_portmap *map = pmd->map;
	uint64_t now = force ? 0 : rte_rdtsc();
	uint16_t i, kept = 0;

	for (i = 0; i < pmd->n_dirty; i++) {
		uint16_t slot = pmd->dirty[i];
		struct vs_txbuf *b = &pmd->tx[slot];

		if (b->n != 0 && !force && now - b->first_tsc < pmd->sw->tx_drain_tsc) {
			pmd->dirty[kept++] = slot;
			continue;
		}
		b->listed = false;
		if (b->n != 0)
			txbuf_send(pmd, map->slots[slot], b);
	}
	pmd->n_dirty = kept;
}

void
vs_pmd_flush_all(struct vs_pmd *pmd)
{
	flush__(pmd, true);
}

/*
 * The tx queue PMD 'idx' uses on a vhost-user port: the (idx mod n)-th of the n rings the
 * guest enabled (as OVS remaps tx queues to enabled ones), so a guest with fewer queue pairs
 * than there are PMDs still gets every PMD's packets.  No ring enabled: queue idx mod pairs,
 * where vhu_tx_burst() counts the drops.
 */
static uint16_t
vhost_txq(const struct vs_port *p, uint32_t enabled, uint16_t idx)
{
	uint32_t m = enabled & (uint32_t)((UINT64_C(1) << p->n_txq) - 1);
	unsigned int k;

	if (m == 0)
		return idx % p->n_txq;
	for (k = idx % (unsigned int)__builtin_popcount(m); k > 0; k--)
		m &= m - 1; /* drop the lowest set bit */
	return (uint16_t)__builtin_ctz(m);
}

/* Rebuilds the poll list from the published port map (reload handshake). */
static void
pmd_reload(struct vs_pmd *pmd)
{
	/* Acquire: pairs with the release store of the port map in vs_port.c. */
	const struct vs_portmap *map = __atomic_load_n(&pmd->sw->portmap, __ATOMIC_ACQUIRE);
	const struct vs_portmap *old = pmd->map;
	uint32_t vhu_rxq_mask;
	uint16_t s, q, n = 0;

	/* Packets buffered for ports that are leaving are sent while the
	 * device still runs (the control thread closes it only after our
	 * acknowledgement); for ports that stay, too: a flush is cheap. */
	if (old != NULL)
		flush__(pmd, true);
	for (s = 0; s < VS_PORT_MAX; s++) {
		struct vs_port *p = map->slots[s];

		if (p == NULL)
			continue;
		if (p->vhu != NULL) {
			/* Poll only the rings the guest enabled; vhu_rx_burst() checks again,
			 * so a ring disabled before our next reload is harmless. */
			struct vhu_port_info info;

			vhu_port_get_info(p->vhu, &info);
			vhu_rxq_mask = info.rxq_enabled;
			pmd->tx[s].qid = vhost_txq(p, info.txq_enabled, pmd->idx);
		} else {
			vhu_rxq_mask = UINT32_MAX;
			pmd->tx[s].qid = pmd->idx % p->n_txq;
		}
		for (q = 0; q < p->n_rxq; q++) {
			if (p->rxq_pmd[q] != pmd->idx || !(vhu_rxq_mask >> q & 1))
				continue;
			pmd->rxqs[n].port = p;
			pmd->rxqs[n].port_id = p->port_id;
			pmd->rxqs[n].vhu = p->vhu;
			pmd->rxqs[n].queue_id = q;
			pmd->rxqs[n].ofport = p->ofport;
			n++;
		}
	}
	pmd->n_rxq = n;
	pmd->map = map;
}

/* Never inlined (a call per poll): scripts/bench/instructions.sh counts the packet path as
 * this function with everything it calls, which a link-time-optimised build would otherwise
 * merge into the PMD loop. */
__rte_noinline void
vs_pmd_process_burst(struct vs_pmd *pmd, const struct vs_ruleset *rs, const struct vs_rxq *rxq,
                     struct rte_mbuf **pkts, uint16_t n)
{
	struct vs_port *port = rxq->port;
	struct vs_port_stats *st = &port->pmd_stats[pmd->idx];
	const struct vs_ul *ul;
	const uint32_t max_frame = port->max_frame;
	/* A timed stage's start (TSC), 0 with detail off; read once, as detail may flip. */
	uint64_t bytes = 0, t0;
	uint16_t i, n_ok, n_keep = n;
	bool over = false;

	/* Lengths first, without a branch or a store a frame: oversize frames are rare. */
	for (i = 0; i < n; i++) {
		bytes += pkts[i]->pkt_len;
		over |= pkts[i]->pkt_len > max_frame;
	}
	if (unlikely(over)) {
		for (n_keep = 0, i = 0; i < n; i++) {
			struct rte_mbuf *m = pkts[i];

			if (m->pkt_len > max_frame) {
				st->drops[VS_PD_RX_OVERSIZE]++;
				rte_pktmbuf_free(m);
				continue;
			}
			pkts[n_keep++] = m;
		}
	}
	st->rx_packets += n;
	st->rx_bytes += bytes;
	pmd->stats.n_rx += n;

	ul = vs_underlay_get();
	if (unlikely(ul != NULL && ul->addressed[port->slot])) {
		/* ARP, ICMP echo and VXLAN for our addresses; parses the rest.
		 * Before the unparsed fast path: these frames need their headers. */
		t0 = unlikely(pmd->detail) ? rte_rdtsc() : 0;
		n_ok = vs_underlay_rx(pmd, ul, port, pkts, n_keep);
		if (unlikely(t0 != 0))
			pmd->stats.stage_cycles[VS_STAGE_UNDERLAY] += rte_rdtsc() - t0;
		if (n_ok != 0)
			vs_dpif_process(pmd, rs, pkts, n_ok);
		return;
	}
	/* 'bytes' is the kept frames' only when none was dropped. */
	if (likely(!pmd->detail) && n_keep == n && n != 0 &&
	    vs_dpif_unparsed(pmd, rxq->ofport, pkts, n, bytes))
		return;
	pmd->parse.in_port = rxq->ofport;
	t0 = unlikely(pmd->detail) ? rte_rdtsc() : 0;
	n_ok = fc_parse_burst(&pmd->parse, pkts, n_keep, pmd->keys);
	if (unlikely(t0 != 0))
		pmd->stats.stage_cycles[VS_STAGE_PARSE] += rte_rdtsc() - t0;
	for (i = n_ok; i < n_keep; i++)
		rte_pktmbuf_free(pkts[i]);

	if (n_ok != 0)
		vs_dpif_process(pmd, rs, pkts, n_ok);
}

/*
 * Megaflows built from an older rules version may decide differently and
 * point at rules the control thread is about to free: drop them, then tell
 * the control thread (vs_switch_sync_rules()).
 */
static void
check_rules_version(struct vs_pmd *pmd, const struct vs_ruleset *rs)
{
	if (likely(rs->version == pmd->rules_version))
		return;
	vs_dpif_flush(pmd);
	pmd->rules_version = rs->version;
	pmd->switch_rx = pmd->stats.n_rx; /* the first packet of the new rules is switch_rx + 1 */
	/* Release: the flush is complete before the control thread reads the
	 * ack (acquire in vs_switch_sync_rules()) and frees old rules. */
	__atomic_store_n(&pmd->rules_ack, rs->version, __ATOMIC_RELEASE);
}

/* Sleeps after a run of empty polls, if allowed (--pmd-sleep-max). */
static void
maybe_sleep(struct vs_pmd *pmd)
{
	uint32_t max_us = __atomic_load_n(&pmd->sw->pmd_sleep_max_us, __ATOMIC_RELAXED);

	if (max_us == 0 || ++pmd->n_empty < 64) {
		pmd->cur_sleep_us = 0;
		return;
	}
	pmd->cur_sleep_us = pmd->cur_sleep_us == 0 ? 1 : pmd->cur_sleep_us * 2;
	if (pmd->cur_sleep_us > max_us)
		pmd->cur_sleep_us = max_us;
	/* Offline while asleep, so that a grace period does not wait for us. */
	rte_rcu_qsbr_thread_offline(pmd->sw->qsbr, pmd->idx);
	usleep(pmd->cur_sleep_us);
	rte_rcu_qsbr_thread_online(pmd->sw->qsbr, pmd->idx);
	pmd->stats.n_sleeps++;
	pmd->stats.sleep_us += pmd->cur_sleep_us;
}

int
vs_pmd_main(void *arg)
{
	struct vs_pmd *pmd = arg;
	struct vs_switch *sw = pmd->sw;
	struct rte_mbuf *pkts[VS_BURST_MAX];
	uint64_t seen_seq = UINT64_MAX;

	if (vs_dpif_init(pmd) != 0) {
		PMD_LOG(ERR, "PMD %u: cannot allocate its flow caches", pmd->idx);
		return -ENOMEM;
	}
	rte_rcu_qsbr_thread_register(sw->qsbr, pmd->idx);
	rte_rcu_qsbr_thread_online(sw->qsbr, pmd->idx);
	PMD_LOG(INFO, "PMD %u running on lcore %u", pmd->idx, pmd->lcore_id);

	/* Acquire: pairs with the release store of 'stop' in the control thread. */
	while (!__atomic_load_n(&sw->stop, __ATOMIC_ACQUIRE)) {
		uint64_t seq = __atomic_load_n(&sw->reload_seq, __ATOMIC_ACQUIRE);
		uint64_t t0 = rte_rdtsc(), t1;
		const struct vs_ruleset *rs;
		uint32_t n_total = 0;
		uint16_t q;

		if (unlikely(seq != seen_seq)) {
			pmd_reload(pmd);
			seen_seq = seq;
			/* Release: our reload is complete before the control
			 * thread sees the ack (acquire in vs_switch_reload_pmds()). */
			__atomic_store_n(&pmd->reload_ack, seq, __ATOMIC_RELEASE);
		}
		pmd->now_ms = vs_clock_ms();
		pmd->now_s = (uint32_t)(pmd->now_ms / 1000);
		/* One rules snapshot per iteration: valid until our next quiescent state. */
		rs = vs_ofproto_snapshot(sw->rules_slot);
		check_rules_version(pmd, rs);
		for (q = 0; q < pmd->n_rxq; q++) {
			const struct vs_rxq *rxq = &pmd->rxqs[q];
			uint64_t t_rx = pmd->detail ? rte_rdtsc() : 0;
			uint16_t n = rxq->vhu != NULL ?
			                             vhu_rx_burst(rxq->vhu, rxq->queue_id, pkts,
			                                          VS_BURST_MAX) :
			                             rte_eth_rx_burst(rxq->port_id, rxq->queue_id,
			                                              pkts, VS_BURST_MAX);

			/* t_rx, not pmd->detail: "detail on" may come between the two. */
			if (unlikely(t_rx != 0) && n != 0)
				pmd->stats.stage_cycles[VS_STAGE_RX] += rte_rdtsc() - t_rx;

			if (n == 0)
				continue;
			n_total += n;
			vs_pmd_process_burst(pmd, rs, rxq, pkts, n);
		}
		vs_tunnel_pending(pmd, false); /* frames that waited for ARP */
		if (pmd->n_dirty != 0)
			flush__(pmd, false);
		vs_dpif_serve(pmd);
		vs_dpif_housekeeping(pmd);
		vs_ct_housekeeping(pmd);
		rte_rcu_qsbr_quiescent(sw->qsbr, pmd->idx);
		t1 = rte_rdtsc();
		pmd->stats.n_iter++;
		if (n_total != 0) {
			pmd->stats.busy_cycles += t1 - t0;
			pmd->n_empty = 0;
			pmd->cur_sleep_us = 0;
		} else {
			pmd->stats.idle_cycles += t1 - t0;
			maybe_sleep(pmd);
		}
	}
	vs_tunnel_pending(pmd, true);
	vs_pmd_flush_all(pmd);
	vs_dpif_flush(pmd);
	rte_rcu_qsbr_thread_offline(sw->qsbr, pmd->idx);
	rte_rcu_qsbr_thread_unregister(sw->qsbr, pmd->idx);
	return 0;
}

void
vs_switch_sync_rules(void *arg)
{
	struct vs_switch *sw = arg;
	uint64_t version = vs_ofproto_current(sw->ofp)->version;
	uint64_t deadline = rte_rdtsc() + 10 * sw->tsc_hz;
	uint16_t i;

	for (i = 0; i < sw->n_pmds; i++) {
		/* Acquire: pairs with the PMD's release store of rules_ack. */
		while (__atomic_load_n(&sw->pmds[i]->rules_ack, __ATOMIC_ACQUIRE) < version) {
			if (rte_eal_get_lcore_state(sw->pmds[i]->lcore_id) != RUNNING ||
			    rte_rdtsc() > deadline)
				break; /* not running: it flushes when it starts */
			usleep(10);
		}
	}
	rte_rcu_qsbr_synchronize(sw->qsbr, RTE_QSBR_THRID_INVALID);
}

void
vs_switch_request_reload(void *arg)
{
	struct vs_switch *sw = arg;

	/* Release RMW: pairs with the acquire in vs_pmd_main(); the vhost ring state
	 * stored before it is visible to a PMD that sees the new value. */
	__atomic_add_fetch(&sw->reload_seq, 1, __ATOMIC_RELEASE);
}

int
vs_switch_reload_pmds(struct vs_switch *sw)
{
	uint64_t deadline = rte_rdtsc() + 10 * sw->tsc_hz;
	uint64_t seq;
	uint16_t i;

	/* Release RMW: the port map published before it is visible to a PMD that
	 * sees this or a later value (acquire in vs_pmd_main()); an RMW, because
	 * the vhost-events thread increments too (vs_switch_request_reload()). */
	seq = __atomic_add_fetch(&sw->reload_seq, 1, __ATOMIC_RELEASE);
	for (i = 0; i < sw->n_pmds; i++) {
		/* Acquire: pairs with the PMD's release store of reload_ack.  A later
		 * value acknowledges ours too (signed difference: the initial ack is
		 * UINT64_MAX, "none yet"). */
		while ((int64_t)(__atomic_load_n(&sw->pmds[i]->reload_ack, __ATOMIC_ACQUIRE) -
		                 seq) < 0) {
			if (rte_lcore_has_role(sw->pmds[i]->lcore_id, ROLE_RTE) &&
			    rte_eal_get_lcore_state(sw->pmds[i]->lcore_id) != RUNNING)
				break; /* not launched (yet) or stopped: nothing to wait for */
			if (rte_rdtsc() > deadline)
				return -ETIMEDOUT;
			usleep(20);
		}
	}
	return 0;
}

/* The switch clock: TSC since start, shared by the PMDs and the control thread. */
static uint64_t clock_hz, clock_start;

void
vs_clock_init(void)
{
	clock_hz = rte_get_tsc_hz();
	clock_start = rte_rdtsc();
}

uint64_t
vs_clock_ms(void)
{
	return (rte_rdtsc() - clock_start) * 1000 / clock_hz;
}
