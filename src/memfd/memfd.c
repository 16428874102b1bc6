/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Safe memfd creation, seals and inspection. See include/memward/memfd.h. */
#include "core/internal.h"
#include "core/opts.h"
#include "core/seals.h"
#include "proc/fdexec.h"
#include "sys/shim.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <syslog.h>

#include <memward/features.h>
#include <memward/memfd.h>


/* NAME_MAX minus strlen("memfd:"): mm/memfd.c MFD_NAME_MAX_LEN. */
#define MW_MEMFD_NAME_MAX 249

_Static_assert(MW_SEAL_SEAL == F_SEAL_SEAL && MW_SEAL_SHRINK == F_SEAL_SHRINK &&
	       MW_SEAL_GROW == F_SEAL_GROW && MW_SEAL_WRITE == F_SEAL_WRITE &&
	       MW_SEAL_FUTURE_WRITE == F_SEAL_FUTURE_WRITE && MW_SEAL_EXEC == F_SEAL_EXEC,
	       "MW_SEAL_* must equal the kernel's F_SEAL_*");

MW_API const char *mw_memfd_seal_name(unsigned int seal)
{
	return mw__seal_name(seal);
}

MW_API int mw_memfd_seals_to_string(unsigned int seals, char *buf, size_t len)
{
	return mw__seals_format(seals, buf, len);
}

MW_API int mw_memfd_seals_from_string(const char *text, unsigned int *seals)
{
	return mw__seals_parse(text, seals);
}

MW_API const char *mw_memfd_kind_name(enum mw_memfd_kind kind)
{
	switch (kind) {
	case MW_MEMFD_KIND_OTHER: return "other";
	case MW_MEMFD_KIND_MEMFD: return "memfd";
	case MW_MEMFD_KIND_TMPFILE_SHM: return "tmpfile-shm";
	case MW_MEMFD_KIND_TMPFILE_TMP: return "tmpfile-tmp";
	case MW_MEMFD_KIND_TMPFS_FILE: return "tmpfs-file";
	}
	return NULL;
}

MW_API const char *mw_memfd_exec_name(enum mw_memfd_exec exec)
{
	switch (exec) {
	case MW_MEMFD_EXEC_SEALED: return "sealed";
	case MW_MEMFD_EXEC_UNSEALED: return "unsealed";
	case MW_MEMFD_EXEC_ALLOWED: return "allowed";
	}
	return NULL;
}

MW_API unsigned int mw_memfd_seals_supported(void)
{
	/* The four original seals came with memfd_create itself (3.17). */
	unsigned int s = MW_SEAL_SEAL | MW_SEAL_SHRINK | MW_SEAL_GROW | MW_SEAL_WRITE;

	if (mw_feature_state(MW_FEAT_SEAL_FUTURE_WRITE) == MW_FEATURE_SUPPORTED)
		s |= MW_SEAL_FUTURE_WRITE;
	if (mw_feature_state(MW_FEAT_SEAL_EXEC) == MW_FEATURE_SUPPORTED)
		s |= MW_SEAL_EXEC;
	return s;
}

MW_API int mw_memfd_get_seals(int fd)
{
	int r = fcntl(fd, F_GET_SEALS);

	return r < 0 ? -errno : r;
}

/* Which of the requested seals does this kernel lack? Only bits the probe
 * says are missing: an UNKNOWN probe (memfd_create blocked) proves nothing. */
static unsigned int seals_known_missing(unsigned int seals)
{
	unsigned int miss = 0;

	if ((seals & MW_SEAL_EXEC) && mw_feature_state(MW_FEAT_SEAL_EXEC) == MW_FEATURE_MISSING)
		miss |= MW_SEAL_EXEC;
	if ((seals & MW_SEAL_FUTURE_WRITE) &&
	    mw_feature_state(MW_FEAT_SEAL_FUTURE_WRITE) == MW_FEATURE_MISSING)
		miss |= MW_SEAL_FUTURE_WRITE;
	return miss;
}

static int report_missing_seals(unsigned int miss)
{
	char names[64];

	mw_memfd_seals_to_string(miss, names, sizeof(names));
	mw__log(LOG_ERR, "this kernel lacks the seal(s) %s (F_SEAL_EXEC: Linux 6.3, "
		"F_SEAL_FUTURE_WRITE: 5.1); nothing was sealed", names);
	return -EOPNOTSUPP;
}

