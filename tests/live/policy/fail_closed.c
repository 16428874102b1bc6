/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor under load, and when it dies (issue 14: "fail-closed held,
 * the supervisor kept up with 8 threads"): 8 threads of an unlisted program
 * call memfd_create in a loop under --policy. While memward runs every call
 * gets a memfd (made by the supervisor) and memward's fds do not grow; after
 * memward is killed with SIGKILL every intercepted call fails (ENOSYS), none
 * succeeds again, and none "succeeds" with a memfd that was never installed
 * (what SECCOMP_ADDFD_FLAG_SEND gives when the supervisor dies mid-call: the
 * call returned 0, an fd that was open already).
 *
 * usage: live-policy-fail-closed MEMWARD
 *        live-policy-fail-closed threads SECONDS
 */
#include "policy_common.h"

#include <pthread.h>

static const char *memward;

#define NTHREADS 8

struct counts {
	double end;
	long ok, enosys, other, after_death; /* after_death: success after an ENOSYS */
	long stale;                          /* "success" with an fd that was open already */
};

static void *worker(void *p)
{
	struct counts *c = p;
	bool dead = false;

	while (pc_now() < c->end) {
		int fd = mw_sys_memfd_create("load", MFD_CLOEXEC);

		if (fd >= 0 && fd <= 2) {
			/* 0-2 stay open all along: not a new memfd. */
			c->stale++;
		} else if (fd >= 0) {
			c->ok++;
			if (dead)
				c->after_death++;
			close(fd);
		} else if (errno == ENOSYS) {
			c->enosys++;
			dead = true;
		} else {
			c->other++;
		}
	}
	return NULL;
}

static int threads(double seconds)
{
	struct counts c[NTHREADS];
	pthread_t t[NTHREADS];
	long ok = 0, enosys = 0, other = 0, after = 0, stale = 0;
	int fds = live_count_fds();
	double end = pc_now() + seconds;

	for (int i = 0; i < NTHREADS; i++) {
		c[i] = (struct counts){ .end = end };
		REQUIRE(pthread_create(&t[i], NULL, worker, &c[i]) == 0, "pthread_create");
	}
	usleep(300 * 1000);
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		ok += c[i].ok;
		enosys += c[i].enosys;
		other += c[i].other;
		after += c[i].after_death;
		stale += c[i].stale;
	}
	printf("calls: %ld ok, %ld ENOSYS, %ld other errors, %ld ok after an ENOSYS, %ld returned an old fd; "
	       "fds %d -> %d\n", ok, enosys, other, after, stale, fds, live_count_fds());
	fflush(stdout);
	return 0;
}

static int fd_count_of(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

static int min_fd_count(pid_t pid)
{
	int m = -1;

	for (int i = 0; i < 20; i++) {
		int n = fd_count_of(pid);

		if (n >= 0 && (m < 0 || n < m))
			m = n;
		usleep(5000);
	}
	return m;
}

int main(int argc, char **argv)
{
	char policy[512], buf[4096], line[512];
	const char *self, *dir;
	long ok = -1, enosys = -1, other = -1, after = -1, stale = -1;
	int fds[2], n1, n2, fa = -1, fb = -2;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "threads"))
		return threads(atof(argv[2]));
	REQUIRE(argc == 2, "usage: live-policy-fail-closed MEMWARD");
	memward = argv[1];
	self = pc_self();
	dir = pc_tmpdir();
	snprintf(policy, sizeof(policy), "%s/policy", dir);
	pc_write_file(policy, "mode enforce\n", 0644);

	REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe");
	pid = fork();
	REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		dup2(fds[1], 1);
		execl(memward, memward, "run", "--policy", policy, "--log", "/dev/null", "--", self, "threads", "4",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	REQUIRE(n > 0 && strstr(buf, "ready"), "the supervised program did not start");
	/* Under load: memward's own fd count does not grow. */
	/* The supervisor holds a memfd of its own for a moment per call: take
	 * the smallest of several samples. */
	n1 = min_fd_count(pid);
	usleep(500 * 1000);
	n2 = min_fd_count(pid);
	/* Thousands of calls in between: a leak per call would show as
	 * thousands of fds, not one. */
	CHECK(n1 > 0 && n2 <= n1 + 1, "memward's fds went from %d to %d under load", n1, n2);
	kill(pid, SIGKILL);
	live_wait(pid);
	/* The program keeps running without its supervisor; read its end. */
	while (got < sizeof(buf) - 1 && (n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fds[0]);
	{
		char *p = strstr(buf, "calls:");
		if (p) {
			snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
			printf("%s\n", line);
			sscanf(p, "calls: %ld ok, %ld ENOSYS, %ld other errors, %ld ok after an ENOSYS, %ld returned an "
			       "old fd; fds %d -> %d", &ok, &enosys, &other, &after, &stale, &fa, &fb);
		}
	}
	REQUIRE(ok >= 0, "no summary from the supervised program:\n%s", buf);
	CHECK(ok > 0, "no memfd_create succeeded while memward ran");
	CHECK(enosys > 0, "no memfd_create failed after memward was killed");
	CHECK(after == 0, "%ld calls succeeded after the supervisor was gone (not fail-closed)", after);
	CHECK(other == 0, "%ld calls failed with another error", other);
	CHECK(stale == 0, "%ld calls \"succeeded\" with an fd that was open already (no memfd installed)", stale);
	/* A supervisor killed between installing a memfd and answering leaves
	 * that (non-executable) memfd behind, at most one per thread. */
	CHECK(fb >= fa && fb - fa <= NTHREADS, "the supervised program's fds went from %d to %d", fa, fb);
	unlink(policy);
	rmdir(dir);
	return live_done();
}
