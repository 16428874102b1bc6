/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Audit a running system for fileless execution and risky memfds.
 *
 * mw_audit_scan() walks /proc (all processes, or the ones a filter selects),
 * reads each process's exe link, fd table and memory map (for a scan of all
 * processes with the privileges, the fd tables and maps come from two BPF
 * iterators instead: see MW_AUDIT_F_NO_BPF), and returns a
 * report: an array of findings, each with a severity, a stable kind key, a
 * reason sentence and the identity of the process. Strings in findings are
 * the raw bytes the kernel shows (names may hold newlines or bytes that are
 * not UTF-8): escaping is the job of whoever prints them.
 *
 * The scan is a snapshot of a moving system: processes that exit or fds that
 * close while they are read are skipped (counted in procs_vanished), and
 * processes the caller may not inspect (another user's, without root) are
 * counted in procs_unreadable and make the report partial.
 */
#ifndef MEMWARD_AUDIT_H
#define MEMWARD_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <memward/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mw_audit_severity {
	MW_AUDIT_INFO = 0,
	MW_AUDIT_LOW,
	MW_AUDIT_MEDIUM,
	MW_AUDIT_HIGH,
	MW_AUDIT_CRITICAL,
};

enum mw_audit_kind {
	/* The executable is a memfd (critical when its contents are not
	 * sealed; high when they are sealed but are not those of a trusted
	 * binary: anyone can seal a memfd) or an unlinked file (medium when it
	 * is owned by root and did not live in a world-writable directory: a
	 * package upgrade also leaves " (deleted)" behind; else high, whatever
	 * the path reads, since a mount namespace of the process's own makes
	 * any path). Also a script run from a memfd: the process holds a
	 * memfd at an fd its arguments name as a file (/dev/fd/N, /dev/stdin,
	 * /proc/self/fd/N...: what fexecve() of a "#!" memfd gives its
	 * interpreter), or it is an interpreter (a shell, python... by the
	 * name of its executable) whose standard input is a memfd (high);
	 * object and fd are the memfd's; critical when the
	 * process is named N (the kernel's name after an exec of fd N, before
	 * Linux 6.14) and its contents are not sealed, else high. */
	MW_AUDIT_FILELESS_EXEC = 0,
	/* The executable is a memfd whose contents are sealed (F_SEAL_WRITE and
	 * F_SEAL_SEAL) and whose SHA-256 is that of a binary the operator
	 * trusts (opts.trusted, or by default the runc, crun and youki found
	 * on this system): a runtime's self-protection copy (CVE-2019-5736).
	 * Low. */
	MW_AUDIT_SEALED_EXEC,
	/* A memfd with exec bits (F_SEAL_EXEC only keeps them from changing),
	 * held as an fd or mapped but not executable: it could be executed.
	 * Low; info when its contents are sealed. Executing it is what the
	 * other kinds report. */
	MW_AUDIT_EXEC_MEMFD,
	/* A memfd mapped executable (not the process's own executable): a
	 * fileless library. High, sealed or not. */
	MW_AUDIT_MEMFD_MAPPED_EXEC,
	/* A memfd mapped by this process and writable by another one (peer_pid),
	 * without F_SEAL_WRITE or F_SEAL_FUTURE_WRITE. Medium; high when this
	 * process maps it executable. */
	MW_AUDIT_SHARED_UNSEALED,
	/* The process holds or maps memfd_secret memory; size = bytes. Info. */
	MW_AUDIT_SECRETMEM,
	/* The effective vm.memfd_noexec of a pid namespace (memfd_noexec, -1 when
	 * it cannot be read, with the reason); pid is the lowest pid seen in
	 * it (stable from scan to scan). Info. */
	MW_AUDIT_NOEXEC_POLICY,
	/* Code mapped from an object that has no name in any filesystem and
	 * is not a memfd: an unlinked or O_TMPFILE file, anonymous shared
	 * memory, a SysV segment (a fileless library written there, then
	 * mmap'ed or dlopen'ed through /proc/self/fd/N). High; medium for a
	 * file owned by root unlinked from /usr, /lib*, /bin, /sbin or /opt (an
	 * upgraded library not yet reloaded); low when its contents (SHA-256) are those
	 * of a trusted binary (see MW_AUDIT_SEALED_EXEC). */
	MW_AUDIT_UNLINKED_MAPPED_EXEC,
	/* The process changed during every read of it, through every retry
	 * (spread over about 60 ms): it exec'd, renamed itself, or the thread it
	 * was read through (its leader having exited) exited. Its fd table and
	 * memory map could not be read in one state and were not audited; its
	 * executable was, when an exe link, identity and memory of one
	 * generation could be read (the usual finding about it comes
	 * alongside), else this finding names the pid alone. A process that
	 * execs in a loop, or runs on threads that come and go, hides what it
	 * holds and maps from a scan. High. Added in 0.2. */
	MW_AUDIT_UNSTABLE_PROCESS,
	MW_AUDIT_KIND_COUNT_ /* not a kind; grows with new releases */
};

