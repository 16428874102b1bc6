/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sealed exec: run a program from a private, sealed, in-memory copy (the
 * pattern runc and crun use so that a container cannot overwrite the binary
 * on the host while it runs).
 *
 * The copy is a memfd created with MFD_EXEC (Linux 6.3+; a plain memfd, which
 * is executable by default, on older kernels), filled with copy_file_range,
 * sendfile or read/write, chmod'ed to 0511, sealed with F_SEAL_EXEC (6.3+)
 * and then F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE. The seals are
 * read back with F_GET_SEALS and verified before the fd is returned or
 * executed with execveat(fd, "", argv, envp, AT_EMPTY_PATH).
 *
 * Set-user-ID/set-group-ID bits and file capabilities of the original are
 * NOT carried over: the copy belongs to the caller and has mode 0511.
 *
 * vm.memfd_noexec=2 (6.3+, per pid namespace) makes MFD_EXEC fail with
 * EACCES. By default that is an error (-EACCES, info->step ==
 * MW_EXEC_STEP_CREATE, info->reason names the sysctl). With
 * MW_EXEC_ALLOW_TMPFILE the copy is made with O_TMPFILE instead, in the first
 * of opts->tmpfile_dir, /tmp, /dev/shm, /run and the program's own directory
 * that is writable and not mounted noexec; such a copy cannot be sealed:
 * the writable fd is closed and the file reopened read-only through
 * /proc/self/fd, and info->backing == MW_EXEC_BACKING_TMPFILE says so.
 *
 * Scripts ("#!" first line): the copy is O_CLOEXEC, and execveat() of a
 * close-on-exec fd that holds a script fails with ENOENT, because the
 * interpreter is handed /dev/fd/N which no longer exists once exec has
 * closed it. memward therefore refuses scripts with -ENOEXEC unless
 * MW_EXEC_ALLOW_SCRIPT is given, in which case mw_exec_sealed() clears
 * FD_CLOEXEC just before execveat() (the interpreter inherits the sealed fd
 * and reads the script through it, as /dev/fd/N: where /dev/fd is missing
 * (a bare devtmpfs) scripts are refused with -ENOEXEC even so). Only the
 * script is sealed, not its interpreter.
 *
 * Huge pages: a memfd copy of a program of 2 MiB or more (the PMD size) is
 * backed by transparent huge pages for its whole 2 MiB blocks (the tail stays
 * in 4 KiB pages): before copying, the memfd is mapped and collapsed with
 * madvise(MADV_COLLAPSE) (6.1+), which the kernel allows for shmem whatever
 * transparent_hugepage/shmem_enabled says, except "deny" (and not in a process
 * with prctl(PR_SET_THP_DISABLE)). Per 4 KiB page the kernel pays for
 * allocating, inserting and charging each page of the copy and, at the
 * program's exit, for freeing it: a 10 MiB copy costs about half as much in
 * huge pages. The memory used is the same. Best effort: where the collapse
 * fails (no THP, "deny", no free 2 MiB block), the copy is made in 4 KiB
 * pages, which is correct, only slower; info->huge_bytes says what was
 * obtained. MW_EXEC_NO_HUGEPAGES asks for 4 KiB pages only (the collapse may
 * compact memory synchronously to find a free 2 MiB block).
 */
#ifndef MEMWARD_EXEC_H
#define MEMWARD_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mw_exec_opts.flags */
#define MW_EXEC_ALLOW_TMPFILE (1u << 0) /* fall back to O_TMPFILE (unsealed) */
#define MW_EXEC_ALLOW_SCRIPT  (1u << 1) /* accept "#!" scripts (see above) */
#define MW_EXEC_NO_HUGEPAGES  (1u << 2) /* 4 KiB pages only (see HUGE PAGES above) */
#define MW_EXEC_FLAGS_ALL     (MW_EXEC_ALLOW_TMPFILE | MW_EXEC_ALLOW_SCRIPT | MW_EXEC_NO_HUGEPAGES)

struct mw_exec_opts {
	size_t sz;                /* sizeof(struct mw_exec_opts) */
	unsigned int flags;       /* MW_EXEC_*; unknown bits give -EINVAL */
	const char *tmpfile_dir;  /* tried first for the O_TMPFILE fallback, or NULL */
};

enum mw_exec_backing {
	MW_EXEC_BACKING_NONE = 0,
	MW_EXEC_BACKING_MEMFD_EXEC,   /* memfd_create(MFD_EXEC), exec bits sealed */
	MW_EXEC_BACKING_MEMFD_LEGACY, /* memfd on a kernel without MFD_EXEC/F_SEAL_EXEC */
	MW_EXEC_BACKING_TMPFILE,      /* O_TMPFILE fallback: NOT sealed, read-only fd */
};

