/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Large buffers that grow at their end (an audit's BPF records, its
 * objects, its findings and their sort keys). Up to MW__BIG_MIN bytes they
 * come from malloc; past it, from anonymous mappings in whole 2 MiB blocks
 * aligned on 2 MiB and advised MADV_HUGEPAGE: where transparent huge pages
 * are allowed ("always" or "madvise" in
 * /sys/kernel/mm/transparent_hugepage/enabled) one page fault fills 2 MiB
 * where 512 faults filled 4 KiB pages, each costing about 2 us on the
 * machines bench/audit ran on (3,200 faults in an audit of 2,000 processes
 * holding 10 memfds each). Where they are not, these are ordinary pages.
 * A mapped buffer grows by moving its pages (mremap), never by copying
 * them. The capacity tells which kind a buffer is: the caller keeps it and
 * passes it back. Header-only: the library and the command line (which uses
 * no library internals) include it. In AddressSanitizer builds every
 * buffer comes from malloc, where the sanitizer sees overruns.
 */
#ifndef MW_SYS_BIG_H
#define MW_SYS_BIG_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define MW__BIG_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MW__BIG_SANITIZED 1
#endif
#endif

#ifdef MW__BIG_SANITIZED
/* AddressSanitizer checks what malloc gives, not what mmap does: its
 * builds keep every buffer in malloc */
#define MW__BIG_MIN SIZE_MAX
#else
#define MW__BIG_MIN ((size_t)256 << 10)
#endif
#define MW__BIG_ALIGN ((size_t)2 << 20)

/* size bytes (a multiple of MW__BIG_ALIGN) of fresh anonymous memory
 * aligned on MW__BIG_ALIGN, advised MADV_HUGEPAGE; NULL (errno set) when
 * none. */
static inline void *mw__big_map(size_t size)
{
	size_t span = size + MW__BIG_ALIGN;
	char *p, *q;

	if (span < size)
		return errno = ENOMEM, NULL;
	p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	q = (char *)(((uintptr_t)p + MW__BIG_ALIGN - 1) & ~(uintptr_t)(MW__BIG_ALIGN - 1));
	if (q > p)
		munmap(p, (size_t)(q - p));
	if (p + span > q + size)
		munmap(q + size, (size_t)(p + span - (q + size)));
	/* advice only: a kernel without THP refuses it (EINVAL) */
	(void)madvise(q, size, MADV_HUGEPAGE);
	return q;
}

/* The capacity a buffer of at least need bytes gets, growing from cap
 * (0: a new buffer): doubled from cap (or from 64 KiB), rounded up to whole
 * MW__BIG_ALIGN blocks past MW__BIG_MIN; 0 on overflow. */
static inline size_t mw__big_cap(size_t cap, size_t need)
{
	size_t n = cap ? cap : (size_t)64 << 10;

	while (n < need) {
		if (n > SIZE_MAX / 2)
			return 0;
		n *= 2;
	}
	if (n > MW__BIG_MIN) {
		if (n > SIZE_MAX - MW__BIG_ALIGN)
			return 0;
		n = (n + MW__BIG_ALIGN - 1) & ~(MW__BIG_ALIGN - 1);
	}
	return n;
}

/* Grow *p (capacity *cap, 0 with *p NULL for a new buffer) to hold at
 * least need bytes, keeping its contents: 0, or -ENOMEM with *p and *cap
 * as they were. */
static inline int mw__big_grow(void **p, size_t *cap, size_t need)
{
	size_t old = *cap, n;
	void *q;

	if (need <= old)
		return 0;
	n = mw__big_cap(old, need);
	if (!n)
		return -ENOMEM;
	if (n <= MW__BIG_MIN) {
		q = realloc(*p, n);
		if (!q)
			return -ENOMEM;
	} else {
		q = mw__big_map(n);
		if (!q)
			return -ENOMEM;
		if (old > MW__BIG_MIN) {
			/* the old pages (huge ones too: both ends aligned)
			 * move to the front of the new mapping */
			if (mremap(*p, old, old, MREMAP_MAYMOVE | MREMAP_FIXED, q) == MAP_FAILED) {
				munmap(q, n);
				return -ENOMEM;
			}
		} else if (old) {
			memcpy(q, *p, old);
			free(*p);
		}
	}
	*p = q;
	*cap = n;
	return 0;
}

/* Free a buffer of capacity cap (NULL and 0: nothing). */
static inline void mw__big_free(void *p, size_t cap)
{
	if (!p)
		return;
	if (cap > MW__BIG_MIN)
		munmap(p, cap);
	else
		free(p);
}

#endif
