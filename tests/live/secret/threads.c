/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * 100,000 random alloc/free/realloc operations across two threads on one
 * compact heap (and 20,000 on a guarded one), on a shared table of objects
 * so that many objects are freed by the thread that did not allocate them.
 * Every object carries a pattern derived from its own seed; it is checked
 * before every free and realloc. At the end the statistics must be zero.
 *
 * Then, with two CPUs or more: two threads holding 100 objects each at once
 * (after a thread that came and went) must not share a cache line, neither
 * of objects nor of the allocator's per-object metadata (slots of a 32-slot
 * group): false sharing made two threads barely faster than one. And a
 * thread that may lock no more memory uses the slots other threads freed.
 */
#include "live.h"

#include <pthread.h>
#include <stdint.h>
#include <memward/secret.h>

#define SLOTS 512

struct slot {
	pthread_mutex_t mu;
	unsigned char *p;
	size_t n;
	uint32_t seed;
};

static struct slot table[SLOTS];
static struct mw_secret_heap *heap;
static long ops_per_thread;
static int bad;

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static unsigned char pat(uint32_t seed, size_t i)
{
	return (unsigned char)(seed * 31u + i * 7u + (i >> 8));
}

static bool intact(const struct slot *s, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (s->p[i] != pat(s->seed, i))
			return false;
	return true;
}

static size_t pick_size(uint64_t *r)
{
	uint32_t k = rnd(r) % 100;

	if (k < 70)
		return rnd(r) % 65;          /* small secrets, 0..64 */
	if (k < 97)
		return rnd(r) % 4097;        /* every size class */
	return 4097 + rnd(r) % 12000;        /* large objects */
}

static void *worker(void *arg)
{
	uint64_t r = (uint64_t)(uintptr_t)arg * 0x9E3779B97F4A7C15ull + 1;

	for (long op = 0; op < ops_per_thread; op++) {
		struct slot *s = &table[rnd(&r) % SLOTS];
		uint32_t what = rnd(&r) % 3;

		pthread_mutex_lock(&s->mu);
		if (!s->p) {
			size_t n = pick_size(&r);

			s->p = mw_secret_alloc(heap, n);
			if (!s->p) {
				__atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
				printf("alloc %zu: %s (%s)\n", n, strerror(errno), mw_secret_last_error());
			} else {
				s->n = n;
				s->seed = rnd(&r);
				for (size_t i = 0; i < n; i++)
					s->p[i] = pat(s->seed, i);
			}
		} else if (what == 0) {
			size_t n = pick_size(&r), keep = n < s->n ? n : s->n;
			unsigned char *q;

			if (!intact(s, s->n))
				__atomic_store_n(&bad, 2, __ATOMIC_RELAXED);
			q = mw_secret_realloc(heap, s->p, n);
			if (n == 0) {
				s->p = NULL;
			} else if (!q) {
				__atomic_store_n(&bad, 3, __ATOMIC_RELAXED);
			} else {
				s->p = q;
				if (!intact(s, keep))
					__atomic_store_n(&bad, 4, __ATOMIC_RELAXED);
				s->n = n;
				for (size_t i = keep; i < n; i++)
					s->p[i] = pat(s->seed, i);
			}
		} else {
			if (!intact(s, s->n))
				__atomic_store_n(&bad, 5, __ATOMIC_RELAXED);
			mw_secret_free(heap, s->p);
			s->p = NULL;
		}
		pthread_mutex_unlock(&s->mu);
	}
	return NULL;
}

static void run(enum mw_secret_mode mode, long total)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = mode };
	struct mw_secret_stats st = { .sz = sizeof(st) };
	pthread_t t[2];

	heap = mw_secret_heap_new(&o);
	REQUIRE(heap, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	for (int i = 0; i < SLOTS; i++)
		pthread_mutex_init(&table[i].mu, NULL);
	ops_per_thread = total / 2;
	bad = 0;
	for (int i = 0; i < 2; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1 + mode * 2)) == 0,
			"pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	CHECK(bad == 0, "%s: contents or allocation failure (code %d)", mw_secret_mode_name(mode), bad);
	mw_secret_heap_stats(heap, &st);
	live_note("%s: after %ld ops: %zu live, %zu bytes in use, %zu locked, %zu chunks",
		  mw_secret_mode_name(mode), total, st.live_objects, st.bytes_in_use, st.bytes_locked,
		  st.chunks);
	for (int i = 0; i < SLOTS; i++) {
		if (table[i].p) {
			CHECK(intact(&table[i], table[i].n), "slot %d corrupted at the end", i);
			mw_secret_free(heap, table[i].p);
			table[i].p = NULL;
		}
	}
	mw_secret_heap_stats(heap, &st);
	CHECK(st.live_objects == 0 && st.bytes_in_use == 0, "%s: %zu live, %zu in use after freeing all",
	      mw_secret_mode_name(mode), st.live_objects, st.bytes_in_use);
	mw_secret_heap_destroy(heap);
}

#define HOLD 100
#define ROUNDS 2000
static const size_t hold_sizes[2] = { 32, 256 };
static void *held[2][2][HOLD];
static pthread_barrier_t hold_bar;

