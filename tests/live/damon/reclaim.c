/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward reclaim with DAMOS pageout (guests only, swap on zram):
 *  - the cold part of a 64 MiB-hot / 256 MiB workload goes out (memory.current
 *    drops by more than half the cold part), the hot part stays;
 *  - --file (an anon filter that excludes anonymous pages) leaves the anon RSS
 *    unchanged while cold shmem goes out;
 *  (the memcg filter's confinement: damon/memcg_filter.c).
 * The filter cases use paddr (only paddr honours those filters), which under
 * TCG pages out only a few MiB per --once pass: they check direction, not
 * amount.
 * Sizes scaled for TCG (see reclaim_wss.h); min-age 3 s.
 */
#include "live.h"
#include "reclaim_wss.h"


/* memward reclaim --once; its wall time in *secs. */
static int run_reclaim(const char *memward, const char *cg, const char *extra, char *out, size_t len, double *secs)
{
	char *argv[] = { (char *)memward, (char *)"reclaim", (char *)"--cgroup", (char *)cg, (char *)"--min-age",
			 (char *)"3s", (char *)"--once", (char *)"--json", (char *)"--mechanism", (char *)"damon",
			 (char *)extra, NULL };
	struct timespec a, b;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	rc = live_capture(argv, true, NULL, out, len);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%s", out);
	return rc;
}

static long long mem_current(const char *cg)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/memory.current", cg);
	return wl_read_ll(p);
}

static void check_cold_out(const char *memward)
{
	char cg[256], out[65536];
	struct workload wl;
	long long before, after;
	double secs;

	wl_cgroup("mw-rc-damon", cg, sizeof(cg));
	wl = wl_start(cg, TOTAL_MIB * WL_MIB, HOT_MIB * WL_MIB, 20);
	wl_wait_ready(&wl);
	before = mem_current(cg);
	CHECK(run_reclaim(memward, "/mw-rc-damon", NULL, out, sizeof(out), &secs) == 0, "memward reclaim failed");
	CHECK(strstr(out, "\"mechanism\":\"damos-pageout\"") != NULL, "not DAMOS pageout");
	after = mem_current(cg);
	live_note("DAMOS pageout: memory.current %.1f -> %.1f MiB (hot set %d MiB)", (double)before / WL_MIB,
		  (double)after / WL_MIB, HOT_MIB);
	CHECK(before - after > (long long)((TOTAL_MIB - HOT_MIB) / 2 * WL_MIB), "less than half the cold part went out");
	CHECK(after > (long long)(HOT_MIB * WL_MIB * 9 / 10), "the hot set went out too");
	CHECK(wl_read_ll(WL_NR_KDAMONDS) == 0, "kdamond left after --once");
	/* --once ends when the cgroup has stopped shrinking for 5 s, not at its
	 * cap (2 x 3 s + 60 s): DAMOS' own counter keeps growing after the cold
	 * part is out (66 s runs before the end was read from memory.current). */
	live_note("--once took %.1f s", secs);
	CHECK(secs < 50, "--once ran %.1f s: it ended at its cap, not when the cgroup stopped shrinking", secs);
	wl_stop(&wl);
	rmdir(cg);
}

/* --file: the anon filter (matching) excludes anonymous pages. */
static void check_anon_filter(const char *memward)
{
	char cg[256], out[65536];
	struct workload wl;
	long long anon0, anon1, shm0, shm1;
	double secs;

	wl_cgroup("mw-rc-file", cg, sizeof(cg));
	wl = wl_start_mixed(cg, 64 * WL_MIB, 0, 64 * WL_MIB, 1000);
	wl_wait_ready(&wl);
	anon0 = wl_rss(wl.pid, "RssAnon");
	shm0 = wl_rss(wl.pid, "RssShmem");
	CHECK(run_reclaim(memward, "/mw-rc-file", "--file", out, sizeof(out), &secs) == 0,
	      "memward reclaim --file failed");
	anon1 = wl_rss(wl.pid, "RssAnon");
	shm1 = wl_rss(wl.pid, "RssShmem");
	live_note("--file: RssAnon %.1f -> %.1f MiB, RssShmem %.1f -> %.1f MiB", (double)anon0 / WL_MIB,
		  (double)anon1 / WL_MIB, (double)shm0 / WL_MIB, (double)shm1 / WL_MIB);
	CHECK(anon1 >= anon0 * 99 / 100, "anon RSS changed under an anon-excluding filter");
	/* paddr pageout under TCG moves a few MiB per pass (the rmap checks of
	 * every region are slow): any cold shmem out proves the filter let the
	 * non-anon part through; the anon RSS check above is the filter's point. */
	CHECK(shm1 <= shm0 - (long long)WL_MIB, "no cold shmem went out: the filter excluded everything");
	wl_stop(&wl);
	rmdir(cg);
}

int main(int argc, char **argv)
{

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	wl_require_damon();
	REQUIRE(wl_read_ll("/proc/sys/vm/swappiness") >= 0 && access("/proc/swaps", R_OK) == 0, "no swap info");
	check_cold_out(argv[1]);
	check_anon_filter(argv[1]);
	return live_failures ? 1 : 0;
}
