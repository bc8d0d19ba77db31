/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket tests, no EAL: the framing of vs_ctl_proto.h (round trips,
 * a table of malformed requests, truncation at every offset, the incremental
 * decoder byte by byte and differentially against the whole-buffer decoder),
 * vs_reply, the server of vs_ctl.c driven by real client sockets (the server
 * runs vs_ctl_run() in its own thread), and the sluicectl binary end to end.
 * The sluicectl path comes from $SLUICECTL or the VS_TEST_SLUICECTL define.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <rte_log.h>

#include "vs_ctl.h"
#include "vs_ctl_proto.h"
#include "vs_reply.h"

/** Idle timeout the test server uses, in place of VS_CTL_IDLE_MS. */
#define TEST_IDLE_MS 500
/** Upper bound on any single wait, so a broken server fails instead of hanging. */
#define TEST_WAIT_MS 5000

/* ---------------------------------------------------------------------------
 * Framing helpers
 */

/* Writes a request header with arbitrary fields, for malformed cases. */
static size_t
put_hdr(uint8_t *buf, const char *magic, uint32_t flags, uint32_t len)
{
	uint32_t v;

	memcpy(buf, magic, 4);
	v = htonl(flags);
	memcpy(buf + 4, &v, 4);
	v = htonl(len);
	memcpy(buf + 8, &v, 4);
	return VS_CTL_HDR_LEN;
}

/* Encodes a request on the heap; asserts success. */
static uint8_t *
encode(uint32_t flags, int argc, char *const argv[], size_t *len)
{
	uint8_t *buf;
	ssize_t n;

	assert_int_equal(vs_ctl_req_size(argc, argv, len), 0);
	buf = malloc(*len);
	assert_non_null(buf);
	n = vs_ctl_req_encode(buf, *len, flags, argc, argv);
	assert_int_equal(n, (ssize_t)*len);
	return buf;
}

/* Feeds buf[0, len) to a fresh decoder one byte at a time.  Checks that
 * each byte is consumed while the decoder wants more and that nothing is
 * consumed after it stops.  Returns the final status. */
static enum vs_ctl_dec_status
feed_bytewise(struct vs_ctl_dec *d, const uint8_t *buf, size_t len)
{
	enum vs_ctl_dec_status st = VS_CTL_DEC_MORE;
	size_t i, used;

	vs_ctl_dec_init(d);
	for (i = 0; i < len; i++) {
		enum vs_ctl_dec_status prev = st;

		st = vs_ctl_dec_feed(d, buf + i, 1, &used);
		assert_int_equal(used, prev == VS_CTL_DEC_MORE ? 1 : 0);
	}
	return st;
}

/* ---------------------------------------------------------------------------
 * Framing tests
 */

static void
test_vs_ctl_round_trip(void **state)
{
	char *argv[] = { "show", "port", "", "x y", "\xc3\xa9" };
	struct vs_ctl_req req;
	char *out[6];
	uint8_t *buf;
	size_t len;
	unsigned int i;

	(void)state;
	buf = encode(VS_CTL_F_JSON, 5, argv, &len);
	assert_int_equal(len, VS_CTL_HDR_LEN + 5 + 5 + 1 + 4 + 3);
	assert_memory_equal(buf, "SLC1\0\0\0\x01\0\0\0\x12", VS_CTL_HDR_LEN);
	assert_int_equal(vs_ctl_req_decode(buf, len, &req), VS_CTL_PERR_OK);
	assert_int_equal(req.flags, VS_CTL_F_JSON);
	assert_int_equal(req.len, len - VS_CTL_HDR_LEN);
	assert_int_equal(req.argc, 5);
	assert_ptr_equal(req.payload, (char *)buf + VS_CTL_HDR_LEN);
	vs_ctl_req_argv(req.payload, req.len, out);
	for (i = 0; i < 5; i++)
		assert_string_equal(out[i], argv[i]);
	assert_null(out[5]);
	free(buf);

	/* Flags 0, one argument. */
	buf = encode(0, 1, argv, &len);
	assert_int_equal(vs_ctl_req_decode(buf, len, &req), VS_CTL_PERR_OK);
	assert_int_equal(req.flags, 0);
	assert_int_equal(req.argc, 1);
	free(buf);
}

static void
test_vs_ctl_encode_limits(void **state)
{
	static char arg[256], big[VS_CTL_REQ_MAX];
	char **argv = calloc(VS_CTL_ARGS_MAX + 1, sizeof(*argv));
	struct vs_ctl_req req;
	uint8_t small[VS_CTL_HDR_LEN + 4];
	uint8_t *buf;
	size_t len;
	int i;

	(void)state;
	assert_non_null(argv);
	/* 4096 arguments of 255 bytes + NUL: exactly VS_CTL_REQ_MAX. */
	memset(arg, 'a', 255);
	for (i = 0; i <= VS_CTL_ARGS_MAX; i++)
		argv[i] = arg;
	buf = encode(0, VS_CTL_ARGS_MAX, argv, &len);
	assert_int_equal(len, VS_CTL_HDR_LEN + VS_CTL_REQ_MAX);
	assert_int_equal(vs_ctl_req_decode(buf, len, &req), VS_CTL_PERR_OK);
	assert_int_equal(req.argc, VS_CTL_ARGS_MAX);
	free(buf);

	assert_int_equal(vs_ctl_req_size(VS_CTL_ARGS_MAX + 1, argv, &len), -E2BIG);
	/* One argument of 1 MiB - 1 bytes + NUL fits; one more NUL does not. */
	memset(big, 'z', VS_CTL_REQ_MAX - 1);
	argv[0] = big;
	assert_int_equal(vs_ctl_req_size(1, argv, &len), 0);
	assert_int_equal(len, VS_CTL_HDR_LEN + VS_CTL_REQ_MAX);
	argv[1] = "";
	assert_int_equal(vs_ctl_req_size(2, argv, &len), -EMSGSIZE);
	assert_int_equal(vs_ctl_req_size(0, argv, &len), -EINVAL);
	argv[0] = "abc";
	assert_int_equal(vs_ctl_req_encode(small, VS_CTL_HDR_LEN + 3, 0, 1, argv), -ENOBUFS);
	assert_int_equal(vs_ctl_req_encode(small, sizeof(small), 0x2, 1, argv), -EINVAL);
	assert_int_equal(vs_ctl_req_encode(small, sizeof(small), 0, 1, argv), VS_CTL_HDR_LEN + 4);
	free(argv);
}

