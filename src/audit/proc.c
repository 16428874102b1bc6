/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-process part of the audit: the exe link, the fd table
 * (getdents64 + readlinkat, so a table of a million fds costs one readlink
 * each and no allocation), the memory map, the pid namespace. Every memfd and
 * secretmem inode seen is recorded with what the process can do with it (fd
 * writable, mapped, mapped executable, mapped shared-writable); src/audit/audit.c
 * judges memfds once every process has been seen. When the BPF iterators
 * ran (src/audit_bpf.c), the fd table, the maps, the uids, comm and pid
 * namespace come from their records instead, and only exe, cmdline and
 * cgroup are read here.
 *
 * Everything is read relative to an O_PATH fd of /proc/PID, so a pid reused
 * mid-scan cannot mix two processes: once the first process is gone every
 * read through the old fd fails with ESRCH/ENOENT and the process is counted
 * as vanished.
 */
#include "audit/internal.h"
#include "audit/bpf_rec.h"
#include "sys/shim.h"

#include <dirent.h>
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

#define MEMFD_PREFIX "/memfd:"
#define SECRET_PREFIX "/secretmem"
#define DELETED_SUFFIX " (deleted)"

/* mw__audit_add() under the report lock. */
#define ADD_LOCKED(w, ...)                                          \
	({                                                          \
		struct mw_audit_finding *f_;                        \
		pthread_mutex_lock(&(w)->sh->lock);                 \
		f_ = mw__audit_add((w)->sh->rep, __VA_ARGS__);      \
		pthread_mutex_unlock(&(w)->sh->lock);               \
		f_;                                                 \
	})

/* Read a small file relative to dirfd; NUL-terminated; returns length or -errno. */
static ssize_t read_at(int dirfd, const char *name, char *buf, size_t size)
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

/* Real and effective uid from /proc/PID/status. */
/* Undo the escaping of "Name:" in /proc/PID/status (seq_escape_str with
 * ESCAPE_SPACE | ESCAPE_SPECIAL: \n \t \\ and friends) to get the raw comm,
 * which saves reading /proc/PID/comm. */
