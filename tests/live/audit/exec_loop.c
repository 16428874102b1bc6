/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process that execs itself again and again (a deleted binary running
 * /proc/self/exe every 2 ms) while it holds 10,000 fds, so that no read of
 * its fd table ends within one exec generation, was counted as "vanished"
 * by every mode, with no finding and the report not partial (red team
 * round 5; it needs no privilege). It is alive the whole time: it must be
 * reported, by the scan through the BPF iterators, through /proc and by
 * pid, as an unstable_process finding (high: its fds and maps went unread) next to
 * the finding about its executable (fileless_exec: it runs a deleted
 * binary), and the report must be partial; or be read whole within one
 * exec generation (the iterators can be that quick), which the memfd it
 * holds tells (exec_memfd). The looper runs as nobody.
 *
 * A control process with as many fds that execs five times in a row, 1 ms
 * apart, and then stays must be read in full when the scan starts during
 * that chain (a program started through a few wrappers is no exec loop).
 *
 * usage: live-audit-exec-loop
 *        live-audit-exec-loop --loop USEC NFD COUNT  (what the copy runs;
 *        COUNT execs left, -1 for ever)
 */
#include "live.h"
#include "modes.h"
#include "sys/shim.h"

#include <grp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <memward/memward.h>

#define NFD 10000
#define FIRST_FD 10

static void loop(char **argv)
{
	long us = atol(argv[2]);
	int nfd = atoi(argv[3]);
	long count = atol(argv[4]);
	char left[24];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	/* the first run opens the fds and a memfd with exec bits after them
	 * (an exec_memfd finding whenever its fd table is read); every exec
	 * keeps them */
	if (nfd && fcntl(FIRST_FD + nfd, F_GETFD) < 0) {
		int m = memfd_create("mw-loop", MFD_EXEC);

		if (m < 0)
			m = memfd_create("mw-loop", 0);
		if (m < 0 || dup2(m, FIRST_FD + nfd) < 0)
			_exit(2);
		close(m);
		for (int i = 0; i < nfd; i++)
			if (dup2(0, FIRST_FD + i) < 0)
				_exit(2);
	}
	if (count == 0)
		for (;;)
			pause();
	if (us)
		usleep((useconds_t)us);
	snprintf(left, sizeof(left), "%ld", count > 0 ? count - 1 : -1);
	argv[4] = left;
	execv("/proc/self/exe", argv);
	_exit(3);
}

/* Start the copy prog as nobody, looping every us microseconds with nfd
 * fds for count execs. */
static pid_t start(const char *prog, const char *us, const char *nfd, const char *count)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct rlimit rl = { FIRST_FD + NFD + 64, FIRST_FD + NFD + 64 };
		char *args[] = { "prog", "--loop", (char *)us, (char *)nfd, (char *)count, NULL };
		char dir[4200];

		/* the library next to the copy: $ORIGIN of /proc/self/exe is
		 * /proc/self, so the re-execs find it through the environment */
		snprintf(dir, sizeof(dir), "%s", prog);
		*strrchr(dir, '/') = '\0';
		*strrchr(dir, '/') = '\0';
		if (setenv("LD_LIBRARY_PATH", dir, 1) < 0)
			_exit(125);
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || setgroups(0, NULL) < 0 ||
		    setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
			_exit(126);
		execv(prog, args);
		_exit(127);
	}
	return pid;
}

/* The process's exe link once it shows the deleted copy (it exec'd from
 * the copy, which is now unlinked: want): false after 5 s. */
static bool wait_deleted(pid_t pid, const char *want)
{
	char path[64], link[4200];

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	for (int i = 0; i < 5000; i++) {
		ssize_t n = readlink(path, link, sizeof(link) - 1);

		if (n > 0) {
			link[n] = '\0';
			if (!strcmp(link, want))
				return true;
		}
		usleep(1000);
	}
	return false;
}

