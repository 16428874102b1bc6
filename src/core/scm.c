/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SCM_RIGHTS send and receive: the one implementation. See core/scm.h. */
#include "core/scm.h"
#include "sys/shim.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Longest SO_PASSSEC label we make room for (an SELinux context is far
 * shorter; a longer one shows as MSG_CTRUNC, never as a lost fd: the kernel
 * puts the label before the fds, and closes the fds that do not fit). */
#define MW__SCM_LABEL_MAX 4096

#define MW__SCM_CTL_SIZE                                                    \
	(CMSG_SPACE(sizeof(int) * MW__SCM_MAX_FDS) + CMSG_SPACE(sizeof(struct ucred)) + \
	 CMSG_SPACE(sizeof(int)) + CMSG_SPACE(MW__SCM_LABEL_MAX))

union mw__scm_ctl {
	struct cmsghdr align;
	char buf[MW__SCM_CTL_SIZE];
};

void mw__scm_close(struct mw__scm_msg *m)
{
	for (size_t i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
	if (m->pidfd >= 0)
		close(m->pidfd);
	m->pidfd = -1;
}

int mw__scm_send(int sock, const int *fds, size_t nfds, const void *data, size_t len)
{
	union mw__scm_ctl ctl;
	char zero = 0;
	struct iovec iov = { .iov_base = data ? (void *)data : &zero, .iov_len = data ? len : 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (nfds > MW__SCM_MAX_FDS || (nfds && !fds) || (!data && len) || (data && !len))
		return -EINVAL;
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] < 0)
			return -EINVAL;
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR); /* EINTR: nothing was sent */
	if (n < 0)
		return -errno;
	return (size_t)n == iov.iov_len ? 0 : -EMSGSIZE;
}

/* Take every fd and credential the kernel attached, whatever the headers
 * claim: each installed fd is either recorded or closed. */
static void take_cmsgs(struct msghdr *msg, struct mw__scm_msg *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_len < CMSG_LEN(0))
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&m->cred, CMSG_DATA(c), sizeof(m->cred));
			m->has_cred = true;
			continue;
		}
		if (c->cmsg_type != SCM_RIGHTS && c->cmsg_type != SCM_PIDFD)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (f < 0)
				continue;
			if (c->cmsg_type == SCM_PIDFD && m->pidfd < 0)
				m->pidfd = f;
			else if (c->cmsg_type == SCM_RIGHTS && m->nfds < MW__SCM_MAX_FDS)
				m->fds[m->nfds++] = f;
			else
				close(f);
		}
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Wait until sock is readable or the timeout passes. 0, -ETIMEDOUT, -EINTR. */
static int wait_readable(int sock, long deadline)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	long left = deadline - now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* On a stream, bytes of the same write left after a full buffer: the kernel
 * stops a read after the skb that carried fds, and the rest of that write sits
 * in later skbs without fds. Peek at the next bytes: without fds they are the
 * rest of this message; with fds they are the next one (the peeked fds are
 * duplicates, closed here). */
static bool stream_leftover(int sock)
{
	union mw__scm_ctl ctl;
	char b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct mw__scm_msg peek = { .pidfd = -1 };
	ssize_t n = recvmsg(sock, &msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	bool more;

	if (n <= 0)
		return false;
	take_cmsgs(&msg, &peek);
	more = peek.nfds == 0;
	mw__scm_close(&peek);
	return more;
}

/* A zero-length read on a SEQPACKET socket is an empty record unless the
 * peer has hung up. */
static bool peer_hung_up(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

int mw__scm_recv(int sock, struct mw__scm_msg *m)
{
	union mw__scm_ctl ctl;
	char one;
	struct iovec iov = { .iov_base = m->data ? m->data : &one,
			     .iov_len = m->data ? m->len : 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	socklen_t tl = sizeof(m->sock_type);
	long deadline = m->timeout_ms > 0 ? now_ms() + m->timeout_ms : 0;
	int flags = MSG_CMSG_CLOEXEC, e;
	ssize_t n;

	m->nfds = 0;
	m->pidfd = -1;
	m->has_cred = m->eof = m->ctrunc = m->data_truncated = false;
	m->data_len = m->data_full = 0;
	if ((!m->data && m->len) || (m->data && !m->len))
		return -EINVAL;
	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &m->sock_type, &tl) < 0)
		return -errno;
	if (m->sock_type != SOCK_STREAM)
		flags |= MSG_TRUNC; /* datagram/record: return its full length */
	for (;;) {
		if (deadline && (e = wait_readable(sock, deadline)) < 0)
			return e;
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_controllen = sizeof(ctl.buf);
		msg.msg_flags = 0;
		n = recvmsg(sock, &msg, flags | (deadline ? MSG_DONTWAIT : 0));
		if (n >= 0)
			break;
		/* Another reader took what poll saw: wait again, within the time. */
		if (!(deadline && (errno == EAGAIN || errno == EWOULDBLOCK)))
			return -errno;
	}
	take_cmsgs(&msg, m);
	m->ctrunc = msg.msg_flags & MSG_CTRUNC;
	m->data_full = (size_t)n;
	m->data_len = (size_t)n < iov.iov_len ? (size_t)n : iov.iov_len;
	if (m->sock_type == SOCK_STREAM) {
		m->eof = n == 0 && m->nfds == 0;
		if ((size_t)n == iov.iov_len)
			m->data_truncated = stream_leftover(sock);
	} else {
		m->data_truncated = msg.msg_flags & MSG_TRUNC;
		m->eof = n == 0 && m->nfds == 0 && m->sock_type == SOCK_SEQPACKET &&
			 peer_hung_up(sock);
	}
	return 0;
}
