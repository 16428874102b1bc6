/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place for what glibc 2.36 lacks: syscall wrappers and flag values.
 * Every module includes this instead of defining its own copies.
 */
#ifndef MW_SYS_SHIM_H
#define MW_SYS_SHIM_H

#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* memfd_create() flags: MFD_NOEXEC_SEAL and MFD_EXEC arrived in Linux 6.3
 * (commit 105ff5339f49 "mm/memfd: add MFD_NOEXEC_SEAL and MFD_EXEC"). */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

/* File seals. F_SEAL_FUTURE_WRITE is 5.1, F_SEAL_EXEC is 6.3
 * (commit 6fd7353829ca "mm/memfd: add F_SEAL_EXEC"). */
#ifndef F_ADD_SEALS
#define F_LINUX_SPECIFIC_BASE 1024
#define F_ADD_SEALS (F_LINUX_SPECIFIC_BASE + 9)
#define F_GET_SEALS (F_LINUX_SPECIFIC_BASE + 10)
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#ifndef MADV_DONTFORK
#define MADV_DONTFORK 10
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif
#ifndef MADV_DONTDUMP
#define MADV_DONTDUMP 16
#endif
/* MADV_COLLAPSE (6.1; shmem too): synchronous collapse into a PMD-sized
 * THP, whatever transparent_hugepage/shmem_enabled says (except "deny"). */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

/* SCM_PIDFD (6.5): with SO_PASSPIDFD the kernel attaches a pidfd to every
 * received message; a receiver that does not want it must close it. */
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* Syscall numbers, in case the installed headers predate them (x86-64 and
 * the generic table agree on these: they were added after the unification). */
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif
#ifndef __NR_seccomp
#define __NR_seccomp 317
#endif

/* PROCMAP_QUERY ioctl on /proc/PID/maps (6.11, commit ed5d583a88a9
 * "fs/procfs: implement efficient VMA querying API for /proc/<pid>/maps"):
 * one VMA per call, without formatting its path unless asked. */
#ifndef PROCMAP_QUERY
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define PROCMAP_QUERY 0xc0686611UL /* _IOWR('f', 17, struct procmap_query) */
#define PROCMAP_QUERY_VMA_READABLE 0x01
#define PROCMAP_QUERY_VMA_WRITABLE 0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_VMA_SHARED 0x08
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#define PROCMAP_QUERY_FILE_BACKED_VMA 0x20
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB (30U << 26)
#endif

/* seccomp user notification: SECCOMP_IOCTL_NOTIF_ADDFD is 5.9, its
 * SECCOMP_ADDFD_FLAG_SEND 5.14 (older uapi headers may lack both). */
#include <linux/seccomp.h>
#include <linux/ioctl.h>
#ifndef SECCOMP_ADDFD_FLAG_SETFD
#define SECCOMP_ADDFD_FLAG_SETFD (1UL << 0)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_ADDFD
struct seccomp_notif_addfd {
	__u64 id;
	__u32 flags;
	__u32 srcfd;
	__u32 newfd;
	__u32 newfd_flags;
};
#define SECCOMP_IOCTL_NOTIF_ADDFD _IOW('!', 3, struct seccomp_notif_addfd)
#endif
/* 6.6: wake the supervisor synchronously (commit 48a1084a8b74). */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
/* SECCOMP_GET_ACTION_AVAIL: 4.14; SECCOMP_RET_USER_NOTIF and
 * SECCOMP_FILTER_FLAG_NEW_LISTENER: 5.0 (commit 6a21cc50f0c7). */
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

/* Raw wrappers. They return what the kernel returns: -1 with errno set. */
int mw_sys_memfd_create(const char *name, unsigned int flags);
int mw_sys_memfd_secret(unsigned int flags);
int mw_sys_pidfd_open(pid_t pid, unsigned int flags);
int mw_sys_pidfd_getfd(int pidfd, int targetfd, unsigned int flags);
int mw_sys_seccomp(unsigned int op, unsigned int flags, void *args);
int mw_sys_execveat(int dirfd, const char *path, char *const argv[],
		    char *const envp[], int flags);
/* clone(2) without a new stack: returns twice like fork(), with the given
 * flags (namespaces, exit signal). glibc's fork() takes no flags and its
 * clone() wants a stack. */
pid_t mw_sys_fork_flags(unsigned long flags);
/* Exit the calling task only (exit(2), not exit_group(2)): for a helper task
 * that shares our address space but not our thread group. */
__attribute__((noreturn)) void mw_sys_exit_task(int code);
/* openat2(2) (5.6) with O_PATH|O_CLOEXEC and the given RESOLVE_* flags. */
int mw_sys_openat2_path(int dirfd, const char *path, uint64_t resolve);
/* mw_sys_fork_flags() with CLONE_PIDFD (5.2): the pidfd (O_CLOEXEC) in
 * *pidfd, or -1 where the kernel refuses the flag. */
pid_t mw_sys_fork_pidfd(unsigned long flags, int *pidfd);
/*
 * Make the KERNEL write 16 bytes at addr (prlimit64's old-limit output, then
 * getrandom(GRND_NONBLOCK) if a sandbox refuses prlimit64). A page fault taken
 * by the kernel inside copy_to_user() that the mm cannot satisfy (SIGBUS or
 * OOM from the fault handler) becomes -1/EFAULT for the syscall instead of a
 * signal to the caller (arch/x86/mm/fault.c do_sigbus(): kernel mode ->
 * kernelmode_fixup_or_oops()). That is how the secret heap pre-faults
 * secretmem without risking SIGBUS. Returns 0, or -1 with errno: EFAULT (the
 * fault failed), or the sandbox's errno when both calls are refused.
 */
int mw_sys_kernel_write16(void *addr);

/* The calling thread's effective capabilities (capget(2), version 3: 64
 * bits). 0, or -1 with errno (a sandbox may refuse capget). */
int mw_sys_capget_effective(uint64_t *eff);

#endif
