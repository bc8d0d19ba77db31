/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sluiced as a process: start-up with a config file, sluicectl replies and
 * errors, config errors with FILE:LINE, reload and save, stale and live
 * control sockets, --detach and --pidfile, and a clean SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "th.h"

static struct th_out o;

static const char base_config[] =
		"# two sinks and flows\n"
		"port add p1 dpdk net_null0,no-rx=1\n"
		"port add p2 dpdk net_null1,no-rx=1 ofport=7 mtu=9000\n"
		"\n"
		"flow add table=0,priority=100,in_port=p1,ip actions=output:p2\n"
		"flow add table=0,priority=50,udp,tp_dst=53 actions=resubmit(,1)\n"
		"flow add table=1,actions=drop\n";

/* Runs sluiced in the foreground with 'config' until it exits; returns its status and log. */
static int
run_to_exit(const char *name, const char *config, char *log, size_t log_size)
{
	char dir[256], path[320], cmd[2048];
	FILE *f;
	int st;
	size_t n;

	th_scratch(name, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sluice.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(config, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
	         "timeout 60 %s -l 0-1 --no-huge --no-pci -m 256 --no-telemetry "
	         "--file-prefix %s%d -- --config %s --ctl %s/ctl.sock > %s/out.log 2>&1",
	         getenv("SLUICED"), name, (int)getpid(), path, dir, dir);
	st = system(cmd);
	snprintf(path, sizeof(path), "%s/out.log", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(log, 1, log_size - 1, f);
	log[n] = '\0';
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_daemon_commands_and_errors(void **state)
{
	struct th_daemon d;

	(void)state;
	assert_int_equal(th_start(&d, "cmds", base_config, NULL, NULL), 0);
	/* show / port list reflect the config. */
	assert_int_equal(th_ctl(&d, &o, "port list"), 0);
	assert_non_null(strstr(o.buf, "p1"));
	assert_int_equal(th_ctl(&d, &o, "--json port list"), 0);
	assert_int_equal(th_json_num(o.buf, "\"name\": \"p2\"", "mtu"), 9000);
	assert_non_null(strstr(o.buf, "\"ofport\": 7, \"name\": \"p2\""));
	assert_int_equal(th_ctl(&d, &o, "flow dump --names"), 0);
	assert_non_null(strstr(o.buf, "priority=100,ip,in_port=p1 actions=output:p2"));
	assert_non_null(strstr(o.buf, "table=1, n_packets=0, n_bytes=0, actions=drop"));
	assert_int_equal(th_ctl(&d, &o, "flow dump"), 0);
	assert_non_null(strstr(o.buf, "in_port=1 actions=output:7"));
	/* --json accepted as the last argument. */
	assert_int_equal(th_ctl(&d, &o, "pmd stats --json"), 0);
	assert_true(th_json_num(o.buf, NULL, "packets") >= 0);
	assert_int_equal(th_ctl(&d, &o, "pmd rxq"), 0);
	assert_int_equal(th_ctl(&d, &o, "version"), 0);
	assert_non_null(strstr(o.buf, "sluice"));
	/* The revision the daemon was built from (vcs_tag; "unknown" outside a checkout). */
	assert_non_null(strstr(o.buf, ", git "));
	assert_null(strstr(o.buf, "@VCS_TAG@"));

	/* Errors: non-zero exit, one line naming the problem, nothing changed. */
	assert_int_equal(th_ctl(&d, &o, "flow add in_port=p1,nw_srx=1.2.3.4 actions=drop"), 1);
	assert_non_null(strstr(o.err, "nw_srx"));
	assert_int_equal(th_ctl(&d, &o, "flow add in_port=nosuch actions=drop"), 1);
	assert_non_null(strstr(o.err, "nosuch"));
	assert_int_equal(th_ctl(&d, &o, "flow add ip actions=ct(commit,nat(src=10.0.0.1))"), 1);
	assert_non_null(strstr(o.err, "nat"));
	assert_int_equal(th_ctl(&d, &o, "port add 123 dpdk net_null5"), 1);
	assert_non_null(strstr(o.err, "123"));
	assert_int_equal(th_ctl(&d, &o, "port add p3 dpdk net_bogus0"), 1);
	assert_non_null(strstr(o.err, "net_bogus0"));
	assert_int_equal(th_ctl(&d, &o, "port add p1 dpdk net_null6,no-rx=1"), 1);
	assert_non_null(strstr(o.err, "exists"));
	assert_int_equal(th_ctl(&d, &o, "port add p4 dpdk net_null7,no-rx=1 mtu=abc"), 1);
	assert_int_equal(th_ctl(&d, &o, "frobnicate"), 1);
	assert_non_null(strstr(o.err, "frobnicate"));
	assert_int_equal(th_ctl(&d, &o, "--json flow dump"), 0);
	assert_null(strstr(o.buf, "nw_srx"));
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ports"), 2);
	assert_int_equal(th_json_num(o.buf, NULL, "flows"), 4); /* 3 + the default normal rule */

	/* Port add/del at run time; numbers are lowest free and not reused while present. */
	assert_int_equal(th_ctl(&d, &o, "--json port add p3 dpdk net_null8,no-rx=1"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ofport"), 2);
	assert_int_equal(th_ctl(&d, &o, "port del p1"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json port add p4 dpdk net_null9,no-rx=1"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ofport"), 1);
	assert_int_equal(th_ctl(&d, &o, "port del nosuch"), 1);

	/* Flow del non-strict / strict. */
	assert_int_equal(th_ctl(&d, &o, "flow del --strict udp,tp_dst=53"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "flows"), 4); /* priority did not match */
	assert_int_equal(th_ctl(&d, &o, "flow del --strict priority=50,udp,tp_dst=53"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "flows"), 3);
	assert_int_equal(th_ctl(&d, &o, "flow del table=1"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "flows"), 2);

	assert_int_equal(th_ctl(&d, &o, "shutdown"), 0);
	/* shutdown is as clean as SIGTERM: exit 0 and the socket is gone. */
	{
		int st, i;

		for (i = 0; i < 300 && waitpid(d.pid, &st, WNOHANG) != d.pid; i++)
			usleep(100000);
		assert_true(i < 300);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		d.pid = 0;
	}
	assert_int_equal(access(d.ctl, F_OK), -1);
}

static void
test_daemon_config_errors_name_file_and_line(void **state)
{
	static char log[65536];

	(void)state;
	assert_int_not_equal(run_to_exit("cfgerr",
	                                 "port add p1 dpdk net_null0,no-rx=1\n"
	                                 "# comment\n"
	                                 "flow add in_port=p1,tp_dst=80 actions=drop\n",
	                                 log, sizeof(log)),
	                     0);
	assert_non_null(strstr(log, "sluice.conf:3:"));
	assert_non_null(strstr(log, "tp_dst"));
	assert_int_not_equal(run_to_exit("cfgerr2", "port add p1 dpdk net_nosuchdriver0\n", log,
	                                 sizeof(log)),
	                     0);
	assert_non_null(strstr(log, "sluice.conf:1:"));
	assert_non_null(strstr(log, "net_nosuchdriver0"));
	assert_int_not_equal(run_to_exit("cfgerr3", "pmd sleep forever\n", log, sizeof(log)), 0);
	assert_non_null(strstr(log, "sluice.conf:1:"));
}

static void
test_daemon_reload_and_save(void **state)
{
	struct th_daemon d;
	char path[400], save[400];
	FILE *f;

	(void)state;
	assert_int_equal(th_start(&d, "reload", base_config, NULL, NULL), 0);
	/* A broken file: reload fails and changes nothing. */
	f = fopen(d.config, "w");
	assert_non_null(f);
	fputs("port add p1 dpdk net_null0,no-rx=1\nflow add in_port=p1 actions=output:p9\n", f);
	fclose(f);
	assert_int_equal(th_ctl(&d, &o, "config reload"), 1);
	assert_non_null(strstr(o.err, ":2:"));
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ports"), 2);
	assert_int_equal(th_json_num(o.buf, NULL, "flows"), 4);
	/* A good file: p2 goes, p3 comes, flows replaced. */
	f = fopen(d.config, "w");
	assert_non_null(f);
	fputs("port add p1 dpdk net_null0,no-rx=1\nport add p3 dpdk net_null2,no-rx=1\n"
	      "flow del\nflow add in_port=p1 actions=output:p3\n",
	      f);
	fclose(f);
	assert_int_equal(th_ctl(&d, &o, "config reload"), 0);
	assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
	assert_int_equal(th_json_num(o.buf, NULL, "ports"), 2);
	assert_int_equal(th_json_num(o.buf, NULL, "flows"), 1);
	assert_int_equal(th_ctl(&d, &o, "flow dump --names"), 0);
	assert_non_null(strstr(o.buf, "in_port=p1 actions=output:p3"));
	/* SIGHUP reloads too. */
	f = fopen(d.config, "w");
	assert_non_null(f);
	fputs("port add p1 dpdk net_null0,no-rx=1\nport add p3 dpdk net_null2,no-rx=1\n"
	      "flow del\nflow add in_port=p1 actions=output:p3\nflow add in_port=p3 actions=drop\n",
	      f);
	fclose(f);
	assert_int_equal(kill(d.pid, SIGHUP), 0);
	{
		int i;

		for (i = 0; i < 100; i++) {
			assert_int_equal(th_ctl(&d, &o, "--json show"), 0);
			if (th_json_num(o.buf, NULL, "flows") == 2)
				break;
			usleep(50000);
		}
		assert_int_equal(th_json_num(o.buf, NULL, "flows"), 2);
	}
	/* config save writes what runs; a daemon started from it runs the same. */
	snprintf(save, sizeof(save), "%s/saved.conf", d.dir);
	assert_int_equal(th_ctl(&d, &o, "config save %s", save), 0);
	assert_int_equal(th_stop(&d), 0);
	{
		static char text[65536];
		struct th_daemon d2;
		size_t n;

		f = fopen(save, "r");
		assert_non_null(f);
		n = fread(text, 1, sizeof(text) - 1, f);
		text[n] = '\0';
		fclose(f);
		assert_non_null(strstr(text, "port add p3 dpdk net_null2,no-rx=1"));
		assert_int_equal(th_start(&d2, "reload2", text, NULL, NULL), 0);
		assert_int_equal(th_ctl(&d2, &o, "flow dump --names"), 0);
		assert_non_null(strstr(o.buf, "in_port=p1 actions=output:p3"));
		assert_int_equal(th_ctl(&d2, &o, "--json show"), 0);
		assert_int_equal(th_json_num(o.buf, NULL, "flows"), 2);
		assert_int_equal(th_stop(&d2), 0);
	}
	snprintf(path, sizeof(path), "%s", d.ctl);
	assert_int_equal(access(path, F_OK), -1);
}

static void
test_daemon_stale_and_live_sockets(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct th_daemon d, d2;
	char dir[256], path[400], log[8192];
	FILE *f;
	int fd;

	(void)state;
	/* A stale socket (bound, nobody listening) is removed and sluiced starts. */
	th_scratch("stale", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(th_start(&d, "stale", "", NULL, NULL), 0);
	/* A second sluiced on the same live socket refuses to start. */
	{
		const char *app[] = { "--ctl", d.ctl, NULL };

		assert_int_not_equal(th_start(&d2, "stale2", "", NULL, app), 0);
		snprintf(path, sizeof(path), "%s/sluiced.log", d2.dir);
		f = fopen(path, "r");
		assert_non_null(f);
		log[fread(log, 1, sizeof(log) - 1, f)] = '\0';
		fclose(f);
		assert_non_null(strstr(log, d.ctl));
	}
	/* The first one still answers. */
	assert_int_equal(th_ctl_status(&d, "version"), 0);
	assert_int_equal(th_stop(&d), 0);
}

static void
test_daemon_detach_and_pidfile(void **state)
{
	char dir[256], cmd[2048], pidfile[320], ctl[320];
	FILE *f;
	int pid = 0, i;

	(void)state;
	th_scratch("detach", dir, sizeof(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/sluiced.pid", dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl.sock", dir);
	snprintf(cmd, sizeof(cmd),
	         "%s -l 0-1 --no-huge --no-pci -m 256 --no-telemetry --file-prefix det%d "
	         "-- --detach --pidfile %s --ctl %s --pmd-sleep-max 200 --log-file %s/log",
	         getenv("SLUICED"), (int)getpid(), pidfile, ctl, dir);
	assert_int_equal(system(cmd), 0);
	/* Ready when the parent returned: socket and pidfile exist. */
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	assert_true(pid > 0);
	assert_int_equal(access(ctl, F_OK), 0);
	assert_int_equal(kill(pid, SIGTERM), 0);
	for (i = 0; i < 300 && kill(pid, 0) == 0; i++)
		usleep(100000);
	assert_true(i < 300);
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_int_equal(access(ctl, F_OK), -1);
	/* A failing start under --detach: the parent prints the error and exits 1. */
	snprintf(cmd, sizeof(cmd),
	         "%s -l 0-1 --no-huge --no-pci -m 256 --no-telemetry --file-prefix det2%d "
	         "-- --detach --ctl %s --config /nonexistent/x.conf 2>%s/err",
	         getenv("SLUICED"), (int)getpid(), ctl, dir);
	i = system(cmd);
	assert_true(WIFEXITED(i) && WEXITSTATUS(i) == 1);
}

/* Too little memory for the mbuf pool: a clear error that names the likely
 * cause and the fix, a non-zero exit, and no control socket left behind. */
static void
test_daemon_no_memory_names_hugepages(void **state)
{
	char dir[256], cmd[2048], path[320], err[4096] = "";
	FILE *f;
	size_t n;
	int st;

	(void)state;
	th_scratch("nomem", dir, sizeof(dir));
	snprintf(cmd, sizeof(cmd),
	         "%s -l 0-1 --no-huge --no-pci -m 128 --no-telemetry --file-prefix nomem%d "
	         "-- --mbufs 131072 --ctl %s/ctl.sock < /dev/null > %s/err 2>&1",
	         getenv("SLUICED"), (int)getpid(), dir, dir);
	st = system(cmd);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
	snprintf(path, sizeof(path), "%s/err", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(err, 1, sizeof(err) - 1, f);
	err[n] = '\0';
	fclose(f);
	if (strstr(err, "mbuf pool") == NULL || strstr(err, "hugepages") == NULL)
		fail_msg("expected the mbuf pool error naming hugepages, got:\n%s", err);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	assert_int_equal(access(path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_commands_and_errors),
		cmocka_unit_test(test_daemon_config_errors_name_file_and_line),
		cmocka_unit_test(test_daemon_reload_and_save),
		cmocka_unit_test(test_daemon_stale_and_live_sockets),
		cmocka_unit_test(test_daemon_detach_and_pidfile),
		cmocka_unit_test(test_daemon_no_memory_names_hugepages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
