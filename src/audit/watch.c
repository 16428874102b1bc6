/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's watch: exec events, each new process looked at at once. The
 * events come from a BPF program on sched_process_exec where one loads
 * (watch_bpf.c: its record says what the executable was at exec, so a
 * fileless process that exits before it is read is still reported, by
 * the rules, from what the kernel knew), else from the proc connector
 * (NETLINK_CONNECTOR, CN_IDX_PROC; PROC_EVENT_EXEC since 2.6.15: a pid only).
 * The cost per event is a readlink of /proc/PID/exe, with the proc
 * connector also a read of /proc/PID/cmdline (and for an interpreter a
 * readlink of its fd 0); only a process whose executable is a memfd or an
 * unlinked file, whose arguments name one of its fds, or an interpreter
 * whose stdin is a memfd, is read fully
 * (through the same collectors and rules as a scan), so a machine running a
 * thousand execs a second costs little. Fileless libraries loaded later
 * are a matter for the periodic scans.
 */
#include "audit/watch_rec.h"
#include "core/opts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

/* One exec event: a pid, and with the BPF source what the kernel knew. */
struct wev {
	pid_t pid;
	bool has_rec;
	bool again;   /* proc connector: an earlier exec of it was not seen */
	struct mw_exec_rec rec;
};

/* Proc connector: when each of the last pids read was read (a direct-mapped
 * table by pid), to tell whether a read can have seen a later exec's image
 * instead of its own. */
#define WATCH_READ_SLOTS 4096
struct read_at {
	pid_t pid;
	uint64_t end_ns; /* CLOCK_MONOTONIC, the clock of the connector's timestamps */
};

#define WATCH_MAX_EVENTS 4096 /* per call: more wait in the ring buffer or socket */
#define WATCH_BATCH_MS 100     /* BPF: the longest an exec waits to be read */
/* This much of a command line is read at every exec that needs it (the
 * scans read all of it). */
#define WATCH_ARGS_MAX ((size_t)64 << 10)
/* A process with more arguments than that is read whole (a full read: all
 * of its command line where it holds a memfd) at once, up to this many a
 * second on average and this many in a burst; past them its arguments wait
 * for the next full scan (mw_audit_watch_stats.args_unread), so that an
 * exec loop with megabytes of arguments cannot hold back the watch's other
 * lines. Measured on two CPUs: a loop of shells holding a memfd, each with
 * 1.9 MiB of "/fd " words, 44 execs a second, cost the watch 18% of a CPU
 * with these (9% when nothing past 64 KiB was read). */
#define WATCH_LONG_ARGS_PER_S 8
#define WATCH_LONG_ARGS_BURST 16
#define CN_BATCH 64            /* connector datagrams a recvmmsg() takes */
#define CN_MSG_MAX 256         /* an event's datagram: 16 + 20 + 40 bytes, and room */

/* What one call of mw_audit_watch_next() makes of its events (reused from
 * call to call; too big for the stack). */
struct batch {
	pid_t look[WATCH_MAX_EVENTS];  /* to read fully */
	bool must[WATCH_MAX_EVENTS];   /* look[i] was for its exe: a read gives a finding */
	size_t nlook;
	pid_t gone[WATCH_MAX_EVENTS];  /* gone (or exec'd again) before they were read */
	size_t ngone;
	/* long command lines past the ration: exe strings owned here until
	 * copied into the report */
	struct mw_audit_unread longs[WATCH_MAX_EVENTS];
	size_t nlong;
	bool any_rec;                  /* a BPF record to judge */
};

struct mw_audit_watch {
	struct mw_audit_opts opts;
	struct mw__audit_trust trust;
	struct mw__audit_hcache hashes;
	int sock;                   /* proc connector, or -1 */
	struct mw__exec_bpf *bpf;   /* BPF source, or NULL */
	int procfd;
	struct mw_audit_watch_stats st;
	struct wev *ev;             /* this call's events */
	struct batch *batch;        /* and what is made of them */
	char *args;                 /* a command line (WATCH_ARGS_MAX bytes and a NUL) */
	void *cnbuf;                /* the connector's datagrams (CN_BATCH of CN_MSG_MAX) */
	size_t nev;
	uint64_t bpf_lost_seen;
	struct read_at *reads;      /* proc connector: WATCH_READ_SLOTS */
	double long_args_tokens;    /* full reads of long command lines still allowed */
	struct timespec long_args_at; /* when they were counted */
};

