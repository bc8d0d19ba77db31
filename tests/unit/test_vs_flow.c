/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the flow field table and the ovs-ofctl flow syntax
 * (src/vs_field.c, src/vs_flow_parse.c): exact key/mask bytes of every
 * field, prerequisites, every action, ct() arguments, port names, error
 * messages, golden dump-flows output, and round trips (a fixed table, then
 * randomly generated flows, then mutated text that must never crash).
 * No EAL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_flow.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* --- helpers ----------------------------------------------------------- */

/* A small port table standing in for the switch's port map. */
static const struct {
	const char *name;
	int ofport;
} test_ports[] = {
	{ "vhu0", 1 },   { "dpdk0", 2 },   { "eth-1.5", 3 },   { "normal", 7 },
	{ "9lives", 9 }, { "uplink", 10 }, { "bad name", 11 },
};

static int
test_by_name(void *ctx, const char *name)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < N_ELEMS(test_ports); i++)
		if (!strcmp(test_ports[i].name, name))
			return test_ports[i].ofport;
	return -1;
}

static const char *
test_name_of(void *ctx, uint32_t ofport)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < N_ELEMS(test_ports); i++)
		if ((uint32_t)test_ports[i].ofport == ofport)
			return test_ports[i].name;
	return NULL;
}

static const struct vs_port_names test_names = { NULL, test_by_name, test_name_of };

static void
parse_ok__(const char *text, unsigned int flags, const struct vs_port_names *names,
           struct vs_flow_spec *spec, const char *file, int line)
{
	char err[256] = "";
	int rc = vs_flow_parse(text, flags, names, spec, err, sizeof(err));

	if (rc != 0)
		fail_msg("%s:%d: parsing '%s' failed (%d): %s", file, line, text, rc, err);
}
#define parse_ok(t, f, n, s) parse_ok__(t, f, n, s, __FILE__, __LINE__)

static void
parse_err__(const char *text, unsigned int flags, const struct vs_port_names *names,
            const char *expect, const char *file, int line)
{
	struct vs_flow_spec spec;
	char err[256] = "";
	int rc = vs_flow_parse(text, flags, names, &spec, err, sizeof(err));

	vs_flow_spec_free(&spec);
	if (rc != -EINVAL)
		fail_msg("%s:%d: '%s' returned %d, expected -EINVAL", file, line, text, rc);
	if (strcmp(err, expect))
		fail_msg("%s:%d: '%s': error '%s', expected '%s'", file, line, text, err, expect);
}
#define parse_err(t, f, n, e) parse_err__(t, f, n, e, __FILE__, __LINE__)

static bool
ct_equal(const struct vs_act_ct *a, const struct vs_act_ct *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return a->commit == b->commit && a->zone_from_reg == b->zone_from_reg &&
	       a->zone_reg == b->zone_reg && a->zone_ofs == b->zone_ofs &&
	       a->zone_nbits == b->zone_nbits && a->zone == b->zone && a->table == b->table &&
	       a->set_mark == b->set_mark && a->set_label == b->set_label && a->mark == b->mark &&
	       a->mark_mask == b->mark_mask && !memcmp(a->label, b->label, 16) &&
	       !memcmp(a->label_mask, b->label_mask, 16);
}

/* Field-by-field equality of two specs, ct arguments compared by value. */
static bool
spec_equal(const struct vs_flow_spec *a, const struct vs_flow_spec *b)
{
	unsigned int i;

	if (a->table_id != b->table_id || a->priority != b->priority ||
	    a->has_priority != b->has_priority || a->cookie != b->cookie ||
	    a->cookie_mask != b->cookie_mask || a->idle_timeout != b->idle_timeout ||
	    a->hard_timeout != b->hard_timeout || a->has_table != b->has_table ||
	    memcmp(&a->key, &b->key, sizeof(a->key)) ||
	    memcmp(&a->mask, &b->mask, sizeof(a->mask)) || a->n_actions != b->n_actions)
		return false;
	for (i = 0; i < a->n_actions; i++) {
		const struct vs_action *x = &a->actions[i], *y = &b->actions[i];

		if (x->type != y->type || x->field != y->field || x->spelling != y->spelling ||
		    x->port != y->port || x->arg != y->arg || memcmp(x->value, y->value, 16) ||
		    memcmp(x->mask, y->mask, 16) || !ct_equal(x->ct, y->ct))
			return false;
	}
	return true;
}

/* Checks that the key is pre-masked. */
static void
assert_premasked(const struct vs_flow_spec *spec)
{
	const uint8_t *k = (const uint8_t *)&spec->key, *m = (const uint8_t *)&spec->mask;
	size_t i;

	for (i = 0; i < sizeof(spec->key); i++)
		assert_int_equal(k[i] & ~m[i], 0);
}

/*
 * parse(format(parse(text))) == parse(text), format is idempotent, and the
 * key is pre-masked.  Returns the canonical text in 'out'.
 */
static void
round_trip__(const char *text, const struct vs_port_names *names, char *out, size_t size,
             const char *file, int line)
{
	struct vs_flow_spec a, b;
	char again[4096], err[256] = "";
	int n;

	parse_ok__(text, VS_FP_ADD, names, &a, file, line);
	assert_premasked(&a);
	n = vs_flow_format(&a, names, out, size);
	if (n < 0 || (size_t)n >= size)
		fail_msg("%s:%d: '%s' formats to %d characters", file, line, text, n);
	if (vs_flow_parse(out, VS_FP_ADD, names, &b, err, sizeof(err)))
		fail_msg("%s:%d: '%s' formats to '%s', which does not parse: %s", file, line, text,
		         out, err);
	if (!spec_equal(&a, &b))
		fail_msg("%s:%d: '%s' -> '%s' reparses differently", file, line, text, out);
	vs_flow_format(&b, names, again, sizeof(again));
	if (strcmp(out, again))
		fail_msg("%s:%d: '%s' formats as '%s' then '%s'", file, line, text, out, again);
	vs_flow_spec_free(&a);
	vs_flow_spec_free(&b);
}
#define round_trip(t, n, o, s) round_trip__(t, n, o, s, __FILE__, __LINE__)

/* --- field table ------------------------------------------------------- */

static void
test_vs_flow_field_table_consistent(void **state)
{
	static const char *const names[] = {
#define VS_FIELD_NAME__(e, s) s,
		VS_FIELDS(VS_FIELD_NAME__)
#undef VS_FIELD_NAME__
	};
	int f;

	(void)state;
	assert_int_equal(N_ELEMS(names), VS_F_N);
	for (f = 0; f < VS_F_N; f++) {
		const struct vs_field_desc *d = vs_field_get((enum vs_field)f);

		assert_non_null(d);
		assert_string_equal(d->name, names[f]);
		assert_int_equal(vs_field_by_name(names[f]), f);
		assert_true(d->size == 1 || d->size == 2 || d->size == 4 || d->size == 6 ||
		            d->size == 8 || d->size == 16);
		assert_true(d->offset + d->size <= sizeof(struct pm_key));
		assert_true(d->size > 8 || d->bits == 0 ||
		            d->bits < (d->size == 8 ? UINT64_MAX : UINT64_C(1) << (8 * d->size)));
	}
	assert_null(vs_field_get(VS_F_N));
	assert_int_equal(vs_field_get(VS_F_REG5)->offset, offsetof(struct pm_key, regs[5]));
	assert_int_equal(vs_field_get(VS_F_ARP_SPA)->offset, offsetof(struct pm_key, nw_src));
	assert_int_equal(vs_field_get(VS_F_ICMP_CODE)->offset, offsetof(struct pm_key, tp_dst));
	assert_int_equal(vs_field_get(VS_F_IP_DSCP)->shift, 2);
	assert_true(vs_field_get(VS_F_METADATA)->host_order);
	assert_false(vs_field_get(VS_F_TUN_ID)->host_order);
	assert_false(vs_field_get(VS_F_IN_PORT)->settable);
	assert_false(vs_field_get(VS_F_CT_STATE)->settable);
	assert_true(vs_field_get(VS_F_NW_SRC)->settable);
	assert_false(vs_field_get(VS_F_NW_TTL)->maskable);
	assert_true(vs_field_get(VS_F_TP_SRC)->maskable);
}

