/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prometheus metrics of memward audit --watch (audit_metrics.c). */
#ifndef MW_CLI_AUDIT_METRICS_H
#define MW_CLI_AUDIT_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <memward/audit.h>

struct audit_counter {
	enum mw_audit_kind kind;
	enum mw_audit_severity sev;
	char *container, *pod;
	uint64_t n;
};

struct audit_metrics {
	pthread_mutex_t lock;
	bool lock_ready;
	struct audit_counter *c;            /* findings reported, by kind/severity/container */
	size_t nc, capc;
	size_t last[MW_AUDIT_CRITICAL + 1][MW_AUDIT_KIND_COUNT_]; /* the last full scan */
	unsigned int procs_scanned, procs_unreadable;
	double scan_duration, scan_time;
	struct mw_audit_watch_stats st;
	const char *textfile_dir;
	bool dirty;
	time_t written;
	void *httpd;                        /* struct MHD_Daemon * */
};

/* Start: --textfile DIR (checked writable) and --listen ADDR:PORT. 0 or -1
 * after a message. */
int audit_metrics_start(struct audit_metrics *m, const char *textfile_dir, const char *listen);
void audit_metrics_count(struct audit_metrics *m, const struct mw_audit_finding *f);
void audit_metrics_scan(struct audit_metrics *m, const struct mw_audit_report *r);
void audit_metrics_watch(struct audit_metrics *m, const struct mw_audit_watch_stats *st);
/* Write the textfile when something changed (at most once a second). */
void audit_metrics_tick(struct audit_metrics *m);
void audit_metrics_stop(struct audit_metrics *m);
/* The exposition text (malloc'd; NULL on ENOMEM). */
char *audit_metrics_render(struct audit_metrics *m);

#endif
