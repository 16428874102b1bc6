/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DAMON: data access monitoring and DAMON-based operation schemes (DAMOS)
 * driven through the sysfs interface, from C.
 *
 * Kernel facts this module is built on (mm/damon/sysfs*.c):
 *  - /sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds: writing it destroys and
 *    recreates EVERY kdamond directory (and fails with EBUSY while one runs).
 *    memward therefore only creates a kdamond when there is none; any kdamond
 *    it did not create makes mw_damon_start() fail with -EBUSY, untouched.
 *  - Every access_pattern range defaults to 0-0: a scheme whose maxima are
 *    not set matches nothing. Unset maxima here mean "no limit".
 *  - Filters: anon and memcg 6.3, addr and target 6.6, young 6.10, allow
 *    6.14, hugepage_size/unmapped/active 6.15 (with the core_filters/ and
 *    ops_filters/ split; filters/ deprecated). The operations-layer types
 *    (anon, memcg, young, hugepage_size, unmapped, active) act only with the
 *    paddr operations on the kernels of this project (6.1-6.18).
 *    Before 6.14 a filter EXCLUDES the memory it matches (matching=1) or
 *    does not match (matching=0) from the action.
 *  - A memcg filter's memcg_path is resolved only at `on`/`commit`, where a
 *    missing path fails with ENOMEM; memward checks it first.
 *  - quotas/goals 6.8, goal metric some_mem_psi_us 6.9, apply_interval_us
 *    6.7, tried_regions/total_bytes 6.6, migrate_hot/cold 6.11.
 * Features are detected file by file and by the kernel's answer to a write
 * into memward's own kdamond, never from the version number.
 *
 * Errors (negative errno): -EINVAL bad arguments; -EOPNOTSUPP a feature the
 * kernel lacks (the message names it and the release that added it);
 * -ENOENT DAMON sysfs absent, or a memcg path that does not exist; -EBUSY a
 * kdamond exists that memward did not create, or another memward process
 * drives DAMON; -EACCES/-EPERM not root; -ENOMEM; other errnos from sysfs.
 */
#ifndef MEMWARD_DAMON_H
#define MEMWARD_DAMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mw_damon_ops {
	MW_DAMON_VADDR = 0,  /* virtual address spaces of processes */
	MW_DAMON_FVADDR,     /* fixed virtual address ranges (6.1+) */
	MW_DAMON_PADDR,      /* physical memory */
};

enum mw_damon_action {
	MW_DAMOS_PAGEOUT = 0, MW_DAMOS_COLD, MW_DAMOS_WILLNEED, MW_DAMOS_HUGEPAGE,
	MW_DAMOS_NOHUGEPAGE, MW_DAMOS_LRU_PRIO, MW_DAMOS_LRU_DEPRIO, MW_DAMOS_STAT,
	MW_DAMOS_MIGRATE_HOT, MW_DAMOS_MIGRATE_COLD,
	MW_DAMOS_ACTION_COUNT_ /* not an action */
};

enum mw_damon_filter_type {
	MW_DAMOS_FILTER_ANON = 0, MW_DAMOS_FILTER_MEMCG, MW_DAMOS_FILTER_YOUNG,
	MW_DAMOS_FILTER_ADDR, MW_DAMOS_FILTER_TARGET, MW_DAMOS_FILTER_HUGEPAGE_SIZE,
	MW_DAMOS_FILTER_UNMAPPED, MW_DAMOS_FILTER_ACTIVE,
	MW_DAMOS_FILTER_COUNT_ /* not a type */
};

/* Quota goal metrics (quotas/goals/G/target_metric). */
enum mw_damon_goal_metric {
	MW_DAMOS_GOAL_USER_INPUT = 0,   /* current_value given by the caller (6.8) */
	MW_DAMOS_GOAL_SOME_MEM_PSI_US,  /* system "some" memory PSI, us per reset interval (6.9) */
	MW_DAMOS_GOAL_METRIC_COUNT_
};

/* A filter. Before 6.14 it excludes what it matches (matching=1) or what it
 * does not match (matching=0); allow=1 (6.14+) turns it into an allow filter. */
struct mw_damon_filter {
	size_t sz;                       /* sizeof(struct mw_damon_filter) */
	enum mw_damon_filter_type type;
	int matching;                    /* 0 or 1 */
	int allow;                       /* 0 or 1; 1 needs 6.14 */
	const char *memcg_path;          /* MEMCG: path below the cgroup2 root ("/a/b") */
	uint64_t addr_start, addr_end;   /* ADDR: [start, end) */
	unsigned int target_idx;         /* TARGET: index into the context's targets */
	uint64_t min, max;               /* HUGEPAGE_SIZE: bytes */
};

