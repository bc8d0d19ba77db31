/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ports: parsing "port add" arguments, bringing ethdevs up and down, and
 * publishing the port map (see vs_port.h for the protocol).
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "vhu.h"
#include "vs_port.h"
#include "vs_switch.h"
#include "vs_underlay.h"

RTE_LOG_REGISTER(vs_port_logtype, user.vs.port, INFO);
#define PORT_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, vs_port_logtype, "port: " fmt "\n", ##__VA_ARGS__)

/** Data room of the shared pool's mbufs: frames up to 2048 bytes. */
#define VS_MBUF_ROOM   (2048 + RTE_PKTMBUF_HEADROOM)
#define VS_DEFAULT_RXD 1024
#define VS_DEFAULT_TXD 1024

bool
vs_port_name_valid(const char *name)
{
	size_t i, n = strlen(name);
	bool digits = true;

	if (n == 0 || n >= VS_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-' &&
		    name[i] != '.')
			return false;
		digits &= isdigit((unsigned char)name[i]) != 0;
	}
	return !digits;
}

/* Parses an unsigned decimal in [min, max]. */
static int
parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s == '\0' || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parses "1,2,10-20" into a VLAN bitmap. */
static int
parse_trunks(const char *s, uint64_t *bits)
{
	char buf[512], *save = NULL, *tok;
	bool any = false;

	if (strlen(s) >= sizeof(buf) || *s == '\0')
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	memset(bits, 0, 64 * sizeof(uint64_t));
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		unsigned long lo, hi, v;
		char *dash = strchr(tok, '-');

		if (dash != NULL) {
			*dash = '\0';
			if (parse_uint(tok, 0, 4095, &lo) || parse_uint(dash + 1, 0, 4095, &hi) ||
			    hi < lo)
				return -EINVAL;
		} else {
			if (parse_uint(tok, 0, 4095, &lo))
				return -EINVAL;
			hi = lo;
		}
		for (v = lo; v <= hi; v++)
			bits[v >> 6] |= 1ull << (v & 63);
		any = true;
	}
	/* "," alone names no VLAN: refused like an empty list, not a trunk of none. */
	return any ? 0 : -EINVAL;
}

/* Parses a socket mode: octal digits only, 1 to 0777. */
static int
parse_sock_mode(const char *s, uint32_t *out)
{
	unsigned long v = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 4)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return -EINVAL;
		v = v * 8 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 0777)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static bool
group_exists(const char *name)
{
	char buf[4096];
	struct group grp, *res = NULL;

	return getgrnam_r(name, &grp, buf, sizeof(buf), &res) == 0 && res != NULL;
}

