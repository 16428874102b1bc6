/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The remaining probes agree with the system they describe: the sysctl and
 * sysfs files, the raw seccomp and pidfd calls, RLIMIT_MEMLOCK; and probing
 * DAMON leaves the kdamond count as it found it.
 */
#include "live.h"
#include "sys/shim.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/resource.h>

#include <memward/features.h>

static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static void check_sysctl(const struct mw_feature_sysinfo *si)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	char buf[16];
	int n = read_text("/proc/sys/vm/memfd_noexec", buf, sizeof(buf));

	mw_feature_probe(MW_FEAT_MEMFD_NOEXEC_SYSCTL, &st);
	if (n < 0) {
		CHECK(st.state == MW_FEATURE_MISSING && si->memfd_noexec == -1,
		      "no sysctl file but probe says %s", mw_feature_state_name(st.state));
	} else {
		CHECK(st.state == MW_FEATURE_SUPPORTED, "sysctl file exists but probe says %s",
		      mw_feature_state_name(st.state));
		CHECK(si->memfd_noexec == atoi(buf), "level %d != file %s", si->memfd_noexec, buf);
	}
}

static void check_mglru(const struct mw_feature_sysinfo *si)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	char buf[32];
	int n = read_text("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf));

	mw_feature_probe(MW_FEAT_MGLRU, &st);
	if (n < 0) {
		CHECK(st.state == MW_FEATURE_MISSING && st.cause == MW_CAUSE_NOT_BUILT,
		      "no lru_gen but probe says %s/%s", mw_feature_state_name(st.state),
		      mw_feature_cause_name(st.cause));
		CHECK(si->mglru_enabled == -1, "mglru_enabled %d without lru_gen", si->mglru_enabled);
	} else {
		long bits = strtol(buf, NULL, 0);
		CHECK(si->mglru_enabled == bits, "bits %d != file %ld", si->mglru_enabled, bits);
		CHECK((st.state == MW_FEATURE_SUPPORTED) == ((bits & 1) != 0),
		      "state %s for enabled=0x%lx", mw_feature_state_name(st.state), bits);
	}
}

static char damon_before[16];
static int damon_nb;

static void check_damon(void)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	char *before = damon_before, after[16] = "";
	int nb = damon_nb;

	mw_feature_probe(MW_FEAT_DAMON_SYSFS, &st);
	if (nb < 0) {
		CHECK(st.state != MW_FEATURE_SUPPORTED, "no DAMON sysfs but probe supported");
		return;
	}
	CHECK(st.state == MW_FEATURE_SUPPORTED, "DAMON sysfs exists, probe %s", st.reason);
	read_text("/sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds", after, sizeof(after));
	CHECK(!strcmp(before, after), "probe changed nr_kdamonds from %s to %s", before, after);
}

static void check_seccomp_pidfd(void)
{
	struct mw_feature_status st = { .sz = sizeof(st) };
	uint32_t action = SECCOMP_RET_USER_NOTIF;
	int r;

	mw_feature_probe(MW_FEAT_SECCOMP_FILTER, &st);
	r = mw_sys_seccomp(SECCOMP_SET_MODE_FILTER, 0, NULL);
	CHECK((st.state == MW_FEATURE_SUPPORTED) == (r < 0 && errno == EFAULT),
	      "seccomp_filter %s but raw probe errno %s", mw_feature_state_name(st.state), strerror(errno));

	mw_feature_probe(MW_FEAT_SECCOMP_USER_NOTIF, &st);
	r = mw_sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action);
	CHECK((st.state == MW_FEATURE_SUPPORTED) == (r == 0), "user_notif %s but raw %d",
	      mw_feature_state_name(st.state), r);

	mw_feature_probe(MW_FEAT_SECCOMP_NOTIF_ADDFD, &st);
	CHECK(st.state != MW_FEATURE_UNKNOWN, "addfd unknown: %s", st.reason);
	/* The probe runs in a child: this process must not have gained a filter. */
	{
		char status[4096];
		CHECK(read_text("/proc/self/status", status, sizeof(status)) > 0 &&
		      strstr(status, "Seccomp:\t0"), "the probe left a seccomp filter on the caller");
	}

	mw_feature_probe(MW_FEAT_PIDFD_GETFD, &st);
	{
		int pidfd = mw_sys_pidfd_open(getpid(), 0);
		int got = pidfd >= 0 ? mw_sys_pidfd_getfd(pidfd, 1, 0) : -1;
		CHECK((st.state == MW_FEATURE_SUPPORTED) == (got >= 0), "pidfd_getfd %s but raw %d",
		      mw_feature_state_name(st.state), got);
		if (got >= 0)
			close(got);
		if (pidfd >= 0)
			close(pidfd);
	}
}

static void check_memlock(const struct mw_feature_sysinfo *si)
{
	struct rlimit rl;

	REQUIRE(getrlimit(RLIMIT_MEMLOCK, &rl) == 0, "getrlimit");
	CHECK(si->memlock_cur == (rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur),
	      "memlock_cur mismatch");
	CHECK(si->memlock_max == (rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max),
	      "memlock_max mismatch");
}

int main(void)
{
	struct mw_feature_sysinfo si = { .sz = sizeof(si) };
	int fds = live_count_fds();

	/* Before anything probes DAMON. */
	damon_nb = read_text("/sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds", damon_before,
			     sizeof(damon_before));
	REQUIRE(mw_feature_sysinfo_get(&si) == 0, "mw_feature_sysinfo_get");
	check_sysctl(&si);
	check_mglru(&si);
	check_damon();
	check_seccomp_pidfd();
	check_memlock(&si);
	for (int f = 0; f < MW_FEAT_COUNT_; f++) {
		struct mw_feature_status st = { .sz = sizeof(st) };
		CHECK(mw_feature_probe((enum mw_feature)f, &st) == 0 && st.reason[0],
		      "%s has no reason", mw_feature_key((enum mw_feature)f));
	}
	CHECK(live_count_fds() == fds, "probing leaked fds: %d before, %d after", fds, live_count_fds());
	return live_done();
}
