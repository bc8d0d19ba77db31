/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the MAC learning table (src/vs_mac.c), no EAL: single-thread
 * behaviour against hand-computed expectations and a linear reference model,
 * then a two-thread learn + lookup stress that checks that no lookup ever
 * returns a port that was not learned for its MAC.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_errno.h>

#include "vs_mac.h"

#define T0 1000u /* an arbitrary "now" */

static struct vs_mac *
table_new(uint32_t n_entries, uint32_t aging_s)
{
	size_t size = vs_mac_memsize(n_entries);
	struct vs_mac *m;
	void *mem;

	assert_true(size > 0);
	mem = aligned_alloc(VS_MAC_ALIGN, RTE_ALIGN_CEIL(size, VS_MAC_ALIGN));
	assert_non_null(mem);
	memset(mem, 0xa5, size); /* init must not rely on zeroed memory */
	m = vs_mac_init(mem, n_entries, aging_s);
	assert_ptr_equal(m, mem);
	return m;
}

/* MAC number 'i': locally administered unicast, 02:00:00:xx:xx:xx. */
static void
mac_of(uint32_t i, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

static void
test_vs_mac_init_validates(void **state)
{
	static uint8_t mem[1 << 16] __attribute__((aligned(VS_MAC_ALIGN)));

	(void)state;
	assert_int_equal(vs_mac_memsize(0), 0);
	assert_int_equal(vs_mac_memsize(VS_MAC_ENTRIES_MAX + 1), 0);
	assert_true(vs_mac_memsize(1) > 0);
	assert_true(vs_mac_memsize(1000) >= vs_mac_memsize(100));
	assert_true(vs_mac_memsize(64) <= sizeof(mem));

	rte_errno = 0;
	assert_null(vs_mac_init(NULL, 64, 300));
	assert_int_equal(rte_errno, EINVAL);
	rte_errno = 0;
	assert_null(vs_mac_init(mem + 8, 64, 300)); /* misaligned */
	assert_int_equal(rte_errno, EINVAL);
	rte_errno = 0;
	assert_null(vs_mac_init(mem, 64, 0)); /* no aging time */
	assert_int_equal(rte_errno, EINVAL);
	rte_errno = 0;
	assert_null(vs_mac_init(mem, 0, 300));
	assert_int_equal(rte_errno, EINVAL);
	assert_non_null(vs_mac_init(mem, 64, 300));
	assert_true(vs_mac_capacity((struct vs_mac *)mem) >= 64);
}

static void
test_vs_mac_learn_lookup(void **state)
{
	struct vs_mac *m = table_new(1024, 300);
	uint8_t a[6], b[6];

	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0), 0);
	assert_int_equal(vs_mac_count(m, T0), 0);
	assert_int_equal(vs_mac_learn(m, a, 0, 5, T0), VS_MAC_LEARN_NEW);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0), 5);
	assert_int_equal(vs_mac_lookup(m, b, 0, T0), 0);
	/* Same port, same second: nothing to write. */
	assert_int_equal(vs_mac_learn(m, a, 0, 5, T0), VS_MAC_LEARN_FRESH);
	/* A thread whose clock is a second behind still sees it fresh. */
	assert_int_equal(vs_mac_learn(m, a, 0, 5, T0 - 1), VS_MAC_LEARN_FRESH);
	/* A second later: the age is reset. */
	assert_int_equal(vs_mac_learn(m, a, 0, 5, T0 + 1), VS_MAC_LEARN_REFRESHED);
	assert_int_equal(vs_mac_learn(m, b, 0, 6, T0 + 1), VS_MAC_LEARN_NEW);
	assert_int_equal(vs_mac_lookup(m, b, 0, T0 + 1), 6);
	assert_int_equal(vs_mac_count(m, T0 + 1), 2);
	free(m);
}

static void
test_vs_mac_move(void **state)
{
	struct vs_mac *m = table_new(1024, 300);
	uint8_t a[6];

	(void)state;
	mac_of(7, a);
	assert_int_equal(vs_mac_learn(m, a, 0, 1, T0), VS_MAC_LEARN_NEW);
	assert_int_equal(vs_mac_learn(m, a, 0, 2, T0), VS_MAC_LEARN_MOVED);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0), 2);
	assert_int_equal(vs_mac_count(m, T0), 1);
	assert_int_equal(vs_mac_learn(m, a, 0, 1, T0 + 5), VS_MAC_LEARN_MOVED);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + 5), 1);
	free(m);
}

