/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A write after free anywhere in a guarded slot is reported when an object
 * would first cover it, and no object is handed out with the written byte:
 * in the freed object, in the canary gap in front of it, and in the slack
 * in front of that, which a later, larger object of the same slot size
 * covers (red-team round 4: 2,000 bytes in front of a freed 100-byte
 * object; a 3,000-byte object then came back non-zero and nothing was
 * reported: only the last object and its gap were checked), after a 0-byte
 * object, and in a two-page slot.
 */
#include "waf.h"

#include <memward/secret.h>

int main(void)
{
	static const struct {
		size_t n1;
		long off; /* of the write, from the freed object */
		size_t n2;
	} cases[] = {
		{ 100, 50, 100 },     /* in the object */
		{ 100, -1, 100 },     /* the canary gap */
		{ 100, -2000, 3000 }, /* slack a larger object covers */
		{ 100, -3990, 4080 }, /* the slot's first bytes */
		{ 0, -1, 100 },       /* after a 0-byte object */
		{ 0, -900, 1000 },
		{ 5000, -100, 8000 }, /* a two-page slot */
	};
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };

	mw_secret_set_violation_handler(handler, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mw_secret_heap *h = mw_secret_heap_new(&o);
		unsigned char *p, *q[8], *hit = NULL;
		int before = reports, k;

		REQUIRE(h, "heap_new: %s (%s)", strerror(errno), mw_secret_last_error());
		p = mw_secret_alloc(h, cases[i].n1);
		REQUIRE(p, "alloc %zu: %s", cases[i].n1, strerror(errno));
		memset(p, 0x5a, cases[i].n1);
		mw_secret_free(h, p);
		p[cases[i].off] = 0xA5; /* write after free */
		for (k = 0; k < 8; k++) {
			q[k] = mw_secret_alloc(h, cases[i].n2);
			REQUIRE(q[k], "alloc %zu after the write: %s", cases[i].n2, strerror(errno));
			CHECK(zero(q[k], cases[i].n2), "%zu then %zu bytes, write at %ld: an object is not zero",
			      cases[i].n1, cases[i].n2, cases[i].off);
			if (p + cases[i].off >= q[k] - 16 && p + cases[i].off < q[k] + cases[i].n2)
				hit = q[k];
			if (reports > before)
				break;
		}
		CHECK(reports == before + 1 && strstr(last, "write after free"),
		      "%zu then %zu bytes, write at %ld: %d reports (last '%s'), want 1", cases[i].n1,
		      cases[i].n2, cases[i].off, reports - before, last);
		CHECK(!hit, "%zu then %zu bytes, write at %ld: the written byte is under a new object",
		      cases[i].n1, cases[i].n2, cases[i].off);
		while (k >= 0) {
			if (k < 8)
				mw_secret_free(h, q[k]);
			k--;
		}
		mw_secret_heap_destroy(h);
	}
	mw_secret_set_violation_handler(NULL, NULL);
	return live_done();
}
