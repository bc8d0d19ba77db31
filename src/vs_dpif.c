/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The PMD's datapath flows: each PMD owns an exact-match (signature) cache
 * and a megaflow classifier (lib/flowcache) whose entries carry a flattened
 * action list ('struct vs_dp_flow').  A burst is hashed, looked up in the
 * EMC, then in the classifier; misses go up to the rule tables
 * (vs_xlate_upcall()), which install a megaflow over exactly the header bits
 * the tables consulted.  Packets are then executed in arrival order.
 *
 * Only the owning PMD reads or writes its caches.  The control thread acts
 * on them through requests (flush, dump) that the PMD serves in its
 * housekeeping step, and through the rules version: after a rule change the
 * control thread waits until every PMD has seen the new version, and a PMD
 * that sees it first credits the rules with what its megaflows counted, then
 * flushes them.  So once "flow add|del" returns, no packet is forwarded by a
 * stale megaflow, and rules are freed only after no megaflow points at them.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "vs_ct.h"
#include "vs_daemon.h"
#include "vs_dpif.h"
#include "vs_recirc.h"
#include "vs_switch.h"

/* ------------------------------------------------------------------ */
/* Allocation through rte_malloc on the PMD's socket. */

static void *
dp_zalloc(size_t size, void *arg)
{
	return rte_zmalloc_socket("vs_dp", size, RTE_CACHE_LINE_SIZE, (int)(intptr_t)arg);
}

static void
dp_free(void *ptr, void *arg)
{
	(void)arg;
	rte_free(ptr);
}

int
vs_dpif_init(struct vs_pmd *pmd)
{
	struct vs_dpif *dp = &pmd->dp;
	const struct vs_switch *sw = pmd->sw;
	int socket = (int)rte_lcore_to_socket_id(pmd->lcore_id);

	dp->alloc.zalloc = dp_zalloc;
	dp->alloc.free = dp_free;
	dp->alloc.arg = (void *)(intptr_t)socket;
	dp->cls = fc_cls_create(&dp->alloc, VS_MF_MAX + 1024);
	dp->flows = rte_zmalloc_socket("vs_dp_flows", (VS_MF_MAX + 1024) * sizeof(dp->flows[0]),
	                               RTE_CACHE_LINE_SIZE, socket);
	if (dp->cls == NULL || dp->flows == NULL)
		return -ENOMEM;
	if (sw->emc_entries != 0) {
		void *mem = rte_zmalloc_socket("vs_emc", fc_emc_memsize(sw->emc_entries),
		                               RTE_CACHE_LINE_SIZE, socket);

		if (mem == NULL)
			return -ENOMEM;
		dp->emc = fc_emc_init(mem, sw->emc_entries);
		if (dp->emc == NULL)
			return -EINVAL;
		fc_emc_set_insert_prob(dp->emc, sw->emc_insert_prob);
	}
	dp->upcall_tokens = VS_UPCALL_BURST;
	for (unsigned int i = 0; i < VS_BURST_MAX; i++)
		pmd->kp[i] = &pmd->keys[i];
	return 0;
}

/*
 * Removes one megaflow.  The flow array is compacted by moving the last flow
 * into the hole, so walks by index (expiry, eviction, dump) stay O(1) per step.
 */
static void
dp_flow_remove(struct vs_pmd *pmd, struct vs_dp_flow *f)
{
	struct vs_dpif *dp = &pmd->dp;
	struct vs_dp_flow *last = dp->flows[--dp->n_flows];

	dp->flows[f->idx] = last;
	last->idx = f->idx;
	if (dp->last == f)
		dp->last = NULL;
	if (dp->last_rc == f)
		dp->last_rc = NULL;
	if (dp->last_prev == f)
		dp->last_prev = NULL;
	fc_cls_remove(dp->cls, f->mf);
	rte_free(f);
}

void
vs_dpif_flush(struct vs_pmd *pmd)
{
	struct vs_dpif *dp = &pmd->dp;

	if (dp->emc != NULL)
		fc_emc_flush(dp->emc);
	while (dp->n_flows > 0)
		dp_flow_remove(pmd, dp->flows[dp->n_flows - 1]);
	dp->cursor = 0;
	dp->last = NULL;
	dp->last_rc = NULL;
	dp->last_prev = NULL;
}

/*
 * Whether 'f' can be decided before the frame is parsed: its mask covers
 * only what a frame has on arrival (pass, in_port, metadata, registers, all
 * zero except in_port) and never dl_type or a header field.
 */
static bool
meta_only__(const struct vs_dp_flow *f)
{
	struct pm_key arrival;

	memset(&arrival, 0, sizeof(arrival));
	arrival.recirc_id = UINT32_MAX;
	arrival.in_port = UINT16_MAX;
	arrival.metadata = UINT64_MAX;
	memset(arrival.regs, 0xff, sizeof(arrival.regs));
	for (unsigned int w = 0; w < PM_KEY_WORDS; w++)
		if ((((const pm_word_t *)&f->mask)[w] & ~((const pm_word_t *)&arrival)[w]) != 0)
			return false;
	/* A flow that wants a non-zero pass, metadata or register never
	 * matches a frame on arrival. */
	arrival.in_port = 0;
	for (unsigned int w = 0; w < PM_KEY_WORDS; w++)
		if ((((const pm_word_t *)&f->key)[w] & ((const pm_word_t *)&arrival)[w]) != 0)
			return false;
	return true;
}

/*
 * Installs the megaflow a translation recorded.  Never fails the packet.
 * @return the new megaflow, or NULL when none was installed.
 */
