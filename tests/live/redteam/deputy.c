/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * redteam-guard-deputy: an UNLISTED program gets its own payload, sealed in
 * a memfd, executed by a LISTED program. memward-guard(8) lists programs by
 * the device and inode of the file executed; it says nothing about who
 * controls the listed process or the listed file afterwards.
 *
 *   ptrace-listed      PTRACE_TRACEME, exec the listed program, then at the
 *                      exec stop make it call execveat(payload memfd)
 *   exec-sealed-deputy `memward exec-sealed /proc/self/fd/N` when memward
 *                      itself is listed (as the guard's own tests list it)
 *   listed-rewritten   root rewrites the listed file in place (same inode)
 *   handed-sealed      a listed program hands a sealed memfd to an unlisted
 *                      one, which execs it (must be refused)
 *
 * usage: live-redteam-guard-deputy MEMWARD
 */
#include "redteam/rt.h"

#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#define LISTED "/tmp/rt-listed"
#define LISTED2 "/tmp/rt-listed2"
#define PFD 10

static char self[400];

static void copy_listed(const char *dst)
{
	unlink(dst);
	live_copy_file(self, dst);
	REQUIRE(chmod(dst, 0755) == 0, "chmod %s: %s", dst, strerror(errno));
}

/* The attacker's payload, fully sealed, at fd `at`, inherited by exec. */
static int sealed_payload_at(int at)
{
	int fd = gt_payload(0, GT_OK, gt_all_seals());

	if (fd < 0 || (fd != at && dup2(fd, at) < 0))
		return -1;
	if (fd != at)
		close(fd);
	return at;
}

static int d_ptrace_listed(void *x)
{
	struct user_regs_struct regs;
	int st;
	pid_t pid;
	long argc;

	(void)x;
	if (sealed_payload_at(PFD) < 0)
		return gt_err() + 100;
	pid = fork();
	if (pid == 0) {
		char *args[] = { "rt-listed", "--idle", NULL };

		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		execv(LISTED, args);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st)) /* SIGTRAP after exec */
		return 201;
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL);
	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
		return 202;
	argc = ptrace(PTRACE_PEEKDATA, pid, (void *)regs.rsp, NULL);
	/* A `syscall` instruction at the entry point; the NULL that ends argv
	 * is an empty string and an empty argv. */
	long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)regs.rip, NULL);
	word = (word & ~0xffffL) | 0x050f;
	if (ptrace(PTRACE_POKETEXT, pid, (void *)regs.rip, (void *)word) < 0)
		return 203;
	regs.orig_rax = (unsigned long long)-1;
	regs.rax = SYS_execveat;
	regs.rdi = PFD;
	regs.rsi = regs.rsp + 8 + 8 * (unsigned long long)argc;
	regs.rdx = regs.rsi;
	regs.r10 = 0;
	regs.r8 = AT_EMPTY_PATH;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0)
		return 204;
	/* syscall-entry stop, syscall-exit stop: rax is the result. */
	ptrace(PTRACE_SYSCALL, pid, NULL, NULL);
	waitpid(pid, &st, 0);
	ptrace(PTRACE_SYSCALL, pid, NULL, NULL);
	waitpid(pid, &st, 0);
	if (!WIFSTOPPED(st) || ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
		return 205;
	if ((long long)regs.rax < 0) {
		kill(pid, SIGKILL);
		live_wait(pid);
		return 100 + (int)(-(long long)regs.rax & 0x7f);
	}
	/* The exec happened: let the payload run without the tracer. */
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	waitpid(pid, &st, 0);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return live_wait(pid);
}

static int d_exec_sealed_deputy(void *x)
{
	int fd = gt_exec_memfd();
	char path[32];

	if (fd < 0 || (fd != PFD && dup2(fd, PFD) < 0))
		return gt_err() + 100;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", PFD);
	execl((const char *)x, "memward", "exec-sealed", path, (char *)NULL);
	return gt_err() + 100;
}

/* execveat(3, "", NULL, NULL, AT_EMPTY_PATH); exit(100 + errno) */
static const unsigned char exec_fd3[] = {
	0xbf, 3, 0, 0, 0,                         /* mov edi, 3 */
	0x48, 0x8d, 0x35, 30, 0, 0, 0,            /* lea rsi, [rip+30] (zero) */
	0x31, 0xd2,                               /* xor edx, edx */
	0x45, 0x31, 0xd2,                         /* xor r10d, r10d */
	0x41, 0xb8, 0x00, 0x10, 0, 0,             /* mov r8d, AT_EMPTY_PATH */
	0xb8, 0x42, 0x01, 0, 0,                   /* mov eax, 322 (execveat) */
	0x0f, 0x05,                               /* syscall */
	0xf7, 0xd8,                               /* neg eax */
	0x8d, 0x78, 0x64,                         /* lea edi, [rax+100] */
	0xb8, 0xe7, 0, 0, 0,                      /* mov eax, 231 */
	0x0f, 0x05,                               /* syscall */
	0, 0, 0, 0,                               /* zero */
};

