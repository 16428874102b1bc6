/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one way the library runs a short-lived child process (a probe, a
 * pre-fault, a setns reader). A library cannot assume the application's
 * signal dispositions, so the child is created with exit signal 0:
 *
 *  - with SIGCHLD set to SIG_IGN (or SA_NOCLDWAIT) the kernel auto-reaps only
 *    children whose exit signal is SIGCHLD (kernel/signal.c
 *    do_notify_parent()), so ours stays waitable and its status is real;
 *  - the application gets no SIGCHLD for it, and its own waitpid(-1, ...)
 *    (without __WALL) never takes it: such calls wait for SIGCHLD children
 *    only. We wait with __WALL for our pid alone.
 *
 * Creating the child can fail: RLIMIT_NPROC reached (0 in OpenSSH's privsep
 * child) gives -EAGAIN, a seccomp filter that allows clone only for threads
 * gives its errno (or kills the caller, which no library can prevent). The
 * callers treat any failure as "could not find out", never as an answer.
 */
#ifndef MW_CORE_CHILD_H
#define MW_CORE_CHILD_H

#include <sys/types.h>
#include <sys/wait.h>

#include "core/internal.h"

/* fn runs in the same address space on a private stack, and the caller's
 * thread is suspended until the child exits (CLONE_VM | CLONE_VFORK). Without
 * it the child gets a copy-on-write copy, like fork() (atfork handlers are
 * not run: the child must only make async-signal-safe calls). */
#define MW__CHILD_SHARE_VM (1u << 0)

struct mw__child {
	pid_t pid;
	void *stack; /* freed by mw__child_wait() */
};

/* Start fn(arg) in a child; its return value is the exit code. Extra clone
 * flags (namespaces) may be or'ed into clone_flags. Returns 0, or -errno
 * from clone (nothing to wait for then). Every started child must be waited
 * for with mw__child_wait(). */
MW_HIDDEN int mw__child_start(struct mw__child *c, int (*fn)(void *), void *arg,
			      unsigned int flags, unsigned long clone_flags);
/* Wait for the child; EINTR is retried. 0 and the status (as waitpid's) in
 * *wstatus (may be NULL), or -errno. Frees the child's stack either way. */
MW_HIDDEN int mw__child_wait(struct mw__child *c, int *wstatus);
/* Both: 0 and *wstatus, or -errno (the child could not be created). */
MW_HIDDEN int mw__child_run(int (*fn)(void *), void *arg, unsigned int flags, int *wstatus);
/* 1 when wstatus is a normal exit with code 0, 0 otherwise. */
#define MW__CHILD_OK(wstatus) (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)

#endif
