/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A forked child does not see the secret heap (MADV_DONTFORK; on the
 * fallback also MADV_WIPEONFORK): reading a secret's address in the child
 * faults. With MW_SECRET_SHARE_WITH_CHILDREN the child reads the secret;
 * on secretmem the pages are shared (the parent sees the child's write), on
 * the fallback the child has a copy.
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

int main(void)
{
	for (int m = 0; m < 2; m++) {
		one(0, (enum mw_secret_mode)m);
		one(MW_SECRET_SHARE_WITH_CHILDREN, (enum mw_secret_mode)m);
		one(MW_SECRET_FORCE_FALLBACK, (enum mw_secret_mode)m);
		one(MW_SECRET_FORCE_FALLBACK | MW_SECRET_SHARE_WITH_CHILDREN, (enum mw_secret_mode)m);
	}
	return live_done();
}
