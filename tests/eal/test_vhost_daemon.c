/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user ports of the real sluiced, with dpdk-testpmd's net_virtio_user as the guest
 * (2 queue pairs, its stdin a pipe for interactive commands, its stdout a log) and pcap ports
 * on the other side: guest → pcap and pcap → guest with per-queue counters, queue pairs the
 * guest disables and enables at run time, the guest killed and restarted in mid-traffic,
 * "port del" under traffic, sluiced restarted under a running guest (vhost-user-client against
 * virtio_user server=1), socket mode/group, stale and live sockets, bad options, and a vhost
 * loop (two virtio_user ports wired through sluice, nothing lost).  No
 * hugepages; every process started here is stopped by its PID.
 */
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
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

#include "test_vhost_tp.h"
#include "th.h"

#define WAIT_MS  VTP_WAIT_MS
#define N_FRAMES 100

static struct th_out o;

static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	assert_true(n < size);
	memcpy(dst, src, n + 1);
}

/* ---------------------------------------------------------------- testpmd, the guest */

static struct vtp g_tp; /* Killed by teardown when a test fails. */
static struct th_daemon g_d;
static int tp_seq;

/* The guest, io forwarding until told otherwise; its log in 'dir'. */
static void
tp_start(struct vtp *tp, const char *dir, const char *sock, bool server)
{
	char prefix[64], log[320];

	snprintf(prefix, sizeof(prefix), "vhd_tp_%d_%d", getpid(), tp_seq);
	snprintf(log, sizeof(log), "%s/testpmd%d.log", dir, tp_seq++);
	vtp_start(tp, sock, server, prefix, log, NULL);
}

/* ---------------------------------------------------------------- sluiced side */

/* Ring state of queue pair 'q' of vhost port 'port' as sluice sees it; 'key' is "rx_enabled"
 * (the guest's tx ring) or "tx_enabled" (its rx ring). */
static bool
vq_enabled(struct th_daemon *d, const char *port, unsigned int q, const char *key)
{
	char anchor[32], pat[40];
	const char *s, *t;

	if (th_ctl(d, &o, "--json port stats %s", port) != 0)
		return false;
	snprintf(anchor, sizeof(anchor), "{\"queue\": %u,", q);
	snprintf(pat, sizeof(pat), "\"%s\": true", key);
	s = strstr(o.buf, anchor);
	t = s != NULL ? strstr(s, pat) : NULL;
	return t != NULL && t < strchr(s, '}');
}

/* A per-queue counter of a vhost port. */
static int64_t
vq_stat(struct th_daemon *d, const char *port, unsigned int q, const char *key)
{
	char anchor[64];

	if (th_ctl(d, &o, "--json port stats %s", port) != 0)
		return -1;
	snprintf(anchor, sizeof(anchor), "{\"queue\": %u,", q);
	return th_json_num(o.buf, anchor, key);
}

static int64_t
vhost_stat(struct th_daemon *d, const char *port, const char *key)
{
	if (th_ctl(d, &o, "--json port stats %s", port) != 0)
		return -1;
	return th_json_num(o.buf, "\"vhost\":", key);
}

/* Waits until both queue pairs are up (want_qp1) or pair 1 is disabled (!want_qp1). */
static void
wait_queues(struct th_daemon *d, const char *port, bool want_qp1, int64_t min_connects)
{
	uint64_t t0 = vtp_now_ms();

	for (;;) {
		bool q0 = vq_enabled(d, port, 0, "rx_enabled") &&
		          vq_enabled(d, port, 0, "tx_enabled");
		bool q1_rx = vq_enabled(d, port, 1, "rx_enabled");
		bool q1_tx = vq_enabled(d, port, 1, "tx_enabled");

		if (q0 && q1_rx == want_qp1 && q1_tx == want_qp1 &&
		    vhost_stat(d, port, "connects") >= min_connects)
			return;
		if (vtp_now_ms() - t0 > WAIT_MS) {
			th_ctl(d, &o, "--json port stats %s", port);
			fail_msg("queues of %s not as expected (pair 1 %s): %s", port,
			         want_qp1 ? "on" : "off", o.buf);
		}
		vtp_sleep_ms(50);
	}
}

