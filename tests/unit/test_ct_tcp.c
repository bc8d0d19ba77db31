/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the TCP tracker (lib/ct ct_tcp.c), no EAL.
 *
 * The transition test has one row per (direction, flag class, state), with
 * the expected outcome written from Linux nf_conntrack_proto_tcp.c
 * tcp_conntracks[2][6][]; each row starts from a state built with
 * consistent windows and sends an in-window segment of that class, so the
 * row tests the table and not the window check.  The other tests drive real
 * sequences (handshakes, data, close) with window edges on both sides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include "ct.h"
#include "ct_priv.h"

#define ISN_A 1000u
#define ISN_B 5000u
#define WIN   65535u

static const struct ct_tcp_cfg cfg_loose = { .loose = true };
static const struct ct_tcp_cfg cfg_strict = { .loose = false };

static struct ct_tcp_seg
mkseg(uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len, uint16_t win)
{
	struct ct_tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.payload_len = len;
	s.win = win;
	s.wscale = CT_TCP_WSCALE_NONE;
	return s;
}

static struct ct_verdict
upd(struct ct_tcp_state *st, int dir, struct ct_tcp_seg s)
{
	return ct_tcp_update(st, dir, &s, &cfg_loose);
}

/* Asserts an update is valid with verdict 'v' and leaves 'state'. */
#define EXPECT_OK(st, dir, seg, v_, state_)                                                        \
	do {                                                                                       \
		struct ct_verdict vv = upd((st), (dir), (seg));                                    \
		assert_int_equal(vv.v, (v_));                                                      \
		assert_int_equal(vv.reason, CT_R_OK);                                              \
		assert_int_equal((st)->state, (state_));                                           \
	} while (0)

/* Asserts an update is invalid for 'reason' and changes nothing. */
#define EXPECT_INV(st, dir, seg, reason_)                                                          \
	do {                                                                                       \
		struct ct_tcp_state before_ = *(st);                                               \
		struct ct_verdict vv = upd((st), (dir), (seg));                                    \
		assert_int_equal(vv.v, CT_V_INV);                                                  \
		assert_int_equal(vv.reason, (reason_));                                            \
		assert_memory_equal(&before_, (st), sizeof(before_));                              \
	} while (0)

/* Asserts an update is let through without refreshing (CT_R_TCP_IGNORED), leaving 'state'. */
#define EXPECT_IGN(st, dir, seg, state_)                                                           \
	do {                                                                                       \
		struct ct_verdict vv = upd((st), (dir), (seg));                                    \
		assert_int_not_equal(vv.v, CT_V_INV);                                              \
		assert_int_equal(vv.reason, CT_R_TCP_IGNORED);                                     \
		assert_int_equal((st)->state, (state_));                                           \
	} while (0)

/* A: SYN, B: SYN/ACK, A: ACK, with windows and options. */
static void
handshake(struct ct_tcp_state *st, uint8_t ws_a, uint8_t ws_b, uint16_t win_a, uint16_t win_b)
{
	struct ct_tcp_seg s;

	memset(st, 0, sizeof(*st));
	s = mkseg(CT_TCP_SYN, ISN_A, 0, 0, win_a);
	s.wscale = ws_a;
	s.sack_perm = 1;
	EXPECT_OK(st, CT_DIR_ORIG, s, CT_V_NEW, CT_TCP_SYN_SENT);
	s = mkseg(CT_TCP_SYN | CT_TCP_ACK, ISN_B, ISN_A + 1, 0, win_b);
	s.wscale = ws_b;
	s.sack_perm = 1;
	EXPECT_OK(st, CT_DIR_REPLY, s, CT_V_EST, CT_TCP_SYN_RECV);
	EXPECT_OK(st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 1, ISN_B + 1, 0, win_a), CT_V_EST,
	          CT_TCP_ESTABLISHED);
}

static void
test_ct_tcp_handshake_data_close(void **state)
{
	struct ct_tcp_state st;

	(void)state;
	handshake(&st, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, WIN, WIN);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK | CT_TCP_PSH, ISN_A + 1, ISN_B + 1, 100, WIN),
	          CT_V_EST, CT_TCP_ESTABLISHED);
	assert_int_equal(st.peer[0].td_end, ISN_A + 101);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, ISN_B + 1, ISN_A + 101, 50, WIN), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	assert_int_equal(st.peer[1].td_end, ISN_B + 51);
	/* A closes: FIN_WAIT; B acks the FIN: CLOSE_WAIT; B's FIN: LAST_ACK; A's ACK: TIME_WAIT. */
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_FIN | CT_TCP_ACK, ISN_A + 101, ISN_B + 51, 0, WIN),
	          CT_V_EST, CT_TCP_FIN_WAIT);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, ISN_B + 51, ISN_A + 102, 0, WIN), CT_V_EST,
	          CT_TCP_CLOSE_WAIT);
	EXPECT_OK(&st, CT_DIR_REPLY,
	          mkseg(CT_TCP_FIN | CT_TCP_ACK, ISN_B + 51, ISN_A + 102, 0, WIN), CT_V_EST,
	          CT_TCP_LAST_ACK);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 102, ISN_B + 52, 0, WIN), CT_V_EST,
	          CT_TCP_TIME_WAIT);
}

/* ---------------------------------------------------------------------- */
/* Transition table.                                                      */

enum outcome {
	GO, /* valid, moves to 'to', refreshes the connection */
	GI, /* valid, moves to 'to', but refreshes nothing (CT_R_TCP_IGNORED) */
	IG, /* valid, ignored: state kept, nothing refreshed */
	IV, /* invalid */
	RO, /* reopen */
	DL, /* valid, then the connection is deleted (RST before any reply) */
};

/* How the 'from' state was reached, where the transition depends on it. */
enum variant {
	V_STD,     /* the usual way: handshake, then close by the originator (FIN or RST) */
	V_RST_RPL, /* CLOSE reached by the reply side's RST */
	V_SIMOPEN, /* SYN_RECV reached through SYN_SENT2 (simultaneous open) */
};

