/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ct_bench: micro-benchmark of lib/ct alone (no EAL, no ports, no parser):
 * ct_execute_burst() on bursts of 32 pre-parsed packets.  Built with the
 * tests, never run by them (numbers depend on the machine and its load).
 *
 * For each connection count N (default 1, 10000, 1000000):
 *  - setup: N TCP SYNs with commit (each a new connection), then the
 *    SYN/ACK and ACK that establish them; reported as new connections per
 *    second and TSC cycles per connection (SYN bursts only);
 *  - memory: bytes the table and the connections took from the allocator
 *    hook, per connection.  The table is made as sluiced makes it: sized for
 *    the default limit (1,000,000, or N if more), its bucket array starting at
 *    START buckets (-b, default 16,384 as sluiced; 0: the whole size at once)
 *    and grown by ct_grow() between bursts when ct_grow_wanted() (sluiced grows
 *    it on the control thread; here the time it takes is reported apart);
 *  - established: TCP data segments in both directions (64 bytes from the
 *    client, a pure ACK back), connections visited in a scattered order so
 *    that at 1M the table does not fit the caches; TSC cycles per packet and
 *    packets per second on one core.
 * Only the ct_execute_burst() calls are timed (rdtsc around each burst);
 * building the packets is not.
 *
 * Usage: ct_bench [-p PACKETS] [-b START] [N...]
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "ct.h"

#define BURST 32

/* Zeroing allocator hook that counts the bytes lib/ct asked for and still holds.  Each block
 * keeps its size and the raw pointer in the 16 bytes in front of it. */
static size_t live_bytes;

static void *
b_alloc(void *arg, size_t size, size_t align)
{
	size_t a = align < 16 ? 16 : align, rounded = (size + a - 1) / a * a;
	uint8_t *raw, *p;

	(void)arg;
	raw = aligned_alloc(a, rounded + a);
	if (raw == NULL)
		return NULL;
	p = raw + a;
	memset(p, 0, rounded);
	((size_t *)p)[-1] = rounded;
	((void **)p)[-2] = raw;
	live_bytes += rounded;
	return p;
}

static void
b_free(void *arg, void *ptr)
{
	(void)arg;
	if (ptr == NULL)
		return;
	live_bytes -= ((size_t *)ptr)[-1];
	free(((void **)ptr)[-2]);
}

