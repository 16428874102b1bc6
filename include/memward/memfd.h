/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Safe memfds: non-executable by default, seal presets, and a way to ask any
 * fd what it is (memfd or not, exec sealed or not, sealing allowed).
 *
 * Kernel facts this module is built on (mm/memfd.c):
 *  - MFD_NOEXEC_SEAL and MFD_EXEC arrived in Linux 6.3; older kernels refuse
 *    either with EINVAL, and every memfd they create has mode 0777.
 *  - F_SEAL_EXEC (6.3) makes any chmod that changes an exec bit fail; added to
 *    a memfd that has an exec bit it also adds SHRINK, GROW, WRITE and
 *    FUTURE_WRITE (W^X from the start).
 *  - MFD_NOEXEC_SEAL implies that sealing is allowed.
 *  - vm.memfd_noexec (per pid namespace, 6.3; hierarchical since 6.6): 2 makes
 *    memfd_create(MFD_EXEC) fail with EACCES.
 *  - F_GET_SEALS on a regular tmpfs file returns F_SEAL_SEAL, not an error:
 *    only memfd_create() can produce a tmpfs file without F_SEAL_SEAL.
 */
#ifndef MEMWARD_MEMFD_H
#define MEMWARD_MEMFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Seal bits: the kernel's F_SEAL_* values, spelled out so that callers do not
 * depend on how new their libc headers are. */
#define MW_SEAL_SEAL         0x0001u /* no further seals can be added */
#define MW_SEAL_SHRINK       0x0002u /* the size cannot shrink */
#define MW_SEAL_GROW         0x0004u /* the size cannot grow */
#define MW_SEAL_WRITE        0x0008u /* no writes, no writable shared mapping */
#define MW_SEAL_FUTURE_WRITE 0x0010u /* no new writes; existing writable mappings stay (5.1) */
#define MW_SEAL_EXEC         0x0020u /* the exec bits of the mode are frozen (6.3) */
#define MW_SEAL_ALL          0x003fu

/*
 * Presets, each for one real use:
 *
 * MW_SEALS_FROZEN: the contents can never change again, by anyone, and no
 *   chmod can make the file executable (a POSIX ACL still can on 6.18: see
 *   mw_memfd_create(3), "What the seals do not prove"). Seal a buffer like this before sharing
 *   it with a less trusted process (configuration, a document, a message).
 *   Needs F_SEAL_EXEC (6.3): on older kernels mw_memfd_seal() fails with
 *   -EOPNOTSUPP; pass MW_SEALS_FROZEN & mw_memfd_seals_supported() to knowingly
 *   accept the weaker set.
 * MW_SEALS_FIXED_SIZE: the size is fixed but the contents stay writable: a
 *   shared pool or ring buffer whose peers must not be able to truncate it
 *   under the other's mapping (SIGBUS) or grow it without bound. SEAL is
 *   part of it: without it a peer could later add FUTURE_WRITE or WRITE and
 *   break the others' writes.
 * MW_SEALS_PRODUCER: the producer keeps the writable mapping it already has
 *   and goes on updating the contents; nobody (the producer included) can add
 *   a new writable mapping or write(2), resize it, make it executable or add
 *   seals. Consumers see updates: this is not immutability.
 */
#define MW_SEALS_FROZEN     (MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW | \
			     MW_SEAL_EXEC | MW_SEAL_SEAL)
#define MW_SEALS_FIXED_SIZE (MW_SEAL_SHRINK | MW_SEAL_GROW | MW_SEAL_SEAL)
#define MW_SEALS_PRODUCER   (MW_SEAL_FUTURE_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW | \
			     MW_SEAL_EXEC | MW_SEAL_SEAL)

/* mw_memfd_opts.flags */
#define MW_MEMFD_EXEC        (1u << 0) /* an executable memfd (mode 0777): explicit only */
#define MW_MEMFD_NO_SEALING  (1u << 1) /* forbid sealing (F_SEAL_SEAL at creation) */
#define MW_MEMFD_NO_FALLBACK (1u << 2) /* fail instead of using O_TMPFILE */
#define MW_MEMFD_REQUIRE_EXEC_SEAL (1u << 3) /* fail (-EOPNOTSUPP) unless exec is sealed off */
#define MW_MEMFD_FLAGS_ALL   0x0fu

