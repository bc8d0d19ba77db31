/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control commands: everything sluicectl can ask, executed on the control
 * thread.  Each handler validates its arguments fully before it changes
 * anything, and answers with human text or, when the client asked, JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "vhu.h"
#include "vs_ct.h"
#include "vs_daemon.h"
#include "vs_underlay.h"
#include "vs_words.h"
#include "vs_version.h"
#include "vs_flow.h"

static int vs_cmd_fdb_show(struct vs_reply *r);

RTE_LOG_REGISTER(vs_cmd_logtype, user.vs.cmd, INFO);
#define CMD_LOG(level, fmt, ...)                                                                   \
	rte_log(RTE_LOG_##level, vs_cmd_logtype, "cmd: " fmt "\n", ##__VA_ARGS__)

/* ------------------------------------------------------------------ */
/* Port names for the flow parser and printer. */

static int
names_by_name(void *ctx, const char *name)
{
	const struct vs_portmap *map = ctx ? ctx : vs_d.sw.portmap;
	struct vs_port *p = vs_port_lookup(map, name);

	return p != NULL && strcmp(p->name, name) == 0 ? p->ofport : -1;
}

static const char *
names_name_of(void *ctx, uint32_t ofport)
{
	const struct vs_portmap *map = ctx ? ctx : vs_d.sw.portmap;
	struct vs_port *p = vs_portmap_get(map, ofport);

	return p != NULL ? p->name : NULL;
}

static const struct vs_port_names running_names = {
	.ctx = NULL,
	.by_name = names_by_name,
	.name_of = names_name_of,
};

const struct vs_port_names *
vs_cmd_port_names(void)
{
	return &running_names;
}

/* ------------------------------------------------------------------ */
/* Flows. */

/* A flow with ct() needs the connection table: it exists before the flow is installed. */
static int
check_supported_actions(const struct vs_flow_spec *spec, struct vs_reply *r)
{
	uint16_t i;

	for (i = 0; i < spec->n_actions; i++)
		if (spec->actions[i].type == VS_ACT_CT)
			return vs_ct_ensure_table(r);
	return 0;
}

/* Parses the flow text in argv and validates it for 'flags'. */
int
vs_cmd_parse_flow(int argc, char **argv, unsigned int flags, const struct vs_port_names *names,
                  struct vs_flow_spec *spec, struct vs_reply *r)
{
	static char text[65536];
	char err[256];

	memset(spec, 0, sizeof(*spec));
	if (vs_join_words(argc, argv, text, sizeof(text)) != 0)
		return vs_reply_error(r, -E2BIG, "flow text too long");
	if (vs_flow_parse(text, flags, names, spec, err, sizeof(err)) != 0) {
		vs_flow_spec_free(spec);
		return vs_reply_error(r, -EINVAL, "%s", err);
	}
	if ((flags & VS_FP_ADD) && check_supported_actions(spec, r) != 0) {
		vs_flow_spec_free(spec);
		return r->status;
	}
	return 0;
}

/*
 * After a rules change: how many packets each PMD had received when it
 * switched to the new rules (every later packet is classified by them).
 */
static void
print_switchover(struct vs_reply *r, const char *what, int n)
{
	uint16_t i;

	if (!r->json) {
		vs_reply_printf(r, "%s %d; switchover at", what, n);
		for (i = 0; i < vs_d.sw.n_pmds; i++)
			vs_reply_printf(r, " pmd%u rx=%" PRIu64, i, vs_d.sw.pmds[i]->switch_rx);
		vs_reply_printf(r, "\n");
		return;
	}
	vs_reply_printf(r, "{\"%s\": %d, \"switchover\": [", what, n);
	for (i = 0; i < vs_d.sw.n_pmds; i++)
		vs_reply_printf(r, "%s{\"pmd\": %u, \"rx\": %" PRIu64 "}", i ? ", " : "", i,
		                vs_d.sw.pmds[i]->switch_rx);
	vs_reply_printf(r, "]}\n");
}

static int
cmd_flow_add(int argc, char **argv, struct vs_reply *r)
{
	struct vs_flow_spec spec;
	int ret;

	if (argc < 1)
		return vs_reply_error(r, -EINVAL, "usage: flow add FLOW");
	ret = vs_cmd_parse_flow(argc, argv, VS_FP_ADD, &running_names, &spec, r);
	if (ret != 0)
		return ret;
	ret = vs_ofproto_add(vs_d.sw.ofp, &spec);
	vs_flow_spec_free(&spec);
	if (ret != 0)
		return vs_reply_error(r, ret, "cannot add flow: %s", strerror(-ret));
	print_switchover(r, "added", 1);
	return 0;
}

static int
cmd_flow_del(int argc, char **argv, struct vs_reply *r)
{
	struct vs_flow_spec spec;
	bool strict = false;
	int ret;

	if (argc > 0 && strcmp(argv[0], "--strict") == 0) {
		strict = true;
		argc--;
		argv++;
	}
	ret = vs_cmd_parse_flow(argc, argv, VS_FP_DEL, &running_names, &spec, r);
	if (ret != 0)
		return ret;
	if (strict && !spec.has_priority)
		spec.priority = VS_FLOW_PRIO_DEFAULT;
	ret = vs_ofproto_del(vs_d.sw.ofp, &spec, strict);
	vs_flow_spec_free(&spec);
	if (ret < 0)
		return vs_reply_error(r, ret, "cannot delete flows: %s", strerror(-ret));
	print_switchover(r, "deleted", ret);
	return 0;
}

/* Prints one rule as dump-flows does. */
static void
print_rule(struct vs_reply *r, const struct vs_rule *rule, uint64_t now_ms, bool names, bool first)
{
	static char match[8192], acts[8192];
	const struct vs_flow_spec *s = &rule->spec;
	const struct vs_port_names *pn = names ? &running_names : NULL;
	uint64_t pk, by, used;
	uint64_t age = now_ms - rule->created_ms;

	vs_rule_totals(rule, &pk, &by, &used);
	vs_flow_format_match(&s->key, &s->mask, pn, match, sizeof(match));
	vs_flow_format_actions(s->actions, s->n_actions, pn, acts, sizeof(acts));
	if (r->json) {
		vs_reply_printf(r,
		                "%s\n  {\"cookie\": \"0x%" PRIx64 "\", \"duration\": %.3f, "
		                "\"table\": %u, \"n_packets\": %" PRIu64 ", \"n_bytes\": %" PRIu64
		                ", \"idle_timeout\": %u, \"hard_timeout\": %u, \"priority\": %u, "
		                "\"match\": ",
		                first ? "" : ",", s->cookie, (double)age / 1000.0, s->table_id, pk,
		                by, s->idle_timeout, s->hard_timeout, s->priority);
		vs_reply_json_str(r, match);
		vs_reply_printf(r, ", \"actions\": ");
		vs_reply_json_str(r, acts);
		vs_reply_printf(r, "}");
		return;
	}
	vs_reply_printf(r,
	                " cookie=0x%" PRIx64 ", duration=%.3fs, table=%u, n_packets=%" PRIu64
	                ", n_bytes=%" PRIu64 ", ",
	                s->cookie, (double)age / 1000.0, s->table_id, pk, by);
	if (s->idle_timeout)
		vs_reply_printf(r, "idle_timeout=%u, ", s->idle_timeout);
	if (s->hard_timeout)
		vs_reply_printf(r, "hard_timeout=%u, ", s->hard_timeout);
	if (s->idle_timeout && used)
		vs_reply_printf(r, "idle_age=%" PRIu64 ", ", (now_ms - used) / 1000);
	if (s->priority != VS_FLOW_PRIO_DEFAULT)
		vs_reply_printf(r, "priority=%u%s", s->priority, match[0] ? "," : "");
	vs_reply_printf(r, "%s%sactions=%s\n", match,
	                match[0] || s->priority != VS_FLOW_PRIO_DEFAULT ? " " : "", acts);
}

static int
cmd_flow_dump(int argc, char **argv, struct vs_reply *r)
{
	const struct vs_ruleset *rs = vs_ofproto_current(vs_d.sw.ofp);
	struct vs_flow_spec filter;
	bool names = false, filtered = false, first = true;
	uint64_t now = vs_clock_ms();
	unsigned int t;
	uint32_t i;

	if (argc > 0 && strcmp(argv[0], "--names") == 0) {
		names = true;
		argc--;
		argv++;
	}
	if (argc > 0) {
		if (vs_cmd_parse_flow(argc, argv, VS_FP_DEL, &running_names, &filter, r) != 0)
			return r->status;
		filtered = true;
	}
	if (r->json)
		vs_reply_printf(r, "[");
	for (t = 0; t < VS_N_TABLES; t++) {
		const struct vs_table *tb = rs->tables[t];

		for (i = 0; tb != NULL && i < tb->n_rules; i++) {
			const struct vs_rule *rule = tb->rules[i];
			struct pm_key masked;

			if (filtered) {
				if ((filter.has_table && filter.table_id != t) ||
				    !vs_mask_subset(&filter.mask, &rule->spec.mask))
					continue;
				pm_key_apply_mask(&masked, &rule->spec.key, &filter.mask);
				if (memcmp(&masked, &filter.key, sizeof(masked)) != 0)
					continue;
			}
			print_rule(r, rule, now, names, first);
			first = false;
		}
	}
	if (r->json)
		vs_reply_printf(r, "%s]\n", first ? "" : "\n");
	if (filtered)
		vs_flow_spec_free(&filter);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Ports. */

static int
cmd_port_add(int argc, char **argv, struct vs_reply *r)
{
	struct vs_port_args a;
	int ret = vs_port_parse_args(argc, argv, &a, r);

	if (ret != 0)
		return ret;
	ret = vs_port_add(&vs_d.sw, &a, r);
	if (ret != 0)
		return ret;
	CMD_LOG(INFO, "port %s added", a.name);
	if (r->json)
		vs_reply_printf(r, "{\"name\": \"%s\", \"ofport\": %u}\n", a.name,
		                vs_port_lookup(vs_d.sw.portmap, a.name)->ofport);
	return 0;
}

static int
cmd_port_del(int argc, char **argv, struct vs_reply *r)
{
	struct vs_port *p;

	if (argc != 1)
		return vs_reply_error(r, -EINVAL, "usage: port del NAME");
	p = vs_port_lookup(vs_d.sw.portmap, argv[0]);
	if (p == NULL)
		return vs_reply_error(r, -ENOENT, "no port '%s'", argv[0]);
	CMD_LOG(INFO, "port %s deleted", p->name);
	return vs_port_del(&vs_d.sw, p, r);
}

/* What a port is attached to: the devargs, or a tunnel's options ("NAME vxlan " cut). */
static const char *
port_desc(const struct vs_port *p)
{
	size_t skip = strlen(p->name) + strlen(p->args.type) + 2;

	if (p->tnl == NULL)
		return p->args.devargs;
	return strlen(p->args.text) > skip ? p->args.text + skip : p->args.text;
}

static void
print_port_line(struct vs_reply *r, const struct vs_port *p, bool first)
{
	struct rte_eth_link link = { 0 };

	if (p->tnl != NULL) {
		link.link_status = vs_underlay_tunnel_up(p->tnl); /* local_ip is ours */
	} else if (p->vhu != NULL) {
		struct vhu_port_info info;

		link.link_status = vhu_port_get_info(p->vhu, &info) == 0 && info.link_up;
	} else {
		rte_eth_link_get_nowait(p->port_id, &link);
	}
	if (r->json) {
		vs_reply_printf(r,
		                "%s\n  {\"ofport\": %u, \"name\": \"%s\", \"type\": \"%s\", "
		                "\"args\": ",
		                first ? "" : ",", p->ofport, p->name, p->args.type);
		vs_reply_json_str(r, port_desc(p));
		vs_reply_printf(r,
		                ", \"ethdev\": %u, \"rxq\": %u, \"txq\": %u, \"mtu\": %u, "
		                "\"tag\": %u, \"link\": \"%s\"}",
		                p->port_id, p->n_rxq, p->n_txq,
		                (unsigned int)(p->max_frame - RTE_ETHER_HDR_LEN - 4), p->tag,
		                link.link_status ? "up" : "down");
		return;
	}
	vs_reply_printf(r, "%5u %-12s %-5s %s rxq=%u txq=%u%s mtu=%u link=%s", p->ofport, p->name,
	                p->args.type, port_desc(p), p->n_rxq, p->n_txq,
	                p->txq_shared ? "(shared)" : "",
	                (unsigned int)(p->max_frame - RTE_ETHER_HDR_LEN - 4),
	                link.link_status ? "up" : "down");
	if (p->tag)
		vs_reply_printf(r, " tag=%u", p->tag);
	vs_reply_printf(r, "\n");
}

static int
cmd_port_list(struct vs_reply *r)
{
	const struct vs_portmap *map = vs_d.sw.portmap;
	bool first = true;
	uint32_t o;

	if (r->json)
		vs_reply_printf(r, "[");
	for (o = 1; o <= VS_OFPORT_MAX; o++) {
		struct vs_port *p = vs_portmap_get(map, o);

		if (p == NULL)
			continue;
		print_port_line(r, p, first);
		first = false;
	}
	if (r->json)
		vs_reply_printf(r, "%s]\n", first ? "" : "\n");
	return 0;
}

/* Sum of the port's per-PMD tunnel/underlay counters; 'any' when the port has some. */
static void
vs_tnl_totals(const struct vs_port *p, struct vs_tnl_stats *t, bool *any)
{
	const uint64_t *src;
	uint64_t *dst = (uint64_t *)t;
	size_t i, k;

	memset(t, 0, sizeof(*t));
	*any = p->tnl != NULL;
	for (i = 0; i < VS_PMD_MAX; i++) {
		src = (const uint64_t *)&p->tnl_stats[i];
		for (k = 0; k < sizeof(*t) / sizeof(uint64_t); k++)
			dst[k] += __atomic_load_n(&src[k], __ATOMIC_RELAXED);
	}
	for (k = 0; k < sizeof(*t) / sizeof(uint64_t); k++)
		*any |= dst[k] != 0;
}

_Static_assert(sizeof(struct vs_tnl_stats) % sizeof(uint64_t) == 0, "counters only");

/* Tunnel counters: a vxlan port's encapsulation, an underlay port's decapsulation. */
static void
print_tnl_stats(struct vs_reply *r, const struct vs_port *p, const struct vs_tnl_stats *t)
{
	unsigned int d;
	bool first = true;

	vs_reply_printf(r, r->json ? ", \"tunnel\": {" : "  tunnel:");
	for (d = 0; d < VS_TC_N; d++) {
		vs_reply_printf(r, r->json ? "%s\"%s\": %" PRIu64 : "%s%s=%" PRIu64,
		                r->json ? (first ? "" : ", ") : " ", vs_tnl_counter_name(d),
		                t->n[d]);
		first = false;
	}
	for (d = 0; p->tnl != NULL && d < VXLAN_ENCAP_DROP_N; d++)
		vs_reply_printf(r, r->json ? ", \"encap_%s\": %" PRIu64 : " encap_%s=%" PRIu64,
		                vxlan_encap_drop_name(d), t->encap_drop[d]);
	for (d = 0; p->tnl == NULL && d < VXLAN_DECAP_DROP_N; d++)
		vs_reply_printf(r, r->json ? ", \"decap_%s\": %" PRIu64 : " decap_%s=%" PRIu64,
		                vxlan_decap_drop_name(d), t->decap_drop[d]);
	vs_reply_printf(r, r->json ? "}" : "\n");
}

/*
 * A vhost-user port's own view: guest state, the pool its received mbufs come from (on the
 * guest memory's NUMA socket) and per-queue-pair counters of the driver.  Appended to the
 * port's stats object ("vhost": {...}) or text.
 */
static void
print_vhost_stats(struct vs_reply *r, const struct vs_port *p)
{
	struct vhu_port_info info;
	struct vhu_queue_stats qs;
	char feat[128];
	uint16_t q;

	if (vhu_port_get_info(p->vhu, &info) != 0)
		return;
	if (r->json) {
		vs_reply_printf(r,
		                ", \"vhost\": {\"link\": \"%s\", \"numa\": %d, \"mempool\": \"%s\""
		                ", \"queue_pairs\": %u, \"features\": \"%s\", \"connects\": "
		                "%" PRIu64 ", \"disconnects\": %" PRIu64
		                ", \"guest_notifications\": %" PRIu64 ", \"queues\": [",
		                info.link_up ? "up" : "down", info.numa_node,
		                info.mp != NULL ? info.mp->name : "", info.n_queue_pairs,
		                vhu_features_str(info.features, feat, sizeof(feat)),
		                info.n_connects, info.n_disconnects, info.n_guest_notifications);
		for (q = 0; q < p->n_rxq && vhu_port_stats_get(p->vhu, q, &qs) == 0; q++)
			vs_reply_printf(r,
			                "%s{\"queue\": %u, \"rx_enabled\": %s, \"tx_enabled\": %s"
			                ", \"rx_packets\": %" PRIu64 ", \"rx_bytes\": %" PRIu64
			                ", \"tx_packets\": %" PRIu64 ", \"tx_bytes\": %" PRIu64
			                ", \"tx_drops\": %" PRIu64 ", \"tx_retries\": %" PRIu64
			                ", \"rx_bursts\": %" PRIu64 ", \"tx_bursts\": %" PRIu64 "}",
			                q ? ", " : "", q,
			                info.rxq_enabled >> q & 1 ? "true" : "false",
			                info.txq_enabled >> q & 1 ? "true" : "false", qs.rx_packets,
			                qs.rx_bytes, qs.tx_packets, qs.tx_bytes, qs.tx_drops,
			                qs.tx_retries, qs.rx_bursts, qs.tx_bursts);
		vs_reply_printf(r, "]}");
		return;
	}
	vs_reply_printf(r,
	                "  vhost: link %s, numa %d, mempool %s, %u queue pair(s), connects %" PRIu64
	                ", disconnects %" PRIu64 ", guest notifications %" PRIu64 "\n"
	                "    features: %s\n",
	                info.link_up ? "up" : "down", info.numa_node,
	                info.mp != NULL ? info.mp->name : "-", info.n_queue_pairs, info.n_connects,
	                info.n_disconnects, info.n_guest_notifications,
	                info.link_up ? vhu_features_str(info.features, feat, sizeof(feat)) : "-");
	for (q = 0; q < p->n_rxq && vhu_port_stats_get(p->vhu, q, &qs) == 0; q++)
		vs_reply_printf(r,
		                "    queue %u: rx %s %" PRIu64 " packets %" PRIu64
		                " bytes, tx %s %" PRIu64 " packets %" PRIu64
		                " bytes, tx_drops=%" PRIu64 " tx_retries=%" PRIu64
		                " bursts rx=%" PRIu64 " tx=%" PRIu64 "\n",
		                q, info.rxq_enabled >> q & 1 ? "(on)" : "(off)", qs.rx_packets,
		                qs.rx_bytes, info.txq_enabled >> q & 1 ? "(on)" : "(off)",
		                qs.tx_packets, qs.tx_bytes, qs.tx_drops, qs.tx_retries,
		                qs.rx_bursts, qs.tx_bursts);
}

static void
print_port_stats(struct vs_reply *r, const struct vs_port *p, bool first)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *xs = NULL;
	struct rte_eth_stats es = { 0 };
	struct vs_port_stats t;
	struct vs_tnl_stats ts;
	bool any_tnl;
	int n_x, i;
	unsigned int d;

	vs_port_totals(p, &t);
	vs_tnl_totals(p, &ts, &any_tnl);
	if (p->vhu == NULL && p->tnl == NULL)
		rte_eth_stats_get(p->port_id, &es);
	n_x = p->vhu == NULL && p->tnl == NULL ? rte_eth_xstats_get(p->port_id, NULL, 0) : 0;
	if (n_x > 0) {
		names = calloc((size_t)n_x, sizeof(*names));
		xs = calloc((size_t)n_x, sizeof(*xs));
		if (names == NULL || xs == NULL ||
		    rte_eth_xstats_get_names(p->port_id, names, (unsigned int)n_x) != n_x ||
		    rte_eth_xstats_get(p->port_id, xs, (unsigned int)n_x) != n_x)
			n_x = 0;
	}
	if (r->json) {
		vs_reply_printf(r,
		                "%s\n  {\"ofport\": %u, \"name\": \"%s\", \"rx_packets\": %" PRIu64
		                ", \"rx_bytes\": %" PRIu64 ", \"tx_packets\": %" PRIu64
		                ", \"tx_bytes\": %" PRIu64 ", \"drops\": {",
		                first ? "" : ",", p->ofport, p->name, t.rx_packets, t.rx_bytes,
		                t.tx_packets, t.tx_bytes);
		for (d = 0; d < VS_PD_N; d++)
			vs_reply_printf(r, "%s\"%s\": %" PRIu64, d ? ", " : "",
			                vs_port_drop_name(d), t.drops[d]);
		vs_reply_printf(r,
		                "}, \"errors\": {\"ierrors\": %" PRIu64 ", \"oerrors\": %" PRIu64
		                ", \"imissed\": %" PRIu64 ", \"rx_nombuf\": %" PRIu64
		                "}, \"xstats\": {",
		                es.ierrors, es.oerrors, es.imissed, es.rx_nombuf);
		for (i = 0; i < n_x; i++)
			vs_reply_printf(r, "%s\"%s\": %" PRIu64, i ? ", " : "", names[i].name,
			                xs[i].value);
		vs_reply_printf(r, "}");
		if (any_tnl)
			print_tnl_stats(r, p, &ts);
		if (p->vhu != NULL)
			print_vhost_stats(r, p);
		vs_reply_printf(r, "}");
	} else {
		vs_reply_printf(r,
		                "port %u (%s):\n  rx: %" PRIu64 " packets, %" PRIu64 " bytes\n"
		                "  tx: %" PRIu64 " packets, %" PRIu64 " bytes\n  drops:",
		                p->ofport, p->name, t.rx_packets, t.rx_bytes, t.tx_packets,
		                t.tx_bytes);
		for (d = 0; d < VS_PD_N; d++)
			vs_reply_printf(r, " %s=%" PRIu64, vs_port_drop_name(d), t.drops[d]);
		vs_reply_printf(r,
		                "\n  errors: ierrors=%" PRIu64 " oerrors=%" PRIu64
		                " imissed=%" PRIu64 " rx_nombuf=%" PRIu64 "\n",
		                es.ierrors, es.oerrors, es.imissed, es.rx_nombuf);
		if (n_x > 0)
			vs_reply_printf(r, "  xstats:");
		for (i = 0; i < n_x; i++)
			vs_reply_printf(r, "%s%s=%" PRIu64, i % 4 ? " " : "\n    ", names[i].name,
			                xs[i].value);
		if (n_x > 0)
			vs_reply_printf(r, "\n");
		if (any_tnl)
			print_tnl_stats(r, p, &ts);
		if (p->vhu != NULL)
			print_vhost_stats(r, p);
	}
	free(names);
	free(xs);
}

static int
cmd_port_stats(int argc, char **argv, struct vs_reply *r)
{
	const struct vs_portmap *map = vs_d.sw.portmap;
	bool first = true;
	uint32_t o;

	if (argc > 1)
		return vs_reply_error(r, -EINVAL, "usage: port stats [PORT]");
	if (argc == 1 && vs_port_lookup(map, argv[0]) == NULL)
		return vs_reply_error(r, -ENOENT, "no port '%s'", argv[0]);
	if (r->json)
		vs_reply_printf(r, "[");
	for (o = 1; o <= VS_OFPORT_MAX; o++) {
		struct vs_port *p = vs_portmap_get(map, o);

		if (p == NULL || (argc == 1 && p != vs_port_lookup(map, argv[0])))
			continue;
		print_port_stats(r, p, first);
		first = false;
	}
	if (r->json)
		vs_reply_printf(r, "%s]\n", first ? "" : "\n");
	return 0;
}

/* ------------------------------------------------------------------ */
/* PMDs. */

/*
 * The PMD's counters since "pmd stats clear": every field of struct
 * vs_pmd_stats is a uint64_t, read with relaxed loads (single writer).
 */
static void
pmd_stats_since_clear(const struct vs_pmd *pmd, struct vs_pmd_stats *d, uint64_t *parse)
{
	const uint64_t *cur = (const uint64_t *)&pmd->stats;
	const uint64_t *base = (const uint64_t *)&pmd->stats_base;
	uint64_t *out = (uint64_t *)d;
	size_t i;

	for (i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
		out[i] = __atomic_load_n(&cur[i], __ATOMIC_RELAXED) - base[i];
	for (i = 0; i < FC_PR_N; i++)
		parse[i] = __atomic_load_n(&pmd->parse.n_reason[i], __ATOMIC_RELAXED) -
		           pmd->parse_base[i];
}

static void
pmd_stats_clear(struct vs_pmd *pmd)
{
	const uint64_t *cur = (const uint64_t *)&pmd->stats;
	uint64_t *base = (uint64_t *)&pmd->stats_base;
	size_t i;

	for (i = 0; i < sizeof(pmd->stats) / sizeof(uint64_t); i++)
		base[i] = __atomic_load_n(&cur[i], __ATOMIC_RELAXED);
	for (i = 0; i < FC_PR_N; i++)
		pmd->parse_base[i] = __atomic_load_n(&pmd->parse.n_reason[i], __ATOMIC_RELAXED);
}

_Static_assert(sizeof(struct vs_pmd_stats) % sizeof(uint64_t) == 0,
               "vs_pmd_stats must be uint64_t counters only");

static void
print_pmd_stats(struct vs_reply *r, struct vs_pmd *pmd, bool first)
{
	struct vs_pmd_stats delta;
	const struct vs_pmd_stats *s = &delta;
	uint64_t parse[FC_PR_N];
	uint64_t busy, idle, rx;
	double cpp;

	pmd_stats_since_clear(pmd, &delta, parse);
	busy = s->busy_cycles;
	idle = s->idle_cycles;
	rx = s->n_rx;
	cpp = rx ? (double)busy / (double)rx : 0.0;
	unsigned int d;

	if (r->json) {
		vs_reply_printf(r,
		                "%s\n  {\"pmd\": %u, \"lcore\": %u, \"packets\": %" PRIu64
		                ", \"busy_cycles\": %" PRIu64 ", \"idle_cycles\": %" PRIu64
		                ", \"cycles_per_packet\": %.1f, \"iterations\": %" PRIu64
		                ", \"sleeps\": %" PRIu64 ", \"drops\": {",
		                first ? "" : ",", pmd->idx, pmd->lcore_id, rx, busy, idle, cpp,
		                s->n_iter, s->n_sleeps);
		for (d = 0; d < VS_DROP_N; d++)
			vs_reply_printf(r, "%s\"%s\": %" PRIu64, d ? ", " : "", vs_drop_name(d),
			                s->n_drop[d]);
		vs_reply_printf(r,
		                "}, \"emc_hits\": %" PRIu64 ", \"megaflow_hits\": %" PRIu64
		                ", \"last_hits\": %" PRIu64 ", \"unparsed_hits\": %" PRIu64
		                ", \"avg_subtables_per_hit\": %.2f, \"upcalls\": %" PRIu64
		                ", \"upcall_drops\": %" PRIu64 ", \"megaflows\": %u"
		                ", \"megaflows_installed\": %" PRIu64
		                ", \"megaflows_evicted\": %" PRIu64
		                ", \"megaflows_expired\": %" PRIu64 ", \"ct_groups\": %" PRIu64
		                ", \"detail\": %s",
		                s->n_emc_hits, s->n_mf_hits, s->n_last_hits, s->n_unparsed,
		                s->n_mf_hits ? (double)s->n_mf_probes / (double)s->n_mf_hits : 0.0,
		                s->n_upcalls, s->n_upcall_drops, fc_cls_count(pmd->dp.cls),
		                s->n_mf_installed, s->n_mf_evicted, s->n_mf_expired, s->n_ct_groups,
		                pmd->detail ? "true" : "false");
		vs_reply_printf(r, ", \"stage_cycles_per_packet\": {");
		for (d = 0; d < VS_STAGE_N; d++)
			vs_reply_printf(r, "%s\"%s\": %.1f", d ? ", " : "", vs_stage_name(d),
			                rx ? (double)s->stage_cycles[d] / (double)rx : 0.0);
		vs_reply_printf(r, "}");
		vs_reply_printf(r, ", \"parse\": {");
		for (d = 0; d < FC_PR_N; d++)
			vs_reply_printf(r, "%s\"%s\": %" PRIu64, d ? ", " : "",
			                fc_parse_reason_name(d), parse[d]);
		vs_reply_printf(r, "}}");
		return;
	}
	vs_reply_printf(r,
	                "pmd %u (lcore %u):\n  packets: %" PRIu64 "\n  busy cycles: %" PRIu64
	                " (%.1f%%)\n  idle cycles: %" PRIu64 "\n  cycles/packet: %.1f\n"
	                "  iterations: %" PRIu64 ", sleeps: %" PRIu64 "\n",
	                pmd->idx, pmd->lcore_id, rx, busy,
	                busy + idle ? 100.0 * (double)busy / (double)(busy + idle) : 0.0, idle, cpp,
	                s->n_iter, s->n_sleeps);
	vs_reply_printf(r,
	                "  emc hits: %" PRIu64 "\n  megaflow hits: %" PRIu64 " (%" PRIu64
	                " by the last-hit check, %" PRIu64
	                " of them unparsed; avg subtables probed per hit %.2f)\n"
	                "  upcalls: %" PRIu64 " (rate-limited drops %" PRIu64
	                ")\n  megaflows: %u (installed %" PRIu64 ", evicted %" PRIu64
	                ", expired %" PRIu64 ")\n  ct groups: %" PRIu64 "\n",
	                s->n_emc_hits, s->n_mf_hits, s->n_last_hits, s->n_unparsed,
	                s->n_mf_hits ? (double)s->n_mf_probes / (double)s->n_mf_hits : 0.0,
	                s->n_upcalls, s->n_upcall_drops, fc_cls_count(pmd->dp.cls),
	                s->n_mf_installed, s->n_mf_evicted, s->n_mf_expired, s->n_ct_groups);
	if (pmd->detail) {
		uint64_t staged = 0;

		vs_reply_printf(r, "  cycles/packet by stage (detail on):");
		for (d = 0; d < VS_STAGE_N; d++) {
			staged += s->stage_cycles[d];
			vs_reply_printf(r, " %s %.1f", vs_stage_name(d),
			                rx ? (double)s->stage_cycles[d] / (double)rx : 0.0);
		}
		vs_reply_printf(r, " other %.1f\n",
		                rx && busy > staged ? (double)(busy - staged) / (double)rx : 0.0);
	}
	vs_reply_printf(r, "  drops:");
	for (d = 0; d < VS_DROP_N; d++)
		vs_reply_printf(r, " %s=%" PRIu64, vs_drop_name(d), s->n_drop[d]);
	vs_reply_printf(r, "\n  parse:");
	for (d = 0; d < FC_PR_N; d++)
		vs_reply_printf(r, " %s=%" PRIu64, fc_parse_reason_name(d), parse[d]);
	vs_reply_printf(r, "\n");
}

static int
cmd_pmd(int argc, char **argv, struct vs_reply *r)
{
	struct vs_switch *sw = &vs_d.sw;
	uint16_t i, q;

	if (argc >= 1 && strcmp(argv[0], "stats") == 0) {
		if (argc == 2 && strcmp(argv[1], "clear") == 0) {
			for (i = 0; i < sw->n_pmds; i++)
				pmd_stats_clear(sw->pmds[i]);
			return 0;
		}
		if (argc == 3 && strcmp(argv[1], "detail") == 0 &&
		    (strcmp(argv[2], "on") == 0 || strcmp(argv[2], "off") == 0)) {
			for (i = 0; i < sw->n_pmds; i++)
				__atomic_store_n(&sw->pmds[i]->detail, argv[2][1] == 'n',
				                 __ATOMIC_RELAXED);
			return 0;
		}
		if (argc != 1)
			return vs_reply_error(r, -EINVAL,
			                      "usage: pmd stats [clear | detail on|off]");
		if (r->json)
			vs_reply_printf(r, "[");
		for (i = 0; i < sw->n_pmds; i++)
			print_pmd_stats(r, sw->pmds[i], i == 0);
		if (r->json)
			vs_reply_printf(r, "%s]\n", sw->n_pmds ? "\n" : "");
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "rxq") == 0) {
		const struct vs_portmap *map = sw->portmap;

		if (r->json)
			vs_reply_printf(r, "[");
		for (i = 0; i < sw->n_pmds; i++) {
			bool first = true;
			uint16_t s;

			vs_reply_printf(r,
			                r->json ? "%s\n  {\"pmd\": %u, \"lcore\": %u, \"rxqs\": [" :
			                          "%spmd %u (lcore %u):",
			                r->json && i ? "," : "", i, sw->pmds[i]->lcore_id);
			for (s = 0; s < VS_PORT_MAX; s++) {
				const struct vs_port *p = map->slots[s];

				struct vhu_port_info info = { 0 };

				if (p != NULL && p->vhu != NULL)
					vhu_port_get_info(p->vhu, &info);
				for (q = 0; p != NULL && q < p->n_rxq; q++) {
					/* vhost-user: polled only while the guest has the ring
					 * enabled. */
					bool on = p->vhu == NULL || (info.rxq_enabled >> q & 1);

					if (p->rxq_pmd[q] != i)
						continue;
					vs_reply_printf(r,
					                r->json ? "%s{\"port\": \"%s\", \"queue\": "
					                          "%u, \"enabled\": %s}" :
					                          "%s %s queue %u%s",
					                r->json && !first ? ", " :
					                                    (first ? "" : ","),
					                p->name, q,
					                r->json ? (on ? "true" : "false") :
					                          (on ? "" : " (disabled)"));
					first = false;
				}
			}
			vs_reply_printf(r, r->json ? "]}" : "\n");
		}
		if (r->json)
			vs_reply_printf(r, "\n]\n");
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "sleep") == 0) {
		char *end;
		unsigned long us = strtoul(argv[1], &end, 10);

		if (*argv[1] == '\0' || *end != '\0' || us > 10000)
			return vs_reply_error(r, -EINVAL, "bad sleep '%s' (0-10000 us)", argv[1]);
		__atomic_store_n(&sw->pmd_sleep_max_us, (uint32_t)us, __ATOMIC_RELAXED);
		return 0;
	}
	return vs_reply_error(r, -EINVAL, "usage: pmd stats [clear] | pmd rxq | pmd sleep US");
}

