/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/audit: how long memward's audit scan takes next to `lsof -nP +L1`
 * (what an admin reaches for to list unlinked open files, memfds included).
 *
 * A fixture of N processes (default 2000), each holding M memfds (default
 * 10), is spawned as a fork tree in its own process group; both scanners
 * then walk the whole system R times (default 3) and the medians are
 * printed with their ratio and the time per 1,000 processes. memward is
 * timed four ways, taking turns within each run: the default scan (one
 * thread per CPU; as root, fd tables and maps from the BPF iterators), on
 * one thread, and both through /proc only (MW_AUDIT_F_NO_BPF). The fixture is
 * killed as a group at the end, on error and on SIGINT/SIGTERM; every
 * fixture process also has PR_SET_PDEATHSIG so that nothing survives a
 * SIGKILL of the bench itself.
 *
 * By default every memfd is executable and unsealed (memfd_create's legacy
 * default), so memward makes one finding per memfd: the worst case for it.
 * -s makes them MFD_NOEXEC_SEAL (the 6.3+ good practice): nothing to report.
 *
 * -L leaves lsof out (profiling memward alone): then no lsof time, ratio
 * or speed-up is printed, only what was measured.
 *
 * -c MEMWARD times the command instead, as a process (fork, exec, wait4 for
 * the peak RSS): every output format and --no-bpf next to lsof, at least 5
 * interleaved runs, medians. -B OTHER (with -c) times another build's
 * command (before a change) in the same runs, every format but --no-bpf,
 * and prints how much faster MEMWARD is than it. Then the choice of path by size: the fixture is
 * killed and another one brings the system to about -S PROCS processes
 * (default 150; 0 skips it), where the default command is timed against
 * --bpf and --no-bpf (on the large fixture, against --no-bpf).
 *
 * usage: bench-audit [-n PROCS] [-m MEMFDS] [-r RUNS] [-t THREADS] [-s] [-L] [-o] [-c MEMWARD [-B OTHER]] [-S PROCS]
 */
#include "sys/shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <memward/memward.h>

#define BRANCH 50 /* processes per branch of the fork tree */

static volatile pid_t group = -1;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void kill_group(void)
{
	if (group > 0) {
		double t0 = now();

		kill(-group, SIGKILL);
		while (waitpid(group, NULL, 0) < 0 && errno == EINTR)
			;
		/* the rest of the group (reparented, reaped by init) is gone
		 * before the next measurement counts processes */
		while (kill(-group, 0) == 0 && now() - t0 < 10)
			usleep(10000);
		group = -1;
	}
}

