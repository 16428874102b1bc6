/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgcrypt's secure memory on a memward secret heap: the allocation
 * handlers are installed before libgcrypt is initialised
 * (gcry_set_allocation_handler), so every gcry_malloc_secure(), secure MPI
 * (gcry_mpi_snew) and GCRY_CIPHER_SECURE key schedule comes from
 * memfd_secret pages. mw_secret_owns() answers libgcrypt's "is this secure
 * memory?" and routes realloc and free.
 *
 * Build: part of the tree (build/examples/secret_gcrypt). It checks what it
 * claims and exits 1 when a check fails: tests/live/secret/gcrypt_example.c
 * runs it (as root and as nobody) in ./scripts/test.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <memward/secret.h>

static struct mw_secret_heap *heap;
static unsigned long secure_allocs, secure_outside;

static void *alloc_secure(size_t n)
{
	void *p = mw_secret_alloc(heap, n);

	secure_allocs++;
	if (p && !mw_secret_owns(heap, p))
		secure_outside++; /* cannot happen: the example checks it anyway */
	return p;
}

static int is_secure(const void *p)
{
	return mw_secret_owns(heap, p);
}

static void *realloc_any(void *p, size_t n)
{
	if (p && mw_secret_owns(heap, p))
		return mw_secret_realloc(heap, p, n);
	return realloc(p, n);
}

static void free_any(void *p)
{
	if (p && mw_secret_owns(heap, p))
		mw_secret_free(heap, p); /* wiped */
	else
		free(p);
}

/* The name of the mapping that holds p in /proc/self/maps ("" if none). */
static const char *mapping_of(const void *p, char *name, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	name[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char *path = strchr(line, '/');

		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 || (uintptr_t)p < lo || (uintptr_t)p >= hi)
			continue;
		snprintf(name, size, "%s", path ? path : "(anonymous)");
		name[strcspn(name, "\n")] = '\0';
		break;
	}
	if (f)
		fclose(f);
	return name;
}

static size_t live_objects(void)
{
	struct mw_secret_stats st = { .sz = sizeof(st) };

	return mw_secret_heap_stats(heap, &st) == 0 ? st.live_objects : 0;
}

int main(void)
{
	unsigned char key[16] = "0123456789abcde", block[16] = "memward example", out[16];
	unsigned long before;
	gcry_cipher_hd_t c;
	gcry_mpi_t m;
	char where[256];
	void *p;
	int bad = 0;

	heap = mw_secret_heap_new(NULL);
	if (!heap) {
		fprintf(stderr, "mw_secret_heap_new: %s\n", mw_secret_last_error());
		return 1;
	}
	/* Before gcry_check_version: libgcrypt then never uses its own pool. */
	gcry_set_allocation_handler(malloc, alloc_secure, is_secure, realloc_any, free_any);
	if (!gcry_check_version(NULL)) {
		fprintf(stderr, "gcry_check_version failed\n");
		return 1;
	}
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

	p = gcry_malloc_secure(32);
	printf("gcry_malloc_secure(32) = %p: %s, gcry_is_secure %d, mapping %s (heap backing %s)\n",
	       p, p && mw_secret_owns(heap, p) ? "in the memward secret heap" : "NOT in the heap",
	       gcry_is_secure(p), mapping_of(p, where, sizeof(where)),
	       mw_secret_backing_name(mw_secret_heap_backing(heap)));
	bad |= !p || !mw_secret_owns(heap, p) || !gcry_is_secure(p);
	bad |= mw_secret_heap_backing(heap) == MW_SECRET_BACKING_SECRETMEM &&
	       !strstr(where, "secretmem");
	gcry_free(p);

	before = secure_allocs;
	m = gcry_mpi_snew(2048);
	gcry_mpi_randomize(m, 2048, GCRY_STRONG_RANDOM);
	printf("gcry_mpi_snew(2048): %lu secure allocations through memward, %zu live objects\n",
	       secure_allocs - before, live_objects());
	bad |= secure_allocs == before || live_objects() == 0;
	gcry_mpi_release(m);

	before = secure_allocs;
	if (gcry_cipher_open(&c, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, GCRY_CIPHER_SECURE) ||
	    gcry_cipher_setkey(c, key, sizeof(key)) ||
	    gcry_cipher_encrypt(c, out, sizeof(out), block, sizeof(block))) {
		fprintf(stderr, "AES with a secure key schedule failed\n");
		return 1;
	}
	printf("AES-128 with GCRY_CIPHER_SECURE: first byte 0x%02x, %lu secure allocations through "
	       "memward\n", out[0], secure_allocs - before);
	bad |= secure_allocs == before;
	gcry_cipher_close(c);
	printf("secure allocations: %lu through memward, %lu outside the heap; %zu live objects "
	       "after the frees\n", secure_allocs, secure_outside, live_objects());
	bad |= secure_outside != 0;
	printf("%s\n", bad ? "FAILED" : "all of libgcrypt's secure allocations were in the secret heap");
	mw_secret_heap_destroy(heap);
	return bad;
}
