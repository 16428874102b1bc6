/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guarded mode: one slot per object, libsodium's layout without its cost.
 *
 *   ... [guard][canary 16][object][guard] ...
 *                                 ^ page boundary: the object ends exactly
 *                                   there, so reading or writing one byte
 *                                   past it faults (SIGSEGV).
 *
 * A slot is P secret pages followed by one page of the anonymous PROT_NONE
 * reservation, which is the guard after this slot and in front of the next;
 * guards are never mapped, so they are not locked or charged. Slots are
 * made in slabs: up to guarded_batch slots of one size mapped from ONE
 * secretmem file (one memfd_secret, ftruncate and lock for the lot; a new
 * slot cost 40-435 us with a file of its own, issue 10 defect 8). Once
 * freed, a slot is wiped and kept on a free list per page count: alloc and
 * free then make no syscall. A slab is given back whole (its file's pages
 * return only when its last mapping goes), when all its slots are free and
 * another size needs the memory, or at once for slots of MW_GFREE_MAX pages
 * and more (one slot a slab). What a new slot still costs is the kernel's
 * fault of each new page, which takes it out of the direct map and flushes
 * the kernel TLB for it (~17-21 us on a 2-CPU VM, Linux 5.14+
 * mm/secretmem.c), and its own mapping (~2.5 us: the guard after it must be
 * a different mapping). A slab's slots are mapped together but faulted one
 * by one as they are first handed out ("cold" until then), so a slot never
 * used costs no fault: the first object of a slab of 8 paid 8 faults.
 *
 * A freed slot is all zero; when it is reused the bytes the previous object
 * used are checked to still be zero ("write after free"). With
 * MW_SECRET_TRAP_FREED a freed slot is made PROT_NONE instead, so any use
 * after free faults at once, for two mprotect() calls per reuse.
 *
 * Objects are right-aligned: 16-byte aligned only when n is a multiple of 16
 * (as with sodium_malloc()).
 */
#include "secret/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>
#include <stdlib.h>
#include <sys/mman.h>

#define GHDR 16

static const int prot_bits[] = {
	[MW_SECRET_NOACCESS] = PROT_NONE,
	[MW_SECRET_READONLY] = PROT_READ,
	[MW_SECRET_READWRITE] = PROT_READ | PROT_WRITE,
};

static size_t pages_for(const struct mw_secret_heap *h, size_t n)
{
	return (n + GHDR + h->page - 1) >> h->pshift;
}

static struct mw_chunk **gfree_head(struct mw_secret_heap *h, size_t pages)
{
	return &h->gfree[pages < MW_GFREE_MAX ? pages : MW_GFREE_MAX];
}

static void gfree_push(struct mw_secret_heap *h, struct mw_chunk *c)
{
	struct mw_chunk **head = gfree_head(h, c->map_len >> h->pshift);

	c->next = *head;
	*head = c;
	c->slab->n++;
}

/* Take a free slot of lo..hi pages, the smallest first (an object smaller
 * than its slot is right-aligned in it, against its guard); warm: only a
 * slot whose pages are faulted in already. Called with h->lock. */
static struct mw_chunk *gfree_pop(struct mw_secret_heap *h, size_t lo, size_t hi, bool warm)
{
	for (size_t have = lo; have <= hi; have++) {
		struct mw_chunk **pp = gfree_head(h, have), *c;

		for (; (c = *pp); pp = &c->next)
			if (c->map_len == have << h->pshift && !(warm && c->cold))
				break;
		if (c) {
			*pp = c->next;
			c->slab->n--;
			return c;
		}
		if (have >= MW_GFREE_MAX)
			break; /* the last list holds every larger size: searched */
	}
	return NULL;
}

/*
 * Every slot is two VMAs (its mapping, and the guard of the reservation
 * after it). At 32,739 live slots vm.max_map_count (65530) was exhausted and
 * the whole process starved: malloc, mmap and pthread_create failed. So the
 * slots of all heaps together stop at a quarter of vm.max_map_count, which
 * leaves half of it to the rest of the process, with a clear ENOMEM.
 */
static size_t gslots;             /* slots mapped, all heaps */
static size_t gslots_cap;
static size_t maps_max;           /* vm.max_map_count */
static pthread_once_t cap_once = PTHREAD_ONCE_INIT;

