/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DAMON contexts applied in one step (guests only): every filter type the
 * kernel accepts is applied and read back from sysfs; one it lacks is refused
 * with -EOPNOTSUPP naming the type and its release, with nothing left in the
 * tree (and the test confirms the kernel's refusal itself); a memcg path that
 * does not exist is refused before `on`; a kdamond memward did not create is
 * never written; a kdamond left by a SIGKILLed owner is found and removed.
 */
#include "live.h"
#include "reclaim_workload.h"

#include <sys/stat.h>

#include <memward/damon.h>

#define KD "/sys/kernel/mm/damon/admin/kdamonds"

static struct workload wl;

/* A sysfs file's text without its newline, "" when it cannot be read. A
 * failed read is tried again (up to 5 times, 20 ms apart) and noted: a
 * kdamond's state read once came back empty right after apply in the 6.12
 * guest under load (CI), the errno then unknown. */
static void read_text(const char *path, char *buf, size_t len)
{
	ssize_t n = -1;
	int e = 0;

	for (int i = 0; i < 5 && n < 0; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		n = fd < 0 ? -1 : read(fd, buf, len - 1);
		e = n < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		if (n < 0) {
			live_note("read %s: %s (try %d)", path, strerror(e), i + 1);
			usleep(20000);
		}
	}
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
}

/* The kernel's own answer: does it take this filter type? Written into a
 * kdamond the test makes and removes (nr_kdamonds is 0 here). */
static bool kernel_takes_filter(const char *type)
{
	const char *s = KD "/0/contexts/0/schemes/0";
	char dir[256];
	struct stat st;
	int ret;

	REQUIRE(wl_write(KD "/nr_kdamonds", "1") == 0, "test kdamond: %s", strerror(errno));
	REQUIRE(wl_write(KD "/0/contexts/nr_contexts", "1") == 0 &&
		wl_write(KD "/0/contexts/0/schemes/nr_schemes", "1") == 0, "test context");
	snprintf(dir, sizeof(dir), "%s/%s", s, stat(KD "/0/contexts/0/schemes/0/ops_filters", &st) == 0 ?
		 (strcmp(type, "addr") && strcmp(type, "target") ? "ops_filters" : "core_filters") : "filters");
	char p[300];
	snprintf(p, sizeof(p), "%s/nr_filters", dir);
	REQUIRE(wl_write(p, "1") == 0, "nr_filters");
	snprintf(p, sizeof(p), "%s/0/type", dir);
	ret = wl_write(p, type);
	REQUIRE(wl_write(KD "/nr_kdamonds", "0") == 0, "remove test kdamond");
	REQUIRE(ret == 0 || ret == -EINVAL, "writing type %s: %s", type, strerror(-ret));
	return ret == 0;
}

static void check_tree_empty(const char *what)
{
	struct stat st;

	CHECK(wl_read_ll(WL_NR_KDAMONDS) == 0, "%s: nr_kdamonds %lld after a refused apply", what, wl_read_ll(WL_NR_KDAMONDS));
	CHECK(stat(KD "/0", &st) < 0 && errno == ENOENT, "%s: kdamond 0 left in the tree", what);
}

/* Apply one filter of type t to a stat scheme on the workload. */
static int apply_filter(enum mw_damon_filter_type t, const char *memcg, struct mw_damon **d, char *why,
			size_t wl_len)
{
	struct mw_damon_filter f = {
		.sz = sizeof(f), .type = t, .matching = 1, .memcg_path = memcg,
		.addr_start = 0x10000, .addr_end = 0x200000, .target_idx = 0, .min = 2 << 20, .max = 2 << 20,
	};
	const struct mw_damon_filter *fp = &f;
	struct mw_damon_scheme sc = { .sz = sizeof(sc), .action = MW_DAMOS_STAT, .filters = &fp, .nr_filters = 1 };
	const struct mw_damon_scheme *scp = &sc;
	struct mw_damon_target tg = { .sz = sizeof(tg), .pid = wl.pid };
	const struct mw_damon_target *tp = &tg;
	struct mw_damon_ctx ctx = { .sz = sizeof(ctx), .ops = MW_DAMON_VADDR, .targets = &tp, .nr_targets = 1,
				    .schemes = &scp, .nr_schemes = 1 };

	return mw_damon_start(&ctx, d, why, wl_len);
}

/* Read the applied filter back from sysfs. */
static void read_back(enum mw_damon_filter_type t)
{
	const char *name = mw_damon_filter_name(t);
	const char *base = KD "/0/contexts/0/schemes/0";
	char dir[300], p[400], v[256];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/%s", base, stat(KD "/0/contexts/0/schemes/0/ops_filters", &st) == 0 ?
		 (t == MW_DAMOS_FILTER_ADDR || t == MW_DAMOS_FILTER_TARGET ? "core_filters" : "ops_filters") :
		 "filters");
	snprintf(p, sizeof(p), "%s/0/type", dir);
	read_text(p, v, sizeof(v));
	CHECK(!strcmp(v, name), "%s: type reads '%s'", name, v);
	snprintf(p, sizeof(p), "%s/0/matching", dir);
	read_text(p, v, sizeof(v));
	CHECK(!strcmp(v, "Y"), "%s: matching reads '%s'", name, v);
	if (t == MW_DAMOS_FILTER_MEMCG) {
		snprintf(p, sizeof(p), "%s/0/memcg_path", dir);
		read_text(p, v, sizeof(v));
		CHECK(!strcmp(v, "/mw-damon-apply"), "memcg_path reads '%s'", v);
	}
	if (t == MW_DAMOS_FILTER_ADDR) {
		snprintf(p, sizeof(p), "%s/0/addr_start", dir);
		read_text(p, v, sizeof(v));
		CHECK(strtoull(v, NULL, 0) == 0x10000, "addr_start reads '%s'", v);
		snprintf(p, sizeof(p), "%s/0/addr_end", dir);
		read_text(p, v, sizeof(v));
		CHECK(strtoull(v, NULL, 0) == 0x200000, "addr_end reads '%s'", v);
	}
	if (t == MW_DAMOS_FILTER_TARGET) {
		snprintf(p, sizeof(p), "%s/0/damon_target_idx", dir);
		read_text(p, v, sizeof(v));
		CHECK(!strcmp(v, "0"), "damon_target_idx reads '%s'", v);
	}
	read_text(KD "/0/state", v, sizeof(v));
	CHECK(!strcmp(v, "on"), "%s: kdamond state '%s' after apply", name, v);
}

