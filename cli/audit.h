/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memward audit: what cmd_audit.c shares with the watch mode (audit_watch.c). */
#ifndef MW_CLI_AUDIT_H
#define MW_CLI_AUDIT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <memward/audit.h>

/* One finding as a JSON object (names escaped). */
json_object *audit_finding_json(const struct mw_audit_finding *f);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
size_t audit_utf8_len(const unsigned char *s);
/* --json and --jsonl, streamed (audit_json.c): the findings of r, each
 * written as json-c would write it, with summary (json-c) as the document
 * (--json: its members first) or the last line (--jsonl). */
void audit_out_json(FILE *f, const struct mw_audit_report *r, json_object *summary);
void audit_out_jsonl(FILE *f, const struct mw_audit_report *r, json_object *summary);
/* Write the rows from..to (indexes into r->findings) of one format to f,
 * as one pass over all rows would write them there. */
typedef void (*audit_rows_fn)(FILE *f, const struct mw_audit_report *r, size_t from, size_t to);
/* Write every row of r with fn, the later parts formatted on other threads
 * (one per CPU, at most four) and written after the first, in order
 * (audit_rows.c). */
void audit_out_rows(FILE *out, const struct mw_audit_report *r, audit_rows_fn fn);
/* The table and --prometheus (audit_text.c). */
void audit_out_table(FILE *f, const struct mw_audit_report *r);
void audit_out_prom(FILE *f, const struct mw_audit_report *r);
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
