/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench-guard MEMWARD: what `memward guard` adds to the calls it checks,
 * against the same calls unguarded, and against `memward run --policy`
 * (the user-space supervisor) for exec, in one run. Needs root and a kernel
 * where BPF LSM programs load (the 6.12 guest: tests/vm/matrix --profiles
 * 6.12 --bench guard); elsewhere it says why and exits 77.
 *
 *   exec  fork + execve + waitpid of a 130-byte static ELF on /tmp
 *   mmap  mmap(PROT_READ|PROT_EXEC, MAP_PRIVATE) + munmap of that file
 *
 * The file is an ordinary named file: the cost measured is the guard's
 * check that lets ordinary programs through, which every exec and every
 * executable mapping on a guarded machine pays.
 *
 * Five interleaved rounds (plain and run --policy, then the guard, or the
 * guard first in odd rounds; 2 s pauses after attaching and detaching, whose
 * deferred kernel work is slow under TCG); every exec is timed
 * on its own and mmaps in batches of 100, and the figure is the median of
 * all samples of a condition, so that a host preempting the guest (TCG on a
 * shared machine) moves few samples and not the median. The added cost is
 * printed in us and relative to the plain figure: under QEMU TCG (the
 * matrix says so with mw.accel=tcg, exported by /init as MW_ACCEL) every
 * absolute time is inflated many times, the relative one much less.
 *
 * Wall-clock differences of a few microseconds still drown in that noise,
 * so the guard's own cost is also read from the kernel: with BPF run-time
 * statistics on, each program's run count and run time give its mean cost
 * per call (the guard runs in this process, through the library, so its
 * programs are not hidden from us). Per exec that is every program on the
 * exec path (exec, commit, fork, file_open, ...) plus the ELF loader's
 * executable mapping. The exec loops run in a process started for them
 * (exec_child_loop), as every program under the guard does.
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
#define NEXEC 200            /* execs per round, each timed */
#define MBATCH 100           /* mmaps per timed batch */
#define NBATCH 200           /* batches per round */
#define NMMAP (MBATCH * NBATCH)

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

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* n execs of the tiny program, each timed (ns) into out. */
static void exec_loop(int n, double *out)
{
	char *args[] = { "tiny", NULL }, *env[] = { NULL };

	for (int i = 0; i < n; i++) {
		double t0 = now_ns();
		pid_t pid = fork();

		if (pid == 0) {
			execve(tiny, args, env);
			_exit(127);
		}
		if (pid < 0 || live_wait(pid) != GT_OK) {
			fprintf(stderr, "bench-guard: exec of %s failed\n", tiny);
			exit(1);
		}
		out[i] = now_ns() - t0;
	}
}

/* NBATCH batches of MBATCH mmap+munmap, ns per pair into out. */
static void mmap_loop(double *out)
{
	int fd = open(tiny, O_RDONLY | O_CLOEXEC);

	for (int b = 0; b < NBATCH; b++) {
		double t0 = now_ns();

		for (int i = 0; i < MBATCH; i++) {
			void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

			if (p == MAP_FAILED) {
				perror("bench-guard: mmap");
				exit(1);
			}
			munmap(p, 4096);
		}
		out[b] = (now_ns() - t0) / MBATCH;
	}
	close(fd);
}

/* The exec loop in a fresh process: this program again, with --exec-loop,
 * printing each exec's ns on a line (read into out); under `memward run
 * --policy` when policy is given. A fresh process, also for plain and the
 * guard: one started before the guard has no guard record (its children
 * get theirs made at exec, a path no program started under the guard
 * takes), so the loop must run where every guarded program runs. */
static int exec_child_loop(const char *memward, const char *policy, double *out)
{
	char self[512], n[16];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int p[2], r, got = 0;
	FILE *f;
	pid_t pid;

	if (len <= 0 || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	self[len] = '\0';
	snprintf(n, sizeof(n), "%d", NEXEC);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		if (policy)
			execl(memward, memward, "run", "--policy", policy, "--log", "/dev/null", "--", self,
			      "--exec-loop", n, (char *)NULL);
		else
			execl(self, self, "--exec-loop", n, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	while (f && got < NEXEC && fscanf(f, "%lf", &out[got]) == 1)
		got++;
	if (f)
		fclose(f);
	r = live_wait(pid);
	return r == 0 && got == NEXEC ? 0 : -1;
}

/* Mean ns per call of each of the guard's programs, from the kernel's
 * run-time statistics (the statistics pass's guard only: ids only grow, and
 * the earlier guards' programs are gone); returns
 * the in-kernel ns per exec: every exec-path program's time over NEXEC,
 * plus the mappings beyond the mmap loop's (the ELF loader's); *per_mmap
 * gets mw_mmap's ns per call. */
static double prog_stats(double *per_mmap)
{
	double exec_ns = 0;
	__u32 id = 0;

	printf("in-kernel cost per call (BPF run-time statistics, a pass of its own):\n");
	*per_mmap = 0;
	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && !strncmp(info.name, "mw_", 3) &&
		    info.run_cnt) {
			double per = (double)info.run_time_ns / (double)info.run_cnt;

			printf("  %-16s %10llu calls %10.0f ns/call\n", info.name, (unsigned long long)info.run_cnt, per);
			if (!strcmp(info.name, "mw_mmap")) {
				*per_mmap = per;
				if (info.run_cnt > NMMAP)
					exec_ns += per * (double)(info.run_cnt - NMMAP);
			} else if (strncmp(info.name, "mw_bpf", 6) && strcmp(info.name, "mw_ptrace")) {
				/* exec, commit, fork, file_open...: every program on
				 * the exec path (the mmap loop's one open included);
				 * not the self-protection hooks our own bpf() calls hit */
				exec_ns += (double)info.run_time_ns;
			}
		}
		close(fd);
	}
	return exec_ns / NEXEC;
}

