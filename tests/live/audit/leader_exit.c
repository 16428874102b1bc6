/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A process whose main thread has exited (SYS_exit, not exit_group) while
 * another thread runs is a zombie leader: /proc/PID/exe and maps are empty,
 * but /proc/PID/task/TID shows the memfd it runs from (issue 12, item 2).
 * The fixture runs a copy of this program from an unsealed memfd, starts a
 * thread and ends its main thread; the audit (BPF and /proc paths, whole
 * system and --pid) must still find it as critical fileless_exec, read
 * through the thread.
 *
 * The same with threads that come and go (red team round 6): each lives a
 * few microseconds, starts its successor and exits, while the process holds
 * 2,000 fds and runs as nobody. Every read through one thread failed as the
 * thread exited, and the process was counted as vanished, with no finding,
 * in every mode. It must now be reported at high or above: as critical
 * fileless_exec when a read held, else as unstable_process in a partial
 * report.
 *
 * usage: live-audit-leader-exit
 *        live-audit-leader-exit --orphan FD   (what the memfd copy runs)
 *        live-audit-leader-exit --hop FD      (the same, hopping threads)
 */
#include "live.h"
#include "modes.h"
#include "sys/shim.h"

#include <pthread.h>
#include <signal.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>

#include <memward/memward.h>

static int ready_fd;

static void *sleeper(void *arg)
{
	(void)arg;
	(void)!write(ready_fd, "r", 1);
	for (;;)
		pause();
	return NULL;
}

/* A thread that works a few microseconds, starts its successor and exits. */
static void *hopper(void *arg)
{
	pthread_attr_t at;
	pthread_t t;

	if (arg)
		(void)!write(ready_fd, "r", 1);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 65536);
	while (pthread_create(&t, &at, hopper, NULL) != 0)
		;
	return NULL;
}

static int orphan(int fd, bool hop)
{
	pthread_t t;

	ready_fd = fd;
	if (hop) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		for (int i = 0; i < 2000; i++)
			if (null < 0 || dup(null) < 0)
				return 1;
	}
	if (pthread_create(&t, NULL, hop ? hopper : sleeper, hop ? &t : NULL) != 0)
		return 1;
	usleep(100 * 1000);
	syscall(SYS_exit, 0); /* this thread only */
	return 1;
}

static int worst(const struct mw_audit_report *r, pid_t pid, const struct mw_audit_finding **out)
{
	int w = -1;

	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->pid == pid && r->findings[i]->kind == MW_AUDIT_FILELESS_EXEC &&
		    (int)r->findings[i]->severity > w) {
			w = (int)r->findings[i]->severity;
			*out = r->findings[i];
		}
	return w;
}

/* Start the memfd copy of this program with mode ("--orphan" or "--hop"),
 * as nobody when drop; returns once its main thread has exited. */
static pid_t start(const char *mode, bool drop)
{
	int ready[2], mfd, self;
	struct stat st;
	pid_t pid;
	char c;

	pid = live_fork_ready(ready);
	if (pid == 0) {
		char fdarg[16];
		char *args[] = { "kworker/0:1", (char *)mode, fdarg, NULL };
		struct rlimit rl = { 4096, 4096 };

		mfd = mw_sys_memfd_create("mw-orphan", MFD_CLOEXEC);
		self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		if (mfd < 0 || self < 0 || fstat(self, &st) < 0)
			_exit(120);
		for (off_t off = 0; off < st.st_size;)
			if (sendfile(mfd, self, &off, (size_t)(st.st_size - off)) <= 0)
				_exit(121);
		fchmod(mfd, 0755);
		if (drop && (setrlimit(RLIMIT_NOFILE, &rl) < 0 || setgroups(0, NULL) < 0 ||
			     setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0))
			_exit(123);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* kept across exec: never outlive the test */
		snprintf(fdarg, sizeof(fdarg), "%d", ready[1]);
		mw_sys_execveat(mfd, "", args, args, AT_EMPTY_PATH);
		_exit(122);
	}
	close(ready[1]);
	REQUIRE(read(ready[0], &c, 1) == 1, "the orphan (%s) did not start", mode);
	close(ready[0]);
	usleep(300 * 1000); /* its main thread exits after 100 ms */
	{
		char path[64], state[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		n = readlink(path, state, sizeof(state));
		CHECK(n < 0, "%s: the leader still shows an exe: the fixture did not work", mode);
	}
	return pid;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int held = 0, unstable = 0;

	if (argc == 3 && !strcmp(argv[1], "--orphan"))
		return orphan(atoi(argv[2]), false);
	if (argc == 3 && !strcmp(argv[1], "--hop"))
		return orphan(atoi(argv[2]), true);
	pid = start("--orphan", false);
	for (int mode = 0; mode < MODES; mode++) {
		struct mw_audit_report *r = modes_scan(mode, &pid);
		const struct mw_audit_finding *f = NULL;

		CHECK(worst(r, pid, &f) == MW_AUDIT_CRITICAL && f->tid > 0 && f->tid != pid &&
		      !strncmp(f->exe, "/memfd:mw-orphan", 16),
		      "%s: process %d with an exited leader not found as critical fileless_exec "
		      "(via bpf %d)", modes_name[mode], (int)pid, r->via_bpf);
		mw_audit_report_free(r);
	}
	kill(pid, SIGKILL);
	live_wait(pid);

	if (geteuid() != 0) {
		live_note("not root: the hopping fixture (run as nobody) was not tried");
		return live_done();
	}
	pid = start("--hop", true);
	for (int round = 0; round < 3; round++) {
		for (int mode = 0; mode < MODES; mode++) {
			struct mw_audit_report *r = modes_scan(mode, &pid);
			const struct mw_audit_finding *f = NULL, *u = NULL;

			for (size_t i = 0; i < r->nfindings; i++)
				if (r->findings[i]->pid == pid && r->findings[i]->kind == MW_AUDIT_UNSTABLE_PROCESS)
					u = r->findings[i];
			if (worst(r, pid, &f) == MW_AUDIT_CRITICAL && !strncmp(f->exe, "/memfd:mw-orphan", 16))
				held++;
			else
				CHECK(u && u->severity >= MW_AUDIT_HIGH && r->partial && r->procs_unstable >= 1,
				      "%s: process %d whose threads come and go is reported neither as critical "
				      "fileless_exec nor as unstable_process in a partial report (vanished %u, "
				      "kernel %u, unstable %u)", modes_name[mode], (int)pid, r->procs_vanished,
				      r->procs_kernel, r->procs_unstable);
			unstable += u != NULL;
			mw_audit_report_free(r);
		}
	}
	live_note("hopping threads: %d of %d scans found its memfd executable, %d reported it unstable", held,
		  3 * MODES,
		  unstable);
	CHECK(kill(pid, 0) == 0, "the hopping process died");
	kill(pid, SIGKILL);
	live_wait(pid);
	return live_done();
}