MW_API int mw_audit_watch_new(const struct mw_audit_opts *opts, struct mw_audit_watch **out)
{
	struct mw_audit_watch *w;
	int err;

	if (!out)
		return -EINVAL;
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->opts.sz = sizeof(w->opts);
	w->sock = w->procfd = -1;
	w->long_args_tokens = WATCH_LONG_ARGS_BURST;
	clock_gettime(CLOCK_MONOTONIC, &w->long_args_at);
	pthread_mutex_init(&w->hashes.lock, NULL);
	err = mw__audit_opts_in(&w->opts, opts);
	if (!err) {
		w->opts.pids = NULL;
		w->opts.npids = 0;
		err = mw__audit_trust_load(&w->trust, w->opts.trusted, w->opts.ntrusted);
		w->opts.trusted = NULL; /* the caller's array need not outlive this call */
		w->opts.ntrusted = 0;
	}
	if (!err) {
		w->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
		err = w->procfd < 0 ? -errno : 0;
	}
	if (!err) {
		w->ev = malloc(WATCH_MAX_EVENTS * sizeof(*w->ev));
		w->batch = calloc(1, sizeof(*w->batch));
		/* reserved, touched as far as a command line reaches */
		w->args = malloc(WATCH_ARGS_MAX + 1);
		err = w->ev && w->batch && w->args ? 0 : -ENOMEM;
	}
	/* The BPF source first (tried, never assumed), the proc connector
	 * where it does not load or the caller wants no BPF. */
	if (!err && (w->opts.flags & MW_AUDIT_F_NO_BPF || mw__exec_bpf_open(&w->bpf) < 0)) {
		w->sock = mw__watch_cn_open();
		err = w->sock < 0 ? w->sock : 0;
		if (!err) {
			w->cnbuf = malloc(CN_BATCH * CN_MSG_MAX);
			w->reads = calloc(WATCH_READ_SLOTS, sizeof(*w->reads));
			err = w->cnbuf && w->reads ? 0 : -ENOMEM;
		}
	}
	if (err) {
		mw_audit_watch_free(w);
		return err;
	}
	*out = w;
	return 0;
}

MW_API int mw_audit_watch_fd(const struct mw_audit_watch *w)
{
	if (!w)
		return -EINVAL;
	return w->bpf ? mw__exec_bpf_fd(w->bpf) : w->sock;
}

MW_API const char *mw_audit_watch_source(const struct mw_audit_watch *w)
{
	if (!w)
		return NULL;
	return w->bpf ? mw__exec_bpf_name(w->bpf) : "proc_connector";
}

MW_API void mw_audit_watch_free(struct mw_audit_watch *w)
{
	if (!w)
		return;
	if (w->sock >= 0) {
		mw__watch_cn_stop(w->sock);
		close(w->sock);
	}
	mw__exec_bpf_close(w->bpf);
	if (w->procfd >= 0)
		close(w->procfd);
	free(w->ev);
	free(w->batch);
	free(w->args);
	free(w->cnbuf);
	free(w->reads);
	mw__audit_trust_free(&w->trust);
	mw__audit_hcache_free(&w->hashes);
	pthread_mutex_destroy(&w->hashes.lock);
	free(w);
}

/* The pids of pending proc connector exec events (deduplicated) into w->ev,
 * up to CN_BATCH datagrams a system call. */
