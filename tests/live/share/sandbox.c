/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Issue 11 #1: a receiver under a seccomp allow-list (minijail/crosvm style,
 * no memfd_create) must survive every sender and never lose a check.
 *
 * The receiver installs a filter that allows exactly the syscalls
 * mw_share_recv(3) documents for the default path (plus write and exit for
 * the test itself): first with SECCOMP_RET_KILL_PROCESS for everything else
 * (a call outside the set kills it: the test fails with SIGSYS), then with
 * the documented set minus fgetxattr returning EPERM, and EPERM for
 * everything else (a check that cannot be made must refuse, not pass).
 * Senders: a frozen memfd, a memfd made without sealing, a tmpfs file
 * forged to look like a memfd (root), a memfd with an exec bit, a pipe, two
 * fds, a hugetlb memfd (size 0: needs no huge pages), a frozen memfd taken
 * with MW_SHARE_SHARED_FD. The receiver enables SO_PASSCRED and
 * SO_PASSPIDFD, as a broker would.
 */
#include "share_test.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

/* The set documented in mw_share_recv(3), section SYSCALLS. */
static const int documented[] = {
	SYS_getsockopt, SYS_recvmsg, SYS_poll, SYS_ppoll, SYS_newfstatat, SYS_fstat,
	SYS_fstatfs, SYS_fcntl, SYS_readlink, SYS_readlinkat, SYS_fgetxattr, SYS_openat,
	SYS_close, SYS_clock_gettime,
};
/* What the test itself needs once sandboxed; under a sanitizer also what
 * its runtime calls on its own (not the library's doing). */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define MW_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MW_TEST_SANITIZED 1
#endif
static const int test_own[] = {
	SYS_write, SYS_exit_group, SYS_exit,
#ifdef MW_TEST_SANITIZED
	SYS_sigaltstack, SYS_mmap, SYS_munmap, SYS_madvise, SYS_mprotect, SYS_gettid, SYS_getpid,
	SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_sched_yield, SYS_futex, SYS_prctl,
#endif
};

/* Added by MW_SHARE_COPY / MW_SHARE_EXEC_NEVER (mw_share_recv(3)). */
static const int documented_copy[] = {
	SYS_memfd_create, SYS_ftruncate, SYS_lseek, SYS_pread64, SYS_pwrite64, SYS_fchmod,
};

enum { KILL_OTHERS, EPERM_OTHERS, COPY_KILL };
enum { C_FROZEN, C_NOSEAL, C_FORGED, C_EXECBIT, C_PIPE, C_TWO, C_HUGE, C_SHARED, C_N };

static unsigned int sup;

static void install(int mode)
{
	struct sock_filter f[96];
	unsigned int n = 0, nlist = 0;
	int list[48];
	unsigned int deny = mode != EPERM_OTHERS ? SECCOMP_RET_KILL_PROCESS : SECCOMP_RET_ERRNO | EPERM;

	for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
		if (!(mode == EPERM_OTHERS && documented[i] == SYS_fgetxattr))
			list[nlist++] = documented[i];
	for (size_t i = 0; i < sizeof(test_own) / sizeof(test_own[0]); i++)
		list[nlist++] = test_own[i];
	for (size_t i = 0; mode == COPY_KILL && i < sizeof(documented_copy) / sizeof(int); i++)
		list[nlist++] = documented_copy[i];
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (unsigned int i = 0; i < nlist; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)list[i], 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	REQUIRE(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs");
	REQUIRE(mw_sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) == 0, "seccomp: %s", strerror(errno));
}

static void send_marked(int s, int fd, char mark)
{
	if (fd < 0 || mw_share_send(s, fd, &mark, 1) < 0)
		_exit(90);
	close(fd);
}

