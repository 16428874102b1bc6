/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sealed exec: copy a program into an executable memfd, freeze it with seals,
 * verify the seals, execveat() it. See include/memward/exec.h.
 */
#include <memward/exec.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <syslog.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/opts.h"
#include "core/seals.h"
#include "proc/fdexec.h"
#include "sys/shim.h"

extern char **environ;

/* What the memfd must carry before it is handed out. F_SEAL_EXEC is
 * required as well where the kernel has it (6.3+). */
#define REQUIRED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define COPY_MODE 0511

__attribute__((format(printf, 4, 5)))
static int fail(struct mw_exec_info *info, enum mw_exec_step step, int err, const char *fmt, ...)
{
	va_list ap;

	info->step = step;
	va_start(ap, fmt);
	vsnprintf(info->reason, sizeof(info->reason), fmt, ap);
	va_end(ap);
	mw__log(LOG_DEBUG, "sealed exec: %s", info->reason);
	return err;
}

/* Copy size bytes from src (offset 0) to dst (offset 0), trying the
 * in-kernel copies first. copy_file_range refuses cross-filesystem copies
 * (EXDEV since 5.19 unless both sides are the same fs type), sendfile to a
 * regular file works since 2.6.33; read/write always works. */
static int copy_data(int src, int dst, uint64_t size, struct mw_exec_info *info)
{
	loff_t off = 0;

	info->copy = MW_EXEC_COPY_FILE_RANGE;
	while ((uint64_t)off < size) {
		loff_t in = off, out = off;
		ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)(size - (uint64_t)off), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
			    errno != EOPNOTSUPP && errno != EBADF && errno != EPERM)
				return -errno;
			break; /* not supported here (or 0: a file that lies about its size) */
		}
		off += n;
	}
	if ((uint64_t)off < size) {
		if (lseek(dst, off, SEEK_SET) < 0)
			return -errno;
		info->copy = MW_EXEC_COPY_SENDFILE;
		while ((uint64_t)off < size) {
			size_t want = size - (uint64_t)off > 0x7ffff000 ? 0x7ffff000 : (size_t)(size - (uint64_t)off);
			ssize_t n = sendfile(dst, src, &off, want);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n < 0 && errno != EINVAL && errno != ENOSYS)
					return -errno;
				break;
			}
		}
	}
	if ((uint64_t)off < size) {
		char local[64 * 1024];

		info->copy = MW_EXEC_COPY_READ_WRITE;
		while ((uint64_t)off < size) {
			size_t want = size - (uint64_t)off > sizeof(local) ? sizeof(local) : (size_t)(size - (uint64_t)off);
			ssize_t n = pread(src, local, want, off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				break;
			for (ssize_t done = 0; done < n;) {
				ssize_t w = pwrite(dst, local + done, (size_t)(n - done), off + done);

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0)
					return -errno;
				done += w;
			}
			off += n;
		}
	}
	info->size = (uint64_t)off;
	if ((uint64_t)off != size)
		return -EIO; /* the program shrank while being copied */
	return 0;
}

/* The PMD size of transparent huge pages (2 MiB on x86-64), 0 without THP. */
static uint64_t thp_pmd_size(void)
{
	char buf[32];
	long v;

	if (mw__read_file("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", buf, sizeof(buf)) < 0 ||
	    mw__parse_long(buf, &v) < 0 || v < 4096 || (v & (v - 1)))
		return 0;
	return (uint64_t)v;
}

