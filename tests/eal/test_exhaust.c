/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Exhaustion and faults through the real sluiced (issue 8, "Exhaustion" and
 * "Faults"), with established traffic measured while the pressure lasts and
 * after it stops:
 *  - the conntrack table full (a connection limit) under a flood of new
 *    connections: refused ones counted as ct_limit, the established ones
 *    forwarding at a measured rate and losing nothing, recovery by expiry and
 *    by flush;
 *  - the megaflow limit reached by a flood of new flows (evictions counted),
 *    then the upcall rate limit (drops counted), while an established flow
 *    keeps forwarding; recovery once the flood port goes; every packet in is
 *    forwarded or counted;
 *  - during that traffic: a config reload (SIGHUP) of a broken file changes
 *    nothing, and control clients that never send, send 100 MB of garbage or
 *    hang up mid-request do not stop the daemon answering or forwarding
 *    (the server's own limits are unit-tested in tests/unit/test_vs_ctl_proto.c);
 *  - the shared mbuf pool exhausted (a pcap generator holding nearly all of a
 *    small --mbufs pool): copies fail and are counted while originals are
 *    forwarded; once the generator goes, copies succeed again and the pool is
 *    back at its baseline;
 *  - sluiced killed with SIGKILL under traffic and restarted with the same
 *    config: stale socket removed, forwarding again (time measured);
 *  - a port's link down and up (net_tap, ip link): nothing sent while down,
 *    what could not be sent counted, sending again once up.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pkt_build.h"
#include "th.h"
#include "vs_ctl_proto.h"

/*
 * The least an established flow must forward per second while the pressure
 * lasts.  Alone it does millions on this 2-core machine, and about 700,000
 * at its worst under pressure (megaflow limit); a flow that had lost its
 * megaflow or connection to the pressure would forward at most what the
 * upcall rate or a drop leaves it, a few thousand.
 */
#define EST_MIN_PKTS_PER_S 20000

static struct th_out o;
static char baseline[1 << 16];

/* UDP tuples of a generated pcap: flow k is src_ip4 + k, port sport0 + k, to dst_ip4:53
 * (or, 'reply', the same tuples the other way round). */
struct udp_tuples {
	uint32_t src_ip4;
	uint32_t dst_ip4;
	uint16_t sport0;
	bool reply;
};

/* Writes 'n' UDP frames of 'frame_len' bytes, flow i % n_flows of 't'. */
static void
write_tuples_pcap(const char *path, int n, int n_flows, size_t frame_len,
                  const struct udp_tuples *t)
{
	static uint8_t *frames[65536];
	static size_t lens[65536];
	struct pb_flow f;
	int i;

	assert_true(n <= 65536);
	for (i = 0; i < n; i++) {
		int k = i % n_flows;
		uint32_t a = t->src_ip4 + (uint32_t)k;
		uint16_t port = (uint16_t)(t->sport0 + k);

		pb_flow_init(&f);
		f.proto = PB_IPPROTO_UDP;
		f.src_ip4 = t->reply ? t->dst_ip4 : a;
		f.dst_ip4 = t->reply ? a : t->dst_ip4;
		f.sport = t->reply ? 53 : port;
		f.dport = t->reply ? port : 53;
		frames[i] = malloc(PB_FRAME_MAX);
		assert_non_null(frames[i]);
		lens[i] = pb_build(&f, frames[i], PB_FRAME_MAX, frame_len);
		assert_true(lens[i] > 0);
	}
	assert_int_equal(th_write_pcap(path, frames, lens, n), 0);
	for (i = 0; i < n; i++)
		free(frames[i]);
}

/* Writes 'n' UDP frames: flow i % n_flows from 10.1.x.y:(1000 + i % n_flows). */
static void
write_udp_pcap(const char *path, int n, int n_flows, size_t frame_len)
{
	const struct udp_tuples t = { .src_ip4 = 0x0a010000,
		                      .dst_ip4 = 0x0a000002,
		                      .sport0 = 1000 };

	write_tuples_pcap(path, n, n_flows, frame_len, &t);
}

static int64_t
port_num(struct th_daemon *d, const char *port, const char *key)
{
	int64_t v = th_port_stat(d, port, key);

	assert_true(v >= 0);
	return v;
}

static int64_t
pmd_num(struct th_daemon *d, const char *key)
{
	int64_t v;

	assert_int_equal(th_ctl(d, &o, "--json pmd stats"), 0);
	v = th_json_num(o.buf, NULL, key);
	assert_true(v >= 0);
	return v;
}

/* Packets per second that 'port' transmits over about 'ms'. */
static double
tx_rate(struct th_daemon *d, const char *port, unsigned int ms)
{
	int64_t a = port_num(d, port, "tx_packets"), b;
	uint64_t t0 = th_now_ms(), t1;

	th_sleep_ms(ms);
	b = port_num(d, port, "tx_packets");
	t1 = th_now_ms();
	return (double)(b - a) * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1);
}

/*
 * Milliseconds until 'port' has sent a packet, counted from 't0' (th_now_ms()), or
 * UINT64_MAX when it sent none within 'limit_ms'.
 */
static uint64_t
wait_forwarding(struct th_daemon *d, const char *port, uint64_t t0, uint64_t limit_ms)
{
	while (port_num(d, port, "tx_packets") == 0) {
		if (th_now_ms() - t0 >= limit_ms)
			return UINT64_MAX;
		th_sleep_ms(10);
	}
	return th_now_ms() - t0;
}

