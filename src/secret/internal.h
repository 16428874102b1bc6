/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the secret heap, shared by its files:
 *   classes.c  pure helpers: size classes, canaries (unit-tested)
 *   backing.c  the reservation, secretmem files per chunk, mapping memory, errors
 *   heap.c     mw_secret_heap_new/destroy, dispatch, stats, handlers
 *   compact.c  compact mode: the fast path, one object's calls (compact.h)
 *   tcache.c   compact mode: per-thread caches, sharded central lists, slabs
 *   large.c    compact mode: objects over 4 KiB
 *   guarded.c  guarded mode: one slot per object against a guard page
 *
 *   meta.c     the metadata region (page table, chunk records, slot sizes)
 *
 * Every piece of metadata lives in ordinary memory, never inside the secret
 * mappings: an overflow of a secret can hit a canary or a guard page, not
 * the allocator's bookkeeping. What reveals the secrets' sizes and layout
 * (chunk records, slot sizes, the page table) is in the heap's metadata
 * region, which is MADV_DONTDUMP (meta.c).
 */
#ifndef MW_SECRET_INT_H
#define MW_SECRET_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include <memward/secret.h>

/* ---- size classes (compact mode) ---- */
#define MW_SC_COUNT 28          /* 16..128 by 16, then 4 per power of two to 4096 */
#define MW_SC_MAX 4096          /* larger objects get a run of their own */
#define MW_SC_HDR 16            /* canary bytes between two slots */
#define MW_SLOT_FREE 0xFFFFu    /* sizes[] value of a free slot */
#define MW_SLOT_QUAR 0xFFFEu    /* sizes[] value of a quarantined slot */

/* Class index of a request of n bytes (n <= MW_SC_MAX), -1 above. */
MW_HIDDEN int mw__sc_index(size_t n);
/* Object bytes of class i (16..4096). */
MW_HIDDEN size_t mw__sc_size(int i);

/* ---- canaries ---- */
/* The canary word expected at address a: a keyed function of the address,
 * so a canary copied from elsewhere does not match. */
