/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz the receive path: a peer process sends random messages (fds of
 * random kinds and numbers, credentials, several SCM_RIGHTS headers in one
 * message, random payload sizes, MSG_OOB on streams) over random socket
 * types; the receiver, with random socket options (SO_PASSCRED,
 * SO_PASSPIDFD) and random policies, buffers and entry points
 * (mw_share_recv, mw_share_recv_fd), must never crash, never return an fd
 * it should not, and hold exactly its own fds after each message (counted
 * in /proc/self/fd). Run under ASan+UBSan for a bounded time:
 *
 *   fuzz-share-recv SECONDS [SEED]
 *
 * Prints the seed first (a failure is reproduced with it) and the number of
 * messages at the end. Exit 0, or 1 on the first violation.
 */
#include "live.h"
#include "sys/shim.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <memward/memward.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static unsigned int pick(unsigned int n) { return rnd() % n; }

/* One fd of a random kind; -1 when that kind failed here. */
static int random_fd(void)
{
	static const unsigned int seal_sets[] = {
		0, F_SEAL_SEAL, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW,
		F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL | F_SEAL_EXEC,
		F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_EXEC | F_SEAL_SEAL,
		F_SEAL_SHRINK | F_SEAL_GROW, F_SEAL_EXEC,
	};
	int p[2], fd;

	switch (pick(9)) {
	case 0: case 1: case 2: {
		unsigned int mfd = pick(2) ? MFD_ALLOW_SEALING : 0;

		mfd |= pick(2) ? MFD_NOEXEC_SEAL : pick(2) ? MFD_EXEC : 0;
		fd = mw_sys_memfd_create("fz", MFD_CLOEXEC | mfd);
		if (fd < 0)
			fd = mw_sys_memfd_create("fz", MFD_CLOEXEC | (mfd & MFD_ALLOW_SEALING));
		if (fd < 0)
			return -1;
		if (ftruncate(fd, (off_t)(pick(4) ? pick(8192) : (off_t)pick(1u << 30))) < 0) {
			/* keep it empty */
		}
		if (pick(3) == 0)
			fchmod(fd, pick(2) ? 0755 : 0600);
		(void)fcntl(fd, F_ADD_SEALS, seal_sets[pick(sizeof(seal_sets) / sizeof(seal_sets[0]))]);
		return fd;
	}
	case 3:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[pick(2)]);
		return p[0] >= 0 ? p[0] : p[1];
	case 4: return eventfd(0, EFD_CLOEXEC);
	case 5: return open("/dev/null", (pick(2) ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
	case 6: return open("/proc/self/exe", O_PATH | O_CLOEXEC);
	case 7:
		fd = mw_sys_memfd_create("fz-huge", MFD_CLOEXEC | MFD_HUGETLB | MFD_ALLOW_SEALING);
		if (fd >= 0)
			(void)fcntl(fd, F_ADD_SEALS, seal_sets[pick(4)]);
		return fd;
	default:
		return socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
}

static void send_random(int s, int type)
{
	char ctl[CMSG_SPACE(sizeof(int) * 40) * 2 + CMSG_SPACE(sizeof(struct ucred))];
	static char payload[200000];
	struct iovec iov = { payload, 0 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int fds[80], n = 0, nheaders = pick(4) == 0 ? 2 : 1, space = 0;

	switch (pick(4)) {
	case 0: iov.iov_len = 0; break;
	case 1: iov.iov_len = 1; break;
	case 2: iov.iov_len = pick(64); break;
	default: iov.iov_len = pick(type == SOCK_STREAM ? sizeof(payload) : 16384); break;
	}
	memset(ctl, 0, sizeof(ctl));
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof(ctl);
	c = CMSG_FIRSTHDR(&msg);
	if (pick(4) == 0) {
		struct ucred cr = { getpid(), getuid(), getgid() };

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(cr));
		memcpy(CMSG_DATA(c), &cr, sizeof(cr));
		space += (int)CMSG_SPACE(sizeof(cr));
		c = CMSG_NXTHDR(&msg, c);
	}
	for (int h = 0; h < nheaders && c; h++) {
		int k = pick(5) == 0 ? 1 + (int)pick(40) : (int)pick(3);

		if (!k)
			continue;
		for (int i = 0; i < k; i++) {
			int fd = random_fd();
			fds[n + i] = fd >= 0 ? fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
		}
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)k);
		memcpy(CMSG_DATA(c), fds + n, sizeof(int) * (size_t)k);
		space += (int)CMSG_SPACE(sizeof(int) * (size_t)k);
		n += k;
		c = CMSG_NXTHDR(&msg, c);
	}
	msg.msg_controllen = (size_t)space;
	if (!space)
		msg.msg_control = NULL;
	if (type == SOCK_STREAM && iov.iov_len == 0)
		iov.iov_len = 1; /* an empty stream write sends nothing */
	(void)sendmsg(s, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (type == SOCK_STREAM && pick(16) == 0)
		(void)send(s, "!", 1, MSG_OOB | MSG_NOSIGNAL | MSG_DONTWAIT);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static int one_socket(uint64_t seed, long *messages)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	int type = types[pick(3)], sv[2], base, nmsg = 1 + (int)pick(12);
	pid_t pid;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	/* The NULL policy has no timeout: the socket's own bounds the wait. */
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ 0, 300000 },
			 sizeof(struct timeval));
	if (pick(2))
		(void)setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
	if (pick(2))
		(void)setsockopt(sv[0], SOL_SOCKET, SO_PASSPIDFD, &(int){ 1 }, sizeof(int));
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		rng = seed ^ 0x9e3779b97f4a7c15ull;
		close(sv[0]);
		for (int i = 0; i < nmsg; i++)
			send_random(sv[1], type);
		_exit(0);
	}
	close(sv[1]);
	base = live_count_fds();
	for (int i = 0; i < nmsg + 2; i++) {
		static const unsigned int flags[] = {
			0, MW_SHARE_REQUIRE_MEMFD, MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC,
			MW_SHARE_NO_EXEC | MW_SHARE_COPY, MW_SHARE_EXEC_NEVER, MW_SHARE_SHARED_FD,
		};
		struct mw_share_policy pol = {
			.sz = sizeof(pol), .flags = flags[pick(6)], .timeout_ms = 200,
			.required_seals = pick(2) ? MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW : 0,
			.max_size = pick(2) ? 65536 : 0,
		};
		struct mw_share_result res;
		char buf[64];
		size_t len = pick(3) ? 0 : 1 + pick(sizeof(buf));
		int r, after;

		memset(&res, 0, sizeof(res));
		res.sz = pick(8) ? sizeof(res) : offsetof(struct mw_share_result, data_truncated);
		r = pick(5) ? mw_share_recv(sv[0], pick(6) ? &pol : NULL, len ? buf : NULL, len, &res)
			    : mw_share_recv_fd(sv[0], len ? buf : NULL, len, 200, &res);
		(*messages)++;
		if (r >= 0 && fcntl(r, F_GETFD) != FD_CLOEXEC) {
			printf("FAILED: returned fd %d without FD_CLOEXEC\n", r);
			return -1;
		}
		if (res.sz == sizeof(res) && res.pidfd >= 0)
			close(res.pidfd);
		if (r >= 0)
			close(r);
		after = live_count_fds();
		if (after != base) {
			printf("FAILED: fds %d before, %d after (r %d, reason %s: %s)\n", base, after, r,
			       mw_share_reason_name(res.reason), res.detail);
			return -1;
		}
		if (r == -ETIMEDOUT || r == -EPIPE || r == -EAGAIN)
			break;
	}
	close(sv[0]);
	kill(pid, SIGKILL);
	live_wait(pid);
	return 0;
}

int main(int argc, char **argv)
{
	long secs = argc > 1 ? strtol(argv[1], NULL, 10) : 10, messages = 0, sockets = 0;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL) * 2654435761u;
	time_t end = time(NULL) + secs;
	int start = live_count_fds();

	printf("seed 0x%llx, %ld s\n", (unsigned long long)seed, secs);
	fflush(stdout);
	rng = seed | 1;
	while (time(NULL) < end) {
		uint64_t s = rng;

		if (one_socket(s, &messages) < 0) {
			printf("FAILED with socket seed 0x%llx\n", (unsigned long long)s);
			return 1;
		}
		sockets++;
	}
	if (live_count_fds() != start) {
		printf("FAILED: fds %d at start, %d at the end\n", start, live_count_fds());
		return 1;
	}
	printf("%ld sockets, %ld receive calls, no fd leaked\n", sockets, messages);
	return 0;
}
