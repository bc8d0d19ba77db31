/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcap-in / pcap-out tests of the real sluiced pipeline: frames generated
 * here go in through net_pcap rx_pcap files, the flows decide, and the
 * frames that come out of the tx_pcap files are compared with what the flows
 * say (bytes, order, per-port counts, checksums recomputed independently).
 */
#include <arpa/inet.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pkt_build.h"
#include "th.h"

#define MAX_FRAMES 4096

static struct th_frame out_a[MAX_FRAMES], out_b[MAX_FRAMES];
static struct th_out o;

/* Frames under construction for one input pcap. */
struct input {
	int n;
	uint8_t *frames[MAX_FRAMES];
	size_t lens[MAX_FRAMES];
};

static void
input_add(struct input *in, const struct pb_flow *f, size_t frame_len)
{
	uint8_t *buf = malloc(PB_FRAME_MAX);
	size_t len;

	assert_non_null(buf);
	len = pb_build(f, buf, PB_FRAME_MAX, frame_len);
	assert_true(len > 0);
	in->frames[in->n] = buf;
	in->lens[in->n++] = len;
}

static void
input_add_raw(struct input *in, const uint8_t *data, size_t len)
{
	uint8_t *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	memcpy(buf, data, len);
	in->frames[in->n] = buf;
	in->lens[in->n++] = len;
}

static void
input_write(struct input *in, const char *path)
{
	int i;

	assert_int_equal(th_write_pcap(path, in->frames, in->lens, in->n), 0);
	for (i = 0; i < in->n; i++)
		free(in->frames[i]);
	in->n = 0;
}

static void
udp_flow(struct pb_flow *f, uint32_t src, uint16_t sport, uint16_t dport)
{
	pb_flow_init(f);
	f->src_ip4 = src;
	f->dst_ip4 = 0x0a000002;
	f->proto = PB_IPPROTO_UDP;
	f->sport = sport;
	f->dport = dport;
}

/* Runs sluiced on 'config' (which names <dir>/in.pcap etc. through "%s"). */
static void
start(struct th_daemon *d, const char *name, const char *config_fmt, struct input *in)
{
	char dir[256], in_path[320], config[8192];

	th_scratch(name, dir, sizeof(dir));
	snprintf(in_path, sizeof(in_path), "%s/in.pcap", dir);
	input_write(in, in_path);
	/* The config refers to the scratch dir as %1$s. */
	snprintf(config, sizeof(config), config_fmt, dir);
	assert_int_equal(th_start(d, name, config, NULL, NULL), 0);
}

static void
stop_ok(struct th_daemon *d)
{
	assert_int_equal(th_stop(d), 0);
}

/* ------------------------------------------------------------------ */

/* in_port forwarding: every frame comes out unchanged, in order. */
static void
test_pipeline_in_port_forwarding(void **state)
{
	static struct input in;
	struct th_daemon d;
	struct pb_flow f;
	char path[400];
	int i, n;

	(void)state;
	for (i = 0; i < 500; i++) {
		udp_flow(&f, 0x0a010000 + (uint32_t)i, (uint16_t)(1024 + i), 5000);
		input_add(&in, &f, 60 + (size_t)(i % 3) * 100);
	}
	start(&d, "fwd",
	      "port add out dpdk net_pcap1,tx_pcap=%1$s/out.pcap\n"
	      "port add in dpdk net_pcap0,rx_pcap=%1$s/in.pcap\n"
	      "flow del\n"
	      "flow add in_port=in actions=output:out\n",
	      &in);
	assert_int_equal(th_wait_rx(&d, "in", 500, 20), 0);
	assert_int_equal(th_ctl(&d, &o, "--json port stats out"), 0);
	stop_ok(&d);
	snprintf(path, sizeof(path), "%s/out.pcap", d.dir);
	n = th_read_pcap(path, out_a, MAX_FRAMES);
	assert_int_equal(n, 500);
	for (i = 0; i < 500; i++) {
		uint8_t expect[PB_FRAME_MAX];
		size_t len;

		udp_flow(&f, 0x0a010000 + (uint32_t)i, (uint16_t)(1024 + i), 5000);
		len = pb_build(&f, expect, sizeof(expect), 60 + (size_t)(i % 3) * 100);
		assert_int_equal(out_a[i].len, len);
		assert_memory_equal(out_a[i].data, expect, len);
	}
}

