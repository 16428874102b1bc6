/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memfds of one process, through the /proc layer (src/proc/): its fd
 * table, another process's open file (pidfd_getfd, then a reopen), its
 * maps. See include/memward/inspect.h.
 *
 * The exec verdict states what is possible now, not what the seals suggest
 * (kernel facts checked on 6.18 and the 6.1/6.12 guests):
 *  - a memfd mapped executable runs code now, whatever its mode and seals
 *    (mmap(PROT_EXEC) is decided by the mount, and the internal one allows
 *    it);
 *  - secretmem lives on a noexec mount: mmap(PROT_EXEC) is EPERM and execve
 *    EACCES, though fchmod works on it;
 *  - hugetlbfs accepts F_SEAL_EXEC but never checks it (hugetlbfs_setattr):
 *    chmod +x works, so a hugetlb memfd is never exec-sealed;
 *  - on tmpfs a POSIX ACL sets the mode around shmem_setattr()'s F_SEAL_EXEC
 *    check (found on 6.18): an access ACL with exec bits on an exec-sealed
 *    memfd makes it executable, and the verdict reads the mode after it.
 */
#include <memward/features.h>
#include <memward/inspect.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/seals.h"
#include "proc/fdexec.h"
#include "proc/proc.h"
#include "sys/shim.h"

#define MEM_CLASSES ((1u << MW__LINK_MEMFD) | (1u << MW__LINK_SECRETMEM))

/* The memfd mappings of the process. */
struct maps {
	struct mw__map *v;
	char **paths;
	bool *claimed;
	size_t n, cap;
};

struct ctx {
	pid_t pid;
	int dirfd, fdfd;
	struct mw__proc_target t;
	struct maps m;
	struct mw_inspect_report r;
	size_t cap;
};

static int keep_map(void *arg, const struct mw__map *mp)
{
	struct maps *m = arg;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct mw__map *v = realloc(m->v, cap * sizeof(*v));
		char **p = v ? realloc(m->paths, cap * sizeof(*p)) : NULL;
		bool *c = p ? realloc(m->claimed, cap * sizeof(*c)) : NULL;

		if (v)
			m->v = v;
		if (p)
			m->paths = p;
		if (!c)
			return -ENOMEM;
		m->claimed = c;
		m->cap = cap;
	}
	m->paths[m->n] = strdup(mp->path);
	if (!m->paths[m->n])
		return -ENOMEM;
	m->v[m->n] = *mp;
	m->v[m->n].path = m->paths[m->n];
	/* the class's name points into the path: into our copy */
	mw__link_classify(m->paths[m->n], strlen(m->paths[m->n]), &m->v[m->n].link);
	m->claimed[m->n] = false;
	m->n++;
	return 0;
}

static void free_maps(struct maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->paths[i]);
	free(m->v);
	free(m->paths);
	free(m->claimed);
}

static void say(struct mw_inspect_entry *e, int possible, const char *text)
{
	e->exec_possible = possible;
	snprintf(e->exec_text, sizeof(e->exec_text), "%s", text);
}

static void verdict_secret(struct mw_inspect_entry *e)
{
	e->exec_now = e->map_exec;
	/* secretmem's mount is noexec (checked: mmap PROT_EXEC EPERM, execveat
	 * EACCES on 6.18), but its mode can change (fchmod works) */
	say(e, e->map_exec ? 1 : 0, e->map_exec ? "yes: mapped executable now"
			: "no: secret memory is on a noexec mount (its mode can change, exec cannot)");
}

/*
 * The verdict. For a memfd the facts come from proc/fdexec.h (the one source
 * of this kernel knowledge, shared with share and memfd) when we hold the
 * file; without it (mapped only, no map_files rights) from the mode, seals
 * and device read through /proc.
 */
