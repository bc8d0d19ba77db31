/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the conntrack TCP tracker (lib/ct/ct_tcp.c) fed packet
 * sequences: ct_tcp_update() on one connection, segment after segment, and
 * ct_tcp_parse_seg() on raw TCP headers.
 *
 * A model of the two endpoints keeps each direction's next sequence number,
 * so that segments land near the window and the tracker gets past its
 * window checks; the input only perturbs them.  Input: byte 0 = options
 * (bit 0 loose pickup, bit 1 be_liberal), bytes 1-8 = the two initial
 * sequence numbers; then steps of 7 bytes: direction and kind (bit 0 reply,
 * bit 1 raw header), TCP flags, SEQ and ACK offsets (signed, times 64 when
 * bit 2 of byte 0), payload length, window, options (bit 0-3 window scale,
 * 4 SACK-permitted, 5 a SACK block, 6 timestamp).  A raw step takes its
 * header length from the payload-length byte and that many following bytes
 * as the TCP header, in an exact-size heap buffer (ASan sees over-reads).
 *
 * Checked at every step: the verdict and reason are in range and agree (valid
 * verdicts carry ok or tcp_ignored, invalid ones another reason); an invalid
 * segment leaves the state byte for byte unchanged; the tracker is pure (the
 * same segment on a copy of the state gives the same verdict and state); a
 * REOPEN comes only for a SYN in TIME_WAIT or CLOSE, and the segment is then
 * tracked on a zeroed state as the API says; NEW only in the original
 * direction before any reply, EST only after a reply or in the reply
 * direction; a tracked connection is in a named state with a non-zero
 * timeout.  A parsed raw header has payload length = length - header length.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct.h"
#include "fuzz_common.h"

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Builds a TCP header for 'seg' with the options 'opt' asks for; parses it back. */
static void
encode_parse(struct ct_tcp_seg *seg, uint8_t opt, uint8_t payload)
{
	uint8_t h[60] = { 0 };
	uint32_t hlen = 20, len;
	struct ct_tcp_seg back;
	uint8_t *buf;

	wr32(h + 4, seg->seq);
	wr32(h + 8, seg->ack);
	h[13] = seg->flags;
	h[14] = (uint8_t)(seg->win >> 8);
	h[15] = (uint8_t)seg->win;
	if (opt & 0x0f) {
		h[hlen++] = 3;
		h[hlen++] = 3;
		h[hlen++] = (uint8_t)((opt & 0x0f) - 1);
		h[hlen++] = 1;
	}
	if (opt & 0x10) {
		h[hlen++] = 4;
		h[hlen++] = 2;
		h[hlen++] = 1;
		h[hlen++] = 1;
	}
	if (opt & 0x20) {
		h[hlen++] = 1;
		h[hlen++] = 1;
		h[hlen++] = 5;
		h[hlen++] = 10;
		wr32(h + hlen, seg->ack - 100);
		wr32(h + hlen + 4, seg->ack + (uint32_t)(opt & 0x80 ? 5000 : 0));
		hlen += 8;
	}
	if (opt & 0x40) {
		h[hlen++] = 1;
		h[hlen++] = 1;
		h[hlen++] = 8;
		h[hlen++] = 10;
		hlen += 8;
	}
	h[12] = (uint8_t)(hlen / 4 << 4);
	len = hlen + payload;
	buf = calloc(1, len ? len : 1);
	FUZZ_CHECK(buf != NULL);
	memcpy(buf, h, hlen);
	FUZZ_CHECK(ct_tcp_parse_seg(buf, len, &back) == 0);
	free(buf);
	FUZZ_CHECK(back.seq == seg->seq && back.ack == seg->ack && back.flags == seg->flags);
	FUZZ_CHECK(back.win == seg->win && back.payload_len == payload);
	/* The option carries 0..14 here, all within CT_TCP_WSCALE_MAX. */
	FUZZ_CHECK(back.wscale == ((opt & 0x0f) ? (opt & 0x0f) - 1u : CT_TCP_WSCALE_NONE));
	FUZZ_CHECK(back.sack_perm == !!(opt & 0x10));
	FUZZ_CHECK(back.n_sack == ((opt & 0x20) ? 1 : 0));
	*seg = back;
}

/* Parses a raw header; returns false when it is refused. */
static bool
parse_raw(const uint8_t *data, uint32_t len, struct ct_tcp_seg *seg)
{
	uint8_t *buf = malloc(len ? len : 1);
	int ret;

	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data, len);
	ret = ct_tcp_parse_seg(buf, len, seg);
	free(buf);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret != 0)
		return false;
	FUZZ_CHECK(len >= 20 && (uint32_t)(data[12] >> 4) * 4 >= 20);
	FUZZ_CHECK(seg->payload_len == len - (uint32_t)(data[12] >> 4) * 4);
	FUZZ_CHECK(seg->wscale == CT_TCP_WSCALE_NONE || seg->wscale <= CT_TCP_WSCALE_MAX);
	return true;
}

