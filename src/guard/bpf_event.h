/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What bpf/guard.bpf.c and src/guard/ share: the ring-buffer record, the
 * object kinds, hooks and map keys. Fixed-size types only (included by the
 * BPF program, which has no libc).
 */
#ifndef MW_GUARD_BPF_EVENT_H
#define MW_GUARD_BPF_EVENT_H

#include <linux/types.h>

/* Object classes (public values: enum mw_guard_kind in memward/guard.h). */
#define MW_GK_NONE 0          /* not a decision object (linked file, no file) */
#define MW_GK_MEMFD 1         /* memfd on the internal tmpfs */
#define MW_GK_MEMFD_HUGETLB 2 /* memfd on an internal hugetlbfs */
#define MW_GK_SHMEM 3         /* other internal shmem: shared anonymous, SysV */
#define MW_GK_SHMEM_HUGETLB 4 /* the same on hugetlbfs (MAP_HUGETLB, SHM_HUGETLB) */
#define MW_GK_INTERNAL 5      /* any other kernel-internal mount (secretmem, ...) */
#define MW_GK_UNLINKED 6      /* regular file with no name left (unlinked, O_TMPFILE) */
#define MW_GK_TASK 7          /* a task (prctl, ptrace) */
#define MW_GK_BPF 8           /* one of the guard's BPF objects */
#define MW_GK_USERNS 9        /* a file of a superblock owned by a non-initial user namespace */
#define MW_GK_DETACHED 10     /* a file of a mount in no (or an anonymous) mount namespace */
#define MW_GK_LISTED_FILE 11  /* a listed executable (write/truncate refused) */

/* Hooks (enum mw_guard_hook). */
#define MW_GH_EXEC 1          /* bprm_check_security: every exec, every #! round */
#define MW_GH_MMAP 2          /* mmap_file with PROT_EXEC */
#define MW_GH_MPROTECT 3      /* file_mprotect adding PROT_EXEC */
#define MW_GH_SETATTR 4       /* inode_setattr adding exec bits */
#define MW_GH_SETXATTR 5      /* inode_setxattr / inode_set_acl: POSIX ACL */
#define MW_GH_PRCTL 6         /* task_prctl PR_SET_MM exe */
#define MW_GH_BPF 7           /* bpf(), bpf_map, bpf_prog: the guard's objects */
#define MW_GH_PTRACE 8        /* ptrace_access_check on the guard or a listed task */
#define MW_GH_WRITE 9         /* file_open for writing, truncation of a listed file */

/* Why (enum mw_guard_why). */
#define MW_GW_UNLISTED 1      /* the program is not listed */
#define MW_GW_SEALS 2         /* listed, but the memfd lacks required seals */
#define MW_GW_KIND 3          /* this kind of object is never executable */
#define MW_GW_LISTED 4        /* allowed: listed program, sealed memfd */
#define MW_GW_OWN_EXE 5       /* allowed: mapping the task's own executable */
#define MW_GW_PROTECTED 6     /* the guard protects itself */
#define MW_GW_FORGE 7         /* PR_SET_MM would change the executable */
#define MW_GW_TRACED 8        /* listed, but traced (or an unlisted tracer) */

/* mw_gtask.flags */
#define MW_GT_EXE 1u          /* exe_* set at an exec the guard saw */
#define MW_GT_SCOPED 2u       /* seen under the --cgroup scope: stays in scope */

#define MW_GEV_COMM 16
#define MW_GEV_NAME 48

struct mw_gev {
	__u64 ktime_ns;           /* bpf_ktime_get_boot_ns() */
	__u64 exe_ino;            /* executable committed at the task's last exec */
	__u64 obj_ino;
	__u32 pid, tid, uid;
	__u32 exe_dev;            /* kernel dev_t (MAJOR << 20 | MINOR) */
	__u32 obj_dev;
	__u32 kind, hook, why;
	__u32 seals;              /* F_SEAL_* of the object (hugetlbfs: never exec) */
	__u32 arg;                /* prot, mode, prctl option... per hook */
	__u32 suppressed;         /* this task's denials not sent since its last event */
	__u32 pad2;
	__u8 denied;              /* 1: the policy says no */
	__u8 enforced;            /* 1: the caller got an error (enforce mode) */
	__u8 exe_known;           /* 0: the task's exec predates the guard */
	__u8 listed;
	__u8 audit;               /* 1: the guard runs in audit mode */
	__u8 pad[3];
	char comm[MW_GEV_COMM];
	char exe_name[MW_GEV_COMM * 2]; /* basename of the committed executable */
	char obj_name[MW_GEV_NAME];     /* dentry name of the object */
};

/* Allow-list key: a listed executable. */
struct mw_gkey {
	__u32 dev;                /* kernel dev_t */
	__u32 pad;
	__u64 ino;
};

/* What task storage keeps per task (inherited at fork). */
struct mw_gtask {
	__u64 exe_ino;
	__u32 exe_dev;
	__u32 flags;              /* MW_GT_* */
	char exe_name[MW_GEV_COMM * 2];
	__u64 win_start;          /* rate limit: start of the current second */
	__u32 win_count;          /* denials sent in it */
	__u32 suppressed;         /* denials not sent, reported by the next event */
};

/* Protected object key: type (1 map, 2 prog, 3 link) and id. */
struct mw_gobj {
	__u32 type, id;
};

#endif
