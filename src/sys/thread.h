/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting a helper thread that runs at once. A new thread is queued on its
 * creator's CPU; while the creator keeps that CPU busy, the thread waits for
 * the scheduler's next balancing to move it to an idle one: 1.5 to 4 ms on
 * the 2-CPU virtual machines this was measured on (a 1 ms phase of work
 * then ran on one CPU). mw__thread_create() asks for another CPU than the
 * creator's at creation (the thread then starts within 0.05 to 0.25 ms),
 * and gives the thread back every CPU it may use as it starts. Header-only:
 * the library and the command line (which uses no library internals)
 * include it.
 */
#ifndef MW_SYS_THREAD_H
#define MW_SYS_THREAD_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>

struct mw__thread_job {
	void *(*fn)(void *);
	void *arg;
	bool restore;           /* set the CPUs of all back as the thread starts */
	cpu_set_t all;
};

static void *mw__thread_main(void *p)
{
	struct mw__thread_job j = *(struct mw__thread_job *)p;

	free(p);
	if (j.restore)
		(void)sched_setaffinity(0, sizeof(j.all), &j.all);
	return j.fn(j.arg);
}

/* pthread_create(t, NULL, fn, arg), on another CPU than this thread's when
 * there is one. 0 or an error number, as pthread_create(). */
static inline int mw__thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	struct mw__thread_job *j = malloc(sizeof(*j));
	pthread_attr_t at;
	int cpu = sched_getcpu(), err;

	if (!j)
		return ENOMEM;
	j->fn = fn;
	j->arg = arg;
	j->restore = false;
	if (pthread_attr_init(&at) != 0) {
		free(j);
		return ENOMEM;
	}
	if (cpu >= 0 && cpu < CPU_SETSIZE && sched_getaffinity(0, sizeof(j->all), &j->all) == 0 &&
	    CPU_ISSET(cpu, &j->all) && CPU_COUNT(&j->all) > 1) {
		cpu_set_t others = j->all;

		CPU_CLR(cpu, &others);
		j->restore = pthread_attr_setaffinity_np(&at, sizeof(others), &others) == 0;
	}
	err = pthread_create(t, &at, mw__thread_main, j);
	if (err && j->restore) {
		/* a sandbox that refuses sched_setaffinity: start it anywhere */
		j->restore = false;
		err = pthread_create(t, NULL, mw__thread_main, j);
	}
	pthread_attr_destroy(&at);
	if (err)
		free(j);
	return err;
}

#endif