static unsigned int test_filters(void)
{
	unsigned int accepted = 0;

	for (int t = 0; t < MW_DAMOS_FILTER_COUNT_; t++) {
		const char *name = mw_damon_filter_name((enum mw_damon_filter_type)t);
		struct mw_damon *d = NULL;
		char why[400] = "";
		int ret = apply_filter((enum mw_damon_filter_type)t, "/mw-damon-apply", &d, why, sizeof(why));

		if (ret == 0) {
			accepted |= 1u << t;
			read_back((enum mw_damon_filter_type)t);
			CHECK(mw_damon_stop(d) == 0, "%s: stop", name);
			check_tree_empty(name);
			live_note("filter %s applied and read back", name);
			continue;
		}
		CHECK(ret == -EOPNOTSUPP, "filter %s: %s (%s)", name, strerror(-ret), why);
		CHECK(strstr(why, name) && strstr(why, mw_damon_filter_release((enum mw_damon_filter_type)t)),
		      "refusal of %s does not name it and its release %s: '%s'", name,
		      mw_damon_filter_release((enum mw_damon_filter_type)t), why);
		check_tree_empty(name);
		CHECK(!kernel_takes_filter(name), "memward refused filter %s the kernel takes", name);
		live_note("filter %s refused: %s", name, why);
	}
	if (wl_profile("6.12"))
		CHECK(accepted == 0x1f, "6.12 takes anon, memcg, young, addr, target; accepted 0x%x", accepted);
	return accepted;
}

static void test_bad_memcg(void)
{
	struct mw_damon *d = NULL;
	char why[400] = "";
	int ret = apply_filter(MW_DAMOS_FILTER_MEMCG, "/mw-no-such-cgroup", &d, why, sizeof(why));

	CHECK(ret == -ENOENT, "missing memcg path: %s (%s)", strerror(-ret), why);
	CHECK(strstr(why, "/mw-no-such-cgroup") != NULL, "the refusal does not name the path: %s", why);
	check_tree_empty("bad memcg");
	if (ret == 0)
		mw_damon_stop(d);
}

/* A kdamond memward did not create: never written, start refused. */
static void test_foreign(void)
{
	struct mw_damon_features f = { .sz = sizeof(f) };
	struct stat a, b, c;
	struct mw_damon *d = NULL;
	char why[400] = "";
	int ret;

	REQUIRE(wl_write(KD "/nr_kdamonds", "1") == 0 && wl_write(KD "/0/contexts/nr_contexts", "1") == 0 &&
		wl_write(KD "/0/contexts/0/operations", "paddr") == 0, "foreign kdamond");
	REQUIRE(stat(KD "/0/contexts/0", &a) == 0, "stat");
	ret = apply_filter(MW_DAMOS_FILTER_ANON, NULL, &d, why, sizeof(why));
	CHECK(ret == -EBUSY, "start beside a foreign kdamond: %s", strerror(-ret));
	CHECK(strstr(why, "did not create") != NULL, "refusal unclear: %s", why);
	ret = mw_damon_features_get(&f, MW_DAMON_PROBE_WRITE);
	CHECK(ret == -EBUSY, "write probe beside a foreign kdamond: %s", strerror(-ret));
	CHECK(f.ops_have & (1u << MW_DAMON_PADDR), "read-only probe missed the foreign context's ops");
	CHECK(wl_read_ll(WL_NR_KDAMONDS) == 1, "nr_kdamonds changed to %lld", wl_read_ll(WL_NR_KDAMONDS));
	CHECK(stat(KD "/0/contexts/0", &b) == 0 && a.st_ino == b.st_ino, "the foreign tree was recreated");
	read_text(KD "/0/contexts/0/operations", why, sizeof(why));
	CHECK(!strcmp(why, "paddr"), "foreign operations now '%s'", why);
	CHECK(mw_damon_cleanup_stale() == 0 && stat(KD "/0/contexts/0", &c) == 0 && c.st_ino == a.st_ino,
	      "cleanup touched a foreign kdamond");
	REQUIRE(wl_write(KD "/nr_kdamonds", "0") == 0, "remove foreign kdamond");
}

