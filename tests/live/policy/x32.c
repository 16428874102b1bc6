/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The x32 ABI under `memward run` on a kernel where it is on (issue 14 F;
 * the 6.12-x32 guest: Debian's generic kernel booted with syscall.x32=y).
 * Without memward an x32 memfd_create + x32 execveat runs a payload from
 * memory; under --seccomp-noexec and --policy the same calls meet the
 * native refusals: the supervisor recognises the x32 memfd_create (it used
 * to CONTINUE it silently) and hands the unlisted program a non-executable
 * memfd, whose x32 execveat and execve are refused. policy-unknown-call
 * checks the recognition on kernels with x32 off; this one proves that on a
 * kernel that would really create and run the memfd, nothing runs
 * (compat_abi.h runs the attack).
 *
 * usage: live-policy-x32 MEMWARD
 *        live-policy-x32 attack none|seccomp|policy SEAL
 */
#include "compat_abi.h"
#include "x32.h"

#ifdef __x86_64__
static long x32(long nr, long a, long b, long c, long d, long e)
{
	return x32_call(nr, a, b, c, d, e, 0);
}

static const struct compat_abi abi = {
	.name = "x32", .call = x32, .nr_memfd_create = NRX32_MEMFD_CREATE, .nr_execve = NRX32_EXECVE,
	.nr_execveat = NRX32_EXECVEAT, .nr_prctl = NRX32_PRCTL, .require = x32_require, .memfd_log = true,
};
#else
static const struct compat_abi abi = { .name = "x32" };
#endif

int main(int argc, char **argv)
{
	return compat_main(&abi, argc, argv);
}
