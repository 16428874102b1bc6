/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward audit: what cmd_audit.c shares with the watch mode (audit_watch.c). */
#ifndef MW_CLI_AUDIT_H
#define MW_CLI_AUDIT_H

#include <json-c/json.h>
#include <stdint.h>

#include <memward/audit.h>

/* One finding as a JSON object (names escaped). */
json_object *audit_finding_json(const struct mw_audit_finding *f);
/* A Prometheus label ,key="value" (raw value escaped). */
void audit_prom_label(FILE *f, const char *key, const char *raw, bool comma);

struct watch_cfg {
	struct mw_audit_opts o;         /* as for a scan (pids not used) */
	const char *journal;            /* JSON-lines journal, or NULL */
	uint64_t journal_max;           /* rotate past this many bytes */
	unsigned int journal_keep;      /* rotated files kept: FILE.1 .. FILE.N */
	unsigned int interval;          /* seconds between full scans; 0 none */
	const char *textfile_dir;       /* node_exporter textfile collector dir, or NULL */
	const char *listen;             /* ADDR:PORT for /metrics, or NULL */
};

/* Run the watch until SIGINT/SIGTERM. Returns the exit code. */
int audit_watch_run(const struct watch_cfg *cfg);

#endif
