/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guard-loader: the real dynamic loader and dlopen() against a memfd, for a
 * program the policy does not list (attack class A with the system's own
 * ld.so, not a hand-made mmap):
 *
 *   ld.so /proc/self/fd/N    N a memfd holding a dynamically linked program
 *                            (gt-dyn-payload, exits 42)
 *   dlopen("/proc/self/fd/N") N a memfd holding a shared object (gt-dso.so),
 *                            by gt-dlopen-memfd (dynamic: exits 42 if loaded)
 *
 * Both first run without the guard (they must work, or the test proves
 * nothing: ld.so and libc missing from the guest would show here), then
 * under `memward guard` in enforce mode, as root and as nobody: ld.so must
 * fail (it exits 127: the PROT_EXEC mapping of the memfd is refused) and
 * dlopen must fail to map it, each with a deny line for an mmap of a memfd
 * by that program (the proof that the guard, not something else, said no).
 * The helpers sit beside this program (build/tests/ on the host, /t/ in the
 * guests); the loader is the one the payload names (PT_INTERP).
 *
 * usage: live-guard-loader MEMWARD
 */
#include "attacks.h"

#include <libgen.h>

static char payload[512], dlo[512], dso[512], interp[256];

/* PT_INTERP of the ELF at path, into interp. */
static int read_interp(const char *path)
{
	unsigned char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	if (fd >= 0)
		close(fd);
	if (n < (ssize_t)sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return -1;
	for (int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(buf + eh->e_phoff + (size_t)i * eh->e_phentsize);

		if ((unsigned char *)(ph + 1) > buf + n)
			return -1;
		if (ph->p_type == PT_INTERP && ph->p_offset + ph->p_filesz <= (size_t)n &&
		    ph->p_filesz < sizeof(interp)) {
			memcpy(interp, buf + ph->p_offset, ph->p_filesz);
			interp[ph->p_filesz] = '\0';
			return 0;
		}
	}
	return -1;
}


static int drop(bool nobody)
{
	return nobody && (setgid(65534) < 0 || setuid(65534) < 0) ? -1 : 0;
}

static int ldso_run(void *x)
{
	char arg[64];
	int fd = gt_memfd_copy(payload, "gt-dyn", 0, 0); /* inherited across exec */

	if (fd < 0 || drop(x != NULL) < 0)
		return 200;
	snprintf(arg, sizeof(arg), "/proc/self/fd/%d", fd);
	execl(interp, interp, arg, (char *)NULL);
	return gt_err() + 100;
}

static int dlopen_run(void *x)
{
	if (drop(x != NULL) < 0)
		return 200;
	execl(dlo, dlo, dso, (char *)NULL);
	return gt_err() + 100;
}

int main(int argc, char **argv)
{
	char self[400], policy[600], *dir;
	struct gt_guard g;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	gt_require_lsm();
	gt_self_path(self, sizeof(self));
	dir = dirname(self);
	snprintf(payload, sizeof(payload), "%s/gt-dyn-payload", dir);
	snprintf(dlo, sizeof(dlo), "%s/gt-dlopen-memfd", dir);
	snprintf(dso, sizeof(dso), "%s/gt-dso.so", dir);
	REQUIRE(read_interp(payload) == 0, "%s: no PT_INTERP (not a dynamic ELF?)", payload);
	printf("loader: %s\n", interp);

	r = gt_child(ldso_run, NULL);
	CHECK(r == GT_OK, "without the guard, %s /proc/self/fd/N gave %d (expected 42: the test would prove "
	      "nothing)", interp, r);
	r = gt_child(dlopen_run, NULL);
	CHECK(r == GT_OK, "without the guard, dlopen of a memfd gave %d (expected 42)", r);

	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", argv[1]);
	gt_start(&g, argv[1], policy, NULL);
	for (int nobody = 0; nobody < 2; nobody++) {
		const char *who = nobody ? "nobody" : "root";

		r = gt_child(ldso_run, nobody ? (void *)1 : NULL);
		printf("guard, %s: ld.so /proc/self/fd/N -> %d\n", who, r);
		CHECK(r == 127, "%s: ld.so of a memfd under the guard gave %d (expected 127: cannot map it)", who, r);
		r = gt_child(dlopen_run, nobody ? (void *)1 : NULL);
		printf("guard, %s: dlopen(/proc/self/fd/N) -> %d\n", who, r);
		CHECK(r == 101 || r == 102, "%s: dlopen of a memfd under the guard gave %d (expected 101 or 102: "
		      "EPERM, or cannot map a segment)", who, r);
	}
	CHECK(gt_log_wait(&g, 2, "\"hook\":\"mmap\"", "\"kind\":\"memfd\"", "\"comm\":\"ld-linux") >= 2,
	      "fewer than 2 mmap/memfd deny lines from ld.so");
	CHECK(gt_log_wait(&g, 2, "\"hook\":\"mmap\"", "\"kind\":\"memfd\"", "\"comm\":\"gt-dlopen-memfd\"") >= 2,
	      "fewer than 2 mmap/memfd deny lines from gt-dlopen-memfd");
	CHECK(gt_log_count(&g, "\"decision\":\"allow\"", "\"kind\":\"memfd\"", NULL) == 0,
	      "a memfd mapping was allowed");
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0");
	unlink(g.log);
	return live_done();
}