static inline uint64_t mw__canary(uint64_t key, const void *a)
{
	return key ^ ((uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15ull);
}
/* Write / check the k leading bytes of the canary for address a (k >= 8:
 * the whole 8-byte word). Inline: they are on the allocator's fast path. */
static inline void mw__canary_put(uint64_t key, void *a, size_t k)
{
	uint64_t c = mw__canary(key, a);

	if (__builtin_expect(k >= 8, 1)) {
		memcpy(a, &c, 8);
		return;
	}
	/* Bytes, not memcpy: a call of a variable length on the fast path. */
	for (size_t i = 0; i < k; i++)
		((unsigned char *)a)[i] = (unsigned char)(c >> (8 * i));
}

static inline bool mw__canary_ok(uint64_t key, const void *a, size_t k)
{
	uint64_t c = mw__canary(key, a), v = 0;

	if (__builtin_expect(k >= 8, 1)) {
		memcpy(&v, a, 8);
		return v == c;
	}
	for (size_t i = 0; i < k; i++) /* no memcmp call on the fast path */
		v |= (uint64_t)((const unsigned char *)a)[i] << (8 * i);
	return v == (c & ((1ull << (8 * k)) - 1));
}
/* Are n bytes at p all zero? */
MW_HIDDEN bool mw__all_zero(const void *p, size_t n);
/* memset that the compiler may not drop. */
static inline void mw__wipe(void *p, size_t n)
{
	memset(p, 0, n);
	/* Keep the stores: the compiler must assume p is read afterwards. */
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/* ---- heap ---- */
enum { MW_CHUNK_SLAB = 1, MW_CHUNK_LARGE = 2, MW_CHUNK_GSLOT = 3, MW_CHUNK_GSLAB = 4 };
#define MW_SLAB_TRIMMED 3

/* One compact slab, one large object, one guarded slot, or one guarded
 * slab (the slots mapped from one secretmem file: guarded.c). Records live
 * in the heap's metadata region (meta.c), 64-byte aligned. */
struct mw_chunk {
	uint8_t kind;
	uint8_t cls;            /* slab: size class */
	uint8_t prot;           /* gslot: MW_SECRET_* protection */
	uint8_t shard;          /* slab: the shard that made it, where its free slots go */
	uint32_t stride;        /* slab: bytes per slot */
	uint32_t nslots;        /* slab, gslab */
	uint32_t ncentral;      /* slab: slots on its shard's central list (that shard's lock) */
	uint64_t recip;         /* slab: 2^40 / stride, rounded up */
	char *map;              /* start of the secret mapping */
	size_t map_len;         /* bytes mapped (locked) */
	size_t span;            /* address space taken (mapping + guard) */
	uint16_t *sizes;        /* slab: per slot, requested size or MW_SLOT_FREE */
	size_t n;               /* large/gslot: requested size; gslab: free slots */
	size_t prev_n;          /* gslot: size of the previous object (WAF check) */
	int state;              /* large/gslot: 1 live, 0 free, 2 quarantined;
				 * slab: MW_SLAB_TRIMMED while compact_trim() releases it */
	bool cold;              /* gslot: its pages not faulted in yet (secretmem) */
	struct mw_chunk *next;  /* free lists, all-chunk list */
	struct mw_chunk *all;   /* every chunk of the heap */
	struct mw_chunk *all_prev;
	struct mw_chunk *slab;  /* gslot: its gslab */
};

struct mw_tcache;
struct mw_span;

struct mw_central_entry {
	char *p;
	uint16_t *meta;
};

struct mw_central {
	struct mw_central_entry *v;
	size_t n, cap;
};

/* Metadata that threads write is kept on cache lines of its own, so that
 * two threads never write one line (false sharing; see compact.c). */
#define MW_CACHELINE 64
#define MW_SHARDS_MAX 8

/* Compact mode's free slots, in shards: each thread cache takes and gives
 * back slots through one shard (the one with the fewest threads when the
 * cache was made), so that threads neither contend for one lock nor swap
 * slots (and the cache lines of their metadata) through one list. */
struct mw_shard {
	pthread_mutex_t lock;                 /* central[] */
	struct mw_central central[MW_SC_COUNT];
	unsigned int ntc;                     /* thread caches on it (heap lock) */
} __attribute__((aligned(MW_CACHELINE)));

#define MW_GFREE_MAX 32  /* guarded free lists indexed by pages, larger share one */
#define MW_GBATCH_MAX 256 /* guarded slots in one slab at most */

struct mw_secret_heap {
	uint64_t id;                 /* unique per process, never reused */
	uint64_t key;                /* canary key (random) */
	unsigned long gen;           /* fork generation at creation (registry.c) */
	struct mw_secret_heap *reg_next;
	bool registered;
	enum mw_secret_mode mode;
	unsigned int flags;
	enum mw_secret_backing backing;
	char *base;                  /* reservation */
	size_t resv;
	size_t page;
	unsigned int pshift;
	size_t chunk;                /* compact chunk size (page multiple) */
	size_t max_locked;
	struct mw_chunk **pagetab;   /* page index -> chunk, anonymous, lazily faulted */
	size_t pagetab_bytes;
	size_t bump;                 /* next free offset in the reservation */
	struct mw_span *spans;       /* ranges given back (h->lock) */
	unsigned int gbatch;
	bool maps_taken;             /* two mappings counted in mw__secret_maps_take() */
	bool child_resv;             /* a child of fork(): the parent's range held PROT_NONE */
	bool range_lost;             /* the last failed map left a range the heap cannot hold */
	struct mw_shard *shards;     /* compact: nshards of them */
	unsigned int nshards;

	/* Read-only above (after creation), read by every alloc and free;
	 * written below, on other cache lines. */
	pthread_mutex_t lock __attribute__((aligned(MW_CACHELINE))); /* everything below */
	size_t locked;               /* bytes mapped (= charged to RLIMIT_MEMLOCK) */
	size_t nchunks;
	struct mw_chunk *all;
	/* compact */
	struct mw_chunk *large_free;
	size_t large_cached;         /* bytes of large runs kept for reuse */
	struct mw_tcache *tcaches;
	long long folded_in_use;     /* counters of exited threads + large objects */
	long long folded_live;
	/* guarded */
	struct mw_chunk *gfree[MW_GFREE_MAX + 1];
	struct mw_chunk *gslabs;     /* every guarded slab, through next */
	size_t gmapped[5];           /* slots mapped, by pages (1-4): slab sizes ramp up */
	size_t g_in_use, g_live;

	/* The metadata region (meta.c), under meta_lock. */
	pthread_mutex_t meta_lock;
	char *meta;
	size_t meta_len;
	char *rec_next, *rec_end;    /* chunk records: bump ... */
	struct mw_chunk *rec_free;   /* ... and the freed ones */
	char *sizes_base, *sizes_end; /* compact slabs' sizes[], at offset / 16 */

	char fallback_reason[200];
} __attribute__((aligned(MW_CACHELINE)));

/* Zeroed memory of n bytes on cache lines of its own (n rounded up), for
 * metadata that one thread writes and others read; free() frees it. */
static inline void *mw__calloc_lines(size_t n)
{
	size_t len = (n + MW_CACHELINE - 1) & ~(size_t)(MW_CACHELINE - 1);
	void *p = aligned_alloc(MW_CACHELINE, len ? len : MW_CACHELINE);

	if (p)
		memset(p, 0, len);
	return p;
}

/* meta.c: the MADV_DONTDUMP metadata region of the heap (page table
 * included). Records come zeroed; NULL with errno ENOMEM and the message
 * set when the region is full. The size array of a compact slab has a fixed
 * place, given by the slab's offset in the reservation (mw__sizes_at), so
 * a slab unmapped and made again elsewhere needs no new one. */
MW_HIDDEN int mw__meta_init(struct mw_secret_heap *h);
MW_HIDDEN void mw__meta_fini(struct mw_secret_heap *h);
MW_HIDDEN struct mw_chunk *mw__chunk_new(struct mw_secret_heap *h);
MW_HIDDEN void mw__chunk_free(struct mw_secret_heap *h, struct mw_chunk *c);
MW_HIDDEN void mw__chunk_release(struct mw_secret_heap *h, struct mw_chunk *ch);
MW_HIDDEN uint16_t *mw__sizes_at(struct mw_secret_heap *h, size_t off);

/* backing.c */
MW_HIDDEN int mw__backing_open(struct mw_secret_heap *h);
MW_HIDDEN void mw__backing_close(struct mw_secret_heap *h);
/* Map len bytes of secret memory at h->base + off (page aligned), locked,
 * pre-faulted, DONTFORK unless shared, from a secretmem file of its own
 * whose descriptor is closed before this returns (the mapping holds it), so
 * that mw__backing_release() gives the pages back. Called with h->lock
 * held. 0 or -errno (-EAGAIN for memlock exhaustion, with the message set). */
MW_HIDDEN int mw__backing_map(struct mw_secret_heap *h, size_t off, size_t len);
/* Give back a mapping of mw__backing_map(): wipe it, put the reservation
 * back (PROT_NONE); its pages return to the kernel. Called with h->lock.
 * false when the range could not be held again (the process at
 * vm.max_map_count, and another mapping took the hole): the caller must not
 * put it back in the free ranges. Also after a failed map: h->range_lost. */
MW_HIDDEN bool mw__backing_release(struct mw_secret_heap *h, size_t off, size_t len);
/* The same for count slots of len bytes, one every stride bytes, from ONE
 * secretmem file (a guarded slab): one file, one ftruncate and one lock for
 * all of them; the gaps stay the reservation (guards). Released together.
 * With `cold`, secretmem slots are NOT faulted in: the caller faults each
 * one with mw__backing_fault() before its first use (the fallback's mlock
 * faults them in anyway; *cold says which happened). The release wipes
 * the slots only with `wipe` (a cold slot must not be touched: that would
 * fault it in). */
MW_HIDDEN int mw__backing_map_slots(struct mw_secret_heap *h, size_t off, size_t len,
				    size_t stride, size_t count, bool *cold);
MW_HIDDEN bool mw__backing_release_slots(struct mw_secret_heap *h, size_t off, size_t len,
					 size_t stride, size_t count, bool wipe);
/* Fault in a cold slot of mw__backing_map_slots() (h->lock NOT held): the
 * kernel takes the first fault, so a failure is -EAGAIN with the message
 * set, never SIGBUS (mw__secret_touch()). */
MW_HIDDEN int mw__backing_fault(struct mw_secret_heap *h, char *p, size_t len);
/* destroy: len bytes of secret mappings are gone. */
MW_HIDDEN void mw__backing_forget(size_t len);
/* Fault in len bytes of fresh secret memory at p without risking SIGBUS
 * (see backing.c). 0, -EAGAIN (the fault failed: memlock or memory), or
 * another -errno when it could not be done safely; why gets a sentence. */
MW_HIDDEN int mw__secret_touch(char *p, size_t len, size_t page, char *why, size_t whylen);
/* Take span bytes of the reservation from the bump pointer. -ENOMEM when
 * it is full. */
MW_HIDDEN int mw__reserve(struct mw_secret_heap *h, size_t span, size_t *off);
/* Take span bytes from the ranges given back, else from the bump pointer;
 * give a range back (merged with its neighbours). Called with h->lock. */
MW_HIDDEN int mw__span_get(struct mw_secret_heap *h, size_t len, size_t *off);
MW_HIDDEN void mw__span_put(struct mw_secret_heap *h, size_t off, size_t len);
MW_HIDDEN void mw__span_free_all(struct mw_secret_heap *h);
/* Record the failure message of this thread (also sent to the log). */
MW_HIDDEN void mw__secret_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
MW_HIDDEN void mw__secret_clear_error(void);
/* Report a memory-safety violation (handler; default aborts). */
MW_HIDDEN void mw__violation(const char *what, void *ptr);

/* The list of every chunk (h->lock held). */
static inline void mw__chunk_link(struct mw_secret_heap *h, struct mw_chunk *c)
{
	c->all_prev = NULL;
	c->all = h->all;
	if (h->all)
		h->all->all_prev = c;
	h->all = c;
}

static inline void mw__chunk_unlink(struct mw_secret_heap *h, struct mw_chunk *c)
{
	if (c->all_prev)
		c->all_prev->all = c->all;
	else
		h->all = c->all;
	if (c->all)
		c->all->all_prev = c->all_prev;
}

static inline struct mw_chunk *mw__lookup(const struct mw_secret_heap *h, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)h->base;

	if (off >= h->resv)
		return NULL;
	return __atomic_load_n(&h->pagetab[off >> h->pshift], __ATOMIC_ACQUIRE);
}
MW_HIDDEN void mw__pagetab_set(struct mw_secret_heap *h, const void *p, size_t len,
			       struct mw_chunk *c);

/* registry.c */
MW_HIDDEN extern unsigned long mw__fork_gen;
/* Made before a fork() by the parent: unusable in this (child) process. */
static inline bool mw__heap_foreign(const struct mw_secret_heap *h)
{
	return __builtin_expect(h->gen != __atomic_load_n(&mw__fork_gen, __ATOMIC_RELAXED), 0);
}
MW_HIDDEN int mw__registry_add(struct mw_secret_heap *h);
MW_HIDDEN void mw__registry_remove(struct mw_secret_heap *h);
/* alloc/realloc on a foreign heap: NULL, errno EPERM, the message set. */
MW_HIDDEN void *mw__foreign_refuse(const struct mw_secret_heap *h);
MW_HIDDEN struct mw_tcache *mw__tc_find(const struct mw_secret_heap *h);
MW_HIDDEN int mw__tc_attach(struct mw_secret_heap *h, struct mw_tcache *tc);
MW_HIDDEN void mw__tc_detach_self(const struct mw_secret_heap *h);
/* backing.c, atfork: prepare waits until no secretmem descriptor is open;
 * parent and after_fork (the child) release that. */
MW_HIDDEN void mw__backing_fork_prepare(void);
MW_HIDDEN void mw__backing_fork_parent(void);
MW_HIDDEN void mw__backing_after_fork(void);
/* In a child of fork(), for each heap of the parent: hold its address range
 * (DONTFORK, so absent here) with a PROT_NONE mapping, so that nothing of
 * the child's is ever placed where a parent's object was. */
MW_HIDDEN void mw__backing_child_reserve(struct mw_secret_heap *h);
MW_HIDDEN void mw__guarded_after_fork(void);

/* compact.c, tcache.c */
MW_HIDDEN void mw__tc_thread_exit(struct mw_secret_heap *h, struct mw_tcache *tc);
MW_HIDDEN int mw__compact_init(struct mw_secret_heap *h);
MW_HIDDEN void mw__compact_fini(struct mw_secret_heap *h);
MW_HIDDEN void *mw__compact_alloc(struct mw_secret_heap *h, size_t n);
MW_HIDDEN void mw__compact_free(struct mw_secret_heap *h, void *p);
MW_HIDDEN void *mw__compact_realloc(struct mw_secret_heap *h, void *p, size_t n);
MW_HIDDEN size_t mw__compact_size(const struct mw_secret_heap *h, const void *p);
MW_HIDDEN bool mw__compact_owns(const struct mw_secret_heap *h, const void *p);
MW_HIDDEN void mw__compact_counters(struct mw_secret_heap *h, long long *in_use, long long *live);
/* The heap cannot grow: give back the calling thread's cached slots, unmap
 * every slab whose slots are all free on the central lists and the cached
 * large runs (tcache.c). Called with no lock held; true if anything went. */
MW_HIDDEN bool mw__compact_reclaim(struct mw_secret_heap *h);

/* large.c (compact mode, objects over MW_SC_MAX) */
MW_HIDDEN void *mw__large_alloc(struct mw_secret_heap *h, size_t n);
MW_HIDDEN void mw__large_free(struct mw_secret_heap *h, struct mw_chunk *ch, char *p);
/* Unmap the cached free runs (h->lock held); true if there were any. */
MW_HIDDEN bool mw__large_drop_cache(struct mw_secret_heap *h);

/* guarded.c */
MW_HIDDEN void *mw__guarded_alloc(struct mw_secret_heap *h, size_t n);
MW_HIDDEN void mw__guarded_free(struct mw_secret_heap *h, void *p);
MW_HIDDEN void *mw__guarded_realloc(struct mw_secret_heap *h, void *p, size_t n);
MW_HIDDEN size_t mw__guarded_size(const struct mw_secret_heap *h, const void *p);
MW_HIDDEN bool mw__guarded_owns(const struct mw_secret_heap *h, const void *p);
MW_HIDDEN int mw__guarded_protect(struct mw_secret_heap *h, void *p, int prot);
MW_HIDDEN void mw__guarded_forget(struct mw_secret_heap *h);
/* The heap's own mappings against vm.max_map_count (guarded.c): take n, or
 * -ENOMEM (with the error set) where the process would keep less than a
 * quarter of it; give them back. */
MW_HIDDEN int mw__secret_maps_take(size_t n);
MW_HIDDEN void mw__secret_maps_give(size_t n);

#endif
