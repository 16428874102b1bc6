/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit --json and --jsonl, streamed: each finding is written as it
 * is reached, never gathered into one json-c tree (a scan of 20,000 memfds
 * made a 100 MiB document in memory before the first byte went out). The
 * bytes are those json-c writes for the same objects (its pretty printer:
 * two spaces per level, "key": value; compact: no spaces; its string
 * escaping with JSON_C_TO_STRING_NOSLASHESCAPE); tests/live/audit/json_format.c
 * holds the output to that by re-serialising it with json-c. The summary
 * (a few numbers) is still made with json-c.
 */
#include "cli.h"
#include "audit.h"
#include "obuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <memward/memward.h>

#define JFLAGS (JSON_C_TO_STRING_NOSLASHESCAPE)

/* The fields the findings of one process share (comm, exe, cmdline,
 * cgroup: the same pointers) and findings of one rule in a row share (the
 * reason) are escaped once per run of them (obuf.h), not once per finding. */
enum { MEMO_REASON, MEMO_COMM, MEMO_EXE, MEMO_CMDLINE, MEMO_CGROUP, MEMO_N };

struct jw {
	struct obuf ob;
	bool pretty;
	int level;      /* of the object being written */
	bool first;     /* no member written yet */
	struct omemo memo[MEMO_N];
	char buf[1 << 16];
};

static void flush(struct jw *w)
{
	ob_flush(&w->ob);
}

static void put(struct jw *w, const char *s, size_t n)
{
	ob_put(&w->ob, s, n);
}

static void putch(struct jw *w, char c)
{
	ob_putc(&w->ob, c);
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

static void indent(struct jw *w, int level)
{
	static const char sp[] = "                                ";

	put(w, sp, (size_t)(level * 2) < sizeof(sp) - 1 ? (size_t)level * 2 : sizeof(sp) - 1);
}

/*
 * A raw kernel string as a JSON string: first the escaping every format
 * shares (backslash doubled, a byte that is not UTF-8 as \xNN: audit_esc()),
 * then json-c's (\" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx).
 */
static size_t str_ob(struct obuf *o, const char *raw)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)(raw ? raw : "");
	const unsigned char *run = s;
	char e[8];

	ob_putc(o, '"');
	while (*s) {
		size_t l, n = 0;

		if (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\') {
			s++; /* plain ASCII */
			continue;
		}
		l = audit_utf8_len(s);
		if (l > 1 || (l == 1 && *s >= 0x20 && *s != '"' && *s != '\\')) {
			s += l;
			continue;
		}
		ob_put(o, (const char *)run, (size_t)(s - run));
		if (*s == '\\') {
			memcpy(e, "\\\\\\\\", 4);
			n = 4;
		} else if (l == 0) {
			memcpy(e, "\\\\x", 3);
			e[3] = hex[*s >> 4];
			e[4] = hex[*s & 15];
			n = 5;
		} else if (*s == '"') {
			memcpy(e, "\\\"", 2);
			n = 2;
		} else {
			static const char *const named[32] = { ['\b'] = "\\b", ['\t'] = "\\t", ['\n'] = "\\n",
							       ['\f'] = "\\f", ['\r'] = "\\r" };

			if (named[*s]) {
				memcpy(e, named[*s], 2);
				n = 2;
			} else {
				memcpy(e, "\\u00", 4);
				e[4] = hex[*s >> 4];
				e[5] = hex[*s & 15];
				n = 6;
			}
		}
		ob_put(o, e, n);
		run = ++s;
	}
	ob_put(o, (const char *)run, (size_t)(s - run));
	ob_putc(o, '"');
	return 0;
}

static void str(struct jw *w, const char *raw)
{
	str_ob(&w->ob, raw);
}

/* str() of a field kept in memo slot: escaped again only when the field
 * is another string than the previous finding's. */
static void str_memo(struct jw *w, int slot, const char *raw)
{
	ob_memo(&w->ob, &w->memo[slot], raw, str_ob);
}

/* The separator and "key": before a member. */
static void key(struct jw *w, const char *k)
{
	if (!w->first)
		putch(w, ',');
	w->first = false;
	if (w->pretty) {
		putch(w, '\n');
		indent(w, w->level + 1);
	}
	putch(w, '"');
	put(w, k, strlen(k));
	if (w->pretty)
		PUTS(w, "\": ");
	else
		PUTS(w, "\":");
}

static void k_str(struct jw *w, const char *k, const char *raw)
{
	key(w, k);
	str(w, raw);
}

static void k_plain(struct jw *w, const char *k, const char *v)
{
	key(w, k);
	put(w, v, strlen(v));
}

static void k_memo(struct jw *w, const char *k, int slot, const char *raw)
{
	key(w, k);
	str_memo(w, slot, raw);
}

static void k_null(struct jw *w, const char *k)
{
	k_plain(w, k, "null");
}

/* "%" PRId64 without printf (eight numbers per finding). */
static void k_int(struct jw *w, const char *k, int64_t v)
{
	char b[24], *p = b + sizeof(b);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	key(w, k);
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		*--p = '-';
	put(w, p, (size_t)(b + sizeof(b) - p));
}

static void seals(struct jw *w, int v)
{
	bool any = false;

	key(w, "seals");
	if (v < 0) {
		PUTS(w, "null");
		return;
	}
	/* json-c: "[" and a newline even when empty, "," and a newline
	 * between elements */
	putch(w, '[');
	if (w->pretty)
		putch(w, '\n');
	for (unsigned int bit = 1; bit & MW_SEAL_ALL; bit <<= 1) {
		if (!((unsigned int)v & bit))
			continue;
		if (any && w->pretty)
			PUTS(w, ",\n");
		else if (any)
			putch(w, ',');
		if (w->pretty)
			indent(w, w->level + 2);
		str(w, mw_memfd_seal_name(bit));
		any = true;
	}
	if (w->pretty) {
		if (any)
			putch(w, '\n');
		indent(w, w->level + 1);
	}
	putch(w, ']');
}

