/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What can happen to an open file: memfd identity and exec. See fdexec.h. */
#include "proc/fdexec.h"
#include "proc/proc.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/* ---- the devices memfds live on ----
 * Every tmpfs memfd is on the kernel's internal shm mount; every hugetlb
 * memfd on the internal hugetlbfs mount of its page size. A file in a
 * sender's private tmpfs or hugetlbfs named like a memfd is not. The proc
 * layer learns the devices by making one memfd of each kind; a receive path
 * may not (a seccomp allow-list without memfd_create), so the devices of
 * memfds the library made anyway are recorded here and are all it uses. */
static dev_t recorded[8];
static bool recorded_huge[8];
static unsigned int nrecorded;
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;

static bool on_fs(int fd, unsigned long magic)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 && (unsigned long)sfs.f_type == magic;
}

void mw__memdev_record(int fd)
{
	struct stat st;
	bool huge, seen = false;
	dev_t dev;

	if (fstat(fd, &st) < 0)
		return;
	dev = st.st_dev; /* a copy: gcc -O3 saw a dangling pointer to st in the loop */
	huge = on_fs(fd, HUGETLBFS_MAGIC);
	pthread_mutex_lock(&rec_lock);
	for (unsigned int i = 0; i < nrecorded; i++)
		seen |= recorded[i] == dev;
	if (!seen && nrecorded < sizeof(recorded) / sizeof(recorded[0])) {
		recorded_huge[nrecorded] = huge;
		recorded[nrecorded++] = dev;
	}
	pthread_mutex_unlock(&rec_lock);
}

/* 1: dev is a memfd device; 0: it is not (the device of memfds of this
 * kind is known and differs); -1: unknown. Hugetlb memfds of a page size
 * not learned are unknown, never "not a memfd". */
static int memdev_match(dev_t dev, bool huge, bool may_probe)
{
	int r = -1;

	pthread_mutex_lock(&rec_lock);
	for (unsigned int i = 0; i < nrecorded; i++) {
		if (recorded[i] == dev)
			r = 1;
		else if (!huge && !recorded_huge[i] && r < 0)
			r = 0;
	}
	pthread_mutex_unlock(&rec_lock);
	if (r < 0 && may_probe) {
		enum mw__memdev_kind k = mw__memdev_kind(dev);
		dev_t v[4];
		unsigned int n = mw__memdevs(v, 4);

		if (k == MW__MEMDEV_SHMEM || k == MW__MEMDEV_HUGETLB)
			return 1;
		for (unsigned int i = 0; i < n && !huge; i++)
			if (mw__memdev_kind(v[i]) == MW__MEMDEV_SHMEM)
				r = 0;
	}
	return r;
}

/* ---- the ACL path around F_SEAL_EXEC ---- */
/* The one probe of it: the fd facts (inspect, audit, memfd info) and the
 * features registry (policy/probe.c) both read this answer. */
static int acl_answer = -ENODATA, acl_create_err, acl_set_err;
static pthread_once_t acl_once = PTHREAD_ONCE_INIT;

/* A minimal access ACL (user::rwx group::rw- other::rw-), in the kernel's
 * xattr format (include/uapi/linux/posix_acl_xattr.h). */
struct acl_entry { uint16_t tag, perm; uint32_t id; };
struct acl_xattr { uint32_t version; struct acl_entry e[3]; };

static void acl_probe_once(void)
{
	const struct acl_xattr acl = { 2, { { 0x01, 7, UINT32_MAX }, { 0x04, 6, UINT32_MAX },
					    { 0x20, 6, UINT32_MAX } } };
	struct stat st;
	int fd = mw_sys_memfd_create("memward-acl-probe",
				     MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);

	int r;

	if (fd < 0) {
		/* EINVAL before 6.3: no F_SEAL_EXEC, so nothing to get around;
		 * the answer stays "could not tell" all the same. */
		acl_create_err = errno;
		__atomic_store_n(&acl_answer, -errno, __ATOMIC_RELEASE);
		return;
	}
	mw__memdev_record(fd);
	if (fsetxattr(fd, "system.posix_acl_access", &acl, sizeof(acl), 0) < 0) {
		/* Without tmpfs ACLs (EOPNOTSUPP) the path does not exist; a
		 * kernel that refuses the ACL on an exec-sealed memfd (EPERM:
		 * Debian's 6.12.118, where 6.12.117 let it add exec bits) has
		 * closed it. */
		acl_set_err = errno;
		r = errno == EOPNOTSUPP || errno == EPERM ? 0 : -errno;
	} else {
		r = fstat(fd, &st) < 0 ? -errno : (st.st_mode & 0111) != 0;
	}
	close(fd);
	__atomic_store_n(&acl_answer, r, __ATOMIC_RELEASE);
}