struct row {
	int dir;
	uint8_t flags;
	uint8_t from;
	enum outcome out;
	uint8_t to;
	enum variant var;
};

#define O        CT_DIR_ORIG
#define R        CT_DIR_REPLY
#define F_SYN    CT_TCP_SYN
#define F_SYNACK (CT_TCP_SYN | CT_TCP_ACK)
#define F_FIN    (CT_TCP_FIN | CT_TCP_ACK)
#define F_ACK    CT_TCP_ACK
#define F_RST    CT_TCP_RST
#define F_NONE   CT_TCP_PSH
#define NO       CT_TCP_NONE
#define SS       CT_TCP_SYN_SENT
#define SR       CT_TCP_SYN_RECV
#define ES       CT_TCP_ESTABLISHED
#define FW       CT_TCP_FIN_WAIT
#define CW       CT_TCP_CLOSE_WAIT
#define LA       CT_TCP_LAST_ACK
#define TW       CT_TCP_TIME_WAIT
#define CL       CT_TCP_CLOSE
#define S2       CT_TCP_SYN_SENT2

static const struct row rows[] = {
	/* ORIGINAL, SYN */
	{ O, F_SYN, NO, GO, SS }, /* new connection */
	{ O, F_SYN, SS, GI, SS }, /* retransmitted SYN: does not extend the timeout */
	{ O, F_SYN, SR, IG, 0 },  /* peer may have lost its state */
	{ O, F_SYN, ES, IG, 0 },
	{ O, F_SYN, FW, IG, 0 },
	{ O, F_SYN, CW, IG, 0 },
	{ O, F_SYN, LA, IG, 0 },
	{ O, F_SYN, TW, RO, 0 },            /* reuse of a TIME_WAIT tuple (closed by FIN) */
	{ O, F_SYN, CL, RO, 0 },            /* reuse after our own RST */
	{ O, F_SYN, CL, IG, 0, V_RST_RPL }, /* after the peer's RST: ignored (nf_conntrack) */
	{ O, F_SYN, S2, GO, S2 },           /* retransmit in simultaneous open */
	/* ORIGINAL, SYN/ACK */
	{ O, F_SYNACK, NO, IV, 0 },
	{ O, F_SYNACK, SS, IV, 0 },  /* client cannot answer its own SYN */
	{ O, F_SYNACK, SR, GO, SR }, /* late retransmit in simultaneous open */
	{ O, F_SYNACK, ES, IV, 0 },
	{ O, F_SYNACK, FW, IV, 0 },
	{ O, F_SYNACK, CW, IV, 0 },
	{ O, F_SYNACK, LA, IV, 0 },
	{ O, F_SYNACK, TW, IV, 0 },
	{ O, F_SYNACK, CL, IV, 0 },
	{ O, F_SYNACK, S2, GO, SR }, /* simultaneous open */
	/* ORIGINAL, FIN */
	{ O, F_FIN, NO, IV, 0 },
	{ O, F_FIN, SS, IV, 0 },
	{ O, F_FIN, SR, GO, FW },
	{ O, F_FIN, ES, GO, FW },
	{ O, F_FIN, FW, GO, LA },
	{ O, F_FIN, CW, GO, LA },
	{ O, F_FIN, LA, GO, LA },
	{ O, F_FIN, TW, GO, TW },
	{ O, F_FIN, CL, GO, CL },
	{ O, F_FIN, S2, IV, 0 },
	/* ORIGINAL, ACK */
	{ O, F_ACK, NO, GO, ES }, /* mid-stream pickup (loose) */
	{ O, F_ACK, SS, IV, 0 },  /* ACK before any SYN/ACK */
	{ O, F_ACK, SR, GO, ES }, /* third packet of the handshake */
	{ O, F_ACK, ES, GO, ES },
	{ O, F_ACK, FW, GO, CW },
	{ O, F_ACK, CW, GO, CW },
	{ O, F_ACK, LA, GO, TW },
	{ O, F_ACK, TW, GO, TW },
	{ O, F_ACK, CL, GO, CL },
	{ O, F_ACK, S2, IV, 0 },
	/* ORIGINAL, RST */
	{ O, F_RST, NO, IV, 0 },
	{ O, F_RST, SS, DL, CL }, /* the client gives up before any reply */
	{ O, F_RST, SR, GO, CL },
	{ O, F_RST, ES, GO, CL },
	{ O, F_RST, FW, GO, CL },
	{ O, F_RST, CW, GO, CL },
	{ O, F_RST, LA, GO, CL },
	{ O, F_RST, TW, GO, CL },
	{ O, F_RST, CL, GO, CL },
	{ O, F_RST, S2, GO, CL },
	/* ORIGINAL, none of SYN/FIN/ACK/RST */
	{ O, F_NONE, NO, IV, 0 },
	{ O, F_NONE, SS, IV, 0 },
	{ O, F_NONE, SR, IV, 0 },
	{ O, F_NONE, ES, IV, 0 },
	{ O, F_NONE, FW, IV, 0 },
	{ O, F_NONE, CW, IV, 0 },
	{ O, F_NONE, LA, IV, 0 },
	{ O, F_NONE, TW, IV, 0 },
	{ O, F_NONE, CL, IV, 0 },
	{ O, F_NONE, S2, IV, 0 },
	/* REPLY, SYN */
	{ R, F_SYN, NO, IV, 0 },
	{ R, F_SYN, SS, GI, S2 }, /* simultaneous open (no refresh before a reply) */
	{ R, F_SYN, SR, IV, 0 },
	{ R, F_SYN, ES, IV, 0 },
	{ R, F_SYN, FW, IV, 0 },
	{ R, F_SYN, CW, IV, 0 },
	{ R, F_SYN, LA, IV, 0 },
	{ R, F_SYN, TW, RO, 0 }, /* reuse, roles swapped */
	{ R, F_SYN, CL, IV, 0 },
	{ R, F_SYN, S2, GO, S2 },
	/* REPLY, SYN/ACK */
	{ R, F_SYNACK, NO, IV, 0 },
	{ R, F_SYNACK, SS, GO, SR }, /* the server's answer */
	{ R, F_SYNACK, SR, IG, 0 },  /* retransmitted SYN/ACK */
	{ R, F_SYNACK, ES, IG, 0 },
	{ R, F_SYNACK, FW, IG, 0 },
	{ R, F_SYNACK, CW, IG, 0 },
	{ R, F_SYNACK, LA, IG, 0 },
	{ R, F_SYNACK, TW, IG, 0 },
	{ R, F_SYNACK, CL, IG, 0 },
	{ R, F_SYNACK, S2, GO, SR },
	/* REPLY, FIN */
	{ R, F_FIN, NO, IV, 0 },
	{ R, F_FIN, SS, IV, 0 },
	{ R, F_FIN, SR, GO, FW },
	{ R, F_FIN, ES, GO, FW },
	{ R, F_FIN, FW, GO, LA },
	{ R, F_FIN, CW, GO, LA },
	{ R, F_FIN, LA, GO, LA },
	{ R, F_FIN, TW, GO, TW },
	{ R, F_FIN, CL, GO, CL },
	{ R, F_FIN, S2, IV, 0 },
	/* REPLY, ACK */
	{ R, F_ACK, NO, IV, 0 },
	{ R, F_ACK, SS, IG, 0 },             /* half-open connection */
	{ R, F_ACK, SR, GO, SR },            /* may answer a resent SYN */
	{ R, F_ACK, SR, GO, ES, V_SIMOPEN }, /* last ACK of a simultaneous open */
	{ R, F_ACK, ES, GO, ES },
	{ R, F_ACK, FW, GO, CW },
	{ R, F_ACK, CW, GO, CW },
	{ R, F_ACK, LA, GO, TW },
	{ R, F_ACK, TW, GO, TW },
	{ R, F_ACK, CL, GO, CL },
	{ R, F_ACK, S2, IG, 0 },
	/* REPLY, RST */
	{ R, F_RST, NO, IV, 0 },
	{ R, F_RST, SS, DL, CL }, /* refused: connection deleted */
	{ R, F_RST, SR, GO, CL },
	{ R, F_RST, ES, GO, CL },
	{ R, F_RST, FW, GO, CL },
	{ R, F_RST, CW, GO, CL },
	{ R, F_RST, LA, GO, CL },
	{ R, F_RST, TW, GO, CL },
	{ R, F_RST, CL, GO, CL },
	{ R, F_RST, S2, GO, CL },
	/* REPLY, none */
	{ R, F_NONE, NO, IV, 0 },
	{ R, F_NONE, SS, IV, 0 },
	{ R, F_NONE, SR, IV, 0 },
	{ R, F_NONE, ES, IV, 0 },
	{ R, F_NONE, FW, IV, 0 },
	{ R, F_NONE, CW, IV, 0 },
	{ R, F_NONE, LA, IV, 0 },
	{ R, F_NONE, TW, IV, 0 },
	{ R, F_NONE, CL, IV, 0 },
	{ R, F_NONE, S2, IV, 0 },
};