static void
test_vs_ctl_reply_hdr(void **state)
{
	static const int32_t statuses[] = { 0, -1, -EINVAL, -EMSGSIZE, INT32_MIN };
	static const uint32_t lens[] = { 0, 1, VS_CTL_REPLY_MAX };
	uint8_t hdr[VS_CTL_HDR_LEN];
	int32_t status;
	uint32_t len;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			vs_ctl_reply_hdr_encode(hdr, statuses[i], lens[j]);
			assert_memory_equal(hdr, "SLC1", 4);
			assert_int_equal(vs_ctl_reply_hdr_decode(hdr, &status, &len),
			                 VS_CTL_PERR_OK);
			assert_int_equal(status, statuses[i]);
			assert_int_equal(len, lens[j]);
		}
	}
	vs_ctl_reply_hdr_encode(hdr, 1, 0);
	assert_int_equal(vs_ctl_reply_hdr_decode(hdr, &status, &len), VS_CTL_PERR_BAD_STATUS);
	vs_ctl_reply_hdr_encode(hdr, 0, VS_CTL_REPLY_MAX + 1);
	assert_int_equal(vs_ctl_reply_hdr_decode(hdr, &status, &len), VS_CTL_PERR_REPLY_TOO_LARGE);
	vs_ctl_reply_hdr_encode(hdr, 0, 0);
	hdr[3] = '2';
	assert_int_equal(vs_ctl_reply_hdr_decode(hdr, &status, &len), VS_CTL_PERR_BAD_MAGIC);
}

struct bad_req {
	const char *name;     /* what the case is */
	uint8_t *buf;         /* heap */
	size_t len;           /* bytes in buf */
	enum vs_ctl_perr err; /* expected from the whole-buffer decoder */
	const char *reason;   /* expected reason text */
	size_t n_used;        /* bytes the incremental decoder consumes */
};

static struct bad_req
bad(const char *name, const char *magic, uint32_t flags, uint32_t len, const void *payload,
    size_t n_payload, enum vs_ctl_perr err, const char *reason)
{
	struct bad_req b = { .name = name, .err = err, .reason = reason };

	b.buf = malloc(VS_CTL_HDR_LEN + n_payload);
	assert_non_null(b.buf);
	put_hdr(b.buf, magic, flags, len);
	if (n_payload > 0)
		memcpy(b.buf + VS_CTL_HDR_LEN, payload, n_payload);
	b.len = VS_CTL_HDR_LEN + n_payload;
	b.n_used = b.len;
	return b;
}

static void
test_vs_ctl_malformed(void **state)
{
	static const char http[] = "GET / HTTP/1.1\r\n\r\n";
	struct bad_req t[16];
	struct vs_ctl_req req;
	struct vs_ctl_dec d;
	char *many, *zeros;
	size_t n = 0, i, used;

	(void)state;
	many = malloc(2 * (VS_CTL_ARGS_MAX + 1));
	zeros = calloc(1, VS_CTL_ARGS_MAX + 1);
	assert_non_null(many);
	assert_non_null(zeros);
	for (i = 0; i < VS_CTL_ARGS_MAX + 1; i++)
		memcpy(many + 2 * i, "x", 2);

	t[n] = bad("bad magic", "XLC1", 0, 2, "a", 2, VS_CTL_PERR_BAD_MAGIC, "bad magic");
	t[n++].n_used = 1;
	t[n] = bad("magic case", "SLc1", 0, 2, "a", 2, VS_CTL_PERR_BAD_MAGIC, "bad magic");
	t[n++].n_used = 3;
	t[n] = bad("old version", "SLC0", 0, 2, "a", 2, VS_CTL_PERR_BAD_MAGIC, "bad magic");
	t[n++].n_used = 4;
	t[n] = bad("unknown flag", "SLC1", 0x2, 2, "a", 2, VS_CTL_PERR_BAD_FLAGS, "unknown flags");
	t[n++].n_used = 8;
	t[n] = bad("high flag", "SLC1", 0x80000001u, 2, "a", 2, VS_CTL_PERR_BAD_FLAGS,
	           "unknown flags");
	t[n++].n_used = 8;
	t[n] = bad("empty", "SLC1", 0, 0, NULL, 0, VS_CTL_PERR_EMPTY, "empty request");
	t[n++].n_used = 12;
	t[n] = bad("one over limit", "SLC1", 0, VS_CTL_REQ_MAX + 1, "a", 2, VS_CTL_PERR_TOO_LARGE,
	           "request too large");
	t[n++].n_used = 12;
	t[n] = bad("100 MB", "SLC1", VS_CTL_F_JSON, 100u << 20, "a", 2, VS_CTL_PERR_TOO_LARGE,
	           "request too large");
	t[n++].n_used = 12;
	t[n] = bad("length ~0", "SLC1", 0, UINT32_MAX, NULL, 0, VS_CTL_PERR_TOO_LARGE,
	           "request too large");
	t[n++].n_used = 12;
	t[n++] = bad("no NUL", "SLC1", 0, 3, "abc", 3, VS_CTL_PERR_NO_NUL,
	             "argument not NUL-terminated");
	t[n++] = bad("last arg no NUL", "SLC1", 0, 3, "a\0b", 3, VS_CTL_PERR_NO_NUL,
	             "argument not NUL-terminated");
	t[n++] = bad("4097 empty args", "SLC1", 0, VS_CTL_ARGS_MAX + 1, zeros, VS_CTL_ARGS_MAX + 1,
	             VS_CTL_PERR_TOO_MANY_ARGS, "too many arguments");
	t[n++] = bad("4097 args", "SLC1", 0, 2 * (VS_CTL_ARGS_MAX + 1), many,
	             2 * (VS_CTL_ARGS_MAX + 1), VS_CTL_PERR_TOO_MANY_ARGS, "too many arguments");
	t[n] = bad("short payload", "SLC1", 0, 5, "ab\0", 3, VS_CTL_PERR_TRUNCATED,
	           "truncated message");
	t[n++].n_used = VS_CTL_HDR_LEN + 3;
	/* Not ours at all: caught at the first byte. */
	t[n] = bad("http", "GET ", 0, 0, NULL, 0, VS_CTL_PERR_BAD_MAGIC, "bad magic");
	memcpy(t[n].buf, http, VS_CTL_HDR_LEN);
	t[n++].n_used = 1;

	for (i = 0; i < n; i++) {
		enum vs_ctl_dec_status want = t[i].err == VS_CTL_PERR_TRUNCATED ? VS_CTL_DEC_MORE :
		                                                                  VS_CTL_DEC_ERROR;

		assert_int_equal(vs_ctl_req_decode(t[i].buf, t[i].len, &req), t[i].err);
		assert_string_equal(vs_ctl_perr_str(t[i].err), t[i].reason);
		assert_true(vs_ctl_perr_errno(t[i].err) < 0);

		/* Byte by byte: same verdict, nothing consumed past the bad byte. */
		assert_int_equal(feed_bytewise(&d, t[i].buf, t[i].len), want);
		if (want == VS_CTL_DEC_ERROR)
			assert_int_equal(d.err, t[i].err);
		assert_int_equal(d.n_hdr + d.n_payload, t[i].n_used);
		vs_ctl_dec_fini(&d);

		/* All at once: same verdict and the same bytes consumed. */
		vs_ctl_dec_init(&d);
		assert_int_equal(vs_ctl_dec_feed(&d, t[i].buf, t[i].len, &used), want);
		assert_int_equal(used, t[i].n_used);
		vs_ctl_dec_fini(&d);
		free(t[i].buf);
	}
	assert_int_equal(vs_ctl_perr_errno(VS_CTL_PERR_OK), 0);
	assert_int_equal(vs_ctl_perr_errno(VS_CTL_PERR_TOO_LARGE), -EMSGSIZE);
	free(many);
	free(zeros);
}

