/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/reclaim: proactive reclaimers side by side on the same workload, in
 * one run (run it in the 6.12 guest: tests/vm/matrix --profiles 6.12 --bench
 * reclaim). The workload: 256 MiB of anonymous memory in its own cgroup, the
 * first 64 MiB written continuously (one byte per page, passes counted), the
 * rest cold after being touched once. Scaled for TCG.
 *
 * Peers, each on a fresh workload, each for the same time:
 *   none             no reclaim (the baseline for memory and speed)
 *   DAMON_RECLAIM    the kernel's module: min_age equal to memward's, sampling
 *                    5 ms / aggregation 100 ms like memward, watermarks
 *                    1000/999/0 permil (always active: its defaults activate
 *                    only under 50% free memory and tried nothing here), its
 *                    default quota (10 ms, 128 MiB per 1 s), system-wide paddr
 *   memward-damos    memward reclaim --mechanism damon (vaddr pageout)
 *   memward-mglru    memward reclaim --mechanism mglru (eviction of old gens)
 *   memcg-psi        memward reclaim --mechanism memcg (memory.reclaim steps
 *                    while PSI some < 1000 us/s, senpai-style)
 * Printed per peer: memory.current and RSS at the end, saved against none,
 * the workload's passes/s over the second half (slowdown against none),
 * refaults, and the reclaimer's CPU time (its kdamond thread for the DAMON
 * ones, the memward process for the others).
 *
 * usage: bench-reclaim MEMWARD [SECONDS] [MIN_AGE_S]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <memward/memcg.h>

#define MIB (1024ull * 1024)
#define TOTAL (256 * MIB)
#define HOT (64 * MIB)
#define CG "/sys/fs/cgroup"
#define DR "/sys/module/damon_reclaim/parameters/"

