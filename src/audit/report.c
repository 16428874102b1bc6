/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit report: findings, names of severities and kinds, freeing. */
#include "audit/internal.h"
#include "core/seals.h"
#include "sys/big.h"
#include "sys/shim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const severity_names[] = {
	[MW_AUDIT_INFO] = "info",
	[MW_AUDIT_LOW] = "low",
	[MW_AUDIT_MEDIUM] = "medium",
	[MW_AUDIT_HIGH] = "high",
	[MW_AUDIT_CRITICAL] = "critical",
};

static const char *const kind_keys[] = {
	[MW_AUDIT_FILELESS_EXEC] = "fileless_exec",
	[MW_AUDIT_SEALED_EXEC] = "sealed_exec",
	[MW_AUDIT_EXEC_MEMFD] = "exec_memfd",
	[MW_AUDIT_MEMFD_MAPPED_EXEC] = "memfd_mapped_exec",
	[MW_AUDIT_UNLINKED_MAPPED_EXEC] = "unlinked_mapped_exec",
	[MW_AUDIT_SHARED_UNSEALED] = "shared_unsealed_memfd",
	[MW_AUDIT_SECRETMEM] = "secretmem_user",
	[MW_AUDIT_NOEXEC_POLICY] = "memfd_noexec_policy",
	[MW_AUDIT_UNSTABLE_PROCESS] = "unstable_process",
};

MW_API const char *mw_audit_severity_name(enum mw_audit_severity severity)
{
	if ((unsigned int)severity >= sizeof(severity_names) / sizeof(severity_names[0]))
		return NULL;
	return severity_names[severity];
}

MW_API int mw_audit_severity_parse(const char *name, enum mw_audit_severity *out)
{
	if (!name || !out)
		return -EINVAL;
	for (unsigned int i = 0; i < sizeof(severity_names) / sizeof(severity_names[0]); i++) {
		if (!strcasecmp(name, severity_names[i])) {
			*out = (enum mw_audit_severity)i;
			return 0;
		}
	}
	return -EINVAL;
}

MW_API const char *mw_audit_kind_key(enum mw_audit_kind kind)
{
	if ((unsigned int)kind >= MW_AUDIT_KIND_COUNT_)
		return NULL;
	return kind_keys[kind];
}

const char *mw__audit_seal_names(int seals, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	if (seals < 0) {
		snprintf(buf, size, "unknown");
		return buf;
	}
	return mw__seals_string((unsigned int)seals, buf, size);
}

void mw__audit_ident_free(struct mw__audit_ident *id)
{
	if (!id)
		return;
	free(id->comm);
	free(id->exe);
	free(id->cmdline);
	free(id->cgroup);
	free(id->container);
	free(id->pod);
	free(id);
}

