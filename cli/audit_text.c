/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit's text formats: the table and Prometheus textfile metrics
 * (--json and --jsonl are in audit_json.c). Names are escaped as they are
 * written (the rules in cmd_audit.c's header), without a copy each: a scan
 * can make 100,000 findings.
 */
#include "cli.h"
#include "audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <memward/memward.h>

enum put_mode { PUT_TABLE, PUT_PROM };

/*
 * Write esc(raw) to f without making it: for the table, with control
 * characters escaped (esc(raw, true)); for a Prometheus label value,
 * esc(raw, false) with \ " and newline escaped again. Returns the bytes
 * written (for the table's padding). Runs of plain bytes go out in one
 * write: a scan can make 100,000 findings.
 */
static size_t put_esc(FILE *f, const char *raw, enum put_mode m)
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
		fwrite_unlocked(run, 1, (size_t)(s - run), f);
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
		fwrite_unlocked(e, 1, n, f);
		total += n;
		run = ++s;
	}
	fwrite_unlocked(run, 1, (size_t)(s - run), f);
	return total + (size_t)(s - run);
}

/* v in decimal, into buf (at least 24 bytes); returns the digits. */
static const char *fmt_ull(char *buf, size_t size, unsigned long long u)
{
	char *p = buf + size - 1;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) && p > buf);
	return p;
}

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

/* A Prometheus label value: esc() then \ " and newline escaped. */
void audit_prom_label(FILE *f, const char *key, const char *raw, bool comma)
{
	if (comma)
		putc_unlocked(',', f);
	fputs_unlocked(key, f);
	fputs_unlocked("=\"", f);
	put_esc(f, raw, PUT_PROM);
	putc_unlocked('"', f);
}

/* --prometheus's series of findings from..to (severity low or above). */
static void prom_rows(FILE *f, const struct mw_audit_report *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct mw_audit_finding *x = r->findings[i];
		char num[32];

		if (x->severity < MW_AUDIT_LOW)
			continue;
		fputs_unlocked("memward_audit_finding{", f);
		audit_prom_label(f, "severity", mw_audit_severity_name(x->severity), false);
		audit_prom_label(f, "kind", mw_audit_kind_key(x->kind), true);
		/* numbers without printf: 20,000 findings make 80,000 */
		audit_prom_label(f, "pid", fmt_ll(num, sizeof(num), x->pid), true);
		audit_prom_label(f, "uid", fmt_ll(num, sizeof(num), x->uid == (uid_t)-1 ? -1LL : (long long)x->uid),
				 true);
		audit_prom_label(f, "comm", x->comm, true);
		audit_prom_label(f, "exe", x->exe, true);
		audit_prom_label(f, "container", x->container, true);
		audit_prom_label(f, "pod", x->pod, true);
		audit_prom_label(f, "object", x->object, true);
		audit_prom_label(f, "fd", fmt_ll(num, sizeof(num), x->fd), true);
		/* two memfds of one name mapped by one process differ only here */
		audit_prom_label(f, "inode", fmt_ull(num, sizeof(num), x->ino), true);
		fputs_unlocked("} 1\n", f);
	}
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
static void put_pad(FILE *f, const char *s, size_t width, bool right)
{
	size_t n = strlen(s);

	for (size_t i = n; right && i < width; i++)
		putc_unlocked(' ', f);
	fwrite_unlocked(s, 1, n, f);
	for (size_t i = n; !right && i < width; i++)
		putc_unlocked(' ', f);
	putc_unlocked(' ', f);
}

/* The table's rows from..to: a finding in three lines. */
static void table_rows(FILE *out, const struct mw_audit_report *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const struct mw_audit_finding *f = r->findings[i];
		char uid[24];
		size_t w;

		/* as "%-8s %-21s %7d %6s " did, without printf (a scan can make
		 * 100,000 findings) */
		put_pad(out, mw_audit_severity_name(f->severity), 8, false);
		put_pad(out, mw_audit_kind_key(f->kind), 21, false);
		put_pad(out, fmt_ll(uid, sizeof(uid), f->pid), 7, true);
		put_pad(out, fmt_ll(uid, sizeof(uid), f->uid == (uid_t)-1 ? -1LL : (long long)f->uid), 6, true);
		/* the comm, escaped, padded to 15 bytes (as %-15s did) */
		for (w = put_esc(out, f->comm, PUT_TABLE); w < 15; w++)
			putc_unlocked(' ', out);
		putc_unlocked(' ', out);
		put_esc(out, f->object, PUT_TABLE);
		if (f->fd >= 0) { /* " (fd %d)", without printf */
			fputs_unlocked(" (fd ", out);
			fputs_unlocked(fmt_ll(uid, sizeof(uid), f->fd), out);
			putc_unlocked(')', out);
		}
		fputs_unlocked("\n         ", out);
		put_esc(out, f->reason, PUT_TABLE);
		fputs_unlocked("\n         exe: ", out);
		put_esc(out, f->exe, PUT_TABLE);
		putc_unlocked('\n', out);
	}
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
