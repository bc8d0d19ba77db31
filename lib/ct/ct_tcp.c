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
#include "ct_tcp_win.h"

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
	seg->has_opts = hlen > 20;

	for (i = 20; i < hlen;) {
		uint8_t kind = h[i], olen;

		if (kind == 0) /* end of options */
			break;
		if (kind == 1) { /* NOP */
			i++;
			continue;
		}
		/* A malformed list ends the options, what was read stays (nf_conntrack's
		 * tcp_options() and tcp_sack() stop there too; the segment is tracked). */
		if (i + 1 >= hlen)
			break;
		olen = h[i + 1];
		if (olen < 2 || i + olen > hlen)
			break;
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

/*
 * Records the options of a SYN or SYN/ACK in its sender.  As nf_conntrack's
 * tcp_options(), a header without options leaves the sender's flags and
 * scale as they were, and one with options starts them over (keeping only
 * the liberal flag).
 */
static void
peer_syn_options(struct ct_tcp_peer *p, const struct ct_tcp_seg *seg)
{
	if (!seg->has_opts && seg->wscale == CT_TCP_WSCALE_NONE && !seg->sack_perm)
		return;
	p->flags = (uint8_t)((p->flags & CT_TCP_PF_LIBERAL) | syn_opt_flags(seg, &p->scale));
}

/* (Re)starts a sender's window data from a SYN. */
static void
peer_init_syn(struct ct_tcp_peer *p, const struct ct_tcp_seg *seg)
{
	uint32_t end = seg_end(seg);

	p->td_end = end;
	p->td_maxend = end;
	p->td_maxwin = seg->win ? seg->win : 1;
	peer_syn_options(p, seg);
}

/* Points 'w' at copies of the peers: what win_setup() changes is undone by WIN_INVALID. */
static void
win_use_copies(struct tcp_win *w)
{
	w->snd_copy = *w->snd;
	w->rcv_copy = *w->rcv;
	w->snd = &w->snd_copy;
	w->rcv = &w->rcv_copy;
}

/*
 * (Re)starts the sender's window data from its SYN or SYN/ACK.  Whether both
 * sides scale (RFC 7323: only when both sent the option) is known when the
 * reply direction answers, so only a reply-direction SYN decides it.
 */
static void
win_init_sender(struct tcp_win *w, int dir, const struct ct_tcp_seg *seg)
{
	peer_init_syn(w->snd, seg);
	if (dir == CT_DIR_REPLY &&
	    !((w->snd->flags & CT_TCP_PF_WSCALE) && (w->rcv->flags & CT_TCP_PF_WSCALE)))
		w->snd->scale = w->rcv->scale = 0;
}

/*
 * Sets up the sender when this is the first segment of its direction, or a
 * SYN with a new ISN during the handshake.  Returns true when nothing is
 * left to check (a SYN without ACK that starts its direction).  Inline into
 * tcp_in_window(): once per segment, and for an established direction it is
 * two tests (as a call it cost 20 instructions a segment on ct tcp_10k).
 */
static __rte_always_inline bool
win_setup(struct tcp_win *w, int dir, uint8_t old, const struct ct_tcp_seg *seg, bool scratch)
{
	bool syn = seg->flags & CT_TCP_SYN, ackf = seg->flags & CT_TCP_ACK;

	if (w->snd->td_maxwin == 0) {
		uint32_t swin;

		if (!scratch)
			win_use_copies(w);
		if (syn) {
			/* SYN/ACK answering the SYN, or the reply's SYN in simultaneous open. */
			win_init_sender(w, dir, seg);
			return !ackf;
		}
		/* Mid-stream: this direction's history is lost, start from this segment. */
		swin = w->win << w->snd->scale;
		w->snd->td_end = w->end;
		w->snd->td_maxwin = swin ? swin : 1;
		w->snd->td_maxend = w->end + w->snd->td_maxwin;
		if (w->rcv->td_maxwin == 0)
			w->rcv->td_end = w->rcv->td_maxend = w->sack;
		else if (w->sack == w->rcv->td_end + 1)
			w->rcv->td_end++; /* likely the answer to a keepalive probe */
		return false;
	}
	if (syn && seq_after(w->end, w->snd->td_end) &&
	    (old == CT_TCP_SYN_SENT || old == CT_TCP_SYN_RECV)) {
		/* RFC 793: a restarted TCP only needs higher sequence numbers. */
		if (!scratch)
			win_use_copies(w);
		win_init_sender(w, dir, seg);
		return dir == CT_DIR_REPLY && !ackf;
	}
	return false;
}

/* Writes back what was worked on copies (win_use_copies()). */
static inline void
win_keep(struct ct_tcp_state *st, int dir, const struct tcp_win *w)
{
	if (w->snd == &w->snd_copy) {
		st->peer[dir] = w->snd_copy;
		st->peer[!dir] = w->rcv_copy;
	}
}

/*
 * Checks the segment against the windows and moves them when it is in
 * them.  'old' is the connection's state before the segment.  On
 * WIN_INVALID, '*why' says which bound and 'st' is unchanged, unless
 * 'scratch' (a constant): 'st' is then a copy that the caller drops on
 * anything but WIN_ACCEPT, and the peers are worked on in place.
 */
static __rte_always_inline enum win_res
tcp_in_window_(struct ct_tcp_state *st, const struct tcp_in *in, uint8_t old, enum ct_reason *why,
               const bool scratch)
{
	const struct ct_tcp_seg *seg = in->seg;
	int dir = in->dir;
	bool ackf = seg->flags & CT_TCP_ACK, rst = seg->flags & CT_TCP_RST;
	struct tcp_win w; /* the copies stay unset unless used */
	enum win_res res;

	win_edges(&w, st, dir, seg);
	*why = CT_R_OK;
	if (win_setup(&w, dir, old, seg, scratch)) {
		if (!scratch)
			win_keep(st, dir, &w);
		return WIN_ACCEPT;
	}
	/* No ACK: pretend it acknowledges everything.  Some stacks send RST|ACK with ACK 0. */
	if (!ackf || (rst && w.ack == 0))
		w.ack = w.sack = w.rcv->td_end;
	/* An RST answering a SYN may carry SEQ 0. */
	if (rst && w.seq == 0 && old == CT_TCP_SYN_SENT)
		w.seq = w.end = w.snd->td_end;

	res = win_decide(st, in, &w, win_check(&w, why), why);
	if (!scratch && res != WIN_INVALID)
		win_keep(st, dir, &w);
	return res;
}

static __rte_always_inline enum win_res
tcp_in_window(struct ct_tcp_state *st, const struct tcp_in *in, uint8_t old, enum ct_reason *why)
{
	return tcp_in_window_(st, in, old, why, false);
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
	st->last_class = (uint8_t)(tcp_class_of(seg->flags) + 1);
	st->last_dir = CT_DIR_ORIG;
	return v;
}

/*
 * A SYN/ACK acknowledging the SYN we ignored last: client and server agree
 * on a new connection and only we are out of sync.  Restart from the
 * remembered SYN, as if in SYN_SENT, and track the SYN/ACK on that.
 * Returns true when 'st' moved to SYN_RECV; on false 'st' is unchanged.
 */
static bool
tcp_resync(struct ct_tcp_state *st, const struct tcp_in *in)
{
	int dir = in->dir;
	struct ct_tcp_state tmp;
	struct ct_tcp_peer *p;
	enum ct_reason why;

	if (in->cls != TC_SYNACK || st->last_class != TC_SYN + 1 || st->last_dir == dir ||
	    in->seg->ack != st->last_end)
		return false;
	tmp = *st;
	p = &tmp.peer[st->last_dir];
	/* The SYN/ACK's side starts over but stays liberal if it was (picked up). */
	memset(&tmp.peer[dir], 0, sizeof(tmp.peer[dir]));
	tmp.peer[dir].flags = st->peer[dir].flags & CT_TCP_PF_LIBERAL;
	memset(p, 0, sizeof(*p));
	p->td_end = p->td_maxend = st->last_end;
	p->td_maxwin = st->last_win ? st->last_win : 1;
	p->scale = st->last_wscale;
	p->flags = st->last_pflags;
	tmp.sflags &= (uint8_t)~CT_TCP_SF_CHALLENGE;
	/* 'tmp' is a copy: the check works on its peers in place. */
	if (tcp_in_window_(&tmp, in, CT_TCP_SYN_SENT, &why, true) != WIN_ACCEPT)
		return false;
	tmp.state = CT_TCP_SYN_RECV;
	tmp.last_class = (uint8_t)(in->cls + 1);
	tmp.last_dir = (uint8_t)dir;
	*st = tmp;
	return true;
}

/* Early-drop states of nf_conntrack: the tuple may already be reused, RSTs are not checked. */
static bool
tcp_closing(uint8_t s)
{
	return s == CT_TCP_FIN_WAIT || s == CT_TCP_CLOSE_WAIT || s == CT_TCP_LAST_ACK ||
	       s == CT_TCP_TIME_WAIT || s == CT_TCP_CLOSE;
}

/*
 * An RST the table moves to CLOSE.  Returns CT_R_TCP_RST_SEQ for an RST below
 * what its receiver acknowledged (old or forged), else CT_R_OK.  Sets
 * '*skip' when the window check is skipped (closing connections; an RST
 * answering a segment we let through while out of sync), and keeps the
 * state ('*next' = old) for an in-window RST of an established connection
 * whose SEQ is not exactly the expected one: RFC 5961 stacks answer those
 * with a challenge ACK rather than reset.
 */
static enum ct_reason
tcp_rst_check(const struct ct_tcp_state *st, const struct tcp_in *in, uint8_t *next, bool *skip)
{
	const struct ct_tcp_seg *seg = in->seg;
	int dir = in->dir;
	const struct ct_tcp_peer *rcv = &st->peer[!dir];
	uint8_t old = st->state;
	bool est = old == CT_TCP_ESTABLISHED && (st->sflags & CT_TCP_SF_ASSURED);

	if (tcp_closing(old)) {
		*skip = true;
		return CT_R_OK;
	}
	if ((rcv->flags & CT_TCP_PF_MAXACK) && st->last_class != TC_SYN + 1) {
		if (seg->seq == 0 && !est)
			return CT_R_OK; /* most likely the answer to a SYN we let through */
		if (seq_before(seg->seq, rcv->td_maxack))
			return CT_R_TCP_RST_SEQ;
		if (!est || seg->seq == rcv->td_maxack)
			return CT_R_OK;
		/* The RST that follows the sender's own last data segment. */
		if (st->last_class == TC_ACK + 1 && st->last_dir == dir && seg->seq == st->last_end)
			return CT_R_OK;
		*next = old;
	}
	if (((st->seen_reply && st->last_class == TC_SYN + 1) ||
	     (!(st->sflags & CT_TCP_SF_ASSURED) && st->last_class == TC_ACK + 1)) &&
	    seg->ack == st->last_end) {
		*skip = true; /* answers a SYN or ACK we let through: it may ACK what we ignored */
		return CT_R_OK;
	}
	if (old == CT_TCP_SYN_SENT && st->last_class == TC_ACK + 1 &&
	    st->last_dir == CT_DIR_REPLY && seg->seq == st->last_ack)
		*skip = true; /* answers a challenge ACK we let through */
	return CT_R_OK;
}

/* The table said ignore: resynchronise on a SYN/ACK for an ignored SYN, or remember it. */
static struct ct_verdict
tcp_ignore(struct ct_tcp_state *st, const struct tcp_in *in)
{
	struct ct_verdict v = { CT_V_EST, CT_R_OK };

	if (!tcp_resync(st, in)) {
		tcp_note_ignored(st, in, st->state);
		v.reason = CT_R_TCP_IGNORED;
	}
	return v;
}

/*
 * Special cases of the table's answer 'next' (nf_conntrack_tcp_packet()).
 * Returns CT_V_EST to go on with the window check (possibly with '*next'
 * changed or '*skip' set), or the final verdict: CT_V_INV, CT_V_REOPEN, or
 * CT_V_NEW standing for "valid, stop here" with v.reason set.
 */
static struct ct_verdict
tcp_transition(struct ct_tcp_state *st, const struct tcp_in *in, uint8_t *next, bool *skip)
{
	enum tcp_class cls = in->cls;
	int dir = in->dir;
	struct ct_verdict go = { CT_V_EST, CT_R_OK }, v = { CT_V_INV, CT_R_TCP_BAD_TRANS };
	uint8_t old = st->state;

	switch (*next) {
	case sSS:
		if (old < CT_TCP_TIME_WAIT)
			return go;
		/* RFC 1122 4.2.2.13: a new SYN may reopen a closed tuple.  nf_conntrack
		 * reopens only after a FIN (either side) or an RST from the SYN's side; any
		 * other SYN is ignored like one in an open connection. */
		if (((st->peer[0].flags | st->peer[1].flags) & CT_TCP_PF_CLOSE_INIT) ||
		    (st->last_dir == dir && st->last_class == TC_RST + 1)) {
			v.v = CT_V_REOPEN;
			v.reason = CT_R_OK;
			return v;
		}
		/* fall through */
	case sIG:
		v = tcp_ignore(st, in);
		v.v = CT_V_NEW; /* stop here */
		return v;
	case sIV:
		return v;
	case sTW:
		/* After a SYN ignored in LAST_ACK, the other side's ACK is a challenge ACK
		 * (RFC 5961), not the last ACK. */
		if (old == CT_TCP_LAST_ACK && cls == TC_ACK && st->last_dir != dir &&
		    st->last_class == TC_SYN + 1 && (st->sflags & CT_TCP_SF_CHALLENGE)) {
			st->sflags &= (uint8_t)~CT_TCP_SF_CHALLENGE;
			v.v = CT_V_NEW;
			v.reason = CT_R_TCP_IGNORED;
			return v;
		}
		return go;
	case sSR:
		/* The table cannot tell the last ACK of a simultaneous open. */
		if (dir == CT_DIR_REPLY && cls == TC_ACK && (st->sflags & CT_TCP_SF_SIMOPEN))
			*next = sES;
		return go;
	case sCL:
		if (cls == TC_RST) {
			v.reason = tcp_rst_check(st, in, next, skip);
			if (v.reason != CT_R_OK)
				return v;
		}
		return go;
	default:
		return go;
	}
}

/* Out of line: the short path inline in the caller then saves and restores fewer registers. */
__rte_noinline struct ct_verdict
ct_tcp_update_full(struct ct_tcp_state *st, int dir, const struct ct_tcp_seg *seg,
                   const struct ct_tcp_cfg *cfg)
{
	struct ct_verdict v = { CT_V_INV, CT_R_OK };
	enum tcp_class cls = tcp_class_of(seg->flags);
	uint8_t old = st->state, next;
	bool skip = false, replied;
	struct tcp_in in = { .seg = seg, .cfg = cfg, .dir = dir, .cls = cls };

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
	v = tcp_transition(st, &in, &next, &skip);
	if (v.v == CT_V_INV || v.v == CT_V_REOPEN)
		return v;
	if (v.v == CT_V_NEW)
		goto valid;
	if (!skip) {
		enum win_res res = tcp_in_window(st, &in, old, &v.reason);

		if (res == WIN_INVALID) {
			v.v = CT_V_INV;
			return v;
		}
		if (res == WIN_IGNORE) {
			v.reason = CT_R_TCP_IGNORED;
			goto valid;
		}
	}
	v.reason = CT_R_OK;
	st->state = next;
	st->last_class = (uint8_t)(cls + 1);
	st->last_dir = (uint8_t)dir;
	if (old != next && next == CT_TCP_FIN_WAIT)
		st->peer[dir].flags |= CT_TCP_PF_CLOSE_INIT;
	if (next == CT_TCP_SYN_SENT2)
		st->sflags |= CT_TCP_SF_SIMOPEN;
	if (!st->seen_reply) {
		/* Only an RST came back, or the originator gave up: nothing was established
		 * and nf_conntrack drops the connection at once. */
		if (cls == TC_RST) {
			v.v = CT_V_DELETE;
			return v;
		}
		/* A retransmitted SYN must not keep a stale tuple alive. */
		if (cls == TC_SYN && old == CT_TCP_SYN_SENT)
			v.reason = CT_R_TCP_IGNORED;
	} else if (!(st->sflags & CT_TCP_SF_ASSURED) && next == CT_TCP_ESTABLISHED &&
	           (old == CT_TCP_SYN_RECV || old == CT_TCP_ESTABLISHED)) {
		st->sflags |= CT_TCP_SF_ASSURED;
	}

valid:
	replied = st->seen_reply;
	if (dir == CT_DIR_REPLY)
		st->seen_reply = 1;
	v.v = (dir == CT_DIR_ORIG && !replied) ? CT_V_NEW : CT_V_EST;
	return v;
}

struct ct_verdict
ct_tcp_update(struct ct_tcp_state *st, int dir, const struct ct_tcp_seg *seg,
              const struct ct_tcp_cfg *cfg)
{
	return ct_tcp_track(st, dir, seg, cfg);
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

	/* After an accepted RST the CLOSE timeout applies, also when an inexact RST left
	 * the connection ESTABLISHED (nf_conntrack does the same). */
	if (st->last_class == TC_RST + 1)
		return t->sec[CT_TMO_TCP_CLOSE];
	return t->sec[st->state < CT_TCP_N_STATES ? tmo_of[st->state] : CT_TMO_TCP_CLOSE];
}