int
vs_port_parse_args(int argc, char **argv, struct vs_port_args *a, struct vs_reply *r)
{
	size_t off = 0;
	int i;

	memset(a, 0, sizeof(*a));
	if (argc >= 2 && strcmp(argv[1], "vxlan") == 0) {
		int ret;

		if (!vs_port_name_valid(argv[0]))
			return vs_reply_error(
					r, -EINVAL,
					"bad port name '%s': 1-31 of A-Z a-z 0-9 _ . -, not all "
					"digits",
					argv[0]);
		snprintf(a->name, sizeof(a->name), "%s", argv[0]);
		snprintf(a->type, sizeof(a->type), "vxlan");
		ret = vs_tunnel_parse_args(argc - 2, argv + 2, &a->tnl, &a->ofport, r);
		if (ret != 0)
			return ret;
		a->n_rxq = 0;
		goto text;
	}
	if (argc < 3)
		return vs_reply_error(r, -EINVAL, "usage: port add NAME dpdk DEVARGS [options]");
	if (!vs_port_name_valid(argv[0]))
		return vs_reply_error(
				r, -EINVAL,
				"bad port name '%s': 1-31 of A-Z a-z 0-9 _ . -, not all digits",
				argv[0]);
	snprintf(a->name, sizeof(a->name), "%s", argv[0]);
	if (strcmp(argv[1], "dpdk") != 0 && strcmp(argv[1], "vhost-user") != 0 &&
	    strcmp(argv[1], "vhost-user-client") != 0)
		return vs_reply_error(r, -EINVAL,
		                      "unknown port type '%s' (known: dpdk, vhost-user, "
		                      "vhost-user-client, vxlan)",
		                      argv[1]);
	snprintf(a->type, sizeof(a->type), "%s", argv[1]);
	if (strlen(argv[2]) >= sizeof(a->devargs) || argv[2][0] == '\0')
		return vs_reply_error(r, -EINVAL, "bad device arguments '%s'", argv[2]);
	snprintf(a->devargs, sizeof(a->devargs), "%s", argv[2]);
	for (i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		const char *k = argv[i], *v;
		unsigned long val;
		size_t klen;

		if (eq == NULL)
			return vs_reply_error(r, -EINVAL, "bad port option '%s' (want key=value)",
			                      argv[i]);
		klen = (size_t)(eq - k);
		v = eq + 1;
#define KEY(s) (klen == strlen(s) && strncmp(k, s, klen) == 0)
		if (KEY("rxq") && parse_uint(v, 1, VS_QUEUE_MAX, &val) == 0)
			a->n_rxq = (uint16_t)val;
		else if (KEY("txq") && parse_uint(v, 1, VS_QUEUE_MAX, &val) == 0)
			a->n_txq = (uint16_t)val;
		else if (KEY("mtu") && parse_uint(v, 68, 9600, &val) == 0)
			a->mtu = (uint16_t)val;
		else if (KEY("rxd") && parse_uint(v, 32, 32768, &val) == 0)
			a->n_rxd = (uint16_t)val;
		else if (KEY("txd") && parse_uint(v, 32, 32768, &val) == 0)
			a->n_txd = (uint16_t)val;
		else if (KEY("n_mbufs") && parse_uint(v, 512, 16u << 20, &val) == 0)
			a->n_mbufs = (uint32_t)val;
		else if (KEY("ofport") && parse_uint(v, 1, VS_OFPORT_MAX, &val) == 0)
			a->ofport = (uint16_t)val;
		else if (KEY("tag") && parse_uint(v, 1, 4095, &val) == 0)
			a->tag = (uint16_t)val;
		else if (KEY("trunks") && parse_trunks(v, a->trunks) == 0)
			a->has_trunks = true;
		else if ((KEY("mode") || KEY("group")) && strcmp(a->type, "vhost-user") != 0)
			return vs_reply_error(r, -EINVAL,
			                      "'%s': mode= and group= apply to vhost-user ports "
			                      "(sluice serves the socket) only",
			                      argv[i]);
		else if (KEY("mode") && parse_sock_mode(v, &a->sock_mode) == 0)
			;
		else if (KEY("mode"))
			return vs_reply_error(r, -EINVAL,
			                      "bad socket mode '%s' (octal, 1 to 0777, e.g. 0660)",
			                      v);
		else if (KEY("group") && strlen(v) < sizeof(a->sock_group) && *v != '\0' &&
		         group_exists(v))
			snprintf(a->sock_group, sizeof(a->sock_group), "%s", v);
		else if (KEY("group"))
			return vs_reply_error(r, -EINVAL, "unknown group '%s' in '%s'", v, argv[i]);
		else if (KEY("rxq") || KEY("txq") || KEY("mtu") || KEY("rxd") || KEY("txd") ||
		         KEY("n_mbufs") || KEY("ofport") || KEY("tag") || KEY("trunks") ||
		         KEY("mode") || KEY("group"))
			return vs_reply_error(r, -EINVAL, "bad value in '%s'", argv[i]);
		else
			return vs_reply_error(r, -EINVAL, "unknown port option '%.*s'", (int)klen,
			                      k);
#undef KEY
	}
	if (a->tag != 0 && a->has_trunks)
		return vs_reply_error(r, -EINVAL, "tag= and trunks= exclude each other");
text:
	/* The text goes back through vs_split_words() (config save, reload):
	 * quote a word it would split or take for a comment or a quote. */
	for (i = 0; i < argc && off < sizeof(a->text); i++) {
		bool quote = argv[i][0] == '\0' || argv[i][0] == '#' || argv[i][0] == '"' ||
		             strpbrk(argv[i], " \t\r\n") != NULL;

		if (quote && strchr(argv[i], '"') != NULL)
			return vs_reply_error(r, -EINVAL,
			                      "'%s' cannot be saved in a config file (a quote in a "
			                      "word with spaces)",
			                      argv[i]);
		off += (size_t)snprintf(a->text + off, sizeof(a->text) - off, "%s%s%s%s",
		                        i ? " " : "", quote ? "\"" : "", argv[i],
		                        quote ? "\"" : "");
	}
	return 0;
}

