/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compact mode. Objects of up to 4 KiB live in slabs: one chunk per size
 * class, cut into slots of (16 canary bytes + class bytes):
 *
 *   chunk: [c c][obj 0 .....][c c][obj 1 .....] ... [c c]
 *
 * Each 16-byte gap holds two canary words (keyed by their address) written
 * once when the slab is made: the word after an object catches its
 * overflow, the word before it catches its underflow. An object smaller
 * than its class gets one more canary right after its last byte (up to 8
 * bytes, as many as fit). Canaries are checked on free; the object is wiped
 * on free, so a free slot is all zero and a fresh allocation is zeroed.
 *
 * Metadata (per slot: the requested size, or MW_SLOT_FREE) lives in
 * malloc'd arrays outside the secret memory. Double and invalid frees are
 * caught by an atomic exchange on that size.
 *
 * Per-thread caches: each thread holds up to 64 free slots per class (fewer
 * of the classes over 256 bytes: about 16 KiB, at least 8 slots) and
 * takes/returns half of that at a time from central lists; in the steady
 * state alloc and free take no lock and make no syscall. The central lists are
 * sharded (one shard per CPU, up to MW_SHARDS_MAX): a thread cache uses the
 * shard with the fewest threads. With one list for all, two threads that
 * each keep more than a cache's worth of objects live took turns on its
 * lock and swapped slots through it, so that their slots, and the cache
 * lines of sizes[] holding the slots' metadata (32 slots a line), ended up
 * interleaved: the atomic exchange of free() then missed the cache on
 * every call, and two threads gave 1.1-1.3x one thread's throughput. A
 * dry shard makes a new slab of its own (so threads on different shards
 * do not share slabs, nor lines of sizes[]); only when no slab can be made
 * (RLIMIT_MEMLOCK, max_locked, the reservation) does it take the free
 * slots of other shards, and then (tcache.c, mw__compact_reclaim) the
 * calling thread's cache goes back to the central lists and every slab
 * whose slots are all on them is unmapped, whatever its class: its memory
 * and address range serve any class or a large object (a burst of one
 * class kept all others from growing until destroy: red-team F2). The
 * price: up to one partly used slab per class and shard, locked. Slabs hand out slots in
 * groups of 32 (one cache line of sizes[], whole lines of slots), and
 * every piece of metadata a thread writes (sizes[], the thread cache, the
 * shards, the heap's lock) sits on cache lines of its own.
 *
 * Larger objects get a run of their own: large.c. The caches, central lists
 * and slabs: tcache.c; here, the fast path and the calls on one object.
 */
#include "secret/compact.h"

#include <errno.h>
#include <stdlib.h>
#if defined(__has_include)
#if __has_include(<sys/single_threaded.h>)
#include <sys/single_threaded.h>
#define MW_HAVE_SINGLE_THREADED 1
#endif
#endif

/* ---- the fast path ---- */

/* Wipe len bytes at p (16-byte aligned), rounded up to 16: the rest of the
 * class is zero already, and the class is a multiple of 16, so the rounded
 * length stays inside the slot. Inline stores, no call (also for the large
 * classes): a libc memset call costs as much as the rest of a small free,
 * and a call on the fast path makes it save and restore registers. */
static inline void wipe16(char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 16) {
		/* 8-byte stores: the reuse check (slot_clean) reads them back
		 * with 8-byte loads, which store forwarding serves best. */
		uint64_t z = 0;

		memcpy(p + i, &z, 8);
		memcpy(p + i + 8, &z, 8);
		__asm__ __volatile__("" : : "r"(p) : "memory"); /* no memset idiom */
	}
}

/* Is a free slot of cls bytes still all zero (freed slots are wiped)?
 * 8-byte loads OR'ed together and one test at the end: on the fast path. */
static inline bool slot_clean(const char *p, size_t cls)
{
	uint64_t a, b, acc = 0;

	if (__builtin_expect(cls > 256, 0))
		return mw__all_zero(p, cls);
	for (size_t i = 0; i < cls; i += 16) {
		memcpy(&a, p + i, 8);
		memcpy(&b, p + i + 8, 8);
		acc |= a | b;
	}
	return acc == 0;
}

