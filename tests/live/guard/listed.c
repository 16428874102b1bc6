/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guard-listed: the runc pattern under the guard. This program is listed
 * (allow-exec-memfd with its own path): it runs a fully sealed memfd copy of
 * itself (also from a thread of a multi-threaded process, like a Go runtime)
 * and maps a sealed memfd executable; it is refused an unsealed copy, a copy
 * without the write seal, and shared memory that is not a memfd.
 *
 * usage: live-guard-listed MEMWARD
 */
#include "attacks.h"

#include <pthread.h>

static unsigned int seals;

/* A memfd copy of this program, sealed with s (0: unsealed). */
static int self_copy(unsigned int s)
{
	return gt_memfd_copy("/proc/self/exe", "gt-self", MFD_ALLOW_SEALING | MFD_CLOEXEC, s);
}

static int run_self(void *arg)
{
	int fd = self_copy((unsigned int)(uintptr_t)arg);
	char *args[] = { "gt-self", "--payload", NULL };

	if (fd < 0)
		return 200;
	fexecve(fd, args, gt_envp);
	return gt_err();
}

static void *spin(void *x)
{
	(void)x;
	for (;;)
		pause();
	return NULL;
}

static void *exec_thread(void *arg)
{
	_exit(run_self(arg));
	return NULL;
}

/* Four threads, then exec from a thread that is not the leader. */
static int run_self_threads(void *arg)
{
	pthread_t t;

	for (int i = 0; i < 4; i++)
		if (pthread_create(&t, NULL, spin, NULL))
			return 201;
	if (pthread_create(&t, NULL, exec_thread, arg))
		return 201;
	pthread_join(t, NULL);
	return 202;
}

static int map_sealed(void *arg)
{
	int fd = gt_payload(MFD_CLOEXEC, GT_OK, (unsigned int)(uintptr_t)arg);
	void *p;

	if (fd < 0)
		return 200;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	return p == MAP_FAILED ? gt_err() : GT_OK;
}

/* Runs exec'ed under the guard, so the kernel knows it as listed. */
static int listed_part(void)
{
	int r;

	seals = gt_all_seals();
	r = gt_child(run_self, (void *)(uintptr_t)seals);
	CHECK(r == GT_OK, "sealed copy of itself: %d (expected it to run, 42)", r);
	r = gt_child(run_self_threads, (void *)(uintptr_t)seals);
	CHECK(r == GT_OK, "sealed copy from a thread of a 6-thread process: %d (expected 42)", r);
	r = gt_child(run_self, (void *)0);
	CHECK(r == 100 + EPERM, "unsealed copy: %d (expected EPERM, 101)", r);
	/* Without exec too: on 6.3+ F_SEAL_EXEC on an executable memfd adds
	 * the write seals by itself (mm/memfd.c, memfd_add_seals). */
	r = gt_child(run_self, (void *)(uintptr_t)(seals & ~(unsigned int)(F_SEAL_WRITE | F_SEAL_EXEC)));
	CHECK(r == 100 + EPERM, "copy without the write seal: %d (expected 101)", r);
	r = gt_child(run_self_threads, (void *)0);
	CHECK(r == 100 + EPERM, "unsealed copy from a thread: %d (expected 101)", r);
	r = gt_child(map_sealed, (void *)(uintptr_t)seals);
	CHECK(r == GT_OK, "PROT_EXEC mapping of a sealed memfd: %d (expected 42)", r);
	r = gt_child(map_sealed, (void *)0);
	CHECK(r == 100 + EPERM, "PROT_EXEC mapping of an unsealed memfd: %d (expected 101)", r);
	r = gt_child(a_shared_anon, NULL);
	CHECK(r == 100 + EPERM, "shared anonymous memory through map_files: %d (expected 101)", r);
	r = gt_child(a_sysv, NULL);
	CHECK(r == 100 + EPERM || r == GT_NA, "SysV segment through map_files: %d (expected 101)", r);
	r = gt_child(a_hugetlb_exec_sealed, NULL);
	CHECK(r == 100 + EPERM || r == GT_NA, "sealed hugetlb memfd exec by a listed program: %d (expected 101)", r);
	r = gt_child(a_hugetlb_chmod, NULL);
	CHECK(r == 100 + EPERM || r == GT_NA, "hugetlb memfd chmod +x: %d (expected 101)", r);
	return live_done();
}

int main(int argc, char **argv)
{
	struct gt_guard g;
	char self[400];
	int r;

	if (argc >= 2 && !strcmp(argv[1], "--payload"))
		return GT_OK;
	if (argc == 3 && !strcmp(argv[1], "--listed"))
		return listed_part();
	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	gt_require_lsm();
	gt_start_listing_self(&g, argv[1], self, sizeof(self));
	/* This process ran before the guard: it is not known as listed. */
	r = gt_child(run_self, (void *)(uintptr_t)gt_all_seals());
	CHECK(r == 100 + EPERM, "sealed copy from a process that predates the guard: %d (expected 101)", r);
	r = gt_reexec("--listed", argv[1]);
	CHECK(r == 0, "the checks as a listed program failed (%d)", r);

	CHECK(gt_log_wait(&g, 3, "\"decision\":\"allow\"", "\"reason\":\"listed\"", NULL) >= 3,
	      "fewer than 3 allow/listed lines");
	CHECK(gt_log_count(&g, "\"reason\":\"seals\"", NULL, NULL) >= 2, "fewer than 2 deny/seals lines");
	CHECK(gt_log_count(&g, "\"listed\":true", self, NULL) >= 1, "no line names the listed path");
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0 after SIGTERM");
	unlink(g.log);
	return live_done();
}
