/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * testpmd as the guest of the vhost-user tests; see test_vhost_tp.h.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_vhost_tp.h"

uint64_t
vtp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
vtp_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Starts testpmd on the vdevs in 'vdevs' (NULL-terminated, at most 2) with 'nq' rx and tx
 * queues per port. */
static void
start__(struct vtp *tp, const char *const *vdevs, unsigned int nq, const char *prefix,
        const char *log, const char *const *extra)
{
	char pfx[128], rxq[16], txq[16];
	const char *argv[64];
	int pipefd[2], fd, argc = 0, i;

	snprintf(pfx, sizeof(pfx), "--file-prefix=%s", prefix);
	snprintf(rxq, sizeof(rxq), "--rxq=%u", nq);
	snprintf(txq, sizeof(txq), "--txq=%u", nq);
	snprintf(tp->log, sizeof(tp->log), "%s", log);
	tp->n_stop = 0;
	/* Line-buffered stdout, so that the statistics reach the log while it runs. */
	argv[argc++] = "stdbuf";
	argv[argc++] = "-oL";
	argv[argc++] = "dpdk-testpmd";
	argv[argc++] = "-l";
	argv[argc++] = "0-1";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = "256";
	argv[argc++] = "--single-file-segments";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = pfx;
	for (i = 0; i < 2 && vdevs[i] != NULL; i++) {
		argv[argc++] = "--vdev";
		argv[argc++] = vdevs[i];
	}
	argv[argc++] = "--";
	argv[argc++] = "-i";
	argv[argc++] = "--nb-cores=1";
	argv[argc++] = rxq;
	argv[argc++] = txq;
	argv[argc++] = "--total-num-mbufs=4096";
	argv[argc++] = "--no-flush-rx";
	for (i = 0; extra != NULL && extra[i] != NULL && argc < 63; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	assert_int_equal(pipe(pipefd), 0);
	tp->pid = fork();
	assert_true(tp->pid >= 0);
	if (tp->pid == 0) {
		fd = open(tp->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(pipefd[0], 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(pipefd[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[0]);
	tp->in = fdopen(pipefd[1], "w");
	assert_non_null(tp->in);
}

void
vtp_start(struct vtp *tp, const char *sock, bool server, const char *prefix, const char *log,
          const char *const *extra)
{
	char vdev[400];
	const char *vdevs[] = { vdev, NULL };

	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,queues=2%s", sock,
	         server ? ",server=1" : "");
	start__(tp, vdevs, 2, prefix, log, extra);
}

void
vtp_start_pair(struct vtp *tp, const char *sock0, const char *sock1, const char *prefix,
               const char *log)
{
	char vdev0[400], vdev1[400];
	const char *vdevs[] = { vdev0, vdev1, NULL };

	snprintf(vdev0, sizeof(vdev0), "net_virtio_user0,path=%s,queues=1", sock0);
	snprintf(vdev1, sizeof(vdev1), "net_virtio_user1,path=%s,queues=1", sock1);
	start__(tp, vdevs, 1, prefix, log, NULL);
}

void
vtp_cmd(struct vtp *tp, const char *cmd)
{
	fprintf(tp->in, "%s\n", cmd);
	fflush(tp->in);
}

/* Reads the whole log into a static buffer. */
static const char *
read_log(const struct vtp *tp)
{
	static char buf[1 << 20];
	size_t n = 0;
	FILE *f = fopen(tp->log, "r");

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static unsigned int
count_str(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

void
vtp_stop(struct vtp *tp, uint64_t *rx, uint64_t *tx)
{
	static const char mark[] = "Accumulated forward statistics for all ports";
	const char *log, *s;
	uint64_t t0 = vtp_now_ms();
	unsigned int i;

	tp->n_stop++;
	vtp_cmd(tp, "stop");
	do {
		vtp_sleep_ms(50);
		log = read_log(tp);
	} while (count_str(log, mark) < tp->n_stop && vtp_now_ms() - t0 < VTP_WAIT_MS);
	s = strstr(log, mark);
	for (i = 1; s != NULL && i < tp->n_stop; i++)
		s = strstr(s + 1, mark);
	if (s == NULL)
		fail_msg("testpmd printed no statistics; its log:\n%s", log);
	s = strstr(s, "RX-packets:");
	assert_non_null(s);
	*rx = strtoull(s + strlen("RX-packets:"), NULL, 10);
	s = strstr(s, "TX-packets:");
	assert_non_null(s);
	*tx = strtoull(s + strlen("TX-packets:"), NULL, 10);
}

uint64_t
vtp_rx_until(struct vtp *tp, uint64_t want)
{
	uint64_t t0 = vtp_now_ms(), total = 0, rx, tx;

	vtp_cmd(tp, "set fwd rxonly");
	while (total < want && vtp_now_ms() - t0 < VTP_WAIT_MS) {
		vtp_cmd(tp, "start");
		vtp_sleep_ms(200);
		vtp_stop(tp, &rx, &tx);
		total += rx;
	}
	return total;
}

void
vtp_kill(struct vtp *tp, int sig)
{
	if (tp->pid <= 0)
		return;
	kill(tp->pid, sig);
	waitpid(tp->pid, NULL, 0);
	tp->pid = 0;
	if (tp->in != NULL)
		fclose(tp->in);
	tp->in = NULL;
}

void
vtp_quit(struct vtp *tp)
{
	uint64_t t0 = vtp_now_ms();
	int status;

	vtp_cmd(tp, "quit");
	while (waitpid(tp->pid, &status, WNOHANG) == 0) {
		if (vtp_now_ms() - t0 > VTP_WAIT_MS) {
			vtp_kill(tp, SIGKILL);
			fail_msg("testpmd did not quit");
		}
		vtp_sleep_ms(20);
	}
	tp->pid = 0;
	fclose(tp->in);
	tp->in = NULL;
}