/* ------------------------------------------------------------------ */

/* DPDK heap bytes allocated and held, over every socket. */
static void
heap_usage(uint64_t *alloc, uint64_t *total)
{
	struct rte_malloc_socket_stats st;
	int sock;

	*alloc = *total = 0;
	for (sock = 0; sock < RTE_MAX_NUMA_NODES; sock++) {
		if (rte_malloc_get_socket_stats(sock, &st) != 0)
			continue;
		*alloc += st.heap_allocsz_bytes;
		*total += st.heap_totalsz_bytes;
	}
}

static int
cmd_show(struct vs_reply *r)
{
	struct vs_switch *sw = &vs_d.sw;
	const struct vs_ruleset *rs = vs_ofproto_current(sw->ofp);
	const struct vs_portmap *map = sw->portmap;
	uint64_t heap_alloc, heap_total;
	uint32_t o;

	heap_usage(&heap_alloc, &heap_total);
	if (r->json) {
		vs_reply_printf(r,
		                "{\"version\": \"%s\", \"uptime_s\": %.1f, \"pmds\": %u, "
		                "\"ports\": %u, \"flows\": %u, \"pmd_sleep_max_us\": %u, "
		                "\"mac_entries\": %u, \"heap_alloc_bytes\": %" PRIu64
		                ", \"heap_total_bytes\": %" PRIu64 ", \"mempools\": [",
		                PACKAGE_VERSION_STRING, (double)vs_clock_ms() / 1000, sw->n_pmds,
		                map->n_ports, rs->n_rules, sw->pmd_sleep_max_us,
		                vs_mac_count(sw->mac, (uint32_t)(vs_clock_ms() / 1000)), heap_alloc,
		                heap_total);
	} else {
		vs_reply_printf(r,
		                "sluice %s, up %.1f s\n  %u PMD threads, %u ports, %u flows, "
		                "%u MAC entries, pmd sleep max %u us\n  DPDK heap: %.1f MB in use "
		                "of %.1f MB\nports:\n",
		                PACKAGE_VERSION_STRING, (double)vs_clock_ms() / 1000, sw->n_pmds,
		                map->n_ports, rs->n_rules,
		                vs_mac_count(sw->mac, (uint32_t)(vs_clock_ms() / 1000)),
		                sw->pmd_sleep_max_us, (double)heap_alloc / 1048576.0,
		                (double)heap_total / 1048576.0);
		for (o = 1; o <= VS_OFPORT_MAX; o++)
			if (vs_portmap_get(map, o) != NULL)
				print_port_line(r, vs_portmap_get(map, o), true);
		vs_reply_printf(r, "mempools:\n");
	}
	vs_cmd_print_mempools(r);
	if (r->json)
		vs_reply_printf(r, "]}\n");
	return 0;
}

