/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One driver for the compat ABIs a 64-bit x86 process can enter the kernel
 * through (i386: `int $0x80`; x32: `syscall` with bit 30), each with its own
 * syscall numbers: policy-i386.c and policy-x32.c give the ABI, this runs
 * the same attack under each.
 *
 * Without memward, memfd_create + execveat in that ABI runs a payload from
 * memory (where the noexec level allows it). Under --seccomp-noexec the
 * memfd_create calls meet the native refusals; under --policy the unlisted
 * program gets a non-executable memfd whose execveat, execve through
 * /proc/self/fd and PR_SET_MM_EXE_FILE are refused, and the supervisor logs
 * the execveat it denied.
 *
 * usage: PROGRAM MEMWARD
 *        PROGRAM attack none|seccomp|policy SEAL
 */
#ifndef MW_TEST_COMPAT_ABI_H
#define MW_TEST_COMPAT_ABI_H

#include "policy_common.h"

#include <sys/mman.h>
#include <sys/prctl.h>

#include <memward/policy.h>

#define COMPAT_RAN 42

struct compat_abi {
	const char *name;                     /* "i386", "x32" */
	long (*call)(long nr, long a, long b, long c, long d, long e);
	long nr_memfd_create, nr_execve, nr_execveat, nr_prctl;
	void (*require)(void);                /* skips (or fails) where the ABI is off */
	bool memfd_log;                       /* --policy logs a memfd_create decision for it */
};

#ifdef __x86_64__
/* Strings and argv/envp arrays below 4 GiB, as both ABIs need. */
struct compat_low {
	char name[16];
	char empty[4];
	char path[64];
	char arg0[16];
	char arg1[16];
	uint32_t argv[3];
	uint32_t envp[1];
};

static struct compat_low *compat_low_page(const char *name)
{
	struct compat_low *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1,
				    0);

	REQUIRE(l != MAP_FAILED, "mmap MAP_32BIT: %s", strerror(errno));
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->empty[0] = '\0';
	strcpy(l->arg0, "payload");
	strcpy(l->arg1, "ran");
	l->argv[0] = (uint32_t)(uintptr_t)l->arg0;
	l->argv[1] = (uint32_t)(uintptr_t)l->arg1;
	l->argv[2] = 0;
	l->envp[0] = 0;
	return l;
}

static long compat_memfd(const struct compat_abi *abi, struct compat_low *l, unsigned int flags)
{
	return abi->call(abi->nr_memfd_create, (long)(uintptr_t)l->name, flags, 0, 0, 0);
}

static long compat_exec(const struct compat_abi *abi, struct compat_low *l, int fd, bool via_path)
{
	if (via_path) {
		snprintf(l->path, sizeof(l->path), "/proc/self/fd/%d", fd);
		return abi->call(abi->nr_execve, (long)(uintptr_t)l->path, (long)(uintptr_t)l->argv,
				 (long)(uintptr_t)l->envp, 0, 0);
	}
	return abi->call(abi->nr_execveat, fd, (long)(uintptr_t)l->empty, (long)(uintptr_t)l->argv,
			 (long)(uintptr_t)l->envp, AT_EMPTY_PATH);
}

