/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's collectors: they read the system and produce objects
 * (internal.h), never findings. proc.c reads one process through /proc;
 * bpf.c lists every fd table and map with BPF iterators; ns.c reads a pid
 * namespace's vm.memfd_noexec; trust.c hashes executables. Not installed.
 */
#ifndef MW_AUDIT_COLLECT_H
#define MW_AUDIT_COLLECT_H

#include "audit/internal.h"

#include <pthread.h>

/* ---- bpf.c -------------------------------------------------------------- */

/* What the BPF iterators found: records of memfds and secretmem held (fds)
 * and mapped (vmas), each list in pid order. */
struct mw_brec;
struct mw_brec_proc;
struct mw__audit_bpf {
	char *buf, *vbuf;        /* fd and process records; mapping records (audit_iter3:
				  * the records of each reader, every type in both) */
	size_t len, vlen;
	size_t cap, vcap;        /* their capacities (src/sys/big.h) */
	const struct mw_brec **fds, **vmas;
	const struct mw_brec_proc **procs;
	size_t nfds, nvmas, nprocs;
	void *skel;              /* loaded; kept until mw__audit_bpf_free() */
	int kind;                /* 3: audit_iter3 (one task walk, maps with it), 2: audit_iter2
				  * (one task walk), 1: audit_iter */
	int load_err;
	bool parallel;           /* audit_iter3 read by two readers (and read so again by
				  * mw__audit_bpf_recheck()) */
};

/* Load the iterators into a zeroed b (on any thread, while the caller lists
 * the processes). 0 or -errno, also kept in b->load_err. */
MW_HIDDEN int mw__audit_bpf_load(struct mw__audit_bpf *b);

/* ---- pids.c ------------------------------------------------------------ */

/* Listing every process of /proc, with the iterators loaded meanwhile. */
struct mw__audit_lister {
	int procfd;                 /* /proc */
	struct mw__audit_bpf *bpf;  /* what the load fills (zeroed) */
	pthread_t loader;           /* loading on a second thread, when loading */
	bool loading;
};
/* Every pid of /proc into *pids (malloc'd, *npids of them, also on error).
 * load: the iterators are worth loading (a scan of everything from the
 * initial pid namespace, more than one CPU) and are loaded into l->bpf
 * meanwhile once the list is, or /proc's link count says it will be, long
 * enough; insist: at once (MW_AUDIT_F_BPF). 0 or -errno. Then
 * mw__audit_lister_join() before l->bpf is used or freed. */
MW_HIDDEN int mw__audit_list_all(struct mw__audit_lister *l, bool load, bool insist, pid_t **pids,
				 size_t *npids);
MW_HIDDEN void mw__audit_lister_join(struct mw__audit_lister *l);
/* Run the iterators (loading them first unless mw__audit_bpf_load() did),
 * then unload them (parallel: the mapping walk on a second thread). 0, or
 * -errno (the caller reads /proc). */
MW_HIDDEN int mw__audit_bpf_collect(struct mw__audit_bpf *b, bool parallel);
MW_HIDDEN void mw__audit_bpf_free(struct mw__audit_bpf *b);
/* A process read from the BPF records, to be checked once every process
 * has been read: its exec generation and start time as the iterators saw
 * them. */
struct mw__audit_gen {
	pid_t pid;
	uint64_t exec_id, start_ns;
};
/* Run the process iterator again (kept loaded after collect), once for the
 * whole system, and set changed[i] when the process of v[i] is gone or no
 * longer in the generation the iterators saw (an exec since, or another
 * process with its pid). 0 or -errno (changed[] untouched). */
MW_HIDDEN int mw__audit_bpf_recheck(const struct mw__audit_bpf *b, const struct mw__audit_gen *v, size_t n,
				    bool *changed);
/* The records of pid in v[0..n): [return value, *end). */
MW_HIDDEN size_t mw__audit_bpf_find(const void *const *v, size_t n, pid_t pid, size_t *end);

/* ---- watch_bpf.c: the watch's exec events from BPF --------------------- */

struct mw_exec_rec;
struct mw__exec_bpf;
/* Load and attach the exec tracepoint program (tp_btf, else raw_tp).
 * 0 and *out, or -errno (the watch falls back to the proc connector). */
MW_HIDDEN int mw__exec_bpf_open(struct mw__exec_bpf **out);
/* "bpf_tp_btf" or "bpf_raw_tp". */
MW_HIDDEN const char *mw__exec_bpf_name(const struct mw__exec_bpf *b);
/* An fd that polls readable when records wait. */
MW_HIDDEN int mw__exec_bpf_fd(const struct mw__exec_bpf *b);
/* cb(arg, record) for each record waiting (none: returns at once). 0 or -errno. */
MW_HIDDEN int mw__exec_bpf_drain(struct mw__exec_bpf *b,
				 int (*cb)(void *arg, const struct mw_exec_rec *r), void *arg);
