/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced: EAL start-up, options, PMD launch, the control loop and a clean
 * shutdown.  The EAL main lcore is the control thread; every other lcore of
 * the EAL core list (or of --pmd-cores) runs one PMD thread pinned to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pdump.h>

#include "vs_ctl.h"
#include "vs_ct.h"
#include "vs_daemon.h"
#include "vs_underlay.h"

RTE_LOG_REGISTER(vs_main_logtype, user.vs.main, INFO);
#define MAIN_LOG(level, fmt, ...)                                                                  \
	rte_log(RTE_LOG_##level, vs_main_logtype, "sluiced: " fmt "\n", ##__VA_ARGS__)

#define VS_DEFAULT_MBUFS   32768
#define VS_MAC_ENTRIES     8192
#define VS_MAC_AGING_S     300
#define VS_TX_DRAIN_US     50
#define VS_EMC_ENTRIES     8192
#define VS_EMC_INSERT_PROB 100
#define VS_MF_LIMIT        200000
#define VS_MF_IDLE_MS      10000
#define VS_UPCALL_RATE     1000000

struct vs_daemon vs_d;

struct opts {
	const char *config;
	const char *ctl;
	const char *ctl_group;
	const char *pmd_cores;
	const char *pidfile;
	const char *log_file;
	const char *file_prefix;
	uint32_t sleep_us;
	uint32_t n_mbufs;
	uint32_t emc_entries;
	bool detach;
};

static int ready_fd = -1; /* --detach: pipe to the waiting parent */
static volatile sig_atomic_t got_term, got_hup;

/* Prints one error line, tells a waiting parent, and exits. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "sluiced: %s\n", msg);
	if (ready_fd >= 0) {
		dprintf(ready_fd, "sluiced: %s\n", msg);
		close(ready_fd);
	}
	exit(1);
}

static void
usage(void)
{
	printf("usage: sluiced [EAL options] -- [--config FILE] [--ctl SOCKET] [--ctl-group "
	       "GROUP]\n"
	       "               [--pmd-cores LIST] [--pmd-sleep-max US] [--mbufs N] [--emc-entries "
	       "N]\n"
	       "               [--detach] [--pidfile FILE] [--log-file FILE]\n"
	       "EAL options pass through to DPDK (-l, --lcores, -a, --vdev, --file-prefix,\n"
	       "--socket-mem, --no-huge, -m, --log-level, ...).  The main lcore runs control;\n"
	       "each other lcore runs one PMD thread.\n");
}

static uint32_t
parse_u32_opt(const char *name, const char *v, uint32_t max)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n > max)
		die("bad value '%s' for %s", v, name);
	return (uint32_t)n;
}

/* Total and free 2 MB hugepages from /proc/meminfo (-1 if unknown). */
static void
hugepages(long *total, long *free_pages)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	*total = *free_pages = -1;
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "HugePages_Total: %ld", total);
		sscanf(line, "HugePages_Free: %ld", free_pages);
	}
	if (f != NULL)
		fclose(f);
}

/* One line that names why EAL did not start. */
static const char *
eal_error(int argc, char **argv)
{
	static char msg[512];
	bool no_huge = false;
	long total, free_pages;
	int i;

	for (i = 1; i < argc; i++)
		no_huge |= strcmp(argv[i], "--no-huge") == 0;
	hugepages(&total, &free_pages);
	if (!no_huge && free_pages == 0)
		snprintf(msg, sizeof(msg),
		         "EAL initialization failed: no free hugepages (%ld reserved, 0 free): "
		         "echo 512 > /proc/sys/vm/nr_hugepages, or run with --no-huge -m 512",
		         total);
	else
		snprintf(msg, sizeof(msg), "EAL initialization failed: %s%s",
		         rte_strerror(rte_errno),
		         rte_errno == ENOMEM ? " (not enough memory: more hugepages, or "
		                               "-m/--socket-mem)" :
		                               "");
	return msg;
}

