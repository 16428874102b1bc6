/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run a test body as an unprivileged application does: uid/gid 65534
 * (nobody), no capabilities (so no CAP_IPC_LOCK), a finite RLIMIT_MEMLOCK.
 * When the test does not run as root it cannot become nobody; it then keeps
 * its uid and only lowers the limit (it has no CAP_IPC_LOCK either, unless
 * it was given one: then the result says so).
 */
#ifndef MW_TEST_UNPRIV_H
#define MW_TEST_UNPRIV_H

#include "live.h"

#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define MIB ((size_t)1 << 20)

/* In a child: become nobody with RLIMIT_MEMLOCK = memlock. 0 or -errno. */
static inline int unpriv_drop(rlim_t memlock)
{
	struct rlimit rl = { memlock, memlock };

	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return -errno;
	if (geteuid() == 0) {
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			return -errno;
		prctl(PR_SET_DUMPABLE, 1); /* /proc/self readable again */
	}
	return 0;
}

/* Run fn in a child dropped to nobody under memlock; its exit code (0
 * pass), 128+signal when it was killed. */
static inline int unpriv_run(rlim_t memlock, int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int err = unpriv_drop(memlock);

		if (err < 0) {
			printf("cannot drop to nobody: %s\n", strerror(-err));
			fflush(stdout);
			_exit(2);
		}
		err = fn(arg);
		fflush(stdout);
		_exit(err);
	}
	return live_wait(pid);
}

/* Does memfd_secret work here (tried by the test itself, not the library's
 * probe)? Returns 0, or the errno of memfd_secret. */
static inline int try_memfd_secret(void)
{
	int fd = (int)syscall(447 /* __NR_memfd_secret */, O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

#endif