struct mp_walk {
	struct vs_reply *r;
	bool first;
};

static void
mp_walk_cb(struct rte_mempool *mp, void *arg)
{
	struct mp_walk *w = arg;

	if (w->r->json)
		vs_reply_printf(w->r, "%s{\"name\": \"%s\", \"size\": %u, \"in_use\": %u}",
		                w->first ? "" : ", ", mp->name, mp->size,
		                rte_mempool_in_use_count(mp));
	else
		vs_reply_printf(w->r, "  %-20s %u of %u in use\n", mp->name,
		                rte_mempool_in_use_count(mp), mp->size);
	w->first = false;
}

void
vs_cmd_print_mempools(struct vs_reply *r)
{
	struct mp_walk w = { .r = r, .first = true };

	rte_mempool_walk(mp_walk_cb, &w);
}

static int
parse_log_level(const char *s)
{
	static const char *const levels[] = { "emerg",   "alert",  "crit", "err",
		                              "warning", "notice", "info", "debug" };
	unsigned int i;

	for (i = 0; i < VS_ARRAY_SIZE(levels); i++)
		if (strcasecmp(s, levels[i]) == 0)
			return (int)i + 1;
	if (strcasecmp(s, "error") == 0)
		return RTE_LOG_ERR;
	if (strcasecmp(s, "warn") == 0)
		return RTE_LOG_WARNING;
	return -1;
}

