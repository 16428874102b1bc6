/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memfd_create policy hook that was dropped from the 6.3 series, in user
 * space: a seccomp user-notification supervisor (libseccomp's
 * seccomp_notify_* API, plus the raw SECCOMP_IOCTL_NOTIF_ADDFD that
 * libseccomp 2.5 lacks).
 *
 * memfd_create: its flags are in a register, so the decision cannot be
 * raced. Listed executables go on unchanged; for the others the supervisor
 * creates the memfd itself, non-executable, and installs it in the caller
 * (MFD_NOEXEC_SEAL where the kernel has it; on 6.1 a memfd without exec bits).
 *
 * execve/execveat of a memfd: the supervisor can only let the call go on
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE), and the kernel then looks at the path
 * and the fd table again. What it checked may have changed by then if
 * another task shares the caller's memory or fd table. Where it cannot be
 * sure it refuses; memward-run(1) states what remains.
 */
#include "core/internal.h"
#include "core/seals.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>

#include <memward/features.h>
#include <memward/policy.h>

struct sv {
	const struct mw_policy_supervise_opts *o;
	const struct mw_policy *pol;
	int listener;
	bool noexec_seal;   /* the kernel knows MFD_NOEXEC_SEAL / F_SEAL_EXEC */
	int nr_memfd, nr_execve, nr_execveat; /* native numbers */
	uint32_t native_arch;
};

MW_API const char *mw_policy_call_name(enum mw_policy_call c)
{
	switch (c) {
	case MW_CALL_MEMFD_CREATE: return "memfd_create";
	case MW_CALL_EXECVE: return "execve";
	case MW_CALL_EXECVEAT: return "execveat";
	}
	return NULL;
}

MW_API const char *mw_policy_verdict_name(enum mw_policy_verdict v)
{
	switch (v) {
	case MW_VERDICT_ALLOW: return "allow";
	case MW_VERDICT_DENY: return "deny";
	case MW_VERDICT_NOEXEC: return "noexec";
	}
	return NULL;
}

static int identify(const struct sv *sv, const struct seccomp_data *d)
{
	int nr = d->nr;
	char *name;
	int r = -1;

	if (d->arch == sv->native_arch) {
		if (nr == sv->nr_memfd)
			return MW_CALL_MEMFD_CREATE;
		if (nr == sv->nr_execve)
			return MW_CALL_EXECVE;
		if (nr == sv->nr_execveat)
			return MW_CALL_EXECVEAT;
		return -1;
	}
	/* The 32-bit ABIs (rare): resolve by name. */
	name = seccomp_syscall_resolve_num_arch(d->arch, nr);
	if (!name)
		return -1;
	if (!strcmp(name, "memfd_create"))
		r = MW_CALL_MEMFD_CREATE;
	else if (!strcmp(name, "execve"))
		r = MW_CALL_EXECVE;
	else if (!strcmp(name, "execveat"))
		r = MW_CALL_EXECVEAT;
	free(name);
	return r;
}

/* Read a NUL-terminated string from the caller, page by page (a string may
 * end just before an unmapped page). Returns its length or -errno. */
static ssize_t read_string(pid_t pid, uint64_t addr, char *buf, size_t size)
{
	size_t got = 0;
	const size_t page = 4096;

	if (!addr)
		return -EFAULT;
	while (got < size - 1) {
		size_t want = page - ((addr + got) % page);
		struct iovec local, remote;
		ssize_t n;
		char *nul;

		if (want > size - 1 - got)
			want = size - 1 - got;
		local.iov_base = buf + got;
		local.iov_len = want;
		remote.iov_base = (void *)(uintptr_t)(addr + got);
		remote.iov_len = want;
		n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			return n < 0 ? -errno : -EFAULT;
		nul = memchr(buf + got, '\0', (size_t)n);
		if (nul)
			return nul - buf;
		got += (size_t)n;
	}
	buf[size - 1] = '\0';
	return -ENAMETOOLONG;
}

struct caller {
	pid_t pid;
	char exe[PATH_MAX];
	uint64_t dev, ino;
	bool exe_known;
	bool listed;
};

