/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sealed exec under vm.memfd_noexec=2, in a pid namespace of our own (the
 * sysctl is per pid namespace: the host's value is left unchanged, which
 * the test checks). By default the sealed exec fails with -EACCES at the
 * create step and a reason naming the sysctl; with MW_EXEC_ALLOW_TMPFILE it
 * runs an O_TMPFILE copy, read-only, and says so. The CLI does the same
 * (exit 2 by default; a note on stderr with --allow-tmpfile-fallback).
 *
 * usage: live-exec-noexec-ns MEMWARD
 */
#include "exec_run.h"
#include "kernel.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <memward/memward.h>

#define SYSCTL "/proc/sys/vm/memfd_noexec"

static char self[PATH_MAX];
static const char *memward;

static int read_sysctl(void)
{
	char buf[16] = "";
	int fd = open(SYSCTL, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoi(buf) : -1;
}

/* pid 1 of the new pid namespace, in a private mount namespace. */
static int in_namespace(void)
{
	struct mw_exec_info info = { .sz = sizeof(info) };
	struct mw_exec_opts opts = { .sz = sizeof(opts), .flags = MW_EXEC_ALLOW_TMPFILE };
	static char out[8192], err[8192];
	int fd, before, rc, fl;
	struct stat st;

	REQUIRE(getpid() == 1, "expected to be pid 1 of the new namespace, am %d", (int)getpid());
	REQUIRE(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %s", strerror(errno));
	REQUIRE(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0,
		"mount a fresh /proc: %s", strerror(errno));
	fd = open(SYSCTL, O_WRONLY | O_CLOEXEC);
	REQUIRE(fd >= 0 && write(fd, "2", 1) == 1, "write 2 to %s: %s", SYSCTL, strerror(errno));
	close(fd);
	REQUIRE(read_sysctl() == 2, "the sysctl reads %d in the namespace", read_sysctl());

	before = live_count_fds();
	fd = mw_exec_sealed_prepare(self, NULL, &info);
	CHECK(fd == -EACCES && info.step == MW_EXEC_STEP_CREATE, "default: %d step %s: %s", fd,
	      mw_exec_step_name(info.step), info.reason);
	CHECK(strstr(info.reason, "vm.memfd_noexec=2"), "the error names the sysctl: '%s'", info.reason);
	if (fd >= 0)
		close(fd);

	fd = mw_exec_sealed_prepare(self, &opts, &info);
	CHECK(fd >= 0, "tmpfile fallback: %d %s", fd, info.reason);
	if (fd >= 0) {
		live_note("fallback: %s", info.reason);
		CHECK(info.backing == MW_EXEC_BACKING_TMPFILE && info.tmpfile_dir[0] &&
		      info.memfd_error == EACCES && !info.exec_sealed,
		      "reported: backing %s dir '%s' memfd_error %d", mw_exec_backing_name(info.backing),
		      info.tmpfile_dir, info.memfd_error);
		CHECK(strstr(info.reason, "O_TMPFILE") && strstr(info.reason, info.tmpfile_dir),
		      "the reason says what was done: '%s'", info.reason);
		fl = fcntl(fd, F_GETFL);
		CHECK(fl >= 0 && (fl & O_ACCMODE) == O_RDONLY, "the copy's fd is read-only (flags 0%o)", fl);
		errno = 0;
		CHECK(write(fd, "X", 1) < 0 && errno == EBADF, "write to the copy: %s", strerror(errno));
		CHECK(fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0511 && st.st_nlink == 0,
		      "mode %04o nlink %lu", st.st_mode & 07777, (unsigned long)st.st_nlink);
		close(fd);
	}
	CHECK(live_count_fds() == before, "fd leak: %d -> %d", before, live_count_fds());

	{
		char *a[] = { self, "--run-fallback", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 0 && strstr(out, MARKER " fallback"), "exec of the tmpfile copy: %d '%s' '%s'", rc, out, err);
	}
	{
		char *a[] = { (char *)memward, "exec-sealed", self, "--marker", "cli", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 2 && strstr(err, "vm.memfd_noexec=2") && strstr(err, "--allow-tmpfile-fallback") &&
		      !strstr(out, MARKER), "CLI default: %d '%s'", rc, err);
	}
	{
		char *a[] = { (char *)memward, "exec-sealed", "--allow-tmpfile-fallback", "--", self,
			      "--marker", "cli", NULL };
		rc = run_capture(a, NULL, out, sizeof(out), err, sizeof(err));
		CHECK(rc == 0 && strstr(out, MARKER " cli") && strstr(err, "UNSEALED") && strstr(err, "O_TMPFILE"),
		      "CLI fallback: %d '%s' '%s'", rc, out, err);
	}
	return live_done();
}

int main(int argc, char **argv)
{
	int host_before, host_after, rc;
	pid_t pid;

	marker_mode(argc, argv);
	self_path(self, sizeof(self));
	if (argc == 2 && !strcmp(argv[1], "--run-fallback")) {
		struct mw_exec_opts opts = { .sz = sizeof(opts), .flags = MW_EXEC_ALLOW_TMPFILE };
		char *a[] = { "fallback-self", "--marker", "fallback", NULL };
		int r = mw_exec_sealed(self, a, NULL, &opts, NULL);

		fprintf(stderr, "mw_exec_sealed: %s\n", strerror(-r));
		return 99;
	}
	REQUIRE(argc == 2, "usage: live-exec-noexec-ns MEMWARD");
	memward = argv[1];

	host_before = read_sysctl();
	if (host_before < 0) {
		if (access(SYSCTL, F_OK) < 0 && errno == ENOENT)
			lk_need("memfd_noexec_sysctl", ENOENT, SYSCTL " (kernel before 6.3)");
		live_skip("cannot read %s: %s", SYSCTL, strerror(errno));
	}
	if (host_before == 2)
		live_skip("vm.memfd_noexec is already 2 here: nothing to contrast");
	if (geteuid() != 0)
		live_skip("needs root to create a pid namespace and set the sysctl in it");

	/* Fork first so that this process keeps its namespaces; the child
	 * unshares and forks pid 1 of the new pid namespace. */
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		pid_t init;

		if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0) {
			if (errno == EINVAL)
				live_skip("unshare(CLONE_NEWPID|CLONE_NEWNS): EINVAL (namespaces not built in)");
			if (errno == EPERM)
				live_skip("unshare(CLONE_NEWPID|CLONE_NEWNS): EPERM (sandboxed)");
			REQUIRE(0, "unshare: %s", strerror(errno));
		}
		init = fork();
		REQUIRE(init >= 0, "fork into the namespace");
		if (init == 0)
			_exit(in_namespace());
		_exit(live_wait(init));
	}
	rc = live_wait(pid);
	if (rc == LIVE_SKIP_CODE)
		return rc;
	CHECK(rc == 0, "namespace part failed (exit %d)", rc);
	host_after = read_sysctl();
	CHECK(host_after == host_before, "host vm.memfd_noexec changed: %d -> %d", host_before, host_after);
	return live_done();
}