/* Attaching and detaching BPF LSM programs leaves work to the kernel's
 * RCU and kworkers (trampoline updates, freeing); slow under TCG. Let it
 * finish before measuring, so that it is charged to neither condition. */
static void settle(void)
{
	sleep(2);
}

static void line(const char *what, double base, double v, const char *target)
{
	printf("  %-14s %10.2f us   added %+9.2f us  (%+6.2f%% of plain)%s%s\n", what, v / 1e3, (v - base) / 1e3,
	       100.0 * (v - base) / base, target, v < base ? " [negative: below this machine's noise]" : "");
}

int main(int argc, char **argv)
{
	/* (one more round's room in e2 and m1: the statistics pass) */
	static double e0[ROUNDS * NEXEC], e1[ROUNDS * NEXEC], e2[(ROUNDS + 1) * NEXEC];
	static double m0[ROUNDS * NBATCH], m1[(ROUNDS + 1) * NBATCH];
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	char why[320];
	struct mw_guard_opts go = { .sz = sizeof(go) };
	struct mw_policy *pol;
	struct mw_guard *g;
	const char *accel = getenv("MW_ACCEL");
	bool tcg = accel && !strcmp(accel, "tcg");
	double k_exec = 0, k_mmap = 0;
	int fd, stats;

	if (argc == 3 && !strcmp(argv[1], "--exec-loop")) {
		int k = atoi(argv[2]);
		double *v = calloc((size_t)(k > 0 ? k : 1), sizeof(*v));

		if (!v || k <= 0)
			return 1;
		exec_loop(k, v);
		for (int i = 0; i < k; i++)
			printf("%.0f\n", v[i]);
		free(v);
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
	for (int r = 0; r < ROUNDS; r++) {
		/* Odd rounds measure the guard first: no condition always
		 * follows the same one. */
		for (int k = 0; k < 2; k++) {
			if ((k == 0) == (r % 2 == 0)) {
				mmap_loop(m0 + r * NBATCH);
				if (exec_child_loop(argv[1], NULL, e0 + r * NEXEC) < 0 ||
				    exec_child_loop(argv[1], policy, e2 + r * NEXEC) < 0) {
					fprintf(stderr, "bench-guard: an exec loop failed\n");
					return 1;
				}
				continue;
			}
			g = mw_guard_open(&go);
			if (!g) {
				perror("bench-guard: mw_guard_open");
				return 1;
			}
			settle();
			if (exec_child_loop(argv[1], NULL, e1 + r * NEXEC) < 0) {
				fprintf(stderr, "bench-guard: the exec loop under the guard failed\n");
				return 1;
			}
			mmap_loop(m1 + r * NBATCH);
			mw_guard_close(g);
			settle();
		}
	}
	/* One more guarded pass with run-time statistics on (they cost a
	 * clock read per program call: kept out of the timed rounds). */
	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	g = stats >= 0 ? mw_guard_open(&go) : NULL;
	if (g) {
		if (exec_child_loop(argv[1], NULL, e2 + ROUNDS * NEXEC) < 0)
			fprintf(stderr, "bench-guard: the exec loop of the statistics pass failed\n");
		mmap_loop(m1 + ROUNDS * NBATCH);
		k_exec = prog_stats(&k_mmap);
		mw_guard_close(g);
	}
	unlink(tiny);
	unlink(policy);
	mw_policy_free(pol);
	if (stats >= 0)
		close(stats);
	double E0 = median(e0, ROUNDS * NEXEC), E1 = median(e1, ROUNDS * NEXEC), E2 = median(e2, ROUNDS * NEXEC);
	double M0 = median(m0, ROUNDS * NBATCH), M1 = median(m1, ROUNDS * NBATCH);

	printf("bench-guard: %s\n", tcg ? "TCG: a QEMU guest without hardware virtualisation; absolute times are "
	       "inflated many times, read the added cost relative to plain" : "MW_ACCEL unset: native or KVM timing");
	printf("exec: fork+execve+waitpid of a 130-byte static ELF, median of %d single execs each%s\n",
	       ROUNDS * NEXEC, tcg ? " (TCG)" : "");
	line("plain", E0, E0, "");
	line("guard", E0, E1, "   target natively: <= 5 us added");
	line("run --policy", E0, E2, "");
	printf("mmap: mmap(PROT_READ|PROT_EXEC)+munmap of that file, median of %d batches of %d%s\n",
	       ROUNDS * NBATCH, MBATCH, tcg ? " (TCG)" : "");
	line("plain", M0, M0, "");
	line("guard", M0, M1, "   target natively: <= 1 us added");
	if (k_exec > 0)
		printf("guard in the kernel (BPF statistics%s): %.2f us per exec (%.2f%% of plain), %.3f us per "
		       "mmap (%.2f%% of plain)\n", tcg ? ", TCG" : "", k_exec / 1e3, 100.0 * k_exec / E0,
		       k_mmap / 1e3, 100.0 * k_mmap / M0);
	return 0;
}