/*
 * Before the copy, back each whole PMD-sized block of the (empty) memfd with
 * a transparent huge page: MADV_COLLAPSE on a shared mapping of it (6.1+,
 * allowed for shmem whatever shmem_enabled says except "deny"). Measured on
 * the 6.18 development VM (bench/exec-sealed): a 4 KiB shmem page costs
 * ~1.3 us to allocate, insert, charge and fill and ~0.5 us to free (at the
 * exit of the program, before its parent's wait returns); a 10 MiB copy with
 * its 8 MiB of whole blocks in huge pages costs half as much.
 * MADV_COLLAPSE refuses a block with no page present (EINVAL), so one byte is
 * written at the start of each block; the copy overwrites it. The file never
 * grows past the final size, and the writable mapping is gone before any
 * seal is added (MADV_DONTFORK keeps a fork by another thread from
 * inheriting it; one that slips in before makes F_SEAL_WRITE fail with
 * EBUSY: an error, never an unsealed copy). Best effort: on any failure the
 * copy lands in 4 KiB pages, which is correct. Returns the bytes now in
 * huge pages.
 */
static uint64_t huge_prefill(int fd, uint64_t size)
{
	uint64_t pmd, span;
	uintptr_t aligned;
	void *reserve, *map;
	int r = -1;

	if (size < (1u << 20)) /* no PMD is smaller: spare small programs the sysfs read */
		return 0;
	pmd = thp_pmd_size();
	if (!pmd || size < pmd || size > SIZE_MAX / 2)
		return 0;
	span = size & ~(pmd - 1);
	if (ftruncate(fd, (off_t)span) < 0)
		return 0;
	for (uint64_t off = 0; off < span; off += pmd)
		if (pwrite(fd, "", 1, (off_t)off) != 1)
			return 0;
	/* The file offsets are PMD-aligned; the addresses must be too. */
	reserve = mmap(NULL, (size_t)(span + pmd), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (reserve == MAP_FAILED)
		return 0;
	aligned = ((uintptr_t)reserve + (uintptr_t)pmd - 1) & ~(uintptr_t)(pmd - 1);
	map = mmap((void *)aligned, (size_t)span, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (map != MAP_FAILED && madvise(map, (size_t)span, MADV_DONTFORK) == 0)
		r = madvise(map, (size_t)span, MADV_COLLAPSE);
	if (r < 0)
		mw__log(LOG_DEBUG, "sealed exec: no huge pages for the copy (%s), 4 KiB pages instead",
			strerror(errno));
	if (munmap(reserve, (size_t)(span + pmd)) < 0)
		return 0; /* cannot happen; F_SEAL_WRITE would then fail with EBUSY */
	return r == 0 ? span : 0;
}

static int create_memfd(const char *path, struct mw_exec_info *info)
{
	char name[240], pathcopy[4096];
	int fd;

	snprintf(pathcopy, sizeof(pathcopy), "%s", path);
	/* memfd names are at most 249 bytes; the basename has no '/'. */
	/* The name becomes the comm ("memfd:NAME") of the program: keep it the
	 * program's own name. */
	{
		const char *base = basename(pathcopy);
		size_t len = strnlen(base, sizeof(name) - 1);

		memcpy(name, base, len);
		name[len] = '\0';
	}
	fd = mw_sys_memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd >= 0) {
		info->backing = MW_EXEC_BACKING_MEMFD_EXEC;
		return fd;
	}
	if (errno != EINVAL)
		return -errno;
	/* Before 6.3 MFD_EXEC is unknown (EINVAL) and every memfd is
	 * created with mode 0777, executable. */
	fd = mw_sys_memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	info->backing = MW_EXEC_BACKING_MEMFD_LEGACY;
	return fd;
}

/* Seal the memfd: 0511, F_SEAL_EXEC (implies WRITE, SHRINK, GROW on an
 * executable memfd since 6.3), then the rest, and F_SEAL_SEAL last. */
static int seal_memfd(int fd, struct mw_exec_info *info)
{
	char text[96];
	struct stat st;
	int seals;

	if (fchmod(fd, COPY_MODE) < 0)
		return fail(info, MW_EXEC_STEP_SEAL, -errno, "fchmod(0%o) of the copy failed: %s",
			    COPY_MODE, strerror(errno));
	if (mw__seals_add(fd, F_SEAL_EXEC) < 0) {
		int err = errno;

		/* Only a kernel without MFD_EXEC may lack F_SEAL_EXEC: both are 6.3. */
		if (err != EINVAL || info->backing != MW_EXEC_BACKING_MEMFD_LEGACY)
			return fail(info, MW_EXEC_STEP_SEAL, -err, "F_ADD_SEALS(F_SEAL_EXEC) failed: %s",
				    strerror(err));
	}
	if (mw__seals_add(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0 ||
	    mw__seals_add(fd, F_SEAL_SEAL) < 0)
		return fail(info, MW_EXEC_STEP_SEAL, -errno, "F_ADD_SEALS(write, shrink, grow, seal) failed: %s",
			    strerror(errno));

	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return fail(info, MW_EXEC_STEP_VERIFY, -errno, "F_GET_SEALS failed: %s", strerror(errno));
	info->seals = (unsigned int)seals;
	info->exec_sealed = seals & F_SEAL_EXEC;
	if ((seals & REQUIRED_SEALS) != REQUIRED_SEALS ||
	    (info->backing == MW_EXEC_BACKING_MEMFD_EXEC && !info->exec_sealed))
		return fail(info, MW_EXEC_STEP_VERIFY, -EIO, "the copy's seals read back as %s",
			    mw__seals_string((unsigned int)seals, text, sizeof(text)));
	if (fstat(fd, &st) < 0)
		return fail(info, MW_EXEC_STEP_VERIFY, -errno, "fstat of the copy failed: %s", strerror(errno));
	if ((st.st_mode & 07777) != COPY_MODE || (uint64_t)st.st_size != info->size)
		return fail(info, MW_EXEC_STEP_VERIFY, -EIO,
			    "the copy reads back as mode %04o size %lld, expected %04o size %llu",
			    st.st_mode & 07777, (long long)st.st_size, COPY_MODE,
			    (unsigned long long)info->size);
	return 0;
}

/* Open an O_TMPFILE in dir if its mount allows exec and writes. */
static int tmpfile_in(const char *dir, int *err)
{
	MW_AUTOCLOSE int dfd = -1;
	struct statvfs sv;
	int fd;

	if (!dir || !*dir) {
		*err = ENOENT;
		return -1;
	}
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*err = errno;
		return -1;
	}
	if (fstatvfs(dfd, &sv) < 0) {
		*err = errno;
		return -1;
	}
	if (sv.f_flag & (ST_NOEXEC | ST_RDONLY)) {
		*err = sv.f_flag & ST_RDONLY ? EROFS : EACCES;
		return -1;
	}
	/* O_EXCL: the file can never be linked into the filesystem. */
	fd = openat(dfd, ".", O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0700);
	if (fd < 0)
		*err = errno;
	return fd;
}

/* The O_TMPFILE fallback (runc's when memfds cannot be executable). Returns
 * a read-only fd: the writable one is closed, so nothing holds the copy open
 * for writing (which would also make exec fail with ETXTBSY). */
static int tmpfile_copy(int src, const char *path, const struct mw_exec_opts *opts,
			struct mw_exec_info *info)
{
	char pathcopy[4096], procpath[64];
	const char *dirs[5];
	MW_AUTOCLOSE int wfd = -1;
	struct stat st;
	int err = ENOENT, rofd, r, seals;

	snprintf(pathcopy, sizeof(pathcopy), "%s", path);
	dirs[0] = opts->tmpfile_dir;
	dirs[1] = "/tmp";
	dirs[2] = "/dev/shm";
	dirs[3] = "/run";
	dirs[4] = dirname(pathcopy);
	for (size_t i = 0; i < 5 && wfd < 0; i++) {
		wfd = tmpfile_in(dirs[i], &err);
		if (wfd >= 0)
			snprintf(info->tmpfile_dir, sizeof(info->tmpfile_dir), "%s", dirs[i]);
	}
	if (wfd < 0)
		return fail(info, MW_EXEC_STEP_CREATE, -ENOSPC,
			    "no directory allows an executable O_TMPFILE (tried %s%s/tmp, /dev/shm, /run, %s; last error: %s)",
			    dirs[0] ? dirs[0] : "", dirs[0] ? ", " : "", dirs[4], strerror(err));
	info->backing = MW_EXEC_BACKING_TMPFILE;
	if (fstat(src, &st) < 0)
		return fail(info, MW_EXEC_STEP_COPY, -errno, "fstat: %s", strerror(errno));
	r = copy_data(src, wfd, (uint64_t)st.st_size, info);
	if (r < 0)
		return fail(info, MW_EXEC_STEP_COPY, r, "copying into an O_TMPFILE in %s failed: %s",
			    info->tmpfile_dir, strerror(-r));
	if (fchmod(wfd, COPY_MODE) < 0)
		return fail(info, MW_EXEC_STEP_SEAL, -errno, "fchmod(0%o) failed: %s", COPY_MODE,
			    strerror(errno));
	snprintf(procpath, sizeof(procpath), "/proc/self/fd/%d", wfd);
	rofd = open(procpath, O_RDONLY | O_CLOEXEC);
	if (rofd < 0)
		return fail(info, MW_EXEC_STEP_SEAL, -errno,
			    "cannot reopen the O_TMPFILE copy read-only through %s: %s", procpath,
			    strerror(errno));
	/* tmpfs answers F_SEAL_SEAL for a regular file, other filesystems EINVAL. */
	seals = fcntl(rofd, F_GET_SEALS);
	info->seals = seals > 0 ? (unsigned int)seals : 0;
	info->exec_sealed = false;
	snprintf(info->reason, sizeof(info->reason),
		 "copied into an unsealed O_TMPFILE in %.200s (memfd: %.40s), reopened read-only",
		 info->tmpfile_dir, strerror(info->memfd_error));
	return rofd;
}

static void put_info(struct mw_exec_info *dst, const struct mw_exec_info *src)
{
	(void)mw__result_out(dst, src, sizeof(*src));
}

static int noexec_level(void)
{
	char buf[32];
	long v;

	if (mw__read_file("/proc/sys/vm/memfd_noexec", buf, sizeof(buf)) < 0 ||
	    mw__parse_long(buf, &v) < 0)
		return -1;
	return (int)v;
}

/* The caller gets a read-only description of the sealed copy (the header's
 * promise): the fd we wrote through is O_RDWR. Reopened through
 * /proc/self/fd; where /proc is not mounted the O_RDWR fd is returned, its
 * F_SEAL_WRITE refusing every write all the same, and the reason says so.
 * Takes *fd. */
static int reopen_ro(int *fd, struct mw_exec_info *info)
{
	char path[40];
	struct stat a, b;
	int ro, r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", *fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro >= 0 && (fstat(*fd, &a) < 0 || fstat(ro, &b) < 0 || a.st_ino != b.st_ino ||
			a.st_dev != b.st_dev)) {
		close(ro);
		ro = -1;
	}
	if (ro < 0) {
		size_t n = strlen(info->reason);

		snprintf(info->reason + n, sizeof(info->reason) - n,
			 "; fd left O_RDWR (no /proc/self/fd to reopen it read-only)");
		r = *fd;
		*fd = -1;
		return r;
	}
	return ro; /* *fd is closed by the caller's MW_AUTOCLOSE */
}