static void test_sigkill(void)
{
	int p[2];
	pid_t child;
	char c, state[16];

	REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe");
	fflush(stdout);
	child = fork();
	REQUIRE(child >= 0, "fork");
	if (child == 0) {
		struct mw_damon *d;
		char why[400];

		if (apply_filter(MW_DAMOS_FILTER_ADDR, NULL, &d, why, sizeof(why)) < 0) {
			printf("child: %s\n", why);
			_exit(1);
		}
		if (write(p[1], "k", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	REQUIRE(read(p[0], &c, 1) == 1, "the child did not start DAMON");
	close(p[0]);
	{
		struct mw_damon *d = NULL;
		char why[400] = "";
		int ret = apply_filter(MW_DAMOS_FILTER_ADDR, NULL, &d, why, sizeof(why));

		CHECK(ret == -EBUSY, "a second memward user while the first lives: %s", strerror(-ret));
		CHECK(mw_damon_cleanup_stale() == -EBUSY, "cleanup while the owner lives");
	}
	kill(child, SIGKILL);
	live_wait(child);
	read_text(KD "/0/state", state, sizeof(state));
	CHECK(!strcmp(state, "on"), "the dead child's kdamond is '%s' (expected still on)", state);
	CHECK(mw_damon_cleanup_stale() == 1, "the stale kdamond was not removed");
	check_tree_empty("after SIGKILL cleanup");
}

static void test_features(unsigned int accepted)
{
	struct mw_damon_features f = { .sz = sizeof(f) };
	int ret = mw_damon_features_get(&f, 0);

	CHECK(ret == 0 && f.sysfs == 1 && f.nr_kdamonds == 0, "read-only features: %d", ret);
	CHECK(f.filters_known == 0 && f.ops_known == 0, "read-only probe claims answers without a kdamond");
	ret = mw_damon_features_get(&f, MW_DAMON_PROBE_WRITE);
	CHECK(ret == 0, "write probe: %s", strerror(-ret));
	CHECK(f.filters_known == (1u << MW_DAMOS_FILTER_COUNT_) - 1, "types unknown: 0x%x", f.filters_known);
	CHECK(f.filters_have == accepted, "probe says 0x%x, apply took 0x%x", f.filters_have, accepted);
	if (wl_profile("6.12"))
		CHECK(f.ops_have == 7 && (f.feats_have & MW_DAMON_FEAT_GOAL_PSI) &&
		      !(f.feats_have & MW_DAMON_FEAT_FILTER_ALLOW), "6.12 ops 0x%x feats 0x%x", f.ops_have,
		      f.feats_have);
	check_tree_empty("after the write probe");
}

static void test_stats(void)
{
	struct mw_damon_stats st = { .sz = sizeof(st) };
	struct mw_damon *d = NULL;
	char why[400] = "";
	int ret = apply_filter(MW_DAMOS_FILTER_ADDR, NULL, &d, why, sizeof(why));

	REQUIRE(ret == 0, "stat scheme: %s", why);
	wl_sleep_ms(1500);
	CHECK(mw_damon_stats_get(d, 0, &st) == 0 && st.nr_tried > 0, "no region tried in 1.5 s");
	CHECK(mw_damon_stats_get(d, 1, &st) == -EINVAL, "scheme 1 of 1");
	CHECK(mw_damon_stop(d) == 0, "stop");
	check_tree_empty("after stop");
}

int main(void)
{
	char cg[256];
	unsigned int accepted;
	int fds;

	wl_require_damon();
	wl_cgroup("mw-damon-apply", cg, sizeof(cg));
	wl = wl_start(cg, 8 * WL_MIB, 1 * WL_MIB, 50);
	wl_wait_ready(&wl);
	fds = live_count_fds();

	accepted = test_filters();
	test_bad_memcg();
	test_foreign();
	test_sigkill();
	test_features(accepted);
	test_stats();
	CHECK(live_count_fds() == fds, "fd leak: %d -> %d", fds, live_count_fds());

	wl_stop(&wl);
	rmdir(cg);
	return live_failures ? 1 : 0;
}
