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
 * kernel that would really create and run the memfd, nothing runs.
 *
 * usage: live-policy-x32 MEMWARD
 *        live-policy-x32 attack none|seccomp|policy SEAL
 */
#include "policy_common.h"
#include "x32.h"

#include <sys/prctl.h>

#include <memward/policy.h>

static const char *memward;

#define RAN 42

#ifdef __x86_64__
static int attack(const char *mode, bool have_seal)
{
	struct x32_low *l = x32_low_page("ran");
	struct stat st;
	long fd, r;

	if (!strcmp(mode, "none")) {
		fd = x32_call(NRX32_MEMFD_CREATE, (long)(uintptr_t)l->name, have_seal ? MFD_EXEC : 0, 0, 0, 0, 0);
		REQUIRE(fd >= 0, "x32 memfd_create: %s", strerror((int)-fd));
		pc_copy_into("/proc/self/exe", (int)fd);
		r = x32_execveat_fd(l, (int)fd);
		printf("unsupervised x32 execveat: %s\n", strerror((int)-r));
		return 1;
	}
	if (!strcmp(mode, "seccomp")) {
		fd = x32_call(NRX32_MEMFD_CREATE, (long)(uintptr_t)l->name, 0, 0, 0, 0, 0);
		CHECK(fd == -EACCES, "x32 memfd_create(0) under --seccomp-noexec: %ld", fd);
		fd = x32_call(NRX32_MEMFD_CREATE, (long)(uintptr_t)l->name, MFD_HUGETLB | MFD_NOEXEC_SEAL, 0, 0, 0, 0);
		CHECK(fd == -EACCES, "x32 memfd_create(MFD_HUGETLB) under --seccomp-noexec: %ld", fd);
		if (have_seal) {
			fd = x32_call(NRX32_MEMFD_CREATE, (long)(uintptr_t)l->name, MFD_NOEXEC_SEAL, 0, 0, 0, 0);
			CHECK(fd >= 0, "x32 memfd_create(MFD_NOEXEC_SEAL) under --seccomp-noexec: %ld", fd);
		}
		return live_done();
	}
	/* policy, unlisted */
	fd = x32_call(NRX32_MEMFD_CREATE, (long)(uintptr_t)l->name, MFD_ALLOW_SEALING, 0, 0, 0, 0);
	REQUIRE(fd >= 0, "x32 memfd_create under --policy: %ld", fd);
	CHECK(fstat((int)fd, &st) == 0 && !(st.st_mode & 0111), "x32 memfd is executable under --policy (%o)",
	      st.st_mode & 0777);
	pc_copy_into("/proc/self/exe", (int)fd);
	fchmod((int)fd, 0755); /* refused on 6.3+ (F_SEAL_EXEC) */
	r = x32_execveat_fd(l, (int)fd);
	CHECK(r == -EACCES, "x32 execveat(AT_EMPTY_PATH) under --policy: %s", strerror((int)-r));
	snprintf(l->arg1, sizeof(l->arg1), "/proc/self/fd/%d", (int)fd);
	r = x32_call(NRX32_EXECVE, (long)(uintptr_t)l->arg1, (long)(uintptr_t)l->argv, (long)(uintptr_t)l->envp, 0,
		     0, 0);
	CHECK(r == -EACCES, "x32 execve(/proc/self/fd/N) under --policy: %s", strerror((int)-r));
	r = x32_call(NRX32_PRCTL, PR_SET_MM, PR_SET_MM_EXE_FILE, 0, 0, 0, 0);
	CHECK(r == -EPERM, "x32 prctl(PR_SET_MM_EXE_FILE) under --policy: %ld", r);
	return live_done();
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
	REQUIRE(argc == 2, "usage: live-policy-x32 MEMWARD");
	memward = argv[1];
	self = pc_self();
	x32_require();
	have_seal = pc_has_noexec_seal();

	/* Without memward the attack works (where the level allows exec). */
	if (mw_policy_noexec_level() <= 0) {
		char *a[] = { (char *)self, "attack", "none", have_seal ? "1" : "0", NULL };
		rc = pc_run(a, out, sizeof(out));
		CHECK(rc == RAN, "unsupervised x32 memfd exec: exit %d, expected the payload (%d)\n%s", rc, RAN, out);
	}
	rc = RUN(out, "run", "--seccomp-noexec", "--", (char *)self, "attack", "seccomp", have_seal ? "1" : "0");
	CHECK(rc == 0, "under --seccomp-noexec: exit %d\n%s", rc, out);
	dir = pc_tmpdir();
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	pc_write_file(policy, "mode enforce\n", 0644);
	rc = RUN(out, "run", "--policy", policy, "--", (char *)self, "attack", "policy", have_seal ? "1" : "0");
	CHECK(rc == 0, "under --policy: exit %d\n%s", rc, out);
	CHECK(strstr(out, "x32-memfd") || strstr(out, "\"call\":\"memfd_create\""), "no memfd_create decision logged:\n%s",
	      out);
	CHECK(strstr(out, "\"call\":\"execveat\",\"decision\":\"deny\""), "no x32 execveat deny logged:\n%s", out);
	unlink(policy);
	rmdir(dir);
	return live_done();
#else
	(void)argc;
	(void)argv;
	live_skip("the x32 ABI exists on x86-64 only");
#endif
}