/* Execs seen by the program, and records lost to a full ring buffer. */
MW_HIDDEN void mw__exec_bpf_counts(const struct mw__exec_bpf *b, uint64_t *execs, uint64_t *dropped);
MW_HIDDEN void mw__exec_bpf_close(struct mw__exec_bpf *b);

/* ---- ns.c --------------------------------------------------------------- */

/*
 * The effective vm.memfd_noexec of the pid namespace behind nsfd (an open
 * /proc/PID/ns/pid). The sysctl handler answers for the reader's own pid
 * namespace (task_active_pid_ns(current)) and, since 6.6, reports the
 * hierarchical maximum, so the value is read by a short-lived child forked
 * after setns(CLONE_NEWPID). is_self: the namespace is the caller's own (read
 * directly, no fork). Returns 0..2, or -1 with why in reason.
 */
MW_HIDDEN int mw__audit_ns_noexec(int nsfd, bool is_self, bool may_fork,
				  char *reason, size_t size);

/* ---- trust.c ------------------------------------------------------------ */

/* SHA-256 of everything fd holds (read with pread from offset 0). 0 or
 * -errno (-EFBIG past 1 GiB, -ENOSYS when built without libcrypto). */
MW_HIDDEN int mw__audit_sha256_fd(int fd, unsigned char out[32]);

/* Digests of sealed memfd executables by inode: a sealed memfd's contents
 * cannot change, so one hash serves every process running it (and every
 * scan of a watch). Unsealed ones are hashed each time. */
struct mw__audit_hcache {
	pthread_mutex_t lock;
	struct { uint64_t dev, ino; unsigned char sha256[32]; } *v;
	size_t n, cap;
};
/* The SHA-256 of fd (info fi), through the cache when its contents are
 * sealed. 0 or -errno. */
MW_HIDDEN int mw__audit_hash_exe(struct mw__audit_hcache *hc, int fd, const struct mw__file_info *fi,
				 unsigned char out[32]);
MW_HIDDEN void mw__audit_hcache_free(struct mw__audit_hcache *hc);

/* ---- proc.c (the process), objs.c (its objects) ------------------------- */

/* Settings and state shared by the collecting threads. */
struct mw__audit_env {
	unsigned int flags;     /* MW_AUDIT_F_* */
	uid_t uid;
	int procfd;
	uint64_t self_ns;       /* our pid namespace's inode (0 unknown) */
	const struct mw__audit_bpf *bpf; /* fd tables and maps from BPF, or NULL */
	bool text_maps;         /* MW_AUDIT_F_MAPS_TEXT, or learned */
	struct mw__audit_hcache *hashes;
	/* sizes of the trusted binaries: a memfd exe of any other size
	 * matches none of them and is not hashed (runc is 9 MiB) */
	const uint64_t *trusted_sizes;
	size_t ntrusted_sizes;
};

/* One collecting thread's state: the objects of every process it read. */
/* An fd of the process being read on a memfd (objs.c). */
struct mw__audit_fdref {
	int fd;
	uint64_t dev, ino;
};

/* At most this much of a command line is read for the fds it names:
 * more than the kernel lets an exec pass (ARG_MAX, 2 MiB by default). */
#define MW__AUDIT_ARGS_MAX ((size_t)8 << 20)

struct mw__audit_collector {
	const struct mw__audit_env *env;
	struct mw__audit_obj *objs;
	size_t nobjs;
	size_t objs_size;       /* bytes at objs (src/sys/big.h) */
	struct mw__maps maps;
	/* the whole command line of the last process that holds a memfd
	 * (mw__audit_proc_ident()) */
	char *args;
	size_t args_cap;
	/* and its environment (scripts.c), read after */
	char *envs;
	size_t envs_cap;
	/* the current process's fds on memfds, in fd order (objs.c) */
	struct mw__audit_fdref *memfds;
	size_t nmemfds, capmemfds;
	/* cgroup text read by this collector, by cgroup id (BPF records) */
	struct { uint64_t id; char *path, *container, *pod; } *cg;
	size_t ncg, capcg;
	/* the process being read */
	int dirfd;              /* /proc/PID, or /proc/PID/task/TID; -1 until
				 * needed for a process read from BPF records
				 * (mw__audit_proc_dir()) */
	char pidname[16];       /* "PID": its name in /proc */
	/* its maps, opened right after the exe link was read: the file keeps
	 * the memory (mm) of that moment, and reads nothing once an exec
	 * replaced it, which mw__audit_proc_unchanged() checks */
	int mmfd;
	bool have_mm;
	struct mw__proc_target target;
	const struct mw_brec_proc *brec;
	struct mw__audit_proc *cur;
	bool force_proc;        /* read through /proc even when BPF records exist
				 * (a process that changed since the iterators ran) */
	bool kthread;           /* the current process is a kernel thread */
	bool exe_only;          /* read the exe, identity and pid namespace, not
				 * the fds and maps (a process that exec'd during
				 * every full read) */
	/* the current process's exec generation is to be checked at the end
	 * of the scan (mw__audit_bpf_recheck(), one pass for all) */
	bool gen_pending;
	/* the processes this collector read from BPF records, for that check */
	struct mw__audit_gen *gens;
	size_t ngens, capgens;
};

