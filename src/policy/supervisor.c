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
 *
 * What counts as "a memfd" is decided on the file, not its name: every file
 * of the kernel's internal shmem mount (memfds, MAP_SHARED|MAP_ANONYMOUS
 * mappings and SysV segments, which /proc/PID/map_files reopens as
 * executable files) and every unlinked hugetlbfs file (hugetlbfs ignores
 * F_SEAL_EXEC, so those are never "sealed").
 *
 * A notification that is not one of the calls above on an ABI the filter
 * covers is refused (ENOSYS): continuing would let a call nobody checked
 * through.
 */
#include "core/internal.h"
#include "core/opts.h"
#include "core/seals.h"
#include "policy/internal.h"
#include "sys/shim.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/openat2.h>
#include <sys/uio.h>
#include <time.h>

#include <memward/features.h>
#include <memward/policy.h>

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#define MFD_HUGE_MASK 0x3f
#endif

struct sv {
	const struct mw_policy_supervise_opts *o;
	const struct mw_policy *pol;
	int listener;
	bool noexec_seal;   /* the kernel knows MFD_NOEXEC_SEAL / F_SEAL_EXEC */
	dev_t shm_dev;      /* st_dev of the internal shmem mount (0: unknown) */
	struct mw__policy_abi abi;
};

MW_API const char *mw_policy_call_name(enum mw_policy_call c)
{
	switch (c) {
	case MW_POLICY_CALL_MEMFD_CREATE: return "memfd_create";
	case MW_POLICY_CALL_EXECVE: return "execve";
	case MW_POLICY_CALL_EXECVEAT: return "execveat";
	case MW_POLICY_CALL_UNKNOWN: return "unknown";
	}
	return NULL;
}

