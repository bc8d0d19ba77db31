/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the daemon's whole per-burst pipeline (src/vs_pmd.c
 * vs_pmd_process_burst(): rx counters and MTU check, lib/flowcache parse,
 * last-hit/EMC/megaflow classification, upcalls through the rule tables,
 * cached and slow-path actions with copies, VLAN and header rewrites, per-port
 * tx batching) on bursts of arbitrary frames through a fixed rule set, plus
 * "flow trace" (vs_xlate_trace()) of a frame's key per burst.
 *
 * EAL runs once (LLVMFuzzerInitialize: --no-huge --no-pci, two lcores, the
 * second never launched), the switch is set up as vs_main.c does, and the
 * ports and rules are added through the real command handler
 * (vs_cmd_handle(): "port add", "flow add").  Each port is an ethdev made by
 * rte_eth_from_rings() over rings this target owns, so every frame the switch
 * transmits is taken back out of a tx ring and checked.  The PMD is driven on
 * this thread; megaflows, EMC and MAC table are flushed at the start of each
 * input, so an input replays the same way.
 *
 * Input: byte 0 = flags (bits 0-1: bursts - 1; 2: stage timing on; 3: EMC
 * off; 4: mbuf pressure, byte 1 = mbufs left free in the shared pool; 5:
 * megaflow limit 2; 6: upcall rate 0 with byte 1 & 7 tokens left; 7: allow
 * multi-segment frames).  Then per burst: 1 byte (bits 0-1: input port p1..p4,
 * bit 7: p5 instead, bits 2-6: frames - 1), 1 byte of clock advance in ms (housekeeping runs
 * after it: the megaflow idle time is 10 ms); per frame 2 bytes of big-endian
 * length, 1 byte of segment split (multi-segment only), then the bytes.
 *
 * Checked per burst: every frame is counted in the input port's rx_packets and
 * the PMD's n_rx; each tx buffer holding packets is listed once in the PMD's
 * dirty list; every transmitted mbuf passes rte_mbuf_check(), fits the
 * output port's MTU, carries the index of a frame of this burst and never
 * leaves through the input port (no rule outputs there explicitly); the tx
 * counters match what the rings hold, packets and bytes.  Every frame either
 * leaves (at least once) or is counted by exactly one drop reason (rx
 * oversize, parse drop, upcall limit, pipeline drop): exactly when no output
 * was lost at tx or in a copy, bounded otherwise.  Per input: every pool's
 * in-use count returns to its baseline (no mbuf leaked or freed twice) and
 * the rte_malloc heap returns to where it was once the caches are flushed
 * (unless the classifier's subtable array grew, or connections were committed:
 * both are kept), and stays within FZ_HEAP_SLACK of where it was at the
 * first input.  The clock jumps 30 days per input, so conntrack connections
 * of earlier inputs are expired for this one's packets.
 *
 * Differential (check_reference()): when nothing was lost, the burst's frames
 * are sent again one at a time through empty caches on a second PMD, from
 * the MAC table the burst started with, and each must leave exactly as it
 * did through the caches.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_ring.h>

#include "fc_priv.h"
#include "fuzz_common.h"
#include "vs_ct.h"
#include "vs_daemon.h"
#include "vs_switch.h"
#include "vs_words.h"

/* The daemon's globals live in vs_main.c, which this target does not link. */
struct vs_daemon vs_d;

#define FZ_N_PORTS  5
#define FZ_POOL     4096
#define FZ_SEG_ROOM 2048
/* Heap growth allowed over a run: subtable arrays and the ct pool's slabs. */
#define FZ_HEAP_SLACK (48u << 20)
/* Clock jump per input: past every default conntrack timeout (days at most). */
#define FZ_CT_EPOCH_MS (30ull * 86400 * 1000)

/* tx ring size per port: p4's is small, so a full burst to it overflows. */
static const unsigned int tx_ring_size[FZ_N_PORTS] = { 1024, 1024, 1024, 32, 1024 };

static const char *const port_cmds[FZ_N_PORTS] = {
	"port add p1 dpdk net_ring_fzp1",
	"port add p2 dpdk net_ring_fzp2 trunks=1-100",
	"port add p3 dpdk net_ring_fzp3 tag=10 mtu=9000",
	"port add p4 dpdk net_ring_fzp4 mtu=200",
	"port add p5 dpdk net_ring_fzp5",
};

