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
 * Per-thread caches: each thread holds up to 64 free slots per class and
 * takes/returns them 32 at a time from central lists; in the steady state
 * alloc and free take no lock and make no syscall. The central lists are
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
 * slots of other shards. The price: up to one partly used slab per class
 * and shard, locked. Slabs hand out slots in
 * groups of 32 (one cache line of sizes[], whole lines of slots), and
 * every piece of metadata a thread writes (sizes[], the thread cache, the
 * shards, the heap's lock) sits on cache lines of its own.
 *
 * Larger objects get a run of their own: large.c.
 */
#include "secret/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define TC_CAP 64
#define TC_BATCH 32

struct mw_tbin {
	uint32_t n;
	struct mw_central_entry e[TC_CAP];
};

struct mw_tcache {
	struct mw_secret_heap *h;
	struct mw_shard *shard;       /* where refills come from, flushes go */
	struct mw_tcache *next, *prev;
	long long in_use, live;       /* net bytes/objects of this thread */
	struct mw_tbin bins[MW_SC_COUNT];
};

static uint8_t sc_tab[MW_SC_MAX / 16 + 1];   /* (n + 15) >> 4 -> class */
static uint16_t sc_bytes[MW_SC_COUNT];
static pthread_once_t sc_once = PTHREAD_ONCE_INIT;

static __thread uint64_t tl_id __attribute__((tls_model("initial-exec")));
static __thread struct mw_tcache *tl_tc __attribute__((tls_model("initial-exec")));

static void sc_init(void)
{
	for (size_t i = 0; i <= MW_SC_MAX / 16; i++)
		sc_tab[i] = (uint8_t)mw__sc_index(i * 16);
	for (int i = 0; i < MW_SC_COUNT; i++)
		sc_bytes[i] = (uint16_t)mw__sc_size(i);
}

static inline void counter_add(long long *c, long long v)
{
	/* Only the owning thread writes; mw_secret_heap_stats() reads. */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

int mw__compact_init(struct mw_secret_heap *h)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	pthread_once(&sc_once, sc_init);
	h->nshards = ncpu < 1 ? 1 : ncpu > MW_SHARDS_MAX ? MW_SHARDS_MAX : (unsigned int)ncpu;
	h->shards = mw__calloc_lines(h->nshards * sizeof(*h->shards));
	if (!h->shards) {
		h->nshards = 0;
		mw__secret_error("out of memory for the heap's metadata");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < h->nshards; i++)
		pthread_mutex_init(&h->shards[i].lock, NULL);
	return 0;
}

static int central_push(struct mw_central *c, char *p, uint16_t *meta)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct mw_central_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].p = p;
	c->v[c->n].meta = meta;
	c->n++;
	return 0;
}

/* The shard a free slot goes back to: the one whose slab it is. Slots
 * freed by another thread than the one that took them (a producer and a
 * consumer) thus return to the producer's shard, which reuses them instead
 * of growing: the heap stays bounded by live objects plus caches. */
static inline unsigned int owner_shard(const struct mw_secret_heap *h, const char *p)
{
	const struct mw_chunk *ch = mw__lookup(h, p);

	return ch ? ch->shard : 0;
}

/* Push n entries of class c back to their owners' central lists, one lock
 * at a time. */
static void give_back(struct mw_secret_heap *h, int c, const struct mw_central_entry *e,
		      uint32_t n)
{
	uint8_t sh[TC_CAP];
	uint32_t done = 0;

	for (uint32_t i = 0; i < n; i++)
		sh[i] = (uint8_t)owner_shard(h, e[i].p);
	for (unsigned int s = 0; s < h->nshards && done < n; s++) {
		bool locked = false;

		for (uint32_t i = 0; i < n; i++) {
			if (sh[i] != s)
				continue;
			if (!locked) {
				pthread_mutex_lock(&h->shards[s].lock);
				locked = true;
			}
			/* Out of memory: the slot is lost, still wiped. */
			central_push(&h->shards[s].central[c], e[i].p, e[i].meta);
			done++;
		}
		if (locked)
			pthread_mutex_unlock(&h->shards[s].lock);
	}
}

