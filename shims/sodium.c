/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmemward-sodium.so: libsodium's guarded allocations on memfd_secret.
 *
 *   LD_PRELOAD=libmemward-sodium.so PROGRAM    (PROGRAM links libsodium)
 *
 * sodium_malloc, sodium_allocarray, sodium_free and sodium_mprotect_noaccess/
 * readonly/readwrite on a guarded memward secret heap, with libsodium's
 * contract: the object ends at a guard page (one byte past it faults), a
 * canary in front of it is checked on free (abort on mismatch, as
 * sodium_misuse() does), a new region is filled with 0xdb, freed memory is
 * wiped, protection can be changed per object. libsodium's pages are locked
 * anonymous memory that /proc/PID/mem and ptrace can read; these come from
 * memfd_secret and are out of the kernel's direct map.
 *
 * libsodium.so.23 calls none of these through its PLT (its internal users,
 * if any, keep libsodium's own allocator), so pointers that are not ours are
 * handed to the real functions (dlsym RTLD_NEXT): also when the heap cannot
 * be made or is out of RLIMIT_MEMLOCK, sodium_malloc falls back to
 * libsodium's, as availability matters more than the backing.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

#include "shim_heap.h"

#define SHIM_API __attribute__((visibility("default")))

static struct shim_heap heap = {
	.opts = { .sz = sizeof(struct mw_secret_opts), .mode = MW_SECRET_GUARDED },
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

static void *real(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

SHIM_API void *sodium_malloc(size_t size)
{
	void *(*next)(size_t);
	void *p = shim_alloc(&heap, size);

	if (p) {
		memset(p, 0xdb, size); /* libsodium's garbage fill */
		return p;
	}
	next = (void *(*)(size_t))real("sodium_malloc");
	return next ? next(size) : NULL;
}

SHIM_API void *sodium_allocarray(size_t count, size_t size)
{
	if (count > 0 && size >= SIZE_MAX / count) {
		errno = ENOMEM;
		return NULL;
	}
	return sodium_malloc(count * size);
}

SHIM_API void sodium_free(void *ptr)
{
	void (*next)(void *);
	struct mw_secret_heap *h;

	if (!ptr)
		return;
	switch (shim_owner(&heap, ptr, &h)) {
	case 1:
		/* Canary checked (violation handler: abort), wiped, freed. */
		mw_secret_free(h, ptr);
		return;
	case 2:
		return; /* the parent's object, in a child of fork() */
	default:
		next = (void (*)(void *))real("sodium_free");
		if (next)
			next(ptr);
	}
}

static int protect(void *ptr, int prot, const char *name)
{
	int (*next)(void *);
	struct mw_secret_heap *h;
	int err;

	switch (shim_owner(&heap, ptr, &h)) {
	case 1:
		err = mw_secret_protect(h, ptr, prot);
		if (err < 0) {
			errno = -err;
			return -1;
		}
		return 0;
	case 2:
		/* The parent's object, in a child of fork(): its pages are not
		 * mapped here (guarded slots are MADV_DONTFORK). */
		errno = EPERM;
		return -1;
	default:
		break;
	}
	next = (int (*)(void *))real(name);
	if (!next) {
		errno = EINVAL;
		return -1;
	}
	return next(ptr);
}

SHIM_API int sodium_mprotect_noaccess(void *ptr)
{
	return protect(ptr, MW_SECRET_NOACCESS, "sodium_mprotect_noaccess");
}

SHIM_API int sodium_mprotect_readonly(void *ptr)
{
	return protect(ptr, MW_SECRET_READONLY, "sodium_mprotect_readonly");
}

SHIM_API int sodium_mprotect_readwrite(void *ptr)
{
	return protect(ptr, MW_SECRET_READWRITE, "sodium_mprotect_readwrite");
}
