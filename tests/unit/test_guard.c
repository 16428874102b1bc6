/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guard's pure parts: event JSON (escaping, truncation), names, and
 * mw_guard_open's refusal of bad options before anything is loaded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <cmocka.h>

#include <memward/guard.h>

static struct mw_guard_event sample(void)
{
	struct mw_guard_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.time_ns = 1700000000123456789ull;
	ev.pid = 42;
	ev.tid = 43;
	strcpy(ev.comm, "a\"b\\c\n");
	ev.exe_known = 1;
	ev.exe_dev = makedev(8, 1);
	ev.exe_ino = 1234;
	ev.exe_name = "runc";
	ev.exe_path = "/usr/bin/runc";
	ev.listed = 1;
	ev.kind = MW_GUARD_KIND_MEMFD;
	ev.obj_dev = makedev(0, 1);
	ev.obj_ino = 77;
	ev.obj_name = "memfd:x\x01";
	ev.seals = 0x2f;
	ev.hook = MW_GUARD_HOOK_MMAP;
	ev.why = MW_GUARD_WHY_SEALS;
	ev.denied = 1;
	ev.enforced = 1;
	ev.arg = 5;
	return ev;
}

static void test_json(void **state)
{
	struct mw_guard_event ev = sample();
	char buf[1024];
	int n = mw_guard_event_json(&ev, buf, sizeof(buf));

	(void)state;
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "\"comm\":\"a\\\"b\\\\c\\u000a\""));
	assert_non_null(strstr(buf, "\"exe\":{\"dev\":\"8:1\",\"ino\":1234,\"name\":\"runc\",\"path\":\"/usr/bin/runc\",\"listed\":true}"));
	assert_non_null(strstr(buf, "\"kind\":\"memfd\""));
	assert_non_null(strstr(buf, "\"name\":\"memfd:x\\u0001\""));
	assert_non_null(strstr(buf, "\"hook\":\"mmap\",\"arg\":5,\"decision\":\"deny\",\"reason\":\"seals\",\"mode\":\"enforce\",\"enforced\":true,\"suppressed\":0}"));
	ev.exe_known = 0;
	ev.audit = 1;
	ev.enforced = 0;
	ev.suppressed = 4000000000ull;
	n = mw_guard_event_json(&ev, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"dev\":null,\"ino\":null"));
	assert_non_null(strstr(buf, "\"mode\":\"audit\",\"enforced\":false,\"suppressed\":4000000000}"));
}

