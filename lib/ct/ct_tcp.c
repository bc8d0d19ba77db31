/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP connection tracker: the state table of nf_conntrack
 * (net/netfilter/nf_conntrack_proto_tcp.c, tcp_conntracks[2][6][]) and
 * sequence/window tracking after Guido van Rooij, "Real Stateful TCP Packet
 * Filtering in IP Filter" (as in pf and nf_conntrack's tcp_in_window()).
 * Written for sluice from the description of those, not copied.
 *
 * Pure functions over a 'struct ct_tcp_state': no clock, no globals.  The
 * caller serialises calls on one state (the connection's lock).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ct.h"
#include "ct_priv.h"

/* Flag classes, the second index of the table. */
enum tcp_class {
	TC_SYN,
	TC_SYNACK,
	TC_FIN,
	TC_ACK,
	TC_RST,
	TC_NONE,
	TC_N,
};

/* Table outputs beyond the real states. */
#define sNO CT_TCP_NONE
#define sSS CT_TCP_SYN_SENT
#define sSR CT_TCP_SYN_RECV
#define sES CT_TCP_ESTABLISHED
#define sFW CT_TCP_FIN_WAIT
#define sCW CT_TCP_CLOSE_WAIT
#define sLA CT_TCP_LAST_ACK
#define sTW CT_TCP_TIME_WAIT
#define sCL CT_TCP_CLOSE
#define sS2 CT_TCP_SYN_SENT2
#define sIV (CT_TCP_N_STATES + 0) /* invalid: segment marked +inv, state kept */
#define sIG (CT_TCP_N_STATES + 1) /* ignore: accepted, state kept (may be our loss) */

/*
 * New state by [direction][flag class][old state].  Rows as nf_conntrack's;
 * the comment under each row gives the reason for the cells that matter.
 */
static const uint8_t tcp_next[2][TC_N][CT_TCP_N_STATES] = {
	{
			/* ORIGINAL */
			/*            sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
			/* syn */ { sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2 },
			/* sNO->sSS new; sSS->sSS retransmit; sSR..sLA->sIG the peer may know better
	                 * (lost state); sTW,sCL->sSS reopen; sS2->sS2 retransmit in simultaneous
	                 * open */
			/* synack */ { sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR },
			/* sNO,sSS->sIV the client cannot send a SYN/ACK first; sSR->sSR late
	                 * retransmission in simultaneous open; sS2->sSR simultaneous open answer */
			/* fin */ { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
			/* sSR,sES->sFW close initiated; sFW,sCW->sLA second FIN; sTW,sCL kept */
			/* ack */ { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV },
			/* sNO->sES mid-stream pickup (if loose); sSS->sIV ACK before SYN/ACK;
	                 * sSR->sES third packet of the handshake; sFW->sCW ACK of the peer's FIN...
	                 * sLA->sTW last ACK */
			/* rst */ { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
			/* any state->sCL (RST is checked against the window first) */
			/* none */ { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
			/* no SYN, FIN, ACK or RST: never valid */
	},
	{
			/* REPLY */
			/*            sNO  sSS  sSR  sES  sFW  sCW  sLA  sTW  sCL  sS2 */
			/* syn */ { sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2 },
			/* sSS->sS2 simultaneous open; sTW->sSS reopen with roles swapped;
	                 * sS2->sS2 retransmit */
			/* synack */ { sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR },
			/* sSS->sSR the server's answer; sSR->sIG retransmitted SYN/ACK;
	                 * sS2->sSR simultaneous open */
			/* fin */ { sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV },
			/* as in the original direction */
			/* ack */ { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG },
			/* sSS->sIG may be an ACK of a half-open connection; sSR->sSR may answer a
	                 * resent SYN; sES.. as in the original direction; sS2->sIG */
			/* rst */ { sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL },
			/* any state->sCL */
			/* none */ { sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV },
			/* never valid */
	},
};

static const char *const tcp_state_names[CT_TCP_N_STATES] = {
	"NONE",       "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
	"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE",       "SYN_SENT2",
};

const char *
ct_tcp_state_name(enum ct_tcp_state_id s)
{
	return (unsigned int)s < CT_TCP_N_STATES ? tcp_state_names[s] : "unknown";
}

/* Sequence number comparisons modulo 2^32. */
static inline bool
seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool
seq_after(uint32_t a, uint32_t b)
{
	return seq_before(b, a);
}

static enum tcp_class
tcp_class_of(uint8_t flags)
{
	if (flags & CT_TCP_RST)
		return TC_RST;
	if (flags & CT_TCP_SYN)
		return (flags & CT_TCP_ACK) ? TC_SYNACK : TC_SYN;
	if (flags & CT_TCP_FIN)
		return TC_FIN;
	if (flags & CT_TCP_ACK)
		return TC_ACK;
	return TC_NONE;
}

/*
 * Flag combinations TCP stacks send (nf_conntrack tcp_valid_flags[]),
 * ignoring PSH, ECE and CWR: SYN, SYN|URG, SYN|ACK, RST, RST|ACK, FIN|ACK,
 * FIN|ACK|URG, ACK, ACK|URG.
 */
static bool
tcp_flags_valid(uint8_t flags)
{
	switch (flags & (CT_TCP_FIN | CT_TCP_SYN | CT_TCP_RST | CT_TCP_ACK | CT_TCP_URG)) {
	case CT_TCP_SYN:
	case CT_TCP_SYN | CT_TCP_URG:
	case CT_TCP_SYN | CT_TCP_ACK:
	case CT_TCP_RST:
	case CT_TCP_RST | CT_TCP_ACK:
	case CT_TCP_FIN | CT_TCP_ACK:
	case CT_TCP_FIN | CT_TCP_ACK | CT_TCP_URG:
	case CT_TCP_ACK:
	case CT_TCP_ACK | CT_TCP_URG:
		return true;
	default:
		return false;
	}
}

int
ct_tcp_parse_seg(const uint8_t *h, uint32_t len, struct ct_tcp_seg *seg)
{
	uint32_t hlen, i;

	if (len < 20)
		return -EINVAL;
	hlen = (uint32_t)(h[12] >> 4) * 4;
	if (hlen < 20 || hlen > len)
		return -EINVAL;
	memset(seg, 0, sizeof(*seg));
	seg->seq = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
	seg->ack = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 | (uint32_t)h[10] << 8 | h[11];
	seg->flags = h[13];
	seg->win = (uint16_t)(h[14] << 8 | h[15]);
	seg->payload_len = len - hlen;
	seg->wscale = CT_TCP_WSCALE_NONE;

	for (i = 20; i < hlen;) {
		uint8_t kind = h[i], olen;

		if (kind == 0) /* end of options */
			break;
		if (kind == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= hlen)
			return -EINVAL;
		olen = h[i + 1];
		if (olen < 2 || i + olen > hlen)
			return -EINVAL;
		if (kind == 3 && olen == 3) {
			seg->wscale = h[i + 2] > CT_TCP_WSCALE_MAX ? CT_TCP_WSCALE_MAX : h[i + 2];
		} else if (kind == 4 && olen == 2) {
			seg->sack_perm = 1;
		} else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
			uint32_t j;

			for (j = i + 2; j + 8 <= (uint32_t)i + olen; j += 8) {
				const uint8_t *r = &h[j + 4];
				uint32_t right = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 |
				                 (uint32_t)r[2] << 8 | r[3];

				if (seg->n_sack == 0 || seq_after(right, seg->sack_right))
					seg->sack_right = right;
				seg->n_sack++;
			}
		}
		i += olen;
	}
	return 0;
}

/* Sequence space a segment occupies: data, plus one each for SYN and FIN. */
static uint32_t
seg_end(const struct ct_tcp_seg *seg)
{
	return seg->seq + seg->payload_len + !!(seg->flags & CT_TCP_SYN) +
	       !!(seg->flags & CT_TCP_FIN);
}

/* Records the options of a SYN or SYN/ACK in its sender. */
static void
peer_syn_options(struct ct_tcp_peer *p, const struct ct_tcp_seg *seg)
{
	p->flags &= (uint8_t) ~(CT_TCP_PF_WSCALE | CT_TCP_PF_SACK);
	p->scale = 0;
	if (seg->wscale != CT_TCP_WSCALE_NONE) {
		p->flags |= CT_TCP_PF_WSCALE;
		p->scale = seg->wscale;
	}
	if (seg->sack_perm)
		p->flags |= CT_TCP_PF_SACK;
}

/* (Re)starts a sender's window data from a SYN. */
static void
peer_init_syn(struct ct_tcp_peer *p, const struct ct_tcp_seg *seg)
{
	uint32_t end = seg_end(seg);

	p->td_end = end;
	p->td_maxend = end;
	p->td_maxwin = seg->win ? seg->win : 1;
	p->flags &= (uint8_t)~CT_TCP_PF_MAXACK;
	peer_syn_options(p, seg);
}

/* The lowest ACK accepted is this far behind the receiver's end (nf_conntrack MAXACKWINDOW). */
static uint32_t
max_ack_window(const struct ct_tcp_peer *sender)
{
	return sender->td_maxwin > 66000 ? sender->td_maxwin : 66000;
}

/*
 * Checks that 'seg' from 'dir' falls within the windows and, if so, moves
 * them.  Returns CT_R_OK or the reason it does not (state then unchanged).
 * 'old' is the connection's state before the segment.
 */
static enum ct_reason
tcp_in_window(struct ct_tcp_state *st, int dir, uint8_t old, enum tcp_class cls,
              const struct ct_tcp_seg *seg, const struct ct_tcp_cfg *cfg)
{
	struct ct_tcp_peer snd = st->peer[dir], rcv = st->peer[!dir];
	uint32_t seq = seg->seq, ack = seg->ack, end = seg_end(seg), sack, win = seg->win;
	bool syn = seg->flags & CT_TCP_SYN, ackf = seg->flags & CT_TCP_ACK;
	enum ct_reason r = CT_R_OK;

	if (snd.td_maxwin == 0) {
		/* First segment of this direction: the SYN/ACK, a simultaneous-open SYN, or
		 * the reply side of a picked-up connection. */
		if (syn) {
			peer_init_syn(&snd, seg);
			/* RFC 7323: scaling only when both sides sent the option. */
			if (!((snd.flags & CT_TCP_PF_WSCALE) && (rcv.flags & CT_TCP_PF_WSCALE)))
				snd.scale = rcv.scale = 0;
			if (!ackf) {
				st->peer[dir] = snd;
				st->peer[!dir] = rcv;
				return CT_R_OK;
			}
		} else {
			uint32_t swin = win << snd.scale;

			snd.td_end = end;
			snd.td_maxwin = swin ? swin : 1;
			snd.td_maxend = end + snd.td_maxwin;
			if (rcv.td_maxwin == 0)
				rcv.td_end = rcv.td_maxend = ack;
		}
	} else if (syn &&
	           ((old == CT_TCP_SYN_SENT && dir == CT_DIR_ORIG) ||
	            (old == CT_TCP_SYN_RECV && dir == CT_DIR_REPLY)) &&
	           seq_after(end, snd.td_end)) {
		/* A new SYN (or SYN/ACK) with a higher ISN: the sender restarted. */
		peer_init_syn(&snd, seg);
		if (!((snd.flags & CT_TCP_PF_WSCALE) && (rcv.flags & CT_TCP_PF_WSCALE)))
			snd.scale = rcv.scale = 0;
	}

	if (!ackf)
		ack = rcv.td_end;
	else if ((seg->flags & CT_TCP_RST) && ack == 0)
		ack = rcv.td_end; /* some stacks send RST|ACK with ACK 0 */
	sack = ack;
	if (ackf && seg->n_sack && seq_after(seg->sack_right, sack))
		sack = seg->sack_right; /* SACK: data above ACK received, must have been sent */

	/* A segment without data is checked by its ACK only; RSTs always by SEQ except
	 * a zero SEQ answering a SYN. */
	if (seq == end && (!(seg->flags & CT_TCP_RST) || (seq == 0 && old == CT_TCP_SYN_SENT)))
		seq = end = snd.td_end;

	if (!seq_before(seq, snd.td_maxend + 1))
		r = CT_R_TCP_SEQ_ABOVE;
	else if (rcv.td_maxwin && !seq_after(end, snd.td_end - rcv.td_maxwin - 1))
		r = CT_R_TCP_SEQ_BELOW;
	else if (!seq_before(sack, rcv.td_end + 1))
		r = CT_R_TCP_ACK_ABOVE;
	else if (!seq_after(sack, rcv.td_end - max_ack_window(&snd) - 1))
		r = CT_R_TCP_ACK_BELOW;

	if (r != CT_R_OK) {
		if ((snd.flags & CT_TCP_PF_LIBERAL) || cfg->be_liberal)
			return CT_R_OK; /* accepted, windows not moved */
		return r;
	}

	if (!syn)
		win <<= snd.scale;
	{
		uint32_t swin = win + (sack - ack);

		if (snd.td_maxwin < swin)
			snd.td_maxwin = swin;
	}
	if (seq_after(end, snd.td_end)) {
		snd.td_end = end;
		snd.flags |= CT_TCP_PF_UNACKED;
	}
	if (ackf) {
		if (!(snd.flags & CT_TCP_PF_MAXACK) || seq_after(ack, snd.td_maxack))
			snd.td_maxack = ack;
		snd.flags |= CT_TCP_PF_MAXACK;
	}
	/* The receiver may now send up to what this segment acknowledges plus its window. */
	if (rcv.td_maxwin != 0 && seq_after(end, snd.td_maxend))
		rcv.td_maxwin += end - snd.td_maxend;
	if (seq_after(sack + win, rcv.td_maxend - 1)) {
		rcv.td_maxend = sack + win;
		if (win == 0)
			rcv.td_maxend++;
	}
	if (ack == rcv.td_end)
		rcv.flags &= (uint8_t)~CT_TCP_PF_UNACKED;

	/* Retransmissions of the same ACK segment. */
	if (cls == TC_ACK) {
		if (st->last_dir == dir && st->last_seq == seq && st->last_ack == ack &&
		    st->last_end == end && st->last_win == seg->win) {
			if (st->retrans < UINT8_MAX)
				st->retrans++;
		} else {
			st->last_dir = (uint8_t)dir;
			st->last_seq = seq;
			st->last_ack = ack;
			st->last_end = end;
			st->last_win = seg->win;
			st->retrans = 0;
		}
	}
	st->peer[dir] = snd;
	st->peer[!dir] = rcv;
	return CT_R_OK;
}

/* First segment of a connection (state NONE, original direction). */
static struct ct_verdict
tcp_new(struct ct_tcp_state *st, const struct ct_tcp_seg *seg, const struct ct_tcp_cfg *cfg)
{
	uint8_t next = tcp_next[CT_DIR_ORIG][tcp_class_of(seg->flags)][CT_TCP_NONE];
	struct ct_verdict v = { CT_V_NEW, CT_R_OK };

	memset(st, 0, sizeof(*st));
	if (next == sSS) {
		peer_init_syn(&st->peer[CT_DIR_ORIG], seg);
	} else if (next == sES) {
		struct ct_tcp_peer *p = &st->peer[CT_DIR_ORIG];

		if (!cfg->loose) {
			v.v = CT_V_INV;
			v.reason = CT_R_TCP_NO_PICKUP;
			return v;
		}
		/* Window scale unknown: track the edges but do not enforce them. */
		p->td_end = seg_end(seg);
		p->td_maxwin = seg->win ? seg->win : 1;
		p->td_maxend = p->td_end + p->td_maxwin;
		p->flags = CT_TCP_PF_SACK | CT_TCP_PF_LIBERAL;
		st->peer[CT_DIR_REPLY].flags = CT_TCP_PF_SACK | CT_TCP_PF_LIBERAL;
	} else {
		v.v = CT_V_INV;
		v.reason = CT_R_TCP_BAD_TRANS;
		return v;
	}
	st->state = next;
	return v;
}

struct ct_verdict
ct_tcp_update(struct ct_tcp_state *st, int dir, const struct ct_tcp_seg *seg,
              const struct ct_tcp_cfg *cfg)
{
	struct ct_verdict v = { CT_V_INV, CT_R_OK };
	enum tcp_class cls = tcp_class_of(seg->flags);
	uint8_t old = st->state, next;

	dir = !!dir;
	if (!tcp_flags_valid(seg->flags)) {
		v.reason = CT_R_TCP_BAD_FLAGS;
		return v;
	}
	if (old == CT_TCP_NONE) {
		if (dir != CT_DIR_ORIG) {
			v.reason = CT_R_TCP_BAD_TRANS;
			return v;
		}
		return tcp_new(st, seg, cfg);
	}
	if (old >= CT_TCP_N_STATES) {
		v.reason = CT_R_TCP_BAD_TRANS;
		return v;
	}

	next = tcp_next[dir][cls][old];
	switch (next) {
	case sSS:
		if (old >= CT_TCP_TIME_WAIT) {
			/* RFC 1122 4.2.2.13: a new SYN may reuse a tuple in TIME_WAIT. */
			v.v = CT_V_REOPEN;
			return v;
		}
		break;
	case sIG:
		v.reason = CT_R_TCP_IGNORED;
		goto valid;
	case sIV:
		v.reason = CT_R_TCP_BAD_TRANS;
		return v;
	case sCL:
		/* An RST below what the receiver already acknowledged is old (or forged). */
		if (cls == TC_RST && (st->peer[!dir].flags & CT_TCP_PF_MAXACK) &&
		    seq_before(seg->seq, st->peer[!dir].td_maxack)) {
			v.reason = CT_R_TCP_RST_SEQ;
			return v;
		}
		break;
	default:
		break;
	}

	v.reason = tcp_in_window(st, dir, old, cls, seg, cfg);
	if (v.reason != CT_R_OK)
		return v;
	st->state = next;

valid:
	if (dir == CT_DIR_REPLY)
		st->seen_reply = 1;
	v.v = (dir == CT_DIR_ORIG && !st->seen_reply) ? CT_V_NEW : CT_V_EST;
	return v;
}

uint32_t
ct_tcp_timeout(const struct ct_tcp_state *st, const struct ct_timeouts *t)
{
	static const uint8_t tmo_of[CT_TCP_N_STATES] = {
		[CT_TCP_NONE] = CT_TMO_TCP_CLOSE,
		[CT_TCP_SYN_SENT] = CT_TMO_TCP_SYN_SENT,
		[CT_TCP_SYN_RECV] = CT_TMO_TCP_SYN_RECV,
		[CT_TCP_ESTABLISHED] = CT_TMO_TCP_ESTABLISHED,
		[CT_TCP_FIN_WAIT] = CT_TMO_TCP_FIN_WAIT,
		[CT_TCP_CLOSE_WAIT] = CT_TMO_TCP_CLOSE_WAIT,
		[CT_TCP_LAST_ACK] = CT_TMO_TCP_LAST_ACK,
		[CT_TCP_TIME_WAIT] = CT_TMO_TCP_TIME_WAIT,
		[CT_TCP_CLOSE] = CT_TMO_TCP_CLOSE,
		[CT_TCP_SYN_SENT2] = CT_TMO_TCP_SYN_SENT2,
	};

	return t->sec[st->state < CT_TCP_N_STATES ? tmo_of[st->state] : CT_TMO_TCP_CLOSE];
}
