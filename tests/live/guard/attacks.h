/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every way the red team ran code from memory, one function each.
 * Each runs in a child (gt_child) and returns GT_OK (42) when the payload ran
 * or the executable mapping was made, 100+errno when the kernel refused, or
 * 77 when this kernel lacks what the attack needs (said on stdout).
 */
#ifndef MW_GT_ATTACKS_H
#define MW_GT_ATTACKS_H

#include "gt.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/xattr.h>

#define GT_NA 77

static char *gt_argv[] = { "gt-payload", NULL };
static char *gt_envp[] = { NULL };

static inline int gt_err(void) { return 100 + (errno & 0x7f); }

/* An exec-mode memfd the kernel itself would run (MFD_EXEC on 6.3+). */
static inline int gt_exec_memfd(void)
{
	int fd = gt_payload(MFD_EXEC, GT_OK, 0);

	return fd >= 0 ? fd : gt_payload(0, GT_OK, 0);
}

__attribute__((unused)) static int a_fexecve(void *x)
{
	int fd = gt_exec_memfd();

	(void)x;
	fexecve(fd, gt_argv, gt_envp);
	return gt_err();
}

__attribute__((unused)) static int a_execveat(void *x)
{
	int fd = gt_exec_memfd();

	(void)x;
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

__attribute__((unused)) static int exec_fmt(const char *fmt, long a, long b)
{
	char path[128];

	snprintf(path, sizeof(path), fmt, a, b);
	execve(path, gt_argv, gt_envp);
	return gt_err();
}

__attribute__((unused)) static int a_proc_self_fd(void *x) { (void)x; return exec_fmt("/proc/self/fd/%ld", gt_exec_memfd(), 0); }
__attribute__((unused)) static int a_thread_self_fd(void *x) { (void)x; return exec_fmt("/proc/thread-self/fd/%ld", gt_exec_memfd(), 0); }

__attribute__((unused)) static int a_dev_fd(void *x)
{
	struct stat st;

	(void)x;
	/* The guests' devtmpfs has no /dev/fd; make the usual link there. */
	if (lstat("/dev/fd", &st) < 0 && (!getenv("MW_IN_VM") || symlink("/proc/self/fd", "/dev/fd") < 0)) {
		printf("  /dev/fd missing\n");
		return GT_NA;
	}
	return exec_fmt("/dev/fd/%ld", gt_exec_memfd(), 0);
}

__attribute__((unused)) static int a_symlink(void *x)
{
	char link[64], target[64];
	int fd = gt_exec_memfd();

	(void)x;
	snprintf(link, sizeof(link), "/tmp/gt-link-%d", (int)getpid());
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	unlink(link);
	if (symlink(target, link) < 0)
		return gt_err();
	execve(link, gt_argv, gt_envp);
	int r = gt_err();
	unlink(link);
	return r;
}

__attribute__((unused)) static int a_dirfd(void *x)
{
	char name[16];
	int fd = gt_exec_memfd(), dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	(void)x;
	snprintf(name, sizeof(name), "%d", fd);
	syscall(SYS_execveat, dfd, name, gt_argv, gt_envp, 0);
	return gt_err();
}

__attribute__((unused)) static int exec_map_files(void *p, size_t len)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)p, (unsigned long)p + len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gt_err() + 100; /* 2xx: could not even open it */
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

__attribute__((unused)) static int a_map_files(void *x)
{
	int fd = gt_exec_memfd();
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

	(void)x;
	close(fd);
	return p == MAP_FAILED ? gt_err() : exec_map_files(p, 4096);
}

__attribute__((unused)) static int a_script(void *x)
{
	static const char s[] = "#!/bin/sh\nexit 42\n";
	int fd;

	(void)x;
	if (access("/bin/sh", X_OK) < 0) {
		printf("  no /bin/sh\n");
		return GT_NA;
	}
	fd = gt_memfd("gt-script", MFD_EXEC, s, sizeof(s) - 1);
	if (fd < 0)
		fd = gt_memfd("gt-script", 0, s, sizeof(s) - 1);
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

/* A script on disk whose #! interpreter is a memfd: the second round. */
__attribute__((unused)) static int a_script_interp(void *x)
{
	char path[64], text[64];
	int fd = gt_exec_memfd(), sfd;

	(void)x;
	snprintf(path, sizeof(path), "/tmp/gt-interp-%d", (int)getpid());
	snprintf(text, sizeof(text), "#!/proc/self/fd/%d\n", fd);
	sfd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (sfd < 0 || write(sfd, text, strlen(text)) != (ssize_t)strlen(text))
		return gt_err() + 100;
	close(sfd);
	execve(path, gt_argv, gt_envp);
	int r = gt_err();
	unlink(path);
	return r;
}

/* A: what ld.so and dlopen do with a memfd: map it executable. */
__attribute__((unused)) static int a_mmap_noexec_seal(void *x)
{
	int fd = gt_payload(MFD_NOEXEC_SEAL, GT_OK, 0);
	void *p;

	(void)x;
	if (fd < 0)
		fd = gt_payload(0, GT_OK, 0); /* 6.1: no MFD_NOEXEC_SEAL */
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	return p == MAP_FAILED ? gt_err() : GT_OK;
}

__attribute__((unused)) static int a_mprotect(void *x)
{
	int fd = gt_payload(0, GT_OK, 0);
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

	(void)x;
	if (p == MAP_FAILED)
		return gt_err() + 100;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0 ? gt_err() : GT_OK;
}

/* Run the code of an executable mapping: the payload's instructions. */
__attribute__((unused)) static int a_mmap_run(void *x)
{
	int fd = gt_payload(0, GT_OK, 0);
	unsigned char *p;

	(void)x;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return gt_err();
	((void (*)(void))(p + sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr)))();
	return 1; /* not reached: the code exits 42 */
}

