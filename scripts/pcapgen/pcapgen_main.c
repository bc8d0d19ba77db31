/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice-pcapgen: writes a pcap file of N packets with N distinct 5-tuples,
 * input for the demo, the EAL tests and the benchmarks.  Built on
 * pkt_build.h and pcap_file.h; single-threaded, no DPDK.
 *
 * Flow i varies the source address and port:
 *   i < 15000:  src 10.1.(i/250).(i%250+1), sport 1024+i%60000
 *   i >= 15000: src 10.(64+(i>>16)).((i>>8)&255).(i&255), same sport rule
 * With --ipv6 the same 32 bits form the low bits of fd00:0:0:1::/64.
 * --src-ip or --sport pin one of them; the other keeps varying.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_file.h"
#include "pkt_build.h"

/* Flows below this index use the readable 10.1.x.y scheme. */
#define PCAPGEN_SMALL_FLOWS 15000u
/* Source ports cycle over this many values from 1024. */
#define PCAPGEN_SPORTS 60000u
/* 10.(64 + (i >> 16)) must stay a byte. */
#define PCAPGEN_FLOWS_MAX (192u << 16)
#define PCAPGEN_MIN_FRAME 60u
/* First timestamp: 2023-11-14 22:13:20 UTC; packets are 1 us apart. */
#define PCAPGEN_TS_BASE (UINT64_C(1700000000) * 1000000u)

struct pcapgen_opts {
	const char *out;     /**< output path */
	uint32_t n_flows;    /**< distinct 5-tuples */
	uint64_t n_packets;  /**< packets written, cycling over the flows */
	uint32_t size;       /**< frame length, 0 = max(60, headers) */
	uint8_t proto;       /**< PB_IPPROTO_UDP, _TCP or _ICMP (ICMPv6 with ipv6) */
	int vlan;            /**< VLAN id, -1 = untagged */
	bool ipv6;           /**< IPv6 instead of IPv4 */
	bool fixed_src_ip;   /**< --src-ip given */
	bool fixed_sport;    /**< --sport given */
	struct pb_flow base; /**< addresses, ports and MACs of flow 0 */
};

static void
usage(FILE *to)
{
	fprintf(to,
	        "usage: sluice-pcapgen --out FILE [--flows N] [--packets N] [--size BYTES]\n"
	        "        [--proto udp|tcp|icmp] [--vlan VID] [--src-mac M] [--dst-mac M]\n"
	        "        [--src-ip A] [--dst-ip A] [--sport N] [--dport N] [--ipv6]\n"
	        "  --flows N      distinct 5-tuples (default 1)\n"
	        "  --packets N    packets, cycling over the flows (default: one per flow)\n"
	        "  --size BYTES   frame length in the pcap (default 60, or the header length)\n"
	        "  --src-ip A     fixed source address (default varies: 10.1.x.y, fd00:0:0:1::x)\n"
	        "  --sport N      fixed source port (default varies: 1024 + i %% 60000)\n"
	        "  defaults: 02:00:00:00:00:01 -> 02:00:00:00:00:02, dst 10.0.0.2 or fd00::2,\n"
	        "            dport 80, TCP with ACK, ICMP echo request (id = sport)\n");
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || *v > max)
		return -EINVAL;
	return 0;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

/* Parses an address of the family chosen by --ipv6 (given after all options are read). */
static int
parse_ip(const char *s, bool v6, uint32_t *ip4, uint8_t ip6[16])
{
	struct in_addr a4;

	if (v6)
		return inet_pton(AF_INET6, s, ip6) == 1 ? 0 : -EINVAL;
	if (inet_pton(AF_INET, s, &a4) != 1)
		return -EINVAL;
	*ip4 = ntohl(a4.s_addr);
	return 0;
}

enum {
	OPT_OUT = 256,
	OPT_FLOWS,
	OPT_PACKETS,
	OPT_SIZE,
	OPT_PROTO,
	OPT_VLAN,
	OPT_SRC_MAC,
	OPT_DST_MAC,
	OPT_SRC_IP,
	OPT_DST_IP,
	OPT_SPORT,
	OPT_DPORT,
	OPT_IPV6,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "out", required_argument, NULL, OPT_OUT },
	{ "flows", required_argument, NULL, OPT_FLOWS },
	{ "packets", required_argument, NULL, OPT_PACKETS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "vlan", required_argument, NULL, OPT_VLAN },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "src-ip", required_argument, NULL, OPT_SRC_IP },
	{ "dst-ip", required_argument, NULL, OPT_DST_IP },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "dport", required_argument, NULL, OPT_DPORT },
	{ "ipv6", no_argument, NULL, OPT_IPV6 },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Applies one option; addresses are kept as text until the family is known. */
