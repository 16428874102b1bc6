/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the audit module (src/audit*.c). Not installed. */
#ifndef MW_AUDIT_INTERNAL_H
#define MW_AUDIT_INTERNAL_H

#include "core/internal.h"

#include <memward/audit.h>

#include <pthread.h>

/* Identity of one process, shared by all its findings; owned by the report. */
struct mw__audit_ident {
	pid_t pid;
	uid_t uid;
	char *comm, *exe, *cmdline, *cgroup;
	uint64_t pidns;
};

/* The report plus what the library needs to build and free it. */
struct mw__audit_report {
	struct mw_audit_report pub;
	struct mw_audit_finding **arr;
	size_t cap;
	struct mw__audit_ident **idents;
	size_t nidents, capidents;
};

/* Add a finding about process id. object may be NULL. reason is printf-style.
 * Returns the finding (for the caller to fill details) or NULL on ENOMEM.
 * Its object and reason strings share its allocation: free() the finding
 * alone. */
MW_HIDDEN struct mw_audit_finding *
mw__audit_add(struct mw__audit_report *r, const struct mw__audit_ident *id,
	      enum mw_audit_kind kind, enum mw_audit_severity sev, const char *object,
	      const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Take ownership of an identity (freed with the report). 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_keep_ident(struct mw__audit_report *r, struct mw__audit_ident *id);
MW_HIDDEN void mw__audit_ident_free(struct mw__audit_ident *id);

/* Sort findings (most severe first, then pid, kind) and publish the array. */
MW_HIDDEN void mw__audit_finish(struct mw__audit_report *r);

/* Names of F_SEAL_* bits, "write,seal,exec" style, into buf ("none" for 0,
 * "unknown" for -1). Returns buf. */
MW_HIDDEN const char *mw__audit_seal_names(int seals, char *buf, size_t size);

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

/* The inode of the initial pid namespace (PROC_PID_INIT_INO). */
#define MW__PROC_PID_INIT_INO 0xEFFFFFFCu

/* What the BPF iterators found (src/audit_bpf.c): records of memfds and
 * secretmem held (fds) and mapped (vmas), each list in pid order. */
struct mw_brec;
struct mw_brec_proc;
struct mw__audit_bpf {
	char *buf, *vbuf;        /* fd and process records; mapping records */
	size_t len, vlen;
	const struct mw_brec **fds, **vmas;
	const struct mw_brec_proc **procs;
	size_t nfds, nvmas, nprocs;
	void *skel;              /* loaded, not yet run */
	int load_err;
};

/* Load the iterators into a zeroed b (on any thread, while the caller lists
 * the processes). 0 or -errno, also kept in b->load_err. */
MW_HIDDEN int mw__audit_bpf_load(struct mw__audit_bpf *b);
/* Run the iterators (loading them first unless mw__audit_bpf_load() did),
 * then unload them (parallel: the mapping walk on a second thread). 0, or
 * -errno (the caller reads /proc). */
MW_HIDDEN int mw__audit_bpf_collect(struct mw__audit_bpf *b, bool parallel);
MW_HIDDEN void mw__audit_bpf_free(struct mw__audit_bpf *b);
/* The records of pid in v[0..n): [return value, *end). */
MW_HIDDEN size_t mw__audit_bpf_find(const void *const *v, size_t n, pid_t pid, size_t *end);

/* One memfd or secretmem inode as seen by one process. */
struct mw__audit_obj {
	uint64_t dev, ino;
	int fd;                 /* lowest fd holding it, -1 when only mapped */
	bool secret;
	bool fd_writable;       /* some fd is open for writing */
	bool mapped, mapped_exec, mapped_wshared;
	bool is_exe;            /* the process's own executable */
	bool stat_known;        /* mode/size/seals come from an fstat + F_GET_SEALS */
	int seals;
	uint32_t mode;
	uint64_t size;
	uint64_t mapped_bytes;
	char *name;             /* NULL: made from rec when needed (mw__audit_obj_name()) */
	const struct mw_brec *rec; /* the BPF record it came from, or NULL */
	struct mw__audit_ident *id;
};

/* State shared by the scanning threads. lock guards rep (findings, idents)
 * and the namespace list; counters are updated atomically. */
struct mw__audit_shared {
	struct mw__audit_report *rep;
	pthread_mutex_t lock;
	unsigned int flags;
	uid_t uid;
	int procfd;
	uint64_t self_ns;
	uint64_t memdevs[4];    /* devices memfds and secretmem live on */
	unsigned int nmemdevs;
	bool no_query;          /* PROCMAP_QUERY missing: read maps as text */
	const struct mw__audit_bpf *bpf; /* fd tables and maps from BPF, or NULL */
	uint64_t *ns;
	size_t nns, capns;
	const pid_t *pids;
	size_t npids;
	size_t next;            /* next index into pids (atomic) */
	int err;                /* first fatal error (-ENOMEM) */
};

/* One scanning thread. */
struct mw__audit_worker {
	struct mw__audit_shared *sh;
	struct mw__audit_obj *objs;
	size_t nobjs, capobjs;
	char *maps;
	size_t mapscap;
	/* the process being scanned */
	int dirfd;
	int pidfd;              /* -1 until needed */
	bool pidfd_failed;
	pid_t pid;
	struct mw__audit_ident *id;
	bool id_loaded, id_kept;
	uint64_t exe_dev, exe_ino;
	const struct mw_brec_proc *brec; /* its BPF record, or NULL */
	/* cgroup paths read by this worker, by cgroup id */
	struct { uint64_t id; char *path; } *cg;
	size_t ncg, capcg;
};

/* Room for the largest directory entry (a 255-byte name). procfs directory
 * listings stop early only when the next entry does not fit: a getdents64()
 * that leaves this much of the buffer unused has returned the last entries,
 * and the call that would return 0 can be skipped. */
#define MW__DIRENT_MAX 280

#define MW__AUDIT_COUNT(w, field) \
	__atomic_fetch_add(&(w)->sh->rep->pub.field, 1, __ATOMIC_RELAXED)

/* The object's path as /proc shows it: o->name, or made into buf (size
 * >= MW__AUDIT_NAME_MAX) from its BPF record. */
#define MW__AUDIT_NAME_MAX 288
MW_HIDDEN const char *mw__audit_obj_name(const struct mw__audit_obj *o, char *buf, size_t size);

/* Scan one process into w (src/audit/proc.c). 0, or -ENOMEM; trouble with
 * the process itself is counted in the report, not returned. */
MW_HIDDEN int mw__audit_scan_proc(struct mw__audit_worker *w, pid_t pid);
/* Order of objects: dev, ino, fd. */
MW_HIDDEN int mw__audit_cmp_obj(const void *a, const void *b);
/* WRITE and SEAL seals: the contents can never change. */
MW_HIDDEN bool mw__audit_content_sealed(int seals);

#endif
