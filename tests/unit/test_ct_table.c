/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/ct's small trackers, connection table and
 * ct_execute_burst(), no EAL.  Packets are built here as a parsed key plus
 * L4 bytes (what lib/flowcache hands over); expected verdicts are written
 * from nf_conntrack / OVS semantics.  The table is checked against a plain
 * array of what was inserted (differential), and burst groupings against
 * one packet per burst.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>

#include <rte_byteorder.h>

#include "ct.h"
#include "ct_priv.h"

#define BE16(x) rte_cpu_to_be_16(x)
#define BE32(x) rte_cpu_to_be_32(x)

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define IP_C 0x0a000003u

/* A packet: parsed key and L4 bytes. */
struct tpkt {
	struct pm_key key;
	uint8_t l4[128];
	uint32_t l4_len;
};

static void *
t_alloc(void *arg, size_t size, size_t align)
{
	(void)arg;
	return aligned_alloc(align, (size + align - 1) / align * align);
}

static void
t_free(void *arg, void *p)
{
	(void)arg;
	free(p);
}

static struct ct_tbl *
mktbl(uint32_t max_conns, uint32_t n_buckets)
{
	struct ct_tbl_params p = {
		.max_conns = max_conns,
		.n_buckets = n_buckets,
		.alloc = t_alloc,
		.free = t_free,
		.tcp = { .loose = true },
	};
	struct ct_tbl *t = ct_tbl_create(&p);

	assert_non_null(t);
	return t;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
mk_ip4(struct tpkt *p, uint32_t src, uint32_t dst, uint8_t proto)
{
	memset(p, 0, sizeof(*p));
	p->key.dl_type = BE16(0x0800);
	p->key.nw_src = BE32(src);
	p->key.nw_dst = BE32(dst);
	p->key.nw_proto = proto;
}

static void
mk_udp(struct tpkt *p, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	mk_ip4(p, src, dst, 17);
	p->key.tp_src = BE16(sport);
	p->key.tp_dst = BE16(dport);
	put16(p->l4, sport);
	put16(p->l4 + 2, dport);
	put16(p->l4 + 4, 8 + 10);
	p->l4_len = 8 + 10;
}

struct tcpf {
	uint8_t flags;
	uint32_t seq, ack, len;
};

static void
mk_tcp(struct tpkt *p, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, struct tcpf f)
{
	mk_ip4(p, src, dst, 6);
	p->key.tp_src = BE16(sport);
	p->key.tp_dst = BE16(dport);
	p->key.tcp_flags = BE16(f.flags);
	put16(p->l4, sport);
	put16(p->l4 + 2, dport);
	put32(p->l4 + 4, f.seq);
	put32(p->l4 + 8, f.ack);
	p->l4[12] = 5 << 4;
	p->l4[13] = f.flags;
	put16(p->l4 + 14, 65535);
	p->l4_len = 20 + f.len;
}

static void
mk_icmp_echo(struct tpkt *p, uint32_t src, uint32_t dst, uint8_t type, uint16_t id)
{
	mk_ip4(p, src, dst, 1);
	p->key.tp_src = BE16(type);
	p->l4[0] = type;
	put16(p->l4 + 4, id);
	p->l4_len = 8 + 16;
}

/* ICMP destination unreachable from 'src' to 'dst' quoting UDP isrc:isp -> idst:idp. */
static void
mk_icmp_unreach(struct tpkt *p, uint32_t src, uint32_t dst, uint32_t isrc, uint16_t isp,
                uint32_t idst, uint16_t idp)
{
	uint8_t *ip;

	mk_ip4(p, src, dst, 1);
	p->key.tp_src = BE16(3);
	p->key.tp_dst = BE16(3);
	p->l4[0] = 3;
	p->l4[1] = 3;
	ip = p->l4 + 8;
	ip[0] = 0x45;
	ip[9] = 17;
	put32(ip + 12, isrc);
	put32(ip + 16, idst);
	put16(ip + 20, isp);
	put16(ip + 22, idp);
	p->l4_len = 8 + 20 + 8;
}

static struct ct_pkt
as_pkt(const struct tpkt *p)
{
	return (struct ct_pkt){ .key = &p->key, .l4 = p->l4, .l4_len = p->l4_len, .pkt_len = 64 };
}

/* Runs 'n' packets as one burst. */
static void
run(struct ct_ctx *x, const struct ct_exec_opts *o, const struct tpkt *ps, uint16_t n, uint64_t now,
    struct ct_result *res)
{
	struct ct_pkt pk[CT_BURST_MAX];
	uint16_t i;

	for (i = 0; i < n; i++)
		pk[i] = as_pkt(&ps[i]);
	ct_execute_burst(x, o, pk, n, now, res);
}

/* Runs one packet, returns its ct_state. */
static uint8_t
run1(struct ct_tbl *t, const struct ct_exec_opts *o, const struct tpkt *p, uint64_t now,
     struct ct_result *res)
{
	struct ct_ctx x = { .tbl = t };
	struct ct_result r;

	run(&x, o, p, 1, now, res ? res : &r);
	return res ? res->ct_state : r.ct_state;
}

static const struct ct_exec_opts commit0 = { .zone = 0, .commit = true };

#define TRK PM_CS_TRACKED
#define NEW PM_CS_NEW
#define EST PM_CS_ESTABLISHED
#define RPL PM_CS_REPLY_DIR
#define REL PM_CS_RELATED
#define INV PM_CS_INVALID

/* ---------------------------------------------------------------------- */

static void
test_ct_udp_tracker(void **state)
{
	struct ct_simple_state s = { 0 };
	struct ct_timeouts t;
	struct ct_verdict v;

	(void)state;
	ct_timeouts_default(&t);
	v = ct_udp_update(&s, CT_DIR_ORIG);
	assert_int_equal(v.v, CT_V_NEW);
	assert_int_equal(s.state, CT_UDP_FIRST);
	assert_int_equal(ct_udp_timeout(&s, &t), 60);
	v = ct_udp_update(&s, CT_DIR_ORIG);
	assert_int_equal(v.v, CT_V_NEW);
	assert_int_equal(s.state, CT_UDP_SINGLE);
	assert_int_equal(ct_udp_timeout(&s, &t), 60);
	v = ct_udp_update(&s, CT_DIR_REPLY);
	assert_int_equal(v.v, CT_V_EST);
	assert_int_equal(s.state, CT_UDP_MULTIPLE);
	assert_int_equal(ct_udp_timeout(&s, &t), 30);
	v = ct_udp_update(&s, CT_DIR_ORIG);
	assert_int_equal(v.v, CT_V_EST);
	assert_int_equal(s.state, CT_UDP_MULTIPLE);
}

static void
test_ct_icmp_tracker(void **state)
{
	struct ct_simple_state s = { 0 };
	struct ct_timeouts t;
	struct ct_verdict v;

	(void)state;
	ct_timeouts_default(&t);
	v = ct_icmp_update(&s, CT_DIR_ORIG, true);
	assert_int_equal(v.v, CT_V_INV);
	assert_int_equal(v.reason, CT_R_ICMP_BAD_TYPE);
	assert_int_equal(s.state, CT_ICMP_NONE);
	v = ct_icmp_update(&s, CT_DIR_ORIG, false);
	assert_int_equal(v.v, CT_V_NEW);
	assert_int_equal(ct_icmp_timeout(&s, &t), 60);
	v = ct_icmp_update(&s, CT_DIR_REPLY, true);
	assert_int_equal(v.v, CT_V_EST);
	assert_int_equal(s.state, CT_ICMP_REPLY);
	assert_int_equal(ct_icmp_timeout(&s, &t), 30);
}

/* Key layout: the word-wise fast path stores what the struct's fields say. */
static void
test_ct_key_layout(void **state)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	struct tpkt p;
	struct ct_pkt pk;
	struct ct_key k, r, zero;
	bool err = true;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	mk_udp(&p, IP_A, 1111, IP_B, 53);
	pk = as_pkt(&p);
	assert_int_equal(ct_key_extract(&pk, 0x1234, &k, &err), CT_R_OK);
	assert_false(err);
	assert_memory_equal(k.src, a, 4);
	assert_memory_equal(k.dst, b, 4);
	assert_memory_equal(k.src + 4, zero.src, 12);
	assert_memory_equal(k.dst + 4, zero.dst, 12);
	assert_int_equal(k.sport, BE16(1111));
	assert_int_equal(k.dport, BE16(53));
	assert_int_equal(k.zone, 0x1234);
	assert_int_equal(k.proto, 17);
	assert_int_equal(k.af, 4);
	ct_key_reverse(&k, &r);
	assert_memory_equal(r.src, b, 4);
	assert_int_equal(r.sport, BE16(53));
	assert_int_equal(r.dport, BE16(1111));
	assert_int_equal(r.zone, 0x1234);
	assert_int_not_equal(ct_key_hash(&k), ct_key_hash(&r));
	/* A packet in the other direction extracts to the reverse key. */
	mk_udp(&p, IP_B, 53, IP_A, 1111);
	pk = as_pkt(&p);
	assert_int_equal(ct_key_extract(&pk, 0x1234, &k, &err), CT_R_OK);
	assert_memory_equal(&k, &r, sizeof(k));
	assert_int_equal(ct_key_hash(&k), ct_key_hash(&r));
	/* ICMP echo: id in sport, type/code in dport, reversed to the reply type. */
	mk_icmp_echo(&p, IP_A, IP_B, 8, 0x4242);
	pk = as_pkt(&p);
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_OK);
	assert_int_equal(k.sport, BE16(0x4242));
	assert_int_equal(k.dport, BE16(8 << 8));
	ct_key_reverse(&k, &r);
	assert_int_equal(r.sport, BE16(0x4242));
	assert_int_equal(r.dport, BE16(0 << 8));
}

/* ICMPv6 echo request and reply (types 128/129). */
static void
test_ct_icmpv6_echo(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct tpkt req, rep;
	int i;

	(void)state;
	mk_icmp_echo(&req, 0, 0, 128, 9);
	mk_icmp_echo(&rep, 0, 0, 129, 9);
	for (i = 0; i < 2; i++) {
		struct tpkt *p = i ? &rep : &req;

		p->key.dl_type = BE16(0x86dd);
		p->key.nw_proto = 58;
		p->key.ipv6_src[0] = p->key.ipv6_dst[0] = 0xfe;
		p->key.ipv6_src[15] = (uint8_t)(1 + i);
		p->key.ipv6_dst[15] = (uint8_t)(2 - i);
	}
	assert_int_equal(run1(t, &commit0, &rep, 0, NULL), TRK | INV);
	assert_int_equal(run1(t, &commit0, &req, 0, NULL), TRK | NEW);
	assert_int_equal(run1(t, &commit0, &rep, 0, NULL), TRK | EST | RPL);
	assert_int_equal(ct_count(t), 1);
	ct_tbl_destroy(t);
}