/* ------------------------------------------------------------------ */

struct vs_port *
vs_port_lookup(const struct vs_portmap *map, const char *name_or_number)
{
	unsigned long n;
	uint16_t s;

	if (parse_uint(name_or_number, 1, VS_OFPORT_MAX, &n) == 0)
		return vs_portmap_get(map, (uint32_t)n);
	for (s = 0; s < VS_PORT_MAX; s++)
		if (map->slots[s] != NULL && strcmp(map->slots[s]->name, name_or_number) == 0)
			return map->slots[s];
	return NULL;
}

/* Publishes 'next', reloads the PMDs, waits a grace period, frees 'old'. */
static int
publish_map(struct vs_switch *sw, struct vs_portmap *next)
{
	const struct vs_portmap *old = sw->portmap;
	int ret;

	/* Release: 'next' and its ports are written before a PMD sees them;
	 * pairs with the acquire load in pmd_reload(). */
	__atomic_store_n(&sw->portmap, next, __ATOMIC_RELEASE);
	ret = vs_switch_reload_pmds(sw);
	rte_rcu_qsbr_synchronize(sw->qsbr, RTE_QSBR_THRID_INVALID);
	rte_free((void *)old);
	return ret;
}

static struct vs_portmap *
map_clone(const struct vs_portmap *map)
{
	struct vs_portmap *n = rte_malloc("vs_portmap", sizeof(*n), 0);

	if (n != NULL)
		memcpy(n, map, sizeof(*n));
	return n;
}

/* Finds the ethdev named by the devargs, probing it if EAL does not have it. */
static int
attach_device(const char *devargs, uint16_t *port_id, bool *probed, struct vs_reply *r)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_dev_iterator it;
	size_t n = strcspn(devargs, ",");
	uint16_t id;
	int ret;

	if (n >= sizeof(name))
		return vs_reply_error(r, -EINVAL, "device name too long in '%s'", devargs);
	memcpy(name, devargs, n);
	name[n] = '\0';
	*probed = false;
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	ret = rte_dev_probe(devargs);
	if (ret < 0)
		return vs_reply_error(r, ret, "cannot probe device '%s': %s", devargs,
		                      rte_strerror(-ret));
	*probed = true;
	if (rte_eth_dev_get_port_by_name(name, port_id) == 0)
		return 0;
	RTE_ETH_FOREACH_MATCHING_DEV(id, name, &it)
	{
		*port_id = id;
		rte_eth_iterator_cleanup(&it);
		return 0;
	}
	return vs_reply_error(r, -ENODEV, "device '%s' probed but no ethdev found", name);
}

static void
detach_device(uint16_t port_id, bool probed)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(port_id, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
	if (probed && dev != NULL)
		rte_dev_remove(dev);
}

/* Picks the PMD with the fewest rx queues for each of the port's queues. */
static void
assign_rxqs(struct vs_switch *sw, struct vs_port *p)
{
	unsigned int load[VS_PMD_MAX] = { 0 };
	uint16_t s, q, i;

	for (s = 0; s < VS_PORT_MAX; s++) {
		const struct vs_port *o = sw->portmap->slots[s];

		for (q = 0; o != NULL && q < o->n_rxq; q++)
			load[o->rxq_pmd[q]]++;
	}
	for (q = 0; q < p->n_rxq; q++) {
		uint16_t best = 0;

		for (i = 1; i < sw->n_pmds; i++)
			if (load[i] < load[best])
				best = i;
		p->rxq_pmd[q] = (uint8_t)best;
		load[best]++;
	}
}