static int
cmd_log(int argc, char **argv, struct vs_reply *r)
{
	char pattern[128];
	int level;

	if (argc != 3 || strcmp(argv[0], "set") != 0)
		return vs_reply_error(r, -EINVAL, "usage: log set MODULE LEVEL");
	level = parse_log_level(argv[2]);
	if (level < 0)
		return vs_reply_error(r, -EINVAL,
		                      "bad log level '%s' (emerg alert crit err warning notice "
		                      "info debug)",
		                      argv[2]);
	if (strcmp(argv[1], "all") == 0) {
		rte_log_set_global_level((uint32_t)level);
		rte_log_set_level_pattern("*", (uint32_t)level);
		return 0;
	}
	if (strchr(argv[1], '.') != NULL || strchr(argv[1], '*') != NULL)
		snprintf(pattern, sizeof(pattern), "%s", argv[1]);
	else
		snprintf(pattern, sizeof(pattern), "user.vs.%s", argv[1]);
	if (rte_log_set_level_pattern(pattern, (uint32_t)level) != 0)
		return vs_reply_error(r, -EINVAL, "bad log module '%s'", argv[1]);
	return 0;
}

static int
cmd_fdb(int argc, char **argv, struct vs_reply *r)
{
	if (argc == 1 && strcmp(argv[0], "flush") == 0) {
		vs_mac_flush(vs_d.sw.mac);
		return 0;
	}
	if (argc == 1 && strcmp(argv[0], "show") == 0)
		return vs_cmd_fdb_show(r);
	return vs_reply_error(r, -EINVAL, "usage: fdb show | fdb flush");
}

