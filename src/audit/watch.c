/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The audit's watch: exec events from the proc connector (NETLINK_CONNECTOR,
 * CN_IDX_PROC; PROC_EVENT_EXEC since 2.6.15), each new process looked at at
 * once. The cost per event is one readlink of /proc/PID/exe; only a process
 * whose executable is a memfd or an unlinked file is read fully (through the
 * same collectors and rules as a scan), so a machine running a thousand
 * execs a second costs little. Fileless libraries loaded later are a
 * matter for the periodic scans.
 */
#include "audit/scan.h"
#include "core/opts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct mw_audit_watch {
	struct mw_audit_opts opts;
	struct mw__audit_trust trust;
	struct mw__audit_hcache hashes;
	int sock;
	int procfd;
	struct mw_audit_watch_stats st;
};

/* Ask the connector for process events (or stop them). */
static int cn_listen(int sock, enum proc_cn_mcast_op op)
{
	/* nlmsghdr, cn_msg (whose data[] ends it), then the operation */
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(op))] __attribute__((aligned(8)));
	struct nlmsghdr *nl = (struct nlmsghdr *)buf;
	struct cn_msg *cn = NLMSG_DATA(nl);

	memset(buf, 0, sizeof(buf));
	nl->nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + sizeof(op));
	nl->nlmsg_type = NLMSG_DONE;
	cn->id.idx = CN_IDX_PROC;
	cn->id.val = CN_VAL_PROC;
	cn->len = sizeof(op);
	memcpy(cn->data, &op, sizeof(op));
	return send(sock, buf, nl->nlmsg_len, 0) < 0 ? -errno : 0;
}

static int open_connector(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC };
	int sock = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	int rcv = 4 << 20, err;

	if (sock < 0)
		return -errno;
	/* bursts of execs: room for a few thousand events (beyond what
	 * rmem_max allows, ENOBUFS tells us events were lost) */
	(void)setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	(void)setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(sock);
		return err;
	}
	err = cn_listen(sock, PROC_CN_MCAST_LISTEN);
	if (err) {
		close(sock);
		return err;
	}
	return sock;
}

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
		w->sock = open_connector();
		err = w->sock < 0 ? w->sock : 0;
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
	return w ? w->sock : -EINVAL;
}

MW_API const char *mw_audit_watch_source(const struct mw_audit_watch *w)
{
	return w ? "proc_connector" : NULL;
}

MW_API void mw_audit_watch_free(struct mw_audit_watch *w)
{
	if (!w)
		return;
	if (w->sock >= 0) {
		(void)cn_listen(w->sock, PROC_CN_MCAST_IGNORE);
		close(w->sock);
	}
	if (w->procfd >= 0)
		close(w->procfd);
	mw__audit_trust_free(&w->trust);
	mw__audit_hcache_free(&w->hashes);
	pthread_mutex_destroy(&w->hashes.lock);
	free(w);
}

/* The pids of pending exec events (deduplicated) into v (at most max). */
static int drain(struct mw_audit_watch *w, pid_t *v, size_t max, size_t *n)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t len = recv(w->sock, buf, sizeof(buf), 0);

		if (len < 0) {
			if (errno == EINTR)
				return -EINTR;
			if (errno == ENOBUFS) {
				w->st.lost++; /* dropped by the kernel: rescan advised */
				continue;
			}
			return 0; /* EAGAIN: drained */
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			struct cn_msg cn;
			struct proc_event ev;
			pid_t pid;
			bool dup = false;

			if (h->nlmsg_type == NLMSG_NOOP || h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(cn)))
				continue;
			/* the event sits 4 bytes off an 8-byte boundary after the
			 * 20-byte cn_msg: copied, not dereferenced in place */
			memcpy(&cn, NLMSG_DATA(h), sizeof(cn));
			if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(cn) + offsetof(struct proc_event, event_data) +
							sizeof(ev.event_data.exec)))
				continue;
			memset(&ev, 0, sizeof(ev));
			memcpy(&ev, (const char *)NLMSG_DATA(h) + sizeof(cn),
			       h->nlmsg_len - NLMSG_LENGTH(sizeof(cn)) < sizeof(ev)
				       ? h->nlmsg_len - NLMSG_LENGTH(sizeof(cn)) : sizeof(ev));
			if (ev.what != PROC_EVENT_EXEC)
				continue;
			w->st.execs++;
			pid = ev.event_data.exec.process_tgid;
			for (size_t i = 0; i < *n && !dup; i++)
				dup = v[i] == pid;
			if (!dup && *n < max)
				v[(*n)++] = pid;
		}
	}
}

