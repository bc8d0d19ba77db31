/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soak of the real sluiced (issue 8, "Load and soak").
 *
 *   sluice_soak [SECONDS]     (default $SOAK_SECS, else 60; SOAK_V=1 prints every sample)
 *
 * An established flow (8 UDP tuples replayed forever from a pcap) goes to
 * port o1 the whole time, tracked by conntrack in zone 1 (default timeouts:
 * its 8 connections must live the whole run).  Beside it a churn generator
 * replays 4096 new tuples: every 2 s a new pcap of tuples never sent before
 * is written and a new generator port replaces the old one (added first, then
 * the old one is deleted), so about 2,000 new flows a second arrive over the
 * run, each its own megaflow (a rule exact on source address and port makes
 * every megaflow exact on them); megaflows idle out after 1 s.  The churn is
 * tracked in zone 5 (table 0 ct(zone=5,table=1); table 1 commits +new and
 * forwards +est to o2) with UDP timeouts of CT_UDP_S, so conntrack fills with
 * each generator and empties CT_UDP_S after it goes (zones 1 and 5 have
 * limits far above what they hold, only so that "ct limit show" counts their
 * connections; none is ever dropped for a limit).  Every 3 s a rule of table 1 for
 * new churn connections to one destination port is added and the one from
 * 9 s before deleted (it must have matched packets by then).  Once a second
 * it samples the counters, conntrack, the daemon's resident memory and its DPDK heap in
 * use ("show": heap_alloc_bytes), and
 * checks that:
 *  - no counter goes backwards (PMD packets, tx of o1 and o2, connections
 *    created and expired);
 *  - forwarding never stops: o1 (established) and o2 (churn) transmit in
 *    every sample, o1 at least EST_MIN_PPS packets a second (the lowest rate
 *    seen is printed at the end);
 *  - conntrack holds the 8 established connections in zone 1 in every
 *    sample, never more in all than the generators whose tuples can still be
 *    alive (timeout, sweep and rotation: CT_MAX), and drops nothing for a
 *    limit;
 *  - the shared mbuf pool never holds more than the two churn files plus a
 *    little in flight, and resident memory, the DPDK heap in use and
 *    conntrack's connection memory after warm-up (the first quarter, at least
 *    10 s) stay within 16 MB, 16 MB and 4 MB of their warm-up peaks;
 * and at the end that conntrack created a connection for at least half the
 * churn tuples, expired all but what can be alive, and held at least half a
 * generator at once in zone 5; that once the churn stops zone 5
 * empties within CT_UDP_S + CT_DRAIN_S while the established flow keeps going
 * with its 8 connections, and created = expired + flushed + alive; that every
 * mbuf is back at its baseline, churned megaflows expired, and the daemon
 * stops cleanly.
 * scripts/soak/run.sh runs it for 10 minutes; the test suite runs it for
 * 60 s (meson test "soak").  Exits 0 on success, 1 with a message otherwise.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pkt_build.h"
#include "th.h"

#define CHURN_TUPLES 4096
#define ROTATE_S     2
#define RULES_S      3
/* Under ct churn the RSS still grows after warm-up, by about 48 kB/s for the
 * first ~260 s and 16 kB/s after (10.7 MB from 150 s to 600 s): that fits
 * first touch of conntrack's circular buffers as ~2,000 expiries a second move
 * through them (the RCU defer queue, 2^19 x 16 B, full at ~256 s; the
 * connection pool's ring, 2^21 x 8 B, at ~17 min), not a leak. */
#define RSS_SLACK_KB (16 * 1024)
/* DPDK heap in use ("show": heap_alloc_bytes) may grow this much after warm-up. */
#define HEAP_SLACK (16 * 1024 * 1024)
/* The least the established flow forwards per second in any sample: it does
 * millions alone and hundreds of thousands beside the churn on a busy 2-CPU
 * machine; a flow that lost its megaflow to the churn would be down to what
 * the upcalls leave it. */
