/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice's own telemetry commands (/sluice/ports, /sluice/pmd_stats,
 * /sluice/flows_summary) beside DPDK's (/ethdev/stats,N ...).
 *
 * The telemetry thread never touches the switch: once a second the control
 * thread copies the counters into a snapshot under 'snap_lock' (contended
 * only by these two threads, never by a PMD), and the callbacks read that.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "vs_daemon.h"

struct port_snap {
	char name[VS_NAME_MAX];
	uint16_t ofport;
	struct vs_port_stats st;
};

struct pmd_snap {
	unsigned int lcore;
	uint64_t packets, busy, idle;
};

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct port_snap ports[VS_PORT_MAX];
static unsigned int n_ports;
static struct pmd_snap pmds[VS_PMD_MAX];
static unsigned int n_pmds;
static uint32_t n_flows, n_tables;
static uint32_t flows_per_table[VS_N_TABLES];

void
vs_telemetry_publish(void)
{
	const struct vs_switch *sw = &vs_d.sw;
	const struct vs_ruleset *rs = vs_ofproto_current(sw->ofp);
	unsigned int i, t;
	uint32_t o;

	pthread_mutex_lock(&snap_lock);
	n_ports = 0;
	for (o = 1; o <= VS_OFPORT_MAX; o++) {
		const struct vs_port *p = vs_portmap_get(sw->portmap, o);

		if (p == NULL)
			continue;
		snprintf(ports[n_ports].name, VS_NAME_MAX, "%s", p->name);
		ports[n_ports].ofport = p->ofport;
		vs_port_totals(p, &ports[n_ports].st);
		n_ports++;
	}
	n_pmds = sw->n_pmds;
	for (i = 0; i < sw->n_pmds; i++) {
		const struct vs_pmd *p = sw->pmds[i];

		pmds[i].lcore = p->lcore_id;
		pmds[i].packets = __atomic_load_n(&p->stats.n_rx, __ATOMIC_RELAXED);
		pmds[i].busy = __atomic_load_n(&p->stats.busy_cycles, __ATOMIC_RELAXED);
		pmds[i].idle = __atomic_load_n(&p->stats.idle_cycles, __ATOMIC_RELAXED);
	}
	n_flows = rs->n_rules;
	n_tables = 0;
	for (t = 0; t < VS_N_TABLES; t++) {
		flows_per_table[t] = rs->tables[t] != NULL ? rs->tables[t]->n_rules : 0;
		n_tables += flows_per_table[t] != 0;
	}
	pthread_mutex_unlock(&snap_lock);
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int i, k;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&snap_lock);
	for (i = 0; i < n_ports; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "ofport", ports[i].ofport);
		rte_tel_data_add_dict_u64(c, "rx_packets", ports[i].st.rx_packets);
		rte_tel_data_add_dict_u64(c, "rx_bytes", ports[i].st.rx_bytes);
		rte_tel_data_add_dict_u64(c, "tx_packets", ports[i].st.tx_packets);
		rte_tel_data_add_dict_u64(c, "tx_bytes", ports[i].st.tx_bytes);
		for (k = 0; k < VS_PD_N; k++)
			rte_tel_data_add_dict_u64(c, vs_port_drop_name(k), ports[i].st.drops[k]);
		rte_tel_data_add_dict_container(d, ports[i].name, c, 0);
	}
	pthread_mutex_unlock(&snap_lock);
	return 0;
}

static int
tel_pmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int i;
	char name[32];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&snap_lock);
	for (i = 0; i < n_pmds; i++) {
		struct rte_tel_data *c = rte_tel_data_alloc();

		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "lcore", pmds[i].lcore);
		rte_tel_data_add_dict_u64(c, "packets", pmds[i].packets);
		rte_tel_data_add_dict_u64(c, "busy_cycles", pmds[i].busy);
		rte_tel_data_add_dict_u64(c, "idle_cycles", pmds[i].idle);
		rte_tel_data_add_dict_u64(c, "cycles_per_packet_x100",
		                          pmds[i].packets ? pmds[i].busy * 100 / pmds[i].packets :
		                                            0);
		snprintf(name, sizeof(name), "pmd%u", i);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	pthread_mutex_unlock(&snap_lock);
	return 0;
}

static int
tel_flows_summary(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int t;
	char name[32];

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	pthread_mutex_lock(&snap_lock);
	rte_tel_data_add_dict_u64(d, "flows", n_flows);
	rte_tel_data_add_dict_u64(d, "tables", n_tables);
	for (t = 0; t < VS_N_TABLES; t++) {
		if (flows_per_table[t] == 0)
			continue;
		snprintf(name, sizeof(name), "table%u", t);
		rte_tel_data_add_dict_u64(d, name, flows_per_table[t]);
	}
	pthread_mutex_unlock(&snap_lock);
	return 0;
}

void
vs_telemetry_init(void)
{
	vs_telemetry_publish();
	rte_telemetry_register_cmd(
			"/sluice/ports", tel_ports,
			"Per-port packet, byte and drop counters (1 s snapshot). No parameters");
	rte_telemetry_register_cmd("/sluice/pmd_stats", tel_pmd_stats,
	                           "Per-PMD packets and cycles (1 s snapshot). No parameters");
	rte_telemetry_register_cmd("/sluice/flows_summary", tel_flows_summary,
	                           "Flow counts per table (1 s snapshot). No parameters");
}