static struct vs_dp_flow *
install(struct vs_pmd *pmd, const struct pm_key *key, const struct vs_xlate_rec *rec)
{
	struct vs_dpif *dp = &pmd->dp;
	struct vs_dp_flow *f;
	struct pm_key mask = rec->wc;
	struct fc_mf *mf;
	size_t size;
	uint32_t w;

	if (rec->overflow)
		return NULL;
	/* Evict after the burst: later packets of this burst may hold pointers
	 * to any megaflow.  The arrays have room for a burst over the limit. */
	if (dp->n_flows >= VS_MF_MAX + VS_BURST_MAX)
		return NULL;
	/* Always exact on the pass number: a later pass never hits a first-pass flow. */
	mask.recirc_id = UINT32_MAX;
	size = sizeof(*f) + rec->n_actions * sizeof(f->actions[0]);
	f = rte_zmalloc_socket("vs_dp_flow", size, 0, (int)(intptr_t)dp->alloc.arg);
	if (f == NULL) {
		pmd->stats.n_mf_install_failed++;
		return NULL;
	}
	f->n_actions = rec->n_actions;
	f->n_rules = rec->n_rules;
	f->reason = rec->reason;
	f->created_ms = pmd->now_ms;
	f->used_ms = pmd->now_ms;
	memcpy(f->rules, rec->rules, rec->n_rules * sizeof(f->rules[0]));
	memcpy(f->actions, rec->actions, rec->n_actions * sizeof(f->actions[0]));
	f->mask = mask;
	pm_key_apply_mask(&f->key, key, &mask);
	for (f->n_words = PM_KEY_WORDS; f->n_words > 0; f->n_words--)
		if (((const pm_word_t *)&mask)[f->n_words - 1] != 0)
			break;
	f->n_nz = 0;
	for (w = 0; w < f->n_words && f->n_nz <= VS_DP_NZ_MAX; w++)
		if (((const pm_word_t *)&mask)[w] != 0) {
			if (f->n_nz < VS_DP_NZ_MAX)
				f->nz[f->n_nz] = (uint8_t)w;
			f->n_nz++;
		}
	if (rec->n_actions == 1 && rec->actions[0].type == VS_ACT_OUTPUT) {
		const struct vs_port *p = vs_portmap_get(pmd->map, rec->actions[0].arg);

		/* Flow-based tunnels need the executor to stamp tun_dst/tun_id. */
		if (p == NULL || p->tnl == NULL || !vs_tunnel_needs_md(p->tnl))
			f->simple_output = (uint16_t)rec->actions[0].arg;
	}
	f->ct_first = rec->n_actions > 0 && rec->actions[0].type == VS_ACT_CT;
	if (rec->n_actions == 2 && f->ct_first && rec->actions[0].ct->table == VS_CT_NO_TABLE &&
	    rec->actions[1].type == VS_ACT_OUTPUT) {
		const struct vs_port *p = vs_portmap_get(pmd->map, rec->actions[1].arg);

		/* As simple_output: a flow-based tunnel needs the executor. */
		if (p == NULL || p->tnl == NULL || !vs_tunnel_needs_md(p->tnl))
			f->ct_output = (uint16_t)rec->actions[1].arg;
	}
	f->meta_only = f->simple_output != 0 && meta_only__(f);
	mf = fc_cls_insert(dp->cls, key, &mask, f);
	if (mf == NULL || mf->data != f) {
		/* At the limit, or the same megaflow came in twice in one burst. */
		if (mf == NULL)
			pmd->stats.n_mf_install_failed++;
		rte_free(f);
		return NULL;
	}
	if (dp->n_flows >= __atomic_load_n(&pmd->sw->mf_limit, __ATOMIC_RELAXED))
		dp->n_evict++;
	f->mf = mf;
	f->idx = dp->n_flows;
	dp->flows[dp->n_flows++] = f;
	pmd->stats.n_mf_installed++;
	if (dp->emc != NULL && fc_cls_n_subtables(dp->cls) > 1 && fc_emc_should_insert(dp->emc))
		fc_emc_insert(dp->emc, fc_key_hash(key), mf);
	return f;
}

/* Takes one upcall token; refills at sw->upcall_rate per second. */
static bool
upcall_allowed(struct vs_pmd *pmd, uint64_t tsc)
{
	struct vs_dpif *dp = &pmd->dp;
	uint64_t rate = pmd->sw->upcall_rate;

	if (dp->upcall_tokens == 0) {
		uint64_t elapsed = tsc - dp->upcall_tsc, add;

		/* Bound 'elapsed' first: elapsed * rate must not overflow. */
		if (elapsed >= pmd->sw->tsc_hz)
			add = VS_UPCALL_BURST;
		else
			add = elapsed * rate / pmd->sw->tsc_hz;
		if (add == 0)
			return false;
		dp->upcall_tokens = add > VS_UPCALL_BURST ? VS_UPCALL_BURST : (uint32_t)add;
		dp->upcall_tsc = tsc;
	}
	dp->upcall_tokens--;
	return true;
}

/*
 * Credits 'n' hits of 'bytes' to a megaflow and to the rules it stands for.
 * Called once per run of consecutive packets of the same megaflow in a
 * burst, not per packet.
 */
static void
count_hits(struct vs_pmd *pmd, struct vs_dp_flow *f, uint32_t n, uint64_t bytes)
{
	uint16_t r;

	f->n_packets += n;
	f->n_bytes += bytes;
	f->used_ms = pmd->now_ms;
	for (r = 0; r < f->n_rules; r++) {
		/* Our own counter slot: plain stores, the control thread reads relaxed. */
		struct vs_rule_stats *st = (struct vs_rule_stats *)&f->rules[r]->stats[pmd->idx];

		st->n_packets += n;
		st->n_bytes += bytes;
		st->used_ms = pmd->now_ms;
	}
}

/* Consecutive hits on one megaflow, credited in one count_hits(). */
struct hit_run {
	struct vs_dp_flow *f; /* NULL: none yet */
	uint32_t n;
	uint64_t bytes;
};

static inline void
hit_run_end(struct vs_pmd *pmd, struct hit_run *h)
{
	if (h->f != NULL)
		count_hits(pmd, h->f, h->n, h->bytes);
	h->f = NULL;
	h->n = 0;
	h->bytes = 0;
}

/* Counts 'm' (before it leaves) as a hit on 'f'. */
static inline void
hit_run_add(struct vs_pmd *pmd, struct hit_run *h, struct vs_dp_flow *f, const struct rte_mbuf *m)
{
	if (f != h->f) {
		hit_run_end(pmd, h);
		h->f = f;
	}
	h->n++;
	h->bytes += m->pkt_len;
}

/* Packets the fast paths send without the action executor: a run for one port goes out
 * in one call, and the run is sent before anything else leaves, to keep arrival order. */
struct tx_run {
	struct vs_port *port;
	uint16_t n;
	struct rte_mbuf *pkts[VS_BURST_MAX];
};

/* Not an initialiser: that would zero the whole array, per burst. */
static inline void
tx_run_init(struct tx_run *t)
{
	t->port = NULL;
	t->n = 0;
}

static inline void
tx_run_flush(struct vs_pmd *pmd, struct tx_run *t)
{
	if (t->n != 0) {
		vs_pmd_tx_burst(pmd, t->port, t->pkts, t->n);
		t->n = 0;
	}
}

static inline void
tx_run_add(struct vs_pmd *pmd, struct tx_run *t, struct vs_port *p, struct rte_mbuf *m)
{
	if (p != t->port)
		tx_run_flush(pmd, t);
	t->port = p;
	t->pkts[t->n++] = m;
}

/*
 * The common case of a busy port: the whole burst hit the last megaflow, and
 * its only action is an output.  One count, one port lookup, one enqueue.
 * @return false (nothing done) when a packet would go back to its in_port.
 */
