/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The findings of a report written in every format by several threads: the
 * rows are cut into one part per CPU (at most four), the later parts are
 * formatted into memory on their own threads while this one writes the
 * first, then written after it in order. The bytes are those of one writer
 * going through all rows: each part starts as the writer would at that row
 * (the writers keep no state from row to row but caches). A part that could
 * not be made in memory is written here instead.
 */
#include "audit.h"
#include "src/sys/big.h"    /* header-only: no library internals */
#include "src/sys/thread.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels refuse it (EINVAL): faulted as written */
#endif

/* Below this many rows one thread writes them all (starting the others
 * costs more than it saves). */
#define SPLIT_MIN 4096
#define PARTS_MAX 4

/* A part's bytes: a large buffer of src/sys/big.h (2 MiB blocks in huge
 * pages where allowed, grown by moving its pages: open_memstream() copied
 * its buffer at every doubling and took twice as long as the writer). */
struct sink {
	char *buf;
	size_t len, cap;
};

static ssize_t sink_write(void *cookie, const char *data, size_t n)
{
	struct sink *s = cookie;

	if (s->cap - s->len < n && mw__big_grow((void **)&s->buf, &s->cap, s->len + n) < 0) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	return (ssize_t)n;
}

struct part {
	const struct mw_audit_report *r;
	audit_rows_fn fn;
	size_t from, to;
	struct sink out;
	bool ok;
	bool started;
	pthread_t tid;
};

static void *part_main(void *arg)
{
	static const cookie_io_functions_t io = { .write = sink_write };
	struct part *p = arg;
	size_t head = p->to - p->from < 256 ? p->to - p->from : 256;
	char vbuf[1 << 16];
	FILE *f;

	f = fopencookie(&p->out, "w", io);
	if (!f)
		return NULL;
	setvbuf(f, vbuf, _IOFBF, sizeof(vbuf));
	/* A first few rows tell how many bytes the part will take: those are
	 * faulted in at once (a page fault each took three times as long,
	 * and the part ran 60% longer than the same rows written to stdout) */
	p->fn(f, p->r, p->from, p->from + head);
	if (fflush(f) == 0 && p->out.len) {
		size_t at = (p->out.len + 4095) & ~(size_t)4095;
		size_t est = p->out.len / head * (p->to - p->from) / 8 * 9;

		/* (a mapped buffer: page-aligned, unlike malloc's) */
		if (est > at && mw__big_grow((void **)&p->out.buf, &p->out.cap, est) == 0 && p->out.cap > MW__BIG_MIN)
			(void)madvise(p->out.buf + at, est - at, MADV_POPULATE_WRITE);
	}
	p->fn(f, p->r, p->from + head, p->to);
	p->ok = !ferror(f);
	if (fclose(f) != 0)
		p->ok = false;
	return NULL;
}

/* The CPUs this process may run on, at most PARTS_MAX. */
static unsigned int cpus(void)
{
	cpu_set_t set;
	int n;

	CPU_ZERO(&set);
	n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > PARTS_MAX ? PARTS_MAX : (unsigned int)n;
}

/* Where part i of k starts in n rows. The first part (written straight to
 * the output) gets a fifth more rows than an equal share: the others also
 * fault in their memory and are copied out after it (60% of the rows for
 * two parts: --json on 20,000 findings ended 1.3 to 1.9 ms sooner than
 * with halves on a 2-CPU machine; the table, as soon). */
static size_t cut(size_t n, unsigned int k, unsigned int i)
{
	size_t first = n * 6 / (5 * k);

	if (i == 0)
		return 0;
	if (i >= k)
		return n;
	return first + (n - first) * (i - 1) / (k - 1);
}

void audit_out_rows(FILE *out, const struct mw_audit_report *r, audit_rows_fn fn)
{
	struct part parts[PARTS_MAX] = { { 0 } };
	size_t n = r->nfindings;
	unsigned int k = n < SPLIT_MIN ? 1 : cpus();

	for (unsigned int i = 1; i < k; i++) {
		struct part *p = &parts[i];

		p->r = r;
		p->fn = fn;
		p->from = cut(n, k, i);
		p->to = cut(n, k, i + 1);
		p->started = mw__thread_create(&p->tid, part_main, p) == 0;
	}
	fn(out, r, 0, cut(n, k, 1));
	for (unsigned int i = 1; i < k; i++) {
		struct part *p = &parts[i];

		if (p->started)
			pthread_join(p->tid, NULL);
		if (p->started && p->ok)
			fwrite_unlocked(p->out.buf, 1, p->out.len, out);
		else
			fn(out, r, p->from, p->to);
		mw__big_free(p->out.buf, p->out.cap);
	}
}
