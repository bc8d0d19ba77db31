/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The action executor: looks a packet up in the rule tables and runs the
 * actions of the rules it hits (resubmit and goto_table included), on the
 * PMD thread that received it.
 *
 * Outputs are lazy: an output is remembered as 'pending' and turned into a
 * copy only when a later output or a header change needs the packet; the
 * last output takes the original mbuf.  So the common single-output case
 * copies nothing, and every output sees the packet as it was at that point
 * of the action list (OpenFlow semantics).
 *
 * Header rewrites fix the IPv4 header checksum and the TCP/UDP/ICMP checksums
 * incrementally (RFC 1624).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "vs_ct.h"
#include "vs_daemon.h"
#include "vs_recirc.h"
#include "vs_switch.h"

/** Deepest resubmit/goto_table chain (OVS allows 64). */
#define XLATE_DEPTH_MAX 64

enum vlan_op {
	VLAN_NONE,
	VLAN_STRIP,
	VLAN_SET, /* set the vid, pushing a tag if there is none */
};

struct pending {
	struct vs_port *port;
	enum vlan_op op;
	uint16_t vid;
};

struct xlate {
	struct vs_pmd *pmd; /**< NULL when tracing */
	struct vs_mac *mac;
	const struct vs_ruleset *rs;
	const struct vs_portmap *map;
	struct rte_mbuf *m;
	struct pm_key *key;
	struct pending pending;
	uint32_t n_out;           /**< outputs made so far */
	enum vs_drop reason;      /**< why nothing left, when nothing did */
	bool stop;                /**< goto_table or a fatal drop ends the list */
	uint8_t table;            /**< table being run (resubmit:P) */
	struct vs_xlate_rec *rec; /**< slow path: what to cache, or NULL */
	struct vs_reply *trace;   /**< "flow trace" output, or NULL */
	unsigned int depth;       /**< for trace indentation */
	bool recirc;              /**< ct(table=) hit: the packet goes on to the next pass */
	uint16_t rslot;           /**< its slot in the recirc queue (key filled, mbuf at finish) */
};

static inline void
count_drop(struct vs_pmd *pmd, enum vs_drop d)
{
	if (pmd != NULL)
		pmd->stats.n_drop[d]++;
}

static void trace_line(struct xlate *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
trace_line(struct xlate *x, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vs_reply_printf(x->trace, "%*s%s\n", (int)(2 * x->depth + 2), "", buf);
}

/* ------------------------------------------------------------------ */
/* Checksums. */

static inline void
csum_replace16(uint16_t *csum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t) ~*csum + (uint16_t)~old + (uint32_t) new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	*csum = (uint16_t)~s;
}

/* Updates 'csum' for 'len' bytes (even) changing from 'old' to 'new'. */
static void
csum_replace_bytes(uint16_t *csum, const void *old, const void *new, unsigned int len)
{
	const uint8_t *o = old, *n = new;
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2) {
		uint16_t ow, nw;

		memcpy(&ow, o + i, 2);
		memcpy(&nw, n + i, 2);
		if (ow != nw)
			csum_replace16(csum, ow, nw);
	}
}

/* ------------------------------------------------------------------ */
/* VLAN tags. */

static int
vlan_push(struct rte_mbuf *m, uint16_t tpid_host, uint16_t tci_host)
{
	uint8_t *p;
	uint16_t v;

	if (m == NULL)
		return 0; /* tracing: the key alone */
	if (rte_pktmbuf_headroom(m) < 4 || rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)
		return -1;
	p = (uint8_t *)rte_pktmbuf_prepend(m, 4);
	memmove(p, p + 4, 2 * RTE_ETHER_ADDR_LEN);
	v = rte_cpu_to_be_16(tpid_host);
	memcpy(p + 12, &v, 2);
	v = rte_cpu_to_be_16(tci_host);
	memcpy(p + 14, &v, 2);
	m->l2_len += 4;
	return 0;
}

static void
vlan_strip(struct rte_mbuf *m)
{
	uint8_t *p;

	if (m == NULL || rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + 4)
		return;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memmove(p + 4, p, 2 * RTE_ETHER_ADDR_LEN);
	rte_pktmbuf_adj(m, 4);
	if (m->l2_len >= 4)
		m->l2_len -= 4;
}