/*
 * Whole bursts to one port with frames over its MTU among them.  The first burst
 * (an upcall, then 31 late hits) fills the tx buffer to 32 and sends it, so the
 * second burst finds the buffer empty: a full burst that would leave from the
 * pass's own array, had frame 40 not been too long (vs_pmd_tx_burst() checks
 * first, then takes the per-frame path); frame 70 then meets a buffer that is
 * not empty.  Both long frames are dropped and counted, the others leave in
 * order, and the port counts exactly the frames and bytes it sent.
 */
static void
test_pipeline_full_bursts_over_mtu(void **state)
{
	enum { N = 96 };
	static struct input in;
	struct th_daemon d;
	struct pb_flow f;
	uint64_t bytes = 0;
	char path[400];
	int i, n, k = 0;

	(void)state;
	/* Frames 40 and 70 (in the second and third bursts of 32) are longer than out's MTU. */
	for (i = 0; i < N; i++) {
		udp_flow(&f, 0x0a010000 + (uint32_t)i, (uint16_t)(1024 + i), 5000);
		input_add(&in, &f, i == 40 || i == 70 ? 1400 : 60 + (size_t)(i % 3) * 100);
		if (i != 40 && i != 70)
			bytes += in.lens[i];
	}
	start(&d, "burst_mtu",
	      "port add out dpdk net_pcap1,tx_pcap=%1$s/out.pcap mtu=1000\n"
	      "port add in dpdk net_pcap0,rx_pcap=%1$s/in.pcap\n"
	      "flow del\n"
	      "flow add in_port=in actions=output:out\n",
	      &in);
	assert_int_equal(th_wait_rx(&d, "in", N, 20), 0);
	usleep(100000);
	assert_int_equal(th_port_stat(&d, "out", "tx_mtu_exceeded"), 2);
	assert_int_equal(th_port_stat(&d, "out", "tx_packets"), N - 2);
	assert_int_equal(th_port_stat(&d, "out", "tx_bytes"), bytes);
	stop_ok(&d);
	snprintf(path, sizeof(path), "%s/out.pcap", d.dir);
	n = th_read_pcap(path, out_a, MAX_FRAMES);
	assert_int_equal(n, N - 2);
	for (i = 0; i < N; i++) {
		uint8_t expect[PB_FRAME_MAX];
		size_t len;

		if (i == 40 || i == 70)
			continue;
		udp_flow(&f, 0x0a010000 + (uint32_t)i, (uint16_t)(1024 + i), 5000);
		len = pb_build(&f, expect, sizeof(expect), 60 + (size_t)(i % 3) * 100);
		assert_int_equal(out_a[k].len, len);
		assert_memory_equal(out_a[k].data, expect, len);
		k++;
	}
}

