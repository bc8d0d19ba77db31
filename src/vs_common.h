/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Limits and small helpers shared by the daemon's modules.
 */
#ifndef VS_COMMON_H
#define VS_COMMON_H

#include <stdint.h>

/** Packets per rx burst and per pipeline pass. */
#define VS_BURST_MAX 32
/** PMD threads at most. */
#define VS_PMD_MAX 16
/** Ports at most (slots in the port map and in each PMD's tx buffers). */
#define VS_PORT_MAX 128
/** rx/tx queues per port at most. */
#define VS_QUEUE_MAX 16
/** Port name length, NUL included. */
#define VS_NAME_MAX 32

#define VS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* VS_COMMON_H */
