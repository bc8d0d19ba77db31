/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket server (vs_ctl.h).  Sits between sluicectl and the command
 * handlers: it accepts clients on a Unix stream socket, decodes requests with
 * the framing of vs_ctl_proto.h, runs the handler and sends its vs_reply.
 *
 * Single-threaded: the control thread calls vs_ctl_run() from its main loop,
 * which does one poll() round over the listener and every client.  Nothing
 * blocks: client sockets are non-blocking, reads per round are budgeted, and
 * each client holds at most one request (VS_CTL_REQ_MAX) and one reply
 * (VS_CTL_REPLY_MAX).  One request per connection: after the reply is sent
 * the connection is closed, and bytes after the request are ignored.  A
 * client that makes no progress for 'idle_ms' is dropped, whether it is
 * sending its request or failing to read its reply.  Writes use MSG_NOSIGNAL,
 * so a client that goes away never raises SIGPIPE.
 *
 * Uses no EAL service: runs before rte_eal_init() and in unit tests.
 */
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "vs_ctl.h"

RTE_LOG_REGISTER(vs_ctl_logtype, user.vs.ctl, INFO);
#define RTE_LOGTYPE_VS_CTL       vs_ctl_logtype
#define CTL_LOG(level, fmt, ...) RTE_LOG(level, VS_CTL, "%s(): " fmt "\n", __func__, ##__VA_ARGS__)

/* A whole vs_reply, note included, must fit in one reply message. */
static_assert(VS_REPLY_MAX <= VS_CTL_REPLY_MAX, "vs_reply body exceeds the wire limit");

/** Bytes read from the socket per recv(). */
#define VS_CTL_RX_CHUNK (64u << 10)
/** Bytes read from one client per vs_ctl_run() round, for fairness. */
#define VS_CTL_RX_BUDGET (4 * VS_CTL_RX_CHUNK)
/** Connections accepted per round. */
#define VS_CTL_ACCEPT_BURST 16
/** Client event log lines allowed per second (token bucket). */
#define VS_CTL_LOG_RATE 10

struct vs_ctl_client {
	int fd;                      /**< -1 when the slot is free */
	bool writing;                /**< request done, reply queued; no more reading */
	uint64_t last_ms;            /**< accept or last byte moved, for the idle timeout */
	struct vs_ctl_dec dec;       /**< request being read */
	uint8_t hdr[VS_CTL_HDR_LEN]; /**< reply header, once writing */
	char *body;                  /**< reply body (a stolen vs_reply buffer), heap */
	size_t body_len;             /**< bytes in body */
	size_t n_sent;               /**< bytes of hdr + body sent so far */
};

/* All fields belong to the thread that calls vs_ctl_run(). */
struct vs_ctl {
	int fd;                     /**< listening socket */
	char *path;                 /**< socket path, heap */
	dev_t dev;                  /**< inode we bound, so destroy unlinks only ours */
	ino_t ino;                  /**< ditto */
	vs_ctl_handler_fn *handler; /**< opts->handler */
	void *handler_arg;          /**< opts->handler_arg */
	unsigned int idle_ms;       /**< idle timeout */
	unsigned int n_clients;     /**< slots in use */
	uint64_t log_sec;           /**< second of the current log bucket */
	unsigned int n_logs;        /**< lines logged in log_sec */
	unsigned int n_suppressed;  /**< lines dropped by the rate limit */
	struct vs_ctl_client clients[VS_CTL_CLIENTS_MAX]; /**< fd -1 when free */
	char rx[VS_CTL_RX_CHUNK];                         /**< receive scratch, shared by clients */
};

static uint64_t
now_ms__(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Rate limit for per-client log lines (a misbehaving client must not flood
 * the log): VS_CTL_LOG_RATE lines per second, and a count of the rest. */
static bool
log_ok__(struct vs_ctl *ctl)
{
	uint64_t sec = now_ms__() / 1000;

	if (sec != ctl->log_sec) {
		if (ctl->n_suppressed > 0)
			CTL_LOG(INFO, "%u client messages suppressed", ctl->n_suppressed);
		ctl->log_sec = sec;
		ctl->n_logs = 0;
		ctl->n_suppressed = 0;
	}
	if (ctl->n_logs >= VS_CTL_LOG_RATE) {
		ctl->n_suppressed++;
		return false;
	}
	ctl->n_logs++;
	return true;
}

/* Fails vs_ctl_create(): sets errno and rte_errno to 'errnum' (positive) and
 * formats the message. */
static void create_err__(char *err, size_t err_size, int errnum, const char *fmt, ...)
		__attribute__((format(printf, 4, 5)));

static void
create_err__(char *err, size_t err_size, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && err_size > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_size, fmt, ap);
		va_end(ap);
	}
	errno = errnum;
	rte_errno = errnum;
}

