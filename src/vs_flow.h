/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenFlow-style flows: the field table, actions, and the text syntax of
 * ovs-ofctl add-flow / del-flows / dump-flows (a subset, same spelling).
 *
 * A flow is parsed into a 'struct vs_flow_spec' (match as a pre-masked
 * pm_key plus mask, and an action list); the rule tables (vs_ofproto.h)
 * store specs, and the PMD's action executor (vs_xlate.h) interprets the
 * action list.  Parsing and formatting are pure functions of their
 * arguments: callable from any thread, no EAL needed.
 */
#ifndef VS_FLOW_H
#define VS_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pktmeta.h"

/** Default priority of a flow (OFP_DEFAULT_PRIORITY). */
#define VS_FLOW_PRIO_DEFAULT 32768
/** Number of OpenFlow tables. */
#define VS_N_TABLES 255
/** Maximum actions in one flow. */
#define VS_ACTIONS_MAX 32
/** Maximum ofport number (OFPP_MAX). */
#define VS_OFPORT_MAX 65279
/** ofport used in key.in_port when no port is known. */
#define VS_OFPORT_NONE 0

struct vs_port_names;

/*
 * Match and set_field fields.  X(enum suffix, name in the syntax).
 * The order is the order in which the printer emits matches.
 */
#define VS_FIELDS(X)                                                                               \
	X(RECIRC_ID, "recirc_id")                                                                  \
	X(IN_PORT, "in_port")                                                                      \
	X(METADATA, "metadata")                                                                    \
	X(REG0, "reg0")                                                                            \
	X(REG1, "reg1")                                                                            \
	X(REG2, "reg2")                                                                            \
	X(REG3, "reg3")                                                                            \
	X(REG4, "reg4")                                                                            \
	X(REG5, "reg5")                                                                            \
	X(REG6, "reg6")                                                                            \
	X(REG7, "reg7")                                                                            \
	X(TUN_ID, "tun_id")                                                                        \
	X(TUN_SRC, "tun_src")                                                                      \
	X(TUN_DST, "tun_dst")                                                                      \
	X(CT_STATE, "ct_state")                                                                    \
	X(CT_ZONE, "ct_zone")                                                                      \
	X(CT_MARK, "ct_mark")                                                                      \
	X(CT_LABEL, "ct_label")                                                                    \
	X(CT_NW_SRC, "ct_nw_src")                                                                  \
	X(CT_NW_DST, "ct_nw_dst")                                                                  \
	X(CT_IPV6_SRC, "ct_ipv6_src")                                                              \
	X(CT_IPV6_DST, "ct_ipv6_dst")                                                              \
	X(CT_NW_PROTO, "ct_nw_proto")                                                              \
	X(CT_TP_SRC, "ct_tp_src")                                                                  \
	X(CT_TP_DST, "ct_tp_dst")                                                                  \
	X(DL_SRC, "dl_src")                                                                        \
	X(DL_DST, "dl_dst")                                                                        \
	X(DL_TYPE, "dl_type")                                                                      \
	X(VLAN_TCI, "vlan_tci")                                                                    \
	X(DL_VLAN, "dl_vlan")                                                                      \
	X(DL_VLAN_PCP, "dl_vlan_pcp")                                                              \
	X(NW_SRC, "nw_src")                                                                        \
	X(NW_DST, "nw_dst")                                                                        \
	X(IPV6_SRC, "ipv6_src")                                                                    \
	X(IPV6_DST, "ipv6_dst")                                                                    \
	X(IPV6_LABEL, "ipv6_label")                                                                \
	X(NW_PROTO, "nw_proto")                                                                    \
	X(NW_TOS, "nw_tos")                                                                        \
	X(IP_DSCP, "ip_dscp")                                                                      \
	X(NW_ECN, "nw_ecn")                                                                        \
	X(NW_TTL, "nw_ttl")                                                                        \
	X(IP_FRAG, "ip_frag")                                                                      \
	X(ARP_OP, "arp_op")                                                                        \
	X(ARP_SPA, "arp_spa")                                                                      \
	X(ARP_TPA, "arp_tpa")                                                                      \
	X(ARP_SHA, "arp_sha")                                                                      \
	X(ARP_THA, "arp_tha")                                                                      \
	X(TP_SRC, "tp_src")                                                                        \
	X(TP_DST, "tp_dst")                                                                        \
	X(TCP_FLAGS, "tcp_flags")                                                                  \
	X(ICMP_TYPE, "icmp_type")                                                                  \
	X(ICMP_CODE, "icmp_code")

/* clang-format would indent VS_F_N as a continuation of the macro's expansion. */
/* clang-format off */
enum vs_field {
#define VS_FIELD_ENUM__(e, s) VS_F_##e,
	VS_FIELDS(VS_FIELD_ENUM__)
#undef VS_FIELD_ENUM__
	VS_F_N
};
/* clang-format on */