static void on_signal(int sig)
{
	if (group > 0)
		kill(-group, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}


/* A fixture process: m memfds, report ready, wait to be killed. */
static void holder(int m, int ready, pid_t parent, unsigned int flags)
{
	char name[32];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	for (int i = 0; i < m; i++) {
		snprintf(name, sizeof(name), "bench-%d", i);
		if (mw_sys_memfd_create(name, MFD_CLOEXEC | flags) < 0) {
			(void)!write(ready, "F", 1);
			_exit(1);
		}
	}
	(void)!write(ready, "r", 1);
}

/* The leader: fork n processes as branches of BRANCH (branch heads hold
 * memfds too). Never returns. */
static void leader(int n, int m, int ready, unsigned int flags)
{
	pid_t me = getpid();

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (int b = 0; b < n; b += BRANCH) {
		int size = n - b < BRANCH ? n - b : BRANCH;
		pid_t head = fork();

		if (head < 0) {
			(void)!write(ready, "F", 1);
			break;
		}
		if (head == 0) {
			pid_t h = getpid();

			/* Leaves first: a fork would copy the head's memfds. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (int i = 1; i < size; i++) {
				pid_t leaf = fork();

				if (leaf < 0) {
					(void)!write(ready, "F", 1);
					break;
				}
				if (leaf == 0) {
					holder(m, ready, h, flags);
					for (;;)
						pause();
				}
			}
			holder(m, ready, me, flags);
			for (;;)
				pause();
		}
	}
	for (;;)
		pause();
}

/* Spawn the fixture (n processes x m memfds) as a process group and wait
 * until every process is ready. 0, or -1 after a message. */
static int spawn_fixture(int n, int m, unsigned int flags)
{
	int ready[2], got = 0;
	double t0 = now();
	pid_t l;

	if (pipe2(ready, O_CLOEXEC) < 0) {
		perror("pipe");
		return -1;
	}
	l = fork();
	if (l < 0) {
		perror("fork");
		return -1;
	}
	if (l == 0) {
		setpgid(0, 0);
		close(ready[0]);
		leader(n, m, ready[1], flags);
	}
	setpgid(l, l);
	group = l;
	close(ready[1]);
	while (got < n) {
		struct pollfd p = { .fd = ready[0], .events = POLLIN };
		char buf[512];
		ssize_t r;

		if (poll(&p, 1, 30000) != 1) {
			fprintf(stderr, "bench-audit: fixture not ready after 30 s (%d of %d)\n", got, n);
			close(ready[0]);
			return -1;
		}
		r = read(ready[0], buf, sizeof(buf));
		if (r <= 0) {
			fprintf(stderr, "bench-audit: fixture died (%d of %d ready)\n", got, n);
			close(ready[0]);
			return -1;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != 'r') {
				fprintf(stderr, "bench-audit: a fixture process failed (fork or memfd_create)\n");
				close(ready[0]);
				return -1;
			}
			got++;
		}
	}
	close(ready[0]);
	printf("fixture: %d processes x %d memfds ready in %.2f s\n", n, m, now() - t0);
	return 0;
}

/* What is timed: the default scan (-t threads; 0: one per CPU), then the
 * same on one thread, then through /proc only (no BPF iterators). */
#define NVARIANTS 4
static struct {
	const char *label;
	unsigned int threads, flags;
} variants[NVARIANTS] = {
	{ "default", 0, 0 },
	{ "1 thread", 1, 0 },
	{ "/proc only", 0, MW_AUDIT_F_NO_BPF },
	{ "/proc only, 1 thread", 1, MW_AUDIT_F_NO_BPF },
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Run lsof -nP +L1; returns seconds, stores the number of output lines. */
static double run_lsof(long *lines)
{
	static char buf[1 << 16];
	int fds[2];
	double t0 = now();
	pid_t pid;
	int st;

	*lines = 0;
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		close(fds[0]);
		execlp("lsof", "lsof", "-nP", "+L1", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], buf, sizeof(buf));

		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			*lines += buf[i] == '\n';
	}
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) == 127)
		return -1;
	return now() - t0;
}

/* ---- -c: the command as a process ------------------------------------- */

/* Run argv with stdout to /dev/null; seconds, peak RSS (KiB) in *rss. */
static double run_cmd(char *const argv[], long *rss, double *cpu)
{
	struct rusage ru;
	double t0 = now();
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) > 1)
		return -1;
	*rss = ru.ru_maxrss;
	*cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	return now() - t0;
}

#define MAXCMDS 10
#define MAXRUNS 16

/* Run the k commands argvs[] in turn, runs times (a noisy moment hits them
 * alike): median wall time and peak RSS of each. A NULL argv[0] is memward.
 * 0, or 2 after a message. */
static const char *other_cmd; /* -B */

