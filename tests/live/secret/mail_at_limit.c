/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compact heap at its limit with frees from other threads (issue 10, second
 * red-team round). The main thread fills the heap with one size class until
 * an allocation fails, checks every object's pattern and frees them, then
 * moves to the next class; two other threads allocate 2048- and 3000-byte
 * objects, free half themselves and pass the other half to the main thread
 * (or to each other) to free. max_locked 256 KiB, 8 KiB chunks: the heap is
 * at its limit most of the time. Every object must be zero when handed out
 * and still hold its own pattern when freed, and the heap must report no
 * violation. A change that unmapped empty slabs at the limit (023d466,
 * reverted) failed this in about half of 6 s runs: two live objects over
 * the same bytes, the same address handed out twice, false double-free and
 * canary reports, a SIGSEGV inside the library.
 */
#include "unpriv.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <memward/secret.h>

#define MAIL 256
#define SPAWNERS 2

static struct mw_secret_heap *heap;
static void *mailbox[MAIL];
static int stop, bad, violations;

static void on_violation(const char *what, void *p, void *arg)
{
	(void)arg;
	if (__atomic_fetch_add(&violations, 1, __ATOMIC_RELAXED) < 5)
		printf("violation: %s %p\n", what, p);
}

static uint64_t next_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static bool zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* A short burst of one thread: up to 80 objects, half freed here, half
 * swapped into the mailbox (whatever was there is freed here). */
static void burst(uint64_t *seed)
{
	size_t n = (next_rand(seed) & 1) ? 3000 : 2048;
	void *v[80];
	int k;

	for (k = 0; k < 80; k++) {
		unsigned char *p = mw_secret_alloc(heap, n);

		if (!p)
			break;
		if (!zero(p, n))
			__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
		memset(p, 0xC3, n);
		v[k] = p;
	}
	for (int i = 0; i < k; i++) {
		if (i & 1) {
			void *old = __atomic_exchange_n(&mailbox[next_rand(seed) % MAIL], v[i], __ATOMIC_ACQ_REL);

			if (old)
				mw_secret_free(heap, old);
		} else {
			mw_secret_free(heap, v[i]);
		}
	}
}

static void *spawner(void *arg)
{
	uint64_t seed = (uintptr_t)arg;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		burst(&seed);
	return NULL;
}

static int run(void *arg)
{
	static const size_t classes[] = { 4096, 160, 1024 };
	static void *v[4096];
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_COMPACT, .chunk_size = 8192,
				    .max_locked = 256 * 1024 };
	pthread_t t[SPAWNERS];
	double secs = *(double *)arg;
	struct timespec t0, now;
	long rounds = 0;

	mw_secret_set_violation_handler(on_violation, NULL);
	heap = mw_secret_heap_new(&o);
	if (!heap) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 2;
	}
	for (uintptr_t i = 0; i < SPAWNERS; i++)
		if (pthread_create(&t[i], NULL, spawner, (void *)(77 + i * 1000003)))
			return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		size_t n = classes[rounds % 3];
		int k = 0;

		while (k < 4096 && (v[k] = mw_secret_alloc(heap, n))) {
			if (!zero(v[k], n))
				__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
			memset(v[k], (k & 0x7f) | 1, n);
			k++;
		}
		for (int i = 0; i < k; i++) {
			const unsigned char *p = v[i];

			for (size_t j = 0; j < n; j++)
				if (p[j] != ((i & 0x7f) | 1)) {
					__atomic_fetch_add(&bad, 1, __ATOMIC_RELAXED);
					break;
				}
			mw_secret_free(heap, v[i]);
		}
		for (int i = 0; i < MAIL; i++) {
			void *old = __atomic_exchange_n(&mailbox[i], NULL, __ATOMIC_ACQ_REL);

			if (old)
				mw_secret_free(heap, old);
		}
		rounds++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < SPAWNERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < MAIL; i++)
		if (mailbox[i])
			mw_secret_free(heap, mailbox[i]);
	mw_secret_heap_destroy(heap);
	printf("note: uid %d: %ld rounds in %.0f s, %d objects not zero or clobbered, %d violations\n", (int)getuid(),
	       rounds, secs, bad, violations);
	return bad || violations ? 1 : 0;
}

int main(void)
{
	/* Under TCG every secret page is a slow fault: fewer rounds there. */
	double secs = getenv("MW_IN_VM") ? 3 : 6;
	int rc = unpriv_run(8 * MIB, run, &secs);

	CHECK(rc == 0, "as nobody, 8 MiB: exit %d", rc);
	return live_done();
}
