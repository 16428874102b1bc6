/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PR_SET_MM exe changes under --policy (issue 14 E): the supervisor decides
 * who is listed from /proc/PID/exe, which prctl(PR_SET_MM, PR_SET_MM_EXE_FILE)
 * and prctl(PR_SET_MM, PR_SET_MM_MAP) with exe_fd change (root, or anyone
 * after unshare(CLONE_NEWUSER)). Under --policy both fail with EPERM from the
 * filter, before the kernel looks at them, also with garbage in the upper
 * half of the sub-option (the kernel reads an int). The calls are made with
 * arguments the kernel itself rejects with EINVAL, so the test tells the
 * filter's EPERM apart from the kernel's answer and changes nothing when the
 * filter is missing. Other PR_SET_MM operations are not the filter's business.
 *
 * usage: live-policy-set-mm MEMWARD
 *        live-policy-set-mm calls
 */
#include "policy_common.h"

#include <sys/prctl.h>

static const char *memward;

static const char *err_name(int r)
{
	if (r == 0)
		return "OK";
	return errno == EPERM ? "EPERM" : errno == EINVAL ? "EINVAL" : strerror(errno);
}

static int calls(void)
{
	char dummy[8] = { 0 };
	int r;

	/* arg5 != 0: the kernel answers EINVAL before anything else
	 * (kernel/sys.c prctl_set_mm). */
	r = prctl(PR_SET_MM, PR_SET_MM_EXE_FILE, 0UL, 0UL, 1UL);
	printf("exe_file=%s\n", err_name(r));
	r = prctl(PR_SET_MM, PR_SET_MM_MAP, (unsigned long)dummy, 1UL, 1UL);
	printf("map=%s\n", err_name(r));
	r = prctl(PR_SET_MM, (1UL << 32) | PR_SET_MM_MAP, (unsigned long)dummy, 1UL, 1UL);
	printf("map_high=%s\n", err_name(r));
	r = prctl(PR_SET_MM, PR_SET_MM_START_CODE, 0UL, 0UL, 1UL);
	printf("start_code=%s\n", err_name(r));
	return 0;
}

int main(int argc, char **argv)
{
	static char out[1 << 14];
	char policy[512];
	const char *self, *dir;
	int rc;

	if (argc == 2 && !strcmp(argv[1], "calls"))
		return calls();
	REQUIRE(argc == 2, "usage: live-policy-set-mm MEMWARD");
	memward = argv[1];
	self = pc_self();

	/* The kernel's own answers, for this test's arguments. */
	{
		char *a[] = { (char *)self, "calls", NULL };
		rc = pc_run(a, out, sizeof(out));
		REQUIRE(rc == 0, "control run: %d", rc);
		CHECK(strstr(out, "exe_file=EINVAL") && strstr(out, "map=EINVAL") && strstr(out, "map_high=EINVAL"),
		      "without memward the kernel should answer EINVAL to these arguments:\n%s", out);
	}
	dir = pc_tmpdir();
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	pc_write_file(policy, "mode enforce\n", 0644);
	rc = RUN(out, "run", "--policy", policy, "--log", "/dev/null", "--", (char *)self, "calls");
	CHECK(rc == 0, "under --policy: exit %d\n%s", rc, out);
	CHECK(strstr(out, "exe_file=EPERM"), "PR_SET_MM_EXE_FILE not refused by the filter:\n%s", out);
	CHECK(strstr(out, "map=EPERM"), "PR_SET_MM_MAP not refused by the filter:\n%s", out);
	CHECK(strstr(out, "map_high=EPERM"), "PR_SET_MM_MAP with upper bits set got past the filter:\n%s", out);
	CHECK(strstr(out, "start_code=EINVAL"), "another PR_SET_MM operation was refused too:\n%s", out);
	unlink(policy);
	rmdir(dir);
	return live_done();
}
