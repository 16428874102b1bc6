/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #8: a POSIX ACL adds exec bits to an exec-sealed tmpfs memfd
 * (simple_set_acl() sets the mode around shmem_setattr()'s F_SEAL_EXEC
 * check; found on 6.18). So "exec impossible" cannot be proved from the
 * seals of a memfd another process still holds.
 *  - The test establishes the kernel fact itself and prints it.
 *  - MW_SHARE_NO_EXEC is "not executable when checked": it passes an
 *    exec-sealed memfd but never claims exec_never; an ACL present at check
 *    time (even one without exec bits) is refused.
 *  - MW_SHARE_EXEC_NEVER returns our own frozen copy (exec_never): the
 *    sender's ACL on its original changes nothing for us; execveat of our
 *    fd fails.
 * Runs as root and, re-executed, as nobody (uid 65534).
 */
#include "share_test.h"
#include "acl_exec.h"

#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>

static unsigned int sup;

/* An extended ACL: user::rw- user:65534:rw- group::r-- mask::rw- other::r--
 * (no exec anywhere; stored as an xattr because it has a named entry). */
static int acl_named_rw(int fd)
{
	struct { uint16_t tag, perm; uint32_t id; } e[5] = {
		{ 0x01, 6, UINT32_MAX }, { 0x02, 6, 65534 }, { 0x04, 4, UINT32_MAX },
		{ 0x10, 6, UINT32_MAX }, { 0x20, 4, UINT32_MAX } };
	char buf[4 + sizeof(e)];
	uint32_t v = 2;

	memcpy(buf, &v, 4);
	memcpy(buf + 4, e, sizeof(e));
	return fsetxattr(fd, "system.posix_acl_access", buf, sizeof(buf), 0) < 0 ? -errno : 0;
}

static int frozen(void)
{
	int fd = st_memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL,
			  (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_EXEC | F_SEAL_SEAL), 64);

	if (fd < 0)
		_exit(90);
	return fd;
}

/* Sender: a frozen memfd; after the receiver's check, an ACL with rwx. */
static void s_acl_after(int s, void *arg)
{
	struct stat st;
	int fd = frozen();
	char b;

	(void)arg;
	if (mw_share_send(s, fd, NULL, 0) < 0 || read(s, &b, 1) != 1)
		_exit(91);
	/* EPERM: the kernel refuses an ACL on an exec-sealed memfd (Debian's
	 * 6.12.118); the mode then cannot have gained exec bits either. */
	if ((live_acl_set_rwx(fd) < 0 && errno != EPERM) || fstat(fd, &st) < 0)
		_exit(92);
	b = (st.st_mode & 0111) ? 'x' : '-';
	if (write(s, &b, 1) != 1)
		_exit(93);
	(void)read(s, &b, 1);
}

static void s_acl_before(int s, void *arg)
{
	int fd = frozen();
	char b;

	if (*(int *)arg ? live_acl_set_rwx(fd) < 0 : acl_named_rw(fd) < 0)
		_exit(94);
	if (mw_share_send(s, fd, NULL, 0) < 0)
		_exit(95);
	(void)read(s, &b, 1);
}

