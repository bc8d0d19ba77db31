/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builder and checksum verifier, see pkt_build.h.  Written from the
 * protocol RFCs without DPDK so that it can judge DPDK-based code.  A frame
 * is laid out back to front where lengths and checksums depend on what
 * follows: the L4 body first, then the L4 header and its checksum (which
 * needs only the addresses from the flow), then the L3 header.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pkt_build.h"

#define ETH_HDR_LEN   14
#define VLAN_TAG_LEN  4
#define IPV4_HDR_LEN  20
#define IPV6_HDR_LEN  40
#define ARP_LEN       28
#define UDP_HDR_LEN   8
#define TCP_HDR_LEN   20
#define SCTP_HDR_LEN  12
#define ICMP_HDR_LEN  8
#define VXLAN_HDR_LEN 8
#define IP_OPTS_MAX   40
#define TCP_OPTS_MAX  40
/* Bytes of the quoted packet's L4 header an ICMP error carries (RFC 792). */
#define ICMP_QUOTE_L4 8

static void
put16__(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32__(uint8_t *p, uint32_t v)
{
	put16__(p, (uint16_t)(v >> 16));
	put16__(p + 2, (uint16_t)v);
}

static uint16_t
get16__(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Adds 'len' bytes as big-endian 16-bit words (RFC 1071); an odd last byte is padded with 0. */
static uint64_t
sum16__(const uint8_t *p, size_t len, uint64_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16__(p + i);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold__(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum: RFC 768/793 for IPv4, RFC 8200 section 8.1 for IPv6. */
static uint64_t
pseudo_sum__(bool v6, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t l4_len)
{
	size_t alen = v6 ? 16 : 4;
	uint64_t sum = 0;

	sum = sum16__(src, alen, sum);
	sum = sum16__(dst, alen, sum);
	return sum + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

/* CRC32c (Castagnoli), reflected, as SCTP uses it (RFC 9260 appendix A). */
static uint32_t
crc32c__(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

void
pb_flow_init(struct pb_flow *f)
{
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x02 };

	memset(f, 0, sizeof(*f));
	memcpy(f->src_mac, smac, 6);
	memcpy(f->dst_mac, dmac, 6);
	f->l3 = PB_L3_IPV4;
	f->src_ip4 = 0x0a000001;
	f->dst_ip4 = 0x0a000002;
	f->src_ip6[0] = 0xfd;
	f->src_ip6[15] = 0x01;
	f->dst_ip6[0] = 0xfd;
	f->dst_ip6[15] = 0x02;
	f->ttl = 64;
	f->proto = PB_IPPROTO_UDP;
	f->sport = 1024;
	f->dport = 80;
	f->tcp_flags = PB_TCP_ACK;
	f->tcp_seq = 1;
	f->tcp_win = 65535;
	f->icmp_type = 8;
	f->icmp_id = 1;
	f->icmp_seq = 1;
	f->arp_op = 1;
}

static bool
is_icmp__(const struct pb_flow *f)
{
	return (f->l3 == PB_L3_IPV4 && f->proto == PB_IPPROTO_ICMP) ||
	       (f->l3 == PB_L3_IPV6 && f->proto == PB_IPPROTO_ICMPV6);
}

/* Length of the L3 header, IPv6 extension headers included; 0 if 'f' is invalid. */
static size_t
l3_hdr_len__(const struct pb_flow *f)
{
	size_t len = IPV6_HDR_LEN;
	unsigned int i;

	switch (f->l3) {
	case PB_L3_IPV4:
		if (f->ip_opts_len > IP_OPTS_MAX || (f->ip_opts_len & 3) != 0)
			return 0;
		return IPV4_HDR_LEN + f->ip_opts_len;
	case PB_L3_IPV6:
		if (f->n_ext > PB_IPV6_EXT_MAX)
			return 0;
		for (i = 0; i < f->n_ext; i++)
			len += f->ext[i].type == PB_IPPROTO_FRAGMENT ? 8 :
			                                               (f->ext[i].len8 + 1u) * 8;
		return len;
	case PB_L3_ARP:
		return ARP_LEN;
	case PB_L3_RAW:
		return 0;
	}
	return 0;
}

/* Length of the L4 header (VXLAN header included); 'ok' false if 'f' is invalid. */
static size_t
l4_hdr_len__(const struct pb_flow *f, bool *ok)
{
	*ok = true;
	if (f->l3 != PB_L3_IPV4 && f->l3 != PB_L3_IPV6)
		return 0;
	if (f->vxlan && (f->proto != PB_IPPROTO_UDP || f->inner == NULL))
		*ok = false;
	switch (f->proto) {
	case PB_IPPROTO_UDP:
		return UDP_HDR_LEN + (f->vxlan ? VXLAN_HDR_LEN : 0);
	case PB_IPPROTO_TCP:
		if (f->tcp_opts_len > TCP_OPTS_MAX || (f->tcp_opts_len & 3) != 0)
			*ok = false;
		return TCP_HDR_LEN + f->tcp_opts_len;
	case PB_IPPROTO_SCTP:
		return SCTP_HDR_LEN;
	default:
		return is_icmp__(f) ? ICMP_HDR_LEN : 0;
	}
}

static size_t build__(const struct pb_flow *f, uint8_t *buf, size_t cap, size_t frame_len,
                      unsigned int depth);
static size_t build_l3__(const struct pb_flow *f, uint8_t *p, size_t cap, size_t pad_to,
                         unsigned int depth);

/*
 * Writes the L4 body at 'p' (VXLAN inner frame, ICMP quote, payload, padding
 * up to 'body_min' bytes).  @return its length, or SIZE_MAX on error.
 */
static size_t
build_body__(const struct pb_flow *f, uint8_t *p, size_t cap, size_t body_min, unsigned int depth)
{
	uint8_t quote[PB_FRAME_MAX];
	size_t len = 0, n;

	if (f->vxlan) {
		n = build__(f->inner, p, cap, body_min, depth + 1);
		if (n == 0)
			return SIZE_MAX;
		len = n;
	} else if (f->inner != NULL && is_icmp__(f)) {
		/* The quote is the IP header plus the first 8 bytes of its payload. */
		size_t qlen = l3_hdr_len__(f->inner) + ICMP_QUOTE_L4;

		n = build_l3__(f->inner, quote, sizeof(quote), 0, depth + 1);
		if (n == 0)
			return SIZE_MAX;
		n = n < qlen ? n : qlen;
		if (n > cap)
			return SIZE_MAX;
		memcpy(p, quote, n);
		len = n;
	}
	if (f->payload_len > cap - len)
		return SIZE_MAX;
	if (f->payload_len > 0)
		memcpy(p + len, f->payload, f->payload_len);
	len += f->payload_len;
	if (!f->vxlan && body_min > len) {
		if (body_min > cap)
			return SIZE_MAX;
		memset(p + len, 0, body_min - len);
		len = body_min;
	}
	return len;
}

/* Returns 'v' changed so that it is wrong, and never 0 (UDP's "no checksum"). */
static uint16_t
spoil__(uint16_t v)
{
	v ^= 0x5a5a;
	return v == 0 ? 0x1234 : v;
}

/* Writes the IP flow's L4 header at 'p'; the 'l4_len' bytes of L4 data follow it in place. */
static void
write_l4__(const struct pb_flow *f, uint8_t *p, size_t l4_len)
{
	bool v6 = f->l3 == PB_L3_IPV6;
	uint8_t s4[4], d4[4];
	const uint8_t *src = f->src_ip6, *dst = f->dst_ip6;
	uint16_t csum_off, csum;
	uint64_t sum = 0;

	if (!v6) {
		put32__(s4, f->src_ip4);
		put32__(d4, f->dst_ip4);
		src = s4;
		dst = d4;
	}
	switch (f->proto) {
	case PB_IPPROTO_UDP:
		put16__(p, f->sport);
		put16__(p + 2, f->dport);
		put16__(p + 4, (uint16_t)l4_len);
		put16__(p + 6, 0);
		if (f->vxlan) {
			/* RFC 7348: flags with the I bit, 24 reserved bits, VNI, 8 reserved bits.
			 */
			put32__(p + 8, 0x08000000u);
			put32__(p + 12, (f->vni & 0xffffffu) << 8);
		}
		csum_off = 6;
		break;
	case PB_IPPROTO_TCP:
		put16__(p, f->sport);
		put16__(p + 2, f->dport);
		put32__(p + 4, f->tcp_seq);
		put32__(p + 8, f->tcp_ack);
		p[12] = (uint8_t)(((TCP_HDR_LEN + f->tcp_opts_len) / 4) << 4 |
		                  ((f->tcp_flags >> 8) & 0x0f));
		p[13] = (uint8_t)f->tcp_flags;
		put16__(p + 14, f->tcp_win);
		put16__(p + 16, 0);
		put16__(p + 18, f->tcp_urg);
		if (f->tcp_opts_len > 0)
			memcpy(p + TCP_HDR_LEN, f->tcp_opts, f->tcp_opts_len);
		csum_off = 16;
		break;
	case PB_IPPROTO_SCTP: {
		uint32_t crc;

		put16__(p, f->sport);
		put16__(p + 2, f->dport);
		put32__(p + 4, 0);
		put32__(p + 8, 0);
		crc = crc32c__(p, l4_len);
		if (f->csum & PB_CSUM_L4_BAD)
			crc ^= 0x5a5a5a5au;
		/* The CRC32c goes on the wire least significant byte first. */
		p[8] = (uint8_t)crc;
		p[9] = (uint8_t)(crc >> 8);
		p[10] = (uint8_t)(crc >> 16);
		p[11] = (uint8_t)(crc >> 24);
		return;
	}
	default:
		if (!is_icmp__(f))
			return;
		p[0] = f->icmp_type;
		p[1] = f->icmp_code;
		put16__(p + 2, 0);
		put16__(p + 4, f->icmp_id);
		put16__(p + 6, f->icmp_seq);
		csum_off = 2;
		break;
	}
	/* ICMPv4 has no pseudo-header (RFC 792); the others do. */
	if (f->proto != PB_IPPROTO_ICMP)
		sum = pseudo_sum__(v6, src, dst, f->proto, (uint32_t)l4_len);
	csum = fold__(sum16__(p, l4_len, sum));
	if (f->proto == PB_IPPROTO_UDP && csum == 0)
		csum = 0xffff; /* RFC 768: a computed 0 is sent as all ones */
	if (f->proto == PB_IPPROTO_UDP && !v6 && (f->csum & PB_CSUM_UDP_NONE))
		csum = 0;
	else if (f->csum & PB_CSUM_L4_BAD)
		csum = spoil__(csum);
	put16__(p + csum_off, csum);
}

static void
write_ipv4__(const struct pb_flow *f, uint8_t *p, size_t hdr_len, size_t tot_len)
{
	uint16_t csum;

	p[0] = (uint8_t)(0x40 | hdr_len / 4);
	p[1] = f->tos;
	put16__(p + 2, (uint16_t)tot_len);
	put16__(p + 4, f->ip_id);
	put16__(p + 6, f->ip_frag);
	p[8] = f->ttl;
	p[9] = f->proto;
	put16__(p + 10, 0);
	put32__(p + 12, f->src_ip4);
	put32__(p + 16, f->dst_ip4);
	if (f->ip_opts_len > 0)
		memcpy(p + IPV4_HDR_LEN, f->ip_opts, f->ip_opts_len);
	csum = fold__(sum16__(p, hdr_len, 0));
	if (f->csum & PB_CSUM_IP_BAD)
		csum = spoil__(csum);
	put16__(p + 10, csum);
}

/* Writes the IPv6 header and extension headers for a packet of 'tot_len' bytes. */
static void
write_ipv6__(const struct pb_flow *f, uint8_t *p, size_t tot_len)
{
	unsigned int i;
	size_t off = IPV6_HDR_LEN;

	put32__(p, 6u << 28 | (uint32_t)f->tos << 20 | (f->flow_label & 0xfffff));
	put16__(p + 4, (uint16_t)(tot_len - IPV6_HDR_LEN));
	p[6] = f->n_ext > 0 ? f->ext[0].type : f->proto;
	p[7] = f->ttl;
	memcpy(p + 8, f->src_ip6, 16);
	memcpy(p + 24, f->dst_ip6, 16);
	for (i = 0; i < f->n_ext; i++) {
		const struct pb_ipv6_ext *e = &f->ext[i];
		uint8_t *h = p + off;
		size_t len = e->type == PB_IPPROTO_FRAGMENT ? 8 : (e->len8 + 1u) * 8;

		memset(h, 0, len);
		h[0] = i + 1u < f->n_ext ? f->ext[i + 1].type : f->proto;
		if (e->type == PB_IPPROTO_FRAGMENT) {
			put16__(h + 2,
			        (uint16_t)((e->frag_off & 0x1fff) << 3 | (e->frag_more ? 1 : 0)));
			put32__(h + 4, e->frag_id);
		} else {
			h[1] = e->len8;
			/* Options headers: one PadN option fills the body (RFC 8200 4.2). */
			if (e->type == PB_IPPROTO_HOPOPTS || e->type == PB_IPPROTO_DSTOPTS) {
				h[2] = 1;
				h[3] = (uint8_t)(len - 4);
			}
			/* Routing: type 253 (experimental, RFC 4727), Segments Left 0: skipped. */
			if (e->type == PB_IPPROTO_ROUTING)
				h[2] = 253;
		}
		off += len;
	}
}

static void
write_arp__(const struct pb_flow *f, uint8_t *p)
{
	put16__(p, 1);
	put16__(p + 2, PB_ETH_IPV4);
	p[4] = 6;
	p[5] = 4;
	put16__(p + 6, f->arp_op);
	memcpy(p + 8, f->src_mac, 6);
	put32__(p + 14, f->src_ip4);
	memcpy(p + 18, f->arp_tha, 6);
	put32__(p + 24, f->dst_ip4);
}

/*
 * Writes the L3 packet of 'f' at 'p', its L4 payload padded so that the
 * packet is at least 'pad_to' bytes.  @return its length, 0 on error.
 */
static size_t
build_l3__(const struct pb_flow *f, uint8_t *p, size_t cap, size_t pad_to, unsigned int depth)
{
	size_t l3h = l3_hdr_len__(f), l4h, body;
	bool ok;

	if (depth > PB_DEPTH_MAX)
		return 0;
	l4h = l4_hdr_len__(f, &ok);
	if (!ok || (l3h == 0 && f->l3 != PB_L3_RAW) || l3h + l4h > cap)
		return 0;
	if (f->l3 == PB_L3_ARP) {
		write_arp__(f, p);
		return ARP_LEN;
	}
	if (f->l3 == PB_L3_RAW) {
		if (f->payload_len == 0 || f->payload_len > cap)
			return 0;
		memcpy(p, f->payload, f->payload_len);
		return f->payload_len;
	}
	body = build_body__(f, p + l3h + l4h, cap - l3h - l4h,
	                    pad_to > l3h + l4h ? pad_to - l3h - l4h : 0, depth);
	if (body == SIZE_MAX || l4h + body > 0xffff)
		return 0;
	write_l4__(f, p + l3h, l4h + body);
	if (f->l3 == PB_L3_IPV4)
		write_ipv4__(f, p, l3h, l3h + l4h + body);
	else if (f->l3 == PB_L3_IPV6)
		write_ipv6__(f, p, l3h + l4h + body);
	return l3h + l4h + body;
}

static size_t
build__(const struct pb_flow *f, uint8_t *buf, size_t cap, size_t frame_len, unsigned int depth)
{
	size_t l2 = ETH_HDR_LEN + (size_t)f->n_vlans * VLAN_TAG_LEN, l3, len;
	uint8_t *p = buf + 12;
	unsigned int i;

	if (f->n_vlans > PB_VLAN_MAX || cap < l2 || depth > PB_DEPTH_MAX)
		return 0;
	if (cap > PB_FRAME_MAX)
		cap = PB_FRAME_MAX;
	memcpy(buf, f->dst_mac, 6);
	memcpy(buf + 6, f->src_mac, 6);
	for (i = 0; i < f->n_vlans; i++, p += VLAN_TAG_LEN) {
		put16__(p, f->vlan_tpid[i]);
		put16__(p + 2, f->vlan_tci[i]);
	}
	switch (f->l3) {
	case PB_L3_IPV4:
		put16__(p, PB_ETH_IPV4);
		break;
	case PB_L3_IPV6:
		put16__(p, PB_ETH_IPV6);
		break;
	case PB_L3_ARP:
		put16__(p, PB_ETH_ARP);
		break;
	case PB_L3_RAW:
		put16__(p, f->ethertype);
		break;
	}
	if (f->l3 == PB_L3_RAW) {
		if (f->payload_len > cap - l2)
			return 0;
		if (f->payload_len > 0)
			memcpy(buf + l2, f->payload, f->payload_len);
		l3 = f->payload_len;
	} else {
		size_t pad_to = !f->pad_trailer && frame_len > l2 ? frame_len - l2 : 0;

		l3 = build_l3__(f, buf + l2, cap - l2, pad_to, depth);
		if (l3 == 0)
			return 0;
	}
	len = l2 + l3;
	if (frame_len > len) {
		if (frame_len > cap)
			return 0;
		memset(buf + len, 0, frame_len - len);
		len = frame_len;
	}
	return len;
}

size_t
pb_build(const struct pb_flow *f, uint8_t *buf, size_t cap, size_t frame_len)
{
	if (f == NULL || buf == NULL)
		return 0;
	return build__(f, buf, cap, frame_len, 0);
}

/* Checks the L4 checksum of 'l4_len' bytes at 'p'.  @return 0, PB_CSUM_L4_BAD or -EINVAL. */
static int
verify_l4__(uint8_t proto, bool v6, const uint8_t *src, const uint8_t *dst, const uint8_t *p,
            size_t l4_len)
{
	uint64_t sum = 0;

	switch (proto) {
	case PB_IPPROTO_UDP:
		if (l4_len < UDP_HDR_LEN || get16__(p + 4) > l4_len || get16__(p + 4) < UDP_HDR_LEN)
			return -EINVAL;
		if (!v6 && get16__(p + 6) == 0)
			return 0; /* RFC 768: no checksum (IPv4 only; RFC 8200 8.1) */
		l4_len = get16__(p + 4);
		break;
	case PB_IPPROTO_TCP:
		if (l4_len < TCP_HDR_LEN)
			return -EINVAL;
		break;
	case PB_IPPROTO_SCTP: {
		uint8_t hdr[SCTP_HDR_LEN];
		uint32_t crc = 0xffffffffu, want;
		size_t i;
		int b;

		if (l4_len < SCTP_HDR_LEN)
			return -EINVAL;
		/* CRC32c over the packet with the checksum field taken as zero. */
		memcpy(hdr, p, SCTP_HDR_LEN);
		memset(hdr + 8, 0, 4);
		for (i = 0; i < l4_len; i++) {
			crc ^= i < SCTP_HDR_LEN ? hdr[i] : p[i];
			for (b = 0; b < 8; b++)
				crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
		}
		want = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 |
		       (uint32_t)p[11] << 24;
		return ~crc == want ? 0 : PB_CSUM_L4_BAD;
	}
	case PB_IPPROTO_ICMP:
		if (v6)
			return 0;
		if (l4_len < 4)
			return -EINVAL;
		return fold__(sum16__(p, l4_len, 0)) == 0 ? 0 : PB_CSUM_L4_BAD;
	case PB_IPPROTO_ICMPV6:
		if (!v6)
			return 0;
		if (l4_len < 4)
			return -EINVAL;
		break;
	default:
		return 0;
	}
	sum = pseudo_sum__(v6, src, dst, proto, (uint32_t)l4_len);
	return fold__(sum16__(p, l4_len, sum)) == 0 ? 0 : PB_CSUM_L4_BAD;
}

static int
verify_ipv4__(const uint8_t *p, size_t len)
{
	size_t ihl, tot;
	int ret = 0, l4;

	if (len < IPV4_HDR_LEN || (p[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = get16__(p + 2);
	if (ihl < IPV4_HDR_LEN || ihl > len || tot < ihl || tot > len)
		return -EINVAL;
	if (fold__(sum16__(p, ihl, 0)) != 0)
		ret |= PB_CSUM_IP_BAD;
	/* A fragment's L4 checksum covers the reassembled datagram: not checkable here. */
	if ((get16__(p + 6) & (PB_IP_MF | PB_IP_OFFSET_MASK)) != 0)
		return ret;
	l4 = verify_l4__(p[9], false, p + 12, p + 16, p + ihl, tot - ihl);
	return l4 < 0 ? l4 : ret | l4;
}

static int
verify_ipv6__(const uint8_t *p, size_t len)
{
	size_t off = IPV6_HDR_LEN, end;
	uint8_t nh;
	int i;

	if (len < IPV6_HDR_LEN || (p[0] >> 4) != 6)
		return -EINVAL;
	end = IPV6_HDR_LEN + (size_t)get16__(p + 4);
	if (end > len)
		return -EINVAL;
	nh = p[6];
	for (i = 0; i < PB_IPV6_EXT_MAX; i++) {
		if (nh == PB_IPPROTO_FRAGMENT)
			return 0;
		if (nh != PB_IPPROTO_HOPOPTS && nh != PB_IPPROTO_ROUTING &&
		    nh != PB_IPPROTO_DSTOPTS)
			break;
		if (off + 8 > end)
			return -EINVAL;
		nh = p[off];
		off += (p[off + 1] + 1u) * 8;
		if (off > end)
			return -EINVAL;
	}
	if (i == PB_IPV6_EXT_MAX)
		return -EINVAL;
	return verify_l4__(nh, true, p + 8, p + 24, p + off, end - off);
}

int
pb_verify_checksums(const uint8_t *frame, size_t len)
{
	size_t off = 12;
	uint16_t type;

	if (frame == NULL || len < ETH_HDR_LEN)
		return -EINVAL;
	type = get16__(frame + off);
	while (type == PB_ETH_VLAN || type == PB_ETH_QINQ || type == 0x9100) {
		off += VLAN_TAG_LEN;
		if (off + 2 > len)
			return -EINVAL;
		type = get16__(frame + off);
	}
	off += 2;
	if (type == PB_ETH_IPV4)
		return verify_ipv4__(frame + off, len - off);
	if (type == PB_ETH_IPV6)
		return verify_ipv6__(frame + off, len - off);
	return 0;
}
