/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by memward wss / reclaim / mglru: arguments, targets, signals. */
#ifndef MW_CLI_RECLAIM_COMMON_H
#define MW_CLI_RECLAIM_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define RC_MAX_PIDS 64

/* "250ms", "10s", "2m", "1h" (a bare number is seconds) to microseconds. */
int rc_parse_duration(const char *s, uint64_t *us);
/* "64M", "1G", "4096" (K/M/G binary, optional trailing "B", "/s") to bytes. */
int rc_parse_bytes(const char *s, uint64_t *bytes);

/* The workload: a process or a cgroup. cgroup is always set (the pid's own
 * cgroup for a pid); pids holds the processes (the pid, or the cgroup's). */
struct rc_target {
	pid_t pid;               /* 0 for --cgroup */
	char cgroup[4096];       /* below the cgroup2 root */
	pid_t pids[RC_MAX_PIDS];
	size_t nr_pids;          /* 0 when the cgroup has more than RC_MAX_PIDS */
	bool too_many;
};
/* Fill t from a PID argument or a --cgroup value; prints why on failure. */
int rc_target_resolve(const char *pid_arg, const char *cgroup, struct rc_target *t);

/* SIGINT/SIGTERM/SIGHUP set rc_stop (no SA_RESTART: sleeps end early). */
extern volatile sig_atomic_t rc_stop;
void rc_signals_install(void);
/* Sleep us microseconds or until a signal asks to stop. */
void rc_sleep(uint64_t us);
/* Monotonic and CPU clocks in microseconds. */
uint64_t rc_now_us(void);
/* CPU time (user+sys) of a thread/process from /proc, in microseconds; 0 unknown. */
uint64_t rc_task_cpu_us(pid_t pid);

#endif
