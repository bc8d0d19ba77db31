/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluice's underlay (see vs_underlay.h): the "ip addr", "route" and "neigh"
 * commands, the RCU-published snapshot with the VXLAN tunnel table, ARP
 * learning and aging, and the receive side of addressed ports.
 *
 * On an addressed port the PMD consumes ARP for our addresses (requests
 * answered in place, senders learned), ICMP echo requests to them (answered
 * in place) and UDP to them on a VXLAN port (decapsulated; inner frames
 * continue as if received on their tunnel port, parsed in the same pass).
 * Every other frame enters the flow tables from the port.  Addresses are
 * matched host-wide (the weak host model, as Linux does by default).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "vs_daemon.h"
#include "vs_reply.h"
#include "vs_switch.h"
#include "vs_underlay.h"
#include "vs_words.h"

RTE_LOG_REGISTER(vs_ul_logtype, user.vs.underlay, INFO);
#define UL_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, vs_ul_logtype, "underlay: " fmt "\n", ##__VA_ARGS__)

#define ARP_LEN     28
#define ICMP_ECHO   8
#define ICMP_REPLY  0
#define LEARN_RING  1024
#define LEARN_BATCH 64

int vs_ul_dynfield_offset = -1;

/* Published snapshot: control thread stores (release), PMDs load (acquire). */
static const struct vs_ul *ul_cur;
static struct vs_switch *ul_sw;
static struct vs_ul_pmd *ul_pmds[VS_PMD_MAX];
static struct rte_ring *learn_ring;
/* Config apply: commands edit this unpublished copy; published once at the end. */
static struct vs_ul *batch;

/* What commands read: the batch being built, or the published snapshot. */
static const struct vs_ul *
view(void)
{
	return batch != NULL ? batch : ul_cur;
}

/* A neighbour a PMD saw in an ARP for us (ring element). */
struct learn {
	uint32_t ip;
	uint16_t ofport;
	uint8_t mac[6];
	uint32_t pad;
};

const struct vs_ul *
vs_underlay_get(void)
{
	/* Acquire: pairs with the release store in publish(). */
	return __atomic_load_n(&ul_cur, __ATOMIC_ACQUIRE);
}

struct vs_ul_pmd *
vs_underlay_pmd(uint16_t idx)
{
	return idx < VS_PMD_MAX ? ul_pmds[idx] : NULL;
}

/* ------------------------------------------------------------------ */
/* Snapshots (control thread). */

static void *
tnl_zalloc(void *arg, size_t size, size_t align)
{
	(void)arg;
	return rte_zmalloc("vs_vxlan_tunnels", size, (unsigned int)align);
}

static void
tnl_free(void *arg, void *p)
{
	(void)arg;
	rte_free(p);
}

static const struct vxlan_alloc tnl_alloc = { tnl_zalloc, tnl_free, NULL };

static const struct vs_ul_addr *
find_local(const struct vs_ul *ul, uint32_t ip)
{
	uint16_t i;

	for (i = 0; i < ul->n_addrs; i++)
		if (ul->addrs[i].ip == ip)
			return &ul->addrs[i];
	return NULL;
}

bool
vs_underlay_tunnel_up(const struct vs_tnl_cfg *c)
{
	return ul_cur != NULL && find_local(ul_cur, c->local_ip) != NULL;
}

/* A copy of the current snapshot to edit, or NULL. */
static struct vs_ul *
ul_clone(void)
{
	struct vs_ul *n = rte_malloc("vs_ul", sizeof(*n), RTE_CACHE_LINE_SIZE);

	if (n == NULL)
		return NULL;
	if (view() != NULL)
		memcpy(n, view(), sizeof(*n));
	else
		memset(n, 0, sizeof(*n));
	n->tunnels = NULL;
	return n;
}

/* Derives the tunnel table, the VXLAN ports and the addressed slots. */
static void
ul_derive(struct vs_ul *n, const struct vs_port *exclude)
{
	static struct vxlan_tunnel_params params[VS_PORT_MAX];
	const struct vs_portmap *map = ul_sw->portmap;
	uint32_t n_t = 0;
	uint16_t s, i;

	memset(n->addressed, 0, sizeof(n->addressed));
	n->n_dst_ports = 0;
	for (i = 0; i < n->n_addrs; i++) {
		const struct vs_port *p = vs_portmap_get(map, n->addrs[i].ofport);

		if (p != NULL) {
			n->addressed[p->slot] = 1;
			/* Replies leave by the port they came in on, with its MAC. */
			if (rte_eth_macaddr_get(p->port_id, &n->port_mac[p->slot]) != 0)
				n->port_mac[p->slot] = n->addrs[i].mac;
		}
	}
	for (s = 0; s < VS_PORT_MAX; s++) {
		const struct vs_port *p = map->slots[s];
		const struct vs_tnl_cfg *c;
		uint16_t be;

		if (p == NULL || p->tnl == NULL || p == exclude)
			continue;
		c = p->tnl;
		if (find_local(n, c->local_ip) == NULL)
			continue;
		params[n_t].local_ip = c->local_ip;
		params[n_t].remote_ip = c->remote_ip;
		params[n_t].remote_flow = c->remote_flow;
		params[n_t].vni = c->vni;
		params[n_t].key_flow = c->key_flow;
		params[n_t].ofport = p->ofport;
		n_t++;
		be = rte_cpu_to_be_16(c->dst_port);
		for (i = 0; i < n->n_dst_ports && n->dst_ports_be[i] != be; i++)
			;
		if (i == n->n_dst_ports && i < VS_UL_DST_PORTS_MAX)
			n->dst_ports_be[n->n_dst_ports++] = be;
	}
	if (n_t != 0) {
		n->tunnels = vxlan_tunnels_build(params, n_t, &tnl_alloc);
		if (n->tunnels == NULL)
			UL_LOG(ERR, "cannot build the tunnel table: %s", rte_strerror(rte_errno));
	}
}

