/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the control socket request decoder (src/vs_ctl_proto.c).
 *
 * The first input byte seeds the chunk sizes; the rest is the byte stream a
 * client sent.  vs_ctl_req_decode() on the whole stream and the incremental
 * vs_ctl_dec_feed() fed in chunks of 1..64 bytes must agree: OK with DONE
 * (same flags, length, argc and payload, and DONE consumes exactly the
 * request), TRUNCATED with MORE, and the same error otherwise.  An accepted
 * request must split into argv and encode back to the same bytes.
 * Single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "vs_ctl_proto.h"

/* Incremental decode of 'buf' in chunks chosen by 'seed'; @return total bytes consumed. */
static size_t
feed_chunks(struct vs_ctl_dec *d, const uint8_t *buf, size_t size, uint32_t seed)
{
	size_t off = 0;

	while (off < size) {
		size_t chunk, used = ~(size_t)0;
		enum vs_ctl_dec_status st;

		seed = seed * 1103515245u + 12345u;
		chunk = 1 + (seed >> 16) % 64;
		if (chunk > size - off)
			chunk = size - off;
		st = vs_ctl_dec_feed(d, buf + off, chunk, &used);
		FUZZ_CHECK(used <= chunk);
		FUZZ_CHECK(st == d->status);
		off += used;
		if (st != VS_CTL_DEC_MORE) {
			size_t again = 1;

			/* Once DONE or ERROR it stays there and consumes nothing. */
			FUZZ_CHECK(vs_ctl_dec_feed(d, buf, size > 0 ? 1 : 0, &again) == st);
			FUZZ_CHECK(again == 0);
			break;
		}
		FUZZ_CHECK(used == chunk);
	}
	return off;
}

static void
check_roundtrip(const struct vs_ctl_req *req, const uint8_t *buf)
{
	size_t total = VS_CTL_HDR_LEN + req->len;
	char **argv;
	uint8_t *enc;
	ssize_t n;

	argv = calloc(req->argc + 1, sizeof(*argv));
	enc = malloc(total);
	FUZZ_CHECK(argv != NULL && enc != NULL);
	vs_ctl_req_argv(req->payload, req->len, argv);
	FUZZ_CHECK(argv[req->argc] == NULL);
	n = vs_ctl_req_encode(enc, total, req->flags, (int)req->argc, argv);
	FUZZ_CHECK(n == (ssize_t)total);
	FUZZ_CHECK(memcmp(enc, buf, total) == 0);
	free(enc);
	free(argv);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_ctl_req whole;
	enum vs_ctl_perr perr;
	struct vs_ctl_dec dec;
	uint8_t *buf;
	uint32_t seed;
	size_t used;

	if (size < 1)
		return 0;
	seed = data[0];
	data++;
	size--;
	/* An exact-size copy, so ASan sees any read past the stream. */
	buf = malloc(size > 0 ? size : 1);
	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data, size);

	memset(&whole, 0, sizeof(whole));
	perr = vs_ctl_req_decode(buf, size, &whole);
	FUZZ_CHECK((unsigned int)perr < VS_CTL_PERR_N);
	FUZZ_CHECK(vs_ctl_perr_str(perr) != NULL);

	vs_ctl_dec_init(&dec);
	used = feed_chunks(&dec, buf, size, seed);
	switch (dec.status) {
	case VS_CTL_DEC_DONE:
		FUZZ_CHECK(perr == VS_CTL_PERR_OK);
		FUZZ_CHECK(used == VS_CTL_HDR_LEN + (size_t)whole.len);
		FUZZ_CHECK(dec.req.flags == whole.flags && dec.req.len == whole.len);
		FUZZ_CHECK(dec.req.argc == whole.argc);
		FUZZ_CHECK(whole.argc >= 1 && whole.argc <= VS_CTL_ARGS_MAX);
		FUZZ_CHECK(whole.payload == (const char *)buf + VS_CTL_HDR_LEN);
		FUZZ_CHECK(memcmp(dec.req.payload, whole.payload, whole.len) == 0);
		check_roundtrip(&whole, buf);
		break;
	case VS_CTL_DEC_MORE:
		FUZZ_CHECK(perr == VS_CTL_PERR_TRUNCATED);
		FUZZ_CHECK(used == size);
		break;
	case VS_CTL_DEC_ERROR:
		if (perr != dec.err)
			fprintf(stderr, "whole: %s, incremental: %s\n", vs_ctl_perr_str(perr),
			        vs_ctl_perr_str(dec.err));
		FUZZ_CHECK(perr == dec.err);
		FUZZ_CHECK(perr != VS_CTL_PERR_OK && perr != VS_CTL_PERR_TRUNCATED);
		FUZZ_CHECK(vs_ctl_perr_errno(perr) < 0);
		break;
	default:
		FUZZ_CHECK(!"decoder status");
	}
	vs_ctl_dec_fini(&dec);
	FUZZ_CHECK(dec.payload == NULL);
	free(buf);
	return 0;
}