static void caller_info(const struct sv *sv, pid_t pid, struct caller *c)
{
	char path[64];
	struct stat st;
	ssize_t n;

	c->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	/* The file itself (stat follows the magic link), not its name. */
	c->exe_known = stat(path, &st) == 0;
	c->dev = c->exe_known ? st.st_dev : 0;
	c->ino = c->exe_known ? st.st_ino : 0;
	n = readlink(path, c->exe, sizeof(c->exe) - 1);
	if (n < 0)
		strcpy(c->exe, "?");
	else
		c->exe[n] = '\0';
	c->listed = c->exe_known && mw_policy_allows(sv->pol, c->dev, c->ino);
}

static long threads_of(pid_t pid)
{
	char path[64], status[4096];
	long n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (mw__read_file(path, status, sizeof(status)) < 0 ||
	    mw__parse_status_long(status, "Threads", &n) < 0)
		return -1;
	return n;
}

static void report(const struct sv *sv, const struct caller *c, enum mw_policy_call call,
		   enum mw_policy_verdict v, int enforced, int err, const char *reason,
		   const char *detail, unsigned int flags)
{
	struct mw_policy_decision d;
	struct timespec ts;

	if (!sv->o->on_decision)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	d.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	d.pid = c->pid;
	d.exe = c->exe;
	d.call = call;
	d.verdict = v;
	d.enforced = enforced;
	d.error = err;
	d.reason = reason;
	d.detail = detail ? detail : "";
	d.flags = flags;
	sv->o->on_decision(&d, sv->o->ctx);
}

static int respond(const struct sv *sv, struct seccomp_notif_resp *resp, uint64_t id,
		   int cont, int err, int64_t val)
{
	int r;

	resp->id = id;
	resp->flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
	resp->error = cont ? 0 : -err;
	resp->val = cont || err ? 0 : val;
	r = seccomp_notify_respond(sv->listener, resp);
	/* -ENOENT: the caller went away (killed, or its wait interrupted). */
	return r == -ENOENT ? 0 : r;
}

/* Install fd in the caller as the result of its memfd_create. */
static int addfd_send(const struct sv *sv, struct seccomp_notif_resp *resp, uint64_t id,
		      int fd, bool cloexec)
{
	struct seccomp_notif_addfd a = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)fd,
		.newfd = 0,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	int r = ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);

	if (r >= 0)
		return 0;   /* installed and answered in one step (5.14+) */
	if (errno == ENOENT)
		return 0;
	if (errno != EINVAL)
		return respond(sv, resp, id, 0, errno, 0);
	/* 5.9-5.13: no FLAG_SEND; add, then answer with the number. */
	a.flags = 0;
	r = ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (r < 0)
		return errno == ENOENT ? 0 : respond(sv, resp, id, 0, errno, 0);
	return respond(sv, resp, id, 0, 0, r);
}

static int on_memfd_create(struct sv *sv, struct seccomp_notif *req,
			   struct seccomp_notif_resp *resp, const struct caller *c)
{
	unsigned int flags = (unsigned int)req->data.args[1];
	bool audit = mw_policy_mode(sv->pol) == MW_POLICY_AUDIT;
	char name[256];
	const char *reason;
	unsigned int nflags;
	ssize_t n;
	int fd;

