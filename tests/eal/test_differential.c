/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential test of the flow caches: hundreds of random rules (random
 * masks and priorities, two tables joined by resubmit) and thousands of
 * random packets go through the real sluiced; every packet must leave by
 * the port that a plain linear scan over the rules, written here, picks.
 * Run with the default caches, with every miss inserted into the EMC, and
 * with the EMC off; then again after random flow deletes and adds.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "fc.h"
#include "pcap_file.h"
#include "pkt_build.h"
#include "th.h"
#include "vs_flow.h"

#define N_RULES 300
#define N_PKTS  4000
#define N_OUT   4 /* ports a..d are ofports 1..4; the input is ofport 9 */

static struct th_out o;

struct rule {
	char text[256];
	struct vs_flow_spec spec;
	bool live;
};

static struct rule rules[N_RULES + 100];
static int prio_of(int i);
static int n_rules;
static struct pm_key keys[N_PKTS];

/* A random rule; priorities are unique so that the reference needs no tie rule. */
static void
random_rule(struct rule *r, int prio)
{
	char match[200] = "";
	size_t off = 0, start;
	int n_fields = 0;
	int table = rand() % 4 == 0 ? 1 : 0;
	const char *proto = rand() % 2 ? "udp" : "tcp";

	off += (size_t)snprintf(match + off, sizeof(match) - off, "%s", proto);
	if (rand() % 2)
		off += (size_t)snprintf(match + off, sizeof(match) - off, ",nw_src=10.0.%d.0/%d",
		                        rand() % 4, 22 + rand() % 11);
	if (rand() % 3 == 0)
		off += (size_t)snprintf(match + off, sizeof(match) - off, ",nw_dst=10.9.0.%d",
		                        rand() % 4);
	if (rand() % 3 == 0)
		off += (size_t)snprintf(match + off, sizeof(match) - off, ",tp_dst=%d", rand() % 4);
	if (rand() % 4 == 0)
		off += (size_t)snprintf(match + off, sizeof(match) - off, ",tp_src=0x%x/0x%x",
		                        rand() % 16, 1 + rand() % 15);
	if (rand() % 5 == 0)
		off += (size_t)snprintf(match + off, sizeof(match) - off, ",in_port=9");
	/* More specific rules rank higher, so that every rule gets some packets;
	 * 'prio' (unique, below 1000) breaks ties. */
	for (start = 0; match[start] != '\0'; start++)
		n_fields += match[start] == ',';
	prio += n_fields * 1000;
	if (table == 0 && rand() % 4 == 0)
		snprintf(r->text, sizeof(r->text), "table=0,priority=%d,%s actions=resubmit(,1)",
		         prio, match);
	else if (rand() % 6 == 0)
		snprintf(r->text, sizeof(r->text), "table=%d,priority=%d,%s actions=drop", table,
		         prio, match);
	else
		snprintf(r->text, sizeof(r->text), "table=%d,priority=%d,%s actions=output:%d",
		         table, prio, match, 1 + rand() % N_OUT);
}

static void
parse_rule(struct rule *r)
{
	char err[256];

	if (vs_flow_parse(r->text, VS_FP_ADD, NULL, &r->spec, err, sizeof(err)) != 0)
		fail_msg("bad generated rule '%s': %s", r->text, err);
	r->live = true;
}

/* The linear reference: highest-priority live rule of 'table' matching 'k'. */
static const struct rule *
ref_lookup(const struct pm_key *k, uint8_t table)
{
	const struct rule *best = NULL;
	int i;

	for (i = 0; i < n_rules; i++) {
		const struct rule *r = &rules[i];

		if (!r->live || r->spec.table_id != table ||
		    !pm_key_match_masked(k, &r->spec.key, &r->spec.mask, PM_KEY_WORDS))
			continue;
		if (best == NULL || r->spec.priority > best->spec.priority)
			best = r;
	}
	return best;
}