struct mw_damon_goal {
	size_t sz;                       /* sizeof(struct mw_damon_goal) */
	enum mw_damon_goal_metric metric;
	uint64_t target_value;
	uint64_t current_value;          /* USER_INPUT only */
};

struct mw_damon_quota {
	size_t sz;                       /* sizeof(struct mw_damon_quota); 0 = no quota */
	uint64_t ms;                     /* time quota per reset interval (0: none) */
	uint64_t bytes;                  /* size quota per reset interval (0: none) */
	uint64_t reset_interval_ms;
	unsigned int weight_sz, weight_nr_accesses, weight_age; /* permil */
	const struct mw_damon_goal *const *goals; /* nr_goals pointers (6.8+) */
	size_t nr_goals;
};

enum mw_damon_wmark_metric { MW_DAMOS_WMARK_NONE = 0, MW_DAMOS_WMARK_FREE_MEM_RATE };

struct mw_damon_watermarks {
	size_t sz;                       /* sizeof(...); 0 = none (always active) */
	enum mw_damon_wmark_metric metric;
	uint64_t interval_us;
	uint64_t high, mid, low;         /* permil of free memory */
};

/* Ranges in the kernel's units: bytes, accesses per aggregation (0 to
 * aggr_us/sample_us), age in aggregation intervals; max is inclusive. max 0
 * means no limit (so an unset range matches everything, unlike sysfs's 0-0);
 * a maximum of exactly zero is written MW_DAMON_ZERO (idle regions:
 * nr_accesses = { 0, MW_DAMON_ZERO }). */
struct mw_damon_range { uint64_t min, max; };
#define MW_DAMON_ZERO UINT64_MAX

struct mw_damon_scheme {
	size_t sz;                       /* sizeof(struct mw_damon_scheme) */
	enum mw_damon_action action;
	struct mw_damon_range size, nr_accesses, age;
	uint64_t apply_interval_us;      /* 0: every aggregation; non-zero needs 6.7 */
	struct mw_damon_quota quota;
	struct mw_damon_watermarks watermarks;
	const struct mw_damon_filter *const *filters; /* nr_filters pointers */
	size_t nr_filters;
};

struct mw_damon_region { uint64_t start, end; };

struct mw_damon_target {
	size_t sz;                       /* sizeof(struct mw_damon_target) */
	pid_t pid;                       /* vaddr: the process; else ignored */
	const struct mw_damon_region *regions; /* paddr/fvaddr ranges; none for paddr: the largest System RAM range of /proc/iomem */
	size_t nr_regions;
};

struct mw_damon_ctx {
	size_t sz;                       /* sizeof(struct mw_damon_ctx) */
	enum mw_damon_ops ops;
	uint64_t sample_us, aggr_us, update_us; /* 0: 5000, 100000, 1000000 */
	uint64_t min_nr_regions, max_nr_regions; /* 0: 10, 1000 */
	const struct mw_damon_target *const *targets;
	size_t nr_targets;
	const struct mw_damon_scheme *const *schemes;
	size_t nr_schemes;
};

struct mw_damon; /* a running kdamond that memward created */

/*
 * Create a kdamond, write the whole context, check it, and turn it on. On
 * any error nothing is left behind: the kdamond memward added is removed and
 * the tree is as before. why (may be NULL) gets one sentence for a person.
 * Returns 0 and *out, or -errno (see the top of this header; -EOPNOTSUPP
 * names the missing filter, action, operations set or file and its release).
 */
MW_API int mw_damon_start(const struct mw_damon_ctx *ctx, struct mw_damon **out,
			  char *why, size_t why_len);

/* Turn the kdamond off, remove it (nr_kdamonds back to 0) and free d.
 * Returns 0 or -errno (d is freed either way). NULL is a no-op. */
MW_API int mw_damon_stop(struct mw_damon *d);

/* The kdamond's thread id (for CPU accounting) and sysfs index. */
MW_API pid_t mw_damon_kdamond_pid(const struct mw_damon *d);

struct mw_damon_stats {
	size_t sz;                       /* sizeof(struct mw_damon_stats) */
	uint64_t nr_tried, sz_tried, nr_applied, sz_applied, qt_exceeds;
	uint64_t sz_ops_filter_passed;   /* 6.14+, else 0 */
	uint64_t qt_effective_bytes;     /* the size quota in force this reset interval, as the
					  * quota goals tuned it (quotas/effective_bytes, 6.9+);
					  * 0 where the kernel does not say */
	uint64_t quota_held;             /* 1 while memward holds the scheme back until the
					  * kernel sets its quota (see mw_damon_poll()) */
};

/* Refresh (update_schemes_stats, and update_schemes_effective_quotas where
 * the kernel has it) and read scheme idx's statistics. Calls mw_damon_poll()
 * first. */
MW_API int mw_damon_stats_get(struct mw_damon *d, size_t scheme, struct mw_damon_stats *out);

