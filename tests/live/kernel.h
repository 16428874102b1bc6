/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What this kernel offers, established by the test itself: each lk_*()
 * function tries the syscall (or reads the kernel file) directly and returns
 * 0 when it works, else the positive errno it saw. Tests decide "not
 * supported" from these, or from the profile's expectations (MW_EXPECT),
 * never from libmemward's own probe: a probe regression must fail tests, not
 * turn them into green skips. Nothing here calls libmemward.
 */
#ifndef MW_LIVE_KERNEL_H
#define MW_LIVE_KERNEL_H

#include "live.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

/* glibc 2.36 lacks these (Linux 6.3, commits 105ff5339f49 and 6fd7353829ca). */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

/* Exit code of an lk child whose touch of a secret page raised SIGBUS. */
#define LK_SIGBUS 1000

/* memfd_create(flags); for MFD_NOEXEC_SEAL also that the result is 0666
 * with F_SEAL_EXEC (what the flag promises). EINVAL: the flag is unknown. */
static inline int lk_memfd_create(unsigned int flags)
{
	struct stat st;
	int fd = memfd_create("lk-probe", MFD_CLOEXEC | flags), err = 0;

	if (fd < 0)
		return errno;
	if ((flags & MFD_NOEXEC_SEAL) &&
	    (fstat(fd, &st) < 0 || (st.st_mode & 0111) || !(fcntl(fd, F_GET_SEALS) & F_SEAL_EXEC)))
		err = EPROTO;
	close(fd);
	return err;
}

/* Can exec bits be added to a memfd made with MFD_NOEXEC_SEAL (F_SEAL_EXEC
 * set), by a POSIX ACL (acl true: the minimal ACL u::rwx,g::rwx,o::rwx in
 * the kernel's xattr layout) or by fchmod(0755) on an MFD_HUGETLB memfd
 * (acl false)? 0: the seal holds; EPROTO: exec bits appeared (a kernel bug);
 * EINVAL: no MFD_NOEXEC_SEAL; ENOENT: no hugetlb memfds; other: memfd_create's
 * errno. */