static int
lookup_group__(const char *name, gid_t *gid)
{
	struct group grp, *res = NULL;
	size_t size = 1024;
	char *buf = NULL, *nbuf;
	int ret;

	do {
		size *= 2;
		nbuf = realloc(buf, size);
		if (nbuf == NULL) {
			free(buf);
			return -ENOMEM;
		}
		buf = nbuf;
		ret = getgrnam_r(name, &grp, buf, size, &res);
	} while (ret == ERANGE && size < (1u << 20));
	if (res != NULL)
		*gid = grp.gr_gid;
	free(buf);
	if (ret != 0)
		return -ret;
	return res != NULL ? 0 : -ENOENT;
}

/* Creates the directories leading to 'path' (mode 0755), like mkdir -p. */
static int
make_dirs__(const char *path)
{
	char *dir = strdup(path), *p;
	struct stat st;
	int ret = 0;

	if (dir == NULL)
		return -ENOMEM;
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		goto out_free;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			ret = -errno;
			goto out_free;
		}
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		ret = -errno;
	else if (stat(dir, &st) < 0)
		ret = -errno;
	else if (!S_ISDIR(st.st_mode))
		ret = -ENOTDIR;
out_free:
	free(dir);
	return ret;
}

/* Clears the way for bind(): nothing there, or a stale socket (connect()
 * refused: the server that made it is gone), which is removed.  A live
 * listener or a file that is not a socket is an error. */
static int
clear_path__(const struct sockaddr_un *sun, char *err, size_t err_size)
{
	const char *path = sun->sun_path;
	struct stat st;
	int fd, ret, saved;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		saved = errno;
		create_err__(err, err_size, saved, "cannot stat control socket %s: %s", path,
		             strerror(saved));
		return -saved;
	}
	if (!S_ISSOCK(st.st_mode)) {
		create_err__(err, err_size, EEXIST, "%s exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		saved = errno;
		create_err__(err, err_size, saved, "socket: %s", strerror(saved));
		return -saved;
	}
	/* Non-blocking: a live listener with a full backlog gives EAGAIN. */
	ret = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	saved = errno;
	close(fd);
	if (ret == 0 || saved == EAGAIN) {
		create_err__(err, err_size, EADDRINUSE,
		             "another server is listening on control socket %s", path);
		return -EADDRINUSE;
	}
	if (saved != ECONNREFUSED) {
		create_err__(err, err_size, saved, "cannot check control socket %s: %s", path,
		             strerror(saved));
		return -saved;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		saved = errno;
		create_err__(err, err_size, saved, "cannot remove stale control socket %s: %s",
		             path, strerror(saved));
		return -saved;
	}
	CTL_LOG(NOTICE, "removed stale control socket %s", path);
	return 0;
}

/* Binds and listens.  The mode is set on the socket before bind() (Linux
 * gives the new inode the fd's mode, masked by umask), so the path is never
 * reachable with wider permissions; chmod() afterwards undoes the umask. */
static int
bind_listen__(struct vs_ctl *ctl, const struct sockaddr_un *sun, mode_t mode, gid_t gid, char *err,
              size_t err_size)
{
	const char *path = sun->sun_path;
	struct stat st;
	int saved;

	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0) {
		saved = errno;
		create_err__(err, err_size, saved, "socket: %s", strerror(saved));
		return -saved;
	}
	if (fchmod(ctl->fd, mode) < 0 ||
	    bind(ctl->fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0) {
		saved = errno;
		create_err__(err, err_size, saved, "cannot bind control socket %s: %s", path,
		             strerror(saved));
		return -saved;
	}
	if (lstat(path, &st) < 0) {
		saved = errno;
		create_err__(err, err_size, saved, "cannot stat control socket %s: %s", path,
		             strerror(saved));
		goto err_unlink;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		saved = errno;
		create_err__(err, err_size, saved, "cannot set group of control socket %s: %s",
		             path, strerror(saved));
		goto err_unlink;
	}
	if (chmod(path, mode) < 0 || listen(ctl->fd, SOMAXCONN) < 0) {
		saved = errno;
		create_err__(err, err_size, saved, "cannot set up control socket %s: %s", path,
		             strerror(saved));
		goto err_unlink;
	}
	return 0;

err_unlink:
	unlink(path);
	return -saved;
}