/* A free slot that was written to after its free: keep it out of use. */
static __attribute__((noinline)) void quarantine(char *p, uint16_t *meta, size_t cls)
{
	__atomic_store_n(meta, (uint16_t)MW_SLOT_QUAR, __ATOMIC_RELEASE);
	mw__wipe(p, cls);
	mw__violation("write after free (a freed compact slot was modified)", p);
}

/* An allocation from class c that the fast path could not serve: a thread
 * without a cache for h yet, an empty bin, a slot written after its free. */
static __attribute__((noinline)) void *alloc_slow(struct mw_secret_heap *h, size_t n, int c)
{
	struct mw_tcache *tc = tc_get(h);
	size_t cls = mw__sc_bytes[c];
	struct mw_tbin *bin;
	uint16_t *meta;
	char *p;

	if (!tc) {
		mw__secret_error("out of memory for the thread cache");
		errno = ENOMEM;
		return NULL;
	}
	bin = &tc->bins[c];
	for (;;) {
		if (bin->n == 0 && mw__refill(h, tc, c, bin) < 0)
			return NULL;
		bin->n--;
		p = bin->e[bin->n].p;
		meta = bin->e[bin->n].meta;
		/* Freed bytes are zero: a slot that is not was written after its
		 * free (checked here, at reuse, as guarded mode does). */
		if (slot_clean(p, cls))
			break;
		quarantine(p, meta, cls);
	}
	if (n < cls)
		mw__canary_put(h->key, p + n, cls - n);
	__atomic_store_n(meta, (uint16_t)n, __ATOMIC_RELEASE);
	counter_add(&tc->in_use, (long long)n);
	counter_add(&tc->live, 1);
	return p;
}

/* The fast path: this thread's cache of h, a slot of the class on it, and
 * still zero. No call on it, so that it saves no registers. */
static inline __attribute__((always_inline)) void *compact_alloc(struct mw_secret_heap *h, size_t n)
{
	struct mw_tcache *tc;
	struct mw_tbin *bin;
	uint16_t *meta;
	uint32_t k;
	size_t cls;
	char *p;
	int c;

	if (__builtin_expect(n > MW_SC_MAX, 0))
		return mw__large_alloc(h, n);
	c = mw__sc_tab[(n + 15) >> 4];
	if (__builtin_expect(mw__tl_id != h->id, 0))
		return alloc_slow(h, n, c);
	tc = mw__tl_tc;
	bin = &tc->bins[c];
	k = bin->n;
	cls = mw__sc_bytes[c];
	if (__builtin_expect(k == 0 || cls > 256, 0))
		return alloc_slow(h, n, c);
	/* Field by field, never the 16-byte entry at once: free() has just
	 * stored it as two 8-byte words, and one load spanning two stores
	 * cannot be forwarded from the store buffer (a stall of ~15 cycles, a
	 * fifth of the key store's alloc in perf). */
	p = bin->e[k - 1].p;
	meta = bin->e[k - 1].meta;
	if (__builtin_expect(!slot_clean(p, cls), 0))
		return alloc_slow(h, n, c); /* reports it, takes another */
	bin->n = k - 1;
	if (n < cls)
		mw__canary_put(h->key, p + n, cls - n);
	__atomic_store_n(meta, (uint16_t)n, __ATOMIC_RELEASE);
	counter_add(&tc->in_use, (long long)n);
	counter_add(&tc->live, 1);
	return p;
}

/*
 * Mark a slot free and return what it held: a double free is the second
 * call to see MW_SLOT_FREE. Two threads freeing one object at once must not
 * both see it live, so in a process with threads this is an atomic
 * exchange; it costs a locked instruction, which waits for the store buffer
 * to drain (~4 ns, a quarter of a free+alloc, measured with perf on
 * bench/secret-patterns' key store). While the process has one thread,
 * nothing can race: a plain load and store are the same check (glibc's
 * malloc skips its atomics the same way, SINGLE_THREAD_P). glibc (2.32+)
 * clears __libc_single_threaded in pthread_create() before the second
 * thread exists, so a free that read it as set has finished before any
 * other thread can free. A thread made with a raw clone(CLONE_VM), which
 * glibc does not know of, must not call the library (secret.h).
 */
