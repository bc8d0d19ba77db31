/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hostile traffic through the real sluiced (issue 8, "Hostile and malformed
 * traffic"): a corpus generated here (runts, headers cut at every byte of
 * every layer, bad IHL, total lengths and TCP data offsets, IPv4 options,
 * long and self-repeating IPv6 extension chains, fragments, zero and
 * oversized lengths, VLAN stacks, bogus TCP flags, VXLAN garbage, ARP
 * garbage) goes in through a pcap port and a fixed rule set decides.
 *
 * The rules output unchanged frames or drop them for a reason the test can
 * predict from the ethertype and length alone, so each frame has an expected
 * verdict: forwarded (then it must come out, byte for byte and in order), or
 * dropped as runt, vlan_truncated, rx_oversize, table_miss, no_output or
 * ttl_expired (then that counter must count it).  The counters must add up
 * to every frame in, parse anomalies must be named, the mbuf pools must come
 * back to their baseline, and the daemon must still answer and forward.  A
 * second pass of random frames is checked by accounting alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pkt_build.h"
#include "th.h"

#define MAX_FRAMES 8192
#define MAX_FRAME  1518 /* default MTU 1500 + Ethernet header + one VLAN tag */

enum verdict {
	V_FWD,
	V_RUNT,
	V_VLAN_TRUNC,
	V_OVERSIZE,
	V_MISS,
	V_NO_OUTPUT,
	V_TTL,
	V_N,
};

/* Counter that counts each verdict: "pmd stats" drops/parse, or "port stats" drops. */
static const char *const verdict_key[V_N] = {
	NULL, "runt", "vlan_truncated", "rx_oversize", "table_miss", "no_output", "ttl_expired",
};

struct corpus {
	int n;
	uint8_t *frames[MAX_FRAMES];
	size_t lens[MAX_FRAMES];
	enum verdict v[MAX_FRAMES];
	int n_v[V_N];
};

static struct corpus c;
static struct th_frame out[MAX_FRAMES];
static struct th_out o;

/* The rules of the test: input port "in" will be ofport 3, added after them. */
#define HOSTILE_RULES                                                                              \
	"flow del\n"                                                                               \
	"flow add priority=10,in_port=3,tcp actions=output:out\n"                                  \
	"flow add priority=10,in_port=3,udp actions=output:out\n"                                  \
	"flow add priority=10,in_port=3,ipv6 actions=output:out\n"                                 \
	"flow add priority=9,in_port=3,icmp,nw_ttl=1 actions=dec_ttl,output:out\n"                 \
	"flow add priority=8,in_port=3,arp actions=output:out\n"                                   \
	"flow add priority=5,in_port=3,ip actions=output:out\n"                                    \
	"flow add priority=3,in_port=3,dl_type=0x88b5 actions=drop\n"

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The verdict the rules give, from the ethertype and length alone: the parser
 * drops only runts and cut VLAN tags, and forwards every other malformed
 * frame by what it could parse (dl_type always), so IPv4, IPv6 and ARP
 * frames all meet a rule that outputs them.  ICMP with TTL 1 is built well
 * formed only, so its TTL is parsed.
 */
static enum verdict
oracle(const uint8_t *f, size_t len, bool icmp_ttl1)
{
	uint16_t et;

	if (len > MAX_FRAME)
		return V_OVERSIZE;
	if (len < 14)
		return V_RUNT;
	et = be16(f + 12);
	if (et == 0x8100 || et == 0x88a8) {
		if (len < 18)
			return V_VLAN_TRUNC;
		et = be16(f + 16);
	}
	switch (et) {
	case 0x0800:
		return icmp_ttl1 ? V_TTL : V_FWD;
	case 0x86dd:
	case 0x0806:
		return V_FWD;
	case 0x88b5:
		return V_NO_OUTPUT;
	default:
		return V_MISS; /* other ethertypes, a second VLAN tag */
	}
}

static void
add_raw_v(const uint8_t *data, size_t len, bool icmp_ttl1)
{
	uint8_t *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	assert_true(c.n < MAX_FRAMES);
	memcpy(buf, data, len);
	c.frames[c.n] = buf;
	c.lens[c.n] = len;
	c.v[c.n] = oracle(data, len, icmp_ttl1);
	c.n_v[c.v[c.n]]++;
	c.n++;
}

