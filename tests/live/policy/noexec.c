/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward run --memfd-noexec=N: inside the new pid namespace the level is N
 * and memfd_create behaves as the level says; pid 1 passes the exit status
 * and forwards signals; a nested namespace cannot lower the level (6.6+).
 * On kernels without the sysctl (6.1) memward refuses and points to
 * --policy and --seccomp-noexec.
 *
 * usage: live-policy-noexec MEMWARD
 *        live-policy-noexec probe LEVEL   (run inside the namespace)
 */
#include "policy_common.h"

#include <memward/policy.h>

static const char *memward;

/* Inside the namespace: what does memfd_create do at this level? */
static int probe(int level)
{
	struct stat st;
	int fd, seals, now = mw_policy_noexec_level();

	CHECK(getpid() == 2, "the command is pid 2 of a new pid namespace (got %d)", (int)getpid());
	CHECK(now == level, "vm.memfd_noexec is %d inside, expected %d", now, level);

	/* Plain memfd_create: executable at 0, never at 1 and 2. */
	fd = mw_sys_memfd_create("plain", MFD_CLOEXEC);
	if (level == 0) {
		REQUIRE(fd >= 0, "plain memfd_create at 0: %s", strerror(errno));
		CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0111) == 0111, "level 0: plain memfd mode %o, expected x bits",
		      st.st_mode & 0777);
	} else if (fd >= 0) {
		seals = fcntl(fd, F_GET_SEALS);
		CHECK(fstat(fd, &st) == 0 && (st.st_mode & 0111) == 0, "level %d: plain memfd has x bits (%o)", level,
		      st.st_mode & 0777);
		CHECK(seals >= 0 && (seals & F_SEAL_EXEC), "level %d: plain memfd lacks F_SEAL_EXEC (seals %#x)", level,
		      seals);
		CHECK(fchmod(fd, 0755) < 0 && errno == EPERM, "level %d: chmod +x of a plain memfd was not refused",
		      level);
	} else {
		/* 6.3-6.5 refuse plain calls at 2 instead (6.6 commit 202e14222fad). */
		CHECK(level == 2 && errno == EACCES, "level %d: plain memfd_create failed: %s", level, strerror(errno));
	}
	if (fd >= 0)
		close(fd);

	fd = mw_sys_memfd_create("exec", MFD_CLOEXEC | MFD_EXEC);
	if (level == 2) {
		CHECK(fd < 0 && errno == EACCES, "level 2: MFD_EXEC gave %d (%s), expected EACCES", fd,
		      fd < 0 ? strerror(errno) : "an fd");
	} else {
		CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0111) == 0111,
		      "level %d: MFD_EXEC failed or not executable: %s", level, strerror(errno));
	}
	if (fd >= 0)
		close(fd);

	fd = mw_sys_memfd_create("noexec", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0111) == 0,
	      "level %d: MFD_NOEXEC_SEAL failed or executable: %s", level, strerror(errno));
	if (fd >= 0)
		close(fd);
	return live_done();
}

