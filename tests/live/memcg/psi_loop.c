/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward reclaim's memory.reclaim + PSI loop (both guests, swap on zram):
 * the command says the PSI target is the loop's, and it backs off under
 * pressure. One cgroup holds an idle workload and, in the second phase, a hog
 * thrashing under its own memory.max; the cgroup's memory.pressure is what
 * the loop reads. Calm: memory.reclaim steps every interval. Under pressure:
 * most intervals are over the target, and every interval over it backs off
 * (reclaimed_bytes does not move; an interval that reads under it may reclaim). On
 * 6.1 (no DAMON) the automatic choice with --psi-target is this loop.
 */
#include "live.h"
#include "reclaim_run.h"

struct phase {
	long long reclaimed;
	size_t n, backoffs, over, reclaimed_in_backoff;
};

static struct phase run(const char *memward, bool forced, uint64_t ms)
{
	char out[65536], buf[256];
	char *av[] = { (char *)memward, (char *)"reclaim", (char *)"--cgroup", (char *)"/mw-rc-loop", (char *)"--min-age",
		       (char *)"1s", (char *)"--psi-target", (char *)"1000", (char *)"--interval", (char *)"500ms",
		       (char *)"--json", forced ? (char *)"--mechanism" : NULL, (char *)"memcg", NULL };
	const char *lines[64];
	struct phase p = { -1, 0, 0, 0, 0 };
	long long prev = 0;
	int rc = rr_run_for(av, ms, 0, NULL, NULL, out, sizeof(out));

	CHECK(rc == 0, "memward reclaim (memory.reclaim loop) exited %d", rc);
	CHECK(!strcmp(rr_json_str(out, "mechanism", buf, sizeof(buf)), "memory.reclaim+psi"), "mechanism '%s'", buf);
	CHECK(!strncmp(rr_json_str(out, "psi", buf, sizeof(buf)), "memory.reclaim loop", 19),
	      "the start line does not say the PSI target is the memory.reclaim loop's: '%s'", buf);
	CHECK(rr_json(out, "psi_target_us") == 1000, "the start line does not give the target");
	p.n = rr_samples(out, lines, 64);
	for (size_t i = 0; i < p.n; i++) {
		long long rate = rr_json(lines[i], "psi_rate_us"), b = rr_json(lines[i], "backoff");

		CHECK(rate >= 0 && b >= 0, "sample %zu lacks psi_rate_us or backoff", i);
		p.backoffs += b == 1;
		p.over += rate >= 1000;
		CHECK(b == (rate >= 1000), "sample %zu: PSI %lld us/s against a 1000 target, backoff %lld", i, rate, b);
		p.reclaimed = rr_json(lines[i], "reclaimed_bytes");
		/* an interval over the target asks memory.reclaim for nothing */
		if (b == 1 && p.reclaimed != prev) {
			p.reclaimed_in_backoff++;
			CHECK(false, "sample %zu: PSI %lld us/s over the target, yet reclaimed %lld -> %lld bytes", i, rate,
			      prev, p.reclaimed);
		}
		prev = p.reclaimed;
	}
	live_note("%s: %zu samples, %zu over the target, %zu backed off, %lld bytes reclaimed",
		  forced ? "--mechanism memcg" : "automatic", p.n, p.over, p.backoffs, p.reclaimed);
	return p;
}

int main(int argc, char **argv)
{
	char cg[256], work[300], hogd[300], p[400];
	struct workload wl, hog;
	struct phase calm, hot;
	struct stat st;

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	wl_require_vm();
	wl_cgroup("mw-rc-loop", cg, sizeof(cg));
	snprintf(p, sizeof(p), "%s/memory.pressure", cg);
	if (stat(p, &st) < 0) {
		CHECK(!wl_profile("6.1") && !wl_profile("6.12"), "the guests have PSI: %s", strerror(errno));
		rmdir(cg);
		if (live_failures)
			return 1;
		live_skip("no PSI (stat %s: %s)", p, strerror(errno));
	}
	/* processes live in leaves: the parent's memory.pressure covers both */
	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", cg);
	REQUIRE(wl_write(p, "+memory") == 0, "enable memory in %s: %s", cg, strerror(errno));
	snprintf(work, sizeof(work), "%s/work", cg);
	snprintf(hogd, sizeof(hogd), "%s/hog", cg);
	REQUIRE(mkdir(work, 0755) == 0 || errno == EEXIST, "mkdir %s", work);
	REQUIRE(mkdir(hogd, 0755) == 0 || errno == EEXIST, "mkdir %s", hogd);
	wl = wl_start(work, 64 * WL_MIB, 0, 1000);
	wl_wait_ready(&wl);

	/* Under TCG on a loaded host one memory.reclaim step can take seconds:
	 * the runs are long, the sample counts asked for small. */
	calm = run(argv[1], true, 8000);
	CHECK(calm.n >= 1, "calm: %zu samples in 8 s at 500 ms", calm.n);
	CHECK(calm.reclaimed > 0, "calm: nothing reclaimed with PSI under the target (the control)");
	CHECK(calm.backoffs < calm.n, "calm: every interval backed off");

	hog = rr_hog_start(hogd, 16, 48);
	hot = run(argv[1], !wl_profile("6.1"), 8000);
	CHECK(hot.n >= 2, "pressure: %zu samples in 8 s at 500 ms", hot.n);
	/* PSI totals move in steps: an interval may read under the target and
	 * reclaim, as it should; most must be over it, and back off. */
	CHECK(hot.over * 2 > hot.n, "pressure: only %zu of %zu intervals over 1000 us/s: the hog made no pressure",
	      hot.over, hot.n);
	CHECK(hot.backoffs >= 2 && hot.reclaimed_in_backoff == 0, "pressure: %zu back-offs, %zu of them reclaimed",
	      hot.backoffs, hot.reclaimed_in_backoff);
	wl_stop(&hog);
	wl_stop(&wl);
	rmdir(hogd);
	rmdir(work);
	rmdir(cg);
	return live_failures ? 1 : 0;
}