/* Sets the outer tag's TCI, or pushes an 802.1Q tag when there is none. */
static int
vlan_set_tci(struct rte_mbuf *m, struct pm_key *key, uint16_t tci_host)
{
	if (key->vlan_tci & rte_cpu_to_be_16(PM_VLAN_PRESENT)) {
		uint16_t v = rte_cpu_to_be_16(tci_host & ~PM_VLAN_PRESENT);

		if (m != NULL)
			memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, 14), &v, 2);
	} else if (vlan_push(m, RTE_ETHER_TYPE_VLAN, tci_host & ~PM_VLAN_PRESENT) != 0) {
		return -1;
	}
	key->vlan_tci = rte_cpu_to_be_16(tci_host | PM_VLAN_PRESENT);
	return 0;
}

/* Applies a per-output VLAN change to a packet about to leave. */
static int
apply_vlan_op(struct rte_mbuf *m, const struct pm_key *key, enum vlan_op op, uint16_t vid)
{
	bool tagged = key->vlan_tci & rte_cpu_to_be_16(PM_VLAN_PRESENT);
	struct pm_key k;

	switch (op) {
	case VLAN_NONE:
		return 0;
	case VLAN_STRIP:
		if (tagged)
			vlan_strip(m);
		return 0;
	case VLAN_SET:
		k.vlan_tci = key->vlan_tci;
		if (tagged)
			vid |= rte_be_to_cpu_16(key->vlan_tci) & 0xe000; /* keep PCP */
		return vlan_set_tci(m, &k, vid);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Outputs. */

static void
send_copy(struct xlate *x, const struct pending *p)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(x->m, x->pmd->sw->shared_mp, 0, UINT32_MAX);

	if (c == NULL) {
		p->port->pmd_stats[x->pmd->idx].drops[VS_PD_TX_NO_MBUF]++;
		return;
	}
	c->l2_len = x->m->l2_len;
	c->l3_len = x->m->l3_len;
	c->l4_len = x->m->l4_len;
	if (apply_vlan_op(c, x->key, p->op, p->vid) != 0) {
		rte_pktmbuf_free(c);
		count_drop(x->pmd, VS_DROP_NO_MBUF);
		return;
	}
	vs_pmd_tx(x->pmd, p->port, c);
}

/* Turns a pending output into a copy (before a rewrite or another output). */
static inline void
materialize(struct xlate *x)
{
	if (x->m != NULL && x->pending.port != NULL) {
		send_copy(x, &x->pending);
		x->pending.port = NULL;
	}
}

static void
emit(struct xlate *x, struct vs_port *port, enum vlan_op op, uint16_t vid)
{
	if (x->m == NULL) {
		x->n_out++;
		if (x->trace != NULL)
			trace_line(x, "-> output to %s (%u)%s", port->name, port->ofport,
			           op == VLAN_STRIP ? " untagged" :
			           op == VLAN_SET   ? " tagged" :
			                              "");
		return;
	}
	materialize(x);
	if (unlikely(port->tnl != NULL) && vs_tunnel_needs_md(port->tnl))
		vs_tunnel_stamp(x->m, x->key); /* tun_dst/tun_id as of this output */
	x->pending.port = port;
	x->pending.op = op;
	x->pending.vid = vid;
	x->n_out++;
}

static void
output_port(struct xlate *x, uint32_t ofport)
{
	struct vs_port *p;

	if (ofport == x->key->in_port) {
		x->reason = VS_DROP_IN_PORT_OUTPUT;
		return;
	}
	p = vs_portmap_get(x->map, ofport);
	if (p == NULL) {
		x->reason = VS_DROP_PORT_GONE;
		return;
	}
	emit(x, p, VLAN_NONE, 0);
}

static void
flood(struct xlate *x)
{
	uint16_t s;

	for (s = 0; s < VS_PORT_MAX; s++) {
		struct vs_port *p = x->map->slots[s];

		if (p != NULL && p->ofport != x->key->in_port)
			emit(x, p, VLAN_NONE, 0);
	}
}

/* Output for 'normal' on VLAN 'vlan': tag as the output port wants. */
static void
normal_output(struct xlate *x, struct vs_port *p, uint16_t vlan)
{
	bool tagged = x->key->vlan_tci & rte_cpu_to_be_16(PM_VLAN_PRESENT);
	uint16_t cur = rte_be_to_cpu_16(x->key->vlan_tci) & PM_VLAN_VID_MASK;

	if (p->tag != 0 || vlan == 0)
		emit(x, p, tagged ? VLAN_STRIP : VLAN_NONE, 0);
	else if (tagged && cur == vlan)
		emit(x, p, VLAN_NONE, 0);
	else
		emit(x, p, VLAN_SET, vlan);
}

/* The 'normal' action: a VLAN-aware MAC-learning switch, as an OVS bridge. */
static void
normal(struct xlate *x)
{
	struct vs_pmd *pmd = x->pmd;
	struct pm_key *k = x->key;
	struct vs_port *in = vs_portmap_get(x->map, k->in_port);
	bool tagged = k->vlan_tci & rte_cpu_to_be_16(PM_VLAN_PRESENT);
	uint16_t vid = tagged ? rte_be_to_cpu_16(k->vlan_tci) & PM_VLAN_VID_MASK : 0;
	uint16_t vlan, out, s;
	struct vs_port *p;

	if (in == NULL) {
		x->reason = VS_DROP_PORT_GONE;
		return;
	}
	if (in->tag != 0) {
		if (vid != 0) { /* access ports take untagged (or priority-tagged) frames */
			x->reason = VS_DROP_VLAN_FILTER;
			return;
		}
		vlan = in->tag;
	} else {
		vlan = vid;
		if (!vs_port_carries(in, vlan)) {
			x->reason = VS_DROP_VLAN_FILTER;
			return;
		}
	}
	if (x->m != NULL && !(k->dl_src[0] & 1))
		vs_mac_learn(x->mac, k->dl_src, vlan, k->in_port, pmd->now_s);
	if (!(k->dl_dst[0] & 1)) {
		out = vs_mac_lookup(x->mac, k->dl_dst, vlan,
		                    pmd != NULL ? pmd->now_s : (uint32_t)(vs_clock_ms() / 1000));
		if (out == k->in_port) {
			x->reason = VS_DROP_NORMAL_SAME_PORT;
			return;
		}
		p = out != 0 ? vs_portmap_get(x->map, out) : NULL;
		if (p != NULL && vs_port_carries(p, vlan)) {
			normal_output(x, p, vlan);
			return;
		}
	}
	for (s = 0; s < VS_PORT_MAX; s++) {
		p = x->map->slots[s];
		if (p != NULL && p->ofport != k->in_port && vs_port_carries(p, vlan))
			normal_output(x, p, vlan);
	}
}

/* ------------------------------------------------------------------ */
/* Header rewrites. */

static inline uint8_t *
l3_ptr(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len);
}