static bool
whole_burst_out(struct vs_pmd *pmd, struct vs_dp_flow *f, struct rte_mbuf **pkts,
                struct pm_key *const kp[], uint16_t n)
{
	struct vs_port *p = vs_portmap_get(pmd->map, f->simple_output);
	uint64_t bytes = 0;
	uint16_t i;

	if (p == NULL)
		return false;
	for (i = 0; i < n; i++) {
		if (kp[i]->in_port == f->simple_output)
			return false;
		bytes += pkts[i]->pkt_len;
	}
	count_hits(pmd, f, n, bytes);
	pmd->stats.n_mf_hits += n;
	pmd->stats.n_last_hits += n;
	vs_pmd_tx_burst(pmd, p, pkts, n);
	return true;
}

/*
 * The port fast path, before parsing (OVS 3.x's "simple match" is the same
 * idea): when the last megaflow is a plain output that looks at nothing but
 * in_port (a port-to-port patch rule), a whole burst from that port is
 * forwarded on one compare, without parsing a header.  Frames too short to
 * parse (runt, truncated VLAN tag) still go through the parser and are
 * dropped there; parse anomalies of frames taken here are not counted (the
 * header is never read).  The caller has summed 'bytes'.
 * @return false (nothing done) when the burst must be parsed.
 */
static inline bool
unparsed_match__(const struct vs_dp_flow *f, uint16_t in_port)
{
	/* The key is stored masked, and zero in every arrival field but in_port. */
	return f != NULL && f->meta_only && f->simple_output != in_port &&
	       (in_port & f->mask.in_port) == f->key.in_port;
}

bool
vs_dpif_unparsed(struct vs_pmd *pmd, uint16_t in_port, struct rte_mbuf **pkts, uint16_t n,
                 uint64_t bytes)
{
	struct vs_dpif *dp = &pmd->dp;
	struct vs_dp_flow *f = dp->last;
	bool prev = false;
	struct vs_port *p;
	uint16_t i;

	if (!unparsed_match__(f, in_port)) {
		/* Two ports patched to each other on one PMD (a VM and its uplink, the
		 * vhost loop) alternate bursts, and each burst would replace the other's
		 * last hit: only 0.2 % of a vhost loop took this path with one entry. */
		f = dp->last_prev;
		if (!unparsed_match__(f, in_port))
			return false;
		prev = true;
	}
	for (i = 0; i < n; i++)
		if (unlikely(pkts[i]->data_len < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN))
			return false;
	p = vs_portmap_get(pmd->map, f->simple_output);
	if (p == NULL)
		return false;
	if (prev) {
		dp->last_prev = dp->last;
		dp->last = f;
	}
	count_hits(pmd, f, n, bytes);
	pmd->stats.n_mf_hits += n;
	pmd->stats.n_last_hits += n;
	pmd->stats.n_unparsed += n;
	vs_pmd_tx_burst(pmd, p, pkts, n);
	return true;
}

/*
 * The recirculated pass, done in the first (DATAPATH.md: "no second full pipeline
 * pass").  A packet that ct(table=T) alone sends on would be queued for the next pass,
 * where the pass's last-hit megaflow (dp->last_rc) is tried first.  When that megaflow
 * is a lone output, the packet's whole next pass is one masked compare and a send;
 * when it is ct(commit),output:P in a fixed zone (the usual +new rule) and the first
 * ct() found the packet's connection, it is that compare, ct_execute_cached() on the
 * connection (what the next pass's ct() does with the hint the queue would carry) and
 * a send.  So it is done here, on the key the queue would get: the same megaflow,
 * counters, conntrack call and port as the next pass, without its queue, its loop and
 * its setup.  When the batch's ct() calls unlinked no connection on this PMD (the
 * usual case), a connection one of them returned is still live, so the check of
 * ct_execute_cached() is settled from the result alone, without the call (but for a
 * commit that sets a mark or label): the connection is known live as of the first
 * ct(), and another thread that deletes it now could as well have done so just after
 * the next pass (a later packet of the batch cannot: ct_execute_burst_ordered() makes a
 * RST or SYN wait for such a commit).  Instructions a packet: ct udp_rr_10k 801 -> 779,
 * tcp_10k 1041 -> 1014, udp_10k (every packet a commit on its connection) 874 -> 761,
 * ctvx udp_10k 1066 -> 953.  Only from the first pass, without pmd stats detail (whose
 * stage cycles would count it elsewhere), and only while nothing is queued: once a
 * packet of the pass is queued (or goes to the executor, which may queue it), the
 * packets after it are queued too, so that none overtakes it.
 */
struct rc_fuse {
	struct vs_dp_flow *f; /* dp->last_rc */
	bool on;              /* false: queue every packet */
	bool ct;              /* f is ct(...),output:P, o its ct()'s options */
	bool settled;         /* ct: no connection unlinked, no mark or label to set */
	bool key_first;       /* vs_ct_set_key_first() is enough for f's compare */
	uint16_t out;         /* P, or f's lone output */
	struct vs_port *port; /* the port of 'out' */
	uint32_t n;           /* hits to credit to f */
	uint64_t bytes;
	struct vs_dp_matcher lm;
	struct ct_exec_opts o;
};

/* 'unlinked': the ct() calls of the packets since their first pass unlinked connections. */
static __rte_always_inline void
rc_fuse_init(struct vs_pmd *pmd, struct rc_fuse *z, bool unlinked)
{
	struct vs_dp_flow *f = pmd->dp.last_rc;

	z->on = false;
	z->f = f;
	z->n = 0;
	z->bytes = 0;
	if (f == NULL || pmd->recirc_pass != 0 || pmd->recirc[pmd->rq].n != 0 ||
	    __atomic_load_n(&pmd->detail, __ATOMIC_RELAXED))
		return;
	z->ct = f->simple_output == 0;
	if (!z->ct)
		z->out = f->simple_output;
	else if (f->ct_output != 0 && !f->actions[0].ct->zone_from_reg)
		z->out = f->ct_output;
	else
		return;
	z->port = vs_portmap_get(pmd->map, z->out);
	if (z->port == NULL)
		return;
	if (z->ct) {
		vs_ct_opts(f->actions[0].ct, NULL, &z->o);
		z->settled = !unlinked && !ct_opts_exec(&z->o);
	}
	z->on = true;
	vs_dp_matcher_init(&z->lm, f);
	/* Only the compare reads the next pass's key when the ct() is settled (or there
	 * is none): then the ct words it does not read need not be set. */
	z->key_first = !z->lm.wide && (!z->ct || z->settled);
	for (unsigned int i = 0; i < VS_DP_MATCH_WORDS && z->key_first; i++)
		if (z->lm.mask[i] != 0 && vs_ct_key_word_rest(z->lm.idx[i]))
			z->key_first = false;
}