int main(int argc, char **argv)
{
	char prog[4200], deleted[4300];
	int bpf = 0, whole = 0, loops = 0;
	pid_t pid;

	if (argc == 5 && !strcmp(argv[1], "--loop"))
		loop(argv);
	if (geteuid() != 0)
		live_skip("needs root (to start the looper as nobody and read it)");
	{
		int m = memfd_create("probe", MFD_EXEC);
		struct stat st;

		if (m < 0)
			m = memfd_create("probe", 0);
		REQUIRE(m >= 0 && fstat(m, &st) == 0, "memfd_create: %s", strerror(errno));
		close(m);
		if (!(st.st_mode & 0111))
			live_skip("memfds get no exec bits here (vm.memfd_noexec): the looper's marker needs them");
	}
	live_public_copy("/proc/self/exe", prog, sizeof(prog));
	pid = start(prog, "2000", "10000", "-1");
	usleep(200 * 1000);
	REQUIRE(unlink(prog) == 0, "unlink %s: %s", prog, strerror(errno));
	snprintf(deleted, sizeof(deleted), "%s (deleted)", prog);
	REQUIRE(wait_deleted(pid, deleted), "the looper %d does not run the deleted copy", (int)pid);
	/* A read of its fd table shows the memfd (exec_memfd): read whole,
	 * within one exec. Otherwise it must be an exec loop. Through /proc
	 * its 10,000 fds take longer than an exec, but a starved looper can
	 * be slower: up to 3 rounds, until one read was not whole. */
	for (int round = 0; round < 3 && !loops; round++) {
		for (int mode = 0; mode < MODES; mode++) {
			struct mw_audit_report *r = modes_scan(mode, &pid);
			const struct mw_audit_finding *loop_f = NULL, *exe_f = NULL, *memfd_f = NULL;

			bpf += r->via_bpf;
			for (size_t i = 0; i < r->nfindings; i++) {
				const struct mw_audit_finding *f = r->findings[i];

				if (f->pid != pid)
					continue;
				if (f->kind == MW_AUDIT_UNSTABLE_PROCESS)
					loop_f = f;
				if (f->kind == MW_AUDIT_FILELESS_EXEC)
					exe_f = f;
				if (f->kind == MW_AUDIT_EXEC_MEMFD && !strcmp(f->object, "/memfd:mw-loop (deleted)"))
					memfd_f = f;
			}
			CHECK(kill(pid, 0) == 0, "the looper died");
			CHECK(exe_f && !strcmp(exe_f->exe, deleted) && exe_f->uid == 65534,
			      "%s: the looper's deleted executable is not reported (fileless_exec): %s (vanished %u, "
			      "rescanned %u, unstable %u)", modes_name[mode], exe_f ? exe_f->exe : "missing",
			      r->procs_vanished, r->procs_rescanned, r->procs_unstable);
			if (memfd_f) {
				whole++;
				CHECK(!loop_f, "%s: read whole, yet reported as an exec loop", modes_name[mode]);
			} else {
				loops++;
				CHECK(loop_f && loop_f->severity >= MW_AUDIT_HIGH && !strcmp(loop_f->exe, deleted) &&
				      r->partial && r->procs_unstable >= 1,
				      "%s: the exec-looping process %d, not read whole, is not reported as unstable_process "
				      "(high) in a partial report: %s (vanished %u, rescanned %u, unstable %u)",
				      modes_name[mode], (int)pid, loop_f ? "below high or another exe" : "missing",
				      r->procs_vanished, r->procs_rescanned, r->procs_unstable);
			}
			mw_audit_report_free(r);
		}
	}
	CHECK(loops > 0, "every read of the looper was whole: the fixture did not loop fast enough");
	live_note("%d scan(s) read it whole, %d found an exec loop; %d through the BPF iterators", whole, loops,
		  bpf);
	kill(pid, SIGKILL);
	live_wait(pid);
	live_public_copy_remove(prog);

	/* the control: five execs 1 ms apart, then it stays */
	{
		struct mw_audit_report *r;
		bool loop_seen = false;

		live_public_copy("/proc/self/exe", prog, sizeof(prog));
		pid = start(prog, "1000", "10000", "5");
		usleep(5000);
		r = modes_scan(2, &pid);
		for (size_t i = 0; i < r->nfindings; i++)
			loop_seen |= r->findings[i]->pid == pid && r->findings[i]->kind == MW_AUDIT_UNSTABLE_PROCESS;
		CHECK(!loop_seen && r->procs_unstable == 0 && r->procs_scanned == 1,
		      "a process that exec'd five times and stayed reported as an exec loop "
		      "(%u scanned, %u unstable, rescanned %u)", r->procs_scanned, r->procs_unstable,
		      r->procs_rescanned);
		live_note("control: read again %u time(s)", r->procs_rescanned);
		mw_audit_report_free(r);
		kill(pid, SIGKILL);
		live_wait(pid);
		live_public_copy_remove(prog);
	}
	return live_done();
}
