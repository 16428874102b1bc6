/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DAMON names as sysfs spells them, the release that added each (damo's
 * feature table, checked against mm/damon/sysfs-schemes.c), and the small
 * sysfs helpers of the module. */
#include "damon/internal.h"
#include "core/opts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

static const struct { const char *name, *release; } filters[MW_DAMOS_FILTER_COUNT_] = {
	[MW_DAMOS_FILTER_ANON] = { "anon", "6.3" },
	[MW_DAMOS_FILTER_MEMCG] = { "memcg", "6.3" },
	[MW_DAMOS_FILTER_YOUNG] = { "young", "6.10" },
	[MW_DAMOS_FILTER_ADDR] = { "addr", "6.6" },
	[MW_DAMOS_FILTER_TARGET] = { "target", "6.6" },
	[MW_DAMOS_FILTER_HUGEPAGE_SIZE] = { "hugepage_size", "6.15" },
	[MW_DAMOS_FILTER_UNMAPPED] = { "unmapped", "6.15" },
	[MW_DAMOS_FILTER_ACTIVE] = { "active", "6.15" },
};

static const struct { const char *name, *release; } actions[MW_DAMOS_ACTION_COUNT_] = {
	[MW_DAMOS_PAGEOUT] = { "pageout", "5.16" },
	[MW_DAMOS_COLD] = { "cold", "5.16" },
	[MW_DAMOS_WILLNEED] = { "willneed", "5.16" },
	[MW_DAMOS_HUGEPAGE] = { "hugepage", "5.16" },
	[MW_DAMOS_NOHUGEPAGE] = { "nohugepage", "5.16" },
	[MW_DAMOS_LRU_PRIO] = { "lru_prio", "6.0" },
	[MW_DAMOS_LRU_DEPRIO] = { "lru_deprio", "6.0" },
	[MW_DAMOS_STAT] = { "stat", "5.16" },
	[MW_DAMOS_MIGRATE_HOT] = { "migrate_hot", "6.11" },
	[MW_DAMOS_MIGRATE_COLD] = { "migrate_cold", "6.11" },
};

static const struct { const char *name, *release; } feats[MW_DAMON_FEAT_COUNT_] = {
	{ "apply_interval_us", "6.7" }, { "quota_goals", "6.8" },
	{ "goal_some_mem_psi_us", "6.9" }, { "tried_regions_total_bytes", "6.6" },
	{ "filter_allow", "6.14" }, { "core_ops_filters", "6.15" }, { "target_nid", "6.11" },
};

MW_API const char *mw_damon_filter_name(enum mw_damon_filter_type t)
{
	return (unsigned)t < MW_DAMOS_FILTER_COUNT_ ? filters[t].name : NULL;
}

MW_API const char *mw_damon_filter_release(enum mw_damon_filter_type t)
{
	return (unsigned)t < MW_DAMOS_FILTER_COUNT_ ? filters[t].release : NULL;
}

MW_API const char *mw_damon_action_name(enum mw_damon_action a)
{
	return (unsigned)a < MW_DAMOS_ACTION_COUNT_ ? actions[a].name : NULL;
}

MW_API const char *mw_damon_action_release(enum mw_damon_action a)
{
	return (unsigned)a < MW_DAMOS_ACTION_COUNT_ ? actions[a].release : NULL;
}

MW_API const char *mw_damon_feat_name(unsigned int i)
{
	return i < MW_DAMON_FEAT_COUNT_ ? feats[i].name : NULL;
}

MW_API const char *mw_damon_feat_release(unsigned int i)
{
	return i < MW_DAMON_FEAT_COUNT_ ? feats[i].release : NULL;
}

const char *mw__damon_ops_name(enum mw_damon_ops ops)
{
	switch (ops) {
	case MW_DAMON_VADDR: return "vaddr";
	case MW_DAMON_FVADDR: return "fvaddr";
	case MW_DAMON_PADDR: return "paddr";
	}
	return NULL;
}

const char *mw__damon_goal_metric_name(enum mw_damon_goal_metric m)
{
	switch (m) {
	case MW_DAMOS_GOAL_USER_INPUT: return "user_input";
	case MW_DAMOS_GOAL_SOME_MEM_PSI_US: return "some_mem_psi_us";
	case MW_DAMOS_GOAL_METRIC_COUNT_: break;
	}
	return NULL;
}

int mw__damon_copy(void *dst, size_t dst_sz, const void *src, bool allow_absent)
{
	size_t sz = 0;

	/* Embedded structs (quota, watermarks) with sz 0 are "not given". */
	if (src)
		memcpy(&sz, src, sizeof(sz));
	if (!src || sz == 0) {
		memset(dst, 0, dst_sz);
		return allow_absent ? 0 : -EINVAL;
	}
	return mw__opts_in(dst, dst_sz, dst_sz, src);
}

void mw__damon_why(char *why, size_t len, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (why && len)
		snprintf(why, len, "%s", msg);
	mw__log(LOG_INFO, "damon: %s", msg);
}

/* Every DAMON path goes through here: under mw__sysroot() for tests. */
static int vpath(char *p, size_t len, const char *fmt, va_list ap)
{
	const char *root = mw__sysroot();
	size_t rl = strlen(root);
	int n;

	if (rl >= len)
		return -ENAMETOOLONG;
	memcpy(p, root, rl);
	n = vsnprintf(p + rl, len - rl, fmt, ap);
	return n < 0 || (size_t)n >= len - rl ? -ENAMETOOLONG : 0;
}

int mw__damon_path(char *p, size_t len, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(p, len, fmt, ap);
	va_end(ap);
	return ret;
}

int mw__damon_write(const char *val, const char *fmt, ...)
{
	char p[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	return ret < 0 ? ret : mw__write_file(p, val);
}

int mw__damon_writeu(uint64_t v, const char *fmt, ...)
{
	char p[512], val[32];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	snprintf(val, sizeof(val), "%" PRIu64, v);
	return ret < 0 ? ret : mw__write_file(p, val);
}

ssize_t mw__damon_read(char *buf, size_t len, const char *fmt, ...)
{
	char p[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	return ret < 0 ? ret : mw__read_file(p, buf, len);
}

int mw__damon_readu(uint64_t *v, const char *fmt, ...)
{
	char p[512], buf[64], *end;
	va_list ap;
	ssize_t n;
	int ret;

	va_start(ap, fmt);
	ret = vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	n = mw__read_file(p, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

bool mw__damon_exists(const char *fmt, ...)
{
	char p[512];
	struct stat st;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vpath(p, sizeof(p), fmt, ap);
	va_end(ap);
	return ret == 0 && stat(p, &st) == 0;
}
