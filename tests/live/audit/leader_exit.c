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
 * usage: live-audit-leader-exit
 *        live-audit-leader-exit --orphan FD   (what the memfd copy runs)
 */
#include "live.h"
#include "modes.h"
#include "sys/shim.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
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

static int orphan(int fd)
{
	pthread_t t;

	ready_fd = fd;
	if (pthread_create(&t, NULL, sleeper, NULL) != 0)
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

int main(int argc, char **argv)
{
	int ready[2], mfd, self;
	struct stat st;
	pid_t pid;
	char c;

	if (argc == 3 && !strcmp(argv[1], "--orphan"))
		return orphan(atoi(argv[2]));
	REQUIRE(pipe2(ready, 0) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		char fdarg[16];
		char *args[] = { "kworker/0:1", "--orphan", fdarg, NULL };

		prctl(PR_SET_PDEATHSIG, SIGKILL); /* kept across exec: never outlive the test */
		mfd = mw_sys_memfd_create("mw-orphan", MFD_CLOEXEC);
		self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		if (mfd < 0 || self < 0 || fstat(self, &st) < 0)
			_exit(120);
		for (off_t off = 0; off < st.st_size;)
			if (sendfile(mfd, self, &off, (size_t)(st.st_size - off)) <= 0)
				_exit(121);
		fchmod(mfd, 0755);
		snprintf(fdarg, sizeof(fdarg), "%d", ready[1]);
		mw_sys_execveat(mfd, "", args, args, AT_EMPTY_PATH);
		_exit(122);
	}
	close(ready[1]);
	REQUIRE(read(ready[0], &c, 1) == 1, "the orphan did not start");
	usleep(300 * 1000); /* its main thread exits after 100 ms */
	{
		char path[64], state[256];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
		n = readlink(path, state, sizeof(state));
		CHECK(n < 0, "the leader still shows an exe: the fixture did not work");
	}
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
	return live_done();
}
