/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two seccomp filters of the memfd exec policy (libseccomp):
 *  - the pure filter with vm.memfd_noexec=2's meaning, for places where no
 *    supervisor can stay alive;
 *  - the user-notification filter the supervisor (supervisor.c) serves.
 * Both also cover the 32-bit x86 and x32 ABIs on x86-64: a filter for the
 * native ABI alone would let `int $0x80` callers through (or kill them).
 *
 * Both refuse MFD_HUGETLB where they decide: hugetlbfs ignores F_SEAL_EXEC
 * (fchmod +x succeeds on an MFD_NOEXEC_SEAL hugetlb memfd, 6.1-6.18), so a
 * hugetlb memfd can never be made "impossible to execute".
 *
 * Comparisons are on the low 32 bits where the kernel reads an int (the
 * prctl option and PR_SET_MM's sub-option; memfd_create's flags): a filter
 * comparing all 64 bits would miss the same call with garbage above.
 */
#include "core/internal.h"
#include "sys/shim.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/prctl.h>

#include <memward/policy.h>

static int add_arches(scmp_filter_ctx ctx)
{
	int r;

	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return 0;
	r = seccomp_arch_add(ctx, SCMP_ARCH_X86);
	if (r < 0 && r != -EEXIST)
		return r;
	r = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	if (r < 0 && r != -EEXIST)
		return r;
	return 0;
}

MW_API int mw_policy_seccomp_install(unsigned int flags)
{
	scmp_filter_ctx ctx;
	int r;

	if (flags)
		return -EINVAL;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	/* NO_NEW_PRIVS is libseccomp's default (SCMP_FLTATR_CTL_NNP=1): the
	 * filter is inherited across fork and exec and cannot be removed. */
	r = add_arches(ctx);
	/* memfd_create(name, flags): flags is in a register, so the decision
	 * cannot be raced. MFD_EXEC -> EACCES; no MFD_NOEXEC_SEAL -> EACCES;
	 * MFD_HUGETLB -> EACCES (the seal does not hold on hugetlbfs). */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(memfd_create), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, MFD_EXEC, MFD_EXEC));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(memfd_create), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, MFD_NOEXEC_SEAL, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(memfd_create), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, MFD_HUGETLB, MFD_HUGETLB));
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r == -EFAULT || r == -EINVAL)
		mw__log(3, "seccomp_load failed: %d", r);
	return r;
}

/* prctl(PR_SET_MM, PR_SET_MM_EXE_FILE or PR_SET_MM_MAP, ...) -> EPERM. The
 * supervisor decides who is listed from /proc/PID/exe, which these change
 * (PR_SET_MM_MAP carries exe_fd in a struct in memory: a filter cannot read
 * it, and reading it from the supervisor could be raced, so the whole
 * operation is refused; CRIU restores need it). */
static int add_set_mm_rules(scmp_filter_ctx ctx)
{
	static const unsigned long ops[] = { PR_SET_MM_EXE_FILE, PR_SET_MM_MAP };
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(ops) / sizeof(ops[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl), 2,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, PR_SET_MM),
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ops[i]));
	return r;
}

MW_API int mw_policy_supervisor_filter_install(unsigned int flags)
{
	scmp_filter_ctx ctx;
	int r, fd = -1;

	if (flags)
		return -EINVAL;
	if (seccomp_api_get() < 6) {
		/* API level 5 brings notification, 6 makes it usable with TSYNC;
		 * below 5 the kernel (< 5.0) has no SECCOMP_RET_USER_NOTIF. */
		if (seccomp_api_get() < 5)
			return -ENOSYS;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	r = add_arches(ctx);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(memfd_create), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0);
	if (r == 0)
		r = add_set_mm_rules(ctx);
	if (r == 0)
		r = seccomp_load(ctx);
	if (r == 0) {
		/* The listener is O_CLOEXEC; libseccomp 2.5 keeps it open after
		 * seccomp_release(), and it is ours to close. */
		fd = seccomp_notify_fd(ctx);
		r = fd >= 0 ? 0 : fd;
	}
	seccomp_release(ctx);
	return r < 0 ? r : fd;
}