static inline bool
has_l4(const struct rte_mbuf *m, const struct pm_key *k)
{
	return m->l4_len != 0 && !(k->nw_frag & PM_FRAG_LATER);
}

/* Pointer to the L4 checksum of a TCP/UDP/ICMP packet, or NULL. */
static uint16_t *
l4_csum_ptr(struct rte_mbuf *m, const struct pm_key *k, bool *is_udp)
{
	uint8_t *l4;

	*is_udp = false;
	if (!has_l4(m, k))
		return NULL;
	l4 = l3_ptr(m) + m->l3_len;
	switch (k->nw_proto) {
	case IPPROTO_TCP:
		return (uint16_t *)(l4 + 16);
	case IPPROTO_UDP:
		*is_udp = true;
		return (uint16_t *)(l4 + 6);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return (uint16_t *)(l4 + 2);
	}
	return NULL;
}

/* Rewrites 'len' bytes at 'field' to 'new', fixing the L4 checksum when
 * 'pseudo' (the bytes are in the pseudo header) or 'in_l4'. */
static void
rewrite_l4_covered(struct rte_mbuf *m, const struct pm_key *k, void *field, const void *new,
                   unsigned int len, bool pseudo)
{
	bool is_udp;
	uint16_t *c = l4_csum_ptr(m, k, &is_udp);

	/* ICMPv4's checksum does not cover the IP pseudo header. */
	if (c != NULL && !(pseudo && k->nw_proto == IPPROTO_ICMP) && !(is_udp && *c == 0)) {
		csum_replace_bytes(c, field, new, len);
		if (is_udp && *c == 0)
			*c = 0xffff;
	}
	memcpy(field, new, len);
}