static void
test_vs_mac_vlan_separation(void **state)
{
	struct vs_mac *m = table_new(1024, 300);
	uint8_t a[6];

	(void)state;
	mac_of(9, a);
	assert_int_equal(vs_mac_learn(m, a, 10, 1, T0), VS_MAC_LEARN_NEW);
	assert_int_equal(vs_mac_learn(m, a, 20, 2, T0), VS_MAC_LEARN_NEW);
	assert_int_equal(vs_mac_learn(m, a, 4095, 3, T0), VS_MAC_LEARN_NEW);
	assert_int_equal(vs_mac_lookup(m, a, 10, T0), 1);
	assert_int_equal(vs_mac_lookup(m, a, 20, T0), 2);
	assert_int_equal(vs_mac_lookup(m, a, 4095, T0), 3);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0), 0);
	assert_int_equal(vs_mac_lookup(m, a, 30, T0), 0);
	assert_int_equal(vs_mac_lookup(m, a, 4095 & 0xff, T0), 0); /* all 12 bits count */
	assert_int_equal(vs_mac_count(m, T0), 3);
	free(m);
}

static void
test_vs_mac_ignores_multicast_and_port0(void **state)
{
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct vs_mac *m = table_new(64, 300);
	uint8_t a[6];

	(void)state;
	mac_of(3, a);
	assert_int_equal(vs_mac_learn(m, mcast, 0, 1, T0), VS_MAC_LEARN_IGNORED);
	assert_int_equal(vs_mac_learn(m, bcast, 0, 1, T0), VS_MAC_LEARN_IGNORED);
	assert_int_equal(vs_mac_learn(m, a, 0, 0, T0), VS_MAC_LEARN_IGNORED);
	assert_int_equal(vs_mac_lookup(m, mcast, 0, T0), 0);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0), 0);
	assert_int_equal(vs_mac_count(m, T0), 0);
	free(m);
}

static void
test_vs_mac_aging(void **state)
{
	struct vs_mac *m = table_new(1024, 300);
	uint8_t a[6], b[6];

	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	assert_int_equal(vs_mac_get_aging(m), 300);
	vs_mac_learn(m, a, 0, 4, T0);
	vs_mac_learn(m, b, 0, 5, T0 + 200);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + 299), 4);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + 300), 0);
	assert_int_equal(vs_mac_count(m, T0 + 300), 1);
	assert_int_equal(vs_mac_lookup(m, b, 0, T0 + 300), 5);
	/* An aged entry learned again is a move back into the table, same slot. */
	assert_int_equal(vs_mac_learn(m, a, 0, 4, T0 + 400), VS_MAC_LEARN_MOVED);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + 400), 4);
	/* Shorter aging applies to the next lookup. */
	assert_int_equal(vs_mac_set_aging(m, 0), -EINVAL);
	assert_int_equal(vs_mac_set_aging(m, 10), 0);
	assert_int_equal(vs_mac_get_aging(m), 10);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + 409), 4);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + 410), 0);
	assert_int_equal(vs_mac_lookup(m, b, 0, T0 + 409), 0);
	/* A lookup with a clock behind the learner's still finds the entry. */
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + 399), 4);
	free(m);
}

static void
test_vs_mac_expire(void **state)
{
	struct vs_mac *m = table_new(1024, 100);
	uint32_t i, n = 0, cap = vs_mac_capacity(m);
	uint8_t a[6];

	(void)state;
	for (i = 0; i < 50; i++) {
		mac_of(i, a);
		vs_mac_learn(m, a, 0, 1, i < 20 ? T0 : T0 + 50);
	}
	assert_int_equal(vs_mac_count(m, T0 + 100), 30);
	/* Bounded: one bucket per call until the table was walked once. */
	for (i = 0; i < cap; i++)
		n += vs_mac_expire(m, T0 + 100, 1);
	assert_int_equal(n, 20);
	assert_int_equal(vs_mac_expire(m, T0 + 100, UINT32_MAX), 0);
	assert_int_equal(vs_mac_count(m, T0), 30); /* gone even at an earlier 'now' */
	mac_of(25, a);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + 100), 1);
	free(m);
}