struct bpkt {
	struct pm_key key;
	uint8_t l4[20];
};

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Connection i: 10.x.y.z:(1024 + i % 50000) -> 20.0.0.1:80. */
static void
mk_tcp(struct bpkt *b, struct ct_pkt *p, uint32_t i, bool reply, uint8_t flags, uint32_t seq,
       uint32_t ack, uint32_t len)
{
	uint32_t cli = 0x0a000000u | (i / 50000 + 1), srv = 0x14000001u;
	uint16_t cport = (uint16_t)(1024 + i % 50000), sport = 80;
	uint16_t s = reply ? sport : cport, d = reply ? cport : sport;

	memset(&b->key, 0, sizeof(b->key));
	b->key.dl_type = htons(0x0800);
	b->key.nw_proto = 6;
	b->key.nw_src = htonl(reply ? srv : cli);
	b->key.nw_dst = htonl(reply ? cli : srv);
	b->key.tp_src = htons(s);
	b->key.tp_dst = htons(d);
	memset(b->l4, 0, sizeof(b->l4));
	b->l4[0] = (uint8_t)(s >> 8);
	b->l4[1] = (uint8_t)s;
	b->l4[2] = (uint8_t)(d >> 8);
	b->l4[3] = (uint8_t)d;
	put32(b->l4 + 4, seq);
	put32(b->l4 + 8, ack);
	b->l4[12] = 5 << 4;
	b->l4[13] = flags;
	b->l4[14] = 0xff;
	b->l4[15] = 0xff;
	p->key = &b->key;
	p->l4 = b->l4;
	p->l4_len = 20 + len; /* the payload is never read */
	p->pkt_len = 40 + len;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct phase {
	uint64_t cycles;
	double seconds;
	uint64_t n;
	uint64_t n_bad;     /* packets whose verdict was not the expected one */
	uint32_t *samples;  /* cycles per packet of each burst (x16), NULL: not kept */
	uint64_t n_samples; /* bursts recorded */
	uint64_t max_samples;
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Median cycles per packet over the bursts: robust to the preemptions of a shared machine. */
static double
median_cycles(struct phase *ph)
{
	if (ph->n_samples == 0)
		return (double)ph->cycles / (double)ph->n;
	qsort(ph->samples, ph->n_samples, sizeof(*ph->samples), cmp_u32);
	return ph->samples[ph->n_samples / 2] / 16.0;
}

static void
burst(struct ct_ctx *x, const struct ct_exec_opts *o, const struct ct_pkt *pk, uint16_t n,
      uint8_t want, struct phase *ph)
{
	struct ct_result res[BURST];
	uint64_t t0;
	uint16_t k;

	t0 = rte_rdtsc();
	ct_execute_burst(x, o, pk, n, 1000, res);
	t0 = rte_rdtsc() - t0;
	ph->cycles += t0;
	ph->n += n;
	if (ph->samples != NULL && ph->n_samples < ph->max_samples && n > 0)
		ph->samples[ph->n_samples++] = (uint32_t)RTE_MIN(t0 * 16 / n, (uint64_t)UINT32_MAX);
	for (k = 0; k < n; k++)
		ph->n_bad += (res[k].ct_state & (PM_CS_NEW | PM_CS_ESTABLISHED | PM_CS_INVALID)) !=
		             want;
}

static uint32_t start_buckets = 16384;
static double grow_seconds;
static unsigned int n_grown;

static void
no_sync(void *arg)
{
	(void)arg;
}

/* Grows the table when it wants to (between bursts, untimed by burst()). */
static void
maybe_grow(struct ct_tbl *t)
{
	double t0;

	if (!ct_grow_wanted(t))
		return;
	t0 = now_s();
	if (ct_grow(t, no_sync, NULL) == 1)
		n_grown++;
	grow_seconds += now_s() - t0;
}

static int
bench(uint32_t n_conns, uint64_t n_pkts)
{
	struct ct_tbl_params p = {
		.max_conns = n_conns > CT_DEFAULT_MAX_CONNS ? n_conns : CT_DEFAULT_MAX_CONNS,
		.start_buckets = start_buckets,
		.alloc = b_alloc,
		.free = b_free,
		.tcp = { .loose = true },
	};
	const struct ct_exec_opts o = { .commit = true };
	struct phase setup = { 0 }, hs = { 0 }, est = { 0 };
	struct bpkt bufs[BURST];
	struct ct_pkt pk[BURST];
	struct ct_ctx x = { 0 };
	uint32_t *seq, i, stride;
	double t0;
	uint64_t j;

	live_bytes = 0;
	grow_seconds = 0;
	n_grown = 0;
	x.tbl = ct_tbl_create(&p);
	seq = calloc(n_conns, sizeof(*seq));
	setup.max_samples = n_conns / BURST + 1;
	setup.samples = calloc(setup.max_samples, sizeof(uint32_t));
	est.max_samples = n_pkts / BURST + 1;
	est.samples = calloc(est.max_samples, sizeof(uint32_t));
	if (x.tbl == NULL || seq == NULL || setup.samples == NULL || est.samples == NULL) {
		fprintf(stderr, "ct_bench: out of memory\n");
		return -1;
	}

	/* Setup: SYNs (timed), then SYN/ACKs and ACKs. */
	t0 = now_s();
	for (i = 0; i < n_conns;) {
		uint16_t m = 0;

		for (; i < n_conns && m < BURST; i++, m++)
			mk_tcp(&bufs[m], &pk[m], i, false, 0x02, 1000, 0, 0);
		burst(&x, &o, pk, m, PM_CS_NEW, &setup);
		maybe_grow(x.tbl);
	}
	setup.seconds = now_s() - t0;
	for (i = 0; i < n_conns;) {
		uint16_t m = 0;

		for (; i < n_conns && m < BURST; i++, m += 2) {
			mk_tcp(&bufs[m], &pk[m], i, true, 0x12, 5000, 1001, 0);
			mk_tcp(&bufs[m + 1], &pk[m + 1], i, false, 0x10, 1001, 5001, 0);
			seq[i] = 1001;
		}
		burst(&x, &o, pk, m, PM_CS_ESTABLISHED, &hs);
	}

	/* Established: a data segment and its ACK per visit, connections in a scattered order. */
	stride = n_conns > 1 ? 2654435761u % n_conns : 0;
	while (stride > 1 && n_conns % stride == 0)
		stride--;
	if (stride == 0)
		stride = 1;
	t0 = now_s();
	for (j = 0, i = 0; j < n_pkts;) {
		uint16_t m;

		for (m = 0; m < BURST; m += 2, j += 2) {
			mk_tcp(&bufs[m], &pk[m], i, false, 0x18, seq[i], 5001, 64);
			mk_tcp(&bufs[m + 1], &pk[m + 1], i, true, 0x10, 5001, seq[i] + 64, 0);
			seq[i] += 64;
			i = (uint32_t)(((uint64_t)i + stride) % n_conns);
		}
		burst(&x, &o, pk, m, PM_CS_ESTABLISHED, &est);
	}
	est.seconds = now_s() - t0;

	{
		size_t conn_bytes = (size_t)n_conns * ((ct_conn_size() + 63) / 64 * 64);
		size_t table_bytes = live_bytes - conn_bytes;

		printf("%8" PRIu32 " conns | setup: median %5.0f cyc/conn (mean %5.0f), %5.2f "
		       "Mconn/s wall, %u growths %.1f ms | %3.0f B/conn + table %.0f B/conn (%u "
		       "buckets) | established: median %5.1f cyc/pkt (mean %5.1f), %5.2f Mpps "
		       "wall | bad %" PRIu64 "\n",
		       n_conns, median_cycles(&setup), (double)setup.cycles / (double)setup.n,
		       (double)n_conns / setup.seconds / 1e6, n_grown, grow_seconds * 1e3,
		       (double)conn_bytes / n_conns, (double)table_bytes / n_conns,
		       ct_n_buckets(x.tbl), median_cycles(&est), (double)est.cycles / (double)est.n,
		       (double)est.n / est.seconds / 1e6, setup.n_bad + hs.n_bad + est.n_bad);
	}
	ct_tbl_destroy(x.tbl);
	free(setup.samples);
	free(est.samples);
	free(seq);
	return setup.n_bad + hs.n_bad + est.n_bad ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static const uint32_t defaults[] = { 1, 10000, 1000000 };
	uint64_t n_pkts = 8000000;
	int opt, rc = 0, i;

	while ((opt = getopt(argc, argv, "p:b:")) != -1) {
		if (opt == 'p') {
			n_pkts = strtoull(optarg, NULL, 10);
		} else if (opt == 'b') {
			start_buckets = (uint32_t)strtoul(optarg, NULL, 10);
		} else {
			fprintf(stderr, "usage: ct_bench [-p PACKETS] [-b START] [N...]\n");
			return 2;
		}
	}
	printf("lib/ct micro-benchmark: bursts of %d, TSC cycles, one thread\n", BURST);
	if (optind == argc) {
		for (i = 0; i < (int)RTE_DIM(defaults); i++)
			rc |= bench(defaults[i], n_pkts);
	} else {
		for (i = optind; i < argc; i++)
			rc |= bench((uint32_t)strtoul(argv[i], NULL, 10), n_pkts);
	}
	return rc ? 1 : 0;
}