static void
test_ct_udp_request_response(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct tpkt req, rep;
	struct ct_result r;
	struct ct_conn_info info;

	(void)state;
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	mk_udp(&rep, IP_B, 53, IP_A, 1111);
	assert_int_equal(run1(t, &commit0, &req, 0, &r), TRK | NEW);
	assert_non_null(r.conn);
	assert_int_equal(ct_count(t), 1);
	assert_int_equal(run1(t, &commit0, &rep, 10, &r), TRK | EST | RPL);
	assert_int_equal(run1(t, &commit0, &req, 20, &r), TRK | EST);
	assert_int_equal(ct_count(t), 1);
	ct_conn_get_info(r.conn, &info);
	assert_int_equal(info.proto_state, CT_UDP_MULTIPLE);
	assert_int_equal(info.n_packets[0], 2);
	assert_int_equal(info.n_packets[1], 1);
	assert_int_equal(info.expiry, 20 + 30 * 1000);
	ct_tbl_destroy(t);
}

static void
test_ct_lookup_both_directions(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct tpkt req;
	struct ct_result r;
	struct ct_key k[3];
	const struct ct_key *kp[3] = { &k[0], &k[1], &k[2] };
	struct ct_conn *conns[3];
	uint8_t dirs[3];
	struct ct_pkt pk;
	bool err;

	(void)state;
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	run1(t, &commit0, &req, 0, &r);
	pk = as_pkt(&req);
	assert_int_equal(ct_key_extract(&pk, 0, &k[0], &err), CT_R_OK);
	ct_key_reverse(&k[0], &k[1]);
	k[2] = k[0];
	k[2].sport = BE16(2222);
	assert_int_equal(ct_lookup_bulk(t, 7, kp, conns, dirs), 3);
	assert_ptr_equal(conns[0], r.conn);
	assert_ptr_equal(conns[1], r.conn);
	assert_int_equal(dirs[0], CT_DIR_ORIG);
	assert_int_equal(dirs[1], CT_DIR_REPLY);
	assert_null(conns[2]);
	ct_tbl_destroy(t);
}

static void
test_ct_zones_separate(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_exec_opts z1 = { .zone = 1, .commit = true }, z2 = { .zone = 2, .commit = true };
	struct ct_exec_opts z3 = { .zone = 3, .commit = false };
	struct tpkt req, rep;
	struct ct_result r1, r2;

	(void)state;
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	mk_udp(&rep, IP_B, 53, IP_A, 1111);
	assert_int_equal(run1(t, &z1, &req, 0, &r1), TRK | NEW);
	assert_int_equal(run1(t, &z2, &req, 0, &r2), TRK | NEW);
	assert_ptr_not_equal(r1.conn, r2.conn);
	assert_int_equal(ct_count(t), 2);
	assert_int_equal(ct_zone_count(t, 1), 1);
	assert_int_equal(ct_zone_count(t, 2), 1);
	assert_int_equal(run1(t, &z1, &rep, 0, NULL), TRK | EST | RPL);
	assert_int_equal(run1(t, &z3, &rep, 0, NULL), TRK | NEW);
	assert_int_equal(run1(t, &z2, &req, 0, NULL), TRK | NEW); /* zone 2 saw no reply */
	ct_tbl_destroy(t);
}

static void
test_ct_no_commit(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_exec_opts nc = { .zone = 0, .commit = false };
	struct tpkt req;
	struct ct_result r;

	(void)state;
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	assert_int_equal(run1(t, &nc, &req, 0, &r), TRK | NEW);
	assert_null(r.conn);
	assert_int_equal(run1(t, &nc, &req, 0, &r), TRK | NEW);
	assert_int_equal(ct_count(t), 0);
	ct_tbl_destroy(t);
}

static void
test_ct_global_limit(void **state)
{
	struct ct_tbl *t = mktbl(2, 64);
	struct ct_ctx st = { .tbl = t };
	struct tpkt p[4];
	struct ct_result r[4];

	(void)state;
	mk_udp(&p[0], IP_A, 1, IP_B, 53);
	mk_udp(&p[1], IP_A, 2, IP_B, 53);
	mk_udp(&p[2], IP_A, 3, IP_B, 53);
	mk_udp(&p[3], IP_B, 53, IP_A, 1);
	run(&st, &commit0, p, 4, 0, r);
	assert_int_equal(r[0].ct_state, TRK | NEW);
	assert_int_equal(r[1].ct_state, TRK | NEW);
	assert_int_equal(r[2].ct_state, TRK | INV);
	assert_int_equal(r[2].reason, CT_R_LIMIT_GLOBAL);
	assert_int_equal(r[3].ct_state, TRK | EST | RPL); /* established ones keep flowing */
	assert_int_equal(st.stats.n_reason[CT_R_LIMIT_GLOBAL], 1);
	assert_int_equal(st.stats.n_created, 2);
	assert_int_equal(ct_count(t), 2);
	ct_tbl_destroy(t);
}

static void
test_ct_zone_limit(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_exec_opts z5 = { .zone = 5, .commit = true }, z6 = { .zone = 6, .commit = true };
	struct tpkt a, b;
	struct ct_result r;

	(void)state;
	ct_zone_limit_set(t, 5, 1);
	mk_udp(&a, IP_A, 1, IP_B, 53);
	mk_udp(&b, IP_A, 2, IP_B, 53);
	assert_int_equal(run1(t, &z5, &a, 0, &r), TRK | NEW);
	assert_int_equal(run1(t, &z5, &b, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_LIMIT_ZONE);
	assert_int_equal(run1(t, &z6, &b, 0, &r), TRK | NEW);
	assert_int_equal(ct_zone_count(t, 5), 1);
	assert_int_equal(ct_zone_count(t, 6), 1);
	assert_int_equal(ct_count(t), 2);
	ct_tbl_destroy(t);
}

/* A tiny table fills up: the rest fail with TABLE_FULL, the table stays consistent. */
static void
test_ct_table_full(void **state)
{
	struct ct_tbl *t = mktbl(1000, 8); /* 64 slots: at most 32 connections */
	struct tpkt p[100], rev;
	struct ct_result r[100];
	uint32_t i, n_ok = 0, n_full = 0;

	(void)state;
	for (i = 0; i < 100; i++) {
		mk_udp(&p[i], IP_A + i, (uint16_t)(7 * i + 1), IP_B, 53);
		run1(t, &commit0, &p[i], 0, &r[i]);
		if (r[i].conn != NULL)
			n_ok++;
		else if (r[i].reason == CT_R_TABLE_FULL && r[i].ct_state == (TRK | INV))
			n_full++;
	}
	assert_int_equal(n_ok + n_full, 100);
	assert_true(n_full > 0);
	assert_true(n_ok <= 32);
	assert_int_equal(ct_count(t), n_ok);
	for (i = 0; i < 100; i++) {
		struct ct_result rr;

		if (r[i].conn == NULL)
			continue;
		mk_udp(&rev, IP_B, 53, IP_A + i, (uint16_t)(7 * i + 1));
		assert_int_equal(run1(t, &commit0, &rev, 0, &rr), TRK | EST | RPL);
		assert_ptr_equal(rr.conn, r[i].conn);
	}
	ct_tbl_destroy(t);
}

/*
 * Issue 4: the table holds a million connections.  At the default limit
 * (1,000,000, buckets sized for it) every one of 1,000,000 TCP connections
 * addressed as the ct-*-1m benchmark addresses them (A = 10.(64 + i>>16).
 * (i>>8 & 255).(i & 255):1024 + i % 60000, B = 10.2.0.1:80) is committed;
 * none fails for want of a slot; then the limit refuses the next.
 */
static void
test_ct_holds_a_million(void **state)
{
	struct ct_tbl *t = mktbl(0, 0);
	struct ct_ctx x = { .tbl = t };
	static struct tpkt p[CT_BURST_MAX];
	struct ct_result r[CT_BURST_MAX];
	const struct tcpf syn = { .flags = 0x02, .seq = 1 };
	uint32_t i, k, n_full = 0;

	(void)state;
	for (i = 0; i < CT_DEFAULT_MAX_CONNS; i += k) {
		for (k = 0; k < CT_BURST_MAX && i + k < CT_DEFAULT_MAX_CONNS; k++) {
			uint32_t c = i + k;

			mk_tcp(&p[k], 0x0a000000u | (64 + (c >> 16)) << 16 | (c & 0xffff),
			       (uint16_t)(1024 + c % 60000), 0x0a020001u, 80, syn);
		}
		run(&x, &commit0, p, (uint16_t)k, 0, r);
		while (k-- > 0)
			n_full += r[k].reason == CT_R_TABLE_FULL;
		k = CT_BURST_MAX;
	}
	assert_int_equal(n_full, 0);
	assert_int_equal(ct_count(t), CT_DEFAULT_MAX_CONNS);
	mk_tcp(&p[0], 0x0b000001u, 1024, 0x0a020001u, 80, syn);
	run(&x, &commit0, p, 1, 0, r);
	assert_int_equal(r[0].reason, CT_R_LIMIT_GLOBAL);
	ct_tbl_destroy(t);
}

static void
test_ct_sweep_budget(void **state)
{
	struct ct_tbl *t = mktbl(0, 8); /* 64 slots */
	struct tpkt p[4];
	uint32_t i, n, total = 0;

	(void)state;
	for (i = 0; i < 4; i++) {
		mk_udp(&p[i], IP_A, (uint16_t)(100 + i), IP_B, 53);
		run1(t, &commit0, &p[i], 0, NULL);
	}
	run1(t, &commit0, &p[3], 50000, NULL); /* refreshed: expires at 110 s */
	assert_int_equal(ct_count(t), 4);
	assert_int_equal(ct_sweep(t, 59999, 64), 0);
	assert_int_equal(ct_sweep(t, 60000, 0), 0);
	assert_int_equal(ct_count(t), 4);
	for (i = 0; i < 64; i++) {
		n = ct_sweep(t, 60000, 1);
		assert_true(n <= 1);
		total += n;
	}
	assert_int_equal(total, 3);
	assert_int_equal(ct_count(t), 1);
	assert_int_equal(run1(t, &commit0, &p[0], 60001, NULL), TRK | NEW); /* gone */
	assert_int_equal(ct_sweep(t, 200000, 64), 2);
	assert_int_equal(ct_count(t), 0);
	ct_tbl_destroy(t);
}

/* A packet after the timeout finds no connection even before the sweeper ran. */
static void
test_ct_expired_before_sweep(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_ctx st = { .tbl = t };
	struct tpkt req, rep;
	struct ct_result r, r2;

	(void)state;
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	mk_udp(&rep, IP_B, 53, IP_A, 1111);
	run(&st, &commit0, &req, 1, 0, &r);
	run(&st, &commit0, &rep, 1, 59999, &r2);
	assert_int_equal(r2.ct_state, TRK | EST | RPL); /* refreshed: now 30 s (multiple) */
	run(&st, &commit0, &rep, 1, 59999 + 30000, &r2);
	assert_int_equal(r2.ct_state, TRK | NEW); /* B starts a new one */
	assert_ptr_not_equal(r2.conn, NULL);
	assert_int_equal(st.stats.n_expired, 1);
	assert_int_equal(st.stats.n_created, 2);
	assert_int_equal(ct_count(t), 1);
	ct_tbl_destroy(t);
}

/* A TCP conversation: handshake, data both ways, close. */
static int
tcp_conversation(struct tpkt *p)
{
	int n = 0;

	mk_tcp(&p[n++], IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 100, 0, 0 });
	mk_tcp(&p[n++], IP_B, 80, IP_A, 4000,
	       (struct tcpf){ CT_TCP_SYN | CT_TCP_ACK, 900, 101, 0 });
	mk_tcp(&p[n++], IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_ACK, 101, 901, 0 });
	mk_tcp(&p[n++], IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_ACK, 101, 901, 50 });
	mk_tcp(&p[n++], IP_B, 80, IP_A, 4000, (struct tcpf){ CT_TCP_ACK, 901, 151, 70 });
	/* out of window: far beyond what B allowed */
	mk_tcp(&p[n++], IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_ACK, 900000, 971, 10 });
	mk_tcp(&p[n++], IP_A, 4000, IP_B, 80,
	       (struct tcpf){ CT_TCP_FIN | CT_TCP_ACK, 151, 971, 0 });
	mk_tcp(&p[n++], IP_B, 80, IP_A, 4000,
	       (struct tcpf){ CT_TCP_FIN | CT_TCP_ACK, 971, 152, 0 });
	mk_tcp(&p[n++], IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_ACK, 152, 972, 0 });
	return n;
}