struct vs_ctl *
vs_ctl_create(const struct vs_ctl_opts *opts, char *err, size_t err_size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	gid_t gid = (gid_t)-1;
	struct vs_ctl *ctl;
	unsigned int i;
	int ret;

	if (opts == NULL || opts->path == NULL || opts->path[0] == '\0' || opts->handler == NULL) {
		create_err__(err, err_size, EINVAL, "control socket: path and handler required");
		return NULL;
	}
	if (strlen(opts->path) >= sizeof(sun.sun_path)) {
		create_err__(err, err_size, ENAMETOOLONG,
		             "control socket path too long (max %zu bytes): %s",
		             sizeof(sun.sun_path) - 1, opts->path);
		return NULL;
	}
	strcpy(sun.sun_path, opts->path);
	if (opts->group != NULL) {
		ret = lookup_group__(opts->group, &gid);
		if (ret < 0) {
			create_err__(err, err_size, -ret, "control socket %s: %s group '%s'",
			             opts->path, ret == -ENOENT ? "unknown" : "cannot look up",
			             opts->group);
			return NULL;
		}
	}
	ret = make_dirs__(opts->path);
	if (ret < 0) {
		create_err__(err, err_size, -ret,
		             "cannot create directory for control socket %s: %s", opts->path,
		             strerror(-ret));
		return NULL;
	}
	if (clear_path__(&sun, err, err_size) < 0)
		return NULL;

	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL)
		goto err_nomem;
	ctl->path = strdup(opts->path);
	if (ctl->path == NULL)
		goto err_free;
	ctl->handler = opts->handler;
	ctl->handler_arg = opts->handler_arg;
	ctl->idle_ms = opts->idle_ms ? opts->idle_ms : VS_CTL_IDLE_MS;
	for (i = 0; i < VS_CTL_CLIENTS_MAX; i++)
		ctl->clients[i].fd = -1;
	ret = bind_listen__(ctl, &sun, opts->group != NULL ? 0660 : 0600, gid, err, err_size);
	if (ret < 0)
		goto err_close;
	CTL_LOG(INFO, "listening on %s", ctl->path);
	return ctl;

err_close:
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl->path);
	free(ctl);
	errno = -ret;
	rte_errno = -ret;
	return NULL;
err_free:
	free(ctl);
err_nomem:
	create_err__(err, err_size, ENOMEM, "control socket %s: out of memory", opts->path);
	return NULL;
}

static void
client_close__(struct vs_ctl *ctl, struct vs_ctl_client *c)
{
	close(c->fd);
	c->fd = -1;
	vs_ctl_dec_fini(&c->dec);
	free(c->body);
	c->body = NULL;
	c->body_len = 0;
	c->n_sent = 0;
	c->writing = false;
	ctl->n_clients--;
}

/* Sends what the socket takes; closes the client once the reply is out or
 * the client has gone. */
static void
client_write__(struct vs_ctl *ctl, struct vs_ctl_client *c, uint64_t now)
{
	size_t total = VS_CTL_HDR_LEN + c->body_len;
	struct msghdr msg = { 0 };
	struct iovec iov[2];
	ssize_t n;

	while (c->n_sent < total) {
		if (c->n_sent < VS_CTL_HDR_LEN) {
			iov[0].iov_base = c->hdr + c->n_sent;
			iov[0].iov_len = VS_CTL_HDR_LEN - c->n_sent;
			iov[1].iov_base = c->body;
			iov[1].iov_len = c->body_len;
			msg.msg_iovlen = 2;
		} else {
			iov[0].iov_base = c->body + (c->n_sent - VS_CTL_HDR_LEN);
			iov[0].iov_len = total - c->n_sent;
			msg.msg_iovlen = 1;
		}
		msg.msg_iov = iov;
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			CTL_LOG(DEBUG, "client gone before its reply was sent: %s",
			        strerror(errno));
			client_close__(ctl, c);
			return;
		}
		c->n_sent += (size_t)n;
		c->last_ms = now;
	}
	client_close__(ctl, c);
}

