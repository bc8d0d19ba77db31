/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/vxlan (tunnel table, templates, encap and decap
 * stages), no EAL.
 *
 * Reference frames come from pkt_build (scripts/pcapgen): an encapsulated
 * packet must equal the VXLAN frame pb_build() makes from the same
 * description, byte for byte, and pass pb_verify_checksums(); decapsulating
 * a pb_build() VXLAN frame must give pb_build()'s inner frame.  The tunnel
 * table is checked against a linear scan.  Mbufs live over static buffers
 * (tests/common/test_mbuf.h).  With VXLAN_BENCH=1 in the environment,
 * test_vxlan_bench prints cycles per packet of 32-packet bursts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "vxlan.h"
#include "vxlan_priv.h"
#include "pkt_build.h"
#include "test_mbuf.h"

#define BE16(x)     rte_cpu_to_be_16(x)
#define BE32(x)     rte_cpu_to_be_32(x)
#define FRAME_CAP   PB_FRAME_MAX
#define N_MBUFS     VXLAN_BURST_MAX
#define LOCAL_IP    0xc0a80101u /* 192.168.1.1: our VTEP */
#define REMOTE_IP   0xc0a80102u /* 192.168.1.2: the peer */
#define OTHER_IP    0xc0a80103u /* 192.168.1.3: another peer */
#define TEST_VNI    0x123456u
#define TEST_OFPORT 7
#define SPORT_OFF   34 /* outer UDP source port in an encapsulated frame */

static struct test_mbuf mbufs[N_MBUFS + 1];
static uint8_t frame_a[FRAME_CAP], frame_b[FRAME_CAP];
static uint8_t pattern[FRAME_CAP];

/* ---------------------------------------------------------------- helpers */

static void *
tst_zalloc(void *arg, size_t size, size_t align)
{
	size_t rounded = (size + align - 1) / align * align;
	void *p = aligned_alloc(align, rounded);

	if (arg != NULL)
		(*(int *)arg)++;
	if (p != NULL)
		memset(p, 0, rounded);
	return p;
}

static void
tst_free(void *arg, void *p)
{
	if (arg != NULL)
		(*(int *)arg)--;
	free(p);
}

static void *
failing_zalloc(void *arg, size_t size, size_t align)
{
	(void)arg;
	(void)size;
	(void)align;
	return NULL;
}

static const struct vxlan_alloc test_alloc = { tst_zalloc, tst_free, NULL };

static void
fill_pattern(void)
{
	size_t i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
}

/* Inner frame kinds the encap/decap tests iterate over. */
enum inner_kind { INNER_UDP4, INNER_TCP4, INNER_UDP6, INNER_ARP, INNER_VLAN_UDP4, INNER_N };

/* An inner flow of kind 'k' with 'payload_len' bytes of payload, TOS 'tos', TTL 'ttl'. */
static void
inner_flow(struct pb_flow *f, enum inner_kind k, size_t payload_len, uint8_t tos, uint8_t ttl)
{
	pb_flow_init(f);
	f->tos = tos;
	f->ttl = ttl;
	f->payload = pattern;
	f->payload_len = payload_len;
	switch (k) {
	case INNER_UDP4:
		break;
	case INNER_TCP4:
		f->proto = PB_IPPROTO_TCP;
		break;
	case INNER_UDP6:
		f->l3 = PB_L3_IPV6;
		break;
	case INNER_ARP:
		f->l3 = PB_L3_ARP;
		f->payload = NULL;
		f->payload_len = 0;
		break;
	case INNER_VLAN_UDP4:
		f->n_vlans = 1;
		f->vlan_tpid[0] = PB_ETH_VLAN;
		f->vlan_tci[0] = 0x2064;
		break;
	default:
		fail();
	}
}

static void
default_params(struct vxlan_tmpl_params *p)
{
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0xaa, 0x01 };
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0xbb, 0x02 };

	vxlan_tmpl_params_init(p);
	memcpy(p->src_mac, smac, 6);
	memcpy(p->dst_mac, dmac, 6);
	p->src_ip = BE32(LOCAL_IP);
	p->dst_ip = BE32(REMOTE_IP);
	p->vni = TEST_VNI;
}

/*
 * The VXLAN frame pb_build() makes for 'p' around 'inner', with outer source
 * port 'sport', TOS 'tos', TTL 'ttl' and IPv4 id 'ip_id'.  @return its length.
 */
static size_t
ref_outer(const struct vxlan_tmpl_params *p, const struct pb_flow *inner, uint16_t sport,
          uint8_t tos, uint8_t ttl, uint16_t ip_id, uint8_t *buf)
{
	struct pb_flow o;
	size_t len;

	pb_flow_init(&o);
	memcpy(o.dst_mac, p->dst_mac, 6);
	memcpy(o.src_mac, p->src_mac, 6);
	o.src_ip4 = rte_be_to_cpu_32(p->src_ip);
	o.dst_ip4 = rte_be_to_cpu_32(p->dst_ip);
	o.proto = PB_IPPROTO_UDP;
	o.sport = sport;
	o.dport = p->dst_port;
	o.tos = tos;
	o.ttl = ttl;
	o.ip_id = ip_id;
	o.ip_frag = p->df ? PB_IP_DF : 0;
	o.vxlan = true;
	o.vni = p->vni;
	o.inner = inner;
	o.csum = p->csum ? 0 : PB_CSUM_UDP_NONE;
	len = pb_build(&o, buf, FRAME_CAP, 0);
	assert_true(len > VXLAN_ENCAP_LEN);
	return len;
}

/* Loads the frame 'inner' describes into mbufs[i]; @return the mbuf. */
static struct rte_mbuf *
load_inner(unsigned int i, const struct pb_flow *inner)
{
	size_t len = pb_build(inner, frame_b, FRAME_CAP, 0);

	assert_true(len >= 14);
	return test_mbuf_init(&mbufs[i], frame_b, (uint16_t)len);
}

/* Copies the whole packet of 'm' (any number of segments) to 'buf'; @return its length. */
static size_t
linearize(const struct rte_mbuf *m, uint8_t *buf)
{
	size_t len = 0;

	for (; m != NULL; m = m->next) {
		memcpy(buf + len, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		len += m->data_len;
	}
	return len;
}

static void
assert_bytes_equal(const uint8_t *got, const uint8_t *exp, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (got[i] != exp[i]) {
			print_error("byte %zu: got %02x, expected %02x\n", i, got[i], exp[i]);
			fail();
		}
	}
}

/* The source port vxlan_encap_burst() must pick for 'hash' in [min, max]. */
static uint16_t
expected_sport(uint16_t min, uint16_t max, uint32_t hash)
{
	return (uint16_t)(min + hash % ((uint32_t)max - min + 1));
}

static uint16_t
frame_sport(const uint8_t *f)
{
	return (uint16_t)(f[SPORT_OFF] << 8 | f[SPORT_OFF + 1]);
}

/*
 * The source port hash the stage takes from an inner frame of 'len' bytes
 * when it is given none (vxlan.h), written with DPDK's rte_hash_crc():
 * CRC32-C seeded 0x5a5a5a5a over the MACs, then (after one VLAN tag, not
 * hashed) the IPv4 addresses and, for an unfragmented TCP, UDP or SCTP
 * packet, its ports with the protocol XOR-ed into the running hash; or the
 * IPv6 addresses.  0 for a frame shorter than 18 bytes.
 */
static uint32_t
ref_inner_hash(const uint8_t *f, size_t len)
{
	size_t l2 = 14;
	uint16_t et;
	uint32_t h;

	if (len < 18)
		return 0;
	h = rte_hash_crc(f, 12, 0x5a5a5a5a);
	et = (uint16_t)(f[12] << 8 | f[13]);
	if (et == 0x8100 || et == 0x88a8) {
		et = (uint16_t)(f[16] << 8 | f[17]);
		l2 = 18;
	}
	if (et == 0x0800 && len >= l2 + 20) {
		const uint8_t *ip = f + l2;
		size_t ihl = (size_t)(ip[0] & 0xf) * 4;
		uint32_t ports;

		h = rte_hash_crc(ip + 12, 8, h);
		if ((ip[9] == 6 || ip[9] == 17 || ip[9] == 132) && ihl >= 20 &&
		    len >= l2 + ihl + 4 && ((ip[6] << 8 | ip[7]) & 0x1fff) == 0) {
			memcpy(&ports, ip + ihl, 4);
			h = rte_hash_crc_4byte(ports, h ^ ip[9]);
		}
	} else if (et == 0x86dd && len >= l2 + 40) {
		h = rte_hash_crc(f + l2 + 8, 32, h);
	}
	return h;
}

/*
 * Encapsulates one mbuf with 't' and '*hash', or with no hashes when 'hash'
 * is NULL (the port then comes from ref_inner_hash() of the inner frame);
 * checks that it is accepted and that it equals the reference 'exp' except
 * the source port (when !cmp_sport), which must be expected_sport().
 * Checksums are verified.
 */
static void
check_encap__(struct vxlan_encap_ctx *ctx, struct rte_mbuf *m, const struct vxlan_tmpl *t,
              const struct vxlan_tmpl_params *p, const uint32_t *hash, uint8_t *exp, size_t exp_len)
{
	const struct vxlan_tmpl *tmpls[1] = { t };
	static uint8_t got[FRAME_CAP];
	uint32_t h = hash != NULL ? *hash :
	                            ref_inner_hash(rte_pktmbuf_mtod(m, const uint8_t *),
	                                           m->data_len);
	uint16_t sport = expected_sport(p->src_port_min, p->src_port_max, h);
	size_t len;

	assert_int_equal(vxlan_encap_burst(ctx, &m, 1, tmpls, hash), 1);
	len = linearize(m, got);
	assert_int_equal(len, exp_len);
	assert_int_equal(m->pkt_len, exp_len);
	assert_int_equal(frame_sport(got), sport);
	assert_true(sport >= p->src_port_min && sport <= p->src_port_max);
	if (!p->csum) {
		/* The reference was built with another source port: compare the rest. */
		exp[SPORT_OFF] = got[SPORT_OFF];
		exp[SPORT_OFF + 1] = got[SPORT_OFF + 1];
	}
	assert_bytes_equal(got, exp, len);
	assert_int_equal(pb_verify_checksums(got, len), 0);
	assert_int_equal(pb_verify_checksums(got + VXLAN_ENCAP_LEN, len - VXLAN_ENCAP_LEN), 0);
}

static void
check_encap_one(struct vxlan_encap_ctx *ctx, struct rte_mbuf *m, const struct vxlan_tmpl *t,
                const struct vxlan_tmpl_params *p, uint32_t hash, uint8_t *exp, size_t exp_len)
{
	check_encap__(ctx, m, t, p, &hash, exp, exp_len);
}

static struct vxlan_tunnels *
one_tunnel_table(void)
{
	struct vxlan_tunnel_params tp = {
		.local_ip = BE32(LOCAL_IP),
		.remote_ip = BE32(REMOTE_IP),
		.vni = TEST_VNI,
		.ofport = TEST_OFPORT,
	};
	struct vxlan_tunnels *t = vxlan_tunnels_build(&tp, 1, &test_alloc);

	assert_non_null(t);
	return t;
}

