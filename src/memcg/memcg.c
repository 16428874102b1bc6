/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup v2 memory counters and memory.reclaim (see include/memward/memcg.h). */
#include "core/internal.h"
#include "core/opts.h"
#include "core/cgroup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memward/memcg.h>

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=123" */
static void psi_totals(const char *dir, uint64_t *some, uint64_t *full)
{
	char path[4200], buf[512];
	const char *p;

	snprintf(path, sizeof(path), "%s/memory.pressure", dir);
	if (mw__read_file(path, buf, sizeof(buf)) < 0)
		return;
	if ((p = strstr(buf, "some ")) && (p = strstr(p, "total=")))
		*some = strtoull(p + 6, NULL, 10);
	if ((p = strstr(buf, "full ")) && (p = strstr(p, "total=")))
		*full = strtoull(p + 6, NULL, 10);
}

static int read_u64(const char *dir, const char *file, uint64_t *v)
{
	char path[4200], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	n = mw__read_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	*v = strtoull(buf, NULL, 10);
	return 0;
}

MW_API int mw_memcg_stat_get(const char *cgroup, struct mw_memcg_stat *out)
{
	struct mw_memcg_stat v = { 0 };
	char dir[4096], rel[4096];
	int ret;

	if (!cgroup || !out || out->sz == 0)
		return -EINVAL;
	ret = mw__cgroup_resolve(cgroup, dir, sizeof(dir), rel, sizeof(rel));
	if (ret < 0)
		return ret;
	/* The root cgroup has no memory.current; its memory.stat is enough. */
	if (read_u64(dir, "memory.current", &v.current) < 0 && strcmp(rel, "/"))
		return -ENOENT;
	ret = mw__cgroup_stat(dir, "memory.stat", "anon", &v.anon);
	if (ret < 0)
		return ret;
	mw__cgroup_stat(dir, "memory.stat", "file", &v.file);
	mw__cgroup_stat(dir, "memory.stat", "pgsteal", &v.pgsteal);
	mw__cgroup_stat(dir, "memory.stat", "workingset_refault_anon", &v.refault_anon);
	mw__cgroup_stat(dir, "memory.stat", "workingset_refault_file", &v.refault_file);
	read_u64(dir, "memory.swap.current", &v.swap_current);
	psi_totals(dir, &v.psi_some_us, &v.psi_full_us);
	return MW_RESULT_OUT(out, v);
}

MW_API int mw_memcg_reclaim(const char *cgroup, uint64_t bytes)
{
	char dir[4096], rel[4096], path[4200], val[32];
	int ret;

	if (!cgroup || !bytes)
		return -EINVAL;
	ret = mw__cgroup_resolve(cgroup, dir, sizeof(dir), rel, sizeof(rel));
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/memory.reclaim", dir);
	snprintf(val, sizeof(val), "%" PRIu64, bytes);
	return mw__write_file(path, val);
}

MW_API int mw_memcg_of_pid(pid_t pid, char *out, size_t len)
{
	char path[64], buf[4096];
	const char *p;

	if (pid <= 0 || !out || !len)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (mw__read_file(path, buf, sizeof(buf)) < 0)
		return -ESRCH;
	/* cgroup v2 line: "0::/a/b" */
	p = strstr(buf, "0::");
	if (!p || (p != buf && p[-1] != '\n'))
		return -ENOENT;
	p += 3;
	if ((size_t)snprintf(out, len, "%.*s", (int)strcspn(p, "\n"), p) >= len)
		return -ENAMETOOLONG;
	return 0;
}

MW_API int mw_memcg_pids(const char *cgroup, pid_t *pids, size_t max, size_t *n)
{
	char dir[4096], rel[4096], path[4200], line[32];
	FILE *f;
	size_t k = 0;
	int ret;

	if (!cgroup || !n || (max && !pids))
		return -EINVAL;
	ret = mw__cgroup_resolve(cgroup, dir, sizeof(dir), rel, sizeof(rel));
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (k < max)
			pids[k] = (pid_t)strtol(line, NULL, 10);
		k++;
	}
	fclose(f);
	*n = k;
	return 0;
}

MW_API int mw_memcg_root(char *out, size_t len)
{
	if (!out || !len)
		return -EINVAL;
	return mw__cgroup2_root(out, len);
}
