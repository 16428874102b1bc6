/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * No process lends its exe link to another: a scan that read one link
 * for all the processes running one file (from BPF records, after the
 * iterators saw them) was fooled by a process exec'ing meanwhile, and was
 * dropped. Q runs a copy of this program, x, which is then unlinked: Q's
 * exe is "x (deleted)", a fileless_exec finding; the inode lives on as the
 * hard link y. P, started before Q (a lower pid: read first), execs without
 * pause between Q's file (through /proc/Q/exe: the same unlinked name) and
 * y. A scan that took P's link for every process that runs x would show Q
 * running "y", its deleted executable gone from the report (18 of 91 scans
 * did so). Every scan (one collector) must give Q its own path and its
 * finding.
 *
 * Root only (a mount namespace; the iterators). Skipped when they do not
 * load (the /proc scan reads every link itself).
 *
 * usage: live-audit-exe-link-race
 *        live-audit-exe-link-race --hold READY_FD
 *        live-audit-exe-link-race --flip QPID Y N
 */
#include "copies.h"
#include "sys/shim.h"

#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

#include <memward/memward.h>

#define SECONDS 4.0

static char dir[] = "/tmp/memward-exe-race-XXXXXX";
static bool made;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void cleanup(void)
{
	if (made)
		copies_remove(dir);
}

/* P: exec Q's file (through /proc/QPID/exe) and y in turn, for ever. */
static int flip(const char *qpid, const char *y, long n)
{
	char next[24], qexe[64];
	char *argv[] = { NULL, "--flip", (char *)qpid, (char *)y, next, NULL };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	for (volatile long i = (n % 7) * 20000; i > 0; i--)
		; /* a few different moments */
	snprintf(next, sizeof(next), "%ld", n + 1);
	snprintf(qexe, sizeof(qexe), "/proc/%s/exe", qpid);
	argv[0] = n % 2 ? (char *)y : qexe;
	execv(argv[0], argv);
	return 1;
}

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], argv);
		_exit(121);
	}
	return pid;
}

int main(int argc, char **argv)
{
	char x[96], y[96], qpid[16], c;
	int ready[2], scans = 0, poisoned = 0, bpf = 0;
	pid_t p, q;

	if (argc == 3 && !strcmp(argv[1], "--hold")) {
		if (mw_sys_memfd_create("mw-exe-race", 0) < 0) /* a finding of its own */
			return 1;
		(void)!write(atoi(argv[2]), "r", 1);
		for (;;)
			pause();
	}
	if (argc == 5 && !strcmp(argv[1], "--flip"))
		return flip(argv[2], argv[3], atol(argv[4]));
	if (geteuid() != 0)
		live_skip("needs root (a private mount namespace, and CAP_BPF for the iterators)");
	atexit(cleanup);
	copies_make(dir, "x", x, sizeof(x));
	made = true;
	snprintf(y, sizeof(y), "%s/bin/y", dir);
	REQUIRE(link(x, y) == 0, "link: %s", strerror(errno));

	/* P first (the lower pid), waiting for Q to exist */
	REQUIRE(pipe2(ready, 0) == 0, "pipe: %s", strerror(errno));
	p = fork();
	REQUIRE(p >= 0, "fork: %s", strerror(errno));
	if (p == 0) {
		char qp[16] = { 0 };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[1]);
		if (read(ready[0], qp, sizeof(qp) - 1) <= 0)
			_exit(120);
		return flip(qp, y, 0);
	}
	{
		int qready[2];
		char qfd[16];

		REQUIRE(pipe2(qready, 0) == 0, "pipe: %s", strerror(errno));
		snprintf(qfd, sizeof(qfd), "%d", qready[1]);
		q = spawn((char *const[]){ x, "--hold", qfd, NULL });
		close(qready[1]);
		REQUIRE(read(qready[0], &c, 1) == 1, "Q did not start");
		close(qready[0]);
	}
	REQUIRE(p < q, "P (%d) must have the lower pid than Q (%d): pids wrapped", (int)p, (int)q);
	REQUIRE(unlink(x) == 0, "unlink %s: %s", x, strerror(errno));
	snprintf(qpid, sizeof(qpid), "%d", (int)q);
	REQUIRE(write(ready[1], qpid, strlen(qpid)) == (ssize_t)strlen(qpid), "start P");
	close(ready[0]);
	close(ready[1]);
	{
		char want[128];

		snprintf(want, sizeof(want), "%s (deleted)", x);
		for (double end = now() + SECONDS; now() < end;) {
			struct mw_audit_opts o = { .sz = sizeof(o), .flags = MW_AUDIT_F_BPF, .threads = 1 };
			struct mw_audit_report *r = NULL;
			bool fileless = false, wrong = false;
			int err = mw_audit_scan(&o, &r);

			REQUIRE(err == 0, "scan: %s", strerror(-err));
			scans++;
			bpf += r->via_bpf;
			for (size_t i = 0; i < r->nfindings; i++) {
				const struct mw_audit_finding *f = r->findings[i];

				if (f->pid != q)
					continue;
				if (strcmp(f->exe, want)) {
					if (!wrong)
						printf("scan %d: Q's finding (%s) says exe %s\n", scans,
						       mw_audit_kind_key(f->kind), f->exe);
					wrong = true;
				}
				fileless |= f->kind == MW_AUDIT_FILELESS_EXEC;
			}
			poisoned += wrong || !fileless;
			mw_audit_report_free(r);
		}
	}
	kill(p, SIGKILL);
	kill(q, SIGKILL);
	CHECK(live_wait(p) == 128 + SIGKILL, "P stopped exec'ing before the end: the race was not run");
	live_wait(q);
	live_note("%d scans (%d through the iterators), %d gave Q another exe or no fileless_exec", scans, bpf,
		  poisoned);
	CHECK(poisoned == 0, "%d of %d scans gave Q (running %s (deleted)) another file's path or lost its "
	      "finding", poisoned, scans, x);
	if (!bpf)
		live_skip("the BPF iterators did not load: only the /proc scan, which reads every link "
			  "for its own process, was checked");
	return live_done();
}
