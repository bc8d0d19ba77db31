/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mbufs over static buffers for unit tests without EAL or mempools: the
 * mbuf header and its data buffer live in one 'struct test_mbuf' that the
 * test owns (static or on the stack).  Only inline mbuf helpers may be used
 * on them (mtod, data_len, reset...), never rte_pktmbuf_free().
 * Single-threaded, like the tests that use it.
 */
#ifndef TEST_MBUF_H
#define TEST_MBUF_H

#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>

/** Data buffer per test mbuf: headroom plus a jumbo frame. */
#define TEST_MBUF_BUF_SIZE (RTE_PKTMBUF_HEADROOM + 9216)

/** An mbuf and the buffer it points to. */
struct test_mbuf {
	struct rte_mbuf m;                                   /**< the header */
	uint8_t buf[TEST_MBUF_BUF_SIZE] __rte_cache_aligned; /**< its data buffer */
};

/**
 * Resets 'tm' to a one-segment mbuf holding a copy of the 'len' bytes at
 * 'frame' (at most TEST_MBUF_BUF_SIZE - headroom) after the default headroom.
 *
 * @return the mbuf.
 */
static inline struct rte_mbuf *
test_mbuf_init(struct test_mbuf *tm, const void *frame, uint16_t len)
{
	struct rte_mbuf *m = &tm->m;

	memset(m, 0, sizeof(*m));
	m->buf_addr = tm->buf;
	m->buf_len = (uint16_t)sizeof(tm->buf);
	rte_mbuf_refcnt_set(m, 1);
	rte_pktmbuf_reset(m);
	if (len > 0)
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), frame, len);
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

/**
 * Appends the one-segment mbuf 'tail' to the chain 'head': next pointer,
 * segment count and total length, as rte_pktmbuf_chain() does.
 */
static inline void
test_mbuf_chain(struct rte_mbuf *head, struct rte_mbuf *tail)
{
	struct rte_mbuf *last = head;

	while (last->next != NULL)
		last = last->next;
	last->next = tail;
	head->nb_segs = (uint16_t)(head->nb_segs + 1);
	head->pkt_len += tail->data_len;
}

#endif /* TEST_MBUF_H */
