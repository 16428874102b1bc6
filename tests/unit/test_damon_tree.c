/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DAMON's write paths against a fake sysfs tree (MEMWARD_TEST_SYSROOT), so
 * they run under ASan on the host, whose DAMON must never be written:
 * a context with schemes, quota goals and filters applied and every file
 * read back (filters/ before 6.15, core_filters/ + ops_filters/ after);
 * stop; and failures half-way (a file the kernel would refuse, a feature
 * file missing, a bad memcg path, a kdamond memward did not create) that
 * must leave no kdamond, no record, no fd behind.
 *
 * The tree is what the kernel shows once nr_kdamonds and the nr_* files are
 * written (sysfs creates the directories; plain files cannot), with every
 * value file empty so a read-back shows exactly what memward wrote.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memward/damon.h>
#include <memward/memcg.h>

#define ADMIN "/sys/kernel/mm/damon/admin"
#define K0 ADMIN "/kdamonds/0"
#define C0 K0 "/contexts/0"

static char root[64];

static void mkparents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

/* Create root/rel with content (NULL: a directory). */
static void put(const char *content, const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	int n = snprintf(path, sizeof(path), "%s", root);

	va_start(ap, fmt);
	vsnprintf(path + n, sizeof(path) - (size_t)n, fmt, ap);
	va_end(ap);
	mkparents(path);
	if (!content) {
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		return;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

/* Content of root/rel ("<absent>" when missing). */
static const char *get(const char *fmt, ...)
{
	static char buf[256];
	char path[1024];
	va_list ap;
	int n = snprintf(path, sizeof(path), "%s", root), fd;
	ssize_t len;

	va_start(ap, fmt);
	vsnprintf(path + n, sizeof(path) - (size_t)n, fmt, ap);
	va_end(ap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "<absent>";
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[len < 0 ? 0 : len] = '\0';
	return buf;
}

static const char *const scheme_files[] = {
	"action", "apply_interval_us", "access_pattern/sz/min", "access_pattern/sz/max",
	"access_pattern/nr_accesses/min", "access_pattern/nr_accesses/max", "access_pattern/age/min",
	"access_pattern/age/max", "quotas/ms", "quotas/bytes", "quotas/reset_interval_ms",
	"quotas/weights/sz_permil", "quotas/weights/nr_accesses_permil", "quotas/weights/age_permil",
	"watermarks/metric", "watermarks/interval_us", "watermarks/high", "watermarks/mid", "watermarks/low",
	"stats/nr_tried", "stats/sz_tried", "stats/nr_applied", "stats/sz_applied", "stats/qt_exceeds",
};
static const char *const filter_files[] = {
	"type", "matching", "allow", "memcg_path", "addr_start", "addr_end", "damon_target_idx",
};

static void fake_filters(const char *dir, int s, int n)
{
	put("", C0 "/schemes/%d/%s/nr_filters", s, dir);
	for (int f = 0; f < n; f++)
		for (size_t i = 0; i < sizeof(filter_files) / sizeof(filter_files[0]); i++)
			put("", C0 "/schemes/%d/%s/%d/%s", s, dir, f, filter_files[i]);
}

/* The tree after memward's nr_* writes: one kdamond (nr_kdamonds still 0, as
 * before memward writes it), one context, one target, two schemes. split:
 * 6.15's core_filters/ + ops_filters/; else filters/. */
static void fake_tree(bool split)
{
	strcpy(root, "/tmp/mw-damon-tree-XXXXXX");
	assert_non_null(mkdtemp(root));
	assert_int_equal(setenv("MEMWARD_TEST_SYSROOT", root, 1), 0);
	put(NULL, "/run");
	put("0", ADMIN "/kdamonds/nr_kdamonds");
	put("", K0 "/state");
	put("4242\n", K0 "/pid");
	put("", K0 "/contexts/nr_contexts");
	put("vaddr\nfvaddr\npaddr\n", C0 "/avail_operations");
	put("", C0 "/operations");
	put("", C0 "/monitoring_attrs/nr_regions/min");
	put("", C0 "/monitoring_attrs/nr_regions/max");
	put("", C0 "/monitoring_attrs/intervals/sample_us");
	put("", C0 "/monitoring_attrs/intervals/aggr_us");
	put("", C0 "/monitoring_attrs/intervals/update_us");
	put("", C0 "/targets/nr_targets");
	put("", C0 "/targets/0/pid_target");
	put("", C0 "/targets/0/regions/nr_regions");
	put("", C0 "/schemes/nr_schemes");
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < sizeof(scheme_files) / sizeof(scheme_files[0]); i++)
			put("", C0 "/schemes/%d/%s", s, scheme_files[i]);
		put("", C0 "/schemes/%d/quotas/goals/nr_goals", s);
		put("", C0 "/schemes/%d/quotas/goals/0/target_metric", s);
		put("", C0 "/schemes/%d/quotas/goals/0/target_value", s);
		put("", C0 "/schemes/%d/quotas/goals/0/current_value", s);
		put(NULL, C0 "/schemes/%d/tried_regions", s);
		fake_filters("filters", s, 3); /* 6.15 keeps the deprecated filters/ beside the new two */
		if (split) {
			fake_filters("core_filters", s, 2);
			fake_filters("ops_filters", s, 2);
		}
	}
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void tree_free(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	unsetenv("MEMWARD_TEST_SYSROOT");
}

static int nr_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The context: vaddr on this process; scheme 0 pageouts idle regions >= 30
 * aggregations old under a 64 KiB quota with a PSI goal, filtered by anon,
 * memcg and addr; scheme 1 a stat scheme with a target filter. */
struct fixture {
	struct mw_damon_filter anon, memcg, addr, target;
	const struct mw_damon_filter *f0[3], *f1[1];
	struct mw_damon_goal goal;
	const struct mw_damon_goal *goals[1];
	struct mw_damon_scheme s0, s1;
	const struct mw_damon_scheme *schemes[2];
	struct mw_damon_target tg;
	const struct mw_damon_target *targets[1];
	struct mw_damon_ctx ctx;
};

static void fixture_init(struct fixture *x)
{
	memset(x, 0, sizeof(*x));
	x->anon = (struct mw_damon_filter){ .sz = sizeof(x->anon), .type = MW_DAMOS_FILTER_ANON, .matching = 1 };
	x->memcg = (struct mw_damon_filter){ .sz = sizeof(x->memcg), .type = MW_DAMOS_FILTER_MEMCG,
					     .memcg_path = "/" };
	x->addr = (struct mw_damon_filter){ .sz = sizeof(x->addr), .type = MW_DAMOS_FILTER_ADDR, .matching = 1,
					    .addr_start = 0x1000, .addr_end = 0x2000 };
	x->target = (struct mw_damon_filter){ .sz = sizeof(x->target), .type = MW_DAMOS_FILTER_TARGET };
	x->f0[0] = &x->anon;
	x->f0[1] = &x->memcg;
	x->f0[2] = &x->addr;
	x->f1[0] = &x->target;
	x->goal = (struct mw_damon_goal){ .sz = sizeof(x->goal), .metric = MW_DAMOS_GOAL_SOME_MEM_PSI_US,
					  .target_value = 5000 };
	x->goals[0] = &x->goal;
	x->s0 = (struct mw_damon_scheme){
		.sz = sizeof(x->s0), .action = MW_DAMOS_PAGEOUT, .size = { 4096, 0 },
		.nr_accesses = { 0, MW_DAMON_ZERO }, .age = { 30, 0 },
		.quota = { .sz = sizeof(x->s0.quota), .bytes = 65536, .reset_interval_ms = 1000, .weight_age = 1000,
			   .goals = x->goals, .nr_goals = 1 },
		.filters = x->f0, .nr_filters = 3,
	};
	x->s1 = (struct mw_damon_scheme){ .sz = sizeof(x->s1), .action = MW_DAMOS_STAT, .filters = x->f1,
					  .nr_filters = 1 };
	x->schemes[0] = &x->s0;
	x->schemes[1] = &x->s1;
	x->tg = (struct mw_damon_target){ .sz = sizeof(x->tg), .pid = getpid() };
	x->targets[0] = &x->tg;
	x->ctx = (struct mw_damon_ctx){ .sz = sizeof(x->ctx), .ops = MW_DAMON_VADDR, .targets = x->targets,
					.nr_targets = 1, .schemes = x->schemes, .nr_schemes = 2 };
}

#define S0 C0 "/schemes/0"
#define S1 C0 "/schemes/1"
#define EQ(want, ...) assert_string_equal(get(__VA_ARGS__), want)

static void check_written(bool split)
{
	char pid[32];
	const char *anon = split ? S0 "/ops_filters/0" : S0 "/filters/0";
	const char *memcg = split ? S0 "/ops_filters/1" : S0 "/filters/1";
	const char *addr = split ? S0 "/core_filters/0" : S0 "/filters/2";

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	EQ("1", ADMIN "/kdamonds/nr_kdamonds");
	EQ("on", K0 "/state");
	EQ("1", K0 "/contexts/nr_contexts");
	EQ("vaddr", C0 "/operations");
	EQ("10", C0 "/monitoring_attrs/nr_regions/min");
	EQ("1000", C0 "/monitoring_attrs/nr_regions/max");
	EQ("5000", C0 "/monitoring_attrs/intervals/sample_us");
	EQ("100000", C0 "/monitoring_attrs/intervals/aggr_us");
	EQ("1000000", C0 "/monitoring_attrs/intervals/update_us");
	EQ("1", C0 "/targets/nr_targets");
	EQ(pid, C0 "/targets/0/pid_target");
	EQ("2", C0 "/schemes/nr_schemes");
	EQ("pageout", S0 "/action");
	EQ("", S0 "/apply_interval_us"); /* 0: not written (needs 6.7) */
	EQ("4096", S0 "/access_pattern/sz/min");
	EQ("18446744073709551615", S0 "/access_pattern/sz/max");
	EQ("0", S0 "/access_pattern/nr_accesses/min");
	EQ("0", S0 "/access_pattern/nr_accesses/max");
	EQ("30", S0 "/access_pattern/age/min");
	EQ("4294967295", S0 "/access_pattern/age/max");
	EQ("0", S0 "/quotas/ms");
	EQ("65536", S0 "/quotas/bytes");
	EQ("1000", S0 "/quotas/reset_interval_ms");
	EQ("1000", S0 "/quotas/weights/age_permil");
	EQ("0", S0 "/quotas/weights/sz_permil");
	EQ("1", S0 "/quotas/goals/nr_goals");
	EQ("some_mem_psi_us", S0 "/quotas/goals/0/target_metric");
	EQ("5000", S0 "/quotas/goals/0/target_value");
	EQ("", S0 "/quotas/goals/0/current_value"); /* user_input only */
	EQ("none", S0 "/watermarks/metric");
	EQ("anon", "%s/type", anon);
	EQ("Y", "%s/matching", anon);
	EQ("", "%s/allow", anon); /* allow 0: the file is left alone (pre-6.14 kernels lack it) */
	EQ("memcg", "%s/type", memcg);
	EQ("N", "%s/matching", memcg);
	EQ("/", "%s/memcg_path", memcg);
	EQ("addr", "%s/type", addr);
	EQ("Y", "%s/matching", addr);
	EQ("4096", "%s/addr_start", addr);
	EQ("8192", "%s/addr_end", addr);
	if (split) {
		EQ("2", S0 "/ops_filters/nr_filters");
		EQ("1", S0 "/core_filters/nr_filters");
		EQ("", S0 "/filters/nr_filters"); /* deprecated since 6.15: not used */
		EQ("target", S1 "/core_filters/0/type");
		EQ("0", S1 "/core_filters/0/damon_target_idx");
		EQ("0", S1 "/ops_filters/nr_filters");
	} else {
		EQ("3", S0 "/filters/nr_filters");
		EQ("1", S1 "/filters/nr_filters");
		EQ("target", S1 "/filters/0/type");
		EQ("0", S1 "/filters/0/damon_target_idx");
	}
	EQ("stat", S1 "/action");
	EQ("0", S1 "/quotas/bytes");
	EQ("4294967295", S1 "/access_pattern/nr_accesses/max");
}

static void apply_and_stop(bool split)
{
	struct fixture x;
	struct mw_damon *d = NULL;
	struct mw_damon_stats st = { .sz = sizeof(st) };
	char why[400], rec[128];
	int fds;

	fake_tree(split);
	fixture_init(&x);
	if (mw_memcg_root(why, sizeof(why)) < 0)
		x.s0.nr_filters = 1; /* no cgroup2 mount here: no memcg filter to resolve */
	fds = nr_fds();
	assert_int_equal(mw_damon_start(&x.ctx, &d, why, sizeof(why)), 0);
	assert_non_null(d);
	assert_int_equal(mw_damon_kdamond_pid(d), 4242);
	if (x.s0.nr_filters == 3)
		check_written(split);
	snprintf(rec, sizeof(rec), "memward-damon owner=%d kdamond_pid=4242\n", (int)getpid());
	EQ(rec, "/run/memward/damon");
	/* stats: the kernel fills them on update_schemes_stats */
	put("7\n", S0 "/stats/nr_tried");
	put("28672\n", S0 "/stats/sz_tried");
	put("3\n", S0 "/stats/nr_applied");
	put("12288\n", S0 "/stats/sz_applied");
	put("1\n", S0 "/stats/qt_exceeds");
	assert_int_equal(mw_damon_stats_get(d, 0, &st), 0);
	assert_int_equal(st.qt_effective_bytes, 0); /* no effective_bytes file: before 6.9 */
	EQ("update_schemes_stats", K0 "/state");
	put("32768\n", S0 "/quotas/effective_bytes"); /* 6.9+ */
	assert_int_equal(mw_damon_stats_get(d, 0, &st), 0);
	assert_int_equal(st.nr_tried, 7);
	assert_int_equal(st.sz_applied, 12288);
	assert_int_equal(st.qt_exceeds, 1);
	assert_int_equal(st.qt_effective_bytes, 32768);
	assert_int_equal(mw_damon_stats_get(d, 2, &st), -EINVAL);
	EQ("update_schemes_effective_quotas", K0 "/state");
	put("on\n", K0 "/state");
	assert_int_equal(mw_damon_stop(d), 0);
	EQ("off", K0 "/state");
	EQ("0", ADMIN "/kdamonds/nr_kdamonds");
	EQ("", "/run/memward/damon");
	assert_int_equal(nr_fds(), fds);
	tree_free();
}

static void apply_filters_dir(void **state)
{
	(void)state;
	apply_and_stop(false);
}

static void apply_split_filters(void **state)
{
	(void)state;
	apply_and_stop(true);
}

/* After a failed start: no kdamond (nr_kdamonds 0), never turned on, the
 * record empty, no fd left open. */
static void check_rolled_back(int fds)
{
	EQ("0", ADMIN "/kdamonds/nr_kdamonds");
	EQ("", K0 "/state");
	EQ("", "/run/memward/damon");
	assert_int_equal(nr_fds(), fds);
}

/* A write the kernel refuses half-way (here: scheme 0's second filter type
 * is a directory, EISDIR): earlier files were written, then everything is
 * undone. */
static void rollback_half_written(void **state)
{
	struct fixture x;
	struct mw_damon *d = (struct mw_damon *)&x;
	char why[400];
	int fds;

	(void)state;
	fake_tree(false);
	fixture_init(&x);
	x.s0.filters = (const struct mw_damon_filter *const[]){ &x.anon, &x.addr };
	x.s0.nr_filters = 2;
	remove(strcat(strcpy(why, root), S0 "/filters/1/type"));
	put(NULL, S0 "/filters/1/type");
	fds = nr_fds();
	assert_int_equal(mw_damon_start(&x.ctx, &d, why, sizeof(why)), -EISDIR);
	assert_null(d);
	assert_non_null(strstr(why, "'addr'"));
	EQ("anon", S0 "/filters/0/type"); /* it did get this far */
	check_rolled_back(fds);
	tree_free();
}

/* A feature file the kernel lacks: -EOPNOTSUPP naming it and its release. */
static void rollback_missing_feature(void **state)
{
	struct fixture x;
	struct mw_damon *d = NULL;
	char why[400], from[512], to[512];
	int fds;

	(void)state;
	/* allow filters (6.14) on a kernel without the allow file */
	fake_tree(false);
	fixture_init(&x);
	x.anon.allow = 1;
	x.s0.nr_filters = 1;
	remove(strcat(strcpy(why, root), S0 "/filters/0/allow"));
	fds = nr_fds();
	assert_int_equal(mw_damon_start(&x.ctx, &d, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "allow"));
	assert_non_null(strstr(why, "6.14"));
	check_rolled_back(fds);
	tree_free();

	/* quota goals (6.8) on a kernel without quotas/goals */
	fake_tree(false);
	fixture_init(&x);
	x.s0.nr_filters = 1;
	put(NULL, "/x");
	snprintf(from, sizeof(from), "%s" S0 "/quotas/goals", root);
	snprintf(to, sizeof(to), "%s/x/goals", root);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(mw_damon_start(&x.ctx, &d, why, sizeof(why)), -EOPNOTSUPP);
	assert_non_null(strstr(why, "quota goals"));
	assert_non_null(strstr(why, "6.8"));
	check_rolled_back(fds);
	tree_free();
}

/* Refusals before anything is written: a memcg path that is no cgroup, and
 * a kdamond memward did not create. */
static void refused_before_writing(void **state)
{
	struct fixture x;
	struct mw_damon *d = NULL;
	char why[400];

	(void)state;
	fake_tree(false);
	fixture_init(&x);
	x.memcg.memcg_path = "/memward-no-such-cgroup";
	x.s0.filters = (const struct mw_damon_filter *const[]){ &x.memcg };
	x.s0.nr_filters = 1;
	assert_int_equal(mw_damon_start(&x.ctx, &d, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "memward-no-such-cgroup"));
	EQ("<absent>", "/run/memward/damon"); /* refused before the lock, so before any write */
	EQ("", K0 "/contexts/nr_contexts");
	tree_free();

	fake_tree(false);
	fixture_init(&x);
	x.s0.nr_filters = 1;
	put("1\n", ADMIN "/kdamonds/nr_kdamonds");
	put("on\n", K0 "/state");
	assert_int_equal(mw_damon_start(&x.ctx, &d, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "did not create"));
	EQ("1\n", ADMIN "/kdamonds/nr_kdamonds");
	EQ("on\n", K0 "/state");
	EQ("", K0 "/contexts/nr_contexts");
	/* the read-only probe writes nothing either */
	struct mw_damon_features f = { .sz = sizeof(f) };

	assert_int_equal(mw_damon_features_get(&f, 0), 0);
	assert_int_equal(f.nr_kdamonds, 1);
	assert_int_equal(mw_damon_features_get(&f, MW_DAMON_PROBE_WRITE), -EBUSY);
	EQ("1\n", ADMIN "/kdamonds/nr_kdamonds");
	tree_free();
}

/* A scheme with a quota starts held where the kernel reports
 * quotas/effective_bytes: DAMOS applies it without limit until the kernel
 * sets the quota in its first charge window (up to 24 MiB paged out under
 * PSI pressure in the 6.12 guest). Held = age minimum at its largest; the
 * caller's minimum comes back, committed, once effective_bytes reads
 * non-zero. A scheme without a quota is not held. */
static void quota_held_until_set(void **state)
{
	struct fixture x;
	struct mw_damon *d = NULL;
	struct mw_damon_stats st = { .sz = sizeof(st) };
	char why[400];

	(void)state;
	fake_tree(false);
	fixture_init(&x);
	x.s0.nr_filters = 1;
	put("0\n", S0 "/quotas/effective_bytes");
	put("0\n", S1 "/quotas/effective_bytes");
	for (int s = 0; s < 2; s++)
		for (size_t i = 19; i < sizeof(scheme_files) / sizeof(scheme_files[0]); i++)
			put("0\n", C0 "/schemes/%d/%s", s, scheme_files[i]); /* stats/ */
	assert_int_equal(mw_damon_start(&x.ctx, &d, why, sizeof(why)), 0);
	EQ("4294967295", S0 "/access_pattern/age/min");
	EQ("0", S1 "/access_pattern/age/min");
	assert_int_equal(mw_damon_poll(d), 1);
	EQ("4294967295", S0 "/access_pattern/age/min");
	assert_int_equal(mw_damon_stats_get(d, 0, &st), 0);
	assert_int_equal(st.quota_held, 1);
	assert_int_equal(mw_damon_stats_get(d, 1, &st), 0);
	assert_int_equal(st.quota_held, 0);
	/* the kernel's first charge window: one byte from the goal */
	put("1\n", S0 "/quotas/effective_bytes");
	put("", K0 "/state");
	assert_int_equal(mw_damon_poll(d), 0);
	EQ("30", S0 "/access_pattern/age/min");
	assert_int_equal(mw_damon_stats_get(d, 0, &st), 0);
	assert_int_equal(st.quota_held, 0);
	assert_int_equal(st.qt_effective_bytes, 1);
	assert_int_equal(mw_damon_poll(d), 0);
	assert_int_equal(mw_damon_poll(NULL), -EINVAL);
	assert_int_equal(mw_damon_stop(d), 0);
	tree_free();

	/* before 6.9 (no effective_bytes) nothing can be seen: not held */
	fake_tree(false);
	fixture_init(&x);
	x.s0.nr_filters = 1;
	assert_int_equal(mw_damon_start(&x.ctx, &d, why, sizeof(why)), 0);
	EQ("30", S0 "/access_pattern/age/min");
	assert_int_equal(mw_damon_poll(d), 0);
	assert_int_equal(mw_damon_stop(d), 0);
	tree_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(apply_filters_dir),
		cmocka_unit_test(apply_split_filters),
		cmocka_unit_test(rollback_half_written),
		cmocka_unit_test(rollback_missing_feature),
		cmocka_unit_test(refused_before_writing),
		cmocka_unit_test(quota_held_until_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
