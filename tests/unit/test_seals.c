/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the seal-name helpers (mw_memfd_seals_to_string & co). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include <memward/memfd.h>
#include <memward/share.h>

static void to_string(void **state)
{
	char buf[128];

	(void)state;
	assert_int_equal(mw_memfd_seals_to_string(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(mw_memfd_seals_to_string(MW_SEAL_WRITE, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "write");
	mw_memfd_seals_to_string(MW_SEAL_ALL, buf, sizeof(buf));
	assert_string_equal(buf, "seal,shrink,grow,write,future_write,exec");
	mw_memfd_seals_to_string(MW_SEALS_FROZEN, buf, sizeof(buf));
	assert_string_equal(buf, "seal,shrink,grow,write,exec");
	mw_memfd_seals_to_string(MW_SEAL_GROW | 0x100, buf, sizeof(buf));
	assert_string_equal(buf, "grow,0x100");
}

static void to_string_truncates(void **state)
{
	char buf[8];
	int n;

	(void)state;
	memset(buf, 'X', sizeof(buf));
	n = mw_memfd_seals_to_string(MW_SEAL_SHRINK | MW_SEAL_GROW, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen("shrink,grow"));
	assert_string_equal(buf, "shrink,");
	assert_int_equal(mw_memfd_seals_to_string(MW_SEAL_SEAL, NULL, 0), 4);
	assert_int_equal(mw_memfd_seals_to_string(MW_SEAL_SEAL, NULL, 4), -EINVAL);
}

static void from_string(void **state)
{
	unsigned int s = 99;

	(void)state;
	assert_int_equal(mw_memfd_seals_from_string("", &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(mw_memfd_seals_from_string("write, Shrink,future-write", &s), 0);
	assert_int_equal(s, MW_SEAL_WRITE | MW_SEAL_SHRINK | MW_SEAL_FUTURE_WRITE);
	assert_int_equal(mw_memfd_seals_from_string("frozen", &s), 0);
	assert_int_equal(s, MW_SEALS_FROZEN);
	assert_int_equal(mw_memfd_seals_from_string("producer", &s), 0);
	assert_int_equal(s, MW_SEALS_PRODUCER);
	assert_int_equal(mw_memfd_seals_from_string("fixed-size,exec", &s), 0);
	assert_int_equal(s, MW_SEALS_FIXED_SIZE | MW_SEAL_EXEC);
	assert_int_equal(mw_memfd_seals_from_string("none", &s), 0);
	assert_int_equal(s, 0);
	assert_int_equal(mw_memfd_seals_from_string("write,bogus", &s), -EINVAL);
	assert_int_equal(mw_memfd_seals_from_string("write,", &s), -EINVAL);
	assert_int_equal(mw_memfd_seals_from_string(",write", &s), -EINVAL);
	assert_int_equal(mw_memfd_seals_from_string(NULL, &s), -EINVAL);
}

static void round_trip(void **state)
{
	char buf[128];
	unsigned int s;

	(void)state;
	for (unsigned int v = 0; v <= MW_SEAL_ALL; v++) {
		mw_memfd_seals_to_string(v, buf, sizeof(buf));
		assert_int_equal(mw_memfd_seals_from_string(buf, &s), 0);
		assert_int_equal(s, v);
	}
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(mw_memfd_seal_name(MW_SEAL_FUTURE_WRITE), "future_write");
	assert_null(mw_memfd_seal_name(MW_SEAL_WRITE | MW_SEAL_GROW));
	assert_null(mw_memfd_seal_name(0x40));
	assert_string_equal(mw_memfd_kind_name(MW_MEMFD_KIND_TMPFILE_SHM), "tmpfile-shm");
	assert_string_equal(mw_memfd_exec_name(MW_MEMFD_EXEC_UNSEALED), "unsealed");
	assert_string_equal(mw_share_reason_name(MW_SHARE_TRUNCATED), "truncated");
	assert_null(mw_share_reason_name((enum mw_share_reason)999));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(to_string),
		cmocka_unit_test(to_string_truncates),
		cmocka_unit_test(from_string),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