/*
 * The fixed rule set: every action kind the switch runs, resubmit loops,
 * output to the input port, drops.  No rule outputs to the packet's real
 * input port except through output:IN_PORT (counted as a drop), which the
 * "never out of its input port" check relies on.
 */
static const char *const flow_cmds[] = {
	"flow del",
	/* A port-to-port patch: its megaflow looks at in_port only, so once it
	 * is the last hit, p5's bursts take the unparsed fast path. */
	"flow add table=0,priority=1000,in_port=p5 actions=output:p2",
	/* Conntrack: UDP/53 and TCP/22 from p1 committed, replies from p2 tracked,
	 * then decided on ct_state in table 5 (a recirculation). */
	"flow add table=0,priority=320,in_port=p1,udp,tp_dst=53 actions=ct(commit,zone=3,table=5)",
	"flow add table=0,priority=320,in_port=p2,udp,tp_src=53 actions=ct(zone=3,table=5)",
	"flow add table=0,priority=320,in_port=p1,tcp,tp_dst=22 "
	"actions=ct(commit,zone=4,table=5,exec(set_field:7->ct_mark))",
	"flow add table=0,priority=320,in_port=p2,tcp,tp_src=22 actions=ct(zone=4,table=5)",
	"flow add table=5,priority=25,ct_state=+est+rpl+trk actions=output:p1",
	"flow add table=5,priority=20,ct_state=+est+trk actions=output:p2",
	"flow add table=5,priority=15,ct_state=+new+trk actions=output:p2",
	"flow add table=5,priority=10,ct_state=+inv+trk actions=drop",
	"flow add table=5,priority=1 actions=output:p3",
	"flow add table=0,priority=300,in_port=p1,tcp,tp_dst=80 "
	"actions=dec_ttl,mod_tp_dst:8080,output:p2",
	"flow add table=0,priority=290,in_port=p1,udp,nw_dst=10.0.0.0/8 "
	"actions=set_field:10.1.1.1->nw_src,output:p2,output:p4",
	"flow add table=0,priority=280,in_port=p1,icmp "
	"actions=mod_vlan_vid:10,output:p2,strip_vlan,output:p4",
	"flow add table=0,priority=270,in_port=p1,ipv6 actions=dec_ttl,resubmit(,1)",
	"flow add table=0,priority=260,in_port=p1,arp actions=flood",
	"flow add table=0,priority=250,in_port=p1,dl_vlan=5 "
	"actions=strip_vlan,push_vlan:0x88a8,mod_vlan_vid:7,output:p2",
	"flow add table=0,priority=240,in_port=p1,ip,ip_frag=later actions=drop",
	"flow add table=0,priority=230,in_port=p1,tcp,tcp_flags=0x003/0x003 "
	"actions=mod_nw_tos:16,mod_dl_src:02:00:00:00:00:99,output:p3",
	"flow add table=0,priority=220,in_port=p1,udp,tp_src=7 actions=output:p1",
	"flow add table=0,priority=100,in_port=p2 actions=normal",
	"flow add table=0,priority=100,in_port=p3 actions=goto_table:2",
	"flow add table=0,priority=100,in_port=p4 "
	"actions=resubmit(p2,3),mod_nw_dst:10.9.9.9,output:p1",
	"flow add table=0,priority=50,in_port=p1 actions=normal",
	"flow add table=1,priority=10,udp6 actions=mod_tp_src:53,output:p3",
	"flow add table=1,priority=7,tcp6 actions=resubmit(,1)",
	"flow add table=1,priority=5,icmp6 actions=output:p1",
	"flow add table=1,priority=1 actions=set_field:5->reg0,resubmit(,2)",
	"flow add table=2,priority=10,ip,nw_src=192.168.0.0/16 "
	"actions=mod_dl_dst:02:00:00:00:00:02,mod_nw_dst:10.0.0.9,mod_tp_src:1234,output:p1",
	"flow add table=2,priority=5,vlan_tci=0x1000/0x1000 actions=mod_vlan_pcp:3,output:p4",
	"flow add table=2,priority=3,reg0=5 actions=output:p2,output:p3,output:p4",
	"flow add table=2,priority=2,ip actions=dec_ttl,dec_ttl,output:p2",
	"flow add table=3,priority=5,in_port=p2,ip actions=output:p3",
};