int mw__audit_keep_ident(struct mw__audit_report *r, struct mw__audit_ident *id)
{
	if (r->nidents == r->capidents) {
		size_t cap = r->capidents ? r->capidents * 2 : 64;
		struct mw__audit_ident **n = realloc(r->idents, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		r->idents = n;
		r->capidents = cap;
	}
	r->idents[r->nidents++] = id;
	return 0;
}

/* size bytes (rounded to 8) from the report's chunks, or NULL. */
static void *chunk_alloc(struct mw__audit_report *r, size_t size)
{
	struct mw__audit_chunk *c = r->chunks;
	void *p;

	size = (size + 7) & ~(size_t)7;
	if (!c || c->cap - c->used < size) {
		/* 256 KiB for the first two (mmap'd by malloc, touched as
		 * filled), then 2 MiB (src/sys/big.h: huge pages where
		 * allowed); more for a huge reason */
		size_t want = (r->nchunks < 2 ? (size_t)256 << 10 : MW__BIG_ALIGN) - sizeof(*c);
		size_t bytes = 0;
		void *m = NULL;

		if (size > want)
			want = size;
		if (mw__big_grow(&m, &bytes, sizeof(*c) + want) < 0)
			return NULL;
		c = m;
		c->next = r->chunks;
		c->used = 0;
		c->cap = bytes - sizeof(*c);
		r->chunks = c;
		r->nchunks++;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

struct mw_audit_finding *mw__audit_add_text(struct mw__audit_report *r, const struct mw__audit_ident *id,
					    enum mw_audit_kind kind, enum mw_audit_severity sev,
					    const char *object, const char *reason, size_t len)
{
	struct mw_audit_finding *f;
	size_t olen;
	char *p;

	if (r->pub.nfindings == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct mw_audit_finding **a = realloc(r->arr, cap * sizeof(*a));

		if (!a)
			return NULL;
		r->arr = a;
		r->cap = cap;
	}
	if (!object)
		object = "";
	olen = strlen(object);
	/* Findings of one rule in a row often give the same reason (every
	 * memfd of a program): one copy for all of them. */
	if (r->last_reason && r->last_reason_len == len && !memcmp(r->last_reason, reason, len)) {
		f = chunk_alloc(r, sizeof(*f) + olen + 1);
		if (!f)
			return NULL;
		memset(f, 0, sizeof(*f));
		p = (char *)(f + 1);
		f->reason = r->last_reason;
	} else {
		f = chunk_alloc(r, sizeof(*f) + olen + 1 + len + 1);
		if (!f)
			return NULL;
		memset(f, 0, sizeof(*f));
		p = (char *)(f + 1);
		memcpy(p + olen + 1, reason, len);
		p[olen + 1 + len] = '\0';
		f->reason = p + olen + 1;
		r->last_reason = f->reason;
		r->last_reason_len = len;
	}
	memcpy(p, object, olen + 1);
	f->object = p;
	f->kind = kind;
	f->severity = sev;
	f->pid = id->pid;
	f->tid = id->tid;
	f->uid = id->uid;
	f->comm = id->comm ? id->comm : "";
	f->exe = id->exe ? id->exe : "";
	f->cmdline = id->cmdline ? id->cmdline : "";
	f->cgroup = id->cgroup ? id->cgroup : "";
	f->container = id->container ? id->container : "";
	f->pod = id->pod ? id->pod : "";
	f->pidns = id->pidns;
	f->fd = -1;
	f->seals = -1;
	f->memfd_noexec = -1;
	r->arr[r->pub.nfindings++] = f;
	return f;
}

struct mw_audit_finding *mw__audit_add(struct mw__audit_report *r, const struct mw__audit_ident *id,
				       enum mw_audit_kind kind, enum mw_audit_severity sev,
				       const char *object, const char *fmt, ...)
{
	struct mw_audit_finding *f;
	char buf[512], *big = NULL;
	const char *reason;
	va_list ap;
	int n;

	/* The reason goes through a stack buffer, vasprintf() only when it
	 * is long. */
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	reason = buf;
	if ((size_t)n >= sizeof(buf)) {
		va_start(ap, fmt);
		n = vasprintf(&big, fmt, ap);
		va_end(ap);
		if (n < 0)
			return NULL;
		reason = big;
	}
	f = mw__audit_add_text(r, id, kind, sev, object, reason, (size_t)n);
	free(big);
	return f;
}

void mw__audit_free_findings(struct mw__audit_report *r)
{
	for (struct mw__audit_chunk *c = r->chunks, *next; c; c = next) {
		next = c->next;
		mw__big_free(c, sizeof(*c) + c->cap);
	}
	r->chunks = NULL;
	r->nchunks = 0;
	r->last_reason = NULL;
	free(r->arr);
	r->arr = NULL;
	r->cap = r->pub.nfindings = 0;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct mw_audit_finding *x = *(const struct mw_audit_finding *const *)a;
	const struct mw_audit_finding *y = *(const struct mw_audit_finding *const *)b;

	if (x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* A finding's place in the report as one number: most severe first, then
 * pid (< 2^22, PID_MAX_LIMIT), kind, fd (-1 .. 2^30, the fs.nr_open limit). */
struct fkey {
	uint64_t key;
	struct mw_audit_finding *f;
};

/* Sort k[0..n) by key, stable: least significant byte first, a counting
 * pass per byte, skipping the bytes every key has alike (most of them:
 * severities, kinds and pids span a few values). t: n entries of room.
 * Returns k or t, whichever holds the sorted keys. */
static struct fkey *radix_sort(struct fkey *k, struct fkey *t, size_t n)
{
	uint64_t differ = 0;

	for (size_t i = 1; i < n; i++)
		differ |= k[i].key ^ k[0].key;
	for (unsigned int shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;
		struct fkey *swap;

		if (!((differ >> shift) & 0xff))
			continue;
		for (size_t i = 0; i < n; i++)
			count[(k[i].key >> shift) & 0xff]++;
		for (unsigned int b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			t[count[(k[i].key >> shift) & 0xff]++] = k[i];
		swap = k;
		k = t;
		t = swap;
	}
	return k;
}

static bool sort_by_key(struct mw__audit_report *r)
{
	size_t n = r->pub.nfindings;
	size_t bytes = 0;
	struct fkey *k = NULL, *s;

	if (n > SIZE_MAX / (2 * sizeof(*k)) || mw__big_grow((void **)&k, &bytes, 2 * n * sizeof(*k)) < 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct mw_audit_finding *f = r->arr[i];

		if ((uint32_t)f->pid >= (1u << 22) || (unsigned int)f->kind >= 16 ||
		    (unsigned int)f->severity > MW_AUDIT_CRITICAL || f->fd < -1 || f->fd >= (1 << 30)) {
			mw__big_free(k, bytes);
			return false; /* out of the key's ranges: the comparison sort */
		}
		k[i].key = (uint64_t)(MW_AUDIT_CRITICAL - f->severity) << 57 |
			   (uint64_t)(uint32_t)f->pid << 35 | (uint64_t)f->kind << 31 |
			   (uint64_t)(f->fd + 1);
		k[i].f = r->arr[i];
	}
	s = radix_sort(k, k + n, n);
	for (size_t i = 0; i < n; i++)
		r->arr[i] = s[i].f;
	mw__big_free(k, bytes);
	return true;
}

void mw__audit_finish(struct mw__audit_report *r)
{
	/* Sorting the pointers with cmp_finding() spends its time in cache
	 * misses; the packed keys give the same order. */
	if (r->pub.nfindings && !sort_by_key(r))
		qsort(r->arr, r->pub.nfindings, sizeof(r->arr[0]), cmp_finding);
	r->pub.findings = (const struct mw_audit_finding *const *)r->arr;
	r->pub.partial = r->pub.procs_unreadable > 0 || r->pub.procs_unstable > 0;
}

MW_API size_t mw_audit_report_count(const struct mw_audit_report *report,
				    enum mw_audit_severity min)
{
	size_t n = 0;

	if (!report)
		return 0;
	for (size_t i = 0; i < report->nfindings; i++)
		if (report->findings[i]->severity >= min)
			n++;
	return n;
}

MW_API void mw_audit_report_free(struct mw_audit_report *report)
{
	struct mw__audit_report *r = (struct mw__audit_report *)report;

	if (!r)
		return;
	mw__audit_free_findings(r);
	for (size_t i = 0; i < r->nidents; i++)
		mw__audit_ident_free(r->idents[i]);
	free(r->idents);
	free((void *)r->pub.missing);
	for (size_t i = 0; i < r->pub.nargs_unread; i++)
		free((void *)r->pub.args_unread[i].exe);
	free((void *)r->pub.args_unread);
	free(r);
}

int mw__audit_append(struct mw__audit_report *dst, struct mw__audit_report *src)
{
	size_t need = dst->pub.nfindings + src->pub.nfindings;

	if (!src->pub.nfindings)
		return 0;
	if (need > dst->cap) {
		struct mw_audit_finding **a = realloc(dst->arr, need * sizeof(*a));

		if (!a)
			return -ENOMEM;
		dst->arr = a;
		dst->cap = need;
	}
	memcpy(dst->arr + dst->pub.nfindings, src->arr, src->pub.nfindings * sizeof(*dst->arr));
	dst->pub.nfindings = need;
	src->pub.nfindings = 0;
	/* their memory with them, behind dst's current chunk (which goes on
	 * filling) */
	if (src->chunks) {
		struct mw__audit_chunk *last = src->chunks;

		while (last->next)
			last = last->next;
		if (dst->chunks) {
			last->next = dst->chunks->next;
			dst->chunks->next = src->chunks;
		} else {
			last->next = NULL;
			dst->chunks = src->chunks;
		}
		src->chunks = NULL;
		src->last_reason = NULL;
		dst->nchunks += src->nchunks;
		src->nchunks = 0;
	}
	return 0;
}

int mw__audit_add_missing(struct mw_audit_report *report, const pid_t *pids, size_t n)
{
	pid_t *v = realloc((void *)report->missing, (report->nmissing + n) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	memcpy(v + report->nmissing, pids, n * sizeof(*v));
	report->missing = v;
	report->nmissing += n;
	return 0;
}

int mw__audit_add_args_unread(struct mw_audit_report *report, pid_t pid, const char *exe)
{
	char *copy = strdup(exe ? exe : "");
	struct mw_audit_unread *v;

	if (!copy)
		return -ENOMEM;
	v = realloc((void *)report->args_unread, (report->nargs_unread + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		return -ENOMEM;
	}
	v[report->nargs_unread++] = (struct mw_audit_unread){ .pid = pid, .exe = copy };
	report->args_unread = v;
	return 0;
}