int mw__acl_exec_probe(void)
{
	pthread_once(&acl_once, acl_probe_once);
	return acl_answer;
}

int mw__acl_exec_detail(int *create_err, int *set_err)
{
	int r = mw__acl_exec_probe();

	*create_err = acl_create_err;
	*set_err = acl_set_err;
	return r;
}

int mw__acl_exec_known(void)
{
	return __atomic_load_n(&acl_answer, __ATOMIC_ACQUIRE);
}

/* ---- facts ---- */
static void read_link(int fd, struct mw__fd_facts *f)
{
	char path[64], link[PATH_MAX];
	struct mw__link l;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return;
	link[n] = '\0';
	if (mw__link_classify(link, (size_t)n, &l) == MW__LINK_MEMFD) {
		f->link_memfd = true;
		mw__link_memfd_name(&l, f->name, sizeof(f->name));
	} else {
		n = n < (ssize_t)sizeof(f->name) - 1 ? n : (ssize_t)sizeof(f->name) - 1;
		memcpy(f->name, link, (size_t)n);
		f->name[n] = '\0';
	}
}

static void read_acl(int fd, struct mw__fd_facts *f)
{
	ssize_t n = fgetxattr(fd, "system.posix_acl_access", NULL, 0);

	if (n > 0)
		f->acl = true;
	else if (n < 0 && errno != ENODATA && errno != EOPNOTSUPP)
		f->acl_err = -errno;
}

int mw__fd_facts(int fd, unsigned int flags, struct mw__fd_facts *f)
{
	struct statfs sfs;
	struct statvfs svfs;
	int acl_bug;

	memset(f, 0, sizeof(*f));
	f->seals = -1;
	if (fstat(fd, &f->st) < 0)
		return -errno;
	f->regular = S_ISREG(f->st.st_mode);
	if (!f->regular)
		return 0;
	read_link(fd, f);
	if (fstatfs(fd, &sfs) == 0) {
		f->hugetlbfs = (unsigned long)sfs.f_type == HUGETLBFS_MAGIC;
		f->shmem = f->hugetlbfs || (unsigned long)sfs.f_type == TMPFS_MAGIC;
	}
	if (fstatvfs(fd, &svfs) == 0)
		f->mount_noexec = svfs.f_flag & ST_NOEXEC;
	if (f->shmem)
		f->seals = fcntl(fd, F_GET_SEALS);
	if (f->seals >= 0 && f->seals != F_SEAL_SEAL) {
		f->memfd = true; /* only memfd_create() clears F_SEAL_SEAL */
	} else if (f->seals == F_SEAL_SEAL && f->link_memfd && f->st.st_nlink == 0) {
		int m = memdev_match(f->st.st_dev, f->hugetlbfs, !(flags & MW__FACTS_NO_PROBE));

		f->memfd = m == 1;
		f->memfd_unproven = m < 0;
	}
	read_acl(fd, f);
	f->exec_bits = f->st.st_mode & 0111;
	f->exec_sealed = f->seals >= 0 && (f->seals & F_SEAL_EXEC) && !f->hugetlbfs;
	f->exec_now = f->exec_bits && !f->mount_noexec;
	acl_bug = (flags & MW__FACTS_NO_PROBE) ? mw__acl_exec_known() : mw__acl_exec_probe();
	f->exec_later = !f->mount_noexec && (!f->exec_sealed || acl_bug != 0);
	return 0;
}
