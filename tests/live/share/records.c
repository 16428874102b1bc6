/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #3 and #10: message boundaries.
 *  - An empty datagram or SEQPACKET record without an fd is a message without
 *    an fd (ENOMSG), not "end of stream" (EPIPE): any local sender could make
 *    a datagram server believe its peer left. A SEQPACKET or stream peer that
 *    really hung up is still EPIPE.
 *  - A payload longer than the caller's buffer is reported: a datagram's
 *    full length (MSG_TRUNC), on a stream the bytes of the same write still
 *    queued; two back-to-back messages that each fit are not "truncated".
 */
#include "share_test.h"

static unsigned int sup;

static int frozen_fd(void)
{
	unsigned int frozen = (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_EXEC | F_SEAL_SEAL) & sup;
	int fd = st_memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL * !!(sup & F_SEAL_EXEC), frozen, 64);

	if (fd < 0)
		_exit(90);
	return fd;
}

static void s_empty(int s, void *arg)
{
	char b;

	if (send(s, "", 0, MSG_NOSIGNAL) != 0)
		_exit(91);
	if (arg)
		(void)read(s, &b, 1); /* stay connected until the receiver has looked */
}

static void s_big(int s, void *arg)
{
	size_t n = *(size_t *)arg;
	char *buf = calloc(1, n);

	if (!buf || mw_share_send(s, frozen_fd(), buf, n) < 0)
		_exit(92);
	free(buf);
}

static void s_two_exact(int s, void *arg)
{
	(void)arg;
	if (mw_share_send(s, frozen_fd(), "0123456789abcdef", 16) < 0 ||
	    mw_share_send(s, frozen_fd(), "fedcba9876543210", 16) < 0)
		_exit(93);
}

/* Accept the sender's frozen memfd whatever the kernel's seals allow. */
static const struct mw_share_policy loose = {
	.sz = sizeof(loose), .flags = MW_SHARE_REQUIRE_MEMFD,
	.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
};

static void empty_records(void)
{
	for (int t = 0; t < 3; t++) {
		int type = t == 0 ? SOCK_DGRAM : t == 1 ? SOCK_SEQPACKET : SOCK_STREAM;
		const char *tn = t == 0 ? "dgram" : t == 1 ? "seqpacket" : "stream";
		struct mw_share_result res = { .sz = sizeof(res) };
		pid_t pid;
		/* The stream sender hangs up at once; the others stay connected. */
		int sock = st_sender(type, s_empty, type == SOCK_STREAM ? NULL : &res, &pid), r;

		if (type == SOCK_STREAM)
			CHECK(live_wait(pid) == 0, "sender");
		r = mw_share_recv(sock, &loose, NULL, 0, &res);
		if (type == SOCK_STREAM) {
			/* A stream cannot carry an empty message: this is the hang-up. */
			CHECK(r == -EPIPE && res.reason == MW_SHARE_PEER_CLOSED,
			      "%s: closed peer gave %d (%s)", tn, r, res.detail);
		} else {
			CHECK(r == -ENOMSG && res.reason == MW_SHARE_NO_FD,
			      "%s: empty record gave %d (%s), want ENOMSG", tn, r, res.detail);
			live_note("%s: empty record -> %s: %s", tn, mw_errno_name(r), res.detail);
		}
		if (type != SOCK_STREAM) {
			(void)send(sock, "x", 1, MSG_NOSIGNAL);
			CHECK(live_wait(pid) == 0, "sender");
		}
		if (type == SOCK_SEQPACKET) {
			/* The peer has hung up (it exited): now that is EPIPE. */
			r = mw_share_recv(sock, &loose, NULL, 0, &res);
			CHECK(r == -EPIPE, "seqpacket: hung-up peer gave %d (%s)", r, res.detail);
		}
		close(sock);
	}
}

static void truncation(void)
{
	struct mw_share_result res = { .sz = sizeof(res) };
	char buf[16];
	size_t n;
	pid_t pid;
	int sock, r;

	/* Datagram: 32 KiB with an fd into 16 bytes. */
	n = 32768;
	sock = st_sender(SOCK_DGRAM, s_big, &n, &pid);
	r = mw_share_recv(sock, &loose, buf, sizeof(buf), &res);
	CHECK(r >= 0, "dgram big: %d %s", r, res.detail);
	CHECK(res.data_truncated && res.data_len == sizeof(buf) && res.data_full == n,
	      "dgram: truncated %d len %zu full %zu", res.data_truncated, res.data_len, res.data_full);
	if (r >= 0)
		close(r);
	CHECK(live_wait(pid) == 0, "sender");
	close(sock);

	/* Stream: 1 MiB with an fd; the rest is still queued. */
	n = 1 << 20;
	sock = st_sender(SOCK_STREAM, s_big, &n, &pid);
	r = mw_share_recv(sock, &loose, buf, sizeof(buf), &res);
	CHECK(r >= 0, "stream big: %d %s", r, res.detail);
	CHECK(res.data_truncated && res.data_len == sizeof(buf),
	      "stream 1 MiB: truncated %d len %zu", res.data_truncated, res.data_len);
	if (r >= 0)
		close(r);
	close(sock); /* the sender may still be writing: it gets EPIPE */
	live_wait(pid);

	/* Stream: two 16-byte messages, each with its fd: neither is truncated. */
	sock = st_sender(SOCK_STREAM, s_two_exact, NULL, &pid);
	CHECK(live_wait(pid) == 0, "sender");
	for (int i = 0; i < 2; i++) {
		r = mw_share_recv(sock, &loose, buf, sizeof(buf), &res);
		CHECK(r >= 0 && res.data_len == 16 && !res.data_truncated,
		      "exact message %d: r %d len %zu truncated %d (%s)", i, r, res.data_len,
		      res.data_truncated, res.detail);
		CHECK(!memcmp(buf, i ? "fedcba9876543210" : "0123456789abcdef", 16), "payload %d", i);
		if (r >= 0)
			close(r);
	}
	close(sock);
}

int main(void)
{
	int probe = mw_sys_memfd_create("probe", MFD_CLOEXEC);
	int before;

	if (probe < 0)
		live_skip("memfd_create: %s", strerror(errno));
	close(probe);
	before = live_count_fds();
	sup = st_seals_supported();
	empty_records();
	truncation();
	CHECK(live_count_fds() == before, "fds %d before, %d after", before, live_count_fds());
	return live_done();
}
