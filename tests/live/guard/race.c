/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * guard-race: a listed program executes fd X again and again while a thread
 * and a clone(CLONE_FILES) sibling (a process sharing the fd table) swap a
 * sealed memfd (payload exits 42) and an unsealed one (exits 66) into X.
 * The kernel checks the file it opened, so 66 must never be seen.
 *
 * Each attempt is made cheap enough for 100,000 of them under TCG: the
 * payloads are 130-byte static ELFs that exit at once (no libc, no loader);
 * attempts run in a clone(CLONE_VM | CLONE_VFORK | CLONE_FILES) child (no
 * page tables copied) that keeps trying until an exec succeeds, since a
 * refused exec returns to it. X holds the unsealed memfd except for the
 * moment between a swapper's two dup2 calls, so most attempts are refusals
 * (168 us each in the 6.12 guest under TCG, against 1,139 us for a sealed
 * exec, clone to wait) and each sealed moment is a chance for the race the
 * user-space supervisor loses: X names the sealed file when the exec starts
 * and the unsealed one an instant later. The swappers sleep between swaps:
 * spinning vCPUs take host time from the exec loop's vCPU under TCG.
 * An attempt counts as "raced" when X was swapped while the exec was in
 * flight (a swap counter moved between just before the call and its return,
 * or, for an exec that succeeded, the moment the parent resumed); the
 * figures go to the matrix log (live_figure).
 *
 * Target: MW_GUARD_RACE_ATTEMPTS attempts (default 100,000; the kernel
 * matrix sets fewer on the 6.1 profiles, mw.race= in tests/vm/matrix),
 * within a budget of 180 s (about 45 s on an idle 2-core host; the guests run
 * their tests one at a time, 240 s each); fewer than the target fails.
 *
 * usage: live-guard-race MEMWARD
 */
#include "attacks.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#define X 100
#define BATCH 256     /* attempts per child before it exits and a new one starts */
#define BUDGET_S 180

static int sealed_fd, unsealed_fd;

/* Swap counters, seen by the exec child (CLONE_VM) and the sibling (a
 * separate address space: MAP_SHARED). */
struct shared {
	volatile unsigned long gen;  /* bumped after every dup2 into X */
	volatile int stop;
};
static struct shared *sh;

/* Written by the exec child, read by the parent once it resumes. */
static struct {
	unsigned long attempts, refused, other, raced, start_gen;
	int last_errno;
} st;

static const struct timespec pause_ts = { 0, 20000 };

static void swap_loop(int first, int second)
{
	while (!sh->stop) {
		dup2(first, X);
		__atomic_fetch_add(&sh->gen, 1, __ATOMIC_SEQ_CST);
		dup2(second, X);
		__atomic_fetch_add(&sh->gen, 1, __ATOMIC_SEQ_CST);
		/* Sleep between swaps: a swapper spinning on a vCPU takes host
		 * time from the exec loop's vCPU under TCG; a swap every
		 * ~100 us is still several per attempt. */
		nanosleep(&pause_ts, NULL);
	}
}

static void *swap_thread(void *a)
{
	(void)a;
	swap_loop(sealed_fd, unsealed_fd);
	return NULL;
}

static int swap_sibling(void *a)
{
	(void)a;
	swap_loop(sealed_fd, unsealed_fd);
	return 0;
}

static char stack_exec[65536] __attribute__((aligned(16)));
static char stack_sib[65536] __attribute__((aligned(16)));

/* The vfork child: try until an exec works (the process is then the
 * payload) or BATCH refusals. Shares memory with the suspended parent. */
