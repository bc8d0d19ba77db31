/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connection tracking through the real sluiced: packet sequences built here
 * go in through net_pcap rx files, a stateful firewall ruleset with ct()
 * decides, and the frames that come out say what conntrack decided.
 *
 * The ruleset records each packet's verdict in the packet: after the
 * firewall step (allow new from inside and commit, allow established and
 * related, reject the rest), table 2 writes the packet's ct_state into the
 * last byte of dl_dst, and table 3 sends allowed packets to port "out" and
 * rejected ones to port "rej".  Packets are numbered in the IPv4
 * identification / IPv6 flow label (run * 256 + index), which conntrack
 * ignores, so each packet's (port, ct_state) is read back whatever the
 * output order.  A packet that comes out of neither port was dropped.
 *
 * Injection: "all at once" writes the sequence to one pcap that a new port
 * reads (bursts of up to 32); "one per burst" adds one port per packet and
 * deletes it once the packet is through, so each packet is its own burst.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pkt_build.h"
#include "th.h"

#define MAX_SEQ    64
#define MAX_RUNS   4
#define MAX_FRAMES 1024

/* Hosts: A inside (10.1.0.1, fd01::1), B outside (10.2.0.1, fd02::1). */
#define A4 0x0a010001u
#define B4 0x0a020001u

/* ct_state bits as OVS (and the recorder) write them. */
#define S_NEW 0x01
#define S_EST 0x02
#define S_REL 0x04
#define S_RPL 0x08
#define S_INV 0x10
#define S_TRK 0x20

/* A verdict: where the packet came out and with which ct_state. */
#define V_OUT(s) (0x100 | (s))
#define V_REJ(s) (0x200 | (s))
#define V_DROP   0

static struct th_out o;
static struct th_frame frames[MAX_FRAMES];
static const uint8_t zeros[64];

/* One packet of a sequence and its expected verdict. */
struct pkt {
	struct pb_flow f;
	struct pb_flow inner; /* quoted packet of ICMP errors */
	int expect;
	uint16_t ip_len; /* IPv4: total length to write instead (a truncated L4), 0 = none */
};

struct seq {
	int n;
	struct pkt p[MAX_SEQ];
};

static struct pkt *
seq_add(struct seq *s, int expect)
{
	struct pkt *p = &s->p[s->n++];

	assert_true(s->n <= MAX_SEQ);
	pb_flow_init(&p->f);
	p->expect = expect;
	return p;
}

static void
set_v6(struct pb_flow *f, bool a_to_b)
{
	static const uint8_t a6[16] = { 0xfd, 0x01, [15] = 1 }, b6[16] = { 0xfd, 0x02, [15] = 1 };

	f->l3 = PB_L3_IPV6;
	memcpy(f->src_ip6, a_to_b ? a6 : b6, 16);
	memcpy(f->dst_ip6, a_to_b ? b6 : a6, 16);
}

/* TCP segment between A:aport and B:bport; 'a_to_b' gives the direction. */
static struct pkt *
tcp(struct seq *s, int expect, bool a_to_b, uint16_t aport, uint16_t bport, uint16_t flags,
    uint32_t seq, uint32_t ack, size_t len)
{
	struct pkt *p = seq_add(s, expect);

	p->f.proto = PB_IPPROTO_TCP;
	p->f.src_ip4 = a_to_b ? A4 : B4;
	p->f.dst_ip4 = a_to_b ? B4 : A4;
	p->f.sport = a_to_b ? aport : bport;
	p->f.dport = a_to_b ? bport : aport;
	p->f.tcp_flags = flags;
	p->f.tcp_seq = seq;
	p->f.tcp_ack = ack;
	p->f.tcp_win = 65535;
	p->f.payload = zeros;
	p->f.payload_len = len;
	return p;
}

static struct pkt *
udp(struct seq *s, int expect, bool a_to_b, uint16_t aport, uint16_t bport)
{
	struct pkt *p = seq_add(s, expect);

	p->f.proto = PB_IPPROTO_UDP;
	p->f.src_ip4 = a_to_b ? A4 : B4;
	p->f.dst_ip4 = a_to_b ? B4 : A4;
	p->f.sport = a_to_b ? aport : bport;
	p->f.dport = a_to_b ? bport : aport;
	p->f.payload = zeros;
	p->f.payload_len = 8;
	return p;
}

static struct pkt *
icmp(struct seq *s, int expect, bool a_to_b, uint8_t type, uint8_t code, uint16_t id)
{
	struct pkt *p = seq_add(s, expect);

	p->f.proto = PB_IPPROTO_ICMP;
	p->f.src_ip4 = a_to_b ? A4 : B4;
	p->f.dst_ip4 = a_to_b ? B4 : A4;
	p->f.icmp_type = type;
	p->f.icmp_code = code;
	p->f.icmp_id = id;
	p->f.icmp_seq = 1;
	return p;
}

