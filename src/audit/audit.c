/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_audit_scan(): the audit's driver. It lists the processes, runs the
 * collectors on a few threads (proc.c for each process; for a full scan
 * with the privileges, bpf.c lists every fd table and map first), hands
 * what they collected to the rules (rules.c), and publishes the report
 * (report.c). Findings about memfds are made at the end, when every process
 * has been seen, because sharing is a property of the whole system and a
 * process that only maps a memfd may not let us read its seals.
 */
#include "sys/thread.h"
#include "audit/scan.h"
#include "audit/bpf_rec.h"
#include "core/opts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>

/* One pid namespace: its lowest pid seen (the finding's stable credit)
 * and its vm.memfd_noexec, read at first sight. */
struct ns_seen {
	uint64_t ino;
	struct mw__audit_ident *id;
	int value;
	char reason[256];
};

/* State shared by the scanning threads; lock guards rep, ns and err. */
struct scan {
	struct mw__audit_env env;
	struct mw__audit_report *rep;
	struct mw__audit_trust *trust;
	pthread_mutex_t lock;
	uint64_t self_ns;
	struct ns_seen *ns;
	size_t nns, capns;
	const pid_t *pids;
	size_t npids;
	bool asked;             /* pids came from the caller */
	pid_t *missing;
	size_t nmissing;
	size_t next;            /* next index into pids (atomic) */
	int err;
	struct mw__audit_lister lister; /* all of /proc, the BPF iterators loaded meanwhile */
	/* processes that changed during every read so far (scan_one()), to read
	 * again once the others are done (settle()) */
	struct unstable *unstable;
	size_t nunstable, capunstable;
};

/* A process that changed during every read: since when (CLOCK_MONOTONIC ns),
 * after how many reads. */
struct unstable {
	pid_t pid;
	unsigned int reads;
	uint64_t since_ns;
};

/* Reads of a process that changed while it was read, in one go: its first
 * ones, and the last stage's reads of its executable alone. */
#define FIRST_READS 3
#define EXE_READS 16

#define COUNT(sc, field) __atomic_fetch_add(&(sc)->rep->pub.field, 1, __ATOMIC_RELAXED)

/* Record the namespace of a scanned process; read its sysctl at first
 * sight (outside the lock: it may fork into the namespace). */
static int note_ns(struct scan *sc, struct mw__audit_collector *c, struct mw__audit_proc *p)
{
	struct ns_seen *n = NULL;
	char reason[256];
	int v, err;

	if (!p->pidns || (sc->env.flags & MW__AUDIT_F_NO_NS_FINDING))
		return 0;
	pthread_mutex_lock(&sc->lock);
	for (size_t i = 0; i < sc->nns && !n; i++)
		if (sc->ns[i].ino == p->pidns)
			n = &sc->ns[i];
	if (n) {
		/* the same pid: the process read again (recheck()) */
		bool lower = p->id->pid <= n->id->pid;

		pthread_mutex_unlock(&sc->lock);
		if (!lower || mw__audit_proc_ident(c) < 0)
			return 0;
		pthread_mutex_lock(&sc->lock);
		for (size_t i = 0; i < sc->nns; i++)
			if (sc->ns[i].ino == p->pidns && p->id->pid <= sc->ns[i].id->pid)
				sc->ns[i].id = p->id;
		pthread_mutex_unlock(&sc->lock);
		return 0;
	}
	pthread_mutex_unlock(&sc->lock);
	if (p->pidns == sc->self_ns) {
		v = mw__audit_ns_noexec(-1, true, false, reason, sizeof(reason));
	} else {
		MW_AUTOCLOSE int nsfd = mw__audit_proc_nsfd(c);

		if (nsfd < 0) {
			v = -1;
			snprintf(reason, sizeof(reason), "cannot open the namespace: %s", strerror(-nsfd));
		} else {
			v = mw__audit_ns_noexec(nsfd, false, !(sc->env.flags & MW_AUDIT_F_NO_NS_PROBE),
						reason, sizeof(reason));
		}
	}
	err = mw__audit_proc_ident(c);
	if (err)
		return err;
	pthread_mutex_lock(&sc->lock);
	for (size_t i = 0; i < sc->nns; i++)
		if (sc->ns[i].ino == p->pidns) { /* another thread was first */
			if (p->id->pid < sc->ns[i].id->pid)
				sc->ns[i].id = p->id;
			pthread_mutex_unlock(&sc->lock);
			return 0;
		}
	if (sc->nns == sc->capns) {
		size_t cap = sc->capns ? sc->capns * 2 : 16;
		struct ns_seen *nv = realloc(sc->ns, cap * sizeof(*nv));

		if (!nv) {
			pthread_mutex_unlock(&sc->lock);
			return -ENOMEM;
		}
		sc->ns = nv;
		sc->capns = cap;
	}
	n = &sc->ns[sc->nns++];
	n->ino = p->pidns;
	n->id = p->id;
	n->value = v;
	snprintf(n->reason, sizeof(n->reason), "%s", reason);
	pthread_mutex_unlock(&sc->lock);
	return 0;
}