static struct vs_switch *sw;
static struct vs_pmd *pmd;
static struct vs_pmd *ref; /* the reference: every frame alone, through empty caches */
static void *mac_mem;
static size_t mac_size;
static struct vs_port *ports[FZ_N_PORTS];
static struct vs_rxq rxqs[FZ_N_PORTS];
static struct rte_ring *tx_rings[FZ_N_PORTS];
static struct rte_mempool *pools[FZ_N_PORTS + 1];
static unsigned int n_pools;
static unsigned int pool_base[FZ_N_PORTS + 1];
static int idx_off = -1; /* dynfield: index of the input frame in its burst */

static inline uint32_t *
frame_idx(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, idx_off, uint32_t *);
}

static void
run_cmd(const char *line)
{
	char buf[1024], *argv[64];
	struct vs_reply r;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = vs_split_words(buf, argv, 64);
	FUZZ_CHECK(argc > 0);
	vs_reply_init(&r, false);
	vs_cmd_handle(argc, argv, &r, NULL);
	if (r.status != 0) {
		fprintf(stderr, "fuzz_pipeline: '%s' failed: %s\n", line, r.buf ? r.buf : "");
		abort();
	}
	vs_reply_free(&r);
}

static size_t
heap_in_use(void)
{
	struct rte_malloc_socket_stats st;

	FUZZ_CHECK(rte_malloc_get_socket_stats((int)rte_socket_id(), &st) == 0);
	return st.heap_allocsz_bytes;
}

