/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every exported name function (*_name, *_key): a name for each value it
 * documents, and NULL (never "unknown", "error" or "?") for a value it does
 * not know, so callers can tell the two apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include <memward/memward.h>

#define BAD 0x7ffff

static void unknown_is_null(void **state)
{
	(void)state;
	assert_null(mw_audit_severity_name((enum mw_audit_severity)BAD));
	assert_null(mw_audit_kind_key((enum mw_audit_kind)BAD));
	assert_null(mw_exec_backing_name((enum mw_exec_backing)BAD));
	assert_null(mw_exec_copy_name((enum mw_exec_copy)BAD));
	assert_null(mw_exec_step_name((enum mw_exec_step)BAD));
	assert_null(mw_feature_key((enum mw_feature)BAD));
	assert_null(mw_feature_state_name((enum mw_feature_state)BAD));
	assert_null(mw_feature_cause_name((enum mw_feature_cause)BAD));
	assert_null(mw_inspect_kind_name((enum mw_inspect_kind)BAD));
	assert_null(mw_memfd_seal_name(0x40));
	assert_null(mw_memfd_seal_name(MW_SEAL_WRITE | MW_SEAL_GROW));
	assert_null(mw_memfd_kind_name((enum mw_memfd_kind)BAD));
	assert_null(mw_memfd_exec_name((enum mw_memfd_exec)BAD));
	assert_null(mw_policy_call_name((enum mw_policy_call)BAD));
	assert_null(mw_policy_verdict_name((enum mw_policy_verdict)BAD));
	assert_null(mw_secret_backing_name((enum mw_secret_backing)BAD));
	assert_null(mw_secret_mode_name((enum mw_secret_mode)BAD));
	assert_null(mw_share_reason_name((enum mw_share_reason)BAD));
	assert_null(mw_errno_name(BAD));
}

static void known_have_names(void **state)
{
	(void)state;
	for (int f = 0; f < MW_FEAT_COUNT_; f++)
		assert_non_null(mw_feature_key((enum mw_feature)f));
	for (int k = 0; k < MW_AUDIT_KIND_COUNT_; k++)
		assert_non_null(mw_audit_kind_key((enum mw_audit_kind)k));
	for (unsigned int bit = 1; bit & MW_SEAL_ALL; bit <<= 1)
		assert_non_null(mw_memfd_seal_name(bit));
	assert_string_equal(mw_feature_state_name(MW_FEATURE_SUPPORTED), "supported");
	assert_string_equal(mw_feature_cause_name(MW_CAUSE_ERROR), "error");
	assert_string_equal(mw_secret_mode_name(MW_SECRET_GUARDED), "guarded");
	assert_string_equal(mw_secret_backing_name(MW_SECRET_BACKING_MLOCK), "mlock");
	assert_string_equal(mw_policy_call_name(MW_POLICY_CALL_EXECVEAT), "execveat");
	assert_string_equal(mw_errno_name(-ENOSYS), "ENOSYS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_is_null),
		cmocka_unit_test(known_have_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
