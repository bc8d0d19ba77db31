/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A net_ring sink whose consumer stops (issue 8, "Exhaustion": mempool
 * exhausted by "a net_ring sink whose consumer stops and whose ring is at least
 * the pool's size").  The rings of a net_ring port live in the process that
 * made them, so this test runs sluice in-process: the daemon's own code
 * (src/ less vs_main.c, as tests/fuzz/fuzz_pipeline.c links it) with one real
 * PMD thread on lcore 1, commands through vs_cmd_handle(), and this thread as
 * the NIC on one side and the consumer of the sink's tx ring on the other.
 *
 * Ports: "gen" and "est" are ring ports this thread feeds from their own
 * pools (vs_mp_1, vs_mp_2: sluice's rx pools, as a NIC's rx queue would take
 * its buffers from them); "est" goes to a net_null sink, "gen" to a ring sink:
 * "sink" (a 512-entry ring, smaller than gen's 2048-mbuf pool) or "bigsink" (a
 * 2048-entry ring, as large).
 *  - Small ring, consumer stops: the ring fills, sluice frees what it cannot
 *    send and counts it (tx_queue_full), so gen's pool never runs dry; the
 *    established flow (est) keeps forwarding at a measured rate; the consumer
 *    resumes and the sink transmits again.
 *  - Large ring, consumer stops: the ring takes every buffer of gen's pool (the
 *    pool is exhausted: the NIC side cannot allocate), nothing is lost inside
 *    sluice, est (its own pool) keeps forwarding at a measured rate; the
 *    consumer resumes and gen's traffic flows again.
 * In both, every packet fed in leaves or is counted, and the pools are back at
 * their baseline.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "pkt_build.h"
#include "th.h"
#include "vs_ct.h"
#include "vs_daemon.h"
#include "vs_mac.h"
#include "vs_switch.h"
#include "vs_words.h"

/* The daemon's globals live in vs_main.c, which this test does not link. */
struct vs_daemon vs_d;

/* As sluiced's defaults (src/vs_main.c), but a small shared pool. */
#define SHARED_MBUFS 4096
#define GEN_MBUFS    2048
#define RX_RING      128  /* a NIC's rx descriptors */
#define SINK_RING    512  /* smaller than gen's pool */
#define BIGSINK_RING 2048 /* at least gen's pool */
#define BURST        32
/* sluice's pools keep a cache per lcore (256, flushed above 1.5 times that): buffers one
 * lcore freed that only it can take again. */
#define POOL_CACHE_MAX 384

/* The least a flow not under pressure must forward per second meanwhile (see
 * tests/eal/test_exhaust.c): millions when quiet, hundreds of thousands when
 * not, nothing if the pressure starved it. */
#define MIN_PKTS_PER_S 20000

struct ring_port {
	const char *name;
	unsigned int rx_size;
	unsigned int tx_size;
	struct rte_ring *rx; /* this thread produces */
	struct rte_ring *tx; /* this thread consumes */
};

static struct ring_port rports[] = {
	{ "gen", RX_RING, 64, NULL, NULL },
	{ "est", RX_RING, 64, NULL, NULL },
	{ "sink", 64, SINK_RING, NULL, NULL },
	{ "bigsink", 64, BIGSINK_RING, NULL, NULL },
};
enum { P_GEN, P_EST, P_SINK, P_BIGSINK };

static struct rte_mempool *gen_mp, *est_mp;
static uint8_t frame[64];
static size_t frame_len;
static char baseline[1 << 16];

/* What this thread did: fed in (per port), could not allocate (gen), consumed. */
struct feed {
	uint64_t in[2];
	uint64_t nombuf[2];
	uint64_t consumed;
};

/* Runs one command; its reply (JSON when 'json') is returned until the next call. */
static const char *
cmd(bool json, const char *fmt, ...)
{
	static struct vs_reply r;
	static char out[1 << 16];
	char line[1024], *argv[64];
	va_list ap;
	int argc;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	argc = vs_split_words(line, argv, 64);
	assert_true(argc > 0);
	vs_reply_init(&r, json);
	vs_cmd_handle(argc, argv, &r, NULL);
	if (r.status != 0)
		fail_msg("'%s' failed: %s", line, r.buf != NULL ? r.buf : "");
	snprintf(out, sizeof(out), "%s", r.buf != NULL ? r.buf : "");
	vs_reply_free(&r);
	return out;
}

static int64_t
port_stat(const char *port, const char *key)
{
	char anchor[64];
	int64_t v;

	snprintf(anchor, sizeof(anchor), "\"name\": \"%s\"", port);
	v = th_json_num(cmd(true, "port stats %s", port), anchor, key);
	assert_true(v >= 0);
	return v;
}