static inline uint16_t take_size(uint16_t *meta)
{
#ifdef MW_HAVE_SINGLE_THREADED
	if (__libc_single_threaded) {
		uint16_t old = __atomic_load_n(meta, __ATOMIC_RELAXED);

		__atomic_store_n(meta, (uint16_t)MW_SLOT_FREE, __ATOMIC_RELAXED);
		return old;
	}
#endif
	return __atomic_exchange_n(meta, (uint16_t)MW_SLOT_FREE, __ATOMIC_ACQ_REL);
}

/* Slot index of p in slab ch, or -1 when p is not the start of a slot. */
static inline long slot_of(const struct mw_chunk *ch, const char *p)
{
	size_t rel = (size_t)(p - ch->map) - MW_SC_HDR;
	uint64_t i;

	if (rel >= ch->map_len)
		return -1;
	i = ((uint64_t)rel * ch->recip) >> 40;
	if (i >= ch->nslots || i * ch->stride != rel)
		return -1;
	return (long)i;
}

/* Check the canaries of a live slab object of n bytes; NULL if fine, else
 * the violation's description. */
static inline const char *slab_check(const struct mw_secret_heap *h, const char *p, size_t n,
				     size_t cls)
{
	if (!mw__canary_ok(h->key, p - 8, 8))
		return "canary before the object overwritten (underflow)";
	if (!mw__canary_ok(h->key, p + n, n < cls ? cls - n : 8))
		return "canary after the object overwritten (overflow)";
	return NULL;
}

/* A canary found overwritten at free: wipe, report; the slot stays out of
 * circulation. Out of line: the fast path then makes no call. */
static __attribute__((noinline)) void canary_broken(char *p, size_t n, const char *bad)
{
	mw__wipe(p, n);
	mw__violation(bad, p);
}

/* The end of a free that the fast path could not finish: a thread without
 * a cache for h yet (or none to be had), or a full bin. */
static __attribute__((noinline)) void free_slow(struct mw_secret_heap *h, struct mw_chunk *ch,
						char *p, size_t i, size_t n)
{
	struct mw_tcache *tc = tc_get(h);
	struct mw_tbin *bin;

	if (!tc) {
		/* No cache for this thread: straight to a central list. */
		bool pushed;

		pthread_mutex_lock(&h->shards[ch->shard].lock);
		pushed = mw__central_push(&h->shards[ch->shard].central[ch->cls], p, &ch->sizes[i]) == 0;
		if (pushed)
			ch->ncentral++;
		pthread_mutex_unlock(&h->shards[ch->shard].lock);
		if (pushed) {
			pthread_mutex_lock(&h->lock);
			h->folded_in_use -= (long long)n;
			h->folded_live--;
			pthread_mutex_unlock(&h->lock);
		}
		return;
	}
	bin = &tc->bins[ch->cls];
	if (bin->n >= bin->cap)
		mw__flush(tc, ch->cls, bin);
	bin->e[bin->n].p = p;
	bin->e[bin->n].meta = &ch->sizes[i];
	bin->n++;
	counter_add(&tc->in_use, -(long long)n);
	counter_add(&tc->live, -1);
}

