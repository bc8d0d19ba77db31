/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Seed corpus generator for the fuzz targets (run by meson tests and
 * scripts/fuzz.sh before fuzzing; nothing generated is committed).
 *
 *   fuzz_seeds DIR
 *
 * writes DIR/parse/ (valid frames of every layer from scripts/pcapgen
 * pkt_build.h, plus cut and tagged variants), DIR/flow_syntax/ (flows in
 * the syntax README.md documents), DIR/ctl_proto/ (encoded control requests,
 * prefixed with the chunk-size seed byte), DIR/config_line/ (config files)
 * DIR/mac/ (operation streams), DIR/vxlan_decap/ (bursts of VXLAN frames) and
 * DIR/pipeline/ (bursts through fuzz_pipeline.c's rule set), DIR/ct_tcp/
 * (TCP segment sequences) and DIR/port_args/ ("port add" arguments).  Files are named by
 * index, so a rerun overwrites the same seeds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#include "pkt_build.h"
#include "vs_ctl_proto.h"

static const char *out_dir;

static void
mkdir_or_die(const char *path)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
}

static void
write_seed(const char *target, unsigned int idx, const void *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", out_dir, target);
	mkdir_or_die(path);
	snprintf(path, sizeof(path), "%s/%s/seed-%04u", out_dir, target, idx);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* --- frames ------------------------------------------------------------ */

static unsigned int n_frames;

static void
emit_frame(const struct pb_flow *f)
{
	static uint8_t buf[PB_FRAME_MAX];
	size_t len = pb_build(f, buf, sizeof(buf), 0);

	if (len == 0) {
		fprintf(stderr, "fuzz_seeds: pb_build failed for seed %u\n", n_frames);
		exit(1);
	}
	write_seed("parse", n_frames++, buf, len);
	/* The same frame cut inside its last header: a truncation to start from. */
	if (len > 30)
		write_seed("parse", n_frames++, buf, len - 7);
}

static void
gen_frames(void)
{
	static const uint8_t ip_opts[4] = { 0x94, 0x04, 0, 0 };        /* router alert */
	static const uint8_t tcp_opts[4] = { 0x02, 0x04, 0x05, 0xb4 }; /* MSS */
	static const uint8_t payload[16] = "sluice fuzz seed";
	static const uint8_t protos[] = { PB_IPPROTO_UDP, PB_IPPROTO_TCP, PB_IPPROTO_SCTP,
		                          PB_IPPROTO_ICMP, 47 };
	static const uint8_t ext_types[] = { PB_IPPROTO_HOPOPTS, PB_IPPROTO_ROUTING,
		                             PB_IPPROTO_FRAGMENT, PB_IPPROTO_DSTOPTS };
	struct pb_flow f, inner;
	unsigned int i, v;

	for (v = 0; v <= PB_VLAN_MAX; v++) {
		for (i = 0; i < sizeof(protos); i++) {
			pb_flow_init(&f);
			f.n_vlans = (uint8_t)v;
			f.vlan_tpid[0] = v == 2 ? PB_ETH_QINQ : PB_ETH_VLAN;
			f.vlan_tpid[1] = PB_ETH_VLAN;
			f.vlan_tci[0] = 0x2064;
			f.vlan_tci[1] = 0x0005;
			f.proto = protos[i];
			f.payload = payload;
			f.payload_len = sizeof(payload);
			emit_frame(&f);
			/* IPv6 flavour (ICMPv6 instead of ICMP). */
			f.l3 = PB_L3_IPV6;
			if (f.proto == PB_IPPROTO_ICMP)
				f.proto = PB_IPPROTO_ICMPV6;
			emit_frame(&f);
		}
	}
	/* IPv4 options, TCP options, fragments. */
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_TCP;
	f.ip_opts = ip_opts;
	f.ip_opts_len = sizeof(ip_opts);
	f.tcp_opts = tcp_opts;
	f.tcp_opts_len = sizeof(tcp_opts);
	f.tcp_flags = PB_TCP_SYN;
	emit_frame(&f);
	f.ip_frag = PB_IP_MF;
	emit_frame(&f);
	f.ip_frag = 3;
	emit_frame(&f);
	/* IPv6 extension chains. */
	for (i = 0; i < sizeof(ext_types); i++) {
		pb_flow_init(&f);
		f.l3 = PB_L3_IPV6;
		f.proto = PB_IPPROTO_TCP;
		f.n_ext = 2;
		f.ext[0].type = ext_types[i];
		f.ext[1].type = PB_IPPROTO_DSTOPTS;
		f.ext[1].len8 = 1;
		f.ext[0].frag_off = i & 1 ? 5 : 0;
		f.ext[0].frag_more = true;
		emit_frame(&f);
	}
	/* ARP request and reply, a raw ethertype. */
	pb_flow_init(&f);
	f.l3 = PB_L3_ARP;
	emit_frame(&f);
	f.arp_op = 2;
	f.n_vlans = 1;
	f.vlan_tpid[0] = PB_ETH_VLAN;
	f.vlan_tci[0] = 10;
	emit_frame(&f);
	pb_flow_init(&f);
	f.l3 = PB_L3_RAW;
	f.ethertype = 0x88cc;
	f.payload = payload;
	f.payload_len = sizeof(payload);
	emit_frame(&f);
	/* ICMP error quoting a packet; VXLAN carrying a TCP frame. */
	pb_flow_init(&inner);
	inner.proto = PB_IPPROTO_TCP;
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_ICMP;
	f.icmp_type = 3;
	f.icmp_code = 4;
	f.inner = &inner;
	emit_frame(&f);
	pb_flow_init(&f);
	f.dport = PB_VXLAN_PORT;
	f.vxlan = true;
	f.vni = 42;
	f.inner = &inner;
	emit_frame(&f);
	/* Minimal Ethernet frames. */
	write_seed("parse", n_frames++, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00", 14);
	write_seed("parse", n_frames++, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x81\x00\x00\x0a", 16);
}

/* --- flows, config files --------------------------------------------- */

static const char *const flows[] = {
	"priority=0,actions=normal",
	"table=0,priority=100,in_port=vm1,ip,nw_dst=10.0.0.0/8 actions=dec_ttl,resubmit(,1)",
	"table=1,tcp,tp_dst=80 actions=mod_dl_dst:02:00:00:00:00:02,output:uplink",
	"table=1,priority=10,udp,tp_dst=5000 actions=output:2",
	"cookie=0x1234,idle_timeout=10,hard_timeout=60,arp,arp_op=1,arp_spa=10.0.0.1 "
	"actions=flood",
	"dl_src=02:00:00:00:00:01/ff:ff:ff:00:00:00,dl_dst=02:00:00:00:00:02,dl_type=0x0800 "
	"actions=all",
	"dl_vlan=100,dl_vlan_pcp=3 actions=strip_vlan,output:3",
	"vlan_tci=0x1064/0x1fff actions=mod_vlan_vid:200,mod_vlan_pcp:5,in_port",
	"ipv6,ipv6_src=fd00::1/64,ipv6_dst=fd00::2 actions=output:1",
	"tcp6,tp_src=1024/0xfc00,tcp_flags=+syn-ack actions=drop",
	"icmp,icmp_type=8,icmp_code=0,nw_tos=16,nw_ttl=64 actions=in_port",
	"icmp6,icmp_type=135 actions=normal",
	"ip,ip_frag=first,ip_dscp=46,nw_proto=17 actions=goto_table:5",
	"metadata=0x5/0xff,reg0=1,reg7=0xffffffff actions=set_field:10.0.0.9->nw_dst,output:1",
	"udp,nw_src=192.168.0.0/255.255.0.0 actions=mod_nw_src:1.2.3.4,mod_tp_src:99,"
	"mod_nw_tos:8,push_vlan:0x8100,set_field:0x64->vlan_tci,output:down",
	"arp,arp_sha=02:00:00:00:00:01,arp_tha=00:00:00:00:00:00,arp_tpa=10.0.0.2 actions=ct_clear,"
	"mod_dl_src:02:00:00:00:00:09,resubmit(vm1,2)",
	"ct_state=+trk+est,ct_zone=5,ct_mark=1/0xff,ip actions=ct(commit,zone=5,table=3)",
	"sctp,tp_dst=9 actions=output:p-4",
	"in_port=65279 actions=drop",
	"",
};

static void
gen_flows(void)
{
	static char file[65536];
	unsigned int i;
	size_t off = 0;

	for (i = 0; i < sizeof(flows) / sizeof(flows[0]); i++)
		write_seed("flow_syntax", i, flows[i], strlen(flows[i]));
	/* Config files: comments, quotes, add and del lines, other commands. */
	off += (size_t)snprintf(file + off, sizeof(file) - off,
	                        "# sluice config\nport add sink dpdk net_null0,no-rx=1\n"
	                        "flow del\nflow del --strict priority=0\n");
	for (i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		char one[1024];
		int n;

		n = snprintf(one, sizeof(one), "flow add %s%s\n", flows[i],
		             i % 3 == 0 ? "   # trailing comment" : "");
		write_seed("config_line", i, one, (size_t)n);
		off += (size_t)snprintf(file + off, sizeof(file) - off, "%s", one);
	}
	off += (size_t)snprintf(file + off, sizeof(file) - off,
	                        "flow add \"tcp,tp_dst=22 actions=drop\"\n"
	                        "\tflow  del  ip,nw_src=10.0.0.1\r\npmd sleep 100\n"
	                        "ct set tcp_loose=off tcp_be_liberal=on\n"
	                        "ct limit set default=5000 zone=9,limit=7\n"
	                        "ct timeout set zone=3 udp_first=7 tcp_established=600\n");
	write_seed("config_line", i, file, off);
}

/* --- control requests -------------------------------------------------- */

static void
gen_requests(void)
{
	static char *const r0[] = { "show" };
	static char *const r1[] = { "flow", "add", "tcp,tp_dst=80 actions=output:1" };
	static char *const r2[] = { "port", "add", "p0", "dpdk", "net_null0", "rxq=2" };
	static char *const r3[] = { "flow", "dump", "--names", "" };
	static char *const r4[] = { "megaflow", "set", "idle-ms=100", "--json" };
	static const struct {
		char *const *argv;
		int argc;
		uint32_t flags;
	} reqs[] = {
		{ r0, 1, 0 }, { r1, 3, 0 }, { r2, 6, VS_CTL_F_JSON }, { r3, 4, 0 }, { r4, 4, 0 },
	};
	uint8_t buf[1 + 4096];
	unsigned int i, idx = 0;

	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		ssize_t n = vs_ctl_req_encode(buf + 1, sizeof(buf) - 1, reqs[i].flags, reqs[i].argc,
		                              reqs[i].argv);

		if (n < 0) {
			fprintf(stderr, "fuzz_seeds: cannot encode request %u\n", i);
			exit(1);
		}
		buf[0] = (uint8_t)(i * 37); /* chunk-size seed */
		write_seed("ctl_proto", idx++, buf, (size_t)n + 1);
		/* Cut short, and followed by a second request. */
		write_seed("ctl_proto", idx++, buf, (size_t)n - 3);
		memcpy(buf + 1 + n, buf + 1, (size_t)n);
		write_seed("ctl_proto", idx++, buf, 2 * (size_t)n + 1);
	}
}

/* --- VXLAN bursts ------------------------------------------------------ */

static void
gen_vxlan(void)
{
	/* Tunnels of fuzz_vxlan_decap.c: (remote, VNI) -> 10.0.0.2, and anything -> 10.0.0.9. */
	static const struct {
		uint32_t src, dst, vni;
	} t[] = {
		{ 0x0a000001, 0x0a000002, 42 }, { 0x0a000005, 0x0a000002, 100 },
		{ 0x0a000003, 0x0a000002, 7 },  { 0x0a000007, 0x0a000009, 99 },
		{ 0x0a000001, 0x0a000002, 43 },
	};
	static uint8_t burst[2 + 5 * (2 + 256)];
	struct pb_flow f, inner;
	size_t off = 2, len;
	unsigned int i;

	pb_flow_init(&inner);
	inner.proto = PB_IPPROTO_TCP;
	burst[0] = 0x80 | (uint8_t)(N_ELEMS(t) - 1); /* check_ip_csum, 5 frames */
	burst[1] = 0;
	for (i = 0; i < N_ELEMS(t); i++) {
		pb_flow_init(&f);
		f.src_ip4 = t[i].src;
		f.dst_ip4 = t[i].dst;
		f.dport = PB_VXLAN_PORT;
		f.vxlan = true;
		f.vni = t[i].vni;
		f.inner = &inner;
		len = pb_build(&f, burst + off + 2, 256, 0);
		if (len == 0) {
			fprintf(stderr, "fuzz_seeds: cannot build VXLAN frame %u\n", i);
			exit(1);
		}
		burst[off] = (uint8_t)(len >> 8);
		burst[off + 1] = (uint8_t)len;
		off += 2 + len;
		/* Each frame alone, too. */
		{
			uint8_t one[2 + 2 + 256];

			one[0] = 0x80;
			one[1] = 0;
			memcpy(one + 2, burst + off - 2 - len, 2 + len);
			write_seed("vxlan_decap", i + 1, one, 4 + len);
		}
	}
	write_seed("vxlan_decap", 0, burst, off);
}

/* --- pipeline bursts --------------------------------------------------- */

/* A burst under construction in fuzz_pipeline.c's input format. */
struct pl_input {
	uint8_t buf[16384];
	size_t len;
	size_t hdr;     /* offset of the current burst's header byte */
	unsigned int n; /* frames in the current burst */
};

static void
pl_begin(struct pl_input *in, uint8_t flags, uint8_t arg)
{
	in->buf[0] = flags;
	in->buf[1] = arg;
	in->len = 2;
	in->n = 0;
}

/* Starts a burst on port 'port' (0..4 = p1..p5) after 'advance_ms'. */
static void
pl_burst(struct pl_input *in, unsigned int port, uint8_t advance_ms)
{
	in->hdr = in->len;
	in->buf[in->len++] = (uint8_t)(port == 4 ? 0x80 : port);
	in->buf[in->len++] = advance_ms;
	in->n = 0;
}

static void
pl_frame_raw(struct pl_input *in, const uint8_t *data, size_t len, uint8_t split)
{
	if (in->n == 32 || in->len + 3 + len > sizeof(in->buf)) {
		fprintf(stderr, "fuzz_seeds: pipeline seed too large\n");
		exit(1);
	}
	in->buf[in->len++] = (uint8_t)(len >> 8);
	in->buf[in->len++] = (uint8_t)len;
	if (in->buf[0] & 0x80)
		in->buf[in->len++] = split;
	memcpy(in->buf + in->len, data, len);
	in->len += len;
	in->buf[in->hdr] = (uint8_t)((in->buf[in->hdr] & 0x83) | (in->n << 2));
	in->n++;
}

static void
pl_frame(struct pl_input *in, const struct pb_flow *f, size_t frame_len, uint8_t split)
{
	static uint8_t buf[PB_FRAME_MAX];
	size_t len = pb_build(f, buf, sizeof(buf), frame_len);

	if (len == 0) {
		fprintf(stderr, "fuzz_seeds: cannot build a pipeline frame\n");
		exit(1);
	}
	pl_frame_raw(in, buf, len, split);
}

/*
 * Seeds for fuzz_pipeline.c: frames that reach each rule of its fixed rule
 * set (TCP to port 80, UDP to 10/8, ICMP, IPv6 UDP/TCP/ICMPv6, ARP, VLAN 5,
 * later fragments, SYN+FIN, UDP from port 7, 192.168/16 sources on p3, VLAN
 * traffic for normal), repeated so later bursts hit the caches, and the same
 * under each flag (stage timing, no EMC, mbuf pressure, megaflow limit,
 * upcall limit, multi-segment frames).
 */
static void
gen_pipeline(void)
{
	static struct pl_input in;
	static const uint8_t flag_sets[] = { 0x03, 0x07, 0x0b, 0x13, 0x23, 0x43, 0x83, 0xff };
	static const uint8_t payload[64] = "sluice pipeline fuzz seed";
	unsigned int s, port, idx = 0;
	struct pb_flow f;

	for (s = 0; s < N_ELEMS(flag_sets); s++) {
		pl_begin(&in, flag_sets[s], flag_sets[s] & 0x10 ? 8 : 3);
		for (port = 0; port < 4; port++) {
			unsigned int k;

			pl_burst(&in, port, (uint8_t)(port * 6));
			for (k = 0; k < 14; k++) {
				pb_flow_init(&f);
				f.src_mac[5] = (uint8_t)(port + 1);
				f.dst_mac[5] = (uint8_t)(k & 3);
				f.payload = payload;
				f.payload_len = sizeof(payload);
				switch (k) {
				case 0:
					f.proto = PB_IPPROTO_TCP;
					f.dport = 80;
					break;
				case 1:
					f.proto = PB_IPPROTO_UDP;
					break;
				case 2:
					f.proto = PB_IPPROTO_ICMP;
					f.ttl = 1;
					break;
				case 3:
					f.l3 = PB_L3_IPV6;
					f.proto = PB_IPPROTO_UDP;
					break;
				case 4:
					f.l3 = PB_L3_IPV6;
					f.proto = PB_IPPROTO_TCP;
					break;
				case 5:
					f.l3 = PB_L3_IPV6;
					f.proto = PB_IPPROTO_ICMPV6;
					break;
				case 6:
					f.l3 = PB_L3_ARP;
					break;
				case 7:
					f.n_vlans = 1;
					f.vlan_tpid[0] = PB_ETH_VLAN;
					f.vlan_tci[0] = 5;
					break;
				case 8:
					f.proto = PB_IPPROTO_UDP;
					f.ip_frag = 4;
					break;
				case 9:
					f.proto = PB_IPPROTO_TCP;
					f.tcp_flags = PB_TCP_SYN | PB_TCP_FIN;
					break;
				case 10:
					f.proto = PB_IPPROTO_UDP;
					f.sport = 7;
					f.dst_ip4 = 0xc0a80001;
					break;
				case 11:
					f.proto = PB_IPPROTO_UDP;
					f.src_ip4 = 0xc0a80105;
					f.n_vlans = 1;
					f.vlan_tpid[0] = PB_ETH_VLAN;
					f.vlan_tci[0] = 0x2000 | 10;
					break;
				case 12:
					f.dst_mac[0] = 0xff; /* broadcast for normal */
					f.proto = PB_IPPROTO_UDP;
					f.n_vlans = 2;
					f.vlan_tpid[0] = PB_ETH_QINQ;
					f.vlan_tpid[1] = PB_ETH_VLAN;
					f.vlan_tci[0] = 20;
					f.vlan_tci[1] = 30;
					break;
				default:
					f.proto = PB_IPPROTO_TCP;
					f.sport = 1000;
					break;
				}
				/* p3 takes one jumbo, split over segments. */
				pl_frame(&in, &f, port == 2 && k == 0 ? 3000 : 0,
				         (uint8_t)(k * 17));
			}
			/* Conntrack: UDP to 53 and a TCP SYN to 22 from p1, their replies from p2.
			 */
			if (port < 2) {
				bool rpl = port == 1;

				pb_flow_init(&f);
				f.proto = PB_IPPROTO_UDP;
				f.src_ip4 = rpl ? 0x0a000002 : 0x0a000001;
				f.dst_ip4 = rpl ? 0x0a000001 : 0x0a000002;
				f.sport = rpl ? 53 : 5353;
				f.dport = rpl ? 5353 : 53;
				pl_frame(&in, &f, 0, 0);
				f.proto = PB_IPPROTO_TCP;
				f.sport = rpl ? 22 : 40000;
				f.dport = rpl ? 40000 : 22;
				f.tcp_flags = rpl ? PB_TCP_SYN | PB_TCP_ACK : PB_TCP_SYN;
				f.tcp_seq = rpl ? 5000 : 1000;
				f.tcp_ack = rpl ? 1001 : 0;
				pl_frame(&in, &f, 0, 0);
			}
			/* A runt, and the first frame again (a cache hit). */
			pl_frame_raw(&in, payload, 9, 0);
			pb_flow_init(&f);
			f.proto = PB_IPPROTO_TCP;
			f.dport = 80;
			pl_frame(&in, &f, 0, 0);
		}
		write_seed("pipeline", idx++, in.buf, in.len);
	}
	/* One full burst of one flow (the whole-burst fast path), then a cached repeat. */
	pl_begin(&in, 0x01, 0);
	for (s = 0; s < 2; s++) {
		pl_burst(&in, 0, 1);
		for (port = 0; port < 32; port++) {
			pb_flow_init(&f);
			f.proto = PB_IPPROTO_UDP;
			f.sport = 4000;
			pl_frame(&in, &f, 0, 0);
		}
	}
	write_seed("pipeline", idx++, in.buf, in.len);
	/* Three bursts from the patch port p5 (the third takes the unparsed path), then p1. */
	pl_begin(&in, 0x03, 0);
	for (s = 0; s < 4; s++) {
		pl_burst(&in, s < 3 ? 4 : 0, 1);
		for (port = 0; port < 20; port++) {
			pb_flow_init(&f);
			f.proto = port % 2 ? PB_IPPROTO_TCP : PB_IPPROTO_UDP;
			f.sport = (uint16_t)(4000 + port);
			pl_frame(&in, &f, 0, 0);
		}
		if (s < 3)
			continue; /* a runt or a cut tag makes the whole burst parsed */
		pl_frame_raw(&in, payload, 9, 0);
		pl_frame_raw(&in, (const uint8_t *)"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x81\0\0", 15,
		             0);
	}
	write_seed("pipeline", idx++, in.buf, in.len);
}

/* --- conntrack TCP sequences ------------------------------------------ */

/*
 * Seeds for fuzz_ct_tcp.c: steps of (dir|kind, flags, dseq, dack, payload,
 * window, options) after the options byte and two initial sequence numbers.
 */
static void
gen_ct_tcp(void)
{
	enum { O = 0, R = 1 }; /* directions */
	static const uint8_t S = 0x02, A = 0x10, F = 0x01, RST = 0x04, P = 0x08;
	/* Handshake with options, data both ways, FIN/ACK close, TIME_WAIT, new SYN. */
	const uint8_t full[][7] = {
		{ O, S, 0, 0, 0, 0xff, 0x18 },     { R, S | A, 0, 0, 0, 0xff, 0x18 },
		{ O, A, 0, 0, 0, 0xff, 0 },        { O, P | A, 0, 0, 100, 0xff, 0 },
		{ R, A, 0, 0, 0, 0xff, 0x20 },     { R, P | A, 0, 0, 200, 0xff, 0 },
		{ O, A, 0, 0, 0, 0xff, 0 },        { O, F | A, 0, 0, 0, 0xff, 0 },
		{ R, A, 0, 0, 0, 0xff, 0 },        { R, F | A, 0, 0, 0, 0xff, 0 },
		{ O, A, 0, 0, 0, 0xff, 0 },        { O, S, 0x40, 0, 0, 0xff, 0x13 },
		{ R, S | A, 0, 0, 0, 0xff, 0x13 }, { O, A, 0, 0, 0, 0xff, 0 },
	};
	/* Mid-stream pickup (loose), out-of-window data, a RST. */
	const uint8_t mid[][7] = {
		{ O, A, 0, 0, 50, 0x80, 0 },    { R, A, 0, 0, 0, 0x80, 0 },
		{ O, A, 0x7f, 0, 50, 0x80, 0 }, { R, A, 0, 0x7f, 0, 0x80, 0 },
		{ R, RST, 0, 0, 0, 0, 0 },      { O, A, 0, 0, 1, 0x80, 0 },
	};
	/* Simultaneous open, SYN retransmission, bogus flags. */
	const uint8_t odd[][7] = {
		{ O, S, 0, 0, 0, 0xff, 0 },     { O, S, 0, 0, 0, 0xff, 0 },
		{ R, S, 0, 0, 0, 0xff, 0 },     { O, S | A, 0, 0, 0, 0xff, 0 },
		{ R, S | F, 0, 0, 0, 0xff, 0 }, { O, 0, 0, 0, 0, 0, 0 },
		{ R, 0xff, 0, 0, 0, 0, 0 },
	};
	static uint8_t buf[512];
	size_t off, i;

	off = 0;
	buf[off++] = 0;
	memcpy(buf + off, "\x10\x00\x00\x00\x80\x00\x00\x00", 8);
	off += 8;
	for (i = 0; i < N_ELEMS(full); i++, off += 7)
		memcpy(buf + off, full[i], 7);
	write_seed("ct_tcp", 0, buf, off);

	off = 0;
	buf[off++] = 1; /* loose */
	memcpy(buf + off, "\xff\xff\xff\x00\x00\x00\x00\x10", 8);
	off += 8;
	for (i = 0; i < N_ELEMS(mid); i++, off += 7)
		memcpy(buf + off, mid[i], 7);
	write_seed("ct_tcp", 1, buf, off);

	off = 0;
	buf[off++] = 4; /* wide offsets */
	memcpy(buf + off, "\x00\x00\x00\x01\x00\x00\x00\x02", 8);
	off += 8;
	for (i = 0; i < N_ELEMS(odd); i++, off += 7)
		memcpy(buf + off, odd[i], 7);
	/* A raw header: SYN with MSS, window scale, SACK-permitted, timestamp. */
	{
		static const uint8_t raw[40] = {
			0x04, 0x00, 0x00, 0x50, 0,    0,    0x10, 0,    0,    0,
			0,    0,    0xa0, 0x02, 0xff, 0xff, 0,    0,    0,    0,
			0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0,    0,
			0,    1,    0,    0,    0,    0,    0x01, 0x03, 0x03, 0x07,
		};
		const uint8_t step[7] = { O | 2, 0, 0, 0, sizeof(raw), 0, 0 };

		memcpy(buf + off, step, 7);
		off += 7;
		memcpy(buf + off, raw, sizeof(raw));
		off += sizeof(raw);
	}
	write_seed("ct_tcp", 2, buf, off);
}

/* --- port add arguments ------------------------------------------------ */

static void
gen_port_args(void)
{
	static const char *const lines[] = {
		("p1 dpdk net_pcap0,rx_pcap=/tmp/in.pcap,infinite_rx=1 rxq=2 txq=1 mtu=9000 "
		 "rxd=512 "
		 "txd=512 n_mbufs=4096 ofport=7"),
		"vm1 vhost-user /tmp/vhu0.sock rxq=2 mode=0660 group=kvm tag=10",
		"vm2 vhost-user-client /tmp/vhu1.sock trunks=1,10-20,4095",
		"p3 dpdk \"net_pcap1,tx_pcap=/tmp/a b/out.pcap\" rxq=1",
		"vm3 vhost-user \"/tmp/my vms/vm3.sock\" \"group=a b\"",
		"uplink dpdk 0000:01:00.0 rxq=4 ofport=65279",
		"bad.name dpdk net_null0 tag=1 trunks=2",
	};
	unsigned int i;

	for (i = 0; i < N_ELEMS(lines); i++)
		write_seed("port_args", i, lines[i], strlen(lines[i]));
}

/* --- MAC operation streams --------------------------------------------- */

static void
gen_mac(void)
{
	/* size, aging, then (op, mac, vlan, port): learn, lookup, tick, flush, dump... */
	static const uint8_t s0[] = { 0, 5, 0, 1, 0, 1, 3, 1, 0, 0, 0, 2, 1, 1, 5, 0, 0,
		                      0, 3, 1, 0, 0, 9, 0, 0, 0, 5, 7, 0, 0, 3, 1, 0, 0 };
	static const uint8_t s1[] = { 1, 3, 0, 1, 1, 2, 0, 1, 1, 3, 3, 1, 1, 0, 6, 1, 0,
		                      3, 3, 1, 1, 0, 7, 0, 4, 0, 8, 0, 9, 0, 3, 0, 0, 0 };
	static const uint8_t s2[] = { 4, 15, 0,  2, 0, 1, 0,  3, 1, 2, 0, 4, 2, 3, 0, 5, 3,
		                      4, 0,  14, 0, 1, 4, 14, 0, 0, 6, 0, 0, 0, 9, 0, 0, 0 };

	write_seed("mac", 0, s0, sizeof(s0));
	write_seed("mac", 1, s1, sizeof(s1));
	write_seed("mac", 2, s2, sizeof(s2));
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	out_dir = argv[1];
	mkdir_or_die(out_dir);
	gen_frames();
	gen_flows();
	gen_requests();
	gen_mac();
	gen_vxlan();
	gen_pipeline();
	gen_ct_tcp();
	gen_port_args();
	return 0;
}
