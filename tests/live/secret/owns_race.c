/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_secret_owns() and mw_secret_size() answer for any pointer at any time
 * (they are libgcrypt's is_secure and OpenSSL's CRYPTO_secure_allocated),
 * also while another thread makes the heap unmap emptied slabs and reuse
 * their address ranges and records for other sizes (a compact heap at its
 * limit). Red-team round 3: asked about pointers into freed slabs, they
 * crashed with SIGSEGV within seconds (a size array pointer read after a
 * release had wiped the record).
 *
 * A heap of 32 KiB (max_locked, 8 KiB chunks): 16-byte objects until
 * refused, freed (stale pointers), 20 objects of 16 bytes kept live; one
 * thread fills the heap with objects of 16, 4096, 48, 20000 and 1000 bytes
 * in turn and frees them, while the main thread asks owns and size about
 * every stale pointer and every live one for 5 s, in a child process (a
 * crash is a failure). The live objects must always be owned, with their
 * size.
 */
#include "live.h"

#include <pthread.h>
#include <time.h>
#include <memward/secret.h>

#define NSTALE 4096
#define NLIVE 20

static struct mw_secret_heap *heap;
static void *stale[NSTALE];
static int nstale;
static int stop;

static void quiet(const char *what, void *ptr, void *ctx)
{
	(void)what;
	(void)ptr;
	(void)ctx;
}

static void *churn(void *arg)
{
	static const size_t sz[] = { 16, 4096, 48, 20000, 1000 };
	static void *v[1 << 14];
	unsigned long r = 0;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		size_t n = sz[r++ % 5];
		int k = 0;

		while (k < (1 << 14) && (v[k] = mw_secret_alloc(heap, n)))
			k++;
		for (int i = 0; i < k; i++)
			mw_secret_free(heap, v[i]);
	}
	return NULL;
}

static int body(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .max_locked = 32768, .chunk_size = 8192 };
	void *live[NLIVE];
	long calls = 0, bad = 0, owned = 0;
	pthread_t t;
	time_t end;

	mw_secret_set_violation_handler(quiet, NULL);
	heap = mw_secret_heap_new(&o);
	if (!heap) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	for (int i = 0; i < NLIVE; i++)
		if (!(live[i] = mw_secret_alloc(heap, 16))) {
			printf("live object %d: %s\n", i, strerror(errno));
			return 1;
		}
	while (nstale < NSTALE && (stale[nstale] = mw_secret_alloc(heap, 16)))
		nstale++;
	for (int i = 0; i < nstale; i++)
		mw_secret_free(heap, stale[i]);
	pthread_create(&t, NULL, churn, NULL);
	end = time(NULL) + 5;
	while (time(NULL) < end) {
		for (int i = 0; i < nstale; i++) {
			owned += mw_secret_owns(heap, stale[i]);
			owned += mw_secret_size(heap, stale[i]) != 0;
			calls += 2;
		}
		for (int i = 0; i < NLIVE; i++)
			bad += mw_secret_owns(heap, live[i]) != 1 || mw_secret_size(heap, live[i]) != 16;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	printf("note: %ld calls on %d stale pointers (%ld answered owned, by objects made there since), "
	       "%ld wrong answers for live objects\n", calls, nstale, owned, bad);
	mw_secret_heap_destroy(heap);
	return bad ? 1 : 0;
}

int main(void)
{
	int rc = live_run_child(body);
	CHECK(rc == 0, "owns/size while slabs are unmapped and reused: exit %d (%s)", rc,
	      rc > 128 ? "killed by a signal" : "wrong answers for live objects");
	return live_done();
}
