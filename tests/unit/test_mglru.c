/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The debugfs lru_gen parser (memcg / node / generation lines): what the
 * kernel prints is read right, malformed text is refused with -EBADMSG and a
 * message naming the line, nothing crashes on any input (random bytes under
 * ASan). Then aging and eviction against a fake lru_gen (MEMWARD_TEST_SYSROOT):
 * the commands written name the memcg id and generations of the text read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mglru/internal.h"
#include <memward/memcg.h>

/* As 6.12 prints it (mm/vmscan.c: "memcg %5hu %s", " node %5d",
 * " %10lu %10u" then " %10lu%c" per type), two memcgs, two nodes. */
static const char sample[] =
	"memcg     1 /\n"
	" node     0\n"
	"          0      21070          0       1202 \n"
	"          1      21070          0          0 \n"
	"          2      21070       9633       8001 \n"
	"          3       1030        112         36 \n"
	"memcg     7 /work load\n"
	" node     0\n"
	"         12      60200      30000         10 \n"
	"         13       4100       1024          5x\n"
	"         14        200      16384        128 \n"
	" node     1\n"
	"          4       9000          8          0 \n"
	"          5         10          1          1 \n";

static char logged[512];

static void log_cb(int level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(logged, sizeof(logged), "%s", msg);
}

static int parse(const char *text, const char *rel, struct mw__mglru_parsed *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	logged[0] = '\0';
	ret = mw__mglru_parse(text, rel, p);
	return ret;
}

static void reads_what_the_kernel_prints(void **state)
{
	struct mw__mglru_parsed p;

	(void)state;
	assert_int_equal(parse(sample, "/work load", &p), 0);
	assert_int_equal(p.memcg_id, 7);
	assert_int_equal(p.n, 5);
	assert_int_equal(p.gens[0].node, 0);
	assert_int_equal(p.gens[0].seq, 12);
	assert_int_equal(p.gens[0].age_ms, 60200);
	assert_int_equal(p.gens[0].anon_pages, 30000);
	assert_int_equal(p.gens[0].file_pages, 10);
	assert_int_equal(p.gens[1].file_pages, 5); /* a mark after the count */
	assert_int_equal(p.gens[3].node, 1);
	assert_int_equal(p.gens[3].seq, 4);
	assert_int_equal(p.gens[4].age_ms, 10);
	free(p.gens);

	assert_int_equal(parse(sample, "/", &p), 0);
	assert_int_equal(p.memcg_id, 1);
	assert_int_equal(p.n, 4);
	assert_int_equal(p.gens[2].anon_pages, 9633);
	free(p.gens);

	/* "/work" is a prefix of "/work load", not the same cgroup */
	assert_int_equal(parse(sample, "/work", &p), -ENOENT);
	free(p.gens);
	assert_int_equal(parse("", "/", &p), -ENOENT);
	free(p.gens);

	/* without CONFIG_MEMCG the path is empty: the root */
	assert_int_equal(parse("memcg     0 \n node     0\n 3 10 1 2\n", "/", &p), 0);
	assert_int_equal(p.memcg_id, 0);
	assert_int_equal(p.n, 1);
	free(p.gens);
}

static void bad(const char *text, const char *line_no)
{
	struct mw__mglru_parsed p;

	assert_int_equal(parse(text, "/", &p), -EBADMSG);
	free(p.gens);
	assert_non_null(strstr(logged, line_no));
}

static void malformed_is_refused(void **state)
{
	(void)state;
	mw_set_log(log_cb, NULL);
	bad("memcg x /\n", "line 1: memcg line");
	bad("memcg     1 /\n node     0\n 1 2 3\n", "line 3: generation line");
	bad("memcg     1 /\n node     0\n 1 2 3 4 5\n", "line 3: generation line");
	bad("memcg     1 /\n node     0\n 1 2 3 4ab\n", "line 3: generation line");
	bad("memcg     1 /\n node     0\n 1 -2 3 4\n", "line 3: generation line");
	bad("memcg     1 /\n 1 2 3 4\n", "line 2: generation line outside a node");
	bad(" node     0\n", "line 1: node line before");
	bad("memcg     1 /\n node   999\n", "line 2: node id out of range");
	bad("memcg     1 /\n node     a\n", "line 2: node line");
	bad("memcg     1 /\n node     0\n 99999999999999999999999 2 3 4\n", "line 3: generation line");
	bad("memcg 99999999999999999999999 /\n", "line 1: memcg line");
	/* the lru_gen_full format's extra lines are not this file's */
	bad("memcg     1 /\n node     0\n 1 2 3 4\n"
	    "                      0          0r          0e          0p          1r          2e          0p\n",
	    "line 4");
	bad("hello\n", "line 1: not a memcg");
	/* a bad line in another memcg's part is still refused: the file is not what memward reads */
	bad("memcg     1 /a\n node     0\n 1 2 3\nmemcg     2 /\n node     0\n 1 2 3 4\n", "line 3");
	mw_set_log(NULL, NULL);
}

