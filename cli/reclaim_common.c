/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reclaim_common.h"
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <memward/memcg.h>

volatile sig_atomic_t rc_stop;

int rc_parse_duration(const char *s, uint64_t *us)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e7)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		v *= 1e3;
	else if (!strcmp(end, "us"))
		v *= 1;
	else if (!*end || !strcmp(end, "s"))
		v *= 1e6;
	else if (!strcmp(end, "m"))
		v *= 60e6;
	else if (!strcmp(end, "h"))
		v *= 3600e6;
	else
		return -EINVAL;
	*us = (uint64_t)v;
	return 0;
}

int rc_parse_bytes(const char *s, uint64_t *bytes)
{
	char *end;
	double v;
	double mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mult = 1024.0; end++; break;
	case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	default: break;
	}
	if (*end == 'i')
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (!strcmp(end, "/s"))
		end += 2;
	if (*end || v * mult > 1e18)
		return -EINVAL;
	*bytes = (uint64_t)(v * mult);
	return 0;
}

int rc_target_resolve(const char *pid_arg, const char *cgroup, struct rc_target *t)
{
	int ret;

	memset(t, 0, sizeof(*t));
	if (pid_arg) {
		char *end;
		long pid = strtol(pid_arg, &end, 10);

		if (*end || pid <= 0 || pid > INT32_MAX) {
			cli_err("'%s' is not a process id", pid_arg);
			return -EINVAL;
		}
		t->pid = (pid_t)pid;
		t->pids[0] = t->pid;
		t->nr_pids = 1;
		ret = mw_memcg_of_pid(t->pid, t->cgroup, sizeof(t->cgroup));
		if (ret == -ESRCH) {
			cli_err("no process %ld", pid);
			return ret;
		}
		if (ret < 0)
			t->cgroup[0] = '\0'; /* no cgroup v2: only the pid-based mechanisms work */
		return 0;
	}
	snprintf(t->cgroup, sizeof(t->cgroup), "%s", cgroup);
	ret = mw_memcg_pids(cgroup, t->pids, RC_MAX_PIDS, &t->nr_pids);
	if (ret < 0) {
		cli_err("cgroup '%s': %s", cgroup, ret == -ENOENT ? "no such cgroup (or no cgroup2 mount)" : strerror(-ret));
		return ret;
	}
	/* More than DAMON can target: the DAMON paths refuse (nr_pids 0 there),
	 * MGLRU and memory.reclaim work on the cgroup itself. */
	t->too_many = t->nr_pids > RC_MAX_PIDS;
	if (t->too_many)
		t->nr_pids = 0;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	rc_stop = 1;
}

void rc_signals_install(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed stdout (| head) must end the loop through cleanup, not kill us. */
	signal(SIGPIPE, SIG_IGN);
}

void rc_sleep(uint64_t us)
{
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

	while (!rc_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t rc_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t rc_task_cpu_us(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return 0;
	/* fields 14 and 15 (utime, stime) after the comm */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (ut + st) * 1000000ull / (unsigned long long)sysconf(_SC_CLK_TCK);
}
