/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verified memfd sharing over AF_UNIX (SCM_RIGHTS). See include/memward/share.h. */
#include "core/internal.h"
#include "core/opts.h"
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
#include <sys/uio.h>
#include <syslog.h>

#include <memward/memfd.h>
#include <memward/share.h>

/* Room for this many fds in one control message: more is MSG_CTRUNC. Anything
 * beyond one fd is refused anyway; the slack lets "two fds" be told apart from
 * "a flood of fds". */
#define MW_SHARE_RECV_FDS 8

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
	if (!in) {
		*out = default_policy;
		return 0;
	}
	if (mw__opts_in(out, sizeof(*out), in) < 0)
		return -EINVAL;
	if (out->flags & ~MW_SHARE_FLAGS_ALL)
		return -EINVAL;
	if (out->required_seals & ~MW_SEAL_ALL)
		return -EINVAL;
	if (out->max_size && out->min_size > out->max_size)
		return -EINVAL;
	if ((out->flags & MW_SHARE_COPY) && !out->max_size)
		return -EINVAL; /* an unbounded copy is a memory exhaustion vector */
	return 0;
}

/* Verify fd; fills r. own_copy: fd is our private copy (exec bits cleared by
 * us, no other holder), so an unsealed exec mode cannot be abused. */
static int verify(int fd, const struct mw_share_policy *p, struct mw_share_result *r,
		  bool own_copy)
{
	struct mw_memfd_info info = { .sz = sizeof(info) };
	char have[64], need[64];
	struct stat sb;
	int fl, e;

	if (fstat(fd, &sb) < 0 || (fl = fcntl(fd, F_GETFL)) < 0) {
		e = -errno;
		refuse(r, MW_SHARE_ERROR, "fstat/F_GETFL on the received fd: %s", strerror(-e));
		return e;
	}
	if (!S_ISREG(sb.st_mode))
		return refuse(r, MW_SHARE_NOT_MEMFD, "not a regular file but %s",
			      S_ISFIFO(sb.st_mode) ? "a pipe or FIFO" :
			      S_ISSOCK(sb.st_mode) ? "a socket" :
			      S_ISDIR(sb.st_mode) ? "a directory" : "a device or other");
	e = mw_memfd_query(fd, &info);
	if (e < 0) {
		refuse(r, MW_SHARE_ERROR, "cannot inspect the received fd: %s", strerror(-e));
		return e;
	}
	r->seals = info.seals;
	r->size = info.size;
	if ((fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY)
		return refuse(r, MW_SHARE_BAD_ACCESS, "the fd cannot be read (%s)",
			      (fl & O_PATH) ? "O_PATH" : "write-only");
	if ((p->flags & MW_SHARE_REQUIRE_MEMFD) && !info.is_memfd)
		return refuse(r, MW_SHARE_NOT_MEMFD, "not a memfd: %s (%s)",
			      mw_memfd_kind_name(info.kind), info.name);
	if ((info.seals & p->required_seals) != p->required_seals) {
		mw_memfd_seals_to_string(p->required_seals & ~info.seals, need, sizeof(need));
		mw_memfd_seals_to_string(info.seals, have, sizeof(have));
		return refuse(r, MW_SHARE_MISSING_SEALS, "missing seal(s) %s (has: %s)", need,
			      have[0] ? have : "none");
	}
	if ((p->flags & MW_SHARE_NO_EXEC) && info.exec != MW_MEMFD_EXEC_SEALED &&
	    !(own_copy && info.exec == MW_MEMFD_EXEC_UNSEALED))
		return refuse(r, MW_SHARE_EXEC_POSSIBLE, "%s",
			      info.exec == MW_MEMFD_EXEC_ALLOWED ?
			      "an exec bit is set" :
			      "no exec bit, but F_SEAL_EXEC is absent: its owner can chmod +x");
	if (info.size < p->min_size || (p->max_size && info.size > p->max_size))
		return refuse(r, MW_SHARE_SIZE, "size %llu outside [%llu, %llu]",
			      (unsigned long long)info.size, (unsigned long long)p->min_size,
			      (unsigned long long)p->max_size);
	return refuse(r, MW_SHARE_OK, "verified: %s", info.note);
}

MW_API int mw_share_verify(int fd, const struct mw_share_policy *policy,
			   struct mw_share_result *res)
{
	struct mw_share_result r = { .sz = sizeof(r) };
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
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	char zero = 0;
	struct iovec iov = { .iov_base = data ? (void *)data : &zero, .iov_len = data ? len : 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	if (fd < 0 || (!data && len) || (data && !len))
		return -EINVAL;
	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != iov.iov_len)
		return -EMSGSIZE; /* the fd went with the first byte; tell the caller */
	return 0;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

MW_API int mw_share_copy_frozen(int fd, const char *name, uint64_t max_size)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .flags = MW_MEMFD_NO_FALLBACK };
	MW_AUTOCLOSE int dst = -1;
	struct stat sb;
	uint64_t off = 0;
	char *buf;
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
	dst = mw_memfd_create(name ? name : "memward-copy", &o, NULL);
	if (dst < 0)
		return dst;
	buf = malloc(64 * 1024);
	if (!buf)
		return -ENOMEM;
	/* Read until EOF, not st_size: the sender may still be writing or
	 * growing an unsealed file. Stop once it exceeds max_size. */
	for (;;) {
		ssize_t n = pread(fd, buf, 64 * 1024, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(buf);
			return r;
		}
		if (n == 0)
			break;
		if (off + (uint64_t)n > max_size) {
			free(buf);
			return -EFBIG;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(dst, buf + done, (size_t)(n - done), (off_t)(off + (uint64_t)done));
			if (w < 0) {
				if (errno == EINTR)
					continue;
				r = -errno;
				free(buf);
				return r;
			}
			done += w;
		}
		off += (uint64_t)n;
	}
	free(buf);
	r = mw_memfd_seal(dst, MW_SEALS_FROZEN & mw_memfd_seals_supported());
	if (r < 0)
		return r;
	r = dst;
	dst = -1;
	return r;
}