static inline int lk_exec_seal_bypass(bool acl)
{
	static const uint32_t xattr[7] = { 2, 0x00070001, 0xffffffff, 0x00070004, 0xffffffff,
					   0x00070020, 0xffffffff };
	struct stat st;
	int fd = memfd_create("lk-probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL), err = 0;

	if (fd < 0)
		return errno;
	if (!acl) {
		close(fd);
		fd = memfd_create("lk-probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL | MFD_HUGETLB);
		if (fd < 0)
			return errno == EINVAL || errno == ENODEV ? ENOENT : errno;
		(void)fchmod(fd, 0755);
	} else {
		(void)fsetxattr(fd, "system.posix_acl_access", xattr, sizeof(xattr), 0);
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 0111))
		err = EPROTO;
	close(fd);
	return err;
}

/* F_ADD_SEALS with seal on a fresh sealable memfd, and it reads back. */
static inline int lk_seal(int seal)
{
	int fd = memfd_create("lk-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING), err = 0;

	if (fd < 0)
		return errno;
	if (fcntl(fd, F_ADD_SEALS, seal) < 0)
		err = errno;
	else if (!(fcntl(fd, F_GET_SEALS) & seal))
		err = EPROTO;
	close(fd);
	return err;
}

/* The seals this kernel accepts, as F_SEAL_* bits (the same values as
 * MW_SEAL_*): the four of 3.17, FUTURE_WRITE (5.1) and EXEC (6.3) when
 * F_ADD_SEALS takes them. 0 without memfd_create. */
static inline unsigned int lk_seals_supported(void)
{
	unsigned int m = 0;

	if (lk_seal(F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
		m |= F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	if (lk_seal(F_SEAL_FUTURE_WRITE) == 0)
		m |= F_SEAL_FUTURE_WRITE;
	if (lk_seal(F_SEAL_EXEC) == 0)
		m |= F_SEAL_EXEC;
	return m;
}

/* Run fn in a child (a filter cannot be removed, a page can kill); the
 * child's exit code is fn's result. Returns it, LK_SIGBUS, or EIO. */
static inline int lk_in_child(int (*fn)(void))
{
	pid_t pid;
	int rc;

	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		_exit(fn());
	}
	rc = live_wait(pid);
	return rc == 128 + SIGBUS ? LK_SIGBUS : rc < 0 || rc > 128 ? EIO : rc;
}

static inline int lk_secret_child(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = (int)syscall(SYS_memfd_secret, 0);
	char *p;

	if (fd < 0)
		return errno;
	if (ftruncate(fd, page) < 0)
		return errno;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return errno;
	/* Over RLIMIT_MEMLOCK, Debian's 6.1 and 6.12 raise SIGBUS here: the
	 * child dies, not the test. */
	*(volatile char *)p = 1;
	return 0;
}

/* memfd_secret works for this caller: created, mapped and a page touched. */
static inline int lk_memfd_secret(void)
{
	return lk_in_child(lk_secret_child);
}

static inline int lk_filter_child(unsigned int flags, int *listener)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errno;
	*listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	return *listener < 0 ? errno : 0;
}

static inline int lk_seccomp_child(void)
{
	int l;

	return lk_filter_child(0, &l);
}

static inline int lk_listener_child(void)
{
	int l;

	return lk_filter_child(SECCOMP_FILTER_FLAG_NEW_LISTENER, &l);
}

/* ADDFD for a notification id that cannot exist: ENOENT means the listener
 * knows the ioctl (5.9+); an unknown ioctl gives EINVAL or ENOTTY. */
static inline int lk_addfd_child(void)
{
	struct seccomp_notif_addfd addfd = { .id = ~0ULL, .srcfd = 0 };
	int l = -1, err = lk_filter_child(SECCOMP_FILTER_FLAG_NEW_LISTENER, &l);

	if (err)
		return err;
	if (ioctl(l, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) == 0)
		return EPROTO;
	return errno == ENOENT ? 0 : errno;
}

/* A seccomp filter can be installed. */
static inline int lk_seccomp_filter(void)
{
	return lk_in_child(lk_seccomp_child);
}

/* A filter with a user-notification listener can be installed. */
static inline int lk_seccomp_listener(void)
{
	return lk_in_child(lk_listener_child);
}

static inline int lk_seccomp_addfd(void)
{
	return lk_in_child(lk_addfd_child);
}

/* pidfd_getfd() of one of our own fds. */
static inline int lk_pidfd_getfd(void)
{
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0), fd, err = 0;

	if (pidfd < 0)
		return errno;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, pidfd, 0);
	if (fd < 0)
		err = errno;
	else
		close(fd);
	close(pidfd);
	return err;
}

/* A number read from a /proc or /sys file ("0x0007" included). */
static inline int lk_read_long(const char *path, long *v)
{
	char buf[64], *end;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? errno : EIO;
	buf[n] = '\0';
	errno = 0;
	*v = strtol(buf, &end, 0);
	return errno || end == buf ? EINVAL : 0;
}

/* The first line of a file, without its newline. */
static inline int lk_read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return errno;
	if (!fgets(buf, (int)size, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * The state the profile (the file named by $MW_EXPECT, a guest profile of
 * tests/vm/matrix) expects for a feature key of `memward status --json`:
 * "supported", "missing", or NULL when there is no profile or no line.
 */
static inline const char *lk_profile_state(const char *key)
{
	static char state[32];
	const char *path = getenv("MW_EXPECT");
	char line[512], want[128];
	FILE *f;
	const char *found = NULL;

	if (!path || !(f = fopen(path, "re")))
		return NULL;
	snprintf(want, sizeof(want), "expect features.%s.state \"", key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)) &&
		    sscanf(line + strlen(want), "%31[a-z_]", state) == 1)
			found = state;
	fclose(f);
	return found;
}

/*
 * The test needs `key` (a `memward status` feature key), which the test's
 * own try reported as err (0: works). Returns when it works; otherwise
 * skips, or fails when the profile says the feature is supported here (a
 * kernel of the matrix that lost a feature is a failure, not a skip).
 */
static inline void lk_need(const char *key, int err, const char *what)
{
	const char *profile = lk_profile_state(key);

	if (!err)
		return;
	REQUIRE(!profile || strcmp(profile, "supported"),
		"%s: %s, but the profile %s expects %s supported", what,
		err == LK_SIGBUS ? "SIGBUS" : strerror(err), getenv("MW_EXPECT"), key);
	live_skip("%s: %s (tried by the test)", what, err == LK_SIGBUS ? "SIGBUS" : strerror(err));
}

#endif