/** How a field's value is written and read in the syntax. */
enum vs_field_fmt {
	VS_FMT_DEC,       /**< decimal (hex with 0x accepted) */
	VS_FMT_HEX,       /**< printed as 0x... */
	VS_FMT_MAC,       /**< xx:xx:xx:xx:xx:xx */
	VS_FMT_IPV4,      /**< dotted quad, /len or /mask */
	VS_FMT_IPV6,      /**< RFC 4291 text, /len */
	VS_FMT_PORT,      /**< ofport number or port name */
	VS_FMT_FRAG,      /**< no|yes|first|later|not_later */
	VS_FMT_CT_STATE,  /**< +trk-new... */
	VS_FMT_TCP_FLAGS, /**< hex value/mask or +syn-ack... */
};

/*
 * Where a field lives in struct pm_key.  A field is 'size' bytes at 'offset'
 * (big-endian for packet fields, host order for metadata, see pktmeta.h),
 * restricted to the bits in 'bits' (0 means all bits of the container), and
 * shifted right by 'shift' for display (ip_dscp is nw_tos bits 7..2).
 */
struct vs_field_desc {
	const char *name;
	uint16_t offset;
	uint8_t size;    /**< container bytes: 1, 2, 4, 6, 8 or 16 */
	uint8_t shift;   /**< value = (container & bits) >> shift */
	uint64_t bits;   /**< container bits that belong to the field, 0 = all */
	bool host_order; /**< container is in host order (metadata) */
	bool maskable;   /**< VALUE/MASK accepted in matches */
	bool settable;   /**< usable in set_field */
	enum vs_field_fmt fmt;
	uint16_t prereq_dl_type;  /**< required dl_type (host order), 0 = none */
	uint16_t prereq_dl_type2; /**< alternative dl_type, 0 = none */
	uint8_t prereq_nw_proto;  /**< required nw_proto, 0 = none */
	uint8_t prereq_nw_proto2; /**< alternative nw_proto (icmp vs icmpv6), 0 = none */
	uint16_t prereq_dl_type3; /**< second alternative dl_type (nw_proto on arp), 0 = none */
	uint8_t prereq_nw_proto3; /**< second alternative nw_proto (sctp), 0 = none */
	bool prereq_ct;           /**< needs a valid conntrack entry in ct_state (OVS "CT") */
};

/**
 * A field value as parsed from text: 'value' and 'mask' laid out as the
 * field's container in pm_key (first vs_field_desc.size bytes used, the rest
 * zero).  'value' is pre-masked.
 */
struct vs_field_value {
	uint8_t value[16];
	uint8_t mask[16];
};

/** Descriptor of field 'f', or NULL when f >= VS_F_N. */
const struct vs_field_desc *vs_field_get(enum vs_field f);
/** Field by name (including aliases such as eth_src, ip_src, tcp_src), or -1. */
int vs_field_by_name(const char *name);

/**
 * Parses the text of one field value, "VALUE" or "VALUE/MASK" (masks only
 * for maskable fields), in the field's syntax (see enum vs_field_fmt).
 * Without a mask, 'out->mask' covers the whole field.  dl_vlan and
 * dl_vlan_pcp also set PM_VLAN_PRESENT, as OVS does; dl_vlan=0xffff means
 * "no tag" (vlan_tci 0, mask 0xffff).
 *
 * @param names  resolves in_port names; may be NULL (numbers only).
 * @param err    on failure, a phrase naming the bad text ("bad value 'x'"),
 *               to which callers append " for FIELD".
 * @return 0, or -EINVAL with 'err' set.
 */
int vs_field_parse(enum vs_field f, const char *text, const struct vs_port_names *names,
                   struct vs_field_value *out, char *err, size_t err_size);

/**
 * Prints the value of field 'f' read from its container at 'value' (and
 * 'mask', or NULL for an exact match) as vs_field_parse() reads it back:
 * "VALUE" when the mask covers the whole field, else "VALUE/MASK" (IPv4 and
 * IPv6 prefixes as /N).  No "name=" prefix.
 *
 * @return the length written (snprintf semantics: may exceed 'size').
 */
int vs_field_format(enum vs_field f, const uint8_t *value, const uint8_t *mask,
                    const struct vs_port_names *names, char *buf, size_t size);

/**
 * Sets field 'f' in a match: replaces the field's bits in 'key' and 'mask'
 * by 'v' (so a later field overrides an earlier one, as in ovs-ofctl).
 */
void vs_field_apply(enum vs_field f, const struct vs_field_value *v, struct pm_key *key,
                    struct pm_key *mask);

