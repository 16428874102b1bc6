/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_policy_run when the application ignores SIGCHLD (issue 9, item 5): the
 * kernel auto-reaps SIGCHLD children then, so a child created with SIGCHLD
 * as its exit signal could not be waited for (ECHILD) and the namespace's
 * pid 1, inheriting SIG_IGN, lost its own command's status. Every child of
 * the library has exit signal 0; pid 1 resets SIGCHLD for itself and the
 * command gets the caller's disposition back.
 *
 * usage: live-policy-run-sigchld
 *        live-policy-run-sigchld exit N
 */
#include "policy_common.h"

#include <memward/policy.h>

static int wait_all(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run_one(unsigned int flags, int level, const char *what)
{
	char *cmd[] = { (char *)pc_self(), "exit", "7", NULL };
	struct mw_policy_run_opts o = { .sz = sizeof(o), .flags = flags, .noexec_level = level, .argv = cmd };
	struct mw_policy_run_result res = { .sz = sizeof(res) };
	int r = mw_policy_run(&o, &res), st;

	if (r < 0) {
		printf("%s: mw_policy_run: %s (stage %d)\n", what, strerror(-r), res.stage);
		return r;
	}
	st = wait_all(res.pid);
	CHECK(st == 7, "%s: with SIGCHLD ignored the status is %d, expected 7", what, st);
	close(res.report_fd);
	if (res.pidfd >= 0)
		close(res.pidfd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };

	if (argc == 3 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	REQUIRE(sigaction(SIGCHLD, &ign, NULL) == 0, "ignore SIGCHLD");

	REQUIRE(run_one(0, -1, "plain fork") == 0, "plain fork could not start");
	if (run_one(MW_POLICY_RUN_NEWNS, -1, "new pid namespace") < 0)
		live_note("no new pid namespace for this user here");
	if (geteuid() == 0 && access("/proc/sys/vm/memfd_noexec", F_OK) == 0) {
		int r = run_one(0, 2, "nested namespaces, level 2");
		CHECK(r == 0, "level 2 could not start: %d", r);
	}
	return live_done();
}
