/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The secret heap's public entry points: create, destroy, dispatch, stats. */
#include "secret/internal.h"
#include "core/opts.h"

#include <errno.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#define DEFAULT_CHUNK ((size_t)64 << 10)
#define MAX_CHUNK ((size_t)64 << 20)
#define DEFAULT_RESERVE ((size_t)1 << 30)
#define DEFAULT_GBATCH 8u

static uint64_t next_heap_id = 1;

static size_t round_up(size_t v, size_t a)
{
	return (v + a - 1) / a * a;
}

static int check_opts(const struct mw_secret_opts *in, struct mw_secret_opts *o)
{
	if (mw__opts_in(o, sizeof(*o), sizeof(*o), in) < 0) {
		mw__secret_error("mw_secret_opts.sz is %zu (or bytes past the struct this library "
				 "knows are set): set it to sizeof(struct mw_secret_opts)", in->sz);
		return -EINVAL;
	}
	if (o->flags & ~MW_SECRET_FLAGS_ALL) {
		mw__secret_error("unknown flag bits 0x%x", o->flags & ~MW_SECRET_FLAGS_ALL);
		return -EINVAL;
	}
	if ((o->flags & MW_SECRET_NO_FALLBACK) && (o->flags & MW_SECRET_FORCE_FALLBACK)) {
		mw__secret_error("MW_SECRET_NO_FALLBACK and MW_SECRET_FORCE_FALLBACK exclude each other");
		return -EINVAL;
	}
	if (o->mode != MW_SECRET_COMPACT && o->mode != MW_SECRET_GUARDED) {
		mw__secret_error("unknown mode %d", (int)o->mode);
		return -EINVAL;
	}
	if (o->chunk_size > MAX_CHUNK) {
		mw__secret_error("chunk_size %zu above the maximum (%zu)", o->chunk_size, MAX_CHUNK);
		return -EINVAL;
	}
	if (o->guarded_batch > MW_GBATCH_MAX) {
		mw__secret_error("guarded_batch %u above the maximum (%u)", o->guarded_batch, MW_GBATCH_MAX);
		return -EINVAL;
	}
	/* rounded up to a chunk later: keep the sum from wrapping to 0 */
	if (o->reserve > SIZE_MAX / 2) {
		mw__secret_error("reserve %zu is larger than any address space", o->reserve);
		return -EINVAL;
	}
	return 0;
}

/*
 * The canary key. A sandbox that predates getrandom(2) or refuses it (EPERM,
 * EACCES from seccomp; ENOSYS) often lets /dev/urandom be read: the key
 * comes from there then, and the heap is not refused for want of a syscall
 * it does not need otherwise. -errno when neither gives 8 bytes.
 */
static int canary_key(uint64_t *key)
{
	int fd, e;
	ssize_t n;

	if (getrandom(key, sizeof(*key), 0) == (ssize_t)sizeof(*key))
		return 0;
	e = errno;
	if (e != ENOSYS && e != EPERM && e != EACCES) {
		mw__secret_error("getrandom for the canary key: %s", strerror(e));
		return -e;
	}
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, key, sizeof(*key));
	if (n != (ssize_t)sizeof(*key)) {
		int e2 = n < 0 ? errno : EIO;

		if (fd >= 0)
			close(fd);
		mw__secret_error("no randomness for the canary key: getrandom: %s; /dev/urandom: %s",
				 strerror(e), strerror(e2));
		return -e;
	}
	close(fd);
	return 0;
}

static size_t one_alloc(const struct mw_secret_heap *h)
{
	return h->mode == MW_SECRET_COMPACT ? (h->chunk > 2 * h->page ? h->chunk : 2 * h->page) : h->page;
}

static size_t min_reserve(const struct mw_secret_heap *h)
{
	return h->mode == MW_SECRET_COMPACT ? (MW_SC_COUNT + 1) * one_alloc(h) + h->page : 64 * h->page;
}