struct mw_audit_finding {
	enum mw_audit_kind kind;
	enum mw_audit_severity severity;
	const char *reason;   /* one sentence for a person (may hold raw name bytes) */

	/* The process. Strings are never NULL ("" when unknown). */
	pid_t pid;
	uid_t uid;            /* real uid; (uid_t)-1 when unknown */
	const char *comm;     /* /proc/PID/comm */
	const char *exe;      /* target of /proc/PID/exe */
	const char *cmdline;  /* argv joined by spaces */
	const char *cgroup;   /* the cgroup v2 path ("0::" line) when it is not "/";
			       * else (hybrid/v1 hosts) the pids, memory or
			       * name=systemd v1 path; "" unknown */

	/* The object. */
	const char *object;   /* "/memfd:NAME (deleted)", "/secretmem (deleted)", exe path; "" */
	int fd;               /* fd number, -1 when found through a mapping or the exe */
	uint64_t dev, ino;    /* the object's inode, 0 unknown */
	uint32_t mode;        /* permission bits (07777); 0 unknown */
	int seals;            /* F_SEAL_* bits, -1 unknown */
	uint64_t size;        /* file size; for SECRETMEM the bytes held */
	pid_t peer_pid;       /* SHARED_UNSEALED: the process that can write; else 0 */
	uint64_t pidns;       /* inode of the process's pid namespace, 0 unknown */
	int memfd_noexec;     /* NOEXEC_POLICY: 0, 1, 2, or -1 unknown; else -1 */

	/* Added in 0.2. */
	const char *container; /* container id (64 hex digits) when the cgroup path
				* follows docker, containerd (CRI), CRI-O or podman
				* naming; else "" */
	const char *pod;      /* Kubernetes pod UID from the cgroup path, else "" */
	pid_t tid;            /* > 0: the process was read through this thread,
			       * its leader having exited; else 0 */
	bool exec_record;     /* watch with a BPF source: the process exited (or
			       * exec'd again) before it could be read, and the
			       * finding is what the kernel recorded at its exec
			       * (exe, dev, ino, mode, size, seals, comm, uid;
			       * cmdline and cgroup ""); else false */
};

/* Scan options. Set sz = sizeof(struct mw_audit_opts); zero what you do not use. */
struct mw_audit_opts {
	size_t sz;
	unsigned int flags;   /* MW_AUDIT_F_* */
	const pid_t *pids;    /* scan only these processes (npids > 0) */
	size_t npids;
	uid_t uid;            /* with MW_AUDIT_F_UID: only processes whose real or
			       * effective uid is this one */
	unsigned int threads; /* scanning threads; 0: one per online CPU (at most 8),
			       * fewer for small scans */
	/* Binaries trusted to run from a sealed memfd (the allow-exec-memfd
	 * paths of memward-policy(5)): their SHA-256 is compared with the
	 * contents of each memfd executable (hashed only when a sealed memfd
	 * executable is found). NULL: the runtimes runc, crun and youki found
	 * in /usr/sbin, /usr/bin, /usr/local/{s,}bin; not NULL with ntrusted
	 * 0: nothing is trusted. */
	const char *const *trusted;
	size_t ntrusted;
};

/* Filter by opts.uid. */
#define MW_AUDIT_F_UID        (1u << 0)
/* Do not enter other pid namespaces to read their vm.memfd_noexec (this
 * forks a short-lived child per namespace); report those as unknown. */
#define MW_AUDIT_F_NO_NS_PROBE (1u << 1)
/* Read /proc/PID/maps as text even where the PROCMAP_QUERY ioctl (6.11)
 * exists: slower, the same findings (for tests and comparisons). Applies
 * where maps are read through /proc (see MW_AUDIT_F_NO_BPF). */
