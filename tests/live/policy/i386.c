/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The 32-bit x86 ABI (issue 14 H): `int $0x80` from a 64-bit process enters
 * the kernel through the i386 syscall table, with i386 numbers. A filter for
 * the native ABI alone would not see those calls. Where IA32 emulation is on
 * (the Debian 6.12 guest; not this project's host) an i386 memfd_create +
 * execveat runs a payload from memory without memward; under
 * --seccomp-noexec and under --policy the same calls must meet the same
 * refusals as the native ones.
 *
 * usage: live-policy-i386 MEMWARD
 *        live-policy-i386 attack none|seccomp|policy SEAL
 */
#include "policy_common.h"

#include <sys/prctl.h>

#include <memward/policy.h>

static const char *memward;

#define RAN 42
#define NR32_EXECVE 11
#define NR32_GETPID 20
#define NR32_PRCTL 172
#define NR32_MEMFD_CREATE 356
#define NR32_EXECVEAT 358

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

/* Strings and pointer arrays must be below 4 GiB for the i386 ABI. */
struct low {
	char name[16];
	char path[64];
	char arg0[16];
	char arg1[16];
	uint32_t argv[3];
	uint32_t envp[1];
};

static struct low *low_page(void)
{
	struct low *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	REQUIRE(l != MAP_FAILED, "mmap MAP_32BIT: %s", strerror(errno));
	strcpy(l->name, "i386");
	strcpy(l->arg0, "payload");
	strcpy(l->arg1, "ran");
	l->argv[0] = (uint32_t)(uintptr_t)l->arg0;
	l->argv[1] = (uint32_t)(uintptr_t)l->arg1;
	l->argv[2] = 0;
	l->envp[0] = 0;
	return l;
}

static long exec_fd(struct low *l, int fd, bool via_path)
{
	if (via_path) {
		snprintf(l->path, sizeof(l->path), "/proc/self/fd/%d", fd);
		return int80(NR32_EXECVE, (long)(uintptr_t)l->path, (long)(uintptr_t)l->argv,
			     (long)(uintptr_t)l->envp, 0, 0);
	}
	l->path[0] = '\0';
	return int80(NR32_EXECVEAT, fd, (long)(uintptr_t)l->path, (long)(uintptr_t)l->argv,
		     (long)(uintptr_t)l->envp, AT_EMPTY_PATH);
}

static int attack(const char *mode, bool have_seal)
{
	struct low *l = low_page();
	unsigned int exec_flag = have_seal ? MFD_EXEC : 0;
	struct stat st;
	long fd, r;

	if (!strcmp(mode, "none")) {
		fd = int80(NR32_MEMFD_CREATE, (long)(uintptr_t)l->name, exec_flag, 0, 0, 0);
		REQUIRE(fd >= 0, "i386 memfd_create: %s", strerror((int)-fd));
		pc_copy_into("/proc/self/exe", (int)fd);
		r = exec_fd(l, (int)fd, false);
		printf("unsupervised i386 execveat: %s\n", strerror((int)-r));
		return 1;
	}
	if (!strcmp(mode, "seccomp")) {
		fd = int80(NR32_MEMFD_CREATE, (long)(uintptr_t)l->name, 0, 0, 0, 0);
		CHECK(fd == -EACCES, "i386 memfd_create(0) under --seccomp-noexec: %ld", fd);
		fd = int80(NR32_MEMFD_CREATE, (long)(uintptr_t)l->name, MFD_EXEC, 0, 0, 0);
		CHECK(fd == -EACCES, "i386 memfd_create(MFD_EXEC) under --seccomp-noexec: %ld", fd);
		fd = int80(NR32_MEMFD_CREATE, (long)(uintptr_t)l->name, MFD_HUGETLB | MFD_NOEXEC_SEAL, 0, 0, 0);
		CHECK(fd == -EACCES, "i386 memfd_create(MFD_HUGETLB) under --seccomp-noexec: %ld", fd);
		if (have_seal) {
			fd = int80(NR32_MEMFD_CREATE, (long)(uintptr_t)l->name, MFD_NOEXEC_SEAL, 0, 0, 0);
			CHECK(fd >= 0, "i386 memfd_create(MFD_NOEXEC_SEAL) under --seccomp-noexec: %ld", fd);
		}
		return live_done();
	}
	/* policy, unlisted */
	if (have_seal) {
		fd = int80(NR32_MEMFD_CREATE, (long)(uintptr_t)l->name, MFD_EXEC, 0, 0, 0);
		CHECK(fd == -EACCES, "i386 memfd_create(MFD_EXEC) under --policy: %ld", fd);
	}
	fd = int80(NR32_MEMFD_CREATE, (long)(uintptr_t)l->name, MFD_ALLOW_SEALING, 0, 0, 0);
	REQUIRE(fd >= 0, "i386 memfd_create under --policy: %ld", fd);
	CHECK(fstat((int)fd, &st) == 0 && !(st.st_mode & 0111), "i386 memfd is executable under --policy (%o)",
	      st.st_mode & 0777);
	pc_copy_into("/proc/self/exe", (int)fd);
	fchmod((int)fd, 0755); /* refused on 6.3+; on 6.1 the exec check must hold */
	r = exec_fd(l, (int)fd, false);
	CHECK(r == -EACCES, "i386 execveat(AT_EMPTY_PATH) under --policy: %s", strerror((int)-r));
	r = exec_fd(l, (int)fd, true);
	CHECK(r == -EACCES, "i386 execve(/proc/self/fd/N) under --policy: %s", strerror((int)-r));
	r = int80(NR32_PRCTL, PR_SET_MM, PR_SET_MM_EXE_FILE, 0, 0, 1);
	CHECK(r == -EPERM, "i386 prctl(PR_SET_MM_EXE_FILE) under --policy: %ld", r);
	return live_done();
}

/* In a child: does int $0x80 reach the i386 table here? */
static bool have_ia32(void)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork");
	if (pid == 0)
		_exit(int80(NR32_GETPID, 0, 0, 0, 0, 0) == getpid() ? 0 : 1);
	return live_wait(pid) == 0;
}
#endif

