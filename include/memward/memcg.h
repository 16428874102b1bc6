/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cgroup v2 memory controller: the counters every proactive reclaimer reads
 * and memory.reclaim (5.19), the baseline that Meta's senpai/TMO use.
 *
 * Errors (negative errno): -ENOENT no cgroup2 mount or no such cgroup, or a
 * kernel without the file (memory.reclaim before 5.19); -EAGAIN
 * memory.reclaim reclaimed less than asked; -EINVAL; other errnos.
 */
#ifndef MEMWARD_MEMCG_H
#define MEMWARD_MEMCG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct mw_memcg_stat {
	size_t sz;                  /* sizeof(struct mw_memcg_stat) */
	uint64_t current;           /* memory.current, bytes */
	uint64_t anon, file;        /* memory.stat, bytes */
	uint64_t pgsteal;           /* memory.stat, pages */
	uint64_t refault_anon, refault_file; /* workingset_refault_*, pages */
	uint64_t psi_some_us, psi_full_us;   /* memory.pressure total= (0 without PSI) */
	uint64_t swap_current;      /* memory.swap.current, bytes (0 if absent) */
};

/* Read cgroup's counters (path below the cgroup2 root or under its mount). */
MW_API int mw_memcg_stat_get(const char *cgroup, struct mw_memcg_stat *out);

/* Write bytes to cgroup's memory.reclaim. -EAGAIN when the kernel reclaimed
 * less (it then returns EAGAIN itself). */
MW_API int mw_memcg_reclaim(const char *cgroup, uint64_t bytes);

/* The cgroup of a process, as a path below the cgroup2 root ("/a/b"). */
MW_API int mw_memcg_of_pid(pid_t pid, char *out, size_t len);

/* The cgroup2 mount point ("/sys/fs/cgroup"). 0, -ENOENT when none. */
MW_API int mw_memcg_root(char *out, size_t len);

/* The processes in cgroup (cgroup.procs): up to max into pids, *n gets how
 * many there are (may exceed max). 0 or -errno. */
MW_API int mw_memcg_pids(const char *cgroup, pid_t *pids, size_t max, size_t *n);

#ifdef __cplusplus
}
#endif
#endif