/* A pb_flow for a VXLAN frame REMOTE_IP -> LOCAL_IP with 'vni' around 'inner'. */
static void
rx_outer_flow(struct pb_flow *o, const struct pb_flow *inner, uint32_t vni)
{
	pb_flow_init(o);
	o->src_ip4 = REMOTE_IP;
	o->dst_ip4 = LOCAL_IP;
	o->proto = PB_IPPROTO_UDP;
	o->sport = 50000;
	o->dport = PB_VXLAN_PORT;
	o->ip_frag = PB_IP_DF;
	o->vxlan = true;
	o->vni = vni;
	o->inner = inner;
}

/* ------------------------------------------------------------ templates */

static void
test_vxlan_tmpl_build_bytes(void **state)
{
	static const uint8_t exp[VXLAN_ENCAP_LEN] = {
		/* Ethernet: next hop, our MAC, IPv4 */
		0x02, 0x00, 0x00, 0x00, 0xbb, 0x02, 0x02, 0x00, 0x00, 0x00, 0xaa, 0x01, 0x08, 0x00,
		/* IPv4: 45, tos 0, len 0, id 0, DF, ttl 64, UDP, csum 0, addresses */
		0x45, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8,
		0x01, 0x01, 0xc0, 0xa8, 0x01, 0x02,
		/* UDP: sport 0, dport 4789, len 0, csum 0 */
		0x00, 0x00, 0x12, 0xb5, 0x00, 0x00, 0x00, 0x00,
		/* VXLAN: I flag, VNI 0x123456 */
		0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00
	};
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;

	(void)state;
	default_params(&p);
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	assert_bytes_equal(t.hdr, exp, sizeof(exp));
	/* Sum of the IPv4 header's 16-bit words with the per-packet fields at 0. */
	assert_int_equal(t.ip_sum, 0x4500 + 0x4000 + 0x4011 + 0xc0a8 + 0x0101 + 0xc0a8 + 0x0102);
	assert_int_equal(t.flags, VXLAN_TMPL_DF);
	assert_int_equal(t.src_port_min, 49152);
	assert_int_equal(t.src_port_n, 16384);

	/* Options: tos 0x28, ttl 9, df off, csum on, port 8472, VNI 0xffffff. */
	p.tos = 0x28;
	p.ttl = 9;
	p.df = false;
	p.csum = true;
	p.dst_port = 8472;
	p.vni = VXLAN_VNI_MAX;
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	assert_int_equal(t.hdr[15], 0x28);
	assert_int_equal(t.hdr[20], 0x00);
	assert_int_equal(t.hdr[22], 9);
	assert_int_equal(t.hdr[36] << 8 | t.hdr[37], 8472);
	assert_int_equal(t.hdr[46] << 16 | t.hdr[47] << 8 | t.hdr[48], 0xffffff);
	assert_int_equal(t.hdr[49], 0);
	assert_int_equal(t.flags, VXLAN_TMPL_CSUM);

	/* Inherited TOS/TTL are 0 in the template (added per packet). */
	p.tos_inherit = true;
	p.ttl_inherit = true;
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	assert_int_equal(t.hdr[15], 0);
	assert_int_equal(t.hdr[22], 0);
	assert_int_equal(t.flags,
	                 VXLAN_TMPL_CSUM | VXLAN_TMPL_TOS_INHERIT | VXLAN_TMPL_TTL_INHERIT);
	assert_int_equal(t.ttl, 9);
}

static void
test_vxlan_tmpl_build_rejects_bad_params(void **state)
{
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;

	(void)state;
	default_params(&p);
	assert_int_equal(vxlan_tmpl_build(NULL, &t), -EINVAL);
	assert_int_equal(vxlan_tmpl_build(&p, NULL), -EINVAL);
	p.vni = VXLAN_VNI_MAX + 1;
	assert_int_equal(vxlan_tmpl_build(&p, &t), -EINVAL);
	default_params(&p);
	p.src_port_min = 2000;
	p.src_port_max = 1999;
	assert_int_equal(vxlan_tmpl_build(&p, &t), -EINVAL);
	default_params(&p);
	p.src_ip = 0;
	assert_int_equal(vxlan_tmpl_build(&p, &t), -EINVAL);
	default_params(&p);
	p.dst_ip = 0;
	assert_int_equal(vxlan_tmpl_build(&p, &t), -EINVAL);
	default_params(&p);
	p.dst_port = 0;
	assert_int_equal(vxlan_tmpl_build(&p, &t), -EINVAL);
	default_params(&p);
	p.src_port_min = p.src_port_max = 7;
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
}

/* ---------------------------------------------------------------- encap */

static void
test_vxlan_encap_matches_pb_build(void **state)
{
	static const size_t sizes[] = { 0, 1, 18, 200, 1000, 1400 };
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	uint64_t inner_bytes = 0;
	unsigned int k, s;

	(void)state;
	default_params(&p);
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	for (k = 0; k < INNER_N; k++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			uint32_t hash = 0x9e3779b9u * (k * 8 + s + 1);
			struct pb_flow in;
			struct rte_mbuf *m;
			size_t exp_len;
			/* Default tos 0: ECN (here ECT(1)) comes from IP inner frames. */
			uint8_t tos = (k == INNER_ARP) ? 0 : 0x01;

			inner_flow(&in, k, sizes[s], 0x01, 33);
			/* Parsed VLAN frame: l2_len 18; TCP: an inner checksum offload request. */
			bool offl = k == INNER_TCP4;

			m = load_inner(0, &in);
			inner_bytes += m->pkt_len;
			m->l2_len = k == INNER_VLAN_UDP4 ? 18 : 0;
			m->l3_len = 20;
			m->ol_flags = offl ? RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM : 0;
			exp_len = ref_outer(&p, &in, 0, tos, 64, 0, frame_a);
			check_encap_one(&ctx, m, &t, &p, hash, frame_a, exp_len);
			assert_int_equal(m->outer_l2_len, 14);
			assert_int_equal(m->outer_l3_len, 20);
			assert_int_equal(m->l2_len, k == INNER_VLAN_UDP4 ? 34 : 30);
			assert_int_equal(m->l3_len, 20);
			assert_int_equal(m->ol_flags & (RTE_MBUF_F_TX_TUNNEL_MASK |
			                                RTE_MBUF_F_TX_OUTER_IPV4),
			                 offl ? RTE_MBUF_F_TX_TUNNEL_VXLAN |
			                                                 RTE_MBUF_F_TX_OUTER_IPV4 :
			                        0);
			assert_int_equal(m->packet_type, RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 |
			                                                 RTE_PTYPE_L4_UDP |
			                                                 RTE_PTYPE_TUNNEL_VXLAN);
		}
	}
	assert_int_equal(ctx.n_encap, INNER_N * sizeof(sizes) / sizeof(sizes[0]));
	assert_int_equal(ctx.n_bytes, inner_bytes);
}

static void
test_vxlan_encap_src_port_from_hash(void **state)
{
	static const uint16_t ranges[][2] = {
		{ 49152, 65535 }, { 1000, 1009 }, { 7, 7 }, { 0, 65535 }, { 60000, 60002 },
	};
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	unsigned int r, i;
	struct pb_flow in;

	(void)state;
	inner_flow(&in, INNER_UDP4, 10, 0, 64);
	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		default_params(&p);
		p.src_port_min = ranges[r][0];
		p.src_port_max = ranges[r][1];
		assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
		for (i = 0; i < 200; i++) {
			uint32_t hash = i * 0x01000193u ^ (i << 27);
			const struct vxlan_tmpl *tmpls[1] = { &t };
			struct rte_mbuf *m = load_inner(0, &in);
			uint16_t port;

			assert_int_equal(vxlan_encap_burst(&ctx, &m, 1, tmpls, &hash), 1);
			port = frame_sport(rte_pktmbuf_mtod(m, const uint8_t *));
			assert_true(port >= ranges[r][0] && port <= ranges[r][1]);
			assert_int_equal(port, expected_sport(ranges[r][0], ranges[r][1], hash));
		}
	}
}

/* The outer source port of 'in' encapsulated with 't' and no hashes. */
static uint16_t
sport_of_inner(struct vxlan_encap_ctx *ctx, const struct vxlan_tmpl *t, const struct pb_flow *in)
{
	const struct vxlan_tmpl *tmpls[1] = { t };
	struct rte_mbuf *m = load_inner(0, in);

	assert_int_equal(vxlan_encap_burst(ctx, &m, 1, tmpls, NULL), 1);
	return frame_sport(rte_pktmbuf_mtod(m, const uint8_t *));
}

/*
 * Without a hashes array, a frame with an RSS hash (RTE_MBUF_F_RX_RSS_HASH: a NIC's,
 * or the flow hash sluice's ct() stored there) takes its source port from it, a
 * frame without from its inner headers; an array wins over both.  Decapsulation
 * drops the flag: the hash was of the outer headers.
 */
static void
test_vxlan_encap_src_port_from_rss_hash(void **state)
{
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	struct vxlan_decap_ctx dctx = { .check_ip_csum = true };
	struct vxlan_tunnel_params tp = {
		.local_ip = BE32(REMOTE_IP),
		.remote_ip = BE32(LOCAL_IP),
		.vni = TEST_VNI,
		.ofport = 9,
	};
	struct vxlan_tunnels *tun = vxlan_tunnels_build(&tp, 1, &test_alloc);
	const struct vxlan_tmpl *tmpls[1];
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	struct rte_mbuf *m;
	struct vxlan_md md;
	struct pb_flow in;
	uint32_t h, arr = 777;
	size_t len;

	(void)state;
	default_params(&p);
	p.src_port_min = 50000;
	p.src_port_max = 50009; /* not a power of 2: hash % 10 */
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	tmpls[0] = &t;
	inner_flow(&in, INNER_UDP4, 40, 0, 64);
	for (h = 1; h < 40; h += 3) {
		m = load_inner(0, &in);
		m->hash.rss = h * 2654435761u;
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		assert_int_equal(vxlan_encap_burst(&ctx, &m, 1, tmpls, NULL), 1);
		assert_int_equal(frame_sport(rte_pktmbuf_mtod(m, const uint8_t *)),
		                 expected_sport(50000, 50009, h * 2654435761u));
		/* The one-template form alike. */
		m = load_inner(0, &in);
		m->hash.rss = h * 2654435761u;
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
		assert_int_equal(vxlan_encap_burst_tmpl(&ctx, &m, 1, &t, NULL), 1);
		assert_int_equal(frame_sport(rte_pktmbuf_mtod(m, const uint8_t *)),
		                 expected_sport(50000, 50009, h * 2654435761u));
	}
	/* A hash without the flag is not one. */
	m = load_inner(0, &in);
	len = m->pkt_len;
	m->hash.rss = 3;
	assert_int_equal(vxlan_encap_burst(&ctx, &m, 1, tmpls, NULL), 1);
	assert_int_equal(frame_sport(rte_pktmbuf_mtod(m, const uint8_t *)),
	                 expected_sport(50000, 50009, ref_inner_hash(frame_b, len)));
	/* The array first. */
	m = load_inner(0, &in);
	m->hash.rss = 3;
	m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	assert_int_equal(vxlan_encap_burst(&ctx, &m, 1, tmpls, &arr), 1);
	assert_int_equal(frame_sport(rte_pktmbuf_mtod(m, const uint8_t *)),
	                 expected_sport(50000, 50009, arr));
	/* Decapsulated, the frame has no RSS hash any more. */
	assert_non_null(tun);
	assert_int_equal(vxlan_decap_burst(&dctx, tun, &m, 1, &md), 1);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_RX_RSS_HASH, 0);
	vxlan_tunnels_free(tun);
}

