/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluicectl: the command-line client of the sluiced control socket.  Sends
 * one request (the command words, framed by vs_ctl_proto.h) and prints the
 * reply: the body on stdout and exit 0 on success; "sluicectl: " and the
 * error on stderr and exit 1 when the command failed; exit 2 for usage
 * errors and when the daemon cannot be reached or does not answer in time.
 * Links libc and vs_ctl_proto.c only; single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "vs_ctl_proto.h"

#define CTL_RUN_DIR      "/run/sluice"
#define CTL_DEFAULT_PATH CTL_RUN_DIR "/sluiced.ctl"
#define CTL_TIMEOUT_S    30.0

enum {
	CTL_EXIT_OK = 0,      /**< the command succeeded */
	CTL_EXIT_FAILED = 1,  /**< the daemon ran the command and it failed */
	CTL_EXIT_TROUBLE = 2, /**< usage error, or no (valid) answer */
};

struct ctl_args {
	const char *path;        /**< socket path */
	const char *file_prefix; /**< --file-prefix, or NULL */
	bool json;               /**< --json */
	double timeout_s;        /**< --timeout; 0 waits forever */
	int argc;                /**< command words */
	char **argv;             /**< command words, in the caller's argv */
};

struct ctl_conn {
	int fd;            /**< connected socket */
	const char *path;  /**< for messages */
	uint64_t deadline; /**< monotonic ms; 0 for none */
	double timeout_s;  /**< for messages */
};

/* --file-prefix socket path; checked against sun_path when connecting. */
static char path_buf[PATH_MAX];
/* The request and the reply body.  File-scope so they stay reachable when
 * fail() exits midway (no leak report under sanitizers). */
static char *req_buf, *body_buf;

static void
usage(FILE *f)
{
	fprintf(f, "Usage: sluicectl [OPTIONS] COMMAND [ARG...] [--json]\n"
	           "Sends COMMAND to the sluiced control socket and prints the reply.\n"
	           "\n"
	           "Options:\n"
	           "  --ctl SOCKET       control socket; default $SLUICE_CTL, else\n"
	           "                     " CTL_RUN_DIR "/PREFIX.ctl with --file-prefix, else\n"
	           "                     " CTL_DEFAULT_PATH "\n"
	           "  --file-prefix P    talk to the daemon started with --file-prefix P\n"
	           "  --json             ask for JSON output; also accepted as the last\n"
	           "                     argument, after the command's arguments\n"
	           "  --timeout SEC      give up after SEC seconds (default 30, 0: never)\n"
	           "  -h, --help         show this help\n"
	           "\n"
	           "Exit status: 0 success, 1 the command failed, 2 usage error or no\n"
	           "answer from the daemon.\n"
	           "\n"
	           "Run 'sluicectl help' for the list of commands.\n");
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Prints "sluicectl: MESSAGE" and exits 2. */
static void
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("sluicectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(CTL_EXIT_TROUBLE);
}

static void usage_fail(const char *fmt, const char *arg) __attribute__((noreturn));

static void
usage_fail(const char *fmt, const char *arg)
{
	fputs("sluicectl: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'sluicectl --help'.\n", stderr);
	exit(CTL_EXIT_TROUBLE);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Matches "--name VALUE" and "--name=VALUE"; advances *i past the value. */
static bool
option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == '=') {
		*value = a + n + 1;
		return true;
	}
	if (a[n] != '\0')
		return false;
	if (*i + 1 >= argc)
		usage_fail("option %s needs a value", name);
	*value = argv[++*i];
	return true;
}

static double
parse_timeout(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 1e6))
		usage_fail("bad --timeout '%s' (seconds, 0 for none)", s);
	return v;
}

static void
parse_args(int argc, char **argv, struct ctl_args *a)
{
	const char *env, *v;
	int i;

	memset(a, 0, sizeof(*a));
	a->timeout_s = CTL_TIMEOUT_S;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			exit(CTL_EXIT_OK);
		}
		if (strcmp(argv[i], "--json") == 0)
			a->json = true;
		else if (option_value(argc, argv, &i, "--ctl", &v))
			a->path = v;
		else if (option_value(argc, argv, &i, "--file-prefix", &v))
			a->file_prefix = v;
		else if (option_value(argc, argv, &i, "--timeout", &v))
			a->timeout_s = parse_timeout(v);
		else
			usage_fail("unknown option '%s'", argv[i]);
	}
	a->argc = argc - i;
	a->argv = argv + i;
	if (a->argc > 1 && strcmp(a->argv[a->argc - 1], "--json") == 0) {
		a->json = true;
		a->argc--;
	}
	if (a->argc == 0)
		usage_fail("%s", "no command given (run 'sluicectl help' for the list)");

	if (a->path != NULL && a->path[0] == '\0')
		usage_fail("%s", "empty --ctl path");
	env = getenv("SLUICE_CTL");
	if (a->path == NULL && env != NULL && env[0] != '\0') {
		a->path = env;
	} else if (a->path == NULL && a->file_prefix != NULL) {
		if (a->file_prefix[0] == '\0' || strchr(a->file_prefix, '/') != NULL)
			usage_fail("bad --file-prefix '%s'", a->file_prefix);
		snprintf(path_buf, sizeof(path_buf), "%s/%s.ctl", CTL_RUN_DIR, a->file_prefix);
		a->path = path_buf;
	} else if (a->path == NULL) {
		a->path = CTL_DEFAULT_PATH;
	}
}