static void
test_vs_mac_flush(void **state)
{
	struct vs_mac *m = table_new(1024, 300);
	uint8_t a[6];
	uint32_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		mac_of(i, a);
		vs_mac_learn(m, a, (uint16_t)(i % 3), (uint16_t)(1 + i % 4), T0);
	}
	assert_int_equal(vs_mac_count(m, T0), 100);
	assert_int_equal(vs_mac_flush(m), 100);
	assert_int_equal(vs_mac_count(m, T0), 0);
	for (i = 0; i < 100; i++) {
		mac_of(i, a);
		assert_int_equal(vs_mac_lookup(m, a, (uint16_t)(i % 3), T0), 0);
	}
	assert_int_equal(vs_mac_flush(m), 0);
	free(m);
}

static void
test_vs_mac_flush_port(void **state)
{
	struct vs_mac *m = table_new(1024, 300);
	uint8_t a[6];
	uint32_t i;

	(void)state;
	for (i = 0; i < 100; i++) {
		mac_of(i, a);
		vs_mac_learn(m, a, 0, (uint16_t)(1 + i % 4), T0);
	}
	assert_int_equal(vs_mac_flush_port(m, 3), 25);
	assert_int_equal(vs_mac_flush_port(m, 9), 0);
	assert_int_equal(vs_mac_count(m, T0), 75);
	for (i = 0; i < 100; i++) {
		mac_of(i, a);
		assert_int_equal(vs_mac_lookup(m, a, 0, T0), i % 4 == 2 ? 0 : 1 + i % 4);
	}
	free(m);
}

static void
test_vs_mac_eviction(void **state)
{
	struct vs_mac *m = table_new(1, 300); /* one bucket */
	uint32_t cap = vs_mac_capacity(m), i;
	uint8_t a[6];

	(void)state;
	assert_true(cap >= 2 && cap < 16);
	for (i = 0; i < cap; i++) {
		mac_of(i, a);
		assert_int_equal(vs_mac_learn(m, a, 0, (uint16_t)(i + 1), T0 + i),
		                 VS_MAC_LEARN_NEW);
	}
	assert_int_equal(vs_mac_count(m, T0 + cap), cap);
	/* Full: a new MAC evicts the oldest (MAC 0), and only it. */
	mac_of(100, a);
	assert_int_equal(vs_mac_learn(m, a, 0, 100, T0 + cap), VS_MAC_LEARN_NEW);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + cap), 100);
	mac_of(0, a);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + cap), 0);
	for (i = 1; i < cap; i++) {
		mac_of(i, a);
		assert_int_equal(vs_mac_lookup(m, a, 0, T0 + cap), i + 1);
	}
	/* Refreshing MAC 1 makes MAC 2 the oldest. */
	mac_of(1, a);
	assert_int_equal(vs_mac_learn(m, a, 0, 2, T0 + cap), VS_MAC_LEARN_REFRESHED);
	mac_of(101, a);
	vs_mac_learn(m, a, 0, 101, T0 + cap + 1);
	mac_of(2, a);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + cap + 1), 0);
	mac_of(1, a);
	assert_int_equal(vs_mac_lookup(m, a, 0, T0 + cap + 1), 2);
	assert_int_equal(vs_mac_count(m, T0 + cap + 1), cap);
	free(m);
}

/* Reference entry of the model. */
struct ref_entry {
	uint8_t mac[6];
	uint16_t vlan;
	uint16_t port;
	uint32_t learned;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref_entry *x = a, *y = b;
	int c = memcmp(x->mac, y->mac, 6);

	return c != 0 ? c : (int)x->vlan - (int)y->vlan;
}

/*
 * Differential test: random learns (no evictions: the table is large) as time
 * goes by, against an array, then lookups of every learned key (live or aged)
 * and of unknown keys, then the iterator's output sorted and compared with
 * the sorted array of live entries.
 */