/* L2/L3/L4 matches and priorities send each frame to the right port. */
static void
test_pipeline_matches_and_priorities(void **state)
{
	static struct input in;
	struct th_daemon d;
	struct pb_flow f;
	char path[400];
	int i, n_a, n_b, want_a = 0, want_b = 0, want_drop = 0;

	(void)state;
	for (i = 0; i < 300; i++) {
		pb_flow_init(&f);
		f.src_ip4 = 0x0a000001 + (uint32_t)(i % 7);
		switch (i % 5) {
		case 0: /* TCP to port 80 from 10.0.0.0/30 -> a */
			f.proto = PB_IPPROTO_TCP;
			f.dport = 80;
			if ((f.src_ip4 & 0xfffffffc) == 0x0a000000)
				want_a++;
			else
				want_b++; /* falls to "ip -> b" */
			break;
		case 1: /* UDP to 53 -> b */
			f.proto = PB_IPPROTO_UDP;
			f.dport = 53;
			want_b++;
			break;
		case 2: /* UDP to 99 -> ip rule -> b */
			f.proto = PB_IPPROTO_UDP;
			f.dport = 99;
			want_b++;
			break;
		case 3: /* ARP -> no rule -> dropped */
			f.l3 = PB_L3_ARP;
			f.arp_op = 1;
			want_drop++;
			break;
		case 4: /* dl_src 02:00:00:00:00:99 -> drop rule outranks */
			f.src_mac[5] = 0x99;
			f.proto = PB_IPPROTO_TCP;
			f.dport = 80;
			want_drop++;
			break;
		}
		input_add(&in, &f, 60);
	}
	start(&d, "match",
	      "port add a dpdk net_pcap1,tx_pcap=%1$s/a.pcap\n"
	      "port add b dpdk net_pcap2,tx_pcap=%1$s/b.pcap\n"
	      "port add in dpdk net_pcap0,rx_pcap=%1$s/in.pcap\n"
	      "flow del\n"
	      "flow add priority=300,dl_src=02:00:00:00:00:99 actions=drop\n"
	      "flow add priority=200,tcp,nw_src=10.0.0.0/30,tp_dst=80 actions=output:a\n"
	      "flow add priority=100,udp,tp_dst=53 actions=output:b\n"
	      "flow add priority=50,ip actions=output:b\n",
	      &in);
	assert_int_equal(th_wait_rx(&d, "in", 300, 20), 0);
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "table_miss") +
	                                 th_json_num(o.buf, NULL, "no_output"),
	                 want_drop);
	assert_int_equal(th_ctl(&d, &o, "--json flow dump"), 0);
	stop_ok(&d);
	snprintf(path, sizeof(path), "%s/a.pcap", d.dir);
	n_a = th_read_pcap(path, out_a, MAX_FRAMES);
	snprintf(path, sizeof(path), "%s/b.pcap", d.dir);
	n_b = th_read_pcap(path, out_b, MAX_FRAMES);
	assert_int_equal(n_a, want_a);
	assert_int_equal(n_b, want_b);
	for (i = 0; i < n_a; i++)
		assert_int_equal(out_a[i].data[23], PB_IPPROTO_TCP);
}

/* VLAN push (mod_vlan_vid) and pop (strip_vlan). */
static void
test_pipeline_vlan_push_pop(void **state)
{
	static struct input in;
	struct th_daemon d;
	struct pb_flow f;
	char path[400];
	int i, n_a, n_b;

	(void)state;
	for (i = 0; i < 100; i++) {
		udp_flow(&f, 0x0a000001, (uint16_t)(1000 + i), 7);
		if (i % 2) { /* tagged with VLAN 20 */
			f.n_vlans = 1;
			f.vlan_tpid[0] = PB_ETH_VLAN;
			f.vlan_tci[0] = 20;
		}
		input_add(&in, &f, 64);
	}
	start(&d, "vlan",
	      "port add a dpdk net_pcap1,tx_pcap=%1$s/a.pcap\n"
	      "port add b dpdk net_pcap2,tx_pcap=%1$s/b.pcap\n"
	      "port add in dpdk net_pcap0,rx_pcap=%1$s/in.pcap\n"
	      "flow del\n"
	      "flow add priority=10,in_port=in,dl_vlan=0xffff actions=mod_vlan_vid:10,output:a\n"
	      "flow add priority=10,in_port=in,dl_vlan=20 actions=strip_vlan,output:b\n",
	      &in);
	assert_int_equal(th_wait_rx(&d, "in", 100, 20), 0);
	stop_ok(&d);
	snprintf(path, sizeof(path), "%s/a.pcap", d.dir);
	n_a = th_read_pcap(path, out_a, MAX_FRAMES);
	snprintf(path, sizeof(path), "%s/b.pcap", d.dir);
	n_b = th_read_pcap(path, out_b, MAX_FRAMES);
	assert_int_equal(n_a, 50);
	assert_int_equal(n_b, 50);
	for (i = 0; i < 50; i++) {
		uint8_t expect[PB_FRAME_MAX];
		size_t len;

		/* a: the untagged frames, now tagged 10 (TPID 0x8100, TCI 10). */
		assert_int_equal(out_a[i].len, 68);
		assert_int_equal(out_a[i].data[12], 0x81);
		assert_int_equal(out_a[i].data[13], 0x00);
		assert_int_equal(out_a[i].data[14], 0x00);
		assert_int_equal(out_a[i].data[15], 10);
		assert_int_equal(out_a[i].data[16], 0x08);
		/* b: the tagged frames, untagged: identical to building them untagged. */
		udp_flow(&f, 0x0a000001, (uint16_t)(1000 + 2 * i + 1), 7);
		len = pb_build(&f, expect, sizeof(expect), 60);
		assert_int_equal(out_b[i].len, len);
		assert_memory_equal(out_b[i].data, expect, len);
	}
}

