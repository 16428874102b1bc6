/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/reclaim: proactive reclaimers side by side on the same workload, in
 * one run (run it in the 6.12 guest: tests/vm/matrix --profiles 6.12 --bench
 * reclaim). The workload: 256 MiB of anonymous memory in its own cgroup, the
 * first 64 MiB written continuously (one byte per page, passes counted), the
 * rest cold after being touched once. Scaled for TCG.
 *
 * Peers, each on a fresh workload, each for the same time:
 *   none             no reclaim (a check of the method: subject = control)
 *   DAMON_RECLAIM    the kernel's module: min_age equal to memward's, sampling
 *                    5 ms / aggregation 100 ms like memward, watermarks
 *                    1000/999/0 permil (always active: its defaults activate
 *                    only under 50% free memory and tried nothing here), no
 *                    quota (quota_ms 0, quota_sz 0) like memward, system-wide
 *                    paddr over the largest System RAM range
 *   memward-damos    memward reclaim --mechanism damon (vaddr pageout)
 *   memward-damos-pa memward reclaim --mechanism damon --anon (paddr pageout
 *                    with memcg and anon filters: the physical address space
 *                    DAMON_RECLAIM monitors, confined to the cgroup)
 *   memward-mglru    memward reclaim --mechanism mglru (eviction of old gens)
 *   memcg-psi        memward reclaim --mechanism memcg (memory.reclaim steps
 *                    while PSI some < 1000 us/s, senpai-style)
 * Each peer runs beside a control workload without reclaim, in the same
 * seconds (this machine's load, shared with other jobs, varies by minutes).
 * Printed per peer: memory.current and RSS at the end, saved against the
 * control, the hot pass's duration over the second half against the
 * control's (slowdown),
 * refaults, and the reclaimer's CPU time (its kdamond thread for the DAMON
 * ones, the memward process for the others). DAMON_RECLAIM's note gives what
 * it tried (regions old and idle enough) and reclaimed. Last, the targets:
 * memward's best mechanism within 5% slowdown saves >= 30%, and is no worse
 * than DAMON_RECLAIM on either axis.
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

/* Shared with a workload: passes over the hot set and the time they took. */
struct counters {
	uint64_t passes;
	double busy_s;
};

/* The workload: joins cg, touches everything once, then writes the hot set
 * (one byte per page) every 10 ms, adding each pass's duration to *c. */
static pid_t workload(const char *cg, volatile struct counters *c, int ready_fd)
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
			double t = now();

			for (uint64_t o = 0; o < HOT; o += (uint64_t)pg)
				m[o] = (char)g;
			c->busy_s += now() - t;
			c->passes++;
			sleep_s(0.01);
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
	double mem_mib, ctl_mib, rss_mib, pass_ms, ctl_pass_ms, cpu_s;
	long long refaults;
	int cand, cand_seen; /* DAMON_RECLAIM: regions idle and min-age old in the trace, of those seen */
	char note[240];
};