/* Worth a full read? Its executable is a memfd or an unlinked file. -1
 * when it exited (or exec'd again) before the exe link could be read. */
static int interesting(struct mw_audit_watch *w, pid_t pid)
{
	char name[32], link[PATH_MAX];
	ssize_t n;
	enum mw__link_class c;

	snprintf(name, sizeof(name), "%d/exe", (int)pid);
	n = readlinkat(w->procfd, name, link, sizeof(link) - 1);
	if (n < 0)
		return errno == EACCES ? 0 : -1;
	c = mw__link_classify(link, (size_t)n, NULL);
	return c != MW__LINK_OTHER;
}

static void copy_stats(const struct mw_audit_watch *w, struct mw_audit_watch_stats *stats)
{
	if (stats)
		(void)MW_RESULT_OUT(stats, w->st);
}

MW_API int mw_audit_watch_next(struct mw_audit_watch *w, int timeout_ms, struct mw_audit_report **out,
			       struct mw_audit_watch_stats *stats)
{
	pid_t pids[1024], look[1024], gone[1024];
	size_t n = 0, nlook = 0, ngone = 0;
	struct pollfd pfd;
	int r;

	if (!w || !out || (stats && stats->sz < sizeof(stats->sz)))
		return -EINVAL;
	*out = NULL;
	w->st.sz = sizeof(w->st);
	pfd.fd = w->sock;
	pfd.events = POLLIN;
	r = poll(&pfd, 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? -EINTR : -errno;
	if (r == 0) {
		copy_stats(w, stats);
		return 0;
	}
	r = drain(w, pids, 1024, &n);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++) {
		int k = interesting(w, pids[i]);

		if (k > 0)
			look[nlook++] = pids[i];
		else if (k < 0)
			gone[ngone++] = pids[i];
	}
	w->st.unread += ngone;
	w->st.inspected += nlook;
	r = 0;
	if (nlook || ngone) {
		struct mw_audit_opts o = w->opts;

		o.flags |= MW__AUDIT_F_NO_NS_FINDING;
		o.pids = nlook ? look : NULL;
		o.npids = nlook;
		if (nlook) {
			r = mw__audit_scan_with(&o, &w->trust, &w->hashes, out);
		} else {
			struct mw__audit_report *rep = calloc(1, sizeof(*rep));

			r = rep ? 0 : -ENOMEM;
			if (rep) {
				mw__audit_finish(rep);
				*out = &rep->pub;
			}
		}
		/* A process looked at (its exe a memfd or an unlinked file)
		 * always gives a finding when read; none means it exited
		 * while read: that is reported too, never dropped. */
		for (size_t i = 0; !r && i < nlook && !(o.flags & MW_AUDIT_F_UID); i++) {
			bool seen = false;

			for (size_t k = 0; k < (*out)->nfindings && !seen; k++)
				seen = (*out)->findings[k]->pid == look[i];
			for (size_t k = 0; k < (*out)->nmissing && !seen; k++)
				seen = (*out)->missing[k] == look[i];
			if (!seen && ngone < 1024) {
				gone[ngone++] = look[i];
				w->st.unread++;
			}
		}
		if (!r && ngone)
			r = mw__audit_add_missing(*out, gone, ngone);
	}
	copy_stats(w, stats);
	return r;
}
