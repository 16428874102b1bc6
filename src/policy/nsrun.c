/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm.memfd_noexec, and running a command in a new pid namespace with it set.
 *
 * The sysctl is per pid namespace (Linux 6.3, commit 105ff5339f49) and
 * hierarchical since 6.6 (commit 9876cfe8ec1c "memfd: replace ratcheting
 * feature from vm.memfd_noexec with hierarchy"): /proc/sys/vm/memfd_noexec
 * acts on the namespace of the task that writes it, so the write must come
 * from inside the new namespace, through a /proc mounted for it.
 */
#include "core/internal.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <memward/policy.h>

#define NOEXEC_SYSCTL "/proc/sys/vm/memfd_noexec"

MW_API int mw_policy_noexec_level(void)
{
	char buf[32];
	ssize_t n = mw__read_file(NOEXEC_SYSCTL, buf, sizeof(buf));
	long v;

	if (n == -ENOENT)
		return -EOPNOTSUPP;
	if (n < 0)
		return (int)n;
	if (mw__parse_long(buf, &v) < 0 || v < 0 || v > 2)
		return -EINVAL;
	return (int)v;
}

/* What the namespace's pid 1 (or the forked command) tells the caller. */
struct report {
	int stage;
	int error;
	int level;
	int ancestor;
};

static void send_report(int fd, int stage, int error, int level, int ancestor)
{
	struct report r = { stage, error, level, ancestor };
	ssize_t n;

	do
		n = write(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
}

static bool have_cap_sys_admin(void)
{
	char status[4096];
	uint64_t eff;

	if (mw__read_file("/proc/self/status", status, sizeof(status)) < 0)
		return false;
	if (mw__parse_status_hex(status, "CapEff", &eff) < 0)
		return false;
	return eff & (1ull << 21); /* CAP_SYS_ADMIN */
}

static int write_id_maps(pid_t pid)
{
	char path[64], map[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	r = mw__write_file(path, "deny");
	if (r < 0 && r != -ENOENT)
		return r;
	/* Keep the caller's ids: the namespace's pid 1 has every capability in
	 * the new user namespace until it executes the command. */
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid());
	if ((r = mw__write_file(path, map)) < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)getegid(), (unsigned)getegid());
	return mw__write_file(path, map);
}

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				 SIGCONT, SIGWINCH, SIGALRM };
static volatile sig_atomic_t fwd_pid;

static void forward_signal(int sig)
{
	if (fwd_pid > 0)
		kill((pid_t)fwd_pid, sig);
}

/* In the command's process: defaults back, setup hook, exec. */
static __attribute__((noreturn)) void exec_command(const struct mw_policy_run_opts *o, int report_fd,
						   const sigset_t *oldmask)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	int r;

	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	if (o->child_setup && (r = o->child_setup(o->ctx)) < 0) {
		send_report(report_fd, MW_RUN_STAGE_SETUP, -r, -1, -1);
		_exit(126);
	}
	execvp(o->argv[0], o->argv);
	r = errno;
	send_report(report_fd, MW_RUN_STAGE_EXEC, r, -1, -1);
	_exit(r == ENOENT ? 127 : 126);
}

static int set_level(int level, int *effective, int *ancestor)
{
	char text[8];
	int r, now;

	snprintf(text, sizeof(text), "%d\n", level);
	r = mw__write_file(NOEXEC_SYSCTL, text);
	now = mw_policy_noexec_level();
	if (r == -ENOENT || now == -EOPNOTSUPP)
		return MW_RUN_STAGE_NO_SYSCTL;
	if (r < 0) {
		/* 6.6+ refuses a value below the parent's (EINVAL from the
		 * min/max check); 6.3-6.5 refuse to lower a ratcheted 2. What
		 * the file shows afterwards is the floor. */
		if (now > level) {
			*ancestor = now;
			return MW_RUN_STAGE_LOWER;
		}
		errno = -r;
		return MW_RUN_STAGE_SYSCTL;
	}
	if (now < 0) {
		errno = -now;
		return MW_RUN_STAGE_SYSCTL;
	}
	*effective = now;
	return MW_RUN_STAGE_NONE;
}

/* pid 1 of the new namespace. */
static __attribute__((noreturn)) void ns_init(const struct mw_policy_run_opts *o, int sync_fd,
					      int report_fd, const sigset_t *oldmask)
{
	struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
	int level = -1, ancestor = -1, stage, status;
	char c;
	pid_t cmd, w;

	/* Wait for the id maps (or for the parent to give up). */
	if (read(sync_fd, &c, 1) != 1)
		_exit(125);
	close(sync_fd);
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		send_report(report_fd, MW_RUN_STAGE_MOUNT, errno, -1, -1);
		_exit(125);
	}
	if (o->noexec_level >= 0) {
		errno = 0;
		stage = set_level(o->noexec_level, &level, &ancestor);
		if (stage != MW_RUN_STAGE_NONE) {
			send_report(report_fd, stage,
				    stage == MW_RUN_STAGE_NO_SYSCTL ? EOPNOTSUPP :
				    stage == MW_RUN_STAGE_LOWER ? EPERM : (errno ? errno : EIO),
				    -1, ancestor);
			_exit(125);
		}
	} else {
		int now = mw_policy_noexec_level();
		level = now >= 0 ? now : -1;
	}

	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	send_report(report_fd, MW_RUN_STAGE_NONE, 0, level, -1);
	cmd = fork();
	if (cmd < 0) {
		send_report(report_fd, MW_RUN_STAGE_EXEC, errno, -1, -1);
		_exit(125);
	}
	if (cmd == 0)
		exec_command(o, report_fd, oldmask);
	close(report_fd);
	fwd_pid = cmd;
	sigprocmask(SIG_SETMASK, oldmask, NULL);

	/* Reap everything; leave when the command is gone (the kernel then
	 * kills what is left in the namespace). */
	for (;;) {
		w = waitpid(-1, &status, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			_exit(125);
		}
		if (w == cmd)
			break;
	}
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

