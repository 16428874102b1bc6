/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Another process's command line, read from its memory with
 * process_vm_readv(2) where the caller already knows where the kernel keeps
 * it (mm->arg_start .. env_end: the audit's BPF iterators record it), in
 * place of an open, a read and a close of /proc/PID/cmdline: one syscall in
 * the common case, and no path walk.
 *
 * The bytes are those /proc/PID/cmdline gives (fs/proc/base.c,
 * get_mm_cmdline(), Linux 5.2 and later), by the same rules:
 *
 *  - nothing while the process has no environment end yet (an exec under
 *    way) or no arguments;
 *  - when the byte at arg_end - 1 is NUL, the arguments [arg_start,
 *    arg_end) and nothing past them;
 *  - when it is not (setproctitle(3) wrote over the arguments, maybe on
 *    into the environment): from arg_start, within one page, up to and
 *    including the first NUL, and no further than env_end when the
 *    environment follows the arguments (else arg_end).
 *
 * Anything this cannot read whole (an unmapped or short range, a process
 * that is gone, EPERM from ptrace's access check: process_vm_readv needs
 * PTRACE_MODE_ATTACH, where /proc/PID/cmdline needs nothing) is returned
 * as an error, and the caller reads /proc/PID/cmdline, which is the
 * reference: tests/unit/proc/cmdline compares the two on every process of
 * the system and on crafted ones.
 */
#include "proc/proc.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static size_t page_size(void)
{
	static size_t ps;
	size_t v = __atomic_load_n(&ps, __ATOMIC_RELAXED);

	if (!v) {
		long p = sysconf(_SC_PAGESIZE);

		v = p > 0 ? (size_t)p : 4096;
		__atomic_store_n(&ps, v, __ATOMIC_RELAXED);
	}
	return v;
}

/* Read want bytes at addr of pid into buf (with, when last_at is not 0,
 * the byte at last_at into *last in the same call). 0 when everything was
 * read, else -errno (-EFAULT for a short read). */
static int vm_read(pid_t pid, uint64_t addr, void *buf, size_t want, uint64_t last_at, char *last)
{
	struct iovec local[2] = { { buf, want }, { last, 1 } };
	struct iovec remote[2] = { { (void *)(uintptr_t)addr, want }, { (void *)(uintptr_t)last_at, 1 } };
	unsigned long n = last_at ? 2 : 1;
	size_t total = want + (last_at ? 1 : 0);
	ssize_t got;

	got = process_vm_readv(pid, local, n, remote, n, 0);
	if (got < 0)
		return -errno;
	return (size_t)got == total ? 0 : -EFAULT;
}

ssize_t mw__proc_cmdline_vm(pid_t pid, const struct mw__cmdline_bounds *b, char *buf, size_t size)
{
	uint64_t as = b->arg_start, ae = b->arg_end, es = b->env_start, ee = b->env_end;
	uint64_t len, count, args, n, limit;
	char last = 0;
	char *nul;
	int err;

	if (size == 0 || pid <= 0)
		return -EINVAL;
	/* the kernel's early returns: no environment end yet (exec under
	 * way), no arguments */
	if (!ee || as >= ae)
		return 0;
	/* setproctitle() may run on into the environment, only when it
	 * follows the arguments */
	if (es != ae || ee < es)
		es = ee = ae;
	len = ee - as;
	count = size < len ? size : len;
	args = ae - as;
	/* the arguments as far as they fit, and their last byte (in the
	 * buffer when they all fit) */
	n = args < count ? args : count;
	err = vm_read(pid, as, buf, (size_t)n, n < args ? ae - 1 : 0, &last);
	if (err)
		return err;
	if (n == args)
		last = buf[n - 1];
	if (last == '\0')
		return (ssize_t)n;
	/* setproctitle(): one page from arg_start, up to its first NUL */
	limit = count < page_size() ? count : page_size();
	if (n > limit)
		n = limit;
	nul = memchr(buf, '\0', (size_t)n);
	if (!nul && n < limit) {
		err = vm_read(pid, as + n, buf + n, (size_t)(limit - n), 0, NULL);
		if (err)
			return err;
		n = limit;
		nul = memchr(buf, '\0', (size_t)n);
	}
	return nul ? nul - buf + 1 : (ssize_t)n;
}

/* The next path component of p[*i..len) (repeated slashes and "."
 * components skipped) into *c, *n; false at the end. */
static bool component(const char *p, size_t len, size_t *i, const char **c, size_t *n)
{
	for (;;) {
		size_t s;

		while (*i < len && p[*i] == '/')
			(*i)++;
		if (*i >= len)
			return false;
		s = *i;
		while (*i < len && p[*i] != '/')
			(*i)++;
		if (*i - s == 1 && p[s] == '.')
			continue;
		*c = p + s;
		*n = *i - s;
		return true;
	}
}

static bool is(const char *c, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(c, word, n);
}

/* A decimal number (no sign, no leading zero but "0") up to INT_MAX; -1 else. */
static long long number(const char *c, size_t n)
{
	long long v = 0;

	if (!n || n > 10 || (n > 1 && c[0] == '0'))
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (c[k] < '0' || c[k] > '9')
			return -1;
		v = v * 10 + (c[k] - '0');
	}
	return v <= INT_MAX ? v : -1;
}

int mw__proc_arg_fd(const char *arg, size_t len, pid_t pid)
{
	const char *c[5];
	size_t n[5], i = 0, k = 0;
	long long fd;

	if (!len || arg[0] != '/')
		return -1;
	while (k < 5 && component(arg, len, &i, &c[k], &n[k]))
		k++;
	if (component(arg, len, &i, &c[0], &n[0]))
		return -1; /* more than four components */
	if (k == 2 && is(c[0], n[0], "dev") && is(c[1], n[1], "stdin"))
		return 0;
	if (k == 3 && is(c[0], n[0], "dev") && is(c[1], n[1], "fd"))
		fd = number(c[2], n[2]);
	else if (k == 4 && is(c[0], n[0], "proc") && is(c[2], n[2], "fd") &&
		 (is(c[1], n[1], "self") || is(c[1], n[1], "thread-self") || number(c[1], n[1]) == (long long)pid))
		fd = number(c[3], n[3]);
	else
		return -1;
	return (int)fd;
}
