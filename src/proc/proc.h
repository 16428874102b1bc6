/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one /proc layer (src/proc/): what every capability that looks at
 * another process needs, written once.
 *
 *  - a getdents64 walk of numeric /proc directories (/proc, /proc/PID/fd,
 *    /proc/PID/task);
 *  - the classes of the links /proc shows for memory objects: "/memfd:NAME
 *    (deleted)", "/secretmem (deleted)", "/dev/zero (deleted)" (shared
 *    anonymous memory), "/SYSV%08x (deleted)" (SysV shm), any other
 *    " (deleted)" path;
 *  - the devices memfds and secretmem live on (a name is only a name: a
 *    file called "memfd:x" on a private tmpfs is not a memfd);
 *  - the open file behind another process's fd, for its seals and mode;
 *  - an iterator over the memfd/secretmem mappings of /proc/PID/maps
 *    (PROCMAP_QUERY where the kernel has it, else the text).
 *
 * Internal: not installed, not exported. No printing, no findings.
 */
#ifndef MW_PROC_PROC_H
#define MW_PROC_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/internal.h"

/* ---- link classes ------------------------------------------------------ */

/* The text d_path() gives unlinked files (kernel fs/d_path.c); memfds and
 * secretmem are unlinked pseudo files on internal mounts (simple_dname()),
 * so their links always carry it. */
#define MW_PROC_DELETED " (deleted)"
/* What stands for a path longer than the kernel prints (ENAMETOOLONG from
 * readlink or PROCMAP_QUERY): never a path (no leading '/'). */
#define MW_PROC_TOO_LONG "(path longer than PATH_MAX)"
#define MW_PROC_MEMFD_PREFIX "/memfd:"
#define MW_PROC_SECRETMEM_LINK "/secretmem (deleted)"

enum mw__link_class {
	MW__LINK_OTHER = 0,
	MW__LINK_MEMFD,      /* "/memfd:NAME (deleted)": shmem or hugetlbfs */
	MW__LINK_SECRETMEM,  /* "/secretmem (deleted)" */
	MW__LINK_SHMEM_ANON, /* "/dev/zero (deleted)": MAP_SHARED|MAP_ANONYMOUS */
	MW__LINK_SYSV_SHM,   /* "/SYSV%08x (deleted)" */
	MW__LINK_DELETED,    /* any other unlinked file */
};

struct mw__link {
	enum mw__link_class cls;
	const char *name;    /* MEMFD: the memfd name (inside the link text) */
	size_t namelen;      /* its length, without " (deleted)" */
};

/* Classify link (len bytes, need not be NUL-terminated). By the text only:
 * combine with mw__memdev_kind() before trusting a MEMFD or SECRETMEM. */
MW_HIDDEN enum mw__link_class mw__link_classify(const char *link, size_t len, struct mw__link *out);

/* Copy the memfd name of a MEMFD link (NUL-terminated, truncated to size). */
MW_HIDDEN void mw__link_memfd_name(const struct mw__link *l, char *buf, size_t size);

/* ---- where memfds live ------------------------------------------------- */

enum mw__memdev_kind {
	MW__MEMDEV_UNKNOWN = 0,
	MW__MEMDEV_SHMEM,     /* the kernel's internal tmpfs (shm_mnt) */
	MW__MEMDEV_HUGETLB,   /* an internal hugetlbfs mount (one per page size) */
	MW__MEMDEV_SECRETMEM, /* secretmem's internal mount */
};

/* The devices, learned once per process by creating one object of each kind
 * (memfd, hugetlb memfd of the default and 1 GiB sizes, memfd_secret). A
 * kind that could not be created stays unknown (its objects are then
 * judged by link and fstatfs alone). */
MW_HIDDEN enum mw__memdev_kind mw__memdev_kind(dev_t dev);
/* Every learned device (at most 4) into v; returns how many. */
MW_HIDDEN unsigned int mw__memdevs(dev_t *v, unsigned int max);
/* Is dev one of the kernel's internal mounts memfds live on (shmem's, or a
 * hugetlbfs one: every page size the kernel has is learned, because a
 * hugetlb memfd is made without touching a page)? *hugetlb tells which
 * (may be NULL). When memfd_create() itself is refused here (seccomp) the
 * device cannot be checked: true (the link text alone decides). */
