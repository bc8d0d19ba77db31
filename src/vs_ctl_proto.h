/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket framing, shared by the server (vs_ctl.c) and the client
 * (sluicectl.c).  Pure functions over caller memory: no I/O, no global state,
 * no DPDK, so sluicectl links it with libc alone and tests and fuzzers can
 * drive it directly.  The incremental decoder allocates one payload buffer
 * with malloc() (at most VS_CTL_REQ_MAX bytes); everything else works in the
 * caller's buffers.  Every object belongs to one thread at a time.
 *
 * Wire format, all integers in network byte order, one request and one reply
 * per connection (the server closes the connection after the reply):
 *
 *   request: "SLC1"  u32 flags  u32 len  payload[len]
 *            payload = argv[0] NUL argv[1] NUL ... argv[argc-1] NUL
 *            flags: VS_CTL_F_JSON (others must be 0)
 *            1 <= len <= VS_CTL_REQ_MAX, 1 <= argc <= VS_CTL_ARGS_MAX
 *   reply:   "SLC1"  i32 status  u32 len  body[len]
 *            status: 0, or a negative errno; body: text (or JSON), no NUL
 *            added, len <= VS_CTL_REPLY_MAX
 */
#ifndef VS_CTL_PROTO_H
#define VS_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VS_CTL_MAGIC     "SLC1"
#define VS_CTL_MAGIC_LEN 4
/** Length of both the request and the reply header. */
#define VS_CTL_HDR_LEN 12
/** Largest request payload (argument strings with their NULs). */
#define VS_CTL_REQ_MAX (1u << 20)
/** Most arguments in one request, the command word included. */
#define VS_CTL_ARGS_MAX 4096
/** Largest reply body: a full vs_reply (16 MiB) plus room for its note. */
#define VS_CTL_REPLY_MAX ((16u << 20) + 4096)

/** Request flag: the client wants JSON output. */
#define VS_CTL_F_JSON 0x1u
/** Every defined request flag; a request with any other bit is rejected. */
#define VS_CTL_F_ALL VS_CTL_F_JSON

/* Why a message was rejected: constant, reason text, errno for the reply. */
#define VS_CTL_PERR_LIST(X)                                                                        \
	X(OK, "ok", 0)                                                                             \
	X(TRUNCATED, "truncated message", EBADMSG)                                                 \
	X(BAD_MAGIC, "bad magic", EPROTO)                                                          \
	X(BAD_FLAGS, "unknown flags", EPROTO)                                                      \
	X(TOO_LARGE, "request too large", EMSGSIZE)                                                \
	X(EMPTY, "empty request", EINVAL)                                                          \
	X(NO_NUL, "argument not NUL-terminated", EBADMSG)                                          \
	X(TOO_MANY_ARGS, "too many arguments", E2BIG)                                              \
	X(BAD_STATUS, "bad reply status", EPROTO)                                                  \
	X(REPLY_TOO_LARGE, "reply too large", EMSGSIZE)                                            \
	X(NOMEM, "out of memory", ENOMEM)

#define VS_CTL_PERR_ENUM__(name, str, err) VS_CTL_PERR_##name,
/** Result of a framing check; VS_CTL_PERR_OK means accepted (so far). */
enum vs_ctl_perr { VS_CTL_PERR_LIST(VS_CTL_PERR_ENUM__) VS_CTL_PERR_N };
#undef VS_CTL_PERR_ENUM__

/** A decoded request header, and its payload once complete. */
struct vs_ctl_req {
	uint32_t flags;      /**< VS_CTL_F_* */
	uint32_t len;        /**< payload length in bytes */
	unsigned int argc;   /**< arguments in the payload, once checked */
	const char *payload; /**< argument strings, once complete; not owned */
};

/** @return the reason text for 'err', e.g. "bad magic"; never NULL. */
const char *vs_ctl_perr_str(enum vs_ctl_perr err);
/** @return the negative errno a reply carries for 'err' (0 for OK). */
int vs_ctl_perr_errno(enum vs_ctl_perr err);

/**
 * Computes the encoded size of a request.
 * @param argc, argv  the arguments; argv[i] must be non-NULL.
 * @param[out] size   header plus payload bytes.
 * @return 0, -EINVAL (argc < 1), -E2BIG (argc > VS_CTL_ARGS_MAX) or -EMSGSIZE
 *         (payload over VS_CTL_REQ_MAX).
 */
