/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one SCM_RIGHTS implementation: send fds with a payload, receive one
 * message with every ancillary message the kernel can attach. Internal; the
 * public faces are mw_share_send(), mw_share_recv() and mw_share_recv_fd().
 *
 * Receive rules (each one a bug found in a hand-written copy):
 *  - The control buffer has room for every fd one message can carry
 *    (SCM_MAX_FD, include/net/scm.h) plus SO_PASSCRED credentials, an
 *    SO_PASSPIDFD pidfd (6.5) and an SO_PASSSEC label, so MSG_CTRUNC means a
 *    real overflow, never "the receiver enabled credentials".
 *  - Every fd the kernel installed is either handed over or closed; fds
 *    arrive with MSG_CMSG_CLOEXEC.
 *  - EINTR is returned, never retried (a caller's alarm() must end the wait);
 *    an optional timeout gives -ETIMEDOUT.
 *  - End of stream exists only on SOCK_STREAM (and a SEQPACKET peer that
 *    hung up); an empty datagram or record is a message without data.
 *  - A datagram longer than the buffer is reported (MSG_TRUNC, full length);
 *    on a stream, bytes of the same write left after a full buffer are too.
 */
#ifndef MW_CORE_SCM_H
#define MW_CORE_SCM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/internal.h"

/* SCM_MAX_FD: the kernel's limit of fds in one SCM_RIGHTS message. */
#define MW__SCM_MAX_FDS 253

struct mw__scm_msg {
	/* in */
	void *data;          /* payload buffer; NULL with len 0: a 1-byte internal one */
	size_t len;
	int timeout_ms;      /* <= 0: wait as the socket does (blocking or -EAGAIN) */
	/* out */
	int sock_type;       /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	size_t data_len;     /* bytes stored in data */
	size_t data_full;    /* datagram/record: its full length (> len when truncated) */
	bool data_truncated; /* record longer than len, or stream bytes of this write left */
	bool eof;            /* stream end (or SEQPACKET peer hung up); nothing received */
	bool ctrunc;         /* MSG_CTRUNC: the kernel dropped control data */
	bool has_cred;       /* SCM_CREDENTIALS arrived (SO_PASSCRED) */
	struct ucred cred;
	int pidfd;           /* SCM_PIDFD (SO_PASSPIDFD), else -1 */
	size_t nfds;         /* SCM_RIGHTS fds received (all O_CLOEXEC) */
	int fds[MW__SCM_MAX_FDS];
};

/* Receive one message into m (in-fields set by the caller). Returns 0 or
 * -errno (-EINTR, -ETIMEDOUT, -EAGAIN, recvmsg's errno); on error no fd is
 * left open. On success the caller owns m->fds and m->pidfd. */
MW_HIDDEN int mw__scm_recv(int sock, struct mw__scm_msg *m);
/* Close every fd m holds (fds, pidfd) and forget them. */
MW_HIDDEN void mw__scm_close(struct mw__scm_msg *m);
/* Send nfds fds (0..MW__SCM_MAX_FDS) with len bytes of data (data NULL and
 * len 0: one zero byte, since fds cannot travel alone). MSG_NOSIGNAL; EINTR
 * retried (nothing was sent). Returns 0, -EMSGSIZE for a short write (the fds
 * went with the first byte), -EINVAL or sendmsg's -errno. */
MW_HIDDEN int mw__scm_send(int sock, const int *fds, size_t nfds, const void *data,
			   size_t len);

#endif
