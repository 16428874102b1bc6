/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's rules: every finding kind and severity is decided here, from
 * the objects the collectors produced (proc.c, bpf.c), and nowhere else.
 *
 * Severity follows what a process does and who wrote what it runs, never
 * what an attacker can set alone: anyone can seal a memfd, so seals make a
 * memfd executable "low" only when its contents are those of a binary the
 * operator trusts (struct mw__audit_trust: SHA-256 of the allow-exec-memfd
 * binaries, or of the container runtimes on this system).
 */
#include "sys/thread.h"
#include "sys/big.h"
#include "audit/rules.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc/proc.h"
#include "sys/shim.h"

bool mw__audit_content_sealed(int seals)
{
	return seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_SEAL)) == (F_SEAL_WRITE | F_SEAL_SEAL);
}


static bool in_writable_dir(const char *path)
{
	static const char *const dirs[] = { "/tmp/", "/var/tmp/", "/dev/shm/", "/run/user/",
					    "/dev/mqueue/" };

	/* a path too long to read: where it lies is unknown, and who hides
	 * there chose it */
	if (!strncmp(path, MW__EXE_TOO_LONG, strlen(MW__EXE_TOO_LONG)))
		return true;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i])))
			return true;
	return false;
}

static void fill_exe(struct mw_audit_finding *f, const struct mw__audit_exe *e)
{
	f->dev = e->fi.dev;
	f->ino = e->fi.ino;
	f->mode = e->fi.mode;
	f->size = e->fi.size;
	f->seals = e->info_known ? e->fi.seals : -1;
}

static int rule_memfd_exe(struct mw__audit_report *r, const struct mw__audit_proc *p,
			  struct mw__audit_trust *t)
{
	const struct mw__audit_exe *e = &p->exe;
	const char *exe = p->id->exe;
	int seals = e->info_known ? e->fi.seals : -1;
	bool sealed = mw__audit_content_sealed(seals);
	const char *who = sealed && e->hashed ? mw__audit_trusted(t, e->sha256) : NULL;
	struct mw_audit_finding *f;
	char sn[96];

	mw__audit_seal_names(seals, sn, sizeof(sn));
	if (who)
		f = mw__audit_add(r, p->id, MW_AUDIT_SEALED_EXEC, MW_AUDIT_LOW, exe,
				  "runs from a sealed memfd (seals: %s) whose contents are those of "
				  "%s: a container runtime's self-protection (CVE-2019-5736)", sn, who);
	else if (sealed)
		f = mw__audit_add(r, p->id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_HIGH, exe,
				  "runs from a sealed memfd (seals: %s) whose contents match no trusted "
				  "binary%s: fileless execution (seals say nothing about who wrote it)",
				  sn, e->hashed || e->size_unmatched ? "" : " (its contents could not be read)");
	else if (seals < 0)
		f = mw__audit_add(r, p->id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_CRITICAL, exe,
				  "runs from a memfd whose seals cannot be read: fileless execution");
	else
		f = mw__audit_add(r, p->id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_CRITICAL, exe,
				  "runs from a memfd whose contents are not sealed (seals: %s): "
				  "fileless execution", sn);
	if (!f)
		return -ENOMEM;
	fill_exe(f, e);
	return 0;
}

