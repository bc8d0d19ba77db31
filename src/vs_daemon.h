/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Daemon-wide state owned by the control thread: the switch, options, and
 * the config and command layers (vs_cmd.c, vs_config.c).
 */
#ifndef VS_DAEMON_H
#define VS_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "vs_flow.h"
#include "vs_reply.h"
#include "vs_switch.h"

struct vs_daemon {
	struct vs_switch sw;
	const char *config_path; /**< --config, or NULL */
	const char *ctl_path;
	bool shutdown;         /**< set by "shutdown" or a signal */
	bool reload;           /**< set by SIGHUP */
	uint32_t cli_sleep_us; /**< --pmd-sleep-max, restored by a reload without "pmd sleep" */
};

extern struct vs_daemon vs_d;

/** Control socket handler: runs one command (argv[0] is its first word). */
void vs_cmd_handle(int argc, char **argv, struct vs_reply *r, void *arg);

/** Parses flow text (argv joined) with vs_flow_parse(); rejects actions not built yet. */
int vs_cmd_parse_flow(int argc, char **argv, unsigned int flags, const struct vs_port_names *names,
                      struct vs_flow_spec *spec, struct vs_reply *r);
/** Appends every mempool's size and in-use count. */
void vs_cmd_print_mempools(struct vs_reply *r);

/** The port-name resolver over the running port map. */
const struct vs_port_names *vs_cmd_port_names(void);

/**
 * Loads the config file at startup: validates every line, then applies it.
 * @return 0, or -errno with one line "FILE:LINE: message" in 'r'.
 */
int vs_config_load(const char *path, struct vs_reply *r);
/** Validates the whole file, then applies the difference; on error nothing changes. */
int vs_config_reload(const char *path, struct vs_reply *r);
/** Writes the running state as a config file. */
int vs_config_save(const char *path, struct vs_reply *r);

/** Registers /sluice/... telemetry commands. */
void vs_telemetry_init(void);
/** Refreshes the snapshot the telemetry commands read (control thread, once a second). */
void vs_telemetry_publish(void);

#endif /* VS_DAEMON_H */