/* The mount id of fd (fdinfo "mnt_id:"), or -1. */
static long fd_mnt_id(int fd)
{
	char p[64], line[128];
	long id = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %ld", &id) == 1)
			break;
	fclose(f);
	return id;
}

/* Is mount id listed in this mount namespace? 1 yes, 0 no, -1 unknown. */
static int mount_visible(long id)
{
	char line[512];
	long m;
	int r = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%ld ", &m) == 1 && m == id) {
			r = 1;
			break;
		}
	fclose(f);
	return r;
}

/* In a user namespace other than the initial one (uid_map not the whole
 * identity range)? Its root may have mounted tmpfs, ramfs, FUSE, overlayfs. */
static bool in_child_userns(void)
{
	unsigned long a, b, c;
	bool r = false;
	FILE *f = fopen("/proc/self/uid_map", "re");

	if (!f)
		return false;
	if (fscanf(f, "%lu %lu %lu", &a, &b, &c) != 3 || a || b || c != 4294967295ul)
		r = true;
	fclose(f);
	return r;
}

/* A sealed copy must not launder memory: a program that is itself a memfd,
 * shared memory, an unlinked file or a file of a mount no one else can see
 * is the caller's own bytes. With memward listed under `memward guard`,
 * exec-sealed of such a source would run them as a listed program's sealed
 * memfd (redteam-guard-deputy). The classes are the guard's. */
