/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A full scan chooses its path by the number of processes, not of tasks:
 * loading the BPF iterators costs about as much as reading 300 processes
 * through /proc, and threads cost neither path much (/proc lists thread
 * groups; the iterators skip threads that share their leader's files and
 * mm). A child with 1,100 threads makes the task count pass the old
 * threshold (1,000 tasks) on a system of a few processes: the scan must read
 * /proc then, and use the iterators once MW_AUDIT_F_BPF insists (or when the
 * system really runs 300 processes or more).
 *
 * usage: live-audit-path-choice
 */
#include "live.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>

#include <memward/memward.h>

#define THREADS 1100

static void *park(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A child with THREADS threads; writes 'r' when they run, 'F' if it cannot. */
static pid_t threaded_child(void)
{
	int p[2];
	char c = 0;
	pid_t pid;

	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		pthread_attr_t a;
		int n = 0;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pthread_attr_init(&a);
		pthread_attr_setstacksize(&a, 64 << 10);
		for (; n < THREADS; n++) {
			pthread_t t;

			if (pthread_create(&t, &a, park, NULL) != 0)
				break;
		}
		(void)!write(p[1], n == THREADS ? "r" : "F", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	REQUIRE(read(p[0], &c, 1) == 1, "threaded child died");
	close(p[0]);
	if (c != 'r') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		live_skip("cannot start %d threads here (RLIMIT_NPROC or memory)", THREADS);
	}
	return pid;
}

static int count_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	REQUIRE(d, "opendir /proc: %s", strerror(errno));
	while ((e = readdir(d)))
		n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
	closedir(d);
	return n;
}

static bool scan_via_bpf(unsigned int flags)
{
	struct mw_audit_opts o = { .sz = sizeof(o), .flags = flags | MW_AUDIT_F_NO_NS_PROBE };
	struct mw_audit_report *r = NULL;
	bool via;
	int err = mw_audit_scan(&o, &r);

	REQUIRE(err == 0 && r, "mw_audit_scan: %s", strerror(-err));
	via = r->via_bpf;
	mw_audit_report_free(r);
	return via;
}

int main(void)
{
	pid_t child;
	int checked = 0;

	if (getuid() != 0)
		live_skip("the BPF iterators need root");
	child = threaded_child();
	/* Where the iterators cannot run (no BTF, a kernel before the task
	 * iterators, BPF refused), no scan uses them: nothing to choose. */
	if (!scan_via_bpf(MW_AUDIT_F_BPF)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		live_skip("a scan with MW_AUDIT_F_BPF did not run the BPF iterators here");
	}
	/* The process count may move while the scan runs (other tests):
	 * judge only scans with the same side of 300 before and after. */
	for (int i = 0; i < 20 && checked < 3; i++) {
		int before = count_procs();
		bool via = scan_via_bpf(0);
		int after = count_procs();

		if ((before < MW_AUDIT_BPF_MIN_PROCS) != (after < MW_AUDIT_BPF_MIN_PROCS))
			continue;
		CHECK(via == (before >= MW_AUDIT_BPF_MIN_PROCS),
		      "%d processes (%d threads in one of them): the scan %s the BPF iterators", before,
		      THREADS, via ? "used" : "did not use");
		checked++;
	}
	CHECK(checked == 3, "the process count kept crossing %d: %d scans judged", MW_AUDIT_BPF_MIN_PROCS, checked);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return live_done();
}