static void sender(int s, void *arg)
{
	unsigned int frozen = (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_EXEC | F_SEAL_SEAL) & sup;
	int p[2], fds[2], fd;

	(void)arg;
	for (int round = 0; round < 2; round++) {
		send_marked(s, st_memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL * !!(sup & F_SEAL_EXEC),
					frozen, 64), 'F');
		send_marked(s, st_memfd(0, 0, 64), 'N');
		{
			pid_t c = fork(); /* the forge needs its own mount namespace */

			if (c == 0) {
				fd = st_forged_memfd("memfd:evil");
				if (fd >= 0)
					send_marked(s, fd, 'G');
				else if (pipe2(p, O_CLOEXEC) == 0)
					send_marked(s, p[0], 'P');
				_exit(0);
			}
			if (live_wait(c) != 0)
				_exit(91);
		}
		send_marked(s, st_memfd(MFD_ALLOW_SEALING, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW, 64),
			    'X');
		if (pipe2(p, O_CLOEXEC) < 0)
			_exit(92);
		send_marked(s, p[0], 'P');
		close(p[1]);
		fds[0] = st_memfd(MFD_ALLOW_SEALING, frozen, 64);
		fds[1] = dup(fds[0]);
		{
			char m = '2';
			struct iovec iov = { &m, 1 };
			char ctl[CMSG_SPACE(2 * sizeof(int))] = { 0 };
			struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
					      .msg_controllen = sizeof(ctl) };
			struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(2 * sizeof(int));
			memcpy(CMSG_DATA(c), fds, sizeof(fds));
			if (sendmsg(s, &msg, MSG_NOSIGNAL) != 1)
				_exit(93);
			close(fds[0]);
			close(fds[1]);
		}
		fd = mw_sys_memfd_create("st-huge", MFD_CLOEXEC | MFD_HUGETLB | MFD_ALLOW_SEALING);
		/* Mode 0644 and F_SEAL_EXEC: what an exec-sealed tmpfs memfd looks like. */
		if (fd >= 0 && fchmod(fd, 0644) == 0 && fcntl(fd, F_ADD_SEALS, frozen) == 0)
			send_marked(s, fd, 'H');
		else if (pipe2(p, O_CLOEXEC) == 0)
			send_marked(s, p[0], 'P');
		send_marked(s, st_memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL * !!(sup & F_SEAL_EXEC),
					frozen, 64), 'F');
	}
	/* Round three (copies): a frozen memfd, an unsealed one, a pipe; then
	 * silence until the receivers are done. */
	send_marked(s, st_memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL * !!(sup & F_SEAL_EXEC),
				frozen, 64), 'F');
	send_marked(s, st_memfd(MFD_ALLOW_SEALING, 0, 5000), 'U');
	if (pipe2(p, O_CLOEXEC) < 0)
		_exit(94);
	send_marked(s, p[0], 'P');
	close(p[1]);
	{
		char b;
		(void)read(s, &b, 1);
	}
}

static void expect(int c, int r, const struct mw_share_result *res, char mark, int mode)
{
	static const char *names[C_N] = { "frozen", "no sealing", "forged", "exec bit", "pipe",
					  "two fds", "hugetlb", "shared fd" };
	int want;

	switch (c) {
	case C_FROZEN:
	case C_SHARED:
		want = !(sup & F_SEAL_EXEC) && c == C_FROZEN ? -EACCES : 0;
		if (mode == EPERM_OTHERS)
			want = -EACCES; /* the ACL cannot be read: refused, not passed */
		break;
	case C_NOSEAL: case C_FORGED: case C_PIPE: want = -EMEDIUMTYPE; break;
	case C_EXECBIT: want = -EACCES; break;
	case C_TWO: want = -ETOOMANYREFS; break;
	case C_HUGE: want = mark == 'H' ? -EACCES : -EMEDIUMTYPE; break;
	default: want = 1; break;
	}
	if (c == C_SHARED && !(sup & F_SEAL_EXEC))
		want = -EACCES;
	CHECK(want == 0 ? r >= 0 : r == want, "%s: got %d (%s), want %d: %s", names[c], r,
	      r < 0 ? mw_errno_name(r) : "fd", want, res->detail);
	if (c == C_NOSEAL)
		CHECK(strstr(res->detail, "not proven") != NULL, "no-sealing memfd: %s", res->detail);
	if (c == C_HUGE && mark == 'H')
		CHECK(strstr(res->detail, "hugetlbfs") != NULL, "hugetlb: %s", res->detail);
	if (mode == EPERM_OTHERS && (c == C_FROZEN || c == C_SHARED) && (sup & F_SEAL_EXEC))
		CHECK(strstr(res->detail, "ACL") != NULL, "unreadable ACL: %s", res->detail);
	printf("note: %s %s -> %s: %s\n", mode == KILL_OTHERS ? "kill" : "eperm", names[c],
	       r >= 0 ? "fd" : mw_errno_name(r), res->detail);
}

/* Under the copy set: EXEC_NEVER and COPY make their own memfd, recv_fd
 * takes a pipe, a timed wait on a silent peer ends. */
