/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm.memfd_noexec of another pid namespace. The sysctl answers for the
 * reader's own pid namespace, so reading it through any procfs from outside
 * gives the wrong value: the audit must enter the namespace. A child pid
 * namespace is created here, set to 1 from inside (only that namespace is
 * changed; it disappears with the test), and the audit must report 1 for it
 * and the host's own value for the test's namespace. With probing disabled
 * it reports unknown, with a reason.
 *
 * usage: live-audit-pidns
 */
#include "live.h"
#include "kernel.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <memward/memward.h>

static const struct mw_audit_finding *ns_finding(const struct mw_audit_report *r, pid_t pid)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->kind == MW_AUDIT_NOEXEC_POLICY && r->findings[i]->pid == pid)
			return r->findings[i];
	return NULL;
}

int main(void)
{
	bool have_sysctl = access("/proc/sys/vm/memfd_noexec", F_OK) == 0;
	struct mw_audit_report *r = NULL;
	const struct mw_audit_finding *f;
	int info[2], err, own = -1;
	pid_t mid, inner = -1, pids[2];
	char buf[16];

	if (geteuid() != 0)
		live_skip("creating a pid namespace needs root");
	if (have_sysctl) {
		ssize_t n;
		int fd = open("/proc/sys/vm/memfd_noexec", O_RDONLY | O_CLOEXEC);

		REQUIRE(fd >= 0, "open sysctl");
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		REQUIRE(n > 0, "read sysctl");
		own = buf[0] - '0';
		if (own >= 1)
			live_skip("vm.memfd_noexec is already %d here: a child namespace cannot differ", own);
	}
	REQUIRE(pipe(info) == 0, "pipe");
	mid = fork();
	REQUIRE(mid >= 0, "fork");
	if (mid == 0) {
		pid_t b;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWPID) < 0) {
			snprintf(buf, sizeof(buf), "E%d", errno);
			(void)!write(info[1], buf, sizeof(buf));
			_exit(1);
		}
		b = fork();
		if (b == 0) {
			/* pid 1 of the new namespace: set its own sysctl */
			int fd;

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC);
			if (fd >= 0) {
				(void)!write(fd, "1", 1);
				close(fd);
			}
			snprintf(buf, sizeof(buf), "R");
			(void)!write(info[1], buf, sizeof(buf));
			for (;;)
				pause();
		}
		snprintf(buf, sizeof(buf), "P%d", (int)b);
		(void)!write(info[1], buf, sizeof(buf));
		for (;;)
			pause();
	}
	for (int got = 0; got < 2;) {
		REQUIRE(read(info[0], buf, sizeof(buf)) == sizeof(buf), "namespace child died");
		if (buf[0] == 'E') {
			kill(mid, SIGKILL);
			live_wait(mid);
			live_skip("unshare(CLONE_NEWPID): %s", strerror(atoi(buf + 1)));
		}
		if (buf[0] == 'P')
			inner = atoi(buf + 1);
		got++;
	}
	REQUIRE(inner > 0, "no inner pid");

	pids[0] = getpid();
	pids[1] = inner;
	{
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = pids, .npids = 2 };

		err = mw_audit_scan(&o, &r);
		REQUIRE(err == 0, "scan: %s", strerror(-err));
	}
	f = ns_finding(r, getpid());
	CHECK(f && f->memfd_noexec == own, "own namespace: %d, want %d (%s)", f ? f->memfd_noexec : -2,
	      own, f ? f->reason : "no finding");
	f = ns_finding(r, inner);
	REQUIRE(f, "no finding for the child pid namespace");
	live_note("child namespace: %s", f->reason);
	if (have_sysctl)
		CHECK(f->memfd_noexec == 1, "child namespace: %d, want 1", f->memfd_noexec);
	else
		CHECK(f->memfd_noexec == -1 && strstr(f->reason, "unknown"), "child namespace without the sysctl: %d",
		      f->memfd_noexec);
	CHECK(f->pidns != ns_finding(r, getpid())->pidns, "same namespace inode for both");
	mw_audit_report_free(r);

	{
		struct mw_audit_opts o = { .sz = sizeof(o), .pids = &inner, .npids = 1,
					   .flags = MW_AUDIT_F_NO_NS_PROBE };

		err = mw_audit_scan(&o, &r);
		REQUIRE(err == 0, "scan: %s", strerror(-err));
		f = ns_finding(r, inner);
		CHECK(f && f->memfd_noexec == -1 && strstr(f->reason, "not entered"),
		      "with probing disabled: %d %s", f ? f->memfd_noexec : -2, f ? f->reason : "");
		mw_audit_report_free(r);
	}
	/* this thread's pid_for_children is restored after the probe */
	{
		struct stat a, b;

		CHECK(stat("/proc/thread-self/ns/pid", &a) == 0 &&
		      stat("/proc/thread-self/ns/pid_for_children", &b) == 0 && a.st_ino == b.st_ino,
		      "pid_for_children not restored");
	}
	kill(mid, SIGKILL);
	live_wait(mid);
	return live_done();
}