static void
add_raw(const uint8_t *data, size_t len)
{
	add_raw_v(data, len, false);
}

/* Builds 'f' (padded to 'frame_len'), returns its length in 'buf'. */
static size_t
build(const struct pb_flow *f, uint8_t *buf, size_t frame_len)
{
	size_t len = pb_build(f, buf, PB_FRAME_MAX, frame_len);

	assert_true(len > 0);
	return len;
}

/* The frame, then the frame cut at every length from 14 up. */
static void
add_cuts(const struct pb_flow *f)
{
	uint8_t buf[PB_FRAME_MAX];
	size_t len = build(f, buf, 0), cut;

	for (cut = 14; cut <= len; cut++)
		add_raw(buf, cut);
}

static void
gen_runts_and_bare_headers(void)
{
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x88b5, 0x88cc };
	uint8_t buf[64];
	size_t i;

	memset(buf, 0xab, sizeof(buf));
	for (i = 0; i < 14; i += 3)
		add_raw(buf, i);
	add_raw(buf, 13);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		buf[12] = (uint8_t)(types[i] >> 8);
		buf[13] = (uint8_t)types[i];
		add_raw(buf, 14);
		add_raw(buf, 17);
	}
}

/* Headers cut at every byte, at every layer of every protocol. */
static void
gen_truncations(void)
{
	static const uint8_t ip_opts[8] = { 0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00 };
	static const uint8_t tcp_opts[8] = { 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07 };
	static const uint8_t protos[] = { PB_IPPROTO_TCP, PB_IPPROTO_UDP, PB_IPPROTO_ICMP,
		                          PB_IPPROTO_SCTP };
	struct pb_flow f, inner;
	size_t i;

	for (i = 0; i < sizeof(protos); i++) {
		pb_flow_init(&f);
		f.proto = protos[i];
		f.ip_opts = ip_opts;
		f.ip_opts_len = i == 0 ? sizeof(ip_opts) : 0;
		f.tcp_opts = tcp_opts;
		f.tcp_opts_len = sizeof(tcp_opts);
		add_cuts(&f);
		f.l3 = PB_L3_IPV6;
		if (f.proto == PB_IPPROTO_ICMP)
			f.proto = PB_IPPROTO_ICMPV6;
		f.n_ext = 2;
		f.ext[0].type = PB_IPPROTO_HOPOPTS;
		f.ext[1].type = PB_IPPROTO_ROUTING;
		f.ext[1].len8 = 1;
		add_cuts(&f);
	}
	pb_flow_init(&f);
	f.l3 = PB_L3_ARP;
	add_cuts(&f);
	/* Tagged and double-tagged. */
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_UDP;
	f.n_vlans = 1;
	f.vlan_tpid[0] = PB_ETH_VLAN;
	f.vlan_tci[0] = 100;
	add_cuts(&f);
	f.n_vlans = 2;
	f.vlan_tpid[0] = PB_ETH_QINQ;
	f.vlan_tci[1] = 200;
	f.vlan_tpid[1] = PB_ETH_VLAN;
	add_cuts(&f);
	/* VXLAN carrying TCP, cut inside the inner frame too. */
	pb_flow_init(&inner);
	inner.proto = PB_IPPROTO_TCP;
	pb_flow_init(&f);
	f.dport = PB_VXLAN_PORT;
	f.vxlan = true;
	f.vni = 42;
	f.inner = &inner;
	add_cuts(&f);
}

