/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MFD_HUGETLB where exec must be impossible (issue 14 B): hugetlbfs ignores
 * F_SEAL_EXEC, so memfd_create(MFD_HUGETLB | MFD_NOEXEC_SEAL) followed by
 * fchmod(0755) gives an executable memfd. --seccomp-noexec refuses
 * MFD_HUGETLB with EACCES; under --policy an unlisted program gets a tmpfs
 * memfd instead (MFD_HUGETLB stripped), on which the seal holds.
 *
 * usage: live-policy-hugetlb MEMWARD
 *        live-policy-hugetlb try SEAL     (SEAL 1: with MFD_NOEXEC_SEAL)
 */
#include "policy_common.h"

#include <sys/vfs.h>

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

static const char *memward;

#define REFUSED 10      /* memfd_create failed with EACCES */
#define TMPFS_SEALED 20 /* a tmpfs memfd, chmod +x refused (or no x bits possible) */
#define TMPFS_OPEN 21   /* a tmpfs memfd, chmod +x allowed (6.1: no F_SEAL_EXEC) */
#define HUGE_EXEC 30    /* a hugetlbfs memfd that chmod made executable */
#define HUGE_NOEXEC 31  /* a hugetlbfs memfd, chmod +x refused */
#define UNAVAILABLE 40  /* memfd_create failed otherwise */

static int try(int seal)
{
	unsigned int flags = MFD_CLOEXEC | MFD_HUGETLB | (seal ? MFD_NOEXEC_SEAL : 0);
	struct statfs sfs;
	struct stat st;
	int fd = mw_sys_memfd_create("huge", flags), chmod_ok;

	if (fd < 0) {
		printf("memfd_create(%#x): %s\n", flags, strerror(errno));
		return errno == EACCES ? REFUSED : UNAVAILABLE;
	}
	REQUIRE(fstatfs(fd, &sfs) == 0, "fstatfs");
	chmod_ok = fchmod(fd, 0755) == 0 && fstat(fd, &st) == 0 && (st.st_mode & 0111);
	printf("fs %s, chmod +x %s\n", (unsigned long)sfs.f_type == HUGETLBFS_MAGIC ? "hugetlbfs" : "other",
	       chmod_ok ? "allowed" : "refused");
	if ((unsigned long)sfs.f_type == HUGETLBFS_MAGIC)
		return chmod_ok ? HUGE_EXEC : HUGE_NOEXEC;
	return chmod_ok ? TMPFS_OPEN : TMPFS_SEALED;
}

int main(int argc, char **argv)
{
	static char out[1 << 14];
	char policy[512];
	const char *self, *dir, *seal;
	bool have_seal;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "try"))
		return try(atoi(argv[2]));
	REQUIRE(argc == 2, "usage: live-policy-hugetlb MEMWARD");
	memward = argv[1];
	self = pc_self();
	have_seal = pc_has_noexec_seal();
	seal = have_seal ? "1" : "0";

	/* Without memward: hugetlb memfds exist here, and the seal does not
	 * hold on them (the kernel behaviour this is about). */
	{
		char *a[] = { (char *)self, "try", (char *)seal, NULL };
		rc = pc_run(a, out, sizeof(out));
		if (rc == UNAVAILABLE)
			live_skip("no hugetlb memfds on this kernel: %s", out);
		CHECK(rc == HUGE_EXEC || rc == HUGE_NOEXEC, "control: exit %d\n%s", rc, out);
		if (rc == HUGE_EXEC)
			live_note("this kernel lets chmod +x through on an MFD_NOEXEC_SEAL hugetlb memfd");
	}

	rc = RUN(out, "run", "--seccomp-noexec", "--", (char *)self, "try", "1");
	CHECK(rc == REFUSED, "--seccomp-noexec, MFD_HUGETLB|MFD_NOEXEC_SEAL: exit %d, expected EACCES\n%s", rc, out);

	dir = pc_tmpdir();
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	pc_write_file(policy, "mode enforce\n", 0644);
	for (int s = 0; s <= 1; s++) {
		char sv[4];

		if (s && !have_seal)
			continue;
		snprintf(sv, sizeof(sv), "%d", s);
		rc = RUN(out, "run", "--policy", policy, "--log", "/dev/null", "--", (char *)self, "try", sv);
		if (have_seal)
			CHECK(rc == TMPFS_SEALED, "--policy, MFD_HUGETLB (seal flag %d): exit %d, expected a sealed "
			      "tmpfs memfd\n%s", s, rc, out);
		else
			CHECK(rc == TMPFS_SEALED || rc == TMPFS_OPEN,
			      "--policy, MFD_HUGETLB: exit %d, expected a tmpfs memfd\n%s", rc, out);
	}
	unlink(policy);
	rmdir(dir);
	return live_done();
}
