/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A parent holding as many guarded objects as the library lets a process
 * have (a quarter of vm.max_map_count in slots) forks; the child, where
 * none of those slots exists, makes a guarded heap of its own and gets an
 * object from it. Red-team round 4: the process-wide count of slots was
 * inherited, and the child's first allocation failed with ENOMEM.
 * Needs room for 64 MiB of locked memory (CAP_IPC_LOCK or RLIMIT_MEMLOCK):
 * skipped, saying so, without it.
 */
#include "live.h"

#include <sys/resource.h>
#include <memward/secret.h>

static int child(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };
	struct mw_secret_heap *c = mw_secret_heap_new(&o);
	void *p = c ? mw_secret_alloc(c, 32) : NULL;

	if (!p) {
		printf("child: a guarded heap of its own, alloc(32): %s (%s)\n", strerror(errno),
		       mw_secret_last_error());
		return 1;
	}
	mw_secret_free(c, p);
	mw_secret_heap_destroy(c);
	return 0;
}

int main(void)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };
	struct mw_secret_heap *h;
	void **v;
	size_t n = 0, cap = 1 << 17;
	int rc;

	{
		/* Kernels that charge secretmem to RLIMIT_MEMLOCK even with
		 * CAP_IPC_LOCK (6.1, 6.12): root lifts the limit for the test. */
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
			live_note("RLIMIT_MEMLOCK stays as it is: %s", strerror(errno));
	}
	h = mw_secret_heap_new(&o);
	REQUIRE(h, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
	v = calloc(cap, sizeof(*v));
	REQUIRE(v, "calloc");
	while (n < cap && (v[n] = mw_secret_alloc(h, 32)))
		n++;
	if (n == cap || errno != ENOMEM || !strstr(mw_secret_last_error(), "max_map_count")) {
		int err = errno;

		while (n--)
			mw_secret_free(h, v[n]);
		mw_secret_heap_destroy(h);
		if (err == EAGAIN)
			live_skip("the guarded slot cap is not reachable here: %s", mw_secret_last_error());
		REQUIRE(0, "after %zu guarded objects: %s (%s), want ENOMEM at the slot cap", n, strerror(err),
			mw_secret_last_error());
	}
	live_note("parent: %zu guarded objects, then: %s", n, mw_secret_last_error());
	rc = live_run_child(child);
	CHECK(rc == 0, "the child of a parent at the slot cap could not make a slot of its own: exit %d", rc);
	while (n--)
		mw_secret_free(h, v[n]);
	mw_secret_heap_destroy(h);
	free(v);
	return live_done();
}