/* The members of audit_finding_json(), in its order. */
static void members(struct jw *w, const struct mw_audit_finding *x)
{
	char buf[32];

	k_str(w, "kind", mw_audit_kind_key(x->kind));
	k_str(w, "severity", mw_audit_severity_name(x->severity));
	k_memo(w, "reason", MEMO_REASON, x->reason);
	k_int(w, "pid", x->pid);
	if (x->uid == (uid_t)-1)
		k_null(w, "uid");
	else
		k_int(w, "uid", x->uid);
	k_memo(w, "comm", MEMO_COMM, x->comm);
	k_memo(w, "exe", MEMO_EXE, x->exe);
	k_memo(w, "cmdline", MEMO_CMDLINE, x->cmdline);
	k_memo(w, "cgroup", MEMO_CGROUP, x->cgroup);
	if (x->container[0])
		k_str(w, "container", x->container);
	else
		k_null(w, "container");
	if (x->pod[0])
		k_str(w, "pod", x->pod);
	else
		k_null(w, "pod");
	if (x->tid > 0)
		k_int(w, "tid", x->tid);
	else
		k_null(w, "tid");
	k_str(w, "object", x->object);
	if (x->fd < 0)
		k_null(w, "fd");
	else
		k_int(w, "fd", x->fd);
	if (x->ino) { /* "%u:%u" without printf */
		char *p = buf + sizeof(buf);
		unsigned int v = minor(x->dev);

		*--p = '\0';
		do
			*--p = (char)('0' + v % 10);
		while ((v /= 10));
		*--p = ':';
		v = major(x->dev);
		do
			*--p = (char)('0' + v % 10);
		while ((v /= 10));
		k_str(w, "dev", p);
		k_int(w, "inode", (int64_t)x->ino);
	} else {
		k_null(w, "dev");
		k_null(w, "inode");
	}
	if (x->mode) { /* "%04o" without printf */
		char *p = buf + sizeof(buf);
		uint32_t v = x->mode;
		int d = 0;

		*--p = '\0';
		do {
			*--p = (char)('0' + (v & 7));
			d++;
		} while ((v >>= 3) || d < 4);
		k_str(w, "mode", p);
	} else {
		k_null(w, "mode");
	}
	seals(w, x->seals);
	k_int(w, "size", (int64_t)x->size);
	if (x->peer_pid)
		k_int(w, "peer_pid", x->peer_pid);
	else
		k_null(w, "peer_pid");
	if (x->pidns)
		k_int(w, "pidns", (int64_t)x->pidns);
	else
		k_null(w, "pidns");
	if (x->kind == MW_AUDIT_NOEXEC_POLICY) {
		if (x->memfd_noexec < 0)
			k_null(w, "memfd_noexec");
		else
			k_int(w, "memfd_noexec", x->memfd_noexec);
	}
}

static void finding(struct jw *w, const struct mw_audit_finding *x, bool typed)
{
	w->first = true;
	putch(w, '{');
	if (typed)
		k_str(w, "type", "finding");
	members(w, x);
	if (w->pretty) {
		putch(w, '\n');
		indent(w, w->level);
	}
	putch(w, '}');
}

static void jw_free(struct jw *w)
{
	for (int i = 0; i < MEMO_N; i++)
		ob_memo_free(&w->memo[i]);
	free(w);
}

static struct jw *jw_new(FILE *f, bool pretty)
{
	struct jw *w = calloc(1, sizeof(*w));

	if (!w) {
		cli_err("out of memory");
		exit(2);
	}
	w->ob = (struct obuf)OBUF_INIT(f, w->buf, sizeof(w->buf));
	w->pretty = pretty;
	w->level = pretty ? 2 : 0;
	return w;
}

/* --json's findings from..to: members of the array, each after ",\n" but
 * the first of all. */
static void json_rows(FILE *f, const struct mw_audit_report *r, size_t from, size_t to)
{
	struct jw *w = jw_new(f, true);

	for (size_t i = from; i < to; i++) {
		if (i)
			PUTS(w, ",\n");
		indent(w, 2);
		finding(w, r->findings[i], false);
	}
	flush(w);
	jw_free(w);
}

/* --jsonl's findings from..to: one line each. */
static void jsonl_rows(FILE *f, const struct mw_audit_report *r, size_t from, size_t to)
{
	struct jw *w = jw_new(f, false);

	for (size_t i = from; i < to; i++) {
		finding(w, r->findings[i], true);
		putch(w, '\n');
	}
	flush(w);
	jw_free(w);
}

void audit_out_json(FILE *f, const struct mw_audit_report *r, json_object *summary)
{
	const char *head = json_object_to_json_string_ext(summary, JFLAGS | JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED);
	size_t n = strlen(head);

	/* the summary object without its closing "\n}", then the findings
	 * as its last member */
	if (n >= 2 && head[n - 1] == '}' && head[n - 2] == '\n')
		n -= 2;
	fwrite_unlocked(head, 1, n, f);
	fputs_unlocked(",\n  \"findings\": [\n", f);
	audit_out_rows(f, r, json_rows);
	if (r->nfindings)
		putc_unlocked('\n', f);
	fputs_unlocked("  ]\n}\n", f);
}

void audit_out_jsonl(FILE *f, const struct mw_audit_report *r, json_object *summary)
{
	const char *sum = json_object_to_json_string_ext(summary, JFLAGS);

	audit_out_rows(f, r, jsonl_rows);
	fputs_unlocked(sum, f);
	putc_unlocked('\n', f);
}