static void
test_vs_ctl_truncated_every_offset(void **state)
{
	char *argv[] = { "port", "add", "vhu0", "type=vhost" };
	struct vs_ctl_req req;
	uint8_t *buf, *copy;
	size_t len, k;

	(void)state;
	buf = encode(VS_CTL_F_JSON, 4, argv, &len);
	for (k = 0; k < len; k++) {
		/* An exact-size heap copy, so an over-read touches foreign memory. */
		copy = malloc(k ? k : 1);
		assert_non_null(copy);
		memcpy(copy, buf, k);
		assert_int_equal(vs_ctl_req_decode(copy, k, &req), VS_CTL_PERR_TRUNCATED);
		free(copy);
	}
	assert_int_equal(vs_ctl_req_decode(buf, len, &req), VS_CTL_PERR_OK);
	assert_int_equal(req.argc, 4);
	free(buf);
}

static void
test_vs_ctl_dec_bytewise(void **state)
{
	char *argv1[] = { "flow", "add", "in_port=1,actions=drop" };
	char *argv2[] = { "help" };
	struct vs_ctl_dec d;
	uint8_t *a, *b, *both;
	size_t la, lb, used;
	char *out[4];

	(void)state;
	a = encode(0, 3, argv1, &la);
	b = encode(VS_CTL_F_JSON, 1, argv2, &lb);

	/* MORE for every byte but the last, which completes it. */
	assert_int_equal(feed_bytewise(&d, a, la - 1), VS_CTL_DEC_MORE);
	assert_int_equal(vs_ctl_dec_feed(&d, a + la - 1, 1, &used), VS_CTL_DEC_DONE);
	assert_int_equal(used, 1);
	assert_int_equal(d.req.argc, 3);
	vs_ctl_req_argv(d.req.payload, d.req.len, out);
	assert_string_equal(out[2], "in_port=1,actions=drop");
	assert_int_equal(vs_ctl_dec_feed(&d, b, lb, &used), VS_CTL_DEC_DONE);
	assert_int_equal(used, 0);
	vs_ctl_dec_fini(&d);

	/* Two requests back to back: the first stops at its own end. */
	both = malloc(la + lb);
	assert_non_null(both);
	memcpy(both, a, la);
	memcpy(both + la, b, lb);
	vs_ctl_dec_init(&d);
	assert_int_equal(vs_ctl_dec_feed(&d, both, la + lb, &used), VS_CTL_DEC_DONE);
	assert_int_equal(used, la);
	vs_ctl_dec_fini(&d);
	vs_ctl_dec_init(&d);
	assert_int_equal(vs_ctl_dec_feed(&d, both + used, la + lb - used, &used), VS_CTL_DEC_DONE);
	assert_int_equal(used, lb);
	assert_int_equal(d.req.flags, VS_CTL_F_JSON);
	assert_int_equal(d.req.argc, 1);
	vs_ctl_dec_fini(&d);

	/* An empty feed changes nothing. */
	vs_ctl_dec_init(&d);
	assert_int_equal(vs_ctl_dec_feed(&d, NULL, 0, &used), VS_CTL_DEC_MORE);
	assert_int_equal(used, 0);
	vs_ctl_dec_fini(&d);
	free(a);
	free(b);
	free(both);
}

/* Differential: random mutations of valid requests, decoded whole and fed
 * in random chunks, must get the same verdict. */
static void
test_vs_ctl_dec_matches_decode(void **state)
{
	char *argv[] = { "a", "bb", "", "ccc" };
	uint8_t *valid, buf[64];
	unsigned int seed = 12345, iter, n_ok = 0, n_err = 0, n_more = 0;
	struct vs_ctl_req req;
	struct vs_ctl_dec d;
	enum vs_ctl_perr want;
	enum vs_ctl_dec_status st = VS_CTL_DEC_MORE;
	size_t len, vlen, off, chunk, used;

	(void)state;
	valid = encode(0, 4, argv, &vlen);
	for (iter = 0; iter < 20000; iter++) {
		int n_flip = rand_r(&seed) % 4;

		len = vlen;
		memcpy(buf, valid, vlen);
		if (rand_r(&seed) % 4 == 0)
			len = (size_t)rand_r(&seed) % (vlen + 1);
		while (n_flip-- > 0 && len > 0) {
			size_t at = (size_t)rand_r(&seed) % len;

			/* Favour the length and flags bytes and the payload NULs. */
			buf[at] = rand_r(&seed) % 2 ? 0 : (uint8_t)rand_r(&seed);
		}
		want = vs_ctl_req_decode(buf, len, &req);
		vs_ctl_dec_init(&d);
		for (off = 0; off < len; off += used) {
			chunk = 1 + (size_t)rand_r(&seed) % (len - off);
			st = vs_ctl_dec_feed(&d, buf + off, chunk, &used);
			if (st != VS_CTL_DEC_MORE)
				break;
			assert_int_equal(used, chunk);
		}
		if (len == 0)
			st = VS_CTL_DEC_MORE;
		if (want == VS_CTL_PERR_OK) {
			assert_int_equal(st, VS_CTL_DEC_DONE);
			assert_int_equal(d.req.argc, req.argc);
			assert_int_equal(d.req.flags, req.flags);
			assert_memory_equal(d.req.payload, req.payload, req.len);
			n_ok++;
		} else if (want == VS_CTL_PERR_TRUNCATED) {
			assert_int_equal(st, VS_CTL_DEC_MORE);
			n_more++;
		} else {
			assert_int_equal(st, VS_CTL_DEC_ERROR);
			assert_int_equal(d.err, want);
			n_err++;
		}
		vs_ctl_dec_fini(&d);
	}
	/* The generator reaches all three verdicts. */
	assert_true(n_ok > 100 && n_err > 100 && n_more > 100);
	free(valid);
}

/* ---------------------------------------------------------------------------
 * vs_reply
 */

static void
test_vs_ctl_reply_printf_grows(void **state)
{
	struct vs_reply r;
	size_t want = 0;
	int i;

	(void)state;
	vs_reply_init(&r, false);
	assert_non_null(r.buf);
	assert_string_equal(r.buf, "");
	for (i = 0; i < 10000; i++) {
		vs_reply_printf(&r, "line %d %s\n", i, "xxxxxxxxxxxxxxxxxxxxxxxx");
		want += (size_t)snprintf(NULL, 0, "line %d %s\n", i, "xxxxxxxxxxxxxxxxxxxxxxxx");
	}
	assert_int_equal(r.len, want);
	assert_int_equal(strlen(r.buf), want);
	assert_true(r.cap > r.len);
	assert_string_equal(r.buf + want - 35, "line 9999 xxxxxxxxxxxxxxxxxxxxxxxx\n");
	assert_false(r.truncated);
	assert_int_equal(r.status, 0);
	vs_reply_reset(&r);
	assert_int_equal(r.len, 0);
	assert_string_equal(r.buf, "");
	vs_reply_free(&r);
	vs_reply_free(&r); /* twice is fine */
}

