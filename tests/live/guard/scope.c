/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guard-scope: `memward guard --cgroup PATH` guards one cgroup v2 subtree.
 * A process outside it runs a memfd payload; the same process moved inside
 * is refused; a payload memfd created outside and passed in over
 * SCM_RIGHTS is refused inside and still runs outside.
 *
 * usage: live-guard-scope MEMWARD
 */
#include "attacks.h"

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static char cg[128];

static int join(void)
{
	char path[160], pid[32];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
		return -1;
	close(fd);
	return 0;
}

static int inside_fexecve(void *x)
{
	(void)x;
	return join() < 0 ? 203 : a_fexecve(NULL);
}

/* Inside: receive a memfd over the socket and execute it. */
static int inside_recv_exec(void *x)
{
	int sock = (int)(intptr_t)x, fd;
	char c, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

	if (join() < 0)
		return 203;
	if (recvmsg(sock, &m, 0) != 1 || !CMSG_FIRSTHDR(&m))
		return 204;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(fd));
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

static int send_fd(int sock, int fd)
{
	char c = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &c, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);

	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(fd));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int outside_exec(void *x)
{
	syscall(SYS_execveat, (int)(intptr_t)x, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

int main(int argc, char **argv)
{
	struct gt_guard g;
	struct statfs sf;
	int sp[2], fd, r;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	gt_require_lsm();
	if (statfs("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC) {
		if (!getenv("MW_IN_VM"))
			live_skip("/sys/fs/cgroup is not cgroup v2 (the test mounts it only in the VM guests)");
		mkdir("/sys/fs/cgroup", 0755);
		REQUIRE(mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) == 0, "mount cgroup2: %s",
			strerror(errno));
	}
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/gt-scope-%d", (int)getpid());
	REQUIRE(mkdir(cg, 0755) == 0, "mkdir %s: %s", cg, strerror(errno));

	gt_start(&g, argv[1], "mode enforce\n", cg);
	r = gt_child(a_fexecve, NULL);
	CHECK(r == GT_OK, "outside the cgroup: %d (expected the payload to run, 42)", r);
	r = gt_child(inside_fexecve, NULL);
	CHECK(r == 100 + EPERM, "inside the cgroup: %d (expected EPERM, 101)", r);

	/* A payload made outside, sent in. */
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0, "socketpair");
	fd = gt_exec_memfd();
	REQUIRE(fd >= 0, "memfd: %d", fd);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(inside_recv_exec((void *)(intptr_t)sp[1]));
	CHECK(send_fd(sp[0], fd) == 0, "sendmsg: %s", strerror(errno));
	r = live_wait(pid);
	CHECK(r == 100 + EPERM, "memfd received over SCM_RIGHTS, inside: %d (expected 101)", r);
	r = gt_child(outside_exec, (void *)(intptr_t)fd);
	CHECK(r == GT_OK, "the same memfd outside: %d (expected 42)", r);
	CHECK(gt_log_wait(&g, 2, "\"decision\":\"deny\"", NULL, NULL) >= 2, "fewer than 2 deny lines");
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0");
	rmdir(cg);
	unlink(g.log);
	return live_done();
}