/* The switch as vs_main.c setup_switch() builds it, with one PMD on lcore 1 (never launched). */
static void
setup_switch(void)
{
	size_t qsz = rte_rcu_qsbr_get_memsize(VS_PMD_MAX);

	sw = &vs_d.sw;
	vs_clock_init();
	sw->tsc_hz = rte_get_tsc_hz();
	sw->tx_drain_tsc = sw->tsc_hz / 1000000 * 50;
	sw->emc_entries = 1024;
	sw->emc_insert_prob = 1;
	sw->mf_limit = 200000;
	sw->mf_idle_ms = 10;
	sw->upcall_rate = 1000000;
	sw->shared_mp = rte_pktmbuf_pool_create("vs_shared", FZ_POOL, 0, 0,
	                                        RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	FUZZ_CHECK(sw->shared_mp != NULL);
	sw->qsbr = rte_zmalloc("vs_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	FUZZ_CHECK(sw->qsbr != NULL && rte_rcu_qsbr_init(sw->qsbr, VS_PMD_MAX) == 0);
	mac_size = vs_mac_memsize(1024);
	mac_mem = rte_zmalloc("vs_mac", mac_size, RTE_CACHE_LINE_SIZE);
	FUZZ_CHECK(mac_mem != NULL);
	sw->mac = vs_mac_init(mac_mem, 1024, 300);
	sw->portmap = rte_zmalloc("vs_portmap", sizeof(struct vs_portmap), 0);
	sw->ofp = vs_ofproto_create(vs_switch_sync_rules, sw, vs_clock_ms);
	FUZZ_CHECK(sw->mac != NULL && sw->portmap != NULL && sw->ofp != NULL);
	sw->rules_slot = vs_ofproto_slot(sw->ofp);
	pmd = rte_zmalloc("vs_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE);
	FUZZ_CHECK(pmd != NULL);
	pmd->sw = sw;
	pmd->lcore_id = rte_get_next_lcore(-1, 1, 0);
	FUZZ_CHECK(pmd->lcore_id < RTE_MAX_LCORE);
	pmd->idx = 0;
	sw->pmds[sw->n_pmds++] = pmd;
	FUZZ_CHECK(vs_dpif_init(pmd) == 0);
	/* A second PMD (counter slot 1, same tx queue 0) for the reference runs. */
	ref = rte_zmalloc("vs_pmd", sizeof(*ref), RTE_CACHE_LINE_SIZE);
	FUZZ_CHECK(ref != NULL);
	ref->sw = sw;
	ref->lcore_id = pmd->lcore_id;
	ref->idx = 1;
	FUZZ_CHECK(vs_dpif_init(ref) == 0);
}

static void
setup_ports(void)
{
	unsigned int i;

	for (i = 0; i < FZ_N_PORTS; i++) {
		char name[32];
		struct rte_ring *rx;

		snprintf(name, sizeof(name), "fz_rx%u", i + 1);
		rx = rte_ring_create(name, 64, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "fz_tx%u", i + 1);
		tx_rings[i] = rte_ring_create(name, tx_ring_size[i], (int)rte_socket_id(),
		                              RING_F_SP_ENQ | RING_F_SC_DEQ);
		FUZZ_CHECK(rx != NULL && tx_rings[i] != NULL);
		snprintf(name, sizeof(name), "fzp%u", i + 1);
		FUZZ_CHECK(rte_eth_from_rings(name, &rx, 1, &tx_rings[i], 1, rte_socket_id()) >= 0);
		run_cmd(port_cmds[i]);
	}
	for (i = 0; i < FZ_N_PORTS; i++) {
		char name[8];
		unsigned int k;

		snprintf(name, sizeof(name), "p%u", i + 1);
		ports[i] = vs_port_lookup(sw->portmap, name);
		FUZZ_CHECK(ports[i] != NULL && ports[i]->ofport == i + 1);
		rxqs[i].port = ports[i];
		rxqs[i].port_id = ports[i]->port_id;
		rxqs[i].queue_id = 0;
		rxqs[i].ofport = ports[i]->ofport;
		for (k = 0; k < n_pools && pools[k] != ports[i]->mp; k++)
			;
		if (k == n_pools)
			pools[n_pools++] = ports[i]->mp;
	}
	for (i = 0; i < n_pools; i++)
		pool_base[i] = rte_mempool_in_use_count(pools[i]);
	pmd->map = sw->portmap;
	ref->map = sw->portmap;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const struct rte_mbuf_dynfield idx_desc = {
		.name = "sluice_fuzz_frame_idx",
		.size = sizeof(uint32_t),
		.align = __alignof__(uint32_t),
	};
	char prefix[64];
	char *eal_argv[] = {
		(*argv)[0],       "-l",          "0-1",     "--no-huge",
		"--no-pci",       "-m",          "256",     "--no-shconf",
		"--no-telemetry", "--log-level", "*:error", "--file-prefix",
		prefix,
	};
	unsigned int i;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "fzpipe%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal_argv), eal_argv) < 0) {
		fprintf(stderr, "fuzz_pipeline: EAL init failed: %s\n", rte_strerror(rte_errno));
		abort();
	}
	idx_off = rte_mbuf_dynfield_register(&idx_desc);
	FUZZ_CHECK(idx_off >= 0);
	setup_switch();
	setup_ports();
	for (i = 0; i < RTE_DIM(flow_cmds); i++)
		run_cmd(flow_cmds[i]);
	return 0;
}

/* ------------------------------------------------------------------ */

struct totals {
	uint64_t rx[FZ_N_PORTS], tx[FZ_N_PORTS], tx_bytes[FZ_N_PORTS];
	uint64_t port_drops[FZ_N_PORTS][VS_PD_N];
	uint64_t n_rx, pipe_drops, no_mbuf, upcall_drops, parse_drops;
};

static void
totals_get(struct totals *t)
{
	unsigned int i, d;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < FZ_N_PORTS; i++) {
		const struct vs_port_stats *s = &ports[i]->pmd_stats[pmd->idx];

		t->rx[i] = s->rx_packets;
		t->tx[i] = s->tx_packets;
		t->tx_bytes[i] = s->tx_bytes;
		for (d = 0; d < VS_PD_N; d++)
			t->port_drops[i][d] = s->drops[d];
	}
	t->n_rx = pmd->stats.n_rx;
	for (d = 0; d < VS_DROP_N; d++)
		t->pipe_drops += pmd->stats.n_drop[d];
	t->no_mbuf = pmd->stats.n_drop[VS_DROP_NO_MBUF];
	t->upcall_drops = pmd->stats.n_upcall_drops;
	for (d = 0; d < FC_PR_N; d++)
		if (fc_parse_reason_is_drop((enum fc_parse_reason)d))
			t->parse_drops += pmd->parse.n_reason[d];
}

/* Builds one frame as an mbuf of the input port's pool, chained when asked or too long. */
static struct rte_mbuf *
make_frame(struct rte_mempool *mp, const uint8_t *data, uint16_t len, uint8_t split, bool multi)
{
	struct rte_mbuf *head = NULL;
	uint16_t off = 0, first = len;

	if (multi && split != 0 && len > 1)
		first = (uint16_t)(1 + (uint32_t)split * (len - 1) / 256);
	do {
		uint16_t room, chunk = off == 0 ? first : (uint16_t)(len - off);
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		if (m == NULL) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		room = (uint16_t)RTE_MIN(rte_pktmbuf_tailroom(m), FZ_SEG_ROOM);
		if (chunk > room)
			chunk = room;
		memcpy(rte_pktmbuf_append(m, chunk), data + off, chunk);
		off = (uint16_t)(off + chunk);
		if (head == NULL)
			head = m;
		else
			FUZZ_CHECK(rte_pktmbuf_chain(head, m) == 0);
	} while (off < len);
	return head;
}

/* Takes every mbuf of the shared pool but 'keep' (copies then fail); raw gets, no reset. */
static unsigned int
pressure_take(struct rte_mbuf **held, unsigned int max, unsigned int keep)
{
	unsigned int avail = rte_mempool_avail_count(sw->shared_mp), n;

	n = avail > keep ? avail - keep : 0;
	if (n > max)
		n = max;
	if (n != 0)
		FUZZ_CHECK(rte_mempool_get_bulk(sw->shared_mp, (void **)held, n) == 0);
	return n;
}

/* One transmitted frame: where it went, which input frame it was, its bytes' hash. */
struct out_rec {
	uint16_t port;
	uint16_t idx;
	uint32_t len;
	uint64_t hash;
};

struct out_log {
	unsigned int n;
	struct out_rec recs[1024];
};

static uint64_t
mbuf_hash(const struct rte_mbuf *m)
{
	uint64_t h = 14695981039346656037ull;

	for (; m != NULL; m = m->next) {
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t i;

		for (i = 0; i < m->data_len; i++)
			h = (h ^ p[i]) * 1099511628211ull;
	}
	return h;
}

/* Empties every tx ring, checking each mbuf (and logging it when 'log'); returns the count. */
static unsigned int
drain(unsigned int in, uint16_t n_frames, bool *seen, struct totals *out, struct out_log *log)
{
	unsigned int i, total = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < FZ_N_PORTS; i++) {
		void *objs[64];
		unsigned int n, k;

		while ((n = rte_ring_dequeue_burst(tx_rings[i], objs, RTE_DIM(objs), NULL)) != 0) {
			for (k = 0; k < n; k++) {
				struct rte_mbuf *m = objs[k];
				const char *why = NULL;

				FUZZ_CHECK(rte_mbuf_check(m, 1, &why) == 0);
				FUZZ_CHECK(m->pkt_len <= ports[i]->max_frame);
				FUZZ_CHECK(m->pkt_len >= RTE_ETHER_HDR_LEN);
				FUZZ_CHECK(rte_mbuf_refcnt_read(m) == 1);
				FUZZ_CHECK(*frame_idx(m) < n_frames);
				FUZZ_CHECK(i != in); /* never back out of its input port */
				seen[*frame_idx(m)] = true;
				if (log != NULL && log->n < RTE_DIM(log->recs)) {
					struct out_rec *r = &log->recs[log->n++];

					r->port = (uint16_t)i;
					r->idx = (uint16_t)*frame_idx(m);
					r->len = m->pkt_len;
					r->hash = mbuf_hash(m);
				}
				out->tx[i]++;
				out->tx_bytes[i] += m->pkt_len;
				rte_pktmbuf_free(m);
				total++;
			}
		}
	}
	return total;
}

