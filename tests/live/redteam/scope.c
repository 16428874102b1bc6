/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * redteam-guard-scope: leaving the guard's reach instead of fooling it.
 *
 *   cgroup-escape-root        a root task of the --cgroup scope moves
 *                             itself to the root cgroup, then execs a memfd
 *   cgroup-escape-delegated   nobody, owner of a delegated subtree whose
 *                             child the guard scopes, moves itself to a
 *                             sibling cgroup of its own, then execs a memfd
 *   guard-fds-by-proc         root opens /proc/GUARD/fd/N (its BPF maps,
 *                             programs, links)
 *   guard-vm-rw               process_vm_readv/writev of the guard
 *   guard-nobody              nobody: kill(guard, 0), bpf() ids
 *   guard-sigpipe             the guard logging to a pipe nobody reads
 *   guard-log-full            the guard logging to a full filesystem
 *
 * usage: live-redteam-guard-scope MEMWARD
 */
#include "redteam/rt.h"

#include <sys/mount.h>
#include <sys/uio.h>

#define CG "/sys/fs/cgroup"
static int bypass;

static void verdict(const char *name, bool ran, const char *what)
{
	printf("%s %-28s on %s: %s%s\n", ran ? "BYPASS" : "ok    ", name, rt_kernel(), ran ? "" : "held, not: ",
	       what);
	fflush(stdout);
	if (ran)
		bypass++;
}

static int join(const char *cg)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	return rt_write_file(path, "0\n");
}

static int escape(const char *scope, const char *out, bool nobody)
{
	int r1, r2;

	if (join(scope) < 0)
		return 210;
	if (nobody && rt_drop_nobody() < 0)
		return 211;
	r1 = gt_child(a_execveat, NULL);
	if (join(out) < 0) {
		printf("  cannot move to %s: %s\n", out, strerror(errno));
		return 212;
	}
	r2 = gt_child(a_execveat, NULL);
	printf("  in scope: %d, after moving out: %d\n", r1, r2);
	fflush(stdout);
	return r1 == 100 + EPERM ? r2 : 213;
}

static int t_escape_root(void *x) { (void)x; return escape(CG "/rtg", CG, false); }
static int t_escape_deleg(void *x) { (void)x; return escape(CG "/rtd/a", CG "/rtd/b", true); }

static void setup_cgroups(void)
{
	const char *own[] = { CG "/rtd", CG "/rtd/cgroup.procs", CG "/rtd/a/cgroup.procs", CG "/rtd/b/cgroup.procs" };

	mkdir(CG "/rtg", 0755);
	mkdir(CG "/rtd", 0755);
	mkdir(CG "/rtd/a", 0755);
	mkdir(CG "/rtd/b", 0755);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		CHECK(chown(own[i], 65534, 65534) == 0, "chown %s: %s", own[i], strerror(errno));
}

static void guard_fds(pid_t g)
{
	char dir[64], path[400], link[128];
	int got = 0, tried = 0;
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)g);
	d = opendir(dir);
	if (!d) {
		printf("  opendir %s: %s\n", dir, strerror(errno));
		verdict("guard-fds-by-proc", false, "cannot even list the guard's fds");
		return;
	}
	while ((e = readdir(d))) {
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strstr(link, "bpf"))
			continue;
		tried++;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			struct bpf_prog_info info = { 0 };
			__u32 len = sizeof(info);

			if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
				got++;
			printf("  opened %s (%s)\n", path, link);
			close(fd);
		} else {
			printf("  open %s (%s): %s\n", path, link, strerror(errno));
		}
	}
	closedir(d);
	verdict("guard-fds-by-proc", got > 0, got ? "a BPF object fd of the guard, through /proc/PID/fd" :
		tried ? "every BPF fd of the guard refused" : "no BPF fd visible");
}

static void guard_vm(pid_t g)
{
	char buf[16] = "", src[16] = "x";
	struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x400000, sizeof(buf) };
	struct iovec ls = { src, 1 };
	ssize_t rd = process_vm_readv(g, &l, 1, &r, 1, 0);
	int erd = errno;
	ssize_t wr = process_vm_writev(g, &ls, 1, &r, 1, 0);
	int ewr = errno;

	printf("  process_vm_readv: %s, process_vm_writev: %s\n", rd >= 0 ? "ok" : strerror(erd),
	       wr >= 0 ? "ok" : strerror(ewr));
	/* EFAULT means the permission check passed and only the address was bad. */
	verdict("guard-vm-rw", rd >= 0 || wr >= 0 || erd == EFAULT || ewr == EFAULT,
		"process_vm_readv/writev of the guard");
}

static int nobody_tamper(void *x)
{
	pid_t g = (pid_t)(intptr_t)x;
	__u32 id = 0;
	int k, b;

	if (rt_drop_nobody() < 0)
		return 200;
	k = kill(g, 0);
	b = bpf_prog_get_next_id(0, &id);
	printf("  nobody: kill(guard, 0) %s; BPF_PROG_GET_NEXT_ID %s\n", k ? strerror(errno) : "ok",
	       b ? strerror(errno) : "ok");
	fflush(stdout);
	return k == 0 ? GT_OK : 0;
}

