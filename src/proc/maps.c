/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The memfd/secretmem mappings of /proc/PID/maps: PROCMAP_QUERY or text. */
#include "proc/proc.h"
#include "sys/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define MEM_CLASSES ((1u << MW__LINK_MEMFD) | (1u << MW__LINK_SECRETMEM))
/* Objects with no name in any filesystem besides memfds: an unlinked or
 * O_TMPFILE file, anonymous shared memory, a SysV segment. */
#define UNNAMED_CLASSES ((1u << MW__LINK_DELETED) | (1u << MW__LINK_SHMEM_ANON) | (1u << MW__LINK_SYSV_SHM))

/* Is this mapping wanted: a memfd or secretmem, or (with m->exec_unnamed)
 * an executable mapping of an object that has no name? */
static bool class_wanted(const struct mw__maps *m, enum mw__link_class cls, bool exec)
{
	return (MEM_CLASSES & (1u << cls)) || (m->exec_unnamed && exec && (UNNAMED_CLASSES & (1u << cls)));
}

static bool deleted_suffix(const char *p)
{
	size_t n = strlen(p);

	return n >= sizeof(MW_PROC_DELETED) - 1 &&
	       !memcmp(p + n - (sizeof(MW_PROC_DELETED) - 1), MW_PROC_DELETED, sizeof(MW_PROC_DELETED) - 1);
}

