/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure parts of the secret heap: size classes and canaries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "secret/internal.h"

static void test_classes_cover(void **state)
{
	(void)state;
	assert_int_equal(mw__sc_index(0), 0);
	assert_int_equal(mw__sc_size(0), 16);
	assert_int_equal(mw__sc_index(MW_SC_MAX + 1), -1);
	assert_int_equal(mw__sc_size(MW_SC_COUNT - 1), MW_SC_MAX);
	assert_int_equal(mw__sc_size(MW_SC_COUNT), 0);
	for (size_t n = 0; n <= MW_SC_MAX; n++) {
		int i = mw__sc_index(n);
		size_t cls = mw__sc_size(i);

		assert_true(i >= 0 && i < MW_SC_COUNT);
		assert_true(cls >= n);                       /* fits */
		assert_true(i == 0 || mw__sc_size(i - 1) < n); /* smallest that fits */
		assert_int_equal(cls % 16, 0);               /* slots stay aligned */
		if (n > 128)
			assert_true(cls * 4 <= n * 5 + 4 * 16); /* waste <= 25 % */
	}
}

static void test_classes_monotonic(void **state)
{
	(void)state;
	for (int i = 1; i < MW_SC_COUNT; i++)
		assert_true(mw__sc_size(i) > mw__sc_size(i - 1));
	assert_int_equal(mw__sc_size(8), 160);
	assert_int_equal(mw__sc_size(11), 256);
	assert_int_equal(mw__sc_index(32), 1);
	assert_int_equal(mw__sc_index(33), 2);
}

static void test_canary_detects_every_byte(void **state)
{
	unsigned char buf[32] __attribute__((aligned(16)));
	uint64_t key = 0x0123456789abcdefull;

	(void)state;
	for (size_t k = 1; k <= 8; k++) {
		memset(buf, 0, sizeof(buf));
		mw__canary_put(key, buf + 8, k);
		assert_true(mw__canary_ok(key, buf + 8, k));
		for (size_t b = 0; b < k; b++) {
			buf[8 + b] ^= 1;
			assert_false(mw__canary_ok(key, buf + 8, k));
			buf[8 + b] ^= 1;
		}
		/* Bytes beyond k are not part of the canary. */
		for (size_t b = k; b < 24; b++)
			assert_int_equal(buf[8 + b], 0);
	}
}

static void test_canary_depends_on_address_and_key(void **state)
{
	unsigned char buf[32] __attribute__((aligned(16)));

	(void)state;
	assert_true(mw__canary(1, buf) != mw__canary(1, buf + 8));
	assert_true(mw__canary(1, buf) != mw__canary(2, buf));
	mw__canary_put(1, buf, 8);
	memcpy(buf + 16, buf, 8); /* a copied canary does not match elsewhere */
	assert_false(mw__canary_ok(1, buf + 16, 8));
	assert_false(mw__canary_ok(2, buf, 8));
}

static void test_all_zero(void **state)
{
	unsigned char b[37] = { 0 };

	(void)state;
	assert_true(mw__all_zero(b, sizeof(b)));
	assert_true(mw__all_zero(b, 0));
	for (size_t i = 0; i < sizeof(b); i++) {
		b[i] = 0x80;
		assert_false(mw__all_zero(b, sizeof(b)));
		assert_true(mw__all_zero(b, i));
		b[i] = 0;
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes_cover),
		cmocka_unit_test(test_classes_monotonic),
		cmocka_unit_test(test_canary_detects_every_byte),
		cmocka_unit_test(test_canary_depends_on_address_and_key),
		cmocka_unit_test(test_all_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
