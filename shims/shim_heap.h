/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process's secret heap for an LD_PRELOAD shim (libmemward-openssl.so,
 * libmemward-sodium.so): made on first use, remade in a child of fork()
 * (the parent's heap refuses allocations there, EPERM: see
 * mw_secret_heap_new(3)), and the parent's heaps remembered so that a free
 * of one of their objects in the child is recognised and left alone.
 * Public API only (include/memward/secret.h).
 */
#ifndef MW_SHIM_HEAP_H
#define MW_SHIM_HEAP_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <memward/secret.h>

/* A heap of an ancestor process (kept after fork(), never freed: pointers
 * into it may be freed or queried by the child at any time). */
struct shim_old {
	struct mw_secret_heap *h;
	struct shim_old *next;
};

struct shim_heap {
	struct mw_secret_opts opts;
	pthread_mutex_t lock;
	struct mw_secret_heap *cur;                     /* this process's */
	struct shim_old *old;                           /* ancestors', newest first */
	bool failed;                                    /* heap_new failed: do not retry */
	bool done;                                      /* CRYPTO_secure_malloc_done() */
	bool stale;                                     /* cur is the parent's (set at fork) */
};

/* The shim's pthread_atfork child handler: one thread here, nothing to
 * lock; the parent's heap is retired at the next call (shim_sync). */
static inline void shim_heap_after_fork(struct shim_heap *s)
{
	pthread_mutex_init(&s->lock, NULL);
	if (s->cur)
		s->stale = true;
}

static inline bool shim_sync(struct shim_heap *s);

/* The current heap, made if needed (NULL when it cannot be). */
static inline struct mw_secret_heap *shim_heap_get(struct shim_heap *s)
{
	struct mw_secret_heap *h;

	if (!shim_sync(s))
		return NULL;
	h = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);

	if (h || __atomic_load_n(&s->failed, __ATOMIC_RELAXED)) {
		if (h && __atomic_load_n(&s->done, __ATOMIC_RELAXED))
			__atomic_store_n(&s->done, false, __ATOMIC_RELAXED);
		return h;
	}
	pthread_mutex_lock(&s->lock);
	if (!s->cur && !s->failed) {
		h = mw_secret_heap_new(&s->opts);
		if (h)
			__atomic_store_n(&s->cur, h, __ATOMIC_RELEASE);
		else
			s->failed = true;
	}
	h = s->cur;
	pthread_mutex_unlock(&s->lock);
	return h;
}

/* h is a heap of the parent (we are a child of fork()). Keep it for
 * ownership queries, for as many generations as there are; the next call
 * makes our own. false if it could not be kept (then nothing changes:
 * allocations fall back, its objects are still recognised as not ours to
 * free). */
static inline bool shim_heap_retire(struct shim_heap *s, struct mw_secret_heap *h)
{
	bool ok = true;

	pthread_mutex_lock(&s->lock);
	if (s->cur == h) {
		struct shim_old *o = malloc(sizeof(*o));

		if (o) {
			o->h = h;
			o->next = s->old;
			__atomic_store_n(&s->old, o, __ATOMIC_RELEASE);
			__atomic_store_n(&s->cur, NULL, __ATOMIC_RELEASE);
			s->failed = false;
			s->stale = false;
		} else {
			ok = false;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

/* After a fork: retire the parent's heap. false while it cannot be. */
static inline bool shim_sync(struct shim_heap *s)
{
	struct mw_secret_heap *h;

	if (__builtin_expect(!__atomic_load_n(&s->stale, __ATOMIC_ACQUIRE), 1))
		return true;
	h = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);
	return !h || shim_heap_retire(s, h);
}

/* After an allocation failed with EPERM (a heap of the parent that the
 * fork handler did not see): retired, ours made. */
static inline struct mw_secret_heap *shim_heap_renew(struct shim_heap *s,
						     struct mw_secret_heap *h)
{
	return shim_heap_retire(s, h) ? shim_heap_get(s) : NULL;
}

static inline void *shim_alloc(struct shim_heap *s, size_t n)
{
	struct mw_secret_heap *h = shim_heap_get(s);
	void *p;

	if (!h)
		return NULL;
	p = mw_secret_alloc(h, n);
	if (!p && errno == EPERM && (h = shim_heap_renew(s, h)))
		p = mw_secret_alloc(h, n);
	return p;
}

/* 1: an object of the current heap (*hp set to it); 2: of an ancestor's
 * heap, or of the parent's heap that is still current in a child of fork()
 * that has not allocated yet (the child must leave it alone); 0: not ours. */
static inline int shim_owner(struct shim_heap *s, const void *p, struct mw_secret_heap **hp)
{
	struct mw_secret_heap *h;
	bool ours;

	if (!p)
		return 0;
	ours = shim_sync(s);
	h = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);
	if (h && mw_secret_owns(h, p)) {
		if (!ours)
			return 2; /* the parent's, not retired (no memory) */
		*hp = h;
		return 1;
	}
	for (struct shim_old *o = __atomic_load_n(&s->old, __ATOMIC_ACQUIRE); o; o = o->next)
		if (mw_secret_owns(o->h, p))
			return 2;
	return 0;
}

#endif