static void
write_ipv4_field(struct rte_mbuf *m, const struct pm_key *k, unsigned int ofs, const void *new,
                 unsigned int len, bool pseudo)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3_ptr(m);
	uint8_t *f = (uint8_t *)ip + ofs;
	uint16_t *ip_csum =
			(uint16_t *)((uint8_t *)ip + offsetof(struct rte_ipv4_hdr, hdr_checksum));
	uint8_t old_word[2], new_word[2];

	if (len == 1) {
		/* Single bytes: checksum over the aligned 16-bit word. */
		unsigned int w = ofs & ~1u;

		memcpy(old_word, (uint8_t *)ip + w, 2);
		memcpy(new_word, old_word, 2);
		new_word[ofs - w] = *(const uint8_t *)new;
		csum_replace_bytes(ip_csum, old_word, new_word, 2);
		*f = *(const uint8_t *)new;
		return;
	}
	csum_replace_bytes(ip_csum, f, new, len);
	if (pseudo)
		rewrite_l4_covered(m, k, f, new, len, true);
	else
		memcpy(f, new, len);
}

/* Writes field 'f' of the (already updated) key into the packet. */
static int
write_field(struct rte_mbuf *m, const struct pm_key *k, enum vs_field f)
{
	uint16_t dl_type = rte_be_to_cpu_16(k->dl_type);
	bool ip4 = dl_type == RTE_ETHER_TYPE_IPV4 && m->l3_len != 0;
	bool ip6 = dl_type == RTE_ETHER_TYPE_IPV6 && m->l3_len != 0;
	bool arp = dl_type == RTE_ETHER_TYPE_ARP && m->l3_len != 0;
	uint8_t *l3 = l3_ptr(m), *l4;

	switch (f) {
	case VS_F_DL_SRC:
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, 6), k->dl_src, 6);
		break;
	case VS_F_DL_DST:
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), k->dl_dst, 6);
		break;
	case VS_F_NW_SRC:
	case VS_F_NW_DST:
		if (ip4)
			write_ipv4_field(m, k, f == VS_F_NW_SRC ? 12 : 16,
			                 f == VS_F_NW_SRC ? &k->nw_src : &k->nw_dst, 4, true);
		else if (arp)
			memcpy(l3 + (f == VS_F_NW_SRC ? 14 : 24),
			       f == VS_F_NW_SRC ? &k->nw_src : &k->nw_dst, 4);
		break;
	case VS_F_NW_TOS:
	case VS_F_IP_DSCP:
	case VS_F_NW_ECN:
		if (ip4) {
			write_ipv4_field(m, k, 1, &k->nw_tos, 1, false);
		} else if (ip6) {
			uint32_t w;

			memcpy(&w, l3, 4);
			w = rte_be_to_cpu_32(w);
			w = (w & 0xf00fffff) | (uint32_t)k->nw_tos << 20;
			w = rte_cpu_to_be_32(w);
			memcpy(l3, &w, 4);
		}
		break;
	case VS_F_NW_TTL:
		if (ip4)
			write_ipv4_field(m, k, 8, &k->nw_ttl, 1, false);
		else if (ip6)
			l3[7] = k->nw_ttl;
		break;
	case VS_F_IPV6_SRC:
	case VS_F_IPV6_DST:
		if (ip6)
			rewrite_l4_covered(m, k, l3 + (f == VS_F_IPV6_SRC ? 8 : 24),
			                   f == VS_F_IPV6_SRC ? k->ipv6_src : k->ipv6_dst, 16,
			                   true);
		break;
	case VS_F_TP_SRC:
	case VS_F_TP_DST:
		if ((ip4 || ip6) && has_l4(m, k) &&
		    (k->nw_proto == IPPROTO_TCP || k->nw_proto == IPPROTO_UDP ||
		     k->nw_proto == IPPROTO_SCTP)) {
			l4 = l3 + m->l3_len;
			rewrite_l4_covered(m, k, l4 + (f == VS_F_TP_SRC ? 0 : 2),
			                   f == VS_F_TP_SRC ? &k->tp_src : &k->tp_dst, 2, false);
		}
		break;
	case VS_F_ICMP_TYPE:
	case VS_F_ICMP_CODE:
		if ((ip4 || ip6) && has_l4(m, k) &&
		    (k->nw_proto == IPPROTO_ICMP || k->nw_proto == IPPROTO_ICMPV6)) {
			uint8_t nw[2];

			l4 = l3 + m->l3_len;
			nw[0] = (uint8_t)(rte_be_to_cpu_16(k->tp_src));
			nw[1] = (uint8_t)(rte_be_to_cpu_16(k->tp_dst));
			rewrite_l4_covered(m, k, l4, nw, 2, false);
		}
		break;
	case VS_F_ARP_OP:
		if (arp)
			l3[7] = k->nw_proto;
		break;
	case VS_F_ARP_SPA:
	case VS_F_ARP_TPA:
		if (arp)
			memcpy(l3 + (f == VS_F_ARP_SPA ? 14 : 24),
			       f == VS_F_ARP_SPA ? &k->nw_src : &k->nw_dst, 4);
		break;
	case VS_F_ARP_SHA:
	case VS_F_ARP_THA:
		if (arp)
			memcpy(l3 + (f == VS_F_ARP_SHA ? 8 : 18),
			       f == VS_F_ARP_SHA ? k->arp_sha : k->arp_tha, 6);
		break;
	default:
		break; /* metadata: the key alone */
	}
	return 0;
}