static int
configure_device(struct vs_switch *sw, struct vs_port *p, struct vs_reply *r)
{
	const struct vs_port_args *a = &p->args;
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nrxd = a->n_rxd ? a->n_rxd : VS_DEFAULT_RXD;
	uint16_t ntxd = a->n_txd ? a->n_txd : VS_DEFAULT_TXD;
	uint16_t mtu = a->mtu ? a->mtu : RTE_ETHER_MTU;
	int socket = rte_eth_dev_socket_id(p->port_id);
	uint32_t room;
	uint16_t q;
	int ret;

	if (socket < 0)
		socket = (int)rte_socket_id();
	ret = rte_eth_dev_info_get(p->port_id, &info);
	if (ret != 0)
		return vs_reply_error(r, ret, "port %s: cannot read device info: %s", p->name,
		                      rte_strerror(-ret));
	p->n_rxq = RTE_MIN(a->n_rxq ? a->n_rxq : 1, info.max_rx_queues);
	p->n_txq = RTE_MIN(a->n_txq ? a->n_txq : sw->n_pmds, info.max_tx_queues);
	if (p->n_rxq == 0 || p->n_txq == 0)
		return vs_reply_error(r, -ENOTSUP, "port %s: device has no rx or tx queue",
		                      p->name);
	p->txq_shared = p->n_txq < sw->n_pmds;
	p->max_frame = (uint32_t)mtu + RTE_ETHER_HDR_LEN + 4;
	if (p->n_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
				info.flow_type_rss_offloads &
				(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
	}
	if (mtu >= info.min_mtu && mtu <= info.max_mtu)
		conf.rxmode.mtu = mtu;
	room = RTE_MAX((uint32_t)VS_MBUF_ROOM, p->max_frame + RTE_PKTMBUF_HEADROOM);
	if (a->n_mbufs != 0 || room > VS_MBUF_ROOM) {
		char name[RTE_MEMPOOL_NAMESIZE];
		uint32_t n = a->n_mbufs ? a->n_mbufs : 4096u + nrxd * p->n_rxq;

		snprintf(name, sizeof(name), "vs_mp_%u", p->ofport);
		p->mp = rte_pktmbuf_pool_create(name, n, 256, 0, (uint16_t)room, socket);
		if (p->mp == NULL)
			return vs_reply_error(r, -rte_errno,
			                      "port %s: cannot create a pool of %u mbufs: %s",
			                      p->name, n, rte_strerror(rte_errno));
		p->own_mp = true;
	} else {
		p->mp = sw->shared_mp;
	}
	ret = rte_eth_dev_configure(p->port_id, p->n_rxq, p->n_txq, &conf);
	if (ret != 0)
		return vs_reply_error(r, ret, "port %s: configure failed: %s", p->name,
		                      rte_strerror(-ret));
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrxd, &ntxd);
	for (q = 0; q < p->n_rxq; q++) {
		ret = rte_eth_rx_queue_setup(p->port_id, q, nrxd, (unsigned int)socket, NULL,
		                             p->mp);
		if (ret != 0)
			return vs_reply_error(r, ret, "port %s: rx queue %u setup failed: %s",
			                      p->name, q, rte_strerror(-ret));
	}
	for (q = 0; q < p->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(p->port_id, q, ntxd, (unsigned int)socket, NULL);
		if (ret != 0)
			return vs_reply_error(r, ret, "port %s: tx queue %u setup failed: %s",
			                      p->name, q, rte_strerror(-ret));
		rte_spinlock_init(&p->txq_lock[q]);
	}
	if (a->mtu != 0) {
		ret = rte_eth_dev_set_mtu(p->port_id, a->mtu);
		if (ret != 0 && ret != -ENOTSUP)
			PORT_LOG(WARNING, "%s: device refused MTU %u (%s); enforced in software",
			         p->name, a->mtu, rte_strerror(-ret));
	}
	ret = rte_eth_dev_start(p->port_id);
	if (ret != 0)
		return vs_reply_error(r, ret, "port %s: start failed: %s", p->name,
		                      rte_strerror(-ret));
	rte_eth_promiscuous_enable(p->port_id);
	return 0;
}