static const char *memory_object(int src)
{
	struct mw__fd_facts f;
	struct statfs sfs;
	long id;

	/* NO_PROBE: no memfd or ACL of our own (under the guard that probe
	 * would be a logged denial of its own); an unproven memfd counts. */
	if (mw__fd_facts(src, MW__FACTS_NO_PROBE, &f) < 0)
		return "a file that cannot be examined";
	if (f.memfd || f.memfd_unproven)
		return "a memfd";
	/* Kernel-internal shmem (shmem_file_setup clears the link count),
	 * O_TMPFILE and files unlinked while open. */
	if (f.st.st_nlink == 0)
		return "a file without a name (unlinked, O_TMPFILE, shared memory)";
	id = fd_mnt_id(src);
	if (id < 0 || mount_visible(id) != 1)
		return "a file of a mount not attached in this mount namespace (fsmount, another namespace)";
	if (in_child_userns() && fstatfs(src, &sfs) == 0 &&
	    ((unsigned long)sfs.f_type == 0x01021994ul /* tmpfs */ ||
	     (unsigned long)sfs.f_type == 0x858458f6ul /* ramfs */ ||
	     (unsigned long)sfs.f_type == 0x65735546ul /* fuse */ ||
	     (unsigned long)sfs.f_type == 0x794c7630ul /* overlayfs */))
		return "a file of a filesystem a user namespace can mount (tmpfs, ramfs, FUSE, overlayfs)";
	return NULL;
}