#define EST_MIN_PPS 20000
#define EST_TUPLES  8
/* Conntrack: zones, the churn zone's UDP timeouts, the sweeper's lag (a
 * 1,000,000-connection table is swept in about 2 s) and the bound on all
 * connections: the generators whose last packet is at most timeout + sweep +
 * 1 s old, the current and the new (about 3 generators are seen just after a
 * rotation, 2.5 just before).  The zone limits are only there for the zone
 * counts of "ct limit show".  A zone-5 limit below the peak does not fit this
 * traffic: the connections of a deleted generator keep their slots until they
 * time out and are swept, so the new generator is refused whole for seconds and
 * o2 stops (tried at 2.5 generators). */
#define CT_ZONE_EST   1
#define CT_ZONE_CHURN 5
#define CT_UDP_S      3
#define CT_SWEEP_S    2
#define CT_DRAIN_S    12
#define CT_MAX        (EST_TUPLES + (2 + (CT_UDP_S + CT_SWEEP_S + 1) / ROTATE_S) * CHURN_TUPLES)
#define CT_ZONE_LIMIT (2 * CT_MAX)
#define CT_MEM_SLACK  (4 << 20)

static struct th_out o;
static char baseline[1 << 16];

static void __attribute__((noreturn, format(printf, 2, 3)))
die(struct th_daemon *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "soak: FAILED: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (d != NULL) {
		/* What the switch and conntrack were doing. */
		if (th_ctl(d, &o, "pmd stats") == 0)
			fprintf(stderr, "%s", o.buf);
		if (th_ctl(d, &o, "ct stats") == 0)
			fprintf(stderr, "%s", o.buf);
		fprintf(stderr, "soak: daemon log in %s\n", d->log);
		th_kill(d);
	}
	exit(1);
}

/* 'n' UDP frames of tuples first .. first + n_flows - 1 (source address and port). */
static void
write_pcap(struct th_daemon *d, const char *path, uint32_t first, int n, int n_flows)
{
	static uint8_t bufs[CHURN_TUPLES][128];
	static uint8_t *frames[CHURN_TUPLES];
	static size_t lens[CHURN_TUPLES];
	struct pb_flow f;
	int i;

	for (i = 0; i < n; i++) {
		uint32_t t = first + (uint32_t)(i % n_flows);

		pb_flow_init(&f);
		f.proto = PB_IPPROTO_UDP;
		f.src_ip4 = 0x0b000000 + (t >> 4);
		f.sport = (uint16_t)(2000 + (t & 15));
		f.dport = (uint16_t)(5000 + (t % 7));
		frames[i] = bufs[i];
		lens[i] = pb_build(&f, bufs[i], sizeof(bufs[i]), 64);
		if (lens[i] == 0)
			die(d, "cannot build a frame");
	}
	if (th_write_pcap(path, frames, lens, n) != 0)
		die(d, "cannot write %s", path);
}

static int64_t
num(struct th_daemon *d, const char *cmd, const char *anchor, const char *key)
{
	int64_t v;

	if (th_ctl(d, &o, "--json %s", cmd) != 0)
		die(d, "'%s' failed: %s", cmd, o.err);
	v = th_json_num(o.buf, anchor, key);
	if (v < 0)
		die(d, "no %s in '%s'", key, cmd);
	return v;
}

static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static void __attribute__((format(printf, 2, 3))) ctl(struct th_daemon *d, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (th_ctl(d, &o, "%s", cmd) != 0)
		die(d, "'%s' failed: %s", cmd, o.err);
}

/* The number after "key" (at or after 'anchor') in the last reply. */
static int64_t
field(struct th_daemon *d, const char *what, const char *anchor, const char *key)
{
	int64_t v = th_json_num(o.buf, anchor, key);

	if (v < 0)
		die(d, "no %s in '%s': %s", key, what, o.buf);
	return v;
}