int main(int argc, char **argv)
{
	static char out[1 << 16];
	char lv[8];
	const char *self;
	int rc, host_level;

	if (argc == 3 && !strcmp(argv[1], "probe"))
		return probe(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "killself")) {
		kill(getpid(), SIGTERM); /* pid 2: default action applies */
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "wait")) {
		/* Tell the test we are up, then wait for the forwarded signal. */
		puts("ready");
		fflush(stdout);
		pause();
		return 0;
	}
	REQUIRE(argc == 2, "usage: live-policy-noexec MEMWARD");
	memward = argv[1];
	self = pc_self();
	if (geteuid() != 0)
		live_skip("vm.memfd_noexec can only be written by the real root (even in a user namespace)");

	host_level = mw_policy_noexec_level();
	if (host_level == -EOPNOTSUPP) {
		/* 6.1: refuse, and say what to use instead. */
		rc = RUN(out, "run", "--memfd-noexec=1", "--", (char *)self, "exit", "0");
		CHECK(rc == 125, "run --memfd-noexec on a kernel without the sysctl: exit %d, expected 125", rc);
		CHECK(strstr(out, "no vm.memfd_noexec") && strstr(out, "--policy") && strstr(out, "--seccomp-noexec"),
		      "the refusal does not point to --policy and --seccomp-noexec: %s", out);
		return live_done();
	}
	REQUIRE(host_level >= 0, "cannot read vm.memfd_noexec: %d", host_level);

	for (int level = 0; level <= 2; level++) {
		snprintf(lv, sizeof(lv), "%d", level);
		char opt[64];
		snprintf(opt, sizeof(opt), "--memfd-noexec=%d", level);
		rc = RUN(out, "run", "-v", opt, "--", (char *)self, "probe", lv);
		if (level < host_level) {
			CHECK(rc == 125 && strstr(out, "ancestor"), "level %d below the host's %d: %d %s", level,
			      host_level, rc, out);
			continue;
		}
		CHECK(rc == 0, "level %d: probe failed (%d):\n%s", level, rc, out);
		snprintf(opt, sizeof(opt), "vm.memfd_noexec=%d in the new pid namespace", level);
		CHECK(strstr(out, opt), "--verbose does not show the level %d: %s", level, out);
	}

	/* --userns as root: the same, through a user namespace. */
	rc = RUN(out, "run", "--userns", "--memfd-noexec=2", "--", (char *)self, "probe", "2");
	CHECK(rc == 0, "--userns level 2: %d\n%s", rc, out);

	/* Nesting: raising works, lowering is refused with an explanation. */
	{
		char *a[] = { (char *)memward, "run", "--memfd-noexec=1", "--", (char *)memward, "run",
			      "--memfd-noexec=2", "--", (char *)self, "probe", "2", NULL };
		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == 0, "nested 1 then 2 (raising): %d\n%s", rc, out);
	}
	{
		char *a[] = { (char *)memward, "run", "--memfd-noexec=2", "--", (char *)memward, "run",
			      "--memfd-noexec=1", "--", (char *)self, "probe", "1", NULL };
		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == 125, "nested 2 then 1 (lowering) must fail with 125, got %d\n%s", rc, out);
		CHECK(strstr(out, "ancestor pid namespace enforces 2") && strstr(out, "less strict"),
		      "lowering is not explained: %s", out);
	}
	{
		char *a[] = { (char *)memward, "run", "--memfd-noexec=2", "--", (char *)memward, "run",
			      "--memfd-noexec=2", "--", (char *)self, "probe", "2", NULL };
		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == 0, "nested 2 then 2: %d\n%s", rc, out);
	}

	/* Exit status: code, and 128+signal. */
	rc = RUN(out, "run", "--memfd-noexec=1", "--", (char *)self, "exit", "7");
	CHECK(rc == 7, "exit code 7 not passed on: %d %s", rc, out);
	rc = RUN(out, "run", "--memfd-noexec=1", "--", (char *)self, "killself");
	CHECK(rc == 128 + SIGTERM, "death by SIGTERM not passed on as 143: %d %s", rc, out);
	rc = RUN(out, "run", "--memfd-noexec=1", "--", "/nonexistent/cmd");
	CHECK(rc == 127 && strstr(out, "cannot execute"), "missing command: %d %s", rc, out);
	rc = RUN(out, "run", "--memfd-noexec=3", "--", (char *)self);
	CHECK(rc == 64, "--memfd-noexec=3 must be a usage error: %d", rc);

	/* Signal forwarding: SIGTERM to memward reaches the command. */
	{
		int fds[2];
		char buf[16];
		pid_t pid;

		REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe");
		pid = fork();
		REQUIRE(pid >= 0, "fork");
		if (pid == 0) {
			dup2(fds[1], 1);
			execl(memward, memward, "run", "--memfd-noexec=1", "--", self, "wait", (char *)NULL);
			_exit(127);
		}
		close(fds[1]);
		CHECK(read(fds[0], buf, sizeof(buf)) > 0, "the command did not start");
		close(fds[0]);
		kill(pid, SIGTERM);
		rc = live_wait(pid);
		CHECK(rc == 128 + SIGTERM, "SIGTERM not forwarded: exit %d", rc);
	}
	return live_done();
}
