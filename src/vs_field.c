/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow field table: where each match/set_field field lives in struct
 * pm_key, its names and aliases, its prerequisites, and the text of its
 * values (numbers, MACs, IPv4/IPv6 prefixes, port names, ip_frag names,
 * ct_state and tcp_flags flags) as ovs-ofctl writes and reads them.
 *
 * vs_flow_parse.c builds flows out of these; vs_xlate applies set_field
 * actions with the same container layout.  Everything here is a pure
 * function of its arguments over constant tables: callable from any thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vs_flow.h"

#define ETH_TYPE_IP   0x0800
#define ETH_TYPE_ARP  0x0806
#define ETH_TYPE_IPV6 0x86dd

#define IPPROTO_ICMP_  1
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define IPPROTO_ICMP6_ 58
#define IPPROTO_SCTP_  132

/* Longest value text accepted (an IPv6 address and mask fit easily). */
#define FIELD_TEXT_MAX 128
/* Longest port name printed or looked up. */
#define PORT_NAME_MAX 64

#define KOFS(m)         ((uint16_t)offsetof(struct pm_key, m))
#define KSZ(m)          ((uint8_t)sizeof(((struct pm_key *)0)->m))
#define FD(nm, m, fmt_) .name = nm, .offset = KOFS(m), .size = KSZ(m), .fmt = fmt_

#define HOST .host_order = true
#define MASK .maskable = true
#define SET  .settable = true

#define P_IP     .prereq_dl_type = ETH_TYPE_IP
#define P_IPV6   .prereq_dl_type = ETH_TYPE_IPV6
#define P_ARP    .prereq_dl_type = ETH_TYPE_ARP
#define P_IP_ARP .prereq_dl_type = ETH_TYPE_IP, .prereq_dl_type2 = ETH_TYPE_ARP
#define P_IP_ANY .prereq_dl_type = ETH_TYPE_IP, .prereq_dl_type2 = ETH_TYPE_IPV6
#define P_PROTO  P_IP_ANY, .prereq_dl_type3 = ETH_TYPE_ARP
#define P_L4                                                                                       \
	P_IP_ANY, .prereq_nw_proto = IPPROTO_TCP_, .prereq_nw_proto2 = IPPROTO_UDP_,               \
		  .prereq_nw_proto3 = IPPROTO_SCTP_
#define P_TCP  P_IP_ANY, .prereq_nw_proto = IPPROTO_TCP_
#define P_ICMP P_IP_ANY, .prereq_nw_proto = IPPROTO_ICMP_, .prereq_nw_proto2 = IPPROTO_ICMP6_
#define P_CT   .prereq_ct = true

#define REG__(i) [VS_F_REG0 + i] = { FD("reg" #i, regs[i], VS_FMT_HEX), HOST, MASK, SET }