static inline __attribute__((always_inline)) void compact_free(struct mw_secret_heap *h, void *ptr)
{
	char *p = ptr;
	struct mw_chunk *ch = mw__lookup(h, p);
	struct mw_tcache *tc;
	struct mw_tbin *bin;
	const char *bad;
	size_t cls, n, k;
	uint16_t old;
	long i;

	if (__builtin_expect(!ch, 0)) {
		mw__violation("invalid free (not an object of this heap)", p);
		return;
	}
	if (__builtin_expect(ch->kind != MW_CHUNK_SLAB, 0)) {
		if (ch->kind == MW_CHUNK_LARGE)
			mw__large_free(h, ch, p);
		else
			mw__violation("invalid free (not an object of this heap)", p);
		return;
	}
	i = slot_of(ch, p);
	if (__builtin_expect(i < 0, 0)) {
		mw__violation("invalid free (not the start of an object)", p);
		return;
	}
	old = take_size(&ch->sizes[i]);
	if (__builtin_expect(old >= MW_SLOT_QUAR, 0)) {
		if (old == MW_SLOT_QUAR) { /* stays out of circulation */
			__atomic_store_n(&ch->sizes[i], (uint16_t)MW_SLOT_QUAR, __ATOMIC_RELEASE);
			mw__violation("invalid free (quarantined object)", p);
			return;
		}
		mw__violation("double free (or free of a never allocated slot)", p);
		return;
	}
	n = old;
	cls = ch->stride - MW_SC_HDR;
	bad = slab_check(h, p, n, cls);
	if (__builtin_expect(bad != NULL, 0))
		return canary_broken(p, n, bad);
	k = cls - n;
	wipe16(p, n + (k > 8 ? 8 : k));
	if (__builtin_expect(mw__tl_id != h->id, 0))
		return free_slow(h, ch, p, (size_t)i, n);
	tc = mw__tl_tc;
	bin = &tc->bins[ch->cls];
	if (__builtin_expect(bin->n >= bin->cap, 0))
		return free_slow(h, ch, p, (size_t)i, n);
	bin->e[bin->n].p = p;
	bin->e[bin->n].meta = &ch->sizes[i];
	bin->n++;
	counter_add(&tc->in_use, -(long long)n);
	counter_add(&tc->live, -1);
}

void *mw__compact_alloc(struct mw_secret_heap *h, size_t n)
{
	return compact_alloc(h, n);
}

void mw__compact_free(struct mw_secret_heap *h, void *p)
{
	compact_free(h, p);
}

/* The public alloc and free live here, next to the compact fast path, so
 * that it is inlined into them. */
MW_API void *mw_secret_alloc(struct mw_secret_heap *h, size_t n)
{
	if (__builtin_expect(!h, 0)) {
		mw__secret_error("mw_secret_alloc: the heap is NULL");
		errno = EINVAL;
		return NULL;
	}
	if (mw__heap_foreign(h))
		return mw__foreign_refuse(h);
	if (__builtin_expect(h->mode == MW_SECRET_COMPACT, 1))
		return compact_alloc(h, n);
	return mw__guarded_alloc(h, n);
}

MW_API void mw_secret_free(struct mw_secret_heap *h, void *p)
{
	if (!p)
		return;
	if (__builtin_expect(!h, 0)) {
		mw__violation("invalid free (NULL heap)", p);
		return;
	}
	if (mw__heap_foreign(h))
		return; /* the parent's object: not ours to wipe (registry.c) */
	if (__builtin_expect(h->mode == MW_SECRET_COMPACT, 1))
		compact_free(h, p);
	else
		mw__guarded_free(h, p);
}

/*
 * Is p a live object of h, and of what size? Read-only and without a lock,
 * for any pointer at any time (libgcrypt's is_secure and OpenSSL's
 * CRYPTO_secure_allocated are asked about pointers that are not ours, or
 * no longer): at the limit another thread may be unmapping the slab or run
 * p points into and reusing its record for another chunk, so every field
 * of the record is read once, the size array is checked to lie in the
 * heap's metadata region (which stays mapped for the heap's life, as do
 * the records) before it is read, and the page table is read again after:
 * a record released or reused meanwhile gives "not ours". (The old code
 * read the fields as it went and followed a size array pointer that a
 * release had just wiped: SIGSEGV, red-team round 3.)
 */