MW_API int mw_share_recv(int sock, const struct mw_share_policy *policy,
			 void *data, size_t len, struct mw_share_result *res)
{
	struct mw_share_result r = { .sz = sizeof(r) };
	struct mw_share_policy p;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * MW_SHARE_RECV_FDS) + CMSG_SPACE(sizeof(int))];
	} ctl;
	char one;
	struct iovec iov = { .iov_base = data ? data : &one, .iov_len = data ? len : 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	int fds[MW_SHARE_RECV_FDS + 1];
	size_t nfds = 0;
	ssize_t n;
	int e, fd;

	if ((!data && len) || (data && !len))
		return -EINVAL;
	e = load_policy(policy, &p);
	if (e < 0)
		return e;
	memset(&ctl, 0, sizeof(ctl));
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		e = -errno;
		refuse(&r, MW_SHARE_ERROR, "recvmsg: %s", strerror(-e));
		res_out(res, &r);
		return e;
	}
	r.data_len = (size_t)n;
	/* Collect every fd the kernel installed, whatever the message says,
	 * so that each one is either returned or closed. */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != SCM_PIDFD)
			continue;
		if (c->cmsg_len < CMSG_LEN(0))
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (c->cmsg_type == SCM_PIDFD) {
				close(f); /* SO_PASSPIDFD: not ours to keep */
				continue;
			}
			if (nfds < sizeof(fds) / sizeof(fds[0]))
				fds[nfds++] = f;
			else
				close(f);
		}
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		size_t got = nfds;
		close_all(fds, nfds);
		e = refuse(&r, MW_SHARE_TRUNCATED, "control message truncated (more than %d fds "
			   "sent); the %zu that arrived were closed", MW_SHARE_RECV_FDS, got);
		res_out(res, &r);
		return e;
	}
	if (nfds == 0) {
		e = n == 0 ? refuse(&r, MW_SHARE_PEER_CLOSED, "end of stream")
			   : refuse(&r, MW_SHARE_NO_FD, "a message of %zd bytes without an fd", n);
		res_out(res, &r);
		return e;
	}
	if (nfds > 1) {
		size_t got = nfds;
		close_all(fds, nfds);
		e = refuse(&r, MW_SHARE_TOO_MANY_FDS, "%zu fds in one message, expected one; all "
			   "closed", got);
		res_out(res, &r);
		return e;
	}
	fd = fds[0];
	e = verify(fd, &p, &r, false);
	if (e < 0 && (p.flags & MW_SHARE_COPY) &&
	    (r.reason == MW_SHARE_MISSING_SEALS || r.reason == MW_SHARE_EXEC_POSSIBLE)) {
		struct mw_share_policy cp = p;
		int copy;

		/* Size first: never copy more than the policy accepts. */
		if (r.size < p.min_size || r.size > p.max_size) {
			close(fd);
			e = refuse(&r, MW_SHARE_SIZE, "size %llu outside [%llu, %llu]",
				   (unsigned long long)r.size, (unsigned long long)p.min_size,
				   (unsigned long long)p.max_size);
			res_out(res, &r);
			return e;
		}
		copy = mw_share_copy_frozen(fd, "memward-copy", p.max_size);
		close(fd);
		if (copy < 0) {
			e = copy == -EFBIG ? refuse(&r, MW_SHARE_SIZE, "the file grew past %llu bytes "
						    "while being copied", (unsigned long long)p.max_size)
					   : refuse(&r, MW_SHARE_COPY_FAILED, "copy: %s", strerror(-copy));
			res_out(res, &r);
			return e == reason_errno(MW_SHARE_COPY_FAILED) ? copy : e;
		}
		cp.flags &= ~MW_SHARE_REQUIRE_MEMFD; /* ours: a memfd by construction */
		fd = copy;
		e = verify(fd, &cp, &r, true);
		r.copied = e == 0;
	}
	if (e < 0) {
		close(fd);
		res_out(res, &r);
		return e;
	}
	res_out(res, &r);
	return fd;
}

MW_API void *mw_share_map_ro(int fd, size_t *len)
{
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
	if (fstat(fd, &sb) < 0)
		return NULL;
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