static int64_t
pmd_stat(const char *key)
{
	int64_t v = th_json_num(cmd(true, "pmd stats"), NULL, key);

	assert_true(v >= 0);
	return v;
}

/* The switch as vs_main.c setup_switch() builds it, with one PMD on lcore 1, launched. */
static void
setup_switch(void)
{
	struct vs_switch *sw = &vs_d.sw;
	size_t qsz = rte_rcu_qsbr_get_memsize(VS_PMD_MAX + 1);
	struct vs_pmd *pmd;
	void *mac_mem;

	vs_clock_init();
	sw->tsc_hz = rte_get_tsc_hz();
	sw->tx_drain_tsc = sw->tsc_hz / 1000000 * 50;
	sw->emc_entries = 8192;
	sw->emc_insert_prob = 100;
	sw->mf_limit = 200000;
	sw->mf_idle_ms = 10000;
	sw->upcall_rate = 1000000;
	sw->shared_mp = rte_pktmbuf_pool_create("vs_shared", SHARED_MBUFS, 256, 0,
	                                        RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	assert_non_null(sw->shared_mp);
	sw->qsbr = rte_zmalloc("vs_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	assert_non_null(sw->qsbr);
	assert_int_equal(rte_rcu_qsbr_init(sw->qsbr, VS_PMD_MAX + 1), 0);
	mac_mem = rte_zmalloc("vs_mac", vs_mac_memsize(1024), RTE_CACHE_LINE_SIZE);
	assert_non_null(mac_mem);
	sw->mac = vs_mac_init(mac_mem, 1024, 300);
	sw->portmap = rte_zmalloc("vs_portmap", sizeof(struct vs_portmap), 0);
	sw->ofp = vs_ofproto_create(vs_switch_sync_rules, sw, vs_clock_ms);
	assert_true(sw->mac != NULL && sw->portmap != NULL && sw->ofp != NULL);
	sw->rules_slot = vs_ofproto_slot(sw->ofp);
	pmd = rte_zmalloc("vs_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE);
	assert_non_null(pmd);
	pmd->sw = sw;
	pmd->lcore_id = rte_get_next_lcore(-1, 1, 0);
	assert_true(pmd->lcore_id < RTE_MAX_LCORE);
	pmd->idx = 0;
	pmd->reload_ack = UINT64_MAX;
	sw->pmds[sw->n_pmds++] = pmd;
	assert_int_equal(rte_eal_remote_launch(vs_pmd_main, pmd, pmd->lcore_id), 0);
	assert_int_equal(vs_switch_reload_pmds(sw), 0);
}

static void
setup_ports(void)
{
	unsigned int i;
	char name[64];

	for (i = 0; i < RTE_DIM(rports); i++) {
		struct ring_port *p = &rports[i];

		snprintf(name, sizeof(name), "exr_rx_%s", p->name);
		p->rx = rte_ring_create(name, p->rx_size, (int)rte_socket_id(),
		                        RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "exr_tx_%s", p->name);
		/* The PMD is the one producer, this thread the one consumer. */
		p->tx = rte_ring_create(name, p->tx_size, (int)rte_socket_id(),
		                        RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		assert_true(p->rx != NULL && p->tx != NULL);
		snprintf(name, sizeof(name), "exr_%s", p->name);
		assert_true(rte_eth_from_rings(name, &p->rx, 1, &p->tx, 1, rte_socket_id()) >= 0);
	}
	/* gen and est get their own pools (vs_mp_1, vs_mp_2) and ofports 1 and 2. */
	cmd(false, "port add gen dpdk net_ring_exr_gen n_mbufs=%u ofport=1", GEN_MBUFS);
	cmd(false, "port add est dpdk net_ring_exr_est n_mbufs=%u ofport=2", GEN_MBUFS);
	cmd(false, "port add sink dpdk net_ring_exr_sink ofport=3");
	cmd(false, "port add bigsink dpdk net_ring_exr_bigsink ofport=4");
	cmd(false, "port add est_out dpdk net_null0,no-rx=1 ofport=5");
	cmd(false, "flow del");
	cmd(false, "flow add in_port=est actions=output:est_out");
	cmd(false, "flow add in_port=sink actions=drop");
	cmd(false, "flow add in_port=bigsink actions=drop");
	gen_mp = rte_mempool_lookup("vs_mp_1");
	est_mp = rte_mempool_lookup("vs_mp_2");
	assert_true(gen_mp != NULL && est_mp != NULL);
}

static int
group_setup(void **state)
{
	char prefix[64];
	char *argv[] = { "test_exhaust_ring",
		         "-l",
		         "0-1",
		         "--no-huge",
		         "--no-pci",
		         "-m",
		         "256",
		         "--no-shconf",
		         "--no-telemetry",
		         "--log-level",
		         "*:warning",
		         "--file-prefix",
		         prefix };
	struct pb_flow f;

	(void)state;
	snprintf(prefix, sizeof(prefix), "exring%d", (int)getpid());
	assert_true(rte_eal_init((int)RTE_DIM(argv), argv) >= 0);
	pb_flow_init(&f);
	frame_len = pb_build(&f, frame, sizeof(frame), sizeof(frame));
	assert_true(frame_len > 0);
	setup_switch();
	setup_ports();
	snprintf(baseline, sizeof(baseline), "%s", cmd(true, "show"));
	return 0;
}

static int
group_teardown(void **state)
{
	struct vs_switch *sw = &vs_d.sw;
	struct vs_reply r;
	uint16_t s;

	(void)state;
	/* As vs_main.c shutdown_switch(). Release: pairs with the PMDs' acquire of 'stop'. */
	__atomic_store_n(&sw->stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	vs_ct_fini();
	vs_reply_init(&r, false);
	for (s = 0; s < VS_PORT_MAX; s++)
		if (sw->portmap->slots[s] != NULL)
			vs_port_del(sw, sw->portmap->slots[s], &r);
	vs_reply_free(&r);
	return 0;
}

/* Feeds one burst into port 'i' (P_GEN or P_EST) from its pool, as a NIC would. */
static void
feed_burst(unsigned int i, struct feed *fd)
{
	struct rte_mempool *mp = i == P_GEN ? gen_mp : est_mp;
	struct rte_mbuf *pkts[BURST];
	unsigned int k, n;

	/* A NIC that finds no buffer drops the frame and counts it (rx_nombuf). */
	if (rte_pktmbuf_alloc_bulk(mp, pkts, BURST) != 0) {
		fd->nombuf[i] += BURST;
		return;
	}
	for (k = 0; k < BURST; k++)
		memcpy(rte_pktmbuf_append(pkts[k], (uint16_t)frame_len), frame, frame_len);
	n = rte_ring_enqueue_burst(rports[i].rx, (void **)pkts, BURST, NULL);
	/* The rx ring full: the PMD is behind; the NIC drops the rest (imissed). */
	rte_pktmbuf_free_bulk(pkts + n, BURST - n);
	fd->in[i] += n;
}

/* Frees up to 'max' mbufs the PMD sent to sink port 'i'. */
static void
consume(unsigned int i, struct feed *fd, unsigned int max)
{
	struct rte_mbuf *pkts[256];
	unsigned int n;

	while (max > 0) {
		n = rte_ring_dequeue_burst(rports[i].tx, (void **)pkts, RTE_MIN(max, 256u), NULL);
		if (n == 0)
			return;
		rte_pktmbuf_free_bulk(pkts, n);
		fd->consumed += n;
		max -= n;
	}
}

/*
 * For 'ms': feeds gen and est a burst each per round, and, when 'consuming',
 * drains 'sink'.  The PMD runs on its own lcore meanwhile.
 */
static void
run(unsigned int sink, bool consuming, unsigned int ms, struct feed *fd)
{
	uint64_t end = th_now_ms() + ms;

	while (th_now_ms() < end) {
		unsigned int k;

		for (k = 0; k < 64; k++) {
			feed_burst(P_GEN, fd);
			feed_burst(P_EST, fd);
			if (consuming)
				consume(sink, fd, 4 * BURST);
		}
	}
}

/* Waits until the PMD has taken everything fed in (rx rings empty, counters still). */
static void
settle(unsigned int sink, struct feed *fd)
{
	uint64_t t0 = th_now_ms();
	int64_t last = -1, cur;

	for (;;) {
		consume(sink, fd, UINT32_MAX);
		cur = pmd_stat("packets");
		if (rte_ring_count(rports[P_GEN].rx) == 0 &&
		    rte_ring_count(rports[P_EST].rx) == 0 && cur == last)
			break;
		last = cur;
		assert_true(th_now_ms() - t0 < 10000);
		usleep(20 * 1000);
	}
	consume(sink, fd, UINT32_MAX);
}

static int64_t
pool_in_use(const char *pool)
{
	char anchor[64];
	int64_t v;

	snprintf(anchor, sizeof(anchor), "{\"name\": \"%s\"", pool);
	v = th_json_num(cmd(true, "show"), anchor, "in_use");
	assert_true(v >= 0);
	return v;
}

/* Every packet fed in left or was counted, and the pools are back at their baseline. */
static void
check_accounts(const char *sink, const struct feed *fd, int64_t sink_tx0, int64_t full0,
               int64_t est_tx0)
{
	int64_t sink_tx = port_stat(sink, "tx_packets") - sink_tx0;
	int64_t full = port_stat(sink, "tx_queue_full") - full0;
	int64_t est_tx = port_stat("est_out", "tx_packets") - est_tx0;

	print_message("  fed gen %" PRIu64 " (%" PRIu64 " found no buffer), est %" PRIu64
	              "; %s sent %" PRId64 ", dropped %" PRId64
	              " (tx_queue_full), consumed %" PRIu64 "; est_out sent %" PRId64 "\n",
	              fd->in[P_GEN], fd->nombuf[P_GEN], fd->in[P_EST], sink, sink_tx, full,
	              fd->consumed, est_tx);
	assert_int_equal(sink_tx + full, (int64_t)fd->in[P_GEN]);
	assert_int_equal(sink_tx, (int64_t)fd->consumed);
	assert_int_equal(est_tx, (int64_t)fd->in[P_EST]);
	assert_int_equal(pool_in_use("vs_mp_1"),
	                 th_json_num(baseline, "{\"name\": \"vs_mp_1\"", "in_use"));
	assert_int_equal(pool_in_use("vs_mp_2"),
	                 th_json_num(baseline, "{\"name\": \"vs_mp_2\"", "in_use"));
}

/*
 * The sink's ring (512) is smaller than gen's pool (2048): when its consumer
 * stops, the ring fills and sluice frees what it cannot send, counting it.
 */
static void
test_exhaust_ring_small_ring_frees(void **state)
{
	struct feed fd = { 0 }, a, b;
	int64_t sink_tx0, full0, est0, s0, s1, f0, f1, e0, e1, in_use;

	(void)state;
	sink_tx0 = port_stat("sink", "tx_packets");
	full0 = port_stat("sink", "tx_queue_full");
	est0 = port_stat("est_out", "tx_packets");
	cmd(false, "flow add priority=10,in_port=gen actions=output:sink");

	run(P_SINK, true, 300, &fd);
	assert_true(fd.consumed > 0);

	/* The consumer stops. */
	run(P_SINK, false, 200, &fd); /* the ring fills */
	a = fd;
	s0 = port_stat("sink", "tx_packets");
	f0 = port_stat("sink", "tx_queue_full");
	e0 = port_stat("est_out", "tx_packets");
	run(P_SINK, false, 1000, &fd);
	s1 = port_stat("sink", "tx_packets");
	f1 = port_stat("sink", "tx_queue_full");
	e1 = port_stat("est_out", "tx_packets");
	in_use = pool_in_use("vs_mp_1");
	print_message("  consumer stopped for 1 s: sink sent %" PRId64 ", dropped %" PRId64
	              ", est_out sent %" PRId64 "; gen's pool %" PRId64 " in use, the ring "
	              "holding %u; gen found no buffer %" PRIu64 " times\n",
	              s1 - s0, f1 - f0, e1 - e0, in_use, rte_ring_count(rports[P_SINK].tx),
	              fd.nombuf[P_GEN] - a.nombuf[P_GEN]);
	assert_int_equal(s1, s0);                            /* the full ring takes nothing */
	assert_true(f1 - f0 >= MIN_PKTS_PER_S);              /* what it cannot take is counted */
	assert_true(e1 - e0 >= MIN_PKTS_PER_S);              /* the other flow keeps going */
	assert_int_equal(fd.nombuf[P_GEN], a.nombuf[P_GEN]); /* gen's pool never ran dry: */
	/* in use: the ring's mbufs, the rx ring's and a burst or two in the PMD's hands. */
	assert_true(in_use <= SINK_RING + RX_RING + 2 * BURST);
	assert_int_equal(rte_ring_count(rports[P_SINK].tx), SINK_RING);

	/* The consumer resumes: the sink transmits again. */
	run(P_SINK, true, 100, &fd);
	b = fd;
	s0 = port_stat("sink", "tx_packets");
	f0 = port_stat("sink", "tx_queue_full");
	run(P_SINK, true, 1000, &fd);
	s1 = port_stat("sink", "tx_packets");
	f1 = port_stat("sink", "tx_queue_full");
	print_message("  consumer resumed for 1 s: sink sent %" PRId64 ", dropped %" PRId64
	              ", consumed %" PRIu64 "\n",
	              s1 - s0, f1 - f0, fd.consumed - b.consumed);
	assert_true(s1 - s0 >= MIN_PKTS_PER_S);

	/* Fed in so far: all through before the rule goes (else table_miss). */
	settle(P_SINK, &fd);
	cmd(false, "flow del --strict priority=10,in_port=gen");
	check_accounts("sink", &fd, sink_tx0, full0, est0);
}

/*
 * The sink's ring (2048) is at least gen's pool (2048): when its consumer
 * stops, the ring takes every buffer of the pool, and the NIC side finds none
 * (the pool is exhausted).  Sluice loses nothing and holds nothing itself;
 * est, on its own pool, keeps forwarding.  The consumer resumes: gen's traffic
 * flows again.
 */
static void
test_exhaust_ring_pool_exhausted(void **state)
{
	struct feed fd = { 0 }, a, b;
	int64_t sink_tx0, full0, est0, s0, s1, e0, e1, f0, f1, in_use;

	(void)state;
	sink_tx0 = port_stat("bigsink", "tx_packets");
	full0 = port_stat("bigsink", "tx_queue_full");
	est0 = port_stat("est_out", "tx_packets");
	cmd(false, "flow add priority=10,in_port=gen actions=output:bigsink");

	run(P_BIGSINK, true, 300, &fd);
	assert_true(fd.consumed > 0);
	assert_int_equal(fd.nombuf[P_GEN], 0);

	/* The consumer stops: the ring soaks up gen's pool. */
	run(P_BIGSINK, false, 200, &fd);
	a = fd;
	s0 = port_stat("bigsink", "tx_packets");
	f0 = port_stat("bigsink", "tx_queue_full");
	e0 = port_stat("est_out", "tx_packets");
	run(P_BIGSINK, false, 1000, &fd);
	s1 = port_stat("bigsink", "tx_packets");
	f1 = port_stat("bigsink", "tx_queue_full");
	e1 = port_stat("est_out", "tx_packets");
	in_use = pool_in_use("vs_mp_1");
	print_message("  consumer stopped for 1 s: bigsink sent %" PRId64 ", dropped %" PRId64
	              ", est_out sent %" PRId64 "; gen's pool %" PRId64 " in use, the ring "
	              "holding %u; gen found no buffer %" PRIu64 " times\n",
	              s1 - s0, f1 - f0, e1 - e0, in_use, rte_ring_count(rports[P_BIGSINK].tx),
	              fd.nombuf[P_GEN] - a.nombuf[P_GEN]);
	/* The pool is exhausted: the NIC side finds no buffer, again and again. */
	assert_true(fd.nombuf[P_GEN] - a.nombuf[P_GEN] >= MIN_PKTS_PER_S);
	/* The ring holds the pool's buffers, but those in the rx ring, the PMD's hands and the
	 * PMD lcore's cache (which it filled freeing the first test's drops). */
	assert_true(rte_ring_count(rports[P_BIGSINK].tx) + RX_RING + 2 * BURST + POOL_CACHE_MAX >=
	            GEN_MBUFS);
	/* And sluice holds none itself: every buffer in use is in a ring or a burst. */
	assert_true(in_use <= (int64_t)(rte_ring_count(rports[P_BIGSINK].tx) +
	                                rte_ring_count(rports[P_GEN].rx)) +
	                                      2 * BURST);
	assert_int_equal(f1, f0);               /* nothing dropped inside sluice */
	assert_true(e1 - e0 >= MIN_PKTS_PER_S); /* the other flow keeps going */

	/* The consumer resumes: gen's buffers come back, its traffic flows again. */
	run(P_BIGSINK, true, 100, &fd);
	b = fd;
	s0 = port_stat("bigsink", "tx_packets");
	run(P_BIGSINK, true, 1000, &fd);
	s1 = port_stat("bigsink", "tx_packets");
	print_message("  consumer resumed for 1 s: bigsink sent %" PRId64 ", gen found no "
	              "buffer %" PRIu64 " times\n",
	              s1 - s0, fd.nombuf[P_GEN] - b.nombuf[P_GEN]);
	assert_true(s1 - s0 >= MIN_PKTS_PER_S);

	/* Fed in so far: all through before the rule goes (else table_miss). */
	settle(P_BIGSINK, &fd);
	cmd(false, "flow del --strict priority=10,in_port=gen");
	check_accounts("bigsink", &fd, sink_tx0, full0, est0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaust_ring_small_ring_frees),
		cmocka_unit_test(test_exhaust_ring_pool_exhausted),
	};

	char cmd[128];
	int rc;

	rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
	/* EAL's runtime directory (--file-prefix), which it leaves behind. */
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/exring%d", (int)getpid());
	if (system(cmd) != 0)
		print_message("cleanup failed: %s\n", cmd);
	return rc;
}