struct mw_memfd_opts {
	size_t sz;           /* sizeof(struct mw_memfd_opts) */
	unsigned int flags;  /* MW_MEMFD_*; unknown bits give -EINVAL */
	unsigned int seals;  /* seals to add once sized (0: none); see mw_memfd_seal() */
	uint64_t size;       /* ftruncate() to this size first (0: leave empty) */
};

/* What an fd is. */
enum mw_memfd_kind {
	MW_MEMFD_KIND_OTHER = 0,        /* not a memfd nor one of our fallbacks */
	MW_MEMFD_KIND_MEMFD = 1,        /* made by memfd_create() */
	MW_MEMFD_KIND_TMPFILE_SHM = 2,  /* O_TMPFILE in /dev/shm (memfd_create unavailable) */
	MW_MEMFD_KIND_TMPFILE_TMP = 3,  /* O_TMPFILE in /tmp (memfd_create and /dev/shm unavailable) */
	MW_MEMFD_KIND_TMPFS_FILE = 4,   /* some other (possibly unlinked) tmpfs file: query only */
};

/* How far exec is ruled out. */
enum mw_memfd_exec {
	MW_MEMFD_EXEC_SEALED = 0,   /* no exec bit and F_SEAL_EXEC: exec can never be enabled */
	MW_MEMFD_EXEC_UNSEALED = 1, /* no exec bit now, but an owner may chmod one on:
				       "exec bits not sealable" on kernels before 6.3 */
	MW_MEMFD_EXEC_ALLOWED = 2,  /* an exec bit is set */
};

/*
 * Filled by mw_memfd_create() and mw_memfd_query(). The caller sets sz to
 * sizeof(struct mw_memfd_info); the library fills at most sz bytes, so a
 * program built against an older header keeps working.
 */
struct mw_memfd_info {
	size_t sz;
	enum mw_memfd_kind kind;
	enum mw_memfd_exec exec;
	bool is_memfd;         /* kind == MW_MEMFD_KIND_MEMFD */
	bool exec_sealed;      /* F_SEAL_EXEC is set and enforced (never on hugetlbfs,
				  which ignores it): chmod cannot change exec bits */
	bool exec_possible;    /* an exec bit is set, or could be set (not sealed, hugetlbfs,
				  or the kernel lets a POSIX ACL add one), on a
				  mount that allows exec */
	bool sealing_allowed;  /* seals can still be added (F_SEAL_SEAL not set) */
	unsigned int seals;    /* MW_SEAL_* in effect (0 when the file has none) */
	unsigned int mode;     /* st_mode & 07777 */
	uint64_t size;         /* st_size */
	uint64_t ino;          /* st_ino (with dev: identity of the file) */
	uint64_t dev;
	char name[256];        /* memfd name without "memfd:", or the /proc link */
	char note[200];        /* one sentence for a person: what this is, which
				  fallback was taken, or why creation failed */
};

/*
 * Create a memfd, non-executable unless MW_MEMFD_EXEC is given.
 *
 * Order of preference for the default (non-executable) request:
 *  1. memfd_create(MFD_NOEXEC_SEAL): mode 0666, F_SEAL_EXEC set (6.3+).
 *  2. memfd_create() then fchmod() removing the exec bits: the kernel cannot
 *     seal them (before 6.3); info.exec = MW_MEMFD_EXEC_UNSEALED and info.note
 *     says "exec bits not sealable".
 *  3. memfd_create missing (ENOSYS) or blocked (EPERM/EACCES by seccomp or an
 *     LSM): O_TMPFILE|O_EXCL, mode 0600, in /dev/shm, then /tmp. Such a file
 *     cannot be sealed; info.kind says which. MW_MEMFD_NO_FALLBACK disables this.
 * MW_MEMFD_EXEC asks for MFD_EXEC (mode 0777; plain memfd_create before 6.3)
 * and never falls back.
 *
 * name: 0..249 bytes (the kernel limit: NAME_MAX minus "memfd:") of printable
 * ASCII without '/'. It shows in /proc/PID/fd and /proc/PID/maps.
 * opts: NULL for defaults. info: NULL, or filled as described above; on
 * failure info->note explains the error (the log callback gets it too).
 *
 * Returns an O_CLOEXEC fd, or:
 *  -EINVAL        name NULL or with '/' or a non-printable byte; unknown flags;
 *                 opts->sz or info->sz too small; opts->seals with unknown bits
 *  -ENAMETOOLONG  name longer than 249 bytes
 *  -EACCES        MW_MEMFD_EXEC refused: vm.memfd_noexec=2 in this pid namespace
 *                 (info->note names the sysctl), or a security policy refused it
 *  -EOPNOTSUPP    MW_MEMFD_REQUIRE_EXEC_SEAL and the kernel cannot seal exec; or
 *                 opts->seals holds a seal the kernel lacks; or seals requested
 *                 on an O_TMPFILE fallback, which cannot be sealed
 *  -ENOSYS/-EPERM memfd_create unavailable and MW_MEMFD_NO_FALLBACK given (or
 *                 the fallbacks failed too)
 *  other -errno   from memfd_create/ftruncate/F_ADD_SEALS (-EMFILE, -ENOMEM, -EFBIG)
 * On failure no fd is left open.
 */