static const uint8_t conversation_states[] = {
	TRK | NEW, TRK | EST | RPL, TRK | EST,       TRK | EST, TRK | EST | RPL,
	TRK | INV, TRK | EST,       TRK | EST | RPL, TRK | EST,
};

/* SYN and SYN/ACK in one burst: the SYN/ACK sees the connection the SYN committed. */
static void
test_ct_same_burst_syn_synack(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_ctx st = { .tbl = t };
	struct tpkt p[16];
	struct ct_result r[2];
	struct ct_conn_info info;

	(void)state;
	tcp_conversation(p);
	run(&st, &commit0, p, 2, 0, r);
	assert_int_equal(r[0].ct_state, TRK | NEW);
	assert_int_equal(r[1].ct_state, TRK | EST | RPL);
	assert_ptr_equal(r[0].conn, r[1].conn);
	ct_conn_get_info(r[1].conn, &info);
	assert_int_equal(info.proto_state, CT_TCP_SYN_RECV);
	assert_int_equal(ct_count(t), 1);
	ct_tbl_destroy(t);
}

/* Plain packets of an established connection, and nothing else, stay established. */
static void
test_ct_stays_established(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_ctx st = { .tbl = t };
	struct tpkt p[16], syn, rst, udp_req, udp_rep, ping;
	struct ct_result r[16];
	struct ct_pkt pk;
	int i;

	(void)state;
	tcp_conversation(p);
	/* Before anything, and after SYN only: no established connection. */
	pk = as_pkt(&p[3]);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	run(&st, &commit0, p, 1, 0, r);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	/* SYN-ACK: SYN_RECV; the handshake's ACK makes it ESTABLISHED. */
	run(&st, &commit0, p + 1, 1, 0, r);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	run(&st, &commit0, p + 2, 1, 0, r);
	assert_true(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	pk = as_pkt(&p[4]); /* the reply direction */
	assert_true(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	/* Another zone, SYN, FIN, RST: no. */
	assert_false(ct_pkt_stays_established(t, &pk, 7, 0, 1000));
	pk = as_pkt(&p[6]);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	mk_tcp(&syn, IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 100, 0, 0 });
	pk = as_pkt(&syn);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	mk_tcp(&rst, IP_B, 80, IP_A, 4000, (struct tcpf){ CT_TCP_RST | CT_TCP_ACK, 901, 101, 0 });
	pk = as_pkt(&rst);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	/* Expiring within the margin: no. */
	pk = as_pkt(&p[3]);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 86400u * 1000 - 500, 1000));
	/* Its verdicts while it holds: +est (or +inv), never +new. */
	run(&st, &commit0, p + 3, 3, 0, r);
	for (i = 0; i < 3; i++)
		assert_int_equal(r[i].ct_state & NEW, 0);
	/* UDP: only once both directions were seen; ICMP never. */
	mk_udp(&udp_req, IP_A, 1111, IP_B, 53);
	mk_udp(&udp_rep, IP_B, 53, IP_A, 1111);
	run(&st, &commit0, &udp_req, 1, 0, r);
	pk = as_pkt(&udp_req);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	run(&st, &commit0, &udp_rep, 1, 0, r);
	assert_true(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	mk_icmp_echo(&ping, IP_A, IP_B, 8, 7);
	run(&st, &commit0, &ping, 1, 0, r);
	pk = as_pkt(&ping);
	assert_false(ct_pkt_stays_established(t, &pk, 0, 0, 1000));
	ct_tbl_destroy(t);
}

/*
 * ct_execute_burst_ordered(): a packet whose predecessor ended in a state outside 'safe'
 * is not tracked (nor counted), and neither is anything after it; the caller runs them
 * in a later call and gets what one call per packet gives.
 */
static void
test_ct_ordered_stops_at_unsafe(void **state)
{
	const uint64_t est = UINT64_C(1) << (TRK | EST) | UINT64_C(1) << (TRK | EST | RPL);
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_ctx st = { .tbl = t };
	const struct ct_result *after[16] = { NULL };
	struct ct_order ord = { .after = after, .safe = est };
	struct ct_pkt pk[16];
	struct tpkt p[16];
	struct ct_result r[16];
	uint64_t n_ok;
	int n = tcp_conversation(p), i;
	uint16_t done, k;

	(void)state;
	for (i = 0; i < n; i++) {
		pk[i] = as_pkt(&p[i]);
		if (i > 0)
			after[i] = &r[i - 1]; /* one connection: each waits for the one before */
	}
	/* The SYN gives +new, not safe: the SYN/ACK and the rest wait. */
	memset(r, 0xa5, sizeof(r));
	done = ct_execute_burst_ordered(&st, &commit0, pk, (uint16_t)n, 0, r, &ord);
	assert_int_equal(done, 1);
	assert_int_equal(r[0].ct_state, TRK | NEW);
	assert_int_equal(r[1].ct_state, 0xa5); /* not written */
	n_ok = st.stats.n_reason[CT_R_OK];
	assert_int_equal(n_ok, 1);
	/* The rest, from the SYN/ACK on (it waits for nothing now): +est and +inv are safe,
	 * so it runs to the end, with the verdicts of one packet per call. */
	after[1] = NULL;
	for (k = 1; k < n; k += done) {
		done = ct_execute_burst_ordered(
				&st, &commit0, pk + k, (uint16_t)(n - k), 0, r + k,
				&(struct ct_order){ .after = after + k,
		                                    .safe = est | UINT64_C(1) << (TRK | INV) });
		assert_true(done >= 1);
	}
	assert_int_equal(k, n);
	for (i = 0; i < n; i++)
		assert_int_equal(r[i].ct_state, conversation_states[i]);
	/* Without +inv in 'safe', the packet after the out-of-window one (5) waits. */
	ct_tbl_destroy(t);
	t = mktbl(0, 64);
	st = (struct ct_ctx){ .tbl = t };
	after[1] = NULL;
	done = ct_execute_burst_ordered(&st, &commit0, pk, 1, 0, r, NULL);
	assert_int_equal(done, 1);
	done = ct_execute_burst_ordered(&st, &commit0, pk + 1, (uint16_t)(n - 1), 0, r + 1,
	                                &(struct ct_order){ .after = after + 1, .safe = est });
	assert_int_equal(done, 5); /* packets 1-5 */
	assert_int_equal(r[5].ct_state, TRK | INV);
	assert_int_equal(st.stats.n_reason[CT_R_OK] + st.stats.n_reason[CT_R_TCP_SEQ_ABOVE], 6);
	ct_tbl_destroy(t);
}

/*
 * ct_order.find_waits: the call finds by itself where a packet must wait for an earlier
 * packet of its connection (no 'after'), in either direction, past packets of other
 * connections, and for an ICMP error quoting it; the rest give the verdicts of one call
 * per packet.
 */
static void
test_ct_find_waits(void **state)
{
	const uint64_t est = UINT64_C(1) << (TRK | EST) | UINT64_C(1) << (TRK | EST | RPL);
	const uint64_t new_c = UINT64_C(1) << (TRK | NEW); /* a benign commit on +new */
	const struct ct_exec_opts look0 = { .zone = 0 };   /* the first pass: no commit */
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_ctx st = { .tbl = t };
	struct ct_order ord = { .safe = est, .find_waits = true };
	struct ct_pkt pk[8];
	struct tpkt p[8];
	struct ct_result r[8];
	uint16_t done;
	int i;

	(void)state;
	/* A SYN (+new, no connection: its commit comes later), a UDP packet of another
	 * connection, the SYN's SYN/ACK: the SYN/ACK waits, the UDP packet does not. */
	mk_tcp(&p[0], IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 100, 0, 0 });
	mk_udp(&p[1], IP_A, 1111, IP_B, 53);
	mk_tcp(&p[2], IP_B, 80, IP_A, 4000, (struct tcpf){ CT_TCP_SYN | CT_TCP_ACK, 900, 101, 0 });
	mk_udp(&p[3], IP_B, 53, IP_A, 1111);
	for (i = 0; i < 4; i++)
		pk[i] = as_pkt(&p[i]);
	memset(r, 0xa5, sizeof(r));
	done = ct_execute_burst_ordered(&st, &look0, pk, 4, 0, r, &ord);
	assert_int_equal(done, 2);
	assert_int_equal(r[0].ct_state, TRK | NEW);
	assert_null(r[0].conn);
	assert_int_equal(r[1].ct_state, TRK | NEW);
	assert_int_equal(r[2].ct_state, 0xa5); /* not written */
	assert_int_equal(st.stats.n_reason[CT_R_OK], 2);
	/* The same without find_waits: nothing waits (the caller cut the group itself). */
	done = ct_execute_burst_ordered(&st, &look0, pk, 4, 0, r,
	                                &(struct ct_order){ .safe = est });
	assert_int_equal(done, 4);
	/* The SYN committed (its later pass), then the rest: the SYN/ACK is +est+rpl. */
	assert_int_equal(run1(t, &commit0, &p[0], 0, NULL), TRK | NEW);
	done = ct_execute_burst_ordered(&st, &look0, pk + 2, 2, 0, r + 2, &ord);
	assert_int_equal(done, 2);
	assert_int_equal(r[2].ct_state, TRK | EST | RPL);
	assert_int_equal(r[3].ct_state, TRK | NEW); /* its request was never committed */

	/* +new on a connection that exists with a benign commit ('safe_if_conn'): a later
	 * UDP packet of it goes on, a TCP RST or SYN of it waits. */
	ord.safe_if_conn = new_c;
	mk_udp(&p[4], IP_A, 2222, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &p[4], 0, NULL), TRK | NEW);
	pk[0] = as_pkt(&p[4]);
	pk[1] = as_pkt(&p[4]);
	done = ct_execute_burst_ordered(&st, &look0, pk, 2, 0, r, &ord);
	assert_int_equal(done, 2);
	assert_non_null(r[0].conn);
	mk_tcp(&p[5], IP_C, 5000, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 100, 0, 0 });
	assert_int_equal(run1(t, &commit0, &p[5], 0, NULL), TRK | NEW); /* SYN_SENT */
	mk_tcp(&p[6], IP_C, 5000, IP_B, 80, (struct tcpf){ CT_TCP_RST, 101, 0, 0 });
	pk[0] = as_pkt(&p[5]); /* the SYN again: +new with its connection */
	pk[1] = as_pkt(&p[6]);
	done = ct_execute_burst_ordered(&st, &look0, pk, 2, 0, r, &ord);
	assert_int_equal(done, 1);
	assert_non_null(r[0].conn);

	/* An ICMP error quoting a connection whose packet is still to be committed waits;
	 * one quoting another connection does not. */
	mk_udp(&p[0], IP_A, 3333, IP_B, 53);
	mk_icmp_unreach(&p[1], IP_B, IP_A, IP_A, 3333, IP_B, 53);
	mk_icmp_unreach(&p[2], IP_B, IP_A, IP_A, 4444, IP_B, 53);
	for (i = 0; i < 3; i++)
		pk[i] = as_pkt(&p[i]);
	ord.safe_if_conn = 0;
	pk[1] = as_pkt(&p[2]);
	pk[2] = as_pkt(&p[1]);
	done = ct_execute_burst_ordered(&st, &look0, pk, 3, 0, r, &ord);
	assert_int_equal(done, 2);
	assert_int_equal(r[0].ct_state, TRK | NEW);
	ct_tbl_destroy(t);
}