static int exec_x(void *a)
{
	(void)a;
	for (int i = 0; i < BATCH; i++) {
		unsigned long g0 = __atomic_load_n(&sh->gen, __ATOMIC_SEQ_CST);

		st.start_gen = g0;
		st.attempts++;
		syscall(SYS_execveat, X, "", gt_argv, gt_envp, AT_EMPTY_PATH);
		if (errno == EPERM) {
			st.refused++;
		} else {
			st.other++;
			st.last_errno = errno;
		}
		if (__atomic_load_n(&sh->gen, __ATOMIC_SEQ_CST) != g0)
			st.raced++;
	}
	_exit(1);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static unsigned long target(void)
{
	const char *e = getenv("MW_GUARD_RACE_ATTEMPTS");
	unsigned long n = e ? strtoul(e, NULL, 10) : 0;

	return n ? n : 100000;
}

/* us per attempt with X fixed (no swapping): what a refused and what a
 * successful exec cost here, printed with the race's figures. */
static double calibrate(int fd, int n, int want)
{
	double t0 = now();

	dup2(fd, X);
	for (int i = 0; i < n;) {
		unsigned long before = st.attempts;
		pid_t pid = clone(exec_x, stack_exec + sizeof(stack_exec), CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD,
				  NULL);
		int r = pid > 0 ? live_wait(pid) : -1;

		if (r != want)
			return -(double)(r ? r : 1000);
		i += (int)(st.attempts - before);
	}
	return (now() - t0) * 1e6 / n;
}

/* Runs exec'ed under the guard (listed). */
static int race_part(void)
{
	unsigned long want = target(), ran = 0, bad = 0, odd = 0, children = 0, raced_ok = 0;
	pthread_t t;
	pid_t sib;
	double t0, dt;
	char line[640];
	double cal_refused, cal_ok;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(sh != MAP_FAILED, "mmap: %s", strerror(errno));
	sealed_fd = gt_payload(MFD_CLOEXEC, GT_OK, gt_all_seals());
	unsealed_fd = gt_payload(MFD_CLOEXEC, GT_BAD, 0);
	REQUIRE(sealed_fd >= 0 && unsealed_fd >= 0, "payload memfds: %d %d", sealed_fd, unsealed_fd);
	/* (sealed first: the allow lines checked below come first in the log) */
	cal_ok = calibrate(sealed_fd, 200, GT_OK);
	cal_refused = calibrate(unsealed_fd, 4 * BATCH, 1);
	/* (a negative figure is the exit code that stopped the loop) */
	REQUIRE(cal_ok > 0, "X fixed on the sealed memfd: exit %.0f (expected 42)", -cal_ok);
	REQUIRE(cal_refused > 0, "X fixed on the unsealed memfd: exit %.0f (expected 1: every exec refused; 66: "
		"the unsealed payload ran)", -cal_refused);
	memset(&st, 0, sizeof(st));
	dup2(unsealed_fd, X);
	REQUIRE(pthread_create(&t, NULL, swap_thread, NULL) == 0, "pthread_create");
	sib = clone(swap_sibling, stack_sib + sizeof(stack_sib), CLONE_FILES | SIGCHLD, NULL);
	REQUIRE(sib > 0, "clone(CLONE_FILES): %s", strerror(errno));
	t0 = now();
	while (st.attempts < want && now() - t0 < BUDGET_S) {
		pid_t pid = clone(exec_x, stack_exec + sizeof(stack_exec), CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD,
				  NULL);
		int r;

		REQUIRE(pid > 0, "clone(CLONE_VM|CLONE_VFORK): %s", strerror(errno));
		/* Resumed: the child exec'ed (the file check is long past) or quit. */
		unsigned long g1 = __atomic_load_n(&sh->gen, __ATOMIC_SEQ_CST);

		children++;
		r = live_wait(pid);
		if (r == 1)
			continue; /* BATCH refusals, counted by the child */
		if (g1 != st.start_gen)
			raced_ok++;
		if (r == GT_OK)
			ran++;
		else if (r == GT_BAD)
			bad++;
		else
			odd++;
	}
	dt = now() - t0;
	sh->stop = 1;
	pthread_join(t, NULL);
	live_wait(sib);
	snprintf(line, sizeof(line),
		 "guard-race: %lu exec attempts in %.1f s (%.0f us each, %lu children, %lu fd swaps): %lu sealed "
		 "ran, %lu refused, %lu unsealed ran, %lu other (last errno %d), %lu odd exits; raced (X swapped "
		 "during the exec): %lu refused + %lu succeeded; without swapping a refused exec takes %.0f us, "
		 "a sealed one (clone, exec, exit, wait) %.0f us\n",
		 st.attempts, dt, dt * 1e6 / (double)(st.attempts ? st.attempts : 1), children, sh->gen, ran,
		 st.refused, bad, st.other, st.last_errno, odd, st.raced, raced_ok, cal_refused, cal_ok);
	fputs(line, stdout);
	live_figure(line);
	CHECK(bad == 0, "%lu unsealed execs ran", bad);
	CHECK(st.attempts >= want, "only %lu of %lu attempts in %d s", st.attempts, want, BUDGET_S);
	CHECK(st.other == 0 && odd == 0, "%lu unexpected errors, %lu odd exit codes", st.other, odd);
	CHECK(ran > 0 && st.refused > 0, "the swap never raced (ran %lu, refused %lu)", ran, st.refused);
	CHECK(st.raced + raced_ok >= st.attempts / 100, "X swapped during only %lu attempts",
	      st.raced + raced_ok);
	return live_done();
}

int main(int argc, char **argv)
{
	struct gt_guard g;
	char self[400];
	int r;

	if (argc == 3 && !strcmp(argv[1], "--race"))
		return race_part();
	if (argc != 2) {
		fprintf(stderr, "usage: %s MEMWARD\n", argv[0]);
		return 2;
	}
	gt_require_lsm();
	gt_start_listing_self(&g, argv[1], self, sizeof(self));
	/* One event per attempt: the guard formats them at the lowest priority
	 * (the ring buffer drops what it cannot keep up with; the kernel's
	 * decisions do not wait for it). */
	setpriority(PRIO_PROCESS, (id_t)g.pid, 19);
	r = gt_reexec("--race", argv[1]);
	CHECK(r == 0, "the race as a listed program failed (%d)", r);
	CHECK(gt_log_count(&g, "\"decision\":\"allow\"", NULL, NULL) > 0, "no allow line");
	CHECK(gt_stop(&g) == 0, "memward guard did not exit 0");
	unlink(g.log);
	return live_done();
}