/* Per-NUMA-socket pools for vhost-user guests whose memory is on another socket than the
 * shared pool; made on first use, kept until exit. */
static struct rte_mempool *vhost_pools[RTE_MAX_NUMA_NODES];
static pthread_mutex_t vhost_pools_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * vhu_mempool_fn: the pool for a guest whose memory is on 'socket' (vhost-events thread, from
 * new_device).  The shared pool when it is on that socket (or the socket is unknown), else a
 * pool of the same size made on that socket; the shared pool if that fails.
 */
static struct rte_mempool *
vhost_mempool(void *arg, int socket)
{
	struct vs_switch *sw = arg;
	struct rte_mempool *mp;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (socket < 0 || socket >= RTE_MAX_NUMA_NODES || socket == sw->shared_mp->socket_id)
		return sw->shared_mp;
	pthread_mutex_lock(&vhost_pools_lock);
	mp = vhost_pools[socket];
	if (mp == NULL) {
		snprintf(name, sizeof(name), "vs_shared_s%d", socket);
		mp = rte_pktmbuf_pool_create(name, sw->shared_mp->size, 256, 0,
		                             RTE_MBUF_DEFAULT_BUF_SIZE, socket);
		if (mp == NULL)
			PORT_LOG(WARNING,
			         "no mbuf pool on NUMA socket %d (%s): guest mbufs come from %s",
			         socket, rte_strerror(rte_errno), sw->shared_mp->name);
		vhost_pools[socket] = mp;
	}
	pthread_mutex_unlock(&vhost_pools_lock);
	return mp != NULL ? mp : sw->shared_mp;
}

/*
 * A vhost-user port: librte_vhost serves or connects to the socket; the PMDs
 * poll the rings of 'rxq' queue pairs (default 2) that the guest enabled, and
 * each PMD transmits on one of the enabled rings (under the per-queue lock,
 * see port_send__() in vs_pmd.c).  Packets are copied in both directions; received ones
 * land in a pool on the guest memory's NUMA socket (vhost_mempool()).
 */
static int
create_vhost(struct vs_switch *sw, struct vs_port *p, struct vs_reply *r)
{
	const struct vs_port_args *a = &p->args;
	struct vhu_port_opts o = {
		.path = a->devargs,
		.mode = strcmp(a->type, "vhost-user") == 0 ? VHU_MODE_SERVER : VHU_MODE_CLIENT,
		.sock_mode = a->sock_mode,
		.sock_group = a->sock_group[0] ? a->sock_group : NULL,
		.mp = sw->shared_mp,
		.get_mempool = vhost_mempool,
		.mempool_arg = sw,
		.qsbr = sw->qsbr,
		.request_reload = vs_switch_request_reload,
		.request_reload_arg = sw,
		.tx_retries = -1,
	};
	uint16_t q;

	p->port_id = UINT16_MAX;
	p->n_rxq = RTE_MIN(a->n_rxq ? a->n_rxq : 2, VHU_MAX_QUEUE_PAIRS);
	p->n_txq = p->n_rxq;
	p->txq_shared = p->n_txq < sw->n_pmds;
	p->max_frame = (uint32_t)(a->mtu ? a->mtu : RTE_ETHER_MTU) + RTE_ETHER_HDR_LEN + 4;
	p->mp = sw->shared_mp;
	for (q = 0; q < p->n_txq; q++)
		rte_spinlock_init(&p->txq_lock[q]);
	p->vhu = vhu_port_create(&o);
	if (p->vhu != NULL)
		return 0;
	if (rte_errno == EADDRINUSE)
		return vs_reply_error(r, -EADDRINUSE,
		                      "port %s: something listens on %s (another switch or a "
		                      "QEMU server?); use vhost-user-client to connect to it",
		                      p->name, a->devargs);
	if (rte_errno == EEXIST)
		return vs_reply_error(r, -EEXIST,
		                      "port %s: %s exists and is not a socket, or another port "
		                      "uses it",
		                      p->name, a->devargs);
	return vs_reply_error(r, -rte_errno, "port %s: vhost-user socket %s: %s", p->name,
	                      a->devargs, rte_strerror(rte_errno));
}

