/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A copy of the test program on a private tmpfs, for the tests that run one
 * file under several names (tests/live/audit/exe_paths.c, exe_link_race.c):
 * the test moves to a mount namespace of its own (nothing outside sees the
 * mounts), mounts a tmpfs on a fresh directory and copies itself to
 * DIR/bin/NAME, with libmemward.so.0 in DIR when it links it (its RUNPATH
 * is $ORIGIN/..). Root only.
 */
#ifndef MW_TESTS_AUDIT_COPIES_H
#define MW_TESTS_AUDIT_COPIES_H

#include "live.h"

#include <sched.h>
#include <sys/mount.h>

/* dir: a mkdtemp() template, made into the tmpfs; the copy's path into
 * prog (size bytes). */
static void copies_make(char *dir, const char *name, char *prog, size_t size)
{
	char self[4096], lib[4200], dst[4200];
	ssize_t n;

	REQUIRE(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
	REQUIRE(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private: %s", strerror(errno));
	REQUIRE(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	REQUIRE(mount("memward-test", dir, "tmpfs", 0, "mode=0755") == 0, "mount tmpfs: %s", strerror(errno));
	snprintf(dst, sizeof(dst), "%s/bin", dir);
	REQUIRE(mkdir(dst, 0755) == 0, "mkdir %s: %s", dst, strerror(errno));
	REQUIRE((size_t)snprintf(prog, size, "%s/bin/%s", dir, name) < size, "path too long");
	live_copy_file("/proc/self/exe", prog);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(lib, sizeof(lib), "%s/../libmemward.so.0", self);
	snprintf(dst, sizeof(dst), "%s/libmemward.so.0", dir);
	if (access(lib, R_OK) == 0)
		live_copy_file(lib, dst);
}

/* Unmount the tmpfs made by copies_make() (after mounts on it) and remove
 * its directory. */
static void copies_remove(const char *dir)
{
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

#endif
