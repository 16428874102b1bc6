/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DAMOS paddr pageout with a memcg filter (6.12 guest, swap on zram): memory
 * leaves the target cgroup only. Two cgroups hold the same idle anonymous
 * workload. memward reclaim --anon on cgroup A (paddr, a memcg filter on A
 * and an anon filter) runs for a fixed time: A loses memory, B's
 * memory.current stays (< 512 KiB less). The negative control runs the same
 * scheme (same operations, intervals, ages, anon filter) without the memcg
 * filter for the same time: B loses memory then, so the first run's result
 * is the filter's doing, and the measurement can see B being reclaimed.
 * DAMOS pageout reclaims through reclaim_pages(), which does not count
 * pgsteal: memory.current and memory.swap.current are the measure; pgsteal
 * is printed for the record.
 */
#include "live.h"
#include "reclaim_run.h"

#include <memward/damon.h>

#define RUN_MS 12000

struct cg_mem {
	long long current, swap, pgsteal;
};

static struct cg_mem mem_of(const char *cg)
{
	char p[512];
	struct cg_mem m;

	snprintf(p, sizeof(p), "%s/memory.current", cg);
	m.current = wl_read_ll(p);
	snprintf(p, sizeof(p), "%s/memory.swap.current", cg);
	m.swap = wl_read_ll(p);
	m.pgsteal = wl_memstat(cg, "pgsteal");
	return m;
}

static void note(const char *what, const char *name, struct cg_mem a, struct cg_mem b)
{
	live_note("%s: %s memory.current %.2f -> %.2f MiB, swap %.2f -> %.2f MiB, pgsteal %lld -> %lld", what, name,
		  (double)a.current / WL_MIB, (double)b.current / WL_MIB, (double)a.swap / WL_MIB,
		  (double)b.swap / WL_MIB, a.pgsteal, b.pgsteal);
}

/* What memward reclaim --anon --min-age 1s sets up (cli/reclaim_mech.c),
 * without the memcg filter, for RUN_MS. */
static void run_without_memcg_filter(void)
{
	struct mw_damon_filter anon = { .sz = sizeof(anon), .type = MW_DAMOS_FILTER_ANON, .matching = 0 };
	const struct mw_damon_filter *fl[] = { &anon };
	struct mw_damon_scheme sc = { .sz = sizeof(sc), .action = MW_DAMOS_PAGEOUT, .size = { 4096, 0 },
				      .nr_accesses = { 0, MW_DAMON_ZERO }, .age = { 5, 0 }, .filters = fl,
				      .nr_filters = 1 };
	const struct mw_damon_scheme *scp = &sc;
	struct mw_damon_target tg = { .sz = sizeof(tg) };
	const struct mw_damon_target *tp = &tg;
	struct mw_damon_ctx ctx = { .sz = sizeof(ctx), .ops = MW_DAMON_PADDR, .sample_us = 10000, .aggr_us = 200000,
				    .targets = &tp, .nr_targets = 1, .schemes = &scp, .nr_schemes = 1 };
	struct mw_damon *d;
	char why[400];
	int ret = mw_damon_start(&ctx, &d, why, sizeof(why));

	REQUIRE(ret == 0, "control: mw_damon_start: %s (%s)", strerror(-ret), why);
	wl_sleep_ms(RUN_MS);
	CHECK(mw_damon_stop(d) == 0, "control: mw_damon_stop");
}

int main(int argc, char **argv)
{
	char a[256], b[256], out[65536];
	char *av[] = { argv[1], (char *)"reclaim", (char *)"--cgroup", (char *)"/mw-rc-a", (char *)"--anon",
		       (char *)"--min-age", (char *)"1s", (char *)"--json", NULL };
	struct workload wa, wb;
	struct cg_mem a0, a1, b0, b1, c0, c1;
	int rc;

	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	wl_require_damon();
	wl_cgroup("mw-rc-a", a, sizeof(a));
	wl_cgroup("mw-rc-b", b, sizeof(b));
	wa = wl_start(a, 96 * WL_MIB, 0, 1000);
	wb = wl_start(b, 96 * WL_MIB, 0, 1000);
	wl_wait_ready(&wa);
	wl_wait_ready(&wb);

	/* memward reclaim --anon on A: paddr, memcg filter on A, anon filter */
	a0 = mem_of(a);
	b0 = mem_of(b);
	rc = rr_run_for(av, RUN_MS, 0, NULL, NULL, out, sizeof(out));
	a1 = mem_of(a);
	b1 = mem_of(b);
	CHECK(rc == 0, "memward reclaim --anon exited %d", rc);
	CHECK(strstr(out, "\"mechanism\":\"damos-pageout\"") != NULL, "not DAMOS pageout");
	note("memcg filter on A", "A", a0, a1);
	note("memcg filter on A", "B", b0, b1);
	CHECK(a0.current - a1.current >= (long long)WL_MIB, "A lost less than 1 MiB: the run proves nothing");
	CHECK(b0.current - b1.current < 512 * 1024, "B lost %lld bytes with the filter on A",
	      b0.current - b1.current);
	CHECK(b1.swap - b0.swap < 512 * 1024, "B's swap grew by %lld bytes with the filter on A", b1.swap - b0.swap);

	/* the control: the same scheme without the memcg filter */
	c0 = mem_of(b);
	run_without_memcg_filter();
	c1 = mem_of(b);
	note("no memcg filter (control)", "B", c0, c1);
	CHECK(c0.current - c1.current >= 2 * (long long)WL_MIB,
	      "control: B lost only %lld bytes without the memcg filter: the filter's check above cannot fail",
	      c0.current - c1.current);

	CHECK(wl_read_ll(WL_NR_KDAMONDS) == 0, "kdamond left");
	wl_stop(&wa);
	wl_stop(&wb);
	rmdir(a);
	rmdir(b);
	return live_failures ? 1 : 0;
}
