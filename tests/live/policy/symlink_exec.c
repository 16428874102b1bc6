/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names of a memfd that are not /proc/self/fd/N itself: a symlink to it, a
 * relative name under a /proc/self/fd directory fd, a relative name with
 * /proc/self/fd as the working directory. The supervisor resolves such names
 * as the caller would but refuses /proc magic links on the way, so each is
 * refused for an unlisted program, while an ordinary symlink to a binary
 * still runs. The memfd is executable and comes from outside the tree
 * (inherited), so the kernel's own mode check would not stop it: without
 * memward each name runs the payload.
 *
 * usage: live-policy-symlink-exec MEMWARD
 *        live-policy-symlink-exec attack FD DIR
 */
#include "policy_common.h"

#include <memward/policy.h>

static const char *memward;

#define RAN 42
#define REFUSED 10

extern char **environ;

/* One attempt in a child: exit RAN if something ran, REFUSED on EACCES. */
static int attempt(const char *how, int fd, const char *dir)
{
	char path[512], name[16], *argv[] = { "payload", "ran", NULL };
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		snprintf(name, sizeof(name), "%d", fd);
		if (!strcmp(how, "symlink")) {
			snprintf(path, sizeof(path), "%s/to-fd", dir);
			execve(path, argv, environ);
		} else if (!strcmp(how, "dirfd")) {
			int d = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
			mw_sys_execveat(d, name, argv, environ, 0);
		} else if (!strcmp(how, "cwd")) {
			if (chdir("/proc/self/fd") == 0)
				execve(name, argv, environ);
		} else { /* plain: an ordinary symlink to this test binary */
			snprintf(path, sizeof(path), "%s/to-binary", dir);
			execve(path, argv, environ);
		}
		printf("%s: exec failed: %s\n", how, strerror(errno));
		fflush(stdout);
		_exit(errno == EACCES ? REFUSED : 11);
	}
	return live_wait(pid);
}

static int attack(int fd, const char *dir)
{
	static const char *const hows[] = { "symlink", "dirfd", "cwd" };

	for (size_t i = 0; i < 3; i++)
		printf("%s=%d\n", hows[i], attempt(hows[i], fd, dir));
	printf("plain=%d\n", attempt("plain", fd, dir));
	return 0;
}

int main(int argc, char **argv)
{
	static char out[1 << 15];
	char dir_fd[16], link[600], target[64], policy[600], want[64];
	const char *self, *dir;
	int fd, rc;

	if (argc >= 2 && !strcmp(argv[1], "ran"))
		return RAN;
	if (argc == 4 && !strcmp(argv[1], "attack"))
		return attack(atoi(argv[2]), argv[3]);
	REQUIRE(argc == 2, "usage: live-policy-symlink-exec MEMWARD");
	memward = argv[1];
	self = pc_self();

	/* An executable memfd holding this binary, inherited (no CLOEXEC). */
	fd = mw_sys_memfd_create("outside", pc_has_noexec_seal() ? MFD_EXEC : 0);
	REQUIRE(fd >= 0, "memfd_create: %s", strerror(errno));
	pc_copy_into(self, fd);
	dir = pc_tmpdir();
	snprintf(dir_fd, sizeof(dir_fd), "%d", fd);
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	snprintf(link, sizeof(link), "%s/to-fd", dir);
	REQUIRE(symlink(target, link) == 0, "symlink: %s", strerror(errno));
	snprintf(link, sizeof(link), "%s/to-binary", dir);
	REQUIRE(symlink(self, link) == 0, "symlink: %s", strerror(errno));
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	pc_write_file(policy, "mode enforce\n", 0644);

	{
		char *a[] = { (char *)self, "attack", dir_fd, (char *)dir, NULL };
		rc = pc_run(a, out, sizeof(out));
		REQUIRE(rc == 0, "control: %d", rc);
		if (mw_policy_noexec_level() <= 0)
			CHECK(strstr(out, "symlink=42") && strstr(out, "dirfd=42") && strstr(out, "cwd=42"),
			      "without memward each name should run the payload:\n%s", out);
	}
	rc = RUN(out, "run", "--policy", policy, "--", (char *)self, "attack", dir_fd, (char *)dir);
	CHECK(rc == 0, "under --policy: exit %d\n%s", rc, out);
	for (int i = 0; i < 3; i++) {
		static const char *const hows[] = { "symlink", "dirfd", "cwd" };
		snprintf(want, sizeof(want), "%s=%d", hows[i], REFUSED);
		CHECK(strstr(out, want), "%s: not refused under --policy:\n%s", hows[i], out);
	}
	CHECK(strstr(out, "plain=42"), "an ordinary symlink to a binary no longer runs:\n%s", out);
	CHECK(strstr(out, "magic link"), "the refusal does not say why:\n%s", out);
	unlink(policy);
	snprintf(link, sizeof(link), "%s/to-fd", dir);
	unlink(link);
	snprintf(link, sizeof(link), "%s/to-binary", dir);
	unlink(link);
	rmdir(dir);
	close(fd);
	return live_done();
}