MW_API const char *mw_policy_verdict_name(enum mw_policy_verdict v)
{
	switch (v) {
	case MW_POLICY_VERDICT_ALLOW: return "allow";
	case MW_POLICY_VERDICT_DENY: return "deny";
	case MW_POLICY_VERDICT_NOEXEC: return "noexec";
	}
	return NULL;
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

/* Install fd in the caller, then answer its memfd_create with the number.
 *
 * Not SECCOMP_ADDFD_FLAG_SEND (5.14), although it does both in one step: it
 * marks the notification replied (error 0, value 0) before the caller has
 * installed the fd, and if the supervisor is killed in between, the kernel
 * drops the pending fd and the caller's memfd_create returns 0 as if it had
 * succeeded (kernel/seccomp.c seccomp_notify_addfd(); seen on 6.18 with the
 * supervisor killed under load: tests/live/policy/fail_closed.c). In two
 * steps a supervisor killed between them leaves the call unanswered, so it
 * fails with ENOSYS like every other one (fail closed); the caller then keeps
 * an fd it does not know of, a non-executable memfd. */
static int addfd_send(const struct sv *sv, struct seccomp_notif_resp *resp, uint64_t id,
		      int fd, bool cloexec)
{
	struct seccomp_notif_addfd a = {
		.id = id,
		.flags = 0,
		.srcfd = (uint32_t)fd,
		.newfd = 0,
		.newfd_flags = cloexec ? O_CLOEXEC : 0,
	};
	int r = ioctl(sv->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);

	if (r < 0)
		return errno == ENOENT ? 0 : respond(sv, resp, id, 0, errno, 0);
	return respond(sv, resp, id, 0, 0, r);
}

static int on_memfd_create(struct sv *sv, struct seccomp_notif *req,
			   struct seccomp_notif_resp *resp, const struct caller *c)
{
	unsigned int flags = (unsigned int)req->data.args[1];
	bool audit = mw_policy_mode(sv->pol) == MW_POLICY_AUDIT;
	bool huge = flags & MFD_HUGETLB;
	char name[256];
	const char *reason;
	unsigned int nflags;
	ssize_t n;
	int fd;

	if (c->listed) {
		report(sv, c, MW_POLICY_CALL_MEMFD_CREATE, MW_POLICY_VERDICT_ALLOW, 1, 0,
		       "listed executable", "", flags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	/* MFD_NOEXEC_SEAL makes a non-executable memfd, except on hugetlbfs,
	 * which ignores F_SEAL_EXEC: fchmod +x then succeeds (6.1-6.18). */
	if ((flags & MFD_NOEXEC_SEAL) && !(flags & MFD_EXEC) && !huge) {
		report(sv, c, MW_POLICY_CALL_MEMFD_CREATE, MW_POLICY_VERDICT_ALLOW, 1, 0,
		       sv->noexec_seal ? "already non-executable (MFD_NOEXEC_SEAL)"
				       : "MFD_NOEXEC_SEAL: the kernel refuses it (EINVAL before 6.3)",
		       "", flags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	if ((flags & MFD_EXEC) && mw_policy_exec_request(sv->pol) == MW_POLICY_REQ_REFUSE) {
		report(sv, c, MW_POLICY_CALL_MEMFD_CREATE, MW_POLICY_VERDICT_DENY, !audit, audit ? 0 : EACCES,
		       "MFD_EXEC from an executable the policy does not list", "", flags);
		return audit ? respond(sv, resp, req->id, 1, 0, 0)
			     : respond(sv, resp, req->id, 0, EACCES, 0);
	}
	reason = huge ? "MFD_HUGETLB stripped (hugetlbfs ignores F_SEAL_EXEC): memfd made non-executable"
		: (flags & MFD_EXEC) ? "MFD_EXEC downgraded: executable not listed"
				     : "executable not listed: memfd made non-executable";
	if (audit) {
		report(sv, c, MW_POLICY_CALL_MEMFD_CREATE, MW_POLICY_VERDICT_NOEXEC, 0, 0, reason, "", flags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	n = read_string(c->pid, req->data.args[0], name, sizeof(name));
	if (n < 0) {
		if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
			return 0;
		report(sv, c, MW_POLICY_CALL_MEMFD_CREATE, MW_POLICY_VERDICT_DENY, 1,
		       n == -ENAMETOOLONG ? EINVAL : EFAULT, "cannot read the memfd name", "", flags);
		return respond(sv, resp, req->id, 0, n == -ENAMETOOLONG ? EINVAL : EFAULT, 0);
	}
	/* The caller is still the task we read from (not a recycled pid). */
	if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
		return 0;
	/* A tmpfs memfd instead of a hugetlb one: same contents and API, only
	 * the page size differs (documented in memward-run(1)). */
	nflags = flags & ~(MFD_EXEC | MFD_CLOEXEC | MFD_HUGETLB | ((unsigned int)MFD_HUGE_MASK << MFD_HUGE_SHIFT));
	if (sv->noexec_seal)
		nflags |= MFD_NOEXEC_SEAL;
	fd = mw_sys_memfd_create(name, nflags);
	if (fd < 0) {
		int e = errno;
		report(sv, c, MW_POLICY_CALL_MEMFD_CREATE, MW_POLICY_VERDICT_DENY, 1, e,
		       "the supervisor's own memfd_create failed", name, flags);
		return respond(sv, resp, req->id, 0, e, 0);
	}
	/* 6.1: no MFD_NOEXEC_SEAL. Take the exec bits away; nothing freezes
	 * them (no F_SEAL_EXEC), see memward-run(1). */
	if (!sv->noexec_seal && fchmod(fd, 0666) < 0) {
		int e = errno;
		close(fd);
		report(sv, c, MW_POLICY_CALL_MEMFD_CREATE, MW_POLICY_VERDICT_DENY, 1, e,
		       "cannot clear the exec bits", name, flags);
		return respond(sv, resp, req->id, 0, e, 0);
	}
	report(sv, c, MW_POLICY_CALL_MEMFD_CREATE, MW_POLICY_VERDICT_NOEXEC, 1, 0, reason, name, flags);
	n = addfd_send(sv, resp, req->id, fd, flags & MFD_CLOEXEC);
	close(fd);
	return (int)n;
}

/* A verdict and why. */
struct judgement {
	enum mw_policy_verdict v;
	int err;
	bool by_name;       /* the file was found through an ordinary name */
	char reason[256];
};

__attribute__((format(printf, 3, 4)))
static int refuse(struct judgement *j, int err, const char *fmt, ...)
{
	va_list ap;

	j->v = MW_POLICY_VERDICT_DENY;
	j->err = err;
	va_start(ap, fmt);
	vsnprintf(j->reason, sizeof(j->reason), fmt, ap);
	va_end(ap);
	return -1;
}

/* The caller's fd, through a pidfd. */
static int caller_fd(const struct caller *c, int target, struct judgement *j)
{
	int pidfd = mw_sys_pidfd_open(c->pid, 0), file, e;

	if (pidfd < 0)
		return refuse(j, EACCES, "pidfd_open failed: %s", strerror(errno));
	file = mw_sys_pidfd_getfd(pidfd, target, 0);
	e = errno;
	close(pidfd);
	/* EBADF: no such fd now. Answer it ourselves: letting the call go on
	 * would let another thread install one in between. */
	if (file < 0)
		return refuse(j, e == EBADF ? EBADF : EACCES, "fd %d: %s", target, strerror(e));
	return file;
}

/* Resolve a name the kernel will resolve itself (not one of the /proc or
 * /dev/fd forms above) as the caller would, but refusing /proc magic links
 * (RESOLVE_NO_MAGICLINKS, 5.6): an absolute name under the caller's root, a
 * relative one from its working directory or dirfd. A memory file has no
 * name, so a name that reaches one goes through a magic link somewhere: a
 * symlink to /proc/self/fd/N, a relative name under a /proc/self/fd dirfd or
 * working directory. Returns the file (O_PATH), -1 refused (j set: also
 * when the name does not resolve for us, with the errno we met), or -2: no
 * openat2, let the kernel decide (the CONTINUE race of memward-run(1)
 * applies either way). */
static int resolve_plain(const struct caller *c, const char *path, int dirfd, struct judgement *j)
{
	char base[64];
	uint64_t resolve = RESOLVE_NO_MAGICLINKS;
	int bfd, fd, e;

	if (path[0] == '/') {
		snprintf(base, sizeof(base), "/proc/%d/root", (int)c->pid);
		resolve |= RESOLVE_IN_ROOT;
		bfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else if (dirfd == AT_FDCWD) {
		snprintf(base, sizeof(base), "/proc/%d/cwd", (int)c->pid);
		bfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		bfd = caller_fd(c, dirfd, j);
		if (bfd < 0)
			return -1;
	}
	if (bfd < 0)
		return refuse(j, EACCES, "cannot open the caller's %s: %s", path[0] == '/' ? "root" : "cwd",
			      strerror(errno));
	fd = mw_sys_openat2_path(bfd, path, resolve);
	e = errno;
	close(bfd);
	j->by_name = true;
	if (fd >= 0)
		return fd;
	if (e == ELOOP || e == EXDEV)
		return refuse(j, EACCES, "the name goes through a /proc magic link (an fd, mapping or exe): "
			      "cannot be checked");
	if (e == ENOSYS || e == E2BIG)
		return -2; /* no openat2 (before 5.6): memward-run(1) says what that costs */
	/* Any other failure is answered with the same error, never let through:
	 * our walk and the kernel's differ where the name passes /proc/self or
	 * /proc/thread-self (ours, not the caller's), and a name that resolves
	 * for the caller but not for us is exactly such a name. */
	return refuse(j, e, "the name does not resolve for memward (%s): not checked, refused",
		      strerror(e));
}

/* Open the file the exec names, if it can be a memfd: >= 0; -1 refused (j
 * set); -2 an ordinary name the kernel resolves (allowed). */
static int open_target(const struct caller *c, const struct seccomp_notif *req, enum mw_policy_call call,
		       const char *path, unsigned int eflags, struct judgement *j)
{
	struct mw__exec_path ep;
	char proc[192];
	int dirfd = call == MW_POLICY_CALL_EXECVEAT ? (int)req->data.args[0] : AT_FDCWD;
	int fd;

	if (call == MW_POLICY_CALL_EXECVEAT && (eflags & AT_EMPTY_PATH) && path[0] == '\0')
		return caller_fd(c, dirfd, j);
	if (path[0] != '/')
		return resolve_plain(c, path, dirfd, j);
	mw__policy_exec_path(path, mw__policy_ns_pid(c->pid), &ep);
	switch (ep.kind) {
	case MW__PATH_PLAIN:
		return resolve_plain(c, path, dirfd, j);
	case MW__PATH_OTHER_PROC:
		return refuse(j, EACCES, "path names another process's fd, mapping or exe: cannot be checked");
	case MW__PATH_FD:
		return caller_fd(c, ep.fd, j);
	case MW__PATH_PROC_FILE:
		break;
	}
	/* map_files/RANGE or exe of the caller itself: the same file, opened
	 * through its real pid. */
	snprintf(proc, sizeof(proc), "/proc/%d/%s", (int)c->pid, ep.sub);
	fd = open(proc, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		fd = open(proc, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return refuse(j, EACCES, "cannot open %s: %s", ep.sub, strerror(errno));
	return fd;
}

static const char *kind_name(enum mw__file_kind k)
{
	switch (k) {
	case MW__FILE_MEMFD: return "a memfd";
	case MW__FILE_SHMEM: return "internal shared memory (anonymous shared mapping or SysV segment)";
	case MW__FILE_HUGETLB: return "a hugetlbfs memfd or mapping";
	case MW__FILE_UNLINKED: return "an unlinked file (O_TMPFILE or deleted while open)";
	case MW__FILE_OTHER: break;
	}
	return "a file";
}

/* The file is open: judge it. */
static void judge_file(const struct sv *sv, const struct caller *c, int file, struct judgement *j)
{
	enum mw__file_kind kind = mw__policy_file_kind(file, sv->shm_dev);
	long nthreads = threads_of(c->pid);
	unsigned int seals, required;
	char have[64], need[64];
	int s;

	if (kind == MW__FILE_OTHER && j->by_name) {
		/* The kernel resolves the name again; swapping what it names is
		 * the CONTINUE race of memward-run(1), for any caller. */
		snprintf(j->reason, sizeof(j->reason), "an ordinary file");
		return;
	}
	if (kind == MW__FILE_OTHER) {
		/* Another thread (or a CLONE_FILES sibling sharing the table)
		 * could put a memfd in its place before the kernel looks. */
		if (nthreads != 1)
			refuse(j, EACCES, "exec through an fd or /proc name by a multithreaded caller (%ld threads): "
			       "cannot be checked", nthreads);
		else
			snprintf(j->reason, sizeof(j->reason), "not a memfd or shared memory");
		return;
	}
	if (!c->listed) {
		refuse(j, EACCES, "exec of %s by an executable the policy does not list", kind_name(kind));
		return;
	}
	if (kind == MW__FILE_HUGETLB) {
		refuse(j, EACCES, "exec of %s: hugetlbfs ignores F_SEAL_EXEC, never sealed", kind_name(kind));
		return;
	}
	s = fcntl(file, F_GET_SEALS);
	seals = s < 0 ? 0 : (unsigned int)s;
	required = mw_policy_required_seals(sv->pol);
	if (!sv->noexec_seal)
		required &= ~(unsigned int)F_SEAL_EXEC; /* 6.1: no F_SEAL_EXEC */
	mw__seals_string(seals, have, sizeof(have));
	mw__seals_string(required, need, sizeof(need));
	if ((seals & required) != required)
		refuse(j, EACCES, "%s, not fully sealed (has %s, needs %s)", kind_name(kind), have, need);
	else if (nthreads != 1)
		refuse(j, EACCES, "multithreaded caller (%ld threads): the fd could be swapped before the exec",
		       nthreads);
	else
		snprintf(j->reason, sizeof(j->reason), "sealed memfd (%s), listed executable", have);
}

static int on_exec(struct sv *sv, struct seccomp_notif *req, struct seccomp_notif_resp *resp,
		   const struct caller *c, enum mw_policy_call call)
{
	bool audit = mw_policy_mode(sv->pol) == MW_POLICY_AUDIT;
	uint64_t path_addr = call == MW_POLICY_CALL_EXECVE ? req->data.args[0] : req->data.args[1];
	unsigned int eflags = call == MW_POLICY_CALL_EXECVEAT ? (unsigned int)req->data.args[4] : 0;
	struct judgement j = { .v = MW_POLICY_VERDICT_ALLOW };
	char path[PATH_MAX];
	ssize_t n;
	int file;

	n = read_string(c->pid, path_addr, path, sizeof(path));
	if (n < 0) {
		if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
			return 0;
		/* What we cannot read we cannot check: refuse. */
		j.err = n == -ENAMETOOLONG ? ENAMETOOLONG : EFAULT;
		report(sv, c, call, MW_POLICY_VERDICT_DENY, 1, j.err, "cannot read the path", "", eflags);
		return respond(sv, resp, req->id, 0, j.err, 0);
	}
	file = open_target(c, req, call, path, eflags, &j);
	/* What we opened belongs to the notifying task, not to a task that
	 * took over a recycled pid. */
	if (seccomp_notify_id_valid(sv->listener, req->id) < 0) {
		if (file >= 0)
			close(file);
		return 0;
	}
	if (file == -2) {
		report(sv, c, call, MW_POLICY_VERDICT_ALLOW, 1, 0, "not an fd path", path, eflags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	if (file >= 0) {
		judge_file(sv, c, file, &j);
		close(file);
	}
	if (seccomp_notify_id_valid(sv->listener, req->id) < 0)
		return 0;
	if (j.v == MW_POLICY_VERDICT_ALLOW || audit) {
		report(sv, c, call, j.v, j.v == MW_POLICY_VERDICT_ALLOW, 0, j.reason, path, eflags);
		return respond(sv, resp, req->id, 1, 0, 0);
	}
	report(sv, c, call, j.v, 1, j.err, j.reason, path, eflags);
	return respond(sv, resp, req->id, 0, j.err, 0);
}

/* A notification that is none of ours (an ABI or a call the table lacks). */
static int on_unknown(struct sv *sv, struct seccomp_notif *req, struct seccomp_notif_resp *resp,
		      const struct caller *c)
{
	char what[96];

	snprintf(what, sizeof(what), "arch %#x nr %d", (unsigned)req->data.arch, req->data.nr);
	report(sv, c, MW_POLICY_CALL_UNKNOWN, MW_POLICY_VERDICT_DENY, 1, ENOSYS,
	       "notification the supervisor cannot identify: refused", what, 0);
	return respond(sv, resp, req->id, 0, ENOSYS, 0);
}

MW_API int mw_policy_supervise(const struct mw_policy_supervise_opts *opts)
{
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	struct mw_feature_status st = { .sz = sizeof(st) };
	struct mw_policy_supervise_opts ours, *o = &ours;
	struct sv sv = { 0 };
	int r;

	/* An older caller's smaller struct: the missing tail reads as zero
	 * (then stop_fd 0 would be stdin: a struct without stop_fd has none). */
	if (!opts || MW_OPTS_IN(ours, opts) < 0)
		return -EINVAL;
	if (opts->sz < offsetof(struct mw_policy_supervise_opts, stop_fd) + sizeof(int))
		ours.stop_fd = -1;
	if (o->flags || !o->policy || o->listener < 0)
		return -EINVAL;
	sv.o = o;
	sv.pol = o->policy;
	sv.listener = o->listener;
	sv.noexec_seal = mw_feature_probe(MW_FEAT_MFD_NOEXEC_SEAL, &st) == 0 &&
			 st.state == MW_FEATURE_SUPPORTED;
	sv.shm_dev = mw__policy_shm_dev();
	r = mw__policy_abi_init(&sv.abi);
	if (r < 0)
		return r;
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
		call = mw__policy_identify(&sv.abi, req->data.arch, req->data.nr);
		if (call == MW_POLICY_CALL_MEMFD_CREATE)
			r = on_memfd_create(&sv, req, resp, &c);
		else if (call == MW_POLICY_CALL_EXECVE || call == MW_POLICY_CALL_EXECVEAT)
			r = on_exec(&sv, req, resp, &c, (enum mw_policy_call)call);
		else
			r = on_unknown(&sv, req, resp, &c);
		if (r < 0 && r != -ENOENT)
			mw__log(4, "supervisor: answering pid %d failed: %d", (int)req->pid, r);
	}
	seccomp_notify_free(req, resp);
	return r;
}