static void
test_vs_ctl_reply_truncated(void **state)
{
	static const char note[] = "\n... output truncated at 16 MiB\n";
	char *chunk = malloc(1u << 20);
	struct vs_reply r;
	int i;

	(void)state;
	assert_non_null(chunk);
	memset(chunk, 'x', (1u << 20) - 1);
	chunk[(1u << 20) - 1] = '\0';
	vs_reply_init(&r, false);
	for (i = 0; i < 17; i++)
		vs_reply_printf(&r, "%s", chunk);
	assert_true(r.truncated);
	assert_int_equal(r.len, VS_REPLY_MAX);
	assert_int_equal(strlen(r.buf), VS_REPLY_MAX);
	assert_string_equal(r.buf + VS_REPLY_MAX - (sizeof(note) - 1), note);
	assert_int_equal(r.buf[VS_REPLY_MAX - sizeof(note)], 'x');
	vs_reply_printf(&r, "more");
	vs_reply_json_str(&r, "more");
	assert_int_equal(r.len, VS_REPLY_MAX);
	/* An error replaces a cut body. */
	assert_int_equal(vs_reply_error(&r, -E2BIG, "too big"), -E2BIG);
	assert_false(r.truncated);
	assert_string_equal(r.buf, "too big\n");
	vs_reply_free(&r);
	free(chunk);
}

static void
test_vs_ctl_reply_json_str(void **state)
{
	struct vs_reply r;

	(void)state;
	vs_reply_init(&r, true);
	vs_reply_json_str(&r, "a\"b\\c\nd\te\r\x01\x1f");
	assert_string_equal(r.buf, "\"a\\\"b\\\\c\\nd\\te\\r\\u0001\\u001f\"");
	vs_reply_reset(&r);
	assert_true(r.json);
	/* Valid UTF-8 passes; invalid bytes, overlongs and surrogates do not. */
	vs_reply_json_str(
			&r,
			"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xff|\xc0\xaf|\xed\xa0\x80|\xe2\x82");
	assert_string_equal(r.buf, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\\ufffd|\\ufffd\\ufffd|"
	                           "\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\"");
	vs_reply_reset(&r);
	vs_reply_json_str(&r, "");
	vs_reply_printf(&r, ",");
	vs_reply_json_str(&r, NULL);
	assert_string_equal(r.buf, "\"\",null");
	vs_reply_free(&r);
}

static void
test_vs_ctl_reply_error(void **state)
{
	struct vs_reply r;

	(void)state;
	vs_reply_init(&r, false);
	vs_reply_printf(&r, "partial output\n");
	assert_int_equal(vs_reply_error(&r, -ENOENT, "no port '%s'", "vhu0"), -ENOENT);
	assert_int_equal(r.status, -ENOENT);
	assert_string_equal(r.buf, "no port 'vhu0'\n");
	/* One line, always; a positive errno is made negative. */
	assert_int_equal(vs_reply_error(&r, EINVAL, "bad\nvalue\n"), -EINVAL);
	assert_string_equal(r.buf, "bad value\n");
	assert_int_equal(vs_reply_error(&r, 0, "zero"), -EINVAL);
	vs_reply_reset(&r);
	assert_int_equal(r.status, 0);
	vs_reply_free(&r);

	vs_reply_init(&r, true);
	assert_int_equal(vs_reply_error(&r, -EEXIST, "port \"%s\" exists", "p0"), -EEXIST);
	assert_string_equal(r.buf, "{\"error\": \"port \\\"p0\\\" exists\"}\n");
	vs_reply_free(&r);

	/* Messages longer than any fixed buffer survive whole. */
	vs_reply_init(&r, false);
	{
		char *big = malloc(5000);

		assert_non_null(big);
		memset(big, 'm', 4999);
		big[4999] = '\0';
		vs_reply_error(&r, -EIO, "%s!", big);
		assert_int_equal(r.len, 5001);
		assert_memory_equal(r.buf + 4999, "!\n", 2);
		free(big);
	}
	vs_reply_free(&r);
}

/* ---------------------------------------------------------------------------
 * Server fixture: vs_ctl_run() on its own thread, real sockets in a temp dir
 */

struct srv {
	char dir[64];         /* mkdtemp() directory */
	char path[128];       /* socket path */
	struct vs_ctl *ctl;   /* the server */
	pthread_t thread;     /* runs vs_ctl_run() */
	int stop;             /* set by the test, read by the thread (__atomic) */
	unsigned int n_calls; /* handler calls (__atomic) */
};

/* Echoes argv: "a b c\n", or {"argv": ["a", "b"]} in JSON mode.  "fail X"
 * fails with -ENOENT, "big N" prints N bytes. */
static void
echo_handler(int argc, char **argv, struct vs_reply *r, void *arg)
{
	struct srv *s = arg;
	int i;

	__atomic_fetch_add(&s->n_calls, 1, __ATOMIC_RELAXED);
	if (strcmp(argv[0], "fail") == 0) {
		vs_reply_error(r, -ENOENT, "no such thing: %s", argc > 1 ? argv[1] : "");
		return;
	}
	if (strcmp(argv[0], "big") == 0 && argc == 2) {
		long n = atol(argv[1]);

		for (; n >= 64; n -= 64)
			vs_reply_printf(r, "%063d\n", 0);
		vs_reply_printf(r, "%.*s", (int)n,
		                "................................................................");
		return;
	}
	if (r->json) {
		vs_reply_printf(r, "{\"argv\": [");
		for (i = 0; i < argc; i++) {
			vs_reply_printf(r, i ? ", " : "");
			vs_reply_json_str(r, argv[i]);
		}
		vs_reply_printf(r, "]}\n");
		return;
	}
	for (i = 0; i < argc; i++)
		vs_reply_printf(r, "%s%s", i ? " " : "", argv[i]);
	vs_reply_printf(r, "\n");
}

static void *
srv_thread(void *arg)
{
	struct srv *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
		vs_ctl_run(s->ctl, 10);
	return NULL;
}

static struct vs_ctl *
srv_create(struct srv *s, const char *path, const char *group, char *err, size_t err_size)
{
	struct vs_ctl_opts o = {
		.path = path,
		.group = group,
		.handler = echo_handler,
		.handler_arg = s,
		.idle_ms = TEST_IDLE_MS,
	};

	return vs_ctl_create(&o, err, err_size);
}

