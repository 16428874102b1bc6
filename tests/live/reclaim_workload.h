/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A workload with a known hot set for the reclaim tests (damon, mglru):
 * TOTAL bytes of anonymous memory (optionally plus a file-backed part), the
 * first HOT bytes written continuously, in its own cgroup. Sizes are scaled
 * for TCG guests (the 64 MiB hot in 256 MiB).
 */
#ifndef MW_RECLAIM_WORKLOAD_H
#define MW_RECLAIM_WORKLOAD_H

#include "live.h"

#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#define WL_MIB (1024ull * 1024)
#define CG_ROOT "/sys/fs/cgroup"

/* Tests that write DAMON or MGLRU state run only in the guests (the host's
 * DAMON and MGLRU must never be touched by a test). */
static inline void wl_require_vm(void)
{
	const char *vm = getenv("MW_IN_VM");

	if (!vm || strcmp(vm, "1"))
		live_skip("writes DAMON/MGLRU/cgroup state of the machine: runs in the QEMU guests only "
			  "(MW_IN_VM=1)");
	if (geteuid() != 0)
		live_skip("needs root (DAMON sysfs, debugfs lru_gen, cgroups)");
}

/* Is this guest a profile of kernel series name ("6.1", "6.12"), from
 * MW_EXPECT=/expect/PROFILE.expect? "6.1" matches 6.1-plain, not 6.12. */
static inline bool wl_profile(const char *name)
{
	const char *e = getenv("MW_EXPECT"), *b;
	size_t n = strlen(name);

	if (!e)
		return false;
	b = strrchr(e, '/') ? strrchr(e, '/') + 1 : e;
	return !strncmp(b, name, n) && (b[n] == '.' || b[n] == '-');
}

static inline int wl_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static inline long long wl_read_ll(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoll(buf, NULL, 10) : -1;
}

#define WL_DAMON_ADMIN "/sys/kernel/mm/damon/admin"
#define WL_NR_KDAMONDS WL_DAMON_ADMIN "/kdamonds/nr_kdamonds"

/* Every DAMON test's start: in a guest, as root, with DAMON sysfs (which
 * the 6.12 guest must have: a missing one there fails, elsewhere skips),
 * and no kdamond yet (the tests create and count their own). */
static inline void wl_require_damon(void)
{
	struct stat st;

	wl_require_vm();
	if (stat(WL_DAMON_ADMIN, &st) < 0) {
		int e = errno;

		CHECK(!wl_profile("6.12"), "the 6.12 guest has DAMON sysfs: %s", strerror(e));
		if (live_failures)
			exit(1);
		live_skip("no DAMON sysfs (stat " WL_DAMON_ADMIN ": %s)", strerror(e));
	}
	REQUIRE(wl_read_ll(WL_NR_KDAMONDS) == 0, "a kdamond exists before the test (%lld)",
		wl_read_ll(WL_NR_KDAMONDS));
}

/* A memory.stat key of cgroup dir, -1 if absent. */
static inline long long wl_memstat(const char *cg, const char *key)
{
	char path[512], line[256];
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", cg);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ' ')
			v = strtoll(line + kl + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Create (or reuse) CG_ROOT/name with the memory controller. */
static inline void wl_cgroup(const char *name, char *dir, size_t len)
{
	struct stat st;

	REQUIRE(stat(CG_ROOT "/cgroup.controllers", &st) == 0, "no cgroup2 mount at " CG_ROOT);
	snprintf(dir, len, CG_ROOT "/%s", name);
	REQUIRE(mkdir(dir, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", dir, strerror(errno));
}

struct workload {
	pid_t pid;
	int ready;   /* read end: one byte when the memory is touched */
};

/* Fork a child that joins cgroup dir, maps total bytes of anonymous memory
 * and shmem bytes of a memfd (file-backed, not anon: what an anon filter
 * tells apart), touches all of it, then writes the first hot bytes of the
 * anonymous part every period_ms until killed. */
static inline struct workload wl_start_mixed(const char *cg, uint64_t total, uint64_t hot, uint64_t shmem,
					     int period_ms)
{
	struct workload w;
	int p[2];

	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	fflush(stdout);
	w.pid = fork();
	REQUIRE(w.pid >= 0, "fork: %s", strerror(errno));
	if (w.pid == 0) {
		char path[512], me[32];
		long pg = sysconf(_SC_PAGESIZE);
		volatile char *m;
		struct timespec ts = { 0, (long)period_ms * 1000000L };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		snprintf(me, sizeof(me), "%d", (int)getpid());
		if (cg && wl_write(path, me) < 0)
			_exit(3);
		m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			_exit(4);
		/* No THP: DAMON and MGLRU count base pages; a huge page would make
		 * the hot/cold boundary 2 MiB-coarse and pageout split it. */
		madvise((void *)m, total, MADV_NOHUGEPAGE);
		for (uint64_t o = 0; o < total; o += (uint64_t)pg)
			m[o] = (char)(o >> 12 | 1);
		if (shmem) {
			int fd = memfd_create("mw-wl-shmem", MFD_CLOEXEC);
			volatile char *sm;

			if (fd < 0 || ftruncate(fd, (off_t)shmem) < 0)
				_exit(6);
			sm = mmap(NULL, shmem, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (sm == MAP_FAILED)
				_exit(6);
			for (uint64_t o = 0; o < shmem; o += (uint64_t)pg)
				sm[o] = 1;
		}
		if (write(p[1], "r", 1) != 1)
			_exit(5);
		for (unsigned gen = 0;; gen++) {
			for (uint64_t o = 0; o < hot; o += (uint64_t)pg)
				m[o] = (char)gen;
			nanosleep(&ts, NULL);
		}
	}
	close(p[1]);
	w.ready = p[0];
	return w;
}

static inline struct workload wl_start(const char *cg, uint64_t total, uint64_t hot, int period_ms)
{
	return wl_start_mixed(cg, total, hot, 0, period_ms);
}

/* Wait until the workload has touched its memory. */
static inline void wl_wait_ready(struct workload *w)
{
	char c;

	REQUIRE(read(w->ready, &c, 1) == 1, "workload %d did not start", (int)w->pid);
	close(w->ready);
}

static inline void wl_stop(struct workload *w)
{
	kill(w->pid, SIGKILL);
	live_wait(w->pid);
}

/* VmRSS-style split of a process: RssAnon and RssFile in bytes. */
static inline long long wl_rss(pid_t pid, const char *key)
{
	char path[64], line[256];
	long long kb = -1;
	size_t kl = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			kb = strtoll(line + kl + 1, NULL, 10);
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static inline void wl_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

#endif