static void
parse_app_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "ctl", required_argument, NULL, 's' },
		{ "ctl-group", required_argument, NULL, 'g' },
		{ "pmd-cores", required_argument, NULL, 'p' },
		{ "pmd-sleep-max", required_argument, NULL, 'S' },
		{ "mbufs", required_argument, NULL, 'm' },
		{ "emc-entries", required_argument, NULL, 'e' },
		{ "detach", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'P' },
		{ "log-file", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->ctl = optarg;
			break;
		case 'g':
			o->ctl_group = optarg;
			break;
		case 'p':
			o->pmd_cores = optarg;
			break;
		case 'S':
			o->sleep_us = parse_u32_opt("--pmd-sleep-max", optarg, 10000);
			break;
		case 'm':
			o->n_mbufs = parse_u32_opt("--mbufs", optarg, 16u << 20);
			break;
		case 'e':
			o->emc_entries = parse_u32_opt("--emc-entries", optarg, 1u << 24);
			if (o->emc_entries & (o->emc_entries - 1))
				die("--emc-entries must be 0 or a power of two");
			break;
		case 'd':
			o->detach = true;
			break;
		case 'P':
			o->pidfile = optarg;
			break;
		case 'L':
			o->log_file = optarg;
			break;
		case 'h':
			usage();
			exit(0);
		default:
			die("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
}

/* Finds --file-prefix in the EAL arguments (for the default socket path). */
static const char *
find_file_prefix(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--file-prefix") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--file-prefix=", 14) == 0)
			return argv[i] + 14;
	}
	return NULL;
}