MW_HIDDEN bool mw__memdev_is_memfd(dev_t dev, bool *hugetlb);

/* ---- directories -------------------------------------------------------- */

/* Call cb for every entry of dirfd whose name is a decimal number (one
 * getdents64 loop; the directory is read from its current position).
 * Stops at the first cb return < 0 and returns it; else 0, or -errno of
 * getdents64. */
MW_HIDDEN int mw__proc_walk_numeric(int dirfd, int (*cb)(void *arg, long num, const char *name),
				    void *arg);

/* Every fd of fdfd (an open /proc/PID/fd) whose link is of a class in mask
 * (1u << MW__LINK_*): cb(arg, fd, name, link, class info). Links that
 * vanish between the listing and the readlink are skipped. */
MW_HIDDEN int mw__proc_fd_walk(int fdfd, unsigned int mask,
			       int (*cb)(void *arg, int fd, const char *name, const char *link,
					 const struct mw__link *l),
			       void *arg);
/* The same, asking check(arg) every MW__PROC_FD_CHECK_EVERY fds whether to
 * go on: a return < 0 stops the walk and is returned (a process whose state
 * changed meanwhile, when reading the rest would be in vain). */
#define MW__PROC_FD_CHECK_EVERY 256
MW_HIDDEN int mw__proc_fd_walk_checked(int fdfd, unsigned int mask,
				       int (*cb)(void *arg, int fd, const char *name, const char *link,
						 const struct mw__link *l),
				       void *arg, int (*check)(void *arg));

/* ---- another process's command line ----------------------------------- */

/*
 * The fd an argument (len bytes) names as a file, or -1: "/dev/fd/N",
 * "/proc/self/fd/N", "/proc/thread-self/fd/N", "/proc/PID/fd/N",
 * "/proc/self/task/TID/fd/N", "/proc/PID/task/TID/fd/N". *other is 0 when
 * it is an fd of the process itself (PID is pid, the process's pid as
 * /proc shows it to us, or any number with any_pid: a process in another
 * pid namespace, whose own number we do not know), else PID: an fd of that
 * process (its parent's, say). Leading and repeated slashes and "."
 * components allowed; also
 * after an option in the same argument ("-f/dev/fd/3", "--file=/dev/fd/3").
 * What an exec of an fd (fexecve(3), execveat(2) with AT_EMPTY_PATH) gives
 * a script's interpreter, and what one runs by hand on a script held in
 * memory. /dev/stdin, /dev/stdout and /dev/stderr are fds 0, 1 and 2.
 * ".." climbs as the kernel would through the links /dev/fd,
 * /dev/stdin... to /proc/self/fd (and /proc/net to /proc/self/net), and
 * as a URL's path does (by the words): either way counts. A path ends at
 * a blank, a quote, one of ;&|()<>,:{}[]$ or the argument's end (". /dev/fd/3;
 * :"). Also read as a shell word (quotes removed, backslashes' characters
 * taken as they are: /dev/"fd"/3) and as a URL (tabs and newlines
 * removed, backslashes as slashes, file:dev/fd/3 given its slash, the
 * query and fragment dropped, %XX escapes decoded: "file:///dev/fd/%33"
 * is fd 3). Relative paths and /proc/self/cwd: see mw__proc_arg_fd_at().
 * Not recognised: paths through a symlink of the process's own.
 */
MW_HIDDEN int mw__proc_arg_fd(const char *arg, size_t len, pid_t pid, bool any_pid, pid_t *other);

/*
 * Does arg (len bytes), after prev (nprev bytes, NULL for none), name a
 * program file "-", which awk, make and sed read from their standard
 * input: "-f -", "-nf -", "--file -", "--file=-", "-f-"? 0 (fd 0) if so,
 * else -1.
 */
MW_HIDDEN int mw__proc_arg_stdin_file(const char *prev, size_t nprev, const char *arg, size_t len);

/* Is prev (nprev bytes, NULL for none) an option whose value is a
 * program's file: "-f", a cluster of short options that ends with f
 * ("-nf"), "--file"? */
MW_HIDDEN bool mw__proc_arg_is_file_option(const char *prev, size_t nprev);