/* ct_execute_cached() of the next pass on a packet whose first ct() returned 'res' (a
 * connection) in 'zone', the key's ct fields set from it: settled when it can be. */
static __rte_always_inline bool
rc_fuse_ct(struct vs_pmd *pmd, const struct rc_fuse *z, const struct pm_key *key,
           const struct ct_result *res, uint16_t zone, struct ct_result *res2)
{
	if (!z->settled)
		return ct_execute_cached(&pmd->ct, &z->o, key, res->conn, pmd->now_ms, res2);
	/* The connection is the packet's and live (struct rc_fuse): the rest of the check
	 * (counted in rc_fuse_end()). */
	return ct_tracked_in(&z->o, zone, res->ct_state);
}

/*
 * Whether the next pass of a packet whose first ct() returned 'res' (a verdict that
 * keeps it) in 'zone' is z->f's, done here: its key becomes the next pass's with
 * recirc_id 'rid', as vs_recirc_push() makes it (nothing reads it again;
 * vs_recirc_ct_only() sets all of it).
 */
static __rte_always_inline bool
rc_fuse_takes(struct vs_pmd *pmd, const struct rc_fuse *z, struct pm_key *key,
              const struct ct_result *res, uint16_t zone, uint32_t rid)
{
	struct ct_result res2;

	if (z->key_first)
		vs_ct_set_key_first(key, res, zone);
	else
		vs_ct_set_key(key, res, zone);
	vs_key_set_recirc(key, rid);
	return key->in_port != z->out && vs_dp_matcher_match(&z->lm, key) &&
	       (!z->ct || (res->conn != NULL && rc_fuse_ct(pmd, z, key, res, zone, &res2)));
}

/*
 * vs_recirc_ct_only(), or the next pass on the spot (struct rc_fuse): 'm' then joins
 * 'out' for the megaflow's port.
 * @return false when the general path must run.
 */
static __rte_always_inline bool
rc_fuse_or_queue(struct vs_pmd *pmd, struct rc_fuse *z, struct tx_run *out, struct rte_mbuf *m,
                 struct pm_key *key, const struct vs_act_ct *ct, const struct ct_result *res,
                 uint16_t zone)
{
	if (z->on && ct->table != VS_CT_NO_TABLE && vs_ct_verdict_keeps(res)) {
		if (rc_fuse_takes(pmd, z, key, res, zone, (uint32_t)ct->table + 1)) {
			z->n++;
			z->bytes += m->pkt_len;
			tx_run_add(pmd, out, z->port, m);
			return true;
		}
		z->on = false; /* queued: the rest of the pass follows it */
	}
	return vs_recirc_ct_only(pmd, m, key, ct, res, zone);
}

/* Credits the hits rc_fuse_or_queue() took, as the next pass would have. */
static __rte_always_inline void
rc_fuse_end(struct vs_pmd *pmd, const struct rc_fuse *z)
{
	if (z->n == 0)
		return;
	count_hits(pmd, z->f, z->n, z->bytes);
	if (z->ct && z->settled) /* each a ct() settled without ct_execute_cached(), */
		pmd->ct.stats.n_reason[CT_R_OK] += z->n; /* which counts as this */
	pmd->stats.n_mf_hits += z->n;
	pmd->stats.n_last_hits += z->n;
}

/*
 * The end of run_ct_first() for a pass that is all one megaflow 'f' (pkts[i] with
 * key *kp[i]): what its per-packet loop does, with what depends on 'f' alone decided
 * once: its output port looked up once, its hits credited in one count_hits().
 */
static __rte_always_inline void
ct_first_uniform_done(struct vs_pmd *pmd, struct vs_dp_flow *f, struct rte_mbuf *const pkts[],
                      struct pm_key *const kp[], const struct ct_result res[],
                      const uint16_t zones[], uint16_t n, bool unlinked)
{
	struct vs_port *out_port =
			f->ct_output != 0 ? vs_portmap_get(pmd->map, f->ct_output) : NULL;
	const bool ct_only = f->n_actions == 1;
	struct tx_run out; /* ct_output packets, and the next pass's done here */
	struct rc_fuse z;
	uint64_t bytes = 0;
	uint16_t j;

	tx_run_init(&out);
	rc_fuse_init(pmd, &z, unlinked);
	z.on = z.on && ct_only;
	j = 0;
	if (z.on && out_port == NULL && z.ct && z.settled && n != 0 &&
	    f->actions[0].ct->table != VS_CT_NO_TABLE) {
		/*
		 * The usual pass (ct(table=T) of a fixed zone, its next pass the settled
		 * ct(commit),output:P): rc_fuse_or_queue() for as long as it takes every
		 * packet, with its counts and the run in registers rather than in 'z' and
		 * 'out', whose increments each packet waited for through memory (ctvx
		 * udp_10k: 181 -> 175 cycles a packet).  The first packet it does not take
		 * goes to the loop below, where it started.
		 */
		const uint32_t rid = (uint32_t)f->actions[0].ct->table + 1;
		uint64_t zbytes = 0;

		for (; j < n; j++) {
			struct rte_mbuf *m = pkts[j];

			if (!vs_ct_verdict_keeps(&res[j]) ||
			    !rc_fuse_takes(pmd, &z, kp[j], &res[j], zones[j], rid))
				break;
			vs_ct_stamp_hash(m, &res[j]);
			zbytes += m->pkt_len;
			out.pkts[j] = m;
		}
		out.port = z.port;
		out.n = j;
		z.n = j;
		z.bytes = zbytes;
		bytes = zbytes; /* f's so far: the same packets */
	}
	for (; j < n; j++) {
		struct rte_mbuf *m = pkts[j];

		vs_ct_stamp_hash(m, &res[j]);
		bytes += m->pkt_len; /* before it leaves */
		if (out_port != NULL && vs_ct_verdict_keeps(&res[j]) &&
		    f->ct_output != kp[j]->in_port) {
			tx_run_add(pmd, &out, out_port, m);
			continue;
		}
		if (ct_only &&
		    rc_fuse_or_queue(pmd, &z, &out, m, kp[j], f->actions[0].ct, &res[j], zones[j]))
			continue;
		z.on = false; /* the executor may queue it */
		tx_run_flush(pmd, &out);
		vs_xlate_execute_ct(pmd, pmd->map, m, kp[j], f->actions, f->n_actions, f->reason,
		                    &res[j], zones[j]);
	}
	tx_run_flush(pmd, &out);
	rc_fuse_end(pmd, &z);
	if (n != 0)
		count_hits(pmd, f, n, bytes);
}