/*
 * A VXLAN tunnel port: no device, no rx queue.  Output is buffered per PMD
 * and encapsulated when the buffer is sent (vs_tunnel_tx()); received
 * packets come from decapsulation on an addressed underlay port.
 */
static int
create_tunnel(struct vs_switch *sw, struct vs_port *p, struct vs_reply *r)
{
	const struct vs_tnl_cfg *c = &p->args.tnl;
	uint16_t s;
	int ret = vs_underlay_init(sw, r);

	if (ret != 0)
		return ret;
	for (s = 0; s < VS_PORT_MAX; s++) {
		const struct vs_port *o = sw->portmap->slots[s];
		const struct vs_tnl_cfg *oc = o != NULL ? o->tnl : NULL;

		if (oc != NULL && oc->local_ip == c->local_ip &&
		    oc->remote_flow == c->remote_flow && oc->remote_ip == c->remote_ip &&
		    oc->key_flow == c->key_flow && oc->vni == c->vni)
			return vs_reply_error(r, -EEXIST,
			                      "port %s has the same local_ip, remote_ip and key",
			                      o->name);
	}
	p->tnl = c;
	p->port_id = UINT16_MAX;
	p->n_rxq = 0;
	p->n_txq = 1;
	p->txq_shared = false;
	/* Encapsulation checks the underlay port's MTU instead. */
	p->max_frame = UINT16_MAX;
	p->mp = sw->shared_mp;
	return 0;
}

static uint16_t
pick_ofport(const struct vs_portmap *map, uint16_t wanted)
{
	uint32_t o;

	if (wanted != 0)
		return vs_portmap_get(map, wanted) == NULL ? wanted : 0;
	for (o = 1; o <= VS_OFPORT_MAX; o++)
		if (map->by_ofport[o] == 0)
			return (uint16_t)o;
	return 0;
}

