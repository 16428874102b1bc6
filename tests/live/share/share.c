/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hostile senders. Each case forks a sender process that passes something
 * over an AF_UNIX socketpair; the receiver (this process) must refuse it with
 * the reason's own errno and keep exactly the fds it had before (counted in
 * /proc/self/fd). Cases: unsealed memfd, memfd with an exec bit, shrinkable
 * memfd, wrong size (too big, too small), a pipe, a regular tmpfs file, a tmpfs
 * file dressed up as "/memfd:..." in the sender's own mount namespace, an
 * O_PATH fd, two fds in one message, a flood of 32 fds (all closed, no
* truncation: there is room for every fd), data without an fd, end of stream, a pidfd attached by
 * SO_PASSPIDFD. Then the accepted cases: a frozen memfd (verified fd,
 * O_CLOEXEC, maps read-only), and the COPY mode.
 */
#include "live.h"
#include "kernel.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <memward/memward.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

#define SZ 4096

static unsigned int sup; /* seals this kernel has */

static int sealed_memfd(unsigned int create_flags, unsigned int seals, size_t size)
{
	struct mw_memfd_opts o = { .sz = sizeof(o), .flags = create_flags };
	int fd = mw_memfd_create("hostile", &o, NULL);
	char buf[SZ];

	if (fd < 0)
		_exit(90);
	memset(buf, 'A', sizeof(buf));
	for (size_t off = 0; off < size; off += sizeof(buf))
		if (pwrite(fd, buf, size - off < sizeof(buf) ? size - off : sizeof(buf), (off_t)off) < 0)
			_exit(91);
	if (seals && mw_memfd_seal(fd, seals) < 0)
		_exit(92);
	return fd;
}

static void send_fds(int sock, const int *fds, int n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 64)];
	char b = 'x';
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n) };
	struct cmsghdr *c;

	memset(ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) != 1)
		_exit(93);
}

static void send_one(int sock, int fd)
{
	if (mw_share_send(sock, fd, NULL, 0) < 0)
		_exit(94);
}

/* ---- senders ---- */
static void s_unsealed(int s) { send_one(s, sealed_memfd(0, 0, SZ)); }
static void s_exec_bit(int s)
{
	send_one(s, sealed_memfd(MW_MEMFD_EXEC, MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW, SZ));
}
static void s_exec_bit_sealed(int s)
{
	/* runc style: exec bit kept and sealed: exec is certainly possible. */
	int fd = sealed_memfd(MW_MEMFD_EXEC, 0, SZ);
	if (mw_memfd_seal(fd, MW_SEAL_EXEC | MW_SEAL_SEAL | MW_SEAL_WRITE | MW_SEAL_SHRINK |
			  MW_SEAL_GROW) < 0)
		_exit(95);
	send_one(s, fd);
}
static void s_exec_unsealable(int s)
{
	/* Exec bits cleared but not sealed (what 6.1 gives): the owner can chmod. */
	int fd = sealed_memfd(MW_MEMFD_EXEC, 0, SZ);
	if (fchmod(fd, 0644) < 0 || mw_memfd_seal(fd, MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW) < 0)
		_exit(95);
	send_one(s, fd);
}
static void s_shrinkable(int s)
{
	send_one(s, sealed_memfd(0, (MW_SEALS_FROZEN & sup) & ~MW_SEAL_SHRINK, SZ));
}
static void s_big(int s) { send_one(s, sealed_memfd(0, MW_SEALS_FROZEN & sup, 64 * 1024)); }
static void s_small(int s) { send_one(s, sealed_memfd(0, MW_SEALS_FROZEN & sup, 16)); }
static void s_pipe(int s)
{
	int p[2];
	if (pipe(p) < 0)
		_exit(96);
	send_one(s, p[0]);
}

