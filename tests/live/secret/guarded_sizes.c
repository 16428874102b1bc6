/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 10 defect 4: a freed guarded slot serves other sizes. One object
 * each of 1..200 pages, allocated and freed in turn with nothing else live,
 * as nobody under an 8 MiB RLIMIT_MEMLOCK: every allocation succeeds (the
 * old heap kept each size's slot and failed with EAGAIN at 63 pages), and
 * at the end the heap holds at most the limit.
 *
 * And capacity after a burst of another size (red-team round 3): in a heap
 * of 256 KiB (max_locked), 2-page objects until refused, all freed, then
 * 1-page objects until refused, three rounds: each round must get at least
 * 90% of what a fresh heap gives. The old heap put the 1-page objects in
 * the free 2-page slots first, so their slabs never went back: 32 where a
 * fresh heap gives 64, in every round.
 */
#include "unpriv.h"

#include <memward/secret.h>

static int run(void *arg)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };
	struct mw_secret_stats st = { .sz = sizeof(st) };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)arg;
	if (!h) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	for (size_t n = 1; n <= 200; n++) {
		char *p = mw_secret_alloc(h, n * page - 16);

		if (!p) {
			printf("%zu pages: %s (%s)\n", n, strerror(errno), mw_secret_last_error());
			return 1;
		}
		memset(p, 0x33, n * page - 16);
		mw_secret_free(h, p);
	}
	mw_secret_heap_stats(h, &st);
	printf("note: after 1..200 pages: %zu bytes locked, %zu slots\n", st.bytes_locked, st.chunks);
	mw_secret_heap_destroy(h);
	return st.bytes_locked <= 8 * MIB ? 0 : 1;
}

#define MAXOBJ 4096

static size_t capacity(struct mw_secret_heap *h, size_t n)
{
	static void *v[MAXOBJ];
	size_t k = 0;

	while (k < MAXOBJ && (v[k] = mw_secret_alloc(h, n)))
		k++;
	for (size_t i = 0; i < k; i++)
		mw_secret_free(h, v[i]);
	return k;
}

static struct mw_secret_heap *small_heap(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED,
				    .max_locked = 256 * 1024 };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);

	REQUIRE(h, "heap_new (256 KiB): %s (%s)", strerror(errno), mw_secret_last_error());
	return h;
}

static void after_a_burst(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct mw_secret_heap *h = small_heap();
	size_t fresh = capacity(h, 100), burst;

	mw_secret_heap_destroy(h);
	h = small_heap();
	burst = capacity(h, page); /* a page and its canary: 2-page slots */
	CHECK(burst > 0, "no 2-page object in a fresh 256 KiB heap");
	for (int r = 0; r < 3; r++) {
		size_t got = capacity(h, 100);

		printf("note: 256 KiB heap: %zu x 2 pages freed, then round %d: %zu x 100 B (fresh heap: %zu)\n",
		       burst, r, got, fresh);
		CHECK(got * 10 >= fresh * 9,
		      "round %d after a freed burst of 2-page objects: %zu objects of 100 B, a fresh heap gives %zu",
		      r, got, fresh);
	}
	mw_secret_heap_destroy(h);
}

int main(void)
{
	int rc = unpriv_run(8 * MIB, run, NULL);

	CHECK(rc == 0, "guarded 1..200 pages as nobody, 8 MiB: exit %d", rc);
	after_a_burst();
	return live_done();
}
