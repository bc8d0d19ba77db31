/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdk-testpmd with one net_virtio_user port (2 queue pairs, no hugepages), or two (a loop), as
 * the guest side of the vhost-user tests: started as a child process with its stdin a pipe for
 * interactive commands and its stdout and stderr in a log file, and stopped by its PID.  cmocka
 * assertions report failures, so the functions are for test code only.
 */
#ifndef TEST_VHOST_TP_H
#define TEST_VHOST_TP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/** How long the helpers wait for testpmd (ms). */
#define VTP_WAIT_MS 15000

/** One testpmd process. */
struct vtp {
	pid_t pid;           /**< 0 when not running */
	FILE *in;            /**< its stdin */
	char log[320];       /**< its stdout and stderr */
	unsigned int n_stop; /**< "stop" commands sent, to find the latest statistics */
};

/**
 * Starts testpmd: EAL "--file-prefix=PREFIX --no-huge --single-file-segments -l 0-1", vdev
 * "net_virtio_user0,path=SOCK,queues=2[,server=1]", interactive, one forwarding core, 2 rx and
 * 2 tx queues, --no-flush-rx (so packets enqueued while it is stopped are counted at the next
 * start), then each of 'extra' (NULL-terminated, may be NULL).  With 'server', virtio_user
 * serves SOCK and waits in accept() during its probe until the vhost side connects.
 */
void vtp_start(struct vtp *tp, const char *sock, bool server, const char *prefix, const char *log,
               const char *const *extra);

/**
 * Starts testpmd as vtp_start() does, but with two ports, "net_virtio_user0,path=SOCK0,queues=1"
 * and "net_virtio_user1,path=SOCK1,queues=1" (the vhost side serves both), one rx and one tx
 * queue each: io forwarding then wires the two ports to each other (a vhost loop).
 */
void vtp_start_pair(struct vtp *tp, const char *sock0, const char *sock1, const char *prefix,
                    const char *log);

/** Sends one interactive command. */
void vtp_cmd(struct vtp *tp, const char *cmd);

/** Sends "stop" and returns the accumulated RX/TX-packets it prints. */
void vtp_stop(struct vtp *tp, uint64_t *rx, uint64_t *tx);

/**
 * Collects packets waiting in the guest's rx rings: "start" in rxonly mode, a short wait,
 * "stop", repeated (rings keep their packets while stopped, --no-flush-rx) until 'want'
 * packets were received or VTP_WAIT_MS passed.  On a busy machine testpmd may need more than
 * one round to drain its rings.  @return the packets received.
 */
uint64_t vtp_rx_until(struct vtp *tp, uint64_t want);

/** Sends 'sig' and reaps the process; does nothing when it is not running. */
void vtp_kill(struct vtp *tp, int sig);

/** Sends "quit" and waits for the exit (fails the test after VTP_WAIT_MS). */
void vtp_quit(struct vtp *tp);

/** Milliseconds of CLOCK_MONOTONIC. */
uint64_t vtp_now_ms(void);

/** Sleeps 'ms' milliseconds. */
void vtp_sleep_ms(unsigned int ms);

#endif /* TEST_VHOST_TP_H */