static int compat_attack(const struct compat_abi *abi, const char *mode, bool have_seal)
{
	struct compat_low *l = compat_low_page(abi->name);
	const char *n = abi->name;
	struct stat st;
	long fd, r;

	if (!strcmp(mode, "none")) {
		fd = compat_memfd(abi, l, have_seal ? MFD_EXEC : 0);
		REQUIRE(fd >= 0, "%s memfd_create: %s", n, strerror((int)-fd));
		pc_copy_into("/proc/self/exe", (int)fd);
		r = compat_exec(abi, l, (int)fd, false);
		printf("unsupervised %s execveat: %s\n", n, strerror((int)-r));
		return 1;
	}
	if (!strcmp(mode, "seccomp")) {
		fd = compat_memfd(abi, l, 0);
		CHECK(fd == -EACCES, "%s memfd_create(0) under --seccomp-noexec: %ld", n, fd);
		fd = compat_memfd(abi, l, MFD_EXEC);
		CHECK(fd == -EACCES, "%s memfd_create(MFD_EXEC) under --seccomp-noexec: %ld", n, fd);
		fd = compat_memfd(abi, l, MFD_HUGETLB | MFD_NOEXEC_SEAL);
		CHECK(fd == -EACCES, "%s memfd_create(MFD_HUGETLB) under --seccomp-noexec: %ld", n, fd);
		if (have_seal) {
			fd = compat_memfd(abi, l, MFD_NOEXEC_SEAL);
			CHECK(fd >= 0, "%s memfd_create(MFD_NOEXEC_SEAL) under --seccomp-noexec: %ld", n, fd);
		}
		return live_done();
	}
	/* policy, unlisted */
	if (have_seal) {
		fd = compat_memfd(abi, l, MFD_EXEC);
		CHECK(fd == -EACCES, "%s memfd_create(MFD_EXEC) under --policy: %ld", n, fd);
	}
	fd = compat_memfd(abi, l, MFD_ALLOW_SEALING);
	REQUIRE(fd >= 0, "%s memfd_create under --policy: %ld", n, fd);
	CHECK(fstat((int)fd, &st) == 0 && !(st.st_mode & 0111), "%s memfd is executable under --policy (%o)", n,
	      st.st_mode & 0777);
	pc_copy_into("/proc/self/exe", (int)fd);
	fchmod((int)fd, 0755); /* refused on 6.3+ (F_SEAL_EXEC); on 6.1 the exec check must hold */
	r = compat_exec(abi, l, (int)fd, false);
	CHECK(r == -EACCES, "%s execveat(AT_EMPTY_PATH) under --policy: %s", n, strerror((int)-r));
	r = compat_exec(abi, l, (int)fd, true);
	CHECK(r == -EACCES, "%s execve(/proc/self/fd/N) under --policy: %s", n, strerror((int)-r));
	r = abi->call(abi->nr_prctl, PR_SET_MM, PR_SET_MM_EXE_FILE, 0, 0, 0);
	CHECK(r == -EPERM, "%s prctl(PR_SET_MM_EXE_FILE) under --policy: %ld", n, r);
	return live_done();
}
#endif

static int compat_main(const struct compat_abi *abi, int argc, char **argv)
{
#ifdef __x86_64__
	static char out[1 << 14];
	const char *memward, *self, *dir;
	char policy[512];
	bool have_seal;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "ran"))
		return COMPAT_RAN;
	if (argc == 4 && !strcmp(argv[1], "attack"))
		return compat_attack(abi, argv[2], atoi(argv[3]));
	REQUIRE(argc == 2, "usage: %s MEMWARD", argv[0]);
	memward = argv[1];
	self = pc_self();
	abi->require();
	have_seal = pc_has_noexec_seal();

	/* Without memward the attack works (where the level allows exec). */
	if (mw_policy_noexec_level() <= 0) {
		char *a[] = { (char *)self, "attack", "none", have_seal ? "1" : "0", NULL };

		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == COMPAT_RAN, "unsupervised %s memfd exec: exit %d, expected the payload (%d)\n%s", abi->name,
		      rc, COMPAT_RAN, out);
	}
	{
		char *a[] = { (char *)memward, "run", "--seccomp-noexec", "--", (char *)self, "attack", "seccomp",
			      have_seal ? "1" : "0", NULL };

		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == 0, "under --seccomp-noexec: exit %d\n%s", rc, out);
	}
	dir = pc_tmpdir();
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	pc_write_file(policy, "mode enforce\n", 0644);
	{
		char *a[] = { (char *)memward, "run", "--policy", policy, "--", (char *)self, "attack", "policy",
			      have_seal ? "1" : "0", NULL };

		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == 0, "under --policy: exit %d\n%s", rc, out);
	}
	if (abi->memfd_log)
		CHECK(strstr(out, "x32-memfd") || strstr(out, "\"call\":\"memfd_create\""),
		      "no memfd_create decision logged:\n%s", out);
	CHECK(strstr(out, "\"call\":\"execveat\",\"decision\":\"deny\""), "no %s execveat deny logged:\n%s", abi->name,
	      out);
	unlink(policy);
	rmdir(dir);
	return live_done();
#else
	(void)argc;
	(void)argv;
	live_skip("the %s ABI exists on x86-64 only", abi->name);
#endif
}

#endif