static int wr(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static long long rd(const char *path)
{
	char b[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof(b) - 1);

	if (fd >= 0)
		close(fd);
	return n > 0 ? strtoll(b, NULL, 10) : -1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The workload: joins cg, counts passes over the hot set in *passes. */
static pid_t workload(const char *cg, volatile uint64_t *passes, int ready_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		char p[512], me[32];
		long pg = sysconf(_SC_PAGESIZE);
		volatile char *m;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(p, sizeof(p), "%s/cgroup.procs", cg);
		snprintf(me, sizeof(me), "%d", (int)getpid());
		if (wr(p, me) < 0)
			_exit(3);
		m = mmap(NULL, TOTAL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(4);
		madvise((void *)m, TOTAL, MADV_NOHUGEPAGE);
		for (uint64_t o = 0; o < TOTAL; o += (uint64_t)pg)
			m[o] = 1;
		if (write(ready_fd, "r", 1) != 1)
			_exit(5);
		for (unsigned g = 0;; g++) {
			for (uint64_t o = 0; o < HOT; o += (uint64_t)pg)
				m[o] = (char)g;
			(*passes)++;
		}
	}
	return pid;
}

static uint64_t task_cpu_us(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (ut + st) * 1000000ull / (unsigned long long)sysconf(_SC_CLK_TCK);
}

struct result {
	const char *name;
	double mem_mib, rss_mib, rate, cpu_s;
	long long refaults;
	char note[160];
};

static pid_t start_memward(const char *memward, const char *mech, const char *cgrel, int min_age)
{
	char age[32];
	pid_t pid;

	snprintf(age, sizeof(age), "%ds", min_age);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(null, 1);
		execl(memward, memward, "reclaim", "--cgroup", cgrel, "--min-age", age, "--mechanism", mech,
		      "--json", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* DAMON_RECLAIM's kdamond thread, for its CPU time. */
static pid_t damon_reclaim_start(int min_age)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", min_age * 1000000);
	if (wr(DR "min_age", v) < 0 || wr(DR "sample_interval", "5000") < 0 || wr(DR "aggr_interval", "100000") < 0 ||
	    wr(DR "wmarks_high", "1000") < 0 || wr(DR "wmarks_mid", "999") < 0 || wr(DR "wmarks_low", "0") < 0 ||
	    wr(DR "enabled", "Y") < 0)
		return -1;
	sleep_s(0.5);
	return (pid_t)rd(DR "kdamond_pid");
}

static void run_peer(struct result *r, const char *memward, int secs, int min_age)
{
	char cg[256], cgrel[64], p[300];
	volatile uint64_t *passes = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mw_memcg_stat s0 = { .sz = sizeof(s0) }, s1 = { .sz = sizeof(s1) };
	pid_t wl, rec = 0, kd = 0;
	int ready[2];
	char c;
	double t_half, t_end;
	uint64_t p_half, p_end, cpu0 = 0;

	snprintf(cgrel, sizeof(cgrel), "/mw-bench-%s", r->name);
	snprintf(cg, sizeof(cg), CG "%s", cgrel);
	mkdir(cg, 0755);
	if (pipe2(ready, O_CLOEXEC) < 0 || passes == MAP_FAILED)
		exit(2);
	wl = workload(cg, passes, ready[1]);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) {
		fprintf(stderr, "bench: workload did not start\n");
		exit(2);
	}
	close(ready[0]);
	sleep_s(1);
	mw_memcg_stat_get(cgrel, &s0);
	if (!strcmp(r->name, "DAMON_RECLAIM")) {
		kd = damon_reclaim_start(min_age);
		if (kd <= 0)
			snprintf(r->note, sizeof(r->note), "could not start DAMON_RECLAIM");
		cpu0 = kd > 0 ? task_cpu_us(kd) : 0;
	} else if (strcmp(r->name, "none")) {
		rec = start_memward(memward, !strcmp(r->name, "memward-damos") ? "damon" :
					     !strcmp(r->name, "memward-mglru") ? "mglru" : "memcg", cgrel, min_age);
	}
	sleep_s(secs / 2.0);
	t_half = now();
	p_half = *passes;
	if (kd > 0)
		r->cpu_s = (double)(task_cpu_us(kd) - cpu0) / 1e6;
	sleep_s(secs / 2.0);
	t_end = now();
	p_end = *passes;
	mw_memcg_stat_get(cgrel, &s1);
	snprintf(p, sizeof(p), "/proc/%d/status", (int)wl);
	{
		FILE *f = fopen(p, "re");
		char line[128];

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "VmRSS:", 6))
				r->rss_mib = (double)strtoull(line + 6, NULL, 10) / 1024;
		if (f)
			fclose(f);
	}
	r->mem_mib = (double)s1.current / MIB;
	r->rate = (double)(p_end - p_half) / (t_end - t_half);
	r->refaults = (long long)(s1.refault_anon + s1.refault_file - s0.refault_anon - s0.refault_file);
	if (kd > 0) {
		r->cpu_s = (double)(task_cpu_us(kd) - cpu0) / 1e6;
		wr(DR "enabled", "N");
		snprintf(r->note, sizeof(r->note), "reclaimed %lld bytes system-wide", rd(DR "bytes_reclaimed_regions"));
	}
	if (rec > 0) {
		struct rusage ru;
		int st;

		kill(rec, SIGTERM);
		wait4(rec, &st, 0, &ru);
		/* memward's own CPU; for DAMOS the kdamond thread is the reclaimer */
		r->cpu_s += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	}
	kill(wl, SIGKILL);
	waitpid(wl, NULL, 0);
	munmap((void *)passes, 4096);
	sleep_s(0.5);
	rmdir(cg);
}

int main(int argc, char **argv)
{
	struct result r[] = { { .name = "none" }, { .name = "DAMON_RECLAIM" }, { .name = "memward-damos" },
			      { .name = "memward-mglru" }, { .name = "memcg-psi" } };
	int secs = argc > 2 ? atoi(argv[2]) : 40, min_age = argc > 3 ? atoi(argv[3]) : 5;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-reclaim MEMWARD [SECONDS] [MIN_AGE_S]\n");
		return 64;
	}
	if (access(CG "/cgroup.controllers", F_OK) < 0) {
		fprintf(stderr, "bench: no cgroup2 at " CG " (run in the 6.12 guest: tests/vm/matrix --bench reclaim)\n");
		return 2;
	}
	printf("workload: %llu MiB anon, %llu MiB hot (written continuously), %d s per peer, min-age %d s\n",
	       TOTAL / MIB, HOT / MIB, secs, min_age);
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		run_peer(&r[i], argv[1], secs, min_age);
		fflush(stdout);
	}
	printf("\n%-15s %9s %9s %7s %11s %9s %9s %9s  %s\n", "peer", "mem MiB", "RSS MiB", "saved", "passes/s",
	       "slowdown", "refaults", "CPU s", "note");
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		printf("%-15s %9.1f %9.1f %6.1f%% %11.2f %8.1f%% %9lld %9.2f  %s\n", r[i].name, r[i].mem_mib,
		       r[i].rss_mib, (1 - r[i].mem_mib / r[0].mem_mib) * 100, r[i].rate,
		       (1 - r[i].rate / r[0].rate) * 100, r[i].refaults, r[i].cpu_s, r[i].note);
	return 0;
}
