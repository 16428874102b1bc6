/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Verified memfd sharing over AF_UNIX sockets.
 *
 * The sender passes one fd with SCM_RIGHTS. The receiver checks it against a
 * policy (a memfd, these seals, not executable, size in bounds) and gets
 * either a verified fd or an error that names the reason. Whatever arrives and
 * is not returned is closed: fds are received with MSG_CMSG_CLOEXEC, surplus
 * fds are closed, a truncated control message (MSG_CTRUNC) is rejected after
 * closing every fd that did arrive.
 *
 * Why a receiver must verify: a peer that keeps a writable fd or mapping can
 * change the contents after the receiver looked at them, truncate the file
 * under the receiver's mapping (SIGBUS), or make it executable and run what
 * it wrote (the ChromeOS cros_vm bug that motivated F_SEAL_EXEC). Seals are
 * the kernel's promise that cannot be taken back: once verified, they hold.
 * They do not make exec impossible: on tmpfs a POSIX ACL adds exec bits
 * around F_SEAL_EXEC (6.18), hugetlbfs ignores it, and mmap(PROT_EXEC) never
 * asks. Only our own copy (MW_SHARE_EXEC_NEVER) proves "never executable".
 */
#ifndef MEMWARD_SHARE_H
#define MEMWARD_SHARE_H

#include <stddef.h>
#include <stdint.h>
#include <memward/common.h>
#include <memward/memfd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mw_share_policy.flags */
#define MW_SHARE_REQUIRE_MEMFD (1u << 0) /* must be a memfd, proven by marks a
					    sender cannot forge (see mw_share_recv(3)) */
#define MW_SHARE_NO_EXEC       (1u << 1) /* not executable (execve) when checked, and
					    chmod cannot change that: no exec bit,
					    F_SEAL_EXEC (6.3), tmpfs (not hugetlbfs),
					    no POSIX ACL. NOT "never": the file's
					    owner can still add exec bits with an ACL
					    on kernels that allow it (6.18). Use
					    MW_SHARE_EXEC_NEVER for that. */
#define MW_SHARE_COPY          (1u << 2) /* a memfd that fails the seal or exec
					    checks is copied into a fresh frozen
					    memfd of our own instead of rejected */
#define MW_SHARE_SHARED_FD     (1u << 3) /* return the sender's own open file
					    description (shared offset and flags)
					    instead of a private read-only one made
					    through /proc/self/fd */
#define MW_SHARE_EXEC_NEVER    (1u << 4) /* exec must stay impossible while we hold
					    the fd: always return our own frozen copy,
					    which no other process holds (implies
					    MW_SHARE_NO_EXEC) */
#define MW_SHARE_FLAGS_ALL     0x1fu

/* max_size 0 means this bound: enough for an 8K frame, a document or a
 * model input, small enough that a sparse file cannot make a receiver map or
 * copy unbounded memory. MW_SHARE_NO_MAX: no bound (not with copies). */
#define MW_SHARE_MAX_SIZE_DEFAULT (256ull << 20)
#define MW_SHARE_NO_MAX           UINT64_MAX

/*
 * The policy. NULL means: a memfd, not executable (MW_SHARE_NO_EXEC), sealed
 * against write, shrink and grow (the contents can never change), at most
 * MW_SHARE_MAX_SIZE_DEFAULT bytes, a private read-only fd.
 * A required seal is met by any seal that implies it (WRITE implies
 * FUTURE_WRITE).
 */
struct mw_share_policy {
	size_t sz;                   /* sizeof(struct mw_share_policy) */
	unsigned int flags;          /* MW_SHARE_*; unknown bits give -EINVAL */
	unsigned int required_seals; /* MW_SEAL_*: all must be present */
	uint64_t min_size;           /* inclusive bounds on st_size; */
	uint64_t max_size;           /* 0: MW_SHARE_MAX_SIZE_DEFAULT */
	/* 0.2 */
	int timeout_ms;              /* mw_share_recv(): > 0 bounds the wait
					(-ETIMEDOUT); 0 waits as the socket does */
};

