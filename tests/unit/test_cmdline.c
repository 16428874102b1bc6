/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a command line says of a process's fds (src/proc/cmdline.c): the
 * paths that name an fd, every fd (standard streams too), and the
 * interpreters whose standard input is their program. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proc/proc.h"

static int fd_of(const char *arg, pid_t pid, bool any_pid, pid_t *other)
{
	pid_t o = -1;
	int fd = mw__proc_arg_fd(arg, strlen(arg), pid, any_pid, &o);

	if (other)
		*other = o;
	return fd;
}

static void names_fds(void **state)
{
	pid_t other;

	(void)state;
	assert_int_equal(fd_of("/dev/fd/3", 10, false, NULL), 3);
	assert_int_equal(fd_of("/dev/fd/0", 10, false, NULL), 0);
	assert_int_equal(fd_of("/dev/fd/2", 10, false, NULL), 2);
	assert_int_equal(fd_of("/dev/stdin", 10, false, NULL), 0);
	assert_int_equal(fd_of("/dev/stdout", 10, false, NULL), 1);
	assert_int_equal(fd_of("/dev/stderr", 10, false, NULL), 2);
	assert_int_equal(fd_of("//./dev//stdin", 10, false, NULL), 0);
	assert_int_equal(fd_of("-f/dev/stdin", 10, false, NULL), 0);
	assert_int_equal(fd_of("/proc/self/fd/0", 10, false, NULL), 0);
	assert_int_equal(fd_of("/proc/thread-self/fd/7", 10, false, NULL), 7);
	assert_int_equal(fd_of("--file=/proc/10/task/11/fd/4", 10, false, &other), 4);
	assert_int_equal(other, 0);
	assert_int_equal(fd_of("/proc/12/fd/5", 10, false, &other), 5);
	assert_int_equal(other, 12);
	assert_int_equal(fd_of("/proc/12/fd/5", 10, true, &other), 5);
	assert_int_equal(other, 0);
}

static void names_no_fd(void **state)
{
	(void)state;
	assert_int_equal(fd_of("/dev/stdio", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd/03", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd/-1", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/fd/99999999999", 10, false, NULL), -1);
	assert_int_equal(fd_of("/dev/stdin/x", 10, false, NULL), -1);
	assert_int_equal(fd_of("dev/fd/3", 10, false, NULL), -1);
	assert_int_equal(fd_of("/proc/0/fd/3", 10, false, NULL), -1);
	assert_int_equal(fd_of("/proc/self/task/x/fd/3", 10, false, NULL), -1);
	assert_int_equal(fd_of("/tmp/dev/fd/3x", 10, false, NULL), -1);
}

static void interpreters(void **state)
{
	(void)state;
	assert_true(mw__proc_is_interpreter("/usr/bin/dash"));
	assert_true(mw__proc_is_interpreter("/bin/bash"));
	assert_true(mw__proc_is_interpreter("/usr/bin/python3.11"));
	assert_true(mw__proc_is_interpreter("/usr/bin/perl5.36.0"));
	assert_true(mw__proc_is_interpreter("/usr/bin/ksh93"));
	assert_true(mw__proc_is_interpreter("/usr/bin/tclsh8.6"));
	assert_true(mw__proc_is_interpreter("/bin/busybox"));
	assert_true(mw__proc_is_interpreter("node"));
	/* a version, then more: Debian's second perl, vim's variants */
	assert_true(mw__proc_is_interpreter("/usr/bin/perl5.36-x86_64-linux-gnu"));
	assert_true(mw__proc_is_interpreter("/usr/bin/python3.11-dbg"));
	assert_true(mw__proc_is_interpreter("/usr/bin/vim.basic"));
	assert_true(mw__proc_is_interpreter("/usr/bin/busybox.static"));
	assert_false(mw__proc_is_interpreter("/usr/bin/sh-x"));
	assert_false(mw__proc_is_interpreter("/usr/bin/exa"));
	assert_false(mw__proc_is_interpreter("/usr/bin/cat"));
	assert_false(mw__proc_is_interpreter("/usr/bin/shx"));
	assert_false(mw__proc_is_interpreter("/usr/bin/sha256sum"));
	assert_false(mw__proc_is_interpreter("/usr/bin/bash (deleted)"));
	assert_false(mw__proc_is_interpreter("/"));
	assert_false(mw__proc_is_interpreter(""));
	assert_false(mw__proc_is_interpreter("3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_fds),
		cmocka_unit_test(names_no_fd),
		cmocka_unit_test(interpreters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
