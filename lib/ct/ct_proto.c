/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small trackers (UDP and other protocols as OVS lib/conntrack-other.c,
 * ICMP/ICMPv6 queries as OVS lib/conntrack-icmp.c and Linux
 * nf_conntrack_proto_icmp.c), default timeouts, and connection keys from
 * parsed packets, ICMP errors included.  Pure functions.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#include "ct.h"
#include "ct_priv.h"
#include "pm_hash.h"

#define IPPROTO_ICMP__   1
#define IPPROTO_ICMPV6__ 58

static const char *const reason_names[CT_R_N] = {
#define CT_R_NAME__(e, s) s,
	CT_REASONS(CT_R_NAME__)
#undef CT_R_NAME__
};

const char *
ct_reason_name(enum ct_reason r)
{
	return (unsigned int)r < CT_R_N ? reason_names[r] : "unknown";
}

void
ct_timeouts_default(struct ct_timeouts *t)
{
	static const uint32_t def[CT_TMO_N] = {
		[CT_TMO_TCP_SYN_SENT] = 30,
		[CT_TMO_TCP_SYN_RECV] = 30,
		[CT_TMO_TCP_ESTABLISHED] = 24 * 60 * 60,
		[CT_TMO_TCP_FIN_WAIT] = 15 * 60,
		[CT_TMO_TCP_CLOSE_WAIT] = 15 * 60,
		[CT_TMO_TCP_LAST_ACK] = 15 * 60,
		[CT_TMO_TCP_TIME_WAIT] = 45,
		[CT_TMO_TCP_CLOSE] = 30,
		[CT_TMO_TCP_SYN_SENT2] = 30,
		[CT_TMO_UDP_FIRST] = 60,
		[CT_TMO_UDP_SINGLE] = 60,
		[CT_TMO_UDP_MULTIPLE] = 30,
		[CT_TMO_ICMP_FIRST] = 60,
		[CT_TMO_ICMP_REPLY] = 30,
		[CT_TMO_OTHER_FIRST] = 60,
		[CT_TMO_OTHER_SINGLE] = 60,
		[CT_TMO_OTHER_MULTIPLE] = 30,
	};

	memcpy(t->sec, def, sizeof(def));
}

/*
 * UDP / other:  NONE -orig-> FIRST -orig-> SINGLE;  any state -reply-> MULTIPLE.
 * Original-direction packets are +new until a reply was seen.
 */
struct ct_verdict
ct_udp_update(struct ct_simple_state *st, int dir)
{
	struct ct_verdict v = { CT_V_NEW, CT_R_OK };

	if (dir == CT_DIR_REPLY) {
		st->state = CT_UDP_MULTIPLE;
		v.v = CT_V_EST;
	} else if (st->state == CT_UDP_NONE) {
		st->state = CT_UDP_FIRST;
	} else if (st->state == CT_UDP_FIRST) {
		st->state = CT_UDP_SINGLE;
	} else if (st->state == CT_UDP_MULTIPLE) {
		v.v = CT_V_EST;
	}
	return v;
}

/* ICMP queries: NONE -request-> FIRST -reply dir-> REPLY.  Replies never start one. */
struct ct_verdict
ct_icmp_update(struct ct_simple_state *st, int dir, bool is_reply)
{
	struct ct_verdict v = { CT_V_NEW, CT_R_OK };

	if (st->state == CT_ICMP_NONE) {
		if (dir != CT_DIR_ORIG || is_reply) {
			v.v = CT_V_INV;
			v.reason = CT_R_ICMP_BAD_TYPE;
			return v;
		}
		st->state = CT_ICMP_FIRST;
	} else if (dir == CT_DIR_REPLY) {
		st->state = CT_ICMP_REPLY;
		v.v = CT_V_EST;
	} else if (st->state == CT_ICMP_REPLY) {
		v.v = CT_V_EST;
	}
	return v;
}

/* The timeout of a UDP or other-protocol state: FIRST, SINGLE and MULTIPLE in the order
 * of their timeouts (NONE as FIRST), an index rather than a chain of tests. */
_Static_assert(CT_UDP_NONE == 0 && CT_UDP_FIRST == 1 && CT_UDP_SINGLE == 2 && CT_UDP_MULTIPLE == 3,
               "simple_timeout(): the UDP states");
_Static_assert(CT_TMO_UDP_SINGLE == CT_TMO_UDP_FIRST + 1 &&
                               CT_TMO_UDP_MULTIPLE == CT_TMO_UDP_FIRST + 2 &&
                               CT_TMO_OTHER_SINGLE == CT_TMO_OTHER_FIRST + 1 &&
                               CT_TMO_OTHER_MULTIPLE == CT_TMO_OTHER_FIRST + 2,
               "simple_timeout(): the timeouts in state order");

