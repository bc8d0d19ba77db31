/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test harness for tests that run the real sluiced; see th.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pcap_file.h"
#include "th.h"

static const char *
env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : dflt;
}

void
th_sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

uint64_t
th_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
th_scratch(const char *name, char *dir, size_t size)
{
	char cmd[600];

	snprintf(dir, size, "%s/sluice-test-%s-%d", env_or("TH_TMPDIR", "/tmp"), name,
	         (int)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "th: cannot create %s\n", dir);
}

static void
print_log(const struct th_daemon *d)
{
	char line[1024];
	FILE *f = fopen(d->log, "r");

	fprintf(stderr, "---- sluiced log %s ----\n", d->log);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	if (f != NULL)
		fclose(f);
	fprintf(stderr, "---- end of log ----\n");
}

/* Daemons still running when the test process exits (a failed assertion
 * skips th_stop()) are killed, so no test leaves a spinning PMD behind. */
static pid_t live[64];

static void
kill_live(void)
{
	unsigned int i;

	for (i = 0; i < 64; i++)
		if (live[i] > 0 && kill(live[i], SIGKILL) == 0)
			waitpid(live[i], NULL, 0);
}

static void
track(pid_t pid)
{
	static bool registered;
	unsigned int i;

	if (!registered) {
		atexit(kill_live);
		registered = true;
	}
	for (i = 0; i < 64; i++)
		if (live[i] <= 0 || kill(live[i], 0) != 0) {
			live[i] = pid;
			return;
		}
}

int
th_start(struct th_daemon *d, const char *name, const char *config, const char *const *eal_extra,
         const char *const *app_extra)
{
	const char *argv[128];
	char prefix[96];
	int argc = 0, i;
	FILE *f;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->dir, sizeof(d->dir), "%s/sluice-test-%s-%d", env_or("TH_TMPDIR", "/tmp"), name,
	         (int)getpid());
	mkdir(d->dir, 0755);
	snprintf(d->ctl, sizeof(d->ctl), "%s/ctl.sock", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/sluiced.log", d->dir);
	snprintf(d->config, sizeof(d->config), "%s/sluice.conf", d->dir);
	snprintf(prefix, sizeof(prefix), "th_%s_%d", name, (int)getpid());
	f = fopen(d->config, "w");
	if (f == NULL || fputs(config, f) < 0 || fclose(f) != 0)
		return -1;

	argv[argc++] = env_or("SLUICED", "build/src/sluiced");
	/* "--lcores" in eal_extra replaces "-l 0-1" (EAL ignores --lcores after -l). */
	for (i = 0; eal_extra != NULL && eal_extra[i] != NULL; i++)
		if (strcmp(eal_extra[i], "--lcores") == 0)
			break;
	if (eal_extra == NULL || eal_extra[i] == NULL) {
		argv[argc++] = "-l";
		argv[argc++] = "0-1";
	}
	argv[argc++] = "--no-huge";
	argv[argc++] = "--no-pci";
	argv[argc++] = "-m";
	argv[argc++] = "256";
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--file-prefix";
	argv[argc++] = prefix;
	for (i = 0; eal_extra != NULL && eal_extra[i] != NULL && argc < 100; i++)
		argv[argc++] = eal_extra[i];
	argv[argc++] = "--";
	argv[argc++] = "--config";
	argv[argc++] = d->config;
	argv[argc++] = "--ctl";
	argv[argc++] = d->ctl;
	argv[argc++] = "--log-file";
	argv[argc++] = d->log;
	argv[argc++] = "--pmd-sleep-max";
	argv[argc++] = "200";
	for (i = 0; app_extra != NULL && app_extra[i] != NULL && argc < 126; i++)
		argv[argc++] = app_extra[i];
	argv[argc] = NULL;

	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	track(d->pid);
	for (i = 0; i < 300; i++) {
		int st;

		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			fprintf(stderr, "th: sluiced exited during start-up (status %d)\n",
			        WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			d->pid = 0;
			print_log(d);
			return -1;
		}
		if (access(d->ctl, F_OK) == 0 && th_ctl_status(d, "version") == 0)
			return 0;
		th_sleep_ms(100);
	}
	fprintf(stderr, "th: sluiced did not answer in 30 s\n");
	print_log(d);
	th_kill(d);
	return -1;
}

