/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names whose ".." follows a /proc magic link, and unlinked files. Found by
 * a red team against memward-run(1):
 *
 *  - "/proc/self/cwd/../fd/N": read lexically it is /proc/self/fd/N (an
 *    ordinary file here), but the kernel follows cwd first, so ".." leaves
 *    the working directory and fd/N is whatever that directory's parent
 *    holds: here a symlink to an executable memfd;
 *  - "/proc/self/fd/D/../N" with D a directory fd: the same through an fd,
 *    also with a D that memward's own fd table does not have;
 *  - an O_TMPFILE on a tmpfs (an unlinked file, as fileless as a memfd),
 *    executed through AT_EMPTY_PATH and through /proc/self/fd/N.
 *
 * Each runs the payload without memward (the control) and must be refused
 * under --policy for a program the policy does not list.
 *
 * usage: live-policy-dotdot-exec MEMWARD
 *        live-policy-dotdot-exec attack DIR ORDFD DIRFD TMPDIR
 */
#include "policy_common.h"

#include <memward/policy.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#define RAN 42
#define REFUSED 10
#define NOTMP 12

static const char *memward;

extern char **environ;

/* An executable O_TMPFILE copy of this binary in dir, reopened read-only
 * (a writable fd would make exec fail with ETXTBSY), or -1. */
static int tmpfile_copy(const char *dir)
{
	char proc[64];
	int fd = open(dir, O_TMPFILE | O_RDWR, 0700), ro;

	if (fd < 0)
		return -1;
	pc_copy_into(pc_self(), fd);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ro = open(proc, O_RDONLY);
	close(fd);
	return ro;
}

static int attempt(const char *how, const char *dir, int ordfd, int dirfd, const char *tmpdir)
{
	char path[600], *argv[] = { "payload", "ran", NULL };
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		if (!strcmp(how, "cwd-dotdot")) {
			snprintf(path, sizeof(path), "%s/sub", dir);
			if (chdir(path) == 0) {
				snprintf(path, sizeof(path), "/proc/self/cwd/../fd/%d", ordfd);
				execve(path, argv, environ);
			}
		} else if (!strcmp(how, "fd-dotdot")) {
			snprintf(path, sizeof(path), "/proc/self/fd/%d/../%d", dirfd, ordfd);
			execve(path, argv, environ);
		} else if (!strcmp(how, "fd-dotdot-high")) {
			/* An fd number memward itself does not have: its own walk of
			 * /proc/self meets nothing there. */
			if (dup2(dirfd, 900) == 900) {
				snprintf(path, sizeof(path), "/proc/self/fd/900/../%d", ordfd);
				execve(path, argv, environ);
			}
		} else {
			int t = tmpfile_copy(tmpdir);

			if (t < 0)
				_exit(NOTMP);
			if (!strcmp(how, "tmpfile-empty-path")) {
				mw_sys_execveat(t, "", argv, environ, AT_EMPTY_PATH);
			} else {
				snprintf(path, sizeof(path), "/proc/self/fd/%d", t);
				execve(path, argv, environ);
			}
		}
		printf("%s: exec failed: %s\n", how, strerror(errno));
		fflush(stdout);
		/* memward answers a name it cannot walk with the error it met */
		_exit(errno == EACCES || errno == ENOENT ? REFUSED : 11);
	}
	return live_wait(pid);
}

static const char *const hows[] = { "cwd-dotdot", "fd-dotdot", "fd-dotdot-high", "tmpfile-empty-path",
				    "tmpfile-proc-fd" };
#define NHOWS (sizeof(hows) / sizeof(hows[0]))

static int attack(const char *dir, int ordfd, int dirfd, const char *tmpdir)
{
	for (size_t i = 0; i < NHOWS; i++)
		printf("%s=%d\n", hows[i], attempt(hows[i], dir, ordfd, dirfd, tmpdir));
	return 0;
}

