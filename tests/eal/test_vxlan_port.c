/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VXLAN tunnel ports and the underlay through the real sluiced, pcap in and
 * pcap out.  Encapsulated output is decoded here by a decoder written from
 * RFC 7348/791/768 (outer checksum recomputed by this file, and checked again
 * by pkt_build's independent pb_verify_checksums()); decapsulated output is
 * compared byte for byte with the inner frames that went in.
 *
 * Receive-side tests need the underlay address in place before the first
 * frame arrives, but a net_pcap port reads its file as soon as it is added.
 * So the underlay port reads a FIFO that a child process feeds: filler frames
 * (a local experimental ethertype the flow tables drop as table_miss) every
 * 5 ms until the test says "go" for the next phase, then that phase's frames.
 * The filler keeps the PMD returning from its read, so the control thread's
 * RCU grace periods complete.
 */
#include <arpa/inet.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "pkt_build.h"
#include "th.h"

#define MAX_FRAMES 1024
#define LOCAL_IP   0xc0a80101u /* 192.168.1.1, our VTEP */
#define REMOTE_IP  0xc0a80102u /* 192.168.1.2 */
#define REMOTE3_IP 0xc0a80103u /* 192.168.1.3 */
#define OTHER_IP   0xc0a8010au /* 192.168.1.10, a second local address */

static const uint8_t remote_mac[6] = { 0x02, 0, 0, 0, 0, 0x22 };
static const uint8_t remote3_mac[6] = { 0x02, 0, 0, 0, 0, 0x33 };
static const uint8_t moved_mac[6] = { 0x02, 0, 0, 0, 0, 0x55 };

static struct th_frame out_a[MAX_FRAMES], out_b[MAX_FRAMES];
static struct th_out o;

/* ------------------------------------------------------------------ */
/* Frames. */

struct frames {
	int n;
	uint8_t *data[MAX_FRAMES];
	size_t len[MAX_FRAMES];
	int phase[MAX_FRAMES];
};

static void
frames_add_raw(struct frames *fs, const uint8_t *data, size_t len, int phase)
{
	uint8_t *b = malloc(len);

	assert_non_null(b);
	assert_true(fs->n < MAX_FRAMES);
	memcpy(b, data, len);
	fs->data[fs->n] = b;
	fs->len[fs->n] = len;
	fs->phase[fs->n++] = phase;
}

static size_t
frames_add(struct frames *fs, const struct pb_flow *f, size_t frame_len, int phase)
{
	uint8_t buf[PB_FRAME_MAX];
	size_t len = pb_build(f, buf, sizeof(buf), frame_len);

	assert_true(len > 0);
	frames_add_raw(fs, buf, len, phase);
	return len;
}

static void
frames_free(struct frames *fs)
{
	int i;

	for (i = 0; i < fs->n; i++)
		free(fs->data[i]);
	fs->n = 0;
}

/* Inner frame of flow 'k': UDP 10.0.0.(1+k):(1000+k) -> 10.0.1.1:'dport'. */
static void
inner_flow(struct pb_flow *f, int k, uint16_t dport)
{
	pb_flow_init(f);
	f->src_mac[5] = (uint8_t)(0x10 + k);
	f->src_ip4 = 0x0a000001u + (uint32_t)k;
	f->dst_ip4 = 0x0a000101u;
	f->proto = PB_IPPROTO_UDP;
	f->sport = (uint16_t)(1000 + k);
	f->dport = dport;
}

/* A VXLAN frame from 'src' to 'dst' with 'vni' around 'inner'. */
static void
outer_flow(struct pb_flow *f, const struct pb_flow *inner, uint32_t src, uint32_t dst, uint32_t vni)
{
	pb_flow_init(f);
	memcpy(f->src_mac, remote_mac, 6);
	f->dst_mac[0] = 0x02;
	f->dst_mac[5] = 0x99; /* not checked: the address decides */
	f->src_ip4 = src;
	f->dst_ip4 = dst;
	f->proto = PB_IPPROTO_UDP;
	f->sport = 50000;
	f->dport = PB_VXLAN_PORT;
	f->vxlan = true;
	f->vni = vni;
	f->inner = inner;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1071 sum of 'len' (even) bytes, folded. */
static uint16_t
sum16(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Sets a VXLAN frame's IP/UDP lengths for a new frame length, recomputing the IP checksum. */
static void
fix_lengths(uint8_t *f, size_t len)
{
	uint16_t ip_len = (uint16_t)(len - 14), udp_len = (uint16_t)(len - 34), c;

	f[16] = (uint8_t)(ip_len >> 8);
	f[17] = (uint8_t)ip_len;
	f[38] = (uint8_t)(udp_len >> 8);
	f[39] = (uint8_t)udp_len;
	f[40] = f[41] = 0; /* UDP checksum: none */
	f[24] = f[25] = 0;
	c = (uint16_t)~sum16(f + 14, 20);
	f[24] = (uint8_t)(c >> 8);
	f[25] = (uint8_t)c;
}

/* ------------------------------------------------------------------ */
/* The FIFO feeder (see the file comment). */

struct feeder {
	pid_t pid;
	char fifo[400];
	char go[400]; /* "<go>.N" starts phase N */
};

static void
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w <= 0)
			_exit(2);
		b += w;
		n -= (size_t)w;
	}
}

static void
write_rec(int fd, const uint8_t *data, size_t len)
{
	uint32_t h[4] = { 0, 0, (uint32_t)len, (uint32_t)len };

	write_all(fd, h, sizeof(h));
	write_all(fd, data, len);
}

/* Child: pcap header, then per phase filler until "go.N" exists, then its frames. */
static void
feeder_child(const struct feeder *fd_, const struct frames *fs, int n_phases)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	uint8_t filler[60] = { 0x02, 0, 0, 0, 0, 0xff, 0x02, 0, 0, 0, 0, 0xfe, 0x88, 0xb5 };
	int fd = open(fd_->fifo, O_WRONLY), p, i, waited;
	char go[420];

	if (fd < 0)
		_exit(1);
	signal(SIGPIPE, SIG_DFL);
	write_all(fd, hdr, sizeof(hdr));
	for (p = 0; p < n_phases; p++) {
		snprintf(go, sizeof(go), "%s.%d", fd_->go, p);
		for (waited = 0; access(go, F_OK) != 0; waited++) {
			if (waited > 6000) /* 30 s: the test is gone */
				_exit(3);
			write_rec(fd, filler, sizeof(filler));
			usleep(5000);
		}
		for (i = 0; i < fs->n; i++)
			if (fs->phase[i] == p)
				write_rec(fd, fs->data[i], fs->len[i]);
	}
	close(fd);
	_exit(0);
}