static int drain_connector(struct mw_audit_watch *w)
{
	char (*bufs)[CN_MSG_MAX] = w->cnbuf;
	struct mmsghdr msgs[CN_BATCH];
	struct iovec iov[CN_BATCH];

	for (;;) {
		int n;

		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < CN_BATCH; i++) {
			iov[i] = (struct iovec){ bufs[i], CN_MSG_MAX };
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		n = recvmmsg(w->sock, msgs, CN_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				return -EINTR;
			if (errno == ENOBUFS) {
				w->st.lost++; /* dropped by the kernel: rescan advised */
				continue;
			}
			return 0; /* EAGAIN: drained */
		}
		for (int i = 0; i < n; i++) {
			uint64_t ts = 0;
			pid_t pid = mw__watch_cn_exec_pid(bufs[i], msgs[i].msg_len, &w->st.execs, &ts);
			const struct read_at *ra = &w->reads[(unsigned int)pid % WATCH_READ_SLOTS];
			/* it exec'd before the end of the last read of it: that
			 * read may have seen this exec's image, not its own */
			bool again = ra->pid == pid && ts < ra->end_ns;
			size_t k = 0;

			if (!pid)
				continue;
			while (k < w->nev && w->ev[k].pid != pid)
				k++;
			if (k < w->nev) /* two execs before one read: the first unseen */
				w->ev[k].again = true;
			else if (w->nev < WATCH_MAX_EVENTS)
				w->ev[w->nev++] = (struct wev){ .pid = pid, .again = again };
			else
				w->st.lost++; /* more than a call takes: as good as dropped */
		}
		if (n < CN_BATCH)
			return 0; /* what was queued is read */
	}
}

/* May another command line of more than WATCH_ARGS_MAX bytes be read
 * whole now? A token bucket: WATCH_LONG_ARGS_PER_S a second, up to
 * WATCH_LONG_ARGS_BURST. */
static bool long_args_token(struct mw_audit_watch *w)
{
	struct timespec now;
	double dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - w->long_args_at.tv_sec) + (double)(now.tv_nsec - w->long_args_at.tv_nsec) / 1e9;
	w->long_args_at = now;
	w->long_args_tokens += dt * WATCH_LONG_ARGS_PER_S;
	if (w->long_args_tokens > WATCH_LONG_ARGS_BURST)
		w->long_args_tokens = WATCH_LONG_ARGS_BURST;
	if (w->long_args_tokens < 1)
		return false;
	w->long_args_tokens -= 1;
	return true;
}

/* Worth a full read? Its exe link goes to link ("" when unread). 1: its
 * executable is a memfd or an unlinked file;
 * 2: asked with_args (no exec record tells its arguments), its arguments
 * name one of its fds, or it is an interpreter whose fd 0 is a memfd; 3:
 * asked with_args, none of its first WATCH_ARGS_MAX bytes of arguments
 * does, and it has more; 0 none of these; -1 when it exited (or exec'd
 * again) before the exe link could be read. */
static int interesting(struct mw_audit_watch *w, pid_t pid, bool with_args, char link[PATH_MAX])
{
	char name[32];
	ssize_t n;
	enum mw__link_class c;
	bool interp;

	snprintf(name, sizeof(name), "%d/exe", (int)pid);
	n = readlinkat(w->procfd, name, link, PATH_MAX - 1);
	if (n < 0)
		return errno == EACCES ? 0 : -1;
	link[n] = '\0';
	c = mw__link_classify(link, (size_t)n, NULL);
	if (c != MW__LINK_OTHER)
		return 1;
	if (!with_args)
		return 0;
	if (mw__proc_is_interpreter(link) || mw__proc_is_loader(link)) {
		/* an interpreter reading its program from a memfd (sh < memfd;
		 * ld.so /bin/sh < memfd: the scan reads its arguments) */
		char in[PATH_MAX];
		ssize_t k;

		snprintf(name, sizeof(name), "%d/fd/0", (int)pid);
		k = readlinkat(w->procfd, name, in, sizeof(in));
		if (k > 0 && mw__link_classify(in, (size_t)k, NULL) == MW__LINK_MEMFD)
			return 2;
	}
	snprintf(name, sizeof(name), "%d/cmdline", (int)pid);
	n = mw__proc_read_at(w->procfd, name, w->args, WATCH_ARGS_MAX + 1);
	if (n <= 0)
		return 0;
	/* relative paths, and those it builds: an interpreter's (sh 3 in
	 * /proc/self/fd, ". /dev/fd/[3]") */
	interp = mw__proc_runs_interpreter(link, w->args, (size_t)n);
	if (mw__watch_args_name_fd(w->procfd, w->args, (size_t)n, pid, interp, interp))
		return 2;
	return (size_t)n == WATCH_ARGS_MAX ? 3 : 0;
}