int
vs_port_add(struct vs_switch *sw, const struct vs_port_args *a, struct vs_reply *r)
{
	const struct vs_portmap *map = sw->portmap;
	struct vs_portmap *next;
	struct vs_port *p;
	uint16_t s, slot = VS_PORT_MAX, i;
	int ret;

	if (vs_port_lookup(map, a->name) != NULL)
		return vs_reply_error(r, -EEXIST, "port %s already exists", a->name);
	for (s = 0; s < VS_PORT_MAX && slot == VS_PORT_MAX; s++)
		if (map->slots[s] == NULL)
			slot = s;
	if (slot == VS_PORT_MAX)
		return vs_reply_error(r, -ENOSPC, "too many ports (%u)", VS_PORT_MAX);
	p = rte_zmalloc("vs_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL)
		return vs_reply_error(r, -ENOMEM, "out of memory");
	p->args = *a;
	snprintf(p->name, sizeof(p->name), "%s", a->name);
	p->slot = slot;
	p->ofport = pick_ofport(map, a->ofport);
	if (p->ofport == 0) {
		ret = vs_reply_error(r, -EEXIST, "ofport %u is in use", a->ofport);
		goto err_free;
	}
	p->tag = a->tag;
	p->trunks_all = !a->has_trunks;
	memcpy(p->trunks, a->trunks, sizeof(p->trunks));
	if (strcmp(a->type, "vxlan") == 0) {
		ret = create_tunnel(sw, p, r);
		if (ret != 0)
			goto err_free;
	} else if (strcmp(a->type, "dpdk") != 0) {
		ret = create_vhost(sw, p, r);
		if (ret != 0)
			goto err_free;
	} else {
		ret = attach_device(a->devargs, &p->port_id, &p->probed, r);
		if (ret != 0)
			goto err_free;
		for (s = 0; s < VS_PORT_MAX; s++) {
			if (map->slots[s] != NULL && map->slots[s]->vhu == NULL &&
			    map->slots[s]->port_id == p->port_id) {
				ret = vs_reply_error(r, -EBUSY, "device '%s' is already port %s",
				                     a->devargs, map->slots[s]->name);
				p->probed = false;
				goto err_free;
			}
		}
		ret = configure_device(sw, p, r);
		if (ret != 0)
			goto err_detach;
	}
	assign_rxqs(sw, p);
	next = map_clone(map);
	if (next == NULL) {
		ret = vs_reply_error(r, -ENOMEM, "out of memory");
		goto err_detach;
	}
	next->slots[slot] = p;
	next->by_ofport[p->ofport] = (uint8_t)(slot + 1);
	next->n_ports++;
	publish_map(sw, next);
	if (p->tnl != NULL)
		vs_underlay_ports_changed(); /* the tunnel table gains it */
	for (i = 0; i < p->n_rxq; i++)
		PORT_LOG(INFO, "%s: rx queue %u on PMD %u", p->name, i, p->rxq_pmd[i]);
	return 0;

err_detach:
	if (p->vhu != NULL)
		vhu_port_destroy(p->vhu);
	else if (p->tnl == NULL)
		detach_device(p->port_id, p->probed);
	if (p->own_mp)
		rte_mempool_free(p->mp);
err_free:
	rte_free(p);
	return ret;
}

/* Pools of deleted ports whose mbufs may still sit in another port's queue. */
static struct rte_mempool *zombie_pools[VS_PORT_MAX];

void
vs_port_reap_pools(void)
{
	unsigned int i;

	for (i = 0; i < VS_PORT_MAX; i++) {
		if (zombie_pools[i] != NULL && rte_mempool_in_use_count(zombie_pools[i]) == 0) {
			rte_mempool_free(zombie_pools[i]);
			zombie_pools[i] = NULL;
		}
	}
}

int
vs_port_del(struct vs_switch *sw, struct vs_port *p, struct vs_reply *r)
{
	struct vs_portmap *next = map_clone(sw->portmap);
	unsigned int i;

	if (next == NULL)
		return vs_reply_error(r, -ENOMEM, "out of memory");
	next->slots[p->slot] = NULL;
	next->by_ofport[p->ofport] = 0;
	next->n_ports--;
	/* Its addresses, routes, neighbours and tunnel go first (grace period inside). */
	vs_underlay_port_removing(p);
	/* After this no PMD polls or sends to the port (reload + grace period). */
	publish_map(sw, next);
	if (p->vhu != NULL)
		vhu_port_destroy(p->vhu);
	else if (p->tnl == NULL)
		detach_device(p->port_id, p->probed);
	vs_mac_flush_port(sw->mac, p->ofport);
	if (p->own_mp) {
		for (i = 0; i < VS_PORT_MAX && zombie_pools[i] != NULL; i++)
			;
		if (rte_mempool_in_use_count(p->mp) == 0 || i == VS_PORT_MAX)
			rte_mempool_free(p->mp);
		else
			zombie_pools[i] = p->mp;
	}
	rte_free(p);
	return 0;
}

void
vs_port_totals(const struct vs_port *p, struct vs_port_stats *t)
{
	unsigned int i, d;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < VS_PMD_MAX; i++) {
		const struct vs_port_stats *s = &p->pmd_stats[i];

		t->rx_packets += __atomic_load_n(&s->rx_packets, __ATOMIC_RELAXED);
		t->rx_bytes += __atomic_load_n(&s->rx_bytes, __ATOMIC_RELAXED);
		t->tx_packets += __atomic_load_n(&s->tx_packets, __ATOMIC_RELAXED);
		t->tx_bytes += __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED);
		for (d = 0; d < VS_PD_N; d++)
			t->drops[d] += __atomic_load_n(&s->drops[d], __ATOMIC_RELAXED);
	}
}

static const char *const port_drop_names[VS_PD_N] = {
#define VS_PD_NAME__(e, s) s,
	VS_PORT_DROPS(VS_PD_NAME__)
#undef VS_PD_NAME__
};

const char *
vs_port_drop_name(enum vs_port_drop d)
{
	return d < VS_PD_N ? port_drop_names[d] : "?";
}
