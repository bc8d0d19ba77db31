/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: src/vs_flow_parse.c vs_flow_parse() on arbitrary text,
 * as add-flow (VS_FP_ADD) and as del-flows (VS_FP_DEL), with and without
 * port names; whatever parses must survive vs_flow_format() and reparse to
 * the same spec (see fuzz_flow_check.h).  Single-threaded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_flow_check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size > 8192) /* flows longer than any real one add nothing but time */
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_flow_check(text, VS_FP_ADD, &fuzz_names);
	fuzz_flow_check(text, VS_FP_DEL, &fuzz_names);
	fuzz_flow_check(text, VS_FP_ADD, NULL);
	free(text);
	return 0;
}
