/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit's text formats: the table and Prometheus textfile metrics
 * (--json and --jsonl are in audit_json.c). Names are escaped as they are
 * written (the rules in cmd_audit.c's header), without a copy each: a scan
 * can make 100,000 findings.
 */
#include "cli.h"
#include "audit.h"
#include "obuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memward/memward.h>

enum put_mode { PUT_TABLE, PUT_PROM };

/*
 * Write esc(raw) to o without making it: for the table, with control
 * characters escaped (esc(raw, true)); for a Prometheus label value,
 * esc(raw, false) with \ " and newline escaped again. Returns the bytes
 * written (for the table's padding). Runs of plain bytes go out in one
 * write: a scan can make 100,000 findings.
 */
static size_t put_esc(struct obuf *o, const char *raw, enum put_mode m)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)(raw ? raw : "");
	const unsigned char *run = s;
	size_t total = 0;

	while (*s) {
		size_t l, n = 0;
		char e[8];

		if (*s >= 0x20 && *s < 0x7f && *s != '\\' && (*s != '"' || m == PUT_TABLE)) {
			s++; /* plain ASCII, the common case: no call */
			continue;
		}
		l = audit_utf8_len(s);
		if (l > 1 || (l == 1 && *s >= 0x20 && *s != 0x7f && *s != '\\' && *s != '"') ||
		    (l == 1 && *s == 0x7f && m == PUT_PROM) || (l == 1 && *s == '"' && m == PUT_TABLE)) {
			s += l;
			continue;
		}
		ob_put(o, (const char *)run, (size_t)(s - run));
		total += (size_t)(s - run);
		if (*s == '\\') {
			memcpy(e, "\\\\\\\\", m == PUT_PROM ? 4 : 2);
			n = m == PUT_PROM ? 4 : 2;
		} else if (*s == '"') {
			memcpy(e, "\\\"", 2); /* PUT_PROM */
			n = 2;
		} else if (l == 0 || m == PUT_TABLE) {
			/* not UTF-8 (both), or a control character (table) */
			n = 0;
			if (m == PUT_PROM)
				e[n++] = '\\';
			e[n++] = '\\';
			if (l && *s == '\n') {
				e[n++] = 'n';
			} else if (l && *s == '\t') {
				e[n++] = 't';
			} else {
				e[n++] = 'x';
				e[n++] = hex[*s >> 4];
				e[n++] = hex[*s & 15];
			}
		} else if (*s == '\n') {
			memcpy(e, "\\n", 2); /* PUT_PROM */
			n = 2;
		} else {
			e[n++] = (char)*s; /* other control characters: raw in a label */
		}
		ob_put(o, e, n);
		total += n;
		run = ++s;
	}
	ob_put(o, (const char *)run, (size_t)(s - run));
	return total + (size_t)(s - run);
}

static size_t esc_table(struct obuf *o, const char *raw)
{
	return put_esc(o, raw, PUT_TABLE);
}

static size_t esc_prom(struct obuf *o, const char *raw)
{
	return put_esc(o, raw, PUT_PROM);
}

/* v in decimal, into buf (at least 24 bytes); returns the digits. */
static const char *fmt_ll(char *buf, size_t size, long long v)
{
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	char *p = buf + size - 1;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) && p > buf + 1);
	if (v < 0)
		*--p = '-';
	return p;
}

/* A Prometheus label ,key="value" into o, the value escaped (memo: kept
 * in m while the rows give the same string; NULL: escaped each time). */
static void prom_label(struct obuf *o, const char *key, size_t keylen, const char *raw, struct omemo *m)
{
	ob_put(o, key, keylen);
	OB_LIT(o, "=\"");
	if (m)
		ob_memo(o, m, raw, esc_prom);
	else
		put_esc(o, raw, PUT_PROM);
	ob_putc(o, '"');
}

#define PROM_LABEL(o, lit, raw, m) prom_label((o), (lit), sizeof(lit) - 1, (raw), (m))

/* A Prometheus label value: esc() then \ " and newline escaped. */
void audit_prom_label(FILE *f, const char *key, const char *raw, bool comma)
{
	char buf[512];
	struct obuf o = OBUF_INIT(f, buf, sizeof(buf));

	if (comma)
		ob_putc(&o, ',');
	prom_label(&o, key, strlen(key), raw, NULL);
	ob_flush(&o);
}

enum { PM_COMM, PM_EXE, PM_CONTAINER, PM_POD, PM_N };