static void
test_vs_flow_field_aliases(void **state)
{
	static const struct {
		const char *name;
		int field;
	} cases[] = {
		{ "eth_src", VS_F_DL_SRC },
		{ "eth_dst", VS_F_DL_DST },
		{ "eth_type", VS_F_DL_TYPE },
		{ "ip_src", VS_F_NW_SRC },
		{ "ip_dst", VS_F_NW_DST },
		{ "ip_proto", VS_F_NW_PROTO },
		{ "ip_ecn", VS_F_NW_ECN },
		{ "nw_frag", VS_F_IP_FRAG },
		{ "tcp_src", VS_F_TP_SRC },
		{ "tcp_dst", VS_F_TP_DST },
		{ "udp_src", VS_F_TP_SRC },
		{ "udp_dst", VS_F_TP_DST },
		{ "sctp_src", VS_F_TP_SRC },
		{ "sctp_dst", VS_F_TP_DST },
		{ "icmpv4_type", VS_F_ICMP_TYPE },
		{ "icmpv4_code", VS_F_ICMP_CODE },
		{ "icmpv6_type", VS_F_ICMP_TYPE },
		{ "icmpv6_code", VS_F_ICMP_CODE },
		{ "vlan_pcp", VS_F_DL_VLAN_PCP },
		{ "tunnel_id", VS_F_TUN_ID },
		{ "arp_op", VS_F_ARP_OP },
		{ "foo", -1 },
		{ "", -1 },
		{ "NW_SRC", -1 },
		{ "reg8", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++)
		assert_int_equal(vs_field_by_name(cases[i].name), cases[i].field);
	assert_int_equal(vs_field_by_name(NULL), -1);
}

/* --- exact key and mask bytes ------------------------------------------ */

#define K(m) offsetof(struct pm_key, m), sizeof(((struct pm_key *)0)->m)
#define FF6                                                                                        \
	{                                                                                          \
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff                                                 \
	}
#define FF4                                                                                        \
	{                                                                                          \
		0xff, 0xff, 0xff, 0xff                                                             \
	}
#define FF16                                                                                       \
	{                                                                                          \
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,      \
				0xff, 0xff, 0xff                                                   \
	}

/* Packet fields: expected container bytes (network order). */
static const struct {
	const char *prefix; /* other tokens the field needs */
	const char *text;
	size_t off, len;
	uint8_t v[16], m[16];
} net_cases[] = {
	{ "", "dl_src=00:11:22:33:44:55", K(dl_src), { 0, 0x11, 0x22, 0x33, 0x44, 0x55 }, FF6 },
	{ "",
	  "dl_dst=01:00:5e:7f:01:02/ff:ff:ff:80:00:00",
	  K(dl_dst),
	  { 0x01, 0, 0x5e, 0, 0, 0 },
	  { 0xff, 0xff, 0xff, 0x80, 0, 0 } },
	{ "",
	  "eth_src=AA:bb:CC:dd:EE:ff/ff:ff:ff:00:00:00",
	  K(dl_src),
	  { 0xaa, 0xbb, 0xcc, 0, 0, 0 },
	  { 0xff, 0xff, 0xff, 0, 0, 0 } },
	{ "", "eth_dst=1:2:3:a:b:c", K(dl_dst), { 1, 2, 3, 0xa, 0xb, 0xc }, FF6 },
	{ "", "dl_type=0x88cc", K(dl_type), { 0x88, 0xcc }, { 0xff, 0xff } },
	{ "", "eth_type=2048", K(dl_type), { 0x08, 0x00 }, { 0xff, 0xff } },
	{ "", "dl_vlan=100", K(vlan_tci), { 0x10, 0x64 }, { 0x1f, 0xff } },
	{ "", "dl_vlan=0", K(vlan_tci), { 0x10, 0x00 }, { 0x1f, 0xff } },
	{ "", "dl_vlan=0xffff", K(vlan_tci), { 0, 0 }, { 0xff, 0xff } },
	{ "", "dl_vlan_pcp=5", K(vlan_tci), { 0xb0, 0x00 }, { 0xf0, 0x00 } },
	{ "", "vlan_pcp=1", K(vlan_tci), { 0x30, 0x00 }, { 0xf0, 0x00 } },
	{ "dl_vlan=4095", "dl_vlan_pcp=7", K(vlan_tci), { 0xff, 0xff }, { 0xff, 0xff } },
	{ "", "vlan_tci=0x1234/0x1fff", K(vlan_tci), { 0x12, 0x34 }, { 0x1f, 0xff } },
	{ "", "vlan_tci=0xf123", K(vlan_tci), { 0xf1, 0x23 }, { 0xff, 0xff } },
	{ "", "vlan_tci=0x1000/0x1000", K(vlan_tci), { 0x10, 0x00 }, { 0x10, 0x00 } },
	{ "ip", "nw_src=192.168.1.77/24", K(nw_src), { 192, 168, 1, 0 }, { 255, 255, 255, 0 } },
	{ "ip", "nw_dst=10.1.2.3", K(nw_dst), { 10, 1, 2, 3 }, FF4 },
	{ "ip", "nw_dst=10.1.2.3/0", K(nw_dst), { 0 }, { 0 } },
	{ "ip", "ip_src=10.1.2.3/255.0.255.0", K(nw_src), { 10, 0, 2, 0 }, { 255, 0, 255, 0 } },
	{ "ip", "ip_dst=172.16.0.1/12", K(nw_dst), { 172, 16, 0, 0 }, { 255, 240, 0, 0 } },
	{ "arp", "nw_src=1.2.3.4", K(nw_src), { 1, 2, 3, 4 }, FF4 },
	{ "arp", "arp_spa=1.2.3.4/16", K(nw_src), { 1, 2, 0, 0 }, { 255, 255, 0, 0 } },
	{ "arp", "arp_tpa=5.6.7.8", K(nw_dst), { 5, 6, 7, 8 }, FF4 },
	{ "arp", "arp_op=2", K(nw_proto), { 2 }, { 0xff } },
	{ "arp", "nw_proto=1", K(nw_proto), { 1 }, { 0xff } },
	{ "arp", "arp_sha=de:ad:be:ef:00:01", K(arp_sha), { 0xde, 0xad, 0xbe, 0xef, 0, 1 }, FF6 },
	{ "arp", "arp_tha=ff:ff:ff:ff:ff:ff/01:00:00:00:00:00", K(arp_tha), { 1 }, { 1 } },
	{ "ip", "nw_proto=47", K(nw_proto), { 47 }, { 0xff } },
	{ "ipv6", "ip_proto=0x3a", K(nw_proto), { 58 }, { 0xff } },
	{ "ip", "nw_tos=0xb8", K(nw_tos), { 0xb8 }, { 0xfc } },
	{ "ip", "ip_dscp=46", K(nw_tos), { 0xb8 }, { 0xfc } },
	{ "ip", "nw_ecn=3", K(nw_tos), { 0x03 }, { 0x03 } },
	{ "ipv6", "ip_ecn=1", K(nw_tos), { 0x01 }, { 0x03 } },
	{ "ip,nw_tos=4", "nw_ecn=2", K(nw_tos), { 0x06 }, { 0xff } },
	{ "ip", "nw_ttl=64", K(nw_ttl), { 64 }, { 0xff } },
	{ "ip", "ip_frag=no", K(nw_frag), { 0 }, { 3 } },
	{ "ip", "ip_frag=first", K(nw_frag), { 1 }, { 3 } },
	{ "ip", "ip_frag=later", K(nw_frag), { 3 }, { 3 } },
	{ "ipv6", "ip_frag=yes", K(nw_frag), { 1 }, { 1 } },
	{ "ip", "nw_frag=not_later", K(nw_frag), { 0 }, { 2 } },
	{ "ip", "ip_frag=0x1/0x3", K(nw_frag), { 1 }, { 3 } },
	{ "ipv6",
	  "ipv6_src=2001:db8::1",
	  K(ipv6_src),
	  { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	  FF16 },
	{ "ipv6",
	  "ipv6_dst=2001:db8:0:1:2::/64",
	  K(ipv6_dst),
	  { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 },
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ "ipv6",
	  "ipv6_dst=fe80::1:1/ffff::ff",
	  K(ipv6_dst),
	  { 0xfe, 0x80, [15] = 1 },
	  { 0xff, 0xff, [15] = 0xff } },
	{ "ipv6", "ipv6_src=::/0", K(ipv6_src), { 0 }, { 0 } },
	{ "ipv6",
	  "ipv6_label=0x12345",
	  K(ipv6_label),
	  { 0, 0x01, 0x23, 0x45 },
	  { 0, 0x0f, 0xff, 0xff } },
	{ "ipv6", "ipv6_label=0x15/0xf", K(ipv6_label), { 0, 0, 0, 0x05 }, { 0, 0, 0, 0x0f } },
	{ "tcp", "tp_src=80", K(tp_src), { 0, 80 }, { 0xff, 0xff } },
	{ "udp", "tp_dst=0x1234/0xf000", K(tp_dst), { 0x10, 0 }, { 0xf0, 0 } },
	{ "tcp", "tcp_dst=443", K(tp_dst), { 0x01, 0xbb }, { 0xff, 0xff } },
	{ "udp", "udp_src=53", K(tp_src), { 0, 53 }, { 0xff, 0xff } },
	{ "sctp", "sctp_dst=9", K(tp_dst), { 0, 9 }, { 0xff, 0xff } },
	{ "tcp6", "tp_src=65535", K(tp_src), { 0xff, 0xff }, { 0xff, 0xff } },
	{ "udp6", "udp_dst=0/0x8000", K(tp_dst), { 0, 0 }, { 0x80, 0 } },
	{ "tcp", "tcp_flags=+syn-ack", K(tcp_flags), { 0x00, 0x02 }, { 0x00, 0x12 } },
	{ "tcp", "tcp_flags=0x012/0x0ff", K(tcp_flags), { 0x00, 0x12 }, { 0x00, 0xff } },
	{ "tcp", "tcp_flags=syn|fin", K(tcp_flags), { 0x00, 0x03 }, { 0x0f, 0xff } },
	{ "tcp", "tcp_flags=+ns", K(tcp_flags), { 0x01, 0x00 }, { 0x01, 0x00 } },
	{ "tcp6", "tcp_flags=0x800", K(tcp_flags), { 0x08, 0x00 }, { 0x0f, 0xff } },
	{ "icmp", "icmp_type=8", K(tp_src), { 0, 8 }, { 0xff, 0xff } },
	{ "icmp", "icmp_code=3", K(tp_dst), { 0, 3 }, { 0xff, 0xff } },
	{ "icmp", "icmpv4_type=255", K(tp_src), { 0, 255 }, { 0xff, 0xff } },
	{ "icmp6", "icmpv6_type=135", K(tp_src), { 0, 135 }, { 0xff, 0xff } },
	{ "icmp6", "icmp_code=4", K(tp_dst), { 0, 4 }, { 0xff, 0xff } },
	{ "",
	  "tun_id=0x1234",
	  K(tun_id),
	  { 0, 0, 0, 0, 0, 0, 0x12, 0x34 },
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ "", "tun_id=0x1234/0xf0", K(tun_id), { [7] = 0x30 }, { [7] = 0xf0 } },
	{ "", "tunnel_id=0xffffffffffffffff", K(tun_id), FF16, FF16 },
	{ "", "tun_src=192.0.2.1", K(tun_src), { 192, 0, 2, 1 }, FF4 },
	{ "", "tun_dst=10.9.8.7/8", K(tun_dst), { 10, 0, 0, 0 }, { 255, 0, 0, 0 } },
	{ "ct_state=+est",
	  "ct_nw_src=1.2.3.4/24",
	  K(ct_nw_src),
	  { 1, 2, 3, 0 },
	  { 255, 255, 255, 0 } },
	{ "ct_state=+trk-inv", "ct_nw_dst=4.3.2.1", K(ct_nw_dst), { 4, 3, 2, 1 }, FF4 },
	{ "ct_state=+est",
	  "ct_ipv6_src=2001:db8::7",
	  K(ct_ipv6_src),
	  { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 },
	  FF16 },
	{ "ct_state=+new",
	  "ct_ipv6_dst=2001:db8:0:1:2::/64",
	  K(ct_ipv6_dst),
	  { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1 },
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ "ct_state=+new", "ct_nw_proto=6", K(ct_nw_proto), { 6 }, { 0xff } },
	{ "ct_state=+rel", "ct_tp_src=80", K(ct_tp_src), { 0, 80 }, { 0xff, 0xff } },
	{ "ct_state=+rpl", "ct_tp_dst=0x1ff/0xff00", K(ct_tp_dst), { 0x01, 0 }, { 0xff, 0 } },
	{ "", "ct_label=0x1", K(ct_label), { [15] = 1 }, FF16 },
	{ "", "ct_label=0x0102/0xff00", K(ct_label), { [14] = 1 }, { [14] = 0xff } },
	{ "",
	  "ct_label=0x000102030405060708090a0b0c0d0e0f",
	  K(ct_label),
	  { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	  FF16 },
	{ "", "ct_label=258", K(ct_label), { [14] = 1, [15] = 2 }, FF16 },
};

/* Metadata fields: expected values in host order. */
static const struct {
	const char *prefix;
	const char *text;
	size_t off, len;
	uint64_t v, m;
} host_cases[] = {
	{ "", "in_port=5", K(in_port), 5, 0xffff },
	{ "", "in_port=65279", K(in_port), 65279, 0xffff },
	{ "", "in_port=vhu0", K(in_port), 1, 0xffff },
	{ "", "metadata=0x1122334455667788", K(metadata), 0x1122334455667788, UINT64_MAX },
	{ "", "metadata=0x1f/0xf0", K(metadata), 0x10, 0xf0 },
	{ "", "reg0=0x5", K(regs[0]), 5, 0xffffffff },
	{ "", "reg3=0x1234/0xff", K(regs[3]), 0x34, 0xff },
	{ "", "reg7=4294967295", K(regs[7]), 0xffffffff, 0xffffffff },
	{ "", "ct_mark=0x7", K(ct_mark), 7, 0xffffffff },
	{ "", "ct_mark=0x10/0x30", K(ct_mark), 0x10, 0x30 },
	{ "", "ct_zone=100", K(ct_zone), 100, 0xffff },
	{ "", "ct_state=+trk+new", K(ct_state), 0x21, 0x21 },
	{ "", "ct_state=-trk", K(ct_state), 0, 0x20 },
	{ "", "ct_state=+est-inv+trk", K(ct_state), 0x22, 0x32 },
	{ "", "ct_state=+rel+rpl", K(ct_state), 0x0c, 0x0c },
	{ "", "ct_state=0x21/0x3f", K(ct_state), 0x21, 0x3f },
	{ "", "ct_state=trk|est", K(ct_state), 0x22, 0x3f },
	{ "", "recirc_id=0x42", K(recirc_id), 0x42, 0xffffffff },
};

/* Parses prefix then prefix+text; checks the field bytes and that nothing else changed. */
static void
check_field_bytes(const char *prefix, const char *text, size_t off, size_t len, const uint8_t *v,
                  const uint8_t *m)
{
	struct vs_flow_spec base, spec;
	char full[256];
	const uint8_t *bk = (const uint8_t *)&base.key, *bm = (const uint8_t *)&base.mask;
	const uint8_t *k = (const uint8_t *)&spec.key, *mk = (const uint8_t *)&spec.mask;
	size_t i;

	snprintf(full, sizeof(full), "%s%s%s", prefix, prefix[0] ? "," : "", text);
	parse_ok(prefix, VS_FP_DEL, &test_names, &base);
	parse_ok(full, VS_FP_DEL, &test_names, &spec);
	for (i = 0; i < sizeof(struct pm_key); i++) {
		bool in = i >= off && i < off + len;
		uint8_t ek = in ? v[i - off] : bk[i], em = in ? m[i - off] : bm[i];

		if (k[i] != ek || mk[i] != em)
			fail_msg("'%s': byte %zu is %02x/%02x, expected %02x/%02x", full, i, k[i],
			         mk[i], ek, em);
	}
	assert_int_equal(spec.n_actions, 0);
}

static void
test_vs_flow_match_packet_field_bytes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(net_cases); i++)
		check_field_bytes(net_cases[i].prefix, net_cases[i].text, net_cases[i].off,
		                  net_cases[i].len, net_cases[i].v, net_cases[i].m);
}

static void
host_bytes(uint64_t v, size_t len, uint8_t *out)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (len) {
	case 1:
		memcpy(out, &u8, 1);
		break;
	case 2:
		memcpy(out, &u16, 2);
		break;
	case 4:
		memcpy(out, &u32, 4);
		break;
	default:
		memcpy(out, &v, 8);
		break;
	}
}

static void
test_vs_flow_match_metadata_field_bytes(void **state)
{
	uint8_t v[8], m[8];
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(host_cases); i++) {
		host_bytes(host_cases[i].v, host_cases[i].len, v);
		host_bytes(host_cases[i].m, host_cases[i].len, m);
		check_field_bytes(host_cases[i].prefix, host_cases[i].text, host_cases[i].off,
		                  host_cases[i].len, v, m);
	}
}

static void
test_vs_flow_match_later_field_overrides(void **state)
{
	struct vs_flow_spec spec;

	(void)state;
	/* Same container twice: the last value wins, bits outside the field stay. */
	parse_ok("ip,nw_tos=8,nw_ecn=1,ip_dscp=3", VS_FP_DEL, NULL, &spec);
	assert_int_equal(spec.key.nw_tos, 0x0d);
	assert_int_equal(spec.mask.nw_tos, 0xff);
	parse_ok("dl_vlan_pcp=3,dl_vlan=0xffff", VS_FP_DEL, NULL, &spec);
	assert_int_equal(ntohs(spec.key.vlan_tci), 0x0000);
	assert_int_equal(ntohs(spec.mask.vlan_tci), 0xffff);
	parse_ok("reg1=0xff,reg1=0x1/0x1", VS_FP_DEL, NULL, &spec);
	assert_int_equal(spec.key.regs[1], 1);
	assert_int_equal(spec.mask.regs[1], 1);
	parse_ok("tcp,ip", VS_FP_DEL, NULL, &spec);
	assert_int_equal(ntohs(spec.key.dl_type), 0x0800);
	assert_int_equal(spec.key.nw_proto, 6);
	parse_ok("ip,udp6", VS_FP_DEL, NULL, &spec);
	assert_int_equal(ntohs(spec.key.dl_type), 0x86dd);
	assert_int_equal(spec.key.nw_proto, 17);
}

/* Regression (fuzzing): a shorthand's nw_proto must not survive a dl_type= that contradicts it,
 * or the rule prints as a flow that does not parse back. */
static void
test_vs_flow_shorthand_dl_type_conflict(void **state)
{
	struct vs_flow_spec spec;
	char err[256];

	(void)state;
	assert_int_equal(vs_flow_parse("icmp,dl_type=0x08 actions=drop", VS_FP_ADD, NULL, &spec,
	                               err, sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "dl_type=0x0008 conflicts with 'icmp'"));
	vs_flow_spec_free(&spec);
	assert_int_equal(vs_flow_parse("tcp,dl_type=0x86dd actions=drop", VS_FP_ADD, NULL, &spec,
	                               err, sizeof(err)),
	                 -EINVAL);
	vs_flow_spec_free(&spec);
	/* Regression (fuzzing): resubmit(in_port,) names neither port nor table. */
	assert_int_equal(vs_flow_parse("ip actions=resubmit(in_port,)", VS_FP_ADD, NULL, &spec, err,
	                               sizeof(err)),
	                 -EINVAL);
	assert_non_null(strstr(err, "at least one of port and table"));
	vs_flow_spec_free(&spec);
	/* Agreeing or later shorthands are fine. */
	assert_int_equal(vs_flow_parse("icmp,dl_type=0x0800 actions=drop", VS_FP_ADD, NULL, &spec,
	                               err, sizeof(err)),
	                 0);
	vs_flow_spec_free(&spec);
	assert_int_equal(vs_flow_parse("dl_type=0x86dd,icmp actions=drop", VS_FP_ADD, NULL, &spec,
	                               err, sizeof(err)),
	                 0);
	vs_flow_spec_free(&spec);
}

static void
test_vs_flow_shorthands(void **state)
{
	static const struct {
		const char *name;
		uint16_t dl_type;
		int nw_proto; /* -1: not matched */
	} cases[] = {
		{ "ip", 0x0800, -1 },    { "ipv6", 0x86dd, -1 },   { "arp", 0x0806, -1 },
		{ "icmp", 0x0800, 1 },   { "icmp6", 0x86dd, 58 },  { "tcp", 0x0800, 6 },
		{ "udp", 0x0800, 17 },   { "tcp6", 0x86dd, 6 },    { "udp6", 0x86dd, 17 },
		{ "sctp", 0x0800, 132 }, { "sctp6", 0x86dd, 132 },
	};
	struct vs_flow_spec spec;
	struct pm_key zero;
	size_t i;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < N_ELEMS(cases); i++) {
		parse_ok(cases[i].name, VS_FP_DEL, NULL, &spec);
		assert_int_equal(ntohs(spec.key.dl_type), cases[i].dl_type);
		assert_int_equal(spec.mask.dl_type, 0xffff);
		if (cases[i].nw_proto < 0) {
			assert_int_equal(spec.mask.nw_proto, 0);
		} else {
			assert_int_equal(spec.key.nw_proto, cases[i].nw_proto);
			assert_int_equal(spec.mask.nw_proto, 0xff);
		}
		/* Nothing else is matched. */
		spec.mask.dl_type = 0;
		spec.mask.nw_proto = 0;
		assert_memory_equal(&spec.mask, &zero, sizeof(zero));
	}
}