/*
 * A state 's' with consistent windows: A (orig) has sent ISN_A + 1 + 100,
 * B (reply) ISN_B + 1 + 100, each acked by the other and allowed WIN more.
 * SYN_SENT: B has sent nothing.  SYN_SENT2: B's SYN seen, nothing acked.
 */
static void
make_state(struct ct_tcp_state *st, uint8_t s, enum variant var)
{
	memset(st, 0, sizeof(*st));
	if (s == NO)
		return;
	st->state = s;
	if (s == SS) {
		st->peer[0] = (struct ct_tcp_peer){ .td_end = ISN_A + 1,
			                            .td_maxend = ISN_A + 1,
			                            .td_maxwin = WIN };
		return;
	}
	st->seen_reply = 1;
	if (s == S2) {
		st->peer[0] = (struct ct_tcp_peer){ .td_end = ISN_A + 1,
			                            .td_maxend = ISN_A + 1,
			                            .td_maxwin = WIN };
		st->peer[1] = (struct ct_tcp_peer){ .td_end = ISN_B + 1,
			                            .td_maxend = ISN_B + 1,
			                            .td_maxwin = WIN };
		return;
	}
	st->peer[0] = (struct ct_tcp_peer){ .td_end = ISN_A + 101,
		                            .td_maxend = ISN_A + 101 + WIN,
		                            .td_maxwin = WIN,
		                            .td_maxack = ISN_B + 101,
		                            .flags = CT_TCP_PF_MAXACK };
	st->peer[1] = (struct ct_tcp_peer){ .td_end = ISN_B + 101,
		                            .td_maxend = ISN_B + 101 + WIN,
		                            .td_maxwin = WIN,
		                            .td_maxack = ISN_A + 101,
		                            .flags = CT_TCP_PF_MAXACK };
	/* What the segments that led here left behind. */
	st->last_class = 4; /* ACK class + 1 */
	st->last_dir = O;
	if (s != SR)
		st->sflags |= CT_TCP_SF_ASSURED;
	else if (var == V_SIMOPEN)
		st->sflags |= CT_TCP_SF_SIMOPEN;
	if (s == FW || s == CW || s == LA || s == TW)
		st->peer[0].flags |= CT_TCP_PF_CLOSE_INIT;
	if (s == CL) {
		st->last_class = 5; /* RST class + 1 */
		st->last_dir = var == V_RST_RPL ? R : O;
	}
}

/* An in-window segment of class 'flags' from 'dir' for state 'st'. */
static struct ct_tcp_seg
row_seg(const struct ct_tcp_state *st, int dir, uint8_t flags)
{
	const struct ct_tcp_peer *snd = &st->peer[dir], *rcv = &st->peer[!dir];
	uint32_t seq = snd->td_end;

	if (flags & CT_TCP_SYN)
		seq = snd->td_maxwin ? snd->td_end - 1 : (dir ? ISN_B : ISN_A);
	if (st->state == NO)
		seq = ISN_A;
	return mkseg(flags, seq, rcv->td_end, 0, WIN);
}