struct ct_sample {
	int64_t count, created, expired, flushed, mem, limit_drops;
	int64_t zone_est, zone_churn; /**< connections in zones 1 and 5 */
};

static void
ct_sample(struct th_daemon *d, struct ct_sample *c)
{
	char anchor[32];

	if (th_ctl(d, &o, "--json ct stats") != 0)
		die(d, "'ct stats' failed: %s", o.err);
	c->count = field(d, "ct stats", NULL, "count");
	c->created = field(d, "ct stats", NULL, "created");
	c->expired = field(d, "ct stats", NULL, "expired");
	c->flushed = field(d, "ct stats", NULL, "flushed");
	c->mem = field(d, "ct stats", NULL, "conn_memory");
	c->limit_drops = field(d, "ct stats", "\"reasons\"", "limit_zone");
	if (th_ctl(d, &o, "--json ct limit show") != 0)
		die(d, "'ct limit show' failed: %s", o.err);
	snprintf(anchor, sizeof(anchor), "{\"zone\": %d,", CT_ZONE_EST);
	c->zone_est = field(d, "ct limit show", anchor, "count");
	snprintf(anchor, sizeof(anchor), "{\"zone\": %d,", CT_ZONE_CHURN);
	c->zone_churn = field(d, "ct limit show", anchor, "count");
}

/* Connections of the established flow in 'ct dump zone=1', their packets into 'pkts'. */
static int
est_conns(struct th_daemon *d, int64_t *pkts)
{
	const char *p;
	int n = 0;

	if (th_ctl(d, &o, "ct dump zone=%d", CT_ZONE_EST) != 0)
		die(d, "'ct dump' failed: %s", o.err);
	*pkts = 0;
	for (p = strstr(o.buf, ",packets="); p != NULL; p = strstr(p + 1, ",packets=")) {
		*pkts += strtoll(p + 9, NULL, 10);
		n++;
	}
	return n;
}

struct soak {
	struct th_daemon d;
	char dir[256];
	unsigned int rot;       /**< generator rotations */
	unsigned int rule;      /**< rule changes */
	unsigned int rules_hit; /**< deleted rules that had matched packets */
	uint64_t next_rot, next_rule;
};

/* A new generator with tuples never sent, then the old one goes. */
static void
rotate(struct soak *k)
{
	unsigned int slot = (k->rot + 1) % 2;
	char path[400];

	k->rot++;
	snprintf(path, sizeof(path), "%s/churn%u.pcap", k->dir, slot);
	write_pcap(&k->d, path, k->rot * CHURN_TUPLES, CHURN_TUPLES, CHURN_TUPLES);
	ctl(&k->d, "port add churn%u dpdk net_pcap%u,rx_pcap=%s,infinite_rx=1 ofport=%u", slot,
	    1 + slot, path, 21 + slot);
	ctl(&k->d, "port del churn%u", 1 - slot);
}

/* Adds a table-1 rule for new churn connections to one port and deletes the one of 9 s
 * before, which must have matched packets (each rotation brings ~585 new tuples to it). */
static void
change_rules(struct soak *k)
{
	unsigned int dst;

	k->rule++;
	ctl(&k->d,
	    "flow add table=1,priority=50,ct_state=+trk+new,ct_zone=%d,udp,tp_dst=%u "
	    "actions=ct(commit,zone=%d),output:o2",
	    CT_ZONE_CHURN, 5000 + k->rule % 7, CT_ZONE_CHURN);
	if (k->rule <= 3)
		return;
	dst = 5000 + (k->rule - 3) % 7;
	if (th_ctl(&k->d, &o, "--json flow dump table=1,udp,tp_dst=%u", dst) != 0)
		die(&k->d, "'flow dump' failed: %s", o.err);
	if (field(&k->d, "flow dump", NULL, "n_packets") == 0)
		die(&k->d, "the rule for tp_dst=%u matched nothing in 9 s", dst);
	k->rules_hit++;
	ctl(&k->d,
	    "flow del --strict table=1,priority=50,ct_state=+trk+new,ct_zone=%d,udp,tp_dst=%u",
	    CT_ZONE_CHURN, dst);
}

