/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soak of the real sluiced (issue 8, "Load and soak").
 *
 *   sluice_soak [SECONDS]     (default $SOAK_SECS, else 60)
 *
 * An established flow (8 UDP tuples replayed forever from a pcap) goes to
 * port o1 the whole time.  Beside it a churn generator replays 4096 new
 * tuples: every 2 s a new pcap of tuples never sent before is written and a
 * new generator port replaces the old one (added first, then the old one is
 * deleted), so about 2,000 new flows a second arrive over the run, each its
 * own megaflow (a rule exact on source address and port makes every megaflow
 * exact on them); megaflows idle out after 1 s.  Every 3 s a rule for the churn traffic is added
 * and the one from 9 s before deleted.  Once a second it samples the counters and the daemon's
 * resident memory, and checks that:
 *  - no counter goes backwards (PMD packets, tx of o1 and o2);
 *  - forwarding never stops: o1 (established) and o2 (churn) transmit in
 *    every sample, o1 at least EST_MIN_PPS packets a second (the lowest rate
 *    seen is printed at the end);
 *  - the shared mbuf pool never holds more than the two churn files plus a
 *    little in flight, and resident memory after warm-up (the first quarter,
 *    at least 10 s) stays within 16 MB of its warm-up peak;
 * and at the end that every mbuf is back at its baseline, churned megaflows
 * expired, and the daemon stops cleanly.  scripts/soak/run.sh runs it for 10 minutes; the test
 * suite runs it for 60 s (meson test "soak").  Exits 0 on success, 1 with a message otherwise.
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
#define RSS_SLACK_KB (16 * 1024)
/* The least the established flow forwards per second in any sample: it does
 * millions alone and hundreds of thousands beside the churn on a busy 2-CPU
 * machine; a flow that lost its megaflow to the churn would be down to what
 * the upcalls leave it. */
#define EST_MIN_PPS 20000

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
		fprintf(stderr, "soak: daemon log in %s\n", d->log);
		th_kill(d);
	}
	exit(1);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
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

struct sample {
	int64_t packets, o1, o2;
	uint64_t ms;
};

