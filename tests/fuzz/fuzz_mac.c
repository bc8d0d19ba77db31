/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the MAC learning table (src/vs_mac.c) driven by an
 * operation stream decoded from the input, against a reference model.
 *
 * Input: byte 0 picks the table size (16..256 entries, so buckets fill and
 * evict) and byte 1 the aging time; then 4-byte operations: learn, lookup,
 * flush, flush_port, expire, set_aging, advance the clock, count and dump,
 * over 16 MACs (two multicast) x 4 VLANs x 8 ports.  The model remembers,
 * per MAC and VLAN, the last port learned and when (flushes forget it).
 * Checked: a lookup returns 0 or the port last learned for that MAC and VLAN,
 * learned less than the aging time ago; a dump reports only such entries;
 * counts never exceed the capacity.  Single-threaded: the concurrency of the
 * table is not exercised here.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "vs_mac.h"

#define N_MACS  16
#define N_VLANS 4
#define N_PORTS 8

static const uint16_t fuzz_vlans[N_VLANS] = { 0, 1, 100, 4095 };

struct model_entry {
	bool valid;
	uint16_t port;
	uint32_t learned_s;
};

static struct model_entry model[N_MACS][N_VLANS];

static void
mac_of(unsigned int i, uint8_t mac[6])
{
	/* MACs 14 and 15 are multicast: never learned. */
	mac[0] = i >= 14 ? 0x01 : 0x02;
	mac[1] = 0;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)(i >> 1);
	mac[4] = 0;
	/* Pairs share all but the last byte, so that they land near each other. */
	mac[5] = (uint8_t)i;
}

static int
mac_index(const uint8_t mac[6])
{
	unsigned int i;
	uint8_t m[6];

	for (i = 0; i < N_MACS; i++) {
		mac_of(i, m);
		if (memcmp(m, mac, 6) == 0)
			return (int)i;
	}
	return -1;
}

static int
vlan_index(uint16_t vlan)
{
	unsigned int i;

	for (i = 0; i < N_VLANS; i++)
		if (fuzz_vlans[i] == vlan)
			return (int)i;
	return -1;
}

/* True when the model allows 'port' as the answer for (mac, vlan) at 'now'. */
static bool
model_allows(unsigned int mi, unsigned int vi, uint16_t port, uint32_t now, uint32_t aging)
{
	const struct model_entry *e = &model[mi][vi];

	if (port == 0)
		return true;
	return e->valid && e->port == port && now - e->learned_s < aging;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_mac_entry ent;
	struct vs_mac_iter it;
	uint32_t now = 1000, aging, n_entries, cap;
	struct vs_mac *m;
	size_t memsize, i;
	void *mem;

	if (size < 2)
		return 0;
	n_entries = 16u << (data[0] % 5);
	aging = 1 + data[1] % 16;
	memsize = vs_mac_memsize(n_entries);
	FUZZ_CHECK(memsize > 0);
	mem = aligned_alloc(VS_MAC_ALIGN,
	                    (memsize + VS_MAC_ALIGN - 1) & ~(size_t)(VS_MAC_ALIGN - 1));
	FUZZ_CHECK(mem != NULL);
	m = vs_mac_init(mem, n_entries, aging);
	FUZZ_CHECK(m != NULL);
	cap = vs_mac_capacity(m);
	FUZZ_CHECK(cap >= n_entries);
	memset(model, 0, sizeof(model));

	for (i = 2; i + 4 <= size; i += 4) {
		const uint8_t op = data[i], a = data[i + 1], b = data[i + 2], c = data[i + 3];
		const unsigned int mi = a % N_MACS, vi = b % N_VLANS;
		const uint16_t port = c % N_PORTS; /* 0 is ignored by learn */
		enum vs_mac_learn_result lr;
		uint8_t mac[6];
		uint16_t got;
		uint32_t n, j;

		mac_of(mi, mac);
		switch (op % 10) {
		case 0:
		case 1:
		case 2:
			lr = vs_mac_learn(m, mac, fuzz_vlans[vi], port, now);
			FUZZ_CHECK(lr != VS_MAC_LEARN_BUSY); /* one thread */
			if (port == 0 || (mac[0] & 1)) {
				FUZZ_CHECK(lr == VS_MAC_LEARN_IGNORED);
				break;
			}
			FUZZ_CHECK(lr != VS_MAC_LEARN_IGNORED);
			model[mi][vi] = (struct model_entry){ true, port, now };
			/* A learn is visible at once (aging is at least 1 s). */
			FUZZ_CHECK(vs_mac_lookup(m, mac, fuzz_vlans[vi], now) == port);
			break;
		case 3:
		case 4:
			got = vs_mac_lookup(m, mac, fuzz_vlans[vi], now);
			if (!model_allows(mi, vi, got, now, aging))
				fprintf(stderr,
				        "lookup mac %u vlan %u at %u: port %u, model %u@%u\n", mi,
				        fuzz_vlans[vi], now, got, model[mi][vi].port,
				        model[mi][vi].learned_s);
			FUZZ_CHECK(model_allows(mi, vi, got, now, aging));
			break;
		case 5:
			now += 1 + a % 8;
			break;
		case 6:
			if (a % 4 == 0) {
				vs_mac_flush(m);
				memset(model, 0, sizeof(model));
				FUZZ_CHECK(vs_mac_count(m, now) == 0);
			} else {
				vs_mac_flush_port(m, port);
				for (n = 0; n < N_MACS; n++)
					for (j = 0; j < N_VLANS; j++)
						if (model[n][j].port == port)
							model[n][j].valid = false;
			}
			break;
		case 7:
			vs_mac_expire(m, now, 1 + b);
			break;
		case 8:
			aging = 1 + b % 16;
			FUZZ_CHECK(vs_mac_set_aging(m, aging) == 0);
			FUZZ_CHECK(vs_mac_get_aging(m) == aging);
			break;
		case 9:
			n = 0;
			vs_mac_iter_init(&it);
			while (vs_mac_iter_next(m, &it, now, &ent)) {
				int emi = mac_index(ent.mac), evi = vlan_index(ent.vlan);

				FUZZ_CHECK(emi >= 0 && evi >= 0);
				FUZZ_CHECK(ent.port != 0 && ent.age_s < aging);
				FUZZ_CHECK(model_allows((unsigned int)emi, (unsigned int)evi,
				                        ent.port, now, aging));
				FUZZ_CHECK(++n <= cap);
			}
			FUZZ_CHECK(n == vs_mac_count(m, now));
			break;
		}
	}
	FUZZ_CHECK(vs_mac_count(m, now) <= cap);
	free(mem);
	return 0;
}
