/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the parsers of kernel text (lsm list, DAMON ops, status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "core/internal.h"
#include <memward/features.h>

static void lsm_list(void **state)
{
	(void)state;
	assert_true(mw__list_has("lockdown,capability,landlock,bpf", "bpf"));
	assert_true(mw__list_has("bpf", "bpf"));
	assert_true(mw__list_has("capability,bpf\n", "bpf"));
	assert_false(mw__list_has("lockdown,capability,landlock", "bpf"));
	assert_false(mw__list_has("bpfx,xbpf", "bpf"));
	assert_false(mw__list_has("", "bpf"));
	assert_false(mw__list_has("bpf", ""));
}

static void damon_ops(void **state)
{
	(void)state;
	assert_int_equal(mw__parse_damon_ops("paddr"), MW_DAMON_OPS_PADDR);
	assert_int_equal(mw__parse_damon_ops("vaddr\nfvaddr\npaddr\n"),
			 MW_DAMON_OPS_VADDR | MW_DAMON_OPS_FVADDR | MW_DAMON_OPS_PADDR);
	assert_int_equal(mw__parse_damon_ops("vaddr paddr"), MW_DAMON_OPS_VADDR | MW_DAMON_OPS_PADDR);
	assert_int_equal(mw__parse_damon_ops("vaddrx paddrs"), 0);
	assert_int_equal(mw__parse_damon_ops(""), 0);
}

static const char status_sample[] =
	"Name:\tcat\n"
	"Seccomp:\t2\n"
	"CapEff:\t000001fffeffffff\n"
	"CapBnd:\t0000000000000000\n";

static void status_fields(void **state)
{
	uint64_t caps = 0;
	long mode = -1;

	(void)state;
	assert_int_equal(mw__parse_status_hex(status_sample, "CapEff", &caps), 0);
	assert_true(caps == 0x000001fffeffffffULL);
	assert_int_equal((caps >> 14) & 1, 1); /* CAP_IPC_LOCK */
	assert_int_equal((caps >> 24) & 1, 0); /* CAP_SYS_RESOURCE */
	assert_int_equal(mw__parse_status_long(status_sample, "Seccomp", &mode), 0);
	assert_int_equal(mode, 2);
	assert_int_equal(mw__parse_status_hex(status_sample, "CapAmb", &caps), -ENOENT);
	/* A key that is only a prefix of another must not match it. */
	assert_int_equal(mw__parse_status_hex(status_sample, "Cap", &caps), -ENOENT);
	assert_int_equal(mw__parse_status_long("Seccomp:\tx\n", "Seccomp", &mode), -EINVAL);
}

static void parse_long(void **state)
{
	long v = 0;

	(void)state;
	assert_int_equal(mw__parse_long("0x0007", &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(mw__parse_long("2\n", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(mw__parse_long("", &v), -EINVAL);
	assert_int_equal(mw__parse_long(" 1", &v), -EINVAL);
	assert_int_equal(mw__parse_long("1x", &v), -EINVAL);
	assert_int_equal(mw__parse_long("99999999999999999999999", &v), -EINVAL);
}

static void names(void **state)
{
	struct mw_feature_status st = { .sz = sizeof(st) };

	(void)state;
	assert_string_equal(mw_feature_key(MW_FEAT_MEMFD_SECRET), "memfd_secret");
	assert_null(mw_feature_key(MW_FEAT_COUNT_));
	assert_null(mw_feature_key((enum mw_feature)-1));
	assert_int_equal(mw_feature_probe(MW_FEAT_COUNT_, &st), -EINVAL);
	assert_int_equal(mw_feature_probe(MW_FEAT_MEMFD_CREATE, NULL), -EINVAL);
	assert_string_equal(mw_feature_state_name(MW_FEATURE_MISSING), "missing");
	assert_string_equal(mw_feature_cause_name(MW_CAUSE_NOT_MOUNTED), "not_mounted");
	assert_string_equal(mw_errno_name(ENOSYS), "ENOSYS");
	assert_string_equal(mw_errno_name(-EPERM), "EPERM");
	for (int f = 0; f < MW_FEAT_COUNT_; f++)
		assert_non_null(mw_feature_key((enum mw_feature)f));
}

static void sysinfo_sz(void **state)
{
	struct mw_feature_sysinfo si = { .sz = 0 };
	struct { size_t sz; int memfd_noexec; } small = { .sz = sizeof(small), .memfd_noexec = 42 };

	(void)state;
	assert_int_equal(mw_feature_sysinfo_get(NULL), -EINVAL);
	assert_int_equal(mw_feature_sysinfo_get(&si), -EINVAL);
	/* An older caller's smaller struct is filled only as far as its sz. */
	assert_int_equal(mw_feature_sysinfo_get((struct mw_feature_sysinfo *)&small), 0);
	assert_int_equal(small.sz, sizeof(small));
	assert_true(small.memfd_noexec >= -1 && small.memfd_noexec <= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lsm_list),
		cmocka_unit_test(damon_ops),
		cmocka_unit_test(status_fields),
		cmocka_unit_test(parse_long),
		cmocka_unit_test(names),
		cmocka_unit_test(sysinfo_sz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
