/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's objects of one process: the memfds and secretmem it holds
 * (its fd table) and maps (its memory map), read through /proc (src/proc/)
 * or taken from the BPF iterators' records (bpf.c), merged by inode. The
 * process itself (exe, identity, a leader that exited) is read by proc.c.
 */
#include "sys/big.h"
#include "audit/collect.h"
#include "audit/bpf_rec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static struct mw__audit_obj *new_obj(struct mw__audit_collector *c)
{
	struct mw__audit_obj *o;

	if ((c->nobjs + 1) * sizeof(*o) > c->objs_size &&
	    mw__big_grow((void **)&c->objs, &c->objs_size, (c->nobjs + 1) * sizeof(*o)) < 0)
		return NULL;
	o = &c->objs[c->nobjs];
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	o->script_fd = -1;
	o->seals = -1;
	o->id = c->cur->id;
	return o;
}

static void set_info(struct mw__audit_obj *o, const struct mw__file_info *fi)
{
	o->dev = fi->dev;
	o->ino = fi->ino;
	o->mode = fi->mode;
	o->size = fi->size;
	o->seals = fi->seals;
	o->stat_known = true;
}

/* An fd whose link names a memfd or secretmem. */
static int add_fd(void *arg, int fd, const char *name, const char *link, const struct mw__link *l)
{
	struct mw__audit_collector *c = arg;
	struct mw__audit_obj *o = new_obj(c);
	struct mw__file_info fi;
	int fdfd = c->target.dirfd, acc;

	if (!o)
		return -ENOMEM;
	o->secret = l->cls == MW__LINK_SECRETMEM;
	o->fd = fd;
	if (!o->secret) {
		MW_AUTOCLOSE int f = mw__proc_fd_open(&c->target, fdfd, fd, name, &acc);

		if (f == -EBADF)
			return 0; /* closed meanwhile */
		if (f >= 0 && mw__file_info(f, &fi) == 0) {
			/* a name is only a name: a file called "memfd:x" on a
			 * private tmpfs is on another device (and a non-memfd
			 * shmem file answers F_GET_SEALS too) */
			if (fi.seals_err == EINVAL || fi.nlink || !mw__memdev_is_memfd(fi.dev, &o->hugetlb))
				return 0;
			set_info(o, &fi);
			o->fd_writable = acc != O_RDONLY;
		}
	}
	if (!o->stat_known) {
		struct stat st, lst;

		if (fstatat(fdfd, name, &st, 0) < 0 || fstatat(fdfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0)
			return 0;
		if (!o->secret && !mw__memdev_is_memfd(st.st_dev, &o->hugetlb))
			return 0;
		if (o->secret && mw__memdev_kind(st.st_dev) != MW__MEMDEV_SECRETMEM &&
		    mw__memdev_kind(st.st_dev) != MW__MEMDEV_UNKNOWN)
			return 0;
		o->dev = st.st_dev;
		o->ino = st.st_ino;
		o->mode = st.st_mode & 07777;
		o->size = (uint64_t)st.st_size;
		o->stat_known = o->secret;
		o->fd_writable = (lst.st_mode & S_IWUSR) != 0;
	}
	o->name = strdup(link);
	if (!o->name)
		return -ENOMEM;
	c->nobjs++;
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

/* Merge objects [start, nobjs) that are the same inode (several fds of one
 * memfd). Leaves them sorted. */
static void merge_objs(struct mw__audit_collector *c, size_t start)
{
	size_t w = start;

	if (c->nobjs - start < 2)
		return;
	qsort(c->objs + start, c->nobjs - start, sizeof(struct mw__audit_obj), mw__audit_cmp_obj);
	for (size_t i = start; i < c->nobjs; i++) {
		struct mw__audit_obj *o = &c->objs[i];

		if (w > start && c->objs[w - 1].dev == o->dev && c->objs[w - 1].ino == o->ino) {
			c->objs[w - 1].fd_writable |= o->fd_writable;
			free(o->name);
			continue;
		}
		if (w != i)
			c->objs[w] = *o;
		w++;
	}
	c->nobjs = w;
}

/* Find (dev, ino) among [start, nobjs): [start, sorted_end) is sorted. */
static struct mw__audit_obj *find_obj(struct mw__audit_collector *c, size_t start, size_t sorted_end,
				      uint64_t dev, uint64_t ino)
{
	struct mw__audit_obj key = { .dev = dev, .ino = ino, .fd = INT_MIN };
	size_t lo = start, hi = sorted_end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mw__audit_cmp_obj(&c->objs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sorted_end && c->objs[lo].dev == dev && c->objs[lo].ino == ino)
		return &c->objs[lo];
	for (size_t i = sorted_end; i < c->nobjs; i++)
		if (c->objs[i].dev == dev && c->objs[i].ino == ino)
			return &c->objs[i];
	return NULL;
}

struct map_walk {
	struct mw__audit_collector *c;
	size_t start, sorted_end;
	const struct mw_brec *rec;
};

/* A mapping found only through the maps: stat it through map_files (needs
 * CAP_SYS_ADMIN; without it the seals come from another holder). Returns
 * false when it is not a memfd after all. */
static bool stat_mapped(struct mw__audit_collector *c, struct mw__audit_obj *o, const struct mw__map *m)
{
	struct mw__file_info fi;
	char mf[64];
	MW_AUTOCLOSE int f = -1;

	snprintf(mf, sizeof(mf), "map_files/%" PRIx64 "-%" PRIx64, m->start, m->end);
	f = openat(c->dirfd, mf, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (f < 0 || mw__file_info(f, &fi) < 0)
		return mw__memdev_is_memfd(m->dev, &o->hugetlb);
	if (fi.seals_err == EINVAL || !mw__memdev_is_memfd(fi.dev, &o->hugetlb))
		return false;
	set_info(o, &fi);
	o->dev = m->dev; /* keep the map's numbering for lookups */
	o->ino = m->ino;
	return true;
}

/* Is the object of an executable mapping whose path /proc shows as deleted
 * really without a name? Through map_files (CAP_SYS_ADMIN): its link
 * count, and its contents hashed when a trusted binary has its size. Else
 * a file literally named "x (deleted)" is told apart by a stat of the
 * path as shown: the same inode means it still has that name. */
static bool stat_unnamed(struct mw__audit_collector *c, struct mw__audit_obj *o, const struct mw__map *m)
{
	struct mw__file_info fi;
	struct stat st;
	char mf[64];
	MW_AUTOCLOSE int f = -1;

	snprintf(mf, sizeof(mf), "map_files/%" PRIx64 "-%" PRIx64, m->start, m->end);
	f = openat(c->dirfd, mf, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (f < 0 || mw__file_info(f, &fi) < 0)
		return !(stat(m->path, &st) == 0 && st.st_dev == m->dev && st.st_ino == m->ino);
	if (fi.nlink)
		return false;
	o->root_owned = fi.uid == 0;
	o->mode = fi.mode;
	o->size = fi.size;
	o->stat_known = true;
	for (size_t i = 0; i < c->env->ntrusted_sizes && !o->hashed; i++)
		if (c->env->trusted_sizes[i] == fi.size)
			o->hashed = mw__audit_hash_exe(c->env->hashes, f, &fi, o->sha256) == 0;
	return true;
}

static int add_map(void *arg, const struct mw__map *m)
{
	struct map_walk *mw = arg;
	struct mw__audit_collector *c = mw->c;
	bool secret = m->link.cls == MW__LINK_SECRETMEM;
	struct mw__audit_obj *o = find_obj(c, mw->start, mw->sorted_end, m->dev, m->ino);

	if (!o && m->link.cls != MW__LINK_MEMFD && !secret) {
		/* an executable mapping of an object with no name */
		o = new_obj(c);
		if (!o)
			return -ENOMEM;
		o->dev = m->dev;
		o->ino = m->ino;
		o->unnamed = true;
		if (!stat_unnamed(c, o, m))
			return 0;
		o->name = strdup(m->path);
		if (!o->name)
			return -ENOMEM;
		c->nobjs++;
	} else if (!o) {
		o = new_obj(c);
		if (!o)
			return -ENOMEM;
		o->dev = m->dev;
		o->ino = m->ino;
		o->secret = secret;
		if (mw->rec) {
			o->rec = mw->rec; /* the name is made from it if needed */
			o->mode = mw->rec->mode & 07777;
			o->size = mw->rec->size;
			o->seals = mw->rec->seals;
			o->stat_known = true;
		} else {
			if (!secret && !stat_mapped(c, o, m))
				return 0;
			o->name = strdup(m->path);
			if (!o->name)
				return -ENOMEM;
		}
		c->nobjs++;
	}
	o->mapped = true;
	o->mapped_bytes += m->end - m->start;
	if (m->prot & MW__MAP_X)
		o->mapped_exec = true;
	if ((m->prot & (MW__MAP_W | MW__MAP_S)) == (MW__MAP_W | MW__MAP_S))
		o->mapped_wshared = true;
	return 0;
}

/* The path /proc shows for a BPF record's object: "/NAME (deleted)". */
static const char *brec_path(const struct mw_brec *r, char *buf, size_t size)
{
	size_t n = r->namelen;

	if (size < n + sizeof(MW_PROC_DELETED) + 1) /* "/" + name + suffix + NUL */
		n = size - sizeof(MW_PROC_DELETED) - 1;
	buf[0] = '/';
	memcpy(buf + 1, r + 1, n);
	memcpy(buf + 1 + n, MW_PROC_DELETED, sizeof(MW_PROC_DELETED));
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

/* The fd table from the BPF records. */
static int bpf_fds(struct mw__audit_collector *c, pid_t pid)
{
	const struct mw__audit_bpf *b = c->env->bpf;
	size_t end, i = mw__audit_bpf_find((const void *const *)b->fds, b->nfds, pid, &end);

	for (; i < end; i++) {
		const struct mw_brec *r = b->fds[i];
		struct mw__audit_obj *o;

		if (!(r->flags & MW_BREC_SECRET) && !mw__memdev_is_memfd(brec_dev(r), NULL))
			continue; /* "memfd:" named file on another mount */
		o = new_obj(c);
		if (!o)
			return -ENOMEM;
		o->rec = r;
		o->secret = r->flags & MW_BREC_SECRET;
		mw__memdev_is_memfd(brec_dev(r), &o->hugetlb);
		o->fd = r->fd;
		o->fd_writable = r->flags & MW_BREC_FD_WRITE;
		o->dev = brec_dev(r);
		o->ino = r->ino;
		o->mode = r->mode & 07777;
		o->size = r->size;
		o->seals = r->seals;
		o->stat_known = true;
		c->nobjs++;
	}
	return 0;
}

/* The memory map from the BPF records. */
static int bpf_maps(struct map_walk *mw, pid_t pid)
{
	const struct mw__audit_bpf *b = mw->c->env->bpf;
	char path[MW__AUDIT_NAME_MAX];
	size_t end, i = mw__audit_bpf_find((const void *const *)b->vmas, b->nvmas, pid, &end);

	/* an executable mapping of an unnamed file: the records give its
	 * name, not its path (the rules judge by directory): the maps are
	 * read through /proc instead */
	for (size_t k = i; k < end; k++)
		if (b->vmas[k]->flags & MW_BREC_UNNAMED)
			return 1;
	for (; i < end; i++) {
		const struct mw_brec *r = b->vmas[i];
		struct mw__map m = {
			.start = r->start, .end = r->end, .ino = r->ino, .dev = brec_dev(r),
			.prot = ((r->flags & MW_BREC_VM_WRITE) ? MW__MAP_W : 0) |
				((r->flags & MW_BREC_VM_EXEC) ? MW__MAP_X : 0) |
				((r->flags & MW_BREC_VM_SHARED) ? MW__MAP_S : 0),
		};
		int err;

		if (!(r->flags & MW_BREC_SECRET) && !mw__memdev_is_memfd(m.dev, NULL))
			continue;
		m.path = brec_path(r, path, sizeof(path));
		mw__link_classify(m.path, strlen(m.path), &m.link);
		mw->rec = r;
		err = add_map(mw, &m);
		if (err < 0)
			return err;
	}
	return 0;
}

static int read_maps(struct mw__audit_collector *c, size_t start, pid_t pid)
{
	struct map_walk mw = { .c = c, .start = start, .sorted_end = c->nobjs };
	dev_t extra[64];
	size_t n = 0;
	int r;

	/* (a process whose map the iterator could not walk: through /proc) */
	if (c->env->bpf && !c->cur->via_thread && !c->force_proc &&
	    !(c->brec && (c->brec->flags & MW_BREC_PROC_NO_MAPS))) {
		r = bpf_maps(&mw, pid);
		if (r <= 0)
			return r;
	}
	/* devices of the memfds it holds (a hugetlb size not learned) */
	for (size_t i = start; i < c->nobjs && n < 64; i++)
		if (!n || extra[n - 1] != c->objs[i].dev)
			extra[n++] = c->objs[i].dev;
	c->maps.extra_devs = extra;
	c->maps.nextra = n;
	c->maps.text_only |= c->env->text_maps;
	c->maps.exec_unnamed = true;
	c->maps.use_fd = c->have_mm;
	c->maps.fd = c->mmfd;
	r = mw__audit_proc_dir(c);
	if (r >= 0)
		r = mw__proc_maps_walk(c->dirfd, &c->maps, add_map, &mw);
	c->maps.use_fd = false;
	c->maps.extra_devs = NULL;
	c->maps.nextra = 0;
	return r;
}

void mw__audit_drop_objs(struct mw__audit_collector *c, size_t start)
{
	for (size_t i = start; i < c->nobjs; i++)
		free(c->objs[i].name);
	c->nobjs = start;
}

bool mw__audit_bpf_one_exec(const struct mw__audit_bpf *b, const struct mw_brec_proc *pr)
{
	size_t end, i = mw__audit_bpf_find((const void *const *)b->fds, b->nfds, (pid_t)pr->pid, &end);

	for (; i < end; i++)
		if (b->fds[i]->exec_id != pr->exec_id)
			return false;
	i = mw__audit_bpf_find((const void *const *)b->vmas, b->nvmas, (pid_t)pr->pid, &end);
	for (; i < end; i++)
		if (b->vmas[i]->exec_id != pr->exec_id)
			return false;
	return true;
}

/* During a long fd walk through /proc: does the maps file opened with the
 * exe link still read (the memory of that moment; an exec released it)?
 * A process that exec'd meanwhile is read again anyway (its walk would be
 * thrown away), so 10,000 fds are not read in vain. -ESRCH when not. */
static int still_same_mm(void *arg)
{
	struct mw__audit_collector *c = arg;
	char b;

	if (!c->have_mm || pread(c->mmfd, &b, 1, 0) == 1)
		return 0;
	return -ESRCH;
}

int mw__audit_read_objs(struct mw__audit_collector *c, pid_t pid, size_t start)
{
	int err;

	if (c->env->bpf && !c->cur->via_thread && !c->force_proc) {
		err = bpf_fds(c, pid);
	} else {
		MW_AUTOCLOSE int fdfd = mw__audit_proc_dir(c) < 0 ? -1
					: openat(c->dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fdfd < 0)
			return -errno;
		c->target.dirfd = fdfd;
		err = mw__proc_fd_walk_checked(fdfd, (1u << MW__LINK_MEMFD) | (1u << MW__LINK_SECRETMEM), add_fd,
					       c, still_same_mm);
		c->target.dirfd = -1;
	}
	if (err)
		return err;
	/* every fd on a memfd, before the merge keeps the lowest of each:
	 * the fds a command line names are looked up here (proc.c) */
	c->nmemfds = 0;
	for (size_t i = start; i < c->nobjs; i++) {
		const struct mw__audit_obj *o = &c->objs[i];

		if (o->fd < 0 || o->secret)
			continue;
		if (c->nmemfds == c->capmemfds) {
			size_t cap = c->capmemfds ? 2 * c->capmemfds : 64;
			struct mw__audit_fdref *v = realloc(c->memfds, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->memfds = v;
			c->capmemfds = cap;
		}
		c->memfds[c->nmemfds++] = (struct mw__audit_fdref){ o->fd, o->dev, o->ino };
	}
	merge_objs(c, start);
	return read_maps(c, start, pid);
}
