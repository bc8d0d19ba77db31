/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VXLAN tunnel ports: "port add NAME vxlan" options and the encapsulating
 * transmit path (see vs_tunnel.h).  The outer header of each (tunnel,
 * remote, VNI) is resolved once per underlay snapshot version into a
 * PMD-private template cache; per packet the PMD only finds the template
 * (a fixed tunnel: once per burst) and lets lib/vxlan prepend it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "pm_hash.h"
#include "vs_reply.h"
#include "vs_switch.h"
#include "vs_tunnel.h"
#include "vs_underlay.h"

static const char *const tnl_counter_names[VS_TC_N] = {
#define VS_TC_NAME__(e, s) s,
	VS_TNL_COUNTERS(VS_TC_NAME__)
#undef VS_TC_NAME__
};

const char *
vs_tnl_counter_name(enum vs_tnl_counter c)
{
	return (unsigned int)c < VS_TC_N ? tnl_counter_names[c] : "?";
}

/* ------------------------------------------------------------------ */
/* Options. */

static int
parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 0);
	return errno != 0 || *end != '\0' || *out > max ? -EINVAL : 0;
}

static int
parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1 || a.s_addr == 0 || a.s_addr == INADDR_BROADCAST)
		return -EINVAL;
	*ip = a.s_addr;
	return 0;
}