/*
 * A path to an fd that an interpreter builds from the text of arg (len
 * bytes), which mw__proc_arg_fd() cannot read as it is: a shell pattern
 * (". /dev/fd/[3]", "/dev/f?/3", "/dev/fd/{3,}"), an expansion
 * ("/dev/fd/$((1+2))", "/proc/$$/fd/3", "$d/3": any value), or a directory
 * of fds named as such ("cd /dev/fd", '"/dev/fd/" + n'). Returns the first
 * of fds (nfds, ascending; the lowest BUILT_FDS tried by number) such a
 * path may name: the one its pattern matches, else fds[0] for a directory
 * of fds or a path in one; with fds NULL, 0 if it names any (0..7 by
 * number). -1 if none. *budget: words read as patterns, shared by a
 * process's arguments (an attacker writes them); when spent, a word that
 * may still be such a path counts. See src/proc/built.c.
 */
MW_HIDDEN int mw__proc_arg_built_fd(const char *arg, size_t len, pid_t pid, const int *fds, size_t nfds,
				    unsigned *budget);

/* The words of a process's arguments read as patterns before one counts
 * unread (mw__proc_arg_built_fd()). */
#define MW__PROC_BUILT_BUDGET 64

/*
 * Might an argument (len bytes) name an fd from the process's working
 * directory: a relative one ("3" in /proc/self/fd, "fd/3" or "stdin" in
 * /dev: its last component is a number or stdin, stdout, stderr), or one
 * through "/cwd" (/proc/self/cwd/3)? Tells when the working directory is
 * worth reading for mw__proc_arg_fd_at().
 */
MW_HIDDEN bool mw__proc_arg_maybe_relative_fd(const char *arg, size_t len);

/*
 * mw__proc_arg_fd() on a relative argument taken from the working
 * directory cwd (ncwd bytes, absolute: its /proc/PID/cwd link): "3" from
 * "/proc/PID/fd" is fd 3; and on what follows /proc/self/cwd,
 * /proc/thread-self/cwd or /proc/PID/cwd (its own pid, any with any_pid)
 * in an argument, from there. -1 when it names none, or cwd is not
 * absolute or the two are longer than PATH_MAX.
 */
MW_HIDDEN int mw__proc_arg_fd_at(const char *cwd, size_t ncwd, const char *arg, size_t len, pid_t pid, bool any_pid,
				 pid_t *other);

/*
 * Is the executable at path (or a file name) an interpreter, a program
 * that runs a program it reads, from its standard input too: a shell, a
 * scripting language (python3.11, perl5.36.0: the version suffix is
 * ignored)? By its name only: a copy of an interpreter under another name
 * is not recognised.
 */
MW_HIDDEN bool mw__proc_is_interpreter(const char *path);

/*
 * Is the executable at path a dynamic loader (ld-linux-x86-64.so.2,
 * ld.so.1, ld64.so.2, ld-musl-x86_64.so.1: "ld-", "ld." or "ld64." and
 * ".so" in its name), which, run as a command, loads and runs the program
 * its arguments name (ld.so /bin/sh)?
 */
MW_HIDDEN bool mw__proc_is_loader(const char *path);

/*
 * Does a process whose executable is exe, with arguments args (len bytes,
 * NUL-separated, the program's name first; may be NULL), run an
 * interpreter (mw__proc_is_interpreter())? The executable is one, or a
 * dynamic loader (mw__proc_is_loader()) one of whose arguments after the
 * first is one: ld.so runs a program it is given by path, after its own
 * options.
 */
MW_HIDDEN bool mw__proc_runs_interpreter(const char *exe, const char *args, size_t len);

/* ---- another process's open file --------------------------------------- */

/* One process, for mw__proc_fd_open(): an O_PATH /proc/PID fd plus a pidfd
 * made when first needed. */
struct mw__proc_target {
	int dirfd;           /* /proc/PID (O_PATH), owned by the caller */
	pid_t pid;
	int pidfd;           /* -1 until needed; closed by mw__proc_target_done() */
	bool pidfd_failed;
};

MW_HIDDEN void mw__proc_target_init(struct mw__proc_target *t, int dirfd, pid_t pid);
MW_HIDDEN void mw__proc_target_done(struct mw__proc_target *t);

