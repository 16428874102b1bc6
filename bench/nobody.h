/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmarks' --nobody: run as an unprivileged application does, as
 * uid/gid 65534 with no supplementary groups and no capabilities (so no
 * CAP_IPC_LOCK) under an 8 MiB RLIMIT_MEMLOCK (the default of most
 * distributions' logins and services).
 */
#ifndef MW_BENCH_NOBODY_H
#define MW_BENCH_NOBODY_H

#include <grp.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#define BENCH_NOBODY_MEMLOCK (8 << 20)

/* Lower RLIMIT_MEMLOCK to 8 MiB and, when root, become 65534 (dumpable
 * again, so that /proc/self stays readable). 0, or -1 with errno. */
static inline int bench_become_nobody(void)
{
	struct rlimit rl = { BENCH_NOBODY_MEMLOCK, BENCH_NOBODY_MEMLOCK };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return -1;
	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
		return -1;
	prctl(PR_SET_DUMPABLE, 1);
	return 0;
}

/* RLIMIT_MEMLOCK as text ("8 MiB", "unlimited"), for the first line. */
static inline const char *bench_memlock_text(void)
{
	static char buf[48];
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return "unknown";
	if (rl.rlim_cur == RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, sizeof(buf), "%llu KiB", (unsigned long long)rl.rlim_cur >> 10);
	return buf;
}

#endif
