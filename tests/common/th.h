/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness for tests that run the real sluiced: start it as a process
 * with EAL vdevs and a config file (no hugepages, a private --file-prefix),
 * talk to it with the real sluicectl, read numbers out of its JSON replies,
 * and stop it with SIGTERM.  Binaries come from $SLUICED and $SLUICECTL
 * (set by meson), scratch files go to a per-test directory under
 * $TH_TMPDIR or /tmp.
 */
#ifndef TH_H
#define TH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct th_daemon {
	pid_t pid;
	char name[64];
	char dir[256];    /**< scratch directory of this test */
	char ctl[320];    /**< control socket */
	char log[320];    /**< sluiced's log file */
	char config[320]; /**< config file written by th_start() */
};

/** Output of one sluicectl run. */
struct th_out {
	int status;        /**< sluicectl exit status */
	char buf[1 << 20]; /**< stdout, NUL-terminated */
	char err[4096];    /**< stderr, NUL-terminated */
};

/** Creates (empty) the scratch directory for test 'name'; path into 'dir'. */
/** Sleeps 'ms' milliseconds. */
void th_sleep_ms(unsigned int ms);
/** CLOCK_MONOTONIC in milliseconds. */
uint64_t th_now_ms(void);

void th_scratch(const char *name, char *dir, size_t size);

/**
 * Uses the scratch directory of 'name' (made if missing, kept if th_scratch()
 * already filled it), writes 'config' to <dir>/sluice.conf and starts sluiced with
 * "-l 0-1 --no-huge --no-pci -m 256 --no-telemetry --file-prefix <name><pid>",
 * each of 'eal_extra' (NULL-terminated, may be NULL; "--lcores" there replaces
 * "-l 0-1"), then
 * "-- --config ... --ctl ... --log-file ... --pmd-sleep-max 200" and each of
 * 'app_extra'.  Waits until the control socket answers (at most 30 s).
 * @return 0, or -1 (the daemon exited or never answered; its log is printed).
 */
int th_start(struct th_daemon *d, const char *name, const char *config,
             const char *const *eal_extra, const char *const *app_extra);

/** Runs sluicectl with the words of 'fmt' (split on spaces) against 'd'. */
int th_ctl(struct th_daemon *d, struct th_out *out, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

/** Runs a command and returns its exit status, discarding output. */
int th_ctl_status(struct th_daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/**
 * The number after the first "key": in 'json' at or after the first
 * occurrence of 'anchor' (NULL = start).  @return -1 when not found.
 */
int64_t th_json_num(const char *json, const char *anchor, const char *key);

/** Sum of "key" over the port stats of port 'port' (name). */
int64_t th_port_stat(struct th_daemon *d, const char *port, const char *key);

/** Waits until port 'port' has received at least 'n' packets (timeout_s). @return 0 or -1. */
int th_wait_rx(struct th_daemon *d, const char *port, int64_t n, int timeout_s);

/** Waits until every mempool's in-use count equals its value in 'baseline' (show --json). */
int th_wait_mempools(struct th_daemon *d, const char *baseline, int timeout_s);

/** SIGTERM, then waits (at most 30 s).  @return the exit status, or -1 on a signal/timeout. */
int th_stop(struct th_daemon *d);

/** Kills the daemon if it is still running (cleanup after a failed test). */
void th_kill(struct th_daemon *d);

/* pcap helpers. */

/** A frame read back from a pcap. */
struct th_frame {
	uint32_t len;
	uint8_t data[9216];
};

/** Reads up to 'max' frames of 'path' into 'frames'.  @return the count, or -1. */
int th_read_pcap(const char *path, struct th_frame *frames, int max);

/** Writes 'n' frames (pointers and lengths) to 'path'.  @return 0 or -1. */
int th_write_pcap(const char *path, uint8_t *const *frames, const size_t *lens, int n);

#endif /* TH_H */
