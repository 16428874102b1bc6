/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The three mechanisms of memward reclaim, each a loop that acts every
 * interval and prints one line of statistics: the target's memory
 * (memory.current, anon, file, RSS of a process), what was reclaimed, PSI
 * and refault deltas, and the reclaimer's CPU time (the kdamond thread for
 * DAMOS, memward itself for the others).
 */
#include "cli.h"
#include "reclaim_mech.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <memward/damon.h>
#include <memward/memcg.h>
#include <memward/mglru.h>

const char *mech_name(enum mech m)
{
	switch (m) {
	case MECH_DAMON: return "damos-pageout";
	case MECH_MGLRU: return "mglru-evict";
	case MECH_MEMCG: return "memory.reclaim+psi";
	case MECH_AUTO: break;
	}
	return "auto";
}

struct loop {
	const struct rc_opts *o;
	const struct rc_target *t;
	uint64_t t0, reclaimed;
	/* --once: the target's memory (a PID's RSS, else the cgroup's
	 * memory.current) in the last report, at the last progress (a fall of
	 * at least ONCE_STEP), and when that was */
	uint64_t foot, foot_low, t_progress;
	bool progressed;
	struct mw_memcg_stat first;
	/* DAMOS: the scheme's quota statistics; memory.reclaim: the PSI rate
	 * seen and whether this interval backed off. */
	const struct mw_damon_stats *damos;
	uint64_t psi_rate;
	int backoff; /* -1: not the PSI loop */
};

static uint64_t rss_of(pid_t pid)
{
	char path[64], line[128];
	uint64_t kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtoull(line + 6, NULL, 10);
	fclose(f);
	return kb * 1024;
}

/* The mechanism's own figures: DAMOS quota statistics, or the PSI loop's decision. */
static void report_json_extra(const struct loop *l)
{
	if (l->damos)
		printf(",\"quota_exceeds\":%" PRIu64 ",\"quota_effective_bytes\":%" PRIu64 ",\"quota_held\":%s",
		       l->damos->qt_exceeds, l->damos->qt_effective_bytes, l->damos->quota_held ? "true" : "false");
	if (l->backoff >= 0)
		printf(",\"psi_rate_us\":%" PRIu64 ",\"backoff\":%s", l->psi_rate, l->backoff ? "true" : "false");
}

static void report(struct loop *l, uint64_t cpu_us)
{
	struct mw_memcg_stat s = { .sz = sizeof(s) };
	uint64_t ms = (rc_now_us() - l->t0) / 1000;

	if (l->t->cgroup[0])
		mw_memcg_stat_get(l->t->cgroup, &s);
	l->foot = l->t->pid ? rss_of(l->t->pid) : s.current;
	if (l->o->json) {
		printf("{\"time_ms\":%" PRIu64 ",\"mechanism\":\"%s\",\"reclaimed_bytes\":%" PRIu64
		       ",\"memory_current\":%" PRIu64 ",\"anon\":%" PRIu64 ",\"file\":%" PRIu64
		       ",\"rss\":%" PRIu64 ",\"swap\":%" PRIu64 ",\"refaults\":%" PRIu64 ",\"psi_some_us\":%" PRIu64
		       ",\"reclaimer_cpu_us\":%" PRIu64,
		       ms, mech_name(l->o->mech_used), l->reclaimed, s.current, s.anon, s.file,
		       l->t->pid ? l->foot : 0, s.swap_current,
		       s.refault_anon + s.refault_file - l->first.refault_anon - l->first.refault_file,
		       s.psi_some_us - l->first.psi_some_us, cpu_us);
		report_json_extra(l);
		printf("}\n");
	} else {
		printf("%7.1fs %-18s reclaimed %8.1f MiB  current %8.1f MiB  anon %8.1f  file %8.1f  "
		       "refaults %" PRIu64 "  cpu %.2fs\n", (double)ms / 1000, mech_name(l->o->mech_used),
		       (double)l->reclaimed / 1048576, (double)s.current / 1048576, (double)s.anon / 1048576,
		       (double)s.file / 1048576, s.refault_anon + s.refault_file - l->first.refault_anon -
		       l->first.refault_file, (double)cpu_us / 1e6);
		if (l->backoff > 0)
			printf("  backing off: PSI %" PRIu64 " us/s over the target\n", l->psi_rate);
		if (l->damos && l->damos->quota_held)
			printf("  held: the kernel has not set the quota yet (it bounds nothing before that)\n");
	}
	fflush(stdout);
}

/* --once: done when twice the idle time has passed and the target's memory
 * has not fallen by ONCE_STEP for max(min-age, 5 s) (monitoring needs time
 * to split regions and age them); never later than 2 x min-age + 60 s.
 * Progress is read from the target, not from the mechanism's own counter:
 * DAMOS' sz_applied was seen growing by 2.4 GB over a minute in which the
 * 256 MiB workload's cgroup did not shrink (6.12 guest, paddr, memcg filter). */
