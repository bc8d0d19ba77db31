/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rule tables: lookup order and priorities, add-flow replacement, del-flows
 * strict and non-strict, replace_all keeping counters, timeouts, and a
 * randomized check of vs_ruleset_lookup() against a linear reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "vs_ofproto.h"

static uint64_t fake_now;
static unsigned int n_syncs;

static uint64_t
fake_clock(void)
{
	return fake_now;
}

static void
count_sync(void *arg)
{
	(void)arg;
	n_syncs++;
}

static struct vs_ofproto *
new_ofp(void)
{
	struct vs_ofproto *ofp = vs_ofproto_create(count_sync, NULL, fake_clock);

	assert_non_null(ofp);
	return ofp;
}

static void
add(struct vs_ofproto *ofp, const char *text)
{
	struct vs_flow_spec spec;
	char err[256];

	if (vs_flow_parse(text, VS_FP_ADD, NULL, &spec, err, sizeof(err)) != 0)
		fail_msg("parse '%s': %s", text, err);
	assert_int_equal(vs_ofproto_add(ofp, &spec), 0);
	vs_flow_spec_free(&spec);
}

static int
del(struct vs_ofproto *ofp, const char *text, bool strict)
{
	struct vs_flow_spec spec;
	char err[256];
	int n;

	if (vs_flow_parse(text, VS_FP_DEL, NULL, &spec, err, sizeof(err)) != 0)
		fail_msg("parse '%s': %s", text, err);
	n = vs_ofproto_del(ofp, &spec, strict);
	vs_flow_spec_free(&spec);
	return n;
}

/* A UDP/IPv4 key. */
static void
key_udp(struct pm_key *k, uint16_t in_port, uint32_t src, uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	k->in_port = in_port;
	k->dl_type = htons(0x0800);
	k->nw_proto = 17;
	k->nw_src = htonl(src);
	k->nw_dst = htonl(0x0a000002);
	k->tp_dst = htons(dport);
}

/* Output port of the rule that matches in table 0 (0 for no rule, 999 for drop). */
static uint32_t
out_of(const struct vs_ofproto *ofp, const struct pm_key *k)
{
	const struct vs_rule *r =
			vs_ruleset_lookup(vs_ofproto_snapshot(vs_ofproto_slot(ofp)), 0, k);

	if (r == NULL)
		return 0;
	if (r->spec.n_actions == 0)
		return 999;
	return r->spec.actions[0].arg;
}

static void
test_vs_ofproto_priority_order(void **state)
{
	struct vs_ofproto *ofp = new_ofp();
	struct pm_key k;

	(void)state;
	add(ofp, "priority=10,ip actions=output:1");
	add(ofp, "priority=30,udp,tp_dst=53 actions=output:3");
	add(ofp, "priority=20,udp actions=output:2");
	add(ofp, "priority=40,in_port=9 actions=drop");
	key_udp(&k, 1, 0x0a000001, 53);
	assert_int_equal(out_of(ofp, &k), 3);
	key_udp(&k, 1, 0x0a000001, 54);
	assert_int_equal(out_of(ofp, &k), 2);
	k.nw_proto = 6;
	assert_int_equal(out_of(ofp, &k), 1);
	key_udp(&k, 9, 0x0a000001, 53);
	assert_int_equal(out_of(ofp, &k), 999);
	k.dl_type = htons(0x86dd);
	k.in_port = 1;
	assert_int_equal(out_of(ofp, &k), 0);
	/* Equal priority: the older rule wins. */
	add(ofp, "priority=50,nw_src=10.0.0.0/8,ip actions=output:5");
	add(ofp, "priority=50,udp actions=output:6");
	key_udp(&k, 1, 0x0a000001, 53);
	assert_int_equal(out_of(ofp, &k), 5);
	vs_ofproto_destroy(ofp);
}

static void
test_vs_ofproto_add_replaces_same_match(void **state)
{
	struct vs_ofproto *ofp = new_ofp();
	struct pm_key k;

	(void)state;
	add(ofp, "priority=5,udp actions=output:1");
	add(ofp, "priority=5,udp actions=output:2");
	assert_int_equal(vs_ofproto_current(ofp)->n_rules, 1);
	key_udp(&k, 1, 1, 1);
	assert_int_equal(out_of(ofp, &k), 2);
	/* Same match, other priority: a second rule. */
	add(ofp, "priority=6,udp actions=output:3");
	assert_int_equal(vs_ofproto_current(ofp)->n_rules, 2);
	assert_int_equal(out_of(ofp, &k), 3);
	vs_ofproto_destroy(ofp);
}

static void
test_vs_ofproto_del_strict_and_loose(void **state)
{
	struct vs_ofproto *ofp = new_ofp();

	(void)state;
	add(ofp, "priority=5,udp,tp_dst=53 actions=output:1");
	add(ofp, "priority=6,udp,tp_dst=54 actions=output:1");
	add(ofp, "priority=7,tcp actions=output:1");
	add(ofp, "table=1,priority=7,udp actions=output:1");
	add(ofp, "cookie=0x5,priority=8,ip actions=output:1");
	/* Strict needs the exact match and priority. */
	assert_int_equal(del(ofp, "udp,tp_dst=53", true), 0);
	assert_int_equal(del(ofp, "priority=5,udp,tp_dst=53", true), 1);
	/* Non-strict "udp" takes every rule at least as specific, in all tables. */
	assert_int_equal(del(ofp, "udp", false), 2);
	assert_int_equal(vs_ofproto_current(ofp)->n_rules, 2);
	/* Cookie filter. */
	assert_int_equal(del(ofp, "cookie=0x6/0xffffffffffffffff", false), 0);
	assert_int_equal(del(ofp, "cookie=0x5/0xffffffffffffffff", false), 1);
	/* Empty match deletes all. */
	assert_int_equal(del(ofp, "", false), 1);
	assert_int_equal(vs_ofproto_current(ofp)->n_rules, 0);
	vs_ofproto_destroy(ofp);
}

