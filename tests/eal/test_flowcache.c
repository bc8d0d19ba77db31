/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow caches through the real sluiced: megaflows are created with the
 * masks the rules consulted, hits move from upcall to megaflow to EMC, a
 * rule change under traffic switches every later packet, idle megaflows
 * expire, and the limit is enforced by eviction.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pcap_file.h"
#include "pkt_build.h"
#include "th.h"

static struct th_out o;

/*
 * Writes 'n' UDP frames: packet i has source 11.0.0.0 + (i % n_flows) * stride
 * and source port 1000 + i % n_sports.
 */
static void
write_stream_stride(const char *path, uint32_t n, uint32_t n_flows, uint32_t stride,
                    uint32_t n_sports)
{
	struct pcapf_writer *w = pcapf_writer_open(path, 0);
	uint8_t buf[128];
	struct pb_flow f;
	uint32_t i;

	assert_non_null(w);
	for (i = 0; i < n; i++) {
		size_t len;

		pb_flow_init(&f);
		f.src_ip4 = 0x0b000000u + i % n_flows * stride;
		f.dst_ip4 = 0x0a000002;
		f.sport = (uint16_t)(1000 + i % n_sports);
		f.dport = 5000;
		f.ip_id = (uint16_t)i;
		len = pb_build(&f, buf, sizeof(buf), 60);
		assert_int_equal(pcapf_write(w, buf, (uint32_t)len, i), 0);
	}
	assert_int_equal(pcapf_writer_close(w), 0);
}

static void
write_stream(const char *path, uint32_t n, uint32_t n_flows, uint32_t n_sports)
{
	write_stream_stride(path, n, n_flows, 1, n_sports);
}

/* Waits until port 'port' has sent 'n' packets (rx is counted before the burst is processed). */
static int64_t
wait_tx(struct th_daemon *d, const char *port, int64_t n)
{
	int64_t got = 0;
	int i;

	for (i = 0; i < 100 && (got = th_port_stat(d, port, "tx_packets")) < n; i++)
		usleep(20000);
	return got;
}

static int64_t
pmd_stat(struct th_daemon *d, const char *key)
{
	assert_int_equal(th_ctl(d, &o, "--json pmd stats"), 0);
	return th_json_num(o.buf, NULL, key);
}

