/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Each finding names the cgroup of its own process, also where the scan
 * reads the cgroup text once per set of cgroups (the BPF path keys it by
 * the task's css_set, on hybrid v1 hosts too): children A and C in one new
 * cgroup, B in another, each holding an executable memfd (a finding each),
 * scanned with the BPF iterators insisted on and through /proc. A key that
 * mixed two sets of cgroups would give B the cgroup of A or the reverse.
 *
 * usage: live-audit-cgroup-attr
 */
#include "live.h"
#include "sys/shim.h"

#include <signal.h>
#include <sys/prctl.h>

#include <memward/memward.h>

static char dir_a[256], dir_b[256];

/* A cgroup directory memward would show for a process in it: the pids v1
 * hierarchy (preferred on hybrid hosts), else the v2 one. 0, or -errno. */
static int make_cgroups(void)
{
	static const char *const roots[] = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	int err = -ENOENT;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		char probe[300];

		snprintf(probe, sizeof(probe), "%s/cgroup.procs", roots[i]);
		if (access(probe, W_OK) < 0)
			continue;
		snprintf(dir_a, sizeof(dir_a), "%s/mw-audit-cg-%d-a", roots[i], (int)getpid());
		snprintf(dir_b, sizeof(dir_b), "%s/mw-audit-cg-%d-b", roots[i], (int)getpid());
		if (mkdir(dir_a, 0755) == 0 && mkdir(dir_b, 0755) == 0)
			return 0;
		err = -errno;
		rmdir(dir_a);
	}
	return err;
}

static int join(const char *dir, pid_t pid)
{
	char path[300], num[16];
	int fd, n, ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(num, sizeof(num), "%d", (int)pid);
	ok = write(fd, num, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -errno;
}

/* A child holding an executable memfd; 'r' when ready, 'F' when the memfd
 * cannot be made executable here (vm.memfd_noexec=2). */
static pid_t holder(int wr)
{
	pid_t pid = fork();

	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = mw_sys_memfd_create("mw-cgroup-attr", MFD_CLOEXEC);
		(void)!write(wr, fd >= 0 && fchmod(fd, 0755) == 0 ? "r" : "F", 1);
		for (;;)
			pause();
	}
	return pid;
}

static const char *cgroup_of(const struct mw_audit_report *r, pid_t pid)
{
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i]->pid == pid && r->findings[i]->kind == MW_AUDIT_EXEC_MEMFD)
			return r->findings[i]->cgroup;
	return NULL;
}

static void check(unsigned int flags, const char *how, const pid_t kids[3])
{
	struct mw_audit_opts o = { .sz = sizeof(o), .flags = flags | MW_AUDIT_F_NO_NS_PROBE };
	struct mw_audit_report *r = NULL;
	const char *name_a = strrchr(dir_a, '/'), *name_b = strrchr(dir_b, '/');
	int err = mw_audit_scan(&o, &r);

	REQUIRE(err == 0 && r, "mw_audit_scan (%s): %s", how, strerror(-err));
	for (int i = 0; i < 3; i++) {
		const char *cg = cgroup_of(r, kids[i]);
		const char *want = i == 1 ? name_b : name_a, *other = i == 1 ? name_a : name_b;

		CHECK(cg && strstr(cg, want) && !strstr(cg, other), "%s (%s): child %c (pid %d) in %s, finding says %s",
		      how, r->via_bpf ? "BPF iterators" : "/proc", "ABC"[i], (int)kids[i], want + 1,
		      cg ? cg : "(no finding)");
	}
	printf("note: %s: %s\n", how, r->via_bpf ? "BPF iterators" : "/proc");
	mw_audit_report_free(r);
}

int main(void)
{
	int p[2], err;
	pid_t kids[3];
	char c;

	if (getuid() != 0)
		live_skip("moving processes between cgroups needs root");
	err = make_cgroups();
	if (err)
		live_skip("cannot create a cgroup here: %s", strerror(-err));
	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	for (int i = 0; i < 3; i++) {
		kids[i] = holder(p[1]);
		REQUIRE(read(p[0], &c, 1) == 1, "child died");
		if (c != 'r') {
			for (int j = 0; j <= i; j++)
				kill(kids[j], SIGKILL);
			live_skip("no executable memfd here (vm.memfd_noexec=2)");
		}
	}
	err = join(dir_a, kids[0]);
	if (!err)
		err = join(dir_b, kids[1]);
	if (!err)
		err = join(dir_a, kids[2]);
	if (err) {
		for (int i = 0; i < 3; i++)
			kill(kids[i], SIGKILL);
		for (int i = 0; i < 3; i++)
			waitpid(kids[i], NULL, 0);
		rmdir(dir_a);
		rmdir(dir_b);
		live_skip("cannot move a process into a new cgroup: %s", strerror(-err));
	}
	check(MW_AUDIT_F_BPF, "--bpf", kids);
	check(MW_AUDIT_F_NO_BPF, "--no-bpf", kids);
	for (int i = 0; i < 3; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < 3; i++)
		waitpid(kids[i], NULL, 0);
	CHECK(rmdir(dir_a) == 0 && rmdir(dir_b) == 0, "rmdir: %s", strerror(errno));
	return live_done();
}
