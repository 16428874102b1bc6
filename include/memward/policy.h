/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memfd exec policy.
 *
 *  - vm.memfd_noexec: read it, and run a command in a new pid namespace with
 *    the sysctl set (mw_policy_run).
 *  - a pure seccomp filter with level 2's meaning (mw_policy_seccomp_install).
 *  - the policy hook the kernel never merged, in user space: a policy file
 *    (mw_policy_parse) and a seccomp user-notification supervisor
 *    (mw_policy_supervisor_filter_install in the supervised process,
 *    mw_policy_supervise in the supervisor).
 *
 * See memward-run(1) and memward-policy(5) for what the supervisor guarantees
 * and what it does not.
 */
#ifndef MEMWARD_POLICY_H
#define MEMWARD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- vm.memfd_noexec --------------------------------------------------- */

/*
 * The effective vm.memfd_noexec level (0, 1 or 2) of the caller's pid
 * namespace, as /proc/sys/vm/memfd_noexec shows it.
 * Errors: -EOPNOTSUPP the kernel has no such sysctl (before 6.3);
 * other -errno from reading the file.
 */
MW_API int mw_policy_noexec_level(void);

/* ---- running a command in a new pid namespace --------------------------- */

#define MW_POLICY_RUN_NEWNS     (1u << 0) /* new pid + mount namespace, own /proc, pid 1 */
#define MW_POLICY_RUN_USERNS    (1u << 1) /* also a user namespace (forced when unprivileged) */
#define MW_POLICY_RUN_NO_USERNS (1u << 2) /* never a user namespace (fail with -EPERM instead) */
/* In the command's process, after child_setup: mw_policy_seccomp_install(). */
#define MW_POLICY_RUN_SECCOMP_NOEXEC (1u << 3)
/* In the command's process, last: mw_policy_supervisor_filter_install(); the
 * listener comes back in mw_policy_run_result.listener for mw_policy_supervise(). */
#define MW_POLICY_RUN_SUPERVISE (1u << 4)
#define MW_POLICY_RUN_FLAGS_ALL                                                    \
	(MW_POLICY_RUN_NEWNS | MW_POLICY_RUN_USERNS | MW_POLICY_RUN_NO_USERNS |    \
	 MW_POLICY_RUN_SECCOMP_NOEXEC | MW_POLICY_RUN_SUPERVISE)

/* Options of mw_policy_run. A caller built against an older, smaller struct
 * passes its own sz: the fields it lacks are read as zero. */
struct mw_policy_run_opts {
	size_t sz;              /* sizeof(struct mw_policy_run_opts) */
	unsigned int flags;     /* MW_POLICY_RUN_* */
	int noexec_level;       /* 0..2: vm.memfd_noexec in the new namespace; -1: leave.
				 * Callers with a struct that ends before this field get 0. */
	char *const *argv;      /* the command; argv[0] is looked up in PATH */
	/* Called in the command's process, after the namespace setup and just
	 * before exec. Returns 0 or -errno; on error the command is not
	 * executed. May be NULL. */
	int (*child_setup)(void *ctx);
	void *ctx;
};

/* Where mw_policy_run failed (mw_policy_run_result.stage). */
enum mw_policy_run_stage {
	MW_POLICY_RUN_STAGE_NONE = 0,
	MW_POLICY_RUN_STAGE_USERNS,     /* unshare(CLONE_NEWUSER) or the id maps */
	MW_POLICY_RUN_STAGE_PIDNS,      /* new pid + mount namespace */
	MW_POLICY_RUN_STAGE_FORK,
	MW_POLICY_RUN_STAGE_MOUNT,      /* making / private, mounting /proc */
	MW_POLICY_RUN_STAGE_NO_SYSCTL,  /* the kernel lacks vm.memfd_noexec (6.1) */
	MW_POLICY_RUN_STAGE_LOWER,      /* an ancestor namespace is stricter */
	MW_POLICY_RUN_STAGE_SYSCTL,     /* writing the sysctl failed otherwise */
	MW_POLICY_RUN_STAGE_SETUP,      /* child_setup or a seccomp filter failed */
	MW_POLICY_RUN_STAGE_EXEC,       /* exec of the command failed */
};

/* Result of mw_policy_run. Set sz to sizeof(struct mw_policy_run_result): the
 * library writes no further than sz. */
