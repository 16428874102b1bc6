/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inspect the memfds (and secretmem fds) of a process: name, size, mode,
 * seals, whether it can be executed now, and how it is mapped. Reads
 * /proc/PID/fd, /proc/PID/fdinfo and /proc/PID/maps (PROCMAP_QUERY on 6.11+);
 * the seals come from pidfd_getfd(2) (the process's own open file, so even
 * a memfd whose mode we may not read), or from a new open of /proc/PID/fd/N
 * when pidfd_getfd is refused (no ptrace rights, before 5.6). Needs the
 * same rights as reading /proc/PID/fd: root, or the process's own user.
 */
#ifndef MEMWARD_INSPECT_H
#define MEMWARD_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mw_inspect_kind {
	MW_INSPECT_MEMFD = 1,     /* link "/memfd:NAME (deleted)" */
	MW_INSPECT_SECRETMEM = 2, /* link "/secretmem (deleted)" (memfd_secret) */
};

struct mw_inspect_mapping {
	uint64_t start, end;   /* addresses in the process */
	uint64_t offset;       /* file offset */
	char perms[5];         /* as in /proc/PID/maps: "rw-s", "r-xs" */
};

#define MW_INSPECT_MAX_MAPPINGS 8

/*
 * One memfd or secretmem. The library allocates entries; their struct grows
 * at its end in later releases: read sz before a field added after 0.2.
 */
struct mw_inspect_entry {
	size_t sz;                 /* sizeof(struct mw_inspect_entry) of the library */
	int fd;                    /* the fd number, -1: mapped only (no fd open) */
	enum mw_inspect_kind kind;
	char name[256];            /* memfd name without "memfd:" and " (deleted)" */
	uint64_t inode;
	uint64_t dev;              /* st_dev */
	int64_t size;              /* bytes, -1 when unknown */
	int mode;                  /* permission bits (07777), -1 when unknown */
	int fd_access;             /* O_RDONLY/O_WRONLY/O_RDWR of the fd, -1 unknown */
	int seals;                 /* F_GET_SEALS, -1 when unknown (see seals_error) */
	int seals_error;           /* positive errno when seals is -1 */
	char seals_text[96];       /* "seal,shrink,grow,write,exec", "none", "unknown" */
	bool exec_bits;            /* mode has an exec bit */
	bool exec_sealed;          /* F_SEAL_EXEC is set and the kernel enforces it on
				    * this file system (never on hugetlbfs) */
	bool exec_seal_supported;  /* the running kernel has F_SEAL_EXEC (6.3+) */
	bool write_sealed;         /* F_SEAL_WRITE or F_SEAL_FUTURE_WRITE */
	/* What is possible now, not what the seals suggest: 1 the contents can
	 * run now (mapped executable in the process, or exec bits set) or after
	 * a mode change its holders can make (chmod, or a POSIX ACL where the
	 * kernel lets one around F_SEAL_EXEC); 0 never; -1 unknown. */
	int exec_possible;
	char exec_text[160];       /* one phrase explaining exec_possible */
	bool mapped;               /* at least one mapping in the process */
	bool map_read, map_write, map_exec, map_shared; /* union over all its mappings */
	unsigned int nmappings;    /* how many; the first MW_INSPECT_MAX_MAPPINGS are below */
	struct mw_inspect_mapping mappings[MW_INSPECT_MAX_MAPPINGS];
	bool hugetlb;              /* on hugetlbfs (MFD_HUGETLB) */
	bool exec_now;             /* mapped executable now, or exec bits set now */
};

/* Set sz = sizeof(struct mw_inspect_report) before the call: the library
 * writes no more than sz bytes (a caller built against an older, smaller
 * struct keeps working). */
struct mw_inspect_report {
	size_t sz;
	pid_t pid;
	size_t count;
	/* count pointers (not an array of structs, so that the entry can grow):
	 * fds in ascending order, then mapped-only memfds */
	struct mw_inspect_entry **entries;
	int maps_error;                 /* positive errno when /proc/PID/maps was unreadable */
};

/*
 * Inspect process pid: every memfd/secretmem fd (fd < 0), plus memfds that
 * are only mapped, or the single fd given. Fills *out (free it with
 * mw_inspect_report_free()).
 *
 * Returns 0 or:
 *  -EINVAL       pid <= 0, out NULL, or out->sz too small to hold sz, pid,
 *                count and entries
 *  -ESRCH        no such process
 *  -EACCES       /proc/PID/fd cannot be read: not root and not the process's user
 *  -EBADF        (single fd) the process has no such fd open
 *  -EMEDIUMTYPE  (single fd) the fd is neither a memfd nor secretmem
 *  -ENOMEM
 * A memfd whose seals cannot be read is still listed (seals == -1).
 */
MW_API int mw_inspect_pid(pid_t pid, int fd, struct mw_inspect_report *out);
MW_API void mw_inspect_report_free(struct mw_inspect_report *report);

/* "memfd", "secretmem"; NULL for a value this library does not know. */
MW_API const char *mw_inspect_kind_name(enum mw_inspect_kind kind);

#ifdef __cplusplus
}
#endif
#endif
