/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A forked child does not see the secret heap (MADV_DONTFORK; on the
 * fallback also MADV_WIPEONFORK): reading a secret's address in the child
 * faults. With MW_SECRET_SHARE_WITH_CHILDREN the child reads the secret;
 * on secretmem the pages are shared (the parent sees the child's write), on
 * the fallback the child has a copy.
 *
 * Guarded slots are mapped in slabs (several slots and the guards between
 * them at once): every object of two whole slabs and one more, of one and
 * of two pages, is checked in a child of its own, so that a slot the
 * MADV_DONTFORK range missed is found wherever it is in its slab.
 */
#include "live.h"

#include <signal.h>
#include <memward/secret.h>

static const char secret[] = "hunter2-hunter2-hunter2";

static void one(unsigned int flags, enum mw_secret_mode mode)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .flags = flags, .mode = mode };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	bool share = flags & MW_SECRET_SHARE_WITH_CHILDREN;
	char *p;
	pid_t pid;
	int rc;
	const char *b;

	REQUIRE(h, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	b = mw_secret_backing_name(mw_secret_heap_backing(h));
	p = mw_secret_alloc(h, sizeof(secret));
	REQUIRE(p, "alloc: %s", strerror(errno));
	memcpy(p, secret, sizeof(secret));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Exit 0 when the secret is readable, 1 when the bytes differ,
		 * death by SIGSEGV when the address is not mapped (sanitizer
		 * runtimes would turn the fault into an abort: undo that). */
		signal(SIGSEGV, SIG_DFL);
		if (memcmp(p, secret, sizeof(secret)) != 0)
			_exit(1);
		p[0] = 'H';
		_exit(0);
	}
	rc = live_wait(pid);
	if (share) {
		CHECK(rc == 0, "%s/%s shared: child could not read the secret (exit %d)", b,
		      mw_secret_mode_name(mode), rc);
		if (mw_secret_heap_backing(h) == MW_SECRET_BACKING_SECRETMEM)
			CHECK(p[0] == 'H', "secretmem shared with the child, but its write is not seen");
		else
			CHECK(p[0] == 'h', "fallback: the child's copy is private, yet the parent changed");
	} else {
		CHECK(rc == 128 + SIGSEGV || rc == 1,
		      "%s/%s: a forked child read the secret (exit %d)", b, mw_secret_mode_name(mode), rc);
		CHECK(p[0] == 'h', "child changed the parent's secret");
	}
	mw_secret_free(h, p);
	mw_secret_heap_destroy(h);
}

/* Guarded mode without SHARE_WITH_CHILDREN: no object of any slot of a slab
 * is readable in a child. */
static void every_slot(unsigned int flags, size_t size)
{
	enum { BATCH = 4, N = 2 * BATCH + 1 };
	struct mw_secret_opts o = { .sz = sizeof(o), .flags = flags, .mode = MW_SECRET_GUARDED,
				    .guarded_batch = BATCH };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	char *p[N];
	int seen = 0;

	REQUIRE(h, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	for (int i = 0; i < N; i++) {
		p[i] = mw_secret_alloc(h, size);
		REQUIRE(p[i], "alloc %d of %zu bytes: %s", i, size, strerror(errno));
		memset(p[i], 's', size);
	}
	fflush(stdout);
	for (int i = 0; i < N; i++) {
		pid_t pid = fork();
		int rc;

		if (pid == 0) {
			signal(SIGSEGV, SIG_DFL);
			_exit(p[i][0] == 's' && p[i][size - 1] == 's' ? 0 : 1);
		}
		rc = live_wait(pid);
		CHECK(rc == 128 + SIGSEGV || rc == 1, "%s guarded, %zu bytes: a forked child read "
		      "object %d of %d (exit %d)", mw_secret_backing_name(mw_secret_heap_backing(h)),
		      size, i, N, rc);
		seen += rc == 0;
	}
	printf("%s guarded, %zu-byte objects: %d of %d readable in a child\n",
	       mw_secret_backing_name(mw_secret_heap_backing(h)), size, seen, N);
	for (int i = 0; i < N; i++)
		mw_secret_free(h, p[i]);
	mw_secret_heap_destroy(h);
}

int main(void)
{
	every_slot(0, 32);
	every_slot(0, 5000);
	every_slot(MW_SECRET_FORCE_FALLBACK, 32);
	for (int m = 0; m < 2; m++) {
		one(0, (enum mw_secret_mode)m);
		one(MW_SECRET_SHARE_WITH_CHILDREN, (enum mw_secret_mode)m);
		one(MW_SECRET_FORCE_FALLBACK, (enum mw_secret_mode)m);
		one(MW_SECRET_FORCE_FALLBACK | MW_SECRET_SHARE_WITH_CHILDREN, (enum mw_secret_mode)m);
	}
	return live_done();
}
