/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guard-tamper: what another root process can and cannot do to a running
 * guard. Refused: an fd for any of its BPF programs, maps or links by id
 * (the way to BPF_LINK_DETACH or a map update), ptrace attach, pidfd_getfd
 * and /proc/PID/mem of the loader. Not protected (memward-guard(8) says so):
 * SIGKILL of the loader detaches every program, after which a memfd exec
 * works again: this test checks that too, so the man page cannot drift.
 *
 * usage: live-guard-tamper MEMWARD
 */
#include "attacks.h"

#include <sys/ptrace.h>

/* How many objects of one kind refuse an fd with EPERM. */
static int refused(int (*next)(__u32, __u32 *), int (*get)(__u32))
{
	__u32 id = 0;
	int n = 0;

	while (next(id, &id) == 0) {
		int fd = get(id);

		if (fd >= 0)
			close(fd);
		else if (errno == EPERM)
			n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct gt_guard g;
	int progs, maps, links, pidfd, fd, r;
	char path[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	gt_require_lsm();
	REQUIRE(geteuid() == 0, "runs as root (the guard needs it)");
	CHECK(refused(bpf_prog_get_next_id, bpf_prog_get_fd_by_id) == 0, "programs refused before the guard ran");

	gt_start(&g, argv[1], "mode audit\n", NULL);
	progs = refused(bpf_prog_get_next_id, bpf_prog_get_fd_by_id);
	maps = refused(bpf_map_get_next_id, bpf_map_get_fd_by_id);
	links = refused(bpf_link_get_next_id, bpf_link_get_fd_by_id);
	printf("refused by id: %d programs, %d maps, %d links\n", progs, maps, links);
	CHECK(progs >= 10, "only %d of the guard's programs refused an fd", progs);
	CHECK(maps >= 5, "only %d of the guard's maps refused an fd", maps);
	CHECK(links >= 10, "only %d of the guard's links refused an fd", links);

	pidfd = (int)syscall(__NR_pidfd_open, g.pid, 0);
	if (pidfd >= 0) {
		fd = (int)syscall(__NR_pidfd_getfd, pidfd, 3, 0);
		CHECK(fd < 0 && errno == EPERM, "pidfd_getfd of the guard: %d (%s)", fd, strerror(errno));
		close(pidfd);
	}
	r = (int)ptrace(PTRACE_ATTACH, g.pid, NULL, NULL);
	CHECK(r < 0 && errno == EPERM, "ptrace attach to the guard: %d (%s)", r, strerror(errno));
	if (r == 0)
		ptrace(PTRACE_DETACH, g.pid, NULL, NULL);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)g.pid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd < 0 && (errno == EPERM || errno == EACCES), "open %s: %d (%s)", path, fd, strerror(errno));
	CHECK(gt_log_wait(&g, 3, "\"reason\":\"protected\"", "\"enforced\":true", NULL) >= 3,
	      "fewer than 3 protected lines (self-protection holds in audit mode too)");
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0");

	/* SIGKILL of the loader: the programs go with it (not pinned). */
	gt_start(&g, argv[1], "mode enforce\n", NULL);
	r = gt_child(a_fexecve, NULL);
	CHECK(r == 100 + EPERM, "fexecve under the guard: %d (expected 101)", r);
	kill(g.pid, SIGKILL);
	CHECK(live_wait(g.pid) == 128 + SIGKILL, "guard not killed");
	r = gt_child(a_fexecve, NULL);
	CHECK(r == GT_OK, "after SIGKILL of the guard, fexecve: %d (documented: the guard is gone, 42)", r);
	unlink(g.policy);
	unlink(g.log);
	return live_done();
}