	if (c->listed) {
		report(sv, c, MW_CALL_MEMFD_CREATE, MW_VERDICT_ALLOW, 1, 0,
		       "listed executable", "", flags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	if ((flags & MFD_NOEXEC_SEAL) && !(flags & MFD_EXEC)) {
		report(sv, c, MW_CALL_MEMFD_CREATE, MW_VERDICT_ALLOW, 1, 0,
		       sv->noexec_seal ? "already non-executable (MFD_NOEXEC_SEAL)"
				       : "MFD_NOEXEC_SEAL: the kernel refuses it (EINVAL before 6.3)",
		       "", flags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	if ((flags & MFD_EXEC) && mw_policy_exec_request(sv->pol) == MW_POLICY_REQ_REFUSE) {
		report(sv, c, MW_CALL_MEMFD_CREATE, MW_VERDICT_DENY, !audit, audit ? 0 : EACCES,
		       "MFD_EXEC from an executable the policy does not list", "", flags);
		return audit ? respond(sv, resp, req->id, 1, 0, 0)
			     : respond(sv, resp, req->id, 0, EACCES, 0);
	}
	reason = (flags & MFD_EXEC) ? "MFD_EXEC downgraded: executable not listed"
				    : "executable not listed: memfd made non-executable";
	if (audit) {
		report(sv, c, MW_CALL_MEMFD_CREATE, MW_VERDICT_NOEXEC, 0, 0, reason, "", flags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	n = read_string(c->pid, req->data.args[0], name, sizeof(name));
	if (n < 0) {
		if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
			return 0;
		report(sv, c, MW_CALL_MEMFD_CREATE, MW_VERDICT_DENY, 1, n == -ENAMETOOLONG ? EINVAL : EFAULT,
		       "cannot read the memfd name", "", flags);
		return respond(sv, resp, req->id, 0, n == -ENAMETOOLONG ? EINVAL : EFAULT, 0);
	}
	/* The caller is still the task we read from (not a recycled pid). */
	if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
		return 0;
	nflags = flags & ~(MFD_EXEC | MFD_CLOEXEC);
	if (sv->noexec_seal)
		nflags |= MFD_NOEXEC_SEAL;
	fd = mw_sys_memfd_create(name, nflags);
	if (fd < 0) {
		int e = errno;
		report(sv, c, MW_CALL_MEMFD_CREATE, MW_VERDICT_DENY, 1, e,
		       "the supervisor's own memfd_create failed", name, flags);
		return respond(sv, resp, req->id, 0, e, 0);
	}
	/* 6.1: no MFD_NOEXEC_SEAL. Take the exec bits away; nothing freezes
	 * them (no F_SEAL_EXEC), see memward-run(1). */
	if (!sv->noexec_seal && fchmod(fd, 0666) < 0) {
		int e = errno;
		close(fd);
		report(sv, c, MW_CALL_MEMFD_CREATE, MW_VERDICT_DENY, 1, e,
		       "cannot clear the exec bits", name, flags);
		return respond(sv, resp, req->id, 0, e, 0);
	}
	report(sv, c, MW_CALL_MEMFD_CREATE, MW_VERDICT_NOEXEC, 1, 0, reason, name, flags);
	n = addfd_send(sv, resp, req->id, fd, flags & MFD_CLOEXEC);
	close(fd);
	return (int)n;
}

/* "/proc/self/fd/N" and friends -> N; -1 if the path is not one of them,
 * -2 if it names another process's fd (cannot be checked). */
static int fd_of_path(const char *path, pid_t nspid)
{
	static const char *const prefixes[] = { "/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/" };
	const char *rest = NULL;
	char *end;
	long v;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i]))) {
			rest = path + strlen(prefixes[i]);
			break;
		}
	if (!rest && !strncmp(path, "/proc/", 6) && path[6] >= '0' && path[6] <= '9') {
		long p = strtol(path + 6, &end, 10);

		if (strncmp(end, "/fd/", 4) && strncmp(end, "/task/", 6))
			return -1;
		if (p != nspid)
			return -2;
		if (!strncmp(end, "/task/", 6)) {
			strtol(end + 6, &end, 10);
			if (strncmp(end, "/fd/", 4))
				return -1;
		}
		rest = end + 4;
	}
	if (!rest)
		return -1;
	if (*rest < '0' || *rest > '9')
		return -2;
	v = strtol(rest, &end, 10);
	if (*end != '\0' || v > INT_MAX)
		return -2;
	return (int)v;
}

/* The caller's pid as its own pid namespace sees it (last NSpid field). */
static pid_t ns_pid_of(pid_t pid)
{
	char path[64], status[4096], *line, *last, *tok, *save = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (mw__read_file(path, status, sizeof(status)) < 0)
		return pid;
	line = strstr(status, "\nNSpid:");
	if (!line)
		return pid;
	line += 7;
	*strchrnul(line, '\n') = '\0';
	last = NULL;
	for (tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		last = tok;
	return last ? (pid_t)atoi(last) : pid;
}

static bool is_memfd(int fd)
{
	char link[64], target[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0 || fstat(fd, &st) < 0)
		return false;
	target[n] = '\0';
	return !strncmp(target, "/memfd:", 7) && st.st_nlink == 0 && S_ISREG(st.st_mode);
}

static void seals_text(unsigned int seals, char *buf, size_t size)
{
	mw__seals_string(seals, buf, size);
}

static int on_exec(struct sv *sv, struct seccomp_notif *req, struct seccomp_notif_resp *resp,
		   const struct caller *c, enum mw_policy_call call)
{
	bool audit = mw_policy_mode(sv->pol) == MW_POLICY_AUDIT;
	uint64_t path_addr = call == MW_CALL_EXECVE ? req->data.args[0] : req->data.args[1];
	unsigned int eflags = call == MW_CALL_EXECVEAT ? (unsigned int)req->data.args[4] : 0;
	char path[PATH_MAX], reason[256], have[64], need[64];
	enum mw_policy_verdict v = MW_VERDICT_ALLOW;
	int target = -1, err = 0, pidfd, file;
	unsigned int seals, required;
	ssize_t n;
	long nthreads;

	n = read_string(c->pid, path_addr, path, sizeof(path));
	if (n < 0) {
		if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
			return 0;
		/* What we cannot read we cannot check: refuse. */
		err = n == -ENAMETOOLONG ? ENAMETOOLONG : EFAULT;
		report(sv, c, call, MW_VERDICT_DENY, 1, err, "cannot read the path", "", eflags);
		return respond(sv, resp, req->id, 0, err, 0);
	}
	if (call == MW_CALL_EXECVEAT && (eflags & AT_EMPTY_PATH) && path[0] == '\0')
		target = (int)req->data.args[0];
	else if (path[0] == '/')
		target = fd_of_path(path, ns_pid_of(c->pid));

	if (target == -1) {
		if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
			return 0;
		report(sv, c, call, MW_VERDICT_ALLOW, 1, 0, "not an fd path", path, eflags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	if (target == -2) {
		snprintf(reason, sizeof(reason), "path names another process's fd: cannot be checked");
		v = MW_VERDICT_DENY;
		err = EACCES;
		goto decided;
	}

	pidfd = mw_sys_pidfd_open(c->pid, 0);
	if (pidfd < 0) {
		if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
			return 0;
		snprintf(reason, sizeof(reason), "pidfd_open failed: %s", strerror(errno));
		v = MW_VERDICT_DENY;
		err = EACCES;
		goto decided;
	}
	file = mw_sys_pidfd_getfd(pidfd, target, 0);
	err = errno;
	close(pidfd);
	/* The pidfd and the fd belong to the notifying task, not to a task
	 * that took over a recycled pid. */
	if (seccomp_notify_id_valid(sv->listener, req->id) < 0) {
		if (file >= 0)
			close(file);
		return 0;
	}
	if (file < 0) {
		/* EBADF: no such fd now. Answer it ourselves: letting the call
		 * go on would let another thread install one in between. */
		snprintf(reason, sizeof(reason), "fd %d: %s", target, strerror(err));
		v = MW_VERDICT_DENY;
		err = err == EBADF ? EBADF : EACCES;
		goto decided;
	}
	nthreads = threads_of(c->pid);
	if (!is_memfd(file)) {
		close(file);
		if (nthreads != 1) {
			/* Another thread could dup2() an executable memfd over
			 * the fd between this check and the kernel's lookup. */
			snprintf(reason, sizeof(reason),
				 "exec through fd %d by a multithreaded caller (%ld threads): cannot be checked",
				 target, nthreads);
			v = MW_VERDICT_DENY;
			err = EACCES;
			goto decided;
		}
		snprintf(reason, sizeof(reason), "fd %d is not a memfd", target);
		goto decided;
	}
	seals = (unsigned int)fcntl(file, F_GET_SEALS);
	if ((int)seals < 0)
		seals = 0;
	close(file);
	required = mw_policy_required_seals(sv->pol);
	if (!sv->noexec_seal)
		required &= ~(unsigned int)F_SEAL_EXEC; /* 6.1: no F_SEAL_EXEC */
	seals_text(seals, have, sizeof(have));
	seals_text(required, need, sizeof(need));
	v = MW_VERDICT_DENY;
	err = EACCES;
	if (!c->listed)
		snprintf(reason, sizeof(reason), "exec of a memfd (fd %d) by an executable the policy does not list",
			 target);
	else if ((seals & required) != required)
		snprintf(reason, sizeof(reason), "memfd fd %d not fully sealed (has %s, needs %s)", target, have,
			 need);
	else if (nthreads != 1)
		snprintf(reason, sizeof(reason),
			 "multithreaded caller (%ld threads): the fd could be swapped before the exec", nthreads);
	else {
		snprintf(reason, sizeof(reason), "sealed memfd (%s), listed executable", have);
		v = MW_VERDICT_ALLOW;
		err = 0;
	}

decided:
	if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
		return 0;
	if (v == MW_VERDICT_ALLOW || audit) {
		report(sv, c, call, v, v == MW_VERDICT_ALLOW, 0, reason, path, eflags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	report(sv, c, call, v, 1, err, reason, path, eflags);
	return respond(sv, resp, req->id, 0, err, 0);
}

MW_API int mw_policy_supervise(const struct mw_policy_supervise_opts *o)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct mw_feature_status st = { .sz = sizeof(st) };
	struct sv sv = { 0 };
	int r;

	if (!o || o->sz < sizeof(*o) || o->flags || !o->policy || o->listener < 0)
		return -EINVAL;
	sv.o = o;
	sv.pol = o->policy;
	sv.listener = o->listener;
	sv.noexec_seal = mw_feature_probe(MW_FEAT_MFD_NOEXEC_SEAL, &st) == 0 &&
			 st.state == MW_FEATURE_SUPPORTED;
	sv.native_arch = (uint32_t)seccomp_arch_native();
	sv.nr_memfd = seccomp_syscall_resolve_name("memfd_create");
	sv.nr_execve = seccomp_syscall_resolve_name("execve");
	sv.nr_execveat = seccomp_syscall_resolve_name("execveat");
	r = seccomp_notify_alloc(&req, &resp);
	if (r < 0)
		return r;
	/* 6.6+: the caller and the supervisor hand the CPU to each other
	 * directly; older kernels say EINVAL and work as before. */
	(void)ioctl(o->listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);

	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = o->listener, .events = POLLIN },
			{ .fd = o->stop_fd, .events = POLLIN },
		};
		struct caller c;
		int call;

		r = poll(pf, o->stop_fd >= 0 ? 2 : 1, -1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (o->stop_fd >= 0 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			r = 0;
			break;
		}
		if (!(pf[0].revents & POLLIN)) {
			if (pf[0].revents & (POLLHUP | POLLERR)) {
				r = 0; /* no supervised task left */
				break;
			}
			continue;
		}
		/* libseccomp 2.5 does not zero the buffer; the kernel wants it zeroed. */
		memset(req, 0, sizeof(*req));
		r = seccomp_notify_receive(o->listener, req);
		if (r == -ENOENT || r == -EINTR || r == -ECANCELED)
			continue;
		if (r < 0)
			break;
		memset(resp, 0, sizeof(*resp));
		caller_info(&sv, (pid_t)req->pid, &c);
		call = identify(&sv, &req->data);
		if (call == MW_CALL_MEMFD_CREATE)
			r = on_memfd_create(&sv, req, resp, &c);
		else if (call == MW_CALL_EXECVE || call == MW_CALL_EXECVEAT)
			r = on_exec(&sv, req, resp, &c, (enum mw_policy_call)call);
		else
			r = respond(&sv, resp, req->id, 1, 0, 0);
		if (r < 0 && r != -ENOENT)
			mw__log(4, "supervisor: answering pid %d failed: %d", (int)req->pid, r);
	}
	seccomp_notify_free(req, resp);
	return r;
}