#define ONCE_STEP (1u << 20)

static bool done(struct loop *l)
{
	uint64_t now = rc_now_us(), el = now - l->t0;
	uint64_t patience = l->o->min_age_us > 5000000 ? l->o->min_age_us : 5000000;

	if (rc_stop)
		return true;
	if (!l->o->once)
		return false;
	if (l->foot + ONCE_STEP <= l->foot_low) {
		l->foot_low = l->foot;
		l->t_progress = now;
		l->progressed = true;
	}
	return (el > 2 * l->o->min_age_us && l->progressed && now - l->t_progress > patience) ||
	       el > 2 * l->o->min_age_us + 60000000;
}

static void loop_init(struct loop *l, const struct rc_opts *o, const struct rc_target *t)
{
	memset(l, 0, sizeof(*l));
	l->o = o;
	l->t = t;
	l->backoff = -1;
	l->t0 = rc_now_us();
	l->first.sz = sizeof(l->first);
	if (t->cgroup[0])
		mw_memcg_stat_get(t->cgroup, &l->first);
	l->foot_low = t->pid ? rss_of(t->pid) : l->first.current;
	l->t_progress = l->t0;
}

#define AGGR_US 100000

int mech_damon(const struct rc_opts *o, const struct rc_target *t)
{
	/* The anon (and memcg) filters act only with paddr on 6.3-6.18; without
	 * them, vaddr on the process or the cgroup's processes is far cheaper
	 * (paddr checks every region through the rmap: 10 s of CPU in 16 s
	 * under TCG, against 2 s for vaddr). */
	bool paddr = o->anon || o->file;
	uint64_t aggr = paddr ? 2 * AGGR_US : AGGR_US;
	struct mw_damon_filter memcg = { .sz = sizeof(memcg), .type = MW_DAMOS_FILTER_MEMCG, .matching = 0,
					 .memcg_path = t->cgroup };
	/* Before 6.14 a filter excludes what it matches (matching=1) or what it
	 * does not (0): --anon excludes non-anon pages, --file excludes anon. */
	struct mw_damon_filter anon = { .sz = sizeof(anon), .type = MW_DAMOS_FILTER_ANON, .matching = o->file };
	struct mw_damon_filter holes[RC_MAX_HOLES];
	const struct mw_damon_filter *fl[RC_MAX_HOLES] = { &memcg, &anon };
	struct mw_damon_goal psi = { .sz = sizeof(psi), .metric = MW_DAMOS_GOAL_SOME_MEM_PSI_US,
				     .target_value = o->psi_target_us };
	const struct mw_damon_goal *gp = &psi;
	struct mw_damon_scheme sc = {
		.sz = sizeof(sc), .action = MW_DAMOS_PAGEOUT,
		.size = { 4096, 0 }, .nr_accesses = { 0, MW_DAMON_ZERO }, .age = { o->min_age_us / aggr, 0 },
		.filters = fl, .nr_filters = paddr ? 2 : 0,
	};
	const struct mw_damon_scheme *scp = &sc;
	struct mw_damon_target tg[RC_MAX_PIDS];
	const struct mw_damon_target *tp[RC_MAX_PIDS];
	struct mw_damon_ctx ctx = { .sz = sizeof(ctx), .ops = paddr ? MW_DAMON_PADDR : MW_DAMON_VADDR,
				    .sample_us = aggr / 20, .aggr_us = aggr, .targets = tp,
				    .nr_targets = paddr ? 1 : t->nr_pids, .schemes = &scp, .nr_schemes = 1 };
	struct mw_damon_stats st = { .sz = sizeof(st) };
	struct mw_damon *d;
	struct loop l;
	char why[400];
	int ret, rc = 0;

	if (!paddr && !t->nr_pids) {
		cli_err("DAMOS pageout: %s", t->too_many ? "the cgroup has more than 64 processes (try --mechanism mglru)"
							 : "the cgroup has no process");
		return 2;
	}
	if (o->quota_bps || o->psi_target_us) {
		sc.quota = (struct mw_damon_quota){ .sz = sizeof(sc.quota), .reset_interval_ms = 1000,
						    .bytes = o->quota_bps ? o->quota_bps : 1ull << 40,
						    .weight_age = 1000, .goals = o->psi_target_us ? &gp : NULL,
						    .nr_goals = o->psi_target_us ? 1 : 0 };
	}
	for (size_t i = 0; i < ctx.nr_targets; i++) {
		tg[i] = (struct mw_damon_target){ .sz = sizeof(tg[i]), .pid = paddr ? 0 : t->pids[i] };
		tp[i] = &tg[i];
	}
	/* A quota (or a goal's) on vaddr goes to the oldest regions first: the
	 * unmapped holes, unless filtered out (reclaim_holes.c). */
	if (!paddr && (o->quota_bps || o->psi_target_us)) {
		sc.nr_filters = rc_vaddr_holes(t->pids, t->nr_pids, holes, RC_MAX_HOLES);
		for (size_t i = 0; i < sc.nr_filters; i++)
			fl[i] = &holes[i];
	}
	ret = mw_damon_start(&ctx, &d, why, sizeof(why));
	if (ret == -EOPNOTSUPP && !paddr && sc.nr_filters) {
		/* addr filters arrived in 6.6 */
		fprintf(stderr, "memward: %s; the quota may be spent on unmapped address ranges\n", why);
		sc.nr_filters = 0;
		ret = mw_damon_start(&ctx, &d, why, sizeof(why));
	}
	if (ret < 0) {
		cli_err("DAMOS pageout: %s", why[0] ? why : strerror(-ret));
		return 2;
	}
	loop_init(&l, o, t);
	l.damos = &st;
	do {
		rc_sleep(o->interval_us);
		ret = mw_damon_stats_get(d, 0, &st);
		if (ret < 0) {
			cli_err("DAMOS stats: %s", strerror(-ret));
			rc = 2;
			break;
		}
		l.reclaimed = st.sz_applied;
		report(&l, rc_task_cpu_us(mw_damon_kdamond_pid(d)));
	} while (!done(&l));
	ret = mw_damon_stop(d);
	if (ret < 0) {
		cli_err("removing memward's kdamond: %s", strerror(-ret));
		rc = 2;
	}
	return rc;
}