/*
 * Without hashes the source port comes from the inner headers (RFC 7348
 * section 5): one inner flow keeps one port (a VLAN tag does not move it),
 * other L4 ports spread over the range, a later IPv4 fragment (no L4 header)
 * is hashed without ports, and every port is the one ref_inner_hash() says.
 */
static void
test_vxlan_encap_src_port_from_inner(void **state)
{
	static const enum inner_kind kinds[] = { INNER_UDP4, INNER_TCP4, INNER_UDP6, INNER_ARP,
		                                 INNER_VLAN_UDP4 };
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	struct pb_flow in;
	bool seen[16384] = { false };
	unsigned int i, n_distinct = 0;
	uint16_t port, untagged;
	size_t len;

	(void)state;
	default_params(&p);
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		inner_flow(&in, kinds[i], 40, 0, 64);
		len = pb_build(&in, frame_b, FRAME_CAP, 0);
		port = sport_of_inner(&ctx, &t, &in);
		assert_int_equal(port, expected_sport(p.src_port_min, p.src_port_max,
		                                      ref_inner_hash(frame_b, len)));
		assert_int_equal(sport_of_inner(&ctx, &t, &in), port); /* the same flow again */
	}

	inner_flow(&in, INNER_UDP4, 40, 0, 64);
	untagged = sport_of_inner(&ctx, &t, &in);
	inner_flow(&in, INNER_VLAN_UDP4, 40, 0, 64);
	assert_int_equal(sport_of_inner(&ctx, &t, &in), untagged);

	/* 20 source ports of one address pair: at least 15 outer ports (16,384 to pick). */
	for (i = 0; i < 20; i++) {
		inner_flow(&in, INNER_UDP4, 40, 0, 64);
		in.sport = (uint16_t)(10000 + i);
		port = sport_of_inner(&ctx, &t, &in);
		assert_true(port >= 49152);
		n_distinct += !seen[port - 49152];
		seen[port - 49152] = true;
	}
	assert_true(n_distinct >= 15);

	/* Later fragments carry no L4 header: their bytes there are not hashed. */
	inner_flow(&in, INNER_UDP4, 40, 0, 64);
	in.ip_frag = 100; /* offset 800 */
	in.sport = 1;
	port = sport_of_inner(&ctx, &t, &in);
	in.sport = 2;
	assert_int_equal(sport_of_inner(&ctx, &t, &in), port);
	len = pb_build(&in, frame_b, FRAME_CAP, 0);
	assert_int_equal(port, expected_sport(p.src_port_min, p.src_port_max,
	                                      ref_inner_hash(frame_b, len)));
	assert_int_equal(ctx.n_encap, 2 * 5 + 2 + 20 + 2);
}

static void
test_vxlan_encap_csum_on(void **state)
{
	struct vxlan_encap_ctx ctx = { .mtu = 9000 };
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	struct rte_mbuf *m, *tail;
	struct pb_flow in;
	size_t len, exp_len, cut;
	uint32_t hash = 12345;
	uint16_t sport;

	(void)state;
	default_params(&p);
	p.csum = true;
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	sport = expected_sport(p.src_port_min, p.src_port_max, hash);

	/* One segment: the whole frame, UDP checksum included, equals pb_build's. */
	inner_flow(&in, INNER_TCP4, 301, 0, 64);
	m = load_inner(0, &in);
	exp_len = ref_outer(&p, &in, sport, 0, 64, 0, frame_a);
	assert_int_not_equal(frame_a[40] << 8 | frame_a[41], 0);
	check_encap_one(&ctx, m, &t, &p, hash, frame_a, exp_len);

	/* Two segments, split at an odd offset. */
	inner_flow(&in, INNER_UDP4, 1001, 0, 64);
	len = pb_build(&in, frame_b, FRAME_CAP, 0);
	cut = 77;
	m = test_mbuf_init(&mbufs[0], frame_b, (uint16_t)cut);
	tail = test_mbuf_init(&mbufs[1], frame_b + cut, (uint16_t)(len - cut));
	test_mbuf_chain(m, tail);
	exp_len = ref_outer(&p, &in, sport, 0, 64, 0, frame_a);
	check_encap_one(&ctx, m, &t, &p, hash, frame_a, exp_len);
	assert_int_equal(m->nb_segs, 2);
	assert_int_equal(tail->data_len, len - cut);
}

static void
test_vxlan_encap_tos_ttl_inherit(void **state)
{
	static const struct {
		enum inner_kind kind;
		uint8_t in_tos, in_ttl; /* inner */
		bool tos_inherit, ttl_inherit;
		uint8_t cfg_tos, cfg_ttl;
		uint8_t out_tos, out_ttl; /* expected outer */
	} cases[] = {
		/* Defaults: DSCP from config (0), ECN from the inner packet, TTL 64. */
		{ INNER_UDP4, 0xb9, 17, false, false, 0, 64, 0x01, 64 },
		/* CE is sent as ECT(0) (OVS tnl_port_send()). */
		{ INNER_UDP4, 0xbb, 17, false, false, 0, 64, 0x02, 64 },
		{ INNER_UDP4, 0xba, 17, false, false, 0x20, 64, 0x22, 64 },
		/* Configured ECN bits are OR-ed with the inner's. */
		{ INNER_UDP4, 0x01, 17, false, false, 0x22, 64, 0x23, 64 },
		{ INNER_UDP4, 0xb9, 17, true, true, 0, 64, 0xb9, 17 },
		{ INNER_UDP4, 0xbb, 1, true, true, 0, 64, 0xba, 1 },
		{ INNER_TCP4, 0x48, 255, true, false, 0, 30, 0x48, 30 },
		{ INNER_UDP4, 0x48, 0, false, true, 0x10, 30, 0x10, 0 },
		{ INNER_UDP6, 0x79, 5, true, true, 0, 64, 0x79, 5 },
		{ INNER_UDP6, 0x7b, 5, false, false, 0x04, 64, 0x06, 64 },
		{ INNER_VLAN_UDP4, 0xe1, 99, true, true, 0, 64, 0xe1, 99 },
		/* Non-IP: nothing to inherit; TTL from the config. */
		{ INNER_ARP, 0, 0, true, true, 0x10, 42, 0x00, 42 },
		{ INNER_ARP, 0, 0, false, false, 0x10, 42, 0x10, 42 },
	};
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vxlan_tmpl_params p;
		struct vxlan_tmpl t;
		struct pb_flow in;
		struct rte_mbuf *m;
		size_t exp_len;

		default_params(&p);
		p.tos = cases[i].cfg_tos;
		p.ttl = cases[i].cfg_ttl;
		p.tos_inherit = cases[i].tos_inherit;
		p.ttl_inherit = cases[i].ttl_inherit;
		assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
		inner_flow(&in, cases[i].kind, 40, cases[i].in_tos, cases[i].in_ttl);
		m = load_inner(0, &in);
		exp_len = ref_outer(&p, &in, 0, cases[i].out_tos, cases[i].out_ttl, 0, frame_a);
		check_encap_one(&ctx, m, &t, &p, i, frame_a, exp_len);
		/* Without hashes: the same TOS and TTL from the walk that hashes the inner frame.
		 */
		m = load_inner(0, &in);
		exp_len = ref_outer(&p, &in, 0, cases[i].out_tos, cases[i].out_ttl, 0, frame_a);
		check_encap__(&ctx, m, &t, &p, NULL, frame_a, exp_len);
	}
}

static void
test_vxlan_encap_df(void **state)
{
	struct vxlan_encap_ctx ctx = { .mtu = 1500, .ip_id = 0xfffe };
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	struct pb_flow in;
	struct rte_mbuf *m;
	unsigned int i;
	size_t exp_len;

	(void)state;
	inner_flow(&in, INNER_UDP4, 64, 0, 64);
	default_params(&p);
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	m = load_inner(0, &in);
	exp_len = ref_outer(&p, &in, 0, 0, 64, 0, frame_a);
	check_encap_one(&ctx, m, &t, &p, 1, frame_a, exp_len);
	assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[20], 0x40);
	assert_int_equal(ctx.ip_id, 0xfffe); /* DF: the id stays 0 */

	/* df off: no DF bit, and consecutive ids (wrapping), checksum patched for each. */
	p.df = false;
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	for (i = 0; i < 4; i++) {
		uint16_t id = (uint16_t)(0xfffe + i);

		m = load_inner(0, &in);
		exp_len = ref_outer(&p, &in, 0, 0, 64, id, frame_a);
		check_encap_one(&ctx, m, &t, &p, 1, frame_a, exp_len);
		assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[20] & 0x40, 0);
	}
	assert_int_equal(ctx.ip_id, 2);
}

static void
test_vxlan_encap_too_big(void **state)
{
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	const struct vxlan_tmpl *tmpls[3];
	uint32_t hashes[3] = { 1, 2, 3 };
	struct rte_mbuf *pkts[3], *orig[3];
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	struct pb_flow in;
	unsigned int i;

	(void)state;
	default_params(&p);
	p.df = false; /* too_big whatever DF says */
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	/* Inner frames of 1465, 1464 and 1465 bytes: outer IP 1501, 1500, 1501. */
	for (i = 0; i < 3; i++) {
		size_t len = i == 1 ? 1464 : 1465;

		inner_flow(&in, INNER_UDP4, len - 42, 0, 64);
		orig[i] = pkts[i] = load_inner(i, &in);
		assert_int_equal(pkts[i]->pkt_len, len);
		tmpls[i] = &t;
	}
	assert_int_equal(vxlan_encap_burst(&ctx, pkts, 3, tmpls, hashes), 1);
	assert_ptr_equal(pkts[0], orig[1]);
	assert_ptr_equal(pkts[1], orig[0]);
	assert_ptr_equal(pkts[2], orig[2]);
	assert_int_equal(pkts[0]->pkt_len, 1514);
	assert_int_equal(pkts[1]->pkt_len, 1465);
	assert_int_equal(pkts[1]->data_off, RTE_PKTMBUF_HEADROOM);
	assert_int_equal(ctx.n_drop[VXLAN_ENCAP_DROP_TOO_BIG], 2);
	assert_int_equal(ctx.n_encap, 1);
	assert_int_equal(ctx.n_bytes, 1464); /* the encapsulated frame's, as it came */

	/* A smaller underlay MTU. */
	ctx.mtu = 1000;
	inner_flow(&in, INNER_UDP4, 964 - 42, 0, 64); /* outer IP 1000 */
	pkts[0] = load_inner(0, &in);
	assert_int_equal(vxlan_encap_burst(&ctx, pkts, 1, tmpls, hashes), 1);
	pkts[0] = load_inner(0, &in);
	ctx.mtu = 999;
	assert_int_equal(vxlan_encap_burst(&ctx, pkts, 1, tmpls, hashes), 0);
	assert_int_equal(ctx.n_drop[VXLAN_ENCAP_DROP_TOO_BIG], 3);
}