static void
wait_link_down(struct th_daemon *d, const char *port, int64_t disconnects)
{
	uint64_t t0 = vtp_now_ms();

	while (vhost_stat(d, port, "disconnects") < disconnects) {
		if (vtp_now_ms() - t0 > WAIT_MS)
			fail_msg("%s: no disconnect seen", port);
		vtp_sleep_ms(50);
	}
	assert_int_equal(th_ctl(d, &o, "--json port stats %s", port), 0);
	assert_non_null(strstr(o.buf, "\"vhost\": {\"link\": \"down\""));
}

/* Waits (at most WAIT_MS) until port 'port' counter 'key' reaches 'want'; returns its value.
 * On this shared machine a PMD can be off its core for a good fraction of a second, so a
 * count known in advance is waited for, not guessed from a quiet period. */
static int64_t
wait_stat(struct th_daemon *d, const char *port, const char *key, int64_t want)
{
	uint64_t t0 = vtp_now_ms();
	int64_t cur;

	while ((cur = th_port_stat(d, port, key)) < want && vtp_now_ms() - t0 < WAIT_MS)
		vtp_sleep_ms(20);
	return cur;
}

/* Waits until counter 'key' of 'port' has grown by 'n': traffic is flowing. */
static void
wait_moving(struct th_daemon *d, const char *port, const char *key, int64_t n)
{
	int64_t base = th_port_stat(d, port, key);

	assert_true(wait_stat(d, port, key, base + n) >= base + n);
}

/* Waits until port 'port' counter 'key' stops moving; returns its value. */
static int64_t
settle(struct th_daemon *d, const char *port, const char *key)
{
	int64_t last = th_port_stat(d, port, key), cur;
	uint64_t t = vtp_now_ms();

	while (vtp_now_ms() - t < 400) {
		vtp_sleep_ms(50);
		cur = th_port_stat(d, port, key);
		if (cur != last) {
			last = cur;
			t = vtp_now_ms();
		}
	}
	return last;
}

/* Writes N_FRAMES 60-byte frames (local-use ethertype) to 'path'. */
static void
write_frames(const char *path)
{
	static uint8_t frames[N_FRAMES][60];
	uint8_t *ptrs[N_FRAMES];
	size_t lens[N_FRAMES];
	int i;

	for (i = 0; i < N_FRAMES; i++) {
		static const uint8_t hdr[14] = { 0x02, 0, 0, 0, 0, 0x02, 0x02,
			                         0,    0, 0, 0, 1, 0x88, 0xb5 };

		memcpy(frames[i], hdr, sizeof(hdr));
		frames[i][20] = (uint8_t)i;
		ptrs[i] = frames[i];
		lens[i] = sizeof(frames[i]);
	}
	assert_int_equal(th_write_pcap(path, ptrs, lens, N_FRAMES), 0);
}

/*
 * Guest → pcap: testpmd txonly for 'ms'; every packet it sent leaves on port "out", and the
 * per-queue rx counters of "vm" grew by exactly that many, on the queues in 'mask' only.
 */
static void
check_guest_to_pcap(struct th_daemon *d, struct vtp *tp, unsigned int ms, unsigned int mask)
{
	int64_t out0 = settle(d, "out", "tx_packets"), q0[2], q1[2];
	uint64_t rx, tx;
	unsigned int q;

	for (q = 0; q < 2; q++)
		q0[q] = vq_stat(d, "vm", q, "rx_packets");
	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	vtp_sleep_ms(ms);
	wait_moving(d, "out", "tx_packets",
	            1000); /* testpmd may be slow to get going on a busy machine */
	vtp_stop(tp, &rx, &tx);
	print_message("  guest->pcap: testpmd TX-packets %" PRIu64 ", out tx %" PRId64 "\n", tx,
	              wait_stat(d, "out", "tx_packets", out0 + (int64_t)tx) - out0);
	assert_true(tx > 0);
	assert_int_equal(settle(d, "out", "tx_packets") - out0, (int64_t)tx);
	for (q = 0; q < 2; q++) {
		q1[q] = vq_stat(d, "vm", q, "rx_packets");
		if (mask >> q & 1)
			assert_true(q1[q] > q0[q]);
		else
			assert_int_equal(q1[q], q0[q]);
	}
	assert_int_equal(q1[0] - q0[0] + q1[1] - q0[1], (int64_t)tx);
}

