/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * redteam-guard-objects: memory objects memward-guard(8) says an unlisted
 * program can neither execute nor map executable (memfd, shmem, internal,
 * unlinked), reached by ways the guard's own tests do not try: mmap flags
 * that create the file inside the kernel, personality(READ_IMPLIES_EXEC),
 * SysV SHM_EXEC, io_uring, aio and udmabuf, a tmpfs that has no name
 * anywhere (fsmount), O_TMPFILE, O_PATH, #! chains, bind mounts.
 *
 * usage: live-redteam-guard-objects MEMWARD
 */
#include "redteam/rt.h"

#include <linux/io_uring.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

#define HDR (sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr))

/* 1. MAP_SHARED|MAP_ANONYMOUS with PROT_EXEC: the shmem file is made by
 * mmap itself (shmem_zero_setup), after security_mmap_file saw no file. */
static int o_shared_anon_exec(void *x)
{
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	(void)x;
	if (p == MAP_FAILED)
		return gt_err();
	rt_code_exit(p, GT_OK);
	return rt_jump(p);
}

/* 1b. The same through /dev/zero: mmap_zero() swaps in a shmem file. */
static int o_dev_zero_shared_exec(void *x)
{
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	unsigned char *p;

	(void)x;
	if (fd < 0)
		return gt_err() + 100;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return gt_err();
	rt_code_exit(p, GT_OK);
	return rt_jump(p);
}

/* 2. The same with MAP_HUGETLB (hugetlb_file_setup before the hook). */
static int o_shared_anon_huge_exec(void *x)
{
	const size_t huge = 2u << 20;
	unsigned char *p;

	(void)x;
	if (getuid() == 0 && getenv("MW_IN_VM"))
		rt_write_file("/proc/sys/vm/nr_hugepages", "4\n");
	p = mmap(NULL, huge, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		return errno == ENOMEM ? GT_NA : gt_err();
	rt_code_exit(p, GT_OK);
	return rt_jump(p);
}

/* 3. SysV shmat(SHM_EXEC): do_shmat maps the segment's file itself. */
static int sysv_exec(bool huge)
{
	size_t len = huge ? 2u << 20 : 4096;
	int id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0700 | (huge ? SHM_HUGETLB : 0));
	unsigned char *p;

	if (id < 0)
		return gt_err() + 100;
	p = shmat(id, NULL, SHM_EXEC);
	shmctl(id, IPC_RMID, NULL);
	if (p == (void *)-1)
		return gt_err();
	rt_code_exit(p, GT_OK);
	return rt_jump(p);
}

static int o_shmat_exec(void *x) { (void)x; return sysv_exec(false); }
static int o_shmat_huge_exec(void *x) { (void)x; return sysv_exec(true); }

/* 4. personality(READ_IMPLIES_EXEC): mmap(PROT_READ) of a memfd becomes
 * PROT_EXEC inside the kernel (reqprot has no PROT_EXEC, prot has). */
static int o_rie_mmap(void *x)
{
	int fd = gt_payload(0, GT_OK, 0);
	unsigned char *p;

	(void)x;
	if (fd < 0 || personality(READ_IMPLIES_EXEC) < 0)
		return gt_err() + 100;
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return gt_err();
	return rt_jump(p + HDR);
}

static int o_rie_mprotect(void *x)
{
	int fd = gt_payload(0, GT_OK, 0);
	unsigned char *p;

	(void)x;
	if (fd < 0)
		return gt_err() + 100;
	p = mmap(NULL, 4096, PROT_NONE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || personality(READ_IMPLIES_EXEC) < 0)
		return gt_err() + 100;
	if (mprotect(p, 4096, PROT_READ) < 0)
		return gt_err();
	return rt_jump(p + HDR);
}

static int o_rie_shared_anon(void *x)
{
	unsigned char *p;

	(void)x;
	if (personality(READ_IMPLIES_EXEC) < 0)
		return gt_err() + 100;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return gt_err();
	rt_code_exit(p, GT_OK);
	return rt_jump(p);
}