/* Indexed by enum vs_field; names must match VS_FIELDS (checked by the unit test). */
static const struct vs_field_desc vs_fields[VS_F_N] = {
	[VS_F_RECIRC_ID] = { FD("recirc_id", recirc_id, VS_FMT_HEX), HOST },
	[VS_F_IN_PORT] = { FD("in_port", in_port, VS_FMT_PORT), HOST },
	[VS_F_METADATA] = { FD("metadata", metadata, VS_FMT_HEX), HOST, MASK, SET },
	REG__(0),
	REG__(1),
	REG__(2),
	REG__(3),
	REG__(4),
	REG__(5),
	REG__(6),
	REG__(7),
	[VS_F_TUN_ID] = { FD("tun_id", tun_id, VS_FMT_HEX), MASK, SET },
	[VS_F_TUN_SRC] = { FD("tun_src", tun_src, VS_FMT_IPV4), MASK, SET },
	[VS_F_TUN_DST] = { FD("tun_dst", tun_dst, VS_FMT_IPV4), MASK, SET },
	[VS_F_CT_STATE] = { FD("ct_state", ct_state, VS_FMT_CT_STATE), HOST, MASK, .bits = 0x3f },
	[VS_F_CT_ZONE] = { FD("ct_zone", ct_zone, VS_FMT_DEC), HOST },
	/* ct_mark and ct_label are written only by ct(exec(...)). */
	[VS_F_CT_MARK] = { FD("ct_mark", ct_mark, VS_FMT_HEX), HOST, MASK },
	[VS_F_CT_LABEL] = { FD("ct_label", ct_label, VS_FMT_HEX), MASK },
	[VS_F_CT_NW_SRC] = { FD("ct_nw_src", ct_nw_src, VS_FMT_IPV4), MASK, P_CT },
	[VS_F_CT_NW_DST] = { FD("ct_nw_dst", ct_nw_dst, VS_FMT_IPV4), MASK, P_CT },
	[VS_F_CT_IPV6_SRC] = { FD("ct_ipv6_src", ct_ipv6_src, VS_FMT_IPV6), MASK, P_CT },
	[VS_F_CT_IPV6_DST] = { FD("ct_ipv6_dst", ct_ipv6_dst, VS_FMT_IPV6), MASK, P_CT },
	[VS_F_CT_NW_PROTO] = { FD("ct_nw_proto", ct_nw_proto, VS_FMT_DEC), P_CT },
	[VS_F_CT_TP_SRC] = { FD("ct_tp_src", ct_tp_src, VS_FMT_DEC), MASK, P_CT },
	[VS_F_CT_TP_DST] = { FD("ct_tp_dst", ct_tp_dst, VS_FMT_DEC), MASK, P_CT },
	[VS_F_DL_SRC] = { FD("dl_src", dl_src, VS_FMT_MAC), MASK, SET },
	[VS_F_DL_DST] = { FD("dl_dst", dl_dst, VS_FMT_MAC), MASK, SET },
	[VS_F_DL_TYPE] = { FD("dl_type", dl_type, VS_FMT_HEX) },
	[VS_F_VLAN_TCI] = { FD("vlan_tci", vlan_tci, VS_FMT_HEX), MASK, SET },
	/* dl_vlan and dl_vlan_pcp own PM_VLAN_PRESENT too: matching them implies a tag. */
	[VS_F_DL_VLAN] = { FD("dl_vlan", vlan_tci, VS_FMT_DEC), SET, .bits = 0x1fff },
	[VS_F_DL_VLAN_PCP] = { FD("dl_vlan_pcp", vlan_tci, VS_FMT_DEC), SET, .bits = 0xf000,
	                       .shift = PM_VLAN_PCP_SHIFT },
	[VS_F_NW_SRC] = { FD("nw_src", nw_src, VS_FMT_IPV4), MASK, SET, P_IP_ARP },
	[VS_F_NW_DST] = { FD("nw_dst", nw_dst, VS_FMT_IPV4), MASK, SET, P_IP_ARP },
	[VS_F_IPV6_SRC] = { FD("ipv6_src", ipv6_src, VS_FMT_IPV6), MASK, SET, P_IPV6 },
	[VS_F_IPV6_DST] = { FD("ipv6_dst", ipv6_dst, VS_FMT_IPV6), MASK, SET, P_IPV6 },
	[VS_F_IPV6_LABEL] = { FD("ipv6_label", ipv6_label, VS_FMT_HEX), MASK, SET, P_IPV6,
	                      .bits = 0x000fffff },
	[VS_F_NW_PROTO] = { FD("nw_proto", nw_proto, VS_FMT_DEC), P_PROTO },
	[VS_F_NW_TOS] = { FD("nw_tos", nw_tos, VS_FMT_DEC), SET, P_IP_ANY, .bits = 0xfc },
	[VS_F_IP_DSCP] = { FD("ip_dscp", nw_tos, VS_FMT_DEC), SET, P_IP_ANY, .bits = 0xfc,
	                   .shift = 2 },
	[VS_F_NW_ECN] = { FD("nw_ecn", nw_tos, VS_FMT_DEC), SET, P_IP_ANY, .bits = 0x03 },
	[VS_F_NW_TTL] = { FD("nw_ttl", nw_ttl, VS_FMT_DEC), SET, P_IP_ANY },
	[VS_F_IP_FRAG] = { FD("ip_frag", nw_frag, VS_FMT_FRAG), MASK, P_IP_ANY, .bits = 0x03 },
	[VS_F_ARP_OP] = { FD("arp_op", nw_proto, VS_FMT_DEC), SET, P_ARP },
	[VS_F_ARP_SPA] = { FD("arp_spa", nw_src, VS_FMT_IPV4), MASK, SET, P_ARP },
	[VS_F_ARP_TPA] = { FD("arp_tpa", nw_dst, VS_FMT_IPV4), MASK, SET, P_ARP },
	[VS_F_ARP_SHA] = { FD("arp_sha", arp_sha, VS_FMT_MAC), MASK, SET, P_ARP },
	[VS_F_ARP_THA] = { FD("arp_tha", arp_tha, VS_FMT_MAC), MASK, SET, P_ARP },
	[VS_F_TP_SRC] = { FD("tp_src", tp_src, VS_FMT_DEC), MASK, SET, P_L4 },
	[VS_F_TP_DST] = { FD("tp_dst", tp_dst, VS_FMT_DEC), MASK, SET, P_L4 },
	[VS_F_TCP_FLAGS] = { FD("tcp_flags", tcp_flags, VS_FMT_TCP_FLAGS), MASK, P_TCP,
	                     .bits = 0x0fff },
	/* As OVS: tp_src = htons(type) under a full 16-bit mask; values 0..255. */
	[VS_F_ICMP_TYPE] = { FD("icmp_type", tp_src, VS_FMT_DEC), SET, P_ICMP },
	[VS_F_ICMP_CODE] = { FD("icmp_code", tp_dst, VS_FMT_DEC), SET, P_ICMP },
};

/*
 * Other spellings.  A non-zero 'dl_type' or 'nw_proto' narrows the field's
 * prerequisites for that spelling (tcp_src needs tcp, not just tcp/udp/sctp).
 */
struct vs_field_alias {
	const char *name;
	uint8_t field;    /* enum vs_field */
	uint16_t dl_type; /* required dl_type, host order, 0 = field's own */
	uint8_t nw_proto; /* required nw_proto, 0 = field's own */
};

static const struct vs_field_alias vs_field_aliases[] = {
	{ "eth_src", VS_F_DL_SRC, 0, 0 },
	{ "eth_dst", VS_F_DL_DST, 0, 0 },
	{ "eth_type", VS_F_DL_TYPE, 0, 0 },
	{ "vlan_pcp", VS_F_DL_VLAN_PCP, 0, 0 },
	{ "ip_src", VS_F_NW_SRC, ETH_TYPE_IP, 0 },
	{ "ip_dst", VS_F_NW_DST, ETH_TYPE_IP, 0 },
	{ "ip_proto", VS_F_NW_PROTO, 0, 0 },
	{ "ip_ecn", VS_F_NW_ECN, 0, 0 },
	{ "nw_frag", VS_F_IP_FRAG, 0, 0 },
	{ "tcp_src", VS_F_TP_SRC, 0, IPPROTO_TCP_ },
	{ "tcp_dst", VS_F_TP_DST, 0, IPPROTO_TCP_ },
	{ "udp_src", VS_F_TP_SRC, 0, IPPROTO_UDP_ },
	{ "udp_dst", VS_F_TP_DST, 0, IPPROTO_UDP_ },
	{ "sctp_src", VS_F_TP_SRC, 0, IPPROTO_SCTP_ },
	{ "sctp_dst", VS_F_TP_DST, 0, IPPROTO_SCTP_ },
	{ "icmpv4_type", VS_F_ICMP_TYPE, ETH_TYPE_IP, IPPROTO_ICMP_ },
	{ "icmpv4_code", VS_F_ICMP_CODE, ETH_TYPE_IP, IPPROTO_ICMP_ },
	{ "icmpv6_type", VS_F_ICMP_TYPE, ETH_TYPE_IPV6, IPPROTO_ICMP6_ },
	{ "icmpv6_code", VS_F_ICMP_CODE, ETH_TYPE_IPV6, IPPROTO_ICMP6_ },
	{ "tunnel_id", VS_F_TUN_ID, 0, 0 },
};