static void
test_ct_tcp_transition_table(void **state)
{
	size_t i;

	(void)state;
	/* Every (direction, class, state) once, plus the variant rows. */
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), 2 * 6 * CT_TCP_N_STATES + 2);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct ct_tcp_state st, before;
		struct ct_verdict v;

		make_state(&st, r->from, r->var);
		before = st;
		v = upd(&st, r->dir, row_seg(&st, r->dir, r->flags));
		if ((r->out == GO && (v.reason != CT_R_OK || st.state != r->to)) ||
		    (r->out == GI && (v.reason != CT_R_TCP_IGNORED || st.state != r->to)) ||
		    (r->out == IG && v.reason != CT_R_TCP_IGNORED) ||
		    (r->out == IV && v.v != CT_V_INV) || (r->out == RO && v.v != CT_V_REOPEN) ||
		    (r->out == DL && v.v != CT_V_DELETE))
			print_message("row %zu: %s flags %#x %s -> v %d reason %s state %s\n", i,
			              r->dir ? "reply" : "orig", r->flags,
			              ct_tcp_state_name(r->from), v.v, ct_reason_name(v.reason),
			              ct_tcp_state_name(st.state));
		switch (r->out) {
		case GO:
		case GI:
			assert_int_equal(v.reason, r->out == GO ? CT_R_OK : CT_R_TCP_IGNORED);
			assert_int_equal(st.state, r->to);
			assert_int_equal(v.v,
			                 (r->dir == R || before.seen_reply) ? CT_V_EST : CT_V_NEW);
			break;
		case DL:
			assert_int_equal(v.v, CT_V_DELETE);
			assert_int_equal(v.reason, CT_R_OK);
			break;
		case IG:
			assert_int_equal(v.reason, CT_R_TCP_IGNORED);
			assert_int_not_equal(v.v, CT_V_INV);
			assert_int_equal(st.state, r->from);
			break;
		case IV:
			assert_int_equal(v.v, CT_V_INV);
			assert_true(v.reason == CT_R_TCP_BAD_TRANS ||
			            v.reason == CT_R_TCP_BAD_FLAGS);
			assert_memory_equal(&st, &before, sizeof(st));
			break;
		case RO:
			assert_int_equal(v.v, CT_V_REOPEN);
			break;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Windows.                                                               */

/*
 * Window edges, one row per bound and side of it, on an ESTABLISHED
 * connection where A has sent 125000 bytes (B acknowledged 60000 of them)
 * and B's window is WIN, unscaled.  Expected outcomes are nf_conntrack's
 * (tcp_in_window()): only SEQ far over the window and ACKs of unsent data
 * are invalid; old data and old ACKs pass without moving anything.
 */
enum win_out {
	W_OK,  /* accepted, windows moved */
	W_IGN, /* let through, nothing refreshed (CT_R_TCP_IGNORED) */
	W_INV, /* invalid with 'reason', state unchanged */
};

struct win_row {
	const char *what;
	int dir;
	int64_t seq; /* offset from the sender's td_end */
	int64_t ack; /* offset from the receiver's td_end */
	uint32_t len;
	enum win_out out;
	enum ct_reason reason;
};

static const struct win_row win_rows[] = {
	{ "next segment", O, 0, 0, 100, W_OK, CT_R_OK },
	/* I: SEQ <= td_maxend (= B's ack 60001 + WIN). */
	{ "SEQ at the right edge", O, 60001 + WIN - 125001, 0, 10, W_OK, CT_R_OK },
	{ "SEQ one past the edge, overrun <= max window", O, 60001 + WIN - 125001 + 1, 0, 10, W_IGN,
	  CT_R_OK },
	{ "SEQ past the edge by more than the window", O, 60001 + 2 * WIN - 125001, 0, 10, W_INV,
	  CT_R_TCP_SEQ_ABOVE },
	/* II: end > td_end - receiver's max window. */
	{ "end at the left edge", O, -(int64_t)WIN - 100, 0, 100, W_OK, CT_R_OK },
	{ "end one below the left edge (old data)", O, -(int64_t)WIN - 101, 0, 100, W_IGN,
	  CT_R_OK },
	/* III: (s)ack <= receiver's td_end. */
	{ "ACK of everything sent", R, 0, 0, 0, W_OK, CT_R_OK },
	{ "ACK one past what was sent", R, 0, 1, 0, W_INV, CT_R_TCP_ACK_ABOVE },
	/* IV: (s)ack > receiver's td_end - max(66000, sender's max window). */
	{ "ACK 66000 behind", R, 0, -66000, 0, W_OK, CT_R_OK },
	{ "ACK 66001 behind (overly delayed)", R, 0, -66001, 0, W_IGN, CT_R_OK },
};

static void
test_ct_tcp_window_edges(void **state)
{
	struct ct_tcp_state base;
	size_t i;

	(void)state;
	handshake(&base, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, WIN, WIN);
	EXPECT_OK(&base, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 1, ISN_B + 1, 60000, WIN), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	EXPECT_OK(&base, CT_DIR_REPLY, mkseg(CT_TCP_ACK, ISN_B + 1, ISN_A + 60001, 0, WIN),
	          CT_V_EST, CT_TCP_ESTABLISHED);
	EXPECT_OK(&base, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 60001, ISN_B + 1, 65000, WIN),
	          CT_V_EST, CT_TCP_ESTABLISHED);
	assert_int_equal(base.peer[0].td_end, ISN_A + 125001);
	assert_int_equal(base.peer[0].td_maxend, ISN_A + 60001 + WIN);
	assert_int_equal(base.peer[1].td_maxwin, WIN);
	for (i = 0; i < sizeof(win_rows) / sizeof(win_rows[0]); i++) {
		const struct win_row *r = &win_rows[i];
		struct ct_tcp_state st = base;
		uint32_t seq = (uint32_t)((int64_t)st.peer[r->dir].td_end + r->seq);
		uint32_t ack = (uint32_t)((int64_t)st.peer[!r->dir].td_end + r->ack);
		struct ct_verdict v = upd(&st, r->dir, mkseg(CT_TCP_ACK, seq, ack, r->len, WIN));

		print_message("%s: v %d reason %s\n", r->what, v.v, ct_reason_name(v.reason));
		switch (r->out) {
		case W_OK:
			assert_int_equal(v.v, CT_V_EST);
			assert_int_equal(v.reason, CT_R_OK);
			break;
		case W_IGN:
			assert_int_equal(v.v, CT_V_EST);
			assert_int_equal(v.reason, CT_R_TCP_IGNORED);
			assert_int_equal(st.state, base.state);
			assert_int_equal(st.peer[!r->dir].td_maxend, base.peer[!r->dir].td_maxend);
			break;
		case W_INV:
			assert_int_equal(v.v, CT_V_INV);
			assert_int_equal(v.reason, r->reason);
			assert_memory_equal(&st, &base, sizeof(st));
			break;
		}
	}
}