/* Expected output port (1..N_OUT) of packet 'k', or 0 when dropped. */
static int
ref_output(const struct pm_key *k)
{
	const struct rule *r = ref_lookup(k, 0);

	if (r != NULL && r->spec.n_actions == 1 && r->spec.actions[0].type == VS_ACT_RESUBMIT)
		r = ref_lookup(k, 1);
	if (r == NULL || r->spec.n_actions == 0 || r->spec.actions[0].type != VS_ACT_OUTPUT)
		return 0;
	return (int)r->spec.actions[0].arg;
}

static void
write_packets(const char *path)
{
	struct pcapf_writer *w = pcapf_writer_open(path, 0);
	uint8_t buf[128];
	int i;

	assert_non_null(w);
	srand(99);
	for (i = 0; i < N_PKTS; i++) {
		struct pb_flow f;
		uint16_t l2, l3, l4;
		enum fc_parse_reason why;
		size_t len;

		pb_flow_init(&f);
		f.proto = rand() % 2 ? PB_IPPROTO_UDP : PB_IPPROTO_TCP;
		f.src_ip4 = 0x0a000000u | (uint32_t)(rand() % 4) << 8 | (uint32_t)(rand() % 256);
		f.dst_ip4 = 0x0a090000u | (uint32_t)(rand() % 6);
		f.sport = (uint16_t)(rand() % 20);
		f.dport = (uint16_t)(rand() % 6);
		f.ip_id = (uint16_t)i;
		len = pb_build(&f, buf, sizeof(buf), 64);
		assert_true(len > 0);
		assert_int_equal(pcapf_write(w, buf, (uint32_t)len, (uint64_t)i), 0);
		assert_int_equal(fc_parse_frame(buf, (uint32_t)len, &keys[i], &l2, &l3, &l4, &why),
		                 0);
		keys[i].in_port = 9;
	}
	assert_int_equal(pcapf_writer_close(w), 0);
}

/* Expected output port of every packet under the current rules. */
static void
expect(int *exp)
{
	int i;

	for (i = 0; i < N_PKTS; i++)
		exp[i] = ref_output(&keys[i]);
}

/*
 * Compares every output pcap of run 'tag' with the reference: the packets of
 * pass 1 (expected 'exp1') then, if 'exp2', those of pass 2, in order.
 */
static void
check_outputs(const char *dir, const char *tag, const int *exp1, const int *exp2)
{
	static uint16_t got[2 * N_PKTS];
	int port, i, pass;

	for (port = 1; port <= N_OUT; port++) {
		struct pcapf_reader *r;
		struct pcapf_rec rec;
		const uint8_t *data;
		char path[400];
		int n = 0, k = 0;

		snprintf(path, sizeof(path), "%s/%s-%d.pcap", dir, tag, port);
		r = pcapf_reader_open(path);
		assert_non_null(r);
		while (n < 2 * N_PKTS && pcapf_read(r, &data, &rec) == 1)
			got[n++] = (uint16_t)(data[18] << 8 | data[19]);
		pcapf_reader_close(r);
		for (pass = 0; pass < 2; pass++) {
			const int *exp = pass == 0 ? exp1 : exp2;

			for (i = 0; exp != NULL && i < N_PKTS; i++) {
				if (exp[i] != port)
					continue;
				if (k >= n || got[k] != i)
					fail_msg("%s port %d pass %d: packet %d expected, got %d "
					         "(%d of %d)",
					         tag, port, pass + 1, i, k < n ? got[k] : -1, k, n);
				k++;
			}
		}
		assert_int_equal(k, n);
	}
}

/* The rule's match part, for "flow del --strict". */
static void
rule_match(const struct rule *r, char *buf, size_t size)
{
	snprintf(buf, size, "%s", r->text);
	buf[strcspn(buf, " ")] = '\0';
}

/*
 * One daemon over the packets with the current rules; with 'change', the
 * rules then change at run time (random deletes and adds through
 * sluicectl) and the packets go through a second time.
 */