static int
srv_setup(void **state)
{
	struct srv *s = calloc(1, sizeof(*s));
	char err[256] = "";

	assert_non_null(s);
	strcpy(s->dir, "/tmp/test_vs_ctl.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/ctl.sock", s->dir);
	s->ctl = srv_create(s, s->path, NULL, err, sizeof(err));
	if (s->ctl == NULL)
		fail_msg("vs_ctl_create: %s", err);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_thread, s), 0);
	*state = s;
	return 0;
}

/* Removes what the tests may leave in the temp dir. */
static void
rm_tree(const char *dir)
{
	static const char *const names[] = { "ctl.sock",   "other.sock", "file",
		                             "a/b/c.sock", "a/b",        "a",
		                             "stale.sock", "g.sock",     "mute.sock" };
	char p[256];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		if (unlink(p) < 0)
			rmdir(p);
	}
	rmdir(dir);
}

static int
srv_teardown(void **state)
{
	struct srv *s = *state;

	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	vs_ctl_destroy(s->ctl);
	rm_tree(s->dir);
	free(s);
	return 0;
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
cli_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TEST_WAIT_MS / 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(sun.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		fail_msg("connect %s: %s", path, strerror(errno));
	/* A broken server fails the test instead of hanging it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static void
send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0)
			fail_msg("send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void
recv_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = recv(fd, p, len, 0);
		if (n <= 0)
			fail_msg("recv: %s", n == 0 ? "EOF" : strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Reads one reply and checks the server closes right after it.  Returns the
 * body (heap, NUL added). */
static char *
read_reply(int fd, int32_t *status)
{
	uint8_t hdr[VS_CTL_HDR_LEN];
	uint32_t len;
	char *body, c;
	ssize_t n;

	recv_all(fd, hdr, sizeof(hdr));
	assert_int_equal(vs_ctl_reply_hdr_decode(hdr, status, &len), VS_CTL_PERR_OK);
	body = malloc((size_t)len + 1);
	assert_non_null(body);
	recv_all(fd, body, len);
	body[len] = '\0';
	/* Then the server closes: one request per connection.  If it closed
	 * with our bytes unread (a rejected flood), the kernel reports that as
	 * ECONNRESET once the reply has been read. */
	n = recv(fd, &c, 1, 0);
	if (n != 0 && !(n < 0 && errno == ECONNRESET))
		fail_msg("expected the server to close: recv %zd, %s", n, strerror(errno));
	return body;
}

/* Sends one request on a new connection; returns the reply body. */
static char *
request(const char *path, uint32_t flags, int argc, char *const argv[], int32_t *status)
{
	uint8_t *buf;
	size_t len;
	char *body;
	int fd;

	fd = cli_connect(path);
	buf = encode(flags, argc, argv, &len);
	send_all(fd, buf, len);
	free(buf);
	body = read_reply(fd, status);
	close(fd);
	return body;
}

/* Asserts a normal request still works. */
static void
check_serves(const char *path)
{
	char *argv[] = { "still", "alive" };
	int32_t status;
	char *body;

	body = request(path, 0, 2, argv, &status);
	assert_int_equal(status, 0);
	assert_string_equal(body, "still alive\n");
	free(body);
}

/* Waits until the peer has closed 'fd' (POLLRDHUP shows it even while
 * unread data is queued).  Returns the ms waited, or -1 on timeout. */
static long
wait_closed(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };
	uint64_t t0 = mono_ms();
	int ret;

	do
		ret = poll(&pfd, 1, timeout_ms);
	while (ret < 0 && errno == EINTR);
	if (ret <= 0)
		return -1;
	return (long)(mono_ms() - t0);
}

/* ---------------------------------------------------------------------------
 * Server tests
 */

static void
test_vs_ctl_request_reply(void **state)
{
	struct srv *s = *state;
	char *argv[] = { "port", "show", "", "a b" };
	int32_t status;
	char *body;

	body = request(s->path, 0, 4, argv, &status);
	assert_int_equal(status, 0);
	assert_string_equal(body, "port show  a b\n");
	free(body);
	assert_int_equal(__atomic_load_n(&s->n_calls, __ATOMIC_RELAXED), 1);
}

static void
test_vs_ctl_json_flag(void **state)
{
	struct srv *s = *state;
	char *argv[] = { "show", "q\"uote" };
	int32_t status;
	char *body;

	body = request(s->path, VS_CTL_F_JSON, 2, argv, &status);
	assert_int_equal(status, 0);
	assert_string_equal(body, "{\"argv\": [\"show\", \"q\\\"uote\"]}\n");
	free(body);
}

static void
test_vs_ctl_error_reply(void **state)
{
	struct srv *s = *state;
	char *argv[] = { "fail", "vhu9" };
	int32_t status;
	char *body;

	body = request(s->path, 0, 2, argv, &status);
	assert_int_equal(status, -ENOENT);
	assert_string_equal(body, "no such thing: vhu9\n");
	free(body);
	body = request(s->path, VS_CTL_F_JSON, 2, argv, &status);
	assert_true(status < 0);
	assert_string_equal(body, "{\"error\": \"no such thing: vhu9\"}\n");
	free(body);
}

static void
test_vs_ctl_large_reply(void **state)
{
	static const char note[] = "\n... output truncated at 16 MiB\n";
	struct srv *s = *state;
	char *argv[] = { "big", "17000000" };
	int32_t status;
	char *body;

	/* A full 16 MiB body crosses the socket whole, cut with its note. */
	body = request(s->path, 0, 2, argv, &status);
	assert_int_equal(status, 0);
	assert_int_equal(strlen(body), VS_REPLY_MAX);
	assert_string_equal(body + VS_REPLY_MAX - (sizeof(note) - 1), note);
	free(body);
	/* Cut JSON would not parse: the server turns it into an error. */
	body = request(s->path, VS_CTL_F_JSON, 2, argv, &status);
	assert_int_equal(status, -EFBIG);
	assert_string_equal(body, "{\"error\": \"output exceeds 16777216 bytes\"}\n");
	free(body);
}

static void
test_vs_ctl_garbage_rejected(void **state)
{
	static const char http[] = "GET /status HTTP/1.1\r\nHost: x\r\n\r\n";
	struct srv *s = *state;
	uint8_t hdr[VS_CTL_HDR_LEN + 2];
	int32_t status;
	char *body;
	int fd;

	fd = cli_connect(s->path);
	send_all(fd, http, sizeof(http) - 1);
	body = read_reply(fd, &status);
	assert_int_equal(status, -EPROTO);
	assert_string_equal(body, "bad magic\n");
	free(body);
	close(fd);

	/* Unknown flags: the JSON bit next to them is not trusted, a text error. */
	fd = cli_connect(s->path);
	put_hdr(hdr, "SLC1", VS_CTL_F_JSON | 0x100, 2);
	memcpy(hdr + VS_CTL_HDR_LEN, "a", 2);
	send_all(fd, hdr, sizeof(hdr));
	body = read_reply(fd, &status);
	assert_true(status < 0);
	assert_string_equal(body, "unknown flags\n");
	free(body);
	close(fd);

	/* A payload without its NUL, with the JSON flag: a JSON error. */
	fd = cli_connect(s->path);
	put_hdr(hdr, "SLC1", VS_CTL_F_JSON, 2);
	memcpy(hdr + VS_CTL_HDR_LEN, "ab", 2);
	send_all(fd, hdr, sizeof(hdr));
	body = read_reply(fd, &status);
	assert_int_equal(status, -EBADMSG);
	assert_string_equal(body, "{\"error\": \"argument not NUL-terminated\"}\n");
	free(body);
	close(fd);
	assert_int_equal(__atomic_load_n(&s->n_calls, __ATOMIC_RELAXED), 0);
	check_serves(s->path);
}

static long
proc_status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, strlen(key)) == 0)
			v = atol(line + strlen(key));
	fclose(f);
	assert_true(v >= 0);
	return v;
}

