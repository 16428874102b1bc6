/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 10 defect 4: a freed guarded slot serves other sizes. One object
 * each of 1..200 pages, allocated and freed in turn with nothing else live,
 * as nobody under an 8 MiB RLIMIT_MEMLOCK: every allocation succeeds (the
 * old heap kept each size's slot and failed with EAGAIN at 63 pages), and
 * at the end the heap holds at most the limit.
 */
#include "unpriv.h"

#include <memward/secret.h>

static int run(void *arg)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };
	struct mw_secret_stats st = { .sz = sizeof(st) };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	(void)arg;
	if (!h) {
		printf("heap_new: %s (%s)\n", strerror(errno), mw_secret_last_error());
		return 1;
	}
	for (size_t n = 1; n <= 200; n++) {
		char *p = mw_secret_alloc(h, n * page - 16);

		if (!p) {
			printf("%zu pages: %s (%s)\n", n, strerror(errno), mw_secret_last_error());
			return 1;
		}
		memset(p, 0x33, n * page - 16);
		mw_secret_free(h, p);
	}
	mw_secret_heap_stats(h, &st);
	printf("note: after 1..200 pages: %zu bytes locked, %zu slots\n", st.bytes_locked, st.chunks);
	mw_secret_heap_destroy(h);
	return st.bytes_locked <= 8 * MIB ? 0 : 1;
}

int main(void)
{
	int rc = unpriv_run(8 * MIB, run, NULL);

	CHECK(rc == 0, "guarded 1..200 pages as nobody, 8 MiB: exit %d", rc);
	return live_done();
}