static void unescape_name(const char *in, char *out, size_t size)
{
	size_t n = 0;

	while (*in && *in != '\n' && n + 1 < size) {
		char c = *in++;

		if (c == '\\' && *in) {
			char e = *in++;

			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'f': c = '\f'; break;
			case 'v': c = '\v'; break;
			case 'a': c = '\a'; break;
			case 'e': c = 27; break;
			default: c = e; break; /* \\ and \" */
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
}

/* Real and effective uid (and the comm, when comm is not NULL) from
 * /proc/PID/status. */
static int read_status(int dirfd, uid_t *ruid, uid_t *euid, char *comm, size_t size)
{
	char buf[2048];
	ssize_t n = read_at(dirfd, "status", buf, sizeof(buf));
	const char *p;
	char *end;

	if (n < 0)
		return (int)n;
	if (comm && !strncmp(buf, "Name:\t", 6))
		unescape_name(buf + 6, comm, size);
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

/* The cgroup line of /proc/PID/cgroup: the v2 path ("0::/path"), else the
 * first line. *v2 tells which. Returns a malloc'd string or NULL. */
static char *read_cgroup(int dirfd, bool *v2)
{
	char buf[4096];
	ssize_t n = read_at(dirfd, "cgroup", buf, sizeof(buf));
	char *p, *line = buf;

	if (n < 0)
		buf[0] = '\0';
	p = strstr(buf, "0::");
	*v2 = p && (p == buf || p[-1] == '\n');
	if (*v2)
		line = p + 3;
	p = strchr(line, '\n');
	if (p)
		*p = '\0';
	return strdup(line);
}

/* The cgroup path of the current process. With the id of its v2 cgroup
 * from the BPF records, each distinct cgroup is read once per worker and
 * scan (the path depends only on the cgroup and on the reader's cgroup
 * namespace). */
static char *proc_cgroup(struct mw__audit_worker *s, uint64_t cgid)
{
	bool v2;
	char *path;

	for (size_t i = 0; cgid && i < s->ncg; i++)
		if (s->cg[i].id == cgid)
			return strdup(s->cg[i].path);
	path = read_cgroup(s->dirfd, &v2);
	if (path && cgid && v2 && s->ncg < 1024) {
		if (s->ncg == s->capcg) {
			size_t cap = s->capcg ? s->capcg * 2 : 16;
			void *n = realloc(s->cg, cap * sizeof(*s->cg));

			if (!n)
				return path; /* just not remembered */
			s->cg = n;
			s->capcg = cap;
		}
		s->cg[s->ncg].path = strdup(path);
		if (s->cg[s->ncg].path) {
			s->cg[s->ncg].id = cgid;
			s->ncg++;
		}
	}
	return path;
}

/* Fill comm, cmdline, cgroup, uid of the current process, once. */
static int load_ident(struct mw__audit_worker *s)
{
	struct mw__audit_ident *id = s->id;
	const struct mw_brec_proc *pr = s->brec;
	char buf[4096];
	uid_t ruid, euid;
	ssize_t len;

	if (s->id_loaded)
		return 0;
	s->id_loaded = true;
	id->cgroup = proc_cgroup(s, pr ? pr->cgroup : 0);
	if (!id->cgroup)
		return -ENOMEM;
	if (pr) {
		/* comm and uids from the BPF record: no /proc/PID/status */
		id->comm = strndup((const char *)(pr + 1), pr->namelen);
		if (id->uid == (uid_t)-1)
			id->uid = pr->ruid;
	} else {
		id->comm = calloc(1, 64);
		if (id->comm && read_status(s->dirfd, &ruid, &euid, id->comm, 64) == 0 &&
		    id->uid == (uid_t)-1)
			id->uid = ruid;
	}
	if (!id->comm)
		return -ENOMEM;
	/* cmdline: NUL-separated arguments, joined by spaces */
	len = read_at(s->dirfd, "cmdline", buf, sizeof(buf));
	if (len < 0)
		len = 0;
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	buf[len] = '\0';
	id->cmdline = strdup(buf);
	if (!id->cmdline)
		return -ENOMEM;
	return 0;
}

/* Keep the current process's identity in the report, loaded or not (an
 * unloaded one only lends its pid, as the writer of a shared memfd). */
static int keep_ident(struct mw__audit_worker *s)
{
	if (!s->id_kept) {
		int r;

		pthread_mutex_lock(&s->sh->lock);
		r = mw__audit_keep_ident(s->sh->rep, s->id);
		pthread_mutex_unlock(&s->sh->lock);
		if (r < 0)
			return -ENOMEM;
		s->id_kept = true;
	}
	return 0;
}

/* The current process's identity, loaded and owned by the report. */
static struct mw__audit_ident *need_ident(struct mw__audit_worker *s)
{
	if (load_ident(s) < 0 || keep_ident(s) < 0)
		return NULL;
	return s->id;
}

/* Could the judgement make a finding about this process from this object?
 * (Only then is the identity worth reading now.) */
static bool may_judge(const struct mw__audit_obj *o)
{
	if (o->secret)
		return false;
	if (o->mapped || !o->stat_known)
		return true;
	return (o->mode & 0111) && !(o->seals >= 0 && (o->seals & F_SEAL_EXEC));
}

/* Seals and stat of an open file. Returns false when it is not a memfd
 * (F_GET_SEALS refuses with EINVAL). */
static bool probe_open(int fd, struct mw__audit_obj *o)
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

static struct mw__audit_obj *new_obj(struct mw__audit_worker *s)
{
	struct mw__audit_obj *o;

	if (s->nobjs == s->capobjs) {
		size_t cap = s->capobjs ? s->capobjs * 2 : 256;
		struct mw__audit_obj *n = realloc(s->objs, cap * sizeof(*n));

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
static void drop_last_obj(struct mw__audit_worker *s)
{
	s->nobjs--;
	free(s->objs[s->nobjs].name);
}

/*
 * A pidfd of the current process, for pidfd_getfd(): a copy of the target's
 * fd costs no path walk through /proc, and F_GETFL on it gives the access
 * mode the target opened it with. Needs ptrace-attach rights (root, or the
 * same uid and dumpable); -1 when unavailable, then the /proc/PID/fd/N
 * reopen is used.
 */
static int proc_pidfd(struct mw__audit_worker *s)
{
	if (s->pidfd >= 0 || s->pidfd_failed)
		return s->pidfd;
	/* The pid may have been reused since /proc/PID was opened. Then the
	 * original is gone and the maps read through the old /proc/PID fd,
	 * which comes after every use of this pidfd, fails: the process is
	 * dropped as vanished, with whatever was read through the pidfd. */
	s->pidfd = mw_sys_pidfd_open(s->pid, 0);
	if (s->pidfd < 0)
		s->pidfd_failed = true;
	return s->pidfd;
}

/* An fd whose link names a memfd or secretmem. */
static int add_fd_obj(struct mw__audit_worker *s, int fdfd, const char *fdname, const char *link, bool secret)
{
	struct mw__audit_obj *o = new_obj(s);
	struct stat lst, st;
	int pidfd;

	if (!o)
		return -ENOMEM;
	o->secret = secret;
	o->fd = atoi(fdname);
	pidfd = secret ? -1 : proc_pidfd(s);
	if (pidfd >= 0) {
		MW_AUTOCLOSE int f = mw_sys_pidfd_getfd(pidfd, o->fd, 0);
		int fl;

		if (f < 0 && errno == EBADF)
			return 0; /* closed meanwhile */
		if (f >= 0) {
			if (!probe_open(f, o))
				return 0; /* a file that merely looks like a memfd */
			fl = fcntl(f, F_GETFL);
			o->fd_writable = fl >= 0 && (fl & O_ACCMODE) != O_RDONLY;
			goto named;
		}
		s->pidfd_failed = true;
		close(s->pidfd);
		s->pidfd = -1;
	}
	/* The magic link's own mode carries the fd's access mode: S_IWUSR
	 * when it was opened for writing (proc_fd_instantiate). */
	if (fstatat(fdfd, fdname, &lst, AT_SYMLINK_NOFOLLOW) < 0)
		return 0; /* closed meanwhile */
	o->fd_writable = (lst.st_mode & S_IWUSR) != 0;
	if (!secret) {
		MW_AUTOCLOSE int f = openat(fdfd, fdname, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

		if (f >= 0 && !probe_open(f, o))
			return 0;
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
named:
	o->name = strdup(link);
	if (!o->name)
		return -ENOMEM;
	o->id = s->id;
	s->nobjs++;
	return 0;
}

int mw__audit_cmp_obj(const void *a, const void *b)
{
	const struct mw__audit_obj *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* Merge objects of the current process [start, nobjs) that are the same
 * inode (several fds of one memfd). Leaves them sorted. */
static void merge_fd_objs(struct mw__audit_worker *s, size_t start)
{
	size_t w = start;

	if (s->nobjs - start < 2)
		return;
	qsort(s->objs + start, s->nobjs - start, sizeof(struct mw__audit_obj), mw__audit_cmp_obj);
	for (size_t i = start; i < s->nobjs; i++) {
		struct mw__audit_obj *o = &s->objs[i];

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
static int scan_fds(struct mw__audit_worker *s)
{
	MW_AUTOCLOSE int fdfd = openat(s->dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	static __thread char dbuf[32768] __attribute__((aligned(8)));
	char link[PATH_MAX + 16];
	bool last = false;

	if (fdfd < 0)
		return -errno;
	for (;;) {
		ssize_t n = getdents64(fdfd, dbuf, sizeof(dbuf));

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		last = (size_t)n + MW__DIRENT_MAX <= sizeof(dbuf);
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
		if (last)
			break;
	}
	return 0;
}

/* Read all of /proc/PID/maps into s->maps. Returns length or -errno. */
static ssize_t read_maps(struct mw__audit_worker *s)
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
static struct mw__audit_obj *find_obj(struct mw__audit_worker *s, size_t start, size_t sorted_end, uint64_t dev, uint64_t ino)
{
	struct mw__audit_obj key = { .dev = dev, .ino = ino, .fd = INT_MIN };
	size_t lo = start, hi = sorted_end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mw__audit_cmp_obj(&s->objs[mid], &key) < 0)
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

/* One memfd or secretmem mapping [lo, hi) of the current process. */
static int add_mapping(struct mw__audit_worker *s, size_t start, size_t sorted_end,
		       unsigned long lo, unsigned long hi, bool w, bool x, bool shared,
		       uint64_t dev, uint64_t inode, char *path, bool escaped,
		       const struct mw_brec *rec)
{
	bool memfd = !strncmp(path, MEMFD_PREFIX, sizeof(MEMFD_PREFIX) - 1);
	bool secret = !memfd && !strncmp(path, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1);
	struct mw__audit_obj *o;

	if (!memfd && !secret)
		return 0;
	o = find_obj(s, start, sorted_end, dev, inode);
	if (!o) {
		char mf[64];

		o = new_obj(s);
		if (!o)
			return -ENOMEM;
		if (escaped)
			unescape_map_path(path);
		if (rec) {
			o->rec = rec; /* the name is made from it if needed */
		} else {
			o->name = strdup(path);
			if (!o->name)
				return -ENOMEM;
		}
		o->dev = dev;
		o->ino = inode;
		o->secret = secret;
		o->id = s->id;
		s->nobjs++;
		/* map_files/ opens need CAP_SYS_ADMIN; without it the
		 * seals come from another holder at the end. */
		snprintf(mf, sizeof(mf), "map_files/%lx-%lx", lo, hi);
		if (memfd && rec) {
			/* the BPF record has what the map_files open gives */
			o->mode = rec->mode & 07777;
			o->size = rec->size;
			o->seals = rec->seals;
			o->stat_known = true;
		} else if (memfd) {
			MW_AUTOCLOSE int f = openat(s->dirfd, mf, O_RDONLY | O_CLOEXEC | O_NOCTTY);

			if (f >= 0 && !probe_open(f, o)) {
				drop_last_obj(s);
				return 0;
			}
			o->dev = dev; /* keep the map's numbering for lookups */
			o->ino = inode;
		}
	}
	o->mapped = true;
	o->mapped_bytes += hi - lo;
	if (x)
		o->mapped_exec = true;
	if (w && shared)
		o->mapped_wshared = true;
	return 0;
}

/* The text of /proc/PID/maps: any kernel. */
static int scan_maps_text(struct mw__audit_worker *s, size_t start, size_t sorted_end)
{
	ssize_t len = read_maps(s);
	char *line, *next;

	if (len < 0)
		return (int)len;
	for (line = s->maps; line && *line; line = next) {
		unsigned long lo, hi, off, inode;
		unsigned int maj, mnr;
		char perms[5];
		int pathpos = 0, r;
		char *path;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		/* cheap filter before sscanf: only memfd and secretmem lines */
		path = strchr(line, '/');
		if (!path || (strncmp(path, MEMFD_PREFIX, sizeof(MEMFD_PREFIX) - 1) &&
			      strncmp(path, SECRET_PREFIX, sizeof(SECRET_PREFIX) - 1)))
			continue;
		if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &lo, &hi, perms, &off, &maj, &mnr,
			   &inode, &pathpos) < 7 || pathpos == 0 || strlen(perms) != 4)
			continue;
		r = add_mapping(s, start, sorted_end, lo, hi, perms[1] == 'w', perms[2] == 'x',
				perms[3] == 's', makedev(maj, mnr), inode, line + pathpos, true, NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Is dev one where memfds or secret memory live (learned at the start of
 * the scan, plus the devices of memfds this process holds)? */
static bool memfd_dev(struct mw__audit_worker *s, size_t start, size_t sorted_end, uint64_t dev)
{
	for (unsigned int i = 0; i < s->sh->nmemdevs; i++)
		if (s->sh->memdevs[i] == dev)
			return true;
	for (size_t i = start; i < sorted_end; i++)
		if (s->objs[i].dev == dev)
			return true;
	return false;
}

/*
 * PROCMAP_QUERY (6.11+): walk the file-backed VMAs without formatting their
 * paths, and ask for the path only of VMAs on a memfd/secretmem device. The
 * text of maps spends most of its time in d_path() for every library line.
 * Returns -ENOTTY when the kernel lacks the ioctl (the caller falls back).
 */
static int scan_maps_query(struct mw__audit_worker *s, size_t start, size_t sorted_end)
{
	MW_AUTOCLOSE int fd = openat(s->dirfd, "maps", O_RDONLY | O_CLOEXEC);
	char name[PATH_MAX];
	uint64_t addr = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		struct procmap_query q = {
			.size = sizeof(q),
			.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA | PROCMAP_QUERY_FILE_BACKED_VMA,
			.query_addr = addr,
		};
		uint64_t dev;
		int r;

		if (ioctl(fd, PROCMAP_QUERY, &q) < 0) {
			if (errno == ENOENT)
				return 0; /* no VMA at or after addr */
			if (errno == ENOTTY || (errno == EINVAL && addr == 0))
				return -ENOTTY;
			return -errno;
		}
		addr = q.vma_end;
		dev = makedev(q.dev_major, q.dev_minor);
		if (!memfd_dev(s, start, sorted_end, dev))
			continue;
		q.query_flags = 0; /* exactly the VMA covering vma_start */
		q.query_addr = q.vma_start;
		q.vma_name_size = sizeof(name);
		q.vma_name_addr = (uint64_t)(uintptr_t)name;
		if (ioctl(fd, PROCMAP_QUERY, &q) < 0) {
			if (errno == ENOENT)
				continue; /* unmapped meanwhile */
			return -errno;
		}
		name[sizeof(name) - 1] = '\0';
		r = add_mapping(s, start, sorted_end, q.vma_start, q.vma_end,
				q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE,
				q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE,
				q.vma_flags & PROCMAP_QUERY_VMA_SHARED, dev, q.inode, name, false, NULL);
		if (r < 0)
			return r;
	}
}

/* The path /proc shows for a BPF record's object: "/NAME (deleted)". */
static const char *brec_path(const struct mw_brec *r, char *buf, size_t size)
{
	size_t n = r->namelen;

	if (size < n + sizeof(DELETED_SUFFIX) + 1) /* "/" + name + suffix + NUL */
		n = size - sizeof(DELETED_SUFFIX) - 1;
	buf[0] = '/';
	memcpy(buf + 1, r + 1, n);
	memcpy(buf + 1 + n, DELETED_SUFFIX, sizeof(DELETED_SUFFIX));
	return buf;
}

const char *mw__audit_obj_name(const struct mw__audit_obj *o, char *buf, size_t size)
{
	if (o->name || !o->rec)
		return o->name ? o->name : "";
	return brec_path(o->rec, buf, size);
}

static uint64_t brec_dev(const struct mw_brec *r)
{
	return makedev(r->dev >> 20, r->dev & 0xfffff);
}

/* The fd table from the BPF records: what scan_fds() finds. */
static int bpf_fds(struct mw__audit_worker *s)
{
	const struct mw__audit_bpf *b = s->sh->bpf;
	size_t end, i = mw__audit_bpf_find((const void *const *)b->fds, b->nfds, s->pid, &end);

	for (; i < end; i++) {
		const struct mw_brec *r = b->fds[i];
		struct mw__audit_obj *o = new_obj(s);

		if (!o)
			return -ENOMEM;
		o->rec = r; /* the name is made from it if a finding needs it */
		o->secret = r->flags & MW_BREC_SECRET;
		o->fd = r->fd;
		o->fd_writable = r->flags & MW_BREC_FD_WRITE;
		o->dev = brec_dev(r);
		o->ino = r->ino;
		o->mode = r->mode & 07777;
		o->size = r->size;
		o->seals = r->seals;
		o->stat_known = true;
		o->id = s->id;
		s->nobjs++;
	}
	return 0;
}

/* The memory map from the BPF records: what scan_maps() finds. */
static int bpf_maps(struct mw__audit_worker *s, size_t start, size_t sorted_end)
{
	const struct mw__audit_bpf *b = s->sh->bpf;
	char path[MW__AUDIT_NAME_MAX];
	size_t end, i = mw__audit_bpf_find((const void *const *)b->vmas, b->nvmas, s->pid, &end);

	for (; i < end; i++) {
		const struct mw_brec *r = b->vmas[i];
		int err;

		brec_path(r, path, sizeof(path));
		err = add_mapping(s, start, sorted_end, r->start, r->end, r->flags & MW_BREC_VM_WRITE,
				  r->flags & MW_BREC_VM_EXEC, r->flags & MW_BREC_VM_SHARED, brec_dev(r),
				  r->ino, path, false, r);
		if (err < 0)
			return err;
	}
	return 0;
}

static int scan_maps(struct mw__audit_worker *s, size_t start, size_t sorted_end)
{
	if (s->sh->bpf)
		return bpf_maps(s, start, sorted_end);
	if (!__atomic_load_n(&s->sh->no_query, __ATOMIC_RELAXED)) {
		int r = scan_maps_query(s, start, sorted_end);

		if (r != -ENOTTY)
			return r;
		__atomic_store_n(&s->sh->no_query, true, __ATOMIC_RELAXED);
	}
	return scan_maps_text(s, start, sorted_end);
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

bool mw__audit_content_sealed(int seals)
{
	return seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_SEAL)) == (F_SEAL_WRITE | F_SEAL_SEAL);
}

/* The executable: a memfd, an unlinked file, or neither. */
static int check_exe(struct mw__audit_worker *s)
{
	const char *exe = s->id->exe;
	size_t len = strlen(exe);
	struct mw__audit_ident *id;
	struct mw_audit_finding *f;
	char sn[96];

	if (!strncmp(exe, MEMFD_PREFIX, sizeof(MEMFD_PREFIX) - 1)) {
		struct mw__audit_obj o = { .seals = -1 };
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
		if (mw__audit_content_sealed(o.seals))
			f = ADD_LOCKED(s, id, MW_AUDIT_SEALED_EXEC, MW_AUDIT_LOW, exe,
					  "runs from a memfd whose contents are sealed (seals: %s): "
					  "the runc/crun self-protection pattern", sn);
		else if (o.seals < 0)
			f = ADD_LOCKED(s, id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_CRITICAL, exe,
					  "runs from a memfd whose seals cannot be read: fileless execution");
		else
			f = ADD_LOCKED(s, id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_CRITICAL, exe,
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
		f = ADD_LOCKED(s, id, MW_AUDIT_FILELESS_EXEC, wdir ? MW_AUDIT_HIGH : MW_AUDIT_MEDIUM,
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
static int check_ns(struct mw__audit_worker *s)
{
	char link[64];
	ssize_t len;
	uint64_t ino;
	struct mw__audit_ident *id;
	struct mw_audit_finding *f;
	char reason[256];
	int v;

	if (s->brec && s->brec->pidns) {
		ino = s->brec->pidns;
	} else {
		/* readlink gives "pid:[INODE]" for half the cost of a stat
		 * through nsfs (no nsfs dentry to find or make). */
		len = readlinkat(s->dirfd, "ns/pid", link, sizeof(link) - 1);
		if (len < 0)
			return 0;
		link[len] = '\0';
		if (sscanf(link, "pid:[%" SCNu64 "]", &ino) != 1)
			return 0;
	}
	s->id->pidns = ino;
	{
		struct mw__audit_shared *sh = s->sh;
		bool seen = false;

		pthread_mutex_lock(&sh->lock);
		for (size_t i = 0; i < sh->nns && !seen; i++)
			seen = sh->ns[i] == ino;
		if (!seen && sh->nns == sh->capns) {
			size_t cap = sh->capns ? sh->capns * 2 : 16;
			uint64_t *n = realloc(sh->ns, cap * sizeof(*n));

			if (!n) {
				pthread_mutex_unlock(&sh->lock);
				return -ENOMEM;
			}
			sh->ns = n;
			sh->capns = cap;
		}
		if (!seen)
			sh->ns[sh->nns++] = ino;
		pthread_mutex_unlock(&sh->lock);
		if (seen)
			return 0;
	}
	if (ino == s->sh->self_ns) {
		v = mw__audit_ns_noexec(-1, true, false, reason, sizeof(reason));
	} else {
		MW_AUTOCLOSE int nsfd = openat(s->dirfd, "ns/pid", O_RDONLY | O_CLOEXEC);

		if (nsfd < 0) {
			v = -1;
			snprintf(reason, sizeof(reason), "cannot open the namespace: %s", strerror(errno));
		} else {
			v = mw__audit_ns_noexec(nsfd, false, !(s->sh->flags & MW_AUDIT_F_NO_NS_PROBE),
						reason, sizeof(reason));
		}
	}
	id = need_ident(s);
	if (!id)
		return -ENOMEM;
	f = ADD_LOCKED(s, id, MW_AUDIT_NOEXEC_POLICY, MW_AUDIT_INFO, "",
			  "pid namespace %" PRIu64 ": %s%s", (uint64_t)ino,
			  v < 0 ? "unknown: " : "", reason);
	if (!f)
		return -ENOMEM;
	f->memfd_noexec = v;
	return 0;
}

/* One finding per process for its secret memory. */
static int check_secret(struct mw__audit_worker *s, size_t start)
{
	uint64_t bytes = 0;
	unsigned int areas = 0;
	int fd = -1;
	struct mw__audit_ident *id;
	struct mw_audit_finding *f;

	for (size_t i = start; i < s->nobjs; i++) {
		struct mw__audit_obj *o = &s->objs[i];

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
	f = ADD_LOCKED(s, id, MW_AUDIT_SECRETMEM, MW_AUDIT_INFO, "/secretmem (deleted)",
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
int mw__audit_scan_proc(struct mw__audit_worker *s, pid_t pid)
{
	char name[16], link[PATH_MAX + 16];
	MW_AUTOCLOSE int dirfd = -1;
		size_t start = s->nobjs, sorted_end;
	ssize_t len;
	int err = 0;

	snprintf(name, sizeof(name), "%d", (int)pid);
	dirfd = openat(s->sh->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		MW__AUDIT_COUNT(s, procs_seen);
		MW__AUDIT_COUNT(s, procs_vanished);
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
	s->pidfd = -1;
	s->pidfd_failed = false;
	s->exe_dev = s->exe_ino = 0;
	s->brec = NULL;
	if (s->sh->bpf) {
		const struct mw__audit_bpf *b = s->sh->bpf;
		size_t end, i = mw__audit_bpf_find((const void *const *)b->procs, b->nprocs, pid, &end);

		if (i < end)
			s->brec = b->procs[i];
	}

	if (s->sh->flags & MW_AUDIT_F_UID) {
		uid_t ruid, euid;

		if (s->brec) {
			ruid = s->brec->ruid;
			euid = s->brec->euid;
			err = 0;
		} else {
			err = read_status(dirfd, &ruid, &euid, NULL, 0);
		}
		if (err < 0) {
			MW__AUDIT_COUNT(s, procs_seen);
			MW__AUDIT_COUNT(s, procs_vanished);
			goto out;
		}
		s->id->uid = ruid;
		if (ruid != s->sh->uid && euid != s->sh->uid)
			goto out;
	}
	MW__AUDIT_COUNT(s, procs_seen);
	len = readlinkat(dirfd, "exe", link, sizeof(link) - 1);
	if (len < 0) {
		err = -errno;
		if (is_kernel_or_zombie(dirfd))
			MW__AUDIT_COUNT(s, procs_kernel); /* no mm: nothing to audit */
		else if (is_gone(err))
			MW__AUDIT_COUNT(s, procs_vanished);
		else
			MW__AUDIT_COUNT(s, procs_unreadable);
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
	err = s->sh->bpf ? bpf_fds(s) : scan_fds(s);
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
			MW__AUDIT_COUNT(s, procs_vanished);
		else
			MW__AUDIT_COUNT(s, procs_unreadable);
		err = 0;
		goto out;
	}
	for (size_t i = start; i < s->nobjs; i++)
		if (s->exe_ino && s->objs[i].dev == s->exe_dev && s->objs[i].ino == s->exe_ino)
			s->objs[i].is_exe = true;
	err = check_secret(s, start);
	if (err < 0)
		goto out;
	if (s->nobjs > start) {
		bool judge = false;

		for (size_t i = start; i < s->nobjs && !judge; i++)
			judge = may_judge(&s->objs[i]);
		if (judge ? !need_ident(s) : keep_ident(s) < 0) {
			err = -ENOMEM;
			goto out;
		}
	}
	MW__AUDIT_COUNT(s, procs_scanned);
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
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
	return err;
}

