/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers for the guard's live tests (tests/live/guard/): decide by loading
 * a tiny LSM program whether the kernel can run the guard at all (skip with
 * the kernel's answer otherwise), start and stop `memward guard`, build tiny
 * payloads (an ELF that exits with a given code, in 130 bytes) and try to run
 * them from memfds in every way a child can.
 */
#ifndef MW_GT_H
#define MW_GT_H

#include "live.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "sys/shim.h"

#define GT_OK 42       /* exit code of a payload that ran */
#define GT_BAD 66      /* exit code of a payload that must never run */

/* Skip unless a BPF_PROG_TYPE_LSM program loads here (tried, not probed). */
static inline void gt_require_lsm(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *vm = btf__load_vmlinux_btf();
	int id, fd;

	if (!vm)
		live_skip("no kernel BTF: %s", strerror(errno));
	id = btf__find_by_name_kind(vm, "bpf_lsm_file_open", BTF_KIND_FUNC);
	btf__free(vm);
	if (id < 0)
		live_skip("kernel built without CONFIG_BPF_LSM (no bpf_lsm_file_open in BTF)");
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_LSM_MAC, .attach_btf_id = (__u32)id);
	fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "gt_probe", "GPL", insns, 2, &o);
	if (fd < 0)
		live_skip("a BPF_PROG_TYPE_LSM program does not load here: %s", strerror(errno));
	close(fd);
}

/* A minimal static ELF that exits with `code`. Returns its size. */
static inline size_t gt_elf(unsigned char *buf, int code)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	unsigned char *c = buf + sizeof(*eh) + sizeof(*ph);
	const uint64_t base = 0x400000;
	size_t n = 0;

	memset(buf, 0, sizeof(*eh) + sizeof(*ph));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = base + sizeof(*eh) + sizeof(*ph);
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	/* mov edi, code; mov eax, 60 (exit); syscall */
	c[n++] = 0xbf; memcpy(c + n, &code, 4); n += 4;
	c[n++] = 0xb8; c[n++] = 60; c[n++] = 0; c[n++] = 0; c[n++] = 0;
	c[n++] = 0x0f; c[n++] = 0x05;
	ph->p_type = PT_LOAD;
	ph->p_flags = PF_R | PF_X;
	ph->p_vaddr = ph->p_paddr = base;
	ph->p_filesz = ph->p_memsz = sizeof(*eh) + sizeof(*ph) + n;
	ph->p_align = 0x1000;
	return sizeof(*eh) + sizeof(*ph) + n;
}

