/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Feature probes of the policy capability. None leaves anything behind: the
 * seccomp filter of the ADDFD probe lives and dies in a child.
 */
#include "core/child.h"
#include "features/probe.h"
#include "policy/probe.h"
#include "proc/fdexec.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>


void mw__policy_probe_noexec_sysctl(struct mw_feature_status *st)
{
	long v;

	if (mw__feature_read_long(st, "/proc/sys/vm/memfd_noexec",
				  "/proc/sys/vm/memfd_noexec does not exist (added in Linux 6.3)", &v) < 0)
		return;
	mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "vm.memfd_noexec=%ld in this pid namespace (%s)",
	    v, v == 0 ? "memfds executable by default" :
	       v == 1 ? "memfds non-executable by default" : "MFD_EXEC refused");
}

void mw__policy_probe_seccomp_filter(struct mw_feature_status *st)
{
	/* A NULL program makes a supporting kernel fail with EFAULT while copying
	 * it, before any permission check; EINVAL means the mode is unknown. */
	if (mw_sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, NULL) == 0) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, 0, "seccomp accepted a NULL filter");
		return;
	}
	if (errno == EFAULT)
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "SECCOMP_SET_MODE_FILTER is available");
	else if (errno == EINVAL)
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, EINVAL,
		    "SECCOMP_SET_MODE_FILTER unknown: kernel built without CONFIG_SECCOMP_FILTER");
	else
		mw__feature_syscall_error(st, "seccomp(SECCOMP_SET_MODE_FILTER)", errno);
}

void mw__policy_probe_user_notif(struct mw_feature_status *st)
{
	uint32_t action = SECCOMP_RET_USER_NOTIF;

	if (mw_sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "SECCOMP_RET_USER_NOTIF is available");
	else if (errno == EOPNOTSUPP)
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, errno,
		    "SECCOMP_RET_USER_NOTIF not available (added in Linux 5.0)");
	else if (errno == EINVAL)
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, errno,
		    "SECCOMP_GET_ACTION_AVAIL unknown: seccomp too old for user notification");
	else
		mw__feature_syscall_error(st, "seccomp(SECCOMP_GET_ACTION_AVAIL)", errno);
}

/* Child of probe_seccomp_notif_addfd: install an allow-all filter with a
 * listener and try ADDFD with an id that cannot exist. Exit codes:
 * 0 supported (ENOENT), 1 ioctl unknown (EINVAL/ENOTTY), 2 no filter. */
static int addfd_child(void *unused)
{
	(void)unused;
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	struct seccomp_notif_addfd addfd = { .id = ~0ULL, .srcfd = 0 };
	int listener;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 2;
	listener = mw_sys_seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	if (listener < 0)
		return 2;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) == 0)
		return 3;
	return errno == ENOENT ? 0 : 1;
}

void mw__policy_probe_notif_addfd(struct mw_feature_status *st)
{
	struct mw_feature_status notif = { .sz = sizeof(notif) };
	int status, err;

	mw_feature_probe(MW_FEAT_SECCOMP_USER_NOTIF, &notif);
	if (notif.state != MW_FEATURE_SUPPORTED) {
		mw__feature_set(st, MW_FEATURE_MISSING, notif.cause, notif.error,
		    "needs seccomp user notification, which is missing");
		return;
	}
	/* The listener only exists once a filter is installed, and a filter
	 * cannot be removed: probe in a short-lived child. */
	err = mw__child_run(addfd_child, NULL, 0, &status);
	if (err < 0) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, -err, "cannot start the probe child: %s",
		    mw__feature_ename(-err));
		return;
	}
	if (!WIFEXITED(status))
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, 0, "probe child died");
	else if (WEXITSTATUS(status) == 0)
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
		    "SECCOMP_IOCTL_NOTIF_ADDFD is known to the listener");
	else if (WEXITSTATUS(status) == 1)
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, EINVAL,
		    "SECCOMP_IOCTL_NOTIF_ADDFD unknown (added in Linux 5.9)");
	else
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, 0,
		    "could not install a seccomp listener to probe ADDFD");
}