struct sample {
	int64_t packets, o1, o2;
	uint64_t ms;
	struct ct_sample ct;
};

static void
check_ct(struct soak *k, const struct sample *prev, const struct sample *cur, int s)
{
	const struct ct_sample *p = &prev->ct, *c = &cur->ct;

	if (c->created < p->created || c->expired < p->expired)
		die(&k->d, "a conntrack counter went backwards at %d s", s);
	if (c->limit_drops != 0)
		die(&k->d, "%" PRId64 " packets dropped for a zone limit at %d s", c->limit_drops,
		    s);
	if (c->zone_est != EST_TUPLES)
		die(&k->d, "%" PRId64 " established connections in zone %d at %d s", c->zone_est,
		    CT_ZONE_EST, s);
	if (c->count > CT_MAX)
		die(&k->d, "%" PRId64 " connections at %d s, at most %d can be alive", c->count, s,
		    CT_MAX);
}

/* Stops the churn and waits for zone 5 to empty while the established flow goes on. */
static void
drain(struct soak *k, struct ct_sample *c)
{
	int64_t o1 = th_port_stat(&k->d, "o1", "tx_packets"), pkts0, pkts;
	int i;

	if (est_conns(&k->d, &pkts0) != EST_TUPLES)
		die(&k->d, "not %d established connections at the end: %s", EST_TUPLES, o.buf);
	ctl(&k->d, "port del churn%u", k->rot % 2);
	for (i = 0;; i++) {
		th_sleep_ms(500);
		ct_sample(&k->d, c);
		/* "ct stats" and "ct limit show" are two reads: a connection may expire between
		 * them, so the zone count and the total must both say so. */
		if (c->zone_churn == 0 && c->count == EST_TUPLES)
			break;
		if (i >= (CT_UDP_S + CT_DRAIN_S) * 2)
			die(&k->d,
			    "zone %d still holds %" PRId64 " connections (%" PRId64
			    " in all) %d s after the churn",
			    CT_ZONE_CHURN, c->zone_churn, c->count, CT_UDP_S + CT_DRAIN_S);
	}
	printf("soak: zone %d empty %.1f s after the churn stopped\n", CT_ZONE_CHURN,
	       (i + 1) / 2.0);
	if (est_conns(&k->d, &pkts) != EST_TUPLES || pkts <= pkts0)
		die(&k->d, "established connections lost or idle after the drain: %s", o.buf);
	if (th_port_stat(&k->d, "o1", "tx_packets") <= o1)
		die(&k->d, "the established flow stopped during the drain");
	if (c->count != EST_TUPLES || c->created != c->expired + c->flushed + c->count)
		die(&k->d,
		    "conntrack: %" PRId64 " alive, %" PRId64 " created, %" PRId64
		    " expired, %" PRId64 " flushed",
		    c->count, c->created, c->expired, c->flushed);
}