static void
run_once(const char *dir, const char *tag, const char *const *app, const char *setting, bool change)
{
	static char config[N_RULES * 300 + 4096];
	static int exp1[N_PKTS], exp2[N_PKTS];
	struct th_daemon d;
	size_t off = 0;
	char name[64], m[256];
	int i;

	off += (size_t)snprintf(config + off, sizeof(config) - off, "flow del\n");
	for (i = 0; i < N_OUT; i++)
		off += (size_t)snprintf(
				config + off, sizeof(config) - off,
				"port add %c dpdk net_pcap%d,tx_pcap=%s/%s-%d.pcap ofport=%d\n",
				'a' + i, i + 1, dir, tag, i + 1, i + 1);
	for (i = 0; i < n_rules; i++)
		if (rules[i].live)
			off += (size_t)snprintf(config + off, sizeof(config) - off, "flow add %s\n",
			                        rules[i].text);
	expect(exp1);
	snprintf(name, sizeof(name), "diff%s", tag);
	assert_int_equal(th_start(&d, name, config, NULL, app), 0);
	if (setting != NULL)
		assert_int_equal(th_ctl(&d, &o, "megaflow set %s", setting), 0);
	assert_int_equal(th_ctl(&d, &o, "port add in dpdk net_pcap0,rx_pcap=%s/in.pcap ofport=9",
	                        dir),
	                 0);
	assert_int_equal(th_wait_rx(&d, "in", N_PKTS, 30), 0);
	if (change) {
		int n_old = n_rules;

		usleep(50000); /* the last burst is counted before it is sent */
		assert_int_equal(th_ctl(&d, &o, "port del in"), 0);
		for (i = 0; i < 60; i++) {
			struct rule *r = &rules[rand() % n_old];

			if (!r->live)
				continue;
			rule_match(r, m, sizeof(m));
			assert_int_equal(th_ctl(&d, &o, "--json flow del --strict %s", m), 0);
			assert_int_equal(th_json_num(o.buf, NULL, "deleted"), 1);
			r->live = false;
		}
		for (; n_rules < n_old + 60; n_rules++) {
			random_rule(&rules[n_rules], prio_of(n_rules));
			parse_rule(&rules[n_rules]);
			assert_int_equal(th_ctl(&d, &o, "flow add %s", rules[n_rules].text), 0);
		}
		expect(exp2);
		assert_int_equal(th_ctl(&d, &o,
		                        "port add in2 dpdk net_pcap5,rx_pcap=%s/in.pcap ofport=9",
		                        dir),
		                 0);
		assert_int_equal(th_wait_rx(&d, "in2", N_PKTS, 30), 0);
	}
	assert_int_equal(th_stop(&d), 0);
	check_outputs(dir, tag, exp1, change ? exp2 : NULL);
}

static int prio_table[N_RULES + 100];

/* Unique priorities, shuffled. */
static int
prio_of(int i)
{
	return prio_table[i];
}

static void
test_differential_caches_match_linear_scan(void **state)
{
	static const char *const no_emc[] = { "--emc-entries", "0", NULL };
	char dir[256], path[400];
	int i;

	(void)state;
	th_scratch("diff", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	write_packets(path);
	srand(7);
	for (i = 0; i < N_RULES + 100; i++)
		prio_table[i] = i + 1;
	for (i = N_RULES + 99; i > 0; i--) {
		int j = rand() % (i + 1), t = prio_table[i];

		prio_table[i] = prio_table[j];
		prio_table[j] = t;
	}
	for (n_rules = 0; n_rules < N_RULES; n_rules++) {
		random_rule(&rules[n_rules], prio_of(n_rules));
		parse_rule(&rules[n_rules]);
	}
	run_once(dir, "default", NULL, NULL, false);
	run_once(dir, "noemc", no_emc, NULL, false);
	/* Every miss into the EMC, then rules changed under the warm caches. */
	run_once(dir, "emc1", NULL, "emc-insert-prob=1", true);
	for (i = 0; i < n_rules; i++)
		vs_flow_spec_free(&rules[i].spec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_differential_caches_match_linear_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