enum mw_exec_copy {
	MW_EXEC_COPY_NONE = 0,
	MW_EXEC_COPY_FILE_RANGE, /* copy_file_range(2) */
	MW_EXEC_COPY_SENDFILE,   /* sendfile(2) */
	MW_EXEC_COPY_READ_WRITE, /* read(2)/write(2) */
};

/* Where a failure happened (mw_exec_info.step). */
enum mw_exec_step {
	MW_EXEC_STEP_NONE = 0,
	MW_EXEC_STEP_ARGS,     /* bad arguments */
	MW_EXEC_STEP_OPEN,     /* opening or checking the program */
	MW_EXEC_STEP_CREATE,   /* creating the memfd / tmpfile */
	MW_EXEC_STEP_COPY,     /* copying the contents */
	MW_EXEC_STEP_SEAL,     /* fchmod and F_ADD_SEALS */
	MW_EXEC_STEP_VERIFY,   /* reading the seals and mode back */
	MW_EXEC_STEP_EXEC,     /* execveat() itself */
};

struct mw_exec_info {
	size_t sz;                    /* sizeof(struct mw_exec_info), set by the caller */
	enum mw_exec_backing backing;
	enum mw_exec_copy copy;
	enum mw_exec_step step;       /* on failure: where; MW_EXEC_STEP_NONE on success */
	uint64_t size;                /* bytes copied */
	unsigned int seals;           /* F_GET_SEALS of the copy (0 for a tmpfile) */
	bool exec_sealed;             /* F_SEAL_EXEC is set: the exec bits are frozen */
	bool script;                  /* the program starts with "#!" */
	int memfd_error;              /* positive errno of memfd_create that led to the fallback */
	char tmpfile_dir[256];        /* directory of the O_TMPFILE copy, "" otherwise */
	char reason[320];             /* one sentence: what was done, or why it failed */
	uint64_t huge_bytes;          /* bytes of the memfd copy in transparent huge pages */
};

/*
 * Make a sealed, executable copy of the program at path and return its fd
 * (O_CLOEXEC, O_RDONLY: reopened through /proc/self/fd; where /proc is not
 * mounted the O_RDWR fd of the write-sealed copy, and info->reason says so).
 * opts and info may be NULL. The program must be a
 * regular file the caller may execute (execute permission, mount not
 * noexec): a sealed copy is not a way around either check.
 *
 * Returns the fd (>= 0) or:
 *  -EINVAL     path NULL or empty, opts->sz/info->sz too small, unknown flags
 *  -ENOENT     (and the other open(2) errors) the program cannot be opened
 *  -EACCES     the program is not a regular file, lacks execute permission,
 *              or lives on a noexec mount (step OPEN); or MFD_EXEC was
 *              refused, normally by vm.memfd_noexec=2 (step CREATE, reason
 *              names the sysctl), and MW_EXEC_ALLOW_TMPFILE was not given
 *  -ENOEXEC    a "#!" script without MW_EXEC_ALLOW_SCRIPT, or with it where
 *              /dev/fd is missing
 *  -ENOSYS, -EPERM  memfd_create is missing or blocked and no fallback allowed
 *  -ENOSPC     no directory was usable for the O_TMPFILE fallback
 *  -EIO        the seals or mode read back differ from what was set (step VERIFY)
 *  -ENOMEM, -EFBIG, ... from the copy (step COPY)
 * Nothing is left open on failure.
 */
MW_API int mw_exec_sealed_prepare(const char *path, const struct mw_exec_opts *opts,
				  struct mw_exec_info *info);

/*
 * mw_exec_sealed_prepare() then execveat(fd, "", argv, envp, AT_EMPTY_PATH).
 * envp NULL means the current environ. Does not return on success. On
 * failure returns the errors above or the execveat error (step EXEC), with
 * the fd closed.
 */
MW_API int mw_exec_sealed(const char *path, char *const argv[], char *const envp[],
			  const struct mw_exec_opts *opts, struct mw_exec_info *info);

/*
 * execveat() of a prepared fd, for callers that prepare once and exec many
 * times (in forked children). script: clear FD_CLOEXEC first (needed for
 * "#!" scripts). Returns -errno; does not return on success.
 */
MW_API int mw_exec_fd(int fd, char *const argv[], char *const envp[], bool script);

/* Stable names: "memfd_exec", "memfd_legacy", "tmpfile"; "copy_file_range",
 * "sendfile", "read_write"; "open", "create", ... NULL when unknown. */
MW_API const char *mw_exec_backing_name(enum mw_exec_backing b);
MW_API const char *mw_exec_copy_name(enum mw_exec_copy c);
MW_API const char *mw_exec_step_name(enum mw_exec_step s);

#ifdef __cplusplus
}
#endif
#endif