/* set_field rewrites leave valid checksums (verified independently). */
static void
test_pipeline_rewrites_fix_checksums(void **state)
{
	static struct input in;
	struct th_daemon d;
	struct pb_flow f;
	char path[400];
	int i, n;

	(void)state;
	for (i = 0; i < 90; i++) {
		pb_flow_init(&f);
		f.proto = i % 3 == 0 ? PB_IPPROTO_TCP :
		          i % 3 == 1 ? PB_IPPROTO_UDP :
		                       PB_IPPROTO_ICMP;
		f.sport = (uint16_t)(2000 + i);
		f.dport = 80;
		f.ttl = 64;
		input_add(&in, &f, 80);
	}
	start(&d, "rewrite",
	      "port add a dpdk net_pcap1,tx_pcap=%1$s/a.pcap\n"
	      "port add in dpdk net_pcap0,rx_pcap=%1$s/in.pcap\n"
	      "flow del\n"
	      "flow add in_port=in,ip actions=mod_nw_src:192.168.7.9,set_field:172.16.0.1->nw_dst,"
	      "mod_dl_dst:0a:0b:0c:0d:0e:0f,dec_ttl,resubmit(,1)\n"
	      "flow add table=1,tcp actions=mod_tp_dst:8080,mod_nw_tos:32,output:a\n"
	      "flow add table=1,udp actions=set_field:53->tp_src,output:a\n"
	      "flow add table=1,icmp actions=output:a\n",
	      &in);
	assert_int_equal(th_wait_rx(&d, "in", 90, 20), 0);
	stop_ok(&d);
	snprintf(path, sizeof(path), "%s/a.pcap", d.dir);
	n = th_read_pcap(path, out_a, MAX_FRAMES);
	assert_int_equal(n, 90);
	for (i = 0; i < n; i++) {
		const uint8_t *p = out_a[i].data;
		uint32_t a;

		assert_int_equal(pb_verify_checksums(p, out_a[i].len), 0);
		assert_memory_equal(p, "\x0a\x0b\x0c\x0d\x0e\x0f", 6);
		memcpy(&a, p + 26, 4);
		assert_int_equal(ntohl(a), 0xc0a80709);
		memcpy(&a, p + 30, 4);
		assert_int_equal(ntohl(a), 0xac100001);
		assert_int_equal(p[22], 63); /* TTL */
		if (p[23] == PB_IPPROTO_TCP) {
			assert_int_equal(p[36] << 8 | p[37], 8080);
			assert_int_equal(p[15], 32);
		} else if (p[23] == PB_IPPROTO_UDP) {
			assert_int_equal(p[34] << 8 | p[35], 53);
		}
	}
}