static void
test_flowcache_megaflow_masks_and_hits(void **state)
{
	struct th_daemon d;
	char dir[256], path[400], config[2048];
	int64_t upcalls, mf_hits, emc_hits;

	(void)state;
	th_scratch("fcmask", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	write_stream(path, 20000, 10, 1);
	snprintf(config, sizeof(config),
	         "port add a dpdk net_pcap1,tx_pcap=%s/a.pcap\n"
	         "port add in dpdk net_pcap0,rx_pcap=%s/in.pcap\n"
	         "flow del\n"
	         "flow add priority=100,in_port=in,udp,nw_src=11.0.0.0/30 actions=output:a\n"
	         "flow add priority=50,in_port=in,udp actions=drop\n",
	         dir, dir);
	assert_int_equal(th_start(&d, "fcmask", config, NULL, NULL), 0);
	assert_int_equal(th_wait_rx(&d, "in", 20000, 30), 0);
	/* 11.0.0.0-3 go out: 4 of 10 flows. */
	assert_int_equal(wait_tx(&d, "a", 8000), 8000);
	upcalls = pmd_stat(&d, "upcalls");
	mf_hits = th_json_num(o.buf, NULL, "megaflow_hits");
	emc_hits = th_json_num(o.buf, NULL, "emc_hits");
	assert_int_equal(upcalls + mf_hits + emc_hits, 20000);
	/* One upcall per megaflow: later misses of the same burst are rechecked. */
	assert_int_equal(upcalls, 3);
	assert_int_equal(th_ctl(&d, &o, "--json megaflow dump"), 0);
	/* The drop megaflow: the /30 was consulted, so nw_src is in its mask. */
	assert_non_null(strstr(o.buf, "nw_src=11.0.0.0/30"));
	assert_non_null(strstr(o.buf, "nw_src=11.0.0.4/30"));
	assert_int_equal(th_ctl(&d, &o, "flow dump"), 0);
	assert_non_null(strstr(o.buf, "n_packets=8000,"));
	assert_non_null(strstr(o.buf, "n_packets=12000,"));
	assert_int_equal(th_stop(&d), 0);
}

static void
test_flowcache_emc_takes_over(void **state)
{
	struct th_daemon d;
	char dir[256], path[400], config[2048];

	(void)state;
	th_scratch("fcemc", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	/* 11.0.0.0 hits the /24 rule; 11.0.1.0 misses it and hits the tp_dst rule: two masks,
	 * so two subtables (with one, the EMC is skipped as it would not pay), and the
	 * two alternate, so the last-hit check never decides. */
	write_stream_stride(path, 20000, 2, 256, 1);
	snprintf(config, sizeof(config),
	         "port add a dpdk net_null0,no-rx=1\n"
	         "flow del\n"
	         "flow add priority=100,udp,nw_src=11.0.0.0/24 actions=output:a\n"
	         "flow add priority=50,udp,tp_dst=5000 actions=output:a\n");
	assert_int_equal(th_start(&d, "fcemc", config, NULL, NULL), 0);
	/* Insert every miss into the EMC, then replay. */
	assert_int_equal(th_ctl(&d, &o, "megaflow set emc-insert-prob=1"), 0);
	assert_int_equal(th_ctl(&d, &o, "pmd stats detail on"), 0);
	assert_int_equal(th_ctl(&d, &o, "port add in dpdk net_pcap0,rx_pcap=%s", path), 0);
	assert_int_equal(th_wait_rx(&d, "in", 20000, 30), 0);
	assert_int_equal(wait_tx(&d, "a", 20000), 20000);
	/* Stage accounting: every stage the packets went through took time. */
	assert_int_equal(th_ctl(&d, &o, "pmd stats"), 0);
	assert_non_null(strstr(o.buf, "cycles/packet by stage (detail on): rx "));
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	{
		const char *st = strstr(o.buf, "\"stage_cycles_per_packet\"");

		assert_non_null(st);
		assert_non_null(strstr(o.buf, "\"detail\": true"));
		assert_true(strtod(strstr(st, "\"parse\": ") + 9, NULL) > 0.0);
		assert_true(strtod(strstr(st, "\"classify\": ") + 12, NULL) > 0.0);
		assert_true(strtod(strstr(st, "\"tx\": ") + 6, NULL) > 0.0);
	}
	/* Half the packets follow the other megaflow than the one before: the EMC. */
	assert_true(pmd_stat(&d, "emc_hits") > 9000);
	assert_int_equal(th_json_num(o.buf, NULL, "emc_hits") +
	                                 th_json_num(o.buf, NULL, "megaflow_hits") +
	                                 th_json_num(o.buf, NULL, "upcalls"),
	                 20000);
	assert_int_equal(th_stop(&d), 0);
}

/* IP ids of every frame in 'path', into ids[]; returns the count. */
static int64_t
read_ids(const char *path, uint16_t *ids, int64_t max)
{
	struct pcapf_reader *r = pcapf_reader_open(path);
	struct pcapf_rec rec;
	const uint8_t *data;
	int64_t n = 0;

	assert_non_null(r);
	while (n < max && pcapf_read(r, &data, &rec) == 1) {
		assert_true(rec.caplen >= 20);
		ids[n++] = (uint16_t)(data[18] << 8 | data[19]);
	}
	pcapf_reader_close(r);
	return n;
}

/* Revalidation: after "flow add" returns, every later packet takes the new rule. */
static void
test_flowcache_switchover_under_traffic(void **state)
{
	static uint16_t ids[600000];
	struct th_daemon d;
	char dir[256], path[400], config[2048];
	const uint32_t n = 600000;
	int64_t switch_rx, n_a, n_b, i;

	(void)state;
	th_scratch("fcswitch", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	write_stream(path, n, 1000, 50);
	snprintf(config, sizeof(config),
	         "port add a dpdk net_pcap1,tx_pcap=%s/a.pcap\n"
	         "port add b dpdk net_pcap2,tx_pcap=%s/b.pcap\n"
	         "flow del\n"
	         "flow add priority=10,udp actions=output:a\n",
	         dir, dir);
	assert_int_equal(th_start(&d, "fcswitch", config, NULL, NULL), 0);
	assert_int_equal(th_ctl(&d, &o, "port add in dpdk net_pcap0,rx_pcap=%s", path), 0);
	/* Wait until traffic flows, then switch. */
	for (i = 0; i < 400 && th_port_stat(&d, "in", "rx_packets") < 20000; i++)
		usleep(5000);
	assert_int_equal(th_ctl(&d, &o, "--json flow add priority=10,udp actions=output:b"), 0);
	switch_rx = th_json_num(o.buf, "switchover", "rx");
	assert_true(switch_rx > 0);
	assert_int_equal(th_wait_rx(&d, "in", n, 60), 0);
	assert_int_equal(th_stop(&d), 0);
	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	n_a = read_ids(path, ids, n);
	/* Packets sent the old way all came before the switchover, in order. */
	for (i = 0; i < n_a; i++)
		assert_int_equal(ids[i], (uint16_t)i);
	assert_int_equal(n_a, switch_rx);
	snprintf(path, sizeof(path), "%s/b.pcap", dir);
	n_b = read_ids(path, ids, n);
	assert_int_equal(n_a + n_b, n);
	assert_true(n_b > 0); /* the switch really happened mid-stream */
	for (i = 0; i < n_b; i++)
		assert_int_equal(ids[i], (uint16_t)(switch_rx + i));
}

static void
test_flowcache_expiry_and_limit(void **state)
{
	struct th_daemon d;
	char dir[256], path[400], config[2048];
	int i;

	(void)state;
	th_scratch("fcexp", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	/* 500 source ports: a rule on tp_src makes one megaflow per port. */
	write_stream(path, 5000, 1, 500);
	snprintf(config, sizeof(config),
	         "port add a dpdk net_null0,no-rx=1\n"
	         "flow del\n"
	         "flow add priority=20,udp,tp_src=9 actions=drop\n"
	         "flow add priority=10,udp actions=output:a\n");
	assert_int_equal(th_start(&d, "fcexp", config, NULL, NULL), 0);
	assert_int_equal(th_ctl(&d, &o, "megaflow set limit=50"), 0);
	assert_int_equal(th_ctl(&d, &o, "megaflow set idle-ms=300"), 0);
	/* Every packet here is an upcall: lift the rate limit (tested below). */
	assert_int_equal(th_ctl(&d, &o, "megaflow set upcall-rate=1000000000"), 0);
	assert_int_equal(th_ctl(&d, &o, "port add in dpdk net_pcap0,rx_pcap=%s", path), 0);
	assert_int_equal(th_wait_rx(&d, "in", 5000, 30), 0);
	assert_int_equal(wait_tx(&d, "a", 5000), 5000);
	assert_true(pmd_stat(&d, "megaflows") <= 50);
	assert_true(th_json_num(o.buf, NULL, "megaflows_evicted") >= 400);
	/* Idle megaflows go after 300 ms. */
	for (i = 0; i < 50 && pmd_stat(&d, "megaflows") != 0; i++)
		usleep(100000);
	assert_int_equal(pmd_stat(&d, "megaflows"), 0);
	assert_true(th_json_num(o.buf, NULL, "megaflows_expired") >= 1);
	/* An upcall flood over the rate limit is counted, not silently lost. */
	assert_int_equal(th_ctl(&d, &o, "megaflow set upcall-rate=1000"), 0);
	assert_int_equal(th_ctl(&d, &o, "port del in"), 0);
	assert_int_equal(th_ctl(&d, &o, "port add in2 dpdk net_pcap3,rx_pcap=%s", path), 0);
	assert_int_equal(th_wait_rx(&d, "in2", 5000, 30), 0);
	usleep(100000);
	assert_true(pmd_stat(&d, "upcall_drops") > 0);
	assert_int_equal(th_json_num(o.buf, NULL, "upcall_drops") +
	                                 th_json_num(o.buf, NULL, "upcalls") +
	                                 th_json_num(o.buf, NULL, "megaflow_hits") +
	                                 th_json_num(o.buf, NULL, "emc_hits"),
	                 10000);
	/* flow trace shows the rule and the megaflow it would install. */
	assert_int_equal(th_ctl(&d, &o, "flow trace udp,tp_src=9,nw_src=1.2.3.4"), 0);
	assert_non_null(strstr(o.buf, "priority=20"));
	assert_non_null(strstr(o.buf, "megaflow:"));
	assert_non_null(strstr(o.buf, "tp_src=9"));
	assert_int_equal(th_stop(&d), 0);
}

/*
 * The port fast path: with a rule that looks at nothing but in_port, bursts
 * are forwarded without parsing (counted as unparsed hits) with exact flow
 * counters and byte-identical output; runts in the stream still go through
 * the parser and are dropped as runts.  A rule on a header field (dl_type)
 * never takes it, and neither does output to the in_port.
 */
static void
test_flowcache_port_fast_path(void **state)
{
	static const struct {
		const char *rule;
		bool unparsed; /* the fast path must decide most packets */
		bool out;      /* frames leave on port a */
	} cases[] = {
		{ "in_port=in,actions=output:a", true, true },
		{ "in_port=in,dl_type=0x0800,actions=output:a", false, true },
		{ "in_port=in,actions=output:in", false, false },
	};
	static struct th_frame frames[2100];
	struct th_daemon d;
	char dir[256], path[400], config[2048], expect[64];
	uint8_t *bufs[2000], runt[10];
	size_t lens[2000];
	int i, n, n_runt = 0, n_out;
	unsigned int c;

	(void)state;
	memset(runt, 0xab, sizeof(runt));
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		th_scratch("fcfast", dir, sizeof(dir));
		/* 2,000 frames of 60 B, every 100th a 10 B runt. */
		n_runt = 0;
		for (i = 0; i < 2000; i++) {
			struct pb_flow f;

			bufs[i] = malloc(128);
			assert_non_null(bufs[i]);
			if (i % 100 == 99) {
				memcpy(bufs[i], runt, sizeof(runt));
				lens[i] = sizeof(runt);
				n_runt++;
				continue;
			}
			pb_flow_init(&f);
			f.src_ip4 = 0x0b000000u + (uint32_t)i % 500;
			f.dst_ip4 = 0x0a000002;
			f.sport = (uint16_t)(1000 + i);
			f.dport = 5000;
			lens[i] = pb_build(&f, bufs[i], 128, 60);
		}
		snprintf(path, sizeof(path), "%s/in.pcap", dir);
		assert_int_equal(th_write_pcap(path, bufs, lens, 2000), 0);
		snprintf(config, sizeof(config),
		         "port add a dpdk net_pcap1,tx_pcap=%s/a.pcap\n"
		         "port add in dpdk net_pcap0,rx_pcap=%s/in.pcap\n"
		         "flow del\nflow add %s\n",
		         dir, dir, cases[c].rule);
		assert_int_equal(th_start(&d, "fcfast", config, NULL, NULL), 0);
		assert_int_equal(th_wait_rx(&d, "in", 2000, 30), 0);
		if (cases[c].out)
			assert_int_equal(wait_tx(&d, "a", 2000 - n_runt), 2000 - n_runt);
		assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
		assert_int_equal(th_json_num(o.buf, NULL, "runt"), n_runt);
		if (cases[c].unparsed)
			/* The first burst is parsed (upcall), and so are bursts with a runt. */
			assert_true(th_json_num(o.buf, NULL, "unparsed_hits") >= 1000);
		else
			assert_int_equal(th_json_num(o.buf, NULL, "unparsed_hits"), 0);
		if (!cases[c].out)
			assert_int_equal(th_json_num(o.buf, NULL, "output_to_in_port"),
			                 2000 - n_runt);
		assert_int_equal(th_ctl(&d, &o, "flow dump"), 0);
		snprintf(expect, sizeof(expect), "n_packets=%d, n_bytes=%d,", 2000 - n_runt,
		         (2000 - n_runt) * 60);
		if (strstr(o.buf, expect) == NULL)
			fail_msg("case %u: expected %s in\n%s", c, expect, o.buf);
		assert_int_equal(th_stop(&d), 0);
		snprintf(path, sizeof(path), "%s/a.pcap", dir);
		n_out = th_read_pcap(path, frames, 2100);
		assert_int_equal(n_out, cases[c].out ? 2000 - n_runt : 0);
		/* In order and byte for byte. */
		for (i = 0, n = 0; i < 2000 && cases[c].out; i++) {
			if (lens[i] == sizeof(runt))
				continue;
			assert_int_equal(frames[n].len, lens[i]);
			assert_memory_equal(frames[n].data, bufs[i], lens[i]);
			n++;
		}
		for (i = 0; i < 2000; i++)
			free(bufs[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flowcache_megaflow_masks_and_hits),
		cmocka_unit_test(test_flowcache_emc_takes_over),
		cmocka_unit_test(test_flowcache_switchover_under_traffic),
		cmocka_unit_test(test_flowcache_expiry_and_limit),
		cmocka_unit_test(test_flowcache_port_fast_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
