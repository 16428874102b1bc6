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
#include <memward/secret.h>

#define SHIM_GENERATIONS 8

struct shim_heap {
	struct mw_secret_opts opts;
	pthread_mutex_t lock;
	struct mw_secret_heap *cur;                     /* this process's */
	struct mw_secret_heap *old[SHIM_GENERATIONS];   /* ancestors' (after fork) */
	unsigned int nold;
	bool failed;                                    /* heap_new failed: do not retry */
};

/* The current heap, made if needed (NULL when it cannot be). */
static inline struct mw_secret_heap *shim_heap_get(struct shim_heap *s)
{
	struct mw_secret_heap *h = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);

	if (h || __atomic_load_n(&s->failed, __ATOMIC_RELAXED))
		return h;
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

/* After an allocation failed with EPERM: we are a child of fork() and h is
 * the parent's heap. Keep it for ownership queries, make our own. */
static inline struct mw_secret_heap *shim_heap_renew(struct shim_heap *s,
						     struct mw_secret_heap *h)
{
	pthread_mutex_lock(&s->lock);
	if (s->cur == h) {
		if (s->nold < SHIM_GENERATIONS)
			s->old[s->nold++] = h;
		__atomic_store_n(&s->cur, NULL, __ATOMIC_RELEASE);
		s->failed = false;
	}
	pthread_mutex_unlock(&s->lock);
	return shim_heap_get(s);
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

/* 1: an object of the current heap; 2: of an ancestor's heap (a child of
 * fork() must leave it alone); 0: not ours. */
static inline int shim_owner(struct shim_heap *s, const void *p)
{
	struct mw_secret_heap *h = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);

	if (!p)
		return 0;
	if (h && mw_secret_owns(h, p))
		return 1;
	for (unsigned int i = 0; i < __atomic_load_n(&s->nold, __ATOMIC_ACQUIRE); i++)
		if (mw_secret_owns(s->old[i], p))
			return 2;
	return 0;
}

#endif
