/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm.memfd_noexec of another pid namespace.
 *
 * The sysctl is per pid namespace (6.3, commit 105ff5339f49), and its handler
 * answers for task_active_pid_ns(current), whatever procfs instance the file
 * is opened through: reading /proc/PID/root/proc/sys/vm/memfd_noexec gives
 * the reader's own value. Since 6.6 the value read is the hierarchical
 * maximum (a child cannot be less strict than its parent), so what a process
 * inside the namespace reads is what applies to it. A process only joins a
 * pid namespace at fork, so: setns(CLONE_NEWPID) on this thread, fork a
 * child that reads the sysctl and writes the answer to a pipe, then restore
 * this thread's pid_for_children.
 */
#include "audit/collect.h"
#include "core/child.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define NOEXEC_PATH "/proc/sys/vm/memfd_noexec"

/* Parse "0".."2"; -1 otherwise. */
static int parse_level(const char *buf)
{
	if ((buf[0] == '0' || buf[0] == '1' || buf[0] == '2') && (buf[1] == '\0' || buf[1] == '\n'))
		return buf[0] - '0';
	return -1;
}

static int read_self(char *reason, size_t size)
{
	char buf[16];
	ssize_t n = mw__read_file(NOEXEC_PATH, buf, sizeof(buf));
	int v;

	if (n == -ENOENT) {
		snprintf(reason, size, "no vm.memfd_noexec on this kernel (before 6.3): memfds are "
			 "created executable unless the caller asks otherwise");
		return -1;
	}
	if (n < 0) {
		snprintf(reason, size, "cannot read %s: %s", NOEXEC_PATH, strerror((int)-n));
		return -1;
	}
	v = parse_level(buf);
	if (v < 0)
		snprintf(reason, size, "unexpected value '%.8s' in %s", buf, NOEXEC_PATH);
	return v;
}

/* What each level means, for the reason. */
static const char *level_text(int v)
{
	switch (v) {
	case 0: return "memfd_create() without MFD_NOEXEC_SEAL makes executable memfds";
	case 1: return "memfds are non-executable and exec-sealed unless MFD_EXEC is asked for";
	case 2: return "executable memfds are refused (MFD_EXEC fails)";
	}
	return "";
}

/* Runs in the pid namespace: send the sysctl's text (or E: missing, X:
 * unreadable) to the pipe fd in *arg. Only async-signal-safe calls. */
static int ns_child(void *arg)
{
	int wfd = *(int *)arg;
	char buf[16];
	int fd = open(NOEXEC_PATH, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (r > 0)
		(void)!write(wfd, buf, (size_t)r);
	else
		(void)!write(wfd, fd < 0 && errno == ENOENT ? "E" : "X", 1);
	return 0;
}

int mw__audit_ns_noexec(int nsfd, bool is_self, bool may_fork, char *reason, size_t size)
{
	MW_AUTOCLOSE int saved = -1;
	int fds[2];
	char buf[16];
	ssize_t n;
	struct mw__child child;
	int v, err;

	if (is_self) {
		v = read_self(reason, size);
		if (v >= 0)
			snprintf(reason, size, "vm.memfd_noexec=%d: %s", v, level_text(v));
		return v;
	}
	if (!may_fork) {
		snprintf(reason, size, "another pid namespace; not entered (probing disabled)");
		return -1;
	}
	saved = open("/proc/thread-self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		snprintf(reason, size, "cannot open own pid_for_children namespace: %s", strerror(errno));
		return -1;
	}
	if (setns(nsfd, CLONE_NEWPID) < 0) {
		err = errno;
		snprintf(reason, size, "cannot enter the pid namespace to read vm.memfd_noexec: %s%s",
			 strerror(err), err == EPERM ? " (needs CAP_SYS_ADMIN over it)" : "");
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		err = errno;
		if (setns(saved, CLONE_NEWPID) < 0)
			mw__log(3, "audit: cannot restore pid_for_children: %m");
		snprintf(reason, size, "pipe: %s", strerror(err));
		return -1;
	}
	err = -mw__child_start(&child, ns_child, &fds[1], 0, 0);
	if (setns(saved, CLONE_NEWPID) < 0)
		mw__log(3, "audit: cannot restore pid_for_children: %m");
	close(fds[1]);
	if (err) {
		close(fds[0]);
		snprintf(reason, size, "cannot fork into the pid namespace: %s", strerror(err));
		return -1;
	}
	do
		n = read(fds[0], buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	mw__child_wait(&child, NULL);
	if (n <= 0) {
		snprintf(reason, size, "the probe child in the namespace gave no answer");
		return -1;
	}
	buf[n] = '\0';
	if (buf[0] == 'E') {
		snprintf(reason, size, "no vm.memfd_noexec on this kernel (before 6.3)");
		return -1;
	}
	v = parse_level(buf);
	if (v < 0) {
		snprintf(reason, size, "cannot read vm.memfd_noexec inside the namespace");
		return -1;
	}
	snprintf(reason, size, "vm.memfd_noexec=%d (read inside the namespace): %s", v, level_text(v));
	return v;
}
