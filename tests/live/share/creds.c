/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #2: a receiver with SO_PASSCRED and SO_PASSPIDFD (a broker that
 * wants to know its peer) got EMSGSIZE "truncated" for every memfd, and "more
 * than 8 fds" for 7. Now: the memfd is accepted, the sender's pid/uid/gid and
 * pidfd are reported, 7 fds are refused as 7 (all closed), and a caller built
 * against the older, shorter result struct gets no pidfd to leak.
 * On stream, datagram and seqpacket sockets.
 */
#include "share_test.h"

#include <sys/stat.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

static unsigned int sup;
static int nfds_to_send;

static void sender(int s, void *arg)
{
	unsigned int frozen = (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_EXEC | F_SEAL_SEAL) & sup;
	int fds[8];
	char ctl[CMSG_SPACE(sizeof(fds))] = { 0 };
	char b = 'c';
	struct iovec iov = { &b, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl };
	struct cmsghdr *c;

	(void)arg;
	fds[0] = st_memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL * !!(sup & F_SEAL_EXEC), frozen, 64);
	if (fds[0] < 0)
		_exit(90);
	for (int i = 1; i < nfds_to_send; i++)
		fds[i] = dup(fds[0]);
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds_to_send);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds_to_send);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds_to_send);
	if (sendmsg(s, &msg, MSG_NOSIGNAL) != 1)
		_exit(91);
	/* Stay alive until the receiver has looked at our pidfd. */
	(void)read(s, &b, 1);
}

/* The pid a pidfd refers to, from /proc/self/fdinfo ("Pid:"). */
static long pidfd_pid(int pidfd)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;
	char *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strstr(buf, "\nPid:");
	return p ? strtol(p + 5, NULL, 10) : -1;
}

static void one(int type, bool pidfd_on, int nfds, bool old_sz)
{
	const char *tn = type == SOCK_STREAM ? "stream" : type == SOCK_DGRAM ? "dgram" : "seqpacket";
	struct mw_share_result res;
	pid_t pid;
	int sock, r, before;

	int sv[2];

	nfds_to_send = nfds;
	/* The options must be on before the peer sends: the kernel attaches
	 * credentials at send time (a late SO_PASSCRED reads pid 0). */
	REQUIRE(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	sock = sv[0];
	REQUIRE(setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) == 0, "SO_PASSCRED");
	if (pidfd_on)
		REQUIRE(setsockopt(sock, SOL_SOCKET, SO_PASSPIDFD, &(int){ 1 }, sizeof(int)) == 0,
			"SO_PASSPIDFD");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		close(sv[0]);
		sender(sv[1], NULL);
		_exit(0);
	}
	close(sv[1]);
	before = live_count_fds();
	memset(&res, 0x55, sizeof(res)); /* nothing the library should leave as is */
	res.sz = old_sz ? offsetof(struct mw_share_result, data_truncated) : sizeof(res);
	r = mw_share_recv(sock, NULL, NULL, 0, &res);
	if (nfds == 1) {
		int want_ok = sup & F_SEAL_EXEC;
		CHECK(want_ok ? r >= 0 : r == -EACCES, "%s%s: got %d (%s): %s", tn,
		      pidfd_on ? "+pidfd" : "", r, mw_errno_name(r), res.detail);
	} else {
		char want[32];
		snprintf(want, sizeof(want), "%d fds", nfds);
		CHECK(r == -ETOOMANYREFS && res.reason == MW_SHARE_TOO_MANY_FDS,
		      "%s: %d fds: got %d: %s", tn, nfds, r, res.detail);
		CHECK(strstr(res.detail, want) != NULL, "%s: the count is wrong: %s", tn, res.detail);
	}
	if (!old_sz) {
		CHECK(res.has_cred && res.pid == pid && res.uid == getuid() && res.gid == getgid(),
		      "%s: credentials: has %d pid %d (want %d) uid %u gid %u", tn, res.has_cred,
		      res.pid, pid, res.uid, res.gid);
		if (pidfd_on) {
			CHECK(res.pidfd >= 0 && pidfd_pid(res.pidfd) == pid,
			      "%s: pidfd %d refers to %ld, want %d", tn, res.pidfd,
			      res.pidfd >= 0 ? pidfd_pid(res.pidfd) : -1L, pid);
			CHECK(res.pidfd < 0 || (fcntl(res.pidfd, F_GETFD) & FD_CLOEXEC),
			      "pidfd without O_CLOEXEC");
		} else {
			CHECK(res.pidfd == -1, "%s: pidfd %d without SO_PASSPIDFD", tn, res.pidfd);
		}
	}
	CHECK(live_count_fds() == before + (r >= 0) + (!old_sz && res.pidfd >= 0),
	      "%s: fds %d before, %d after (r %d, pidfd %d, old sz %d)", tn, before,
	      live_count_fds(), r, old_sz ? -1 : res.pidfd, old_sz);
	if (r >= 0)
		close(r);
	if (!old_sz && res.pidfd >= 0)
		close(res.pidfd);
	(void)write(sock, "x", 1);
	close(sock);
	CHECK(live_wait(pid) == 0, "%s: sender failed", tn);
}

int main(void)
{
	int probe = mw_sys_memfd_create("probe", MFD_CLOEXEC), s[2];
	bool have_pidfd;

	if (probe < 0)
		live_skip("memfd_create: %s", strerror(errno));
	close(probe);
	sup = st_seals_supported();
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0, "socketpair");
	have_pidfd = setsockopt(s[0], SOL_SOCKET, SO_PASSPIDFD, &(int){ 1 }, sizeof(int)) == 0;
	close(s[0]);
	close(s[1]);
	if (!have_pidfd)
		live_note("SO_PASSPIDFD (6.5) unsupported here (%s): credentials only",
			  strerror(errno));
	for (int t = 0; t < 3; t++) {
		int type = t == 0 ? SOCK_STREAM : t == 1 ? SOCK_DGRAM : SOCK_SEQPACKET;

		one(type, false, 1, false);
		one(type, false, 7, false);
		if (have_pidfd) {
			one(type, true, 1, false);
			one(type, true, 7, false);
			one(type, true, 1, true); /* an old caller: the pidfd is closed for it */
		}
	}
	return live_done();
}