static void *holder(void *arg)
{
	void *(*got)[HOLD] = arg;

	pthread_barrier_wait(&hold_bar);
	/* Rounds of alloc 100, free 100: the thread caches overflow and run dry,
	 * slots go through the central lists. */
	for (int r = 0; r <= ROUNDS; r++) {
		for (int s = 0; s < 2; s++)
			for (int i = 0; i < HOLD; i++)
				got[s][i] = mw_secret_alloc(heap, hold_sizes[s]);
		if (r == ROUNDS)
			break;
		for (int s = 0; s < 2; s++)
			for (int i = 0; i < HOLD; i++)
				mw_secret_free(heap, got[s][i]);
	}
	pthread_barrier_wait(&hold_bar); /* both hold theirs */
	pthread_barrier_wait(&hold_bar); /* checked */
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < HOLD; i++)
			mw_secret_free(heap, got[s][i]);
	return NULL;
}

/* Do the objects of size class n at p and q (slot = 16 canary bytes + n)
 * share a cache line, or a 32-slot group (one line of the allocator's
 * sizes[])? Slabs are CHUNK bytes at base + k * CHUNK. */
#define CHUNK ((size_t)64 << 10)
static uintptr_t slab_base;

static bool close_by(const char *p, const char *q, size_t n)
{
	uintptr_t a = (uintptr_t)p - 16 - slab_base, b = (uintptr_t)q - 16 - slab_base;

	if (a / 64 == b / 64 || (a + n + 15) / 64 == b / 64 || (b + n + 15) / 64 == a / 64)
		return true;
	return a / CHUNK == b / CHUNK && (a % CHUNK) / (n + 16) / 32 == (b % CHUNK) / (n + 16) / 32;
}

static void no_false_sharing(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_COMPACT, .chunk_size = CHUNK };
	pthread_t t[2];
	void *mine = NULL;
	int shared = 0;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		live_note("one CPU: the heap keeps one shard, no false-sharing check");
		return;
	}
	heap = mw_secret_heap_new(&o);
	REQUIRE(heap, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	/* The main thread has a cache too; its first object is slot 0 of the
	 * first slab, at the start of the heap. */
	mine = mw_secret_alloc(heap, 32);
	REQUIRE(mine, "alloc: %s", strerror(errno));
	slab_base = (uintptr_t)mine - 16;
	/* A thread that comes and goes leaves its slots behind. */
	pthread_barrier_init(&hold_bar, NULL, 1);
	REQUIRE(pthread_create(&t[0], NULL, holder, held[0]) == 0, "pthread_create");
	pthread_join(t[0], NULL);
	pthread_barrier_destroy(&hold_bar);
	pthread_barrier_init(&hold_bar, NULL, 3);
	for (int i = 0; i < 2; i++)
		REQUIRE(pthread_create(&t[i], NULL, holder, held[i]) == 0, "pthread_create");
	pthread_barrier_wait(&hold_bar);
	pthread_barrier_wait(&hold_bar);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < HOLD; i++)
			for (int j = 0; j < HOLD; j++) {
				CHECK(held[0][s][i] && held[1][s][j], "allocation failed");
				if (close_by(held[0][s][i], held[1][s][j], hold_sizes[s]))
					shared++;
			}
	pthread_barrier_wait(&hold_bar);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&hold_bar);
	CHECK(shared == 0, "%d pairs of objects of two threads share a cache line or a metadata line",
	      shared);
	mw_secret_free(heap, mine);
	mw_secret_heap_destroy(heap);
}

/* A thread whose central list is dry and that may lock no more memory
 * takes the free slots of the other lists: with room for two slabs, the
 * main thread's slab freed, a thread gets 2000 32-byte objects (one slab
 * holds 1365). */
static void *take_many(void *arg)
{
	void **v = arg;
	int got = 0;

	for (; got < 2000; got++)
		if (!(v[got] = mw_secret_alloc(heap, 32)))
			break;
	for (int i = 0; i < got; i++)
		mw_secret_free(heap, v[i]);
	return (void *)(intptr_t)got;
}

static void steal_when_locked_out(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_COMPACT, .chunk_size = CHUNK,
				    .max_locked = 2 * CHUNK };
	struct mw_secret_stats st = { .sz = sizeof(st) };
	static void *v[2000];
	pthread_t t;
	void *ret;

	heap = mw_secret_heap_new(&o);
	REQUIRE(heap, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	for (int i = 0; i < 1300; i++)
		REQUIRE((v[i] = mw_secret_alloc(heap, 32)), "alloc %d: %s", i, strerror(errno));
	for (int i = 0; i < 1300; i++)
		mw_secret_free(heap, v[i]);
	REQUIRE(pthread_create(&t, NULL, take_many, v) == 0, "pthread_create");
	pthread_join(t, &ret);
	CHECK((intptr_t)ret == 2000, "a thread got %d of 2000 objects with %zu bytes lockable",
	      (int)(intptr_t)ret, (size_t)(2 * CHUNK));
	mw_secret_heap_stats(heap, &st);
	CHECK(st.bytes_locked <= 2 * CHUNK && st.live_objects == 0, "%zu bytes locked, %zu live",
	      st.bytes_locked, st.live_objects);
	mw_secret_heap_destroy(heap);
}

int main(void)
{
	run(MW_SECRET_COMPACT, 100000);
	run(MW_SECRET_GUARDED, 20000);
	no_false_sharing();
	steal_when_locked_out();
	return live_done();
}
