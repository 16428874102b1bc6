/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The records the audit's BPF iterators (bpf/audit_iter.bpf.c) write and
 * src/audit_bpf.c reads: shared by the BPF program and the library, so only
 * fixed-size kernel types. Not installed.
 */
#ifndef MW_AUDIT_BPF_REC_H
#define MW_AUDIT_BPF_REC_H

#include <linux/types.h>

enum {
	MW_BREC_FD = 1,   /* an fd of a process holds a memfd or secretmem (struct mw_brec) */
	MW_BREC_VMA = 2,  /* a mapping of a memfd or secretmem (struct mw_brec) */
	MW_BREC_PROC = 3, /* a process (struct mw_brec_proc) */
	MW_BREC_CUT = 4,  /* the records of a process stop here (struct mw_brec, no name):
			   * more than one read of the iterator holds; read it through /proc */
};

/* The records of one program run (a process, its fds, its maps) must fit in
 * the iterator's buffer (8 pages): past this many bytes of fd and mapping
 * records, a program stops and writes MW_BREC_CUT. */
#define MW_BREC_RUN_MAX 28672

/* flags */
#define MW_BREC_SECRET    0x01u /* secretmem (else a memfd) */
#define MW_BREC_FD_WRITE  0x02u /* fd: O_WRONLY or O_RDWR (what F_GETFL shows) */
#define MW_BREC_VM_WRITE  0x04u /* vma: VM_WRITE ('w' in maps) */
#define MW_BREC_VM_EXEC   0x08u /* vma: VM_EXEC ('x') */
#define MW_BREC_VM_SHARED 0x10u /* vma: VM_MAYSHARE ('s') */
#define MW_BREC_UNNAMED   0x20u /* vma: VM_EXEC, of a file with no name that is not a
				 * memfd (i_nlink 0: unlinked, O_TMPFILE, shmem) */

#define MW_BREC_NAME_MAX 256

/* One record; namelen bytes of the dentry name follow (no NUL), padded to
 * a multiple of 8. The object's path as /proc shows it is
 * "/" NAME " (deleted)" (simple_dname(): memfds and secretmem are pseudo
 * files on internal mounts). */
struct mw_brec {
	__u32 type;
	__u32 pid;      /* tgid, in the initial pid namespace */
	__s32 fd;       /* MW_BREC_FD: the fd number; else -1 */
	__u32 flags;
	__u64 start, end; /* MW_BREC_VMA: the mapping */
	__u64 ino;
	__u64 size;     /* i_size */
	__u32 dev;      /* the superblock's s_dev, kernel encoding (major << 20 | minor) */
	__u32 mode;     /* i_mode */
	__s32 seals;    /* what F_GET_SEALS returns; -1 for secretmem */
	__u32 namelen;
	__u32 pad_;
	__u64 exec_id;  /* the process's self_exec_id when read: records of one
			 * process with different ones straddle an exec */
};

/* One per process (thread group leader, not a kernel thread); namelen
 * bytes of its comm follow, padded to a multiple of 8. */
struct mw_brec_proc {
	__u32 type;
	__u32 pid;
	__u32 ruid, euid; /* as /proc/PID/status "Uid:" shows them (initial user namespace) */
	__u64 pidns;      /* inode of its pid namespace; 0 unknown */
	/* Its css_set as an opaque key, never shown: tasks with the same one
	 * are in the same cgroup of every hierarchy (v1 and v2), so have the
	 * same /proc/PID/cgroup. 0 unknown. */
	__u64 cset;
	__u64 exe_ino;    /* its executable (mm->exe_file); 0 unknown */
	__u32 exe_dev;    /* s_dev, kernel encoding */
	__u32 namelen;
	__u64 exec_id;    /* task->self_exec_id: incremented by every exec */
	__u64 start_ns;   /* task->start_time: tells a reused pid apart */
	__u32 flags;      /* MW_BREC_PROC_* */
	__u32 pad_;
};

/* flags of struct mw_brec_proc */
#define MW_BREC_PROC_NO_MAPS 0x01u /* its memory map was not walked with it (bpf/audit_iter3.bpf.c:
				    * the map's lock was taken): read /proc/PID/maps */
