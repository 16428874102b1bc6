/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the core mechanisms every capability shares: size-first
 * structs (core/opts.h) and the child helper (core/child.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/child.h"
#include "core/opts.h"

/* v2 grows v1 into what was v1's tail padding, as a real struct may: the
 * padding an old caller passes must then be zero (callers zero the whole
 * struct; the test does it with memset). */
struct v1 { size_t sz; int a; };
struct v2 { size_t sz; int a; int b; long c; };
struct v3 { size_t sz; int a; int b; long c; long d; };

static void opts_older_caller(void **state)
{
	struct v1 old;
	struct v2 ours;

	(void)state;
	memset(&old, 0, sizeof(old));
	old.sz = sizeof(old);
	old.a = 5;
	memset(&ours, 0xaa, sizeof(ours));
	assert_int_equal(mw__opts_in(&ours, sizeof(ours), sizeof(old), &old), 0);
	assert_int_equal(ours.sz, sizeof(ours));
	assert_int_equal(ours.a, 5);
	assert_int_equal(ours.b, 0); /* the tail an old caller does not know is zero */
	assert_int_equal(ours.c, 0);
	/* below the first published size: no header's, refused */
	old.sz = offsetof(struct v1, a);
	assert_int_equal(mw__opts_in(&ours, sizeof(ours), sizeof(old), &old), -EINVAL);
	old.sz = offsetof(struct v1, a) + 2; /* ends inside a */
	assert_int_equal(mw__opts_in(&ours, sizeof(ours), sizeof(old), &old), -EINVAL);
}

static void opts_newer_caller(void **state)
{
	struct v3 newer = { .sz = sizeof(newer), .a = 1, .b = 2, .c = 3 };
	struct v2 ours;

	(void)state;
	assert_int_equal(mw__opts_in(&ours, sizeof(ours), sizeof(ours), &newer), 0);
	assert_int_equal(ours.c, 3);
	newer.d = 1; /* asks for something this library does not know */
	assert_int_equal(mw__opts_in(&ours, sizeof(ours), sizeof(ours), &newer), -EINVAL);
}

static void opts_null_and_tiny(void **state)
{
	struct v2 ours;
	size_t tiny = 3;

	(void)state;
	assert_int_equal(mw__opts_in(&ours, sizeof(ours), sizeof(ours), NULL), 0);
	assert_int_equal(ours.sz, sizeof(ours));
	assert_int_equal(ours.a, 0);
	assert_int_equal(mw__opts_in(&ours, sizeof(ours), sizeof(ours), &tiny), -EINVAL);
}

static void result_never_overruns(void **state)
{
	struct v2 ours = { .sz = sizeof(ours), .a = 1, .b = 2, .c = 3 };
	struct { struct v1 r; unsigned char guard[16]; } old;

	(void)state;
	memset(&old, 0x5c, sizeof(old));
	old.r.sz = sizeof(old.r);
	assert_int_equal(mw__result_out(&old.r, &ours, sizeof(ours)), 0);
	assert_int_equal(old.r.sz, sizeof(old.r)); /* the caller's sz is kept */
	assert_int_equal(old.r.a, 1);
	for (size_t i = 0; i < sizeof(old.guard); i++)
		assert_int_equal(old.guard[i], 0x5c);
	old.r.sz = 2;
	assert_int_equal(mw__result_out(&old.r, &ours, sizeof(ours)), -EINVAL);
	assert_int_equal(mw__result_out(NULL, &ours, sizeof(ours)), 0);
}

static int exit_with(void *arg)
{
	return *(int *)arg;
}

static void child_plain(void **state)
{
	int code = 7, st = -1;

	(void)state;
	assert_int_equal(mw__child_run(exit_with, &code, 0, &st), 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	code = 0;
	assert_int_equal(mw__child_run(exit_with, &code, MW__CHILD_SHARE_VM, &st), 0);
	assert_true(MW__CHILD_OK(st));
}

/* SIG_IGN makes the kernel reap SIGCHLD children itself: ours must still
 * report its real status. */
static void child_sigchld_ignored(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int code = 3, st = -1;

	(void)state;
	sigaction(SIGCHLD, &ign, &old);
	for (int i = 0; i < 20; i++) {
		st = -1;
		assert_int_equal(mw__child_run(exit_with, &code, i & 1 ? MW__CHILD_SHARE_VM : 0, &st), 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 3);
	}
	sigaction(SIGCHLD, &old, NULL);
}

static volatile sig_atomic_t reaped_by_app;

static void app_reaper(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		reaped_by_app++;
}

/* An application that reaps every child in its own SIGCHLD handler neither
 * gets a signal for ours nor takes its status away. */
static void child_app_reaps(void **state)
{
	struct sigaction sa = { .sa_handler = app_reaper }, old;
	int code = 9, st = -1;

	(void)state;
	reaped_by_app = 0;
	sigaction(SIGCHLD, &sa, &old);
	assert_int_equal(mw__child_run(exit_with, &code, 0, &st), 0);
	assert_int_equal(WEXITSTATUS(st), 9);
	assert_int_equal(reaped_by_app, 0);
	sigaction(SIGCHLD, &old, NULL);
}

/* RLIMIT_NPROC=0 (OpenSSH's privsep child): -EAGAIN, not a made-up status.
 * Root is exempt from the limit, so the check runs as uid 65534 in a fork. */
static void child_nproc_zero(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit zero = { 0, 0 };
		int code = 0, cst = -1;

		if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(10);
		if (setrlimit(RLIMIT_NPROC, &zero) < 0)
			_exit(11);
		_exit(mw__child_run(exit_with, &code, 0, &cst) == -EAGAIN && cst == -1 ? 0 : 12);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opts_older_caller),
		cmocka_unit_test(opts_newer_caller),
		cmocka_unit_test(opts_null_and_tiny),
		cmocka_unit_test(result_never_overruns),
		cmocka_unit_test(child_plain),
		cmocka_unit_test(child_sigchld_ignored),
		cmocka_unit_test(child_app_reaps),
		cmocka_unit_test(child_nproc_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
