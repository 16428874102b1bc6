/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Feature probes of the memfd capability: memfd_create, MFD_NOEXEC_SEAL and
 * MFD_EXEC (6.3), F_SEAL_EXEC (6.3) and F_SEAL_FUTURE_WRITE (5.1), each tried
 * on a memfd of its own that is closed again.
 */
#include "features/probe.h"
#include "memfd/probe.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>

void mw__memfd_probe_create(struct mw_feature_status *st)
{
	MW_AUTOCLOSE int fd = mw_sys_memfd_create("memward-probe", MFD_CLOEXEC);

	if (fd >= 0)
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "memfd_create works");
	else
		mw__feature_syscall_error(st, "memfd_create", errno);
}

/* EINVAL for a new flag means "unknown flag" only if the call works without it. */
static bool plain_memfd_works(void)
{
	MW_AUTOCLOSE int fd = mw_sys_memfd_create("memward-probe", MFD_CLOEXEC);
	return fd >= 0;
}

void mw__memfd_probe_noexec_seal(struct mw_feature_status *st)
{
	MW_AUTOCLOSE int fd = mw_sys_memfd_create("memward-probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	struct stat sb;
	int seals;

	if (fd < 0) {
		int err = errno;
		if (err == EINVAL && plain_memfd_works())
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, err,
			    "memfd_create rejects MFD_NOEXEC_SEAL with EINVAL (added in Linux 6.3)");
		else
			mw__feature_syscall_error(st, "memfd_create(MFD_NOEXEC_SEAL)", err);
		return;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (fstat(fd, &sb) < 0 || seals < 0) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, errno,
		    "MFD_NOEXEC_SEAL accepted but the result cannot be inspected: %s", mw__feature_ename(errno));
		return;
	}
	if ((sb.st_mode & 0111) || !(seals & F_SEAL_EXEC)) {
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_ERROR, 0,
		    "MFD_NOEXEC_SEAL accepted but the memfd has mode %03o and seals 0x%x",
		    sb.st_mode & 0777, seals);
		return;
	}
	mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
	    "MFD_NOEXEC_SEAL gives mode %03o with F_SEAL_EXEC set", sb.st_mode & 0777);
}

void mw__memfd_probe_exec(struct mw_feature_status *st)
{
	MW_AUTOCLOSE int fd = mw_sys_memfd_create("memward-probe", MFD_CLOEXEC | MFD_EXEC);
	struct stat sb;

	if (fd < 0) {
		int err = errno;
		if (err == EINVAL && plain_memfd_works())
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, err,
			    "memfd_create rejects MFD_EXEC with EINVAL (added in Linux 6.3)");
		else if (err == EACCES)
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_DISABLED, err,
			    "MFD_EXEC refused with EACCES: vm.memfd_noexec=2 in this pid namespace");
		else
			mw__feature_syscall_error(st, "memfd_create(MFD_EXEC)", err);
		return;
	}
	if (fstat(fd, &sb) < 0) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, errno, "fstat on the probe memfd: %s",
		    mw__feature_ename(errno));
		return;
	}
	mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "MFD_EXEC gives mode %03o",
	    sb.st_mode & 0777);
}

void mw__memfd_probe_seal(struct mw_feature_status *st, int seal, const char *name, const char *since)
{
	MW_AUTOCLOSE int fd = mw_sys_memfd_create("memward-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int seals;

	if (fd < 0) {
		mw__feature_syscall_error(st, "memfd_create(MFD_ALLOW_SEALING)", errno);
		return;
	}
	if (fcntl(fd, F_ADD_SEALS, seal) < 0) {
		int err = errno;
		if (err == EINVAL)
			mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, err,
			    "F_ADD_SEALS rejects %s with EINVAL (added in Linux %s)", name, since);
		else
			mw__feature_syscall_error(st, name, err);
		return;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & seal)) {
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_ERROR, seals < 0 ? errno : 0,
		    "%s accepted but F_GET_SEALS does not show it", name);
		return;
	}
	mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "%s can be added and reads back", name);
}
