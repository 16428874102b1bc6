/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 10 defect 5: what a child of fork() may do with its parent's heap.
 * For both modes, with and without MW_SECRET_SHARE_WITH_CHILDREN, and with a
 * second thread in the parent: in the child, alloc and realloc fail with
 * EPERM, free of the parent's object does nothing, stats give -EPERM,
 * mw_secret_heap_destroy() (also from an atexit handler) returns without
 * a fault and without wiping the parent's secrets, and a new heap made in
 * the child works and never places an object where one of the parent's
 * was. The parent's secret is intact afterwards.
 */
#include "live.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <memward/secret.h>

/* LeakSanitizer's exit-time check in a child forked from a multithreaded
 * process can wait forever for an allocator lock the fork copied (seen
 * under clang 14's ASan, about 1 run in 30): it is turned off in the
 * children, which exit() on purpose to run the atexit destroy. The parent
 * is still checked. (Without LSan this hook is never called.) */
static volatile int in_child;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return in_child;
}

static const char secret[] = "correct horse battery staple";
static enum mw_secret_mode child_mode;
static struct mw_secret_heap *atexit_heap;

static void destroy_at_exit(void)
{
	mw_secret_heap_destroy(atexit_heap);
}

static int child(struct mw_secret_heap *h, char *p)
{
	struct mw_secret_stats st = { .sz = sizeof(st) };
	struct mw_secret_heap *mine;
	char *q;

	signal(SIGSEGV, SIG_DFL);
	errno = 0;
	q = mw_secret_alloc(h, 32);
	if (q || errno != EPERM) {
		printf("child: alloc on the parent's heap: %p, %s\n", (void *)q, strerror(errno));
		return 1;
	}
	if (mw_secret_realloc(h, p, 64) || errno != EPERM) {
		printf("child: realloc on the parent's heap did not fail with EPERM\n");
		return 1;
	}
	if (mw_secret_heap_stats(h, &st) != -EPERM) {
		printf("child: stats of the parent's heap did not give -EPERM\n");
		return 1;
	}
	mw_secret_free(h, p); /* nothing happens */
	/* A heap of its own, in the same mode and size: its objects never sit
	 * where the parent's were (red-team round 4: the parent's range was
	 * free in the child, a new heap landed on it, and a free of the
	 * parent's pointer freed the child's own object at that address). */
	{
		struct mw_secret_opts o = { .sz = sizeof(o), .mode = child_mode };
		char *mine_objs[64];
		int n = 0, clash = 0;

		/* nothing the child maps can land where the parent's object is */
		{
			void *pg = (void *)((uintptr_t)p & ~(uintptr_t)4095);
			void *m = mmap(pg, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (m == pg) {
				printf("child: the page of the parent's object %p was free to map\n", (void *)p);
				clash++;
			} else if (m != MAP_FAILED) {
				munmap(m, 4096); /* a kernel without MAP_FIXED_NOREPLACE: no answer */
			}
		}
		mine = mw_secret_heap_new(&o);
		if (!mine || !(q = mw_secret_alloc(mine, 100))) {
			printf("child: a heap of its own: %s (%s)\n", strerror(errno), mw_secret_last_error());
			return 1;
		}
		memcpy(q, "child", 6);
		for (n = 0; n < 64 && (mine_objs[n] = mw_secret_alloc(mine, 32)); n++)
			if (mine_objs[n] == p || mw_secret_owns(mine, p)) {
				printf("child: the parent's object %p is an object of the child's new heap too\n",
				       (void *)p);
				clash++;
			}
		if (clash)
			return 1;
		while (n--)
			mw_secret_free(mine, mine_objs[n]);
		mw_secret_free(mine, q);
		mw_secret_heap_destroy(mine);
	}
	atexit_heap = h;
	atexit(destroy_at_exit); /* destroy of the parent's heap, at exit */
	return 0;
}

static void *idle(void *arg)
{
	pause();
	return arg;
}

static void one(enum mw_secret_mode mode, unsigned int flags)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = mode, .flags = flags };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	char *p, *other;
	pid_t pid;
	int rc;
	const char *label = (flags & MW_SECRET_SHARE_WITH_CHILDREN) ?
		((flags & MW_SECRET_FORCE_FALLBACK) ? " shared fallback" : " shared") :
		((flags & MW_SECRET_FORCE_FALLBACK) ? " fallback" : "");

	REQUIRE(h, "heap_new: %s", strerror(errno));
	p = mw_secret_alloc(h, sizeof(secret));
	other = mw_secret_alloc(h, 5000); /* a large object too */
	REQUIRE(p && other, "alloc: %s", strerror(errno));
	memcpy(p, secret, sizeof(secret));
	memset(other, 7, 5000);
	child_mode = mode;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		in_child = 1;
		rc = child(h, p);
		fflush(stdout);
		exit(rc); /* runs the atexit destroy */
	}
	rc = live_wait(pid);
	CHECK(rc == 0, "%s%s: child exit %d%s", mw_secret_mode_name(mode),
	      label, rc, rc > 128 ? " (killed by a signal)" : "");
	CHECK(memcmp(p, secret, sizeof(secret)) == 0, "%s%s: the parent's secret changed",
	      mw_secret_mode_name(mode), label);
	CHECK(other[4999] == 7, "%s%s: the parent's large object changed", mw_secret_mode_name(mode),
	      label);
	/* The parent's heap still works. */
	mw_secret_free(h, p);
	p = mw_secret_alloc(h, 32);
	CHECK(p, "parent alloc after the child: %s", strerror(errno));
	mw_secret_free(h, p);
	mw_secret_free(h, other);
	mw_secret_heap_destroy(h);
}

int main(void)
{
	pthread_t t;

	REQUIRE(pthread_create(&t, NULL, idle, NULL) == 0, "pthread_create");
	for (int m = 0; m < 2; m++) {
		one((enum mw_secret_mode)m, 0);
		one((enum mw_secret_mode)m, MW_SECRET_SHARE_WITH_CHILDREN);
		one((enum mw_secret_mode)m, MW_SECRET_FORCE_FALLBACK);
		one((enum mw_secret_mode)m, MW_SECRET_FORCE_FALLBACK | MW_SECRET_SHARE_WITH_CHILDREN);
	}
	return live_done();
}
