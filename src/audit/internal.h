/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's model: what the collectors (proc.c, bpf.c) produce and the
 * rules (rules.c) judge, and the report the rules fill (report.c). Data
 * flows one way: audit.c runs the collectors, hands what they collected to
 * the rules, and the rules add findings to the report. Not installed.
 */
#ifndef MW_AUDIT_INTERNAL_H
#define MW_AUDIT_INTERNAL_H

#include "core/internal.h"
#include "proc/proc.h"

#include <memward/audit.h>

/* Identity of one process, shared by all its findings; owned by the report. */
struct mw__audit_ident {
	pid_t pid;
	pid_t tid;              /* > 0: read through this thread (leader exited) */
	uid_t uid;
	char *comm, *exe, *cmdline, *cgroup;
	char *container;        /* container id, "" when none is recognised */
	char *pod;              /* Kubernetes pod UID, "" when none */
	uint64_t pidns;
};

/* Memory of findings, their objects and reasons: bump-allocated chunks,
 * freed with the report (a scan can make 100,000 findings; one malloc and
 * free each cost more than the rule that made them). */
struct mw__audit_chunk {
	struct mw__audit_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

/* The report plus what the library needs to build and free it. */
struct mw__audit_report {
	struct mw_audit_report pub;
	struct mw_audit_finding **arr;
	size_t cap;
	struct mw__audit_ident **idents;
	size_t nidents, capidents;
	struct mw__audit_chunk *chunks;
	size_t nchunks;
	/* the last reason stored: a finding with the same text shares it */
	const char *last_reason;
	size_t last_reason_len;
};

/* ---- report.c: the only writer of findings ---------------------------- */

/* Add a finding about process id. object may be NULL. reason is printf-style.
 * Returns the finding (for the caller to fill details) or NULL on ENOMEM.
 * It, its object and its reason live in the report's chunks: never free()
 * a finding (dropping its pointer from arr is enough). */
MW_HIDDEN struct mw_audit_finding *
mw__audit_add(struct mw__audit_report *r, const struct mw__audit_ident *id,
	      enum mw_audit_kind kind, enum mw_audit_severity sev, const char *object,
	      const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The same with a reason already made (len bytes, no NUL needed): the
 * text of the previous finding's reason is shared when equal, else copied. */
MW_HIDDEN struct mw_audit_finding *
mw__audit_add_text(struct mw__audit_report *r, const struct mw__audit_ident *id,
		   enum mw_audit_kind kind, enum mw_audit_severity sev, const char *object,
		   const char *reason, size_t len);
/* Free the findings and their memory (the report itself stays). */
MW_HIDDEN void mw__audit_free_findings(struct mw__audit_report *r);
/* Take ownership of an identity (freed with the report). 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_keep_ident(struct mw__audit_report *r, struct mw__audit_ident *id);
MW_HIDDEN void mw__audit_ident_free(struct mw__audit_ident *id);
/* Move src's findings (and their memory) to the end of dst. 0 or -ENOMEM
 * (src keeps them). */
MW_HIDDEN int mw__audit_append(struct mw__audit_report *dst, struct mw__audit_report *src);
/* Real and effective uid (and the comm, when comm is not NULL: size
 * bytes) from the status file of the /proc/PID directory dirfd. 0, or
 * -errno of the read, or -EINVAL when it has no Uid line. */
MW_HIDDEN int mw__audit_read_status(int dirfd, uid_t *ruid, uid_t *euid, char *comm, size_t size);
/* Append pids to report->missing. 0 or -ENOMEM. */
MW_HIDDEN int mw__audit_add_missing(struct mw_audit_report *report, const pid_t *pids, size_t n);
/* Append to report->args_unread a process the watch did not read past its
 * first 64 KiB of arguments: pid and its exe link (copied; NULL for "").
 * Returns 0 or -ENOMEM (the report unchanged). */
MW_HIDDEN int mw__audit_add_args_unread(struct mw_audit_report *report, pid_t pid, const char *exe);
/* Sort findings (most severe first, then pid, kind) and publish the array. */
MW_HIDDEN void mw__audit_finish(struct mw__audit_report *r);
/* Names of F_SEAL_* bits, "write,seal,exec" style ("none", "unknown" for -1). */
MW_HIDDEN const char *mw__audit_seal_names(int seals, char *buf, size_t size);

/* ---- what the collectors produce --------------------------------------- */

/* One memfd or secretmem inode as seen by one process. */
struct mw__audit_obj {
	uint64_t dev, ino;
	int fd;                 /* lowest fd holding it, -1 when only mapped */
	bool secret;
	bool hugetlb;           /* on a hugetlbfs mount: F_SEAL_EXEC is ignored there */
	bool fd_writable;       /* some fd is open for writing */
	bool mapped, mapped_exec, mapped_wshared;
	bool is_exe;            /* the process's own executable */
	/* A memfd held at an fd its command line names (/dev/fd/N): a script
	 * its interpreter reads from memory; script_exec when its comm is N
	 * too, what the kernel leaves after an exec of the memfd itself
	 * (fexecve, execveat: a script's interpreter gets "/dev/fd/N" as an
	 * argument and the name "N"). -1 none. */
	int script_fd;
	bool script_exec;
	/* script_fd 0 given to an interpreter as its standard input, named by
	 * no argument (sh < memfd: it reads its program from there) */
	bool script_stdin;
	/* script_fd named by its environment, not its arguments
	 * (BASH_ENV=/dev/fd/3, NODE_OPTIONS=--import=file:///dev/fd/3) */
	bool script_env;
	/* An executable mapping of an object with no name in any filesystem
	 * that is not a memfd: an unlinked or O_TMPFILE file, anonymous shared
	 * memory, a SysV segment (stat_known: nlink 0 checked). */
	bool unnamed;
	bool hashed;            /* unnamed: sha256 holds its contents */
	bool root_owned;        /* unnamed: a stat found it owned by root (uid 0) */
	unsigned char sha256[32];
	bool stat_known;        /* mode/size/seals come from an fstat + F_GET_SEALS */
	int seals;
	uint32_t mode;
	uint64_t size;
	uint64_t mapped_bytes;
	char *name;             /* NULL: made from rec when needed (mw__audit_obj_name()) */
	const struct mw_brec *rec; /* the BPF record it came from, or NULL */
	struct mw__audit_ident *id;
};

#define MW__AUDIT_NAME_MAX 288
/* The object's path as /proc shows it: o->name, or made into buf (size
 * >= MW__AUDIT_NAME_MAX) from its BPF record. */
MW_HIDDEN const char *mw__audit_obj_name(const struct mw__audit_obj *o, char *buf, size_t size);

enum mw__audit_exe_kind {
	MW__EXE_FILE = 0,       /* an ordinary linked file */
	MW__EXE_MEMFD,          /* a memfd (device checked) */
	MW__EXE_DELETED,        /* an unlinked file */
};

/* The executable of a process, as the collector found it. */
struct mw__audit_exe {
	enum mw__audit_exe_kind kind;
	bool info_known;        /* fi is from an fstat + F_GET_SEALS of the exe */
	bool root_owned;        /* a stat of the exe found it owned by root (uid 0) */
	struct mw__file_info fi;
	bool hugetlb;
	/* SHA-256 of its contents (MEMFD and DELETED): hashed is false when it
	 * could not be read */
	bool hashed;
	bool size_unmatched;    /* not hashed: no trusted binary has its size */
	unsigned char sha256[32];
};

/* Everything collected about one process. */
struct mw__audit_proc {
	struct mw__audit_ident *id;     /* loaded (comm, cmdline, cgroup) when useful */
	bool id_loaded;
	struct mw__audit_exe exe;
	uint64_t pidns;
	bool via_thread;                /* the leader had exited: read through a live thread */
	pid_t tid;                      /* that thread */
	struct mw__audit_obj *objs;     /* its objects, in the collector's array */
	size_t nobjs;
};

/* The inode of the initial pid namespace (PROC_PID_INIT_INO). */
#define MW__PROC_PID_INIT_INO 0xEFFFFFFCu
/* The exe of a process whose path is longer than the kernel prints
 * (readlink gives ENAMETOOLONG), then " (deleted)" when the file has no
 * link left: never a path, so the rules cannot take it for a directory it
 * is not in. */
#define MW__EXE_TOO_LONG MW_PROC_TOO_LONG

/* WRITE and SEAL seals: the contents can never change. */
MW_HIDDEN bool mw__audit_content_sealed(int seals);
/* Order of objects: dev, ino, fd. */
MW_HIDDEN int mw__audit_cmp_obj(const void *a, const void *b);

#endif