/* Builds frame 'i' of 's' for run 'run' into 'buf'; returns its length. */
static size_t
build(const struct seq *s, int i, int run, uint8_t *buf)
{
	struct pb_flow f = s->p[i].f;
	size_t len;

	if (f.inner != NULL)
		f.inner = &s->p[i].inner;
	f.ip_id = (uint16_t)(run * 256 + i);
	f.flow_label = (uint32_t)(run * 256 + i);
	len = pb_build(&f, buf, PB_FRAME_MAX, 60);
	assert_true(len > 0);
	if (s->p[i].ip_len != 0) {
		uint32_t sum = 0;
		int w;

		buf[16] = (uint8_t)(s->p[i].ip_len >> 8);
		buf[17] = (uint8_t)s->p[i].ip_len;
		buf[24] = buf[25] = 0;
		for (w = 14; w < 34; w += 2)
			sum += (uint32_t)(buf[w] << 8 | buf[w + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		buf[24] = (uint8_t)(~sum >> 8);
		buf[25] = (uint8_t)~sum;
	}
	return len;
}

/* ------------------------------------------------------------------ */
/* The daemon and its ruleset. */

static const char *const flag_names[6] = { "new", "est", "rel", "rpl", "inv", "trk" };

/* Appends a line to 'buf' (size 'size'). */
static void __attribute__((format(printf, 3, 4))) cat(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	assert_true(strlen(buf) + 1 < size);
}

/*
 * The firewall (zone from reg1: 5 for frames from 02:00:00:00:00:05, else 0)
 * and the verdict recorder.  'extra' is appended (limits, timeouts).
 */
static void
start_fw_eal(struct th_daemon *d, const char *name, const char *extra, const char *const *eal_extra)
{
	static char config[65536];
	const char *z = "zone=NXM_NX_REG1[0..15]";
	char dir[256];
	int v, b;

	th_scratch(name, dir, sizeof(dir));
	config[0] = '\0';
	cat(config, sizeof(config),
	    "port add out dpdk net_pcap1,tx_pcap=%s/out.pcap\n"
	    "port add rej dpdk net_pcap2,tx_pcap=%s/rej.pcap\n"
	    "flow del\n%s",
	    dir, dir, extra);
	cat(config, sizeof(config),
	    "flow add table=0,priority=20,ip,dl_src=02:00:00:00:00:05 "
	    "actions=set_field:5->reg1,ct(%s,table=1)\n"
	    "flow add table=0,priority=20,ipv6,dl_src=02:00:00:00:00:05 "
	    "actions=set_field:5->reg1,ct(%s,table=1)\n"
	    "flow add table=0,priority=10,ip actions=ct(%s,table=1)\n"
	    "flow add table=0,priority=10,ipv6 actions=ct(%s,table=1)\n"
	    "flow add table=1,priority=100,ct_state=+trk+new,ip,nw_src=10.1.0.0/16 "
	    "actions=ct(commit,%s),set_field:1->reg0,resubmit(,2)\n"
	    "flow add table=1,priority=100,ct_state=+trk+new,ipv6,ipv6_src=fd01::/16 "
	    "actions=ct(commit,%s),set_field:1->reg0,resubmit(,2)\n"
	    "flow add table=1,priority=90,ct_state=+trk+est actions=set_field:1->reg0,"
	    "resubmit(,2)\n"
	    "flow add table=1,priority=90,ct_state=+trk+rel actions=set_field:1->reg0,"
	    "resubmit(,2)\n"
	    "flow add table=1,priority=0 actions=set_field:2->reg0,resubmit(,2)\n"
	    "flow add table=3,reg0=1 actions=output:out\n"
	    "flow add table=3,reg0=2 actions=output:rej\n",
	    z, z, z, z, z, z);
	/* Recorder: one rule per ct_state value with trk set. */
	for (v = S_TRK; v < 64; v++) {
		cat(config, sizeof(config), "flow add table=2,ct_state=");
		for (b = 0; b < 6; b++)
			cat(config, sizeof(config), "%c%s", (v >> b) & 1 ? '+' : '-',
			    flag_names[b]);
		cat(config, sizeof(config),
		    " actions=mod_dl_dst:02:00:00:00:00:%02x,resubmit(,3)\n", v);
	}
	assert_int_equal(th_start(d, name, config, eal_extra, NULL), 0);
}

static void
start_fw(struct th_daemon *d, const char *name, const char *extra)
{
	start_fw_eal(d, name, extra, NULL);
}

/*
 * Feeds frames [from, to) of 's' as run 'run' through one new port (bursts of
 * up to 32), named into 'name' when not NULL, and kept if 'keep'.
 */
static void
inject_port(struct th_daemon *d, const struct seq *s, int from, int to, int run, bool keep,
            char *name)
{
	static int n_ports;
	static uint8_t bufs[MAX_SEQ][PB_FRAME_MAX];
	uint8_t *ptrs[MAX_SEQ];
	size_t lens[MAX_SEQ];
	char path[400], port[32];
	int i, k = n_ports++;

	for (i = from; i < to; i++) {
		lens[i - from] = build(s, i, run, bufs[i - from]);
		ptrs[i - from] = bufs[i - from];
	}
	snprintf(path, sizeof(path), "%s/in%d.pcap", d->dir, k);
	assert_int_equal(th_write_pcap(path, ptrs, lens, to - from), 0);
	snprintf(port, sizeof(port), "i%d", k);
	assert_int_equal(th_ctl(d, &o, "port add %s dpdk net_pcap%d,rx_pcap=%s", port, 100 + k,
	                        path),
	                 0);
	assert_int_equal(th_wait_rx(d, port, to - from, 20), 0);
	if (name != NULL)
		snprintf(name, 32, "%s", port);
	if (keep) {
		/* Every PMD serves "megaflow dump" between iterations: the burst is through. */
		assert_int_equal(th_ctl(d, &o, "megaflow dump"), 0);
		return;
	}
	/* The delete waits for the PMD's next iteration: the burst is through. */
	assert_int_equal(th_ctl(d, &o, "port del %s", port), 0);
}

static void
inject(struct th_daemon *d, const struct seq *s, int from, int to, int run)
{
	inject_port(d, s, from, to, run, false, NULL);
}

/* IPv4 identification of inject_bulk()'s frames, which read_verdicts() skips. */
#define BULK_ID 0xffff

/* Feeds 'n' UDP requests from A (source ports from 'port0') to B:53 through one new port. */
static void
inject_bulk(struct th_daemon *d, int n, uint16_t port0)
{
	static uint8_t bufs[2048][64];
	static uint8_t *ptrs[2048];
	static size_t lens[2048];
	static int k;
	char path[400], port[32];
	struct pb_flow f;
	int i;

	assert_true(n <= 2048);
	for (i = 0; i < n; i++) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_UDP;
		f.src_ip4 = A4;
		f.dst_ip4 = B4;
		f.sport = (uint16_t)(port0 + i);
		f.dport = 53;
		f.ip_id = BULK_ID;
		lens[i] = pb_build(&f, bufs[i], sizeof(bufs[i]), 60);
		assert_true(lens[i] > 0);
		ptrs[i] = bufs[i];
	}
	snprintf(path, sizeof(path), "%s/bulk%d.pcap", d->dir, k);
	assert_int_equal(th_write_pcap(path, ptrs, lens, n), 0);
	snprintf(port, sizeof(port), "b%d", k);
	assert_int_equal(th_ctl(d, &o, "port add %s dpdk net_pcap%d,rx_pcap=%s", port, 200 + k,
	                        path),
	                 0);
	k++;
	assert_int_equal(th_wait_rx(d, port, n, 20), 0);
	assert_int_equal(th_ctl(d, &o, "port del %s", port), 0);
}

/* Reads both output pcaps into verdicts[run][index]. */
static void
read_verdicts(struct th_daemon *d, int verdicts[MAX_RUNS][MAX_SEQ])
{
	static const char *const ports[2] = { "out", "rej" };
	char path[400];
	int p, i, n;

	memset(verdicts, 0, sizeof(int) * MAX_RUNS * MAX_SEQ);
	for (p = 0; p < 2; p++) {
		snprintf(path, sizeof(path), "%s/%s.pcap", d->dir, ports[p]);
		n = th_read_pcap(path, frames, MAX_FRAMES);
		assert_true(n >= 0);
		for (i = 0; i < n; i++) {
			const uint8_t *f = frames[i].data;
			uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
			unsigned int id;

			if (et == 0x0800)
				id = (unsigned int)(f[18] << 8 | f[19]);
			else
				id = (unsigned int)((f[15] & 0xf) << 16 | f[16] << 8 | f[17]);
			if (id == BULK_ID)
				continue; /* inject_bulk() */
			assert_true(id / 256 < MAX_RUNS && id % 256 < MAX_SEQ);
			/* Each packet comes out once. */
			assert_int_equal(verdicts[id / 256][id % 256], 0);
			verdicts[id / 256][id % 256] = (p == 0 ? 0x100 : 0x200) | f[5];
		}
	}
}

static void
check_verdicts(const struct seq *s, int run, const int *got)
{
	int i, bad = 0;

	for (i = 0; i < s->n; i++) {
		if (got[i] == s->p[i].expect)
			continue;
		fprintf(stderr, "run %d packet %d: verdict 0x%03x, expected 0x%03x\n", run, i,
		        got[i], s->p[i].expect);
		bad++;
	}
	assert_int_equal(bad, 0);
}

/* "ct dump" with the timeouts cut out and the lines sorted, for comparing runs. */
static void
dump_sorted(struct th_daemon *d, char *out, size_t size)
{
	char *lines[256], *save = NULL, *l;
	int n = 0, i, j;

	assert_int_equal(th_ctl(d, &o, "ct dump"), 0);
	for (l = strtok_r(o.buf, "\n", &save); l != NULL && n < 256;
	     l = strtok_r(NULL, "\n", &save)) {
		char *t = strstr(l, ",timeout=");
		char *e = t != NULL ? strchr(t + 1, ',') : NULL;

		if (t != NULL && e != NULL)
			memmove(t, e, strlen(e) + 1);
		lines[n++] = l;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *tmp = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = tmp;
		}
	out[0] = '\0';
	for (i = 0; i < n; i++)
		cat(out, size, "%s\n", lines[i]);
}

/* ------------------------------------------------------------------ */

/* The sequence of the firewall test; every packet says what it should get. */
static void
firewall_sequence(struct seq *s)
{
	struct pkt *p;

	s->n = 0;
	/* 0-9: TCP handshake, data, retransmission, out-of-window, FIN close. */
	tcp(s, V_OUT(S_TRK | S_NEW), true, 1000, 80, PB_TCP_SYN, 100, 0, 0);
	tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 1000, 80, PB_TCP_SYN | PB_TCP_ACK, 500, 101, 0);
	tcp(s, V_OUT(S_TRK | S_EST), true, 1000, 80, PB_TCP_ACK, 101, 501, 0);
	tcp(s, V_OUT(S_TRK | S_EST), true, 1000, 80, PB_TCP_PSH | PB_TCP_ACK, 101, 501, 10);
	tcp(s, V_OUT(S_TRK | S_EST), true, 1000, 80, PB_TCP_PSH | PB_TCP_ACK, 101, 501, 10);
	tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 1000, 80, PB_TCP_ACK, 501, 111, 0);
	tcp(s, V_REJ(S_TRK | S_INV), false, 1000, 80, PB_TCP_ACK, 501 + 2000000000u, 111, 10);
	tcp(s, V_OUT(S_TRK | S_EST), true, 1000, 80, PB_TCP_FIN | PB_TCP_ACK, 111, 501, 0);
	tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 1000, 80, PB_TCP_FIN | PB_TCP_ACK, 501, 112, 0);
	tcp(s, V_OUT(S_TRK | S_EST), true, 1000, 80, PB_TCP_ACK, 112, 502, 0);
	/* 10: a new SYN on the TIME_WAIT tuple opens a new connection. */
	tcp(s, V_OUT(S_TRK | S_NEW), true, 1000, 80, PB_TCP_SYN, 90000, 0, 0);
	/* 11-13: UDP request, response, more. */
	udp(s, V_OUT(S_TRK | S_NEW), true, 5000, 53);
	udp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 5000, 53);
	udp(s, V_OUT(S_TRK | S_EST), true, 5000, 53);
	/* 14-15: ping. */
	icmp(s, V_OUT(S_TRK | S_NEW), true, 8, 0, 7);
	icmp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 0, 0, 7);
	/* 16-17: UDP, then port unreachable quoting it: related. */
	udp(s, V_OUT(S_TRK | S_NEW), true, 6000, 161);
	p = icmp(s, V_OUT(S_TRK | S_REL | S_RPL), false, 3, 3, 0);
	pb_flow_init(&p->inner);
	p->inner.proto = PB_IPPROTO_UDP;
	p->inner.src_ip4 = A4;
	p->inner.dst_ip4 = B4;
	p->inner.sport = 6000;
	p->inner.dport = 161;
	p->f.inner = &p->inner;
	/* 18: an error quoting a packet of no connection: invalid. */
	p = icmp(s, V_REJ(S_TRK | S_INV), false, 3, 3, 0);
	pb_flow_init(&p->inner);
	p->inner.proto = PB_IPPROTO_UDP;
	p->inner.src_ip4 = A4;
	p->inner.dst_ip4 = B4;
	p->inner.sport = 7000;
	p->inner.dport = 999;
	p->f.inner = &p->inner;
	/* 19-20: new from outside: rejected, not committed. */
	udp(s, V_REJ(S_TRK | S_NEW), false, 22, 4000);
	tcp(s, V_REJ(S_TRK | S_NEW), false, 80, 2000, PB_TCP_SYN, 1, 0, 0);
	/* 21-23: IPv6 handshake. */
	p = tcp(s, V_OUT(S_TRK | S_NEW), true, 1100, 443, PB_TCP_SYN, 100, 0, 0);
	set_v6(&p->f, true);
	p = tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 1100, 443, PB_TCP_SYN | PB_TCP_ACK, 700,
	        101, 0);
	set_v6(&p->f, false);
	p = tcp(s, V_OUT(S_TRK | S_EST), true, 1100, 443, PB_TCP_ACK, 101, 701, 0);
	set_v6(&p->f, true);
	/* 24-26: SYN, SYN-ACK, RST from the server. */
	tcp(s, V_OUT(S_TRK | S_NEW), true, 1200, 80, PB_TCP_SYN, 1000, 0, 0);
	tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 1200, 80, PB_TCP_SYN | PB_TCP_ACK, 7000, 1001,
	    0);
	tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 1200, 80, PB_TCP_RST | PB_TCP_ACK, 7001, 1001,
	    0);
	/* 27-29: zone 5 (frames from 02:00:00:00:00:05) does not see zone 0's UDP connection. */
	p = udp(s, V_REJ(S_TRK | S_NEW), false, 5000, 53);
	p->f.src_mac[5] = 5;
	p = udp(s, V_OUT(S_TRK | S_NEW), true, 5000, 53);
	p->f.src_mac[5] = 5;
	p = udp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 5000, 53);
	p->f.src_mac[5] = 5;
	/* 30-33: IPv6 ping and UDP request/response. */
	p = icmp(s, V_OUT(S_TRK | S_NEW), true, 128, 0, 9);
	set_v6(&p->f, true);
	p->f.proto = PB_IPPROTO_ICMPV6;
	p = icmp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 129, 0, 9);
	set_v6(&p->f, false);
	p->f.proto = PB_IPPROTO_ICMPV6;
	p = udp(s, V_OUT(S_TRK | S_NEW), true, 5300, 53);
	set_v6(&p->f, true);
	p = udp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 5300, 53);
	set_v6(&p->f, false);
	/* 34: an ICMP error from A quoting B's UDP reply: related, original direction. */
	p = icmp(s, V_OUT(S_TRK | S_REL), true, 3, 3, 0);
	pb_flow_init(&p->inner);
	p->inner.proto = PB_IPPROTO_UDP;
	p->inner.src_ip4 = B4;
	p->inner.dst_ip4 = A4;
	p->inner.sport = 53;
	p->inner.dport = 5000;
	p->f.inner = &p->inner;
	/* 35-36: another IP protocol (GRE): tracked by addresses, new then established. */
	p = udp(s, V_OUT(S_TRK | S_NEW), true, 0, 0);
	p->f.proto = 47;
	p = udp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 0, 0);
	p->f.proto = 47;
	/* 37: an IPv4 fragment reaching ct(): dropped (ct_fragment). */
	p = udp(s, V_DROP, true, 5000, 53);
	p->f.ip_frag = PB_IP_MF;
	/* 38: an IPv6 first fragment (fragment header, M set): dropped too. */
	p = udp(s, V_DROP, true, 5300, 53);
	set_v6(&p->f, true);
	p->f.n_ext = 1;
	p->f.ext[0].type = PB_IPPROTO_FRAGMENT;
	p->f.ext[0].frag_more = true;
	p->f.ext[0].frag_id = 77;
}

/* The connections the sequence leaves (dump lines without timeout=), in sorted order.
 * Related ICMP errors are not counted in their connection, as in nf_conntrack
 * (docs/ct-differential.md). */
static const char *const fw_conns[] = {
	"47,orig=(src=10.1.0.1,dst=10.2.0.1),reply=(src=10.2.0.1,dst=10.1.0.1),packets=2,"
	"bytes=120",
	"icmp,orig=(src=10.1.0.1,dst=10.2.0.1,id=7,type=8,code=0),reply=(src=10.2.0.1,"
	"dst=10.1.0.1,id=7,type=0,code=0),packets=2,bytes=120",
	"icmpv6,orig=(src=fd01::1,dst=fd02::1,id=9,type=128,code=0),reply=(src=fd02::1,"
	"dst=fd01::1,id=9,type=129,code=0),packets=2,bytes=124",
	"tcp,orig=(src=10.1.0.1,dst=10.2.0.1,sport=1000,dport=80),reply=(src=10.2.0.1,"
	"dst=10.1.0.1,sport=80,dport=1000),protoinfo=(state=SYN_SENT),packets=1,bytes=60",
	"tcp,orig=(src=10.1.0.1,dst=10.2.0.1,sport=1200,dport=80),reply=(src=10.2.0.1,"
	"dst=10.1.0.1,sport=80,dport=1200),protoinfo=(state=CLOSE),packets=3,bytes=180",
	"tcp,orig=(src=fd01::1,dst=fd02::1,sport=1100,dport=443),reply=(src=fd02::1,"
	"dst=fd01::1,sport=443,dport=1100),protoinfo=(state=ESTABLISHED),packets=3,bytes=222",
	"udp,orig=(src=10.1.0.1,dst=10.2.0.1,sport=5000,dport=53),reply=(src=10.2.0.1,"
	"dst=10.1.0.1,sport=53,dport=5000),packets=3,bytes=180",
	"udp,orig=(src=10.1.0.1,dst=10.2.0.1,sport=5000,dport=53),reply=(src=10.2.0.1,"
	"dst=10.1.0.1,sport=53,dport=5000),zone=5,packets=2,bytes=120",
	"udp,orig=(src=10.1.0.1,dst=10.2.0.1,sport=6000,dport=161),reply=(src=10.2.0.1,"
	"dst=10.1.0.1,sport=161,dport=6000),packets=1,bytes=60",
	"udp,orig=(src=fd01::1,dst=fd02::1,sport=5300,dport=53),reply=(src=fd02::1,"
	"dst=fd01::1,sport=53,dport=5300),packets=2,bytes=140",
};