int mech_mglru(const struct rc_opts *o, const struct rc_target *t)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	int swappiness = o->anon ? 200 : o->file ? 0 : -1;
	struct loop l;
	int ret = 0;

	loop_init(&l, o, t);
	do {
		uint64_t evicted = 0, limit = o->quota_bps ? o->quota_bps * o->interval_us / 1000000 / page : 0;

		/* Aging opens a generation per interval, so generations carry ages;
		 * anon pages age only when they may be evicted. */
		ret = mw_mglru_age(t->cgroup, !o->file);
		if (ret == 0) {
			ret = mw_mglru_evict(t->cgroup, o->min_age_us / 1000, swappiness, limit, &evicted);
			if (ret == -ERANGE || ret == -EAGAIN)
				ret = 0; /* nothing old enough yet, or the kernel found nothing to take */
			l.reclaimed += evicted * page;
		}
		if (ret == -EINTR && rc_stop)
			break; /* SIGTERM during a write to lru_gen */
		if (ret < 0) {
			cli_err("MGLRU: %s", ret == -EOPNOTSUPP ? "disabled" : strerror(-ret));
			return 2;
		}
		report(&l, rc_task_cpu_us(getpid()));
		rc_sleep(o->interval_us);
	} while (!done(&l));
	return 0;
}

/*
 * senpai's loop: while pressure over the last interval stays under the
 * target, ask memory.reclaim for a step (1% of memory.current, capped by the
 * quota); above it, wait. memory.reclaim failing with EAGAIN means the kernel
 * found less to take: the step is halved.
 */
int mech_memcg(const struct rc_opts *o, const struct rc_target *t)
{
	uint64_t target = o->psi_target_us ? o->psi_target_us : 1000, last_psi, step_permil = 50;
	struct mw_memcg_stat s = { .sz = sizeof(s) };
	struct loop l;
	int ret;

	if (!t->cgroup[0]) {
		cli_err("memory.reclaim works on cgroups and this process has no cgroup v2");
		return 2;
	}
	loop_init(&l, o, t);
	ret = mw_memcg_stat_get(t->cgroup, &s);
	if (ret < 0) {
		cli_err("cgroup '%s': cannot read its memory counters: %s (memory controller enabled?)", t->cgroup,
			strerror(-ret));
		return 2;
	}
	last_psi = l.first.psi_some_us;
	l.backoff = 0;
	do {
		uint64_t psi_per_s;

		rc_sleep(o->interval_us);
		ret = mw_memcg_stat_get(t->cgroup, &s);
		if (ret < 0) {
			cli_err("cgroup '%s': %s", t->cgroup, strerror(-ret));
			return 2;
		}
		psi_per_s = (s.psi_some_us - last_psi) * 1000000 / o->interval_us;
		last_psi = s.psi_some_us;
		l.psi_rate = psi_per_s;
		l.backoff = psi_per_s >= target;
		if (!l.backoff && s.current) {
			uint64_t step = s.current * step_permil / 1000;

			if (o->quota_bps && step > o->quota_bps * o->interval_us / 1000000)
				step = o->quota_bps * o->interval_us / 1000000;
			ret = step ? mw_memcg_reclaim(t->cgroup, step) : 0;
			if (ret == 0)
				l.reclaimed += step;
			else if (ret == -EAGAIN)
				step_permil = step_permil > 1 ? step_permil / 2 : 1;
			else if (ret == -EINTR && rc_stop)
				break;
			else {
				cli_err("memory.reclaim: %s", strerror(-ret));
				return 2;
			}
		}
		report(&l, rc_task_cpu_us(getpid()));
	} while (!done(&l));
	return 0;
}
