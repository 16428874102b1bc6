/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's fast path: BPF iterators list every memfd and secretmem held
 * or mapped by any process in a few reads of the iterator files (processes,
 * fd tables and maps in one walk shared by two threads with
 * bpf/audit_iter3.bpf.c; where that does not load, processes and fd tables
 * in one walk with bpf/audit_iter2.bpf.c, or in two with
 * bpf/audit_iter.bpf.c, and the maps on a second thread), where /proc costs
 * a readlink per fd, a pidfd_getfd + fstat
 * + F_GET_SEALS per memfd and a PROCMAP_QUERY per mapped file (see
 * src/audit/proc.c, which uses these records in place of those calls).
 *
 * Loaded afresh for every scan (nothing is kept between scans). Needs
 * CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), kernel BTF and the task_file
 * (5.8) and task_vma (5.12) iterators; when anything is missing the scan
 * reads /proc instead, with the same findings.
 */
#include "sys/big.h"
#include "sys/thread.h"
#include "audit/collect.h"
#include "audit/bpf_rec.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if MW_HAVE_AUDIT_BPF
#include <bpf/bpf.h>

#include "audit_iter.lskel.h"
#include "audit_iter2.lskel.h"
#include "audit_iter3.lskel.h"

struct iter_out {
	char *buf;
	size_t len, cap;
};

/* Append everything the iterator behind link writes to o. */
static int read_iter(int link, struct iter_out *o)
{
	MW_AUTOCLOSE int fd = bpf_iter_create(link);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		/* 2 MiB to start with: a scan through the iterators is of
		 * a system large enough to fill it */
		if (o->cap - o->len < 65536 &&
		    mw__big_grow((void **)&o->buf, &o->cap, o->cap ? o->len + 65536 : MW__BIG_ALIGN) < 0)
			return -ENOMEM;
		n = read(fd, o->buf + o->len, o->cap - o->len);
		if (n < 0) {
			/* EAGAIN: a million objects (mappings, fds) passed
			 * without a record; the next read goes on from there */
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		o->len += (size_t)n;
	}
}