/*
 * The stateful firewall on TCP (handshake, data, retransmission, out of
 * window, FIN, SYN reusing TIME_WAIT, RST), UDP, ping, ICMP errors in both
 * directions, another IP protocol, IPv6 (TCP, ping, UDP), zones and fragments; the same sequence
 * four times: all at once with cold caches, all at once with warm caches, one packet per burst
 * cold, and one per burst warm.  Every run gives the expected verdicts and leaves the same
 * connections.
 */
static void
test_ct_firewall_burst_groupings(void **state)
{
	static struct seq s;
	static int verdicts[MAX_RUNS][MAX_SEQ];
	static char dumps[MAX_RUNS][8192], want[8192];
	struct th_daemon d;
	static char baseline[1 << 16];
	int run, i;

	(void)state;
	firewall_sequence(&s);
	start_fw(&d, "ct_fw", "");
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	for (run = 0; run < MAX_RUNS; run++) {
		assert_int_equal(th_ctl(&d, &o, "ct flush"), 0);
		if (run == 0 || run == 2)
			assert_int_equal(th_ctl(&d, &o, "megaflow flush"), 0);
		if (run == 1)
			assert_int_equal(th_ctl(&d, &o, "pmd stats clear"), 0);
		if (run < 2) {
			inject(&d, &s, 0, s.n, run);
		} else {
			for (i = 0; i < s.n; i++)
				inject(&d, &s, i, i + 1, run);
		}
		dump_sorted(&d, dumps[run], sizeof(dumps[run]));
		if (run == 1) {
			/* Warm: both passes of every packet hit the caches (the two
			 * fragments have one pass, the others two), nothing goes up. */
			assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
			assert_int_equal(th_json_num(o.buf, NULL, "upcalls"), 0);
			assert_int_equal(th_json_num(o.buf, NULL, "emc_hits") +
			                                 th_json_num(o.buf, NULL, "megaflow_hits"),
			                 2 * s.n - 2);
		}
	}
	/* Fragments reaching ct() are dropped and counted (pmd stats since run 1). */
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ct_fragment"), 2 * (MAX_RUNS - 1));
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "fragment"), 2 * MAX_RUNS);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 10);
	/* Connections come from slabs of 1,024 (192 bytes each): one slab was enough. */
	assert_int_equal(th_json_num(o.buf, NULL, "conn_objects"), 1024);
	assert_int_equal(th_json_num(o.buf, NULL, "conn_memory"), 1024 * 192);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);

	read_verdicts(&d, verdicts);
	want[0] = '\0';
	for (i = 0; i < (int)(sizeof(fw_conns) / sizeof(fw_conns[0])); i++)
		cat(want, sizeof(want), "%s\n", fw_conns[i]);
	for (run = 0; run < MAX_RUNS; run++) {
		check_verdicts(&s, run, verdicts[run]);
		if (strcmp(dumps[run], want) != 0)
			fprintf(stderr, "run %d: ct dump\n%s\nexpected\n%s\n", run, dumps[run],
			        want);
		assert_string_equal(dumps[run], want);
	}
}

/* One TCP connection: handshake, 20 data segments each acknowledged (and one out of the
 * window), FIN close. */
static void
one_conn_sequence(struct seq *s)
{
	int k;

	s->n = 0;
	tcp(s, V_OUT(S_TRK | S_NEW), true, 3000, 80, PB_TCP_SYN, 100, 0, 0);
	tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 3000, 80, PB_TCP_SYN | PB_TCP_ACK, 500, 101, 0);
	tcp(s, V_OUT(S_TRK | S_EST), true, 3000, 80, PB_TCP_ACK, 101, 501, 0);
	for (k = 0; k < 20; k++) {
		if (k == 10) /* out of the window, in the middle of a shared group: +inv */
			tcp(s, V_REJ(S_TRK | S_INV), false, 3000, 80, PB_TCP_ACK, 501 + 2000000000u,
			    201, 10);
		tcp(s, V_OUT(S_TRK | S_EST), true, 3000, 80, PB_TCP_PSH | PB_TCP_ACK,
		    101 + 10u * (uint32_t)k, 501, 10);
		tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 3000, 80, PB_TCP_ACK, 501,
		    111 + 10u * (uint32_t)k, 0);
	}
	tcp(s, V_OUT(S_TRK | S_EST), true, 3000, 80, PB_TCP_FIN | PB_TCP_ACK, 301, 501, 0);
	tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 3000, 80, PB_TCP_FIN | PB_TCP_ACK, 501, 302, 0);
	tcp(s, V_OUT(S_TRK | S_EST), true, 3000, 80, PB_TCP_ACK, 302, 502, 0);
}

/*
 * Runs 's' through 'd' four ways (all at once cold, all at once warm, one packet
 * per burst cold, then warm; conntrack flushed before each), stops 'd', checks
 * every run's verdicts and that all runs leave the same connections, which must
 * include 'in_dump'.  groups[run]: the ct groups of each run ("pmd stats");
 * one packet per burst is one group per packet.
 */
static void
run_groupings(struct th_daemon *d, const struct seq *s, const char *in_dump,
              int64_t groups[MAX_RUNS])
{
	static int verdicts[MAX_RUNS][MAX_SEQ];
	static char dumps[MAX_RUNS][8192];
	int run, i;

	for (run = 0; run < MAX_RUNS; run++) {
		assert_int_equal(th_ctl(d, &o, "ct flush"), 0);
		if (run == 0 || run == 2)
			assert_int_equal(th_ctl(d, &o, "megaflow flush"), 0);
		assert_int_equal(th_ctl(d, &o, "pmd stats clear"), 0);
		if (run < 2) {
			inject(d, s, 0, s->n, run);
		} else {
			for (i = 0; i < s->n; i++)
				inject(d, s, i, i + 1, run);
		}
		assert_int_equal(th_ctl(d, &o, "--json pmd stats"), 0);
		groups[run] = th_json_num(o.buf, NULL, "ct_groups");
		dump_sorted(d, dumps[run], sizeof(dumps[run]));
	}
	assert_int_equal(th_stop(d), 0);
	read_verdicts(d, verdicts);
	for (run = 0; run < MAX_RUNS; run++) {
		check_verdicts(s, run, verdicts[run]);
		assert_string_equal(dumps[run], dumps[2]);
	}
	assert_non_null(strstr(dumps[2], in_dump));
	assert_int_equal(groups[2], s->n);
	fprintf(stderr, "ct groups: cold %" PRId64 ", warm %" PRId64 " for %d packets\n", groups[0],
	        groups[1], s->n);
}

/*
 * A burst of one connection's packets (a single bulk flow) runs in a few
 * groups, not one per packet, once the connection is established and the
 * first pass is a cached ct() in a fixed zone whose later passes run no ct()
 * for +est: the same verdicts and connection as one packet per burst, cold
 * and warm, and "ct_groups" counts how the warm burst was split.
 */
static void
test_ct_one_connection_shares_groups(void **state)
{
	static struct seq s;
	struct th_daemon d;
	int64_t groups[MAX_RUNS];

	(void)state;
	one_conn_sequence(&s);
	/* Zone 0 fixed (the other table-0 rules take it from reg1, which is 0 here too). */
	start_fw(&d, "ct_onec", "flow add table=0,priority=30,tcp actions=ct(table=1)\n");
	run_groupings(&d, &s, "state=TIME_WAIT", groups);
	assert_int_equal(groups[3], s.n);
	/*
	 * Warm, all at once (bursts of 32 and 15): the SYN alone (it is +new, so
	 * the SYN-ACK waits for its commit in pass 2), then the rest of the first
	 * burst, whose packets are each +est or +inv (no later ct()), then the
	 * second burst: 3 groups.
	 */
	assert_int_equal(groups[1], 3);
	assert_true(groups[0] < s.n);
}

/*
 * A SYN, its retransmission and the server's RST before any reply (it ends the
 * connection), all at once: the retransmission's first ct() finds the connection (+new),
 * so its second pass's ct(commit) changes nothing and the next packet of the connection
 * may share its group, but not the RST, which would end the connection before that
 * commit: as one packet per burst, no connection is left (the RST waited: three groups
 * warm, where the commit used to look the connection up again, not find it and leave a
 * new one in SYN_SENT).
 */
static void
test_ct_rst_behind_retransmission(void **state)
{
	static struct seq s;
	struct th_daemon d;
	int64_t groups[MAX_RUNS];

	(void)state;
	s.n = 0;
	tcp(&s, V_OUT(S_TRK | S_NEW), true, 4500, 80, PB_TCP_SYN, 100, 0, 0);
	tcp(&s, V_OUT(S_TRK | S_NEW), true, 4500, 80, PB_TCP_SYN, 100, 0, 0);
	tcp(&s, V_OUT(S_TRK | S_EST | S_RPL), false, 4500, 80, PB_TCP_RST | PB_TCP_ACK, 0, 101, 0);
	start_fw(&d, "ct_rst", "flow add table=0,priority=30,tcp actions=ct(table=1)\n");
	run_groupings(&d, &s, "", groups);
	assert_int_equal(groups[1], 3);
}

/*
 * A unidirectional UDP flow under "+new -> ct(commit)": every packet is +new
 * and commits on the connection the first one created.  Once that connection
 * exists the later commit changes nothing the next packet's ct() sees, so the
 * packets after the first share one group (they used to wait one by one: 2,459
 * cycles per packet in the ct-udp-1 benchmark).  Same verdicts and connection
 * in every grouping.
 */
static void
test_ct_udp_one_way_shares_groups(void **state)
{
	static struct seq s;
	struct th_daemon d;
	int64_t groups[MAX_RUNS];
	int i;

	(void)state;
	s.n = 0;
	for (i = 0; i < 40; i++)
		udp(&s, V_OUT(S_TRK | S_NEW), true, 4444, 53);
	start_fw(&d, "ct_udp1", "flow add table=0,priority=30,udp actions=ct(table=1)\n");
	run_groupings(&d, &s, "sport=4444,dport=53", groups);
	/* Warm, bursts of 32 and 8: the first packet alone (no connection yet),
	 * the other 31, then the second burst: 3 groups, not 33. */
	assert_int_equal(groups[1], 3);
}

/*
 * Several TCP connections (handshake, data both ways, FIN close; one reset by
 * the server; one opened from outside, rejected twice) and UDP exchanges,
 * interleaved by a fixed pseudo-random order that keeps each connection's own
 * order.  In one burst, a packet of a connection often comes right behind one
 * that needs a commit in its second pass (SYN, SYN-ACK of an outside SYN,
 * UDP request) and behind ones that do not (+est, +inv).
 */
