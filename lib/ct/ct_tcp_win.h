/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TCP tracker's window check and its short paths, inline for the caller in
 * ct.c (struct ct_conn's tracking): an ACK of an assured ESTABLISHED connection,
 * the bulk of the segments, the handshake's last ACK and an originator's SYN on
 * an ESTABLISHED connection are tracked without a call (ct_tcp_track()); every
 * other segment goes to ct_tcp_update_full() in ct_tcp.c, which uses the same
 * window check.  Private to lib/ct.
 */
#ifndef CT_TCP_WIN_H
#define CT_TCP_WIN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

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

/* Sequence space a segment occupies: data, plus one each for SYN and FIN. */
static inline uint32_t
seg_end(const struct ct_tcp_seg *seg)
{
	return seg->seq + seg->payload_len + !!(seg->flags & CT_TCP_SYN) +
	       !!(seg->flags & CT_TCP_FIN);
}

/* The lowest ACK accepted is this far behind the receiver's end (nf_conntrack MAXACKWINDOW). */
static inline uint32_t
max_ack_window(const struct ct_tcp_peer *sender)
{
	return sender->td_maxwin > 66000 ? sender->td_maxwin : 66000;
}

/* The segment being tracked and what goes with it (keeps helpers at few parameters). */
struct tcp_in {
	const struct ct_tcp_seg *seg;
	const struct ct_tcp_cfg *cfg;
	int dir;            /* enum ct_dir of the segment */
	enum tcp_class cls; /* its flag class */
};

/*
 * Window edges of one segment.  'snd' and 'rcv' point at the sender and the
 * receiver: at the connection's own peers when nothing is changed before the
 * checks decide (the window check changes them only on WIN_IGNORE, which
 * keeps its change), else at copies that are written back once accepted
 * (win_use_copies()).  Working in place saves copying both peers in and out
 * of every segment.
 */
struct tcp_win {
	struct ct_tcp_peer *snd, *rcv; /* sender and receiver of the segment */
	uint32_t seq, ack, sack, end, win;
	struct ct_tcp_peer snd_copy, rcv_copy;
};

/* Outcome of the window check (nf_conntrack's enum nf_ct_tcp_action). */
enum win_res {
	WIN_ACCEPT,  /* in the window: windows moved, state machine goes on */
	WIN_IGNORE,  /* let through, but moves nothing and refreshes nothing */
	WIN_INVALID, /* +inv, state unchanged */
};

/*
 * The van Rooij bounds, checked in nf_conntrack's order and with its outcomes:
 * SEQ over the receiver's window is invalid unless it overruns it by less
 * than the receiver's largest window while everything else is fine (some
 * stacks do; the sender's end is then kept so that the ACK for it is not
 * over the bound); an ACK for data never sent is invalid; data entirely
 * below the window (an old retransmission) and an ACK too far behind are let
 * through without moving anything.  Sets '*why' to the bound broken.
 */
static __rte_always_inline enum win_res
win_check(struct tcp_win *w, enum ct_reason *why)
{
	bool ack_ok = seq_after(w->sack, w->rcv->td_end - max_ack_window(w->snd) - 1);
	bool in_rcv_win = w->rcv->td_maxwin == 0 ||
	                  seq_after(w->end, w->snd->td_end - w->rcv->td_maxwin - 1);

	if (!seq_before(w->seq, w->snd->td_maxend + 1)) {
		uint32_t overshot = w->end - w->snd->td_maxend + 1;

		*why = CT_R_TCP_SEQ_ABOVE;
		if (w->rcv->td_maxwin != 0 && in_rcv_win && ack_ok &&
		    overshot <= w->rcv->td_maxwin && seq_before(w->sack, w->rcv->td_end + 1)) {
			w->snd->td_end = w->end;
			w->snd->flags |= CT_TCP_PF_UNACKED;
			return WIN_IGNORE;
		}
		return WIN_INVALID;
	}
	if (!seq_before(w->sack, w->rcv->td_end + 1)) {
		*why = CT_R_TCP_ACK_ABOVE;
		return WIN_INVALID;
	}
	if (!in_rcv_win) {
		*why = CT_R_TCP_SEQ_BELOW;
		return WIN_IGNORE;
	}
	if (!ack_ok) {
		*why = CT_R_TCP_ACK_BELOW;
		return WIN_IGNORE;
	}
	*why = CT_R_OK;
	return WIN_ACCEPT;
}

/* Moves the windows by an accepted segment. */
static __rte_always_inline void
win_move(struct tcp_win *w, const struct ct_tcp_seg *seg)
{
	uint32_t win = w->win, swin;

	if (!(seg->flags & CT_TCP_SYN))
		win <<= w->snd->scale;
	swin = win + (w->sack - w->ack);
	if (w->snd->td_maxwin < swin)
		w->snd->td_maxwin = swin;
	if (seq_after(w->end, w->snd->td_end)) {
		w->snd->td_end = w->end;
		w->snd->flags |= CT_TCP_PF_UNACKED;
	}
	if (seg->flags & CT_TCP_ACK) {
		if (!(w->snd->flags & CT_TCP_PF_MAXACK) || seq_after(w->ack, w->snd->td_maxack))
			w->snd->td_maxack = w->ack;
		w->snd->flags |= CT_TCP_PF_MAXACK;
	}
	/* The receiver may now send up to what this segment acknowledges plus its window. */
	if (w->rcv->td_maxwin != 0 && seq_after(w->end, w->snd->td_maxend))
		w->rcv->td_maxwin += w->end - w->snd->td_maxend;
	if (seq_after(w->sack + win, w->rcv->td_maxend - 1)) {
		w->rcv->td_maxend = w->sack + win;
		if (win == 0)
			w->rcv->td_maxend++;
	}
	if (w->ack == w->rcv->td_end)
		w->rcv->flags &= (uint8_t)~CT_TCP_PF_UNACKED;
}

/* Counts retransmissions of the same ACK segment (nf_conntrack's last_* fields). */
static __rte_always_inline void
note_retrans(struct ct_tcp_state *st, int dir, const struct tcp_win *w)
{
	if (st->last_dir == dir && st->last_seq == w->seq && st->last_ack == w->ack &&
	    st->last_end == w->end && st->last_win == w->win) {
		if (st->retrans < UINT8_MAX)
			st->retrans++;
		return;
	}
	st->last_dir = (uint8_t)dir;
	st->last_seq = w->seq;
	st->last_ack = w->ack;
	st->last_end = w->end;
	st->last_win = (uint16_t)w->win;
	st->retrans = 0;
}

/* Points 'w' at the peers of 'st' as they are, with the edges of 'seg'. */
static __rte_always_inline void
win_edges(struct tcp_win *w, struct ct_tcp_state *st, int dir, const struct ct_tcp_seg *seg)
{
	w->snd = &st->peer[dir];
	w->rcv = &st->peer[!dir];
	w->seq = seg->seq;
	w->ack = w->sack = seg->ack;
	w->end = seg_end(seg);
	w->win = seg->win;
	/* SACK blocks count only toward a receiver that allowed them. */
	if ((w->rcv->flags & CT_TCP_PF_SACK) && seg->n_sack && seq_after(seg->sack_right, w->sack))
		w->sack = seg->sack_right;
}

/*
 * What win_check() said, 'res', made final: a liberal connection (mid-stream pickup) or
 * cfg->be_liberal accepts whatever the bounds say, but only an in-window segment moves the
 * windows.
 */
static __rte_always_inline enum win_res
win_decide(struct ct_tcp_state *st, const struct tcp_in *in, struct tcp_win *w, enum win_res res,
           enum ct_reason *why)
{
	if (res != WIN_ACCEPT && ((w->snd->flags & CT_TCP_PF_LIBERAL) || in->cfg->be_liberal)) {
		*why = CT_R_OK;
		return WIN_ACCEPT;
	}
	if (res == WIN_ACCEPT) {
		win_move(w, in->seg);
		if (in->cls == TC_ACK)
			note_retrans(st, in->dir, w);
	}
	return res;
}

/*
 * tcp_in_window() for a segment of tcp_est_ack(): win_setup() has nothing to do (the
 * sender's window is set up, no SYN), the ACK is there, no RST, and no copies are made.
 * Apart so that the compiler keeps 'w' in registers: in tcp_in_window() the copies'
 * addresses keep it in memory.
 */
static __rte_always_inline enum win_res
tcp_in_window_est(struct ct_tcp_state *st, const struct tcp_in *in, enum ct_reason *why)
{
	struct tcp_win w;

	win_edges(&w, st, in->dir, in->seg);
	return win_decide(st, in, &w, win_check(&w, why), why);
}

/*
 * An ACK without SYN, FIN or RST in an assured ESTABLISHED connection whose sender's
 * window is set up, the bulk of the segments: what ct_tcp_update_full() does with it, in
 * the order it does it, without the steps that cannot apply (the table says ESTABLISHED
 * with no special case, win_setup() has nothing to do, the state, the assured flag and
 * seen_reply stay).  Taken by 4 of the 7 segments of ct tcp_10k.
 */
static __rte_always_inline bool
tcp_est_ack(const struct ct_tcp_state *st, int dir, uint8_t flags)
{
	return st->state == CT_TCP_ESTABLISHED &&
	       (flags & (CT_TCP_FIN | CT_TCP_SYN | CT_TCP_RST | CT_TCP_ACK)) == CT_TCP_ACK &&
	       (st->sflags & CT_TCP_SF_ASSURED) && st->seen_reply && st->peer[dir].td_maxwin != 0;
}

static __rte_always_inline struct ct_verdict
tcp_update_est_ack(struct ct_tcp_state *st, const struct tcp_in *in)
{
	struct ct_verdict v = { CT_V_EST, CT_R_OK };
	enum win_res res = tcp_in_window_est(st, in, &v.reason);

	if (unlikely(res != WIN_ACCEPT)) {
		if (res == WIN_INVALID)
			v.v = CT_V_INV;
		else
			v.reason = CT_R_TCP_IGNORED;
		return v;
	}
	st->last_class = TC_ACK + 1;
	st->last_dir = (uint8_t)in->dir;
	return v;
}

/* The CT_TCP_PF_WSCALE and CT_TCP_PF_SACK flags of a SYN's options; its window scale (0
 * without the option) in '*scale'. */
static inline uint8_t
syn_opt_flags(const struct ct_tcp_seg *seg, uint8_t *scale)
{
	uint8_t f = seg->sack_perm ? CT_TCP_PF_SACK : 0;

	*scale = 0;
	if (seg->wscale != CT_TCP_WSCALE_NONE) {
		f |= CT_TCP_PF_WSCALE;
		*scale = seg->wscale;
	}
	return f;
}

/* Remembers a segment the table ignored, and the options of an ignored SYN. */
static __rte_always_inline void
tcp_note_ignored(struct ct_tcp_state *st, const struct tcp_in *in, uint8_t old)
{
	const struct ct_tcp_seg *seg = in->seg;
	enum tcp_class cls = in->cls;
	int dir = in->dir;

	st->last_class = (uint8_t)(cls + 1);
	st->last_dir = (uint8_t)dir;
	st->last_seq = seg->seq;
	st->last_end = seg_end(seg);
	st->last_win = seg->win;
	if (cls == TC_SYN && dir == CT_DIR_ORIG) {
		st->last_pflags = syn_opt_flags(seg, &st->last_wscale);
		/* RFC 5961: the peer in LAST_ACK may answer with a challenge ACK, which must
		 * not be taken for the last ACK. */
		if (old == CT_TCP_LAST_ACK)
			st->sflags |= CT_TCP_SF_CHALLENGE;
	}
	/* A reply ACK to our SYN may be a challenge ACK: an RST with its ACK as SEQ follows. */
	if (old == CT_TCP_SYN_SENT && cls == TC_ACK && dir == CT_DIR_REPLY)
		st->last_ack = seg->ack;
}

/*
 * A SYN (URG allowed) from the originator of an ESTABLISHED connection: the table ignores
 * it (the peer may know better, a SYN/ACK that acknowledges it resynchronises us) and only
 * remembers it, as ct_tcp_update_full() does, without the call: a client that reuses its
 * tuple, or a replayed capture (ct tcp_10k replays each handshake on an established
 * connection: this SYN, the SYN/ACK that resynchronises, which stays in the general path,
 * and the last ACK, tcp_syn_recv_ack()).
 */
static __rte_always_inline bool
tcp_est_syn(const struct ct_tcp_state *st, int dir, uint8_t flags)
{
	return st->state == CT_TCP_ESTABLISHED && dir == CT_DIR_ORIG &&
	       (flags & (CT_TCP_FIN | CT_TCP_SYN | CT_TCP_RST | CT_TCP_ACK)) == CT_TCP_SYN;
}

static __rte_always_inline struct ct_verdict
tcp_update_est_syn(struct ct_tcp_state *st, const struct tcp_in *in)
{
	struct ct_verdict v = { st->seen_reply ? CT_V_EST : CT_V_NEW, CT_R_TCP_IGNORED };

	tcp_note_ignored(st, in, CT_TCP_ESTABLISHED);
	return v;
}

/*
 * The handshake's last ACK: a plain ACK (no SYN, FIN or RST) from the originator in
 * SYN_RECV once the reply was seen, its window set up.  The table says ESTABLISHED with no
 * special case, win_setup() has nothing to do, and an accepted one makes the connection
 * ESTABLISHED and assured, as in ct_tcp_update_full(); an ignored one changes nothing.
 */
static __rte_always_inline bool
tcp_syn_recv_ack(const struct ct_tcp_state *st, int dir, uint8_t flags)
{
	return st->state == CT_TCP_SYN_RECV && dir == CT_DIR_ORIG &&
	       (flags & (CT_TCP_FIN | CT_TCP_SYN | CT_TCP_RST | CT_TCP_ACK)) == CT_TCP_ACK &&
	       st->seen_reply && st->peer[dir].td_maxwin != 0;
}

static __rte_always_inline struct ct_verdict
tcp_update_syn_recv_ack(struct ct_tcp_state *st, const struct tcp_in *in)
{
	/* The established ACK's check and record, then the state change it cannot make. */
	struct ct_verdict v = tcp_update_est_ack(st, in);

	if (v.v == CT_V_EST && v.reason == CT_R_OK) {
		st->state = CT_TCP_ESTABLISHED;
		st->sflags |= CT_TCP_SF_ASSURED;
	}
	return v;
}

/* Every segment but those of tcp_est_ack(), out of line ('dir' is 0 or 1). */
struct ct_verdict ct_tcp_update_full(struct ct_tcp_state *st, int dir, const struct ct_tcp_seg *seg,
                                     const struct ct_tcp_cfg *cfg);

/* ct_tcp_update() inline: its short path in the caller, the general one out of line. */
static __rte_always_inline struct ct_verdict
ct_tcp_track(struct ct_tcp_state *st, int dir, const struct ct_tcp_seg *seg,
             const struct ct_tcp_cfg *cfg)
{
	dir = !!dir;
	if (likely(tcp_est_ack(st, dir, seg->flags))) {
		const struct tcp_in in = { .seg = seg, .cfg = cfg, .dir = dir, .cls = TC_ACK };

		return tcp_update_est_ack(st, &in);
	}
	if (unlikely(tcp_syn_recv_ack(st, dir, seg->flags))) {
		const struct tcp_in in = { .seg = seg, .cfg = cfg, .dir = dir, .cls = TC_ACK };

		return tcp_update_syn_recv_ack(st, &in);
	}
	if (unlikely(tcp_est_syn(st, dir, seg->flags))) {
		const struct tcp_in in = { .seg = seg, .cfg = cfg, .dir = dir, .cls = TC_SYN };

		return tcp_update_est_syn(st, &in);
	}
	return ct_tcp_update_full(st, dir, seg, cfg);
}

#endif /* CT_TCP_WIN_H */