/* Publishes 'n', waits until no PMD reads the old snapshot, frees it. */
static void
publish(struct vs_ul *n, const struct vs_port *exclude)
{
	struct vs_ul *old = (struct vs_ul *)(uintptr_t)ul_cur;

	if (batch != NULL) {
		/* Config apply: keep editing; nothing is visible yet. */
		if (batch != n)
			rte_free(batch);
		batch = n;
		return;
	}
	ul_derive(n, exclude);
	n->version = (old != NULL ? old->version : 0) + 1;
	/* Release: the snapshot and its tunnel table are written before a PMD
	 * can see the pointer (acquire in vs_underlay_get()). */
	__atomic_store_n(&ul_cur, n, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(ul_sw->qsbr, RTE_QSBR_THRID_INVALID);
	if (old != NULL) {
		vxlan_tunnels_free(old->tunnels);
		rte_free(old);
	}
}

int
vs_underlay_init(struct vs_switch *sw, struct vs_reply *r)
{
	static const struct rte_mbuf_dynfield df = {
		.name = "sluice_tunnel_md",
		.size = 16,
		.align = 8,
	};
	struct vs_ul *n;
	uint16_t i;

	if (ul_cur != NULL)
		return 0;
	ul_sw = sw;
	vs_ul_dynfield_offset = rte_mbuf_dynfield_register(&df);
	if (vs_ul_dynfield_offset < 0)
		return vs_reply_error(r, -rte_errno, "cannot register the tunnel mbuf field: %s",
		                      rte_strerror(rte_errno));
	if (learn_ring == NULL)
		learn_ring = rte_ring_create_elem("vs_ul_learn", sizeof(struct learn), LEARN_RING,
		                                  SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (learn_ring == NULL)
		return vs_reply_error(r, -ENOMEM, "cannot create the ARP learning ring");
	for (i = 0; i < sw->n_pmds; i++) {
		if (ul_pmds[i] != NULL)
			continue;
		ul_pmds[i] = rte_zmalloc_socket("vs_ul_pmd", sizeof(*ul_pmds[i]),
		                                RTE_CACHE_LINE_SIZE,
		                                (int)rte_lcore_to_socket_id(sw->pmds[i]->lcore_id));
		if (ul_pmds[i] == NULL)
			return vs_reply_error(r, -ENOMEM, "out of memory");
		ul_pmds[i]->dec.check_ip_csum = true;
	}
	n = ul_clone();
	if (n == NULL)
		return vs_reply_error(r, -ENOMEM, "out of memory");
	publish(n, NULL);
	return 0;
}

void
vs_underlay_ports_changed(void)
{
	struct vs_ul *n;

	if (ul_cur == NULL || (n = ul_clone()) == NULL)
		return;
	publish(n, NULL);
}

void
vs_underlay_port_removing(const struct vs_port *p)
{
	struct vs_ul *n;
	uint16_t i, k;

	if (ul_cur == NULL || (n = ul_clone()) == NULL)
		return;
	for (i = 0, k = 0; i < n->n_addrs; i++)
		if (n->addrs[i].ofport != p->ofport)
			n->addrs[k++] = n->addrs[i];
	n->n_addrs = k;
	for (i = 0, k = 0; i < n->n_routes; i++)
		if (n->routes[i].ofport != p->ofport)
			n->routes[k++] = n->routes[i];
	n->n_routes = k;
	for (i = 0, k = 0; i < n->n_neighs; i++)
		if (n->neighs[i].ofport != p->ofport)
			n->neighs[k++] = n->neighs[i];
	n->n_neighs = k;
	publish(n, p);
}

/* ------------------------------------------------------------------ */
/* Commands. */

static uint32_t
plen_mask(uint8_t plen)
{
	return plen == 0 ? 0 : rte_cpu_to_be_32(~0u << (32 - plen));
}

/* "A/len" (len required when 'need_len'; else /32) or "default". */
static int
parse_prefix(const char *s, bool need_len, uint32_t *ip, uint8_t *plen)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	unsigned long l = 32;

	if (strcmp(s, "default") == 0 && !need_len) {
		*ip = 0;
		*plen = 0;
		return 0;
	}
	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		l = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || l > 32)
			return -EINVAL;
	} else if (need_len) {
		return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	*ip = a.s_addr;
	*plen = (uint8_t)l;
	return 0;
}

static const char *
ip_str(uint32_t ip, char *buf)
{
	struct in_addr a = { .s_addr = ip };

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
	return buf;
}

/* The underlay port named 'name': an ethdev port. */
static struct vs_port *
dev_port(const char *name, struct vs_reply *r)
{
	struct vs_port *p = vs_port_lookup(ul_sw->portmap, name);

	if (p == NULL) {
		vs_reply_error(r, -ENOENT, "no port '%s'", name);
		return NULL;
	}
	if (p->tnl != NULL || p->vhu != NULL) {
		vs_reply_error(r, -EINVAL,
		               "port %s is not an ethdev port (underlay ports are dpdk)", name);
		return NULL;
	}
	return p;
}

static void
port_mac(const struct vs_port *p, struct rte_ether_addr *mac)
{
	if (rte_eth_macaddr_get(p->port_id, mac) != 0)
		memset(mac, 0, sizeof(*mac));
}