enum mw__audit_outcome {
	MW__PROC_SCANNED = 0,
	MW__PROC_FILTERED,      /* not selected by the uid filter: not counted */
	MW__PROC_VANISHED,
	MW__PROC_UNREADABLE,
	MW__PROC_KERNEL,        /* kernel thread or zombie: nothing to audit */
	MW__PROC_CHANGED,       /* exec'd while read (its old memory gone): read again */
};

/*
 * Read process pid into *p (its objects appended to c->objs). Returns an
 * outcome >= 0 or -ENOMEM. With MW__PROC_SCANNED, p->id is a new identity
 * the caller keeps in the report (or frees), and the process stays current
 * (for mw__audit_proc_nsfd()) until mw__audit_proc_done().
 */
MW_HIDDEN int mw__audit_proc_read(struct mw__audit_collector *c, pid_t pid, struct mw__audit_proc *p);
/* For a current process p that holds a memfd: its whole command line into
 * c->args and the memfds its arguments name marked (script_fd; scripts.c).
 * Its length; -ENOENT when p holds no memfd (nothing read); -errno. */
MW_HIDDEN ssize_t mw__audit_scripts(struct mw__audit_collector *c, struct mw__audit_proc *p);
/* Load the identity of the current process (comm, cmdline, cgroup,
 * container) if not yet done. 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_proc_ident(struct mw__audit_collector *c);
/* The current process's /proc directory (c->dirfd), opened now when it
 * was read without it so far. fd, or -errno. */
MW_HIDDEN int mw__audit_proc_dir(struct mw__audit_collector *c);
/* Open the current process's ns/pid. fd or -errno. */
MW_HIDDEN int mw__audit_proc_nsfd(struct mw__audit_collector *c);
/* Is the current process still the one that was read (same exe, alive)?
 * Called after its objects were read: a process that exec'd or exited
 * meanwhile is read again or dropped, so that a finding never mixes two
 * states. From BPF records, the exec generation is left to one check at
 * the end of the scan (c->gen_pending set: the caller records the process
 * in c->gens once it keeps it). */
MW_HIDDEN bool mw__audit_proc_unchanged(struct mw__audit_collector *c);
MW_HIDDEN void mw__audit_proc_done(struct mw__audit_collector *c);

/* ---- objs.c ------------------------------------------------------------- */

/* Append the objects of the current process (c->cur, pid) to c->objs from
 * index start: its fds (BPF records, or /proc/PID/fd), merged by inode,
 * then its mappings. 0 or -errno (-ENOMEM; the process gone or unreadable). */
MW_HIDDEN int mw__audit_read_objs(struct mw__audit_collector *c, pid_t pid, size_t start);
/* Were all of pr's process's fd and mapping records taken in the exec
 * generation of pr (three iterators run one after the other)? */
MW_HIDDEN bool mw__audit_bpf_one_exec(const struct mw__audit_bpf *b, const struct mw_brec_proc *pr);
/* Drop objects [start, nobjs) and their names. */
MW_HIDDEN void mw__audit_drop_objs(struct mw__audit_collector *c, size_t start);
MW_HIDDEN void mw__audit_collector_free(struct mw__audit_collector *c);

/* Container attribution from a /proc/PID/cgroup text: the container id and
 * pod UID, when a path follows the conventions of docker, containerd (CRI),
 * CRI-O or podman. Writes "" when none. */
/* The cgroup path to show from /proc/PID/cgroup text: the v2 path ("0::")
 * when it says more than "/"; else (hybrid or v1 hosts, where the unified
 * line is "/" for every process) the pids, memory or name=systemd v1 path,
 * or the first v1 path that is not "/". Written into out ("" when none). */
MW_HIDDEN void mw__audit_pick_cgroup(const char *text, char *out, size_t size);
MW_HIDDEN void mw__audit_container(const char *cgroup_text, char *id, size_t idsize, char *pod,
				   size_t podsize);

#endif