/* Waits for 'events' on the connection until its deadline. */
static void
conn_wait(const struct ctl_conn *c, short events, const char *what)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	uint64_t now;
	int ret, ms;

	do {
		ms = -1;
		if (c->deadline != 0) {
			now = now_ms();
			if (now >= c->deadline)
				fail("timed out after %g s %s %s", c->timeout_s, what, c->path);
			ms = c->deadline - now > INT_MAX ? INT_MAX : (int)(c->deadline - now);
		}
		ret = poll(&pfd, 1, ms);
	} while (ret == 0 || (ret < 0 && errno == EINTR));
	if (ret < 0)
		fail("poll on %s: %s", c->path, strerror(errno));
}

static void
conn_open(struct ctl_conn *c, const struct ctl_args *a)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { 0 };
	int saved;

	c->path = a->path;
	c->timeout_s = a->timeout_s;
	c->deadline = a->timeout_s > 0 ? now_ms() + (uint64_t)(a->timeout_s * 1000 + 0.5) : 0;
	if (strlen(a->path) >= sizeof(sun.sun_path))
		fail("control socket path too long: %s", a->path);
	strcpy(sun.sun_path, a->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		fail("socket: %s", strerror(errno));
	/* connect() on a Unix socket blocks only while the listener's backlog is
	 * full, for at most SO_SNDTIMEO. */
	tv.tv_sec = (time_t)a->timeout_s;
	tv.tv_usec = (suseconds_t)((a->timeout_s - (double)tv.tv_sec) * 1e6);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		saved = errno;
		if (saved == EAGAIN || saved == EINPROGRESS)
			fail("timed out after %g s connecting to %s", a->timeout_s, a->path);
		fail("cannot connect to %s: %s%s", a->path, strerror(saved),
		     saved == ENOENT || saved == ECONNREFUSED ? " (is sluiced running?)" : "");
	}
	if (fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0)
		fail("fcntl: %s", strerror(errno));
}

/* Sends the request.  If the daemon closes early (it rejected the request),
 * stops and lets the caller read its error reply. */
static void
conn_send(struct ctl_conn *c, const char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n >= 0) {
			off += (size_t)n;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			conn_wait(c, POLLOUT, "sending to");
		} else if (errno == EPIPE || errno == ECONNRESET) {
			return;
		} else if (errno != EINTR) {
			fail("send to %s: %s", c->path, strerror(errno));
		}
	}
}

/* Reads exactly 'len' bytes. */
static void
conn_recv(struct ctl_conn *c, char *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = recv(c->fd, buf + off, len - off, 0);
		if (n > 0)
			off += (size_t)n;
		else if (n == 0)
			fail("%s closed the connection before the reply was complete", c->path);
		else if (errno == EAGAIN || errno == EWOULDBLOCK)
			conn_wait(c, POLLIN, "waiting for a reply on");
		else if (errno != EINTR)
			fail("receive from %s: %s", c->path, strerror(errno));
	}
}

static char *
encode_request(const struct ctl_args *a, size_t *len)
{
	ssize_t n;
	char *buf;
	int ret;

	ret = vs_ctl_req_size(a->argc, a->argv, len);
	if (ret == -E2BIG)
		fail("too many arguments (at most %d)", VS_CTL_ARGS_MAX);
	if (ret == -EMSGSIZE)
		fail("request too large (at most %u bytes of arguments)", VS_CTL_REQ_MAX);
	if (ret < 0)
		fail("cannot encode request: %s", strerror(-ret));
	buf = malloc(*len);
	if (buf == NULL)
		fail("out of memory");
	n = vs_ctl_req_encode(buf, *len, a->json ? VS_CTL_F_JSON : 0, a->argc, a->argv);
	if (n < 0)
		fail("cannot encode request: %s", strerror((int)-n));
	return buf;
}

/* Prints a failed command's message as one "sluicectl: " line per line. */
static void
print_error(const char *body, size_t len, int32_t status)
{
	const char *p = body, *end = body + len, *nl;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (p == end) {
		fprintf(stderr, "sluicectl: command failed: %s\n", strerror(-status));
		return;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		fprintf(stderr, "sluicectl: %.*s\n", (int)(nl - p), p);
		p = nl + 1;
	}
}

int
main(int argc, char **argv)
{
	uint8_t hdr[VS_CTL_HDR_LEN];
	struct ctl_conn conn;
	struct ctl_args args;
	enum vs_ctl_perr err;
	int32_t status;
	uint32_t len;
	size_t req_len;

	parse_args(argc, argv, &args);
	req_buf = encode_request(&args, &req_len);
	conn_open(&conn, &args);
	conn_send(&conn, req_buf, req_len);
	free(req_buf);
	req_buf = NULL;

	conn_recv(&conn, (char *)hdr, sizeof(hdr));
	err = vs_ctl_reply_hdr_decode(hdr, &status, &len);
	if (err != VS_CTL_PERR_OK)
		fail("bad reply from %s: %s", conn.path, vs_ctl_perr_str(err));
	body_buf = malloc(len + 1);
	if (body_buf == NULL)
		fail("out of memory");
	conn_recv(&conn, body_buf, len);
	close(conn.fd);

	if (status < 0) {
		print_error(body_buf, len, status);
		free(body_buf);
		return CTL_EXIT_FAILED;
	}
	if (fwrite(body_buf, 1, len, stdout) != len || fflush(stdout) != 0)
		fail("write to stdout: %s", strerror(errno));
	free(body_buf);
	return CTL_EXIT_OK;
}
