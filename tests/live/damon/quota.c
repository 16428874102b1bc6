/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward reclaim --quota BYTES/s with DAMOS pageout (6.12 guest, swap on
 * zram): the scheme's quota files read back what was asked (bytes per 1 s
 * reset interval, no time quota, no goal), and the bytes DAMOS paged out
 * (stats/sz_applied, the JSON's reclaimed_bytes) stay within the quota: in
 * every printed interval and over the run, while the quota was reached
 * (qt_exceeds > 0: it was the limit, not the workload). Without the quota
 * vaddr pageout takes the 112 MiB cold part far faster than 1 MiB/s.
 */
#include "live.h"
#include "reclaim_run.h"

#define ADMIN "/sys/kernel/mm/damon/admin/kdamonds"
#define Q ADMIN "/0/contexts/0/schemes/0/quotas"
#define QUOTA (1ll << 20)

struct readback {
	long long nr_kd, bytes, reset_ms, ms, nr_goals;
};

static void read_quota_files(void *arg)
{
	struct readback *r = arg;

	r->nr_kd = wl_read_ll(WL_NR_KDAMONDS);
	r->bytes = wl_read_ll(Q "/bytes");
	r->reset_ms = wl_read_ll(Q "/reset_interval_ms");
	r->ms = wl_read_ll(Q "/ms");
	r->nr_goals = wl_read_ll(Q "/goals/nr_goals");
}

int main(int argc, char **argv)
{
	char cg[256], out[65536], mech[64];
	char *av[] = { argv[1], (char *)"reclaim", (char *)"--cgroup", (char *)"/mw-rc-quota", (char *)"--min-age",
		       (char *)"2s", (char *)"--quota", (char *)"1M/s", (char *)"--json", NULL };
	struct readback rb = { -1, -1, -1, -1, -1 };
	const char *lines[64];
	struct workload wl;
	size_t n;
	int rc;

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	wl_require_damon();
	wl_cgroup("mw-rc-quota", cg, sizeof(cg));
	wl = wl_start(cg, 128 * WL_MIB, 16 * WL_MIB, 20);
	wl_wait_ready(&wl);

	rc = rr_run_for(av, 9000, 3000, read_quota_files, &rb, out, sizeof(out));
	CHECK(rc == 0, "memward reclaim --quota exited %d", rc);
	CHECK(!strcmp(rr_json_str(out, "mechanism", mech, sizeof(mech)), "damos-pageout"), "mechanism '%s'", mech);
	CHECK(rr_json(out, "quota_bytes_per_s") == QUOTA, "the start line does not say the quota");
	live_note("quota files while running: bytes %lld, reset_interval_ms %lld, ms %lld, goals %lld", rb.bytes,
		  rb.reset_ms, rb.ms, rb.nr_goals);
	CHECK(rb.nr_kd == 1, "no kdamond while memward ran");
	CHECK(rb.bytes == QUOTA, "quotas/bytes reads %lld, not %lld", rb.bytes, QUOTA);
	CHECK(rb.reset_ms == 1000, "quotas/reset_interval_ms reads %lld, not 1000", rb.reset_ms);
	CHECK(rb.ms == 0, "quotas/ms reads %lld: a time quota nobody asked for", rb.ms);
	CHECK(rb.nr_goals == 0, "quotas/goals/nr_goals reads %lld without --psi-target", rb.nr_goals);

	n = rr_samples(out, lines, 64);
	CHECK(n >= 5, "%zu samples in 9 s", n);
	for (size_t i = 1; i < n; i++) {
		long long dt = rr_json(lines[i], "time_ms") - rr_json(lines[i - 1], "time_ms");
		long long dr = rr_json(lines[i], "reclaimed_bytes") - rr_json(lines[i - 1], "reclaimed_bytes");
		/* the 1 s reset intervals this printed interval touched */
		long long windows = (dt + 999) / 1000 + 1;

		CHECK(dr <= QUOTA * windows, "sample %zu: %lld bytes paged out in %lld ms, over %lld x the 1 MiB/s quota",
		      i, dr, dt, windows);
	}
	if (n) {
		long long t = rr_json(lines[n - 1], "time_ms"), r = rr_json(lines[n - 1], "reclaimed_bytes");
		long long qx = rr_json(lines[n - 1], "quota_exceeds");

		live_note("%.1f MiB paged out in %.1f s under a 1 MiB/s quota (quota reached %lld times)",
			  (double)r / WL_MIB, (double)t / 1000, qx);
		CHECK(r > 0, "nothing paged out: the test proves nothing");
		CHECK(r <= QUOTA * ((t + 999) / 1000 + 1), "%lld bytes in %lld ms: over the quota", r, t);
		CHECK(qx > 0, "the quota was never reached: it did not limit anything");
	}
	CHECK(wl_read_ll(WL_NR_KDAMONDS) == 0, "kdamond left after SIGTERM");
	wl_stop(&wl);
	rmdir(cg);
	return live_failures ? 1 : 0;
}
