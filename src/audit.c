/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_audit_scan(): walk /proc and report fileless execution and risky memfds.
 *
 * Per process: the exe link, the fd table (getdents64 + readlinkat, so a
 * table of a million fds costs one readlink each and no allocation), and the
 * memory map. Every memfd and secretmem inode seen is recorded with what the
 * process can do with it (fd writable, mapped, mapped executable, mapped
 * shared-writable); findings about memfds are made at the end, when every
 * process has been seen, because sharing is a property of the whole system
 * and a process that only maps a memfd may not let us read its seals.
 *
 * Everything is read relative to an O_PATH fd of /proc/PID, so a pid reused
 * mid-scan cannot mix two processes: once the first process is gone every
 * read through the old fd fails with ESRCH/ENOENT and the process is counted
 * as vanished.
 */
#include "audit_internal.h"
#include "sys/shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define MEMFD_PREFIX "/memfd:"
#define SECRET_PREFIX "/secretmem"
#define DELETED_SUFFIX " (deleted)"

/* One memfd or secretmem inode as seen by one process. */
struct obj {
	uint64_t dev, ino;
	int fd;                 /* lowest fd holding it, -1 when only mapped */
	bool secret;
	bool fd_writable;       /* some fd is open for writing */
	bool mapped, mapped_exec, mapped_wshared;
	bool is_exe;            /* the process's own executable */
	bool stat_known;        /* mode/size/seals come from an fstat + F_GET_SEALS */
	int seals;
	uint32_t mode;
	uint64_t size;
	uint64_t mapped_bytes;
	char *name;
	struct mw__audit_ident *id;
};

struct nsent {
	uint64_t ino;
};

struct scan {
	struct mw__audit_report *rep;
	unsigned int flags;
	uid_t uid;
	int procfd;
	uint64_t self_ns;
	struct obj *objs;
	size_t nobjs, capobjs;
	uint64_t *ns;
	size_t nns, capns;
	char *maps;
	size_t mapscap;
	/* the process being scanned */
	int dirfd;
	pid_t pid;
	struct mw__audit_ident *id;
	bool id_loaded, id_kept;
	uint64_t exe_dev, exe_ino;
};

/* Read a small file relative to dirfd; NUL-terminated; returns length or -errno. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t size)
{
	MW_AUTOCLOSE int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Real and effective uid from /proc/PID/status. */
static int read_uids(int dirfd, uid_t *ruid, uid_t *euid)
{
	char buf[2048];
	ssize_t n = read_at(dirfd, "status", buf, sizeof(buf));
	const char *p;
	char *end;

	if (n < 0)
		return (int)n;
	p = strstr(buf, "\nUid:");
	if (!p)
		return -EINVAL;
	p += 5;
	*ruid = (uid_t)strtoul(p, &end, 10);
	if (end == p)
		return -EINVAL;
	p = end;
	*euid = (uid_t)strtoul(p, &end, 10);
	if (end == p)
		*euid = *ruid;
	return 0;
}

static char *read_string_at(int dirfd, const char *name, size_t max)
{
	char *buf = malloc(max);
	ssize_t n;

	if (!buf)
		return NULL;
	n = read_at(dirfd, name, buf, max);
	if (n < 0)
		n = 0;
	buf[n] = '\0';
	return buf;
}

/* Fill comm, cmdline, cgroup, uid of the current process, once. */
static int load_ident(struct scan *s)
{
	struct mw__audit_ident *id = s->id;
	uid_t ruid, euid;
	char *p;
	ssize_t len;

	if (s->id_loaded)
		return 0;
	s->id_loaded = true;
	if (id->uid == (uid_t)-1 && read_uids(s->dirfd, &ruid, &euid) == 0)
		id->uid = ruid;
	id->comm = read_string_at(s->dirfd, "comm", 64);
	id->cmdline = read_string_at(s->dirfd, "cmdline", 4096);
	id->cgroup = read_string_at(s->dirfd, "cgroup", 4096);
	if (!id->comm || !id->cmdline || !id->cgroup)
		return -ENOMEM;
	len = (ssize_t)strlen(id->comm);
	while (len > 0 && id->comm[len - 1] == '\n')
		id->comm[--len] = '\0';
	/* cmdline: the read stops at the first NUL for read_at's strlen, so
	 * re-read the raw length. */
	{
		MW_AUTOCLOSE int fd = openat(s->dirfd, "cmdline", O_RDONLY | O_CLOEXEC);
		ssize_t n = 0, r;

		while (fd >= 0 && n < 4095 && (r = read(fd, id->cmdline + n, (size_t)(4095 - n))) > 0)
			n += r;
		id->cmdline[n] = '\0';
		for (ssize_t i = 0; i < n; i++)
			if (id->cmdline[i] == '\0')
				id->cmdline[i] = ' ';
		while (n > 0 && id->cmdline[n - 1] == ' ')
			id->cmdline[--n] = '\0';
	}
	/* cgroup v2: "0::/path"; otherwise keep the first line. */
	p = strstr(id->cgroup, "0::");
	if (p && (p == id->cgroup || p[-1] == '\n'))
		memmove(id->cgroup, p + 3, strlen(p + 3) + 1);
	p = strchr(id->cgroup, '\n');
	if (p)
		*p = '\0';
	return 0;
}