static void
interleaved_sequence(struct seq *s)
{
	enum { N_TCP = 4, N_SCRIPT = 10 };
	int next[N_TCP + 4] = { 0 }, len[N_TCP + 4], c, k, left = 0;
	uint32_t rnd = 12345;

	for (c = 0; c < N_TCP; c++)
		len[c] = N_SCRIPT;
	len[N_TCP] = 3;     /* SYN, SYN-ACK, RST from the server */
	len[N_TCP + 1] = 2; /* SYN from outside, again */
	len[N_TCP + 2] = 4; /* UDP: request, response, request, response */
	len[N_TCP + 3] = 4;
	for (c = 0; c < N_TCP + 4; c++)
		left += len[c];
	s->n = 0;
	while (left > 0) {
		rnd = rnd * 1103515245u + 12345u;
		c = (int)((rnd >> 16) % (N_TCP + 4));
		if (next[c] == len[c])
			continue;
		k = next[c]++;
		left--;
		if (c < N_TCP) {
			uint16_t ap = (uint16_t)(4000 + c);
			uint32_t a = 100 + 1000u * (uint32_t)c, b = 50000 + 1000u * (uint32_t)c;
			static const struct {
				bool a_to_b;
				uint16_t flags;
				uint32_t seq_ofs, ack_ofs, len;
				int expect;
			} sc[N_SCRIPT] = {
				{ true, PB_TCP_SYN, 0, 0, 0, V_OUT(S_TRK | S_NEW) },
				{ false, PB_TCP_SYN | PB_TCP_ACK, 0, 1, 0,
				  V_OUT(S_TRK | S_EST | S_RPL) },
				{ true, PB_TCP_ACK, 1, 1, 0, V_OUT(S_TRK | S_EST) },
				{ true, PB_TCP_PSH | PB_TCP_ACK, 1, 1, 10, V_OUT(S_TRK | S_EST) },
				{ false, PB_TCP_ACK, 1, 11, 0, V_OUT(S_TRK | S_EST | S_RPL) },
				{ true, PB_TCP_PSH | PB_TCP_ACK, 11, 1, 10, V_OUT(S_TRK | S_EST) },
				{ false, PB_TCP_PSH | PB_TCP_ACK, 1, 21, 10,
				  V_OUT(S_TRK | S_EST | S_RPL) },
				{ true, PB_TCP_FIN | PB_TCP_ACK, 21, 11, 0, V_OUT(S_TRK | S_EST) },
				{ false, PB_TCP_FIN | PB_TCP_ACK, 11, 22, 0,
				  V_OUT(S_TRK | S_EST | S_RPL) },
				{ true, PB_TCP_ACK, 22, 12, 0, V_OUT(S_TRK | S_EST) },
			};

			tcp(s, sc[k].expect, sc[k].a_to_b, ap, 80, sc[k].flags,
			    (sc[k].a_to_b ? a : b) + sc[k].seq_ofs,
			    k == 0 ? 0 : (sc[k].a_to_b ? b : a) + sc[k].ack_ofs, sc[k].len);
		} else if (c == N_TCP) {
			if (k == 0)
				tcp(s, V_OUT(S_TRK | S_NEW), true, 4100, 80, PB_TCP_SYN, 1000, 0,
				    0);
			else if (k == 1)
				tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 4100, 80,
				    PB_TCP_SYN | PB_TCP_ACK, 7000, 1001, 0);
			else
				tcp(s, V_OUT(S_TRK | S_EST | S_RPL), false, 4100, 80,
				    PB_TCP_RST | PB_TCP_ACK, 7001, 1001, 0);
		} else if (c == N_TCP + 1) {
			tcp(s, V_REJ(S_TRK | S_NEW), false, 4200, 2000, PB_TCP_SYN, 1, 0, 0);
		} else {
			uint16_t ap = (uint16_t)(5100 + c);

			if (k == 0)
				udp(s, V_OUT(S_TRK | S_NEW), true, ap, 53);
			else
				udp(s, V_OUT(S_TRK | S_EST | (k % 2 ? S_RPL : 0)), k % 2 == 0, ap,
				    53);
		}
	}
}

/*
 * The interleaved connections with the first pass a cached ct() in a fixed
 * zone (TCP and UDP), all at once and one packet per burst, cold and warm:
 * every run gives the expected verdicts and leaves the same connections.  All
 * at once and warm, packets of one connection share a group behind a +est
 * one and wait behind one that is committed in its second pass, so the runs
 * exercise both ways (ct_groups between the two bounds).
 */
static void
test_ct_interleaved_connections_share_and_wait(void **state)
{
	static struct seq s;
	struct th_daemon d;
	int64_t groups[MAX_RUNS];

	(void)state;
	interleaved_sequence(&s);
	assert_int_equal(s.n, 4 * 10 + 3 + 2 + 4 + 4);
	start_fw(&d, "ct_ilv",
	         "flow add table=0,priority=30,tcp actions=ct(table=1)\n"
	         "flow add table=0,priority=30,udp actions=ct(table=1)\n");
	run_groupings(&d, &s, "tcp,", groups);
	/* Warm, all at once (bursts of 32 and 21): fewer groups than packets (they
	 * share), more than bursts (some wait). */
	assert_true(groups[1] > 2);
	assert_true(groups[1] < s.n / 2);
}

/* A UDP packet in zone 5 (frames from 02:00:00:00:00:05). */
static struct pkt *
udp_z5(struct seq *s, int expect, bool a_to_b, uint16_t aport, uint16_t bport)
{
	struct pkt *p = udp(s, expect, a_to_b, aport, bport);

	p->f.src_mac[5] = 5;
	return p;
}

/* The line of "ct dump" output that contains 'what', or NULL. */
static const char *
dump_line(const char *dump, const char *what)
{
	const char *p = strstr(dump, what);

	if (p == NULL)
		return NULL;
	while (p > dump && p[-1] != '\n')
		p--;
	return p;
}

/* timeout= of the dump line containing 'what', or -1. */
static long
dump_timeout(const char *dump, const char *what)
{
	const char *l = dump_line(dump, what), *t;

	if (l == NULL || (t = strstr(l, "timeout=")) == NULL)
		return -1;
	return strtol(t + 8, NULL, 10);
}

