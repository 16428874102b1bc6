/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compact slabs unmapped and made again for other size classes while
 * threads allocate and free across each other (red-team F2). Four threads,
 * 25,000 operations each, move together through phases of one size class
 * at a time (48 B, 200 B, 900 B, 3000 B, 4096 B, twice), in a heap whose
 * max_locked (1.5 MiB) is below what the classes would hold together
 * (about 2.4 MiB), so that each phase lives on the slabs the previous ones
 * freed. A quarter of the frees go through a mailbox to whichever thread
 * takes them.
 *
 * Checked: every object is zero-filled when handed out and still holds its
 * own pattern when freed (a slot handed out twice would show the other
 * owner's bytes, or trip the heap's write-after-free check: the violation
 * handler counts it); fewer than 2% of allocations fail; at the end nothing
 * is live, bytes_locked never passed max_locked, and with every thread gone
 * one large object of max_locked less a chunk fits (only if every slab was
 * counted free correctly can all of them be unmapped for it).
 */
#include "live.h"

#include <pthread.h>
#include <stdint.h>

#include <memward/secret.h>

#define NTHREADS 4
#define OPS 25000
#define LIVE 48
#define PHASE 2500
#define MAILBOX 256
#define MAX_LOCKED ((size_t)1536 << 10)

static const size_t class_size[] = { 48, 200, 900, 3000, 4096 };

struct obj {
	uint64_t *p;
	size_t n;      /* bytes */
	uint64_t tag;
};

static struct mw_secret_heap *heap;
static struct obj mailbox[MAILBOX];
static size_t mb_n;
static pthread_mutex_t mb_lock = PTHREAD_MUTEX_INITIALIZER;
static long violations, mismatches, dirty, failures, allocs;
static size_t max_seen_locked;

static void on_violation(const char *what, void *ptr, void *ctx)
{
	(void)ctx;
	if (__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED) < 5)
		printf("violation: %s at %p\n", what, ptr);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill(struct obj *o)
{
	for (size_t i = 0; i < o->n / 8; i++)
		o->p[i] = o->tag + i;
}

static void check_free(struct obj *o)
{
	for (size_t i = 0; i < o->n / 8; i++)
		if (o->p[i] != o->tag + i) {
			if (__atomic_fetch_add(&mismatches, 1, __ATOMIC_RELAXED) < 5)
				printf("object %p (%zu B): word %zu is %#llx, expected %#llx\n", (void *)o->p,
				       o->n, i, (unsigned long long)o->p[i],
				       (unsigned long long)(o->tag + i));
			break;
		}
	mw_secret_free(heap, o->p);
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9E3779B97F4A7C15ull * ((uintptr_t)arg + 1), seq = 0;
	struct obj live[LIVE];
	size_t nlive = 0;
	long fails = 0, n_alloc = 0;

	for (long op = 0; op < OPS; op++) {
		uint64_t r = rnd(&seed);

		if ((r & 3) == 0) { /* free one from the mailbox */
			struct obj o = { 0 };

			pthread_mutex_lock(&mb_lock);
			if (mb_n)
				o = mailbox[--mb_n];
			pthread_mutex_unlock(&mb_lock);
			if (o.p)
				check_free(&o);
		}
		if (nlive && (nlive == LIVE || (r >> 8) % 2 == 0)) {
			size_t k = (r >> 16) % nlive;
			struct obj o = live[k];
			bool posted = false;

			live[k] = live[--nlive];
			if ((r >> 32) % 4 == 0) {
				pthread_mutex_lock(&mb_lock);
				if (mb_n < MAILBOX) {
					mailbox[mb_n++] = o;
					posted = true;
				}
				pthread_mutex_unlock(&mb_lock);
			}
			if (!posted)
				check_free(&o);
			continue;
		}
		{
			size_t cls = class_size[(op / PHASE) % 5];
			size_t n = (cls - (r >> 40) % 16) & ~(size_t)7;
			struct obj o = { .n = n, .tag = ((uint64_t)(uintptr_t)arg << 56) | (++seq << 16) };

			n_alloc++;
			o.p = mw_secret_alloc(heap, n);
			if (!o.p) {
				if (fails++ < 3)
					printf("alloc of %zu B: %s (%s)\n", n, strerror(errno),
					       mw_secret_last_error());
				continue;
			}
			for (size_t i = 0; i < n / 8; i++)
				if (o.p[i]) {
					__atomic_fetch_add(&dirty, 1, __ATOMIC_RELAXED);
					break;
				}
			fill(&o);
			live[nlive++] = o;
		}
		if (op % 1000 == 0) {
			struct mw_secret_stats st = { .sz = sizeof(st) };
			size_t cur;

			mw_secret_heap_stats(heap, &st);
			cur = __atomic_load_n(&max_seen_locked, __ATOMIC_RELAXED);
			while (st.bytes_locked > cur &&
			       !__atomic_compare_exchange_n(&max_seen_locked, &cur, st.bytes_locked, false,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				;
		}
	}
	while (nlive)
		check_free(&live[--nlive]);
	__atomic_fetch_add(&failures, fails, __ATOMIC_RELAXED);
	__atomic_fetch_add(&allocs, n_alloc, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .max_locked = MAX_LOCKED };
	struct mw_secret_stats st = { .sz = sizeof(st) };
	pthread_t t[NTHREADS];
	void *big;

	mw_secret_set_violation_handler(on_violation, NULL);
	heap = mw_secret_heap_new(&o);
	REQUIRE(heap, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	for (uintptr_t i = 0; i < NTHREADS; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker, (void *)i) == 0, "pthread_create");
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	while (mb_n) {
		mb_n--;
		check_free(&mailbox[mb_n]);
	}
	mw_secret_heap_stats(heap, &st);
	live_note("%d threads x %d ops: %ld allocations, %ld failed; bytes_locked at most %zu seen, %zu "
		  "at the end (max_locked %zu), %zu chunks", NTHREADS, OPS, allocs, failures,
		  max_seen_locked, st.bytes_locked, MAX_LOCKED, st.chunks);
	CHECK(violations == 0, "%ld violations reported by the heap", violations);
	CHECK(mismatches == 0, "%ld objects did not hold their own pattern at free (handed out twice?)",
	      mismatches);
	CHECK(dirty == 0, "%ld objects were not zero-filled", dirty);
	CHECK(failures * 50 < allocs, "%ld of %ld allocations failed", failures, allocs);
	CHECK(st.live_objects == 0 && st.bytes_in_use == 0, "%zu objects, %zu bytes live at the end",
	      st.live_objects, st.bytes_in_use);
	CHECK(max_seen_locked <= MAX_LOCKED && st.bytes_locked <= MAX_LOCKED,
	      "bytes_locked %zu (at most %zu seen) above max_locked", st.bytes_locked, max_seen_locked);
	big = mw_secret_alloc(heap, MAX_LOCKED - ((size_t)64 << 10));
	CHECK(big != NULL, "no large object of max_locked less a chunk with nothing live: %s (%s)",
	      strerror(errno), mw_secret_last_error());
	mw_secret_free(heap, big);
	mw_secret_heap_destroy(heap);
	return live_done();
}
