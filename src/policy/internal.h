/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to src/policy/: shared by nsrun.c, seccomp.c and supervisor.c, and
 * reached by the unit tests. */
#ifndef MW_POLICY_INTERNAL_H
#define MW_POLICY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/internal.h"

/* ---- which call a seccomp notification is (abi.c) ---------------------- */

/* One (arch, nr) the supervisor's filter sends to user space. On x86-64 the
 * kernel reports x32 calls with arch AUDIT_ARCH_X86_64 and nr having
 * __X32_SYSCALL_BIT (0x40000000) set, so they need rows of their own. */
struct mw__policy_abi_row {
	uint32_t arch;  /* AUDIT_ARCH_* as in seccomp_data.arch */
	int nr;
	int call;       /* enum mw_policy_call */
};

#define MW__POLICY_ABI_MAX 16

struct mw__policy_abi {
	struct mw__policy_abi_row rows[MW__POLICY_ABI_MAX];
	unsigned int n;
};

/* Fill the table for the ABIs the filters cover (native; on x86-64 also
 * i386 and x32), from libseccomp's syscall tables. Returns 0 or -errno. */
MW_HIDDEN int mw__policy_abi_init(struct mw__policy_abi *t);
/* The enum mw_policy_call of (arch, nr), or -1: not one of ours (the
 * supervisor then refuses the call). */
MW_HIDDEN int mw__policy_identify(const struct mw__policy_abi *t, uint32_t arch, int nr);

/* ---- what an exec names, and what the file is (target.c) --------------- */

enum mw__exec_path_kind {
	MW__PATH_PLAIN = 0, /* not a /proc or /dev/fd name: the kernel resolves it */
	MW__PATH_FD,        /* /proc/self/fd/N, /dev/fd/N, /proc/thread-self/fd/N, ... */
	MW__PATH_PROC_FILE, /* /proc/self/map_files/RANGE or /proc/self/exe: see sub */
	MW__PATH_OTHER_PROC,/* an fd, mapping or exe of another process: cannot be checked */
};

struct mw__exec_path {
	enum mw__exec_path_kind kind;
	int fd;            /* MW__PATH_FD */
	char sub[128];     /* MW__PATH_PROC_FILE: "map_files/RANGE" or "exe" */
};

/* Classify an exec path as the caller (whose pid in its own namespace is
 * nspid) names it. Pure: for the unit tests. */
MW_HIDDEN void mw__policy_exec_path(const char *path, pid_t nspid, struct mw__exec_path *out);

enum mw__file_kind {
	MW__FILE_OTHER = 0,
	MW__FILE_MEMFD,    /* a tmpfs memfd */
	MW__FILE_SHMEM,    /* other internal shmem: MAP_SHARED|MAP_ANONYMOUS, SysV */
	MW__FILE_HUGETLB,  /* an unlinked hugetlbfs file (memfd or anonymous): never exec-sealed */
	MW__FILE_UNLINKED, /* any other file without a name: O_TMPFILE, or unlinked while open */
};

/* What the open file fd is. shm_dev: st_dev of the internal shmem mount
 * (mw__policy_shm_dev()), 0 if unknown (then the link name decides). */
MW_HIDDEN enum mw__file_kind mw__policy_file_kind(int fd, dev_t shm_dev);
/* st_dev of the kernel's internal shmem mount (where every memfd, anonymous
 * shared mapping and SysV segment lives), from a memfd of our own; 0 if
 * memfd_create fails. */
MW_HIDDEN dev_t mw__policy_shm_dev(void);
/* The caller's pid as its own pid namespace sees it (last NSpid field). */
MW_HIDDEN pid_t mw__policy_ns_pid(pid_t pid);

#endif