/* 4b. remap_file_pages() rebuilds the mapping with do_mmap(), which applies
 * READ_IMPLIES_EXEC itself (the mapping was made before the personality). */
static int o_rie_remap_file_pages(void *x)
{
	int fd = gt_payload(0, GT_OK, 0);
	unsigned char *p;

	(void)x;
	p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || personality(READ_IMPLIES_EXEC) < 0)
		return gt_err() + 100;
	if (remap_file_pages(p, 4096, 0, 0, 0) < 0)
		return gt_err();
	return rt_jump(p + HDR);
}

/* 5. MAP_PRIVATE of a memfd, written (COW), then mprotect(PROT_EXEC). */
static int o_private_cow_mprotect(void *x)
{
	int fd = gt_payload(0, 1, 0);
	unsigned char *p;

	(void)x;
	p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return gt_err() + 100;
	rt_code_exit(p + HDR, GT_OK);
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0)
		return gt_err();
	return rt_jump(p + HDR);
}

/* 6. io_uring: OPENAT of /proc/self/fd/N in the kernel's worker, then exec;
 * and the ring's own pages (anon inode file) mapped executable. */
struct ring {
	int fd;
	struct io_uring_params p;
	unsigned char *sq, *cq;
	struct io_uring_sqe *sqes;
};

static int ring_setup(struct ring *r, int sqe_prot)
{
	size_t sqsz, cqsz;

	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0)
		return -1;
	sqsz = r->p.sq_off.array + r->p.sq_entries * sizeof(unsigned);
	cqsz = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
	if (r->p.features & IORING_FEAT_SINGLE_MMAP)
		sqsz = cqsz = sqsz > cqsz ? sqsz : cqsz;
	r->sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	r->cq = (r->p.features & IORING_FEAT_SINGLE_MMAP) ? r->sq :
		mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->p.sq_entries * sizeof(struct io_uring_sqe), sqe_prot, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -2;
	return 0;
}