/* Give a thread cache's slots back. */
static void tc_give_back(struct mw_tcache *tc)
{
	for (int c = 0; c < MW_SC_COUNT; c++) {
		give_back(tc->h, c, tc->bins[c].e, tc->bins[c].n);
		tc->bins[c].n = 0;
	}
}

/* Unlink a thread cache, fold its counters. Called with h->lock. */
static void tc_release_locked(struct mw_secret_heap *h, struct mw_tcache *tc)
{
	tc->shard->ntc--;
	h->folded_in_use += __atomic_load_n(&tc->in_use, __ATOMIC_RELAXED);
	h->folded_live += __atomic_load_n(&tc->live, __ATOMIC_RELAXED);
	if (tc->prev)
		tc->prev->next = tc->next;
	else
		h->tcaches = tc->next;
	if (tc->next)
		tc->next->prev = tc->prev;
}

/* Thread exit (registry.c, the heap is alive and ours). */
void mw__tc_thread_exit(struct mw_secret_heap *h, struct mw_tcache *tc)
{
	tc_give_back(tc);
	pthread_mutex_lock(&h->lock);
	tc_release_locked(h, tc);
	pthread_mutex_unlock(&h->lock);
	if (tl_tc == tc)
		tl_id = 0;
	free(tc);
}

void mw__compact_fini(struct mw_secret_heap *h)
{
	struct mw_tcache *tc, *next;

	if (!mw__heap_foreign(h))
		mw__tc_detach_self(h);
	for (tc = h->tcaches; tc; tc = next) {
		next = tc->next;
		free(tc);
	}
	h->tcaches = NULL;
	for (unsigned int i = 0; i < h->nshards; i++) {
		for (int c = 0; c < MW_SC_COUNT; c++)
			free(h->shards[i].central[c].v);
		if (!mw__heap_foreign(h)) /* a copy maybe locked at fork: leave it */
			pthread_mutex_destroy(&h->shards[i].lock);
	}
	free(h->shards);
	h->shards = NULL;
	h->nshards = 0;
}

void mw__compact_counters(struct mw_secret_heap *h, long long *in_use, long long *live)
{
	*in_use = h->folded_in_use;
	*live = h->folded_live;
	for (struct mw_tcache *tc = h->tcaches; tc; tc = tc->next) {
		*in_use += __atomic_load_n(&tc->in_use, __ATOMIC_RELAXED);
		*live += __atomic_load_n(&tc->live, __ATOMIC_RELAXED);
	}
}

static __attribute__((noinline)) struct mw_tcache *tc_slow(struct mw_secret_heap *h)
{
	struct mw_tcache *tc = mw__tc_find(h);

	if (!tc) {
		struct mw_shard *sh;

		/* Lines of its own: its counters are written on every call. */
		tc = mw__calloc_lines(sizeof(*tc));
		if (!tc)
			return NULL;
		tc->h = h;
		if (mw__tc_attach(h, tc) < 0) {
			free(tc);
			return NULL;
		}
		pthread_mutex_lock(&h->lock);
		sh = &h->shards[0];
		for (unsigned int i = 1; i < h->nshards; i++)
			if (h->shards[i].ntc < sh->ntc)
				sh = &h->shards[i];
		sh->ntc++;
		tc->shard = sh;
		tc->next = h->tcaches;
		if (h->tcaches)
			h->tcaches->prev = tc;
		h->tcaches = tc;
		pthread_mutex_unlock(&h->lock);
	}
	tl_tc = tc;
	tl_id = h->id;
	return tc;
}

static inline struct mw_tcache *tc_get(struct mw_secret_heap *h)
{
	if (__builtin_expect(tl_id == h->id, 1))
		return tl_tc;
	return tc_slow(h);
}

/* A new slab for class c, its slots pushed on cen. Called with the lock of
 * cen's shard; takes h->lock. */
