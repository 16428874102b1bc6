/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What this kernel's DAMON offers, file by file (damo's model). By default
 * only reads: the files of existing kdamonds answer what they can (a scheme
 * directory with ops_filters/ means 6.15's filter types, one with
 * apply_interval_us means 6.7, ...). Only on explicit request
 * (MW_DAMON_PROBE_WRITE) and only when no kdamond exists does memward create
 * a scratch kdamond, write every action and filter type into it, and remove
 * it: probing never disturbs another DAMON user.
 */
#include "damon/internal.h"
#include "core/opts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define BIT(x) (1u << (x))

static void yes(unsigned int *known, unsigned int *have, unsigned int bits)
{
	*known |= bits;
	*have |= bits;
}

static void answer(unsigned int *known, unsigned int *have, unsigned int bit, bool present)
{
	*known |= bit;
	if (present)
		*have |= bit;
	else
		*have &= ~bit;
}

static void scan_ops(struct mw_damon_features *f, const char *ctx)
{
	char buf[128];

	if (mw__damon_read(buf, sizeof(buf), "%s/avail_operations", ctx) < 0)
		return;
	f->ops_known = BIT(MW_DAMON_VADDR) | BIT(MW_DAMON_FVADDR) | BIT(MW_DAMON_PADDR);
	f->ops_have = 0;
	for (char *w = strtok(buf, "\n"); w; w = strtok(NULL, "\n"))
		for (int o = MW_DAMON_VADDR; o <= MW_DAMON_PADDR; o++)
			if (!strcmp(w, mw__damon_ops_name((enum mw_damon_ops)o)))
				f->ops_have |= BIT(o);
}

/* What the files of one scheme directory prove. */
static void scan_scheme(struct mw_damon_features *f, const char *s)
{
	unsigned int *fk = &f->feats_known, *fh = &f->feats_have;
	bool split = mw__damon_exists("%s/ops_filters", s);

	answer(fk, fh, MW_DAMON_FEAT_APPLY_INTERVAL, mw__damon_exists("%s/apply_interval_us", s));
	answer(fk, fh, MW_DAMON_FEAT_QUOTA_GOALS, mw__damon_exists("%s/quotas/goals", s));
	answer(fk, fh, MW_DAMON_FEAT_TRIED_BYTES, mw__damon_exists("%s/tried_regions/total_bytes", s));
	answer(fk, fh, MW_DAMON_FEAT_TARGET_NID, mw__damon_exists("%s/target_nid", s));
	answer(fk, fh, MW_DAMON_FEAT_FILTER_SPLIT, split);
	if (split || mw__damon_exists("%s/filters", s))
		yes(&f->filters_known, &f->filters_have, BIT(MW_DAMOS_FILTER_ANON) | BIT(MW_DAMOS_FILTER_MEMCG));
	else
		answer(&f->filters_known, &f->filters_have,
		       BIT(MW_DAMOS_FILTER_ANON) | BIT(MW_DAMOS_FILTER_MEMCG), false);
	if (split) /* 6.15: every type of this release exists */
		yes(&f->filters_known, &f->filters_have, BIT(MW_DAMOS_FILTER_COUNT_) - 1);
	if (split || (*fh & MW_DAMON_FEAT_TARGET_NID))
		yes(&f->actions_known, &f->actions_have,
		    BIT(MW_DAMOS_MIGRATE_HOT) | BIT(MW_DAMOS_MIGRATE_COLD));
	/* A filter or goal directory proves its own files' features. */
	for (int k = 0; k < 3; k++) {
		static const char *const dirs[] = { "filters", "ops_filters", "core_filters" };

		if (mw__damon_exists("%s/%s/0/damon_target_idx", s, dirs[k]))
			yes(&f->filters_known, &f->filters_have,
			    BIT(MW_DAMOS_FILTER_ADDR) | BIT(MW_DAMOS_FILTER_TARGET));
		if (mw__damon_exists("%s/%s/0/allow", s, dirs[k]))
			yes(fk, fh, MW_DAMON_FEAT_FILTER_ALLOW);
	}
	if (mw__damon_exists("%s/quotas/goals/0/target_metric", s))
		yes(fk, fh, MW_DAMON_FEAT_GOAL_PSI);
	/* DAMON sysfs (5.18) came with every action but lru_(de)prio (6.0);
	 * filters (6.3) prove those too. */
	yes(&f->actions_known, &f->actions_have, BIT(MW_DAMOS_PAGEOUT) | BIT(MW_DAMOS_COLD) |
	    BIT(MW_DAMOS_WILLNEED) | BIT(MW_DAMOS_HUGEPAGE) | BIT(MW_DAMOS_NOHUGEPAGE) | BIT(MW_DAMOS_STAT));
	if (f->filters_have & BIT(MW_DAMOS_FILTER_ANON))
		yes(&f->actions_known, &f->actions_have, BIT(MW_DAMOS_LRU_PRIO) | BIT(MW_DAMOS_LRU_DEPRIO));
	/* Releases come in order: a later feature's file proves the earlier ones. */
	if (*fh & (MW_DAMON_FEAT_TARGET_NID | MW_DAMON_FEAT_FILTER_ALLOW | MW_DAMON_FEAT_FILTER_SPLIT)) {
		yes(&f->filters_known, &f->filters_have, BIT(MW_DAMOS_FILTER_YOUNG) |
		    BIT(MW_DAMOS_FILTER_ADDR) | BIT(MW_DAMOS_FILTER_TARGET));
		yes(fk, fh, MW_DAMON_FEAT_GOAL_PSI | MW_DAMON_FEAT_QUOTA_GOALS | MW_DAMON_FEAT_APPLY_INTERVAL |
		    MW_DAMON_FEAT_TRIED_BYTES);
	}
	if (*fh & MW_DAMON_FEAT_QUOTA_GOALS)
		yes(fk, fh, MW_DAMON_FEAT_APPLY_INTERVAL | MW_DAMON_FEAT_TRIED_BYTES);
	if (*fh & (MW_DAMON_FEAT_APPLY_INTERVAL | MW_DAMON_FEAT_TRIED_BYTES))
		yes(&f->filters_known, &f->filters_have, BIT(MW_DAMOS_FILTER_ADDR) | BIT(MW_DAMOS_FILTER_TARGET));
}