/*
 * Runs the cached lists that start with ct() of the packets idx[0, n): the
 * conntrack lookups of the whole set in one go (they overlap their cache
 * misses), then each list's remaining actions, and credits the megaflows.
 * The packets of a pass are of different connections, or several of one
 * connection whose first-pass ct() calls must wait as 'deps' says
 * (vs_ct_batch_len(); NULL: none), so running their ct() after the other
 * packets of the pass changes no verdict.  With 'uniform' (idx NULL) the packets
 * are pkts[0, n), all on that megaflow.
 * @return how many of them ran, idx[0, ret): the others wait for a later group.
 */
static __rte_always_inline uint16_t
run_ct_first(struct vs_pmd *pmd, struct rte_mbuf **pkts, struct pm_key *const kp[],
             struct fc_mf *const mfs[], const uint8_t *idx, uint16_t n,
             const struct vs_ct_deps *deps, struct vs_dp_flow *uniform)
{
	struct vs_ct_batch b;
	struct ct_result res[VS_BURST_MAX];
	/* The batch's arrays, gathered through idx[] (a uniform pass hands its own over). */
	struct rte_mbuf *g_pkts[VS_BURST_MAX];
	const struct pm_key *g_keys[VS_BURST_MAX];
	const struct vs_act_ct *g_acts[VS_BURST_MAX];
	struct ct_conn *g_conns[VS_BURST_MAX];
	const struct ct_result *g_after[VS_BURST_MAX];
	uint8_t pos[VS_BURST_MAX]; /* pass index -> batch index, for deps */
	uint16_t zones[VS_BURST_MAX], j, done;
	struct hit_run hits = { .f = NULL };
	struct tx_run out; /* ct_output packets, and the next pass's done here */
	struct rc_fuse z;
	uint64_t unlinks;
	bool unlinked;

	tx_run_init(&out);
	b.n = n;
	b.ordered = deps != NULL && deps->any;
	b.find_waits = deps != NULL && deps->cut_by_ct && uniform != NULL;
	b.safe = b.ordered || b.find_waits ? deps->safe : 0;
	b.safe_if_conn = b.ordered || b.find_waits ? deps->safe_if_conn : 0;
	b.hinted = pmd->dp.pass_conns != NULL;
	b.after = b.ordered ? g_after : NULL;
	if (uniform != NULL) {
		b.pkts = pkts;
		/* The same pointers; C will not convert a pointer to them implicitly. */
		b.keys = (const struct pm_key *const *)kp;
		b.act = uniform->actions[0].ct;
		b.acts = NULL;
		b.conns = b.hinted ? pmd->dp.pass_conns : NULL;
	} else {
		b.pkts = g_pkts;
		b.keys = g_keys;
		b.act = NULL;
		b.acts = g_acts;
		b.conns = b.hinted ? g_conns : NULL;
		for (j = 0; j < n; j++) {
			const uint16_t k = idx[j];

			g_pkts[j] = pkts[k];
			g_keys[j] = kp[k];
			g_acts[j] = ((const struct vs_dp_flow *)mfs[k]->data)->actions[0].ct;
			if (b.hinted)
				g_conns[j] = pmd->dp.pass_conns[k];
		}
	}
	for (j = 0; b.ordered && j < n; j++) {
		const uint16_t k = uniform != NULL ? j : idx[j];
		uint8_t p = deps->prev[k];

		/* A packet waits only for one of its group's first-pass ct() hits,
		 * which are all in this batch (vs_ct_batch_len()). */
		RTE_ASSERT(p == VS_CT_NO_DEP || p < k);
		pos[k] = (uint8_t)j;
		g_after[j] = p == VS_CT_NO_DEP ? NULL : &res[pos[p]];
	}
	unlinks = ct_thread_unlinks(&pmd->ct.stats);
	done = vs_ct_execute_burst(pmd, &b, res, zones);
	unlinked = unlinks != ct_thread_unlinks(&pmd->ct.stats);
	if (uniform != NULL) {
		ct_first_uniform_done(pmd, uniform, pkts, kp, res, zones, done, unlinked);
		return done;
	}
	rc_fuse_init(pmd, &z, unlinked);
	for (j = 0; j < done; j++) {
		const uint16_t k = idx[j];
		struct vs_dp_flow *f = mfs[k]->data;
		struct rte_mbuf *m = b.pkts[j];

		vs_ct_stamp_hash(m, &res[j]);
		hit_run_add(pmd, &hits, f, m);
		if (f->ct_output != 0 && vs_ct_verdict_keeps(&res[j]) &&
		    f->ct_output != kp[k]->in_port) {
			/* ct(commit),output:P: what the executor would do, without it. */
			struct vs_port *p = vs_portmap_get(pmd->map, f->ct_output);

			if (likely(p != NULL)) {
				tx_run_add(pmd, &out, p, m);
				continue;
			}
		}
		/* ct(table=T) alone: queued for the next pass here, without the call. */
		if (f->n_actions == 1 &&
		    rc_fuse_or_queue(pmd, &z, &out, m, kp[k], f->actions[0].ct, &res[j], zones[j]))
			continue;
		z.on = false; /* the executor may queue it */
		tx_run_flush(pmd, &out);
		vs_xlate_execute_ct(pmd, pmd->map, m, kp[k], f->actions, f->n_actions, f->reason,
		                    &res[j], zones[j]);
	}
	tx_run_flush(pmd, &out);
	rc_fuse_end(pmd, &z);
	hit_run_end(pmd, &hits);
	return done;
}

/*
 * One pipeline pass over pkts[0, n) with their keys *kp[0, n): classify, then execute
 * in arrival order (upcalls for misses).  Packets that ct(table=T) sends on
 * are queued in pmd->recirc[pmd->rq] for the next pass.  The bits of
 * 'known_last' are packets already found to match the pass's last-hit
 * megaflow (vs_ct_batch_len() compared them with it, just before); 'deps'
 * says which first-pass ct() calls wait for which (NULL: none).
 * @return the packets (bit i: pkts[i]) whose first-pass ct() had to wait for
 *         a later pass of an earlier packet: nothing was done with them (not
 *         even counted), the caller runs them again in the next group.
 */