/* Forks; the parent waits for the child's "ready" or its error line. */
static void
detach(void)
{
	int fds[2], devnull;
	char buf[1100];
	ssize_t n, len = 0;
	pid_t pid;

	if (pipe(fds) != 0)
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(fds[1]);
		while (len < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(fds[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
			len += n;
		buf[len] = '\0';
		if (strncmp(buf, "READY", 5) == 0)
			exit(0);
		if (len > 0)
			fputs(buf, stderr);
		else
			fprintf(stderr, "sluiced: daemon exited during start-up\n");
		exit(1);
	}
	close(fds[0]);
	ready_fd = fds[1];
	setsid();
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Parses "1,3-4" into a set of lcores. */
static bool
in_core_list(const char *list, unsigned int lcore)
{
	const char *p = list;

	while (*p != '\0') {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			die("bad --pmd-cores '%s'", list);
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p)
				die("bad --pmd-cores '%s'", list);
		}
		if (lcore >= lo && lcore <= hi)
			return true;
		p = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			die("bad --pmd-cores '%s'", list);
	}
	return false;
}

static void
setup_switch(const struct opts *o)
{
	struct vs_switch *sw = &vs_d.sw;
	/* One QSBR thread per PMD, and one for the control thread reading connections. */
	size_t qsz = rte_rcu_qsbr_get_memsize(VS_PMD_MAX + 1);
	unsigned int lcore;
	void *mac_mem;

	vs_clock_init();
	sw->tsc_hz = rte_get_tsc_hz();
	sw->tx_drain_tsc = sw->tsc_hz / 1000000 * VS_TX_DRAIN_US;
	sw->pmd_sleep_max_us = o->sleep_us;
	sw->emc_entries = o->emc_entries;
	sw->emc_insert_prob = VS_EMC_INSERT_PROB;
	sw->mf_limit = VS_MF_LIMIT;
	sw->mf_idle_ms = VS_MF_IDLE_MS;
	sw->upcall_rate = VS_UPCALL_RATE;
	vs_d.cli_sleep_us = o->sleep_us;
	sw->shared_mp = rte_pktmbuf_pool_create("vs_shared",
	                                        o->n_mbufs ? o->n_mbufs : VS_DEFAULT_MBUFS, 256, 0,
	                                        RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (sw->shared_mp == NULL)
		die("cannot create the mbuf pool: %s (no hugepages? give EAL --no-huge -m 512, or "
		    "echo 512 > /proc/sys/vm/nr_hugepages)",
		    rte_strerror(rte_errno));
	sw->qsbr = rte_zmalloc("vs_qsbr", qsz, RTE_CACHE_LINE_SIZE);
	if (sw->qsbr == NULL || rte_rcu_qsbr_init(sw->qsbr, VS_PMD_MAX + 1) != 0)
		die("cannot set up RCU");
	mac_mem = rte_zmalloc("vs_mac", vs_mac_memsize(VS_MAC_ENTRIES), RTE_CACHE_LINE_SIZE);
	sw->mac = mac_mem != NULL ? vs_mac_init(mac_mem, VS_MAC_ENTRIES, VS_MAC_AGING_S) : NULL;
	if (sw->mac == NULL)
		die("cannot allocate the MAC table");
	sw->portmap = rte_zmalloc("vs_portmap", sizeof(struct vs_portmap), 0);
	sw->ofp = vs_ofproto_create(vs_switch_sync_rules, sw, vs_clock_ms);
	if (sw->portmap == NULL || sw->ofp == NULL)
		die("out of memory");
	sw->rules_slot = vs_ofproto_slot(sw->ofp);

	RTE_LCORE_FOREACH_WORKER (lcore) {
		struct vs_pmd *pmd;

		if (o->pmd_cores != NULL && !in_core_list(o->pmd_cores, lcore))
			continue;
		if (sw->n_pmds == VS_PMD_MAX)
			die("too many PMD lcores (max %u)", VS_PMD_MAX);
		pmd = rte_zmalloc_socket("vs_pmd", sizeof(*pmd), RTE_CACHE_LINE_SIZE,
		                         (int)rte_lcore_to_socket_id(lcore));
		if (pmd == NULL)
			die("out of memory");
		pmd->sw = sw;
		pmd->lcore_id = lcore;
		pmd->idx = sw->n_pmds;
		pmd->reload_ack = UINT64_MAX;
		sw->pmds[sw->n_pmds++] = pmd;
	}
	if (sw->n_pmds == 0)
		die("no PMD lcore: give EAL at least two lcores (e.g. -l 0-1), the first runs "
		    "control");
	sw->reload_seq = 0;
}

static void
launch_pmds(void)
{
	struct vs_switch *sw = &vs_d.sw;
	uint16_t i;

	for (i = 0; i < sw->n_pmds; i++)
		if (rte_eal_remote_launch(vs_pmd_main, sw->pmds[i], sw->pmds[i]->lcore_id) != 0)
			die("cannot launch PMD on lcore %u", sw->pmds[i]->lcore_id);
	/* Wait until every PMD runs and has loaded the (empty) port map. */
	if (vs_switch_reload_pmds(sw) != 0)
		die("PMD threads did not start");
}

static void
install_default_flow(void)
{
	char *argv[] = { "priority=0,actions=normal" };
	struct vs_flow_spec spec;
	struct vs_reply r;

	vs_reply_init(&r, false);
	if (vs_cmd_parse_flow(1, argv, VS_FP_ADD, NULL, &spec, &r) != 0 ||
	    vs_ofproto_add(vs_d.sw.ofp, &spec) != 0)
		die("cannot install the default flow: %s", r.buf);
	vs_flow_spec_free(&spec);
	vs_reply_free(&r);
}

static void
shutdown_switch(void)
{
	struct vs_switch *sw = &vs_d.sw;
	struct vs_reply r;
	uint16_t s;

	/* Release: pairs with the PMDs' acquire load of 'stop'. */
	__atomic_store_n(&sw->stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	vs_ct_fini();
	vs_reply_init(&r, false);
	for (s = 0; s < VS_PORT_MAX; s++)
		if (sw->portmap->slots[s] != NULL)
			vs_port_del(sw, sw->portmap->slots[s], &r);
	vs_reply_free(&r);
}

static void
write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0)
		die("cannot write pidfile %s: %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	char default_ctl[256], err[512];
	struct opts o = { .emc_entries = VS_EMC_ENTRIES };
	struct vs_ctl_opts co = { 0 };
	struct vs_ctl *ctl;
	uint64_t last_tick = 0;
	int sep, ret;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep < argc)
		parse_app_args(argc - sep, argv + sep, &o);
	else if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage();
		return 0;
	}
	o.file_prefix = find_file_prefix(sep, argv);
	if (o.ctl == NULL) {
		snprintf(default_ctl, sizeof(default_ctl), "/run/sluice/%s.ctl",
		         o.file_prefix ? o.file_prefix : "sluiced");
		o.ctl = default_ctl;
	}
	if (o.config != NULL && access(o.config, R_OK) != 0)
		die("cannot read config %s: %s", o.config, strerror(errno));
	if (o.detach)
		detach();
	if (o.log_file != NULL) {
		FILE *lf = fopen(o.log_file, "a");

		if (lf == NULL)
			die("cannot open log file %s: %s", o.log_file, strerror(errno));
		setvbuf(lf, NULL, _IOLBF, 0);
		rte_openlog_stream(lf);
	}
	ret = rte_eal_init(sep, argv);
	if (ret < 0)
		die("%s", eal_error(sep, argv));
	vs_d.config_path = o.config;
	vs_d.ctl_path = o.ctl;
	setup_switch(&o);
	launch_pmds();
	install_default_flow();
	install_signals();

	co.path = o.ctl;
	co.group = o.ctl_group;
	co.handler = vs_cmd_handle;
	ctl = vs_ctl_create(&co, err, sizeof(err));
	if (ctl == NULL) {
		shutdown_switch();
		die("%s", err);
	}
	if (o.config != NULL) {
		struct vs_reply r;

		vs_reply_init(&r, false);
		if (vs_config_load(o.config, &r) != 0) {
			vs_ctl_destroy(ctl);
			shutdown_switch();
			die("%s", r.buf);
		}
		vs_reply_free(&r);
	}
	rte_pdump_init();
	vs_telemetry_init();
	if (o.pidfile != NULL)
		write_pidfile(o.pidfile);
	MAIN_LOG(INFO, "ready: %u PMD threads, %u ports, control socket %s", vs_d.sw.n_pmds,
	         vs_d.sw.portmap->n_ports, o.ctl);
	if (ready_fd >= 0) {
		if (write(ready_fd, "READY\n", 6) != 6)
			MAIN_LOG(WARNING, "parent went away");
		close(ready_fd);
		ready_fd = -1;
	}

	while (!got_term && !vs_d.shutdown) {
		uint64_t now;

		/* 10 ms while conntrack is in use: its table must grow as fast as it fills. */
		vs_ctl_run(ctl, vs_ct_active() ? 10 : 100);
		vs_ct_maintain();
		if (got_hup) {
			struct vs_reply r;

			got_hup = 0;
			vs_reply_init(&r, false);
			if (vs_d.config_path == NULL)
				MAIN_LOG(WARNING, "SIGHUP: no --config to reload");
			else if (vs_config_reload(vs_d.config_path, &r) != 0)
				MAIN_LOG(ERR, "config reload failed, nothing changed: %s", r.buf);
			vs_reply_free(&r);
		}
		now = vs_clock_ms();
		vs_underlay_tick(now); /* ARP learning and aging (VXLAN underlay) */
		if (now - last_tick >= 1000) {
			last_tick = now;
			vs_ofproto_expire(vs_d.sw.ofp);
			vs_port_reap_pools();
			vs_telemetry_publish();
		}
	}
	MAIN_LOG(INFO, "shutting down");
	vs_ctl_destroy(ctl);
	shutdown_switch();
	rte_pdump_uninit();
	if (o.pidfile != NULL)
		unlink(o.pidfile);
	rte_eal_cleanup();
	return 0;
}
