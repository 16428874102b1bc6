/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Short-lived child processes that work whatever the caller does with
 * SIGCHLD: see child.h. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "core/child.h"

/* Enough for the probes' small frames and for libc calls like snprintf. */
#define CHILD_STACK (256u << 10)

int mw__child_start(struct mw__child *c, int (*fn)(void *), void *arg, unsigned int flags,
		    unsigned long clone_flags)
{
	int cf = (int)clone_flags; /* exit signal 0: never SIGCHLD */

	c->pid = -1;
	if (flags & MW__CHILD_SHARE_VM)
		cf |= CLONE_VM | CLONE_VFORK;
	c->stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (c->stack == MAP_FAILED) {
		c->stack = NULL;
		return -ENOMEM;
	}
	c->pid = clone(fn, (char *)c->stack + CHILD_STACK, cf, arg);
	if (c->pid < 0) {
		int err = errno;
		munmap(c->stack, CHILD_STACK);
		c->stack = NULL;
		return -err;
	}
	return 0;
}

int mw__child_wait(struct mw__child *c, int *wstatus)
{
	int status = 0, err = 0;

	while (waitpid(c->pid, &status, __WALL) < 0) {
		if (errno != EINTR) {
			err = -errno;
			break;
		}
	}
	if (c->stack)
		munmap(c->stack, CHILD_STACK);
	c->stack = NULL;
	c->pid = -1;
	if (wstatus)
		*wstatus = err ? 0 : status;
	return err;
}

int mw__child_run(int (*fn)(void *), void *arg, unsigned int flags, int *wstatus)
{
	struct mw__child c;
	int err = mw__child_start(&c, fn, arg, flags, 0);

	return err ? err : mw__child_wait(&c, wstatus);
}
