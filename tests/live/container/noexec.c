/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw_container_noexec_set/get from outside a pid namespace, as an OCI hook
 * uses them: the target is pid 1 of a namespace this test creates, waiting
 * on a pipe; after the call it tries memfd_create itself, so the test checks
 * what the kernel enforces inside, not what the library reports.
 *
 *  - level 2: memfd_create(MFD_EXEC) and a plain memfd_create fail (EACCES);
 *  - level 1: a plain memfd is created without exec bits and exec-sealed;
 *  - the host's (our) level never changes; our own namespace is refused
 *    (-EXDEV); a nested namespace cannot go below its parent (-ERANGE);
 *    nobody gets -EPERM; an exited process -ESRCH; bad arguments -EINVAL;
 *  - all of it with SIGCHLD ignored, and no fd leaked.
 * Without the sysctl (6.1) the call must refuse with -EOPNOTSUPP.
 */
#include "live.h"
#include "core/child.h"
#include "core/internal.h"
#include "sys/shim.h"

#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>

#include <memward/container.h>

#define SYSCTL "/proc/sys/vm/memfd_noexec"

struct target {
	struct mw__child c;
	int go[2];  /* the test writes the expected level to start the checks */
};

static int host_level(void)
{
	char buf[16];
	long v;

	if (mw__read_file(SYSCTL, buf, sizeof(buf)) < 0 || mw__parse_long(buf, &v) < 0)
		return -1;
	return (int)v;
}

/* In the target namespace: exit 0 when memfd_create behaves as level says. */
static int target_main(void *arg)
{
	struct target *t = arg;
	char level;
	struct stat st;
	int fd;

	close(t->go[1]);
	if (read(t->go[0], &level, 1) != 1)
		return 0; /* told to just exit */
	if (getpid() != 1)
		return 10;
	if (level == '2') {
		fd = mw_sys_memfd_create("t", MFD_EXEC);
		if (fd >= 0 || errno != EACCES)
			return 11;
		/* A plain memfd_create is non-executable and exec-sealed
		 * since 6.6 (commit 202e14222fad "memfd: do not -EACCES old
		 * memfd_create() users with vm.memfd_noexec=2"), refused before. */
		fd = mw_sys_memfd_create("t", 0);
		if (fd < 0)
			return errno == EACCES ? 0 : 12;
	} else {
		fd = mw_sys_memfd_create("t", 0);
		if (fd < 0)
			return 13;
	}
	if (fstat(fd, &st) < 0 || (st.st_mode & 0111))
		return 14;
	if (!(fcntl(fd, F_GET_SEALS) & F_SEAL_EXEC))
		return 15;
	return 0;
}

