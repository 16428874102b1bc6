/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vm.memfd_noexec, and running a command in a new pid namespace with it set.
 *
 * The sysctl is per pid namespace (Linux 6.3, commit 105ff5339f49) and
 * hierarchical since 6.6 (commit 9876cfe8ec1c "memfd: replace ratcheting
 * feature from vm.memfd_noexec with hierarchy"): /proc/sys/vm/memfd_noexec
 * acts on the namespace of the task that writes it, and a namespace may not
 * go below its parent's level. So the level is written by pid 1 of a new
 * namespace A, and the command runs in a namespace B below A: a root command
 * can then raise B's level but never take it below A's (on 6.3-6.5 a level
 * of 2 cannot be lowered at all). A command in A itself could write 0 there.
 *
 * Every child of the caller has exit signal 0 (like core/child.h): a caller
 * that ignores SIGCHLD must still be able to wait for it.
 */
#include "core/internal.h"
#include "core/opts.h"
#include "core/scm.h"
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

#include "policy/internal.h"

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

/* Everything the children need; a copy of it lives in each of them. */
struct run {
	struct mw_policy_run_opts o; /* the caller's options, completed to our size */
	int sync_fd;                 /* child end: "go" once the id maps are written */
	int report_fd;               /* write end of the report pipe */
	int lsock;                   /* child end for the listener (SUPERVISE), or -1 */
	sigset_t oldmask;
	struct sigaction oldchld;    /* the caller's SIGCHLD disposition, for the command */
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

/* In the command's process: defaults back, setup hook, filters, exec. */
static __attribute__((noreturn)) void exec_command(struct run *rn)
{
	const struct mw_policy_run_opts *o = &rn->o;
	struct sigaction sa = { .sa_handler = SIG_DFL };
	int r = 0, fd;

	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	sigaction(SIGCHLD, &rn->oldchld, NULL);
	sigprocmask(SIG_SETMASK, &rn->oldmask, NULL);
	if (o->child_setup)
		r = o->child_setup(o->ctx);
	if (r == 0 && (o->flags & MW_POLICY_RUN_SECCOMP_NOEXEC))
		r = mw_policy_seccomp_install(0);
	if (r == 0 && (o->flags & MW_POLICY_RUN_SUPERVISE)) {
		/* Last, so that nothing of the setup is supervised. From here
		 * on our own execve waits for the supervisor. */
		fd = mw_policy_supervisor_filter_install(0);
		r = fd < 0 ? fd : mw__scm_send(rn->lsock, &fd, 1, NULL, 0);
		if (fd >= 0)
			close(fd);
	}
	if (r < 0) {
		send_report(rn->report_fd, MW_POLICY_RUN_STAGE_SETUP, -r, -1, -1);
		_exit(126);
	}
	if (rn->lsock >= 0)
		close(rn->lsock);
	execvp(o->argv[0], o->argv);
	r = errno;
	send_report(rn->report_fd, MW_POLICY_RUN_STAGE_EXEC, r, -1, -1);
	_exit(r == ENOENT ? 127 : 126);
}

static int set_level(int level, int *effective, int *ancestor)
{
	char text[16];
	int r, now;

	snprintf(text, sizeof(text), "%d\n", level);
	r = mw__write_file(NOEXEC_SYSCTL, text);
	now = mw_policy_noexec_level();
	if (r == -ENOENT || now == -EOPNOTSUPP)
		return MW_POLICY_RUN_STAGE_NO_SYSCTL;
	if (r < 0) {
		/* 6.6+ refuses a value below the parent's (EINVAL from the
		 * min/max check); 6.3-6.5 refuse to lower a ratcheted 2. What
		 * the file shows afterwards is the floor. */
		if (now > level) {
			*ancestor = now;
			return MW_POLICY_RUN_STAGE_LOWER;
		}
		errno = -r;
		return MW_POLICY_RUN_STAGE_SYSCTL;
	}
	if (now < 0) {
		errno = -now;
		return MW_POLICY_RUN_STAGE_SYSCTL;
	}
	*effective = now;
	return MW_POLICY_RUN_STAGE_NONE;
}

/* A pid 1: forward signals to child, reap every orphan, leave with child's
 * status when it is gone (the kernel then kills what is left in the
 * namespace). The forwarded signals are blocked until here. */
static __attribute__((noreturn)) void reap_until(struct run *rn, pid_t child)
{
	int status = 0;
	pid_t w;

	fwd_pid = child;
	sigprocmask(SIG_SETMASK, &rn->oldmask, NULL);
	for (;;) {
		w = waitpid(-1, &status, __WALL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			_exit(125);
		}
		if (w == child)
			break;
	}
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

/* Mount a /proc for the caller's pid namespace, in a private mount tree. */
static int mount_proc(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

/* The last pid 1: report success, start the command, reap. */
static __attribute__((noreturn)) void start_command(struct run *rn)
{
	int now = mw_policy_noexec_level();
	pid_t cmd;

	send_report(rn->report_fd, MW_POLICY_RUN_STAGE_NONE, 0, now >= 0 ? now : -1, -1);
	cmd = fork();
	if (cmd < 0) {
		send_report(rn->report_fd, MW_POLICY_RUN_STAGE_EXEC, errno, -1, -1);
		_exit(125);
	}
	if (cmd == 0)
		exec_command(rn);
	close(rn->report_fd);
	if (rn->lsock >= 0)
		close(rn->lsock);
	reap_until(rn, cmd);
}

/* pid 1 of namespace B, below the one whose level was set. */
static __attribute__((noreturn)) void inner_init(struct run *rn)
{
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* Its own /proc: the command sees namespace B's processes only. */
	if ((r = mount_proc()) < 0) {
		send_report(rn->report_fd, MW_POLICY_RUN_STAGE_MOUNT, -r, -1, -1);
		_exit(125);
	}
	start_command(rn);
}

/* pid 1 of the new namespace (A). */
static __attribute__((noreturn)) void ns_init(struct run *rn)
{
	struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int level = -1, ancestor = -1, stage, r;
	char c;
	pid_t inner;

	/* Wait for the id maps (or for the parent to give up). */
	if (read(rn->sync_fd, &c, 1) != 1)
		_exit(125);
	close(rn->sync_fd);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The caller may ignore SIGCHLD; a pid 1 that did would lose its
	 * children's status to auto-reaping. */
	sigaction(SIGCHLD, &dfl, NULL);

	if ((r = mount_proc()) < 0) {
		send_report(rn->report_fd, MW_POLICY_RUN_STAGE_MOUNT, -r, -1, -1);
		_exit(125);
	}
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	if (rn->o.noexec_level < 0)
		start_command(rn);

	errno = 0;
	stage = set_level(rn->o.noexec_level, &level, &ancestor);
	if (stage != MW_POLICY_RUN_STAGE_NONE) {
		send_report(rn->report_fd, stage,
			    stage == MW_POLICY_RUN_STAGE_NO_SYSCTL ? EOPNOTSUPP :
			    stage == MW_POLICY_RUN_STAGE_LOWER ? EPERM : (errno ? errno : EIO),
			    -1, ancestor);
		_exit(125);
	}
	/* Nobody below may attach to this process: it is the one that can
	 * still change the level. (A command that is root in the initial user
	 * namespace keeps CAP_SYS_PTRACE: see memward-run(1).) */
	prctl(PR_SET_DUMPABLE, 0);
	inner = mw_sys_fork_flags(CLONE_NEWPID | CLONE_NEWNS | SIGCHLD);
	if (inner < 0) {
		send_report(rn->report_fd, MW_POLICY_RUN_STAGE_PIDNS, errno, -1, -1);
		_exit(125);
	}
	if (inner == 0)
		inner_init(rn);
	close(rn->report_fd);
	if (rn->lsock >= 0)
		close(rn->lsock);
	reap_until(rn, inner);
}

/* Without a namespace: a process of ours between the caller and the command,
 * like a pid 1. An exec makes the kernel give the exiting task SIGCHLD as
 * its exit signal again (seen on 6.18), so the command itself cannot be the
 * caller's child when the caller ignores SIGCHLD. */
static __attribute__((noreturn)) void waiter(struct run *rn)
{
	struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigaction(SIGCHLD, &dfl, NULL);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	start_command(rn);
}

static int fail(struct mw_policy_run_result *r, int stage, int err)
{
	r->stage = stage;
	r->error = err;
	r->pid = -1;
	return -err;
}

static void close_pair(int p[2])
{
	mw__closep(&p[0]);
	mw__closep(&p[1]);
}

/* The child could not be used: make sure it is gone and waited for. */
static void discard_child(pid_t pid, int *pidfd)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	mw__closep(pidfd);
}

/* The listener from the command: the fd, or -errno (-EPIPE: the command
 * closed its end without sending, a setup failure). */
static int recv_listener(int sock)
{
	struct mw__scm_msg m = { .data = NULL, .len = 0 };
	int r, fd;

	do
		r = mw__scm_recv(sock, &m);
	while (r == -EINTR);
	if (r < 0)
		return r;
	if (m.eof || m.nfds != 1) {
		mw__scm_close(&m);
		return -EPIPE;
	}
	fd = m.fds[0];
	m.nfds = 0;
	mw__scm_close(&m);
	return fd;
}

/* Read the first report (pid 1's, or the forked command's). */
static int read_report(int fd, struct report *rep)
{
	ssize_t n;

	do
		n = read(fd, rep, sizeof(*rep));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*rep) ? 0 : -ECHILD;
}

static int start(struct run *rn, struct mw_policy_run_result *r)
{
	const struct mw_policy_run_opts *o = &rn->o;
	int sync_p[2] = { -1, -1 }, rep_p[2] = { -1, -1 }, ls_p[2] = { -1, -1 }, e;
	bool newns, userns = false;
	struct report rep;
	sigset_t all;
	unsigned long fl = 0; /* exit signal 0 */
	pid_t pid;

	newns = (o->flags & MW_POLICY_RUN_NEWNS) || o->noexec_level >= 0;
	if (newns) {
		if (o->noexec_level >= 0 && access(NOEXEC_SYSCTL, F_OK) < 0 && errno == ENOENT)
			return fail(r, MW_POLICY_RUN_STAGE_NO_SYSCTL, EOPNOTSUPP);
		userns = (o->flags & MW_POLICY_RUN_USERNS) || !have_cap_sys_admin();
		if (userns && (o->flags & MW_POLICY_RUN_NO_USERNS))
			return fail(r, MW_POLICY_RUN_STAGE_USERNS, EPERM);
		fl |= CLONE_NEWPID | CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync_p) < 0 || pipe2(rep_p, O_CLOEXEC) < 0 ||
	    ((o->flags & MW_POLICY_RUN_SUPERVISE) &&
	     socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ls_p) < 0)) {
		e = errno;
		close_pair(sync_p);
		close_pair(rep_p);
		close_pair(ls_p);
		return fail(r, MW_POLICY_RUN_STAGE_FORK, e);
	}
	rn->sync_fd = sync_p[0];
	rn->report_fd = rep_p[1];
	rn->lsock = ls_p[1];
	sigaction(SIGCHLD, NULL, &rn->oldchld);

	/* Block the forwarded signals until each pid 1 has its handlers. */
	sigemptyset(&all);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&all, forwarded[i]);
	sigprocmask(SIG_BLOCK, &all, &rn->oldmask);
	/* fork() with namespace flags: the child is pid 1 of the new pid
	 * namespace. */
	pid = mw_sys_fork_pidfd(fl, &r->pidfd);
	if (pid == 0) {
		close(sync_p[1]);
		close(rep_p[0]);
		if (ls_p[0] >= 0)
			close(ls_p[0]);
		if (newns)
			ns_init(rn);
		close(sync_p[0]);
		waiter(rn);
	}
	e = errno;
	sigprocmask(SIG_SETMASK, &rn->oldmask, NULL);
	close(sync_p[0]);
	close(rep_p[1]);
	mw__closep(&ls_p[1]);
	if (pid < 0) {
		close(sync_p[1]);
		close(rep_p[0]);
		mw__closep(&ls_p[0]);
		return fail(r, newns ? (userns ? MW_POLICY_RUN_STAGE_USERNS : MW_POLICY_RUN_STAGE_PIDNS)
				   : MW_POLICY_RUN_STAGE_FORK, e);
	}
	if (userns && (e = write_id_maps(pid)) < 0) {
		close(sync_p[1]);
		close(rep_p[0]);
		mw__closep(&ls_p[0]);
		discard_child(pid, &r->pidfd);
		return fail(r, MW_POLICY_RUN_STAGE_USERNS, -e);
	}
	if (newns)
		(void)send(sync_p[1], "g", 1, MSG_NOSIGNAL); /* only pid 1 waits for this */
	close(sync_p[1]);
	e = read_report(rep_p[0], &rep);
	if (e == 0 && rep.stage == MW_POLICY_RUN_STAGE_NONE && ls_p[0] >= 0) {
		/* The command sends the listener, or closes its end (a setup
		 * failure, reported on the pipe). */
		r->listener = recv_listener(ls_p[0]);
		if (r->listener < 0) {
			discard_child(pid, &r->pidfd);
			mw__closep(&ls_p[0]);
			e = read_report(rep_p[0], &rep);
			close(rep_p[0]);
			return fail(r, MW_POLICY_RUN_STAGE_SETUP,
				    e == 0 && rep.error ? rep.error : -r->listener);
		}
	}
	mw__closep(&ls_p[0]);
	if (e < 0 || rep.stage != MW_POLICY_RUN_STAGE_NONE) {
		while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
			;
		mw__closep(&r->pidfd);
		close(rep_p[0]);
		if (e < 0)
			return fail(r, MW_POLICY_RUN_STAGE_FORK, -e);
		r->ancestor_level = rep.ancestor;
		return fail(r, rep.stage, rep.error ? rep.error : EIO);
	}
	r->pid = pid;
	r->level = rep.level;
	r->report_fd = rep_p[0];
	return 0;
}