static void
feeder_start(struct feeder *f, const char *dir, const struct frames *fs, int n_phases)
{
	snprintf(f->fifo, sizeof(f->fifo), "%s/ul_in.fifo", dir);
	snprintf(f->go, sizeof(f->go), "%s/go", dir);
	unlink(f->fifo);
	assert_int_equal(mkfifo(f->fifo, 0600), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		feeder_child(f, fs, n_phases);
}

static void
feeder_go(struct feeder *f, int phase)
{
	char go[420];
	FILE *x;

	snprintf(go, sizeof(go), "%s.%d", f->go, phase);
	x = fopen(go, "w");
	assert_non_null(x);
	fclose(x);
}

/* Waits for the child (it exits after the last phase); kills it on timeout. */
static int
feeder_end(struct feeder *f)
{
	int st = -1, i;

	for (i = 0; i < 600 && f->pid > 0; i++) {
		if (waitpid(f->pid, &st, WNOHANG) == f->pid) {
			f->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		usleep(50000);
	}
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
	return -1;
}

static void
start(struct th_daemon *d, const char *name, char *dir, size_t dir_size, const char *config_fmt)
{
	char config[8192];

	th_scratch(name, dir, dir_size);
	snprintf(config, sizeof(config), config_fmt, dir);
	assert_int_equal(th_start(d, name, config, NULL, NULL), 0);
}

static int
read_out(const struct th_daemon *d, const char *file, struct th_frame *frames)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", d->dir, file);
	return th_read_pcap(path, frames, MAX_FRAMES);
}

/* ------------------------------------------------------------------ */
/* Outer header decoder. */

struct outer_want {
	uint32_t src, dst, vni;
	uint8_t ttl;
	uint8_t tos; /* whole byte: DSCP and ECN */
	bool df, csum;
	uint16_t sport_min, sport_max;
	const uint8_t *dst_mac;
};

/* What a tunnel with the default options (ttl 64, df, source ports 49152-65535) sends to
 * 'dst' (next hop MAC 'dst_mac') with VNI 'vni'. */
static struct outer_want
want_default(uint32_t dst, uint32_t vni, const uint8_t *dst_mac)
{
	struct outer_want w = { .src = LOCAL_IP,
		                .dst = dst,
		                .vni = vni,
		                .ttl = 64,
		                .df = true,
		                .sport_min = 49152,
		                .sport_max = 65535,
		                .dst_mac = dst_mac };

	return w;
}

/* Checks one encapsulated frame; returns its UDP source port. */
static uint16_t
check_outer(const struct th_frame *fr, const uint8_t *inner, size_t inner_len,
            const struct outer_want *w, uint8_t src_mac[6])
{
	const uint8_t *f = fr->data;
	uint16_t sport;

	assert_int_equal(fr->len, inner_len + 50);
	assert_memory_equal(f, w->dst_mac, 6);
	if (src_mac[0] == 0 && src_mac[5] == 0 && src_mac[1] == 0)
		memcpy(src_mac, f + 6, 6);
	assert_memory_equal(f + 6, src_mac, 6); /* the underlay port's MAC, every frame */
	assert_false(f[6] & 1);
	assert_int_equal(rd16(f + 12), 0x0800);
	assert_int_equal(f[14], 0x45);
	assert_int_equal(f[15], w->tos);
	assert_int_equal(rd16(f + 16), inner_len + 36);
	assert_int_equal(rd16(f + 20), w->df ? 0x4000 : 0);
	assert_int_equal(f[22], w->ttl);
	assert_int_equal(f[23], 17);
	assert_int_equal(sum16(f + 14, 20), 0xffff); /* header checksum, recomputed here */
	assert_int_equal(rd32(f + 26), w->src);
	assert_int_equal(rd32(f + 30), w->dst);
	sport = rd16(f + 34);
	assert_true(sport >= w->sport_min && sport <= w->sport_max);
	assert_int_equal(rd16(f + 36), 4789);
	assert_int_equal(rd16(f + 38), inner_len + 16);
	if (w->csum)
		assert_int_not_equal(rd16(f + 40), 0);
	else
		assert_int_equal(rd16(f + 40), 0);
	assert_int_equal(f[42], 0x08); /* I flag only */
	assert_int_equal(f[43] | f[44] | f[45] | f[49], 0);
	assert_int_equal(rd32(f + 45) & 0xffffff, w->vni);
	assert_int_equal(pb_verify_checksums(f, fr->len), 0); /* IP and UDP (when not 0) */
	assert_memory_equal(f + 50, inner, inner_len);
	return sport;
}

/* ------------------------------------------------------------------ */

/*
 * output:VXPORT encapsulates: right addresses, VNI, lengths, checksums, DF,
 * TTL, entropy source ports per inner flow; frames over the underlay MTU are
 * dropped and counted; per-tunnel options (csum, ttl=inherit, df=off,
 * src_port_range) show in the headers.
 */
static void
test_vxlan_port_encap_decodes(void **state)
{
	static struct frames in;
	struct outer_want w = want_default(REMOTE_IP, 100, remote_mac);
	struct outer_want w2 = { .src = LOCAL_IP,
		                 .dst = REMOTE3_IP,
		                 .vni = 7,
		                 .ttl = 33,
		                 .df = false,
		                 .csum = true,
		                 .sport_min = 50000,
		                 .sport_max = 50009,
		                 .dst_mac = remote3_mac };
	uint16_t flow_sport[20] = { 0 };
	uint8_t src_mac[6] = { 0 };
	char dir[256], in_path[400], baseline[65536];
	struct th_daemon d;
	struct pb_flow f;
	int i, n, k, n_distinct = 0, n_big = 5, n_two = 0, j;
	int64_t b_one = 0, b_two = 0, b_ul = 0;

	(void)state;
	for (i = 0; i < 200; i++) {
		inner_flow(&f, i % 20, 5000);
		f.tos = (uint8_t)(0xb8 | (i % 4)); /* DSCP 46, every ECN codepoint */
		frames_add(&in, &f, 60 + (size_t)(i % 7) * 100, 0);
		if (i % 40 == 0) { /* too big after encapsulation: 1480 + 36 > 1500 */
			frames_add(&in, &f, 1480, 0);
		}
		if (i % 10 == 0) { /* to the second tunnel, TTL inherited */
			inner_flow(&f, i % 20, 9);
			f.ttl = 33;
			f.tos = (uint8_t)(0x28 | (i % 4)); /* DSCP 10 */
			frames_add(&in, &f, 100, 0);
			n_two++;
		}
	}
	start(&d, "vxenc", dir, sizeof(dir),
	      "port add ul dpdk net_pcap1,tx_pcap=%1$s/ul.pcap\n"
	      "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=100\n"
	      "port add vx2 vxlan local_ip=192.168.1.1 remote_ip=192.168.1.3 key=7 csum=on "
	      "ttl=inherit tos=inherit df=off src_port_range=50000-50009\n"
	      "flow del\n"
	      "flow add priority=10,in_port=4,udp,tp_dst=9 actions=output:vx2\n"
	      "flow add priority=5,in_port=4 actions=output:vx\n");
	/* The tunnel is down until its local_ip is ours. */
	assert_int_equal(th_ctl(&d, &o, "--json port list"), 0);
	assert_non_null(strstr(o.buf, "\"name\": \"vx\""));
	assert_non_null(strstr(strstr(o.buf, "\"name\": \"vx\""), "\"link\": \"down\""));
	assert_int_equal(th_ctl(&d, &o, "ip addr add 192.168.1.1/24 dev ul"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json port list"), 0);
	assert_non_null(strstr(strstr(o.buf, "\"name\": \"vx\""), "\"link\": \"up\""));
	assert_int_equal(th_ctl(&d, &o, "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul"), 0);
	assert_int_equal(th_ctl(&d, &o, "neigh add 192.168.1.3 02:00:00:00:00:33 dev ul"), 0);
	assert_int_equal(th_ctl(&d, &o, "route show"), 0);
	assert_non_null(strstr(o.buf, "192.168.1.0/24 dev ul"));
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);

	snprintf(in_path, sizeof(in_path), "%s/vm_in.pcap", dir);
	assert_int_equal(th_write_pcap(in_path, in.data, in.len, in.n), 0);
	assert_int_equal(th_ctl(&d, &o, "port add vm dpdk net_pcap0,rx_pcap=%s", in_path), 0);
	assert_int_equal(th_wait_rx(&d, "vm", in.n, 20), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_port_stat(&d, "vx", "encap_packets"), 200);
	assert_int_equal(th_port_stat(&d, "vx", "encap_too_big"), n_big);
	assert_int_equal(th_port_stat(&d, "vx2", "encap_packets"), n_two);
	assert_int_equal(th_port_stat(&d, "ul", "tx_packets"), 200 + n_two);
	/* Bytes: a tunnel port counts the inner frames given to it (the too big ones
	 * too: they are its encap_too_big), the underlay the frames it sent. */
	for (i = 0; i < in.n; i++) {
		bool two = in.len[i] > 37 && rd16(in.data[i] + 36) == 9;

		*(two ? &b_two : &b_one) += in.len[i];
		if (in.len[i] != 1480)
			b_ul += in.len[i] + 50;
	}
	assert_int_equal(th_port_stat(&d, "vx", "tx_bytes"), b_one);
	assert_int_equal(th_port_stat(&d, "vx2", "tx_bytes"), b_two);
	assert_int_equal(th_port_stat(&d, "ul", "tx_bytes"), b_ul);
	assert_int_equal(th_stop(&d), 0);

	n = read_out(&d, "ul.pcap", out_a);
	assert_int_equal(n, 200 + n_two);
	/* Each tunnel keeps its packets in order (the two interleave freely). */
	for (k = 0, i = 0, j = 0; k < n; k++) {
		bool two = rd32(out_a[k].data + 30) == REMOTE3_IP;
		int *pos = two ? &j : &i;
		uint16_t sport;

		while (*pos < in.n &&
		       (in.len[*pos] == 1480 || (rd16(in.data[*pos] + 36) == 9) != two))
			(*pos)++;
		assert_true(*pos < in.n);
		/* tos 0 takes the inner ECN bits, tos=inherit the DSCP too; an inner
		 * CE becomes ECT(0) outside (RFC 3168 section 9.1.1, as Linux's
		 * INET_ECN_encapsulate()). */
		w.tos = (in.data[*pos][15] & 0x03) == 0x03 ? 0x02 : in.data[*pos][15] & 0x03;
		w2.tos = (uint8_t)((in.data[*pos][15] & 0xfc) | w.tos);
		sport = check_outer(&out_a[k], in.data[*pos], in.len[*pos], two ? &w2 : &w,
		                    src_mac);
		if (!two) {
			/* Same inner flow (its source MAC says which), same source port. */
			int fl = in.data[*pos][11] - 0x10;

			if (flow_sport[fl] == 0)
				flow_sport[fl] = sport;
			assert_int_equal(flow_sport[fl], sport);
		}
		(*pos)++;
	}
	for (i = 0; i < 20; i++) {
		bool seen = false;

		for (k = 0; k < i; k++)
			seen |= flow_sport[k] == flow_sport[i];
		n_distinct += !seen;
	}
	assert_true(n_distinct >= 15); /* entropy: 20 flows, hashed into 16,384 ports */
	frames_free(&in);
}

/*
 * Decapsulation: VXLAN to our address with a known VNI comes out as the exact
 * inner frame from the tunnel port (exact remote_ip before remote_ip=flow),
 * flows match tun_id/tun_src with masks; the malformed corpus is dropped and
 * counted by reason; mbufs go back to the pool.
 */
static void
test_vxlan_port_decap_inner_exact(void **state)
{
	static struct frames in, want_a, want_b;
	struct pb_flow f, inner;
	struct feeder fd = { 0 };
	char dir[256], baseline[65536];
	struct th_daemon d;
	uint8_t buf[PB_FRAME_MAX];
	size_t len;
	int i, n, n_a = 0, n_b = 0, n_c = 0;

	(void)state;
	for (i = 0; i < 120; i++) {
		inner_flow(&inner, i % 5, 7000);
		switch (i % 3) {
		case 0: /* from .2, VNI 100: tunnel vx (exact remote) -> vm */
			outer_flow(&f, &inner, REMOTE_IP, LOCAL_IP, 100);
			frames_add(&want_a, &inner, 60 + (size_t)(i % 4) * 200, 0);
			n_a++;
			break;
		case 1: /* from .3, VNI 200: remote_ip=flow tunnel, tun_id match -> vm2 */
			outer_flow(&f, &inner, REMOTE3_IP, LOCAL_IP, 200);
			frames_add(&want_b, &inner, 60 + (size_t)(i % 4) * 200, 0);
			n_b++;
			break;
		default: /* from .2, VNI 300: flow tunnel, tun_id 300 -> drop rule */
			outer_flow(&f, &inner, REMOTE_IP, LOCAL_IP, 300);
			n_c++;
			break;
		}
		frames_add(&in, &f, 60 + (size_t)(i % 4) * 200 + 50, 0);
	}
	/* Malformed corpus, three of each. */
	for (i = 0; i < 3; i++) {
		inner_flow(&inner, 1, 7000);
		outer_flow(&f, &inner, REMOTE_IP, LOCAL_IP, 100);
		len = pb_build(&f, buf, sizeof(buf), 0);
		buf[42] = 0x00; /* I flag clear */
		frames_add_raw(&in, buf, len, 0);
		len = pb_build(&f, buf, sizeof(buf), 0);
		buf[42] = 0x0c; /* reserved flag bit */
		frames_add_raw(&in, buf, len, 0);
		len = pb_build(&f, buf, sizeof(buf), 0);
		buf[49] = 0x01; /* reserved byte after the VNI */
		frames_add_raw(&in, buf, len, 0);
		len = pb_build(&f, buf, sizeof(buf), 0);
		frames_add_raw(&in, buf, 46, 0); /* truncated outer */
		len = pb_build(&f, buf, sizeof(buf), 0);
		fix_lengths(buf, 14 + 20 + 8 + 8 + 10); /* inner frame of 10 bytes */
		frames_add_raw(&in, buf, 60, 0);
		len = pb_build(&f, buf, sizeof(buf), 0);
		buf[38] ^= 0x01; /* UDP length disagrees with IP */
		buf[40] = buf[41] = 0;
		frames_add_raw(&in, buf, len, 0);
		f.csum = PB_CSUM_IP_BAD;
		frames_add(&in, &f, 0, 0);
		f.csum = 0;
		f.ip_frag = PB_IP_MF;
		frames_add(&in, &f, 0, 0);
		f.ip_frag = 0;
		outer_flow(&f, &inner, REMOTE_IP, OTHER_IP, 100); /* no tunnel on .10 */
		frames_add(&in, &f, 0, 0);
	}
	start(&d, "vxdec", dir, sizeof(dir),
	      "port add vm dpdk net_pcap1,tx_pcap=%1$s/vm.pcap\n"
	      "port add vm2 dpdk net_pcap2,tx_pcap=%1$s/vm2.pcap\n"
	      "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=100\n"
	      "port add vxf vxlan local_ip=192.168.1.1 remote_ip=flow key=flow\n"
	      "flow del\n"
	      "flow add priority=100,in_port=vx actions=output:vm\n"
	      "flow add priority=90,in_port=vxf,tun_id=200/0xff,tun_src=192.168.1.0/24,"
	      "tun_dst=192.168.1.1 actions=output:vm2\n"
	      "flow add priority=80,in_port=vxf actions=drop\n");
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	feeder_start(&fd, dir, &in, 1);
	assert_int_equal(th_ctl(&d, &o, "port add ul dpdk net_pcap0,rx_pcap=%s,tx_pcap=%s/ul.pcap",
	                        fd.fifo, dir),
	                 0);
	assert_int_equal(th_ctl(&d, &o, "ip addr add 192.168.1.1/24 dev ul"), 0);
	assert_int_equal(th_ctl(&d, &o, "ip addr add 192.168.1.10/24 dev ul"), 0);
	/* The underlay's work is a stage of its own in the cycle accounting. */
	assert_int_equal(th_ctl(&d, &o, "pmd stats detail on"), 0);
	feeder_go(&fd, 0);
	assert_int_equal(feeder_end(&fd), 0);
	assert_int_equal(th_wait_rx(&d, "vx", n_a, 20), 0);
	assert_int_equal(th_wait_rx(&d, "vxf", n_b + n_c, 20), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_port_stat(&d, "ul", "decap_packets"), n_a + n_b + n_c);
	assert_int_equal(th_port_stat(&d, "vx", "rx_packets"), n_a);
	assert_int_equal(th_port_stat(&d, "vxf", "rx_packets"), n_b + n_c);
	assert_int_equal(th_ctl(&d, &o, "--json port stats ul"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "decap_bad_flags"), 3);
	assert_int_equal(th_json_num(o.buf, NULL, "decap_reserved_bits"), 6);
	assert_int_equal(th_json_num(o.buf, NULL, "decap_truncated_outer"), 3);
	assert_int_equal(th_json_num(o.buf, NULL, "decap_truncated_inner"), 3);
	assert_int_equal(th_json_num(o.buf, NULL, "decap_bad_udp_len"), 3);
	assert_int_equal(th_json_num(o.buf, NULL, "decap_bad_outer_csum"), 3);
	assert_int_equal(th_json_num(o.buf, NULL, "decap_outer_fragment"), 3);
	assert_int_equal(th_json_num(o.buf, NULL, "decap_unknown_vni"), 3);
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "no_output"), n_c);
	{
		const char *st = strstr(o.buf, "\"stage_cycles_per_packet\"");

		assert_non_null(st);
		assert_non_null(strstr(st, "\"underlay\": "));
		assert_true(strtod(strstr(st, "\"underlay\": ") + 12, NULL) > 0.0);
	}
	assert_int_equal(th_stop(&d), 0);

	n = read_out(&d, "vm.pcap", out_a);
	assert_int_equal(n, want_a.n);
	for (i = 0; i < n; i++) {
		assert_int_equal(out_a[i].len, want_a.len[i]);
		assert_memory_equal(out_a[i].data, want_a.data[i], want_a.len[i]);
	}
	n = read_out(&d, "vm2.pcap", out_b);
	assert_int_equal(n, want_b.n);
	for (i = 0; i < n; i++) {
		assert_int_equal(out_b[i].len, want_b.len[i]);
		assert_memory_equal(out_b[i].data, want_b.data[i], want_b.len[i]);
	}
	frames_free(&in);
	frames_free(&want_a);
	frames_free(&want_b);
}