static int
cmd_addr_add_del(bool add, int argc, char **argv, struct vs_reply *r)
{
	uint32_t ip, pfx;
	uint8_t plen;
	struct vs_port *p;
	struct vs_ul *n;
	uint16_t i, k;

	if (argc != 3 || strcmp(argv[1], "dev") != 0)
		return vs_reply_error(r, -EINVAL, "usage: ip addr %s A/LEN dev PORT",
		                      add ? "add" : "del");
	if (parse_prefix(argv[0], add, &ip, &plen) != 0 || ip == 0 || plen == 0 ||
	    (plen < 31 && ((ip & ~plen_mask(plen)) == 0 || (ip | plen_mask(plen)) == UINT32_MAX)))
		return vs_reply_error(r, -EINVAL, "bad address '%s' (want A/LEN, a host address)",
		                      argv[0]);
	p = dev_port(argv[2], r);
	if (p == NULL)
		return r->status;
	if (add) {
		const struct vs_ul_addr *o = find_local(view(), ip);

		if (o != NULL)
			return vs_reply_error(r, -EEXIST, "address %s is already on port %s",
			                      argv[0],
			                      vs_portmap_get(ul_sw->portmap, o->ofport)->name);
		if (view()->n_addrs == VS_UL_ADDRS_MAX || view()->n_routes == VS_UL_ROUTES_MAX)
			return vs_reply_error(r, -ENOSPC, "too many addresses or routes");
	} else {
		const struct vs_ul_addr *o = find_local(view(), ip);

		if (o == NULL || o->ofport != p->ofport ||
		    (strchr(argv[0], '/') != NULL && o->plen != plen))
			return vs_reply_error(r, -ENOENT, "no address %s on port %s", argv[0],
			                      p->name);
		plen = o->plen;
	}
	n = ul_clone();
	if (n == NULL)
		return vs_reply_error(r, -ENOMEM, "out of memory");
	pfx = ip & plen_mask(plen);
	if (add) {
		struct vs_ul_addr *a = &n->addrs[n->n_addrs++];
		bool have_route = false;

		a->ip = ip;
		a->plen = plen;
		a->ofport = p->ofport;
		port_mac(p, &a->mac);
		for (i = 0; i < n->n_routes; i++)
			have_route |= n->routes[i].prefix == pfx && n->routes[i].plen == plen &&
			              n->routes[i].gw == 0 && n->routes[i].ofport == p->ofport;
		if (!have_route) {
			struct vs_ul_route *rt = &n->routes[n->n_routes++];

			memset(rt, 0, sizeof(*rt));
			rt->prefix = pfx;
			rt->plen = plen;
			rt->connected = true;
			rt->ofport = p->ofport;
			rt->mac = a->mac;
		}
	} else {
		bool other = false;

		for (i = 0, k = 0; i < n->n_addrs; i++)
			if (n->addrs[i].ip != ip)
				n->addrs[k++] = n->addrs[i];
		n->n_addrs = k;
		for (i = 0; i < n->n_addrs; i++)
			other |= n->addrs[i].ofport == p->ofport && n->addrs[i].plen == plen &&
			         (n->addrs[i].ip & plen_mask(plen)) == pfx;
		for (i = 0, k = 0; i < n->n_routes; i++)
			if (other || !n->routes[i].connected || n->routes[i].prefix != pfx ||
			    n->routes[i].plen != plen || n->routes[i].ofport != p->ofport)
				n->routes[k++] = n->routes[i];
		n->n_routes = k;
	}
	publish(n, NULL);
	return 0;
}

static int
cmd_addr_show(struct vs_reply *r)
{
	const struct vs_ul *ul = view();
	char b[INET_ADDRSTRLEN];
	uint16_t i;

	vs_reply_printf(r, r->json ? "[" : "");
	for (i = 0; i < ul->n_addrs; i++) {
		const struct vs_ul_addr *a = &ul->addrs[i];
		const struct vs_port *p = vs_portmap_get(ul_sw->portmap, a->ofport);

		if (r->json)
			vs_reply_printf(r, "%s\n  {\"address\": \"%s/%u\", \"dev\": \"%s\"}",
			                i ? "," : "", ip_str(a->ip, b), a->plen, p ? p->name : "");
		else
			vs_reply_printf(r, "%s/%u dev %s\n", ip_str(a->ip, b), a->plen,
			                p ? p->name : "?");
	}
	if (r->json)
		vs_reply_printf(r, "%s]\n", ul->n_addrs ? "\n" : "");
	return 0;
}

/* route add|del PREFIX [via GW] dev PORT (del: via and dev optional). */
static int
cmd_route_add_del(bool add, int argc, char **argv, struct vs_reply *r)
{
	uint32_t pfx, gw = 0, gwp;
	uint8_t plen, gwl;
	struct vs_port *p = NULL;
	const char *gw_text = "";
	struct vs_ul *n;
	int i, found = -1;
	uint16_t k;

	if (argc < 1)
		goto usage;
	if (parse_prefix(argv[0], false, &pfx, &plen) != 0)
		return vs_reply_error(r, -EINVAL, "bad prefix '%s' (want A/LEN or default)",
		                      argv[0]);
	if ((pfx & ~plen_mask(plen)) != 0)
		return vs_reply_error(r, -EINVAL, "bad prefix '%s': host bits set", argv[0]);
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			goto usage;
		if (strcmp(argv[i], "via") == 0) {
			gw_text = argv[i + 1];
			if (parse_prefix(argv[i + 1], false, &gw, &gwl) != 0 || gwl != 32 ||
			    gw == 0)
				return vs_reply_error(r, -EINVAL, "bad gateway '%s'", argv[i + 1]);
		} else if (strcmp(argv[i], "dev") == 0) {
			p = dev_port(argv[i + 1], r);
			if (p == NULL)
				return r->status;
		} else {
			goto usage;
		}
	}
	for (k = 0; k < view()->n_routes; k++) {
		const struct vs_ul_route *rt = &view()->routes[k];

		if (rt->prefix == pfx && rt->plen == plen &&
		    (p == NULL || rt->ofport == p->ofport) && (gw == 0 || rt->gw == gw)) {
			found = k;
			break;
		}
	}
	if (add) {
		if (p == NULL)
			goto usage;
		for (k = 0; k < view()->n_routes; k++)
			if (view()->routes[k].prefix == pfx && view()->routes[k].plen == plen)
				return vs_reply_error(r, -EEXIST, "route %s exists", argv[0]);
		if (gw != 0) {
			bool onlink = false;

			for (k = 0; k < view()->n_routes; k++) {
				const struct vs_ul_route *rt = &view()->routes[k];

				gwp = gw & plen_mask(rt->plen);
				onlink |= rt->connected && rt->ofport == p->ofport &&
				          gwp == rt->prefix;
			}
			if (!onlink)
				return vs_reply_error(r, -EINVAL,
				                      "gateway %s is not on a connected subnet of "
				                      "port %s",
				                      gw_text, p->name);
		}
		if (view()->n_routes == VS_UL_ROUTES_MAX)
			return vs_reply_error(r, -ENOSPC, "too many routes");
	} else if (found < 0) {
		return vs_reply_error(r, -ENOENT, "no route %s", argv[0]);
	}
	n = ul_clone();
	if (n == NULL)
		return vs_reply_error(r, -ENOMEM, "out of memory");
	if (add) {
		struct vs_ul_route *rt = &n->routes[n->n_routes++];

		memset(rt, 0, sizeof(*rt));
		rt->prefix = pfx;
		rt->plen = plen;
		rt->gw = gw;
		rt->ofport = p->ofport;
		port_mac(p, &rt->mac);
	} else {
		n->routes[found] = n->routes[--n->n_routes];
	}
	publish(n, NULL);
	return 0;
