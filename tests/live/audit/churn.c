/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memward audit on a moving system: while children create, map, close and
 * exit memfds and short-lived processes as fast as they can, repeated full
 * scans must succeed (no error, no crash, counters consistent). Then a
 * process with a very large fd table (thousands of fds, many of them the
 * same memfd) is scanned: found once per inode, with its lowest fd.
 *
 * usage: live-audit-churn
 */
#include "live.h"
#include "kernel.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <memward/memward.h>

#define CHURNERS 3
#define BIG_FDS 20000

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void churn(unsigned int flags)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (unsigned long i = 0;; i++) {
		int fd = mw_sys_memfd_create("mw-churn", MFD_CLOEXEC | flags);

		if (fd >= 0) {
			if (ftruncate(fd, 4096) == 0) {
				void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

				if (p != MAP_FAILED)
					munmap(p, 4096);
			}
			close(fd);
		}
		if (i % 16 == 0) {
			pid_t c = fork();

			if (c == 0) {
				int keep = mw_sys_memfd_create("mw-churn-child", MFD_CLOEXEC | flags);

				(void)keep;
				_exit(0);
			}
			if (c > 0)
				waitpid(c, NULL, 0);
		}
	}
}

int main(void)
{
	pid_t kids[CHURNERS], big;
	unsigned int flags = 0;
	struct mw_audit_report *r = NULL;
	int ready[2], scans = 0, err;
	double t0;
	char c;

	if (lk_memfd_create(MFD_EXEC) == 0)
		flags = MFD_EXEC;
	for (int i = 0; i < CHURNERS; i++) {
		kids[i] = fork();
		REQUIRE(kids[i] >= 0, "fork");
		if (kids[i] == 0)
			churn(flags);
	}
	t0 = now();
	/* at least 3 scans and 2 s of churn (not a speed test: a TCG guest
	 * under load takes seconds for a scan) */
	while ((now() - t0 < 2.0 || scans < 3) && now() - t0 < 60.0) {
		/* the BPF iterators where they work (as before the choice by
		 * system size: a small guest would read /proc) */
		struct mw_audit_opts o = { .sz = sizeof(o), .flags = MW_AUDIT_F_BPF };

		err = mw_audit_scan(&o, &r);
		CHECK(err == 0, "scan %d under churn: %s", scans, strerror(-err));
		if (err)
			break;
		if (scans == 0)
			live_note("first scan under churn: %.3f s, %u processes seen, %u rescanned, bpf %d",
				  r->duration_s, r->procs_seen, r->procs_rescanned, r->via_bpf);
		err = r->procs_scanned + r->procs_unreadable + r->procs_vanished + r->procs_kernel ==
		      r->procs_seen;
		CHECK(err, "scan %d: scanned %u + unreadable %u + vanished %u + kernel %u != seen %u",
		      scans, r->procs_scanned, r->procs_unreadable, r->procs_vanished, r->procs_kernel,
		      r->procs_seen);
		for (size_t i = 0; i < r->nfindings && err; i++)
			CHECK(r->findings[i]->reason && r->findings[i]->exe && r->findings[i]->object,
			      "finding with NULL strings");
		mw_audit_report_free(r);
		if (!err)
			break;
		scans++;
	}
	live_note("%d full scans in %.1f s under churn", scans, now() - t0);
	CHECK(scans >= 3, "only %d scans", scans);
	for (int i = 0; i < CHURNERS; i++) {
		kill(kids[i], SIGKILL);
		live_wait(kids[i]);
	}

	/* A very large fd table. */
	REQUIRE(pipe(ready) == 0, "pipe");
	big = fork();
	REQUIRE(big >= 0, "fork");
	if (big == 0) {
		struct rlimit rl;
		int fd, n = 0;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Raising the hard limit needs CAP_SYS_RESOURCE (the guests'
		 * root has it, this host's root does not): try, then take the
		 * hard limit as it is. */
		rl.rlim_cur = rl.rlim_max = BIG_FDS + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		fd = mw_sys_memfd_create("mw-big", MFD_CLOEXEC | flags);
		for (int i = 0; fd >= 0 && i < BIG_FDS; i++)
			if (dup(fd) >= 0)
				n++;
		(void)!write(ready[1], n >= 1000 ? "r" : "F", 1);
		for (;;)
			pause();
	}
	REQUIRE(read(ready[0], &c, 1) == 1, "big table child");
	if (c != 'r') {
		kill(big, SIGKILL);
		live_wait(big);
		live_skip("RLIMIT_NOFILE allows fewer than 1000 fds here");
	}
	{
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = &big, .npids = 1 };
		int found = 0, lowest = -1;
		struct stat st;

		t0 = now();
		err = mw_audit_scan(&o, &r);
		REQUIRE(err == 0, "scan of the big table: %s", strerror(-err));
		live_note("large fd table scanned in %.3f s", now() - t0);
		for (size_t i = 0; i < r->nfindings; i++)
			if (r->findings[i]->kind == MW_AUDIT_EXEC_MEMFD) {
				found++;
				lowest = r->findings[i]->fd;
			}
		/* executable unless vm.memfd_noexec made it otherwise */
		{
			int probe = mw_sys_memfd_create("mw-probe", MFD_CLOEXEC | flags);
			bool exec = probe >= 0 && fstat(probe, &st) == 0 && (st.st_mode & 0111);

			if (probe >= 0)
				close(probe);
			CHECK(found == (exec ? 1 : 0), "%d findings for one memfd held %d times",
			      found, BIG_FDS);
		}
		CHECK(found == 0 || lowest >= 0, "finding without its fd");
		mw_audit_report_free(r);
	}
	kill(big, SIGKILL);
	live_wait(big);
	return live_done();
}
