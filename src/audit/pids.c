/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The processes of a whole-system scan, listed from /proc, and the load of
 * the BPF iterators (bpf.c) overlapping that listing. The load takes a few
 * milliseconds in the kernel; a small system never pays for it: it starts
 * from the moment the list is long enough for the iterators to be used
 * (MW_AUDIT_BPF_MIN_PROCS), on a second thread. Where /proc's link count
 * already says the list will be long enough, it starts at once, on the
 * calling thread, while a second thread lists: the load is the longer of
 * the two, and a new thread can take a millisecond to be scheduled on an
 * idle CPU of a virtual machine (scan start to iterators loaded: 5.8 ->
 * 5.1 ms on 2,000 processes).
 */
#include "sys/thread.h"
#include "audit/collect.h"
#include "proc/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memward/audit.h>

/* The links of /proc's directory are its own subdirectories (a dozen:
 * fs, sys, bus, ...; fewer than this many) plus one for every process of
 * the system, kernel threads included (nr_processes(), fs/proc/root.c). */
#define PROC_OWN_LINKS 64

struct pidlist {
	pid_t *v;
	size_t n, cap;
	size_t at;                      /* call at_count(arg) when n reaches at */
	void (*at_count)(void *arg);
	void *arg;
};

static int add_pid(void *arg, long num, const char *name)
{
	struct pidlist *l = arg;

	(void)name;
	if (num <= 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		pid_t *nv = realloc(l->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = (pid_t)num;
	if (l->n == l->at && l->at_count)
		l->at_count(l->arg);
	return 0;
}

/* All pids listed in /proc; hook holds the at_count hook. */
static int list_pids(int procfd, const struct pidlist *hook, pid_t **out, size_t *n)
{
	MW_AUTOCLOSE int fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct pidlist l = *hook;
	int err;

	if (fd < 0)
		return -errno;
	err = mw__proc_walk_numeric(fd, add_pid, &l);
	*out = l.v;
	*n = l.n;
	return err;
}

static void *bpf_loader(void *arg)
{
	mw__audit_bpf_load(arg);
	return NULL;
}

static void start_loader(void *arg)
{
	struct mw__audit_lister *l = arg;

	if (!l->loading)
		l->loading = mw__thread_create(&l->loader, bpf_loader, l->bpf) == 0;
}

/* /proc's link count (0 when unknown). */
static nlink_t procs_linked(int procfd)
{
	struct stat st;

	return fstat(procfd, &st) == 0 ? st.st_nlink : 0;
}

struct lister_job {
	int procfd;
	pid_t *v;
	size_t n;
	int err;
};

static void *lister_main(void *arg)
{
	struct lister_job *j = arg;
	const struct pidlist none = { 0 };

	j->err = list_pids(j->procfd, &none, &j->v, &j->n);
	return NULL;
}

/* Load the iterators on this thread while another lists the processes
 * (here after the load when no thread can be had). */
static int load_while_listing(struct mw__audit_lister *l, pid_t **pids, size_t *npids)
{
	struct lister_job j = { .procfd = l->procfd };
	const struct pidlist none = { 0 };
	pthread_t t;
	bool threaded = mw__thread_create(&t, lister_main, &j) == 0;

	mw__audit_bpf_load(l->bpf);
	if (!threaded)
		return list_pids(l->procfd, &none, pids, npids);
	pthread_join(t, NULL);
	*pids = j.v;
	*npids = j.n;
	return j.err;
}

int mw__audit_list_all(struct mw__audit_lister *l, bool load, bool insist, pid_t **pids, size_t *npids)
{
	struct pidlist hook = { 0 };

	if (load) {
		if (insist || procs_linked(l->procfd) >= MW_AUDIT_BPF_MIN_PROCS + PROC_OWN_LINKS)
			return load_while_listing(l, pids, npids);
		hook.at = MW_AUDIT_BPF_MIN_PROCS;
		hook.at_count = start_loader;
		hook.arg = l;
	}
	return list_pids(l->procfd, &hook, pids, npids);
}

void mw__audit_lister_join(struct mw__audit_lister *l)
{
	if (l->loading)
		pthread_join(l->loader, NULL);
	l->loading = false;
}