MW_API int mw_memfd_create(const char *name, const struct mw_memfd_opts *opts,
			   struct mw_memfd_info *info);

/*
 * Describe any fd (memfd, tmpfs file, pipe, socket...). Never changes it.
 * Returns 0, or -EINVAL (info NULL or info->sz 0), -EBADF, or another -errno
 * from fstat().
 *
 * "Memfd" is decided by the kernel's own marks: F_GET_SEALS must work (a
 * tmpfs or hugetlbfs file) and either the seal set differs from exactly
 * F_SEAL_SEAL (only memfd_create() clears that seal: unforgeable), or the
 * /proc/self/fd link starts with "/memfd:" and the file has no link count (a
 * sender can imitate this with a tmpfs mounted on / in its own mount
 * namespace: require seals when it matters).
 */
MW_API int mw_memfd_query(int fd, struct mw_memfd_info *info);

/*
 * Add seals (MW_SEAL_*, any set, presets included) in one F_ADD_SEALS call:
 * all of them or none. Returns the seals now in effect (>= 0), which may hold
 * more than asked: F_SEAL_EXEC on a file with an exec bit also adds SHRINK,
 * GROW, WRITE and FUTURE_WRITE. Errors:
 *  -EINVAL      unknown bits in seals, or fd is not a tmpfs/hugetlbfs file
 *  -EOPNOTSUPP  a requested seal is unknown to this kernel (F_SEAL_EXEC before
 *               6.3, F_SEAL_FUTURE_WRITE before 5.1); the log names it and
 *               mw_memfd_seals_supported() tells which ones exist. Never dropped silently.
 *  -EPERM       sealing is not allowed: F_SEAL_SEAL is set (memfd created
 *               without sealing, a regular tmpfs file, or already sealed)
 *  -EBADF       fd is not open for writing (the kernel needs a writable fd)
 *  -EBUSY       MW_SEAL_WRITE while a writable shared mapping of the file
 *               exists (in any process), or pages are pinned for I/O: the
 *               kernel cannot revoke a mapping's write access. Unmap it first,
 *               or use MW_SEAL_FUTURE_WRITE (the producer preset), which lets
 *               existing mappings keep writing.
 */
MW_API int mw_memfd_seal(int fd, unsigned int seals);

/* The seals in effect (>= 0) or -errno (-EINVAL: not a sealable file). */
MW_API int mw_memfd_get_seals(int fd);

/* The seals this kernel knows (probed once, cached). */
MW_API unsigned int mw_memfd_seals_supported(void);

/*
 * "write,shrink,grow,..." for a seal set, in bit order (seal, shrink, grow,
 * write, future_write, exec); unknown bits as one "0x.." word; "" for 0.
 * snprintf semantics: returns the length the full text needs (excluding the
 * NUL), and writes at most len bytes, always NUL-terminated when len > 0.
 * Returns -EINVAL when buf is NULL and len is not 0.
 */
MW_API int mw_memfd_seals_to_string(unsigned int seals, char *buf, size_t len);

/* Name of one seal bit ("write"), NULL if not exactly one known bit. */
MW_API const char *mw_memfd_seal_name(unsigned int seal);

/*
 * Parse "write,shrink" (names as above, case-insensitive, also "future-write"),
 * the preset names "frozen", "fixed-size", "producer", "none" or "" for 0.
 * Returns 0 or -EINVAL (unknown word, NULL argument).
 */
MW_API int mw_memfd_seals_from_string(const char *text, unsigned int *seals);

/* Stable names for the enums ("memfd", "tmpfile-shm"...; "sealed", "unsealed", "allowed"). */
MW_API const char *mw_memfd_kind_name(enum mw_memfd_kind kind);
MW_API const char *mw_memfd_exec_name(enum mw_memfd_exec exec);

#ifdef __cplusplus
}
#endif
#endif