/*
 * Flow-based tunnels: set_field to tun_dst and tun_id before output picks
 * the remote VTEP (and so the route and next hop: a gateway for 10.99/16)
 * and the VNI per packet;
 * no tun_dst, no route, or a tunnel whose local_ip is not ours are dropped
 * and counted by reason.
 */
static void
test_vxlan_port_flow_based_encap(void **state)
{
	static struct frames in;
	struct outer_want w3 = want_default(REMOTE3_IP, 42, remote3_mac);
	struct outer_want w2 = want_default(REMOTE_IP, 0x123456, remote_mac);
	/* Beyond the gateway .3: its MAC, the far address. */
	struct outer_want wg = want_default(0x0a630101u, 5, remote3_mac);
	uint8_t src_mac[6] = { 0 };
	char dir[256], path[400];
	struct th_daemon d;
	struct pb_flow f;
	int i, k, n, pos[3] = { 0, 0, 0 };

	(void)state;
	for (i = 0; i < 32; i++) {
		if (i >= 29)
			inner_flow(&f, i, 16);
		else if (i >= 20 && i < 23)
			inner_flow(&f, i, 13);
		else if (i >= 23 && i < 26)
			inner_flow(&f, i, 14);
		else if (i >= 26 && i < 29)
			inner_flow(&f, i, 15);
		else
			inner_flow(&f, i, i % 2 ? 12 : 11);
		frames_add(&in, &f, 80 + (size_t)i, 0);
	}
	start(&d, "vxflow", dir, sizeof(dir),
	      "port add ul dpdk net_pcap1,tx_pcap=%1$s/ul.pcap\n"
	      "port add vxf vxlan local_ip=192.168.1.1 remote_ip=flow key=flow\n"
	      "port add vxd vxlan local_ip=192.168.1.77 remote_ip=192.168.1.2\n"
	      "ip addr add 192.168.1.1/24 dev ul\n"
	      "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul\n"
	      "neigh add 192.168.1.3 02:00:00:00:00:33 dev ul\n"
	      "route add 10.99.0.0/16 via 192.168.1.3 dev ul\n"
	      "flow del\n"
	      "flow add in_port=4,udp,tp_dst=16 actions=set_field:10.99.1.1->tun_dst,"
	      "set_field:5->tun_id,output:vxf\n"
	      "flow add in_port=4,udp,tp_dst=11 actions=set_field:192.168.1.3->tun_dst,"
	      "set_field:42->tun_id,output:vxf\n"
	      "flow add in_port=4,udp,tp_dst=12 actions=set_field:192.168.1.2->tun_dst,"
	      "set_field:0x123456->tun_id,output:vxf\n"
	      "flow add in_port=4,udp,tp_dst=13 actions=output:vxf\n"
	      "flow add in_port=4,udp,tp_dst=14 actions=set_field:192.168.9.9->tun_dst,output:vxf\n"
	      "flow add in_port=4,udp,tp_dst=15 actions=output:vxd\n");
	snprintf(path, sizeof(path), "%s/vm_in.pcap", dir);
	assert_int_equal(th_write_pcap(path, in.data, in.len, in.n), 0);
	assert_int_equal(th_ctl(&d, &o, "port add vm dpdk net_pcap0,rx_pcap=%s", path), 0);
	assert_int_equal(th_wait_rx(&d, "vm", in.n, 20), 0);
	for (i = 0; i < 100 && th_port_stat(&d, "vxf", "encap_packets") < 23; i++)
		usleep(50000);
	assert_int_equal(th_port_stat(&d, "vxf", "encap_packets"), 23);
	assert_int_equal(th_port_stat(&d, "vxf", "no_tun_dst"), 3);
	assert_int_equal(th_port_stat(&d, "vxf", "no_route"), 3);
	assert_int_equal(th_port_stat(&d, "vxd", "tunnel_down"), 3);
	assert_int_equal(th_stop(&d), 0);

	n = read_out(&d, "ul.pcap", out_a);
	assert_int_equal(n, 23);
	for (k = 0; k < n; k++) {
		uint32_t dst = rd32(out_a[k].data + 30);
		int g = dst == REMOTE3_IP ? 0 : dst == REMOTE_IP ? 1 : 2;
		const struct outer_want *w = g == 0 ? &w3 : g == 1 ? &w2 : &wg;
		uint16_t want_dport = g == 0 ? 11 : g == 1 ? 12 : 16;

		while (pos[g] < in.n && rd16(in.data[pos[g]] + 36) != want_dport)
			pos[g]++;
		assert_true(pos[g] < in.n);
		check_outer(&out_a[k], in.data[pos[g]], in.len[pos[g]], w, src_mac);
		pos[g]++;
	}
	frames_free(&in);
}

