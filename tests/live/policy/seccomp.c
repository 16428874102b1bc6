/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward run --seccomp-noexec: memfd_create with MFD_EXEC or without
 * MFD_NOEXEC_SEAL fails with EACCES, for the command and its descendants
 * (inherited), and the filter cannot be removed (NO_NEW_PRIVS, mode 2).
 * Before 6.3 MFD_NOEXEC_SEAL is EINVAL, so every memfd_create fails.
 *
 * usage: live-policy-seccomp MEMWARD
 *        live-policy-seccomp probe HAVE_SEAL [child]
 */
#include "policy_common.h"
#include "kernel.h"

#include <memward/features.h>

#include "core/internal.h"

static const char *memward;

static int probe(int have_seal, bool spawn_child)
{
	char status[4096];
	long v;
	int fd;

	fd = mw_sys_memfd_create("plain", MFD_CLOEXEC);
	CHECK(fd < 0 && errno == EACCES, "plain memfd_create: %d (%s), expected EACCES", fd, strerror(errno));
	fd = mw_sys_memfd_create("exec", MFD_CLOEXEC | MFD_EXEC);
	CHECK(fd < 0 && errno == EACCES, "MFD_EXEC: %d (%s), expected EACCES", fd, strerror(errno));
	fd = mw_sys_memfd_create("both", MFD_CLOEXEC | MFD_EXEC | MFD_NOEXEC_SEAL);
	CHECK(fd < 0 && errno == EACCES, "MFD_EXEC|MFD_NOEXEC_SEAL: %d (%s), expected EACCES", fd, strerror(errno));
	fd = mw_sys_memfd_create("noexec", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	if (have_seal) {
		struct stat st;
		CHECK(fd >= 0 && fstat(fd, &st) == 0 && !(st.st_mode & 0111), "MFD_NOEXEC_SEAL: %s", strerror(errno));
	} else {
		CHECK(fd < 0 && errno == EINVAL, "MFD_NOEXEC_SEAL before 6.3: %d (%s), expected EINVAL", fd,
		      strerror(errno));
	}
	if (fd >= 0)
		close(fd);

	REQUIRE(mw__read_file("/proc/self/status", status, sizeof(status)) > 0, "status");
	CHECK(mw__parse_status_long(status, "Seccomp", &v) == 0 && v == 2, "Seccomp mode is not 2 (filter)");
	CHECK(mw__parse_status_long(status, "NoNewPrivs", &v) == 0 && v == 1, "NoNewPrivs is not set");
	/* A filter cannot be taken away: turning seccomp off is not an operation. */
	if (spawn_child) {
		pid_t pid = fork();
		REQUIRE(pid >= 0, "fork");
		if (pid == 0) {
			char hs[4];
			snprintf(hs, sizeof(hs), "%d", have_seal);
			execl("/proc/self/exe", "live-policy-seccomp", "probe", hs, (char *)NULL);
			_exit(127);
		}
		CHECK(live_wait(pid) == 0, "a descendant (fork+exec) is not under the same filter");
	}
	return live_done();
}

int main(int argc, char **argv)
{
	static char out[1 << 14];
	const char *self;
	char hs[4];
	int rc, have_seal;

	if (argc >= 3 && !strcmp(argv[1], "probe"))
		return probe(atoi(argv[2]), argc == 4);
	REQUIRE(argc == 2, "usage: live-policy-seccomp MEMWARD");
	memward = argv[1];
	self = pc_self();
	lk_need("seccomp_filter", lk_seccomp_filter(), "installing a seccomp filter");
	have_seal = lk_memfd_create(MFD_NOEXEC_SEAL) == 0;
	snprintf(hs, sizeof(hs), "%d", have_seal);

	rc = RUN(out, "run", "-v", "--seccomp-noexec", "--", (char *)self, "probe", hs, "child");
	CHECK(rc == 0, "under --seccomp-noexec: %d\n%s", rc, out);
	CHECK(strstr(out, "seccomp filter installed"), "--verbose says nothing: %s", out);
	/* Exit status of the command is its own (memward execs it). */
	rc = RUN(out, "run", "--seccomp-noexec", "--", "/nonexistent/cmd");
	CHECK(rc == 127, "missing command: %d", rc);
	if (!have_seal)
		live_note("MFD_NOEXEC_SEAL is missing (before 6.3): every memfd_create fails under the filter");
	return live_done();
}