/* One named flag bit of ct_state or tcp_flags; tables are in printing order. */
struct vs_flag_name {
	const char *name;
	uint16_t bit;
};

/* Printed trk first ("+trk+new"), the order people write them in. */
static const struct vs_flag_name vs_ct_state_names[] = {
	{ "trk", PM_CS_TRACKED }, { "new", PM_CS_NEW },       { "est", PM_CS_ESTABLISHED },
	{ "rel", PM_CS_RELATED }, { "rpl", PM_CS_REPLY_DIR }, { "inv", PM_CS_INVALID },
};

/* Lowest bit first, as OVS packet_tcp_flag_to_string() order. */
static const struct vs_flag_name vs_tcp_flag_names[] = {
	{ "fin", 0x001 }, { "syn", 0x002 }, { "rst", 0x004 }, { "psh", 0x008 }, { "ack", 0x010 },
	{ "urg", 0x020 }, { "ece", 0x040 }, { "cwr", 0x080 }, { "ns", 0x100 },
};
#define TCP_FLAGS_NAMED 0x1ffu

/* ip_frag names (OVS all_frags[]): parse takes the first entry with the name. */
struct vs_frag_name {
	const char *name;
	uint8_t value;
	uint8_t mask;
};

static const struct vs_frag_name vs_frag_names[] = {
	{ "no", 0, PM_FRAG_ANY | PM_FRAG_LATER },
	{ "first", PM_FRAG_ANY, PM_FRAG_ANY | PM_FRAG_LATER },
	{ "later", PM_FRAG_ANY | PM_FRAG_LATER, PM_FRAG_ANY | PM_FRAG_LATER },
	{ "yes", PM_FRAG_ANY, PM_FRAG_ANY },
	{ "not_later", 0, PM_FRAG_LATER },
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const struct vs_field_desc *
vs_field_get(enum vs_field f)
{
	if ((unsigned int)f >= VS_F_N)
		return NULL;
	return &vs_fields[f];
}

/* Alias entry for 'name', or NULL. */
static const struct vs_field_alias *
alias_by_name__(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMS(vs_field_aliases); i++)
		if (!strcmp(vs_field_aliases[i].name, name))
			return &vs_field_aliases[i];
	return NULL;
}

int
vs_field_by_name(const char *name)
{
	const struct vs_field_alias *a;
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < VS_F_N; i++)
		if (!strcmp(vs_fields[i].name, name))
			return i;
	a = alias_by_name__(name);
	return a != NULL ? a->field : -1;
}

static void __attribute__((format(printf, 3, 4)))
set_err__(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

/* Container bits of a field of at most 8 bytes. */
static uint64_t
field_bits__(const struct vs_field_desc *d)
{
	if (d->bits != 0)
		return d->bits;
	return d->size >= 8 ? UINT64_MAX : (UINT64_C(1) << (d->size * 8)) - 1;
}

/* Stores 'v' into a container of 'size' bytes (1, 2, 4 or 8). */
static void
put_uint__(uint8_t *dst, unsigned int size, bool host_order, uint64_t v)
{
	unsigned int i;

	if (host_order) {
		uint8_t u8 = (uint8_t)v;
		uint16_t u16 = (uint16_t)v;
		uint32_t u32 = (uint32_t)v;

		switch (size) {
		case 1:
			memcpy(dst, &u8, 1);
			break;
		case 2:
			memcpy(dst, &u16, 2);
			break;
		case 4:
			memcpy(dst, &u32, 4);
			break;
		default:
			memcpy(dst, &v, 8);
			break;
		}
		return;
	}
	for (i = 0; i < size; i++)
		dst[size - 1 - i] = (uint8_t)(v >> (8 * i));
}

/* Reads a container of 'size' bytes (1, 2, 4 or 8). */
static uint64_t
get_uint__(const uint8_t *src, unsigned int size, bool host_order)
{
	uint64_t v = 0;
	unsigned int i;

	if (host_order) {
		uint16_t u16;
		uint32_t u32;

		switch (size) {
		case 1:
			return src[0];
		case 2:
			memcpy(&u16, src, 2);
			return u16;
		case 4:
			memcpy(&u32, src, 4);
			return u32;
		default:
			memcpy(&v, src, 8);
			return v;
		}
	}
	for (i = 0; i < size; i++)
		v = (v << 8) | src[i];
	return v;
}

/* Whole-field mask in container layout. */
static void
field_full_mask__(enum vs_field f, uint8_t mask[16])
{
	const struct vs_field_desc *d = &vs_fields[f];

	memset(mask, 0, 16);
	if (f == VS_F_ICMP_TYPE || f == VS_F_ICMP_CODE)
		put_uint__(mask, d->size, d->host_order, 0xffff);
	else if (d->size <= 8 && d->fmt != VS_FMT_MAC && d->fmt != VS_FMT_IPV4)
		put_uint__(mask, d->size, d->host_order, field_bits__(d));
	else
		memset(mask, 0xff, d->size);
}

static int
hex_digit__(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses a whole string as decimal or 0x-hex into 'v'.  No sign, no overflow. */
static bool
parse_u64__(const char *s, uint64_t *v)
{
	unsigned int base = 10;
	uint64_t r = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		int d = hex_digit__(*s);

		if (d < 0 || (unsigned int)d >= base)
			return false;
		if (r > (UINT64_MAX - (unsigned int)d) / base)
			return false;
		r = r * base + (unsigned int)d;
	}
	*v = r;
	return true;
}

/* Parses a 128-bit big-endian number: 0x + up to 32 hex digits, or a 64-bit decimal. */
static bool
parse_u128__(const char *s, uint8_t out[16])
{
	size_t n, i;
	uint64_t v;

	memset(out, 0, 16);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n = strlen(s);
		if (n == 0 || n > 32)
			return false;
		for (i = 0; i < n; i++) {
			int d = hex_digit__(s[n - 1 - i]);

			if (d < 0)
				return false;
			out[15 - i / 2] |= (uint8_t)(i % 2 ? d << 4 : d);
		}
		return true;
	}
	if (!parse_u64__(s, &v))
		return false;
	put_uint__(out + 8, 8, false, v);
	return true;
}