static pid_t start_memward(const char *memward, const char *mech, bool anon, const char *cgrel, int min_age)
{
	char age[32];
	pid_t pid;

	snprintf(age, sizeof(age), "%ds", min_age);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(null, 1);
		if (anon)
			execl(memward, memward, "reclaim", "--cgroup", cgrel, "--min-age", age, "--mechanism", mech,
			      "--anon", "--json", (char *)NULL);
		else
			execl(memward, memward, "reclaim", "--cgroup", cgrel, "--min-age", age, "--mechanism", mech,
			      "--json", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* DAMON_RECLAIM's candidates: for 0.5 s, the damon_aggregated trace event
 * (tracefs) gives each region's nr_accesses and age; count the regions idle
 * and at least min_age old, which its scheme should try. -1 without tracefs. */
static int dr_candidates(int min_age, int *seen)
{
	const char *tb = access("/sys/kernel/tracing/events", F_OK) == 0 ? "/sys/kernel/tracing"
									 : "/sys/kernel/debug/tracing";
	char path[256], line[512];
	int n = 0;
	FILE *f;

	*seen = 0;
	snprintf(path, sizeof(path), "%s/events/damon/damon_aggregated/enable", tb);
	if (wr(path, "1") < 0)
		return -1;
	sleep_s(0.5);
	wr(path, "0");
	snprintf(path, sizeof(path), "%s/trace", tb);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* damon_aggregated: target_id=T nr_regions=N START-END: NR_ACCESSES AGE */
		char *q = strstr(line, "damon_aggregated:");
		unsigned long a, b;
		unsigned int acc, age;

		if (q && (q = strstr(q, "nr_regions=")) && (q = strchr(q, ' ')) &&
		    sscanf(q, " %lu-%lu: %u %u", &a, &b, &acc, &age) == 4) {
			(*seen)++;
			n += !acc && age >= (unsigned int)min_age * 10; /* 100 ms aggregations */
		}
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/trace", tb);
	wr(path, ""); /* clear the buffer */
	return n;
}

/* The kernel's DAMON_RECLAIM with memward's min_age and intervals, always
 * active and, like memward, without quota. Returns its kdamond thread. */
static pid_t damon_reclaim_start(int min_age)
{
	char v[32];

	snprintf(v, sizeof(v), "%d", min_age * 1000000);
	if (wr(DR "min_age", v) < 0 || wr(DR "sample_interval", "5000") < 0 || wr(DR "aggr_interval", "100000") < 0 ||
	    wr(DR "wmarks_high", "1000") < 0 || wr(DR "wmarks_mid", "999") < 0 || wr(DR "wmarks_low", "0") < 0 ||
	    wr(DR "quota_ms", "0") < 0 || wr(DR "quota_sz", "0") < 0 || wr(DR "enabled", "Y") < 0)
		return -1;
	sleep_s(0.5);
	return (pid_t)rd(DR "kdamond_pid");
}

struct wl {
	char cg[256], rel[64];
	volatile struct counters *c;
	pid_t pid;
};

static void wl_start(struct wl *w, const char *name)
{
	int ready[2];
	char ch;

	snprintf(w->rel, sizeof(w->rel), "/mw-bench-%s", name);
	snprintf(w->cg, sizeof(w->cg), CG "%s", w->rel);
	mkdir(w->cg, 0755);
	w->c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pipe2(ready, O_CLOEXEC) < 0 || w->c == MAP_FAILED)
		exit(2);
	w->pid = workload(w->cg, w->c, ready[1]);
	close(ready[1]);
	if (read(ready[0], &ch, 1) != 1) {
		fprintf(stderr, "bench: workload did not start\n");
		exit(2);
	}
	close(ready[0]);
}

static void wl_end(struct wl *w)
{
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	munmap((void *)w->c, 4096);
	sleep_s(0.3);
	rmdir(w->cg);
}

static double rss_mib(pid_t pid)
{
	char p[64], line[128];
	double v = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	if (!(f = fopen(p, "re")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			v = (double)strtoull(line + 6, NULL, 10) / 1024;
	fclose(f);
	return v;
}

/* One peer: the subject workload under the reclaimer and a control workload
 * without one, side by side in the same seconds, so the host's load (shared
 * by other jobs) hits both alike. Measured over the second half. */
static void run_peer(struct result *r, const char *memward, int secs, int min_age)
{
	struct mw_memcg_stat s0 = { .sz = sizeof(s0) }, s1 = { .sz = sizeof(s1) }, c1 = { .sz = sizeof(c1) };
	struct wl sub, ctl;
	pid_t rec = 0, kd = 0;
	uint64_t p0, q0, cpu0 = 0;
	double b0, d0;

	wl_start(&sub, r->name);
	wl_start(&ctl, "control");
	sleep_s(1);
	mw_memcg_stat_get(sub.rel, &s0);
	if (!strcmp(r->name, "DAMON_RECLAIM")) {
		kd = damon_reclaim_start(min_age);
		if (kd <= 0)
			snprintf(r->note, sizeof(r->note), "could not start DAMON_RECLAIM");
		cpu0 = kd > 0 ? task_cpu_us(kd) : 0;
	} else if (strcmp(r->name, "none")) {
		bool damos = !strncmp(r->name, "memward-damos", 13);

		rec = start_memward(memward, damos ? "damon" : !strcmp(r->name, "memward-mglru") ? "mglru" : "memcg",
				    !strcmp(r->name, "memward-damos-pa"), sub.rel, min_age);
		if (damos) {
			sleep_s(1);
			kd = (pid_t)rd("/sys/kernel/mm/damon/admin/kdamonds/0/pid");
		}
	}
	if (!strcmp(r->name, "DAMON_RECLAIM") && kd > 0) {
		sleep_s(2.0 * min_age + 1);
		r->cand = dr_candidates(min_age, &r->cand_seen);
		sleep_s(secs / 2.0 - 2.0 * min_age - 1.5);
	} else {
		sleep_s(secs / 2.0);
	}
	p0 = sub.c->passes, b0 = sub.c->busy_s, q0 = ctl.c->passes, d0 = ctl.c->busy_s;
	sleep_s(secs / 2.0);
	r->pass_ms = (sub.c->busy_s - b0) * 1000 / (double)(sub.c->passes - p0 ? sub.c->passes - p0 : 1);
	r->ctl_pass_ms = (ctl.c->busy_s - d0) * 1000 / (double)(ctl.c->passes - q0 ? ctl.c->passes - q0 : 1);
	mw_memcg_stat_get(sub.rel, &s1);
	mw_memcg_stat_get(ctl.rel, &c1);
	r->rss_mib = rss_mib(sub.pid);
	r->mem_mib = (double)s1.current / MIB;
	r->ctl_mib = (double)c1.current / MIB;
	r->refaults = (long long)(s1.refault_anon + s1.refault_file - s0.refault_anon - s0.refault_file);
	if (kd > 0)
		r->cpu_s = (double)(task_cpu_us(kd) - cpu0) / 1e6;
	if (!strcmp(r->name, "DAMON_RECLAIM") && kd > 0) {
		wr(DR "enabled", "N");
		/* tried: the regions old and idle enough for the scheme */
		snprintf(r->note, sizeof(r->note), "%lld MiB reclaimed system-wide, %lld MiB in %lld regions tried; "
			 "trace: %d of %d regions idle and min-age old", rd(DR "bytes_reclaimed_regions") / (long long)MIB,
			 rd(DR "bytes_reclaim_tried_regions") / (long long)MIB, rd(DR "nr_reclaim_tried_regions"), r->cand,
			 r->cand_seen);
	}
	if (rec > 0) {
		struct rusage ru;
		int st;

		kill(rec, SIGTERM);
		wait4(rec, &st, 0, &ru);
		/* memward's own CPU (memory.reclaim and lru_gen writes run in it) */
		r->cpu_s += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			snprintf(r->note, sizeof(r->note), "memward exited with status 0x%x", st);
	}
	wl_end(&sub);
	wl_end(&ctl);
}

int main(int argc, char **argv)
{
	struct result r[] = { { .name = "none" }, { .name = "DAMON_RECLAIM" }, { .name = "memward-damos" },
			      { .name = "memward-damos-pa" }, { .name = "memward-mglru" }, { .name = "memcg-psi" } };
	const struct result *best = NULL, *dr = &r[1];
	int secs = argc > 2 ? atoi(argv[2]) : 60, min_age = argc > 3 ? atoi(argv[3]) : 3;

	if (argc < 2) {
		fprintf(stderr, "usage: bench-reclaim MEMWARD [SECONDS] [MIN_AGE_S]\n");
		return 64;
	}
	if (access(CG "/cgroup.controllers", F_OK) < 0) {
		fprintf(stderr, "bench: no cgroup2 at " CG " (run in the 6.12 guest: tests/vm/matrix --bench reclaim)\n");
		return 2;
	}
	printf("workload: %llu MiB anon, %llu MiB hot (written every 10 ms), %d s per peer, min-age %d s\n",
	       TOTAL / MIB, HOT / MIB, secs, min_age);
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		run_peer(&r[i], argv[1], secs, min_age);
		fflush(stdout);
	}
	printf("\n%-15s %8s %8s %8s %7s %9s %9s %9s %8s %7s  %s\n", "peer", "mem MiB", "control", "RSS MiB",
	       "saved", "pass ms", "ctl ms", "slowdown", "refaults", "CPU s", "note");
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		printf("%-15s %8.1f %8.1f %8.1f %6.1f%% %9.2f %9.2f %8.1f%% %8lld %7.2f  %s\n", r[i].name,
		       r[i].mem_mib, r[i].ctl_mib, r[i].rss_mib, (1 - r[i].mem_mib / r[i].ctl_mib) * 100, r[i].pass_ms,
		       r[i].ctl_pass_ms, (r[i].pass_ms / r[i].ctl_pass_ms - 1) * 100, r[i].refaults, r[i].cpu_s,
		       r[i].note);
	printf("saved: 1 - memory.current / the control's; slowdown: the hot pass's duration against the "
	       "control's in the same seconds (both share the guest's two vCPUs with the reclaimer)\n"
	       "memward-damos: vaddr pageout of the cgroup's processes; memward-damos-pa: --anon, paddr with "
	       "memcg and anon filters (the address space DAMON_RECLAIM monitors)\n\n");
	/* memward's best: the most saved among those within 5% slowdown */
	for (size_t i = 2; i < sizeof(r) / sizeof(r[0]); i++) {
		double sv = 1 - r[i].mem_mib / r[i].ctl_mib, sd = r[i].pass_ms / r[i].ctl_pass_ms - 1;

		if (sd <= 0.05 && !r[i].note[0] && (!best || sv > 1 - best->mem_mib / best->ctl_mib))
			best = &r[i];
	}
	if (!best) {
		printf("target: >= 30%% saved at <= 5%% slowdown: NOT MET (no memward mechanism within 5%% slowdown)\n");
		return 0;
	}
	{
		double sv = 1 - best->mem_mib / best->ctl_mib, sd = best->pass_ms / best->ctl_pass_ms - 1;
		double dsv = 1 - dr->mem_mib / dr->ctl_mib, dsd = dr->pass_ms / dr->ctl_pass_ms - 1;

		printf("memward's best within 5%% slowdown: %s, %.1f%% saved at %.1f%% slowdown\n", best->name, sv * 100,
		       sd * 100);
		printf("target: >= 30%% saved at <= 5%% slowdown: %s\n", sv >= 0.30 ? "MET" : "NOT MET");
		printf("target: no worse than DAMON_RECLAIM (%.1f%% saved at %.1f%% slowdown): saved %s; slowdown %s "
		       "(%+.1f points; the none peer's %.1f%% shows the method's noise)\n", dsv * 100, dsd * 100,
		       sv >= dsv ? "MET" : "NOT MET", sd <= dsd ? "MET" : "NOT MET", (sd - dsd) * 100,
		       (r[0].pass_ms / r[0].ctl_pass_ms - 1) * 100);
	}
	return 0;
}