static inline uint32_t
simple_timeout(const struct ct_simple_state *st, const struct ct_timeouts *t, enum ct_tmo first)
{
	uint32_t s = st->state;

	RTE_ASSERT(s <= CT_UDP_MULTIPLE);
	return t->sec[first + s - (s != CT_UDP_NONE)];
}

uint32_t
ct_udp_timeout(const struct ct_simple_state *st, const struct ct_timeouts *t)
{
	return simple_timeout(st, t, CT_TMO_UDP_FIRST);
}

uint32_t
ct_other_timeout(const struct ct_simple_state *st, const struct ct_timeouts *t)
{
	return simple_timeout(st, t, CT_TMO_OTHER_FIRST);
}

uint32_t
ct_icmp_timeout(const struct ct_simple_state *st, const struct ct_timeouts *t)
{
	return t->sec[st->state == CT_ICMP_REPLY ? CT_TMO_ICMP_REPLY : CT_TMO_ICMP_FIRST];
}

/* ---------------------------------------------------------------------- */
/* Keys.                                                                  */

/*
 * ICMP query types and their counterparts.  Returns the counterpart and sets
 * '*is_reply', or -1 when 'type' is no query type.
 */
static int
icmp_query_peer(uint8_t proto, uint8_t type, bool *is_reply)
{
	if (proto == IPPROTO_ICMPV6__) {
		if (type == 128 || type == 129) { /* echo request / reply */
			*is_reply = type == 129;
			return type == 128 ? 129 : 128;
		}
		return -1;
	}
	switch (type) {
	case 8:  /* echo request <-> echo reply */
	case 13: /* timestamp */
	case 15: /* information */
	case 17: /* address mask */
		*is_reply = false;
		return type == 8 ? 0 : type + 1;
	case 0:
	case 14:
	case 16:
	case 18:
		*is_reply = true;
		return type == 0 ? 8 : type - 1;
	default:
		return -1;
	}
}

static bool
icmp_is_error(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMPV6__)
		return type >= 1 && type <= 4;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

void
ct_key_reverse(const struct ct_key *k, struct ct_key *r)
{
	/* Whole words, as ct_key_words_of() says why. */
	const pm_word_t *w = (const pm_word_t *)k;
	pm_word_t *rw = (pm_word_t *)r;
	uint16_t sport = k->sport, dport = k->dport;

	if (k->proto == IPPROTO_ICMP__ || k->proto == IPPROTO_ICMPV6__) {
		uint16_t tc = rte_be_to_cpu_16(k->dport);
		bool is_reply;
		int peer = icmp_query_peer(k->proto, (uint8_t)(tc >> 8), &is_reply);

		dport = peer < 0 ? k->dport : rte_cpu_to_be_16((uint16_t)(peer << 8 | (tc & 0xff)));
	} else {
		sport = k->dport;
		dport = k->sport;
	}
	rw[0] = w[2];
	rw[1] = w[3];
	rw[2] = w[0];
	rw[3] = w[1];
	/* sport, dport, zone, proto, af: the layout of ct_key_words_of(). */
	rw[4] = ct_key_tail(sport, dport, k->zone, k->proto, k->af);
}

uint32_t
ct_key_hash(const struct ct_key *k)
{
	const pm_word_t *w = (const pm_word_t *)k;
	uint32_t h = pm_crc64(w[0], 0x9e3779b9u);

	/* The five steps written out (ct.h asserts the size): as a loop, which -O2 does not
	 * unroll, its counter and branch cost 21 instructions a packet on ct udp_10k. */
	h = pm_crc64(w[1], h);
	h = pm_crc64(w[2], h);
	h = pm_crc64(w[3], h);
	return pm_crc64(w[4], h);
}

/* Fills the ports of 'key' from the L4 header at 'l4' ('len' bytes) of protocol key->proto. */
static enum ct_reason
key_ports(struct ct_key *key, const uint8_t *l4, uint32_t len, bool *is_err, bool inner)
{
	switch (key->proto) {
	case 6:   /* TCP */
	case 17:  /* UDP */
	case 132: /* SCTP */
	case 136: /* UDP-Lite */
		if (len < (inner ? 4u : (key->proto == 6 ? 20u : 8u)))
			return key->proto == 6 ? CT_R_TCP_TRUNC : CT_R_L4_TRUNC;
		memcpy(&key->sport, l4, 2);
		memcpy(&key->dport, l4 + 2, 2);
		return CT_R_OK;
	case IPPROTO_ICMP__:
	case IPPROTO_ICMPV6__: {
		bool is_reply;
		int peer;

		if (len < 8)
			return CT_R_ICMP_TRUNC;
		if (!inner && icmp_is_error(key->proto, l4[0])) {
			*is_err = true;
			return CT_R_OK;
		}
		peer = icmp_query_peer(key->proto, l4[0], &is_reply);
		if (peer < 0)
			return CT_R_ICMP_BAD_TYPE;
		memcpy(&key->sport, l4 + 4, 2);
		key->dport = rte_cpu_to_be_16((uint16_t)(l4[0] << 8 | l4[1]));
		return CT_R_OK;
	}
	default:
		key->sport = key->dport = 0;
		return CT_R_OK;
	}
}