static void
test_vs_mac_matches_reference(void **state)
{
	enum { N_MACS = 300, N_OPS = 3000 };
	static struct ref_entry ref[N_MACS * 4], seen[N_MACS * 4];
	struct vs_mac *m = table_new(1 << 14, 300);
	struct vs_mac_entry e;
	struct vs_mac_iter it;
	uint32_t n_ref = 0, n_seen = 0, i, j, now = T0;
	uint8_t mac[6];

	(void)state;
	srand(12345);
	for (i = 0; i < N_OPS; i++) {
		uint32_t id = (uint32_t)rand() % N_MACS;
		uint16_t vlan = (uint16_t)(rand() % 4);
		uint16_t port = (uint16_t)(1 + rand() % 8);

		now += (uint32_t)(rand() % 2);
		mac_of(id * 7919, mac);
		vs_mac_learn(m, mac, vlan, port, now);
		for (j = 0; j < n_ref; j++)
			if (memcmp(ref[j].mac, mac, 6) == 0 && ref[j].vlan == vlan)
				break;
		if (j == n_ref) {
			memcpy(ref[n_ref].mac, mac, 6);
			ref[n_ref++].vlan = vlan;
		}
		if (ref[j].port != port || now - ref[j].learned >= 1)
			ref[j].learned = now;
		ref[j].port = port;
	}
	/* Entries older than the aging time (300 s) drop out of the model. */
	for (i = 0, j = 0; i < n_ref; i++) {
		uint16_t exp = now - ref[i].learned < 300 ? ref[i].port : 0;

		assert_int_equal(vs_mac_lookup(m, ref[i].mac, ref[i].vlan, now), exp);
		assert_int_equal(vs_mac_lookup(m, ref[i].mac, ref[i].vlan + 4, now), 0);
		if (exp != 0)
			ref[j++] = ref[i];
	}
	assert_true(j > 50 && j < n_ref); /* both cases were exercised */
	n_ref = j;
	assert_int_equal(vs_mac_count(m, now), n_ref);

	vs_mac_iter_init(&it);
	while (vs_mac_iter_next(m, &it, now, &e)) {
		assert_true(n_seen < n_ref);
		memcpy(seen[n_seen].mac, e.mac, 6);
		seen[n_seen].vlan = e.vlan;
		seen[n_seen].port = e.port;
		seen[n_seen++].learned = now - e.age_s;
	}
	assert_false(vs_mac_iter_next(m, &it, now, &e)); /* stays at the end */
	assert_int_equal(n_seen, n_ref);
	qsort(ref, n_ref, sizeof(ref[0]), ref_cmp);
	qsort(seen, n_seen, sizeof(seen[0]), ref_cmp);
	for (j = 0; j < n_ref; j++) {
		assert_memory_equal(seen[j].mac, ref[j].mac, 6);
		assert_int_equal(seen[j].vlan, ref[j].vlan);
		assert_int_equal(seen[j].port, ref[j].port);
		assert_int_equal(seen[j].learned, ref[j].learned);
	}
	free(m);
}

static void
test_vs_mac_iter_skips_aged(void **state)
{
	struct vs_mac *m = table_new(64, 10);
	struct vs_mac_entry e;
	struct vs_mac_iter it;
	uint8_t a[6];

	(void)state;
	mac_of(1, a);
	vs_mac_learn(m, a, 5, 3, T0);
	mac_of(2, a);
	vs_mac_learn(m, a, 6, 4, T0 + 8);
	vs_mac_iter_init(&it);
	assert_true(vs_mac_iter_next(m, &it, T0 + 12, &e));
	assert_int_equal(e.port, 4);
	assert_int_equal(e.vlan, 6);
	assert_int_equal(e.age_s, 4);
	assert_memory_equal(e.mac, a, 6);
	assert_false(vs_mac_iter_next(m, &it, T0 + 12, &e));
	free(m);
}

/*
 * Concurrency stress: two threads learn and look up the same small table
 * (heavy eviction and moves).  MAC i is only ever learned on port 2i+1 or
 * 2i+2, so any other non-zero result of a lookup is a torn key/value pair.
 */