static void
start(struct soak *k)
{
	char path[400], config[2048];

	th_scratch("soak", k->dir, sizeof(k->dir));
	snprintf(path, sizeof(path), "%s/est.pcap", k->dir);
	write_pcap(NULL, path, 0x00fff000, 64, EST_TUPLES);
	snprintf(config, sizeof(config),
	         "port add o1 dpdk net_null0,no-rx=1\n"
	         "port add o2 dpdk net_null1,no-rx=1\n"
	         "flow del\n"
	         "flow add priority=100,udp,nw_src=10.9.9.9,tp_src=9 actions=drop\n"
	         "flow add priority=10,in_port=20,ip actions=ct(zone=%d,table=1)\n"
	         "flow add priority=10,in_port=21,ip actions=ct(zone=%d,table=1)\n"
	         "flow add priority=10,in_port=22,ip actions=ct(zone=%d,table=1)\n"
	         "flow add table=1,priority=10,ct_state=+trk+new,ct_zone=%d "
	         "actions=ct(commit,zone=%d),output:o1\n"
	         "flow add table=1,priority=10,ct_state=+trk+est,ct_zone=%d actions=output:o1\n"
	         "flow add table=1,priority=10,ct_state=+trk+new,ct_zone=%d "
	         "actions=ct(commit,zone=%d),output:o2\n"
	         "flow add table=1,priority=10,ct_state=+trk+est,ct_zone=%d actions=output:o2\n"
	         "ct timeout set zone=%d udp_first=%d udp_single=%d udp_multiple=%d\n"
	         "ct limit set zone=%d,limit=%d zone=%d,limit=%d\n",
	         CT_ZONE_EST, CT_ZONE_CHURN, CT_ZONE_CHURN, CT_ZONE_EST, CT_ZONE_EST, CT_ZONE_EST,
	         CT_ZONE_CHURN, CT_ZONE_CHURN, CT_ZONE_CHURN, CT_ZONE_CHURN, CT_UDP_S, CT_UDP_S,
	         CT_UDP_S, CT_ZONE_EST, EST_TUPLES * 4, CT_ZONE_CHURN, CT_ZONE_LIMIT);
	if (th_start(&k->d, "soak", config, NULL, NULL) != 0)
		die(NULL, "sluiced did not start");
	if (th_ctl(&k->d, &o, "--json show") != 0 || strlen(o.buf) >= sizeof(baseline))
		die(&k->d, "show failed");
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	ctl(&k->d, "megaflow set idle-ms=1000");
	ctl(&k->d,
	    "port add est dpdk net_pcap0,rx_pcap=%s/est.pcap,infinite_rx=1 n_mbufs=1024 ofport=20",
	    k->dir);
	snprintf(path, sizeof(path), "%s/churn0.pcap", k->dir);
	write_pcap(&k->d, path, 0, CHURN_TUPLES, CHURN_TUPLES);
	ctl(&k->d, "port add churn0 dpdk net_pcap1,rx_pcap=%s/churn0.pcap,infinite_rx=1 ofport=21",
	    k->dir);
}

/* Runs the rotations and rule changes until 'end' (th_now_ms()). */
static void
run_until(struct soak *k, uint64_t end)
{
	uint64_t t;

	while ((t = th_now_ms()) < end) {
		if (t >= k->next_rot) {
			rotate(k);
			k->next_rot += ROTATE_S * 1000;
		} else if (t >= k->next_rule) {
			change_rules(k);
			k->next_rule += RULES_S * 1000;
		} else {
			th_sleep_ms(20);
		}
	}
}