static void
test_vs_flow_flow_params(void **state)
{
	struct vs_flow_spec spec;

	(void)state;
	parse_ok("", VS_FP_DEL, NULL, &spec);
	assert_int_equal(spec.priority, VS_FLOW_PRIO_DEFAULT);
	assert_false(spec.has_priority);
	assert_false(spec.has_table);
	assert_int_equal(spec.cookie_mask, 0);

	parse_ok("table=7 priority=0,cookie=0x1234/0xff00,tcp", VS_FP_DEL, NULL, &spec);
	assert_int_equal(spec.table_id, 7);
	assert_true(spec.has_table);
	assert_int_equal(spec.priority, 0);
	assert_true(spec.has_priority);
	assert_int_equal(spec.cookie, 0x1200);
	assert_int_equal(spec.cookie_mask, 0xff00);

	/* A match on the whole cookie prints with its mask, so that it parses as a
	 * match again (fuzz_flow_syntax finding: "cookie=0" does not). */
	{
		char out[256];
		struct vs_flow_spec again;

		parse_ok("cookie=0/0xffffffffffffffff", VS_FP_DEL, NULL, &spec);
		vs_flow_format(&spec, NULL, out, sizeof(out));
		assert_non_null(strstr(out, "cookie=0/0xffffffffffffffff"));
		parse_ok(out, 0, NULL, &again);
		assert_int_equal(again.cookie_mask, UINT64_MAX);
		assert_int_equal(again.cookie, 0);
	}

	parse_ok("  table=254,,priority=65535\tcookie=0xffffffffffffffff ,idle_timeout=10 "
	         "hard_timeout=65535, actions=drop",
	         VS_FP_ADD, NULL, &spec);
	assert_int_equal(spec.table_id, 254);
	assert_int_equal(spec.priority, 65535);
	assert_int_equal(spec.cookie, UINT64_MAX);
	assert_int_equal(spec.cookie_mask, UINT64_MAX);
	assert_int_equal(spec.idle_timeout, 10);
	assert_int_equal(spec.hard_timeout, 65535);
	assert_int_equal(spec.n_actions, 0);

	/* Numbers take 0x or 0X hex. */
	parse_ok("priority=0XfF,table=0x0a", VS_FP_DEL, NULL, &spec);
	assert_int_equal(spec.priority, 255);
	assert_int_equal(spec.table_id, 10);

	/* "action=" is accepted like ovs-ofctl; with flags 0 actions are optional. */
	parse_ok("ip action=output:3", VS_FP_ADD, NULL, &spec);
	assert_int_equal(spec.n_actions, 1);
	parse_ok("ip", 0, NULL, &spec);
	assert_int_equal(spec.n_actions, 0);
	parse_ok("ip actions=2", 0, NULL, &spec);
	assert_int_equal(spec.actions[0].arg, 2);
}

/* --- prerequisites ----------------------------------------------------- */

static void
test_vs_flow_prereqs_satisfied_in_any_order(void **state)
{
	static const char *const ok[] = {
		"nw_src=1.2.3.4,ip",
		"nw_dst=1.2.3.4,dl_type=0x0806",
		"tp_dst=80,nw_proto=6,dl_type=0x0800",
		"tp_src=1,dl_type=0x86dd,nw_proto=132",
		"icmp_type=3,icmp",
		"icmp_code=0,nw_proto=58,ipv6",
		"arp_op=1,arp",
		"tcp_flags=+syn,tcp6",
		"ipv6_label=1,ipv6",
		"ct_nw_src=1.1.1.1,ct_state=+trk-inv",
		"ct_tp_dst=1,ct_state=+est",
		"dl_vlan_pcp=3",
		"dl_vlan=5",
		"tcp,ip_frag=first,tp_dst=1",
		"udp,ip_frag=not_later,tp_src=1",
		"icmp,ip_frag=later,icmp_type=1",
		"ip,nw_ttl=1,nw_tos=4,nw_ecn=1,ip_dscp=1,ip_frag=no",
		"ipv6,nw_proto=17,nw_ttl=1",
		"arp,nw_proto=2",
		"reg0=1,metadata=2,tun_id=3,in_port=4,ct_zone=5,ct_mark=6,ct_label=7,recirc_id=8",
	};
	struct vs_flow_spec spec;
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(ok); i++)
		parse_ok(ok[i], VS_FP_DEL, NULL, &spec);
}

static void
test_vs_flow_prereqs_enforced(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "nw_src=1.1.1.1", "nw_src requires ip or arp (dl_type)" },
		{ "ipv6,nw_dst=1.1.1.1", "nw_dst requires ip or arp (dl_type)" },
		{ "arp,ip_src=1.1.1.1", "ip_src requires ip (dl_type)" },
		{ "ip,ipv6_src=::1", "ipv6_src requires ipv6 (dl_type)" },
		{ "ipv6_label=1", "ipv6_label requires ipv6 (dl_type)" },
		{ "ip,arp_op=1", "arp_op requires arp (dl_type)" },
		{ "ip,arp_spa=1.1.1.1", "arp_spa requires arp (dl_type)" },
		{ "arp_sha=1:2:3:4:5:6", "arp_sha requires arp (dl_type)" },
		{ "nw_proto=6", "nw_proto requires ip, ipv6 or arp (dl_type)" },
		{ "arp,nw_tos=4", "nw_tos requires ip or ipv6 (dl_type)" },
		{ "nw_ttl=1", "nw_ttl requires ip or ipv6 (dl_type)" },
		{ "ip_frag=no", "ip_frag requires ip or ipv6 (dl_type)" },
		{ "tp_src=1", "tp_src requires tcp, udp or sctp (nw_proto)" },
		{ "ip,tp_dst=1", "tp_dst requires tcp, udp or sctp (nw_proto)" },
		/* The first field (in text order) whose prerequisites fail is named. */
		{ "nw_proto=6,tp_dst=1", "nw_proto requires ip, ipv6 or arp (dl_type)" },
		{ "tp_dst=1,nw_proto=6", "tp_dst requires tcp, udp or sctp (nw_proto)" },
		{ "arp,nw_proto=6,tp_dst=1", "tp_dst requires tcp, udp or sctp (nw_proto)" },
		{ "udp,tcp_src=1", "tcp_src requires tcp (nw_proto)" },
		{ "tcp,udp_dst=1", "udp_dst requires udp (nw_proto)" },
		{ "tcp,sctp_dst=1", "sctp_dst requires sctp (nw_proto)" },
		{ "udp,tcp_flags=+syn", "tcp_flags requires tcp (nw_proto)" },
		{ "ip,icmp_type=1", "icmp_type requires icmp or icmp6 (nw_proto)" },
		{ "ipv6,nw_proto=1,icmp_type=1", "icmp_type requires icmp or icmp6 (nw_proto)" },
		{ "ip,nw_proto=58,icmp_code=1", "icmp_code requires icmp or icmp6 (nw_proto)" },
		{ "icmp,icmpv6_type=1", "icmpv6_type requires icmp6 (nw_proto)" },
		{ "icmp6,icmpv4_code=1", "icmpv4_code requires icmp (nw_proto)" },
		{ "tcp,ip_frag=later,tp_dst=80", "tp_dst cannot match later fragments (ip_frag)" },
		{ "tcp,tcp_flags=+syn,ip_frag=later",
		  "tcp_flags cannot match later fragments (ip_frag)" },
		{ "ct_tp_src=1",
		  "ct_tp_src requires ct_state with +new, +est, +rel, +rpl or +trk-inv" },
		{ "ct_state=+trk,ct_nw_proto=6",
		  "ct_nw_proto requires ct_state with +new, +est, +rel, +rpl or +trk-inv" },
		{ "ct_state=-new,ct_nw_src=1.1.1.1",
		  "ct_nw_src requires ct_state with +new, +est, +rel, +rpl or +trk-inv" },
		{ "ct_state=+trk+inv,ct_nw_dst=1.1.1.1",
		  "ct_nw_dst requires ct_state with +new, +est, +rel, +rpl or +trk-inv" },
		{ "ct_ipv6_src=::1",
		  "ct_ipv6_src requires ct_state with +new, +est, +rel, +rpl or +trk-inv" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++)
		parse_err(cases[i].text, VS_FP_DEL, NULL, cases[i].err);
}

/* --- actions ----------------------------------------------------------- */

static const struct vs_action *
one_action(struct vs_flow_spec *spec, const char *actions, enum vs_act_type type)
{
	char text[512];

	snprintf(text, sizeof(text), "actions=%s", actions);
	parse_ok(text, VS_FP_ADD, &test_names, spec);
	assert_int_equal(spec->n_actions, 1);
	assert_int_equal(spec->actions[0].type, type);
	return &spec->actions[0];
}

static void
test_vs_flow_actions_forwarding(void **state)
{
	struct vs_flow_spec spec;
	const struct vs_action *a;

	(void)state;
	a = one_action(&spec, "output:5", VS_ACT_OUTPUT);
	assert_int_equal(a->arg, 5);
	a = one_action(&spec, "OUTPUT:0x10", VS_ACT_OUTPUT);
	assert_int_equal(a->arg, 16);
	a = one_action(&spec, "65279", VS_ACT_OUTPUT);
	assert_int_equal(a->arg, 65279);
	one_action(&spec, "in_port", VS_ACT_IN_PORT);
	one_action(&spec, "IN_PORT", VS_ACT_IN_PORT);
	one_action(&spec, "flood", VS_ACT_FLOOD);
	one_action(&spec, "all", VS_ACT_ALL);
	one_action(&spec, "NORMAL", VS_ACT_NORMAL);
	a = one_action(&spec, "resubmit(,3)", VS_ACT_RESUBMIT);
	assert_int_equal(a->port, VS_OFPORT_NONE);
	assert_int_equal(a->arg, 3);
	a = one_action(&spec, "resubmit(4,5)", VS_ACT_RESUBMIT);
	assert_int_equal(a->port, 4);
	assert_int_equal(a->arg, 5);
	a = one_action(&spec, "resubmit:6", VS_ACT_RESUBMIT);
	assert_int_equal(a->port, 6);
	assert_int_equal(a->arg, VS_RESUBMIT_CUR_TABLE);
	a = one_action(&spec, "resubmit( 7 , )", VS_ACT_RESUBMIT);
	assert_int_equal(a->port, 7);
	assert_int_equal(a->arg, VS_RESUBMIT_CUR_TABLE);
	a = one_action(&spec, "resubmit(in_port,0)", VS_ACT_RESUBMIT);
	assert_int_equal(a->port, VS_OFPORT_NONE);
	assert_int_equal(a->arg, 0);
	a = one_action(&spec, "goto_table:9", VS_ACT_GOTO_TABLE);
	assert_int_equal(a->arg, 9);
	parse_ok("table=3 actions=goto_table:254", VS_FP_ADD, NULL, &spec);
	assert_int_equal(spec.actions[0].arg, 254);

	parse_ok("actions=drop", VS_FP_ADD, NULL, &spec);
	assert_int_equal(spec.n_actions, 0);
	parse_ok("actions=", VS_FP_ADD, NULL, &spec);
	assert_int_equal(spec.n_actions, 0);
	parse_ok("actions=1, 2 ,3,", VS_FP_ADD, NULL, &spec);
	assert_int_equal(spec.n_actions, 3);
	assert_int_equal(spec.actions[2].arg, 3);
}

static void
test_vs_flow_actions_vlan(void **state)
{
	struct vs_flow_spec spec;
	const struct vs_action *a;

	(void)state;
	a = one_action(&spec, "mod_vlan_vid:4095", VS_ACT_MOD_VLAN_VID);
	assert_int_equal(a->arg, 4095);
	a = one_action(&spec, "mod_vlan_pcp:7", VS_ACT_MOD_VLAN_PCP);
	assert_int_equal(a->arg, 7);
	one_action(&spec, "strip_vlan", VS_ACT_STRIP_VLAN);
	one_action(&spec, "pop_vlan", VS_ACT_STRIP_VLAN);
	a = one_action(&spec, "push_vlan:0x8100", VS_ACT_PUSH_VLAN);
	assert_int_equal(a->arg, 0x8100);
	a = one_action(&spec, "push_vlan:0x88a8", VS_ACT_PUSH_VLAN);
	assert_int_equal(a->arg, 0x88a8);
	one_action(&spec, "dec_ttl", VS_ACT_DEC_TTL);
	one_action(&spec, "ct_clear", VS_ACT_CT_CLEAR);
}

/* Checks a SET_FIELD action's field, spelling and container bytes. */
static void
check_set_field(const char *actions, enum vs_field f, enum vs_set_spelling sp, const uint8_t *v,
                const uint8_t *m, size_t len)
{
	struct vs_flow_spec spec;
	const struct vs_action *a = one_action(&spec, actions, VS_ACT_SET_FIELD);
	uint8_t zero[16] = { 0 };

	assert_int_equal(a->field, f);
	assert_int_equal(a->spelling, sp);
	assert_memory_equal(a->value, v, len);
	assert_memory_equal(a->mask, m, len);
	assert_memory_equal(a->value + len, zero, 16 - len);
	assert_memory_equal(a->mask + len, zero, 16 - len);
}

static void
test_vs_flow_actions_set_field(void **state)
{
	static const uint8_t ip1[] = { 10, 0, 0, 1 }, ff[16] = FF16;
	static const uint8_t mac[] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	static const uint8_t p80[] = { 0, 80 }, p50[] = { 0, 0x50 }, pm[] = { 0xff, 0xf0 };
	static const uint8_t vid[] = { 0x10, 0x05 }, vidm[] = { 0x1f, 0xff };
	static const uint8_t none[] = { 0, 0 }, icmp[] = { 0, 8 };
	static const uint8_t tos[] = { 8 }, tosm[] = { 0xfc }, ttl[] = { 9 };
	uint8_t r2[4], r2m[4];

	(void)state;
	check_set_field("set_field:10.0.0.1->nw_src", VS_F_NW_SRC, VS_SET_FIELD, ip1, ff, 4);
	check_set_field("set_field:aa:bb:cc:dd:ee:ff->eth_dst", VS_F_DL_DST, VS_SET_FIELD, mac, ff,
	                6);
	check_set_field("set_field:80->tcp_dst", VS_F_TP_DST, VS_SET_FIELD, p80, ff, 2);
	check_set_field("set_field:0x5a/0xfff0->tp_src", VS_F_TP_SRC, VS_SET_FIELD, p50, pm, 2);
	check_set_field("set_field:5->dl_vlan", VS_F_DL_VLAN, VS_SET_FIELD, vid, vidm, 2);
	check_set_field("set_field:0xffff->dl_vlan", VS_F_DL_VLAN, VS_SET_FIELD, none, ff, 2);
	check_set_field("set_field:8->icmp_type", VS_F_ICMP_TYPE, VS_SET_FIELD, icmp, ff, 2);
	host_bytes(0x05, 4, r2);
	host_bytes(0xff, 4, r2m);
	check_set_field("set_field:0x105/0xff->reg2", VS_F_REG2, VS_SET_FIELD, r2, r2m, 4);
	check_set_field("mod_dl_src:AA:BB:CC:DD:EE:FF", VS_F_DL_SRC, VS_SET_MOD, mac, ff, 6);
	check_set_field("mod_dl_dst:aa:bb:cc:dd:ee:ff", VS_F_DL_DST, VS_SET_MOD, mac, ff, 6);
	check_set_field("mod_nw_src:10.0.0.1", VS_F_NW_SRC, VS_SET_MOD, ip1, ff, 4);
	check_set_field("mod_nw_dst:10.0.0.1", VS_F_NW_DST, VS_SET_MOD, ip1, ff, 4);
	check_set_field("mod_tp_src:80", VS_F_TP_SRC, VS_SET_MOD, p80, ff, 2);
	check_set_field("mod_tp_dst:80", VS_F_TP_DST, VS_SET_MOD, p80, ff, 2);
	check_set_field("mod_nw_tos:8", VS_F_NW_TOS, VS_SET_MOD, tos, tosm, 1);
	check_set_field("mod_nw_ttl:9", VS_F_NW_TTL, VS_SET_MOD, ttl, ff, 1);
}

