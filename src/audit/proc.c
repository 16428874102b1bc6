/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's /proc collector: one process's exe, pid namespace and
 * identity, through the /proc layer (src/proc/); its fd table and memory
 * map, as objects (internal.h), are read by objs.c. It makes no findings:
 * src/audit/rules.c does. When the
 * BPF iterators ran (bpf.c), the fd table, the maps, the uids, comm and
 * pid namespace come from their records instead.
 *
 * Through /proc, everything is read relative to an O_PATH fd of /proc/PID,
 * so a pid reused mid-scan cannot mix two processes: once the first process
 * is gone every read through the old fd fails with ESRCH/ENOENT and the
 * process is counted as vanished. A process read from BPF records has its
 * exe link and cmdline read as /proc/PID/...: its start time and exec count,
 * checked at the end of the scan, tell a reused pid (and the process is then
 * read again, through an fd); the directory is opened only when more is
 * read. A process whose thread-group leader called exit() while its
 * other threads run is read through one of those threads
 * (/proc/PID/task/TID: same fd table and mm), since the leader's own exe
 * and maps are empty then.
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

int mw__audit_read_status(int dirfd, uid_t *ruid, uid_t *euid, char *comm, size_t size)
{
	char buf[2048];
	ssize_t n = mw__proc_read_at(dirfd, "status", buf, sizeof(buf));
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

int mw__audit_proc_dir(struct mw__audit_collector *c)
{
	if (c->dirfd < 0) {
		c->dirfd = openat(c->env->procfd, c->pidname, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->dirfd < 0)
			return -errno;
	}
	return c->dirfd;
}

/* mw__proc_read_at() of a file of the current process: through its
 * directory fd, or as PID/name from /proc when it has none (two syscalls
 * fewer per process read from BPF records, whose generation check at the
 * end of the scan finds a pid gone to another process meanwhile). */
static ssize_t proc_read(struct mw__audit_collector *c, const char *name, char *buf, size_t size)
{
	char path[48];

	if (c->dirfd >= 0)
		return mw__proc_read_at(c->dirfd, name, buf, size);
	snprintf(path, sizeof(path), "%s/%s", c->pidname, name);
	return mw__proc_read_at(c->env->procfd, path, buf, size);
}

/* The cgroup, container and pod of the current process. With a key from
 * the BPF records, each distinct cgroup text is read once per collector and
 * scan (the text depends only on the task's cgroups and on the reader's
 * cgroup namespace): its css_set (every hierarchy). */
static char *read_cgroup(struct mw__audit_collector *c, char **container, char **pod)
{
	char text[4096], path[1024], id[80], pu[48];
	const struct mw_brec_proc *pr = c->brec && !c->force_proc ? c->brec : NULL;
	uint64_t cgid = pr ? pr->cset : 0;
	ssize_t n;

	for (size_t i = 0; cgid && i < c->ncg; i++)
		if (c->cg[i].id == cgid) {
			*container = strdup(c->cg[i].container);
			*pod = strdup(c->cg[i].pod);
			return strdup(c->cg[i].path);
		}
	n = proc_read(c, "cgroup", text, sizeof(text));
	if (n < 0)
		text[0] = '\0';
	mw__audit_pick_cgroup(text, path, sizeof(path));
	mw__audit_container(text, id, sizeof(id), pu, sizeof(pu));
	if (cgid && c->ncg < 4096) {
		void *nv = c->ncg == c->capcg ? realloc(c->cg, (c->capcg ? c->capcg * 2 : 16) * sizeof(*c->cg))
					      : c->cg;

		if (nv) {
			if (c->ncg == c->capcg)
				c->capcg = c->capcg ? c->capcg * 2 : 16;
			c->cg = nv;
			c->cg[c->ncg].id = cgid;
			c->cg[c->ncg].path = strdup(path);
			c->cg[c->ncg].container = strdup(id);
			c->cg[c->ncg].pod = strdup(pu);
			if (c->cg[c->ncg].path && c->cg[c->ncg].container && c->cg[c->ncg].pod)
				c->ncg++;
			else {
				free(c->cg[c->ncg].path);
				free(c->cg[c->ncg].container);
				free(c->cg[c->ncg].pod);
			}
		}
	}
	*container = strdup(id);
	*pod = strdup(pu);
	return strdup(path);
}

/* Fill comm, cmdline, cgroup, uid of the current process, once. */
int mw__audit_proc_ident(struct mw__audit_collector *c)
{
	struct mw__audit_proc *p = c->cur;
	struct mw__audit_ident *id = p->id;
	const struct mw_brec_proc *pr = c->brec;
	char buf[4096];
	uid_t ruid, euid;
	ssize_t len;
	bool keep;

	if (p->id_loaded)
		return 0;
	p->id_loaded = true;
	id->cgroup = read_cgroup(c, &id->container, &id->pod);
	if (!id->cgroup || !id->container || !id->pod)
		return -ENOMEM;
	if (pr) {
		/* comm and uids from the BPF record: no /proc/PID/status */
		id->comm = strndup((const char *)(pr + 1), pr->namelen);
		if (id->uid == (uid_t)-1)
			id->uid = pr->ruid;
	} else {
		id->comm = calloc(1, 64);
		if (id->comm && mw__audit_read_status(c->dirfd, &ruid, &euid, id->comm, 64) == 0 &&
		    id->uid == (uid_t)-1)
			id->uid = ruid;
	}
	if (!id->comm)
		return -ENOMEM;
	/* cmdline: NUL-separated arguments, joined by spaces; read also
	 * where it is not kept when the process holds a memfd, for the fds
	 * its arguments name (a script read from one) */
	keep = !(c->env->flags & MW_AUDIT_F_NO_CMDLINE);
	len = mw__audit_scripts(c, p);
	if (len > 0) {
		if (len > (ssize_t)sizeof(buf) - 1)
			len = (ssize_t)sizeof(buf) - 1;
		memcpy(buf, c->args, (size_t)len);
	} else if (len == -ENOENT) { /* holds no memfd: nothing read */
		len = keep ? proc_read(c, "cmdline", buf, sizeof(buf)) : 0;
	}
	if (len < 0 || !keep)
		len = 0;
	for (ssize_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	buf[len] = '\0';
	id->cmdline = strdup(buf);
	return id->cmdline ? 0 : -ENOMEM;
}

/* The executable: kind, and for a memfd its seals, mode and contents hash. */
static void read_exe(struct mw__audit_collector *c, const char *link, size_t len)
{
	struct mw__audit_exe *e = &c->cur->exe;
	enum mw__link_class cls = mw__link_classify(link, len, NULL);
	MW_AUTOCLOSE int fd = -1;

	if (cls != MW__LINK_MEMFD && cls != MW__LINK_DELETED && cls != MW__LINK_SYSV_SHM &&
	    cls != MW__LINK_SHMEM_ANON && cls != MW__LINK_SECRETMEM)
		return;
	if (mw__audit_proc_dir(c) >= 0)
		fd = openat(c->dirfd, "exe", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd >= 0 && mw__file_info(fd, &e->fi) == 0) {
		e->info_known = true;
		e->root_owned = e->fi.uid == 0;
	} else {
		struct stat st;

		if (c->dirfd >= 0 && fstatat(c->dirfd, "exe", &st, 0) == 0) {
			e->fi.dev = st.st_dev;
			e->fi.ino = st.st_ino;
			e->fi.mode = st.st_mode & 07777;
			e->fi.size = (uint64_t)st.st_size;
			e->fi.seals = -1;
			e->root_owned = st.st_uid == 0;
		}
	}
	e->kind = MW__EXE_DELETED;
	if (cls == MW__LINK_MEMFD && mw__memdev_is_memfd(e->fi.dev, &e->hugetlb))
		e->kind = MW__EXE_MEMFD;
	/* The identity of what runs: its contents, for the rules to compare
	 * with the binaries the operator trusts (never the seals alone). */
	if (e->kind != MW__EXE_MEMFD || fd < 0 || !e->info_known || !mw__audit_content_sealed(e->fi.seals))
		return;
	e->size_unmatched = true;
	for (size_t i = 0; i < c->env->ntrusted_sizes && e->size_unmatched; i++)
		e->size_unmatched = c->env->trusted_sizes[i] != e->fi.size;
	if (!e->size_unmatched && mw__audit_hash_exe(c->env->hashes, fd, &e->fi, e->sha256) == 0)
		e->hashed = true;
}

/* Kernel threads (PF_KTHREAD) and zombies have no exe; /proc/PID/stat
 * tells them apart from a process we may not read (it is world-readable).
 * Returns the state letter (K for a kernel thread), or 0. */
static char proc_state(int dirfd)
{
	char buf[1024];
	const char *p;
	char state;
	unsigned long flags;

	if (mw__proc_read_at(dirfd, "stat", buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %lu", &state, &flags) != 2)
		return 0;
	return (flags & 0x00200000UL) ? 'K' : state; /* PF_KTHREAD */
}

struct live_thread {
	int taskfd;
	pid_t pid;
	int dirfd;
	pid_t tid;
};

static int try_thread(void *arg, long tid, const char *name)
{
	struct live_thread *t = arg;
	char st;
	int fd;

	if (tid == t->pid)
		return 0;
	fd = openat(t->taskfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	st = proc_state(fd);
	if (st && st != 'Z' && st != 'X') {
		t->dirfd = fd;
		t->tid = (pid_t)tid;
		return -1; /* found: stop */
	}
	close(fd);
	return 0;
}

/* The leader is a zombie: a live thread of the group, as a /proc/PID/task/TID
 * directory fd, or -1. */
static int live_thread(int dirfd, pid_t pid, pid_t *tid)
{
	struct live_thread t = { .pid = pid, .dirfd = -1 };

	t.taskfd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t.taskfd < 0)
		return -1;
	mw__proc_walk_numeric(t.taskfd, try_thread, &t);
	close(t.taskfd);
	*tid = t.tid;
	return t.dirfd;
}

static bool is_gone(int err)
{
	return err == -ESRCH || err == -ENOENT;
}

/*
 * readlinkat(dirfd, name, link, size - 1) of an exe link, with its length;
 * where the path is longer than the kernel prints (ENAMETOOLONG: a file
 * deep enough), MW__EXE_TOO_LONG, with " (deleted)" when a stat through the
 * link finds no link left to the file: such a process is still judged by
 * what it runs, never left out as unreadable.
 */
static ssize_t exe_readlink(int dirfd, const char *name, char *link, size_t size)
{
	ssize_t len = readlinkat(dirfd, name, link, size - 1);
	struct stat st;
	int n;

	if (len >= 0 || errno != ENAMETOOLONG)
		return len;
	if (fstatat(dirfd, name, &st, 0) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	n = snprintf(link, size, "%s%s", MW__EXE_TOO_LONG, st.st_nlink ? "" : MW_PROC_DELETED);
	return n < 0 || (size_t)n >= size ? -1 : n;
}

/* The exe link; switches c->dirfd to a live thread when the leader exited.
 * Returns the link length, or an outcome as a negative number - 1000. */
static ssize_t exe_link(struct mw__audit_collector *c, pid_t pid, char *link, size_t size)
{
	ssize_t len;
	int err;
	char st;

	if (c->dirfd < 0) {
		char path[48];

		snprintf(path, sizeof(path), "%s/exe", c->pidname);
		len = exe_readlink(c->env->procfd, path, link, size);
		if (len >= 0)
			return len;
		/* gone, a kernel thread, a zombie leader: see below */
		err = mw__audit_proc_dir(c);
		if (err < 0)
			return is_gone(err) ? -1000 - MW__PROC_VANISHED : -1000 - MW__PROC_UNREADABLE;
	}
	len = exe_readlink(c->dirfd, "exe", link, size);
	err = -errno;
	if (len >= 0)
		return len;
	st = proc_state(c->dirfd);
	if (st == 'Z') {
		pid_t tid = 0;
		int tfd = live_thread(c->dirfd, pid, &tid);

		if (tfd >= 0) {
			close(c->dirfd);
			c->dirfd = tfd;
			c->cur->via_thread = true;
			c->cur->tid = tid;
			c->cur->id->tid = tid;
			len = exe_readlink(c->dirfd, "exe", link, size);
			if (len >= 0)
				return len;
			err = -errno;
			st = proc_state(c->dirfd);
		}
	}
	c->kthread = st == 'K';
	if (st == 'K' || st == 'Z' || st == 'X')
		return -1000 - MW__PROC_KERNEL;
	if (is_gone(err))
		return -1000 - MW__PROC_VANISHED;
	return -1000 - MW__PROC_UNREADABLE;
}

static int read_pidns(struct mw__audit_collector *c)
{
	char link[64];
	ssize_t len;
	uint64_t ino;

	if (c->brec && c->brec->pidns && !c->cur->via_thread)
		return (c->cur->pidns = c->brec->pidns), 0;
	/* readlink gives "pid:[INODE]" for half the cost of a stat through
	 * nsfs (no nsfs dentry to find or make). */
	if (mw__audit_proc_dir(c) < 0)
		return 0;
	len = readlinkat(c->dirfd, "ns/pid", link, sizeof(link) - 1);
	if (len < 0)
		return 0;
	link[len] = '\0';
	if (sscanf(link, "pid:[%" SCNu64 "]", &ino) == 1)
		c->cur->pidns = ino;
	return 0;
}

static int read_body(struct mw__audit_collector *c, pid_t pid, struct mw__audit_proc *p)
{
	char link[PATH_MAX + 16];
	size_t start = c->nobjs;
	ssize_t len;
	int err;

	len = exe_link(c, pid, link, sizeof(link));
	if (len < 0)
		return (int)(-len - 1000);
	link[len] = '\0';
	/* Read through /proc: what follows must be of the exec generation of
	 * this link. The maps file opened now holds this memory: it reads
	 * nothing once an exec replaced it (checked at the end). */
	if (!c->brec) {
		c->mmfd = openat(c->dirfd, "maps", O_RDONLY | O_CLOEXEC);
		c->have_mm = c->mmfd >= 0;
	}
	p->id->exe = strdup(link);
	if (!p->id->exe)
		return -ENOMEM;
	read_pidns(c);
	p->id->pidns = p->pidns;
	read_exe(c, link, (size_t)len);
	if (c->exe_only)
		return mw__audit_proc_ident(c) < 0 ? -ENOMEM : MW__PROC_SCANNED;
	err = mw__audit_read_objs(c, pid, start);
	if (err == -ENOMEM)
		return err;
	if (err < 0) {
		/* drop what was collected: it is a part of a process */
		mw__audit_drop_objs(c, start);
		/* the maps of a memory an exec released: ESRCH, yet alive
		 * (through /proc, the maps file opened with the exe link;
		 * from BPF records, one opened since) */
		if (is_gone(err) && mw__audit_proc_dir(c) >= 0 &&
		    exe_readlink(c->dirfd, "exe", link, sizeof(link)) >= 0)
			return MW__PROC_CHANGED;
		return is_gone(err) ? MW__PROC_VANISHED : MW__PROC_UNREADABLE;
	}
	for (size_t i = start; i < c->nobjs; i++)
		if (p->exe.fi.ino && c->objs[i].dev == p->exe.fi.dev && c->objs[i].ino == p->exe.fi.ino)
			c->objs[i].is_exe = true;
	p->objs = c->objs ? c->objs + start : NULL; /* fixed up by the caller after reallocs */
	p->nobjs = c->nobjs - start;
	if (p->nobjs || p->exe.kind != MW__EXE_FILE) {
		if (mw__audit_proc_ident(c) < 0)
			return -ENOMEM;
	}
	return MW__PROC_SCANNED;
}

/*
 * A read that failed as if the process were gone (or a kernel thread or a
 * zombie): is its thread group alive all the same? Its leader, looked up
 * afresh, is neither a kernel thread nor a zombie; or it is a zombie (it
 * left with SYS_exit) whose group counts other threads ("Threads:" in its
 * status counts the live ones and the zombie leader; a listing of its task
 * directory can miss threads that come and go). Such threads make every
 * read through one of them fail, which must hide nothing: the caller reads
 * the process again, and reports it if no read ever holds.
 */
static bool group_alive(struct mw__audit_collector *c)
{
	MW_AUTOCLOSE int dfd = openat(c->env->procfd, c->pidname, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char buf[2048];
	const char *t;
	ssize_t n;
	char st;

	if (dfd < 0)
		return false;
	st = proc_state(dfd);
	if (!st || st == 'K' || st == 'X')
		return false;
	if (st != 'Z')
		return true;
	n = mw__proc_read_at(dfd, "status", buf, sizeof(buf));
	t = n > 0 ? strstr(buf, "\nThreads:") : NULL;
	return t && strtol(t + 9, NULL, 10) > 1;
}

int mw__audit_proc_read(struct mw__audit_collector *c, pid_t pid, struct mw__audit_proc *p)
{
	size_t start = c->nobjs;
	int r;

	memset(p, 0, sizeof(*p));
	c->cur = p;
	c->brec = NULL;
	c->gen_pending = false;
	c->kthread = false;
	snprintf(c->pidname, sizeof(c->pidname), "%d", (int)pid);
	c->dirfd = -1;
	mw__proc_target_init(&c->target, -1, pid);
	p->id = calloc(1, sizeof(*p->id));
	if (!p->id)
		return -ENOMEM;
	p->id->pid = pid;
	p->id->uid = (uid_t)-1;
	if (c->env->bpf && !c->force_proc) {
		const struct mw__audit_bpf *b = c->env->bpf;
		size_t end, i = mw__audit_bpf_find((const void *const *)b->procs, b->nprocs, pid, &end);

		if (i < end)
			c->brec = b->procs[i];
		/* the iterators ran one after the other: an exec in between
		 * gives records of two generations; or its records did not
		 * all fit in one read of the iterator: read /proc instead */
		if (c->brec && ((c->brec->flags & (MW_BREC_PROC_CUT | MW_BREC_PROC_EXECING)) ||
				!mw__audit_bpf_one_exec(b, c->brec))) {
			c->brec = NULL;
			c->force_proc = true;
		}
	}
	/* Read through /proc: everything relative to one directory fd of the
	 * process, so that a pid reused meanwhile reads nothing. From BPF
	 * records the directory is opened only when needed: the generation
	 * check at the end of the scan tells a reused pid (its start time). */
	if (!c->brec && mw__audit_proc_dir(c) < 0)
		return MW__PROC_VANISHED;
	if (c->env->flags & MW_AUDIT_F_UID) {
		uid_t ruid, euid;
		int err = 0;

		if (c->brec) {
			ruid = c->brec->ruid;
			euid = c->brec->euid;
		} else {
			err = mw__audit_proc_dir(c) < 0 ? -ESRCH : mw__audit_read_status(c->dirfd, &ruid, &euid, NULL, 0);
		}
		if (err < 0)
			return MW__PROC_VANISHED;
		p->id->uid = ruid;
		if (ruid != c->env->uid && euid != c->env->uid)
			return MW__PROC_FILTERED;
	}
	r = read_body(c, pid, p);
	if (r != MW__PROC_SCANNED)
		mw__audit_drop_objs(c, start);
	if ((r == MW__PROC_VANISHED || (r == MW__PROC_KERNEL && !c->kthread)) && group_alive(c))
		r = MW__PROC_CHANGED;
	return r;
}

int mw__audit_proc_nsfd(struct mw__audit_collector *c)
{
	int fd = mw__audit_proc_dir(c) < 0 ? -1 : openat(c->dirfd, "ns/pid", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* From BPF records: is the exec count and start time of the process now
 * those the iterators saw? (The same executable can come back: A, a
 * memfd, A again.) Asked once for every process at the end of the scan
 * (mw__audit_bpf_recheck()): here, only noted. */
static bool same_exec(struct mw__audit_collector *c)
{
	c->gen_pending = true;
	return true;
}

bool mw__audit_proc_unchanged(struct mw__audit_collector *c)
{
	const struct mw__audit_ident *id = c->cur->id;
	char link[PATH_MAX + 16], comm[64];
	ssize_t len;

	/* With the BPF records (taken before anything was read here): an
	 * exec since the iterators ran (or the pid gone to another process)
	 * is seen at the end of the scan, for every process at once, in the
	 * exec count and start time (same_exec()); the exe link and cmdline
	 * read since are of the same generation when those did not change.
	 * No stat, readlink or comm read here. */
	if (c->brec && !c->force_proc && !c->cur->via_thread)
		return same_exec(c);
	len = exe_readlink(c->dirfd, "exe", link, sizeof(link));
	if (len < 0 || !id->exe)
		return false;
	link[len] = '\0';
	if (strcmp(link, id->exe))
		return false; /* exec'd meanwhile */
	/* The exec generation: the same name can come back (A, then a
	 * memfd, then A again). Through /proc: the memory read since the exe
	 * link is still the process's (an exec releases it, then its maps
	 * file reads nothing). From BPF records: the exec count and start
	 * time of the process now are those the iterators saw. */
	if (c->have_mm) {
		char b;

		if (pread(c->mmfd, &b, 1, 0) != 1)
			return false;
	} else if (c->brec && !c->force_proc && !same_exec(c)) {
		return false;
	}
	/* The comm changes on exec too, even to the same binary. With BPF
	 * records, the comm is the iterators' (taken before this read): a
	 * change means their fd and map records are from before an exec.
	 * /proc/PID/comm is the raw name plus a newline (cheaper than status). */
	if (id->comm) {
		ssize_t n = mw__proc_read_at(c->dirfd, "comm", comm, sizeof(comm));

		if (n <= 0)
			return false;
		if (comm[n - 1] == '\n')
			comm[n - 1] = '\0';
		if (strcmp(comm, id->comm))
			return false;
	}
	return true;
}

void mw__audit_proc_done(struct mw__audit_collector *c)
{
	if (c->have_mm)
		close(c->mmfd);
	c->have_mm = false;
	mw__proc_target_done(&c->target);
	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
	c->cur = NULL;
}

void mw__audit_collector_free(struct mw__audit_collector *c)
{
	mw__audit_drop_objs(c, 0);
	for (size_t i = 0; i < c->ncg; i++) {
		free(c->cg[i].path);
		free(c->cg[i].container);
		free(c->cg[i].pod);
	}
	free(c->cg);
	free(c->args);
	c->args = NULL;
	c->args_cap = 0;
	free(c->envs);
	c->envs = NULL;
	c->envs_cap = 0;
	free(c->memfds);
	c->memfds = NULL;
	c->nmemfds = c->capmemfds = 0;
	c->cg = NULL;
	c->ncg = c->capcg = 0;
	mw__big_free(c->objs, c->objs_size);
	c->objs = NULL;
	c->objs_size = 0;
	free(c->gens);
	c->gens = NULL;
	c->ngens = c->capgens = 0;
	mw__maps_done(&c->maps);
}
