/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Red team helpers for `memward guard` (second round): a table of attacks,
 * each run once without the guard (it must work there, or it proves
 * nothing) and once under `memward guard --policy FILE` in enforce mode,
 * where memward-guard(8) says it is refused. An attack returns GT_OK (42)
 * when the payload ran or the executable mapping/exec was made, 100+errno
 * when refused, GT_NA (77) when this kernel lacks what it needs.
 *
 * A result of 42 under the guard is a BYPASS: printed, and the test fails.
 */
#ifndef MW_RT_H
#define MW_RT_H

#include "guard/attacks.h"

#include <grp.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/utsname.h>

struct rt_attack {
	const char *name;
	int (*fn)(void *);
	bool as_nobody; /* also tried as uid 65534 */
	const char *doc; /* what memward-guard(8) says about it */
	bool limit;      /* a limit memward-guard(8) documents: runs, not a bypass */
};

static const char *rt_memward;

/* mov edi, 42; mov eax, 231 (exit_group); syscall */
static inline size_t rt_code_exit(unsigned char *p, int code)
{
	size_t n = 0;

	p[n++] = 0xbf; memcpy(p + n, &code, 4); n += 4;
	p[n++] = 0xb8; p[n++] = 231; p[n++] = 0; p[n++] = 0; p[n++] = 0;
	p[n++] = 0x0f; p[n++] = 0x05;
	return n;
}

/* Jump to code at p: it exits the process with 42. */
static inline int rt_jump(void *p)
{
	fflush(stdout);
	((void (*)(void))p)();
	return 1;
}

/* A static ELF whose code is `code` (len bytes), loaded at 0x400000. */
static inline size_t rt_elf_code(unsigned char *buf, const unsigned char *code, size_t len)
{
	size_t n = gt_elf(buf, 0);
	size_t hdr = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr);
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));

	(void)n;
	memcpy(buf + hdr, code, len);
	ph->p_filesz = ph->p_memsz = hdr + len;
	return hdr + len;
}

static inline int rt_drop_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return -1;
	/* The uid change made the process non-dumpable: /proc/self/uid_map
	 * would belong to root. */
	prctl(PR_SET_DUMPABLE, 1);
	return 0;
}

static inline int rt_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Become root of a new user namespace (and mount namespace) as nobody. */
static inline int rt_userns_root(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return -1;
	rt_write_file("/proc/self/setgroups", "deny");
	if (rt_write_file("/proc/self/uid_map", "0 65534 1\n") < 0 ||
	    rt_write_file("/proc/self/gid_map", "0 65534 1\n") < 0)
		return -1;
	return 0;
}

static const struct rt_attack *rt_cur;

/* Children end with _exit: flush what the attack printed. */
static int rt_as_root(void *arg)
{
	const struct rt_attack *a = arg;
	int r = a->fn((void *)rt_memward);

	fflush(stdout);
	return r;
}

static int rt_as_nobody(void *arg)
{
	if (rt_drop_nobody() < 0)
		return 200;
	return rt_as_root(arg);
}

static inline int rt_run1(const struct rt_attack *a, bool nobody)
{
	rt_cur = a;
	return gt_child(nobody ? rt_as_nobody : rt_as_root, (void *)a);
}

static inline const char *rt_kernel(void)
{
	static struct utsname u;

	uname(&u);
	return u.release;
}

/* The table under an already started guard `g`; before[] holds the results
 * without the guard. Returns the number of bypasses. */
static inline int rt_run_guarded(const struct rt_attack *t, size_t n, const int *before)
{
	int bypass = 0;

	for (size_t i = 0; i < n; i++) {
		for (int who = 0; who < 2; who++) {
			int r;

			if (who == 1 && !t[i].as_nobody)
				continue;
			if (before[2 * i + who] != GT_OK) {
				printf("n/a   %-34s %s: without the guard it gives %d (nothing to refuse)\n", t[i].name,
				       who ? "nobody" : "root", before[2 * i + who]);
				continue;
			}
			r = rt_run1(&t[i], who == 1);
			if (r == GT_OK && t[i].limit) {
				printf("limit %-34s %s: runs, a documented limit (%s)\n", t[i].name,
				       who ? "nobody" : "root", t[i].doc);
			} else if (r == GT_OK) {
				printf("BYPASS %-33s %s on %s: ran under the guard (doc: %s)\n", t[i].name,
				       who ? "nobody" : "root", rt_kernel(), t[i].doc);
				bypass++;
			} else {
				printf("ok    %-34s %s: refused (%d%s)\n", t[i].name, who ? "nobody" : "root", r,
				       r == 100 + EPERM ? ", EPERM" : "");
			}
			fflush(stdout);
		}
	}
	return bypass;
}

static inline void rt_run_before(const struct rt_attack *t, size_t n, int *before)
{
	for (size_t i = 0; i < n; i++) {
		before[2 * i] = rt_run1(&t[i], false);
		before[2 * i + 1] = t[i].as_nobody ? rt_run1(&t[i], true) : -1;
		if (t[i].as_nobody)
			printf("plain %-34s root %d, nobody %d\n", t[i].name, before[2 * i], before[2 * i + 1]);
		else
			printf("plain %-34s root %d\n", t[i].name, before[2 * i]);
		fflush(stdout);
	}
}

#endif
