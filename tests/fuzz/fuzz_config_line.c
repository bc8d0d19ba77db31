/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: config-file lines carrying flows, as far as they can be
 * driven without EAL.
 *
 * The config loader (src/vs_config.c) splits each line with vs_split_words()
 * and hands "flow add"/"flow del" words, joined with spaces, to
 * vs_flow_parse().  Both helpers are EAL-free (src/vs_words.c) and used here
 * as the daemon uses them, so the flow parser is fuzzed on what a config
 * line really produces.  It does NOT fuzz src/vs_config.c, src/vs_cmd.c or the port
 * argument parser (src/vs_port.c needs EAL).  The input is a whole config
 * file: one line per '\n'.  Each flow goes through fuzz_flow_check().
 * Single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_flow_check.h"
#include "vs_words.h"

#define FUZZ_CFG_WORDS_MAX 512   /* CFG_WORDS_MAX in src/vs_config.c */
#define FUZZ_CFG_FLOW_MAX  65536 /* vs_cmd_parse_flow()'s text buffer */

static void
fuzz_line(char *line)
{
	static char *argv[FUZZ_CFG_WORDS_MAX];
	static char text[FUZZ_CFG_FLOW_MAX];
	unsigned int flags;
	int argc, first;

	argc = vs_split_words(line, argv, FUZZ_CFG_WORDS_MAX);
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
	if (vs_join_words(argc - first, argv + first, text, sizeof(text)) != 0)
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
