/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Red-team finding F2: freed compact slabs must serve other size classes.
 * As nobody under an 8 MiB RLIMIT_MEMLOCK, a burst of one class fills the
 * limit (1,920 objects of 4 KiB: 128 slabs of 64 KiB), every object is
 * freed, then objects of another class are allocated until the heap says
 * no. Before the fix none succeeded: the whole budget stayed with the empty
 * 4 KiB slabs until destroy (and the OpenSSL and libsodium shims fell back
 * to ordinary memory). Now the second class must get at least 90% of what
 * it gets from a fresh heap in the same process.
 *
 * Both directions (4 KiB then 32 B, 32 B then 4 KiB; and 1 KiB then 256 B),
 * with the frees done by the allocating thread, and by another thread that
 * stays alive (and keeps its thread cache) while the second class is
 * allocated. After the same-thread burst a large object (1 MiB) must fit
 * too. Every object handed out must be zero-filled.
 */
#include "unpriv.h"

#include <pthread.h>
#include <memward/secret.h>

#define MAXOBJ 400000

static void **objs;

struct freer {
	struct mw_secret_heap *h;
	size_t n;
	int go_home;           /* the main thread is done: the freer may exit */
	int freed;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void *freer_fn(void *arg)
{
	struct freer *f = arg;

	for (size_t i = 0; i < f->n; i++)
		mw_secret_free(f->h, objs[i]);
	pthread_mutex_lock(&f->lock);
	f->freed = 1;
	pthread_cond_broadcast(&f->cond);
	while (!f->go_home)
		pthread_cond_wait(&f->cond, &f->lock);
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

static bool zeroed(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Allocate objects of sz until the heap refuses (or max); how many. */
static size_t fill(struct mw_secret_heap *h, size_t sz, size_t max, int *dirty)
{
	size_t n = 0;

	while (n < max) {
		unsigned char *p = mw_secret_alloc(h, sz);

		if (!p)
			break;
		if (!zeroed(p, sz))
			(*dirty)++;
		memset(p, 0xa5, sz);
		objs[n++] = p;
	}
	return n;
}

static void drain(struct mw_secret_heap *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mw_secret_free(h, objs[i]);
}

/* What a fresh heap gives of objects of sz (under this process's limit). */
static size_t fresh_capacity(size_t sz)
{
	struct mw_secret_heap *h = mw_secret_heap_new(NULL);
	int dirty = 0;
	size_t n;

	if (!h)
		return 0;
	n = fill(h, sz, MAXOBJ, &dirty);
	drain(h, n);
	mw_secret_heap_destroy(h);
	return n;
}

/* One burst of `big` until refused (1,920 of 4 KiB), freed by this thread
 * or another one, then `small` until refused. 0 if it passed. */
static int scenario(size_t big, size_t small, bool other_thread, size_t fresh)
{
	struct mw_secret_stats st = { .sz = sizeof(st) };
	struct mw_secret_heap *h = mw_secret_heap_new(NULL);
	struct freer f = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	size_t nb, ns, locked_burst;
	pthread_t t;
	int dirty = 0, bad = 0;

	if (!h) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	nb = fill(h, big, MAXOBJ, &dirty);
	mw_secret_heap_stats(h, &st);
	locked_burst = st.bytes_locked;
	if (other_thread) {
		f.h = h;
		f.n = nb;
		pthread_create(&t, NULL, freer_fn, &f);
		pthread_mutex_lock(&f.lock);
		while (!f.freed)
			pthread_cond_wait(&f.cond, &f.lock);
		pthread_mutex_unlock(&f.lock);
	} else {
		drain(h, nb);
	}
	ns = fill(h, small, MAXOBJ, &dirty);
	printf("note: %zu x %zu B (%zu bytes locked), freed by %s, then %zu x %zu B (fresh heap: %zu): %s\n",
	       nb, big, locked_burst, other_thread ? "another thread" : "the same thread", ns, small,
	       fresh, ns ? mw_secret_last_error() : "none");
	if (nb < 1000) {
		printf("the burst of %zu B got only %zu objects\n", big, nb);
		bad = 1;
	}
	if (ns * 10 < fresh * 9) {
		printf("after the burst of %zu B was freed, %zu B objects: %zu, a fresh heap gives %zu\n",
		       big, small, ns, fresh);
		bad = 1;
	}
	if (dirty) {
		printf("%d objects were not zero-filled\n", dirty);
		bad = 1;
	}
	drain(h, ns);
	if (!other_thread) {
		/* A large object out of what the small class gave back. */
		void *p;

		nb = fill(h, big, MAXOBJ, &dirty);
		drain(h, nb);
		p = mw_secret_alloc(h, MIB);
		if (!p) {
			printf("a 1 MiB object after the burst: %s (%s)\n", strerror(errno),
			       mw_secret_last_error());
			bad = 1;
		}
		mw_secret_free(h, p);
	}
	if (other_thread) {
		pthread_mutex_lock(&f.lock);
		f.go_home = 1;
		pthread_cond_broadcast(&f.cond);
		pthread_mutex_unlock(&f.lock);
		pthread_join(t, NULL);
	}
	mw_secret_heap_destroy(h);
	return bad;
}

static int run(void *arg)
{
	static const size_t pairs[][2] = { { 4096, 32 }, { 32, 4096 }, { 1024, 256 } };
	int bad = 0;

	(void)arg;
	objs = calloc(MAXOBJ, sizeof(*objs));
	if (!objs)
		return 1;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		size_t fresh = fresh_capacity(pairs[i][1]);

		if (fresh == 0) {
			printf("a fresh heap gives no %zu B object: %s\n", pairs[i][1],
			       mw_secret_last_error());
			return 1;
		}
		if (fresh == MAXOBJ) {
			printf("SKIP: RLIMIT_MEMLOCK does not bind here (CAP_IPC_LOCK kept?): "
			       "%d objects of %zu B fit\n", MAXOBJ, pairs[i][1]);
			return LIVE_SKIP_CODE;
		}
		bad |= scenario(pairs[i][0], pairs[i][1], false, fresh);
		bad |= scenario(pairs[i][0], pairs[i][1], true, fresh);
	}
	return bad;
}

int main(void)
{
	int rc;

	rc = unpriv_run(8 * MIB, run, NULL);
	if (rc == LIVE_SKIP_CODE)
		live_skip("the memlock limit cannot be made to bind (see above)");
	CHECK(rc == 0, "bursts of one class, then another, as nobody, 8 MiB: exit %d", rc);
	return live_done();
}