/* Limits that would let heap_new succeed and every allocation fail are
 * refused here. The smallest useful heap: compact, one slab of every class
 * (a chunk, or two pages for the 4 KiB class when chunks are smaller) and a
 * guard page; guarded, one slot of one page. */
static int check_limits(const struct mw_secret_heap *h)
{
	size_t one = one_alloc(h), min_resv = min_reserve(h);

	if (h->max_locked && h->max_locked < one) {
		mw__secret_error("max_locked %zu is below what one allocation maps (%zu bytes): "
				 "no allocation could ever succeed", h->max_locked, one);
		return -EINVAL;
	}
	if (h->resv < min_resv) {
		mw__secret_error("reserve %zu is below the minimum for this mode and chunk size "
				 "(%zu bytes)", h->resv, min_resv);
		return -EINVAL;
	}
	/* A slab bigger than the whole RLIMIT_MEMLOCK can never be locked by a
	 * process without CAP_IPC_LOCK (with it, some kernels still charge
	 * secretmem to the limit: the first growth then says so). */
	if (h->mode == MW_SECRET_COMPACT) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    one > rl.rlim_cur && !mw__cap_effective(MW_CAP_IPC_LOCK)) {
			mw__secret_error("chunk_size %zu is larger than RLIMIT_MEMLOCK (%llu bytes) and "
					 "the process has no CAP_IPC_LOCK: no slab could ever be locked; "
					 "choose a smaller chunk_size or raise RLIMIT_MEMLOCK", one,
					 (unsigned long long)rl.rlim_cur);
			return -EAGAIN;
		}
	}
	return 0;
}

void *mw__foreign_refuse(const struct mw_secret_heap *h)
{
	(void)h;
	mw__secret_error("this heap was created by the parent process before fork(): a child "
			 "cannot allocate from it (create a heap of its own)");
	errno = EPERM;
	return NULL;
}

MW_API struct mw_secret_heap *mw_secret_heap_new(const struct mw_secret_opts *opts)
{
	struct mw_secret_opts o;
	struct mw_secret_heap *h;
	long pg = sysconf(_SC_PAGESIZE);
	int err;

	mw__secret_clear_error();
	err = check_opts(opts, &o);
	if (err < 0) {
		errno = -err;
		return NULL;
	}
	h = mw__calloc_lines(sizeof(*h));
	if (!h) {
		mw__secret_error("out of memory for the heap's metadata");
		errno = ENOMEM;
		return NULL;
	}
	h->gen = __atomic_load_n(&mw__fork_gen, __ATOMIC_ACQUIRE);
	h->id = __atomic_fetch_add(&next_heap_id, 1, __ATOMIC_RELAXED);
	h->mode = o.mode;
	h->flags = o.flags;
	h->page = pg > 0 ? (size_t)pg : 4096;
	h->pshift = (unsigned int)__builtin_ctzll((unsigned long long)h->page);
	h->chunk = round_up(o.chunk_size ? o.chunk_size : DEFAULT_CHUNK, h->page);
	/* A whole chunk in compact mode, a page in guarded mode (which has no
	 * chunks); the default grows with a large chunk_size, so that every
	 * chunk_size the page allows works without a reserve of its own. */
	h->resv = round_up(o.reserve ? o.reserve : DEFAULT_RESERVE,
			   h->mode == MW_SECRET_COMPACT ? h->chunk : h->page);
	if (!o.reserve && h->resv < min_reserve(h))
		h->resv = round_up(min_reserve(h), h->chunk);
	h->max_locked = o.max_locked;
	h->gbatch = o.guarded_batch ? o.guarded_batch : DEFAULT_GBATCH;
	pthread_mutex_init(&h->lock, NULL);
	err = check_limits(h);
	if (!err)
		err = mw__registry_add(h);
	if (err < 0)
		goto fail;

	err = canary_key(&h->key);
	if (err < 0)
		goto fail;
	/* Two mappings of its own (the reservation, the metadata region):
	 * refused where they would leave the rest of the process less than a
	 * quarter of vm.max_map_count (32,737 empty heaps starved a process). */
	err = mw__secret_maps_take(2);
	if (err < 0)
		goto fail;
	h->maps_taken = true;
	/* Metadata (page table, records): MADV_DONTDUMP, faulted in as used. */
	err = mw__meta_init(h);
	if (err < 0)
		goto fail;
	err = mw__backing_open(h);
	if (err < 0)
		goto fail;
	if (h->mode == MW_SECRET_COMPACT) {
		err = mw__compact_init(h);
		if (err < 0)
			goto fail;
	}
	return h;
fail:
	mw_secret_heap_destroy(h);
	errno = -err;
	return NULL;
}