/* --prometheus's series of findings from..to (severity low or above). */
static void prom_rows(FILE *f, const struct mw_audit_report *r, size_t from, size_t to)
{
	struct omemo memo[PM_N] = { { 0 } };
	struct obuf o;
	char *store = malloc(1 << 16);

	if (!store) {
		cli_err("out of memory");
		exit(2);
	}
	o = (struct obuf)OBUF_INIT(f, store, 1 << 16);
	for (size_t i = from; i < to; i++) {
		const struct mw_audit_finding *x = r->findings[i];

		if (x->severity < MW_AUDIT_LOW)
			continue;
		OB_LIT(&o, "memward_audit_finding{severity=\"");
		ob_puts(&o, mw_audit_severity_name(x->severity));
		OB_LIT(&o, "\",kind=\"");
		ob_puts(&o, mw_audit_kind_key(x->kind));
		/* numbers without printf: 20,000 findings make 80,000 */
		OB_LIT(&o, "\",pid=\"");
		ob_int(&o, x->pid);
		OB_LIT(&o, "\",uid=\"");
		ob_int(&o, x->uid == (uid_t)-1 ? -1LL : (long long)x->uid);
		ob_putc(&o, '"');
		PROM_LABEL(&o, ",comm", x->comm, &memo[PM_COMM]);
		PROM_LABEL(&o, ",exe", x->exe, &memo[PM_EXE]);
		PROM_LABEL(&o, ",container", x->container, &memo[PM_CONTAINER]);
		PROM_LABEL(&o, ",pod", x->pod, &memo[PM_POD]);
		PROM_LABEL(&o, ",object", x->object, NULL);
		OB_LIT(&o, ",fd=\"");
		ob_int(&o, x->fd);
		/* two memfds of one name mapped by one process differ only here */
		OB_LIT(&o, "\",inode=\"");
		ob_uint(&o, (unsigned long long)x->ino);
		OB_LIT(&o, "\"} 1\n");
	}
	ob_flush(&o);
	for (int i = 0; i < PM_N; i++)
		ob_memo_free(&memo[i]);
	free(store);
}

void audit_out_prom(FILE *f, const struct mw_audit_report *r)
{
	/* counted in one pass (one per severity and kind read every finding
	 * 40 times: 5 of the 10 ms this writer took on 20,000 findings) */
	size_t counts[MW_AUDIT_CRITICAL + 1][MW_AUDIT_KIND_COUNT_] = { { 0 } };

	for (size_t i = 0; i < r->nfindings; i++) {
		unsigned int s = (unsigned int)r->findings[i]->severity, k = (unsigned int)r->findings[i]->kind;

		if (s <= MW_AUDIT_CRITICAL && k < MW_AUDIT_KIND_COUNT_)
			counts[s][k]++;
	}
	fputs("# HELP memward_audit_findings Findings of the last memward audit by severity and kind.\n"
	      "# TYPE memward_audit_findings gauge\n", f);
	for (int s = MW_AUDIT_INFO; s <= MW_AUDIT_CRITICAL; s++)
		for (int k = 0; k < MW_AUDIT_KIND_COUNT_; k++)
			fprintf(f, "memward_audit_findings{severity=\"%s\",kind=\"%s\"} %zu\n",
				mw_audit_severity_name((enum mw_audit_severity)s),
				mw_audit_kind_key((enum mw_audit_kind)k), counts[s][k]);
	fputs("# HELP memward_audit_finding One series per finding of severity low or above (value 1).\n"
	      "# TYPE memward_audit_finding gauge\n", f);
	audit_out_rows(f, r, prom_rows);
	fputs("# HELP memward_audit_memfd_noexec Effective vm.memfd_noexec per pid namespace (-1 unknown).\n"
	      "# TYPE memward_audit_memfd_noexec gauge\n", f);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct mw_audit_finding *x = r->findings[i];

		if (x->kind == MW_AUDIT_NOEXEC_POLICY)
			fprintf(f, "memward_audit_memfd_noexec{pidns=\"%" PRIu64 "\"} %d\n", x->pidns,
				x->memfd_noexec);
	}
	fputs("# HELP memward_audit_secretmem_bytes Bytes of memfd_secret memory held per process.\n"
	      "# TYPE memward_audit_secretmem_bytes gauge\n", f);
	for (size_t i = 0; i < r->nfindings; i++) {
		const struct mw_audit_finding *x = r->findings[i];
		char num[32];

		if (x->kind != MW_AUDIT_SECRETMEM)
			continue;
		fputs("memward_audit_secretmem_bytes{", f);
		snprintf(num, sizeof(num), "%d", x->pid);
		audit_prom_label(f, "pid", num, false);
		audit_prom_label(f, "comm", x->comm, true);
		fprintf(f, "} %" PRIu64 "\n", x->size);
	}
	fprintf(f, "# HELP memward_audit_processes Processes by scan outcome.\n"
		"# TYPE memward_audit_processes gauge\n"
		"memward_audit_processes{state=\"scanned\"} %u\n"
		"memward_audit_processes{state=\"unreadable\"} %u\n"
		"memward_audit_processes{state=\"vanished\"} %u\n"
		"memward_audit_processes{state=\"kernel\"} %u\n"
		"# HELP memward_audit_scan_duration_seconds Wall-clock time of the scan.\n"
		"# TYPE memward_audit_scan_duration_seconds gauge\n"
		"memward_audit_scan_duration_seconds %.6f\n"
		"# HELP memward_audit_partial 1 when some processes could not be read.\n"
		"# TYPE memward_audit_partial gauge\n"
		"memward_audit_partial %d\n",
		r->procs_scanned, r->procs_unreadable, r->procs_vanished, r->procs_kernel,
		r->duration_s, r->partial ? 1 : 0);
}