/**
 * Checks that the match 'key'/'mask' guarantees the prerequisites of the
 * field spelled 'name' (a field name or alias: tcp_src needs tcp, nw_src
 * needs ip or arp, ct_nw_src needs a valid ct_state...).
 *
 * @return 0, or -EINVAL with 'err' naming the field and what it needs.
 */
int vs_field_check_prereqs(const char *name, const struct pm_key *key, const struct pm_key *mask,
                           char *err, size_t err_size);

/*
 * Actions.  X(enum suffix, name in the syntax).
 */
#define VS_ACTIONS(X)                                                                              \
	X(OUTPUT, "output")                                                                        \
	X(IN_PORT, "in_port")                                                                      \
	X(FLOOD, "flood")                                                                          \
	X(ALL, "all")                                                                              \
	X(NORMAL, "normal")                                                                        \
	X(DROP, "drop")                                                                            \
	X(RESUBMIT, "resubmit")                                                                    \
	X(GOTO_TABLE, "goto_table")                                                                \
	X(MOD_VLAN_VID, "mod_vlan_vid")                                                            \
	X(MOD_VLAN_PCP, "mod_vlan_pcp")                                                            \
	X(STRIP_VLAN, "strip_vlan")                                                                \
	X(PUSH_VLAN, "push_vlan")                                                                  \
	X(SET_FIELD, "set_field")                                                                  \
	X(DEC_TTL, "dec_ttl")                                                                      \
	X(CT, "ct")                                                                                \
	X(CT_CLEAR, "ct_clear")

/* clang-format off */
enum vs_act_type {
#define VS_ACT_ENUM__(e, s) VS_ACT_##e,
	VS_ACTIONS(VS_ACT_ENUM__)
#undef VS_ACT_ENUM__
	VS_ACT_N
};
/* clang-format on */

/** How a SET_FIELD action was spelled, so that dump prints it back the same way. */
enum vs_set_spelling {
	VS_SET_FIELD, /**< set_field:V->F */
	VS_SET_MOD,   /**< mod_dl_src:V, mod_nw_dst:V, ... */
};

/** ct() action arguments (lib/ct acts on them). */
struct vs_act_ct {
	bool commit;
	bool zone_from_reg; /**< zone=NXM_NX_REGn[a..b] */
	uint8_t zone_reg;   /**< register index when zone_from_reg */
	uint8_t zone_ofs;   /**< first bit */
	uint8_t zone_nbits; /**< bit count */
	uint16_t zone;      /**< zone when !zone_from_reg */
	uint8_t table;      /**< recirculation table, or VS_CT_NO_TABLE */
	bool set_mark;
	bool set_label;
	uint32_t mark, mark_mask;
	uint8_t label[16], label_mask[16];
};
#define VS_CT_NO_TABLE 255
/** resubmit: 'arg' when no table was given (search the current table again). */
#define VS_RESUBMIT_CUR_TABLE 255

/*
 * One action.  'arg' is the ofport (OUTPUT), table (RESUBMIT/GOTO_TABLE;
 * RESUBMIT uses VS_RESUBMIT_CUR_TABLE for resubmit:PORT and 'port' for
 * resubmit(PORT,TABLE), VS_OFPORT_NONE = in_port unchanged), VLAN id
 * (MOD_VLAN_VID), PCP (MOD_VLAN_PCP) or ethertype (PUSH_VLAN, host order).
 * SET_FIELD writes 'value' under 'mask', both laid out as the field's
 * container in pm_key (see vs_field_desc); 'value' is pre-masked.  dl_vlan
 * and dl_vlan_pcp include PM_VLAN_PRESENT in value and mask (a set implies a
 * tag); set_field:0xffff->dl_vlan is value 0 under mask 0xffff (no tag).
 */
struct vs_action {
	uint16_t type;     /**< enum vs_act_type */
	uint16_t field;    /**< enum vs_field (SET_FIELD) */
	uint16_t spelling; /**< enum vs_set_spelling (SET_FIELD) */
	uint16_t port;     /**< RESUBMIT: in_port to use, or VS_OFPORT_NONE */
	uint32_t arg;
	uint8_t value[16];
	uint8_t mask[16];
	struct vs_act_ct *ct; /**< CT: owned by the spec, see vs_flow_spec_free() */
};

/*
 * A parsed flow.  'key' is pre-masked ('key & mask == key').
 */
struct vs_flow_spec {
	uint8_t table_id;
	uint16_t priority;
	bool has_priority; /**< priority= was given (del --strict needs it) */
	uint64_t cookie;
	uint64_t cookie_mask; /**< del: cookie=V/M; add: all ones when cookie given */
	bool cookie_matched;  /**< given as cookie=V/M (a match), printed with its mask */
	uint16_t idle_timeout;
	uint16_t hard_timeout;
	bool has_table; /**< table= was given (del without it means all tables) */
	struct pm_key key;
	struct pm_key mask;
	uint16_t n_actions;
	struct vs_action actions[VS_ACTIONS_MAX];
};

