/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Compact mode's slow paths: the per-thread caches, the sharded central
 * lists and the slabs they are filled from (the design: compact.c).
 */
#include "secret/compact.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

uint8_t mw__sc_tab[MW_SC_MAX / 16 + 1];
uint16_t mw__sc_bytes[MW_SC_COUNT];
static pthread_once_t sc_once = PTHREAD_ONCE_INIT;

__thread uint64_t mw__tl_id __attribute__((tls_model("initial-exec")));
__thread struct mw_tcache *mw__tl_tc __attribute__((tls_model("initial-exec")));

static void sc_init(void)
{
	for (size_t i = 0; i <= MW_SC_MAX / 16; i++)
		mw__sc_tab[i] = (uint8_t)mw__sc_index(i * 16);
	for (int i = 0; i < MW_SC_COUNT; i++)
		mw__sc_bytes[i] = (uint16_t)mw__sc_size(i);
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

int mw__central_push(struct mw_central *c, char *p, uint16_t *meta)
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

/* Push n entries of class c back to the central lists of their slabs'
 * shards, one lock at a time. A slot freed by another thread than the one
 * that took it (a producer and a consumer) thus returns to the producer's
 * shard, which reuses it instead of growing: the heap stays bounded by live
 * objects plus caches. Each slab counts its slots on the list (ncentral):
 * a slab whose slots are all there is free, and compact_reclaim() may
 * unmap it. */
static void give_back(struct mw_secret_heap *h, int c, const struct mw_central_entry *e,
		      uint32_t n)
{
	struct mw_chunk *ch[TC_CAP];
	unsigned int sh[TC_CAP];
	uint32_t done = 0;

	/* Each slot's shard is read once, here, while every slot is still in
	 * our hands (so no slab of ours can be unmapped). Once a pass has
	 * pushed a slot and unlocked, its slab may be emptied, unmapped and
	 * its chunk record reused for a slab of another shard: reading
	 * ch[i]->shard again in a later pass would push that slot twice. */
	for (uint32_t i = 0; i < n; i++) {
		ch[i] = mw__lookup(h, e[i].p);
		sh[i] = ch[i]->shard;
	}
	for (unsigned int s = 0; s < h->nshards && done < n; s++) {
		bool locked = false;

		for (uint32_t i = 0; i < n; i++) {
			if (sh[i] != s)
				continue;
			if (!locked) {
				pthread_mutex_lock(&h->shards[s].lock);
				locked = true;
			}
			/* Out of memory: the slot is lost, still wiped (and
			 * its slab is never unmapped before destroy). */
			if (mw__central_push(&h->shards[s].central[c], e[i].p, e[i].meta) == 0)
				ch[i]->ncentral++;
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
	if (mw__tl_tc == tc)
		mw__tl_id = 0;
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

struct mw_tcache *mw__tc_slow(struct mw_secret_heap *h)
{
	struct mw_tcache *tc = mw__tc_find(h);

	if (!tc) {
		struct mw_shard *sh;

		/* Lines of its own: its counters are written on every call. */
		tc = mw__calloc_lines(sizeof(*tc));
		if (!tc)
			return NULL;
		tc->h = h;
		for (int c = 0; c < MW_SC_COUNT; c++) {
			uint32_t cap = TC_BYTES / mw__sc_bytes[c];

			cap = cap > TC_CAP ? TC_CAP : cap < TC_MIN ? TC_MIN : cap;
			tc->bins[c].cap = cap & ~1u;
		}
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
	mw__tl_tc = tc;
	mw__tl_id = h->id;
	return tc;
}


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
	size_t cls = mw__sc_bytes[c], stride = cls + MW_SC_HDR, len = slab_len(h, stride);
	size_t nslots = (len - MW_SC_HDR) / stride, off;
	struct mw_chunk *ch;
	int err;

	if (cen->cap - cen->n < nslots) {
		size_t cap = cen->n + nslots;
		struct mw_central_entry *v = realloc(cen->v, cap * sizeof(*v));

		if (!v) {
			mw__secret_error("out of memory for slab metadata");
			return -ENOMEM;
		}
		cen->v = v;
		cen->cap = cap;
	}
	pthread_mutex_lock(&h->lock);
	/* A range given back by a slab or a large run, else the bump pointer. */
	err = mw__span_get(h, len, &off);
	if (!err) {
		err = mw__backing_map(h, off, len);
		if (err && !h->range_lost)
			mw__span_put(h, off, len);
	}
	/* The record only once the memory is there. */
	ch = err ? NULL : mw__chunk_new(h);
	if (!err && !ch) {
		if (mw__backing_release(h, off, len))
			mw__span_put(h, off, len);
		err = -ENOMEM;
	}
	if (err) {
		pthread_mutex_unlock(&h->lock);
		return err;
	}
	ch->sizes = mw__sizes_at(h, off);
	ch->kind = MW_CHUNK_SLAB;
	ch->cls = (uint8_t)c;
	ch->shard = (uint8_t)(sh - h->shards);
	ch->stride = (uint32_t)stride;
	ch->nslots = (uint32_t)nslots;
	ch->recip = (((uint64_t)1 << 40) + stride - 1) / stride;
	ch->map = h->base + off;
	ch->map_len = len;
	ch->span = len;
	ch->ncentral = (uint32_t)nslots;
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

/* Move up to half the bin's cap of slots from the top of cen to the (empty)
 * bin. Called with the lock of cen's shard, which owns their slabs. Keeps
 * the central order: the top of the central stack becomes the top of the
 * bin. */
static uint32_t take_batch(struct mw_secret_heap *h, struct mw_central *cen, struct mw_tbin *bin)
{
	uint32_t half = bin->cap / 2, take = cen->n < half ? (uint32_t)cen->n : half;

	if (take == 0)
		return 0; /* cen->v may be NULL */
	memcpy(bin->e, cen->v + cen->n - take, take * sizeof(bin->e[0]));
	cen->n -= take;
	bin->n = take;
	for (uint32_t i = 0; i < take; i++)
		mw__lookup(h, bin->e[i].p)->ncentral--;
	return take;
}

/* Take a batch from another shard holding at least `min` free slots of
 * class c (one lock at a time). Only when the heap could not grow: no
 * unlocked look at the lists first (their counts are written under the
 * locks only). */
static bool steal(struct mw_secret_heap *h, struct mw_shard *own, int c, struct mw_tbin *bin,
		  size_t min)
{
	for (unsigned int i = 1; i < h->nshards; i++) {
		struct mw_shard *sh = &h->shards[((size_t)(own - h->shards) + i) % h->nshards];

		pthread_mutex_lock(&sh->lock);
		if (sh->central[c].n >= min)
			take_batch(h, &sh->central[c], bin);
		pthread_mutex_unlock(&sh->lock);
		if (bin->n)
			return true;
	}
	return false;
}

/*
 * Are all the slots of a slab whose slots are all free still zero? A slot
 * written after its free is caught when it is handed out again; a slab
 * holding one is kept (not unmapped, which would wipe the evidence), so the
 * write is still reported then (compact.c, quarantine()).
 */
static bool slab_clean(const struct mw_chunk *ch)
{
	size_t cls = ch->stride - MW_SC_HDR;

	for (uint32_t i = 0; i < ch->nslots; i++)
		if (!mw__all_zero(ch->map + MW_SC_HDR + (size_t)i * ch->stride, cls))
			return false;
	return true;
}

/*
 * Unmap every slab of one shard whose slots are all on its central list:
 * no object of it is live, and no thread cache holds one of its slots (a
 * slot in a cache is not counted in ncentral), so nobody else can reach
 * it once its entries are off the list, which the shard's lock (held
 * throughout) guarantees. Slots cached by threads keep their slabs: the
 * calling thread gives its own back first (mw__compact_reclaim()); another
 * thread's cache cannot be touched without that thread, which is why
 * caches are small (compact.h). A slab with a slot written after its free
 * stays (slab_clean()). Returns the slabs released.
 */
static size_t shard_trim(struct mw_secret_heap *h, struct mw_shard *sh)
{
	struct mw_chunk *doomed = NULL, *ch;
	size_t n = 0;

	pthread_mutex_lock(&sh->lock);
	for (int c = 0; c < MW_SC_COUNT; c++) {
		struct mw_central *cen = &sh->central[c];
		size_t keep = 0;
		bool any = false;

		for (size_t i = 0; i < cen->n; i++) {
			ch = mw__lookup(h, cen->v[i].p);
			if (ch->ncentral == ch->nslots && ch->state != MW_SLAB_TRIMMED &&
			    slab_clean(ch)) {
				ch->state = MW_SLAB_TRIMMED;
				ch->next = doomed;
				doomed = ch;
				any = true;
			}
		}
		if (!any)
			continue;
		for (size_t i = 0; i < cen->n; i++)
			if (mw__lookup(h, cen->v[i].p)->state != MW_SLAB_TRIMMED)
				cen->v[keep++] = cen->v[i];
		cen->n = keep;
	}
	if (doomed) {
		pthread_mutex_lock(&h->lock);
		while ((ch = doomed)) {
			doomed = ch->next;
			mw__chunk_release(h, ch);
			n++;
		}
		pthread_mutex_unlock(&h->lock);
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

bool mw__compact_reclaim(struct mw_secret_heap *h)
{
	struct mw_tcache *tc = mw__tl_id == h->id ? mw__tl_tc : mw__tc_find(h);
	size_t n = 0;
	bool large;

	if (tc)
		tc_give_back(tc);
	for (unsigned int s = 0; s < h->nshards; s++)
		n += shard_trim(h, &h->shards[s]);
	pthread_mutex_lock(&h->lock);
	large = mw__large_drop_cache(h);
	pthread_mutex_unlock(&h->lock);
	return n > 0 || large;
}

/* A batch for the bin from its own shard, else from a new slab. With h and
 * the shard's lock not held; 0 or the slab's -errno. */
static int refill_own(struct mw_secret_heap *h, struct mw_shard *own, int c, struct mw_tbin *bin)
{
	int err = 0;

	pthread_mutex_lock(&own->lock);
	if (own->central[c].n == 0)
		err = slab_new(h, own, c);
	take_batch(h, &own->central[c], bin);
	pthread_mutex_unlock(&own->lock);
	return err;
}

int mw__refill(struct mw_secret_heap *h, struct mw_tcache *tc, int c, struct mw_tbin *bin)
{
	struct mw_shard *own = tc->shard;
	int err = 0;

	pthread_mutex_lock(&own->lock);
	take_batch(h, &own->central[c], bin);
	pthread_mutex_unlock(&own->lock);
	if (bin->n)
		return 0;
	err = refill_own(h, own, c, bin);
	if (bin->n)
		return 0;
	/* No new slab (memlock, max_locked, the reservation): any free slot
	 * of the class, then the memory of slabs whose slots are all free, of
	 * any class (issue 10: a burst of one class kept every other class
	 * from growing until destroy). */
	if (!steal(h, own, c, bin, 1) && mw__compact_reclaim(h)) {
		err = refill_own(h, own, c, bin);
		if (!bin->n)
			steal(h, own, c, bin, 1);
	}
	if (bin->n) {
		mw__secret_clear_error();
		return 0;
	}
	errno = err ? -err : ENOMEM;
	return -1;
}

void mw__flush(struct mw_tcache *tc, int c, struct mw_tbin *bin)
{
	uint32_t give = bin->cap / 2;

	give_back(tc->h, c, bin->e, give);
	memmove(bin->e, bin->e + give, (bin->n - give) * sizeof(bin->e[0]));
	bin->n -= give;
}