static int rule_deleted_exe(struct mw__audit_report *r, const struct mw__audit_proc *p)
{
	const char *exe = p->id->exe;
	/* An upgrade leaves root's binaries behind. Whoever else owned it, or
	 * where anyone may write, chose to run it and remove it: the path is
	 * only text the process's own mount namespace gave (a private tmpfs
	 * on /opt reads like the host's), its owner is not. */
	bool wdir = in_writable_dir(exe) || !p->exe.root_owned;
	enum mw__memdev_kind mk = p->exe.info_known || p->exe.fi.ino ? mw__memdev_kind(p->exe.fi.dev)
								       : MW__MEMDEV_UNKNOWN;
	struct mw_audit_finding *f;

	/* Anonymous shared memory and SysV segments ("/dev/zero (deleted)",
	 * "/SYSV... (deleted)" on the kernel's internal mounts, executable
	 * after a reopen through map_files): never a file on disk, so never a
	 * binary an upgrade replaced. */
	if (mk == MW__MEMDEV_SHMEM || mk == MW__MEMDEV_HUGETLB) {
		f = mw__audit_add(r, p->id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_CRITICAL, exe,
				  "runs from the kernel's internal shared memory (an anonymous "
				  "shared mapping or SysV segment reopened through map_files): "
				  "fileless execution");
		if (!f)
			return -ENOMEM;
		fill_exe(f, &p->exe);
		return 0;
	}
	f = mw__audit_add(r, p->id, MW_AUDIT_FILELESS_EXEC, wdir ? MW_AUDIT_HIGH : MW_AUDIT_MEDIUM, exe,
			  wdir ? (p->exe.root_owned ? "runs from an unlinked file that lived in a world-writable "
						      "directory: fileless execution"
						    : "runs from an unlinked file not known to be root's: "
						      "fileless execution (or a program rebuilt while it ran)")
			       : "runs from an unlinked file owned by root: fileless execution, or a "
				 "binary replaced by an upgrade and not restarted");
	if (!f)
		return -ENOMEM;
	fill_exe(f, &p->exe);
	return 0;
}