/* Bytes of a slab of class c: the chunk size, or more when a chunk cannot
 * hold one slot of the class (a small chunk_size must not make a class
 * unusable). */
static size_t slab_len(const struct mw_secret_heap *h, size_t stride)
{
	size_t len = h->chunk;

	if (len < stride + MW_SC_HDR)
		len = (stride + MW_SC_HDR + h->page - 1) & ~(h->page - 1);
	return len;
}

/* A new slab for class c of shard sh, its slots pushed on sh's central
 * list. Called with sh->lock; takes h->lock. */
static int slab_new(struct mw_secret_heap *h, struct mw_shard *sh, int c)
{
	struct mw_central *cen = &sh->central[c];
	size_t cls = sc_bytes[c], stride = cls + MW_SC_HDR, len = slab_len(h, stride);
	size_t nslots = (len - MW_SC_HDR) / stride, off;
	struct mw_chunk *ch;
	int err;

	/* Lines of their own: the chunk is read by every free, sizes[] is
	 * written by every alloc and free, 32 slots a line. */
	ch = mw__calloc_lines(sizeof(*ch));
	if (ch)
		ch->sizes = mw__calloc_lines(nslots * sizeof(*ch->sizes));
	if (!ch || !ch->sizes || cen->cap - cen->n < nslots) {
		struct mw_central_entry *v = NULL;
		size_t cap = cen->n + nslots;

		if (ch && ch->sizes && (v = realloc(cen->v, cap * sizeof(*v)))) {
			cen->v = v;
			cen->cap = cap;
		} else {
			if (ch)
				free(ch->sizes);
			free(ch);
			mw__secret_error("out of memory for slab metadata");
			return -ENOMEM;
		}
	}
	pthread_mutex_lock(&h->lock);
	err = mw__reserve(h, len, &off);
	if (!err) {
		err = mw__backing_map(h, off, len);
		if (err && h->bump == off + len)
			h->bump = off;
	}
	if (err) {
		pthread_mutex_unlock(&h->lock);
		free(ch->sizes);
		free(ch);
		return err;
	}
	ch->kind = MW_CHUNK_SLAB;
	ch->cls = (uint8_t)c;
	ch->shard = (uint8_t)(sh - h->shards);
	ch->stride = (uint32_t)stride;
	ch->nslots = (uint32_t)nslots;
	ch->recip = (((uint64_t)1 << 40) + stride - 1) / stride;
	ch->map = h->base + off;
	ch->map_len = len;
	ch->span = len;
	memset(ch->sizes, 0xff, nslots * sizeof(*ch->sizes));
	for (size_t i = 0; i <= nslots; i++) {
		char *gap = ch->map + i * stride;

		mw__canary_put(h->key, gap, 8);
		mw__canary_put(h->key, gap + 8, 8);
	}
	/* Lowest addresses on top of the stack: handed out first. */
	for (size_t i = nslots; i-- > 0;) {
		cen->v[cen->n].p = ch->map + i * stride + MW_SC_HDR;
		cen->v[cen->n].meta = &ch->sizes[i];
		cen->n++;
	}
	mw__chunk_link(h, ch);
	mw__pagetab_set(h, ch->map, ch->map_len, ch);
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/* Move up to TC_BATCH slots from the top of cen to the (empty) bin. Called
 * with the lock of cen's shard. Keeps the central order: the top of the
 * central stack becomes the top of the bin. */
static uint32_t take_batch(struct mw_central *cen, struct mw_tbin *bin)
{
	uint32_t take = cen->n < TC_BATCH ? (uint32_t)cen->n : TC_BATCH;

	if (take == 0)
		return 0; /* cen->v may be NULL */
	memcpy(bin->e, cen->v + cen->n - take, take * sizeof(bin->e[0]));
	cen->n -= take;
	bin->n = take;
	return take;
}

/* Take a batch from another shard holding at least `min` free slots of
 * class c (one lock at a time). */
static bool steal(struct mw_secret_heap *h, struct mw_shard *own, int c, struct mw_tbin *bin,
		  size_t min)
{
	for (unsigned int i = 1; i < h->nshards; i++) {
		struct mw_shard *sh = &h->shards[((size_t)(own - h->shards) + i) % h->nshards];

		if (__atomic_load_n(&sh->central[c].n, __ATOMIC_RELAXED) < min)
			continue;
		pthread_mutex_lock(&sh->lock);
		if (sh->central[c].n >= min)
			take_batch(&sh->central[c], bin);
		pthread_mutex_unlock(&sh->lock);
		if (bin->n)
			return true;
	}
	return false;
}

static __attribute__((noinline)) int refill(struct mw_secret_heap *h, struct mw_tcache *tc, int c,
					    struct mw_tbin *bin)
{
	struct mw_shard *own = tc->shard;
	int err = 0;

	pthread_mutex_lock(&own->lock);
	take_batch(&own->central[c], bin);
	pthread_mutex_unlock(&own->lock);
	if (bin->n)
		return 0;
	pthread_mutex_lock(&own->lock);
	if (own->central[c].n == 0)
		err = slab_new(h, own, c);
	take_batch(&own->central[c], bin);
	pthread_mutex_unlock(&own->lock);
	if (bin->n)
		return 0;
	/* No new slab (memlock, max_locked, the reservation): any free slot. */
	if (steal(h, own, c, bin, 1)) {
		mw__secret_clear_error();
		return 0;
	}
	errno = err ? -err : ENOMEM;
	return -1;
}

static __attribute__((noinline)) void flush(struct mw_tcache *tc, int c, struct mw_tbin *bin)
{
	uint32_t give = TC_BATCH;

	give_back(tc->h, c, bin->e, give);
	memmove(bin->e, bin->e + give, (bin->n - give) * sizeof(bin->e[0]));
	bin->n -= give;
}

/* ---- the fast path ---- */

/* Wipe len bytes at p (16-byte aligned), rounded up to 16: the rest of the
 * class is zero already, and the class is a multiple of 16, so the rounded
 * length stays inside the slot. Inline 16-byte stores: a libc memset call
 * costs as much as the rest of a small free. */
static inline void wipe16(char *p, size_t len)
{
	typedef uint64_t v16 __attribute__((vector_size(16), aligned(16)));

	if (len > 256) {
		mw__wipe(p, (len + 15) & ~(size_t)15);
		return;
	}
	for (size_t i = 0; i < len; i += 16) {
		*(v16 *)(void *)(p + i) = (v16){ 0, 0 };
		__asm__ __volatile__("" : : "r"(p) : "memory"); /* no memset idiom */
	}
}

/* Is a free slot of cls bytes still all zero (freed slots are wiped)?
 * 16-byte loads OR'ed together and one test at the end: on the fast path. */
static inline bool slot_clean(const char *p, size_t cls)
{
	typedef uint64_t v16 __attribute__((vector_size(16), aligned(16)));
	v16 acc = *(const v16 *)(const void *)p;

	if (__builtin_expect(cls > 256, 0))
		return mw__all_zero(p, cls);
	for (size_t i = 16; i < cls; i += 16)
		acc |= *(const v16 *)(const void *)(p + i);
	return (acc[0] | acc[1]) == 0;
}

/* A free slot that was written to after its free: keep it out of use. */
static __attribute__((noinline)) void quarantine(struct mw_central_entry e, size_t cls)
{
	__atomic_store_n(e.meta, (uint16_t)MW_SLOT_QUAR, __ATOMIC_RELEASE);
	mw__wipe(e.p, cls);
	mw__violation("write after free (a freed compact slot was modified)", e.p);
}

static inline void *compact_alloc(struct mw_secret_heap *h, size_t n)
{
	struct mw_tcache *tc;
	struct mw_tbin *bin;
	struct mw_central_entry e;
	size_t cls;
	int c;

	if (__builtin_expect(n > MW_SC_MAX, 0))
		return mw__large_alloc(h, n);
	c = sc_tab[(n + 15) >> 4];
	tc = tc_get(h);
	if (__builtin_expect(!tc, 0)) {
		mw__secret_error("out of memory for the thread cache");
		errno = ENOMEM;
		return NULL;
	}
	bin = &tc->bins[c];
	cls = sc_bytes[c];
	do {
		if (__builtin_expect(bin->n == 0, 0) && refill(h, tc, c, bin) < 0)
			return NULL;
		e = bin->e[--bin->n];
		/* Freed bytes are zero: a slot that is not was written after its
		 * free (checked here, at reuse, as guarded mode does). */
		if (__builtin_expect(slot_clean(e.p, cls), 1))
			break;
		quarantine(e, cls);
	} while (1);
	if (n < cls)
		mw__canary_put(h->key, e.p + n, cls - n);
	__atomic_store_n(e.meta, (uint16_t)n, __ATOMIC_RELEASE);
	counter_add(&tc->in_use, (long long)n);
	counter_add(&tc->live, 1);
	return e.p;
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

static inline void compact_free(struct mw_secret_heap *h, void *ptr)
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
	old = __atomic_exchange_n(&ch->sizes[i], (uint16_t)MW_SLOT_FREE, __ATOMIC_ACQ_REL);
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
	if (__builtin_expect(bad != NULL, 0)) {
		mw__wipe(p, n); /* the slot stays out of circulation */
		mw__violation(bad, p);
		return;
	}
	k = cls - n;
	wipe16(p, n + (k > 8 ? 8 : k));
	tc = tc_get(h);
	if (__builtin_expect(!tc, 0)) {
		/* No cache for this thread: straight to a central list. */
		bool pushed;

		pthread_mutex_lock(&h->shards[ch->shard].lock);
		pushed = central_push(&h->shards[ch->shard].central[ch->cls], p, &ch->sizes[i]) == 0;
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
	if (__builtin_expect(bin->n == TC_CAP, 0))
		flush(tc, ch->cls, bin);
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

size_t mw__compact_size(const struct mw_secret_heap *h, const void *ptr)
{
	const char *p = ptr;
	struct mw_chunk *ch = mw__lookup(h, p);
	uint16_t v;
	long i;

	if (!ch)
		return 0;
	if (ch->kind == MW_CHUNK_LARGE)
		return p == ch->map + MW_SC_HDR && __atomic_load_n(&ch->state, __ATOMIC_ACQUIRE) == 1
			       ? ch->n : 0;
	if (ch->kind != MW_CHUNK_SLAB || (i = slot_of(ch, p)) < 0)
		return 0;
	v = __atomic_load_n(&ch->sizes[i], __ATOMIC_ACQUIRE);
	return v >= MW_SLOT_QUAR ? 0 : v;
}

bool mw__compact_owns(const struct mw_secret_heap *h, const void *ptr)
{
	const char *p = ptr;
	struct mw_chunk *ch = mw__lookup(h, p);
	long i;

	if (!ch)
		return false;
	if (ch->kind == MW_CHUNK_LARGE)
		return p == ch->map + MW_SC_HDR && __atomic_load_n(&ch->state, __ATOMIC_ACQUIRE) == 1;
	if (ch->kind != MW_CHUNK_SLAB || (i = slot_of(ch, p)) < 0)
		return false;
	return __atomic_load_n(&ch->sizes[i], __ATOMIC_ACQUIRE) < MW_SLOT_QUAR;
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
		errno = EINVAL;
		return NULL;
	}
	if (ch->kind == MW_CHUNK_SLAB) {
		i = slot_of(ch, p);
		old = __atomic_load_n(&ch->sizes[i], __ATOMIC_ACQUIRE);
		if (old >= MW_SLOT_QUAR) {
			mw__violation("realloc of a freed object", p);
			errno = EINVAL;
			return NULL;
		}
		cls = ch->stride - MW_SC_HDR;
		if ((bad = slab_check(h, p, old, cls))) {
			mw__violation(bad, p);
			errno = EINVAL;
			return NULL;
		}
		if (n <= MW_SC_MAX && sc_tab[(n + 15) >> 4] == ch->cls) {
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