/* Every grouping of the conversation into bursts gives the same verdicts. */
static void
test_ct_burst_grouping_invariant(void **state)
{
	struct tpkt p[16];
	int n = tcp_conversation(p), g;

	(void)state;
	assert_int_equal(n, (int)sizeof(conversation_states));
	for (g = 1; g <= n; g++) {
		struct ct_tbl *t = mktbl(0, 64);
		struct ct_ctx st = { .tbl = t };
		struct ct_result r[16];
		struct ct_conn_info info;
		int i;

		for (i = 0; i < n; i += g)
			run(&st, &commit0, &p[i], (uint16_t)(n - i < g ? n - i : g), (uint64_t)i,
			    &r[i]);
		for (i = 0; i < n; i++) {
			if (r[i].ct_state != conversation_states[i])
				print_message("group %d packet %d: %#x\n", g, i, r[i].ct_state);
			assert_int_equal(r[i].ct_state, conversation_states[i]);
		}
		assert_int_equal(r[5].reason, CT_R_TCP_SEQ_ABOVE);
		ct_conn_get_info(r[0].conn, &info);
		assert_int_equal(info.proto_state, CT_TCP_TIME_WAIT);
		assert_int_equal(info.n_packets[0] + info.n_packets[1], n - 1);
		ct_tbl_destroy(t);
	}
}

static void
test_ct_invalid_first_not_committed(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct tpkt p;
	struct ct_result r;

	(void)state;
	mk_tcp(&p, IP_B, 80, IP_A, 4000, (struct tcpf){ CT_TCP_SYN | CT_TCP_ACK, 900, 101, 0 });
	assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_TCP_BAD_TRANS);
	assert_null(r.conn);
	assert_int_equal(ct_count(t), 0);
	ct_tbl_destroy(t);
}

static void
test_ct_time_wait_reuse(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_ctx st = { .tbl = t };
	struct tpkt p[16], syn;
	struct ct_result r[16], rs;
	struct ct_conn_info info;
	int n = tcp_conversation(p);

	(void)state;
	run(&st, &commit0, p, (uint16_t)n, 0, r);
	mk_tcp(&syn, IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 500000, 0, 0 });
	run(&st, &commit0, &syn, 1, 1000, &rs);
	assert_int_equal(rs.ct_state, TRK | NEW);
	assert_int_equal(st.stats.n_reopened, 1);
	assert_int_equal(st.stats.n_created, 2);
	assert_int_equal(ct_count(t), 1);
	ct_conn_get_info(rs.conn, &info);
	assert_int_equal(info.proto_state, CT_TCP_SYN_SENT);
	assert_int_equal(info.n_packets[0], 1);
	ct_tbl_destroy(t);
}

/* The reopening SYN and the answer to it in one burst, behind the whole old conversation. */
static void
test_ct_time_wait_reuse_same_burst(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_ctx st = { .tbl = t };
	struct tpkt p[16];
	struct ct_result r[16];
	struct ct_conn_info info;
	int n = tcp_conversation(p), i;

	(void)state;
	mk_tcp(&p[n++], IP_A, 4000, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 500000, 0, 0 });
	mk_tcp(&p[n++], IP_B, 80, IP_A, 4000,
	       (struct tcpf){ CT_TCP_SYN | CT_TCP_ACK, 7000, 500001, 0 });
	run(&st, &commit0, p, (uint16_t)n, 0, r);
	for (i = 0; i < n - 2; i++)
		assert_int_equal(r[i].ct_state, conversation_states[i]);
	assert_int_equal(r[n - 2].ct_state, TRK | NEW);
	assert_int_equal(r[n - 1].ct_state, TRK | EST | RPL);
	assert_ptr_equal(r[n - 2].conn, r[n - 1].conn);
	assert_int_equal(st.stats.n_reopened, 1);
	assert_int_equal(ct_count(t), 1);
	ct_conn_get_info(r[n - 1].conn, &info);
	assert_int_equal(info.proto_state, CT_TCP_SYN_RECV);
	ct_tbl_destroy(t);
}

static void
test_ct_icmp_echo_and_error(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct tpkt req, rep, udp, err, err2, orphan;
	struct ct_result r;

	(void)state;
	mk_icmp_echo(&orphan, IP_B, IP_A, 0, 77);
	assert_int_equal(run1(t, &commit0, &orphan, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_ICMP_BAD_TYPE);
	mk_icmp_echo(&req, IP_A, IP_B, 8, 77);
	mk_icmp_echo(&rep, IP_B, IP_A, 0, 77);
	assert_int_equal(run1(t, &commit0, &req, 0, NULL), TRK | NEW);
	assert_int_equal(run1(t, &commit0, &rep, 0, NULL), TRK | EST | RPL);
	/* An echo request from B with the same id is another connection. */
	mk_icmp_echo(&orphan, IP_B, IP_A, 8, 77);
	assert_int_equal(run1(t, &commit0, &orphan, 0, NULL), TRK | NEW);
	assert_int_equal(ct_count(t), 2);

	mk_udp(&udp, IP_A, 1111, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &udp, 0, NULL), TRK | NEW);
	mk_icmp_unreach(&err, IP_B, IP_A, IP_A, 1111, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &err, 0, &r), TRK | REL | RPL);
	assert_non_null(r.conn);
	mk_icmp_unreach(&err2, IP_B, IP_A, IP_A, 1112, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &err2, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_ICMP_NO_CONN);
	assert_int_equal(ct_count(t), 3);
	ct_tbl_destroy(t);
}

/* ICMPv6 error from B to A quoting A -> B TCP 4000 -> 80 behind extension headers 'ext'. */
static void
mk_icmp6_err(struct tpkt *p, const uint8_t *ext, uint32_t ext_len, uint8_t first_nh)
{
	uint8_t *ip;

	memset(p, 0, sizeof(*p));
	p->key.dl_type = BE16(0x86dd);
	p->key.nw_proto = 58;
	p->key.ipv6_src[0] = 0x20;
	p->key.ipv6_src[15] = 2; /* B */
	p->key.ipv6_dst[0] = 0x20;
	p->key.ipv6_dst[15] = 1; /* A */
	p->key.tp_src = BE16(1);
	p->key.tp_dst = BE16(4);
	p->l4[0] = 1; /* destination unreachable */
	p->l4[1] = 4; /* port unreachable */
	ip = p->l4 + 8;
	ip[0] = 0x60;
	ip[6] = first_nh;
	ip[8] = 0x20;
	ip[23] = 1; /* A */
	ip[24] = 0x20;
	ip[39] = 2; /* B */
	memcpy(ip + 40, ext, ext_len);
	put16(ip + 40 + ext_len, 4000);
	put16(ip + 40 + ext_len + 2, 80);
	p->l4_len = 8 + 40 + ext_len + 8;
}

/* The quoted packet's extension headers are walked, as nf_conntrack's ipv6_skip_exthdr(). */
static void
test_ct_icmp6_error_ext_headers(void **state)
{
	/* hop-by-hop (8 bytes) -> destination options (16 bytes) -> TCP */
	static const uint8_t hbh_dst[24] = { 60, 0, 1, 4, 0, 0, 0, 0, 6, 1, 1, 12 };
	/* fragment header, offset 0 (first fragment) -> TCP; then offset 1 (later one) */
	static const uint8_t frag0[8] = { 6, 0, 0x00, 0x01, 0, 0, 0, 7 };
	static const uint8_t frag1[8] = { 6, 0, 0x00, 0x08, 0, 0, 0, 7 };
	struct ct_pkt pk;
	struct ct_key k;
	struct tpkt p;
	bool err;

	(void)state;
	mk_icmp6_err(&p, hbh_dst, sizeof(hbh_dst), 0);
	pk = as_pkt(&p);
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_OK);
	assert_true(err);
	assert_int_equal(k.proto, 6);
	assert_int_equal(k.sport, BE16(4000));
	assert_int_equal(k.dport, BE16(80));
	assert_int_equal(k.src[15], 1);

	mk_icmp6_err(&p, frag0, sizeof(frag0), 44);
	pk = as_pkt(&p);
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_OK);
	assert_int_equal(k.dport, BE16(80));

	mk_icmp6_err(&p, frag1, sizeof(frag1), 44);
	pk = as_pkt(&p);
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_ICMP_TRUNC);

	/* Cut inside the extension header chain. */
	mk_icmp6_err(&p, hbh_dst, sizeof(hbh_dst), 0);
	p.l4_len = 8 + 40 + 12;
	pk = as_pkt(&p);
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_ICMP_TRUNC);
}

/* UDP-Lite: ports from the header (lib/flowcache leaves them 0), a checksum is required. */
static void
test_ct_udplite(void **state)
{
	struct ct_pkt pk;
	struct ct_key k;
	struct tpkt p;
	bool err;

	(void)state;
	mk_udp(&p, IP_A, 3000, IP_B, 53);
	p.key.nw_proto = 136;
	p.key.tp_src = p.key.tp_dst = 0;
	put16(p.l4 + 4, 8);      /* checksum coverage: the header */
	put16(p.l4 + 6, 0x1234); /* checksum (not verified) */
	pk = as_pkt(&p);
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_OK);
	assert_int_equal(k.sport, BE16(3000));
	assert_int_equal(k.dport, BE16(53));
	put16(p.l4 + 4, 0); /* 0: the whole datagram */
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_OK);
	put16(p.l4 + 6, 0); /* no checksum */
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_L4_TRUNC);
}

