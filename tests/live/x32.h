/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The x32 ABI from a 64-bit process: `syscall` with nr | 0x40000000
 * (__X32_SYSCALL_BIT) enters the kernel's x32 table, reported to seccomp
 * and the LSM hooks with the x86-64 audit arch. Debian's generic amd64
 * kernels build it (CONFIG_X86_X32_ABI=y) but leave it off unless booted
 * with syscall.x32=y (CONFIG_X86_X32_DISABLED, a Debian patch); its cloud
 * kernels do not build it. The tests/vm profile 6.12-x32 boots the generic
 * kernel with it on. x32 pointers are 32 bits: strings and pointer arrays
 * go in a MAP_32BIT page.
 */
#ifndef MW_LIVE_X32_H
#define MW_LIVE_X32_H

#include "live.h"

#include <stdint.h>
#include <sys/mman.h>

#ifdef __x86_64__
#define X32_BIT 0x40000000L
#define NRX32_MMAP 9
#define NRX32_GETPID 39
#define NRX32_PRCTL 157
#define NRX32_MEMFD_CREATE 319
#define NRX32_EXECVE 520 /* x32's own entry (compat argv) */
#define NRX32_EXECVEAT 545

static inline long x32_call(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(X32_BIT | nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Does the x32 table answer here? Tried, in this process. */
static inline bool x32_available(void)
{
	return x32_call(NRX32_GETPID, 0, 0, 0, 0, 0, 0) == getpid();
}

/* Skip when x32 is off, unless the kernel was booted asking for it (the
 * 6.12-x32 guest): then its absence is a failure. */
static inline void x32_require(void)
{
	char cmd[4096] = "";
	int fd;

	if (x32_available())
		return;
	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, cmd, sizeof(cmd) - 1) < 0)
			cmd[0] = '\0';
		close(fd);
	}
	REQUIRE(!strstr(cmd, "syscall.x32=y"), "booted with syscall.x32=y but x32 getpid fails");
	live_skip("x32 system calls fail here (kernel without CONFIG_X86_X32_ABI, or Debian's x32 not "
		  "enabled with syscall.x32=y)");
}

/* Strings and argv/envp arrays below 4 GiB. */
struct x32_low {
	char name[16];
	char empty[4];
	char arg0[16];
	char arg1[16];
	uint32_t argv[3];
	uint32_t envp[1];
};

static inline struct x32_low *x32_low_page(const char *arg1)
{
	struct x32_low *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	REQUIRE(l != MAP_FAILED, "mmap MAP_32BIT: %s", strerror(errno));
	strcpy(l->name, "x32");
	l->empty[0] = '\0';
	strcpy(l->arg0, "payload");
	snprintf(l->arg1, sizeof(l->arg1), "%s", arg1 ? arg1 : "");
	l->argv[0] = (uint32_t)(uintptr_t)l->arg0;
	l->argv[1] = arg1 ? (uint32_t)(uintptr_t)l->arg1 : 0;
	l->argv[2] = 0;
	l->envp[0] = 0;
	return l;
}

static inline long x32_execveat_fd(struct x32_low *l, int fd)
{
	return x32_call(NRX32_EXECVEAT, fd, (long)(uintptr_t)l->empty, (long)(uintptr_t)l->argv,
			(long)(uintptr_t)l->envp, AT_EMPTY_PATH, 0);
}
#endif

#endif