/* xx:xx:xx:xx:xx:xx with one or two hex digits per byte. */
static bool
parse_mac__(const char *s, uint8_t mac[6])
{
	int i;

	for (i = 0; i < 6; i++) {
		int hi = hex_digit__(s[0]), lo;

		if (hi < 0)
			return false;
		lo = hex_digit__(s[1]);
		if (lo >= 0) {
			mac[i] = (uint8_t)(hi << 4 | lo);
			s += 2;
		} else {
			mac[i] = (uint8_t)hi;
			s += 1;
		}
		if (i < 5 && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

/* Dotted quad, decimal octets, network order. */
static bool
parse_ipv4__(const char *s, uint8_t ip[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int v = 0, n = 0;

		while (*s >= '0' && *s <= '9' && n < 4) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			n++;
		}
		if (n == 0 || n > 3 || v > 255)
			return false;
		ip[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return false;
	}
	return *s == '\0';
}

/* Prefix length 0..max_len as a mask of 'size' bytes. */
static bool
parse_prefix__(const char *s, unsigned int max_len, uint8_t *mask, unsigned int size)
{
	uint64_t len;
	unsigned int i;

	if (!parse_u64__(s, &len) || len > max_len)
		return false;
	for (i = 0; i < size; i++) {
		if (len >= 8)
			mask[i] = 0xff;
		else
			mask[i] = (uint8_t)(0xff00 >> len);
		len = len >= 8 ? len - 8 : 0;
	}
	return true;
}

/* Prefix length of a CIDR mask, or -1 when 'mask' is not contiguous. */
static int
prefix_len__(const uint8_t *mask, unsigned int size)
{
	unsigned int i, len = 0;
	bool ended = false;

	for (i = 0; i < size; i++) {
		uint8_t m = mask[i];
		int b;

		for (b = 7; b >= 0; b--) {
			bool set = (m >> b) & 1;

			if (set && ended)
				return -1;
			if (set)
				len++;
			else
				ended = true;
		}
	}
	return (int)len;
}

/* Port number (0..VS_OFPORT_MAX) or name via 'names'. */
static int
parse_port__(const char *s, const struct vs_port_names *names, uint64_t *port, char *err,
             size_t err_size)
{
	if (s[0] >= '0' && s[0] <= '9') {
		if (!parse_u64__(s, port) || *port > VS_OFPORT_MAX) {
			set_err__(err, err_size, "bad value '%s'", s);
			return -EINVAL;
		}
		return 0;
	}
	if (s[0] != '\0' && names != NULL && names->by_name != NULL) {
		int p = names->by_name(names->ctx, s);

		if (p >= 0 && p <= VS_OFPORT_MAX) {
			*port = (uint64_t)p;
			return 0;
		}
	}
	set_err__(err, err_size, "unknown port '%s'", s);
	return -EINVAL;
}

/*
 * Flags in one of three forms: a number ("0x21" or "0x21/0x3f"), signed
 * names ("+trk-est": mask covers the named bits), or '|'-joined names
 * ("syn|ack": mask covers the whole field).
 */
static bool
parse_flags__(const char *s, const struct vs_flag_name *tab, size_t n_tab, uint64_t bits,
              uint64_t *value, uint64_t *mask)
{
	char word[16];
	uint64_t v = 0, m = 0;
	bool signed_form = (*s == '+' || *s == '-');

	if (*s == '\0')
		return false;
	if (*s >= '0' && *s <= '9') {
		char num[FIELD_TEXT_MAX];
		const char *slash = strchr(s, '/');

		if (slash != NULL) {
			size_t n = (size_t)(slash - s);

			if (n >= sizeof(num))
				return false;
			memcpy(num, s, n);
			num[n] = '\0';
			if (!parse_u64__(num, &v) || !parse_u64__(slash + 1, &m))
				return false;
		} else {
			if (!parse_u64__(s, &v))
				return false;
			m = bits;
		}
		if ((v & ~bits) || (m & ~bits))
			return false;
		*value = v & m;
		*mask = m;
		return true;
	}
	while (*s != '\0') {
		bool set = true;
		size_t n = 0, i;

		if (signed_form) {
			if (*s != '+' && *s != '-')
				return false;
			set = *s++ == '+';
		}
		while (s[n] != '\0' && s[n] != '+' && s[n] != '-' && s[n] != '|')
			n++;
		if (n == 0 || n >= sizeof(word))
			return false;
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		for (i = 0; i < n_tab; i++)
			if (!strcmp(tab[i].name, word))
				break;
		if (i == n_tab)
			return false;
		if ((m & tab[i].bit) && (((v & tab[i].bit) != 0) != set))
			return false; /* "+trk-trk" */
		m |= tab[i].bit;
		if (set)
			v |= tab[i].bit;
		if (!signed_form) {
			if (*s == '|')
				s++;
			else if (*s != '\0')
				return false;
			if (*s == '\0' && s[-1] == '|')
				return false;
		} else if (*s == '|') {
			return false;
		}
	}
	*value = v;
	*mask = signed_form ? m : bits;
	return true;
}

/* ip_frag: a name from vs_frag_names[] or a number/mask. */
static bool
parse_frag__(const char *s, uint64_t *value, uint64_t *mask)
{
	size_t i;

	for (i = 0; i < N_ELEMS(vs_frag_names); i++) {
		if (!strcmp(vs_frag_names[i].name, s)) {
			*value = vs_frag_names[i].value;
			*mask = vs_frag_names[i].mask;
			return true;
		}
	}
	return parse_flags__(s, NULL, 0, 0x03, value, mask) && (*s >= '0' && *s <= '9');
}

/* Parses 'text' (no mask part) into 'v' for a numeric field of at most 8 bytes. */
static bool
parse_num_value__(enum vs_field f, const char *text, uint64_t *v)
{
	const struct vs_field_desc *d = &vs_fields[f];
	uint64_t bits = field_bits__(d), max;

	if (!parse_u64__(text, v))
		return false;
	if (f == VS_F_ICMP_TYPE || f == VS_F_ICMP_CODE)
		return *v <= 0xff;
	if (f == VS_F_DL_VLAN)
		return *v <= PM_VLAN_VID_MASK || *v == 0xffff;
	if (f == VS_F_DL_VLAN_PCP)
		return *v <= 7;
	max = bits >> d->shift;
	return *v <= max && ((*v << d->shift) & ~bits) == 0;
}

/* Numeric fields (DEC/HEX) and the special containers that read as numbers. */
static int
parse_numeric__(enum vs_field f, const char *vtext, const char *mtext, struct vs_field_value *out,
                char *err, size_t err_size)
{
	const struct vs_field_desc *d = &vs_fields[f];
	uint64_t v, m, bits = field_bits__(d);
	unsigned int i;

	if (d->size == 16) {
		if (!parse_u128__(vtext, out->value)) {
			set_err__(err, err_size, "bad value '%s'", vtext);
			return -EINVAL;
		}
		if (mtext != NULL && !parse_u128__(mtext, out->mask)) {
			set_err__(err, err_size, "bad mask '%s'", mtext);
			return -EINVAL;
		}
		if (mtext == NULL)
			memset(out->mask, 0xff, 16);
		for (i = 0; i < 16; i++)
			out->value[i] &= out->mask[i];
		return 0;
	}
	if (!parse_num_value__(f, vtext, &v)) {
		set_err__(err, err_size, "bad value '%s'", vtext);
		return -EINVAL;
	}
	if (f == VS_F_DL_VLAN) {
		/* OFP10_VLAN_NONE: match frames without a tag. */
		m = v == 0xffff ? 0xffff : bits;
		v = v == 0xffff ? 0 : (v | PM_VLAN_PRESENT);
	} else if (f == VS_F_DL_VLAN_PCP) {
		m = bits;
		v = (v << d->shift) | PM_VLAN_PRESENT;
	} else if (f == VS_F_ICMP_TYPE || f == VS_F_ICMP_CODE) {
		m = 0xffff;
	} else {
		v <<= d->shift;
		m = bits;
		if (mtext != NULL) {
			if (!parse_u64__(mtext, &m) || m > (bits >> d->shift) ||
			    ((m << d->shift) & ~bits)) {
				set_err__(err, err_size, "bad mask '%s'", mtext);
				return -EINVAL;
			}
			m <<= d->shift;
		}
	}
	put_uint__(out->value, d->size, d->host_order, v & m);
	put_uint__(out->mask, d->size, d->host_order, m);
	return 0;
}

/* MAC, IPv4 and IPv6 values with an optional mask or prefix length. */
static int
parse_addr__(enum vs_field f, const char *vtext, const char *mtext, struct vs_field_value *out,
             char *err, size_t err_size)
{
	const struct vs_field_desc *d = &vs_fields[f];
	bool ok_v, ok_m = true;
	unsigned int i;

	switch (d->fmt) {
	case VS_FMT_MAC:
		ok_v = parse_mac__(vtext, out->value);
		if (mtext != NULL)
			ok_m = parse_mac__(mtext, out->mask);
		break;
	case VS_FMT_IPV4:
		ok_v = parse_ipv4__(vtext, out->value);
		if (mtext != NULL)
			ok_m = strchr(mtext, '.') != NULL ? parse_ipv4__(mtext, out->mask) :
			                                    parse_prefix__(mtext, 32, out->mask, 4);
		break;
	default:
		ok_v = inet_pton(AF_INET6, vtext, out->value) == 1;
		if (mtext != NULL)
			ok_m = strchr(mtext, ':') != NULL ?
			                       inet_pton(AF_INET6, mtext, out->mask) == 1 :
			                       parse_prefix__(mtext, 128, out->mask, 16);
		break;
	}
	if (!ok_v) {
		set_err__(err, err_size, "bad value '%s'", vtext);
		return -EINVAL;
	}
	if (!ok_m) {
		set_err__(err, err_size, "bad mask '%s'", mtext);
		return -EINVAL;
	}
	if (mtext == NULL)
		memset(out->mask, 0xff, d->size);
	for (i = 0; i < d->size; i++)
		out->value[i] &= out->mask[i];
	return 0;
}

int
vs_field_parse(enum vs_field f, const char *text, const struct vs_port_names *names,
               struct vs_field_value *out, char *err, size_t err_size)
{
	const struct vs_field_desc *d = vs_field_get(f);
	char buf[FIELD_TEXT_MAX];
	const char *mtext = NULL;
	uint64_t v, m;
	char *slash;
	size_t len;

	if (out == NULL || text == NULL || d == NULL) {
		set_err__(err, err_size, "bad field or value");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	len = strnlen(text, sizeof(buf));
	if (len == 0 || len >= sizeof(buf)) {
		set_err__(err, err_size, "bad value '%.*s%s'", 64, text, len > 64 ? "..." : "");
		return -EINVAL;
	}
	memcpy(buf, text, len + 1);
	slash = strchr(buf, '/');
	if (slash != NULL && d->fmt != VS_FMT_FRAG && d->fmt != VS_FMT_CT_STATE &&
	    d->fmt != VS_FMT_TCP_FLAGS) {
		if (!d->maskable) {
			set_err__(err, err_size, "bad value '%s' (no mask allowed)", text);
			return -EINVAL;
		}
		*slash = '\0';
		mtext = slash + 1;
	}

	switch (d->fmt) {
	case VS_FMT_PORT:
		if (parse_port__(buf, names, &v, err, err_size))
			return -EINVAL;
		put_uint__(out->value, d->size, d->host_order, v);
		put_uint__(out->mask, d->size, d->host_order, field_bits__(d));
		return 0;
	case VS_FMT_FRAG:
	case VS_FMT_CT_STATE:
	case VS_FMT_TCP_FLAGS:
		if (d->fmt == VS_FMT_FRAG ?
		                    !parse_frag__(buf, &v, &m) :
		    d->fmt == VS_FMT_CT_STATE ?
		                    !parse_flags__(buf, vs_ct_state_names,
		                                   N_ELEMS(vs_ct_state_names), d->bits, &v, &m) :
		                    !parse_flags__(buf, vs_tcp_flag_names,
		                                   N_ELEMS(vs_tcp_flag_names), d->bits, &v, &m)) {
			set_err__(err, err_size, "bad value '%s'", text);
			return -EINVAL;
		}
		put_uint__(out->value, d->size, d->host_order, v & m);
		put_uint__(out->mask, d->size, d->host_order, m);
		return 0;
	case VS_FMT_MAC:
	case VS_FMT_IPV4:
	case VS_FMT_IPV6:
		return parse_addr__(f, buf, mtext, out, err, err_size);
	default:
		return parse_numeric__(f, buf, mtext, out, err, err_size);
	}
}

/* snprintf() that tolerates size 0 and returns 0 on encoding errors. */
static int __attribute__((format(printf, 3, 4))) put__(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(size ? buf : NULL, size, fmt, ap);
	va_end(ap);
	return n < 0 ? 0 : n;
}

/* Position 'len' characters into 'buf', for appending with put__(). */
#define AT(buf, size, len) ((size_t)(len) < (size) ? (buf) + (len) : NULL)
#define LEFT(size, len)    ((size_t)(len) < (size) ? (size) - (size_t)(len) : 0)

/* ofport as a number, or its name when it reads back as the same port. */
static int
format_port__(uint64_t port, const struct vs_port_names *names, char *buf, size_t size)
{
	const char *name = NULL;
	size_t len, i;

	if (names != NULL && names->name_of != NULL && names->by_name != NULL)
		name = names->name_of(names->ctx, (uint32_t)port);
	if (name == NULL)
		goto number;
	len = strnlen(name, PORT_NAME_MAX);
	/* The name must survive the tokenizer and not read back as a number. */
	if (len == 0 || len >= PORT_NAME_MAX || (name[0] >= '0' && name[0] <= '9'))
		goto number;
	for (i = 0; i < len; i++)
		if (strchr(",= \t\r\n()/\"'", name[i]) != NULL || name[i] < 0x21 || name[i] > 0x7e)
			goto number;
	if (names->by_name(names->ctx, name) != (int)port)
		goto number;
	return put__(buf, size, "%s", name);
number:
	return put__(buf, size, "%" PRIu64, port);
}

/* +name-name for the bits in 'mask', in table order. */
static int
format_signed_flags__(const struct vs_flag_name *tab, size_t n_tab, uint64_t v, uint64_t m,
                      char *buf, size_t size)
{
	int len = 0;
	size_t i;

	for (i = 0; i < n_tab; i++)
		if (m & tab[i].bit)
			len += put__(AT(buf, size, len), LEFT(size, len), "%c%s",
			             (v & tab[i].bit) ? '+' : '-', tab[i].name);
	return len;
}

static int
format_tcp_flags__(uint64_t v, uint64_t m, char *buf, size_t size)
{
	int len = 0;
	size_t i;

	if (m == 0x0fff) {
		if (v == 0)
			return put__(buf, size, "0");
		if (v & ~(uint64_t)TCP_FLAGS_NAMED)
			return put__(buf, size, "0x%03" PRIx64, v);
		for (i = 0; i < N_ELEMS(vs_tcp_flag_names); i++)
			if (v & vs_tcp_flag_names[i].bit)
				len += put__(AT(buf, size, len), LEFT(size, len), "%s%s",
				             len ? "|" : "", vs_tcp_flag_names[i].name);
		return len;
	}
	if (m == 0 || (m & ~(uint64_t)TCP_FLAGS_NAMED))
		return put__(buf, size, "0x%03" PRIx64 "/0x%03" PRIx64, v, m);
	return format_signed_flags__(vs_tcp_flag_names, N_ELEMS(vs_tcp_flag_names), v, m, buf,
	                             size);
}

/* "0" for zero, else 0x-hex, as OVS "%#x". */
static int
format_hex__(uint64_t v, char *buf, size_t size)
{
	return v ? put__(buf, size, "%#" PRIx64, v) : put__(buf, size, "0");
}

/* Minimal hex of a 128-bit big-endian number, "0" for zero. */
static int
format_hex128__(const uint8_t *v, char *buf, size_t size)
{
	int len = 0;
	bool started = false;
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (!started && v[i] == 0)
			continue;
		len += put__(AT(buf, size, len), LEFT(size, len), started ? "%02x" : "0x%x", v[i]);
		started = true;
	}
	return started ? len : put__(buf, size, "0");
}

static int
format_addr__(enum vs_field f, const uint8_t *v, const uint8_t *m, bool exact, char *buf,
              size_t size)
{
	const struct vs_field_desc *d = &vs_fields[f];
	char text[INET6_ADDRSTRLEN];
	int len, plen;

	if (d->fmt == VS_FMT_MAC) {
		len = put__(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2], v[3],
		            v[4], v[5]);
		if (!exact)
			len += put__(AT(buf, size, len), LEFT(size, len),
			             "/%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
			             m[5]);
		return len;
	}
	if (d->fmt == VS_FMT_IPV4)
		len = put__(buf, size, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
	else
		len = put__(buf, size, "%s",
		            inet_ntop(AF_INET6, v, text, sizeof(text)) ? text : "::");
	if (exact)
		return len;
	plen = prefix_len__(m, d->size);
	if (plen >= 0)
		return len + put__(AT(buf, size, len), LEFT(size, len), "/%d", plen);
	if (d->fmt == VS_FMT_IPV4)
		return len + put__(AT(buf, size, len), LEFT(size, len), "/%u.%u.%u.%u", m[0], m[1],
		                   m[2], m[3]);
	return len + put__(AT(buf, size, len), LEFT(size, len), "/%s",
	                   inet_ntop(AF_INET6, m, text, sizeof(text)) ? text : "::");
}

/* Fields of at most 8 bytes that print as numbers, names or flags. */
static int
format_scalar__(enum vs_field f, const uint8_t *value, const uint8_t *mask,
                const struct vs_port_names *names, char *buf, size_t size)
{
	const struct vs_field_desc *d = &vs_fields[f];
	uint64_t bits = field_bits__(d);
	uint64_t c = get_uint__(value, d->size, d->host_order);
	uint64_t cm = mask ? get_uint__(mask, d->size, d->host_order) : UINT64_MAX;
	uint64_t v = (c & bits) >> d->shift, m = (cm & bits) >> d->shift;
	bool exact = (cm & bits) == bits;
	size_t i;

	switch (f) {
	case VS_F_DL_VLAN:
		if (!(c & PM_VLAN_PRESENT) && (cm & 0xffff) == 0xffff)
			return put__(buf, size, "0xffff");
		return put__(buf, size, "%" PRIu64, c & PM_VLAN_VID_MASK);
	case VS_F_DL_VLAN_PCP:
		return put__(buf, size, "%" PRIu64, (c >> PM_VLAN_PCP_SHIFT) & 7);
	case VS_F_ICMP_TYPE:
	case VS_F_ICMP_CODE:
		v = c & 0xffff;
		m = cm & 0xffff;
		exact = m == 0xffff;
		break;
	default:
		break;
	}

	switch (d->fmt) {
	case VS_FMT_PORT:
		if (exact)
			return format_port__(v, names, buf, size);
		break;
	case VS_FMT_FRAG:
		for (i = 0; i < N_ELEMS(vs_frag_names); i++)
			if (vs_frag_names[i].mask == m && vs_frag_names[i].value == (v & m))
				return put__(buf, size, "%s", vs_frag_names[i].name);
		break;
	case VS_FMT_CT_STATE:
		if (m == 0)
			break;
		return format_signed_flags__(vs_ct_state_names, N_ELEMS(vs_ct_state_names), v, m,
		                             buf, size);
	case VS_FMT_TCP_FLAGS:
		return format_tcp_flags__(v, m, buf, size);
	case VS_FMT_HEX:
		if (f == VS_F_DL_TYPE || f == VS_F_VLAN_TCI)
			return exact ? put__(buf, size, "0x%04" PRIx64, v) :
			               put__(buf, size, "0x%04" PRIx64 "/0x%04" PRIx64, v, m);
		if (exact)
			return format_hex__(v, buf, size);
		{
			int len = format_hex__(v, buf, size);

			len += put__(AT(buf, size, len), LEFT(size, len), "/");
			return len + format_hex__(m, AT(buf, size, len), LEFT(size, len));
		}
	default:
		if (exact)
			return put__(buf, size, "%" PRIu64, v);
		break;
	}
	return put__(buf, size, "0x%" PRIx64 "/0x%" PRIx64, v, m);
}

int
vs_field_format(enum vs_field f, const uint8_t *value, const uint8_t *mask,
                const struct vs_port_names *names, char *buf, size_t size)
{
	const struct vs_field_desc *d = vs_field_get(f);
	uint8_t full[16];
	bool exact = true;
	int len;
	unsigned int i;

	if (size > 0)
		buf[0] = '\0';
	if (d == NULL || value == NULL)
		return 0;
	if (d->fmt != VS_FMT_MAC && d->fmt != VS_FMT_IPV4 && d->fmt != VS_FMT_IPV6 && d->size <= 8)
		return format_scalar__(f, value, mask, names, buf, size);
	if (mask != NULL) {
		field_full_mask__(f, full);
		for (i = 0; i < d->size; i++)
			if ((mask[i] & full[i]) != full[i])
				exact = false;
	}
	if (d->fmt != VS_FMT_HEX)
		return format_addr__(f, value, mask, exact, buf, size);
	len = format_hex128__(value, buf, size);
	if (!exact) {
		len += put__(AT(buf, size, len), LEFT(size, len), "/");
		len += format_hex128__(mask, AT(buf, size, len), LEFT(size, len));
	}
	return len;
}

void
vs_field_apply(enum vs_field f, const struct vs_field_value *v, struct pm_key *key,
               struct pm_key *mask)
{
	const struct vs_field_desc *d = vs_field_get(f);
	uint8_t *k = (uint8_t *)key, *m = (uint8_t *)mask;
	uint8_t full[16];
	unsigned int i;

	if (d == NULL)
		return;
	field_full_mask__(f, full);
	k += d->offset;
	m += d->offset;
	for (i = 0; i < d->size; i++) {
		uint8_t clr = full[i] | v->mask[i];

		k[i] = (uint8_t)((k[i] & ~clr) | (v->value[i] & v->mask[i]));
		m[i] = (uint8_t)((m[i] & ~clr) | v->mask[i]);
	}
}

/* Shorthand name of an ethertype, for messages. */
static const char *
dl_type_name__(uint16_t t)
{
	switch (t) {
	case ETH_TYPE_IP:
		return "ip";
	case ETH_TYPE_IPV6:
		return "ipv6";
	default:
		return "arp";
	}
}

/* Shorthand name of an IP protocol, for messages. */
static const char *
nw_proto_name__(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP_:
		return "tcp";
	case IPPROTO_UDP_:
		return "udp";
	case IPPROTO_SCTP_:
		return "sctp";
	case IPPROTO_ICMP_:
		return "icmp";
	default:
		return "icmp6";
	}
}

/* "a", "a or b", "a, b or c" from the non-NULL names. */
static void
join_names__(char *buf, size_t size, const char *const *names, unsigned int n)
{
	unsigned int i;
	int len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += put__(AT(buf, size, len), LEFT(size, len), "%s%s",
		             i == 0     ? "" :
		             i + 1 == n ? " or " :
		                          ", ",
		             names[i]);
}

/*
 * OVS is_ct_valid(): the match requires a connection (+new, +est, +rel or
 * +rpl), or explicitly +trk-inv.
 */
static bool
ct_valid__(const struct pm_key *key, const struct pm_key *mask)
{
	return (key->ct_state &
	        (PM_CS_NEW | PM_CS_ESTABLISHED | PM_CS_RELATED | PM_CS_REPLY_DIR)) ||
	       ((key->ct_state & PM_CS_TRACKED) && (mask->ct_state & PM_CS_INVALID) &&
	        !(key->ct_state & PM_CS_INVALID));
}

int
vs_field_check_prereqs(const char *name, const struct pm_key *key, const struct pm_key *mask,
                       char *err, size_t err_size)
{
	const struct vs_field_alias *a;
	const struct vs_field_desc *d;
	uint16_t dl_types[3];
	uint8_t protos[3];
	const char *words[3];
	unsigned int n_dl = 0, n_proto = 0, i;
	bool dl_ok = false, proto_ok = false;
	uint16_t dl_type = ntohs(key->dl_type);
	char list[64];
	int f = vs_field_by_name(name);

	if (f < 0) {
		set_err__(err, err_size, "unknown field '%s'", name ? name : "");
		return -EINVAL;
	}
	d = &vs_fields[f];
	a = alias_by_name__(name);
	if (a != NULL && a->dl_type)
		dl_types[n_dl++] = a->dl_type;
	else
		for (i = 0; i < 3; i++) {
			uint16_t t = i == 0 ? d->prereq_dl_type :
			             i == 1 ? d->prereq_dl_type2 :
			                      d->prereq_dl_type3;

			if (t)
				dl_types[n_dl++] = t;
		}
	if (a != NULL && a->nw_proto)
		protos[n_proto++] = a->nw_proto;
	else
		for (i = 0; i < 3; i++) {
			uint8_t p = i == 0 ? d->prereq_nw_proto :
			            i == 1 ? d->prereq_nw_proto2 :
			                     d->prereq_nw_proto3;

			if (p)
				protos[n_proto++] = p;
		}

	for (i = 0; i < n_dl; i++)
		dl_ok |= mask->dl_type == 0xffff && dl_type == dl_types[i];
	for (i = 0; i < n_proto; i++)
		proto_ok |= mask->nw_proto == 0xff && key->nw_proto == protos[i];
	/* ICMPv4 fields need IPv4 and ICMPv6 fields IPv6. */
	if (f == VS_F_ICMP_TYPE || f == VS_F_ICMP_CODE)
		proto_ok &= (dl_type == ETH_TYPE_IP) == (key->nw_proto == IPPROTO_ICMP_);

	if (n_proto && (!proto_ok || (n_dl && !dl_ok))) {
		for (i = 0; i < n_proto; i++)
			words[i] = nw_proto_name__(protos[i]);
		join_names__(list, sizeof(list), words, n_proto);
		set_err__(err, err_size, "%s requires %s (nw_proto)", name, list);
		return -EINVAL;
	}
	if (n_dl && !dl_ok) {
		for (i = 0; i < n_dl; i++)
			words[i] = dl_type_name__(dl_types[i]);
		join_names__(list, sizeof(list), words, n_dl);
		set_err__(err, err_size, "%s requires %s (dl_type)", name, list);
		return -EINVAL;
	}
	/* OVS MFP_TCP/UDP/SCTP: ports are absent from later fragments. */
	if (n_proto && f != VS_F_ICMP_TYPE && f != VS_F_ICMP_CODE &&
	    (key->nw_frag & PM_FRAG_LATER)) {
		set_err__(err, err_size, "%s cannot match later fragments (ip_frag)", name);
		return -EINVAL;
	}
	if (d->prereq_ct && !ct_valid__(key, mask)) {
		set_err__(err, err_size,
		          "%s requires ct_state with +new, +est, +rel, +rpl or +trk-inv", name);
		return -EINVAL;
	}
	return 0;
}
