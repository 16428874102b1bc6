/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A guarded slab's slots are faulted in one by one, when each is first
 * handed out, not all at once when the slab is mapped: the kernel's first
 * fault of a secret page (taking it out of the direct map, ~17 us on a
 * 2-CPU VM) is paid only for slots that are used. Before, the first object
 * of a fresh guarded heap faulted in the whole slab (8 pages by default: 8
 * resident secret pages for one 32-byte object).
 *
 * And the slabs of a size grow with what that size has mapped already (1,
 * 1, 2, 4, then guarded_batch slots): the first object of a fresh heap maps
 * one slot, not 8 (an mmap each, ~3 us, charged to RLIMIT_MEMLOCK at mmap
 * time on Linux 6.18).
 *
 * Resident secret pages and secret mappings are read from /proc/self/smaps
 * (Rss of the secretmem mappings, and their number). As root, then as
 * nobody (RLIMIT_MEMLOCK 8 MiB):
 *   - one 32-byte object: 1 page resident, 1 slot mapped (before: 8 pages
 *     resident, then 1 page and 8 slots);
 *   - freed and allocated again: still 1 and 1 (the same slot);
 *   - a second and a third: 2 slots mapped, then 4;
 *   - 8 in all: 8 resident, 8 mapped; one of 5000 bytes (a 2-page slot):
 *     10 pages, 9 mappings;
 *   - every object is zero-filled and ends at its guard as before.
 */
#include "unpriv.h"

#include <stdint.h>

#include <memward/secret.h>

/* KiB resident in the secretmem mappings of this process (or, with
 * `count`, how many there are), or -1. */
static long secret_smaps(bool count)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	bool secret = false;
	long sum = 0, n = 0, v;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) { /* a mapping's first line */
			secret = strstr(line, "secretmem") != NULL;
			n += secret;
		}
		else if (secret && sscanf(line, "Rss: %ld kB", &v) == 1)
			sum += v;
	}
	fclose(f);
	return count ? n : sum;
}

static bool zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int body(void *arg)
{
	struct mw_secret_opts o = { .sz = sizeof(o), .mode = MW_SECRET_GUARDED };
	struct mw_secret_heap *h = mw_secret_heap_new(&o);
	const char *who = arg;
	long pg = sysconf(_SC_PAGESIZE) / 1024, base, r;
	char *p[9];

	if (!h) {
		printf("%s: heap_new: %s (%s)\n", who, strerror(errno), mw_secret_last_error());
		return 1;
	}
	CHECK(mw_secret_heap_backing(h) == MW_SECRET_BACKING_SECRETMEM, "%s: backing %s (%s)",
	      who, mw_secret_backing_name(mw_secret_heap_backing(h)),
	      mw_secret_heap_fallback_reason(h));
	base = secret_smaps(false);
	CHECK(base == 0, "%s: %ld KiB of secret pages resident before the first alloc", who, base);
	p[0] = mw_secret_alloc(h, 32);
	REQUIRE(p[0], "%s: alloc: %s (%s)", who, strerror(errno), mw_secret_last_error());
	r = secret_smaps(false) - base;
	printf("%s: one 32-byte object: %ld secret pages resident\n", who, r / pg);
	CHECK(r == pg, "%s: one 32-byte object made %ld pages resident (its slab faulted in "
	      "whole), not 1", who, r / pg);
	CHECK(secret_smaps(true) == 1, "%s: one 32-byte object mapped %ld slots, not 1", who,
	      secret_smaps(true));
	CHECK(zero(p[0], 32), "%s: a new object is not zero-filled", who);
	memset(p[0], 0x5a, 32);
	mw_secret_free(h, p[0]);
	p[0] = mw_secret_alloc(h, 32);
	REQUIRE(p[0], "%s: alloc again: %s", who, strerror(errno));
	CHECK(zero(p[0], 32), "%s: a reused object is not zero-filled", who);
	r = secret_smaps(false) - base;
	CHECK(r == pg, "%s: freed and allocated again: %ld pages resident, not 1", who, r / pg);
	CHECK(secret_smaps(true) == 1, "%s: freed and allocated again: %ld slots mapped, not 1",
	      who, secret_smaps(true));
	for (int i = 1; i < 8; i++) {
		static const long mapped[8] = { 1, 2, 4, 4, 8, 8, 8, 8 };

		p[i] = mw_secret_alloc(h, 32);
		REQUIRE(p[i], "%s: alloc %d: %s (%s)", who, i, strerror(errno),
			mw_secret_last_error());
		CHECK(zero(p[i], 32), "%s: object %d is not zero-filled", who, i);
		CHECK((((uintptr_t)p[i] + 32) & ((uintptr_t)pg * 1024 - 1)) == 0,
		      "%s: object %d does not end at its guard", who, i);
		CHECK(secret_smaps(true) == mapped[i], "%s: %d objects: %ld slots mapped, not %ld",
		      who, i + 1, secret_smaps(true), mapped[i]);
	}
	r = secret_smaps(false) - base;
	printf("%s: eight 32-byte objects: %ld secret pages resident\n", who, r / pg);
	CHECK(r == 8 * pg, "%s: eight objects: %ld pages resident, not 8", who, r / pg);
	p[8] = mw_secret_alloc(h, 5000);
	REQUIRE(p[8], "%s: alloc 5000: %s (%s)", who, strerror(errno), mw_secret_last_error());
	CHECK(zero(p[8], 5000), "%s: the 5000-byte object is not zero-filled", who);
	r = secret_smaps(false) - base;
	printf("%s: and one of 5000 bytes: %ld secret pages resident\n", who, r / pg);
	CHECK(r == 10 * pg, "%s: with a 2-page slot: %ld pages resident, not 10", who, r / pg);
	CHECK(secret_smaps(true) == 9, "%s: with a 2-page slot: %ld secret mappings, not 9", who,
	      secret_smaps(true));
	for (int i = 0; i < 9; i++)
		mw_secret_free(h, p[i]);
	mw_secret_heap_destroy(h);
	return live_failures ? 1 : 0;
}

int main(void)
{
	int err = try_memfd_secret(), rc;

	if (err)
		live_skip("memfd_secret: %s (not built or disabled): no secret pages to count",
			  strerror(err));
	CHECK(body("root") == 0, "as root");
	rc = unpriv_run(8 * MIB, body, "nobody");
	CHECK(rc == 0, "as nobody, RLIMIT_MEMLOCK 8 MiB: exit %d", rc);
	return live_done();
}
