/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guard-unlisted: every attack of issue 14 (A, B, C, E, H, the ACL bug, and
 * every path to a memfd) run by a program the policy does not list. Each
 * attack runs first without the guard (it must work there, or the test
 * proves nothing: a kernel that refuses by itself is reported), then under
 * `memward guard` in enforce mode, where the kernel must refuse it with
 * EPERM, as root and, where no privilege is needed, as nobody. Then the same
 * attacks in audit mode run and are logged.
 *
 * usage: live-guard-unlisted MEMWARD
 */
#include "attacks.h"

struct attack {
	const char *name;
	int (*fn)(void *);
	bool as_nobody;          /* needs no privilege: also tried as uid 65534 */
	bool kernel_may_refuse;  /* without the guard the kernel itself may say no */
};

static const char *memward;

static const struct attack attacks[] = {
	{ "fexecve", a_fexecve, true, false },
	{ "execveat-empty-path", a_execveat, true, false },
	{ "proc-self-fd", a_proc_self_fd, true, false },
	{ "proc-thread-self-fd", a_thread_self_fd, true, false },
	{ "dev-fd", a_dev_fd, false, false },
	{ "symlink-to-proc-fd", a_symlink, true, false },
	{ "dirfd-relative", a_dirfd, true, false },
	{ "map-files", a_map_files, false, false },
	{ "memfd-script", a_script, true, false },
	{ "memfd-interpreter", a_script_interp, true, false },
	{ "A-mmap-exec-noexec-seal", a_mmap_noexec_seal, true, false },
	{ "A-mprotect-exec", a_mprotect, true, false },
	{ "A-run-mapped-code", a_mmap_run, true, false },
	{ "C-shared-anon-exec", a_shared_anon, false, false },
	{ "C-shared-anon-mprotect", a_shared_anon_mprotect, true, false },
	{ "C-sysv-exec", a_sysv, false, false },
	{ "unlinked-file", a_unlinked, true, false },
	{ "B-hugetlb-chmod", a_hugetlb_chmod, true, false },
	{ "B-hugetlb-exec", a_hugetlb_exec, false, false },
	{ "acl-bug", a_acl, true, true },
	{ "E-prctl-exe-forge", a_prctl_exe, false, false },
	{ "H-i386-memfd-exec", a_i386, true, false },
};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

static int as_nobody(void *arg)
{
	const struct attack *a = arg;

	if (setgid(65534) < 0 || setuid(65534) < 0)
		return 200;
	return a->fn((void *)memward);
}

static int run(const struct attack *a, bool nobody)
{
	return nobody ? gt_child(as_nobody, (void *)a) : gt_child(a->fn, (void *)memward);
}

int main(int argc, char **argv)
{
	static int before[NATTACKS];
	struct gt_guard g;
	char policy[512];
	int denied = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	memward = argv[1];
	gt_require_lsm();
	/* The guard's own binary is listed: the test program is not. */
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", memward);

	for (size_t i = 0; i < NATTACKS; i++) {
		before[i] = run(&attacks[i], false);
		if (before[i] != GT_OK && before[i] != GT_NA)
			printf("note: without the guard %s already gives %d%s\n", attacks[i].name, before[i],
			       attacks[i].kernel_may_refuse ? " (the kernel refuses it itself)" : "");
		else if (before[i] == GT_OK)
			printf("without guard: %s runs\n", attacks[i].name);
		CHECK(before[i] == GT_OK || before[i] == GT_NA || attacks[i].kernel_may_refuse,
		      "%s without the guard: %d (expected it to run: the test would prove nothing)",
		      attacks[i].name, before[i]);
	}

	gt_start(&g, memward, policy, NULL);
	for (size_t i = 0; i < NATTACKS; i++) {
		int r = run(&attacks[i], false);

		if (before[i] == GT_NA) {
			printf("n/a here: %s\n", attacks[i].name);
			continue;
		}
		printf("guard: %s -> %d\n", attacks[i].name, r);
		CHECK(r == 100 + EPERM, "%s under the guard: %d (expected EPERM, 101)", attacks[i].name, r);
		denied++;
		if (attacks[i].as_nobody) {
			r = run(&attacks[i], true);
			CHECK(r == 100 + EPERM, "%s as nobody under the guard: %d (expected 101)", attacks[i].name, r);
			denied++;
		}
	}
	CHECK(gt_log_wait(&g, denied, "\"decision\":\"deny\"", "\"mode\":\"enforce\"", NULL) >= denied,
	      "fewer than %d deny lines in the log", denied);
	CHECK(gt_log_count(&g, "\"hook\":\"mmap\"", "\"kind\":\"memfd\"", "\"reason\":\"unlisted\""),
	      "no mmap/memfd/unlisted line");
	CHECK(gt_log_count(&g, "\"hook\":\"exec\"", "\"kind\":\"shmem\"", NULL), "no exec/shmem line");
	CHECK(gt_log_count(&g, "\"hook\":\"exec\"", "\"kind\":\"unlinked\"", NULL), "no exec/unlinked line");
	CHECK(gt_log_count(&g, "\"hook\":\"prctl\"", NULL, NULL), "no prctl line");
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0 after SIGTERM");

	/* Detached: the attacks work again. */
	CHECK(run(&attacks[0], false) == GT_OK, "fexecve still refused after the guard detached");

	/* Audit mode: everything runs, everything is logged. */
	gt_start(&g, memward, "mode audit\n", NULL);
	for (size_t i = 0; i < NATTACKS; i++) {
		int r;

		if (before[i] != GT_OK)
			continue;
		r = run(&attacks[i], false);
		CHECK(r == GT_OK, "%s in audit mode: %d (expected it to run)", attacks[i].name, r);
	}
	CHECK(gt_log_wait(&g, 5, "\"decision\":\"deny\"", "\"mode\":\"audit\"", NULL) >= 5,
	      "audit mode logged fewer than 5 would-be denials");
	CHECK(gt_stop(&g) == 0, "memward guard (audit) did not exit 0");
	unlink(g.log);
	return live_done();
}
