/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which call a seccomp notification is. The supervisor must recognise every
 * notification its filter can send, for every ABI the filter covers, and
 * refuse what it does not recognise: a notification answered CONTINUE is a
 * call that nobody checked (an x32 memfd_create was, before this table).
 */
#include "policy/internal.h"

#include <errno.h>
#include <seccomp.h>

#include <memward/policy.h>

static const struct {
	const char *name;
	int call;
} calls[] = {
	{ "memfd_create", MW_POLICY_CALL_MEMFD_CREATE },
	{ "execve", MW_POLICY_CALL_EXECVE },
	{ "execveat", MW_POLICY_CALL_EXECVEAT },
};

/* seccomp_data.arch as the kernel reports it for a libseccomp arch token:
 * x32 calls come with the x86-64 audit arch (the x32 bit is in nr). */
static uint32_t kernel_arch(uint32_t token)
{
	return token == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : token;
}

static int add_arch(struct mw__policy_abi *t, uint32_t token)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		int nr = seccomp_syscall_resolve_name_arch(token, calls[i].name);

		if (nr < 0)
			continue; /* no such call on this ABI */
		if (t->n >= MW__POLICY_ABI_MAX)
			return -ENOSPC;
		t->rows[t->n].arch = kernel_arch(token);
		t->rows[t->n].nr = nr;
		t->rows[t->n].call = calls[i].call;
		t->n++;
	}
	return 0;
}

int mw__policy_abi_init(struct mw__policy_abi *t)
{
	uint32_t native = seccomp_arch_native();
	int r;

	t->n = 0;
	r = add_arch(t, native);
	if (r == 0 && native == SCMP_ARCH_X86_64)
		r = add_arch(t, SCMP_ARCH_X86);
	if (r == 0 && native == SCMP_ARCH_X86_64)
		r = add_arch(t, SCMP_ARCH_X32);
	return r;
}

int mw__policy_identify(const struct mw__policy_abi *t, uint32_t arch, int nr)
{
	for (unsigned int i = 0; i < t->n; i++)
		if (t->rows[i].arch == arch && t->rows[i].nr == nr)
			return t->rows[i].call;
	return -1;
}