/* A tmpfs in the sender's own mount namespace, on whichever directory exists. */
static int private_tmpfs_file(const char *name)
{
	static const char *dirs[] = { "/tmp", "/mnt", "/dev/shm", "/root", "/dev" };
	char path[128];

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		_exit(LIVE_SKIP_CODE);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int fd;

		if (mount("mwhostile", dirs[i], "tmpfs", 0, "mode=0700") < 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			_exit(97);
		if (pwrite(fd, "tmpfs", 5, 0) != 5)
			_exit(97);
		unlink(path);
		return fd;
	}
	_exit(LIVE_SKIP_CODE);
}
static void s_tmpfs(int s) { send_one(s, private_tmpfs_file("plain")); }
static void s_forged(int s)
{
	/* A tmpfs file named "memfd:evil", whose mount is then moved on top of
	 * "/" in the sender's namespace: seen from the receiver its /proc link
	 * reads "/memfd:evil (deleted)", exactly like a memfd's. */
	int fd = private_tmpfs_file("memfd:evil");
	static const char *dirs[] = { "/tmp", "/mnt", "/dev/shm", "/root", "/dev" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mount(dirs[i], "/", NULL, MS_MOVE, NULL) == 0)
			break;
	send_one(s, fd);
}

static void s_opath(int s)
{
	int fd = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (fd < 0)
		_exit(98);
	send_one(s, fd);
}
static void s_two(int s)
{
	int fds[2] = { sealed_memfd(0, MW_SEALS_FROZEN & sup, SZ), -1 };
	fds[1] = dup(fds[0]);
	send_fds(s, fds, 2);
}
static void s_flood(int s)
{
	int fds[32];
	fds[0] = sealed_memfd(0, MW_SEALS_FROZEN & sup, SZ);
	for (int i = 1; i < 32; i++)
		fds[i] = dup(fds[0]);
	send_fds(s, fds, 32);
}
static void s_nofd(int s)
{
	if (send(s, "hello", 5, MSG_NOSIGNAL) != 5)
		_exit(99);
}
static void s_close(int s) { (void)s; }
static void s_good(int s)
{
	int fd = sealed_memfd(0, 0, SZ);
	if (pwrite(fd, "good", 4, 0) != 4 || mw_memfd_seal(fd, MW_SEALS_FROZEN & sup) < 0)
		_exit(100);
	send_one(s, fd);
}

struct hostile_case {
	const char *name;
	void (*sender)(int);
	int err;
	enum mw_share_reason reason;
	unsigned int need; /* seals the sender needs from the kernel */
};