/*
 * pcap → guest: testpmd rxonly, then a pcap port replays N_FRAMES into "vm"; the guest gets
 * all of them, sluice counts them on enabled queues, no drop.
 */
static void
check_pcap_to_guest(struct th_daemon *d, struct vtp *tp, unsigned int mask)
{
	static int seq;
	int64_t t0[2], t1[2], drops0 = 0, drops1 = 0;
	uint64_t rx, tx;
	unsigned int q;

	for (q = 0; q < 2; q++) {
		t0[q] = vq_stat(d, "vm", q, "tx_packets");
		drops0 += vq_stat(d, "vm", q, "tx_drops");
	}
	vtp_cmd(tp, "set fwd rxonly");
	vtp_cmd(tp, "start");
	vtp_sleep_ms(200);
	assert_int_equal(th_ctl(d, &o, "port add in dpdk net_pcap%d,rx_pcap=%s/in.pcap ofport=9",
	                        10 + seq++, d->dir),
	                 0);
	wait_stat(d, "vm", "tx_packets", t0[0] + t0[1] + N_FRAMES);
	vtp_sleep_ms(100); /* testpmd polls them off the ring */
	vtp_stop(tp, &rx, &tx);
	if (rx < N_FRAMES) /* testpmd was slow: drain its rings */
		rx += vtp_rx_until(tp, N_FRAMES - rx);
	assert_int_equal(th_ctl(d, &o, "port del in"), 0);
	for (q = 0; q < 2; q++) {
		t1[q] = vq_stat(d, "vm", q, "tx_packets");
		drops1 += vq_stat(d, "vm", q, "tx_drops");
		if (!(mask >> q & 1))
			assert_int_equal(t1[q], t0[q]);
	}
	print_message("  pcap->guest: testpmd RX-packets %" PRIu64 ", vm tx q0 +%" PRId64
	              " q1 +%" PRId64 "\n",
	              rx, t1[0] - t0[0], t1[1] - t0[1]);
	assert_int_equal(rx, N_FRAMES);
	assert_int_equal(t1[0] - t0[0] + t1[1] - t0[1], N_FRAMES);
	assert_int_equal(drops1, drops0);
}

static void
check_oversize(struct th_daemon *d, struct vtp *tp, const char *baseline)
{
	int64_t out0 = settle(d, "out", "tx_packets"), over0 = th_port_stat(d, "vm", "rx_oversize");
	int64_t rx0 = th_port_stat(d, "vm", "rx_packets"), rx1, over1;
	uint64_t rx, tx;

	vtp_cmd(tp, "set txpkts 1500,1500");
	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	vtp_sleep_ms(300);
	wait_moving(d, "vm", "rx_packets", 1000);
	vtp_stop(tp, &rx, &tx);
	vtp_cmd(tp, "set txpkts 64");
	rx1 = wait_stat(d, "vm", "rx_packets", rx0 + (int64_t)tx);
	rx1 = settle(d, "vm", "rx_packets");
	over1 = th_port_stat(d, "vm", "rx_oversize");
	print_message("  oversize: testpmd TX-packets %" PRIu64 ", vm rx %" PRId64
	              " rx_oversize %" PRId64 "\n",
	              tx, rx1 - rx0, over1 - over0);
	assert_true(tx > 0);
	assert_int_equal(rx1 - rx0, (int64_t)tx);
	assert_int_equal(over1 - over0, (int64_t)tx);
	assert_int_equal(settle(d, "out", "tx_packets"), out0);
	assert_int_equal(th_wait_mempools(d, baseline, 10), 0);
}