static void
test_vxlan_encap_no_headroom(void **state)
{
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	const struct vxlan_tmpl *tmpls[2];
	uint32_t hashes[2] = { 5, 6 };
	struct rte_mbuf *pkts[2], *m0, *m1;
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	struct pb_flow in;
	size_t len;

	(void)state;
	default_params(&p);
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	inner_flow(&in, INNER_UDP4, 20, 0, 64);
	len = pb_build(&in, frame_b, FRAME_CAP, 0);
	/* m0 has 49 bytes of headroom, m1 exactly 50. */
	m0 = test_mbuf_init(&mbufs[0], NULL, 0);
	m0->data_off = VXLAN_ENCAP_LEN - 1;
	memcpy(rte_pktmbuf_mtod(m0, uint8_t *), frame_b, len);
	m0->data_len = (uint16_t)len;
	m0->pkt_len = (uint32_t)len;
	memset(mbufs[0].buf, 0xee, VXLAN_ENCAP_LEN - 1);
	m1 = test_mbuf_init(&mbufs[1], NULL, 0);
	m1->data_off = VXLAN_ENCAP_LEN;
	memcpy(rte_pktmbuf_mtod(m1, uint8_t *), frame_b, len);
	m1->data_len = (uint16_t)len;
	m1->pkt_len = (uint32_t)len;
	pkts[0] = m0;
	pkts[1] = m1;
	tmpls[0] = tmpls[1] = &t;
	assert_int_equal(vxlan_encap_burst(&ctx, pkts, 2, tmpls, hashes), 1);
	assert_ptr_equal(pkts[0], m1);
	assert_ptr_equal(pkts[1], m0);
	assert_int_equal(ctx.n_drop[VXLAN_ENCAP_DROP_NO_HEADROOM], 1);
	/* The reject is untouched: offsets, lengths, headroom and data. */
	assert_int_equal(m0->data_off, VXLAN_ENCAP_LEN - 1);
	assert_int_equal(m0->data_len, len);
	assert_int_equal(m0->pkt_len, len);
	assert_memory_equal(rte_pktmbuf_mtod(m0, uint8_t *), frame_b, len);
	for (size_t i = 0; i < VXLAN_ENCAP_LEN - 1; i++)
		assert_int_equal(mbufs[0].buf[i], 0xee);
	assert_int_equal(m1->data_off, 0);
	assert_int_equal(m1->pkt_len, len + VXLAN_ENCAP_LEN);
	assert_int_equal(pb_verify_checksums(rte_pktmbuf_mtod(m1, uint8_t *), m1->pkt_len), 0);
}

static void
test_vxlan_encap_shared_and_no_template(void **state)
{
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	const struct vxlan_tmpl *tmpls[3];
	uint32_t hashes[3] = { 0, 0, 0 };
	struct rte_mbuf *pkts[3], *orig[3];
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	struct pb_flow in;
	unsigned int i;

	(void)state;
	default_params(&p);
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	inner_flow(&in, INNER_UDP4, 20, 0, 64);
	for (i = 0; i < 3; i++) {
		orig[i] = pkts[i] = load_inner(i, &in);
		tmpls[i] = &t;
	}
	rte_mbuf_refcnt_set(pkts[0], 2); /* also held elsewhere (flooding) */
	tmpls[1] = NULL;                 /* next hop not resolved */
	assert_int_equal(vxlan_encap_burst(&ctx, pkts, 3, tmpls, hashes), 1);
	assert_ptr_equal(pkts[0], orig[2]);
	assert_ptr_equal(pkts[1], orig[0]);
	assert_ptr_equal(pkts[2], orig[1]);
	assert_int_equal(ctx.n_drop[VXLAN_ENCAP_DROP_SHARED], 1);
	assert_int_equal(ctx.n_drop[VXLAN_ENCAP_DROP_NO_TMPL], 1);
	assert_int_equal(orig[0]->data_off, RTE_PKTMBUF_HEADROOM);
	assert_int_equal(orig[1]->data_off, RTE_PKTMBUF_HEADROOM);
	rte_mbuf_refcnt_set(orig[0], 1);
}

/* Runs a burst of 'n' where packet i uses template i % 3 and is dropped when drop(i). */
static void
encap_burst_case(uint16_t n, bool (*drop)(unsigned int))
{
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };
	const struct vxlan_tmpl *tmpls[VXLAN_BURST_MAX];
	struct rte_mbuf *pkts[VXLAN_BURST_MAX], *orig[VXLAN_BURST_MAX];
	uint32_t hashes[VXLAN_BURST_MAX];
	struct vxlan_tmpl_params p[3];
	struct vxlan_tmpl t[3];
	unsigned int i, n_exp = 0;

	for (i = 0; i < 3; i++) {
		default_params(&p[i]);
		p[i].vni = 100 + i;
		/* Different port ranges, so that a stale template cache would show. */
		p[i].src_port_min = (uint16_t)(1000 * (i + 1));
		p[i].src_port_max = (uint16_t)(1000 * (i + 1) + 8 + i);
		assert_int_equal(vxlan_tmpl_build(&p[i], &t[i]), 0);
	}
	for (i = 0; i < n; i++) {
		struct pb_flow in;

		inner_flow(&in, INNER_UDP4, i, 0, 64);
		in.sport = (uint16_t)(1000 + i);
		orig[i] = pkts[i] = load_inner(i, &in);
		tmpls[i] = &t[i % 3];
		hashes[i] = i * 2654435761u;
		if (drop(i))
			rte_mbuf_refcnt_set(pkts[i], 2);
		else
			n_exp++;
	}
	assert_int_equal(vxlan_encap_burst(&ctx, pkts, n, tmpls, hashes), n_exp);
	assert_int_equal(ctx.n_encap, n_exp);
	assert_int_equal(ctx.n_drop[VXLAN_ENCAP_DROP_SHARED], n - n_exp);
	/* Survivors in order with their own template's VNI and port; rejects in order after. */
	{
		unsigned int s = 0, r = n_exp;

		for (i = 0; i < n; i++) {
			if (drop(i)) {
				assert_ptr_equal(pkts[r], orig[i]);
				assert_int_equal(orig[i]->data_off, RTE_PKTMBUF_HEADROOM);
				rte_mbuf_refcnt_set(orig[i], 1);
				r++;
			} else {
				const uint8_t *f = rte_pktmbuf_mtod(orig[i], const uint8_t *);

				assert_ptr_equal(pkts[s], orig[i]);
				assert_int_equal(f[48], 100 + i % 3);
				assert_int_equal(frame_sport(f),
				                 expected_sport(p[i % 3].src_port_min,
				                                p[i % 3].src_port_max, hashes[i]));
				assert_int_equal(orig[i]->pkt_len, 42 + i + VXLAN_ENCAP_LEN);
				s++;
			}
		}
	}
}

static bool
drop_none(unsigned int i)
{
	(void)i;
	return false;
}

static bool
drop_all(unsigned int i)
{
	(void)i;
	return true;
}

static bool
drop_some(unsigned int i)
{
	return i % 3 == 1 || i % 7 == 0;
}

static void
test_vxlan_encap_burst_contract(void **state)
{
	struct vxlan_encap_ctx ctx = { .mtu = 1500 };

	(void)state;
	assert_int_equal(vxlan_encap_burst(&ctx, NULL, 0, NULL, NULL), 0);
	assert_int_equal(ctx.n_encap, 0);
	encap_burst_case(1, drop_none);
	encap_burst_case(1, drop_all);
	encap_burst_case(32, drop_none);
	encap_burst_case(32, drop_some);
	encap_burst_case(32, drop_all);
	encap_burst_case(VXLAN_BURST_MAX, drop_some);
}

/*
 * vxlan_encap_burst_tmpl() gives what vxlan_encap_burst() gives with that template for
 * every frame: the same frames byte for byte, order, rejects and counters, with the
 * defaults and with every option on (the general form); NULL drops all as no_template.
 */
static void
test_vxlan_encap_burst_tmpl_same(void **state)
{
	enum { N = VXLAN_BURST_MAX / 2 };
	const struct vxlan_tmpl *tmpls[N];
	struct rte_mbuf *a[N], *b[N], *orig_a[N], *orig_b[N];
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	unsigned int i, k, opt;

	(void)state;
	for (opt = 0; opt < 2; opt++) {
		struct vxlan_encap_ctx ca = { .mtu = 1500, .ip_id = 7 };
		struct vxlan_encap_ctx cb = { .mtu = 1500, .ip_id = 7 };
		uint16_t na, nb;

		default_params(&p);
		if (opt == 1) {
			p.tos_inherit = true;
			p.ttl_inherit = true;
			p.df = false;
			p.csum = true;
			p.src_port_min = 50000;
			p.src_port_max = 50009; /* not a power of 2 */
		}
		assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
		for (i = 0; i < N; i++) {
			struct pb_flow in;

			/* Frames 5 and 17 too big, frame 9 shared: rejects in the middle. */
			inner_flow(&in, i % 2 ? INNER_TCP4 : INNER_UDP4,
			           i == 5 || i == 17 ? 1500 : 10 + i, (uint8_t)(i * 7), 64);
			in.sport = (uint16_t)(2000 + i);
			orig_a[i] = a[i] = load_inner(i, &in);
			orig_b[i] = b[i] = load_inner(N + i, &in);
			tmpls[i] = &t;
		}
		rte_mbuf_refcnt_set(a[9], 2);
		rte_mbuf_refcnt_set(b[9], 2);
		na = vxlan_encap_burst(&ca, a, N, tmpls, NULL);
		nb = vxlan_encap_burst_tmpl(&cb, b, N, &t, NULL);
		assert_int_equal(na, N - 3);
		assert_int_equal(nb, na);
		assert_int_equal(cb.n_encap, ca.n_encap);
		assert_int_equal(cb.ip_id, ca.ip_id);
		for (k = 0; k < VXLAN_ENCAP_DROP_N; k++)
			assert_int_equal(cb.n_drop[k], ca.n_drop[k]);
		assert_int_equal(cb.n_drop[VXLAN_ENCAP_DROP_TOO_BIG], 2);
		assert_int_equal(cb.n_drop[VXLAN_ENCAP_DROP_SHARED], 1);
		for (i = 0; i < N; i++) {
			/* Same place in both arrays, and the same bytes. */
			for (k = 0; k < N && a[k] != orig_a[i]; k++)
				;
			assert_true(k < N);
			assert_ptr_equal(b[k], orig_b[i]);
			assert_int_equal(orig_b[i]->pkt_len, orig_a[i]->pkt_len);
			assert_memory_equal(rte_pktmbuf_mtod(orig_b[i], const uint8_t *),
			                    rte_pktmbuf_mtod(orig_a[i], const uint8_t *),
			                    orig_a[i]->data_len);
			assert_int_equal(orig_b[i]->tx_offload, orig_a[i]->tx_offload);
		}
		rte_mbuf_refcnt_set(orig_a[9], 1);
		rte_mbuf_refcnt_set(orig_b[9], 1);
	}
	{
		struct vxlan_encap_ctx c = { .mtu = 1500 };
		struct pb_flow in;

		inner_flow(&in, INNER_UDP4, 10, 0, 64);
		a[0] = load_inner(0, &in);
		a[1] = load_inner(1, &in);
		assert_int_equal(vxlan_encap_burst_tmpl(&c, a, 2, NULL, NULL), 0);
		assert_int_equal(c.n_drop[VXLAN_ENCAP_DROP_NO_TMPL], 2);
		assert_int_equal(c.n_encap, 0);
		assert_int_equal(a[0]->data_off, RTE_PKTMBUF_HEADROOM);
	}
}

