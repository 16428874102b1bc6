/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #12: mw_exec_sealed_prepare() returned an O_RDWR fd although
 * exec.h promises a read-only one. Now the fd is O_RDONLY (the sealed copy
 * reopened), O_CLOEXEC, refuses write(2) with EBADF, is the same file the
 * library sealed, and still runs (execveat in a child).
 */
#include "live.h"

#include <sys/stat.h>

#include <memward/memward.h>

int main(void)
{
	static const char *progs[] = { "/bin/true", "/usr/bin/true", "/bin/busybox" };
	struct mw_exec_info info = { .sz = sizeof(info) };
	const char *prog = NULL;
	struct stat st;
	pid_t pid;
	int fd, rc;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]) && !prog; i++)
		if (access(progs[i], X_OK) == 0)
			prog = progs[i];
	if (!prog)
		live_skip("no true(1) or busybox to copy");
	fd = mw_exec_sealed_prepare(prog, NULL, &info);
	if (fd == -EACCES && info.step == MW_EXEC_STEP_CREATE)
		live_skip("executable memfds are refused here: %s", info.reason);
	REQUIRE(fd >= 0, "prepare %s: %d %s", prog, fd, info.reason);
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "prepared fd is not O_RDONLY (%#x): %s",
	      fcntl(fd, F_GETFL), info.reason);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "not O_CLOEXEC");
	CHECK(write(fd, "x", 1) < 0 && errno == EBADF, "write to the prepared fd: %s", strerror(errno));
	CHECK(fstat(fd, &st) == 0 && (uint64_t)st.st_size == info.size, "not the sealed copy");
	CHECK(mw_memfd_get_seals(fd) == (int)info.seals, "seals %d, info says %u",
	      mw_memfd_get_seals(fd), info.seals);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		char *argv[] = { "true", NULL };
		if (strstr(prog, "busybox"))
			argv[0] = "true";
		mw_exec_fd(fd, argv, NULL, false);
		_exit(99);
	}
	rc = live_wait(pid);
	CHECK(rc == 0, "the read-only prepared fd does not run: %d", rc);
	close(fd);
	return live_done();
}
