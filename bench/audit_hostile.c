/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench/audit-hostile: what command lines written by an attacker cost
 * `memward audit`. Every process that holds a memfd has its whole command
 * line read for the paths that name its fds, and an interpreter's also for
 * the paths it builds (shell patterns, expansions) and its environment: an
 * unprivileged user controls all of it, up to 2 MiB a process.
 *
 * Fixtures, each a process group killed at the end (and PR_SET_PDEATHSIG):
 *   benign   -n shells (sh -c 'read x'), a memfd at fd 3, short arguments;
 *   hostile  the same number of shells, a memfd at fd 3, each with 15
 *            arguments of 128 KiB - 1 (1.9 MiB) of one shape, the shapes
 *            taken in turn: "/dev/" repeated (once quadratic), "/fd "
 *            words, "{" (brace lists), "/proc/$a/x " (pattern words),
 *            "a/../" (dot-dot), "%2f" (URL escapes), "'\"" (quotes),
 *            "$(" (unclosed expansions), and plain text.
 * Timed as processes, interleaved, -r runs (5), medians:
 *   memward audit --json --fail-on none   on benign, then on hostile
 *   ps -eww -o pid=,args=                 on hostile (it reads every
 *                                         command line whole, and prints it)
 * and, per shape, memward audit --json --pid PID on one hostile process.
 * Printed: each median, hostile against benign, and memward against ps on
 * the same processes. Target: a hostile fixture costs memward no more than
 * 3x what ps spends reading and printing the same command lines (reading
 * them for fds must stay linear, and cheap per byte). Root (memward reads
 * other users' processes; the fixture runs as root too).
 *
 * usage: bench-audit-hostile [-n PROCS] [-r RUNS] MEMWARD
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TARGET_VS_PS 3.0
#define ARG_LEN (128 * 1024 - 1) /* MAX_ARG_STRLEN less the NUL */
#define NARGS 15

static const struct shape {
	const char *name, *unit;
} shapes[] = {
	{ "\"/dev/\" repeated", "/dev/" }, { "\"/fd \" words", "/fd " },    { "\"{\"", "{" },
	{ "\"/proc/$a/x \"", "/proc/$a/x " }, { "\"a/../\"", "a/../" },     { "\"%2f\"", "%2f" },
	{ "quotes", "'\"" },                   { "\"$(\" unclosed", "$(" }, { "plain text", "abcdefg " },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

static pid_t groups[2] = { -1, -1 };

static void kill_all(void)
{
	for (int i = 0; i < 2; i++)
		if (groups[i] > 0)
			kill(-groups[i], SIGKILL);
}

static void on_signal(int sig)
{
	kill_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

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

/* One fixture process: sh -c 'read x' with a memfd at fd 3, stdin the
 * read end of a pipe nobody writes, arguments of shape (or short ones
 * with shape NULL), in process group pgid (0: its own). Its pid. */
static pid_t spawn(const struct shape *shape, pid_t pgid, int stdin_fd)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setpgid(0, pgid);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	{
		static char args[NARGS][ARG_LEN + 1];
		char *argv[NARGS + 6];
		int n = 0, m;

		/* stdin first: the pipe's end may be fd 3 */
		if (dup2(stdin_fd, 0) != 0 || (m = memfd_create("mw-bench-hostile", 0)) < 0 || dup2(m, 3) != 3)
			_exit(120);
		argv[n++] = "sh";
		argv[n++] = "-c";
		argv[n++] = "read x";
		argv[n++] = "sh";
		if (shape) {
			size_t u = strlen(shape->unit);

			for (int a = 0; a < NARGS; a++) {
				size_t o = 0;

				while (o + u <= ARG_LEN) {
					memcpy(args[a] + o, shape->unit, u);
					o += u;
				}
				args[a][o] = '\0';
				argv[n++] = args[a];
			}
		} else {
			argv[n++] = "benign";
		}
		argv[n] = NULL;
		{
			char *env[] = { "PATH=/usr/bin:/bin", NULL };

			execve("/bin/sh", argv, env); /* 1.9 MiB of arguments: no room for more */
		}
		_exit(121);
	}
}

/* A fixture of n processes: its group's pid, pids into pids[]. */
static pid_t fixture(int n, bool hostile, pid_t *pids, int stdin_fd)
{
	pid_t pgid = 0;

	for (int i = 0; i < n; i++) {
		pids[i] = spawn(hostile ? &shapes[(size_t)i % NSHAPES] : NULL, pgid, stdin_fd);
		if (pids[i] < 0)
			return -1;
		if (!pgid) {
			pgid = pids[i];
			setpgid(pids[i], pgid);
		}
	}
	return pgid;
}

/* Wait until every pid runs /bin/sh with its arguments in place. */
static void settle(const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		char path[64], buf[16];

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pids[i]);
		for (int k = 0; k < 500; k++) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

			if (fd >= 0)
				close(fd);
			if (r >= 3 && !memcmp(buf, "sh", 3))
				break;
			usleep(10000);
		}
	}
}

