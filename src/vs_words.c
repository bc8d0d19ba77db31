/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Command words, see vs_words.h.
 */
#include <errno.h>
#include <stdio.h>

#include "vs_words.h"

int
vs_split_words(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (n == max)
			return -1;
		if (*p == '"') {
			argv[n++] = ++p;
			while (*p != '\0' && *p != '"')
				p++;
		} else {
			argv[n++] = p;
			while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				p++;
		}
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	return n;
}

int
vs_join_words(int argc, char **argv, char *buf, size_t size)
{
	size_t off = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < argc; i++) {
		n = snprintf(buf + off, size - off, "%s%s", i ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= size - off)
			return -E2BIG;
		off += (size_t)n;
	}
	return 0;
}
