/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc layer: link classes, memfd devices, directory walks, another
 * process's open files. Maps are in maps.c. See proc.h. */
#include "proc/proc.h"
#include "sys/shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#define LIT(s) (sizeof(s) - 1)

static bool has_suffix(const char *s, size_t len, const char *suf, size_t slen)
{
	return len >= slen && !memcmp(s + len - slen, suf, slen);
}

enum mw__link_class mw__link_classify(const char *link, size_t len, struct mw__link *out)
{
	struct mw__link l = { .cls = MW__LINK_OTHER };
	bool del = has_suffix(link, len, MW_PROC_DELETED, LIT(MW_PROC_DELETED));
	size_t base = del ? len - LIT(MW_PROC_DELETED) : len;

	if (len >= LIT(MW_PROC_MEMFD_PREFIX) && !memcmp(link, MW_PROC_MEMFD_PREFIX, LIT(MW_PROC_MEMFD_PREFIX))) {
		/* memfd names may hold anything but '/', so " (deleted)"
		 * inside a name is possible: only the suffix is removed */
		l.cls = MW__LINK_MEMFD;
		l.name = link + LIT(MW_PROC_MEMFD_PREFIX);
		l.namelen = base - LIT(MW_PROC_MEMFD_PREFIX);
	} else if (del && base == LIT("/secretmem") && !memcmp(link, "/secretmem", base)) {
		l.cls = MW__LINK_SECRETMEM;
	} else if (del && base == LIT("/dev/zero") && !memcmp(link, "/dev/zero", base)) {
		l.cls = MW__LINK_SHMEM_ANON;
	} else if (del && base == LIT("/SYSV00000000") && !memcmp(link, "/SYSV", 5)) {
		l.cls = MW__LINK_SYSV_SHM;
	} else if (del) {
		l.cls = MW__LINK_DELETED;
	}
	if (out)
		*out = l;
	return l.cls;
}

void mw__link_memfd_name(const struct mw__link *l, char *buf, size_t size)
{
	size_t n = l->namelen;

	if (!size)
		return;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(buf, l->name, n);
	buf[n] = '\0';
}

/* ---- devices ----------------------------------------------------------- */

static struct {
	dev_t dev[4];
	enum mw__memdev_kind kind[4];
	unsigned int n;
	bool hugetlb_known;
} memdevs;

static void add_dev(int fd, enum mw__memdev_kind kind)
{
	struct stat st;

	if (fd >= 0 && fstat(fd, &st) == 0 && memdevs.n < 4) {
		memdevs.dev[memdevs.n] = st.st_dev;
		memdevs.kind[memdevs.n++] = kind;
		if (kind == MW__MEMDEV_HUGETLB)
			memdevs.hugetlb_known = true;
	}
}

static void learn_memdevs(void)
{
	static const unsigned int tries[] = {
		MFD_CLOEXEC, MFD_CLOEXEC | MFD_HUGETLB, MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_1GB,
	};

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		/* MFD_NOEXEC_SEAL (6.3) keeps the kernel from warning about a
		 * memfd_create() without an exec flag; before 6.3 it is EINVAL.
		 * A hugetlb memfd is made even with no huge page reserved
		 * (pages are only needed when touched). */
		MW_AUTOCLOSE int fd = mw_sys_memfd_create("memward-dev", tries[i] | MFD_NOEXEC_SEAL);

		if (fd < 0 && errno == EINVAL)
			fd = mw_sys_memfd_create("memward-dev", tries[i]);
		add_dev(fd, i ? MW__MEMDEV_HUGETLB : MW__MEMDEV_SHMEM);
	}
	{
		MW_AUTOCLOSE int fd = mw_sys_memfd_secret(0);

		add_dev(fd, MW__MEMDEV_SECRETMEM);
	}
}

static void memdevs_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, learn_memdevs);
}

enum mw__memdev_kind mw__memdev_kind(dev_t dev)
{
	memdevs_once();
	for (unsigned int i = 0; i < memdevs.n; i++)
		if (memdevs.dev[i] == dev)
			return memdevs.kind[i];
	return MW__MEMDEV_UNKNOWN;
}

unsigned int mw__memdevs(dev_t *v, unsigned int max)
{
	unsigned int n = 0;

	memdevs_once();
	for (; n < memdevs.n && n < max; n++)
		v[n] = memdevs.dev[n];
	return n;
}

bool mw__memdev_is_memfd(dev_t dev, bool *hugetlb)
{
	enum mw__memdev_kind k = mw__memdev_kind(dev);
	bool shmem_known = false;

	if (hugetlb)
		*hugetlb = k == MW__MEMDEV_HUGETLB;
	if (k == MW__MEMDEV_SHMEM || k == MW__MEMDEV_HUGETLB)
		return true;
	for (unsigned int i = 0; i < memdevs.n; i++)
		shmem_known |= memdevs.kind[i] == MW__MEMDEV_SHMEM;
	/* memfd_create() refused here (seccomp, a sandbox): the device cannot
	 * be checked; the link alone decides, as before 4.x had devices. */
	return !shmem_known;
}

/* ---- directories ------------------------------------------------------- */

/* Room for the largest directory entry (a 255-byte name). procfs directory
 * listings stop early only when the next entry does not fit: a getdents64()
 * that leaves this much of the buffer unused has returned the last entries,
 * and the call that would return 0 can be skipped. */
#define DIRENT_MAX 280