/* Waits until "ct stats" counts 'n' connections (the sweeper has run). */
static int
wait_ct_count(struct th_daemon *d, int64_t n, int timeout_s)
{
	int i;

	for (i = 0; i < timeout_s * 10; i++) {
		if (th_ctl(d, &o, "--json ct stats") == 0 && th_json_num(o.buf, NULL, "count") == n)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

/*
 * Zone and global limits: new connections over a limit are dropped and
 * counted while established ones keep flowing; a limit above the table's
 * capacity and malformed limits are refused and change nothing.  Expiry:
 * short UDP timeouts set by command (globally, and longer for zone 5) make a
 * connection disappear from the dump, from the count (the sweeper) and for
 * packets (its reply is new again), while zone 5's connection lives on.
 */
static void
test_ct_limits_and_expiry(void **state)
{
	static struct seq s;
	static int verdicts[MAX_RUNS][MAX_SEQ];
	static char before[4096];
	struct th_daemon d;

	(void)state;
	s.n = 0;
	udp_z5(&s, V_OUT(S_TRK | S_NEW), true, 7001, 53);
	udp_z5(&s, V_OUT(S_TRK | S_NEW), true, 7002, 53);
	udp_z5(&s, V_DROP, true, 7003, 53);
	udp_z5(&s, V_OUT(S_TRK | S_EST | S_RPL), false, 7001, 53);
	udp(&s, V_OUT(S_TRK | S_NEW), true, 8001, 53);
	udp(&s, V_DROP, true, 8002, 53);
	udp(&s, V_OUT(S_TRK | S_EST | S_RPL), false, 8001, 53);
	udp(&s, V_OUT(S_TRK | S_NEW), true, 9001, 53);
	udp_z5(&s, V_OUT(S_TRK | S_NEW), true, 9100, 53);
	udp(&s, V_REJ(S_TRK | S_NEW), false, 9001, 53);
	udp_z5(&s, V_OUT(S_TRK | S_EST | S_RPL), false, 9100, 53);

	start_fw(&d, "ct_limits", "");
	/* Zone 5: two connections at most. */
	assert_int_equal(th_ctl(&d, &o, "ct limit set zone=5,limit=2"), 0);
	inject(&d, &s, 0, 4, 0);
	assert_int_equal(th_ctl(&d, &o, "ct limit show"), 0);
	assert_non_null(strstr(o.buf, "zone=5,limit=2,count=2"));
	assert_non_null(strstr(o.buf, "default limit=1000000, count=2, capacity=1048576\n"));
	/* Global: three. */
	assert_int_equal(th_ctl(&d, &o, "ct limit set default=3"), 0);
	inject(&d, &s, 4, 7, 0);
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ct_limit"), 2);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 3);
	assert_int_equal(th_json_num(o.buf, NULL, "limit_zone"), 1);
	assert_int_equal(th_json_num(o.buf, NULL, "limit_global"), 1);

	/* Bad limits: a clear error, nothing changes. */
	assert_int_equal(th_ctl(&d, &o, "ct limit show"), 0);
	assert_true(strlen(o.buf) < sizeof(before));
	memcpy(before, o.buf, strlen(o.buf) + 1);
	assert_int_equal(th_ctl(&d, &o, "ct limit set default=4000000000"), 1);
	assert_non_null(strstr(o.err, "exceeds the table's capacity"));
	assert_int_equal(th_ctl(&d, &o, "ct limit set default=0"), 1);
	assert_non_null(strstr(o.err, "bad default limit '0'"));
	assert_int_equal(th_ctl(&d, &o, "ct limit set zone=70000,limit=1"), 1);
	assert_non_null(strstr(o.err, "bad zone '70000'"));
	/* A bad word after a good one: the good one is not applied either. */
	assert_int_equal(th_ctl(&d, &o, "ct limit set default=10 zone=6,limit=x"), 1);
	assert_non_null(strstr(o.err, "bad zone limit 'x'"));
	assert_int_equal(th_ctl(&d, &o, "ct limit set frob"), 1);
	assert_non_null(strstr(o.err, "bad limit 'frob'"));
	assert_int_equal(th_ctl(&d, &o, "ct limit"), 1);
	assert_int_equal(th_ctl(&d, &o, "ct limit show"), 0);
	assert_string_equal(o.buf, before);

	/* Expiry: 1 s UDP globally, 100 s in zone 5. */
	assert_int_equal(th_ctl(&d, &o, "ct flush"), 0);
	assert_int_equal(th_ctl(&d, &o, "ct limit set default=1000000"), 0);
	assert_int_equal(th_ctl(&d, &o, "ct timeout set udp_first=1 udp_single=1 udp_multiple=1"),
	                 0);
	assert_int_equal(th_ctl(&d, &o,
	                        "ct timeout set zone=5 udp_first=100 udp_single=100 "
	                        "udp_multiple=100"),
	                 0);
	assert_int_equal(th_ctl(&d, &o, "ct timeout show"), 0);
	assert_true(strncmp(o.buf, "global: ", 8) == 0);
	assert_non_null(strstr(o.buf, " udp_first=1 "));
	assert_non_null(strstr(o.buf, " tcp_established=86400 "));
	/* The zones with their own timeouts follow the global line, one line each. */
	assert_non_null(strstr(o.buf, "\nzone 5: "));
	assert_non_null(strstr(strstr(o.buf, "\nzone 5: "), " udp_first=100 "));
	assert_null(strstr(o.buf, "zone 0:"));
	assert_int_equal(th_ctl(&d, &o, "--json ct timeout show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "udp_first"), 1);
	assert_non_null(strstr(o.buf, "\"zones\": {\"5\": {"));
	assert_int_equal(th_json_num(o.buf, "\"zones\"", "udp_first"), 100);
	assert_int_equal(th_ctl(&d, &o, "ct timeout show zone=5"), 0);
	assert_non_null(strstr(o.buf, " udp_first=100 "));
	/* Bad timeouts: a clear error, nothing changes. */
	assert_int_equal(th_ctl(&d, &o, "ct timeout set bogus=5"), 1);
	assert_non_null(strstr(o.err, "unknown timeout 'bogus'"));
	assert_int_equal(th_ctl(&d, &o, "ct timeout set udp_first=2 udp_single=abc"), 1);
	assert_non_null(strstr(o.err, "bad seconds 'abc' for udp_single"));
	assert_int_equal(th_ctl(&d, &o, "ct timeout set zone=99999 udp_first=5"), 1);
	assert_non_null(strstr(o.err, "bad zone '99999'"));
	assert_int_equal(th_ctl(&d, &o, "ct timeout show"), 0);
	assert_non_null(strstr(o.buf, " udp_first=1 "));

	inject(&d, &s, 7, 9, 0);
	assert_int_equal(th_ctl(&d, &o, "ct dump"), 0);
	assert_true(dump_timeout(o.buf, "sport=9001") >= 0);
	assert_true(dump_timeout(o.buf, "sport=9001") <= 1);
	assert_true(dump_timeout(o.buf, "sport=9100") >= 90);
	usleep(2500 * 1000);
	assert_int_equal(th_ctl(&d, &o, "ct dump"), 0);
	assert_null(dump_line(o.buf, "sport=9001"));
	assert_non_null(dump_line(o.buf, "sport=9100"));
	assert_int_equal(wait_ct_count(&d, 1, 20), 0);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_true(th_json_num(o.buf, NULL, "expired") >= 1);
	assert_int_equal(th_json_num(o.buf, NULL, "retire_failed"), 0);
	inject(&d, &s, 9, 11, 0);

	/* Connection memory: 1,100 connections take a second slab of 1,024; once they are
	 * flushed, the same number again reuses it. */
	inject_bulk(&d, 1100, 20000);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 1101);
	assert_int_equal(th_json_num(o.buf, NULL, "conn_objects"), 2048);
	assert_int_equal(th_ctl(&d, &o, "ct flush"), 0);
	assert_string_equal(o.buf, "flushed 1101\n");
	inject_bulk(&d, 1100, 30000);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 1100);
	assert_int_equal(th_json_num(o.buf, NULL, "conn_objects"), 2048);
	assert_int_equal(th_stop(&d), 0);

	read_verdicts(&d, verdicts);
	check_verdicts(&s, 0, verdicts[0]);
}

/*
 * ct(commit,exec(...)) sets mark and label; the second pass matches them and
 * the original tuple (ct_mark, ct_label, ct_nw_src/dst, ct_nw_proto,
 * ct_tp_src/dst) and the zone (ct_zone); "ct dump" prints them, filters by zone, and emits JSON;
 * "ct flush" by tuple deletes exactly the connection named; bad commands
 * and ct(nat) get clear errors and change nothing; "pmd stats detail"
 * counts ct cycles.
 */
static void
test_ct_mark_label_match_and_commands(void **state)
{
	static struct seq s;
	struct th_daemon d;
	char dir[256], config[4096], path[400];
	int n, i, n_aa = 0, n_bb = 0, n_new = 0, n_z9 = 0, n_untracked = 0;

	(void)state;
	s.n = 0;
	udp(&s, 0, true, 5000, 53);
	udp(&s, 0, false, 5000, 53);
	udp(&s, 0, true, 5001, 53);
	udp(&s, 0, false, 5001, 53);
	udp(&s, 0, true, 5002, 99);
	/* 5: a TCP header cut to 10 bytes by the IP length: +inv (tcp_truncated), dropped. */
	tcp(&s, 0, true, 5003, 80, PB_TCP_SYN, 1, 0, 0)->ip_len = 20 + 10;
	/* 6: ct(table=0) in table 0 loops: dropped after 8 recirculations. */
	udp(&s, 0, true, 5004, 77);
	/* 7: ct(commit,zone=4) without table=: committed, the pipeline goes on untracked. */
	udp(&s, 0, true, 5005, 66);

	th_scratch("ct_cmds", dir, sizeof(dir));
	snprintf(config, sizeof(config),
	         "port add out dpdk net_pcap1,tx_pcap=%s/out.pcap\n"
	         "flow del\n"
	         "flow add table=0,ip actions=ct(table=1)\n"
	         "flow add table=0,priority=40000,udp,tp_dst=77 actions=ct(table=0)\n"
	         "flow add table=0,priority=40000,udp,tp_dst=66 "
	         "actions=ct(commit,zone=4),resubmit(,4)\n"
	         "flow add table=4,priority=10,ct_state=-trk "
	         "actions=mod_dl_dst:02:00:00:00:00:66,output:out\n"
	         "flow add table=4,priority=0 actions=drop\n"
	         "flow add table=0,priority=40000,udp,tp_dst=99 actions=ct(zone=9,table=1)\n"
	         "flow add table=1,priority=200,ct_state=+trk+new,ct_zone=9 "
	         "actions=ct(commit,zone=9),mod_dl_dst:02:00:00:00:00:99,output:out\n"
	         "flow add table=1,priority=100,ct_state=+trk+new,ip,ct_nw_dst=10.2.0.1 "
	         "actions=ct(commit,exec(set_field:42->ct_mark,"
	         "set_field:0xabc/0xfff->ct_label)),output:out\n"
	         "flow add table=1,priority=90,ct_state=+trk+est,ct_mark=42,ct_label=0xabc/0xfff,"
	         "ct_nw_src=10.1.0.1,ct_nw_dst=10.2.0.1,ct_nw_proto=17,ct_tp_src=5000,ct_tp_dst=53 "
	         "actions=mod_dl_dst:02:00:00:00:00:aa,output:out\n"
	         "flow add table=1,priority=80,ct_state=+trk+est "
	         "actions=mod_dl_dst:02:00:00:00:00:bb,output:out\n"
	         "flow add table=1,priority=0 actions=drop\n",
	         dir);
	assert_int_equal(th_start(&d, "ct_cmds", config, NULL, NULL), 0);
	assert_int_equal(th_ctl(&d, &o, "pmd stats detail on"), 0);
	inject(&d, &s, 0, s.n, 0);

	/* Dump: mark, label, zone filter, JSON. */
	assert_int_equal(th_ctl(&d, &o, "ct dump"), 0);
	assert_non_null(strstr(o.buf, "udp,orig=(src=10.1.0.1,dst=10.2.0.1,sport=5000,dport=53),"
	                              "reply=(src=10.2.0.1,dst=10.1.0.1,sport=53,dport=5000),"
	                              "mark=42,labels=0xabc,timeout="));
	assert_non_null(strstr(o.buf, "sport=5001,dport=53),"));
	assert_int_equal(th_ctl(&d, &o, "ct dump zone=0"), 0);
	assert_non_null(strstr(o.buf, "sport=5001"));
	assert_int_equal(th_ctl(&d, &o, "ct dump zone=3"), 0);
	assert_string_equal(o.buf, "");
	assert_int_equal(th_ctl(&d, &o, "ct dump zone=9"), 0);
	assert_non_null(strstr(o.buf, "sport=99,dport=5002),zone=9,timeout="));
	assert_null(strstr(o.buf, "sport=5000"));
	assert_int_equal(th_ctl(&d, &o, "--json ct dump"), 0);
	assert_non_null(strstr(o.buf, "\"mark\": 42"));
	assert_non_null(strstr(o.buf, "\"packets\": [1, 1]"));
	assert_int_equal(th_ctl(&d, &o, "ct dump zone=abc"), 1);
	assert_non_null(strstr(o.err, "bad zone 'abc'"));

	/* The ct stage is timed. */
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_non_null(strstr(o.buf, "\"ct\": "));
	assert_true(strstr(o.buf, "\"ct\": 0.0,") == NULL);

	/* Bad commands: clear errors, nothing deleted. */
	assert_int_equal(th_ctl(&d, &o, "ct flush ct_nw_src=bogus"), 1);
	assert_non_null(strstr(o.err, "bad value 'bogus' for ct_nw_src"));
	assert_int_equal(th_ctl(&d, &o, "ct flush ct_frob=1"), 1);
	assert_non_null(strstr(o.err, "unknown tuple field 'ct_frob'"));
	assert_int_equal(th_ctl(&d, &o, "ct flush ct_nw_proto=300"), 1);
	assert_int_equal(th_ctl(&d, &o, "flow trace udp,nw_src=10.1.0.1,nw_dst=10.2.0.1,tp_dst=53"),
	                 0);
	assert_non_null(strstr(o.buf, "ct: conntrack is not run by a trace"));
	assert_int_equal(th_ctl(&d, &o, "megaflow dump"), 0);
	assert_non_null(strstr(o.buf, "actions:ct(table=1)"));
	assert_int_equal(th_ctl(&d, &o, "ct flush ,,"), 1);
	assert_non_null(strstr(o.err, "empty tuple"));
	assert_int_equal(th_ctl(&d, &o, "ct flush ct_nw_src"), 1);
	assert_non_null(strstr(o.err, "bad tuple item 'ct_nw_src'"));
	assert_int_equal(th_ctl(&d, &o, "ct flush zone=70000"), 1);
	assert_int_equal(th_ctl(&d, &o, "ct frob"), 1);
	assert_non_null(strstr(o.err, "usage: ct dump"));
	assert_int_equal(th_ctl(&d, &o, "ct stats extra"), 1);
	/* Malformed and looping packets: dropped, counted by name, no mbuf kept. */
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "recirc_depth"), 1);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "tcp_truncated"), 1);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, "\"vs_shared\"", "in_use"), 0);
	assert_int_equal(th_ctl(&d, &o, "flow add table=0,priority=5,ip actions=ct(commit,nat)"),
	                 1);
	assert_non_null(strstr(o.err, "ct: nat is not supported"));
	assert_int_equal(th_ctl(&d, &o, "flow dump"), 0);
	assert_null(strstr(o.buf, "priority=5"));
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 4);
	assert_int_equal(th_json_num(o.buf, NULL, "created"), 4);
	assert_int_equal(th_ctl(&d, &o, "ct dump zone=4"), 0);
	assert_non_null(strstr(o.buf, "sport=5005,dport=66),reply="));

	/* Flush by tuple: only 5001 goes. */
	assert_int_equal(th_ctl(&d, &o,
	                        "ct flush zone=0 ct_nw_src=10.1.0.1,ct_nw_proto=17,"
	                        "ct_tp_src=5001,ct_tp_dst=53"),
	                 0);
	assert_string_equal(o.buf, "flushed 1\n");
	assert_int_equal(th_ctl(&d, &o, "ct dump"), 0);
	assert_null(strstr(o.buf, "sport=5001"));
	assert_non_null(strstr(o.buf, "sport=5000"));
	assert_int_equal(th_ctl(&d, &o, "ct flush ct_nw_src=10.9.9.9"), 0);
	assert_string_equal(o.buf, "flushed 0\n");
	assert_int_equal(th_ctl(&d, &o, "ct flush zone=9"), 0);
	assert_string_equal(o.buf, "flushed 1\n");
	assert_int_equal(th_ctl(&d, &o, "ct flush"), 0);
	assert_string_equal(o.buf, "flushed 2\n");
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "flushed"), 4);
	assert_int_equal(th_stop(&d), 0);

	/* The second pass matched mark, label and the original tuple of 5000 only. */
	snprintf(path, sizeof(path), "%s/out.pcap", d.dir);
	n = th_read_pcap(path, frames, MAX_FRAMES);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		uint16_t sport = (uint16_t)(frames[i].data[34] << 8 | frames[i].data[35]);

		if (frames[i].data[5] == 0xaa && sport == 53)
			n_aa++;
		else if (frames[i].data[5] == 0xbb && sport == 53)
			n_bb++;
		else if (frames[i].data[5] == 0x02 && sport != 53)
			n_new++;
		else if (frames[i].data[5] == 0x99 && sport == 5002)
			n_z9++; /* the second pass matched ct_zone=9 */
		else if (frames[i].data[5] == 0x66 && sport == 5005)
			n_untracked++; /* after ct() without table=, ct_state is unset */
	}
	assert_int_equal(n_z9, 1);
	assert_int_equal(n_untracked, 1);
	assert_int_equal(n_new, 2);
	assert_int_equal(n_aa, 1);
	assert_int_equal(n_bb, 1);
	/* And 5000's reply is the one marked aa. */
	for (i = 0; i < n; i++)
		if (frames[i].data[5] == 0xaa)
			assert_int_equal(frames[i].data[36] << 8 | frames[i].data[37], 5000);
}

/*
 * IPv6 connections set ct_ipv6_src/dst for the second pass, as IPv4 ones set ct_nw_src/dst: the
 * original direction's addresses (the packet's own for a +new one not committed yet), so that
 * replies match the original tuple; flow and megaflow dumps print the fields; an IPv4 packet
 * never matches them; ct_clear leaves a packet untracked for the rest of its pass.
 */