/* An overrun within the receiver's window moves the sender's end, so that its ACK is valid. */
static void
test_ct_tcp_overrun_then_ack(void **state)
{
	struct ct_tcp_state st;

	(void)state;
	handshake(&st, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, WIN, 1000);
	assert_int_equal(st.peer[0].td_maxend, ISN_A + 1 + 1000);
	EXPECT_IGN(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 1 + 1001, ISN_B + 1, 10, WIN),
	           CT_TCP_ESTABLISHED);
	assert_int_equal(st.peer[0].td_end, ISN_A + 1 + 1011);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, ISN_B + 1, ISN_A + 1 + 1011, 0, 1000),
	          CT_V_EST, CT_TCP_ESTABLISHED);
}

/* Window scale 7 on both sides: B's 1000 means 128000 bytes. */
static void
test_ct_tcp_scaled_window(void **state)
{
	struct ct_tcp_state st;

	(void)state;
	handshake(&st, 7, 7, 1000, 1000);
	assert_int_equal(st.peer[0].scale, 7);
	assert_int_equal(st.peer[1].scale, 7);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, ISN_B + 1, ISN_A + 1, 0, 1000), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	assert_int_equal(st.peer[0].td_maxend, ISN_A + 1 + 128000);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 1 + 100000, ISN_B + 1, 10, 1000),
	          CT_V_EST, CT_TCP_ESTABLISHED);
}

/* Only A offers scaling: RFC 7323 says neither side scales. */
static void
test_ct_tcp_scale_needs_both(void **state)
{
	struct ct_tcp_state st;

	(void)state;
	handshake(&st, 7, CT_TCP_WSCALE_NONE, 1000, 1000);
	assert_int_equal(st.peer[0].scale, 0);
	assert_int_equal(st.peer[1].scale, 0);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, ISN_B + 1, ISN_A + 1, 0, 1000), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	assert_int_equal(st.peer[0].td_maxend, ISN_A + 1 + 1000);
	EXPECT_INV(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 1 + 100000, ISN_B + 1, 10, 1000),
	           CT_R_TCP_SEQ_ABOVE);
}

/* SACK blocks above the ACK are fine up to what A sent, not beyond. */
static void
test_ct_tcp_sack(void **state)
{
	struct ct_tcp_state st, copy;
	struct ct_tcp_seg s;
	uint32_t i;

	(void)state;
	handshake(&st, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, WIN, WIN);
	for (i = 0; i < 3; i++)
		EXPECT_OK(&st, CT_DIR_ORIG,
		          mkseg(CT_TCP_ACK, ISN_A + 1 + i * 1000, ISN_B + 1, 1000, WIN), CT_V_EST,
		          CT_TCP_ESTABLISHED);
	s = mkseg(CT_TCP_ACK, ISN_B + 1, ISN_A + 1001, 0, WIN); /* second segment lost */
	s.n_sack = 1;
	s.sack_right = ISN_A + 3002;
	copy = st;
	EXPECT_INV(&copy, CT_DIR_REPLY, s, CT_R_TCP_ACK_ABOVE);
	s.sack_right = ISN_A + 3001;
	EXPECT_OK(&st, CT_DIR_REPLY, s, CT_V_EST, CT_TCP_ESTABLISHED);
	/* The window B advertised counts from the SACKed edge. */
	assert_int_equal(st.peer[0].td_maxend, ISN_A + 3001 + WIN);
}

static void
test_ct_tcp_retransmit(void **state)
{
	struct ct_tcp_state st;
	struct ct_tcp_seg s = mkseg(CT_TCP_ACK, ISN_A + 1, ISN_B + 1, 100, WIN);

	(void)state;
	handshake(&st, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, WIN, WIN);
	EXPECT_OK(&st, CT_DIR_ORIG, s, CT_V_EST, CT_TCP_ESTABLISHED);
	assert_int_equal(st.retrans, 0);
	EXPECT_OK(&st, CT_DIR_ORIG, s, CT_V_EST, CT_TCP_ESTABLISHED);
	EXPECT_OK(&st, CT_DIR_ORIG, s, CT_V_EST, CT_TCP_ESTABLISHED);
	assert_int_equal(st.retrans, 2);
	assert_int_equal(st.peer[0].td_end, ISN_A + 101);
	/* A retransmitted SYN in SYN_SENT stays valid and +new, but does not extend the
	 * connection's life (nf_conntrack: a reused port must not keep a stale tuple). */
	memset(&st, 0, sizeof(st));
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN, ISN_A, 0, 0, WIN), CT_V_NEW, CT_TCP_SYN_SENT);
	EXPECT_IGN(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN, ISN_A, 0, 0, WIN), CT_TCP_SYN_SENT);
}