MW_API int mw_memfd_seal(int fd, unsigned int seals)
{
	unsigned int miss;
	int cur, fl;

	if (seals & ~MW_SEAL_ALL)
		return -EINVAL;
	cur = fcntl(fd, F_GET_SEALS);
	if (cur < 0)
		return -errno; /* EBADF, or EINVAL: not a tmpfs/hugetlbfs file */
	miss = seals_known_missing(seals);
	if (miss)
		return report_missing_seals(miss);
	if (mw__seals_add(fd, seals) == 0) {
		cur = fcntl(fd, F_GET_SEALS);
		return cur < 0 ? -errno : cur;
	}
	switch (errno) {
	case EINVAL:
		/* The kernel checks unknown bits before anything else: with bits
		 * we validated, EINVAL means a seal this kernel does not know. */
		miss = seals & ~mw_memfd_seals_supported();
		return report_missing_seals(miss ? miss : seals & (MW_SEAL_EXEC | MW_SEAL_FUTURE_WRITE));
	case EPERM:
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_ACCMODE) == O_RDONLY) {
			mw__log(LOG_ERR, "F_ADD_SEALS needs an fd open for writing");
			return -EBADF;
		}
		mw__log(LOG_ERR, "sealing is not allowed on this file (F_SEAL_SEAL is set)");
		return -EPERM;
	case EBUSY:
		mw__log(LOG_ERR, "F_SEAL_WRITE refused: a writable shared mapping of this file "
			"exists (or pages stayed pinned for I/O, through %d tries); unmap it first, or use "
			"F_SEAL_FUTURE_WRITE, which lets existing mappings keep writing", MW__SEALS_ADD_TRIES);
		return -EBUSY;
	default:
		return -errno;
	}
}

/* Name is a printable-ASCII string without '/', at most 249 bytes. */
static int check_name(const char *name)
{
	size_t n;

	if (!name)
		return -EINVAL;
	n = strnlen(name, MW_MEMFD_NAME_MAX + 1);
	if (n > MW_MEMFD_NAME_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c > 0x7e || c == '/')
			return -EINVAL;
	}
	return 0;
}

/* Fill at most info->sz bytes of the caller's struct from ours. */
static void info_out(struct mw_memfd_info *dst, const struct mw_memfd_info *src)
{
	(void)mw__result_out(dst, src, sizeof(*src));
}

/* Copy with explicit truncation (snprintf "%s" trips -Wformat-truncation). */
static void copy_trunc(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* An O_TMPFILE shows as "DIR/#INO (deleted)" in /proc/self/fd. */
static bool is_tmpfile_link(const char *link, const char *dir)
{
	size_t n = strlen(dir);
	const char *p;

	if (strncmp(link, dir, n) || link[n] != '#')
		return false;
	p = link + n + 1;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	return !strcmp(p, " (deleted)");
}

MW_API int mw_memfd_query(int fd, struct mw_memfd_info *info)
{
	struct mw_memfd_info r = { .sz = sizeof(r) };
	struct mw__fd_facts f;
	int e;

	if (!info || info->sz < sizeof(info->sz))
		return -EINVAL;
	e = mw__fd_facts(fd, 0, &f);
	if (e < 0)
		return e;
	r.mode = f.st.st_mode & 07777;
	r.size = (uint64_t)f.st.st_size;
	r.ino = f.st.st_ino;
	r.dev = f.st.st_dev;
	copy_trunc(r.name, sizeof(r.name), f.name);
	r.seals = f.seals >= 0 ? (unsigned int)f.seals : 0;
	if (f.memfd)
		r.kind = MW_MEMFD_KIND_MEMFD;
	else if (f.shmem && f.seals >= 0 && f.st.st_nlink == 0 && is_tmpfile_link(f.name, "/dev/shm/"))
		r.kind = MW_MEMFD_KIND_TMPFILE_SHM;
	else if (f.regular && f.st.st_nlink == 0 && is_tmpfile_link(f.name, "/tmp/"))
		r.kind = MW_MEMFD_KIND_TMPFILE_TMP;
	else if (f.shmem && f.seals >= 0)
		r.kind = MW_MEMFD_KIND_TMPFS_FILE;
	else
		r.kind = MW_MEMFD_KIND_OTHER;
	r.is_memfd = r.kind == MW_MEMFD_KIND_MEMFD;
	r.exec_sealed = f.exec_sealed;
	r.sealing_allowed = f.seals >= 0 && !(r.seals & F_SEAL_SEAL);
	r.exec = f.exec_bits ? MW_MEMFD_EXEC_ALLOWED :
		 f.exec_sealed ? MW_MEMFD_EXEC_SEALED : MW_MEMFD_EXEC_UNSEALED;
	r.exec_possible = f.exec_now || f.exec_later;
	if (r.is_memfd)
		snprintf(r.note, sizeof(r.note), "%smemfd, exec %s%s%s",
			 f.hugetlbfs ? "hugetlb " : "",
			 r.exec == MW_MEMFD_EXEC_SEALED ? "sealed off (chmod)" :
			 r.exec == MW_MEMFD_EXEC_ALLOWED ? "bits set" :
			 f.hugetlbfs ? "bits clear, not sealable (hugetlbfs ignores F_SEAL_EXEC)" :
			 "bits clear but not sealed",
			 f.acl ? ", a POSIX ACL is set" : "",
			 r.sealing_allowed ? ", sealing allowed" : "");
	else if (f.memfd_unproven)
		snprintf(r.note, sizeof(r.note), "named like a memfd made without sealing, "
			 "but its device could not be compared with a memfd's (memfd_create "
			 "unavailable here): not proven a memfd");
	else
		snprintf(r.note, sizeof(r.note), "%s, not a memfd%s",
			 mw_memfd_kind_name(r.kind), f.mount_noexec ? ", on a noexec mount" : "");
	info_out(info, &r);
	return 0;
}

static int fail(struct mw_memfd_info *info, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct mw_memfd_info *info, int err, const char *fmt, ...)
{
	struct mw_memfd_info r = { .sz = sizeof(r) };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r.note, sizeof(r.note), fmt, ap);
	va_end(ap);
	mw__log(LOG_ERR, "%s", r.note);
	info_out(info, &r);
	return err;
}

