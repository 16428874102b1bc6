/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compact mode's thread caches, shared by compact.c (the fast path) and
 * tcache.c (caches, sharded central lists, slabs).
 */
#ifndef MW_SECRET_COMPACT_H
#define MW_SECRET_COMPACT_H

#include "secret/internal.h"

/* A thread cache holds up to TC_CAP free slots of a class, and at most
 * about TC_BYTES of the larger classes (at least TC_MIN slots): slots cached
 * by a thread keep their slabs from serving other classes (compact_reclaim()
 * in tcache.c cannot take them), so what one idle thread can hold stays
 * small: 16 slots of 1 KiB, 8 of 2 or 4 KiB. Slots move between a cache and
 * the central lists half a cache at a time. */
#define TC_CAP 64
#define TC_BYTES 16384
#define TC_MIN 8

struct mw_tbin {
	uint32_t n;
	uint32_t cap;                 /* slots it may hold (mw__tc_slow sets it) */
	struct mw_central_entry e[TC_CAP];
};

struct mw_tcache {
	struct mw_secret_heap *h;
	struct mw_shard *shard;       /* where refills come from, flushes go */
	struct mw_tcache *next, *prev;
	long long in_use, live;       /* net bytes/objects of this thread */
	struct mw_tbin bins[MW_SC_COUNT];
};

/* (n + 15) >> 4 -> class, and bytes per class (tcache.c fills them). */
MW_HIDDEN extern uint8_t mw__sc_tab[MW_SC_MAX / 16 + 1];
MW_HIDDEN extern uint16_t mw__sc_bytes[MW_SC_COUNT];

/* This thread's cache of the heap it used last. */
MW_HIDDEN extern __thread uint64_t mw__tl_id __attribute__((tls_model("initial-exec")));
MW_HIDDEN extern __thread struct mw_tcache *mw__tl_tc __attribute__((tls_model("initial-exec")));

static inline void counter_add(long long *c, long long v)
{
	/* Only the owning thread writes; mw_secret_heap_stats() reads. */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

/* The calling thread's cache for h (made on first use), or NULL. */
MW_HIDDEN struct mw_tcache *mw__tc_slow(struct mw_secret_heap *h);

static inline struct mw_tcache *tc_get(struct mw_secret_heap *h)
{
	if (__builtin_expect(mw__tl_id == h->id, 1))
		return mw__tl_tc;
	return mw__tc_slow(h);
}

/* An empty bin of class c gets up to half its cap of free slots (a new slab
 * if needed; when none can be made, slabs whose slots are all free are
 * unmapped first, mw__compact_reclaim); 0, or -1 with errno set. */
MW_HIDDEN int mw__refill(struct mw_secret_heap *h, struct mw_tcache *tc, int c, struct mw_tbin *bin);
/* A full bin gives half its slots back to their shards. */
MW_HIDDEN void mw__flush(struct mw_tcache *tc, int c, struct mw_tbin *bin);
/* Push a free slot on a central list (its shard's lock held); -ENOMEM. */
MW_HIDDEN int mw__central_push(struct mw_central *c, char *p, uint16_t *meta);

#endif