static void
test_ct_ipv6_tuple_match(void **state)
{
	static struct seq s;
	struct th_daemon d;
	char dir[256], config[4096], path[400];
	int n, i, n_new = 0, n_aa = 0, n_bb = 0, n_cc = 0;
	struct pkt *p;

	(void)state;
	s.n = 0;
	/* 0-1: 5300 -> 53 and its reply: +new (matched on its own tuple), then +est+rpl (aa). */
	p = udp(&s, 0, true, 5300, 53);
	set_v6(&p->f, true);
	p = udp(&s, 0, false, 5300, 53);
	set_v6(&p->f, false);
	/* 2-3: 5301 -> 53 and its reply: the reply's ct_tp_src is 5301 (bb). */
	p = udp(&s, 0, true, 5301, 53);
	set_v6(&p->f, true);
	p = udp(&s, 0, false, 5301, 53);
	set_v6(&p->f, false);
	/* 4: to fd03::1, outside ct_ipv6_dst=fd02::/16: +new unmatched, dropped, not committed. */
	p = udp(&s, 0, true, 5302, 53);
	set_v6(&p->f, true);
	p->f.dst_ip6[1] = 0x03;
	/* 5: IPv4 with the same ports: its key has no ct_ipv6 fields, dropped. */
	udp(&s, 0, true, 5303, 53);
	/* 6-7: 5304 -> 53 (+new, out) and its reply, whose ct_clear leaves it untracked (cc). */
	p = udp(&s, 0, true, 5304, 53);
	set_v6(&p->f, true);
	p = udp(&s, 0, false, 5304, 53);
	set_v6(&p->f, false);

	th_scratch("ct_ipv6_tuple", dir, sizeof(dir));
	snprintf(config, sizeof(config),
	         "port add out dpdk net_pcap1,tx_pcap=%s/out.pcap\n"
	         "flow del\n"
	         "flow add table=0,ipv6 actions=ct(table=1)\n"
	         "flow add table=0,ip actions=ct(table=1)\n"
	         "flow add table=1,priority=100,ct_state=+trk+new,ct_ipv6_src=fd01::1,"
	         "ct_ipv6_dst=fd02::/16,ct_nw_proto=17,ct_tp_dst=53 "
	         "actions=ct(commit),output:out\n"
	         "flow add table=1,priority=90,ct_state=+trk+est+rpl,ct_ipv6_src=fd01::1,"
	         "ct_ipv6_dst=fd02::1,ct_tp_src=5300,ct_tp_dst=53 "
	         "actions=mod_dl_dst:02:00:00:00:00:aa,output:out\n"
	         "flow add table=1,priority=95,ct_state=+trk+est+rpl,ct_tp_src=5304 "
	         "actions=ct_clear,resubmit(,2)\n"
	         "flow add table=1,priority=80,ct_state=+trk+est+rpl,ct_ipv6_src=fd01::/64 "
	         "actions=mod_dl_dst:02:00:00:00:00:bb,output:out\n"
	         "flow add table=1,priority=0 actions=drop\n"
	         "flow add table=2,priority=10,ct_state=-trk "
	         "actions=mod_dl_dst:02:00:00:00:00:cc,output:out\n"
	         "flow add table=2,priority=10,ct_state=+trk "
	         "actions=mod_dl_dst:02:00:00:00:00:dd,output:out\n",
	         dir);
	assert_int_equal(th_start(&d, "ct_ipv6_tuple", config, NULL, NULL), 0);
	inject(&d, &s, 0, s.n, 0);

	assert_int_equal(th_ctl(&d, &o, "flow dump"), 0);
	assert_non_null(strstr(o.buf, "ct_ipv6_src=fd01::1,ct_ipv6_dst=fd02::/16,"));
	assert_non_null(strstr(o.buf, "ct_ipv6_src=fd01::/64 "));
	assert_int_equal(th_ctl(&d, &o, "megaflow dump"), 0);
	assert_non_null(strstr(o.buf, "ct_ipv6_src=fd01::1"));
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 3);
	/* Flush by the IPv6 tuple: only 5301 goes. */
	assert_int_equal(th_ctl(&d, &o, "ct flush ct_ipv6_src=fd01::1,ct_tp_src=5301"), 0);
	assert_string_equal(o.buf, "flushed 1\n");
	assert_int_equal(th_stop(&d), 0);

	snprintf(path, sizeof(path), "%s/out.pcap", d.dir);
	n = th_read_pcap(path, frames, MAX_FRAMES);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		/* UDP ports after Ethernet and the 40-byte IPv6 header. */
		uint16_t sport = (uint16_t)(frames[i].data[54] << 8 | frames[i].data[55]);
		uint16_t dport = (uint16_t)(frames[i].data[56] << 8 | frames[i].data[57]);

		assert_int_equal(frames[i].data[12] << 8 | frames[i].data[13], 0x86dd);
		if (frames[i].data[5] == 0xaa && sport == 53 && dport == 5300)
			n_aa++;
		else if (frames[i].data[5] == 0xbb && sport == 53 && dport == 5301)
			n_bb++;
		else if (frames[i].data[5] == 0xcc && sport == 53 && dport == 5304)
			n_cc++; /* ct_clear: the resubmit saw ct_state 0 */
		else if (sport == 5300 || sport == 5301 || sport == 5304)
			n_new++;
	}
	assert_int_equal(n_new, 3);
	assert_int_equal(n_cc, 1);
	assert_int_equal(n_aa, 1);
	assert_int_equal(n_bb, 1);
}

/*
 * One table for every PMD: with two PMDs, a connection's two directions come
 * in on two ports polled by different PMDs, and each PMD sees what the other
 * committed (handshake, data both ways, new from outside still rejected).
 */
static void
test_ct_two_pmds_share_the_table(void **state)
{
	static const char *const eal[] = { "--lcores", "0@0,1@1,2@1", NULL };
	static struct seq s;
	static int verdicts[MAX_RUNS][MAX_SEQ];
	struct th_daemon d;
	char port_a[32], port_b[32], line_a[64], line_b[64];
	const char *pa, *pb;

	(void)state;
	s.n = 0;
	tcp(&s, V_OUT(S_TRK | S_NEW), true, 3000, 80, PB_TCP_SYN, 100, 0, 0);
	tcp(&s, V_OUT(S_TRK | S_EST | S_RPL), false, 3000, 80, PB_TCP_SYN | PB_TCP_ACK, 500, 101,
	    0);
	tcp(&s, V_OUT(S_TRK | S_EST), true, 3000, 80, PB_TCP_ACK, 101, 501, 0);
	tcp(&s, V_OUT(S_TRK | S_EST | S_RPL), false, 3000, 80, PB_TCP_PSH | PB_TCP_ACK, 501, 101,
	    20);
	udp(&s, V_REJ(S_TRK | S_NEW), false, 3001, 53);

	start_fw_eal(&d, "ct_2pmd", "", eal);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "pmds"), 2);
	inject_port(&d, &s, 0, 1, 0, true, port_a);
	inject_port(&d, &s, 1, 2, 0, true, port_b);
	/* The two ports are polled by different PMDs. */
	assert_int_equal(th_ctl(&d, &o, "pmd rxq"), 0);
	snprintf(line_a, sizeof(line_a), " %s queue 0", port_a);
	snprintf(line_b, sizeof(line_b), " %s queue 0", port_b);
	pa = strstr(o.buf, line_a);
	pb = strstr(o.buf, line_b);
	assert_non_null(pa);
	assert_non_null(pb);
	assert_true((pa < strstr(o.buf, "pmd 1")) != (pb < strstr(o.buf, "pmd 1")));
	inject_port(&d, &s, 2, 3, 0, false, NULL);
	inject_port(&d, &s, 3, 5, 0, false, NULL);
	assert_int_equal(th_ctl(&d, &o, "ct dump"), 0);
	assert_non_null(strstr(o.buf, "sport=3000,dport=80),reply="));
	assert_non_null(strstr(o.buf, "protoinfo=(state=ESTABLISHED)"));
	assert_int_equal(th_stop(&d), 0);
	read_verdicts(&d, verdicts);
	check_verdicts(&s, 0, verdicts[0]);
}

/* Writes 'n' UDP frames between A:(port0 + i) and B:53 ('a_to_b' gives the direction). */
static void
write_udp_pcap(const char *path, int n, uint16_t port0, bool a_to_b)
{
	uint8_t(*bufs)[64] = calloc((size_t)n, 64);
	uint8_t **ptrs = calloc((size_t)n, sizeof(*ptrs));
	size_t *lens = calloc((size_t)n, sizeof(*lens));
	struct pb_flow f;
	int i;

	assert_true(bufs != NULL && ptrs != NULL && lens != NULL);
	for (i = 0; i < n; i++) {
		pb_flow_init(&f);
		f.proto = PB_IPPROTO_UDP;
		f.src_ip4 = a_to_b ? A4 : B4;
		f.dst_ip4 = a_to_b ? B4 : A4;
		f.sport = a_to_b ? (uint16_t)(port0 + i) : 53;
		f.dport = a_to_b ? 53 : (uint16_t)(port0 + i);
		lens[i] = pb_build(&f, bufs[i], 64, 60);
		assert_true(lens[i] > 0);
		ptrs[i] = bufs[i];
	}
	assert_int_equal(th_write_pcap(path, ptrs, lens, n), 0);
	free(bufs);
	free(ptrs);
	free(lens);
}

/* A scratch directory for 'name' with a.pcap (n requests A:(port0 + i) -> B:53) and b.pcap
 * (their responses); paths of 320 bytes. */
static void
udp_pair_pcaps(const char *name, int n, uint16_t port0, char *path_a, char *path_b)
{
	char dir[256];

	th_scratch(name, dir, sizeof(dir));
	snprintf(path_a, 320, "%s/a.pcap", dir);
	snprintf(path_b, 320, "%s/b.pcap", dir);
	write_udp_pcap(path_a, n, port0, true);
	write_udp_pcap(path_b, n, port0, false);
}

/*
 * Flush, dump and stats while two PMDs track both directions of 512
 * connections at full rate with 1 s timeouts (creation, expiry by packets
 * and by the sweeper, flushes and grace periods all at once): every command
 * answers, nothing leaks (no retire failure, every mbuf back), and the
 * daemon stops cleanly.
 */