/* memfd_create refused MFD_EXEC with EACCES: say which policy did it. */
static int exec_refused(struct mw_memfd_info *info)
{
	char buf[16] = "";

	if (mw__read_file("/proc/sys/vm/memfd_noexec", buf, sizeof(buf)) > 0 && buf[0] == '2')
		return fail(info, -EACCES, "executable memfd refused: vm.memfd_noexec=2 in this "
			    "pid namespace (only MFD_NOEXEC_SEAL memfds may be created)");
	return fail(info, -EACCES, "executable memfd refused with EACCES by a security policy "
		    "(seccomp, LSM); vm.memfd_noexec is %s", buf[0] ? buf : "absent");
}

static int open_tmpfile(const char **where, int *kind)
{
	static const struct { const char *dir; int kind; } dirs[] = {
		{ "/dev/shm", MW_MEMFD_KIND_TMPFILE_SHM },
		{ "/tmp", MW_MEMFD_KIND_TMPFILE_TMP },
	};
	int err = ENOENT;

	for (size_t i = 0; i < 2; i++) {
		/* O_EXCL: the file can never be linked into the namespace. */
		int fd = open(dirs[i].dir, O_TMPFILE | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0) {
			*where = dirs[i].dir;
			*kind = dirs[i].kind;
			return fd;
		}
		err = errno;
	}
	return -err;
}

/* The caller's options into o (libbpf's rule, core/opts.h), then the bits. */
static int check_opts(struct mw_memfd_opts *o, const struct mw_memfd_opts *opts)
{
	int r = MW_OPTS_IN(*o, opts);

	if (r < 0)
		return r;
	if ((o->flags & ~MW_MEMFD_FLAGS_ALL) || (o->seals & ~MW_SEAL_ALL))
		return -EINVAL;
	return 0;
}

MW_API int mw_memfd_create(const char *name, const struct mw_memfd_opts *opts,
			   struct mw_memfd_info *info)
{
	MW_AUTOCLOSE int fd = -1;
	unsigned int flags = 0, seals = 0;
	uint64_t size = 0;
	const char *fallback_why = NULL;
	char why[120] = "";
	int r, err;

	struct mw_memfd_opts o;

	if (info && info->sz < sizeof(info->sz))
		return -EINVAL;
	r = check_name(name);
	if (r < 0)
		return fail(info, r, r == -ENAMETOOLONG ?
			    "memfd name longer than 249 bytes (the kernel limit)" :
			    "memfd name missing, or holds '/' or a non-printable byte");
	r = check_opts(&o, opts);
	if (r < 0)
		return fail(info, r, "bad options: unknown flag or seal bits, sz too small, or "
			    "non-zero bytes past the end of struct mw_memfd_opts");
	flags = o.flags;
	seals = o.seals;
	size = o.size;
	if ((flags & MW_MEMFD_EXEC) && (flags & MW_MEMFD_REQUIRE_EXEC_SEAL))
		return fail(info, -EINVAL, "MW_MEMFD_EXEC contradicts MW_MEMFD_REQUIRE_EXEC_SEAL");

