/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the test tooling itself (scripts/pcapgen): pkt_build frames
 * and checksums against hand-computed RFC examples, pb_verify_checksums()
 * against corrupted frames, and the pcap writer/reader round trip, including
 * files cut short, byte-swapped and nanosecond files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcap_file.h"
#include "pkt_build.h"

#define CAP 2048

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071 checksum of 'len' bytes, written here again on purpose (no shared code). */
static uint16_t
csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
test_pcapgen_ipv4_header_known_answer(void **state)
{
	/* The classic example: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7. */
	static const uint8_t want[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
		                          0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
		                          0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	uint8_t buf[CAP];
	struct pb_flow f;
	size_t n;

	(void)state;
	pb_flow_init(&f);
	f.src_ip4 = 0xc0a80001;
	f.dst_ip4 = 0xc0a800c7;
	f.ip_frag = PB_IP_DF;
	f.ttl = 64;
	n = pb_build(&f, buf, sizeof(buf), 14 + 0x73);
	assert_int_equal(n, 14 + 0x73);
	assert_memory_equal(buf + 14, want, sizeof(want));
	assert_int_equal(pb_verify_checksums(buf, n), 0);
}

static void
test_pcapgen_udp_layout(void **state)
{
	static const uint8_t payload[5] = { 'h', 'e', 'l', 'l', 'o' };
	uint8_t buf[CAP];
	struct pb_flow f;
	size_t n;

	(void)state;
	pb_flow_init(&f);
	f.sport = 0x1234;
	f.dport = 0x5678;
	f.payload = payload;
	f.payload_len = sizeof(payload);
	n = pb_build(&f, buf, sizeof(buf), 0);
	assert_int_equal(n, 14 + 20 + 8 + 5);
	assert_memory_equal(buf, f.dst_mac, 6);
	assert_memory_equal(buf + 6, f.src_mac, 6);
	assert_int_equal(rd16(buf + 12), PB_ETH_IPV4);
	assert_int_equal(rd16(buf + 16), 20 + 8 + 5);
	assert_int_equal(rd16(buf + 34), 0x1234);
	assert_int_equal(rd16(buf + 36), 0x5678);
	assert_int_equal(rd16(buf + 38), 8 + 5);
	assert_memory_equal(buf + 42, payload, 5);
	/* UDP checksum over the pseudo-header, recomputed independently. */
	{
		uint8_t ph[12 + 13];

		memcpy(ph, buf + 26, 8);
		ph[8] = 0;
		ph[9] = PB_IPPROTO_UDP;
		ph[10] = 0;
		ph[11] = 13;
		memcpy(ph + 12, buf + 34, 13);
		ph[12 + 6] = ph[12 + 7] = 0;
		assert_int_equal(csum(ph, sizeof(ph)), rd16(buf + 40));
	}

	/* Padding goes into the payload (IP and UDP lengths grow), or after it. */
	n = pb_build(&f, buf, sizeof(buf), 60);
	assert_int_equal(n, 60);
	assert_int_equal(rd16(buf + 16), 60 - 14);
	assert_int_equal(rd16(buf + 38), 60 - 34);
	assert_int_equal(pb_verify_checksums(buf, n), 0);
	f.pad_trailer = true;
	n = pb_build(&f, buf, sizeof(buf), 60);
	assert_int_equal(n, 60);
	assert_int_equal(rd16(buf + 16), 20 + 8 + 5);
	assert_int_equal(pb_verify_checksums(buf, n), 0);
}

static void
test_pcapgen_checksums_valid(void **state)
{
	static const uint8_t ip_opts[8] = { 0x94, 4, 0, 0, 1, 1, 1, 0 };
	static const uint8_t tcp_opts[4] = { 2, 4, 5, 0xb4 };
	struct pb_flow f, inner;
	uint8_t buf[CAP];
	unsigned int v;
	size_t n;

	(void)state;
	pb_flow_init(&inner);
	inner.proto = PB_IPPROTO_TCP;
	for (v = 0; v < 16; v++) {
		pb_flow_init(&f);
		switch (v) {
		case 0:
			break;
		case 1:
			f.proto = PB_IPPROTO_TCP;
			f.tcp_opts = tcp_opts;
			f.tcp_opts_len = sizeof(tcp_opts);
			break;
		case 2:
			f.proto = PB_IPPROTO_ICMP;
			break;
		case 3:
			f.proto = PB_IPPROTO_ICMP;
			f.icmp_type = 3;
			f.inner = &inner;
			break;
		case 4:
			f.proto = PB_IPPROTO_SCTP;
			break;
		case 5:
			f.ip_opts = ip_opts;
			f.ip_opts_len = sizeof(ip_opts);
			break;
		case 6:
			f.l3 = PB_L3_IPV6;
			break;
		case 7:
			f.l3 = PB_L3_IPV6;
			f.proto = PB_IPPROTO_TCP;
			f.n_ext = 2;
			f.ext[0].type = PB_IPPROTO_HOPOPTS;
			f.ext[1].type = PB_IPPROTO_ROUTING;
			f.ext[1].len8 = 2;
			break;
		case 8:
			f.l3 = PB_L3_IPV6;
			f.proto = PB_IPPROTO_ICMPV6;
			f.icmp_type = 128;
			break;
		case 9:
			f.l3 = PB_L3_IPV6;
			f.proto = PB_IPPROTO_ICMPV6;
			f.icmp_type = 1;
			inner.l3 = PB_L3_IPV6;
			f.inner = &inner;
			break;
		case 10:
			f.n_vlans = 2;
			f.vlan_tpid[0] = PB_ETH_QINQ;
			f.vlan_tpid[1] = PB_ETH_VLAN;
			break;
		case 11:
			f.vxlan = true;
			f.dport = PB_VXLAN_PORT;
			inner.l3 = PB_L3_IPV4;
			f.inner = &inner;
			break;
		case 12:
			f.csum = PB_CSUM_UDP_NONE;
			break;
		case 13:
			f.ip_frag = PB_IP_MF;
			f.csum = PB_CSUM_L4_BAD; /* fragments' L4 is not checked */
			break;
		case 14:
			f.l3 = PB_L3_ARP;
			break;
		default:
			f.proto = 47; /* GRE: no checksum rule */
			break;
		}
		n = pb_build(&f, buf, sizeof(buf), 64);
		print_message("  variant %u: %zu bytes\n", v, n);
		assert_true(n >= 60);
		assert_int_equal(pb_verify_checksums(buf, n), 0);
	}
}

static void
test_pcapgen_bad_checksums(void **state)
{
	static const uint8_t protos[4] = { PB_IPPROTO_UDP, PB_IPPROTO_TCP, PB_IPPROTO_ICMP,
		                           PB_IPPROTO_SCTP };
	uint8_t buf[CAP];
	struct pb_flow f;
	unsigned int i;
	size_t n;

	(void)state;
	for (i = 0; i < 4; i++) {
		pb_flow_init(&f);
		f.proto = protos[i];
		f.csum = PB_CSUM_L4_BAD;
		n = pb_build(&f, buf, sizeof(buf), 80);
		assert_int_equal(pb_verify_checksums(buf, n), PB_CSUM_L4_BAD);
		f.csum = PB_CSUM_IP_BAD;
		n = pb_build(&f, buf, sizeof(buf), 80);
		assert_int_equal(pb_verify_checksums(buf, n), PB_CSUM_IP_BAD);
		f.csum = PB_CSUM_IP_BAD | PB_CSUM_L4_BAD;
		n = pb_build(&f, buf, sizeof(buf), 80);
		assert_int_equal(pb_verify_checksums(buf, n), PB_CSUM_IP_BAD | PB_CSUM_L4_BAD);
		/* A good frame changed in flight: payload byte, then TTL. */
		f.csum = 0;
		n = pb_build(&f, buf, sizeof(buf), 80);
		buf[70] ^= 0x40;
		assert_int_equal(pb_verify_checksums(buf, n), PB_CSUM_L4_BAD);
		buf[70] ^= 0x40;
		buf[22]--;
		assert_int_equal(pb_verify_checksums(buf, n), PB_CSUM_IP_BAD);
	}
	pb_flow_init(&f);
	f.l3 = PB_L3_IPV6;
	f.proto = PB_IPPROTO_ICMPV6;
	f.csum = PB_CSUM_L4_BAD;
	n = pb_build(&f, buf, sizeof(buf), 0);
	assert_int_equal(pb_verify_checksums(buf, n), PB_CSUM_L4_BAD);
	/* IPv6 UDP checksum 0 is not "none" (RFC 8200 8.1). */
	f.proto = PB_IPPROTO_UDP;
	f.csum = 0;
	n = pb_build(&f, buf, sizeof(buf), 0);
	buf[14 + 40 + 6] = buf[14 + 40 + 7] = 0;
	assert_int_equal(pb_verify_checksums(buf, n), PB_CSUM_L4_BAD);
	/* A computed UDP checksum of 0 goes on the wire as 0xffff (RFC 768). */
	pb_flow_init(&f);
	for (i = 0; i < 65536; i++) {
		f.sport = (uint16_t)i;
		n = pb_build(&f, buf, sizeof(buf), 0);
		if (rd16(buf + 40) == 0xffff)
			break;
	}
	assert_true(i < 65536);
	assert_int_equal(pb_verify_checksums(buf, n), 0);
	/* IPv4 UDP checksum 0 is "none": built on request, and valid. */
	pb_flow_init(&f);
	f.csum = PB_CSUM_UDP_NONE;
	n = pb_build(&f, buf, sizeof(buf), 0);
	assert_int_equal(rd16(buf + 40), 0);
	assert_int_equal(pb_verify_checksums(buf, n), 0);
}

static void
test_pcapgen_verify_truncated(void **state)
{
	uint8_t buf[CAP];
	struct pb_flow f;
	size_t n;

	(void)state;
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_TCP;
	n = pb_build(&f, buf, sizeof(buf), 0);
	assert_int_equal(pb_verify_checksums(buf, n), 0);
	assert_int_equal(pb_verify_checksums(buf, n - 1), -EINVAL);
	assert_int_equal(pb_verify_checksums(buf, 14 + 19), -EINVAL);
	assert_int_equal(pb_verify_checksums(buf, 10), -EINVAL);
	assert_int_equal(pb_verify_checksums(NULL, 60), -EINVAL);
	buf[14] = 0x44; /* IHL 4 */
	assert_int_equal(pb_verify_checksums(buf, n), -EINVAL);
}

static void
test_pcapgen_encapsulation(void **state)
{
	uint8_t buf[CAP], inner_buf[CAP], quote[CAP];
	struct pb_flow f, inner;
	size_t n, ni;

	(void)state;
	pb_flow_init(&inner);
	inner.proto = PB_IPPROTO_TCP;
	inner.src_mac[5] = 0x77;
	ni = pb_build(&inner, inner_buf, sizeof(inner_buf), 0);

	/* VXLAN: outer UDP to 4789, flags with the I bit, VNI, then the inner frame as built. */
	pb_flow_init(&f);
	f.vxlan = true;
	f.vni = 0x123456;
	f.dport = PB_VXLAN_PORT;
	f.inner = &inner;
	n = pb_build(&f, buf, sizeof(buf), 0);
	assert_int_equal(n, 14 + 20 + 8 + 8 + ni);
	assert_int_equal(rd16(buf + 36), PB_VXLAN_PORT);
	assert_int_equal(buf[42], 0x08);
	assert_int_equal(buf[46], 0x12);
	assert_int_equal(buf[47], 0x34);
	assert_int_equal(buf[48], 0x56);
	assert_int_equal(buf[49], 0);
	assert_memory_equal(buf + 50, inner_buf, ni);
	assert_int_equal(pb_verify_checksums(buf + 50, ni), 0);
	/* Padding a VXLAN frame pads the inner frame. */
	n = pb_build(&f, buf, sizeof(buf), 200);
	assert_int_equal(n, 200);
	assert_int_equal(rd16(buf + 50 + 16), 200 - 50 - 14);
	assert_int_equal(pb_verify_checksums(buf, n), 0);
	assert_int_equal(pb_verify_checksums(buf + 50, n - 50), 0);
	f.inner = NULL;
	assert_int_equal(pb_build(&f, buf, sizeof(buf), 0), 0);

	/* ICMP error: the inner IP header and 8 bytes of its TCP header. */
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_ICMP;
	f.icmp_type = 11;
	f.inner = &inner;
	n = pb_build(&f, buf, sizeof(buf), 0);
	assert_int_equal(n, 14 + 20 + 8 + 20 + 8);
	memcpy(quote, inner_buf + 14, 28);
	assert_memory_equal(buf + 42, quote, 28);
	assert_int_equal(pb_verify_checksums(buf, n), 0);
}

static void
test_pcapgen_build_rejects_invalid(void **state)
{
	static const uint8_t opts[6] = { 1, 1, 1, 1, 1, 0 };
	uint8_t buf[CAP];
	struct pb_flow f;

	(void)state;
	pb_flow_init(&f);
	assert_int_equal(pb_build(&f, buf, 41, 0), 0); /* 42 needed */
	assert_int_equal(pb_build(&f, buf, 42, 0), 42);
	assert_int_equal(pb_build(&f, buf, 59, 60), 0);
	f.ip_opts = opts;
	f.ip_opts_len = sizeof(opts); /* not a multiple of 4 */
	assert_int_equal(pb_build(&f, buf, sizeof(buf), 0), 0);
	pb_flow_init(&f);
	f.n_vlans = PB_VLAN_MAX + 1;
	assert_int_equal(pb_build(&f, buf, sizeof(buf), 0), 0);
	pb_flow_init(&f);
	f.proto = PB_IPPROTO_TCP;
	f.tcp_opts = opts;
	f.tcp_opts_len = 44;
	assert_int_equal(pb_build(&f, buf, sizeof(buf), 0), 0);
	assert_int_equal(pb_build(NULL, buf, sizeof(buf), 0), 0);
}

/* Writes 'n' bytes to a new file 'path'. */
static void
write_file(const char *path, const void *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void
tmp_path(char *path, size_t size, const char *name)
{
	snprintf(path, size, "/tmp/test_pcapgen_%d_%s.pcap", (int)getpid(), name);
}

static void
test_pcapgen_pcap_round_trip(void **state)
{
	static const uint32_t lens[4] = { 60, 1514, 0, 200 };
	uint8_t frames[4][1514];
	struct pcapf_writer *w;
	struct pcapf_reader *r;
	const uint8_t *got;
	struct pcapf_rec rec;
	char path[128];
	unsigned int i, j;

	(void)state;
	tmp_path(path, sizeof(path), "rt");
	for (i = 0; i < 4; i++)
		for (j = 0; j < 1514; j++)
			frames[i][j] = (uint8_t)(i * 31 + j);
	w = pcapf_writer_open(path, 100);
	assert_non_null(w);
	for (i = 0; i < 4; i++)
		assert_int_equal(pcapf_write(w, frames[i], lens[i], 1700000000123456ull + i), 0);
	assert_int_equal(pcapf_writer_close(w), 0);

	r = pcapf_reader_open(path);
	assert_non_null(r);
	assert_int_equal(pcapf_reader_snaplen(r), 100);
	for (i = 0; i < 4; i++) {
		uint32_t cap = lens[i] < 100 ? lens[i] : 100;

		assert_int_equal(pcapf_read(r, &got, &rec), 1);
		assert_int_equal(rec.caplen, cap);
		assert_int_equal(rec.origlen, lens[i]);
		assert_int_equal(rec.ts_usec, 1700000000123456ull + i);
		if (cap > 0)
			assert_memory_equal(got, frames[i], cap);
	}
	assert_int_equal(pcapf_read(r, &got, &rec), 0);
	assert_int_equal(pcapf_read(r, &got, &rec), 0);
	pcapf_reader_close(r);

	/* Cut inside the last record's data, then inside a record header. */
	{
		FILE *fp = fopen(path, "rb");
		uint8_t whole[4096];
		size_t size;

		assert_non_null(fp);
		size = fread(whole, 1, sizeof(whole), fp);
		fclose(fp);
		assert_int_equal(size, 24 + 4 * 16 + 60 + 100 + 0 + 100);
		write_file(path, whole, size - 1);
		r = pcapf_reader_open(path);
		assert_non_null(r);
		for (i = 0; i < 3; i++)
			assert_int_equal(pcapf_read(r, &got, &rec), 1);
		assert_int_equal(pcapf_read(r, &got, &rec), -EINVAL);
		assert_int_equal(pcapf_read(r, &got, &rec), 0);
		pcapf_reader_close(r);

		write_file(path, whole, 24 + 16 + 60 + 7);
		r = pcapf_reader_open(path);
		assert_non_null(r);
		assert_int_equal(pcapf_read(r, &got, &rec), 1);
		assert_int_equal(rec.caplen, 60);
		assert_int_equal(pcapf_read(r, &got, &rec), -EINVAL);
		pcapf_reader_close(r);

		write_file(path, whole, 24);
		r = pcapf_reader_open(path);
		assert_non_null(r);
		assert_int_equal(pcapf_read(r, &got, &rec), 0);
		pcapf_reader_close(r);

		errno = 0;
		write_file(path, whole, 20);
		assert_null(pcapf_reader_open(path));
		assert_int_equal(errno, EINVAL);
	}
	unlink(path);
}

static void
put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Hand-made file: header + one 4-byte record, in either byte order. */
static size_t
make_pcap(uint8_t *f, uint32_t magic, uint32_t linktype, bool be)
{
	void (*put)(uint8_t *, uint32_t) = be ? put32be : put32le;

	memset(f, 0, 64);
	put(f, magic);
	f[be ? 5 : 4] = 2; /* version 2.4 (16-bit fields) */
	f[be ? 7 : 6] = 4;
	put(f + 16, 65535);
	put(f + 20, linktype);
	put(f + 24, 1700000000);
	put(f + 28, 999999000);
	put(f + 32, 4);
	put(f + 36, 64);
	memcpy(f + 40, "\xde\xad\xbe\xef", 4);
	return 44;
}

static void
test_pcapgen_pcap_variants(void **state)
{
	struct pcapf_reader *r;
	struct pcapf_rec rec;
	const uint8_t *got;
	uint8_t file[64];
	char path[128];
	size_t n;

	(void)state;
	tmp_path(path, sizeof(path), "var");
	/* Big-endian nanosecond file. */
	n = make_pcap(file, 0xa1b23c4d, 1, true);
	write_file(path, file, n);
	r = pcapf_reader_open(path);
	assert_non_null(r);
	assert_int_equal(pcapf_read(r, &got, &rec), 1);
	assert_int_equal(rec.caplen, 4);
	assert_int_equal(rec.origlen, 64);
	assert_int_equal(rec.ts_usec, 1700000000ull * 1000000 + 999999);
	assert_memory_equal(got, "\xde\xad\xbe\xef", 4);
	assert_int_equal(pcapf_read(r, &got, &rec), 0);
	pcapf_reader_close(r);

	/* Little-endian microsecond file (the one we write). */
	n = make_pcap(file, 0xa1b2c3d4, 1, false);
	put32le(file + 28, 5);
	write_file(path, file, n);
	r = pcapf_reader_open(path);
	assert_non_null(r);
	assert_int_equal(pcapf_read(r, &got, &rec), 1);
	assert_int_equal(rec.ts_usec, 1700000000ull * 1000000 + 5);
	pcapf_reader_close(r);

	/* Not Ethernet. */
	n = make_pcap(file, 0xa1b2c3d4, 113, false);
	write_file(path, file, n);
	errno = 0;
	assert_null(pcapf_reader_open(path));
	assert_int_equal(errno, ENOTSUP);

	/* Not pcap at all. */
	n = make_pcap(file, 0x0a0d0d0a, 1, false); /* pcapng */
	write_file(path, file, n);
	errno = 0;
	assert_null(pcapf_reader_open(path));
	assert_int_equal(errno, EINVAL);

	/* Corrupt record length, with that much data behind it. */
	{
		size_t big_len = 44 + PCAPF_SNAPLEN_MAX + 1;
		uint8_t *big = calloc(1, big_len);

		assert_non_null(big);
		n = make_pcap(big, 0xa1b2c3d4, 1, false);
		put32le(big + 32, PCAPF_SNAPLEN_MAX + 1);
		write_file(path, big, big_len);
		free(big);
		r = pcapf_reader_open(path);
		assert_non_null(r);
		assert_int_equal(pcapf_read(r, &got, &rec), -EINVAL);
		assert_int_equal(pcapf_read(r, &got, &rec), 0);
		pcapf_reader_close(r);
	}
	unlink(path);

	errno = 0;
	assert_null(pcapf_reader_open("/nonexistent/dir/x.pcap"));
	assert_int_equal(errno, ENOENT);
	assert_null(pcapf_writer_open("/nonexistent/dir/x.pcap", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcapgen_ipv4_header_known_answer),
		cmocka_unit_test(test_pcapgen_udp_layout),
		cmocka_unit_test(test_pcapgen_checksums_valid),
		cmocka_unit_test(test_pcapgen_bad_checksums),
		cmocka_unit_test(test_pcapgen_verify_truncated),
		cmocka_unit_test(test_pcapgen_encapsulation),
		cmocka_unit_test(test_pcapgen_build_rejects_invalid),
		cmocka_unit_test(test_pcapgen_pcap_round_trip),
		cmocka_unit_test(test_pcapgen_pcap_variants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