/* IHL, total length, TCP data offset, IPv4 options: every bad value. */
static void
gen_bad_lengths(void)
{
	static const uint16_t tot_lens[] = { 0, 1, 19, 20, 27, 500, 65535 };
	/* Options: EOL inside, option length 0 and 1, length past the header, LSRR, TS. */
	static const uint8_t opts[][8] = {
		{ 0x00, 0, 0, 0, 0, 0, 0, 0 },
		{ 0x83, 0x00, 0, 0, 0, 0, 0, 0 },
		{ 0x83, 0x01, 0, 0, 0, 0, 0, 0 },
		{ 0x83, 0x28, 4, 0, 0, 0, 0, 0 },
		{ 0x83, 0x07, 4, 10, 0, 0, 1, 0 },
		{ 0x44, 0x08, 5, 0x03, 0, 0, 0, 0 },
		{ 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01 },
	};
	uint8_t buf[PB_FRAME_MAX];
	struct pb_flow f;
	size_t len, i;
	unsigned int ihl, off;

	for (ihl = 0; ihl < 16; ihl++) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_UDP;
		len = build(&f, buf, 60);
		buf[14] = (uint8_t)(0x40 | ihl);
		add_raw(buf, len);
		buf[14] = (uint8_t)(0x60 | ihl); /* IPv6 version under the IPv4 ethertype */
		add_raw(buf, len);
	}
	for (i = 0; i < sizeof(tot_lens) / sizeof(tot_lens[0]); i++) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_TCP;
		len = build(&f, buf, 80);
		buf[16] = (uint8_t)(tot_lens[i] >> 8);
		buf[17] = (uint8_t)tot_lens[i];
		add_raw(buf, len);
		/* IPv6 payload length. */
		f.l3 = PB_L3_IPV6;
		len = build(&f, buf, 100);
		buf[18] = (uint8_t)(tot_lens[i] >> 8);
		buf[19] = (uint8_t)tot_lens[i];
		add_raw(buf, len);
	}
	for (off = 0; off < 16; off++) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_TCP;
		len = build(&f, buf, 0);
		buf[14 + 20 + 12] = (uint8_t)(off << 4);
		add_raw(buf, len);
		f.l3 = PB_L3_IPV6;
		len = build(&f, buf, 0);
		buf[14 + 40 + 12] = (uint8_t)(off << 4);
		add_raw(buf, len);
	}
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		pb_flow_init(&f);
		f.proto = i % 2 ? PB_IPPROTO_UDP : PB_IPPROTO_ICMP;
		f.ip_opts = opts[i];
		f.ip_opts_len = sizeof(opts[i]);
		add_raw(buf, build(&f, buf, 0));
	}
	/* Zero-filled and oversized frames. */
	memset(buf, 0, 200);
	add_raw(buf, 60);
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_UDP;
	add_raw(buf, build(&f, buf, MAX_FRAME)); /* the largest frame that passes */
	add_raw(buf, build(&f, buf, MAX_FRAME + 1));
	add_raw(buf, build(&f, buf, 4000));
	add_raw(buf, build(&f, buf, 9000));
}

/* IPv6 extension chains: long, repeating, lengths past the frame; IPv4 and IPv6 fragments. */
static void
gen_chains_and_fragments(void)
{
	static const uint16_t frag4[][2] = {
		/* flags|offset, payload bytes: first, middle, last, overlapping, tiny, DF+MF */
		{ PB_IP_MF, 64 },     { PB_IP_MF | 8, 64 }, { 16, 32 },
		{ PB_IP_MF | 1, 64 }, { PB_IP_MF | 1, 1 },  { PB_IP_DF | PB_IP_MF | 0x1fff, 8 },
	};
	static const uint8_t types[] = { PB_IPPROTO_HOPOPTS, PB_IPPROTO_ROUTING, PB_IPPROTO_DSTOPTS,
		                         PB_IPPROTO_FRAGMENT };
	static uint8_t payload[128];
	uint8_t buf[PB_FRAME_MAX];
	struct pb_flow f;
	size_t len, i;
	unsigned int n;

	for (n = 1; n <= PB_IPV6_EXT_MAX; n += 3) {
		for (i = 0; i < sizeof(types); i++) {
			unsigned int k;

			pb_flow_init(&f);
			f.l3 = PB_L3_IPV6;
			f.proto = PB_IPPROTO_UDP;
			f.n_ext = (uint8_t)n;
			for (k = 0; k < n; k++) {
				f.ext[k].type = k % 2 ? types[i] : PB_IPPROTO_DSTOPTS;
				f.ext[k].len8 = (uint8_t)(k % 3);
				f.ext[k].frag_off = (uint16_t)(k * 3);
				f.ext[k].frag_more = k % 2;
			}
			add_raw(buf, build(&f, buf, 0));
		}
	}
	/* A chain whose every header names itself as next (hop-by-hop repeated). */
	pb_flow_init(&f);
	f.l3 = PB_L3_IPV6;
	f.proto = PB_IPPROTO_NONE;
	f.payload = payload;
	f.payload_len = sizeof(payload);
	len = build(&f, buf, 0);
	buf[14 + 6] = PB_IPPROTO_HOPOPTS;
	for (i = 14 + 40; i + 8 <= len; i += 8) {
		buf[i] = PB_IPPROTO_HOPOPTS;
		buf[i + 1] = 0;
	}
	add_raw(buf, len);
	/* An extension header whose length runs past the frame. */
	buf[14 + 40 + 1] = 0xff;
	add_raw(buf, len);
	/* IPv4 fragments. */
	for (i = 0; i < sizeof(frag4) / sizeof(frag4[0]); i++) {
		pb_flow_init(&f);
		f.proto = i % 2 ? PB_IPPROTO_TCP : PB_IPPROTO_UDP;
		f.ip_id = 77;
		f.ip_frag = frag4[i][0];
		f.payload = payload;
		f.payload_len = frag4[i][1];
		add_raw(buf, build(&f, buf, 0));
	}
}