static int
vs_cmd_fdb_show(struct vs_reply *r)
{
	const struct vs_portmap *map = vs_d.sw.portmap;
	uint32_t now = (uint32_t)(vs_clock_ms() / 1000);
	struct vs_mac_entry e;
	struct vs_mac_iter it;
	bool first = true;

	vs_mac_iter_init(&it);
	vs_reply_printf(r, r->json ? "[" : " port  VLAN  MAC                Age\n");
	while (vs_mac_iter_next(vs_d.sw.mac, &it, now, &e)) {
		const struct vs_port *p = vs_portmap_get(map, e.port);
		char mac[18];

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", e.mac[0], e.mac[1],
		         e.mac[2], e.mac[3], e.mac[4], e.mac[5]);
		if (r->json)
			vs_reply_printf(r,
			                "%s\n  {\"port\": %u, \"port_name\": \"%s\", \"vlan\": %u, "
			                "\"mac\": \"%s\", \"age\": %u}",
			                first ? "" : ",", e.port, p ? p->name : "", e.vlan, mac,
			                e.age_s);
		else
			vs_reply_printf(r, "%5u  %4u  %s  %3u\n", e.port, e.vlan, mac, e.age_s);
		first = false;
	}
	if (r->json)
		vs_reply_printf(r, "%s]\n", first ? "" : "\n");
	return 0;
}