MW_API int mw_policy_run(const struct mw_policy_run_opts *opts, struct mw_policy_run_result *res)
{
	struct mw_policy_run_result r = { .pid = -1, .level = -1, .ancestor_level = -1,
					  .report_fd = -1, .pidfd = -1, .listener = -1 };
	struct run rn = { .sync_fd = -1, .report_fd = -1, .lsock = -1 };
	int ret;

	if (!opts || !res || res->sz < offsetof(struct mw_policy_run_result, pidfd) ||
	    mw__opts_in(&rn.o, sizeof(rn.o), offsetof(struct mw_policy_run_opts, noexec_level), opts) < 0)
		return -EINVAL;
	if ((rn.o.flags & ~MW_POLICY_RUN_FLAGS_ALL) || rn.o.noexec_level < -1 || rn.o.noexec_level > 2 ||
	    !rn.o.argv || !rn.o.argv[0])
		return -EINVAL;
	/* An old caller's result has no room for the listener or the pidfd:
	 * it cannot ask for the listener, and gets no pidfd. */
	if ((rn.o.flags & MW_POLICY_RUN_SUPERVISE) && !MW_OPTS_HAS(struct mw_policy_run_result, res, listener))
		return -EINVAL;
	r.sz = sizeof(r);
	ret = start(&rn, &r);
	if (ret == 0 && !MW_OPTS_HAS(struct mw_policy_run_result, res, pidfd))
		mw__closep(&r.pidfd);
	MW_RESULT_OUT(res, r);
	return ret;
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
	if (n != (ssize_t)sizeof(rep) || rep.stage == MW_POLICY_RUN_STAGE_NONE)
		return 0;
	if (stage)
		*stage = (enum mw_policy_run_stage)rep.stage;
	return rep.error;
}