/* Run argv with its output to /dev/null; its wall time (s), or -1. */
static double run(char *const argv[])
{
	double t = now();
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* stderr too: a partial scan's note (a process of another
		 * sandbox here) is not what is timed */
		if (null < 0 || dup2(null, 1) != 1 || dup2(null, 2) != 2)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) > 1)
		return -1;
	return now() - t;
}

int main(int argc, char **argv)
{
	int n = 54, runs = 5, opt, p[2];
	char *memward;
	pid_t *benign, *hostile;
	double *tb, *th, *tp, mb, mh, mp;
	bool ok = true;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'r')
			runs = atoi(optarg);
		else
			goto usage;
	}
	if (optind != argc - 1 || n < (int)NSHAPES || runs < 1)
		goto usage;
	memward = argv[optind];
	if (geteuid() != 0) {
		fprintf(stderr, "bench-audit-hostile: run as root (the audit reads every process)\n");
		return 77;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	benign = calloc((size_t)n, sizeof(*benign));
	hostile = calloc((size_t)n, sizeof(*hostile));
	tb = calloc((size_t)runs, sizeof(double));
	th = calloc((size_t)runs, sizeof(double));
	tp = calloc((size_t)runs, sizeof(double));
	if (!benign || !hostile || !tb || !th || !tp || pipe(p) < 0)
		return 1;

	printf("bench-audit-hostile: %d shells holding a memfd, benign against hostile arguments (%d x %d KiB each), %d runs\n",
	       n, NARGS, (ARG_LEN + 1) / 1024, runs);
	groups[0] = fixture(n, false, benign, p[0]);
	if (groups[0] < 0)
		goto fail;
	settle(benign, n);
	{
		char *mw[] = { memward, "audit", "--json", "--fail-on", "none", NULL };

		for (int r = 0; r < runs && ok; r++)
			ok = (tb[r] = run(mw)) >= 0;
	}
	kill(-groups[0], SIGKILL);
	groups[0] = -1;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	groups[1] = fixture(n, true, hostile, p[0]);
	if (!ok || groups[1] < 0)
		goto fail;
	settle(hostile, n);
	{
		char *mw[] = { memward, "audit", "--json", "--fail-on", "none", NULL };
		char *ps[] = { "ps", "-eww", "-o", "pid=,args=", NULL };

		for (int r = 0; r < runs && ok; r++) {
			ok = (th[r] = run(mw)) >= 0;
			ok = ok && (tp[r] = run(ps)) >= 0;
		}
	}
	if (!ok)
		goto fail;
	mb = median(tb, runs);
	mh = median(th, runs);
	mp = median(tp, runs);
	printf("  memward audit --json, benign:  %8.1f ms\n", mb * 1e3);
	printf("  memward audit --json, hostile: %8.1f ms (%.2fx benign; %.1f ms more per hostile process)\n", mh * 1e3,
	       mh / mb, (mh - mb) * 1e3 / n);
	printf("  ps -eww -o pid=,args=, hostile: %7.1f ms\n", mp * 1e3);
	printf("  memward against ps on the hostile fixture: %.2fx (target <= %.0fx): %s\n", mh / mp, TARGET_VS_PS,
	       mh / mp <= TARGET_VS_PS ? "MET" : "NOT MET");
	printf("  per shape, memward audit --json --pid PID (one process, median of %d):\n", runs);
	for (size_t s = 0; s < NSHAPES; s++) {
		char pid[16];
		char *mw[] = { memward, "audit", "--json", "--fail-on", "none", "--pid", pid, NULL };
		double *t = calloc((size_t)runs, sizeof(double));

		if (!t)
			goto fail;
		snprintf(pid, sizeof(pid), "%d", (int)hostile[s]);
		for (int r = 0; r < runs && ok; r++)
			ok = (t[r] = run(mw)) >= 0;
		if (ok)
			printf("    %-20s %7.1f ms\n", shapes[s].name, median(t, runs) * 1e3);
		free(t);
	}
	kill_all();
	while (waitpid(-1, NULL, 0) > 0)
		;
	return mh / mp <= TARGET_VS_PS ? 0 : 1;
fail:
	fprintf(stderr, "bench-audit-hostile: a fixture or a timed command failed (%s)\n", strerror(errno));
	kill_all();
	return 1;
usage:
	fprintf(stderr, "usage: bench-audit-hostile [-n PROCS] [-r RUNS] MEMWARD\n");
	return 2;
}