int mw__proc_walk_numeric(int dirfd, int (*cb)(void *arg, long num, const char *name), void *arg)
{
	char buf[16384] __attribute__((aligned(8)));

	for (;;) {
		ssize_t n = getdents64(dirfd, buf, sizeof(buf));
		bool last;

		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		last = (size_t)n + DIRENT_MAX <= sizeof(buf);
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			long v = 0;
			const char *p = d->d_name;
			int r;

			off += d->d_reclen;
			if (*p < '0' || *p > '9')
				continue;
			for (; *p >= '0' && *p <= '9' && v <= INT_MAX; p++)
				v = v * 10 + (*p - '0');
			if (*p || v > INT_MAX)
				continue;
			r = cb(arg, v, d->d_name);
			if (r < 0)
				return r;
		}
		if (last)
			return 0;
	}
}

struct fd_walk {
	int fdfd;
	unsigned int mask;
	int (*cb)(void *arg, int fd, const char *name, const char *link, const struct mw__link *l);
	void *arg;
	int (*check)(void *arg);
	unsigned int seen;
	char link[PATH_MAX + 16];
};

static int fd_walk_one(void *arg, long num, const char *name)
{
	struct fd_walk *w = arg;
	struct mw__link l;
	ssize_t len;

	if (w->check && ++w->seen % MW__PROC_FD_CHECK_EVERY == 0) {
		int r = w->check(w->arg);

		if (r < 0)
			return r;
	}
	len = readlinkat(w->fdfd, name, w->link, sizeof(w->link) - 1);
	if (len < 0)
		return 0; /* closed meanwhile */
	w->link[len] = '\0';
	if (!(w->mask & (1u << mw__link_classify(w->link, (size_t)len, &l))))
		return 0;
	return w->cb(w->arg, (int)num, name, w->link, &l);
}

int mw__proc_fd_walk_checked(int fdfd, unsigned int mask,
			     int (*cb)(void *arg, int fd, const char *name, const char *link,
				       const struct mw__link *l),
			     void *arg, int (*check)(void *arg))
{
	struct fd_walk *w = malloc(sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	w->fdfd = fdfd;
	w->mask = mask;
	w->cb = cb;
	w->arg = arg;
	w->check = check;
	w->seen = 0;
	r = mw__proc_walk_numeric(fdfd, fd_walk_one, w);
	free(w);
	return r;
}

int mw__proc_fd_walk(int fdfd, unsigned int mask,
		     int (*cb)(void *arg, int fd, const char *name, const char *link,
			       const struct mw__link *l),
		     void *arg)
{
	return mw__proc_fd_walk_checked(fdfd, mask, cb, arg, NULL);
}

/* ---- another process's files ------------------------------------------- */

void mw__proc_target_init(struct mw__proc_target *t, int dirfd, pid_t pid)
{
	t->dirfd = dirfd;
	t->pid = pid;
	t->pidfd = -1;
	t->pidfd_failed = false;
}

void mw__proc_target_done(struct mw__proc_target *t)
{
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
}

/* The pid may have been reused since /proc/PID was opened: then the
 * original is gone, and the caller's next read through its /proc/PID fd
 * (which comes after every use of this pidfd) fails, so the process is
 * dropped as vanished with whatever was read through the pidfd. */
static int target_pidfd(struct mw__proc_target *t)
{
	if (t->pidfd >= 0 || t->pidfd_failed)
		return t->pidfd;
	t->pidfd = mw_sys_pidfd_open(t->pid, 0);
	if (t->pidfd < 0)
		t->pidfd_failed = true;
	return t->pidfd;
}

int mw__proc_fd_open(struct mw__proc_target *t, int fdfd, int fd, const char *name, int *accmode)
{
	int pidfd = target_pidfd(t);
	struct stat lst;
	int f;

	*accmode = -1;
	if (pidfd >= 0) {
		f = mw_sys_pidfd_getfd(pidfd, fd, 0);
		if (f >= 0) {
			int fl = fcntl(f, F_GETFL);

			*accmode = fl < 0 ? -1 : (fl & O_ACCMODE);
			return f;
		}
		if (errno == EBADF)
			return -EBADF;
		/* EPERM (no ptrace rights), ENOSYS (before 5.6), seccomp:
		 * not again for this process */
		t->pidfd_failed = true;
		close(t->pidfd);
		t->pidfd = -1;
	}
	/* The magic link's own mode carries the fd's access mode: S_IWUSR
	 * when it was opened for writing (proc_fd_instantiate). */
	if (fstatat(fdfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? -EBADF : -errno;
	f = openat(fdfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f < 0)
		return errno == ENOENT ? -EBADF : -errno;
	*accmode = (lst.st_mode & S_IWUSR) ? O_RDWR : O_RDONLY;
	return f;
}

int mw__file_info(int fd, struct mw__file_info *out)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->seals = -1;
	if (fstat(fd, &st) < 0)
		return -errno;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->mode = st.st_mode & 07777;
	out->size = (uint64_t)st.st_size;
	out->nlink = (uint32_t)st.st_nlink;
	out->uid = (uint32_t)st.st_uid;
	out->seals = fcntl(fd, F_GET_SEALS);
	if (out->seals < 0) {
		out->seals_err = errno;
		out->seals = -1;
	}
	return 0;
}

ssize_t mw__proc_read_at(int dirfd, const char *name, char *buf, size_t size)
{
	MW_AUTOCLOSE int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		size_t want = size - 1 - len;
		ssize_t n = read(fd, buf + len, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len += (size_t)n;
		/* procfs files (seq_file show, cmdline) fill the buffer up to
		 * their end in one read: a short read is the end, and the read
		 * that would return 0 is a syscall saved per file. */
		if ((size_t)n < want)
			break;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}