/** Resolves and prints port names. */
struct vs_port_names {
	void *ctx;
	/** ofport for 'name' (exact), or -1 if there is no such port. */
	int (*by_name)(void *ctx, const char *name);
	/** Name of 'ofport', or NULL. */
	const char *(*name_of)(void *ctx, uint32_t ofport);
};

/** Flags for vs_flow_parse(). */
enum vs_flow_parse_flags {
	VS_FP_ADD = 1 << 0, /**< add-flow: "actions=" required, timeouts allowed */
	VS_FP_DEL = 1 << 1, /**< del-flows: match only, "actions=" rejected, empty allowed */
};

/**
 * Parses 'text' in ovs-ofctl flow syntax: comma or space separated
 * "table=N", "priority=N", "cookie=V[/M]", "idle_timeout=N", "hard_timeout=N",
 * protocol shorthands (ip, ipv6, arp, icmp, icmp6, tcp, udp, sctp, tcp6, udp6,
 * sctp6), FIELD=VALUE[/MASK] matches, then "actions=..." (or "action=") to the
 * end of the text.  Prerequisites are checked once the whole match is read, so
 * their order does not matter (nw_src needs ip or arp, tp_src needs
 * tcp/udp/sctp, ct_nw_src a ct_state that implies a connection...).
 * Without VS_FP_ADD or VS_FP_DEL, "actions=" is optional and cookie masks are
 * allowed (a dump-flows filter).  Never recurses; any input is safe.
 *
 * @param names  resolves port names in in_port= and output:; may be NULL.
 * @param err    on failure, one line naming the offending token.
 * @return 0, -EINVAL with 'err' set, or -ENOMEM (ct() arguments are
 *         allocated).  'spec' is fully written on success; on failure its
 *         contents are undefined but it owns nothing (calling
 *         vs_flow_spec_free() either way is fine).
 */
int vs_flow_parse(const char *text, unsigned int flags, const struct vs_port_names *names,
                  struct vs_flow_spec *spec, char *err, size_t err_size);

/** Releases what a parsed spec owns (ct arguments).  Accepts a zeroed spec and NULL. */
void vs_flow_spec_free(struct vs_flow_spec *spec);
/** Deep copy of 'src' into 'dst' (which must not own anything). @return 0 or -ENOMEM. */
int vs_flow_spec_copy(struct vs_flow_spec *dst, const struct vs_flow_spec *src);

/**
 * Prints the match of 'key'/'mask' as dump-flows does: "priority=N," is not
 * included; shorthands first ("ip", "tcp", ...), then fields in VS_FIELDS
 * order, comma separated, no trailing comma.  Empty match prints "".
 * Ports print as numbers, or as names when 'names' is not NULL (and the name
 * reads back as the same port).  Exact masks print no "/MASK", IPv4/IPv6
 * prefixes print "/N"; ARP flows print arp_spa/arp_tpa/arp_op, ICMP flows
 * icmp_type/icmp_code; ct_state prints as "+trk+new-est" (trk, new, est, rel,
 * rpl, inv order); dl_vlan/dl_vlan_pcp replace vlan_tci when they say it all.
 *
 * @return the length written (snprintf semantics: may exceed 'size').
 */
int vs_flow_format_match(const struct pm_key *key, const struct pm_key *mask,
                         const struct vs_port_names *names, char *buf, size_t size);

/**
 * Prints the action list ("drop" when empty), without the "actions=" prefix.
 * Reserved ports print in upper case as OVS does (NORMAL, FLOOD, ALL,
 * IN_PORT); ct() prints as ct(commit,zone=...,table=...,exec(...)).
 *
 * @return the length written (snprintf semantics: may exceed 'size').
 */
int vs_flow_format_actions(const struct vs_action *actions, uint16_t n_actions,
                           const struct vs_port_names *names, char *buf, size_t size);

/**
 * Prints a whole spec as accepted by vs_flow_parse(VS_FP_ADD): "table=N,"
 * (when given or non-zero), "priority=N," (when given or not default),
 * "cookie=0x...," (when given or non-zero; "/MASK" for a partial mask),
 * timeouts, the match, then " actions=...".  parse(format(spec)) == spec.
 *
 * @return the length written (snprintf semantics: may exceed 'size').
 */
int vs_flow_format(const struct vs_flow_spec *spec, const struct vs_port_names *names, char *buf,
                   size_t size);

/** True when 'mask' covers no more than 'other' (every bit set in mask is set in other). */
bool vs_mask_subset(const struct pm_key *mask, const struct pm_key *other);

#endif /* VS_FLOW_H */