/* The current process's identity, loaded and owned by the report. */
static struct mw__audit_ident *need_ident(struct scan *s)
{
	if (load_ident(s) < 0)
		return NULL;
	if (!s->id_kept) {
		if (mw__audit_keep_ident(s->rep, s->id) < 0)
			return NULL;
		s->id_kept = true;
	}
	return s->id;
}

/* Seals and stat of an open file. Returns false when it is not a memfd
 * (F_GET_SEALS refuses with EINVAL). */
static bool probe_open(int fd, struct obj *o)
{
	struct stat st;
	int seals;

	if (fstat(fd, &st) < 0)
		return true;
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->mode = st.st_mode & 07777;
	o->size = (uint64_t)st.st_size;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 && errno == EINVAL)
		return false;
	o->seals = seals < 0 ? -1 : seals;
	o->stat_known = true;
	return true;
}

static struct obj *new_obj(struct scan *s)
{
	struct obj *o;

	if (s->nobjs == s->capobjs) {
		size_t cap = s->capobjs ? s->capobjs * 2 : 256;
		struct obj *n = realloc(s->objs, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->objs = n;
		s->capobjs = cap;
	}
	o = &s->objs[s->nobjs];
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->seals = -1;
	return o;
}

/* Drop the last object (not a memfd after all). */
static void drop_last_obj(struct scan *s)
{
	s->nobjs--;
	free(s->objs[s->nobjs].name);
}

/* An fd whose link names a memfd or secretmem. */
static int add_fd_obj(struct scan *s, int fdfd, const char *fdname, const char *link, bool secret)
{
	struct obj *o = new_obj(s);
	struct stat lst, st;

	if (!o)
		return -ENOMEM;
	o->secret = secret;
	o->fd = atoi(fdname);
	/* The magic link's own mode carries the fd's access mode: S_IWUSR
	 * when it was opened for writing (proc_fd_instantiate). */
	if (fstatat(fdfd, fdname, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* closed meanwhile */
	o->fd_writable = (lst.st_mode & S_IWUSR) != 0;
	if (!secret) {
		MW_AUTOCLOSE int f = openat(fdfd, fdname, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

		if (f >= 0 && !probe_open(f, o))
			return 0; /* a file that merely looks like a memfd */
	}
	if (!o->stat_known) {
		if (fstatat(fdfd, fdname, &st, 0) < 0)
			return 0;
		o->dev = st.st_dev;
		o->ino = st.st_ino;
		o->mode = st.st_mode & 07777;
		o->size = (uint64_t)st.st_size;
		o->stat_known = secret;
	}
	o->name = strdup(link);
	if (!o->name)
		return -ENOMEM;
	o->id = s->id;
	s->nobjs++;
	return 0;
}

static int cmp_obj(const void *a, const void *b)
{
	const struct obj *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* Merge objects of the current process [start, nobjs) that are the same
 * inode (several fds of one memfd). Leaves them sorted. */
static void merge_fd_objs(struct scan *s, size_t start)
{
	size_t w = start;

	if (s->nobjs - start < 2)
		return;
	qsort(s->objs + start, s->nobjs - start, sizeof(struct obj), cmp_obj);
	for (size_t i = start; i < s->nobjs; i++) {
		struct obj *o = &s->objs[i];

		if (w > start && s->objs[w - 1].dev == o->dev && s->objs[w - 1].ino == o->ino) {
			s->objs[w - 1].fd_writable |= o->fd_writable;
			free(o->name);
			continue;
		}
		if (w != i)
			s->objs[w] = *o;
		w++;
	}
	s->nobjs = w;
}

/* Read the fd table. Returns 0, or -errno (-EACCES, -ESRCH/-ENOENT, -ENOMEM). */
static int scan_fds(struct scan *s)
{
	MW_AUTOCLOSE int fdfd = openat(s->dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	static __thread char dbuf[32768] __attribute__((aligned(8)));
	char link[PATH_MAX + 16];

	if (fdfd < 0)
		return -errno;
	for (;;) {
		ssize_t n = getdents64(fdfd, dbuf, sizeof(dbuf));

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(dbuf + off);
			ssize_t len;
			bool memfd, secret;
			int r;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			len = readlinkat(fdfd, d->d_name, link, sizeof(link) - 1);
			if (len < (ssize_t)sizeof(SECRET_PREFIX) - 1)
				continue; /* closed meanwhile, or a short name */
			link[len] = '\0';
			memfd = !strncmp(link, MEMFD_PREFIX, sizeof(MEMFD_PREFIX) - 1);
			secret = !memfd && !strncmp(link, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1);
			if (!memfd && !secret)
				continue;
			r = add_fd_obj(s, fdfd, d->d_name, link, secret);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Read all of /proc/PID/maps into s->maps. Returns length or -errno. */
static ssize_t read_maps(struct scan *s)
{
	MW_AUTOCLOSE int fd = openat(s->dirfd, "maps", O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (s->mapscap - len < 4096) {
			size_t cap = s->mapscap ? s->mapscap * 2 : 65536;
			char *m = realloc(s->maps, cap);

			if (!m)
				return -ENOMEM;
			s->maps = m;
			s->mapscap = cap;
		}
		n = read(fd, s->maps + len, s->mapscap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	s->maps[len] = '\0';
	return (ssize_t)len;
}

/* Find the object (dev, ino) among the current process's [start, nobjs):
 * [start, sorted_end) is sorted, the rest is not. */
static struct obj *find_obj(struct scan *s, size_t start, size_t sorted_end, uint64_t dev, uint64_t ino)
{
	struct obj key = { .dev = dev, .ino = ino, .fd = INT_MIN };
	size_t lo = start, hi = sorted_end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_obj(&s->objs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sorted_end && s->objs[lo].dev == dev && s->objs[lo].ino == ino)
		return &s->objs[lo];
	for (size_t i = sorted_end; i < s->nobjs; i++)
		if (s->objs[i].dev == dev && s->objs[i].ino == ino)
			return &s->objs[i];
	return NULL;
}

/* seq_file_path() escapes '\n' in map paths as "\012": undo it. */
static void unescape_map_path(char *p)
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

static int scan_maps(struct scan *s, size_t start, size_t sorted_end)
{
	ssize_t len = read_maps(s);
	char *line, *next;

	if (len < 0)
		return (int)len;
	for (line = s->maps; line && *line; line = next) {
		unsigned long lo, hi, off, inode;
		unsigned int maj, mnr;
		char perms[5];
		int pathpos = 0;
		char *path;
		bool memfd, secret;
		struct obj *o;
		uint64_t dev;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* cheap filter before sscanf: only memfd and secretmem lines */
		path = strchr(line, '/');
		if (!path || (strncmp(path, MEMFD_PREFIX, sizeof(MEMFD_PREFIX) - 1) &&
			      strncmp(path, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1)))
			continue;
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &lo, &hi, perms, &off, &maj, &mnr,
			   &inode, &pathpos) < 7 || pathpos == 0)
			continue;
		path = line + pathpos;
		memfd = !strncmp(path, MEMFD_PREFIX, sizeof(MEMFD_PREFIX) - 1);
		secret = !memfd && !strncmp(path, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1);
		if (!memfd && !secret)
			continue;
		dev = makedev(maj, mnr);
		o = find_obj(s, start, sorted_end, dev, inode);
		if (!o) {
			char mf[64];

			o = new_obj(s);
			if (!o)
				return -ENOMEM;
			unescape_map_path(path);
			o->name = strdup(path);
			if (!o->name)
				return -ENOMEM;
			o->dev = dev;
			o->ino = inode;
			o->secret = secret;
			o->id = s->id;
			s->nobjs++;
			/* map_files/ opens need CAP_SYS_ADMIN; without it the
			 * seals come from another holder at the end. */
			snprintf(mf, sizeof(mf), "map_files/%lx-%lx", lo, hi);
			if (memfd) {
				MW_AUTOCLOSE int f = openat(s->dirfd, mf, O_RDONLY | O_CLOEXEC | O_NOCTTY);

				if (f >= 0 && !probe_open(f, o)) {
					drop_last_obj(s);
					continue;
				}
				o->dev = dev; /* keep the map's numbering for lookups */
				o->ino = inode;
			}
		}
		o->mapped = true;
		o->mapped_bytes += hi - lo;
		if (perms[2] == 'x')
			o->mapped_exec = true;
		if (perms[1] == 'w' && perms[3] == 's')
			o->mapped_wshared = true;
	}
	return 0;
}

static bool in_writable_dir(const char *path)
{
	static const char *const dirs[] = { "/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/",
					    "/dev/mqueue/" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i])))
			return true;
	return false;
}

static bool content_sealed(int seals)
{
	return seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_SEAL)) == (F_SEAL_WRITE | F_SEAL_SEAL);
}

/* The executable: a memfd, an unlinked file, or neither. */
static int check_exe(struct scan *s)
{
	const char *exe = s->id->exe;
	size_t len = strlen(exe);
	struct mw__audit_ident *id;
	struct mw_audit_finding *f;
	char sn[96];

	if (!strncmp(exe, MEMFD_PREFIX, sizeof(MEMFD_PREFIX) - 1)) {
		struct obj o = { .seals = -1 };
		MW_AUTOCLOSE int fd = openat(s->dirfd, "exe", O_RDONLY | O_CLOEXEC | O_NOCTTY);
		struct stat st;

		if (fd >= 0)
			probe_open(fd, &o);
		else if (fstatat(s->dirfd, "exe", &st, 0) == 0) {
			o.dev = st.st_dev;
			o.ino = st.st_ino;
			o.mode = st.st_mode & 07777;
			o.size = (uint64_t)st.st_size;
		}
		s->exe_dev = o.dev;
		s->exe_ino = o.ino;
		id = need_ident(s);
		if (!id)
			return -ENOMEM;
		mw__audit_seal_names(o.seals, sn, sizeof(sn));
		if (content_sealed(o.seals))
			f = mw__audit_add(s->rep, id, MW_AUDIT_SEALED_EXEC, MW_AUDIT_LOW, exe,
					  "runs from a memfd whose contents are sealed (seals: %s): "
					  "the runc/crun self-protection pattern", sn);
		else if (o.seals < 0)
			f = mw__audit_add(s->rep, id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_CRITICAL, exe,
					  "runs from a memfd whose seals cannot be read: fileless execution");
		else
			f = mw__audit_add(s->rep, id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_CRITICAL, exe,
					  "runs from a memfd whose contents are not sealed (seals: %s): "
					  "fileless execution", sn);
		if (!f)
			return -ENOMEM;
		f->dev = o.dev;
		f->ino = o.ino;
		f->mode = o.mode;
		f->seals = o.seals;
		f->size = o.size;
		return 0;
	}
	if (len > sizeof(DELETED_SUFFIX) - 1 &&
	    !strcmp(exe + len - (sizeof(DELETED_SUFFIX) - 1), DELETED_SUFFIX)) {
		bool wdir = in_writable_dir(exe);
		struct stat st;

		id = need_ident(s);
		if (!id)
			return -ENOMEM;
		f = mw__audit_add(s->rep, id, MW_AUDIT_FILELESS_EXEC, wdir ? MW_AUDIT_HIGH : MW_AUDIT_MEDIUM,
				  exe, wdir ? "runs from an unlinked file that lived in a world-writable "
				  "directory: fileless execution" :
				  "runs from an unlinked file: fileless execution, or a binary "
				  "replaced by an upgrade and not restarted");
		if (!f)
			return -ENOMEM;
		if (fstatat(s->dirfd, "exe", &st, 0) == 0) {
			f->dev = st.st_dev;
			f->ino = st.st_ino;
			f->mode = st.st_mode & 07777;
			f->size = (uint64_t)st.st_size;
		}
	}
	return 0;
}

/* First sight of a pid namespace: read its vm.memfd_noexec. */
static int check_ns(struct scan *s)
{
	struct stat st;
	struct mw__audit_ident *id;
	struct mw_audit_finding *f;
	char reason[256];
	int v;

	if (fstatat(s->dirfd, "ns/pid", &st, 0) < 0)
		return 0;
	s->id->pidns = st.st_ino;
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i] == st.st_ino)
			return 0;
	if (s->nns == s->capns) {
		size_t cap = s->capns ? s->capns * 2 : 16;
		uint64_t *n = realloc(s->ns, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->ns = n;
		s->capns = cap;
	}
	s->ns[s->nns++] = st.st_ino;
	if (st.st_ino == s->self_ns) {
		v = mw__audit_ns_noexec(-1, true, false, reason, sizeof(reason));
	} else {
		MW_AUTOCLOSE int nsfd = openat(s->dirfd, "ns/pid", O_RDONLY | O_CLOEXEC);

		if (nsfd < 0) {
			v = -1;
			snprintf(reason, sizeof(reason), "cannot open the namespace: %s", strerror(errno));
		} else {
			v = mw__audit_ns_noexec(nsfd, false, !(s->flags & MW_AUDIT_F_NO_NS_PROBE),
						reason, sizeof(reason));
		}
	}
	id = need_ident(s);
	if (!id)
		return -ENOMEM;
	f = mw__audit_add(s->rep, id, MW_AUDIT_NOEXEC_POLICY, MW_AUDIT_INFO, "",
			  "pid namespace %" PRIu64 ": %s%s", (uint64_t)st.st_ino,
			  v < 0 ? "unknown: " : "", reason);
	if (!f)
		return -ENOMEM;
	f->memfd_noexec = v;
	return 0;
}

/* One finding per process for its secret memory. */
static int check_secret(struct scan *s, size_t start)
{
	uint64_t bytes = 0;
	unsigned int areas = 0;
	int fd = -1;
	struct mw__audit_ident *id;
	struct mw_audit_finding *f;

	for (size_t i = start; i < s->nobjs; i++) {
		struct obj *o = &s->objs[i];

		if (!o->secret)
			continue;
		areas++;
		bytes += o->stat_known ? (o->size > o->mapped_bytes ? o->size : o->mapped_bytes)
				       : o->mapped_bytes;
		if (o->fd >= 0 && (fd < 0 || o->fd < fd))
			fd = o->fd;
	}
	if (!areas)
		return 0;
	id = need_ident(s);
	if (!id)
		return -ENOMEM;
	f = mw__audit_add(s->rep, id, MW_AUDIT_SECRETMEM, MW_AUDIT_INFO, "/secretmem (deleted)",
			  "holds %" PRIu64 " bytes of secret memory (memfd_secret) in %u area(s)",
			  bytes, areas);
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->size = bytes;
	return 0;
}

/* Kernel threads (PF_KTHREAD) and zombies have no exe; /proc/PID/stat
 * tells them apart from a process we may not read (it is world-readable). */
static bool is_kernel_or_zombie(int dirfd)
{
	char buf[1024];
	const char *p;
	char state;
	unsigned long flags;

	if (read_at(dirfd, "stat", buf, sizeof(buf)) < 0)
		return false;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return false;
	return state == 'Z' || state == 'X' || (flags & 0x00200000UL); /* PF_KTHREAD */
}

static bool is_gone(int err)
{
	return err == -ESRCH || err == -ENOENT;
}

/* Scan one process. Returns 0 or -ENOMEM; per-process trouble is counted. */
static int scan_proc(struct scan *s, pid_t pid)
{
	char name[16], link[PATH_MAX + 16];
	MW_AUTOCLOSE int dirfd = -1;
	struct mw__audit_report *r = s->rep;
	size_t start = s->nobjs, sorted_end;
	ssize_t len;
	int err = 0;

	snprintf(name, sizeof(name), "%d", (int)pid);
	dirfd = openat(s->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		r->pub.procs_vanished++;
		return 0;
	}
	s->dirfd = dirfd;
	s->pid = pid;
	s->id = calloc(1, sizeof(*s->id));
	if (!s->id)
		return -ENOMEM;
	s->id->pid = pid;
	s->id->uid = (uid_t)-1;
	s->id_loaded = s->id_kept = false;
	s->exe_dev = s->exe_ino = 0;

	if (s->flags & MW_AUDIT_F_UID) {
		uid_t ruid, euid;

		err = read_uids(dirfd, &ruid, &euid);
		if (err < 0) {
			r->pub.procs_vanished++;
			goto out;
		}
		s->id->uid = ruid;
		if (ruid != s->uid && euid != s->uid)
			goto out;
	}
	r->pub.procs_seen++;
	len = readlinkat(dirfd, "exe", link, sizeof(link) - 1);
	if (len < 0) {
		err = -errno;
		if (is_kernel_or_zombie(dirfd))
			r->pub.procs_kernel++; /* no mm: nothing to audit */
		else if (is_gone(err))
			r->pub.procs_vanished++;
		else
			r->pub.procs_unreadable++;
		err = 0;
		goto out;
	}
	link[len] = '\0';
	s->id->exe = strdup(link);
	if (!s->id->exe) {
		err = -ENOMEM;
		goto out;
	}
	err = check_ns(s);
	if (err < 0)
		goto out;
	err = check_exe(s);
	if (err < 0)
		goto out;
	err = scan_fds(s);
	if (err == 0) {
		merge_fd_objs(s, start);
		sorted_end = s->nobjs;
		err = scan_maps(s, start, sorted_end);
	}
	if (err == -ENOMEM)
		goto out;
	if (err < 0) {
		/* Drop what was collected: it is a part of a process. */
		for (size_t i = start; i < s->nobjs; i++)
			free(s->objs[i].name);
		s->nobjs = start;
		if (is_gone(err))
			r->pub.procs_vanished++;
		else
			r->pub.procs_unreadable++;
		err = 0;
		goto out;
	}
	for (size_t i = start; i < s->nobjs; i++)
		if (s->exe_ino && s->objs[i].dev == s->exe_dev && s->objs[i].ino == s->exe_ino)
			s->objs[i].is_exe = true;
	err = check_secret(s, start);
	if (err < 0)
		goto out;
	if (s->nobjs > start && !need_ident(s)) {
		err = -ENOMEM;
		goto out;
	}
	r->pub.procs_scanned++;
out:
	if (!s->id_kept) {
		/* nothing refers to it */
		for (size_t i = start; i < s->nobjs; i++)
			free(s->objs[i].name);
		s->nobjs = start;
		mw__audit_ident_free(s->id);
	}
	s->id = NULL;
	s->dirfd = -1;
	return err;
}

static int cmp_objp(const void *a, const void *b)
{
	return cmp_obj(*(const struct obj *const *)a, *(const struct obj *const *)b);
}

/* Can writer still change the contents that reader sees? */
static bool unsealed_for(const struct obj *writer, int seals)
{
	if (seals < 0)
		return true; /* unknown: report, the reason says so */
	if (seals & F_SEAL_WRITE)
		return false;
	/* F_SEAL_FUTURE_WRITE (5.1) stops new writes; a shared writable
	 * mapping made before it still writes. */
	if ((seals & F_SEAL_FUTURE_WRITE) && !writer->mapped_wshared)
		return false;
	return true;
}

static int fill(struct mw_audit_finding *f, const struct obj *o, int seals, uint32_t mode, uint64_t size)
{
	if (!f)
		return -ENOMEM;
	f->fd = o->fd;
	f->dev = o->dev;
	f->ino = o->ino;
	f->seals = seals;
	f->mode = mode;
	f->size = size;
	return 0;
}

/* Findings about memfds, now that every process has been seen. */
static int judge_memfds(struct scan *s)
{
	struct obj **v;
	size_t n = 0;
	int err = 0;

	v = malloc((s->nobjs ? s->nobjs : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->nobjs; i++)
		if (!s->objs[i].secret)
			v[n++] = &s->objs[i];
	qsort(v, n, sizeof(*v), cmp_objp);
	for (size_t g = 0; g < n && !err;) {
		size_t e = g;
		int seals = -1;
		uint32_t mode = 0;
		uint64_t size = 0;
		bool known = false;
		char sn[96];

		while (e < n && v[e]->dev == v[g]->dev && v[e]->ino == v[g]->ino)
			e++;
		for (size_t i = g; i < e; i++) {
			if (v[i]->stat_known && !known) {
				known = true;
				seals = v[i]->seals;
				mode = v[i]->mode;
				size = v[i]->size;
			}
		}
		mw__audit_seal_names(seals, sn, sizeof(sn));
		for (size_t i = g; i < e && !err; i++) {
			struct obj *o = v[i];
			bool sealed = content_sealed(seals);

			if (o->is_exe)
				continue;
			if (known && (mode & 0111) && !(seals >= 0 && (seals & F_SEAL_EXEC)))
				err = fill(mw__audit_add(s->rep, o->id, MW_AUDIT_EXEC_MEMFD,
							 sealed ? MW_AUDIT_LOW : MW_AUDIT_MEDIUM, o->name,
							 "%s an executable memfd (mode %04o) that is not "
							 "exec-sealed (seals: %s)%s",
							 o->fd >= 0 ? "holds" : "maps", (unsigned int)mode, sn,
							 sealed ? "; its contents are sealed" :
							 ": whoever can write to it can run what they write"),
					   o, seals, mode, size);
			if (!err && o->mapped_exec)
				err = fill(mw__audit_add(s->rep, o->id, MW_AUDIT_MEMFD_MAPPED_EXEC,
							 sealed ? MW_AUDIT_LOW : MW_AUDIT_HIGH, o->name,
							 "maps a memfd executable (seals: %s)%s", sn,
							 sealed ? "; its contents are sealed" :
							 ": code running from anonymous, writable memory"),
					   o, seals, mode, size);
			if (err || !o->mapped)
				continue;
			for (size_t j = g; j < e; j++) {
				struct obj *w = v[j];

				if (w->id->pid == o->id->pid || !(w->fd_writable || w->mapped_wshared) ||
				    !unsealed_for(w, seals))
					continue;
				err = fill(mw__audit_add(s->rep, o->id, MW_AUDIT_SHARED_UNSEALED,
							 o->mapped_exec ? MW_AUDIT_HIGH : MW_AUDIT_MEDIUM,
							 o->name,
							 "maps %sa memfd that pid %d can write, without a "
							 "write seal (seals: %s)",
							 o->mapped_exec ? "executable " : "", (int)w->id->pid, sn),
					   o, seals, mode, size);
				if (!err)
					s->rep->arr[s->rep->pub.nfindings - 1]->peer_pid = w->id->pid;
				break;
			}
		}
		g = e;
	}
	free(v);
	return err;
}

static int scan_all(struct scan *s)
{
	MW_AUTOCLOSE int fd = openat(s->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[16384] __attribute__((aligned(8)));

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = getdents64(fd, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			char *end;
			long pid;
			int r;

			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			pid = strtol(d->d_name, &end, 10);
			if (*end || pid <= 0 || pid > INT_MAX)
				continue;
			r = scan_proc(s, (pid_t)pid);
			if (r < 0)
				return r;
		}
	}
}

MW_API int mw_audit_scan(const struct mw_audit_opts *opts, struct mw_audit_report **out)
{
	struct mw_audit_opts o = { .sz = sizeof(o) };
	struct scan s = { .dirfd = -1 };
	struct timespec t0, t1;
	struct stat st;
	int err = 0;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (opts) {
		if (opts->sz == 0)
			return -EINVAL;
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
		o.sz = sizeof(o);
	}
	if (o.flags & ~MW_AUDIT_F_ALL_)
		return -EINVAL;
	if (o.npids && !o.pids)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s.flags = o.flags;
	s.uid = o.uid;
	s.procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s.procfd < 0)
		return -errno;
	if (fstatat(s.procfd, "self/ns/pid", &st, 0) == 0)
		s.self_ns = st.st_ino;
	s.rep = calloc(1, sizeof(*s.rep));
	if (!s.rep) {
		close(s.procfd);
		return -ENOMEM;
	}
	if (o.npids) {
		for (size_t i = 0; i < o.npids && !err; i++) {
			bool dup = false;

			for (size_t j = 0; j < i; j++)
				dup |= o.pids[j] == o.pids[i];
			if (o.pids[i] <= 0) {
				err = -EINVAL;
				break;
			}
			if (!dup)
				err = scan_proc(&s, o.pids[i]);
		}
	} else {
		err = scan_all(&s);
	}
	if (!err)
		err = judge_memfds(&s);
	for (size_t i = 0; i < s.nobjs; i++)
		free(s.objs[i].name);
	free(s.objs);
	free(s.ns);
	free(s.maps);
	close(s.procfd);
	if (err) {
		mw__audit_finish(s.rep);
		mw_audit_report_free(&s.rep->pub);
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s.rep->pub.duration_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	mw__audit_finish(s.rep);
	*out = &s.rep->pub;
	return 0;
}