static void
set_field(struct xlate *x, const struct vs_action *a)
{
	const struct vs_field_desc *d = vs_field_get(a->field);
	uint8_t *c = (uint8_t *)x->key + d->offset;
	unsigned int i;

	if (a->field == VS_F_VLAN_TCI || a->field == VS_F_DL_VLAN || a->field == VS_F_DL_VLAN_PCP) {
		struct pm_key tmp = *x->key;
		uint8_t *t = (uint8_t *)&tmp + d->offset;

		for (i = 0; i < d->size; i++)
			t[i] = (t[i] & ~a->mask[i]) | (a->value[i] & a->mask[i]);
		if (vlan_set_tci(x->m, x->key, rte_be_to_cpu_16(tmp.vlan_tci)) != 0) {
			x->reason = VS_DROP_NO_MBUF;
			x->stop = true;
		}
		return;
	}
	for (i = 0; i < d->size; i++)
		c[i] = (c[i] & ~a->mask[i]) | (a->value[i] & a->mask[i]);
	if (x->m != NULL)
		write_field(x->m, x->key, a->field);
}

static void
dec_ttl(struct xlate *x)
{
	struct pm_key *k = x->key;
	uint16_t dl_type = rte_be_to_cpu_16(k->dl_type);

	if ((dl_type != RTE_ETHER_TYPE_IPV4 && dl_type != RTE_ETHER_TYPE_IPV6) ||
	    (x->m != NULL && x->m->l3_len == 0))
		return; /* OVS: no IP header, no-op */
	if (k->nw_ttl <= 1) {
		x->reason = VS_DROP_TTL_EXPIRED;
		x->stop = true;
		/* The actions after this one were not recorded, and the mask does
		 * not cover the TTL: a megaflow of this list would drop packets
		 * with a live TTL.  Expired packets take the slow path instead. */
		if (x->rec != NULL)
			x->rec->overflow = true;
		return;
	}
	k->nw_ttl--;
	if (x->m != NULL)
		write_field(x->m, k, VS_F_NW_TTL);
}

/* ------------------------------------------------------------------ */
/* ct(). */

/* Applies the result of ct() action 'ct' (conntrack already run) to the translation. */
static void
ct_apply(struct xlate *x, const struct vs_act_ct *ct, const struct ct_result *res, uint16_t zone)
{
	struct vs_recirc *q;

	/* The reasons vs_ct_verdict_keeps() lists. */
	switch (res->reason) {
	case CT_R_FRAG:
		x->reason = VS_DROP_CT_FRAG;
		x->stop = true;
		return;
	case CT_R_LIMIT_GLOBAL:
	case CT_R_LIMIT_ZONE:
		x->reason = VS_DROP_CT_LIMIT;
		x->stop = true;
		return;
	case CT_R_NO_MEM:
	case CT_R_TABLE_FULL:
		x->reason = VS_DROP_CT_NO_ROOM;
		x->stop = true;
		return;
	default:
		break;
	}
	if (ct->table == VS_CT_NO_TABLE)
		return;
	q = &x->pmd->recirc[x->pmd->rq];
	if (x->recirc || x->pmd->recirc_pass >= VS_RECIRC_MAX || q->n == VS_BURST_MAX) {
		/* A second ct(table=) in one pass would fork the packet again; or the
		 * chain is too deep.  This instance ends here. */
		count_drop(x->pmd, VS_DROP_RECIRC_DEPTH);
		return;
	}
	/* A copy: the rest of this list still runs on the untracked key.  finish() adds
	 * the mbuf. */
	x->recirc = true;
	x->rslot = vs_recirc_push(x->pmd, x->key, false, ct, res, zone);
}

/*
 * Runs conntrack on the packet.  Without table= the pipeline goes on with the
 * key as it was (OVS: the ct fields are not set in this pass).  With table=T
 * the packet is recirculated once this pass ends: the rest of this action
 * list still runs on the untracked key (OVS forks there; header rewrites
 * of that rest do reach the recirculated packet here), and the packet then
 * continues in table T with the ct fields set, without being parsed again
 * (finish()).
 */
