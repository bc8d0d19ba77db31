/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: lib/vxlan vxlan_is_candidate() and vxlan_decap_burst()
 * on a burst of arbitrary frames against a fixed tunnel table.
 *
 * Input: byte 0 = burst size (1..8) and check_ip_csum; byte 1 = RX checksum
 * flags given to every mbuf; then per frame a 2-byte big-endian length and
 * the bytes.  Each frame sits at the very end of its own heap buffer (after
 * the headroom), so ASan catches a read past the frame.  Checked: the stage
 * counts every frame once (n_decap + drops = n); survivors are an inner frame
 * of at least 14 bytes lying inside the original frame, byte for byte, with
 * l2/l3/l4_len cleared, and tunnel metadata naming the tunnel that
 * vxlan_tunnels_lookup() finds for it (pads zero); rejects come back
 * unmodified, after the survivors.  Single-threaded.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "fuzz_common.h"
#include "vxlan.h"

#define FUZZ_BURST 8

static void *
fz_zalloc(void *arg, size_t size, size_t align)
{
	void *p;

	(void)arg;
	if (align < sizeof(void *))
		align = sizeof(void *);
	p = aligned_alloc(align, (size + align - 1) & ~(align - 1));
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

static void
fz_free(void *arg, void *p)
{
	(void)arg;
	free(p);
}

static const struct vxlan_alloc fz_alloc = { fz_zalloc, fz_free, NULL };
static struct vxlan_tunnels *tunnels;

/* 10.0.0.2 <- 10.0.0.1 VNI 42; remote=flow VNI 100; key=flow from 10.0.0.3; 10.0.0.9 any/any. */
static void
build_tunnels(void)
{
	const struct vxlan_tunnel_params tp[] = {
		{ RTE_BE32(0x0a000002), RTE_BE32(0x0a000001), 42, false, false, 1 },
		{ RTE_BE32(0x0a000002), 0, 100, true, false, 2 },
		{ RTE_BE32(0x0a000002), RTE_BE32(0x0a000003), 0, false, true, 3 },
		{ RTE_BE32(0x0a000009), 0, 0, true, true, 4 },
	};

	tunnels = vxlan_tunnels_build(tp, RTE_DIM(tp), &fz_alloc);
	FUZZ_CHECK(tunnels != NULL && vxlan_tunnels_count(tunnels) == RTE_DIM(tp));
}

struct fz_frame {
	struct rte_mbuf m;
	uint8_t *buf;        /* headroom + frame, exact size */
	const uint8_t *data; /* the input bytes */
	uint16_t len;
	struct rte_mbuf *orig; /* mbuf pointer given to the stage */
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_frame fr[FUZZ_BURST];
	struct rte_mbuf *pkts[FUZZ_BURST];
	struct vxlan_md mds[FUZZ_BURST];
	struct vxlan_decap_ctx ctx;
	uint64_t ol_flags, drops = 0;
	uint16_t n = 0, ret, i, j;
	size_t off = 2;

	if (tunnels == NULL)
		build_tunnels();
	if (size < 2)
		return 0;
	memset(&ctx, 0, sizeof(ctx));
	ctx.check_ip_csum = data[0] & 0x80;
	ol_flags = 0;
	if (data[1] & 1)
		ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	if (data[1] & 2)
		ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	if (data[1] & 4)
		ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	if (data[1] & 8)
		ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	while (n < 1 + (data[0] & 7) && off + 2 <= size) {
		struct fz_frame *f = &fr[n];
		uint16_t len = (uint16_t)(data[off] << 8 | data[off + 1]);
		struct rte_mbuf *m = &f->m;

		off += 2;
		if (len > size - off)
			len = (uint16_t)(size - off);
		f->data = data + off;
		f->len = len;
		off += len;
		f->buf = malloc(RTE_PKTMBUF_HEADROOM + len);
		FUZZ_CHECK(f->buf != NULL);
		memset(m, 0, sizeof(*m));
		m->buf_addr = f->buf;
		m->buf_len = (uint16_t)(RTE_PKTMBUF_HEADROOM + len);
		rte_mbuf_refcnt_set(m, 1);
		rte_pktmbuf_reset(m);
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), f->data, len);
		m->data_len = len;
		m->pkt_len = len;
		m->ol_flags = ol_flags;
		m->l2_len = 14;
		m->l3_len = 20;
		(void)vxlan_is_candidate(m, RTE_BE16(4789));
		f->orig = m;
		pkts[n++] = m;
	}
	if (n == 0)
		return 0;

	memset(mds, 0xa5, sizeof(mds));
	ret = vxlan_decap_burst(&ctx, tunnels, pkts, n, mds);
	FUZZ_CHECK(ret <= n);
	FUZZ_CHECK(ctx.n_decap == ret);
	for (i = 0; i < VXLAN_DECAP_DROP_N; i++)
		drops += ctx.n_drop[i];
	FUZZ_CHECK(drops == (uint64_t)(n - ret));

	/* Survivors then rejects, each in arrival order: walk the input once. */
	for (i = 0, j = 0; j < n; j++) {
		const struct fz_frame *f = &fr[j];
		const struct rte_mbuf *m = f->orig;
		const uint8_t *start = (const uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM;

		if (i < ret && pkts[i] == m) {
			const struct vxlan_tunnel_params *tp;
			const uint8_t *inner = rte_pktmbuf_mtod(m, const uint8_t *);
			size_t at = (size_t)(inner - start);

			FUZZ_CHECK(inner >= start && at + m->data_len <= f->len);
			FUZZ_CHECK(m->data_len == m->pkt_len && m->data_len >= 14);
			FUZZ_CHECK(memcmp(inner, f->data + at, m->data_len) == 0);
			FUZZ_CHECK(m->l2_len == 0 && m->l3_len == 0 && m->l4_len == 0);
			FUZZ_CHECK(mds[i].pad0 == 0 && mds[i].pad1 == 0);
			tp = vxlan_tunnels_lookup(tunnels, mds[i].tun_dst,
			                          (uint32_t)rte_be_to_cpu_64(mds[i].tun_id),
			                          mds[i].tun_src);
			FUZZ_CHECK(tp != NULL && tp->ofport == mds[i].ofport);
			FUZZ_CHECK(rte_be_to_cpu_64(mds[i].tun_id) <= VXLAN_VNI_MAX);
			i++;
		}
	}
	FUZZ_CHECK(i == ret);
	for (i = ret, j = 0; j < n; j++) {
		const struct fz_frame *f = &fr[j];
		const struct rte_mbuf *m = f->orig;
		bool survived = false;
		uint16_t k;

		for (k = 0; k < ret; k++)
			survived |= pkts[k] == m;
		if (survived)
			continue;
		/* Rejects: each once in pkts[ret, n), order not specified. */
		survived = false;
		for (k = ret; k < n; k++)
			survived |= pkts[k] == m;
		FUZZ_CHECK(survived);
		FUZZ_CHECK(m->data_off == RTE_PKTMBUF_HEADROOM);
		FUZZ_CHECK(m->data_len == f->len && m->pkt_len == f->len);
		FUZZ_CHECK(memcmp(rte_pktmbuf_mtod(m, const uint8_t *), f->data, f->len) == 0);
		FUZZ_CHECK(m->ol_flags == ol_flags && m->l2_len == 14 && m->l3_len == 20);
		i++;
	}
	FUZZ_CHECK(i == n);
	for (j = 0; j < n; j++)
		free(fr[j].buf);
	return 0;
}