static int time_cmds(const char *memward, char *const argvs[][8], const char *const labels[], int k,
		     int runs, double med[], long rmed[], double cmed[])
{
	double t[MAXCMDS][MAXRUNS], cpu[MAXCMDS][MAXRUNS];
	long rss[MAXCMDS][MAXRUNS];

	/* One round first, not timed: the first walk of a new fixture makes
	 * the /proc dentries and inodes of its fds, which would be charged to
	 * whichever command comes first. Each round starts one command later
	 * than the one before: no command always runs first, or always
	 * right after the same other (what one leaves the kernel to clean up,
	 * a BPF program's deferred release say, lands on the next). */
	for (int i = -1; i < runs; i++)
		for (int j = 0; j < k; j++) {
			int c = (j + (i < 0 ? 0 : i)) % k;
			char *argv[8];
			long r = 0;
			double d, u = 0;

			memcpy(argv, argvs[c], sizeof(argv));
			if (!argv[0])
				argv[0] = (char *)memward;
			else if (!strcmp(argv[0], "OTHER"))
				argv[0] = (char *)other_cmd;
			d = run_cmd(argv, &r, &u);
			if (d < 0) {
				fprintf(stderr, "bench-audit: %s did not run\n", labels[c]);
				return 2;
			}
			if (i >= 0) {
				t[c][i] = d;
				rss[c][i] = r;
				cpu[c][i] = u;
			}
		}
	for (int c = 0; c < k; c++) {
		double r[MAXRUNS];

		med[c] = median(t[c], runs);
		cmed[c] = median(cpu[c], runs);
		for (int i = 0; i < runs; i++)
			r[i] = (double)rss[c][i];
		rmed[c] = (long)median(r, runs);
	}
	return 0;
}

/* Processes on the system now (the numeric entries of /proc). */
static int count_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
	closedir(d);
	return n;
}

/* Every output format of `memward audit`, --no-bpf, and lsof. */
static int bench_commands(const char *memward, int runs)
{
	static char *const argvs[][8] = {
		{ "lsof", "-nP", "+L1", NULL },
		{ NULL, "audit", "--fail-on", "none", NULL },
		{ NULL, "audit", "--fail-on", "none", "--json", NULL },
		{ NULL, "audit", "--fail-on", "none", "--jsonl", NULL },
		{ NULL, "audit", "--fail-on", "none", "--prometheus", NULL },
		{ NULL, "audit", "--fail-on", "none", "--no-bpf", NULL },
		{ "OTHER", "audit", "--fail-on", "none", NULL },
		{ "OTHER", "audit", "--fail-on", "none", "--json", NULL },
		{ "OTHER", "audit", "--fail-on", "none", "--jsonl", NULL },
		{ "OTHER", "audit", "--fail-on", "none", "--prometheus", NULL },
	};
	static const char *const labels[] = { "lsof -nP +L1", "memward audit (table)", "--json",
					      "--jsonl", "--prometheus", "--no-bpf (table)", "-B: table",
					      "-B: --json", "-B: --jsonl", "-B: --prometheus" };
	double med[MAXCMDS], cmed[MAXCMDS];
	long rmed[MAXCMDS];
	int k = other_cmd ? 10 : 6;

	if (time_cmds(memward, argvs, labels, k, runs, med, rmed, cmed))
		return 2;
	/* CPU time (user + system, all threads) beside the wall time: on a
	 * machine shared with other work the wall time of a multi-threaded
	 * command says as much about the scheduler as about the command. */
	printf("commands, medians of %d interleaved runs (wall time, CPU time, peak RSS):\n", runs);
	printf("  %-24s %8.4f s %8.4f s %7ld KiB\n", labels[0], med[0], cmed[0], rmed[0]);
	for (int c = 1; c < k; c++)
		printf("  %-24s %8.4f s %8.4f s %7ld KiB  %5.1fx faster than lsof (CPU %4.1fx); RSS %.2fx the table's\n",
		       labels[c], med[c], cmed[c], rmed[c], med[0] / med[c], cmed[0] / cmed[c],
		       (double)rmed[c] / (double)rmed[1]);
	for (int c = 6; c < k; c++)
		printf("  %-24s this build is %.2fx faster (CPU %.2fx) than %s\n", labels[c], med[c] / med[c - 5],
		       cmed[c] / cmed[c - 5], other_cmd);
	printf("path choice on %d processes: default %.1f ms (CPU %.1f ms), /proc (--no-bpf) %.1f ms (CPU %.1f ms): "
	       "default is %.2fx the /proc path's time\n", count_procs(), med[1] * 1e3, cmed[1] * 1e3, med[5] * 1e3,
	       cmed[5] * 1e3, med[1] / med[5]);
	return 0;
}

/* The path choice: on a system of about `total` processes (a fixture for
 * the difference) and on the 2,000-process one, the default command
 * against both paths forced (--bpf: the iterators whatever the size;
 * --no-bpf: /proc). */