/* Why a received fd was refused. Each reason has its own errno (in brackets):
 * the return value of mw_share_recv(). */
enum mw_share_reason {
	MW_SHARE_OK = 0,
	MW_SHARE_PEER_CLOSED,     /* [-EPIPE]        end of stream, nothing received */
	MW_SHARE_NO_FD,           /* [-ENOMSG]       data without an fd */
	MW_SHARE_TOO_MANY_FDS,    /* [-ETOOMANYREFS] more than one fd in the message (all closed) */
	MW_SHARE_TRUNCATED,       /* [-EMSGSIZE]     MSG_CTRUNC: more fds than fit (all closed) */
	MW_SHARE_NOT_MEMFD,       /* [-EMEDIUMTYPE]  a pipe, socket, regular or tmpfs file... */
	MW_SHARE_BAD_ACCESS,      /* [-EBADF]        O_PATH or write-only fd: cannot be read */
	MW_SHARE_MISSING_SEALS,   /* [-EPERM]        a required seal is absent */
	MW_SHARE_EXEC_POSSIBLE,   /* [-EACCES]       an exec bit is set, or exec is not sealed */
	MW_SHARE_SIZE,            /* [-ERANGE]       size outside [min_size, max_size] */
	MW_SHARE_COPY_FAILED,     /* [-EIO or the copy's -errno] the COPY mode failed */
	MW_SHARE_ERROR,           /* [other -errno]  recvmsg/fstat failed (-EAGAIN, -EINTR,
				     -ETIMEDOUT...) */
	MW_SHARE_REOPEN_FAILED,   /* [-ENXIO]        no private read-only description could
				     be made (/proc not mounted, mode without read
				     permission for us): see MW_SHARE_SHARED_FD */
};

/* Result details; sz set by the caller, as for mw_memfd_info. Fields past
 * the caller's sz are neither read nor written. */
struct mw_share_result {
	size_t sz;
	enum mw_share_reason reason;
	unsigned int seals;        /* seals of the fd that was checked */
	uint64_t size;             /* its size */
	bool copied;               /* the returned fd is our frozen copy */
	size_t data_len;           /* bytes of payload stored in the caller's buffer */
	char detail[160];          /* one sentence for a person */
	/* 0.2 */
	bool data_truncated;       /* the payload did not fit: a datagram or record
				      longer than the buffer (its rest is discarded
				      by the kernel), or on a stream a full buffer
				      followed by queued bytes without an fd (the
				      rest of this write, or a write without one) */
	size_t data_full;          /* datagram/record: its full length; stream: data_len */
	bool has_cred;             /* the kernel attached the sender's credentials
				      (the receiver set SO_PASSCRED) */
	int32_t pid;               /* sender's pid, uid, gid as the kernel saw them */
	uint32_t uid;
	uint32_t gid;
	int pidfd;                 /* the sender's pidfd (SO_PASSPIDFD, 6.5), O_CLOEXEC,
				      yours to close; -1 when none. Returned on
				      success and on refusal, whenever res->sz
				      reaches this field; closed otherwise */
	bool private_fd;           /* the fd is our own open file description
				      (reopened read-only, or our copy) */
	bool exec_never;           /* exec stays impossible while we hold the fd:
				      our copy, which no other process holds */
};

/*
 * Send fd over the AF_UNIX socket sock with data (len bytes; data NULL and
 * len 0 send one zero byte, since an fd cannot travel alone). MSG_NOSIGNAL;
 * EINTR is retried (nothing was sent). Works for any fd, memfd or not.
 * Returns 0 or -errno (-EINVAL: bad fd or len without data; -EPIPE...).
 * A short write of the payload gives -EMSGSIZE (the fd went with it).
 */
MW_API int mw_share_send(int sock, int fd, const void *data, size_t len);

