/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_policy_run and an older caller (issue 9, item 3): a program built
 * against a smaller struct mw_policy_run_opts / _result passes its own sz;
 * the library reads the missing option fields as zero and writes no further
 * than the caller's result. A larger struct is accepted only with a zero tail.
 *
 * usage: live-policy-run-abi
 *        live-policy-run-abi exit N
 */
#include "policy_common.h"

#include <stddef.h>

#include <memward/policy.h>

/* What a program built against the first size-first header had: options
 * without child_setup/ctx, a result that ends with report_fd. */
struct old_opts {
	size_t sz;
	unsigned int flags;
	int noexec_level;
	char *const *argv;
};

struct old_result {
	size_t sz;
	pid_t pid;
	int level;
	int ancestor_level;
	enum mw_policy_run_stage stage;
	int error;
	int report_fd;
	unsigned char guard[64]; /* not the library's to touch */
};

static int wait_all(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	char *cmd[] = { NULL, "exit", "7", NULL };
	struct old_result res;
	struct old_opts o;
	int r;

	if (argc == 3 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	cmd[0] = (char *)pc_self();

	/* An old caller: smaller options, smaller result with guard bytes. */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.noexec_level = -1;
	o.argv = cmd;
	memset(&res, 0xa5, sizeof(res));
	res.sz = offsetof(struct old_result, guard);
	r = mw_policy_run((const struct mw_policy_run_opts *)&o, (struct mw_policy_run_result *)&res);
	REQUIRE(r == 0, "mw_policy_run with an older, smaller opts/result: %d (%s)", r, strerror(-r));
	CHECK(res.sz == offsetof(struct old_result, guard), "the caller's sz was changed to %zu", res.sz);
	for (size_t i = 0; i < sizeof(res.guard); i++)
		if (res.guard[i] != 0xa5) {
			CHECK(0, "the library wrote past the caller's result (byte %zu of the tail)", i);
			break;
		}
	CHECK(res.pid > 0 && res.stage == MW_POLICY_RUN_STAGE_NONE && res.report_fd >= 0,
	      "result fields: pid %d stage %d report_fd %d", (int)res.pid, res.stage, res.report_fd);
	CHECK(wait_all(res.pid) == 7, "the command's status did not come back");
	if (res.report_fd >= 0)
		close(res.report_fd);

	/* A newer caller: a larger struct with a zero tail is fine, a non-zero
	 * tail asks for something this library lacks. */
	{
		struct {
			struct mw_policy_run_opts o;
			unsigned char tail[16];
		} big;
		struct mw_policy_run_result nr = { .sz = sizeof(nr) };

		memset(&big, 0, sizeof(big));
		big.o.sz = sizeof(big);
		big.o.noexec_level = -1;
		big.o.argv = cmd;
		r = mw_policy_run(&big.o, &nr);
		CHECK(r == 0, "larger opts with a zero tail: %d", r);
		if (r == 0) {
			CHECK(wait_all(nr.pid) == 7, "larger opts: wrong status");
			close(nr.report_fd);
			if (nr.pidfd >= 0)
				close(nr.pidfd);
			CHECK(nr.listener == -1, "a listener without MW_POLICY_RUN_SUPERVISE: %d", nr.listener);
		}
		big.tail[3] = 1;
		r = mw_policy_run(&big.o, &nr);
		CHECK(r == -EINVAL, "larger opts with a non-zero tail: %d, expected -EINVAL", r);
	}
	/* An old result cannot hold the listener: asking for it is -EINVAL,
	 * and nothing was started. */
	o.flags = MW_POLICY_RUN_SUPERVISE;
	r = mw_policy_run((const struct mw_policy_run_opts *)&o, (struct mw_policy_run_result *)&res);
	CHECK(r == -EINVAL, "SUPERVISE with a result too small for the listener: %d", r);
	CHECK(waitpid(-1, NULL, __WALL | WNOHANG) < 0 && errno == ECHILD, "a child is left over");
	return live_done();
}
