/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user ports on librte_vhost: socket setup, the device callbacks and the rx/tx bursts.
 * See vhu.h for who calls what.  Callbacks find their port by the socket path
 * (rte_vhost_get_ifname()) in a registry that only the control path edits; a port stays valid
 * for the callbacks until rte_vhost_driver_unregister() has returned, which waits for any
 * callback of that socket still running.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_vhost.h>

#include "vhu.h"

RTE_LOG_REGISTER_DEFAULT(vhu_logtype, INFO);
#define RTE_LOGTYPE_VHU          vhu_logtype
#define VHU_LOG(level, fmt, ...) RTE_LOG(level, VHU, "%s(): " fmt "\n", __func__, ##__VA_ARGS__)

/* virtio ring numbering: pair q has the guest's rx ring at 2q (our tx), tx ring at 2q+1. */
#define VHU_RING_GUEST_RX(q) ((uint16_t)(2 * (q)))
#define VHU_RING_GUEST_TX(q) ((uint16_t)(2 * (q) + 1))

/* Checksum and segmentation offloads, turned off unless the caller asks for them (as OVS
 * does without userspace-tso): with them, a guest sends 64 KiB TSO frames with partial
 * checksums that nothing downstream of the switch would finish. */
#define VHU_OFFLOAD_FEATURES                                                                       \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |                         \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |                     \
	 (1ULL << VIRTIO_NET_F_HOST_ECN) | (1ULL << VIRTIO_NET_F_HOST_UFO) |                       \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |                   \
	 (1ULL << VIRTIO_NET_F_GUEST_ECN) | (1ULL << VIRTIO_NET_F_GUEST_UFO))

/* One direction of one queue pair: written by the one PMD polling it, read by the control
 * thread.  Own cache line, so rx and tx PMDs do not share one. */
struct vhu_dir {
	uint64_t packets; /* Single writer (relaxed store), relaxed readers. */
	uint64_t bytes;   /* Same. */
	uint64_t drops;   /* Same (tx only). */
	uint64_t retries; /* Same (tx only). */
	uint64_t bursts;  /* Same: calls that moved packets. */
	/* Ring enabled: release store by vring_state_changed (vhost-events thread), acquire
	 * load by the PMD and by vhu_port_get_info(). */
	uint8_t enabled;
} __rte_cache_aligned;

struct vhu_queue {
	struct vhu_dir rx; /* Guest tx ring. */
	struct vhu_dir tx; /* Guest rx ring. */
};

struct vhu_port {
	/* Read by the PMDs on every burst. */
	/* Published device: -1, or the vid.  Release store by new_device after 'mp' and
	 * 'n_qp' are set; acquire load in rx/tx.  destroy_device stores -1 (release) and
	 * waits for a grace period before the vid may be freed by librte_vhost. */
	int vid;
	uint16_t n_qp;          /* Valid while 'vid' >= 0; written before its release. */
	uint64_t features;      /* Same: negotiated virtio features. */
	int tx_retries;         /* Immutable. */
	struct rte_mempool *mp; /* Valid while 'vid' >= 0; written before its release. */
	/* Bumped (release) by every callback that changes what the PMDs poll. */
	uint64_t reload_seq;

	/* Immutable after create. */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	enum vhu_mode mode;
	struct rte_mempool *mp_default;
	vhu_mempool_fn *get_mempool;
	void *mempool_arg;
	struct rte_rcu_qsbr *qsbr;
	vhu_synchronize_fn *synchronize;
	void *synchronize_arg;
	vhu_reload_fn *request_reload;
	void *request_reload_arg;

	/* vhost-events thread only (relaxed for readers). */
	int numa_node;
	uint64_t n_connects;
	uint64_t n_disconnects;

	/* Any PMD (guest_notified runs inside enqueue/dequeue): relaxed fetch-add, at most once
	 * per librte_vhost call, next to an eventfd write that costs far more. */
	uint64_t n_guest_notifications;

	/* Registry link, under vhu_registry_lock. */
	LIST_ENTRY(vhu_port) node;

	struct vhu_queue queues[VHU_MAX_QUEUE_PAIRS];
};