static int
cmd_megaflow(int argc, char **argv, struct vs_reply *r)
{
	struct vs_switch *sw = &vs_d.sw;

	if (argc == 1 && strcmp(argv[0], "dump") == 0) {
		int ret;

		if (r->json)
			vs_reply_printf(r, "[");
		ret = vs_dpif_request(sw, VS_DPIF_REQ_DUMP, r);
		if (r->json)
			vs_reply_printf(r, "\n]\n");
		return ret ? vs_reply_error(r, ret, "a PMD did not answer") : 0;
	}
	if (argc == 1 && strcmp(argv[0], "flush") == 0) {
		int ret = vs_dpif_request(sw, VS_DPIF_REQ_FLUSH, r);

		return ret ? vs_reply_error(r, ret, "a PMD did not answer") : 0;
	}
	if (argc == 2 && strcmp(argv[0], "set") == 0) {
		char *eq = strchr(argv[1], '='), *end;
		unsigned long long v;

		if (eq == NULL)
			return vs_reply_error(r, -EINVAL, "usage: megaflow set KEY=VALUE");
		*eq = '\0';
		v = strtoull(eq + 1, &end, 10);
		if (eq[1] == '\0' || *end != '\0')
			return vs_reply_error(r, -EINVAL, "bad value '%s'", eq + 1);
		if (strcmp(argv[1], "idle-ms") == 0 && v >= 100)
			__atomic_store_n(&sw->mf_idle_ms, v, __ATOMIC_RELAXED);
		else if (strcmp(argv[1], "upcall-rate") == 0 && v >= 1)
			__atomic_store_n(&sw->upcall_rate, v, __ATOMIC_RELAXED);
		else if (strcmp(argv[1], "limit") == 0 && v >= 1 && v <= 10000000)
			__atomic_store_n(&sw->mf_limit, (uint32_t)v, __ATOMIC_RELAXED);
		else if (strcmp(argv[1], "emc-insert-prob") == 0 && v <= 1000000) {
			uint16_t i;

			sw->emc_insert_prob = (uint32_t)v;
			for (i = 0; i < sw->n_pmds; i++)
				if (sw->pmds[i]->dp.emc != NULL)
					fc_emc_set_insert_prob(sw->pmds[i]->dp.emc, (uint32_t)v);
		} else
			return vs_reply_error(
					r, -EINVAL,
					"bad setting '%s=%s' (idle-ms>=100, upcall-rate>=1, limit, "
					"emc-insert-prob)",
					argv[1], eq + 1);
		return 0;
	}
	return vs_reply_error(r, -EINVAL,
	                      "usage: megaflow dump | megaflow flush | megaflow set KEY=VALUE");
}

