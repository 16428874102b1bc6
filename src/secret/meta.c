/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The heap's metadata region: one anonymous mapping per heap holding the
 * page table (page -> chunk), the chunk records (a compact slab, a large
 * object, a guarded slot or slab: each holds the requested size of its
 * object) and the per-slot size arrays of compact slabs.
 *
 * It is MADV_DONTDUMP (Linux 3.4): the requested sizes and the layout of the
 * secrets are not written to a core dump, where malloc'd records were (issue
 * 10 defect 8). It is ordinary memory otherwise, outside the secret
 * mappings, so that an overflow of a secret cannot reach it; it is copied by
 * fork(), because a child's mw_secret_heap_destroy() reads it (registry.c).
 * MAP_NORESERVE and faulted in as used: its size follows the reservation
 * (at most one record per page of it, sizes for the smallest slots),
 * so that it cannot run out before the reservation does.
 */
#include "secret/internal.h"

#include <errno.h>
#include <sys/mman.h>

#define REC_SIZE ((sizeof(struct mw_chunk) + MW_CACHELINE - 1) & ~(size_t)(MW_CACHELINE - 1))

static size_t round_to(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

int mw__meta_init(struct mw_secret_heap *h)
{
	size_t pages = h->resv >> h->pshift;
	/* Compact slabs: one slot per 32 bytes at most (16-byte class + 16
	 * canary bytes), a uint16_t each: 1/16 of the reservation, where the
	 * sizes of the slab at offset off start at off / 16 (mw__sizes_at). */
	size_t sizes = round_to(h->resv / 16, h->page);
	/* Records: a guarded slot and its slab take at least two pages (one
	 * secret page and its guard), a compact slab a chunk. */
	size_t recs = round_to((pages + h->resv / h->chunk + 64) * REC_SIZE, h->page);
	char *m;

	h->pagetab_bytes = round_to(pages * sizeof(*h->pagetab), h->page);
	h->meta_len = h->pagetab_bytes + recs + sizes;
	m = mmap(NULL, h->meta_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		int err = errno;

		mw__secret_error("mapping the heap's metadata (%zu bytes): %s", h->meta_len,
				 strerror(err));
		return -err;
	}
	if (madvise(m, h->meta_len, MADV_DONTDUMP) < 0) {
		int err = errno;

		munmap(m, h->meta_len);
		mw__secret_error("MADV_DONTDUMP on the heap's metadata: %s", strerror(err));
		return -err;
	}
	h->meta = m;
	h->pagetab = (struct mw_chunk **)(void *)m;
	h->rec_next = m + h->pagetab_bytes;
	h->rec_end = h->rec_next + recs;
	h->sizes_base = h->rec_end;
	h->sizes_end = h->sizes_base + sizes;
	pthread_mutex_init(&h->meta_lock, NULL);
	return 0;
}

void mw__meta_fini(struct mw_secret_heap *h)
{
	if (!h->meta)
		return;
	munmap(h->meta, h->meta_len);
	h->meta = NULL;
	h->pagetab = NULL;
	if (!mw__heap_foreign(h)) /* a copy maybe locked at fork: leave it */
		pthread_mutex_destroy(&h->meta_lock);
}

struct mw_chunk *mw__chunk_new(struct mw_secret_heap *h)
{
	struct mw_chunk *c;

	pthread_mutex_lock(&h->meta_lock);
	c = h->rec_free;
	if (c) {
		h->rec_free = c->next;
	} else if (h->rec_next + REC_SIZE <= h->rec_end) {
		c = (struct mw_chunk *)(void *)h->rec_next;
		h->rec_next += REC_SIZE;
	}
	pthread_mutex_unlock(&h->meta_lock);
	if (!c) {
		mw__secret_error("the heap's metadata region is full");
		errno = ENOMEM;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	return c;
}

void mw__chunk_free(struct mw_secret_heap *h, struct mw_chunk *c)
{
	mw__wipe(c, sizeof(*c)); /* its size and address go with it */
	pthread_mutex_lock(&h->meta_lock);
	c->next = h->rec_free;
	h->rec_free = c;
	pthread_mutex_unlock(&h->meta_lock);
}

/* Unmap a compact slab or large run nobody can reach any more (its slots
 * or its object all free and off every list): wiped, its file and pages
 * (and their RLIMIT_MEMLOCK charge) go back to the kernel, its address
 * range to the heap's free ranges, where a slab of any class or a large
 * run takes it, and its record to the free records. h->lock held. */
void mw__chunk_release(struct mw_secret_heap *h, struct mw_chunk *ch)
{
	size_t off = (size_t)(ch->map - h->base);

	mw__pagetab_set(h, ch->map, ch->map_len, NULL);
	if (mw__backing_release(h, off, ch->map_len))
		mw__span_put(h, off, ch->span);
	mw__chunk_unlink(h, ch);
	mw__chunk_free(h, ch);
}

/* The size array of a compact slab at offset off of the reservation: its
 * slots (at least 32 bytes each) need at most len / 16 bytes, so the arrays
 * of two slabs that do not overlap do not overlap either, and a slab made
 * again where another was unmapped takes over its array. Cache-line
 * aligned (off is a page multiple): written by every alloc and free, 32
 * slots a line. */
uint16_t *mw__sizes_at(struct mw_secret_heap *h, size_t off)
{
	return (uint16_t *)(void *)(h->sizes_base + off / 16);
}