/* VLAN stacks, TCP flag combinations, VXLAN and ARP garbage, TTL 1. */
static void
gen_odd_but_parsable(void)
{
	uint8_t buf[PB_FRAME_MAX];
	struct pb_flow f, inner, inner2;
	size_t len, i;
	unsigned int flags;

	for (i = 0; i < 4; i++) {
		static const uint16_t vids[] = { 0, 1, 4094, 4095 };

		pb_flow_init(&f);
		f.proto = PB_IPPROTO_UDP;
		f.n_vlans = 1;
		f.vlan_tpid[0] = i % 2 ? PB_ETH_QINQ : PB_ETH_VLAN;
		f.vlan_tci[0] = (uint16_t)(vids[i] | 0xe000);
		add_raw(buf, build(&f, buf, 0));
	}
	/* Three and four tags (the builder does two: prepend more by hand). */
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_UDP;
	f.n_vlans = 2;
	f.vlan_tpid[0] = PB_ETH_QINQ;
	f.vlan_tpid[1] = PB_ETH_VLAN;
	len = build(&f, buf, 0);
	for (i = 0; i < 2; i++) {
		memmove(buf + 16, buf + 12, len - 12);
		buf[12] = 0x81;
		buf[13] = 0x00;
		buf[14] = 0x00;
		buf[15] = (uint8_t)(7 + i);
		len += 4;
		add_raw(buf, len);
	}
	for (flags = 0; flags < 0x1000; flags += 0x55) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_TCP;
		f.tcp_flags = (uint16_t)flags;
		add_raw(buf, build(&f, buf, 0));
	}
	f.tcp_flags = 0xfff;
	add_raw(buf, build(&f, buf, 0));
	/* VXLAN: bad flags, unknown VNI, reserved bits, nested VXLAN. */
	pb_flow_init(&inner2);
	inner2.proto = PB_IPPROTO_UDP;
	pb_flow_init(&inner);
	inner.dport = PB_VXLAN_PORT;
	inner.vxlan = true;
	inner.vni = 7;
	inner.inner = &inner2;
	pb_flow_init(&f);
	f.dport = PB_VXLAN_PORT;
	f.vxlan = true;
	f.vni = 0xffffff;
	f.inner = &inner;
	len = build(&f, buf, 0);
	add_raw(buf, len);
	for (i = 0; i < 4; i++) {
		static const uint8_t vflags[] = { 0x00, 0xff, 0x0c, 0x88 };

		buf[14 + 20 + 8] = vflags[i];
		buf[14 + 20 + 8 + 7] = (uint8_t)(i * 0x55);
		add_raw(buf, len);
	}
	/* ARP: bad hardware type, protocol length, opcodes, body cut. */
	for (i = 0; i < 6; i++) {
		pb_flow_init(&f);
		f.l3 = PB_L3_ARP;
		f.arp_op = (uint16_t)(i * 60);
		len = build(&f, buf, 0);
		if (i == 1)
			buf[14 + 1] = 6; /* htype */
		if (i == 2)
			buf[14 + 5] = 16; /* plen */
		if (i == 3)
			buf[14 + 4] = 0; /* hlen */
		add_raw(buf, i == 4 ? 14 + 20 : len);
	}
	/* ICMP with TTL 1: dec_ttl drops it. */
	for (i = 0; i < 3; i++) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_ICMP;
		f.ttl = (uint8_t)(i == 2 ? 2 : 1);
		add_raw_v(buf, build(&f, buf, 0), i != 2);
	}
}

