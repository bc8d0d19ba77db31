/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket framing: encoders, checkers and the incremental request
 * decoder declared in vs_ctl_proto.h.  libc only (sluicectl links this file
 * without DPDK).  No global state; each decoder belongs to one thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "vs_ctl_proto.h"

#define VS_CTL_PERR_STR__(name, str, err) [VS_CTL_PERR_##name] = str,
static const char *const vs_ctl_perr_strs[VS_CTL_PERR_N] = { VS_CTL_PERR_LIST(VS_CTL_PERR_STR__) };
#undef VS_CTL_PERR_STR__

#define VS_CTL_PERR_ERRNO__(name, str, err) [VS_CTL_PERR_##name] = err,
static const int vs_ctl_perr_errnos[VS_CTL_PERR_N] = { VS_CTL_PERR_LIST(VS_CTL_PERR_ERRNO__) };
#undef VS_CTL_PERR_ERRNO__

const char *
vs_ctl_perr_str(enum vs_ctl_perr err)
{
	if ((unsigned int)err >= VS_CTL_PERR_N)
		return "unknown error";
	return vs_ctl_perr_strs[err];
}

int
vs_ctl_perr_errno(enum vs_ctl_perr err)
{
	if ((unsigned int)err >= VS_CTL_PERR_N)
		return -EINVAL;
	return -vs_ctl_perr_errnos[err];
}

static void
put_be32__(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t
get_be32__(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

int
vs_ctl_req_size(int argc, char *const argv[], size_t *size)
{
	size_t len = 0;
	int i;

	if (argc < 1 || argv == NULL || size == NULL)
		return -EINVAL;
	if (argc > VS_CTL_ARGS_MAX)
		return -E2BIG;
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL)
			return -EINVAL;
		/* Stop adding once over the limit, so 'len' cannot wrap. */
		len += strlen(argv[i]) + 1;
		if (len > VS_CTL_REQ_MAX)
			return -EMSGSIZE;
	}
	*size = VS_CTL_HDR_LEN + len;
	return 0;
}

ssize_t
vs_ctl_req_encode(void *buf, size_t size, uint32_t flags, int argc, char *const argv[])
{
	uint8_t *p = buf;
	size_t need, off;
	int ret, i;

	if (flags & ~VS_CTL_F_ALL)
		return -EINVAL;
	ret = vs_ctl_req_size(argc, argv, &need);
	if (ret < 0)
		return ret;
	if (buf == NULL || size < need)
		return -ENOBUFS;
	memcpy(p, VS_CTL_MAGIC, VS_CTL_MAGIC_LEN);
	put_be32__(p + 4, flags);
	put_be32__(p + 8, (uint32_t)(need - VS_CTL_HDR_LEN));
	off = VS_CTL_HDR_LEN;
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		memcpy(p + off, argv[i], n);
		off += n;
	}
	return (ssize_t)off;
}

enum vs_ctl_perr
vs_ctl_req_hdr_check(const void *buf, size_t n, struct vs_ctl_req *req)
{
	const uint8_t *p = buf;
	size_t n_magic = n < VS_CTL_MAGIC_LEN ? n : VS_CTL_MAGIC_LEN;
	uint32_t flags, len;

	if (memcmp(p, VS_CTL_MAGIC, n_magic) != 0)
		return VS_CTL_PERR_BAD_MAGIC;
	if (n < 8)
		return VS_CTL_PERR_OK;
	flags = get_be32__(p + 4);
	if (flags & ~VS_CTL_F_ALL)
		return VS_CTL_PERR_BAD_FLAGS;
	if (n < VS_CTL_HDR_LEN)
		return VS_CTL_PERR_OK;
	len = get_be32__(p + 8);
	if (len == 0)
		return VS_CTL_PERR_EMPTY;
	if (len > VS_CTL_REQ_MAX)
		return VS_CTL_PERR_TOO_LARGE;
	req->flags = flags;
	req->len = len;
	req->argc = 0;
	req->payload = NULL;
	return VS_CTL_PERR_OK;
}

enum vs_ctl_perr
vs_ctl_req_payload_check(const char *payload, size_t len, unsigned int *argc)
{
	const char *p = payload, *end = payload + len;
	unsigned int n = 0;

	if (len == 0)
		return VS_CTL_PERR_EMPTY;
	if (len > VS_CTL_REQ_MAX)
		return VS_CTL_PERR_TOO_LARGE;
	if (payload[len - 1] != '\0')
		return VS_CTL_PERR_NO_NUL;
	/* The last byte is a NUL, so every memchr() below finds one. */
	while (p < end) {
		if (++n > VS_CTL_ARGS_MAX)
			return VS_CTL_PERR_TOO_MANY_ARGS;
		p = (const char *)memchr(p, '\0', (size_t)(end - p)) + 1;
	}
	*argc = n;
	return VS_CTL_PERR_OK;
}