/* ---------------------------------------------------------- tunnel table */

static void
test_vxlan_tunnels_most_specific_wins(void **state)
{
	const uint32_t a = BE32(LOCAL_IP), r1 = BE32(REMOTE_IP), r2 = BE32(OTHER_IP);
	struct vxlan_tunnel_params tp[] = {
		{ .local_ip = a, .remote_flow = true, .key_flow = true, .ofport = 4 },
		{ .local_ip = a, .remote_flow = true, .vni = 100, .ofport = 2 },
		{ .local_ip = a, .remote_ip = r1, .key_flow = true, .ofport = 3 },
		{ .local_ip = a, .remote_ip = r1, .vni = 100, .ofport = 1 },
		{ .local_ip = r2, .remote_ip = r1, .vni = 100, .ofport = 5 },
	};
	static const struct {
		uint32_t n_tunnels; /* the first n of tp[] */
		uint32_t remote_host, vni;
		int ofport; /* -1: none */
	} cases[] = {
		{ 5, REMOTE_IP, 100, 1 },  { 5, OTHER_IP, 100, 2 },  { 5, REMOTE_IP, 200, 3 },
		{ 5, OTHER_IP, 200, 4 },   { 3, REMOTE_IP, 100, 3 }, { 3, OTHER_IP, 100, 2 },
		{ 2, REMOTE_IP, 100, 2 },  { 2, REMOTE_IP, 7, 4 },   { 1, OTHER_IP, 0, 4 },
		{ 0, REMOTE_IP, 100, -1 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Built from the end of tp[] for n: keep the least specific ones first. */
		struct vxlan_tunnels *t = vxlan_tunnels_build(tp, cases[i].n_tunnels, &test_alloc);
		const struct vxlan_tunnel_params *hit;

		assert_non_null(t);
		assert_int_equal(vxlan_tunnels_count(t), cases[i].n_tunnels);
		hit = vxlan_tunnels_lookup(t, a, cases[i].vni, BE32(cases[i].remote_host));
		if (cases[i].ofport < 0) {
			assert_null(hit);
		} else {
			assert_non_null(hit);
			assert_int_equal(hit->ofport, cases[i].ofport);
		}
		/* A local address we have no tunnel on. */
		assert_null(vxlan_tunnels_lookup(t, BE32(0x0a000001), cases[i].vni,
		                                 BE32(cases[i].remote_host)));
		vxlan_tunnels_free(t);
	}
	/* The other local address: only its exact tunnel. */
	{
		struct vxlan_tunnels *t = vxlan_tunnels_build(tp, 5, &test_alloc);

		assert_int_equal(vxlan_tunnels_lookup(t, r2, 100, r1)->ofport, 5);
		assert_null(vxlan_tunnels_lookup(t, r2, 101, r1));
		assert_null(vxlan_tunnels_lookup(t, r2, 100, a));
		assert_null(vxlan_tunnels_lookup(t, 0, 0, 0));
		vxlan_tunnels_free(t);
	}
}

/* Linear reference for vxlan_tunnels_lookup(): the most specific match in OVS's order. */
static int
ref_lookup(const struct vxlan_tunnel_params *tp, unsigned int n, uint32_t local, uint32_t vni,
           uint32_t remote)
{
	unsigned int c, i;

	for (c = 0; c < 4; c++) {
		bool key_flow = c & 1, remote_flow = c & 2;

		for (i = 0; i < n; i++) {
			if (tp[i].local_ip == local && tp[i].key_flow == key_flow &&
			    tp[i].remote_flow == remote_flow && (key_flow || tp[i].vni == vni) &&
			    (remote_flow || tp[i].remote_ip == remote))
				return tp[i].ofport;
		}
	}
	return -1;
}

static void
test_vxlan_tunnels_match_linear_scan(void **state)
{
	static struct vxlan_tunnel_params tp[600];
	unsigned int n = 0, i, hits = 0;
	struct vxlan_tunnels *t;
	uint32_t x = 12345;

#define RND() (x = x * 1103515245u + 12345u, x >> 8)
	(void)state;
	while (n < sizeof(tp) / sizeof(tp[0])) {
		struct vxlan_tunnel_params p = { 0 };
		uint32_t r = RND();

		p.local_ip = BE32(0x0a000001 + r % 4);
		p.remote_flow = RND() % 8 == 0;
		p.key_flow = RND() % 8 == 0;
		p.remote_ip = p.remote_flow ? 0 : BE32(0x0a010000 + RND() % 16);
		p.vni = p.key_flow ? 0 : RND() % 64;
		p.ofport = (uint16_t)(n + 1);
		if (ref_lookup(tp, n, p.local_ip, p.vni, p.remote_ip) > 0) {
			/* Skip exact duplicates only (checked through the build below). */
			for (i = 0; i < n; i++) {
				if (tp[i].local_ip == p.local_ip && tp[i].key_flow == p.key_flow &&
				    tp[i].remote_flow == p.remote_flow && tp[i].vni == p.vni &&
				    tp[i].remote_ip == p.remote_ip)
					break;
			}
			if (i < n)
				continue;
		}
		tp[n++] = p;
	}
	t = vxlan_tunnels_build(tp, n, &test_alloc);
	assert_non_null(t);
	for (i = 0; i < 20000; i++) {
		uint32_t local = BE32(0x0a000001 + RND() % 5);
		uint32_t remote = BE32(0x0a010000 + RND() % 18);
		uint32_t vni = RND() % 70;
		int exp = ref_lookup(tp, n, local, vni, remote);
		const struct vxlan_tunnel_params *hit = vxlan_tunnels_lookup(t, local, vni, remote);

		if (exp < 0) {
			assert_null(hit);
		} else {
			assert_non_null(hit);
			assert_int_equal(hit->ofport, exp);
			hits++;
		}
	}
	assert_true(hits > 1000 && hits < 20000);
	vxlan_tunnels_free(t);
#undef RND
}

static void
test_vxlan_tunnels_build_errors(void **state)
{
	struct vxlan_tunnel_params tp[2] = {
		{ .local_ip = BE32(LOCAL_IP), .remote_ip = BE32(REMOTE_IP), .vni = 1 },
		{ .local_ip = BE32(LOCAL_IP), .remote_ip = BE32(REMOTE_IP), .vni = 1 },
	};
	struct vxlan_alloc counting = { tst_zalloc, tst_free, NULL };
	struct vxlan_alloc failing = { failing_zalloc, tst_free, NULL };
	struct vxlan_tunnels *t;
	int live = 0;

	(void)state;
	counting.arg = &live;
	rte_errno = 0;
	assert_null(vxlan_tunnels_build(tp, 2, &counting));
	assert_int_equal(rte_errno, EEXIST);
	assert_int_equal(live, 0); /* freed on the error path */
	tp[1].vni = 2;
	t = vxlan_tunnels_build(tp, 2, &counting);
	assert_non_null(t);
	assert_int_equal(live, 1);
	vxlan_tunnels_free(t);
	assert_int_equal(live, 0);
	vxlan_tunnels_free(NULL);

	assert_null(vxlan_tunnels_build(tp, 2, &failing));
	assert_int_equal(rte_errno, ENOMEM);
	assert_null(vxlan_tunnels_build(tp, 2, NULL));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(vxlan_tunnels_build(NULL, 1, &counting));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(vxlan_tunnels_build(tp, VXLAN_TUNNELS_MAX + 1, &counting));
	assert_int_equal(rte_errno, EINVAL);
	tp[1].vni = VXLAN_VNI_MAX + 1;
	rte_errno = 0;
	assert_null(vxlan_tunnels_build(tp, 2, &counting));
	assert_int_equal(rte_errno, EINVAL);
	tp[1].vni = 2;
	tp[1].remote_ip = 0;
	rte_errno = 0;
	assert_null(vxlan_tunnels_build(tp, 2, &counting));
	assert_int_equal(rte_errno, EINVAL);
	tp[1].remote_flow = true;
	assert_non_null(t = vxlan_tunnels_build(tp, 2, &counting));
	vxlan_tunnels_free(t);
	tp[1].local_ip = 0;
	rte_errno = 0;
	assert_null(vxlan_tunnels_build(tp, 2, &counting));
	assert_int_equal(rte_errno, EINVAL);
	assert_int_equal(live, 0);

	/* Empty table: valid, finds nothing. */
	t = vxlan_tunnels_build(NULL, 0, &counting);
	assert_non_null(t);
	assert_int_equal(vxlan_tunnels_count(t), 0);
	assert_null(vxlan_tunnels_lookup(t, BE32(LOCAL_IP), 1, BE32(REMOTE_IP)));
	vxlan_tunnels_free(t);
	assert_int_equal(live, 0);
}

/* ---------------------------------------------------------------- decap */

static void
test_vxlan_decap_pb_frames(void **state)
{
	static const size_t sizes[] = { 0, 5, 300, 1400 };
	struct vxlan_decap_ctx ctx = { .check_ip_csum = true };
	struct vxlan_tunnels *tun = one_tunnel_table();
	unsigned int k, s, v;

	(void)state;
	for (k = 0; k < INNER_N; k++) {
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			for (v = 0; v < 4; v++) {
				static const uint8_t opts[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
				struct pb_flow in, o;
				struct vxlan_md md;
				struct pm_key key;
				struct rte_mbuf *m;
				size_t in_len, len;

				inner_flow(&in, k, sizes[s], 0x10, 9);
				in_len = pb_build(&in, frame_b, FRAME_CAP, 0);
				rx_outer_flow(&o, &in, TEST_VNI);
				/* Variants: plain, UDP checksum, IPv4 options, Ethernet trailer. */
				if (v == 1)
					o.csum = 0;
				else
					o.csum = PB_CSUM_UDP_NONE;
				if (v == 2) {
					o.ip_opts = opts;
					o.ip_opts_len = sizeof(opts);
				}
				len = pb_build(&o, frame_a, FRAME_CAP, 0);
				assert_true(len > 0);
				if (v == 3) {
					memset(frame_a + len, 0xa5, 11);
					len += 11;
				}
				m = test_mbuf_init(&mbufs[0], frame_a, (uint16_t)len);
				m->l2_len = 14;
				m->l3_len = 20;
				m->packet_type = RTE_PTYPE_L3_IPV4;
				memset(&md, 0xff, sizeof(md));
				assert_int_equal(vxlan_decap_burst(&ctx, tun, &m, 1, &md), 1);
				assert_int_equal(m->pkt_len, in_len);
				assert_int_equal(m->data_len, in_len);
				assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), frame_b,
				                    in_len);
				assert_int_equal(m->l2_len, 0);
				assert_int_equal(m->l3_len, 0);
				assert_int_equal(m->packet_type, 0);
				assert_true(md.tun_id == rte_cpu_to_be_64(TEST_VNI));
				assert_int_equal(md.tun_src, BE32(REMOTE_IP));
				assert_int_equal(md.tun_dst, BE32(LOCAL_IP));
				assert_int_equal(md.ofport, TEST_OFPORT);
				assert_int_equal(md.pad0, 0);
				assert_int_equal(md.pad1, 0);

				memset(&key, 0, sizeof(key));
				key.nw_src = 0x11111111;
				vxlan_md_to_key(&md, &key);
				assert_int_equal(key.in_port, TEST_OFPORT);
				/* pm_key layout: tun_id is the VNI as a 64-bit network order word.
				 */
				assert_int_equal(((const uint8_t *)&key.tun_id)[5], 0x12);
				assert_int_equal(((const uint8_t *)&key.tun_id)[6], 0x34);
				assert_int_equal(((const uint8_t *)&key.tun_id)[7], 0x56);
				assert_int_equal(((const uint8_t *)&key.tun_id)[0], 0);
				assert_int_equal(key.tun_src, BE32(REMOTE_IP));
				assert_int_equal(key.tun_dst, BE32(LOCAL_IP));
				assert_int_equal(key.nw_src, 0x11111111);
			}
		}
	}
	for (k = 0; k < VXLAN_DECAP_DROP_N; k++)
		assert_int_equal(ctx.n_drop[k], 0);
	assert_int_equal(ctx.n_decap, INNER_N * 4 * sizeof(sizes) / sizeof(sizes[0]));
	vxlan_tunnels_free(tun);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 written plainly: the 16-bit one's complement sum of 'len' bytes. */
