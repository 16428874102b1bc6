/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * redteam-guard-flood: in mode audit the guard only reports; an attacker
 * who wants its real exec unreported floods the ring buffer with cheap
 * would-be denials (PROT_EXEC mmaps of a memfd, allowed in audit mode) from
 * two processes, and executes its memfd in the middle. memward-guard(8):
 * "Events lost to a full ring buffer are counted and reported at exit."
 * The real exec must be in the log, or the loss must be visible while the
 * guard runs (not only at its exit).
 *
 * usage: live-redteam-guard-flood MEMWARD
 */
#include "redteam/rt.h"

#include <time.h>

static int flood(void *x)
{
	int fd = gt_payload(0, GT_OK, 0);
	struct timespec t0, t;

	(void)x;
	if (rt_drop_nobody() < 0 || fd < 0)
		return 200;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 256; i++) {
			void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

			if (p != MAP_FAILED)
				munmap(p, 4096);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 3);
	return 0;
}

static int hidden_exec(void *x)
{
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	int fd = gt_memfd("rt-hidden-exec", 0, elf, n);

	(void)x;
	if (rt_drop_nobody() < 0)
		return 200;
	usleep(1500000);
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

/* Occurrences of needle in the whole file; *lines gets its line count. */
static int count_all(const char *path, const char *needle, int *lines)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), c = 0;
	off_t sz = fd < 0 ? 0 : lseek(fd, 0, SEEK_END);
	char *b = sz > 0 ? malloc((size_t)sz + 1) : NULL;
	ssize_t n = b ? pread(fd, b, (size_t)sz, 0) : 0;

	*lines = 0;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		free(b);
		return 0;
	}
	b[n] = '\0';
	for (char *p = b; (p = strstr(p, needle)); p++)
		c++;
	for (ssize_t i = 0; i < n; i++)
		*lines += b[i] == '\n';
	free(b);
	return c;
}

static pid_t spawn(int (*fn)(void *))
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(NULL));
	return pid;
}

int main(int argc, char **argv)
{
	char policy[512], line[4096];
	struct gt_guard g;
	pid_t f1, f2, h;
	int r, seen, total, fd;
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	rt_memward = argv[1];
	gt_require_lsm();
	snprintf(policy, sizeof(policy), "mode audit\nallow-exec-memfd %s\n", rt_memward);
	gt_start(&g, rt_memward, policy, NULL);
	f1 = spawn(flood);
	f2 = spawn(flood);
	h = spawn(hidden_exec);
	r = live_wait(h);
	live_wait(f1);
	live_wait(f2);
	sleep(2);
	kill(g.pid, SIGTERM);
	live_wait(g.pid);
	n = read(g.err, line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	close(g.err);
	unlink(g.policy);
	seen = count_all(g.log, "rt-hidden-exec", &total);
	printf("hidden exec ran: %d; its event in the log: %d; log lines: %d;"
	       " guard's exit message: %s\n", r, seen, total, line);
	fd = open(g.log, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		off_t sz = lseek(fd, 0, SEEK_END);

		printf("log size %lld bytes on %s\n", (long long)sz, rt_kernel());
		close(fd);
	}
	if (r == GT_OK && !seen && strstr(line, "lost"))
		printf("BYPASS audit-flood nobody: the exec of a memfd in audit mode left no event; the loss was only "
		       "reported when the guard exited\n");
	CHECK(r != GT_OK || seen, "an exec in audit mode is missing from the log");
	unlink(g.log);
	return live_done();
}
