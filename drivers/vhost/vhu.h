/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user ports over librte_vhost (rte_vhost_driver_*, rte_vhost_enqueue_burst(),
 * rte_vhost_dequeue_burst()); not the net_vhost ethdev.  The driver only moves mbuf bursts
 * between a guest's virtqueues and its caller (STYLE §1): src/ owns the threads, the EAL, the
 * mempools and the RCU variable, and passes them in struct vhu_port_opts.
 *
 * Who calls what:
 *  - Control thread: vhu_port_create(), vhu_port_destroy(), vhu_port_get_info(),
 *    vhu_port_stats_get(), vhu_port_reload_seq().  Create and destroy of different ports may
 *    run concurrently (a registry mutex serialises them); one port is created and destroyed
 *    by one thread.  vhu_port_destroy() must not be called from a thread that is an online
 *    reader of the port's RCU variable (it may wait for a grace period).
 *  - vhost-events thread (librte_vhost's): the device callbacks.  new_device prepares the
 *    port (queue count, mempool of the guest memory's NUMA socket), then publishes the vid
 *    with a release store.  vring_state_changed runs with the device's virtqueue locks held:
 *    it records the ring's state with a release store, bumps the reload sequence and calls
 *    vhu_port_opts.request_reload (which must not wait either); it never waits.  new_device
 *    and destroy_device call it too.  guest_notified runs on a PMD (inside enqueue/dequeue)
 *    and only counts.  destroy_device unpublishes the vid, waits for a grace period (so that no PMD is
 *    still inside vhu_rx_burst()/vhu_tx_burst() with the old vid) and returns.
 *  - PMD threads: vhu_rx_burst(), vhu_tx_burst(), vhu_port_reload_seq().  A PMD must be an
 *    online reader of the RCU variable (or whatever the synchronize callback waits for) for
 *    the whole of each rx/tx call, and report a quiescent state between iterations.  Each
 *    (port, qid, direction) is used by one thread at a time: the counters are single-writer.
 *    A caller that shares a tx queue between PMDs serialises the calls itself (as OVS does
 *    with its tx queue lock); librte_vhost's own per-vring lock keeps the ring safe anyway.
 *  - To follow queues enabled or disabled at run time, the PMDs re-read vhu_port_get_info()
 *    when asked through request_reload (sluice: the switch's reload sequence), or when
 *    vhu_port_reload_seq() moved.  rx/tx check the ring state themselves, so a late reload
 *    costs an empty poll or counted drops, never a use of a ring that is gone.
 *
 * A PMD iteration, in short (the RCU variable is the one given in vhu_port_opts.qsbr):
 *
 *	rte_rcu_qsbr_quiescent(qsbr, pmd->rcu_id);
 *	if (reload requested or vhu_port_reload_seq() moved)  -- rare: re-read the queue masks
 *		pmd_reload(pmd);                              -- vhu_port_get_info()
 *	n = vhu_rx_burst(port, qid, pkts, VS_BURST_MAX);      -- mbufs now ours
 *	...
 *	sent = vhu_tx_burst(port, qid, out, n_out);           -- copies; drops counted
 *	rte_pktmbuf_free_bulk(out, n_out);                    -- always free all of them
 */
#ifndef VHU_H
#define VHU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

/** Most queue pairs one port polls; a guest's further queues are ignored. */
#define VHU_MAX_QUEUE_PAIRS 16
/** Largest burst vhu_rx_burst()/vhu_tx_burst() accept in one call (STYLE §2). */
#define VHU_BURST_MAX 64
/** Default extra vhu_tx_burst() attempts while the guest ring is full. */
#define VHU_TX_RETRIES_DEFAULT 8

struct vhu_port;

/**
 * Returns the mempool for mbufs received from a guest whose memory is on NUMA socket
 * 'socket_id' (SOCKET_ID_ANY when unknown), or NULL to refuse the device.  Called on the
 * vhost-events thread from new_device; must not block on the PMDs.
 */
typedef struct rte_mempool *vhu_mempool_fn(void *arg, int socket_id);

/** Waits until every reader that may have seen the old vid has passed a quiescent state. */
typedef void vhu_synchronize_fn(void *arg);

/**
 * Asks the PMDs to re-read the port (vhu_port_get_info()) at their next iteration.  Called on
 * the vhost-events thread, from vring_state_changed with the device's virtqueue locks held:
 * it must return at once and never wait for a PMD.
 */
typedef void vhu_reload_fn(void *arg);

/** Socket role. */
enum vhu_mode {
	VHU_MODE_CLIENT, /**< sluice connects, QEMU serves; librte_vhost reconnects. */
	VHU_MODE_SERVER, /**< sluice serves the socket, QEMU connects. */
};

/** Options of vhu_port_create(); copied, so the caller may free them afterwards. */
struct vhu_port_opts {
	const char *path;       /**< Unix socket path (required). */
	enum vhu_mode mode;     /**< Client or server. */
	uint64_t vhost_flags;   /**< Extra RTE_VHOST_USER_* flags, e.g. NO_RECONNECT. */
	uint32_t sock_mode;     /**< Server: chmod() of the socket, 0 = leave as created. */
	const char *sock_group; /**< Server: group name of the socket, NULL = leave. */
	/** Mempool used for every socket when 'get_mempool' is NULL. */
	struct rte_mempool *mp;
	vhu_mempool_fn *get_mempool; /**< Per-NUMA-socket mempool lookup, or NULL. */
	void *mempool_arg;           /**< Argument of 'get_mempool'. */
	/** Grace period: an RCU variable the PMDs report quiescent states to, or ... */
	struct rte_rcu_qsbr *qsbr;
	vhu_synchronize_fn *synchronize; /**< ... a callback, used when 'qsbr' is NULL. */
	void *synchronize_arg;           /**< Argument of 'synchronize'. */
	/** Called after every change of what the PMDs should poll (device up or down, a ring
	 * enabled or disabled), after vhu_port_reload_seq() moved; NULL = none. */
	vhu_reload_fn *request_reload;
	void *request_reload_arg; /**< Argument of 'request_reload'. */
	/** Extra enqueue attempts per burst while the ring is full (each may notify the guest);
	 * negative selects VHU_TX_RETRIES_DEFAULT, 0 gives at most one notification per burst. */
	int tx_retries;
	/** Keep the checksum/TSO/UFO virtio-net features (off by default: the packets then
	 * need ol_flags handling downstream, see RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS). */
	bool offloads;
};

/** Snapshot of a port's state (control thread, or a PMD after its reload sequence moved). */
struct vhu_port_info {
	bool link_up;           /**< A guest device is published (new_device done). */
	int vid;                /**< librte_vhost device id, -1 when down. */
	int numa_node;          /**< Guest memory's NUMA socket, SOCKET_ID_ANY if unknown. */
	uint16_t n_queue_pairs; /**< Queue pairs the guest offers (capped). */
	uint32_t rxq_enabled;   /**< Bit q: the guest's tx ring of pair q (our rx) is enabled. */
	uint32_t txq_enabled;   /**< Bit q: the guest's rx ring of pair q (our tx) is enabled. */
	uint64_t n_connects;    /**< new_device calls so far. */
	uint64_t n_disconnects; /**< destroy_device calls so far. */
	/** Interrupts injected into the guest (eventfd kicks by librte_vhost) so far.  Only a
	 * call that moved packets may kick, once: this stays at or below the sum of rx_bursts,
	 * tx_bursts and tx_retries over the queues (0 for a guest that polls). */
	uint64_t n_guest_notifications;
	/** virtio features the guest negotiated (1 << VIRTIO_NET_F_MRG_RXBUF, ...), 0 when down. */
	uint64_t features;
	/** Mempool of the mbufs received from the guest (chosen at new_device), or NULL. */
	const struct rte_mempool *mp;
};

/** Per-queue-pair counters; each is written by one thread, read with relaxed loads. */
struct vhu_queue_stats {
	uint64_t rx_packets; /**< Dequeued from the guest. */
	uint64_t rx_bytes;   /**< Their pkt_len sum. */
	uint64_t tx_packets; /**< Enqueued to the guest. */
	uint64_t tx_bytes;   /**< Their pkt_len sum. */
	uint64_t tx_drops;   /**< Not enqueued: ring full after retries, queue or link down. */
	uint64_t tx_retries; /**< Extra enqueue calls made because the ring was full. */
	uint64_t rx_bursts;  /**< Dequeue calls that returned packets. */
	uint64_t tx_bursts;  /**< vhu_tx_burst() calls that enqueued packets. */
};

/**
 * Creates a port and starts librte_vhost on its socket.  Server mode: a socket file that
 * nothing listens on is removed first; one that something listens on, or a path that is not
 * a socket, is an error (EADDRINUSE, EEXIST).  Control thread only.
 *
 * @param opts  Options, see struct vhu_port_opts.
 * @return The port, or NULL with rte_errno set (EINVAL, ENOMEM, EEXIST, EADDRINUSE, EIO).
 */
struct vhu_port *vhu_port_create(const struct vhu_port_opts *opts);

/**
 * Stops and frees a port; safe while a guest is connected: the device is destroyed first
 * (unpublished, then a grace period), so no PMD uses it when this returns.  The PMDs must
 * have stopped polling 'port' itself (that is the caller's RCU), not only its vid.
 * Accepts NULL.  Server mode: the socket file is removed.
 */
void vhu_port_destroy(struct vhu_port *port);

/**
 * Receives up to 'n' (≤ VHU_BURST_MAX) packets from the guest's tx ring of queue pair 'qid'.
 * The mbufs come from the mempool chosen at new_device and belong to the caller.
 *
 * @return Packets stored in pkts[0, ret); 0 when the link or the queue is down.
 */
uint16_t vhu_rx_burst(struct vhu_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);

/**
 * Copies up to 'n' (≤ VHU_BURST_MAX) packets into the guest's rx ring of queue pair 'qid'.
 * The caller frees every packet (librte_vhost copies).  The guest is notified at most once per
 * enqueue call, and not at all when it suppresses notifications.  A ring that filled up after
 * taking part of the burst is retried at most tx_retries times (counted in tx_retries); a call
 * that takes nothing ends the burst.  What is left is counted in tx_drops, as is everything
 * when the link or the queue is down.
 *
 * @return Packets copied, from pkts[0].
 */
uint16_t vhu_tx_burst(struct vhu_port *port, uint16_t qid, struct rte_mbuf **pkts, uint16_t n);

/**
 * Sequence bumped (release) whenever the device appears or goes, or a ring is enabled or
 * disabled.  A PMD that sees a new value (acquire) re-reads vhu_port_get_info().
 */
uint64_t vhu_port_reload_seq(const struct vhu_port *port);

/** Fills 'info'.  @return 0, or -EINVAL. */
int vhu_port_get_info(const struct vhu_port *port, struct vhu_port_info *info);

/** Reads the counters of queue pair 'qid'.  @return 0, or -EINVAL. */
int vhu_port_stats_get(const struct vhu_port *port, uint16_t qid, struct vhu_queue_stats *stats);

/**
 * Names the virtio features in 'features' that matter for a switch port (mrg_rxbuf,
 * indirect_desc, event_idx, mq, version_1, packed, csum, host_tso4), space-separated.
 * @return 'buf' (empty string when none).
 */
const char *vhu_features_str(uint64_t features, char *buf, size_t size);

/** The socket path given at creation. */
const char *vhu_port_path(const struct vhu_port *port);

#endif /* VHU_H */