static uint16_t
plain_sum16(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Recomputes the outer IPv4 header checksum after a patch. */
static void
fix_ip_csum(uint8_t *f)
{
	put16(f + 24, 0);
	put16(f + 24, (uint16_t)~plain_sum16(f + 14, (f[14] & 0xf) * 4u));
}

/* Shortens the frame by 'cut' bytes and fixes IP/UDP lengths and the IP checksum. */
static void
shorten(uint8_t *f, size_t *len, size_t cut)
{
	*len -= cut;
	put16(f + 16, (uint16_t)(get16(f + 16) - cut));
	put16(f + 38, (uint16_t)(get16(f + 38) - cut));
	fix_ip_csum(f);
}

/* Malformed corpus: a good frame, then one patch each (byte offsets of the outer headers). */
enum bad_patch {
	BAD_NONE,
	BAD_FRAME_49,
	BAD_IP_LEN_BEYOND,
	BAD_IHL_BEYOND,
	BAD_IPV6_TYPE,
	BAD_TCP,
	BAD_VERSION,
	BAD_IHL_4,
	BAD_IP_LEN_SHORT,
	BAD_MF,
	BAD_OFFSET,
	BAD_IP_CSUM,
	BAD_IP_CSUM_NIC_GOOD,
	BAD_NIC_IP_BAD,
	BAD_NIC_L4_BAD,
	BAD_NIC_L4_BAD_NO_CSUM,
	BAD_UDP_LEN_LONG,
	BAD_UDP_LEN_SHORT,
	BAD_NO_I_FLAG,
	BAD_OTHER_FLAG,
	BAD_RESERVED_24,
	BAD_RESERVED_8,
	BAD_OTHER_VNI,
	BAD_OTHER_REMOTE,
	BAD_OTHER_LOCAL,
	BAD_INNER_13,
	BAD_INNER_14,
};

static void
apply_patch(enum bad_patch b, uint8_t *f, size_t *len, struct rte_mbuf *m)
{
	switch (b) {
	case BAD_NONE:
		return;
	case BAD_FRAME_49:
		*len = 49;
		return;
	case BAD_IP_LEN_BEYOND:
		put16(f + 16, (uint16_t)(*len - 14 + 1));
		break;
	case BAD_IHL_BEYOND:
		f[14] = 0x4f; /* 60-byte header: 14 + 60 + 16 > a 64-byte frame */
		*len = 64;
		return;
	case BAD_IPV6_TYPE:
		put16(f + 12, 0x86dd);
		return;
	case BAD_TCP:
		f[23] = 6;
		break;
	case BAD_VERSION:
		f[14] = 0x65;
		return;
	case BAD_IHL_4:
		f[14] = 0x44;
		return;
	case BAD_IP_LEN_SHORT:
		put16(f + 16, 35); /* < 20 + 16 */
		break;
	case BAD_MF:
		f[20] |= 0x20;
		break;
	case BAD_OFFSET:
		f[21] = 0x01;
		break;
	case BAD_IP_CSUM_NIC_GOOD:
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		/* fall through */
	case BAD_IP_CSUM:
		f[25] ^= 0x40;
		return;
	case BAD_NIC_IP_BAD:
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
		return;
	case BAD_NIC_L4_BAD:
		put16(f + 40, 0x1234);
		/* fall through */
	case BAD_NIC_L4_BAD_NO_CSUM: /* with UDP checksum 0 there is nothing to be bad */
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
		return;
	case BAD_UDP_LEN_LONG:
		put16(f + 38, (uint16_t)(get16(f + 38) + 1));
		return;
	case BAD_UDP_LEN_SHORT:
		put16(f + 38, (uint16_t)(get16(f + 38) - 2));
		return;
	case BAD_NO_I_FLAG:
		f[42] = 0x00;
		return;
	case BAD_OTHER_FLAG:
		f[42] = 0x88; /* I plus a GBP-like G bit */
		return;
	case BAD_RESERVED_24:
		f[44] = 0x01;
		return;
	case BAD_RESERVED_8:
		f[49] = 0x80;
		return;
	case BAD_OTHER_VNI:
		f[48] ^= 0x01;
		return;
	case BAD_OTHER_REMOTE:
		f[29] = 0x03;
		break;
	case BAD_OTHER_LOCAL:
		f[33] = 0x09;
		break;
	case BAD_INNER_13:
	case BAD_INNER_14:
		shorten(f, len, *len - VXLAN_ENCAP_LEN - (b == BAD_INNER_13 ? 13 : 14));
		return;
	}
	fix_ip_csum(f);
}

/* A malformed-frame case: expects 'why' (VXLAN_DECAP_DROP_N: accepted). */
static const struct {
	const char *name;
	enum bad_patch patch;
	enum vxlan_decap_drop why;
	bool check_ip_csum;
} bad_cases[] = {
	{ "good", BAD_NONE, VXLAN_DECAP_DROP_N, true },
	{ "frame 49 bytes", BAD_FRAME_49, VXLAN_DECAP_DROP_TRUNCATED_OUTER, false },
	{ "ip len beyond frame", BAD_IP_LEN_BEYOND, VXLAN_DECAP_DROP_TRUNCATED_OUTER, false },
	{ "ihl beyond frame", BAD_IHL_BEYOND, VXLAN_DECAP_DROP_TRUNCATED_OUTER, false },
	{ "ipv6 ethertype", BAD_IPV6_TYPE, VXLAN_DECAP_DROP_NOT_VXLAN, false },
	{ "tcp", BAD_TCP, VXLAN_DECAP_DROP_NOT_VXLAN, false },
	{ "version 6", BAD_VERSION, VXLAN_DECAP_DROP_BAD_OUTER_IP, false },
	{ "ihl 4", BAD_IHL_4, VXLAN_DECAP_DROP_BAD_OUTER_IP, false },
	{ "ip len < headers", BAD_IP_LEN_SHORT, VXLAN_DECAP_DROP_BAD_OUTER_IP, false },
	{ "more fragments", BAD_MF, VXLAN_DECAP_DROP_OUTER_FRAGMENT, false },
	{ "fragment offset", BAD_OFFSET, VXLAN_DECAP_DROP_OUTER_FRAGMENT, false },
	{ "bad ip csum", BAD_IP_CSUM, VXLAN_DECAP_DROP_BAD_OUTER_CSUM, true },
	{ "bad ip csum unchecked", BAD_IP_CSUM, VXLAN_DECAP_DROP_N, false },
	{ "bad ip csum, nic says good", BAD_IP_CSUM_NIC_GOOD, VXLAN_DECAP_DROP_N, true },
	{ "nic says ip bad", BAD_NIC_IP_BAD, VXLAN_DECAP_DROP_BAD_OUTER_CSUM, true },
	{ "nic says udp bad", BAD_NIC_L4_BAD, VXLAN_DECAP_DROP_BAD_OUTER_CSUM, false },
	{ "nic says udp bad, csum 0", BAD_NIC_L4_BAD_NO_CSUM, VXLAN_DECAP_DROP_N, false },
	{ "udp len long", BAD_UDP_LEN_LONG, VXLAN_DECAP_DROP_BAD_UDP_LEN, false },
	{ "udp len short", BAD_UDP_LEN_SHORT, VXLAN_DECAP_DROP_BAD_UDP_LEN, false },
	{ "no I flag", BAD_NO_I_FLAG, VXLAN_DECAP_DROP_BAD_FLAGS, false },
	{ "other flag", BAD_OTHER_FLAG, VXLAN_DECAP_DROP_RESERVED_BITS, false },
	{ "reserved 24 bits", BAD_RESERVED_24, VXLAN_DECAP_DROP_RESERVED_BITS, false },
	{ "reserved 8 bits", BAD_RESERVED_8, VXLAN_DECAP_DROP_RESERVED_BITS, false },
	{ "unknown vni", BAD_OTHER_VNI, VXLAN_DECAP_DROP_UNKNOWN_VNI, false },
	{ "unknown remote", BAD_OTHER_REMOTE, VXLAN_DECAP_DROP_UNKNOWN_VNI, false },
	{ "unknown local", BAD_OTHER_LOCAL, VXLAN_DECAP_DROP_UNKNOWN_VNI, false },
	{ "inner 13 bytes", BAD_INNER_13, VXLAN_DECAP_DROP_TRUNCATED_INNER, true },
	{ "inner 14 bytes", BAD_INNER_14, VXLAN_DECAP_DROP_N, true },
};

/* Builds the good frame of the malformed corpus into 'f'; @return its length. */
static size_t
good_rx_frame(uint8_t *f, uint32_t vni, uint16_t inner_sport)
{
	struct pb_flow in, o;
	size_t len;

	inner_flow(&in, INNER_UDP4, 20, 0, 64);
	in.sport = inner_sport;
	rx_outer_flow(&o, &in, vni);
	o.csum = PB_CSUM_UDP_NONE;
	len = pb_build(&o, f, FRAME_CAP, 0);
	assert_true(len > VXLAN_ENCAP_LEN);
	return len;
}

static void
test_vxlan_decap_malformed_corpus(void **state)
{
	struct vxlan_tunnels *tun = one_tunnel_table();
	unsigned int i, r;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct vxlan_decap_ctx ctx = { .check_ip_csum = bad_cases[i].check_ip_csum };
		struct rte_mbuf *m;
		struct vxlan_md md;
		size_t len = good_rx_frame(frame_a, TEST_VNI, 1024);
		uint16_t ret;

		m = test_mbuf_init(&mbufs[0], NULL, 0);
		apply_patch(bad_cases[i].patch, frame_a, &len, m);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), frame_a, len);
		m->data_len = (uint16_t)len;
		m->pkt_len = (uint32_t)len;
		ret = vxlan_decap_burst(&ctx, tun, &m, 1, &md);
		for (r = 0; r < VXLAN_DECAP_DROP_N; r++)
			assert_int_equal(ctx.n_drop[r], r == bad_cases[i].why ? 1 : 0);
		if (bad_cases[i].why == VXLAN_DECAP_DROP_N) {
			assert_int_equal(ret, 1);
			assert_int_equal(ctx.n_decap, 1);
			assert_int_equal(m->pkt_len, len - VXLAN_ENCAP_LEN);
		} else {
			/* Rejected untouched. */
			assert_int_equal(ret, 0);
			assert_int_equal(ctx.n_decap, 0);
			assert_int_equal(m->data_off, RTE_PKTMBUF_HEADROOM);
			assert_int_equal(m->pkt_len, len);
			assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), frame_a, len);
		}
	}
	vxlan_tunnels_free(tun);
}