#define STRESS_MACS 2000
#define STRESS_NS   800000000L

struct stress_arg {
	struct vs_mac *m;
	unsigned int seed;
	uint64_t n_lookups;
	uint64_t n_hits;
	uint64_t n_torn;
	uint64_t n_written;
};

static uint16_t
stress_port(uint32_t i, unsigned int which)
{
	return (uint16_t)(2 * i + 1 + which);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *
stress_thread(void *p)
{
	struct stress_arg *a = p;
	uint64_t start = now_ns(), iter = 0;
	uint8_t mac[6];

	while ((iter & 1023) != 0 || now_ns() - start < STRESS_NS) {
		uint32_t i = (uint32_t)rand_r(&a->seed) % STRESS_MACS;
		uint32_t j = (uint32_t)rand_r(&a->seed) % STRESS_MACS;
		/* Time moves fast so that refreshes write too. */
		uint32_t now = T0 + (uint32_t)(iter >> 6);
		enum vs_mac_learn_result r;
		uint16_t port;

		mac_of(i, mac);
		r = vs_mac_learn(a->m, mac, (uint16_t)(i & 7), stress_port(i, iter & 1), now);
		a->n_written += r == VS_MAC_LEARN_NEW || r == VS_MAC_LEARN_MOVED ||
		                r == VS_MAC_LEARN_REFRESHED;
		mac_of(j, mac);
		port = vs_mac_lookup(a->m, mac, (uint16_t)(j & 7), now);
		a->n_lookups++;
		if (port != 0) {
			a->n_hits++;
			if (port != stress_port(j, 0) && port != stress_port(j, 1))
				a->n_torn++;
		}
		iter++;
	}
	return NULL;
}

static void
test_vs_mac_concurrent_no_torn(void **state)
{
	struct vs_mac *m = table_new(256, 1000000);
	struct stress_arg args[2] = { { .m = m, .seed = 1 }, { .m = m, .seed = 2 } };
	pthread_t th[2];
	struct vs_mac_entry e;
	struct vs_mac_iter it;
	int t;

	(void)state;
	for (t = 0; t < 2; t++)
		assert_int_equal(pthread_create(&th[t], NULL, stress_thread, &args[t]), 0);
	for (t = 0; t < 2; t++)
		assert_int_equal(pthread_join(th[t], NULL), 0);
	for (t = 0; t < 2; t++) {
		print_message("  thread %d: %llu lookups, %llu hits, %llu writes, %llu torn\n", t,
		              (unsigned long long)args[t].n_lookups,
		              (unsigned long long)args[t].n_hits,
		              (unsigned long long)args[t].n_written,
		              (unsigned long long)args[t].n_torn);
		assert_int_equal(args[t].n_torn, 0);
		assert_true(args[t].n_hits > 1000); /* the check above had something to check */
		assert_true(args[t].n_written > 1000);
	}
	/* The table itself holds no torn pair either. */
	vs_mac_iter_init(&it);
	while (vs_mac_iter_next(m, &it, T0, &e)) {
		uint32_t i = (uint32_t)e.mac[2] << 24 | (uint32_t)e.mac[3] << 16 |
		             (uint32_t)e.mac[4] << 8 | e.mac[5];

		assert_true(e.port == stress_port(i, 0) || e.port == stress_port(i, 1));
		assert_int_equal(e.vlan, i & 7);
	}
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vs_mac_init_validates),
		cmocka_unit_test(test_vs_mac_learn_lookup),
		cmocka_unit_test(test_vs_mac_move),
		cmocka_unit_test(test_vs_mac_vlan_separation),
		cmocka_unit_test(test_vs_mac_ignores_multicast_and_port0),
		cmocka_unit_test(test_vs_mac_aging),
		cmocka_unit_test(test_vs_mac_expire),
		cmocka_unit_test(test_vs_mac_flush),
		cmocka_unit_test(test_vs_mac_flush_port),
		cmocka_unit_test(test_vs_mac_eviction),
		cmocka_unit_test(test_vs_mac_matches_reference),
		cmocka_unit_test(test_vs_mac_iter_skips_aged),
		cmocka_unit_test(test_vs_mac_concurrent_no_torn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