static void
test_ct_commands_under_traffic(void **state)
{
	static const char *const eal[] = { "--lcores", "0@0,1@1,2@1", NULL };
	static char baseline[1 << 16];
	struct th_daemon d;
	char config[2048], path_a[320], path_b[320];
	int i;

	(void)state;
	udp_pair_pcaps("ct_busy", 512, 40000, path_a, path_b);
	snprintf(config, sizeof(config),
	         "port add out dpdk net_null0,no-rx=1\n"
	         "flow del\n"
	         "flow add table=0,ip actions=ct(table=1)\n"
	         "flow add table=1,priority=100,ct_state=+trk+new,ip,nw_src=10.1.0.0/16 "
	         "actions=ct(commit),output:out\n"
	         "flow add table=1,priority=90,ct_state=+trk+est actions=output:out\n"
	         "flow add table=1,priority=0 actions=drop\n");
	assert_int_equal(th_start(&d, "ct_busy", config, eal, NULL), 0);
	assert_int_equal(th_ctl(&d, &o, "ct timeout set udp_first=1 udp_single=1 udp_multiple=1"),
	                 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	assert_int_equal(th_ctl(&d, &o,
	                        "port add ga dpdk net_pcap1,rx_pcap=%s,infinite_rx=1 "
	                        "n_mbufs=1024",
	                        path_a),
	                 0);
	assert_int_equal(th_ctl(&d, &o,
	                        "port add gb dpdk net_pcap2,rx_pcap=%s,infinite_rx=1 "
	                        "n_mbufs=1024",
	                        path_b),
	                 0);
	assert_int_equal(th_wait_rx(&d, "ga", 20000, 20), 0);
	assert_int_equal(th_wait_rx(&d, "gb", 20000, 20), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(th_ctl(&d, &o, "ct flush"), 0);
		assert_int_equal(th_ctl(&d, &o, "ct dump"), 0);
		assert_int_equal(th_ctl(&d, &o, "ct flush zone=0 ct_nw_proto=17,ct_tp_dst=53"), 0);
		assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
		assert_true(th_json_num(o.buf, NULL, "count") <= 512);
		usleep(100 * 1000);
	}
	/* Traffic kept flowing, in both directions. */
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_true(th_json_num(o.buf, NULL, "created") > 512);
	assert_true(th_port_stat(&d, "out", "tx_packets") > 20000);
	assert_int_equal(th_ctl(&d, &o, "port del ga"), 0);
	assert_int_equal(th_ctl(&d, &o, "port del gb"), 0);
	assert_int_equal(th_ctl(&d, &o, "ct flush"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "retire_failed"), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
}

/* Feeds the pcap at 'path' ('n' frames) through a new port, then deletes it. */
static void
feed_pcap(struct th_daemon *d, const char *path, int n)
{
	static int k;

	assert_int_equal(th_ctl(d, &o, "port add f%d dpdk net_pcap%d,rx_pcap=%s", k, 300 + k, path),
	                 0);
	snprintf(o.buf, sizeof(o.buf), "f%d", k);
	assert_int_equal(th_wait_rx(d, o.buf, n, 20), 0);
	assert_int_equal(th_ctl(d, &o, "port del f%d", k), 0);
	k++;
}

/*
 * The benchmark's rules, whose second passes are "ct(commit),output:out" and
 * "output:out" and whose first is ct(table=1) alone (the lists the datapath
 * runs without the action executor), with a zone limit that makes some
 * commits fail (those packets take the executor and are dropped) in the same
 * bursts: 32 requests from A (10 committed and sent, 22 over the limit), 32
 * replies (the 10 of committed connections are +est and sent, the others are
 * new and over the limit), the requests again (10 +est, 22 new and over the
 * limit again).  Every count adds up
 * and every mbuf comes back.
 */
static void
test_ct_commit_output_and_limit(void **state)
{
	static char baseline[1 << 16];
	struct th_daemon d;
	char dir[256], config[2048], req[320], rep[320], out[320];
	const char *p;
	int n;

	(void)state;
	th_scratch("ct_cout", dir, sizeof(dir));
	snprintf(req, sizeof(req), "%s/req.pcap", dir);
	snprintf(rep, sizeof(rep), "%s/rep.pcap", dir);
	snprintf(out, sizeof(out), "%s/out.pcap", dir);
	write_udp_pcap(req, 32, 41000, true);
	write_udp_pcap(rep, 32, 41000, false);
	snprintf(config, sizeof(config),
	         "port add out dpdk net_pcap1,tx_pcap=%s\n"
	         "flow del\n"
	         "flow add table=0,priority=10,ip,ct_state=-trk actions=ct(table=1)\n"
	         "flow add table=1,priority=10,ip,ct_state=+trk+new actions=ct(commit),output:out\n"
	         "flow add table=1,priority=10,ip,ct_state=+trk+est actions=output:out\n"
	         "flow add table=1,priority=1 actions=drop\n",
	         out);
	assert_int_equal(th_start(&d, "ct_cout", config, NULL, NULL), 0);
	assert_int_equal(th_ctl(&d, &o, "ct limit set zone=0,limit=10"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	feed_pcap(&d, req, 32);
	feed_pcap(&d, rep, 32);
	feed_pcap(&d, req, 32);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 10);
	assert_int_equal(th_json_num(o.buf, NULL, "created"), 10);
	assert_int_equal(th_json_num(o.buf, NULL, "limit_zone"), 3 * 22);
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ct_limit"), 3 * 22);
	assert_int_equal(th_ctl(&d, &o, "ct dump"), 0);
	/* The 10 committed connections, each with its three packets, and no other. */
	for (n = 0, p = o.buf; (p = strstr(p, ",packets=3,bytes=180\n")) != NULL; p++)
		n++;
	assert_int_equal(n, 10);
	assert_non_null(strstr(o.buf, "sport=41000,dport=53)"));
	assert_null(strstr(o.buf, "sport=41010,"));
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
	n = th_read_pcap(out, frames, MAX_FRAMES);
	assert_int_equal(n, 10 + 10 + 10);
}

/* n_packets of the flow whose dump line ends in 'tail' (from " actions="), or -1. */
static int64_t
rule_packets(const char *dump, const char *tail)
{
	const char *e = strstr(dump, tail), *l;

	if (e == NULL)
		return -1;
	for (l = e; l > dump && l[-1] != '\n'; l--)
		;
	l = strstr(l, "n_packets=");
	return l != NULL && l < e ? strtoll(l + 10, NULL, 10) : -1;
}

/* What one run of test_ct_second_pass_in_the_first() saw. */
#define SP_N 416

struct sp_run {
	int n;                  /* frames out */
	uint32_t ports[SP_N];   /* each one's UDP sport << 16 | dport, in output order */
	int64_t req, rep, new_; /* n_packets of the +est rules (A's, B's) and the +new rule */
	int64_t hits, last_hits, upcalls, conns;
	char reasons[1024]; /* "ct stats": packets by reason */
};

/*
 * Frame i of test_ct_second_pass_in_the_first()'s input: its UDP ports, as sp_run.ports.
 * Nine bursts of 32 between A:(42000 + k) and B:53: requests, requests, requests (but a
 * new connection's from A:44005 in slot 5), replies, requests, replies, replies,
 * replies with a request in every fourth slot (k % 4 == 2), replies with a new
 * connection's request (A:(43000 + k)) in every fourth slot; then four bursts of
 * requests from A:(45000 + k): new ones, again, again but for a TCP SYN from A:46000
 * to B:80 in slot 0, again but for a RST of that connection (before any reply: it
 * ends it) in slot 0.  '*last_new': one of the new requests of the ninth burst;
 * '*tcp': the SYN or the RST ('*rst').
 */
static uint32_t
sp_frame(int i, bool *last_new, bool *tcp, bool *rst)
{
	int burst = i / 32, k = i % 32;
	bool a_to_b = burst <= 2 || burst == 4 || (burst >= 7 && k % 4 == 2) || burst >= 9;
	uint16_t aport = (uint16_t)(42000 + k);

	*last_new = burst == 8 && k % 4 == 2;
	*tcp = burst >= 11 && k == 0;
	*rst = burst == 12 && k == 0;
	if (*tcp)
		return 46000u << 16 | 80;
	if (*last_new)
		aport = (uint16_t)(43000 + k);
	else if (burst == 2 && k == 5)
		aport = 44005;
	else if (burst >= 9)
		aport = (uint16_t)(45000 + k);
	return a_to_b ? (uint32_t)aport << 16 | 53 : 53u << 16 | aport;
}

static void
sp_run(bool detail, const char *a_match, const char *a_dump, struct sp_run *r)
{
	static char baseline[1 << 16];
	static uint8_t bufs[SP_N][64];
	uint8_t *ptrs[SP_N];
	size_t lens[SP_N];
	struct th_daemon d;
	const char *name = detail ? "ct_sp_detail" : "ct_sp";
	char dir[256], config[1024], in[320], out[320];
	struct pb_flow f;
	const char *p;
	int i;

	th_scratch(name, dir, sizeof(dir));
	snprintf(in, sizeof(in), "%s/in.pcap", dir);
	snprintf(out, sizeof(out), "%s/out.pcap", dir);
	for (i = 0; i < SP_N; i++) {
		bool last_new, tcp, rst;
		uint32_t ports = sp_frame(i, &last_new, &tcp, &rst);
		bool a_to_b = tcp || (ports & 0xffff) == 53;

		pb_flow_init(&f);
		f.proto = tcp ? PB_IPPROTO_TCP : PB_IPPROTO_UDP;
		f.src_ip4 = a_to_b ? A4 : B4;
		f.dst_ip4 = a_to_b ? B4 : A4;
		f.sport = (uint16_t)(ports >> 16);
		f.dport = (uint16_t)ports;
		if (tcp) {
			f.tcp_flags = rst ? PB_TCP_RST : PB_TCP_SYN;
			f.tcp_seq = rst ? 101 : 100;
			f.tcp_win = 65535;
		}
		lens[i] = pb_build(&f, bufs[i], 64, 60);
		assert_true(lens[i] > 0);
		ptrs[i] = bufs[i];
	}
	assert_int_equal(th_write_pcap(in, ptrs, lens, SP_N), 0);
	snprintf(config, sizeof(config),
	         "port add out dpdk net_pcap1,tx_pcap=%s\n"
	         "flow del\n"
	         "flow add table=0,priority=10,ip,ct_state=-trk actions=ct(table=1)\n"
	         "flow add table=1,priority=10,ip,ct_state=+trk+new actions=ct(commit),output:out\n"
	         "flow add table=1,priority=20,ip,%s,ct_state=+trk+est "
	         "actions=output:out\n"
	         "flow add table=1,priority=10,ip,ct_state=+trk+est actions=output:out\n"
	         "flow add table=1,priority=1 actions=drop\n",
	         out, a_match);
	assert_int_equal(th_start(&d, name, config, NULL, NULL), 0);
	assert_int_equal(th_ctl(&d, &o, "pmd stats detail %s", detail ? "on" : "off"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	/* One port: the bursts of 32 in a row, through the same megaflows. */
	feed_pcap(&d, in, SP_N);
	assert_int_equal(th_ctl(&d, &o, "flow dump --names"), 0);
	r->req = rule_packets(o.buf, a_dump);
	r->rep = rule_packets(o.buf, ",ip,ct_state=+trk+est actions=output:out\n");
	if (r->req < 0 || r->rep < 0)
		fail_msg("flow dump:\n%s", o.buf);
	r->new_ = rule_packets(o.buf, " actions=ct(commit),output:out\n");
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	r->hits = th_json_num(o.buf, NULL, "emc_hits") + th_json_num(o.buf, NULL, "megaflow_hits");
	r->last_hits = th_json_num(o.buf, NULL, "last_hits");
	r->upcalls = th_json_num(o.buf, NULL, "upcalls");
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	r->conns = th_json_num(o.buf, NULL, "count");
	p = strstr(o.buf, "\"reasons\"");
	assert_non_null(p);
	snprintf(r->reasons, sizeof(r->reasons), "%s", p);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
	r->n = th_read_pcap(out, frames, MAX_FRAMES);
	assert_int_equal(r->n, SP_N);
	for (i = 0; i < r->n; i++) {
		const uint8_t *l4 = frames[i].data + 14 + 20;

		r->ports[i] = (uint32_t)(l4[0] << 8 | l4[1]) << 16 | (uint32_t)(l4[2] << 8 | l4[3]);
	}
}

/* The queued and the fused runs counted the same: rule hits, connections, megaflow
 * hits and last hits, ct() calls by reason. */
static void
sp_same_counts(const struct sp_run *queued, const struct sp_run *fused)
{
	assert_int_equal(queued->req, fused->req);
	assert_int_equal(queued->rep, fused->rep);
	assert_int_equal(queued->new_, fused->new_);
	assert_int_equal(queued->conns, fused->conns);
	assert_int_equal(queued->hits, fused->hits);
	assert_int_equal(queued->last_hits, fused->last_hits);
	assert_string_equal(queued->reasons, fused->reasons);
}

/*
 * The benchmark's rules (ct(table=1); +new -> ct(commit),output; +est -> output, A's and
 * B's on two flows) over sp_frame()'s bursts from one port.  With "pmd stats detail"
 * off, a packet's second pass is done in its first when it would hit the pass's
 * last-hit megaflow and that is a lone output, or ct(commit),output on the connection
 * the first ct() found: the third burst's first five requests (then a new connection
 * is queued, and the requests behind it with it), the seventh burst, the eighth's first
 * two replies (the replies behind the request queued after them must not overtake it).
 * With it on, every packet is queued.  Both ways the frames come out in the same order
 * (arrival order, but in the last burst the new connections, whose second pass starts
 * with ct() and is not the last hit, after the +est packets of their pass), and the
 * flows, megaflow hits, last-hits and connections count the same.
 */
static void
test_ct_second_pass_in_the_first(void **state)
{
	static struct sp_run queued, fused;
	uint32_t want[SP_N];
	int i, n = 0;
	bool last_new, tcp, rst;

	(void)state;
	sp_run(true, "nw_src=10.1.0.1", "nw_src=10.1.0.1 actions=output:out\n", &queued);
	sp_run(false, "nw_src=10.1.0.1", "nw_src=10.1.0.1 actions=output:out\n", &fused);
	/* Arrival order, but the ninth burst's new requests after the rest of it. */
	for (i = 0; i < SP_N; i++) {
		if (!(sp_frame(i, &last_new, &tcp, &rst), last_new))
			want[n++] = sp_frame(i, &last_new, &tcp, &rst);
		if (i == 9 * 32 - 1)
			for (int k = 8 * 32; k < 9 * 32; k++)
				if ((sp_frame(k, &last_new, &tcp, &rst), last_new))
					want[n++] = sp_frame(k, &last_new, &tcp, &rst);
	}
	for (i = 0; i < SP_N; i++)
		if (fused.ports[i] != want[i] || queued.ports[i] != want[i])
			fail_msg("frame %d: sport/dport %08x (queued %08x), want %08x", i,
			         fused.ports[i], queued.ports[i], want[i]);
	/* +est from A: 32 + 8; from B: 3 * 32 + 24 + 24; +new: 3 * 32 + 8 + 4 * 32. */
	assert_int_equal(fused.req, 40);
	assert_int_equal(fused.rep, 144);
	assert_int_equal(fused.new_, 232);
	/* 42000 + k, 44005, 43000 + k, 45000 + k (the TCP one ended by its RST). */
	assert_int_equal(fused.conns, 32 + 1 + 8 + 32);
	/* Two passes a packet, each a hit but for the upcalls: the first packet's two
	 * passes, and the second of the first +est packet from B and from A. */
	assert_int_equal(fused.upcalls, 4);
	assert_int_equal(queued.upcalls, 4);
	assert_int_equal(fused.hits, 2 * SP_N - 4);
	/* Every ct() call counted under the same reasons: the RST's second ct() (its first
	 * ended the connection) tracked again both ways. */
	sp_same_counts(&queued, &fused);
}

/*
 * test_ct_second_pass_in_the_first() with A's +est rule on the connection's original
 * tuple (ct_tp_src: A's ports 42016-42031) instead of the packet's address: the fused
 * second pass then compares ct words past the first, which it must set
 * (vs_ct_set_key_first() would leave them stale), and comes out as the queued one does,
 * frame for frame.
 */
static void
test_ct_second_pass_on_ct_tuple(void **state)
{
	static struct sp_run queued, fused;
	/* A masked bit that is 0 in the match, and in the port of each burst's last frame
	 * (42031), whose megaflow the next burst's fused passes compare first: a stale
	 * ct_tp_src (the parse's zero) would match A's ports 42000-42015 as well. */
	const char *m = "ct_tp_src=0/0x10", *dump = "ct_tp_src=0x0/0x10 actions=output:out\n";
	int i;

	(void)state;
	sp_run(true, m, dump, &queued);
	sp_run(false, m, dump, &fused);
	for (i = 0; i < SP_N; i++)
		if (fused.ports[i] != queued.ports[i])
			fail_msg("frame %d: sport/dport %08x, queued %08x", i, fused.ports[i],
			         queued.ports[i]);
	/* Both directions of A's connections from 42016 on, and the others. */
	assert_true(fused.req > 0 && fused.rep > 0);
	sp_same_counts(&queued, &fused);
}

/* Reads file 'path' into 'buf' (NUL-terminated). */
static void
read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * ct settings in the config file: "ct set" (TCP mid-stream pickup, the
 * nf_conntrack_tcp_loose of issue 4), "ct limit set" and "ct timeout set" lines
 * are applied at start-up and on reload, written back by "config save", and a
 * bad one fails the reload with FILE:LINE and changes nothing.  With pickup
 * off a mid-stream ACK is +inv (reason tcp_no_pickup); switched on at run
 * time, the next one is picked up (+new, committed).
 */
static void
test_ct_settings_in_config(void **state)
{
	static const char settings[] = "ct set tcp_loose=off\n"
				       "ct limit set default=5000 zone=9,limit=7\n"
				       "ct timeout set udp_first=7\n";
	static char text[65536], config[65536];
	int verdicts[MAX_RUNS][MAX_SEQ];
	char save[400];
	struct th_daemon d;
	struct seq s;
	FILE *f;

	(void)state;
	s.n = 0;
	tcp(&s, V_REJ(S_TRK | S_INV), true, 3000, 80, PB_TCP_ACK, 5000, 7000, 0);
	tcp(&s, V_OUT(S_TRK | S_NEW), true, 3001, 80, PB_TCP_ACK, 5000, 7000, 0);

	start_fw(&d, "ct_settings", settings);
	assert_int_equal(th_ctl(&d, &o, "ct show"), 0);
	assert_string_equal(o.buf, "tcp_loose=off tcp_be_liberal=off limit=5000\n");
	assert_int_equal(th_ctl(&d, &o, "ct timeout show"), 0);
	assert_non_null(strstr(o.buf, " udp_first=7 "));
	assert_int_equal(th_ctl(&d, &o, "ct limit show"), 0);
	assert_non_null(strstr(o.buf, "zone=9,limit=7,count=0"));
	inject(&d, &s, 0, 1, 0);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "tcp_no_pickup"), 1);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 0);
	assert_int_equal(th_ctl(&d, &o, "ct set tcp_loose=on"), 0);
	inject(&d, &s, 1, 2, 0);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 1);

	/* Bad settings: clear errors, nothing changes. */
	assert_int_equal(th_ctl(&d, &o, "ct set tcp_loose=maybe"), 1);
	assert_non_null(strstr(o.err, "bad value 'maybe' for tcp_loose"));
	assert_int_equal(th_ctl(&d, &o, "ct set tcp_be_liberal=on tcp_lose=on"), 1);
	assert_non_null(strstr(o.err, "unknown ct setting 'tcp_lose=on'"));
	assert_int_equal(th_ctl(&d, &o, "ct show"), 0);
	assert_string_equal(o.buf, "tcp_loose=on tcp_be_liberal=off limit=5000\n");

	/* Reload puts the file's settings back. */
	assert_int_equal(th_ctl(&d, &o, "ct timeout set udp_first=9"), 0);
	assert_int_equal(th_ctl(&d, &o, "config reload"), 0);
	assert_int_equal(th_ctl(&d, &o, "ct show"), 0);
	assert_string_equal(o.buf, "tcp_loose=off tcp_be_liberal=off limit=5000\n");
	assert_int_equal(th_ctl(&d, &o, "ct timeout show"), 0);
	assert_non_null(strstr(o.buf, " udp_first=7 "));

	/* A bad ct line fails the reload, naming file and line; nothing changes. */
	read_text(d.config, config, sizeof(config));
	f = fopen(d.config, "w");
	assert_non_null(f);
	fprintf(f, "ct set tcp_loose=on\nct set tcp_be_liberal=perhaps\n%s", config);
	fclose(f);
	assert_int_equal(th_ctl(&d, &o, "config reload"), 1);
	assert_non_null(strstr(o.err, ":2: bad value 'perhaps' for tcp_be_liberal"));
	f = fopen(d.config, "w");
	assert_non_null(f);
	fprintf(f, "%sct flush\n", config);
	fclose(f);
	assert_int_equal(th_ctl(&d, &o, "config reload"), 1);
	assert_non_null(strstr(o.err, "only 'ct set', 'ct limit set' and 'ct timeout set'"));
	assert_int_equal(th_ctl(&d, &o, "ct show"), 0);
	assert_string_equal(o.buf, "tcp_loose=off tcp_be_liberal=off limit=5000\n");
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 1);

	/* config save writes the settings that differ from the defaults. */
	snprintf(save, sizeof(save), "%s/saved.conf", d.dir);
	assert_int_equal(th_ctl(&d, &o, "ct timeout set zone=9 tcp_established=600"), 0);
	assert_int_equal(th_ctl(&d, &o, "config save %s", save), 0);
	read_text(save, text, sizeof(text));
	assert_non_null(strstr(text, "\nct set tcp_loose=off tcp_be_liberal=off\n"));
	assert_non_null(strstr(text, "\nct limit set default=5000\n"));
	assert_non_null(strstr(text, "\nct limit set zone=9,limit=7\n"));
	assert_non_null(strstr(text, "\nct timeout set udp_first=7\n"));
	assert_non_null(strstr(text, "\nct timeout set zone=9 "));
	assert_non_null(strstr(text, " tcp_established=600 "));
	assert_null(strstr(text, "\nct timeout set udp_first=7 "));
	assert_int_equal(th_stop(&d), 0);
	read_verdicts(&d, verdicts);
	check_verdicts(&s, 0, verdicts[0]);

	/* A switch started from the saved file has the same settings. */
	{
		struct th_daemon d2;

		assert_int_equal(th_start(&d2, "ct_settings2", text, NULL, NULL), 0);
		assert_int_equal(th_ctl(&d2, &o, "ct show"), 0);
		assert_string_equal(o.buf, "tcp_loose=off tcp_be_liberal=off limit=5000\n");
		assert_int_equal(th_ctl(&d2, &o, "ct timeout show zone=9"), 0);
		assert_non_null(strstr(o.buf, " tcp_established=600 "));
		assert_non_null(strstr(o.buf, " udp_first=7 "));
		assert_int_equal(th_stop(&d2), 0);
	}
}