static void cap_init(void)
{
	char buf[32];
	long v = 65530; /* DEFAULT_MAX_MAP_COUNT */

	if (mw__read_file("/proc/sys/vm/max_map_count", buf, sizeof(buf)) > 0 && atol(buf) > 0)
		v = atol(buf);
	maps_max = (size_t)v;
	gslots_cap = (size_t)v / 4;
}

/*
 * The cap above counts memward's slots only: a process that already held
 * 40,000 mappings let the heap take the rest (12,736 slots) and starved. So
 * the process's own count is checked too: a slab is refused when the
 * mappings would then leave less than a quarter of vm.max_map_count to the
 * rest of the process. /proc/self/maps is counted (one read, ~5 ms at
 * 40,000 lines) after max_map_count / 32 mappings of memward's own since
 * the last count (other code maps too), after max_map_count / 512 once the
 * estimate -- the last count plus memward's mappings since -- passes half
 * the limit, and before any refusal.
 * Called with the heap's lock; the counters are process-wide, read racily:
 * an estimate, refreshed before any refusal.
 */
static size_t maps_counted, ours_at_count;
static size_t heap_maps;          /* the reservation and metadata of every live heap */
static bool maps_known;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

/* In a child of fork(): maps_lock, maybe held by another thread of the
 * parent at the fork, made anew (one thread here), and the process's
 * mappings counted again at the next growth. The parent's slots and heaps
 * are not the child's (its heaps are refused there, their slots absent or,
 * shared, counted among the process's mappings): the child's own count
 * starts at 0 (red-team round 4: a parent holding 16,382 guarded objects
 * left its child unable to make one slot in a heap of its own). */
void mw__guarded_after_fork(void)
{
	pthread_mutex_init(&maps_lock, NULL);
	maps_known = false;
	maps_counted = 0;
	ours_at_count = 0;
	heap_maps = 0;
	__atomic_store_n(&gslots, 0, __ATOMIC_RELAXED);
}

/* Called with maps_lock only: the buffer is static so that an allocation
 * in a thread with a small stack does not put 64 KiB on it. */
