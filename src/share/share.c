/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verified memfd sharing over AF_UNIX (SCM_RIGHTS). See include/memward/share.h. */
#include "core/internal.h"
#include "core/opts.h"
#include "core/scm.h"
#include "core/seals.h"
#include "proc/fdexec.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <syslog.h>

#include <memward/memfd.h>
#include <memward/share.h>

MW_API const char *mw_share_reason_name(enum mw_share_reason reason)
{
	switch (reason) {
	case MW_SHARE_OK: return "ok";
	case MW_SHARE_PEER_CLOSED: return "peer_closed";
	case MW_SHARE_NO_FD: return "no_fd";
	case MW_SHARE_TOO_MANY_FDS: return "too_many_fds";
	case MW_SHARE_TRUNCATED: return "truncated";
	case MW_SHARE_NOT_MEMFD: return "not_memfd";
	case MW_SHARE_BAD_ACCESS: return "bad_access";
	case MW_SHARE_MISSING_SEALS: return "missing_seals";
	case MW_SHARE_EXEC_POSSIBLE: return "exec_possible";
	case MW_SHARE_SIZE: return "size";
	case MW_SHARE_COPY_FAILED: return "copy_failed";
	case MW_SHARE_ERROR: return "error";
	case MW_SHARE_REOPEN_FAILED: return "reopen_failed";
	}
	return NULL;
}

static int reason_errno(enum mw_share_reason reason)
{
	switch (reason) {
	case MW_SHARE_OK: return 0;
	case MW_SHARE_PEER_CLOSED: return -EPIPE;
	case MW_SHARE_NO_FD: return -ENOMSG;
	case MW_SHARE_TOO_MANY_FDS: return -ETOOMANYREFS;
	case MW_SHARE_TRUNCATED: return -EMSGSIZE;
	case MW_SHARE_NOT_MEMFD: return -EMEDIUMTYPE;
	case MW_SHARE_BAD_ACCESS: return -EBADF;
	case MW_SHARE_MISSING_SEALS: return -EPERM;
	case MW_SHARE_EXEC_POSSIBLE: return -EACCES;
	case MW_SHARE_SIZE: return -ERANGE;
	case MW_SHARE_COPY_FAILED: return -EIO;
	case MW_SHARE_ERROR: return -EIO;
	case MW_SHARE_REOPEN_FAILED: return -ENXIO;
	}
	return -EIO;
}

/* The caller's result struct, filled up to its sz. */
static void res_out(struct mw_share_result *dst, const struct mw_share_result *src)
{
	(void)mw__result_out(dst, src, sizeof(*src));
}

__attribute__((format(printf, 3, 4)))
static int refuse(struct mw_share_result *r, enum mw_share_reason reason, const char *fmt, ...)
{
	va_list ap;

	r->reason = reason;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	if (reason != MW_SHARE_OK)
		mw__log(LOG_WARNING, "memfd refused (%s): %s", mw_share_reason_name(reason), r->detail);
	return reason_errno(reason);
}

static const struct mw_share_policy default_policy = {
	.sz = sizeof(struct mw_share_policy),
	.flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC,
	.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
};

/* Copy the caller's policy into a full-size struct; -EINVAL if malformed. */
static int load_policy(const struct mw_share_policy *in, struct mw_share_policy *out)
{
	if (!in)
		*out = default_policy;
	else if (mw__opts_in(out, sizeof(*out), sizeof(*out), in) < 0)
		return -EINVAL;
	if (out->flags & ~MW_SHARE_FLAGS_ALL)
		return -EINVAL;
	if (out->required_seals & ~MW_SEAL_ALL)
		return -EINVAL;
	if (out->timeout_ms < 0)
		return -EINVAL;
	if (!out->max_size)
		out->max_size = MW_SHARE_MAX_SIZE_DEFAULT;
	if (out->min_size > out->max_size)
		return -EINVAL;
	/* An unbounded copy is a memory exhaustion vector. */
	if ((out->flags & (MW_SHARE_COPY | MW_SHARE_EXEC_NEVER)) && out->max_size == MW_SHARE_NO_MAX)
		return -EINVAL;
	if (out->flags & MW_SHARE_EXEC_NEVER)
		out->flags |= MW_SHARE_NO_EXEC;
	return 0;
}