struct mw_damon_tried {
	size_t sz;                       /* sizeof(struct mw_damon_tried) */
	uint64_t start, end;
	uint64_t nr_accesses;            /* in the last aggregation interval */
	uint64_t age;                    /* aggregation intervals at this level */
};

typedef int (*mw_damon_region_fn)(const struct mw_damon_tried *r, void *arg);

/* Refresh (update_schemes_tried_regions) and call fn for every region scheme
 * idx tried in the last interval; a non-zero return from fn stops the walk
 * and is returned. Returns 0, fn's value or -errno. */
MW_API int mw_damon_regions_foreach(struct mw_damon *d, size_t scheme,
				    mw_damon_region_fn fn, void *arg);

/*
 * A scheme with a quota (bytes, ms or goals) starts held, where the kernel
 * reports quotas/effective_bytes (6.9+): until the kernel first sets the
 * quota, in its first charge window, DAMOS applies the action without limit.
 * Held, the scheme's age minimum is at its maximum so no region qualifies;
 * mw_damon_poll() releases each held scheme whose effective quota reads
 * non-zero (the caller's age minimum, committed in place). Returns the number
 * of schemes still held, or -errno. mw_damon_stats_get() calls it.
 */
MW_API int mw_damon_poll(struct mw_damon *d);

/* Update the current_value of a USER_INPUT goal and commit it. */
MW_API int mw_damon_goal_set(struct mw_damon *d, size_t scheme, size_t goal, uint64_t value);

/*
 * A kdamond left by a memward process that died (SIGKILL) is found through
 * memward's record (/run/memward/damon) and removed. Returns 1 when one was
 * removed, 0 when there was none, -EBUSY when its owner still runs, -errno.
 */
MW_API int mw_damon_cleanup_stale(void);

/* Feature availability: bit (1u << MW_DAMOS_FILTER_x) etc. A bit is in
 * `known` when the answer was established, in `have` when it is yes. */
#define MW_DAMON_FEAT_APPLY_INTERVAL (1u << 0) /* 6.7 */
#define MW_DAMON_FEAT_QUOTA_GOALS    (1u << 1) /* 6.8 */
#define MW_DAMON_FEAT_GOAL_PSI       (1u << 2) /* 6.9 */
#define MW_DAMON_FEAT_TRIED_BYTES    (1u << 3) /* 6.6 */
#define MW_DAMON_FEAT_FILTER_ALLOW   (1u << 4) /* 6.14 */
#define MW_DAMON_FEAT_FILTER_SPLIT   (1u << 5) /* core_filters/ops_filters, 6.15 */
#define MW_DAMON_FEAT_TARGET_NID     (1u << 6) /* 6.11 */
#define MW_DAMON_FEAT_COUNT_ 7

struct mw_damon_features {
	size_t sz;                       /* sizeof(struct mw_damon_features) */
	int sysfs;                       /* 1 present, 0 absent */
	int nr_kdamonds;                 /* -1 unreadable */
	unsigned int ops_known, ops_have;        /* 1u << MW_DAMON_* */
	unsigned int filters_known, filters_have; /* 1u << MW_DAMOS_FILTER_* */
	unsigned int actions_known, actions_have; /* 1u << MW_DAMOS_* */
	unsigned int feats_known, feats_have;     /* MW_DAMON_FEAT_* */
	char source[160];                /* where the answers came from */
};

/* mw_damon_features_get() flags */
#define MW_DAMON_PROBE_WRITE 0x1u /* may create (and remove) a scratch kdamond when
                                   * none exists, to answer what files cannot */
#define MW_DAMON_PROBE_FLAGS_ALL 0x1u

/*
 * What this kernel's DAMON offers. Without MW_DAMON_PROBE_WRITE it only reads
 * (existing kdamonds' files; nothing is written). With it, and only when no
 * kdamond exists, memward creates one, writes each type and action into it,
 * and removes it. Returns 0, -EINVAL, -EBUSY (PROBE_WRITE, kdamonds exist).
 */
MW_API int mw_damon_features_get(struct mw_damon_features *out, unsigned int flags);

/* Release that added a filter type / action / MW_DAMON_FEAT_ bit index
 * ("6.10"); NULL when unknown. Names as sysfs spells them; NULL if unknown. */
MW_API const char *mw_damon_filter_release(enum mw_damon_filter_type type);
MW_API const char *mw_damon_filter_name(enum mw_damon_filter_type type);
MW_API const char *mw_damon_action_release(enum mw_damon_action action);
MW_API const char *mw_damon_action_name(enum mw_damon_action action);
MW_API const char *mw_damon_feat_name(unsigned int bit_index);
MW_API const char *mw_damon_feat_release(unsigned int bit_index);

#ifdef __cplusplus
}
#endif
#endif