static void scan_existing(struct mw_damon_features *f)
{
	char path[256];

	for (int k = 0; k < f->nr_kdamonds; k++) {
		for (int c = 0; mw__damon_exists(DAMON_KDAMONDS "/%d/contexts/%d", k, c); c++) {
			snprintf(path, sizeof(path), DAMON_KDAMONDS "/%d/contexts/%d", k, c);
			scan_ops(f, path);
			for (int s = 0; mw__damon_exists("%s/schemes/%d", path, s); s++) {
				char sp[300];

				snprintf(sp, sizeof(sp), "%s/schemes/%d", path, s);
				scan_scheme(f, sp);
			}
		}
	}
}

#define S0 DAMON_C0 "/schemes/0"

/* Each action and filter type written into the scratch kdamond's scheme 0. */
static void probe_writes(struct mw_damon_features *f)
{
	bool split = mw__damon_exists(S0 "/ops_filters");

	for (int a = 0; a < MW_DAMOS_ACTION_COUNT_; a++)
		answer(&f->actions_known, &f->actions_have, BIT(a),
		       mw__damon_write(mw_damon_action_name((enum mw_damon_action)a), S0 "/action") == 0);
	if (split) {
		mw__damon_write("1", S0 "/ops_filters/nr_filters");
		mw__damon_write("1", S0 "/core_filters/nr_filters");
	} else {
		mw__damon_write("1", S0 "/filters/nr_filters");
	}
	for (int t = 0; t < MW_DAMOS_FILTER_COUNT_; t++) {
		const char *dir = !split ? "filters" :
				  t == MW_DAMOS_FILTER_ADDR || t == MW_DAMOS_FILTER_TARGET ? "core_filters" :
											    "ops_filters";
		int ret = mw__damon_write(mw_damon_filter_name((enum mw_damon_filter_type)t), S0 "/%s/0/type", dir);

		if (ret == 0 || ret == -EINVAL)
			answer(&f->filters_known, &f->filters_have, BIT(t), ret == 0);
	}
	if (mw__damon_write("1", S0 "/quotas/goals/nr_goals") == 0)
		answer(&f->feats_known, &f->feats_have, MW_DAMON_FEAT_GOAL_PSI,
		       mw__damon_write("some_mem_psi_us", S0 "/quotas/goals/0/target_metric") == 0);
	scan_scheme(f, S0);
}

static int probe_scratch(struct mw_damon_features *f)
{
	MW_AUTOCLOSE int fd = -1;
	int ret = mw__damon_record_lock(true, &fd);

	if (ret < 0)
		return ret;
	ret = mw__damon_nr_kdamonds();
	if (ret != 0)
		return ret < 0 ? ret : -EBUSY;
	ret = mw__damon_write("1", DAMON_KDAMONDS "/nr_kdamonds");
	if (ret < 0)
		return ret;
	if ((ret = mw__damon_write("1", DAMON_K0 "/contexts/nr_contexts")) == 0 &&
	    (ret = mw__damon_write("1", DAMON_C0 "/schemes/nr_schemes")) == 0) {
		scan_ops(f, DAMON_C0);
		probe_writes(f);
	}
	if (mw__damon_remove_k0() < 0 && ret == 0)
		ret = -EIO;
	snprintf(f->source, sizeof(f->source), "a scratch kdamond memward created and removed");
	return ret;
}

MW_API int mw_damon_features_get(struct mw_damon_features *out, unsigned int flags)
{
	struct mw_damon_features f = { 0 };
	struct stat st;
	char admin[512];
	int ret = 0;

	if (!out || out->sz == 0 || (flags & ~MW_DAMON_PROBE_FLAGS_ALL))
		return -EINVAL;
	f.nr_kdamonds = -1;
	f.sysfs = mw__damon_path(admin, sizeof(admin), DAMON_ADMIN) == 0 && stat(admin, &st) == 0;
	if (!f.sysfs) {
		snprintf(f.source, sizeof(f.source), DAMON_ADMIN " absent");
		f.ops_known = BIT(MW_DAMON_VADDR) | BIT(MW_DAMON_FVADDR) | BIT(MW_DAMON_PADDR);
		f.filters_known = BIT(MW_DAMOS_FILTER_COUNT_) - 1;
		f.actions_known = BIT(MW_DAMOS_ACTION_COUNT_) - 1;
		f.feats_known = BIT(MW_DAMON_FEAT_COUNT_) - 1;
	} else {
		f.nr_kdamonds = mw__damon_nr_kdamonds();
		snprintf(f.source, sizeof(f.source), "files of %d existing kdamond(s), read only",
			 f.nr_kdamonds < 0 ? 0 : f.nr_kdamonds);
		if (f.nr_kdamonds > 0)
			scan_existing(&f);
		else if (flags & MW_DAMON_PROBE_WRITE)
			ret = probe_scratch(&f);
		if (ret == 0 && f.nr_kdamonds > 0 && (flags & MW_DAMON_PROBE_WRITE))
			ret = -EBUSY;
	}
	f.sz = sizeof(f);
	return MW_RESULT_OUT(out, f) < 0 ? -EINVAL : ret;
}