/* Seals in effect, with what they imply: F_SEAL_WRITE forbids everything
 * F_SEAL_FUTURE_WRITE does (no write(2), no new writable shared mapping) and
 * more (no existing one either). */
static unsigned int seals_implied(unsigned int seals)
{
	if (seals & MW_SEAL_WRITE)
		seals |= MW_SEAL_FUTURE_WRITE;
	return seals;
}

/* Why exec is not ruled out (NULL: it is). own_copy: our private copy,
 * whose mode only we could change. */
static const char *exec_problem(const struct mw__fd_facts *f, bool own_copy, char *buf,
				size_t len)
{
	if (f->exec_bits)
		return "an exec bit is set";
	if (!own_copy && f->hugetlbfs)
		return "a hugetlbfs file: hugetlbfs ignores F_SEAL_EXEC, its owner can chmod +x";
	if (!own_copy && !f->exec_sealed)
		return "no exec bit, but F_SEAL_EXEC is absent: its owner can chmod +x";
	if (f->acl)
		return "a POSIX ACL is set: its owner can grant exec through it, around "
		       "F_SEAL_EXEC (Linux 6.18)";
	if (f->acl_err) {
		snprintf(buf, len, "its ACL cannot be read (%s): exec not proven impossible",
			 strerror(-f->acl_err));
		return buf;
	}
	return NULL;
}

static int check_memfd(const struct mw__fd_facts *f, struct mw_share_result *r)
{
	if (f->memfd)
		return 0;
	if (f->memfd_unproven)
		return refuse(r, MW_SHARE_NOT_MEMFD, "not proven a memfd: no seals allowed, so "
			      "only its device could tell, unknown here (the receive path "
			      "makes no memfd): %s", f->name);
	return refuse(r, MW_SHARE_NOT_MEMFD, "not a memfd: %s%s", f->name,
		      f->link_memfd ? " (named like one, but on another device)" : "");
}

/* Verify fd; fills r. own_copy: fd is our private copy (exec bits cleared by
 * us, no other holder), so an unsealed exec mode cannot be abused. Makes no
 * memfd of its own (a sandboxed receiver may not have memfd_create). */
static int verify(int fd, const struct mw_share_policy *p, struct mw_share_result *r,
		  bool own_copy)
{
	struct mw__fd_facts f;
	char have[64], need[64], why[160];
	unsigned int seals;
	const char *bad;
	int fl, e;

	e = mw__fd_facts(fd, MW__FACTS_NO_PROBE, &f);
	if (e < 0 || (fl = fcntl(fd, F_GETFL)) < 0) {
		e = e < 0 ? e : -errno;
		refuse(r, MW_SHARE_ERROR, "fstat/F_GETFL on the received fd: %s", strerror(-e));
		return e;
	}
	if (!f.regular)
		return refuse(r, MW_SHARE_NOT_MEMFD, "not a regular file but %s",
			      S_ISFIFO(f.st.st_mode) ? "a pipe or FIFO" :
			      S_ISSOCK(f.st.st_mode) ? "a socket" :
			      S_ISDIR(f.st.st_mode) ? "a directory" : "a device or other");
	seals = f.seals >= 0 ? (unsigned int)f.seals : 0;
	r->seals = seals;
	r->size = (uint64_t)f.st.st_size;
	if ((fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY)
		return refuse(r, MW_SHARE_BAD_ACCESS, "the fd cannot be read (%s)",
			      (fl & O_PATH) ? "O_PATH" : "write-only");
	if ((p->flags & MW_SHARE_REQUIRE_MEMFD) && (e = check_memfd(&f, r)) < 0)
		return e;
	if ((seals_implied(seals) & p->required_seals) != p->required_seals) {
		mw_memfd_seals_to_string(p->required_seals & ~seals_implied(seals), need,
					 sizeof(need));
		mw_memfd_seals_to_string(seals, have, sizeof(have));
		return refuse(r, MW_SHARE_MISSING_SEALS, "missing seal(s) %s (has: %s)", need,
			      have[0] ? have : "none");
	}
	if ((p->flags & MW_SHARE_NO_EXEC) &&
	    (bad = exec_problem(&f, own_copy, why, sizeof(why))))
		return refuse(r, MW_SHARE_EXEC_POSSIBLE, "%s", bad);
	if (r->size < p->min_size || r->size > p->max_size)
		return refuse(r, MW_SHARE_SIZE, "size %llu outside [%llu, %llu]",
			      (unsigned long long)r->size, (unsigned long long)p->min_size,
			      (unsigned long long)p->max_size);
	return refuse(r, MW_SHARE_OK, "verified: %s%s, seals %s",
		      f.hugetlbfs ? "hugetlb " : "", f.memfd ? "memfd" : "file",
		      mw_memfd_seals_to_string(seals, have, sizeof(have)) > 0 ? have : "none");
}

MW_API int mw_share_verify(int fd, const struct mw_share_policy *policy,
			   struct mw_share_result *res)
{
	struct mw_share_result r = { .sz = sizeof(r), .pidfd = -1 };
	struct mw_share_policy p;
	int e = load_policy(policy, &p);

	if (e < 0)
		return e;
	e = verify(fd, &p, &r, false);
	res_out(res, &r);
	return e;
}

MW_API int mw_share_send(int sock, int fd, const void *data, size_t len)
{
	if (fd < 0)
		return -EINVAL;
	return mw__scm_send(sock, &fd, 1, data, len);
}

/* Copy [from, to) of src into dst at the same offsets; a file that shrank
 * meanwhile leaves the rest zero. */
static int copy_range(int src, int dst, off_t from, off_t to)
{
	char buf[16384]; /* on the stack: no malloc (brk/mmap) in a sandbox */

	while (from < to) {
		size_t want = (size_t)(to - from) < sizeof(buf) ? (size_t)(to - from) : sizeof(buf);
		ssize_t n = pread(src, buf, want, from);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(dst, buf + done, (size_t)(n - done), from + done);

			if (w < 0 && errno != EINTR)
				return -errno;
			done += w > 0 ? w : 0;
		}
		from += n;
	}
	return 0;
}