void mw__policy_probe_pidfd_getfd(struct mw_feature_status *st)
{
	MW_AUTOCLOSE int pidfd = mw_sys_pidfd_open(getpid(), 0);
	MW_AUTOCLOSE int src = -1;
	MW_AUTOCLOSE int got = -1;

	if (pidfd < 0) {
		mw__feature_syscall_error(st, "pidfd_open", errno);
		return;
	}
	src = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (src < 0) {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, errno, "open /dev/null: %s", mw__feature_ename(errno));
		return;
	}
	got = mw_sys_pidfd_getfd(pidfd, src, 0);
	if (got >= 0)
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0, "pidfd_getfd works");
	else
		mw__feature_syscall_error(st, "pidfd_getfd", errno);
}

/* A memfd of our own with F_SEAL_EXEC set and no exec bits (MFD_NOEXEC_SEAL,
 * 6.3+), extra memfd_create flags in `extra`. -errno if it cannot be made;
 * -ENOTSUP: this kernel has no exec seal at all. */
static int exec_sealed_memfd(unsigned int extra)
{
	int fd = mw_sys_memfd_create("memward-seal-probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL | extra), e;

	if (fd >= 0)
		return fd;
	e = errno;
	if (e == EINVAL) {
		/* Which flag? Without the extra one: the seal itself. */
		int plain = mw_sys_memfd_create("memward-seal-probe", MFD_CLOEXEC | MFD_NOEXEC_SEAL);

		if (plain < 0)
			return -ENOTSUP;
		close(plain);
	}
	return -e;
}

static bool has_exec_bits(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (st.st_mode & 0111);
}

void mw__policy_probe_exec_seal_acl(struct mw_feature_status *st)
{
	int create_err, e, r = mw__acl_exec_detail(&create_err, &e);

	if (create_err == EINVAL) {
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, EINVAL,
		    "no F_SEAL_EXEC on this kernel (added in Linux 6.3): nothing keeps exec bits off a memfd");
	} else if (create_err) {
		mw__feature_syscall_error(st, "memfd_create(MFD_NOEXEC_SEAL)", create_err);
	} else if (r == 1) {
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_KERNEL_BUG, 0,
		    "a POSIX ACL adds exec bits to an F_SEAL_EXEC memfd here: the seal does not make exec impossible");
	} else if (r == 0 && e == EOPNOTSUPP) {
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
		    "F_SEAL_EXEC holds: tmpfs here takes no POSIX ACLs");
	} else if (r == 0) {
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
		    "F_SEAL_EXEC holds against a POSIX ACL (%s)", e ? "the ACL was refused" : "the mode kept no exec bits");
	} else {
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, -r, "setting a POSIX ACL on a memfd: %s",
		    mw__feature_ename(-r));
	}
}

void mw__policy_probe_exec_seal_hugetlb(struct mw_feature_status *st)
{
	int fd = exec_sealed_memfd(MFD_HUGETLB), e;

	if (fd == -ENOTSUP) {
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, EINVAL,
		    "no F_SEAL_EXEC on this kernel (added in Linux 6.3): nothing keeps exec bits off a memfd");
		return;
	}
	if (fd == -EINVAL || fd == -ENOENT || fd == -ENODEV) {
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_NOT_BUILT, -fd,
		    "no hugetlb memfds here (memfd_create(MFD_HUGETLB): %s)", mw__feature_ename(-fd));
		return;
	}
	if (fd < 0) {
		mw__feature_syscall_error(st, "memfd_create(MFD_HUGETLB|MFD_NOEXEC_SEAL)", -fd);
		return;
	}
	e = fchmod(fd, 0755) == 0 ? 0 : errno;
	if (has_exec_bits(fd))
		mw__feature_set(st, MW_FEATURE_MISSING, MW_CAUSE_KERNEL_BUG, 0,
		    "hugetlbfs ignores F_SEAL_EXEC here: chmod adds exec bits to an MFD_NOEXEC_SEAL hugetlb memfd");
	else if (e == EPERM)
		mw__feature_set(st, MW_FEATURE_SUPPORTED, MW_CAUSE_NONE, 0,
		    "F_SEAL_EXEC holds on hugetlbfs (chmod +x refused)");
	else
		mw__feature_set(st, MW_FEATURE_UNKNOWN, MW_CAUSE_ERROR, e, "chmod of a hugetlb memfd: %s",
		    mw__feature_ename(e));
	close(fd);
}