/* Streams up to 'total' bytes after 'hdr' until the server stops taking
 * them; returns the bytes sent. */
static size_t
flood(int fd, const uint8_t *hdr, size_t total)
{
	static uint8_t chunk[64 << 10];
	size_t sent = 0;
	ssize_t n;

	memset(chunk, 'A', sizeof(chunk));
	send_all(fd, hdr, VS_CTL_HDR_LEN);
	while (sent < total) {
		n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
		if (n < 0) {
			assert_true(errno == EPIPE || errno == ECONNRESET);
			break;
		}
		sent += (size_t)n;
	}
	return sent;
}

static void
test_vs_ctl_huge_request_bounded(void **state)
{
	struct srv *s = *state;
	uint8_t hdr[VS_CTL_HDR_LEN];
	long rss0, hwm;
	int32_t status;
	size_t sent;
	char *body;
	FILE *f;
	int fd;

	/* Reset the peak RSS (VmHWM) to the current RSS (proc(5), clear_refs). */
	f = fopen("/proc/self/clear_refs", "w");
	assert_non_null(f);
	assert_int_equal(fputs("5", f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	rss0 = proc_status_kb("VmRSS:");

	/* 1) The header announces 100 MB: refused before any payload is read. */
	fd = cli_connect(s->path);
	put_hdr(hdr, "SLC1", 0, 100u << 20);
	sent = flood(fd, hdr, 100u << 20);
	body = read_reply(fd, &status);
	assert_int_equal(status, -EMSGSIZE);
	assert_string_equal(body, "request too large\n");
	free(body);
	close(fd);
	assert_true(sent < (100u << 20));

	/* 2) A valid 1 MiB header, then 100 MB without a NUL: the server buffers
	 * exactly 1 MiB, rejects it, and reads no more. */
	fd = cli_connect(s->path);
	put_hdr(hdr, "SLC1", 0, VS_CTL_REQ_MAX);
	sent = flood(fd, hdr, 100u << 20);
	body = read_reply(fd, &status);
	assert_int_equal(status, -EBADMSG);
	assert_string_equal(body, "argument not NUL-terminated\n");
	free(body);
	close(fd);
	assert_true(sent >= VS_CTL_REQ_MAX);
	assert_true(sent < (100u << 20));

	hwm = proc_status_kb("VmHWM:");
	print_message("RSS %ld kB, peak %ld kB after two 100 MB floods\n", rss0, hwm);
	assert_true(hwm - rss0 < 8 * 1024);
	check_serves(s->path);
}

static void
test_vs_ctl_idle_clients_dropped(void **state)
{
	struct srv *s = *state;
	char *argv[] = { "set", "a-long-enough-argument" };
	struct pollfd pfds[2];
	uint8_t *req;
	size_t len;
	long waited;
	uint64_t t0;
	int quiet, half, i;
	char c;

	t0 = mono_ms();
	quiet = cli_connect(s->path);
	half = cli_connect(s->path);
	req = encode(0, 2, argv, &len);
	send_all(half, req, len / 2);
	free(req);

	/* Another client is served meanwhile, well before the timeout. */
	usleep(TEST_IDLE_MS * 1000 / 3);
	check_serves(s->path);
	assert_true(mono_ms() - t0 < TEST_IDLE_MS);
	pfds[0] = (struct pollfd){ .fd = quiet, .events = POLLRDHUP };
	pfds[1] = (struct pollfd){ .fd = half, .events = POLLRDHUP };
	assert_int_equal(poll(pfds, 2, 0), 0); /* neither dropped yet */

	for (i = 0; i < 2; i++) {
		int fd = i == 0 ? quiet : half;

		waited = wait_closed(fd, TEST_WAIT_MS);
		assert_true(waited >= 0);
		print_message("client %d dropped after %lu ms\n", i,
		              (unsigned long)(mono_ms() - t0));
		/* Dropped after the idle time, not before, not much later. */
		assert_true(mono_ms() - t0 >= TEST_IDLE_MS - 20);
		assert_true(mono_ms() - t0 < TEST_IDLE_MS + 1000);
		assert_int_equal(recv(fd, &c, 1, 0), 0); /* no reply, just closed */
		close(fd);
	}
	assert_int_equal(__atomic_load_n(&s->n_calls, __ATOMIC_RELAXED), 1);
}

static void
test_vs_ctl_unread_reply_dropped(void **state)
{
	struct srv *s = *state;
	char *argv[] = { "big", "8000000" };
	uint8_t buf[64 << 10];
	uint64_t t0;
	size_t total = 0;
	uint8_t *req;
	size_t len;
	long waited;
	ssize_t n;
	int fd;

	fd = cli_connect(s->path);
	req = encode(0, 2, argv, &len);
	send_all(fd, req, len);
	free(req);
	t0 = mono_ms();
	/* Never read: the server cannot finish, serves others, then drops us. */
	check_serves(s->path);
	waited = wait_closed(fd, TEST_WAIT_MS);
	assert_true(waited >= 0);
	assert_true(mono_ms() - t0 >= TEST_IDLE_MS - 20);
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		total += (size_t)n;
	assert_int_equal(n, 0);
	assert_true(total > VS_CTL_HDR_LEN);
	assert_true(total < VS_CTL_HDR_LEN + 8000000);
	close(fd);
	check_serves(s->path);
}

static void
test_vs_ctl_client_disconnects(void **state)
{
	struct srv *s = *state;
	char *argv[] = { "big", "4000000" };
	uint8_t *req, buf[100];
	size_t len;
	int fd;

	req = encode(0, 2, argv, &len);
	/* Mid-request: half a request, then gone. */
	fd = cli_connect(s->path);
	send_all(fd, req, len / 2);
	close(fd);
	check_serves(s->path);
	/* Mid-reply: the server is left writing to a closed socket, which would
	 * raise SIGPIPE and kill this test without MSG_NOSIGNAL. */
	fd = cli_connect(s->path);
	send_all(fd, req, len);
	recv_all(fd, buf, sizeof(buf));
	close(fd);
	free(req);
	usleep(50 * 1000);
	check_serves(s->path);
	/* Connect, then close at once. */
	fd = cli_connect(s->path);
	close(fd);
	check_serves(s->path);
}

static void
test_vs_ctl_too_many_clients(void **state)
{
	struct srv *s = *state;
	int fds[VS_CTL_CLIENTS_MAX], fd, i, round;
	int32_t status;
	char *body;

	/* Several rounds: a client that connects right after the table's
	 * clients hung up must be served, even when the server is still in the
	 * accept loop that refused the 65th and has not polled the others. */
	for (round = 0; round < 8; round++) {
		for (i = 0; i < VS_CTL_CLIENTS_MAX; i++)
			fds[i] = cli_connect(s->path);
		fd = cli_connect(s->path);
		body = read_reply(fd, &status);
		assert_int_equal(status, -EBUSY);
		assert_string_equal(body, "too many clients\n");
		free(body);
		close(fd);
		for (i = 0; i < VS_CTL_CLIENTS_MAX; i++)
			close(fds[i]);
		check_serves(s->path);
	}
}

/* Serves 'ctl' on this thread until 'fd' has an answer. */
static void
serve_inline(struct vs_ctl *ctl, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t t0 = mono_ms();

	while (poll(&pfd, 1, 0) == 0) {
		assert_true(mono_ms() - t0 < TEST_WAIT_MS);
		vs_ctl_run(ctl, 10);
	}
}

static void
test_vs_ctl_stale_socket_removed(void **state)
{
	struct srv *s = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[128], err[256] = "", *logbuf = NULL, *body, *line;
	char *argv[] = { "hello" };
	struct vs_ctl *ctl;
	size_t logsize = 0;
	int32_t status;
	FILE *log;
	uint8_t *req;
	size_t len;
	int fd;

	/* A socket file whose server is gone: bound, then closed. */
	snprintf(path, sizeof(path), "%s/stale.sock", s->dir);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);

	log = open_memstream(&logbuf, &logsize);
	assert_non_null(log);
	assert_int_equal(rte_openlog_stream(log), 0);
	ctl = srv_create(s, path, NULL, err, sizeof(err));
	rte_openlog_stream(NULL);
	fclose(log);
	if (ctl == NULL)
		fail_msg("vs_ctl_create: %s", err);
	/* One line saying so, naming the path. */
	line = strstr(logbuf, "removed stale control socket ");
	assert_non_null(line);
	assert_non_null(strstr(line, path));
	assert_null(strstr(line + 1, "removed stale"));
	free(logbuf);

	/* The new socket serves. */
	fd = cli_connect(path);
	req = encode(0, 1, argv, &len);
	send_all(fd, req, len);
	free(req);
	serve_inline(ctl, fd);
	body = read_reply(fd, &status);
	assert_int_equal(status, 0);
	assert_string_equal(body, "hello\n");
	free(body);
	close(fd);
	vs_ctl_destroy(ctl);
	assert_int_equal(access(path, F_OK), -1); /* destroy unlinks */
}

static void
test_vs_ctl_live_socket_refused(void **state)
{
	struct srv *s = *state;
	char path[128], err[256] = "";
	struct stat st;
	int fd;

	/* The fixture's server is listening on s->path. */
	assert_null(srv_create(s, s->path, NULL, err, sizeof(err)));
	assert_int_equal(errno, EADDRINUSE);
	assert_non_null(strstr(err, s->path));
	assert_non_null(strstr(err, "listening"));
	assert_int_equal(stat(s->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	check_serves(s->path);

	/* Not a socket: refused, and left alone. */
	snprintf(path, sizeof(path), "%s/file", s->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	err[0] = '\0';
	assert_null(srv_create(s, path, NULL, err, sizeof(err)));
	assert_int_equal(errno, EEXIST);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);

	/* A path longer than sun_path. */
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_null(srv_create(s, path, NULL, err, sizeof(err)));
	assert_int_equal(errno, ENAMETOOLONG);
}

/* A group other than our effective one that we may chgrp to, so the test
 * sees whether chown() happened; falls back to our own. */
static gid_t
pick_group(char *name, size_t size)
{
	gid_t groups[64], gid = getegid();
	struct group *g;
	int n, i;

	if (geteuid() == 0) {
		setgrent();
		while ((g = getgrent()) != NULL && g->gr_gid == getegid())
			;
		if (g != NULL)
			gid = g->gr_gid;
		endgrent();
	} else {
		n = getgroups(64, groups);
		for (i = 0; i < n; i++)
			if (groups[i] != getegid())
				gid = groups[i];
	}
	g = getgrgid(gid);
	assert_non_null(g);
	snprintf(name, size, "%s", g->gr_name);
	return gid;
}

static void
test_vs_ctl_socket_mode(void **state)
{
	struct srv *s = *state;
	char path[128], err[256] = "", group[64];
	struct vs_ctl *ctl;
	struct stat st;
	mode_t old;
	gid_t gid;

	assert_int_equal(stat(s->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);

	/* With a group: 0660 and that group, whatever the umask. */
	gid = pick_group(group, sizeof(group));
	snprintf(path, sizeof(path), "%s/g.sock", s->dir);
	old = umask(0077);
	ctl = srv_create(s, path, group, err, sizeof(err));
	umask(old);
	if (ctl == NULL)
		fail_msg("vs_ctl_create: %s", err);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, gid);
	vs_ctl_destroy(ctl);

	/* An unknown group is named in the error. */
	assert_null(srv_create(s, path, "no-such-group-xyzzy", err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "no-such-group-xyzzy"));
	assert_int_equal(access(path, F_OK), -1);

	/* Missing directories are made. */
	snprintf(path, sizeof(path), "%s/a/b/c.sock", s->dir);
	ctl = srv_create(s, path, NULL, err, sizeof(err));
	if (ctl == NULL)
		fail_msg("vs_ctl_create: %s", err);
	snprintf(path, sizeof(path), "%s/a/b", s->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	vs_ctl_destroy(ctl);
}

/* ---------------------------------------------------------------------------
 * sluicectl end to end, against the fixture server
 */

#ifndef VS_TEST_SLUICECTL
#define VS_TEST_SLUICECTL ""
#endif

struct run {
	int status;     /* exit code, or -1 if killed */
	char out[4096]; /* stdout */
	char err[4096]; /* stderr */
};

/* Reads both pipes to EOF. */
static void
drain(int out, int err, struct run *r)
{
	struct pollfd pfds[2] = { { .fd = out, .events = POLLIN },
		                  { .fd = err, .events = POLLIN } };
	size_t n_out = 0, n_err = 0;
	ssize_t n;

	while (pfds[0].fd >= 0 || pfds[1].fd >= 0) {
		assert_true(poll(pfds, 2, TEST_WAIT_MS * 2) > 0);
		if (pfds[0].revents) {
			n = read(out, r->out + n_out, sizeof(r->out) - 1 - n_out);
			if (n <= 0)
				pfds[0].fd = -1;
			else
				n_out += (size_t)n;
		}
		if (pfds[1].revents) {
			n = read(err, r->err + n_err, sizeof(r->err) - 1 - n_err);
			if (n <= 0)
				pfds[1].fd = -1;
			else
				n_err += (size_t)n;
		}
	}
	r->out[n_out] = '\0';
	r->err[n_err] = '\0';
}

/* Runs sluicectl with 'args' (NULL-terminated, without argv[0]) and an
 * environment holding only PATH and, if given, SLUICE_CTL. */
static void
run_ctl(struct run *r, const char *sluice_ctl, const char *const args[])
{
	const char *bin = getenv("SLUICECTL") ? getenv("SLUICECTL") : VS_TEST_SLUICECTL;
	char *argv[16], *envp[3], env_ctl[256];
	posix_spawn_file_actions_t fa;
	int out[2], err[2], ws, i;
	pid_t pid;

	if (bin[0] == '\0' || access(bin, X_OK) < 0)
		fail_msg("sluicectl binary not found ('%s'): build it or set $SLUICECTL", bin);
	argv[0] = (char *)bin;
	for (i = 0; args[i] != NULL; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	envp[0] = "PATH=/usr/bin:/bin";
	envp[1] = NULL;
	if (sluice_ctl != NULL) {
		snprintf(env_ctl, sizeof(env_ctl), "SLUICE_CTL=%s", sluice_ctl);
		envp[1] = env_ctl;
		envp[2] = NULL;
	}
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	assert_int_equal(posix_spawn(&pid, bin, &fa, NULL, argv, envp), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	drain(out[0], err[0], r);
	close(out[0]);
	close(err[0]);
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

static void
test_vs_ctl_sluicectl_exit_codes(void **state)
{
	struct srv *s = *state;
	char missing[128];
	struct run r;

	/* Success: body on stdout, exit 0. */
	run_ctl(&r, NULL, (const char *[]){ "--ctl", s->path, "echo", "a b", "c", NULL });
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "echo a b c\n");
	assert_string_equal(r.err, "");

	/* --json last is a flag, not an argument; so is --json first. */
	run_ctl(&r, NULL, (const char *[]){ "--ctl", s->path, "echo", "a", "--json", NULL });
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "{\"argv\": [\"echo\", \"a\"]}\n");
	run_ctl(&r, NULL, (const char *[]){ "--json", "--ctl=x", "--ctl", s->path, "echo", NULL });
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "{\"argv\": [\"echo\"]}\n");
	/* Not last: an argument like any other. */
	run_ctl(&r, NULL, (const char *[]){ "--ctl", s->path, "echo", "--json", "x", NULL });
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "echo --json x\n");

	/* $SLUICE_CTL, and --ctl over it. */
	run_ctl(&r, s->path, (const char *[]){ "echo", "env", NULL });
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "echo env\n");
	snprintf(missing, sizeof(missing), "%s/missing.sock", s->dir);
	run_ctl(&r, missing, (const char *[]){ "--ctl", s->path, "echo", NULL });
	assert_int_equal(r.status, 0);

	/* The command fails: one line on stderr, exit 1. */
	run_ctl(&r, NULL, (const char *[]){ "--ctl", s->path, "fail", "x", NULL });
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "sluicectl: no such thing: x\n");

	/* No daemon: exit 2, naming the socket. */
	run_ctl(&r, missing, (const char *[]){ "echo", NULL });
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, missing));
	assert_string_equal(r.out, "");

	/* --file-prefix P means /run/sluice/P.ctl. */
	run_ctl(&r, NULL, (const char *[]){ "--file-prefix", "vs-ctl-test-none", "echo", NULL });
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "/run/sluice/vs-ctl-test-none.ctl"));

	/* Usage errors: exit 2. */
	run_ctl(&r, NULL, (const char *[]){ "--ctl", s->path, NULL });
	assert_int_equal(r.status, 2);
	run_ctl(&r, NULL, (const char *[]){ "--bogus", "echo", NULL });
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--bogus"));
	run_ctl(&r, NULL, (const char *[]){ "--timeout", "soon", "echo", NULL });
	assert_int_equal(r.status, 2);

	/* --help: options and the hint, exit 0. */
	run_ctl(&r, NULL, (const char *[]){ "--help", NULL });
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--ctl"));
	assert_non_null(strstr(r.out, "--timeout"));
	assert_non_null(strstr(r.out, "sluicectl help"));
	assert_int_equal(__atomic_load_n(&s->n_calls, __ATOMIC_RELAXED), 7);
}

