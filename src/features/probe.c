/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filling a struct mw_feature_status: see probe.h. */
#include "features/probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

void mw__feature_set(struct mw_feature_status *st, enum mw_feature_state state,
		enum mw_feature_cause cause, int err, const char *fmt, ...)
{
	va_list ap;

	st->state = state;
	st->cause = cause;
	st->error = err < 0 ? -err : err;
	va_start(ap, fmt);
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	va_end(ap);
}

const char *mw__feature_ename(int err)
{
	const char *n = mw_errno_name(err);
	return n ? n : "unknown error";
}

static int self_status(char *buf, size_t size)
{
	ssize_t n = mw__read_file("/proc/self/status", buf, size);
	return n < 0 ? (int)n : 0;
}

/* A seccomp filter is active on this thread: errors may come from it. */
bool mw__feature_under_seccomp(void)
{
	char st[4096];
	long mode;

	if (self_status(st, sizeof(st)) < 0 || mw__parse_status_long(st, "Seccomp", &mode) < 0)
		return false;
	return mode == 2;
}

/* Classify a failure of a syscall that exists on every kernel we support. */
void mw__feature_syscall_error(struct mw_feature_status *st, const char *what, int err)
{
	if (err == ENOSYS)
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, err,
		    "%s: ENOSYS, the kernel does not provide it%s", what,
		    mw__feature_under_seccomp() ? " (or a seccomp filter hides it)" : "");
	else if (err == EPERM || err == EACCES)
		mw__feature_set(st, MW_FEATURE_MISSING,
		    mw__feature_under_seccomp() ? MW_CAUSE_BLOCKED : MW_CAUSE_NO_PERMISSION, err,
		    "%s: %s%s", what, mw__feature_ename(err),
		    mw__feature_under_seccomp() ? ", refused by a seccomp filter" : ", refused for this caller");
	else
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, err, "%s failed unexpectedly: %s",
		    what, mw__feature_ename(err));
}

int mw__feature_read_long(struct mw_feature_status *st, const char *path, const char *missing,
			  long *out)
{
	char buf[32];
	ssize_t n = mw__read_file(path, buf, sizeof(buf));

	if (n == -ENOENT) {
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, ENOENT, "%s", missing);
		return -1;
	}
	if (n < 0 || mw__parse_long(buf, out) < 0) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, n < 0 ? (int)-n : EINVAL,
				"cannot read %s: %s", path, n < 0 ? mw__feature_ename((int)-n) : "bad value");
		return -1;
	}
	return 0;
}
