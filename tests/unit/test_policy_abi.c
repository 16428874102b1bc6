/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The supervisor's decoding of notifications (x32, i386, unknown ones) and
 * of the names an exec is given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <seccomp.h>

#include <memward/policy.h>

#include "policy/internal.h"

#define X32_BIT 0x40000000
#define ARCH_X86_64 0xc000003eu
#define ARCH_I386 0x40000003u

static void test_x86_abis(void **state)
{
	struct mw__policy_abi t;

	(void)state;
	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		skip();
	assert_int_equal(mw__policy_abi_init(&t), 0);
	/* x86-64 (arch/x86/entry/syscalls/syscall_64.tbl) */
	assert_int_equal(mw__policy_identify(&t, ARCH_X86_64, 319), MW_POLICY_CALL_MEMFD_CREATE);
	assert_int_equal(mw__policy_identify(&t, ARCH_X86_64, 59), MW_POLICY_CALL_EXECVE);
	assert_int_equal(mw__policy_identify(&t, ARCH_X86_64, 322), MW_POLICY_CALL_EXECVEAT);
	/* x32: the same audit arch, nr | __X32_SYSCALL_BIT; execve and
	 * execveat have x32 entries of their own (520, 545). */
	assert_int_equal(mw__policy_identify(&t, ARCH_X86_64, X32_BIT | 319), MW_POLICY_CALL_MEMFD_CREATE);
	assert_int_equal(mw__policy_identify(&t, ARCH_X86_64, X32_BIT | 520), MW_POLICY_CALL_EXECVE);
	assert_int_equal(mw__policy_identify(&t, ARCH_X86_64, X32_BIT | 545), MW_POLICY_CALL_EXECVEAT);
	/* i386 (syscall_32.tbl) */
	assert_int_equal(mw__policy_identify(&t, ARCH_I386, 356), MW_POLICY_CALL_MEMFD_CREATE);
	assert_int_equal(mw__policy_identify(&t, ARCH_I386, 11), MW_POLICY_CALL_EXECVE);
	assert_int_equal(mw__policy_identify(&t, ARCH_I386, 358), MW_POLICY_CALL_EXECVEAT);
	/* Not ours: another call, an x86-64 number under the i386 arch, an
	 * unknown arch. */
	assert_int_equal(mw__policy_identify(&t, ARCH_X86_64, 39), -1);
	assert_int_equal(mw__policy_identify(&t, ARCH_I386, 319), -1);
	assert_int_equal(mw__policy_identify(&t, 0xdeadbeefu, 319), -1);
	assert_int_equal(mw__policy_identify(&t, ARCH_X86_64, X32_BIT | 59), -1);
}

static void expect_path(const char *path, pid_t nspid, enum mw__exec_path_kind kind, int fd, const char *sub)
{
	struct mw__exec_path ep;

	mw__policy_exec_path(path, nspid, &ep);
	if (ep.kind != kind)
		fail_msg("%s: kind %d, expected %d", path, ep.kind, kind);
	if (kind == MW__PATH_FD && ep.fd != fd)
		fail_msg("%s: fd %d, expected %d", path, ep.fd, fd);
	if (sub && strcmp(ep.sub, sub))
		fail_msg("%s: sub '%s', expected '%s'", path, ep.sub, sub);
}

static void test_exec_paths(void **state)
{
	(void)state;
	expect_path("/usr/bin/true", 5, MW__PATH_PLAIN, -1, NULL);
	expect_path("/proc/self/fd/3", 5, MW__PATH_FD, 3, NULL);
	expect_path("/proc/thread-self/fd/4", 5, MW__PATH_FD, 4, NULL);
	expect_path("/dev/fd/7", 5, MW__PATH_FD, 7, NULL);
	expect_path("/proc/5/fd/8", 5, MW__PATH_FD, 8, NULL);
	expect_path("/proc/5/task/9/fd/8", 5, MW__PATH_FD, 8, NULL);
	expect_path("/proc/6/fd/8", 5, MW__PATH_OTHER_PROC, -1, NULL);
	expect_path("/proc/6/exe", 5, MW__PATH_OTHER_PROC, -1, NULL);
	expect_path("/proc/self/fd/x", 5, MW__PATH_OTHER_PROC, -1, NULL);
	/* Names the kernel resolves to the same fd. */
	expect_path("//proc///self/./fd/3", 5, MW__PATH_FD, 3, NULL);
	/* A ".." is never read lexically (after a magic link the kernel's ".."
	 * goes elsewhere: /proc/self/cwd/../fd/3): such names go to the
	 * resolver of plain names, which refuses them at the magic link. */
	expect_path("/proc/self/fd/../fd/3", 5, MW__PATH_PLAIN, -1, NULL);
	expect_path("/proc/self/cwd/../fd/3", 5, MW__PATH_PLAIN, -1, NULL);
	expect_path("/proc/self/fd/7/../3", 5, MW__PATH_PLAIN, -1, NULL);
	expect_path("/usr/../proc/self/fd/3", 5, MW__PATH_PLAIN, -1, NULL);
	expect_path("/../proc/self/fd/3", 5, MW__PATH_PLAIN, -1, NULL);
	expect_path("/proc/self/fd/..3", 5, MW__PATH_OTHER_PROC, -1, NULL);
	/* map_files and exe of the caller. */
	expect_path("/proc/self/map_files/7f00-7f10", 5, MW__PATH_PROC_FILE, -1, "map_files/7f00-7f10");
	expect_path("/proc/5/map_files/1000-2000", 5, MW__PATH_PROC_FILE, -1, "map_files/1000-2000");
	expect_path("/proc/self/exe", 5, MW__PATH_PROC_FILE, -1, "exe");
	expect_path("/proc/6/map_files/1000-2000", 5, MW__PATH_OTHER_PROC, -1, NULL);
	expect_path("/proc/self/status", 5, MW__PATH_PLAIN, -1, NULL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mw_policy_call_name(MW_POLICY_CALL_UNKNOWN), "unknown");
	assert_null(mw_policy_call_name((enum mw_policy_call)99));
	assert_null(mw_policy_verdict_name((enum mw_policy_verdict)99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_abis),
		cmocka_unit_test(test_exec_paths),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