usage:
	return vs_reply_error(r, -EINVAL, "usage: route %s PREFIX [via GW] dev PORT",
	                      add ? "add" : "del");
}

static int
cmd_route_show(struct vs_reply *r)
{
	const struct vs_ul *ul = view();
	char b[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	uint16_t i;

	vs_reply_printf(r, r->json ? "[" : "");
	for (i = 0; i < ul->n_routes; i++) {
		const struct vs_ul_route *rt = &ul->routes[i];
		const struct vs_port *p = vs_portmap_get(ul_sw->portmap, rt->ofport);

		if (r->json)
			vs_reply_printf(r,
			                "%s\n  {\"prefix\": \"%s/%u\", \"via\": \"%s\", \"dev\": "
			                "\"%s\", \"connected\": %s}",
			                i ? "," : "", ip_str(rt->prefix, b), rt->plen,
			                rt->gw ? ip_str(rt->gw, g) : "", p ? p->name : "",
			                rt->connected ? "true" : "false");
		else
			vs_reply_printf(r, "%s/%u%s%s dev %s%s\n", ip_str(rt->prefix, b), rt->plen,
			                rt->gw ? " via " : "", rt->gw ? ip_str(rt->gw, g) : "",
			                p ? p->name : "?", rt->connected ? " proto connected" : "");
	}
	if (r->json)
		vs_reply_printf(r, "%s]\n", ul->n_routes ? "\n" : "");
	return 0;
}

static int
find_neigh(const struct vs_ul *ul, uint32_t ip)
{
	uint16_t i;

	for (i = 0; i < ul->n_neighs; i++)
		if (ul->neighs[i].ip == ip)
			return i;
	return -1;
}

static int
cmd_neigh(int argc, char **argv, struct vs_reply *r)
{
	struct rte_ether_addr mac;
	struct vs_port *p;
	struct vs_ul *n;
	uint32_t ip;
	uint8_t plen;
	int k;

	if (argc == 1 && strcmp(argv[0], "show") == 0) {
		uint64_t now = vs_clock_ms();
		char b[INET_ADDRSTRLEN], m[RTE_ETHER_ADDR_FMT_SIZE];
		uint16_t i;

		vs_reply_printf(r, r->json ? "[" : "");
		for (i = 0; i < view()->n_neighs; i++) {
			const struct vs_ul_neigh *e = &view()->neighs[i];
			const struct vs_port *pp = vs_portmap_get(ul_sw->portmap, e->ofport);

			rte_ether_format_addr(m, sizeof(m), &e->mac);
			if (r->json)
				vs_reply_printf(r,
				                "%s\n  {\"ip\": \"%s\", \"mac\": \"%s\", \"dev\": "
				                "\"%s\", \"state\": \"%s\", \"age_s\": %" PRIu64
				                "}",
				                i ? "," : "", ip_str(e->ip, b), m,
				                pp ? pp->name : "",
				                e->permanent ? "permanent" : "learned",
				                e->permanent ? 0 : (now - e->seen_ms) / 1000);
			else
				vs_reply_printf(r, "%s lladdr %s dev %s %s\n", ip_str(e->ip, b), m,
				                pp ? pp->name : "?",
				                e->permanent ? "PERMANENT" : "REACHABLE");
		}
		if (r->json)
			vs_reply_printf(r, "%s]\n", view()->n_neighs ? "\n" : "");
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "add") == 0) {
		if (argc != 5 || strcmp(argv[3], "dev") != 0)
			return vs_reply_error(r, -EINVAL, "usage: neigh add IP MAC dev PORT");
		if (parse_prefix(argv[1], false, &ip, &plen) != 0 || plen != 32 || ip == 0)
			return vs_reply_error(r, -EINVAL, "bad neighbour address '%s'", argv[1]);
		if (rte_ether_unformat_addr(argv[2], &mac) != 0 || rte_is_zero_ether_addr(&mac) ||
		    rte_is_multicast_ether_addr(&mac))
			return vs_reply_error(r, -EINVAL,
			                      "bad MAC '%s' (want a unicast xx:xx:xx:xx:xx:xx)",
			                      argv[2]);
		p = dev_port(argv[4], r);
		if (p == NULL)
			return r->status;
		k = find_neigh(view(), ip);
		if (k < 0 && view()->n_neighs == VS_UL_NEIGHS_MAX)
			return vs_reply_error(r, -ENOSPC, "neighbour table full");
		n = ul_clone();
		if (n == NULL)
			return vs_reply_error(r, -ENOMEM, "out of memory");
		if (k < 0)
			k = n->n_neighs++;
		n->neighs[k].ip = ip;
		n->neighs[k].mac = mac;
		n->neighs[k].ofport = p->ofport;
		n->neighs[k].permanent = true;
		n->neighs[k].seen_ms = vs_clock_ms();
		publish(n, NULL);
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "del") == 0) {
		if (argc != 2)
			return vs_reply_error(r, -EINVAL, "usage: neigh del IP");
		if (parse_prefix(argv[1], false, &ip, &plen) != 0 || plen != 32)
			return vs_reply_error(r, -EINVAL, "bad neighbour address '%s'", argv[1]);
		k = find_neigh(view(), ip);
		if (k < 0)
			return vs_reply_error(r, -ENOENT, "no neighbour %s", argv[1]);
		n = ul_clone();
		if (n == NULL)
			return vs_reply_error(r, -ENOMEM, "out of memory");
		n->neighs[k] = n->neighs[--n->n_neighs];
		publish(n, NULL);
		return 0;
	}
	return vs_reply_error(r, -EINVAL,
	                      "usage: neigh show | neigh add IP MAC dev PORT | neigh del IP");
}

