/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers for the share tests: memfds made with raw syscalls (never the
 * library under test), a forked sender, fd counting without /proc. */
#ifndef MW_SHARE_TEST_H
#define MW_SHARE_TEST_H

#include "live.h"
#include "sys/shim.h"

#include <signal.h>
#include <sys/socket.h>

#include <memward/memward.h>

/* A memfd with len bytes of 'A' and these seals, made with the raw syscall;
 * flags: MFD_* (MFD_CLOEXEC is added). -errno on failure. */
static inline int st_memfd(unsigned int mfd, unsigned int seals, size_t len)
{
	char buf[4096];
	int fd = mw_sys_memfd_create("st", MFD_CLOEXEC | mfd);

	if (fd < 0)
		return -errno;
	memset(buf, 'A', sizeof(buf));
	for (size_t off = 0; off < len; off += sizeof(buf))
		if (pwrite(fd, buf, len - off < sizeof(buf) ? len - off : sizeof(buf), (off_t)off) < 0)
			goto fail;
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)
		goto fail;
	return fd;
fail:
	{
		int e = -errno;
		close(fd);
		return e;
	}
}

/* Seals this kernel knows, found by trying them on a scratch memfd. */
static inline unsigned int st_seals_supported(void)
{
	unsigned int s = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
	int fd = mw_sys_memfd_create("st-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return 0;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0)
		s |= F_SEAL_FUTURE_WRITE;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) == 0)
		s |= F_SEAL_EXEC;
	close(fd);
	return s;
}

/* Open fds among 0..1023, counted with fcntl (works where /proc does not,
 * inside a seccomp allow-list). */
static inline int st_count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* Fork a sender that runs fn(sock) on its end of a socketpair of this
 * type; returns the receiver's end, *pid the sender. */
static inline int st_sender(int type, void (*fn)(int sock, void *arg), void *arg, pid_t *pid)
{
	int sv[2];

	REQUIRE(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	*pid = fork();
	REQUIRE(*pid >= 0, "fork");
	if (*pid == 0) {
		close(sv[0]);
		fn(sv[1], arg);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

#endif

#include <sched.h>
#include <sys/mount.h>

/* A tmpfs file named name in a private mount namespace (root only), its
 * mount then moved onto "/" so that the receiver reads its /proc link as
 * "/NAME (deleted)": with name "memfd:evil", exactly a memfd's. -1 when
 * this process cannot make one. Call in a sender child only. */
static inline int st_forged_memfd(const char *name)
{
	static const char *dirs[] = { "/tmp", "/mnt", "/dev/shm", "/root", "/dev" };
	char path[128];

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int fd;

		if (mount("mwforge", dirs[i], "tmpfs", 0, "mode=0700") < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		unlink(path);
		if (mount(dirs[i], "/", NULL, MS_MOVE, NULL) < 0)
			return -1;
		return fd;
	}
	return -1;
}
