/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_audit_scan(): walk /proc and report fileless execution and risky memfds.
 *
 * The processes are shared out to a few threads (src/audit/proc.c reads
 * each one; for a full scan with the privileges, BPF iterators list every
 * fd table and map first: src/audit_bpf.c); findings about memfds are made
 * at the end, when every process has been seen, because sharing is a
 * property of the whole system and a process that only maps a memfd may
 * not let us read its seals.
 */
#include "audit/internal.h"
#include "core/opts.h"
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
#include <time.h>

/* An object to judge, with its sort key at hand (sorting pointers to the
 * objects themselves spent its time in cache misses). */
struct jkey {
	uint64_t dev, ino;
	int fd;
	struct mw__audit_obj *o;
};

static int cmp_jkey(const void *a, const void *b)
{
	const struct jkey *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
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

static int fill(struct mw_audit_finding *f, const struct mw__audit_obj *o, int seals, uint32_t mode, uint64_t size)
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

/* Findings about the inodes v[0..n) (whole groups of one inode) into rep. */
static int judge_range(struct mw__audit_report *rep, const struct jkey *v, size_t n)
{
	int err = 0;

	for (size_t g = 0; g < n && !err;) {
		size_t e = g;
		int seals = -1;
		uint32_t mode = 0;
		uint64_t size = 0;
		bool known = false;
		char sn[96];

		while (e < n && v[e].dev == v[g].dev && v[e].ino == v[g].ino)
			e++;
		for (size_t i = g; i < e; i++) {
			if (v[i].o->stat_known && !known) {
				known = true;
				seals = v[i].o->seals;
				mode = v[i].o->mode;
				size = v[i].o->size;
			}
		}
		mw__audit_seal_names(seals, sn, sizeof(sn));
		for (size_t i = g; i < e && !err; i++) {
			struct mw__audit_obj *o = v[i].o;
			bool sealed = mw__audit_content_sealed(seals);
			char nb[MW__AUDIT_NAME_MAX];
			const char *name = mw__audit_obj_name(o, nb, sizeof(nb));

			if (o->is_exe)
				continue;
			if (known && (mode & 0111) && !(seals >= 0 && (seals & F_SEAL_EXEC)))
				err = fill(mw__audit_add(rep, o->id, MW_AUDIT_EXEC_MEMFD,
							 sealed ? MW_AUDIT_LOW : MW_AUDIT_MEDIUM, name,
							 "%s an executable memfd (mode %04o) that is not "
							 "exec-sealed (seals: %s)%s",
							 o->fd >= 0 ? "holds" : "maps", (unsigned int)mode, sn,
							 sealed ? "; its contents are sealed" :
							 ": whoever can write to it can run what they write"),
					   o, seals, mode, size);
			if (!err && o->mapped_exec)
				err = fill(mw__audit_add(rep, o->id, MW_AUDIT_MEMFD_MAPPED_EXEC,
							 sealed ? MW_AUDIT_LOW : MW_AUDIT_HIGH, name,
							 "maps a memfd executable (seals: %s)%s", sn,
							 sealed ? "; its contents are sealed" :
							 ": code running from anonymous, writable memory"),
					   o, seals, mode, size);
			if (err || !o->mapped)
				continue;
			for (size_t j = g; j < e; j++) {
				struct mw__audit_obj *w = v[j].o;

				if (w->id->pid == o->id->pid || !(w->fd_writable || w->mapped_wshared) ||
				    !unsealed_for(w, seals))
					continue;
				err = fill(mw__audit_add(rep, o->id, MW_AUDIT_SHARED_UNSEALED,
							 o->mapped_exec ? MW_AUDIT_HIGH : MW_AUDIT_MEDIUM,
							 name,
							 "maps %sa memfd that pid %d can write, without a "
							 "write seal (seals: %s)",
							 o->mapped_exec ? "executable " : "", (int)w->id->pid, sn),
					   o, seals, mode, size);
				if (!err)
					rep->arr[rep->pub.nfindings - 1]->peer_pid = w->id->pid;
				break;
			}
		}
		g = e;
	}
	return err;
}

struct judge_job {
	struct mw__audit_report rep; /* findings only */
	const struct jkey *v;
	size_t n;
	int err;
};

static void *judge_thread(void *arg)
{
	struct judge_job *j = arg;

	j->err = judge_range(&j->rep, j->v, j->n);
	return NULL;
}

/* Findings about memfds, now that every process has been seen. With
 * nthreads > 1 the second half of the inodes is judged on another
 * thread, into findings of its own, appended at the end. */
static int judge_memfds(struct mw__audit_shared *sh, struct mw__audit_obj *objs, size_t nobjs,
			unsigned int nthreads)
{
	struct judge_job job = { .rep = { .pub = { 0 } } };
	struct jkey *v;
	size_t n = 0, half;
	pthread_t tid;
	bool threaded = false;
	int err;

	v = malloc((nobjs ? nobjs : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nobjs; i++)
		if (!objs[i].secret)
			v[n++] = (struct jkey){ objs[i].dev, objs[i].ino, objs[i].fd, &objs[i] };
	qsort(v, n, sizeof(*v), cmp_jkey);
	half = n;
	if (nthreads > 1 && n >= 2048) {
		half = n / 2;
		while (half < n && v[half].dev == v[half - 1].dev && v[half].ino == v[half - 1].ino)
			half++; /* an inode's group stays in one half */
		job.v = v + half;
		job.n = n - half;
		threaded = pthread_create(&tid, NULL, judge_thread, &job) == 0;
		if (!threaded)
			half = n;
	}
	err = judge_range(sh->rep, v, half);
	if (threaded) {
		pthread_join(tid, NULL);
		if (!err)
			err = job.err;
		if (!err && job.rep.pub.nfindings) {
			struct mw__audit_report *r = sh->rep;
			size_t need = r->pub.nfindings + job.rep.pub.nfindings;

			if (need > r->cap) {
				struct mw_audit_finding **a = realloc(r->arr, need * sizeof(*a));

				if (!a)
					err = -ENOMEM;
				else {
					r->arr = a;
					r->cap = need;
				}
			}
			if (!err) {
				memcpy(r->arr + r->pub.nfindings, job.rep.arr,
				       job.rep.pub.nfindings * sizeof(*r->arr));
				r->pub.nfindings = need;
				job.rep.pub.nfindings = 0;
			}
		}
		/* what was not handed over (after an error) */
		for (size_t i = 0; i < job.rep.pub.nfindings; i++)
			free(job.rep.arr[i]); /* object and reason with it */
		free(job.rep.arr);
	}
	free(v);
	return err;
}

/* All pids listed in /proc. */
static int list_pids(int procfd, pid_t **out, size_t *n)
{
	MW_AUTOCLOSE int fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char buf[16384] __attribute__((aligned(8)));
	size_t cap = 0;
	bool last = false;

	*out = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t len = getdents64(fd, buf, sizeof(buf));

		if (len < 0)
			return -errno;
		if (len == 0)
			return 0;
		last = (size_t)len + MW__DIRENT_MAX <= sizeof(buf);
		for (ssize_t off = 0; off < len;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			char *end;
			long pid;

			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			pid = strtol(d->d_name, &end, 10);
			if (*end || pid <= 0 || pid > INT_MAX)
				continue;
			if (*n == cap) {
				pid_t *np;

				cap = cap ? cap * 2 : 1024;
				np = realloc(*out, cap * sizeof(*np));
				if (!np)
					return -ENOMEM;
				*out = np;
			}
			(*out)[(*n)++] = (pid_t)pid;
		}
		if (last)
			return 0;
	}
}

static void *worker_main(void *arg)
{
	struct mw__audit_worker *w = arg;
	struct mw__audit_shared *sh = w->sh;

	for (;;) {
		size_t i = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
		int err;

		if (i >= sh->npids || __atomic_load_n(&sh->err, __ATOMIC_RELAXED))
			break;
		err = mw__audit_scan_proc(w, sh->pids[i]);
		if (err < 0) {
			__atomic_store_n(&sh->err, err, __ATOMIC_RELAXED);
			break;
		}
	}
	return NULL;
}

static void *bpf_loader(void *arg)
{
	mw__audit_bpf_load(arg);
	return NULL;
}

/* Threads for n processes: one per CPU (at most 8), none extra for small scans. */
static unsigned int pick_threads(unsigned int asked, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int t = asked ? asked : (cpus > 0 ? (unsigned int)cpus : 1);

	if (t > 8)
		t = 8;
	if (n < 64 * (size_t)t)
		t = (unsigned int)(n / 64) + 1;
	if (t > 8)
		t = 8;
	return t ? t : 1;
}

static void worker_free(struct mw__audit_worker *w)
{
	for (size_t i = 0; i < w->nobjs; i++)
		free(w->objs[i].name);
	free(w->objs);
	free(w->maps);
	for (size_t i = 0; i < w->ncg; i++)
		free(w->cg[i].path);
	free(w->cg);
}

/* The devices memfds (shmem, hugetlbfs per page size) and secretmem live
 * on, learned by creating one of each: PROCMAP_QUERY reports a VMA's device
 * and inode, and only VMAs on these need their path formatted. A memfd
 * on a device missing here (a hugetlb size we could not create) is still
 * found through the fds that hold it. */
static void learn_memdevs(struct mw__audit_shared *sh)
{
	static const unsigned int tries[] = {
		MFD_CLOEXEC, MFD_CLOEXEC | MFD_HUGETLB, MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_1GB,
	};
	struct stat st;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		/* MFD_NOEXEC_SEAL (6.3) keeps the kernel from warning about a
		 * memfd_create() without an exec flag; before 6.3 it is EINVAL. */
		MW_AUTOCLOSE int fd = mw_sys_memfd_create("memward-audit-probe", tries[i] | MFD_NOEXEC_SEAL);

		if (fd < 0 && errno == EINVAL)
			fd = mw_sys_memfd_create("memward-audit-probe", tries[i]);
		if (fd >= 0 && fstat(fd, &st) == 0 && sh->nmemdevs < 4)
			sh->memdevs[sh->nmemdevs++] = st.st_dev;
	}
	{
		MW_AUTOCLOSE int fd = mw_sys_memfd_secret(0);

		if (fd >= 0 && fstat(fd, &st) == 0 && sh->nmemdevs < 4)
			sh->memdevs[sh->nmemdevs++] = st.st_dev;
	}
}