static void
write_pcap(const char *path, uint8_t *const *frames, const size_t *lens, int n)
{
	assert_int_equal(th_write_pcap(path, frames, lens, n), 0);
}

static int64_t
pmd_num(const char *key)
{
	return th_json_num(o.buf, NULL, key);
}

/* Builds the random frames of the accounting-only pass. */
static int
gen_random(uint8_t **rnd, size_t *rnd_len, int n)
{
	static const uint16_t et[] = { 0x0800, 0x86dd, 0x8100, 0x0806 };
	int i;

	srand(8);
	for (i = 0; i < n; i++) {
		size_t l = (size_t)(rand() % 300), b;

		rnd[i] = malloc(l + 1);
		assert_non_null(rnd[i]);
		for (b = 0; b < l; b++)
			rnd[i][b] = (uint8_t)rand();
		if (l >= 18 && i % 3 != 0) {
			uint16_t t = et[i % 4];

			rnd[i][12] = (uint8_t)(t >> 8);
			rnd[i][13] = (uint8_t)t;
			if (t == 0x0800)
				rnd[i][14] = (uint8_t)(0x40 | (rnd[i][14] & 0x0f));
		}
		rnd_len[i] = l;
	}
	return n;
}

/* Frames every PMD counter and drop reason of "pmd stats" / "port stats" add up to. */
static int64_t
port_num(struct th_daemon *d, const char *port, const char *key)
{
	int64_t v = th_port_stat(d, port, key);

	assert_true(v >= 0);
	return v;
}

/* Pass 1's counters: each verdict counted by its counter, and nothing else. */
static void
check_corpus_counters(struct th_daemon *d)
{
	int64_t n_out, sum;
	int i;

	assert_int_equal(port_num(d, "in", "rx_packets"), c.n);
	n_out = port_num(d, "out", "tx_packets");
	assert_int_equal(n_out, c.n_v[V_FWD]);
	assert_int_equal(port_num(d, "in", "rx_oversize"), c.n_v[V_OVERSIZE]);
	assert_int_equal(port_num(d, "out", "tx_mtu_exceeded"), 0);
	assert_int_equal(port_num(d, "out", "tx_queue_full"), 0);
	assert_int_equal(th_ctl(d, &o, "--json pmd stats"), 0);
	sum = n_out + port_num(d, "in", "rx_oversize");
	for (i = V_RUNT; i < V_N; i++) {
		if (i == V_OVERSIZE)
			continue;
		if (pmd_num(verdict_key[i]) != c.n_v[i])
			fail_msg("%s: %lld counted, %d expected", verdict_key[i],
			         (long long)pmd_num(verdict_key[i]), c.n_v[i]);
		sum += pmd_num(verdict_key[i]);
	}
	/* No other drop reason counted anything: the sum is every frame in. */
	assert_int_equal(sum, c.n);
	assert_int_equal(pmd_num("upcall_drops"), 0);
	assert_int_equal(pmd_num("copy_failed"), 0);
	assert_int_equal(pmd_num("packets"), c.n);
	/* The anomalies are named. */
	assert_true(pmd_num("ip_truncated") > 0);
	assert_true(pmd_num("ip_bad_ihl") > 0);
	assert_true(pmd_num("ip_bad_len") > 0);
	assert_true(pmd_num("ip_bad_version") > 0);
	assert_true(pmd_num("l4_truncated") > 0);
	assert_true(pmd_num("tcp_bad_offset") > 0);
	assert_true(pmd_num("arp_truncated") > 0);
	assert_true(pmd_num("ipv6_ext_truncated") > 0);
}