/*
 * Runs "flow trace" on the key of the burst's last frame that parses (one per
 * burst: tracing formats every rule it visits, and costs more than the burst).
 */
static void
trace_frames(unsigned int in, const uint8_t *const *data, const uint16_t *lens, uint16_t n)
{
	const struct vs_ruleset *rs = vs_ofproto_snapshot(sw->rules_slot);
	static struct vs_xlate_rec rec;
	uint16_t i;

	for (i = n; i-- > 0;) {
		enum fc_parse_reason why;
		struct pm_key key;
		struct vs_reply r;

		if (fc_parse_frame(data[i], lens[i], &key, NULL, NULL, NULL, &why) != 0)
			continue;
		key.in_port = (uint16_t)(in + 1);
		vs_reply_init(&r, false);
		vs_xlate_trace(rs, sw->portmap, sw->mac, &key, &rec, &r);
		FUZZ_CHECK(r.len > 0);
		FUZZ_CHECK(rec.n_actions <= VS_XLATE_REC_MAX && rec.n_rules <= VS_XLATE_RULES_MAX);
		vs_reply_free(&r);
		break;
	}
}

/* Each tx buffer with packets is in the PMD's dirty list, and no slot is listed twice. */
static void
check_dirty(void)
{
	unsigned int i, j;

	FUZZ_CHECK(pmd->n_dirty <= FZ_N_PORTS);
	for (i = 0; i < pmd->n_dirty; i++) {
		FUZZ_CHECK(pmd->tx[pmd->dirty[i]].listed);
		for (j = i + 1; j < pmd->n_dirty; j++)
			FUZZ_CHECK(pmd->dirty[i] != pmd->dirty[j]);
	}
	for (i = 0; i < FZ_N_PORTS; i++)
		FUZZ_CHECK(pmd->tx[ports[i]->slot].n == 0 || pmd->tx[ports[i]->slot].listed);
}