/* The fresh switch: 'normal' floods unknown destinations and learns. */
static void
test_pipeline_normal_learns_and_floods(void **state)
{
	static struct input in;
	struct th_daemon d;
	struct pb_flow f;
	char path[400];
	int n;

	(void)state;
	/* Phase 1: A (02:..:0a) -> B (02:..:0b), B unknown: flooded to b and c. */
	udp_flow(&f, 0x0a000001, 1, 2);
	f.src_mac[5] = 0x0a;
	f.dst_mac[5] = 0x0b;
	input_add(&in, &f, 60);
	start(&d, "normal",
	      "port add b dpdk net_pcap1,tx_pcap=%1$s/b.pcap\n"
	      "port add c dpdk net_pcap2,tx_pcap=%1$s/c.pcap\n"
	      "port add a dpdk net_pcap0,rx_pcap=%1$s/in.pcap,tx_pcap=%1$s/a.pcap\n",
	      &in);
	assert_int_equal(th_wait_rx(&d, "a", 1, 20), 0);
	/* Phase 2: B answers from a new port, so sluice learns B there... */
	udp_flow(&f, 0x0a000002, 2, 1);
	f.src_mac[5] = 0x0b;
	f.dst_mac[5] = 0x0a;
	input_add(&in, &f, 60);
	snprintf(path, sizeof(path), "%s/b2in.pcap", d.dir);
	input_write(&in, path);
	assert_int_equal(th_ctl(&d, &o,
	                        "port add b2 dpdk net_pcap3,rx_pcap=%s/b2in.pcap,"
	                        "tx_pcap=%s/b2.pcap",
	                        d.dir, d.dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "b2", 1, 20), 0);
	/* ... and A's next frame to B goes to b2 only. */
	udp_flow(&f, 0x0a000001, 1, 2);
	f.src_mac[5] = 0x0a;
	f.dst_mac[5] = 0x0b;
	input_add(&in, &f, 60);
	snprintf(path, sizeof(path), "%s/a2in.pcap", d.dir);
	input_write(&in, path);
	assert_int_equal(th_ctl(&d, &o, "port add a2 dpdk net_pcap4,rx_pcap=%s/a2in.pcap", d.dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "a2", 1, 20), 0);
	assert_int_equal(th_ctl(&d, &o, "fdb show"), 0);
	assert_non_null(strstr(o.buf, "02:00:00:00:00:0b"));
	stop_ok(&d);
	/* b and c saw the flooded first frame only; a got B's reply (A was learned on a). */
	snprintf(path, sizeof(path), "%s/b.pcap", d.dir);
	assert_int_equal(th_read_pcap(path, out_a, MAX_FRAMES), 1);
	snprintf(path, sizeof(path), "%s/c.pcap", d.dir);
	assert_int_equal(th_read_pcap(path, out_a, MAX_FRAMES), 1);
	snprintf(path, sizeof(path), "%s/a.pcap", d.dir);
	n = th_read_pcap(path, out_a, MAX_FRAMES);
	assert_int_equal(n, 1);
	assert_int_equal(out_a[0].data[11], 0x0b);
	snprintf(path, sizeof(path), "%s/b2.pcap", d.dir);
	n = th_read_pcap(path, out_b, MAX_FRAMES);
	assert_int_equal(n, 1);
	assert_int_equal(out_b[0].data[5], 0x0b);
	assert_int_equal(out_b[0].data[11], 0x0a);
}