static int
cmd_flow_trace(int argc, char **argv, struct vs_reply *r)
{
	static struct vs_xlate_rec rec;
	static char match[8192], acts[8192];
	struct vs_flow_spec spec;
	struct pm_key key, mf_key;
	int ret;

	if (argc < 1)
		return vs_reply_error(r, -EINVAL, "usage: flow trace FLOW (fields of the packet)");
	ret = vs_cmd_parse_flow(argc, argv, VS_FP_DEL, &running_names, &spec, r);
	if (ret != 0)
		return ret;
	key = spec.key;
	vs_flow_spec_free(&spec);
	mf_key = key;
	vs_reply_printf(r, "flow: ");
	vs_flow_format_match(&key, &key, &running_names, match, sizeof(match));
	vs_reply_printf(r, "%s\n", match);
	vs_xlate_trace(vs_ofproto_current(vs_d.sw.ofp), vs_d.sw.portmap, vs_d.sw.mac, &key, &rec,
	               r);
	rec.wc.recirc_id = UINT32_MAX;
	pm_key_apply_mask(&mf_key, &mf_key, &rec.wc);
	vs_flow_format_match(&mf_key, &rec.wc, &running_names, match, sizeof(match));
	vs_flow_format_actions(rec.actions, rec.n_actions, &running_names, acts, sizeof(acts));
	vs_reply_printf(r, "megaflow: %s actions:%s%s\n", match[0] ? match : "any",
	                rec.n_actions ? acts : "drop", rec.overflow ? " (not cacheable)" : "");
	return 0;
}