static int on_rec(void *arg, const struct mw_exec_rec *r)
{
	struct mw_audit_watch *w = arg;

	if (w->nev == WATCH_MAX_EVENTS) {
		w->st.lost++;
		return 0;
	}
	w->ev[w->nev++] = (struct wev){ .pid = (pid_t)r->pid, .has_rec = true, .rec = *r };
	return 0;
}

static int drain_bpf(struct mw_audit_watch *w)
{
	uint64_t execs, dropped;
	int err = mw__exec_bpf_drain(w->bpf, on_rec, w);

	mw__exec_bpf_counts(w->bpf, &execs, &dropped);
	w->st.execs = execs;
	w->st.lost += dropped - w->bpf_lost_seen;
	w->bpf_lost_seen = dropped;
	return err;
}

/* Findings about a process from its exec record alone (it exited, or exec'd
 * again, before it could be read): the same rules as a scan, on what the
 * kernel knew at exec. 0 or -ENOMEM. */
static int judge_record(struct mw_audit_watch *w, struct mw__audit_report *rep, const struct mw_exec_rec *r)
{
	struct mw__audit_proc p = { 0 };
	struct mw__audit_ident *id = mw__watch_rec_ident(rep, r);
	size_t first = rep->pub.nfindings;
	int err;

	if (!id)
		return -ENOMEM;
	p.id = id;
	p.id_loaded = true;
	p.exe.fi.dev = makedev(r->dev >> 20, r->dev & 0xfffff);
	p.exe.fi.ino = r->ino;
	p.exe.fi.mode = r->mode & 07777;
	p.exe.fi.size = r->size;
	p.exe.fi.nlink = r->nlink;
	p.exe.fi.seals = (r->flags & MW_EXEC_SEALS) ? r->seals : -1;
	p.exe.info_known = true;
	p.exe.root_owned = (r->flags & MW_EXEC_UID) && r->uid == 0;
	p.exe.kind = MW__EXE_DELETED;
	if ((r->flags & MW_EXEC_MEMFD) && mw__memdev_is_memfd(p.exe.fi.dev, &p.exe.hugetlb))
		p.exe.kind = MW__EXE_MEMFD;
	err = mw__audit_rules_proc(rep, &p, &w->trust);
	for (size_t i = first; i < rep->pub.nfindings; i++)
		rep->arr[i]->exec_record = true;
	return err;
}

/* The uid filter, for a record of a process that is gone. */
static bool rec_selected(const struct mw_audit_watch *w, const struct mw_exec_rec *r)
{
	return !(w->opts.flags & MW_AUDIT_F_UID) || r->ruid == w->opts.uid || r->euid == w->opts.uid;
}

static void copy_stats(const struct mw_audit_watch *w, struct mw_audit_watch_stats *stats)
{
	if (stats)
		(void)MW_RESULT_OUT(stats, w->st);
}

static int empty_report(struct mw_audit_report **out)
{
	struct mw__audit_report *rep = calloc(1, sizeof(*rep));

	if (!rep)
		return -ENOMEM;
	mw__audit_finish(rep);
	*out = &rep->pub;
	return 0;
}

static void drop_missing(struct mw__audit_report *rep, pid_t pid)
{
	pid_t *v = (pid_t *)rep->pub.missing;
	size_t n = 0;

	for (size_t i = 0; i < rep->pub.nmissing; i++)
		if (v[i] != pid)
			v[n++] = v[i];
	rep->pub.nmissing = n;
}