/*
 * An mbuf without room for the outer header (20 VLAN tags pushed ate 80 of
 * its 128 bytes of headroom) is encapsulated from a private copy, not
 * corrupted and not lost.
 */
static void
test_vxlan_port_low_headroom(void **state)
{
	static struct frames in;
	struct outer_want w = want_default(REMOTE_IP, 9, remote_mac);
	uint8_t src_mac[6] = { 0 }, want[PB_FRAME_MAX];
	char dir[256], path[400], flow[2048];
	size_t off = 0;
	struct th_daemon d;
	struct pb_flow f;
	int i, k, n;

	(void)state;
	for (i = 0; i < 5; i++) {
		inner_flow(&f, i, 5000);
		frames_add(&in, &f, 100, 0);
	}
	for (i = 0; i < 20; i++)
		off += (size_t)snprintf(flow + off, sizeof(flow) - off, "push_vlan:0x8100,");
	snprintf(flow + off, sizeof(flow) - off, "output:vx");
	start(&d, "vxhead", dir, sizeof(dir),
	      "port add ul dpdk net_pcap1,tx_pcap=%1$s/ul.pcap\n"
	      "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=9\n"
	      "ip addr add 192.168.1.1/24 dev ul\n"
	      "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul\n"
	      "flow del\n");
	assert_int_equal(th_ctl(&d, &o, "flow add in_port=3 actions=%s", flow), 0);
	snprintf(path, sizeof(path), "%s/vm_in.pcap", dir);
	assert_int_equal(th_write_pcap(path, in.data, in.len, in.n), 0);
	assert_int_equal(th_ctl(&d, &o, "port add vm dpdk net_pcap0,rx_pcap=%s", path), 0);
	assert_int_equal(th_wait_rx(&d, "vm", in.n, 20), 0);
	for (i = 0; i < 100 && th_port_stat(&d, "vx", "encap_packets") < 5; i++)
		usleep(50000);
	assert_int_equal(th_port_stat(&d, "vx", "encap_packets"), 5);
	assert_int_equal(th_port_stat(&d, "vx", "encap_no_headroom"), 0);
	assert_int_equal(th_stop(&d), 0);
	n = read_out(&d, "ul.pcap", out_a);
	assert_int_equal(n, 5);
	for (k = 0; k < n; k++) {
		memcpy(want, in.data[k], 12);
		for (i = 0; i < 20; i++)
			memcpy(want + 12 + 4 * i, "\x81\x00\x00\x00", 4);
		memcpy(want + 92, in.data[k] + 12, in.len[k] - 12);
		check_outer(&out_a[k], want, in.len[k] + 80, &w, src_mac);
	}
	frames_free(&in);
}

/* Waits until port 'port' counter 'key' reaches 'n' (10 s). */
static bool
wait_stat(struct th_daemon *d, const char *port, const char *key, int64_t n)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (th_port_stat(d, port, key) >= n)
			return true;
		usleep(50000);
	}
	fprintf(stderr, "port %s %s = %lld, want >= %lld\n", port, key,
	        (long long)th_port_stat(d, port, key), (long long)n);
	return false;
}

/*
 * Full bursts to one tunnel (10 x 32 frames of 20 flows, 60 to 660 bytes):
 * each run goes out of the underlay as it is, and the byte counters stay
 * exact: the tunnel port counts the inner frames, the underlay them plus 50
 * bytes of outer header each; every frame leaves, decodable, in order.
 */
static void
test_vxlan_port_encap_full_bursts(void **state)
{
	static struct frames in;
	struct outer_want w = want_default(REMOTE_IP, 9, remote_mac);
	uint8_t src_mac[6] = { 0 };
	char dir[256], path[400];
	int64_t b_in = 0;
	struct th_daemon d;
	struct pb_flow f;
	int i, n;

	(void)state;
	for (i = 0; i < 320; i++) {
		inner_flow(&f, i % 20, 5000);
		frames_add(&in, &f, 60 + (size_t)(i % 7) * 100, 0);
		b_in += (int64_t)in.len[i];
	}
	start(&d, "vxfull", dir, sizeof(dir),
	      "port add ul dpdk net_pcap1,tx_pcap=%1$s/ul.pcap\n"
	      "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=9\n"
	      "ip addr add 192.168.1.1/24 dev ul\n"
	      "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul\n"
	      "flow del\n"
	      "flow add in_port=3 actions=output:vx\n");
	snprintf(path, sizeof(path), "%s/vm_in.pcap", dir);
	assert_int_equal(th_write_pcap(path, in.data, in.len, in.n), 0);
	assert_int_equal(th_ctl(&d, &o, "port add vm dpdk net_pcap0,rx_pcap=%s", path), 0);
	assert_int_equal(th_wait_rx(&d, "vm", in.n, 20), 0);
	assert_true(wait_stat(&d, "ul", "tx_packets", 320));
	assert_int_equal(th_port_stat(&d, "vx", "encap_packets"), 320);
	assert_int_equal(th_port_stat(&d, "vx", "tx_packets"), 320);
	assert_int_equal(th_port_stat(&d, "vx", "tx_bytes"), b_in);
	assert_int_equal(th_port_stat(&d, "ul", "tx_packets"), 320);
	assert_int_equal(th_port_stat(&d, "ul", "tx_bytes"), b_in + 320 * 50);
	assert_int_equal(th_stop(&d), 0);
	n = read_out(&d, "ul.pcap", out_a);
	assert_int_equal(n, 320);
	for (i = 0; i < n; i++)
		check_outer(&out_a[i], in.data[i], in.len[i], &w, src_mac);
	frames_free(&in);
}

/*
 * Under traffic: the underlay port leaves (its address and routes go with
 * it: the tunnel is down and counts it), another one takes over, then the
 * tunnel port leaves; nothing crashes and every mbuf comes back.
 */
static void
test_vxlan_port_delete_under_traffic(void **state)
{
	static struct frames in;
	char dir[256], path[400], baseline[65536];
	struct th_daemon d;
	struct pb_flow f;
	int64_t n0;
	int i;

	(void)state;
	for (i = 0; i < 64; i++) {
		inner_flow(&f, i, 5000);
		frames_add(&in, &f, 64, 0);
	}
	start(&d, "vxdel", dir, sizeof(dir),
	      "port add ul dpdk net_null0,no-rx=1\n"
	      "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=100\n"
	      "ip addr add 192.168.1.1/24 dev ul\n"
	      "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul\n"
	      "flow del\n"
	      "flow add in_port=3 actions=output:vx\n");
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_true(strlen(o.buf) < sizeof(baseline));
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	snprintf(path, sizeof(path), "%s/vm_in.pcap", dir);
	assert_int_equal(th_write_pcap(path, in.data, in.len, in.n), 0);
	assert_int_equal(
			th_ctl(&d, &o, "port add vm dpdk net_pcap0,rx_pcap=%s,infinite_rx=1", path),
			0);
	assert_true(wait_stat(&d, "vx", "encap_packets", 10000));
	assert_int_equal(th_ctl(&d, &o, "port del ul"), 0);
	assert_true(wait_stat(&d, "vx", "tunnel_down", 1000)); /* its address left too */
	assert_int_equal(th_ctl(&d, &o, "ip addr show"), 0);
	assert_string_equal(o.buf, "");
	assert_int_equal(th_ctl(&d, &o, "neigh show"), 0);
	assert_string_equal(o.buf, "");
	assert_int_equal(th_ctl(&d, &o, "port add ul2 dpdk net_null1,no-rx=1"), 0);
	assert_int_equal(th_ctl(&d, &o, "ip addr add 192.168.1.1/24 dev ul2"), 0);
	assert_int_equal(th_ctl(&d, &o, "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul2"), 0);
	n0 = th_port_stat(&d, "vx", "encap_packets");
	assert_true(wait_stat(&d, "vx", "encap_packets", n0 + 10000));
	assert_true(wait_stat(&d, "ul2", "tx_packets", 10000));
	assert_int_equal(th_ctl(&d, &o, "port del vx"), 0);
	assert_int_equal(th_ctl(&d, &o, "port del vm"), 0);
	assert_int_equal(th_wait_mempools(&d, baseline, 10), 0);
	assert_int_equal(th_stop(&d), 0);
	frames_free(&in);
}