static size_t maps_count(void)
{
	static char buf[65536];
	size_t n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

/* May the process take `want` more mappings? *held gets the process's
 * mappings as last counted. Called with maps_lock. */
static bool maps_room(size_t want, size_t *held)
{
	size_t now = 2 * __atomic_load_n(&gslots, __ATOMIC_RELAXED) + heap_maps, since, est;

	if (now < ours_at_count) {
		/* ours went away since the count (slabs, heaps destroyed) */
		maps_counted -= ours_at_count - now < maps_counted ? ours_at_count - now : maps_counted;
		ours_at_count = now;
	}
	since = now - ours_at_count;
	est = maps_counted + since;
	/* Past half the limit, recount after fewer of our own; always before
	 * a refusal. */
	if (!maps_known || since > maps_max / 32 || (est + want > maps_max / 2 && since > maps_max / 512) ||
	    est + want > maps_max - maps_max / 4) {
		maps_counted = maps_count();
		ours_at_count = now;
		maps_known = maps_counted > 0;
		est = maps_counted;
	}
	*held = maps_counted;
	return !maps_known || est + want <= maps_max - maps_max / 4;
}

int mw__secret_maps_take(size_t n)
{
	size_t held;
	bool ok;

	pthread_once(&cap_once, cap_init);
	pthread_mutex_lock(&maps_lock);
	ok = maps_room(n, &held);
	if (ok)
		heap_maps += n;
	pthread_mutex_unlock(&maps_lock);
	if (!ok) {
		mw__secret_error("the process holds %zu mappings: a heap's %zu more would leave less than a "
				 "quarter of vm.max_map_count (%zu) to the rest of it", held, n, maps_max);
		return -ENOMEM;
	}
	return 0;
}

void mw__secret_maps_give(size_t n)
{
	pthread_mutex_lock(&maps_lock);
	heap_maps -= n < heap_maps ? n : heap_maps;
	pthread_mutex_unlock(&maps_lock);
}

/* Take up to `want` slots of the process-wide cap; how many (0: none). */
static size_t cap_take(size_t want)
{
	size_t cur = __atomic_load_n(&gslots, __ATOMIC_RELAXED), got;

	do {
		if (cur >= gslots_cap)
			return 0;
		got = gslots_cap - cur < want ? gslots_cap - cur : want;
	} while (!__atomic_compare_exchange_n(&gslots, &cur, cur + got, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return got;
}

/* Unmap a slab whose slots are all free: its file, pages and charge go back
 * (h->lock held). */
static void slab_release(struct mw_secret_heap *h, struct mw_chunk *s)
{
	size_t stride = s->map_len + h->page, off = (size_t)(s->map - h->base);
	struct mw_chunk **pp = gfree_head(h, s->map_len >> h->pshift), *c;

	while ((c = *pp)) {
		if (c->slab != s) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		mw__pagetab_set(h, c->map, c->map_len, NULL);
		if (c->prot != MW_SECRET_READWRITE) /* TRAP_FREED */
			mprotect(c->map, c->map_len, PROT_READ | PROT_WRITE);
		if (!c->cold) /* a cold slot was never written: touching it faults it in */
			mw__wipe(c->map, c->map_len);
		mw__chunk_unlink(h, c);
		mw__chunk_free(h, c);
	}
	if (mw__backing_release_slots(h, off, s->map_len, stride, s->nslots, false))
		mw__span_put(h, off, s->span);
	if ((s->map_len >> h->pshift) <= 4)
		h->gmapped[s->map_len >> h->pshift] -= s->nslots;
	for (pp = &h->gslabs; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	__atomic_fetch_sub(&gslots, s->nslots, __ATOMIC_RELAXED);
	mw__chunk_free(h, s);
}

/* Is a free slot all zero, every byte of it (its last object, the canary
 * gap and the slack in front, which a later, larger object covers: red-team
 * round 4 wrote 2,000 bytes in front of a freed 100-byte object and a
 * 3,000-byte object then came back non-zero, unreported)? A slot that
 * cannot have been written (never faulted in, or PROT_NONE with
 * MW_SECRET_TRAP_FREED) is. For the release of a slab at the limit. */
static bool gslot_clean(const struct mw_chunk *c)
{
	return c->cold || c->prot != MW_SECRET_READWRITE || mw__all_zero(c->map, c->map_len);
}

/* Is what an object of n bytes will cover (and what the last object
 * covered) still zero? Checked at every reuse: a write anywhere in the slot
 * after a free is reported when an object would first see it. */
static bool gslot_clean_for(const struct mw_chunk *c, size_t n)
{
	size_t span = (n > c->prev_n ? n : c->prev_n) + GHDR;

	if (c->cold)
		return true;
	if (span > c->map_len)
		span = c->map_len;
	return mw__all_zero(c->map + c->map_len - span, span);
}

/* Are all of a slab's free slots clean? A slab holding a slot written after
 * its free is kept, so that the write is still reported when the slot is
 * handed out again (unmapping would wipe the evidence). h->lock held. */
static bool gslab_clean(struct mw_secret_heap *h, const struct mw_chunk *s)
{
	for (const struct mw_chunk *c = *gfree_head(h, s->map_len >> h->pshift); c; c = c->next)
		if (c->slab == s && !gslot_clean(c))
			return false;
	return true;
}

/* Give back the slabs of other sizes than `pages` whose slots are all free
 * and clean (h->lock held): their memory (RLIMIT_MEMLOCK, max_locked) and
 * their mappings (vm.max_map_count) then serve the size that is needed now. */
static bool release_other_sizes(struct mw_secret_heap *h, size_t pages)
{
	struct mw_chunk *s, *next;
	bool any = false;

	for (s = h->gslabs; s; s = next) {
		next = s->next;
		if (s->n == s->nslots && s->map_len != pages << h->pshift && gslab_clean(h, s)) {
			slab_release(h, s);
			any = true;
		}
	}
	return any;
}

/* Records for a slab and its count slots, or false (all freed). */
static bool slab_records(struct mw_secret_heap *h, struct mw_chunk **v, size_t count)
{
	for (size_t i = 0; i <= count; i++)
		if (!(v[i] = mw__chunk_new(h))) {
			while (i--)
				mw__chunk_free(h, v[i]);
			return false;
		}
	return true;
}

/*
 * A slab: `count` slots of `pages` pages mapped from ONE secretmem file,
 * each followed by a guard page (the reservation, not mapped), all on the
 * free list. One memfd_secret, ftruncate, close and MADV_DONTFORK for the
 * lot; what stays per slot is its mmap, and, when it is first handed out,
 * the kernel's fault of each of its pages (it takes the page out of the
 * direct map). Called with h->lock. Returns the slots made or -errno.
 */
static int make_slab(struct mw_secret_heap *h, size_t pages, size_t count)
{
	size_t len = pages << h->pshift, stride = len + h->page, off, got, held;
	struct mw_chunk *v[MW_GBATCH_MAX + 1], *s;
	bool cold = true;
	int err;

	bool room;

	pthread_mutex_lock(&maps_lock);
	room = maps_room(2 * count, &held);
	pthread_mutex_unlock(&maps_lock);
	if (!room) {
		mw__secret_error("the process holds %zu mappings: %zu more guarded slots (two mappings each) would "
				 "leave less than a quarter of vm.max_map_count (%zu) to the rest of it",
				 held, count, maps_max);
		return -ENOMEM;
	}
	got = cap_take(count);
	if (!got) {
		mw__secret_error("guarded slots of all heaps reached %zu, a quarter of "
				 "vm.max_map_count (each slot takes two mappings); stopping here "
				 "leaves the rest of the process its mappings", gslots_cap);
		return -ENOMEM;
	}
	count = got;
	err = slab_records(h, v, count) ? mw__span_get(h, count * stride, &off) : -ENOMEM;
	if (!err) {
		err = mw__backing_map_slots(h, off, len, stride, count, &cold);
		if (err) {
			if (!h->range_lost)
				mw__span_put(h, off, count * stride);
			for (size_t i = 0; i <= count; i++)
				mw__chunk_free(h, v[i]);
		}
	}
	if (err) {
		__atomic_fetch_sub(&gslots, count, __ATOMIC_RELAXED);
		return err;
	}
	s = v[count];
	s->kind = MW_CHUNK_GSLAB;
	s->map = h->base + off;
	s->map_len = len;
	s->span = count * stride;
	s->nslots = (uint32_t)count;
	s->next = h->gslabs;
	h->gslabs = s;
	if (pages <= 4)
		h->gmapped[pages] += count;
	for (size_t i = count; i-- > 0;) { /* the lowest address handed out first */
		struct mw_chunk *c = v[i];

		c->kind = MW_CHUNK_GSLOT;
		c->prot = MW_SECRET_READWRITE;
		c->cold = cold;
		c->map = h->base + off + i * stride;
		c->map_len = len;
		c->span = stride;
		c->slab = s;
		mw__chunk_link(h, c);
		mw__pagetab_set(h, c->map, len, c);
		gfree_push(h, c);
	}
	return (int)count;
}

/* Slots in a new slab of `pages` pages: as many as that size has mapped
 * already (1, 1, 2, 4, 8, ...), up to guarded_batch; one for slots of more
 * than 4 pages. A program with a few objects maps a few slots (each is an
 * mmap, ~3 us, and on Linux 6.18 charged to RLIMIT_MEMLOCK at once), one
 * with many gets whole slabs. Called with h->lock. */
static unsigned int slab_slots(const struct mw_secret_heap *h, size_t pages)
{
	size_t have;

	if (pages > 4)
		return 1;
	have = h->gmapped[pages];
	return have < 1 ? 1 : have < h->gbatch ? (unsigned int)have : h->gbatch;
}

/* Free slots of `pages` pages: a slab of `count`, else of one, else one
 * after giving back the free slabs of other sizes. Called with h->lock. */
static int prepare(struct mw_secret_heap *h, size_t pages, unsigned int count)
{
	int made;

	pthread_once(&cap_once, cap_init);
	made = make_slab(h, pages, count);
	if (made < 0 && count > 1)
		made = make_slab(h, pages, 1);
	if (made < 0 && release_other_sizes(h, pages))
		made = make_slab(h, pages, 1);
	if (made > 0)
		mw__secret_clear_error();
	return made;
}

/* destroy: the heap's slots no longer count against the cap. */
void mw__guarded_forget(struct mw_secret_heap *h)
{
	size_t n = 0;

	for (struct mw_chunk *c = h->all; c; c = c->all)
		n += c->kind == MW_CHUNK_GSLOT;
	__atomic_fetch_sub(&gslots, n, __ATOMIC_RELAXED);
}

void *mw__guarded_alloc(struct mw_secret_heap *h, size_t n)
{
	struct mw_chunk *c, *made;
	size_t pages;
	bool retried = false, wide = false;
	char *p;
	int err, wide_err = 0;

	if (n > h->resv / 2) {
		mw__secret_error("%zu bytes: larger than the heap's reservation allows", n);
		errno = ENOMEM;
		return NULL;
	}
	pages = pages_for(h, n);
	for (;;) {
		made = NULL;
		pthread_mutex_lock(&h->lock);
		/* A slot of the object's size, else a new one; only when none
		 * can be made, a free slot of up to twice the size. Taking the
		 * bigger slots first kept them busy with small objects, so that
		 * their slabs never went back: after a burst of 2-page objects
		 * the heap served half the 1-page objects a fresh heap serves,
		 * for good (red-team round 3). */
		c = wide ? gfree_pop(h, pages + 1, 2 * pages, true) : gfree_pop(h, pages, pages, false);
		if (!c && wide) {
			pthread_mutex_unlock(&h->lock);
			errno = -wide_err;
			return NULL;
		}
		if (!c) {
			err = prepare(h, pages, slab_slots(h, pages));
			if (err < 0) {
				c = gfree_pop(h, pages + 1, 2 * pages, false);
				if (!c) {
					pthread_mutex_unlock(&h->lock);
					errno = -err;
					return NULL;
				}
				mw__secret_clear_error();
			} else {
				made = h->gslabs; /* the slab prepare() just made */
				c = gfree_pop(h, pages, pages, false);
			}
		}
		h->g_in_use += n;
		h->g_live++;
		pthread_mutex_unlock(&h->lock);

		if (c->cold) { /* a new slot: its first use faults its pages in */
			err = mw__backing_fault(h, c->map, c->map_len);
			if (err < 0) {
				bool again;

				pthread_mutex_lock(&h->lock);
				h->g_in_use -= n;
				h->g_live--;
				gfree_push(h, c);
				/* A slab made for this call goes again (red-team
				 * F9: it stayed mapped, and counted as locked,
				 * until destroy): a failed allocation leaves the
				 * heap as it found it. Another thread may have
				 * taken one of its slots meanwhile: then it
				 * stays. */
				if (made && made == c->slab && made->n == made->nslots)
					slab_release(h, made);
				/* Over the limit where faults are charged (6.1,
				 * 6.12): free slabs of other sizes give theirs
				 * back. */
				again = err == -EAGAIN && !retried && release_other_sizes(h, pages);
				pthread_mutex_unlock(&h->lock);
				if (again) {
					retried = true;
					continue;
				}
				if (!wide) { /* last: a bigger slot faulted in already */
					wide = true;
					wide_err = err;
					continue;
				}
				errno = -err;
				return NULL;
			}
			c->cold = false;
		}
		if (c->prot != MW_SECRET_READWRITE) { /* MW_SECRET_TRAP_FREED */
			if (mprotect(c->map, c->map_len, PROT_READ | PROT_WRITE) < 0) {
				err = errno;
				pthread_mutex_lock(&h->lock);
				h->g_in_use -= n;
				h->g_live--;
				gfree_push(h, c);
				pthread_mutex_unlock(&h->lock);
				mw__secret_error("mprotect of a freed slot: %s", strerror(err));
				errno = err;
				return NULL;
			}
			c->prot = MW_SECRET_READWRITE;
		}
		if (gslot_clean_for(c, n))
			break;
		/* Written after it was freed: report, keep it out of use. */
		mw__wipe(c->map, c->map_len);
		c->state = 2;
		pthread_mutex_lock(&h->lock);
		h->g_in_use -= n;
		h->g_live--;
		pthread_mutex_unlock(&h->lock);
		mw__violation("write after free (a freed guarded slot was modified)",
			      c->map + c->map_len - c->prev_n);
	}
	p = c->map + c->map_len - n;
	c->n = n;
	mw__canary_put(h->key, p - 16, 8);
	mw__canary_put(h->key, p - 8, 8);
	__atomic_store_n(&c->state, 1, __ATOMIC_RELEASE);
	return p;
}

/* The live slot of p, or NULL after reporting the violation. */
static struct mw_chunk *live_slot(struct mw_secret_heap *h, char *p, const char *what)
{
	/* p - 1: an object of 0 bytes points at the guard page itself. */
	struct mw_chunk *c = mw__lookup(h, p - 1);

	if (!c || c->kind != MW_CHUNK_GSLOT || p != c->map + c->map_len - c->n) {
		if (what)
			mw__violation(what, p);
		return NULL;
	}
	return c;
}

void mw__guarded_free(struct mw_secret_heap *h, void *ptr)
{
	char *p = ptr;
	struct mw_chunk *c = live_slot(h, p, NULL);
	bool trap = h->flags & MW_SECRET_TRAP_FREED;
	int exp = 1;
	size_t n;

	if (!c) {
		mw__violation("invalid free (not an object of this heap)", p);
		return;
	}
	if (!__atomic_compare_exchange_n(&c->state, &exp, 0, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		mw__violation(exp == 0 ? "double free" : "invalid free (quarantined object)", p);
		return;
	}
	n = c->n;
	if (c->prot != MW_SECRET_READWRITE) {
		if (mprotect(c->map, c->map_len, PROT_READ | PROT_WRITE) < 0) {
			c->state = 2;
			mw__violation("cannot make a protected object writable to wipe it", p);
			return;
		}
		c->prot = MW_SECRET_READWRITE;
	}
	if (!mw__canary_ok(h->key, p - 16, 8) || !mw__canary_ok(h->key, p - 8, 8)) {
		mw__wipe(p - GHDR, n + GHDR);
		c->state = 2;
		mw__violation("canary before the object overwritten (underflow)", p);
		return;
	}
	mw__wipe(p - GHDR, n + GHDR);
	c->prev_n = n;
	if (trap && mprotect(c->map, c->map_len, PROT_NONE) == 0)
		c->prot = MW_SECRET_NOACCESS;
	pthread_mutex_lock(&h->lock);
	h->g_in_use -= n;
	h->g_live--;
	gfree_push(h, c);
	if ((c->map_len >> h->pshift) >= MW_GFREE_MAX && c->slab->n == c->slab->nslots) {
		/* Large slots go back to the kernel at once (a churn of large
		 * objects must not keep what it no longer uses); small ones are
		 * kept, wiped, for reuse without a syscall. */
		slab_release(h, c->slab);
	}
	pthread_mutex_unlock(&h->lock);
}

size_t mw__guarded_size(const struct mw_secret_heap *h, const void *ptr)
{
	const char *p = ptr;
	struct mw_chunk *c = mw__lookup(h, p - 1);

	if (!c || c->kind != MW_CHUNK_GSLOT || __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != 1 ||
	    p != c->map + c->map_len - c->n)
		return 0;
	return c->n;
}

bool mw__guarded_owns(const struct mw_secret_heap *h, const void *ptr)
{
	const char *p = ptr;
	struct mw_chunk *c = mw__lookup(h, p - 1);

	return c && c->kind == MW_CHUNK_GSLOT && p == c->map + c->map_len - c->n &&
	       __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == 1;
}

void *mw__guarded_realloc(struct mw_secret_heap *h, void *ptr, size_t n)
{
	char *p = ptr, *q;
	struct mw_chunk *c = live_slot(h, p, "invalid realloc (not an object of this heap)");
	size_t old;

	if (!c) {
		mw__secret_error("mw_secret_realloc: %p is not an object of this heap", (void *)p);
		errno = EINVAL;
		return NULL;
	}
	if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != 1) {
		mw__violation("realloc of a freed object", p);
		mw__secret_error("mw_secret_realloc: %p was freed", (void *)p);
		errno = EINVAL;
		return NULL;
	}
	old = c->n;
	q = mw__guarded_alloc(h, n);
	if (!q)
		return NULL;
	if (c->prot == MW_SECRET_NOACCESS)
		mw__guarded_protect(h, p, MW_SECRET_READONLY);
	memcpy(q, p, n < old ? n : old);
	mw__guarded_free(h, p);
	return q;
}

int mw__guarded_protect(struct mw_secret_heap *h, void *ptr, int prot)
{
	char *p = ptr;
	struct mw_chunk *c = live_slot(h, p, NULL);

	if (!c || __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != 1)
		return -EINVAL;
	if (c->prot == prot)
		return 0;
	if (mprotect(c->map, c->map_len, prot_bits[prot]) < 0)
		return -errno;
	c->prot = (uint8_t)prot;
	return 0;
}