static int
apply_opt(struct pcapgen_opts *o, int c, const char *arg, const char **src_ip, const char **dst_ip)
{
	uint64_t v;

	switch (c) {
	case OPT_OUT:
		o->out = arg;
		return 0;
	case OPT_FLOWS:
		if (parse_u64(arg, PCAPGEN_FLOWS_MAX, &v) < 0 || v == 0)
			return -EINVAL;
		o->n_flows = (uint32_t)v;
		return 0;
	case OPT_PACKETS:
		if (parse_u64(arg, UINT64_MAX, &v) < 0 || v == 0)
			return -EINVAL;
		o->n_packets = v;
		return 0;
	case OPT_SIZE:
		if (parse_u64(arg, PB_FRAME_MAX, &v) < 0 || v == 0)
			return -EINVAL;
		o->size = (uint32_t)v;
		return 0;
	case OPT_PROTO:
		if (strcmp(arg, "udp") == 0)
			o->proto = PB_IPPROTO_UDP;
		else if (strcmp(arg, "tcp") == 0)
			o->proto = PB_IPPROTO_TCP;
		else if (strcmp(arg, "icmp") == 0)
			o->proto = PB_IPPROTO_ICMP;
		else
			return -EINVAL;
		return 0;
	case OPT_VLAN:
		if (parse_u64(arg, 4095, &v) < 0)
			return -EINVAL;
		o->vlan = (int)v;
		return 0;
	case OPT_SRC_MAC:
		return parse_mac(arg, o->base.src_mac);
	case OPT_DST_MAC:
		return parse_mac(arg, o->base.dst_mac);
	case OPT_SRC_IP:
		*src_ip = arg;
		o->fixed_src_ip = true;
		return 0;
	case OPT_DST_IP:
		*dst_ip = arg;
		return 0;
	case OPT_SPORT:
	case OPT_DPORT:
		if (parse_u64(arg, 65535, &v) < 0)
			return -EINVAL;
		if (c == OPT_SPORT) {
			o->base.sport = (uint16_t)v;
			o->fixed_sport = true;
		} else {
			o->base.dport = (uint16_t)v;
		}
		return 0;
	case OPT_IPV6:
		o->ipv6 = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/* Reads the command line into 'o'.  @return 0, 1 for --help, or -EINVAL (message printed). */
static int
parse_args(int argc, char **argv, struct pcapgen_opts *o)
{
	const char *src_ip = NULL, *dst_ip = NULL;
	int c;

	memset(o, 0, sizeof(*o));
	pb_flow_init(&o->base);
	o->n_flows = 1;
	o->proto = PB_IPPROTO_UDP;
	o->vlan = -1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c == OPT_HELP)
			return 1;
		if (c == '?' || apply_opt(o, c, optarg, &src_ip, &dst_ip) < 0) {
			if (c != '?')
				fprintf(stderr, "sluice-pcapgen: bad value for --%s: %s\n",
				        long_opts[c - OPT_OUT].name, optarg);
			return -EINVAL;
		}
	}
	if (optind < argc || o->out == NULL) {
		fprintf(stderr, "sluice-pcapgen: %s\n",
		        o->out == NULL ? "--out is required" : "unexpected argument");
		return -EINVAL;
	}
	if ((src_ip != NULL && parse_ip(src_ip, o->ipv6, &o->base.src_ip4, o->base.src_ip6) < 0) ||
	    (dst_ip != NULL && parse_ip(dst_ip, o->ipv6, &o->base.dst_ip4, o->base.dst_ip6) < 0)) {
		fprintf(stderr, "sluice-pcapgen: bad %s address\n", o->ipv6 ? "IPv6" : "IPv4");
		return -EINVAL;
	}
	if (o->n_flows > 1 && ((o->fixed_src_ip && o->fixed_sport) ||
	                       (o->fixed_src_ip && o->n_flows > PCAPGEN_SPORTS))) {
		fprintf(stderr, "sluice-pcapgen: %u flows need a varying source %s\n", o->n_flows,
		        o->fixed_sport ? "address" : "address (more than 60000 flows)");
		return -EINVAL;
	}
	if (o->n_packets == 0)
		o->n_packets = o->n_flows;
	return 0;
}