/*
 * Skips the extension headers of the IPv6 packet quoted in an ICMPv6 error,
 * as nf_conntrack does (ipv6_skip_exthdr()): hop-by-hop, routing,
 * destination options, AH, and a fragment header of a first fragment.
 * Returns the offset of the L4 header and stores its protocol in '*proto',
 * or 0 when the chain is cut short, too long, or the packet is a later
 * fragment (which carries no L4 header).
 */
static uint32_t
ipv6_skip_ext(const uint8_t *ip, uint32_t iplen, uint8_t *proto)
{
	uint32_t off = 40, i;
	uint8_t nh = ip[6];

	for (i = 0; i < 8; i++) {
		uint32_t hl;

		switch (nh) {
		case 0:  /* hop-by-hop */
		case 43: /* routing */
		case 60: /* destination options */
			if (iplen < off + 8)
				return 0;
			hl = ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		case 51: /* AH */
			if (iplen < off + 8)
				return 0;
			hl = ((uint32_t)ip[off + 1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (iplen < off + 8 || ((ip[off + 2] << 8 | ip[off + 3]) & 0xfff8) != 0)
				return 0;
			hl = 8;
			break;
		default:
			*proto = nh;
			return off;
		}
		nh = ip[off];
		off += hl;
	}
	return 0;
}

/* Key of the packet embedded in an ICMP error ('p': ICMP header, 'len' bytes). */
static enum ct_reason
key_embedded(struct ct_key *key, const uint8_t *p, uint32_t len)
{
	const uint8_t *ip = p + 8;
	uint32_t iplen = len - 8, hlen;
	bool dummy = false;

	memset(key->src, 0, sizeof(key->src));
	memset(key->dst, 0, sizeof(key->dst));
	if (key->af == 4) {
		if (iplen < 20 || (ip[0] >> 4) != 4)
			return CT_R_ICMP_TRUNC;
		hlen = (uint32_t)(ip[0] & 0xf) * 4;
		if (hlen < 20 || hlen > iplen)
			return CT_R_ICMP_TRUNC;
		if (((ip[6] << 8 | ip[7]) & 0x1fff) != 0)
			return CT_R_ICMP_TRUNC; /* a later fragment: no L4 header */
		key->proto = ip[9];
		memcpy(key->src, ip + 12, 4);
		memcpy(key->dst, ip + 16, 4);
	} else {
		if (iplen < 40 || (ip[0] >> 4) != 6)
			return CT_R_ICMP_TRUNC;
		hlen = ipv6_skip_ext(ip, iplen, &key->proto);
		if (hlen == 0 || hlen > iplen)
			return CT_R_ICMP_TRUNC;
		memcpy(key->src, ip + 8, 16);
		memcpy(key->dst, ip + 24, 16);
	}
	return key_ports(key, ip + hlen, iplen - hlen, &dummy, true) == CT_R_OK ? CT_R_OK :
	                                                                          CT_R_ICMP_TRUNC;
}

enum ct_reason
ct_key_extract(const struct ct_pkt *pkt, uint16_t zone, struct ct_key *key, bool *icmp_err)
{
	const struct pm_key *pk = pkt->key;
	uint8_t af = ct_af_of(pk);
	enum ct_reason r;

	*icmp_err = false;
	if (ct_key_is_ports(pk, af)) /* TCP, UDP, SCTP, UDP-Lite */
		return ct_key_extract_ports(pkt, zone, af, key);
	memset(key, 0, sizeof(*key));
	key->zone = zone;
	key->proto = pk->nw_proto;
	key->af = af;
	if (af == 4) {
		memcpy(key->src, &pk->nw_src, 4);
		memcpy(key->dst, &pk->nw_dst, 4);
	} else if (af == 6) {
		memcpy(key->src, pk->ipv6_src, 16);
		memcpy(key->dst, pk->ipv6_dst, 16);
	} else {
		return CT_R_NOT_IP;
	}
	if (pk->nw_frag & PM_FRAG_ANY)
		return CT_R_FRAG; /* XXX(#4): no reassembly yet; the caller drops these */
	r = key_ports(key, pkt->l4, pkt->l4_len, icmp_err, false);
	if (r == CT_R_OK && *icmp_err) {
		r = key_embedded(key, pkt->l4, pkt->l4_len);
		/* An error goes back to the sender of the packet it quotes: one addressed
		 * elsewhere relates to nothing (nf_conntrack_inet_error() checks the same). */
		if (r == CT_R_OK &&
		    memcmp(key->src,
		           af == 4 ? (const void *)&pk->nw_dst : (const void *)pk->ipv6_dst,
		           af == 4 ? 4 : 16) != 0)
			r = CT_R_ICMP_NO_CONN;
	}
	return r;
}