#define MW_AUDIT_F_MAPS_TEXT   (1u << 2)
/* Read every process's fd table and maps through /proc even where the BPF
 * iterators could list them (a scan of all processes, run with CAP_BPF and
 * CAP_PERFMON or CAP_SYS_ADMIN, from the initial pid namespace, on a kernel
 * with BTF): slower on a large system, the same findings. */
#define MW_AUDIT_F_NO_BPF      (1u << 3)
/* Use the BPF iterators (where they work) whatever the size of the system.
 * By default they are used only when the scan lists at least
 * MW_AUDIT_BPF_MIN_PROCS processes (thread groups; threads do not count):
 * below that, loading them costs more than reading /proc. */
#define MW_AUDIT_F_BPF         (1u << 4)
/* Leave every finding's cmdline "" instead of reading /proc/PID/cmdline of
 * each process with something to report (a read of that process's memory:
 * 10% of a scan's time with 2,000 such processes), for a caller that does
 * not show it. Added in 0.2. */
#define MW_AUDIT_F_NO_CMDLINE  (1u << 5)
#define MW_AUDIT_BPF_MIN_PROCS 300
/* Its earlier name (it counted tasks, threads included, from 1000). */
#define MW_AUDIT_BPF_MIN_TASKS MW_AUDIT_BPF_MIN_PROCS
#define MW_AUDIT_FLAGS_ALL      (MW_AUDIT_F_UID | MW_AUDIT_F_NO_NS_PROBE | MW_AUDIT_F_MAPS_TEXT | \
				MW_AUDIT_F_NO_BPF | MW_AUDIT_F_BPF | MW_AUDIT_F_NO_CMDLINE)

/* A new process the watch saw but did not read in full (Added in 0.2). */
struct mw_audit_unread {
	pid_t pid;
	const char *exe; /* its exe link when the watch looked, or "" */
};

struct mw_audit_report {
	size_t nfindings;
	/* Array of nfindings pointers (a pointer array, so the finding struct
	 * can grow without breaking callers), most severe first, then by pid. */
	const struct mw_audit_finding *const *findings;
	/* Every process seen ends in exactly one of the four counts after it:
	 * procs_seen == scanned + unreadable + vanished + kernel (procs_unstable
	 * are among procs_scanned). */
	unsigned int procs_seen;       /* processes listed (or asked for) that matched the filter */
	unsigned int procs_scanned;    /* of those, fully read */
	unsigned int procs_unreadable; /* permission denied on exe, fd table or maps */
	unsigned int procs_vanished;   /* exited during the scan */
	unsigned int procs_kernel;     /* kernel threads (no exe), skipped */
	bool partial;                  /* procs_unreadable > 0 or procs_unstable > 0 */
	double duration_s;             /* wall-clock time the scan took */
	bool via_bpf;                  /* fd tables and maps came from the BPF
					* iterators (see MW_AUDIT_F_NO_BPF), not /proc */
	/* Added in 0.2 (the report is allocated by the library, so it grows
	 * at its end). The pids of opts.pids that named no process when the
	 * scan began (also counted in procs_vanished). */
	const pid_t *missing;
	size_t nmissing;
	unsigned int procs_rescanned;  /* read again: they exec'd while read */
	/* Of procs_scanned, those that changed during every read
	 * (MW_AUDIT_UNSTABLE_PROCESS): judged by their executable alone. */
	unsigned int procs_unstable;
	/* Added in 0.2, set by mw_audit_watch_next() only: the new processes
	 * with more than 64 KiB of arguments that were not read past them at
	 * their exec (more such execs than the watch reads whole: see
	 * mw_audit_watch_stats.args_unread). A full scan reads all of their
	 * arguments if they still run. */
	const struct mw_audit_unread *args_unread;
	size_t nargs_unread;
};

/*
 * Scan. opts may be NULL (every process). On success returns 0 and sets
 * *out to a report the caller frees with mw_audit_report_free().
 * Errors: -EINVAL (out NULL, opts->sz 0, unknown flag bits, npids > 0 with
 * pids NULL), -ENOMEM, or the error of opening /proc (-ENOENT when procfs is
 * not mounted, -EACCES). Permission problems on single processes are not
 * errors: they make the report partial.
 */
MW_API int mw_audit_scan(const struct mw_audit_opts *opts, struct mw_audit_report **out);

/* Free a report (NULL is fine). */
MW_API void mw_audit_report_free(struct mw_audit_report *report);

/* Number of findings at or above min. */
MW_API size_t mw_audit_report_count(const struct mw_audit_report *report,
				    enum mw_audit_severity min);