MW_API int mw_audit_scan(const struct mw_audit_opts *opts, struct mw_audit_report **out)
{
	struct mw_audit_opts o = { .sz = sizeof(o) };
	struct mw__audit_shared sh = { .procfd = -1 };
	struct mw__audit_worker *w = NULL;
	struct mw__audit_obj *all = NULL;
	pthread_t *tids = NULL;
	pid_t *pids = NULL;
	size_t npids = 0, nall = 0;
	unsigned int nthreads = 1, started = 0;
	struct timespec t0, t1;
	struct mw__audit_bpf bpf = { 0 };
	struct stat st;
	int err = 0;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (MW_OPTS_IN(o, opts) < 0)
		return -EINVAL;
	if (o.flags & ~MW_AUDIT_FLAGS_ALL)
		return -EINVAL;
	if (o.npids && !o.pids)
		return -EINVAL;
	for (size_t i = 0; i < o.npids; i++)
		if (o.pids[i] <= 0)
			return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sh.flags = o.flags;
	sh.uid = o.uid;
	sh.no_query = o.flags & MW_AUDIT_F_MAPS_TEXT;
	pthread_mutex_init(&sh.lock, NULL);
	sh.procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sh.procfd < 0) {
		err = -errno;
		goto out;
	}
	if (fstatat(sh.procfd, "self/ns/pid", &st, 0) == 0)
		sh.self_ns = st.st_ino;
	sh.rep = calloc(1, sizeof(*sh.rep));
	if (!sh.rep) {
		err = -ENOMEM;
		goto out;
	}
	if (o.npids) {
		/* the caller's list, without duplicates */
		pids = malloc(o.npids * sizeof(*pids));
		if (!pids) {
			err = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < o.npids; i++) {
			bool dup = false;

			for (size_t j = 0; j < npids && !dup; j++)
				dup = pids[j] == o.pids[i];
			if (!dup)
				pids[npids++] = o.pids[i];
		}
	} else {
		/* The BPF load (a few ms in the kernel) on a second thread
		 * while this one lists the processes. */
		pthread_t loader;
		bool loading = false;

		if (!(o.flags & MW_AUDIT_F_NO_BPF) && sh.self_ns == MW__PROC_PID_INIT_INO &&
		    pick_threads(o.threads, SIZE_MAX / 2) > 1)
			loading = pthread_create(&loader, NULL, bpf_loader, &bpf) == 0;
		err = list_pids(sh.procfd, &pids, &npids);
		if (loading)
			pthread_join(loader, NULL);
		if (err)
			goto out;
	}
	sh.pids = pids;
	sh.npids = npids;
	/* The fd tables and maps of everything at once, after the pid list
	 * (a process listed and gone by then has no records and then fails
	 * to open: vanished). The iterators give pids of the initial pid
	 * namespace: only when that is the one /proc shows. */
	if (!o.npids && !(o.flags & MW_AUDIT_F_NO_BPF) && sh.self_ns == MW__PROC_PID_INIT_INO) {
		err = mw__audit_bpf_collect(&bpf, pick_threads(o.threads, npids) > 1);
		if (err == -ENOMEM)
			goto out;
		if (err == 0)
			sh.bpf = &bpf;
		err = 0;
	}

	if (!sh.bpf)
		learn_memdevs(&sh); /* for the maps of every process */
	nthreads = pick_threads(o.threads, npids);
	w = calloc(nthreads, sizeof(*w));
	tids = calloc(nthreads, sizeof(*tids));
	if (!w || !tids) {
		err = -ENOMEM;
		goto out;
	}
	for (unsigned int i = 0; i < nthreads; i++) {
		w[i].sh = &sh;
		w[i].dirfd = w[i].pidfd = -1;
	}
	/* Worker 0 is this thread; the others are helpers. A thread that
	 * cannot be created only makes the scan slower. */
	for (unsigned int i = 1; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, worker_main, &w[i]) != 0)
			break;
		started = i;
	}
	worker_main(&w[0]);
	for (unsigned int i = 1; i <= started; i++)
		pthread_join(tids[i], NULL);
	err = sh.err;
	if (err)
		goto out;

	/* All objects in one array for the judgement. */
	for (unsigned int i = 0; i < nthreads; i++)
		nall += w[i].nobjs;
	all = malloc((nall ? nall : 1) * sizeof(*all));
	if (!all) {
		err = -ENOMEM;
		goto out;
	}
	nall = 0;
	for (unsigned int i = 0; i < nthreads; i++) {
		if (w[i].nobjs)
			memcpy(all + nall, w[i].objs, w[i].nobjs * sizeof(*all));
		nall += w[i].nobjs;
		w[i].nobjs = 0; /* names now belong to all */
	}
	err = judge_memfds(&sh, all, nall, started + 1);
out:
	for (size_t i = 0; i < nall; i++)
		free(all[i].name);
	free(all);
	for (unsigned int i = 0; w && i < nthreads; i++)
		worker_free(&w[i]);
	free(w);
	free(tids);
	free(pids);
	free(sh.ns);
	mw__audit_bpf_free(&bpf);
	if (sh.procfd >= 0)
		close(sh.procfd);
	pthread_mutex_destroy(&sh.lock);
	if (err) {
		if (sh.rep) {
			mw__audit_finish(sh.rep);
			mw_audit_report_free(&sh.rep->pub);
		}
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sh.rep->pub.duration_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	sh.rep->pub.via_bpf = sh.bpf != NULL;
	mw__audit_finish(sh.rep);
	*out = &sh.rep->pub;
	return 0;
}