static const char *
config_for(const char *dir, const char *vm_line)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
	         "%s\n"
	         "port add out dpdk net_pcap0,tx_pcap=%s/out.pcap ofport=2\n"
	         "flow del\n"
	         "flow add in_port=vm actions=output:out\n"
	         "flow add in_port=9 actions=output:vm\n",
	         vm_line, dir);
	return buf;
}

/* ---------------------------------------------------------------- tests */

/*
 * vhost-user (sluice serves): socket mode and group, traffic both ways on 2 queue pairs with
 * per-queue counters, pair 1 disabled and enabled again at run time, the guest killed and
 * restarted in mid-traffic, then "port del" under traffic; mbufs back at baseline.
 */
static void
test_vhost_daemon_server(void **state)
{
	struct th_daemon *d = &g_d;
	struct vtp *tp = &g_tp;
	char dir[256], sock[300], vm_line[512], path[320], baseline[8192];
	static const char *const two_pmds[] = { "--lcores", "0@0,1@1,2@0", NULL };
	struct group *grp = getgrgid(getegid());
	struct stat st;
	int64_t rx_before;

	(void)state;
	assert_non_null(grp);
	th_scratch("vhd_srv", dir, sizeof(dir));
	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	write_frames(path);
	snprintf(vm_line, sizeof(vm_line), "port add vm vhost-user %s rxq=2 mode=0660 group=%s",
	         sock, grp->gr_name);
	/* Two PMDs: vm's queues go to PMD 0 and 1, "out" to PMD 0, "in" (added later) to PMD 1,
	 * which must send on the enabled pair when the guest has only one. */
	assert_int_equal(th_start(d, "vhd_srv", config_for(dir, vm_line), two_pmds, NULL), 0);
	assert_int_equal(th_ctl(d, &o, "--json show"), 0);
	copy_str(baseline, sizeof(baseline), o.buf);

	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0660);
	assert_int_equal(st.st_gid, getegid());

	tp_start(tp, dir, sock, false);
	wait_queues(d, "vm", true, 1);
	/* The pool of the guest's mbufs, on the guest memory's NUMA socket (one socket here). */
	assert_int_equal(th_ctl(d, &o, "--json port stats vm"), 0);
	assert_non_null(strstr(o.buf, "\"numa\": 0, \"mempool\": \"vs_shared\""));
	assert_int_equal(th_json_num(o.buf, "\"vhost\":", "queue_pairs"), 2);
	/* Negotiated as the guest asked: virtio_user uses mergeable rx buffers and 2 queues. */
	print_message("  %.90s\n", strstr(o.buf, "\"features\""));
	assert_non_null(strstr(o.buf, "\"features\": \"mrg_rxbuf"));
	assert_non_null(strstr(o.buf, " mq "));
	assert_int_equal(th_ctl(d, &o, "--json pmd rxq"), 0);
	assert_non_null(strstr(o.buf, "{\"port\": \"vm\", \"queue\": 0, \"enabled\": true}"));
	assert_non_null(strstr(o.buf, "{\"port\": \"vm\", \"queue\": 1, \"enabled\": true}"));
	assert_non_null(strstr(o.buf, "\"pmd\": 1, \"lcore\": 2, \"rxqs\": [{\"port\": \"vm\", "
	                              "\"queue\": 1"));

	check_guest_to_pcap(d, tp, 500, 3);
	check_pcap_to_guest(d, tp, 3);

	/* The guest goes down to one queue pair at run time, then back to two. */
	vtp_cmd(tp, "port stop 0");
	vtp_cmd(tp, "port config all rxq 1");
	vtp_cmd(tp, "port config all txq 1");
	vtp_cmd(tp, "port start 0");
	wait_queues(d, "vm", false, 1);
	assert_int_equal(th_ctl(d, &o, "pmd rxq"), 0);
	assert_non_null(strstr(o.buf, "vm queue 1 (disabled)"));
	check_guest_to_pcap(d, tp, 300, 1);
	check_pcap_to_guest(d, tp, 1);
	vtp_cmd(tp, "port stop 0");
	vtp_cmd(tp, "port config all rxq 2");
	vtp_cmd(tp, "port config all txq 2");
	vtp_cmd(tp, "port start 0");
	wait_queues(d, "vm", true, 1);
	check_guest_to_pcap(d, tp, 300, 3);
	assert_int_equal(vhost_stat(d, "vm", "connects"), 1);

	/* Guest killed in mid-traffic, then back. */
	rx_before = settle(d, "vm", "rx_packets");
	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	/* Killed while packets are moving (testpmd may be slow to get going on a busy machine). */
	assert_true(wait_stat(d, "vm", "rx_packets", rx_before + 10000) >= rx_before + 10000);
	vtp_kill(tp, SIGKILL);
	wait_link_down(d, "vm", 1);
	print_message("  guest killed in mid-traffic: vm rx +%" PRId64 "\n",
	              settle(d, "vm", "rx_packets") - rx_before);
	assert_int_equal(th_wait_mempools(d, baseline, 10), 0);
	tp_start(tp, dir, sock, false);
	wait_queues(d, "vm", true, 2);
	check_guest_to_pcap(d, tp, 300, 3);
	check_pcap_to_guest(d, tp, 3);
	/* A polling guest suppresses interrupts: none was injected, over many bursts. */
	assert_int_equal(vhost_stat(d, "vm", "guest_notifications"), 0);
	assert_true(vq_stat(d, "vm", 0, "rx_bursts") > 0 && vq_stat(d, "vm", 1, "rx_bursts") > 0);
	assert_true(vq_stat(d, "vm", 0, "tx_bursts") + vq_stat(d, "vm", 1, "tx_bursts") > 0);

	/* Frames longer than the port's MTU (3000 bytes in two segments): dequeued into chained
	 * mbufs, counted as rx_oversize, never forwarded, every mbuf back in its pool. */
	check_oversize(d, tp, baseline);

	/* port del of the connected port under traffic. */
	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	wait_moving(d, "vm", "rx_packets", 10000);
	assert_int_equal(th_ctl(d, &o, "port del vm"), 0);
	assert_int_equal(access(sock, F_OK), -1);
	assert_int_equal(th_ctl(d, &o, "port list"), 0);
	assert_null(strstr(o.buf, " vm "));
	assert_int_equal(th_wait_mempools(d, baseline, 10), 0);
	vtp_kill(tp, SIGKILL);
	assert_int_equal(th_stop(d), 0);
}