struct mw_policy_run_result {
	size_t sz;
	pid_t pid;          /* the process to wait for: pid 1 of the namespace, or without
			     * one a process of the library that forwards the signals
			     * and exits with the command's status. Its exit signal is 0:
			     * wait with __WALL */
	int level;          /* effective vm.memfd_noexec in the namespace, -1 if unknown/none */
	int ancestor_level; /* for MW_POLICY_RUN_STAGE_LOWER: the level the ancestors impose */
	enum mw_policy_run_stage stage;
	int error;          /* positive errno of the failed stage */
	int report_fd;      /* read end: mw_policy_run_exec_error() reads it and closes it */
	int pidfd;          /* pidfd of pid (CLOEXEC), -1 where the kernel has none; yours to close */
	int listener;       /* MW_POLICY_RUN_SUPERVISE: the seccomp listener (CLOEXEC), else -1;
			     * yours to close */
};

/*
 * Start argv. With MW_POLICY_RUN_NEWNS (implied by noexec_level >= 0) the
 * command runs in a new pid and mount namespace (and a user namespace if the
 * caller lacks CAP_SYS_ADMIN, or with MW_POLICY_RUN_USERNS) under a pid 1
 * that reaps every orphan, forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/
 * SIGUSR2/SIGCONT/SIGWINCH/SIGALRM to the command and exits with its status
 * (code, or 128+signal). With noexec_level >= 0 that pid 1 sets the sysctl
 * through a /proc mounted for its namespace, and the command runs one pid
 * namespace further down (pid 2 there, under a second pid 1 with its own
 * /proc): the kernel lets a namespace raise its own level but never go
 * below its parent's, so nothing the command does can lower the level set
 * here. Without MW_POLICY_RUN_NEWNS the command runs under a process of the
 * library that forwards the same signals and exits with its status.
 *
 * Every child is created with exit signal 0, so it is not reaped behind the
 * caller's back when SIGCHLD is ignored: wait with waitpid(pid, &st, __WALL)
 * or on res->pidfd.
 *
 * Returns 0 with res->pid to wait for, or -errno with res->stage/res->error
 * saying what failed (nothing is left running then, no fd is left open).
 * Errors: -EINVAL bad opts (sz, unknown flag, level outside -1..2, empty
 * argv) or res->sz too small to hold sz; -EOPNOTSUPP (stage NO_SYSCTL) no
 * vm.memfd_noexec on this kernel; -EPERM (stage LOWER) the level is below an
 * ancestor's (Linux 6.6+ refuses); -EPERM (stage USERNS) no privilege and user
 * namespaces unavailable; with MW_POLICY_RUN_SUPERVISE, the error of the
 * filter installation (stage SETUP); other -errno from the stage named.
 * The command's own exec failure arrives later: see mw_policy_run_exec_error().
 */
MW_API int mw_policy_run(const struct mw_policy_run_opts *opts, struct mw_policy_run_result *res);

/*
 * After the command exited: did its exec (or child_setup) fail? Returns 0 if
 * it ran, or a positive errno and sets *stage (EXEC or SETUP). Closes
 * res->report_fd.
 */
MW_API int mw_policy_run_exec_error(struct mw_policy_run_result *res, enum mw_policy_run_stage *stage);

/* ---- pure seccomp mode --------------------------------------------------- */

/*
 * Install, in the calling process, an irremovable filter (NO_NEW_PRIVS is
 * set) inherited by every descendant, that fails memfd_create with EACCES
 * when it asks for MFD_EXEC or lacks MFD_NOEXEC_SEAL: vm.memfd_noexec=2's
 * meaning without a namespace. On kernels without MFD_NOEXEC_SEAL (6.1) the
 * kernel answers EINVAL to that flag, so every memfd_create then fails.
 * flags must be 0.
 * Errors: -EINVAL bad flags; -ENOSYS no seccomp filters; -errno from libseccomp.
 */
MW_API int mw_policy_seccomp_install(unsigned int flags);

/* ---- policy file --------------------------------------------------------- */

enum mw_policy_mode { MW_POLICY_ENFORCE = 0, MW_POLICY_AUDIT = 1 };
/* What a memfd_create(MFD_EXEC) from an executable not listed gets. */
enum mw_policy_exec_request { MW_POLICY_REQ_REFUSE = 0, MW_POLICY_REQ_DOWNGRADE = 1 };

struct mw_policy;

/* Do not resolve allow-exec-memfd paths (parse-only: tests, fuzzing). */
#define MW_POLICY_NO_RESOLVE (1u << 0)
#define MW_POLICY_FLAGS_ALL  MW_POLICY_NO_RESOLVE

/*
 * Parse a policy text of len bytes (need not be NUL-terminated). Returns a
 * policy object (free with mw_policy_free) even when the text has errors:
 * check mw_policy_error_count(). NULL with errno: EINVAL (NULL text, unknown
 * flags), ENOMEM. allow-exec-memfd paths are resolved to device+inode now
 * unless MW_POLICY_NO_RESOLVE.
 */
