/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mw__thread_create() (src/sys/thread.h): the thread runs its function with
 * its argument, on every CPU its creator may use (the placement on another
 * CPU is for its start only), and still starts where sched_setaffinity is
 * refused (a seccomp sandbox).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/thread.h"

struct seen {
	int arg;
	cpu_set_t mask;
	int got_mask;
};

static void *record(void *p)
{
	struct seen *s = p;

	s->got_mask = sched_getaffinity(0, sizeof(s->mask), &s->mask) == 0;
	s->arg *= 2;
	return s;
}

static void all_cpus(void **state)
{
	struct seen s = { .arg = 21 };
	cpu_set_t mine;
	pthread_t t;
	void *ret = NULL;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	assert_int_equal(mw__thread_create(&t, record, &s), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_ptr_equal(ret, &s);
	assert_int_equal(s.arg, 42);
	assert_true(s.got_mask);
	assert_true(CPU_EQUAL(&s.mask, &mine));
}

static void one_cpu(void **state)
{
	cpu_set_t all, one;
	struct seen s = { .arg = 1 };
	pthread_t t;
	int c = 0;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	while (!CPU_ISSET(c, &all))
		c++;
	CPU_ZERO(&one);
	CPU_SET(c, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(mw__thread_create(&t, record, &s), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
	assert_int_equal(s.arg, 2);
	assert_true(CPU_EQUAL(&s.mask, &one));
}

/* In a child: sched_setaffinity refused with EPERM, the thread must start. */
static void affinity_refused(void **state)
{
	cpu_set_t all;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	if (CPU_COUNT(&all) < 2)
		skip(); /* no other CPU: the placement is never asked for */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		struct seen s = { .arg = 5 };
		pthread_t t;

		int loaded;

		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(sched_setaffinity), 0))
			_exit(3);
		loaded = seccomp_load(ctx);
		seccomp_release(ctx);
		if (loaded)
			_exit(77); /* no seccomp here (valgrind does not run the syscall) */
		if (mw__thread_create(&t, record, &s) != 0)
			_exit(1);
		pthread_join(t, NULL);
		_exit(s.arg == 10 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* seccomp_load() failed: nothing to test */
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_cpus),
		cmocka_unit_test(one_cpu),
		cmocka_unit_test(affinity_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