static uint64_t
process_pass(struct vs_pmd *pmd, const struct vs_ruleset *rs, struct rte_mbuf **pkts,
             struct pm_key *const kp[], uint16_t n, uint64_t known_last,
             const struct vs_ct_deps *deps)
{
	struct vs_dpif *dp = &pmd->dp;
	const struct pm_key *keyp[VS_BURST_MAX];
	uint32_t hashes[VS_BURST_MAX];
	struct fc_mf *mfs[VS_BURST_MAX];
	uint64_t all = n == 64 ? UINT64_MAX : (1ull << n) - 1, hit = 0, mf_hit = 0, miss;
	uint64_t late_hit = 0, left = 0; /* hits on a megaflow this pass installed; waiting */
	/* One read: "pmd stats detail on" may flip it in the middle of a pass. */
	const bool detail = __atomic_load_n(&pmd->detail, __ATOMIC_RELAXED);
	uint64_t t0 = detail ? rte_rdtsc() : 0, tx0 = 0, ct0 = 0;
	/* First and recirculated passes keep their own last hit: they alternate. */
	struct vs_dp_flow **lastp = pmd->recirc_pass == 0 ? &dp->last : &dp->last_rc;
	struct vs_dp_flow *last = *lastp;
	struct hit_run hits = { .f = NULL };
	uint64_t last_hit = 0;
	struct tx_run out; /* simple outputs */
	uint32_t probes = 0;
	uint8_t ct_idx[VS_BURST_MAX]; /* hits whose list starts with ct() */
	uint16_t n_ct = 0;
	struct vs_dp_flow *uniform; /* every packet's megaflow, one that starts with ct() */
	bool use_emc;
	uint16_t i;

	tx_run_init(&out);
	/*
	 * One-entry last-hit cache first (as VPP's last_tunnel_cache): traffic
	 * that one megaflow covers (one in_port rule, a dominant flow) is decided
	 * by a masked compare, without hashing.
	 */
	if (last != NULL) {
		struct vs_dp_matcher lm;

		vs_dp_matcher_init(&lm, last);
		for (i = 0; i < n; i++) {
			/* A local copy of the pointers: matching through kp[] itself compiled to
			 * 22 more instructions per packet (the compiler cannot tell what aliases
			 * it). */
			keyp[i] = kp[i];
			if ((known_last >> i & 1) || vs_dp_matcher_match(&lm, keyp[i])) {
				mfs[i] = last->mf;
				last_hit |= 1ull << i;
			}
		}
	} else {
		for (i = 0; i < n; i++)
			keyp[i] = kp[i];
	}
	/* A group for its ct() call to cut runs only if it is all the hint's megaflow
	 * (vs_dpif_process()); otherwise nothing has been done or counted yet. */
	if (deps != NULL && deps->cut_by_ct && (last == NULL || last_hit != all || !last->ct_first))
		return all;
	if (last_hit == all && last->simple_output != 0 && !detail &&
	    whole_burst_out(pmd, last, pkts, kp, n))
		return 0;
	/* The whole pass on one megaflow whose list starts with ct(): straight to
	 * run_ct_first(), without the per-packet dispatch below. */
	uniform = last != NULL && last_hit == all && last->ct_first ? last : NULL;
	if (pmd->recirc_pass == 0)
		dp->first_uniform = uniform != NULL;
	all &= ~last_hit;
	/*
	 * The EMC pays only when several subtables would be probed: with one
	 * (or none) the classifier's own probe, which hashes just the mask's
	 * words, costs less than hashing the whole key for the EMC.
	 */
	use_emc = dp->emc != NULL && fc_cls_n_subtables(dp->cls) > 1;
	if (use_emc) {
		/* Only the keys the last-hit check left; the burst form stays inline. */
		fc_key_hash_burst(all, keyp, hashes);
		hit = fc_emc_lookup(dp->emc, all, keyp, hashes, mfs);
	}
	miss = all & ~hit;
	if (miss != 0) {
		mf_hit = fc_cls_lookup(dp->cls, miss, keyp, mfs, &probes);
		miss &= ~mf_hit;
		if (use_emc)
			for (uint64_t b = mf_hit; b != 0; b &= b - 1) {
				i = (uint16_t)__builtin_ctzll(b);
				if (fc_emc_should_insert(dp->emc))
					fc_emc_insert(dp->emc, hashes[i], mfs[i]);
			}
	}
	pmd->stats.n_emc_hits += (uint64_t)__builtin_popcountll(hit);
	pmd->stats.n_mf_hits += (uint64_t)__builtin_popcountll(mf_hit | last_hit);
	pmd->stats.n_last_hits += (uint64_t)__builtin_popcountll(last_hit);
	if (mf_hit != 0) {
		struct vs_dp_flow *hit_f = mfs[63 - __builtin_clzll(mf_hit)]->data;

		if (lastp == &dp->last && hit_f != dp->last)
			dp->last_prev = dp->last; /* for vs_dpif_unparsed() */
		*lastp = hit_f;
	}
	pmd->stats.n_mf_probes += probes;
	if (detail) {
		uint64_t t1 = rte_rdtsc();

		pmd->stats.stage_cycles[VS_STAGE_CLASSIFY] += t1 - t0;
		t0 = t1;
		tx0 = pmd->stats.stage_cycles[VS_STAGE_TX]; /* tx inside actions is tx's */
		ct0 = pmd->stats.stage_cycles[VS_STAGE_CT]; /* and ct() is ct's */
	}

	if (uniform != NULL)
		n_ct = n; /* as the loop would: ct_idx[i] == i */
	for (i = 0; uniform == NULL && i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (!(miss >> i & 1)) {
			struct vs_dp_flow *f = mfs[i]->data;

			if (f->ct_first) {
				ct_idx[n_ct++] = (uint8_t)i; /* run_ct_first() below counts it */
				continue;
			}
			hit_run_add(pmd, &hits, f, m);
			if (f->simple_output != 0) {
				/* A lone output: no action interpreter. */
				struct vs_port *p = vs_portmap_get(pmd->map, f->simple_output);

				if (likely(p != NULL && f->simple_output != kp[i]->in_port)) {
					tx_run_add(pmd, &out, p, m);
					continue;
				}
			}
			tx_run_flush(pmd, &out);
			vs_xlate_execute(pmd, pmd->map, m, kp[i], f->actions, f->n_actions,
			                 f->reason);
			continue;
		}
		tx_run_flush(pmd, &out);
		if (!upcall_allowed(pmd, rte_rdtsc())) {
			pmd->stats.n_upcall_drops++;
			rte_pktmbuf_free(m);
			continue;
		}
		pmd->stats.n_upcalls++;
		/* The upcall may evict the run's megaflow: credit it first. */
		hit_run_end(pmd, &hits);
		{
			struct pm_key orig = *kp[i];
			uint64_t tu = detail ? rte_rdtsc() : 0;
			uint64_t ctu = pmd->stats.stage_cycles[VS_STAGE_CT];

			struct vs_dp_flow *nf;

			vs_xlate_upcall(pmd, rs, pmd->map, m, kp[i], &pmd->rec);
			nf = install(pmd, &orig, &pmd->rec);
			/* Later misses of this burst that the new megaflow covers are
			 * hits now: a new flow's first burst makes one upcall, not 32. */
			for (uint64_t b = nf != NULL ? miss & ~((2ull << i) - 1) : 0; b != 0;
			     b &= b - 1) {
				uint16_t j = (uint16_t)__builtin_ctzll(b);

				if (vs_dp_flow_match(nf, kp[j])) {
					mfs[j] = nf->mf;
					miss &= ~(1ull << j);
					late_hit |= 1ull << j;
					pmd->stats.n_mf_hits++;
				}
			}
			if (detail) {
				uint64_t t1 = rte_rdtsc();
				uint64_t dct = pmd->stats.stage_cycles[VS_STAGE_CT] - ctu;

				/* ct() inside the upcall is ct's. */
				pmd->stats.stage_cycles[VS_STAGE_UPCALL] += t1 - tu - dct;
				t0 += t1 - tu; /* not part of the actions stage */
				ct0 += dct;
			}
		}
	}
	hit_run_end(pmd, &hits);
	tx_run_flush(pmd, &out);
	/* Before evictions: the megaflows of these packets must still exist. */
	if (n_ct != 0) {
		uint16_t done;

		/* Two copies, one for each case, so that the uniform one has no indirection. */
		if (uniform != NULL)
			done = run_ct_first(pmd, pkts, kp, mfs, NULL, n_ct, deps, uniform);
		else
			done = run_ct_first(pmd, pkts, kp, mfs, ct_idx, n_ct, deps, NULL);

		if (unlikely(done < n_ct)) {
			/* Not run: their classification does not count either (it is
			 * repeated with the next group; the probe count is not undone). */
			for (i = done; i < n_ct; i++)
				left |= 1ull << (uniform != NULL ? i : ct_idx[i]);
			pmd->stats.n_emc_hits -= (uint64_t)__builtin_popcountll(left & hit);
			pmd->stats.n_mf_hits -= (uint64_t)__builtin_popcountll(
					left & (mf_hit | last_hit | late_hit));
			pmd->stats.n_last_hits -= (uint64_t)__builtin_popcountll(left & last_hit);
		}
	}
	if (dp->n_evict != 0) {
		vs_dpif_evict(pmd, dp->n_evict);
		dp->n_evict = 0;
	}
	if (detail)
		pmd->stats.stage_cycles[VS_STAGE_ACTIONS] +=
				rte_rdtsc() - t0 - (pmd->stats.stage_cycles[VS_STAGE_TX] - tx0) -
				(pmd->stats.stage_cycles[VS_STAGE_CT] - ct0);
	return left;
}