/* What nf_conntrack does and lib/ct now does too (docs/ct-differential.md). */
static void
test_ct_kernel_accounting(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct tpkt udp, err, wrong, syn, synack, ack, old, rst;
	struct ct_conn_info info;
	struct ct_result r;
	uint64_t expiry;

	(void)state;
	/* A related ICMP error is neither counted nor a reply; one sent to the quoted
	 * packet's destination relates to nothing. */
	mk_udp(&udp, IP_A, 2222, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &udp, 0, &r), TRK | NEW);
	mk_icmp_unreach(&err, IP_B, IP_A, IP_A, 2222, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &err, 0, &r), TRK | REL | RPL);
	ct_conn_get_info(r.conn, &info);
	assert_int_equal(info.n_packets[0], 1);
	assert_int_equal(info.n_packets[1], 0);
	assert_int_equal(info.proto_state, CT_UDP_FIRST);
	mk_icmp_unreach(&wrong, IP_A, IP_B, IP_A, 2222, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &wrong, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_ICMP_NO_CONN);
	/* A UDP length beyond the payload or below the header is malformed (udp_error()). */
	mk_udp(&wrong, IP_A, 2223, IP_B, 53);
	put16(wrong.l4 + 4, (uint16_t)(wrong.l4_len + 1));
	assert_int_equal(run1(t, &commit0, &wrong, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_L4_TRUNC);
	put16(wrong.l4 + 4, 7);
	assert_int_equal(run1(t, &commit0, &wrong, 0, &r), TRK | INV);
	put16(wrong.l4 + 4, 8); /* shorter than the IP payload: trailing bytes are fine */
	assert_int_equal(run1(t, &commit0, &wrong, 0, &r), TRK | NEW);
	assert_int_equal(ct_count(t), 2);

	/* A segment below the window passes (+est) without counting or refreshing. */
	mk_tcp(&syn, IP_A, 3333, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 1000, 0, 0 });
	mk_tcp(&synack, IP_B, 80, IP_A, 3333,
	       (struct tcpf){ CT_TCP_SYN | CT_TCP_ACK, 5000, 1001, 0 });
	mk_tcp(&ack, IP_A, 3333, IP_B, 80, (struct tcpf){ CT_TCP_ACK, 1001, 5001, 0 });
	mk_tcp(&old, IP_A, 3333, IP_B, 80, (struct tcpf){ CT_TCP_ACK, 1001 - 100000, 5001, 10 });
	assert_int_equal(run1(t, &commit0, &syn, 1000, NULL), TRK | NEW);
	assert_int_equal(run1(t, &commit0, &synack, 1000, NULL), TRK | EST | RPL);
	assert_int_equal(run1(t, &commit0, &ack, 1000, &r), TRK | EST);
	ct_conn_get_info(r.conn, &info);
	expiry = info.expiry;
	assert_int_equal(run1(t, &commit0, &old, 5000, &r), TRK | EST);
	assert_int_equal(r.reason, CT_R_TCP_IGNORED);
	ct_conn_get_info(r.conn, &info);
	assert_int_equal(info.expiry, expiry);
	assert_int_equal(info.n_packets[0], 2);

	/* An RST answering a SYN removes the connection at once. */
	mk_tcp(&syn, IP_A, 4444, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 1000, 0, 0 });
	mk_tcp(&rst, IP_B, 80, IP_A, 4444, (struct tcpf){ CT_TCP_RST | CT_TCP_ACK, 0, 1001, 0 });
	assert_int_equal(run1(t, &commit0, &syn, 1000, NULL), TRK | NEW);
	assert_int_equal(ct_count(t), 4);
	assert_int_equal(run1(t, &commit0, &rst, 1000, &r), TRK | EST | RPL);
	assert_null(r.conn);
	assert_int_equal(ct_count(t), 3);
	assert_int_equal(run1(t, &commit0, &rst, 1000, &r), TRK | INV);
	ct_tbl_destroy(t);
}

static void
test_ct_mark_label(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_exec_opts o = { .commit = true,
		                  .set_mark = true,
		                  .mark_val = 0xab,
		                  .mark_mask = 0xff,
		                  .set_label = true };
	struct ct_exec_opts nc = {
		.commit = false, .set_mark = true, .mark_val = 0x1, .mark_mask = 0xffffffff
	};
	struct tpkt req, rep;
	struct ct_result r;
	struct ct_conn_info info;

	(void)state;
	o.label_val[15] = 0x5a;
	o.label_mask[15] = 0xff;
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	mk_udp(&rep, IP_B, 53, IP_A, 1111);
	run1(t, &o, &req, 0, &r);
	assert_int_equal(r.mark, 0xab);
	assert_int_equal(r.label[15], 0x5a);
	/* Without commit the mark is not set, but read. */
	run1(t, &nc, &rep, 0, &r);
	assert_int_equal(r.mark, 0xab);
	ct_conn_get_info(r.conn, &info);
	assert_int_equal(info.mark, 0xab);
	assert_int_equal(info.label[15], 0x5a);
	ct_tbl_destroy(t);
}

/* A result carries the hash of the packet's own connection key when the call computed
 * it (each direction its own), for its caller's reuse (VXLAN entropy); 0 otherwise. */
static void
test_ct_result_hash(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct tpkt req, rep;
	struct ct_result r;
	struct ct_key k, rk;
	struct ct_pkt pk;
	bool err;

	(void)state;
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	mk_udp(&rep, IP_B, 53, IP_A, 1111);
	pk = as_pkt(&req);
	assert_int_equal(ct_key_extract(&pk, 0, &k, &err), CT_R_OK);
	ct_key_reverse(&k, &rk);
	assert_int_equal(run1(t, &commit0, &req, 0, &r), TRK | NEW);
	assert_int_equal(r.hash, ct_key_hash(&k));
	assert_int_equal(run1(t, &commit0, &req, 0, &r), TRK | NEW);
	assert_int_equal(r.hash, ct_key_hash(&k));
	assert_int_equal(run1(t, &commit0, &rep, 0, &r), TRK | EST | RPL);
	assert_int_equal(r.hash, ct_key_hash(&rk));
	assert_int_not_equal(ct_key_hash(&rk), ct_key_hash(&k));
	/* A packet that is not IP has none. */
	mk_udp(&req, IP_A, 1, IP_B, 2);
	req.key.dl_type = BE16(0x0806);
	assert_int_equal(run1(t, &commit0, &req, 0, &r), 0);
	assert_int_equal(r.hash, 0);
	ct_tbl_destroy(t);
}

static void
test_ct_untrackable(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct tpkt p;
	struct ct_result r;

	(void)state;
	mk_udp(&p, IP_A, 1, IP_B, 2);
	p.key.dl_type = BE16(0x0806);
	assert_int_equal(run1(t, &commit0, &p, 0, &r), 0);
	assert_int_equal(r.reason, CT_R_NOT_IP);
	mk_udp(&p, IP_A, 1, IP_B, 2);
	p.key.nw_frag = PM_FRAG_ANY;
	assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_FRAG);
	mk_tcp(&p, IP_A, 1, IP_B, 2, (struct tcpf){ CT_TCP_SYN, 1, 0, 0 });
	p.l4_len = 12;
	assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_TCP_TRUNC);
	assert_int_equal(ct_count(t), 0);
	ct_tbl_destroy(t);
}

static void
test_ct_ipv6_tcp(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_ctx st = { .tbl = t };
	struct tpkt p[2];
	struct ct_result r[2];
	int i;

	(void)state;
	mk_tcp(&p[0], 0, 4000, 0, 80, (struct tcpf){ CT_TCP_SYN, 100, 0, 0 });
	mk_tcp(&p[1], 0, 80, 0, 4000, (struct tcpf){ CT_TCP_SYN | CT_TCP_ACK, 900, 101, 0 });
	for (i = 0; i < 2; i++) {
		p[i].key.dl_type = BE16(0x86dd);
		p[i].key.ipv6_src[0] = 0x20;
		p[i].key.ipv6_dst[0] = 0x20;
		p[i].key.ipv6_src[15] = (uint8_t)(1 + i);
		p[i].key.ipv6_dst[15] = (uint8_t)(2 - i);
	}
	run(&st, &commit0, p, 2, 0, r);
	assert_int_equal(r[0].ct_state, TRK | NEW);
	assert_int_equal(r[1].ct_state, TRK | EST | RPL);
	assert_ptr_equal(r[0].conn, r[1].conn);
	ct_tbl_destroy(t);
}

/* Differential: the table against the array of what was inserted, with displacement. */
static void
test_ct_lookup_differential(void **state)
{
	enum { N = 200 };
	struct ct_tbl *t = mktbl(0, 64); /* 512 slots for up to 400 keys */
	static struct ct_key keys[N][2];
	static struct ct_conn *conns[N];
	uint32_t i, b, n_displaced = 0;

	(void)state;
	srand(7);
	for (i = 0; i < N; i++) {
		struct tpkt p;
		struct ct_result r;
		struct ct_pkt pk;
		bool err;

		mk_udp(&p, (uint32_t)rand(), (uint16_t)rand(), (uint32_t)rand(), (uint16_t)rand());
		run1(t, &commit0, &p, i < N / 2 ? 0 : 100000, &r);
		conns[i] = r.conn; /* NULL if the table was full around its buckets */
		pk = as_pkt(&p);
		ct_key_extract(&pk, 0, &keys[i][0], &err);
		ct_key_reverse(&keys[i][0], &keys[i][1]);
	}
	for (b = 0; b < 64; b++)
		n_displaced += t->cur->b[b].n_displaced;
	assert_true(n_displaced > 0);
	for (i = 0; i < N; i += 32) {
		const struct ct_key *kp[64];
		struct ct_conn *found[64];
		uint8_t dirs[64];
		uint64_t want = 0, hits;
		uint32_t j, m = N - i < 32 ? N - i : 32;

		for (j = 0; j < m; j++) {
			kp[2 * j] = &keys[i + j][0];
			kp[2 * j + 1] = &keys[i + j][1];
			if (conns[i + j])
				want |= UINT64_C(3) << (2 * j);
		}
		hits = ct_lookup_bulk(t, m == 32 ? UINT64_MAX : (UINT64_C(1) << (2 * m)) - 1, kp,
		                      found, dirs);
		assert_int_equal(hits, want);
		for (j = 0; j < 2 * m; j++) {
			if (!(hits >> j & 1))
				continue;
			assert_ptr_equal(found[j], conns[i + j / 2]);
			assert_int_equal(dirs[j], j & 1);
		}
	}
	/* Expire the first half; the second half must still be found. */
	ct_sweep(t, 60000, 64 * CT_BUCKET_ENTRIES);
	for (i = 0; i < N; i++) {
		uint8_t dir;
		struct ct_conn *c = NULL;
		const struct ct_key *kp[1] = { &keys[i][1] };

		ct_lookup_bulk(t, 1, kp, &c, &dir);
		assert_ptr_equal(c, i < N / 2 ? NULL : conns[i]);
	}
	ct_tbl_destroy(t);
}