static void analyse_exec(struct mw_inspect_entry *e, const struct mw__fd_facts *fx)
{
	bool acl = fx && fx->acl, later;

	e->exec_seal_supported = mw_feature_state(MW_FEAT_SEAL_EXEC) == MW_FEATURE_SUPPORTED;
	e->exec_bits = e->mode >= 0 && (e->mode & 0111);
	if (e->kind == MW_INSPECT_SECRETMEM)
		return verdict_secret(e);
	if (fx)
		e->hugetlb = fx->hugetlbfs;
	/* hugetlbfs accepts F_SEAL_EXEC and never checks it */
	e->exec_sealed = fx ? fx->exec_sealed : e->seals >= 0 && (e->seals & F_SEAL_EXEC) && !e->hugetlb;
	e->write_sealed = e->seals >= 0 && (e->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
	e->exec_now = e->map_exec || e->exec_bits;
	if (e->map_exec)
		return say(e, 1, e->exec_bits ? "yes: mapped executable now, exec bits set"
					      : "yes: mapped executable now (mode and seals do not matter)");
	if (e->mode < 0)
		return say(e, -1, "unknown (mode unreadable)");
	if (e->exec_bits) {
		if (e->exec_sealed)
			return say(e, 1, acl ? "yes: exec bits set by a POSIX ACL despite F_SEAL_EXEC"
					     : "yes: exec bits set (F_SEAL_EXEC keeps them from being removed)");
		if (e->hugetlb && e->seals >= 0 && (e->seals & F_SEAL_EXEC))
			return say(e, 1, "yes: exec bits set (hugetlbfs ignores F_SEAL_EXEC)");
		return say(e, 1, e->exec_seal_supported ? "yes: exec bits set, not exec-sealed"
							: "yes: exec bits set (exec seal unsupported)");
	}
	if (e->hugetlb)
		return say(e, 1, "after chmod: no exec bit now; hugetlbfs ignores F_SEAL_EXEC");
	if (e->seals < 0)
		return say(e, -1, "unknown: no exec bit, seals unreadable");
	if (!e->exec_sealed)
		return say(e, 1, e->exec_seal_supported ? "after chmod: no exec bit, not exec-sealed"
							: "after chmod: no exec bit (exec seal unsupported)");
	/* exec-sealed tmpfs memfd without exec bits: chmod is refused, but a
	 * POSIX ACL may set the mode around the seal (6.18) */
	later = fx ? fx->exec_later : mw__acl_exec_probe() != 0;
	if (later)
		return say(e, 1, "after an ACL change: no exec bit and F_SEAL_EXEC, but this kernel "
				 "lets a POSIX ACL add exec bits (its owner can)");
	return say(e, 0, "no: no exec bit, F_SEAL_EXEC (chmod and ACLs refused)");
}

static void fill_from(struct mw_inspect_entry *e, const struct mw__file_info *fi)
{
	e->inode = fi->ino;
	e->dev = fi->dev;
	e->size = (int64_t)fi->size;
	e->mode = (int)fi->mode;
	e->seals = fi->seals;
	e->seals_error = fi->seals < 0 ? fi->seals_err : 0;
}

static struct mw_inspect_entry *push(struct ctx *c)
{
	struct mw_inspect_entry *e;

	if (c->r.count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct mw_inspect_entry **nv = realloc(c->r.entries, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		c->r.entries = nv;
		c->cap = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->sz = sizeof(*e);
	e->fd = -1;
	e->size = -1;
	e->mode = -1;
	e->fd_access = -1;
	e->seals = -1;
	c->r.entries[c->r.count++] = e;
	return e;
}

static void add_mapping(struct mw_inspect_entry *e, const struct mw__map *m)
{
	e->mapped = true;
	e->map_read |= !!(m->prot & MW__MAP_R);
	e->map_write |= !!(m->prot & MW__MAP_W);
	e->map_exec |= !!(m->prot & MW__MAP_X);
	e->map_shared |= !!(m->prot & MW__MAP_S);
	if (e->nmappings < MW_INSPECT_MAX_MAPPINGS) {
		struct mw_inspect_mapping *mp = &e->mappings[e->nmappings];

		mp->start = m->start;
		mp->end = m->end;
		mp->offset = m->offset;
		mp->perms[0] = (m->prot & MW__MAP_R) ? 'r' : '-';
		mp->perms[1] = (m->prot & MW__MAP_W) ? 'w' : '-';
		mp->perms[2] = (m->prot & MW__MAP_X) ? 'x' : '-';
		mp->perms[3] = (m->prot & MW__MAP_S) ? 's' : 'p';
		mp->perms[4] = '\0';
	}
	e->nmappings++;
}

/* Mappings of the entry's inode (names are not unique). */
static void match_maps(struct mw_inspect_entry *e, struct maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->claimed[i] && m->v[i].ino == e->inode && (uint64_t)m->v[i].dev == e->dev) {
			m->claimed[i] = true;
			add_mapping(e, &m->v[i]);
		}
}

static void seals_text(struct mw_inspect_entry *e)
{
	if (e->kind == MW_INSPECT_SECRETMEM)
		snprintf(e->seals_text, sizeof(e->seals_text), "n/a");
	else if (e->seals >= 0)
		mw__seals_string((unsigned int)e->seals, e->seals_text, sizeof(e->seals_text));
	else
		snprintf(e->seals_text, sizeof(e->seals_text), "unknown");
}

/* The access mode from fdinfo "flags:" (when pidfd_getfd could not tell). */
static int fdinfo_access(struct ctx *c, int fd)
{
	char path[48], buf[512];
	const char *p;

	snprintf(path, sizeof(path), "fdinfo/%d", fd);
	if (mw__proc_read_at(c->dirfd, path, buf, sizeof(buf)) < 0 || !(p = strstr(buf, "flags:")))
		return -1;
	return (int)(strtoul(p + 6, NULL, 8) & O_ACCMODE);
}

static int add_fd(void *arg, int fd, const char *name, const char *link, const struct mw__link *l)
{
	struct ctx *c = arg;
	struct mw_inspect_entry *e;
	struct mw__file_info fi;
	MW_AUTOCLOSE int f = -1;
	int acc = -1;

	if (l->cls == MW__LINK_MEMFD) {
		f = mw__proc_fd_open(&c->t, c->fdfd, fd, name, &acc);
		if (f == -EBADF)
			return 0; /* closed meanwhile */
		/* a name is only a name: "memfd:x" on a private tmpfs is no memfd */
		if (f >= 0 && mw__file_info(f, &fi) == 0 &&
		    (fi.seals_err == EINVAL || !mw__memdev_is_memfd(fi.dev, NULL)))
			return 0;
	}
	(void)link;
	e = push(c);
	if (!e)
		return -ENOMEM;
	e->fd = fd;
	e->kind = l->cls == MW__LINK_SECRETMEM ? MW_INSPECT_SECRETMEM : MW_INSPECT_MEMFD;
	if (e->kind == MW_INSPECT_MEMFD)
		mw__link_memfd_name(l, e->name, sizeof(e->name));
	if (f >= 0) {
		fill_from(e, &fi);
		mw__memdev_is_memfd(fi.dev, &e->hugetlb);
	} else {
		struct stat st;

		e->seals_error = e->kind == MW_INSPECT_SECRETMEM ? EINVAL : -f;
		if (fstatat(c->fdfd, name, &st, 0) == 0) {
			e->inode = st.st_ino;
			e->dev = st.st_dev;
			e->size = st.st_size;
			e->mode = (int)(st.st_mode & 07777);
			mw__memdev_is_memfd(st.st_dev, &e->hugetlb);
		}
		if (e->kind == MW_INSPECT_SECRETMEM)
			e->hugetlb = false;
	}
	e->fd_access = acc >= 0 && f >= 0 && !c->t.pidfd_failed ? acc : fdinfo_access(c, fd);
	match_maps(e, &c->m);
	seals_text(e);
	{
		struct mw__fd_facts fx;

		analyse_exec(e, f >= 0 && mw__fd_facts(f, 0, &fx) == 0 ? &fx : NULL);
	}
	return 0;
}

/* Memfds that are mapped but no longer open: one entry per inode. */
static int add_mapped_only(struct ctx *c)
{
	for (size_t i = 0; i < c->m.n; i++) {
		const struct mw__map *m = &c->m.v[i];
		struct mw_inspect_entry *e;
		struct mw__file_info fi;
		char path[96];
		MW_AUTOCLOSE int f = -1;

		if (c->m.claimed[i])
			continue;
		e = push(c);
		if (!e)
			return -ENOMEM;
		e->kind = m->link.cls == MW__LINK_SECRETMEM ? MW_INSPECT_SECRETMEM : MW_INSPECT_MEMFD;
		if (e->kind == MW_INSPECT_MEMFD)
			mw__link_memfd_name(&m->link, e->name, sizeof(e->name));
		e->inode = m->ino;
		e->dev = m->dev;
		/* map_files needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE;
		 * without it size, mode and seals stay unknown. */
		snprintf(path, sizeof(path), "map_files/%" PRIx64 "-%" PRIx64, m->start, m->end);
		f = openat(c->dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (f >= 0 && mw__file_info(f, &fi) == 0) {
			fill_from(e, &fi);
			e->inode = m->ino; /* the map's numbering */
			e->dev = m->dev;
		} else {
			e->seals_error = f >= 0 ? 0 : errno;
		}
		mw__memdev_is_memfd(m->dev, &e->hugetlb);
		if (e->kind == MW_INSPECT_SECRETMEM)
			e->hugetlb = false;
		match_maps(e, &c->m);
		seals_text(e);
		{
			struct mw__fd_facts fx;

			analyse_exec(e, f >= 0 && mw__fd_facts(f, 0, &fx) == 0 ? &fx : NULL);
		}
	}
	return 0;
}

static int cmp_fd(const void *a, const void *b)
{
	const struct mw_inspect_entry *x = *(const struct mw_inspect_entry *const *)a;
	const struct mw_inspect_entry *y = *(const struct mw_inspect_entry *const *)b;

	return (x->fd > y->fd) - (x->fd < y->fd);
}

/* One fd of the process. */
static int inspect_one(struct ctx *c, int fd)
{
	char name[16], link[PATH_MAX];
	struct mw__link l;
	ssize_t n;

	snprintf(name, sizeof(name), "%d", fd);
	n = readlinkat(c->fdfd, name, link, sizeof(link) - 1);
	if (n < 0)
		return errno == ENOENT ? -EBADF : -errno;
	link[n] = '\0';
	if (!(MEM_CLASSES & (1u << mw__link_classify(link, (size_t)n, &l))))
		return -EMEDIUMTYPE;
	n = (ssize_t)c->r.count;
	if (add_fd(c, fd, name, link, &l) < 0)
		return -ENOMEM;
	return c->r.count > (size_t)n ? 0 : -EMEDIUMTYPE; /* "memfd:" on another mount */
}

static int run(struct ctx *c, int fd)
{
	char path[32];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d", (int)c->pid);
	c->dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	mw__proc_target_init(&c->t, c->dirfd, c->pid);
	/* Opening fd/ first tells "no permission" apart from "no such fd". */
	c->fdfd = openat(c->dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->fdfd < 0)
		return errno == ENOENT ? -ESRCH : (errno == EPERM || errno == EACCES) ? -EACCES : -errno;
	{
		struct mw__maps mm = { 0 };

		ret = mw__proc_maps_walk(c->dirfd, &mm, keep_map, &c->m);
		mw__maps_done(&mm);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0)
			c->r.maps_error = -ret;
	}
	if (fd >= 0)
		return inspect_one(c, fd);
	ret = mw__proc_fd_walk(c->fdfd, MEM_CLASSES, add_fd, c);
	if (ret == -ENOENT)
		ret = -ESRCH; /* exited while listed */
	if (ret < 0)
		return ret;
	if (c->r.count > 1)
		qsort(c->r.entries, c->r.count, sizeof(*c->r.entries), cmp_fd);
	return add_mapped_only(c);
}

MW_API int mw_inspect_pid(pid_t pid, int fd, struct mw_inspect_report *out)
{
	struct ctx c = { .pid = pid, .dirfd = -1, .fdfd = -1 };
	size_t need = offsetof(struct mw_inspect_report, entries) + sizeof(out->entries);
	int ret;

	if (!out || pid <= 0 || out->sz < need)
		return -EINVAL;
	c.r.sz = out->sz;
	c.r.pid = pid;
	ret = run(&c, fd);
	mw__proc_target_done(&c.t);
	if (c.fdfd >= 0)
		close(c.fdfd);
	if (c.dirfd >= 0)
		close(c.dirfd);
	free_maps(&c.m);
	if (ret < 0) {
		mw_inspect_report_free(&c.r);
		return ret;
	}
	memcpy(out, &c.r, out->sz < sizeof(c.r) ? out->sz : sizeof(c.r));
	return 0;
}

MW_API void mw_inspect_report_free(struct mw_inspect_report *report)
{
	if (!report)
		return;
	for (size_t i = 0; i < report->count; i++)
		free(report->entries[i]);
	free(report->entries);
	report->entries = NULL;
	report->count = 0;
}

MW_API const char *mw_inspect_kind_name(enum mw_inspect_kind kind)
{
	switch (kind) {
	case MW_INSPECT_MEMFD: return "memfd";
	case MW_INSPECT_SECRETMEM: return "secretmem";
	}
	return NULL;
}