/* Runs the passes of the packets ct(table=T) recirculated, until none is left. */
static void
run_recirculations(struct vs_pmd *pmd, const struct vs_ruleset *rs)
{
	uint8_t pass = 1;

	while (pmd->recirc[pmd->rq].n != 0) {
		struct vs_recirc *q = &pmd->recirc[pmd->rq];

		/* The pass fills the other queue (empty: each pass empties its own). */
		pmd->dp.pass_conns = q->conns;
		pmd->rq ^= 1;
		pmd->recirc_pass = pass++;
		process_pass(pmd, rs, q->pkts, q->kp, q->n, 0, NULL);
		q->n = 0;
	}
	pmd->recirc_pass = 0;
	pmd->dp.pass_conns = NULL;
}

/*
 * The first-pass last-hit megaflow as a grouping hint, when its list is one
 * ct() in a fixed zone followed by actions that run no ct() and reach no
 * other table: a packet it covers makes exactly one first-pass ct() call, the
 * batched one in run_ct_first() (see vs_ct_batch_len()).
 */
static bool
group_hint(const struct vs_dpif *dp, struct vs_ct_group_hint *h)
{
	const struct vs_dp_flow *f = dp->last;
	uint16_t a;

	if (f == NULL || !f->ct_first || f->actions[0].ct->zone_from_reg)
		return false;
	for (a = 1; a < f->n_actions; a++) {
		uint16_t t = f->actions[a].type;

		if (t == VS_ACT_CT || t == VS_ACT_CT_CLEAR || t == VS_ACT_RESUBMIT ||
		    t == VS_ACT_GOTO_TABLE)
			return false;
	}
	h->flow = f;
	h->zone = f->actions[0].ct->zone;
	return true;
}

void
vs_dpif_process(struct vs_pmd *pmd, const struct vs_ruleset *rs, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t s, len;

	if (likely(!vs_ct_active())) {
		/* No connection table, so no ct() flow and no recirculation. */
		process_pass(pmd, rs, pkts, pmd->kp, n, 0, NULL);
		return;
	}
	/*
	 * Arrival order across passes: packet k's ct() in its second pass must
	 * come before packet k+1's ct() in its first when both concern one
	 * connection (a SYN committed in pass 2, its SYN-ACK right behind it).
	 * So the burst runs as consecutive groups in which no two packets can
	 * share a connection, or only packets whose ct() calls wait for each
	 * other as vs_ct_batch_len() says; each group goes through all its passes
	 * before the next starts.  Packets of different connections keep their
	 * batching.  While bursts come whole through the hint's megaflow, the
	 * group is the rest of the burst and its ct() call cuts it where a packet
	 * must wait (vs_ct_group_rest()), without vs_ct_batch_len()'s pass.
	 */
	for (s = 0; s < n;) {
		struct vs_ct_group_hint hint;
		struct vs_ct_deps deps;
		uint64_t covered = 0, left;
		const bool hinted = group_hint(&pmd->dp, &hint);
		const bool cut = hinted && pmd->dp.ct_cut;
		uint16_t dst;

		if (cut) {
			/* The rest of the burst, cut where its ct() call finds a packet that
			 * must wait (vs_ct_group_rest()): vs_ct_batch_len()'s work, without its
			 * pass over the keys (ctvx udp_10k: of 189 cycles a packet, about 12 were
			 * vs_ct_batch_len()), for a pass that is all the hint's megaflow. */
			len = (uint16_t)(n - s);
			vs_ct_group_rest(pmd, rs, &deps);
		} else {
			len = vs_ct_batch_len(pmd, rs, hinted ? &hint : NULL, pmd->keys + s,
			                      (uint16_t)(n - s), &covered, &deps);
		}
		/* The hint is dp->last, the first pass's last-hit: 'covered' packets hit it. */
		left = process_pass(pmd, rs, pkts + s, pmd->kp + s, len, covered, &deps);
		if (cut && left == (len == 64 ? UINT64_MAX : (UINT64_C(1) << len) - 1)) {
			/* Not all the hint's megaflow: untouched; vs_ct_batch_len() from now on,
			 * until a burst is all one megaflow again. */
			pmd->dp.ct_cut = false;
			continue;
		}
		pmd->stats.n_ct_groups++;
		run_recirculations(pmd, rs);
		if (!cut && s == 0 && len == n && pmd->dp.first_uniform)
			pmd->dp.ct_cut = true;
		if (likely(left == 0)) {
			s = (uint16_t)(s + len);
			continue;
		}
		/* The packets that had to wait (untouched) make the next group, in arrival
		 * order, in the last slots of this one.  At least the first packet of the
		 * group ran (it waits for nobody), so the burst shrinks. */
		dst = (uint16_t)(s + len);
		while (left != 0) {
			uint16_t i = (uint16_t)(63 - __builtin_clzll(left));

			left &= ~(1ull << i);
			if (--dst != s + i) {
				pkts[dst] = pkts[s + i];
				pmd->keys[dst] = pmd->keys[s + i];
			}
		}
		s = dst;
	}
}

