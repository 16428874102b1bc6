/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #4: the verified fd was the sender's own open file description
 * (O_RDWR, shared offset): a sender that lseeks after the check changes what
 * the receiver's first read() returns. Now the receiver gets a private
 * O_RDONLY description; MW_SHARE_SHARED_FD asks for the old behaviour.
 * An O_PATH or write-only fd is never upgraded to a readable one.
 */
#include "share_test.h"

static unsigned int sup;

static void sender(int s, void *arg)
{
	unsigned int frozen = (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_EXEC | F_SEAL_SEAL) & sup;
	int fd = mw_sys_memfd_create("lseeker", MFD_CLOEXEC | MFD_ALLOW_SEALING |
				     MFD_NOEXEC_SEAL * !!(sup & F_SEAL_EXEC));
	char b;

	(void)arg;
	if (fd < 0 || pwrite(fd, "0123456789", 10, 0) != 10 || fcntl(fd, F_ADD_SEALS, frozen) < 0)
		_exit(90);
	for (int round = 0; round < 2; round++) {
		if (mw_share_send(s, fd, NULL, 0) < 0)
			_exit(91);
		if (read(s, &b, 1) != 1) /* the receiver has verified it */
			_exit(92);
		if (lseek(fd, 5, SEEK_SET) != 5)
			_exit(93);
		if (write(s, "s", 1) != 1)
			_exit(94);
	}
	/* A write-only fd of the same file must not come back readable. */
	{
		char path[64];
		int wo;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		wo = open(path, O_WRONLY | O_CLOEXEC);
		if (wo < 0 || mw_share_send(s, wo, NULL, 0) < 0)
			_exit(95);
	}
	(void)read(s, &b, 1);
}

/* Sender for the reopen failure: a frozen memfd with mode 0000 (F_SEAL_EXEC
 * does not stop that: no exec bit changes), sent twice. */
static void s_mode0(int s, void *arg)
{
	unsigned int frozen = (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_EXEC | F_SEAL_SEAL) & sup;
	int fd = st_memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL * !!(sup & F_SEAL_EXEC), frozen, 16);
	char b;

	(void)arg;
	if (fd < 0 || fchmod(fd, 0) < 0 || mw_share_send(s, fd, NULL, 0) < 0 ||
	    mw_share_send(s, fd, NULL, 0) < 0)
		_exit(96);
	(void)read(s, &b, 1);
}

/* As an unprivileged user (no DAC override): the reopen through /proc
 * fails, which is MW_SHARE_REOPEN_FAILED, and MW_SHARE_SHARED_FD takes the
 * sender's description instead. */
static int reopen_refused(void)
{
	struct mw_share_policy pol = {
		.sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
	};
	struct mw_share_result res = { .sz = sizeof(res) };
	pid_t pid;
	int sock, fd;

	if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
		return LIVE_SKIP_CODE;
	sock = st_sender(SOCK_STREAM, s_mode0, NULL, &pid);
	fd = mw_share_recv(sock, &pol, NULL, 0, &res);
	CHECK(fd == -ENXIO && res.reason == MW_SHARE_REOPEN_FAILED,
	      "mode 0000 memfd: %d %s", fd, res.detail);
	if (fd >= 0)
		close(fd);
	pol.flags |= MW_SHARE_SHARED_FD;
	fd = mw_share_recv(sock, &pol, NULL, 0, &res);
	CHECK(fd >= 0, "SHARED_FD of a mode 0000 memfd: %d %s", fd, res.detail);
	if (fd >= 0)
		close(fd);
	(void)write(sock, "e", 1);
	close(sock);
	live_wait(pid);
	return live_done();
}

int main(void)
{
	struct mw_share_policy pol = {
		.sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
	};
	int probe = mw_sys_memfd_create("probe", MFD_CLOEXEC);
	struct mw_share_result res = { .sz = sizeof(res) };
	char buf[16] = "";
	pid_t pid;
	int sock, fd;

	if (probe < 0)
		live_skip("memfd_create: %s", strerror(errno));
	close(probe);
	sup = st_seals_supported();
	sock = st_sender(SOCK_STREAM, sender, NULL, &pid);

	/* Default: a private read-only description. */
	fd = mw_share_recv(sock, &pol, NULL, 0, &res);
	REQUIRE(fd >= 0, "refused: %s", res.detail);
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "verified fd is not O_RDONLY: %#x",
	      fcntl(fd, F_GETFL));
	CHECK(res.private_fd, "private_fd not reported");
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "not O_CLOEXEC");
	REQUIRE(write(sock, "v", 1) == 1 && read(sock, buf, 1) == 1, "handshake");
	CHECK(read(fd, buf, 5) == 5 && !memcmp(buf, "01234", 5),
	      "the sender's lseek moved our offset: read '%.5s'", buf);
	CHECK(write(fd, "x", 1) < 0 && errno == EBADF, "verified fd is writable");
	close(fd);

	/* MW_SHARE_SHARED_FD: the sender's description, offset shared. */
	pol.flags |= MW_SHARE_SHARED_FD;
	fd = mw_share_recv(sock, &pol, NULL, 0, &res);
	REQUIRE(fd >= 0, "refused with SHARED_FD: %s", res.detail);
	CHECK(!res.private_fd, "SHARED_FD reported as private");
	REQUIRE(write(sock, "v", 1) == 1 && read(sock, buf, 1) == 1, "handshake");
	CHECK(read(fd, buf, 5) == 5 && !memcmp(buf, "56789", 5),
	      "SHARED_FD: expected the shared offset, read '%.5s'", buf);
	close(fd);

	/* Write-only: refused, never reopened readable. */
	pol.flags &= ~MW_SHARE_SHARED_FD;
	fd = mw_share_recv(sock, &pol, NULL, 0, &res);
	CHECK(fd == -EBADF && res.reason == MW_SHARE_BAD_ACCESS, "write-only fd: %d %s", fd,
	      res.detail);
	if (fd >= 0)
		close(fd);
	(void)write(sock, "e", 1);
	close(sock);
	CHECK(live_wait(pid) == 0, "sender failed");

	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0)
		_exit(reopen_refused());
	{
		int rc = live_wait(pid);

		if (rc == LIVE_SKIP_CODE)
			live_note("reopen-refused case not run: cannot drop to uid 65534");
		else
			CHECK(rc == 0, "reopen-refused case failed: %d", rc);
	}
	return live_done();
}
