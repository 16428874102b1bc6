/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guard-x32: the x32 ABI under the guard (issue 14 F). A memfd made with an
 * x32 memfd_create and then executed with x32 execveat, or mapped with an
 * x32 mmap(PROT_EXEC), runs without the guard and is refused with EPERM
 * under it, as root and as nobody, for an unlisted program: the LSM hooks
 * sit behind every system call entry. Needs a kernel with x32 on (the
 * 6.12-x32 guest: Debian's generic kernel booted with syscall.x32=y);
 * skips elsewhere, as x32 getpid says.
 *
 * usage: live-guard-x32 MEMWARD
 */
#include "attacks.h"
#include "x32.h"

#ifdef __x86_64__
/* An x32 memfd holding the payload (exits 42). */
static long x32_payload(struct x32_low *l)
{
	unsigned char elf[256];
	size_t n = gt_elf(elf, GT_OK);
	long fd = x32_call(NRX32_MEMFD_CREATE, (long)(uintptr_t)l->name, 0, 0, 0, 0, 0);

	if (fd >= 0 && write((int)fd, elf, n) != (ssize_t)n)
		return -errno;
	return fd;
}

static int x32_exec(void *x)
{
	struct x32_low *l = x32_low_page(NULL);
	long fd = x32_payload(l), r;

	(void)x;
	if (fd < 0)
		return 200 + (int)(-fd & 0x3f);
	r = x32_execveat_fd(l, (int)fd);
	return 100 + (int)(-r & 0x7f);
}

static int x32_mmap_exec(void *x)
{
	struct x32_low *l = x32_low_page(NULL);
	long fd = x32_payload(l), p;

	(void)x;
	if (fd < 0)
		return 200 + (int)(-fd & 0x3f);
	p = x32_call(NRX32_MMAP, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p < 0 && p > -4096)
		return 100 + (int)(-p & 0x7f);
	return GT_OK;
}

static int as_nobody(void *fn)
{
	if (setgid(65534) < 0 || setuid(65534) < 0)
		return 250;
	return ((int (*)(void *))fn)(NULL);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void *);
	} attacks[] = { { "x32 memfd_create + x32 execveat", x32_exec },
			{ "x32 memfd_create + x32 mmap(PROT_EXEC)", x32_mmap_exec } };
	struct gt_guard g;
	char policy[512];

	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	gt_require_lsm();
	x32_require();
	for (size_t i = 0; i < 2; i++) {
		int r = gt_child(attacks[i].fn, NULL);

		printf("without guard: %s -> %d\n", attacks[i].name, r);
		CHECK(r == GT_OK, "without the guard %s gave %d (expected 42: the test would prove nothing)",
		      attacks[i].name, r);
	}
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", argv[1]);
	gt_start(&g, argv[1], policy, NULL);
	for (size_t i = 0; i < 2; i++) {
		int r = gt_child(attacks[i].fn, NULL), rn = gt_child(as_nobody, (void *)attacks[i].fn);

		printf("guard: %s -> %d as root, %d as nobody\n", attacks[i].name, r, rn);
		CHECK(r == 100 + EPERM, "%s under the guard: %d (expected 101: EPERM)", attacks[i].name, r);
		CHECK(rn == 100 + EPERM, "%s as nobody under the guard: %d (expected 101)", attacks[i].name, rn);
	}
	CHECK(gt_log_wait(&g, 2, "\"hook\":\"exec\"", "\"kind\":\"memfd\"", "\"decision\":\"deny\"") >= 2,
	      "fewer than 2 exec/memfd deny lines");
	CHECK(gt_log_wait(&g, 2, "\"hook\":\"mmap\"", "\"kind\":\"memfd\"", "\"decision\":\"deny\"") >= 2,
	      "fewer than 2 mmap/memfd deny lines");
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0");
	unlink(g.log);
	return live_done();
}
#else
int main(void)
{
	live_skip("the x32 ABI exists on x86-64 only");
}
#endif