/* Queues 'r' as the client's reply (taking its buffer) and starts sending. */
static void
client_reply__(struct vs_ctl *ctl, struct vs_ctl_client *c, struct vs_reply *r, uint64_t now)
{
	if (r->status > 0)
		r->status = -r->status;
	/* Cut JSON does not parse; say why instead. */
	if (r->json && r->truncated && r->status == 0)
		vs_reply_error(r, -EFBIG, "output exceeds %u bytes", VS_REPLY_MAX);
	vs_ctl_reply_hdr_encode(c->hdr, r->status, (uint32_t)r->len);
	c->body = r->buf;
	c->body_len = r->buf != NULL ? r->len : 0;
	r->buf = NULL;
	vs_reply_free(r);
	vs_ctl_dec_fini(&c->dec);
	c->writing = true;
	c->n_sent = 0;
	client_write__(ctl, c, now);
}

/* Answers a malformed request with its reason.  The reply is JSON only if
 * the header was complete and valid and asked for it. */
static void
client_reject__(struct vs_ctl *ctl, struct vs_ctl_client *c, enum vs_ctl_perr err, uint64_t now)
{
	bool json = c->dec.req.len > 0 && (c->dec.req.flags & VS_CTL_F_JSON);
	struct vs_reply r;

	if (log_ok__(ctl))
		CTL_LOG(INFO, "rejected request: %s", vs_ctl_perr_str(err));
	vs_reply_init(&r, json);
	vs_reply_error(&r, vs_ctl_perr_errno(err), "%s", vs_ctl_perr_str(err));
	client_reply__(ctl, c, &r, now);
}

static void
client_execute__(struct vs_ctl *ctl, struct vs_ctl_client *c, uint64_t now)
{
	const struct vs_ctl_req *req = &c->dec.req;
	struct vs_reply r;
	char **argv;

	vs_reply_init(&r, (req->flags & VS_CTL_F_JSON) != 0);
	argv = malloc((req->argc + 1) * sizeof(*argv));
	if (argv == NULL) {
		vs_reply_error(&r, -ENOMEM, "out of memory");
	} else {
		vs_ctl_req_argv(req->payload, req->len, argv);
		ctl->handler((int)req->argc, argv, &r, ctl->handler_arg);
		free(argv);
	}
	client_reply__(ctl, c, &r, now);
}

/* Reads up to VS_CTL_RX_BUDGET bytes into the decoder. */
static void
client_read__(struct vs_ctl *ctl, struct vs_ctl_client *c, uint64_t now)
{
	enum vs_ctl_dec_status st;
	size_t budget = VS_CTL_RX_BUDGET, used;
	ssize_t n;

	while (budget > 0) {
		n = recv(c->fd, ctl->rx, sizeof(ctl->rx), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			if (c->dec.n_hdr > 0)
				CTL_LOG(DEBUG, "client gone mid-request");
			client_close__(ctl, c);
			return;
		}
		c->last_ms = now;
		budget -= RTE_MIN((size_t)n, budget);
		st = vs_ctl_dec_feed(&c->dec, ctl->rx, (size_t)n, &used);
		if (st == VS_CTL_DEC_DONE) {
			client_execute__(ctl, c, now);
			return;
		}
		if (st == VS_CTL_DEC_ERROR) {
			client_reject__(ctl, c, c->dec.err, now);
			return;
		}
	}
}

/*
 * Closes the reading clients whose peers have hung up with nothing unread.
 * Called when the table is full, so that clients that came and went since
 * the last poll() do not make a new one look like the 65th.
 */
static void
reap_hung_up__(struct vs_ctl *ctl)
{
	struct pollfd pfd;
	struct vs_ctl_client *c;
	unsigned int i;

	for (i = 0; i < VS_CTL_CLIENTS_MAX; i++) {
		c = &ctl->clients[i];
		if (c->fd < 0 || c->writing)
			continue;
		pfd = (struct pollfd){ .fd = c->fd, .events = POLLIN | POLLRDHUP };
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) &&
		    recv(c->fd, &(char){ 0 }, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
			client_close__(ctl, c);
	}
}

/* Accepts waiting connections; past VS_CTL_CLIENTS_MAX, answers with an
 * error and closes (a short write to a new socket cannot block). */