static bool compact_query(const struct mw_secret_heap *h, const char *p, size_t *size)
{
	struct mw_chunk *ch = mw__lookup(h, p);
	uint8_t kind;
	char *map;
	bool live = false;
	size_t n = 0;

	if (!ch)
		return false;
	kind = __atomic_load_n(&ch->kind, __ATOMIC_ACQUIRE);
	map = __atomic_load_n(&ch->map, __ATOMIC_ACQUIRE);
	if (kind == MW_CHUNK_LARGE) {
		n = __atomic_load_n(&ch->n, __ATOMIC_ACQUIRE);
		live = map && p == map + MW_SC_HDR &&
		       __atomic_load_n(&ch->state, __ATOMIC_ACQUIRE) == 1;
	} else if (kind == MW_CHUNK_SLAB) {
		uint32_t stride = __atomic_load_n(&ch->stride, __ATOMIC_ACQUIRE);
		uint32_t nslots = __atomic_load_n(&ch->nslots, __ATOMIC_ACQUIRE);
		uint16_t *sizes = __atomic_load_n(&ch->sizes, __ATOMIC_ACQUIRE);
		size_t rel, i;

		if (!map || !stride || !sizes || (const char *)p < map + MW_SC_HDR)
			return false;
		rel = (size_t)(p - map) - MW_SC_HDR;
		i = rel / stride;
		if (i * stride != rel || i >= nslots || (char *)sizes < h->sizes_base ||
		    (char *)(sizes + nslots) > h->sizes_end)
			return false;
		n = __atomic_load_n(&sizes[i], __ATOMIC_ACQUIRE);
		live = n < MW_SLOT_QUAR;
	}
	if (!live || mw__lookup(h, p) != ch || __atomic_load_n(&ch->map, __ATOMIC_ACQUIRE) != map)
		return false;
	*size = n;
	return true;
}

size_t mw__compact_size(const struct mw_secret_heap *h, const void *ptr)
{
	size_t n;

	return compact_query(h, ptr, &n) ? n : 0;
}

bool mw__compact_owns(const struct mw_secret_heap *h, const void *ptr)
{
	size_t n;

	return compact_query(h, ptr, &n);
}

void *mw__compact_realloc(struct mw_secret_heap *h, void *ptr, size_t n)
{
	char *p = ptr, *q;
	struct mw_chunk *ch = mw__lookup(h, p);
	size_t old, cls, lo, kold;
	const char *bad;
	long i;

	if (!ch || (ch->kind == MW_CHUNK_SLAB ? slot_of(ch, p) < 0
					       : (ch->kind != MW_CHUNK_LARGE ||
						  p != ch->map + MW_SC_HDR))) {
		mw__violation("invalid realloc (not an object of this heap)", p);
		mw__secret_error("mw_secret_realloc: %p is not an object of this heap", (void *)p);
		errno = EINVAL;
		return NULL;
	}
	if (ch->kind == MW_CHUNK_SLAB) {
		i = slot_of(ch, p);
		old = __atomic_load_n(&ch->sizes[i], __ATOMIC_ACQUIRE);
		if (old >= MW_SLOT_QUAR) {
			mw__violation("realloc of a freed object", p);
			mw__secret_error("mw_secret_realloc: %p was freed", (void *)p);
			errno = EINVAL;
			return NULL;
		}
		cls = ch->stride - MW_SC_HDR;
		if ((bad = slab_check(h, p, old, cls))) {
			mw__violation(bad, p);
			mw__secret_error("mw_secret_realloc: %s at %p", bad, (void *)p);
			errno = EINVAL;
			return NULL;
		}
		if (n <= MW_SC_MAX && mw__sc_tab[(n + 15) >> 4] == ch->cls) {
			/* Same class: resize in place, move the tail canary. */
			struct mw_tcache *tc = tc_get(h);

			kold = cls - old > 8 ? 8 : cls - old;
			lo = n < old ? n : old;
			mw__wipe(p + lo, old + kold - lo);
			if (n < cls)
				mw__canary_put(h->key, p + n, cls - n);
			__atomic_store_n(&ch->sizes[i], (uint16_t)n, __ATOMIC_RELEASE);
			if (tc)
				counter_add(&tc->in_use, (long long)n - (long long)old);
			return p;
		}
	} else {
		if (__atomic_load_n(&ch->state, __ATOMIC_ACQUIRE) != 1) {
			mw__violation("realloc of a freed object", p);
			mw__secret_error("mw_secret_realloc: %p was freed", (void *)p);
			errno = EINVAL;
			return NULL;
		}
		old = ch->n;
	}
	q = mw__compact_alloc(h, n);
	if (!q)
		return NULL;
	memcpy(q, p, n < old ? n : old);
	mw__compact_free(h, p);
	return q;
}