static int run(const char *name, void (*sender)(int), const struct mw_share_policy *pol,
	       bool pidfd, struct mw_share_result *res)
{
	int sv[2], before, after, r, rc;
	pid_t pid;

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	if (pidfd && setsockopt(sv[0], SOL_SOCKET, SO_PASSPIDFD, &(int){ 1 }, sizeof(int)) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -ENOPROTOOPT;
	}
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		close(sv[0]);
		sender(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	before = live_count_fds();
	res->sz = sizeof(*res);
	r = mw_share_recv(sv[0], pol, NULL, 0, res);
	rc = live_wait(pid);
	if (rc == LIVE_SKIP_CODE) {
		live_note("case %s skipped: the sender could not make a private tmpfs", name);
		if (r >= 0)
			close(r);
		close(sv[0]);
		return -ECANCELED;
	}
	CHECK(rc == 0, "%s: sender failed (%d)", name, rc);
	after = live_count_fds() - (r >= 0 ? 1 : 0) - (res->pidfd >= 0 ? 1 : 0);
	CHECK(after == before, "%s: fds %d before, %d after (leak)", name, before, after);
	CHECK(pidfd || res->pidfd == -1, "%s: a pidfd without SO_PASSPIDFD", name);
	if (res->pidfd >= 0)
		close(res->pidfd);
	close(sv[0]);
	return r;
}

static void hostile(void)
{
	struct mw_share_policy bounded = {
		.sz = sizeof(bounded),
		.flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
		.min_size = 64, .max_size = 8192,
	};
	struct mw_share_policy memfd_only = { .sz = sizeof(memfd_only), .flags = MW_SHARE_REQUIRE_MEMFD };
	const struct hostile_case cases[] = {
		{ "unsealed memfd", s_unsealed, -EPERM, MW_SHARE_MISSING_SEALS, 0 },
		{ "memfd with an exec bit", s_exec_bit, -EACCES, MW_SHARE_EXEC_POSSIBLE, 0 },
		{ "exec bit sealed on", s_exec_bit_sealed, -EACCES, MW_SHARE_EXEC_POSSIBLE, MW_SEAL_EXEC },
		{ "exec bits clear, not sealed", s_exec_unsealable, -EACCES, MW_SHARE_EXEC_POSSIBLE, 0 },
		{ "shrinkable memfd", s_shrinkable, -EPERM, MW_SHARE_MISSING_SEALS, 0 },
		{ "too big", s_big, -ERANGE, MW_SHARE_SIZE, 0 },
		{ "too small", s_small, -ERANGE, MW_SHARE_SIZE, 0 },
		{ "a pipe", s_pipe, -EMEDIUMTYPE, MW_SHARE_NOT_MEMFD, 0 },
		{ "a regular tmpfs file", s_tmpfs, -EMEDIUMTYPE, MW_SHARE_NOT_MEMFD, 0 },
		{ "an O_PATH fd", s_opath, -EBADF, MW_SHARE_BAD_ACCESS, 0 },
		{ "two fds in one message", s_two, -ETOOMANYREFS, MW_SHARE_TOO_MANY_FDS, 0 },
		{ "32 fds in one message", s_flood, -ETOOMANYREFS, MW_SHARE_TOO_MANY_FDS, 0 },
		{ "data without an fd", s_nofd, -ENOMSG, MW_SHARE_NO_FD, 0 },
		{ "end of stream", s_close, -EPIPE, MW_SHARE_PEER_CLOSED, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hostile_case *c = &cases[i];
		struct mw_share_policy pol = bounded;
		struct mw_share_result res;
		int r;

		/* Without F_SEAL_EXEC no foreign memfd passes NO_EXEC (see accepted()):
		 * test the other reasons without it there. */
		if (!(sup & MW_SEAL_EXEC) && c->reason != MW_SHARE_EXEC_POSSIBLE)
			pol.flags &= ~MW_SHARE_NO_EXEC;
		if ((c->need & sup) != c->need) {
			live_note("case '%s' skipped: needs F_SEAL_EXEC (Linux 6.3)", c->name);
			continue;
		}
		r = run(c->name, c->sender, &pol, false, &res);
		if (r == -ECANCELED)
			continue;
		CHECK(r == c->err, "%s: got %d (%s), want %d (%s)", c->name, r, mw_errno_name(r),
		      c->err, mw_errno_name(c->err));
		CHECK(res.reason == c->reason, "%s: reason %s, want %s", c->name,
		      mw_share_reason_name(res.reason), mw_share_reason_name(c->reason));
		if (r >= 0)
			close(r);
		live_note("%-36s -> %s (%s): %s", c->name, mw_share_reason_name(res.reason),
			  mw_errno_name(r), res.detail);
	}

	/* Without required seals, "memfd" alone must still not be forgeable. */
	{
		struct mw_share_result res;
		int r = run("forged /memfd: link", s_forged, &memfd_only, false, &res);
		if (r != -ECANCELED) {
			CHECK(r == -EMEDIUMTYPE && res.reason == MW_SHARE_NOT_MEMFD,
			      "forged memfd accepted: %d %s", r, res.detail);
			live_note("%-36s -> %s: %s", "tmpfs file named memfd:evil",
				  mw_share_reason_name(res.reason), res.detail);
			/* "(evil)": its link did read "/memfd:evil", so what refused
			 * it is the st_dev check against the memfd mount. */
			live_note("the forged link %s", strstr(res.detail, "(evil)") ?
				  "looked exactly like a memfd's: refused by st_dev" :
				  "did not look like a memfd's here");
			if (r >= 0)
				close(r);
		}
		r = run("plain unsealed memfd", s_unsealed, &memfd_only, false, &res);
		CHECK(r >= 0, "a real memfd was refused as not a memfd: %s", res.detail);
		if (r >= 0)
			close(r);
	}

	/* SO_PASSPIDFD (6.5): the kernel adds a pidfd; it must not leak. */
	{
		struct mw_share_result res;
		int r = run("pidfd attached", s_good, NULL, true, &res);
		if (r == -ENOPROTOOPT)
			live_note("SO_PASSPIDFD case skipped: not supported by this kernel (6.5+)");
		else if (!(sup & MW_SEAL_EXEC))
			CHECK(r == -EACCES, "default policy on a kernel without F_SEAL_EXEC: %d", r);
		else
			CHECK(r >= 0, "good memfd with a pidfd attached refused: %s", res.detail);
		if (r != -ENOPROTOOPT)
			CHECK(res.pidfd != -1 || r < 0, "the sender's pidfd was not reported");
		if (r >= 0)
			close(r);
	}
}

static void accepted(void)
{
	struct mw_share_result res;
	struct mw_share_policy pol = {
		.sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW,
	};
	size_t len = 0;
	char *p;
	int fd;

	if (!(sup & MW_SEAL_EXEC)) {
		/* Without F_SEAL_EXEC a foreign memfd cannot prove exec impossible. */
		fd = run("good memfd, old kernel", s_good, &pol, false, &res);
		CHECK(fd == -EACCES && res.reason == MW_SHARE_EXEC_POSSIBLE,
		      "NO_EXEC satisfied without F_SEAL_EXEC: %d", fd);
		pol.flags &= ~MW_SHARE_NO_EXEC;
		live_note("F_SEAL_EXEC missing: NO_EXEC refused as documented; checking the rest without it");
	}
	fd = run("good memfd", s_good, &pol, false, &res);
	REQUIRE(fd >= 0, "good memfd refused: %d %s", fd, res.detail);
	CHECK(res.reason == MW_SHARE_OK && !res.copied, "reason %s", mw_share_reason_name(res.reason));
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "received fd lacks FD_CLOEXEC");
	p = mw_share_map_ro(fd, &len);
	REQUIRE(p != NULL, "map_ro: %s", strerror(errno));
	CHECK(len == SZ && !memcmp(p, "good", 4), "contents");
	munmap(p, len);
	close(fd);

	/* map_ro refuses a shrinkable file (SIGBUS risk). */
	{
		int m = mw_memfd_create("shrinkable", NULL, NULL);
		REQUIRE(m >= 0 && ftruncate(m, SZ) == 0, "memfd");
		errno = 0;
		CHECK(mw_share_map_ro(m, &len) == NULL && errno == EPERM, "map_ro without SHRINK");
		close(m);
	}
}

/* COPY: an unsealed memfd becomes our frozen copy; later writes by the
 * sender do not reach it. */
static int to_sender[2], to_receiver[2];
static void s_unsealed_then_write(int s)
{
	int fd = sealed_memfd(0, 0, SZ);
	char c;

	if (pwrite(fd, "orig", 4, 0) != 4)
		_exit(101);
	send_one(s, fd);
	if (read(to_sender[0], &c, 1) != 1)
		_exit(102);
	if (pwrite(fd, "EVIL", 4, 0) != 4)
		_exit(103);
	if (write(to_receiver[1], "w", 1) != 1)
		_exit(104);
}

static void copy_mode(void)
{
	struct mw_share_policy pol = {
		.sz = sizeof(pol), .flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC | MW_SHARE_COPY,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW, .max_size = 1 << 20,
	};
	struct mw_share_result res = { .sz = sizeof(res) };
	int sv[2], fd, before;
	pid_t pid;
	char buf[4], c;

	REQUIRE(pipe2(to_sender, O_CLOEXEC) == 0 && pipe2(to_receiver, O_CLOEXEC) == 0, "pipe");
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		s_unsealed_then_write(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	before = live_count_fds();
	fd = mw_share_recv(sv[0], &pol, NULL, 0, &res);
	REQUIRE(fd >= 0, "copy mode refused: %d %s", fd, res.detail);
	CHECK(res.copied, "not marked as a copy");
	CHECK(pread(fd, buf, 4, 0) == 4 && !memcmp(buf, "orig", 4), "copy contents");
	CHECK((mw_memfd_get_seals(fd) & (MW_SEALS_FROZEN & sup)) == (MW_SEALS_FROZEN & sup),
	      "copy not frozen: 0x%x", mw_memfd_get_seals(fd));
	REQUIRE(write(to_sender[1], "g", 1) == 1, "sync");
	/* The sender writes to its memfd, then answers. */
	REQUIRE(read(to_receiver[0], &c, 1) == 1 && c == 'w', "sync back");
	CHECK(pread(fd, buf, 4, 0) == 4 && !memcmp(buf, "orig", 4), "sender's later write reached the copy");
	CHECK(live_wait(pid) == 0, "copy sender failed");
	close(fd);
	CHECK(live_count_fds() == before, "copy mode leaked fds");
	close(sv[0]);
	close(to_sender[0]);
	close(to_sender[1]);
	close(to_receiver[0]);
	close(to_receiver[1]);

	/* COPY never copies more than max_size; COPY without max_size is invalid. */
	pol.max_size = 1024;
	{
		struct mw_share_result r2;
		int r = run("copy too big", s_unsealed, &pol, false, &r2);
		CHECK(r == -ERANGE && r2.reason == MW_SHARE_SIZE, "oversized copy: %d %s", r, r2.detail);
	}
	pol.max_size = MW_SHARE_NO_MAX;
	CHECK(mw_share_recv(-1, &pol, NULL, 0, NULL) == -EINVAL, "COPY without a bound accepted");
	pol.max_size = 0; /* the default bound */
	CHECK(mw_share_recv(-1, &pol, NULL, 0, NULL) == -EBADF, "COPY with the default bound");
}

int main(void)
{
	lk_need("memfd_create", lk_memfd_create(0), "memfd_create");
	sup = lk_seals_supported();
	CHECK(mw_memfd_seals_supported() == sup, "mw_memfd_seals_supported() 0x%x, F_ADD_SEALS takes 0x%x",
	      mw_memfd_seals_supported(), sup);
	hostile();
	accepted();
	copy_mode();
	{
		struct mw_share_policy bad = { .sz = sizeof(bad), .flags = 0x80 };
		CHECK(mw_share_recv(-1, &bad, NULL, 0, NULL) == -EINVAL, "unknown policy flag");
		CHECK(mw_share_send(-1, -1, NULL, 0) == -EINVAL, "send of fd -1");
	}
	{
		/* A descriptor that is not a socket: the socket type query fails
		 * before any recvmsg, so the detail must not blame recvmsg. */
		struct mw_share_policy pol = { .sz = sizeof(pol) };
		struct mw_share_result r = { .sz = sizeof(r) };
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		CHECK(fd >= 0, "open /dev/null: %s", strerror(errno));
		CHECK(mw_share_recv(fd, &pol, NULL, 0, &r) == -ENOTSOCK, "recv on /dev/null: not -ENOTSOCK");
		CHECK(r.reason == MW_SHARE_ERROR && !strstr(r.detail, "recvmsg") && strstr(r.detail, "receiving"),
		      "recv on /dev/null: detail '%s'", r.detail);
		close(fd);
	}
	return live_done();
}
