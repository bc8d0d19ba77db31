/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a Unix stream socket served by the control thread
 * (the EAL main lcore), and the framing shared with sluicectl.
 *
 * Wire format (both directions), see vs_ctl_proto.h.  The server never
 * blocks on one client: sockets are non-blocking, requests are size-limited
 * (VS_CTL_REQ_MAX), and a client that sends nothing for VS_CTL_IDLE_MS is
 * dropped.  One request per connection: the server sends the reply, then
 * closes.  At most VS_CTL_CLIENTS_MAX clients at a time; one more is sent a
 * "too many clients" error and closed.
 *
 * Thread safety: a struct vs_ctl belongs to the thread that created it;
 * handlers run on that thread, inside vs_ctl_run().
 */
#ifndef VS_CTL_H
#define VS_CTL_H

#include <stdbool.h>
#include <sys/types.h>

#include "vs_ctl_proto.h"
#include "vs_reply.h"

/** A client that makes no progress (reading its request or taking its
 * reply) for this long is dropped. */
#define VS_CTL_IDLE_MS 5000
/** Clients served at once. */
#define VS_CTL_CLIENTS_MAX 64

/** Executes one request; argv[0] is the first command word. */
typedef void vs_ctl_handler_fn(int argc, char **argv, struct vs_reply *reply, void *arg);

struct vs_ctl;

struct vs_ctl_opts {
	const char *path;           /**< socket path */
	const char *group;          /**< group name for mode 0660, or NULL for 0600 */
	vs_ctl_handler_fn *handler; /**< runs each request; required */
	void *handler_arg;          /**< passed to handler */
	unsigned int idle_ms;       /**< idle timeout, 0 for VS_CTL_IDLE_MS */
};

/**
 * Creates the socket: makes the directory (0755) if missing, removes a stale
 * socket file (one nothing accepts on; logs one line), refuses a path where
 * something listens or that is not a socket.  The socket gets mode 0600, or
 * 0660 and opts->group.
 * @param err  receives a one-line message naming the path or group; may be
 *             NULL if err_size is 0.
 * @return NULL with rte_errno/errno set and a message in 'err'.
 */
struct vs_ctl *vs_ctl_create(const struct vs_ctl_opts *opts, char *err, size_t err_size);
/**
 * Serves ready clients for at most 'timeout_ms' (poll()), calling the handler
 * for each complete request.  Returns after one poll round; a negative
 * 'timeout_ms' waits until a client is ready or an idle timeout is due.
 */
void vs_ctl_run(struct vs_ctl *ctl, int timeout_ms);
/** Closes every client and the socket, and unlinks the path.  Accepts NULL. */
void vs_ctl_destroy(struct vs_ctl *ctl);

#endif /* VS_CTL_H */
