/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup v2 helpers shared by the reclaim capabilities (damon, mglru). */
#ifndef MW_CORE_CGROUP_H
#define MW_CORE_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include "core/internal.h"

/* The cgroup2 mount point from /proc/self/mountinfo. 0, -ENOENT (none), -errno. */
MW_HIDDEN int mw__cgroup2_root(char *out, size_t len);

/* Resolve a user's cgroup argument: an absolute path under the cgroup2 mount
 * ("/sys/fs/cgroup/a") or a path relative to its root ("/a", "a"). dir gets the
 * directory, rel the path below the root ("/a"; "/" for the root). The
 * directory must exist. 0, -ENOENT, -ENOTDIR, -EINVAL. */
MW_HIDDEN int mw__cgroup_resolve(const char *arg, char *dir, size_t dir_len,
				 char *rel, size_t rel_len);

/* Read a "key value" line from a flat-keyed cgroup file (memory.stat). */
MW_HIDDEN int mw__cgroup_stat(const char *dir, const char *file, const char *key, uint64_t *out);

#endif
