/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guard-race: a listed program executes fd X again and again while a thread
 * and a clone(CLONE_FILES) sibling (a process sharing the fd table) swap a
 * sealed memfd (payload exits 42) and an unsealed one (exits 66) into X.
 * The kernel checks the file it opened, so 66 must never be seen. Stops at
 * 100,000 execs or after 20 s (TCG guests are slow), prints the count and
 * needs at least 200 with both outcomes seen (the swap really raced).
 *
 * usage: live-guard-race MEMWARD
 */
#include "attacks.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#define X 100
static int sealed_fd, unsealed_fd;
static volatile int stop;

static unsigned long swaps;

/* Yield between swaps: two vCPUs under TCG, and the exec loop must run. */
static void *swap_thread(void *a)
{
	(void)a;
	while (!stop) {
		dup2(sealed_fd, X);
		dup2(unsealed_fd, X);
		swaps += 2;
		sched_yield();
	}
	return NULL;
}

static int swap_sibling(void *a)
{
	(void)a;
	for (;;) {
		dup2(unsealed_fd, X);
		dup2(sealed_fd, X);
		sched_yield();
	}
	return 0;
}

static char stack_exec[65536] __attribute__((aligned(16)));
static char stack_sib[65536] __attribute__((aligned(16)));

static int exec_x(void *a)
{
	(void)a;
	syscall(SYS_execveat, X, "", gt_argv, gt_envp, AT_EMPTY_PATH);
	_exit(gt_err());
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#define BUDGET_S 20

/* Runs exec'ed under the guard (listed). */
static int race_part(void)
{
	long ran = 0, refused = 0, bad = 0, other = 0, n = 0;
	pthread_t t;
	pid_t sib;
	double t0;

	sealed_fd = gt_payload(MFD_CLOEXEC, GT_OK, gt_all_seals());
	unsealed_fd = gt_payload(MFD_CLOEXEC, GT_BAD, 0);
	REQUIRE(sealed_fd >= 0 && unsealed_fd >= 0, "payload memfds: %d %d", sealed_fd, unsealed_fd);
	dup2(sealed_fd, X);
	REQUIRE(pthread_create(&t, NULL, swap_thread, NULL) == 0, "pthread_create");
	sib = clone(swap_sibling, stack_sib + sizeof(stack_sib), CLONE_FILES | SIGCHLD, NULL);
	REQUIRE(sib > 0, "clone(CLONE_FILES): %s", strerror(errno));
	t0 = now();
	for (n = 0; n < 100000; n++) {
		pid_t pid = clone(exec_x, stack_exec + sizeof(stack_exec), CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD,
				  NULL);
		int r;

		if (pid < 0) {
			other++;
			continue;
		}
		r = live_wait(pid);
		if (r == GT_OK)
			ran++;
		else if (r == 100 + EPERM)
			refused++;
		else if (r == GT_BAD)
			bad++;
		else
			other++;
		if ((n & 15) == 0 && now() - t0 > BUDGET_S)
			break;
	}
	stop = 1;
	pthread_join(t, NULL);
	kill(sib, SIGKILL);
	live_wait(sib);
	printf("%ld execs, %lu fd swaps by the thread, in %.1f s: %ld sealed ran, %ld unsealed refused, "
	       "%ld unsealed ran, %ld other\n", n, swaps, now() - t0, ran, refused, bad, other);
	CHECK(bad == 0, "%ld unsealed execs ran", bad);
	CHECK(n >= 200, "only %ld execs", n);
	CHECK(ran > 0 && refused > 0, "the swap never raced (ran %ld, refused %ld)", ran, refused);
	return live_done();
}

int main(int argc, char **argv)
{
	struct gt_guard g;
	char policy[600], self[400];
	ssize_t len;
	int r;

	if (argc == 3 && !strcmp(argv[1], "--race"))
		return race_part();
	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	gt_require_lsm();
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	REQUIRE(len > 0, "readlink: %s", strerror(errno));
	self[len] = '\0';
	snprintf(policy, sizeof(policy), "mode enforce\nallow-exec-memfd %s\n", self);
	gt_start(&g, argv[1], policy, NULL);
	r = gt_reexec("--race", argv[1]);
	CHECK(r == 0, "the race as a listed program failed (%d)", r);
	CHECK(gt_log_count(&g, "\"decision\":\"allow\"", NULL, NULL) > 0, "no allow line");
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0");
	unlink(g.log);
	return live_done();
}