static void
test_vs_ctl_sluicectl_timeout(void **state)
{
	struct srv *s = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char path[128];
	struct run r;
	uint64_t t0;
	int fd;

	/* A listener that never answers. */
	snprintf(path, sizeof(path), "%s/mute.sock", s->dir);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	t0 = mono_ms();
	run_ctl(&r, NULL, (const char *[]){ "--timeout", "0.3", "--ctl", path, "echo", NULL });
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "timed out"));
	assert_non_null(strstr(r.err, path));
	assert_true(mono_ms() - t0 >= 300);
	assert_true(mono_ms() - t0 < 3000);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vs_ctl_round_trip),
		cmocka_unit_test(test_vs_ctl_encode_limits),
		cmocka_unit_test(test_vs_ctl_reply_hdr),
		cmocka_unit_test(test_vs_ctl_malformed),
		cmocka_unit_test(test_vs_ctl_truncated_every_offset),
		cmocka_unit_test(test_vs_ctl_dec_bytewise),
		cmocka_unit_test(test_vs_ctl_dec_matches_decode),
		cmocka_unit_test(test_vs_ctl_reply_printf_grows),
		cmocka_unit_test(test_vs_ctl_reply_truncated),
		cmocka_unit_test(test_vs_ctl_reply_json_str),
		cmocka_unit_test(test_vs_ctl_reply_error),
#define SRV_TEST(f) cmocka_unit_test_setup_teardown(f, srv_setup, srv_teardown)
		SRV_TEST(test_vs_ctl_request_reply),
		SRV_TEST(test_vs_ctl_json_flag),
		SRV_TEST(test_vs_ctl_error_reply),
		SRV_TEST(test_vs_ctl_large_reply),
		SRV_TEST(test_vs_ctl_garbage_rejected),
		SRV_TEST(test_vs_ctl_huge_request_bounded),
		SRV_TEST(test_vs_ctl_idle_clients_dropped),
		SRV_TEST(test_vs_ctl_unread_reply_dropped),
		SRV_TEST(test_vs_ctl_client_disconnects),
		SRV_TEST(test_vs_ctl_too_many_clients),
		SRV_TEST(test_vs_ctl_stale_socket_removed),
		SRV_TEST(test_vs_ctl_live_socket_refused),
		SRV_TEST(test_vs_ctl_socket_mode),
		SRV_TEST(test_vs_ctl_sluicectl_exit_codes),
		SRV_TEST(test_vs_ctl_sluicectl_timeout),
#undef SRV_TEST
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
