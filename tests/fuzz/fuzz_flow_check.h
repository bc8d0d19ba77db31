/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by fuzz_flow_syntax.c and fuzz_config_line.c: parses one flow text
 * with vs_flow_parse() and, when it parses, checks that the key is
 * pre-masked and that vs_flow_format() prints a text that parses back to the
 * same spec (table, priority, cookie, timeouts, key and mask byte for byte,
 * the match and the actions by their printed form) and prints the same
 * again.  Every spec is released with vs_flow_spec_free().  Single-threaded.
 */
#ifndef FUZZ_FLOW_CHECK_H
#define FUZZ_FLOW_CHECK_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fuzz_common.h"
#include "vs_flow.h"

/* Port names the fuzzers know: in_port=vm1, output:uplink... */
static const char *const fuzz_port_names[] = { NULL, "vm1", "uplink", "down", "p-4" };
#define FUZZ_N_PORT_NAMES (sizeof(fuzz_port_names) / sizeof(fuzz_port_names[0]))

static int
fuzz_port_by_name(void *ctx, const char *name)
{
	unsigned int i;

	(void)ctx;
	for (i = 1; i < FUZZ_N_PORT_NAMES; i++)
		if (strcmp(fuzz_port_names[i], name) == 0)
			return (int)i;
	return -1;
}

static const char *
fuzz_port_name_of(void *ctx, uint32_t ofport)
{
	(void)ctx;
	return ofport < FUZZ_N_PORT_NAMES ? fuzz_port_names[ofport] : NULL;
}

static const struct vs_port_names fuzz_names = {
	.ctx = NULL,
	.by_name = fuzz_port_by_name,
	.name_of = fuzz_port_name_of,
};

/* Large enough for any spec: 32 actions and every field, with names. */
#define FUZZ_FLOW_TEXT_MAX 16384

static char fuzz_flow_out[FUZZ_FLOW_TEXT_MAX], fuzz_flow_again[FUZZ_FLOW_TEXT_MAX];
static char fuzz_flow_a1[FUZZ_FLOW_TEXT_MAX], fuzz_flow_a2[FUZZ_FLOW_TEXT_MAX];

static void
fuzz_flow_check_premasked(const struct vs_flow_spec *spec)
{
	const uint8_t *k = (const uint8_t *)&spec->key;
	const uint8_t *m = (const uint8_t *)&spec->mask;
	size_t i;

	for (i = 0; i < sizeof(spec->key); i++)
		FUZZ_CHECK((k[i] & ~m[i]) == 0);
}

/*
 * Parses 'text' with 'flags' (VS_FP_ADD or VS_FP_DEL) and, when it parses,
 * checks the round trip.  @return the vs_flow_parse() result.
 */
static int
fuzz_flow_check(const char *text, unsigned int flags, const struct vs_port_names *names)
{
	/* A del-flows spec prints "cookie=V/M" and no actions: a dump filter reads it back. */
	const unsigned int reflags = (flags & VS_FP_ADD) ? VS_FP_ADD : 0;
	static struct vs_flow_spec a, b;
	char err[512];
	int ret, n;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	err[0] = '\0';
	ret = vs_flow_parse(text, flags, names, &a, err, sizeof(err));
	FUZZ_CHECK(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret != 0) {
		FUZZ_CHECK(ret == -ENOMEM || err[0] != '\0');
		vs_flow_spec_free(&a);
		return ret;
	}
	FUZZ_CHECK(a.n_actions <= VS_ACTIONS_MAX);
	fuzz_flow_check_premasked(&a);
	n = vs_flow_format(&a, names, fuzz_flow_out, sizeof(fuzz_flow_out));
	FUZZ_CHECK(n >= 0 && (size_t)n < sizeof(fuzz_flow_out));
	FUZZ_CHECK(strlen(fuzz_flow_out) == (size_t)n);
	if (vs_flow_parse(fuzz_flow_out, reflags, names, &b, err, sizeof(err)) != 0) {
		fprintf(stderr, "input '%s'\nformats to '%s'\nwhich does not parse: %s\n", text,
		        fuzz_flow_out, err);
		FUZZ_CHECK(!"formatted flow reparses");
	}
	if (a.table_id != b.table_id || a.priority != b.priority || a.cookie != b.cookie ||
	    a.idle_timeout != b.idle_timeout || a.hard_timeout != b.hard_timeout ||
	    memcmp(&a.key, &b.key, sizeof(a.key)) != 0 ||
	    memcmp(&a.mask, &b.mask, sizeof(a.mask)) != 0)
		fprintf(stderr, "input '%s'\nformats to '%s'\nwhich reparses differently\n", text,
		        fuzz_flow_out);
	FUZZ_CHECK(a.table_id == b.table_id);
	FUZZ_CHECK(a.priority == b.priority);
	FUZZ_CHECK(a.cookie == b.cookie);
	FUZZ_CHECK(!(flags & VS_FP_ADD) || a.cookie_mask == b.cookie_mask);
	FUZZ_CHECK(a.idle_timeout == b.idle_timeout && a.hard_timeout == b.hard_timeout);
	FUZZ_CHECK(memcmp(&a.key, &b.key, sizeof(a.key)) == 0);
	FUZZ_CHECK(memcmp(&a.mask, &b.mask, sizeof(a.mask)) == 0);
	vs_flow_format_match(&a.key, &a.mask, names, fuzz_flow_a1, sizeof(fuzz_flow_a1));
	vs_flow_format_match(&b.key, &b.mask, names, fuzz_flow_a2, sizeof(fuzz_flow_a2));
	FUZZ_CHECK(strcmp(fuzz_flow_a1, fuzz_flow_a2) == 0);
	vs_flow_format_actions(a.actions, a.n_actions, names, fuzz_flow_a1, sizeof(fuzz_flow_a1));
	vs_flow_format_actions(b.actions, b.n_actions, names, fuzz_flow_a2, sizeof(fuzz_flow_a2));
	if (strcmp(fuzz_flow_a1, fuzz_flow_a2) != 0)
		fprintf(stderr, "input '%s'\nactions '%s' reparse as '%s'\n", text, fuzz_flow_a1,
		        fuzz_flow_a2);
	FUZZ_CHECK(strcmp(fuzz_flow_a1, fuzz_flow_a2) == 0);
	/* Formatting is idempotent. */
	vs_flow_format(&b, names, fuzz_flow_again, sizeof(fuzz_flow_again));
	if (strcmp(fuzz_flow_out, fuzz_flow_again) != 0)
		fprintf(stderr, "input '%s'\nformats as '%s'\nthen as '%s'\n", text, fuzz_flow_out,
		        fuzz_flow_again);
	FUZZ_CHECK(strcmp(fuzz_flow_out, fuzz_flow_again) == 0);
	vs_flow_spec_free(&a);
	vs_flow_spec_free(&b);
	return 0;
}

#endif /* FUZZ_FLOW_CHECK_H */