/* May the watch report process pid, read without an exec record (the
 * caller's uid filter: its real or effective uid, as a scan reads them)?
 * One gone meanwhile is not. */
static bool pid_selected(const struct mw_audit_watch *w, pid_t pid)
{
	char name[16];
	uid_t ruid, euid;
	int dir, err;

	if (!(w->opts.flags & MW_AUDIT_F_UID))
		return true;
	snprintf(name, sizeof(name), "%d", (int)pid);
	dir = openat(w->procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return false;
	err = mw__audit_read_status(dir, &ruid, &euid, NULL, 0);
	close(dir);
	return !err && (ruid == w->opts.uid || euid == w->opts.uid);
}

/* Forget the batch's long command lines past the ration. */
static void drop_longs(struct batch *b)
{
	for (size_t i = 0; i < b->nlong; i++)
		free((void *)b->longs[i].exe);
	b->nlong = 0;
}

/* Read the new processes worth it (b->look) and report, for each event,
 * what the read missed: from the exec record with BPF, else the pid as
 * gone; then the long command lines past the ration (b->longs). */
static int inspect(struct mw_audit_watch *w, struct mw_audit_report **out)
{
	struct batch *b = w->batch;
	struct mw_audit_opts o = w->opts;
	struct mw__audit_report *rep;
	int r;

	o.flags |= MW__AUDIT_F_NO_NS_FINDING;
	o.pids = b->look;
	o.npids = b->nlook;
	r = b->nlook ? mw__audit_scan_with(&o, &w->trust, &w->hashes, out) : empty_report(out);
	if (r)
		return r;
	rep = (struct mw__audit_report *)*out;
	/* Records first (pids of exited processes are no use to the scan's
	 * missing list: the record tells more). */
	for (size_t i = 0; !r && i < w->nev; i++) {
		const struct wev *e = &w->ev[i];
		bool exe = e->has_rec && mw__watch_rec_fileless(&e->rec) && !mw__watch_covered(*out, &e->rec);
		bool in = e->has_rec && mw__watch_rec_stdin(&e->rec) && !mw__watch_covered_stdin(*out, &e->rec);

		if (!(exe || in) || !rec_selected(w, &e->rec))
			continue;
		w->st.unread++;
		r = exe ? judge_record(w, rep, &e->rec) : 0;
		if (!r && in)
			r = mw__watch_judge_stdin_record(rep, &e->rec);
		/* the record says more than the scan's "missing" pid */
		if (!r)
			drop_missing(rep, e->pid);
	}
	/* A process looked at for its exe (a memfd or an unlinked file)
	 * always gives a finding when read; none means it exited while read:
	 * that is reported too, never dropped. (One looked at for its
	 * arguments may well give none: /dev/fd/63 of a shell's pipe.) */
	for (size_t i = 0; !r && !w->bpf && i < b->nlook && !(o.flags & MW_AUDIT_F_UID); i++) {
		bool seen = !b->must[i];

		for (size_t k = 0; k < rep->pub.nfindings && !seen; k++)
			seen = rep->arr[k]->pid == b->look[i];
		for (size_t k = 0; k < rep->pub.nmissing && !seen; k++)
			seen = rep->pub.missing[k] == b->look[i];
		if (!seen && b->ngone < WATCH_MAX_EVENTS) {
			b->gone[b->ngone++] = b->look[i];
			w->st.unread++;
		}
	}
	if (!r && b->ngone)
		r = mw__audit_add_missing(*out, b->gone, b->ngone);
	for (size_t i = 0; !r && i < b->nlong; i++)
		r = mw__audit_add_args_unread(*out, b->longs[i].pid, b->longs[i].exe);
	mw__audit_finish(rep);
	return r;
}

/* Sort one exec event into the batch: a process to read fully, one gone
 * before it could be read, one whose long command line is past the ration
 * (its exe link kept), or nothing. 0 or -ENOMEM. */
static int sort_event(struct mw_audit_watch *w, const struct wev *e)
{
	struct batch *b = w->batch;
	char exe[PATH_MAX] = "";
	int k;

	for (size_t j = 0; j < b->nlook; j++)
		if (b->look[j] == e->pid)
			return 0;
	/* with a record, a named executable that is now gone is no
	 * news: the kernel said what it was */
	/* any memfd on stdin is read: what a loader (or any launcher)
	 * maps may be an interpreter */
	k = e->has_rec && (mw__watch_rec_fileless(&e->rec) || mw__watch_rec_script(w->procfd, &e->rec) ||
			   (e->rec.flags & MW_EXEC_STDIN_MEMFD))
		    ? 1
		    : interesting(w, e->pid, !e->has_rec || mw__watch_rec_args_cut(&e->rec), exe);
	if (w->reads) {
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		w->reads[(unsigned int)e->pid % WATCH_READ_SLOTS] = (struct read_at){
			.pid = e->pid, .end_ns = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec };
	}
	/* proc connector: an image of it was replaced before it was read
	 * (exec'd again): what it was is unknown, said as for a process
	 * gone (unless what it runs now is a finding) */
	if (e->again && k >= 0 && k != 1 && b->ngone < WATCH_MAX_EVENTS) {
		b->gone[b->ngone++] = e->pid;
		w->st.unread++;
	}
	if (k == 3 && !long_args_token(w)) {
		/* past the ration: a line with what is known, so that an
		 * exec loop spending the ration hides nothing after it */
		w->st.args_unread++;
		if (b->nlong < WATCH_MAX_EVENTS && (e->has_rec ? rec_selected(w, &e->rec) : pid_selected(w, e->pid))) {
			char *c = strdup(exe);

			if (!c)
				return -ENOMEM;
			b->longs[b->nlong++] = (struct mw_audit_unread){ .pid = e->pid, .exe = c };
		}
	} else if (k > 0) {
		b->must[b->nlook] = k == 1;
		b->look[b->nlook++] = e->pid;
	} else if (k < 0 && !e->has_rec && b->ngone < WATCH_MAX_EVENTS) {
		b->gone[b->ngone++] = e->pid;
		w->st.unread++;
	}
	b->any_rec |= e->has_rec && (mw__watch_rec_fileless(&e->rec) || mw__watch_rec_stdin(&e->rec));
	return 0;
}

MW_API int mw_audit_watch_next(struct mw_audit_watch *w, int timeout_ms, struct mw_audit_report **out,
			       struct mw_audit_watch_stats *stats)
{
	struct pollfd pfd;
	struct batch *b;
	int r;

	if (!w || !out || (stats && stats->sz < sizeof(stats->sz)))
		return -EINVAL;
	*out = NULL;
	w->st.sz = sizeof(w->st);
	pfd.fd = mw_audit_watch_fd(w);
	pfd.events = POLLIN;
	/* With BPF, an exec that needs no report at once wakes nobody (see
	 * bpf/audit_exec.bpf.c): it is read by the next wake-up, within
	 * WATCH_BATCH_MS. */
	if (w->bpf && (timeout_ms < 0 || timeout_ms > WATCH_BATCH_MS))
		timeout_ms = WATCH_BATCH_MS;
	r = poll(&pfd, 1, timeout_ms);
	if (r == 0 && w->bpf)
		r = 1; /* what waits without a wake-up */
	if (r < 0)
		return errno == EINTR ? -EINTR : -errno;
	if (r == 0) {
		copy_stats(w, stats);
		return 0;
	}
	w->nev = 0;
	r = w->bpf ? drain_bpf(w) : drain_connector(w);
	if (r)
		return r;
	b = w->batch;
	b->nlook = b->ngone = 0;
	b->any_rec = false;
	for (size_t i = 0; !r && i < w->nev; i++)
		r = sort_event(w, &w->ev[i]);
	w->st.inspected += b->nlook;
	if (!r && (b->nlook || b->ngone || b->nlong || b->any_rec))
		r = inspect(w, out);
	if (r && *out) { /* no half report with an error */
		mw_audit_report_free(*out);
		*out = NULL;
	}
	drop_longs(b);
	copy_stats(w, stats);
	return r;
}