static void test_json_small(void **state)
{
	struct mw_guard_event ev = sample();
	char buf[64];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(mw_guard_event_json(&ev, buf, sizeof(buf)), -ENOSPC);
	assert_int_equal(buf[sizeof(buf) - 1], '\0');
	assert_int_equal(mw_guard_event_json(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mw_guard_event_json(&ev, NULL, 10), -EINVAL);
	assert_int_equal(mw_guard_event_json(&ev, buf, 0), -EINVAL);
}

/* The size mw_guard_event_json() documents: 1024 bytes for the longest
 * event (every name of control bytes, escaped six times over; every number
 * at its widest) with no exe path, plus six bytes per byte of the path. */
static void test_json_worst(void **state)
{
	struct mw_guard_event ev;
	char comm[16], exe[33], obj[49], path[101], buf[1024 + 6 * 100];

	(void)state;
	memset(&ev, 0, sizeof(ev));
	memset(comm, 1, 15);
	comm[15] = '\0';
	memset(exe, 1, 32);
	exe[32] = '\0';
	memset(obj, 1, 48);
	obj[48] = '\0';
	memset(path, 1, 100);
	path[100] = '\0';
	memcpy(ev.comm, comm, sizeof(ev.comm));
	ev.exe_known = 1;
	ev.exe_dev = ev.obj_dev = ev.exe_ino = ev.obj_ino = ev.time_ns = ev.suppressed = UINT64_MAX;
	ev.pid = ev.tid = INT32_MIN;
	ev.uid = UINT32_MAX;
	ev.seals = ev.arg = UINT32_MAX;
	ev.exe_name = exe;
	ev.obj_name = obj;
	ev.exe_path = "";
	ev.listed = ev.denied = ev.enforced = 1;
	ev.kind = MW_GUARD_KIND_LISTED_FILE;
	ev.hook = MW_GUARD_HOOK_MPROTECT;
	ev.why = MW_GUARD_WHY_PROTECTED;
	assert_true(mw_guard_event_json(&ev, buf, 1024) > 0);
	ev.exe_path = path;
	assert_true(mw_guard_event_json(&ev, buf, sizeof(buf)) > 0);
	assert_int_equal(mw_guard_event_json(&ev, buf, 1024 + 6 * 100 - 1), -ENOSPC);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mw_guard_kind_name(MW_GUARD_KIND_SHMEM_HUGETLB), "shmem_hugetlb");
	assert_string_equal(mw_guard_kind_name((enum mw_guard_kind)99), "?");
	assert_string_equal(mw_guard_hook_name(MW_GUARD_HOOK_PTRACE), "ptrace");
	assert_string_equal(mw_guard_hook_name((enum mw_guard_hook)-1), "?");
	assert_string_equal(mw_guard_why_name(MW_GUARD_WHY_FORGE), "forge");
	assert_string_equal(mw_guard_kind_name(MW_GUARD_KIND_USERNS), "userns_mount");
	assert_string_equal(mw_guard_kind_name(MW_GUARD_KIND_DETACHED), "detached_mount");
	assert_string_equal(mw_guard_kind_name(MW_GUARD_KIND_LISTED_FILE), "listed_file");
	assert_string_equal(mw_guard_kind_name((enum mw_guard_kind)12), "?");
	assert_string_equal(mw_guard_hook_name(MW_GUARD_HOOK_WRITE), "write");
	assert_string_equal(mw_guard_why_name(MW_GUARD_WHY_TRACED), "traced");
	assert_string_equal(mw_guard_why_name((enum mw_guard_why)9), "?");
	assert_string_equal(mw_guard_why_name((enum mw_guard_why)0), "?");
}

static void test_open_bad_opts(void **state)
{
	struct mw_policy *ok = mw_policy_parse("mode audit\n", 11, MW_POLICY_NO_RESOLVE);
	struct mw_policy *bad = mw_policy_parse("mode maybe\n", 11, MW_POLICY_NO_RESOLVE);
	struct {
		struct mw_guard_opts o;
		char tail[8];
	} big;
	struct mw_guard_opts o = { .sz = sizeof(o), .policy = ok };

	(void)state;
	assert_non_null(ok);
	assert_non_null(bad);
	errno = 0;
	assert_null(mw_guard_open(NULL));
	assert_int_equal(errno, EINVAL);
	o.flags = 1;
	assert_null(mw_guard_open(&o));
	assert_int_equal(errno, EINVAL);
	o.flags = 0;
	o.policy = NULL;
	assert_null(mw_guard_open(&o));
	assert_int_equal(errno, EINVAL);
	o.policy = bad;
	assert_null(mw_guard_open(&o));
	assert_int_equal(errno, EINVAL);
	o.policy = ok;
	o.sz = 1;
	assert_null(mw_guard_open(&o));
	assert_int_equal(errno, EINVAL);
	/* A newer caller's larger struct with a non-zero tail asks for
	 * something this library lacks. */
	memset(&big, 0, sizeof(big));
	big.o = (struct mw_guard_opts){ .sz = sizeof(big), .policy = ok };
	big.tail[3] = 1;
	assert_null(mw_guard_open(&big.o));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(mw_guard_poll(NULL, 0), -EINVAL);
	assert_int_equal(mw_guard_fd(NULL), -EINVAL);
	assert_int_equal(mw_guard_dropped(NULL), 0);
	mw_guard_close(NULL);
	mw_policy_free(ok);
	mw_policy_free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_small),
		cmocka_unit_test(test_json_worst),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_open_bad_opts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