static void target_start(struct target *t, unsigned long extra)
{
	REQUIRE(pipe2(t->go, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	REQUIRE(mw__child_start(&t->c, target_main, t, 0, CLONE_NEWPID | extra) == 0,
		"clone(CLONE_NEWPID): %s", strerror(errno));
	close(t->go[0]);
}

/* Tell the target which level to check (0: just exit); its exit code. */
static int target_finish(struct target *t, char level)
{
	int status = 0;

	if (level)
		(void)!write(t->go[1], &level, 1);
	close(t->go[1]);
	REQUIRE(mw__child_wait(&t->c, &status) == 0, "wait: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A namespace nested in parent's. clone(CLONE_NEWPID) is refused (EINVAL)
 * once setns has made pid_for_children differ from the active namespace
 * (copy_pid_ns()), so: helper joins parent's namespace, its child mid lives
 * there and clones the nested init, which sends a datagram over a socket
 * with SO_PASSCRED: the kernel translates its pid into ours. Every child is
 * an mw__child (exit signal 0), waitable with SIGCHLD ignored. */
struct nested {
	struct target *t;
	int pidfd;
	int sock;
};

static int nested_main(void *arg)
{
	struct nested *n = arg;
	char c = 'x';

	close(n->t->go[1]);
	if (send(n->sock, &c, 1, 0) != 1)
		return 1;
	return read(n->t->go[0], &c, 1) == 1 ? 1 : 0;
}

static int nested_mid(void *arg)
{
	struct mw__child c;

	if (mw__child_start(&c, nested_main, arg, 0, CLONE_NEWPID) < 0)
		return 3;
	mw__child_wait(&c, NULL);
	return 0;
}

static int nested_helper(void *arg)
{
	struct nested *n = arg;
	int status = 0;

	if (setns(n->pidfd, CLONE_NEWPID) < 0)
		return 2;
	close(n->t->go[1]);
	if (mw__child_run(nested_mid, n, 0, &status) < 0)
		return 3;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}

static pid_t nested_start(pid_t parent, struct target *t)
{
	int sv[2], one = 1;
	struct nested n = { t, mw_sys_pidfd_open(parent, 0), -1 };
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	char c;
	struct iovec iov = { &c, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	struct ucred cred = { .pid = -1 };

	REQUIRE(n.pidfd >= 0 && pipe2(t->go, O_CLOEXEC) == 0 &&
		socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0 &&
		setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == 0,
		"pidfd/pipe/socket: %s", strerror(errno));
	n.sock = sv[1];
	REQUIRE(mw__child_start(&t->c, nested_helper, &n, 0, 0) == 0, "clone: %s", strerror(errno));
	close(sv[1]);
	close(t->go[0]);
	close(n.pidfd);
	if (recvmsg(sv[0], &msg, 0) == 1)
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
				memcpy(&cred, CMSG_DATA(cm), sizeof(cred));
	close(sv[0]);
	if (cred.pid <= 0) {
		int st = 0;
		close(t->go[1]);
		mw__child_wait(&t->c, &st);
		REQUIRE(0, "nested namespace not created (helper status %#x)", st);
	}
	return cred.pid;
}

static void nested_finish(struct target *t)
{
	close(t->go[1]);
	mw__child_wait(&t->c, NULL);
}

static int nobody_main(void *arg)
{
	pid_t target = *(pid_t *)arg;

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return 2;
	return mw_container_noexec_set(target, 2, 0) == -EPERM ? 0 : 1;
}

static void check_unprivileged(pid_t target)
{
	int status = 0;

	REQUIRE(mw__child_run(nobody_main, &target, 0, &status) == 0, "clone: %s", strerror(errno));
	CHECK(MW__CHILD_OK(status), "nobody was not refused with -EPERM (status %#x)", status);
}

int main(void)
{
	struct target t, a, b;
	int h0, fds, r;
	pid_t bpid, tpid;

	if (geteuid() != 0)
		live_skip("needs root: namespaces are created with clone(CLONE_NEWPID)");
	signal(SIGCHLD, SIG_IGN);
	h0 = host_level();
	fds = live_count_fds();

	CHECK(mw_container_noexec_set(getpid(), 3, 0) == -EINVAL, "level 3 accepted");
	CHECK(mw_container_noexec_set(getpid(), 1, 1) == -EINVAL, "flags accepted");
	CHECK(mw_container_noexec_set(0, 1, 0) == -EINVAL, "pid 0 accepted");

	target_start(&t, 0);
	if (h0 < 0) {
		REQUIRE(access(SYSCTL, F_OK) < 0 && errno == ENOENT, "cannot read " SYSCTL);
		r = mw_container_noexec_set(t.c.pid, 2, 0);
		CHECK(r == -EOPNOTSUPP, "no sysctl: got %d, want -EOPNOTSUPP", r);
		target_finish(&t, 0);
		return live_done();
	}

	/* Level 2 inside, host unchanged. */
	tpid = t.c.pid;
	r = mw_container_noexec_set(t.c.pid, 2, 0);
	CHECK(r == 0, "set 2: %s", strerror(-r));
	CHECK(mw_container_noexec_get(t.c.pid) == 2, "get after set 2");
	CHECK(host_level() == h0, "host level changed to %d", host_level());
	CHECK(mw_container_noexec_get(getpid()) == h0, "get of our own namespace");
	check_unprivileged(t.c.pid);
	r = target_finish(&t, '2');
	CHECK(r == 0, "inside level 2, memfd_create check %d failed", r);
	r = mw_container_noexec_set(tpid, 2, 0);
	CHECK(r == -ESRCH, "exited process: got %d, want -ESRCH", r);

	/* Level 1: a plain memfd is non-executable. */
	if (h0 <= 1) {
		target_start(&t, 0);
		r = mw_container_noexec_set(t.c.pid, 1, 0);
		CHECK(r == 0, "set 1: %s", strerror(-r));
		r = target_finish(&t, '1');
		CHECK(r == 0, "inside level 1, memfd check %d failed", r);
	}

	/* Our own namespace: refused, unchanged. */
	r = mw_container_noexec_set(getpid(), 2, 0);
	CHECK(r == -EXDEV, "own namespace: got %d, want -EXDEV", r);
	CHECK(host_level() == h0, "host level changed to %d", host_level());

	/* Nested: below the parent's level is refused. */
	target_start(&a, 0);
	CHECK(mw_container_noexec_set(a.c.pid, 2, 0) == 0, "set parent 2");
	bpid = nested_start(a.c.pid, &b);
	r = mw_container_noexec_set(bpid, 1, 0);
	CHECK(r == -ERANGE, "below the parent: got %d, want -ERANGE", r);
	CHECK(mw_container_noexec_get(bpid) == 2, "nested level is not 2");
	CHECK(mw_container_noexec_set(bpid, 2, 0) == 0, "nested set 2 at the floor");
	nested_finish(&b);
	target_finish(&a, 0);

	CHECK(host_level() == h0, "host level changed to %d", host_level());
	CHECK(live_count_fds() == fds, "fd leak: %d -> %d", fds, live_count_fds());
	return live_done();
}
