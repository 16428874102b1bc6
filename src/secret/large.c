/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compact mode's large objects (over 4 KiB): a run of whole pages each,
 *
 *   [c c][object ......][c][unused tail] [guard page]
 *
 * a canary word before and after the object, an unmapped guard page after
 * the run. Each run is mapped from a secretmem file of its own
 * (mw__backing_map), so that a run given back returns its pages to the
 * kernel: with one file for the heap, freed ranges kept their pages in the
 * file and a churn of large objects leaked ~11 MiB a round (issue 10).
 * Freed runs up to one chunk in total are kept for reuse; the rest, and the
 * cache when the heap cannot grow, are given back at once.
 */
#include "secret/internal.h"

#include <errno.h>
#include <stdlib.h>

/* Is a cached free run still all zero (a free wipes what the object used,
 * so anything else is a write after free)? The cache holds at most a
 * chunk's worth of runs, so this reads at most chunk_size bytes. */
static bool run_clean(const struct mw_chunk *ch)
{
	return mw__all_zero(ch->map, ch->map_len);
}

/* Give back every cached free run (h->lock held), except one written after
 * its free: it stays cached, so that the write is reported when the run is
 * handed out again (unmapping it would wipe the evidence). */
bool mw__large_drop_cache(struct mw_secret_heap *h)
{
	struct mw_chunk *f, **pp = &h->large_free;
	bool any = false;

	while ((f = *pp)) {
		if (!run_clean(f)) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		h->large_cached -= f->map_len;
		mw__chunk_release(h, f);
		any = true;
	}
	return any;
}

/* A new run of map_len bytes (plus a guard page) from a file of its own. */
static struct mw_chunk *large_new(struct mw_secret_heap *h, size_t map_len)
{
	size_t span = map_len + h->page, off;
	struct mw_chunk *ch = mw__chunk_new(h);
	int err, tries;

	if (!ch)
		return NULL;
	for (tries = 0; tries < 2; tries++) {
		err = mw__span_get(h, span, &off);
		if (!err) {
			err = mw__backing_map(h, off, map_len);
			if (err && !h->range_lost)
				mw__span_put(h, off, span);
		}
		/* Out of budget: cached runs go back to the kernel, retry once. */
		if (!err || !mw__large_drop_cache(h))
			break;
	}
	if (err) {
		mw__chunk_free(h, ch);
		errno = -err;
		return NULL;
	}
	ch->kind = MW_CHUNK_LARGE;
	ch->map = h->base + off;
	ch->map_len = map_len;
	ch->span = span;
	mw__chunk_link(h, ch);
	mw__pagetab_set(h, ch->map, ch->map_len, ch);
	return ch;
}

void *mw__large_alloc(struct mw_secret_heap *h, size_t n)
{
	size_t map_len;
	struct mw_chunk *ch, **pp;
	char *p;

	if (n > h->resv / 2) {
		mw__secret_error("%zu bytes: larger than the heap's reservation allows", n);
		errno = ENOMEM;
		return NULL;
	}
	map_len = (MW_SC_HDR + n + 8 + h->page - 1) & ~(h->page - 1);
	for (int tries = 0;; tries++) {
		pthread_mutex_lock(&h->lock);
		for (pp = &h->large_free; (ch = *pp); pp = &ch->next)
			if (ch->map_len >= map_len && ch->map_len <= 2 * map_len)
				break;
		if (ch) {
			*pp = ch->next;
			h->large_cached -= ch->map_len;
			if (!run_clean(ch)) {
				/* Written after its free: out of use for good
				 * (a free of it is reported), wiped, reported,
				 * and the allocation goes on without it. */
				ch->state = 2;
				mw__wipe(ch->map, ch->map_len);
				pthread_mutex_unlock(&h->lock);
				mw__violation("write after free (a freed large object was modified)",
					      ch->map + MW_SC_HDR);
				tries--;
				continue;
			}
		} else {
			ch = large_new(h, map_len);
		}
		if (ch) {
			if (tries > 0)
				mw__secret_clear_error();
			break;
		}
		pthread_mutex_unlock(&h->lock);
		/* The heap cannot grow: free compact slabs give their memory
		 * and address space back (tcache.c), then once more. */
		int err = errno;

		if (tries > 0 || !mw__compact_reclaim(h)) {
			errno = err;
			return NULL;
		}
	}
	p = ch->map + MW_SC_HDR;
	ch->n = n;
	mw__canary_put(h->key, p - 8, 8);
	mw__canary_put(h->key, p + n, 8);
	__atomic_store_n(&ch->state, 1, __ATOMIC_RELEASE);
	h->folded_in_use += (long long)n;
	h->folded_live++;
	pthread_mutex_unlock(&h->lock);
	return p;
}

void mw__large_free(struct mw_secret_heap *h, struct mw_chunk *ch, char *p)
{
	int exp = 1;

	if (p != ch->map + MW_SC_HDR) {
		mw__violation("invalid free (not the start of an object)", p);
		return;
	}
	if (!__atomic_compare_exchange_n(&ch->state, &exp, 0, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		mw__violation(exp == 0 ? "double free" : "invalid free (quarantined object)", p);
		return;
	}
	if (!mw__canary_ok(h->key, p - 8, 8) || !mw__canary_ok(h->key, p + ch->n, 8)) {
		bool under = !mw__canary_ok(h->key, p - 8, 8);

		mw__wipe(p, ch->n);
		ch->state = 2;
		mw__violation(under ? "canary before the object overwritten (underflow)"
				    : "canary after the object overwritten (overflow)", p);
		return;
	}
	mw__wipe(ch->map, MW_SC_HDR + ch->n + 8);
	pthread_mutex_lock(&h->lock);
	h->folded_in_use -= (long long)ch->n;
	h->folded_live--;
	/* Keep up to one chunk's worth of free runs for reuse; the rest goes
	 * back to the kernel at once (each run has a file of its own). */
	if (h->large_cached + ch->map_len <= h->chunk) {
		ch->next = h->large_free;
		h->large_free = ch;
		h->large_cached += ch->map_len;
	} else {
		mw__chunk_release(h, ch);
	}
	pthread_mutex_unlock(&h->lock);
}

