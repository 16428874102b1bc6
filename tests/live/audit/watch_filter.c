/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The proc connector source of the watch (mw_audit_watch_new with
 * MW_AUDIT_F_NO_BPF) must be woken by exec events only. Kernels before 6.6
 * ignore a listener's event mask and send every process event: a fork and
 * an exit around each exec, a comm change at each prctl(PR_SET_NAME), each
 * setuid. A watch that took them all was woken three times or more per
 * exec on such kernels and read datagrams it threw away.
 *
 * The test opens the watch, then makes 200 children that fork, rename
 * themselves and exit without exec, and one child that execs /bin/true
 * (or this program). It then reads the watch's socket itself: every
 * datagram queued must be a PROC_EVENT_EXEC, and the child's exec must be
 * among them (a filter that dropped everything would pass the first
 * check). On 6.6 and later the kernel's mask already does this; the check
 * that can fail before the fix runs in the 6.1 guest.
 *
 * usage: live-audit-watch-filter
 *        live-audit-watch-filter --true   (what the exec'ing child runs)
 */
#include "live.h"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <memward/memward.h>

#define N_CHILDREN 200

/* Read every queued datagram: counts of exec events (and whether one was
 * pid's), and of anything else. */
static void drain(int fd, pid_t pid, int *execs, int *others, bool *saw_pid)
{
	char buf[1024] __attribute__((aligned(8)));

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		struct cn_msg cn;
		struct proc_event ev;
		size_t len;

		if (n < 0 && errno == ENOBUFS)
			continue;
		if (n <= 0)
			return;
		len = (size_t)n;
		if (!NLMSG_OK(h, len) || h->nlmsg_len < NLMSG_LENGTH(sizeof(cn) + offsetof(struct proc_event, event_data))) {
			(*others)++;
			continue;
		}
		memcpy(&cn, NLMSG_DATA(h), sizeof(cn));
		memset(&ev, 0, sizeof(ev));
		memcpy(&ev, (char *)NLMSG_DATA(h) + sizeof(cn),
		       h->nlmsg_len - NLMSG_LENGTH(sizeof(cn)) < sizeof(ev) ? h->nlmsg_len - NLMSG_LENGTH(sizeof(cn))
									: sizeof(ev));
		if (cn.id.idx != CN_IDX_PROC || ev.what != PROC_EVENT_EXEC) {
			(*others)++;
			continue;
		}
		(*execs)++;
		if (ev.event_data.exec.process_tgid == pid)
			*saw_pid = true;
	}
}

int main(int argc, char **argv)
{
	struct mw_audit_opts o = { .sz = sizeof(o), .flags = MW_AUDIT_F_NO_BPF };
	struct mw_audit_watch *w = NULL;
	int execs = 0, others = 0, fd, r;
	bool saw = false;
	pid_t ex;

	if (argc == 2 && !strcmp(argv[1], "--true"))
		return 0;
	if (geteuid() != 0)
		live_skip("the proc connector needs root (CAP_NET_ADMIN) on this kernel");
	r = mw_audit_watch_new(&o, &w);
	if (r == -EPROTONOSUPPORT || r == -EPERM || r == -ENOENT)
		live_skip("no proc connector here: %s", strerror(-r));
	REQUIRE(r == 0, "mw_audit_watch_new: %s", strerror(-r));
	REQUIRE(!strcmp(mw_audit_watch_source(w), "proc_connector"), "source %s", mw_audit_watch_source(w));
	fd = mw_audit_watch_fd(w);
	REQUIRE(fd >= 0, "watch fd");

	for (int i = 0; i < N_CHILDREN; i++) {
		pid_t c = fork();

		REQUIRE(c >= 0, "fork: %s", strerror(errno));
		if (c == 0) {
			(void)prctl(PR_SET_NAME, "mw-noexec", 0, 0, 0);
			_exit(0);
		}
		CHECK(live_wait(c) == 0, "child %d", (int)c);
	}
	ex = fork();
	REQUIRE(ex >= 0, "fork: %s", strerror(errno));
	if (ex == 0) {
		execl("/proc/self/exe", argv[0], "--true", (char *)NULL);
		_exit(127);
	}
	CHECK(live_wait(ex) == 0, "exec'ing child");
	usleep(200 * 1000); /* the connector sends from the exec'ing task: queued by now */

	drain(fd, ex, &execs, &others, &saw);
	live_note("queued after %d forks without exec and one exec: %d exec event(s), %d other datagram(s)",
		  N_CHILDREN, execs, others);
	CHECK(others == 0, "%d datagrams that are not exec events reached the watch's socket", others);
	CHECK(saw, "the child's exec (pid %d) did not reach the watch's socket", (int)ex);
	mw_audit_watch_free(w);
	return live_done();
}