static void after_check(int flags, const char *what)
{
	struct mw_share_policy pol = { .sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD | flags,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW };
	struct mw_share_result res = { .sz = sizeof(res) };
	struct stat st;
	char b = 0;
	pid_t pid;
	int sock = st_sender(SOCK_STREAM, s_acl_after, NULL, &pid), fd;

	fd = mw_share_recv(sock, &pol, NULL, 0, &res);
	REQUIRE(fd >= 0, "%s: exec-sealed memfd refused: %s", what, res.detail);
	REQUIRE(write(sock, "a", 1) == 1 && read(sock, &b, 1) == 1, "handshake");
	REQUIRE(fstat(fd, &st) == 0, "fstat");
	if (flags & MW_SHARE_EXEC_NEVER) {
		CHECK(res.copied && res.exec_never, "%s: not our copy (copied %d, exec_never %d)",
		      what, res.copied, res.exec_never);
		CHECK(!(st.st_mode & 0111), "%s: our copy has exec bits %o", what, st.st_mode & 0777);
		{
			char *argv[] = { "x", NULL };
			int r = mw_sys_execveat(fd, "", argv, (char *[]){ NULL }, AT_EMPTY_PATH);
			CHECK(r < 0 && errno == EACCES, "%s: execveat of our copy: %s", what,
			      strerror(errno));
		}
	} else {
		CHECK(!res.exec_never && !res.copied, "%s: exec_never claimed for the sender's file",
		      what);
		/* The man page's third point: mapping is never asked. */
		{
			void *x = mmap(NULL, 64, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
			CHECK(x != MAP_FAILED, "%s: mmap(PROT_EXEC) of the verified memfd refused (%s): "
			      "mw_share_recv(3) says it is not", what, strerror(errno));
			if (x != MAP_FAILED)
				munmap(x, 64);
		}
		live_note("%s: after the check the sender's ACL made the file %s (mode %o)", what,
			  b == 'x' ? "executable" : "no more executable", st.st_mode & 0777);
	}
	close(fd);
	(void)write(sock, "e", 1);
	close(sock);
	CHECK(live_wait(pid) == 0, "%s: sender", what);
}

static void before_check(int rwx)
{
	struct mw_share_result res = { .sz = sizeof(res) };
	pid_t pid;
	int sock = st_sender(SOCK_STREAM, s_acl_before, &rwx, &pid), fd;

	fd = mw_share_recv(sock, NULL, NULL, 0, &res);
	CHECK(fd == -EACCES && res.reason == MW_SHARE_EXEC_POSSIBLE,
	      "ACL (%s) present at check time, accepted: %d %s", rwx ? "rwx" : "named rw, no exec",
	      fd, res.detail);
	live_note("ACL %s before the check -> %s", rwx ? "rwx" : "named rw", res.detail);
	if (fd >= 0)
		close(fd);
	(void)write(sock, "e", 1);
	close(sock);
	live_wait(pid);
}

int main(int argc, char **argv)
{
	int acl;

	sup = st_seals_supported();
	if (!(sup & F_SEAL_EXEC))
		live_skip("F_SEAL_EXEC unknown to this kernel (added in 6.3): no seal to get around");
	acl = live_acl_adds_exec();
	if (acl < 0)
		live_skip("ACLs cannot be set on a memfd here: %s", strerror(-acl));
	live_note("uid %d: a POSIX ACL %s exec bits to an exec-sealed memfd on this kernel",
		  getuid(), acl ? "ADDS" : "does not add");
	after_check(MW_SHARE_NO_EXEC, "NO_EXEC");
	after_check(MW_SHARE_NO_EXEC | MW_SHARE_COPY, "NO_EXEC|COPY");
	after_check(MW_SHARE_EXEC_NEVER, "EXEC_NEVER");
	{
		/* A kernel that refuses an ACL adding exec bits to an
		 * exec-sealed memfd (EPERM: Debian's 6.12.118) leaves no way
		 * for a sender to have set one before the check. */
		int fd = frozen(), r = live_acl_set_rwx(fd);

		close(fd);
		if (r == -EPERM)
			live_note("an rwx ACL on an exec-sealed memfd is refused (EPERM) here: no sender can set one");
		else
			before_check(1);
	}
	before_check(0);
	if (getuid() == 0 && argc == 1) {
		/* Again as nobody: the owner of the file needs no privilege. */
		pid_t pid = fork();

		REQUIRE(pid >= 0, "fork");
		if (pid == 0) {
			if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
				_exit(LIVE_SKIP_CODE);
			execl("/proc/self/exe", argv[0], "nobody", (char *)NULL);
			_exit(127);
		}
		{
			int rc = live_wait(pid);
			if (rc == 127)
				live_note("could not re-run as nobody (binary not executable by it)");
			else
				CHECK(rc == 0 || rc == LIVE_SKIP_CODE, "as nobody: %d", rc);
		}
	}
	return live_done();
}