/* destroy in a child of fork(): free our copies of the metadata only. The
 * secret pages are the parent's (shared, with SHARE_WITH_CHILDREN) or absent
 * here (MADV_DONTFORK: their addresses may hold the child's own mappings
 * now), so nothing is wiped or unmapped but what the child really has. */
static void destroy_foreign(struct mw_secret_heap *h)
{
	mw__registry_remove(h);
	if (h->mode == MW_SECRET_COMPACT)
		mw__compact_fini(h);
	mw__span_free_all(h);
	if ((h->flags & MW_SECRET_SHARE_WITH_CHILDREN) || h->child_resv)
		munmap(h->base, h->resv); /* the child's own view, or its hold on the range */
	mw__meta_fini(h); /* the records of every chunk */
	free(h);
}

MW_API void mw_secret_heap_destroy(struct mw_secret_heap *h)
{
	struct mw_chunk *c, *next;

	if (!h)
		return;
	if (mw__heap_foreign(h)) {
		destroy_foreign(h);
		return;
	}
	mw__registry_remove(h);
	if (h->mode == MW_SECRET_COMPACT)
		mw__compact_fini(h);
	mw__guarded_forget(h);
	for (c = h->all; c; c = next) {
		next = c->all;
		if (c->kind == MW_CHUNK_GSLOT && c->cold)
			continue; /* never faulted in: nothing to wipe, and touching faults */
		if (c->kind == MW_CHUNK_GSLOT && c->prot != MW_SECRET_READWRITE)
			mprotect(c->map, c->map_len, PROT_READ | PROT_WRITE);
		mw__wipe(c->map, c->map_len);
	}
	mw__span_free_all(h);
	if (h->backing == MW_SECRET_BACKING_SECRETMEM && h->base)
		mw__backing_forget(h->locked);
	mw__backing_close(h);
	mw__meta_fini(h); /* the records of every chunk */
	if (h->maps_taken)
		mw__secret_maps_give(2);
	pthread_mutex_destroy(&h->lock);
	mw__wipe(&h->key, sizeof(h->key));
	free(h);
}

MW_API void *mw_secret_realloc(struct mw_secret_heap *h, void *p, size_t n)
{
	if (!h) {
		mw__secret_error("mw_secret_realloc: the heap is NULL");
		errno = EINVAL;
		return NULL;
	}
	if (mw__heap_foreign(h))
		return mw__foreign_refuse(h);
	if (!p)
		return mw_secret_alloc(h, n);
	if (n == 0) {
		mw_secret_free(h, p);
		return NULL;
	}
	if (h->mode == MW_SECRET_COMPACT)
		return mw__compact_realloc(h, p, n);
	return mw__guarded_realloc(h, p, n);
}

MW_API size_t mw_secret_size(const struct mw_secret_heap *h, const void *p)
{
	if (!h || !p || mw__heap_foreign(h))
		return 0;
	if (h->mode == MW_SECRET_COMPACT)
		return mw__compact_size(h, p);
	return mw__guarded_size(h, p);
}