static void
test_ct_tcp_rst_window(void **state)
{
	struct ct_tcp_state st, copy;

	(void)state;
	handshake(&st, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, 1000, 1000);
	assert_true(st.sflags & CT_TCP_SF_ASSURED);
	/* B may send up to ISN_B + 1 + 1000 (A's window). */
	copy = st;
	EXPECT_INV(&copy, CT_DIR_REPLY, mkseg(CT_TCP_RST, ISN_B + 1 + 5000, 0, 0, 0),
	           CT_R_TCP_SEQ_ABOVE);
	/* Below what A already acknowledged: an old RST. */
	copy = st;
	EXPECT_INV(&copy, CT_DIR_REPLY, mkseg(CT_TCP_RST, ISN_B, 0, 0, 0), CT_R_TCP_RST_SEQ);
	/* In the window but not at the expected SEQ: RFC 5961 stacks send a challenge
	 * ACK, so the connection stays, on the CLOSE timeout. */
	copy = st;
	EXPECT_OK(&copy, CT_DIR_REPLY, mkseg(CT_TCP_RST, ISN_B + 1 + 1000, 0, 0, 0), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	{
		struct ct_timeouts t;

		ct_timeouts_default(&t);
		assert_int_equal(ct_tcp_timeout(&copy, &t), t.sec[CT_TMO_TCP_CLOSE]);
	}
	/* Exactly at what A acknowledged: closes. */
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_RST | CT_TCP_ACK, ISN_B + 1, ISN_A + 1, 0, 0),
	          CT_V_EST, CT_TCP_CLOSE);
}

static void
test_ct_tcp_synack_bad_ack(void **state)
{
	struct ct_tcp_state st;

	(void)state;
	memset(&st, 0, sizeof(st));
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN, ISN_A, 0, 0, WIN), CT_V_NEW, CT_TCP_SYN_SENT);
	EXPECT_INV(&st, CT_DIR_REPLY, mkseg(CT_TCP_SYN | CT_TCP_ACK, ISN_B, ISN_A + 2, 0, WIN),
	           CT_R_TCP_ACK_ABOVE);
	assert_int_equal(st.seen_reply, 0);
}

static void
test_ct_tcp_simultaneous_open(void **state)
{
	struct ct_tcp_state st;

	(void)state;
	memset(&st, 0, sizeof(st));
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN, ISN_A, 0, 0, WIN), CT_V_NEW, CT_TCP_SYN_SENT);
	EXPECT_IGN(&st, CT_DIR_REPLY, mkseg(CT_TCP_SYN, ISN_B, 0, 0, WIN), CT_TCP_SYN_SENT2);
	assert_true(st.sflags & CT_TCP_SF_SIMOPEN);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN | CT_TCP_ACK, ISN_A, ISN_B + 1, 0, WIN),
	          CT_V_EST, CT_TCP_SYN_RECV);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 1, ISN_B + 1, 0, WIN), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, ISN_B + 1, ISN_A + 1, 10, WIN), CT_V_EST,
	          CT_TCP_ESTABLISHED);
}

static void
test_ct_tcp_time_wait_reuse(void **state)
{
	struct ct_tcp_state st;
	struct ct_verdict v;

	(void)state;
	handshake(&st, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, WIN, WIN);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_FIN | CT_TCP_ACK, ISN_A + 1, ISN_B + 1, 0, WIN),
	          CT_V_EST, CT_TCP_FIN_WAIT);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_FIN | CT_TCP_ACK, ISN_B + 1, ISN_A + 2, 0, WIN),
	          CT_V_EST, CT_TCP_LAST_ACK);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, ISN_A + 2, ISN_B + 2, 0, WIN), CT_V_EST,
	          CT_TCP_TIME_WAIT);
	v = upd(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN, ISN_A + 100000, 0, 0, WIN));
	assert_int_equal(v.v, CT_V_REOPEN);
	assert_int_equal(st.state, CT_TCP_TIME_WAIT);
	/* The caller starts over on a zeroed state. */
	memset(&st, 0, sizeof(st));
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN, ISN_A + 100000, 0, 0, WIN), CT_V_NEW,
	          CT_TCP_SYN_SENT);
}

/* The peers restart the connection with a new SYN while we hold it as ESTABLISHED. */
static void
test_ct_tcp_resync_ignored_syn(void **state)
{
	struct ct_tcp_state st, copy;
	struct ct_tcp_seg syn = mkseg(CT_TCP_SYN, 90000, 0, 0, 2000);
	struct ct_tcp_seg synack = mkseg(CT_TCP_SYN | CT_TCP_ACK, 70000, 90001, 0, 3000);
	struct ct_verdict v;

	(void)state;
	handshake(&st, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, WIN, WIN);
	syn.wscale = 7;
	v = upd(&st, CT_DIR_ORIG, syn);
	assert_int_equal(v.v, CT_V_EST);
	assert_int_equal(v.reason, CT_R_TCP_IGNORED);
	assert_int_equal(st.state, CT_TCP_ESTABLISHED);
	/* A SYN/ACK for something else stays ignored. */
	copy = st;
	synack.ack = 90002;
	v = upd(&copy, CT_DIR_REPLY, synack);
	assert_int_equal(v.reason, CT_R_TCP_IGNORED);
	assert_int_equal(copy.state, CT_TCP_ESTABLISHED);
	/* The one acknowledging the ignored SYN puts us back in sync. */
	synack.ack = 90001;
	synack.wscale = 7;
	EXPECT_OK(&st, CT_DIR_REPLY, synack, CT_V_EST, CT_TCP_SYN_RECV);
	assert_int_equal(st.peer[0].td_end, 90001);
	assert_int_equal(st.peer[0].scale, 7);
	assert_int_equal(st.peer[1].td_end, 70001);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, 90001, 70001, 0, 2000), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	/* Scaled window of the new connection: 3000 << 7 from B's next ACK. */
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, 70001, 90001, 0, 3000), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, 90001 + 300000, 70001, 10, 2000), CT_V_EST,
	          CT_TCP_ESTABLISHED);
}

