/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers for the exec-sealed and memfd-inspect live tests: run a program
 * and capture its output, the test binary's own marker mode. */
#ifndef MW_LIVE_EXEC_RUN_H
#define MW_LIVE_EXEC_RUN_H

#include "live.h"

#include <fcntl.h>
#include <limits.h>

#define MARKER "MW-SEALED-MARKER"

/* When argv[1] is "--marker", print the marker, argv[2] and where the
 * running image comes from (/proc/self/exe), then exit 0. With "--hold",
 * wait until stdin reaches EOF first. Called first thing in main(). */
static inline void marker_mode(int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (argc < 2 || strcmp(argv[1], "--marker"))
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (argc > 3 && !strcmp(argv[3], "--hold")) {
		char c;

		printf("READY\n");
		fflush(stdout);
		while (read(0, &c, 1) > 0)
			;
	}
	printf("%s %s exe=%s\n", MARKER, argc > 2 ? argv[2] : "", exe);
	fflush(stdout);
	exit(0);
}

/* Path of this test binary. */
static inline void self_path(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);

	REQUIRE(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
	out[n] = '\0';
}

/* Run argv (argv[0] is the path), stdout into out, stderr into err (both
 * NUL-terminated, may be NULL); envp NULL keeps the environment. Returns
 * the exit code (128+sig when killed). */
static inline int run_capture(char *const argv[], char *const envp[], char *out, size_t osize,
			      char *err, size_t esize)
{
	int po[2], pe[2];
	size_t olen = 0, elen = 0;
	pid_t pid;
	bool odone = false, edone = false;

	REQUIRE(pipe2(po, O_CLOEXEC) == 0 && pipe2(pe, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (envp)
			execve(argv[0], argv, envp);
		else
			execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* Two pipes, small outputs: poll-free alternation is enough as long as
	 * neither side fills a pipe (64 KiB); read stdout then stderr. */
	while (!odone || !edone) {
		char tmp[4096];
		ssize_t n;

		if (!odone) {
			n = read(po[0], tmp, sizeof(tmp));
			if (n <= 0)
				odone = true;
			else if (out && olen + (size_t)n < osize) {
				memcpy(out + olen, tmp, (size_t)n);
				olen += (size_t)n;
			}
			continue;
		}
		n = read(pe[0], tmp, sizeof(tmp));
		if (n <= 0)
			edone = true;
		else if (err && elen + (size_t)n < esize) {
			memcpy(err + elen, tmp, (size_t)n);
			elen += (size_t)n;
		}
	}
	if (out)
		out[olen] = '\0';
	if (err)
		err[elen] = '\0';
	close(po[0]);
	close(pe[0]);
	return live_wait(pid);
}

#endif