int
main(int argc, char **argv)
{
	const char *env = getenv("SOAK_SECS");
	int secs = argc > 1 ? atoi(argv[1]) : env != NULL ? atoi(env) : 60;
	int warm_s = secs / 4 > 10 ? secs / 4 : 10;
	static struct soak k;
	struct sample prev = { 0 }, cur;
	long rss, rss_warm = 0, rss_max = 0, rss0;
	int64_t base_in_use, in_use, in_use_max = 0, expired, installed, o1_pps, o1_pps_min = -1;
	int64_t ct_max = 0, churn_max = 0, mem_warm = 0, mem_max = 0;
	int64_t heap, heap0, heap_warm = 0, heap_max = 0;
	struct ct_sample ct_end;
	uint64_t t0;
	int s;

	if (secs < 20) {
		fprintf(stderr, "usage: %s [SECONDS >= 20]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	start(&k);
	base_in_use = th_json_num(baseline, "\"vs_shared\"", "in_use");
	rss0 = rss_kb(k.d.pid);
	heap0 = num(&k.d, "show", NULL, "heap_alloc_bytes");
	printf("soak: %d s, warm-up %d s, baseline vs_shared in_use %" PRId64 ", RSS %ld kB, "
	       "DPDK heap in use %" PRId64 " kB; ct zone %d timeouts %d s, at most %d "
	       "connections\n",
	       secs, warm_s, base_in_use, rss0, heap0 / 1024, CT_ZONE_CHURN, CT_UDP_S, CT_MAX);

	t0 = th_now_ms();
	prev.o1 = num(&k.d, "port stats o1", NULL, "tx_packets");
	prev.ms = th_now_ms();
	k.next_rot = t0 + ROTATE_S * 1000;
	k.next_rule = t0 + RULES_S * 1000;
	for (s = 1; s <= secs; s++) {
		run_until(&k, t0 + (uint64_t)s * 1000);
		cur.packets = num(&k.d, "pmd stats", NULL, "packets");
		cur.o1 = num(&k.d, "port stats o1", NULL, "tx_packets");
		cur.o2 = num(&k.d, "port stats o2", NULL, "tx_packets");
		cur.ms = th_now_ms();
		in_use = num(&k.d, "show", "\"vs_shared\"", "in_use");
		heap = num(&k.d, "show", NULL, "heap_alloc_bytes");
		ct_sample(&k.d, &cur.ct);
		rss = rss_kb(k.d.pid);
		if (cur.packets < prev.packets || cur.o1 < prev.o1 || cur.o2 < prev.o2)
			die(&k.d, "a counter went backwards at %d s", s);
		if (cur.o1 == prev.o1)
			die(&k.d, "the established flow stopped at %d s", s);
		o1_pps = (cur.o1 - prev.o1) * 1000 /
		         (int64_t)(cur.ms > prev.ms ? cur.ms - prev.ms : 1);
		if (o1_pps < EST_MIN_PPS)
			die(&k.d, "the established flow forwarded %" PRId64 " pkt/s at %d s",
			    o1_pps, s);
		if (o1_pps_min < 0 || o1_pps < o1_pps_min)
			o1_pps_min = o1_pps;
		if (cur.o2 == prev.o2)
			die(&k.d, "the churn traffic stopped at %d s", s);
		check_ct(&k, &prev, &cur, s);
		if (cur.ct.count > ct_max)
			ct_max = cur.ct.count;
		if (cur.ct.zone_churn > churn_max)
			churn_max = cur.ct.zone_churn;
		/* Two churn files (during a rotation) and what is in flight. */
		if (in_use > base_in_use + 2 * CHURN_TUPLES + 2048)
			die(&k.d, "vs_shared holds %" PRId64 " mbufs at %d s", in_use, s);
		if (in_use > in_use_max)
			in_use_max = in_use;
		if (s <= warm_s) {
			if (rss > rss_warm)
				rss_warm = rss;
			if (cur.ct.mem > mem_warm)
				mem_warm = cur.ct.mem;
			if (heap > heap_warm)
				heap_warm = heap;
		} else {
			if (heap > heap_max)
				heap_max = heap;
			if (heap > heap_warm + HEAP_SLACK)
				die(&k.d,
				    "DPDK heap in use %" PRId64 " B at %d s, %" PRId64
				    " B at the end of warm-up",
				    heap, s, heap_warm);
			if (rss > rss_max)
				rss_max = rss;
			if (cur.ct.mem > mem_max)
				mem_max = cur.ct.mem;
			if (rss > rss_warm + RSS_SLACK_KB)
				die(&k.d, "RSS %ld kB at %d s, %ld kB at the end of warm-up", rss,
				    s, rss_warm);
			if (cur.ct.mem > mem_warm + CT_MEM_SLACK)
				die(&k.d,
				    "conntrack memory %" PRId64 " B at %d s, %" PRId64
				    " B at the end of warm-up",
				    cur.ct.mem, s, mem_warm);
		}
		if (getenv("SOAK_V") || s % 10 == 0 || s == secs)
			printf("soak: %4d s: %" PRId64 " packets, o1 %" PRId64 ", o2 %" PRId64
			       ", %u generators (%u tuples), %u rule changes, vs_shared in_use "
			       "%" PRId64 ", RSS %ld kB; ct %" PRId64 " (zone %d %" PRId64
			       ", zone %d %" PRId64 "), created %" PRId64 ", expired %" PRId64
			       ", limit drops %" PRId64 ", memory %" PRId64 " kB; heap %" PRId64
			       " kB\n",
			       s, cur.packets, cur.o1, cur.o2, k.rot + 1,
			       (k.rot + 1) * CHURN_TUPLES, k.rule, in_use, rss, cur.ct.count,
			       CT_ZONE_EST, cur.ct.zone_est, CT_ZONE_CHURN, cur.ct.zone_churn,
			       cur.ct.created, cur.ct.expired, cur.ct.limit_drops,
			       cur.ct.mem / 1024, heap / 1024);
		prev = cur;
	}
	expired = num(&k.d, "pmd stats", NULL, "megaflows_expired");
	installed = num(&k.d, "pmd stats", NULL, "megaflows_installed");
	/* Filling and expiring: half a generator at once, most tuples committed and all
	 * but the live ones expired. */
	if (churn_max < CHURN_TUPLES / 2)
		die(&k.d, "zone %d held at most %" PRId64 " connections", CT_ZONE_CHURN, churn_max);
	if (prev.ct.created < (int64_t)(k.rot + 1) * CHURN_TUPLES / 2 ||
	    prev.ct.expired < prev.ct.created - CT_MAX)
		die(&k.d, "conntrack created %" PRId64 ", expired %" PRId64 " for %u tuples",
		    prev.ct.created, prev.ct.expired, (k.rot + 1) * CHURN_TUPLES);
	drain(&k, &ct_end);
	ctl(&k.d, "port del est");
	if (th_wait_mempools(&k.d, baseline, 10) != 0)
		die(&k.d, "mbufs not back at their baseline");
	if (expired == 0)
		die(&k.d, "no megaflow expired in %d s of churn", secs);
	/* The priority-100 rule makes megaflows exact on the tuple: each new one needs its own. */
	if (installed < (int64_t)(k.rot + 1) * CHURN_TUPLES / 2)
		die(&k.d, "only %" PRId64 " megaflows installed for %u tuples", installed,
		    (k.rot + 1) * CHURN_TUPLES);
	if (th_stop(&k.d) != 0)
		die(NULL, "sluiced did not stop cleanly");
	printf("soak: passed: %d s, %" PRId64 " packets, %u distinct churn tuples, %u rule "
	       "changes (%u deleted rules all matched), %" PRId64 " megaflows installed, %" PRId64
	       " expired; established flow at least %" PRId64 " pkt/s in every sample; "
	       "vs_shared in_use max %" PRId64 " (baseline %" PRId64 "); RSS %ld kB at start, "
	       "%ld kB warm, %ld kB max after; ct created %" PRId64 ", expired %" PRId64
	       ", max %" PRId64 " (zone %d max %" PRId64 ", bound %d, %" PRId64
	       " limit drops), memory %" PRId64 " kB warm, %" PRId64 " kB max after; DPDK "
	       "heap in use %" PRId64 " kB at start, %" PRId64 " kB warm, %" PRId64
	       " kB max after\n",
	       secs, prev.packets, (k.rot + 1) * CHURN_TUPLES, k.rule, k.rules_hit, installed,
	       expired, o1_pps_min, in_use_max, base_in_use, rss0, rss_warm, rss_max,
	       ct_end.created, ct_end.expired, ct_max, CT_ZONE_CHURN, churn_max, CT_MAX,
	       ct_end.limit_drops, mem_warm / 1024, mem_max / 1024, heap0 / 1024, heap_warm / 1024,
	       heap_max / 1024);
	return 0;
}