static int bench_small(const char *memward, int total, int m, unsigned int flags, int runs)
{
	static char *const argvs[][8] = {
		{ NULL, "audit", "--fail-on", "none", NULL },
		{ NULL, "audit", "--fail-on", "none", "--bpf", NULL },
		{ NULL, "audit", "--fail-on", "none", "--no-bpf", NULL },
	};
	static const char *const labels[] = { "default", "--bpf", "--no-bpf" };
	double med[MAXCMDS], cmed[MAXCMDS];
	long rmed[MAXCMDS];
	int have = count_procs(), n = total - have;

	if (have < 0) {
		fprintf(stderr, "bench-audit: cannot list /proc\n");
		return 2;
	}
	if (n > 0 && spawn_fixture(n, m, flags) < 0)
		return 2;
	have = count_procs();
	if (time_cmds(memward, argvs, labels, 3, runs, med, rmed, cmed))
		return 2;
	kill_group();
	printf("path choice on %d processes (%d of them the fixture), medians of %d interleaved runs:\n",
	       have, n > 0 ? n : 0, runs);
	printf("  default %.1f ms, BPF iterators (--bpf) %.1f ms, /proc (--no-bpf) %.1f ms: "
	       "default is %.2fx the /proc path's time, %.2fx the BPF path's\n",
	       med[0] * 1e3, med[1] * 1e3, med[2] * 1e3, med[0] / med[2], med[0] / med[1]);
	printf("  CPU: default %.1f ms, --bpf %.1f ms, --no-bpf %.1f ms\n", cmed[0] * 1e3, cmed[1] * 1e3,
	       cmed[2] * 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	int n = 2000, m = 10, runs = 3, c, small = 150;
	bool no_lsof = false;
	bool noexec = false;
	const char *cmd = NULL;
	double tl[16], lsof_med, tv[NVARIANTS][16], med[NVARIANTS];
	bool via_bpf = false;
	int nvariants = NVARIANTS;
	size_t findings = 0, memfd_findings = 0;
	unsigned int scanned = 0, flags = 0;
	long lsof_lines = 0;
	struct rlimit rl;

	while ((c = getopt(argc, argv, "n:m:r:t:Losc:S:B:")) != -1) {
		switch (c) {
		case 'B': other_cmd = optarg; break;
		case 'S': small = atoi(optarg); break;
		case 'c': cmd = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'm': m = atoi(optarg); break;
		case 'r': runs = atoi(optarg); break;
		case 't': variants[0].threads = variants[2].threads = (unsigned int)atoi(optarg); break;
		case 's': noexec = true; break; /* MFD_NOEXEC_SEAL memfds: no findings */
		case 'L': no_lsof = true; break; /* profiling memward alone */
		case 'o': nvariants = 1; break; /* only the default scan (profiling) */
		default:
			fprintf(stderr, "usage: bench-audit [-n PROCS] [-m MEMFDS] [-r RUNS] [-t THREADS] [-s (noexec memfds)] [-L (skip lsof)] [-o (default scan only)] [-c MEMWARD (time the command) [-B OTHER (and another build's)]] [-S PROCS (with -c: the small system, 0 none)]\n");
			return 64;
		}
	}
	if (n < 1 || n > 20000 || m < 0 || m > 1000 || runs < 1 || runs > 15) {
		fprintf(stderr, "bench-audit: -n 1..20000, -m 0..1000, -r 1..15\n");
		return 64;
	}
	/* Room for the fixture: RLIMIT_NPROC counts every process of the uid. */
	if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)n + 1000) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NPROC, &rl) < 0 || rl.rlim_cur < (rlim_t)n + 1000) {
			fprintf(stderr, "bench-audit: RLIMIT_NPROC %llu is too low for %d processes\n",
				(unsigned long long)rl.rlim_cur, n);
			return 2;
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)m + 16) {
		fprintf(stderr, "bench-audit: RLIMIT_NOFILE too low for %d memfds\n", m);
		return 2;
	}
	if (noexec && mw_feature_state(MW_FEAT_MFD_NOEXEC_SEAL) == MW_FEATURE_SUPPORTED)
		flags = MFD_NOEXEC_SEAL; /* the modern default: nothing to report */
	else if (!noexec && mw_feature_state(MW_FEAT_MFD_EXEC) == MW_FEATURE_SUPPORTED)
		flags = MFD_EXEC; /* the legacy default: executable, unsealed: a finding each */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	atexit(kill_group);
	if (spawn_fixture(n, m, flags) < 0)
		return 2;
	if (cmd) {
		int rc = bench_commands(cmd, runs < 5 ? 5 : runs);

		kill_group();
		if (!rc && small)
			rc = bench_small(cmd, small, m, flags, runs < 5 ? 5 : runs);
		return rc;
	}
	/* The variants take turns within each run, so that a noisy moment
	 * hits them alike. */
	for (int i = 0; i < runs; i++) {
		for (int v = 0; v < nvariants; v++) {
			struct mw_audit_report *r = NULL;
			struct mw_audit_opts o = { .sz = sizeof(o), .threads = variants[v].threads,
						   .flags = variants[v].flags };
			double t0 = now();
			int err = mw_audit_scan(&o, &r);
			size_t mf = 0;
			bool ours = false;

			tv[v][i] = now() - t0;
			if (err < 0) {
				fprintf(stderr, "bench-audit: mw_audit_scan (%s): %s\n", variants[v].label,
					strerror(-err));
				return 2;
			}
			/* exec_memfd findings about the fixture (the rest of
			 * the system may change between scans) */
			for (size_t k = 0; k < r->nfindings; k++) {
				const struct mw_audit_finding *f = r->findings[k];

				if (k == 0 || f->pid != r->findings[k - 1]->pid)
					ours = getpgid(f->pid) == group;
				mf += ours && f->kind == MW_AUDIT_EXEC_MEMFD;
			}
			if (v == 0) {
				findings = r->nfindings;
				scanned = r->procs_scanned;
				memfd_findings = mf;
				via_bpf = r->via_bpf;
			} else if (mf != memfd_findings) {
				fprintf(stderr, "bench-audit: %s found %zu exec_memfd in the fixture, the default scan %zu\n",
					variants[v].label, mf, memfd_findings);
				return 2;
			}
			mw_audit_report_free(r);
		}
		if (no_lsof)
			continue;
		tl[i] = run_lsof(&lsof_lines);
		if (tl[i] < 0) {
			fprintf(stderr, "bench-audit: lsof did not run (is it installed?)\n");
			return 2;
		}
	}
	kill_group();

	lsof_med = no_lsof ? 0 : median(tl, runs);
	for (int v = 0; v < nvariants; v++)
		med[v] = median(tv[v], runs);
	printf("memward audit: %.4f s median of %d (%u processes scanned, %zu findings, %zu exec_memfd in the fixture; "
	       "fd tables and maps from %s)\n", med[0], runs, scanned, findings, memfd_findings,
	       via_bpf ? "BPF iterators" : "/proc");
	for (int v = 1; v < nvariants; v++)
		printf("  %-28s %.4f s\n", variants[v].label, med[v]);
	if (!no_lsof) {
		printf("lsof -nP +L1:  %.4f s median of %d (%ld output lines)\n", lsof_med, runs, lsof_lines);
		printf("ratio: memward is %.1fx faster than lsof (", lsof_med / med[0]);
		for (int v = 1; v < nvariants; v++)
			printf("%s%s: %.1fx", v > 1 ? ", " : "", variants[v].label, lsof_med / med[v]);
		printf(")\n");
	}
	printf("per 1000 processes: memward %.2f ms (", med[0] * 1e6 / scanned);
	for (int v = 1; v < nvariants; v++)
		printf("%s%s: %.2f ms", v > 1 ? ", " : "", variants[v].label, med[v] * 1e6 / scanned);
	if (no_lsof)
		printf("); lsof not run (-L)\n");
	else
		printf("), lsof %.2f ms\n", lsof_med * 1e6 / scanned);
	return 0;
}