static void
test_ct_tcp_pickup(void **state)
{
	struct ct_tcp_state st;
	struct ct_verdict v;
	struct ct_tcp_seg s = mkseg(CT_TCP_ACK, 777, 999, 100, 500);

	(void)state;
	memset(&st, 0, sizeof(st));
	v = ct_tcp_update(&st, CT_DIR_ORIG, &s, &cfg_strict);
	assert_int_equal(v.v, CT_V_INV);
	assert_int_equal(v.reason, CT_R_TCP_NO_PICKUP);
	assert_int_equal(st.state, CT_TCP_NONE);

	v = ct_tcp_update(&st, CT_DIR_ORIG, &s, &cfg_loose);
	assert_int_equal(v.v, CT_V_NEW);
	assert_int_equal(st.state, CT_TCP_ESTABLISHED);
	assert_true(st.peer[0].flags & CT_TCP_PF_LIBERAL);
	/* The reply side is unknown: accepted, and then the connection is established. */
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, 999, 877, 10, 500), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, 877, 1009, 10, 500), CT_V_EST,
	          CT_TCP_ESTABLISHED);
}

/* Peers restart a picked-up connection: after the resync the SYN/ACK's side stays liberal. */
static void
test_ct_tcp_pickup_resync(void **state)
{
	struct ct_tcp_state st;
	struct ct_tcp_seg synack = mkseg(CT_TCP_SYN | CT_TCP_ACK, 70000, 90001, 0, 3000);

	(void)state;
	memset(&st, 0, sizeof(st));
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_ACK, 777, 999, 100, 500), CT_V_NEW,
	          CT_TCP_ESTABLISHED);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, 999, 877, 0, 500), CT_V_EST,
	          CT_TCP_ESTABLISHED);
	EXPECT_IGN(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN, 90000, 0, 0, 2000), CT_TCP_ESTABLISHED);
	EXPECT_OK(&st, CT_DIR_REPLY, synack, CT_V_EST, CT_TCP_SYN_RECV);
	assert_true(st.peer[CT_DIR_REPLY].flags & CT_TCP_PF_LIBERAL);
	assert_false(st.peer[CT_DIR_ORIG].flags & CT_TCP_PF_LIBERAL);
	EXPECT_OK(&st, CT_DIR_REPLY, mkseg(CT_TCP_ACK, 70001 + 500000, 90001, 10, 3000), CT_V_EST,
	          CT_TCP_SYN_RECV);
}

static void
test_ct_tcp_bad_flags(void **state)
{
	struct ct_tcp_state st;

	(void)state;
	memset(&st, 0, sizeof(st));
	EXPECT_INV(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN | CT_TCP_FIN, ISN_A, 0, 0, WIN),
	           CT_R_TCP_BAD_FLAGS);
	EXPECT_INV(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN | CT_TCP_RST, ISN_A, 0, 0, WIN),
	           CT_R_TCP_BAD_FLAGS);
	EXPECT_INV(&st, CT_DIR_ORIG, mkseg(CT_TCP_FIN, ISN_A, 0, 0, WIN), CT_R_TCP_BAD_FLAGS);
	/* ECN bits do not matter. */
	EXPECT_OK(&st, CT_DIR_ORIG, mkseg(CT_TCP_SYN | CT_TCP_ECE | CT_TCP_CWR, ISN_A, 0, 0, WIN),
	          CT_V_NEW, CT_TCP_SYN_SENT);
}

static void
test_ct_tcp_be_liberal(void **state)
{
	const struct ct_tcp_cfg lib = { .loose = true, .be_liberal = true };
	struct ct_tcp_state st;
	struct ct_tcp_seg s = mkseg(CT_TCP_ACK, ISN_A + 1 + 5000, ISN_B + 1, 10, WIN);
	struct ct_verdict v;

	(void)state;
	handshake(&st, CT_TCP_WSCALE_NONE, CT_TCP_WSCALE_NONE, WIN, 1000);
	v = ct_tcp_update(&st, CT_DIR_ORIG, &s, &lib);
	assert_int_equal(v.v, CT_V_EST);
	assert_int_equal(v.reason, CT_R_OK);
}

static void
test_ct_tcp_timeouts(void **state)
{
	struct ct_timeouts t;
	struct ct_tcp_state st;

	(void)state;
	ct_timeouts_default(&t);
	memset(&st, 0, sizeof(st));
	st.state = CT_TCP_ESTABLISHED;
	assert_int_equal(ct_tcp_timeout(&st, &t), 86400);
	st.state = CT_TCP_TIME_WAIT;
	assert_int_equal(ct_tcp_timeout(&st, &t), 45);
	st.state = CT_TCP_SYN_SENT;
	assert_int_equal(ct_tcp_timeout(&st, &t), 30);
	st.state = CT_TCP_FIN_WAIT;
	assert_int_equal(ct_tcp_timeout(&st, &t), 900);
	st.state = CT_TCP_CLOSE;
	assert_int_equal(ct_tcp_timeout(&st, &t), 30);
}

/* ---------------------------------------------------------------------- */
/* Header parsing.                                                        */