/*
 * The seed pipeline: conntrack, then encapsulation.  ct(table=1) recirculates
 * each frame; table 1 commits new connections and sends them, and established
 * ones, to the tunnel; the frames leave encapsulated, inner bytes unchanged.
 * Their UDP source port comes from the connection's hash (vs_ct_stamp_hash()):
 * one port for every frame of a flow, the first one (decided through the rule
 * tables) too, and the flows spread over the range.
 */
static void
test_vxlan_port_ct_then_encap(void **state)
{
	static struct frames in;
	struct outer_want w = want_default(REMOTE_IP, 100, remote_mac);
	uint16_t flow_sport[20] = { 0 };
	uint8_t src_mac[6] = { 0 };
	char dir[256], path[400], conf[2048];
	struct th_daemon d;
	struct pb_flow f;
	int i, k, n, n_distinct = 0;

	(void)state;
	for (i = 0; i < 200; i++) {
		inner_flow(&f, i % 20, 5000);
		frames_add(&in, &f, 100, 0);
	}
	/* All in the config, the generator last: the underlay lines are applied
	 * before it starts, so no frame finds the tunnel down. */
	th_scratch("vxct", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/vm_in.pcap", dir);
	assert_int_equal(th_write_pcap(path, in.data, in.len, in.n), 0);
	snprintf(conf, sizeof(conf),
	         "port add ul dpdk net_pcap1,tx_pcap=%1$s/ul.pcap\n"
	         "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=100\n"
	         "ip addr add 192.168.1.1/24 dev ul\n"
	         "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul\n"
	         "port add vm dpdk net_pcap0,rx_pcap=%1$s/vm_in.pcap\n"
	         "flow del\n"
	         "flow add table=0,in_port=3,ip actions=ct(table=1)\n"
	         "flow add table=1,in_port=3,ct_state=+trk+new actions=ct(commit),output:vx\n"
	         "flow add table=1,in_port=3,ct_state=+trk+est actions=output:vx\n",
	         dir);
	assert_int_equal(th_start(&d, "vxct", conf, NULL, NULL), 0);
	assert_int_equal(th_wait_rx(&d, "vm", in.n, 20), 0);
	assert_true(wait_stat(&d, "vx", "encap_packets", in.n));
	assert_int_equal(th_port_stat(&d, "vx", "tunnel_down"), 0);
	assert_int_equal(th_ctl(&d, &o, "ct dump"), 0);
	assert_non_null(strstr(o.buf, "10.0.0.1"));
	assert_int_equal(th_stop(&d), 0);
	n = read_out(&d, "ul.pcap", out_a);
	assert_int_equal(n, in.n);
	for (i = 0; i < n; i++) {
		uint16_t sport = check_outer(&out_a[i], in.data[i], in.len[i], &w, src_mac);
		int fl = in.data[i][11] - 0x10; /* the flow, by its source MAC */

		if (flow_sport[fl] == 0)
			flow_sport[fl] = sport;
		assert_int_equal(flow_sport[fl], sport);
	}
	for (i = 0; i < 20; i++) {
		bool seen = false;

		for (k = 0; k < i; k++)
			seen |= flow_sport[k] == flow_sport[i];
		n_distinct += !seen;
	}
	assert_true(n_distinct >= 15); /* 20 flows, hashed into 16,384 ports */
	frames_free(&in);
}

/* An ARP frame (Ethernet broadcast for requests). */
static void
arp_frame(struct frames *fs, uint16_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa, int phase)
{
	struct pb_flow f;

	pb_flow_init(&f);
	f.l3 = PB_L3_ARP;
	f.arp_op = op;
	memcpy(f.src_mac, sha, 6);
	if (op == 1)
		memset(f.dst_mac, 0xff, 6);
	f.src_ip4 = spa;
	f.dst_ip4 = tpa;
	frames_add(fs, &f, 60, phase);
}

/* Polls "neigh show" until 'line' appears (5 s). */
static bool
wait_neigh(struct th_daemon *d, const char *line)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (th_ctl(d, &o, "neigh show") == 0 && strstr(o.buf, line) != NULL)
			return true;
		usleep(50000);
	}
	fprintf(stderr, "neigh show has no '%s':\n%s", line, o.buf);
	return false;
}

/*
 * On an addressed underlay port: ARP requests for our address are answered
 * and their senders learned, other ARP enters the flow tables; ICMP echo to
 * our address is answered (a bad checksum is counted, not answered); an
 * unresolved next hop gets an ARP request while its packets wait (bounded),
 * resolves from the reply and they leave; a permanent entry wins over ARP;
 * a gratuitous ARP moves a learned neighbour.
 */
static void
test_vxlan_port_arp_icmp_resolution(void **state)
{
	static struct frames ul_in, vm_in;
	uint8_t payload[32], ul_mac[6] = { 0 };
	struct feeder fd = { 0 };
	char dir[256], path[400];
	struct th_daemon d;
	struct pb_flow f;
	int i, n, n_arp_reply = 0, n_echo = 0, n_arp_req = 0, n_vx = 0, n_vx3 = 0;

	(void)state;
	for (i = 0; i < 32; i++)
		payload[i] = (uint8_t)i;
	arp_frame(&ul_in, 1, remote_mac, REMOTE_IP, LOCAL_IP, 0);
	/* .50 asks for .99: not ours, and .50 is no neighbour of ours. */
	arp_frame(&ul_in, 1, moved_mac, 0xc0a80132u, 0xc0a80163u, 0);
	pb_flow_init(&f);
	memcpy(f.src_mac, remote_mac, 6);
	f.src_ip4 = REMOTE_IP;
	f.dst_ip4 = LOCAL_IP;
	f.proto = PB_IPPROTO_ICMP;
	f.icmp_type = 8;
	f.icmp_id = 7;
	f.icmp_seq = 1;
	f.payload = payload;
	f.payload_len = sizeof(payload);
	frames_add(&ul_in, &f, 0, 0);
	f.csum = PB_CSUM_L4_BAD;
	frames_add(&ul_in, &f, 0, 0);
	arp_frame(&ul_in, 2, remote3_mac, REMOTE3_IP, LOCAL_IP, 1);
	arp_frame(&ul_in, 2, remote_mac, REMOTE_IP, LOCAL_IP, 2);
	arp_frame(&ul_in, 1, moved_mac, REMOTE3_IP, REMOTE3_IP, 3); /* .3 moved: gratuitous */
	for (i = 0; i < 14; i++) {
		inner_flow(&f, i, i < 10 ? 5000 : 3);
		frames_add(&vm_in, &f, 100, 0);
	}
	start(&d, "vxarp", dir, sizeof(dir),
	      "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=100\n"
	      "port add vx3 vxlan local_ip=192.168.1.1 remote_ip=192.168.1.3 key=3\n"
	      "flow del\n"
	      "flow add priority=10,in_port=4,udp,tp_dst=3 actions=output:vx3\n"
	      "flow add priority=5,in_port=4 actions=output:vx\n");
	feeder_start(&fd, dir, &ul_in, 4);
	assert_int_equal(th_ctl(&d, &o, "port add ul dpdk net_pcap0,rx_pcap=%s,tx_pcap=%s/ul.pcap",
	                        fd.fifo, dir),
	                 0);
	assert_int_equal(th_ctl(&d, &o, "ip addr add 192.168.1.1/24 dev ul"), 0);
	/* The PMD reads the FIFO a filler frame at a time (5 ms each), so its
	 * iterations are slow here: wait for counters, never assume. */
	feeder_go(&fd, 0);
	assert_true(wait_neigh(&d, "192.168.1.2 lladdr 02:00:00:00:00:22 dev ul REACHABLE"));
	snprintf(path, sizeof(path), "%s/vm_in.pcap", dir);
	assert_int_equal(th_write_pcap(path, vm_in.data, vm_in.len, vm_in.n), 0);
	assert_int_equal(th_ctl(&d, &o, "port add vm dpdk net_pcap1,rx_pcap=%s", path), 0);
	assert_int_equal(th_wait_rx(&d, "vm", 14, 20), 0);
	/* The frames to .3 wait (held up to 3 s) while sluice asks for .3; its
	 * reply resolves it and they leave. */
	assert_true(wait_stat(&d, "vx3", "neigh_queued", 4));
	assert_int_equal(th_port_stat(&d, "vx3", "encap_packets"), 0);
	feeder_go(&fd, 1);
	assert_true(wait_neigh(&d, "192.168.1.3 lladdr 02:00:00:00:00:33 dev ul REACHABLE"));
	assert_true(wait_stat(&d, "vx3", "encap_packets", 4));
	assert_int_equal(th_port_stat(&d, "vx3", "neigh_unresolved"), 0);
	assert_true(wait_stat(&d, "vx", "encap_packets", 10));
	/* A permanent entry for .2 outranks its ARP. */
	assert_int_equal(th_ctl(&d, &o, "neigh add 192.168.1.2 02:00:00:00:00:44 dev ul"), 0);
	feeder_go(&fd, 2);
	assert_true(wait_stat(&d, "ul", "arp_learned", 3));
	usleep(300000); /* the control thread drains learned entries every <= 100 ms */
	assert_true(wait_neigh(&d, "192.168.1.2 lladdr 02:00:00:00:00:44 dev ul PERMANENT"));
	/* A gratuitous ARP moves a learned neighbour (not a permanent one). */
	feeder_go(&fd, 3);
	assert_int_equal(feeder_end(&fd), 0);
	assert_true(wait_neigh(&d, "192.168.1.3 lladdr 02:00:00:00:00:55 dev ul REACHABLE"));
	assert_int_equal(th_port_stat(&d, "ul", "arp_learned"), 4);
	assert_int_equal(th_port_stat(&d, "ul", "arp_replied"), 1);
	assert_int_equal(th_port_stat(&d, "ul", "icmp_echo_replied"), 1);
	assert_int_equal(th_port_stat(&d, "ul", "local_malformed"), 1);
	assert_int_equal(th_ctl(&d, &o, "--json pmd stats"), 0);
	assert_true(th_json_num(o.buf, NULL, "table_miss") >= 1); /* ARP for .99, filler */
	assert_int_equal(th_stop(&d), 0);

	n = read_out(&d, "ul.pcap", out_a);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		const uint8_t *p = out_a[i].data;
		uint16_t et = rd16(p + 12);

		if (ul_mac[0] == 0 && ul_mac[1] == 0 && ul_mac[5] == 0)
			memcpy(ul_mac, p + 6, 6);
		assert_memory_equal(p + 6, ul_mac, 6);
		if (et == 0x0806 && rd16(p + 20) == 2) { /* our reply for .1 */
			assert_memory_equal(p, remote_mac, 6);
			assert_memory_equal(p + 22, ul_mac, 6);
			assert_int_equal(rd32(p + 28), LOCAL_IP);
			assert_memory_equal(p + 32, remote_mac, 6);
			assert_int_equal(rd32(p + 38), REMOTE_IP);
			n_arp_reply++;
		} else if (et == 0x0806) { /* our request for the unresolved .3 */
			assert_int_equal(rd16(p + 20), 1);
			assert_int_equal(p[0] & p[1] & p[2] & p[3] & p[4] & p[5], 0xff);
			assert_memory_equal(p + 22, ul_mac, 6);
			assert_int_equal(rd32(p + 28), LOCAL_IP);
			assert_int_equal(rd32(p + 38), REMOTE3_IP);
			n_arp_req++;
		} else if (et == 0x0800 && p[23] == 1) { /* echo reply */
			assert_memory_equal(p, remote_mac, 6);
			assert_int_equal(rd32(p + 26), LOCAL_IP);
			assert_int_equal(rd32(p + 30), REMOTE_IP);
			assert_int_equal(p[34], 0);
			assert_int_equal(rd16(p + 38), 7);
			assert_int_equal(rd16(p + 40), 1);
			assert_int_equal(out_a[i].len, 14 + 20 + 8 + sizeof(payload));
			assert_memory_equal(p + 42, payload, sizeof(payload));
			assert_int_equal(pb_verify_checksums(p, out_a[i].len), 0);
			n_echo++;
		} else if (rd32(p + 30) == REMOTE3_IP) { /* held, then sent once resolved */
			assert_int_equal(et, 0x0800);
			assert_memory_equal(p, remote3_mac, 6);
			n_vx3++;
		} else {
			assert_int_equal(et, 0x0800);
			assert_int_equal(rd32(p + 30), REMOTE_IP);
			assert_memory_equal(p, remote_mac, 6); /* the learned MAC */
			n_vx++;
		}
	}
	assert_int_equal(n_arp_reply, 1);
	assert_int_equal(n_echo, 1);
	assert_true(n_arp_req >= 1 && n_arp_req <= 4);
	assert_int_equal(n_vx, 10);
	assert_int_equal(n_vx3, 4);
	assert_int_equal(n, n_arp_reply + n_echo + n_arp_req + n_vx + n_vx3);
	frames_free(&ul_in);
	frames_free(&vm_in);
}

