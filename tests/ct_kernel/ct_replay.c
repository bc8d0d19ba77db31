/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ct_replay: replays the frames of a pcap file through lib/ct's public API
 * (ct_execute_burst() with commit, zone 0, by default with loose pickup on
 * and be_liberal off, as nf_conntrack's defaults) and prints, in the canonical text form that
 * tests/ct_kernel/ct_kernel.py also builds from the Linux kernel's
 * nf_conntrack, one line per packet and one line per connection left:
 *
 *   pkt <n> <ct_state flags>                # <reason>
 *   conn <proto> src=<a> dst=<b> sport=<p> dport=<q> state=<S> replied=<0|1>
 *        packets=<orig>/<reply> bytes=<orig>/<reply> timeout=<s>
 *
 * Flags are written in OVS order (+trk+new+est+rel+rpl+inv).  For ICMP,
 * sport is the identifier and dport the request's type.  Byte counts are IP
 * lengths (what nf_conntrack_acct counts).  The clock is the pcap timestamp
 * in milliseconds; timeouts are seconds left at the last frame's time.
 *
 * Usage: ct_replay [-b BURST] [-l] [-s] FILE.pcap
 * -l: be_liberal (nf_conntrack_tcp_be_liberal=1); -s: no mid-stream pickup
 * (nf_conntrack_tcp_loose=0).
 * BURST (1..CT_BURST_MAX, default 1) groups frames per ct_execute_burst()
 * call (clocked at its first frame); verdicts must not depend on it.  Test driver only: no EAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ct.h"
#include "fc.h"
#include "pcap_file.h"

#define MAX_FRAMES 4096

struct frame {
	uint8_t *data;
	uint32_t len;
	uint64_t now_ms;
	struct pm_key key;
	struct ct_pkt pkt;
};

static void *
rp_alloc(void *arg, size_t size, size_t align)
{
	void *p;

	(void)arg;
	p = aligned_alloc(align, (size + align - 1) / align * align);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

static void
rp_free(void *arg, void *ptr)
{
	(void)arg;
	free(ptr);
}

/* Formats PM_CS_* bits as OVS prints them. */
static void
flags_str(uint8_t cs, char *buf, size_t size)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} names[] = {
		{ PM_CS_TRACKED, "+trk" },     { PM_CS_NEW, "+new" },
		{ PM_CS_ESTABLISHED, "+est" }, { PM_CS_RELATED, "+rel" },
		{ PM_CS_REPLY_DIR, "+rpl" },   { PM_CS_INVALID, "+inv" },
	};
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(names); i++)
		if (cs & names[i].bit)
			off += (size_t)snprintf(buf + off, size - off, "%s", names[i].name);
	if (off == 0)
		snprintf(buf, size, "-");
}

/* Fills f->pkt from the frame; returns false when it is not an IP packet we can hand over. */
static bool
frame_prepare(struct frame *f)
{
	uint16_t l2, l3, l4;
	enum fc_parse_reason why;
	uint32_t ip_len;
	const uint8_t *ip;

	if (fc_parse_frame(f->data, f->len, &f->key, &l2, &l3, &l4, &why) != 0 || l3 == 0)
		return false;
	ip = f->data + l2;
	if (f->key.dl_type == htons(0x0800))
		ip_len = (uint32_t)ip[2] << 8 | ip[3];
	else
		ip_len = 40 + ((uint32_t)ip[4] << 8 | ip[5]);
	if (ip_len > f->len - l2)
		ip_len = f->len - l2;
	if (ip_len < l3)
		return false;
	f->pkt.key = &f->key;
	f->pkt.l4 = ip + l3;
	f->pkt.l4_len = ip_len - l3;
	f->pkt.pkt_len = ip_len;
	return true;
}

/* Protocol names as conntrack -L prints them. */
static const char *
proto_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	case 33:
		return "dccp";
	case 47:
		return "gre";
	case 132:
		return "sctp";
	case 136:
		return "udplite";
	default:
		return "unknown";
	}
}

static void
print_conn(struct ct_conn *c, uint64_t now)
{
	struct ct_conn_info ci;
	const struct ct_key *k = &ci.key[0];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	const char *state = "-";
	uint32_t sport, dport;
	int af;

	ct_conn_get_info(c, &ci);
	af = k->af == 4 ? AF_INET : AF_INET6;
	sport = ntohs(k->sport);
	dport = ntohs(k->dport);
	inet_ntop(af, k->src, src, sizeof(src));
	inet_ntop(af, k->dst, dst, sizeof(dst));
	if (k->proto == 6)
		state = ct_tcp_state_name(ci.proto_state);
	if (k->proto == 1 || k->proto == 58)
		dport >>= 8; /* request type */
	printf("conn %s src=%s dst=%s sport=%u dport=%u state=%s replied=%d packets=%" PRIu64
	       "/%" PRIu64 " bytes=%" PRIu64 "/%" PRIu64 " timeout=%" PRIu64 "\n",
	       proto_name(k->proto), src, dst, sport, dport, state, ci.n_packets[1] > 0,
	       ci.n_packets[0], ci.n_packets[1], ci.n_bytes[0], ci.n_bytes[1],
	       ci.expiry > now ? (ci.expiry - now) / 1000 : 0);
}