enum vs_ctl_perr
vs_ctl_req_decode(const void *buf, size_t size, struct vs_ctl_req *req)
{
	const char *p = buf;
	struct vs_ctl_req r = { 0 };
	enum vs_ctl_perr err;

	err = vs_ctl_req_hdr_check(buf, size < VS_CTL_HDR_LEN ? size : VS_CTL_HDR_LEN, &r);
	if (err != VS_CTL_PERR_OK)
		return err;
	if (size < VS_CTL_HDR_LEN || size - VS_CTL_HDR_LEN < r.len)
		return VS_CTL_PERR_TRUNCATED;
	err = vs_ctl_req_payload_check(p + VS_CTL_HDR_LEN, r.len, &r.argc);
	if (err != VS_CTL_PERR_OK)
		return err;
	r.payload = p + VS_CTL_HDR_LEN;
	*req = r;
	return VS_CTL_PERR_OK;
}

void
vs_ctl_req_argv(const char *payload, size_t len, char **argv)
{
	const char *p = payload, *end = payload + len;
	unsigned int i = 0;

	while (p < end) {
		argv[i++] = (char *)(uintptr_t)p;
		p += strlen(p) + 1;
	}
	argv[i] = NULL;
}

void
vs_ctl_reply_hdr_encode(void *hdr, int32_t status, uint32_t len)
{
	uint8_t *p = hdr;

	memcpy(p, VS_CTL_MAGIC, VS_CTL_MAGIC_LEN);
	put_be32__(p + 4, (uint32_t)status);
	put_be32__(p + 8, len);
}

enum vs_ctl_perr
vs_ctl_reply_hdr_decode(const void *buf, int32_t *status, uint32_t *len)
{
	const uint8_t *p = buf;
	uint32_t s = get_be32__(p + 4);
	uint32_t l = get_be32__(p + 8);

	if (memcmp(p, VS_CTL_MAGIC, VS_CTL_MAGIC_LEN) != 0)
		return VS_CTL_PERR_BAD_MAGIC;
	/* Two's complement, as encoded; avoids implementation-defined casts. */
	if (s != 0 && s < 0x80000000u)
		return VS_CTL_PERR_BAD_STATUS;
	if (l > VS_CTL_REPLY_MAX)
		return VS_CTL_PERR_REPLY_TOO_LARGE;
	*status = s == 0 ? 0 : -(int32_t)(~s) - 1;
	*len = l;
	return VS_CTL_PERR_OK;
}

void
vs_ctl_dec_init(struct vs_ctl_dec *d)
{
	memset(d, 0, sizeof(*d));
	d->status = VS_CTL_DEC_MORE;
	d->err = VS_CTL_PERR_OK;
}

void
vs_ctl_dec_fini(struct vs_ctl_dec *d)
{
	if (d == NULL)
		return;
	free(d->payload);
	vs_ctl_dec_init(d);
}

static enum vs_ctl_dec_status
dec_fail__(struct vs_ctl_dec *d, enum vs_ctl_perr err)
{
	d->err = err;
	d->status = VS_CTL_DEC_ERROR;
	return d->status;
}

/* Takes header bytes one at a time, so a bad prefix is caught at the first
 * wrong byte and nothing after it is consumed. */
static enum vs_ctl_dec_status
dec_feed_hdr__(struct vs_ctl_dec *d, const uint8_t *data, size_t n, size_t *used)
{
	enum vs_ctl_perr err;

	while (d->n_hdr < VS_CTL_HDR_LEN && *used < n) {
		d->hdr[d->n_hdr++] = data[(*used)++];
		err = vs_ctl_req_hdr_check(d->hdr, d->n_hdr, &d->req);
		if (err != VS_CTL_PERR_OK)
			return dec_fail__(d, err);
	}
	if (d->n_hdr < VS_CTL_HDR_LEN)
		return VS_CTL_DEC_MORE;
	/* d->req.len was checked against VS_CTL_REQ_MAX above. */
	d->payload = malloc(d->req.len);
	if (d->payload == NULL)
		return dec_fail__(d, VS_CTL_PERR_NOMEM);
	return VS_CTL_DEC_MORE;
}

enum vs_ctl_dec_status
vs_ctl_dec_feed(struct vs_ctl_dec *d, const void *data, size_t n, size_t *used)
{
	const uint8_t *p = data;
	enum vs_ctl_perr err;
	size_t take;

	*used = 0;
	if (d->status != VS_CTL_DEC_MORE)
		return d->status;
	if (d->n_hdr < VS_CTL_HDR_LEN) {
		if (dec_feed_hdr__(d, p, n, used) != VS_CTL_DEC_MORE || d->n_hdr < VS_CTL_HDR_LEN)
			return d->status;
	}
	take = d->req.len - d->n_payload;
	if (take > n - *used)
		take = n - *used;
	if (take > 0)
		memcpy(d->payload + d->n_payload, p + *used, take);
	d->n_payload += take;
	*used += take;
	if (d->n_payload < d->req.len)
		return VS_CTL_DEC_MORE;
	err = vs_ctl_req_payload_check(d->payload, d->req.len, &d->req.argc);
	if (err != VS_CTL_PERR_OK)
		return dec_fail__(d, err);
	d->req.payload = d->payload;
	d->status = VS_CTL_DEC_DONE;
	return d->status;
}
