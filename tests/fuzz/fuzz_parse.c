/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: lib/flowcache fc_parse_frame() on arbitrary bytes.
 *
 * Checks the parser's contract (fc.h) on every input: a dropped frame has a
 * drop reason and an all-zero key; a frame that goes on has a non-drop
 * reason, l2_len 14 or 18 matching its VLAN tag, dl_type equal to the
 * ethertype before l3, the MAC addresses of the frame, headers that end
 * inside the frame, and no field of a layer that was not parsed.  The same
 * bytes are then parsed through fc_parse_burst() on a one-segment mbuf,
 * which must give the same key and offsets.  Single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "fc.h"
#include "fuzz_common.h"
#include "test_mbuf.h"

static struct test_mbuf fuzz_tm;

static int
key_is_zero(const struct pm_key *key)
{
	static const struct pm_key zero;

	return memcmp(key, &zero, sizeof(zero)) == 0;
}

static uint16_t
rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
check_frame(const uint8_t *data, size_t size)
{
	uint32_t len = (uint32_t)size;
	uint16_t l2 = 0xffff, l3 = 0xffff, l4 = 0xffff;
	enum fc_parse_reason reason = FC_PR_N;
	struct pm_key key;
	uint16_t outer;
	int ret;

	memset(&key, 0xa5, sizeof(key));
	ret = fc_parse_frame(data, len, &key, &l2, &l3, &l4, &reason);
	FUZZ_CHECK(ret == 0 || ret == -1);
	FUZZ_CHECK((unsigned int)reason <= FC_PR_N);
	if (ret < 0) {
		FUZZ_CHECK(reason != FC_PR_N && fc_parse_reason_is_drop(reason));
		FUZZ_CHECK(key_is_zero(&key));
		FUZZ_CHECK(len < 18);
		return;
	}
	FUZZ_CHECK(!fc_parse_reason_is_drop(reason));
	FUZZ_CHECK(key.in_port == 0 && key.recirc_id == 0 && key.metadata == 0);
	/* Offsets: within the frame, and no L4 without L3. */
	FUZZ_CHECK(l2 == 14 || l2 == 18);
	FUZZ_CHECK((uint32_t)l2 + l3 + l4 <= len);
	FUZZ_CHECK(l3 != 0 || l4 == 0);
	/* L2 and dl_type consistency. */
	FUZZ_CHECK(memcmp(key.dl_dst, data, 6) == 0 && memcmp(key.dl_src, data + 6, 6) == 0);
	outer = rd16(data + 12);
	if (l2 == 18) {
		FUZZ_CHECK(outer == RTE_BE16(0x8100) || outer == RTE_BE16(0x88a8));
		FUZZ_CHECK(key.vlan_tci == (rd16(data + 14) | RTE_BE16(PM_VLAN_PRESENT)));
	} else {
		FUZZ_CHECK(outer != RTE_BE16(0x8100) && outer != RTE_BE16(0x88a8));
		FUZZ_CHECK(key.vlan_tci == 0);
	}
	FUZZ_CHECK(key.dl_type == rd16(data + l2 - 2));
	switch (rte_be_to_cpu_16(key.dl_type)) {
	case 0x0800:
		FUZZ_CHECK(l3 == 0 || (l3 >= 20 && l3 <= 60 && l3 % 4 == 0));
		if (l3 != 0) {
			FUZZ_CHECK(memcmp(&key.nw_src, data + l2 + 12, 8) == 0);
			FUZZ_CHECK(key.nw_proto == data[l2 + 9]);
		} else {
			FUZZ_CHECK(key.nw_src == 0 && key.nw_dst == 0 && key.nw_proto == 0);
		}
		FUZZ_CHECK(key.ipv6_label == 0);
		break;
	case 0x86dd:
		FUZZ_CHECK(l3 == 0 || (l3 >= 40 && (l3 - 40) % 8 == 0));
		FUZZ_CHECK(key.nw_src == 0 && key.nw_dst == 0);
		/* The fixed header is stored whole unless it was rejected. */
		if (reason != FC_PR_IP_TRUNC && reason != FC_PR_IP_BAD_VER &&
		    reason != FC_PR_IP_BAD_LEN)
			FUZZ_CHECK(memcmp(key.ipv6_src, data + l2 + 8, 32) == 0);
		break;
	case 0x0806:
		FUZZ_CHECK(l3 == 0 || l3 == 28);
		FUZZ_CHECK(l4 == 0 && key.tp_src == 0 && key.tp_dst == 0);
		break;
	default:
		/* No parser for this ethertype: nothing past L2. */
		FUZZ_CHECK(l3 == 0 && l4 == 0);
		FUZZ_CHECK(key.nw_proto == 0 && key.nw_src == 0 && key.nw_ttl == 0);
		FUZZ_CHECK(key.tp_src == 0 && key.tp_dst == 0 && key.tcp_flags == 0);
		break;
	}
	if (key.dl_type != RTE_BE16(0x86dd)) {
		static const uint8_t zero16[16];

		FUZZ_CHECK(memcmp(key.ipv6_src, zero16, 16) == 0);
		FUZZ_CHECK(memcmp(key.ipv6_dst, zero16, 16) == 0);
	}
	FUZZ_CHECK(key.tcp_flags == 0 || key.nw_proto == 6);
	FUZZ_CHECK((key.tcp_flags & RTE_BE16(0xf000)) == 0);
	FUZZ_CHECK((key.nw_frag & ~(PM_FRAG_ANY | PM_FRAG_LATER)) == 0);
	FUZZ_CHECK(!(key.nw_frag & PM_FRAG_LATER) || (key.nw_frag & PM_FRAG_ANY));
	if (key.nw_frag & PM_FRAG_LATER)
		FUZZ_CHECK(l4 == 0 && key.tp_src == 0 && key.tp_dst == 0);
	if (l4 == 0)
		FUZZ_CHECK(key.tp_src == 0 && key.tp_dst == 0 && key.tcp_flags == 0);
	/* Metadata the parser must not touch. */
	FUZZ_CHECK(key.tun_id == 0 && key.ct_state == 0 && key.ct_mark == 0);

	/* The burst path over an mbuf must agree with fc_parse_frame(). */
	if (size <= 9216) {
		struct fc_parse_ctx ctx = { .in_port = 7 };
		struct rte_mbuf *m = test_mbuf_init(&fuzz_tm, data, (uint16_t)size);
		struct pm_key bkey;
		uint16_t n;

		n = fc_parse_burst(&ctx, &m, 1, &bkey);
		FUZZ_CHECK(n == 1);
		FUZZ_CHECK(bkey.in_port == 7);
		bkey.in_port = 0;
		FUZZ_CHECK(memcmp(&bkey, &key, sizeof(key)) == 0);
		FUZZ_CHECK(m->l2_len == l2 && m->l3_len == l3 && m->l4_len == l4);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	/* An exact-size heap copy, so ASan catches any read past the frame. */
	copy = malloc(size > 0 ? size : 1);
	if (copy == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	check_frame(copy, size);
	free(copy);
	return 0;
}
