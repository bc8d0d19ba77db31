/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control replies: a growable text buffer plus a status, filled by command
 * handlers (vs_cmd.c) and sent by the control socket server (vs_ctl.c).
 * Used only by the control thread; not thread-safe.
 */
#ifndef VS_REPLY_H
#define VS_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/** Largest reply body; longer output is cut and ends with a note. */
#define VS_REPLY_MAX (16u << 20)

struct vs_reply {
	char *buf;    /**< NUL-terminated body, heap */
	size_t len;   /**< bytes in buf, without the NUL */
	size_t cap;   /**< allocated bytes */
	int status;   /**< 0, or a negative errno when the command failed */
	bool json;    /**< the client asked for JSON output */
	bool truncated; /**< output was cut at VS_REPLY_MAX */
};

void vs_reply_init(struct vs_reply *r, bool json);
void vs_reply_free(struct vs_reply *r);
/** Empties the body and clears the status (keeps 'json'). */
void vs_reply_reset(struct vs_reply *r);
/** Appends formatted text. */
void vs_reply_printf(struct vs_reply *r, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
/** Appends 's' as a JSON string literal, quotes and escapes included. */
void vs_reply_json_str(struct vs_reply *r, const char *s);
/**
 * Replaces the body with a one-line error message and sets the status.
 * In JSON mode the body becomes {"error": "..."}.
 * @return 'err' (a negative errno), so handlers can 'return vs_reply_error(...)'.
 */
int vs_reply_error(struct vs_reply *r, int err, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

#endif /* VS_REPLY_H */
