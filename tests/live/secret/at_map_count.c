/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Objects freed while the process is past vm.max_map_count (where every
 * mmap fails): their secret pages still go back to the kernel, and the
 * heap's counters say what is really locked. Red-team round 4: the
 * reservation could not be mapped back over a freed large object, the
 * failure was ignored, and its secretmem stayed mapped and charged to
 * RLIMIT_MEMLOCK while mw_secret_heap_stats() said it was gone (a fresh
 * 8 MiB of objects then failed at the limit).
 * As nobody under an 8 MiB RLIMIT_MEMLOCK; what is held is read from the
 * secretmem mappings in /proc/self/maps.
 */
#include "unpriv.h"

#include <sys/mman.h>
#include <memward/secret.h>

#define RUNS 40

static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	fclose(f);
	return v;
}

/* The process's mappings as the kernel counts them ([vsyscall] is listed
 * but is not one). */
/* KiB of secretmem mapped in this process, from /proc/self/maps: what the
 * heap really holds on every kernel (VmLck shows secretmem on 6.18, not on
 * 6.1). */
static long secretmem_kib(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	unsigned long lo, hi;
	long kib = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "secretmem") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			kib += (long)((hi - lo) >> 10);
	fclose(f);
	return kib;
}

static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !strstr(line, "[vsyscall]");
	fclose(f);
	return n;
}

static int body(void *arg)
{
	struct mw_secret_heap *h = mw_secret_heap_new(NULL);
	struct mw_secret_stats st = { .sz = sizeof(st) };
	long max = 0, pages, i;
	void *r[RUNS], *extra;
	char *area;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	int bad = 0;

	(void)arg;
	if (!f || fscanf(f, "%ld", &max) != 1 || max < 1000 || max > 1 << 20) {
		printf("note: vm.max_map_count %ld: not filled\n", max);
		return 77;
	}
	fclose(f);
	if (!h)
		return 2;
	/* Large objects with every other one freed: free ranges between live
	 * runs, where a new run splits the reservation's mapping in three. */
	for (i = 0; i < RUNS; i++)
		if (!(r[i] = mw_secret_alloc(h, 5000)))
			return 2;
	for (i = 1; i < RUNS; i += 2) {
		mw_secret_free(h, r[i]);
		r[i] = NULL;
	}
	/* the cache of free runs taken again: the other freed ranges stay free */
	for (i = 1; i < 2 * 8; i += 2)
		if (!(r[i] = mw_secret_alloc(h, 5000)))
			return 2;
	/* The program's own mappings up to max_map_count - 1. */
	pages = 2 * max;
	area = mmap(NULL, (size_t)pages * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return 2;
	/* each lone PROT_NONE page splits the area: two more mappings */
	{
		long k = (max - 1 - count_maps()) / 2;

		for (i = 0; i < k; i++)
			if (mprotect(area + (2 * i + 1) * 4096, 4096, PROT_NONE) < 0)
				break;
		if (count_maps() < max - 1) /* one short: a page at the end */
			mprotect(area + (size_t)(pages - 1) * 4096, 4096, PROT_NONE);
	}
	extra = mw_secret_alloc(h, 5000); /* may take the process past the limit */
	for (int k = 0; k < 4 && count_maps() <= max; k++)
		mmap(NULL, 4096, (k & 1) ? PROT_NONE : PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("note: %d mappings (vm.max_map_count %ld), then everything freed\n", count_maps(), max);
	mw_secret_free(h, extra);
	for (i = 0; i < RUNS; i++)
		mw_secret_free(h, r[i]);
	if (mw_secret_heap_stats(h, &st) < 0)
		return 2;
	if ((long)(st.bytes_locked >> 10) != secretmem_kib()) {
		printf("%ld KiB of secretmem mapped (VmLck %ld KiB), the heap says %zu KiB locked\n",
		       secretmem_kib(), status_kib("VmLck:"), st.bytes_locked >> 10);
		bad = 1;
	}
	munmap(area, (size_t)pages * 4096);
	/* And the whole limit is usable again. */
	{
		static void *q[4096];
		int n = 0;

		while (n < 4096 && (q[n] = mw_secret_alloc(h, 100000)))
			n++;
		printf("note: then %d objects of 100,000 bytes: %s\n", n, mw_secret_last_error());
		if (n < 70) {
			printf("only %d objects of 100,000 bytes under 8 MiB after the frees\n", n);
			bad = 1;
		}
		while (n--)
			mw_secret_free(h, q[n]);
	}
	mw_secret_heap_destroy(h);
	return bad;
}

int main(void)
{
	int rc;

#ifdef LIVE_ASAN
	live_skip("ASan build: the sanitizer's runtime maps memory of its own and aborts past "
		  "vm.max_map_count; this test runs in the gcc build and in the kernel matrix");
#endif
	if (try_memfd_secret())
		live_skip("no memfd_secret here (tried): the fallback's mlock charge is another test's");
	rc = unpriv_run(8 * MIB, body, NULL);
	if (rc == 77)
		live_skip("vm.max_map_count out of range for this test (see above)");
	CHECK(rc == 0, "frees past vm.max_map_count: exit %d", rc);
	return live_done();
}