/* The guard with its events to fd `out` (no --log) or to `log`. */
static pid_t raw_start(const char *memward, const char *policy, const char *log, int out)
{
	static char line[4096];
	size_t len = 0;
	int p[2];
	pid_t pid;

	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		if (out >= 0)
			dup2(out, 1);
		signal(SIGPIPE, SIG_DFL);
		if (log)
			execl(memward, memward, "guard", "--policy", policy, "--log", log, (char *)NULL);
		else
			execl(memward, memward, "guard", "--policy", policy, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (ssize_t n; len < sizeof(line) - 1 && (n = read(p[0], line + len, sizeof(line) - 1 - len)) > 0;) {
		len += (size_t)n;
		line[len] = '\0';
		if (strstr(line, "guard active"))
			break;
	}
	REQUIRE(strstr(line, "guard active"), "guard did not start: %s", line);
	/* keep p[0] open: the guard writes to stderr when it exits */
	return pid;
}

static void guard_sink(const char *memward, const char *policy, const char *name, const char *log, int out,
		       int closeme)
{
	pid_t g = raw_start(memward, policy, log, out);
	int r1, r2, st = 0;
	bool dead;

	if (closeme >= 0)
		close(closeme);
	for (int i = 0; i < 50; i++)
		r1 = gt_child(a_execveat, NULL);
	usleep(500000);
	dead = waitpid(g, &st, WNOHANG) == g;
	r2 = gt_child(a_execveat, NULL);
	printf("  %s: refusals %d, guard %s (status 0x%x), exec afterwards %d\n", name, r1,
	       dead ? "DEAD" : "alive", st, r2);
	verdict(name, dead || r2 == GT_OK, "the guard died when its event sink failed: machine unprotected");
	if (!dead) {
		kill(g, SIGTERM);
		live_wait(g);
	}
}

int main(int argc, char **argv)
{
	static const struct rt_attack esc[] = {
		{ "cgroup-escape-root", t_escape_root, false, "--cgroup: tasks in the subtree are guarded" },
		{ "cgroup-escape-delegated(nobody)", t_escape_deleg, false, "--cgroup: tasks in the subtree are guarded" },
	};
	struct gt_guard g;
	char policy[512];
	int before[4] = { GT_OK, -1, GT_OK, -1 }, r, p[2];

	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	rt_memward = argv[1];
	gt_require_lsm();
	if (!getenv("MW_IN_VM"))
		live_skip("creates cgroups under " CG " and mounts a tmpfs: kernel matrix guests only (MW_IN_VM)");
	printf("kernel %s\n", rt_kernel());
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", rt_memward);
	setup_cgroups();

	gt_start(&g, rt_memward, policy, CG "/rtg");
	bypass += rt_run_guarded(&esc[0], 1, before);
	CHECK(gt_stop(&g) == 0, "guard exit");
	gt_start(&g, rt_memward, policy, CG "/rtd/a");
	bypass += rt_run_guarded(&esc[1], 1, before + 2);
	CHECK(gt_stop(&g) == 0, "guard exit");

	gt_start(&g, rt_memward, policy, NULL);
	guard_fds(g.pid);
	guard_vm(g.pid);
	r = gt_child(nobody_tamper, (void *)(intptr_t)g.pid);
	verdict("guard-nobody", r == GT_OK, "nobody can signal the guard");
	CHECK(gt_stop(&g) == 0, "guard exit");

	/* Event sinks that fail. */
	rt_write_file(g.policy, "");
	{
		int fd = open(g.policy, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);

		REQUIRE(fd >= 0 && write(fd, policy, strlen(policy)) > 0, "policy");
		close(fd);
	}
	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe");
	guard_sink(rt_memward, g.policy, "guard-sigpipe", NULL, p[1], p[0]);
	close(p[1]);
	mkdir("/tmp/rtfull", 0755);
	if (mount("tmpfs", "/tmp/rtfull", "tmpfs", 0, "size=64k") == 0) {
		int fd = open("/tmp/rtfull/log", O_WRONLY | O_CREAT | O_CLOEXEC, 0644), f2;
		char blk[4096] = { 0 };

		close(fd);
		f2 = open("/tmp/rtfull/fill", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		while (write(f2, blk, sizeof(blk)) > 0)
			;
		close(f2);
		guard_sink(rt_memward, g.policy, "guard-log-full", "/tmp/rtfull/log", -1, -1);
		umount2("/tmp/rtfull", MNT_DETACH);
	}
	unlink(g.policy);
	printf("%d bypass(es) on %s\n", bypass, rt_kernel());
	CHECK(bypass == 0, "%d attack(s) worked", bypass);
	return live_done();
}
