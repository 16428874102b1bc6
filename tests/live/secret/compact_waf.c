/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 10 defect 7: a write after free in compact mode is detected when the
 * slot is reused (the violation handler is called), and the next allocation
 * still returns zeroed memory. Sizes from 1 to 4096 bytes, and large objects
 * (10,000 and 40,000 bytes: runs of their own, kept for reuse; red-team
 * round 3 found their reuse unchecked: the next allocation of the size got
 * the written bytes, and no report).
 * At the limit (where emptied slabs are unmapped): secret-waf-at-limit.
 */
#include "waf.h"

#include <memward/secret.h>

int main(void)
{
	static const size_t sizes[] = { 1, 16, 32, 100, 256, 1000, 4096, 10000, 40000 };
	struct mw_secret_heap *h = mw_secret_heap_new(NULL);

	REQUIRE(h, "heap_new: %s", strerror(errno));
	mw_secret_set_violation_handler(handler, NULL);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		unsigned char *p = mw_secret_alloc(h, n), *q;
		int before = reports;

		REQUIRE(p, "alloc %zu", n);
		mw_secret_free(h, p);
		p[n / 2] = 0xA5; /* write after free */
		/* The same class: the thread cache hands the same slot back first. */
		q = mw_secret_alloc(h, n);
		REQUIRE(q, "alloc %zu after the write: %s", n, strerror(errno));
		CHECK(reports == before + 1 && strstr(last, "write after free"),
		      "%zu bytes: write after free not reported (reports %d, last '%s')", n,
		      reports - before, last);
		CHECK(zero(q, n), "%zu bytes: the next allocation is not zero", n);
		CHECK(q != p, "%zu bytes: the modified slot was handed out again", n);
		mw_secret_free(h, q);
	}
	mw_secret_set_violation_handler(NULL, NULL);
	mw_secret_heap_destroy(h);
	return live_done();
}