static void
check_pools(void)
{
	unsigned int i;

	for (i = 0; i < n_pools; i++)
		FUZZ_CHECK(rte_mempool_in_use_count(pools[i]) == pool_base[i]);
}

/*
 * The reference: the same frames, each alone through empty caches (pure slow
 * path) on the second PMD, from the MAC table the burst started with.  Each
 * frame must leave through the same ports, in the same order, with the same
 * bytes, as it did through the caches: a megaflow or EMC entry that decides
 * differently from the tables (a mask missing a bit the tables consulted)
 * shows up here.
 */
static void
check_reference(unsigned int in, const uint8_t *const *data, const uint16_t *lens,
                const uint8_t *splits, uint16_t n, bool multi, const void *mac_before,
                const struct out_log *got)
{
	static struct out_log want;
	static uint8_t mac_after[1 << 20];
	const struct vs_ruleset *rs = vs_ofproto_snapshot(sw->rules_slot);
	bool seen[VS_BURST_MAX] = { false };
	struct totals rings;
	uint16_t i;

	FUZZ_CHECK(mac_size <= sizeof(mac_after));
	memcpy(mac_after, mac_mem, mac_size);
	memcpy(mac_mem, mac_before, mac_size);
	want.n = 0;
	ref->now_ms = pmd->now_ms;
	ref->now_s = pmd->now_s;
	ref->rules_version = rs->version;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = make_frame(ports[in]->mp, data[i], lens[i], splits[i], multi);

		FUZZ_CHECK(m != NULL);
		*frame_idx(m) = i;
		m->port = ports[in]->port_id;
		vs_dpif_flush(ref);
		ref->dp.upcall_tokens = VS_UPCALL_BURST;
		vs_pmd_process_burst(ref, rs, &rxqs[in], &m, 1);
		vs_pmd_flush_all(ref);
		drain(in, n, seen, &rings, &want);
	}
	vs_dpif_flush(ref);
	memcpy(mac_mem, mac_after, mac_size);
	check_pools();
	FUZZ_CHECK(want.n < RTE_DIM(want.recs) && got->n < RTE_DIM(got->recs));
	for (i = 0; i < n; i++) {
		unsigned int a = 0, b = 0;

		for (;;) {
			while (a < got->n && got->recs[a].idx != i)
				a++;
			while (b < want.n && want.recs[b].idx != i)
				b++;
			if (a == got->n || b == want.n)
				break;
			if (got->recs[a].port != want.recs[b].port ||
			    got->recs[a].len != want.recs[b].len ||
			    got->recs[a].hash != want.recs[b].hash) {
				fprintf(stderr,
				        "frame %u: cached path sent %u bytes to p%u, tables alone "
				        "%u bytes "
				        "to p%u\n",
				        i, got->recs[a].len, got->recs[a].port + 1,
				        want.recs[b].len, want.recs[b].port + 1);
				FUZZ_CHECK(!"cached decision differs from the tables");
			}
			a++;
			b++;
		}
		if (a != got->n || b != want.n) {
			fprintf(stderr, "frame %u: output count differs (cached %s, tables %s)\n",
			        i, a != got->n ? "more" : "fewer", b != want.n ? "more" : "fewer");
			FUZZ_CHECK(!"cached decision differs from the tables");
		}
	}
}