/*
 * Waits until 'out' sends in a 300 ms window, after its first packet. A loaded
 * host may hold the PMD or the kernel back for a moment after the first packets
 * (CI once saw a 300 ms window without one on a tap): each empty window is
 * reported with what 'in' received and what 'out' could not send, and ten of
 * them in a row fail the test.
 */
static void
wait_steady(struct th_daemon *d, const char *in, const char *out)
{
	int i;

	for (i = 0; i < 10; i++) {
		int64_t full0 = port_num(d, out, "tx_queue_full");
		int64_t in0 = port_num(d, in, "rx_packets");

		if (tx_rate(d, out, 300) > 0)
			return;
		print_message("%s sent nothing for 300 ms: %s received %lld, %s tx_queue_full "
		              "+%lld\n",
		              out, in, (long long)(port_num(d, in, "rx_packets") - in0), out,
		              (long long)(port_num(d, out, "tx_queue_full") - full0));
	}
	fail_msg("%s never sent at a rate", out);
}

static void
take_baseline(struct th_daemon *d)
{
	assert_int_equal(th_ctl(d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/*
 * Misbehaving control clients against a forwarding daemon: one connects and
 * never sends, one sends up to 100 MB of garbage (the server refuses it and
 * hangs up long before), one hangs up halfway through a valid request.
 * @return the idle client's socket (closed by the caller at the end).
 */
static int
hostile_clients(struct th_daemon *d)
{
	char *argv[] = { "show" };
	static uint8_t junk[1 << 16];
	uint8_t req[256];
	size_t sent = 0;
	ssize_t len, w;
	int idle, fd, i;

	idle = ctl_connect(d->ctl);
	fd = ctl_connect(d->ctl);
	for (i = 0; i < (int)sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while (sent < (100u << 20)) {
		w = send(fd, junk, sizeof(junk), MSG_NOSIGNAL);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			th_sleep_ms(5);
			if (th_ctl_status(d, "version") != 0)
				fail_msg("daemon stopped answering during a garbage flood");
			continue;
		}
		if (w <= 0)
			break; /* refused and closed: EPIPE or ECONNRESET */
		sent += (size_t)w;
	}
	print_message("garbage client: %zu bytes accepted before the daemon hung up\n", sent);
	assert_true(sent < (100u << 20));
	close(fd);
	fd = ctl_connect(d->ctl);
	len = vs_ctl_req_encode(req, sizeof(req), 0, 1, argv);
	assert_true(len > VS_CTL_HDR_LEN);
	assert_int_equal(send(fd, req, (size_t)len / 2, MSG_NOSIGNAL), len / 2);
	close(fd);
	return idle;
}

/*
 * A flood of new flows against a small megaflow limit, then against a small
 * upcall rate, beside an established flow.
 */
static void
test_exhaust_megaflows_and_upcalls(void **state)
{
	char dir[256], path[400], config[2048];
	double r_before, r_limit, r_rate, r_after;
	int64_t ev0, ev1, ud0, ud1, ud2, n_rx, sum, flows;
	struct th_daemon d;
	FILE *f;
	int idle;

	(void)state;
	th_scratch("exhaust-mf", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/est.pcap", dir);
	write_udp_pcap(path, 64, 4, 100);
	snprintf(path, sizeof(path), "%s/flood.pcap", dir);
	write_udp_pcap(path, 4096, 4096, 64);
	/* The priority-100 rule makes every megaflow exact on nw_src and tp_src,
	 * so each flood tuple needs its own. */
	snprintf(config, sizeof(config),
	         "port add est_out dpdk net_null0,no-rx=1\n"
	         "port add flood_out dpdk net_null1,no-rx=1\n"
	         "flow del\n"
	         "flow add priority=100,udp,nw_src=10.9.9.9,tp_src=9 actions=drop\n"
	         "flow add priority=10,in_port=10 actions=output:est_out\n"
	         "flow add priority=10,in_port=11 actions=output:flood_out\n");
	assert_int_equal(th_start(&d, "exhaust-mf", config, NULL, NULL), 0);
	take_baseline(&d);
	assert_int_equal(th_ctl_status(&d, "pmd stats clear"), 0);
	assert_int_equal(th_ctl_status(&d,
	                               "port add est dpdk net_pcap0,rx_pcap=%s/est.pcap,"
	                               "infinite_rx=1 n_mbufs=1024 ofport=10",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "est", 1000, 20), 0);
	r_before = tx_rate(&d, "est_out", 500);

	/* Megaflow limit 64, flood of 4096 tuples: evictions (and, at the default
	 * 1M upcalls/s, some upcall drops already: every flood packet misses). */
	assert_int_equal(th_ctl_status(&d, "megaflow set limit=64"), 0);
	ev0 = pmd_num(&d, "megaflows_evicted");
	assert_int_equal(th_ctl_status(&d,
	                               "port add flood dpdk net_pcap1,rx_pcap=%s/flood.pcap,"
	                               "infinite_rx=1 n_mbufs=8192 ofport=11",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "flood", 8192, 20), 0);
	r_limit = tx_rate(&d, "est_out", 1000);
	ev1 = pmd_num(&d, "megaflows_evicted");
	flows = th_json_num(o.buf, NULL, "megaflows");
	assert_true(ev1 - ev0 > 4096);
	assert_true(flows <= 64 + 32); /* the limit, plus at most one burst's installs */

	/* Meanwhile: a broken config reload changes nothing, hostile clients are harmless. */
	f = fopen(d.config, "w");
	assert_non_null(f);
	fputs("flow del\nflow add in_port=10 actions=output:nowhere\n", f);
	fclose(f);
	assert_int_equal(kill(d.pid, SIGHUP), 0);
	idle = hostile_clients(&d);
	th_sleep_ms(300);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "flows"), 3);
	assert_int_equal(th_ctl(&d, &o, "flow dump --names"), 0);
	assert_non_null(strstr(o.buf, "in_port=est actions=output:est_out"));
	assert_true(tx_rate(&d, "est_out", 1000) >= EST_MIN_PKTS_PER_S);

	/* Upcall rate 1000/s: the flood's misses are dropped and counted. */
	assert_int_equal(th_ctl_status(&d, "megaflow set upcall-rate=1000"), 0);
	ud0 = pmd_num(&d, "upcall_drops");
	r_rate = tx_rate(&d, "est_out", 1000);
	ud1 = pmd_num(&d, "upcall_drops");
	assert_true(ud1 - ud0 > 1000);

	/* The flood stops: no more drops, the established flow at full rate. */
	assert_int_equal(th_ctl_status(&d, "port del flood"), 0);
	th_sleep_ms(200);
	ud1 = pmd_num(&d, "upcall_drops");
	/* The best of up to three windows: on 2 CPUs the suite's other tests may take the
	 * PMD's CPU for part of one (this failed once in a parallel run). */
	r_after = tx_rate(&d, "est_out", 500);
	for (int k = 0; k < 2 && r_after <= r_before / 10; k++) {
		double r = tx_rate(&d, "est_out", 500);

		if (r > r_after)
			r_after = r;
	}
	ud2 = pmd_num(&d, "upcall_drops");
	assert_int_equal(ud2, ud1);
	print_message("established flow: %.0f pkt/s alone, %.0f at the megaflow limit, %.0f at the "
	              "upcall limit, %.0f after; %lld evictions, %lld upcall drops\n",
	              r_before, r_limit, r_rate, r_after, (long long)(ev1 - ev0), (long long)ud2);
	assert_true(r_before >= EST_MIN_PKTS_PER_S);
	assert_true(r_limit >= EST_MIN_PKTS_PER_S);
	assert_true(r_rate >= EST_MIN_PKTS_PER_S);
	assert_true(r_after > r_before / 10);

	/* Every packet in was forwarded or counted. */
	assert_int_equal(th_ctl_status(&d, "port del est"), 0);
	n_rx = pmd_num(&d, "packets");
	sum = th_json_num(o.buf, NULL, "upcall_drops") + th_json_num(o.buf, NULL, "table_miss") +
	      th_json_num(o.buf, NULL, "no_output");
	sum += port_num(&d, "est_out", "tx_packets") + port_num(&d, "flood_out", "tx_packets");
	if (sum != n_rx) {
		print_message("%s\n", o.buf);
		th_ctl(&d, &o, "--json port stats");
		print_message("%s\n", o.buf);
	}
	assert_int_equal(sum, n_rx);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	close(idle);
	assert_int_equal(th_ctl_status(&d, "megaflow set limit=200000"), 0);
	assert_int_equal(th_stop(&d), 0);
}

static int64_t
ct_num(struct th_daemon *d, const char *key)
{
	int64_t v;

	assert_int_equal(th_ctl(d, &o, "--json ct stats"), 0);
	v = th_json_num(o.buf, NULL, key);
	assert_true(v >= 0);
	return v;
}

/* Waits (at most 'timeout_s') until the connection count is 'n'. */
static void
wait_ct_count(struct th_daemon *d, int64_t n, int timeout_s)
{
	uint64_t t0 = th_now_ms();

	while (ct_num(d, "count") != n) {
		if (th_now_ms() - t0 > (uint64_t)timeout_s * 1000)
			fail_msg("conntrack never came to %lld connections: %s", (long long)n,
			         o.buf);
		th_sleep_ms(50);
	}
}

/* Packets 'port' transmits over about 'ms', and the ct_limit drops meanwhile. */
static void
window(struct th_daemon *d, const char *port, unsigned int ms, int64_t *tx, int64_t *limit_drops)
{
	int64_t a = port_num(d, port, "tx_packets"), l = pmd_num(d, "ct_limit");

	th_sleep_ms(ms);
	*tx = port_num(d, port, "tx_packets") - a;
	*limit_drops = pmd_num(d, "ct_limit") - l;
}

/*
 * Packets the established connections brought in ("ea" and "eb") that have
 * not left on "est_out", from one snapshot of every port's counters: at most
 * what is in flight (an rx burst per port and a tx buffer), unless some were
 * lost.  The snapshot lists ports by number and est_out comes after ea and eb,
 * so whatever arrives while it is taken only makes the gap smaller: a loss can
 * hide behind a slow snapshot, but in-flight packets never look like one.
 */
#define EST_IN_FLIGHT 128

static int64_t
est_gap(struct th_daemon *d)
{
	int64_t ea, eb, out;

	assert_int_equal(th_ctl(d, &o, "--json port stats"), 0);
	ea = th_json_num(o.buf, "\"name\": \"ea\"", "rx_packets");
	eb = th_json_num(o.buf, "\"name\": \"eb\"", "rx_packets");
	out = th_json_num(o.buf, "\"name\": \"est_out\"", "tx_packets");
	assert_true(ea >= 0 && eb >= 0 && out >= 0);
	if (ea + eb - out > EST_IN_FLIGHT) {
		print_message("established: %lld + %lld in, %lld out\n", (long long)ea,
		              (long long)eb, (long long)out);
		th_ctl(d, &o, "pmd stats");
		print_message("%s\n", o.buf);
	}
	return ea + eb - out;
}

/*
 * The conntrack table full under traffic.  Eight UDP connections (requests
 * from "ea", replies from "eb", both replayed forever) are established, then
 * the global limit is set to 24 and a flood of 2048 new tuples arrives: 16 of
 * them fit, every other one is dropped and counted as ct_limit, while the
 * established connections keep forwarding at a measured rate and lose
 * nothing.  The pressure stops: the flood's connections expire (the
 * established ones, refreshed by their packets, do not), and new connections
 * are accepted again.  A flush under traffic: the requests re-create their
 * connections.  Every packet in is forwarded or counted.
 */
static void
test_exhaust_ct_table_full(void **state)
{
	/* Requests from 10.1.0.0/24 to 10.2.0.1:53, the flood from 10.3.0.0/16. */
	static const struct udp_tuples est = { .src_ip4 = 0x0a010000,
		                               .dst_ip4 = 0x0a020001,
		                               .sport0 = 1000 };
	static const struct udp_tuples est_reply = {
		.src_ip4 = 0x0a010000, .dst_ip4 = 0x0a020001, .sport0 = 1000, .reply = true
	};
	static const struct udp_tuples flood = { .src_ip4 = 0x0a030000,
		                                 .dst_ip4 = 0x0a020001,
		                                 .sport0 = 2000 };
	static const struct udp_tuples late = { .src_ip4 = 0x0a031000,
		                                .dst_ip4 = 0x0a020001,
		                                .sport0 = 3000 };
	static const char *const app[] = { "--mbufs", "4096", NULL };
	char dir[256], path[400], config[2048];
	int64_t est_tx, lim, lim0, lim1, flood_tx, n_rx, no_output, sum;
	uint64_t t0;
	struct th_daemon d;

	(void)state;
	th_scratch("exhaust-ct", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ea.pcap", dir);
	write_tuples_pcap(path, 64, 8, 80, &est);
	snprintf(path, sizeof(path), "%s/eb.pcap", dir);
	write_tuples_pcap(path, 64, 8, 80, &est_reply);
	snprintf(path, sizeof(path), "%s/flood.pcap", dir);
	write_tuples_pcap(path, 2048, 2048, 64, &flood);
	snprintf(path, sizeof(path), "%s/late.pcap", dir);
	write_tuples_pcap(path, 8, 8, 64, &late);
	/* Established traffic (either direction) to est_out, the flood to flood_out.  The
	 * megaflows mask only ct_state and a /16 of nw_src, so the flood needs no upcalls:
	 * the pressure is on conntrack alone. */
	snprintf(config, sizeof(config),
	         "port add est_out dpdk net_null0,no-rx=1 ofport=30\n"
	         "port add flood_out dpdk net_null1,no-rx=1 ofport=31\n"
	         "flow del\n"
	         "flow add table=0,ip actions=ct(table=1)\n"
	         "flow add table=1,priority=100,ct_state=+trk+new,ip,nw_src=10.1.0.0/16 "
	         "actions=ct(commit),output:est_out\n"
	         "flow add table=1,priority=100,ct_state=+trk+new,ip,nw_src=10.3.0.0/16 "
	         "actions=ct(commit),output:flood_out\n"
	         "flow add table=1,priority=90,ct_state=+trk+est,ip,nw_src=10.3.0.0/16 "
	         "actions=output:flood_out\n"
	         "flow add table=1,priority=80,ct_state=+trk+est actions=output:est_out\n"
	         "flow add table=1,priority=0 actions=drop\n");
	/* A small shared pool (unused: each generator has its own) leaves room in -m 256 for
	 * the connection table and the flood's pool. */
	assert_int_equal(th_start(&d, "exhaust-ct", config, NULL, app), 0);
	/* Short UDP timeouts, so the flood's connections go soon after it stops; the
	 * established ones see a packet every few microseconds. */
	assert_int_equal(th_ctl_status(&d, "ct timeout set udp_first=3 udp_single=3 "
	                                   "udp_multiple=3"),
	                 0);
	take_baseline(&d);
	assert_int_equal(th_ctl_status(&d,
	                               "port add ea dpdk net_pcap0,rx_pcap=%s/ea.pcap,"
	                               "infinite_rx=1 n_mbufs=1024",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "ea", 1000, 20), 0); /* committed before any reply */
	assert_int_equal(th_ctl_status(&d,
	                               "port add eb dpdk net_pcap1,rx_pcap=%s/eb.pcap,"
	                               "infinite_rx=1 n_mbufs=1024",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "eb", 1000, 20), 0);
	assert_int_equal(ct_num(&d, "count"), 8);
	window(&d, "est_out", 500, &est_tx, &lim);
	print_message("ct: established alone: %lld pkt/s\n", (long long)est_tx * 2);
	assert_true(est_gap(&d) <= EST_IN_FLIGHT);

	/* The table full: 24 connections at most, a flood of 2048 new tuples. */
	assert_int_equal(th_ctl_status(&d, "ct limit set default=24"), 0);
	lim0 = pmd_num(&d, "ct_limit");
	assert_int_equal(th_ctl_status(&d,
	                               "port add flood dpdk net_pcap2,rx_pcap=%s/flood.pcap,"
	                               "infinite_rx=1 n_mbufs=4096",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "flood", 4096, 20), 0);
	window(&d, "est_out", 1000, &est_tx, &lim);
	print_message("ct: table full: established %lld pkt/s, %lld ct_limit drops/s\n",
	              (long long)est_tx, (long long)lim);
	assert_int_equal(ct_num(&d, "count"), 24);
	assert_true(th_json_num(o.buf, NULL, "limit_global") > 0);
	assert_true(est_tx >= EST_MIN_PKTS_PER_S);
	assert_true(lim >= EST_MIN_PKTS_PER_S);        /* the flood is refused, and counted */
	assert_true(est_gap(&d) <= EST_IN_FLIGHT);     /* and the established lost nothing: */
	assert_int_equal(pmd_num(&d, "no_output"), 0); /* no reply met a lost connection */

	/* The flood stops; its 16 connections expire, the established 8 stay. */
	assert_int_equal(th_ctl_status(&d, "port del flood"), 0);
	lim1 = pmd_num(&d, "ct_limit");
	flood_tx = port_num(&d, "flood_out", "tx_packets");
	t0 = th_now_ms();
	/* The sweeper (PMD 0, 2048 slots a millisecond of a 4M-slot table) finds them
	 * within about 2 s past their timeout on a quiet machine, 5-12 s on a busy one. */
	wait_ct_count(&d, 8, 30);
	print_message("ct: flood stopped: %lld refused, %lld forwarded on its 16 connections; "
	              "8 connections left after %llu ms\n",
	              (long long)(lim1 - lim0), (long long)flood_tx,
	              (unsigned long long)(th_now_ms() - t0));
	/* New connections are accepted again: all 8 late tuples leave, nothing refused. */
	assert_int_equal(
			th_ctl_status(&d, "port add late dpdk net_pcap3,rx_pcap=%s/late.pcap", dir),
			0);
	assert_int_equal(th_wait_rx(&d, "late", 8, 20), 0);
	assert_int_equal(th_ctl_status(&d, "port del late"), 0);
	assert_int_equal(port_num(&d, "flood_out", "tx_packets") - flood_tx, 8);
	assert_int_equal(pmd_num(&d, "ct_limit"), lim1);
	assert_int_equal(ct_num(&d, "count"), 16);
	assert_true(est_gap(&d) <= EST_IN_FLIGHT);

	/* A flush under traffic: the requests commit their connections again. */
	assert_int_equal(th_ctl_status(&d, "ct flush"), 0);
	wait_ct_count(&d, 8, 20);
	window(&d, "est_out", 1000, &est_tx, &lim);
	assert_true(est_tx >= EST_MIN_PKTS_PER_S);
	assert_int_equal(lim, 0);

	/* Every packet in left or was counted: the flood's refused as ct_limit, the replies
	 * that met no connection just after the flush (a burst or two) as no_output. */
	assert_int_equal(th_ctl_status(&d, "port del ea"), 0);
	assert_int_equal(th_ctl_status(&d, "port del eb"), 0);
	n_rx = pmd_num(&d, "packets");
	no_output = th_json_num(o.buf, NULL, "no_output");
	sum = th_json_num(o.buf, NULL, "ct_limit") + no_output;
	sum += port_num(&d, "est_out", "tx_packets") + port_num(&d, "flood_out", "tx_packets");
	assert_int_equal(sum, n_rx);
	assert_true(no_output <= 64);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
}

/* Cuts the fields of "flow dump" lines that move with time and traffic. */
static void
strip_flow_counters(char *dump)
{
	static const char *const keys[] = { "duration=", "n_packets=", "n_bytes=" };
	unsigned int k;

	for (k = 0; k < 3; k++) {
		char *p, *e;

		while ((p = strstr(dump, keys[k])) != NULL && (e = strstr(p, ", ")) != NULL)
			memmove(p, e + 2, strlen(e + 2) + 1);
	}
}

/*
 * A config reload under traffic whose file changes a running port (out's MTU),
 * adds a rule, and adds a port whose device cannot be probed (its pcap file is
 * missing): the reload fails, naming the device, and the running state is
 * untouched: the same ports and rules, and "out" neither deleted nor re-added
 * (its counters go on from where they were, nothing was lost while it was
 * gone), forwarding at a measured rate.
 */
static void
test_exhaust_reload_error_untouched(void **state)
{
	char dir[256], path[400], path2[400], config[1024], ports[4096], flows[4096];
	int64_t tx0, tx1, drops0;
	struct th_daemon d;
	FILE *f;

	(void)state;
	th_scratch("exhaust-reload", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/gen.pcap", dir);
	write_udp_pcap(path, 64, 8, 100);
	snprintf(config, sizeof(config),
	         "port add out dpdk net_null0,no-rx=1 ofport=5\n"
	         "port add gen dpdk net_pcap0,rx_pcap=%s,infinite_rx=1 n_mbufs=1024 ofport=1\n"
	         "flow del\n"
	         "flow add in_port=gen actions=output:out\n",
	         path);
	assert_int_equal(th_start(&d, "exhaust-reload", config, NULL, NULL), 0);
	assert_int_equal(th_wait_rx(&d, "gen", 10000, 20), 0);
	assert_int_equal(th_ctl(&d, &o, "port list"), 0);
	assert_true(strlen(o.buf) < sizeof(ports));
	memcpy(ports, o.buf, strlen(o.buf) + 1);
	assert_int_equal(th_ctl(&d, &o, "flow dump"), 0);
	assert_true(strlen(o.buf) < sizeof(flows));
	memcpy(flows, o.buf, strlen(o.buf) + 1);
	strip_flow_counters(flows);
	drops0 = pmd_num(&d, "no_output") + pmd_num(&d, "table_miss");

	f = fopen(d.config, "w");
	assert_non_null(f);
	fprintf(f,
	        "port add out dpdk net_null0,no-rx=1 ofport=5 mtu=9000\n"
	        "port add gen dpdk net_pcap0,rx_pcap=%s,infinite_rx=1 n_mbufs=1024 ofport=1\n"
	        "port add extra dpdk net_pcap2,tx_pcap=%s/x_fail.pcap ofport=3\n"
	        "port add bad dpdk net_pcap1,rx_pcap=%s/missing.pcap ofport=2\n"
	        "flow del\n"
	        "flow add in_port=gen actions=output:out\n"
	        "flow add in_port=bad actions=output:out\n",
	        path, dir, dir);
	fclose(f);
	tx0 = port_num(&d, "out", "tx_packets");
	assert_int_equal(th_ctl(&d, &o, "config reload"), 1);
	assert_non_null(strstr(o.err, "net_pcap1"));
	tx1 = port_num(&d, "out", "tx_packets");
	print_message("reload with an unprobeable port: out sent %lld before, %lld after\n",
	              (long long)tx0, (long long)tx1);
	assert_true(tx1 >= tx0); /* not re-added: its counters were not reset */
	assert_int_equal(pmd_num(&d, "no_output") + pmd_num(&d, "table_miss"), drops0);
	assert_int_equal(th_ctl(&d, &o, "port list"), 0);
	assert_string_equal(o.buf, ports);
	assert_int_equal(th_ctl(&d, &o, "flow dump"), 0);
	strip_flow_counters(o.buf);
	assert_string_equal(o.buf, flows);
	assert_true(tx_rate(&d, "out", 1000) >= EST_MIN_PKTS_PER_S);

	/* The failed reload probed extra's device (net_pcap2), then removed it: probing it
	 * again creates a new tx file (attaching to a device still there would not). */
	assert_int_equal(
			th_ctl_status(&d, "port add chk dpdk net_pcap2,tx_pcap=%s/x_chk.pcap", dir),
			0);
	snprintf(path2, sizeof(path2), "%s/x_chk.pcap", dir);
	assert_int_equal(access(path2, F_OK), 0);
	assert_int_equal(th_ctl_status(&d, "port del chk"), 0);

	/* Without the bad port the same file applies: "extra" is added, "out" re-added with
	 * its new MTU. */
	f = fopen(d.config, "w");
	assert_non_null(f);
	fprintf(f,
	        "port add out dpdk net_null0,no-rx=1 ofport=5 mtu=9000\n"
	        "port add gen dpdk net_pcap0,rx_pcap=%s,infinite_rx=1 n_mbufs=1024 ofport=1\n"
	        "port add extra dpdk net_pcap2,tx_pcap=%s/x_ok.pcap ofport=3\n"
	        "flow del\n"
	        "flow add in_port=gen actions=output:out\n",
	        path, dir);
	fclose(f);
	assert_int_equal(th_ctl(&d, &o, "config reload"), 0);
	assert_int_equal(th_ctl(&d, &o, "port list"), 0);
	assert_non_null(strstr(o.buf, "extra"));
	assert_non_null(strstr(o.buf, "mtu=9000"));
	/* The reload probed extra's device, so deleting the port removes it. */
	assert_int_equal(th_ctl_status(&d, "port del extra"), 0);
	assert_int_equal(th_ctl_status(&d, "port add extra2 dpdk net_pcap2,tx_pcap=%s/x_again.pcap",
	                               dir),
	                 0);
	snprintf(path2, sizeof(path2), "%s/x_again.pcap", dir);
	assert_int_equal(access(path2, F_OK), 0);
	assert_true(tx_rate(&d, "out", 1000) >= EST_MIN_PKTS_PER_S);
	assert_int_equal(th_stop(&d), 0);
}

/*
 * Reads port a's tx and copy failures and port b's tx once b sent 'want' and a sent or
 * counted 'want' minus 'a_before' more (within 5 s: a PMD that a loaded machine preempts
 * may still hold the last burst when rx has reached its count).
 */
static void
wait_out(struct th_daemon *d, int64_t want, int64_t a_before, int64_t *a_tx, int64_t *a_fail,
         int64_t *b_tx)
{
	int i;

	for (i = 0; i < 50; i++) {
		*a_tx = port_num(d, "a", "tx_packets");
		*a_fail = port_num(d, "a", "tx_copy_failed");
		*b_tx = port_num(d, "b", "tx_packets");
		if (*b_tx >= want && *a_tx + *a_fail >= a_before + 5000)
			return;
		th_sleep_ms(100);
	}
}

/*
 * A pcap generator holds nearly the whole shared pool (--mbufs 1024): the
 * copies an output to two ports needs fail and are counted, the originals are
 * forwarded.  With the generator gone, copies succeed again.
 */
static void
test_exhaust_shared_pool(void **state)
{
	static const char *const app[] = { "--mbufs", "1024", NULL };
	char dir[256], path[400], config[2048];
	int64_t a_tx, a_fail, b_tx, a_tx2, a_fail2, b_tx2, in_use;
	struct th_daemon d;

	(void)state;
	th_scratch("exhaust-mp", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/hog.pcap", dir);
	write_udp_pcap(path, 1000, 1, 60);
	snprintf(path, sizeof(path), "%s/in1.pcap", dir);
	write_udp_pcap(path, 5000, 50, 100);
	snprintf(path, sizeof(path), "%s/in2.pcap", dir);
	write_udp_pcap(path, 5000, 50, 100);
	snprintf(config, sizeof(config),
	         "port add a dpdk net_null0,no-rx=1\n"
	         "port add b dpdk net_null1,no-rx=1\n"
	         "flow del\n"
	         "flow add in_port=10 actions=output:a,output:b\n"
	         "flow add in_port=12 actions=output:a,output:b\n"
	         "flow add in_port=11 actions=drop\n");
	assert_int_equal(th_start(&d, "exhaust-mp", config, NULL, app), 0);
	take_baseline(&d);

	/* The hog: its file sits in the shared pool (no n_mbufs=). */
	assert_int_equal(th_ctl_status(&d,
	                               "port add hog dpdk net_pcap0,rx_pcap=%s/hog.pcap,"
	                               "infinite_rx=1 ofport=11",
	                               dir),
	                 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	in_use = th_json_num(o.buf, "\"vs_shared\"", "in_use");
	assert_true(in_use >= 1000);

	/* 5000 frames from a port with its own pool, each output to a and b. */
	assert_int_equal(th_ctl_status(&d,
	                               "port add in1 dpdk net_pcap1,rx_pcap=%s/in1.pcap "
	                               "n_mbufs=1024 ofport=10",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "in1", 5000, 30), 0);
	wait_out(&d, 5000, 0, &a_tx, &a_fail, &b_tx);
	print_message("pool exhausted: %lld copies sent, %lld failed, %lld originals sent\n",
	              (long long)a_tx, (long long)a_fail, (long long)b_tx);
	assert_int_equal(b_tx, 5000);          /* every original left */
	assert_int_equal(a_tx + a_fail, 5000); /* every copy sent or counted */
	assert_true(a_fail > 0);

	/* The pressure stops: the hog's mbufs come back, copies succeed. */
	assert_int_equal(th_ctl_status(&d, "port del hog"), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_ctl_status(&d,
	                               "port add in2 dpdk net_pcap2,rx_pcap=%s/in2.pcap "
	                               "n_mbufs=1024 ofport=12",
	                               dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "in2", 5000, 30), 0);
	wait_out(&d, 10000, a_tx + a_fail, &a_tx2, &a_fail2, &b_tx2);
	assert_int_equal(b_tx2 - b_tx, 5000);
	assert_int_equal(a_tx2 - a_tx, 5000);
	assert_int_equal(a_fail2, a_fail);
	assert_int_equal(pmd_num(&d, "copy_failed"), 0);
	assert_int_equal(th_ctl_status(&d, "port del in1"), 0);
	assert_int_equal(th_ctl_status(&d, "port del in2"), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
}

/*
 * sluiced killed with SIGKILL under traffic and started again with the same
 * config: the stale control socket is removed, the ports come back, and it
 * forwards again (the time it takes is printed).
 */
static void
test_exhaust_sigkill_restart(void **state)
{
	char dir[256], path[400], config[1024], log[65536];
	struct th_daemon d;
	uint64_t t0, t_fwd;
	FILE *f;
	size_t n;

	(void)state;
	th_scratch("exhaust-kill", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/gen.pcap", dir);
	write_udp_pcap(path, 64, 8, 100);
	snprintf(config, sizeof(config),
	         "port add gen dpdk net_pcap0,rx_pcap=%s,infinite_rx=1 n_mbufs=1024\n"
	         "port add o1 dpdk net_null0,no-rx=1\n"
	         "flow del\n"
	         "flow add in_port=gen actions=output:o1\n",
	         path);
	assert_int_equal(th_start(&d, "exhaust-kill", config, NULL, NULL), 0);
	/* Forwarding before the kill (the first packets may take a moment on a busy machine). */
	assert_true(wait_forwarding(&d, "o1", th_now_ms(), 10000) < 10000);
	wait_steady(&d, "gen", "o1");
	th_kill(&d); /* SIGKILL: no cleanup, the socket file stays */
	assert_int_equal(access(d.ctl, F_OK), 0);

	t0 = th_now_ms();
	assert_int_equal(th_start(&d, "exhaust-kill", config, NULL, NULL), 0);
	t_fwd = wait_forwarding(&d, "o1", t0, 10000);
	print_message("forwarding again %llu ms after the restart began\n",
	              (unsigned long long)t_fwd);
	/* About a second here (EAL start-up, the config); 10 s for a busy machine. */
	assert_true(t_fwd < 10000);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ports"), 2);
	assert_int_equal(th_stop(&d), 0);
	f = fopen(d.log, "r");
	assert_non_null(f);
	n = fread(log, 1, sizeof(log) - 1, f);
	log[n] = '\0';
	fclose(f);
	assert_non_null(strstr(log, "removed stale control socket"));
}

/* Waits until 'port' shows "link=STATE" in "port list" (at most 5 s). */
static void
wait_link(struct th_daemon *d, const char *port, const char *state)
{
	char want[128];
	int i;

	snprintf(want, sizeof(want), "link=%s", state);
	for (i = 0; i < 100; i++) {
		const char *line;

		assert_int_equal(th_ctl(d, &o, "port list"), 0);
		line = strstr(o.buf, port);
		if (line != NULL && strstr(line, want) != NULL &&
		    (strchr(line, '\n') == NULL || strstr(line, want) < strchr(line, '\n')))
			return;
		th_sleep_ms(50);
	}
	fail_msg("port %s never showed %s:\n%s", port, want, o.buf);
}

/*
 * A port's link goes down and up (a net_tap port, the kernel side set down
 * with ip link) under traffic: while down, "port list" says so and what the
 * port cannot send is counted; once up it transmits again; every packet in
 * is sent or counted, and the mbufs come back.
 */
static void
test_exhaust_link_down_up(void **state)
{
	char dir[256], path[400], config[1024], iface[16], cmd[128];
	int64_t tx0, tx1, tx2, full, n_rx, miss;
	struct th_daemon d;
	FILE *f;
	int i;

	(void)state;
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		print_message("no /dev/net/tun: link test skipped\n");
		skip();
	}
	th_scratch("exhaust-link", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/gen.pcap", dir);
	write_udp_pcap(path, 64, 8, 100);
	snprintf(iface, sizeof(iface), "sltap%d", (int)(getpid() % 100000));
	snprintf(config, sizeof(config),
	         "port add t0 dpdk net_tap0,iface=%s\n"
	         "flow del\n"
	         "flow add in_port=10 actions=output:t0\n",
	         iface);
	assert_int_equal(th_start(&d, "exhaust-link", config, NULL, NULL), 0);
	/* No IPv6 on the kernel side: it would send neighbour discovery into the switch. */
	snprintf(cmd, sizeof(cmd), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", iface);
	f = fopen(cmd, "w");
	if (f != NULL) {
		fputs("1", f);
		fclose(f);
	}
	take_baseline(&d);
	assert_int_equal(th_ctl_status(&d,
	                               "port add gen dpdk net_pcap0,rx_pcap=%s,infinite_rx=1 "
	                               "n_mbufs=1024 ofport=10",
	                               path),
	                 0);
	wait_link(&d, "t0", "up");
	assert_true(wait_forwarding(&d, "t0", th_now_ms(), 10000) < 10000);
	/* Forwarding at a rate before the link goes down. */
	wait_steady(&d, "gen", "t0");

	snprintf(cmd, sizeof(cmd), "ip link set %s down", iface);
	assert_int_equal(system(cmd), 0);
	wait_link(&d, "t0", "down");
	/* The kernel may still take a few writes after it reports the link down: start
	 * counting once the tap refuses them (tx_queue_full grows). */
	full = port_num(&d, "t0", "tx_queue_full");
	for (i = 0; i < 100 && port_num(&d, "t0", "tx_queue_full") == full; i++)
		th_sleep_ms(50);
	th_sleep_ms(100);
	tx0 = port_num(&d, "t0", "tx_packets");
	full = port_num(&d, "t0", "tx_queue_full");
	th_sleep_ms(1000);
	tx1 = port_num(&d, "t0", "tx_packets");
	full = port_num(&d, "t0", "tx_queue_full") - full;
	assert_int_equal(tx1, tx0);              /* nothing leaves a down link */
	assert_true(full >= EST_MIN_PKTS_PER_S); /* and what it cannot send is counted */

	snprintf(cmd, sizeof(cmd), "ip link set %s up", iface);
	assert_int_equal(system(cmd), 0);
	wait_link(&d, "t0", "up");
	th_sleep_ms(1000);
	tx2 = port_num(&d, "t0", "tx_packets");
	print_message("link down: %lld sent before, none while down (%lld counted tx_queue_full "
	              "in 1 s); %lld in the second after it came up\n",
	              (long long)tx1, (long long)full, (long long)(tx2 - tx1));
	/* Sending again at a rate (the link state is polled: it may come up later). */
	assert_true(tx2 - tx1 >= EST_MIN_PKTS_PER_S);

	assert_int_equal(th_ctl_status(&d, "port del gen"), 0);
	/* What the kernel sent out of the tap before IPv6 was off on it (neighbour
	 * discovery) meets no rule: table_miss. */
	n_rx = pmd_num(&d, "packets");
	miss = th_json_num(o.buf, NULL, "table_miss");
	assert_int_equal(port_num(&d, "t0", "tx_packets") + port_num(&d, "t0", "tx_queue_full") +
	                                 miss,
	                 n_rx);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exhaust_megaflows_and_upcalls),
		cmocka_unit_test(test_exhaust_ct_table_full),
		cmocka_unit_test(test_exhaust_reload_error_untouched),
		cmocka_unit_test(test_exhaust_shared_pool),
		cmocka_unit_test(test_exhaust_sigkill_restart),
		cmocka_unit_test(test_exhaust_link_down_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
