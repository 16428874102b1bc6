/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgcrypt's secure memory on a memward secret heap: the allocation
 * handlers are installed before libgcrypt is initialised
 * (gcry_set_allocation_handler), so every gcry_malloc_secure(), secure MPI
 * (gcry_mpi_snew) and GCRY_CIPHER_SECURE key schedule comes from
 * memfd_secret pages. mw_secret_owns() answers libgcrypt's "is this secure
 * memory?" and routes realloc and free.
 *
 * Build: part of the tree (build/examples/secret_gcrypt); prints where a
 * secure allocation lives and encrypts one block with a secure AES key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <memward/secret.h>

static struct mw_secret_heap *heap;

static void *alloc_secure(size_t n)
{
	return mw_secret_alloc(heap, n);
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

int main(void)
{
	unsigned char key[16] = "0123456789abcde", block[16] = "memward example", out[16];
	gcry_cipher_hd_t c;
	void *p;

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
	printf("gcry_malloc_secure(32) = %p: %s (heap backing %s)\n", p,
	       mw_secret_owns(heap, p) ? "in the memward secret heap" : "NOT in the heap",
	       mw_secret_backing_name(mw_secret_heap_backing(heap)));
	gcry_free(p);

	if (gcry_cipher_open(&c, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, GCRY_CIPHER_SECURE) ||
	    gcry_cipher_setkey(c, key, sizeof(key)) ||
	    gcry_cipher_encrypt(c, out, sizeof(out), block, sizeof(block))) {
		fprintf(stderr, "AES with a secure key schedule failed\n");
		return 1;
	}
	gcry_cipher_close(c);
	printf("AES-128 with GCRY_CIPHER_SECURE: first byte 0x%02x\n", out[0]);
	{
		struct mw_secret_stats st = { .sz = sizeof(st) };

		mw_secret_heap_stats(heap, &st);
		printf("heap: %zu live objects, %zu bytes locked\n", st.live_objects, st.bytes_locked);
	}
	return 0;
}