MW_API struct mw_policy *mw_policy_parse(const char *text, size_t len, unsigned int flags);
/* Read and parse a file (at most 1 MiB). NULL with errno from open/read,
 * EFBIG for a larger file, or as mw_policy_parse. */
MW_API struct mw_policy *mw_policy_load(const char *path, unsigned int flags);
MW_API void mw_policy_free(struct mw_policy *pol);

/* Errors found by the parser (at most 64 are kept): count, and the i-th
 * one's message; *line gets its line number (1-based). NULL if i is out of range. */
MW_API size_t mw_policy_error_count(const struct mw_policy *pol);
MW_API const char *mw_policy_error(const struct mw_policy *pol, size_t i, unsigned int *line);

MW_API enum mw_policy_mode mw_policy_mode(const struct mw_policy *pol);
MW_API enum mw_policy_exec_request mw_policy_exec_request(const struct mw_policy *pol);
/* Seals (F_SEAL_* bits) a memfd needs before a listed executable may run it. */
MW_API unsigned int mw_policy_required_seals(const struct mw_policy *pol);
/* Listed executables: count, and the i-th path, device and inode (NULL if out of range). */
MW_API size_t mw_policy_allow_count(const struct mw_policy *pol);
MW_API const char *mw_policy_allow(const struct mw_policy *pol, size_t i, uint64_t *dev, uint64_t *ino);
/* Is the file dev/ino listed? */
MW_API int mw_policy_allows(const struct mw_policy *pol, uint64_t dev, uint64_t ino);

/* ---- supervisor ---------------------------------------------------------- */

/*
 * In the process to supervise (typically mw_policy_run_opts.child_setup): set
 * NO_NEW_PRIVS and install a filter that sends memfd_create, execve and
 * execveat to a user-space listener. Returns the listener fd (>= 0, CLOEXEC)
 * to hand to the supervisor, or -errno: -EINVAL flags not 0; -ENOSYS
 * no seccomp user notification (before 5.0); others from libseccomp.
 */
MW_API int mw_policy_supervisor_filter_install(unsigned int flags);

enum mw_policy_call {
	MW_POLICY_CALL_MEMFD_CREATE = 0,
	MW_POLICY_CALL_EXECVE,
	MW_POLICY_CALL_EXECVEAT,
	MW_POLICY_CALL_UNKNOWN,     /* a notification the supervisor cannot identify: refused */
};
enum mw_policy_verdict {
	MW_POLICY_VERDICT_ALLOW = 0,   /* the call went on unchanged */
	MW_POLICY_VERDICT_DENY,        /* the call failed with error */
	MW_POLICY_VERDICT_NOEXEC,      /* memfd_create answered with a non-executable memfd */
};

struct mw_policy_decision {
	uint64_t time_ns;       /* CLOCK_REALTIME */
	pid_t pid;              /* the caller, in the supervisor's pid namespace */
	const char *exe;        /* its executable's path ("?" if unknown) */
	enum mw_policy_call call;
	enum mw_policy_verdict verdict; /* what enforce mode decides */
	int enforced;           /* 0 in audit mode: the call went on unchanged */
	int error;              /* errno the caller got for DENY (enforced) */
	const char *reason;     /* one short sentence */
	const char *detail;     /* the path or the memfd name, may be "" */
	unsigned int flags;     /* memfd_create flags / execveat flags */
};

struct mw_policy_supervise_opts {
	size_t sz;              /* sizeof(struct mw_policy_supervise_opts) */
	unsigned int flags;     /* 0 */
	const struct mw_policy *policy;
	int listener;           /* from mw_policy_supervisor_filter_install */
	int stop_fd;            /* return when readable (e.g. a pidfd); -1: none */
	void (*on_decision)(const struct mw_policy_decision *d, void *ctx); /* may be NULL */
	void *ctx;
};

/*
 * Serve notifications until stop_fd is readable or no supervised task is
 * left (the listener hangs up). Returns 0, or -errno: -EINVAL bad opts;
 * other -errno from poll or the notification ioctls.
 */
MW_API int mw_policy_supervise(const struct mw_policy_supervise_opts *opts);

/* Names for the log: "memfd_create"/"execve"/"execveat"/"unknown",
 * "allow"/"deny"/"noexec"; NULL for a value outside the enum. */
MW_API const char *mw_policy_call_name(enum mw_policy_call call);
MW_API const char *mw_policy_verdict_name(enum mw_policy_verdict v);

#ifdef __cplusplus
}
#endif
#endif