/*
 * The connection table grows while traffic flows: 40,000 connections created at full rate take
 * the bucket array from its first 16,384 buckets to 65,536 (growing at a quarter full) with
 * nothing refused: in two growths, or in one when the table filled past the second threshold
 * before the control thread's first growth ran (a loaded machine: ct_grow() then sizes for what
 * is there).  Then every one of the 40,000 replies, from a port on the other PMD, finds its
 * connection (+est: none falls through to the drop rule as a +new from outside).
 */
static void
test_ct_table_grows_under_traffic(void **state)
{
	/* Two pcap ports of 42,000 mbufs each: more memory than the harness's 256 MB. */
	static const char *const eal[] = { "--lcores", "0@0,1@1,2@1", "-m", "768", NULL };
	enum { N = 40000 };
	static char baseline[1 << 16];
	struct th_daemon d;
	char config[2048], path_a[320], path_b[320];
	int i;

	(void)state;
	udp_pair_pcaps("ct_grow", N, 10000, path_a, path_b);
	snprintf(config, sizeof(config),
	         "port add out dpdk net_null0,no-rx=1\n"
	         "port add est dpdk net_null1,no-rx=1\n"
	         "flow del\n"
	         "flow add table=0,ip actions=ct(table=1)\n"
	         "flow add table=1,priority=100,ct_state=+trk+new,ip,nw_src=10.1.0.0/16 "
	         "actions=ct(commit),output:out\n"
	         "flow add table=1,priority=90,ct_state=+trk+est actions=output:est\n"
	         "flow add table=1,priority=0 actions=drop\n");
	assert_int_equal(th_start(&d, "ct_grow", config, eal, NULL), 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "buckets"), 16384);
	assert_int_equal(th_json_num(o.buf, NULL, "grown"), 0);
	assert_int_equal(th_ctl(&d, &o,
	                        "port add ga dpdk net_pcap1,rx_pcap=%s,infinite_rx=1 n_mbufs=%d",
	                        path_a, N + 2048),
	                 0);
	/* Every connection exists once the requests went round twice. */
	assert_int_equal(th_wait_rx(&d, "ga", 2 * N, 60), 0);
	for (i = 0; i < 50; i++) {
		assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
		if (th_json_num(o.buf, NULL, "count") == N &&
		    th_json_num(o.buf, NULL, "buckets") == 65536)
			break;
		usleep(100 * 1000);
	}
	assert_int_equal(th_json_num(o.buf, NULL, "count"), N);
	assert_int_equal(th_json_num(o.buf, NULL, "buckets"), 65536);
	assert_in_range(th_json_num(o.buf, NULL, "grown"), 1, 2);
	assert_int_equal(th_json_num(o.buf, "\"reasons\"", "table_full"), 0);
	assert_int_equal(th_json_num(o.buf, "\"reasons\"", "limit_global"), 0);
	assert_int_equal(th_ctl(&d, &o,
	                        "port add gb dpdk net_pcap2,rx_pcap=%s,infinite_rx=1 n_mbufs=%d",
	                        path_b, N + 2048),
	                 0);
	assert_int_equal(th_wait_rx(&d, "gb", N, 60), 0);
	assert_int_equal(th_ctl(&d, &o, "port del ga"), 0);
	assert_int_equal(th_ctl(&d, &o, "port del gb"), 0);
	/* Every reply went out +est; none fell through to the drop rule. */
	assert_true(th_port_stat(&d, "est", "tx_packets") >= N);
	assert_int_equal(th_ctl(&d, &o, "flow dump"), 0);
	if (strstr(o.buf, "table=1, n_packets=0, n_bytes=0, priority=0 actions=drop") == NULL) {
		printf("%s", o.buf);
		fail_msg("replies were dropped");
	}
	assert_int_equal(th_ctl(&d, &o, "ct flush"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json ct stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "count"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "retire_failed"), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_firewall_burst_groupings),
		cmocka_unit_test(test_ct_one_connection_shares_groups),
		cmocka_unit_test(test_ct_udp_one_way_shares_groups),
		cmocka_unit_test(test_ct_rst_behind_retransmission),
		cmocka_unit_test(test_ct_interleaved_connections_share_and_wait),
		cmocka_unit_test(test_ct_limits_and_expiry),
		cmocka_unit_test(test_ct_mark_label_match_and_commands),
		cmocka_unit_test(test_ct_ipv6_tuple_match),
		cmocka_unit_test(test_ct_two_pmds_share_the_table),
		cmocka_unit_test(test_ct_commands_under_traffic),
		cmocka_unit_test(test_ct_commit_output_and_limit),
		cmocka_unit_test(test_ct_second_pass_in_the_first),
		cmocka_unit_test(test_ct_second_pass_on_ct_tuple),
		cmocka_unit_test(test_ct_settings_in_config),
		cmocka_unit_test(test_ct_table_grows_under_traffic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