/* A memfd holding data (flags as memfd_create). -errno on failure. */
static inline int gt_memfd(const char *name, unsigned int flags, const void *data, size_t len)
{
	int fd = (int)syscall(SYS_memfd_create, name, flags);

	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* A memfd with a payload exiting `code`; sealed with `seals` when non-zero. */
static inline int gt_payload(unsigned int flags, int code, unsigned int seals)
{
	unsigned char elf[256];
	size_t n = gt_elf(elf, code);
	int fd = gt_memfd("gt-payload", flags | (seals ? MFD_ALLOW_SEALING : 0), elf, n);

	if (fd >= 0 && seals && fcntl(fd, F_ADD_SEALS, seals) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Every seal 6.1 and later know (F_SEAL_EXEC only where it exists). */
static inline unsigned int gt_all_seals(void)
{
	int fd = (int)syscall(SYS_memfd_create, "gt-probe", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	unsigned int s = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

	if (fd >= 0 && fcntl(fd, F_ADD_SEALS, F_SEAL_EXEC) == 0)
		s |= F_SEAL_EXEC;
	if (fd >= 0)
		close(fd);
	return s;
}

/* Run fn(arg) in a child; returns its exit code (or 128+signal). fn returns
 * the code; an exec that works replaces the child with the payload. */
static inline int gt_child(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0)
		return -1;
	return live_wait(pid);
}

/* ---- the guard process --------------------------------------------------- */

struct gt_guard {
	pid_t pid;
	int err;                /* its stderr (kept open: it writes on exit) */
	char policy[64], log[64];
};

/* Start `memward guard` with this policy text (plus --cgroup when given)
 * and wait for it to report that it is attached. REQUIREs success. */
static inline void gt_start(struct gt_guard *g, const char *memward, const char *policy, const char *cgroup)
{
	static char line[16384];
	size_t len = 0;
	int p[2], fd;

	snprintf(g->policy, sizeof(g->policy), "/tmp/gt-policy-%d", (int)getpid());
	snprintf(g->log, sizeof(g->log), "/tmp/gt-log-%d", (int)getpid());
	unlink(g->log);
	fd = open(g->policy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	REQUIRE(fd >= 0 && write(fd, policy, strlen(policy)) == (ssize_t)strlen(policy), "policy file: %s",
		strerror(errno));
	close(fd);
	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	fflush(stdout);
	g->pid = fork();
	REQUIRE(g->pid >= 0, "fork: %s", strerror(errno));
	if (g->pid == 0) {
		dup2(p[1], 2);
		if (cgroup)
			execl(memward, memward, "guard", "--policy", g->policy, "--log", g->log, "--cgroup", cgroup,
			      (char *)NULL);
		else
			execl(memward, memward, "guard", "--policy", g->policy, "--log", g->log, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], line + len, sizeof(line) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		line[len] = '\0';
		if (strstr(line, "guard active") || len >= sizeof(line) - 1)
			break;
	}
	line[len] = '\0';
	g->err = p[0];
	REQUIRE(strstr(line, "guard active"), "memward guard did not start: %s", line);
}

/* SIGTERM, wait; returns the exit status (0 expected). */
static inline int gt_stop(struct gt_guard *g)
{
	int r;

	kill(g->pid, SIGTERM);
	r = live_wait(g->pid);
	close(g->err);
	unlink(g->policy);
	if (r)
		printf("memward guard exited with %d\n", r);
	return r;
}

/* Programs that ran before the guard started are not listed (their exec
 * was not seen): run this program again, now, with argv[1] = mark. Returns
 * the exit code of that run. */
static inline int gt_reexec(const char *mark, const char *memward)
{
	char *args[] = { "gt-reexec", (char *)mark, (char *)memward, NULL };
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv("/proc/self/exe", args);
		_exit(127);
	}
	return live_wait(pid);
}

/* How many log lines contain every one of up to three substrings. */
static inline int gt_log_count(const struct gt_guard *g, const char *a, const char *b, const char *c)
{
	char buf[1 << 16], *line, *save = NULL;
	int fd = open(g->log, O_RDONLY | O_CLOEXEC), count = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strstr(line, a) && (!b || strstr(line, b)) && (!c || strstr(line, c)))
			count++;
	return count;
}

/* The guard's events are written asynchronously: wait up to 2 s for them. */
static inline int gt_log_wait(const struct gt_guard *g, int want, const char *a, const char *b, const char *c)
{
	int n = 0;

	for (int i = 0; i < 200 && (n = gt_log_count(g, a, b, c)) < want; i++)
		usleep(10000);
	return n;
}

/* A memfd (memfd_create flags as given) holding a copy of path, sealed with
 * seals (0: none); -1 on any failure. */
static inline int gt_memfd_copy(const char *path, const char *name, unsigned int flags, unsigned int seals)
{
	int src = open(path, O_RDONLY | O_CLOEXEC);
	int fd = (int)syscall(SYS_memfd_create, name, flags);
	char buf[65536];
	ssize_t n;

	if (src < 0 || fd < 0)
		return -1;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return -1;
	close(src);
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)
		return -1;
	return fd;
}

/* This program's path (readlink of /proc/self/exe) into buf. */
static inline void gt_self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	REQUIRE(n > 0, "readlink /proc/self/exe: %s", strerror(errno));
	buf[n] = '\0';
}

/* Start the guard in enforce mode with this program as its one
 * allow-exec-memfd entry; its path goes into self. */
static inline void gt_start_listing_self(struct gt_guard *g, const char *memward, char *self, size_t len)
{
	char policy[600];

	gt_self_path(self, len);
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", self);
	gt_start(g, memward, policy, NULL);
}

#endif
