/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the "port add" argument parser, src/vs_port.c
 * vs_port_parse_args() (what the control socket and the config file hand
 * it), on the input split into words as the config loader splits a line
 * (vs_split_words()).  No EAL: the parser touches no device.
 *
 * Checked: it returns 0, or -EINVAL with an error in the reply.  What it
 * accepts is within the documented ranges: a valid name, a known type,
 * devargs of 1..511 bytes, rxq/txq 1..VS_QUEUE_MAX, mtu 68..9600, rxd/txd
 * 32..32768, n_mbufs 512..16M, ofport 1..VS_OFPORT_MAX, tag 1..4095 (each or
 * 0 when absent), not tag and trunks together, a non-empty trunk bitmap;
 * mode/group only for vhost-user.  The saved text ("config save" writes it,
 * "config reload" and a restart read it back) splits into the same words and
 * parses again to the same arguments.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "vs_daemon.h"
#include "vs_port.h"
#include "vs_reply.h"
#include "vs_words.h"

#define MAX_WORDS 64

/* The daemon's globals live in vs_main.c, which this target does not link. */
struct vs_daemon vs_d;

static void
check_args(const struct vs_port_args *a)
{
	unsigned int i;
	uint64_t any = 0;

	FUZZ_CHECK(vs_port_name_valid(a->name));
	FUZZ_CHECK(strcmp(a->type, "dpdk") == 0 || strcmp(a->type, "vhost-user") == 0 ||
	           strcmp(a->type, "vhost-user-client") == 0);
	FUZZ_CHECK(a->devargs[0] != '\0' && strlen(a->devargs) < sizeof(a->devargs));
	FUZZ_CHECK(a->n_rxq <= VS_QUEUE_MAX && a->n_txq <= VS_QUEUE_MAX);
	FUZZ_CHECK(a->mtu == 0 || (a->mtu >= 68 && a->mtu <= 9600));
	FUZZ_CHECK(a->n_rxd == 0 || (a->n_rxd >= 32 && a->n_rxd <= 32768));
	FUZZ_CHECK(a->n_txd == 0 || (a->n_txd >= 32 && a->n_txd <= 32768));
	FUZZ_CHECK(a->n_mbufs == 0 || (a->n_mbufs >= 512 && a->n_mbufs <= (16u << 20)));
	FUZZ_CHECK(a->ofport <= VS_OFPORT_MAX);
	FUZZ_CHECK(a->tag <= 4095);
	FUZZ_CHECK(!(a->tag != 0 && a->has_trunks));
	for (i = 0; i < 64; i++)
		any |= a->trunks[i];
	FUZZ_CHECK(a->has_trunks ? any != 0 : any == 0);
	FUZZ_CHECK(a->sock_mode <= 0777);
	if (strcmp(a->type, "vhost-user") != 0)
		FUZZ_CHECK(a->sock_mode == 0 && a->sock_group[0] == '\0');
	FUZZ_CHECK(memchr(a->text, '\0', sizeof(a->text)) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[4096], again[sizeof(((struct vs_port_args *)0)->text) + 1];
	char *argv[MAX_WORDS], *argv2[MAX_WORDS];
	struct vs_port_args a, b;
	struct vs_reply r;
	int argc, argc2, ret, i;

	if (size >= sizeof(line))
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (strlen(line) != size)
		return 0; /* a line has no NUL inside */
	argc = vs_split_words(line, argv, MAX_WORDS);
	if (argc < 0)
		return 0;
	vs_reply_init(&r, false);
	ret = vs_port_parse_args(argc, argv, &a, &r);
	if (ret != 0) {
		FUZZ_CHECK(ret == -EINVAL);
		FUZZ_CHECK(r.status == -EINVAL && r.len > 0);
		vs_reply_free(&r);
		return 0;
	}
	FUZZ_CHECK(r.status == 0);
	vs_reply_free(&r);
	check_args(&a);

	/* The saved text, unless it was cut at its size, gives the same words and arguments. */
	if (strlen(a.text) + 1 >= sizeof(a.text))
		return 0;
	memcpy(again, a.text, strlen(a.text) + 1);
	argc2 = vs_split_words(again, argv2, MAX_WORDS);
	FUZZ_CHECK(argc2 == argc);
	for (i = 0; i < argc; i++)
		FUZZ_CHECK(strcmp(argv[i], argv2[i]) == 0);
	vs_reply_init(&r, false);
	FUZZ_CHECK(vs_port_parse_args(argc2, argv2, &b, &r) == 0);
	vs_reply_free(&r);
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	return 0;
}