static void
test_vs_flow_actions_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "actions=set_field:1->in_port", "set_field: in_port is not settable" },
		{ "actions=set_field:+trk->ct_state", "set_field: ct_state is not settable" },
		{ "actions=set_field:1->recirc_id", "set_field: recirc_id is not settable" },
		{ "actions=set_field:0x800->dl_type", "set_field: dl_type is not settable" },
		{ "actions=set_field:1->ct_mark",
		  "set_field: ct_mark can only be set in ct(commit,exec(...))" },
		{ "actions=set_field:1->foo", "set_field: unknown field 'foo'" },
		{ "actions=set_field:1", "set_field: missing '->' in '1'" },
		{ "actions=set_field:1/1->nw_ttl", "bad value '1/1' (no mask allowed) for nw_ttl" },
		{ "actions=set_field:300->icmp_type", "bad value '300' for icmp_type" },
		{ "actions=mod_nw_tos:3", "bad value '3' for mod_nw_tos" },
		{ "actions=mod_nw_src:1.2.3.0/24", "bad value '1.2.3.0/24' for mod_nw_src" },
		{ "actions=mod_dl_src:1:2:3", "bad value '1:2:3' for mod_dl_src" },
		{ "actions=mod_vlan_vid:4096", "bad value '4096' for mod_vlan_vid" },
		{ "actions=mod_vlan_pcp:8", "bad value '8' for mod_vlan_pcp" },
		{ "actions=push_vlan:0x800", "bad value '0x800' for push_vlan (0x8100 or 0x88a8)" },
		{ "actions=goto_table:255", "bad value '255' for goto_table" },
		{ "table=5 actions=goto_table:5", "goto_table:5 must go to a table after 5" },
		{ "actions=goto_table:1,output:2", "goto_table must be the last action" },
		{ "actions=resubmit(,)", "resubmit: at least one of port and table must be given" },
		{ "actions=resubmit(1,2,3)", "bad resubmit arguments '(1,2,3)': use (PORT,TABLE)" },
		{ "actions=resubmit(,255)", "bad table '255' for resubmit" },
		{ "actions=resubmit:0", "bad value '0' for resubmit" },
		{ "actions=output:0", "bad value '0' for output" },
		{ "actions=output:65280", "bad value '65280' for output" },
		{ "actions=output", "missing argument for output" },
		{ "actions=output(port=1)", "output(...) is not supported" },
		{ "actions=dec_ttl(1)", "dec_ttl(...) is not supported" },
		{ "actions=output:1,drop", "\"drop\" must not be accompanied by any other action" },
		{ "actions=drop,drop,normal",
		  "\"drop\" must not be accompanied by any other action" },
		{ "actions=strip_vlan:1", "trailing garbage ':1' after 'strip_vlan'" },
		{ "actions=ct:1", "trailing garbage ':1' after 'ct'" },
		{ "actions=learn(table=1)", "unknown action 'learn'" },
		{ "actions=load:1->NXM_NX_REG0[]", "unknown action 'load'" },
		{ "actions=nw_src", "unknown action 'nw_src'" },
		{ "actions=output:1)",
		  "unbalanced or too deeply nested parentheses in 'output:1)'" },
		{ "actions=ct(commit",
		  "unbalanced or too deeply nested parentheses in 'ct(commit'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++)
		parse_err(cases[i].text, VS_FP_ADD, NULL, cases[i].err);
}

static void
test_vs_flow_actions_limit(void **state)
{
	struct vs_flow_spec spec;
	char text[1024];
	int len, i;

	(void)state;
	len = snprintf(text, sizeof(text), "actions=");
	for (i = 0; i < VS_ACTIONS_MAX; i++)
		len += snprintf(text + len, sizeof(text) - (size_t)len, "%s%d", i ? "," : "",
		                i + 1);
	parse_ok(text, VS_FP_ADD, NULL, &spec);
	assert_int_equal(spec.n_actions, VS_ACTIONS_MAX);
	assert_int_equal(spec.actions[VS_ACTIONS_MAX - 1].arg, VS_ACTIONS_MAX);
	snprintf(text + len, sizeof(text) - (size_t)len, ",ct(commit)");
	parse_err(text, VS_FP_ADD, NULL, "too many actions (max 32)");
}

/* --- ct() -------------------------------------------------------------- */

static const struct vs_act_ct *
one_ct(struct vs_flow_spec *spec, const char *actions)
{
	const struct vs_action *a = one_action(spec, actions, VS_ACT_CT);

	assert_non_null(a->ct);
	return a->ct;
}

static void
test_vs_flow_ct_arguments(void **state)
{
	struct vs_flow_spec spec;
	const struct vs_act_ct *ct;
	static const uint8_t zero[16];

	(void)state;
	ct = one_ct(&spec, "ct");
	assert_false(ct->commit);
	assert_false(ct->zone_from_reg);
	assert_int_equal(ct->zone, 0);
	assert_int_equal(ct->table, VS_CT_NO_TABLE);
	assert_false(ct->set_mark);
	assert_false(ct->set_label);
	vs_flow_spec_free(&spec);

	ct = one_ct(&spec, "ct()");
	assert_false(ct->commit);
	vs_flow_spec_free(&spec);

	ct = one_ct(&spec, "ct(commit,zone=7,table=3)");
	assert_true(ct->commit);
	assert_int_equal(ct->zone, 7);
	assert_int_equal(ct->table, 3);
	vs_flow_spec_free(&spec);

	ct = one_ct(&spec, "ct( table=0 , zone=65535 )");
	assert_int_equal(ct->zone, 65535);
	assert_int_equal(ct->table, 0);
	vs_flow_spec_free(&spec);

	ct = one_ct(&spec, "ct(zone=NXM_NX_REG5[16..31])");
	assert_true(ct->zone_from_reg);
	assert_int_equal(ct->zone_reg, 5);
	assert_int_equal(ct->zone_ofs, 16);
	assert_int_equal(ct->zone_nbits, 16);
	vs_flow_spec_free(&spec);

	ct = one_ct(&spec, "ct(zone=reg1[0..15],table=4)");
	assert_true(ct->zone_from_reg);
	assert_int_equal(ct->zone_reg, 1);
	assert_int_equal(ct->zone_ofs, 0);
	assert_int_equal(ct->table, 4);
	vs_flow_spec_free(&spec);

	ct = one_ct(&spec, "ct(commit,exec(set_field:0x5->ct_mark))");
	assert_true(ct->set_mark);
	assert_int_equal(ct->mark, 5);
	assert_int_equal(ct->mark_mask, 0xffffffff);
	assert_false(ct->set_label);
	vs_flow_spec_free(&spec);

	ct = one_ct(&spec, "ct(commit,exec(set_field:0x15/0xf->ct_mark,"
	                   "set_field:0x1/0x1->ct_label))");
	assert_int_equal(ct->mark, 5);
	assert_int_equal(ct->mark_mask, 0xf);
	assert_true(ct->set_label);
	assert_memory_equal(ct->label, zero, 15);
	assert_int_equal(ct->label[15], 1);
	assert_memory_equal(ct->label_mask, zero, 15);
	assert_int_equal(ct->label_mask[15], 1);
	vs_flow_spec_free(&spec);

	ct = one_ct(&spec, "ct(commit,exec(set_field:0xabc->ct_label))");
	assert_int_equal(ct->label[14], 0x0a);
	assert_int_equal(ct->label[15], 0xbc);
	assert_memory_equal(ct->label, zero, 14);
	assert_int_equal(ct->label_mask[0], 0xff);
	assert_int_equal(ct->label_mask[15], 0xff);
	vs_flow_spec_free(&spec);

	/* Two ct actions own two allocations. */
	parse_ok("actions=ct(table=1),ct(commit,table=2)", VS_FP_ADD, NULL, &spec);
	assert_int_equal(spec.n_actions, 2);
	assert_ptr_not_equal(spec.actions[0].ct, spec.actions[1].ct);
	assert_int_equal(spec.actions[1].ct->table, 2);
	vs_flow_spec_free(&spec);
	assert_null(spec.actions[0].ct);
	assert_null(spec.actions[1].ct);
}

static void
test_vs_flow_ct_errors(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ "actions=ct(nat)", "ct: nat is not supported" },
		{ "actions=ct(commit,nat(src=10.0.0.1))", "ct: nat is not supported" },
		{ "actions=ct(force)", "ct: force is not supported" },
		{ "actions=ct(alg=ftp)", "ct: alg is not supported" },
		{ "actions=ct(commit,bogus)", "ct: bogus is not supported" },
		{ "actions=ct(zone)", "ct: zone is not supported" },
		{ "actions=ct(zone=70000)", "ct: bad zone '70000'" },
		{ "actions=ct(zone=reg0[0..7])", "ct: zone 'reg0[0..7]' must be 16 bits" },
		{ "actions=ct(zone=NXM_NX_REG0[])", "ct: zone 'NXM_NX_REG0[]' must be 16 bits" },
		{ "actions=ct(zone=reg8[0..15])", "ct: bad zone 'reg8[0..15]'" },
		{ "actions=ct(zone=reg2[5])", "ct: zone 'reg2[5]' must be 16 bits" },
		{ "actions=ct(zone=reg2[15..0])", "ct: bad zone 'reg2[15..0]'" },
		{ "actions=ct(zone=reg2[-1..14])", "ct: bad zone 'reg2[-1..14]'" },
		{ "actions=ct(zone=reg2[ 0..15])", "ct: bad zone 'reg2[ 0..15]'" },
		{ "actions=ct(zone=reg2[0..15]x)", "ct: bad zone 'reg2[0..15]x'" },
		{ "actions=ct(zone=reg1[16..40])", "ct: bad zone 'reg1[16..40]'" },
		{ "actions=ct(zone=foo)", "ct: bad zone 'foo'" },
		{ "actions=ct(table=255)", "ct: bad table '255'" },
		{ "actions=ct(exec(set_field:1->ct_mark))", "ct: exec requires commit" },
		{ "actions=ct(commit,exec(output:1))",
		  "ct: exec: only set_field to ct_mark or ct_label is supported, not "
		  "'output:1'" },
		{ "actions=ct(commit,exec(set_field:1->reg0))",
		  "ct: exec: cannot set_field reg0 (only ct_mark and ct_label)" },
		{ "actions=ct(commit,exec(set_field:x->ct_mark))", "bad value 'x' for ct_mark" },
		{ "actions=ct(commit,,table=1)", "ct: empty argument" },
		{ "actions=ct(commit)x", "trailing garbage after 'ct(commit)'" },
		{ "actions=ct(commit)(table=1)", "trailing garbage after 'ct(commit)'" },
		{ "actions=ct(((((commit)))))",
		  "unbalanced or too deeply nested parentheses in 'ct(((((commit)))))'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++)
		parse_err(cases[i].text, VS_FP_ADD, NULL, cases[i].err);
}

/* --- port names -------------------------------------------------------- */

static void
test_vs_flow_port_names(void **state)
{
	struct vs_flow_spec spec;
	char out[512];

	(void)state;
	parse_ok("in_port=eth-1.5 actions=output:dpdk0,uplink,resubmit(vhu0,1),resubmit:uplink",
	         VS_FP_ADD, &test_names, &spec);
	assert_int_equal(spec.key.in_port, 3);
	assert_int_equal(spec.n_actions, 4);
	assert_int_equal(spec.actions[0].arg, 2);
	assert_int_equal(spec.actions[1].type, VS_ACT_OUTPUT);
	assert_int_equal(spec.actions[1].arg, 10);
	assert_int_equal(spec.actions[2].port, 1);
	assert_int_equal(spec.actions[3].port, 10);

	/* Printing uses names that read back as the same port, numbers otherwise. */
	vs_flow_format(&spec, &test_names, out, sizeof(out));
	assert_string_equal(out, "in_port=eth-1.5 actions=output:dpdk0,output:uplink,"
	                         "resubmit(vhu0,1),resubmit:uplink");
	vs_flow_format(&spec, NULL, out, sizeof(out));
	assert_string_equal(out, "in_port=3 actions=output:2,output:10,resubmit(1,1),resubmit:10");

	/* Action names win over a port called "normal"; output:normal is the port. */
	parse_ok("actions=normal,output:normal,9,11,12", VS_FP_ADD, &test_names, &spec);
	assert_int_equal(spec.actions[0].type, VS_ACT_NORMAL);
	assert_int_equal(spec.actions[1].arg, 7);
	vs_flow_format_actions(spec.actions, spec.n_actions, &test_names, out, sizeof(out));
	/* "9lives" looks like a number and "bad name" has a space: both print as numbers. */
	assert_string_equal(out, "NORMAL,output:normal,output:9,output:11,output:12");

	parse_ok("in_port=vhu0", VS_FP_DEL, &test_names, &spec);
	assert_int_equal(spec.key.in_port, 1);
	vs_flow_format_match(&spec.key, &spec.mask, &test_names, out, sizeof(out));
	assert_string_equal(out, "in_port=vhu0");

	parse_err("in_port=vhu9", VS_FP_DEL, &test_names, "unknown port 'vhu9' for in_port");
	parse_err("in_port=vhu0", VS_FP_DEL, NULL, "unknown port 'vhu0' for in_port");
	parse_err("in_port=9lives", VS_FP_DEL, &test_names, "bad value '9lives' for in_port");
	parse_err("actions=output:vhu9", VS_FP_ADD, &test_names, "unknown port 'vhu9' for output");
	parse_err("actions=vhu9", VS_FP_ADD, &test_names, "unknown action 'vhu9'");
	parse_err("actions=dpdk0", VS_FP_ADD, NULL, "unknown action 'dpdk0'");
	parse_err("actions=resubmit(vhu9,1)", VS_FP_ADD, &test_names,
	          "unknown port 'vhu9' for resubmit");
}

/* --- error messages ---------------------------------------------------- */