/* One finding per process for its secret memory. */
static int rule_secret(struct mw__audit_report *r, const struct mw__audit_proc *p)
{
	uint64_t bytes = 0;
	unsigned int areas = 0;
	int fd = -1;
	struct mw_audit_finding *f;

	for (size_t i = 0; i < p->nobjs; i++) {
		const struct mw__audit_obj *o = &p->objs[i];

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
	f = mw__audit_add(r, p->id, MW_AUDIT_SECRETMEM, MW_AUDIT_INFO, MW_PROC_SECRETMEM_LINK,
			  "holds %" PRIu64 " bytes of secret memory (memfd_secret) in %u area(s)",
			  bytes, areas);
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->size = bytes;
	return 0;
}

int mw__audit_rules_proc(struct mw__audit_report *r, const struct mw__audit_proc *p,
			 struct mw__audit_trust *t)
{
	int err = 0;

	if (p->exe.kind == MW__EXE_MEMFD)
		err = rule_memfd_exe(r, p, t);
	else if (p->exe.kind == MW__EXE_DELETED)
		err = rule_deleted_exe(r, p);
	return err ? err : rule_secret(r, p);
}

int mw__audit_rules_unstable(struct mw__audit_report *r, const struct mw__audit_proc *p,
			      unsigned int reads, unsigned int ms)
{
	return mw__audit_add(r, p->id, MW_AUDIT_UNSTABLE_PROCESS, MW_AUDIT_HIGH, p->id->exe,
			     "changed during each of %u reads over %u ms (an exec, a new name, or the "
			     "thread it was read through exiting): its fds and memory map could not be "
			     "read in one state and were not audited", reads, ms) ? 0 : -ENOMEM;
}

int mw__audit_rules_ns(struct mw__audit_report *r, const struct mw__audit_ident *id, uint64_t ns,
		       int value, const char *reason)
{
	struct mw_audit_finding *f = mw__audit_add(r, id, MW_AUDIT_NOEXEC_POLICY, MW_AUDIT_INFO, "",
						   "pid namespace %" PRIu64 ": %s%s", ns,
						   value < 0 ? "unknown: " : "", reason);

	if (!f)
		return -ENOMEM;
	f->memfd_noexec = value;
	f->pidns = ns;
	return 0;
}

/* ---- memfds, once every process has been seen --------------------------- */

/* An object to judge, with its sort key at hand (sorting pointers to the
 * objects themselves spent its time in cache misses). */
struct jkey {
	uint64_t dev, ino;
	int fd;
	const struct mw__audit_obj *o;
};

/* Byte b of the key field f of x: 0 fd (sign bit flipped: unsigned
 * order is the int order), 1 ino, 2 dev. */
static unsigned int jbyte(const struct jkey *x, int f, unsigned int b)
{
	uint64_t v = f == 0 ? (uint64_t)((uint32_t)x->fd ^ 0x80000000u) : f == 1 ? x->ino : x->dev;

	return (unsigned int)(v >> (8 * b)) & 0xff;
}

/*
 * Sort k[0..n) by (dev, ino, fd), stably: the order of equal keys is the
 * collectors' (which writer a sharing finding names comes from it), as
 * with glibc's merge sort before. Least significant byte first, a counting
 * pass per byte, skipping the bytes every key has alike (two to five
 * passes for memfds, which share a device and have small fds). t: n
 * entries of room. Returns k or t, whichever holds the sorted keys.
 */
static struct jkey *sort_jkeys(struct jkey *k, struct jkey *t, size_t n)
{
	static const unsigned int width[3] = { 4, 8, 8 };
	uint64_t differ[3] = { 0, 0, 0 };

	for (size_t i = 1; i < n; i++) {
		differ[0] |= (uint64_t)(uint32_t)(k[i].fd ^ k[0].fd);
		differ[1] |= k[i].ino ^ k[0].ino;
		differ[2] |= k[i].dev ^ k[0].dev;
	}
	for (int f = 0; f < 3; f++) {
		for (unsigned int b = 0; b < width[f]; b++) {
			size_t count[256] = { 0 }, pos = 0;
			struct jkey *swap;

			if (!((differ[f] >> (8 * b)) & 0xff))
				continue;
			for (size_t i = 0; i < n; i++)
				count[jbyte(&k[i], f, b)]++;
			for (unsigned int c = 0; c < 256; c++) {
				size_t m = count[c];

				count[c] = pos;
				pos += m;
			}
			for (size_t i = 0; i < n; i++)
				t[count[jbyte(&k[i], f, b)]++] = k[i];
			swap = k;
			k = t;
			t = swap;
		}
	}
	return k;
}

/* Can writer still change the contents that reader sees? */
static bool unsealed_for(const struct mw__audit_obj *writer, int seals)
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

static int fill(struct mw_audit_finding *f, const struct mw__audit_obj *o, int seals, uint32_t mode,
		uint64_t size)
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

/* What is known of one inode, from the first holder that could stat it. */
struct inode_state {
	int seals;
	uint32_t mode;
	uint64_t size;
	bool known, hugetlb;
	char sn[96];
};

/*
 * A memfd that could be executed: exec bits set. F_SEAL_EXEC does not make
 * it less so (it only stops chmod; a POSIX ACL sets exec bits around it on
 * 6.18, and hugetlbfs ignores it). Most programs still create memfds
 * without MFD_NOEXEC_SEAL, so by itself this is low (writable contents) or
 * info (sealed contents): what matters is a memfd executed or mapped
 * executable, which the other rules report.
 */
/* The reason of rule_exec_memfd() last made, with what it depends on: the
 * memfds of a program are alike, and a scan can have 100,000 of them. */
struct exec_reason {
	bool valid, holds;
	uint32_t mode;
	int seals;
	bool hugetlb;
	int len;
	char text[512];
};

static int rule_exec_memfd(struct mw__audit_report *r, const struct mw__audit_obj *o,
			   const struct inode_state *s, const char *name, struct exec_reason *c)
{
	bool sealed = mw__audit_content_sealed(s->seals);
	bool exec_sealed = s->seals >= 0 && (s->seals & F_SEAL_EXEC) && !s->hugetlb;
	bool holds = o->fd >= 0;

	if (!s->known || !(s->mode & 0111))
		return 0;
	if (!c->valid || c->holds != holds || c->mode != s->mode || c->seals != s->seals ||
	    c->hugetlb != s->hugetlb) {
		c->len = snprintf(c->text, sizeof(c->text), "%s a memfd with exec bits (mode %04o%s; seals: %s%s)%s",
				  holds ? "holds" : "maps", (unsigned int)s->mode,
				  exec_sealed ? ", kept by F_SEAL_EXEC" : "", s->sn,
				  s->hugetlb ? "; hugetlbfs ignores F_SEAL_EXEC" : "",
				  sealed ? "; its contents are sealed" :
				  ": whoever can write to it could run what they write");
		/* seal names fit in 96 bytes: the text in 512 */
		c->valid = c->len > 0 && (size_t)c->len < sizeof(c->text);
		if (!c->valid)
			return -EOVERFLOW;
		c->holds = holds;
		c->mode = s->mode;
		c->seals = s->seals;
		c->hugetlb = s->hugetlb;
	}
	return fill(mw__audit_add_text(r, o->id, MW_AUDIT_EXEC_MEMFD, sealed ? MW_AUDIT_INFO : MW_AUDIT_LOW,
				       name, c->text, (size_t)c->len),
		    o, s->seals, s->mode, s->size);
}

/*
 * A memfd held at an fd the process's arguments name as a file
 * (/dev/fd/N): a script its interpreter runs from memory, high. Where its
 * name is N too, the kernel started it by an exec of that memfd (fexecve:
 * the interpreter of a "#!" script gets "/dev/fd/N" as an argument, and
 * before Linux 6.14 the name "N"; later kernels name it after the
 * interpreter's file): critical, high when the contents are sealed (no
 * script is trusted: the trusted set is of binaries). An interpreter
 * (a shell, python...) whose standard input is a memfd: high, it reads its
 * program from there (sh < memfd). A program given a memfd of data that
 * way is reported too: the command line cannot tell. The same for a memfd
 * its environment names (BASH_ENV=/dev/fd/3): high.
 */
static int rule_script(struct mw__audit_report *r, const struct mw__audit_obj *o, const struct inode_state *s,
		       const char *name)
{
	struct mw_audit_finding *f;

	if (o->script_exec)
		f = mw__audit_add(r, o->id, MW_AUDIT_FILELESS_EXEC,
				  mw__audit_content_sealed(s->seals) ? MW_AUDIT_HIGH : MW_AUDIT_CRITICAL, name,
				  "runs a script from a memfd (seals: %s): its interpreter was started by an "
				  "exec of fd %d (argument /dev/fd/%d, name \"%d\"): fileless execution",
				  s->sn, o->script_fd, o->script_fd, o->script_fd);
	else if (o->script_env)
		f = mw__audit_add(r, o->id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_HIGH, name,
				  "names a memfd it holds (fd %d, seals: %s) as a file in its environment "
				  "(BASH_ENV, NODE_OPTIONS, LD_PRELOAD...): a script or library it runs from "
				  "memory (fileless execution), or data it reads from there",
				  o->script_fd, s->sn);
	else if (o->script_stdin)
		f = mw__audit_add(r, o->id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_HIGH, name,
				  "an interpreter whose standard input is a memfd (seals: %s): it runs the "
				  "program it reads from memory (fileless execution), or is fed data that way",
				  s->sn);
	else
		f = mw__audit_add(r, o->id, MW_AUDIT_FILELESS_EXEC, MW_AUDIT_HIGH, name,
				  "names a memfd it holds (fd %d, seals: %s) as a file on its command line: "
				  "an interpreter running a script from memory (fileless execution), or a "
				  "program reading data from it",
				  o->script_fd, s->sn);
	if (fill(f, o, s->seals, s->mode, s->size))
		return -ENOMEM;
	f->fd = o->script_fd;
	return 0;
}

/* Code mapped from a memfd (a fileless library: dlopen of /proc/self/fd/N,
 * or ld.so given such a path). */
static int rule_mapped_exec(struct mw__audit_report *r, const struct mw__audit_obj *o,
			    const struct inode_state *s, const char *name)
{
	if (!o->mapped_exec)
		return 0;
	return fill(mw__audit_add(r, o->id, MW_AUDIT_MEMFD_MAPPED_EXEC, MW_AUDIT_HIGH, name,
				  "maps a memfd executable (seals: %s)%s", s->sn,
				  mw__audit_content_sealed(s->seals)
					  ? ": code from anonymous memory (sealed, but seals say "
					    "nothing about who wrote it)"
					  : ": code running from anonymous, writable memory"),
		    o, s->seals, s->mode, s->size);
}

static int rule_shared(struct mw__audit_report *r, const struct jkey *v, size_t g, size_t e,
		       const struct mw__audit_obj *o, const struct inode_state *s, const char *name)
{
	for (size_t j = g; j < e; j++) {
		const struct mw__audit_obj *w = v[j].o;
		int err;

		if (w->id->pid == o->id->pid || !(w->fd_writable || w->mapped_wshared) ||
		    !unsealed_for(w, s->seals))
			continue;
		err = fill(mw__audit_add(r, o->id, MW_AUDIT_SHARED_UNSEALED,
					 o->mapped_exec ? MW_AUDIT_HIGH : MW_AUDIT_MEDIUM, name,
					 "maps %sa memfd that pid %d can write, without a write seal "
					 "(seals: %s)", o->mapped_exec ? "executable " : "",
					 (int)w->id->pid, s->sn),
			   o, s->seals, s->mode, s->size);
		if (!err)
			r->arr[r->pub.nfindings - 1]->peer_pid = w->id->pid;
		return err;
	}
	return 0;
}

/* A deleted file in these directories is most likely a library an upgrade
 * replaced while the process ran: only root writes there. */
static bool in_system_dir(const char *path)
{
	static const char *const dirs[] = { "/usr/", "/lib/", "/lib32/", "/lib64/", "/libx32/", "/bin/",
					    "/sbin/", "/opt/" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(path, dirs[i], strlen(dirs[i])))
			return true;
	return false;
}

/* Code mapped from an object with no name in any filesystem that is not a
 * memfd (red-team finding F8): a library written to an O_TMPFILE file, to
 * anonymous shared memory or a SysV segment, or to a file deleted since,
 * then mapped executable (dlopen of /proc/self/fd/N, or mmap). High, as a
 * memfd mapped executable is; low when its contents are those of a trusted
 * binary; medium for a deleted file of a system directory (an upgrade). */
static int rule_unnamed_exec(struct mw__audit_report *r, const struct mw__audit_obj *o, const char *name,
			     struct mw__audit_trust *t)
{
	enum mw__memdev_kind mk = mw__memdev_kind(o->dev);
	const char *who = o->hashed && t ? mw__audit_trusted(t, o->sha256) : NULL;
	bool shm = mk == MW__MEMDEV_SHMEM || mk == MW__MEMDEV_HUGETLB;
	struct mw_audit_finding *f;

	if (who)
		f = mw__audit_add(r, o->id, MW_AUDIT_UNLINKED_MAPPED_EXEC, MW_AUDIT_LOW, name,
				  "maps executable an object with no name whose contents are those of %s",
				  who);
	else if (shm)
		f = mw__audit_add(r, o->id, MW_AUDIT_UNLINKED_MAPPED_EXEC, MW_AUDIT_HIGH, name,
				  "maps the kernel's internal shared memory executable (an anonymous "
				  "shared mapping or SysV segment): code from anonymous memory");
	else if (o->root_owned && in_system_dir(name) &&
		 strncmp(strrchr(name, '/') ? strrchr(name, '/') : name, "/#", 2))
		f = mw__audit_add(r, o->id, MW_AUDIT_UNLINKED_MAPPED_EXEC, MW_AUDIT_MEDIUM, name,
				  "maps executable a root-owned file unlinked from a system directory: a "
				  "library replaced by an upgrade and not reloaded, or a fileless library");
	else
		f = mw__audit_add(r, o->id, MW_AUDIT_UNLINKED_MAPPED_EXEC, MW_AUDIT_HIGH, name,
				  "maps executable a file with no name (unlinked, or O_TMPFILE never "
				  "linked): a fileless library");
	if (!f)
		return -ENOMEM;
	f->dev = o->dev;
	f->ino = o->ino;
	f->mode = o->stat_known ? o->mode : 0;
	f->size = o->stat_known ? o->size : 0;
	return 0;
}

/* Findings about the inodes v[0..n) (whole groups of one inode) into r. */
static int judge_range(struct mw__audit_report *r, const struct jkey *v, size_t n, struct mw__audit_trust *t)
{
	struct exec_reason er = { .valid = false };
	int err = 0;

	for (size_t g = 0; g < n && !err;) {
		struct inode_state s = { .seals = -1 };
		size_t e = g;

		while (e < n && v[e].dev == v[g].dev && v[e].ino == v[g].ino)
			e++;
		for (size_t i = g; i < e && !s.known; i++) {
			if (v[i].o->stat_known) {
				s.known = true;
				s.seals = v[i].o->seals;
				s.mode = v[i].o->mode;
				s.size = v[i].o->size;
			}
		}
		for (size_t i = g; i < e; i++)
			s.hugetlb |= v[i].o->hugetlb;
		mw__audit_seal_names(s.seals, s.sn, sizeof(s.sn));
		for (size_t i = g; i < e && !err; i++) {
			const struct mw__audit_obj *o = v[i].o;
			char nb[MW__AUDIT_NAME_MAX];
			const char *name = mw__audit_obj_name(o, nb, sizeof(nb));

			if (o->is_exe)
				continue; /* the exe rules judged it */
			if (o->unnamed) {
				err = rule_unnamed_exec(r, o, name, t);
				continue;
			}
			if (o->script_fd >= 0)
				err = rule_script(r, o, &s, name);
			else
				err = rule_exec_memfd(r, o, &s, name, &er);
			if (!err)
				err = rule_mapped_exec(r, o, &s, name);
			if (!err && o->mapped)
				err = rule_shared(r, v, g, e, o, &s, name);
		}
		g = e;
	}
	return err;
}

struct judge_job {
	struct mw__audit_report rep; /* findings only */
	struct mw__audit_trust *trust;
	const struct jkey *v;
	size_t n;
	int err;
};

static void *judge_thread(void *arg)
{
	struct judge_job *j = arg;

	j->err = judge_range(&j->rep, j->v, j->n, j->trust);
	return NULL;
}

int mw__audit_rules_memfds(struct mw__audit_report *r, const struct mw__audit_objs *parts, size_t nparts,
			   unsigned int nthreads, struct mw__audit_trust *t)
{
	struct judge_job job = { .rep = { .pub = { 0 } }, .trust = t };
	struct jkey *keys = NULL, *v;
	size_t n = 0, nobjs = 0, half, bytes = 0;
	pthread_t tid;
	bool threaded = false;
	int err;

	for (size_t p = 0; p < nparts; p++)
		nobjs += parts[p].n;
	if (nobjs > SIZE_MAX / (2 * sizeof(*keys)) ||
	    mw__big_grow((void **)&keys, &bytes, 2 * (nobjs ? nobjs : 1) * sizeof(*keys)) < 0)
		return -ENOMEM;
	for (size_t p = 0; p < nparts; p++) {
		const struct mw__audit_obj *objs = parts[p].v;

		for (size_t i = 0; i < parts[p].n; i++)
			if (!objs[i].secret)
				keys[n++] = (struct jkey){ objs[i].dev, objs[i].ino, objs[i].fd, &objs[i] };
	}
	v = sort_jkeys(keys, keys + (nobjs ? nobjs : 1), n);
	half = n;
	if (nthreads > 1 && n >= 2048) {
		half = n / 2;
		while (half < n && v[half].dev == v[half - 1].dev && v[half].ino == v[half - 1].ino)
			half++; /* an inode's group stays in one half */
		job.v = v + half;
		job.n = n - half;
		threaded = mw__thread_create(&tid, judge_thread, &job) == 0;
		if (!threaded)
			half = n;
	}
	err = judge_range(r, v, half, t);
	if (threaded) {
		pthread_join(tid, NULL);
		if (!err)
			err = job.err;
		if (!err)
			err = mw__audit_append(r, &job.rep);
		/* what was not handed over (after an error) */
		mw__audit_free_findings(&job.rep);
	}
	mw__big_free(keys, bytes);
	return err;
}
