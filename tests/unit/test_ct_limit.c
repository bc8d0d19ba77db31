/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ct's connection limits under a flood, no EAL: one thread (a PMD) tries
 * to create new connections as fast as it can against a full table while
 * another (the control thread answering "ct stats" / "ct limit show") reads
 * the counts.  The counts must never show more connections than the limit,
 * not even for a moment: sluiced's conntrack exhaustion test once read 25
 * connections under a limit of 24 (a reservation taken, then given back).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <rte_byteorder.h>

#include "ct.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u

/* How long the flood runs per case. */
#define FLOOD_MS 300

struct tpkt {
	struct pm_key key;
	uint8_t l4[8];
};

/* The zeroing allocator lib/ct wants. */
static void *
t_alloc(void *arg, size_t size, size_t align)
{
	size_t n = (size + align - 1) / align * align;
	void *p = aligned_alloc(align, n);

	(void)arg;
	if (p != NULL)
		memset(p, 0, n);
	return p;
}

static void
t_free(void *arg, void *p)
{
	(void)arg;
	free(p);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A UDP packet A:sport -> B:53. */
static void
mk_udp(struct tpkt *p, uint16_t sport)
{
	memset(p, 0, sizeof(*p));
	p->key.dl_type = rte_cpu_to_be_16(0x0800);
	p->key.nw_src = rte_cpu_to_be_32(IP_A);
	p->key.nw_dst = rte_cpu_to_be_32(IP_B);
	p->key.nw_proto = 17;
	p->key.tp_src = rte_cpu_to_be_16(sport);
	p->key.tp_dst = rte_cpu_to_be_16(53);
	p->l4[0] = (uint8_t)(sport >> 8);
	p->l4[1] = (uint8_t)sport;
	p->l4[3] = 53;
	p->l4[5] = 8;
}

/* Commits one burst of UDP tuples from 'sport0' in 'zone'; returns the connections made. */
static uint64_t
commit_burst(struct ct_tbl *t, uint16_t zone, uint16_t sport0, uint16_t n)
{
	struct ct_exec_opts o = { .zone = zone, .commit = true };
	struct ct_ctx x = { .tbl = t };
	struct ct_pkt pk[CT_BURST_MAX];
	struct ct_result res[CT_BURST_MAX];
	struct tpkt p[CT_BURST_MAX];
	uint16_t i;

	for (i = 0; i < n; i++) {
		mk_udp(&p[i], (uint16_t)(sport0 + i));
		pk[i] = (struct ct_pkt){
			.key = &p[i].key, .l4 = p[i].l4, .l4_len = 8, .pkt_len = 64
		};
	}
	ct_execute_burst(&x, &o, pk, n, 0, res);
	return x.stats.n_created;
}

struct flood {
	struct ct_tbl *t;
	uint16_t zone;
	bool stop; /* main -> flooder, relaxed (polled) */
	uint64_t n_tries;
	uint64_t n_created;
};

/* The PMD: new tuples against the full table until told to stop. */
static void *
flood_thread(void *arg)
{
	struct flood *f = arg;
	uint16_t sport = 10000;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		f->n_created += commit_burst(f->t, f->zone, sport, CT_BURST_MAX);
		f->n_tries += CT_BURST_MAX;
		sport = (uint16_t)(sport + CT_BURST_MAX);
		if (sport < 10000)
			sport = 10000;
	}
	return NULL;
}

/*
 * Floods zone 'zone' of 't' (full already) for FLOOD_MS while reading the
 * global count and the zone's count; returns the highest of each seen.
 */
static void
flood_and_watch(struct ct_tbl *t, uint16_t zone, uint32_t *max_count, uint32_t *max_zone)
{
	struct flood f = { .t = t, .zone = zone };
	uint64_t end = now_ms() + FLOOD_MS, n_reads = 0;
	pthread_t th;

	*max_count = 0;
	*max_zone = 0;
	assert_int_equal(pthread_create(&th, NULL, flood_thread, &f), 0);
	while (now_ms() < end) {
		uint32_t c = ct_count(t), z = ct_zone_count(t, zone);

		*max_count = c > *max_count ? c : *max_count;
		*max_zone = z > *max_zone ? z : *max_zone;
		n_reads++;
	}
	__atomic_store_n(&f.stop, true, __ATOMIC_RELAXED);
	assert_int_equal(pthread_join(th, NULL), 0);
	print_message("  %llu creations tried, %llu made; %llu reads: at most %u connections, "
	              "%u in zone %u\n",
	              (unsigned long long)f.n_tries, (unsigned long long)f.n_created,
	              (unsigned long long)n_reads, *max_count, *max_zone, zone);
	assert_true(f.n_tries > 0);
	assert_int_equal(f.n_created, 0);
}

/* The global limit: 8 connections, then a flood of new ones. */
static void
test_ct_limit_global_never_exceeded(void **state)
{
	struct ct_tbl_params p = { .max_conns = 8, .alloc = t_alloc, .free = t_free };
	struct ct_tbl *t = ct_tbl_create(&p);
	uint32_t max_count, max_zone;

	(void)state;
	assert_non_null(t);
	assert_int_equal(commit_burst(t, 0, 1, 8), 8);
	flood_and_watch(t, 0, &max_count, &max_zone);
	assert_true(max_count <= 8);
	assert_true(max_zone <= 8); /* zone 0 has no limit: taken only under the global one */
	assert_int_equal(ct_count(t), 8);
	ct_tbl_destroy(t);
}

/* A zone limit: 4 connections in zone 5, then a flood of new ones in it. */
static void
test_ct_limit_zone_never_exceeded(void **state)
{
	struct ct_tbl_params p = { .max_conns = 1000, .alloc = t_alloc, .free = t_free };
	struct ct_tbl *t = ct_tbl_create(&p);
	uint32_t max_count, max_zone;

	(void)state;
	assert_non_null(t);
	ct_zone_limit_set(t, 5, 4);
	assert_int_equal(commit_burst(t, 5, 1, 4), 4);
	flood_and_watch(t, 5, &max_count, &max_zone);
	assert_true(max_zone <= 4);
	/* The global count may show a reservation the zone then refuses: a fifth, under the
	 * global limit. */
	assert_true(max_count <= 5);
	assert_int_equal(ct_zone_count(t, 5), 4);
	assert_int_equal(ct_count(t), 4);
	ct_tbl_destroy(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_limit_global_never_exceeded),
		cmocka_unit_test(test_ct_limit_zone_never_exceeded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