/* Two threads create the same connections from opposite ends at once. */
enum { RACE_N = 4096 };

static pthread_barrier_t race_start;

struct race_arg {
	struct ct_tbl *t;
	int dir;
	uint8_t states[RACE_N];
	struct ct_conn *conns[RACE_N];
};

static void
race_pkt(struct tpkt *p, uint32_t i, int dir)
{
	if (dir == 0)
		mk_udp(p, IP_A + i, (uint16_t)(1000 + i), IP_B, 53);
	else
		mk_udp(p, IP_B, 53, IP_A + i, (uint16_t)(1000 + i));
}

static void *
race_thread(void *argp)
{
	struct race_arg *a = argp;
	struct ct_ctx st = { .tbl = a->t };
	uint32_t i, j;

	pthread_barrier_wait(&race_start);
	for (i = 0; i < RACE_N; i += 32) {
		struct tpkt p[32];
		struct ct_result r[32];

		for (j = 0; j < 32; j++)
			race_pkt(&p[j], i + j, a->dir);
		run(&st, &commit0, p, 32, 0, r);
		for (j = 0; j < 32; j++) {
			a->states[i + j] = r[j].ct_state;
			a->conns[i + j] = r[j].conn;
		}
	}
	return NULL;
}

static void
test_ct_concurrent_create_both_ends(void **state)
{
	static struct race_arg a[2];
	struct ct_tbl *t = mktbl(0, 2048);
	pthread_t th[2];
	uint32_t i, n_new = 0;
	int k;

	(void)state;
	assert_int_equal(pthread_barrier_init(&race_start, NULL, 2), 0);
	for (k = 0; k < 2; k++) {
		a[k].t = t;
		a[k].dir = k;
		assert_int_equal(pthread_create(&th[k], NULL, race_thread, &a[k]), 0);
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(pthread_join(th[k], NULL), 0);
	pthread_barrier_destroy(&race_start);
	assert_int_equal(ct_count(t), RACE_N);
	for (i = 0; i < RACE_N; i++) {
		struct ct_conn_info info;
		bool new0 = a[0].states[i] == (TRK | NEW), new1 = a[1].states[i] == (TRK | NEW);

		/* One end created it; the other saw it from the reply side. */
		assert_true(new0 != new1);
		assert_int_equal(a[new0 ? 1 : 0].states[i], TRK | EST | RPL);
		assert_ptr_equal(a[0].conns[i], a[1].conns[i]);
		ct_conn_get_info(a[0].conns[i], &info);
		assert_int_equal(info.n_packets[0], 1);
		assert_int_equal(info.n_packets[1], 1);
		n_new += new0;
	}
	print_message("created by the forward thread: %u of %u\n", n_new, (unsigned int)RACE_N);
	ct_tbl_destroy(t);
}

static unsigned int n_retired;
static struct ct_conn *retired[4];

static void
t_retire(void *arg, struct ct_tbl *tbl, struct ct_conn *c)
{
	(void)arg;
	(void)tbl;
	retired[n_retired++] = c;
}

/* Runs one packet through ct_execute_burst_ordered() with lookup hint 'hint'. */
static uint8_t
run1_hint(struct ct_tbl *t, const struct ct_exec_opts *o, const struct tpkt *p,
          struct ct_conn *hint, struct ct_result *r)
{
	struct ct_ctx x = { .tbl = t };
	struct ct_pkt pk = as_pkt(p);
	struct ct_order ord = { .conns = &hint };

	assert_int_equal(ct_execute_burst_ordered(&x, o, &pk, 1, 0, r, &ord), 1);
	return r->ct_state;
}

/*
 * Lookup hints (struct ct_order): the right connection is used in both directions; a hint
 * of another connection, of another zone, or of a deleted one (still readable: retire hook)
 * gives what a lookup gives.
 */
static void
test_ct_hints(void **state)
{
	struct ct_tbl_params p = {
		.alloc = t_alloc, .free = t_free, .retire = t_retire, .n_buckets = 64
	};
	const struct ct_exec_opts zone7 = { .zone = 7, .commit = true };
	struct ct_tbl *t = ct_tbl_create(&p);
	struct tpkt req, rep, other;
	struct ct_result r, ro;
	struct ct_conn *c;

	(void)state;
	assert_non_null(t);
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	mk_udp(&rep, IP_B, 53, IP_A, 1111);
	mk_udp(&other, IP_A, 2222, IP_B, 53);
	run1(t, &commit0, &req, 0, &r);
	c = r.conn;
	run1(t, &commit0, &other, 0, &ro);
	assert_ptr_not_equal(ro.conn, c);
	/* The right hint, reply direction, then the original one. */
	assert_int_equal(run1_hint(t, &commit0, &rep, c, &r), TRK | EST | RPL);
	assert_ptr_equal(r.conn, c);
	assert_int_equal(run1_hint(t, &commit0, &req, c, &r), TRK | EST);
	assert_ptr_equal(r.conn, c);
	/* Another connection's: looked up, found. */
	assert_int_equal(run1_hint(t, &commit0, &req, ro.conn, &r), TRK | EST);
	assert_ptr_equal(r.conn, c);
	/* Zone 7: the zone-0 connection is not its own, so a new one. */
	assert_int_equal(run1_hint(t, &zone7, &req, c, &r), TRK | NEW);
	assert_ptr_not_equal(r.conn, c);
	assert_int_equal(ct_count(t), 3);
	/* Deleted (still readable): looked up, not found, committed again. */
	n_retired = 0;
	assert_true(ct_conn_kill(t, c));
	assert_int_equal(run1_hint(t, &commit0, &req, c, &r), TRK | NEW);
	assert_ptr_not_equal(r.conn, c);
	assert_int_equal(ct_count(t), 3);
	assert_int_equal(n_retired, 1);
	ct_conn_free(t, retired[0]);
	ct_tbl_destroy(t);
}

static void
test_ct_retire_hook(void **state)
{
	struct ct_tbl_params p = {
		.alloc = t_alloc, .free = t_free, .retire = t_retire, .n_buckets = 8
	};
	struct ct_tbl *t = ct_tbl_create(&p);
	struct tpkt req;
	struct ct_result r;

	(void)state;
	assert_non_null(t);
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	run1(t, &commit0, &req, 0, &r);
	n_retired = 0;
	assert_int_equal(ct_sweep(t, 60000, 64), 1);
	assert_int_equal(n_retired, 1);
	assert_ptr_equal(retired[0], r.conn);
	ct_conn_free(t, retired[0]);

	/* An RST before any reply deletes the connection; with a retire hook the result
	 * still points at it (readable until the grace period). */
	{
		struct tpkt syn, rst;

		mk_tcp(&syn, IP_A, 4444, IP_B, 80, (struct tcpf){ CT_TCP_SYN, 1000, 0, 0 });
		mk_tcp(&rst, IP_B, 80, IP_A, 4444,
		       (struct tcpf){ CT_TCP_RST | CT_TCP_ACK, 0, 1001, 0 });
		run1(t, &commit0, &syn, 0, &r);
		assert_int_equal(run1(t, &commit0, &rst, 0, &r), TRK | EST | RPL);
		assert_int_equal(n_retired, 2);
		assert_ptr_equal(retired[1], r.conn);
		assert_int_equal(ct_count(t), 0);
		ct_conn_free(t, retired[1]);
	}
	ct_tbl_destroy(t);
}

static void
test_ct_create_params(void **state)
{
	struct ct_tbl_params p = { .alloc = t_alloc, .free = t_free, .n_buckets = 12 };

	(void)state;
	assert_null(ct_tbl_create(&p));
	assert_null(ct_tbl_create(NULL));
	p.n_buckets = 0;
	p.free = NULL;
	assert_null(ct_tbl_create(&p));
	ct_tbl_destroy(NULL);
	assert_string_equal(ct_reason_name(CT_R_TCP_SEQ_ABOVE), "tcp_seq_above");
	assert_string_equal(ct_reason_name(CT_R_N), "unknown");
	assert_string_equal(ct_tcp_state_name(CT_TCP_SYN_SENT2), "SYN_SENT2");
}

/* Per-zone timeouts: a zone with its own policy keeps its connections; others use the global. */
static void
test_ct_zone_timeouts(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	struct ct_exec_opts z7 = { .zone = 7, .commit = true };
	struct ct_timeouts g, z, got;
	struct tpkt a, b;
	struct ct_result r;
	int zone;

	(void)state;
	ct_timeouts_get(t, -1, &g);
	assert_int_equal(g.sec[CT_TMO_TCP_ESTABLISHED], 86400);
	assert_int_equal(g.sec[CT_TMO_UDP_FIRST], 60);
	g.sec[CT_TMO_UDP_FIRST] = 5;
	assert_int_equal(ct_timeouts_set(t, -1, &g), 0);
	z = g;
	z.sec[CT_TMO_UDP_FIRST] = 100;
	assert_int_equal(ct_timeouts_set(t, 7, &z), 0);
	assert_true(ct_zone_has_timeouts(t, 7));
	assert_false(ct_zone_has_timeouts(t, 8));
	ct_timeouts_get(t, 7, &got);
	assert_int_equal(got.sec[CT_TMO_UDP_FIRST], 100);
	ct_timeouts_get(t, 8, &got); /* no policy: the global one */
	assert_int_equal(got.sec[CT_TMO_UDP_FIRST], 5);

	mk_udp(&a, IP_A, 1, IP_B, 53);
	mk_udp(&b, IP_A, 2, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &a, 0, &r), TRK | NEW);
	assert_int_equal(run1(t, &z7, &b, 0, &r), TRK | NEW);
	/* At 6 s zone 0's connection is gone, zone 7's is not. */
	assert_int_equal(ct_sweep(t, 6000, 64 * CT_BUCKET_ENTRIES), 1);
	assert_int_equal(ct_zone_count(t, 0), 0);
	assert_int_equal(ct_zone_count(t, 7), 1);
	assert_int_equal(ct_sweep(t, 101000, 64 * CT_BUCKET_ENTRIES), 1);
	assert_int_equal(ct_count(t), 0);

	/* Errors: a zone out of range, and no room for more policies. */
	assert_int_equal(ct_timeouts_set(t, CT_N_ZONES, &z), -EINVAL);
	for (zone = 100; zone < 100 + CT_TMO_POLICIES_MAX - 2; zone++)
		assert_int_equal(ct_timeouts_set(t, zone, &z), 0);
	assert_int_equal(ct_timeouts_set(t, zone, &z), -ENOSPC);
	assert_int_equal(ct_timeouts_set(t, 100, &g), 0); /* an existing one can change */
	ct_tbl_destroy(t);
}