/*
 * Receive one message from sock and verify its fd against policy (NULL: the
 * default above). data/len: a buffer for the payload (NULL, 0: a 1-byte
 * internal one). res: NULL or filled (reason, seals, size, payload length and
 * truncation, sender credentials and pidfd, detail).
 * Returns the verified fd (O_CLOEXEC; a private O_RDONLY description unless
 * MW_SHARE_SHARED_FD) or the -errno of the reason (see enum mw_share_reason;
 * also -EINVAL for a bad policy). Fds that are not returned are closed.
 * Blocks unless the socket is non-blocking (-EAGAIN) or policy->timeout_ms is
 * set (-ETIMEDOUT); a signal handler ends the wait with -EINTR.
 *
 * The syscalls made (for a seccomp allow-list; mw_share_recv(3) is the
 * reference): getsockopt, recvmsg, poll (timeout, SEQPACKET empty record),
 * newfstatat/fstat, fstatfs, fcntl, readlink, fgetxattr, openat, close;
 * MW_SHARE_COPY and MW_SHARE_EXEC_NEVER add memfd_create, ftruncate, lseek,
 * pread64, pwrite64 (and fchmod before 6.3). Never memfd_create without them.
 *
 * Size bounds are stable only when SHRINK and GROW are required.
 * MW_SEAL_FUTURE_WRITE is not immutability: the sender may keep a writable
 * mapping made before the seal. Require MW_SEAL_WRITE for that.
 */
MW_API int mw_share_recv(int sock, const struct mw_share_policy *policy,
			 void *data, size_t len, struct mw_share_result *res);

/*
 * Receive exactly one fd of any kind, NOT verified: for fds that are not
 * memfds, passed between cooperating processes (a seccomp listener, a pidfd,
 * a socket). The receive rules are mw_share_recv()'s: every fd that arrives
 * and is not returned is closed; the same reasons and errnos for no fd,
 * several fds, end of stream, a truncated control message; -EINTR is
 * returned. timeout_ms > 0 bounds the wait (-ETIMEDOUT). res as for
 * mw_share_recv() (reason, data_len, credentials, pidfd). Returns the fd
 * (O_CLOEXEC) or -errno.
 */
MW_API int mw_share_recv_fd(int sock, void *data, size_t len, int timeout_ms,
			    struct mw_share_result *res);

/* Check an fd already at hand against a policy (what mw_share_recv() does
 * after receiving). Returns 0 or the reason's -errno; never closes fd, never
 * copies (MW_SHARE_COPY is ignored). */
MW_API int mw_share_verify(int fd, const struct mw_share_policy *policy,
			   struct mw_share_result *res);

/*
 * Copy the contents of fd (a readable regular file, at most max_size bytes,
 * max_size > 0) into a new memfd named name and seal it with MW_SEALS_FROZEN
 * (without F_SEAL_EXEC on kernels that lack it). Holes stay holes (SEEK_DATA,
 * SEEK_HOLE): a sparse file costs only its data. The copy is of the first
 * st_size bytes as fstat saw them. Returns the new fd or -errno (-EFBIG: more
 * than max_size bytes; -EBADF: fd not readable; -EINVAL: not a regular file).
 */
MW_API int mw_share_copy_frozen(int fd, const char *name, uint64_t max_size);

/*
 * Map a verified fd read-only (PROT_READ, MAP_PRIVATE), whole file. Requires
 * F_SEAL_SHRINK, because a peer that can shrink the file can make our reads
 * fault with SIGBUS. Refuses hugetlbfs files (EOPNOTSUPP): a private mapping
 * of one reserves huge pages for its whole size, charged to the caller.
 * *len receives the length. Returns the address, or NULL with errno EPERM
 * (no SHRINK seal), EINVAL (size 0, bad args, not sealable), EOPNOTSUPP
 * (hugetlbfs), EFBIG or mmap's errno. Undo with munmap(addr, *len).
 */
MW_API void *mw_share_map_ro(int fd, size_t *len);

/* Stable name of a reason ("missing_seals"), NULL if unknown. */
MW_API const char *mw_share_reason_name(enum mw_share_reason reason);

#ifdef __cplusplus
}
#endif
#endif