/* Copy the data extents of src (holes stay holes) up to size. lseek moves
 * the offset of src's description: callers pass a private one if it matters. */
static int copy_sparse(int src, int dst, off_t size)
{
	off_t off = 0;
	int e;

	while (off < size) {
		off_t data = lseek(src, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			return 0; /* only a hole is left */
		if (data < 0)
			return copy_range(src, dst, off, size); /* no SEEK_DATA: all data */
		if (data >= size)
			return 0;
		hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		e = copy_range(src, dst, data, hole);
		if (e < 0)
			return e;
		off = hole;
	}
	return 0;
}

MW_API int mw_share_copy_frozen(int fd, const char *name, uint64_t max_size)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .flags = MW_MEMFD_NO_FALLBACK };
	MW_AUTOCLOSE int dst = -1;
	struct stat sb;
	int fl, r;

	if (max_size == 0)
		return -EINVAL;
	if (fstat(fd, &sb) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode))
		return -EINVAL;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if ((fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if ((uint64_t)sb.st_size > max_size)
		return -EFBIG;
	o.size = (uint64_t)sb.st_size; /* sized first: what is not copied stays a hole */
	dst = mw_memfd_create(name ? name : "memward-copy", &o, NULL);
	if (dst < 0)
		return dst;
	r = copy_sparse(fd, dst, sb.st_size);
	if (r < 0)
		return r;
	/* F_ADD_SEALS here, not mw_memfd_seal(): no feature probe (it may fork
	 * or create memfds) in a receive path with a documented syscall set.
	 * EINVAL for the whole set means F_SEAL_EXEC is unknown (before 6.3). */
	r = mw__seals_add(dst, MW_SEALS_FROZEN);
	if (r < 0 && errno == EINVAL)
		r = mw__seals_add(dst, MW_SEALS_FROZEN & ~MW_SEAL_EXEC);
	if (r < 0)
		return -errno;
	r = dst;
	dst = -1;
	return r;
}

/* The caller's result: credentials and the pidfd copied, the pidfd handed
 * over only when the caller's struct has room for it (else closed). */
static void res_final(struct mw_share_result *res, struct mw_share_result *r)
{
	if (r->pidfd >= 0 && !MW_OPTS_HAS(struct mw_share_result, res, pidfd)) {
		close(r->pidfd);
		r->pidfd = -1;
	}
	res_out(res, r);
}

/*
 * Receive one message and keep exactly one fd in *fd. Fills r (payload,
 * credentials, pidfd). Returns 0 or the reason's -errno; every other fd that
 * arrived is closed.
 */
static int recv_one(int sock, void *data, size_t len, int timeout_ms,
		    struct mw_share_result *r, int *fd)
{
	struct mw__scm_msg m = { .data = data, .len = len, .timeout_ms = timeout_ms };
	int e = mw__scm_recv(sock, &m);

	*fd = -1;
	if (e < 0) {
		/* Not "recvmsg": the socket type query or the wait can fail too. */
		refuse(r, MW_SHARE_ERROR, "receiving a message on fd %d failed: %s",
		       sock, strerror(-e));
		return e;
	}
	r->data_len = m.data_len;
	r->data_full = m.data_full;
	r->data_truncated = m.data_truncated;
	r->pidfd = m.pidfd;
	m.pidfd = -1;
	if (m.has_cred) {
		r->has_cred = true;
		r->pid = m.cred.pid;
		r->uid = m.cred.uid;
		r->gid = m.cred.gid;
	}
	if (m.ctrunc) {
		size_t got = m.nfds;

		mw__scm_close(&m);
		return refuse(r, MW_SHARE_TRUNCATED, "control message truncated by the kernel; "
			      "the %zu fd(s) that arrived were closed", got);
	}
	if (m.nfds == 0) {
		if (m.eof)
			return refuse(r, MW_SHARE_PEER_CLOSED, "end of stream");
		return refuse(r, MW_SHARE_NO_FD, "a %s of %zu bytes without an fd",
			      m.sock_type == SOCK_STREAM ? "message" : "datagram or record",
			      m.data_full);
	}
	if (m.nfds > 1) {
		size_t got = m.nfds;

		mw__scm_close(&m);
		return refuse(r, MW_SHARE_TOO_MANY_FDS, "%zu fds in one message, expected one; "
			      "all closed", got);
	}
	*fd = m.fds[0];
	return 0;
}

MW_API int mw_share_recv_fd(int sock, void *data, size_t len, int timeout_ms,
			    struct mw_share_result *res)
{
	struct mw_share_result r = { .sz = sizeof(r), .pidfd = -1 };
	int fd, e;

	if ((!data && len) || (data && !len)) {
		e = refuse(&r, MW_SHARE_ERROR, "payload buffer and length disagree");
		res_final(res, &r);
		return -EINVAL;
	}
	e = recv_one(sock, data, len, timeout_ms, &r, &fd);
	if (e == 0)
		refuse(&r, MW_SHARE_OK, "received (not verified)");
	res_final(res, &r);
	return e < 0 ? e : fd;
}

/* Our own frozen copy instead of fd (MW_SHARE_COPY after a failed seal or
 * exec check, MW_SHARE_EXEC_NEVER always). Takes fd; returns the copy,
 * verified, or -errno. */
static int copy_instead(int fd, const struct mw_share_policy *p, struct mw_share_result *r)
{
	struct mw_share_policy cp = *p;
	int copy, e;

	/* Size first: never copy more than the policy accepts. */
	if (r->size < p->min_size || r->size > p->max_size) {
		close(fd);
		return refuse(r, MW_SHARE_SIZE, "size %llu outside [%llu, %llu]",
			      (unsigned long long)r->size, (unsigned long long)p->min_size,
			      (unsigned long long)p->max_size);
	}
	copy = mw_share_copy_frozen(fd, "memward-copy", p->max_size);
	close(fd);
	if (copy < 0) {
		if (copy == -EFBIG)
			return refuse(r, MW_SHARE_SIZE, "the file grew past %llu bytes while "
				      "being copied", (unsigned long long)p->max_size);
		refuse(r, MW_SHARE_COPY_FAILED, "copy: %s", strerror(-copy));
		return copy;
	}
	cp.flags &= ~MW_SHARE_REQUIRE_MEMFD; /* ours: a memfd by construction */
	e = verify(copy, &cp, r, true);
	if (e < 0) {
		close(copy);
		return e;
	}
	r->copied = r->private_fd = r->exec_never = true;
	return copy;
}

/* A private read-only open file description of the same file, through
 * /proc/self/fd: the sender's lseek() cannot move our offset, and our fd
 * cannot write. Takes fd; returns the new fd or the reason's -errno. */
static int reopen_ro(int fd, struct mw_share_result *r)
{
	char path[40];
	struct stat a, b;
	int nfd, e;

	/* Only a regular file is worth reopening: opening a FIFO the sender
	 * holds would wait for a writer forever, a device could do anything.
	 * The checks after this refuse such fds on the sender's description. */
	if (fstat(fd, &a) < 0 || !S_ISREG(a.st_mode))
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* O_NONBLOCK: a lease the sender holds on the file would otherwise
	 * block the open until the lease-break time (45 s by default). */
	nfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	e = nfd < 0 ? errno : 0;
	if (nfd >= 0 && fcntl(nfd, F_SETFL, 0) < 0) {
		e = errno;
		close(nfd);
		nfd = -1;
	}
	if (nfd >= 0 && (fstat(fd, &a) < 0 || fstat(nfd, &b) < 0 || a.st_dev != b.st_dev ||
			 a.st_ino != b.st_ino)) {
		close(nfd); /* our own fd table changed under us (a CLONE_FILES thread) */
		nfd = -1;
		e = ESTALE;
	}
	close(fd);
	if (nfd < 0)
		return refuse(r, MW_SHARE_REOPEN_FAILED, "cannot reopen %s read-only: %s (pass "
			      "MW_SHARE_SHARED_FD to take the sender's description)", path,
			      strerror(e));
	r->private_fd = true;
	return nfd;
}

MW_API int mw_share_recv(int sock, const struct mw_share_policy *policy,
			 void *data, size_t len, struct mw_share_result *res)
{
	struct mw_share_result r = { .sz = sizeof(r), .pidfd = -1 };
	struct mw_share_policy p;
	int e, fd, fl;

	e = load_policy(policy, &p);
	if (e == 0 && ((!data && len) || (data && !len)))
		e = -EINVAL;
	if (e < 0) {
		refuse(&r, MW_SHARE_ERROR, "invalid policy or payload buffer");
		res_final(res, &r);
		return e;
	}
	e = recv_one(sock, data, len, p.timeout_ms, &r, &fd);
	if (e < 0)
		goto out;
	/* The access check belongs to the sender's fd: reopening must never
	 * turn an O_PATH or write-only fd into a readable one. */
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_PATH) && (fl & O_ACCMODE) != O_WRONLY &&
	    !(p.flags & MW_SHARE_SHARED_FD)) {
		e = fd = reopen_ro(fd, &r);
		if (e < 0)
			goto out;
	}
	e = verify(fd, &p, &r, false);
	if ((p.flags & MW_SHARE_EXEC_NEVER) ? e == 0 || r.reason == MW_SHARE_MISSING_SEALS ||
						  r.reason == MW_SHARE_EXEC_POSSIBLE :
	    e < 0 && (p.flags & MW_SHARE_COPY) &&
	    (r.reason == MW_SHARE_MISSING_SEALS || r.reason == MW_SHARE_EXEC_POSSIBLE))
		e = fd = copy_instead(fd, &p, &r);
	else if (e < 0)
		close(fd);
out:
	res_final(res, &r);
	return e < 0 ? e : fd;
}

MW_API void *mw_share_map_ro(int fd, size_t *len)
{
	struct statfs sfs;
	struct stat sb;
	int seals;
	void *p;

	if (!len) {
		errno = EINVAL;
		return NULL;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return NULL;
	if (!(seals & F_SEAL_SHRINK)) {
		errno = EPERM;
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || fstatfs(fd, &sfs) < 0)
		return NULL;
	/* A private mapping of a hugetlbfs file reserves huge pages for its
	 * whole length, charged to us: refuse rather than surprise. */
	if ((unsigned long)sfs.f_type == 0x958458f6 /* HUGETLBFS_MAGIC */) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	if (sb.st_size <= 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((uint64_t)sb.st_size > SIZE_MAX) {
		errno = EFBIG;
		return NULL;
	}
	/* MAP_PRIVATE + PROT_READ shares the page cache pages (updates under
	 * FUTURE_WRITE stay visible) and, unlike MAP_SHARED, works on
	 * write-sealed memfds before 6.7 and never counts as a writable mapping
	 * that would stop the owner from adding F_SEAL_WRITE. */
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return NULL;
	*len = (size_t)sb.st_size;
	return p;
}