/*
 * vxlan_ipv4_hdr_sum_ok() against the plain sum: the edge cases of the folds
 * (all ones in every word, all zeros, carries out of 32 bits), 200,000 random
 * 20-byte headers half of them given their right checksum, and headers with
 * options (the general path).
 */
static void
test_vxlan_ipv4_hdr_sum_ok(void **state)
{
	uint8_t h[60];
	uint32_t x = 0x9e3779b9;
	unsigned int i, n_ok = 0;

	(void)state;
	memset(h, 0xff, 20); /* sums to 0xffff in any fold: needs the last 16-bit fold */
	assert_true(vxlan_ipv4_hdr_sum_ok(h, 20));
	memset(h, 0, 20); /* positive zero: not all ones */
	assert_false(vxlan_ipv4_hdr_sum_ok(h, 20));
	memset(h, 0xff, 16); /* four words of ones, then 0x00000003: a carry out of 32 bits */
	memcpy(h + 16, "\x00\x03\x00\x00", 4);
	assert_false(vxlan_ipv4_hdr_sum_ok(h, 20));
	memcpy(h + 16, "\xff\xff\x00\x00", 4); /* the same, summing to all ones */
	assert_int_equal(plain_sum16(h, 20), 0xffff);
	assert_true(vxlan_ipv4_hdr_sum_ok(h, 20));
	for (i = 0; i < 200000; i++) {
		unsigned int b;
		bool want;

		for (b = 0; b < 20; b += 4) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			memcpy(h + b, &x, 4);
		}
		/* Bias some words to all ones: the carries the folds must take. */
		if (x & 1)
			memset(h + (x >> 1) % 4 * 4, 0xff, 4 + (x >> 3 & 4));
		if (i & 1) {
			put16(h + 10, 0);
			put16(h + 10, (uint16_t)~plain_sum16(h, 20));
		}
		want = plain_sum16(h, 20) == 0xffff;
		n_ok += want;
		if (vxlan_ipv4_hdr_sum_ok(h, 20) != want)
			fail_msg("header %u: plain sum %#x", i, plain_sum16(h, 20));
	}
	assert_true(n_ok >= 100000);
	/* With options: the general path. */
	for (i = 0; i < 60; i++)
		h[i] = (uint8_t)(i * 37 + 11);
	put16(h + 10, 0);
	put16(h + 10, (uint16_t)~plain_sum16(h, 60));
	assert_true(vxlan_ipv4_hdr_sum_ok(h, 60));
	h[59] ^= 1;
	assert_false(vxlan_ipv4_hdr_sum_ok(h, 60));
}

/*
 * The outer IPv4 checksum check against the RFC 1071 sum written plainly
 * (fix_ip_csum()'s loop): 4,000 headers with random TOS, id, TTL and DF
 * bit, each with its right checksum, the right one off by one bit, and a
 * random one; the 0x0000/0xffff pair where both are right. Each is accepted
 * exactly when the plain sum says all ones, and dropped as bad_outer_csum
 * otherwise.
 */
static void
test_vxlan_decap_ip_csum_random(void **state)
{
	struct vxlan_tunnels *tun = one_tunnel_table();
	struct vxlan_decap_ctx ctx = { .check_ip_csum = true };
	uint64_t n_good = 0, n_bad = 0;
	uint32_t x = 0x12345678;
	unsigned int i, v;

	(void)state;
	for (i = 0; i < 4000; i++) {
		for (v = 0; v < 3; v++) {
			size_t len = good_rx_frame(frame_a, TEST_VNI, 64);
			struct rte_mbuf *m;
			struct vxlan_md md;
			bool good;

			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			frame_a[15] = (uint8_t)x;                /* TOS */
			put16(frame_a + 18, (uint16_t)(x >> 8)); /* id */
			frame_a[22] = (uint8_t)(x >> 24);        /* TTL */
			frame_a[20] = (uint8_t)(x & 0x40);       /* DF or not */
			fix_ip_csum(frame_a);
			if (v == 1)
				frame_a[14 + 10 + (x >> 9 & 1)] ^= (uint8_t)(1u << (x >> 11 & 7));
			else if (v == 2)
				put16(frame_a + 24, (uint16_t)(x >> 3));
			good = plain_sum16(frame_a + 14, 20) == 0xffff;
			m = test_mbuf_init(&mbufs[0], frame_a, (uint16_t)len);
			assert_int_equal(vxlan_decap_burst(&ctx, tun, &m, 1, &md), good ? 1 : 0);
			*(good ? &n_good : &n_bad) += 1;
		}
	}
	/* A header whose other words sum to 0xffff: checksum 0x0000 and 0xffff both right. */
	for (v = 0; v < 2; v++) {
		size_t len = good_rx_frame(frame_a, TEST_VNI, 64);
		struct rte_mbuf *m;
		struct vxlan_md md;
		uint16_t c;

		fix_ip_csum(frame_a);
		c = get16(frame_a + 24);
		/* Move the checksum's value into the id: the rest then sums to 0xffff. */
		put16(frame_a + 18,
		      (uint16_t)(get16(frame_a + 18) + c + (get16(frame_a + 18) + c > 0xffff)));
		put16(frame_a + 24, v == 0 ? 0x0000 : 0xffff);
		m = test_mbuf_init(&mbufs[0], frame_a, (uint16_t)len);
		assert_int_equal(vxlan_decap_burst(&ctx, tun, &m, 1, &md), 1);
		n_good++;
	}
	assert_int_equal(ctx.n_decap, n_good);
	assert_int_equal(ctx.n_drop[VXLAN_DECAP_DROP_BAD_OUTER_CSUM], n_bad);
	assert_true(n_bad >= 7000); /* every changed bit and nearly every random checksum */
	vxlan_tunnels_free(tun);
}

static void
test_vxlan_decap_outer_headers_in_first_segment(void **state)
{
	struct vxlan_decap_ctx ctx = { 0 };
	struct vxlan_tunnels *tun = one_tunnel_table();
	struct rte_mbuf *m, *tail;
	struct vxlan_md md;
	size_t len = good_rx_frame(frame_a, TEST_VNI, 1024);

	(void)state;
	/* Split inside the VXLAN header: truncated as far as the first segment goes. */
	m = test_mbuf_init(&mbufs[0], frame_a, 45);
	tail = test_mbuf_init(&mbufs[1], frame_a + 45, (uint16_t)(len - 45));
	test_mbuf_chain(m, tail);
	assert_int_equal(vxlan_decap_burst(&ctx, tun, &m, 1, &md), 0);
	assert_int_equal(ctx.n_drop[VXLAN_DECAP_DROP_TRUNCATED_OUTER], 1);

	/* Split after the outer headers: decapsulated, the chain kept. */
	m = test_mbuf_init(&mbufs[0], frame_a, 60);
	tail = test_mbuf_init(&mbufs[1], frame_a + 60, (uint16_t)(len - 60));
	test_mbuf_chain(m, tail);
	assert_int_equal(vxlan_decap_burst(&ctx, tun, &m, 1, &md), 1);
	assert_int_equal(m->pkt_len, len - VXLAN_ENCAP_LEN);
	assert_int_equal(m->data_len, 10);
	assert_int_equal(m->nb_segs, 2);
	assert_int_equal(linearize(m, frame_b), len - VXLAN_ENCAP_LEN);
	assert_memory_equal(frame_b, frame_a + VXLAN_ENCAP_LEN, len - VXLAN_ENCAP_LEN);
	vxlan_tunnels_free(tun);
}

static void
test_vxlan_decap_most_specific_tunnel(void **state)
{
	const uint32_t a = BE32(LOCAL_IP), r1 = BE32(REMOTE_IP);
	const struct vxlan_tunnel_params tp[] = {
		{ .local_ip = a, .remote_ip = r1, .vni = TEST_VNI, .ofport = 1 },
		{ .local_ip = a, .remote_flow = true, .vni = TEST_VNI, .ofport = 2 },
		{ .local_ip = a, .remote_flow = true, .key_flow = true, .ofport = 3 },
	};
	/* Per packet: remote host address low byte, VNI, expected ofport. */
	static const struct {
		uint8_t remote_lo;
		uint32_t vni;
		uint16_t ofport;
	} pk[] = {
		{ 2, TEST_VNI, 1 }, { 3, TEST_VNI, 2 }, { 2, 77, 3 }, { 2, TEST_VNI, 1 },
		{ 3, TEST_VNI, 2 }, { 3, TEST_VNI, 2 }, { 2, 77, 3 }, { 9, 78, 3 },
	};
	struct vxlan_tunnels *tun = vxlan_tunnels_build(tp, 3, &test_alloc);
	struct rte_mbuf *pkts[8];
	struct vxlan_md mds[8];
	struct vxlan_decap_ctx ctx = { 0 };
	unsigned int i;

	(void)state;
	assert_non_null(tun);
	for (i = 0; i < 8; i++) {
		size_t len = good_rx_frame(frame_a, pk[i].vni, (uint16_t)i);

		frame_a[29] = pk[i].remote_lo;
		fix_ip_csum(frame_a);
		pkts[i] = test_mbuf_init(&mbufs[i], frame_a, (uint16_t)len);
	}
	assert_int_equal(vxlan_decap_burst(&ctx, tun, pkts, 8, mds), 8);
	for (i = 0; i < 8; i++) {
		assert_ptr_equal(pkts[i], &mbufs[i].m);
		assert_int_equal(mds[i].ofport, pk[i].ofport);
		assert_true(mds[i].tun_id == rte_cpu_to_be_64(pk[i].vni));
		assert_int_equal(mds[i].tun_src, BE32(0xc0a80100u | pk[i].remote_lo));
	}
	/* Same remote and VNI, another local address: not the cached tunnel. */
	{
		struct rte_mbuf *two[2];
		size_t len = good_rx_frame(frame_a, TEST_VNI, 1);

		two[0] = test_mbuf_init(&mbufs[8], frame_a, (uint16_t)len);
		frame_a[33] = 9;
		fix_ip_csum(frame_a);
		two[1] = test_mbuf_init(&mbufs[9], frame_a, (uint16_t)len);
		assert_int_equal(vxlan_decap_burst(&ctx, tun, two, 2, mds), 1);
		assert_ptr_equal(two[1], &mbufs[9].m);
		assert_int_equal(mds[0].ofport, 1);
		assert_int_equal(ctx.n_drop[VXLAN_DECAP_DROP_UNKNOWN_VNI], 1);
	}
	/* NULL table: nothing is known. */
	for (i = 0; i < 8; i++)
		rte_pktmbuf_prepend(pkts[i], VXLAN_ENCAP_LEN);
	assert_int_equal(vxlan_decap_burst(&ctx, NULL, pkts, 8, mds), 0);
	assert_int_equal(ctx.n_drop[VXLAN_DECAP_DROP_UNKNOWN_VNI], 9);
	vxlan_tunnels_free(tun);
}

