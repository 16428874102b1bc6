/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Check a DAMON context and write it into memward's kdamond (index 0). Each
 * feature is detected where it is used: a file that is missing or a value the
 * kernel refuses (EINVAL) becomes -EOPNOTSUPP naming the feature and the
 * release that added it. The caller removes the kdamond on any error, so a
 * refused context leaves nothing behind.
 */
#include "damon/internal.h"
#include "core/cgroup.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* sysfs parses sz with kstrtoul, nr_accesses and age with kstrtouint. */
#define MAX_SZ ((uint64_t)ULONG_MAX)
#define MAX_U32 ((uint64_t)UINT_MAX)
#define MAX_GOALS 16
#define MAX_FILTERS 32

static int check_filter(const struct mw_damon_filter *uf, size_t s, size_t f, size_t nr_targets,
			char *why, size_t wl)
{
	struct mw_damon_filter fl;
	char dir[4096], rel[4096];
	int ret;

	if (mw__damon_copy(&fl, sizeof(fl), uf, false) < 0 || (unsigned)fl.type >= MW_DAMOS_FILTER_COUNT_ ||
	    (fl.matching | 1) != 1 || (fl.allow | 1) != 1) {
		mw__damon_why(why, wl, "scheme %zu filter %zu: bad sz, type, matching or allow", s, f);
		return -EINVAL;
	}
	switch (fl.type) {
	case MW_DAMOS_FILTER_MEMCG:
		if (!fl.memcg_path) {
			mw__damon_why(why, wl, "scheme %zu filter %zu: memcg filter without a path", s, f);
			return -EINVAL;
		}
		/* The kernel resolves the path only at `on` and fails with ENOMEM. */
		ret = mw__cgroup_resolve(fl.memcg_path, dir, sizeof(dir), rel, sizeof(rel));
		if (ret < 0) {
			mw__damon_why(why, wl, "memcg filter path '%s' is not a cgroup (%s)", fl.memcg_path,
				      ret == -ENOENT ? "no such cgroup under the cgroup2 mount, or no cgroup2 mount"
						     : strerror(-ret));
			return ret == -ENOTDIR || ret == -ENAMETOOLONG ? -EINVAL : ret;
		}
		break;
	case MW_DAMOS_FILTER_ADDR:
		if (fl.addr_start >= fl.addr_end) {
			mw__damon_why(why, wl, "scheme %zu filter %zu: addr_start must be below addr_end", s, f);
			return -EINVAL;
		}
		break;
	case MW_DAMOS_FILTER_TARGET:
		if (fl.target_idx >= nr_targets) {
			mw__damon_why(why, wl, "scheme %zu filter %zu: target index %u out of range", s, f,
				      fl.target_idx);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* max 0: no limit; MW_DAMON_ZERO: exactly 0; else inclusive. */
static uint64_t range_max(struct mw_damon_range r, uint64_t limit)
{
	return r.max == MW_DAMON_ZERO ? 0 : r.max ? r.max : limit;
}

static bool bad_range(struct mw_damon_range r, uint64_t limit)
{
	return r.min > range_max(r, limit) || range_max(r, limit) > limit;
}

static int check_scheme(const struct mw_damon_scheme *us, size_t s, size_t nr_targets, char *why, size_t wl)
{
	struct mw_damon_scheme sc;
	struct mw_damon_quota q;
	struct mw_damon_watermarks w;
	int ret;

	if (mw__damon_copy(&sc, sizeof(sc), us, false) < 0 || (unsigned)sc.action >= MW_DAMOS_ACTION_COUNT_ ||
	    mw__damon_copy(&q, sizeof(q), &us->quota, true) < 0 ||
	    mw__damon_copy(&w, sizeof(w), &us->watermarks, true) < 0 ||
	    (sc.nr_filters && !sc.filters) || sc.nr_filters > MAX_FILTERS ||
	    (q.nr_goals && !q.goals) || q.nr_goals > MAX_GOALS || w.metric > MW_DAMOS_WMARK_FREE_MEM_RATE) {
		mw__damon_why(why, wl, "scheme %zu: bad sz, action, quota, watermarks or filter list", s);
		return -EINVAL;
	}
	if (bad_range(sc.size, MAX_SZ) || bad_range(sc.nr_accesses, MAX_U32) || bad_range(sc.age, MAX_U32)) {
		mw__damon_why(why, wl, "scheme %zu: an access_pattern minimum is above its maximum", s);
		return -EINVAL;
	}
	for (size_t g = 0; g < q.nr_goals; g++) {
		struct mw_damon_goal goal;

		if (mw__damon_copy(&goal, sizeof(goal), q.goals[g], false) < 0 ||
		    (unsigned)goal.metric >= MW_DAMOS_GOAL_METRIC_COUNT_) {
			mw__damon_why(why, wl, "scheme %zu goal %zu: bad sz or metric", s, g);
			return -EINVAL;
		}
	}
	for (size_t f = 0; f < sc.nr_filters; f++) {
		ret = check_filter(sc.filters[f], s, f, nr_targets, why, wl);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int mw__damon_validate(const struct mw_damon_ctx *uc, char *why, size_t wl)
{
	struct mw_damon_ctx c;
	int ret;

	if (mw__damon_copy(&c, sizeof(c), uc, false) < 0 || !mw__damon_ops_name(c.ops) ||
	    c.nr_targets == 0 || !c.targets || (c.nr_schemes && !c.schemes) || c.nr_targets > 64 ||
	    c.nr_schemes > 16) {
		mw__damon_why(why, wl, "bad context: sz, operations, targets (1-64) or schemes (0-16)");
		return -EINVAL;
	}
	for (size_t t = 0; t < c.nr_targets; t++) {
		struct mw_damon_target tg;

		if (mw__damon_copy(&tg, sizeof(tg), c.targets[t], false) < 0 ||
		    (c.ops == MW_DAMON_VADDR && tg.pid <= 0) || (tg.nr_regions && !tg.regions)) {
			mw__damon_why(why, wl, "target %zu: bad sz, pid or regions", t);
			return -EINVAL;
		}
		for (size_t r = 0; r < tg.nr_regions; r++)
			if (tg.regions[r].start >= tg.regions[r].end) {
				mw__damon_why(why, wl, "target %zu region %zu: start must be below end", t, r);
				return -EINVAL;
			}
	}
	for (size_t s = 0; s < c.nr_schemes; s++) {
		ret = check_scheme(c.schemes[s], s, c.nr_targets, why, wl);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* A write the kernel refuses with EINVAL means "this kernel does not know the
 * value" for names (types, actions, metrics): say which and since when. */
static int refused(int ret, char *why, size_t wl, const char *what, const char *name, const char *rel)
{
	if (ret == -EINVAL) {
		mw__damon_why(why, wl, "this kernel does not support DAMOS %s '%s' (added in Linux %s)",
			      what, name, rel ? rel : "?");
		return -EOPNOTSUPP;
	}
	mw__damon_why(why, wl, "writing DAMOS %s '%s' failed: %s", what, name, strerror(-ret));
	return ret;
}

static int missing(char *why, size_t wl, const char *what, const char *rel)
{
	mw__damon_why(why, wl, "this kernel lacks DAMON %s (added in Linux %s)", what, rel);
	return -EOPNOTSUPP;
}

#define S DAMON_C0 "/schemes/%zu"

static int write_filter(const struct mw_damon_filter *uf, const char *dir, size_t i, char *why, size_t wl)
{
	struct mw_damon_filter fl;
	char d[4096], rel[4096];
	int ret;

	mw__damon_copy(&fl, sizeof(fl), uf, false);
	ret = mw__damon_write(mw_damon_filter_name(fl.type), "%s/%zu/type", dir, i);
	if (ret < 0)
		return refused(ret, why, wl, "filter type", mw_damon_filter_name(fl.type),
			       mw_damon_filter_release(fl.type));
	ret = mw__damon_write(fl.matching ? "Y" : "N", "%s/%zu/matching", dir, i);
	if (ret == 0 && fl.allow) {
		if (!mw__damon_exists("%s/%zu/allow", dir, i))
			return missing(why, wl, "allow filters", "6.14");
		ret = mw__damon_write("Y", "%s/%zu/allow", dir, i);
	}
	if (ret == 0 && fl.type == MW_DAMOS_FILTER_MEMCG) {
		ret = mw__cgroup_resolve(fl.memcg_path, d, sizeof(d), rel, sizeof(rel));
		if (ret == 0)
			ret = mw__damon_write(rel, "%s/%zu/memcg_path", dir, i);
	}
	if (ret == 0 && fl.type == MW_DAMOS_FILTER_ADDR) {
		ret = mw__damon_writeu(fl.addr_start, "%s/%zu/addr_start", dir, i);
		if (ret == 0)
			ret = mw__damon_writeu(fl.addr_end, "%s/%zu/addr_end", dir, i);
	}
	if (ret == 0 && fl.type == MW_DAMOS_FILTER_TARGET)
		ret = mw__damon_writeu(fl.target_idx, "%s/%zu/damon_target_idx", dir, i);
	if (ret == 0 && fl.type == MW_DAMOS_FILTER_HUGEPAGE_SIZE) {
		ret = mw__damon_writeu(fl.min, "%s/%zu/min", dir, i);
		if (ret == 0)
			ret = mw__damon_writeu(fl.max ? fl.max : MAX_SZ, "%s/%zu/max", dir, i);
	}
	if (ret < 0)
		mw__damon_why(why, wl, "writing %s filter %zu failed: %s", mw_damon_filter_name(fl.type), i,
			      strerror(-ret));
	return ret;
}

/* Operations-layer filter (ops_filters/ from 6.15) or core one (core_filters/)? */
static bool ops_type(const struct mw_damon_filter *uf)
{
	struct mw_damon_filter fl;

	mw__damon_copy(&fl, sizeof(fl), uf, false);
	return fl.type != MW_DAMOS_FILTER_ADDR && fl.type != MW_DAMOS_FILTER_TARGET;
}

/* 6.15 split filters into core_filters/ (addr, target) and ops_filters/
 * (the rest) and deprecated filters/; older kernels have filters/ only. */
static int write_filters(const struct mw_damon_scheme *sc, size_t s, char *why, size_t wl)
{
	bool split = mw__damon_exists(S "/ops_filters", s);
	size_t n[2] = { 0, 0 };
	char dir[2][256];
	int ret;

	if (!mw__damon_exists(S "/filters", s) && !split)
		return sc->nr_filters ? missing(why, wl, "DAMOS filters", "6.3") : 0;
	snprintf(dir[0], sizeof(dir[0]), S "/%s", s, split ? "core_filters" : "filters");
	snprintf(dir[1], sizeof(dir[1]), S "/%s", s, split ? "ops_filters" : "filters");
	for (size_t f = 0; f < sc->nr_filters; f++)
		n[split && ops_type(sc->filters[f])]++;
	for (int k = 0; k < (split ? 2 : 1); k++) {
		ret = mw__damon_writeu(split ? n[k] : sc->nr_filters, "%s/nr_filters", dir[k]);
		if (ret < 0)
			return ret;
	}
	n[0] = n[1] = 0;
	for (size_t f = 0; f < sc->nr_filters; f++) {
		int k = split && ops_type(sc->filters[f]);

		ret = write_filter(sc->filters[f], dir[k], split ? n[k]++ : f, why, wl);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int write_goals(const struct mw_damon_quota *q, size_t s, char *why, size_t wl)
{
	int ret;

	if (!q->nr_goals)
		return 0;
	if (!mw__damon_exists(S "/quotas/goals", s))
		return missing(why, wl, "quota goals", "6.8");
	ret = mw__damon_writeu(q->nr_goals, S "/quotas/goals/nr_goals", s);
	for (size_t g = 0; ret == 0 && g < q->nr_goals; g++) {
		struct mw_damon_goal goal;
		const char *m;

		mw__damon_copy(&goal, sizeof(goal), q->goals[g], false);
		m = mw__damon_goal_metric_name(goal.metric);
		if (!mw__damon_exists(S "/quotas/goals/%zu/target_metric", s, g)) {
			if (goal.metric != MW_DAMOS_GOAL_USER_INPUT)
				return missing(why, wl, "quota goal metrics", "6.9");
		} else if ((ret = mw__damon_write(m, S "/quotas/goals/%zu/target_metric", s, g)) < 0) {
			return refused(ret, why, wl, "quota goal metric", m, "6.9");
		}
		ret = mw__damon_writeu(goal.target_value, S "/quotas/goals/%zu/target_value", s, g);
		if (ret == 0 && goal.metric == MW_DAMOS_GOAL_USER_INPUT)
			ret = mw__damon_writeu(goal.current_value, S "/quotas/goals/%zu/current_value", s, g);
	}
	return ret;
}

static int write_quota_wmarks(const struct mw_damon_scheme *us, size_t s, char *why, size_t wl)
{
	struct mw_damon_quota q;
	struct mw_damon_watermarks w;
	int ret;

	mw__damon_copy(&q, sizeof(q), &us->quota, true);
	mw__damon_copy(&w, sizeof(w), &us->watermarks, true);
	ret = mw__damon_writeu(q.ms, S "/quotas/ms", s);
	if (ret == 0)
		ret = mw__damon_writeu(q.bytes, S "/quotas/bytes", s);
	if (ret == 0)
		ret = mw__damon_writeu(q.reset_interval_ms, S "/quotas/reset_interval_ms", s);
	if (ret == 0)
		ret = mw__damon_writeu(q.weight_sz, S "/quotas/weights/sz_permil", s);
	if (ret == 0)
		ret = mw__damon_writeu(q.weight_nr_accesses, S "/quotas/weights/nr_accesses_permil", s);
	if (ret == 0)
		ret = mw__damon_writeu(q.weight_age, S "/quotas/weights/age_permil", s);
	if (ret == 0)
		ret = write_goals(&q, s, why, wl);
	if (ret < 0)
		return ret;
	ret = mw__damon_write(w.metric == MW_DAMOS_WMARK_FREE_MEM_RATE ? "free_mem_rate" : "none",
			      S "/watermarks/metric", s);
	if (ret == 0)
		ret = mw__damon_writeu(w.interval_us, S "/watermarks/interval_us", s);
	if (ret == 0)
		ret = mw__damon_writeu(w.high, S "/watermarks/high", s);
	if (ret == 0)
		ret = mw__damon_writeu(w.mid, S "/watermarks/mid", s);
	if (ret == 0)
		ret = mw__damon_writeu(w.low, S "/watermarks/low", s);
	return ret;
}

static int write_range(const char *name, struct mw_damon_range r, uint64_t max, size_t s)
{
	/* max before min: sysfs stores both as they come, but keep min <= max. */
	int ret = mw__damon_writeu(range_max(r, max), S "/access_pattern/%s/max", s, name);

	return ret < 0 ? ret : mw__damon_writeu(r.min, S "/access_pattern/%s/min", s, name);
}

static int write_scheme(const struct mw_damon_scheme *us, size_t s, char *why, size_t wl)
{
	struct mw_damon_scheme sc;
	const char *a;
	int ret;

	mw__damon_copy(&sc, sizeof(sc), us, false);
	a = mw_damon_action_name(sc.action);
	ret = mw__damon_write(a, S "/action", s);
	if (ret < 0)
		return refused(ret, why, wl, "action", a, mw_damon_action_release(sc.action));
	if ((ret = write_range("sz", sc.size, MAX_SZ, s)) < 0 ||
	    (ret = write_range("nr_accesses", sc.nr_accesses, MAX_U32, s)) < 0 ||
	    (ret = write_range("age", sc.age, MAX_U32, s)) < 0)
		return ret;
	if (sc.apply_interval_us) {
		if (!mw__damon_exists(S "/apply_interval_us", s))
			return missing(why, wl, "apply_interval_us", "6.7");
		if ((ret = mw__damon_writeu(sc.apply_interval_us, S "/apply_interval_us", s)) < 0)
			return ret;
	}
	ret = write_quota_wmarks(us, s, why, wl);
	return ret < 0 ? ret : write_filters(&sc, s, why, wl);
}

static int write_attrs(const struct mw_damon_ctx *c)
{
	const char *m = DAMON_C0 "/monitoring_attrs";
	int ret;

	/* Larger intervals first would be refused by nothing (sysfs stores them
	 * as they come and checks at `on`), but keep min <= max at all times. */
	ret = mw__damon_writeu(c->max_nr_regions ? c->max_nr_regions : 1000, "%s/nr_regions/max", m);
	if (ret == 0)
		ret = mw__damon_writeu(c->min_nr_regions ? c->min_nr_regions : 10, "%s/nr_regions/min", m);
	if (ret == 0)
		ret = mw__damon_writeu(c->update_us ? c->update_us : 1000000, "%s/intervals/update_us", m);
	if (ret == 0)
		ret = mw__damon_writeu(c->aggr_us ? c->aggr_us : 100000, "%s/intervals/aggr_us", m);
	if (ret == 0)
		ret = mw__damon_writeu(c->sample_us ? c->sample_us : 5000, "%s/intervals/sample_us", m);
	return ret;
}

/* The largest "System RAM" range of /proc/iomem (root sees real addresses):
 * what the kernel's DAMON_RECLAIM monitors by default, since sysfs gives a
 * paddr target without regions nothing to monitor. */
static int biggest_ram(struct mw_damon_region *r)
{
	FILE *f = fopen("/proc/iomem", "re");
	char line[256];
	uint64_t best = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;

		/* top-level lines only: nested ones are indented */
		if (line[0] == ' ' || !strstr(line, ": System RAM") || sscanf(line, "%llx-%llx", &a, &b) != 2)
			continue;
		if (b > a && b - a + 1 > best) {
			best = b - a + 1;
			r->start = a;
			r->end = b + 1;
		}
	}
	fclose(f);
	return best && r->start + best > 4096 ? 0 : -ENOENT;
}

static int write_targets(const struct mw_damon_ctx *c)
{
	int ret = mw__damon_writeu(c->nr_targets, DAMON_C0 "/targets/nr_targets");

	for (size_t t = 0; ret == 0 && t < c->nr_targets; t++) {
		struct mw_damon_region ram;
		struct mw_damon_target tg;

		mw__damon_copy(&tg, sizeof(tg), c->targets[t], false);
		if (c->ops == MW_DAMON_VADDR)
			ret = mw__damon_writeu((uint64_t)tg.pid, DAMON_C0 "/targets/%zu/pid_target", t);
		if (ret == 0 && !tg.nr_regions && c->ops == MW_DAMON_PADDR) {
			ret = biggest_ram(&ram);
			tg.regions = &ram;
			tg.nr_regions = 1;
		}
		if (ret == 0 && tg.nr_regions)
			ret = mw__damon_writeu(tg.nr_regions, DAMON_C0 "/targets/%zu/regions/nr_regions", t);
		for (size_t r = 0; ret == 0 && r < tg.nr_regions; r++) {
			ret = mw__damon_writeu(tg.regions[r].start, DAMON_C0 "/targets/%zu/regions/%zu/start", t, r);
			if (ret == 0)
				ret = mw__damon_writeu(tg.regions[r].end, DAMON_C0 "/targets/%zu/regions/%zu/end", t, r);
		}
	}
	return ret;
}

int mw__damon_tree_write(const struct mw_damon_ctx *uc, char *why, size_t wl)
{
	struct mw_damon_ctx c;
	const char *ops;
	char avail[128];
	int ret;

	mw__damon_copy(&c, sizeof(c), uc, false);
	ops = mw__damon_ops_name(c.ops);
	ret = mw__damon_write("1", DAMON_K0 "/contexts/nr_contexts");
	if (ret < 0) {
		mw__damon_why(why, wl, "cannot create a DAMON context: %s", strerror(-ret));
		return ret;
	}
	if (mw__damon_read(avail, sizeof(avail), DAMON_C0 "/avail_operations") >= 0) {
		/* avail_operations is newline-separated; mw__list_has wants commas. */
		for (char *p = avail; *p; p++)
			if (*p == '\n')
				*p = ',';
		if (!mw__list_has(avail, ops)) {
			mw__damon_why(why, wl, "this kernel's DAMON lacks the '%s' operations set (offers: %s)",
				      ops, avail);
			return -EOPNOTSUPP;
		}
	}
	ret = mw__damon_write(ops, DAMON_C0 "/operations");
	if (ret < 0)
		return refused(ret, why, wl, "operations set", ops, c.ops == MW_DAMON_FVADDR ? "6.1" : "5.18");
	if ((ret = write_attrs(&c)) < 0 || (ret = write_targets(&c)) < 0) {
		mw__damon_why(why, wl, "writing monitoring attributes or targets failed: %s", strerror(-ret));
		return ret;
	}
	ret = mw__damon_writeu(c.nr_schemes, DAMON_C0 "/schemes/nr_schemes");
	for (size_t s = 0; ret == 0 && s < c.nr_schemes; s++)
		ret = write_scheme(c.schemes[s], s, why, wl);
	return ret;
}