static void
ct_action(struct xlate *x, const struct vs_act_ct *ct)
{
	struct ct_result res;
	uint16_t zone;

	if (x->m == NULL) {
		if (x->trace != NULL)
			trace_line(x, "ct: conntrack is not run by a trace%s",
			           ct->table != VS_CT_NO_TABLE ? "; the packet would recirculate" :
			                                         "");
		return;
	}
	vs_ct_execute(x->pmd, x->m, x->key, ct, &res, &zone);
	ct_apply(x, ct, &res, zone);
}

/* ------------------------------------------------------------------ */

static void run_table(struct xlate *x, uint8_t table, unsigned int depth);

/* Appends an executed action to the list the megaflow will run. */
static void
record(struct xlate *x, const struct vs_action *a)
{
	if (x->rec->n_actions == VS_XLATE_REC_MAX) {
		x->rec->overflow = true;
		return;
	}
	x->rec->actions[x->rec->n_actions++] = *a;
}

static void
record_in_port(struct xlate *x, uint16_t port)
{
	struct vs_action a = { .type = VS_ACT_SET_IN_PORT, .arg = port };

	if (x->rec != NULL)
		record(x, &a);
}

static bool
modifies_packet(const struct vs_action *a)
{
	switch (a->type) {
	case VS_ACT_MOD_VLAN_VID:
	case VS_ACT_MOD_VLAN_PCP:
	case VS_ACT_STRIP_VLAN:
	case VS_ACT_PUSH_VLAN:
	case VS_ACT_SET_FIELD:
	case VS_ACT_DEC_TTL:
		return true;
	default:
		return false;
	}
}

/* The TCI after mod_vlan_vid / mod_vlan_pcp (host order, without PM_VLAN_PRESENT). */
static uint16_t
mod_vlan_tci(const struct pm_key *k, const struct vs_action *a)
{
	uint16_t tci = (k->vlan_tci & rte_cpu_to_be_16(PM_VLAN_PRESENT)) ?
	                               rte_be_to_cpu_16(k->vlan_tci) & ~PM_VLAN_PRESENT :
	                               0;

	if (a->type == VS_ACT_MOD_VLAN_VID)
		return (uint16_t)((tci & ~PM_VLAN_VID_MASK) | (a->arg & PM_VLAN_VID_MASK));
	return (uint16_t)((tci & PM_VLAN_VID_MASK) | (a->arg & 7) << PM_VLAN_PCP_SHIFT);
}

static void
run_actions(struct xlate *x, const struct vs_action *acts, uint16_t n, unsigned int depth)
{
	struct pm_key *k = x->key;
	uint16_t i, saved_port;

	for (i = 0; i < n && !x->stop; i++) {
		const struct vs_action *a = &acts[i];

		if (modifies_packet(a))
			materialize(x);
		if (x->rec != NULL && a->type != VS_ACT_RESUBMIT && a->type != VS_ACT_GOTO_TABLE &&
		    a->type != VS_ACT_DROP)
			record(x, a);
		switch ((int)a->type) {
		case VS_ACT_SET_IN_PORT:
			k->in_port = (uint16_t)a->arg;
			break;
		case VS_ACT_OUTPUT:
			output_port(x, a->arg);
			break;
		case VS_ACT_IN_PORT: {
			struct vs_port *p = vs_portmap_get(x->map, k->in_port);

			if (p != NULL)
				emit(x, p, VLAN_NONE, 0);
			break;
		}
		case VS_ACT_FLOOD:
		case VS_ACT_ALL:
			flood(x);
			break;
		case VS_ACT_NORMAL:
			normal(x);
			break;
		case VS_ACT_DROP:
			break;
		case VS_ACT_RESUBMIT:
			saved_port = k->in_port;
			if (a->port != VS_OFPORT_NONE && a->port != saved_port) {
				record_in_port(x, a->port);
				k->in_port = a->port;
			}
			run_table(x, a->arg == VS_RESUBMIT_CUR_TABLE ? x->table : (uint8_t)a->arg,
			          depth + 1);
			if (k->in_port != saved_port)
				record_in_port(x, saved_port);
			k->in_port = saved_port;
			break;
		case VS_ACT_GOTO_TABLE:
			run_table(x, (uint8_t)a->arg, depth + 1);
			return;
		case VS_ACT_MOD_VLAN_VID:
		case VS_ACT_MOD_VLAN_PCP:
			if (vlan_set_tci(x->m, k, mod_vlan_tci(k, a)) != 0) {
				x->reason = VS_DROP_NO_MBUF;
				x->stop = true;
			}
			break;
		case VS_ACT_STRIP_VLAN:
			if (k->vlan_tci & rte_cpu_to_be_16(PM_VLAN_PRESENT)) {
				vlan_strip(x->m);
				k->vlan_tci = 0;
			}
			break;
		case VS_ACT_PUSH_VLAN:
			if (vlan_push(x->m, (uint16_t)a->arg, 0) != 0) {
				x->reason = VS_DROP_NO_MBUF;
				x->stop = true;
				break;
			}
			k->vlan_tci = rte_cpu_to_be_16(PM_VLAN_PRESENT);
			break;
		case VS_ACT_SET_FIELD:
			set_field(x, a);
			break;
		case VS_ACT_DEC_TTL:
			dec_ttl(x);
			break;
		case VS_ACT_CT:
			ct_action(x, a->ct);
			break;
		case VS_ACT_CT_CLEAR:
			k->ct_state = 0;
			k->ct_zone = 0;
			k->ct_mark = 0;
			memset(k->ct_label, 0, sizeof(k->ct_label));
			k->ct_nw_src = 0;
			k->ct_nw_dst = 0;
			k->ct_nw_proto = 0;
			k->ct_tp_src = 0;
			k->ct_tp_dst = 0;
			memset(k->ct_ipv6_src, 0, sizeof(k->ct_ipv6_src));
			memset(k->ct_ipv6_dst, 0, sizeof(k->ct_ipv6_dst));
			break;
		default:
			break;
		}
	}
}