MW_API int mw_secret_owns(const struct mw_secret_heap *h, const void *p)
{
	if (!h || !p)
		return 0;
	/* Read-only, so also on a parent's heap in a child of fork(). */
	return h->mode == MW_SECRET_COMPACT ? mw__compact_owns(h, p) : mw__guarded_owns(h, p);
}

MW_API int mw_secret_protect(struct mw_secret_heap *h, void *p, int prot)
{
	if (!h || !p) {
		mw__secret_error("mw_secret_protect: the %s is NULL", h ? "object" : "heap");
		return -EINVAL;
	}
	if (mw__heap_foreign(h)) {
		mw__secret_error("mw_secret_protect: the heap belongs to the parent process (fork)");
		return -EPERM;
	}
	if (h->mode != MW_SECRET_GUARDED) {
		mw__secret_error("mw_secret_protect: only guarded heaps can change an object's protection");
		return -EOPNOTSUPP;
	}
	if (prot != MW_SECRET_NOACCESS && prot != MW_SECRET_READONLY && prot != MW_SECRET_READWRITE) {
		mw__secret_error("mw_secret_protect: unknown protection %d", prot);
		return -EINVAL;
	}
	return mw__guarded_protect(h, p, prot);
}

MW_API enum mw_secret_backing mw_secret_heap_backing(const struct mw_secret_heap *h)
{
	return h ? h->backing : MW_SECRET_BACKING_MLOCK;
}

MW_API const char *mw_secret_backing_name(enum mw_secret_backing b)
{
	switch (b) {
	case MW_SECRET_BACKING_SECRETMEM: return "secretmem";
	case MW_SECRET_BACKING_MLOCK: return "mlock";
	}
	return NULL;
}

MW_API const char *mw_secret_mode_name(enum mw_secret_mode m)
{
	switch (m) {
	case MW_SECRET_COMPACT: return "compact";
	case MW_SECRET_GUARDED: return "guarded";
	}
	return NULL;
}

MW_API const char *mw_secret_heap_fallback_reason(const struct mw_secret_heap *h)
{
	return h ? h->fallback_reason : "";
}

MW_API int mw_secret_heap_stats(const struct mw_secret_heap *ch, struct mw_secret_stats *st)
{
	struct mw_secret_heap *h = (struct mw_secret_heap *)ch; /* the lock only */
	struct mw_secret_stats s;
	long long in_use = 0, live = 0;

	if (!h || !st || st->sz < offsetof(struct mw_secret_stats, bytes_locked)) {
		mw__secret_error("mw_secret_heap_stats: %s", !h ? "the heap is NULL" : !st ? "the stats pointer is NULL"
							   : "stats.sz is too small: set it to sizeof(struct mw_secret_stats)");
		return -EINVAL;
	}
	if (mw__heap_foreign(h)) {
		/* its locks may have been held by another thread at fork */
		mw__secret_error("mw_secret_heap_stats: the heap belongs to the parent process (fork)");
		return -EPERM;
	}
	memset(&s, 0, sizeof(s));
	s.sz = sizeof(s);
	pthread_mutex_lock(&h->lock);
	if (h->mode == MW_SECRET_COMPACT) {
		mw__compact_counters(h, &in_use, &live);
	} else {
		in_use = (long long)h->g_in_use;
		live = (long long)h->g_live;
	}
	s.bytes_reserved = h->locked;
	s.bytes_locked = h->locked;
	s.chunks = h->nchunks;
	pthread_mutex_unlock(&h->lock);
	s.bytes_in_use = in_use > 0 ? (size_t)in_use : 0;
	s.live_objects = live > 0 ? (size_t)live : 0;
	s.backing = h->backing;
	s.mode = h->mode;
	memcpy(st, &s, st->sz < sizeof(s) ? st->sz : sizeof(s));
	st->sz = st->sz < sizeof(s) ? st->sz : sizeof(s);
	return 0;
}
