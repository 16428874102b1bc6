/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the policy_* live tests: run a program and capture its
 * output, memfd probes, file helpers. Self-contained (busybox guests). */
#ifndef MW_POLICY_COMMON_H
#define MW_POLICY_COMMON_H

#include "live.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "sys/shim.h"

/* Run argv (NULL-terminated); stdout+stderr into out. See live_capture(). */
__attribute__((unused)) static int pc_run(char *const argv[], char *out, size_t size)
{
	return live_capture(argv, true, NULL, out, size);
}

/* The test binary's own path (the listed "runtime"). */
__attribute__((unused)) static const char *pc_self(void)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	REQUIRE(n > 0, "readlink /proc/self/exe");
	path[n] = '\0';
	return path;
}

/* A scratch directory that exists in the busybox guests too. */
__attribute__((unused)) static const char *pc_tmpdir(void)
{
	static char dir[256];
	const char *bases[] = { getenv("TMPDIR"), "/tmp", "/dev/shm", "/run", "." };

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (!bases[i])
			continue;
		snprintf(dir, sizeof(dir), "%s/mw-policy-XXXXXX", bases[i]);
		if (mkdtemp(dir))
			return dir;
	}
	REQUIRE(0, "no writable scratch directory");
	return NULL;
}

__attribute__((unused)) static void pc_write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	REQUIRE(fd >= 0, "create %s: %s", path, strerror(errno));
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
	close(fd);
}

/* Copy the file at src into fd (a memfd or a file). */
__attribute__((unused)) static void pc_copy_into(const char *src, int fd)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	REQUIRE(in >= 0, "open %s", src);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		REQUIRE(write(fd, buf, (size_t)n) == n, "copy write: %s", strerror(errno));
	close(in);
}

__attribute__((unused)) static void pc_copy_file(const char *src, const char *dst)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	REQUIRE(fd >= 0, "create %s: %s", dst, strerror(errno));
	pc_copy_into(src, fd);
	close(fd);
}

__attribute__((unused)) static bool pc_has_noexec_seal(void)
{
	int fd = mw_sys_memfd_create("probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	/* EINVAL: the flag is unknown (before 6.3). Anything else: the caller
	 * is filtered, so ask the feature cache built before (not here). */
	return false;
}

__attribute__((unused)) static double pc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run memward with the given arguments: RUN(out, "run", "--", ...). */
#define RUN(out, ...)                                                        \
	({                                                                   \
		char *a_[] = { (char *)memward, __VA_ARGS__, NULL };         \
		pc_run(a_, out, sizeof(out));                                \
	})

#endif
