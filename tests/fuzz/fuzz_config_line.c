/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: config-file lines carrying flows, as far as they can be
 * driven without EAL.
 *
 * The config loader (src/vs_config.c) splits each line with vs_split_words()
 * and hands "flow add"/"flow del" words, joined with spaces, to
 * vs_flow_parse().  vs_split_words() lives in src/vs_cmd.c, which needs the
 * daemon and EAL, so this target carries a copy of it (fuzz_split_words()
 * below, kept identical: whitespace separated, "double quoted" words, '#'
 * starts a comment, at most 512 words) and fuzzes the flow parser on what it
 * produces.  It does NOT fuzz src/vs_config.c, src/vs_cmd.c or the port
 * argument parser (src/vs_port.c needs EAL).  The input is a whole config
 * file: one line per '\n'.  Each flow goes through fuzz_flow_check().
 * Single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_flow_check.h"

#define FUZZ_CFG_WORDS_MAX 512   /* CFG_WORDS_MAX in src/vs_config.c */
#define FUZZ_CFG_FLOW_MAX  65536 /* vs_cmd_parse_flow()'s text buffer */

/* Copy of vs_split_words() (src/vs_cmd.c): splits 'line' in place. */
static int
fuzz_split_words(char *line, char **argv, int max)
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

/* As join_words() in src/vs_cmd.c. @return 0 or -1 when the text does not fit. */
static int
fuzz_join_words(int argc, char **argv, char *buf, size_t size)
{
	size_t off = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < argc; i++) {
		n = snprintf(buf + off, size - off, "%s%s", i ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= size - off)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

static void
fuzz_line(char *line)
{
	static char *argv[FUZZ_CFG_WORDS_MAX];
	static char text[FUZZ_CFG_FLOW_MAX];
	unsigned int flags;
	int argc, first;

	argc = fuzz_split_words(line, argv, FUZZ_CFG_WORDS_MAX);
	FUZZ_CHECK(argc >= -1 && argc <= FUZZ_CFG_WORDS_MAX);
	if (argc < 2 || strcmp(argv[0], "flow") != 0)
		return;
	if (strcmp(argv[1], "add") == 0) {
		flags = VS_FP_ADD;
		first = 2;
	} else if (strcmp(argv[1], "del") == 0) {
		flags = VS_FP_DEL;
		first = argc > 2 && strcmp(argv[2], "--strict") == 0 ? 3 : 2;
	} else {
		return;
	}
	if (fuzz_join_words(argc - first, argv + first, text, sizeof(text)) != 0)
		return;
	fuzz_flow_check(text, flags, &fuzz_names);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *file, *line, *nl;

	if (size > 16384)
		return 0;
	file = malloc(size + 1);
	if (file == NULL)
		return 0;
	memcpy(file, data, size);
	file[size] = '\0';
	for (line = file; line != NULL; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		fuzz_line(line);
	}
	free(file);
	return 0;
}