/* The varying 32 bits of flow i (an IPv4 address, or the low bits of an IPv6 one). */
static uint32_t
flow_src_bits(uint32_t i)
{
	if (i < PCAPGEN_SMALL_FLOWS)
		return 10u << 24 | 1u << 16 | (i / 250) << 8 | (i % 250 + 1);
	return 10u << 24 | (64u + (i >> 16)) << 16 | ((i >> 8) & 255) << 8 | (i & 255);
}

/* Sets the template 'f' to flow 'i'. */
static void
set_flow(const struct pcapgen_opts *o, struct pb_flow *f, uint32_t i)
{
	uint32_t bits = flow_src_bits(i);
	uint16_t sport = (uint16_t)(1024 + i % PCAPGEN_SPORTS);

	if (!o->fixed_src_ip) {
		f->src_ip4 = bits;
		f->src_ip6[12] = (uint8_t)(bits >> 24);
		f->src_ip6[13] = (uint8_t)(bits >> 16);
		f->src_ip6[14] = (uint8_t)(bits >> 8);
		f->src_ip6[15] = (uint8_t)bits;
	}
	if (!o->fixed_sport) {
		f->sport = sport;
		f->icmp_id = sport;
	} else {
		f->icmp_id = o->base.sport;
	}
}

/* Builds the template flow from the options. */
static void
make_template(const struct pcapgen_opts *o, struct pb_flow *f)
{
	*f = o->base;
	if (o->ipv6) {
		f->l3 = PB_L3_IPV6;
		if (!o->fixed_src_ip) {
			static const uint8_t pfx[8] = { 0xfd, 0, 0, 0, 0, 0, 0, 1 };

			memset(f->src_ip6, 0, 16);
			memcpy(f->src_ip6, pfx, sizeof(pfx));
		}
	}
	f->proto = o->proto;
	if (o->proto == PB_IPPROTO_ICMP) {
		f->proto = o->ipv6 ? PB_IPPROTO_ICMPV6 : PB_IPPROTO_ICMP;
		f->icmp_type = o->ipv6 ? 128 : 8; /* echo request */
	}
	if (o->vlan >= 0) {
		f->n_vlans = 1;
		f->vlan_tpid[0] = PB_ETH_VLAN;
		f->vlan_tci[0] = (uint16_t)o->vlan;
	}
}

static const char *
proto_name(const struct pb_flow *f)
{
	switch (f->proto) {
	case PB_IPPROTO_TCP:
		return "tcp";
	case PB_IPPROTO_UDP:
		return "udp";
	default:
		return "icmp";
	}
}

int
main(int argc, char **argv)
{
	static uint8_t frame[PB_FRAME_MAX];
	struct pcapgen_opts o;
	struct pcapf_writer *w;
	struct pb_flow f;
	size_t len, natural;
	uint64_t n;
	int ret, cret;

	ret = parse_args(argc, argv, &o);
	if (ret > 0) {
		usage(stdout);
		return 0;
	}
	if (ret < 0) {
		fprintf(stderr, "try 'sluice-pcapgen --help'\n");
		return 2;
	}
	make_template(&o, &f);
	natural = pb_build(&f, frame, sizeof(frame), 0);
	if (natural == 0 || (o.size != 0 && o.size < natural)) {
		fprintf(stderr, "sluice-pcapgen: --size %u is below the %zu bytes of headers\n",
		        o.size, natural);
		return 2;
	}
	if (o.size == 0)
		o.size = natural > PCAPGEN_MIN_FRAME ? (uint32_t)natural : PCAPGEN_MIN_FRAME;
	w = pcapf_writer_open(o.out, 0);
	if (w == NULL) {
		fprintf(stderr, "sluice-pcapgen: %s: %s\n", o.out, strerror(errno));
		return 1;
	}
	for (n = 0; n < o.n_packets; n++) {
		set_flow(&o, &f, (uint32_t)(n % o.n_flows));
		f.icmp_seq = (uint16_t)n;
		len = pb_build(&f, frame, sizeof(frame), o.size);
		ret = pcapf_write(w, frame, (uint32_t)len, PCAPGEN_TS_BASE + n);
		if (ret < 0)
			break;
	}
	cret = pcapf_writer_close(w);
	if (ret >= 0)
		ret = cret;
	if (ret < 0) {
		fprintf(stderr, "sluice-pcapgen: writing %s failed: %s\n", o.out, strerror(-ret));
		return 1;
	}
	printf("sluice-pcapgen: wrote %" PRIu64
	       " packets, %u flows, %s/%s%s, %u bytes each, to %s\n",
	       o.n_packets, o.n_flows, proto_name(&f), o.ipv6 ? "ipv6" : "ipv4",
	       o.vlan >= 0 ? "/vlan" : "", o.size, o.out);
	return 0;
}
