/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A write after free is reported when the slot is handed out again, also
 * when the heap is at its limit, where a slab whose slots are all free is
 * unmapped to serve another size. Unmapping a slab with a slot written after
 * its free wiped the evidence: the write was never reported (found while
 * making compact slabs serve any class, red-team F2 of issue 10; guarded
 * slabs of other sizes were given back the same way).
 *
 * Compact: a heap of 4 chunks (max_locked) is filled with 4 KiB objects,
 * all freed, one of them written after its free; 32-byte objects then fill
 * the heap (the clean 4 KiB slabs go), are freed, and 4 KiB objects fill it
 * again: the written slot must be reported when it comes round.
 * Large: a freed 10,000-byte object written, 32-byte objects fill the heap
 * (the cache of free runs goes back), then 10,000 bytes again.
 * Guarded: the same with 1-page and 2-page objects in 16 locked pages.
 */
#include "waf.h"

#include <memward/secret.h>

#define MAXOBJ 20000

static void *objs[MAXOBJ];

static size_t fill(struct mw_secret_heap *h, size_t sz)
{
	size_t n = 0;

	while (n < MAXOBJ && (objs[n] = mw_secret_alloc(h, sz)))
		n++;
	return n;
}

static void drain(struct mw_secret_heap *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mw_secret_free(h, objs[i]);
}

static void compact(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .chunk_size = 65536, .max_locked = 4 * 65536 };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	size_t nbig, nsmall, nbig2;
	unsigned char *victim;
	int before;

	REQUIRE(h, "heap_new at the limit: %s (%s)", strerror(errno), mw_secret_last_error());
	nbig = fill(h, 4096);
	CHECK(nbig >= 30, "compact: only %zu objects of 4 KiB", nbig);
	victim = objs[nbig / 2];
	drain(h, nbig);
	victim[100] = 0x5A; /* write after free */
	before = reports;
	nsmall = fill(h, 32);
	drain(h, nsmall);
	nbig2 = fill(h, 4096);
	printf("note: compact: %zu x 4 KiB, freed, one written; %zu x 32 B; %zu x 4 KiB: %d report(s), last '%s'\n",
	       nbig, nsmall, nbig2, reports - before, last);
	CHECK(nsmall > 0, "compact: no 32-byte object after the 4 KiB burst was freed");
	CHECK(reports == before + 1 && strstr(last, "write after free"),
	      "compact: the write after free into a slab of freed objects was not reported "
	      "(%d reports)", reports - before);
	drain(h, nbig2);
	mw_secret_heap_destroy(h);
}

/* A large object (a run of its own, kept for reuse when freed): the cache
 * of free runs is given back at the limit, except a run written after its
 * free. */
static void large(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .chunk_size = 65536, .max_locked = 4 * 65536 };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	unsigned char *victim, *again;
	size_t nsmall;
	int before;

	REQUIRE(h, "large: heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	victim = mw_secret_alloc(h, 10000);
	REQUIRE(victim, "large: alloc 10000: %s", strerror(errno));
	mw_secret_free(h, victim);
	victim[5000] = 0x5A; /* write after free */
	before = reports;
	nsmall = fill(h, 32);
	drain(h, nsmall);
	again = mw_secret_alloc(h, 10000);
	printf("note: large: 10,000 B freed and written; %zu x 32 B; 10,000 B again: %d report(s), last '%s'\n",
	       nsmall, reports - before, last);
	CHECK(again != NULL, "large: no 10,000-byte object after the 32-byte fill: %s", strerror(errno));
	CHECK(reports == before + 1 && strstr(last, "write after free"),
	      "large: the write after free into a cached free run was not reported (%d reports)",
	      reports - before);
	mw_secret_free(h, again);
	mw_secret_heap_destroy(h);
}

static void guarded(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED,
				    .max_locked = 16 * (size_t)pg };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	size_t one = (size_t)pg - 64, two = 2 * (size_t)pg - 64, n1, n2, n1b;
	unsigned char *victim;
	int before;

	REQUIRE(h, "guarded heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	n1 = fill(h, one);
	CHECK(n1 >= 8, "guarded: only %zu one-page objects", n1);
	victim = objs[n1 / 2];
	drain(h, n1);
	victim[10] = 0x5A; /* write after free */
	before = reports;
	n2 = fill(h, two);
	drain(h, n2);
	n1b = fill(h, one);
	printf("note: guarded: %zu x 1 page, freed, one written; %zu x 2 pages; %zu x 1 page: %d report(s), last '%s'\n",
	       n1, n2, n1b, reports - before, last);
	CHECK(n2 > 0, "guarded: no 2-page object after the 1-page objects were freed");
	CHECK(reports == before + 1 && strstr(last, "write after free"),
	      "guarded: the write after free into a slab of freed slots was not reported "
	      "(%d reports)", reports - before);
	drain(h, n1b);
	mw_secret_heap_destroy(h);
}

int main(void)
{
	mw_secret_set_violation_handler(handler, NULL);
	compact();
	large();
	guarded();
	mw_secret_set_violation_handler(NULL, NULL);
	return live_done();
}