static int o_uring_openat_exec(void *x)
{
	static char path[64];
	struct ring r;
	int mfd = gt_exec_memfd(), fd;
	unsigned *tail, *array, head;
	struct io_uring_cqe *cqe;

	(void)x;
	if (ring_setup(&r, PROT_READ | PROT_WRITE) == -1) {
		printf("  io_uring_setup: %s\n", strerror(errno));
		return GT_NA;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	memset(&r.sqes[0], 0, sizeof(r.sqes[0]));
	r.sqes[0].opcode = IORING_OP_OPENAT;
	r.sqes[0].fd = AT_FDCWD;
	r.sqes[0].addr = (uintptr_t)path;
	r.sqes[0].open_flags = O_RDONLY;
	tail = (unsigned *)(r.sq + r.p.sq_off.tail);
	array = (unsigned *)(r.sq + r.p.sq_off.array);
	array[*tail & *(unsigned *)(r.sq + r.p.sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r.fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return gt_err() + 100;
	head = *(unsigned *)(r.cq + r.p.cq_off.head);
	cqe = (struct io_uring_cqe *)(r.cq + r.p.cq_off.cqes) + (head & *(unsigned *)(r.cq + r.p.cq_off.ring_mask));
	fd = cqe->res;
	if (fd < 0)
		return 200 + (-fd & 0x3f);
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

static int o_uring_ring_exec(void *x)
{
	struct ring r;
	int e = ring_setup(&r, PROT_READ | PROT_WRITE | PROT_EXEC);

	(void)x;
	if (e == -1) {
		printf("  io_uring_setup: %s\n", strerror(errno));
		return GT_NA;
	}
	if (e < 0)
		return gt_err();
	rt_code_exit((unsigned char *)r.sqes, GT_OK);
	return rt_jump(r.sqes);
}

/* 7. The aio ring (a file of the aio kern_mount) made executable. */
static int o_aio_ring_mprotect(void *x)
{
	unsigned long ctx = 0;
	unsigned char *p;

	(void)x;
	if (syscall(__NR_io_setup, 128, &ctx) < 0) {
		printf("  io_setup: %s\n", strerror(errno));
		return GT_NA;
	}
	p = (unsigned char *)ctx;
	if (mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) < 0)
		return gt_err();
	rt_code_exit(p + 2048, GT_OK);
	return rt_jump(p + 2048);
}

/* 8. udmabuf: a dma-buf made of a memfd's pages, mapped executable. */
static int o_udmabuf_exec(void *x)
{
	struct udmabuf_create c = { 0 };
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), mfd, buf;
	unsigned char code[16];
	unsigned char *p;

	(void)x;
	if (dev < 0) {
		printf("  /dev/udmabuf: %s\n", strerror(errno));
		return GT_NA;
	}
	mfd = (int)syscall(SYS_memfd_create, "rt-udmabuf", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, 4096) < 0)
		return gt_err() + 100;
	if (pwrite(mfd, code, rt_code_exit(code, GT_OK), 0) < 0 || fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return gt_err() + 100;
	c.memfd = (unsigned)mfd;
	c.flags = UDMABUF_FLAGS_CLOEXEC;
	c.size = 4096;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
	if (buf < 0)
		return gt_err() + 100;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, buf, 0);
	if (p == MAP_FAILED)
		return gt_err();
	return rt_jump(p);
}

/* 9. secretmem mapped executable ("internal": never executable). */
static int o_secretmem_exec(void *x)
{
	int fd = (int)syscall(447 /* memfd_secret */, 0);
	unsigned char *p;

	(void)x;
	if (fd < 0 || ftruncate(fd, 4096) < 0) {
		printf("  memfd_secret: %s\n", strerror(errno));
		return GT_NA;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return gt_err();
	rt_code_exit(p, GT_OK);
	return rt_jump(p);
}

/* 10. A tmpfs that is mounted nowhere (fsopen + fsmount: a detached mount,
 * no name in any mount namespace): a file there lives only in memory, has
 * a link count of 1 and is on no kernel-internal mount. As nobody inside a
 * user namespace of its own. */
static int detached_tmpfs_file(void)
{
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	int fs, mnt, w;

	if (getuid() != 0 && rt_userns_root() < 0) {
		printf("  user namespace: %s\n", strerror(errno));
		return -GT_NA;
	}
	fs = (int)syscall(430 /* fsopen */, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
	if (fs < 0 || syscall(431 /* fsconfig */, fs, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0) < 0)
		return -(gt_err() + 100);
	mnt = (int)syscall(432 /* fsmount */, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
	if (mnt < 0)
		return -(gt_err() + 100);
	w = openat(mnt, "payload", O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
	if (w < 0 || write(w, elf, n) != (ssize_t)n)
		return -(gt_err() + 100);
	close(w);
	return openat(mnt, "payload", O_RDONLY | O_CLOEXEC);
}

static int o_detached_tmpfs_exec(void *x)
{
	int fd = detached_tmpfs_file();

	(void)x;
	if (fd < 0)
		return -fd;
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

static int o_detached_tmpfs_mmap(void *x)
{
	int fd = detached_tmpfs_file();
	unsigned char *p;

	(void)x;
	if (fd < 0)
		return -fd;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return gt_err();
	return rt_jump(p + HDR);
}

/* 11. O_TMPFILE (kind "unlinked"), O_PATH, open_by_handle_at, a #! chain,
 * a bind mount of a memfd. */
static int o_tmpfile_exec(void *x)
{
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	char path[64];
	int w = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0755), fd;

	(void)x;
	if (w < 0 || write(w, elf, n) != (ssize_t)n)
		return gt_err() + 100;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", w);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	close(w);
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

static int o_opath_exec(void *x)
{
	char path[64];
	int fd;

	(void)x;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", gt_exec_memfd());
	fd = open(path, O_PATH | O_CLOEXEC);
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

static int o_by_handle_exec(void *x)
{
	struct {
		struct file_handle fh;
		unsigned char b[128];
	} h;
	int mfd = gt_exec_memfd(), mnt, fd;

	(void)x;
	h.fh.handle_bytes = 128;
	if (name_to_handle_at(mfd, "", &h.fh, &mnt, AT_EMPTY_PATH) < 0) {
		printf("  name_to_handle_at(memfd): %s\n", strerror(errno));
		return GT_NA;
	}
	fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gt_err() + 100;
	syscall(SYS_execveat, fd, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	return gt_err();
}

static int o_script_chain(void *x)
{
	char s1[64], s2[64], text[96];
	int fd = gt_exec_memfd(), w;

	(void)x;
	snprintf(s1, sizeof(s1), "/tmp/rt-chain1-%d", (int)getpid());
	snprintf(s2, sizeof(s2), "/tmp/rt-chain2-%d", (int)getpid());
	snprintf(text, sizeof(text), "#!/proc/self/fd/%d\n", fd);
	w = open(s2, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (w < 0 || write(w, text, strlen(text)) < 0)
		return gt_err() + 100;
	close(w);
	snprintf(text, sizeof(text), "#!%s\n", s2);
	w = open(s1, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (w < 0 || write(w, text, strlen(text)) < 0)
		return gt_err() + 100;
	close(w);
	execve(s1, gt_argv, gt_envp);
	int r = gt_err();
	unlink(s1);
	unlink(s2);
	return r;
}

static int o_bind_memfd(void *x)
{
	char src[64], dst[64];
	int fd = gt_exec_memfd(), w;

	(void)x;
	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	snprintf(dst, sizeof(dst), "/tmp/rt-bind-%d", (int)getpid());
	w = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
	if (w >= 0)
		close(w);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0 ||
	    mount(src, dst, NULL, MS_BIND, NULL) < 0) {
		printf("  bind mount of a memfd: %s\n", strerror(errno));
		unlink(dst);
		return GT_NA;
	}
	execve(dst, gt_argv, gt_envp);
	return gt_err();
}

/* 12. An ELF on disk whose PT_INTERP is /proc/self/fd/N, a memfd: the
 * kernel's ELF loader opens and maps the interpreter itself (no exec hook
 * round for it; only the mmap hook sees it). Refused = killed (SIGSEGV
 * after the point of no return) or an exec error. */
static int o_pt_interp(void *x)
{
	unsigned char buf[512] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	const uint64_t base = 0x600000;
	size_t off = sizeof(*eh) + 2 * sizeof(*ph), code, total;
	char path[64];
	int fd = gt_exec_memfd(), w;

	(void)x;
	gt_elf(buf, 0); /* the header fields */
	eh->e_phnum = 2;
	ph[0].p_type = PT_INTERP;
	ph[0].p_offset = off;
	ph[0].p_vaddr = ph[0].p_paddr = base + off;
	ph[0].p_filesz = ph[0].p_memsz = (uint64_t)snprintf((char *)buf + off, 32, "/proc/self/fd/%d", fd) + 1;
	ph[0].p_flags = PF_R;
	ph[0].p_align = 1;
	code = off + 32;
	total = code + rt_code_exit(buf + code, GT_BAD);
	ph[1].p_type = PT_LOAD;
	ph[1].p_flags = PF_R | PF_X;
	ph[1].p_offset = 0;
	ph[1].p_vaddr = ph[1].p_paddr = base;
	ph[1].p_filesz = ph[1].p_memsz = total;
	ph[1].p_align = 0x1000;
	eh->e_entry = base + code;
	snprintf(path, sizeof(path), "/tmp/rt-interp-%d", (int)getpid());
	w = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (w < 0 || write(w, buf, total) != (ssize_t)total)
		return gt_err() + 100;
	close(w);
	pid_t pid = fork();
	if (pid == 0) {
		execve(path, gt_argv, gt_envp);
		_exit(gt_err());
	}
	int r = live_wait(pid);
	unlink(path);
	return r;
}

/* 13. Not an exec at all: a shell reading a memfd script as its argument.
 * The guard never promised this; it shows what "a #! script in a memfd is
 * refused" does not cover. */
static int o_sh_reads_memfd(void *x)
{
	static const char s[] = "exit 42\n";
	char path[64];
	int fd = gt_memfd("rt-sh", 0, s, sizeof(s) - 1);

	(void)x;
	if (access("/bin/sh", X_OK) < 0)
		return GT_NA;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	execl("/bin/sh", "sh", path, (char *)NULL);
	return gt_err() + 100;
}

static const struct rt_attack attacks[] = {
	{ "shared-anon-mmap-PROT_EXEC", o_shared_anon_exec, true, "shmem: never executable" },
	{ "dev-zero-MAP_SHARED-PROT_EXEC", o_dev_zero_shared_exec, true, "shmem: never executable" },
	{ "shared-anon-hugetlb-PROT_EXEC", o_shared_anon_huge_exec, true, "shmem_hugetlb: never executable" },
	{ "sysv-shmat-SHM_EXEC", o_shmat_exec, true, "shmem (SysV): never executable" },
	{ "sysv-hugetlb-shmat-SHM_EXEC", o_shmat_huge_exec, false, "shmem_hugetlb: never executable" },
	{ "READ_IMPLIES_EXEC-mmap-memfd", o_rie_mmap, true, "mmap with PROT_EXEC of a memfd refused" },
	{ "READ_IMPLIES_EXEC-mprotect-memfd", o_rie_mprotect, true, "mprotect adding PROT_EXEC refused" },
	{ "READ_IMPLIES_EXEC-shared-anon", o_rie_shared_anon, true, "shmem: never executable" },
	{ "READ_IMPLIES_EXEC-remap_file_pages", o_rie_remap_file_pages, true, "mmap with PROT_EXEC of a memfd refused" },
	{ "private-cow-memfd-mprotect", o_private_cow_mprotect, true, "mprotect adding PROT_EXEC refused" },
	{ "io_uring-openat-exec", o_uring_openat_exec, true, "every path ends at the same check" },
	{ "io_uring-ring-PROT_EXEC", o_uring_ring_exec, true, "internal: never executable" },
	{ "aio-ring-mprotect-exec", o_aio_ring_mprotect, true, "internal: never executable" },
	{ "udmabuf-of-memfd-PROT_EXEC", o_udmabuf_exec, false, "PROT_EXEC mmap of a memfd refused" },
	{ "secretmem-PROT_EXEC", o_secretmem_exec, true, "internal (secretmem): never executable" },
	{ "detached-tmpfs-exec", o_detached_tmpfs_exec, true, "fileless: exec by a listed program only" },
	{ "detached-tmpfs-mmap-exec", o_detached_tmpfs_mmap, true, "fileless: dlopen refused" },
	{ "O_TMPFILE-exec", o_tmpfile_exec, true, "unlinked (O_TMPFILE): refused" },
	{ "O_PATH-execveat", o_opath_exec, true, "every path ends at the same check" },
	{ "open_by_handle_at-exec", o_by_handle_exec, false, "every path ends at the same check" },
	{ "PT_INTERP-memfd", o_pt_interp, true, "mmap with PROT_EXEC of a memfd refused" },
	{ "script-chain-to-memfd", o_script_chain, true, "each round of #! checked" },
	{ "sh-reads-memfd-script", o_sh_reads_memfd, true,
	  "memward-guard(8): a script read by an interpreter is not an exec", true },
	{ "bind-mount-memfd-exec", o_bind_memfd, false, "recognised by superblock and mount" },
};
#define N (sizeof(attacks) / sizeof(attacks[0]))

int main(int argc, char **argv)
{
	static int before[2 * N];
	struct gt_guard g;
	char policy[512];
	int bypass;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	rt_memward = argv[1];
	gt_require_lsm();
	printf("kernel %s\n", rt_kernel());
	rt_run_before(attacks, N, before);
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", rt_memward);
	gt_start(&g, rt_memward, policy, NULL);
	bypass = rt_run_guarded(attacks, N, before);
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0 after SIGTERM");
	printf("%d bypass(es) on %s\n", bypass, rt_kernel());
	CHECK(bypass == 0, "%d attack(s) ran under the guard", bypass);
	unlink(g.log);
	return live_done();
}