void mw__proc_unescape_path(char *p)
{
	char *w = p;

	for (; *p; p++) {
		if (p[0] == '\\' && p[1] == '0' && p[2] == '1' && p[3] == '2') {
			*w++ = '\n';
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
}

void mw__maps_done(struct mw__maps *m)
{
	free(m->buf);
	m->buf = NULL;
	m->cap = 0;
}

/* The maps file to read: the caller's (m->use_fd: opened earlier, so what
 * is read is the memory of the process as it was then), else a new one
 * (*own, closed by the caller). fd or -errno. */
static int maps_fd(int dirfd, const struct mw__maps *m, int *own)
{
	*own = -1;
	if (m->use_fd)
		return m->fd;
	*own = openat(dirfd, "maps", O_RDONLY | O_CLOEXEC);
	return *own < 0 ? -errno : *own;
}

/* Read all of maps into m->buf (kept between processes). Returns length or -errno. */
static ssize_t read_maps(int dirfd, struct mw__maps *m)
{
	MW_AUTOCLOSE int own = -1;
	int fd = maps_fd(dirfd, m, &own);

	if (fd < 0)
		return fd;
	if (m->use_fd && lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return mw__read_grow(fd, &m->buf, &m->cap, 0);
}

static unsigned int perms_prot(const char *p)
{
	return (p[0] == 'r' ? MW__MAP_R : 0) | (p[1] == 'w' ? MW__MAP_W : 0) |
	       (p[2] == 'x' ? MW__MAP_X : 0) | (p[3] == 's' ? MW__MAP_S : 0);
}

/* The text of /proc/PID/maps: any kernel. */
static int walk_text(int dirfd, struct mw__maps *m, int (*cb)(void *, const struct mw__map *), void *arg)
{
	ssize_t len = read_maps(dirfd, m);
	char *line, *next;

	if (len < 0)
		return (int)len;
	for (line = m->buf; line && *line; line = next) {
		struct mw__map mp = { 0 };
		unsigned int maj, mnr;
		char perms[5];
		int pathpos = 0, r;
		char *path;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* cheap filter before sscanf: only memfd and secretmem lines,
		 * and executable lines of deleted objects when asked ("x" is
		 * the third letter of the perms after "START-END ") */
		path = strchr(line, '/');
		if (!path || (strncmp(path, MW_PROC_MEMFD_PREFIX, sizeof(MW_PROC_MEMFD_PREFIX) - 1) &&
			      strcmp(path, MW_PROC_SECRETMEM_LINK) &&
			      !(m->exec_unnamed && strchr(line, ' ') && strchr(line, ' ')[3] == 'x' &&
				deleted_suffix(path))))
			continue;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &mp.start, &mp.end, perms, &mp.offset, &maj, &mnr, &mp.ino, &pathpos) < 7 ||
		    pathpos == 0 || strlen(perms) != 4)
			continue;
		mw__proc_unescape_path(line + pathpos);
		mp.path = line + pathpos;
		if (!class_wanted(m, mw__link_classify(mp.path, strlen(mp.path), &mp.link), perms[2] == 'x'))
			continue;
		mp.dev = makedev(maj, mnr);
		mp.prot = perms_prot(perms);
		r = cb(arg, &mp);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool dev_wanted(const struct mw__maps *m, const dev_t *devs, unsigned int ndevs, dev_t dev)
{
	for (unsigned int i = 0; i < ndevs; i++)
		if (devs[i] == dev)
			return true;
	for (size_t i = 0; i < m->nextra; i++)
		if (m->extra_devs[i] == dev)
			return true;
	return false;
}

/* The name of the VMA q asked for whose path is too long to print. */
static void too_long_name(int dirfd, struct procmap_query *q, char *name, size_t size)
{
	char mf[64];
	struct stat st;
	bool linked;

	snprintf(mf, sizeof(mf), "map_files/%llx-%llx", (unsigned long long)q->vma_start,
		 (unsigned long long)q->vma_end);
	linked = dirfd >= 0 && fstatat(dirfd, mf, &st, 0) == 0 && st.st_nlink > 0;
	snprintf(name, size, "%s%s", MW_PROC_TOO_LONG, linked ? "" : MW_PROC_DELETED);
}

/*
 * PROCMAP_QUERY (6.11, commit ed5d583a88a9): walk the file-backed VMAs
 * without formatting their paths, and ask for the path only of VMAs on a
 * memfd/secretmem device. The text of maps spends most of its time in
 * d_path() for every library line. -ENOTTY when the kernel lacks it.
 */
static int walk_query(int dirfd, struct mw__maps *m, int (*cb)(void *, const struct mw__map *), void *arg)
{
	MW_AUTOCLOSE int own = -1;
	int fd = maps_fd(dirfd, m, &own);
	char name[PATH_MAX];
	dev_t devs[4];
	unsigned int ndevs = mw__memdevs(devs, 4);
	uint64_t addr = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		struct procmap_query q = {
			.size = sizeof(q),
			.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA | PROCMAP_QUERY_FILE_BACKED_VMA,
			.query_addr = addr,
		};
		struct mw__map mp = { 0 };
		int r;

		if (ioctl(fd, PROCMAP_QUERY, &q) < 0) {
			if (errno == ENOENT)
				return 0; /* no VMA at or after addr */
			if (errno == ENOTTY || (errno == EINVAL && addr == 0))
				return -ENOTTY;
			return -errno;
		}
		addr = q.vma_end;
		mp.dev = makedev(q.dev_major, q.dev_minor);
		/* an executable mapping is asked for its name too when unnamed
		 * objects are wanted: the name alone says it was deleted */
		if (!dev_wanted(m, devs, ndevs, mp.dev) &&
		    !(m->exec_unnamed && (q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE)))
			continue;
		q.query_flags = 0; /* exactly the VMA covering vma_start */
		q.query_addr = q.vma_start;
		q.vma_name_size = sizeof(name);
		q.vma_name_addr = (uint64_t)(uintptr_t)name;
		if (ioctl(fd, PROCMAP_QUERY, &q) < 0) {
			if (errno == ENOENT)
				continue; /* unmapped meanwhile */
			if (errno != ENAMETOOLONG)
				return -errno;
			/* a path longer than the kernel prints (no memfd or
			 * secretmem name is): deleted unless a stat through
			 * map_files finds links left (it needs CAP_SYS_ADMIN;
			 * without, a file that may be gone is reported) */
			too_long_name(dirfd, &q, name, sizeof(name));
		}
		name[sizeof(name) - 1] = '\0';
		if (!class_wanted(m, mw__link_classify(name, strlen(name), &mp.link),
				  q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE))
			continue;
		mp.start = q.vma_start;
		mp.end = q.vma_end;
		mp.offset = q.vma_offset;
		mp.ino = q.inode;
		mp.path = name;
		mp.prot = ((q.vma_flags & PROCMAP_QUERY_VMA_READABLE) ? MW__MAP_R : 0) |
			  ((q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE) ? MW__MAP_W : 0) |
			  ((q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE) ? MW__MAP_X : 0) |
			  ((q.vma_flags & PROCMAP_QUERY_VMA_SHARED) ? MW__MAP_S : 0);
		r = cb(arg, &mp);
		if (r < 0)
			return r;
	}
}

int mw__proc_maps_walk(int dirfd, struct mw__maps *m, int (*cb)(void *arg, const struct mw__map *map),
		       void *arg)
{
	if (!__atomic_load_n(&m->text_only, __ATOMIC_RELAXED)) {
		int r = walk_query(dirfd, m, cb, arg);

		if (r != -ENOTTY)
			return r;
		__atomic_store_n(&m->text_only, true, __ATOMIC_RELAXED);
	}
	return walk_text(dirfd, m, cb, arg);
}
