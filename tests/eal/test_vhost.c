/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/vhost against a real guest side: dpdk-testpmd with net_virtio_user, run as a
 * separate process driven through its interactive prompt (stdin pipe, stdout to a log), and
 * this process as the vhost side with EAL in-process and one polling thread that plays a PMD
 * (RCU reader, quiescent state per iteration).  No hugepages are needed: both EALs run with
 * --no-huge, whose memory is a memfd that virtio_user can share.  Every process started here
 * is killed by its PID.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "test_vhost_tp.h"
#include "vhu.h"

#define TESTPMD   "dpdk-testpmd"
#define N_QP      2
#define BURST     32
#define TX_BURSTS 200

/* The "PMD": polls both queue pairs of 'port' until 'stop'. */
struct poller {
	pthread_t thread;
	struct vhu_port *port;
	int stop;            /* Main → poller, relaxed (polled). */
	int tx_budget;       /* Bursts to send; main adds, poller consumes. */
	uint64_t n_rx[N_QP]; /* Written by the poller, read relaxed. */
	uint64_t n_tx_sent;  /* Packets offered to vhu_tx_burst(). */
	uint64_t n_iter;     /* Iterations, to know the poller ran. */
};

static struct rte_mempool *mp;
static struct rte_rcu_qsbr *qsbr;
static char sock_path[108];
static char tmpdir[64];
static int tp_seq;
static struct vtp g_tp;         /* The one guest; killed by test_teardown() if a test fails. */
static struct vhu_port *g_port; /* Destroyed by test_teardown() if a test fails. */
static struct poller g_poller;
static bool g_polling; /* Poller running: stopped by test_teardown(). */

/* ---------------------------------------------------------------- the PMD thread */

static void
fill_frames(struct rte_mbuf **pkts, unsigned int n)
{
	static const uint8_t frame[60] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5, /* local ethertype */
	};
	unsigned int i;

	for (i = 0; i < n; i++)
		memcpy(rte_pktmbuf_append(pkts[i], sizeof(frame)), frame, sizeof(frame));
}