void
vs_dpif_evict(struct vs_pmd *pmd, unsigned int n)
{
	struct vs_dpif *dp = &pmd->dp;
	unsigned int k, scan;

	for (k = 0; k < n && dp->n_flows > 0; k++) {
		struct vs_dp_flow *victim = NULL;

		/* Least recently used of the next 32: a cheap approximation of LRU. */
		for (scan = 0; scan < 32 && scan < dp->n_flows; scan++) {
			struct vs_dp_flow *f;

			if (dp->cursor >= dp->n_flows)
				dp->cursor = 0;
			f = dp->flows[dp->cursor++];
			if (victim == NULL || f->used_ms < victim->used_ms)
				victim = f;
		}
		dp_flow_remove(pmd, victim);
		pmd->stats.n_mf_evicted++;
	}
}

void
vs_dpif_housekeeping(struct vs_pmd *pmd)
{
	struct vs_dpif *dp = &pmd->dp;
	uint64_t idle = __atomic_load_n(&pmd->sw->mf_idle_ms, __ATOMIC_RELAXED);
	unsigned int k;

	/* Once per millisecond, with a fixed budget: 64 flows (a 200,000-flow
	 * table is swept in about 3 s) and 256 EMC entries. */
	if (pmd->now_ms == dp->last_hk_ms)
		return;
	dp->last_hk_ms = pmd->now_ms;
	for (k = 0; k < 64 && dp->n_flows > 0; k++) {
		struct vs_dp_flow *f;

		if (dp->cursor >= dp->n_flows)
			dp->cursor = 0;
		f = dp->flows[dp->cursor];
		if (pmd->now_ms - f->used_ms >= idle) {
			dp_flow_remove(pmd, f); /* the last flow moved into this slot */
			pmd->stats.n_mf_expired++;
		} else {
			dp->cursor++;
		}
	}
	if (dp->emc != NULL)
		fc_emc_sweep(dp->emc, 256);
	if (pmd->now_ms - dp->last_rank_ms >= 1000) {
		fc_cls_rank(dp->cls);
		dp->last_rank_ms = pmd->now_ms;
	}
}

/* ------------------------------------------------------------------ */
/* Control requests, served by the PMD. */

static void
dump_flows(struct vs_pmd *pmd, struct vs_reply *r, bool *first)
{
	uint32_t i;

	for (i = 0; i < pmd->dp.n_flows; i++) {
		const struct vs_dp_flow *f = pmd->dp.flows[i];
		static char match[8192], acts[8192];
		struct pm_key key, mask;

		if (fc_mf_get(f->mf, &key, &mask) != 0)
			continue;
		vs_flow_format_match(&key, &mask, NULL, match, sizeof(match));
		vs_flow_format_actions(f->actions, f->n_actions, NULL, acts, sizeof(acts));
		if (r->json) {
			vs_reply_printf(r, "%s\n  {\"pmd\": %u, \"match\": ", *first ? "" : ",",
			                pmd->idx);
			vs_reply_json_str(r, match);
			vs_reply_printf(r, ", \"actions\": ");
			vs_reply_json_str(r, f->n_actions ? acts : "drop");
			vs_reply_printf(r,
			                ", \"packets\": %" PRIu64 ", \"bytes\": %" PRIu64
			                ", \"age_ms\": %" PRIu64 ", \"idle_ms\": %" PRIu64 "}",
			                f->n_packets, f->n_bytes, pmd->now_ms - f->created_ms,
			                pmd->now_ms - f->used_ms);
		} else {
			vs_reply_printf(r,
			                "pmd=%u, packets:%" PRIu64 ", bytes:%" PRIu64
			                ", age:%.1fs, used:%.1fs, %s actions:%s\n",
			                pmd->idx, f->n_packets, f->n_bytes,
			                (double)(pmd->now_ms - f->created_ms) / 1000,
			                (double)(pmd->now_ms - f->used_ms) / 1000,
			                match[0] ? match : "any", f->n_actions ? acts : "drop");
		}
		*first = false;
	}
}

void
vs_dpif_serve(struct vs_pmd *pmd)
{
	/* Acquire: pairs with the release in vs_dpif_request(). */
	struct vs_dpif_req *req = __atomic_load_n(&pmd->dp.req, __ATOMIC_ACQUIRE);

	if (req == NULL)
		return;
	switch (req->type) {
	case VS_DPIF_REQ_FLUSH:
		vs_dpif_flush(pmd);
		break;
	case VS_DPIF_REQ_DUMP:
		dump_flows(pmd, req->reply, &req->first);
		break;
	}
	/* Release: the reply is written before the control thread sees 'done'. */
	__atomic_store_n(&pmd->dp.req, NULL, __ATOMIC_RELEASE);
}

int
vs_dpif_request(struct vs_switch *sw, enum vs_dpif_req_type type, struct vs_reply *r)
{
	struct vs_dpif_req req = { .type = type, .reply = r, .first = true };
	uint16_t i;

	for (i = 0; i < sw->n_pmds; i++) {
		struct vs_pmd *pmd = sw->pmds[i];
		uint64_t deadline = rte_rdtsc() + 5 * sw->tsc_hz;

		/* Release: 'req' is written before the PMD loads the pointer. */
		__atomic_store_n(&pmd->dp.req, &req, __ATOMIC_RELEASE);
		while (__atomic_load_n(&pmd->dp.req, __ATOMIC_ACQUIRE) != NULL) {
			if (rte_eal_get_lcore_state(pmd->lcore_id) != RUNNING ||
			    rte_rdtsc() > deadline) {
				/* Take the request back unless the PMD has it now. */
				struct vs_dpif_req *exp = &req;

				if (__atomic_compare_exchange_n(&pmd->dp.req, &exp, NULL, false,
				                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
					return -ETIMEDOUT;
			}
			rte_pause();
		}
	}
	return 0;
}