static void copies(int sock)
{
	struct mw_share_policy never = { .sz = sizeof(never),
		.flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_EXEC_NEVER,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW };
	struct mw_share_policy copy = { .sz = sizeof(copy),
		.flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC | MW_SHARE_COPY,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW, .max_size = 65536 };
	struct mw_share_policy timed = { .sz = sizeof(timed), .timeout_ms = 200 };
	struct mw_share_result res = { .sz = sizeof(res) };
	int r;

	r = mw_share_recv(sock, &never, NULL, 0, &res);
	CHECK(r >= 0 && res.copied && res.exec_never, "copy: EXEC_NEVER: %d %s", r, res.detail);
	printf("note: copy EXEC_NEVER -> %s: %s\n", r >= 0 ? "fd" : mw_errno_name(r), res.detail);
	if (r >= 0)
		close(r);
	if (res.pidfd >= 0)
		close(res.pidfd);
	r = mw_share_recv(sock, &copy, NULL, 0, &res);
	CHECK(r >= 0 && res.copied && res.size == 5000, "copy: COPY of an unsealed memfd: %d %s", r,
	      res.detail);
	printf("note: copy COPY -> %s: %s\n", r >= 0 ? "fd" : mw_errno_name(r), res.detail);
	if (r >= 0)
		close(r);
	if (res.pidfd >= 0)
		close(res.pidfd);
	r = mw_share_recv_fd(sock, NULL, 0, 0, &res);
	CHECK(r >= 0, "copy: recv_fd of a pipe: %d %s", r, res.detail);
	if (r >= 0)
		close(r);
	if (res.pidfd >= 0)
		close(res.pidfd);
	r = mw_share_recv(sock, &timed, NULL, 0, &res);
	CHECK(r == -ETIMEDOUT, "copy: timed wait on a silent peer: %d %s", r, res.detail);
	fflush(stdout);
}

static int receiver(int sock, int mode)
{
	struct mw_share_policy memfd_only = { .sz = sizeof(memfd_only), .flags = MW_SHARE_REQUIRE_MEMFD };
	struct mw_share_policy shared = { .sz = sizeof(shared),
		.flags = MW_SHARE_REQUIRE_MEMFD | MW_SHARE_NO_EXEC | MW_SHARE_SHARED_FD,
		.required_seals = MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_GROW };
	int before;

	(void)setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int));
	(void)setsockopt(sock, SOL_SOCKET, SO_PASSPIDFD, &(int){ 1 }, sizeof(int));
	printf("note: receiver sandboxed (%s)\n", mode == KILL_OTHERS ? "kill" :
	       mode == EPERM_OTHERS ? "eperm" : "copy");
	fflush(stdout);
	before = st_count_fds();
	install(mode);
	if (mode == COPY_KILL) {
		copies(sock);
		CHECK(st_count_fds() == before, "fds %d before, %d after", before, st_count_fds());
		return live_done();
	}
	for (int c = 0; c < C_N; c++) {
		struct mw_share_result res = { .sz = sizeof(res) };
		const struct mw_share_policy *pol = c == C_NOSEAL || c == C_FORGED ? &memfd_only :
						   c == C_SHARED ? &shared : NULL;
		char mark = 0;
		int r = mw_share_recv(sock, pol, &mark, 1, &res);

		expect(c, r, &res, mark, mode);
		CHECK(res.has_cred, "%d: no credentials reported under SO_PASSCRED", c);
		if (r >= 0)
			close(r);
		if (res.pidfd >= 0)
			close(res.pidfd);
		fflush(stdout);
	}
	CHECK(st_count_fds() == before, "fds %d before, %d after", before, st_count_fds());
	return live_done();
}

int main(void)
{
	int probe = mw_sys_memfd_create("probe", MFD_CLOEXEC);
	int sv[2];
	pid_t spid, rpid;

	if (probe < 0)
		live_skip("memfd_create: %s", strerror(errno));
	close(probe);
	sup = st_seals_supported();
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	spid = fork();
	REQUIRE(spid >= 0, "fork");
	if (spid == 0) {
		close(sv[0]);
		sender(sv[1], NULL);
		_exit(0);
	}
	close(sv[1]);
	for (int mode = KILL_OTHERS; mode <= COPY_KILL; mode++) {
		int rc;

		fflush(stdout);
		rpid = fork();
		REQUIRE(rpid >= 0, "fork");
		if (rpid == 0)
			_exit(receiver(sv[0], mode));
		rc = live_wait(rpid);
		CHECK(rc != 128 + SIGSYS, "the sandboxed receiver was killed by SIGSYS: a syscall "
		      "outside the documented set");
		CHECK(rc == 0, "receiver (%s) failed: %d", mode == KILL_OTHERS ? "kill" :
		      mode == EPERM_OTHERS ? "eperm" : "copy", rc);
		if (rc != 0)
			break;
	}
	close(sv[0]);
	kill(spid, SIGTERM); /* if a receiver stopped early, the sender may be mid-round */
	live_wait(spid);
	return live_done();
}
