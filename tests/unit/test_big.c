/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The large buffers of src/sys/big.h: growing keeps every byte, from malloc
 * sizes into mapped ones and from one mapping to a larger one; a mapped
 * buffer is aligned on 2 MiB and advised for huge pages; up to
 * MW__BIG_MIN bytes a buffer stays in malloc; a growth that
 * cannot be had (no memory, a size past SIZE_MAX) fails with -ENOMEM and
 * leaves the buffer as it was; freeing unmaps what was mapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/big.h"

/* The byte at offset i of a buffer filled by fill(). */
static unsigned char at(size_t i)
{
	return (unsigned char)(i * 2654435761u >> 13);
}

static void fill(unsigned char *p, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		p[i] = at(i);
}

static size_t first_wrong(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != at(i))
			return i;
	return n;
}

static void grow_keeps_bytes(void **state)
{
	void *p = NULL;
	size_t cap = 0, used = 0, mapped_growths = 0;

	(void)state;
	/* 100 bytes to 24 MiB in uneven steps: malloc, malloc to a mapping,
	 * mapping to a larger mapping */
	for (size_t need = 100; need <= ((size_t)24 << 20); need = need * 3 - 7) {
		size_t old = cap;

		assert_int_equal(mw__big_grow(&p, &cap, need), 0);
		assert_non_null(p);
		assert_true(cap >= need);
		assert_int_equal(first_wrong(p, used), used);
		if (old > MW__BIG_MIN && cap > old)
			mapped_growths++;
		fill(p, used, need);
		used = need;
	}
	/* a request within the capacity changes nothing */
	{
		void *q = p;
		size_t c = cap;

		assert_int_equal(mw__big_grow(&p, &cap, used), 0);
		assert_ptr_equal(p, q);
		assert_int_equal(cap, c);
	}
	assert_int_equal(first_wrong(p, used), used);
	if (MW__BIG_MIN < ((size_t)24 << 20))
		assert_true(mapped_growths >= 2);
	mw__big_free(p, cap);
	mw__big_free(NULL, 0);
}

static void mapped_is_aligned_and_advised(void **state)
{
	void *p = NULL;
	size_t cap = 0;
	char line[512];
	bool found = false, huge = false;
	FILE *f;

	(void)state;
	if (MW__BIG_MIN > ((size_t)64 << 20))
		skip(); /* sanitizer builds keep every buffer in malloc */
	assert_int_equal(mw__big_grow(&p, &cap, MW__BIG_MIN + 1), 0);
	assert_true(cap > MW__BIG_MIN);
	assert_int_equal(cap % MW__BIG_ALIGN, 0);
	assert_int_equal((uintptr_t)p % MW__BIG_ALIGN, 0);
	memset(p, 1, cap);
	/* the mapping's VmFlags say "hg" (MADV_HUGEPAGE) where the kernel
	 * has transparent huge pages */
	f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		/* the mapping that holds p (valgrind may merge it with its
		 * neighbours) */
		if (!found && sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    lo <= (uintptr_t)p && (uintptr_t)p < hi)
			found = true;
		else if (found && !strncmp(line, "VmFlags:", 8)) {
			huge = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	assert_true(found);
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0)
		assert_true(huge);
	mw__big_free(p, cap);
	/* unmapped: mincore() refuses the range */
	{
		unsigned char vec[1];

		assert_int_equal(mincore(p, 4096, vec), -1);
		assert_int_equal(errno, ENOMEM);
	}
}

/* MW__BIG_MIN bytes and less stay in malloc, at the size asked for (the
 * audit's first findings chunk asks for exactly that much: a 2 MiB block,
 * faulted in whole where huge pages are allowed, for every small report
 * and every --watch cycle, was a regression) */
static void min_stays_malloc(void **state)
{
	void *p = NULL;
	size_t cap = 0;

	(void)state;
	if (MW__BIG_MIN > ((size_t)64 << 20))
		skip(); /* sanitizer builds keep every buffer in malloc */
	assert_int_equal(mw__big_grow(&p, &cap, MW__BIG_MIN), 0);
	assert_int_equal(cap, MW__BIG_MIN);
	assert_int_equal(mw__big_cap(0, MW__BIG_MIN), MW__BIG_MIN);
	assert_true(mw__big_cap(0, MW__BIG_MIN + 1) % MW__BIG_ALIGN == 0);
	mw__big_free(p, cap);
}

static void failure_leaves_buffer(void **state)
{
	void *p = NULL;
	size_t cap = 0;
	pid_t pid;
	int st;

	(void)state;
	/* past SIZE_MAX */
	assert_int_equal(mw__big_grow(&p, &cap, 1000), 0);
	fill(p, 0, 1000);
	assert_int_equal(mw__big_grow(&p, &cap, SIZE_MAX), -ENOMEM);
	assert_int_equal(mw__big_grow(&p, &cap, SIZE_MAX / 2 + 2), -ENOMEM);
	assert_non_null(p);
	assert_true(cap >= 1000);
	assert_int_equal(first_wrong(p, 1000), 1000);
	mw__big_free(p, cap);

	/* no memory for the next size (RLIMIT_AS, in a child): the mapped
	 * buffer stays where it was, whole (not in sanitizer builds, which
	 * reserve terabytes of shadow and keep buffers in malloc) */
	if (MW__BIG_MIN > ((size_t)64 << 20))
		return;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		size_t need = (size_t)8 << 20;
		void *q = NULL, *before;
		size_t c = 0, c0;

		if (mw__big_grow(&q, &c, need) != 0)
			_exit(10);
		fill(q, 0, need);
		before = q;
		c0 = c;
		if (getrlimit(RLIMIT_AS, &rl) != 0)
			_exit(11);
		rl.rlim_cur = 0;
		{
			/* what the process maps now, plus 1 MiB: less than
			 * the 64 MiB the next mapping takes */
			FILE *f = fopen("/proc/self/status", "r");
			char line[256];
			unsigned long kb = 0;

			while (f && fgets(line, sizeof(line), f))
				if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
					break;
			if (f)
				fclose(f);
			if (!kb)
				_exit(12);
			rl.rlim_cur = (rlim_t)kb * 1024 + ((rlim_t)1 << 20);
		}
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(13);
		if (mw__big_grow(&q, &c, (size_t)64 << 20) != -ENOMEM)
			_exit(14);
		if (q != before || c != c0 || first_wrong(q, need) != need)
			_exit(15);
		mw__big_free(q, c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grow_keeps_bytes),
		cmocka_unit_test(mapped_is_aligned_and_advised),
		cmocka_unit_test(min_stays_malloc),
		cmocka_unit_test(failure_leaves_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
