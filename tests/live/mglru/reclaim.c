/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MGLRU aging and eviction on a test cgroup (guests only, swap on zram): an
 * aging opens a generation (the youngest seq grows by one); memward reclaim
 * --mechanism mglru evicts the cold part of a 64 MiB-hot / 256 MiB workload
 * and keeps the hot part. On 6.1, where MGLRU ships off, the test enables it
 * and restores the setting.
 */
#include "setup.h"

static int max_seq(const struct mw_mglru_gen *g, void *arg)
{
	uint64_t *m = arg;

	if (g->seq > *m)
		*m = g->seq;
	return 0;
}

int main(int argc, char **argv)
{
	char cg[256], path[300], out[65536];
	char *av[] = { argv[1], (char *)"reclaim", (char *)"--cgroup", (char *)"/mw-rc-mglru", (char *)"--min-age",
		       (char *)"3s", (char *)"--once", (char *)"--json", (char *)"--mechanism", (char *)"mglru", NULL };
	struct workload wl;
	uint64_t m0 = 0, m1 = 0;
	long long before, after;

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	mglru_setup();
	wl_cgroup("mw-rc-mglru", cg, sizeof(cg));
	wl = wl_start(cg, TOTAL_MIB * WL_MIB, HOT_MIB * WL_MIB, 20);
	wl_wait_ready(&wl);

	CHECK(mw_mglru_gens_foreach("/mw-rc-mglru", max_seq, &m0) == 0, "generations of the test cgroup");
	CHECK(mw_mglru_age("/mw-rc-mglru", 1) == 0, "aging");
	CHECK(mw_mglru_gens_foreach(cg, max_seq, &m1) == 0 && m1 == m0 + 1, "aging: max seq %llu -> %llu",
	      (unsigned long long)m0, (unsigned long long)m1);
	CHECK(mw_mglru_evict("/mw-rc-mglru", 3600 * 1000, -1, 0, NULL) == -ERANGE,
	      "nothing is an hour old, yet eviction did not say ERANGE");
	CHECK(mw_mglru_gens_foreach("/mw-no-such-cgroup", max_seq, &m1) == -ENOENT, "a missing cgroup");

	snprintf(path, sizeof(path), "%s/memory.current", cg);
	before = wl_read_ll(path);
	CHECK(live_capture(av, true, NULL, out, sizeof(out)) == 0, "memward reclaim --mechanism mglru failed");
	printf("%s", out);
	after = wl_read_ll(path);
	live_note("MGLRU eviction: memory.current %.1f -> %.1f MiB (hot set %d MiB)", (double)before / WL_MIB,
		  (double)after / WL_MIB, HOT_MIB);
	CHECK(before - after > (long long)((TOTAL_MIB - HOT_MIB) / 2 * WL_MIB), "less than half the cold part went out");
	CHECK(after > (long long)(HOT_MIB * WL_MIB * 9 / 10), "the hot set went out too");

	wl_stop(&wl);
	rmdir(cg);
	mglru_restore();
	return live_failures ? 1 : 0;
}
