/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * run --memfd-noexec=N: a root command cannot lower the level (issue 14 D).
 * The kernel only forbids a namespace to go below its parent's level; a
 * command in the namespace whose level memward set could write 0 there. The
 * command runs one namespace further down: each of its writes of a lower
 * value is refused and the level, as the command sees it and as memfd_create
 * behaves, stays N. Writing N itself, or a higher value, is not a lowering.
 *
 * usage: live-policy-noexec-lower MEMWARD
 *        live-policy-noexec-lower lower LEVEL
 */
#include "policy_common.h"

#include <memward/policy.h>

static const char *memward;

static int level_now(void)
{
	char buf[16] = "";
	int fd = open("/proc/sys/vm/memfd_noexec", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? atoi(buf) : -1;
}

static int write_level(int v)
{
	char text[8];
	int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	snprintf(text, sizeof(text), "%d\n", v);
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

/* Inside: try every lower value, then check nothing changed. */
static int lower(int level)
{
	int fd;

	CHECK(level_now() == level, "level inside is %d, expected %d", level_now(), level);
	for (int v = 0; v <= 2; v++) {
		int r = write_level(v);

		if (v < level)
			CHECK(r < 0, "writing %d at level %d was accepted", v, level);
		printf("write %d at level %d: %s\n", v, level, r < 0 ? strerror(-r) : "accepted");
		CHECK(level_now() >= level, "after writing %d the level is %d (below %d)", v, level_now(), level);
		if (r == 0 && v > level) {
			/* A raise is allowed and sticks in the command's own
			 * namespace: the rest of the loop sees the new level. */
			level = v;
		}
	}
	/* Behaviour, not only the file: at 2 MFD_EXEC is refused, at 1 a plain
	 * memfd is not executable. */
	fd = mw_sys_memfd_create("after", MFD_CLOEXEC | MFD_EXEC);
	if (level == 2)
		CHECK(fd < 0 && errno == EACCES, "level 2: MFD_EXEC gave %d (%s) after the writes", fd,
		      fd < 0 ? strerror(errno) : "an fd");
	if (fd >= 0)
		close(fd);
	fd = mw_sys_memfd_create("plain", MFD_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		CHECK(fstat(fd, &st) == 0 && !(st.st_mode & 0111), "a plain memfd is executable after the writes");
		close(fd);
	}
	return live_done();
}

int main(int argc, char **argv)
{
	static char out[1 << 14];
	const char *self;
	int rc, host;

	if (argc == 3 && !strcmp(argv[1], "lower"))
		return lower(atoi(argv[2]));
	REQUIRE(argc == 2, "usage: live-policy-noexec-lower MEMWARD");
	memward = argv[1];
	self = pc_self();
	host = level_now();
	if (host < 0 && access("/proc/sys/vm/memfd_noexec", F_OK) < 0)
		live_skip("no vm.memfd_noexec on this kernel (before 6.3)");
	if (geteuid() != 0)
		live_skip("vm.memfd_noexec can only be written by the real root (even in a user namespace)");
	REQUIRE(host >= 0, "cannot read vm.memfd_noexec");

	for (int level = 1; level <= 2; level++) {
		char opt[32], lv[4];

		if (level < host)
			continue;
		snprintf(opt, sizeof(opt), "--memfd-noexec=%d", level);
		snprintf(lv, sizeof(lv), "%d", level);
		rc = RUN(out, "run", opt, "--", (char *)self, "lower", lv);
		CHECK(rc == 0, "%s: the command lowered the level or saw the wrong one (exit %d):\n%s", opt, rc, out);
		/* The same through a user namespace (root mapped to root). */
		rc = RUN(out, "run", "--userns", opt, "--", (char *)self, "lower", lv);
		CHECK(rc == 0, "--userns %s: exit %d:\n%s", opt, rc, out);
	}
	CHECK(level_now() == host, "the host's level changed: %d, was %d", level_now(), host);
	return live_done();
}