static void
check_verdict(const struct ct_tcp_state *before, const struct ct_tcp_state *st, int dir,
              const struct ct_tcp_seg *seg, struct ct_verdict v)
{
	FUZZ_CHECK(v.reason < CT_R_N);
	FUZZ_CHECK(st->state < CT_TCP_N_STATES);
	switch (v.v) {
	case CT_V_NEW:
		FUZZ_CHECK(v.reason == CT_R_OK || v.reason == CT_R_TCP_IGNORED);
		FUZZ_CHECK(dir == CT_DIR_ORIG && !st->seen_reply);
		FUZZ_CHECK(st->state != CT_TCP_NONE);
		break;
	case CT_V_EST:
		FUZZ_CHECK(v.reason == CT_R_OK || v.reason == CT_R_TCP_IGNORED);
		FUZZ_CHECK(dir == CT_DIR_REPLY || st->seen_reply);
		FUZZ_CHECK(st->state != CT_TCP_NONE);
		break;
	case CT_V_INV:
		FUZZ_CHECK(v.reason != CT_R_OK && v.reason != CT_R_TCP_IGNORED);
		FUZZ_CHECK(memcmp(before, st, sizeof(*st)) == 0);
		break;
	case CT_V_REOPEN:
		FUZZ_CHECK(before->state == CT_TCP_TIME_WAIT || before->state == CT_TCP_CLOSE);
		FUZZ_CHECK(seg->flags & CT_TCP_SYN);
		break;
	case CT_V_DELETE:
		/* An RST before any reply (nf_conntrack deletes the entry). */
		FUZZ_CHECK(seg->flags & CT_TCP_RST);
		FUZZ_CHECK(!before->seen_reply || dir == CT_DIR_REPLY);
		break;
	default:
		FUZZ_CHECK(!"verdict out of range");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_tcp_cfg cfg;
	struct ct_tcp_state st;
	struct ct_timeouts tmo;
	uint32_t nxt[2];
	size_t off = 9;
	bool wide;

	if (size < 9)
		return 0;
	memset(&st, 0, sizeof(st));
	memset(&cfg, 0, sizeof(cfg));
	ct_timeouts_default(&tmo);
	cfg.loose = data[0] & 1;
	cfg.be_liberal = data[0] & 2;
	wide = data[0] & 4;
	nxt[0] = rd32(data + 1);
	nxt[1] = rd32(data + 5);

	while (off + 7 <= size) {
		const uint8_t *s = data + off;
		int dir = s[0] & 1;
		struct ct_tcp_state before, copy;
		struct ct_verdict v, v2;
		struct ct_tcp_seg seg;
		int32_t dseq = (int8_t)s[2], dack = (int8_t)s[3];

		off += 7;
		if (s[0] & 2) {
			uint32_t len = s[4];

			if (len > size - off)
				len = (uint32_t)(size - off);
			if (!parse_raw(data + off, len, &seg)) {
				off += len;
				continue;
			}
			off += len;
		} else {
			memset(&seg, 0, sizeof(seg));
			if (wide) {
				dseq *= 64;
				dack *= 64;
			}
			seg.seq = nxt[dir] + (uint32_t)dseq;
			seg.ack = nxt[!dir] + (uint32_t)dack;
			seg.flags = s[1];
			seg.win = (uint16_t)(s[5] << 8 | 0xff);
			encode_parse(&seg, s[6], s[4]);
		}
		before = st;
		copy = st;
		v = ct_tcp_update(&st, dir, &seg, &cfg);
		check_verdict(&before, &st, dir, &seg, v);
		v2 = ct_tcp_update(&copy, dir, &seg, &cfg);
		FUZZ_CHECK(v2.v == v.v && v2.reason == v.reason);
		FUZZ_CHECK(memcmp(&copy, &st, sizeof(st)) == 0);
		if (v.v == CT_V_REOPEN) {
			/* The caller drops the connection and tracks the SYN as new,
			 * from this side: the roles swap when it came as a reply. */
			if (dir == CT_DIR_REPLY) {
				uint32_t t = nxt[0];

				nxt[0] = nxt[1];
				nxt[1] = t;
			}
			memset(&st, 0, sizeof(st));
			before = st;
			dir = CT_DIR_ORIG;
			v = ct_tcp_update(&st, dir, &seg, &cfg);
			check_verdict(&before, &st, dir, &seg, v);
			FUZZ_CHECK(v.v != CT_V_REOPEN);
		}
		if (v.v != CT_V_INV) {
			uint32_t end = seg.seq + seg.payload_len + !!(seg.flags & CT_TCP_SYN) +
			               !!(seg.flags & CT_TCP_FIN);

			if ((int32_t)(end - nxt[dir]) > 0)
				nxt[dir] = end;
			FUZZ_CHECK(ct_tcp_timeout(&st, &tmo) > 0);
			FUZZ_CHECK(ct_tcp_state_name((enum ct_tcp_state_id)st.state) != NULL);
		}
	}
	return 0;
}