/*
 * An fd of our own on the open file behind fd number `fd` of the target
 * (fdfd: its /proc/PID/fd, name: the entry's name). Order:
 *
 *  1. pidfd_getfd(2) (5.6): the target's own open file description, so
 *     F_GETFL gives the access mode it was opened with, no path is walked
 *     and the file's mode bits are not checked against us (a memfd chmod'ed
 *     0000 still yields its seals). Needs ptrace-attach rights.
 *  2. a reopen of /proc/PID/fd/N, O_RDONLY|O_NONBLOCK|O_NOCTTY: a new
 *     description on the same inode; needs read permission on the file.
 *
 * *accmode gets O_RDONLY/O_WRONLY/O_RDWR of the target's fd, or -1 when
 * only the reopen worked (then it comes from the magic link's own mode:
 * S_IWUSR when the target can write; O_RDWR reported for "writable").
 * Returns the fd, or -errno: -EBADF when the target closed it meanwhile.
 */
MW_HIDDEN int mw__proc_fd_open(struct mw__proc_target *t, int fdfd, int fd, const char *name,
			       int *accmode);

/* What F_GET_SEALS and fstat say about an open file. */
struct mw__file_info {
	dev_t dev;
	uint64_t ino;
	uint32_t mode;   /* permission bits, 07777 */
	uint64_t size;
	uint32_t nlink;
	uint32_t uid;    /* owner */
	int seals;       /* F_GET_SEALS, -1 when refused (errno in seals_err) */
	int seals_err;   /* EINVAL: the file cannot be sealed (not a memfd) */
};
/* 0 or -errno of fstat. */
MW_HIDDEN int mw__file_info(int fd, struct mw__file_info *out);

/* ---- maps --------------------------------------------------------------- */

#define MW__MAP_R 0x1u
#define MW__MAP_W 0x2u
#define MW__MAP_X 0x4u
#define MW__MAP_S 0x8u /* shared (VM_MAYSHARE) */

struct mw__map {
	uint64_t start, end, offset, ino;
	dev_t dev;
	unsigned int prot;        /* MW__MAP_* */
	const char *path;         /* the path as the kernel names it, "\012" undone */
	struct mw__link link;     /* its class */
};

/* Reusable state of the maps walk (a text buffer, whether the kernel lacks
 * PROCMAP_QUERY). Zero it before the first use; free with mw__maps_done(). */
struct mw__maps {
	char *buf;
	size_t cap;
	bool text_only;           /* set by the caller (force text) or the walk */
	/* Extra devices worth asking about (those of fds the process holds);
	 * set by the caller, read by the PROCMAP_QUERY backend. */
	const dev_t *extra_devs;
	size_t nextra;
	/* Also the executable mappings of objects with no name (classes
	 * DELETED, SHMEM_ANON, SYSV_SHM: unlinked and O_TMPFILE files,
	 * anonymous shared memory, SysV segments); set by the caller. */
	bool exec_unnamed;
	/* Read this open maps file of the process (use_fd) instead of
	 * opening one: its memory as it was when fd was opened; set by the
	 * caller. */
	int fd;
	bool use_fd;
};

/*
 * Every mapping of a memfd or secretmem (by link class, confirmed by device
 * for the PROCMAP_QUERY backend) in dirfd's maps (dirfd: /proc/PID). With
 * PROCMAP_QUERY (6.11) the VMAs are walked without formatting paths, and a
 * path is asked for only for VMAs on a memfd/secretmem device (learned, or
 * in m->extra_devs); otherwise the text of maps is read and filtered.
 * Returns 0, cb's negative value, or -errno (-ESRCH/-ENOENT: the process is
 * gone, -EACCES).
 */
MW_HIDDEN int mw__proc_maps_walk(int dirfd, struct mw__maps *m,
				 int (*cb)(void *arg, const struct mw__map *map), void *arg);
MW_HIDDEN void mw__maps_done(struct mw__maps *m);

/* seq_file_path() escapes '\n' in paths as "\012" (and only that, with
 * the "\n" escape set): undo it in place. */
MW_HIDDEN void mw__proc_unescape_path(char *p);

/* Read a small file relative to dirfd (one read per buffer: procfs seq
 * files fill it to their end). NUL-terminated; returns length or -errno. */
MW_HIDDEN ssize_t mw__proc_read_at(int dirfd, const char *name, char *buf, size_t size);

#endif