int
main(int argc, char **argv)
{
	const char *env = getenv("SOAK_SECS");
	int secs = argc > 1 ? atoi(argv[1]) : env != NULL ? atoi(env) : 60;
	int warm_s = secs / 4 > 10 ? secs / 4 : 10;
	char dir[256], path[400], config[2048];
	struct sample prev = { 0 }, cur;
	long rss, rss_warm = 0, rss_max = 0, rss0;
	int64_t base_in_use, in_use, in_use_max = 0, expired, installed, o1_pps, o1_pps_min = -1;
	unsigned int rot = 0, rule = 0;
	uint64_t t0, next_rot, next_rule;
	struct th_daemon d;
	int s;

	if (secs < 20) {
		fprintf(stderr, "usage: %s [SECONDS >= 20]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	th_scratch("soak", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/est.pcap", dir);
	write_pcap(NULL, path, 0x00fff000, 64, 8);
	snprintf(config, sizeof(config),
	         "port add o1 dpdk net_null0,no-rx=1\n"
	         "port add o2 dpdk net_null1,no-rx=1\n"
	         "flow del\n"
	         "flow add priority=100,udp,nw_src=10.9.9.9,tp_src=9 actions=drop\n"
	         "flow add priority=10,in_port=20 actions=output:o1\n"
	         "flow add priority=10,in_port=21 actions=output:o2\n"
	         "flow add priority=10,in_port=22 actions=output:o2\n");
	if (th_start(&d, "soak", config, NULL, NULL) != 0)
		die(NULL, "sluiced did not start");
	if (th_ctl(&d, &o, "--json show") != 0 || strlen(o.buf) >= sizeof(baseline))
		die(&d, "show failed");
	memcpy(baseline, o.buf, strlen(o.buf) + 1);
	base_in_use = th_json_num(baseline, "\"vs_shared\"", "in_use");
	ctl(&d, "megaflow set idle-ms=1000");
	ctl(&d,
	    "port add est dpdk net_pcap0,rx_pcap=%s/est.pcap,infinite_rx=1 n_mbufs=1024 ofport=20",
	    dir);
	snprintf(path, sizeof(path), "%s/churn0.pcap", dir);
	write_pcap(&d, path, 0, CHURN_TUPLES, CHURN_TUPLES);
	ctl(&d, "port add churn0 dpdk net_pcap1,rx_pcap=%s/churn0.pcap,infinite_rx=1 ofport=21",
	    dir);
	rss0 = rss_kb(d.pid);
	printf("soak: %d s, warm-up %d s, baseline vs_shared in_use %" PRId64 ", RSS %ld kB\n",
	       secs, warm_s, base_in_use, rss0);

	t0 = now_ms();
	prev.o1 = num(&d, "port stats o1", NULL, "tx_packets");
	prev.ms = now_ms();
	next_rot = t0 + ROTATE_S * 1000;
	next_rule = t0 + RULES_S * 1000;
	for (s = 1; s <= secs; s++) {
		uint64_t t;

		while ((t = now_ms()) < t0 + (uint64_t)s * 1000) {
			if (t >= next_rot) {
				/* A new generator with tuples never sent, then the old one goes. */
				unsigned int slot = (rot + 1) % 2;

				rot++;
				snprintf(path, sizeof(path), "%s/churn%u.pcap", dir, slot);
				write_pcap(&d, path, rot * CHURN_TUPLES, CHURN_TUPLES,
				           CHURN_TUPLES);
				ctl(&d,
				    "port add churn%u dpdk net_pcap%u,rx_pcap=%s,infinite_rx=1 "
				    "ofport=%u",
				    slot, 1 + slot, path, 21 + slot);
				ctl(&d, "port del churn%u", 1 - slot);
				next_rot += ROTATE_S * 1000;
			} else if (t >= next_rule) {
				rule++;
				ctl(&d,
				    "flow add priority=50,in_port=21,udp,tp_dst=%u "
				    "actions=output:o2",
				    5000 + rule % 7);
				if (rule > 3)
					ctl(&d,
					    "flow del --strict "
					    "priority=50,in_port=21,udp,tp_dst=%u",
					    5000 + (rule - 3) % 7);
				next_rule += RULES_S * 1000;
			} else {
				sleep_ms(20);
			}
		}
		cur.packets = num(&d, "pmd stats", NULL, "packets");
		cur.o1 = num(&d, "port stats o1", NULL, "tx_packets");
		cur.o2 = num(&d, "port stats o2", NULL, "tx_packets");
		cur.ms = now_ms();
		in_use = num(&d, "show", "\"vs_shared\"", "in_use");
		rss = rss_kb(d.pid);
		if (cur.packets < prev.packets || cur.o1 < prev.o1 || cur.o2 < prev.o2)
			die(&d, "a counter went backwards at %d s", s);
		if (cur.o1 == prev.o1)
			die(&d, "the established flow stopped at %d s", s);
		o1_pps = (cur.o1 - prev.o1) * 1000 /
		         (int64_t)(cur.ms > prev.ms ? cur.ms - prev.ms : 1);
		if (o1_pps < EST_MIN_PPS)
			die(&d, "the established flow forwarded %" PRId64 " pkt/s at %d s", o1_pps,
			    s);
		if (o1_pps_min < 0 || o1_pps < o1_pps_min)
			o1_pps_min = o1_pps;
		if (cur.o2 == prev.o2)
			die(&d, "the churn traffic stopped at %d s", s);
		/* Two churn files (during a rotation) and what is in flight. */
		if (in_use > base_in_use + 2 * CHURN_TUPLES + 2048)
			die(&d, "vs_shared holds %" PRId64 " mbufs at %d s", in_use, s);
		if (in_use > in_use_max)
			in_use_max = in_use;
		if (s <= warm_s) {
			if (rss > rss_warm)
				rss_warm = rss;
		} else {
			if (rss > rss_max)
				rss_max = rss;
			if (rss > rss_warm + RSS_SLACK_KB)
				die(&d, "RSS %ld kB at %d s, %ld kB at the end of warm-up", rss, s,
				    rss_warm);
		}
		if (s % 10 == 0 || s == secs)
			printf("soak: %4d s: %" PRId64 " packets, o1 %" PRId64 ", o2 %" PRId64
			       ", %u generators (%u tuples), %u rule changes, vs_shared in_use "
			       "%" PRId64 ", RSS %ld kB\n",
			       s, cur.packets, cur.o1, cur.o2, rot + 1, (rot + 1) * CHURN_TUPLES,
			       rule, in_use, rss);
		prev = cur;
	}
	expired = num(&d, "pmd stats", NULL, "megaflows_expired");
	installed = num(&d, "pmd stats", NULL, "megaflows_installed");
	ctl(&d, "port del est");
	ctl(&d, "port del churn%u", rot % 2);
	if (th_wait_mempools(&d, baseline, 10) != 0)
		die(&d, "mbufs not back at their baseline");
	if (expired == 0)
		die(&d, "no megaflow expired in %d s of churn", secs);
	/* The priority-100 rule makes megaflows exact on the tuple: each new one needs its own. */
	if (installed < (int64_t)(rot + 1) * CHURN_TUPLES / 2)
		die(&d, "only %" PRId64 " megaflows installed for %u tuples", installed,
		    (rot + 1) * CHURN_TUPLES);
	if (th_stop(&d) != 0)
		die(NULL, "sluiced did not stop cleanly");
	printf("soak: passed: %d s, %" PRId64 " packets, %u distinct churn tuples, %u rule "
	       "changes, %" PRId64 " megaflows installed, %" PRId64 " expired; established flow "
	       "at least %" PRId64 " pkt/s in every sample; vs_shared in_use max %" PRId64
	       " (baseline %" PRId64 "); RSS %ld kB at start, %ld kB warm, %ld kB max after\n",
	       secs, prev.packets, (rot + 1) * CHURN_TUPLES, rule, installed, expired, o1_pps_min,
	       in_use_max, base_in_use, rss0, rss_warm, rss_max);
	return 0;
}