/* Runs sluicectl with 'words' and captures its output. */
static int
run_ctl(struct th_daemon *d, struct th_out *out, char *words)
{
	const char *argv[256];
	int argc = 0, pout[2], perr[2], st;
	char *save = NULL, *w;
	size_t n_out = 0, n_err = 0;
	pid_t pid;

	argv[argc++] = env_or("SLUICECTL", "build/src/sluicectl");
	argv[argc++] = "--ctl";
	argv[argc++] = d->ctl;
	for (w = strtok_r(words, " ", &save); w != NULL && argc < 254;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (pipe(pout) != 0 || pipe(perr) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pout[1], STDOUT_FILENO);
		dup2(perr[1], STDERR_FILENO);
		close(pout[0]);
		close(perr[0]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pout[1]);
	close(perr[1]);
	/* Read both pipes; stderr is small, so drain stdout first. */
	for (;;) {
		ssize_t k = read(pout[0], out->buf + n_out, sizeof(out->buf) - 1 - n_out);

		if (k <= 0)
			break;
		n_out += (size_t)k;
		if (n_out == sizeof(out->buf) - 1)
			break;
	}
	for (;;) {
		ssize_t k = read(perr[0], out->err + n_err, sizeof(out->err) - 1 - n_err);

		if (k <= 0)
			break;
		n_err += (size_t)k;
		if (n_err == sizeof(out->err) - 1)
			break;
	}
	out->buf[n_out] = '\0';
	out->err[n_err] = '\0';
	close(pout[0]);
	close(perr[0]);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	out->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out->status;
}

int
th_ctl(struct th_daemon *d, struct th_out *out, const char *fmt, ...)
{
	char words[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(words, sizeof(words), fmt, ap);
	va_end(ap);
	return run_ctl(d, out, words);
}

int
th_ctl_status(struct th_daemon *d, const char *fmt, ...)
{
	static struct th_out out;
	char words[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(words, sizeof(words), fmt, ap);
	va_end(ap);
	return run_ctl(d, &out, words);
}

int64_t
th_json_num(const char *json, const char *anchor, const char *key)
{
	char pat[128];
	const char *p = json;

	if (anchor != NULL) {
		p = strstr(json, anchor);
		if (p == NULL)
			return -1;
	}
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(p, pat);
	if (p == NULL)
		return -1;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	return strtoll(p, NULL, 10);
}

int64_t
th_port_stat(struct th_daemon *d, const char *port, const char *key)
{
	static struct th_out out;
	char anchor[96];

	if (th_ctl(d, &out, "--json port stats %s", port) != 0)
		return -1;
	snprintf(anchor, sizeof(anchor), "\"name\": \"%s\"", port);
	return th_json_num(out.buf, anchor, key);
}

int
th_wait_rx(struct th_daemon *d, const char *port, int64_t n, int timeout_s)
{
	int i;

	for (i = 0; i < timeout_s * 20; i++) {
		if (th_port_stat(d, port, "rx_packets") >= n)
			return 0;
		th_sleep_ms(50);
	}
	fprintf(stderr, "th: port %s received %" PRId64 " of %" PRId64 " packets\n", port,
	        th_port_stat(d, port, "rx_packets"), n);
	return -1;
}

int
th_wait_mempools(struct th_daemon *d, const char *baseline, int timeout_s)
{
	static struct th_out out;
	const char *p;
	int i;

	for (i = 0; i < timeout_s * 10; i++) {
		bool same = true;

		if (th_ctl(d, &out, "--json show") != 0)
			return -1;
		/* Every pool of the baseline must show the same in_use now. */
		for (p = strstr(baseline, "{\"name\": \""); p != NULL;
		     p = strstr(p + 1, "{\"name\": \"")) {
			char anchor[128];
			const char *q = p + 10, *e = strchr(q, '"');

			if (e == NULL || e - q > 100)
				break;
			snprintf(anchor, sizeof(anchor), "{\"name\": \"%.*s\"", (int)(e - q), q);
			if (th_json_num(out.buf, anchor, "in_use") !=
			    th_json_num(baseline, anchor, "in_use"))
				same = false;
		}
		if (same)
			return 0;
		th_sleep_ms(100);
	}
	fprintf(stderr, "th: mempools not back at baseline:\nbaseline: %s\nnow: %s\n", baseline,
	        out.buf);
	return -1;
}

int
th_stop(struct th_daemon *d)
{
	int st, i;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	for (i = 0; i < 300; i++) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			if (!WIFEXITED(st))
				print_log(d);
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		th_sleep_ms(100);
	}
	print_log(d);
	th_kill(d);
	return -1;
}

void
th_kill(struct th_daemon *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
}

int
th_read_pcap(const char *path, struct th_frame *frames, int max)
{
	struct pcapf_reader *r = pcapf_reader_open(path);
	struct pcapf_rec rec;
	const uint8_t *data;
	int n = 0, ret;

	if (r == NULL)
		return -1;
	while (n < max && (ret = pcapf_read(r, &data, &rec)) == 1) {
		frames[n].len = rec.caplen < sizeof(frames[n].data) ? rec.caplen :
		                                                      sizeof(frames[n].data);
		memcpy(frames[n].data, data, frames[n].len);
		n++;
	}
	pcapf_reader_close(r);
	return n;
}

int
th_write_pcap(const char *path, uint8_t *const *frames, const size_t *lens, int n)
{
	struct pcapf_writer *w = pcapf_writer_open(path, 0);
	int i;

	if (w == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (pcapf_write(w, frames[i], (uint32_t)lens[i], (uint64_t)i) != 0) {
			pcapf_writer_close(w);
			return -1;
		}
	return pcapf_writer_close(w);
}