#define MW_BREC_PROC_CUT     0x02u /* set by user space: a MW_BREC_CUT record follows it */
#define MW_BREC_PROC_EXECING 0x04u /* an exec was under way (its new memory had no arguments
				    * yet): the record may mix two programs; read /proc */

/* ---- the watch's exec events (bpf/audit_exec.bpf.c, src/audit/watch_bpf.c) */

/* What the executable was at exec (flags of struct mw_exec_rec) */
#define MW_EXEC_INTERNAL 0x01u /* on a kernel-internal mount (MNT_INTERNAL) */
#define MW_EXEC_MEMFD    0x02u /* ... named "memfd:" by memfd_create() */
#define MW_EXEC_HUGETLB  0x04u /* ... on hugetlbfs */
#define MW_EXEC_UNLINKED 0x08u /* no name in any filesystem: i_nlink 0 (deleted,
				* O_TMPFILE never linked, memfd, shmem) */
#define MW_EXEC_SEALS    0x10u /* seals read (shmem or hugetlbfs inode) */
#define MW_EXEC_UID      0x40u /* uid read */
#define MW_EXEC_DIRS_CUT 0x20u /* dirs[] holds the nearest MW_EXEC_DEPTH only */
#define MW_EXEC_STDIN_MEMFD 0x80u /* its fd 0 is a memfd (stdin_ino, stdin_seals):
				   * an interpreter's program, maybe */
#define MW_EXEC_CWD_FDS  0x100u /* its working directory is on procfs or named
				   * "dev": a relative argument ("3", "fd/3") may
				   * name one of its fds */

#define MW_EXEC_NAME_MAX 64
#define MW_EXEC_PATH_MAX 128
#define MW_EXEC_DEPTH 8
#define MW_EXEC_COMP 32
#define MW_EXEC_ARGS 512

/* One exec, as the kernel saw it at sched_process_exec (after the point of
 * no return, before the new program runs): fixed size, in a ring buffer. */
struct mw_exec_rec {
	__u32 pid;        /* tgid, in the initial pid namespace */
	__u32 old_pid;    /* the thread that called execve() (de_thread made it the leader) */
	__u32 flags;      /* MW_EXEC_* */
	__u32 nlink;
	__u32 mode;       /* i_mode */
	__s32 seals;      /* F_GET_SEALS of a shmem/hugetlbfs exe; -1 else */
	__u32 dev;        /* s_dev, kernel encoding (major << 20 | minor) */
	__u32 magic;      /* s_magic (every magic the watch tells apart fits 32 bits) */
	__u64 ino;
	__u64 size;       /* i_size */
	__u64 exec_id;    /* task->self_exec_id after this exec: counts the execs */
	__u64 boot_ns;    /* bpf_ktime_get_boot_ns() */
	__u32 ruid, euid; /* the objective credentials (initial user namespace) */
	char comm[16];
	char name[MW_EXEC_NAME_MAX];     /* the file's dentry name (NUL-terminated) */
	char filename[MW_EXEC_PATH_MAX]; /* bprm->filename: the path given to execve */
	/* the directories of a file not on an internal mount, nearest first
	 * (the dentry's parents across mounts, up to the root of the initial
	 * mount namespace: where it lived, as /proc would show it); ndirs used */
	__u32 ndirs;
	__u32 uid;        /* the file's owner (initial user namespace), with MW_EXEC_UID */
	char dirs[MW_EXEC_DEPTH][MW_EXEC_COMP];
	/* its standard input, with MW_EXEC_STDIN_MEMFD: the memfd's inode
	 * and seals (-1 unread) */
	__u64 stdin_ino;
	__s32 stdin_seals;
	__u32 stdin_dev;  /* s_dev, kernel encoding */
	char stdin_name[MW_EXEC_NAME_MAX]; /* "memfd:NAME" */
	/* the first nargs bytes of its arguments (NUL-separated, as
	 * /proc/PID/cmdline): a script's interpreter run on /dev/fd/N */
	__u32 nargs;
	__u32 pad_;
	char args[MW_EXEC_ARGS];
};

#endif
