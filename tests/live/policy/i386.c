/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The 32-bit x86 ABI (issue 14 H): `int $0x80` from a 64-bit process enters
 * the kernel through the i386 syscall table, with i386 numbers. A filter for
 * the native ABI alone would not see those calls. Where IA32 emulation is on
 * (the Debian guests and this project's hosts) an i386 memfd_create +
 * execveat runs a payload from memory without memward; under
 * --seccomp-noexec and under --policy the same calls must meet the same
 * refusals as the native ones (compat_abi.h runs the attack).
 *
 * usage: live-policy-i386 MEMWARD
 *        live-policy-i386 attack none|seccomp|policy SEAL
 */
#include "compat_abi.h"

#ifdef __x86_64__
static long int80(long nr, long a, long b, long c, long d, long e)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* In a child: does int $0x80 reach the i386 table here? */
static void require_ia32(void)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork");
	if (pid == 0)
		_exit(int80(20 /* getpid */, 0, 0, 0, 0, 0) == getpid() ? 0 : 1);
	if (live_wait(pid) != 0)
		live_skip("int $0x80 does not reach the i386 syscall table here (IA32 emulation off)");
}

static const struct compat_abi abi = {
	.name = "i386", .call = int80, .nr_memfd_create = 356, .nr_execve = 11, .nr_execveat = 358,
	.nr_prctl = 172, .require = require_ia32,
};
#else
static const struct compat_abi abi = { .name = "i386" };
#endif

int main(int argc, char **argv)
{
	return compat_main(&abi, argc, argv);
}