	if (flags & MW_MEMFD_EXEC) {
		unsigned int mfd = MFD_CLOEXEC | MFD_EXEC |
				   ((flags & MW_MEMFD_NO_SEALING) ? 0 : MFD_ALLOW_SEALING);
		fd = mw_sys_memfd_create(name, mfd);
		if (fd < 0 && errno == EINVAL) {
			/* Before 6.3 MFD_EXEC is unknown, and every memfd is 0777. */
			fd = mw_sys_memfd_create(name, mfd & ~MFD_EXEC);
			if (fd >= 0)
				snprintf(why, sizeof(why), " (kernel without MFD_EXEC: executable by default)");
		}
		if (fd < 0) {
			err = errno;
			if (err == EACCES)
				return exec_refused(info);
			return fail(info, -err, "memfd_create(MFD_EXEC): %s", strerror(err));
		}
	} else {
		fd = mw_sys_memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
		err = fd < 0 ? errno : 0;
		if (fd < 0 && err == EINVAL) {
			/* The name is valid, so EINVAL means MFD_NOEXEC_SEAL is unknown
			 * (before 6.3): create a plain memfd and drop its exec bits. */
			fd = mw_sys_memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
			err = fd < 0 ? errno : 0;
			if (fd >= 0) {
				struct stat sb;
				if (fstat(fd, &sb) < 0 || fchmod(fd, sb.st_mode & 0666) < 0)
					return fail(info, -errno, "cannot clear the exec bits of a memfd: %s",
						    strerror(errno));
				if (flags & MW_MEMFD_REQUIRE_EXEC_SEAL)
					return fail(info, -EOPNOTSUPP, "exec bits not sealable: the kernel "
						    "lacks MFD_NOEXEC_SEAL (Linux 6.3)");
				snprintf(why, sizeof(why), "; exec bits removed but not sealable "
					 "(kernel lacks MFD_NOEXEC_SEAL, Linux 6.3)");
			}
		}
		if (fd < 0 && (err == ENOSYS || err == EPERM || err == EACCES)) {
			const char *dir = NULL;
			int kind = 0;

			if (flags & (MW_MEMFD_NO_FALLBACK | MW_MEMFD_REQUIRE_EXEC_SEAL))
				return fail(info, -err, "memfd_create unavailable (%s) and fallback "
					    "not allowed", strerror(err));
			if (seals)
				return fail(info, -EOPNOTSUPP, "memfd_create unavailable (%s): the "
					    "O_TMPFILE fallback cannot be sealed", strerror(err));
			fd = open_tmpfile(&dir, &kind);
			if (fd < 0)
				return fail(info, fd, "memfd_create unavailable (%s) and no O_TMPFILE "
					    "in /dev/shm or /tmp: %s", strerror(err), strerror(-fd));
			fallback_why = err == ENOSYS ? "missing" : "blocked";
			snprintf(why, sizeof(why), "O_TMPFILE in %s: memfd_create is %s (%s); "
				 "no seals possible", dir, fallback_why, strerrorname_np(err));
		} else if (fd < 0) {
			return fail(info, -err, "memfd_create: %s", strerror(err));
		}
	}

	if (!fallback_why)
		mw__memdev_record(fd); /* later checks need no memfd of their own */
	if (flags & MW_MEMFD_NO_SEALING) {
		/* MFD_NOEXEC_SEAL implies sealing allowed: close it explicitly. */
		if (fcntl(fd, F_GET_SEALS) >= 0 && !(fcntl(fd, F_GET_SEALS) & F_SEAL_SEAL) &&
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) < 0)
			return fail(info, -errno, "cannot forbid sealing: %s", strerror(errno));
	}
	if (size && ftruncate(fd, (off_t)size) < 0)
		return fail(info, -errno, "ftruncate(%llu): %s", (unsigned long long)size,
			    strerror(errno));
	if (seals) {
		r = mw_memfd_seal(fd, seals);
		if (r < 0) {
			char s[64];
			mw_memfd_seals_to_string(seals, s, sizeof(s));
			return fail(info, r, "cannot add seals %s: %s", s, strerror(-r));
		}
	}
	if (info) {
		struct mw_memfd_info q = { .sz = sizeof(q) };

		r = mw_memfd_query(fd, &q);
		if (r < 0)
			return fail(info, r, "cannot inspect the new memfd: %s", strerror(-r));
		if (fallback_why) {
			copy_trunc(q.note, sizeof(q.note), why);
		} else {
			size_t used = strlen(q.note);
			copy_trunc(q.note + used, sizeof(q.note) - used, why);
		}
		info_out(info, &q);
	}
	r = fd;
	fd = -1;
	return r;
}
