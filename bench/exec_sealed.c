/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/exec-sealed: the cost of running a ~10 MiB program from a sealed
 * memfd copy (memward exec-sealed, runc's pattern) against a plain exec of
 * the same file, all in one run, interleaved, medians.
 *
 *   exec-sealed [-n RUNS] [PAYLOAD]
 *
 * PAYLOAD defaults to exec-payload next to this binary (a static ELF of
 * about 10 MiB that exits at once). Prints:
 *   plain      fork + execve(PAYLOAD) + wait
 *   sealed     fork + mw_exec_sealed(PAYLOAD) + wait (open, copy, seal,
 *              verify and execveat all inside the child)
 *   reused     fork + execveat(prepared sealed fd) + wait (copy made once)
 *   copy       mw_exec_sealed_prepare() alone, in MB/s
 *   memcpy     10 MiB memcpy into warm pages and into fresh pages, in MB/s
 * Target (issue 4): sealed <= 1.5x plain, and the copy at memcpy speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <memward/memward.h>

extern char **environ;

#define MIB (1024.0 * 1024.0)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void wait_ok(pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "exec-sealed bench: %s child failed (status 0x%x)\n", what, st);
		exit(2);
	}
}

static char *payload;
static int sealed_fd = -1;

/* 0 plain, 1 sealed, 2 reused sealed fd. */
static double one_run(int mode)
{
	char *argv[] = { payload, NULL };
	double t0 = now();
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		if (mode == 0)
			execve(payload, argv, environ);
		else if (mode == 1)
			mw_exec_sealed(payload, argv, NULL, NULL, NULL);
		else
			mw_exec_fd(sealed_fd, argv, NULL, false);
		_exit(127);
	}
	wait_ok(pid, mode == 0 ? "plain" : mode == 1 ? "sealed" : "reused");
	return now() - t0;
}