static int fail(struct mw_policy_run_result *res, int stage, int err)
{
	res->stage = stage;
	res->error = err;
	res->pid = -1;
	return -err;
}

MW_API int mw_policy_run(const struct mw_policy_run_opts *o, struct mw_policy_run_result *res)
{
	const unsigned int known = MW_RUN_NEWNS | MW_RUN_USERNS | MW_RUN_NO_USERNS;
	int sync_p[2] = { -1, -1 }, rep_p[2] = { -1, -1 };
	bool newns, userns = false;
	struct report rep;
	sigset_t all, oldmask;
	ssize_t n;
	pid_t pid;
	int r;

	if (!o || !res || o->sz < sizeof(*o) || (o->flags & ~known) ||
	    o->noexec_level < -1 || o->noexec_level > 2 || !o->argv || !o->argv[0])
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	res->pid = -1;
	res->level = -1;
	res->ancestor_level = -1;
	res->report_fd = -1;

	newns = (o->flags & MW_RUN_NEWNS) || o->noexec_level >= 0;
	if (newns) {
		if (o->noexec_level >= 0 && access(NOEXEC_SYSCTL, F_OK) < 0 && errno == ENOENT)
			return fail(res, MW_RUN_STAGE_NO_SYSCTL, EOPNOTSUPP);
		userns = (o->flags & MW_RUN_USERNS) || !have_cap_sys_admin();
		if (userns && (o->flags & MW_RUN_NO_USERNS))
			return fail(res, MW_RUN_STAGE_USERNS, EPERM);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync_p) < 0 || pipe2(rep_p, O_CLOEXEC) < 0) {
		r = errno;
		mw__closep(&sync_p[0]);
		mw__closep(&sync_p[1]);
		return fail(res, MW_RUN_STAGE_FORK, r);
	}

	/* Block the forwarded signals until pid 1 has its handlers. */
	sigemptyset(&all);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&all, forwarded[i]);
	sigprocmask(SIG_BLOCK, &all, &oldmask);

	if (newns) {
		unsigned long fl = CLONE_NEWPID | CLONE_NEWNS | SIGCHLD;

		if (userns)
			fl |= CLONE_NEWUSER;
		/* fork() with namespace flags: the child is pid 1 of the new
		 * pid namespace. */
		pid = mw_sys_fork_flags(fl);
	} else {
		pid = fork();
	}
	if (pid < 0) {
		r = errno;
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		for (int i = 0; i < 2; i++) {
			close(sync_p[i]);
			close(rep_p[i]);
		}
		return fail(res, newns ? (userns ? MW_RUN_STAGE_USERNS : MW_RUN_STAGE_PIDNS)
				     : MW_RUN_STAGE_FORK, r);
	}
	if (pid == 0) {
		close(sync_p[1]);
		close(rep_p[0]);
		if (newns)
			ns_init(o, sync_p[0], rep_p[1], &oldmask);
		close(sync_p[0]);
		send_report(rep_p[1], MW_RUN_STAGE_NONE, 0, -1, -1);
		exec_command(o, rep_p[1], &oldmask);
	}
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	close(sync_p[0]);
	close(rep_p[1]);
	if (userns && (r = write_id_maps(pid)) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(sync_p[1]);
		close(rep_p[0]);
		return fail(res, MW_RUN_STAGE_USERNS, -r);
	}
	if (newns) {
		/* Only pid 1 waits for this (the id maps are in place). */
		n = send(sync_p[1], "g", 1, MSG_NOSIGNAL);
		(void)n;
	}
	close(sync_p[1]);
	do
		n = read(rep_p[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rep) || rep.stage != MW_RUN_STAGE_NONE) {
		waitpid(pid, NULL, 0);
		close(rep_p[0]);
		if (n != (ssize_t)sizeof(rep))
			return fail(res, MW_RUN_STAGE_FORK, ECHILD);
		res->ancestor_level = rep.ancestor;
		return fail(res, rep.stage, rep.error ? rep.error : EIO);
	}
	res->pid = pid;
	res->level = rep.level;
	res->report_fd = rep_p[0];
	return 0;
}

MW_API int mw_policy_run_exec_error(struct mw_policy_run_result *res, enum mw_policy_run_stage *stage)
{
	struct report rep;
	ssize_t n;
	int fl;

	if (!res || res->report_fd < 0)
		return 0;
	/* The command has exited: whatever it wrote is in the pipe already. */
	fl = fcntl(res->report_fd, F_GETFL);
	if (fl >= 0)
		fcntl(res->report_fd, F_SETFL, fl | O_NONBLOCK);
	n = read(res->report_fd, &rep, sizeof(rep));
	mw__closep(&res->report_fd);
	if (n != (ssize_t)sizeof(rep) || rep.stage == MW_RUN_STAGE_NONE)
		return 0;
	if (stage)
		*stage = (enum mw_policy_run_stage)rep.stage;
	return rep.error;
}