/* Prints every connection reachable from the frames' keys, once, in first-seen order. */
static void
print_conns(struct ct_tbl *tbl, const struct frame *fr, uint32_t n, uint64_t now)
{
	struct ct_conn **seen = calloc(n + 1, sizeof(*seen));
	uint32_t n_seen = 0, i, j;

	if (seen == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct ct_key key;
		const struct ct_key *kp = &key;
		struct ct_conn *c;
		uint8_t dir;
		bool err;

		if (fr[i].pkt.key == NULL || ct_key_extract(&fr[i].pkt, 0, &key, &err) != CT_R_OK)
			continue;
		if (ct_lookup_bulk(tbl, 1, &kp, &c, &dir) == 0)
			continue;
		for (j = 0; j < n_seen && seen[j] != c; j++)
			;
		if (j < n_seen)
			continue;
		seen[n_seen++] = c;
		print_conn(c, now);
	}
	free(seen);
}

static int
load(const char *path, struct frame *fr, uint32_t *n)
{
	struct pcapf_reader *r = pcapf_reader_open(path);
	const uint8_t *data;
	struct pcapf_rec rec;
	int rc;

	if (r == NULL) {
		fprintf(stderr, "ct_replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	*n = 0;
	while ((rc = pcapf_read(r, &data, &rec)) == 1 && *n < MAX_FRAMES) {
		struct frame *f = &fr[*n];

		f->data = malloc(rec.caplen ? rec.caplen : 1);
		if (f->data == NULL)
			break;
		memcpy(f->data, data, rec.caplen);
		f->len = rec.caplen;
		f->now_ms = rec.ts_usec / 1000;
		(*n)++;
	}
	pcapf_reader_close(r);
	if (rc < 0) {
		fprintf(stderr, "ct_replay: %s: corrupt pcap\n", path);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct ct_tbl_params p = {
		.max_conns = 1024,
		.alloc = rp_alloc,
		.free = rp_free,
		.tcp = { .loose = true, .be_liberal = false },
	};
	struct ct_exec_opts opts = { .zone = 0, .commit = true };
	static struct frame fr[MAX_FRAMES];
	struct ct_ctx ctx = { 0 };
	uint32_t n = 0, i, burst = 1;
	uint64_t now = 0;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "b:ls")) != -1) {
		switch (opt) {
		case 'b':
			burst = (uint32_t)strtoul(optarg, NULL, 10);
			if (burst < 1 || burst > CT_BURST_MAX)
				goto usage;
			break;
		case 'l':
			p.tcp.be_liberal = true;
			break;
		case 's':
			p.tcp.loose = false;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if (load(argv[optind], fr, &n) != 0)
		return 1;
	ctx.tbl = ct_tbl_create(&p);
	if (ctx.tbl == NULL) {
		fprintf(stderr, "ct_replay: ct_tbl_create failed\n");
		return 1;
	}
	for (i = 0; i < n;) {
		struct ct_pkt pkts[CT_BURST_MAX];
		struct ct_result res[CT_BURST_MAX];
		uint32_t idx[CT_BURST_MAX], m = 0, k;

		/* The clock is per burst: the time of its first frame. */
		now = fr[i].now_ms;
		for (; i < n && m < burst; i++) {
			if (!frame_prepare(&fr[i])) {
				printf("pkt %u -\n", i + 1);
				continue;
			}
			idx[m] = i;
			pkts[m++] = fr[i].pkt;
		}
		ct_execute_burst(&ctx, &opts, pkts, (uint16_t)m, now, res);
		for (k = 0; k < m; k++) {
			char fl[64];

			flags_str(res[k].ct_state, fl, sizeof(fl));
			printf("pkt %u %s # %s\n", idx[k] + 1, fl, ct_reason_name(res[k].reason));
		}
	}
	print_conns(ctx.tbl, fr, n, now);
	ct_tbl_destroy(ctx.tbl);
	for (i = 0; i < n; i++)
		free(fr[i].data);
	return rc;

usage:
	fprintf(stderr, "usage: ct_replay [-b BURST] [-l] [-s] FILE.pcap\n");
	return 2;
}
