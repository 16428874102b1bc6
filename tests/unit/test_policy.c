/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy file parser (memward-policy(5)): values, defaults, errors with
 * their line numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <memward/policy.h>
#include "sys/shim.h"

static struct mw_policy *parse(const char *text)
{
	struct mw_policy *p = mw_policy_parse(text, strlen(text), MW_POLICY_NO_RESOLVE);

	assert_non_null(p);
	return p;
}

static void assert_error(const struct mw_policy *p, size_t i, unsigned int line, const char *needle)
{
	unsigned int l = 0;
	const char *msg = mw_policy_error(p, i, &l);

	assert_non_null(msg);
	assert_int_equal(l, line);
	if (!strstr(msg, needle))
		fail_msg("error '%s' lacks '%s'", msg, needle);
}

static void test_defaults(void **state)
{
	struct mw_policy *p = parse("");

	(void)state;
	assert_int_equal(mw_policy_error_count(p), 0);
	assert_int_equal(mw_policy_mode(p), MW_POLICY_ENFORCE);
	assert_int_equal(mw_policy_exec_request(p), MW_POLICY_REQ_REFUSE);
	assert_int_equal(mw_policy_required_seals(p),
			 F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_EXEC);
	assert_int_equal(mw_policy_allow_count(p), 0);
	mw_policy_free(p);
}

static void test_full(void **state)
{
	struct mw_policy *p = parse("# runc may run its sealed copy\n"
				    "mode audit   # trailing comment\n"
				    "\n"
				    "\tallow-exec-memfd /usr/bin/runc\n"
				    "allow-exec-memfd /usr/bin/crun\r\n"
				    "exec-request downgrade\n"
				    "require-seals write,seal\n");
	uint64_t dev, ino;

	(void)state;
	assert_int_equal(mw_policy_error_count(p), 0);
	assert_int_equal(mw_policy_mode(p), MW_POLICY_AUDIT);
	assert_int_equal(mw_policy_exec_request(p), MW_POLICY_REQ_DOWNGRADE);
	assert_int_equal(mw_policy_required_seals(p), F_SEAL_WRITE | F_SEAL_SEAL);
	assert_int_equal(mw_policy_allow_count(p), 2);
	assert_string_equal(mw_policy_allow(p, 0, &dev, &ino), "/usr/bin/runc");
	assert_string_equal(mw_policy_allow(p, 1, NULL, NULL), "/usr/bin/crun");
	assert_null(mw_policy_allow(p, 2, NULL, NULL));
	/* Unresolved entries never match (inode 0). */
	assert_int_equal(mw_policy_allows(p, 0, 0), 0);
	mw_policy_free(p);
}

static void test_errors_have_lines(void **state)
{
	struct mw_policy *p = parse("mode enforce\n"
				    "frobnicate yes\n"
				    "mode audit\n"
				    "allow-exec-memfd relative/path\n"
				    "require-seals seal,bogus\n"
				    "require-seals seal\n"
				    "mode\n"
				    "exec-request maybe\n"
				    "allow-exec-memfd /a /b\n");

	(void)state;
	assert_int_equal(mw_policy_error_count(p), 8);
	assert_error(p, 0, 2, "unknown directive 'frobnicate'");
	assert_error(p, 1, 3, "'mode' given twice");
	assert_error(p, 2, 4, "absolute path");
	assert_error(p, 3, 5, "unknown seal 'bogus'");
	assert_error(p, 4, 6, "given twice");
	assert_error(p, 5, 7, "'mode' needs a value");
	assert_error(p, 6, 8, "'refuse' or 'downgrade'");
	assert_error(p, 7, 9, "takes one value");
	assert_null(mw_policy_error(p, 8, NULL));
	mw_policy_free(p);
}

static void test_seals_need_write(void **state)
{
	struct mw_policy *p = parse("require-seals seal,exec\n");

	(void)state;
	assert_int_equal(mw_policy_error_count(p), 1);
	assert_error(p, 0, 1, "must include 'write'");
	mw_policy_free(p);
}

static void test_binary_and_long_lines(void **state)
{
	char text[6000];
	struct mw_policy *p;

	(void)state;
	memset(text, 'a', sizeof(text));
	memcpy(text, "mode enforce\n", 13);
	text[sizeof(text) - 1] = '\n';
	p = mw_policy_parse(text, sizeof(text), MW_POLICY_NO_RESOLVE);
	assert_non_null(p);
	assert_int_equal(mw_policy_error_count(p), 1);
	assert_error(p, 0, 2, "line too long");
	mw_policy_free(p);

	p = mw_policy_parse("mode\0audit\n", 11, MW_POLICY_NO_RESOLVE);
	assert_non_null(p);
	assert_error(p, 0, 1, "NUL byte");
	mw_policy_free(p);
}

static void test_resolve(void **state)
{
	const char *t = "allow-exec-memfd /proc/self/exe\nallow-exec-memfd /nonexistent/x\nallow-exec-memfd /\n";
	struct mw_policy *p = mw_policy_parse(t, strlen(t), 0);
	uint64_t dev, ino;

	(void)state;
	assert_non_null(p);
	assert_int_equal(mw_policy_allow_count(p), 1);
	assert_non_null(mw_policy_allow(p, 0, &dev, &ino));
	assert_int_not_equal(ino, 0);
	assert_int_equal(mw_policy_allows(p, dev, ino), 1);
	assert_int_equal(mw_policy_error_count(p), 2);
	assert_error(p, 0, 2, "No such file");
	assert_error(p, 1, 3, "not a regular file");
	mw_policy_free(p);
}

static void test_bad_args(void **state)
{
	(void)state;
	assert_null(mw_policy_parse(NULL, 0, 0));
	assert_null(mw_policy_parse("", 0, 0x80));
	assert_int_equal(mw_policy_error_count(NULL), 0);
	mw_policy_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_errors_have_lines),
		cmocka_unit_test(test_seals_need_write),
		cmocka_unit_test(test_binary_and_long_lines),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
