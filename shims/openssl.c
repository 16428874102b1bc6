/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemward-openssl.so: OpenSSL's secure heap on memfd_secret, without
 * recompiling OpenSSL.
 *
 *   LD_PRELOAD=libmemward-openssl.so openssl s_server ...
 *
 * OpenSSL has no hook for its secure heap (openssl/openssl#16371 asks for
 * memfd_secret), but Debian's libcrypto.so.3 calls the CRYPTO_secure_*
 * family through its PLT (60 calls: private-key BIGNUMs made with
 * BN_secure_new, DER CBIGNUMs, ...), so a preloaded library that defines
 * them takes every secure allocation. This one implements the whole family
 * consistently on one memward secret heap (compact mode), whether or not
 * the program calls CRYPTO_secure_malloc_init():
 *   malloc/zalloc      an object of the heap (zero-filled); if the heap
 *                      cannot be made or is out of RLIMIT_MEMLOCK, OpenSSL's
 *                      own CRYPTO_malloc, as OpenSSL does without a heap
 *   free/clear_free    wiped and freed if ours; CRYPTO_free/clear_free if not;
 *                      nothing for a parent's object in a child of fork()
 *   allocated          ours (mw_secret_owns)
 *   actual_size        the size requested (0 if not ours)
 *   used               bytes in use in the heap
 *   malloc_init        makes the heap now; 1 (success), 0 if it cannot be made
 *   malloc_initialized 1 while the heap exists and is not done
 *   malloc_done        1 when no object is live (a 0-byte one included),
 *                      else 0; the heap is kept, not destroyed (other threads
 *                      may be inside it: OpenSSL's own heap serialises every
 *                      call on one lock, this one does not), its free memory
 *                      already wiped; initialized says 0 until the next
 *                      init or allocation
 * After fork() the child's first call retires the parent's heap (its
 * objects are recognised, and left alone, for any number of generations)
 * and the child gets a heap of its own.
 * The symbols carry OpenSSL's version (OPENSSL_3.0.0, openssl.map) so that
 * libcrypto's versioned references bind to them.
 */
#include <stddef.h>
#include <string.h>
#include <openssl/crypto.h>

#include "shim_heap.h"

#define SHIM_API __attribute__((visibility("default")))

static struct shim_heap heap = {
	.opts = { .sz = sizeof(struct mw_secret_opts), .mode = MW_SECRET_COMPACT },
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void after_fork(void)
{
	shim_heap_after_fork(&heap);
}

__attribute__((constructor)) static void shim_init(void)
{
	pthread_atfork(NULL, NULL, after_fork);
}

SHIM_API int CRYPTO_secure_malloc_init(size_t size, size_t minsize)
{
	(void)size;
	(void)minsize;
	pthread_mutex_lock(&heap.lock);
	heap.failed = false; /* an explicit request tries again */
	pthread_mutex_unlock(&heap.lock);
	return shim_heap_get(&heap) ? 1 : 0;
}

SHIM_API int CRYPTO_secure_malloc_initialized(void)
{
	if (!shim_sync(&heap))
		return 0;
	return __atomic_load_n(&heap.cur, __ATOMIC_ACQUIRE) != NULL &&
	       !__atomic_load_n(&heap.done, __ATOMIC_ACQUIRE);
}

/* This process's heap's counters; false when there is none (or it is the
 * parent's, not yet retired). */
static bool stats(struct mw_secret_stats *st)
{
	struct mw_secret_heap *h;

	if (!shim_sync(&heap))
		return false;
	h = __atomic_load_n(&heap.cur, __ATOMIC_ACQUIRE);
	st->sz = sizeof(*st);
	return h && mw_secret_heap_stats(h, st) == 0;
}

SHIM_API size_t CRYPTO_secure_used(void)
{
	struct mw_secret_stats st;

	return stats(&st) ? st.bytes_in_use : 0;
}

/* Done when no object is live: a 0-byte object adds nothing to used, but
 * is live. The heap is never destroyed here: another thread may be between
 * reading it and using it (destroying it under them crashed). */
SHIM_API int CRYPTO_secure_malloc_done(void)
{
	struct mw_secret_stats st;

	if (!shim_sync(&heap))
		return 0; /* the parent's heap and its live objects are still current */
	if (!__atomic_load_n(&heap.cur, __ATOMIC_ACQUIRE))
		return 1; /* nothing made: nothing in use */
	if (!stats(&st) || st.live_objects != 0)
		return 0;
	__atomic_store_n(&heap.done, true, __ATOMIC_RELEASE);
	return 1;
}

SHIM_API void *CRYPTO_secure_malloc(size_t num, const char *file, int line)
{
	void *p = shim_alloc(&heap, num);

	return p ? p : CRYPTO_malloc(num, file, line);
}

SHIM_API void *CRYPTO_secure_zalloc(size_t num, const char *file, int line)
{
	void *p = shim_alloc(&heap, num); /* zero-filled */

	return p ? p : CRYPTO_zalloc(num, file, line);
}

SHIM_API void CRYPTO_secure_free(void *ptr, const char *file, int line)
{
	struct mw_secret_heap *h;

	switch (shim_owner(&heap, ptr, &h)) {
	case 1:
		mw_secret_free(h, ptr);
		return;
	case 2:
		return; /* the parent's, after fork() */
	default:
		CRYPTO_free(ptr, file, line);
	}
}

SHIM_API void CRYPTO_secure_clear_free(void *ptr, size_t num, const char *file, int line)
{
	struct mw_secret_heap *h;

	switch (shim_owner(&heap, ptr, &h)) {
	case 1:
		mw_secret_free(h, ptr); /* wiped */
		return;
	case 2:
		return;
	default:
		CRYPTO_clear_free(ptr, num, file, line);
	}
}

SHIM_API int CRYPTO_secure_allocated(const void *ptr)
{
	struct mw_secret_heap *h;

	return shim_owner(&heap, ptr, &h) != 0;
}

SHIM_API size_t CRYPTO_secure_actual_size(void *ptr)
{
	struct mw_secret_heap *h;

	return shim_owner(&heap, ptr, &h) == 1 ? mw_secret_size(h, ptr) : 0;
}