static void
test_vs_flow_error_messages_name_token(void **state)
{
	static const struct {
		const char *text;
		unsigned int flags;
		const char *err;
	} cases[] = {
		{ "foo=1 actions=drop", VS_FP_ADD, "unknown field 'foo'" },
		{ "bogus actions=drop", VS_FP_ADD, "unknown field 'bogus'" },
		{ "ip,nw_src=x actions=drop", VS_FP_ADD, "bad value 'x' for nw_src" },
		{ "in_port=1", VS_FP_ADD, "missing actions=" },
		{ "", VS_FP_ADD, "missing actions=" },
		{ "actions drop", VS_FP_ADD, "missing '=' after actions" },
		{ "priority=65536 actions=drop", VS_FP_ADD, "priority out of range (0 to 65535)" },
		{ "priority=-1 actions=drop", VS_FP_ADD, "bad value '-1' for priority" },
		{ "priority=abc actions=drop", VS_FP_ADD, "bad value 'abc' for priority" },
		{ "table=255 actions=drop", VS_FP_ADD, "table out of range (0 to 254)" },
		{ "table=1x actions=drop", VS_FP_ADD, "bad value '1x' for table" },
		{ "cookie=0xg actions=drop", VS_FP_ADD, "bad value '0xg' for cookie" },
		{ "cookie=1/0xff actions=drop", VS_FP_ADD,
		  "flow additions cannot use a cookie mask" },
		{ "cookie=1", VS_FP_DEL, "cannot set cookie (use cookie=VALUE/MASK)" },
		{ "cookie=1/x", VS_FP_DEL, "bad mask 'x' for cookie" },
		{ "idle_timeout=5", VS_FP_DEL, "idle_timeout is only allowed when adding flows" },
		{ "idle_timeout=65536 actions=drop", VS_FP_ADD,
		  "bad value '65536' for idle_timeout" },
		{ "in_port=1 actions=drop", VS_FP_DEL,
		  "actions= is not allowed when deleting flows" },
		{ "nw_src actions=drop", VS_FP_ADD, "missing value for nw_src" },
		{ "priority actions=drop", VS_FP_ADD, "missing value for priority" },
		{ "ip,nw_src= actions=drop", VS_FP_ADD, "missing value for nw_src" },
		{ "=5 actions=drop", VS_FP_ADD, "missing field name before '=5 actions=drop'" },
		{ "tcp,tp_dst=99999 actions=drop", VS_FP_ADD, "bad value '99999' for tp_dst" },
		{ "tcp,tcp_dst=80/0xzz actions=drop", VS_FP_ADD, "bad mask '0xzz' for tcp_dst" },
		{ "ip,nw_ttl=1/2 actions=drop", VS_FP_ADD,
		  "bad value '1/2' (no mask allowed) for nw_ttl" },
		{ "in_port=1/1 actions=drop", VS_FP_ADD,
		  "bad value '1/1' (no mask allowed) for in_port" },
		{ "in_port=65280 actions=drop", VS_FP_ADD, "bad value '65280' for in_port" },
		{ "dl_src=00:11:22:33:44 actions=drop", VS_FP_ADD,
		  "bad value '00:11:22:33:44' for dl_src" },
		{ "dl_src=00:11:22:33:44:55:66 actions=drop", VS_FP_ADD,
		  "bad value '00:11:22:33:44:55:66' for dl_src" },
		{ "dl_dst=0:0:0:0:0:0/1:2 actions=drop", VS_FP_ADD, "bad mask '1:2' for dl_dst" },
		{ "ip,nw_src=1.2.3.4/33 actions=drop", VS_FP_ADD, "bad mask '33' for nw_src" },
		{ "ip,nw_src=1.2.3.256 actions=drop", VS_FP_ADD,
		  "bad value '1.2.3.256' for nw_src" },
		{ "ip,nw_dst=1.2.3 actions=drop", VS_FP_ADD, "bad value '1.2.3' for nw_dst" },
		{ "ipv6,ipv6_src=zz:: actions=drop", VS_FP_ADD, "bad value 'zz::' for ipv6_src" },
		{ "ipv6,ipv6_dst=::1/129 actions=drop", VS_FP_ADD, "bad mask '129' for ipv6_dst" },
		{ "ipv6,ipv6_label=0x100000 actions=drop", VS_FP_ADD,
		  "bad value '0x100000' for ipv6_label" },
		{ "ct_state=+foo actions=drop", VS_FP_ADD, "bad value '+foo' for ct_state" },
		{ "ct_state=+trk-trk actions=drop", VS_FP_ADD,
		  "bad value '+trk-trk' for ct_state" },
		{ "ct_state=0x40 actions=drop", VS_FP_ADD, "bad value '0x40' for ct_state" },
		{ "tcp,tcp_flags=+syn|ack actions=drop", VS_FP_ADD,
		  "bad value '+syn|ack' for tcp_flags" },
		{ "tcp,tcp_flags=0x1000 actions=drop", VS_FP_ADD,
		  "bad value '0x1000' for tcp_flags" },
		{ "ip,ip_frag=maybe actions=drop", VS_FP_ADD, "bad value 'maybe' for ip_frag" },
		{ "ip,nw_tos=3 actions=drop", VS_FP_ADD, "bad value '3' for nw_tos" },
		{ "ip,ip_dscp=64 actions=drop", VS_FP_ADD, "bad value '64' for ip_dscp" },
		{ "ip,nw_ecn=4 actions=drop", VS_FP_ADD, "bad value '4' for nw_ecn" },
		{ "arp,arp_op=256 actions=drop", VS_FP_ADD, "bad value '256' for arp_op" },
		{ "dl_vlan=4096 actions=drop", VS_FP_ADD, "bad value '4096' for dl_vlan" },
		{ "dl_vlan_pcp=8 actions=drop", VS_FP_ADD, "bad value '8' for dl_vlan_pcp" },
		{ "icmp,icmp_type=256 actions=drop", VS_FP_ADD, "bad value '256' for icmp_type" },
		{ "reg0=0x100000000 actions=drop", VS_FP_ADD, "bad value '0x100000000' for reg0" },
		{ "metadata=0x10000000000000000 actions=drop", VS_FP_ADD,
		  "bad value '0x10000000000000000' for metadata" },
		{ "ct_label=0x100000000000000000000000000000000 actions=drop", VS_FP_ADD,
		  "bad value '0x100000000000000000000000000000000' for ct_label" },
		{ "ct_zone=65536 actions=drop", VS_FP_ADD, "bad value '65536' for ct_zone" },
		{ "actions=resubmit(,1)x", VS_FP_ADD, "trailing garbage after 'resubmit(,1)'" },
		{ "actions=normal:1", VS_FP_ADD, "trailing garbage ':1' after 'normal'" },
		{ "actions=bogus", VS_FP_ADD, "unknown action 'bogus'" },
		{ "actions=bogus:1", VS_FP_ADD, "unknown action 'bogus'" },
		{ "actions=1x", VS_FP_ADD, "bad value '1x' for output" },
		{ "actions=ct(nat)", VS_FP_ADD, "ct: nat is not supported" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_ELEMS(cases); i++)
		parse_err(cases[i].text, cases[i].flags, &test_names, cases[i].err);
}

static void
test_vs_flow_error_buffer_handling(void **state)
{
	struct vs_flow_spec spec;
	char err[8];

	(void)state;
	/* Short and missing error buffers are fine; the message is truncated. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(vs_flow_parse("foo=1", VS_FP_DEL, NULL, &spec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown");
	assert_int_equal(vs_flow_parse("foo=1", VS_FP_DEL, NULL, &spec, NULL, 0), -EINVAL);
	assert_int_equal(vs_flow_parse("foo=1", VS_FP_DEL, NULL, &spec, err, 0), -EINVAL);
	assert_int_equal(vs_flow_parse(NULL, VS_FP_DEL, NULL, &spec, err, sizeof(err)), -EINVAL);
	assert_int_equal(vs_flow_parse("ip", VS_FP_DEL, NULL, NULL, err, sizeof(err)), -EINVAL);
	/* A failed parse owns nothing. */
	assert_int_equal(vs_flow_parse("actions=ct(commit),ct(nat)", VS_FP_ADD, NULL, &spec, NULL,
	                               0),
	                 -EINVAL);
	assert_int_equal(spec.n_actions, 0);
	vs_flow_spec_free(&spec);
	/* Success clears a stale message. */
	strcpy(err, "stale");
	assert_int_equal(vs_flow_parse("ip", VS_FP_DEL, NULL, &spec, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* --- formatting -------------------------------------------------------- */

/* Input, then the canonical dump-flows text. */
static const struct {
	const char *in;
	const char *out;
} golden[] = {
	{ "actions=drop", "actions=drop" },
	{ "priority=0 actions=drop", "priority=0 actions=drop" },
	{ "priority=65535,table=254 actions=output:1",
	  "table=254,priority=65535 actions=output:1" },
	{ "table=0,priority=32768 actions=normal", "table=0,priority=32768 actions=NORMAL" },
	{ "cookie=0xdeadbeef actions=drop", "cookie=0xdeadbeef actions=drop" },
	{ "cookie=0 actions=drop", "cookie=0 actions=drop" },
	{ "idle_timeout=10,hard_timeout=60 actions=flood",
	  "idle_timeout=10,hard_timeout=60 actions=FLOOD" },
	{ "in_port=1 actions=output:2", "in_port=1 actions=output:2" },
	{ "in_port=65279 actions=in_port", "in_port=65279 actions=IN_PORT" },
	{ "ip actions=all", "ip actions=ALL" },
	{ "ipv6 actions=drop", "ipv6 actions=drop" },
	{ "tcp actions=drop", "tcp actions=drop" },
	{ "udp6 actions=drop", "udp6 actions=drop" },
	{ "sctp,tp_dst=9 actions=drop", "sctp,tp_dst=9 actions=drop" },
	{ "icmp6,icmp_type=135,icmp_code=0 actions=drop",
	  "icmp6,icmp_type=135,icmp_code=0 actions=drop" },
	{ "tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80 actions=output:2",
	  "tcp,in_port=1,nw_src=10.0.0.0/8,tp_dst=80 actions=output:2" },
	{ "nw_dst=192.168.0.0/16,ip actions=drop", "ip,nw_dst=192.168.0.0/16 actions=drop" },
	{ "ip,nw_src=10.0.0.1/255.0.255.0 actions=drop",
	  "ip,nw_src=10.0.0.0/255.0.255.0 actions=drop" },
	{ "ip,nw_src=10.0.0.1/32 actions=drop", "ip,nw_src=10.0.0.1 actions=drop" },
	{ "ip,nw_src=0.0.0.0/0 actions=drop", "ip actions=drop" },
	{ "dl_type=0x0800,nw_proto=6,tp_src=22 actions=drop", "tcp,tp_src=22 actions=drop" },
	{ "dl_type=0x86dd,nw_proto=17 actions=drop", "udp6 actions=drop" },
	{ "dl_type=0x88cc actions=drop", "dl_type=0x88cc actions=drop" },
	{ "ip,nw_proto=47 actions=drop", "ip,nw_proto=47 actions=drop" },
	{ "eth_type=0x0806,arp_op=1 actions=drop", "arp,arp_op=1 actions=drop" },
	{ "arp,nw_src=10.0.0.1,nw_dst=10.0.0.2 actions=drop",
	  "arp,arp_spa=10.0.0.1,arp_tpa=10.0.0.2 actions=drop" },
	{ "arp,arp_spa=10.0.0.0/24,arp_tpa=10.1.0.0/255.255.0.255,arp_sha=00:11:22:33:44:55,"
	  "arp_tha=ff:ff:ff:ff:ff:ff/01:00:00:00:00:00 actions=drop",
	  "arp,arp_spa=10.0.0.0/24,arp_tpa=10.1.0.0/255.255.0.255,"
	  "arp_sha=00:11:22:33:44:55,arp_tha=01:00:00:00:00:00/01:00:00:00:00:00 "
	  "actions=drop" },
	{ "dl_src=AA:BB:CC:DD:EE:FF,dl_dst=01:00:5e:00:00:00/ff:ff:ff:80:00:00 actions=drop",
	  "dl_src=aa:bb:cc:dd:ee:ff,dl_dst=01:00:5e:00:00:00/ff:ff:ff:80:00:00 "
	  "actions=drop" },
	{ "eth_src=0:1:2:3:4:5 actions=drop", "dl_src=00:01:02:03:04:05 actions=drop" },
	{ "dl_vlan=10 actions=strip_vlan,output:1", "dl_vlan=10 actions=strip_vlan,output:1" },
	{ "dl_vlan=0 actions=drop", "dl_vlan=0 actions=drop" },
	{ "dl_vlan_pcp=7 actions=drop", "dl_vlan_pcp=7 actions=drop" },
	{ "dl_vlan=4095,dl_vlan_pcp=0 actions=drop", "dl_vlan=4095,dl_vlan_pcp=0 actions=drop" },
	{ "dl_vlan=0xffff actions=push_vlan:0x8100,mod_vlan_vid:5,mod_vlan_pcp:2",
	  "vlan_tci=0x0000 actions=push_vlan:0x8100,mod_vlan_vid:5,mod_vlan_pcp:2" },
	{ "vlan_tci=0x1000/0x1000 actions=drop", "vlan_tci=0x1000/0x1000 actions=drop" },
	{ "vlan_tci=0x1005 actions=drop", "dl_vlan=5,dl_vlan_pcp=0 actions=drop" },
	{ "vlan_tci=0x0123/0x0fff actions=drop", "vlan_tci=0x0123/0x0fff actions=drop" },
	{ "ip,nw_tos=184,nw_ecn=2,nw_ttl=64 actions=dec_ttl",
	  "ip,nw_tos=184,nw_ecn=2,nw_ttl=64 actions=dec_ttl" },
	{ "ip,ip_dscp=46 actions=drop", "ip,nw_tos=184 actions=drop" },
	{ "ipv6,ip_ecn=3 actions=drop", "ipv6,nw_ecn=3 actions=drop" },
	{ "ip,ip_frag=no actions=drop", "ip,ip_frag=no actions=drop" },
	{ "ip,ip_frag=later actions=drop", "ip,ip_frag=later actions=drop" },
	{ "ipv6,ip_frag=yes actions=drop", "ipv6,ip_frag=yes actions=drop" },
	{ "ip,nw_frag=not_later actions=drop", "ip,ip_frag=not_later actions=drop" },
	{ "ipv6,ipv6_src=2001:db8::1,ipv6_dst=2001:DB8:0:1::/64,ipv6_label=0x12345 actions=drop",
	  "ipv6,ipv6_src=2001:db8::1,ipv6_dst=2001:db8:0:1::/64,ipv6_label=0x12345 "
	  "actions=drop" },
	{ "ipv6,ipv6_dst=fe80::1/ffff::ff,ipv6_label=0x5/0xf actions=drop",
	  "ipv6,ipv6_dst=fe80::1/ffff::ff,ipv6_label=0x5/0xf actions=drop" },
	{ "tcp6,tp_src=0x50/0xfff0,tp_dst=443 actions=drop",
	  "tcp6,tp_src=0x50/0xfff0,tp_dst=443 actions=drop" },
	{ "tcp,tcp_flags=+syn-ack actions=drop", "tcp,tcp_flags=+syn-ack actions=drop" },
	{ "tcp,tcp_flags=syn|ack actions=drop", "tcp,tcp_flags=syn|ack actions=drop" },
	{ "tcp,tcp_flags=0 actions=drop", "tcp,tcp_flags=0 actions=drop" },
	{ "tcp,tcp_flags=0x012/0x012 actions=drop", "tcp,tcp_flags=+syn+ack actions=drop" },
	{ "tcp,tcp_flags=0x800/0x800 actions=drop", "tcp,tcp_flags=0x800/0x800 actions=drop" },
	{ "tcp,tcp_flags=+ns-cwr+fin actions=drop", "tcp,tcp_flags=+fin-cwr+ns actions=drop" },
	{ "udp,udp_src=53 actions=drop", "udp,tp_src=53 actions=drop" },
	{ "icmp,icmpv4_type=3 actions=drop", "icmp,icmp_type=3 actions=drop" },
	{ "icmp6,icmpv6_type=128 actions=drop", "icmp6,icmp_type=128 actions=drop" },
	{ "metadata=0x1234,reg0=0x5,reg7=0xffffffff/0xf0f0f0f0 actions=drop",
	  "metadata=0x1234,reg0=0x5,reg7=0xf0f0f0f0/0xf0f0f0f0 actions=drop" },
	{ "reg3=0 actions=drop", "reg3=0 actions=drop" },
	{ "metadata=0/0x1 actions=drop", "metadata=0/0x1 actions=drop" },
	{ "tun_id=0x10,tun_src=192.0.2.1,tun_dst=198.51.100.0/24 actions=drop",
	  "tun_id=0x10,tun_src=192.0.2.1,tun_dst=198.51.100.0/24 actions=drop" },
	{ "tunnel_id=0x5/0xff actions=drop", "tun_id=0x5/0xff actions=drop" },
	{ "recirc_id=0x2,in_port=3 actions=drop", "recirc_id=0x2,in_port=3 actions=drop" },
	{ "ct_state=+trk+new actions=ct(commit,zone=1,table=1)",
	  "ct_state=+trk+new actions=ct(commit,zone=1,table=1)" },
	{ "ct_state=-trk actions=ct(table=0)", "ct_state=-trk actions=ct(table=0)" },
	{ "ct_state=+trk+est-rel+rpl-inv-new actions=drop",
	  "ct_state=+trk-new+est-rel+rpl-inv actions=drop" },
	{ "ct_state=0x21/0x3f actions=drop", "ct_state=+trk+new-est-rel-rpl-inv actions=drop" },
	{ "ct_zone=7,ct_mark=0x1,ct_label=0x10000000000000000000000000000000 actions=drop",
	  "ct_zone=7,ct_mark=0x1,ct_label=0x10000000000000000000000000000000 "
	  "actions=drop" },
	{ "ct_mark=0x10/0x30,ct_label=0x102/0xfff actions=drop",
	  "ct_mark=0x10/0x30,ct_label=0x102/0xfff actions=drop" },
	{ "ct_state=+est,ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.0/8,ct_nw_proto=6,ct_tp_src=1024,"
	  "ct_tp_dst=0x50/0xfff0 actions=drop",
	  "ct_state=+est,ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.0/8,ct_nw_proto=6,"
	  "ct_tp_src=1024,ct_tp_dst=0x50/0xfff0 actions=drop" },
	{ "ct_state=+est,ct_ipv6_src=2001:DB8::1,ct_ipv6_dst=2001:db8:1::/48 actions=drop",
	  "ct_state=+est,ct_ipv6_src=2001:db8::1,ct_ipv6_dst=2001:db8:1::/48 actions=drop" },
	{ "actions=resubmit(,1),resubmit(2,3),resubmit:4,resubmit(5,),resubmit(in_port,6)",
	  "actions=resubmit(,1),resubmit(2,3),resubmit:4,resubmit:5,resubmit(,6)" },
	{ "table=1 actions=goto_table:2", "table=1 actions=goto_table:2" },
	{ "actions=set_field:10.0.0.1->nw_src,set_field:aa:bb:cc:dd:ee:ff->eth_dst,"
	  "set_field:0x5/0xff->reg2",
	  "actions=set_field:10.0.0.1->nw_src,set_field:aa:bb:cc:dd:ee:ff->dl_dst,"
	  "set_field:0x5/0xff->reg2" },
	{ "actions=set_field:2001:db8::1->ipv6_dst,set_field:0x12345->ipv6_label,"
	  "set_field:5->dl_vlan,set_field:3->vlan_pcp",
	  "actions=set_field:2001:db8::1->ipv6_dst,set_field:0x12345->ipv6_label,"
	  "set_field:5->dl_vlan,set_field:3->dl_vlan_pcp" },
	{ "actions=set_field:0xffff->dl_vlan,set_field:8->icmp_type,set_field:0x1f->tun_id,"
	  "set_field:0x1000/0x1000->vlan_tci",
	  "actions=set_field:0xffff->dl_vlan,set_field:8->icmp_type,"
	  "set_field:0x1f->tun_id,set_field:0x1000/0x1000->vlan_tci" },
	{ "actions=set_field:80->tcp_dst,set_field:0x50/0xfff0->tp_src,set_field:46->ip_dscp,"
	  "set_field:1->nw_ecn",
	  "actions=set_field:80->tp_dst,set_field:0x50/0xfff0->tp_src,"
	  "set_field:46->ip_dscp,set_field:1->nw_ecn" },
	{ "actions=mod_dl_src:00:11:22:33:44:55,mod_dl_dst:66:77:88:99:AA:BB,"
	  "mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8",
	  "actions=mod_dl_src:00:11:22:33:44:55,mod_dl_dst:66:77:88:99:aa:bb,"
	  "mod_nw_src:1.2.3.4,mod_nw_dst:5.6.7.8" },
	{ "actions=mod_tp_src:1,mod_tp_dst:65535,mod_nw_tos:252,mod_nw_ttl:1",
	  "actions=mod_tp_src:1,mod_tp_dst:65535,mod_nw_tos:252,mod_nw_ttl:1" },
	{ "actions=ct(commit,zone=NXM_NX_REG5[16..31])",
	  "actions=ct(commit,zone=NXM_NX_REG5[16..31])" },
	{ "actions=ct(zone=reg0[0..15],table=3),ct_clear",
	  "actions=ct(zone=NXM_NX_REG0[0..15],table=3),ct_clear" },
	{ "actions=ct(commit,exec(set_field:0x1->ct_mark))",
	  "actions=ct(commit,exec(set_field:0x1->ct_mark))" },
	{ "actions=ct(table=2,commit,zone=9,exec(set_field:0x5/0xf->ct_mark,"
	  "set_field:0xff00/0xff00->ct_label))",
	  "actions=ct(commit,zone=9,table=2,exec(set_field:0x5/0xf->ct_mark,"
	  "set_field:0xff00/0xff00->ct_label))" },
	{ "actions=ct", "actions=ct()" },
	{ "actions=OUTPUT:3,NORMAL,In_Port", "actions=output:3,NORMAL,IN_PORT" },
	{ "actions=2,3", "actions=output:2,output:3" },
	{ "actions=", "actions=drop" },
	{ "actions=strip_vlan,pop_vlan,push_vlan:0x88a8",
	  "actions=strip_vlan,strip_vlan,push_vlan:0x88a8" },
};

static void
test_vs_flow_format_golden_round_trip(void **state)
{
	char out[1024];
	size_t i;

	(void)state;
	assert_true(N_ELEMS(golden) >= 60);
	for (i = 0; i < N_ELEMS(golden); i++) {
		round_trip(golden[i].in, NULL, out, sizeof(out));
		if (strcmp(out, golden[i].out))
			fail_msg("'%s' formats as '%s', expected '%s'", golden[i].in, out,
			         golden[i].out);
		/* The canonical text is a fixed point. */
		round_trip(golden[i].out, NULL, out, sizeof(out));
		assert_string_equal(out, golden[i].out);
	}
}

static void
test_vs_flow_format_match_and_actions(void **state)
{
	struct vs_flow_spec spec;
	char out[256];
	int n;

	(void)state;
	parse_ok("", VS_FP_DEL, NULL, &spec);
	n = vs_flow_format_match(&spec.key, &spec.mask, NULL, out, sizeof(out));
	assert_int_equal(n, 0);
	assert_string_equal(out, "");
	n = vs_flow_format_actions(NULL, 0, NULL, out, sizeof(out));
	assert_int_equal(n, 4);
	assert_string_equal(out, "drop");

	parse_ok("udp,nw_dst=10.0.0.1,tp_dst=53,in_port=2 actions=set_field:1.2.3.4->nw_dst,1",
	         VS_FP_ADD, NULL, &spec);
	n = vs_flow_format_match(&spec.key, &spec.mask, NULL, out, sizeof(out));
	assert_string_equal(out, "udp,in_port=2,nw_dst=10.0.0.1,tp_dst=53");
	assert_int_equal(n, (int)strlen(out));
	n = vs_flow_format_actions(spec.actions, spec.n_actions, NULL, out, sizeof(out));
	assert_string_equal(out, "set_field:1.2.3.4->nw_dst,output:1");
	assert_int_equal(n, (int)strlen(out));
}

static void
test_vs_flow_format_del_and_odd_specs(void **state)
{
	struct vs_flow_spec spec;
	struct vs_action odd[3];
	char out[256], expect[64];

	(void)state;
	/* A del-flows cookie mask prints as VALUE/MASK and reads back the same. */
	parse_ok("cookie=0x12/0xf0,table=2,tcp", VS_FP_DEL, NULL, &spec);
	vs_flow_format(&spec, NULL, out, sizeof(out));
	assert_string_equal(out, "table=2,cookie=0x10/0xf0,tcp actions=drop");
	parse_ok("cookie=0x10/0xf0,table=2,tcp", VS_FP_DEL, NULL, &spec);
	assert_int_equal(spec.cookie, 0x10);
	assert_int_equal(spec.cookie_mask, 0xf0);

	/* Actions that the parser never produces still print safely. */
	memset(odd, 0, sizeof(odd));
	odd[0].type = VS_ACT_DROP;
	odd[1].type = VS_ACT_N;
	odd[2].type = VS_ACT_SET_FIELD;
	odd[2].field = VS_F_N;
	vs_flow_format_actions(odd, 3, NULL, out, sizeof(out));
	snprintf(expect, sizeof(expect), "drop,unknown_action_%d,set_field:?", VS_ACT_N);
	assert_string_equal(out, expect);
	odd[0].type = VS_ACT_CT; /* ct without arguments */
	vs_flow_format_actions(odd, 1, NULL, out, sizeof(out));
	assert_string_equal(out, "ct()");
}

static void
test_vs_flow_format_truncates_like_snprintf(void **state)
{
	struct vs_flow_spec spec;
	char full[1024], small[1024];
	int n, m;
	size_t size;

	(void)state;
	parse_ok("table=3,priority=7,cookie=0x9,ipv6,ipv6_src=2001:db8::/32,ct_state=+trk+est,"
	         "ct_label=0xffff/0xff0f actions=ct(commit,zone=reg0[0..15],table=4,"
	         "exec(set_field:0x1->ct_mark)),mod_dl_src:00:11:22:33:44:55,goto_table:9",
	         VS_FP_ADD, NULL, &spec);
	n = vs_flow_format(&spec, NULL, full, sizeof(full));
	assert_int_equal(n, (int)strlen(full));
	for (size = 0; size <= (size_t)n + 1; size++) {
		memset(small, '#', sizeof(small));
		m = vs_flow_format(&spec, NULL, small, size);
		assert_int_equal(m, n);
		if (size > 0) {
			assert_int_equal(strlen(small),
			                 size - 1 < (size_t)n ? size - 1 : (size_t)n);
			assert_memory_equal(small, full, strlen(small));
		}
		assert_int_equal(small[size], '#');
	}
	n = vs_flow_format_match(&spec.key, &spec.mask, NULL, full, sizeof(full));
	for (size = 0; size <= (size_t)n; size++) {
		memset(small, '#', sizeof(small));
		assert_int_equal(vs_flow_format_match(&spec.key, &spec.mask, NULL, small, size), n);
		assert_int_equal(small[size], '#');
		if (size > 0)
			assert_memory_equal(small, full, size - 1);
	}
	n = vs_flow_format_actions(spec.actions, spec.n_actions, NULL, full, sizeof(full));
	for (size = 0; size <= (size_t)n; size++) {
		memset(small, '#', sizeof(small));
		assert_int_equal(vs_flow_format_actions(spec.actions, spec.n_actions, NULL, small,
		                                        size),
		                 n);
		assert_int_equal(small[size], '#');
	}
	vs_flow_spec_free(&spec);
}

/* --- field API --------------------------------------------------------- */

static void
test_vs_flow_field_parse_format_api(void **state)
{
	struct vs_field_value v;
	char err[128], out[128];
	struct pm_key key, mask;

	(void)state;
	assert_int_equal(vs_field_parse(VS_F_NW_SRC, "10.1.2.3/8", NULL, &v, err, sizeof(err)), 0);
	assert_int_equal(v.value[0], 10);
	assert_int_equal(v.value[1], 0);
	assert_int_equal(v.mask[0], 0xff);
	assert_int_equal(v.mask[1], 0);
	assert_int_equal(vs_field_format(VS_F_NW_SRC, v.value, v.mask, NULL, out, sizeof(out)), 10);
	assert_string_equal(out, "10.0.0.0/8");
	assert_int_equal(vs_field_format(VS_F_NW_SRC, v.value, NULL, NULL, out, sizeof(out)), 8);
	assert_string_equal(out, "10.0.0.0");

	assert_int_equal(vs_field_parse(VS_F_TP_DST, "x", NULL, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad value 'x'");
	assert_int_equal(vs_field_parse(VS_F_N, "1", NULL, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(vs_field_parse(VS_F_TP_DST, "", NULL, &v, err, sizeof(err)), -EINVAL);

	/* apply replaces only the field's bits of a shared container. */
	memset(&key, 0, sizeof(key));
	memset(&mask, 0, sizeof(mask));
	assert_int_equal(vs_field_parse(VS_F_NW_ECN, "2", NULL, &v, err, sizeof(err)), 0);
	vs_field_apply(VS_F_NW_ECN, &v, &key, &mask);
	assert_int_equal(vs_field_parse(VS_F_IP_DSCP, "63", NULL, &v, err, sizeof(err)), 0);
	vs_field_apply(VS_F_IP_DSCP, &v, &key, &mask);
	assert_int_equal(key.nw_tos, 0xfe);
	assert_int_equal(mask.nw_tos, 0xff);
	assert_int_equal(vs_field_format(VS_F_IP_DSCP, &key.nw_tos, &mask.nw_tos, NULL, out,
	                                 sizeof(out)),
	                 2);
	assert_string_equal(out, "63");

	assert_int_equal(vs_field_check_prereqs("tcp_dst", &key, &mask, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "tcp_dst requires tcp (nw_proto)");
	assert_int_equal(vs_field_check_prereqs("nope", &key, &mask, err, sizeof(err)), -EINVAL);
	assert_int_equal(vs_field_check_prereqs("reg0", &key, &mask, err, sizeof(err)), 0);
}

/* --- spec ownership and masks ------------------------------------------ */

static void
test_vs_flow_spec_copy_and_free(void **state)
{
	struct vs_flow_spec a, b, zero;

	(void)state;
	parse_ok("tcp actions=ct(commit,zone=3,exec(set_field:0x7->ct_mark)),output:1,"
	         "ct(table=9)",
	         VS_FP_ADD, NULL, &a);
	assert_int_equal(vs_flow_spec_copy(&b, &a), 0);
	assert_true(spec_equal(&a, &b));
	assert_ptr_not_equal(a.actions[0].ct, b.actions[0].ct);
	assert_ptr_not_equal(a.actions[2].ct, b.actions[2].ct);
	assert_null(b.actions[1].ct);
	/* The copy is independent of the original. */
	a.actions[0].ct->zone = 99;
	vs_flow_spec_free(&a);
	assert_null(a.actions[0].ct);
	assert_int_equal(b.actions[0].ct->zone, 3);
	assert_int_equal(b.actions[0].ct->mark, 7);
	assert_int_equal(b.actions[2].ct->table, 9);
	vs_flow_spec_free(&b);
	assert_null(b.actions[2].ct);
	vs_flow_spec_free(&b); /* twice is harmless */

	memset(&zero, 0, sizeof(zero));
	vs_flow_spec_free(&zero);
	vs_flow_spec_free(NULL);
	assert_int_equal(vs_flow_spec_copy(&b, &zero), 0);
	assert_int_equal(b.n_actions, 0);
	assert_int_equal(vs_flow_spec_copy(NULL, &zero), -EINVAL);
}

static void
test_vs_flow_mask_subset(void **state)
{
	struct vs_flow_spec ip, tcp, full;
	struct pm_key zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	parse_ok("ip", VS_FP_DEL, NULL, &ip);
	parse_ok("tcp,tp_dst=80", VS_FP_DEL, NULL, &tcp);
	parse_ok("ipv6,ipv6_dst=::1", VS_FP_DEL, NULL, &full);
	assert_true(vs_mask_subset(&ip.mask, &tcp.mask));
	assert_false(vs_mask_subset(&tcp.mask, &ip.mask));
	assert_true(vs_mask_subset(&tcp.mask, &tcp.mask));
	assert_true(vs_mask_subset(&zero, &ip.mask));
	assert_false(vs_mask_subset(&ip.mask, &zero));
	/* A bit in the key's last byte counts. */
	assert_true(vs_mask_subset(&ip.mask, &full.mask));
	full.mask.dl_type = 0;
	assert_false(vs_mask_subset(&ip.mask, &full.mask));
	parse_ok("ipv6,ipv6_dst=::1/127", VS_FP_DEL, NULL, &ip);
	parse_ok("ipv6,ipv6_dst=::1", VS_FP_DEL, NULL, &full);
	assert_true(vs_mask_subset(&ip.mask, &full.mask));
	assert_false(vs_mask_subset(&full.mask, &ip.mask));
}

/* --- randomized round trips -------------------------------------------- */

struct rng {
	uint64_t s;
};

/* splitmix64: deterministic, so a failure reproduces. */
static uint64_t
rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rnd_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(rnd(r) % n);
}

static bool
coin(struct rng *r)
{
	return rnd(r) & 1;
}

/* Random number of 'bits' bits, biased toward small and all-ones values. */
static uint64_t
rnd_bits(struct rng *r, unsigned int bits)
{
	uint64_t all = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;

	switch (rnd_below(r, 4)) {
	case 0:
		return rnd_below(r, 4) & all;
	case 1:
		return all;
	default:
		return rnd(r) & all;
	}
}

/* "V" or "V/M" for a numeric field of 'bits' bits, decimal or hex. */
static void
gen_number(struct rng *r, unsigned int bits, bool maskable, char *out, size_t size)
{
	uint64_t v = rnd_bits(r, bits);

	if (maskable && coin(r))
		snprintf(out, size, "%#" PRIx64 "/%#" PRIx64, v, rnd_bits(r, bits));
	else if (coin(r))
		snprintf(out, size, "%" PRIu64, v);
	else
		snprintf(out, size, "%#" PRIx64, v);
}

static void
gen_mac(struct rng *r, char *out, size_t size)
{
	uint64_t v = rnd(r);

	snprintf(out, size, coin(r) ? "%02x:%02x:%02x:%02x:%02x:%02x" : "%X:%X:%X:%X:%X:%X",
	         (unsigned int)(v & 0xff), (unsigned int)(v >> 8 & 0xff),
	         (unsigned int)(v >> 16 & 0xff), (unsigned int)(v >> 24 & 0xff),
	         (unsigned int)(v >> 32 & 0xff), (unsigned int)(v >> 40 & 0xff));
}

static void
gen_ipv4(struct rng *r, bool maskable, char *out, size_t size)
{
	uint32_t a = (uint32_t)rnd(r), m = (uint32_t)rnd(r);
	int n = snprintf(out, size, "%u.%u.%u.%u", a >> 24, a >> 16 & 0xff, a >> 8 & 0xff,
	                 a & 0xff);

	if (!maskable || (size_t)n >= size)
		return;
	switch (rnd_below(r, 3)) {
	case 0:
		snprintf(out + n, size - (size_t)n, "/%u", rnd_below(r, 33));
		break;
	case 1:
		snprintf(out + n, size - (size_t)n, "/%u.%u.%u.%u", m >> 24, m >> 16 & 0xff,
		         m >> 8 & 0xff, m & 0xff);
		break;
	default:
		break;
	}
}

static void
gen_ipv6(struct rng *r, bool maskable, char *out, size_t size)
{
	uint8_t a[16];
	char text[INET6_ADDRSTRLEN];
	size_t i, n;

	for (i = 0; i < 16; i++)
		a[i] = rnd_below(r, 3) ? 0 : (uint8_t)rnd(r);
	inet_ntop(AF_INET6, a, text, sizeof(text));
	n = (size_t)snprintf(out, size, "%s", text);
	if (maskable && coin(r) && n < size)
		snprintf(out + n, size - n, "/%u", rnd_below(r, 129));
}

static void
gen_flags(struct rng *r, const char *const *names, size_t n_names, unsigned int bits, char *out,
          size_t size)
{
	size_t i, len = 0;

	out[0] = '\0';
	switch (rnd_below(r, 3)) {
	case 0:
		gen_number(r, bits, true, out, size);
		return;
	case 1: /* +a-b */
		for (i = 0; i < n_names; i++)
			if (coin(r))
				len += (size_t)snprintf(out + len, size - len, "%c%s",
				                        coin(r) ? '+' : '-', names[i]);
		break;
	default: /* a|b */
		for (i = 0; i < n_names; i++)
			if (coin(r))
				len += (size_t)snprintf(out + len, size - len, "%s%s",
				                        len ? "|" : "", names[i]);
		break;
	}
	if (len == 0)
		snprintf(out, size, "%s", "0");
}

/* A valid value text for field 'f' ('allow_later': ip_frag may match later fragments). */
static void
gen_value(struct rng *r, enum vs_field f, bool allow_later, char *out, size_t size)
{
	static const char *const ct_names[] = { "trk", "new", "est", "rel", "rpl", "inv" };
	static const char *const tcp_names[] = { "fin", "syn", "rst", "psh", "ack",
		                                 "urg", "ece", "cwr", "ns" };
	static const char *const frags[] = { "no", "first", "yes", "not_later", "later" };
	const struct vs_field_desc *d = vs_field_get(f);

	switch (f) {
	case VS_F_IN_PORT:
		snprintf(out, size, "%u", rnd_below(r, VS_OFPORT_MAX + 1));
		return;
	case VS_F_DL_VLAN:
		snprintf(out, size, "%u", coin(r) ? 0xffff : rnd_below(r, 4096));
		return;
	case VS_F_DL_VLAN_PCP:
		snprintf(out, size, "%u", rnd_below(r, 8));
		return;
	case VS_F_NW_TOS:
		snprintf(out, size, "%u", rnd_below(r, 64) << 2);
		return;
	case VS_F_IP_DSCP:
		snprintf(out, size, "%u", rnd_below(r, 64));
		return;
	case VS_F_NW_ECN:
		snprintf(out, size, "%u", rnd_below(r, 4));
		return;
	case VS_F_ICMP_TYPE:
	case VS_F_ICMP_CODE:
	case VS_F_ARP_OP:
		snprintf(out, size, "%u", rnd_below(r, 256));
		return;
	case VS_F_IPV6_LABEL:
		gen_number(r, 20, true, out, size);
		return;
	case VS_F_CT_STATE:
		gen_flags(r, ct_names, N_ELEMS(ct_names), 6, out, size);
		return;
	case VS_F_TCP_FLAGS:
		gen_flags(r, tcp_names, N_ELEMS(tcp_names), 12, out, size);
		return;
	case VS_F_IP_FRAG:
		snprintf(out, size, "%s", frags[rnd_below(r, allow_later ? 5 : 4)]);
		return;
	case VS_F_CT_LABEL:
		if (coin(r)) {
			snprintf(out, size, "0x%" PRIx64 "%016" PRIx64 "/0x%" PRIx64, rnd(r),
			         rnd(r), rnd(r));
			return;
		}
		break;
	default:
		break;
	}
	switch (d->fmt) {
	case VS_FMT_MAC:
		gen_mac(r, out, size);
		if (d->maskable && coin(r)) {
			size_t n = strlen(out);

			out[n] = '/';
			gen_mac(r, out + n + 1, size - n - 1);
		}
		return;
	case VS_FMT_IPV4:
		gen_ipv4(r, d->maskable, out, size);
		return;
	case VS_FMT_IPV6:
		gen_ipv6(r, d->maskable, out, size);
		return;
	default:
		gen_number(r, d->size >= 8 ? 64 : d->size * 8u, d->maskable, out, size);
		return;
	}
}

/* Protocol contexts: how the match pins dl_type/nw_proto. */
enum ctx {
	CTX_NONE,
	CTX_ETH,
	CTX_IP,
	CTX_IPV6,
	CTX_ARP,
	CTX_TCP,
	CTX_UDP,
	CTX_SCTP,
	CTX_ICMP,
	CTX_TCP6,
	CTX_UDP6,
	CTX_SCTP6,
	CTX_ICMP6,
	CTX_N
};

static const struct {
	const char *shorthand;
	const char *explicit_;
} ctx_text[CTX_N] = {
	[CTX_NONE] = { NULL, NULL },
	[CTX_ETH] = { "dl_type=0x88cc", "eth_type=35020" },
	[CTX_IP] = { "ip", "dl_type=0x0800" },
	[CTX_IPV6] = { "ipv6", "dl_type=0x86dd" },
	[CTX_ARP] = { "arp", "dl_type=0x0806" },
	[CTX_TCP] = { "tcp", "dl_type=0x0800 nw_proto=6" },
	[CTX_UDP] = { "udp", "dl_type=0x0800,nw_proto=17" },
	[CTX_SCTP] = { "sctp", "dl_type=0x0800,nw_proto=132" },
	[CTX_ICMP] = { "icmp", "dl_type=0x0800,nw_proto=1" },
	[CTX_TCP6] = { "tcp6", "dl_type=0x86dd,nw_proto=6" },
	[CTX_UDP6] = { "udp6", "dl_type=0x86dd,ip_proto=17" },
	[CTX_SCTP6] = { "sctp6", "dl_type=0x86dd,nw_proto=132" },
	[CTX_ICMP6] = { "icmp6", "eth_type=0x86dd,nw_proto=58" },
};

/* Whether field 'f' may be matched in context 'c' (prerequisites hold). */
static bool
field_fits(enum vs_field f, enum ctx c)
{
	bool ip4 = c == CTX_IP || c == CTX_TCP || c == CTX_UDP || c == CTX_SCTP || c == CTX_ICMP;
	bool ip6 = c == CTX_IPV6 || c == CTX_TCP6 || c == CTX_UDP6 || c == CTX_SCTP6 ||
	           c == CTX_ICMP6;
	bool l4 = c == CTX_TCP || c == CTX_UDP || c == CTX_SCTP || c == CTX_TCP6 || c == CTX_UDP6 ||
	          c == CTX_SCTP6;

	switch (f) {
	case VS_F_DL_TYPE:
		return false; /* set through the context */
	case VS_F_NW_PROTO:
		return c == CTX_IP || c == CTX_IPV6 || c == CTX_ARP;
	case VS_F_NW_SRC:
	case VS_F_NW_DST:
		return ip4 || c == CTX_ARP;
	case VS_F_IPV6_SRC:
	case VS_F_IPV6_DST:
	case VS_F_IPV6_LABEL:
		return ip6;
	case VS_F_NW_TOS:
	case VS_F_IP_DSCP:
	case VS_F_NW_ECN:
	case VS_F_NW_TTL:
	case VS_F_IP_FRAG:
		return ip4 || ip6;
	case VS_F_ARP_OP:
	case VS_F_ARP_SPA:
	case VS_F_ARP_TPA:
	case VS_F_ARP_SHA:
	case VS_F_ARP_THA:
		return c == CTX_ARP;
	case VS_F_TP_SRC:
	case VS_F_TP_DST:
		return l4;
	case VS_F_TCP_FLAGS:
		return c == CTX_TCP || c == CTX_TCP6;
	case VS_F_ICMP_TYPE:
	case VS_F_ICMP_CODE:
		return c == CTX_ICMP || c == CTX_ICMP6;
	default:
		return true;
	}
}

#define GEN_TOKENS 48
#define GEN_TOKEN  160

struct gen_flow {
	char tokens[GEN_TOKENS][GEN_TOKEN];
	unsigned int n;
};

static char *
gen_token(struct gen_flow *g)
{
	assert_true(g->n < GEN_TOKENS);
	return g->tokens[g->n++];
}

/* A random ct(...) action. */
static void
gen_ct(struct rng *r, char *out, size_t size)
{
	char args[4][192], mark[48], label[96];
	unsigned int n = 0, i, lo;
	bool commit = coin(r);
	size_t len;

	if (commit)
		snprintf(args[n++], sizeof(args[0]), "commit");
	switch (rnd_below(r, 3)) {
	case 0:
		snprintf(args[n++], sizeof(args[0]), "zone=%u", rnd_below(r, 65536));
		break;
	case 1:
		lo = rnd_below(r, 17);
		snprintf(args[n++], sizeof(args[0]), "zone=%s%u[%u..%u]",
		         coin(r) ? "NXM_NX_REG" : "reg", rnd_below(r, 8), lo, lo + 15);
		break;
	default:
		break;
	}
	if (coin(r))
		snprintf(args[n++], sizeof(args[0]), "table=%u", rnd_below(r, 255));
	if (commit && coin(r)) {
		gen_value(r, VS_F_CT_MARK, false, mark, sizeof(mark));
		gen_value(r, VS_F_CT_LABEL, false, label, sizeof(label));
		switch (rnd_below(r, 3)) {
		case 0:
			snprintf(args[n++], sizeof(args[0]), "exec(set_field:%s->ct_mark)", mark);
			break;
		case 1:
			snprintf(args[n++], sizeof(args[0]), "exec(set_field:%s->ct_label)", label);
			break;
		default:
			snprintf(args[n++], sizeof(args[0]),
			         "exec(set_field:%s->ct_mark,set_field:%s->ct_label)", mark, label);
			break;
		}
	}
	/* Any argument order is accepted. */
	for (i = n; i > 1; i--) {
		unsigned int j = rnd_below(r, i);
		char tmp[192];

		memcpy(tmp, args[i - 1], sizeof(tmp));
		memcpy(args[i - 1], args[j], sizeof(tmp));
		memcpy(args[j], tmp, sizeof(tmp));
	}
	len = (size_t)snprintf(out, size, "ct(");
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "", args[i]);
	if (len < size)
		snprintf(out + len, size - len, ")");
}

/* A random action (never drop or goto_table). */
static void
gen_action(struct rng *r, char *out, size_t size)
{
	static const char *const reserved[] = { "in_port", "IN_PORT", "flood",
		                                "all",     "normal",  "NORMAL" };
	static const struct {
		const char *name;
		enum vs_field f;
	} mods[] = {
		{ "mod_dl_src", VS_F_DL_SRC }, { "mod_dl_dst", VS_F_DL_DST },
		{ "mod_nw_src", VS_F_NW_SRC }, { "mod_nw_dst", VS_F_NW_DST },
		{ "mod_tp_src", VS_F_TP_SRC }, { "mod_tp_dst", VS_F_TP_DST },
		{ "mod_nw_tos", VS_F_NW_TOS }, { "mod_nw_ttl", VS_F_NW_TTL },
	};
	char value[96];
	unsigned int i;
	enum vs_field f;

	switch (rnd_below(r, 16)) {
	case 0:
		snprintf(out, size, "output:%u", 1 + rnd_below(r, VS_OFPORT_MAX));
		break;
	case 1:
		snprintf(out, size, "%u", 1 + rnd_below(r, VS_OFPORT_MAX));
		break;
	case 2:
		snprintf(out, size, "%s", reserved[rnd_below(r, N_ELEMS(reserved))]);
		break;
	case 3:
		switch (rnd_below(r, 4)) {
		case 0:
			snprintf(out, size, "resubmit(,%u)", rnd_below(r, 255));
			break;
		case 1:
			snprintf(out, size, "resubmit(%u,%u)", 1 + rnd_below(r, 100),
			         rnd_below(r, 255));
			break;
		case 2:
			snprintf(out, size, "resubmit:%u", 1 + rnd_below(r, 100));
			break;
		default:
			snprintf(out, size, "resubmit(%u,)", 1 + rnd_below(r, 100));
			break;
		}
		break;
	case 4:
		snprintf(out, size, "mod_vlan_vid:%u", rnd_below(r, 4096));
		break;
	case 5:
		snprintf(out, size, "mod_vlan_pcp:%u", rnd_below(r, 8));
		break;
	case 6:
		snprintf(out, size, "%s", coin(r) ? "strip_vlan" : "pop_vlan");
		break;
	case 7:
		snprintf(out, size, "push_vlan:%s", coin(r) ? "0x8100" : "0x88a8");
		break;
	case 8:
	case 9:
		do {
			f = (enum vs_field)rnd_below(r, VS_F_N);
		} while (!vs_field_get(f)->settable);
		gen_value(r, f, true, value, sizeof(value));
		snprintf(out, size, "set_field:%s->%s", value, vs_field_get(f)->name);
		break;
	case 10:
		i = rnd_below(r, N_ELEMS(mods));
		do {
			gen_value(r, mods[i].f, true, value, sizeof(value));
		} while (strchr(value, '/') != NULL);
		snprintf(out, size, "%s:%s", mods[i].name, value);
		break;
	case 11:
		snprintf(out, size, "dec_ttl");
		break;
	case 12:
		snprintf(out, size, "ct_clear");
		break;
	default:
		gen_ct(r, out, size);
		break;
	}
}

/* Builds a random valid add-flow text into 'out'. */
static void
gen_flow_text(struct rng *r, struct gen_flow *g, char *out, size_t size)
{
	static const char *const seps[] = { ",", " ", ", ", " ,", "\t", ",," };
	enum ctx c = (enum ctx)rnd_below(r, CTX_N);
	unsigned int table = 0, i, n_fields, n_actions;
	bool l4 = false, ct_tuple = false, goto_table;
	size_t len = 0;
	char *t;

	g->n = 0;
	if (coin(r)) {
		table = rnd_below(r, 255);
		snprintf(gen_token(g), GEN_TOKEN, "table=%u", table);
	}
	if (coin(r))
		snprintf(gen_token(g), GEN_TOKEN, "priority=%u", rnd_below(r, 65536));
	if (rnd_below(r, 4) == 0)
		snprintf(gen_token(g), GEN_TOKEN, "cookie=%#" PRIx64, rnd(r));
	if (rnd_below(r, 4) == 0)
		snprintf(gen_token(g), GEN_TOKEN, "idle_timeout=%u", rnd_below(r, 65536));
	if (rnd_below(r, 4) == 0)
		snprintf(gen_token(g), GEN_TOKEN, "hard_timeout=%u", rnd_below(r, 65536));
	if (ctx_text[c].shorthand != NULL)
		snprintf(gen_token(g), GEN_TOKEN, "%s",
		         coin(r) ? ctx_text[c].shorthand : ctx_text[c].explicit_);

	n_fields = rnd_below(r, 10);
	for (i = 0; i < n_fields; i++) {
		enum vs_field f = (enum vs_field)rnd_below(r, VS_F_N);

		if (!field_fits(f, c))
			continue;
		l4 |= f == VS_F_TP_SRC || f == VS_F_TP_DST || f == VS_F_TCP_FLAGS;
		ct_tuple |= vs_field_get(f)->prereq_ct;
		t = gen_token(g);
		len = (size_t)snprintf(t, GEN_TOKEN, "%s=", vs_field_get(f)->name);
		gen_value(r, f, true, t + len, GEN_TOKEN - len);
	}
	/* Fix up what the random choices broke: later fragments and ct tuples. */
	for (i = 0; i < g->n; i++) {
		if (l4 && !strncmp(g->tokens[i], "ip_frag=later", 13))
			snprintf(g->tokens[i], GEN_TOKEN, "ip_frag=first");
		if (ct_tuple && !strncmp(g->tokens[i], "ct_state=", 9))
			snprintf(g->tokens[i], GEN_TOKEN, "ct_state=+trk+est");
	}
	if (ct_tuple)
		snprintf(gen_token(g), GEN_TOKEN, "ct_state=%s", coin(r) ? "+trk-inv" : "+new-est");

	/* Order does not matter (prerequisites are checked on the whole match). */
	for (i = g->n; i > 1; i--) {
		unsigned int j = rnd_below(r, i);
		char tmp[GEN_TOKEN];

		memcpy(tmp, g->tokens[i - 1], GEN_TOKEN);
		memcpy(g->tokens[i - 1], g->tokens[j], GEN_TOKEN);
		memcpy(g->tokens[j], tmp, GEN_TOKEN);
	}
	len = 0;
	for (i = 0; i < g->n; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", g->tokens[i],
		                        seps[rnd_below(r, N_ELEMS(seps))]);
	len += (size_t)snprintf(out + len, size - len, "actions=");
	n_actions = rnd_below(r, 8);
	goto_table = table < 254 && rnd_below(r, 4) == 0;
	if (n_actions == 0 && !goto_table && coin(r))
		len += (size_t)snprintf(out + len, size - len, "drop");
	for (i = 0; i < n_actions; i++) {
		char action[1024];

		gen_action(r, action, sizeof(action));
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? "," : "", action);
	}
	if (goto_table)
		snprintf(out + len, size - len, "%sgoto_table:%u", n_actions ? "," : "",
		         table + 1 + rnd_below(r, 254 - table));
}

static void
test_vs_flow_random_round_trip(void **state)
{
	struct rng r = { 0x5eed0f10c0ffeeull };
	struct gen_flow *g = malloc(sizeof(*g));
	char text[8192], out[8192];
	unsigned int i;

	(void)state;
	assert_non_null(g);
	for (i = 0; i < 4000; i++) {
		gen_flow_text(&r, g, text, sizeof(text));
		round_trip(text, NULL, out, sizeof(out));
		/* With port names: numbers that have names print as names and read back. */
		round_trip(text, &test_names, out, sizeof(out));
	}
	free(g);
}

/* --- robustness -------------------------------------------------------- */

/* Parses 'text' with a short error buffer; on success it must round-trip. */
static void
parse_anything(const char *text)
{
	struct vs_flow_spec a, b;
	char err[24], out[8192];
	unsigned int flags[] = { VS_FP_ADD, VS_FP_DEL, 0 };
	size_t i;
	int rc;

	for (i = 0; i < N_ELEMS(flags); i++) {
		memset(err, 0, sizeof(err));
		rc = vs_flow_parse(text, flags[i], &test_names, &a, err, sizeof(err));
		if (rc != 0) {
			assert_int_equal(rc, -EINVAL);
			assert_true(err[0] != '\0');
			assert_int_equal(a.n_actions, 0);
			continue;
		}
		vs_flow_format(&a, &test_names, out, sizeof(out));
		/* Actions or not, the flow text reparses the same under add-flow rules. */
		if (flags[i] == VS_FP_ADD) {
			rc = vs_flow_parse(out, VS_FP_ADD, &test_names, &b, err, sizeof(err));
			if (rc != 0 || !spec_equal(&a, &b))
				fail_msg("'%s' -> '%s' does not reparse (%s)", text, out, err);
			vs_flow_spec_free(&b);
		}
		vs_flow_spec_free(&a);
	}
}

static void
test_vs_flow_fuzz_never_crashes(void **state)
{
	static const char alphabet[] = "=,/:()[]-+|.x0123456789abcdef \t>_";
	struct rng r = { 0xf00dull };
	char text[1024];
	size_t i, len, k;

	(void)state;
	/* Mutations of valid flows: insert, delete, replace and truncate characters. */
	for (i = 0; i < 30000; i++) {
		const char *seed = golden[rnd_below(&r, N_ELEMS(golden))].in;
		unsigned int n_mut = 1 + rnd_below(&r, 4), m;

		snprintf(text, sizeof(text), "%s", seed);
		for (m = 0; m < n_mut; m++) {
			len = strlen(text);
			k = len ? rnd_below(&r, (uint32_t)len) : 0;
			switch (rnd_below(&r, 4)) {
			case 0:
				if (len + 1 < sizeof(text)) {
					memmove(text + k + 1, text + k, len - k + 1);
					text[k] = alphabet[rnd_below(&r, sizeof(alphabet) - 1)];
				}
				break;
			case 1:
				if (len)
					memmove(text + k, text + k + 1, len - k);
				break;
			case 2:
				if (len)
					text[k] = (char)(1 + rnd_below(&r, 255));
				break;
			default:
				text[k] = '\0';
				break;
			}
		}
		parse_anything(text);
	}
	/* Pure noise. */
	for (i = 0; i < 5000; i++) {
		len = rnd_below(&r, 200);
		for (k = 0; k < len; k++)
			text[k] = alphabet[rnd_below(&r, sizeof(alphabet) - 1)];
		text[len] = '\0';
		parse_anything(text);
	}
}

static void
test_vs_flow_long_inputs_rejected(void **state)
{
	size_t size = 100000, i;
	char *text = malloc(size + 1);

	(void)state;
	assert_non_null(text);
	/* A huge field name, value, nesting, action list and match. */
	memset(text, 'a', size);
	text[size] = '\0';
	parse_err(text, VS_FP_DEL, NULL,
	          "unknown field "
	          "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'");
	memcpy(text, "reg0=", 5);
	parse_err(text, VS_FP_DEL, NULL, "value too long for reg0");
	memcpy(text, "actions=", 8);
	for (i = 8; i < size; i++)
		text[i] = i < size / 2 ? '(' : ')';
	parse_anything(text);
	for (i = 8; i + 2 < size; i += 2)
		memcpy(text + i, "1,", 2);
	parse_err(text, VS_FP_ADD, NULL, "too many actions (max 32)");
	for (i = 0; i + 4 < size; i += 4)
		memcpy(text + i, "ip, ", 4);
	text[i] = '\0';
	parse_anything(text);
	for (i = 0; i + 8 < size; i += 8)
		memcpy(text + i, "reg0=1, ", 8);
	text[i] = '\0';
	parse_err(text, VS_FP_DEL, NULL, "too many match fields (max 128)");
	memcpy(text, "actions=ct(commit,exec(", 23);
	for (i = 23; i + 1 < size; i++)
		text[i] = 'x';
	text[size - 2] = ')';
	text[size - 1] = ')';
	text[size] = '\0';
	parse_err(text, VS_FP_ADD, NULL,
	          "action too long: 'ct(commit,exec(xxxxxxxxxxxxxxxxxxxx"
	          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vs_flow_field_table_consistent),
		cmocka_unit_test(test_vs_flow_field_aliases),
		cmocka_unit_test(test_vs_flow_match_packet_field_bytes),
		cmocka_unit_test(test_vs_flow_match_metadata_field_bytes),
		cmocka_unit_test(test_vs_flow_match_later_field_overrides),
		cmocka_unit_test(test_vs_flow_shorthands),
		cmocka_unit_test(test_vs_flow_shorthand_dl_type_conflict),
		cmocka_unit_test(test_vs_flow_flow_params),
		cmocka_unit_test(test_vs_flow_prereqs_satisfied_in_any_order),
		cmocka_unit_test(test_vs_flow_prereqs_enforced),
		cmocka_unit_test(test_vs_flow_actions_forwarding),
		cmocka_unit_test(test_vs_flow_actions_vlan),
		cmocka_unit_test(test_vs_flow_actions_set_field),
		cmocka_unit_test(test_vs_flow_actions_errors),
		cmocka_unit_test(test_vs_flow_actions_limit),
		cmocka_unit_test(test_vs_flow_ct_arguments),
		cmocka_unit_test(test_vs_flow_ct_errors),
		cmocka_unit_test(test_vs_flow_port_names),
		cmocka_unit_test(test_vs_flow_error_messages_name_token),
		cmocka_unit_test(test_vs_flow_error_buffer_handling),
		cmocka_unit_test(test_vs_flow_format_golden_round_trip),
		cmocka_unit_test(test_vs_flow_format_match_and_actions),
		cmocka_unit_test(test_vs_flow_format_del_and_odd_specs),
		cmocka_unit_test(test_vs_flow_format_truncates_like_snprintf),
		cmocka_unit_test(test_vs_flow_field_parse_format_api),
		cmocka_unit_test(test_vs_flow_spec_copy_and_free),
		cmocka_unit_test(test_vs_flow_mask_subset),
		cmocka_unit_test(test_vs_flow_random_round_trip),
		cmocka_unit_test(test_vs_flow_fuzz_never_crashes),
		cmocka_unit_test(test_vs_flow_long_inputs_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