/* Iteration sees every connection once by its original key; kill deletes exactly one. */
static void
test_ct_iter_and_kill(void **state)
{
	struct ct_tbl *t = mktbl(0, 64);
	bool seen[20] = { false };
	struct ct_conn *c, *victim = NULL;
	struct tpkt p;
	struct ct_result r;
	uint64_t pos = 0;
	int i, n = 0;

	(void)state;
	for (i = 0; i < 20; i++) {
		mk_udp(&p, IP_A, (uint16_t)(1000 + i), IP_B, 53);
		assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | NEW);
	}
	while ((c = ct_iter_next(t, &pos)) != NULL) {
		const struct ct_key *k = ct_conn_key(c);
		int sp = rte_be_to_cpu_16(k->sport) - 1000;

		assert_true(sp >= 0 && sp < 20);
		assert_false(seen[sp]);
		assert_int_equal(rte_be_to_cpu_16(k->dport), 53);
		seen[sp] = true;
		if (sp == 7)
			victim = c;
		n++;
	}
	assert_int_equal(n, 20);
	assert_non_null(victim);
	assert_true(ct_conn_kill(t, victim));
	assert_false(ct_conn_kill(t, victim)); /* dead already: no double unlink */
	assert_int_equal(ct_count(t), 19);
	/* Its tuple is new again; the others are not. */
	mk_udp(&p, IP_B, 53, IP_A, 1007);
	assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | NEW);
	mk_udp(&p, IP_B, 53, IP_A, 1008);
	assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | EST | RPL);
	ct_tbl_destroy(t);
}

/* The global limit can change at run time, up to the capacity the buckets were sized for. */
static void
test_ct_max_conns_set(void **state)
{
	struct ct_tbl *t = mktbl(4, 64);
	struct tpkt p;
	struct ct_result r;

	(void)state;
	assert_int_equal(ct_max_conns(t), 4);
	assert_int_equal(ct_capacity(t), 64 * CT_BUCKET_ENTRIES / 4);
	assert_int_equal(ct_max_conns_set(t, 0), -EINVAL);
	assert_int_equal(ct_max_conns_set(t, ct_capacity(t) + 1), -EINVAL);
	assert_int_equal(ct_max_conns(t), 4);
	assert_int_equal(ct_max_conns_set(t, 1), 0);
	mk_udp(&p, IP_A, 1, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | NEW);
	mk_udp(&p, IP_A, 2, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | INV);
	assert_int_equal(r.reason, CT_R_LIMIT_GLOBAL);
	assert_int_equal(ct_max_conns_set(t, 2), 0);
	assert_int_equal(run1(t, &commit0, &p, 0, &r), TRK | NEW);
	ct_tbl_destroy(t);
}

/*
 * A hinted ct() as vs_ct.c runs it when 'cached' is set: ct_execute_cached() first, then,
 * if it declines, ct_execute_burst_ordered() with the hint.  '*decided' says whether
 * ct_execute_cached() took it.
 */
static uint8_t
run1_cached(struct ct_tbl *t, const struct ct_exec_opts *o, const struct tpkt *p,
            struct ct_conn *hint, struct ct_result *r, bool cached, bool *decided)
{
	struct ct_ctx x = { .tbl = t };

	*decided = cached && ct_execute_cached(&x, o, &p->key, hint, 0, r);
	if (*decided) {
		assert_int_equal(x.stats.n_reason[CT_R_OK], 1);
		return r->ct_state;
	}
	return run1_hint(t, o, p, hint, r);
}

/*
 * A recirculated ct() in the zone of the packet's previous one, whose key carries that
 * ct()'s result and whose hint is its connection: tracked once already, so not tracked or
 * counted again (the kernel datapath's cached entry); the key's state, mark and label
 * come back; a commit with exec still sets the mark.  In another zone, with a key that
 * does not say +trk, or once the connection is gone, the packet is tracked as usual.
 * Run twice: through ct_execute_burst_ordered() alone, and with ct_execute_cached() first,
 * which must decide exactly the cases that are not tracked again.
 */
static void
test_ct_hint_tracked_once(void **state)
{
	/* Both ways a hinted ct() runs: the burst call alone, and ct_execute_cached() first. */
	const bool cached = *state != NULL;
	struct ct_tbl_params p = {
		.alloc = t_alloc, .free = t_free, .retire = t_retire, .n_buckets = 64
	};
	const struct ct_exec_opts mark5 = {
		.zone = 0, .commit = true, .set_mark = true, .mark_val = 5, .mark_mask = 0xff
	};
	struct ct_tbl *t = ct_tbl_create(&p);
	struct ct_conn_info info;
	struct tpkt req;
	struct ct_result r;
	struct ct_conn *c;
	bool decided;

	assert_non_null(t);
	mk_udp(&req, IP_A, 1111, IP_B, 53);
	assert_int_equal(run1(t, &commit0, &req, 0, &r), TRK | NEW);
	c = r.conn;
	assert_int_equal(run1(t, &commit0, &req, 0, &r), TRK | NEW); /* a second packet */
	ct_conn_get_info(c, &info);
	assert_int_equal(info.n_packets[0], 2);

	/* The second packet's recirculated ct(commit): its key says +trk+new in zone 0. */
	req.key.ct_state = TRK | NEW;
	req.key.ct_zone = 0;
	req.key.ct_mark = 0;
	assert_int_equal(run1_cached(t, &commit0, &req, c, &r, cached, &decided), TRK | NEW);
	assert_int_equal(decided, cached);
	assert_ptr_equal(r.conn, c);
	ct_conn_get_info(c, &info);
	assert_int_equal(info.n_packets[0], 2); /* not counted again */
	/* With exec: the mark is set, still not counted. */
	assert_int_equal(run1_cached(t, &mark5, &req, c, &r, cached, &decided), TRK | NEW);
	assert_int_equal(decided, cached);
	assert_int_equal(r.mark, 5);
	ct_conn_get_info(c, &info);
	assert_int_equal(info.mark, 5);
	assert_int_equal(info.n_packets[0], 2);
	/* The key from another zone: tracked (and counted). */
	req.key.ct_zone = 3;
	assert_int_equal(run1_cached(t, &commit0, &req, c, &r, cached, &decided), TRK | NEW);
	assert_false(decided);
	ct_conn_get_info(c, &info);
	assert_int_equal(info.n_packets[0], 3);
	/* A key that was never tracked: tracked. */
	req.key.ct_zone = 0;
	req.key.ct_state = 0;
	assert_int_equal(run1_cached(t, &commit0, &req, c, &r, cached, &decided), TRK | NEW);
	assert_false(decided);
	ct_conn_get_info(c, &info);
	assert_int_equal(info.n_packets[0], 4);
	/* Gone: looked up, not found, committed again. */
	req.key.ct_state = TRK | NEW;
	n_retired = 0;
	assert_true(ct_conn_kill(t, c));
	assert_int_equal(run1_cached(t, &commit0, &req, c, &r, cached, &decided), TRK | NEW);
	assert_false(decided);
	assert_ptr_not_equal(r.conn, c);
	assert_int_equal(n_retired, 1);
	ct_conn_free(t, retired[0]);
	ct_tbl_destroy(t);
}

/* ---------------------------------------------------------------------- */
/* Growth: the bucket array starts small and doubles as the table fills.  */

static size_t g_live; /* bytes held through g_alloc() */

/* Allocator hook that counts what it holds; every block is 128-aligned with its size in
 * the 128 bytes in front of it (lib/ct asks for at most 128). */
static void *
g_alloc(void *arg, size_t size, size_t align)
{
	size_t rounded = (size + 127) / 128 * 128;
	uint8_t *p = aligned_alloc(128, rounded + 128);

	(void)arg;
	assert_true(align <= 128);
	if (p == NULL)
		return NULL;
	*(size_t *)p = rounded;
	__atomic_fetch_add(&g_live, rounded, __ATOMIC_RELAXED);
	return p + 128;
}

static void
g_free(void *arg, void *ptr)
{
	uint8_t *p = (uint8_t *)ptr - 128;

	(void)arg;
	if (ptr == NULL)
		return;
	__atomic_fetch_sub(&g_live, *(size_t *)p, __ATOMIC_RELAXED);
	free(p);
}

static struct ct_tbl *
mk_growing(uint32_t max_conns, uint32_t start, ct_retire_fn *retire)
{
	struct ct_tbl_params p = {
		.max_conns = max_conns,
		.start_buckets = start,
		.alloc = g_alloc,
		.free = g_free,
		.retire = retire,
		.tcp = { .loose = true },
	};
	struct ct_tbl *t = ct_tbl_create(&p);

	assert_non_null(t);
	return t;
}

static void
no_sync(void *arg)
{
	(void)arg;
}

/* UDP connection 'i' of set 'set', from the client (dir 0) or the server (dir 1). */
static void
grow_pkt(struct tpkt *p, uint32_t set, uint32_t i, int dir)
{
	uint32_t cli = 0x0b000000u + (set << 20) + (i >> 4);
	uint16_t cport = (uint16_t)(1024 + (i & 15));

	if (dir == 0)
		mk_udp(p, cli, cport, IP_B, 53);
	else
		mk_udp(p, IP_B, 53, cli, cport);
}

/* Runs packets first .. first + n - 1 of 'set' in bursts of 32; 'states' gets their ct_state. */
static void
grow_run(struct ct_ctx *x, uint32_t set, uint32_t first, uint32_t n, int dir, uint8_t *states,
         struct ct_conn **conns)
{
	uint32_t i, j;

	for (i = 0; i < n; i += 32) {
		struct tpkt p[32];
		struct ct_result r[32];
		uint32_t m = n - i < 32 ? n - i : 32;

		for (j = 0; j < m; j++)
			grow_pkt(&p[j], set, first + i + j, dir);
		run(x, &commit0, p, (uint16_t)m, 0, r);
		for (j = 0; j < m; j++) {
			states[i + j] = r[j].ct_state;
			if (conns != NULL)
				conns[i + j] = r[j].conn;
		}
	}
}

/*
 * From 8 buckets to what 20,000 connections need, one doubling (or more) at a time
 * between bursts: every connection stays found from both ends, the array never gets
 * over a quarter full, iteration sees each connection once, expiry finds them all, and
 * the arrays left behind are freed.
 */
static void
test_ct_grows(void **state)
{
	enum { N = 20000 };
	static uint8_t st[N];
	struct ct_tbl *t;
	struct ct_ctx x = { 0 };
	uint32_t i, n_grown = 0, n_iter = 0;
	uint64_t pos = 0;
	size_t live0 = g_live;

	(void)state;
	t = mk_growing(200000, 8, NULL);
	x.tbl = t;
	assert_int_equal(ct_n_buckets(t), 8);
	assert_int_equal(ct_capacity(t), 131072 * 2); /* the largest array: 131,072 buckets */
	for (i = 0; i < N; i += 32) {
		int rc;

		grow_run(&x, 0, i, N - i < 32 ? N - i : 32, 0, &st[i], NULL);
		while (ct_grow_wanted(t)) {
			rc = ct_grow(t, no_sync, NULL);
			assert_int_equal(rc, 1);
			n_grown++;
		}
		/* At most a quarter full after growing (two keys per connection). */
		assert_true((uint64_t)ct_count(t) * 2 * 4 <= (uint64_t)ct_n_buckets(t) * 8);
	}
	for (i = 0; i < N; i++)
		assert_int_equal(st[i], TRK | NEW);
	assert_int_equal(ct_count(t), N);
	assert_true(n_grown >= 5);
	/* 40,000 keys at most a quarter full: 20,000 buckets, so 32,768; not the 131,072
	 * sized for the limit. */
	assert_int_equal(ct_n_buckets(t), 32768);
	assert_int_equal(x.stats.n_reason[CT_R_TABLE_FULL], 0);
	/* The replies find every connection. */
	grow_run(&x, 0, 0, N, 1, st, NULL);
	for (i = 0; i < N; i++)
		assert_int_equal(st[i], TRK | EST | RPL);
	while (ct_iter_next(t, &pos) != NULL)
		n_iter++;
	assert_int_equal(n_iter, N);
	/* Expiry reaches every slot of the grown array. */
	assert_int_equal(ct_sweep(t, 3600 * 1000, 32768 * 8), N);
	assert_int_equal(ct_count(t), 0);
	ct_tbl_destroy(t);
	assert_int_equal(g_live, live0);
}