static void
test_ct_tcp_parse_options(void **state)
{
	uint8_t h[60] = { 0 };
	struct ct_tcp_seg s;

	(void)state;
	h[4] = 0x01, h[5] = 0x02, h[6] = 0x03, h[7] = 0x04;   /* seq */
	h[8] = 0xa0, h[9] = 0x00, h[10] = 0x00, h[11] = 0x01; /* ack */
	h[12] = 10 << 4;                                      /* 40 bytes */
	h[13] = CT_TCP_SYN | CT_TCP_ACK;
	h[14] = 0x12, h[15] = 0x34;
	/* MSS, NOP, wscale 15 (clamped), SACK-permitted, NOP, NOP, SACK 1 block, EOL */
	memcpy(&h[20], (const uint8_t[]){ 2, 4, 5, 0xb4, 1, 3, 3, 15, 4, 2 }, 10);
	assert_int_equal(ct_tcp_parse_seg(h, 40 + 7, &s), 0);
	assert_int_equal(s.seq, 0x01020304);
	assert_int_equal(s.ack, 0xa0000001);
	assert_int_equal(s.flags, CT_TCP_SYN | CT_TCP_ACK);
	assert_int_equal(s.win, 0x1234);
	assert_int_equal(s.payload_len, 7);
	assert_int_equal(s.wscale, 14);
	assert_int_equal(s.sack_perm, 1);
	assert_int_equal(s.n_sack, 0);

	/* SACK with two blocks; the higher right edge wins. */
	memset(&h[20], 0, 20);
	memcpy(&h[20],
	       (const uint8_t[]){ 1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 50, 0, 0, 0, 60, 0, 0, 0, 90 },
	       20);
	assert_int_equal(ct_tcp_parse_seg(h, 40, &s), 0);
	assert_int_equal(s.n_sack, 2);
	assert_int_equal(s.sack_right, 90);
	assert_int_equal(s.wscale, CT_TCP_WSCALE_NONE);
}

/*
 * The datapath's inline parser (ct_tcp_parse_seg_inline(): headers without options
 * itself, the rest through ct_tcp_parse_seg()) gives what ct_tcp_parse_seg() gives,
 * field by field, for every data offset and a spread of lengths and header bytes.
 */
static void
test_ct_tcp_parse_inline_same(void **state)
{
	uint32_t x = 12345, k, i, n_ok = 0;
	uint8_t h[80];

	(void)state;
	for (k = 0; k < 4000; k++) {
		struct ct_tcp_seg a, b;
		uint32_t len = k % 81;
		int ra, rb;

		for (i = 0; i < sizeof(h); i++) {
			x = x * 1103515245u + 12345u;
			h[i] = (uint8_t)(x >> 16);
		}
		h[12] = (uint8_t)((k / 81 % 16) << 4 | (h[12] & 0xf)); /* data offsets 0..15 */
		memset(&a, 0xaa, sizeof(a));
		memset(&b, 0x55, sizeof(b));
		ra = ct_tcp_parse_seg(h, len, &a);
		rb = ct_tcp_parse_seg_inline(h, len, &b);
		assert_int_equal(ra, rb);
		if (ra != 0)
			continue;
		n_ok++;
		assert_int_equal(a.seq, b.seq);
		assert_int_equal(a.ack, b.ack);
		assert_int_equal(a.payload_len, b.payload_len);
		assert_int_equal(a.win, b.win);
		assert_int_equal(a.flags, b.flags);
		assert_int_equal(a.wscale, b.wscale);
		assert_int_equal(a.sack_perm, b.sack_perm);
		assert_int_equal(a.n_sack, b.n_sack);
		if (a.n_sack != 0)
			assert_int_equal(a.sack_right, b.sack_right);
		assert_int_equal(a.has_opts, b.has_opts);
	}
	assert_true(n_ok > 1000); /* both the inline case and the options case ran */
}

static void
test_ct_tcp_parse_truncated(void **state)
{
	uint8_t h[40] = { 0 };
	struct ct_tcp_seg s;

	(void)state;
	h[12] = 5 << 4;
	assert_int_equal(ct_tcp_parse_seg(h, 19, &s), -EINVAL);
	assert_int_equal(ct_tcp_parse_seg(h, 20, &s), 0);
	h[12] = 4 << 4; /* offset below 5 */
	assert_int_equal(ct_tcp_parse_seg(h, 40, &s), -EINVAL);
	h[12] = 8 << 4; /* 32 bytes of header in a 24-byte segment */
	assert_int_equal(ct_tcp_parse_seg(h, 24, &s), -EINVAL);
	/* A malformed option list ends the options; what came before it counts. */
	h[12] = 7 << 4;
	h[20] = 3, h[21] = 3, h[22] = 7; /* window scale 7 */
	h[23] = 8, h[24] = 10;           /* timestamps running past the header */
	assert_int_equal(ct_tcp_parse_seg(h, 40, &s), 0);
	assert_int_equal(s.wscale, 7);
	assert_int_equal(s.payload_len, 40 - 28);
	h[20] = 4, h[21] = 0; /* zero option length: nothing read */
	assert_int_equal(ct_tcp_parse_seg(h, 40, &s), 0);
	assert_int_equal(s.wscale, CT_TCP_WSCALE_NONE);
	assert_int_equal(s.sack_perm, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_tcp_handshake_data_close),
		cmocka_unit_test(test_ct_tcp_transition_table),
		cmocka_unit_test(test_ct_tcp_window_edges),
		cmocka_unit_test(test_ct_tcp_overrun_then_ack),
		cmocka_unit_test(test_ct_tcp_scaled_window),
		cmocka_unit_test(test_ct_tcp_scale_needs_both),
		cmocka_unit_test(test_ct_tcp_sack),
		cmocka_unit_test(test_ct_tcp_retransmit),
		cmocka_unit_test(test_ct_tcp_rst_window),
		cmocka_unit_test(test_ct_tcp_synack_bad_ack),
		cmocka_unit_test(test_ct_tcp_simultaneous_open),
		cmocka_unit_test(test_ct_tcp_time_wait_reuse),
		cmocka_unit_test(test_ct_tcp_resync_ignored_syn),
		cmocka_unit_test(test_ct_tcp_pickup),
		cmocka_unit_test(test_ct_tcp_pickup_resync),
		cmocka_unit_test(test_ct_tcp_bad_flags),
		cmocka_unit_test(test_ct_tcp_be_liberal),
		cmocka_unit_test(test_ct_tcp_timeouts),
		cmocka_unit_test(test_ct_tcp_parse_options),
		cmocka_unit_test(test_ct_tcp_parse_truncated),
		cmocka_unit_test(test_ct_tcp_parse_inline_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