/* Stable names: "info", "low", "medium", "high", "critical"; NULL when unknown. */
MW_API const char *mw_audit_severity_name(enum mw_audit_severity severity);
/* Parse a severity name (case-insensitive). 0, or -EINVAL. */
MW_API int mw_audit_severity_parse(const char *name, enum mw_audit_severity *out);
/* Stable kind keys: "fileless_exec", "sealed_exec", "exec_memfd",
 * "memfd_mapped_exec", "shared_unsealed_memfd", "secretmem_user",
 * "memfd_noexec_policy", "unlinked_mapped_exec", "unstable_process"; NULL when
 * unknown. */
MW_API const char *mw_audit_kind_key(enum mw_audit_kind kind);

/* ---- watch ------------------------------------------------------------- */

/*
 * A watch reports fileless execution when it happens: it listens to the
 * kernel's exec events and reads each new process at once (its exe link
 * first; a full read of the process when that is a memfd or an unlinked
 * file), with the trust set and the hash cache kept from one event to the
 * next. Event source, probed at mw_audit_watch_new() by loading it: a BPF
 * program on the sched_process_exec tracepoint (tp_btf, else raw_tp; needs
 * CAP_BPF and CAP_PERFMON or CAP_SYS_ADMIN, and kernel BTF), whose record of
 * each exec (the executable's inode, device, filesystem, link count, seals)
 * reports a fileless process that exited before it could be read; else the
 * proc connector (NETLINK_CONNECTOR, PROC_EVENT_EXEC; root in the initial
 * user and network namespace), where such a process is only a pid in
 * report->missing. MW_AUDIT_F_NO_BPF: the proc connector only. Not
 * thread-safe: one thread uses a watch.
 */
struct mw_audit_watch;

/*
 * Open a watch. opts as for mw_audit_scan() (pids ignored: every new
 * process; MW_AUDIT_F_UID filters). Returns 0 and *out, or -EINVAL (out
 * NULL, bad opts), -ENOMEM, or, when no BPF program loads, the error of the
 * proc connector: -EPERM (not privileged), -EPROTONOSUPPORT (no proc
 * connector in this kernel).
 */
MW_API int mw_audit_watch_new(const struct mw_audit_opts *opts, struct mw_audit_watch **out);
/* The fd to poll for readability (owned by the watch), or -EINVAL. */
MW_API int mw_audit_watch_fd(const struct mw_audit_watch *w);
/* The event source in use: "bpf_tp_btf", "bpf_raw_tp" or "proc_connector";
 * NULL for NULL. */
MW_API const char *mw_audit_watch_source(const struct mw_audit_watch *w);

/* What mw_audit_watch_next() saw besides the findings. */
struct mw_audit_watch_stats {
	size_t sz;              /* set by the caller: sizeof(struct mw_audit_watch_stats) */
	uint64_t execs;         /* exec events received */
	uint64_t inspected;     /* new processes read fully (memfd or unlinked exe) */
	uint64_t unread;        /* exited before their exe link could be read (with the
				 * BPF source: of those whose executable had no name) */
	uint64_t lost;          /* event overruns (ENOBUFS, or a full BPF ring
				 * buffer): execs the kernel dropped */
	uint64_t args_unread;   /* new processes with more than 64 KiB of arguments
				 * that were not read past them at once (more
				 * such execs in a second than the watch reads:
				 * they wait for the next full scan) */
};

/*
 * Wait up to timeout_ms (-1: forever, 0: no wait) for exec events, read
 * the new processes, and return a report of their findings (possibly none;
 * NULL *out with 0 when nothing happened in time). report->missing lists the
 * processes that exited (or exec'd again) before they could be read and of
 * which only the pid is known (proc connector); with a BPF source, such a process whose
 * executable had no name (memfd, shared memory, unlinked file) is a finding
 * with exec_record set. stats, when not NULL, gets the running totals (up to its sz).
 * Returns 0, or -EINTR (a signal), -ENOMEM, -EINVAL (w or out NULL, stats sz
 * too small).
 */
MW_API int mw_audit_watch_next(struct mw_audit_watch *w, int timeout_ms, struct mw_audit_report **out,
			       struct mw_audit_watch_stats *stats);
/* Close a watch (NULL is fine). */
MW_API void mw_audit_watch_free(struct mw_audit_watch *w);

#ifdef __cplusplus
}
#endif
#endif