/* Needs root only because the listed file belongs to root here; whoever
 * may write the listed file (its owner, a package upgrade in place) can. */
static int d_listed_rewritten(void *x)
{
	unsigned char elf[512];
	size_t n = rt_elf_code(elf, exec_fd3, sizeof(exec_fd3));
	char *args[] = { "rt-listed2", NULL };
	int w;

	(void)x;
	w = open(LISTED2, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (w < 0 || write(w, elf, n) != (ssize_t)n)
		return gt_err() + 100;
	close(w);
	if (sealed_payload_at(3) < 0)
		return gt_err() + 100;
	execv(LISTED2, args);
	return gt_err() + 100;
}

/* The listed side: a sealed memfd at PFD, then exec this (unlisted) file. */
static int d_handed_sealed(void *x)
{
	(void)x;
	execv(LISTED, (char *[]){ "rt-listed", "--hand", self, NULL });
	return gt_err() + 100;
}

/* ---- listed by (dev, ino): the inode number outlives the file ----------
 * A small ext4-driver (ext2 layout) filesystem on a zram device; the listed
 * program lives in its bin/, a world-writable tmp/ beside it. The listed
 * file is replaced the way dpkg does it (new file, rename over the old
 * one): the old inode is freed, and the next file nobody creates in tmp/
 * gets its number. Same device, same inode: listed. */
#define EXT "/tmp/rtext"
static ino_t old_ino;

static bool ext_setup(void)
{
	char num[16] = "", path[96], cmd[128];
	int fd = open("/sys/class/zram-control/hot_add", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || (n = read(fd, num, sizeof(num) - 1)) <= 0) {
		printf("  no zram hot_add: %s\n", strerror(errno));
		return false;
	}
	close(fd);
	num[strcspn(num, "\n")] = '\0';
	/* The algorithm zram0 uses is one this kernel has (init loaded it). */
	fd = open("/sys/block/zram0/comp_algorithm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char alg[128] = "", *b, *e;

		if (read(fd, alg, sizeof(alg) - 1) > 0 && (b = strchr(alg, '[')) && (e = strchr(b, ']'))) {
			*e = '\0';
			snprintf(path, sizeof(path), "/sys/block/zram%s/comp_algorithm", num);
			rt_write_file(path, b + 1);
		}
		close(fd);
	}
	snprintf(path, sizeof(path), "/sys/block/zram%s/disksize", num);
	snprintf(cmd, sizeof(cmd), "mke2fs -q -b 4096 /dev/zram%s >/dev/null", num);
	if (rt_write_file(path, "4M\n") < 0 || system(cmd) != 0) {
		printf("  zram%s + mke2fs failed\n", num);
		return false;
	}
	snprintf(path, sizeof(path), "/dev/zram%s", num);
	mkdir(EXT, 0755);
	if (mount(path, EXT, "ext2", 0, NULL) < 0 && mount(path, EXT, "ext4", 0, NULL) < 0) {
		printf("  mount %s: %s\n", path, strerror(errno));
		fflush(stdout);
		if (system("dmesg | tail -n 3") != 0)
			printf("  (no dmesg)\n");
		return false;
	}
	mkdir(EXT "/bin", 0755);
	mkdir(EXT "/tmp", 0777);
	chmod(EXT "/tmp", 01777);
	copy_listed(EXT "/bin/tool");
	return true;
}

/* nobody: files in tmp/ until one has `want` as inode number (0: any
 * other); it becomes a program that execs the sealed memfd at fd 3. */
static int reuse_ino(void *x)
{
	unsigned char elf[512];
	size_t n = rt_elf_code(elf, exec_fd3, sizeof(exec_fd3));
	ino_t want = (ino_t)(uintptr_t)x;
	char path[64];

	if (rt_drop_nobody() < 0)
		return 200;
	for (int i = 0; i < 300; i++) {
		struct stat st;
		int w;

		snprintf(path, sizeof(path), EXT "/tmp/f%d-%d", (int)getpid(), i);
		w = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
		if (w < 0 || fstat(w, &st) < 0)
			return gt_err() + 100;
		if (want ? st.st_ino != want : st.st_ino == old_ino) {
			close(w);
			continue;
		}
		printf("  nobody's %s has inode %lu (listed file had %lu)\n", path, (unsigned long)st.st_ino,
		       (unsigned long)old_ino);
		if (write(w, elf, n) != (ssize_t)n)
			return gt_err() + 100;
		close(w);
		if (sealed_payload_at(3) < 0)
			return gt_err() + 100;
		fflush(stdout);
		execv(path, (char *[]){ "rt-reused", NULL });
		return gt_err() + 100;
	}
	printf("  inode %lu not handed out again in 300 files\n", (unsigned long)want);
	return GT_NA;
}

static int inode_reuse(const char *memward)
{
	struct gt_guard g;
	struct stat st;
	char policy[512];
	int r0, r;

	if (!getenv("MW_IN_VM")) {
		printf("  adds a zram device and mounts it: kernel matrix guests only (MW_IN_VM)\n");
		return GT_NA;
	}
	if (!ext_setup())
		return GT_NA;
	REQUIRE(stat(EXT "/bin/tool", &st) == 0, "stat");
	old_ino = st.st_ino;
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", EXT "/bin/tool");
	gt_start(&g, memward, policy, NULL);
	r0 = gt_child(reuse_ino, (void *)0);
	printf("  control (a file with another inode): %d\n", r0);
	/* The upgrade: new file, renamed over the listed one. */
	copy_listed(EXT "/bin/tool.new");
	REQUIRE(rename(EXT "/bin/tool.new", EXT "/bin/tool") == 0, "rename: %s", strerror(errno));
	r = gt_child(reuse_ino, (void *)(uintptr_t)old_ino);
	gt_stop(&g);
	unlink(g.log);
	umount2(EXT, MNT_DETACH);
	return r0 == 100 + EPERM ? r : 300 + r0;
}

static const struct rt_attack attacks[] = {
	{ "ptrace-listed", d_ptrace_listed, true, "exec of a memfd by a listed program only" },
	{ "exec-sealed-deputy", d_exec_sealed_deputy, true, "exec of a memfd by a listed program only" },
	{ "handed-sealed", d_handed_sealed, true, "exec of a memfd by a listed program only" },
	{ "listed-rewritten", d_listed_rewritten, false, "the allow list cannot be rewritten (self-protection)" },
};
#define N (sizeof(attacks) / sizeof(attacks[0]))


int main(int argc, char **argv)
{
	static int before[2 * N];
	struct gt_guard g;
	char policy[1024];
	ssize_t n;
	int bypass;

	if (argc >= 2 && !strcmp(argv[1], "--idle"))
		return 3;
	if (argc == 3 && !strcmp(argv[1], "--hand")) {
		/* Listed (exec'ed as LISTED): hand a sealed payload on. */
		if (sealed_payload_at(PFD) < 0)
			return 150;
		execv(argv[2], (char *[]){ "rt-unlisted", "--exec-fd", NULL });
		return 151;
	}
	if (argc == 2 && !strcmp(argv[1], "--exec-fd")) {
		syscall(SYS_execveat, PFD, "", gt_argv, gt_envp, AT_EMPTY_PATH);
		return gt_err();
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	rt_memward = argv[1];
	gt_require_lsm();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	REQUIRE(chmod(self, 0755) == 0 || errno == EPERM, "chmod self");
	copy_listed(LISTED);
	copy_listed(LISTED2);
	/* memward-run(1) advises kernel.yama.ptrace_scope 1 or more: run with 1
	 * (PTRACE_TRACEME of a child stays allowed there). */
	if (getenv("MW_IN_VM") && rt_write_file("/proc/sys/kernel/yama/ptrace_scope", "1\n") == 0)
		printf("kernel.yama.ptrace_scope=1\n");
	printf("kernel %s\n", rt_kernel());
	rt_run_before(attacks, N, before);
	/* exec-sealed refuses a memfd as its source, guard or not (exit 126):
	 * its row is then n/a under the guard, so it is checked here. */
	CHECK(before[2] == 126 && before[3] == 126,
	      "memward exec-sealed /proc/self/fd/N of a memfd gave %d (root), %d (nobody), not 126", before[2],
	      before[3]);
	copy_listed(LISTED2);
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\nallow-exec-memfd %s\n"
		 "allow-exec-memfd %s\n", LISTED, LISTED2, rt_memward);
	gt_start(&g, rt_memward, policy, NULL);
	bypass = rt_run_guarded(attacks, N, before);
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0 after SIGTERM");
	unlink(g.log);
	{
		int r = inode_reuse(rt_memward);

		if (r == GT_OK) {
			printf("BYPASS listed-inode-reused              nobody on %s: a file of nobody got the freed "
			       "inode number of the replaced listed file and ran a sealed memfd\n", rt_kernel());
			bypass++;
		} else {
			printf("%s   listed-inode-reused              nobody: %d\n", r == GT_NA ? "n/a" : "ok ", r);
		}
	}
	printf("%d bypass(es) on %s\n", bypass, rt_kernel());
	CHECK(bypass == 0, "%d attack(s) ran under the guard", bypass);
	unlink(LISTED);
	unlink(LISTED2);
	unlink(g.log);
	return live_done();
}
