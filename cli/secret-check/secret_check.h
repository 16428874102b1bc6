/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward secret check`: the types the attack side and the report side
 * share. Dependencies run one way:
 *   cmd_secret_check.c (report) -> probe.c (checker) -> owner.c, core.c, io.c
 *   and every file -> model.c (names, promises, result cells).
 */
#ifndef MW_CLI_SECRET_CHECK_H
#define MW_CLI_SECRET_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The rows of the table, in the order they run. */
enum sc_method {
	SC_READ_INTO,     /* fact: read(2) into a secret buffer works */
	SC_WRITE_FROM,    /* fact: write(2) from a secret buffer works */
	SC_PVR,           /* process_vm_readv from another process */
	SC_PROCMEM,       /* pread of /proc/PID/mem from another process */
	SC_PTRACE,        /* PTRACE_SEIZE + PTRACE_PEEKDATA from another process */
	SC_VMSPLICE,      /* the owner vmsplices its secret into a pipe */
	SC_ODIRECT_OUT,   /* O_DIRECT write from the secret to a file */
	SC_ODIRECT_IN,    /* O_DIRECT read from a file into the secret */
	SC_FORK,          /* a child forked by the owner reads the secret */
	SC_CORE,          /* the secret's bytes in the owner's core dump */
	SC_NMETHODS
};

enum sc_backing { SC_SECRETMEM, SC_MLOCK, SC_NBACKINGS };

enum sc_result {
	SC_SKIPPED = 0,      /* backing not selected (--backing) */
	SC_BLOCKED,          /* the read failed or did not yield the secret */
	SC_READABLE,         /* the secret's bytes came out */
	SC_WORKS,            /* fact rows: the owner's own syscall worked */
	SC_FAILS,            /* fact rows: it did not */
	SC_NOT_TESTABLE,     /* could not be tested here (control failed, no fs...) */
	SC_NOT_TESTED,       /* deliberately not run (needs --core-dump) */
	SC_NOT_APPLICABLE,   /* ran, but proves nothing here (tmpfs O_DIRECT) */
	SC_UNAVAILABLE,      /* the backing itself is unavailable */
};

struct sc_cell {
	enum sc_result result;
	int err;              /* errno observed, 0 if none */
	char detail[200];     /* one phrase for a person */
};

struct sc_backing_report {
	bool selected;
	bool available;          /* a heap with this backing was created */
	char reason[256];        /* why unavailable, or the heap's fallback reason */
	size_t bytes_locked;     /* from mw_secret_heap_stats, with the test secret */
	struct sc_cell cells[SC_NMETHODS];
};

struct sc_options {
	bool backing[SC_NBACKINGS];
	bool core_dump;            /* --core-dump: may change the global core_pattern */
	const char *odirect_dir;   /* --odirect-dir, or NULL to try the defaults */
	bool share_children;       /* --share-with-children: MW_SECRET_SHARE_WITH_CHILDREN */
};

struct sc_report {
	struct sc_backing_report b[SC_NBACKINGS];
	char odirect_dir[256];     /* directory used for O_DIRECT, "" if none */
	char odirect_fs[32];       /* its filesystem type name */
};

/* Run every method against every selected backing. Returns 0, or -errno
 * when the check itself could not run (then the message went to stderr). */
int sc_run(const struct sc_options *opt, struct sc_report *rep);

/* Set a cell's result and detail. */
void sc_cell_set(struct sc_cell *c, enum sc_result r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The core-dump row (secret_check_core.c). */
struct sc_core {
	char pattern[512];   /* kernel.core_pattern as found */
	bool need_change;    /* not a plain relative name: must be changed */
	char dir[4096];      /* empty temporary directory, the owner's cwd */
};
/* Decide whether a dump can be arranged and make the directory; false (the
 * cell set: not tested / not testable) when not. */
bool sc_core_begin(bool allow_change, struct sc_core *cc, struct sc_cell *c);
/* The owner could not get ready: remove the directory. */
void sc_core_abort(struct sc_core *cc);
/* The owner sits in cc->dir ready to dump: kill it with SIGABRT (with
 * core_pattern changed meanwhile when needed), reap it, search the core for
 * needles (the LAST one is the control's) and set the cell. */
void sc_core_finish(struct sc_core *cc, pid_t owner, const unsigned char *const needles[],
		    size_t nneedles, size_t needle_len, struct sc_cell *c);

/* Table helpers. */
const char *sc_method_key(enum sc_method m);     /* "process_vm_readv" */
const char *sc_method_label(enum sc_method m);   /* for the text table */
const char *sc_backing_key(enum sc_backing b);   /* "secretmem" / "mlock" */
const char *sc_result_key(enum sc_result r);     /* "blocked", "readable", ... */
/* What the backing promises for this method: true when a READABLE result is
 * a missing protection. */
bool sc_promised(enum sc_method m, enum sc_backing b);
/* Fact rows (read()/write() from the owner): expected to work. */
bool sc_is_fact(enum sc_method m);
/* One phrase: what the backing promises for m ("blocked", "not promised"). */
const char *sc_promise_text(enum sc_method m, enum sc_backing b);

#endif