/* A tmpfs directory where an O_TMPFILE can be executed, or NULL. */
static const char *exec_tmpfs(void)
{
	static const char *const cands[] = { "/dev/shm", "/tmp", "/run" };

	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		int fd = open(cands[i], O_TMPFILE | O_RDWR, 0700);
		struct statfs sfs;
		bool ok;

		if (fd < 0)
			continue;
		ok = fstatfs(fd, &sfs) == 0 && sfs.f_type == 0x01021994 /* TMPFS_MAGIC */ &&
		     !(sfs.f_flags & ST_NOEXEC);
		close(fd);
		if (ok)
			return cands[i];
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static char out[1 << 15];
	char path[700], target[64], policy[600], want[64], sord[16], sdir[16];
	const char *self, *dir, *tmpdir;
	int memfd, ordfd, dirfd, rc;

	if (argc >= 2 && !strcmp(argv[1], "ran"))
		return RAN;
	if (argc == 6 && !strcmp(argv[1], "attack"))
		return attack(argv[2], atoi(argv[3]), atoi(argv[4]), argv[5]);
	REQUIRE(argc == 2, "usage: live-policy-dotdot-exec MEMWARD");
	memward = argv[1];
	self = pc_self();
	tmpdir = exec_tmpfs();

	/* DIR/fd/ORDFD -> /proc/self/fd/MEMFD; DIR/sub; DIR/fd/inner. */
	memfd = mw_sys_memfd_create("dotdot", pc_has_noexec_seal() ? MFD_EXEC : 0);
	REQUIRE(memfd >= 0, "memfd_create: %s", strerror(errno));
	pc_copy_into(self, memfd);
	ordfd = open(self, O_RDONLY); /* inherited, an ordinary file */
	REQUIRE(ordfd >= 0, "open self: %s", strerror(errno));
	dir = pc_tmpdir();
	REQUIRE(chmod(dir, 0755) == 0, "chmod: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/sub", dir);
	REQUIRE(mkdir(path, 0755) == 0, "mkdir sub: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/fd", dir);
	REQUIRE(mkdir(path, 0755) == 0, "mkdir fd: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/fd/inner", dir);
	REQUIRE(mkdir(path, 0755) == 0, "mkdir inner: %s", strerror(errno));
	dirfd = open(path, O_RDONLY | O_DIRECTORY); /* inherited */
	REQUIRE(dirfd >= 0, "open inner: %s", strerror(errno));
	snprintf(target, sizeof(target), "/proc/self/fd/%d", memfd);
	snprintf(path, sizeof(path), "%s/fd/%d", dir, ordfd);
	REQUIRE(symlink(target, path) == 0, "symlink: %s", strerror(errno));
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	pc_write_file(policy, "mode enforce\n", 0644);
	snprintf(sord, sizeof(sord), "%d", ordfd);
	snprintf(sdir, sizeof(sdir), "%d", dirfd);

	{
		char *a[] = { (char *)self, "attack", (char *)dir, sord, sdir,
			      (char *)(tmpdir ? tmpdir : "/nonexistent"), NULL };
		rc = pc_run(a, out, sizeof(out));
		REQUIRE(rc == 0, "control: %d", rc);
		/* Without memward every name runs the payload (the memfd has exec
		 * bits unless vm.memfd_noexec says otherwise). */
		if (mw_policy_noexec_level() <= 0)
			CHECK(strstr(out, "cwd-dotdot=42") && strstr(out, "fd-dotdot=42") &&
			      strstr(out, "fd-dotdot-high=42"),
			      "control: the dot-dot names should run the payload:\n%s", out);
		if (tmpdir)
			CHECK(strstr(out, "tmpfile-empty-path=42") && strstr(out, "tmpfile-proc-fd=42"),
			      "control: an O_TMPFILE in %s should run:\n%s", tmpdir, out);
		else
			printf("note: no exec-capable tmpfs for O_TMPFILE here; that part is not tried\n");
	}
	rc = RUN(out, "run", "--policy", policy, "--", (char *)self, "attack", (char *)dir, sord, sdir,
		 (char *)(tmpdir ? tmpdir : "/nonexistent"));
	CHECK(rc == 0, "under --policy: exit %d\n%s", rc, out);
	for (size_t i = 0; i < NHOWS; i++) {
		if (!tmpdir && i >= 3)
			break;
		snprintf(want, sizeof(want), "%s=%d", hows[i], REFUSED);
		CHECK(strstr(out, want), "%s: not refused under --policy:\n%s", hows[i], out);
	}

	snprintf(path, sizeof(path), "%s/fd/%d", dir, ordfd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/fd/inner", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/fd", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	unlink(policy);
	rmdir(dir);
	close(memfd);
	close(ordfd);
	close(dirfd);
	return live_done();
}