/*
 * Highest-priority rule of 'table' matching the key.  When recording, the
 * masks of every rule compared are OR-ed into the megaflow mask: the
 * outcome depends on exactly those bits, so a megaflow over them never
 * decides differently from the tables.
 */
static const struct vs_rule *
lookup(struct xlate *x, uint8_t table)
{
	const struct vs_table *t = x->rs->tables[table];
	uint32_t i;

	if (x->rec == NULL)
		return vs_ruleset_lookup(x->rs, table, x->key);
	for (i = 0; t != NULL && i < t->n_rules; i++) {
		const struct vs_rule *r = t->rules[i];
		pm_word_t *wc = (pm_word_t *)&x->rec->wc;
		const pm_word_t *m = (const pm_word_t *)&r->spec.mask;
		unsigned int w;

		for (w = 0; w < r->n_key_words; w++)
			wc[w] |= m[w];
		if (pm_key_match_masked(x->key, &r->spec.key, &r->spec.mask, r->n_key_words))
			return r;
	}
	return NULL;
}

static void
run_table(struct xlate *x, uint8_t table, unsigned int depth)
{
	const struct vs_rule *r;
	uint8_t saved_table = x->table;

	if (depth >= XLATE_DEPTH_MAX) {
		x->reason = VS_DROP_RESUBMIT_DEPTH;
		x->stop = true;
		if (x->rec != NULL)
			x->rec->overflow = true;
		return;
	}
	r = lookup(x, table);
	x->depth = depth;
	if (r == NULL) {
		if (depth == 0)
			x->reason = VS_DROP_TABLE_MISS;
		if (x->trace != NULL)
			trace_line(x, "table %u: no match%s", table, depth == 0 ? ": drop" : "");
		return;
	}
	if (x->trace != NULL) {
		char match[4096], acts[4096];

		vs_flow_format_match(&r->spec.key, &r->spec.mask, vs_cmd_port_names(), match,
		                     sizeof(match));
		vs_flow_format_actions(r->spec.actions, r->spec.n_actions, vs_cmd_port_names(),
		                       acts, sizeof(acts));
		trace_line(x, "table %u: priority=%u%s%s actions=%s", table, r->spec.priority,
		           match[0] ? "," : "", match, acts);
	}
	if (x->rec != NULL) {
		if (x->rec->n_rules < VS_XLATE_RULES_MAX)
			x->rec->rules[x->rec->n_rules++] = r;
		else
			x->rec->overflow = true;
	}
	if (x->pmd != NULL && x->m != NULL && x->rec == NULL) {
		/* Our own counter slot: plain stores, the control thread reads relaxed. */
		struct vs_rule_stats *st = (struct vs_rule_stats *)&r->stats[x->pmd->idx];

		st->n_packets++;
		st->n_bytes += x->m->pkt_len;
		st->used_ms = x->pmd->now_ms;
	}
	x->table = table;
	run_actions(x, r->spec.actions, r->spec.n_actions, depth);
	x->table = saved_table;
	x->depth = depth;
}

