/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm.memfd_noexec of another process's pid namespace (see container.h).
 *
 * Three processes, so that the caller's namespaces never change:
 *   caller --clone--> joiner: setns(pidfd, CLONE_NEWPID) (5.8), which only
 *                     sets where the joiner's children go
 *          joiner --clone--> writer: lives in the target namespace, writes
 *                     and reads /proc/sys/vm/memfd_noexec, whose handler acts
 *                     on task_active_pid_ns(current) (kernel/pid_sysctl.h)
 * The pidfd pins the process the caller named: a pid reused after
 * pidfd_open cannot redirect the write, and setns on a pidfd of a process
 * that exited fails with ESRCH.
 */
#include "core/internal.h"
#include "core/child.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memward/container.h>

#define NOEXEC_SYSCTL "/proc/sys/vm/memfd_noexec"

struct job {
	int pidfd;
	int level;        /* -1: read only */
	bool allow_same;  /* reading the caller's own namespace is fine */
	int report;       /* write end of the result pipe */
};

/* What the joiner or the writer found (errors as positive errno). */
struct outcome {
	int join_err;  /* setns, same-namespace check, creating the writer */
	int write_err; /* the sysctl write */
	int now;       /* level read back, or -errno */
};

static void report(int fd, const struct outcome *o)
{
	ssize_t n;

	do
		n = write(fd, o, sizeof(*o));
	while (n < 0 && errno == EINTR);
}

/* Only async-signal-safe calls: the caller may have other threads. */
static int writer(void *arg)
{
	const struct job *j = arg;
	struct outcome o = { 0, 0, 0 };
	char buf[16] = { 0 };
	ssize_t n;
	int fd;

	if (j->level >= 0) {
		char text[2] = { (char)('0' + j->level), '\n' };

		fd = open(NOEXEC_SYSCTL, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, text, sizeof(text)) != (ssize_t)sizeof(text))
			o.write_err = errno ? errno : EIO;
		if (fd >= 0)
			close(fd);
	}
	fd = open(NOEXEC_SYSCTL, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		o.now = -errno;
	} else {
		n = read(fd, buf, sizeof(buf) - 1);
		o.now = n > 0 && buf[0] >= '0' && buf[0] <= '2' &&
			(buf[1] == '\n' || buf[1] == '\0') ? buf[0] - '0' : -EIO;
		close(fd);
	}
	report(j->report, &o);
	return 0;
}

static bool same_inode(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int joiner(void *arg)
{
	const struct job *j = arg;
	struct outcome o = { 0, 0, -1 };
	int r, status;

	if (setns(j->pidfd, CLONE_NEWPID) < 0) {
		o.join_err = errno;
	} else if (!j->allow_same &&
		   same_inode("/proc/self/ns/pid", "/proc/self/ns/pid_for_children")) {
		/* The joiner's own pid namespace is the caller's. */
		o.join_err = EXDEV;
	} else if ((r = mw__child_run(writer, arg, 0, &status)) < 0) {
		o.join_err = -r;
	} else {
		return MW__CHILD_OK(status) ? 0 : 1;
	}
	report(j->report, &o);
	return 0;
}

/* Run the joiner for pid; *o gets what it found. 0 or -errno. */
static int run_job(pid_t pid, int level, bool allow_same, struct outcome *o)
{
	int MW_AUTOCLOSE pidfd = -1;
	int MW_AUTOCLOSE rd = -1;
	int MW_AUTOCLOSE wr = -1;
	int fds[2], r, status;
	struct job j;
	ssize_t n;

	if (pid <= 0)
		return -EINVAL;
	pidfd = mw_sys_pidfd_open(pid, 0);
	if (pidfd < 0)
		return -errno;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	rd = fds[0];
	wr = fds[1];
	j = (struct job){ pidfd, level, allow_same, wr };
	r = mw__child_run(joiner, &j, 0, &status);
	if (r < 0)
		return r;
	close(wr);
	wr = -1;
	do
		n = read(rd, o, sizeof(*o));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*o))
		return -ECHILD; /* a helper died without a word */
	if (o->join_err)
		return -o->join_err;
	return 0;
}

MW_API int mw_container_noexec_get(pid_t pid)
{
	struct outcome o;
	int r = run_job(pid, -1, true, &o);

	if (r < 0)
		return r;
	return o.now == -ENOENT ? -EOPNOTSUPP : o.now;
}

MW_API int mw_container_noexec_set(pid_t pid, int level, unsigned int flags)
{
	struct outcome o;
	int r;

	if (flags || level < 0 || level > 2)
		return -EINVAL;
	r = run_job(pid, level, false, &o);
	if (r < 0)
		return r;
	if (o.write_err == ENOENT || o.now == -ENOENT)
		return -EOPNOTSUPP;
	/* 6.6+ refuses a value below the parent's (EINVAL from the min/max
	 * check); 6.3-6.5 refuse to lower a ratcheted 2. Either way the level
	 * read back is the floor. */
	if (o.now > level)
		return -ERANGE;
	if (o.write_err)
		return -o.write_err;
	if (o.now < 0)
		return o.now;
	return o.now == level ? 0 : -EIO;
}