static int prepare(const char *path, const struct mw_exec_opts *opts, struct mw_exec_info *info)
{
	const char *mem;
	MW_AUTOCLOSE int src = -1;
	MW_AUTOCLOSE int fd = -1;
	unsigned char magic[2] = { 0, 0 };
	struct statvfs sv;
	struct stat st;
	char text[96];
	int r;

	src = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (src < 0)
		return fail(info, MW_EXEC_STEP_OPEN, -errno, "cannot open %s: %s", path, strerror(errno));
	if (fstat(src, &st) < 0)
		return fail(info, MW_EXEC_STEP_OPEN, -errno, "cannot stat %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(info, MW_EXEC_STEP_OPEN, -EACCES, "%s is not a regular file", path);
	if ((mem = memory_object(src)))
		return fail(info, MW_EXEC_STEP_OPEN, -EPERM,
			    "%s is %s: a sealed copy is made of programs from files, not of memory", path, mem);
	/* The caller must be allowed to execute the original: a sealed copy
	 * is no way around its permissions or a noexec mount. */
	if (faccessat(src, "", X_OK, AT_EACCESS | AT_EMPTY_PATH) < 0) {
		if (errno != EINVAL && errno != ENOSYS)
			return fail(info, MW_EXEC_STEP_OPEN, -EACCES, "%s: no execute permission", path);
		if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
			return fail(info, MW_EXEC_STEP_OPEN, -EACCES, "%s: no execute permission", path);
	}
	if (fstatvfs(src, &sv) == 0 && (sv.f_flag & ST_NOEXEC))
		return fail(info, MW_EXEC_STEP_OPEN, -EACCES, "%s is on a filesystem mounted noexec", path);
	if (pread(src, magic, 2, 0) == 2 && magic[0] == '#' && magic[1] == '!') {
		info->script = true;
		if (!(opts->flags & MW_EXEC_ALLOW_SCRIPT))
			return fail(info, MW_EXEC_STEP_OPEN, -ENOEXEC,
				    "%s is a #! script: an O_CLOEXEC sealed copy cannot run it (execveat gives ENOENT); allow scripts explicitly",
				    path);
		/* The kernel hands the interpreter "/dev/fd/N": without that
		 * symlink (devtmpfs alone does not create it) the interpreter
		 * cannot open the script. */
		if (access("/dev/fd", X_OK) < 0)
			return fail(info, MW_EXEC_STEP_OPEN, -ENOEXEC,
				    "%s is a #! script and /dev/fd is missing here (%s): its interpreter could not open /dev/fd/N",
				    path, strerror(errno));
	}

	fd = create_memfd(path, info);
	if (fd < 0) {
		int err = -fd, level = err == EACCES ? noexec_level() : -1;

		fd = -1;
		info->memfd_error = err;
		if ((opts->flags & MW_EXEC_ALLOW_TMPFILE) && (err == EACCES || err == EPERM || err == ENOSYS))
			return tmpfile_copy(src, path, opts, info);
		if (err == EACCES && level >= 2)
			return fail(info, MW_EXEC_STEP_CREATE, -EACCES,
				    "executable memfds are refused by vm.memfd_noexec=%d in this pid namespace (memfd_create(MFD_EXEC): EACCES); the O_TMPFILE fallback was not allowed",
				    level);
		if (err == EACCES)
			return fail(info, MW_EXEC_STEP_CREATE, -EACCES,
				    "memfd_create(MFD_EXEC) refused with EACCES (vm.memfd_noexec is %d here: an LSM or a parent pid namespace's vm.memfd_noexec=2 refuses it); the O_TMPFILE fallback was not allowed",
				    level);
		return fail(info, MW_EXEC_STEP_CREATE, -err, "memfd_create failed: %s%s", strerror(err),
			    err == EPERM || err == ENOSYS ? "; the O_TMPFILE fallback was not allowed" : "");
	}
	if (!(opts->flags & MW_EXEC_NO_HUGEPAGES))
		info->huge_bytes = huge_prefill(fd, (uint64_t)st.st_size);
	r = copy_data(src, fd, (uint64_t)st.st_size, info);
	if (r < 0)
		return fail(info, MW_EXEC_STEP_COPY, r, "copying %s into the memfd failed: %s", path,
			    strerror(-r));
	r = seal_memfd(fd, info);
	if (r < 0)
		return r;
	snprintf(info->reason, sizeof(info->reason), "%s copy of %llu bytes (%llu in huge pages) via %s, seals %s%s",
		 info->backing == MW_EXEC_BACKING_MEMFD_EXEC ? "MFD_EXEC memfd" : "memfd",
		 (unsigned long long)info->size, (unsigned long long)info->huge_bytes,
		 mw_exec_copy_name(info->copy),
		 mw__seals_string(info->seals, text, sizeof(text)),
		 info->exec_sealed ? "" : " (this kernel has no F_SEAL_EXEC)");
	return reopen_ro(&fd, info);
}

MW_API int mw_exec_sealed_prepare(const char *path, const struct mw_exec_opts *opts_in,
				  struct mw_exec_info *info_in)
{
	struct mw_exec_opts opts = { .sz = sizeof(opts) };
	struct mw_exec_info info = { .sz = sizeof(info) };
	int r;

	if (info_in && info_in->sz == 0)
		return -EINVAL;
	if (MW_OPTS_IN(opts, opts_in) < 0) {
		r = fail(&info, MW_EXEC_STEP_ARGS, -EINVAL,
			 "opts->sz is too small, or bytes past struct mw_exec_opts are not zero");
		goto out;
	}
	if (opts.flags & ~MW_EXEC_FLAGS_ALL) {
		r = fail(&info, MW_EXEC_STEP_ARGS, -EINVAL, "unknown flags 0x%x", opts.flags & ~MW_EXEC_FLAGS_ALL);
		goto out;
	}
	if (!path || !*path) {
		r = fail(&info, MW_EXEC_STEP_ARGS, -EINVAL, "no program given");
		goto out;
	}
	r = prepare(path, &opts, &info);
	if (r >= 0)
		info.step = MW_EXEC_STEP_NONE;
out:
	put_info(info_in, &info);
	return r;
}

MW_API int mw_exec_fd(int fd, char *const argv[], char *const envp[], bool script)
{
	int err;

	if (fd < 0 || !argv)
		return -EINVAL;
	/* A script's interpreter reads it through /dev/fd/N, which must
	 * survive the exec. */
	if (script && fcntl(fd, F_SETFD, 0) < 0)
		return -errno;
	mw_sys_execveat(fd, "", argv, envp ? envp : environ, AT_EMPTY_PATH);
	err = errno;
	if (script)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
	return -err;
}

MW_API int mw_exec_sealed(const char *path, char *const argv[], char *const envp[],
			  const struct mw_exec_opts *opts, struct mw_exec_info *info_in)
{
	struct mw_exec_info info = { .sz = sizeof(info) };
	int fd, r;

	if (info_in && info_in->sz == 0)
		return -EINVAL;
	if (!argv) {
		r = fail(&info, MW_EXEC_STEP_ARGS, -EINVAL, "no argv given");
		put_info(info_in, &info);
		return r;
	}
	fd = mw_exec_sealed_prepare(path, opts, &info);
	if (fd < 0) {
		put_info(info_in, &info);
		return fd;
	}
	put_info(info_in, &info); /* visible to the caller in case exec fails */
	r = mw_exec_fd(fd, argv, envp, info.script);
	close(fd);
	r = fail(&info, MW_EXEC_STEP_EXEC, r, "execveat of the sealed copy of %s failed: %s", path,
		 strerror(-r));
	put_info(info_in, &info);
	return r;
}

MW_API const char *mw_exec_backing_name(enum mw_exec_backing b)
{
	switch (b) {
	case MW_EXEC_BACKING_NONE: return "none";
	case MW_EXEC_BACKING_MEMFD_EXEC: return "memfd_exec";
	case MW_EXEC_BACKING_MEMFD_LEGACY: return "memfd_legacy";
	case MW_EXEC_BACKING_TMPFILE: return "tmpfile";
	}
	return NULL;
}

MW_API const char *mw_exec_copy_name(enum mw_exec_copy c)
{
	switch (c) {
	case MW_EXEC_COPY_NONE: return "none";
	case MW_EXEC_COPY_FILE_RANGE: return "copy_file_range";
	case MW_EXEC_COPY_SENDFILE: return "sendfile";
	case MW_EXEC_COPY_READ_WRITE: return "read_write";
	}
	return NULL;
}

MW_API const char *mw_exec_step_name(enum mw_exec_step s)
{
	switch (s) {
	case MW_EXEC_STEP_NONE: return "none";
	case MW_EXEC_STEP_ARGS: return "args";
	case MW_EXEC_STEP_OPEN: return "open";
	case MW_EXEC_STEP_CREATE: return "create";
	case MW_EXEC_STEP_COPY: return "copy";
	case MW_EXEC_STEP_SEAL: return "seal";
	case MW_EXEC_STEP_VERIFY: return "verify";
	case MW_EXEC_STEP_EXEC: return "exec";
	}
	return NULL;
}