/* Sends the pending output or frees the packet, counting why nothing left. */
static void
finish(struct xlate *x)
{
	struct rte_mbuf *m = x->m;

	if (x->recirc) {
		/* Outputs of this pass get copies; the packet itself goes on (its key
		 * is in the queue already, see ct_apply()). */
		materialize(x);
		x->pmd->recirc[x->pmd->rq].pkts[x->rslot] = m;
		return;
	}
	if (x->pending.port != NULL) {
		if (apply_vlan_op(m, x->key, x->pending.op, x->pending.vid) == 0) {
			vs_pmd_tx(x->pmd, x->pending.port, m);
			return;
		}
		x->reason = VS_DROP_NO_MBUF;
		x->n_out--;
	}
	if (x->n_out == 0)
		count_drop(x->pmd, x->reason);
	rte_pktmbuf_free(m);
}

void
vs_xlate_upcall(struct vs_pmd *pmd, const struct vs_ruleset *rs, const struct vs_portmap *map,
                struct rte_mbuf *m, struct pm_key *key, struct vs_xlate_rec *rec)
{
	struct xlate x = {
		.pmd = pmd,
		.mac = pmd->sw->mac,
		.rs = rs,
		.map = map,
		.m = m,
		.key = key,
		.reason = VS_DROP_NO_OUTPUT,
		.rec = rec,
	};
	const struct vs_rule_stats add = { 1, m->pkt_len, pmd->now_ms };
	uint16_t i;

	if (rec != NULL) {
		memset(&rec->wc, 0, sizeof(rec->wc));
		rec->n_actions = 0;
		rec->n_rules = 0;
		rec->overflow = false;
	}
	/* A recirculated packet (ct(table=T)) starts in table T. */
	run_table(&x, key->recirc_id != 0 ? (uint8_t)(key->recirc_id - 1) : 0, 0);
	if (rec != NULL) {
		rec->reason = x.reason;
		/* The upcalled packet counts for its rules like the cached ones will. */
		for (i = 0; i < rec->n_rules; i++) {
			struct vs_rule_stats *st =
					(struct vs_rule_stats *)&rec->rules[i]->stats[pmd->idx];

			st->n_packets += add.n_packets;
			st->n_bytes += add.n_bytes;
			st->used_ms = add.used_ms;
		}
	}
	finish(&x);
}

void
vs_xlate_execute(struct vs_pmd *pmd, const struct vs_portmap *map, struct rte_mbuf *m,
                 struct pm_key *key, const struct vs_action *acts, uint16_t n_acts,
                 enum vs_drop reason)
{
	struct xlate x = {
		.pmd = pmd,
		.mac = pmd->sw->mac,
		.map = map,
		.m = m,
		.key = key,
		.reason = reason,
	};

	run_actions(&x, acts, n_acts, 0);
	finish(&x);
}

void
vs_xlate_execute_ct(struct vs_pmd *pmd, const struct vs_portmap *map, struct rte_mbuf *m,
                    struct pm_key *key, const struct vs_action *acts, uint16_t n_acts,
                    enum vs_drop reason, const struct ct_result *res, uint16_t zone)
{
	struct xlate x = {
		.pmd = pmd,
		.mac = pmd->sw->mac,
		.map = map,
		.m = m,
		.key = key,
		.reason = reason,
	};

	ct_apply(&x, acts[0].ct, res, zone);
	if (!x.stop)
		run_actions(&x, acts + 1, (uint16_t)(n_acts - 1), 0);
	finish(&x);
}

void
vs_xlate_trace(const struct vs_ruleset *rs, const struct vs_portmap *map, struct vs_mac *mac,
               struct pm_key *key, struct vs_xlate_rec *rec, struct vs_reply *trace)
{
	struct xlate x = {
		.mac = mac,
		.rs = rs,
		.map = map,
		.key = key,
		.reason = VS_DROP_NO_OUTPUT,
		.rec = rec,
		.trace = trace,
	};

	memset(&rec->wc, 0, sizeof(rec->wc));
	rec->n_actions = 0;
	rec->n_rules = 0;
	rec->overflow = false;
	run_table(&x, 0, 0);
	rec->reason = x.reason;
	if (x.n_out == 0)
		vs_reply_printf(trace, "  result: drop (%s)\n", vs_drop_name(x.reason));
}
