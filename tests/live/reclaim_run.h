/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run `memward reclaim` or `memward wss` for a while and read its JSON lines
 * (guest tests of the reclaim capabilities), and a memory hog that keeps
 * memory pressure (PSI) up.
 */
#ifndef MW_RECLAIM_RUN_H
#define MW_RECLAIM_RUN_H

#include "reclaim_workload.h"

#include <poll.h>

static inline uint64_t rr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Run argv with stdout (and stderr) into out for ms milliseconds, calling
 * mid(arg) once at mid_ms (0: never) while it runs, then SIGTERM it (the
 * daemon mode's way to stop) and wait. Returns its exit status (as
 * live_wait), or the status it ended with on its own before the time.
 */
static inline int rr_run_for(char *const argv[], uint64_t ms, uint64_t mid_ms, void (*mid)(void *), void *arg,
			     char *out, size_t size)
{
	uint64_t t0 = rr_now_ms();
	size_t len = 0;
	bool termed = false, mid_done = !mid || !mid_ms;
	int fds[2];
	pid_t pid;

	REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		uint64_t el = rr_now_ms() - t0;
		ssize_t n;

		if (!mid_done && el >= mid_ms) {
			mid(arg);
			mid_done = true;
		}
		if (!termed && el >= ms) {
			kill(pid, SIGTERM);
			termed = true;
		}
		if (el >= ms + 30000) /* SIGTERM did not end it: a failure the caller sees */
			kill(pid, SIGKILL);
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fds[0], out + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1) { /* full: stop it, keep what came */
			kill(pid, SIGTERM);
			termed = true;
			char spill[4096];

			while (read(fds[0], spill, sizeof(spill)) > 0)
				;
			break;
		}
	}
	close(fds[0]);
	out[len] = '\0';
	printf("%s", out);
	return live_wait(pid);
}

/* The number after "key": on a JSON line (up to its newline); -1 when absent or null. */
static inline long long rr_json(const char *line, const char *key)
{
	char k[64];
	const char *nl = strchr(line, '\n'), *p;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(line, k);
	if (!p || (nl && p > nl))
		return -1;
	p += strlen(k);
	if (!strncmp(p, "true", 4))
		return 1;
	if (!strncmp(p, "false", 5))
		return 0;
	if (*p != '-' && (*p < '0' || *p > '9'))
		return -1;
	return strtoll(p, NULL, 10);
}

/* The string after "key": on a JSON line into buf ("" when absent). */
static inline const char *rr_json_str(const char *line, const char *key, char *buf, size_t len)
{
	char k[64];
	const char *nl = strchr(line, '\n'), *p;
	size_t n = 0;

	buf[0] = '\0';
	snprintf(k, sizeof(k), "\"%s\":\"", key);
	p = strstr(line, k);
	if (!p || (nl && p > nl))
		return buf;
	for (p += strlen(k); *p && *p != '"' && n + 1 < len; p++)
		buf[n++] = *p;
	buf[n] = '\0';
	return buf;
}

/* The JSON sample lines (those with "time_ms"), in order: up to max. */
static inline size_t rr_samples(const char *out, const char **lines, size_t max)
{
	size_t n = 0;

	for (const char *l = out; l && *l && n < max; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "{\"time_ms\":", 11))
			lines[n++] = l;
	return n;
}

/*
 * A hog: a process in cgroup dir (created here) whose memory.max is max_mib
 * while it keeps writing total_mib of anonymous memory, so it swaps and
 * refaults all the time: memory pressure (PSI "some") for its cgroup, its
 * parents and the system. Needs swap (the guests' zram).
 */
static inline struct workload rr_hog_start(const char *dir, unsigned int max_mib, unsigned int total_mib)
{
	char p[512], v[32];
	struct workload w;

	snprintf(p, sizeof(p), "%s/memory.max", dir);
	snprintf(v, sizeof(v), "%u", max_mib << 20);
	REQUIRE(wl_write(p, v) == 0, "write %s: %s", p, strerror(errno));
	w = wl_start(dir, (uint64_t)total_mib * WL_MIB, (uint64_t)total_mib * WL_MIB, 1);
	wl_wait_ready(&w);
	return w;
}

/* The cgroup's PSI "some" total (us), -1 without PSI. */
static inline long long rr_psi_some(const char *dir)
{
	char p[512], buf[512] = "";
	const char *t;
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/memory.pressure", dir);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	t = strstr(buf, "some ");
	t = t ? strstr(t, "total=") : NULL;
	return t ? strtoll(t + 6, NULL, 10) : -1;
}

#endif
