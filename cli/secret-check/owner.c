/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `memward secret check`, the owner: a forked child that creates a secret
 * heap, receives a random pattern into a secret straight from a pipe, and
 * answers the checker's requests (protocol.h).
 */
#include "protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memward/memward.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif



static void owner_reply(const struct owner_io *io, struct reply *r)
{
	if (sc_write_full(io->rep, r, sizeof(*r)) < 0)
		_exit(3);
}

/* The owner never returns. It touches the secret only through syscalls that
 * copy (read, write, pread, pwrite) or pin (vmsplice), never through a copy
 * in ordinary memory. */
__attribute__((noreturn)) void sc_owner_main(enum sc_backing b, bool share, struct owner_io io)
{
	struct mw_secret_opts o = { .sz = sizeof(o) };
	struct mw_secret_stats st = { .sz = sizeof(st) };
	struct mw_secret_heap *h;
	struct reply r = { .op = OP_HELLO };
	unsigned char *obj = NULL, *win, *ctrl = NULL;
	struct req q;

	signal(SIGPIPE, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	o.flags = b == SC_SECRETMEM ? MW_SECRET_NO_FALLBACK : MW_SECRET_FORCE_FALLBACK;
	if (share)
		o.flags |= MW_SECRET_SHARE_WITH_CHILDREN;
	h = mw_secret_heap_new(&o);
	if (!h) {
		r.err = errno;
		snprintf(r.msg, sizeof(r.msg), "%s", mw_secret_last_error());
		owner_reply(&io, &r);
		_exit(0);
	}
	if (mw_secret_heap_backing(h) != (b == SC_SECRETMEM ? MW_SECRET_BACKING_SECRETMEM
							    : MW_SECRET_BACKING_MLOCK)) {
		r.err = EPROTO;
		snprintf(r.msg, sizeof(r.msg), "the heap reports backing '%s' instead",
			 mw_secret_backing_name(mw_secret_heap_backing(h)));
		owner_reply(&io, &r);
		_exit(0);
	}
	/* Two pages, so that one whole aligned page (O_DIRECT's alignment)
	 * lies inside the object whatever the heap's layout. */
	obj = mw_secret_alloc(h, 2 * PG);
	if (posix_memalign((void **)&ctrl, PG, PG))
		ctrl = NULL;
	if (!obj || !ctrl) {
		r.err = errno ? errno : ENOMEM;
		snprintf(r.msg, sizeof(r.msg), "cannot allocate the test secret: %s",
			 obj ? "posix_memalign" : mw_secret_last_error());
		owner_reply(&io, &r);
		_exit(0);
	}
	win = (unsigned char *)(((uintptr_t)obj + PG - 1) & ~(uintptr_t)(PG - 1));
	memset(ctrl, 0, PG);
	if (!mw_secret_heap_stats(h, &st))
		r.locked = st.bytes_locked;
	snprintf(r.msg, sizeof(r.msg), "%s", mw_secret_heap_fallback_reason(h));
	r.secret = (uintptr_t)win;
	r.control = (uintptr_t)ctrl;
	owner_reply(&io, &r);

	for (;;) {
		struct iovec iov;
		int ws;

		if (sc_read_full(io.cmd, &q, sizeof(q), -1) < 0)
			_exit(0); /* the checker went away */
		memset(&r, 0, sizeof(r));
		r.op = q.op;
		errno = 0;
		switch (q.op) {
		case OP_FILL: /* the fact row "read() into a secret buffer" */
			r.err = -sc_read_full(io.cmd, win, PG, -1);
			r.n = r.err ? -1 : PG;
			r.err2 = -sc_read_full(io.cmd, ctrl, PG, -1);
			break;
		case OP_ECHO: /* the fact row "write() from a secret buffer" */
			r.n = write(io.data, win, CMP);
			r.err = r.n < 0 ? errno : 0;
			break;
		case OP_VMSPLICE:
			iov = (struct iovec){ ctrl, CMP };
			r.n2 = vmsplice(io.data, &iov, 1, 0);
			r.err2 = r.n2 < 0 ? errno : 0;
			iov = (struct iovec){ win, CMP };
			r.n = vmsplice(io.data, &iov, 1, 0);
			r.err = r.n < 0 ? errno : 0;
			break;
		case OP_OD_OUT:
			r.n2 = pwrite(io.od, ctrl, PG, PG);
			r.err2 = r.n2 < 0 ? errno : 0;
			r.n = pwrite(io.od, win, PG, 0);
			r.err = r.n < 0 ? errno : 0;
			break;
		case OP_OD_IN:
			r.n2 = pread(io.od, ctrl, PG, 2 * PG);
			r.err2 = r.n2 < 0 ? errno : 0;
			r.n = pread(io.od, win, PG, 2 * PG);
			r.err = r.n < 0 ? errno : 0;
			break;
		case OP_FORK: {
			pid_t c = fork();

			if (c == 0) {
				/* write(2) from an address that is not mapped
				 * gives EFAULT: no SIGSEGV, no copy. */
				ssize_t k = write(io.data, win, CMP);
				int e = k == CMP ? 0 : k < 0 ? errno : EIO;
				int code = e > 127 ? 127 : e;

				if (write(io.data, ctrl, CMP) != CMP)
					code |= 0x80;
				_exit(code);
			}
			if (c < 0) {
				r.err = r.err2 = errno;
				r.n = r.n2 = -1;
				break;
			}
			while (waitpid(c, &ws, 0) < 0 && errno == EINTR)
				;
			if (!WIFEXITED(ws)) {
				r.err = r.err2 = EINTR;
				r.n = r.n2 = -1;
				snprintf(r.msg, sizeof(r.msg), "the child died of signal %d",
					 WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
				break;
			}
			r.err = WEXITSTATUS(ws) & 0x7f;
			r.n = r.err ? -1 : CMP;
			r.err2 = (WEXITSTATUS(ws) & 0x80) ? EIO : 0;
			r.n2 = r.err2 ? -1 : CMP;
			break;
		}
		case OP_CORE: {
			struct rlimit rl;

			if (chdir(q.arg) < 0) {
				r.err = errno;
				snprintf(r.msg, sizeof(r.msg), "chdir %.200s", q.arg);
				break;
			}
			if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_max == 0) {
				r.err = EPERM;
				snprintf(r.msg, sizeof(r.msg), "RLIMIT_CORE hard limit is 0");
				break;
			}
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_CORE, &rl) < 0 ||
			    prctl(PR_SET_DUMPABLE, 1) < 0) {
				r.err = errno;
				snprintf(r.msg, sizeof(r.msg), "setrlimit/prctl");
				break;
			}
			signal(SIGABRT, SIG_DFL);
			break;
		}
		case OP_QUIT:
		default:
			mw_secret_free(h, obj);
			mw_secret_heap_destroy(h);
			free(ctrl);
			_exit(0);
		}
		owner_reply(&io, &r);
	}
}