/* Runs a command that must fail with 'msg' in its error. */
static void
expect_error(struct th_daemon *d, const char *msg, const char *cmd)
{
	int st = th_ctl(d, &o, "%s", cmd);

	if (st == 0 || strstr(o.err, msg) == NULL)
		fprintf(stderr, "'%s': status %d, error '%s', want '%s'\n", cmd, st, o.err, msg);
	assert_int_not_equal(st, 0);
	assert_non_null(strstr(o.err, msg));
}

/* The underlay and tunnel state as the commands show it. */
static void
state_text(struct th_daemon *d, char *buf, size_t size)
{
	size_t off = 0;
	const char *cmds[] = { "ip addr show", "route show", "neigh show", "port list" };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		assert_int_equal(th_ctl(d, &o, "%s", cmds[i]), 0);
		off += (size_t)snprintf(buf + off, size - off, "%s", o.buf);
		assert_true(off < size);
	}
}

/* Bad tunnel and underlay commands: a clear error each, and nothing changes. */
static void
test_vxlan_port_bad_commands(void **state)
{
	static char before[65536], after[65536];
	char dir[256];
	struct th_daemon d;

	(void)state;
	start(&d, "vxbad", dir, sizeof(dir),
	      "port add ul dpdk net_null0,no-rx=1\n"
	      "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=100\n");
	assert_int_equal(th_ctl(&d, &o, "ip addr add 192.168.1.1/24 dev ul"), 0);
	assert_int_equal(th_ctl(&d, &o, "route add 10.1.0.0/16 via 192.168.1.254 dev ul"), 0);
	assert_int_equal(th_ctl(&d, &o, "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul"), 0);
	state_text(&d, before, sizeof(before));
	assert_non_null(strstr(before, "10.1.0.0/16 via 192.168.1.254 dev ul"));

	expect_error(&d, "needs local_ip", "port add v2 vxlan remote_ip=1.2.3.4");
	expect_error(&d, "needs remote_ip", "port add v2 vxlan local_ip=1.2.3.4");
	expect_error(&d, "bad value in vxlan option 'key=16777216'",
	             "port add v2 vxlan local_ip=1.2.3.4 remote_ip=5.6.7.8 key=16777216");
	expect_error(&d, "unknown vxlan option 'bogus'",
	             "port add v2 vxlan local_ip=1.2.3.4 remote_ip=5.6.7.8 bogus=1");
	expect_error(&d, "bad value in vxlan option 'src_port_range=60000-50000'",
	             "port add v2 vxlan local_ip=1.2.3.4 remote_ip=5.6.7.8 "
	             "src_port_range=60000-50000");
	expect_error(&d, "bad value in vxlan option 'df=maybe'",
	             "port add v2 vxlan local_ip=1.2.3.4 remote_ip=5.6.7.8 df=maybe");
	expect_error(&d, "bad value in vxlan option 'ttl=0'",
	             "port add v2 vxlan local_ip=1.2.3.4 remote_ip=5.6.7.8 ttl=0");
	expect_error(&d, "bad value in vxlan option 'remote_ip=300.1.1.1'",
	             "port add v2 vxlan local_ip=1.2.3.4 remote_ip=300.1.1.1");
	expect_error(&d, "port vx has the same local_ip, remote_ip and key",
	             "port add v2 vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=100");
	expect_error(&d, "bad address '300.1.1.1/24'", "ip addr add 300.1.1.1/24 dev ul");
	expect_error(&d, "bad address '192.168.2.0/24'", "ip addr add 192.168.2.0/24 dev ul");
	expect_error(&d, "no port 'nosuch'", "ip addr add 192.168.2.1/24 dev nosuch");
	expect_error(&d, "port vx is not an ethdev port", "ip addr add 192.168.2.1/24 dev vx");
	expect_error(&d, "address 192.168.1.1/24 is already on port ul",
	             "ip addr add 192.168.1.1/24 dev ul");
	expect_error(&d, "no address 192.168.7.1/24 on port ul",
	             "ip addr del 192.168.7.1/24 dev ul");
	expect_error(&d, "usage: ip addr", "ip addr add 192.168.2.1/24 ul");
	expect_error(&d, "gateway 172.16.0.1 is not on a connected subnet of port ul",
	             "route add 10.2.0.0/16 dev ul via 172.16.0.1");
	expect_error(&d, "bad prefix '10.2.0.1/16': host bits set", "route add 10.2.0.1/16 dev ul");
	expect_error(&d, "route 10.1.0.0/16 exists", "route add 10.1.0.0/16 dev ul");
	expect_error(&d, "no route 10.77.0.0/16", "route del 10.77.0.0/16");
	expect_error(&d, "bad MAC 'zz:zz'", "neigh add 192.168.1.5 zz:zz dev ul");
	expect_error(&d, "bad MAC '01:00:5e:00:00:01'",
	             "neigh add 192.168.1.5 01:00:5e:00:00:01 dev ul");
	expect_error(&d, "no neighbour 10.9.9.9", "neigh del 10.9.9.9");
	expect_error(&d, "usage: neigh", "neigh flush");
	state_text(&d, after, sizeof(after));
	assert_string_equal(before, after);

	/* And the good commands undo cleanly: the tunnel goes down with its address. */
	assert_int_equal(th_ctl(&d, &o, "route del 10.1.0.0/16"), 0);
	assert_int_equal(th_ctl(&d, &o, "neigh del 192.168.1.2"), 0);
	assert_int_equal(th_ctl(&d, &o, "ip addr del 192.168.1.1/24 dev ul"), 0);
	assert_int_equal(th_ctl(&d, &o, "route show"), 0);
	assert_string_equal(o.buf, "");
	assert_int_equal(th_ctl(&d, &o, "--json port list"), 0);
	assert_non_null(strstr(strstr(o.buf, "\"name\": \"vx\""), "\"link\": \"down\""));
	assert_int_equal(th_ctl(&d, &o, "port del vx"), 0);
	assert_int_equal(th_ctl(&d, &o, "port del ul"), 0);
	assert_int_equal(th_stop(&d), 0);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * The underlay in a config file: applied after the ports at start-up, saved
 * by "config save", replaced all or nothing by "config reload" (a bad line
 * names FILE:LINE and changes nothing).
 */
static void
test_vxlan_port_config_file(void **state)
{
	static const char conf[] =
			"port add ul dpdk net_null0,no-rx=1\n"
			"port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=5\n"
			"ip addr add 192.168.1.1/24 dev ul\n"
			"route add 10.9.0.0/16 via 192.168.1.254 dev ul\n"
			"neigh add 192.168.1.2 02:00:00:00:00:22 dev ul\n";
	static char before[65536], after[65536], saved[8192];
	char dir[256], path[400];
	struct th_daemon d;
	FILE *f;
	size_t n;

	(void)state;
	start(&d, "vxconf", dir, sizeof(dir), conf);
	state_text(&d, before, sizeof(before));
	assert_non_null(strstr(before, "192.168.1.1/24 dev ul\n"));
	assert_non_null(strstr(before, "10.9.0.0/16 via 192.168.1.254 dev ul\n"));
	assert_non_null(strstr(before, "192.168.1.2 lladdr 02:00:00:00:00:22 dev ul PERMANENT"));
	assert_int_equal(th_ctl(&d, &o, "--json port list"), 0);
	assert_non_null(strstr(strstr(o.buf, "\"name\": \"vx\""), "\"link\": \"up\""));

	snprintf(path, sizeof(path), "%s/saved.conf", dir);
	assert_int_equal(th_ctl(&d, &o, "config save %s", path), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(saved, 1, sizeof(saved) - 1, f);
	saved[n] = '\0';
	fclose(f);
	assert_non_null(strstr(saved, "ip addr add 192.168.1.1/24 dev ul\n"));
	assert_non_null(strstr(saved, "route add 10.9.0.0/16 via 192.168.1.254 dev ul\n"));
	assert_non_null(strstr(saved, "neigh add 192.168.1.2 02:00:00:00:00:22 dev ul\n"));
	assert_non_null(strstr(
			saved,
			"port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=5\n"));

	/* A bad line: the reload names it and nothing changes. */
	write_file(d.config, "port add ul dpdk net_null0,no-rx=1\n"
	                     "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=5\n"
	                     "ip addr add 192.168.7.1/24 dev ul\n"
	                     "neigh add 192.168.7.2 zz dev ul\n");
	assert_int_not_equal(th_ctl(&d, &o, "config reload"), 0);
	assert_non_null(strstr(o.err, "sluice.conf:4:"));
	assert_non_null(strstr(o.err, "bad MAC 'zz'"));
	write_file(d.config, "port add ul dpdk net_null0,no-rx=1\n"
	                     "ip addr del 192.168.1.1/24 dev ul\n");
	assert_int_not_equal(th_ctl(&d, &o, "config reload"), 0);
	assert_non_null(strstr(o.err, "sluice.conf:2: only 'ip addr add'"));
	state_text(&d, after, sizeof(after));
	assert_string_equal(before, after);

	/* A good one replaces the configured underlay; the tunnel goes down with its address. */
	write_file(d.config, "port add ul dpdk net_null0,no-rx=1\n"
	                     "port add vx vxlan local_ip=192.168.1.1 remote_ip=192.168.1.2 key=5\n"
	                     "ip addr add 192.168.7.1/24 dev ul\n");
	assert_int_equal(th_ctl(&d, &o, "config reload"), 0);
	assert_int_equal(th_ctl(&d, &o, "ip addr show"), 0);
	assert_string_equal(o.buf, "192.168.7.1/24 dev ul\n");
	assert_int_equal(th_ctl(&d, &o, "route show"), 0);
	assert_string_equal(o.buf, "192.168.7.0/24 dev ul proto connected\n");
	assert_int_equal(th_ctl(&d, &o, "neigh show"), 0);
	assert_string_equal(o.buf, "");
	assert_int_equal(th_ctl(&d, &o, "--json port list"), 0);
	assert_non_null(strstr(strstr(o.buf, "\"name\": \"vx\""), "\"link\": \"down\""));
	assert_int_equal(th_stop(&d), 0);
}

/* ------------------------------------------------------------------ */
/* Interop with a Linux kernel VXLAN endpoint (network namespaces). */

static int io_tag; /* suffix of this run's namespaces and links, 0 = none made */
static struct th_daemon io_d;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Deletes what the interop test made, whatever happened to it. */
static int
interop_teardown(void **state)
{
	(void)state;
	th_kill(&io_d);
	if (io_tag != 0) {
		sh("ip netns del vxr%d 2>/dev/null; ip netns del vxl%d 2>/dev/null; "
		   "ip link del vxu%d 2>/dev/null; ip link del vxh%d 2>/dev/null; true",
		   io_tag, io_tag, io_tag, io_tag);
		io_tag = 0;
	}
	return 0;
}

/*
 * th_start() for configs with net_af_packet ports.  DPDK 22.11's af_packet
 * names its PACKET_FANOUT group after pid ^ ifindex, so two processes on
 * fresh veths can collide (EINVAL at probe); a new process has a new pid.
 */
static int
start_af_packet(struct th_daemon *d, const char *name, const char *conf)
{
	int i;

	for (i = 0; i < 3; i++)
		if (th_start(d, name, conf, NULL, NULL) == 0)
			return 0;
	return -1;
}

static const char tcp_srv[] =
		"import socket, sys, hashlib\n"
		"s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
		"s.bind((sys.argv[1], 5001)); s.listen(1); s.settimeout(20)\n"
		"c, _ = s.accept(); c.settimeout(20); h = hashlib.sha256(); n = 0\n"
		"while True:\n"
		"    b = c.recv(65536)\n"
		"    if not b: break\n"
		"    h.update(b); n += len(b)\n"
		"c.sendall(('%d %s\\n' % (n, h.hexdigest())).encode()); c.close()\n";

static const char tcp_cli[] =
		"import socket, sys, hashlib, os, time\n"
		"data = os.urandom(int(sys.argv[2]))\n"
		"for i in range(50):\n"
		"    try:\n"
		"        c = socket.create_connection((sys.argv[1], 5001), timeout=20); break\n"
		"    except OSError:\n"
		"        time.sleep(0.1)\n"
		"c.sendall(data); c.shutdown(socket.SHUT_WR); r = c.makefile().readline().split()\n"
		"ok = int(r[0]) == len(data) and r[1] == hashlib.sha256(data).hexdigest()\n"
		"sys.exit(0 if ok else 1)\n";

/* 'bytes' over TCP from namespace 'from' to a server at 'ip' in namespace 'to'. */
static int
tcp_transfer(const char *dir, const char *from, const char *to, const char *ip, int bytes)
{
	if (sh("ip netns exec %s%d timeout 30 python3 %s/srv.py %s >/dev/null 2>&1 &", to, io_tag,
	       dir, ip) != 0)
		return -1;
	return sh("ip netns exec %s%d timeout 30 python3 %s/cli.py %s %d", from, io_tag, dir, ip,
	          bytes);
}

/*
 * A Linux kernel vxlan device (VNI 100, dstport 4789) in namespace vxr is
 * the remote VTEP, reached over a veth that sluice reads with net_af_packet;
 * a host in namespace vxl sits behind sluice on a second veth.  Ping and a
 * TCP transfer pass both ways; the kernel resolves our VTEP address by ARP
 * and pings it; sluice learns the kernel's VTEP MAC.
 */
static void
test_vxlan_port_kernel_interop(void **state)
{
	char dir[256], path[400], conf[2048];
	int t;

	(void)state;
	if (geteuid() != 0 || sh("ip netns add vxprobe%d 2>/dev/null", (int)getpid()) != 0)
		skip(); /* needs root and network namespaces */
	sh("ip netns del vxprobe%d", (int)getpid());
	io_tag = t = (int)(getpid() % 100000);
	assert_int_equal(sh("set -e; ip netns add vxr%1$d; ip netns add vxl%1$d; "
	                    "ip link add vxu%1$d type veth peer name vxp%1$d; "
	                    "ip link set vxp%1$d netns vxr%1$d; "
	                    "ip link add vxh%1$d type veth peer name vxi%1$d; "
	                    "ip link set vxi%1$d netns vxl%1$d; "
	                    "ip link set vxu%1$d up; ip link set vxh%1$d up; "
	                    "ethtool -K vxu%1$d tx off >/dev/null; ethtool -K vxh%1$d tx off "
	                    ">/dev/null",
	                    t),
	                 0);
	assert_int_equal(sh("ip netns exec vxr%1$d sh -ec 'ip link set lo up; ip link set vxp%1$d "
	                    "up; "
	                    "ip addr add 192.168.50.2/24 dev vxp%1$d; "
	                    "ethtool -K vxp%1$d tx off >/dev/null; "
	                    "ip link add vx0 type vxlan id 100 local 192.168.50.2 "
	                    "remote 192.168.50.1 dstport 4789 dev vxp%1$d; "
	                    "ip link set vx0 mtu 1450 up; ip addr add 10.50.0.2/24 dev vx0'",
	                    t),
	                 0);
	assert_int_equal(
			sh("ip netns exec vxl%1$d sh -ec 'ip link set lo up; "
	                   "ip link set vxi%1$d mtu 1450 up; ip addr add 10.50.0.1/24 dev vxi%1$d; "
	                   "ethtool -K vxi%1$d tx off >/dev/null'",
	                   t),
			0);
	th_scratch("vxinterop", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/srv.py", dir);
	write_file(path, tcp_srv);
	snprintf(path, sizeof(path), "%s/cli.py", dir);
	write_file(path, tcp_cli);
	snprintf(conf, sizeof(conf),
	         "port add ul dpdk net_af_packet0,iface=vxu%1$d\n"
	         "port add vm dpdk net_af_packet1,iface=vxh%1$d\n"
	         "port add vx vxlan local_ip=192.168.50.1 remote_ip=192.168.50.2 key=100\n"
	         "ip addr add 192.168.50.1/24 dev ul\n"
	         "flow del\n"
	         "flow add in_port=vm actions=output:vx\n"
	         "flow add in_port=vx actions=output:vm\n",
	         t);
	assert_int_equal(start_af_packet(&io_d, "vxinterop", conf), 0);

	/* The first ping may meet an unresolved next hop (dropped, counted). */
	sh("ip netns exec vxl%d ping -c 1 -W 1 10.50.0.2 >/dev/null", t);
	assert_int_equal(sh("ip netns exec vxl%d ping -q -c 5 -i 0.2 -w 5 10.50.0.2 >/dev/null", t),
	                 0);
	assert_int_equal(sh("ip netns exec vxr%d ping -q -c 5 -i 0.2 -w 5 10.50.0.1 >/dev/null", t),
	                 0);
	assert_int_equal(tcp_transfer(dir, "vxl", "vxr", "10.50.0.2", 2000000), 0);
	assert_int_equal(tcp_transfer(dir, "vxr", "vxl", "10.50.0.1", 2000000), 0);
	/* The kernel resolves our VTEP address by ARP and pings it. */
	assert_int_equal(sh("ip netns exec vxr%1$d ip neigh flush dev vxp%1$d", t), 0);
	assert_int_equal(sh("ip netns exec vxr%d ping -q -c 3 -i 0.2 -w 4 192.168.50.1 >/dev/null",
	                    t),
	                 0);
	assert_int_equal(sh("ip netns exec vxr%1$d ip neigh show 192.168.50.1 dev vxp%1$d | "
	                    "grep -q lladdr",
	                    t),
	                 0);
	assert_true(th_port_stat(&io_d, "ul", "arp_replied") >= 1);
	assert_true(th_port_stat(&io_d, "ul", "icmp_echo_replied") >= 3);
	assert_true(th_port_stat(&io_d, "ul", "decap_packets") > 1000);
	assert_true(th_port_stat(&io_d, "vx", "encap_packets") > 1000);
	assert_int_equal(th_port_stat(&io_d, "ul", "decap_bad_outer_csum"), 0);
	assert_int_equal(th_port_stat(&io_d, "vx", "encap_too_big"), 0);
	assert_int_equal(th_ctl(&io_d, &o, "neigh show"), 0);
	assert_non_null(strstr(o.buf, "192.168.50.2 lladdr"));
	assert_non_null(strstr(o.buf, "REACHABLE"));
	assert_int_equal(th_stop(&io_d), 0);
}

static int mh_tag; /* suffix of the three-host test's namespaces, 0 = none made */
static struct th_daemon mh_d[3];

static int
three_hosts_teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		th_kill(&mh_d[i]);
	if (mh_tag != 0) {
		sh("ip netns del vxm%1$d 2>/dev/null; for i in 1 2 3; do ip netns del vmh${i}%1$d "
		   "2>/dev/null; ip link del vmu${i}%1$d 2>/dev/null; ip link del vmv${i}%1$d "
		   "2>/dev/null; done; true",
		   mh_tag);
		mh_tag = 0;
	}
	return 0;
}

/*
 * Three sluiced "hosts", each with its own underlay port on a shared
 * bridge (in a namespace) and one local endpoint (a namespace behind a
 * veth), meshed with VXLAN: every endpoint pings every other.  The VTEPs
 * resolve each other by ARP, sluice to sluice.
 */
static void
test_vxlan_port_three_hosts(void **state)
{
	char conf[2048], name[32];
	int t, i, j;

	(void)state;
	if (geteuid() != 0 || sh("ip netns add vxprobe%d 2>/dev/null", (int)getpid()) != 0)
		skip(); /* needs root and network namespaces */
	sh("ip netns del vxprobe%d", (int)getpid());
	mh_tag = t = (int)(getpid() % 100000);
	assert_int_equal(
			sh("set -e; ip netns add vxm%1$d; "
	                   "ip -n vxm%1$d link add br0 type bridge; ip -n vxm%1$d link set br0 up; "
	                   "for i in 1 2 3; do "
	                   "ip link add vmu${i}%1$d type veth peer name vmb${i}%1$d; "
	                   "ip link set vmb${i}%1$d netns vxm%1$d; "
	                   "ip -n vxm%1$d link set vmb${i}%1$d master br0 up; "
	                   "ip link set vmu${i}%1$d up; ethtool -K vmu${i}%1$d tx off >/dev/null; "
	                   "ip netns add vmh${i}%1$d; "
	                   "ip link add vmv${i}%1$d type veth peer name vmg${i}%1$d; "
	                   "ip link set vmg${i}%1$d netns vmh${i}%1$d; "
	                   "ip link set vmv${i}%1$d up; ethtool -K vmv${i}%1$d tx off >/dev/null; "
	                   "ip netns exec vmh${i}%1$d sh -ec \"ip link set lo up; "
	                   "ip link set vmg${i}%1$d mtu 1450 up; "
	                   "ip addr add 10.60.0.$i/24 dev vmg${i}%1$d; "
	                   "ethtool -K vmg${i}%1$d tx off >/dev/null\"; done",
	                   t),
			0);
	for (i = 1; i <= 3; i++) {
		int a = i % 3 + 1, b = (i + 1) % 3 + 1;

		snprintf(conf, sizeof(conf),
		         "port add ul dpdk net_af_packet0,iface=vmu%1$d%2$d\n"
		         "port add vm dpdk net_af_packet1,iface=vmv%1$d%2$d\n"
		         "port add ta vxlan local_ip=192.168.60.%1$d remote_ip=192.168.60.%3$d "
		         "key=60\n"
		         "port add tb vxlan local_ip=192.168.60.%1$d remote_ip=192.168.60.%4$d "
		         "key=60\n"
		         "ip addr add 192.168.60.%1$d/24 dev ul\n"
		         "flow del\n"
		         "flow add in_port=vm actions=output:ta,output:tb\n"
		         "flow add in_port=ta actions=output:vm\n"
		         "flow add in_port=tb actions=output:vm\n",
		         i, t, a, b);
		snprintf(name, sizeof(name), "vx3h%d", i);
		assert_int_equal(start_af_packet(&mh_d[i - 1], name, conf), 0);
	}
	for (i = 1; i <= 3; i++) {
		for (j = 1; j <= 3; j++) {
			if (i == j)
				continue;
			/* The first packets may meet unresolved next hops. */
			sh("ip netns exec vmh%d%d ping -c 2 -i 0.3 -W 1 10.60.0.%d >/dev/null", i,
			   t, j);
			if (sh("ip netns exec vmh%d%d ping -q -c 3 -i 0.2 -w 4 10.60.0.%d "
			       ">/dev/null",
			       i, t, j) != 0)
				fail_msg("host %d cannot reach host %d", i, j);
		}
	}
	for (i = 0; i < 3; i++) {
		assert_true(th_port_stat(&mh_d[i], "ul", "decap_packets") >= 12);
		assert_int_equal(th_ctl(&mh_d[i], &o, "neigh show"), 0);
		assert_non_null(strstr(o.buf, "REACHABLE")); /* resolved by ARP, sluice to sluice */
		assert_int_equal(th_stop(&mh_d[i]), 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vxlan_port_encap_decodes),
		cmocka_unit_test(test_vxlan_port_flow_based_encap),
		cmocka_unit_test(test_vxlan_port_low_headroom),
		cmocka_unit_test(test_vxlan_port_encap_full_bursts),
		cmocka_unit_test(test_vxlan_port_delete_under_traffic),
		cmocka_unit_test(test_vxlan_port_ct_then_encap),
		cmocka_unit_test(test_vxlan_port_decap_inner_exact),
		cmocka_unit_test(test_vxlan_port_arp_icmp_resolution),
		cmocka_unit_test(test_vxlan_port_bad_commands),
		cmocka_unit_test(test_vxlan_port_config_file),
		cmocka_unit_test_teardown(test_vxlan_port_kernel_interop, interop_teardown),
		cmocka_unit_test_teardown(test_vxlan_port_three_hosts, three_hosts_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