static int
parse_bool(const char *s, const char *yes, const char *no, bool *out)
{
	if (strcmp(s, yes) == 0)
		*out = true;
	else if (strcmp(s, no) == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* One "key=value" option; -EINVAL for a bad value, -ENOENT for an unknown key. */
static int
parse_opt(const char *k, const char *v, struct vs_tnl_cfg *c, uint16_t *ofport, bool *have)
{
	unsigned long a, b;
	char *dash;

	if (strcmp(k, "local_ip") == 0) {
		have[0] = true;
		return parse_ip(v, &c->local_ip);
	}
	if (strcmp(k, "remote_ip") == 0) {
		have[1] = true;
		c->remote_flow = strcmp(v, "flow") == 0;
		c->remote_ip = 0;
		return c->remote_flow ? 0 : parse_ip(v, &c->remote_ip);
	}
	if (strcmp(k, "key") == 0) {
		c->key_flow = strcmp(v, "flow") == 0;
		c->vni = 0;
		if (c->key_flow)
			return 0;
		if (parse_num(v, VXLAN_VNI_MAX, &a) != 0)
			return -EINVAL;
		c->vni = (uint32_t)a;
		return 0;
	}
	if (strcmp(k, "dst_port") == 0) {
		if (parse_num(v, 65535, &a) != 0 || a == 0)
			return -EINVAL;
		c->dst_port = (uint16_t)a;
		return 0;
	}
	if (strcmp(k, "tos") == 0 || strcmp(k, "ttl") == 0) {
		bool tos = k[1] == 'o';
		bool *inherit = tos ? &c->tos_inherit : &c->ttl_inherit;

		*inherit = strcmp(v, "inherit") == 0;
		if (*inherit)
			return 0;
		if (parse_num(v, 255, &a) != 0 || (!tos && a == 0))
			return -EINVAL;
		if (tos)
			c->tos = (uint8_t)a;
		else
			c->ttl = (uint8_t)a;
		return 0;
	}
	if (strcmp(k, "df") == 0)
		return parse_bool(v, "on", "off", &c->df);
	if (strcmp(k, "df_default") == 0)
		return parse_bool(v, "true", "false", &c->df);
	if (strcmp(k, "csum") == 0)
		return parse_bool(v, "on", "off", &c->csum) == 0 ?
		                       0 :
		                       parse_bool(v, "true", "false", &c->csum);
	if (strcmp(k, "src_port_range") == 0) {
		char buf[32];

		if (strlen(v) >= sizeof(buf))
			return -EINVAL;
		snprintf(buf, sizeof(buf), "%s", v);
		dash = strchr(buf, '-');
		if (dash == NULL)
			return -EINVAL;
		*dash = '\0';
		if (parse_num(buf, 65535, &a) != 0 || parse_num(dash + 1, 65535, &b) != 0 ||
		    a == 0 || a > b)
			return -EINVAL;
		c->src_port_min = (uint16_t)a;
		c->src_port_max = (uint16_t)b;
		return 0;
	}
	if (strcmp(k, "ofport") == 0) {
		if (parse_num(v, VS_OFPORT_MAX, &a) != 0 || a == 0)
			return -EINVAL;
		*ofport = (uint16_t)a;
		return 0;
	}
	return -ENOENT;
}

int
vs_tunnel_parse_args(int argc, char **argv, struct vs_tnl_cfg *c, uint16_t *ofport,
                     struct vs_reply *r)
{
	bool have[2] = { false, false };
	int i, ret;

	memset(c, 0, sizeof(*c));
	c->dst_port = VXLAN_DEFAULT_DST_PORT;
	c->ttl = VXLAN_DEFAULT_TTL;
	c->df = true;
	c->src_port_min = VXLAN_DEFAULT_SRC_PORT_MIN;
	c->src_port_max = VXLAN_DEFAULT_SRC_PORT_MAX;
	for (i = 0; i < argc; i++) {
		char key[32];
		const char *eq = strchr(argv[i], '=');
		size_t klen = eq != NULL ? (size_t)(eq - argv[i]) : 0;

		if (eq == NULL || klen == 0 || klen >= sizeof(key))
			return vs_reply_error(r, -EINVAL, "bad vxlan option '%s' (want key=value)",
			                      argv[i]);
		memcpy(key, argv[i], klen);
		key[klen] = '\0';
		ret = parse_opt(key, eq + 1, c, ofport, have);
		if (ret == -ENOENT)
			return vs_reply_error(
					r, -EINVAL,
					"unknown vxlan option '%s' (known: local_ip, remote_ip, "
					"key, dst_port, tos, ttl, df, df_default, csum, "
					"src_port_range, ofport)",
					key);
		if (ret != 0)
			return vs_reply_error(r, -EINVAL, "bad value in vxlan option '%s'",
			                      argv[i]);
	}
	if (!have[0])
		return vs_reply_error(r, -EINVAL, "vxlan port needs local_ip=A");
	if (!have[1])
		return vs_reply_error(r, -EINVAL, "vxlan port needs remote_ip=B|flow");
	if (!c->remote_flow && c->remote_ip == c->local_ip)
		return vs_reply_error(r, -EINVAL, "vxlan remote_ip equals local_ip");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Data path. */

/* What an output to a flow-based tunnel carries in the mbuf. */
struct vs_tun_md {
	uint64_t tun_id;  /* as pm_key.tun_id (network order) */
	uint32_t tun_dst; /* network order */
	uint32_t pad;
};

void
vs_tunnel_stamp(struct rte_mbuf *m, const struct pm_key *key)
{
	struct vs_tun_md *md;

	if (m == NULL || vs_ul_dynfield_offset < 0)
		return;
	md = RTE_MBUF_DYNFIELD(m, vs_ul_dynfield_offset, struct vs_tun_md *);
	md->tun_id = key->tun_id;
	md->tun_dst = key->tun_dst;
}

/* Frames of one burst that leave by one underlay port, with their templates. */
struct encap_run {
	uint16_t n;
	uint16_t out_ofport;
	uint64_t used; /* template cache slots the run refers to */
	struct rte_mbuf *pkts[VS_BURST_MAX];
	const struct vxlan_tmpl *tmpls[VS_BURST_MAX];
};

/* Drops pkts[0, n), counted as 'why'.  @return their bytes. */
static uint64_t
drop_all(struct vs_tnl_stats *ts, enum vs_tnl_counter why, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	ts->n[why] += n;
	rte_pktmbuf_free_bulk(pkts, n);
	return bytes;
}

/* The stage's MTU, from underlay port 'out' (whose max_frame is the MTU + Ethernet
 * header + one VLAN tag). */
static inline void
stage_mtu(struct vs_ul_pmd *u, const struct vs_port *out)
{
	uint32_t mtu = out->max_frame - RTE_ETHER_HDR_LEN - 4;

	u->enc.mtu = mtu > UINT16_MAX ? UINT16_MAX : (uint16_t)mtu;
}

/* Counts the stage's drops since 'before' and queues on 'out' the 'ok' frames it
 * encapsulated, of 'bytes' bytes before (all within the MTU just set: no pass to check). */
static void
encap_out(struct vs_pmd *pmd, struct vs_ul_pmd *u, struct vs_tnl_stats *ts, struct vs_port *out,
          const uint64_t before[], struct rte_mbuf **pkts, uint16_t ok, uint64_t bytes)
{
	unsigned int d;

	for (d = 0; d < VXLAN_ENCAP_DROP_N; d++)
		ts->encap_drop[d] += u->enc.n_drop[d] - before[d];
	ts->n[VS_TC_ENCAP] += ok;
	if (likely(ok != 0))
		vs_pmd_tx_burst_fitting(pmd, out, pkts, ok, bytes + (uint64_t)ok * VXLAN_ENCAP_LEN);
}

/* Encapsulates a run (each frame with its template) and queues it on its underlay port;
 * empties the run. */
static void
encap_run(struct vs_pmd *pmd, struct vs_ul_pmd *u, struct vs_tnl_stats *ts, struct encap_run *r)
{
	uint64_t before[VXLAN_ENCAP_DROP_N], b0 = u->enc.n_bytes;
	struct vs_port *out;
	uint16_t n = r->n, ok;

	r->n = 0;
	r->used = 0;
	if (n == 0)
		return;
	out = vs_portmap_get(pmd->map, r->out_ofport);
	if (unlikely(out == NULL)) {
		/* The underlay port left; the next snapshot has no route over it. */
		(void)drop_all(ts, VS_TC_NO_ROUTE, r->pkts, n);
		return;
	}
	stage_mtu(u, out);
	memcpy(before, u->enc.n_drop, sizeof(before));
	/* No hashes array: a frame that ct() tracked carries its connection key's hash as
	 * its RSS hash (vs_ct_stamp_hash()), and the stage hashes the inner headers of the
	 * others in the walk that reads their TOS and TTL. */
	ok = vxlan_encap_burst(&u->enc, r->pkts, n, r->tmpls, NULL);
	rte_pktmbuf_free_bulk(r->pkts + ok, n - ok);
	encap_out(pmd, u, ts, out, before, r->pkts, ok, u->enc.n_bytes - b0);
}

static inline uint32_t
slot_of(uint16_t ofport, uint32_t remote, uint32_t vni)
{
	return pm_crc32(remote, ofport ^ vni << 16) & (VS_UL_TMPL_CACHE - 1);
}

/*
 * The cached template of (tunnel, remote, VNI), resolved in 'ul' on a miss.
 * A miss may evict a template a frame of this burst still points to: the
 * run is encapsulated first ('used' marks the slots the run refers to).
 */
static struct vs_ul_tmpl_entry *
tmpl_get(struct vs_pmd *pmd, struct vs_ul_pmd *u, const struct vs_ul *ul, struct vs_port *port,
         uint64_t remote_vni, struct encap_run *run)
{
	uint32_t remote = (uint32_t)(remote_vni >> 32), vni = (uint32_t)remote_vni;
	uint32_t s = slot_of(port->ofport, remote, vni);
	struct vs_ul_tmpl_entry *e = &u->cache[s];

	if (unlikely(e->version != ul->version || e->remote != remote || e->vni != vni ||
	             e->tnl_ofport != port->ofport)) {
		if (run->used >> s & 1)
			encap_run(pmd, u, &port->tnl_stats[pmd->idx], run);
		e->remote = remote;
		e->vni = vni;
		e->tnl_ofport = port->ofport;
		e->arp_ms = 0;
		vs_underlay_resolve(ul, port->tnl, e);
		e->version = ul->version;
	}
	run->used |= 1ull << s;
	return e;
}

/*
 * False when frames for 'e' cannot leave now: counts why (one frame) unless
 * the next hop is unresolved, for which it sends ARP (the caller queues).
 */
static __rte_noinline bool
tmpl_usable_slow(struct vs_pmd *pmd, struct vs_tnl_stats *ts, struct vs_ul_tmpl_entry *e)
{
	struct vs_port *out;

	if (e->state != VS_UL_RES_UNRESOLVED) {
		ts->n[e->state == VS_UL_RES_DOWN ? VS_TC_DOWN : VS_TC_NO_ROUTE]++;
		return false;
	}
	/* One ARP request per next hop and second, from this PMD. */
	out = vs_portmap_get(pmd->map, e->out_ofport);
	if (out != NULL && (e->arp_ms == 0 || pmd->now_ms - e->arp_ms >= 1000)) {
		e->arp_ms = pmd->now_ms ? pmd->now_ms : 1;
		vs_underlay_arp_request(pmd, out, e);
	}
	return false;
}

/* Inline for the resolved case, once per packet; the rest is tmpl_usable_slow(). */
static __rte_always_inline bool
tmpl_usable(struct vs_pmd *pmd, struct vs_tnl_stats *ts, struct vs_ul_tmpl_entry *e)
{
	return likely(e->state == VS_UL_RES_OK) || tmpl_usable_slow(pmd, ts, e);
}

/* The frame's (remote, VNI) as remote << 32 | VNI; remote 0 when a flow-based one is unset. */
static inline uint64_t
remote_vni_of(const struct vs_tnl_cfg *c, const struct rte_mbuf *m)
{
	uint32_t remote = c->remote_ip, vni = c->vni;

	if (vs_tunnel_needs_md(c)) {
		const struct vs_tun_md *md =
				RTE_MBUF_DYNFIELD(m, vs_ul_dynfield_offset, struct vs_tun_md *);

		if (c->remote_flow)
			remote = md->tun_dst;
		if (c->key_flow)
			vni = (uint32_t)rte_be_to_cpu_64(md->tun_id) & VXLAN_VNI_MAX;
	}
	return (uint64_t)remote << 32 | vni;
}

/* 'm' through a private copy (fresh headroom), or NULL (dropped and counted). */
static __rte_noinline struct rte_mbuf *
private_copy(struct vs_pmd *pmd, struct vs_tnl_stats *ts, struct rte_mbuf *m)
{
	struct rte_mbuf *copy = rte_pktmbuf_copy(m, pmd->sw->shared_mp, 0, UINT32_MAX);

	rte_pktmbuf_free(m);
	if (copy == NULL)
		ts->encap_drop[VXLAN_ENCAP_DROP_NO_HEADROOM]++;
	return copy;
}

/* 'm', or a private copy of it when it has no room for the outer header or is not
 * ours to write (rare: rx mbufs have 128 bytes of headroom); NULL when the copy
 * failed (dropped and counted). */
static __rte_always_inline struct rte_mbuf *
writable(struct vs_pmd *pmd, struct vs_tnl_stats *ts, struct rte_mbuf *m)
{
	if (unlikely(rte_pktmbuf_headroom(m) < VXLAN_ENCAP_LEN || !RTE_MBUF_DIRECT(m) ||
	             rte_mbuf_refcnt_read(m) > 1))
		return private_copy(pmd, ts, m);
	return m;
}

/*
 * A fixed tunnel's burst through its resolved template 'e', encapsulated in place.  The
 * stage sees the frames first: the few it refuses for being shared or short of headroom
 * (rx mbufs have 128 bytes of it) get a private copy (writable()) and a second call,
 * which also refuses the too long ones again and counts only its own drops, so that the
 * usual burst is one pass over the frames (a writable() pass before it cost about 18
 * instructions a frame).  A copied frame leaves after the burst's others: a flow's
 * frames are all shared (flooded, mirrored) or all not, but at such a change.
 * @return the bytes of the frames as they came.
 */
static uint64_t
encap_fixed(struct vs_pmd *pmd, struct vs_ul_pmd *u, struct vs_tnl_stats *ts,
            const struct vs_ul_tmpl_entry *e, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t before[VXLAN_ENCAP_DROP_N], b0 = u->enc.n_bytes, first, rejected = 0;
	struct vs_port *out = vs_portmap_get(pmd->map, e->out_ofport);
	uint16_t ok, i, k;

	if (unlikely(out == NULL))
		return drop_all(ts, VS_TC_NO_ROUTE, pkts, n); /* as in encap_run() */
	stage_mtu(u, out);
	memcpy(before, u->enc.n_drop, sizeof(before));
	ok = vxlan_encap_burst_tmpl(&u->enc, pkts, n, &e->tmpl, NULL);
	first = u->enc.n_bytes - b0; /* the bytes of those frames as they came */
	if (unlikely(ok != n)) {
		/* The first call's drops are refused again by the second, or not drops. */
		memcpy(u->enc.n_drop, before, sizeof(before));
		for (k = ok, i = ok; i < n; i++) {
			struct rte_mbuf *m;

			rejected += pkts[i]->pkt_len;
			m = writable(pmd, ts, pkts[i]);
			if (m != NULL)
				pkts[k++] = m;
		}
		i = vxlan_encap_burst_tmpl(&u->enc, pkts + ok, (uint16_t)(k - ok), &e->tmpl, NULL);
		rte_pktmbuf_free_bulk(pkts + ok + i, (unsigned int)(k - ok - i));
		ok = (uint16_t)(ok + i);
	}
	encap_out(pmd, u, ts, out, before, pkts, ok, u->enc.n_bytes - b0);
	return first + rejected;
}

/* Adds 'm' to the run, through writable().
 * Inline: once per packet (as a call it cost 15 instructions of its own). */
static __rte_always_inline void
run_add(struct vs_pmd *pmd, struct vs_tnl_stats *ts, struct encap_run *run,
        struct vs_ul_tmpl_entry *e, struct rte_mbuf *m)
{
	m = writable(pmd, ts, m);
	if (m == NULL)
		return;
	run->out_ofport = e->out_ofport;
	run->pkts[run->n] = m;
	run->tmpls[run->n] = &e->tmpl;
	run->n++;
}

/*
 * Holds 'm' until its next hop resolves (bounded).  @return false when it
 * could not (dropped and counted).
 */
static bool
pending_add(struct vs_pmd *pmd, struct vs_ul_pmd *u, const struct vs_ul *ul, struct vs_port *port,
            struct rte_mbuf *m, uint32_t since_ms)
{
	if (u->n_pending == 0) {
		u->pending_reload = pmd->reload_ack;
		u->pending_version = ul->version;
		u->pending_retry_ms = pmd->now_ms;
	}
	if (u->n_pending == VS_UL_PENDING_MAX || u->pending_reload != pmd->reload_ack) {
		port->tnl_stats[pmd->idx].n[VS_TC_UNRESOLVED]++;
		rte_pktmbuf_free(m);
		return false;
	}
	u->pending[u->n_pending] = m;
	u->pending_ofport[u->n_pending] = port->ofport;
	u->pending_ms[u->n_pending] = since_ms;
	u->n_pending++;
	return true;
}

void
vs_tunnel_pending(struct vs_pmd *pmd, bool drop_all)
{
	struct vs_ul_pmd *u = vs_underlay_pmd(pmd->idx);
	const struct vs_ul *ul;
	bool stale;
	uint16_t i, n;

	if (likely(u == NULL || u->n_pending == 0))
		return;
	ul = vs_underlay_get();
	stale = drop_all || u->pending_reload != pmd->reload_ack;
	if (!stale && ul->version == u->pending_version && pmd->now_ms - u->pending_retry_ms < 1000)
		return;
	u->pending_version = ul->version;
	u->pending_retry_ms = pmd->now_ms;
	n = u->n_pending;
	u->n_pending = 0;
	for (i = 0; i < n; i++) {
		/* Same reload: the port map, and so the port, is the one they were queued on. */
		struct vs_port *port =
				stale ? NULL : vs_portmap_get(pmd->map, u->pending_ofport[i]);
		struct rte_mbuf *m = u->pending[i];
		struct vs_ul_tmpl_entry *e;
		struct vs_tnl_stats *ts;
		struct encap_run run;

		if (port == NULL || port->tnl == NULL) {
			rte_pktmbuf_free(m); /* ports changed: counted nowhere, the port may be gone
			                      */
			continue;
		}
		ts = &port->tnl_stats[pmd->idx];
		if ((uint32_t)pmd->now_ms - u->pending_ms[i] >= VS_UL_PENDING_MS) {
			ts->n[VS_TC_UNRESOLVED]++;
			rte_pktmbuf_free(m);
			continue;
		}
		run.n = 0;
		run.used = 0;
		e = tmpl_get(pmd, u, ul, port, remote_vni_of(port->tnl, m), &run);
		if (tmpl_usable(pmd, ts, e)) {
			run_add(pmd, ts, &run, e, m);
			encap_run(pmd, u, ts, &run);
		} else if (e->state == VS_UL_RES_UNRESOLVED) {
			pending_add(pmd, u, ul, port, m, u->pending_ms[i]);
		} else {
			rte_pktmbuf_free(m);
		}
	}
}

uint64_t
vs_tunnel_tx(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf **pkts, uint16_t n)
{
	const struct vs_tnl_cfg *c = port->tnl;
	const struct vs_ul *ul = vs_underlay_get();
	struct vs_ul_pmd *u = vs_underlay_pmd(pmd->idx);
	struct vs_tnl_stats *ts = &port->tnl_stats[pmd->idx];
	/* A fixed tunnel resolves once per burst; a flow-based one per frame. */
	bool per_frame = vs_tunnel_needs_md(c);
	struct vs_ul_tmpl_entry *e = NULL;
	struct encap_run run;
	uint64_t bytes = 0;
	uint16_t i;

	run.n = 0;
	run.out_ofport = 0;
	run.used = 0;
	if (unlikely(ul == NULL || u == NULL))
		return drop_all(ts, VS_TC_DOWN, pkts, n);
	/* Held frames first, if their next hop resolved: they are older. */
	if (unlikely(u->n_pending != 0))
		vs_tunnel_pending(pmd, false);
	if (!per_frame) {
		e = tmpl_get(pmd, u, ul, port, remote_vni_of(c, NULL), &run);
		if (likely(e->state == VS_UL_RES_OK)) {
			/* The usual case: one template and one underlay port for the whole
			 * burst, encapsulated in place, without a run to fill. */
			return encap_fixed(pmd, u, ts, e, pkts, n);
		}
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		bytes += m->pkt_len;
		if (per_frame) {
			uint64_t rv = remote_vni_of(c, m);

			if (unlikely(rv >> 32 == 0)) {
				ts->n[VS_TC_NO_TUN_DST]++;
				rte_pktmbuf_free(m);
				continue;
			}
			e = tmpl_get(pmd, u, ul, port, rv, &run);
		}
		if (unlikely(!tmpl_usable(pmd, ts, e))) {
			if (e->state == VS_UL_RES_UNRESOLVED) {
				if (pending_add(pmd, u, ul, port, m, (uint32_t)pmd->now_ms))
					ts->n[VS_TC_QUEUED]++;
			} else {
				rte_pktmbuf_free(m);
			}
			continue;
		}
		if (run.n != 0 && e->out_ofport != run.out_ofport)
			encap_run(pmd, u, ts, &run);
		run_add(pmd, ts, &run, e, m);
	}
	encap_run(pmd, u, ts, &run);
	return bytes;
}