/* The forwarded corpus frames came out unchanged and in order. */
static void
check_corpus_output(const char *dir)
{
	char path[400];
	int i, j, n;

	snprintf(path, sizeof(path), "%s/out.pcap", dir);
	n = th_read_pcap(path, out, MAX_FRAMES);
	assert_int_equal(n, c.n_v[V_FWD]);
	for (i = 0, j = 0; i < c.n; i++) {
		if (c.v[i] != V_FWD)
			continue;
		if (out[j].len != c.lens[i] || memcmp(out[j].data, c.frames[i], c.lens[i]) != 0)
			fail_msg("corpus frame %d (%zu bytes) came out as output %d (%u bytes)", i,
			         c.lens[i], j, out[j].len);
		j++;
	}
}

/*
 * The corpus through "in" → "out": every frame has its verdict; forwarded
 * frames come out unchanged and in order; the counters add up; mbufs come
 * back.  Then random frames through "junk" → "out2" (accounting only), and
 * the daemon still answers, traces a dec_ttl rule, and forwards new traffic.
 */
static void
test_hostile_corpus_accounted(void **state)
{
	static char baseline[1 << 16];
	static uint8_t *rnd[512], *good[64];
	static size_t rnd_len[512], good_len[64];
	static uint8_t good_buf[64][128];
	char dir[256], path[400], config[4096];
	struct th_daemon d;
	struct pb_flow f;
	int64_t junk_parse_drops, n_out2;
	int i, n, n_rnd, n_good = 40;

	(void)state;
	gen_runts_and_bare_headers();
	gen_truncations();
	gen_bad_lengths();
	gen_chains_and_fragments();
	gen_odd_but_parsable();
	for (i = 0; i < V_N; i++)
		assert_true(c.n_v[i] > 0); /* every verdict is exercised */
	n_rnd = gen_random(rnd, rnd_len, 300);
	print_message("corpus: %d frames, %d to forward, %d runts, %d cut tags, %d oversized, "
	              "%d table misses, %d drop actions, %d TTL 1\n",
	              c.n, c.n_v[V_FWD], c.n_v[V_RUNT], c.n_v[V_VLAN_TRUNC], c.n_v[V_OVERSIZE],
	              c.n_v[V_MISS], c.n_v[V_NO_OUTPUT], c.n_v[V_TTL]);
	for (i = 0; i < n_good; i++) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_UDP;
		f.sport = (uint16_t)(2000 + i);
		good[i] = good_buf[i];
		good_len[i] = build(&f, good_buf[i], 100);
	}

	th_scratch("hostile", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	write_pcap(path, c.frames, c.lens, c.n);
	snprintf(path, sizeof(path), "%s/junk.pcap", dir);
	write_pcap(path, rnd, rnd_len, n_rnd);
	snprintf(path, sizeof(path), "%s/good.pcap", dir);
	write_pcap(path, good, good_len, n_good);

	/* Output ports and rules first; the input ports come later, so the pools'
	 * baseline is taken before any traffic. */
	snprintf(config, sizeof(config),
	         "port add out dpdk net_pcap1,tx_pcap=%s/out.pcap\n"
	         "port add out2 dpdk net_pcap3,tx_pcap=%s/out2.pcap\n" HOSTILE_RULES
	         "flow add priority=10,in_port=4 actions=output:out2\n"
	         "flow add priority=10,in_port=5 actions=output:out2\n",
	         dir, dir);
	assert_int_equal(th_start(&d, "hostile", config, NULL, NULL), 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);

	/* Pass 1: the corpus, with a verdict per frame. */
	assert_int_equal(th_ctl_status(&d, "port add in dpdk net_pcap0,rx_pcap=%s/in.pcap ofport=3",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "in", c.n, 60), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	check_corpus_counters(&d);

	/* Pass 2: random frames, every one forwarded unless the parser drops it. */
	assert_int_equal(th_ctl_status(&d, "pmd stats clear"), 0);
	assert_int_equal(th_ctl_status(&d,
	                               "port add junk dpdk net_pcap2,rx_pcap=%s/junk.pcap ofport=4",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "junk", n_rnd, 30), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	junk_parse_drops = pmd_num("runt") + pmd_num("vlan_truncated");
	assert_true(junk_parse_drops > 0);
	assert_int_equal(port_num(&d, "out2", "tx_packets") + junk_parse_drops, n_rnd);
	assert_int_equal(pmd_num("packets"), n_rnd);

	/* The daemon still answers: a trace through dec_ttl (once fatal), then traffic. */
	assert_int_equal(th_ctl_status(&d, "flow add priority=20,in_port=3,ip,nw_ttl=5 "
	                                   "actions=dec_ttl,output:out"),
	                 0);
	assert_int_equal(th_ctl(&d, &o, "flow trace in_port=3,ip,nw_ttl=5"), 0);
	assert_non_null(strcasestr(o.buf, "dec_ttl"));
	assert_non_null(strstr(o.buf, "output to out"));
	assert_int_equal(th_ctl_status(&d,
	                               "port add good dpdk net_pcap4,rx_pcap=%s/good.pcap ofport=5",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "good", n_good, 30), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	n_out2 = port_num(&d, "out2", "tx_packets");
	assert_int_equal(th_stop(&d), 0);

	check_corpus_output(dir);
	/* The good frames after the junk, unchanged. */
	snprintf(path, sizeof(path), "%s/out2.pcap", dir);
	n = th_read_pcap(path, out, MAX_FRAMES);
	assert_int_equal(n, n_out2);
	assert_true(n >= n_good);
	for (i = 0; i < n_good; i++) {
		const struct th_frame *fr = &out[n - n_good + i];

		assert_int_equal(fr->len, good_len[i]);
		assert_memory_equal(fr->data, good[i], good_len[i]);
	}
	for (i = 0; i < c.n; i++)
		free(c.frames[i]);
	for (i = 0; i < n_rnd; i++)
		free(rnd[i]);
}

/*
 * A frame whose TTL expires at dec_ttl, then frames of the same flow with a
 * live TTL in the same burst: the first is dropped as ttl_expired, the others
 * leave with their TTL decremented (a megaflow of the expired frame once
 * dropped them all: its action list ended at dec_ttl).
 */
static void
test_hostile_ttl_expiry_not_cached(void **state)
{
	uint8_t *frames[21];
	size_t lens[21];
	uint8_t bufs[21][128];
	char dir[256], path[400], config[1024];
	struct th_daemon d;
	struct pb_flow f;
	int i, n;

	(void)state;
	for (i = 0; i < 21; i++) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_UDP;
		f.ttl = (uint8_t)(i == 0 ? 1 : 64);
		frames[i] = bufs[i];
		lens[i] = build(&f, bufs[i], 80);
	}
	th_scratch("hostile-ttl", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	write_pcap(path, frames, lens, 21);
	snprintf(config, sizeof(config),
	         "port add out dpdk net_pcap1,tx_pcap=%s/out.pcap\n"
	         "flow del\n"
	         "flow add in_port=3,ip actions=dec_ttl,output:out\n",
	         dir);
	assert_int_equal(th_start(&d, "hostile-ttl", config, NULL, NULL), 0);
	assert_int_equal(th_ctl_status(&d, "port add in dpdk net_pcap0,rx_pcap=%s ofport=3", path),
	                 0);
	assert_int_equal(th_wait_rx(&d, "in", 21, 20), 0);
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_int_equal(pmd_num("ttl_expired"), 1);
	assert_int_equal(th_stop(&d), 0);
	snprintf(path, sizeof(path), "%s/out.pcap", dir);
	n = th_read_pcap(path, out, MAX_FRAMES);
	assert_int_equal(n, 20);
	for (i = 0; i < n; i++)
		assert_int_equal(out[i].data[14 + 8], 63); /* TTL decremented */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_corpus_accounted),
		cmocka_unit_test(test_hostile_ttl_expiry_not_cached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
