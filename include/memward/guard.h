/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard: the memfd exec policy of memward-policy(5) enforced by the
 * kernel through BPF LSM programs (memward-guard(8)).
 *
 * Kernel facts that shape this API:
 *  - BPF LSM needs CONFIG_BPF_LSM, "bpf" in the active LSM list (lsm= boot
 *    argument) and kernel BTF; BPF_PROG_TYPE_LSM programs then load (5.7+),
 *    with task storage (5.11+). Some kernels refuse the program type even
 *    then (this project's 6.18 development hosts: EPERM).
 *  - Decisions are taken on the file the kernel executes or maps, inside the
 *    kernel, so no path, /proc magic link, ABI (x86-64, i386, x32) or race
 *    between threads changes what is checked.
 *  - The programs stay attached while the guard object lives: closing it, or
 *    the death of the process that holds it (SIGKILL included), detaches
 *    them. Nothing is pinned.
 *
 * Errors (mw_guard_open sets errno):
 *   EINVAL   bad opts (sz, unknown flags, no policy, policy with errors)
 *   ENOTDIR  opts->cgroup is not a directory
 *   EMEDIUMTYPE opts->cgroup is not on a cgroup v2 file system
 *   EOPNOTSUPP built without libbpf, or the kernel lacks a needed hook,
 *            BTF or task storage (mw_guard_probe says which)
 *   EPERM    the kernel refused to load or attach (BPF LSM unavailable,
 *            missing CAP_BPF/CAP_MAC_ADMIN/CAP_SYS_ADMIN)
 *   ENOMEM, and other errno values from bpf(2) as libbpf reports them.
 */
#ifndef MEMWARD_GUARD_H
#define MEMWARD_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <memward/common.h>
#include <memward/policy.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the decision was about. */
enum mw_guard_kind {
	MW_GUARD_KIND_NONE = 0,
	MW_GUARD_KIND_MEMFD = 1,          /* memfd on the kernel's internal tmpfs */
	MW_GUARD_KIND_MEMFD_HUGETLB = 2,  /* memfd on hugetlbfs: never exec sealed */
	MW_GUARD_KIND_SHMEM = 3,          /* shared anonymous memory, SysV shm */
	MW_GUARD_KIND_SHMEM_HUGETLB = 4,  /* the same backed by huge pages */
	MW_GUARD_KIND_INTERNAL = 5,       /* another kernel-internal file (secretmem...) */
	MW_GUARD_KIND_UNLINKED = 6,       /* a regular file without a name (unlinked, O_TMPFILE) */
	MW_GUARD_KIND_TASK = 7,           /* a task identity change (PR_SET_MM) */
	MW_GUARD_KIND_BPF = 8,            /* one of the guard's own BPF objects or its loader */
	MW_GUARD_KIND_USERNS = 9,         /* a file of a mount made in a user namespace (tmpfs, FUSE...) */
	MW_GUARD_KIND_DETACHED = 10,      /* a file of a mount attached nowhere (fsmount, lazy umount) */
	MW_GUARD_KIND_LISTED_FILE = 11,   /* a listed executable (writing it is refused) */
};

/* Where the kernel asked. */
enum mw_guard_hook {
	MW_GUARD_HOOK_EXEC = 1,      /* every execve/execveat, each #! interpreter round */
	MW_GUARD_HOOK_MMAP = 2,      /* mmap with PROT_EXEC */
	MW_GUARD_HOOK_MPROTECT = 3,  /* mprotect adding PROT_EXEC */
	MW_GUARD_HOOK_CHMOD = 4,     /* adding exec bits (chmod, fchmod...) */
	MW_GUARD_HOOK_ACL = 5,       /* setting a POSIX ACL */
	MW_GUARD_HOOK_PRCTL = 6,     /* PR_SET_MM_EXE_FILE, PR_SET_MM_MAP */
	MW_GUARD_HOOK_BPF = 7,       /* an fd for the guard's maps, programs, links */
	MW_GUARD_HOOK_PTRACE = 8,    /* ptrace, pidfd_getfd, /proc/PID/mem of the guard or a listed task */
	MW_GUARD_HOOK_WRITE = 9,     /* opening a listed file for writing, truncating it */
};

/* Why. */
enum mw_guard_why {
	MW_GUARD_WHY_UNLISTED = 1,   /* the caller's executable is not listed */
	MW_GUARD_WHY_SEALS = 2,      /* listed, but the memfd lacks required seals */
	MW_GUARD_WHY_KIND = 3,       /* this object is never executable / modifiable */
	MW_GUARD_WHY_LISTED = 4,     /* allowed: listed program, sealed memfd */
	MW_GUARD_WHY_OWN_EXE = 5,    /* allowed: the task's own executable */
	MW_GUARD_WHY_PROTECTED = 6,  /* the guard protects itself */
	MW_GUARD_WHY_FORGE = 7,      /* PR_SET_MM would replace the executable */
	MW_GUARD_WHY_TRACED = 8,     /* a listed program under ptrace, or an unlisted tracer of one */
};

/* One decision. Strings live until the callback returns. */
struct mw_guard_event {
	uint64_t time_ns;            /* CLOCK_REALTIME */
	pid_t pid, tid;              /* in the initial pid namespace */
	uid_t uid;
	char comm[16];
	int exe_known;               /* 0: the task's last exec predates the guard */
	uint64_t exe_dev, exe_ino;   /* executable committed at its last exec (st_dev form) */
	const char *exe_name;        /* its file name as the kernel saw it */
	const char *exe_path;        /* the policy's path when listed, else "" */
	int listed;
	enum mw_guard_kind kind;
	uint64_t obj_dev, obj_ino;   /* the file decided on (st_dev form); id for BPF */
	const char *obj_name;        /* its name ("memfd:x", "dev/zero", "SYSV0000002a") */
	unsigned int seals;          /* F_SEAL_* (hugetlbfs: F_SEAL_EXEC never counted) */
	enum mw_guard_hook hook;
	enum mw_guard_why why;
	int denied;                  /* the policy says no */
	int enforced;                /* the caller got EPERM (enforce mode, or self-protection) */
	int audit;                   /* the guard runs in audit mode */
	unsigned int arg;            /* prot (mmap/mprotect), mode (chmod), PR_SET_MM_* (prctl) */
	uint64_t suppressed;         /* this task's denials not reported since its previous event
					(rate limit: 32 a second per task; exec never limited) */
};

struct mw_guard_opts {
	size_t sz;                   /* sizeof(struct mw_guard_opts) */
	unsigned int flags;          /* 0 */
	const struct mw_policy *policy; /* mode, allow-exec-memfd, require-seals; copied */
	const char *cgroup;          /* NULL: the whole machine; else a cgroup v2 directory
	                              * whose subtree is guarded */
	void (*on_event)(const struct mw_guard_event *ev, void *ctx); /* may be NULL */
	void *ctx;
};

struct mw_guard;

/*
 * Load, fill and attach the guard's BPF LSM programs. Returns the guard
 * (mw_guard_close detaches and frees it) or NULL with errno (see the top of
 * this header). On kernels without F_SEAL_EXEC (before 6.3) "exec" is
 * dropped from the required seals (the kernel cannot set it; the guard does
 * not rely on mode bits). Needs CAP_SYS_ADMIN (or CAP_BPF + CAP_MAC_ADMIN +
 * CAP_PERFMON).
 */
MW_API struct mw_guard *mw_guard_open(const struct mw_guard_opts *opts);

/* An fd that becomes readable when events wait (for poll/epoll), or -EINVAL. */
MW_API int mw_guard_fd(const struct mw_guard *g);

/*
 * Wait up to timeout_ms (-1: forever) for events and hand each to
 * opts->on_event. Returns the number handled, or -errno: -EINVAL NULL guard;
 * -EINTR a signal arrived; other -errno from epoll.
 */
MW_API int mw_guard_poll(struct mw_guard *g, int timeout_ms);

/* Events lost because the ring buffer was full (0 on NULL). */
MW_API uint64_t mw_guard_dropped(const struct mw_guard *g);

/* The F_SEAL_* bits the loaded programs require (after the 6.1 adjustment). */
MW_API unsigned int mw_guard_required_seals(const struct mw_guard *g);

/* Detach and free. NULL is a no-op. */
MW_API void mw_guard_close(struct mw_guard *g);

/*
 * Can the guard's hooks be attached here? Returns 1 yes, 0 no (why gets a
 * sentence), or -EINVAL for a NULL why with a non-zero size. Checks the BPF
 * LSM probe (mw_feature_probe(MW_FEAT_BPF_LSM)), then every hook the guard
 * uses in the kernel's BTF and task storage.
 */
MW_API int mw_guard_probe(char *why, size_t size);

/*
 * One JSON object (no newline) for ev into buf. Returns its length, or
 * -ENOSPC (buf too small; 1024 bytes plus six per byte of exe_path
 * always suffice), -EINVAL.
 */
MW_API int mw_guard_event_json(const struct mw_guard_event *ev, char *buf, size_t size);

/* Stable names: "memfd", "exec", "unlisted"...; "?" when out of range. */
MW_API const char *mw_guard_kind_name(enum mw_guard_kind k);
MW_API const char *mw_guard_hook_name(enum mw_guard_hook h);
MW_API const char *mw_guard_why_name(enum mw_guard_why w);

#ifdef __cplusplus
}
#endif
#endif
