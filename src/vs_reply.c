/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control replies (vs_reply.h): a heap text buffer that grows by doubling up
 * to VS_REPLY_MAX, plus the command status.  Command handlers (vs_cmd.c) fill
 * it; the control socket server (vs_ctl.c) sends it.  Control thread only.
 *
 * Once the body would pass VS_REPLY_MAX, it is cut, ends with a note, and
 * later appends are dropped ('truncated' is set).  If memory runs out, the
 * body becomes "out of memory" with status -ENOMEM and later appends are
 * dropped the same way, so a handler never has to check each append.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vs_reply.h"

/** First allocation; most replies fit. */
#define VS_REPLY_INIT_CAP 256
#define VS_REPLY_NOTE     "\n... output truncated at 16 MiB\n"
#define VS_REPLY_NOTE_LEN (sizeof(VS_REPLY_NOTE) - 1)
/** Text bytes allowed before the note. */
#define VS_REPLY_TEXT_MAX (VS_REPLY_MAX - VS_REPLY_NOTE_LEN)
#define VS_REPLY_NOMEM    "out of memory\n"

/* Gives up on the body: small enough to fit any buffer we managed to get. */
static void
reply_nomem__(struct vs_reply *r)
{
	r->len = 0;
	if (r->buf != NULL && r->cap > sizeof(VS_REPLY_NOMEM)) {
		memcpy(r->buf, VS_REPLY_NOMEM, sizeof(VS_REPLY_NOMEM));
		r->len = sizeof(VS_REPLY_NOMEM) - 1;
	} else if (r->buf != NULL) {
		r->buf[0] = '\0';
	}
	r->status = -ENOMEM;
	r->truncated = true;
}

/* Makes room for a body of 'len' bytes plus the NUL.  len <= VS_REPLY_MAX. */
static bool
reply_reserve__(struct vs_reply *r, size_t len)
{
	size_t cap = r->cap ? r->cap : VS_REPLY_INIT_CAP;
	char *buf;

	if (len < r->cap)
		return true;
	while (cap <= len)
		cap *= 2;
	if (cap > VS_REPLY_MAX + 1)
		cap = VS_REPLY_MAX + 1;
	buf = realloc(r->buf, cap);
	if (buf == NULL) {
		reply_nomem__(r);
		return false;
	}
	if (r->buf == NULL)
		buf[0] = '\0';
	r->buf = buf;
	r->cap = cap;
	return true;
}

/* Cuts the body at VS_REPLY_TEXT_MAX and appends the note. */
static void
reply_cut__(struct vs_reply *r)
{
	if (!reply_reserve__(r, VS_REPLY_MAX))
		return;
	memcpy(r->buf + VS_REPLY_TEXT_MAX, VS_REPLY_NOTE, VS_REPLY_NOTE_LEN + 1);
	r->len = VS_REPLY_MAX;
	r->truncated = true;
}

/* Appends n bytes of s, cutting at the limit. */
static void
reply_append__(struct vs_reply *r, const char *s, size_t n)
{
	if (r->truncated || n == 0)
		return;
	if (n > VS_REPLY_TEXT_MAX - r->len) {
		if (!reply_reserve__(r, VS_REPLY_MAX))
			return;
		memcpy(r->buf + r->len, s, VS_REPLY_TEXT_MAX - r->len);
		reply_cut__(r);
		return;
	}
	if (!reply_reserve__(r, r->len + n))
		return;
	memcpy(r->buf + r->len, s, n);
	r->len += n;
	r->buf[r->len] = '\0';
}

void
vs_reply_init(struct vs_reply *r, bool json)
{
	memset(r, 0, sizeof(*r));
	r->json = json;
	/* Start non-NULL so buf is always a string; on failure the first append
	 * retries and reports ENOMEM. */
	r->buf = malloc(VS_REPLY_INIT_CAP);
	if (r->buf != NULL) {
		r->buf[0] = '\0';
		r->cap = VS_REPLY_INIT_CAP;
	}
}

void
vs_reply_free(struct vs_reply *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	r->buf = NULL;
	r->len = 0;
	r->cap = 0;
	r->status = 0;
	r->truncated = false;
}

void
vs_reply_reset(struct vs_reply *r)
{
	r->len = 0;
	if (r->buf != NULL)
		r->buf[0] = '\0';
	r->status = 0;
	r->truncated = false;
}

