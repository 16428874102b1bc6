/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit --watch: a full scan, then exec events as they happen
 * (mw_audit_watch_next()), each finding written as one JSON line to stdout
 * (for Fluent Bit, Vector, Filebeat) and to a bounded journal that rotates
 * (FILE, FILE.1 .. FILE.N), plus Prometheus metrics: counters of findings by
 * kind, severity and container, and gauges of the last full scan, served
 * over HTTP (--listen, libmicrohttpd) and/or written atomically for
 * node_exporter's textfile collector (--textfile).
 */
#include "cli.h"
#include "audit.h"
#include "audit_metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct journal {
	const struct watch_cfg *cfg;
	int fd;
	uint64_t size;
};

static int journal_open(struct journal *j)
{
	struct stat st;

	j->fd = open(j->cfg->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (j->fd < 0 || fstat(j->fd, &st) < 0) {
		cli_err("journal %s: %s", j->cfg->journal, strerror(errno));
		return -1;
	}
	j->size = (uint64_t)st.st_size;
	return 0;
}

/* FILE.N-1 -> FILE.N ... FILE -> FILE.1, then a new FILE. */
static int journal_rotate(struct journal *j)
{
	const char *base = j->cfg->journal;
	char from[4096], to[4096];

	close(j->fd);
	j->fd = -1;
	for (unsigned int i = j->cfg->journal_keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", base);
		else
			snprintf(from, sizeof(from), "%s.%u", base, i - 1);
		snprintf(to, sizeof(to), "%s.%u", base, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			cli_err("journal rotation %s: %s", from, strerror(errno));
	}
	if (!j->cfg->journal_keep)
		unlink(base);
	return journal_open(j);
}

static void journal_write(struct journal *j, const char *line, size_t len)
{
	if (j->fd < 0)
		return;
	if (j->size + len > j->cfg->journal_max && j->size > 0 && journal_rotate(j) < 0)
		return;
	if (write(j->fd, line, len) != (ssize_t)len) {
		cli_err("journal %s: %s", j->cfg->journal, strerror(errno));
		return;
	}
	j->size += len;
}

/* len bytes to stdout, whole (a log shipper reads lines): 0, or -1 when
 * it failed. Once SIGINT or SIGTERM came, nothing more is written there:
 * a write that blocks on a reader that stopped reading (the signal
 * interrupts it, EINTR) or would, is given up, and the watch ends with
 * status 0 as asked (the journal still gets the line). A signal that comes
 * between the check and the write(2) leaves it blocked until the reader
 * reads or another signal comes. */
static int write_out(const char *s, size_t len)
{
	while (len && !stop) {
		ssize_t n = write(STDOUT_FILENO, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One JSON line to stdout and the journal. 0, or -1 when stdout failed. */
static int emit(struct journal *j, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);
	char *line = malloc(len + 2);
	int r = 0;

	if (!line)
		return -1;
	memcpy(line, s, len);
	line[len++] = '\n';
	line[len] = '\0';
	if (write_out(line, len) < 0) {
		cli_err("writing the output: %s", strerror(errno));
		r = -1;
	}
	journal_write(j, line, len);
	free(line);
	return r;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A line about a process the watch did not read (in full): type, its pid,
 * exe when known (NULL: no key) and why. 0, or -1 when it was not written. */
static int emit_unread(struct journal *j, const char *type, const char *source, double t, pid_t pid,
		       const char *exe, const char *reason)
{
	json_object *line = json_object_new_object();
	int err;

	json_object_object_add(line, "type", json_object_new_string(type));
	if (source)
		json_object_object_add(line, "source", json_object_new_string(source));
	json_object_object_add(line, "time", json_object_new_double(t));
	json_object_object_add(line, "pid", json_object_new_int(pid));
	if (exe)
		json_object_object_add(line, "exe", json_object_new_string(exe));
	json_object_object_add(line, "reason", json_object_new_string(reason));
	err = emit(j, line);
	json_object_put(line);
	return err ? -1 : 0;
}

/* event: "scan" or "exec"; source: the watch's event source for "exec". */
static int emit_report(struct journal *j, struct audit_metrics *m, const struct mw_audit_report *r,
		       const char *event, const char *source)
{
	double t = now_s();

	for (size_t i = 0; i < r->nfindings; i++) {
		json_object *line = json_object_new_object();
		json_object *f = audit_finding_json(r->findings[i]);
		int err;

		json_object_object_add(line, "type", json_object_new_string("finding"));
		json_object_object_add(line, "event", json_object_new_string(event));
		if (source)
			json_object_object_add(line, "source", json_object_new_string(source));
		json_object_object_add(line, "time", json_object_new_double(t));
		json_object_object_foreach(f, k, v)
			json_object_object_add(line, k, json_object_get(v));
		json_object_put(f);
		err = emit(j, line);
		json_object_put(line);
		if (err)
			return -1;
		audit_metrics_count(m, r->findings[i]);
	}
	for (size_t i = 0; i < r->nmissing; i++)
		if (emit_unread(j, "exec_unread", source, t, r->missing[i], NULL,
				"exited (or exec'd again) before its executable could be read") < 0)
			return -1;
	for (size_t i = 0; i < r->nargs_unread; i++)
		if (emit_unread(j, "exec_args_unread", source, t, r->args_unread[i].pid, r->args_unread[i].exe,
				"more than 64 KiB of arguments, more such execs at once than the watch reads whole: "
				"its arguments past 64 KiB were not read at its exec (the next full scan reads them "
				"if it still runs)") < 0)
			return -1;
	return 0;
}

static int full_scan(const struct watch_cfg *cfg, struct journal *j, struct audit_metrics *m)
{
	struct mw_audit_report *r = NULL;
	int err = mw_audit_scan(&cfg->o, &r);

	if (err < 0) {
		cli_err("audit failed: %s", strerror(-err));
		return 2;
	}
	err = emit_report(j, m, r, "scan", NULL);
	audit_metrics_scan(m, r);
	mw_audit_report_free(r);
	return err ? 2 : 0;
}

static int setup(const struct watch_cfg *cfg, struct journal *j, struct audit_metrics *m,
		 struct mw_audit_watch **w)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (cfg->journal && journal_open(j) < 0)
		return 2;
	if (audit_metrics_start(m, cfg->textfile_dir, cfg->listen) < 0)
		return 2;
	err = mw_audit_watch_new(&cfg->o, w);
	if (err < 0) {
		cli_err("cannot watch exec events: %s%s", strerror(-err),
			err == -EPERM ? " (no BPF program loads and the proc connector needs root)" : "");
		return 2;
	}
	return 0;
}

int audit_watch_run(const struct watch_cfg *cfg)
{
	struct journal j = { .cfg = cfg, .fd = -1 };
	struct audit_metrics m = { 0 };
	struct mw_audit_watch *w = NULL;
	struct mw_audit_watch_stats st = { .sz = sizeof(st) };
	time_t next_scan;
	int rc;

	rc = setup(cfg, &j, &m, &w);
	if (!rc)
		rc = full_scan(cfg, &j, &m);
	if (!rc)
		cli_err("watching exec events (%s)", mw_audit_watch_source(w));
	next_scan = time(NULL) + (time_t)cfg->interval;
	while (!rc && !stop) {
		struct mw_audit_report *r = NULL;
		int tmo = cfg->interval ? (int)(next_scan - time(NULL)) * 1000 : 1000;
		int err = mw_audit_watch_next(w, tmo < 0 ? 0 : (tmo > 1000 ? 1000 : tmo), &r, &st);

		if (err == -EINTR)
			continue;
		if (err < 0) {
			cli_err("watch: %s", strerror(-err));
			rc = 2;
			break;
		}
		if (r && emit_report(&j, &m, r, "exec", mw_audit_watch_source(w)) < 0)
			rc = 2;
		mw_audit_report_free(r);
		audit_metrics_watch(&m, &st);
		if (!rc && cfg->interval && time(NULL) >= next_scan) {
			rc = full_scan(cfg, &j, &m);
			next_scan = time(NULL) + (time_t)cfg->interval;
		}
		audit_metrics_tick(&m);
	}
	mw_audit_watch_free(w);
	audit_metrics_stop(&m);
	if (j.fd >= 0)
		close(j.fd);
	return rc;
}