int main(int argc, char **argv)
{
	struct mw_exec_info info = { .sz = sizeof(info) };
	static char defpath[PATH_MAX];
	int runs = 21, opt;
	double *plain, *sealed, *reused, *copy, *mc_warm, *mc_fresh;
	double m_plain, m_sealed, m_reused, m_copy, m_warm, m_fresh, mbs_copy, mbs_warm, mbs_fresh;
	size_t len = 10u << 20;
	unsigned char *src, *dst;
	struct stat st;

	while ((opt = getopt(argc, argv, "n:h")) != -1) {
		if (opt == 'n' && atoi(optarg) > 0) {
			runs = atoi(optarg);
		} else {
			fprintf(stderr, "usage: exec-sealed [-n RUNS] [PAYLOAD]\n");
			return opt == 'h' ? 0 : 64;
		}
	}
	if (optind < argc) {
		payload = argv[optind];
	} else {
		ssize_t n = readlink("/proc/self/exe", defpath, sizeof(defpath) - 32);
		char *slash;

		if (n <= 0)
			return 2;
		defpath[n] = '\0';
		slash = strrchr(defpath, '/');
		strcpy(slash + 1, "exec-payload");
		payload = defpath;
	}
	if (stat(payload, &st) < 0) {
		fprintf(stderr, "exec-sealed bench: %s: %s\n", payload, strerror(errno));
		return 2;
	}
	plain = calloc((size_t)runs, sizeof(double));
	sealed = calloc((size_t)runs, sizeof(double));
	reused = calloc((size_t)runs, sizeof(double));
	copy = calloc((size_t)runs, sizeof(double));
	mc_warm = calloc((size_t)runs, sizeof(double));
	mc_fresh = calloc((size_t)runs, sizeof(double));
	src = malloc(len);
	dst = malloc(len);
	if (!plain || !sealed || !reused || !copy || !mc_warm || !mc_fresh || !src || !dst)
		return 2;
	memset(src, 0x5a, len);
	memset(dst, 0, len);

	sealed_fd = mw_exec_sealed_prepare(payload, NULL, &info);
	if (sealed_fd < 0) {
		fprintf(stderr, "exec-sealed bench: prepare: %s\n", info.reason);
		return 2;
	}
	printf("payload: %s, %lld bytes (%.1f MiB), static ELF that exits at once\n", payload,
	       (long long)st.st_size, (double)st.st_size / MIB);
	printf("sealed copy: %s\n", info.reason);
	printf("runs: %d of each, interleaved, after one warm-up; medians\n\n", runs);

	one_run(0);
	one_run(1);
	one_run(2);
	for (int i = 0; i < runs; i++) {
		double t0;
		int fd;
		void *fresh;

		plain[i] = one_run(0);
		sealed[i] = one_run(1);
		reused[i] = one_run(2);

		t0 = now();
		fd = mw_exec_sealed_prepare(payload, NULL, NULL);
		copy[i] = now() - t0;
		if (fd < 0)
			return 2;
		close(fd);

		t0 = now();
		memcpy(dst, src, len);
		__asm__ volatile("" : : "r"(dst) : "memory");
		mc_warm[i] = now() - t0;

		fresh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (fresh == MAP_FAILED)
			return 2;
		t0 = now();
		memcpy(fresh, src, len);
		__asm__ volatile("" : : "r"(fresh) : "memory");
		mc_fresh[i] = now() - t0;
		munmap(fresh, len);
	}
	m_plain = median(plain, runs);
	m_sealed = median(sealed, runs);
	m_reused = median(reused, runs);
	m_copy = median(copy, runs);
	m_warm = median(mc_warm, runs);
	m_fresh = median(mc_fresh, runs);
	mbs_copy = (double)st.st_size / MIB / m_copy;
	mbs_warm = (double)len / MIB / m_warm;
	mbs_fresh = (double)len / MIB / m_fresh;

	printf("plain   fork+execve+wait:                  %8.3f ms\n", m_plain * 1e3);
	printf("sealed  fork+copy+seal+execveat+wait:      %8.3f ms  = %.2fx plain\n",
	       m_sealed * 1e3, m_sealed / m_plain);
	printf("reused  fork+execveat(sealed fd)+wait:     %8.3f ms  = %.2fx plain\n", m_reused * 1e3,
	       m_reused / m_plain);
	printf("copy    open+memfd+copy+seal+verify:       %8.3f ms  = %.0f MB/s (%s)\n", m_copy * 1e3,
	       mbs_copy, mw_exec_copy_name(info.copy));
	printf("memcpy  10 MiB into warm pages:            %8.3f ms  = %.0f MB/s\n", m_warm * 1e3, mbs_warm);
	printf("memcpy  10 MiB into fresh pages (faults):  %8.3f ms  = %.0f MB/s\n", m_fresh * 1e3, mbs_fresh);
	printf("\ncopy speed: %.2fx warm memcpy, %.2fx fresh-page memcpy\n", mbs_copy / mbs_warm,
	       mbs_copy / mbs_fresh);
	/* The target: "at most 1.5x [a plain exec] plus the copy at
	 * memcpy speed". The copy budget is what a memcpy of the same bytes into
	 * fresh pages costs (the memfd's pages are fresh too). */
	{
		double budget = 1.5 * m_plain + (double)st.st_size / MIB / mbs_fresh;

		printf("target sealed <= 1.5x plain + copy at memcpy speed (%.3f ms): %s (%.3f ms)\n",
		       budget * 1e3, m_sealed <= budget ? "MET" : "NOT MET", m_sealed * 1e3);
		printf("  exec part (sealed - copy): %.3f ms = %.2fx plain\n", (m_sealed - m_copy) * 1e3,
		       (m_sealed - m_copy) / m_plain);
		printf("  strict reading, sealed <= 1.5x plain: %s (%.2fx); reusing one sealed fd: %.2fx\n",
		       m_sealed / m_plain <= 1.5 ? "MET" : "NOT MET", m_sealed / m_plain, m_reused / m_plain);
	}
	close(sealed_fd);
	return 0;
}