int
vs_underlay_cmd(int argc, char **argv, struct vs_reply *r)
{
	const char *c = argv[0], *sub = argc > 1 ? argv[1] : "";
	int ret = vs_underlay_init(&vs_d.sw, r);

	if (ret != 0)
		return ret;
	if (strcmp(c, "ip") == 0) {
		if (argc < 2 || (strcmp(sub, "addr") != 0 && strcmp(sub, "address") != 0))
			return vs_reply_error(
					r, -EINVAL,
					"usage: ip addr add|del A/LEN dev PORT | ip addr show");
		if (argc == 2 || (argc == 3 && strcmp(argv[2], "show") == 0))
			return cmd_addr_show(r);
		if (strcmp(argv[2], "add") == 0 || strcmp(argv[2], "del") == 0)
			return cmd_addr_add_del(argv[2][0] == 'a', argc - 3, argv + 3, r);
		return vs_reply_error(r, -EINVAL,
		                      "usage: ip addr add|del A/LEN dev PORT | ip addr show");
	}
	if (strcmp(c, "route") == 0) {
		if (argc == 1 || (argc == 2 && strcmp(sub, "show") == 0))
			return cmd_route_show(r);
		if (strcmp(sub, "add") == 0 || strcmp(sub, "del") == 0)
			return cmd_route_add_del(sub[0] == 'a', argc - 2, argv + 2, r);
		return vs_reply_error(r, -EINVAL,
		                      "usage: route add|del PREFIX [via GW] dev PORT | route show");
	}
	return cmd_neigh(argc - 1, argv + 1, r);
}

int
vs_underlay_apply_config(char *const *lines, unsigned int n, unsigned int *bad, struct vs_reply *r)
{
	char buf[512], *argv[32];
	struct vs_ul *b;
	unsigned int i;
	uint16_t k, j;
	int argc, ret;

	if (n == 0 && ul_cur == NULL)
		return 0; /* no underlay, none configured */
	ret = vs_underlay_init(&vs_d.sw, r);
	if (ret != 0)
		return ret;
	b = ul_clone();
	if (b == NULL)
		return vs_reply_error(r, -ENOMEM, "out of memory");
	/* The config's lines replace the configured state; learned neighbours stay. */
	b->n_addrs = 0;
	b->n_routes = 0;
	for (k = 0, j = 0; k < b->n_neighs; k++)
		if (!b->neighs[k].permanent)
			b->neighs[j++] = b->neighs[k];
	b->n_neighs = j;
	batch = b;
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s", lines[i]);
		argc = vs_split_words(buf, argv, (int)VS_ARRAY_SIZE(argv));
		ret = argc > 0 ? vs_underlay_cmd(argc, argv, r) :
		                 vs_reply_error(r, -EINVAL, "empty underlay line");
		if (ret != 0) {
			rte_free(batch);
			batch = NULL;
			*bad = i;
			return ret;
		}
	}
	b = batch;
	batch = NULL;
	publish(b, NULL);
	return 0;
}

void
vs_underlay_save(FILE *f)
{
	const struct vs_ul *ul = ul_cur;
	char b[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN], m[RTE_ETHER_ADDR_FMT_SIZE];
	uint16_t i;

	for (i = 0; ul != NULL && i < ul->n_addrs; i++) {
		const struct vs_port *p = vs_portmap_get(ul_sw->portmap, ul->addrs[i].ofport);

		if (p != NULL)
			fprintf(f, "ip addr add %s/%u dev %s\n", ip_str(ul->addrs[i].ip, b),
			        ul->addrs[i].plen, p->name);
	}
	for (i = 0; ul != NULL && i < ul->n_routes; i++) {
		const struct vs_ul_route *rt = &ul->routes[i];
		const struct vs_port *p = vs_portmap_get(ul_sw->portmap, rt->ofport);

		if (p != NULL && !rt->connected)
			fprintf(f, "route add %s/%u%s%s dev %s\n", ip_str(rt->prefix, b), rt->plen,
			        rt->gw ? " via " : "", rt->gw ? ip_str(rt->gw, g) : "", p->name);
	}
	for (i = 0; ul != NULL && i < ul->n_neighs; i++) {
		const struct vs_ul_neigh *e = &ul->neighs[i];
		const struct vs_port *p = vs_portmap_get(ul_sw->portmap, e->ofport);

		if (p == NULL || !e->permanent)
			continue;
		rte_ether_format_addr(m, sizeof(m), &e->mac);
		fprintf(f, "neigh add %s %s dev %s\n", ip_str(e->ip, b), m, p->name);
	}
}

