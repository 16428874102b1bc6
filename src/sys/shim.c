/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Syscall wrappers glibc 2.36 does not provide (or provides only in part). */
#include "sys/shim.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int mw_sys_memfd_create(const char *name, unsigned int flags)
{
	/* Go through syscall() rather than glibc's memfd_create() so that flags
	 * glibc does not know about reach the kernel untouched. */
	return (int)syscall(__NR_memfd_create, name, flags);
}

int mw_sys_memfd_secret(unsigned int flags)
{
	return (int)syscall(__NR_memfd_secret, flags);
}

void mw_sys_exit_task(int code)
{
	for (;;)
		syscall(SYS_exit, code);
}

int mw_sys_kernel_write16(void *addr)
{
	long r = syscall(SYS_prlimit64, 0, RLIMIT_MEMLOCK, NULL, addr);

	if (r == 0 || errno == EFAULT)
		return (int)r;
	/* prlimit64 refused (seccomp, LSM): getrandom writes too. */
	r = syscall(SYS_getrandom, addr, 16, GRND_NONBLOCK);
	if (r > 0)
		return 0; /* the first byte was written: the page is in */
	if (r == 0)
		errno = EAGAIN;
	return -1; /* EAGAIN (no entropy yet: nothing written), EFAULT, or refused */
}

int mw_sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(__NR_pidfd_open, pid, flags);
}

int mw_sys_pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	return (int)syscall(__NR_pidfd_getfd, pidfd, targetfd, flags);
}

int mw_sys_seccomp(unsigned int op, unsigned int flags, void *args)
{
	return (int)syscall(__NR_seccomp, op, flags, args);
}

int mw_sys_execveat(int dirfd, const char *path, char *const argv[],
		    char *const envp[], int flags)
{
	return (int)syscall(__NR_execveat, dirfd, path, argv, envp, flags);
}

pid_t mw_sys_fork_flags(unsigned long flags)
{
	return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
}

pid_t mw_sys_fork_pidfd(unsigned long flags, int *pidfd)
{
	pid_t pid;

	*pidfd = -1;
	/* parent_tid (where CLONE_PIDFD stores the pidfd) is the third argument on
	 * x86-64 and the CLONE_BACKWARDS architectures alike. */
	pid = (pid_t)syscall(SYS_clone, flags | CLONE_PIDFD, NULL, pidfd, NULL, NULL);
	if (pid < 0 && errno == EINVAL) {
		/* Before 5.2 (no CLONE_PIDFD). */
		*pidfd = -1;
		pid = mw_sys_fork_flags(flags);
	}
	return pid;
}

int mw_sys_openat2_path(int dirfd, const char *path, uint64_t resolve)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = resolve };

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int mw_sys_capget_effective(uint64_t *eff)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	*eff = (uint64_t)data[1].effective << 32 | data[0].effective;
	return 0;
}