/* Takes one burst from the budget; the main thread may reset it to 0 at any time. */
static bool
claim_burst(struct poller *p)
{
	int b = __atomic_load_n(&p->tx_budget, __ATOMIC_RELAXED);

	while (b > 0) {
		if (__atomic_compare_exchange_n(&p->tx_budget, &b, b - 1, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static void *
poller_main(void *arg)
{
	struct poller *p = arg;
	struct rte_mbuf *pkts[BURST];
	uint16_t q, n;

	rte_rcu_qsbr_thread_register(qsbr, 0);
	rte_rcu_qsbr_thread_online(qsbr, 0);
	while (!__atomic_load_n(&p->stop, __ATOMIC_RELAXED)) {
		rte_rcu_qsbr_quiescent(qsbr, 0);
		for (q = 0; q < N_QP; q++) {
			n = vhu_rx_burst(p->port, q, pkts, BURST);
			if (n == 0)
				continue;
			__atomic_store_n(&p->n_rx[q], p->n_rx[q] + n, __ATOMIC_RELAXED);
			rte_pktmbuf_free_bulk(pkts, n);
		}
		if (claim_burst(p) && rte_pktmbuf_alloc_bulk(mp, pkts, BURST) == 0) {
			fill_frames(pkts, BURST);
			vhu_tx_burst(p->port, (uint16_t)(p->n_iter % N_QP), pkts, BURST);
			rte_pktmbuf_free_bulk(pkts, BURST); /* tx copies: we free every packet */
			__atomic_store_n(&p->n_tx_sent, p->n_tx_sent + BURST, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&p->n_iter, p->n_iter + 1, __ATOMIC_RELAXED);
	}
	rte_rcu_qsbr_thread_offline(qsbr, 0);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	return NULL;
}

static void
poller_start(struct poller *p, struct vhu_port *port)
{
	memset(p, 0, sizeof(*p));
	p->port = port;
	assert_int_equal(pthread_create(&p->thread, NULL, poller_main, p), 0);
	g_polling = true;
}

static void
poller_stop(struct poller *p)
{
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
	pthread_join(p->thread, NULL);
	g_polling = false;
}

static uint64_t
poller_rx_total(struct poller *p)
{
	uint64_t sum = 0;
	unsigned int q;

	for (q = 0; q < N_QP; q++)
		sum += __atomic_load_n(&p->n_rx[q], __ATOMIC_RELAXED);
	return sum;
}

/* Waits until the rx count has not moved for 300 ms. */
static uint64_t
poller_drain(struct poller *p)
{
	uint64_t last = poller_rx_total(p), t = vtp_now_ms(), cur;

	while (vtp_now_ms() - t < 300) {
		vtp_sleep_ms(20);
		cur = poller_rx_total(p);
		if (cur != last) {
			last = cur;
			t = vtp_now_ms();
		}
	}
	return last;
}

static void
poller_send(struct poller *p, int n_bursts)
{
	uint64_t t0 = vtp_now_ms();

	__atomic_add_fetch(&p->tx_budget, n_bursts, __ATOMIC_RELEASE);
	while (__atomic_load_n(&p->tx_budget, __ATOMIC_ACQUIRE) > 0 &&
	       vtp_now_ms() - t0 < VTP_WAIT_MS)
		vtp_sleep_ms(5);
	assert_int_equal(__atomic_load_n(&p->tx_budget, __ATOMIC_ACQUIRE), 0);
}

/* ---------------------------------------------------------------- testpmd */

/* The guest: testpmd in txonly mode until told otherwise, its log in tmpdir. */
static void
tp_start(struct vtp *tp, bool server)
{
	static const char *const extra[] = { "--forward-mode=txonly", NULL };
	char prefix[64], log[128];

	snprintf(prefix, sizeof(prefix), "vhu_tp_%d_%d", getpid(), tp_seq);
	snprintf(log, sizeof(log), "%s/testpmd%d.log", tmpdir, tp_seq++);
	vtp_start(tp, sock_path, server, prefix, log, extra);
}

/* ---------------------------------------------------------------- helpers */

static void
wait_link(struct vhu_port *port, bool up, uint64_t n_connects)
{
	struct vhu_port_info info;
	uint64_t t0 = vtp_now_ms();

	for (;;) {
		assert_int_equal(vhu_port_get_info(port, &info), 0);
		if (up && info.link_up && info.n_connects >= n_connects &&
		    info.rxq_enabled == (1u << N_QP) - 1 && info.txq_enabled == (1u << N_QP) - 1)
			break;
		if (!up && !info.link_up && info.n_disconnects >= n_connects)
			break;
		if (vtp_now_ms() - t0 > VTP_WAIT_MS)
			fail_msg("link %s not reached: up=%d qp=%u rxq=%#x txq=%#x",
			         up ? "up" : "down", info.link_up, info.n_queue_pairs,
			         info.rxq_enabled, info.txq_enabled);
		vtp_sleep_ms(20);
	}
	if (up)
		assert_int_equal(info.n_queue_pairs, N_QP);
}

/* The "caller-provided synchronize" variant of the grace period; counts its calls. */
static unsigned int n_sync;

static void
sync_cb(void *arg)
{
	__atomic_add_fetch(&n_sync, 1, __ATOMIC_RELAXED);
	rte_rcu_qsbr_synchronize(arg, RTE_QSBR_THRID_INVALID);
}

/* Client ports pass the RCU variable, server ports a synchronize callback. */
static struct vhu_port *
port_create(enum vhu_mode mode)
{
	struct vhu_port_opts opts = {
		.path = sock_path,
		.mode = mode,
		.mp = mp,
		.qsbr = mode == VHU_MODE_CLIENT ? qsbr : NULL,
		.synchronize = mode == VHU_MODE_CLIENT ? NULL : sync_cb,
		.synchronize_arg = qsbr,
		.tx_retries = -1,
	};
	struct vhu_port *port = vhu_port_create(&opts);

	assert_non_null(port);
	g_port = port;
	return port;
}

static void
port_totals(struct vhu_port *port, struct vhu_queue_stats *sum)
{
	struct vhu_queue_stats st;
	uint16_t q;

	memset(sum, 0, sizeof(*sum));
	for (q = 0; q < N_QP; q++) {
		assert_int_equal(vhu_port_stats_get(port, q, &st), 0);
		sum->rx_packets += st.rx_packets;
		sum->tx_packets += st.tx_packets;
		sum->tx_drops += st.tx_drops;
	}
}

/* Guest → vhost: testpmd txonly for 'ms'; every packet it sent arrives, on both queues. */
static void
check_guest_to_vhost(struct vtp *tp, struct poller *p, struct vhu_port *port, unsigned int ms)
{
	uint64_t before = poller_drain(p), rx0[N_QP], tp_rx, tp_tx, got;
	struct vhu_queue_stats st;
	unsigned int q;

	for (q = 0; q < N_QP; q++)
		rx0[q] = __atomic_load_n(&p->n_rx[q], __ATOMIC_RELAXED);
	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	vtp_sleep_ms(ms);
	/* testpmd may be slow to get going on a busy machine: until packets flow. */
	for (uint64_t t0 = vtp_now_ms();
	     poller_rx_total(p) < before + 1000 && vtp_now_ms() - t0 < VTP_WAIT_MS;)
		vtp_sleep_ms(10);
	vtp_stop(tp, &tp_rx, &tp_tx);
	/* The count is known: wait for it (the poller may be off its core for a while on a
	 * shared machine), then for quiet, which would show extra packets. */
	for (uint64_t t0 = vtp_now_ms();
	     poller_rx_total(p) < before + tp_tx && vtp_now_ms() - t0 < VTP_WAIT_MS;)
		vtp_sleep_ms(20);
	got = poller_drain(p) - before;
	print_message("  guest->vhost: testpmd TX-packets %" PRIu64 ", vhu_rx_burst %" PRIu64 "\n",
	              tp_tx, got);
	assert_true(tp_tx > 0);
	assert_int_equal(got, tp_tx);
	for (q = 0; q < N_QP; q++) {
		assert_true(__atomic_load_n(&p->n_rx[q], __ATOMIC_RELAXED) > rx0[q]);
		assert_int_equal(vhu_port_stats_get(port, q, &st), 0);
		assert_int_equal(st.rx_packets, __atomic_load_n(&p->n_rx[q], __ATOMIC_RELAXED));
	}
}

/* Vhost → guest: TX_BURSTS bursts over both queues; testpmd rxonly counts what we enqueued. */
static void
check_vhost_to_guest(struct vtp *tp, struct poller *p, struct vhu_port *port)
{
	struct vhu_queue_stats s0, s1;
	uint64_t tp_rx, tp_tx, sent0 = __atomic_load_n(&p->n_tx_sent, __ATOMIC_RELAXED);

	port_totals(port, &s0);
	vtp_cmd(tp, "set fwd rxonly");
	vtp_cmd(tp, "start");
	vtp_sleep_ms(300);
	poller_send(p, TX_BURSTS);
	vtp_sleep_ms(300);
	vtp_stop(tp, &tp_rx, &tp_tx);
	port_totals(port, &s1);
	if (tp_rx < s1.tx_packets - s0.tx_packets) /* testpmd was slow: drain its rings */
		tp_rx += vtp_rx_until(tp, s1.tx_packets - s0.tx_packets - tp_rx);
	print_message("  vhost->guest: offered %d, tx %" PRIu64 " drops %" PRIu64
	              ", testpmd RX-packets %" PRIu64 "\n",
	              TX_BURSTS * BURST, s1.tx_packets - s0.tx_packets, s1.tx_drops - s0.tx_drops,
	              tp_rx);
	assert_int_equal(__atomic_load_n(&p->n_tx_sent, __ATOMIC_RELAXED) - sent0,
	                 TX_BURSTS * BURST);
	assert_int_equal(s1.tx_packets - s0.tx_packets + s1.tx_drops - s0.tx_drops,
	                 TX_BURSTS * BURST);
	assert_true(s1.tx_packets > s0.tx_packets);
	assert_int_equal(tp_rx, s1.tx_packets - s0.tx_packets);
}

/*
 * A guest that stopped taking packets (testpmd not forwarding, its rx ring full): every
 * vhu_tx_burst() returns instead of spinning, each burst costs at most one extra enqueue call
 * (a call that takes nothing ends the retries), and every packet is either in the ring or
 * counted as a drop.  The guest then reads exactly what was enqueued.  A polling guest
 * suppresses interrupts, so none is injected.
 */
static void
check_stalled_guest(struct vtp *tp, struct poller *p, struct vhu_port *port)
{
	struct vhu_queue_stats s0, s1, q;
	uint64_t tp_rx, retries0 = 0, retries1 = 0;
	struct vhu_port_info info;
	uint16_t i;

	port_totals(port, &s0);
	for (i = 0; i < N_QP; i++) {
		assert_int_equal(vhu_port_stats_get(port, i, &q), 0);
		retries0 += q.tx_retries;
	}
	poller_send(p, TX_BURSTS); /* returns only if no burst got stuck */
	port_totals(port, &s1);
	for (i = 0; i < N_QP; i++) {
		assert_int_equal(vhu_port_stats_get(port, i, &q), 0);
		retries1 += q.tx_retries;
	}
	print_message("  stalled guest: offered %d, tx %" PRIu64 " drops %" PRIu64
	              " retries %" PRIu64 "\n",
	              TX_BURSTS * BURST, s1.tx_packets - s0.tx_packets, s1.tx_drops - s0.tx_drops,
	              retries1 - retries0);
	assert_int_equal(s1.tx_packets - s0.tx_packets + s1.tx_drops - s0.tx_drops,
	                 TX_BURSTS * BURST);
	assert_true(s1.tx_drops - s0.tx_drops > 0);
	assert_true(retries1 - retries0 <= TX_BURSTS);
	tp_rx = vtp_rx_until(tp, s1.tx_packets - s0.tx_packets);
	assert_int_equal(tp_rx, s1.tx_packets - s0.tx_packets);
	assert_int_equal(vhu_port_get_info(port, &info), 0);
	assert_int_equal(info.n_guest_notifications, 0);
}

/* Kills the guest in the middle of its traffic, restarts it, and checks both directions. */
static void
check_reconnect(struct vtp *tp, struct poller *p, struct vhu_port *port, bool tp_server)
{
	uint64_t rx_before;

	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	vtp_sleep_ms(300);
	rx_before = poller_rx_total(p);
	__atomic_add_fetch(&p->tx_budget, 1000000, __ATOMIC_RELEASE); /* both ways busy */
	/* Kill it while packets are moving (on a loaded machine testpmd may take a while). */
	for (uint64_t t0 = vtp_now_ms();
	     poller_rx_total(p) < rx_before + 1000 && vtp_now_ms() - t0 < VTP_WAIT_MS;)
		vtp_sleep_ms(10);
	vtp_kill(tp, SIGKILL);
	wait_link(port, false, 1);
	__atomic_store_n(&p->tx_budget, 0, __ATOMIC_RELEASE);
	assert_true(poller_rx_total(p) > rx_before);
	print_message("  killed testpmd in mid-traffic after %" PRIu64 " rx, link down\n",
	              poller_rx_total(p));
	if (tp_server)
		unlink(sock_path); /* SIGKILLed virtio_user leaves its socket file */
	tp_start(tp, tp_server);
	wait_link(port, true, 2);
	check_guest_to_vhost(tp, p, port, 500);
	check_vhost_to_guest(tp, p, port);
}

/* ---------------------------------------------------------------- tests */

/* vhost-user-client: testpmd's virtio_user serves (server=1), we connect and reconnect. */
static void
test_vhost_client_mode(void **state)
{
	struct vtp *tp = &g_tp;
	struct poller *p = &g_poller;
	struct vhu_port *port;
	unsigned int in_use0 = rte_mempool_in_use_count(mp);
	uint64_t seq0;

	(void)state;
	/* Port first: librte_vhost retries the connection until testpmd listens. */
	port = port_create(VHU_MODE_CLIENT);
	seq0 = vhu_port_reload_seq(port);
	tp_start(tp, true);
	wait_link(port, true, 1);
	/* new_device and the vring enables asked the PMDs to reload. */
	assert_true(vhu_port_reload_seq(port) > seq0);
	poller_start(p, port);
	check_guest_to_vhost(tp, p, port, 500);
	check_vhost_to_guest(tp, p, port);
	check_reconnect(tp, p, port, true);
	vtp_quit(tp);
	wait_link(port, false, 2);
	poller_stop(p);
	assert_int_equal(rte_mempool_in_use_count(mp), in_use0);
	vhu_port_destroy(port);
	g_port = NULL;
	unlink(sock_path);
}

/* vhost-user (server): we serve, testpmd's virtio_user connects; destroy while connected. */
static void
test_vhost_server_mode(void **state)
{
	struct vtp *tp = &g_tp;
	struct poller *p = &g_poller;
	struct vhu_port *port;
	struct vhu_port_info info;
	unsigned int in_use0 = rte_mempool_in_use_count(mp);

	(void)state;
	port = port_create(VHU_MODE_SERVER);
	tp_start(tp, false);
	wait_link(port, true, 1);
	poller_start(p, port);
	check_guest_to_vhost(tp, p, port, 500);
	check_vhost_to_guest(tp, p, port);
	check_stalled_guest(tp, p, port);
	check_reconnect(tp, p, port, false);
	/* Port removal with the guest connected and sending: stop polling, then destroy. */
	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	vtp_sleep_ms(200);
	poller_stop(p);
	assert_int_equal(vhu_port_get_info(port, &info), 0);
	assert_true(info.link_up);
	vhu_port_destroy(port);
	g_port = NULL;
	/* One grace period per destroy_device: the kill, and the destroy. */
	assert_int_equal(__atomic_load_n(&n_sync, __ATOMIC_RELAXED), 2);
	assert_int_equal(access(sock_path, F_OK), -1); /* server socket removed */
	vtp_kill(tp, SIGKILL);
	assert_int_equal(rte_mempool_in_use_count(mp), in_use0);
}

/* Server mode: a socket file nobody listens on is replaced; a live one or a file is refused. */
static void
test_vhost_stale_socket(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct vhu_port_opts opts = {
		.path = sock_path, .mode = VHU_MODE_SERVER, .mp = mp, .qsbr = qsbr, .tx_retries = -1
	};
	struct rte_mbuf *pkts[2 * BURST];
	struct vhu_queue_stats qs;
	struct vhu_port_info info;
	struct vhu_port *port;
	struct group *grp;
	struct stat st;
	int fd;

	(void)state;
	strcpy(sun.sun_path, sock_path);
	unlink(sock_path);

	/* Stale: bound, then closed without unlink (a killed server). */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	grp = getgrgid(getegid());
	assert_non_null(grp);
	opts.sock_mode = 0660;
	opts.sock_group = grp->gr_name;
	port = vhu_port_create(&opts);
	assert_non_null(port);
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, getegid());

	/* No guest yet: rx finds nothing, tx drops (and the caller frees) everything. */
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, pkts, BURST), 0);
	assert_int_equal(vhu_rx_burst(port, 0, pkts + BURST, BURST), 0);
	assert_int_equal(vhu_tx_burst(port, 1, pkts, BURST), 0);
	rte_pktmbuf_free_bulk(pkts, BURST);
	assert_int_equal(vhu_port_stats_get(port, 1, &qs), 0);
	assert_int_equal(qs.tx_drops, BURST);
	assert_int_equal(qs.tx_packets + qs.rx_packets, 0);
	assert_int_equal(vhu_port_get_info(port, &info), 0);
	assert_false(info.link_up);
	assert_int_equal(info.vid, -1);
	vhu_port_destroy(port);
	assert_int_equal(access(sock_path, F_OK), -1);
	opts.sock_mode = 0;
	opts.sock_group = NULL;

	/* Live: something listens. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_null(vhu_port_create(&opts));
	assert_int_equal(rte_errno, EADDRINUSE);
	close(fd);
	unlink(sock_path);

	/* Not a socket. */
	fd = open(sock_path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_null(vhu_port_create(&opts));
	assert_int_equal(rte_errno, EEXIST);
	unlink(sock_path);

	/* Options are validated. */
	opts.qsbr = NULL;
	assert_null(vhu_port_create(&opts));
	assert_int_equal(rte_errno, EINVAL);
	vhu_port_destroy(NULL);
}

static int
test_teardown(void **state)
{
	(void)state;
	if (g_polling)
		poller_stop(&g_poller);
	vtp_kill(&g_tp, SIGKILL);
	vhu_port_destroy(g_port);
	g_port = NULL;
	unlink(sock_path);
	return 0;
}

static int
group_setup(void **state)
{
	char prefix[64];
	char *argv[] = {
		"test_vhost",
		"-l",
		"0",
		"--no-huge",
		"--no-pci",
		"-m",
		"256",
		"--no-telemetry",
		prefix,
		"--log-level=user.vs.vhost:info",
		"--log-level=lib.vhost.*:warning",
	};
	size_t sz;

	(void)state;
	if (system("command -v " TESTPMD " >/dev/null 2>&1") != 0) {
		print_message("SKIP: " TESTPMD " not found (Debian: dpdk package)\n");
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=vhu_test_%d", getpid());
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vhu_test_%d", getpid());
	mkdir(tmpdir, 0700);
	snprintf(sock_path, sizeof(sock_path), "%s/vhu.sock", tmpdir);
	if (rte_eal_init((int)RTE_DIM(argv), argv) < 0)
		return -1;
	mp = rte_pktmbuf_pool_create("vhu_test", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                             SOCKET_ID_ANY);
	sz = rte_rcu_qsbr_get_memsize(1);
	qsbr = rte_zmalloc("vhu_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (mp == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 1) != 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	char cmd[256];

	(void)state;
	rte_free(qsbr);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	/* EAL runtime directories (ours and testpmd's) and the testpmd logs. */
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/vhu_test_%d /var/run/dpdk/vhu_tp_%d_* %s",
	         getpid(), getpid(), tmpdir);
	if (system(cmd) != 0)
		print_message("cleanup failed: %s\n", cmd);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_vhost_stale_socket, test_teardown),
		cmocka_unit_test_teardown(test_vhost_client_mode, test_teardown),
		cmocka_unit_test_teardown(test_vhost_server_mode, test_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