/* ------------------------------------------------------------------ */
/* Learning and aging (control thread). */

void
vs_underlay_learn(uint32_t ip, const uint8_t *mac, uint16_t ofport)
{
	struct learn l = { .ip = ip, .ofport = ofport };

	memcpy(l.mac, mac, 6);
	/* Full ring: dropped; the neighbour answers again. */
	rte_ring_mp_enqueue_elem(learn_ring, &l, sizeof(l));
}

void
vs_underlay_tick(uint64_t now_ms)
{
	struct learn ls[LEARN_BATCH];
	struct vs_ul *n = NULL;
	unsigned int got, i;
	uint16_t k;

	if (ul_cur == NULL)
		return;
	got = rte_ring_sc_dequeue_burst_elem(learn_ring, ls, sizeof(ls[0]), LEARN_BATCH, NULL);
	for (i = 0; i < got; i++) {
		const struct vs_ul *cur = n != NULL ? n : ul_cur;
		int e = find_neigh(cur, ls[i].ip);

		if (e >= 0 && cur->neighs[e].permanent)
			continue;
		if (e >= 0 && cur->neighs[e].ofport == ls[i].ofport &&
		    memcmp(&cur->neighs[e].mac, ls[i].mac, 6) == 0) {
			/* Refresh only: seen_ms is control-thread state, no republish. */
			((struct vs_ul *)(uintptr_t)cur)->neighs[e].seen_ms = now_ms;
			continue;
		}
		if (n == NULL && (n = ul_clone()) == NULL)
			return;
		if (e < 0) {
			if (n->n_neighs == VS_UL_NEIGHS_MAX)
				continue;
			e = n->n_neighs++;
		}
		n->neighs[e].ip = ls[i].ip;
		memcpy(&n->neighs[e].mac, ls[i].mac, 6);
		n->neighs[e].ofport = ls[i].ofport;
		n->neighs[e].permanent = false;
		n->neighs[e].seen_ms = now_ms;
	}
	for (k = 0; k < (n != NULL ? n : ul_cur)->n_neighs; k++) {
		const struct vs_ul_neigh *e = &(n != NULL ? n : ul_cur)->neighs[k];

		if (e->permanent || now_ms - e->seen_ms < VS_UL_NEIGH_AGE_MS)
			continue;
		if (n == NULL && (n = ul_clone()) == NULL)
			return;
		n->neighs[k--] = n->neighs[--n->n_neighs];
	}
	if (n != NULL)
		publish(n, NULL);
}

/* ------------------------------------------------------------------ */
/* Encapsulation helpers (PMD thread, on a template cache miss). */

void
vs_underlay_resolve(const struct vs_ul *ul, const struct vs_tnl_cfg *c, struct vs_ul_tmpl_entry *e)
{
	const struct vs_ul_route *best = NULL;
	struct vxlan_tmpl_params tp;
	uint16_t i;
	int k;

	e->state = VS_UL_RES_DOWN;
	if (find_local(ul, c->local_ip) == NULL)
		return;
	e->state = VS_UL_RES_NO_ROUTE;
	for (i = 0; i < ul->n_routes; i++) {
		const struct vs_ul_route *rt = &ul->routes[i];

		if ((e->remote & plen_mask(rt->plen)) == rt->prefix &&
		    (best == NULL || rt->plen > best->plen))
			best = rt;
	}
	if (best == NULL)
		return;
	e->out_ofport = best->ofport;
	e->nexthop = best->gw != 0 ? best->gw : e->remote;
	e->src_mac = best->mac;
	e->src_ip = c->local_ip;
	for (i = 0; i < ul->n_addrs; i++) {
		const struct vs_ul_addr *a = &ul->addrs[i];

		if (a->ofport == best->ofport && ((a->ip ^ e->nexthop) & plen_mask(a->plen)) == 0) {
			e->src_ip = a->ip;
			break;
		}
	}
	k = find_neigh(ul, e->nexthop);
	if (k < 0 || ul->neighs[k].ofport != best->ofport) {
		e->state = VS_UL_RES_UNRESOLVED;
		return;
	}
	vxlan_tmpl_params_init(&tp);
	memcpy(tp.dst_mac, &ul->neighs[k].mac, 6);
	memcpy(tp.src_mac, &best->mac, 6);
	tp.src_ip = c->local_ip;
	tp.dst_ip = e->remote;
	tp.vni = e->vni;
	tp.dst_port = c->dst_port;
	tp.src_port_min = c->src_port_min;
	tp.src_port_max = c->src_port_max;
	tp.ttl = c->ttl;
	tp.ttl_inherit = c->ttl_inherit;
	tp.tos = c->tos;
	tp.tos_inherit = c->tos_inherit;
	tp.df = c->df;
	tp.csum = c->csum;
	e->state = vxlan_tmpl_build(&tp, &e->tmpl) == 0 ? VS_UL_RES_OK : VS_UL_RES_NO_ROUTE;
}

/* Writes an Ethernet/ARP frame at 'd' (42 bytes). */
static void
write_arp(uint8_t *d, const struct rte_ether_addr *eth_dst, const struct rte_ether_addr *eth_src,
          uint16_t op, const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)d;
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	rte_ether_addr_copy(eth_dst, &eth->dst_addr);
	rte_ether_addr_copy(eth_src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&arp->arp_data.arp_sha, sha, 6);
	arp->arp_data.arp_sip = spa;
	memcpy(&arp->arp_data.arp_tha, tha, 6);
	arp->arp_data.arp_tip = tpa;
}

