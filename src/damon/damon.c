/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Start, read and stop memward's own kdamond. memward creates a kdamond only
 * when none exists (writing nr_kdamonds recreates every kdamond directory,
 * and other DAMON users -- damo, DAMON_RECLAIM's sysfs twin, an operator's
 * kdamond -- would lose theirs), records it in /run/memward/damon under an
 * flock held for its lifetime, and removes it on stop. A record whose lock is
 * free belongs to a process that died: mw_damon_cleanup_stale() removes that
 * kdamond after checking, by its thread id, that it is still the one recorded.
 */
#include "damon/internal.h"
#include "core/opts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#define RUN_DIR "/run/memward"
#define RECORD RUN_DIR "/damon"

#define MAX_SCHEMES 16 /* as mw__damon_validate() allows */

struct mw_damon {
	int lock_fd;
	pid_t kpid;
	size_t nr_schemes;
	uint32_t held;                   /* bit s: scheme s is held (see hold_quotas()) */
	uint64_t age_min[MAX_SCHEMES];   /* the caller's access_pattern age minimum */
};

static int record_write(int fd, pid_t kpid)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "memward-damon owner=%d kdamond_pid=%d\n", (int)getpid(), (int)kpid);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno ? -errno : -EIO;
	return 0;
}

/* Open and lock the record. -EBUSY when another live process holds it. */
int mw__damon_record_lock(bool create, int *out)
{
	MW_AUTOCLOSE int fd = -1;
	char dir[512], rec[512];

	if (mw__damon_path(dir, sizeof(dir), RUN_DIR) < 0 || mw__damon_path(rec, sizeof(rec), RECORD) < 0)
		return -ENAMETOOLONG;
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(rec, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	*out = fd;
	fd = -1;
	return 0;
}

int mw__damon_nr_kdamonds(void)
{
	uint64_t n;
	int ret = mw__damon_readu(&n, DAMON_KDAMONDS "/nr_kdamonds");

	return ret < 0 ? ret : (int)n;
}

/* Write cmd to kdamond 0's state file. The kernel answers EBUSY while
 * another writer holds its DAMON sysfs lock or a command is still being
 * handled (seen in a TCG guest on a loaded host, a wss read failing with
 * "reading tried regions: Device or resource busy"): tried again every
 * 10 ms, up to 5 s. 0 or -errno. */
static int state_cmd(const char *cmd)
{
	int ret = -EBUSY;

	for (int i = 0; i < 500 && ret == -EBUSY; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		ret = mw__damon_write(cmd, DAMON_K0 "/state");
		if (ret == -EBUSY)
			nanosleep(&ts, NULL);
	}
	return ret;
}

/* Turn kdamond 0 off and remove it. Only called while it is memward's. */
int mw__damon_remove_k0(void)
{
	char state[16];
	int ret = 0;

	if (mw__damon_read(state, sizeof(state), DAMON_K0 "/state") > 0 && !strcmp(state, "on"))
		ret = state_cmd("off");
	/* The kthread may still be finishing; nr_kdamonds refuses with EBUSY
	 * then. Up to 10 s: 2 s was too short in a TCG guest on a loaded host
	 * (the kdamond was left behind and the stop failed). */
	for (int i = 0; i < 1000; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		ret = mw__damon_write("0", DAMON_KDAMONDS "/nr_kdamonds");
		if (ret != -EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	return ret;
}

/* With the record locked: remove the kdamond it names if it is still there. */
static int cleanup_locked(int fd)
{
	char buf[128], state[16];
	int owner = 0, kpid = 0;
	uint64_t cur;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	int ret = 0;

	if (n <= 0)
		return n < 0 ? -errno : 0;
	buf[n] = '\0';
	if (sscanf(buf, "memward-damon owner=%d kdamond_pid=%d", &owner, &kpid) != 2)
		return ftruncate(fd, 0) < 0 ? -errno : 0;
	if (mw__damon_nr_kdamonds() == 1) {
		bool on = mw__damon_read(state, sizeof(state), DAMON_K0 "/state") > 0 && !strcmp(state, "on");
		bool same = kpid > 0 ? on && mw__damon_readu(&cur, DAMON_K0 "/pid") == 0 && cur == (uint64_t)kpid
				     : !on;

		if (same) {
			ret = mw__damon_remove_k0();
			mw__log(LOG_NOTICE, "damon: removed kdamond 0 (thread %d) left by memward process %d: %s",
				kpid, owner, ret < 0 ? strerror(-ret) : "done");
			if (ret == 0)
				ret = 1;
		}
	}
	if (ftruncate(fd, 0) < 0 && ret >= 0)
		ret = -errno;
	return ret;
}

MW_API int mw_damon_cleanup_stale(void)
{
	MW_AUTOCLOSE int fd = -1;
	int ret = mw__damon_record_lock(false, &fd);

	if (ret == -ENOENT)
		return 0;
	return ret < 0 ? ret : cleanup_locked(fd);
}

static int take_kdamond(int fd, char *why, size_t wl)
{
	int nr, ret;

	ret = cleanup_locked(fd);
	if (ret < 0) {
		mw__damon_why(why, wl, "cannot remove the kdamond a dead memward process left: %s", strerror(-ret));
		return ret;
	}
	nr = mw__damon_nr_kdamonds();
	if (nr < 0) {
		mw__damon_why(why, wl, "cannot read nr_kdamonds: %s", strerror(-nr));
		return nr;
	}
	if (nr > 0) {
		mw__damon_why(why, wl, "%d kdamond(s) exist that memward did not create; adding one means writing "
			      "nr_kdamonds, which recreates their directories: refused", nr);
		return -EBUSY;
	}
	ret = record_write(fd, -1);
	if (ret == 0)
		ret = mw__damon_write("1", DAMON_KDAMONDS "/nr_kdamonds");
	if (ret < 0)
		mw__damon_why(why, wl, "cannot create a kdamond: %s", strerror(-ret));
	return ret;
}

static int turn_on(int fd, pid_t *kpid, char *why, size_t wl)
{
	uint64_t pid;
	int ret = mw__damon_write("on", DAMON_K0 "/state");

	if (ret < 0) {
		mw__damon_why(why, wl, "the kernel refused to start the context (%s): a target process gone, "
			      "or a value out of range", strerror(-ret));
		return ret;
	}
	ret = mw__damon_readu(&pid, DAMON_K0 "/pid");
	if (ret < 0)
		return ret;
	*kpid = (pid_t)pid;
	return record_write(fd, *kpid);
}

#define S DAMON_C0 "/schemes/%zu"
#define AGE_MIN S "/access_pattern/age/min"
#define HOLD_AGE 4294967295u /* the largest age sysfs takes: no region is that old */

/*
 * A quota bounds nothing until the kernel first sets it. DAMOS applies a
 * scheme without limit while its effective size quota (esz) is 0, and sets
 * esz only when a charge window starts: one reset interval after the scheme
 * first runs on kernels with the fix "set quota->charged_from to jiffies at
 * first charge window" (Linux 6.17, backported to stable), or -- without it
 * -- not before jiffies pass the reset interval, which is 5 minutes after
 * boot (jiffies start at -300 s). In that window a --psi-target scheme under
 * memory pressure paged out up to 24 MiB in the 6.12 guest.
 *
 * So every scheme with a quota (bytes, ms or goals) starts held: its age
 * minimum at the largest value, so no region qualifies. mw_damon_poll()
 * releases it (the caller's age minimum, committed in place) once
 * quotas/effective_bytes reads non-zero: the kernel has set the quota, and a
 * goal's feedback loop never takes it below one byte again. Without
 * effective_bytes (before 6.9) memward cannot see the kernel's quota, and
 * does not hold.
 */
static int hold_quotas(const struct mw_damon_ctx *uc, struct mw_damon *d)
{
	struct mw_damon_ctx c;
	int ret;

	mw__damon_copy(&c, sizeof(c), uc, false);
	for (size_t s = 0; s < c.nr_schemes; s++) {
		struct mw_damon_scheme sc;
		struct mw_damon_quota q;

		mw__damon_copy(&sc, sizeof(sc), c.schemes[s], false);
		mw__damon_copy(&q, sizeof(q), &sc.quota, true);
		if (!q.bytes && !q.ms && !q.nr_goals)
			continue;
		if (!mw__damon_exists(S "/quotas/effective_bytes", s))
			continue;
		ret = mw__damon_writeu(HOLD_AGE, AGE_MIN, s);
		if (ret < 0)
			return ret;
		d->age_min[s] = sc.age.min;
		d->held |= 1u << s;
	}
	return 0;
}

MW_API int mw_damon_start(const struct mw_damon_ctx *ctx, struct mw_damon **out, char *why, size_t wl)
{
	MW_AUTOCLOSE int fd = -1;
	struct mw_damon *d;
	struct stat st;
	char admin[512];
	pid_t kpid = -1;
	int ret;

	if (why && wl)
		why[0] = '\0';
	if (!out)
		return -EINVAL;
	*out = NULL;
	ret = mw__damon_validate(ctx, why, wl);
	if (ret < 0)
		return ret;
	ret = mw__damon_path(admin, sizeof(admin), DAMON_ADMIN);
	if (ret == 0 && stat(admin, &st) < 0)
		ret = -errno;
	if (ret < 0) {
		mw__damon_why(why, wl, "no DAMON sysfs at " DAMON_ADMIN " (%s)",
			      ret == -ENOENT ? "kernel without CONFIG_DAMON_SYSFS" : strerror(-ret));
		return ret;
	}
	ret = mw__damon_record_lock(true, &fd);
	if (ret < 0) {
		mw__damon_why(why, wl, ret == -EBUSY ? "another memward process drives DAMON (" RECORD " is locked)"
						  : "cannot lock " RECORD ": %s", strerror(-ret));
		return ret;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ret = take_kdamond(fd, why, wl);
	if (ret < 0) {
		free(d);
		return ret;
	}
	ret = mw__damon_tree_write(ctx, why, wl);
	if (ret == 0 && (ret = hold_quotas(ctx, d)) < 0)
		mw__damon_why(why, wl, "cannot hold the quota'd schemes until the kernel sets their quotas: %s",
			      strerror(-ret));
	if (ret == 0)
		ret = turn_on(fd, &kpid, why, wl);
	if (ret < 0) {
		/* Nothing half-written: the kdamond memward added goes away whole. */
		if (mw__damon_remove_k0() == 0 && ftruncate(fd, 0) < 0)
			mw__log(LOG_WARNING, "damon: cannot clear " RECORD ": %s", strerror(errno));
		free(d);
		return ret;
	}
	d->lock_fd = fd;
	fd = -1;
	d->kpid = kpid;
	d->nr_schemes = ctx->nr_schemes;
	*out = d;
	return 0;
}

MW_API int mw_damon_stop(struct mw_damon *d)
{
	int ret;

	if (!d)
		return 0;
	ret = mw__damon_remove_k0();
	if (ret == 0 && ftruncate(d->lock_fd, 0) < 0)
		ret = -errno;
	close(d->lock_fd);
	free(d);
	return ret;
}

MW_API pid_t mw_damon_kdamond_pid(const struct mw_damon *d)
{
	return d ? d->kpid : -1;
}

static int effective_bytes(size_t s, uint64_t *v)
{
	int ret = state_cmd("update_schemes_effective_quotas");

	return ret < 0 ? ret : mw__damon_readu(v, S "/quotas/effective_bytes", s);
}

MW_API int mw_damon_poll(struct mw_damon *d)
{
	uint32_t release = 0;
	uint64_t eff;
	int ret;

	if (!d)
		return -EINVAL;
	if (!d->held)
		return 0;
	for (size_t s = 0; s < d->nr_schemes; s++) {
		if (!(d->held & (1u << s)))
			continue;
		ret = effective_bytes(s, &eff);
		if (ret < 0)
			return ret;
		if (!eff)
			continue;
		ret = mw__damon_writeu(d->age_min[s], AGE_MIN, s);
		if (ret < 0)
			return ret;
		release |= 1u << s;
	}
	if (!release)
		return __builtin_popcount(d->held);
	/* commit updates the running schemes in place (6.11+), the quota's
	 * state included. Where it rebuilt them, the new quota would start at
	 * 0 again: say so, the scheme cannot be held through that. */
	ret = state_cmd("commit");
	if (ret < 0) {
		for (size_t s = 0; s < d->nr_schemes; s++)
			if (release & (1u << s))
				mw__damon_writeu(HOLD_AGE, AGE_MIN, s);
		return ret;
	}
	d->held &= ~release;
	for (size_t s = 0; s < d->nr_schemes; s++)
		if ((release & (1u << s)) && effective_bytes(s, &eff) == 0 && !eff)
			mw__log(LOG_WARNING, "damon: scheme %zu: this kernel rebuilt the scheme on commit, and its "
				"quota bounds nothing until its first charge window", s);
	return __builtin_popcount(d->held);
}

MW_API int mw_damon_stats_get(struct mw_damon *d, size_t s, struct mw_damon_stats *out)
{
	struct mw_damon_stats v = { 0 };
	int ret;

	if (!d || !out || out->sz == 0 || s >= d->nr_schemes)
		return -EINVAL;
	ret = mw_damon_poll(d);
	if (ret < 0)
		return ret;
	v.quota_held = !!(d->held & (1u << s));
	ret = state_cmd("update_schemes_stats");
	if (ret == 0)
		ret = mw__damon_readu(&v.nr_tried, S "/stats/nr_tried", s);
	if (ret == 0)
		ret = mw__damon_readu(&v.sz_tried, S "/stats/sz_tried", s);
	if (ret == 0)
		ret = mw__damon_readu(&v.nr_applied, S "/stats/nr_applied", s);
	if (ret == 0)
		ret = mw__damon_readu(&v.sz_applied, S "/stats/sz_applied", s);
	if (ret == 0)
		ret = mw__damon_readu(&v.qt_exceeds, S "/stats/qt_exceeds", s);
	if (ret < 0)
		return ret;
	/* 6.14+; 0 before. */
	mw__damon_readu(&v.sz_ops_filter_passed, S "/stats/sz_ops_filter_passed", s);
	/* 6.9+: what the goals made of the quota (the kernel refreshes the
	 * file on this command only). */
	if (mw__damon_exists(S "/quotas/effective_bytes", s)) {
		ret = effective_bytes(s, &v.qt_effective_bytes);
		if (ret < 0)
			return ret;
	}
	return MW_RESULT_OUT(out, v);
}

static int by_index(const struct dirent **a, const struct dirent **b)
{
	return (int)(strtol((*a)->d_name, NULL, 10) - strtol((*b)->d_name, NULL, 10));
}

static int numeric(const struct dirent *e)
{
	return e->d_name[0] >= '0' && e->d_name[0] <= '9';
}

MW_API int mw_damon_regions_foreach(struct mw_damon *d, size_t s, mw_damon_region_fn fn, void *arg)
{
	struct dirent **list = NULL;
	char dir[256], real[512];
	int n, ret;

	if (!d || !fn || s >= d->nr_schemes)
		return -EINVAL;
	ret = state_cmd("update_schemes_tried_regions");
	if (ret < 0)
		return ret;
	snprintf(dir, sizeof(dir), S "/tried_regions", s);
	if (mw__damon_path(real, sizeof(real), "%s", dir) < 0)
		return -ENAMETOOLONG;
	n = scandir(real, &list, numeric, by_index);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n && ret == 0; i++) {
		struct mw_damon_tried r = { .sz = sizeof(r) };
		const char *e = list[i]->d_name;

		if ((ret = mw__damon_readu(&r.start, "%s/%s/start", dir, e)) < 0 ||
		    (ret = mw__damon_readu(&r.end, "%s/%s/end", dir, e)) < 0 ||
		    (ret = mw__damon_readu(&r.nr_accesses, "%s/%s/nr_accesses", dir, e)) < 0 ||
		    (ret = mw__damon_readu(&r.age, "%s/%s/age", dir, e)) < 0)
			break;
		ret = fn(&r, arg);
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return ret;
}

MW_API int mw_damon_goal_set(struct mw_damon *d, size_t s, size_t g, uint64_t value)
{
	int ret;

	if (!d || s >= d->nr_schemes)
		return -EINVAL;
	if (!mw__damon_exists(S "/quotas/goals/%zu", s, g))
		return -ENOENT;
	ret = mw__damon_writeu(value, S "/quotas/goals/%zu/current_value", s, g);
	/* commit_schemes_quota_goals arrived with the goals (6.8). */
	return ret < 0 ? ret : state_cmd("commit_schemes_quota_goals");
}