static int cmp_rec(const void *a, const void *b)
{
	const struct mw_brec *x = *(const struct mw_brec *const *)a;
	const struct mw_brec *y = *(const struct mw_brec *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x < y ? -1 : x > y; /* keep the iterator's order */
}

/* Size of the record at p (len bytes left), 0 when malformed. */
static size_t rec_size(const char *p, size_t len)
{
	__u32 type, namelen;
	size_t sz;

	if (len < sizeof(type))
		return 0;
	memcpy(&type, p, sizeof(type));
	if (type == MW_BREC_PROC) {
		if (len < sizeof(struct mw_brec_proc))
			return 0;
		namelen = ((const struct mw_brec_proc *)p)->namelen;
		sz = sizeof(struct mw_brec_proc);
	} else if (type == MW_BREC_FD || type == MW_BREC_VMA || type == MW_BREC_CUT) {
		if (len < sizeof(struct mw_brec))
			return 0;
		namelen = ((const struct mw_brec *)p)->namelen;
		sz = sizeof(struct mw_brec);
	} else {
		return 0;
	}
	if (namelen >= MW_BREC_NAME_MAX)
		return 0;
	sz += (namelen + 7) & ~7u;
	return sz <= len ? sz : 0;
}

/* Count or file the records of both buffers, merged in pid order (each
 * buffer is in pid order; a pid in both, which only the older objects
 * give (a process's fd records in one, its mapping records in the other),
 * takes buf's first). */
static int walk(struct mw__audit_bpf *b, bool count)
{
	const char *p[2] = { b->buf, b->vbuf };
	size_t left[2] = { b->len, b->vlen }, sz[2] = { 0, 0 };

	for (int k = 0; k < 2; k++)
		if (left[k] && !(sz[k] = rec_size(p[k], left[k])))
			return -EPROTO;
	while (left[0] || left[1]) {
		int k = !left[0] || (left[1] && ((const struct mw_brec *)p[1])->pid <
						  ((const struct mw_brec *)p[0])->pid);
		const struct mw_brec *r = (const struct mw_brec *)p[k];

		if (count) {
			b->nprocs++; /* an upper bound for each list */
		} else if (r->type == MW_BREC_CUT) {
			/* the process's records stop here (more than the
			 * iterator's buffer): the collector reads it through
			 * /proc; its process record came before */
			if (!b->nprocs || b->procs[b->nprocs - 1]->pid != r->pid)
				return -EPROTO;
			((struct mw_brec_proc *)b->procs[b->nprocs - 1])->flags |= MW_BREC_PROC_CUT;
		} else if (r->type == MW_BREC_FD)
			b->fds[b->nfds++] = r;
		else if (r->type == MW_BREC_VMA)
			b->vmas[b->nvmas++] = r;
		else
			b->procs[b->nprocs++] = (const struct mw_brec_proc *)r;
		p[k] += sz[k];
		left[k] -= sz[k];
		if (left[k] && !(sz[k] = rec_size(p[k], left[k])))
			return -EPROTO;
	}
	return 0;
}

static void sort_if_needed(const void **v, size_t n)
{
	/* The iterators walk pids in ascending order: sorting is a check. */
	for (size_t i = 1; i < n; i++) {
		if (((const struct mw_brec *)v[i - 1])->pid > ((const struct mw_brec *)v[i])->pid) {
			qsort(v, n, sizeof(*v), cmp_rec);
			return;
		}
	}
}

/* Index the records by type, each list in pid order. */
static int index_recs(struct mw__audit_bpf *b)
{
	size_t n;
	int err = walk(b, true);

	if (err)
		return err;
	n = b->nprocs ? b->nprocs : 1;
	b->nprocs = 0;
	b->fds = malloc(n * sizeof(*b->fds));
	b->vmas = malloc(n * sizeof(*b->vmas));
	b->procs = malloc(n * sizeof(*b->procs));
	if (!b->fds || !b->vmas || !b->procs)
		return -ENOMEM;
	err = walk(b, false);
	if (err)
		return err;
	sort_if_needed((const void **)b->fds, b->nfds);
	sort_if_needed((const void **)b->vmas, b->nvmas);
	sort_if_needed((const void **)b->procs, b->nprocs);
	return 0;
}

struct vma_job {
	int link;
	struct iter_out out;
	int err;
};

static void *vma_thread(void *arg)
{
	struct vma_job *j = arg;

	j->err = read_iter(j->link, &j->out);
	return NULL;
}

int mw__audit_bpf_load(struct mw__audit_bpf *b)
{
	struct audit_iter3 *skel3;
	struct audit_iter2 *skel2;
	struct audit_iter *skel;
	/* MEMWARD_AUDIT_SKIP_ITER2 (tests): as a kernel without
	 * bpf_rdonly_cast (neither audit_iter3 nor audit_iter2 loads);
	 * MEMWARD_AUDIT_SKIP_ITER3: as a kernel without the open-coded
	 * iterators (6.2 to 6.6) */
	bool skip2 = secure_getenv("MEMWARD_AUDIT_SKIP_ITER2") != NULL;
	bool skip3 = skip2 || secure_getenv("MEMWARD_AUDIT_SKIP_ITER3") != NULL;

	memset(b, 0, sizeof(*b));
	/* The maps walked in the task walk, and that walk shared by two
	 * readers, where the kernel has the open-coded VMA iterator (the
	 * verifier refuses the program otherwise). */
	skel3 = skip3 ? NULL : audit_iter3__open_and_load();
	if (skel3 && audit_iter3__attach(skel3) == 0) {
		b->skel = skel3;
		b->kind = 3;
		return 0;
	}
	mw__log(7, "audit: audit_iter3 did not load (%s): the task_vma iterator",
		strerror(errno ? errno : EINVAL));
	if (skel3)
		audit_iter3__destroy(skel3);
	/* The fd tables walked in the task walk where the kernel has the
	 * kfunc that takes (the verifier refuses the program otherwise), else
	 * with the task_file iterator. */
	skel2 = skip2 ? NULL : audit_iter2__open_and_load();
	if (skel2 && audit_iter2__attach(skel2) == 0) {
		b->skel = skel2;
		b->kind = 2;
		return 0;
	}
	mw__log(7, "audit: audit_iter2 did not load (%s): the task_file iterator",
		strerror(errno ? errno : EINVAL));
	if (skel2)
		audit_iter2__destroy(skel2);
	skel = audit_iter__open_and_load();
	if (!skel) {
		b->load_err = errno ? -errno : -EINVAL;
		return b->load_err;
	}
	if (audit_iter__attach(skel) < 0) {
		b->load_err = errno ? -errno : -EINVAL;
		audit_iter__destroy(skel);
		return b->load_err;
	}
	b->skel = skel;
	b->kind = 1;
	return 0;
}

struct reader_job {
	struct audit_iter3 *skel;
	struct iter_out out;
	int err;
};

/* The second reader of audit_iter3: its records made in a slot of its own. */
static void *second_reader(void *arg)
{
	struct reader_job *j = arg;

	j->skel->bss->reader[1] = (__u32)gettid();
	j->err = read_iter(j->skel->links.mw_audit_all_fd, &j->out);
	return NULL;
}

/* audit_iter3: one walk of the tasks (what it writes set by the caller:
 * procs_only), shared by two readers when parallel (each takes the next
 * process neither has taken: on a busy machine the reader that runs more
 * does more), into o and o2. */
static int read3(struct audit_iter3 *skel, bool parallel, struct iter_out *o, struct iter_out *o2)
{
	struct reader_job j = { .skel = skel };
	pthread_t tid;
	int err;

	if (parallel) {
		skel->bss->shared = 1;
		skel->bss->claimed = 0;
		skel->bss->lost = 0;
		skel->bss->reader[1] = 0;
		skel->bss->mine[0] = skel->bss->mine[1] = 0;
		if (mw__thread_create(&tid, second_reader, &j) == 0) {
			err = read_iter(skel->links.mw_audit_all_fd, o);
			pthread_join(tid, NULL);
			if (!err)
				err = j.err;
			*o2 = j.out;
			if (err || !skel->bss->lost)
				return err;
			/* a process neither reader could take (never seen
			 * yet): read again, alone */
			mw__big_free(o->buf, o->cap);
			mw__big_free(o2->buf, o2->cap);
			*o = *o2 = (struct iter_out){ 0 };
		}
	}
	skel->bss->shared = 0;
	return read_iter(skel->links.mw_audit_all_fd, o);
}

/* audit_iter3: processes, fd tables and maps (read3()). */
static int collect3(struct audit_iter3 *skel, bool parallel, struct iter_out *o, struct iter_out *o2)
{
	skel->bss->procs_only = 0;
	/* MEMWARD_AUDIT_MAPS_BUSY (tests): every map read through /proc, as
	 * when its lock is held at the walk */
	skel->bss->maps_busy = secure_getenv("MEMWARD_AUDIT_MAPS_BUSY") != NULL;
	return read3(skel, parallel, o, o2);
}

int mw__audit_bpf_collect(struct mw__audit_bpf *b, bool parallel)
{
	struct iter_out o = { 0 };
	struct vma_job vj = { .link = -1 };
	struct audit_iter *skel;
	pthread_t tid;
	bool threaded = false;
	int err;

	if (!b->skel && !b->load_err)
		mw__audit_bpf_load(b);
	skel = b->skel;
	err = b->load_err;
	if (err)
		goto out;
	if (b->kind == 3) {
		err = collect3(b->skel, parallel, &o, &vj.out);
		b->parallel = parallel;
		goto read;
	}
	/* Walking every mapping of every process is the longest of the
	 * walks: on a second CPU, meanwhile. */
	if (b->kind == 2) {
		struct audit_iter2 *skel2 = b->skel;

		vj.link = skel2->links.mw_audit_vmas_fd;
		threaded = parallel && mw__thread_create(&tid, vma_thread, &vj) == 0;
		/* the processes and their fd tables, in one walk */
		skel2->bss->procs_only = 0;
		err = read_iter(skel2->links.mw_audit_all_fd, &o);
	} else {
		vj.link = skel->links.mw_audit_vmas_fd;
		threaded = parallel && mw__thread_create(&tid, vma_thread, &vj) == 0;
		err = read_iter(skel->links.mw_audit_fds_fd, &o);
		if (!err)
			err = read_iter(skel->links.mw_audit_procs_fd, &o);
	}
	if (threaded)
		pthread_join(tid, NULL);
	else
		vma_thread(&vj);
	if (!err)
		err = vj.err;
read:
	b->buf = o.buf;
	b->len = o.len;
	b->cap = o.cap;
	b->vbuf = vj.out.buf;
	b->vlen = vj.out.len;
	b->vcap = vj.out.cap;
	if (!err)
		err = index_recs(b);
out:
	/* kept loaded until mw__audit_bpf_free(): mw__audit_bpf_recheck()
	 * runs the process iterator again at the end of the scan */
	if (err) {
		mw__log(7, "audit: BPF iterators unavailable (%s): reading /proc", strerror(-err));
		mw__audit_bpf_free(b);
		return err < 0 ? err : -EINVAL;
	}
	return 0;
}

int mw__audit_bpf_recheck(const struct mw__audit_bpf *b, const struct mw__audit_gen *v, size_t n,
			  bool *changed)
{
	struct iter_out o = { 0 }, o2 = { 0 };
	const struct mw_brec_proc **now = NULL;
	size_t nnow = 0;
	int err;

	if (!b->skel)
		return -EOPNOTSUPP;
	if (!n)
		return 0;
	/* One walk of every task for the whole scan (was: a link, an
	 * iterator and a read for each process), process records only. */
	if (b->kind == 3) {
		struct audit_iter3 *skel3 = b->skel;

		skel3->bss->procs_only = 1;
		err = read3(skel3, b->parallel, &o, &o2);
	} else if (b->kind == 2) {
		struct audit_iter2 *skel2 = b->skel;

		skel2->bss->procs_only = 1;
		err = read_iter(skel2->links.mw_audit_all_fd, &o);
	} else {
		const struct audit_iter *skel = b->skel;

		err = read_iter(skel->links.mw_audit_procs_fd, &o);
	}
	if (!err) {
		now = malloc(((o.len + o2.len) / sizeof(struct mw_brec_proc) + 1) * sizeof(*now));
		err = now ? 0 : -ENOMEM;
	}
	for (int k = 0; k < 2 && !err; k++) {
		const struct iter_out *x = k ? &o2 : &o;

		for (size_t off = 0; !err && off < x->len;) {
			size_t sz = rec_size(x->buf + off, x->len - off);
			const struct mw_brec_proc *r = (const struct mw_brec_proc *)(x->buf + off);

			if (!sz || r->type != MW_BREC_PROC)
				err = -EPROTO;
			else
				now[nnow++] = r;
			off += sz;
		}
	}
	if (!err) {
		sort_if_needed((const void **)now, nnow);
		for (size_t i = 0; i < n; i++) {
			size_t end, k = mw__audit_bpf_find((const void *const *)now, nnow, v[i].pid, &end);

			changed[i] = k == end || now[k]->exec_id != v[i].exec_id || now[k]->start_ns != v[i].start_ns ||
				     (now[k]->flags & MW_BREC_PROC_EXECING);
		}
	}
	free(now);
	mw__big_free(o.buf, o.cap);
	mw__big_free(o2.buf, o2.cap);
	return err;
}

#else

int mw__audit_bpf_recheck(const struct mw__audit_bpf *b, const struct mw__audit_gen *v, size_t n,
			  bool *changed)
{
	(void)b, (void)v, (void)n, (void)changed;
	return -EOPNOTSUPP;
}

int mw__audit_bpf_load(struct mw__audit_bpf *b)
{
	memset(b, 0, sizeof(*b));
	b->load_err = -EOPNOTSUPP;
	return b->load_err;
}

int mw__audit_bpf_collect(struct mw__audit_bpf *b, bool parallel)
{
	(void)parallel;
	memset(b, 0, sizeof(*b));
	return -EOPNOTSUPP;
}

#endif

void mw__audit_bpf_free(struct mw__audit_bpf *b)
{
#if MW_HAVE_AUDIT_BPF
	if (b->skel && b->kind == 3)
		audit_iter3__destroy(b->skel);
	else if (b->skel && b->kind == 2)
		audit_iter2__destroy(b->skel);
	else if (b->skel)
		audit_iter__destroy(b->skel);
#endif
	mw__big_free(b->buf, b->cap);
	mw__big_free(b->vbuf, b->vcap);
	free(b->procs);
	free(b->fds);
	free(b->vmas);
	memset(b, 0, sizeof(*b));
}

size_t mw__audit_bpf_find(const void *const *vv, size_t n, pid_t pid, size_t *end)
{
	/* every record type starts with type and pid */
	const struct mw_brec_proc *const *v = (const struct mw_brec_proc *const *)vv;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->pid < (__u32)pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*end = lo;
	while (*end < n && v[*end]->pid == (__u32)pid)
		(*end)++;
	return lo;
}