void
vs_underlay_arp_request(struct vs_pmd *pmd, struct vs_port *port, const struct vs_ul_tmpl_entry *e)
{
	static const uint8_t zero[6];
	struct rte_ether_addr bcast;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pmd->sw->shared_mp);
	uint8_t *d;

	if (m == NULL)
		return;
	d = (uint8_t *)rte_pktmbuf_append(m, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	memset(d, 0, RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN);
	memset(&bcast, 0xff, sizeof(bcast));
	write_arp(d, &bcast, &e->src_mac, RTE_ARP_OP_REQUEST, e->src_mac.addr_bytes, e->src_ip,
	          zero, e->nexthop);
	port->tnl_stats[pmd->idx].n[VS_TC_ARP_SENT]++;
	vs_pmd_tx(pmd, port, m);
}

/* ------------------------------------------------------------------ */
/* Receive side of addressed ports (PMD thread). */

enum rx_class {
	RX_PASS,      /* to the flow tables */
	RX_ARP,       /* ARP for one of our addresses */
	RX_ARP_OTHER, /* other ARP: to the flow tables, may refresh a learned neighbour */
	RX_ICMP,      /* ICMP echo request to one of our addresses */
	RX_VXLAN,     /* UDP to one of our addresses on a VXLAN port (or a fragment) */
};

static inline enum rx_class
classify(const struct vs_ul *ul, const struct rte_mbuf *m, const struct vs_ul_addr **local)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t et, frag, port;
	uint32_t dst, ihl;
	uint16_t i;

	if (m->data_len < RTE_ETHER_HDR_LEN + ARP_LEN)
		return RX_PASS;
	memcpy(&et, d + 12, 2);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		memcpy(&dst, d + 38, 4);
		*local = find_local(ul, dst);
		return *local != NULL ? RX_ARP : RX_ARP_OTHER;
	}
	if (et != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || m->data_len < 34)
		return RX_PASS;
	memcpy(&dst, d + 30, 4);
	*local = find_local(ul, dst);
	if (*local == NULL)
		return RX_PASS;
	ihl = (d[14] & 0xfu) * 4u;
	memcpy(&frag, d + 20, 2);
	frag &= rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK);
	if (d[23] == IPPROTO_UDP) {
		if (frag != 0)
			return ul->n_dst_ports != 0 ? RX_VXLAN : RX_PASS;
		if (ihl < 20 || m->data_len < 14 + ihl + 8)
			return RX_PASS;
		memcpy(&port, d + 14 + ihl + 2, 2);
		for (i = 0; i < ul->n_dst_ports; i++)
			if (ul->dst_ports_be[i] == port)
				return RX_VXLAN;
		return RX_PASS;
	}
	if (d[23] == IPPROTO_ICMP && frag == 0 && ihl >= 20 && m->data_len >= 14 + ihl + 8 &&
	    d[14 + ihl] == ICMP_ECHO)
		return RX_ICMP;
	return RX_PASS;
}

/* ARP for one of our addresses: learn the sender, answer requests in place. */
static void
rx_arp(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf *m, const struct vs_ul_addr *a,
       const struct rte_ether_addr *mac)
{
	struct vs_tnl_stats *ts = &port->tnl_stats[pmd->idx];
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(d + RTE_ETHER_HDR_LEN);
	uint16_t op = rte_be_to_cpu_16(arp->arp_opcode);
	struct rte_ether_addr sha;
	uint32_t sip = arp->arp_data.arp_sip;

	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
	    arp->arp_plen != 4 || (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
	    rte_is_multicast_ether_addr(&arp->arp_data.arp_sha) || sip == 0) {
		ts->n[VS_TC_LOCAL_BAD]++;
		rte_pktmbuf_free(m);
		return;
	}
	rte_ether_addr_copy(&arp->arp_data.arp_sha, &sha);
	vs_underlay_learn(sip, sha.addr_bytes, port->ofport);
	ts->n[VS_TC_ARP_LEARNED]++;
	if (op != RTE_ARP_OP_REQUEST) {
		rte_pktmbuf_free(m);
		return;
	}
	write_arp(d, &sha, mac, RTE_ARP_OP_REPLY, mac->addr_bytes, a->ip, sha.addr_bytes, sip);
	ts->n[VS_TC_ARP_REPLIED]++;
	vs_pmd_tx(pmd, port, m);
}

/*
 * ARP not for us (a gratuitous one, or a request for another host) from a
 * neighbour we learned: its MAC may have moved, so it is learned again, as
 * Linux updates existing entries.  The frame still enters the flow tables.
 */
static void
rx_arp_other(struct vs_pmd *pmd, const struct vs_ul *ul, struct vs_port *port,
             const struct rte_mbuf *m)
{
	const struct rte_arp_hdr *arp =
			rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, RTE_ETHER_HDR_LEN);
	int k;

	if (arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || arp->arp_hlen != 6 ||
	    arp->arp_plen != 4 || rte_is_multicast_ether_addr(&arp->arp_data.arp_sha))
		return;
	k = find_neigh(ul, arp->arp_data.arp_sip);
	if (k < 0 || ul->neighs[k].permanent || ul->neighs[k].ofport != port->ofport)
		return;
	vs_underlay_learn(arp->arp_data.arp_sip, arp->arp_data.arp_sha.addr_bytes, port->ofport);
	port->tnl_stats[pmd->idx].n[VS_TC_ARP_LEARNED]++;
}