/* Malformed frames never crash; every frame is accounted for; mbufs come back. */
static void
test_pipeline_malformed_corpus(void **state)
{
	static struct input in;
	static char baseline[1 << 16];
	struct th_daemon d;
	struct pb_flow f;
	uint8_t buf[PB_FRAME_MAX];
	char path[400];
	size_t len, cut;
	int i, n_in, n_out;
	int64_t drops, parse_drops;

	(void)state;
	/* Runts. */
	for (cut = 0; cut < 14; cut += 3) {
		memset(buf, 0xab, sizeof(buf));
		input_add_raw(&in, buf, cut);
	}
	/* A TCP/IPv4 frame and an IPv6/UDP frame cut at every length. */
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_TCP;
	len = pb_build(&f, buf, sizeof(buf), 0);
	for (cut = 14; cut < len; cut++)
		input_add_raw(&in, buf, cut);
	pb_flow_init(&f);
	f.l3 = PB_L3_IPV6;
	f.proto = PB_IPPROTO_UDP;
	len = pb_build(&f, buf, sizeof(buf), 0);
	for (cut = 14; cut < len; cut++)
		input_add_raw(&in, buf, cut);
	/* IHL < 5, IHL beyond the frame, total length beyond the frame. */
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_UDP;
	len = pb_build(&f, buf, sizeof(buf), 60);
	buf[14] = 0x43;
	input_add_raw(&in, buf, len);
	buf[14] = 0x4f;
	input_add_raw(&in, buf, len);
	buf[14] = 0x45;
	buf[16] = 0x05;
	input_add_raw(&in, buf, len);
	/* Unknown ethertype, truncated VLAN tag, random garbage. */
	buf[12] = 0x88;
	buf[13] = 0xb5;
	input_add_raw(&in, buf, len);
	buf[12] = 0x81;
	buf[13] = 0x00;
	input_add_raw(&in, buf, 15);
	srand(7);
	for (i = 0; i < 200; i++) {
		size_t k, l = (size_t)(rand() % 200);

		for (k = 0; k < l; k++)
			buf[k] = (uint8_t)rand();
		if (l > 13 && i % 2) {
			buf[12] = i % 4 == 1 ? 0x08 : 0x86;
			buf[13] = i % 4 == 1 ? 0x00 : 0xdd;
		}
		input_add_raw(&in, buf, l);
	}
	n_in = in.n;
	start(&d, "malformed",
	      "port add out dpdk net_pcap1,tx_pcap=%1$s/out.pcap\n"
	      "port add in dpdk net_pcap0,rx_pcap=%1$s/in.pcap\n"
	      "flow del\n"
	      "flow add priority=10,in_port=in,tcp actions=output:out\n"
	      "flow add priority=10,in_port=in,udp6 actions=output:out\n"
	      "flow add priority=5,in_port=in,ip actions=output:out\n",
	      &in);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	assert_int_equal(th_wait_rx(&d, "in", n_in, 20), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	drops = th_json_num(o.buf, NULL, "table_miss") + th_json_num(o.buf, NULL, "no_output");
	parse_drops = th_json_num(o.buf, NULL, "runt") + th_json_num(o.buf, NULL, "vlan_truncated");
	stop_ok(&d);
	snprintf(path, sizeof(path), "%s/out.pcap", d.dir);
	n_out = th_read_pcap(path, out_a, MAX_FRAMES);
	/* Every frame: forwarded, or dropped by the tables, or dropped by the parser. */
	assert_int_equal(n_out + drops + parse_drops, n_in);
	assert_true(parse_drops >= 5);
	assert_true(n_out > 0);
}

/*
 * normal with access and trunk ports: VLAN 10 frames from the trunk reach the
 * access port of VLAN 10 untagged and never the one of VLAN 20; untagged
 * frames from an access port leave the trunk tagged.  And mtu=N drops
 * longer frames on output and input, counted.
 */
static void
test_pipeline_normal_vlans_and_mtu(void **state)
{
	static struct input in;
	struct th_daemon d;
	struct pb_flow f;
	char path[400];
	int n, i;

	(void)state;
	/* From the trunk: 5 broadcast frames tagged 10, 5 tagged 20, 5 tagged 30. */
	for (i = 0; i < 15; i++) {
		udp_flow(&f, 0x0a000001, (uint16_t)i, 9);
		memset(f.dst_mac, 0xff, 6);
		f.n_vlans = 1;
		f.vlan_tpid[0] = PB_ETH_VLAN;
		f.vlan_tci[0] = (uint16_t)(10 + 10 * (i / 5));
		input_add(&in, &f, 60);
	}
	/* Two jumbo-ish frames (1400 bytes) for the access port of VLAN 10, whose MTU is 1000. */
	for (i = 0; i < 2; i++) {
		udp_flow(&f, 0x0a000001, 100, 9);
		memset(f.dst_mac, 0xff, 6);
		f.n_vlans = 1;
		f.vlan_tpid[0] = PB_ETH_VLAN;
		f.vlan_tci[0] = 10;
		input_add(&in, &f, 1400);
	}
	start(&d, "vlans",
	      "port add acc10 dpdk net_pcap1,tx_pcap=%1$s/acc10.pcap tag=10 mtu=1000\n"
	      "port add acc20 dpdk net_pcap2,tx_pcap=%1$s/acc20.pcap tag=20\n"
	      "port add trunk2 dpdk net_pcap3,tx_pcap=%1$s/trunk2.pcap trunks=10,30\n"
	      "port add trunk dpdk net_pcap0,rx_pcap=%1$s/in.pcap trunks=10-20,30\n",
	      &in);
	assert_int_equal(th_wait_rx(&d, "trunk", 17, 20), 0);
	usleep(100000);
	assert_int_equal(th_port_stat(&d, "acc10", "tx_mtu_exceeded"), 2);
	/* Untagged from acc20 (VLAN 20) goes to the trunk tagged 20, not to trunk2. */
	udp_flow(&f, 0x0a000009, 1, 9);
	memset(f.dst_mac, 0xff, 6);
	input_add(&in, &f, 60);
	/* A frame over acc20's default MTU is dropped on input. */
	input_add(&in, &f, 1600);
	snprintf(path, sizeof(path), "%s/acc20in.pcap", d.dir);
	input_write(&in, path);
	assert_int_equal(th_ctl(&d, &o, "port del acc20"), 0);
	assert_int_equal(th_ctl(&d, &o,
	                        "port add acc20 dpdk net_pcap4,rx_pcap=%s,tx_pcap=%s/acc20b.pcap "
	                        "tag=20",
	                        path, d.dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "acc20", 2, 20), 0);
	usleep(100000);
	assert_int_equal(th_port_stat(&d, "acc20", "rx_oversize"), 1);
	assert_int_equal(th_stop(&d), 0);
	snprintf(path, sizeof(path), "%s/acc10.pcap", d.dir);
	n = th_read_pcap(path, out_a, MAX_FRAMES);
	assert_int_equal(n, 5); /* VLAN 10, untagged */
	for (i = 0; i < n; i++) {
		assert_int_equal(out_a[i].len, 56); /* the 60-byte frames lost their tag */
		assert_int_equal(out_a[i].data[12] << 8 | out_a[i].data[13], 0x0800);
	}
	snprintf(path, sizeof(path), "%s/acc20.pcap", d.dir);
	assert_int_equal(th_read_pcap(path, out_a, MAX_FRAMES), 5); /* VLAN 20 only */
	snprintf(path, sizeof(path), "%s/trunk2.pcap", d.dir);
	n = th_read_pcap(path, out_a, MAX_FRAMES);
	assert_int_equal(n, 12); /* VLANs 10 (7 frames) and 30 (5) stay tagged; 20 is not carried */
	for (i = 0; i < n; i++) {
		assert_int_equal(out_a[i].data[12] << 8 | out_a[i].data[13], 0x8100);
		assert_true((out_a[i].data[15] | (out_a[i].data[14] & 0xf) << 8) != 20);
	}
}

/*
 * A vhost-user port: dpdk-testpmd's net_virtio_user as the guest transmits
 * into sluice's socket; the flow sends it on to a sink; the guest goes away,
 * the link goes down, the port is deleted and every mbuf comes back.
 */
static void
test_pipeline_vhost_user_port(void **state)
{
	static struct input in;
	static char baseline[1 << 16];
	struct th_daemon d;
	char sock[400], vdev[512], prefix[64], log[400];
	int64_t rx;
	pid_t tp;
	int i, st;

	(void)state;
	start(&d, "vhostport",
	      "port add sink dpdk net_null0,no-rx=1\n"
	      "port add vm vhost-user %1$s/vhu.sock\n"
	      "flow del\n"
	      "flow add in_port=vm actions=output:sink\n",
	      &in);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	snprintf(sock, sizeof(sock), "%s/vhu.sock", d.dir);
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,queues=1", sock);
	snprintf(prefix, sizeof(prefix), "--file-prefix=thvu%d", (int)getpid());
	snprintf(log, sizeof(log), "%s/testpmd.log", d.dir);
	tp = fork();
	assert_true(tp >= 0);
	if (tp == 0) {
		if (freopen(log, "w", stdout) == NULL || freopen(log, "a", stderr) == NULL)
			_exit(126);
		execlp("dpdk-testpmd", "dpdk-testpmd", "-l", "0-1", "--no-pci", "--no-huge", "-m",
		       "256", "--single-file-segments", "--no-telemetry", prefix, "--vdev", vdev,
		       "--", "--forward-mode=txonly", "--stats-period", "1",
		       "--total-num-mbufs=4096", (char *)NULL);
		_exit(127);
	}
	for (i = 0, rx = 0; i < 200 && rx < 10000; i++) {
		usleep(50000);
		rx = th_port_stat(&d, "vm", "rx_packets");
	}
	kill(tp, SIGTERM);
	waitpid(tp, &st, 0);
	assert_true(rx >= 10000);
	assert_true(th_port_stat(&d, "sink", "tx_packets") > 0);
	/* The guest is gone: the link goes down. */
	for (i = 0; i < 100; i++) {
		assert_int_equal(th_ctl(&d, &o, "--json port list"), 0);
		if (strstr(o.buf, "\"name\": \"vm\"") != NULL &&
		    strstr(strstr(o.buf, "\"name\": \"vm\""), "\"link\": \"down\"") != NULL)
			break;
		usleep(50000);
	}
	assert_true(i < 100);
	assert_int_equal(th_ctl(&d, &o, "port del vm"), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(access(sock, F_OK), -1); /* the server removed its socket */
	assert_int_equal(th_stop(&d), 0);
}

/* port del under traffic: the other ports go on, and every mbuf comes back. */
static void
test_pipeline_port_del_under_traffic(void **state)
{
	static struct input in;
	static char baseline[1 << 16];
	struct th_daemon d;
	struct pb_flow f;
	int64_t b0, b1;
	int i;

	(void)state;
	for (i = 0; i < 64; i++) {
		udp_flow(&f, 0x0a000001 + (uint32_t)i, 1000, 2000);
		input_add(&in, &f, 60);
	}
	start(&d, "portdel",
	      "port add a dpdk net_null0,no-rx=1\n"
	      "port add b dpdk net_null1,no-rx=1\n"
	      "flow del\n"
	      "flow add in_port=10 actions=output:a\n"
	      "flow add in_port=11 actions=output:b\n",
	      &in);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	assert_int_equal(th_ctl(&d, &o,
	                        "port add g1 dpdk net_pcap0,rx_pcap=%s/in.pcap,infinite_rx=1 "
	                        "n_mbufs=2048 ofport=10",
	                        d.dir),
	                 0);
	assert_int_equal(th_ctl(&d, &o,
	                        "port add g2 dpdk net_pcap1,rx_pcap=%s/in.pcap,infinite_rx=1 "
	                        "n_mbufs=2048 ofport=11",
	                        d.dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "g1", 100000, 20), 0);
	assert_int_equal(th_wait_rx(&d, "g2", 100000, 20), 0);
	/* Delete the first generator and its sink while the second one runs. */
	assert_int_equal(th_ctl(&d, &o, "port del g1"), 0);
	assert_int_equal(th_ctl(&d, &o, "port del a"), 0);
	b0 = th_port_stat(&d, "b", "tx_packets");
	usleep(200000);
	b1 = th_port_stat(&d, "b", "tx_packets");
	assert_true(b1 > b0); /* g2 -> b keeps flowing */
	assert_int_equal(th_ctl(&d, &o, "--json port stats b"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "tx_queue_full"), 0);
	assert_int_equal(th_ctl(&d, &o, "port del g2"), 0);
	/* No generator left: every pool is back where it was before they came. */
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipeline_in_port_forwarding),
		cmocka_unit_test(test_pipeline_full_bursts_over_mtu),
		cmocka_unit_test(test_pipeline_matches_and_priorities),
		cmocka_unit_test(test_pipeline_vlan_push_pop),
		cmocka_unit_test(test_pipeline_rewrites_fix_checksums),
		cmocka_unit_test(test_pipeline_normal_learns_and_floods),
		cmocka_unit_test(test_pipeline_malformed_corpus),
		cmocka_unit_test(test_pipeline_normal_vlans_and_mtu),
		cmocka_unit_test(test_pipeline_vhost_user_port),
		cmocka_unit_test(test_pipeline_port_del_under_traffic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