static void
test_vs_ofproto_replace_all_keeps_counters(void **state)
{
	struct vs_ofproto *ofp = new_ofp();
	struct vs_flow_spec specs[2];
	const struct vs_rule *r;
	struct pm_key k;
	char err[256];
	uint64_t pk;

	(void)state;
	add(ofp, "priority=5,udp actions=output:1");
	add(ofp, "priority=6,tcp actions=output:2");
	key_udp(&k, 1, 1, 1);
	r = vs_ruleset_lookup(vs_ofproto_current(ofp), 0, &k);
	assert_non_null(r);
	((struct vs_rule *)r)->stats[0].n_packets = 42;
	assert_int_equal(vs_flow_parse("priority=5,udp actions=output:1", VS_FP_ADD, NULL,
	                               &specs[0], err, sizeof(err)),
	                 0);
	assert_int_equal(vs_flow_parse("priority=9,icmp actions=output:3", VS_FP_ADD, NULL,
	                               &specs[1], err, sizeof(err)),
	                 0);
	assert_int_equal(vs_ofproto_replace_all(ofp, specs, 2), 0);
	assert_int_equal(vs_ofproto_current(ofp)->n_rules, 2);
	r = vs_ruleset_lookup(vs_ofproto_current(ofp), 0, &k);
	assert_non_null(r);
	vs_rule_totals(r, &pk, NULL, NULL);
	assert_int_equal(pk, 42);
	k.nw_proto = 6;
	assert_int_equal(out_of(ofp, &k), 0);
	vs_flow_spec_free(&specs[0]);
	vs_flow_spec_free(&specs[1]);
	vs_ofproto_destroy(ofp);
}

static void
test_vs_ofproto_timeouts(void **state)
{
	struct vs_ofproto *ofp = new_ofp();
	const struct vs_rule *r;
	struct pm_key k;

	(void)state;
	fake_now = 1000;
	add(ofp, "priority=1,hard_timeout=5,udp actions=output:1");
	add(ofp, "priority=2,idle_timeout=2,tcp actions=output:2");
	fake_now = 2500;
	key_udp(&k, 1, 1, 1);
	k.nw_proto = 6;
	r = vs_ruleset_lookup(vs_ofproto_current(ofp), 0, &k);
	((struct vs_rule *)r)->stats[1].used_ms = 2500; /* a hit keeps it alive */
	fake_now = 4000;
	assert_int_equal(vs_ofproto_expire(ofp), 0);
	fake_now = 4600;
	assert_int_equal(vs_ofproto_expire(ofp), 1); /* idle since 2.5 s */
	fake_now = 5999;
	assert_int_equal(vs_ofproto_expire(ofp), 0);
	fake_now = 6000;
	assert_int_equal(vs_ofproto_expire(ofp), 1); /* hard: 5 s after 1.0 s */
	assert_int_equal(vs_ofproto_current(ofp)->n_rules, 0);
	vs_ofproto_destroy(ofp);
}

/* Randomized: the snapshot lookup equals a linear reference over the rules. */
static void
test_vs_ofproto_random_matches_reference(void **state)
{
	struct vs_ofproto *ofp = new_ofp();
	static char texts[400][128];
	static struct vs_flow_spec parsed[400];
	static int prio[400];
	char err[128];
	int n = 0, i, j, round;

	(void)state;
	srand(1);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 100; i++, n++) {
			prio[n] = rand() % 20;
			snprintf(texts[n], sizeof(texts[n]),
			         "priority=%d,udp,nw_src=10.0.%d.0/%d,tp_dst=%d actions=output:%d",
			         prio[n], rand() % 4, 22 + rand() % 11, rand() % 4, n + 1);
			add(ofp, texts[n]);
			assert_int_equal(vs_flow_parse(texts[n], VS_FP_ADD, NULL, &parsed[n], err,
			                               sizeof(err)),
			                 0);
		}
		for (j = 0; j < 2000; j++) {
			struct pm_key k;
			uint32_t src = 0x0a000000u | (uint32_t)(rand() % 4) << 8 |
			               (uint32_t)(rand() % 256);
			uint16_t dp = (uint16_t)(rand() % 4);
			int best = -1;

			key_udp(&k, 1, src, dp);
			for (i = 0; i < n; i++)
				if (pm_key_match_masked(&k, &parsed[i].key, &parsed[i].mask,
				                        PM_KEY_WORDS) &&
				    (best < 0 || prio[i] > prio[best]))
					best = i;
			if (best < 0)
				assert_int_equal(out_of(ofp, &k), 0);
			else
				assert_int_equal(prio[out_of(ofp, &k) - 1], prio[best]);
		}
	}
	for (i = 0; i < n; i++)
		vs_flow_spec_free(&parsed[i]);
	vs_ofproto_destroy(ofp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vs_ofproto_priority_order),
		cmocka_unit_test(test_vs_ofproto_add_replaces_same_match),
		cmocka_unit_test(test_vs_ofproto_del_strict_and_loose),
		cmocka_unit_test(test_vs_ofproto_replace_all_keeps_counters),
		cmocka_unit_test(test_vs_ofproto_timeouts),
		cmocka_unit_test(test_vs_ofproto_random_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