/* ICMP echo request to one of our addresses: answered in place. */
static void
rx_icmp(struct vs_pmd *pmd, struct vs_port *port, struct rte_mbuf *m,
        const struct rte_ether_addr *mac)
{
	struct vs_tnl_stats *ts = &port->tnl_stats[pmd->idx];
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)d;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + RTE_ETHER_HDR_LEN);
	uint32_t ihl = (ip->version_ihl & 0xfu) * 4u, tmp;
	uint16_t ip_len = rte_be_to_cpu_16(ip->total_length), sum;
	uint8_t *icmp = d + RTE_ETHER_HDR_LEN + ihl;
	uint32_t s;

	/* Whole packet in the first segment, checksums good. */
	if ((ip->version_ihl >> 4) != 4 || ip_len < ihl + 8 ||
	    (uint32_t)ip_len + RTE_ETHER_HDR_LEN > m->data_len ||
	    rte_raw_cksum(ip, ihl) != 0xffff || rte_raw_cksum(icmp, ip_len - ihl) != 0xffff ||
	    icmp[1] != 0) {
		ts->n[VS_TC_LOCAL_BAD]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (m->pkt_len > (uint32_t)ip_len + RTE_ETHER_HDR_LEN)
		rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - ip_len - RTE_ETHER_HDR_LEN));
	rte_ether_addr_copy(&eth->src_addr, &eth->dst_addr);
	rte_ether_addr_copy(mac, &eth->src_addr);
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* Type 8 -> 0: the checksum word changes by 0x0800 (RFC 1624). */
	icmp[0] = ICMP_REPLY;
	memcpy(&sum, icmp + 2, 2);
	s = (uint32_t)sum + rte_cpu_to_be_16(ICMP_ECHO << 8);
	s = (s & 0xffff) + (s >> 16);
	sum = (uint16_t)s;
	memcpy(icmp + 2, &sum, 2);
	ts->n[VS_TC_ICMP_REPLIED]++;
	vs_pmd_tx(pmd, port, m);
}

/* VXLAN candidates split off a burst. */
struct rx_split {
	uint16_t n_cand;
	struct rte_mbuf *cand[VS_BURST_MAX];
};

/*
 * Decapsulates sp->cand, counts, and parses the inner frames into
 * pkts[n_ok...] and pmd->keys[n_ok...].  @return the inner frames kept.
 */
static uint16_t
rx_decap(struct vs_pmd *pmd, const struct vs_ul *ul, struct vs_port *port, struct rx_split *sp,
         struct rte_mbuf **pkts_base, uint16_t n_ok)
{
	struct rte_mbuf **cand = sp->cand, **pkts = pkts_base + n_ok;
	struct pm_key *keys = pmd->keys + n_ok;
	uint16_t n = sp->n_cand;
	struct vs_ul_pmd *u = ul_pmds[pmd->idx];
	struct vs_tnl_stats *ts = &port->tnl_stats[pmd->idx];
	uint64_t before[VXLAN_DECAP_DROP_N];
	struct rte_mbuf *orig[VS_BURST_MAX];
	struct vs_port *tp = NULL;
	uint16_t n_dec, n_in, i, k;

	memcpy(before, u->dec.n_drop, sizeof(before));
	n_dec = vxlan_decap_burst(&u->dec, ul->tunnels, cand, n, u->mds);
	if (n_dec != n) {
		for (i = 0; i < VXLAN_DECAP_DROP_N; i++)
			ts->decap_drop[i] += u->dec.n_drop[i] - before[i];
		rte_pktmbuf_free_bulk(cand + n_dec, n - n_dec);
	}
	ts->n[VS_TC_DECAP] += n_dec;
	for (i = 0; i < n_dec; i++) {
		/* Frames of one tunnel come in runs: one port lookup per run. */
		if (i == 0 || u->mds[i].ofport != u->mds[i - 1].ofport)
			tp = vs_portmap_get(pmd->map, u->mds[i].ofport);
		orig[i] = cand[i];
		if (likely(tp != NULL)) {
			tp->pmd_stats[pmd->idx].rx_packets++;
			tp->pmd_stats[pmd->idx].rx_bytes += cand[i]->pkt_len;
		}
	}
	pmd->parse.in_port = VS_OFPORT_NONE;
	n_in = fc_parse_burst(&pmd->parse, cand, n_dec, keys);
	/* The parser compacts survivors in order: walk both lists together. */
	for (i = 0, k = 0; i < n_in; i++, k++) {
		while (orig[k] != cand[i])
			k++;
		vxlan_md_to_key(&u->mds[k], &keys[i]);
		pkts[i] = cand[i];
	}
	if (n_in != n_dec)
		rte_pktmbuf_free_bulk(cand + n_in, n_dec - n_in);
	return n_in;
}

uint16_t
vs_underlay_rx(struct vs_pmd *pmd, const struct vs_ul *ul, struct vs_port *port,
               struct rte_mbuf **pkts, uint16_t n)
{
	struct rx_split sp;
	uint16_t i, n_keep = 0, n_ok;

	sp.n_cand = 0;
	/* Passes: prefetch every frame's headers, then classify. */
	for (i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct vs_ul_addr *a = NULL;

		switch (classify(ul, m, &a)) {
		case RX_ARP:
			rx_arp(pmd, port, m, a, &ul->port_mac[port->slot]);
			break;
		case RX_ICMP:
			rx_icmp(pmd, port, m, &ul->port_mac[port->slot]);
			break;
		case RX_VXLAN:
			sp.cand[sp.n_cand++] = m;
			break;
		case RX_ARP_OTHER:
			rx_arp_other(pmd, ul, port, m);
			pkts[n_keep++] = m;
			break;
		default:
			pkts[n_keep++] = m;
			break;
		}
	}
	pmd->parse.in_port = port->ofport;
	n_ok = fc_parse_burst(&pmd->parse, pkts, n_keep, pmd->keys);
	if (n_ok != n_keep)
		rte_pktmbuf_free_bulk(pkts + n_ok, n_keep - n_ok);
	if (sp.n_cand != 0)
		n_ok += rx_decap(pmd, ul, port, &sp, pkts, n_ok);
	return n_ok;
}
