/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-policy MEMWARD: the cost of the memfd policy supervisor
 * (memward run --policy) per intercepted call, and the cost of a call it
 * does not intercept (getppid), against the same calls unsupervised.
 * Medians of 5 rounds; prints ratios (these machines are noisy).
 *
 *   emulated  memfd_create(0) by an unlisted program: the supervisor
 *             creates the memfd (MFD_NOEXEC_SEAL) and installs it (ADDFD)
 *   continue  memfd_create(0) by a listed program: checked, then CONTINUE
 *   getppid   not intercepted: the filter runs in the kernel, no round trip
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sys/shim.h"

#define ROUNDS 5

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median ns per call of op over n calls, ROUNDS rounds. */
static double measure(int op, int n)
{
	double r[ROUNDS];

	for (int k = 0; k < ROUNDS; k++) {
		double t0 = now_ns();
		for (int i = 0; i < n; i++) {
			if (op == 0) {
				int fd = mw_sys_memfd_create("bench", MFD_CLOEXEC);
				if (fd < 0) {
					perror("memfd_create");
					exit(1);
				}
				close(fd);
			} else {
				(void)getppid();
			}
		}
		r[k] = (now_ns() - t0) / n;
	}
	qsort(r, ROUNDS, sizeof(r[0]), cmp);
	return r[ROUNDS / 2];
}

/* memfd_create+close, getppid: the same loop as a baseline minus close. */
static void inner(int n)
{
	double m = measure(0, n), g = measure(1, n * 10);
	printf("%.1f %.1f\n", m, g);
}

static int run_supervised(const char *memward, const char *policy, const char *self, int n,
			  double *m, double *g)
{
	char cmd_n[16], out[256];
	int fds[2], st;
	ssize_t len;
	pid_t pid;

	snprintf(cmd_n, sizeof(cmd_n), "%d", n);
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl(memward, memward, "run", "--policy", policy, "--log", "/dev/null", "--", self, "inner",
		      cmd_n, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	len = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (len <= 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	out[len] = '\0';
	return sscanf(out, "%lf %lf", m, g) == 2 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char self[4096], dir[] = "/tmp/mw-bench-XXXXXX", plain[64], listed[4200], text[4200];
	double bm, bg, em, eg, cm, cg;
	int n = 2000, fd;
	ssize_t l;

	if (argc == 3 && !strcmp(argv[1], "inner")) {
		inner(atoi(argv[2]));
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: bench-policy MEMWARD\n");
		return 64;
	}
	l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (l < 0 || !mkdtemp(dir))
		return 1;
	self[l] = '\0';
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	snprintf(listed, sizeof(listed), "%s/listed", dir);
	fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "mode enforce\n", 13) != 13)
		return 1;
	close(fd);
	snprintf(text, sizeof(text), "mode enforce\nallow-exec-memfd %s\n", self);
	fd = open(listed, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return 1;
	close(fd);

	bm = measure(0, n);
	bg = measure(1, n * 10);
	if (run_supervised(argv[1], plain, self, n, &em, &eg) < 0 ||
	    run_supervised(argv[1], listed, self, n, &cm, &cg) < 0) {
		fprintf(stderr, "bench-policy: the supervised run failed\n");
		return 1;
	}
	unlink(plain);
	unlink(listed);
	rmdir(dir);

	printf("bench-policy: median of %d rounds, %d calls each (getppid: %d)\n", ROUNDS, n, n * 10);
	printf("  %-38s %9s %9s %7s %12s\n", "call", "plain", "policy", "ratio", "extra/call");
	printf("  %-38s %7.2fus %7.2fus %6.1fx %9.2fus\n", "memfd_create+close, emulated (unlisted)",
	       bm / 1e3, em / 1e3, em / bm, (em - bm) / 1e3);
	printf("  %-38s %7.2fus %7.2fus %6.1fx %9.2fus\n", "memfd_create+close, continue (listed)", bm / 1e3,
	       cm / 1e3, cm / bm, (cm - bm) / 1e3);
	printf("  %-38s %7.3fus %7.3fus %6.2fx %9.3fus\n", "getppid (not intercepted)", bg / 1e3, eg / 1e3,
	       eg / bg, (eg - bg) / 1e3);
	printf("  target: < 50us per intercepted call: %s\n",
	       (em - bm) < 50e3 && (cm - bm) < 50e3 ? "met" : "NOT met");
	return 0;
}