static pthread_mutex_t vhu_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, vhu_port) vhu_registry = LIST_HEAD_INITIALIZER(vhu_registry);

/* Port of each published vid, for guest_notified, which runs on the PMDs and may not take the
 * registry lock.  Release store by new_device before the vid is published; destroy_device
 * clears it after its grace period, when no PMD can be inside a call on that vid.  librte_vhost
 * numbers devices below its RTE_MAX_VHOST_DEVICE (1024). */
#define VHU_MAX_VID 1024
static struct vhu_port *vhu_by_vid[VHU_MAX_VID];

/* Finds the port of device 'vid'.  The pointer stays valid after the unlock: the port is
 * unlinked only after rte_vhost_driver_unregister(), which waits for running callbacks. */
static struct vhu_port *
port_of_vid__(int vid)
{
	char ifname[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vhu_port *port;

	if (rte_vhost_get_ifname(vid, ifname, sizeof(ifname)) != 0)
		return NULL;
	pthread_mutex_lock(&vhu_registry_lock);
	LIST_FOREACH (port, &vhu_registry, node) {
		if (strcmp(port->path, ifname) == 0)
			break;
	}
	pthread_mutex_unlock(&vhu_registry_lock);
	return port;
}

static void
request_reload__(struct vhu_port *port)
{
	/* Release: pairs with the acquire in vhu_port_reload_seq(), so a PMD that sees the new
	 * value also sees the ring state or vid stored before it. */
	__atomic_add_fetch(&port->reload_seq, 1, __ATOMIC_RELEASE);
	/* Never waits (contract of vhu_reload_fn): safe under the virtqueue locks. */
	if (port->request_reload != NULL)
		port->request_reload(port->request_reload_arg);
}

static void
synchronize__(struct vhu_port *port)
{
	if (port->qsbr != NULL)
		rte_rcu_qsbr_synchronize(port->qsbr, RTE_QSBR_THRID_INVALID);
	else
		port->synchronize(port->synchronize_arg);
}

static int
vhu_new_device(int vid)
{
	struct vhu_port *port = port_of_vid__(vid);
	struct rte_mempool *mp;
	uint16_t n_rings, i;
	int numa;

	if (port == NULL)
		return -1;
	numa = rte_vhost_get_numa_node(vid);
	if (numa < 0)
		numa = SOCKET_ID_ANY;
	mp = port->get_mempool != NULL ? port->get_mempool(port->mempool_arg, numa) :
	                                 port->mp_default;
	if (mp == NULL) {
		VHU_LOG(ERR, "%s: no mempool for NUMA socket %d, refusing the device", port->path,
		        numa);
		return -1;
	}
	if (rte_vhost_get_negotiated_features(vid, &port->features) != 0)
		port->features = 0;
	n_rings = rte_vhost_get_vring_num(vid);
	/* The PMDs poll: the guest need not kick us on its tx rings. */
	for (i = 0; i < n_rings; i++)
		rte_vhost_enable_guest_notification(vid, i, 0);
	port->mp = mp;
	port->n_qp = RTE_MIN(n_rings / 2, VHU_MAX_QUEUE_PAIRS);
	port->numa_node = numa;
	__atomic_store_n(&port->n_connects, port->n_connects + 1, __ATOMIC_RELAXED);
	if (vid < VHU_MAX_VID)
		/* Release: pairs with the acquire in vhu_guest_notified(). */
		__atomic_store_n(&vhu_by_vid[vid], port, __ATOMIC_RELEASE);
	/* Release: pairs with the acquire loads in vhu_rx_burst()/vhu_tx_burst(); 'mp' and
	 * 'n_qp' above are visible to a PMD that sees the vid. */
	__atomic_store_n(&port->vid, vid, __ATOMIC_RELEASE);
	request_reload__(port);
	VHU_LOG(INFO, "%s: device %d up, %u queue pair(s), NUMA %d", port->path, vid, port->n_qp,
	        numa);
	return 0;
}

static void
vhu_destroy_device(int vid)
{
	struct vhu_port *port = port_of_vid__(vid);
	unsigned int q;

	if (port == NULL || __atomic_load_n(&port->vid, __ATOMIC_RELAXED) != vid)
		return;
	/* Release: a PMD that loads -1 (acquire) no longer calls into librte_vhost. */
	__atomic_store_n(&port->vid, -1, __ATOMIC_RELEASE);
	request_reload__(port);
	/* A PMD that loaded the old vid before the store is inside rx/tx until its next
	 * quiescent state; librte_vhost frees the virtqueues after we return.  Waiting is safe
	 * here, unlike in vring_state_changed: librte_vhost calls destroy_device (disconnect,
	 * GET_VRING_BASE, RESET_OWNER, driver unregister) without the virtqueue locks, so a
	 * PMD blocked on a vq access_lock in rte_vhost_enqueue_burst() gets through. */
	synchronize__(port);
	if (vid < VHU_MAX_VID)
		__atomic_store_n(&vhu_by_vid[vid], NULL, __ATOMIC_RELAXED);
	for (q = 0; q < VHU_MAX_QUEUE_PAIRS; q++) {
		__atomic_store_n(&port->queues[q].rx.enabled, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&port->queues[q].tx.enabled, 0, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&port->n_disconnects, port->n_disconnects + 1, __ATOMIC_RELAXED);
	request_reload__(port);
	VHU_LOG(INFO, "%s: device %d down", port->path, vid);
}

/* Runs with the device's virtqueue locks held: record and ask for a reload, never wait. */
static int
vhu_vring_state_changed(int vid, uint16_t ring, int enable)
{
	struct vhu_port *port = port_of_vid__(vid);
	uint16_t q = ring / 2;
	struct vhu_dir *dir;

	if (port == NULL)
		return -1;
	if (q >= VHU_MAX_QUEUE_PAIRS)
		return 0;
	dir = (ring & 1) ? &port->queues[q].rx : &port->queues[q].tx;
	/* Release: pairs with the acquire in rx/tx and vhu_port_get_info(). */
	__atomic_store_n(&dir->enabled, enable ? 1 : 0, __ATOMIC_RELEASE);
	request_reload__(port);
	return 0;
}

/* Runs on a PMD inside rte_vhost_enqueue_burst()/dequeue, right after librte_vhost kicked the
 * guest's call eventfd; only counts. */
static void
vhu_guest_notified(int vid)
{
	struct vhu_port *port;

	if (vid < 0 || vid >= VHU_MAX_VID)
		return;
	/* Acquire: pairs with the release in vhu_new_device(). */
	port = __atomic_load_n(&vhu_by_vid[vid], __ATOMIC_ACQUIRE);
	if (port != NULL)
		__atomic_fetch_add(&port->n_guest_notifications, 1, __ATOMIC_RELAXED);
}

static const struct rte_vhost_device_ops vhu_ops = {
	.new_device = vhu_new_device,
	.destroy_device = vhu_destroy_device,
	.vring_state_changed = vhu_vring_state_changed,
	.guest_notified = vhu_guest_notified,
};

static uint64_t
sum_bytes__(struct rte_mbuf *const *pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	return bytes;
}

uint16_t
vhu_rx_burst(struct vhu_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	/* Acquire: pairs with the release in vhu_new_device(); 'mp' and 'n_qp' are valid. */
	int vid = __atomic_load_n(&port->vid, __ATOMIC_ACQUIRE);
	struct vhu_dir *dir;
	uint16_t n_rx;

	RTE_ASSERT(qid < VHU_MAX_QUEUE_PAIRS && n <= VHU_BURST_MAX);
	if (vid < 0 || qid >= port->n_qp)
		return 0;
	dir = &port->queues[qid].rx;
	/* Acquire: pairs with the release in vhu_vring_state_changed(). */
	if (!__atomic_load_n(&dir->enabled, __ATOMIC_ACQUIRE))
		return 0;
	n_rx = rte_vhost_dequeue_burst(vid, VHU_RING_GUEST_TX(qid), port->mp, pkts, n);
	if (n_rx != 0) {
		__atomic_store_n(&dir->bursts, dir->bursts + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&dir->packets, dir->packets + n_rx, __ATOMIC_RELAXED);
		__atomic_store_n(&dir->bytes, dir->bytes + sum_bytes__(pkts, n_rx),
		                 __ATOMIC_RELAXED);
	}
	return n_rx;
}

uint16_t
vhu_tx_burst(struct vhu_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n)
{
	/* Acquire: pairs with the release in vhu_new_device(). */
	int vid = __atomic_load_n(&port->vid, __ATOMIC_ACQUIRE);
	struct vhu_dir *dir = &port->queues[qid].tx;
	uint16_t n_tx = 0, k;
	int retries = port->tx_retries;

	RTE_ASSERT(qid < VHU_MAX_QUEUE_PAIRS && n <= VHU_BURST_MAX);
	/* Acquire on 'enabled': pairs with the release in vhu_vring_state_changed(). */
	if (vid >= 0 && qid < port->n_qp && __atomic_load_n(&dir->enabled, __ATOMIC_ACQUIRE)) {
		/* One enqueue call notifies the guest at most once, and only if it enqueued
		 * something and the guest did not suppress it.  A retry happens only when the ring
		 * filled up after some progress (as OVS does): a call that took nothing ends the
		 * burst, so a stalled guest costs one call per burst, never tx_retries. */
		for (;;) {
			k = rte_vhost_enqueue_burst(vid, VHU_RING_GUEST_RX(qid), pkts + n_tx,
			                            n - n_tx);
			n_tx += k;
			if (n_tx == n || k == 0 || retries <= 0)
				break;
			retries--;
		}
		if (retries != port->tx_retries)
			__atomic_store_n(&dir->retries,
			                 dir->retries + (uint64_t)(port->tx_retries - retries),
			                 __ATOMIC_RELAXED);
	}
	if (n_tx != 0) {
		__atomic_store_n(&dir->bursts, dir->bursts + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&dir->packets, dir->packets + n_tx, __ATOMIC_RELAXED);
		__atomic_store_n(&dir->bytes, dir->bytes + sum_bytes__(pkts, n_tx),
		                 __ATOMIC_RELAXED);
	}
	if (n_tx != n)
		__atomic_store_n(&dir->drops, dir->drops + (n - n_tx), __ATOMIC_RELAXED);
	return n_tx;
}

uint64_t
vhu_port_reload_seq(const struct vhu_port *port)
{
	/* Acquire: pairs with the release in request_reload__(). */
	return __atomic_load_n(&port->reload_seq, __ATOMIC_ACQUIRE);
}

int
vhu_port_get_info(const struct vhu_port *port, struct vhu_port_info *info)
{
	unsigned int q;
	int vid;

	if (port == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	/* Acquire: pairs with the release in vhu_new_device(). */
	vid = __atomic_load_n(&port->vid, __ATOMIC_ACQUIRE);
	info->vid = vid;
	info->link_up = vid >= 0;
	info->numa_node = vid >= 0 ? port->numa_node : SOCKET_ID_ANY;
	info->n_queue_pairs = vid >= 0 ? port->n_qp : 0;
	for (q = 0; q < info->n_queue_pairs; q++) {
		/* Acquire: pairs with the release in vhu_vring_state_changed(). */
		if (__atomic_load_n(&port->queues[q].rx.enabled, __ATOMIC_ACQUIRE))
			info->rxq_enabled |= UINT32_C(1) << q;
		if (__atomic_load_n(&port->queues[q].tx.enabled, __ATOMIC_ACQUIRE))
			info->txq_enabled |= UINT32_C(1) << q;
	}
	info->n_connects = __atomic_load_n(&port->n_connects, __ATOMIC_RELAXED);
	info->n_disconnects = __atomic_load_n(&port->n_disconnects, __ATOMIC_RELAXED);
	info->n_guest_notifications =
			__atomic_load_n(&port->n_guest_notifications, __ATOMIC_RELAXED);
	info->mp = vid >= 0 ? port->mp : NULL;
	info->features = vid >= 0 ? port->features : 0;
	return 0;
}

int
vhu_port_stats_get(const struct vhu_port *port, uint16_t qid, struct vhu_queue_stats *stats)
{
	const struct vhu_queue *q;

	if (port == NULL || stats == NULL || qid >= VHU_MAX_QUEUE_PAIRS)
		return -EINVAL;
	q = &port->queues[qid];
	stats->rx_packets = __atomic_load_n(&q->rx.packets, __ATOMIC_RELAXED);
	stats->rx_bytes = __atomic_load_n(&q->rx.bytes, __ATOMIC_RELAXED);
	stats->tx_packets = __atomic_load_n(&q->tx.packets, __ATOMIC_RELAXED);
	stats->tx_bytes = __atomic_load_n(&q->tx.bytes, __ATOMIC_RELAXED);
	stats->tx_drops = __atomic_load_n(&q->tx.drops, __ATOMIC_RELAXED);
	stats->tx_retries = __atomic_load_n(&q->tx.retries, __ATOMIC_RELAXED);
	stats->rx_bursts = __atomic_load_n(&q->rx.bursts, __ATOMIC_RELAXED);
	stats->tx_bursts = __atomic_load_n(&q->tx.bursts, __ATOMIC_RELAXED);
	return 0;
}

/* virtio features worth showing for a vhost-user guest: (bit, name). */
static const struct {
	unsigned int bit;
	const char *name;
} vhu_feature_names[] = {
	{ VIRTIO_NET_F_MRG_RXBUF, "mrg_rxbuf" },
	{ VIRTIO_RING_F_INDIRECT_DESC, "indirect_desc" },
	{ VIRTIO_RING_F_EVENT_IDX, "event_idx" },
	{ VIRTIO_NET_F_MQ, "mq" },
	{ VIRTIO_F_VERSION_1, "version_1" },
	{ VIRTIO_F_RING_PACKED, "packed" },
	{ VIRTIO_NET_F_CSUM, "csum" },
	{ VIRTIO_NET_F_HOST_TSO4, "host_tso4" },
};

const char *
vhu_features_str(uint64_t features, char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(vhu_feature_names) && off < size; i++)
		if (features >> vhu_feature_names[i].bit & 1)
			off += (size_t)snprintf(buf + off, size - off, "%s%s", off ? " " : "",
			                        vhu_feature_names[i].name);
	return buf;
}

const char *
vhu_port_path(const struct vhu_port *port)
{
	return port->path;
}

/* Server mode: removes a socket file nothing listens on.  Returns 0 or a negative errno. */
static int
remove_stale_socket__(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		VHU_LOG(ERR, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sun.sun_path, path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		VHU_LOG(ERR, "%s: something listens on it", path);
		return -EADDRINUSE;
	}
	if (errno != ECONNREFUSED)
		return -errno;
	VHU_LOG(INFO, "%s: removing stale socket", path);
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Server mode: applies mode and group to the socket created by rte_vhost_driver_start(). */
static int
set_socket_perms__(const struct vhu_port_opts *opts)
{
	char buf[1024];
	struct group grp, *res = NULL;

	if (opts->sock_mode != 0 && chmod(opts->path, opts->sock_mode) != 0)
		return -errno;
	if (opts->sock_group == NULL)
		return 0;
	if (getgrnam_r(opts->sock_group, &grp, buf, sizeof(buf), &res) != 0 || res == NULL) {
		VHU_LOG(ERR, "%s: unknown group %s", opts->path, opts->sock_group);
		return -ENOENT;
	}
	if (chown(opts->path, (uid_t)-1, grp.gr_gid) != 0)
		return -errno;
	return 0;
}

static int
check_opts__(const struct vhu_port_opts *opts)
{
	if (opts == NULL || opts->path == NULL || opts->path[0] == '\0' ||
	    strlen(opts->path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -EINVAL;
	if (opts->mode != VHU_MODE_CLIENT && opts->mode != VHU_MODE_SERVER)
		return -EINVAL;
	if (opts->mp == NULL && opts->get_mempool == NULL)
		return -EINVAL;
	if (opts->qsbr == NULL && opts->synchronize == NULL)
		return -EINVAL;
	if (opts->vhost_flags & RTE_VHOST_USER_CLIENT)
		return -EINVAL; /* Use 'mode'. */
	return 0;
}

static struct vhu_port *
port_alloc__(const struct vhu_port_opts *opts)
{
	struct vhu_port *port = rte_zmalloc("vhu_port", sizeof(*port), RTE_CACHE_LINE_SIZE);

	if (port == NULL)
		return NULL;
	port->vid = -1;
	port->tx_retries = opts->tx_retries < 0 ? VHU_TX_RETRIES_DEFAULT : opts->tx_retries;
	strcpy(port->path, opts->path);
	port->mode = opts->mode;
	port->mp_default = opts->mp;
	port->get_mempool = opts->get_mempool;
	port->mempool_arg = opts->mempool_arg;
	port->qsbr = opts->qsbr;
	port->synchronize = opts->synchronize;
	port->synchronize_arg = opts->synchronize_arg;
	port->request_reload = opts->request_reload;
	port->request_reload_arg = opts->request_reload_arg;
	port->numa_node = SOCKET_ID_ANY;
	return port;
}

struct vhu_port *
vhu_port_create(const struct vhu_port_opts *opts)
{
	struct vhu_port *port, *other;
	uint64_t flags;
	int rc;

	rc = check_opts__(opts);
	if (rc != 0)
		goto err;
	port = port_alloc__(opts);
	if (port == NULL) {
		rc = -ENOMEM;
		goto err;
	}
	pthread_mutex_lock(&vhu_registry_lock);
	LIST_FOREACH (other, &vhu_registry, node) {
		if (strcmp(other->path, port->path) == 0)
			break;
	}
	if (other != NULL) {
		pthread_mutex_unlock(&vhu_registry_lock);
		rc = -EEXIST;
		goto err_free;
	}
	/* Linked before start: the callbacks may run as soon as the driver starts. */
	LIST_INSERT_HEAD(&vhu_registry, port, node);
	pthread_mutex_unlock(&vhu_registry_lock);

	if (opts->mode == VHU_MODE_SERVER) {
		rc = remove_stale_socket__(opts->path);
		if (rc != 0)
			goto err_unlink;
	}
	flags = opts->vhost_flags | (opts->mode == VHU_MODE_CLIENT ? RTE_VHOST_USER_CLIENT : 0);
	if (rte_vhost_driver_register(port->path, flags) != 0) {
		rc = -EIO;
		goto err_unlink;
	}
	if (!opts->offloads &&
	    rte_vhost_driver_disable_features(port->path, VHU_OFFLOAD_FEATURES) != 0) {
		rc = -EIO;
		goto err_unregister;
	}
	if (rte_vhost_driver_callback_register(port->path, &vhu_ops) != 0 ||
	    rte_vhost_driver_start(port->path) != 0) {
		rc = -EIO;
		goto err_unregister;
	}
	if (opts->mode == VHU_MODE_SERVER) {
		rc = set_socket_perms__(opts);
		if (rc != 0)
			goto err_unregister;
	}
	VHU_LOG(INFO, "%s: %s port created", port->path,
	        opts->mode == VHU_MODE_CLIENT ? "client" : "server");
	return port;

err_unregister:
	rte_vhost_driver_unregister(port->path);
err_unlink:
	pthread_mutex_lock(&vhu_registry_lock);
	LIST_REMOVE(port, node);
	pthread_mutex_unlock(&vhu_registry_lock);
err_free:
	rte_free(port);
err:
	VHU_LOG(ERR, "%s: %s", opts != NULL && opts->path != NULL ? opts->path : "(null)",
	        strerror(-rc));
	rte_errno = -rc;
	return NULL;
}

void
vhu_port_destroy(struct vhu_port *port)
{
	int rc;

	if (port == NULL)
		return;
	/* Destroys a connected device on this thread (destroy_device: unpublish, grace
	 * period) and waits for callbacks running on the vhost-events thread; the port stays in
	 * the registry meanwhile so that they find it.  Server mode: unlinks the socket. */
	do {
		rc = rte_vhost_driver_unregister(port->path);
		if (rc == -EBUSY)
			usleep(1000);
	} while (rc == -EBUSY);
	if (rc != 0)
		VHU_LOG(WARNING, "%s: unregister: %d", port->path, rc);
	pthread_mutex_lock(&vhu_registry_lock);
	LIST_REMOVE(port, node);
	pthread_mutex_unlock(&vhu_registry_lock);
	VHU_LOG(INFO, "%s: port destroyed", port->path);
	rte_free(port);
}