/* Growth while other threads look up, create and delete. */
enum { GC_A = 1024, GC_B = 40000 };

static struct {
	struct ct_tbl *t;
	uint64_t epoch[2]; /* bumped by each thread between bursts (quiescent) */
	int done[2];
	int stop;           /* the reader stops */
	uint64_t n_lookups; /* reader: keys of set A looked up */
	uint64_t n_misses;  /* reader: of those, not found */
	uint8_t st_b[GC_B];
	uint32_t n_killed;
	uint64_t n_full; /* writer: CT_R_TABLE_FULL */
	pthread_mutex_t retire_mu;
	struct ct_conn **retired;
	uint32_t n_retired;
} gc;

static void
gc_retire(void *arg, struct ct_tbl *tbl, struct ct_conn *c)
{
	(void)arg;
	(void)tbl;
	pthread_mutex_lock(&gc.retire_mu);
	gc.retired[gc.n_retired++] = c;
	pthread_mutex_unlock(&gc.retire_mu);
}

/* Waits until each thread still running has passed a quiescent state. */
static void
gc_sync(void *arg)
{
	uint64_t e[2];
	int k;

	(void)arg;
	for (k = 0; k < 2; k++)
		e[k] = __atomic_load_n(&gc.epoch[k], __ATOMIC_ACQUIRE);
	for (k = 0; k < 2; k++)
		while (!__atomic_load_n(&gc.done[k], __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&gc.epoch[k], __ATOMIC_ACQUIRE) == e[k])
			sched_yield();
}

/* Looks up both keys of every connection of set A, over and over. */
static void *
gc_reader(void *arg)
{
	static struct ct_key keys[GC_A][2];
	uint32_t i, j;

	(void)arg;
	for (i = 0; i < GC_A; i++) {
		struct tpkt p;
		struct ct_pkt pk;
		bool err;

		grow_pkt(&p, 1, i, 0);
		pk = as_pkt(&p);
		ct_key_extract(&pk, 0, &keys[i][0], &err);
		ct_key_reverse(&keys[i][0], &keys[i][1]);
	}
	while (!__atomic_load_n(&gc.stop, __ATOMIC_ACQUIRE)) {
		for (i = 0; i < GC_A; i += 32) {
			const struct ct_key *kp[64];
			struct ct_conn *found[64];
			uint8_t dirs[64];
			uint64_t hits;

			for (j = 0; j < 32; j++) {
				kp[2 * j] = &keys[i + j][0];
				kp[2 * j + 1] = &keys[i + j][1];
			}
			hits = ct_lookup_bulk(gc.t, UINT64_MAX, kp, found, dirs);
			gc.n_lookups += 64;
			gc.n_misses += 64 - (uint64_t)__builtin_popcountll(hits);
			__atomic_fetch_add(&gc.epoch[0], 1, __ATOMIC_RELEASE);
		}
	}
	__atomic_store_n(&gc.done[0], 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Creates set B (burst by burst), deleting every third connection right away. */
static void *
gc_writer(void *arg)
{
	struct ct_ctx x = { .tbl = gc.t };
	uint32_t i, j;

	(void)arg;
	for (i = 0; i < GC_B; i += 32) {
		struct ct_conn *conns[32];

		grow_run(&x, 2, i, 32, 0, &gc.st_b[i], conns);
		for (j = 0; j < 32; j++) {
			if ((i + j) % 3 == 0 && conns[j] != NULL && ct_conn_kill(gc.t, conns[j]))
				gc.n_killed++;
		}
		gc.n_full = x.stats.n_reason[CT_R_TABLE_FULL];
		__atomic_fetch_add(&gc.epoch[1], 1, __ATOMIC_RELEASE);
		/* Outrunning the grower (three threads on two CPUs) would fill the table; this
		 * test is about moving keys under traffic, not the race of growth with filling. */
		while ((uint64_t)ct_count(gc.t) * 2 * 2 > (uint64_t)ct_n_buckets(gc.t) * 8) {
			__atomic_fetch_add(&gc.epoch[1], 1, __ATOMIC_RELEASE);
			sched_yield();
		}
	}
	__atomic_store_n(&gc.done[1], 1, __ATOMIC_RELEASE);
	return NULL;
}

static void
test_ct_grow_concurrent(void **state)
{
	static uint8_t st[GC_B];
	struct ct_ctx x = { 0 };
	pthread_t rd, wr;
	uint32_t i, n_grown = 0, n_iter = 0, want;
	uint64_t pos = 0;
	struct ct_conn *c;
	size_t live0 = g_live;

	(void)state;
	memset(&gc, 0, sizeof(gc));
	pthread_mutex_init(&gc.retire_mu, NULL);
	gc.retired = calloc(GC_B, sizeof(*gc.retired));
	assert_non_null(gc.retired);
	gc.t = mk_growing(1000000, 8, gc_retire);
	x.tbl = gc.t;
	/* Set A, established, grown to fit before the threads start. */
	for (i = 0; i < GC_A; i += 32) {
		grow_run(&x, 1, i, 32, 0, st, NULL);
		grow_run(&x, 1, i, 32, 1, st, NULL);
		while (ct_grow_wanted(gc.t))
			assert_int_equal(ct_grow(gc.t, no_sync, NULL), 1);
	}
	assert_int_equal(ct_count(gc.t), GC_A);
	assert_int_equal(pthread_create(&rd, NULL, gc_reader, NULL), 0);
	assert_int_equal(pthread_create(&wr, NULL, gc_writer, NULL), 0);
	while (!__atomic_load_n(&gc.done[1], __ATOMIC_ACQUIRE)) {
		if (ct_grow_wanted(gc.t)) {
			int rc = ct_grow(gc.t, gc_sync, NULL);

			assert_true(rc == 1 || rc == -EAGAIN);
			n_grown += rc == 1;
		} else {
			sched_yield();
		}
	}
	__atomic_store_n(&gc.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(wr, NULL), 0);
	assert_int_equal(pthread_join(rd, NULL), 0);
	while (ct_grow_wanted(gc.t))
		assert_true(ct_grow(gc.t, no_sync, NULL) >= 0);

	/* The reader never missed an established connection while keys moved. */
	printf("grow_concurrent: %u growths, %" PRIu64 " lookups, %" PRIu64 " misses, %u buckets\n",
	       n_grown, gc.n_lookups, gc.n_misses, ct_n_buckets(gc.t));
	assert_true(gc.n_lookups > 0);
	assert_int_equal(gc.n_misses, 0);
	assert_true(n_grown >= 3);
	for (i = 0; i < GC_B; i++)
		assert_int_equal(gc.st_b[i], TRK | NEW);
	assert_int_equal(gc.n_full, 0);
	want = GC_A + GC_B - gc.n_killed;
	assert_int_equal(gc.n_killed, (GC_B + 2) / 3);
	assert_int_equal(ct_count(gc.t), want);
	/* Each live connection once; the deleted ones gone, the others found from the reply
	 * side. */
	while ((c = ct_iter_next(gc.t, &pos)) != NULL)
		n_iter++;
	assert_int_equal(n_iter, want);
	grow_run(&x, 2, 0, GC_B, 1, st, NULL);
	for (i = 0; i < GC_B; i++)
		assert_int_equal(st[i], i % 3 == 0 ? (TRK | NEW) : (TRK | EST | RPL));
	ct_tbl_destroy(gc.t);
	for (i = 0; i < gc.n_retired; i++)
		g_free(NULL, gc.retired[i]);
	free(gc.retired);
	pthread_mutex_destroy(&gc.retire_mu);
	assert_int_equal(g_live, live0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_udp_tracker),
		cmocka_unit_test(test_ct_zone_timeouts),
		cmocka_unit_test(test_ct_iter_and_kill),
		cmocka_unit_test(test_ct_max_conns_set),
		cmocka_unit_test(test_ct_icmp_tracker),
		cmocka_unit_test(test_ct_key_layout),
		cmocka_unit_test(test_ct_icmpv6_echo),
		cmocka_unit_test(test_ct_udp_request_response),
		cmocka_unit_test(test_ct_lookup_both_directions),
		cmocka_unit_test(test_ct_zones_separate),
		cmocka_unit_test(test_ct_no_commit),
		cmocka_unit_test(test_ct_global_limit),
		cmocka_unit_test(test_ct_zone_limit),
		cmocka_unit_test(test_ct_table_full),
		cmocka_unit_test(test_ct_holds_a_million),
		cmocka_unit_test(test_ct_sweep_budget),
		cmocka_unit_test(test_ct_expired_before_sweep),
		cmocka_unit_test(test_ct_same_burst_syn_synack),
		cmocka_unit_test(test_ct_stays_established),
		cmocka_unit_test(test_ct_burst_grouping_invariant),
		cmocka_unit_test(test_ct_invalid_first_not_committed),
		cmocka_unit_test(test_ct_time_wait_reuse),
		cmocka_unit_test(test_ct_time_wait_reuse_same_burst),
		cmocka_unit_test(test_ct_icmp_echo_and_error),
		cmocka_unit_test(test_ct_mark_label),
		cmocka_unit_test(test_ct_result_hash),
		cmocka_unit_test(test_ct_untrackable),
		cmocka_unit_test(test_ct_ipv6_tcp),
		cmocka_unit_test(test_ct_lookup_differential),
		cmocka_unit_test(test_ct_concurrent_create_both_ends),
		cmocka_unit_test(test_ct_retire_hook),
		cmocka_unit_test(test_ct_create_params),
		cmocka_unit_test(test_ct_kernel_accounting),
		cmocka_unit_test(test_ct_icmp6_error_ext_headers),
		cmocka_unit_test(test_ct_udplite),
		cmocka_unit_test(test_ct_ordered_stops_at_unsafe),
		cmocka_unit_test(test_ct_find_waits),
		cmocka_unit_test(test_ct_hints),
		cmocka_unit_test_prestate(test_ct_hint_tracked_once, NULL),
		cmocka_unit_test_prestate(test_ct_hint_tracked_once, (void *)"ct_execute_cached"),
		cmocka_unit_test(test_ct_grows),
		cmocka_unit_test(test_ct_grow_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