/* s padded with spaces to width (right-aligned when right), then a space. */
static void put_pad(struct obuf *o, const char *s, size_t width, bool right)
{
	static const char sp[] = "                        ";
	size_t n = strlen(s), pad = n < width ? width - n : 0;

	if (pad > sizeof(sp) - 1)
		pad = sizeof(sp) - 1; /* widths are at most 21 */
	if (right)
		ob_put(o, sp, pad);
	ob_put(o, s, n);
	if (!right)
		ob_put(o, sp, pad);
	ob_putc(o, ' ');
}

enum { TM_COMM, TM_REASON, TM_EXE, TM_N };

/* The table's rows from..to: a finding in three lines. */
static void table_rows(FILE *out, const struct mw_audit_report *r, size_t from, size_t to)
{
	struct omemo memo[TM_N] = { { 0 } };
	char *store = malloc(1 << 16);
	struct obuf o;

	if (!store) {
		cli_err("out of memory");
		exit(2);
	}
	o = (struct obuf)OBUF_INIT(out, store, 1 << 16);
	for (size_t i = from; i < to; i++) {
		const struct mw_audit_finding *f = r->findings[i];
		char num[24];
		size_t w;

		/* as "%-8s %-21s %7d %6s " did, without printf (a scan can make
		 * 100,000 findings) */
		put_pad(&o, mw_audit_severity_name(f->severity), 8, false);
		put_pad(&o, mw_audit_kind_key(f->kind), 21, false);
		put_pad(&o, fmt_ll(num, sizeof(num), f->pid), 7, true);
		put_pad(&o, fmt_ll(num, sizeof(num), f->uid == (uid_t)-1 ? -1LL : (long long)f->uid), 6, true);
		/* the comm, escaped, padded to 15 bytes (as %-15s did) */
		w = ob_memo(&o, &memo[TM_COMM], f->comm, esc_table);
		ob_put(&o, "                ", w < 15 ? 16 - w : 1);
		put_esc(&o, f->object, PUT_TABLE);
		if (f->fd >= 0) { /* " (fd %d)", without printf */
			OB_LIT(&o, " (fd ");
			ob_int(&o, f->fd);
			ob_putc(&o, ')');
		}
		OB_LIT(&o, "\n         ");
		ob_memo(&o, &memo[TM_REASON], f->reason, esc_table);
		OB_LIT(&o, "\n         exe: ");
		ob_memo(&o, &memo[TM_EXE], f->exe, esc_table);
		ob_putc(&o, '\n');
	}
	ob_flush(&o);
	for (int i = 0; i < TM_N; i++)
		ob_memo_free(&memo[i]);
	free(store);
}

void audit_out_table(FILE *out, const struct mw_audit_report *r)
{
	size_t counts[MW_AUDIT_CRITICAL + 1] = { 0 };

	for (size_t i = 0; i < r->nfindings; i++)
		counts[r->findings[i]->severity]++;
	if (r->nfindings)
		fprintf(out, "%-8s %-21s %7s %6s %-15s %s\n", "SEVERITY", "KIND", "PID", "UID", "COMM", "OBJECT");
	audit_out_rows(out, r, table_rows);
	fprintf(out, "%s%zu finding(s): %zu critical, %zu high, %zu medium, %zu low, %zu info; "
	       "%u process(es) scanned in %.3f s\n",
	       r->nfindings ? "\n" : "", r->nfindings, counts[MW_AUDIT_CRITICAL], counts[MW_AUDIT_HIGH],
	       counts[MW_AUDIT_MEDIUM], counts[MW_AUDIT_LOW], counts[MW_AUDIT_INFO], r->procs_scanned,
	       r->duration_s);
	if (r->procs_unreadable)
		fprintf(out, "PARTIAL: %u process(es) could not be read (permission denied); run as root "
		       "for a complete audit\n", r->procs_unreadable);
	if (r->procs_unstable)
		fprintf(out, "PARTIAL: %u process(es) changed during every read: judged by their "
		       "executable alone (unstable_process)\n", r->procs_unstable);
}