int vs_ctl_req_size(int argc, char *const argv[], size_t *size);
/**
 * Encodes a request into 'buf'.
 * @param flags  VS_CTL_F_* bits.
 * @return bytes written, -ENOBUFS if 'size' is too small, or an error of
 *         vs_ctl_req_size(); -EINVAL for unknown flags.
 */
ssize_t vs_ctl_req_encode(void *buf, size_t size, uint32_t flags, int argc, char *const argv[]);

/**
 * Checks the first 'n' bytes of a request header as far as they go, so a
 * bad magic is caught at its first wrong byte.  Fills req->flags and
 * req->len once n >= VS_CTL_HDR_LEN; reads at most VS_CTL_HDR_LEN bytes.
 * @return VS_CTL_PERR_OK if the prefix may start a valid request.
 */
enum vs_ctl_perr vs_ctl_req_hdr_check(const void *buf, size_t n, struct vs_ctl_req *req);
/**
 * Checks a complete payload: non-empty, ends with a NUL, at most
 * VS_CTL_ARGS_MAX arguments.  Reads exactly 'len' bytes.
 * @param[out] argc  the number of arguments.
 */
enum vs_ctl_perr vs_ctl_req_payload_check(const char *payload, size_t len, unsigned int *argc);
/**
 * Decodes one whole request at the start of buf[0, size).  Bytes after it
 * are not looked at.  Never reads past 'size'.
 * @param[out] req  header fields, argc, and payload pointing into 'buf'.
 * @return VS_CTL_PERR_OK, VS_CTL_PERR_TRUNCATED if 'size' ends before the
 *         request does and what is there is valid, or the first error found.
 */
enum vs_ctl_perr vs_ctl_req_decode(const void *buf, size_t size, struct vs_ctl_req *req);
/**
 * Points argv[0, argc) at the strings of a checked payload and sets
 * argv[argc] = NULL.  'argv' has room for argc + 1 pointers.
 */
void vs_ctl_req_argv(const char *payload, size_t len, char **argv);

/** Writes a reply header. */
void vs_ctl_reply_hdr_encode(void *hdr, int32_t status, uint32_t len);
/**
 * Decodes a reply header: buf holds at least VS_CTL_HDR_LEN bytes.
 * @return VS_CTL_PERR_OK, BAD_MAGIC, BAD_STATUS (status > 0) or
 *         REPLY_TOO_LARGE (len > VS_CTL_REPLY_MAX).
 */
enum vs_ctl_perr vs_ctl_reply_hdr_decode(const void *buf, int32_t *status, uint32_t *len);

/** Incremental request decoder state; see vs_ctl_dec_feed(). */
enum vs_ctl_dec_status {
	VS_CTL_DEC_MORE,  /**< valid so far, feed more bytes */
	VS_CTL_DEC_DONE,  /**< a whole request: req and payload are set */
	VS_CTL_DEC_ERROR, /**< rejected: see 'err' */
};

/** Incremental request decoder: one per connection. */
struct vs_ctl_dec {
	uint8_t hdr[VS_CTL_HDR_LEN];   /**< header bytes received so far */
	size_t n_hdr;                  /**< valid bytes in hdr */
	char *payload;                 /**< heap, req.len bytes, after a valid header */
	size_t n_payload;              /**< payload bytes received so far */
	struct vs_ctl_req req;         /**< header fields; argc/payload when DONE */
	enum vs_ctl_dec_status status; /**< current state */
	enum vs_ctl_perr err;          /**< the reason, when ERROR */
};

/** Prepares an empty decoder. */
void vs_ctl_dec_init(struct vs_ctl_dec *d);
/** Frees the payload buffer and reinitialises.  Accepts NULL. */
void vs_ctl_dec_fini(struct vs_ctl_dec *d);
/**
 * Feeds bytes as they arrive.  Consumes bytes up to the end of one request
 * or up to the byte that made it invalid, and no further.
 * @param[out] used  bytes consumed from data[0, n); the rest belongs to
 *                   whatever follows the request.
 * @return the decoder's status; once DONE or ERROR it stays there and
 *         consumes nothing.  Memory use is bounded by VS_CTL_REQ_MAX.
 */
enum vs_ctl_dec_status vs_ctl_dec_feed(struct vs_ctl_dec *d, const void *data, size_t n,
                                       size_t *used);

#endif /* VS_CTL_PROTO_H */