/* C: shared anonymous memory reopened through map_files. */
__attribute__((unused)) static int a_shared_anon(void *x)
{
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	(void)x;
	if (p == MAP_FAILED)
		return gt_err() + 100;
	gt_elf(p, GT_OK);
	return exec_map_files(p, 4096);
}

__attribute__((unused)) static int a_shared_anon_mprotect(void *x)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	(void)x;
	if (p == MAP_FAILED)
		return gt_err() + 100;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0 ? gt_err() : GT_OK;
}

__attribute__((unused)) static int a_sysv(void *x)
{
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0700);
	unsigned char *p;
	int r;

	(void)x;
	if (id < 0) {
		printf("  shmget: %s\n", strerror(errno));
		return GT_NA;
	}
	p = shmat(id, NULL, 0);
	shmctl(id, IPC_RMID, NULL);
	if (p == (void *)-1)
		return gt_err() + 100;
	gt_elf(p, GT_OK);
	r = exec_map_files(p, 4096);
	return r;
}

__attribute__((unused)) static int a_unlinked(void *x)
{
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	char path[64];
	int w, fd;

	(void)x;
	snprintf(path, sizeof(path), "/tmp/gt-unlinked-%d", (int)getpid());
	w = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (w < 0 || write(w, elf, n) != (ssize_t)n)
		return gt_err() + 100;
	close(w);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

/* B: a hugetlbfs memfd ignores F_SEAL_EXEC; chmod must not add exec bits. */
__attribute__((unused)) static int a_hugetlb_chmod(void *x)
{
	int fd = (int)syscall(SYS_memfd_create, "gt-huge", MFD_HUGETLB | MFD_NOEXEC_SEAL);

	(void)x;
	if (fd < 0)
		fd = (int)syscall(SYS_memfd_create, "gt-huge", MFD_HUGETLB);
	if (fd < 0) {
		printf("  memfd_create(MFD_HUGETLB): %s\n", strerror(errno));
		return GT_NA;
	}
	if (fchmod(fd, 0644) < 0)
		return gt_err() + 100;
	return fchmod(fd, 0755) < 0 ? gt_err() : GT_OK;
}

/* B: a hugetlbfs memfd executed (the guests reserve two huge pages for it:
 * MW_IN_VM only; elsewhere it needs pages already reserved). */
__attribute__((unused)) static int hugetlb_exec(bool sealed)
{
	const size_t huge = 2u << 20;
	unsigned char *p;
	char nr[16] = "";
	int fd, sfd = open("/proc/sys/vm/nr_hugepages", O_RDWR | O_CLOEXEC);

	if (sfd >= 0 && read(sfd, nr, sizeof(nr) - 1) > 0 && atoi(nr) < 2 && getenv("MW_IN_VM"))
		(void)!pwrite(sfd, "2\n", 2, 0);
	if (sfd >= 0)
		close(sfd);
	fd = (int)syscall(SYS_memfd_create, "gt-huge-exec", MFD_HUGETLB | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)huge) < 0) {
		printf("  hugetlb memfd of 2 MiB: %s\n", strerror(errno));
		return GT_NA;
	}
	p = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		printf("  no huge page to map: %s\n", strerror(errno));
		return GT_NA;
	}
	gt_elf(p, GT_OK);
	/* The kernel's ELF loader maps hugetlbfs only in whole, aligned huge
	 * pages: one segment of the whole file. */
	((Elf64_Phdr *)(p + sizeof(Elf64_Ehdr)))->p_filesz = huge;
	((Elf64_Phdr *)(p + sizeof(Elf64_Ehdr)))->p_memsz = huge;
	((Elf64_Phdr *)(p + sizeof(Elf64_Ehdr)))->p_align = huge;
	munmap(p, huge);
	/* Every seal hugetlbfs takes: F_SEAL_EXEC is accepted and ignored. */
	if (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return gt_err() + 100;
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

__attribute__((unused)) static int a_hugetlb_exec(void *x) { (void)x; return hugetlb_exec(false); }
__attribute__((unused)) static int a_hugetlb_exec_sealed(void *x) { (void)x; return hugetlb_exec(true); }

/* The kernel bug: an ACL rewrites a tmpfs memfd's mode past F_SEAL_EXEC. */
__attribute__((unused)) static int a_acl(void *x)
{
	/* system.posix_acl_access v2: user::rwx group::r-x other::r-x */
	static const uint32_t acl[] = { 2, 0x01 | 7 << 16, 0xffffffff, 0x04 | 5 << 16, 0xffffffff,
					0x20 | 5 << 16, 0xffffffff };
	int fd = gt_payload(MFD_NOEXEC_SEAL, GT_OK, 0);

	(void)x;
	if (fd < 0)
		fd = gt_payload(0, GT_OK, 0);
	if (fsetxattr(fd, "system.posix_acl_access", acl, sizeof(acl), 0) < 0)
		return gt_err();
	return GT_OK;
}

/* E: an unlisted program forging the executable the kernel shows. The
 * kernel refuses PR_SET_MM_EXE_FILE while the old executable is mapped
 * (EBUSY), so, as the red team did, the forger runs from an anonymous copy
 * of a few instructions that unmap every mapping of its executable, then
 * call prctl, then exit with 42 (forged) or 100+errno. */
static size_t put_imm(unsigned char *c, size_t n, const void *v, size_t len)
{
	memcpy(c + n, v, len);
	return n + len;
}

__attribute__((unused)) static int a_prctl_exe(void *x)
{
	static const unsigned char tail[] = {
		0x45, 0x31, 0xd2, 0x45, 0x31, 0xc0,       /* xor r10d,r10d; xor r8d,r8d */
		0xb8, 0x9d, 0, 0, 0, 0x0f, 0x05,          /* mov eax,157 (prctl); syscall */
		0x85, 0xc0, 0x75, 0x07,                   /* test eax,eax; jnz L */
		0xbf, 42, 0, 0, 0, 0xeb, 0x05,            /* mov edi,42; jmp E */
		0xf7, 0xd8, 0x8d, 0x78, 0x64,             /* L: neg eax; lea edi,[rax+100] */
		0xb8, 0xe7, 0, 0, 0, 0x0f, 0x05,          /* E: mov eax,231 (exit_group); syscall */
	};
	char exe[256], line[512];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int fd = open((const char *)x, O_RDONLY | O_CLOEXEC);
	unsigned char *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	FILE *maps = fopen("/proc/self/maps", "re");
	size_t n = 0;
	uint32_t v;

	if (fd < 0 || len <= 0 || c == MAP_FAILED || !maps)
		return gt_err() + 100;
	exe[len] = '\0';
	while (fgets(line, sizeof(line), maps) && n < 4000 - sizeof(tail) - 64) {
		unsigned long lo, hi;
		char *path = strchr(line, '/');

		if (!path || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, exe))
			continue;
		unsigned long size = hi - lo;
		c[n++] = 0x48; c[n++] = 0xbf; n = put_imm(c, n, &lo, 8);   /* mov rdi, lo */
		c[n++] = 0x48; c[n++] = 0xbe; n = put_imm(c, n, &size, 8); /* mov rsi, size */
		c[n++] = 0xb8; v = 11; n = put_imm(c, n, &v, 4);           /* mov eax, 11 (munmap) */
		c[n++] = 0x0f; c[n++] = 0x05;                              /* syscall */
	}
	fclose(maps);
	c[n++] = 0xbf; v = PR_SET_MM; n = put_imm(c, n, &v, 4);
	c[n++] = 0xbe; v = PR_SET_MM_EXE_FILE; n = put_imm(c, n, &v, 4);
	c[n++] = 0xba; v = (uint32_t)fd; n = put_imm(c, n, &v, 4);
	memcpy(c + n, tail, sizeof(tail));
	fflush(stdout);
	((void (*)(void))c)();
	return 1; /* not reached */
}