static const char help_text[] =
		"commands:\n"
		"  show                                  switch summary, ports, mempools\n"
		"  version\n"
		"  port add NAME dpdk DEVARGS [rxq=N] [txq=N] [mtu=N] [rxd=N] [txd=N]\n"
		"           [n_mbufs=N] [ofport=N] [tag=VID] [trunks=LIST]\n"
		"  port add NAME vhost-user|vhost-user-client PATH [rxq=PAIRS] [mode=0660]\n"
		"           [group=G] [mtu=N] [ofport=N] [tag=VID] [trunks=LIST]\n"
		"  port add NAME vxlan local_ip=A remote_ip=B|flow [key=N|flow] [dst_port=4789]\n"
		"           [tos=N|inherit] [ttl=N|inherit] [df=on|off] [csum=on|off]\n"
		"           [src_port_range=MIN-MAX] [ofport=N]\n"
		"  port del NAME\n"
		"  port list\n"
		"  port stats [PORT]\n"
		"  flow add FLOW                         ovs-ofctl add-flow syntax\n"
		"  flow del [--strict] [MATCH]           ovs-ofctl del-flows syntax\n"
		"  flow dump [--names] [MATCH]           ovs-ofctl dump-flows format\n"
		"  flow trace FLOW                       tables, rules and megaflow for a packet\n"
		"  megaflow dump | megaflow flush        the PMDs' datapath flows\n"
		"  megaflow set KEY=VALUE                idle-ms, limit, upcall-rate, "
		"emc-insert-prob\n"
		"  fdb show | fdb flush                  MAC learning table of 'normal'\n"
		"  pmd stats [clear | detail on|off]     packets, cycles, cache hits, drops per "
		"PMD\n"
		"  pmd rxq                               rx queue to PMD map\n"
		"  pmd sleep US                          max sleep of an idle PMD (0 = poll)\n"
		"  ip addr add|del A/LEN dev PORT        underlay address (adds its connected "
		"route)\n"
		"  ip addr show\n"
		"  route add|del PREFIX [via GW] dev PORT  underlay routes; route show\n"
		"  neigh add IP MAC dev PORT | neigh del IP | neigh show   underlay neighbours\n"
		"  ct dump [zone=N]                      connections (dpctl/dump-conntrack)\n"
		"  ct flush [zone=N] [TUPLE]             delete connections; TUPLE: "
		"ct_nw_src=A,\n"
		"                                        ct_nw_dst=B,ct_nw_proto=P,ct_tp_src=S,"
		"ct_tp_dst=D\n"
		"  ct stats                              connections, created/expired, by "
		"reason\n"
		"  ct limit set [default=N] [zone=Z,limit=N]... | ct limit show\n"
		"  ct timeout set [zone=Z] NAME=SEC... | ct timeout show [zone=Z]\n"
		"  log set MODULE LEVEL                  MODULE: main, pmd, port, cmd, config, "
		"ctl, all, or a\n"
		"                                        DPDK logtype pattern\n"
		"  config reload                         re-read the config file, apply the "
		"difference\n"
		"  config save [FILE]                    write the running state as a config file\n"
		"  shutdown                              stop the daemon\n"
		"options: --json (before the command or as the last argument)\n";

void
vs_cmd_handle(int argc, char **argv, struct vs_reply *r, void *arg)
{
	const char *c = argc > 0 ? argv[0] : "";
	const char *sub = argc > 1 ? argv[1] : "";

	(void)arg;
	if (argc == 0) {
		vs_reply_error(r, -EINVAL, "empty command");
	} else if (strcmp(c, "help") == 0) {
		vs_reply_printf(r, "%s", help_text);
	} else if (strcmp(c, "version") == 0) {
		if (r->json)
			vs_reply_printf(r,
			                "{\"sluice\": \"%s\", \"git\": \"%s\", \"dpdk\": \"%s\"}\n",
			                PACKAGE_VERSION_STRING, VS_GIT_REV, rte_version());
		else
			vs_reply_printf(r, "sluice %s, git %s (%s)\n", PACKAGE_VERSION_STRING,
			                VS_GIT_REV, rte_version());
	} else if (strcmp(c, "show") == 0 && argc == 1) {
		cmd_show(r);
	} else if (strcmp(c, "shutdown") == 0 && argc == 1) {
		vs_d.shutdown = true;
	} else if (strcmp(c, "port") == 0 && strcmp(sub, "add") == 0) {
		cmd_port_add(argc - 2, argv + 2, r);
	} else if (strcmp(c, "port") == 0 && strcmp(sub, "del") == 0) {
		cmd_port_del(argc - 2, argv + 2, r);
	} else if (strcmp(c, "port") == 0 && strcmp(sub, "list") == 0 && argc == 2) {
		cmd_port_list(r);
	} else if (strcmp(c, "port") == 0 && strcmp(sub, "stats") == 0) {
		cmd_port_stats(argc - 2, argv + 2, r);
	} else if (strcmp(c, "flow") == 0 && strcmp(sub, "add") == 0) {
		cmd_flow_add(argc - 2, argv + 2, r);
	} else if (strcmp(c, "flow") == 0 && strcmp(sub, "del") == 0) {
		cmd_flow_del(argc - 2, argv + 2, r);
	} else if (strcmp(c, "flow") == 0 && strcmp(sub, "trace") == 0) {
		cmd_flow_trace(argc - 2, argv + 2, r);
	} else if (strcmp(c, "ip") == 0 || strcmp(c, "route") == 0 || strcmp(c, "neigh") == 0) {
		vs_underlay_cmd(argc, argv, r);
	} else if (strcmp(c, "megaflow") == 0) {
		cmd_megaflow(argc - 1, argv + 1, r);
	} else if (strcmp(c, "flow") == 0 && strcmp(sub, "dump") == 0) {
		cmd_flow_dump(argc - 2, argv + 2, r);
	} else if (strcmp(c, "fdb") == 0) {
		cmd_fdb(argc - 1, argv + 1, r);
	} else if (strcmp(c, "pmd") == 0) {
		cmd_pmd(argc - 1, argv + 1, r);
	} else if (strcmp(c, "ct") == 0) {
		vs_ct_cmd(argc - 1, argv + 1, r);
	} else if (strcmp(c, "log") == 0) {
		cmd_log(argc - 1, argv + 1, r);
	} else if (strcmp(c, "config") == 0 && strcmp(sub, "reload") == 0 && argc == 2) {
		if (vs_d.config_path == NULL)
			vs_reply_error(r, -ENOENT,
			               "no config file (sluiced was started without --config)");
		else
			vs_config_reload(vs_d.config_path, r);
	} else if (strcmp(c, "config") == 0 && strcmp(sub, "save") == 0 && argc <= 3) {
		const char *path = argc == 3 ? argv[2] : vs_d.config_path;

		if (path == NULL)
			vs_reply_error(r, -EINVAL,
			               "usage: config save FILE (no --config to default to)");
		else
			vs_config_save(path, r);
	} else {
		vs_reply_error(r, -EINVAL, "unknown command '%s%s%s' (try 'help')", c,
		               argc > 1 ? " " : "", sub);
	}
	if (r->status == 0 && r->len == 0 && r->json)
		vs_reply_printf(r, "{}\n");
}