static void note_missing(struct scan *sc, pid_t pid)
{
	pthread_mutex_lock(&sc->lock);
	sc->missing[sc->nmissing++] = pid;
	pthread_mutex_unlock(&sc->lock);
}

/* Note the process just read from BPF records for the exec generation
 * check at the end of the scan (recheck()). 0 or -ENOMEM. */
static int note_gen(struct mw__audit_collector *c, pid_t pid)
{
	if (c->ngens == c->capgens) {
		size_t cap = c->capgens ? c->capgens * 2 : 256;
		struct mw__audit_gen *nv = realloc(c->gens, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		c->gens = nv;
		c->capgens = cap;
	}
	c->gens[c->ngens++] = (struct mw__audit_gen){ .pid = pid, .exec_id = c->brec->exec_id,
						       .start_ns = c->brec->start_ns };
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keep pid for settle(): u, or a new entry when u is NULL. 0 or -ENOMEM. */
static int note_unstable(struct scan *sc, pid_t pid, const struct unstable *u, unsigned int reads)
{
	int err = 0;

	pthread_mutex_lock(&sc->lock);
	if (sc->nunstable == sc->capunstable) {
		size_t cap = sc->capunstable ? sc->capunstable * 2 : 8;
		struct unstable *nv = realloc(sc->unstable, cap * sizeof(*nv));

		if (nv) {
			sc->unstable = nv;
			sc->capunstable = cap;
		} else {
			err = -ENOMEM;
		}
	}
	if (!err)
		sc->unstable[sc->nunstable++] = (struct unstable){
			.pid = pid,
			.reads = (u ? u->reads : 0) + reads,
			.since_ns = u ? u->since_ns : now_ns(),
		};
	pthread_mutex_unlock(&sc->lock);
	return err;
}

/* How scan_one() reads: the first time (FIRST_READS reads), again after a
 * pause (one read), or for the last time (its executable alone). */
enum how { READ_FIRST, READ_AGAIN, READ_LAST };

/* Keep what was read of the current process (p, its objects from index
 * start of c->objs) in the report and judge it. 0 or -ENOMEM. */
static int keep(struct scan *sc, struct mw__audit_collector *c, struct mw__audit_proc *p, size_t start)
{
	int err;

	p->objs = c->objs ? c->objs + start : NULL;
	pthread_mutex_lock(&sc->lock);
	err = mw__audit_keep_ident(sc->rep, p->id);
	pthread_mutex_unlock(&sc->lock);
	if (err) {
		mw__audit_ident_free(p->id);
		p->id = NULL;
		return err;
	}
	err = note_ns(sc, c, p);
	if (!err) {
		pthread_mutex_lock(&sc->lock);
		err = mw__audit_rules_proc(sc->rep, p, sc->trust);
		pthread_mutex_unlock(&sc->lock);
	}
	if (!err && c->gen_pending)
		err = note_gen(c, p->id->pid);
	p->id = NULL;
	return err;
}

/*
 * The last stage for a process that changed during every read (u): read its
 * executable, identity and pid namespace alone, a few microseconds, until
 * one read falls within one exec generation (its maps file, opened first,
 * still reads: the same memory), and report it: what that executable is
 * (the usual rules) and that it is unstable, since its fds and maps went
 * unread. With no such read, that finding alone, by pid. Sets *r to the
 * outcome (vanished when it is gone). 0 or -ENOMEM.
 */
static int read_exe_alone(struct scan *sc, struct mw__audit_collector *c, const struct unstable *u, int *r)
{
	struct mw__audit_proc p;
	unsigned int reads = u->reads;
	int err;

	c->exe_only = true;
	for (int i = 0; i < EXE_READS; i++) {
		c->force_proc = true;
		*r = mw__audit_proc_read(c, u->pid, &p);
		reads++;
		if (*r < 0 || (*r != MW__PROC_SCANNED && *r != MW__PROC_CHANGED))
			break;
		if (*r == MW__PROC_SCANNED && mw__audit_proc_unchanged(c))
			break;
		*r = MW__PROC_CHANGED;
		mw__audit_proc_done(c);
		mw__audit_ident_free(p.id);
		p.id = NULL;
	}
	c->exe_only = false;
	if (*r == MW__PROC_CHANGED) {
		/* alive and never still: its pid is all there is to show */
		mw__audit_proc_done(c);
		memset(&p, 0, sizeof(p));
		p.id = calloc(1, sizeof(*p.id));
		if (!p.id)
			return -ENOMEM;
		p.id->pid = u->pid;
		p.id->uid = (uid_t)-1;
		p.id_loaded = true;
		*r = MW__PROC_SCANNED;
	}
	if (*r != MW__PROC_SCANNED) {
		mw__audit_ident_free(p.id);
		return *r < 0 ? *r : 0;
	}
	COUNT(sc, procs_unstable);
	{
		struct mw__audit_ident *id = p.id;

		err = keep(sc, c, &p, c->nobjs);
		if (!err) {
			pthread_mutex_lock(&sc->lock);
			p.id = id;
			err = mw__audit_rules_unstable(sc->rep, &p, reads,
							(unsigned int)((now_ns() - u->since_ns) / 1000000u));
			p.id = NULL;
			pthread_mutex_unlock(&sc->lock);
		}
	}
	return err;
}

/* Read one process (again, when it changed while read) and judge it. A
 * process that changed during each of its reads is kept for settle() (u:
 * its entry there, NULL the first time), not counted yet. */
static int scan_one(struct scan *sc, struct mw__audit_collector *c, pid_t pid, enum how how,
		    const struct unstable *u)
{
	struct mw__audit_proc p = { 0 };
	int r = MW__PROC_CHANGED, err = 0;
	int reads = how == READ_FIRST ? FIRST_READS : 1;
	bool existed = false;

	for (int attempt = 0; how != READ_LAST; attempt++) {
		size_t start = c->nobjs;

		r = mw__audit_proc_read(c, pid, &p);
		if (r < 0 || (r != MW__PROC_SCANNED && r != MW__PROC_CHANGED))
			break;
		/* a finding describes one state of one process: what was read
		 * must still be what runs (same exec generation, alive). Read
		 * through a thread, even an empty read is checked: the thread
		 * may have exited between its exe link and its fd table and
		 * maps, which then read as empty while its group runs on. */
		if (r == MW__PROC_CHANGED ||
		    ((p.id_loaded || p.nobjs || p.via_thread) && !mw__audit_proc_unchanged(c))) {
			for (size_t i = start; i < c->nobjs; i++)
				free(c->objs[i].name);
			c->nobjs = start;
			mw__audit_proc_done(c);
			mw__audit_ident_free(p.id);
			p.id = NULL;
			if (attempt + 1 < reads) {
				COUNT(sc, procs_rescanned);
				c->force_proc = true; /* BPF records are from before */
				continue;
			}
			r = MW__PROC_CHANGED;
			break;
		}
		err = keep(sc, c, &p, start);
		break;
	}
	c->force_proc = false;
	if (p.id)
		mw__audit_ident_free(p.id);
	if (r == MW__PROC_CHANGED) {
		/* changed during every read: again later, or by its exe alone */
		mw__audit_proc_done(c);
		if (how != READ_LAST)
			return note_unstable(sc, pid, u, (unsigned int)reads);
		existed = true;
		err = read_exe_alone(sc, c, u, &r);
		if (err) {
			mw__audit_proc_done(c);
			return err;
		}
	}
	if (r != MW__PROC_FILTERED && r >= 0)
		COUNT(sc, procs_seen);
	switch (r) {
	case MW__PROC_SCANNED: COUNT(sc, procs_scanned); break;
	case MW__PROC_VANISHED: COUNT(sc, procs_vanished); break;
	case MW__PROC_UNREADABLE: COUNT(sc, procs_unreadable); break;
	case MW__PROC_KERNEL: COUNT(sc, procs_kernel); break;
	default: break;
	}
	/* an asked-for pid that names no process at all */
	if (c->dirfd < 0 && r == MW__PROC_VANISHED && sc->asked && !existed) {
		char name[16];
		struct stat st;

		snprintf(name, sizeof(name), "%d", (int)pid);
		if (fstatat(sc->env.procfd, name, &st, 0) < 0 && errno == ENOENT)
			note_missing(sc, pid);
	}
	mw__audit_proc_done(c);
	return r < 0 ? r : err;
}

/*
 * The processes that changed during every read so far, read again after
 * growing pauses (2, 4, 8, 16 and 32 ms, one read each): a program started
 * through a few wrappers has settled by then. Those still changing are
 * read for the last time (scan_one(), READ_LAST). 0 or -ENOMEM.
 */
static int settle(struct scan *sc, struct mw__audit_collector *c)
{
	static const long pause_ms[] = { 2, 4, 8, 16, 32 };
	size_t rounds = sizeof(pause_ms) / sizeof(pause_ms[0]);
	int err = 0;

	for (size_t round = 0; round <= rounds && sc->nunstable && !err; round++) {
		struct unstable *v = sc->unstable;
		size_t n = sc->nunstable;

		sc->unstable = NULL;
		sc->nunstable = sc->capunstable = 0;
		if (round < rounds) {
			struct timespec ts = { 0, pause_ms[round] * 1000000L };

			nanosleep(&ts, NULL);
		}
		for (size_t i = 0; i < n && !err; i++) {
			COUNT(sc, procs_rescanned);
			c->force_proc = true; /* BPF records are from before */
			err = scan_one(sc, c, v[i].pid, round < rounds ? READ_AGAIN : READ_LAST, &v[i]);
		}
		free(v);
	}
	return err;
}

struct worker {
	struct scan *sc;
	struct mw__audit_collector c;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct scan *sc = w->sc;

	for (;;) {
		size_t i = __atomic_fetch_add(&sc->next, 1, __ATOMIC_RELAXED);
		int err;

		if (i >= sc->npids || __atomic_load_n(&sc->err, __ATOMIC_RELAXED))
			break;
		err = scan_one(sc, &w->c, sc->pids[i], READ_FIRST, NULL);
		if (err < 0) {
			__atomic_store_n(&sc->err, err, __ATOMIC_RELAXED);
			break;
		}
	}
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

/* Worth loading the BPF iterators? Not asked off, a scan of everything from
 * the initial pid namespace, and a system that may be large enough or the
 * caller insists. sysinfo's task count (one cheap syscall, threads
 * included) bounds the process count from above: below the threshold the
 * iterators are not even loaded. */
static bool want_bpf(const struct scan *sc, const struct mw_audit_opts *o)
{
	struct sysinfo si;

	if (o->npids || (o->flags & MW_AUDIT_F_NO_BPF) || sc->self_ns != MW__PROC_PID_INIT_INO)
		return false;
	if (o->flags & MW_AUDIT_F_BPF)
		return true;
	return sysinfo(&si) < 0 || si.procs >= MW_AUDIT_BPF_MIN_PROCS;
}

/* Run them? By the number of processes listed (a few processes with many
 * threads are read faster through /proc): loading the iterators costs
 * about as much as reading 300 processes through /proc (bench/audit). */
static bool use_bpf(const struct scan *sc, const struct mw_audit_opts *o, size_t npids)
{
	return want_bpf(sc, o) && ((o->flags & MW_AUDIT_F_BPF) || npids >= MW_AUDIT_BPF_MIN_PROCS);
}

/* The processes to scan: the caller's (without duplicates) or all. */
static int get_pids(struct scan *sc, const struct mw_audit_opts *o, struct mw__audit_bpf *bpf,
		    pid_t **pids, size_t *npids)
{
	if (o->npids) {
		*pids = malloc(o->npids * sizeof(**pids));
		sc->missing = malloc(o->npids * sizeof(*sc->missing));
		if (!*pids || !sc->missing)
			return -ENOMEM;
		for (size_t i = 0; i < o->npids; i++) {
			bool dup = false;

			for (size_t j = 0; j < *npids && !dup; j++)
				dup = (*pids)[j] == o->pids[i];
			if (!dup)
				(*pids)[(*npids)++] = o->pids[i];
		}
		sc->asked = true;
		return 0;
	}
	/* all, the iterators loaded meanwhile where worth it (pids.c) */
	sc->lister.procfd = sc->env.procfd;
	sc->lister.bpf = bpf;
	return mw__audit_list_all(&sc->lister, want_bpf(sc, o) && pick_threads(o->threads, SIZE_MAX / 2) > 1,
				  o->flags & MW_AUDIT_F_BPF, pids, npids);
}

static void join_loader(struct scan *sc)
{
	mw__audit_lister_join(&sc->lister);
}

static int check_opts(const struct mw_audit_opts *o)
{
	if (o->flags & ~MW_AUDIT_FLAGS_ALL)
		return -EINVAL;
	if ((o->npids && !o->pids) || (o->ntrusted && !o->trusted))
		return -EINVAL;
	for (size_t i = 0; i < o->npids; i++)
		if (o->pids[i] <= 0)
			return -EINVAL;
	return 0;
}

/* Run the collectors on nthreads threads (this one included). */
static int run_workers(struct scan *sc, struct worker *w, unsigned int nthreads, unsigned int *started)
{
	pthread_t tids[8];

	*started = 0;
	for (unsigned int i = 0; i < nthreads; i++) {
		w[i].sc = sc;
		w[i].c.env = &sc->env;
		w[i].c.dirfd = -1;
	}
	/* A thread that cannot be created only makes the scan slower. */
	for (unsigned int i = 1; i < nthreads; i++) {
		if (mw__thread_create(&tids[i], worker_main, &w[i]) != 0)
			break;
		*started = i;
	}
	worker_main(&w[0]);
	for (unsigned int i = 1; i <= *started; i++)
		pthread_join(tids[i], NULL);
	return sc->err;
}

/* Forget what was read of pid (its findings, its objects) before it is
 * read again. */
static void forget(struct scan *sc, struct worker *w, unsigned int nthreads, pid_t pid)
{
	struct mw__audit_report *rep = sc->rep;
	size_t n = 0;

	for (size_t i = 0; i < rep->pub.nfindings; i++) {
		if (rep->arr[i]->pid != pid) /* its memory goes with the report's */
			rep->arr[n++] = rep->arr[i];
	}
	rep->pub.nfindings = n;
	for (unsigned int t = 0; t < nthreads; t++) {
		struct mw__audit_collector *c = &w[t].c;

		n = 0;
		for (size_t i = 0; i < c->nobjs; i++) {
			if (c->objs[i].id && c->objs[i].id->pid == pid)
				free(c->objs[i].name);
			else
				c->objs[n++] = c->objs[i];
		}
		c->nobjs = n;
	}
}

/* The exec generation of every process read from BPF records, in one walk
 * of the tasks once all were read (not one per process): a process that
 * exec'd (or exited and left its pid to another) since the iterators ran
 * is read again through /proc, so that its findings describe one state. */
static int recheck(struct scan *sc, struct worker *w, unsigned int nthreads)
{
	struct mw__audit_gen *v;
	bool *changed;
	size_t n = 0;
	int err = 0;

	for (unsigned int t = 0; t < nthreads; t++)
		n += w[t].c.ngens;
	if (!n)
		return 0;
	v = malloc(n * sizeof(*v));
	changed = calloc(n, sizeof(*changed));
	if (!v || !changed) {
		free(v);
		free(changed);
		return -ENOMEM;
	}
	n = 0;
	for (unsigned int t = 0; t < nthreads; t++) {
		if (w[t].c.ngens)
			memcpy(v + n, w[t].c.gens, w[t].c.ngens * sizeof(*v));
		n += w[t].c.ngens;
		w[t].c.ngens = 0;
	}
	/* Unknown (the iterator did not run again): every one of them is
	 * read again through /proc, which checks its own generation. */
	err = mw__audit_bpf_recheck(sc->env.bpf, v, n, changed);
	if (err == -ENOMEM)
		goto out;
	if (err)
		for (size_t i = 0; i < n; i++)
			changed[i] = true;
	err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		struct mw__audit_collector *c = &w[0].c;

		if (!changed[i])
			continue;
		forget(sc, w, nthreads, v[i].pid);
		__atomic_fetch_sub(&sc->rep->pub.procs_seen, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&sc->rep->pub.procs_scanned, 1, __ATOMIC_RELAXED);
		COUNT(sc, procs_rescanned);
		c->force_proc = true; /* its BPF records are from before */
		err = scan_one(sc, c, v[i].pid, READ_FIRST, NULL);
	}
out:
	free(v);
	free(changed);
	return err;
}

/* The findings that need the whole system: namespaces, memfds (from the
 * objects each collector holds, which it frees). */
static int judge_all(struct scan *sc, struct worker *w, unsigned int nthreads, unsigned int started)
{
	struct mw__audit_objs parts[8];
	int err = 0;

	for (size_t i = 0; i < sc->nns && !err; i++)
		err = mw__audit_rules_ns(sc->rep, sc->ns[i].id, sc->ns[i].ino, sc->ns[i].value,
					 sc->ns[i].reason);
	if (err)
		return err;
	for (unsigned int i = 0; i < nthreads; i++)
		parts[i] = (struct mw__audit_objs){ w[i].c.objs, w[i].c.nobjs };
	return mw__audit_rules_memfds(sc->rep, parts, nthreads, started + 1, sc->trust);
}

static int scan_run(struct scan *sc, const struct mw_audit_opts *o, struct mw__audit_bpf *bpf)
{
	struct worker *w = NULL;
	pid_t *pids = NULL;
	size_t npids = 0;
	unsigned int nthreads, started = 0;
	int err;

	err = get_pids(sc, o, bpf, &pids, &npids);
	if (err)
		goto out;
	sc->pids = pids;
	sc->npids = npids;
	/* The fd tables and maps of everything at once, after the pid list
	 * (a process listed and gone by then has no records and then fails
	 * to open: vanished). The iterators give pids of the initial pid
	 * namespace: only when that is the one /proc shows. */
	if (use_bpf(sc, o, npids)) {
		join_loader(sc);
		err = mw__audit_bpf_collect(bpf, pick_threads(o->threads, npids) > 1);
		if (err == -ENOMEM)
			goto out;
		if (err == 0)
			sc->env.bpf = bpf;
		err = 0;
	}
	nthreads = pick_threads(o->threads, npids);
	w = calloc(nthreads, sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		goto out;
	}
	err = run_workers(sc, w, nthreads, &started);
	if (!err && sc->env.bpf)
		err = recheck(sc, w, started + 1);
	if (!err)
		err = settle(sc, &w[0].c);
	if (!err)
		err = judge_all(sc, w, nthreads, started);
	for (unsigned int i = 0; i < nthreads; i++)
		mw__audit_collector_free(&w[i].c);
out:
	/* a load not used (an error before the collection) */
	join_loader(sc);
	free(w);
	free(pids);
	return err;
}

/* A scan with the trust set and hash cache of the caller (a watch keeps
 * them from scan to scan). opts already validated. */
int mw__audit_scan_with(const struct mw_audit_opts *opts, struct mw__audit_trust *trust,
			struct mw__audit_hcache *hashes, struct mw_audit_report **out)
{
	struct mw_audit_opts o = *opts;
	struct scan sc = { .env = { .procfd = -1 } };
	struct mw__audit_bpf bpf = { 0 };
	struct timespec t0, t1;
	struct stat st;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	sc.env.flags = o.flags;
	sc.env.uid = o.uid;
	sc.env.text_maps = o.flags & MW_AUDIT_F_MAPS_TEXT;
	sc.env.hashes = hashes;
	sc.trust = trust;
	if (trust) {
		sc.env.trusted_sizes = trust->sizes;
		sc.env.ntrusted_sizes = trust->npaths;
	}
	pthread_mutex_init(&sc.lock, NULL);
	sc.env.procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	sc.rep = calloc(1, sizeof(*sc.rep));
	if (sc.env.procfd < 0 || !sc.rep) {
		err = sc.env.procfd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	if (fstatat(sc.env.procfd, "self/ns/pid", &st, 0) == 0)
		sc.self_ns = sc.env.self_ns = st.st_ino;
	err = scan_run(&sc, &o, &bpf);
out:
	free(sc.ns);
	free(sc.unstable);
	mw__audit_bpf_free(&bpf);
	if (sc.env.procfd >= 0)
		close(sc.env.procfd);
	pthread_mutex_destroy(&sc.lock);
	if (err) {
		free(sc.missing);
		if (sc.rep) {
			mw__audit_finish(sc.rep);
			mw_audit_report_free(&sc.rep->pub);
		}
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sc.rep->pub.duration_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	sc.rep->pub.via_bpf = sc.env.bpf != NULL;
	sc.rep->pub.missing = sc.missing;
	sc.rep->pub.nmissing = sc.nmissing;
	mw__audit_finish(sc.rep);
	*out = &sc.rep->pub;
	return 0;
}

int mw__audit_opts_in(struct mw_audit_opts *o, const struct mw_audit_opts *opts)
{
	if (MW_OPTS_IN(*o, opts) < 0 || check_opts(o) < 0)
		return -EINVAL;
	return 0;
}

MW_API int mw_audit_scan(const struct mw_audit_opts *opts, struct mw_audit_report **out)
{
	struct mw_audit_opts o = { .sz = sizeof(o) };
	struct mw__audit_trust trust = { 0 };
	struct mw__audit_hcache hashes = { .lock = PTHREAD_MUTEX_INITIALIZER };
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (mw__audit_opts_in(&o, opts) < 0)
		return -EINVAL;
	err = mw__audit_trust_load(&trust, o.trusted, o.ntrusted);
	if (!err)
		err = mw__audit_scan_with(&o, &trust, &hashes, out);
	mw__audit_trust_free(&trust);
	mw__audit_hcache_free(&hashes);
	return err;
}