/* Any bytes: 0, -ENOENT or -EBADMSG, never a crash or a leak (ASan). */
static void random_text_never_crashes(void **state)
{
	static const char alphabet[] = "memcg node 0123456789 \n\t/x-~";
	char text[512];
	unsigned int seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		struct mw__mglru_parsed p;
		size_t n = (size_t)(rand_r(&seed) % (sizeof(text) - 1));
		int ret;

		for (size_t i = 0; i < n; i++)
			text[i] = round % 2 ? alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)]
					    : (char)(rand_r(&seed) % 255 + 1);
		text[n] = '\0';
		ret = parse(text, "/", &p);
		free(p.gens);
		assert_true(ret == 0 || ret == -ENOENT || ret == -EBADMSG);
	}
	/* a long line */
	char *big = malloc(1 << 20);

	assert_non_null(big);
	memset(big, '7', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	struct mw__mglru_parsed p;

	assert_int_equal(parse(big, "/", &p), -EBADMSG);
	free(p.gens);
	free(big);
}

static char root[64];

static void put(const char *rel, const char *content)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static const char *get(const char *rel)
{
	static char buf[4096];
	char path[256];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static int count_gen(const struct mw_mglru_gen *g, void *arg)
{
	(*(int *)arg)++;
	return g->seq == 2 ? 42 : 0; /* fn's value stops the walk */
}

#define DBG "/sys/kernel/debug/lru_gen"
#define SYS "/sys/kernel/mm/lru_gen"

/* Aging and eviction write what the text read says: the root cgroup (always
 * there when cgroup2 is mounted) is memcg 1 in the sample. */
static void age_and_evict_fake(void **state)
{
	char cg[256], path[256];
	uint64_t evicted = 0;
	int n = 0;

	(void)state;
	if (mw_memcg_root(cg, sizeof(cg)) < 0)
		skip(); /* no cgroup2 mount: nothing to resolve "/" against */
	strcpy(root, "/tmp/mw-mglru-XXXXXX");
	assert_non_null(mkdtemp(root));
	setenv("MEMWARD_TEST_SYSROOT", root, 1);
	const char *dirs[] = { "/sys", "/sys/kernel", "/sys/kernel/debug", "/sys/kernel/mm", SYS };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	put(DBG, sample);
	put(SYS "/enabled", "0x0000\n");
	assert_int_equal(mw_mglru_age("/", 1), -EOPNOTSUPP); /* disabled: refused, nothing written */
	assert_string_equal(get(DBG), sample);
	put(SYS "/enabled", "0x0007\n");
	assert_int_equal(mw_mglru_gens_foreach("/", count_gen, &n), 42);
	assert_int_equal(n, 3);

	assert_int_equal(mw_mglru_age("/", 1), 0);
	assert_non_null(strstr(get(DBG), "+ 1 0 3 1 1"));
	/* generations 0 and 1 are old enough (>= 20 s) and leave two behind */
	put(DBG, sample);
	assert_int_equal(mw_mglru_evict("/", 20000, 200, 256, &evicted), 0);
	assert_true(!strncmp(get(DBG), "- 1 0 1 200 256", 15));
	assert_int_equal(evicted, 1202);
	put(DBG, sample);
	assert_int_equal(mw_mglru_evict("/", 30000, -1, 0, &evicted), -ERANGE); /* none that old */
	assert_string_equal(get(DBG), sample);
	put(DBG, "memcg     1 /\n node     0\n  0 1 2\n");
	assert_int_equal(mw_mglru_age("/", 1), -EBADMSG);
	assert_string_equal(get(DBG), "memcg     1 /\n node     0\n  0 1 2\n");
	unsetenv("MEMWARD_TEST_SYSROOT");
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_what_the_kernel_prints),
		cmocka_unit_test(malformed_is_refused),
		cmocka_unit_test(random_text_never_crashes),
		cmocka_unit_test(age_and_evict_fake),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