/*
 * vhost-user-client against virtio_user server=1: sluiced stopped (SIGTERM) and killed
 * (SIGKILL) while the guest keeps running and sending; each time the new sluiced reconnects
 * and traffic resumes without touching the guest.
 */
static void
test_vhost_daemon_client_restart(void **state)
{
	struct th_daemon *d = &g_d;
	struct vtp *tp = &g_tp;
	char dir[256], sock[300], vm_line[512], path[320], baseline[8192];
	const char *config;
	uint64_t t0, rx, tx;
	int round;

	(void)state;
	th_scratch("vhd_cli", dir, sizeof(dir));
	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	snprintf(vm_line, sizeof(vm_line), "port add vm vhost-user-client %s rxq=2", sock);
	config = config_for(dir, vm_line);
	snprintf(path, sizeof(path), "%s/in.pcap", dir);
	write_frames(path);

	/* virtio_user server=1 waits in accept() during its probe until sluice connects. */
	tp_start(tp, dir, sock, true);
	t0 = vtp_now_ms();
	while (access(sock, F_OK) != 0 && vtp_now_ms() - t0 < WAIT_MS)
		vtp_sleep_ms(20);
	assert_int_equal(access(sock, F_OK), 0);
	assert_int_equal(th_start(d, "vhd_cli", config, NULL, NULL), 0);
	wait_queues(d, "vm", true, 1);
	assert_int_equal(th_ctl(d, &o, "--json show"), 0);
	copy_str(baseline, sizeof(baseline), o.buf);
	check_guest_to_pcap(d, tp, 500, 3);

	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	for (round = 0; round < 2; round++) {
		assert_int_equal(th_wait_rx(d, "vm", 1000, 20), 0);
		if (round == 0) {
			assert_int_equal(th_stop(d), 0);
		} else {
			/* A killed sluiced leaves its control socket; the next one copes. */
			th_kill(d);
			unlink(d->ctl);
		}
		assert_int_equal(kill(tp->pid, 0), 0); /* the guest keeps running */
		t0 = vtp_now_ms();
		assert_int_equal(th_start(d, "vhd_cli", config, NULL, NULL), 0);
		assert_int_equal(th_wait_rx(d, "vm", 1000, 20), 0);
		print_message("  sluiced %s: traffic resumed %" PRIu64 " ms after the restart\n",
		              round == 0 ? "stopped" : "killed", vtp_now_ms() - t0);
		assert_int_equal(vhost_stat(d, "vm", "connects"), 1);
		assert_true(th_port_stat(d, "out", "tx_packets") > 0);
	}
	vtp_stop(tp, &rx, &tx);
	assert_true(tx > 0);
	settle(d, "vm", "rx_packets");
	check_guest_to_pcap(d, tp, 300, 3);
	assert_int_equal(th_wait_mempools(d, baseline, 10), 0);

	/* The guest killed in mid-traffic and started again: sluice reconnects by itself. */
	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	wait_moving(d, "vm", "rx_packets", 10000);
	vtp_kill(tp, SIGKILL);
	wait_link_down(d, "vm", 1);
	assert_int_equal(th_wait_mempools(d, baseline, 10), 0);
	unlink(sock); /* a killed virtio_user server leaves its socket file */
	tp_start(tp, dir, sock, true);
	wait_queues(d, "vm", true, 2);
	check_guest_to_pcap(d, tp, 300, 3);
	check_pcap_to_guest(d, tp, 3);

	/* port del under traffic; the guest's socket stays (it is the guest's). */
	vtp_cmd(tp, "set fwd txonly");
	vtp_cmd(tp, "start");
	wait_moving(d, "vm", "rx_packets", 10000);
	assert_int_equal(th_ctl(d, &o, "port del vm"), 0);
	assert_int_equal(access(sock, F_OK), 0);
	assert_int_equal(th_wait_mempools(d, baseline, 10), 0);
	assert_int_equal(th_stop(d), 0);
	vtp_kill(tp, SIGKILL);
}