/* Decap burst of 'n' where frame i has a reserved bit set when bad(i). */
static void
decap_burst_case(uint16_t n, bool (*bad)(unsigned int))
{
	struct vxlan_tunnels *tun = one_tunnel_table();
	struct rte_mbuf *pkts[VXLAN_BURST_MAX], *orig[VXLAN_BURST_MAX];
	struct vxlan_md mds[VXLAN_BURST_MAX];
	struct vxlan_decap_ctx ctx = { 0 };
	unsigned int i, n_good = 0, s, r;
	uint16_t ret;

	for (i = 0; i < n; i++) {
		size_t len = good_rx_frame(frame_a, TEST_VNI, (uint16_t)(2000 + i));

		if (bad(i))
			frame_a[49] = 1;
		else
			n_good++;
		orig[i] = pkts[i] = test_mbuf_init(&mbufs[i], frame_a, (uint16_t)len);
	}
	ret = vxlan_decap_burst(&ctx, tun, pkts, n, mds);
	assert_int_equal(ret, n_good);
	assert_int_equal(ctx.n_decap, n_good);
	assert_int_equal(ctx.n_drop[VXLAN_DECAP_DROP_RESERVED_BITS], n - n_good);
	for (i = 0, s = 0, r = n_good; i < n; i++) {
		if (bad(i)) {
			assert_ptr_equal(pkts[r++], orig[i]);
			assert_int_equal(orig[i]->data_off, RTE_PKTMBUF_HEADROOM);
		} else {
			const uint8_t *f = rte_pktmbuf_mtod(orig[i], const uint8_t *);

			assert_ptr_equal(pkts[s], orig[i]);
			/* Inner UDP source port tells which frame this is. */
			assert_int_equal(get16(f + 34), 2000 + i);
			assert_int_equal(mds[s].ofport, TEST_OFPORT);
			s++;
		}
	}
	vxlan_tunnels_free(tun);
}

static void
test_vxlan_decap_burst_contract(void **state)
{
	struct vxlan_decap_ctx ctx = { 0 };

	(void)state;
	assert_int_equal(vxlan_decap_burst(&ctx, NULL, NULL, 0, NULL), 0);
	assert_int_equal(ctx.n_decap, 0);
	decap_burst_case(1, drop_none);
	decap_burst_case(1, drop_all);
	decap_burst_case(32, drop_none);
	decap_burst_case(32, drop_some);
	decap_burst_case(32, drop_all);
	decap_burst_case(VXLAN_BURST_MAX, drop_some);
}

static void
test_vxlan_encap_decap_roundtrip(void **state)
{
	struct vxlan_encap_ctx ectx = { .mtu = 1500 };
	struct vxlan_decap_ctx dctx = { .check_ip_csum = true };
	const struct vxlan_tmpl *tmpls[1];
	struct vxlan_tunnel_params tp = {
		.local_ip = BE32(REMOTE_IP), /* the peer receives what we send */
		.remote_ip = BE32(LOCAL_IP),
		.vni = TEST_VNI,
		.ofport = 9,
	};
	struct vxlan_tunnels *tun = vxlan_tunnels_build(&tp, 1, &test_alloc);
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	unsigned int k;

	(void)state;
	default_params(&p);
	p.df = false;
	p.csum = true;
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	tmpls[0] = &t;
	for (k = 0; k < INNER_N; k++) {
		struct pb_flow in;
		struct rte_mbuf *m;
		struct vxlan_md md;
		uint32_t hash = k;
		size_t len;

		inner_flow(&in, k, 100 + k, 0x03, 1);
		m = load_inner(0, &in);
		len = m->pkt_len;
		assert_int_equal(vxlan_encap_burst(&ectx, &m, 1, tmpls, &hash), 1);
		assert_true(vxlan_is_candidate(m, BE16(VXLAN_DEFAULT_DST_PORT)));
		assert_int_equal(vxlan_decap_burst(&dctx, tun, &m, 1, &md), 1);
		assert_int_equal(m->pkt_len, len);
		assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), frame_b, len);
		assert_int_equal(md.ofport, 9);
		assert_int_equal(md.tun_src, BE32(LOCAL_IP));
	}
	vxlan_tunnels_free(tun);
}

static void
test_vxlan_is_candidate(void **state)
{
	size_t len = good_rx_frame(frame_a, TEST_VNI, 1);
	const uint16_t port = BE16(PB_VXLAN_PORT);
	struct rte_mbuf *m;

	(void)state;
	m = test_mbuf_init(&mbufs[0], frame_a, (uint16_t)len);
	assert_true(vxlan_is_candidate(m, port));
	assert_false(vxlan_is_candidate(m, BE16(8472)));
	frame_a[21] = 1; /* later fragment: no UDP header */
	m = test_mbuf_init(&mbufs[0], frame_a, (uint16_t)len);
	assert_false(vxlan_is_candidate(m, port));
	frame_a[21] = 0;
	frame_a[23] = 6;
	m = test_mbuf_init(&mbufs[0], frame_a, (uint16_t)len);
	assert_false(vxlan_is_candidate(m, port));
	frame_a[23] = 17;
	frame_a[12] = 0x81;
	m = test_mbuf_init(&mbufs[0], frame_a, (uint16_t)len);
	assert_false(vxlan_is_candidate(m, port));
	frame_a[12] = 0x08;
	m = test_mbuf_init(&mbufs[0], frame_a, 49);
	assert_false(vxlan_is_candidate(m, port));
	m = test_mbuf_init(&mbufs[0], frame_a, (uint16_t)len);
	assert_true(vxlan_is_candidate(m, port));
}

static void
test_vxlan_drop_names(void **state)
{
	(void)state;
	assert_string_equal(vxlan_encap_drop_name(VXLAN_ENCAP_DROP_TOO_BIG), "too_big");
	assert_string_equal(vxlan_encap_drop_name(VXLAN_ENCAP_DROP_NO_HEADROOM), "no_headroom");
	assert_string_equal(vxlan_encap_drop_name(VXLAN_ENCAP_DROP_N), "unknown");
	assert_string_equal(vxlan_decap_drop_name(VXLAN_DECAP_DROP_BAD_FLAGS), "bad_flags");
	assert_string_equal(vxlan_decap_drop_name(VXLAN_DECAP_DROP_TRUNCATED_INNER),
	                    "truncated_inner");
	assert_string_equal(vxlan_decap_drop_name(VXLAN_DECAP_DROP_N), "unknown");
}

/* ---------------------------------------------------------------- bench */

#define BENCH_BURST 32
#define BENCH_ITERS 200000

static void
test_vxlan_bench(void **state)
{
	const char *env = getenv("VXLAN_BENCH");
	struct vxlan_encap_ctx ectx = { .mtu = 1500 };
	struct vxlan_decap_ctx dctx = { 0 };
	const struct vxlan_tmpl *tmpls[BENCH_BURST];
	struct rte_mbuf *pkts[BENCH_BURST], *mb[BENCH_BURST];
	struct vxlan_md mds[BENCH_BURST];
	uint32_t hashes[BENCH_BURST];
	struct vxlan_tunnel_params tp = {
		.local_ip = BE32(REMOTE_IP),
		.remote_ip = BE32(LOCAL_IP),
		.vni = TEST_VNI,
		.ofport = 1,
	};
	struct vxlan_tunnels *tun;
	struct vxlan_tmpl_params p;
	struct vxlan_tmpl t;
	uint64_t enc = 0, dec = 0;
	unsigned int i, it;
	struct pb_flow in;

	(void)state;
	if (env == NULL || strcmp(env, "1") != 0)
		skip();
	tun = vxlan_tunnels_build(&tp, 1, &test_alloc);
	default_params(&p);
	assert_int_equal(vxlan_tmpl_build(&p, &t), 0);
	for (i = 0; i < BENCH_BURST; i++) {
		inner_flow(&in, INNER_UDP4, 18, 0, 64); /* 60-byte inner frames (64 with FCS) */
		in.sport = (uint16_t)(1000 + i);
		mb[i] = load_inner(i, &in);
		tmpls[i] = &t;
		hashes[i] = i * 2654435761u;
	}
	for (it = 0; it < BENCH_ITERS; it++) {
		uint64_t t0, t1, t2;

		memcpy(pkts, mb, sizeof(pkts));
		t0 = rte_rdtsc();
		assert_int_equal(vxlan_encap_burst(&ectx, pkts, BENCH_BURST, tmpls, hashes),
		                 BENCH_BURST);
		t1 = rte_rdtsc();
		assert_int_equal(vxlan_decap_burst(&dctx, tun, pkts, BENCH_BURST, mds),
		                 BENCH_BURST);
		t2 = rte_rdtsc();
		enc += t1 - t0;
		dec += t2 - t1;
	}
	print_message("vxlan bench: encap %.1f cycles/packet, decap %.1f cycles/packet "
	              "(%u bursts of %u, 60-byte inner frames)\n",
	              (double)enc / ((double)BENCH_ITERS * BENCH_BURST),
	              (double)dec / ((double)BENCH_ITERS * BENCH_BURST), BENCH_ITERS, BENCH_BURST);
	assert_int_equal(ectx.n_encap, (uint64_t)BENCH_ITERS * BENCH_BURST);
	vxlan_tunnels_free(tun);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vxlan_tmpl_build_bytes),
		cmocka_unit_test(test_vxlan_tmpl_build_rejects_bad_params),
		cmocka_unit_test(test_vxlan_encap_matches_pb_build),
		cmocka_unit_test(test_vxlan_encap_src_port_from_hash),
		cmocka_unit_test(test_vxlan_encap_src_port_from_inner),
		cmocka_unit_test(test_vxlan_encap_src_port_from_rss_hash),
		cmocka_unit_test(test_vxlan_encap_csum_on),
		cmocka_unit_test(test_vxlan_encap_tos_ttl_inherit),
		cmocka_unit_test(test_vxlan_encap_df),
		cmocka_unit_test(test_vxlan_encap_too_big),
		cmocka_unit_test(test_vxlan_encap_no_headroom),
		cmocka_unit_test(test_vxlan_encap_shared_and_no_template),
		cmocka_unit_test(test_vxlan_encap_burst_contract),
		cmocka_unit_test(test_vxlan_encap_burst_tmpl_same),
		cmocka_unit_test(test_vxlan_tunnels_most_specific_wins),
		cmocka_unit_test(test_vxlan_tunnels_match_linear_scan),
		cmocka_unit_test(test_vxlan_tunnels_build_errors),
		cmocka_unit_test(test_vxlan_decap_pb_frames),
		cmocka_unit_test(test_vxlan_decap_malformed_corpus),
		cmocka_unit_test(test_vxlan_ipv4_hdr_sum_ok),
		cmocka_unit_test(test_vxlan_decap_ip_csum_random),
		cmocka_unit_test(test_vxlan_decap_outer_headers_in_first_segment),
		cmocka_unit_test(test_vxlan_decap_most_specific_tunnel),
		cmocka_unit_test(test_vxlan_decap_burst_contract),
		cmocka_unit_test(test_vxlan_encap_decap_roundtrip),
		cmocka_unit_test(test_vxlan_is_candidate),
		cmocka_unit_test(test_vxlan_drop_names),
		cmocka_unit_test(test_vxlan_bench),
	};

	fill_pattern();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