/* One burst: returns the bytes of input it consumed, 0 at the end of the input. */
static size_t
run_burst(const uint8_t *data, size_t size, uint8_t flags, uint8_t arg)
{
	static struct rte_mbuf *held[FZ_POOL];
	struct rte_mbuf *pkts[VS_BURST_MAX];
	static uint8_t mac_before[1 << 20];
	static struct out_log got;
	struct ct_thread_stats ct_before;
	const uint8_t *fdata[VS_BURST_MAX];
	uint8_t fsplit[VS_BURST_MAX];
	uint16_t flens[VS_BURST_MAX];
	bool seen[VS_BURST_MAX] = { false };
	struct totals before, after, rings;
	unsigned int in, n_held = 0, n_seen = 0, i;
	uint64_t lost_tx = 0, dropped, no_mbuf;
	uint16_t n = 0, want;
	size_t off = 2;

	if (size < 2)
		return 0;
	in = (data[0] & 0x80) ? 4 : data[0] & 3;
	want = (uint16_t)(1 + (data[0] >> 2 & 31));
	pmd->now_ms += data[1];
	pmd->now_s = (uint32_t)(pmd->now_ms / 1000);
	vs_dpif_housekeeping(pmd);
	vs_ct_housekeeping(pmd);
	while (n < want && off + 2 <= size) {
		uint16_t len = (uint16_t)(data[off] << 8 | data[off + 1]);
		uint8_t split = 0;
		struct rte_mbuf *m;

		off += 2;
		if (flags & 0x80) {
			if (off >= size)
				break;
			split = data[off++];
		}
		if (len > size - off)
			len = (uint16_t)(size - off);
		if (len > 9216)
			len = 9216;
		m = make_frame(ports[in]->mp, data + off, len, split, flags & 0x80);
		FUZZ_CHECK(m != NULL);
		*frame_idx(m) = n;
		m->port = ports[in]->port_id;
		fdata[n] = data + off;
		flens[n] = len;
		fsplit[n] = split;
		pkts[n++] = m;
		off += len;
	}
	if (n == 0)
		return 0;

	totals_get(&before);
	ct_before = pmd->ct.stats;
	FUZZ_CHECK(mac_size <= sizeof(mac_before));
	memcpy(mac_before, mac_mem, mac_size);
	if (flags & 0x10)
		n_held = pressure_take(held, RTE_DIM(held), arg);
	vs_pmd_process_burst(pmd, vs_ofproto_snapshot(sw->rules_slot), &rxqs[in], pkts, n);
	check_dirty();
	vs_pmd_flush_all(pmd);
	if (n_held != 0)
		rte_mempool_put_bulk(sw->shared_mp, (void **)held, n_held);
	totals_get(&after);
	got.n = 0;
	drain(in, n, seen, &rings, &got);
	check_pools();

	FUZZ_CHECK(after.rx[in] - before.rx[in] == n);
	FUZZ_CHECK(after.n_rx - before.n_rx == n);
	for (i = 0; i < FZ_N_PORTS; i++) {
		if (i != in)
			FUZZ_CHECK(after.rx[i] == before.rx[i]);
		FUZZ_CHECK(after.tx[i] - before.tx[i] == rings.tx[i]);
		FUZZ_CHECK(after.tx_bytes[i] - before.tx_bytes[i] == rings.tx_bytes[i]);
		lost_tx += after.port_drops[i][VS_PD_TX_MTU] - before.port_drops[i][VS_PD_TX_MTU];
		lost_tx += after.port_drops[i][VS_PD_TX_FULL] - before.port_drops[i][VS_PD_TX_FULL];
		lost_tx += after.port_drops[i][VS_PD_TX_NO_MBUF] -
		           before.port_drops[i][VS_PD_TX_NO_MBUF];
	}
	for (i = 0; i < n; i++)
		n_seen += seen[i];
	/* Frames that left nothing: each counted by exactly one reason. */
	dropped = (after.port_drops[in][VS_PD_RX_OVERSIZE] -
	           before.port_drops[in][VS_PD_RX_OVERSIZE]) +
	          (after.parse_drops - before.parse_drops) +
	          (after.upcall_drops - before.upcall_drops) +
	          (after.pipe_drops - before.pipe_drops);
	no_mbuf = after.no_mbuf - before.no_mbuf;
	if (lost_tx == 0 && no_mbuf == 0) {
		if (n_seen + dropped != n) {
			fprintf(stderr, "n=%u seen=%u dropped=%" PRIu64 "\n", n, n_seen, dropped);
			FUZZ_CHECK(n_seen + dropped == n);
		}
	} else {
		/* A lost output may have been a frame's only one; a copy that lost its
		 * VLAN push counts a drop although the frame left elsewhere. */
		FUZZ_CHECK(n_seen + dropped - no_mbuf <= n);
		FUZZ_CHECK(n <= n_seen + dropped + lost_tx);
	}
	/* The reference sends every frame alone: only comparable when nothing was
	 * lost to a full ring, a failed copy, the upcall limit or held mbufs. */
	/* ...nor when conntrack ran: its table is shared and keeps what A did. */
	if (lost_tx == 0 && no_mbuf == 0 && !(flags & 0x50) &&
	    memcmp(&ct_before, &pmd->ct.stats, sizeof(ct_before)) == 0)
		check_reference(in, fdata, flens, fsplit, n, flags & 0x80, mac_before, &got);
	trace_frames(in, fdata, flens, n);
	return off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fc_emc *emc;
	static size_t heap_first;
	uint64_t created;
	uint32_t sts_cap;
	uint8_t flags, arg;
	size_t heap;
	unsigned int b, n_bursts;
	size_t off = 2;

	if (size < 2)
		return 0;
	flags = data[0];
	arg = data[1];
	n_bursts = 1 + (flags & 3);

	/* A fresh, deterministic datapath for every input. */
	if (emc == NULL)
		emc = pmd->dp.emc;
	pmd->dp.emc = emc;
	vs_dpif_flush(pmd);
	vs_mac_flush(sw->mac);
	/* Connections of earlier inputs must not change this one.  "ct flush" walks
	 * the whole table (a million slots): instead the clock jumps past every
	 * conntrack timeout, so they are expired for this input's packets, and
	 * PMD 0's sweeper reclaims them on its budget. */
	pmd->now_ms += FZ_CT_EPOCH_MS;
	pmd->now_s = (uint32_t)(pmd->now_ms / 1000);
	pmd->dp.emc = (flags & 0x08) ? NULL : emc; /* as --emc-entries 0 */
	pmd->detail = flags & 0x04;
	sw->mf_limit = (flags & 0x20) ? 2 : 200000;
	sw->upcall_rate = (flags & 0x40) ? 0 : 1000000;
	pmd->dp.upcall_tokens = (flags & 0x40) ? (arg & 7) : VS_UPCALL_BURST;
	pmd->dp.upcall_tsc = rte_rdtsc();
	pmd->rules_version = vs_ofproto_snapshot(sw->rules_slot)->version;
	sts_cap = pmd->dp.cls->sts_cap + ref->dp.cls->sts_cap;
	created = pmd->ct.stats.n_created + ref->ct.stats.n_created;
	heap = heap_in_use();
	if (heap_first == 0)
		heap_first = heap;

	for (b = 0; b < n_bursts && off < size; b++) {
		size_t used = run_burst(data + off, size - off, flags, arg);

		if (used == 0)
			break;
		off += used;
	}
	vs_dpif_flush(pmd);
	check_pools();
	/* Every megaflow and subtable freed; only the subtable array may have grown. */
	FUZZ_CHECK(pmd->dp.n_flows == 0 && pmd->dp.cls->n_entries == 0);
	FUZZ_CHECK(pmd->dp.cls->n_sts == 0 && pmd->dp.cls->n_zombies == 0);
	FUZZ_CHECK(ref->dp.n_flows == 0 && ref->dp.cls->n_sts == 0 && ref->dp.cls->n_zombies == 0);
	/* Exact, unless the subtable array grew or connections were committed (the
	 * ct pool keeps its slabs until shutdown); bounded over the whole run, so a
	 * slow leak still shows. */
	if (pmd->dp.cls->sts_cap + ref->dp.cls->sts_cap == sts_cap &&
	    pmd->ct.stats.n_created + ref->ct.stats.n_created == created)
		FUZZ_CHECK(heap_in_use() == heap);
	FUZZ_CHECK(heap_in_use() <= heap_first + FZ_HEAP_SLACK);
	return 0;
}