static void
reply_vprintf__(struct vs_reply *r, const char *fmt, va_list ap)
{
	size_t room;
	va_list aq;
	int n;

	if (r->truncated)
		return;
	room = r->cap - r->len;
	va_copy(aq, ap);
	n = vsnprintf(r->buf != NULL ? r->buf + r->len : NULL, r->buf != NULL ? room : 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return;
	if ((size_t)n < room && r->buf != NULL && r->len + (size_t)n <= VS_REPLY_TEXT_MAX) {
		r->len += (size_t)n;
		return;
	}
	if ((size_t)n > VS_REPLY_TEXT_MAX - r->len) {
		/* Format what fits before the note, then cut. */
		if (!reply_reserve__(r, VS_REPLY_MAX))
			return;
		vsnprintf(r->buf + r->len, VS_REPLY_TEXT_MAX - r->len + 1, fmt, ap);
		reply_cut__(r);
		return;
	}
	if (!reply_reserve__(r, r->len + (size_t)n))
		return;
	vsnprintf(r->buf + r->len, (size_t)n + 1, fmt, ap);
	r->len += (size_t)n;
}

void
vs_reply_printf(struct vs_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_vprintf__(r, fmt, ap);
	va_end(ap);
}

/* Returns the length of the valid UTF-8 sequence at p[0, n), or 0 if it is
 * not one (overlong forms, surrogates and code points past U+10FFFF are
 * invalid, RFC 3629 section 4). */
static size_t
utf8_len__(const unsigned char *p, size_t n)
{
	uint32_t cp, min;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2, cp = p[0] & 0x1f, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3, cp = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4, cp = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* JSON (RFC 8259 section 7): escapes quote, backslash and control
 * characters; replaces invalid UTF-8 with U+FFFD so the output always
 * parses. */
void
vs_reply_json_str(struct vs_reply *r, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, run = 0, len;
	char esc[8];

	if (s == NULL) {
		reply_append__(r, "null", 4);
		return;
	}
	n = strlen(s);
	reply_append__(r, "\"", 1);
	while (run < n) {
		/* Copy the longest run of bytes that need no escape in one go. */
		size_t start = run;

		while (run < n && p[run] >= 0x20 && p[run] != '"' && p[run] != '\\' &&
		       (len = utf8_len__(p + run, n - run)) != 0)
			run += len;
		reply_append__(r, s + start, run - start);
		if (run == n)
			break;
		switch (p[run]) {
		case '"':
			reply_append__(r, "\\\"", 2);
			break;
		case '\\':
			reply_append__(r, "\\\\", 2);
			break;
		case '\n':
			reply_append__(r, "\\n", 2);
			break;
		case '\r':
			reply_append__(r, "\\r", 2);
			break;
		case '\t':
			reply_append__(r, "\\t", 2);
			break;
		default:
			if (p[run] < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", p[run]);
				reply_append__(r, esc, 6);
			} else {
				reply_append__(r, "\\ufffd", 6);
			}
			break;
		}
		run++;
	}
	reply_append__(r, "\"", 1);
}

int
vs_reply_error(struct vs_reply *r, int err, const char *fmt, ...)
{
	char small[256], *msg = small, *p;
	va_list ap;
	int n;

	if (err > 0)
		err = -err;
	else if (err == 0)
		err = -EINVAL;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(small)) {
		msg = malloc((size_t)n + 1);
		if (msg != NULL) {
			va_start(ap, fmt);
			vsnprintf(msg, (size_t)n + 1, fmt, ap);
			va_end(ap);
		} else {
			msg = small;
		}
	} else if (n < 0) {
		small[0] = '\0';
	}
	/* One line: fold line breaks, drop trailing ones. */
	for (p = msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	while (p > msg && p[-1] == ' ')
		*--p = '\0';

	vs_reply_reset(r);
	if (r->json) {
		reply_append__(r, "{\"error\": ", 10);
		vs_reply_json_str(r, msg);
		reply_append__(r, "}\n", 2);
	} else {
		reply_append__(r, msg, strlen(msg));
		reply_append__(r, "\n", 1);
	}
	if (msg != small)
		free(msg);
	/* An ENOMEM while writing the message wins: the body says so. */
	if (r->status == 0)
		r->status = err;
	return r->status;
}
