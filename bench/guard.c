/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-guard MEMWARD: what `memward guard` adds to the calls it checks,
 * against the same calls unguarded, and against `memward run --policy`
 * (the user-space supervisor) for exec. Medians of 5 interleaved rounds;
 * prints ratios. Needs root and a kernel where BPF LSM programs load (the
 * 6.12 guest: see tests/vm/README.md); elsewhere it says why and exits 77.
 *
 *   exec  fork + execve + waitpid of a 130-byte static ELF on /tmp
 *   mmap  mmap(PROT_READ|PROT_EXEC, MAP_PRIVATE) + munmap of that file
 *
 * The file is an ordinary named file: the cost measured is the guard's
 * check that lets ordinary programs through, which every exec and every
 * executable mapping on a guarded machine pays.
 *
 * Wall-clock differences of a few microseconds drown in the noise of a TCG
 * guest on a shared host, so the guard's own cost is also read from the
 * kernel: with BPF run-time statistics on, each program's run count and
 * run time give its mean cost per call (the guard runs in this process,
 * through the library, so its programs are not hidden from us).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <memward/guard.h>
#include <memward/policy.h>

#include "../tests/live/guard/gt.h"

#define ROUNDS 5
#define NEXEC 200
#define NMMAP 20000

static const char *tiny = "/tmp/bench-guard-tiny", *policy = "/tmp/bench-guard-policy";

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

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), cmp);
	return v[ROUNDS / 2];
}

/* ns per fork+exec+wait of the tiny program. */
static double exec_loop(int n)
{
	char *args[] = { "tiny", NULL }, *env[] = { NULL };
	double t0 = now_ns();

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execve(tiny, args, env);
			_exit(127);
		}
		if (pid < 0 || live_wait(pid) != GT_OK) {
			fprintf(stderr, "bench-guard: exec of %s failed\n", tiny);
			exit(1);
		}
	}
	return (now_ns() - t0) / n;
}

static double mmap_loop(int n)
{
	int fd = open(tiny, O_RDONLY | O_CLOEXEC);
	double t0 = now_ns();

	for (int i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED) {
			perror("bench-guard: mmap");
			exit(1);
		}
		munmap(p, 4096);
	}
	close(fd);
	return (now_ns() - t0) / n;
}

/* The exec loop under `memward run --policy`: this program again, with
 * --exec-loop, printing its ns per exec. */
static double exec_under_run(const char *memward, const char *policy)
{
	char self[512], out[256] = "", n[16];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int p[2], r;
	pid_t pid;

	if (len <= 0 || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	self[len] = '\0';
	snprintf(n, sizeof(n), "%d", NEXEC);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execl(memward, memward, "run", "--policy", policy, "--log", "/dev/null", "--", self, "--exec-loop", n, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	len = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	r = live_wait(pid);
	if (len <= 0 || r != 0)
		return -1;
	out[len] = '\0';
	return atof(out);
}

/* Mean ns per call of each of the guard's programs, from the kernel's
 * run-time statistics (the last round's guard only: ids only grow). */
static void print_prog_stats(void)
{
	__u32 id = 0;

	printf("in-kernel cost per call (BPF run-time statistics, last round):\n");
	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && !strncmp(info.name, "mw_", 3) &&
		    info.run_cnt)
			printf("  %-16s %10llu calls %10.0f ns/call\n", info.name, (unsigned long long)info.run_cnt,
			       (double)info.run_time_ns / (double)info.run_cnt);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	double e0[ROUNDS], e1[ROUNDS], e2[ROUNDS], m0[ROUNDS], m1[ROUNDS];
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	char why[320];
	struct mw_guard_opts go = { .sz = sizeof(go) };
	struct mw_policy *pol;
	struct mw_guard *g;
	int fd, stats;

	if (argc == 3 && !strcmp(argv[1], "--exec-loop")) {
		printf("%.0f\n", exec_loop(atoi(argv[2])));
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 64;
	}
	if (mw_guard_probe(why, sizeof(why)) != 1) {
		printf("bench-guard: the guard cannot run here: %s\n", why);
		return 77;
	}
	fd = open(tiny, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, elf, n) != (ssize_t)n) {
		perror("bench-guard: payload");
		return 1;
	}
	close(fd);
	fd = open(policy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "mode enforce\n", 13) != 13) {
		perror("bench-guard: policy");
		return 1;
	}
	close(fd);
	pol = mw_policy_load(policy, 0);
	if (!pol) {
		perror("bench-guard: policy");
		return 1;
	}
	go.policy = pol;
	/* Run-time statistics of every BPF program, while this fd is open. */
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	for (int r = 0; r < ROUNDS; r++) {
		e0[r] = exec_loop(NEXEC);
		m0[r] = mmap_loop(NMMAP);
		e2[r] = exec_under_run(argv[1], policy);
		g = mw_guard_open(&go);
		if (!g) {
			perror("bench-guard: mw_guard_open");
			return 1;
		}
		e1[r] = exec_loop(NEXEC);
		m1[r] = mmap_loop(NMMAP);
		if (r == ROUNDS - 1)
			print_prog_stats();
		mw_guard_close(g);
	}
	unlink(tiny);
	unlink(policy);
	mw_policy_free(pol);
	if (stats >= 0)
		close(stats);
	double E0 = median(e0), E1 = median(e1), E2 = median(e2), M0 = median(m0), M1 = median(m1);

	printf("bench-guard: medians of %d rounds, %d execs and %d mmaps per round\n", ROUNDS, NEXEC, NMMAP);
	printf("fork+exec+wait   plain %8.1f us   guard %8.1f us (%+.2f us, x%.3f)   run --policy %8.1f us (%+.2f us, x%.3f)\n",
	       E0 / 1e3, E1 / 1e3, (E1 - E0) / 1e3, E1 / E0, E2 / 1e3, (E2 - E0) / 1e3, E2 / E0);
	printf("mmap+munmap exec plain %8.3f us   guard %8.3f us (%+.3f us, x%.3f)\n", M0 / 1e3, M1 / 1e3,
	       (M1 - M0) / 1e3, M1 / M0);
	return 0;
}
