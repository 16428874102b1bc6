/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward wss --source damon's longer windows (6.12 guest): a 64 MiB hot set
 * in 256 MiB, whose cold part was last touched before monitoring began.
 * The windows are 1, 10 and 60 intervals (memward-wss(1)); 60 s at the
 * default interval is too long for a TCG guest, so this runs at --interval
 * 250ms, where they are 250 ms, 2.5 s and 15 s: "2500ms" and "15s" are null
 * until that much time has been monitored, then within 10% of the hot set.
 * (The 1-interval window at the default 1 s: damon-wss. A second run at 1 s
 * for its 10 s window took 22 s of CI and went through the same code with
 * another interval; it was dropped.)
 * Each is the median of the samples from the window's length plus 5 s on: a
 * cold region's age starts when DAMON first tells it from the hot ones, and
 * regions next to the hot set age later still; under TCG on a loaded host
 * (aggregations of 160 ms for 100) that took up to 4 s, and with 2 s of
 * margin the 15 s window read 186 MiB.
 */
#include "live.h"
#include "reclaim_run.h"
#include "reclaim_wss.h"


/* The median of key over the samples at or after from_ms; nulls before it
 * are counted in *nulls_before, nulls after it fail. -1 when none. */
static long long window_median(const char *out, const char *key, long long from_ms, long long fill_ms)
{
	const char *lines[256];
	long long v[256];
	size_t n = rr_samples(out, lines, 256), k = 0;

	for (size_t i = 0; i < n; i++) {
		long long t = rr_json(lines[i], "time_ms"), x = rr_json(lines[i], key);

		if (t < fill_ms)
			CHECK(x < 0, "%s reported at %lld ms, before the window could fill", key, t);
		else
			CHECK(x >= 0, "%s missing or null at %lld ms", key, t);
		if (t >= from_ms && x >= 0)
			v[k++] = x;
	}
	if (!k)
		return -1;
	qsort(v, k, sizeof(v[0]), cmp_ll);
	live_note("%s: %zu samples from %lld ms, median of them taken", key, k, from_ms);
	return v[k / 2];
}

static void run(const char *memward, pid_t pid, const char *interval, uint64_t ms, char *out, size_t len)
{
	char pidbuf[16];
	char *av[] = { (char *)memward, (char *)"wss", pidbuf, (char *)"--source", (char *)"damon", (char *)"--json",
		       (char *)"--interval", (char *)interval, NULL };
	int rc;

	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	rc = rr_run_for(av, ms, 0, NULL, NULL, out, len);
	CHECK(rc == 0, "memward wss --interval %s exited %d", interval, rc);
}

int main(int argc, char **argv)
{
	static char out[262144];
	struct workload wl;
	char cg[256];

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	wl_require_damon();
	wl_cgroup("mw-damon-wss-win", cg, sizeof(cg));
	wl = wl_start(cg, TOTAL_MIB * WL_MIB, HOT_MIB * WL_MIB, 20);
	wl_wait_ready(&wl);

	run(argv[1], wl.pid, "250ms", 25000, out, sizeof(out));
	wss_check("damon wss 2500ms window (250ms interval)", window_median(out, "2500ms", 7500, 2500));
	wss_check("damon wss 15s window (250ms interval: 60 intervals)", window_median(out, "15s", 20000, 15000));
	CHECK(wl_read_ll(WL_NR_KDAMONDS) == 0, "kdamond left after SIGTERM");

	wl_stop(&wl);
	rmdir(cg);
	return live_failures ? 1 : 0;
}