int main(int argc, char **argv)
{
#ifdef __x86_64__
	static char out[1 << 14];
	char policy[512];
	const char *self, *dir;
	bool have_seal;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "ran"))
		return RAN;
	if (argc == 4 && !strcmp(argv[1], "attack"))
		return attack(argv[2], atoi(argv[3]));
	REQUIRE(argc == 2, "usage: live-policy-i386 MEMWARD");
	memward = argv[1];
	self = pc_self();
	if (!have_ia32())
		live_skip("int $0x80 does not reach the i386 syscall table here (IA32 emulation off)");
	have_seal = pc_has_noexec_seal();

	/* Without memward the attack works (where the level allows exec). */
	if (mw_policy_noexec_level() <= 0) {
		char *a[] = { (char *)self, "attack", "none", have_seal ? "1" : "0", NULL };
		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == RAN, "unsupervised i386 memfd exec: exit %d, expected the payload (%d)\n%s", rc, RAN, out);
	}
	rc = RUN(out, "run", "--seccomp-noexec", "--", (char *)self, "attack", "seccomp", have_seal ? "1" : "0");
	CHECK(rc == 0, "under --seccomp-noexec: exit %d\n%s", rc, out);
	dir = pc_tmpdir();
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	pc_write_file(policy, "mode enforce\n", 0644);
	rc = RUN(out, "run", "--policy", policy, "--", (char *)self, "attack", "policy", have_seal ? "1" : "0");
	CHECK(rc == 0, "under --policy: exit %d\n%s", rc, out);
	CHECK(strstr(out, "\"call\":\"execveat\",\"decision\":\"deny\""), "no i386 execveat deny logged:\n%s", out);
	unlink(policy);
	rmdir(dir);
	return live_done();
#else
	(void)argc;
	(void)argv;
	live_skip("the i386 ABI exists on x86-64 only");
#endif
}