/* H: memfd_create and execveat through the i386 entry (int $0x80). */
static char gt32_empty[1];
static uint32_t gt32_argv[2], gt32_envp[1];
static char gt32_name[] = "gt-i386";

__attribute__((unused)) static long int80(long nr, long a, long b, long c, long d, long e)
{
	long r;

	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
}

__attribute__((unused)) static int a_i386(void *x)
{
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	long fd, r;

	(void)x;
	if ((uintptr_t)gt32_name > 0xffffffffu) {
		printf("  binary not below 4 GiB (PIE): no i386 pointers\n");
		return GT_NA;
	}
	r = int80(20 /* getpid */, 0, 0, 0, 0, 0);
	if (r != getpid()) {
		printf("  no IA32 emulation (int $0x80 getpid: %ld)\n", r);
		return GT_NA;
	}
	gt32_argv[0] = (uint32_t)(uintptr_t)gt32_name;
	fd = int80(356 /* memfd_create */, (long)(uintptr_t)gt32_name, 0, 0, 0, 0);
	if (fd < 0)
		return 100 + (int)(-fd & 0x7f) + 100;
	if (write((int)fd, elf, n) != (ssize_t)n)
		return gt_err() + 100;
	r = int80(358 /* execveat */, fd, (long)(uintptr_t)gt32_empty, (long)(uintptr_t)gt32_argv,
		  (long)(uintptr_t)gt32_envp, AT_EMPTY_PATH);
	return 100 + (int)(-r & 0x7f);
}

#endif
