/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process-wide state of the secret heap: the list of live heaps, the fork
 * generation, and the ONE pthread key through which every thread finds its
 * caches of every compact heap.
 *
 * One key for all heaps: a key per heap made the 1024th heap fail
 * (PTHREAD_KEYS_MAX) with an errno that meant something else. Each thread
 * keeps a short list of (heap id, cache) nodes that it owns; a heap
 * destroyed before the thread exits is recognised by its id no longer being
 * registered (ids are never reused), so the node is dropped without touching
 * the freed cache.
 *
 * fork: a pthread_atfork() child handler bumps the generation. A heap made
 * before the fork belongs to the parent: in the child every call on it
 * refuses (EPERM) or does nothing, and mw_secret_heap_destroy() frees only
 * the child's copies of the metadata, never the parent's secrets (with
 * MW_SECRET_SHARE_WITH_CHILDREN the pages are the SAME pages). Heaps made in
 * the child work normally. Children made with raw clone()/vfork() run no
 * atfork handlers and must not use the parent's heaps at all.
 */
#include "secret/internal.h"

#include <errno.h>

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mw_secret_heap *reg_heaps;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static pthread_key_t tc_key;
static int tc_key_err;
static bool tc_key_ok; /* tc_key was created: until then key 0 is not ours */

unsigned long mw__fork_gen;

struct tc_node {
	uint64_t id;
	struct mw_secret_heap *h;
	struct mw_tcache *tc;
	struct tc_node *next;
};

static void fork_prepare(void)
{
	pthread_mutex_lock(&reg_lock);
	mw__backing_fork_prepare();
}

static void fork_parent(void)
{
	mw__backing_fork_parent();
	pthread_mutex_unlock(&reg_lock);
}

static void fork_child(void)
{
	for (struct mw_secret_heap *h = reg_heaps; h; h = h->reg_next)
		mw__backing_child_reserve(h);
	pthread_mutex_unlock(&reg_lock);
	__atomic_add_fetch(&mw__fork_gen, 1, __ATOMIC_RELEASE);
	mw__backing_after_fork();
	mw__guarded_after_fork();
}

/* At load, not at the first heap: the violation handler's lock can be held
 * at a fork before any heap exists (mw_secret_set_violation_handler). */
__attribute__((constructor)) static void reg_atfork(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Called with reg_lock held. */
static bool registered(uint64_t id)
{
	for (struct mw_secret_heap *h = reg_heaps; h; h = h->reg_next)
		if (h->id == id)
			return true;
	return false;
}

/* Thread exit: give each cache back to its heap if the heap still lives in
 * this process (not destroyed, not the parent's). */
static void thread_exit(void *arg)
{
	struct tc_node *n = arg, *next;

	for (; n; n = next) {
		next = n->next;
		pthread_mutex_lock(&reg_lock);
		if (registered(n->id) && !mw__heap_foreign(n->h))
			mw__tc_thread_exit(n->h, n->tc);
		pthread_mutex_unlock(&reg_lock);
		free(n);
	}
}

static void reg_init(void)
{
	tc_key_err = pthread_key_create(&tc_key, thread_exit);
	if (!tc_key_err)
		__atomic_store_n(&tc_key_ok, true, __ATOMIC_RELEASE);
}

int mw__registry_add(struct mw_secret_heap *h)
{
	pthread_once(&reg_once, reg_init);
	if (tc_key_err) {
		mw__secret_error("pthread_key_create (one key for every heap): %s",
				 strerror(tc_key_err));
		return -tc_key_err;
	}
	h->gen = __atomic_load_n(&mw__fork_gen, __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&reg_lock);
	h->reg_next = reg_heaps;
	reg_heaps = h;
	h->registered = true;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

void mw__registry_remove(struct mw_secret_heap *h)
{
	struct mw_secret_heap **pp;

	if (!h->registered)
		return;
	pthread_mutex_lock(&reg_lock);
	for (pp = &reg_heaps; *pp; pp = &(*pp)->reg_next)
		if (*pp == h) {
			*pp = h->reg_next;
			break;
		}
	h->registered = false;
	pthread_mutex_unlock(&reg_lock);
}

struct mw_tcache *mw__tc_find(const struct mw_secret_heap *h)
{
	for (struct tc_node *n = pthread_getspecific(tc_key); n; n = n->next)
		if (n->id == h->id)
			return n->tc;
	return NULL;
}

/* Drop the nodes of heaps that are gone (a thread that used many heaps). */
static struct tc_node *prune(struct tc_node *list)
{
	struct tc_node **pp = &list, *n;

	pthread_mutex_lock(&reg_lock);
	while ((n = *pp)) {
		if (!registered(n->id)) {
			*pp = n->next;
			free(n);
		} else {
			pp = &n->next;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	return list;
}

int mw__tc_attach(struct mw_secret_heap *h, struct mw_tcache *tc)
{
	struct tc_node *list = pthread_getspecific(tc_key), *n = malloc(sizeof(*n));
	size_t len = 0;

	if (!n)
		return -ENOMEM;
	for (struct tc_node *m = list; m; m = m->next)
		len++;
	if (len >= 8)
		list = prune(list);
	n->id = h->id;
	n->h = h;
	n->tc = tc;
	n->next = list;
	if (pthread_setspecific(tc_key, n)) {
		free(n);
		return -ENOMEM;
	}
	return 0;
}

/* A thread cache freed by its heap's destroy: forget its node in this
 * thread (other threads' nodes are recognised by the id). */
void mw__tc_detach_self(const struct mw_secret_heap *h)
{
	struct tc_node *list, **pp = &list, *n;

	/* A heap_new that failed before its first registration: the key does
	 * not exist, and key 0 may be another library's (the program's value
	 * would be read as our list and overwritten). */
	if (!__atomic_load_n(&tc_key_ok, __ATOMIC_ACQUIRE))
		return;
	list = pthread_getspecific(tc_key);

	while ((n = *pp)) {
		if (n->id == h->id) {
			*pp = n->next;
			free(n);
			break;
		}
		pp = &n->next;
	}
	pthread_setspecific(tc_key, list);
}