/*
 * Server sockets: a socket left by a killed sluiced is removed at the next start; one that
 * something listens on, or a file that is no socket, is a clear error; mode=/group= applied,
 * and their bad values refused with an error naming them.  Nothing is left half-added.
 */
static void
test_vhost_daemon_sockets_and_options(void **state)
{
	struct th_daemon *d = &g_d;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct group *grp = getgrgid(getegid());
	char dir[256], sock[300], other[300], line[512];
	struct stat st;
	uint64_t t0;
	int fd;

	(void)state;
	assert_non_null(grp);
	th_scratch("vhd_sock", dir, sizeof(dir));
	snprintf(sock, sizeof(sock), "%s/vm.sock", dir);
	snprintf(line, sizeof(line), "port add vm vhost-user %s\n", sock);
	assert_int_equal(th_start(d, "vhd_sock", line, NULL, NULL), 0);
	th_kill(d);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode)); /* left behind by the killed daemon */
	assert_int_equal(th_start(d, "vhd_sock", line, NULL, NULL), 0);
	assert_int_equal(th_ctl(d, &o, "port list"), 0);
	assert_non_null(strstr(o.buf, "vm"));
	assert_int_equal(stat(sock, &st), 0);

	/* Something listens: refused, and its socket is left alone. */
	snprintf(other, sizeof(other), "%s/live.sock", dir);
	copy_str(sun.sun_path, sizeof(sun.sun_path), other);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s", other), 1);
	assert_non_null(strstr(o.err, "something listens on"));
	assert_int_equal(access(other, F_OK), 0);
	close(fd);
	unlink(other);
	/* The same path twice. */
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s", sock), 1);
	/* Not a socket. */
	fd = open(other, O_WRONLY | O_CREAT, 0600);
	close(fd);
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s", other), 1);
	assert_non_null(strstr(o.err, "is not a socket"));
	unlink(other);

	/* Bad option values. */
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s mode=0999", other), 1);
	assert_non_null(strstr(o.err, "bad socket mode '0999'"));
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s mode=0660x", other), 1);
	assert_non_null(strstr(o.err, "bad socket mode"));
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s mode=0", other), 1);
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s mode=01000", other), 1);
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s group=no_such_group_x", other), 1);
	assert_non_null(strstr(o.err, "unknown group 'no_such_group_x'"));
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user-client %s mode=0660", other), 1);
	assert_non_null(strstr(o.err, "apply to vhost-user ports"));
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s rxq=17", other), 1);
	assert_int_equal(access(other, F_OK), -1);
	assert_int_equal(th_ctl(d, &o, "port list"), 0);
	assert_null(strstr(o.buf, " x "));

	/* Good values: applied to the socket. */
	assert_int_equal(th_ctl(d, &o, "port add x vhost-user %s mode=0640 group=%s", other,
	                        grp->gr_name),
	                 0);
	assert_int_equal(stat(other, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(st.st_gid, getegid());
	assert_int_equal(th_ctl(d, &o, "config save %s/saved.conf", dir), 0);
	snprintf(line, sizeof(line), "grep -q 'mode=0640 group=%s' %s/saved.conf", grp->gr_name,
	         dir);
	assert_int_equal(system(line), 0);
	assert_int_equal(th_ctl(d, &o, "port del x"), 0);
	assert_int_equal(access(other, F_OK), -1);

	/* A client port whose server is not there yet: added (sluice keeps trying), link down,
	 * and deleted at once while it is still trying. */
	assert_int_equal(th_ctl(d, &o, "port add c vhost-user-client %s/nobody.sock", dir), 0);
	vtp_sleep_ms(1500); /* a reconnect attempt or two */
	assert_int_equal(th_ctl(d, &o, "--json port stats c"), 0);
	assert_non_null(strstr(o.buf, "\"vhost\": {\"link\": \"down\""));
	t0 = vtp_now_ms();
	assert_int_equal(th_ctl(d, &o, "port del c"), 0);
	assert_true(vtp_now_ms() - t0 < 5000);
	assert_int_equal(th_stop(d), 0);
	assert_int_equal(access(sock, F_OK), -1); /* a clean stop removes its sockets */
}

/* A PMD counter of 'pmd stats' (one PMD). */
static int64_t
pmd_stat(struct th_daemon *d, const char *key)
{
	if (th_ctl(d, &o, "--json pmd stats") != 0)
		return -1;
	return th_json_num(o.buf, NULL, key);
}

/*
 * The vhost loop of the benchmark, small: testpmd's two virtio_user ports wired to each other
 * by io forwarding and through sluice (vm0 -> vm1, vm1 -> vm0, one PMD), started with
 * "start tx_first 4" (4 bursts of 32 on each port).  The loop must keep every packet it was
 * given: one dropped anywhere never comes back, and a loop that loses them stalls.  Both
 * directions alternate bursts on the PMD, and both are in_port-only output rules, so nearly
 * every burst takes the unparsed fast path (with one last-hit megaflow, each burst replaced the
 * other direction's: 0.2 % did).
 */
static void
test_vhost_daemon_loop(void **state)
{
	struct th_daemon *d = &g_d;
	struct vtp *tp = &g_tp;
	char dir[256], s0[300], s1[300], conf[1024], prefix[64], log[320];
	int64_t rx0, rx1, tx0, tx1, pk0, un0, pk, un;
	const int64_t injected = 2 * 4 * 32;
	uint64_t rx, tx;

	(void)state;
	th_scratch("vhd_loop", dir, sizeof(dir));
	snprintf(s0, sizeof(s0), "%s/vm0.sock", dir);
	snprintf(s1, sizeof(s1), "%s/vm1.sock", dir);
	snprintf(conf, sizeof(conf),
	         "port add vm0 vhost-user %s rxq=1\n"
	         "port add vm1 vhost-user %s rxq=1\n"
	         "flow del\n"
	         "flow add in_port=vm0 actions=output:vm1\n"
	         "flow add in_port=vm1 actions=output:vm0\n",
	         s0, s1);
	assert_int_equal(th_start(d, "vhd_loop", conf, NULL, NULL), 0);
	snprintf(prefix, sizeof(prefix), "vhd_tp_%d_%d", getpid(), tp_seq);
	snprintf(log, sizeof(log), "%s/testpmd%d.log", dir, tp_seq++);
	vtp_start_pair(tp, s0, s1, prefix, log);
	wait_queues(d, "vm0", false, 1);
	wait_queues(d, "vm1", false, 1);
	pk0 = pmd_stat(d, "packets");
	un0 = pmd_stat(d, "unparsed_hits");

	vtp_cmd(tp, "set fwd io");
	vtp_cmd(tp, "start tx_first 4");
	wait_moving(d, "vm0", "rx_packets", 200000);
	vtp_stop(tp, &rx, &tx);
	/* Stopped: what sluice still dequeues waits in testpmd's rx rings (--no-flush-rx). */
	rx0 = settle(d, "vm0", "rx_packets");
	rx1 = settle(d, "vm1", "rx_packets");
	tx0 = settle(d, "vm0", "tx_packets");
	tx1 = settle(d, "vm1", "tx_packets");
	pk = pmd_stat(d, "packets") - pk0;
	un = pmd_stat(d, "unparsed_hits") - un0;
	print_message("  loop: testpmd RX %" PRIu64 " TX %" PRIu64 "; vm0 rx %" PRId64
	              " tx %" PRId64 ", vm1 rx %" PRId64 " tx %" PRId64 "; unparsed %" PRId64
	              " of %" PRId64 "\n",
	              rx, tx, rx0, tx0, rx1, tx1, un, pk);
	/* Everything testpmd sent went round: dequeued, enqueued to the other port, no drop. */
	assert_int_equal(rx0 + rx1, (int64_t)tx);
	assert_int_equal(tx1, rx0);
	assert_int_equal(tx0, rx1);
	assert_int_equal(vq_stat(d, "vm0", 0, "tx_drops") + vq_stat(d, "vm1", 0, "tx_drops"), 0);
	/* ... and is in testpmd's counters or still in its rx rings: the loop kept all of it. */
	assert_int_equal(tx0 + tx1 - (int64_t)rx, injected);
	assert_true(pk >= 200000);
	assert_true(un * 10 >= pk * 9);
	vtp_quit(tp);
	assert_int_equal(th_stop(d), 0);
}

static int
teardown(void **state)
{
	(void)state;
	vtp_kill(&g_tp, SIGKILL);
	th_kill(&g_d);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_vhost_daemon_sockets_and_options, teardown),
		cmocka_unit_test_teardown(test_vhost_daemon_server, teardown),
		cmocka_unit_test_teardown(test_vhost_daemon_client_restart, teardown),
		cmocka_unit_test_teardown(test_vhost_daemon_loop, teardown),
	};
	char cmd[128];
	int rc;

	if (system("command -v dpdk-testpmd >/dev/null 2>&1") != 0) {
		print_message("SKIP: dpdk-testpmd not found (Debian: dpdk package)\n");
		return 77;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* testpmd's EAL runtime directories (--single-file-segments keeps them). */
	snprintf(cmd, sizeof(cmd), "rm -rf /var/run/dpdk/vhd_tp_%d_*", getpid());
	if (system(cmd) != 0)
		print_message("cleanup failed: %s\n", cmd);
	return rc;
}
