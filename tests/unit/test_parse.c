/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the parsers of kernel text (lsm list, DAMON ops, status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	/* An older caller's struct (sz and memfd_noexec only), followed by
	 * guard bytes that stand for the caller's next variables. */
	union {
		struct mw_feature_sysinfo full;
		struct {
			size_t sz;
			int memfd_noexec;
		} small;
		unsigned char bytes[sizeof(struct mw_feature_sysinfo)];
	} u;
	const size_t small_sz = offsetof(struct mw_feature_sysinfo, memfd_noexec) + sizeof(int);
	long sysctl = -1;
	char buf[32];
	FILE *f;

	(void)state;
	assert_int_equal(mw_feature_sysinfo_get(NULL), -EINVAL);
	assert_int_equal(mw_feature_sysinfo_get(&si), -EINVAL);
	/* The value the old field must carry, read here independently. */
	f = fopen("/proc/sys/vm/memfd_noexec", "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f))
			sysctl = strtol(buf, NULL, 10);
		fclose(f);
	}
	/* An older caller's smaller struct is filled only as far as its sz. */
	memset(u.bytes, 0xa5, sizeof(u.bytes));
	u.small.sz = small_sz;
	u.small.memfd_noexec = 42;
	assert_int_equal(mw_feature_sysinfo_get(&u.full), 0);
	assert_int_equal(u.small.sz, small_sz);
	assert_int_equal(u.small.memfd_noexec, sysctl);
	for (size_t i = small_sz; i < sizeof(u.bytes); i++)
		if (u.bytes[i] != 0xa5)
			fail_msg("byte %zu past sz=%zu written (0x%02x)", i, small_sz, u.bytes[i]);
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