static void
accept_clients__(struct vs_ctl *ctl, uint64_t now)
{
	static const char full[] = "too many clients\n";
	uint8_t hdr[VS_CTL_HDR_LEN];
	struct vs_ctl_client *c;
	unsigned int i, k;
	int fd;

	for (k = 0; k < VS_CTL_ACCEPT_BURST; k++) {
		fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED && log_ok__(ctl))
				CTL_LOG(WARNING, "accept on %s: %s", ctl->path, strerror(errno));
			return;
		}
		if (ctl->n_clients == VS_CTL_CLIENTS_MAX)
			reap_hung_up__(ctl);
		if (ctl->n_clients == VS_CTL_CLIENTS_MAX) {
			struct iovec iov[2] = { { hdr, sizeof(hdr) },
				                { (void *)(uintptr_t)full, sizeof(full) - 1 } };
			struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

			if (log_ok__(ctl))
				CTL_LOG(WARNING, "too many clients (%u), refusing one",
				        VS_CTL_CLIENTS_MAX);
			vs_ctl_reply_hdr_encode(hdr, -EBUSY, sizeof(full) - 1);
			(void)sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		for (i = 0; ctl->clients[i].fd >= 0; i++)
			;
		c = &ctl->clients[i];
		c->fd = fd;
		c->last_ms = now;
		vs_ctl_dec_init(&c->dec);
		ctl->n_clients++;
	}
}

static void
expire_clients__(struct vs_ctl *ctl, uint64_t now)
{
	struct vs_ctl_client *c;
	unsigned int i;

	for (i = 0; i < VS_CTL_CLIENTS_MAX; i++) {
		c = &ctl->clients[i];
		if (c->fd < 0 || now - c->last_ms < ctl->idle_ms)
			continue;
		if (log_ok__(ctl))
			CTL_LOG(INFO, "dropping client idle for %u ms while %s", ctl->idle_ms,
			        c->writing ? "sending its reply" : "reading its request");
		client_close__(ctl, c);
	}
}

/* The poll() timeout: the caller's, cut short by the next idle deadline. */
static int
poll_timeout__(const struct vs_ctl *ctl, uint64_t now, int timeout_ms)
{
	uint64_t next = UINT64_MAX, due;
	unsigned int i;

	for (i = 0; i < VS_CTL_CLIENTS_MAX; i++) {
		if (ctl->clients[i].fd < 0)
			continue;
		due = ctl->clients[i].last_ms + ctl->idle_ms;
		next = RTE_MIN(next, due > now ? due - now : 0);
	}
	if (next == UINT64_MAX)
		return timeout_ms;
	next = RTE_MIN(next, (uint64_t)INT_MAX);
	if (timeout_ms < 0 || (uint64_t)timeout_ms > next)
		return (int)next;
	return timeout_ms;
}

void
vs_ctl_run(struct vs_ctl *ctl, int timeout_ms)
{
	struct pollfd pfds[1 + VS_CTL_CLIENTS_MAX];
	uint8_t slots[1 + VS_CTL_CLIENTS_MAX];
	struct vs_ctl_client *c;
	unsigned int i, n = 1;
	uint64_t now;
	int ret;

	if (ctl == NULL)
		return;
	now = now_ms__();
	pfds[0] = (struct pollfd){ .fd = ctl->fd, .events = POLLIN };
	for (i = 0; i < VS_CTL_CLIENTS_MAX; i++) {
		c = &ctl->clients[i];
		if (c->fd < 0)
			continue;
		pfds[n] = (struct pollfd){ .fd = c->fd, .events = c->writing ? POLLOUT : POLLIN };
		slots[n++] = (uint8_t)i;
	}
	ret = poll(pfds, n, poll_timeout__(ctl, now, timeout_ms));
	if (ret < 0 && errno != EINTR && log_ok__(ctl))
		CTL_LOG(WARNING, "poll: %s", strerror(errno));
	now = now_ms__();
	for (i = 1; ret > 0 && i < n; i++) {
		c = &ctl->clients[slots[i]];
		if (pfds[i].revents == 0)
			continue;
		/* POLLHUP/POLLERR surface as a failed recv() or sendmsg(). */
		if (c->writing)
			client_write__(ctl, c, now);
		else
			client_read__(ctl, c, now);
	}
	/* Accept after serving, so new clients do not shift 'slots'. */
	if (ret > 0 && (pfds[0].revents & POLLIN))
		accept_clients__(ctl, now);
	expire_clients__(ctl, now);
}

void
vs_ctl_destroy(struct vs_ctl *ctl)
{
	struct stat st;
	unsigned int i;

	if (ctl == NULL)
		return;
	for (i = 0; i < VS_CTL_CLIENTS_MAX; i++)
		if (ctl->clients[i].fd >= 0)
			client_close__(ctl, &ctl->clients[i]);
	close(ctl->fd);
	/* Unlink only our own socket, not one a successor has bound since. */
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev && st.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
